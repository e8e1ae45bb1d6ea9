r"""RandomHue: turn each image's colours around the colour wheel.

Per image a direction :math:`\epsilon_n = -1` if :math:`u_n > 0.5` else
:math:`+1` (:math:`u_n \sim U[0, 1)`) and a size
:math:`a_n \sim U[f_{lo}, f_{hi})` (``factor`` in [0, 1]), so the shift is
:math:`\delta_n = \epsilon_n a_n / 2` -- at most half a turn. With the image
mapped to [0, 1] (:math:`\hat x = (x - v_{lo})/(v_{hi} - v_{lo})`) and the
HSV conversion of :mod:`~kerastutor.layers.preprocessing.color_conversions`:

.. math::

    (H, S, V) = \operatorname{hsv}(\hat x), \qquad
    H' = H + \delta_n \ (\pm 1 \text{ to stay in } [0, 1]),

.. math::

    y = v_{lo} + (v_{hi} - v_{lo})\,\operatorname{clip}(\operatorname{rgb}(H', S, V), 0, 1).

Saturation and value are kept: only the hue turns.

**Backward.** The chain rule through the named steps, each with its own
derivative (``rgb_to_hsv_backward``, ``hsv_to_rgb_backward``); the shift and
the wrap have derivative 1, the range maps scale by
:math:`v_{hi} - v_{lo}` and back. Smooth except where the maximum or the
minimum channel changes, or a ramp of ``hsv_to_rgb`` bends (kinks of measure zero).

**The draws** are Keras's, number for number, from the layer's
``SeedGenerator``: ``keras.random.uniform((N,))`` for the :math:`u_n`, then
``keras.random.uniform((N,), f_lo, f_hi)`` for the :math:`a_n`, both float32
(:math:`N = 1` for one image). Keras draws them **at inference too** (and
then leaves the images alone), so the generator moves on with every call,
``training=False`` included; so does this layer's.
"""
import numpy as np

from kerastutor import random as keras_random

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    AppliesTransformation, BaseImagePreprocessingLayer)
from kerastutor.layers.preprocessing.color_conversions import (
    check_channels, hsv_to_rgb, hsv_to_rgb_backward, rgb_to_hsv, rgb_to_hsv_backward)


class RandomHue(AppliesTransformation, BaseImagePreprocessingLayer):
    r"""Shifts the hue by :math:`\pm U[f_{lo}, f_{hi})/2` of a turn."""

    random = True
    has_kinks = True            # max/min channel switches, the ramps, the clip
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self.value_range = value_range
        self._init_seed(seed)

    def get_random_transformation(self, images, training=True, seed=None):
        """Keras's two draws: ``{"factor": delta}``, :math:`\\delta_n = \\pm a_n / 2`, shape (N,).

        Drawn whatever ``training`` is, as Keras does. ``seed`` (a
        ``SeedGenerator``) replaces the layer's own generator, as in Keras, for a
        layer that draws on another's behalf (``RandomColorJitter``).
        """
        batch = self._to_nhwc(images)[0].shape[0]
        seed = self.generator if seed is None else seed
        u = keras_random.uniform((batch,), seed=seed)
        sign = np.where(u > 0.5, -np.ones_like(u), np.ones_like(u))
        a = keras_random.uniform((batch,), minval=self.factor[0], maxval=self.factor[1],
                                 seed=seed)
        return {"factor": sign * a * 0.5}

    def forward(self, x, training=False, transformation=None):
        """Draw (:meth:`get_random_transformation`), then transform with the drawn numbers.

        ``transformation`` gives the draws instead (see :meth:`apply_transformation`).
        """
        if transformation is None:
            transformation = self.get_random_transformation(x, training)
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        check_channels(type(self).__name__, images.shape[-1], allowed=(3,))
        lo, hi = self.value_range
        shift = np.asarray(transformation["factor"]).reshape(-1, 1, 1).astype(images.dtype)
        hsv, hsv_cache = rgb_to_hsv((images - lo) / (hi - lo))
        hue = hsv[..., 0] + shift
        hue = np.where(hue > 1.0, hue - 1.0, hue)
        hue = np.where(hue < 0.0, hue + 1.0, hue)
        rgb, rgb_cache = hsv_to_rgb(np.stack([hue, hsv[..., 1], hsv[..., 2]], axis=-1))
        inside = (rgb >= 0) & (rgb <= 1)
        y = (np.clip(rgb, 0, 1) * (hi - lo) + lo).astype(images.dtype)
        return self._from_nhwc(y, single), (hsv_cache, rgb_cache, inside, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        hsv_cache, rgb_cache, inside, single = cache
        lo, hi = self.value_range
        grad, _ = self._to_nhwc(grad_out)
        g_rgb = np.where(inside, grad, 0) * (hi - lo)
        g_hsv = hsv_to_rgb_backward(rgb_cache, g_rgb)       # the shift passes g_H unchanged
        return self._from_nhwc(rgb_to_hsv_backward(hsv_cache, g_hsv) / (hi - lo), single)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range,
                       "seed": self.seed})
        return config
