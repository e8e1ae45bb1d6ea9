r"""AutoContrast: stretch each channel of each image to fill the value range.

Per image :math:`n` and channel :math:`c`, with the channel's smallest and
largest pixel :math:`\ell = \min_{i,j} x_{n,i,j,c}`, :math:`h = \max_{i,j} x_{n,i,j,c}`:

.. math::

    u = \frac{x - \ell}{h - \ell}, \qquad y = v_{lo} + (v_{hi} - v_{lo})\,u

(Keras computes this on the image mapped to [0, 255] and maps back; the maps
cancel). A constant channel (:math:`h = \ell`) is returned unchanged. Not random:
applied in training and at inference alike.

**Backward** (differentiable almost everywhere; like autograd, the gradient
also flows into the pixels that are the minimum and the maximum, shared
evenly on ties). With :math:`\tilde g = (v_{hi} - v_{lo})\,g`,
:math:`D = h - \ell`, :math:`S = \sum_{i,j} \tilde g` and
:math:`T = \sum_{i,j} \tilde g\, u`:

.. math::

    \frac{\partial L}{\partial x} = \frac{\tilde g}{D}
      + e_{\ell}\, \frac{T - S}{D} - e_{h}\, \frac{T}{D},

:math:`e_\ell`, :math:`e_h` marking the minimum and maximum pixels. A constant
channel passes the gradient unchanged (Keras's autograd gives NaN there: its
``0 * inf`` is hidden by a ``where`` in the forward pass but not in the backward).
"""
import numpy as np

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer
from kerastutor.layers.preprocessing.color_conversions import check_value_range


class AutoContrast(BaseImagePreprocessingLayer):
    r""":math:`y = v_{lo} + (v_{hi} - v_{lo})(x - \min x)/(\max x - \min x)` per channel."""

    has_kinks = True            # which pixel is the min/max

    def __init__(self, value_range=(0, 255), **kwargs):
        super().__init__(**kwargs)
        self.value_range = check_value_range(type(self).__name__, value_range)

    def forward(self, x, training=False):
        images, single = self._to_nhwc(x)
        integer = not np.issubdtype(images.dtype, np.floating)
        work = images.astype("float32") if integer else images
        low = work.min(axis=(1, 2), keepdims=True)
        high = work.max(axis=(1, 2), keepdims=True)
        flat = high == low                                   # constant channel: kept
        span = np.where(flat, 1, high - low)
        u = np.clip((work - low) / span, 0, 1)
        lo, hi = self.value_range
        y = np.where(flat, work, lo + (hi - lo) * u)
        if integer:
            info = np.iinfo(images.dtype)
            y = np.clip(np.round(y), info.min, info.max).astype(images.dtype)
        else:
            y = y.astype(images.dtype)
        at_low = (work == low) / (work == low).sum(axis=(1, 2), keepdims=True)
        at_high = (work == high) / (work == high).sum(axis=(1, 2), keepdims=True)
        return self._from_nhwc(y, single), (u, span, flat, at_low, at_high, single)

    def backward(self, cache, grad_out):
        u, span, flat, at_low, at_high, single = cache
        lo, hi = self.value_range
        grad, _ = self._to_nhwc(grad_out)
        g = grad * (hi - lo)
        total = g.sum(axis=(1, 2), keepdims=True)
        weighted = (g * u).sum(axis=(1, 2), keepdims=True)
        grad_in = (g + at_low * (weighted - total) - at_high * weighted) / span
        return self._from_nhwc(np.where(flat, grad, grad_in), single)

    def get_config(self):
        config = super().get_config()
        config["value_range"] = self.value_range
        return config
