"""Image utilities: ``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``, ``smart_resize``.

An image file becomes a NumPy array of shape ``(height, width, channels)``
(``channels_last``) with values 0..255 as ``float32``. Reading and writing files
uses Pillow (``pip install kerastutor[images]``); ``img_to_array`` and
``smart_resize`` are plain NumPy.

Resizing, written out
---------------------
:func:`resize_images` is the resampler the dataset functions and
``smart_resize`` use, in NumPy. Each output pixel ``j`` looks back at the source
position ``(j + 0.5) * in / out - 0.5`` (pixel *centres* line up: the
"half-pixel" convention) and blends the source pixels around it:

* ``"nearest"`` takes the pixel that position falls in;
* ``"bilinear"`` blends the two neighbours in proportion to the distance;
* ``"bicubic"`` blends four neighbours with Keys' cubic kernel (``a = -0.75``,
  as PyTorch and so Keras-on-torch use; TensorFlow uses ``a = -0.5``).

Resizing rows and columns are independent, so each is one matrix: an
``(out, in)`` matrix ``W`` whose row ``j`` holds the blending weights of output
pixel ``j``, and the resized image is ``W_h @ image @ W_w.T`` per channel.
These are the numbers of ``keras.ops.image.resize`` on the torch backend (no
antialiasing); ``load_img(target_size=...)`` instead uses Pillow's own
resamplers, exactly as Keras does.
"""
import io
import pathlib
import warnings

import numpy as np

from kerastutor import backend
from kerastutor.layers.preprocessing.resampling import interpolation_matrix

#: Pillow's resampling filters by the names ``load_img`` accepts (Keras's list).
PIL_INTERPOLATION_NAMES = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")

#: The interpolations :func:`resize_images` writes out (those Keras has on torch).
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic")


def pil_image():
    """The ``PIL.Image`` module, or an ImportError that says how to install it."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(
            "Could not import PIL.Image: reading and writing image files needs Pillow. "
            "Install it with `pip install kerastutor[images]` (or `pip install Pillow`)."
        ) from error
    return Image


def _pil_filter(interpolation):
    Image = pil_image()
    if interpolation not in PIL_INTERPOLATION_NAMES:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods "
            f"are {', '.join(PIL_INTERPOLATION_NAMES)}")
    return getattr(Image.Resampling, interpolation.upper())


def _data_format(data_format):
    data_format = data_format or backend.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format}")
    return data_format


# ------------------------------------------------------------------ files
def open_image(path):
    """A Pillow image from a path (str, bytes, ``pathlib.Path``) or an ``io.BytesIO``."""
    Image = pil_image()
    if isinstance(path, io.BytesIO):
        return Image.open(path)
    if isinstance(path, (pathlib.Path, bytes, str)):
        with open(path, "rb") as f:           # read it all: the file is closed at once
            return Image.open(io.BytesIO(f.read()))
    raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")


def convert_color(img, color_mode):
    """``img`` in Pillow mode ``"L"`` (grayscale), ``"RGB"`` or ``"RGBA"``.

    A grayscale image that already has 16 or 32 bits (``"I;16"``, ``"I"``) is
    kept as it is, so no precision is lost.
    """
    if color_mode == "grayscale":
        return img if img.mode in ("L", "I;16", "I") else img.convert("L")
    if color_mode in ("rgb", "rgba"):
        mode = color_mode.upper()
        return img if img.mode == mode else img.convert(mode)
    raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Read an image file into a Pillow image (turn it into numbers with :func:`img_to_array`).

    ``target_size=(height, width)`` resizes with Pillow's ``interpolation``;
    ``keep_aspect_ratio=True`` first cuts the largest centred box with the target's
    aspect ratio, so nothing is stretched.
    """
    img = convert_color(open_image(path), color_mode)
    if target_size is None:
        return img
    size = (target_size[1], target_size[0])            # Pillow counts (width, height)
    if img.size == size:
        return img
    resample = _pil_filter(interpolation)
    box = _aspect_crop_box(img.size, size) if keep_aspect_ratio else None
    return img.resize(size, resample, box=box)


