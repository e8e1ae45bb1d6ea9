r"""RandomShear: slant each image by a random shear along x and/or y.

Per image :math:`n` a sign and two amounts are drawn,

.. math::

    \epsilon_n = \begin{cases} -1 & u_n > \tfrac12 \\ +1 & \text{otherwise} \end{cases},
    \quad s_x \sim U[x_{lo}, x_{hi}),\quad s_y \sim U[y_{lo}, y_{hi}),

three ``keras.random.uniform`` draws of shape ``(N, 1)`` (in the layer's
dtype) from its ``SeedGenerator``, in Keras's order -- :math:`u`, then
:math:`s_y`, then :math:`s_x` -- and the output pixel :math:`(r, c)` reads
the input at

.. math::

    \begin{pmatrix} c' \\ r' \end{pmatrix} =
    \begin{pmatrix} 1 & \epsilon_n s_x \\ \epsilon_n s_y & 1 \end{pmatrix}
    \begin{pmatrix} c \\ r \end{pmatrix},

i.e. the affine matrix ``[1, e*sx, 0, e*sy, 1, 0, 0, 0]``. As in Keras the
shear is about the **top-left corner** (pixel (0, 0) stays put), not the
centre. Points between pixels are interpolated, points outside follow
``fill_mode`` (:class:`~kerastutor.layers.preprocessing.resampling.AffineSampler`);
the backward pass is that sampler's transpose with the drawn shears fixed.

``x_factor``/``y_factor``: a number :math:`f \in [0, 1]` means the range
:math:`[-f, f]` (Keras's code; its docstring says :math:`(0, f)`), a pair
is sorted (Keras requires both in :math:`[0, 1]`; kerastutor allows
:math:`[-1, 1]` so that a saved config loads back).
"""
import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    RandomAffineLayer, _is_number)


def shear_matrices(shear_x, shear_y):
    """Keras's ``_get_shear_matrix``: ``[1, sx, 0, sy, 1, 0, 0, 0]`` per image."""
    shear_x, shear_y = np.asarray(shear_x, np.float64), np.asarray(shear_y, np.float64)
    ones, zeros = np.ones_like(shear_x), np.zeros_like(shear_x)
    return np.stack([ones, shear_x, zeros, shear_y, ones, zeros, zeros, zeros], axis=1)


class RandomShear(RandomAffineLayer):
    r"""Shears each image: :math:`c' = c + \epsilon s_x r`, :math:`r' = r + \epsilon s_y c`.

    **Backward:** :math:`\partial L/\partial x = A_\theta^\top\, \partial L/\partial y`
    with the drawn shears :math:`\theta` fixed.
    """

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.x_factor = self._shear_factor(x_factor, "x_factor")
        self.y_factor = self._shear_factor(y_factor, "y_factor")
        self._init_affine(fill_mode, interpolation, seed, fill_value)

    def _shear_factor(self, factor, name):
        r"""``f -> (-f, f)`` for :math:`f \in [0, 1]`; a pair in :math:`[-1, 1]` is sorted.

        Keras also rejects negative numbers in a pair -- so its own
        ``get_config`` (which holds ``(-f, f)``) fails ``from_config``; here
        the saved pair loads back.
        """
        message = (f"RandomShear: the `{name}` argument should be a number in the range "
                   f"[0, 1.0] (or a list of two numbers in [-1, 1]). Received: "
                   f"{name}={factor!r}. Fix: e.g. {name}=0.2 (shear by up to 20% either way) "
                   f"or {name}=(0.1, 0.3).")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(_is_number(f) and -1 <= f <= 1 for f in factor):
                raise ValueError(message)
            return tuple(float(f) for f in sorted(factor))
        if not _is_number(factor) or not 0 <= factor <= 1:
            raise ValueError(message)
        return (-abs(float(factor)), abs(float(factor)))

    def sample_matrices(self, batch, height, width):
        def draw(low, high):
            return keras_random.uniform((batch, 1), minval=low, maxval=high,
                                        dtype=self.dtype, seed=self.generator)[:, 0]

        sign = np.where(draw(0.0, 1.0) > 0.5, -1.0, 1.0)
        shear_y = draw(*self.y_factor)
        shear_x = draw(*self.x_factor)
        return shear_matrices(sign * shear_x, sign * shear_y)

    def get_config(self):
        config = super().get_config()
        config.update({"x_factor": self.x_factor, "y_factor": self.y_factor})
        return config
