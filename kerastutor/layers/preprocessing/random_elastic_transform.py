r"""RandomElasticTransform: push every pixel by a smooth random displacement field.

One distortion strength :math:`d \sim U[s_{lo}, s_{hi})` is drawn for the
batch (``scale``), giving

.. math:: \alpha = 0.1\, d \max(H, W), \qquad \sigma = 0.05\, d \min(H, W).

Per image, two fields of white noise :math:`\xi_x, \xi_y \sim \mathcal N(0, 1)^{H \times W}`
are scaled by :math:`\sigma` and smoothed by a Gaussian of width :math:`\sigma`
(a :math:`k \times k` kernel, :math:`k = \lfloor 6\sigma \rfloor` made odd,
zero padding -- Keras's ``gaussian_blur``). As matrices, with the band matrix
:math:`B_{ij} = g\big(j - i\big)`, :math:`g(t) \propto e^{-t^2 / 2\sigma^2}`
normalised over :math:`|t| \le k/2`,

.. math:: \Delta_x = B_H\, (\sigma \xi_x)\, B_W^\top, \qquad \Delta_y = B_H\, (\sigma \xi_y)\, B_W^\top,

and the output pixel :math:`(r, c)` reads the input at

.. math:: c' = c + \alpha\, \Delta_x[r, c], \qquad r' = r + \alpha\, \Delta_y[r, c]

(interpolated, points outside following ``fill_mode``). Each image is
distorted with probability :math:`p \sim U[f_{lo}, f_{hi})`, and finally the
whole batch is clipped to ``value_range``:

.. math:: y = \operatorname{clip}\big(\text{apply}\ ?\ S_\Delta x : x,\ v_{lo}, v_{hi}\big).

**The draws** are Keras's, four on the layer's ``SeedGenerator`` in this order
(``keras.random``, float32): :math:`p` (shape ``(N,)``), :math:`u` (shape
``(N,)``; an image is distorted when :math:`u < p`), :math:`d` (a scalar), and
one key for the noise, from which :math:`\xi_x` then :math:`\xi_y` are read
(one ``normal`` of shape ``(2, N, H, W)`` reads the same numbers). As in Keras,
:math:`\alpha` and :math:`\sigma` are float32, so the kernel length
:math:`\lfloor 6\sigma \rfloor` is Keras's too.

**Backward:** with the field fixed the sampling :math:`S_\Delta` is linear,
so :math:`\partial L/\partial x = S_\Delta^\top\big([v_{lo} \le z \le v_{hi}]\,
\partial L/\partial y\big)` for distorted images (:math:`z` the value before
the clip), the masked gradient itself for the others.
"""
import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer
from kerastutor.layers.preprocessing.resampling import AffineSampler, FILL_MODES


def gaussian_band_matrix(size, sigma):
    r"""The ``(size, size)`` matrix of a 1-D Gaussian blur with zero padding.

    Kernel length :math:`k = \lfloor 6\sigma \rfloor \,|\, 1` (odd), taps
    :math:`g_t \propto \exp(-\tfrac12 (t/\sigma)^2)`, :math:`t = -\frac{k-1}{2}
    \ldots \frac{k-1}{2}`, summing to 1; :math:`B_{ij} = g_{j-i}` where
    :math:`|j - i| \le \frac{k-1}{2}` (taps past the border read zeros).
    """
    if sigma <= 0:
        return np.eye(size)
    k = int(6 * sigma) | 1
    half = (k - 1) // 2
    taps = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma) ** 2)
    taps /= taps.sum()
    offset = np.arange(size)[None, :] - np.arange(size)[:, None]        # j - i
    return np.where(np.abs(offset) <= half, taps[np.clip(offset + half, 0, k - 1)], 0.0)


class RandomElasticTransform(BaseImagePreprocessingLayer):
    r"""Displaces pixels by a Gaussian-smoothed random field of strength :math:`\alpha`.

    ``factor`` (in :math:`[0, 1]`): the probability range of distorting an
    image; ``scale`` (in :math:`[0, 1]`): the range of the strength :math:`d`.
    A number :math:`f` means :math:`[0, f]`.

    Keras's quirk, kept: the probability itself is drawn, :math:`p \sim U[f_{lo}, f_{hi})`,
    so the default ``factor=1.0`` (:math:`p \sim U[0, 1)`) transforms about **half**
    the images, not all; ``factor=(1, 1)`` transforms every one.

    **Backward:** the transpose of the sampling with the field fixed, masked by the clip.
    """

    random = True
    has_kinks = True            # the clip to value_range
    _FACTOR_BOUNDS = (0, 1)
    _INTERPOLATIONS = ("nearest", "bilinear")
    _FILL_MODES = FILL_MODES + ("mirror",)

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self.scale = self._set_factor(scale, name="scale")
        if interpolation not in self._INTERPOLATIONS:
            raise NotImplementedError(
                f"RandomElasticTransform: unknown `interpolation` {interpolation!r}. Expected "
                f"one of {self._INTERPOLATIONS}.")
        if fill_mode not in self._FILL_MODES:
            raise NotImplementedError(
                f"RandomElasticTransform: unknown `fill_mode` {fill_mode!r}. Expected one of "
                f"{self._FILL_MODES}.")
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = value_range
        self._init_seed(seed)

    def sample_field(self, batch, height, width):
        """Which images to distort, and the input coordinates ``(row_in, col_in)``."""
        low, high = self.factor
        probability = keras_random.uniform((batch,), minval=low, maxval=high,
                                           seed=self.generator)
        apply = keras_random.uniform((batch,), seed=self.generator) < probability
        low, high = self.scale
        strength = keras_random.uniform((), minval=low, maxval=high, dtype=self.dtype,
                                        seed=self.generator)
        alpha = max(height, width) * (0.1 * strength)         # float32, as in Keras
        sigma = min(height, width) * (0.05 * strength)
        noise = keras_random.normal((2, batch, height, width), dtype=self.dtype,
                                    seed=self.generator) * sigma
        rows, cols = gaussian_band_matrix(height, sigma), gaussian_band_matrix(width, sigma)
        dx, dy = np.einsum("ih,jw,fnhw->fnij", rows, cols, noise, optimize=True)
        r, c = np.meshgrid(np.arange(height, dtype=np.float64),
                           np.arange(width, dtype=np.float64), indexing="ij")
        return apply, r + alpha * dy, c + alpha * dx

    def forward(self, x, training=False):
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return x, None
        images, single = self._to_nhwc(x)
        batch, height, width, _ = images.shape
        apply, row_in, col_in = self.sample_field(batch, height, width)
        sampler = AffineSampler.at_coordinates(row_in, col_in, (height, width),
                                               self.interpolation, self.fill_mode,
                                               self.fill_value)
        keep = apply[:, None, None, None]
        z = np.where(keep, sampler.forward(images), images)
        lo, hi = self.value_range
        inside = (z >= lo) & (z <= hi)
        y = np.clip(z, lo, hi).astype(images.dtype, copy=False)
        return self._from_nhwc(y, single), (sampler, keep, inside, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        sampler, keep, inside, single = cache
        grad, _ = self._to_nhwc(grad_out)
        grad = np.where(inside, grad, 0)
        warped = sampler.backward(np.where(keep, grad, 0))
        return self._from_nhwc(np.where(keep, warped, grad), single)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                       "fill_value": self.fill_value, "value_range": self.value_range,
                       "seed": self.seed})
        return config
