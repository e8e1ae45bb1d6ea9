r"""RandomBrightness: add a random constant to each image.

Per image :math:`n` one shift :math:`\delta_n = u_n (v_{hi} - v_{lo})`,
:math:`u_n \sim U[f_{lo}, f_{hi})`, and

.. math::

    y = \operatorname{clip}(x + \delta_n,\ v_{lo}, v_{hi}), \qquad
    \frac{\partial L}{\partial x} = [v_{lo} < x + \delta_n < v_{hi}]\;
    \frac{\partial L}{\partial y}.
"""
import numpy as np

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer


class RandomBrightness(BaseImagePreprocessingLayer):
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

    def forward(self, x, training=False):
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        lo, hi = self.value_range
        delta = self._generator().uniform(*self.factor, size=(images.shape[0], 1, 1, 1))
        z = images + (delta * (hi - lo)).astype(images.dtype)
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
