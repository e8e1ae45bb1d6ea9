r"""Convolution layers: Conv1D, Conv2D, Conv3D (and their ``Convolution*`` aliases).

All three are one N-dimensional layer, :class:`BaseConv`, that differs only in
how many spatial axes it slides over. Its forward pass reads as five steps:

1. pad the input (``same``: TF's "SAME" rule; ``causal``: left pad only);
2. *im2col*: take every window the kernel sees as one row of a patch matrix
   (``sliding_window_view`` gives them as a view; one copy lays them out);
3. one matrix product with the kernel reshaped to ``(window size, filters)``;
4. add the bias; 5. apply the activation.

Backward is the same steps in reverse: the kernel gradient is one matrix
product ``patches^T delta``; the input gradient multiplies ``delta`` by the
kernel transposed and scatters each patch row back to the pixels it came
from (*col2im*: one vectorised add per kernel offset), then drops the padding.

Speed-ups sit beside that body as named helpers, each tested against the
plain code (``tests/layers/test_conv_speed_helpers.py``): the bias gradient
as one BLAS product (:func:`sum_rows`), ReLU written over the layer's own
:math:`z` (:func:`relu_in_place`, :func:`relu_backward_into`), a patch
matrix laid out for few input channels
(:func:`~kerastutor.layers.conv_im2col.im2col_few_channels`), and the big
arrays of a step kept for the next one when nobody holds them
(:class:`~kerastutor.layers.conv_im2col.Workspace`). Together with the
pooling's they took the MNIST CNN's training step from 51 ms to 32 ms
(one core), ``benchmarks/bench_training.py cnn`` from 0.92x to 1.28x PyTorch.

Two adapters keep that body short, each marked in the class: the
``data_format`` adapter (the layer computes in channels_last and moves the
channel axis at the two ends) and the ``groups`` adapter (every matrix
carries a leading group axis; one product per group).

The bookkeeping functions -- :func:`~kerastutor.layers.conv_im2col.im2col`,
:func:`~kerastutor.layers.conv_im2col.col2im`, and the definition they are
checked against, :func:`~kerastutor.layers.conv_im2col.conv_naive` -- live in
``kerastutor/layers/conv_im2col.py`` because the other convolutions are built
from them too: a depthwise convolution is a grouped one with one group per
channel (``kerastutor/layers/depthwise.py``), and a transposed convolution
*is* the input gradient of a convolution, so its forward is a col2im and its
backward an im2col (``kerastutor/layers/conv_transpose.py``).
"""
from typing import NamedTuple

import numpy as np

from kerastutor import activations, backend, compiled
from kerastutor.layers.pooling import relu_pool_forward
from kerastutor.layers.base import (InputSpec, Layer, format_shape, refuse_lora,
                                   weight_settings, weight_settings_config)
# the geometry and im2col are re-exported here: ``from kerastutor.layers.convolutional
# import im2col`` is how the book and older code reach them
from kerastutor.layers.conv_im2col import (ConvGeometry, col2im, conv_geometry,  # noqa: F401
                                           conv_output_length, conv_padding, crop,
                                           Workspace, groups_as_kernel, grouped_matmul,
                                           im2col, im2col_few_channels, kernel_as_groups,
                                           merge_groups, pad, split_groups, _per_axis)


# ------------------------------------------------------------ argument checks
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


# ------------------------------------------------------------ speed-ups
FEW_CHANNELS = 3
"""Up to this many input channels per group the layers use :func:`im2col_few_channels`
(measured on one core for 64x32x32xC: faster for C <= 3, slower from C = 4 on)."""


