r"""RandomPosterization: keep only the top bits of each colour value.

With :math:`b_n` bits kept (``factor``: integers in [1, 8]; a number :math:`f`
means the range :math:`[1, f]`, and Keras draws :math:`b_n` from
:math:`\{f_{lo}, \dots, f_{hi} - 1\}` -- the upper end is *excluded* -- unless
the two ends are equal) and :math:`k_n = 8 - b_n` bits dropped, on the image
mapped to [0, 255] (:math:`\hat x = 255 (x - v_{lo})/(v_{hi} - v_{lo})`):

.. math::

    q = 2^{k_n} \left\lfloor \frac{\lfloor \hat x \rfloor}{2^{k_n}} \right\rfloor,
    \qquad y = v_{lo} + \frac{q}{255}(v_{hi} - v_{lo})

(a right shift and a left shift of the 8-bit value).

**Not differentiable.** The output is piecewise constant in the input: its
derivative is 0 almost everywhere and undefined at the steps. Keras's autograd
gives no gradient at all (the cast to ``uint8`` cuts the graph). The backward
here returns that zero (the identity at inference, where the layer is the
identity), so the layer can sit at the front of a model that is trained.

**The draw** is Keras's, number for number: ``keras.random.randint((N,),
f_lo, f_hi, dtype="uint8")`` from the layer's ``SeedGenerator``
(:math:`N = 1` for one image), and no draw at all when the two ends are
equal. Keras draws it **at inference too** (and then leaves the images alone),
so the generator moves on with every call, ``training=False`` included; so does
this layer's. As in Keras, a ``value_range`` of (0, 255) is not mapped at all
(the map would be the identity up to round-off, which can move a value across
an integer before the cast to 8 bits).
"""
import numpy as np

from kerastutor import random as keras_random

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    AppliesTransformation, BaseImagePreprocessingLayer)
from kerastutor.layers.preprocessing.color_conversions import check_value_range


class RandomPosterization(AppliesTransformation, BaseImagePreprocessingLayer):
    r"""Keeps :math:`b` of 8 bits per channel, :math:`b` drawn from ``factor``."""

    random = True
    has_kinks = True            # piecewise constant
    _FACTOR_BOUNDS = (1, 8)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self.value_range = check_value_range(type(self).__name__, value_range)
        self._init_seed(seed)

    def get_random_transformation(self, images, training=True, seed=None):
        """Keras's draw: ``{"shift_factor": 8 - b}``, uint8 of shape (N,), whatever ``training`` is.

        ``seed`` (a ``SeedGenerator``) replaces the layer's own generator, as in Keras.
        """
        batch = self._to_nhwc(images)[0].shape[0]
        low, high = int(self.factor[0]), int(self.factor[1])
        if low != high:
            bits = keras_random.randint((batch,), minval=low, maxval=high, dtype="uint8",
                                        seed=self.generator if seed is None else seed)
        else:
            bits = np.ones((batch,), dtype="uint8") * low
        return {"shift_factor": 8 - bits}

    def forward(self, x, training=False, transformation=None):
        """Draw (:meth:`get_random_transformation`), then transform with the drawn numbers.

        ``transformation`` gives the draws instead (see :meth:`apply_transformation`).
        """
        if transformation is None:
            transformation = self.get_random_transformation(x, training)
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        shift = np.asarray(transformation["shift_factor"], dtype=np.uint8).reshape(-1, 1, 1, 1)
        lo, hi = self.value_range
        mapped = (lo, hi) != (0, 255)           # Keras skips the identity map
        as_bytes = ((images - lo) / (hi - lo) * 255 if mapped else images).astype(np.uint8)
        q = ((as_bytes >> shift) << shift).astype(images.dtype)
        y = q / 255 * (hi - lo) + lo if mapped else q
        return self._from_nhwc(y.astype(images.dtype), single), single

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        return np.zeros_like(grad_out)          # piecewise constant: derivative 0 a.e.

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range,
                       "seed": self.seed})
        return config