def _aspect_crop_box(size, target):
    """The centred ``(left, top, right, bottom)`` box of ``size`` with ``target``'s aspect ratio."""
    (width, height), (target_width, target_height) = size, target
    crop_height = min(height, width * target_height // target_width)
    crop_width = min(width, height * target_width // target_height)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return (left, top, left + crop_width, top + crop_height)


def img_to_array(img, data_format=None, dtype=None):
    """A Pillow image as a 3-D array: ``(height, width, channels)`` (floatx by default).

    A grayscale image gets a channel axis of size 1.
    """
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or backend.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array as a Pillow image (``"L"``, ``"RGB"`` or ``"RGBA"`` by channel count).

    ``scale=True`` stretches the values to 0..255 (minimum to 0, maximum to 255).
    The values then become ``uint8`` with NumPy's cast, which truncates and
    wraps around (as in Keras): scale, or clip, values outside 0..255 yourself.
    One channel whose maximum exceeds 255 becomes a 32-bit ``"I"`` image.
    """
    data_format = _data_format(data_format)
    Image = pil_image()
    x = np.asarray(x, dtype=dtype or backend.floatx())
    if x.ndim != 3:
        raise ValueError("Expected image array to have rank 3 (single image). "
                         f"Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = _stretch_to_255(x)
    channels = x.shape[2]
    if channels in (3, 4):
        return Image.fromarray(_to_uint8(x))
    if channels == 1:
        if np.max(x) > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"))
        return Image.fromarray(_to_uint8(x[:, :, 0]))
    raise ValueError(f"Unsupported channel number: {channels}")


def _stretch_to_255(x):
    x = x - np.min(x)
    top = np.max(x)
    if top != 0:
        x = x / top
    return x * 255


def _to_uint8(x):
    """NumPy's float -> uint8 cast (truncating, wrapping), without its 'invalid value' warning."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return x.astype("uint8")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write the array ``x`` as an image file; the format comes from the extension.

    Extra keyword arguments go to Pillow's ``Image.save`` (``quality=95`` for
    JPEG, ...). JPEG has no alpha channel, so an RGBA image is converted to RGB
    with a warning.
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower()
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


# --------------------------------------------------------------- resizing
def check_resize_interpolation(interpolation):
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"Invalid value for argument `interpolation`. Expected one of "
            f"{RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}. kerastutor "
            "resizes arrays as Keras does on the torch backend, which has these three; "
            "use one of them (or load_img(target_size=...) for Pillow's filters).")


def resize_weights(n_in, n_out, interpolation):
    """The ``(n_out, n_in)`` matrix that resizes one axis (see the module docstring).

    It is the one :class:`~kerastutor.layers.Resizing` uses too
    (:func:`~kerastutor.layers.preprocessing.resampling.interpolation_matrix`),
    so a dataset's images and a model's Resizing layer agree pixel for pixel.
    """
    return interpolation_matrix(n_in, n_out, interpolation)


def resize_images(images, size, interpolation="bilinear", data_format="channels_last"):
    """Resize one image ``(h, w, c)`` or a batch ``(n, h, w, c)`` to ``size=(height, width)``.

    Integer images are rounded and clipped back to their dtype (``uint8`` stays
    ``uint8``); float images keep their float dtype.
    """
    check_resize_interpolation(interpolation)
    x = np.asarray(images)
    if data_format == "channels_first":
        x = np.moveaxis(x, -3, -1)
    rows = resize_weights(x.shape[-3], size[0], interpolation)
    cols = resize_weights(x.shape[-2], size[1], interpolation)
    work = x.astype(x.dtype if x.dtype.kind == "f" else "float32")
    out = np.einsum("ih,...hwc,jw->...ijc", rows.astype(work.dtype), work,
                    cols.astype(work.dtype))
    if data_format == "channels_first":
        out = np.moveaxis(out, -1, -3)
    return _back_to_dtype(out, x.dtype)


def _back_to_dtype(out, dtype):
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.clip(np.round(out), info.min, info.max).astype(dtype)
    return out.astype(dtype) if dtype.kind == "f" else out


def aspect_crop(images, size, data_format="channels_last"):
    """The largest centred window of ``images`` with the aspect ratio of ``size``."""
    h_axis = -3 if data_format == "channels_last" else -2
    height, width = images.shape[h_axis], images.shape[h_axis + 1]
    crop_height = max(min(height, int(float(width * size[0]) / size[1])), 1)
    crop_width = max(min(width, int(float(height * size[1]) / size[0])), 1)
    top, left = int((height - crop_height) / 2), int((width - crop_width) / 2)
    window = [slice(None)] * images.ndim
    window[h_axis] = slice(top, top + crop_height)
    window[h_axis + 1] = slice(left, left + crop_width)
    return images[tuple(window)]


def aspect_pad(images, size, data_format="channels_last", fill_value=0.0):
    """``images`` with rows (or columns) of ``fill_value`` on both sides, to ``size``'s aspect ratio.

    As in Keras, each side gets ``int((padded - original) / 2)``.
    """
    h_axis = images.ndim - 3 if data_format == "channels_last" else images.ndim - 2
    height, width = images.shape[h_axis], images.shape[h_axis + 1]
    pad_rows = int((max(height, int(float(width * size[0]) / size[1])) - height) / 2)
    pad_cols = int((max(width, int(float(height * size[1]) / size[0])) - width) / 2)
    pads = [(0, 0)] * images.ndim
    pads[h_axis], pads[h_axis + 1] = (pad_rows, pad_rows), (pad_cols, pad_cols)
    return np.pad(images, pads, constant_values=fill_value)


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last"):
    """Resize to ``size`` without distorting: crop the centred window of the right shape, then resize.

    ``x`` is an image ``(h, w, c)`` or a batch ``(n, h, w, c)``. A 340x500
    photo resized to (200, 200) first loses 80 columns on each side (340x340),
    then shrinks. (Keras exports it only as ``keras.preprocessing.image.smart_resize``.)
    """
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers, but got: {size}.")
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ValueError(
            "Expected an image array with shape `(height, width, channels)`, or "
            "`(batch_size, height, width, channels)`, but got input with incorrect "
            f"rank, of shape {x.shape}.")
    return resize_images(aspect_crop(x, size, data_format), size, interpolation, data_format)
