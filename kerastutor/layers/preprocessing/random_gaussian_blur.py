r"""RandomGaussianBlur: blur some images with a Gaussian kernel.

Per image a probability :math:`p_n \sim U[f_{lo}, f_{hi})` and a threshold
:math:`u_n \sim U[0, 1)`; the image is blurred when :math:`u_n < p_n`. Per
*batch* (Keras draws two numbers for the whole batch) the widths
:math:`\sigma_x, \sigma_y \sim U[\sigma_{lo}, \sigma_{hi}) + 10^{-6}`, and the
:math:`k \times k` kernel (``kernel_size`` :math:`= k`, odd)

.. math::

    K_{a,b} = \kappa_y[a]\,\kappa_x[b], \qquad
    \kappa[i] = \frac{e^{-(i - (k-1)/2)^2 / 2\sigma^2}}{\sum_{i'} e^{-(i' - (k-1)/2)^2 / 2\sigma^2}},

applied to each channel with zero padding ("same" size, so border pixels
darken a little):

.. math::

    z = \begin{cases} K * x & u_n < p_n \\ x & \text{otherwise,} \end{cases}
    \qquad y = \operatorname{clip}(z, v_{lo}, v_{hi}).

``factor`` and ``sigma`` both lie in [0, 1] (Keras's bounds: a ``sigma`` above 1
is rejected); a number :math:`a` means :math:`[0, a]`. ``kernel_size`` is an odd
number or a pair of equal odd numbers (Keras takes a pair but uses it as the
kernel's two sides, not as a range; unequal sides are refused here).

**Backward.** With :math:`\tilde g = [v_{lo} < z < v_{hi}]\, g`:
:math:`\partial L/\partial x = K^\top * \tilde g` for a blurred image
(:math:`K^\top` the kernel turned by 180 degrees), :math:`\tilde g` otherwise.
"""
import numpy as np

from kerastutor import backend
from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer, _is_number
from kerastutor.layers.preprocessing.color_conversions import (
    depthwise_conv_same, depthwise_conv_same_backward, gaussian_kernel)


class RandomGaussianBlur(BaseImagePreprocessingLayer):
    r"""Blurs each image with probability :math:`p \sim U[f_{lo}, f_{hi})`."""

    random = True
    has_kinks = True            # the clip
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self.kernel_size = self._set_kernel_size(kernel_size)
        self.sigma = self._set_factor(sigma, name="sigma")
        self.value_range = value_range
        self._init_seed(seed)

    def _set_kernel_size(self, kernel_size):
        sizes = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) \
            else (kernel_size, kernel_size)
        if len(sizes) != 2 or not all(_is_number(k) and k % 2 == 1 for k in sizes):
            raise ValueError(
                f"RandomGaussianBlur: kernel_size must be an odd number. Received: "
                f"kernel_size={kernel_size!r}. Fix: e.g. kernel_size=3 or 5.")
        if sizes[0] != sizes[1]:
            raise ValueError(
                f"RandomGaussianBlur: kernel_size={kernel_size!r} has unequal sides, which "
                "Keras does not blur correctly. Fix: one odd number, e.g. kernel_size=3.")
        return tuple(int(k) for k in sizes)

    def get_random_transformation(self, x, training=True, seed=None):
        """Keras's three draws from ``seed`` (default: the layer's generator), float32:

        ``uniform((B,), *factor)`` probabilities, ``uniform((B,))`` thresholds and
        ``uniform((2,), *sigma) + 1e-6`` -- :math:`(\\sigma_x, \\sigma_y)` for the whole
        batch (:math:`B` = 1 for a single image). ``None`` at inference (no draws).
        """
        if not training:
            return None
        batch = self._to_nhwc(x)[0].shape[0]
        seed = seed or self.generator
        probability = keras_random.uniform((batch,), *self.factor, seed=seed)
        threshold = keras_random.uniform((batch,), 0.0, 1.0, seed=seed)
        sigma = keras_random.uniform((2,), *self.sigma, dtype=backend.floatx(), seed=seed)
        return {"apply": threshold < probability, "sigma": sigma + np.float32(1e-6)}

    def forward(self, x, training=False):
        transformation = self.get_random_transformation(x, training=training)
        if transformation is None:
            return x, None
        images, single = self._to_nhwc(x)
        apply = transformation["apply"][:, None, None, None]
        sigma_x, sigma_y = transformation["sigma"]
        kernel = gaussian_kernel(self.kernel_size[0], sigma_x, sigma_y, images.dtype)
        z = np.where(apply, depthwise_conv_same(images, kernel), images)
        lo, hi = self.value_range
        inside = (z > lo) & (z < hi)
        return self._from_nhwc(np.clip(z, lo, hi), single), (apply, kernel, inside, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        apply, kernel, inside, single = cache
        grad, _ = self._to_nhwc(grad_out)
        g = np.where(inside, grad, 0)
        grad_in = np.where(apply, depthwise_conv_same_backward(g, kernel), g)
        return self._from_nhwc(grad_in, single)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "kernel_size": self.kernel_size,
                       "sigma": self.sigma, "value_range": self.value_range,
                       "seed": self.seed})
        return config
