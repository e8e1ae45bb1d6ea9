r"""RandomPerspective: move the four corners of each image and warp it projectively.

Each image :math:`n` is warped with probability :math:`p_n \sim U[f_{lo}, f_{hi})`
(applied when :math:`u_n < p_n`, :math:`u_n \sim U[0, 1)`). Its corners
:math:`s_k \in \{(0,0), (W-1,0), (0,H-1), (W-1,H-1)\}` (as :math:`(x, y)`)
move to

.. math:: e_k = s_k \odot (1 + \delta_k), \qquad \delta_k \sim U[-\tfrac{s}{2}, \tfrac{s}{2})^2

(``scale`` :math:`s`; so, as in Keras, the corner (0, 0) never moves). The
draws are Keras's: three ``keras.random.uniform`` calls on the layer's
``SeedGenerator`` -- :math:`p` of shape ``(N,)``, :math:`u` of shape
``(N,)``, :math:`\delta` of shape ``(N, 4, 2)`` in the layer's dtype -- so
a seeded layer warps as Keras's NumPy backend does. The
homography :math:`H` that sends each output corner :math:`e_k` back to its
input corner :math:`s_k` solves the 8x8 linear system (two rows per corner)

.. math::

    \begin{pmatrix} e_x & e_y & 1 & 0 & 0 & 0 & -s_x e_x & -s_x e_y \\
                    0 & 0 & 0 & e_x & e_y & 1 & -s_y e_x & -s_y e_y \end{pmatrix}
    \begin{pmatrix} a_0 \\ \vdots \\ a_7 \end{pmatrix} =
    \begin{pmatrix} s_x \\ s_y \end{pmatrix},

and the output pixel :math:`(x, y)` (column, row) reads the input at

.. math::

    x' = \frac{a_0 x + a_1 y + a_2}{a_6 x + a_7 y + 1}, \qquad
    y' = \frac{a_3 x + a_4 y + a_5}{a_6 x + a_7 y + 1},

interpolated (bilinear or nearest) with points outside the image set to
``fill_value``. With the drawn corners fixed the warp is linear in the
image, so the backward pass is the transpose of that sampling
(:meth:`~kerastutor.layers.preprocessing.resampling.AffineSampler.at_coordinates`);
images left alone pass their gradient through unchanged.
"""
import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer
from kerastutor.layers.preprocessing.resampling import AffineSampler


def homography_matrices(start_points, end_points):
    r"""Keras's ``compute_homography_matrix``: ``(N, 8)`` with :math:`H e_k = s_k`.

    ``start_points``/``end_points``: ``(N, 4, 2)`` corners as ``(x, y)``.
    """
    start = np.asarray(start_points, dtype=np.float64)
    end = np.asarray(end_points, dtype=np.float64)
    ex, ey, sx, sy = end[..., 0], end[..., 1], start[..., 0], start[..., 1]   # (N, 4)
    one, zero = np.ones_like(ex), np.zeros_like(ex)
    x_rows = np.stack([ex, ey, one, zero, zero, zero, -sx * ex, -sx * ey], axis=-1)
    y_rows = np.stack([zero, zero, zero, ex, ey, one, -sy * ex, -sy * ey], axis=-1)
    system = np.stack([x_rows, y_rows], axis=2).reshape(-1, 8, 8)   # rows x1, y1, x2, ...
    target = np.stack([sx, sy], axis=2).reshape(-1, 8)
    return np.linalg.solve(system, target[..., None])[..., 0]


def perspective_sampler(homographies, height, width, interpolation, fill_value):
    """The sampler reading every output pixel at its projected input point."""
    a = np.asarray(homographies, dtype=np.float64)[:, :, None, None]
    y, x = np.meshgrid(np.arange(height, dtype=np.float64),
                       np.arange(width, dtype=np.float64), indexing="ij")
    denominator = a[:, 6] * x + a[:, 7] * y + 1.0
    col_in = (a[:, 0] * x + a[:, 1] * y + a[:, 2]) / denominator
    row_in = (a[:, 3] * x + a[:, 4] * y + a[:, 5]) / denominator
    return AffineSampler.at_coordinates(row_in, col_in, (height, width), interpolation,
                                        fill_mode="constant", fill_value=fill_value)


class RandomPerspective(BaseImagePreprocessingLayer):
    r"""Warps each image (with probability :math:`p \sim U[f_{lo}, f_{hi})`) by a random homography.

    ``factor`` in :math:`[0, 1]` (a number :math:`f` means :math:`[0, f]`),
    ``scale`` in :math:`[0, 1]`: how far corners move (a fraction of the side).

    Keras's quirk, kept: the probability itself is drawn, :math:`p \sim U[f_{lo}, f_{hi})`,
    so the default ``factor=1.0`` (:math:`p \sim U[0, 1)`) transforms about **half**
    the images, not all; ``factor=(1, 1)`` transforms every one.

    **Backward:** :math:`\partial L/\partial x = A_H^\top\, \partial L/\partial y`
    for warped images, :math:`\partial L/\partial y` for the others.
    """

    random = True
    _FACTOR_BOUNDS = (0, 1)
    _INTERPOLATIONS = ("nearest", "bilinear")

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        if not isinstance(scale, (int, float)) or not 0.0 <= scale <= 1.0:
            raise ValueError(
                "RandomPerspective: the `scale` argument should be a number in the range "
                f"[0,1]. Received: scale={scale!r}. Fix: e.g. scale=0.5.")
        if interpolation not in self._INTERPOLATIONS:
            raise NotImplementedError(
                f"RandomPerspective: unknown `interpolation` {interpolation!r}. Expected one "
                f"of {self._INTERPOLATIONS}.")
        self.scale = scale
        self.interpolation = interpolation
        self.fill_value = fill_value
        self._init_seed(seed)

    def sample_corners(self, batch, height, width):
        """Which images to warp, and their ``(N, 4, 2)`` start and end corners."""
        low, high = self.factor
        probability = keras_random.uniform((batch,), minval=low, maxval=high,
                                           seed=self.generator)
        apply = keras_random.uniform((batch,), seed=self.generator) < probability
        delta = keras_random.uniform((batch, 4, 2), minval=-0.5 * self.scale,
                                     maxval=0.5 * self.scale, dtype=self.dtype,
                                     seed=self.generator)
        start = np.array([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1],
                          [width - 1, height - 1]], dtype=self.dtype)
        start = np.broadcast_to(start, (batch, 4, 2))
        return apply, start, start + start * delta

    def forward(self, x, training=False):
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        batch, height, width, _ = images.shape
        apply, start, end = self.sample_corners(batch, height, width)
        sampler = perspective_sampler(homography_matrices(start, end), height, width,
                                      self.interpolation, self.fill_value)
        keep = apply[:, None, None, None]
        y = np.where(keep, sampler.forward(images), images).astype(images.dtype, copy=False)
        return self._from_nhwc(y, single), (sampler, keep, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        sampler, keep, single = cache
        grad, _ = self._to_nhwc(grad_out)
        warped = sampler.backward(np.where(keep, grad, 0))
        return self._from_nhwc(np.where(keep, warped, grad), single)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "interpolation": self.interpolation, "fill_value": self.fill_value,
                       "seed": self.seed})
        return config
