r"""RandomSaturation: scale each image's colour saturation.

Per image :math:`f_n \sim U[f_{lo}, f_{hi})` and the scale
:math:`a_n = f_n / (1 - f_n + \epsilon)` (:math:`\epsilon = 10^{-7}`): ``f = 0.5``
keeps the image (:math:`a = 1`), ``f = 0`` makes it gray, ``f`` near 1
saturates it fully. ``factor`` follows the default bounds [-1, 1], so a number
:math:`f` means :math:`[-f, f]` and a negative draw gives :math:`a < 0`, which the
clip turns into :math:`S' = v_{lo}` (gray for the usual :math:`v_{lo} = 0`).

.. math::

    (H, S, V) = \operatorname{hsv}(x), \qquad
    S' = \operatorname{clip}(a_n S,\ v_{lo}, v_{hi}), \qquad
    y = \operatorname{rgb}(H, S', V).

As in Keras, the input is **not** mapped to [0, 1] first, and ``value_range``
is used only to clip :math:`S'` (with the default (0, 255) the saturation can
exceed 1, and the colours then leave the usual range). Pass images in [0, 1]
with ``value_range=(0, 1)`` for a textbook saturation change.

**Backward.** ``hsv_to_rgb_backward`` gives :math:`\partial L/\partial(H, S', V)`;
:math:`\partial L/\partial S = a_n [v_{lo} < a_n S < v_{hi}]\,\partial L/\partial S'`;
``rgb_to_hsv_backward`` carries all three back to RGB.

**The draw** is Keras's, number for number: ``keras.random.uniform((N,),
f_lo, f_hi)`` in float32 from the layer's ``SeedGenerator`` (:math:`N = 1` for
one image), and :math:`a_n` computed from it in float32. Keras draws it **at
inference too** (and then leaves the images alone), so the generator moves on
with every call, ``training=False`` included; so does this layer's.
"""
import numpy as np

from kerastutor import random as keras_random

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    AppliesTransformation, BaseImagePreprocessingLayer)
from kerastutor.layers.preprocessing.color_conversions import (
    check_channels, check_value_range, hsv_to_rgb, hsv_to_rgb_backward, rgb_to_hsv,
    rgb_to_hsv_backward)

EPSILON = 1e-7


class RandomSaturation(AppliesTransformation, BaseImagePreprocessingLayer):
    r""":math:`S' = \operatorname{clip}(S\, f/(1 - f + \epsilon))`, :math:`f \sim U[f_{lo}, f_{hi})`."""

    random = True
    has_kinks = True            # max/min channel switches, the ramps, the clip

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self.value_range = check_value_range(type(self).__name__, value_range)
        self._init_seed(seed)

    def get_random_transformation(self, images, training=True, seed=None):
        """Keras's draw: ``{"factor": a}``, :math:`a_n = f_n / (1 - f_n + \\epsilon)`, shape (N,).

        Drawn whatever ``training`` is, as Keras does. ``seed`` (a
        ``SeedGenerator``) replaces the layer's own generator, as in Keras, for a
        layer that draws on another's behalf (``RandomColorJitter``).
        """
        batch = self._to_nhwc(images)[0].shape[0]
        f = keras_random.uniform((batch,), minval=self.factor[0], maxval=self.factor[1],
                                 seed=self.generator if seed is None else seed)
        return {"factor": f / (1 - f + EPSILON)}

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
        a = np.asarray(transformation["factor"]).reshape(-1, 1, 1).astype(images.dtype)
        hsv, hsv_cache = rgb_to_hsv(images)
        scaled = hsv[..., 1] * a
        lo, hi = self.value_range
        inside = (scaled >= lo) & (scaled <= hi)
        saturation = np.clip(scaled, lo, hi)
        rgb, rgb_cache = hsv_to_rgb(np.stack([hsv[..., 0], saturation, hsv[..., 2]], axis=-1))
        return self._from_nhwc(rgb, single), (a, inside, hsv_cache, rgb_cache, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        a, inside, hsv_cache, rgb_cache, single = cache
        grad, _ = self._to_nhwc(grad_out)
        g_hsv = hsv_to_rgb_backward(rgb_cache, grad)
        g_s = np.where(inside, g_hsv[..., 1] * a, 0)
        g_hsv = np.stack([g_hsv[..., 0], g_s, g_hsv[..., 2]], axis=-1)
        return self._from_nhwc(rgb_to_hsv_backward(hsv_cache, g_hsv), single)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range,
                       "seed": self.seed})
        return config
