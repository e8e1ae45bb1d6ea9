r"""RandomColorDegeneration: blend each image toward its grayscale version.

Per image :math:`f_n \sim U[f_{lo}, f_{hi})` (``factor`` in [-1, 1]; a number
:math:`f` means :math:`[-f, f]`, Keras's rule), with
:math:`\text{gray} = 0.2989\,r + 0.587\,g + 0.114\,b` in every channel:

.. math::

    z = x + f_n(\text{gray} - x), \qquad y = \operatorname{clip}(z, v_{lo}, v_{hi}).

:math:`f = 0` keeps the colours, :math:`f = 1` is fully gray, a negative
:math:`f` pushes colours away from gray.

**Backward.** With :math:`\tilde g = [v_{lo} < z < v_{hi}]\, g`:

.. math::

    \frac{\partial L}{\partial x_c} = (1 - f_n)\,\tilde g_c + f_n\, w_c \sum_{c'} \tilde g_{c'} .
"""
import numpy as np

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer
from kerastutor.layers.preprocessing.color_conversions import (
    check_channels, check_value_range, rgb_to_grayscale, rgb_to_grayscale_backward)


class RandomColorDegeneration(BaseImagePreprocessingLayer):
    r""":math:`y = \operatorname{clip}(x + f(\text{gray} - x), v_{lo}, v_{hi})`."""

    random = True
    has_kinks = True            # the clip

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self.value_range = check_value_range(type(self).__name__, value_range)
        self._init_seed(seed)

    def forward(self, x, training=False):
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        channels = images.shape[-1]
        check_channels(type(self).__name__, channels)
        f = self._generator().uniform(*self.factor, size=(images.shape[0], 1, 1, 1))
        f = f.astype(images.dtype)
        z = images + f * (rgb_to_grayscale(images) - images)
        lo, hi = self.value_range
        inside = (z > lo) & (z < hi)
        return self._from_nhwc(np.clip(z, lo, hi), single), (f, inside, channels, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        f, inside, channels, single = cache
        grad, _ = self._to_nhwc(grad_out)
        g = np.where(inside, grad, 0)
        through_gray = rgb_to_grayscale_backward(g.sum(axis=-1, keepdims=True), channels)
        return self._from_nhwc((1 - f) * g + f * through_gray, single)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-3] if self.data_format == "channels_first" else input_shape[-1]
        if channels is not None and channels != 3:
            raise ValueError(
                "RandomColorDegeneration: input images must have 3 channels, but received "
                f"images with {channels} channels. Fix: give RGB images.")
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range,
                       "seed": self.seed})
        return config
