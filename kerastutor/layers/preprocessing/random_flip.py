r"""RandomFlip: mirror each image with probability 1/2 while training.

One draw per image, :math:`f_n = [u_n \le 0.5]`, :math:`u_n \sim U[0, 1)`
(``keras.random.uniform`` of shape ``(N, 1, 1, 1)``, or ``(1, 1, 1)`` for one
image, from the layer's ``SeedGenerator`` -- Keras's draw, so a seeded layer
flips the images Keras's NumPy backend flips):

.. math::

    \text{horizontal: } y_{n,i,j} = x_{n,\, i,\, W-1-j} \text{ if } f_n, \qquad
    \text{vertical: } y_{n,i,j} = x_{n,\, H-1-i,\, j} \text{ if } f_n .

In ``"horizontal_and_vertical"`` mode the **same** draw flips both axes (a
180-degree turn or nothing), as Keras does. A flip is its own inverse and
its own transpose, so the backward pass flips the gradient the same way.
"""
import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer

HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL = \
    "horizontal", "vertical", "horizontal_and_vertical"


class RandomFlip(BaseImagePreprocessingLayer):
    r"""Flips each image (horizontally, vertically or both) with probability 1/2.

    **Backward:** :math:`\partial L/\partial x = \text{flip}(\partial L/\partial y)`
    with the same draws.
    """

    random = True

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.mode = mode                        # like Keras, an unknown mode flips nothing
        self._init_seed(seed)

    def _flip(self, images, flips):
        """Flip the images selected by ``flips`` (shape (N,)) along the mode's axes."""
        out = images
        mask = flips[:, None, None, None]
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            out = np.where(mask, out[:, :, ::-1], out)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            out = np.where(mask, out[:, ::-1], out)
        return out

    def forward(self, x, training=False):
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        shape = (1, 1, 1) if single else (images.shape[0], 1, 1, 1)
        draws = keras_random.uniform(shape, seed=self.generator)
        flips = draws.reshape(-1) <= 0.5
        return self._from_nhwc(self._flip(images, flips), single), (flips, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        flips, single = cache
        grad, _ = self._to_nhwc(grad_out)
        return self._from_nhwc(self._flip(grad, flips), single)

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed, "mode": self.mode})
        return config
