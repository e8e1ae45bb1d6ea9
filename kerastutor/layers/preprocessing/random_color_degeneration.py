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

**The draw** is Keras's, number for number: ``keras.random.uniform((N, 1, 1,
1), f_lo, f_hi)`` in float32 from the layer's ``SeedGenerator`` (:math:`N = 1`
for one image). Keras draws it **at inference too** (and then leaves the
images alone), so the generator moves on with every call, ``training=False``
included; so does this layer's.
"""
import numpy as np

from kerastutor import random as keras_random

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    AppliesTransformation, BaseImagePreprocessingLayer)
from kerastutor.layers.preprocessing.color_conversions import (
    check_channels, check_value_range, rgb_to_grayscale, rgb_to_grayscale_backward)


class RandomColorDegeneration(AppliesTransformation, BaseImagePreprocessingLayer):
    r""":math:`y = \operatorname{clip}(x + f(\text{gray} - x), v_{lo}, v_{hi})`."""

    random = True
    has_kinks = True            # the clip

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self.value_range = check_value_range(type(self).__name__, value_range)
        self._init_seed(seed)

    def get_random_transformation(self, images, training=True, seed=None):
        """Keras's draw: ``{"factor": f}`` of shape (N, 1, 1, 1), whatever ``training`` is.

        ``seed`` (a ``SeedGenerator``) replaces the layer's own generator, as in Keras.
        """
        batch = self._to_nhwc(images)[0].shape[0]
        f = keras_random.uniform((batch, 1, 1, 1), minval=self.factor[0],
                                 maxval=self.factor[1],
                                 seed=self.generator if seed is None else seed)
        return {"factor": f}

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
        f = np.asarray(transformation["factor"]).reshape(-1, 1, 1, 1).astype(images.dtype)
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
