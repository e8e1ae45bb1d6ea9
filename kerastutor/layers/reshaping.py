"""Reshaping layers: padding, cropping, upsampling, repeating and permuting axes.

None of these layers has weights. Each moves values around without changing
them, so each backward pass is the *adjoint* of its forward rearrangement:

* padding adds zeros -- backward **crops** the gradient (the zeros did not
  depend on the input);
* cropping drops values -- backward **pads** the gradient with zeros (the
  dropped values did not reach the loss);
* nearest upsampling copies every value ``s`` times -- backward **sums**
  the ``s`` gradients each value received;
* repeating a vector ``n`` times -- backward sums over the ``n`` copies;
* permuting axes -- backward applies the inverse permutation.

Shapes follow Keras: ``channels_last`` is ``(batch, *spatial, channels)``,
``channels_first`` is ``(batch, channels, *spatial)``.
"""
import numpy as np

from kerastutor import backend
from kerastutor.layers.base import InputSpec, Layer, format_shape

_SPATIAL_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("dim1", "dim2", "dim3")}


# ------------------------------------------------------------------ helpers
def _data_format(layer_name, data_format):
    """``None`` means the global ``image_data_format()`` (``"channels_last"``)."""
    value = backend.image_data_format() if data_format is None else str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{layer_name}: `data_format` must be 'channels_last' or 'channels_first', "
            f"got {data_format!r}. Hint: channels_last is (batch, *spatial, channels), "
            "the Keras default.")
    return value


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _int_tuple(layer_name, arg, value, n, allow_zero):
    """An int or a sequence of ``n`` ints -> a tuple of ``n`` ints, validated."""
    if _is_int(value):
        values = (int(value),) * n
    elif hasattr(value, "__len__") and len(value) == n and all(_is_int(v) for v in value):
        values = tuple(int(v) for v in value)
    else:
        raise ValueError(f"{layer_name}: `{arg}` must be an int or a tuple of {n} ints, "
                         f"got {value!r}.")
    low = 0 if allow_zero else 1
    if any(v < low for v in values):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{layer_name}: every entry of `{arg}` must be a {kind} integer, "
                         f"got {value!r}.")
    return values


def _pairs(layer_name, arg, value, rank):
    """Keras's padding/cropping argument forms -> ``rank`` pairs ``(before, after)``.

    * ``int p`` -- ``p`` on both sides of every spatial axis;
    * ``rank`` ints -- symmetric, one per axis (for rank 1: ``(before, after)``);
    * ``rank`` pairs -- ``((before, after), ...)`` per axis.
    """
    if rank == 1:
        return (_int_tuple(layer_name, arg, value, 2, allow_zero=True),)
    if _is_int(value):
        return (_int_tuple(layer_name, arg, value, 2, allow_zero=True),) * rank
    if not hasattr(value, "__len__") or len(value) != rank:
        names = ", ".join(_SPATIAL_NAMES[rank])
        raise ValueError(
            f"{layer_name}: `{arg}` must be an int, a tuple of {rank} ints (symmetric per "
            f"axis: {names}) or a tuple of {rank} (before, after) pairs, got {value!r}.")
    return tuple(_int_tuple(layer_name, f"{arg}[{i}]", v, 2, allow_zero=True)
                 for i, v in enumerate(value))


def _spatial_axes(rank, data_format):
    """Axes of the spatial dimensions in a ``(batch, ...)`` array of rank ``rank + 2``."""
    start = 2 if data_format == "channels_first" else 1
    return tuple(range(start, start + rank))


# ------------------------------------------------------------------ padding
class _ZeroPadding(Layer):
    r"""Zero padding along the spatial axes (shared by the 1D/2D/3D layers).

    .. math::

        y[\ldots, i + p^{\text{before}}, \ldots] = x[\ldots, i, \ldots], \qquad
        y = 0 \text{ in the padded border}

    **Backward.** The border is constant, so only the interior receives a
    gradient: :math:`\partial L/\partial x = \partial L/\partial y` cropped
    back to the input's extent.
    """

    rank = None

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(type(self).__name__, data_format)
        self.padding = _pairs(type(self).__name__, "padding", padding, self.rank)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _pad_width(self, ndim):
        width = [(0, 0)] * ndim
        for axis, pair in zip(_spatial_axes(self.rank, self.data_format), self.padding):
            width[axis] = pair
        return width

    def forward(self, x, training=False):
        return np.pad(x, self._pad_width(x.ndim)), x.shape   # zeros around x

    def backward(self, cache, grad_out):
        index = [slice(None)] * grad_out.ndim
        for axis, (before, _) in zip(_spatial_axes(self.rank, self.data_format), self.padding):
            index[axis] = slice(before, before + cache[axis])   # crop the gradient back
        return grad_out[tuple(index)]

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, (before, after) in zip(_spatial_axes(self.rank, self.data_format),
                                         self.padding):
            if shape[axis] is not None:
                shape[axis] += before + after
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        padding = self.padding[0] if self.rank == 1 else self.padding
        config.update({"padding": padding, "data_format": self.data_format})
        return config