def patch_matrix(xp, kernel_size, strides, dilation_rate, out, groups, workspace=None,
                 ones_column=False):
    """:func:`~kerastutor.layers.conv_im2col.im2col`'s patch matrix, in the faster layout.

    The same values either way: up to :data:`FEW_CHANNELS` input channels per
    group it comes from
    :func:`~kerastutor.layers.conv_im2col.im2col_few_channels`, otherwise
    from :func:`~kerastutor.layers.conv_im2col.im2col` -- or, with the ``fast``
    extra, a 2-D window and one group, from the compiled copy
    :func:`kerastutor.compiled.im2col_2d`. Given a ``workspace`` (and NumPy
    arrays) the matrix is written into its reused array, and ``ones_column``
    adds one last column of ones (:func:`with_bias_column`).
    """
    args = (xp, kernel_size, strides, dilation_rate, out, groups)
    if workspace is None or not isinstance(xp, np.ndarray):
        return im2col(*args)
    rows = xp.shape[0] * int(np.prod(out))
    width, extra = int(np.prod(kernel_size)) * (xp.shape[-1] // groups), int(ones_column)
    if xp.shape[-1] // groups <= FEW_CHANNELS:
        transposed = workspace.empty("patches^T", xp, (groups, width + extra, rows))
        transposed[:, width:] = 1                       # the bias's constant input
        im2col_few_channels(*args, into=transposed[:, :width])
        return transposed.transpose(0, 2, 1)
    patches = workspace.empty("patches", xp, (groups, rows, width + extra))
    patches[..., width:] = 1                            # the bias's constant input
    if not (len(kernel_size) == 2 and groups == 1 and compiled.im2col_2d(
            xp, kernel_size, _per_axis(strides, 2), _per_axis(dilation_rate, 2), out,
            patches[0])):
        im2col(*args, into=patches[..., :width])
    return patches


def with_bias_column(patches, kernel_rows):
    r"""True when ``patches`` carries :func:`patch_matrix`'s extra column of ones.

    The bias is a kernel weight whose input is always 1: with a column of ones
    appended to :math:`P` the one product :math:`[P\;\mathbf 1]^\top \delta`
    gives :math:`\partial L/\partial W = P^\top \delta` in its first rows and
    :math:`\partial L/\partial b = \mathbf 1^\top \delta = \sum \delta` in its
    last. The product grows by one row; what it saves is :func:`sum_rows`'s
    separate pass over :math:`\delta`, the size of the layer's output: the
    CIFAR-10 CNN's step (``benchmarks/bench_training.py cifar``, compiled
    kernels on) went from 22.7 to 22.2 ms and from 25.2 to 24.3 ms in two
    runs that took turns in one process. The sums are the same up to float
    rounding.
    """
    return patches.shape[-1] == kernel_rows + 1


def sum_rows(delta):
    r"""``delta.sum(axis=0)`` of a tall ``(rows, filters)`` matrix, as the product ``1^T delta``.

    A convolution's bias gradient sums its :math:`\delta` over every sample
    and position: tens of thousands of rows of a few dozen filters. NumPy
    sums the columns of such a C-ordered matrix at a fraction of memory
    speed; one BLAS matrix-vector product reads it once. For the MNIST CNN's
    86528x32 :math:`\delta` it measured 1.6 ms -> 0.4 ms a batch (one core;
    ``benchmarks/bench_training.py cnn``). The result equals the sum up to
    float rounding (the additions happen in another order).
    """
    return np.ones_like(delta, shape=delta.shape[:1]) @ delta


def is_plain_relu(activation):
    r"""True for ``activation="relu"`` with its defaults: :math:`\max(z, 0)`."""
    return type(activation) is activations.ReLU and activation._plain


def relu_in_place(z):
    r"""ReLU's forward written over ``z`` (the layer's own array); ``(y, cache)`` as ReLU's.

    ``ReLU.forward`` returns a new array; here :math:`y = \max(z, 0)` takes
    the place of :math:`z`, which nobody else holds. That saves an array the
    size of the layer's output and its page faults: 11 MB a batch for the
    MNIST CNN's first convolution (``benchmarks/bench_training.py cnn``).
    The cache is :math:`y` itself, as ReLU keeps it (:math:`y > 0` exactly
    where :math:`z > 0`).
    """
    np.maximum(z, 0, out=z)
    return z, z


def relu_backward_into(out, mask, y, grad_out):
    r"""ReLU's backward, :math:`[y > 0] \odot \partial L/\partial y`, written into ``out``.

    The same product as ``ReLU.backward``, into buffers a
    :class:`~kerastutor.layers.conv_im2col.Workspace` keeps between calls
    (``mask`` is a boolean array of ``y``'s shape), so that no step makes a
    fresh array the size of the layer's output.
    """
    if compiled.relu_backward(out, y, grad_out):     # the fast extra: one pass, no mask
        return out
    np.greater(y, 0, out=mask)
    return np.multiply(grad_out, mask, out=out)


# ------------------------------------------------- what every conv shares
class SlidingWindowLayer(Layer):
    """The parts every convolution layer shares (not a Keras class).

    Argument checks for the window (``kernel_size``, ``strides``,
    ``padding``, ``data_format``, ``dilation_rate``); the ``data_format``
    adapter (compute in channels_last); and the last two steps of every
    forward, :math:`y = \\phi(z + b)`, with their backward
    :math:`\\delta = \\phi'(z) \\odot \\partial L/\\partial y`,
    :math:`\\partial L/\\partial b = \\sum \\delta`.
    """

    rank = None
    _paddings = ("valid", "same")

    def _window_arguments(self, kernel_size, strides, padding, data_format, dilation_rate,
                          activation, use_bias):
        """Check and store the window, the activation and ``use_bias``."""
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
        self.input_spec = InputSpec(ndim=rank + 2)
        self.has_kinks = getattr(self.activation, "has_kinks", False)

    def _kernel_and_bias_arguments(self, filters, kernel_initializer, bias_initializer,
                                   kernel_regularizer, bias_regularizer, kernel_constraint,
                                   bias_constraint):
        """``filters`` and the settings of the two weights, ``kernel`` and ``bias``."""
        self.filters = _positive_int(filters, "filters", type(self).__name__,
                                     "the number of output channels")
        self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint = \
            weight_settings(kernel_initializer, kernel_regularizer, kernel_constraint)
        self.bias_initializer, self.bias_regularizer, self.bias_constraint = \
            weight_settings(bias_initializer, bias_regularizer, bias_constraint)

    # ------------------------------------------------------------- build
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

    # ------------------------------------------- adapter 1: data_format
    def _to_channels_last(self, x):
        """Compute in channels_last: move the channel axis of x to the end."""
        return np.moveaxis(x, 1, -1) if self.data_format == "channels_first" else x

    def _from_channels_last(self, x):
        """The inverse of :meth:`_to_channels_last` (for the output, or dL/dx)."""
        return np.moveaxis(x, -1, 1) if self.data_format == "channels_first" else x

    @property
    def _workspace(self):
        """This layer's reused buffers (:class:`~kerastutor.layers.conv_im2col.Workspace`)."""
        if "_workspace_buffers" not in self.__dict__:
            self._workspace_buffers = Workspace()
        return self._workspace_buffers

    # ------------------------------------------------------- bias, activation
    def _bias_and_activation(self, z):
        """``y = phi(z + b)`` (channels_last, ``z`` is the layer's own array); ``(y, cache)``."""
        if (self.bias is not None and is_plain_relu(self.activation)
                and compiled.bias_relu(z, self.bias.value)):
            return z, z                                 # the fast extra: both in one pass
        if self.bias is not None:
            z += self.bias.value                        #     + b
        if is_plain_relu(self.activation):
            return relu_in_place(z)                     # speed-up: y = max(z, 0) over z
        return self.activation.forward(z)               # y = phi(z)

    def _delta(self, act_cache, grad_out, bias_sum=True):
        """``delta = phi'(z) * dL/dy`` (channels_last), and ``dL/db += sum(delta)`` (unless
        ``bias_sum`` is False: the kernel gradient's product gives it)."""
        if is_plain_relu(self.activation):              # speed-up: into reused buffers
            buffers = self._workspace
            delta = relu_backward_into(buffers.empty("delta", grad_out, grad_out.shape),
                                       buffers.empty("mask", act_cache, act_cache.shape, bool),
                                       act_cache, grad_out)
        else:
            delta = self.activation.backward(act_cache, grad_out)
        if self.bias is not None and bias_sum:
            self.bias.grad += sum_rows(delta.reshape(-1, delta.shape[-1]))  # sum over n, p
        return delta

    # ------------------------------------------------------------- shapes
    def _check_output_length(self, out, what, hint):
        """A kind error when some output length is not positive."""
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f'Layer "{self.name}": the input is too small for the kernel: {what} with '
                f"kernel_size={self.kernel_size}, dilation_rate={self.dilation_rate} and "
                f"padding='{self.padding}' gives output shape {tuple(out)}. Hint: {hint}")

    def _output_spatial(self, input_shape):
        """``(batch, spatial, channels)`` of a shape, whatever its data_format."""
        if self.data_format == "channels_first":
            return input_shape[0], tuple(input_shape[2:]), input_shape[1]
        return input_shape[0], tuple(input_shape[1:-1]), input_shape[-1]

    def _shape_out(self, batch, spatial, channels):
        if self.data_format == "channels_first":
            return (batch, channels) + tuple(spatial)
        return (batch,) + tuple(spatial) + (channels,)

    # ------------------------------------------------------------- config
    def _window_config(self, head, middle, weight_names):
        """Keras's key order: ``head``, the window, ``middle``, then each weight's settings.

        ``weight_names`` such as ``("kernel", "bias")`` name the attributes
        ``kernel_initializer``, ``kernel_regularizer``, ... written in ``__init__``.
        """
        config = super().get_config()
        config.update(head)
        config.update({"kernel_size": self.kernel_size, "strides": self.strides,
                       "padding": self.padding, "data_format": self.data_format,
                       "dilation_rate": self.dilation_rate})
        config.update(middle)
        config["activation"] = activations.serialize(self.activation)
        config["use_bias"] = self.use_bias
        config.update(weight_settings_config(self, weight_names))
        return config


