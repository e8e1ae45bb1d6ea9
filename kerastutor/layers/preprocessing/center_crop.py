r"""CenterCrop: cut the central ``(height, width)`` window of each image.

With :math:`h_0 = \lfloor (H - h)/2 \rfloor`, :math:`w_0 = \lfloor (W - w)/2 \rfloor`:

.. math:: y_{n,i,j,c} = x_{n,\, h_0 + i,\, w_0 + j,\, c}, \qquad
          \frac{\partial L}{\partial x} = \text{the gradient placed back in the window, 0 elsewhere}.

An image smaller than the target on either axis is instead *smart-resized*
(Keras's fallback): the largest centred window with the target's aspect
ratio, bilinearly resized to ``(height, width)`` -- backward the transpose of
that resize (:class:`~kerastutor.layers.preprocessing.resizing.ResizeMap`).
Output is float; ``training`` is ignored.
"""
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer
from kerastutor.layers.preprocessing.resizing import ResizeMap, Resizing, aspect_crop_box


class CenterCrop(BaseImagePreprocessingLayer):
    r"""Crops the centre :math:`(h, w)` window: :math:`y_{i,j} = x_{h_0+i,\, w_0+j}`.

    **Backward:** the gradient pasted into the window of a zero array (or the
    transposed resize when the input is smaller than the target).
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def forward(self, x, training=False):
        images, single = self._to_nhwc(x)
        height, width = images.shape[1:3]
        if height >= self.height and width >= self.width:
            crop = ((height - self.height) // 2, (width - self.width) // 2,
                    self.height, self.width)
        else:                                            # smart_resize
            crop = aspect_crop_box(height, width, self.height, self.width)
        crop_map = ResizeMap((height, width), (self.height, self.width), "bilinear",
                             crop=crop)
        return self._from_nhwc(crop_map.forward(images), single), (crop_map, single)

    def backward(self, cache, grad_out):
        """The transpose of the crop (or smart-resize) map: Resizing's backward, as the
        cache is the same kind of :class:`ResizeMap`."""
        return Resizing.backward(self, cache, grad_out)

    def compute_output_shape(self, input_shape):
        return Resizing.compute_output_shape(self, input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width})
        return config