class ZeroPadding1D(_ZeroPadding):
    r"""Pads the time axis of ``(batch, steps, features)`` with zeros.

    ``padding``: an int (both sides) or ``(left, right)``.

    .. math::

        y_{n, t, c} = \begin{cases} x_{n, t - p_l, c} & p_l \le t < p_l + T \\
        0 & \text{otherwise} \end{cases}

    **Backward:** :math:`\partial L/\partial x_{n,t,c} = \partial L/\partial y_{n,t+p_l,c}`
    (the gradient cropped to the input's steps).
    """

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    r"""Pads rows and columns of images with zeros.

    ``padding``: an int, ``(sym_height, sym_width)`` or
    ``((top, bottom), (left, right))``.

    .. math::

        y_{n, i, j, c} = \begin{cases} x_{n, i - p_t, j - p_l, c} &
        \text{inside} \\ 0 & \text{in the border} \end{cases}

    **Backward:** :math:`\partial L/\partial x_{n,i,j,c} =
    \partial L/\partial y_{n, i+p_t, j+p_l, c}`.
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    r"""Pads the three spatial axes of volumes with zeros.

    ``padding``: an int, three ints or three ``(before, after)`` pairs.

    .. math::

        y_{n, i, j, k, c} = x_{n, i - p_1, j - p_2, k - p_3, c}
        \text{ inside, } 0 \text{ in the border}

    **Backward:** :math:`\partial L/\partial x_{n,i,j,k,c} =
    \partial L/\partial y_{n, i+p_1, j+p_2, k+p_3, c}`.
    """

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format=data_format, **kwargs)


# ------------------------------------------------------------------ cropping
class _Cropping(Layer):
    r"""Cropping along the spatial axes (shared by the 1D/2D/3D layers).

    .. math::

        y[\ldots, i, \ldots] = x[\ldots, i + c^{\text{before}}, \ldots], \qquad
        0 \le i < d - c^{\text{before}} - c^{\text{after}}

    **Backward.** The cropped-away values never reached the loss:
    :math:`\partial L/\partial x` is :math:`\partial L/\partial y` padded with zeros.
    """

    rank = None

    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(type(self).__name__, data_format)
        self.cropping = _pairs(type(self).__name__, "cropping", cropping, self.rank)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _check(self, shape):
        for axis, (before, after) in zip(_spatial_axes(self.rank, self.data_format),
                                         self.cropping):
            if shape[axis] is not None and before + after >= shape[axis]:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}): cropping {self.cropping} '
                    f"removes all of axis {axis} (size {shape[axis]}) of input shape "
                    f"{format_shape(shape)}. Hint: the crop on each axis, before + after, "
                    "must be smaller than that axis.")

    def _index(self, shape):
        index = [slice(None)] * len(shape)
        for axis, (before, after) in zip(_spatial_axes(self.rank, self.data_format),
                                         self.cropping):
            index[axis] = slice(before, shape[axis] - after)
        return tuple(index)

    def forward(self, x, training=False):
        self._check(x.shape)
        return x[self._index(x.shape)], x.shape

    def backward(self, cache, grad_out):
        grad_in = np.zeros_like(grad_out, shape=cache)       # dropped values: zero gradient
        grad_in[self._index(cache)] = grad_out
        return grad_in

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        shape = list(input_shape)
        for axis, (before, after) in zip(_spatial_axes(self.rank, self.data_format),
                                         self.cropping):
            if shape[axis] is not None:
                shape[axis] -= before + after
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        if self.rank == 1:
            config["cropping"] = self.cropping[0]
        else:
            config.update({"cropping": self.cropping, "data_format": self.data_format})
        return config


class Cropping1D(_Cropping):
    r"""Crops the time axis of ``(batch, steps, features)``.

    ``cropping``: an int (both ends) or ``(start, end)``.

    .. math::

        y_{n, t, c} = x_{n, t + c_s, c}, \qquad 0 \le t < T - c_s - c_e

    **Backward:** :math:`\partial L/\partial x_{n,t,c} = \partial L/\partial y_{n, t-c_s, c}`
    inside the kept window, 0 for the cropped steps.
    """

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, data_format="channels_last", **kwargs)


class Cropping2D(_Cropping):
    r"""Crops rows and columns of images.

    ``cropping``: an int, ``(sym_height, sym_width)`` or
    ``((top, bottom), (left, right))``.

    .. math::

        y_{n, i, j, c} = x_{n, i + c_t, j + c_l, c}

    **Backward:** :math:`\partial L/\partial x` is :math:`\partial L/\partial y`
    placed back at offset :math:`(c_t, c_l)`, zeros elsewhere.
    """

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


class Cropping3D(_Cropping):
    r"""Crops the three spatial axes of volumes.

    ``cropping``: an int, three ints or three ``(before, after)`` pairs.

    .. math::

        y_{n, i, j, k, c} = x_{n, i + c_1, j + c_2, k + c_3, c}

    **Backward:** :math:`\partial L/\partial y` placed back at offset
    :math:`(c_1, c_2, c_3)`, zeros elsewhere.
    """

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format=data_format, **kwargs)


# ------------------------------------------------------------------ upsampling
class _UpSampling(Layer):
    r"""Nearest-neighbour upsampling: repeat each value ``s`` times per spatial axis.

    .. math::

        y[\ldots, i, \ldots] = x[\ldots, \lfloor i / s \rfloor, \ldots]

    **Backward.** Each input value was copied to ``s`` outputs per axis, so it
    receives the sum of their gradients:

    .. math::

        \frac{\partial L}{\partial x[\ldots, i, \ldots]} =
        \sum_{r=0}^{s-1} \frac{\partial L}{\partial y[\ldots, s i + r, \ldots]}
    """

    rank = None

    def __init__(self, size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _data_format(type(self).__name__, data_format)
        self.size = _int_tuple(type(self).__name__, "size", size, self.rank, allow_zero=False)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def forward(self, x, training=False):
        y = x
        for axis, s in zip(_spatial_axes(self.rank, self.data_format), self.size):
            y = np.repeat(y, s, axis=axis)                 # copy each value s times
        return y, None

    def backward(self, cache, grad_out):
        grad = grad_out
        for axis, s in zip(_spatial_axes(self.rank, self.data_format), self.size):
            shape = grad.shape
            # split the axis of length d*s into (d, s) and add up the s copies
            grad = grad.reshape(shape[:axis] + (shape[axis] // s, s) + shape[axis + 1:])
            grad = grad.sum(axis=axis + 1)
        return grad

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, s in zip(_spatial_axes(self.rank, self.data_format), self.size):
            if shape[axis] is not None:
                shape[axis] *= s
        return tuple(shape)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config


class UpSampling1D(_UpSampling):
    r"""Repeats each time step ``size`` times: ``(N, T, C) -> (N, size*T, C)``.

    .. math::

        y_{n, t, c} = x_{n, \lfloor t / s \rfloor, c}

    **Backward:** :math:`\partial L/\partial x_{n,t,c} =
    \sum_{r=0}^{s-1} \partial L/\partial y_{n, st+r, c}`.
    """

    rank = 1

    def __init__(self, size=2, **kwargs):
        if not _is_int(size):
            raise TypeError(f"UpSampling1D: `size` must be an integer, got {size!r}.")
        super().__init__(size, data_format="channels_last", **kwargs)

    def get_config(self):
        config = Layer.get_config(self)
        config["size"] = self.size[0]
        return config


class UpSampling2D(_UpSampling):
    r"""Enlarges images ``size[0]`` times in height and ``size[1]`` times in width.

    ``interpolation="nearest"`` (the default) repeats rows and columns:

    .. math::

        y_{n, i, j, c} = x_{n, \lfloor i / s_h \rfloor, \lfloor j / s_w \rfloor, c}

    **Backward:** :math:`\partial L/\partial x_{n,i,j,c} =
    \sum_{r<s_h} \sum_{q<s_w} \partial L/\partial y_{n, s_h i + r, s_w j + q, c}`.

    ``interpolation="bilinear"`` blends the two nearest rows, then the two
    nearest columns. Output row :math:`i` sits at input position
    :math:`u = (i + \tfrac12)/s_h - \tfrac12` (pixel centres line up), clipped
    to the image, and takes :math:`(1 - \{u\})\,x_{\lfloor u\rfloor} +
    \{u\}\,x_{\lfloor u\rfloor + 1}`. Each axis is thus a fixed matrix
    :math:`A` (``out x in``, two non-zeros per row) and

    .. math::

        y_{n,:,:,c} = A_h\, x_{n,:,:,c}\, A_w^\top, \qquad
        \frac{\partial L}{\partial x_{n,:,:,c}} = A_h^\top\,
        \frac{\partial L}{\partial y_{n,:,:,c}}\, A_w .
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        interpolation = str(interpolation).lower()
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(
                f"UpSampling2D: interpolation={interpolation!r} is not implemented; 'nearest' "
                "and 'bilinear' are. Hint: use one of those, optionally followed by a "
                "Conv2D, which learns a smoothing of its own.")
        super().__init__(size, data_format=data_format, **kwargs)
        self.interpolation = interpolation

    def _matrices(self, x_shape):
        axes = _spatial_axes(self.rank, self.data_format)
        return [(axis, _linear_resize_matrix(x_shape[axis], s, self.dtype))
                for axis, s in zip(axes, self.size)]

    def forward(self, x, training=False):
        if self.interpolation == "nearest":
            return super().forward(x, training)
        y = x
        for axis, matrix in self._matrices(x.shape):     # y = A_h x A_w^T
            y = np.moveaxis(np.tensordot(matrix, y, axes=([1], [axis])), 0, axis)
        return y.astype(x.dtype, copy=False), x.shape

    def backward(self, cache, grad_out):
        if self.interpolation == "nearest":
            return super().backward(cache, grad_out)
        grad = grad_out
        for axis, matrix in self._matrices(cache):       # dL/dx = A_h^T g A_w
            grad = np.moveaxis(np.tensordot(matrix.T, grad, axes=([1], [axis])), 0, axis)
        return grad.astype(grad_out.dtype, copy=False)

    def get_config(self):
        config = super().get_config()
        config["interpolation"] = self.interpolation
        return config


