r"""``keras.ops.nn``: activations, convolutions, pooling, normalization, attention, losses.

Every op computes its value with NumPy and, on a traced operand, records its
vector-Jacobian product (VJP) next to the forward formula:

* **activations** are the objects of :mod:`kerastutor.activations`: an
  activation's ``forward`` gives the value and its own ``backward`` is the op's
  derivative (:func:`~kerastutor.tape.record_activation`), so no formula is
  written twice;
* **convolutions, pooling, fold/unfold** are one matrix product (or one
  reduction) over the *patch matrix* of
  :func:`~kerastutor.layers.conv_im2col.im2col`; their derivative scatters the
  patch gradients back with its adjoint
  :func:`~kerastutor.layers.conv_im2col.col2im` -- the machinery the
  convolution layers use. That module imports nothing of kerastutor, but
  reaching it runs ``kerastutor/layers/__init__.py``, which imports the layers
  and they import :mod:`kerastutor.ops`; so it is imported *inside* the
  functions (:func:`_im2col_module`), once ``kerastutor.ops`` is complete;
* **normalizations, attention, losses** write their VJP out in a few lines of
  NumPy (the loss and normalization *layers* import :mod:`kerastutor.ops`, so
  their helpers cannot be imported here without an import cycle).

Integer outputs (``one_hot``, ``multi_hot``, ``ctc_decode``) pass no gradient,
as in Keras: they return plain arrays.
"""
import math
import warnings

import numpy as np

from kerastutor import activations, backend
from kerastutor.tape import _record, _record_many, _value, unbroadcast

# ============================================================================ helpers


def _im2col_module():
    """:mod:`kerastutor.layers.conv_im2col`, imported on first use.

    Importing it at the top of this module would run ``kerastutor/layers/__init__``
    while ``kerastutor.ops`` is still half-built (the layers import the ops).
    """
    from kerastutor.layers import conv_im2col
    return conv_im2col


def _floating(x):
    """The array behind ``x``, as a float array (integers become ``floatx()``)."""
    a = _value(x)
    return a if a.dtype.kind in "fc" else a.astype(backend.floatx())


def _bad(op, argument, expected, value, fix):
    """A ValueError that names the op, the argument, what was expected and given, the fix."""
    return ValueError(f"ops.{op}: `{argument}` must be {expected}; got {value!r}. Fix: {fix}")


def _data_format(op, data_format):
    value = backend.image_data_format() if data_format is None else data_format
    if value not in ("channels_last", "channels_first"):
        raise _bad(op, "data_format", "'channels_last' or 'channels_first'", data_format,
                   "pass data_format='channels_last' (channels at the end, the default).")
    return value


def _padding(op, padding):
    value = str(padding).lower()
    if value not in ("valid", "same"):
        raise _bad(op, "padding", "'valid' or 'same'", padding,
                   "'valid' keeps only whole windows, 'same' keeps ceil(n / strides) outputs.")
    return value


def _per_axis(op, argument, value, rank):
    """``2 -> (2, 2)`` for two spatial axes; a tuple must have one entry per axis."""
    values = (value,) * rank if np.ndim(value) == 0 else tuple(value)
    if len(values) != rank or any(int(v) != v or v < 1 for v in values):
        raise _bad(op, argument, f"a positive integer or {rank} of them", value,
                   f"give one value per spatial axis ({rank} here).")
    return tuple(int(v) for v in values)


def _spatial_rank(op, x, low=1, high=3):
    rank = x.ndim - 2
    if not low <= rank <= high:
        raise _bad(op, "inputs", f"of rank {low + 2} to {high + 2} (batch, spatial axes, "
                   "channels)", f"an array of shape {x.shape}",
                   "add the batch and channel axes (e.g. x[None, ..., None]).")
    return rank


def _to_last(a, data_format):
    """channels_first -> channels_last (the layout the im2col machinery works in)."""
    return np.moveaxis(a, 1, -1) if data_format == "channels_first" else a


def _from_last(a, data_format):
    return np.moveaxis(a, -1, 1) if data_format == "channels_first" else a


def _axes_tuple(axis, ndim):
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axes))


# ======================================================================= activations
def relu(x):
    r""":math:`\max(x, 0)`; derivative :math:`[x > 0]` (:class:`~kerastutor.activations.ReLU`)."""
    return activations.ReLU()(x)


def relu6(x):
    r""":math:`\min(\max(x, 0), 6)`; derivative :math:`[0 < x < 6]`
    (:class:`~kerastutor.activations.ReLU6`)."""
    return activations.ReLU6()(x)


def leaky_relu(x, negative_slope=0.2):
    r""":math:`x` above 0, :math:`\alpha x` below; derivative 1 or :math:`\alpha`
    (:class:`~kerastutor.activations.LeakyReLU`)."""
    return activations.LeakyReLU(negative_slope)(x)


def elu(x, alpha=1.0):
    r""":math:`x` above 0, :math:`\alpha(e^x - 1)` below; derivative 1 or :math:`\alpha e^x`
    (:class:`~kerastutor.activations.ELU`)."""
    return activations.ELU(alpha)(x)


def selu(x):
    r""":math:`\lambda\,\mathrm{elu}_\alpha(x)` with Klambauer et al.'s constants
    (:class:`~kerastutor.activations.SELU`)."""
    return activations.SELU()(x)


def celu(x, alpha=1.0):
    r""":math:`x` above 0, :math:`\alpha(e^{x/\alpha} - 1)` below; derivative 1 or
    :math:`e^{x/\alpha}` (:class:`~kerastutor.activations.CELU`)."""
    return activations.CELU(alpha)(x)


def gelu(x, approximate=True):
    r""":math:`x\,\Phi(x)`, the input weighted by the normal CDF.

    Keras's *op* defaults to the tanh approximation
    :math:`\tfrac x2(1 + \tanh(\sqrt{2/\pi}(x + 0.044715x^3)))`; the activation
    ``keras.activations.gelu`` defaults to the exact erf form. Both derivatives
    are written in :class:`~kerastutor.activations.GELU`.
    """
    return activations.GELU(approximate)(x)


def silu(x):
    r""":math:`x\,\sigma(x)`; derivative :math:`\sigma(x)(1 + x(1 - \sigma(x)))`
    (:class:`~kerastutor.activations.SiLU`)."""
    return activations.SiLU()(x)


swish = silu


def hard_silu(x):
    r""":math:`x\,\mathrm{relu6}(x + 3)/6`; derivative :math:`(2x + 3)/6` on
    :math:`(-3, 3)`, 0 below, 1 above (:class:`~kerastutor.activations.HardSiLU`)."""
    return activations.HardSiLU()(x)


hard_swish = hard_silu


def sigmoid(x):
    r""":math:`\sigma(x) = 1/(1 + e^{-x})`; derivative :math:`\sigma(1 - \sigma)`
    (:class:`~kerastutor.activations.Sigmoid`)."""
    return activations.Sigmoid()(x)


def hard_sigmoid(x):
    r""":math:`\mathrm{relu6}(x + 3)/6`; derivative :math:`\tfrac16` on :math:`(-3, 3)`
    (:class:`~kerastutor.activations.HardSigmoid`)."""
    return activations.HardSigmoid()(x)


def sparse_sigmoid(x):
    r""":math:`\mathrm{clip}((x + 1)/2, 0, 1)`; derivative :math:`\tfrac12` on :math:`(-1, 1)`
    (:class:`~kerastutor.activations.SparseSigmoid`)."""
    return activations.SparseSigmoid()(x)


def log_sigmoid(x):
    r""":math:`\log\sigma(x) = -\log(1 + e^{-x})`; derivative :math:`\sigma(-x)`
    (:class:`~kerastutor.activations.LogSigmoid`)."""
    return activations.LogSigmoid()(x)


def softplus(x):
    r""":math:`\log(1 + e^x)`; derivative :math:`\sigma(x)`
    (:class:`~kerastutor.activations.Softplus`)."""
    return activations.Softplus()(x)


def softsign(x):
    r""":math:`x / (1 + |x|)`; derivative :math:`1/(1 + |x|)^2`
    (:class:`~kerastutor.activations.Softsign`)."""
    return activations.Softsign()(x)


def squareplus(x, b=4):
    r""":math:`(x + \sqrt{x^2 + b})/2`; derivative :math:`\tfrac12(1 + x/\sqrt{x^2 + b})`
    (:class:`~kerastutor.activations.Squareplus`)."""
    return activations.Squareplus(b)(x)


