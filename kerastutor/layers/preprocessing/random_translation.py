r"""RandomTranslation: shift each image by a random fraction of its size.

.. math::

    d_y = u_y H,\ u_y \sim U[h_{lo}, h_{hi}), \qquad d_x = u_x W,\ u_x \sim U[w_{lo}, w_{hi}),

drawn per image as Keras draws them (``keras.random.uniform`` of shape
``(N, 1)`` from the layer's ``SeedGenerator``, :math:`u_y` first), and the
output pixel :math:`(r, c)` reads the input at :math:`(r - d_y,\; c - d_x)`:
a **positive** factor moves the content **down/right**. A fractional shift
interpolates (bilinear or nearest); uncovered pixels follow ``fill_mode``
(:class:`~kerastutor.layers.preprocessing.resampling.AffineSampler`, whose
transpose is the backward pass).
"""
import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import RandomAffineLayer


def translation_matrices(dx, dy):
    """Keras's translation matrix ``[1, 0, -dx, 0, 1, -dy, 0, 0]``."""
    ones, zeros = np.ones_like(dx), np.zeros_like(dx)
    return np.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)


class RandomTranslation(RandomAffineLayer):
    r"""Shifts each image by :math:`(u_y H, u_x W)` pixels, :math:`u \sim U[lo, hi)`.

    ``height_factor``/``width_factor`` (both required): a number :math:`f`
    (range :math:`[-f, f]`) or a pair, in :math:`[-1, 1]`. Backward: the
    transpose of the sampling with the drawn shifts.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_range = self._shift_range(height_factor, "height_factor")
        self.width_range = self._shift_range(width_factor, "width_factor")
        self._init_affine(fill_mode, interpolation, seed, fill_value)

    def _shift_range(self, factor, name):
        message = (f"RandomTranslation: the `height_factor` and `width_factor` arguments "
                   f"should be a number (or a list of two numbers) in the range [-1.0, 1.0]. "
                   f"Received: {name}={factor!r}.")
        pair = isinstance(factor, (tuple, list))
        values = list(factor) if pair else [factor]
        if (pair and len(values) != 2) or not all(
                isinstance(v, (int, float, np.integer, np.floating)) and
                not isinstance(v, bool) and -1.0 <= v <= 1.0 for v in values):
            raise ValueError(message)
        if pair:
            return tuple(float(v) for v in sorted(values))
        return (-abs(float(factor)), abs(float(factor)))

    def sample_matrices(self, batch, height, width):
        low, high = self.height_range
        dy = keras_random.uniform((batch, 1), minval=low, maxval=high,
                                  seed=self.generator)[:, 0] * height
        low, high = self.width_range
        dx = keras_random.uniform((batch, 1), minval=low, maxval=high,
                                  seed=self.generator)[:, 0] * width
        return translation_matrices(dx, dy)

    def get_config(self):
        config = super().get_config()
        config.update({"height_factor": self.height_factor,
                       "width_factor": self.width_factor})
        return config