def _linear_resize_matrix(n_in, scale, dtype):
    """``(n_in * scale, n_in)``: each output row mixes the two nearest inputs (half-pixel)."""
    n_out = n_in * scale
    position = np.clip((np.arange(n_out) + 0.5) / scale - 0.5, 0, n_in - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, n_in - 1)
    fraction = position - low
    matrix = np.zeros((n_out, n_in), dtype=dtype or "float32")
    rows = np.arange(n_out)
    np.add.at(matrix, (rows, low), 1 - fraction)
    np.add.at(matrix, (rows, high), fraction)
    return matrix


class UpSampling3D(_UpSampling):
    r"""Repeats each voxel ``size[k]`` times along each spatial axis ``k``.

    .. math::

        y_{n, i, j, k, c} = x_{n, \lfloor i/s_1 \rfloor, \lfloor j/s_2 \rfloor,
        \lfloor k/s_3 \rfloor, c}

    **Backward:** the sum of the gradients of the :math:`s_1 s_2 s_3` copies.
    """

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format=data_format, **kwargs)


# ------------------------------------------------------------------ vectors and axes
class RepeatVector(Layer):
    r"""Repeats a vector ``n`` times: ``(N, C) -> (N, n, C)``.

    .. math::

        y_{b, t, c} = x_{b, c}, \qquad t = 0, \ldots, n-1

    **Backward:** :math:`\partial L/\partial x_{b,c} =
    \sum_{t=0}^{n-1} \partial L/\partial y_{b,t,c}`.
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not _is_int(n) or n <= 0:
            raise ValueError(f"RepeatVector: `n` must be a positive integer, got {n!r}.")
        self.n = int(n)
        self.input_spec = InputSpec(ndim=2)

    def forward(self, x, training=False):
        return np.repeat(x[:, None, :], self.n, axis=1), None

    def backward(self, cache, grad_out):
        return grad_out.sum(axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        config = super().get_config()
        config["n"] = self.n
        return config


class Permute(Layer):
    r"""Permutes the non-batch axes: ``dims`` is 1-indexed, as in Keras.

    ``Permute((2, 1))`` swaps the two axes of ``(N, A, B)`` giving ``(N, B, A)``.

    .. math::

        y_{n, i_1, \ldots, i_k} = x_{n, j_1, \ldots, j_k}, \qquad j_{d_m} = i_m

    **Backward:** the inverse permutation :math:`d^{-1}` applied to the gradient,
    :math:`\partial L/\partial x = \operatorname{transpose}(\partial L/\partial y, d^{-1})`.
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(
                f"Permute: `dims` must be a permutation of 1..{len(self.dims)} (axis 0, "
                f"the batch, never moves), got {tuple(dims)}. Hint: Permute((2, 1)) swaps "
                "the two axes of a (batch, steps, features) input.")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def forward(self, x, training=False):
        return np.transpose(x, (0,) + self.dims), None

    def backward(self, cache, grad_out):
        inverse = np.argsort((0,) + self.dims)              # undo the permutation
        return np.transpose(grad_out, tuple(int(a) for a in inverse))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        config = super().get_config()
        config["dims"] = self.dims
        return config
