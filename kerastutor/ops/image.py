r"""``keras.ops.image``: resizing, colour conversions, patches and geometric transforms.

Images are ``(height, width, channels)`` or a batch ``(N, H, W, C)``
(``data_format="channels_last"``, Keras's default); ``"channels_first"``
means ``(C, H, W)`` / ``(N, C, H, W)``. Every op first brings its input to a
channels-last batch, works there, and puts the result back.

Almost every op here is **linear in the pixels** once its positions are
fixed: a resize, a blur, a crop, a warp, a patch extraction each compute
every output pixel as a weighted sum of input pixels, with weights that
depend only on *where* the pixels are. Written as a matrix,
:math:`y = A x (+ c)`, and the derivative is the transpose,

.. math:: \frac{\partial L}{\partial x} = A^\top \frac{\partial L}{\partial y},

so each input pixel collects the gradients of the output pixels it fed,
scaled by the same weights. The colour conversions and ``ssim`` are smooth
formulas of the pixels instead; their derivative is the chain rule through
those formulas.

Separable filters (a resize, a Gaussian blur, the Sobel operator, the
window of ``ssim``) are two 1-D matrices, one for the rows and one for the
columns: :math:`Y_c = M_h X_c M_w^\top`, backward :math:`M_h^\top G_c M_w`.

The resampling machinery is the one the preprocessing layers use
(:mod:`kerastutor.layers.preprocessing.resampling`,
:mod:`kerastutor.layers.preprocessing.color_conversions`); it is imported
*inside* the functions, because ``kerastutor.layers`` imports
``kerastutor.ops`` while it loads, and a module-level import here would be a cycle.

Where Keras's backends disagree (bicubic resizing, the Sobel border), this
module follows Keras on the torch backend; where torch is wrong or refuses
(a non-square blur kernel, Lanczos resizing) it follows Keras's NumPy
backend. Each op's docstring says which.
"""
import numpy as np

from kerastutor import backend
from kerastutor.tape import _record, _value

__all__ = ["affine_transform", "crop_images", "elastic_transform", "extract_patches",
           "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates",
           "pad_images", "perspective_transform", "resize", "rgb_to_grayscale", "rgb_to_hsv",
           "scale_and_translate", "sobel_edges", "ssim"]


# The resampling and colour helpers live under kerastutor.layers, which imports
# kerastutor.ops while it loads: imported on first use, never at module level (a cycle).
def _resampling():
    from kerastutor.layers.preprocessing import resampling
    return resampling


def _colours():
    from kerastutor.layers.preprocessing import color_conversions
    return color_conversions


# ======================================================================== layout
def _data_format(op, data_format):
    """``None`` -> ``backend.image_data_format()``; anything but the two layouts is an error."""
    fmt = backend.image_data_format() if data_format is None else str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(
            f"ops.image.{op}: `data_format` must be 'channels_last' or 'channels_first'; "
            f"got {data_format!r}. Fix: pass data_format='channels_last' for (H, W, C) images.")
    return fmt


def _check_rank(op, name, a, ranks=(3, 4)):
    if a.ndim not in ranks:
        kinds = {3: "rank 3 (one image)", 4: "rank 4 (a batch of images)",
                 5: "rank 5 (a batch of volumes)"}
        expected = " or ".join(kinds.get(r, f"rank {r}") for r in ranks)
        raise ValueError(
            f"ops.image.{op}: `{name}` must be {expected}; got shape {a.shape}. "
            f"Fix: give (H, W, C) or (N, H, W, C) arrays (add a batch axis with "
            f"ops.expand_dims(x, 0) or take one image with x[0]).")


class _Layout:
    """Moves an image (batch) to channels-last ``(N, H, W, C)`` and back again.

    ``to_nhwc`` and ``from_nhwc`` are each other's inverse and only permute or add an
    axis, so a gradient travels back through them by applying the other one.
    """

    def __init__(self, a, data_format, batched_rank=4):
        self.first = data_format == "channels_first"
        self.batched = a.ndim == batched_rank
        self.spatial = batched_rank - 2

    def to_nhwc(self, a):
        a = a if self.batched else a[None]
        return np.moveaxis(a, 1, 1 + self.spatial) if self.first else a

    def from_nhwc(self, a):
        a = np.moveaxis(a, 1 + self.spatial, 1) if self.first else a
        return a if self.batched else a[0]