def sparse_plus(x):
    r""":math:`0`, :math:`\tfrac14(x + 1)^2`, :math:`x` below :math:`-1`, between, above 1;
    derivative :math:`\mathrm{clip}((x + 1)/2, 0, 1)`
    (:class:`~kerastutor.activations.SparsePlus`)."""
    return activations.SparsePlus()(x)


def tanh_shrink(x):
    r""":math:`x - \tanh x`; derivative :math:`\tanh^2 x`
    (:class:`~kerastutor.activations.TanhShrink`)."""
    return activations.TanhShrink()(x)


def hard_tanh(x):
    r""":math:`\mathrm{clip}(x, -1, 1)`; derivative :math:`[|x| < 1]`
    (:class:`~kerastutor.activations.HardTanh`)."""
    return activations.HardTanh()(x)


def soft_shrink(x, threshold=0.5):
    r""":math:`\mathrm{sign}(x)\max(|x| - \lambda, 0)`; derivative :math:`[|x| > \lambda]`
    (:class:`~kerastutor.activations.SoftShrink`)."""
    return activations.SoftShrink(threshold)(x)


def hard_shrink(x, threshold=0.5):
    r""":math:`x\,[|x| > \lambda]`; derivative :math:`[|x| > \lambda]`
    (:class:`~kerastutor.activations.HardShrink`)."""
    return activations.HardShrink(threshold)(x)


def threshold(x, threshold, default_value):
    r""":math:`x` where :math:`x > \theta`, else ``default_value``; derivative :math:`[x > \theta]`
    (:class:`~kerastutor.activations.Threshold`)."""
    return activations.Threshold(threshold, default_value)(x)


def glu(x, axis=-1):
    r""":math:`a \odot \sigma(b)` for the two halves :math:`[a, b]` of ``x`` along ``axis``;
    VJP :math:`g\sigma(b)` and :math:`g\,a\,\sigma(b)(1 - \sigma(b))`
    (:class:`~kerastutor.activations.GLU`)."""
    return activations.GLU(axis)(x)


def softmax(x, axis=-1):
    r""":math:`e^{x_i} / \sum_k e^{x_k}` along ``axis``; VJP :math:`s \odot (g - \sum_i g_i s_i)`
    (:class:`~kerastutor.activations.Softmax`)."""
    return activations.Softmax(axis)(x)


def log_softmax(x, axis=-1):
    r""":math:`x_i - \log\sum_k e^{x_k}` along ``axis``; VJP :math:`g - s\sum_i g_i`
    (:class:`~kerastutor.activations.LogSoftmax`)."""
    return activations.LogSoftmax(axis)(x)


def sparsemax(x, axis=-1):
    r"""The Euclidean projection of ``x`` onto the probability simplex (Martins & Astudillo, 2016).

    .. math::

        y_i = \max(x_i - \tau, 0), \qquad \tau = \frac{\sum_{j \le k} z_j - 1}{k}

    with :math:`z` the entries sorted in decreasing order and :math:`k` the
    largest index with :math:`1 + k z_k > \sum_{j \le k} z_j` (the support size).
    On the support :math:`S` the Jacobian is :math:`I - \mathbf 1\mathbf 1^\top/|S|`:
    :math:`\partial L/\partial x_i = [i \in S](g_i - \tfrac1{|S|}\sum_{j \in S} g_j)`.

    Keras 3.15.1 sums the cumulative sums over the support instead of taking the
    :math:`k`-th one, which is wrong as soon as :math:`k > 1`:
    ``sparsemax([-0.5, 0.2, 1.1])`` is :math:`(0, 0.05, 0.95)`, Keras gives
    :math:`(0, 0, 0.4)`. (:class:`~kerastutor.activations.Sparsemax`.)
    """
    return activations.Sparsemax(axis)(x)


# ====================================================================== convolution
def _conv_channels_last(x, w, strides, padding, dilation, groups):
    r"""Grouped N-d convolution of channels_last ``x`` as one product per group.

    With :math:`P` the patch matrix of the padded input (one row per output
    pixel) and :math:`W_g` the kernel of group :math:`g` as a matrix:
    :math:`Z_g = P_g W_g`, :math:`\partial L/\partial W_g = P_g^\top G_g`,
    :math:`\partial L/\partial P_g = G_g W_g^\top`, and ``col2im`` adds the
    patch gradients back onto the pixels they were read from.
    Returns ``(z, vjp)`` where ``vjp(g) -> (dx, dw)`` (channels_last).
    """
    c2 = _im2col_module()
    rank = x.ndim - 2
    kernel_size = w.shape[:rank]
    pads, out = c2.conv_geometry(x.shape[1:-1], kernel_size, strides, dilation, padding)
    xp = c2.pad(x, pads)
    patches = c2.im2col(xp, kernel_size, strides, dilation, out, groups)
    wg = c2.kernel_as_groups(w, groups)
    filters = w.shape[-1]
    z = c2.merge_groups(c2.grouped_matmul(patches, wg)).reshape((x.shape[0],) + out + (filters,))

    def vjp(g):
        gg = c2.split_groups(g.reshape(-1, filters), groups)        # (groups, rows, f/groups)
        dw = c2.groups_as_kernel(c2.grouped_matmul(patches.transpose(0, 2, 1), gg), w.shape)
        dpatches = c2.grouped_matmul(gg, wg.transpose(0, 2, 1))
        dxp = c2.col2im(dpatches, xp.shape, kernel_size, strides, dilation, out, groups)
        return c2.crop(dxp, pads), dw
    return z, vjp


