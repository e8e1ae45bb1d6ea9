r"""RandomCrop: cut a random ``(height, width)`` window while training.

When training and the image is larger than the target on **both** axes, one
offset pair is drawn for the whole batch,

.. math:: h_0 = \lfloor U[0,\, H - h + 1) \rfloor,\quad
          w_0 = \lfloor U[0,\, W - w + 1) \rfloor,\qquad
          y_{n,i,j,c} = x_{n,\, h_0+i,\, w_0+j,\, c}

(two scalar float32 ``keras.random.uniform`` draws from the layer's
``SeedGenerator``, :math:`h_0` first, truncated to integers -- Keras's draws);

otherwise the offsets are those of the centred aspect-ratio window, and a
slice that comes out smaller than ``(height, width)`` is bilinearly resized.
At inference the layer returns its input **unchanged** (Keras's behaviour:
it does not even centre-crop). Backward: the gradient pasted back into the
window (or the transposed resize).
"""
import random as python_random

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer
from kerastutor.layers.preprocessing.resizing import ResizeMap, aspect_crop_box


class RandomCrop(BaseImagePreprocessingLayer):
    r"""Crops a random window :math:`y_{i,j} = x_{h_0+i,\, w_0+j}` (training only).

    **Backward:** the gradient placed at the drawn window of a zero array.
    """

    random = True

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(data_format=data_format, name=name, **kwargs)
        self.height, self.width = int(height), int(width)
        # Keras's quirk, kept: an unseeded layer stores a drawn seed for its config
        # (Python's random, as keras.random's default seeds), but its SeedGenerator is
        # made from ``None`` -- a second, different draw -- so the stored seed does not
        # reproduce the layer's crops.
        config_seed = python_random.randint(1, int(1e9)) if seed is None else seed
        self._init_seed(seed)
        self.seed = config_seed

    def forward(self, x, training=False):
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        height, width = images.shape[1:3]
        if height > self.height and width > self.width:
            top = int(keras_random.uniform((), maxval=float(height - self.height + 1),
                                           seed=self.generator))
            left = int(keras_random.uniform((), maxval=float(width - self.width + 1),
                                            seed=self.generator))
        else:
            top, left, _, _ = aspect_crop_box(height, width, self.height, self.width)
        # Keras slices [top:top+h, left:left+w], which may run past the edge.
        crop_h, crop_w = min(self.height, height - top), min(self.width, width - left)
        crop_map = ResizeMap((height, width), (self.height, self.width), "bilinear",
                             crop=(top, left, crop_h, crop_w))
        return self._from_nhwc(crop_map.forward(images), single), (crop_map, single)

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        crop_map, single = cache
        grad, _ = self._to_nhwc(grad_out)
        return self._from_nhwc(crop_map.backward(grad), single)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        axes = (-2, -1) if self.data_format == "channels_first" else (-3, -2)
        shape[axes[0]], shape[axes[1]] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "seed": self.seed})
        return config