def _cast_like(out, dtype):
    """``out`` (computed in floats) in the input's dtype: rounded and saturated for integers."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        out = np.clip(np.round(out), info.min, info.max)
    return out.astype(dtype, copy=False)


def _linear_op(images, a, layout, forward_nhwc, backward_nhwc):
    """Run a linear map on the channels-last batch and record its transpose.

    ``forward_nhwc(x)`` gives the float result, ``backward_nhwc(g)`` the transpose
    applied to a gradient. An integer image is rounded back to its dtype and passes
    no gradient (an integer is not something to differentiate).
    """
    out = layout.from_nhwc(forward_nhwc(layout.to_nhwc(a)))
    if a.dtype.kind != "f":
        return _cast_like(out, a.dtype)
    out = out.astype(a.dtype, copy=False)
    return _record(out, (images,),
                   lambda g: (layout.from_nhwc(backward_nhwc(layout.to_nhwc(g))).astype(
                       a.dtype, copy=False),))


def _band_matrix(n_in, taps, before, n_out=None):
    r"""The ``(n_out, n_in)`` matrix of a 1-D correlation with zero padding.

    :math:`y_i = \sum_t w_t\, x_{i + t - b}` (``b = before`` zeros in front) is
    :math:`y = B x` with :math:`B_{ij} = w_{j - i + b}` where that tap exists.
    ``n_out`` defaults to ``n_in`` (a "same" filter); ``before=0`` and
    ``n_out = n_in - len(taps) + 1`` is a "valid" one.
    """
    taps = np.asarray(taps, dtype=np.float64)
    n_out = n_in if n_out is None else n_out
    t = np.arange(n_in)[None, :] - np.arange(n_out)[:, None] + before     # j - i + b
    inside = (t >= 0) & (t < len(taps))
    return np.where(inside, taps[np.clip(t, 0, len(taps) - 1)], 0.0)


def _gaussian_taps(size, sigma):
    r"""Gaussian taps :math:`w_t \propto e^{-\frac12 (t/\sigma)^2}` summing to 1.

    :math:`t = -\frac{s-1}{2} \ldots \frac{s-1}{2}` for ``size`` :math:`s`.

    ``sigma <= 0`` gives the identity filter (Keras would divide by zero).
    """
    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2
    if sigma <= 0:                                        # the limit: all weight in the middle
        return (np.arange(size) == (size - 1) // 2).astype(np.float64)
    taps = np.exp(-0.5 * (offsets / sigma) ** 2)
    return taps / taps.sum()


# ======================================================================== colour
def rgb_to_grayscale(images, data_format=None):
    r"""Luma of RGB images: :math:`Y = 0.2989\,R + 0.587\,G + 0.114\,B` (one channel).

    A one-channel image is returned as it is. Integer images are converted in
    float32 and truncated back to their dtype, as Keras does.

    **Derivative:** linear, so :math:`\partial L/\partial c = w_c\,\partial L/\partial Y`
    for each colour :math:`c` with weight :math:`w_c`.
    """
    a = _value(images)
    _check_rank("rgb_to_grayscale", "images", a)
    layout = _Layout(a, _data_format("rgb_to_grayscale", data_format))
    x = layout.to_nhwc(a)
    channels = x.shape[-1]
    if channels not in (1, 3):
        raise ValueError(
            f"ops.image.rgb_to_grayscale: expected 3 channels (RGB) or 1 (grayscale); got "
            f"images.shape={a.shape}. Fix: check data_format (channels_first images are "
            f"(N, C, H, W)).")
    colours = _colours()
    if a.dtype.kind != "f":                  # Keras: convert in floatx, then truncate back
        gray = colours.rgb_to_grayscale(x.astype(backend.floatx()))
        return layout.from_nhwc(gray).astype(a.dtype)
    out = layout.from_nhwc(colours.rgb_to_grayscale(x))
    return _record(out, (images,), lambda g: (layout.from_nhwc(
        colours.rgb_to_grayscale_backward(layout.to_nhwc(g), channels)),))


def _check_hsv_input(op, a, data_format):
    _check_rank(op, "images", a)
    if a.dtype.kind != "f":
        raise ValueError(
            f"ops.image.{op}: `images` must have a float dtype; got {a.dtype}. Fix: "
            f"scale to [0, 1] first, e.g. ops.cast(images, 'float32') / 255.")
    layout = _Layout(a, _data_format(op, data_format))
    if layout.to_nhwc(a).shape[-1] != 3:
        raise ValueError(
            f"ops.image.{op}: `images` must have 3 channels; got shape {a.shape}. "
            f"Fix: check data_format (channels_first images are (N, 3, H, W)).")
    return layout


def rgb_to_hsv(images, data_format=None):
    r"""RGB to hue, saturation, value, all in :math:`[0, 1]` for RGB in :math:`[0, 1]`.

    With :math:`V = \max(R,G,B)`, :math:`m = \min(R,G,B)` and :math:`\Delta = V - m`:
    :math:`S = \Delta / V` and :math:`H = \frac{G-B}{6\Delta}` (if :math:`V = R`),
    :math:`\frac{B-R}{6\Delta} + \frac13` (if :math:`V = G`),
    :math:`\frac{R-G}{6\Delta} + \frac23` otherwise, plus 1 if negative
    (:math:`H = 0` for a gray pixel, :math:`S = 0` for black).

    **Derivative:** the chain rule through :math:`V`, :math:`S = \Delta/V` and
    :math:`H = n / (6\Delta) + \text{const}`; only the largest and smallest
    channel of a pixel receive gradient through :math:`\Delta` and :math:`V`.
    None flows where :math:`\Delta = 0` or :math:`V = 0` (there :math:`H`, :math:`S`
    are set to 0 by definition).
    """
    a = _value(images)
    layout = _check_hsv_input("rgb_to_hsv", a, data_format)
    colours = _colours()
    hsv, cache = colours.rgb_to_hsv(layout.to_nhwc(a))
    return _record(layout.from_nhwc(hsv), (images,), lambda g: (layout.from_nhwc(
        colours.rgb_to_hsv_backward(cache, layout.to_nhwc(g))).astype(a.dtype, copy=False),))


def hsv_to_rgb(images, data_format=None):
    r"""Hue, saturation, value back to RGB.

    With :math:`d = 6\,(H \bmod 1)` and the ramps
    :math:`t_R = \operatorname{clip}(|d-3|-1, 0, 1)`,
    :math:`t_G = \operatorname{clip}(2-|d-2|, 0, 1)`,
    :math:`t_B = \operatorname{clip}(2-|d-4|, 0, 1)`:
    :math:`c = V\,(1 - S + S\,t_c)`.

    **Derivative:** :math:`\partial c/\partial V = 1 - S + S t_c`,
    :math:`\partial c/\partial S = V (t_c - 1)`,
    :math:`\partial c/\partial H = V S\, t_c'` (zero where a ramp is clipped flat).
    """
    a = _value(images)
    layout = _check_hsv_input("hsv_to_rgb", a, data_format)
    colours = _colours()
    rgb, cache = colours.hsv_to_rgb(layout.to_nhwc(a))
    return _record(layout.from_nhwc(rgb), (images,), lambda g: (layout.from_nhwc(
        colours.hsv_to_rgb_backward(cache, layout.to_nhwc(g))).astype(a.dtype, copy=False),))


# ======================================================================== resizing
_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    r"""Resize images to ``size = (height, width)``.

    The resize is separable: :math:`Y_c = M_h X_c M_w^\top` with one 1-D matrix
    per axis. Output pixel :math:`i` sits at the input coordinate
    :math:`s_i = (i + \frac12)\frac{n_{in}}{n_{out}} - \frac12` (half-pixel centres)
    and mixes its neighbours:

    * ``bilinear`` -- :math:`(1-\lambda)\,x_{\lfloor s_i\rfloor}
      + \lambda\, x_{\lfloor s_i\rfloor+1}`;
    * ``nearest`` -- :math:`x_{\lfloor (i+1/2)\, n_{in}/n_{out} \rfloor}`;
    * ``bicubic`` -- four taps weighted by Keys' cubic with :math:`a = -0.75`, as
      Keras on **torch** computes it (Keras on TensorFlow/JAX/NumPy uses
      :math:`a = -0.5`, so bicubic values differ by backend; this follows torch);
    * ``lanczos3``/``lanczos5`` -- the Lanczos kernel of radius 3 or 5, as Keras's
      NumPy/JAX backend computes it (Keras on torch refuses them).

    ``antialias=True`` widens the kernel when shrinking so every input pixel
    counts. ``crop_to_aspect_ratio`` first cuts the largest centred window of
    the target aspect ratio; ``pad_to_aspect_ratio`` first pads the short side
    with ``fill_value`` (both sides equally). Integer images are rounded back
    to their dtype.

    **Derivative:** :math:`\partial L/\partial X_c = M_h^\top G_c M_w` (crop and
    pad are linear too: their transposes pad the gradient with zeros, or cut it).
    """
    if len(size) != 2:
        raise ValueError(
            f"ops.image.resize: `size` must be (height, width); got size={size!r}. "
            f"Fix: e.g. size=(224, 224).")
    if size[0] <= 0 or size[1] <= 0:
        raise ValueError(
            f"ops.image.resize: `size` must have a positive height and width; got "
            f"size={size!r}.")
    a = _value(images)
    _check_rank("resize", "images", a)
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError(
            "ops.image.resize: only one of `pad_to_aspect_ratio` and "
            "`crop_to_aspect_ratio` can be True. Fix: pick one.")
    if interpolation not in _RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"ops.image.resize: `interpolation` must be one of {_RESIZE_INTERPOLATIONS}; "
            f"got {interpolation!r}. Fix: use 'bilinear' (smooth) or 'nearest' (labels, masks).")
    if fill_mode != "constant":
        raise ValueError(
            f"ops.image.resize: only fill_mode='constant' is supported; got "
            f"{fill_mode!r}. Fix: drop the argument (fill_value sets the padding's value).")
    layout = _Layout(a, _data_format("resize", data_format))
    height, width = layout.to_nhwc(a).shape[1:3]
    window, pads = _aspect_window(height, width, size, crop_to_aspect_ratio,
                                  pad_to_aspect_ratio)
    rows = _resize_matrix(window[1] + 2 * pads[0], size[0], interpolation, antialias)
    cols = _resize_matrix(window[3] + 2 * pads[1], size[1], interpolation, antialias)
    sampling = _resampling()

    def forward(x):
        x = x[:, window[0]:window[0] + window[1], window[2]:window[2] + window[3]]
        if pads != (0, 0):
            x = np.pad(x, ((0, 0), (pads[0],) * 2, (pads[1],) * 2, (0, 0)),
                       constant_values=fill_value)
        out = sampling.resize_images(x, rows, cols)
        if interpolation == "bicubic" and a.dtype == np.uint8:
            out = np.clip(out, 0, 255)           # as torch does before rounding uint8
        return out

    def backward(g):
        grad = sampling.resize_images_backward(g, rows, cols)
        grad = grad[:, pads[0]:grad.shape[1] - pads[0], pads[1]:grad.shape[2] - pads[1]]
        full = np.zeros(g.shape[:1] + (height, width) + g.shape[3:], dtype=grad.dtype)
        full[:, window[0]:window[0] + window[1], window[2]:window[2] + window[3]] = grad
        return full
    return _linear_op(images, a, layout, forward, backward)


def _aspect_window(height, width, size, crop, pad):
    """``(top, rows, left, cols)`` of the part of the image to keep, and the padding.

    Keras's arithmetic, ``int`` truncations included: a crop keeps
    ``max(min(h, int(w * th / tw)), 1)`` rows (and likewise columns), centred;
    a pad adds ``int((max(h, int(w * th / tw)) - h) / 2)`` rows on each side.
    """
    target_h, target_w = size
    if crop:
        rows = max(min(height, int(float(width * target_h) / target_w)), 1)
        cols = max(min(width, int(float(height * target_w) / target_h)), 1)
        return (int((height - rows) / 2), rows, int((width - cols) / 2), cols), (0, 0)
    if pad:
        pad_h = max(height, int(float(width * target_h) / target_w))
        pad_w = max(width, int(float(height * target_w) / target_h))
        return (0, height, 0, width), (int((pad_h - height) / 2), int((pad_w - width) / 2))
    return (0, height, 0, width), (0, 0)


def _resize_matrix(n_in, n_out, interpolation, antialias):
    """The ``(n_out, n_in)`` 1-D resize matrix (the layers' one; Lanczos from NumPy's)."""
    if interpolation.startswith("lanczos"):
        if n_in == n_out:                    # Keras's NumPy backend leaves such an axis alone
            return np.eye(n_in)
        kernel = _KERNELS[interpolation]
        return _scale_translate_matrix(n_in, n_out, n_out / n_in, 0.0, kernel, antialias).T
    return _resampling().interpolation_matrix(n_in, n_out, interpolation, antialias)


# ------------------------------------------------------------------------ scale_and_translate
def _triangle(t):
    return np.maximum(0.0, 1.0 - np.abs(t))


def _keys_cubic(t):
    r"""Keys' cubic with :math:`a = -0.5` (``t >= 0``), the kernel of ``method="cubic"``."""
    near = (1.5 * t - 2.5) * t * t + 1.0
    far = ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0
    return np.where(t >= 2.0, 0.0, np.where(t >= 1.0, far, near))


