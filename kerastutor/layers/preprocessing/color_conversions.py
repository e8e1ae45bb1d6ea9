r"""Colour arithmetic shared by the colour augmentation layers, each with its derivative.

Keras keeps these in ``keras.ops.image``; here each is a pair -- the function and
its backward -- so a layer's backward is the chain rule over a few named steps.
All work on channels-last batches ``(N, H, W, C)``.

**Grayscale** (ITU-R 601 luma, the weights Keras and torchvision use):

.. math:: \text{gray} = 0.2989\,r + 0.587\,g + 0.114\,b .

**RGB to HSV** (as ``dm_pix``/Keras): with :math:`V = \max(r,g,b)`,
:math:`m = \min(r,g,b)` and the range :math:`R = V - m`,

.. math::

    S = R / V \;(0 \text{ if } V = 0), \qquad
    H = \begin{cases}
        \frac{g - b}{6R} & V = r \\
        \frac{b - r}{6R} + \frac13 & V = g \\
        \frac{r - g}{6R} + \frac23 & \text{otherwise}
    \end{cases}
    \;(+1 \text{ if negative};\ 0 \text{ if } R = 0).

**HSV to RGB**: with :math:`d = 6\,(H \bmod 1)` and the three "triangle" ramps
:math:`t_r = \operatorname{clip}(|d-3|-1, 0, 1)`,
:math:`t_g = \operatorname{clip}(2-|d-2|, 0, 1)`,
:math:`t_b = \operatorname{clip}(2-|d-4|, 0, 1)`,

.. math:: c = V\,(1 - S + S\,t_c), \qquad c \in \{r, g, b\}.

**Depthwise "same" convolution** (zero padding), used by the blur and
sharpness layers: :math:`(K * x)_{i,j} = \sum_{a,b} K_{a,b}\, x_{i+a-p,\, j+b-p}`.
Its adjoint (the backward) is the same sum with the kernel turned by 180 degrees.
"""
import numpy as np

#: Luma weights for R, G, B.
GRAY_WEIGHTS = np.array([0.2989, 0.587, 0.114])


def check_channels(layer_name, channels, allowed=(1, 3)):
    if channels not in allowed:
        raise ValueError(
            f"{layer_name}: expected images with {' or '.join(map(str, allowed))} channels "
            f"(RGB or grayscale), got {channels}. Fix: give RGB images, channels last "
            "(or set data_format='channels_first').")


# ------------------------------------------------------------------------- grayscale
def rgb_to_grayscale(images):
    """``(N, H, W, 3)`` -> ``(N, H, W, 1)`` luma; one channel is returned as it is."""
    if images.shape[-1] == 1:
        return images.copy()
    weights = GRAY_WEIGHTS.astype(images.dtype)
    return (images * weights).sum(axis=-1, keepdims=True)


def rgb_to_grayscale_backward(grad_gray, channels):
    r""":math:`\partial L/\partial x_c = w_c\, \partial L/\partial \text{gray}`."""
    if channels == 1:
        return grad_gray
    return grad_gray * GRAY_WEIGHTS.astype(grad_gray.dtype)


# ------------------------------------------------------------------------- RGB <-> HSV
def rgb_to_hsv(images):
    """HSV planes of RGB images (all three in [0, 1] for inputs in [0, 1]), and a cache."""
    tiny = np.abs(images) < np.finfo(images.dtype).eps
    rgb = np.where(tiny, 0, images)              # Keras zeroes values below float eps
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    value = rgb.max(axis=-1)
    minimum = rgb.min(axis=-1)
    span = value - minimum
    safe_value = np.where(value > 0, value, 1)
    safe_span = np.where(span > 0, span, 1)
    saturation = np.where(value > 0, span / safe_value, 0)
    # the sector: which channel is the maximum (r first, then g, as Keras tests)
    sector = np.where(value == r, 0, np.where(value == g, 1, 2))
    numerator = np.choose(sector, [g - b, b - r, r - g])
    offset = sector / 3.0
    hue = numerator / (6 * safe_span) + offset
    hue = np.where(span > 0, hue, 0) + (hue < 0)
    cache = (tiny, rgb, sector, numerator, span, safe_span, value, safe_value, saturation)
    return np.stack([hue, saturation, value], axis=-1).astype(images.dtype), cache


