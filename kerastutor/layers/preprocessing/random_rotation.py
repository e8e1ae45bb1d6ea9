r"""RandomRotation: turn each image by a random angle about its centre.

.. math::

    \theta \sim U[360 f_{lo},\, 360 f_{hi})\ \text{degrees (positive: counter-clockwise)},

one angle per image (``keras.random.uniform`` of shape ``(N,)`` from the
layer's ``SeedGenerator``, float32, as Keras draws it), and the output pixel
:math:`(r, c)` reads the input at the rotated point (about the centre
:math:`(c_x, c_y) = (\frac{W-1}{2}, \frac{H-1}{2})`):

.. math::

    \begin{pmatrix} c' \\ r' \end{pmatrix} =
    \begin{pmatrix} \cos\theta & -\sin\theta \\ \sin\theta & \cos\theta \end{pmatrix}
    \begin{pmatrix} c - c_x \\ r - c_y \end{pmatrix} +
    \begin{pmatrix} c_x \\ c_y \end{pmatrix}

i.e. the affine matrix ``[cos, -sin, cx - cx cos + cy sin, sin, cos, cy - cx sin - cy cos]``.
Values between pixels are interpolated (bilinear or nearest) and points
outside the image follow ``fill_mode``; see
:class:`~kerastutor.layers.preprocessing.resampling.AffineSampler`, whose
transpose is the backward pass.
"""
import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import RandomAffineLayer


def rotation_matrices(angles_degrees, height, width):
    """Keras's ``_compute_affine_matrix`` for a pure rotation about the centre."""
    theta = np.deg2rad(np.asarray(angles_degrees, dtype=np.float64))
    cx, cy = (width - 1) / 2, (height - 1) / 2
    cos, sin = np.cos(theta), np.sin(theta)
    zeros = np.zeros_like(theta)
    return np.stack([cos, -sin, cx - cx * cos + cy * sin,
                     sin, cos, cy - cx * sin - cy * cos, zeros, zeros], axis=1)


class RandomRotation(RandomAffineLayer):
    r"""Rotates each image by :math:`\theta \sim U[360 f_{lo}, 360 f_{hi})` degrees.

    ``factor``: a fraction of a full turn, a number :math:`f` (range
    :math:`[-f, f]`) or a pair. Backward: the transpose of the sampling with
    the drawn angles (:class:`~kerastutor.layers.preprocessing.resampling.AffineSampler`).
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self._init_affine(fill_mode, interpolation, seed, fill_value)

    def sample_matrices(self, batch, height, width):
        lo, hi = self.factor
        angles = keras_random.uniform((batch,), minval=lo * 360.0, maxval=hi * 360.0,
                                      seed=self.generator)
        return rotation_matrices(angles, height, width)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config
