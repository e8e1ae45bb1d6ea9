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
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kerastutor import activations, backend, initializers
from kerastutor.layers.base import InputSpec, Layer, format_shape
from kerastutor.layers.core import _constraint, _regularizer, _serialize


# ------------------------------------------------------------------ helpers
def _tuple(value, rank, name, layer_name):
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
    if any(v <= 0 for v in values):
        raise ValueError(f"{layer_name}: every entry of `{name}` must be a positive "
                         f"integer, got {value!r}.")
    return values


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


# ------------------------------------------------------------ the N-d layer
class BaseConv(Layer):
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

    rank = None
    _paddings = ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        rank = self.rank
        if not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"{cls}: `filters` must be a positive integer (the number of "
                             f"output channels), got filters={filters!r}.")
        self.filters = int(filters)
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
        if not isinstance(groups, (int, np.integer)) or groups <= 0:
            raise ValueError(f"{cls}: `groups` must be a positive integer, got {groups!r}.")
        self.groups = int(groups)
        if self.filters % self.groups:
            raise ValueError(f"{cls}: the number of filters must be divisible by `groups`; "
                             f"got filters={self.filters}, groups={self.groups}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{cls}: `strides > 1` together with `dilation_rate > 1` is not "
                             f"supported (as in Keras); got strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}. Hint: use one of them, "
                             "or add a pooling layer for the downsampling.")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizer(kernel_regularizer)
        self.bias_regularizer = _regularizer(bias_regularizer)
        self.kernel_constraint = _constraint(kernel_constraint)
        self.bias_constraint = _constraint(bias_constraint)
        self.input_spec = InputSpec(ndim=rank + 2)
        self.has_kinks = getattr(self.activation, "has_kinks", False)

    # ------------------------------------------------------------- build
    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        cin = input_shape[self._channel_axis]
        if cin is None:
            raise ValueError(f'Layer "{self.name}": the channel axis of the input must be '
                             f"known to build {type(self).__name__}, got input shape "
                             f"{format_shape(input_shape)} ({self.data_format}).")
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
        self.bias = (self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint)
                     if self.use_bias else None)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: cin})
        self._build_input_shape = tuple(input_shape)
        self.built = True

    # ------------------------------------------------------------- forward
    def _grouped_kernel(self):
        """``W`` as ``(groups, window * cin/g, filters/g)``: one matrix per group."""
        w = self.kernel.value
        g, cg = self.groups, w.shape[-2]
        window = int(np.prod(self.kernel_size))
        w = w.reshape(window, cg, g, self.filters // g)          # split filters by group
        return w.transpose(2, 0, 1, 3).reshape(g, window * cg, self.filters // g)

    def forward(self, x, training=False):
        if self.data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)                  # compute in channels_last
        n, spatial, cin = x.shape[0], x.shape[1:-1], x.shape[-1]
        g, rank = self.groups, self.rank
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
        padded_shape = x.shape
        # windows: (n, *positions, cin, *extent), a view; keep every s-th position
        # and every d-th pixel of each window (dilation)
        extents = [d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation_rate)]
        view = sliding_window_view(x, extents, axis=tuple(range(1, rank + 1)))
        view = view[(slice(None),)
                    + tuple(slice(0, s * (o - 1) + 1, s) for s, o in zip(self.strides, out))
                    + (slice(None),)
                    + tuple(slice(None, None, d) for d in self.dilation_rate)]
        # im2col: one copy into (groups, n*positions, window*cin/g)
        view = view.reshape(view.shape[:rank + 1] + (g, cin // g) + view.shape[rank + 2:])
        order = ((rank + 1,) + tuple(range(rank + 1))
                 + tuple(range(rank + 3, 2 * rank + 3)) + (rank + 2,))
        rows = n * int(np.prod(out))
        patches = np.ascontiguousarray(view.transpose(order)).reshape(g, rows, -1)
        z = np.matmul(patches, self._grouped_kernel())  # Z = P W   (g, rows, filters/g)
        z = z.transpose(1, 0, 2).reshape((n,) + out + (self.filters,))
        if self.bias is not None:
            z += self.bias.value                        #     + b
        y, act_cache = self.activation.forward(z)       # y = phi(z)
        if self.data_format == "channels_first":
            y = np.moveaxis(y, -1, 1)
        return y, (patches, act_cache, padded_shape, pads, out)

    # ------------------------------------------------------------ backward
    def backward_weights(self, cache, grad_out):
        """dL/dW and dL/db only; returns delta_z as ``(groups, rows, filters/g)``."""
        patches, act_cache, _, _, _ = cache
        if self.data_format == "channels_first":
            grad_out = np.moveaxis(grad_out, 1, -1)
        dz = self.activation.backward(act_cache, grad_out)     # delta = phi'(z) * dL/dy
        g, rows = self.groups, patches.shape[1]
        dz2 = dz.reshape(rows, self.filters)
        if self.bias is not None:
            self.bias.add_sum_to_grad(dz2, axis=0)             # dL/db += sum over n, p
        dzg = dz2.reshape(rows, g, self.filters // g).transpose(1, 0, 2)
        dw = np.matmul(patches.transpose(0, 2, 1), dzg)        # dL/dW = P^T delta
        cg = self.kernel.shape[-2]
        window = int(np.prod(self.kernel_size))
        dw = dw.reshape(g, window, cg, self.filters // g).transpose(1, 2, 0, 3)
        self.kernel.grad += dw.reshape(self.kernel.shape)
        return dzg

    def backward(self, cache, grad_out):
        dzg = self.backward_weights(cache, grad_out)
        _, _, padded_shape, pads, out = cache
        n, cin, g, rank = padded_shape[0], padded_shape[-1], self.groups, self.rank
        # rows of delta W^T: the gradient of every patch entry, (g, n, *out, *k, cin/g)
        dpatches = np.matmul(dzg, self._grouped_kernel().transpose(0, 2, 1))
        dpatches = dpatches.reshape((g, n) + out + self.kernel_size + (cin // g,))
        # col2im: add each kernel offset's gradient back at the pixels it read
        dxp = np.zeros(padded_shape[:-1] + (g, cin // g), dtype=dpatches.dtype)
        for offset in itertools.product(*(range(k) for k in self.kernel_size)):
            where = (slice(None),) + tuple(
                slice(d * k, d * k + s * (o - 1) + 1, s)
                for k, s, d, o in zip(offset, self.strides, self.dilation_rate, out))
            piece = dpatches[(slice(None), slice(None)) + (slice(None),) * rank + offset]
            dxp[where] += np.moveaxis(piece, 0, -2)    # (n, *out, g, cin/g)
        dxp = dxp.reshape(padded_shape)
        dx = dxp[(slice(None),) + tuple(slice(b, size - a) for (b, a), size
                                        in zip(pads, padded_shape[1:-1]))]
        if self.data_format == "channels_first":
            dx = np.moveaxis(dx, -1, 1)
        return dx

    # --------------------------------------------------------------- shapes
    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_first":
            spatial = input_shape[2:]
        else:
            spatial = input_shape[1:-1]
        out = tuple(conv_output_length(size, k, self.padding, s, d)
                    for size, k, s, d in zip(spatial, self.kernel_size, self.strides,
                                             self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f'Layer "{self.name}": input shape {format_shape(input_shape)} is too small '
                f"for kernel_size={self.kernel_size}, dilation_rate={self.dilation_rate}, "
                f"padding='{self.padding}' (output would be {out}). Hint: use "
                "padding='same' or a smaller kernel.")
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters) + out
        return (input_shape[0],) + out + (self.filters,)

    def get_config(self):
        from kerastutor import constraints, regularizers
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize(self.kernel_regularizer, regularizers),
            "bias_regularizer": _serialize(self.bias_regularizer, regularizers),
            "activity_regularizer": _serialize(self.activity_regularizer, regularizers),
            "kernel_constraint": _serialize(self.kernel_constraint, constraints),
            "bias_constraint": _serialize(self.bias_constraint, constraints),
        })
        return config


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
