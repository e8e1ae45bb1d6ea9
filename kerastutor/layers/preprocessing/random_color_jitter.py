r"""RandomColorJitter: brightness, contrast, saturation and hue changes, in that order.

A composition of the four colour layers, each present only when its factor is
given (``None`` skips it):

.. math::

    y = \operatorname{hue}\big(\operatorname{saturation}\big(
        \operatorname{contrast}\big(\operatorname{brightness}(x)\big)\big)\big),

with the formulas of :class:`~kerastutor.layers.RandomBrightness`,
:class:`~kerastutor.layers.RandomContrast`,
:class:`~kerastutor.layers.RandomSaturation` and
:class:`~kerastutor.layers.RandomHue`, all with this layer's ``value_range``.

**The draws** are Keras's, number for number: each part, just before it is
applied, draws its magnitudes from **this layer's** ``SeedGenerator`` (Keras's
``part.get_random_transformation(images, seed=<the jitter's generator>)``),
in the order above; the parts' own generators are not used. So one ``seed``
fixes the whole jitter, and a part that is left out draws nothing.

**Backward.** The chain rule for a composition: the parts' backwards in the
reverse order, hue first, each on the cache its forward left.
"""
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer
from kerastutor.layers.preprocessing.random_brightness import RandomBrightness
from kerastutor.layers.preprocessing.random_contrast import RandomContrast
from kerastutor.layers.preprocessing.random_hue import RandomHue
from kerastutor.layers.preprocessing.random_saturation import RandomSaturation


class RandomColorJitter(BaseImagePreprocessingLayer):
    r"""Random brightness, contrast, saturation and hue, one after the other."""

    random = True
    has_kinks = True            # the parts' clips

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self._init_seed(seed)
        parts = [(RandomBrightness, brightness_factor), (RandomContrast, contrast_factor),
                 (RandomSaturation, saturation_factor), (RandomHue, hue_factor)]
        # the parts work on the channels-last batch this layer hands them; they get
        # this layer's seed, as in Keras (an unseeded part takes one from Python's random)
        self.parts = [cls(factor, value_range=value_range, data_format="channels_last",
                          seed=seed) for cls, factor in parts if factor is not None]

    def forward(self, x, training=False):
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        caches = []
        for part in self.parts:                 # every draw from the jitter's generator
            magnitudes = part.get_random_transformation(images, training=True,
                                                        seed=self.generator)
            images, cache = part.apply_transformation(images, magnitudes)
            caches.append(cache)
        return self._from_nhwc(images, single), (caches, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        caches, single = cache
        grad, _ = self._to_nhwc(grad_out)
        for part, part_cache in reversed(list(zip(self.parts, caches))):
            grad = part.backward(part_cache, grad)
        return self._from_nhwc(grad, single)

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range,
                       "brightness_factor": self.brightness_factor,
                       "contrast_factor": self.contrast_factor,
                       "saturation_factor": self.saturation_factor,
                       "hue_factor": self.hue_factor, "seed": self.seed})
        return config
