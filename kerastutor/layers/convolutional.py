r"""Convolution layers: Conv1D, Conv2D, Conv3D (and their ``Convolution*`` aliases).

All three are one N-dimensional layer, :class:`BaseConv`, that differs only in
how many spatial axes it slides over. The computation is written as *im2col*:

1. pad the input (``same``: TF's "SAME" rule; ``causal``: left pad only);
2. take every window the kernel sees as one row of a patch matrix
   (``sliding_window_view`` gives them as a view; one copy lays them out);
3. one matrix product with the kernel reshaped to ``(window size, filters)``.

Backward is the same three steps in reverse: the kernel gradient is one
matrix product ``patches^T delta``; the input gradient multiplies ``delta`` by
the kernel transposed and scatters each patch row back to the pixels it came
from (*col2im*: one vectorised add per kernel offset), then drops the padding.

The two bookkeeping steps, :func:`im2col` and :func:`col2im`, are plain
functions here because the other convolutions are built from them too: a
depthwise convolution is a grouped one with one group per channel
(``kerastutor/layers/depthwise.py``), and a transposed convolution *is* the
input gradient of a convolution, so its forward is a col2im and its
backward an im2col (``kerastutor/layers/conv_transpose.py``).
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kerastutor import activations, backend, initializers
from kerastutor.layers.base import InputSpec, Layer, format_shape
from kerastutor.layers.core import _constraint, _regularizer, _serialize


# ------------------------------------------------------------------ helpers
def _tuple(value, rank, name, layer_name, allow_zero=False):
    """``3 -> (3, 3)``; a tuple/list of the right length passes through."""
    if isinstance(value, (int, np.integer)):
        values = (int(value),) * rank
    else:
        try:
            values = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"{layer_name}: `{name}` must be an integer or a tuple of "
                             f"{rank} integers, got {value!r}.") from None
        if len(values) != rank:
            raise ValueError(f"{layer_name}: `{name}` must be an integer or a tuple of "
                             f"{rank} integers, got {value!r} ({len(values)} values). "
                             f"Hint: {layer_name} slides over {rank} spatial "
                             f"ax{'is' if rank == 1 else 'es'}.")
    if any(v < 0 or (v == 0 and not allow_zero) for v in values):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{layer_name}: every entry of `{name}` must be a {kind} "
                         f"integer, got {value!r}.")
    return values


def _positive_int(value, name, layer_name, meaning):
    """Check a count such as ``filters`` or ``depth_multiplier``; return it as an int."""
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"{layer_name}: `{name}` must be a positive integer ({meaning}), "
                         f"got {name}={value!r}.")
    return int(value)


def conv_output_length(n, k, padding, stride, dilation):
    """Output length along one axis (Keras's ``compute_conv_output_shape``).

    ``valid``: :math:`\\lfloor (n - d(k-1) - 1)/s \\rfloor + 1`;
    ``same`` and ``causal``: :math:`\\lceil n / s \\rceil`.
    """
    if n is None:
        return None
    if padding == "valid":
        return (n - dilation * (k - 1) - 1) // stride + 1
    return (n - 1) // stride + 1


def conv_padding(n, k, padding, stride, dilation):
    """``(before, after)`` zero padding along one axis.

    ``same`` follows TF/XLA "SAME": the total padding is what makes
    ``ceil(n/s)`` outputs fit, and the odd extra pixel goes *after*
    (right/bottom). ``causal`` puts all of ``d(k-1)`` before.
    """
    extent = dilation * (k - 1) + 1
    if padding == "valid":
        return (0, 0)
    if padding == "causal":
        return (extent - 1, 0)
    out = (n - 1) // stride + 1
    total = max((out - 1) * stride + extent - n, 0)
    return (total // 2, total - total // 2)


# ------------------------------------------------------- im2col and col2im
def _group_matmul(a, b):
    """``a[g] @ b[g]`` for every group ``g``, one BLAS call each.

    ``np.matmul`` on stacks whose matrices are transposed views can fall back
    to a slow loop that bypasses BLAS; 2-D products of (transposed) views
    always go to BLAS, which handles the transposition itself.
    """
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return np.stack([a_g @ b_g for a_g, b_g in zip(a, b)])


def im2col(xp, kernel_size, strides, dilation_rate, out, groups=1):
    """The patch matrix of a padded channels_last input ``xp``.

    Returns ``(groups, n * prod(out), prod(kernel_size) * cin/groups)``: one
    row per (sample, output position), holding the window
    :math:`\\tilde x_{n,\\, s p + d k,\\, c}` ordered by kernel offset ``k``,
    then channel ``c`` (the order of a Keras kernel reshaped to a matrix).
    """
    rank, n, cin = len(kernel_size), xp.shape[0], xp.shape[-1]
    # windows: (n, *positions, cin, *extent), a view; keep every s-th position
    # and every d-th pixel of each window (dilation)
    extents = [d * (k - 1) + 1 for k, d in zip(kernel_size, dilation_rate)]
    view = sliding_window_view(xp, extents, axis=tuple(range(1, rank + 1)))
    view = view[(slice(None),)
                + tuple(slice(0, s * (o - 1) + 1, s) for s, o in zip(strides, out))
                + (slice(None),)
                + tuple(slice(None, None, d) for d in dilation_rate)]
    # one copy into (groups, n, *positions, *offsets, cin/g)
    view = view.reshape(view.shape[:rank + 1] + (groups, cin // groups)
                        + view.shape[rank + 2:])
    order = ((rank + 1,) + tuple(range(rank + 1))
             + tuple(range(rank + 3, 2 * rank + 3)) + (rank + 2,))
    rows = n * int(np.prod(out))
    return view.transpose(order).copy().reshape(groups, rows, -1)     # .copy(): C order


def col2im(dpatches, padded_shape, kernel_size, strides, dilation_rate, out, groups=1):
    """The adjoint of :func:`im2col`: add every patch row back where it was read.

    ``dpatches`` is ``(groups, n * prod(out), prod(kernel_size) * cin/groups)``;
    the result has ``padded_shape`` (channels_last). Overlapping windows add
    up: one vectorised ``+=`` per kernel offset, no loop over pixels.
    """
    rank, n, cin = len(kernel_size), padded_shape[0], padded_shape[-1]
    dpatches = dpatches.reshape((groups, n) + tuple(out) + tuple(kernel_size)
                                + (cin // groups,))
    dxp = np.zeros_like(dpatches, shape=tuple(padded_shape[:-1]) + (groups, cin // groups))
    for offset in itertools.product(*(range(k) for k in kernel_size)):
        where = (slice(None),) + tuple(
            slice(d * k, d * k + s * (o - 1) + 1, s)
            for k, s, d, o in zip(offset, strides, dilation_rate, out))
        piece = dpatches[(slice(None), slice(None)) + (slice(None),) * rank + offset]
        dxp[where] += np.moveaxis(piece, 0, -2)        # (n, *out, g, cin/g)
    return dxp.reshape(padded_shape)


def crop(xp, pads):
    """Cut ``pads = [(before, after), ...]`` off the spatial axes (channels_last)."""
    return xp[(slice(None),) + tuple(slice(b, size - a) for (b, a), size
                                     in zip(pads, xp.shape[1:-1]))]


def kernel_as_groups(w, groups):
    """A ``(*kernel_size, cin/g, filters)`` kernel as ``(g, window * cin/g, filters/g)``."""
    window = int(np.prod(w.shape[:-2]))
    cg, filters = w.shape[-2:]
    w = w.reshape(window, cg, groups, filters // groups)      # split filters by group
    return w.transpose(2, 0, 1, 3).reshape(groups, window * cg, filters // groups)


def groups_as_kernel(wg, shape):
    """The inverse of :func:`kernel_as_groups`: back to ``shape = (*k, cin/g, filters)``."""
    groups, cg = wg.shape[0], shape[-2]
    wg = wg.reshape(groups, -1, cg, wg.shape[-1]).transpose(1, 2, 0, 3)
    return wg.reshape(shape)


# ------------------------------------------------- what every conv shares
class SlidingWindowLayer(Layer):
    """The parts every convolution layer shares (not a Keras class).

    Argument checks for the window (``kernel_size``, ``strides``,
    ``padding``, ``data_format``, ``dilation_rate``); channels_first handled
    by computing in channels_last; and the last two steps of every forward,
    :math:`y = \\phi(z + b)`, with their backward
    :math:`\\delta = \\phi'(z) \\odot \\partial L/\\partial y`,
    :math:`\\partial L/\\partial b = \\sum \\delta`.
    """

    rank = None
    _paddings = ("valid", "same")
    # the weights each subclass configures: "kernel" -> kernel_initializer, ...
    _weight_prefixes = ("kernel", "bias")

    def _window_arguments(self, kernel_size, strides, padding, data_format, dilation_rate,
                          activation, use_bias, **weight_options):
        """Check and store the arguments; ``weight_options``: ``kernel_initializer=...``."""
        cls, rank = type(self).__name__, self.rank
        self.kernel_size = _tuple(kernel_size, rank, "kernel_size", cls)
        self.strides = _tuple(strides, rank, "strides", cls)
        self.dilation_rate = _tuple(dilation_rate, rank, "dilation_rate", cls)
        padding = str(padding).lower()
        if padding not in self._paddings:
            raise ValueError(f"{cls}: `padding` must be one of {list(self._paddings)}, got "
                             f"{padding!r}." + (" Hint: 'causal' padding exists for Conv1D "
                                                "only." if padding == "causal" else ""))
        self.padding = padding
        self.data_format = data_format or backend.image_data_format()
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{cls}: `data_format` must be 'channels_last' or "
                             f"'channels_first', got {data_format!r}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{cls}: `strides > 1` together with `dilation_rate > 1` is not "
                             f"supported (as in Keras); got strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}. Hint: use one of them, "
                             "or add a pooling layer for the downsampling.")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        for prefix in self._weight_prefixes:
            setattr(self, f"{prefix}_initializer",
                    initializers.get(weight_options.pop(f"{prefix}_initializer")))
            setattr(self, f"{prefix}_regularizer",
                    _regularizer(weight_options.pop(f"{prefix}_regularizer")))
            setattr(self, f"{prefix}_constraint",
                    _constraint(weight_options.pop(f"{prefix}_constraint")))
        self.input_spec = InputSpec(ndim=rank + 2)
        self.has_kinks = getattr(self.activation, "has_kinks", False)

    def _conv_arguments(self, filters, kernel_size, strides, padding, data_format,
                        dilation_rate, activation, use_bias, kernel_initializer,
                        bias_initializer, kernel_regularizer, bias_regularizer,
                        kernel_constraint, bias_constraint):
        """``filters`` and the window, for the layers with one ``kernel`` and a bias."""
        self.filters = _positive_int(filters, "filters", type(self).__name__,
                                     "the number of output channels")
        self._window_arguments(
            kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)

    # ------------------------------------------------------------- channels
    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _input_channels(self, input_shape):
        """The number of input channels, with a kind error when it is unknown."""
        cin = input_shape[self._channel_axis]
        if cin is None:
            raise ValueError(f'Layer "{self.name}": the channel axis of the input must be '
                             f"known to build {type(self).__name__}, got input shape "
                             f"{format_shape(input_shape)} ({self.data_format}).")
        return cin

    def _add_bias(self, size):
        """The bias weight ``(size,)`` (or None without ``use_bias``)."""
        if not self.use_bias:
            return None
        return self.add_weight((size,), self.bias_initializer, name="bias",
                               regularizer=self.bias_regularizer,
                               constraint=self.bias_constraint)

    def _finish_build(self, input_shape, cin):
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: cin})
        self._build_input_shape = tuple(input_shape)
        self.built = True

    def _channels_last(self, x):
        """Compute in channels_last: move the channel axis of x to the end."""
        return np.moveaxis(x, 1, -1) if self.data_format == "channels_first" else x

    def _channels_back(self, x):
        """The inverse of :meth:`_channels_last` (for the output, or dL/dx)."""
        return np.moveaxis(x, -1, 1) if self.data_format == "channels_first" else x

    # ------------------------------------------------------- bias, activation
    def _activate(self, z):
        """``y = phi(z + b)``, back in the layer's data_format; returns ``(y, act_cache)``."""
        if self.bias is not None:
            z += self.bias.value                        #     + b
        y, act_cache = self.activation.forward(z)       # y = phi(z)
        return self._channels_back(y), act_cache

    def _delta(self, act_cache, grad_out):
        """``delta = phi'(z) * dL/dy`` (channels_last), and ``dL/db += sum(delta)``."""
        dz = self.activation.backward(act_cache, self._channels_last(grad_out))
        if self.bias is not None:
            self.bias.add_sum_to_grad(dz.reshape(-1, dz.shape[-1]), axis=0)
        return dz

    # ------------------------------------------------------------- config
    def _window_config(self, head, middle=None):
        """Keras's key order: ``head``, the window, ``middle``, then weight settings."""
        from kerastutor import constraints, regularizers
        config = super().get_config()
        config.update(head)
        config.update({"kernel_size": self.kernel_size, "strides": self.strides,
                       "padding": self.padding, "data_format": self.data_format,
                       "dilation_rate": self.dilation_rate})
        config.update(middle or {})
        config["activation"] = activations.serialize(self.activation)
        config["use_bias"] = self.use_bias
        prefixes = self._weight_prefixes
        for p in prefixes:
            config[f"{p}_initializer"] = initializers.serialize(getattr(self, f"{p}_initializer"))
        for p in prefixes:
            config[f"{p}_regularizer"] = _serialize(getattr(self, f"{p}_regularizer"),
                                                    regularizers)
        config["activity_regularizer"] = _serialize(self.activity_regularizer, regularizers)
        for p in prefixes:
            config[f"{p}_constraint"] = _serialize(getattr(self, f"{p}_constraint"),
                                                   constraints)
        return config

    def _output_spatial(self, input_shape):
        """``(batch, spatial, channels)`` of a shape, whatever its data_format."""
        if self.data_format == "channels_first":
            return input_shape[0], tuple(input_shape[2:]), input_shape[1]
        return input_shape[0], tuple(input_shape[1:-1]), input_shape[-1]

    def _shape_out(self, batch, spatial, channels):
        if self.data_format == "channels_first":
            return (batch, channels) + tuple(spatial)
        return (batch,) + tuple(spatial) + (channels,)


# ------------------------------------------------------------ the N-d layer
class BaseConv(SlidingWindowLayer):
    r"""N-dimensional convolution (really cross-correlation: the kernel is not flipped).

    For one output position :math:`p` (a tuple of ``rank`` indices) and filter
    :math:`f`, with kernel offsets :math:`k`, strides :math:`s`, dilation
    :math:`d` and the zero-padded input :math:`\tilde x`:

    .. math::

        z_{n,p,f} = b_f + \sum_{k} \sum_{c \in \text{group}(f)}
                    \tilde x_{n,\; s \cdot p + d \cdot k,\; c}\; W_{k,\, c,\, f},
        \qquad y = \phi(z)

    As matrices (*im2col*): the patch matrix :math:`P` has one row per
    ``(n, p)`` holding the window :math:`\tilde x_{n, s p + d k, c}` for all
    ``(k, c)``, and :math:`Z = P\,W + b` with :math:`W` reshaped to
    ``(prod(kernel_size) * cin/groups, filters)`` (one such product per group).

    **Backward.** With :math:`\delta = \phi'(z) \odot \partial L/\partial y`:

    .. math::

        \frac{\partial L}{\partial W} = P^\top \delta, \qquad
        \frac{\partial L}{\partial b_f} = \sum_{n,p} \delta_{n,p,f}, \qquad
        \frac{\partial L}{\partial \tilde x_{n,\, s p + d k,\, c}}
            \mathrel{+}= \sum_f \delta_{n,p,f}\, W_{k,c,f}

    The last sum is *col2im*: the rows of :math:`\delta W^\top` are added back
    at the pixels their windows covered (overlapping windows add up), then
    the padding is cut off to give :math:`\partial L/\partial x`.

    Kernel layout as Keras: ``kernel_size + (cin/groups, filters)``; bias
    ``(filters,)``. ``groups=g`` splits the channels into ``g`` groups that
    each see only their own ``cin/g`` inputs and make ``filters/g`` outputs.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self._conv_arguments(filters, kernel_size, strides, padding, data_format, dilation_rate,
                             activation, use_bias, kernel_initializer, bias_initializer,
                             kernel_regularizer, bias_regularizer, kernel_constraint,
                             bias_constraint)
        if not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError(f"{cls}: `groups` must be a positive integer, got {groups!r}.")
        self.groups = int(groups)
        if self.filters % self.groups:
            raise ValueError(f"{cls}: the number of filters must be divisible by `groups`; "
                             f"got filters={self.filters}, groups={self.groups}.")

    # ------------------------------------------------------------- build
    def build(self, input_shape):
        cin = self._input_channels(input_shape)
        if cin % self.groups:
            raise ValueError(
                f'Layer "{self.name}": the number of input channels must be divisible by '
                f"`groups`; got groups={self.groups} and {cin} input channels (input shape "
                f"{format_shape(input_shape)}, {self.data_format}). Hint: check "
                "`data_format`: channels_last puts the channels on the last axis.")
        kernel_shape = self.kernel_size + (cin // self.groups, self.filters)
        self.kernel = self.add_weight(kernel_shape, self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self._add_bias(self.filters)
        self._finish_build(input_shape, cin)

    # ------------------------------------------------------------- forward
    def _grouped_kernel(self):
        """The kernel as ``(*kernel_size, cin/groups, filters)``, and ``groups``."""
        return self.kernel.value, self.groups

    def _correlate(self, x, kernel, groups):
        """``Z = P W`` without bias: ``x`` channels_last, ``kernel (*k, cin/g, f)``."""
        n, spatial = x.shape[0], x.shape[1:-1]
        geometry = [(conv_padding(size, k, self.padding, s, d),
                     conv_output_length(size, k, self.padding, s, d))
                    for size, k, s, d in zip(spatial, self.kernel_size, self.strides,
                                             self.dilation_rate)]
        pads = [p for p, _ in geometry]
        out = tuple(o for _, o in geometry)
        if min(out) <= 0:
            raise ValueError(
                f'Layer "{self.name}": the input is too small for the kernel: spatial shape '
                f"{tuple(spatial)} with kernel_size={self.kernel_size}, "
                f"dilation_rate={self.dilation_rate} and padding='{self.padding}' gives "
                f"output shape {out}. Hint: use padding='same' or a smaller kernel.")
        if any(any(p) for p in pads):                  # zero padding: x -> x~
            x = np.pad(x, [(0, 0)] + pads + [(0, 0)])
        patches = im2col(x, self.kernel_size, self.strides, self.dilation_rate, out, groups)
        z = _group_matmul(patches, kernel_as_groups(kernel, groups))  # Z = P W (g, rows, f/g)
        z = z.transpose(1, 0, 2).reshape((n,) + out + (kernel.shape[-1],))
        return z, (patches, x.shape, pads, out)

    def forward(self, x, training=False):
        kernel, groups = self._grouped_kernel()
        z, conv_cache = self._correlate(self._channels_last(x), kernel, groups)  # Z = P W
        y, act_cache = self._activate(z)                                        # phi(Z + b)
        return y, (conv_cache, act_cache)

    # ------------------------------------------------------------ backward
    def _correlate_weights(self, cache, dz, kernel, weight, groups):
        """``dL/dW += P^T delta`` into ``weight``; returns delta as ``(g, rows, f/g)``."""
        patches = cache[0]
        rows, filters = patches.shape[1], dz.shape[-1]
        dzg = dz.reshape(rows, groups, filters // groups).transpose(1, 0, 2)
        dw = _group_matmul(patches.transpose(0, 2, 1), dzg)    # dL/dW = P^T delta
        weight.grad += groups_as_kernel(dw, kernel.shape).reshape(weight.shape)
        return dzg

    def _correlate_input(self, cache, dzg, kernel, groups):
        """``dL/dx``: the rows of ``delta W^T`` put back by col2im, padding dropped."""
        _, padded_shape, pads, out = cache
        dpatches = _group_matmul(dzg, kernel_as_groups(kernel, groups).transpose(0, 2, 1))
        dxp = col2im(dpatches, padded_shape, self.kernel_size, self.strides,
                     self.dilation_rate, out, groups)
        return crop(dxp, pads)

    def backward_weights(self, cache, grad_out):
        """dL/dW and dL/db only; returns delta as ``(groups, rows, filters/groups)``."""
        conv_cache, act_cache = cache
        dz = self._delta(act_cache, grad_out)    # delta = phi'(z) * dL/dy; dL/db = sum delta
        kernel, groups = self._grouped_kernel()
        return self._correlate_weights(conv_cache, dz, kernel, self.kernel, groups)

    def backward(self, cache, grad_out):
        dzg = self.backward_weights(cache, grad_out)             # dL/db, dL/dW = P^T delta
        kernel, groups = self._grouped_kernel()
        dx = self._correlate_input(cache[0], dzg, kernel, groups)  # col2im(delta W^T)
        return self._channels_back(dx)

    # --------------------------------------------------------------- shapes
    def _conv_output_shape(self, input_shape, channels):
        """The output shape of :meth:`_correlate` with ``channels`` output channels."""
        batch, spatial, _ = self._output_spatial(input_shape)
        out = tuple(conv_output_length(size, k, self.padding, s, d)
                    for size, k, s, d in zip(spatial, self.kernel_size, self.strides,
                                             self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f'Layer "{self.name}": input shape {format_shape(input_shape)} is too small '
                f"for kernel_size={self.kernel_size}, dilation_rate={self.dilation_rate}, "
                f"padding='{self.padding}' (output would be {out}). Hint: use "
                "padding='same' or a smaller kernel.")
        return self._shape_out(batch, out, channels)

    def compute_output_shape(self, input_shape):
        return self._conv_output_shape(input_shape, self.filters)

    def get_config(self):
        return self._window_config({"filters": self.filters}, {"groups": self.groups})


class Conv1D(BaseConv):
    r"""1D convolution over time (or any one axis): input ``(batch, steps, channels)``.

    .. math::

        z_{n,t,f} = b_f + \sum_{k=0}^{K-1} \sum_{c} \tilde x_{n,\, s t + d k,\, c}\, W_{k,c,f},
        \qquad y = \phi(z)

    **Backward** (:math:`\delta = \phi'(z) \odot \partial L/\partial y`):

    .. math::

        \frac{\partial L}{\partial W_{k,c,f}} = \sum_{n,t} \tilde x_{n,\, s t + d k,\, c}\,
            \delta_{n,t,f}, \qquad
        \frac{\partial L}{\partial b_f} = \sum_{n,t} \delta_{n,t,f}, \qquad
        \frac{\partial L}{\partial \tilde x_{n,\, s t + d k,\, c}} \mathrel{+}=
            \sum_f \delta_{n,t,f}\, W_{k,c,f}

    ``padding="causal"`` pads :math:`d(K-1)` zeros on the left only, so
    output ``t`` sees inputs ``<= t`` (WaveNet). Kernel ``(K, cin/groups,
    filters)``. See :class:`BaseConv` for the im2col algorithm.
    """

    rank = 1
    _paddings = ("valid", "same", "causal")


class Conv2D(BaseConv):
    r"""2D convolution over images: input ``(batch, height, width, channels)``.

    .. math::

        z_{n,i,j,f} = b_f + \sum_{u=0}^{K_h-1}\sum_{v=0}^{K_w-1}\sum_{c}
            \tilde x_{n,\, s_h i + d_h u,\, s_w j + d_w v,\, c}\; W_{u,v,c,f},
        \qquad y = \phi(z)

    **Backward** (:math:`\delta = \phi'(z) \odot \partial L/\partial y`):

    .. math::

        \frac{\partial L}{\partial W_{u,v,c,f}} = \sum_{n,i,j}
            \tilde x_{n,\, s_h i + d_h u,\, s_w j + d_w v,\, c}\; \delta_{n,i,j,f},
        \qquad
        \frac{\partial L}{\partial b_f} = \sum_{n,i,j} \delta_{n,i,j,f},

    .. math::

        \frac{\partial L}{\partial \tilde x_{n,\, s_h i + d_h u,\, s_w j + d_w v,\, c}}
            \mathrel{+}= \sum_f \delta_{n,i,j,f}\, W_{u,v,c,f}

    ``padding="same"`` is TF's "SAME": the odd extra row/column of zeros goes
    to the bottom/right. Kernel ``(K_h, K_w, cin/groups, filters)``. See
    :class:`BaseConv` for the im2col algorithm.
    """

    rank = 2


class Conv3D(BaseConv):
    r"""3D convolution over volumes: input ``(batch, depth, height, width, channels)``.

    .. math::

        z_{n,p,f} = b_f + \sum_{k \in K_d \times K_h \times K_w} \sum_{c}
            \tilde x_{n,\, s \odot p + d \odot k,\, c}\; W_{k,c,f},
        \qquad y = \phi(z)

    **Backward** (:math:`\delta = \phi'(z) \odot \partial L/\partial y`):

    .. math::

        \frac{\partial L}{\partial W_{k,c,f}} = \sum_{n,p}
            \tilde x_{n,\, s \odot p + d \odot k,\, c}\; \delta_{n,p,f},
        \quad
        \frac{\partial L}{\partial b_f} = \sum_{n,p} \delta_{n,p,f},
        \quad
        \frac{\partial L}{\partial \tilde x_{n,\, s \odot p + d \odot k,\, c}}
            \mathrel{+}= \sum_f \delta_{n,p,f}\, W_{k,c,f}

    Kernel ``(K_d, K_h, K_w, cin/groups, filters)``. See :class:`BaseConv`.
    """

    rank = 3


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
