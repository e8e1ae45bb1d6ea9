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

from kerastutor import backend
from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer, _is_number)


def box_masks(starts_x, lengths_x, starts_y, lengths_y, height, width):
    """``(N, H, W, 1)`` masks: :math:`x_0 \\le c < x_0 + \\ell_w`, :math:`y_0 \\le r < y_0 + \\ell_h`.

    The ends :math:`x_0 + \\ell_w` are summed in the dtype of the inputs (float32
    in the layers, as in Keras), so a box edge that lands on a pixel boundary
    falls on the same side as in Keras.
    """
    r = np.arange(height, dtype=np.float64)[None, :, None, None]
    c = np.arange(width, dtype=np.float64)[None, None, :, None]
    x0, y0 = starts_x[:, None, None, None], starts_y[:, None, None, None]
    x1, y1 = x0 + lengths_x[:, None, None, None], y0 + lengths_y[:, None, None, None]
    return (c >= x0) & (c < x1) & (r >= y0) & (r < y1)


def random_boxes(seed, batch, height, width, ratio_w, ratio_h):
    """Boxes of sides ``ratio * size`` at uniform positions (Keras's ``_compute_crop_bounds``).

    Two draws, in Keras's order: the x starts, then the y starts, each
    ``keras.random.uniform((batch,), 0, 1, seed=seed)``; all in float32 as Keras.
    """
    dtype = backend.floatx()
    length_x = (ratio_w * width).astype(dtype)
    start_x = keras_random.uniform((batch,), 0.0, 1.0, dtype=dtype, seed=seed) * \
        (width - length_x)
    length_y = (ratio_h * height).astype(dtype)
    start_y = keras_random.uniform((batch,), 0.0, 1.0, dtype=dtype, seed=seed) * \
        (height - length_y)
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

    def get_random_transformation(self, x, training=True, seed=None):
        """Keras's draws, in Keras's order and shapes, from ``seed`` (default: the layer's generator).

        Per call, with :math:`B` images (1 for a single image):
        ``uniform((B, 2), *scale)`` (area fractions; width then height),
        ``uniform((B,))`` x starts, ``uniform((B,))`` y starts,
        ``uniform((B,), *factor)`` probabilities, ``uniform((B,))`` thresholds, and
        -- only for ``fill_value=None`` -- ``normal(x.shape)`` noise (drawn in
        the input's own layout). All float32. Returns the channels-last ``erase``
        mask ``(B, H, W, 1)`` and the fill values ``(B, H, W, C)``; ``None`` at inference.
        """
        if not training:
            return None
        images, _ = self._to_nhwc(x)
        batch, height, width, _ = images.shape
        seed = seed or self.generator
        dtype = backend.floatx()
        ratios = np.sqrt(keras_random.uniform((batch, 2), *self.scale, dtype=dtype, seed=seed))
        boxes = random_boxes(seed, batch, height, width, ratios[:, 0], ratios[:, 1])
        probability = keras_random.uniform((batch,), *self.factor, seed=seed)
        apply = keras_random.uniform((batch,), 0.0, 1.0, seed=seed) < probability
        if self.fill_value is None:
            noise = keras_random.normal(np.shape(x), dtype=dtype, seed=seed)
            fill = self._to_nhwc(noise)[0] * self.value_range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, dtype=dtype), images.shape)
        return {"erase": box_masks(*boxes, height, width) & apply[:, None, None, None],
                "fill_value": np.clip(fill, *self.value_range)}

    def forward(self, x, training=False):
        transformation = self.get_random_transformation(x, training=training)
        if transformation is None:
            return x, None
        images, single = self._to_nhwc(x)
        erase = transformation["erase"]
        y = np.where(erase, transformation["fill_value"], images).astype(images.dtype,
                                                                          copy=False)
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