def _lanczos(radius):
    r""":math:`L(t) = \frac{r \sin(\pi t) \sin(\pi t / r)}{\pi^2 t^2}` for :math:`t \le r`."""
    def kernel(t):
        safe = np.where(t != 0, t, 1.0)
        value = radius * np.sin(np.pi * t) * np.sin(np.pi * t / radius) / (np.pi ** 2 * safe ** 2)
        return np.where(t > radius, 0.0, np.where(t > 1e-3, value, 1.0))
    return kernel


_KERNELS = {"linear": _triangle, "cubic": _keys_cubic, "lanczos3": _lanczos(3.0),
            "lanczos5": _lanczos(5.0)}
_SCALE_AND_TRANSLATE_METHODS = {"linear": "linear", "bilinear": "linear", "trilinear": "linear",
                                "cubic": "cubic", "bicubic": "cubic", "tricubic": "cubic",
                                "lanczos3": "lanczos3", "lanczos5": "lanczos5"}


def _scale_translate_matrix(n_in, n_out, scale, translation, kernel, antialias):
    r"""The ``(n_in, n_out)`` weights :math:`W` of one axis: :math:`y_j = \sum_i W_{ij} x_i`.

    Output sample :math:`j` reads the input around
    :math:`f_j = (j + \frac12 - t)/s - \frac12`; input pixel :math:`i` weighs
    :math:`k(|f_j - i| / \kappa)`, :math:`\kappa = \max(1/s, 1)` with antialiasing
    (else 1), each column normalised to sum 1. A sample outside
    :math:`[-\frac12, n_{in} - \frac12]` gets no weight (a zero output).
    """
    inv_scale = 1.0 / scale
    kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(n_out) + 0.5) * inv_scale - translation * inv_scale - 0.5
    distance = np.abs(sample[None, :] - np.arange(n_in)[:, None]) / kernel_scale
    weights = kernel(distance)
    total = weights.sum(axis=0, keepdims=True)
    weights = np.where(np.abs(total) > 1000.0 * np.finfo(np.float32).eps,
                       weights / np.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= n_in - 0.5)
    return np.where(inside[None, :], weights, 0.0)


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    r"""Resample ``images`` so an input point :math:`x` lands at :math:`s x + t` (per axis).

    For each axis :math:`d` in ``spatial_dims``, with pixel centres at
    :math:`i + \frac12`, output sample :math:`j` reads the input at
    :math:`f_j = (j + \frac12 - t_d)/s_d - \frac12` through the kernel of
    ``method`` (``linear``: the tent, ``cubic``: Keys with :math:`a = -0.5`,
    ``lanczos3``/``lanczos5``), weights normalised to sum 1; samples outside
    the image are 0. ``antialias`` widens the kernel by :math:`1/s` when
    shrinking. Each axis is one matrix: :math:`y = x \times_d W_d`.

    **Derivative** (w.r.t. ``images``): :math:`g \times_d W_d^\top` for each axis.
    ``scale`` and ``translation`` are read as constants: no gradient reaches them.
    """
    method_key = _SCALE_AND_TRANSLATE_METHODS.get(method)
    if method_key is None:
        raise ValueError(
            f"ops.image.scale_and_translate: `method` must be one of "
            f"{sorted(_SCALE_AND_TRANSLATE_METHODS)}; got {method!r}. Fix: e.g. method='linear'.")
    a = _value(images)
    scale = np.asarray(_value(scale), dtype=np.float64).reshape(-1)
    translation = np.asarray(_value(translation), dtype=np.float64).reshape(-1)
    output_shape = tuple(int(n) for n in output_shape)
    dims = [d % a.ndim for d in spatial_dims]
    if len(scale) != len(dims) or len(translation) != len(dims):
        raise ValueError(
            f"ops.image.scale_and_translate: `scale` and `translation` need one entry per "
            f"spatial dim ({len(dims)}); got {len(scale)} and {len(translation)}.")
    if len(output_shape) != a.ndim or any(
            output_shape[d] != a.shape[d] for d in range(a.ndim) if d not in dims):
        raise ValueError(
            f"ops.image.scale_and_translate: `output_shape` must have the rank of `images` "
            f"({a.ndim}) and keep its non-spatial sizes; got {output_shape} for images of "
            f"shape {a.shape} and spatial_dims={tuple(spatial_dims)}.")
    kernel = _KERNELS[method_key]
    matrices = [_scale_translate_matrix(a.shape[d], output_shape[d], scale[i], translation[i],
                                        kernel, antialias) for i, d in enumerate(dims)]

    def apply(x, transpose):
        for d, w in zip(dims, matrices):
            x = np.moveaxis(np.tensordot(x, w.T if transpose else w, axes=(d, 0)), -1, d)
        return x
    if a.dtype.kind != "f":                       # Keras: round, and stay in the input's range
        out = np.clip(np.round(apply(a.astype(np.float32), False)), a.min(), a.max())
        return out.astype(a.dtype)
    return _record(apply(a, False).astype(a.dtype, copy=False), (images,),
                   lambda g: (apply(g, True).astype(a.dtype, copy=False),))