def _conv_arguments(op, x, kernel, strides, padding, data_format, dilation_rate):
    rank = _spatial_rank(op, x)
    if kernel.ndim != rank + 2:
        raise _bad(op, "kernel", f"of rank {rank + 2} (*kernel_size, in_channels, "
                   "out_channels)", f"an array of shape {kernel.shape}",
                   "give the kernel one axis per spatial axis of the input, then two more.")
    return (rank, _per_axis(op, "strides", strides, rank), _padding(op, padding),
            _data_format(op, data_format), _per_axis(op, "dilation_rate", dilation_rate, rank))


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    r"""N-d convolution (cross-correlation, as in every deep-learning library).

    For channels_last ``inputs`` :math:`x` ``(batch, *spatial, cin)`` and a
    ``kernel`` :math:`W` ``(*kernel_size, cin / groups, filters)``:

    .. math::

        z_{n,p,f} = \sum_k \sum_c \tilde x_{n,\,s p + d k,\,c}\, W_{k,c,f}

    (:math:`\tilde x` zero-padded for ``"same"``; ``groups = cin / kernel.shape[-2]``
    splits the channels into independent groups). As matrices :math:`Z = P W`
    with :math:`P` the im2col patch matrix, so the VJPs are
    :math:`\partial L/\partial W = P^\top G` and
    :math:`\partial L/\partial x = \mathrm{col2im}(G W^\top)`.
    """
    x, w = _floating(inputs), _floating(kernel)
    rank, strides, padding, data_format, dilation = _conv_arguments(
        "conv", x, w, strides, padding, data_format, dilation_rate)
    xl = _to_last(x, data_format)
    cin, kernel_cin = xl.shape[-1], w.shape[-2]
    if cin % kernel_cin or w.shape[-1] % (cin // kernel_cin):
        raise _bad("conv", "kernel", f"of shape (*kernel_size, {cin} / groups, filters) with "
                   f"filters divisible by groups", f"shape {w.shape} for {cin} input channels",
                   "make kernel.shape[-2] the input channels (or a divisor of them).")
    z, vjp_last = _conv_channels_last(xl, w, strides, padding, dilation, cin // kernel_cin)

    def vjp(g):
        dx, dw = vjp_last(_to_last(g, data_format))
        return _from_last(dx, data_format), dw
    return _record(_from_last(z, data_format), (inputs, kernel), vjp)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    r"""Depthwise convolution: each input channel convolved with its own ``multiplier`` filters.

    ``kernel`` is ``(*kernel_size, cin, multiplier)``; the output has
    ``cin * multiplier`` channels, channel :math:`c\,m + j` from input channel
    :math:`c`. It *is* a grouped :func:`conv` with one group per channel (the
    kernel reshaped to ``(*kernel_size, 1, cin * multiplier)``), so its VJP is
    that convolution's, reshaped back.
    """
    w = _value(kernel)
    flat = (lambda k: k.reshape(k.shape[:-2] + (1, k.shape[-2] * k.shape[-1])))
    x = _floating(inputs)
    _, strides, padding, data_format, dilation = _conv_arguments(
        "depthwise_conv", x, w, strides, padding, data_format, dilation_rate)
    cin = x.shape[-1] if data_format == "channels_last" else x.shape[1]
    if w.shape[-2] != cin:
        raise _bad("depthwise_conv", "kernel", f"of shape (*kernel_size, {cin}, multiplier)",
                   f"shape {w.shape}", "make kernel.shape[-2] the number of input channels.")
    z, vjp_last = _conv_channels_last(_to_last(x, data_format), flat(_floating(kernel)),
                                      strides, padding, dilation, cin)

    def vjp(g):
        dx, dw = vjp_last(_to_last(g, data_format))
        return _from_last(dx, data_format), dw.reshape(w.shape)
    return _record(_from_last(z, data_format), (inputs, kernel), vjp)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    r"""A :func:`depthwise_conv` followed by a 1x1 :func:`conv` that mixes the channels.

    .. math:: z = \mathrm{conv}_{1\times1}(\mathrm{depthwise}(x, W_d), W_p)

    Both steps are recorded ops, so the VJP is the chain rule through the two.
    """
    spatial = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format,
                             dilation_rate)
    return conv(spatial, pointwise_kernel, 1, "valid", data_format, dilation_rate)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    r"""Transposed convolution: the map a convolution's input gradient is.

    Every input pixel :math:`p` spreads its channels over a window of the output:
    :math:`\tilde z_{n,\,s p + d k,\,f} \mathrel{+}= \sum_c x_{n,p,c} W_{k,f,c}`,
    cropped to Keras's output length. ``kernel`` is ``(*kernel_size, filters, cin)``.
    As matrices: ``col2im`` of :math:`X W^\top`. Its VJP is a plain convolution:
    with :math:`P` the im2col of the (re-padded) output gradient,
    :math:`\partial L/\partial x = P W` and :math:`\partial L/\partial W = P^\top X`.
    """
    c2 = _im2col_module()
    x, w = _floating(inputs), _floating(kernel)
    rank, strides, padding, data_format, dilation = _conv_arguments(
        "conv_transpose", x, w, strides, padding, data_format, dilation_rate)
    extra = (None,) * rank if output_padding is None else \
        tuple(output_padding) if np.ndim(output_padding) else (output_padding,) * rank
    xl = _to_last(x, data_format)
    n, spatial, cin = xl.shape[0], xl.shape[1:-1], xl.shape[-1]
    if w.shape[-1] != cin:
        raise _bad("conv_transpose", "kernel", f"of shape (*kernel_size, filters, {cin})",
                   f"shape {w.shape}", "the LAST kernel axis is the input channels here.")
    kernel_size, filters = w.shape[:rank], w.shape[-2]
    pads, canvas = [], []
    for size, k, s, d, a in zip(spatial, kernel_size, strides, dilation, extra):
        m = c2.deconv_output_length(size, k, padding, a, s, d)
        skip = c2.deconv_crop(k, padding, a, s, d)
        full = max((size - 1) * s + d * (k - 1) + 1, skip + m)    # the scatter, or more
        pads.append((skip, full - skip - m))
        canvas.append(full)
    rows = xl.reshape(-1, cin)                                     # X: one row per pixel
    wm = w.reshape(-1, cin)                                        # (kernel * filters, cin)
    scattered = c2.col2im((rows @ wm.T)[None], (n,) + tuple(canvas) + (filters,),
                          kernel_size, strides, dilation, spatial)
    z = c2.crop(scattered, pads)

    def vjp(g):
        patches = c2.im2col(c2.pad(_to_last(g, data_format), pads), kernel_size, strides,
                            dilation, spatial)[0]
        dx = (patches @ wm).reshape(xl.shape)
        return _from_last(dx, data_format), (patches.T @ rows).reshape(w.shape)
    return _record(_from_last(z, data_format), (inputs, kernel), vjp)


# ========================================================================== pooling
def _pool(op, inputs, pool_size, strides, padding, data_format, mode):
    r"""Max or average pooling as a reduction over the patch matrix, one group per channel.

    ``im2col`` with ``groups = channels`` lays every window of every channel out
    as one row of length :math:`K = \prod k`; max pooling keeps each row's
    (first) maximum, average pooling divides each row's sum by the number of
    *real* pixels in the window (padding is not counted). The VJP puts the
    upstream gradient on the winner (max) or spreads :math:`g/\text{count}`
    (average) over the row, and ``col2im`` adds the rows back onto the pixels.
    """
    c2 = _im2col_module()
    x = _floating(inputs)
    rank = _spatial_rank(op, x)
    pool_size = _per_axis(op, "pool_size", pool_size, rank)
    strides = pool_size if strides is None else _per_axis(op, "strides", strides, rank)
    padding, data_format = _padding(op, padding), _data_format(op, data_format)
    ones = (1,) * rank
    xl = _to_last(x, data_format)
    n, channels = xl.shape[0], xl.shape[-1]
    pads, out = c2.conv_geometry(xl.shape[1:-1], pool_size, strides, ones, padding)
    if min(out) < 1:
        raise _bad(op, "pool_size", f"at most the spatial size {xl.shape[1:-1]} with "
                   "padding='valid'", pool_size, "use padding='same' or a smaller window.")
    fill = -np.inf if mode == "max" else 0.0       # a padded pixel never wins a max
    xp = np.pad(xl, [(0, 0)] + list(pads) + [(0, 0)], constant_values=fill)
    windows = c2.im2col(xp, pool_size, strides, ones, out, channels)   # (C, rows, K)
    if mode == "max":
        winner = windows.argmax(axis=-1)[..., None]
        reduced = np.take_along_axis(windows, winner, axis=-1)[..., 0]
    else:
        real = c2.im2col(np.pad(np.ones((1,) + xl.shape[1:-1] + (1,), x.dtype),
                                [(0, 0)] + list(pads) + [(0, 0)]),
                         pool_size, strides, ones, out)[0].sum(axis=-1)   # (prod(out),)
        count = np.tile(real, n)                                          # rows: sample-major
        reduced = windows.sum(axis=-1) / count
    y = reduced.T.reshape((n,) + tuple(out) + (channels,))

    def vjp(g):
        rows = _to_last(g, data_format).reshape(-1, channels).T            # (C, rows)
        if mode == "max":
            dwindows = np.zeros_like(windows)
            np.put_along_axis(dwindows, winner, rows[..., None], axis=-1)
        else:
            dwindows = np.broadcast_to((rows / count)[..., None], windows.shape)
        dxp = c2.col2im(dwindows, xp.shape, pool_size, strides, ones, out, channels)
        return (_from_last(c2.crop(dxp, pads), data_format),)
    return _record(_from_last(y, data_format), (inputs,), vjp)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    r"""Max pooling: :math:`y_{n,p,c} = \max_{k} \tilde x_{n,\,s p + k,\,c}`.

    ``strides`` defaults to ``pool_size``; ``"same"`` pads with :math:`-\infty`
    (TF's rule: the odd extra pixel after). The gradient flows only to each
    window's maximum (the first, on ties), and adds up where windows overlap.
    """
    return _pool("max_pool", inputs, pool_size, strides, padding, data_format, "max")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    r"""Average pooling: :math:`y_{n,p,c} = \frac1{|W_p|}\sum_{q \in W_p} x_{n,q,c}`.

    :math:`|W_p|` counts the *real* pixels of the window (``"same"`` padding is
    not averaged in); every pixel of the window receives :math:`g/|W_p|`.
    """
    return _pool("average_pool", inputs, pool_size, strides, padding, data_format, "average")


def _adaptive_bounds(n, out):
    """Window ``j`` of ``out`` over ``n`` pixels: ``[floor(j n / out), ceil((j+1) n / out))``."""
    j = np.arange(out)
    return (j * n) // out, -((-(j + 1) * n) // out)


def _adaptive_arguments(op, inputs, output_size, data_format):
    x = _floating(inputs)
    rank = _spatial_rank(op, x)
    data_format = _data_format(op, data_format)
    return x, _per_axis(op, "output_size", output_size, rank), data_format


def adaptive_average_pool(inputs, output_size, data_format=None):
    r"""Average pooling to a fixed ``output_size``, whatever the input size.

    Output pixel :math:`j` of an axis of length :math:`n` averages the window
    :math:`[\lfloor jn/o \rfloor, \lceil (j+1)n/o \rceil)` (PyTorch's rule). A
    rectangle's mean is the mean along each axis in turn, so along each axis it
    is one matrix :math:`A` (:math:`o \times n`, rows averaging a window):
    :math:`y = x \times_1 A_1 \times_2 A_2 \cdots`, and the VJP multiplies by
    the transposes: :math:`\partial L/\partial x = g \times_1 A_1^\top \cdots`.
    """
    x, sizes, data_format = _adaptive_arguments("adaptive_average_pool", inputs, output_size,
                                                data_format)
    xl = _to_last(x, data_format)
    matrices = []
    for n, o in zip(xl.shape[1:-1], sizes):
        start, stop = _adaptive_bounds(n, o)
        inside = (np.arange(n) >= start[:, None]) & (np.arange(n) < stop[:, None])
        matrices.append((inside / (stop - start)[:, None]).astype(x.dtype))

    def along_axes(a, transpose):
        for axis, m in enumerate(matrices, start=1):
            a = np.moveaxis(np.tensordot(m.T if transpose else m, a, axes=([1], [axis])), 0, axis)
        return a
    y = along_axes(xl, False)
    return _record(_from_last(y, data_format), (inputs,),
                   lambda g: (_from_last(along_axes(_to_last(g, data_format), True),
                                         data_format),))


def adaptive_max_pool(inputs, output_size, data_format=None):
    r"""Max pooling to a fixed ``output_size`` (windows as :func:`adaptive_average_pool`).

    The maximum of a rectangle is the maximum along each axis in turn, so each
    axis is one step: gather every window (padded by repeating its last pixel,
    which cannot change a max), keep the largest, remember where it came from.
    The VJP walks the axes back, adding each gradient onto the pixel that won.
    """
    x, sizes, data_format = _adaptive_arguments("adaptive_max_pool", inputs, output_size,
                                                data_format)
    a = _to_last(x, data_format)
    steps = []                                   # (axis, length, source index of each max)
    for axis, o in enumerate(sizes, start=1):
        n = a.shape[axis]
        start, stop = _adaptive_bounds(n, o)
        width = int((stop - start).max())
        index = np.minimum(start[:, None] + np.arange(width), stop[:, None] - 1)   # (o, width)
        gathered = np.take(a, index, axis=axis)                # axis -> (o, width)
        best = gathered.argmax(axis=axis + 1)
        a = np.take_along_axis(gathered, np.expand_dims(best, axis + 1), axis + 1).squeeze(axis + 1)
        source = index[np.arange(o).reshape((o,) + (1,) * (a.ndim - axis - 1)), best]
        steps.append((axis, n, source))

    def vjp(g):
        g = _to_last(g, data_format)
        for axis, n, source in reversed(steps):
            won = np.moveaxis(source, axis, -1)[..., None] == np.arange(n)   # (..., o, n)
            g = np.moveaxis(np.einsum("...o,...on->...n", np.moveaxis(g, axis, -1), won), -1, axis)
        return (_from_last(g, data_format),)
    return _record(_from_last(a, data_format), (inputs,), vjp)


# ============================================================ layout: blocks and patches
def _block_size(op, block_size):
    if not isinstance(block_size, (int, np.integer)) or isinstance(block_size, bool) \
            or block_size < 1:
        raise _bad(op, "block_size", "a positive integer", block_size,
                   "use e.g. block_size=2 (2x2 pixels <-> 4 channels).")
    return int(block_size)


def _four_d(op, a):
    if a.ndim != 4:
        raise _bad(op, "x", "a 4-D array (batch, height, width, channels)",
                   f"an array of shape {a.shape}", "add the missing batch/channel axes.")


def depth_to_space(x, block_size, data_format="channels_last"):
    r"""Move channels into :math:`b \times b` pixel blocks (pixel shuffle).

    ``(N, H, W, C b^2)`` becomes ``(N, H b, W b, C)``: the channels of each pixel,
    read as a :math:`(b, b, C)` block, are laid out in the output. It only moves
    entries, so its VJP moves the gradient back (:func:`space_to_depth`).
    channels_first reads the channels as ``(C, b, b)``, as Keras does.
    """
    a = _value(x)
    _four_d("depth_to_space", a)
    b = _block_size("depth_to_space", block_size)
    data_format = _data_format("depth_to_space", data_format)
    channels = a.shape[-1] if data_format == "channels_last" else a.shape[1]
    if channels % (b * b):
        raise _bad("depth_to_space", "x", f"channels divisible by block_size**2 = {b * b}",
                   f"{channels} channels", "choose a block_size whose square divides them.")
    return _record(_depth_to_space(a, b, data_format), (x,),
                   lambda g: (_space_to_depth(g, b, data_format),))


def space_to_depth(x, block_size, data_format="channels_last"):
    r"""Fold :math:`b \times b` pixel blocks into channels: the inverse of :func:`depth_to_space`.

    ``(N, H, W, C)`` becomes ``(N, H/b, W/b, C b^2)``; the VJP is
    :func:`depth_to_space` of the gradient.
    """
    a = _value(x)
    _four_d("space_to_depth", a)
    b = _block_size("space_to_depth", block_size)
    data_format = _data_format("space_to_depth", data_format)
    spatial = a.shape[1:3] if data_format == "channels_last" else a.shape[2:]
    if spatial[0] % b or spatial[1] % b:
        raise _bad("space_to_depth", "x", f"height and width divisible by block_size = {b}",
                   f"spatial shape {spatial}", "crop or pad the image to a multiple of it.")
    return _record(_space_to_depth(a, b, data_format), (x,),
                   lambda g: (_depth_to_space(g, b, data_format),))


def _depth_to_space(a, b, data_format):
    if data_format == "channels_last":
        n, h, w, c = a.shape
        return a.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5) \
            .reshape(n, h * b, w * b, c // (b * b))
    n, c, h, w = a.shape
    return a.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3) \
        .reshape(n, c // (b * b), h * b, w * b)


def _space_to_depth(a, b, data_format):
    if data_format == "channels_last":
        n, h, w, c = a.shape
        return a.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5) \
            .reshape(n, h // b, w // b, c * b * b)
    n, c, h, w = a.shape
    return a.reshape(n, c, h // b, b, w // b, b).transpose(0, 1, 3, 5, 2, 4) \
        .reshape(n, c * b * b, h // b, w // b)


def _pair(op, argument, value, minimum=1):
    values = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(values) != 2 or any(int(v) != v or v < minimum for v in values):
        raise _bad(op, argument, f"an integer >= {minimum} or a pair of them", value,
                   "give one value, or (height, width).")
    return tuple(int(v) for v in values)


def _patch_geometry(op, spatial, kernel_size, dilation, padding, stride):
    kernel_size = _pair(op, "kernel_size", kernel_size)
    dilation, stride = _pair(op, "dilation", dilation), _pair(op, "stride", stride)
    padding = _pair(op, "padding", padding, minimum=0)
    out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, k, d, p, s in zip(spatial, kernel_size, dilation, padding, stride))
    return kernel_size, dilation, tuple((p, p) for p in padding), stride, out


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    r"""im2col of a channels_first image: every window as one column.

    ``(N, C, H, W)`` becomes ``(N, C k_h k_w, L)`` with :math:`L` windows; row
    :math:`c\,k_h k_w + i\,k_w + j` of column :math:`l` is pixel
    :math:`(s p_l + d (i, j))` of channel :math:`c` of the zero-padded image.
    Each pixel is *copied* into every window that reads it, so the VJP adds the
    column gradients back onto the pixels: :func:`fold` (``col2im``).
    """
    c2 = _im2col_module()
    a = _floating(x)
    if a.ndim != 4:
        raise _bad("unfold", "x", "a 4-D channels_first array (N, C, H, W)",
                   f"an array of shape {a.shape}", "add the batch axis: x[None].")
    n, channels, h, w = a.shape
    kernel_size, dilation, pads, stride, out = _patch_geometry(
        "unfold", (h, w), kernel_size, dilation, padding, stride)
    xp = c2.pad(np.moveaxis(a, 1, -1), pads)
    windows = c2.im2col(xp, kernel_size, stride, dilation, out, channels)   # (C, N*L, K)
    area = kernel_size[0] * kernel_size[1]
    y = windows.reshape(channels, n, -1, area).transpose(1, 0, 3, 2).reshape(n, -1, out[0] * out[1])

    def vjp(g):
        dwindows = g.reshape(n, channels, area, -1).transpose(1, 0, 3, 2).reshape(windows.shape)
        dxp = c2.col2im(dwindows, xp.shape, kernel_size, stride, dilation, out, channels)
        return (np.moveaxis(c2.crop(dxp, pads), -1, 1),)
    return _record(y, (x,), vjp)


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    r"""col2im: add every column of ``(N, C k_h k_w, L)`` back onto an ``(N, C, H, W)`` image.

    The adjoint of :func:`unfold`: overlapping windows sum, padding is cut off.
    Its VJP therefore is :func:`unfold` of the gradient (each column reads
    the pixels it was added onto).
    """
    c2 = _im2col_module()
    a = _floating(x)
    if a.ndim != 3:
        raise _bad("fold", "x", "a 3-D array (N, C * kernel_h * kernel_w, L)",
                   f"an array of shape {a.shape}", "pass what unfold returns.")
    h, w = _pair("fold", "output_size", output_size)
    kernel_size, dilation, pads, stride, out = _patch_geometry(
        "fold", (h, w), kernel_size, dilation, padding, stride)
    n, rows, count = a.shape
    area = kernel_size[0] * kernel_size[1]
    if rows % area or count != out[0] * out[1]:
        raise _bad("fold", "x", f"of shape (N, C * {area}, {out[0] * out[1]}) for this "
                   "output_size and window", f"shape {a.shape}",
                   "use the output_size, kernel_size, padding and stride given to unfold.")
    channels = rows // area
    padded = (n, h + 2 * pads[0][0], w + 2 * pads[1][0], channels)
    windows = a.reshape(n, channels, area, count).transpose(1, 0, 3, 2).reshape(
        channels, n * count, area)
    image = c2.col2im(windows, padded, kernel_size, stride, dilation, out, channels)
    y = np.moveaxis(c2.crop(image, pads), -1, 1)

    def vjp(g):
        gp = c2.pad(np.moveaxis(g, 1, -1), pads)
        dwindows = c2.im2col(gp, kernel_size, stride, dilation, out, channels)
        return (dwindows.reshape(channels, n, count, area).transpose(1, 0, 3, 2)
                .reshape(a.shape),)
    return _record(y, (x,), vjp)


# ==================================================================== normalization
def moments(x, axes, keepdims=False, synchronized=False):
    r"""Mean and variance over ``axes``: :math:`\mu = \frac1n\sum x`,
    :math:`\sigma^2 = \frac1n\sum (x - \mu)^2`.

    Two outputs, one VJP: :math:`\partial L/\partial x = g_\mu / n +
    g_{\sigma^2}\, 2(x - \mu)/n` (the :math:`\mu` inside :math:`\sigma^2` adds
    nothing: :math:`\sum (x - \mu) = 0`).
    """
    if synchronized:
        warnings.warn("ops.moments: synchronized=True has no meaning on one process; "
                      "the moments are computed locally.", stacklevel=2)
    a = _floating(x)
    axes = _axes_tuple(axes, a.ndim)
    count = np.prod([a.shape[i] for i in axes], dtype=np.int64)
    mean = a.mean(axis=axes, keepdims=True)
    centered = a - mean
    variance = (centered * centered).mean(axis=axes, keepdims=True)
    shape = mean.shape

    def vjp(grads):
        g_mean, g_var = (np.reshape(grad, shape) for grad in grads)
        return ((g_mean + 2 * g_var * centered) / a.dtype.type(count),)
    outputs = (mean, variance) if keepdims else (mean.squeeze(axes), variance.squeeze(axes))
    return _record_many(outputs, (x,), vjp)


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    r"""Normalize with given statistics:
    :math:`y = (x - \mu)\,\gamma/\sqrt{\sigma^2 + \epsilon} + \beta`.

    ``mean``, ``variance``, ``offset`` (:math:`\beta`), ``scale`` (:math:`\gamma`)
    are vectors along ``axis``. With :math:`r = 1/\sqrt{\sigma^2 + \epsilon}`:
    :math:`\partial L/\partial x = g\gamma r`, :math:`\partial L/\partial\mu = -\sum g\gamma r`,
    :math:`\partial L/\partial\sigma^2 = -\tfrac12\sum g\gamma (x - \mu) r^3`,
    :math:`\partial L/\partial\gamma = \sum g (x - \mu) r`,
    :math:`\partial L/\partial\beta = \sum g` (sums over every other axis).
    """
    a = _floating(x)
    axis = int(axis) % a.ndim
    shape = [1] * a.ndim
    shape[axis] = a.shape[axis]
    others = tuple(i for i in range(a.ndim) if i != axis)

    def vector(v, default):
        if v is None:
            return np.full(shape, default, a.dtype)
        value = _value(v)
        if value.size != a.shape[axis]:
            raise _bad("batch_normalization", "mean/variance/offset/scale",
                       f"vectors of length x.shape[axis] = {a.shape[axis]}",
                       f"an array of shape {value.shape}", "pass one value per channel.")
        return value.reshape(shape).astype(a.dtype, copy=False)
    mu, var, beta, gamma = (vector(mean, 0), vector(variance, 1), vector(offset, 0),
                            vector(scale, 1))
    r = 1 / np.sqrt(var + a.dtype.type(epsilon))
    centered = a - mu
    y = centered * (r * gamma) + beta

    def vjp(g):
        dx = g * (r * gamma)
        def total(t, v):                 # summed over every axis but `axis`, shaped as v
            return None if v is None else t.sum(axis=others).reshape(_value(v).shape)
        return (dx, total(-dx, mean), total(-0.5 * g * gamma * centered * r ** 3, variance),
                total(g, offset), total(g * centered * r, scale))
    return _record(y, (x, mean, variance, offset, scale), vjp)


def _compute_dtype(a):
    """Keras normalizes in at least float32 and casts back to the input's dtype."""
    return np.result_type(a.dtype, np.float32)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    r"""Normalize each sample over ``axis``: :math:`y = \gamma\hat x + \beta`,
    :math:`\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}`.

    With :math:`r = 1/\sqrt{\sigma^2 + \epsilon}`, :math:`\hat g = g\gamma` and means
    over the normalized axes:
    :math:`\partial L/\partial x =
    r(\hat g - \overline{\hat g} - \hat x\,\overline{\hat g \hat x})`,
    :math:`\partial L/\partial\gamma = \sum g\hat x`, :math:`\partial L/\partial\beta = \sum g`.
    ``epsilon`` defaults to ``backend.epsilon()``. The deprecated ``rms_scaling=True``
    of Keras (:math:`y = \gamma x r`, no centring) is kept, with Keras's warning.
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"ops.layer_normalization: unexpected arguments {sorted(kwargs)}. "
                        "Fix: use gamma, beta, axis, epsilon.")
    if rms_scaling:
        warnings.warn("ops.layer_normalization: rms_scaling=True is deprecated (it scales by "
                      "the variance, not the root mean square); use ops.rms_normalization.",
                      stacklevel=2)
    a = _floating(x)
    dtype = a.dtype
    a = a.astype(_compute_dtype(a), copy=False)
    eps = a.dtype.type(backend.epsilon() if epsilon is None else epsilon)
    axes = _axes_tuple(axis, a.ndim)
    broadcast = [a.shape[i] if i in axes else 1 for i in range(a.ndim)]

    def as_vector(v):
        if v is None:
            return None
        value = _value(v).astype(a.dtype, copy=False)
        return value.reshape(broadcast) if value.ndim != a.ndim and axes != (a.ndim - 1,) \
            else value
    g_vec, b_vec = as_vector(gamma), as_vector(beta)
    mean = np.zeros(()) if rms_scaling else a.mean(axis=axes, keepdims=True)
    centered = a - mean
    r = 1 / np.sqrt(np.var(a, axis=axes, keepdims=True) + eps)
    normalized = centered * r
    y = normalized if g_vec is None else normalized * g_vec
    y = y if b_vec is None else y + b_vec

    def vjp(g):
        g = g.astype(a.dtype, copy=False)
        gh = g if g_vec is None else g * g_vec
        mean_gx = (gh * normalized).mean(axis=axes, keepdims=True)
        if rms_scaling:              # y = gamma x r, with r from the centred variance
            mu = a.mean(axis=axes, keepdims=True)
            dx = r * gh - r ** 3 * (a - mu) * (gh * a).mean(axis=axes, keepdims=True)
        else:
            dx = r * (gh - gh.mean(axis=axes, keepdims=True) - normalized * mean_gx)
        dgamma = None if gamma is None else \
            unbroadcast(g * normalized, g_vec.shape).reshape(_value(gamma).shape).astype(dtype)
        dbeta = None if beta is None else \
            unbroadcast(g, b_vec.shape).reshape(_value(beta).shape).astype(dtype)
        return dx.astype(dtype, copy=False), dgamma, dbeta
    return _record(y.astype(dtype, copy=False), (x, gamma, beta), vjp)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    r"""Root-mean-square normalization (Zhang & Sennrich, 2019): :math:`y = x\,r\,\gamma`,
    :math:`r = 1/\sqrt{\overline{x^2} + \epsilon}`.

    No centring, unlike :func:`layer_normalization`. VJP, with :math:`\hat g = g\gamma`
    and means over ``axis``:
    :math:`\partial L/\partial x = r\hat g - r^3 x\,\overline{\hat g x}`,
    :math:`\partial L/\partial\gamma = \sum g x r`.
    """
    a = _floating(x)
    dtype = a.dtype
    a = a.astype(_compute_dtype(a), copy=False)
    if a.ndim == 0:
        a = a[None]
    eps = a.dtype.type(backend.epsilon() if epsilon is None else epsilon)
    axes = _axes_tuple(axis, a.ndim)
    s = None if scale is None else _value(scale).astype(a.dtype, copy=False)
    r = 1 / np.sqrt((a * a).mean(axis=axes, keepdims=True) + eps)
    normalized = a * r
    y = normalized if s is None else normalized * s

    def vjp(g):
        gh = g if s is None else g * s
        dx = r * gh - r ** 3 * a * (gh * a).mean(axis=axes, keepdims=True)
        dscale = None if scale is None else unbroadcast(g * normalized, s.shape).astype(dtype)
        return dx.reshape(_value(x).shape).astype(dtype, copy=False), dscale
    return _record(y.astype(dtype, copy=False), (x, scale), vjp)


def normalize(x, axis=-1, order=2, epsilon=None):
    r"""Scale to unit :math:`p`-norm along ``axis``: :math:`y = x / \max(\|x\|_p, \epsilon)`.

    Where the norm exceeds :math:`\epsilon`, with :math:`\nu = \|x\|_p` and
    :math:`\partial\nu/\partial x_i = \mathrm{sign}(x_i)|x_i|^{p-1}/\nu^{p-1}`:
    :math:`\partial L/\partial x = g/\nu - \frac{\sum_j g_j x_j}{\nu^2}\,\partial\nu/\partial x`;
    where :math:`\epsilon` wins, :math:`y = x/\epsilon` is linear.
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise _bad("normalize", "order", "an integer >= 1", order,
                   "order=2 is the Euclidean norm, order=1 the sum of absolute values.")
    a = _floating(x)
    if a.ndim == 0:
        a = a[None]
    eps = a.dtype.type(backend.epsilon() if epsilon is None else epsilon)
    axes = _axes_tuple(axis, a.ndim)
    magnitude = np.abs(a)
    norm = (magnitude ** order).sum(axis=axes, keepdims=True) ** (1 / order)
    large = norm > eps
    denominator = np.where(large, norm, eps)
    y = a / denominator

    def vjp(g):
        slope = np.sign(a) * magnitude ** (order - 1) / np.where(large, norm, 1) ** (order - 1)
        along = (g * a).sum(axis=axes, keepdims=True) / denominator ** 2
        dx = g / denominator - np.where(large, along * slope, 0)
        return (dx.reshape(_value(x).shape),)
    return _record(y, (x,), vjp)


# ======================================================================== attention
def _large_negative(dtype):
    """Keras's stand-in for :math:`-\\infty` in masked attention logits."""
    return dtype.type(-0.7 * (65500.0 if dtype == np.float16 else 3.38953e38))


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False, flash_attention=None, attn_logits_soft_cap=None):
    r"""Scaled dot-product attention over ``(batch, length, heads, head_dim)`` arrays.

    .. math::

        s_{bnts} = \alpha\, q_{btn}\cdot k_{bsn} + \text{bias}_{bnts}, \qquad
        p = \mathrm{softmax}_s(s), \qquad o_{btn} = \sum_s p_{bnts} v_{bsn}

    with :math:`\alpha = 1/\sqrt{H}` unless ``scale`` is given. A boolean ``mask``
    (True = attend) and ``is_causal`` (query :math:`t` sees keys :math:`s \le t`)
    replace the logits they hide by a large negative number. Fewer key/value heads
    than query heads (grouped-query attention) are repeated to match. VJP:
    :math:`\partial L/\partial v = p^\top g`, :math:`\partial L/\partial p = g v^\top`,
    :math:`\partial L/\partial s = p \odot (\partial_p - \sum_s p\,\partial_p)`, then
    :math:`\partial L/\partial q = \alpha\,\partial_s k`,
    :math:`\partial L/\partial k = \alpha\,\partial_s^\top q`, and the bias gets
    :math:`\partial_s` summed over its broadcast axes. ``flash_attention`` only chooses
    a faster kernel elsewhere; here there is one path.
    """
    if attn_logits_soft_cap is not None:
        raise _bad("dot_product_attention", "attn_logits_soft_cap", "None (Keras supports "
                   "it only with JAX on TPU)", attn_logits_soft_cap, "leave it out.")
    if bias is not None and mask is not None:
        raise ValueError("ops.dot_product_attention: give `bias` or `mask`, not both. Fix: "
                         "turn the mask into an additive bias (0 where True, a large "
                         "negative number where False) and add it to the bias.")
    q, k, v = _value(query), _value(key), _value(value)
    if q.ndim != 4 or k.ndim != 4 or v.ndim != 4:
        raise _bad("dot_product_attention", "query/key/value", "4-D arrays (batch, length, "
                   "heads, head_dim)", f"shapes {q.shape}, {k.shape}, {v.shape}",
                   "add a heads axis of size 1: x[:, :, None, :].")
    dtype = np.result_type(q, k, v)
    if dtype.kind != "f":
        dtype = np.dtype(backend.floatx())
    q, k, v = q.astype(dtype, copy=False), k.astype(dtype, copy=False), v.astype(dtype, copy=False)
    heads, kv_heads = q.shape[2], k.shape[2]
    if heads % kv_heads:
        raise _bad("dot_product_attention", "key", f"a number of heads dividing {heads}",
                   kv_heads, "use as many key/value heads as query heads, or a divisor.")
    repeat = heads // kv_heads
    k_rep, v_rep = np.repeat(k, repeat, axis=2), np.repeat(v, repeat, axis=2)
    alpha = dtype.type(1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    logits = np.einsum("btnh,bsnh->bnts", q, k_rep) * alpha
    t_len, s_len = q.shape[1], k.shape[1]
    keep = None if mask is None else _value(mask).astype(bool)
    if is_causal:
        causal = np.tril(np.ones((t_len, s_len), dtype=bool))
        keep = causal if keep is None else keep & causal
    if keep is not None:
        logits = np.where(keep, logits, _large_negative(dtype))
    b = None if bias is None else _value(bias).astype(dtype, copy=False)
    if b is not None:
        logits = logits + b
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs = shifted / shifted.sum(axis=-1, keepdims=True)
    out = np.einsum("bnts,bsnh->btnh", probs, v_rep)

    def fold_heads(grad):                 # repeated key/value heads: add their gradients
        return grad.reshape(grad.shape[:2] + (kv_heads, repeat, grad.shape[-1])).sum(axis=3)

    def vjp(g):
        dv = np.einsum("bnts,btnh->bsnh", probs, g)
        dp = np.einsum("btnh,bsnh->bnts", g, v_rep)
        ds = probs * (dp - (dp * probs).sum(axis=-1, keepdims=True))
        if keep is not None:
            ds = np.where(keep, ds, 0)
        dq = np.einsum("bnts,bsnh->btnh", ds, k_rep) * alpha
        dk = np.einsum("bnts,btnh->bsnh", ds, q) * alpha
        dbias = None if bias is None else unbroadcast(ds, b.shape).reshape(_value(bias).shape)
        return dq, fold_heads(dk), fold_heads(dv), dbias, None
    return _record(out, (query, key, value, bias, mask), vjp)


# =========================================================================== losses
def _clip_probability(p):
    eps = p.dtype.type(backend.epsilon())
    return np.clip(p, eps, 1 - eps), (p > eps) & (p < 1 - eps)


def _stable_log_softmax(z, axis):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _same_shape(op, target, output):
    if target.shape != output.shape:
        raise _bad(op, "target", f"of the same shape as `output` {output.shape}",
                   f"shape {target.shape}", "one-hot/probability targets match the "
                   "predictions entry for entry (integer labels: "
                   "sparse_categorical_crossentropy).")


def binary_crossentropy(target, output, from_logits=False):
    r"""Elementwise :math:`-[t\log p + (1 - t)\log(1 - p)]` (no reduction).

    Probabilities are clipped to :math:`[\epsilon, 1 - \epsilon]` (the gradient
    stops where clipping bites). From logits :math:`z` it is the stable
    :math:`\max(z, 0) - zt + \log(1 + e^{-|z|})`, with gradient
    :math:`\sigma(z) - t`. The target's gradient is :math:`\log\frac{1-p}{p}`
    (:math:`-z` from logits).
    """
    t, o = _operands_float(target, output)
    _same_shape("binary_crossentropy", t, o)
    if from_logits:
        loss = np.maximum(o, 0) - o * t + np.log1p(np.exp(-np.abs(o)))
        sig = activations._sigmoid(o)
        return _record(loss, (target, output), lambda g: (-g * o, g * (sig - t)))
    p, inside = _clip_probability(o)
    loss = -(t * np.log(p) + (1 - t) * np.log1p(-p))
    return _record(loss, (target, output),
                   lambda g: (g * (np.log1p(-p) - np.log(p)),
                              np.where(inside, g * ((1 - t) / (1 - p) - t / p), 0)))


def _operands_float(target, output):
    o = _floating(output)
    t = _value(target)
    return t.astype(o.dtype, copy=False), o


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    r""":math:`-\sum_c t_c \log p_c` along ``axis`` (no reduction over the batch).

    Without logits the predictions are first rescaled to sum to 1,
    :math:`q = o/\sum o`, then clipped: :math:`p = \mathrm{clip}(q, \epsilon, 1-\epsilon)`.
    VJP through the rescaling (:math:`\partial q_i/\partial o_j = (\delta_{ij} - q_i)/\sum o`):
    :math:`\partial L/\partial o_j = (d_j - \sum_i d_i q_i)/\sum o` with
    :math:`d = -t/p` where unclipped. From logits, :math:`\log p = \mathrm{log\_softmax}(z)`
    and :math:`\partial L/\partial z = p\sum_c t_c - t`. The target's gradient is
    :math:`-\log p`.
    """
    t, o = _operands_float(target, output)
    _same_shape("categorical_crossentropy", t, o)
    if o.ndim < 1:
        raise _bad("categorical_crossentropy", "output", "at least 1-D (classes on `axis`)",
                   o.shape, "add a class axis.")
    if from_logits:
        log_p = _stable_log_softmax(o, axis)
        loss = -(t * log_p).sum(axis=axis)

        def vjp(g):
            g = np.expand_dims(g, axis)
            return (-g * log_p, g * (np.exp(log_p) * t.sum(axis=axis, keepdims=True) - t))
        return _record(loss, (target, output), vjp)
    total = o.sum(axis=axis, keepdims=True)
    q = o / total
    p, inside = _clip_probability(q)
    loss = -(t * np.log(p)).sum(axis=axis)

    def vjp(g):
        g = np.expand_dims(g, axis)
        d = np.where(inside, -g * t / p, 0)
        return -g * np.log(p), (d - (d * q).sum(axis=axis, keepdims=True)) / total
    return _record(loss, (target, output), vjp)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    r""":math:`-\log p_{t}` for integer labels :math:`t` (no reduction over the batch).

    The same loss as :func:`categorical_crossentropy` with a one-hot target,
    without building it: the VJP is that op's with :math:`t` one-hot
    (from logits: :math:`\mathrm{softmax}(z) - \mathrm{onehot}(t)`). A label
    axis of size 1 is squeezed, as in Keras. The labels get no gradient.
    """
    o = _floating(output)
    labels = _value(target).astype(np.int64)
    axis = int(axis) % max(o.ndim, 1)
    if labels.ndim == o.ndim and labels.shape[axis] == 1:
        labels = labels.squeeze(axis)
    expected = o.shape[:axis] + o.shape[axis + 1:]
    if labels.shape != expected:
        raise _bad("sparse_categorical_crossentropy", "target", f"of shape {expected} (the "
                   "output's shape without its class axis)", f"shape {labels.shape}",
                   "pass one integer label per prediction row.")
    # the one-hot labels are a constant, so only `output` is an operand of the recorded op
    one_hot_t = np.moveaxis(np.arange(o.shape[axis]) == labels[..., None], -1, axis)
    return categorical_crossentropy(one_hot_t.astype(o.dtype), output, from_logits, axis)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    r"""Connectionist temporal classification loss, one value per sample (Graves et al., 2006).

    ``output`` holds logits ``(batch, T, classes)``; :math:`y = \mathrm{log\_softmax}`.
    The label sequence :math:`l` is extended with blanks (``mask_index``) around
    every label, :math:`l' = (\_, l_1, \_, l_2, \ldots, \_)`, and the forward
    variable sums the probability of every alignment prefix ending at
    :math:`l'_s` at time :math:`t`:

    .. math::

        \alpha_t(s) = y_t(l'_s) \Big(\alpha_{t-1}(s) + \alpha_{t-1}(s-1)
            + [l'_s \ne \_,\ l'_s \ne l'_{s-2}]\,\alpha_{t-1}(s-2)\Big)

    (in log space), and :math:`-\log p(l|x)` is read off the last two
    positions at each sample's last step. The backward variable
    :math:`\beta_t(s)` is the same recursion run from the end; their product
    gives the occupation :math:`\gamma_t(s) = \alpha_t(s)\beta_t(s) / (y_t(l'_s)\,p)`,
    and the gradient with respect to the logits is the textbook
    :math:`\partial L/\partial z_{t,k} = \mathrm{softmax}(z_t)_k - \sum_{s: l'_s = k} \gamma_t(s)`
    for :math:`t` inside the sample's length (0 after it). The loop runs over
    time steps; batch and label positions are vectorised.
    """
    logits = _floating(output)
    dtype = np.result_type(logits.dtype, np.float32)
    z = logits.astype(np.float64)                         # the recursions in float64
    labels = _value(target).astype(np.int64)
    label_len = _value(target_length).astype(np.int64).reshape(-1)
    time_len = _value(output_length).astype(np.int64).reshape(-1)
    batch, steps, classes = z.shape
    log_y = _stable_log_softmax(z, -1)
    ext = np.full((batch, 2 * labels.shape[1] + 1), mask_index, dtype=np.int64)
    ext[:, 1::2] = labels
    width = ext.shape[1]
    position = np.arange(width)
    valid = position < (2 * label_len + 1)[:, None]                 # (B, S)
    skip = np.zeros((batch, width), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != mask_index) & (ext[:, 2:] != ext[:, :-2])
    emit = np.take_along_axis(log_y, np.broadcast_to(ext[:, None, :], (batch, steps, width)),
                              axis=2)                               # y_t(l'_s): (B, T, S)
    minus_inf = np.full((batch, width), -np.inf)

    def shifted(a, by, allowed=None):            # a[s - by] (by > 0) or a[s + |by|] (by < 0)
        out = minus_inf.copy()
        if by > 0:
            out[:, by:] = a[:, :-by]
        else:
            out[:, :by] = a[:, -by:]
        return out if allowed is None else np.where(allowed, out, -np.inf)

    alpha = np.empty((batch, steps, width))
    start = minus_inf.copy()
    start[:, :2] = emit[:, 0, :2]
    alpha[:, 0] = np.where(valid, start, -np.inf)
    for t in range(1, steps):
        prev = alpha[:, t - 1]
        total = np.logaddexp(np.logaddexp(prev, shifted(prev, 1)), shifted(prev, 2, skip))
        alpha[:, t] = np.where(valid, total + emit[:, t], -np.inf)
    rows = np.arange(batch)
    last = alpha[rows, time_len - 1]                                 # (B, S)
    end = 2 * label_len
    log_p = np.logaddexp(last[rows, end],
                         np.where(label_len > 0, last[rows, np.maximum(end - 1, 0)], -np.inf))
    loss = (-log_p).astype(dtype)

    def vjp(g):
        beta = np.full((batch, steps, width), -np.inf)
        final = minus_inf.copy()                # beta at each sample's last step
        final[rows, end] = 0.0
        has_label = label_len > 0
        final[rows[has_label], end[has_label] - 1] = 0.0
        skip_ahead = np.zeros_like(skip)         # s -> s + 2 allowed iff skip[s + 2]
        skip_ahead[:, :-2] = skip[:, 2:]
        nxt = minus_inf
        for t in range(steps - 1, -1, -1):
            back = np.logaddexp(np.logaddexp(nxt, shifted(nxt, -1)),
                                shifted(nxt, -2, skip_ahead))
            here = np.where((t == time_len - 1)[:, None], final, back)
            here = np.where((t < time_len)[:, None] & valid, here + emit[:, t], -np.inf)
            beta[:, t] = here
            nxt = here
        with np.errstate(invalid="ignore"):
            gamma = np.exp(alpha + beta - emit - log_p[:, None, None])
        gamma = np.where(np.isfinite(log_p)[:, None, None], gamma, 0.0)
        occupancy = np.einsum("bts,bsc->btc", gamma, ext[..., None] == np.arange(classes))
        inside = (np.arange(steps) < time_len[:, None])[..., None]
        dz = np.where(inside, np.exp(log_y) - occupancy, 0.0) * np.asarray(g)[:, None, None]
        return None, dz.astype(logits.dtype), None, None
    return _record(loss, (target, output, target_length, output_length), vjp)


def psnr(x1, x2, max_val):
    r"""Peak signal-to-noise ratio: :math:`20\log_{10}M - 10\log_{10}\mathrm{MSE}`,
    :math:`\mathrm{MSE} = \overline{(x_1 - x_2)^2}` over every entry.

    VJP: :math:`\partial L/\partial x_1 =
    -g\,\frac{10}{\ln 10}\,\frac{2(x_1 - x_2)}{n\,\mathrm{MSE}}`,
    and the negative of it for :math:`x_2` (``max_val`` is a constant).
    """
    a, b = _floating(x1), _floating(x2)
    if a.shape != b.shape:
        raise _bad("psnr", "x2", f"of the same shape as x1 {a.shape}", f"shape {b.shape}",
                   "compare an image with its reconstruction of the same size.")
    diff = a - b
    mse = (diff * diff).mean()
    value = 20 * np.log10(np.asarray(max_val, a.dtype)) - 10 * np.log10(mse)

    def vjp(g):
        d = -g * (10 / math.log(10)) * 2 * diff / (diff.size * mse)
        return d, -d
    return _record(np.asarray(value, a.dtype), (x1, x2), vjp)


def polar(abs_, angle):
    r"""The complex number :math:`r e^{i\theta} = r\cos\theta + i\,r\sin\theta`.

    A real loss of a complex :math:`w = u + iv` hands back
    :math:`g = \partial L/\partial u + i\,\partial L/\partial v` (PyTorch's and
    TensorFlow's convention). Then
    :math:`\partial L/\partial r = \mathrm{Re}(g\,\overline{e^{i\theta}})` and
    :math:`\partial L/\partial\theta = \mathrm{Re}(g\,\overline{i w})`.
    """
    r, theta = _floating(abs_), _floating(angle)
    direction = np.cos(theta) + 1j * np.sin(theta)
    w = (r * direction).astype(np.result_type(r.dtype, theta.dtype, np.complex64))

    def vjp(g):
        return (unbroadcast(np.real(g * np.conj(direction)), r.shape).astype(r.dtype),
                unbroadcast(np.real(g * np.conj(1j * w)), theta.shape).astype(theta.dtype))
    return _record(w, (abs_, angle), vjp)


# ===================================================================== no gradient
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels to one-hot vectors along ``axis`` (no gradient: the input is integer).

    A negative label gives an all-zero vector, as in Keras.
    """
    if sparse:
        raise _bad("one_hot", "sparse", "False (kerastutor arrays are dense)", sparse,
                   "leave sparse=False.")
    labels = _value(x).astype(np.int64)
    out = (labels[..., None] == np.arange(num_classes)).astype(dtype or backend.floatx())
    return np.moveaxis(out, -1, axis) if axis != -1 else out


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Sets of integer labels to multi-hot vectors: 1 for every class present (no gradient).

    A 2-D input is one set per row; a 1-D input is one set. ``num_tokens`` is
    Keras's older name for ``num_classes``.
    """
    if num_classes is None:
        num_classes = kwargs.pop("num_tokens", None)
    if num_classes is None:
        raise _bad("multi_hot", "num_classes", "an integer", None, "pass num_classes=....")
    labels = _value(inputs).astype(np.int64)
    encoded = one_hot(labels, num_classes, axis=axis, dtype=dtype, sparse=sparse)
    return encoded.max(axis=1 if labels.ndim > 1 else 0)


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    r"""Decode CTC outputs ``(batch, T, classes)`` into label sequences (no gradient: a search).

    ``"greedy"``: take the best class at each step, merge repeats, drop blanks;
    the score is :math:`-\sum_t \max_k z_{t,k}`. ``"beam_search"``: prefix beam
    search over :math:`\log\mathrm{softmax}(z)`, keeping ``beam_width`` label
    prefixes, each scored by the total probability of its alignments (blank-
    and label-ending kept apart); the ``top_paths`` best are returned with their
    log-probabilities. Returns ``(paths, scores)``: ``paths`` ``(top_paths, batch, T)``
    int32 padded with -1, ``scores`` ``(batch, top_paths)``.
    """
    z = _floating(inputs)
    z = z.astype(np.result_type(z.dtype, np.float32), copy=False)
    lengths = _value(sequence_lengths).astype(np.int64).reshape(-1)
    batch, steps, classes = z.shape
    blank = classes - 1 if mask_index is None else mask_index
    if strategy == "greedy":
        return _greedy_decode(z, lengths, merge_repeated, blank)
    if strategy == "beam_search":
        return _beam_search_decode(z, lengths, beam_width, top_paths, blank)
    raise _bad("ctc_decode", "strategy", "'greedy' or 'beam_search'", strategy,
               "'greedy' is fast, 'beam_search' more accurate.")


def _greedy_decode(z, lengths, merge_repeated, blank):
    batch, steps, _ = z.shape
    best = z.argmax(axis=-1)
    score = z.max(axis=-1)
    past_end = np.arange(steps)[None] >= lengths[:, None]
    best = np.where(past_end, blank, best)
    score = np.where(past_end, 0, score)
    if merge_repeated:
        repeat = np.zeros_like(past_end)
        repeat[:, 1:] = best[:, 1:] == best[:, :-1]
        best = np.where(repeat, blank, best)
    dropped = best == blank
    order = np.argsort(np.where(dropped, steps, np.arange(steps)), axis=-1, kind="stable")
    paths = np.take_along_axis(np.where(dropped, -1, best), order, axis=-1)
    return paths[None].astype(np.int32), -score.sum(axis=1, keepdims=True)


def _beam_search_decode(z, lengths, beam_width, top_paths, blank):
    log_y = _stable_log_softmax(z.astype(np.float64), -1)
    batch, steps, classes = z.shape
    paths = np.full((top_paths, batch, steps), -1, dtype=np.int32)
    scores = np.full((batch, top_paths), -np.inf)
    for b in range(batch):
        # prefix -> (log P(alignments ending in blank), log P(ending in its last label))
        beams = {(): (0.0, -np.inf)}
        for t in range(int(lengths[b])):
            y = log_y[b, t]
            grown = {}

            def add(prefix, blank_end, label_end):
                old = grown.get(prefix, (-np.inf, -np.inf))
                grown[prefix] = (np.logaddexp(old[0], blank_end), np.logaddexp(old[1], label_end))
            for prefix, (pb, pl) in beams.items():
                total = np.logaddexp(pb, pl)
                add(prefix, total + y[blank], -np.inf)            # a blank: same prefix
                for c in range(classes):
                    if c == blank:
                        continue
                    if prefix and prefix[-1] == c:
                        add(prefix, -np.inf, pl + y[c])           # a repeat merges
                        add(prefix + (c,), -np.inf, pb + y[c])    # unless a blank split it
                    else:
                        add(prefix + (c,), -np.inf, total + y[c])
            ranked = sorted(grown.items(), key=lambda item: -np.logaddexp(*item[1]))
            beams = dict(ranked[:beam_width])
        ranked = sorted(beams.items(), key=lambda item: -np.logaddexp(*item[1]))[:top_paths]
        for rank, (prefix, ends) in enumerate(ranked):
            paths[rank, b, :len(prefix)] = prefix
            scores[b, rank] = np.logaddexp(*ends)
    return paths, scores.astype(z.dtype)


__all__ = [
    # activations
    "celu", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "log_sigmoid", "log_softmax", "relu", "relu6", "selu",
    "sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold",
    # convolution, pooling, layout
    "conv", "conv_transpose", "depthwise_conv", "separable_conv", "max_pool", "average_pool",
    "adaptive_average_pool", "adaptive_max_pool", "depth_to_space", "space_to_depth", "fold",
    "unfold",
    # normalization, attention, losses, misc
    "batch_normalization", "layer_normalization", "rms_normalization", "normalize", "moments",
    "dot_product_attention", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "ctc_loss", "psnr", "polar",
    # no gradient
    "one_hot", "multi_hot", "ctc_decode",
]
