r"""RandomErasing: overwrite a random box of each image (Zhong et al., 2017).

Per image :math:`n` two area fractions :math:`a_w, a_h \sim U[s_{lo}, s_{hi})`
(``scale``) give the box sides :math:`\ell_w = \sqrt{a_w}\, W`,
:math:`\ell_h = \sqrt{a_h}\, H`; the box starts at
:math:`x_0 = u (W - \ell_w)`, :math:`y_0 = v (H - \ell_h)`
(:math:`u, v \sim U[0, 1)`) and covers the pixels

.. math:: M_{r,c} = [x_0 \le c < x_0 + \ell_w]\,[y_0 \le r < y_0 + \ell_h].

The image is erased with probability :math:`p \sim U[f_{lo}, f_{hi})`
(``factor``; applied when :math:`u' < p`):

.. math:: y = \begin{cases} F & \text{where } M \text{ and applied} \\ x & \text{elsewhere} \end{cases}

with :math:`F` = ``fill_value`` (a number, or one per channel), or, when it is
``None``, Gaussian noise :math:`\mathcal N(0, 1)\, v_{hi}` -- always clipped to
``value_range``.

**Backward:** :math:`\partial L/\partial x = (1 - M_{\text{applied}}) \odot
\partial L/\partial y` -- the erased pixels no longer depend on the input.
"""
import numpy as np

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer, _is_number)


def box_masks(starts_x, lengths_x, starts_y, lengths_y, height, width):
    """``(N, H, W, 1)`` masks: :math:`x_0 \\le c < x_0 + \\ell_w`, :math:`y_0 \\le r < y_0 + \\ell_h`."""
    r = np.arange(height, dtype=np.float64)[None, :, None, None]
    c = np.arange(width, dtype=np.float64)[None, None, :, None]
    x0, y0 = starts_x[:, None, None, None], starts_y[:, None, None, None]
    x1, y1 = x0 + lengths_x[:, None, None, None], y0 + lengths_y[:, None, None, None]
    return (c >= x0) & (c < x1) & (r >= y0) & (r < y1)


def random_boxes(rng, batch, height, width, ratio_w, ratio_h):
    """Boxes of sides ``ratio * size`` at uniform positions (Keras's ``_compute_crop_bounds``)."""
    length_x, length_y = ratio_w * width, ratio_h * height
    start_x = rng.uniform(0.0, 1.0, size=batch) * (width - length_x)
    start_y = rng.uniform(0.0, 1.0, size=batch) * (height - length_y)
    return start_x, length_x, start_y, length_y


class RandomErasing(BaseImagePreprocessingLayer):
    r"""Replaces a random box (area fraction :math:`\sim U[s_{lo}, s_{hi})` per side) by ``fill_value``.

    Keras's quirk, kept: the probability itself is drawn, :math:`p \sim U[f_{lo}, f_{hi})`,
    so the default ``factor=1.0`` (:math:`p \sim U[0, 1)`) transforms about **half**
    the images, not all; ``factor=(1, 1)`` transforms every one.

    **Backward:** the gradient is zero inside the erased boxes, passed through elsewhere.
    """

    random = True
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self.scale = self._set_factor(scale, name="scale")
        if fill_value is not None and not _is_number(fill_value) and not (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3):
            raise ValueError(
                "RandomErasing: the `fill_value` argument should be a number (or a list of "
                f"three numbers). Received: fill_value={fill_value!r}. Fix: e.g. "
                "fill_value=0, fill_value=(124, 116, 104), or None for random noise.")
        self.fill_value = fill_value
        self.value_range = value_range
        self._init_seed(seed)

    def forward(self, x, training=False):
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        batch, height, width, _ = images.shape
        rng = self._generator()
        ratios = np.sqrt(rng.uniform(*self.scale, size=(batch, 2)))     # sqrt of area fractions
        boxes = random_boxes(rng, batch, height, width, ratios[:, 0], ratios[:, 1])
        probability = rng.uniform(*self.factor, size=batch)
        apply = rng.uniform(0.0, 1.0, size=batch) < probability
        erase = box_masks(*boxes, height, width) & apply[:, None, None, None]
        if self.fill_value is None:
            fill = rng.standard_normal(size=images.shape) * self.value_range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, dtype=np.float64), images.shape)
        fill = np.clip(fill, *self.value_range)
        y = np.where(erase, fill, images).astype(images.dtype, copy=False)
        return self._from_nhwc(y, single), (erase, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        erase, single = cache
        grad, _ = self._to_nhwc(grad_out)
        return self._from_nhwc(np.where(erase, 0, grad), single)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "scale": self.scale,
                       "fill_value": self.fill_value, "value_range": self.value_range,
                       "seed": self.seed})
        return config
