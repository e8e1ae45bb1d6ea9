r"""RandomSharpness: move each image away from (or toward) a smoothed copy of itself.

The smoothing kernel (depthwise, zero padding at the borders, sum 1):

.. math::

    K = \frac{1}{13}\begin{pmatrix} 1 & 1 & 1 \\ 1 & 5 & 1 \\ 1 & 1 & 1 \end{pmatrix}.

Per image :math:`f_n \sim U[f_{lo}, f_{hi})` (``factor`` in [0, 1]) and
:math:`s_n = 2 f_n`:

.. math::

    z = x + (1 - s_n)(K * x - x) = s_n\,x + (1 - s_n)\,K * x, \qquad
    y = \operatorname{clip}(z, v_{lo}, v_{hi}).

:math:`s = 1` (``f = 0.5``) keeps the image, :math:`s < 1` blurs, :math:`s > 1` sharpens.

**Backward.** With :math:`\tilde g = [v_{lo} < z < v_{hi}]\, g` and :math:`K^\top`
the kernel turned by 180 degrees (the adjoint of the convolution):

.. math:: \frac{\partial L}{\partial x} = s_n\,\tilde g + (1 - s_n)\, K^\top * \tilde g .

**The draw** is Keras's, number for number: ``keras.random.uniform((N,),
f_lo, f_hi)`` in float32 from the layer's ``SeedGenerator`` (:math:`N = 1` for
one image). Keras draws it **at inference too** (and then leaves the images
alone), so the generator moves on with every call, ``training=False``
included; so does this layer's.
"""
import numpy as np

from kerastutor import random as keras_random

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    AppliesTransformation, BaseImagePreprocessingLayer)
from kerastutor.layers.preprocessing.color_conversions import (
    check_value_range, depthwise_conv_same, depthwise_conv_same_backward)

SMOOTH_KERNEL = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]]) / 13.0


class RandomSharpness(AppliesTransformation, BaseImagePreprocessingLayer):
    r""":math:`y = \operatorname{clip}(s x + (1 - s) K * x)`, :math:`s = 2 U[f_{lo}, f_{hi})`."""

    random = True
    has_kinks = True            # the clip
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self.value_range = check_value_range(type(self).__name__, value_range)
        self._init_seed(seed)

    def get_random_transformation(self, images, training=True, seed=None):
        """Keras's draw: ``{"factor": f}`` of shape (N,), whatever ``training`` is.

        ``seed`` (a ``SeedGenerator``) replaces the layer's own generator, as in Keras.
        """
        batch = self._to_nhwc(images)[0].shape[0]
        f = keras_random.uniform((batch,), minval=self.factor[0], maxval=self.factor[1],
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
        f = np.asarray(transformation["factor"]).reshape(-1, 1, 1, 1)
        s = (2 * f).astype(images.dtype)
        kernel = SMOOTH_KERNEL.astype(images.dtype)
        z = images + (1 - s) * (depthwise_conv_same(images, kernel) - images)
        lo, hi = self.value_range
        inside = (z > lo) & (z < hi)
        return self._from_nhwc(np.clip(z, lo, hi), single), (s, inside, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        s, inside, single = cache
        grad, _ = self._to_nhwc(grad_out)
        g = np.where(inside, grad, 0)
        kernel = SMOOTH_KERNEL.astype(g.dtype)
        grad_in = s * g + (1 - s) * depthwise_conv_same_backward(g, kernel)
        return self._from_nhwc(grad_in, single)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range,
                       "seed": self.seed})
        return config
