r"""RandomInvert: turn some images into their negative.

Per image a probability :math:`p_n \sim U[f_{lo}, f_{hi})` and a threshold
:math:`u_n \sim U[0, 1)`; the image is inverted when :math:`u_n < p_n`:

.. math::

    y = \begin{cases} v_{hi} - x & u_n < p_n \\ x & \text{otherwise,} \end{cases}
    \qquad
    \frac{\partial L}{\partial x} = \mp \frac{\partial L}{\partial y}.

Keras subtracts from the *upper* end of ``value_range`` only
(:math:`v_{hi} - x`, not :math:`v_{lo} + v_{hi} - x`), so with a range that
does not start at 0 the result leaves the range; kept as Keras has it.
``factor`` lies in [0, 1]; the default ``1.0`` means :math:`p \sim U[0, 1)`,
so about half the images are inverted.

**The draws** are Keras's, number for number, from the layer's
``SeedGenerator``: ``keras.random.uniform((N,), f_lo, f_hi)`` for the
:math:`p_n`, then ``keras.random.uniform((N,), 0, 1)`` for the :math:`u_n`,
both float32 (:math:`N = 1` for one image). At inference nothing is drawn.
"""
import numpy as np

from kerastutor import random as keras_random

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    AppliesTransformation, BaseImagePreprocessingLayer)


class RandomInvert(AppliesTransformation, BaseImagePreprocessingLayer):
    r""":math:`y = v_{hi} - x` with probability :math:`p \sim U[f_{lo}, f_{hi})`."""

    random = True
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self.value_range = value_range
        self._init_seed(seed)

    def get_random_transformation(self, images, training=True, seed=None):
        """Keras's two draws: ``{"apply_inversion": u < p}`` of shape (N,); None at inference.

        ``seed`` (a ``SeedGenerator``) replaces the layer's own generator, as in Keras.
        """
        if not training:
            return None
        batch = self._to_nhwc(images)[0].shape[0]
        seed = self.generator if seed is None else seed
        probability = keras_random.uniform((batch,), minval=self.factor[0],
                                           maxval=self.factor[1], seed=seed)
        threshold = keras_random.uniform((batch,), minval=0, maxval=1, seed=seed)
        return {"apply_inversion": threshold < probability}

    def forward(self, x, training=False, transformation=None):
        """Draw (:meth:`get_random_transformation`), then transform with the drawn numbers.

        ``transformation`` gives the draws instead (see :meth:`apply_transformation`).
        """
        if transformation is None:
            transformation = self.get_random_transformation(x, training)
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        invert = np.asarray(transformation["apply_inversion"]).reshape(-1, 1, 1, 1)
        y = np.where(invert, self.value_range[1] - images, images)
        return self._from_nhwc(y.astype(images.dtype), single), (invert, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        invert, single = cache
        grad, _ = self._to_nhwc(grad_out)
        return self._from_nhwc(np.where(invert, -grad, grad), single)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range,
                       "seed": self.seed})
        return config