# ------------------------------------------------------------ the N-d layer
class ConvCache(NamedTuple):
    """What a convolution's backward reads (and never writes to)."""

    patches: np.ndarray        # P, (groups, rows, window * cin/groups)
    padded_shape: tuple        # the shape of x~, for col2im
    where: ConvGeometry        # the padding and the output lengths
    act_cache: object          # the activation's own cache
    u: object = None           # separable convolutions only: the depthwise output U


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

    _TOO_SMALL_HINT = "use padding='same' or a smaller kernel."
    _bias_in_patches = True      # the speed-up of :func:`with_bias_column` applies

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        refuse_lora(self, lora_rank=lora_rank, lora_alpha=lora_alpha)
        self._kernel_and_bias_arguments(filters, kernel_initializer, bias_initializer,
                                        kernel_regularizer, bias_regularizer,
                                        kernel_constraint, bias_constraint)
        self._window_arguments(kernel_size, strides, padding, data_format, dilation_rate,
                               activation, use_bias)
        self.groups = _positive_int(groups, "groups", type(self).__name__,
                                    "how many independent channel groups")
        if self.filters % self.groups:
            raise ValueError(f"{type(self).__name__}: the number of filters must be divisible "
                             f"by `groups`; got filters={self.filters}, groups={self.groups}.")

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

    # ------------------------------------------------ adapter 2: groups
    def _kernel_groups(self):
        """``W`` as one matrix per group: ``(groups, window * cin/groups, filters/groups)``."""
        return kernel_as_groups(self.kernel.value, self.groups)

    def _add_kernel_grad(self, dw_groups):
        """``dL/dW +=`` the per-group gradient, back in the kernel's Keras layout."""
        self.kernel.grad += groups_as_kernel(dw_groups, self.kernel.shape)

    def _product(self, a, b, purpose):
        """``a[g] @ b[g]`` per group (:func:`grouped_matmul`), into a reused buffer."""
        out = self._workspace.empty(purpose, a, a.shape[:2] + b.shape[2:],
                                    np.result_type(a.dtype, b.dtype))
        return grouped_matmul(a, b, out=out)

    # ------------------------------------------------------------- forward
    def _patches(self, x):
        """Steps 1-2, pad and im2col: ``P``, the padded shape and the geometry (channels_last)."""
        where = conv_geometry(x.shape[1:-1], self.kernel_size, self.strides,
                              self.dilation_rate, self.padding)
        self._check_output_length(where.out, f"spatial shape {tuple(x.shape[1:-1])}",
                                  self._TOO_SMALL_HINT)
        xp = pad(x, where.pads)                                          # x -> x~
        patches = patch_matrix(xp, self.kernel_size, self.strides, self.dilation_rate,
                               where.out, self.groups, self._workspace,  # im2col
                               ones_column=self._bias_in_patches and self.bias is not None)
        return patches, xp.shape, where

    def _times_kernel(self, patches, batch, where):
        """Step 3, ``Z = P W`` (group by group), shaped ``(batch, *out, filters)``; a bias
        column in ``patches`` (:func:`with_bias_column`) is left out of the product."""
        w = self._kernel_groups()
        z = merge_groups(self._product(patches[..., :w.shape[1]], w, "z"))
        return z.reshape((batch,) + where.out + (self.filters,))

    def forward(self, x, training=False):
        x = self._to_channels_last(x)                                    # data_format
        patches, padded_shape, where = self._patches(x)                  # pad, im2col: P
        z = self._times_kernel(patches, x.shape[0], where)               # Z = P W
        y, act_cache = self._bias_and_activation(z)                      # y = phi(Z + b)
        return self._from_channels_last(y), ConvCache(patches, padded_shape, where, act_cache)

    def forward_with_pool(self, x, pool, training=False):
        """``(forward(x), pool.forward(y))`` for a plain-ReLU channels_last conv and the
        max pooling that alone reads it, with the bias, the ReLU and the window maxima in
        one compiled pass (:func:`~kerastutor.layers.pooling.relu_pool_forward`); the pool's
        part is ``None`` where that does not apply (then call the pool yourself)."""
        patches, padded_shape, where = self._patches(x)                  # pad, im2col: P
        z = self._times_kernel(patches, x.shape[0], where)               # Z = P W
        bias = np.zeros(self.filters, z.dtype) if self.bias is None else self.bias.value
        pooled = relu_pool_forward(pool, z, bias)
        if pooled is None:
            y, act_cache = self._bias_and_activation(z)                  # y = phi(Z + b)
        else:
            y = act_cache = z                                            # ReLU's cache is y
        return (y, ConvCache(patches, padded_shape, where, act_cache)), pooled

    # ------------------------------------------------------------ backward
    def backward_weights(self, cache, grad_out):
        """dL/db and dL/dW only; returns delta by group, ``(groups, rows, filters/groups)``."""
        delta = self._delta(cache.act_cache, self._to_channels_last(grad_out),  # phi' dL/dy
                            bias_sum=False)
        return self._weight_gradients(cache.patches, delta)              # dL/db, dL/dW

    def _weight_gradients(self, patches, delta):
        """``dL/db`` and ``dL/dW`` from ``delta`` (channels_last); delta by group. The bias
        gradient is :func:`sum_rows`, or the kernel gradient's last row when ``patches``
        carries a bias column (:func:`with_bias_column`)."""
        delta = delta.reshape(-1, delta.shape[-1])
        if self.bias is not None and not with_bias_column(patches,
                                                          self._kernel_groups().shape[1]):
            self.bias.grad += sum_rows(delta)                            # sum over n, p
        return self._kernel_gradient(patches, delta)

    def _kernel_gradient(self, patches, delta):
        """``dL/dW += P^T delta`` for ``delta`` of shape ``(rows, filters)``; delta by group.
        A bias column in ``patches`` (:func:`with_bias_column`) gives ``dL/db`` too."""
        delta = split_groups(delta, self.groups)
        product = grouped_matmul(patches.transpose(0, 2, 1), delta)      # P^T delta
        kernel_rows = self._kernel_groups().shape[1]
        if with_bias_column(patches, kernel_rows):                       # speed-up:
            self.bias.grad += merge_groups(product[:, kernel_rows:])[0]  # 1^T delta = dL/db
        self._add_kernel_grad(product[:, :kernel_rows])
        return delta

    def backward(self, cache, grad_out):
        delta = self.backward_weights(cache, grad_out)                   # dL/db, dL/dW
        return self._input_gradient(cache, delta)                        # dL/dx

    def _input_gradient(self, cache, delta):
        """``dL/dx`` from ``delta`` by group: ``delta W^T``, col2im, the padding cut off."""
        dpatches = self._product(delta, self._kernel_groups().transpose(0, 2, 1),
                                 "dpatches")                             # delta W^T
        dxp = col2im(dpatches, cache.padded_shape, self.kernel_size, self.strides,
                     self.dilation_rate, cache.where.out, self.groups,   # col2im: dL/dx~
                     into=self._workspace.empty("dxp", dpatches, cache.padded_shape))
        return self._from_channels_last(crop(dxp, cache.where.pads))     # drop the padding

    def backward_from_delta(self, cache, delta, input_grad=True):
        r""":meth:`backward` for a :math:`\delta = \phi'(z) \odot \partial L/\partial y`
        (channels_last) the caller worked out already -- with the max pooling after this
        layer, :func:`~kerastutor.layers.pooling.relu_pool_backward`. Fills dL/dW and
        dL/db; returns dL/dx, or None without ``input_grad``."""
        delta = self._weight_gradients(cache.patches, delta)             # dL/db, dL/dW
        return self._input_gradient(cache, delta) if input_grad else None

    # --------------------------------------------------------------- shapes
    def _conv_output_shape(self, input_shape, channels):
        """The output shape with ``channels`` output channels."""
        batch, spatial, _ = self._output_spatial(input_shape)
        out = conv_geometry(spatial, self.kernel_size, self.strides, self.dilation_rate,
                            self.padding).out
        self._check_output_length(out, f"input shape {format_shape(input_shape)}",
                                  self._TOO_SMALL_HINT)
        return self._shape_out(batch, out, channels)

    def compute_output_shape(self, input_shape):
        return self._conv_output_shape(input_shape, self.filters)

    def get_config(self):
        return self._window_config({"filters": self.filters}, {"groups": self.groups},
                                   ("kernel", "bias"))


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