def rgb_to_hsv_backward(cache, grad_hsv):
    r"""Chain rule through :math:`V`, :math:`S = R/V` and :math:`H = n/(6R) + c`.

    With one-hot vectors :math:`e_{\max}`, :math:`e_{\min}` of the channels that
    are the maximum and the minimum, :math:`\partial V = e_{\max}`,
    :math:`\partial R = e_{\max} - e_{\min}`,
    :math:`\partial S = (\partial R - S\,\partial V)/V` and
    :math:`\partial H = \partial n/(6R) - n\,\partial R/(6R^2)`
    (zero where :math:`R = 0` or :math:`V = 0`, as the forward's ``where`` says).
    """
    tiny, rgb, sector, numerator, span, safe_span, value, safe_value, saturation = cache
    g_h, g_s, g_v = grad_hsv[..., 0], grad_hsv[..., 1], grad_hsv[..., 2]
    channels = np.arange(3)
    e_max = (sector[..., None] == channels).astype(rgb.dtype)
    e_min = (rgb.argmin(axis=-1)[..., None] == channels).astype(rgb.dtype)
    d_span = e_max - e_min
    # d numerator / d rgb for the three sectors: (g-b), (b-r), (r-g)
    d_num = np.array([[0, 1, -1], [-1, 0, 1], [1, -1, 0]], dtype=rgb.dtype)[sector]
    has_span = (span > 0)[..., None]
    d_hue = np.where(has_span, d_num / (6 * safe_span[..., None]) -
                     (numerator / (6 * safe_span ** 2))[..., None] * d_span, 0)
    d_sat = np.where((value > 0)[..., None],
                     (d_span - saturation[..., None] * e_max) / safe_value[..., None], 0)
    grad = g_h[..., None] * d_hue + g_s[..., None] * d_sat + g_v[..., None] * e_max
    return np.where(tiny, 0, grad)


def _ramps(hue):
    """The triangle ramps t_r, t_g, t_b of 6 (H mod 1), and their slopes dt/dH."""
    d = np.mod(hue, 1.0) * 6.0
    raw = np.stack([np.abs(d - 3) - 1, 2 - np.abs(d - 2), 2 - np.abs(d - 4)], axis=-1)
    slope = 6.0 * np.stack([np.sign(d - 3), -np.sign(d - 2), -np.sign(d - 4)], axis=-1)
    inside = (raw > 0) & (raw < 1)
    return np.clip(raw, 0, 1), np.where(inside, slope, 0)


def hsv_to_rgb(hsv):
    """RGB planes of HSV images, and a cache."""
    hue, saturation, value = hsv[..., 0], hsv[..., 1:2], hsv[..., 2:3]
    ramps, slopes = _ramps(hue)
    rgb = value * (1 - saturation + saturation * ramps)
    return rgb.astype(hsv.dtype), (ramps, slopes, saturation, value)


def hsv_to_rgb_backward(cache, grad_rgb):
    r""":math:`\partial c/\partial V = 1 - S + S t_c`, :math:`\partial c/\partial S = V(t_c - 1)`,
    :math:`\partial c/\partial H = V S\, t_c'`."""
    ramps, slopes, saturation, value = cache
    g_h = (grad_rgb * value * saturation * slopes).sum(axis=-1)
    g_s = (grad_rgb * value * (ramps - 1)).sum(axis=-1)
    g_v = (grad_rgb * (1 - saturation + saturation * ramps)).sum(axis=-1)
    return np.stack([g_h, g_s, g_v], axis=-1)


# ------------------------------------------------------------------------- convolution
def depthwise_conv_same(images, kernel):
    """Each channel convolved with the square ``kernel`` (odd size), zeros outside.

    The loop runs over the kernel's taps (9 for 3x3), never over pixels.
    """
    size = kernel.shape[0]
    pad = size // 2
    height, width = images.shape[1:3]
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    out = np.zeros_like(images)
    for a in range(size):
        for b in range(size):
            out = out + kernel[a, b] * padded[:, a:a + height, b:b + width]
    return out


def depthwise_conv_same_backward(grad, kernel):
    """The adjoint: convolve the gradient with the kernel turned by 180 degrees."""
    return depthwise_conv_same(grad, kernel[::-1, ::-1])


def gaussian_kernel(size, sigma_x, sigma_y, dtype="float32"):
    r""":math:`K_{a,b} = k_y[a]\,k_x[b]`, :math:`k[i] \propto e^{-(i - (s-1)/2)^2 / (2\sigma^2)}`,
    each normalised to sum 1."""
    offsets = np.arange(size, dtype=dtype) - (size - 1) / 2

    def one_d(sigma):
        k = np.exp(-0.5 * (offsets / np.asarray(sigma, dtype)) ** 2)
        return k / k.sum()
    return np.outer(one_d(sigma_y), one_d(sigma_x)).astype(dtype)


# ------------------------------------------------------------------------- value ranges
def check_value_range(layer_name, value_range):
    """Keras's rule for most colour layers: two numbers, stored sorted as a list."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(
            f"{layer_name}: the `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range!r}. Fix: e.g. value_range=(0, 255).")
    return sorted(value_range)