# ======================================================================== sampling at coordinates
_WARP_INTERPOLATIONS = ("nearest", "bilinear")
_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _check_choice(op, name, value, choices, fix):
    if value not in choices:
        raise ValueError(f"ops.image.{op}: `{name}` must be one of {choices}; got {value!r}. "
                         f"Fix: {fix}")


def _warp(images, a, layout, row_in, col_in, interpolation, fill_mode, fill_value):
    """Sample the channels-last batch at ``(row_in, col_in)`` with the layers' sampler."""
    x = layout.to_nhwc(a)
    sampler = _resampling().AffineSampler.at_coordinates(
        row_in, col_in, x.shape[1:3], interpolation, fill_mode, fill_value)
    # the sampler works in float64 weights; an integer image is sampled as floats
    return _linear_op(images, a, layout,
                      lambda x: sampler.forward(x.astype(np.float64)), sampler.backward)


def _output_grid(height, width):
    """Row and column index of every pixel, ``(H, W)`` each, in float64."""
    return np.meshgrid(np.arange(height, dtype=np.float64), np.arange(width, dtype=np.float64),
                       indexing="ij")


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant",
                     fill_value=0, data_format=None):
    r"""Warp images by a projective map of *output* pixels to *input* points.

    A transform row ``[a0, a1, a2, b0, b1, b2, c0, c1]`` sends the output pixel at
    column :math:`x`, row :math:`y` to the input point

    .. math:: x' = \frac{a_0 x + a_1 y + a_2}{k}, \quad y' = \frac{b_0 x + b_1 y + b_2}{k},
              \quad k = c_0 x + c_1 y + 1,

    read there with ``nearest`` or ``bilinear`` interpolation; points outside
    the image follow ``fill_mode`` (``constant`` uses ``fill_value``). With
    :math:`c_0 = c_1 = 0` (every rotation, zoom, shear, translation) it is
    affine. Keras documents this formula; its torch/NumPy backends handle
    :math:`c_0, c_1 \ne 0` wrongly (they shift each *channel* by
    :math:`c_0, c_1` times its index), so those values differ from Keras there.
    ``transform`` is ``(8,)`` for all images or ``(N, 8)``, one per image.

    **Derivative** (w.r.t. ``images``): the sampling is linear in the pixels, so
    the gradient is scattered back through the same interpolation weights. As
    in Keras's documentation, no gradient reaches ``transform``.
    """
    _check_choice("affine_transform", "interpolation", interpolation, _WARP_INTERPOLATIONS,
                  "'bilinear' or 'nearest'.")
    _check_choice("affine_transform", "fill_mode", fill_mode, _FILL_MODES,
                  "e.g. fill_mode='constant' (with fill_value) or 'reflect'.")
    a = _value(images)
    _check_rank("affine_transform", "images", a)
    matrix = np.asarray(_value(transform), dtype=np.float64)
    if matrix.ndim not in (1, 2) or matrix.shape[-1] != 8:
        raise ValueError(
            f"ops.image.affine_transform: `transform` must be (8,) or (N, 8); got shape "
            f"{matrix.shape}. Fix: [a0, a1, a2, b0, b1, b2, c0, c1], e.g. the identity "
            f"[1, 0, 0, 0, 1, 0, 0, 0].")
    layout = _Layout(a, _data_format("affine_transform", data_format))
    batch, height, width = layout.to_nhwc(a).shape[:3]
    matrix = np.broadcast_to(matrix.reshape(-1, 8), (batch, 8))
    rows, cols = _output_grid(height, width)
    a0, a1, a2, b0, b1, b2, c0, c1 = (matrix[:, k, None, None] for k in range(8))
    k = c0 * cols + c1 * rows + 1.0
    # k = 0 sends the pixel to infinity: keep the division finite (it lands far outside)
    k = np.where(k == 0, 1e-9, k)
    col_in = (a0 * cols + a1 * rows + a2) / k
    row_in = (b0 * cols + b1 * rows + b2) / k
    return _warp(images, a, layout, row_in, col_in, interpolation, fill_mode, fill_value)


