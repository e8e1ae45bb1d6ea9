r"""RandomContrast: scale each image's deviation from its mean by a random factor.

Per image :math:`n` one factor :math:`a_n \sim U[1 - f_{lo},\, 1 + f_{hi})`
(``factor`` lies in [0, 1], so ``RandomContrast(0.5)`` draws from
:math:`U[1, 1.5)` -- Keras's rule), and with the per-channel mean over the
pixels :math:`\mu_{n,c} = \frac{1}{HW}\sum_{i,j} x_{n,i,j,c}`:

.. math::

    z = a_n (x - \mu) + \mu = a_n x + (1 - a_n)\mu, \qquad
    y = \operatorname{clip}(z, v_{lo}, v_{hi}).

The input is not rescaled to ``value_range``; only the output is clipped.

**The draw** is Keras's, number for number: in training, one
``keras.random.uniform`` of shape ``(N, 1, 1, 1)`` (``(1, 1, 1)`` for one
image: the same single number), ``minval`` :math:`1 - f_{lo}`, ``maxval``
:math:`1 + f_{hi}`, in the layer's dtype, from the layer's ``SeedGenerator``
(:meth:`RandomContrast.get_random_transformation`). At inference nothing is
drawn, so a seeded layer gives Keras's NumPy-backend images call for call.

**Backward.** With :math:`m = [v_{lo} < z < v_{hi}]` (the clip passes the
gradient only where it did not clip) and :math:`\tilde g = m \odot g`,

.. math::

    \frac{\partial L}{\partial x_{n,i,j,c}} = a_n \tilde g_{n,i,j,c} +
    \frac{1 - a_n}{HW}\sum_{i',j'} \tilde g_{n,i',j',c},

the second term because every pixel moves the mean.
"""
import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    AppliesTransformation, BaseImagePreprocessingLayer)


class RandomContrast(AppliesTransformation, BaseImagePreprocessingLayer):
    r""":math:`y = \operatorname{clip}(a (x - \mu) + \mu,\ v_{lo}, v_{hi})`, :math:`a \sim U[1-f_{lo}, 1+f_{hi})`."""

    random = True
    has_kinks = True            # the clip
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = self._set_factor(factor)
        self.value_range = value_range
        self._init_seed(seed)

    def get_random_transformation(self, images, training=True, seed=None):
        """Keras's draw: ``{"contrast_factor": a}``, ``a`` of shape (N, 1, 1, 1); None at inference.

        ``seed`` (a ``SeedGenerator``) replaces the layer's own generator, as in
        Keras, for a layer that draws on another's behalf (``RandomColorJitter``).
        """
        if not training:
            return None
        batch = self._to_nhwc(images)[0].shape[0]
        lo, hi = self.factor
        a = keras_random.uniform((batch, 1, 1, 1), minval=1.0 - lo, maxval=1.0 + hi,
                                 dtype=self.dtype,
                                 seed=self.generator if seed is None else seed)
        return {"contrast_factor": a}

    def forward(self, x, training=False, transformation=None):
        """Draw (:meth:`get_random_transformation`), then transform with the drawn numbers.

        ``transformation`` gives the draws instead (see :meth:`apply_transformation`).
        """
        if transformation is None:
            transformation = self.get_random_transformation(x, training)
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        a = np.asarray(transformation["contrast_factor"]).reshape(-1, 1, 1, 1)
        a = a.astype(images.dtype)
        mean = images.mean(axis=(1, 2), keepdims=True)
        z = (images - mean) * a + mean
        y = np.clip(z, self.value_range[0], self.value_range[1])
        inside = (z > self.value_range[0]) & (z < self.value_range[1])
        return self._from_nhwc(y, single), (a, inside, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        a, inside, single = cache
        grad, _ = self._to_nhwc(grad_out)
        g = np.where(inside, grad, 0)
        grad_in = a * g + (1 - a) * g.mean(axis=(1, 2), keepdims=True)
        return self._from_nhwc(grad_in, single)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range,
                       "seed": self.seed})
        return config
