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

**The draw** is Keras's, number for number: ``keras.random.uniform((N,), 0,
1)`` in float32 from the layer's ``SeedGenerator`` (:math:`N = 1` for one
image), compared with :math:`p` in float32. Keras draws it **at inference
too** (and then leaves the images alone), so the generator moves on with every
call, ``training=False`` included; so does this layer's.
"""
import numpy as np

from kerastutor import random as keras_random

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    AppliesTransformation, BaseImagePreprocessingLayer, _is_number)
from kerastutor.layers.preprocessing.color_conversions import (
    check_channels, rgb_to_grayscale, rgb_to_grayscale_backward)


class RandomGrayscale(AppliesTransformation, BaseImagePreprocessingLayer):
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

    def get_random_transformation(self, images, training=True, seed=None):
        """Keras's draw: the (N, 1, 1, 1) booleans :math:`u_n < p`, whatever ``training`` is.

        ``seed`` (a ``SeedGenerator``) replaces the layer's own generator, as in Keras.
        """
        batch = self._to_nhwc(images)[0].shape[0]
        u = keras_random.uniform((batch,), minval=0, maxval=1,
                                 seed=self.generator if seed is None else seed)
        return (u < self.factor)[:, None, None, None]

    def forward(self, x, training=False, transformation=None):
        """Draw (:meth:`get_random_transformation`), then transform with the drawn numbers.

        ``transformation`` gives the draws instead (see :meth:`apply_transformation`).
        """
        if transformation is None:
            transformation = self.get_random_transformation(x, training)
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        channels = images.shape[-1]
        check_channels(type(self).__name__, channels)
        apply = np.asarray(transformation).reshape(-1, 1, 1, 1)
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
