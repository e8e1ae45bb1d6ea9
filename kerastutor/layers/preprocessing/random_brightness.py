r"""RandomBrightness: add a random constant to each image.

Per image :math:`n` one shift :math:`\delta_n = u_n (v_{hi} - v_{lo})`,
:math:`u_n \sim U[f_{lo}, f_{hi})`, and

.. math::

    y = \operatorname{clip}(x + \delta_n,\ v_{lo}, v_{hi}), \qquad
    \frac{\partial L}{\partial x} = [v_{lo} < x + \delta_n < v_{hi}]\;
    \frac{\partial L}{\partial y}.

**The draw** is Keras's, number for number: in training, one
``keras.random.uniform`` of shape ``(N, 1, 1, 1)`` (``(1, 1, 1)`` for one
image: the same single number) on :math:`[f_{lo}, f_{hi})`, in float32, from
the layer's ``SeedGenerator``; it is scaled by :math:`v_{hi} - v_{lo}` in float32
and then cast to the images' dtype. At inference nothing is drawn.
"""
import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    AppliesTransformation, BaseImagePreprocessingLayer)


class RandomBrightness(AppliesTransformation, BaseImagePreprocessingLayer):
    r""":math:`y = \operatorname{clip}(x + \delta, v_{lo}, v_{hi})`, :math:`\delta = U[f_{lo}, f_{hi}) (v_{hi} - v_{lo})`."""

    random = True
    has_kinks = True            # the clip

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = self._set_factor(factor)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(
                "RandomBrightness: the value_range argument should be a list of two numbers. "
                f"Received: value_range={value_range!r}. Fix: e.g. value_range=(0, 255).")
        self.value_range = sorted(value_range)
        self._init_seed(seed)

    def get_random_transformation(self, images, training=True, seed=None):
        """Keras's draw: ``{"rgb_delta": delta}`` of shape (N, 1, 1, 1); None at inference.

        ``seed`` (a ``SeedGenerator``) replaces the layer's own generator, as in
        Keras, for a layer that draws on another's behalf (``RandomColorJitter``).
        """
        if not training:
            return None
        batch = self._to_nhwc(images)[0].shape[0]
        u = keras_random.uniform((batch, 1, 1, 1), minval=self.factor[0],
                                 maxval=self.factor[1],
                                 seed=self.generator if seed is None else seed)
        return {"rgb_delta": u * (self.value_range[1] - self.value_range[0])}

    def forward(self, x, training=False, transformation=None):
        """Draw (:meth:`get_random_transformation`), then transform with the drawn numbers.

        ``transformation`` gives the draws instead (see :meth:`apply_transformation`).
        """
        if transformation is None:
            transformation = self.get_random_transformation(x, training)
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        lo, hi = self.value_range
        delta = np.asarray(transformation["rgb_delta"]).reshape(-1, 1, 1, 1)
        z = images + delta.astype(images.dtype)
        inside = (z > lo) & (z < hi)
        return self._from_nhwc(np.clip(z, lo, hi), single), (inside, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        inside, single = cache
        grad, _ = self._to_nhwc(grad_out)
        return self._from_nhwc(np.where(inside, grad, 0), single)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range,
                       "seed": self.seed})
        return config
