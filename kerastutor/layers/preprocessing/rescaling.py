r"""Rescaling: an affine change of units, e.g. pixels from [0, 255] to [0, 1].

.. math::

    y = s\,x + o, \qquad \frac{\partial L}{\partial x} = s\,\frac{\partial L}{\partial y}

``scale`` :math:`s` and ``offset`` :math:`o` are numbers or per-channel
vectors (broadcast over the last axis; over the channel axis
``(C, 1, 1)`` when ``keras.config.image_data_format()`` is channels_first).
Integer inputs come out as floats: ``Rescaling(1/255)`` maps ``uint8`` 255 to 1.0.
"""
import numpy as np

from kerastutor import backend
from kerastutor.layers.base import Layer


class Rescaling(Layer):
    r""":math:`y = s x + o`; backward :math:`\partial L/\partial x = s\, \partial L/\partial y`."""

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale
        self.offset = offset

    def _scale_and_offset(self, dtype):
        scale = np.asarray(self.scale, dtype=dtype)
        offset = np.asarray(self.offset, dtype=dtype)
        if scale.ndim > 0 and backend.image_data_format() == "channels_first":
            scale = scale.reshape(scale.shape + (1,) * (3 - scale.ndim))
        return scale, offset

    def forward(self, x, training=False):
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(self.dtype)
        scale, offset = self._scale_and_offset(dtype)
        return x.astype(dtype, copy=False) * scale + offset, x.shape

    def backward(self, cache, grad_out):
        scale, _ = self._scale_and_offset(grad_out.dtype)
        grad = grad_out * scale
        if grad.shape != tuple(cache):     # a per-channel scale never widens x, but be safe
            grad = np.broadcast_to(grad, cache).copy()
        return grad

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()

        def plain(value):
            return np.asarray(value).tolist() if isinstance(value, np.ndarray) else value
        config.update({"scale": plain(self.scale), "offset": plain(self.offset)})
        return config
