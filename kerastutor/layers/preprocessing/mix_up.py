r"""MixUp: blend each image (and its label) with another image of the batch (Zhang et al., 2018).

Per batch a random permutation :math:`\pi` pairs image :math:`n` with image
:math:`\pi(n)`; per image a weight :math:`\lambda_n \sim \mathrm{Beta}(\alpha, \alpha)`
mixes both the images and the (one-hot) labels:

.. math::

    \tilde x_n = \lambda_n x_n + (1 - \lambda_n)\, x_{\pi(n)}, \qquad
    \tilde y_n = \lambda_n y_n + (1 - \lambda_n)\, y_{\pi(n)} .

Give the labels with the images as a dict, ``layer({"images": x, "labels": y})``
(Keras's convention); an array alone is treated as images.

**Backward:** the map is linear in the images (and in the labels). Each
output :math:`n` sends :math:`\lambda_n g_n` back to :math:`x_n` and
:math:`(1-\lambda_n) g_n` to its partner :math:`x_{\pi(n)}`:

.. math::

    \frac{\partial L}{\partial x_m} = \lambda_m g_m + \sum_{n:\ \pi(n) = m} (1 - \lambda_n)\, g_n .
"""
import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer

DATA_KEYS = ("images", "labels")


def split_data(layer, data):
    """``(images, labels or None, was_dict)`` from an array or an images/labels dict."""
    if not isinstance(data, dict):
        return data, None, False
    unknown = sorted(set(data) - set(DATA_KEYS))
    if "images" not in data or unknown:
        raise ValueError(
            f"{type(layer).__name__}: a dict input must hold 'images' (and optionally "
            f"'labels'); got keys {sorted(data)}. Fix: pass {{'images': x, 'labels': y}}"
            + (f" (kerastutor does not transform {unknown})." if unknown else "."))
    return data["images"], data.get("labels"), True


def join_data(images, labels, was_dict):
    if not was_dict:
        return images
    return {"images": images} if labels is None else {"images": images, "labels": labels}


def mix(values, weight, permutation):
    r""":math:`w_n v_n + (1 - w_n) v_{\pi(n)}` along the first axis."""
    w = weight.reshape((-1,) + (1,) * (values.ndim - 1)).astype(values.dtype)
    return w * values + (1 - w) * values[permutation]


def mix_backward(grad, weight, permutation):
    r"""The transpose of :func:`mix`: :math:`w_m g_m + \sum_{\pi(n) = m} (1 - w_n) g_n`."""
    w = weight.reshape((-1,) + (1,) * (grad.ndim - 1)).astype(grad.dtype)
    grad_in = w * grad
    np.add.at(grad_in, permutation, (1 - w) * grad)
    return grad_in


class MixUp(BaseImagePreprocessingLayer):
    r""":math:`\tilde x = \lambda x + (1-\lambda) x_\pi`, :math:`\lambda \sim \mathrm{Beta}(\alpha, \alpha)`, labels alike.

    ``alpha``: the Beta distribution's parameter (small: :math:`\lambda` near 0 or 1).
    """

    random = True

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.alpha = alpha
        self._init_seed(seed)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_random_transformation(self, data, training=True, seed=None):
        """Keras's two draws from ``seed`` (default: the layer's generator).

        ``shuffle(arange(B))`` -- the permutation :math:`\\pi` (int64) -- then
        ``beta((B,), alpha, alpha)`` -- the weights :math:`\\lambda` (float32);
        :math:`B` = 1 for a single image. Keras's quirk, kept: MixUp draws even at
        inference (``training`` is not checked), so its generator moves on every call.
        """
        images, _, _ = split_data(self, data)
        batch = images.shape[0] if np.ndim(images) == 4 else 1
        seed = seed or self.generator
        permutation = keras_random.shuffle(np.arange(batch, dtype="int64"), seed=seed)
        weight = keras_random.beta((batch,), self.alpha, self.alpha, seed=seed)
        return {"mix_weight": weight, "permutation_order": np.asarray(permutation)}

    def forward(self, data, training=False):
        transformation = self.get_random_transformation(data, training=training)
        if not training:
            return data, None
        images, labels, was_dict = split_data(self, data)
        weight, permutation = transformation["mix_weight"], transformation["permutation_order"]
        batched, single = self._to_nhwc(images)
        mixed = self._from_nhwc(mix(batched, weight, permutation), single)
        if labels is not None:
            labels = mix(labels, weight, permutation)
        return join_data(mixed, labels, was_dict), (weight, permutation, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        weight, permutation, single = cache
        grad_images, grad_labels, was_dict = split_data(self, grad_out)
        grad, _ = self._to_nhwc(grad_images)
        grad_images = self._from_nhwc(mix_backward(grad, weight, permutation), single)
        if grad_labels is not None:
            grad_labels = mix_backward(grad_labels, weight, permutation)
        return join_data(grad_images, grad_labels, was_dict)

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "seed": self.seed})
        return config