def _homographies(start_points, end_points):
    r"""The 8 numbers of the homography sending each end point to its start point.

    For corners :math:`(x_i, y_i)` (end) and :math:`(u_i, v_i)` (start),
    :math:`u = \frac{a_0 x + a_1 y + a_2}{a_6 x + a_7 y + 1}` and the same for
    :math:`v` give two linear equations per corner in :math:`a_0 \ldots a_7`:
    :math:`a_0 x + a_1 y + a_2 - a_6 x u - a_7 y u = u` (and likewise with
    :math:`a_3, a_4, a_5` for :math:`v`). Eight equations, one ``solve``.
    """
    x, y = end_points[..., 0], end_points[..., 1]                   # (N, 4) each
    u, v = start_points[..., 0], start_points[..., 1]
    one, zero = np.ones_like(x), np.zeros_like(x)
    u_rows = np.stack([x, y, one, zero, zero, zero, -u * x, -u * y], axis=-1)
    v_rows = np.stack([zero, zero, zero, x, y, one, -v * x, -v * y], axis=-1)
    system = np.stack([u_rows, v_rows], axis=2).reshape(-1, 8, 8)   # u, v rows per corner
    target = np.stack([u, v], axis=-1).reshape(-1, 8)
    return np.linalg.solve(system, target[..., None])[..., 0]


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    r"""Warp images so the four ``start_points`` land on the four ``end_points``.

    Points are ``(x, y)`` = (column, row), shaped ``(4, 2)`` or ``(N, 4, 2)``.
    The homography :math:`a_0 \ldots a_7` that sends each end point back to
    its start point is solved for, and the output pixel :math:`(x, y)` reads
    the input at

    .. math:: x' = \frac{a_0 x + a_1 y + a_2}{a_6 x + a_7 y + 1}, \qquad
              y' = \frac{a_3 x + a_4 y + a_5}{a_6 x + a_7 y + 1}

    (``nearest`` or ``bilinear``; outside the image: ``fill_value``).

    **Derivative** (w.r.t. ``images``): the transpose of that fixed sampling.
    The corner points are read as constants here (no gradient reaches them).
    """
    _check_choice("perspective_transform", "interpolation", interpolation,
                  _WARP_INTERPOLATIONS, "'bilinear' or 'nearest'.")
    a = _value(images)
    _check_rank("perspective_transform", "images", a)
    start = np.asarray(_value(start_points), dtype=np.float64)
    end = np.asarray(_value(end_points), dtype=np.float64)
    for name, points in (("start_points", start), ("end_points", end)):
        if points.ndim not in (2, 3) or points.shape[-2:] != (4, 2):
            raise ValueError(
                f"ops.image.perspective_transform: `{name}` must be (4, 2) or (N, 4, 2) "
                f"(four (x, y) corners); got shape {points.shape}.")
    if start.shape != end.shape:
        raise ValueError(
            f"ops.image.perspective_transform: `start_points` and `end_points` must have "
            f"the same shape; got {start.shape} and {end.shape}.")
    layout = _Layout(a, _data_format("perspective_transform", data_format))
    batch, height, width = layout.to_nhwc(a).shape[:3]
    h = np.broadcast_to(_homographies(start.reshape(-1, 4, 2), end.reshape(-1, 4, 2)),
                        (batch, 8))
    rows, cols = _output_grid(height, width)
    a0, a1, a2, a3, a4, a5, a6, a7 = (h[:, k, None, None] for k in range(8))
    denominator = a6 * cols + a7 * rows + 1.0
    col_in = (a0 * cols + a1 * rows + a2) / denominator
    row_in = (a3 * cols + a4 * rows + a5) / denominator
    return _warp(images, a, layout, row_in, col_in, interpolation, "constant", fill_value)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    r"""Push every pixel by a smooth random displacement.

    Two fields of standard normal noise per image, :math:`\xi_x, \xi_y`, are
    scaled by :math:`\sigma` and blurred by a Gaussian of width :math:`\sigma`
    (a :math:`k \times k` kernel, :math:`k = \lfloor 6\sigma \rfloor` made odd,
    zero padding -- :func:`gaussian_blur`). The output pixel :math:`(r, c)` reads
    the input at

    .. math:: c' = c + \alpha\, (G * \sigma\xi_x)_{r,c}, \qquad
              r' = r + \alpha\, (G * \sigma\xi_y)_{r,c}.

    The noise is drawn as Keras's NumPy backend draws it:
    ``np.random.default_rng(draw_seed(seed)).normal(...)``, first :math:`\xi_x`
    then :math:`\xi_y` (see :mod:`kerastutor.random`), so an int ``seed``
    repeats the field. (Keras on torch ignores ``seed`` on the CPU and draws
    from torch's global generator.)

    **Derivative** (w.r.t. ``images``): with the field fixed the warp is linear;
    the gradient goes back through the same interpolation weights.
    """
    from kerastutor import random as keras_random     # imports kerastutor.weight -> ops: a cycle
    _check_choice("elastic_transform", "interpolation", interpolation, _WARP_INTERPOLATIONS,
                  "'bilinear' or 'nearest'.")
    _check_choice("elastic_transform", "fill_mode", fill_mode, _FILL_MODES,
                  "e.g. fill_mode='reflect' (the default).")
    a = _value(images)
    _check_rank("elastic_transform", "images", a)
    layout = _Layout(a, _data_format("elastic_transform", data_format))
    batch, height, width = layout.to_nhwc(a).shape[:3]
    alpha, sigma = float(_value(alpha)), float(_value(sigma))
    dtype = a.dtype if a.dtype.kind == "f" else np.dtype(backend.floatx())
    rng = np.random.default_rng(keras_random.draw_seed(seed))
    noise = [rng.normal(size=(batch, height, width)).astype(dtype) * dtype.type(sigma)
             for _ in range(2)]                                     # xi_x, then xi_y
    size = int(6 * sigma) | 1
    taps = _gaussian_taps(size, sigma)
    blur_rows = _band_matrix(height, taps, (size - 1) // 2)
    blur_cols = _band_matrix(width, taps, (size - 1) // 2)
    dx, dy = (np.einsum("ih,jw,nhw->nij", blur_rows, blur_cols, field, optimize=True)
              for field in noise)
    rows, cols = _output_grid(height, width)
    return _warp(images, a, layout, rows + alpha * dy, cols + alpha * dx, interpolation,
                 fill_mode, fill_value)


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    r"""Read an N-d array at real coordinates: :math:`y[p] = x(c_0[p], \ldots, c_{n-1}[p])`.

    ``coordinates`` has one leading entry per axis of ``inputs``; the output has
    the shape of the rest. ``order=0`` takes the nearest element (rounding half
    to even), ``order=1`` interpolates linearly along every axis: with
    :math:`i_d = \lfloor c_d \rfloor` and :math:`\lambda_d = c_d - i_d`,

    .. math:: y = \sum_{\epsilon \in \{0,1\}^n} \prod_d w_d^{\epsilon_d}\;
              x[i_0 + \epsilon_0, \ldots], \qquad w_d^0 = 1 - \lambda_d,\; w_d^1 = \lambda_d .

    Outside the array ``fill_mode`` decides: ``constant`` (:math:`k` = ``fill_value``),
    ``nearest`` (a a | a b c d | d d), ``wrap`` (a b c d | a b c d),
    ``mirror`` (c d c b | a b c d | c b a b), ``reflect`` (d c b a | a b c d | d c b a).

    **Derivative.** W.r.t. ``inputs``: linear, each output's gradient is added
    back to the elements it read, times their weights. W.r.t. ``coordinates``
    (``order=1``, as Keras on torch gives it): :math:`\partial w_d^0/\partial c_d = -1`,
    :math:`\partial w_d^1/\partial c_d = 1`, so
    :math:`\partial y/\partial c_d = \sum_\epsilon (\pm 1)
    \prod_{e \ne d} w_e^{\epsilon_e}\, x[\ldots]`
    -- the slope of the interpolant. ``order=0`` is piecewise constant: zero.
    """
    if order not in (0, 1):
        raise ValueError(
            f"ops.image.map_coordinates: `order` must be 0 (nearest) or 1 (linear); got "
            f"{order!r}. Fix: order=1.")
    _check_choice("map_coordinates", "fill_mode", fill_mode, _FILL_MODES,
                  "e.g. fill_mode='constant' (with fill_value) or 'nearest'.")
    x = _value(inputs)
    c = _value(coordinates)
    c = np.asarray(c, dtype=np.float64) if not isinstance(c, (list, tuple)) else \
        np.stack([np.asarray(_value(part), dtype=np.float64) for part in c])
    if c.ndim < 2 or c.shape[0] != x.ndim:
        raise ValueError(
            f"ops.image.map_coordinates: `coordinates` must have one leading entry per axis "
            f"of `inputs` ({x.ndim}) and rank >= 2; got shape {c.shape}. Fix: stack one "
            f"coordinate array per axis, e.g. np.stack([rows, cols]).")
    taps = _nd_taps(x.shape, c, order, fill_mode)
    flat = x.reshape(-1).astype(np.float64) if x.dtype.kind != "f" else x.reshape(-1)
    fill = float(fill_value)
    contributions = [np.where(valid, flat[index], fill) for index, _, valid in taps]
    out = sum(np.prod(weights, axis=0) * part for (_, weights, _), part in
              zip(taps, contributions))
    if x.dtype.kind != "f":
        return _cast_like(out, x.dtype)

    def vjp(g):
        grad_x = np.zeros(x.size, dtype=np.result_type(g.dtype, x.dtype))
        for index, weights, valid in taps:
            np.add.at(grad_x, index[valid], (np.prod(weights, axis=0) * g)[valid])
        grad_c = None
        if order == 1:
            grad_c = np.zeros_like(c)
            for (_, weights, _), part, signs in zip(taps, contributions, _tap_signs(x.ndim)):
                for d in range(x.ndim):
                    others = np.prod(np.delete(weights, d, axis=0), axis=0)
                    grad_c[d] += signs[d] * others * part * g
        return grad_x.reshape(x.shape).astype(x.dtype, copy=False), grad_c
    return _record(out.astype(x.dtype, copy=False), (inputs, coordinates), vjp)


def _tap_signs(rank):
    """For each linear tap (in :func:`_nd_taps`'s order), d weight / d coordinate per axis."""
    return [np.array(signs, dtype=np.float64)
            for signs in np.array(np.meshgrid(*[[-1.0, 1.0]] * rank, indexing="ij")
                                  ).reshape(rank, -1).T]


def _nd_taps(shape, coords, order, fill_mode):
    """Every tap of N-d interpolation: (flat index, per-axis weights, inside the array?).

    The 1-D taps of each axis (one for nearest, two for linear: lower first) are
    combined in every way; an index outside is brought back by ``fill_mode``
    (for ``constant`` it is marked invalid, and the fill value is read instead).
    """
    sampling = _resampling()
    interpolation = "nearest" if order == 0 else "bilinear"
    per_axis = []
    for d, size in enumerate(shape):
        options = []
        for index, weight in sampling._taps_1d(coords[d], interpolation):
            valid = (index >= 0) & (index < size)
            options.append((sampling._fix_index(index, size, fill_mode),
                            np.broadcast_to(weight, coords[d].shape), valid))
        per_axis.append(options)
    taps = []
    for choice in np.ndindex(*[len(options) for options in per_axis]):
        picked = [per_axis[d][k] for d, k in enumerate(choice)]
        index = np.ravel_multi_index([p[0] for p in picked], shape)
        weights = np.stack([p[1] for p in picked])
        valid = np.logical_and.reduce([p[2] for p in picked]) if fill_mode == "constant" \
            else np.ones(coords.shape[1:], dtype=bool)
        taps.append((index, weights, valid))
    return taps


# ======================================================================== filters
def _pair(op, name, value, kind):
    if isinstance(value, (int, float, np.integer, np.floating)):
        return kind(value), kind(value)
    value = np.asarray(_value(value)).reshape(-1)
    if value.size != 2:
        raise ValueError(f"ops.image.{op}: `{name}` must be a number or a pair; got "
                         f"{value.tolist()!r}.")
    return kind(value[0]), kind(value[1])


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    r"""Blur each channel with a Gaussian kernel (zero padding, the size kept).

    The kernel is separable, :math:`K = k_y k_x^\top` with
    :math:`k[t] \propto e^{-\frac12 (t - (s-1)/2)^2 / \sigma^2}` summing to 1, so
    the blur is :math:`Y_c = B_y X_c B_x^\top` with band matrices :math:`B`.
    As both Keras backends compute it, ``kernel_size[0]`` and ``sigma[0]``
    belong to the **width** (x) axis, ``kernel_size[1]`` and ``sigma[1]`` to the
    height (Keras's docstring says (height, width); its code pairs them the
    other way round). An even size pads one more zero after than before.

    **Derivative:** :math:`\partial L/\partial X_c = B_y^\top G_c B_x` (the blur
    with the kernel turned by 180 degrees, which for a Gaussian is itself, up
    to the borders).
    """
    a = _value(images)
    _check_rank("gaussian_blur", "images", a)
    size_x, size_y = _pair("gaussian_blur", "kernel_size", kernel_size, int)
    sigma_x, sigma_y = _pair("gaussian_blur", "sigma", sigma, float)
    if size_x < 1 or size_y < 1:
        raise ValueError(f"ops.image.gaussian_blur: `kernel_size` must be positive; got "
                         f"{kernel_size!r}.")
    layout = _Layout(a, _data_format("gaussian_blur", data_format))
    height, width = layout.to_nhwc(a).shape[1:3]
    rows = _band_matrix(height, _gaussian_taps(size_y, sigma_y), (size_y - 1) // 2)
    cols = _band_matrix(width, _gaussian_taps(size_x, sigma_x), (size_x - 1) // 2)
    sampling = _resampling()
    return _linear_op(images, a, layout, lambda x: sampling.resize_images(x, rows, cols),
                      lambda g: sampling.resize_images_backward(g, rows, cols))


_SOBEL_SMOOTH, _SOBEL_SLOPE = (1.0, 2.0, 1.0), (-1.0, 0.0, 1.0)


def sobel_edges(images, data_format=None):
    r"""The Sobel image gradients :math:`[\partial_y, \partial_x]` of every channel.

    .. math:: S_y = \begin{pmatrix}-1&-2&-1\\0&0&0\\1&2&1\end{pmatrix},\qquad S_x = S_y^\top,

    correlated with each channel (zero padding, as Keras on torch; Keras's
    NumPy backend reflects at the border instead, so border pixels differ
    there). Both kernels are separable -- a slope :math:`(-1, 0, 1)` along one
    axis, a smoothing :math:`(1, 2, 1)` along the other -- so each is two band
    matrices. The output is ``(N, H, W, C, 2)`` (``(N, C, H, W, 2)`` channels
    first); the last axis holds :math:`[\partial_y, \partial_x]`.

    **Derivative:** the transposes, :math:`D^\top G S` + :math:`S^\top G' D`
    (the Sobel kernels turned by 180 degrees, i.e. negated).
    """
    a = _value(images)
    _check_rank("sobel_edges", "images", a, ranks=(4,))
    layout = _Layout(a, _data_format("sobel_edges", data_format))
    height, width = layout.to_nhwc(a).shape[1:3]
    smooth_h, slope_h = (_band_matrix(height, taps, 1) for taps in (_SOBEL_SMOOTH, _SOBEL_SLOPE))
    smooth_w, slope_w = (_band_matrix(width, taps, 1) for taps in (_SOBEL_SMOOTH, _SOBEL_SLOPE))
    sampling = _resampling()

    def forward(x):
        return np.stack([sampling.resize_images(x, slope_h, smooth_w),       # d/dy
                         sampling.resize_images(x, smooth_h, slope_w)], -1)  # d/dx

    def backward(g):
        return (sampling.resize_images_backward(g[..., 0], slope_h, smooth_w)
                + sampling.resize_images_backward(g[..., 1], smooth_h, slope_w))
    # the (N, H, W, C, 2) result keeps its channel axis at 3: the layout moves that one
    return _linear_op(images, a, layout, forward, backward)


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    r"""The structural similarity of two images (1 for identical ones).

    With Gaussian-weighted local means :math:`\mu_1 = G * x`, :math:`\mu_2 = G * y`
    (a ``filter_size`` window of width ``filter_sigma``, "valid": no padding),
    local (co)variances :math:`\sigma_1^2 = G * x^2 - \mu_1^2`,
    :math:`\sigma_2^2 = G * y^2 - \mu_2^2`, :math:`\sigma_{12} = G * xy - \mu_1\mu_2`
    and :math:`C_1 = (k_1 L)^2`, :math:`C_2 = (k_2 L)^2` (:math:`L` = ``max_val``),

    .. math:: \mathrm{SSIM} = \operatorname{mean}\;
              \frac{(2\mu_1\mu_2 + C_1)(2\sigma_{12} + C_2)}
                   {(\mu_1^2 + \mu_2^2 + C_1)(\sigma_1^2 + \sigma_2^2 + C_2)}

    over positions and channels: one number per image.

    **Derivative.** Write the map as :math:`S = AB/(CD)`. Then
    :math:`\partial S = S(\partial A/A + \partial B/B - \partial C/C - \partial D/D)`,
    which gives gradients for :math:`\mu_1, \mu_2` and for the three local
    moments :math:`G*x^2, G*y^2, G*xy`; each goes back through the window
    (:math:`G^\top`) and, for the moments, times :math:`2x`, :math:`2y`, or
    :math:`y` and :math:`x`. Both images receive a gradient.
    """
    x_value, y_value = _value(image1), _value(image2)
    _check_rank("ssim", "image1", x_value)
    _check_rank("ssim", "image2", y_value)
    if x_value.shape != y_value.shape:
        raise ValueError(
            f"ops.image.ssim: `image1` and `image2` must have the same shape; got "
            f"{x_value.shape} and {y_value.shape}.")
    layout = _Layout(x_value, _data_format("ssim", data_format))
    x, y = (layout.to_nhwc(v).astype(np.float64) for v in (x_value, y_value))
    _, height, width, channels = x.shape
    if filter_size > min(height, width):
        raise ValueError(
            f"ops.image.ssim: the images ({height}x{width}) are smaller than the window "
            f"(filter_size={filter_size}). Fix: pass a smaller odd filter_size, e.g. "
            f"filter_size={max(1, min(height, width) // 2 * 2 - 1)}.")
    taps = _gaussian_taps(filter_size, filter_sigma)
    rows = _band_matrix(height, taps, 0, height - filter_size + 1)
    cols = _band_matrix(width, taps, 0, width - filter_size + 1)
    sampling = _resampling()

    def window(v):
        return sampling.resize_images(v, rows, cols)

    def window_t(v):
        return sampling.resize_images_backward(v, rows, cols)
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = window(x), window(y)
    e11, e22, e12 = window(x * x), window(y * y), window(x * y)
    A = 2 * mu1 * mu2 + c1
    B = 2 * (e12 - mu1 * mu2) + c2
    C = mu1 ** 2 + mu2 ** 2 + c1
    D = (e11 - mu1 ** 2) + (e22 - mu2 ** 2) + c2
    S = A * B / (C * D)
    out = S.mean(axis=(1, 2, 3))
    out = out if layout.batched else out[0]
    out_dtype = x_value.dtype
    if out_dtype.kind != "f":                       # Keras casts back to an integer dtype
        return out.astype(out_dtype)

    def vjp(g):
        g = np.reshape(g, (-1, 1, 1, 1)) / S[0].size           # d mean / d S
        gA, gB = g * B / (C * D), g * A / (C * D)
        gC, gD = -g * S / C, -g * S / D
        g_mu1 = 2 * mu2 * (gA - gB) + 2 * mu1 * (gC - gD)
        g_mu2 = 2 * mu1 * (gA - gB) + 2 * mu2 * (gC - gD)
        back_moment, back_cross = window_t(gD), window_t(2 * gB)
        grad_x = window_t(g_mu1) + 2 * x * back_moment + y * back_cross
        grad_y = window_t(g_mu2) + 2 * y * back_moment + x * back_cross
        return tuple(layout.from_nhwc(grad).astype(out_dtype, copy=False)
                     for grad in (grad_x, grad_y))
    return _record(np.asarray(out, dtype=out_dtype), (image1, image2), vjp)


# ======================================================================== patches
def _tuple(op, name, value, rank):
    if isinstance(value, (int, np.integer)):
        return (int(value),) * rank
    value = tuple(int(v) for v in value)
    if len(value) != rank:
        raise ValueError(f"ops.image.{op}: `{name}` must be an int or {rank} ints; got "
                         f"{value!r}.")
    return value


def _patches(op, images, size, strides, dilation_rate, padding, data_format, rank):
    r"""Every ``size`` window of a channels-last batch, flattened into the channel axis.

    Output position :math:`o` along an axis reads input :math:`o s + t d - p`
    for window offsets :math:`t = 0 \ldots k-1` (stride :math:`s`, dilation
    :math:`d`, :math:`p` zeros of "same" padding in front), so the op is a
    gather; its transpose scatters (adds) each gradient back to the element
    it was read from -- overlapping windows add up.
    """
    a = _value(images)
    _check_rank(op, "images", a, ranks=(rank + 1, rank + 2))
    padding = str(padding).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"ops.image.{op}: `padding` must be 'valid' or 'same'; got "
                         f"{padding!r}.")
    size = _tuple(op, "size", size, rank)
    strides = size if strides is None else _tuple(op, "strides", strides, rank)
    dilation = _tuple(op, "dilation_rate", dilation_rate, rank)
    layout = _Layout(a, _data_format(op, data_format), batched_rank=rank + 2)
    spatial = layout.to_nhwc(a).shape[1:-1]
    extent = [(k - 1) * d + 1 for k, d in zip(size, dilation)]
    if padding == "valid":
        outs = [(n - e) // s + 1 for n, e, s in zip(spatial, extent, strides)]
        pads = [(0, 0)] * rank
    else:
        outs = [-(-n // s) for n, s in zip(spatial, strides)]
        totals = [max(0, (o - 1) * s + e - n) for o, s, e, n in zip(outs, strides, extent, spatial)]
        pads = [(t // 2, t - t // 2) for t in totals]
    if min(outs) <= 0:
        raise ValueError(
            f"ops.image.{op}: the patches ({size}, dilation {dilation}) do not fit in the "
            f"images' spatial shape {tuple(spatial)} with padding='valid'. Fix: smaller "
            f"patches, or padding='same'.")
    # index arrays: axis d holds out_d at position d and the window offsets at rank + d,
    # so indexing with all of them broadcasts to (out..., k...)
    index = []
    for d in range(rank):
        positions = np.arange(outs[d])[:, None] * strides[d] + \
            np.arange(size[d])[None, :] * dilation[d]
        shape = [1] * (2 * rank)
        shape[d], shape[rank + d] = outs[d], size[d]
        index.append(positions.reshape(shape))
    where = (slice(None),) + tuple(index)
    pad_width = [(0, 0)] + pads + [(0, 0)]
    channels = layout.to_nhwc(a).shape[-1]

    def forward(x):
        windows = np.pad(x, pad_width)[where]              # (N, out..., k..., C)
        return windows.reshape(windows.shape[:1 + rank] + (-1,))

    def backward(g):
        padded_shape = tuple(n + p + q for n, (p, q) in zip(spatial, pads))
        padded = np.zeros((g.shape[0],) + padded_shape + (channels,), dtype=g.dtype)
        np.add.at(padded, where, g.reshape(g.shape[:1 + rank] + tuple(size) + (channels,)))
        inside = tuple(slice(p, p + n) for n, (p, _) in zip(spatial, pads))
        return padded[(slice(None),) + inside]
    if a.dtype.kind != "f":
        return layout.from_nhwc(forward(layout.to_nhwc(a)))
    return _linear_op(images, a, layout, forward, backward)


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid",
                    data_format=None):
    r"""Cut images into ``size`` patches, each flattened into the channel axis.

    ``size = (p_h, p_w)`` (or an int) gives an output ``(N, H', W', p_h p_w C)``:
    position :math:`(i, j)` holds the window starting at :math:`(i s_h, j s_w)`,
    flattened row by row with the channels innermost (element
    :math:`(a, b, c)` of the window at index :math:`(a p_w + b) C + c`).
    ``strides`` defaults to ``size`` (non-overlapping patches);
    ``dilation_rate`` spaces the window's taps; ``padding="same"`` pads zeros so
    that :math:`H' = \lceil H / s_h \rceil`. A 3-element ``size`` cuts volumes
    instead (:func:`extract_patches_3d`).

    **Derivative:** a gather, so the transpose scatters each patch element's
    gradient back to its pixel, adding where patches overlap.
    """
    if not isinstance(size, (int, np.integer)):
        if not isinstance(size, (tuple, list)):
            raise TypeError(
                f"ops.image.extract_patches: `size` must be an int or a tuple; got "
                f"{size!r} of type {type(size).__name__}.")
        if len(size) not in (2, 3):
            raise ValueError(
                f"ops.image.extract_patches: `size` must have 2 (images) or 3 (volumes) "
                f"entries; got size={size!r}.")
        if len(size) == 3:
            return extract_patches_3d(images, size, strides, dilation_rate, padding,
                                      data_format)
    return _patches("extract_patches", images, size, strides or None, dilation_rate, padding,
                    data_format, rank=2)


def extract_patches_3d(volumes, size, strides=None, dilation_rate=1, padding="valid",
                       data_format=None):
    r"""Cut volumes ``(N, D, H, W, C)`` into ``size = (p_d, p_h, p_w)`` patches.

    The output is ``(N, D', H', W', p_d p_h p_w C)``, each window flattened
    depth-major with the channels innermost; ``strides`` defaults to ``size``.
    A single volume ``(D, H, W, C)`` gives ``(D', H', W', ...)``.

    **Derivative:** the transpose of the gather (gradients added back, summed
    where windows overlap).
    """
    return _patches("extract_patches_3d", volumes, size, strides, dilation_rate, padding,
                    data_format, rank=3)


# ======================================================================== pad and crop
def _check_sides(op, words, first, second, target, axis):
    """Exactly two of (first, second, target) given, none negative; returns their names."""
    names = [f"top_{words}", f"bottom_{words}", "target_height"] if axis == "height" \
        else [f"left_{words}", f"right_{words}", "target_width"]
    values = [first, second, target]
    if values.count(None) != 1:
        raise ValueError(
            f"ops.image.{op}: give exactly two of {', '.join(names)}; got "
            + ", ".join(f"{n}={v}" for n, v in zip(names, values))
            + f". Fix: e.g. {names[0]}=1, {names[1]}=1.")
    for name, value in zip(names, values):
        if value is not None and value < 0:
            raise ValueError(f"ops.image.{op}: `{name}` must be >= 0; got {name}={value}.")
    return names


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None,
               right_padding=None, target_height=None, target_width=None, data_format=None):
    r"""Surround images with zeros: ``top``/``bottom`` rows, ``left``/``right`` columns.

    Give two of ``top_padding, bottom_padding, target_height`` (the third follows
    from :math:`\text{top} + H + \text{bottom} = \text{target}`), and likewise for the width.

    **Derivative:** padding is linear; its transpose cuts the padded border off
    the gradient.
    """
    a = _value(images)
    _check_rank("pad_images", "images", a)
    layout = _Layout(a, _data_format("pad_images", data_format))
    height, width = layout.to_nhwc(a).shape[1:3]
    sides = []
    for (first, second, target, n, axis) in (
            (top_padding, bottom_padding, target_height, height, "height"),
            (left_padding, right_padding, target_width, width, "width")):
        names = _check_sides("pad_images", "padding", first, second, target, axis)
        first = target - second - n if first is None else first
        second = target - first - n if second is None else second
        for name, value in ((names[0], first), (names[1], second)):
            if value < 0:
                raise ValueError(
                    f"ops.image.pad_images: `{name}` must be >= 0; got {name}={value} (the "
                    f"images are {n} pixels along the {axis}). Fix: a larger target_{axis}.")
        sides.append((first, second))
    (top, bottom), (left, right) = sides

    def forward(x):
        return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))

    def backward(g):
        return g[:, top:top + height, left:left + width]
    return _linear_op(images, a, layout, forward, backward)


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None,
                right_cropping=None, target_height=None, target_width=None, data_format=None):
    r"""Cut ``top``/``bottom`` rows and ``left``/``right`` columns off images.

    Give two of ``top_cropping, bottom_cropping, target_height`` (and likewise
    for the width); the window kept starts at (top, left) and is
    ``target_height x target_width``.

    **Derivative:** the transpose of a crop pads the gradient with zeros back
    to the input's size (cut pixels get no gradient).
    """
    a = _value(images)
    _check_rank("crop_images", "images", a)
    layout = _Layout(a, _data_format("crop_images", data_format))
    height, width = layout.to_nhwc(a).shape[1:3]
    windows = []
    for (first, second, target, n, axis) in (
            (top_cropping, bottom_cropping, target_height, height, "height"),
            (left_cropping, right_cropping, target_width, width, "width")):
        names = _check_sides("crop_images", "cropping", first, second, target, axis)
        first = n - target - second if first is None else first
        target = n - second - first if target is None else target
        if first < 0 or target < 0 or first + target > n:
            raise ValueError(
                f"ops.image.crop_images: cannot keep {target} of the {n} pixels along the "
                f"{axis} starting at {first}. Fix: {names[0]} + target_{axis} must lie in "
                f"[0, {n}].")
        windows.append((first, target))
    (top, rows), (left, cols) = windows

    def forward(x):
        return x[:, top:top + rows, left:left + cols]

    def backward(g):
        grad = np.zeros(g.shape[:1] + (height, width) + g.shape[3:], dtype=g.dtype)
        grad[:, top:top + rows, left:left + cols] = g
        return grad
    return _linear_op(images, a, layout, forward, backward)
