r"""RandomGrayscale: turn some images to gray, keeping the number of channels.

Per image one draw :math:`u_n \sim U[0, 1)`; the image is converted when
:math:`u_n < p` (``factor`` :math:`= p`). Converted images carry the luma in
every channel:

.. math::

    y_{n,i,j,c} = \begin{cases}
        0.2989\,r + 0.587\,g + 0.114\,b & u_n < p \\
        x_{n,i,j,c} & \text{otherwise.}
    \end{cases}

**Backward.** For a converted image every output channel depends on every
input channel through the weights :math:`w`:
:math:`\partial L/\partial x_c = w_c \sum_{c'} \partial L/\partial y_{c'}`;
the others pass the gradient unchanged.
"""
import numpy as np

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer, _is_number
from kerastutor.layers.preprocessing.color_conversions import (
    check_channels, rgb_to_grayscale, rgb_to_grayscale_backward)


class RandomGrayscale(BaseImagePreprocessingLayer):
    r"""Converts each image to grayscale with probability ``factor`` (channels kept)."""

    random = True

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not _is_number(factor) or factor < 0 or factor > 1:
            raise ValueError(
                f"RandomGrayscale: `factor` should be between 0 and 1. Received: "
                f"factor={factor!r}. Fix: the probability of converting an image, e.g. 0.5.")
        self.factor = factor
        self._init_seed(seed)

    def forward(self, x, training=False):
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        channels = images.shape[-1]
        check_channels(type(self).__name__, channels)
        apply = self._generator().uniform(0, 1, size=images.shape[0]) < self.factor
        apply = apply[:, None, None, None]
        gray = rgb_to_grayscale(images)
        y = np.where(apply, gray, images)           # gray broadcasts to every channel
        return self._from_nhwc(y, single), (apply, channels, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        apply, channels, single = cache
        grad, _ = self._to_nhwc(grad_out)
        through_gray = rgb_to_grayscale_backward(grad.sum(axis=-1, keepdims=True), channels)
        return self._from_nhwc(np.where(apply, through_gray, grad), single)

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor          # Keras keeps no seed in this config
        return config
