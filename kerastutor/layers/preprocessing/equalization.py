r"""Equalization: spread each channel's histogram over the whole value range.

On values mapped to [0, 255] (:math:`\hat x = 255 (x - v_{lo})/(v_{hi} - v_{lo})`),
with :math:`B` bins (``bins``), each value falls in bin
:math:`k = \lfloor \hat x (B - 1)/255 \rfloor` (clipped to :math:`[0, B-1]`).
For each channel :math:`c` -- counted over **the whole batch**, as Keras does --
the histogram :math:`h_k`, its running sum :math:`C_k = \sum_{k' \le k} h_{k'}`,
and :math:`C_{\min}` its first non-zero value give the lookup table

.. math::

    \operatorname{lut}_k = \operatorname{clip}\Big(\operatorname{round}
        \frac{255\,(C_k - C_{\min})}{C_{B-1} - C_{\min}}, 0, 255\Big), \qquad
    y = v_{lo} + \frac{\operatorname{lut}_{k(\hat x)}}{255}(v_{hi} - v_{lo}).

A channel whose values all fall in one bin is left as it is.

Not random, but like Keras the layer changes images only while training
(called directly it trains; at inference it is the identity).

**Not differentiable** in a useful sense: the output is piecewise constant, so
its derivative is 0 almost everywhere (undefined at the bin edges). The
backward returns that 0 -- which is also what Keras's autograd gives -- and the
identity for a channel left unchanged.
"""
import numpy as np

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer
from kerastutor.layers.preprocessing.color_conversions import check_value_range


class Equalization(BaseImagePreprocessingLayer):
    r""":math:`y = \operatorname{lut}(x)`: each channel's values mapped through its cumulative histogram."""

    random = True               # applied only while training, as in Keras
    has_kinks = True            # piecewise constant

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins < 1:
            raise ValueError(f"Equalization: `bins` must be a positive integer. Received: "
                             f"bins={bins!r}. Fix: e.g. bins=256.")
        self.bins = bins
        self.value_range = check_value_range(type(self).__name__, value_range)

    def lookup_tables(self, scaled):
        """``(C, bins)`` tables from the values in [0, 255] (the histogram of each channel)."""
        bins, channels = self.bins, scaled.shape[-1]
        index = np.clip((scaled * (bins - 1) / 255).astype(np.int32), 0, bins - 1)
        index = index.reshape(-1, channels) + np.arange(channels) * bins
        hist = np.bincount(index.ravel(), minlength=bins * channels).reshape(channels, bins)
        cdf = np.cumsum(hist, axis=1)
        cdf_min = np.take_along_axis(cdf, (cdf > 0).argmax(axis=1)[:, None], axis=1)
        denominator = cdf[:, -1:] - cdf_min
        denominator = np.where(denominator == 0, 1, denominator)
        table = np.clip(np.round((cdf - cdf_min) * 255 / denominator), 0, 255)
        keep = (hist > 0).sum(axis=1) <= 1                   # one bin: channel unchanged
        return table, keep

    def forward(self, x, training=False):
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        images = images.astype(np.result_type(images.dtype, np.float32))
        lo, hi = self.value_range
        scale = 255.0 / (hi - lo)
        scaled = images * scale - lo * scale
        table, keep = self.lookup_tables(scaled)
        index = np.clip(scaled / 255.0 * (self.bins - 1), 0, self.bins - 1).astype(np.int32)
        equalized = table[np.arange(images.shape[-1]), index]   # table[c, index[..., c]]
        equalized = np.where(keep, scaled, equalized)
        y = (equalized * ((hi - lo) / 255.0) + lo).astype(images.dtype)
        return self._from_nhwc(y, single), (keep, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        keep, single = cache
        grad, _ = self._to_nhwc(grad_out)
        return self._from_nhwc(np.where(keep, grad, 0), single)

    def get_config(self):
        config = super().get_config()
        config.update({"bins": self.bins, "value_range": self.value_range})
        return config
