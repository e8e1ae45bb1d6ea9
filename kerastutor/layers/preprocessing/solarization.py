r"""Solarization: invert the pixels above a threshold.

On the image mapped to [0, 255]
(:math:`\hat x = 255 (x - v_{lo})/(v_{hi} - v_{lo})`), per image an addition
:math:`\alpha_n` and a threshold :math:`t_n`, and

.. math::

    z = \operatorname{clip}(\hat x + \alpha_n, 0, 255), \qquad
    \hat y = \begin{cases} z & z < t_n \\ 255 - z & \text{otherwise,} \end{cases}
    \qquad y = v_{lo} + \frac{\hat y}{255}(v_{hi} - v_{lo}).

Keras's draws, kept: :math:`\alpha_n \sim U[a_{lo},\, 255\, a_{hi})` and
:math:`t_n \sim U[t_{lo},\, 255\, t_{hi})` -- only the upper end is scaled by 255.
With the defaults (both factors 0) :math:`t = 0`, so every pixel is inverted:
:math:`\hat y = 255 - \hat x`. A number :math:`f` means :math:`[0, f]`.

**The draws** are Keras's, number for number, from the layer's
``SeedGenerator``: ``keras.random.uniform`` of shape ``(N, 1, 1, 1)``
(``(1, 1, 1)`` for one image) for the :math:`\alpha_n`, then the same for the
:math:`t_n`, both in the layer's dtype -- drawn even when a factor is 0 (a
draw on :math:`[0, 0)` is 0, but it moves the generator on). At inference
nothing is drawn. As in Keras, a ``value_range`` of (0, 255) is not mapped.

Not random in Keras's sense of "augmentation only", but like Keras the layer
changes images only while training: at inference it is the identity.

**Backward** (piecewise linear, so differentiable almost everywhere, as
Keras's autograd gives it): the range maps cancel, so

.. math::

    \frac{\partial L}{\partial x} = [0 < \hat x + \alpha_n < 255]\,
    (\pm 1)\, \frac{\partial L}{\partial y}, \qquad +1 \text{ where } z < t_n .
"""
import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    AppliesTransformation, BaseImagePreprocessingLayer, _is_number)
from kerastutor.layers.preprocessing.color_conversions import check_value_range


class Solarization(AppliesTransformation, BaseImagePreprocessingLayer):
    r""":math:`\hat y = z` below the threshold, :math:`255 - z` above it."""

    random = True               # applied only while training (direct call: training)
    has_kinks = True            # the threshold and the clip

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.addition_factor = self._solarization_factor(addition_factor, "addition_factor")
        self.threshold_factor = self._solarization_factor(threshold_factor,
                                                          "threshold_factor")
        self.value_range = check_value_range(type(self).__name__, value_range)
        self._init_seed(seed)

    @staticmethod
    def _solarization_factor(factor, name):
        message = (f"Solarization: the `addition_factor` and `threshold_factor` arguments "
                   f"should be a number (or a list of two numbers) in the range [0, 1]. "
                   f"Received: {name}={factor!r}.")
        values = list(factor) if isinstance(factor, (tuple, list)) else [0, factor]
        if len(values) != 2 or not all(_is_number(v) and 0 <= v <= 1 for v in values):
            raise ValueError(message)
        return tuple(sorted(values))

    def get_random_transformation(self, images, training=True, seed=None):
        """Keras's two draws: ``{"additions", "thresholds"}``, each (N, 1, 1, 1); None at inference.

        ``seed`` (a ``SeedGenerator``) replaces the layer's own generator, as in Keras.
        """
        if not training:
            return None
        batch = self._to_nhwc(images)[0].shape[0]
        seed = self.generator if seed is None else seed
        (a_lo, a_hi), (t_lo, t_hi) = self.addition_factor, self.threshold_factor
        shape = (batch, 1, 1, 1)
        additions = keras_random.uniform(shape, minval=a_lo, maxval=a_hi * 255,
                                         dtype=self.dtype, seed=seed)
        thresholds = keras_random.uniform(shape, minval=t_lo, maxval=t_hi * 255,
                                          dtype=self.dtype, seed=seed)
        return {"additions": additions, "thresholds": thresholds}

    def forward(self, x, training=False, transformation=None):
        """Draw (:meth:`get_random_transformation`), then transform with the drawn numbers.

        ``transformation`` gives the draws instead (see :meth:`apply_transformation`).
        """
        if transformation is None:
            transformation = self.get_random_transformation(x, training)
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        addition = np.asarray(transformation["additions"]).reshape(-1, 1, 1, 1)
        threshold = np.asarray(transformation["thresholds"]).reshape(-1, 1, 1, 1)
        addition, threshold = addition.astype(images.dtype), threshold.astype(images.dtype)
        lo, hi = self.value_range
        mapped = (lo, hi) != (0, 255)           # Keras skips the identity map
        shifted = ((images - lo) / (hi - lo) * 255 if mapped else images) + addition
        z = np.clip(shifted, 0, 255)
        below = z < threshold
        y_hat = np.where(below, z, 255 - z)
        y = (y_hat / 255 * (hi - lo) + lo if mapped else y_hat).astype(images.dtype)
        slope = np.where((shifted > 0) & (shifted < 255), np.where(below, 1, -1), 0)
        return self._from_nhwc(y, single), (slope.astype(images.dtype), single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        slope, single = cache
        grad, _ = self._to_nhwc(grad_out)
        return self._from_nhwc(slope * grad, single)

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range,
                       "addition_factor": self.addition_factor,
                       "threshold_factor": self.threshold_factor, "seed": self.seed})
        return config
