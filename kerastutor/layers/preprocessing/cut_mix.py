r"""CutMix: paste a box from another image of the batch, and mix labels by area (Yun et al., 2019).

Per batch: :math:`\alpha \sim U[f_{lo}, f_{hi}) + 10^{-6}` and a permutation
:math:`\pi`. Per image: :math:`\lambda_n \sim \mathrm{Beta}(\alpha, \alpha)`,
a box of sides :math:`\ell_w = \sqrt{1-\lambda_n}\, W`,
:math:`\ell_h = \sqrt{1-\lambda_n}\, H` at :math:`x_0 = u(W - \ell_w)`,
:math:`y_0 = v(H - \ell_h)`, and its pixel mask
:math:`M_{r,c} = [x_0 \le c < x_0 + \ell_w][y_0 \le r < y_0 + \ell_h]`.

.. math::

    \tilde x_n = (1 - M_n) \odot x_n + M_n \odot x_{\pi(n)}, \qquad
    \tilde y_n = w_n y_n + (1 - w_n)\, y_{\pi(n)}, \quad
    w_n = 1 - \frac{\ell_w \ell_h}{W H}

(the label weight uses the box's real area, as Keras does, not its pixel
count). Labels come with the images as ``{"images": x, "labels": y}``. A
single image (rank 3) is returned unchanged.

**Backward** (linear in the images):
:math:`\partial L/\partial x_m = (1 - M_m) \odot g_m + \sum_{\pi(n) = m} M_n \odot g_n`.
"""
import numpy as np

from kerastutor import backend
from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer
from kerastutor.layers.preprocessing.mix_up import (join_data, mix, mix_backward,
                                                      split_data)
from kerastutor.layers.preprocessing.random_erasing import box_masks, random_boxes


class CutMix(BaseImagePreprocessingLayer):
    r"""Replaces a box of each image by the same box of a partner image; labels mixed by area.

    ``factor`` in :math:`[0, 1]`: the range of the Beta parameter :math:`\alpha`
    (a number :math:`f` means :math:`[0, f]`).
    """

    random = True
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.factor = self._set_factor(factor)
        self._init_seed(seed)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_random_transformation(self, data, training=True, seed=None):
        """Keras's draws from ``seed`` (default: the layer's generator), in Keras's order.

        ``uniform((), *factor) + 1e-6`` (:math:`\\alpha`), ``beta((B,), alpha, alpha)``
        (:math:`\\lambda`), ``uniform((B,))`` x starts, ``uniform((B,))`` y starts, and
        ``shuffle(arange(B))`` (:math:`\\pi`, int32) -- all float32 as Keras. ``None``
        (no draws) at inference and for a single image.
        """
        images, _, _ = split_data(self, data)
        if not training or np.ndim(images) == 3:
            return None
        batch, height, width, _ = self._to_nhwc(images)[0].shape
        seed = seed or self.generator
        dtype = backend.floatx()
        alpha = keras_random.uniform((), *self.factor, dtype=dtype, seed=seed) + np.float32(1e-6)
        weight = keras_random.beta((batch,), alpha, alpha, dtype=dtype, seed=seed)
        ratio = np.sqrt(1.0 - weight)
        start_x, length_x, start_y, length_y = random_boxes(seed, batch, height, width,
                                                            ratio, ratio)
        # Keras's label weight, 1 - (x1 - x0)(y1 - y0) / (W H), in float32 as Keras
        # (x1 - x0 is the box side, up to float32 round-off)
        side_x = (start_x + length_x) - start_x
        side_y = (start_y + length_y) - start_y
        permutation = keras_random.shuffle(np.arange(batch, dtype="int32"), seed=seed)
        return {"mask": box_masks(start_x, length_x, start_y, length_y, height, width),
                "mix_weight": 1.0 - side_x * side_y / (width * height),
                "permutation_order": np.asarray(permutation)}

    def forward(self, data, training=False):
        transformation = self.get_random_transformation(data, training=training)
        if transformation is None:
            return data, None
        images, labels, was_dict = split_data(self, data)
        batched, single = self._to_nhwc(images)
        mask = transformation["mask"]
        label_weight = transformation["mix_weight"]
        permutation = transformation["permutation_order"]
        mixed = np.where(mask, batched[permutation], batched)
        if labels is not None:
            labels = mix(labels, label_weight, permutation)
        cache = (mask, label_weight, permutation, single)
        return join_data(self._from_nhwc(mixed, single), labels, was_dict), cache

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        mask, label_weight, permutation, single = cache
        grad_images, grad_labels, was_dict = split_data(self, grad_out)
        grad, _ = self._to_nhwc(grad_images)
        grad_in = np.where(mask, 0, grad)
        np.add.at(grad_in, permutation, np.where(mask, grad, 0))
        if grad_labels is not None:
            grad_labels = mix_backward(grad_labels, label_weight, permutation)
        return join_data(self._from_nhwc(grad_in, single), grad_labels, was_dict)

    def get_config(self):
        config = super().get_config()
        config.update({"factor": self.factor, "seed": self.seed})
        return config
