r"""Resizing: resample images to a fixed ``(height, width)``.

A resize is separable: one 1-D interpolation matrix per axis,

.. math::

    Y_{n,:,:,c} = M_h\, X_{n,:,:,c}\, M_w^\top, \qquad
    M_h \in \mathbb{R}^{H_{out} \times H_{in}},\ M_w \in \mathbb{R}^{W_{out} \times W_{in}},

with the bilinear / nearest / bicubic (and antialiased) weights of
:func:`~kerastutor.layers.preprocessing.resampling.interpolation_matrix`
(half-pixel centres, as Keras on torch). It is linear in the image, so the
backward pass is the transpose:

.. math:: \frac{\partial L}{\partial X_{n,:,:,c}} = M_h^\top\, G_{n,:,:,c}\, M_w .

``crop_to_aspect_ratio`` first cuts the largest centred window with the
target's aspect ratio (backward: the gradient padded with zeros);
``pad_to_aspect_ratio`` first pads with ``fill_value`` (backward: the
gradient cropped back).
"""
import numpy as np

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer
from kerastutor.layers.preprocessing.resampling import (INTERPOLATIONS, interpolation_matrix,
                                                        resize_images, resize_images_backward)


def aspect_crop_box(height, width, target_height, target_width):
    """Keras's centred crop with the target's aspect ratio: ``(top, left, crop_h, crop_w)``."""
    crop_h = max(min(height, int(width * target_height / target_width)), 1)
    crop_w = max(min(width, int(height * target_width / target_height)), 1)
    return int((height - crop_h) / 2), int((width - crop_w) / 2), crop_h, crop_w


class ResizeMap:
    r"""A fixed crop -> pad -> resize of a channels-last batch, and its transpose.

    ``crop``: ``(top, left, crop_h, crop_w)`` or None; ``pad``: rows and
    columns of ``fill_value`` added on *each* side, or None. The forward map
    is :math:`y = M_h\,\mathrm{pad}(\mathrm{crop}(x))\,M_w^\top`; the backward
    map undoes each step in reverse with its adjoint.
    """

    def __init__(self, input_hw, size, interpolation="bilinear", antialias=False,
                 crop=None, pad=None, fill_value=0.0):
        height, width = input_hw
        self.input_hw, self.crop, self.pad, self.fill_value = input_hw, crop, pad, fill_value
        if crop is not None:
            height, width = crop[2], crop[3]
        if pad is not None:
            height, width = height + 2 * pad[0], width + 2 * pad[1]
        self.rows = interpolation_matrix(height, size[0], interpolation, antialias)
        self.cols = interpolation_matrix(width, size[1], interpolation, antialias)

    def forward(self, x):
        if self.crop is not None:
            top, left, crop_h, crop_w = self.crop
            x = x[:, top:top + crop_h, left:left + crop_w]
        if self.pad is not None:
            pad_h, pad_w = self.pad
            x = np.pad(x, ((0, 0), (pad_h, pad_h), (pad_w, pad_w), (0, 0)),
                       constant_values=self.fill_value)
        return resize_images(x, self.rows, self.cols).astype(x.dtype, copy=False)

    def backward(self, grad):
        g = resize_images_backward(grad, self.rows, self.cols).astype(grad.dtype, copy=False)
        if self.pad is not None:                    # the padding did not depend on x
            pad_h, pad_w = self.pad
            g = g[:, pad_h:g.shape[1] - pad_h, pad_w:g.shape[2] - pad_w]
        if self.crop is not None:                   # the cut-off pixels get zero
            top, left, crop_h, crop_w = self.crop
            full = np.zeros_like(g, shape=(g.shape[0], *self.input_hw, g.shape[-1]))
            full[:, top:top + crop_h, left:left + crop_w] = g
            g = full
        return g


def _saturate_cast(y, dtype):
    """Round and clip to an integer dtype's range (Keras keeps integer images integer)."""
    info = np.iinfo(dtype)
    return np.clip(np.round(y), info.min, info.max).astype(dtype)


class Resizing(BaseImagePreprocessingLayer):
    r"""Resizes images to ``(height, width)``: :math:`Y_c = M_h X_c M_w^\top`.

    ``interpolation``: ``"bilinear"`` (default), ``"nearest"`` or
    ``"bicubic"`` (torch's, :math:`a=-0.75`). ``antialias=True`` widens the
    kernel when shrinking (bilinear/bicubic). ``crop_to_aspect_ratio`` /
    ``pad_to_aspect_ratio`` keep the aspect ratio by cropping / padding with
    ``fill_value`` first. Integer images come back rounded in their own dtype.
    Always resizes (training or not).

    **Backward:** :math:`\partial L/\partial X_c = M_h^\top G_c M_w`, then the
    adjoint of the crop (zero padding) or of the pad (cropping).
    """

    accepts_integer_inputs = True

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = antialias

    def _check_options(self):
        """Keras raises these when the layer is called, not when it is made."""
        if self.interpolation in ("lanczos3", "lanczos5"):
            raise ValueError(
                "Resizing: Resizing with Lanczos interpolation is not supported (Keras's "
                "torch backend does not have it either). Fix: use 'bilinear' or 'bicubic'.")
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"Resizing: invalid value for argument `interpolation`. Expected one of "
                f"{INTERPOLATIONS}. Received: interpolation={self.interpolation}")
        if self.fill_mode != "constant":
            raise ValueError(
                f"Resizing: only `fill_mode='constant'` is supported. Received: "
                f"fill_mode={self.fill_mode!r}.")
        if self.crop_to_aspect_ratio and self.pad_to_aspect_ratio:
            raise ValueError("Resizing: only one of pad_to_aspect_ratio & "
                             "crop_to_aspect_ratio can be True.")

    def resize_map(self, height, width):
        crop = pad = None
        if self.crop_to_aspect_ratio:
            crop = aspect_crop_box(height, width, self.height, self.width)
        elif self.pad_to_aspect_ratio:
            pad_h = max(height, int(width * self.height / self.width))
            pad_w = max(width, int(height * self.width / self.height))
            pad = (int((pad_h - height) / 2), int((pad_w - width) / 2))
        return ResizeMap((height, width), (self.height, self.width), self.interpolation,
                         self.antialias and self.interpolation != "nearest", crop=crop,
                         pad=pad, fill_value=self.fill_value)

    def forward(self, x, training=False):
        self._check_options()
        images, single = self._to_nhwc(x)
        resize = self.resize_map(images.shape[1], images.shape[2])
        if images.dtype.kind in "iu":
            y = _saturate_cast(resize.forward(images.astype(np.float32)), images.dtype)
        else:
            y = resize.forward(images)
        return self._from_nhwc(y, single), (resize, single)

    def backward(self, cache, grad_out):
        resize, single = cache
        grad, _ = self._to_nhwc(grad_out)
        return self._from_nhwc(resize.backward(grad), single)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        axes = (-2, -1) if self.data_format == "channels_first" else (-3, -2)
        shape[axes[0]], shape[axes[1]] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"height": self.height, "width": self.width,
                       "interpolation": self.interpolation,
                       "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                       "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                       "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                       "antialias": self.antialias, "data_format": self.data_format})
        return config
