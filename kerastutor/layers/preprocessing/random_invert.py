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
"""
import numpy as np

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer


class RandomInvert(BaseImagePreprocessingLayer):
    r""":math:`y = v_{hi} - x` with probability :math:`p \sim U[f_{lo}, f_{hi})`."""

    random = True
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self.value_range = value_range
        self._init_seed(seed)

    def forward(self, x, training=False):
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        n = images.shape[0]
        generator = self._generator()
        probability = generator.uniform(*self.factor, size=n)
        threshold = generator.uniform(0, 1, size=n)
        invert = (threshold < probability)[:, None, None, None]
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
