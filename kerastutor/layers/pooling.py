r"""Pooling layers: max and average over sliding windows, and over the whole image.

A pooling layer has no weights. It slides a window of ``pool_size`` over the
spatial axes with step ``strides`` and summarises each window by one number,
its maximum or its mean, independently for every channel.

One generic N-d core (:func:`_pool_forward`, :func:`_pool_backward`) does the
work for the 1D, 2D and 3D classes, which only fix the number of spatial axes:

* **forward** pads the spatial axes (``"same"`` only), takes every window at
  once with :func:`numpy.lib.stride_tricks.sliding_window_view`, keeps every
  ``s``-th one, flattens the window to one axis of length
  :math:`K = \prod_d k_d` and reduces that axis;
* **backward** loops over the :math:`K` offsets *inside* a window (never over
  samples or pixels): for offset :math:`o` the window at output position
  :math:`i` reads input position :math:`i s + o`, so the gradient for offset
  :math:`o` is added into the strided slice ``o : o + s (n_out - 1) + 1 : s``.
  Within one offset those positions are distinct; across offsets they can
  coincide (overlapping windows, ``strides < pool_size``) and the ``+=``
  sums them.

Padding follows Keras (TF "SAME"): :math:`n_{out} = \lceil n/s \rceil`,
:math:`p = \max((n_{out}-1)s + k - n, 0)`, :math:`\lfloor p/2 \rfloor` before and
the rest (the extra one) after, i.e. on the right/bottom. ``"valid"`` takes
only whole windows: :math:`n_{out} = \lfloor (n-k)/s \rfloor + 1`, the remainder
is dropped. Max pooling pads with :math:`-\infty` (a pad never wins); average
pooling divides by the number of *real* (non-pad) elements in each window.
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kerastutor import backend, compiled
from kerastutor.layers.base import InputSpec, Layer, format_shape
from kerastutor.layers.conv_im2col import Workspace


# ---------------------------------------------------------------- arguments
def _standardize_tuple(value, n, arg, cls_name):
    """``2`` -> ``(2, 2)`` for a 2D layer; checks every entry is a positive int."""
    if isinstance(value, (int, np.integer)):
        value = (int(value),) * n
    try:
        value = tuple(int(v) for v in value)
    except TypeError:
        raise ValueError(f"{cls_name}: `{arg}` must be an integer or a tuple of {n} integers, "
                         f"got {value!r}.") from None
    if len(value) != n or any(v <= 0 for v in value):
        raise ValueError(f"{cls_name}: `{arg}` must be a positive integer or a tuple of {n} "
                         f"positive integers, got {value!r}. Hint: a {n}D layer takes "
                         f"{n} value{'s' if n > 1 else ''}, one per spatial axis.")
    return value


def _standardize_data_format(value, cls_name):
    value = backend.image_data_format() if value is None else str(value).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{cls_name}: `data_format` must be 'channels_last' or "
                         f"'channels_first', got {value!r}.")
    return value


def _standardize_padding(value, cls_name):
    padding = str(value).lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"{cls_name}: `padding` must be 'valid' or 'same', got {value!r}. "
                         "Hint: 'same' keeps ceil(n / strides) outputs, 'valid' only whole "
                         "windows.")
    return padding


# ------------------------------------------------------------ the N-d core
def _output_length(n, k, s, padding):
    """Outputs along one axis (``None`` stays ``None``); negative means 'too small'."""
    if n is None:
        return None
    if padding == "same":
        return -(-n // s)                                   # ceil(n / s)
    return (n - k) // s + 1 if n >= k else 0        # floor((n - k) / s) + 1


def _same_pads(n, k, s):
    """(before, after) of TF "SAME" padding: the extra pad goes after."""
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def _spatial_output_shape(layer, spatial):
    """Output spatial shape, with a kind error when a window does not fit."""
    out = []
    for n, k, s in zip(spatial, layer.pool_size, layer.strides):
        m = _output_length(n, k, s, layer.padding)
        if m is not None and m <= 0:
            raise ValueError(
                f'Layer "{layer.name}" ({type(layer).__name__}): the input is smaller than the '
                f"pooling window. Expected every spatial size >= pool_size "
                f"{layer.pool_size} with padding='valid', got spatial shape "
                f"{format_shape(tuple(spatial))}. Hint: use padding='same', a smaller "
                "pool_size, or fewer pooling layers before this one.")
        out.append(m)
    return tuple(out)


def _pool_forward(x, pool_size, strides, padding, mode):
    """Pool a channels_last array ``(N, *spatial, C)``; returns ``(y, cache)``.

    The cache holds what :func:`_pool_backward` needs: the input's (padded)
    shape, the pads, and the argmax of each window (max) or the count of
    real elements in each window (average).
    """
    nd = len(pool_size)
    spatial = x.shape[1:-1]
    if padding == "same":
        pads = [_same_pads(n, k, s) for n, k, s in zip(spatial, pool_size, strides)]
    else:
        pads = [(0, 0)] * nd
    width = [(0, 0)] + pads + [(0, 0)]
    fill = -np.inf if mode == "max" else 0.0
    xp = np.pad(x, width, constant_values=fill) if padding == "same" else x
    if _tiled(pool_size, strides, pads):
        return _pool_tiles(x, pool_size, mode)
    axes = tuple(range(1, nd + 1))
    # windows: (N, *positions, C, *pool); keep every s-th position
    win = sliding_window_view(xp, pool_size, axis=axes)
    win = win[(slice(None),) + tuple(slice(None, None, s) for s in strides)]
    out_spatial = win.shape[1:nd + 1]
    win = win.reshape(win.shape[:nd + 2] + (-1,))       # (N, *out, C, K)
    if mode == "max":
        arg = win.argmax(axis=-1)                       # first max of each window
        y = np.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
        aux = arg
    else:
        # count of real elements per window: the same pooling of a ones image
        ones = np.pad(np.ones(spatial, dtype=x.dtype), pads)
        cwin = sliding_window_view(ones, pool_size)
        cwin = cwin[tuple(slice(None, None, s) for s in strides)]
        count = cwin.reshape(cwin.shape[:nd] + (-1,)).sum(axis=-1)[..., None]  # (*out, 1)
        y = win.sum(axis=-1) / count
        aux = count
    return y, (xp.shape, pads, out_spatial, aux)


# ------------------------------------------------- non-overlapping windows, fast
# The common case -- MaxPooling2D((2, 2)) with its default strides -- has windows
# that tile the image. Then the image reshaped to (N, o1, k1, o2, k2, ..., C) is a
# *view* in which ``[:, :, u, :, v, :]`` holds offset (u, v) of every window: the
# pooling becomes a few elementwise operations over K = k1*k2 such slices, with no
# copy of the windows. The generic code above stays the definition; the tests
# check this path against it (tests/layers/test_conv_speed_helpers.py).
def _tiled(pool_size, strides, pads):
    return tuple(strides) == tuple(pool_size) and not any(any(p) for p in pads)


def _offsets(pool_size):
    return list(itertools.product(*(range(k) for k in pool_size)))


def _at(offset):
    """Index of one window offset in the (N, o1, k1, o2, k2, ..., C) tile view."""
    return (slice(None),) + tuple(i for o in offset for i in (slice(None), o)) + (slice(None),)


def _tile_shape(out_shape, pool_size):
    """(N, o1, ..., C) -> (N, o1, k1, o2, k2, ..., C)."""
    nd = len(pool_size)
    return (out_shape[0],) + tuple(d for o, k in zip(out_shape[1:nd + 1], pool_size)
                                   for d in (o, k)) + (out_shape[-1],)


def _whole_windows(out_spatial, pool_size):
    """The part of the image the windows cover (valid pooling drops a remainder)."""
    return (slice(None),) + tuple(slice(0, o * k) for o, k in zip(out_spatial, pool_size))


def _pool_tiles(x, pool_size, mode):
    out_spatial = tuple(n // k for n, k in zip(x.shape[1:-1], pool_size))
    no_pads = [(0, 0)] * len(pool_size)
    if mode == "max":
        found = compiled.max_pool_2d(x, pool_size)     # the fast extra: one compiled pass
        if found is not None:
            return _compiled_max_cache(x, pool_size, *found)
    tiles = _tiles_of(x, out_spatial, pool_size)
    offsets = _offsets(pool_size)
    if mode == "max":
        best = _tile_maximum(tiles, offsets)
        # which offset won is worked out only if backward runs (not at inference)
        return best, (x.shape, no_pads, out_spatial, (x, tiles, best, None))
    total = sum(tiles[_at(offset)] for offset in offsets)
    count = np.array(len(offsets), dtype=x.dtype)
    return total / count, (x.shape, [(0, 0)] * len(pool_size), out_spatial, count)


def _compiled_max_cache(x, pool_size, best, winner):
    """``(best, cache)`` of :func:`_pool_tiles` from the compiled kernel's maxima and places."""
    out_spatial = tuple(n // k for n, k in zip(x.shape[1:-1], pool_size))
    return best, (x.shape, [(0, 0)] * len(pool_size), out_spatial, (x, None, best, winner))


def _tiles_of(x, out_spatial, pool_size):
    """The tile view ``(N, o1, k1, o2, k2, ..., C)`` of the part of ``x`` the windows cover
    (a copy when a remainder row or column is cut off)."""
    covered = x[_whole_windows(out_spatial, pool_size)]
    out_shape = (x.shape[0],) + out_spatial + (x.shape[-1],)
    return covered.reshape(_tile_shape(out_shape, pool_size))


def _tile_maximum(tiles, offsets):
    """The running maximum over the window offsets, ``max_o tiles[o]`` (a new array).

    The first ``np.maximum`` makes the result, the others write into it: for
    MaxPooling2D((2, 2)) that is three passes over the output and no copy of
    the first offset (1.8 ms -> 1.5 ms a batch on the MNIST CNN's 128x26x26x32).
    """
    if len(offsets) == 1:
        return tiles[_at(offsets[0])].copy()
    best = np.maximum(tiles[_at(offsets[0])], tiles[_at(offsets[1])])
    for offset in offsets[2:]:
        np.maximum(best, tiles[_at(offset)], out=best)
    return best


def _route_to_first_maximum(grad_tiles, won, grad_out, pool_size, input_tiles, best):
    r"""Put each window's gradient on its maximum; on ties, the first in window order.

    Writes *every* entry of ``grad_tiles`` (the input gradient in the tile
    layout ``(N, o1, k1, o2, k2, ..., C)``), so it may start uninitialised;
    ``won`` is a boolean scratch array of the same shape:

    .. math::

        g_{n,i,o,c} = [\,o \text{ is the first } o' \text{ with }
        x_{n,\, i s + o',\, c} = y_{n,i,c}\,]\;
        \frac{\partial L}{\partial y_{n,i,c}}

    Two full-size passes -- one comparison of the input with its window's
    maximum (broadcast over the window axes), one product with the broadcast
    ``grad_out`` -- plus a few passes over small boolean arrays that keep
    only the first winner of each window (ties are common: after a ReLU a
    window of zeros is all ties). Writing straight into the caller's buffer,
    instead of one product per offset into a zeroed copy, took the MNIST
    CNN's pooling backward from 9.7 ms to 4.4 ms a batch
    (``benchmarks/bench_training.py cnn``, one core).
    """
    per_window = _tile_shape(best.shape, (1,) * len(pool_size))   # (N, o1, 1, o2, 1, ..., C)
    np.equal(input_tiles, best.reshape(per_window), out=won)     # every tie is a winner here
    offsets = _offsets(pool_size)
    claimed = won[_at(offsets[0])].copy()                         # windows with a winner so far
    for offset in offsets[1:]:
        later = won[_at(offset)]
        np.greater(later, claimed, out=later)     # later & ~claimed: a tie after the first loses
        if offset != offsets[-1]:
            claimed |= later
    np.multiply(won, grad_out.reshape(per_window), out=grad_tiles)


def _pool_backward(cache, grad_out, pool_size, strides, mode, workspace=None):
    """Scatter ``grad_out`` ``(N, *out, C)`` back onto the input's windows.

    ``workspace`` (a :class:`~kerastutor.layers.conv_im2col.Workspace`, optional)
    lends the tiled path its arrays.
    """
    padded_shape, pads, out_spatial, aux = cache
    nd = len(pool_size)
    if mode == "max":
        contribution = None
    else:
        contribution = grad_out / aux                   # g / count, same for every offset
    if _tiled(pool_size, strides, pads):               # windows tile the input: no overlap
        return _tiled_pool_backward(grad_out, padded_shape, out_spatial, pool_size, mode, aux,
                                    contribution, workspace or Workspace())
    gp = np.zeros_like(grad_out, shape=padded_shape)    # made where grad_out lives (CPU/GPU)
    for flat, offset in enumerate(itertools.product(*(range(k) for k in pool_size))):
        # input position of output position i at this offset: i * s + o
        where = (slice(None),) + tuple(slice(o, o + s * (m - 1) + 1, s)
                                       for o, s, m in zip(offset, strides, out_spatial))
        if mode == "max":
            gp[where] += np.where(aux == flat, grad_out, 0)   # only where o was the argmax
        else:
            gp[where] += contribution
    return gp[_crop(pads, padded_shape, nd)]


def _tiled_pool_backward(grad_out, input_shape, out_spatial, pool_size, mode, aux,
                         contribution, workspace):
    """The backward of :func:`_pool_tiles`: every input pixel is in at most one window.

    When the windows cover the whole input (26x26 in 2x2 tiles), the input
    gradient *is* its tile layout reshaped, so the tiles are written straight
    into it with no zero fill and no copy; otherwise (a remainder row or
    column, which gets zeros) the tiles are made apart and copied in. The
    arrays come from ``workspace``, which reuses those of the last call.
    """
    tile_shape = _tile_shape(grad_out.shape, pool_size)
    covered = all(o * k == n for o, k, n in zip(out_spatial, pool_size, input_shape[1:-1]))
    gp = workspace.empty("grad", grad_out, input_shape)
    if not covered:
        _zero_remainder(gp, out_spatial, pool_size)    # it gets no gradient
    if mode == "max" and compiled.max_pool_2d_backward(aux[3], pool_size, grad_out, gp):
        return gp                                      # the fast extra: one compiled pass
    tiles = gp.reshape(tile_shape) if covered else workspace.empty("tiles", grad_out,
                                                                   tile_shape)
    if mode == "max":
        x, input_tiles, best, _ = aux
        if input_tiles is None:                        # the forward ran compiled
            input_tiles = _tiles_of(x, out_spatial, pool_size)
        won = workspace.empty("won", grad_out, tile_shape, bool)
        _route_to_first_maximum(tiles, won, grad_out, pool_size, input_tiles, best)
    else:
        for offset in _offsets(pool_size):
            tiles[_at(offset)] = contribution
    if not covered:
        gp[_whole_windows(out_spatial, pool_size)] = tiles.reshape(
            (tiles.shape[0],) + tuple(o * k for o, k in zip(out_spatial, pool_size))
            + (tiles.shape[-1],))
    return gp


def tiling_max_pool_2d(layer):
    """Whether ``layer`` is a 2-D max pooling whose windows tile its channels_last input
    (what :func:`relu_pool_forward` and :func:`relu_pool_backward` need)."""
    return (layer.mode == "max" and layer.data_format == "channels_last" and layer.rank == 2
            and tuple(layer.strides) == tuple(layer.pool_size) and layer.padding == "valid")


def relu_pool_forward(layer, z, bias):
    r"""Speed-up, beside the convolution's last step and :meth:`MaxPooling2D.forward`:
    :math:`y = \max(z + b, 0)` (``bias`` :math:`b`, zeros for a conv without one)
    written over ``z`` and the pool's ``(output, cache)`` of
    :math:`y`, in one compiled pass that takes each sample while it is in the cache
    (:func:`kerastutor.compiled.max_pool_2d` with a bias); ``None`` where it does not
    apply (then nothing was written). The model uses it for the pairs of
    :func:`relu_pool_backward`. Same numbers; the CIFAR-10 CNN's step (``benchmarks/
    bench_training.py cifar``, taking turns in one process) went from 22.1 to 21.7 ms,
    the MNIST CNN's from 10.2 to 9.9 ms.
    """
    if not (tiling_max_pool_2d(layer) and isinstance(z, np.ndarray) and z.ndim == 4):
        return None
    found = compiled.max_pool_2d(z, layer.pool_size, bias)
    return None if found is None else _compiled_max_cache(z, layer.pool_size, *found)


def relu_pool_backward(layer, cache, grad_out):
    r"""Speed-up, beside :meth:`MaxPooling2D.backward` and the ReLU backward of the
    convolution before it: the convolution's :math:`\delta` straight from the pool's
    upstream gradient, or ``None`` where it does not apply.

    Plainly, the pool routes each window's gradient to its first maximum (a full-size
    array, mostly zeros) and the convolution then multiplies that by :math:`[y > 0]`,
    reading its output :math:`y` again. With the ``fast`` extra one compiled pass
    (:func:`kerastutor.compiled.max_pool_2d_backward` given the maxima) writes
    :math:`\delta` directly, from the maxima and their places the pool's forward kept:
    three passes over arrays the size of the convolution's output become one. The model
    takes this path (:meth:`~kerastutor.models.Functional.backward`) only when nobody
    listens to its events -- the tracer wants the pool's own gradient -- for a
    ``Conv2D(activation="relu")`` whose only reader is a ``MaxPooling2D`` whose windows
    tile its input. The numbers are the two layers' (bit for bit:
    ``tests/models/test_relu_pool_fusion.py``). Taking turns in one process
    (``benchmarks/bench_training.py`` models), a step of the CIFAR-10 CNN went from
    24.4 to 21.9 ms, one of the MNIST CNN from 12.4 to 10.6 ms.
    """
    padded_shape, pads, out_spatial, aux = cache
    if not (tiling_max_pool_2d(layer) and isinstance(aux, tuple) and aux[3] is not None
            and isinstance(grad_out, np.ndarray)):
        return None                                    # the pool's forward did not run compiled
    delta = layer._workspace.empty("relu delta", grad_out, padded_shape)
    _zero_remainder(delta, out_spatial, layer.pool_size)
    if not compiled.max_pool_2d_backward(aux[3], layer.pool_size, grad_out, delta,
                                         relu_best=aux[2]):
        return None
    return delta


def _zero_remainder(grad, out_spatial, pool_size):
    """Zero the rows (columns, ...) of ``grad`` past the last whole window; the windows'
    own entries are all written by the backward pass, so they need no zeros first."""
    for axis, (o, k) in enumerate(zip(out_spatial, pool_size), start=1):
        strip = [slice(None)] * grad.ndim
        strip[axis] = slice(o * k, None)
        grad[tuple(strip)] = 0


def _crop(pads, padded_shape, nd):
    return (slice(None),) + tuple(slice(b, n - a) for (b, a), n
                                  in zip(pads, padded_shape[1:nd + 1]))


def _as_float(x):
    x = backend.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(backend.floatx())


# ------------------------------------------------------------ base classes
class ChannelsLast:
    """The pooling pages compute channels last; ``channels_first`` data is moved there
    and back (a view, no copy)."""

    def _channels_last(self, x):
        return np.moveaxis(x, 1, -1) if self.data_format == "channels_first" else x

    def _back_to_format(self, x):
        return np.moveaxis(x, -1, 1) if self.data_format == "channels_first" else x


class _Pooling(ChannelsLast, Layer):
    """Shared page of the windowed pooling layers (see the module docstring)."""

    rank = None
    mode = None

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.pool_size = _standardize_tuple(pool_size, self.rank, "pool_size", name)
        self.strides = _standardize_tuple(pool_size if strides is None else strides,
                                          self.rank, "strides", name)
        self.padding = _standardize_padding(padding, name)
        self.data_format = _standardize_data_format(data_format, name)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def forward(self, x, training=False):
        x = self._channels_last(_as_float(x))
        _spatial_output_shape(self, x.shape[1:-1])      # kind error if a window cannot fit
        y, cache = _pool_forward(x, self.pool_size, self.strides, self.padding, self.mode)
        return self._back_to_format(y), cache

    def backward(self, cache, grad_out):
        g = self._channels_last(grad_out)
        grad = _pool_backward(cache, g, self.pool_size, self.strides, self.mode,
                              self._workspace)
        return self._back_to_format(grad)

    @property
    def _workspace(self):
        """This layer's reused buffers (:class:`~kerastutor.layers.conv_im2col.Workspace`)."""
        if "_workspace_buffers" not in self.__dict__:
            self._workspace_buffers = Workspace()
        return self._workspace_buffers

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_first":
            return input_shape[:2] + _spatial_output_shape(self, input_shape[2:])
        return ((input_shape[0],) + _spatial_output_shape(self, input_shape[1:-1])
                + (input_shape[-1],))

    def get_config(self):
        config = super().get_config()
        config.update({"pool_size": self.pool_size, "padding": self.padding,
                       "strides": self.strides, "data_format": self.data_format})
        return config


class _MaxPooling(_Pooling):
    r"""Max pooling: each output is the largest input of its window.

    .. math::

        y_{n,i,c} = \max_{o \in \text{window}} x_{n,\, i s + o,\, c}

    **Backward.** The max is a selector: its derivative is 1 for the
    winning input and 0 for the others, so the whole upstream gradient goes to
    the argmax of each window,

    .. math::

        \frac{\partial L}{\partial x_{n,j,c}} = \sum_{i,\,o:\ i s + o = j}
        [\,o = \arg\max_{o'} x_{n,\, i s + o',\, c}\,]\;
        \frac{\partial L}{\partial y_{n,i,c}},

    summed over every window whose argmax is ``j`` (windows overlap when
    ``strides < pool_size``). **Ties:** the first maximum in row-major window
    order (``argmax``) gets the gradient, the other tied entries get none --
    a subgradient, since the max has a kink there (``has_kinks = True``).
    "same" padding uses :math:`-\infty`, so a pad never wins.
    """

    mode = "max"
    has_kinks = True


class _AveragePooling(_Pooling):
    r"""Average pooling: each output is the mean of its window.

    .. math::

        y_{n,i,c} = \frac{1}{|W_i|} \sum_{o \in W_i} x_{n,\, i s + o,\, c}

    where :math:`|W_i|` counts only the real (non-pad) elements of window
    :math:`i`: with ``padding="same"`` the border windows divide by fewer
    (2x2 "same" pooling of the 5x5 ramp ``arange(25)`` ends its last column
    with ``24 / 1 = 24``).

    **Where Keras 3.15.1 differs.** This is what Keras computes on its
    TensorFlow and JAX backends. Its torch backend pads an *uneven* "same"
    padding by replicating the edge value, so a border window also averages a
    copy of the last element: ``AveragePooling1D(3, strides=2,
    padding="same")`` on ``arange(10)`` ends with ``(8 + 9 + 9) / 3`` there
    instead of ``(8 + 9) / 2 = 8.5`` here (the tests check ours against a
    window-by-window reference and pin Keras-torch's value).

    **Backward.** Every element of a window gets an equal share,

    .. math::

        \frac{\partial L}{\partial x_{n,j,c}} = \sum_{i,\,o:\ i s + o = j}
        \frac{1}{|W_i|} \frac{\partial L}{\partial y_{n,i,c}} .
    """

    mode = "average"


class MaxPooling1D(_MaxPooling):
    __doc__ = (_MaxPooling.__doc__ + "\n    1D: inputs ``(batch, steps, features)`` "
               "(``channels_last``) or ``(batch, features, steps)``.\n")
    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(_MaxPooling):
    __doc__ = (_MaxPooling.__doc__ + "\n    2D: inputs ``(batch, height, width, channels)`` "
               "(``channels_last``) or ``(batch, channels, height, width)``.\n")
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class MaxPooling3D(_MaxPooling):
    __doc__ = (_MaxPooling.__doc__ + "\n    3D: inputs ``(batch, d1, d2, d3, channels)`` "
               "(``channels_last``) or ``(batch, channels, d1, d2, d3)``.\n")
    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_AveragePooling):
    __doc__ = (_AveragePooling.__doc__ + "\n    1D: inputs ``(batch, steps, features)`` "
               "(``channels_last``) or ``(batch, features, steps)``.\n")
    rank = 1

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(_AveragePooling):
    __doc__ = (_AveragePooling.__doc__ + "\n    2D: inputs ``(batch, height, width, channels)`` "
               "(``channels_last``) or ``(batch, channels, height, width)``.\n")
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(_AveragePooling):
    __doc__ = (_AveragePooling.__doc__ + "\n    3D: inputs ``(batch, d1, d2, d3, channels)`` "
               "(``channels_last``) or ``(batch, channels, d1, d2, d3)``.\n")
    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


# ------------------------------------------------------------ global pooling
class _GlobalPooling(Layer):
    """Shared page of the global pooling layers: one window covering all spatial axes."""

    rank = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _standardize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _spatial_axes(self, ndim):
        if self.data_format == "channels_first":
            return tuple(range(2, ndim))
        return tuple(range(1, ndim - 1))

    def _expand(self, grad_out, ndim):
        """Give ``grad_out`` back the size-1 spatial axes that keepdims=False removed."""
        if self.keepdims:
            return grad_out
        return np.expand_dims(grad_out, self._spatial_axes(ndim))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_first":
            keep = input_shape[:2]
            return keep + (1,) * self.rank if self.keepdims else keep
        keep = (input_shape[0], input_shape[-1])
        return ((keep[0],) + (1,) * self.rank + (keep[1],)) if self.keepdims else keep

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class _GlobalMaxPooling(_GlobalPooling):
    r"""Global max pooling: the largest value of each channel over all positions.

    .. math::

        y_{n,c} = \max_{j} x_{n,j,c}

    (``j`` runs over every spatial position). ``keepdims=True`` keeps the
    spatial axes with size 1.

    **Backward.** The gradient goes to the winning position,

    .. math::

        \frac{\partial L}{\partial x_{n,j,c}} =
        \frac{[\,x_{n,j,c} = y_{n,c}\,]}{\#\{j' : x_{n,j',c} = y_{n,c}\}}\;
        \frac{\partial L}{\partial y_{n,c}} .

    **Ties** share it equally, as the gradient of Keras's ``ops.max`` does on
    every backend (``has_kinks = True``: the derivative jumps where the winner
    changes).
    """

    has_kinks = True

    def forward(self, x, training=False):
        x = _as_float(x)
        axes = self._spatial_axes(x.ndim)
        y = x.max(axis=axes, keepdims=True)
        # who won is worked out only if backward runs (not at inference)
        return (y if self.keepdims else np.squeeze(y, axis=axes)), (x, y)

    def backward(self, cache, grad_out):
        x, y = cache
        winners = (x == y).astype(grad_out.dtype)                    # 1 at every maximum
        share = winners / winners.sum(axis=self._spatial_axes(x.ndim), keepdims=True)
        return share * self._expand(grad_out, x.ndim)               # ties split it


class _GlobalAveragePooling(_GlobalPooling):
    r"""Global average pooling: the mean of each channel over all positions.

    .. math::

        y_{n,c} = \frac{1}{P} \sum_{j} x_{n,j,c}

    with :math:`P` the number of spatial positions. ``keepdims=True`` keeps
    the spatial axes with size 1.

    **Backward.** Every position gets an equal share,

    .. math::

        \frac{\partial L}{\partial x_{n,j,c}} = \frac{1}{P}\,
        \frac{\partial L}{\partial y_{n,c}} .
    """

    def forward(self, x, training=False):
        x = _as_float(x)
        axes = self._spatial_axes(x.ndim)
        y = x.mean(axis=axes, keepdims=self.keepdims)
        positions = int(np.prod([x.shape[a] for a in axes]))
        return y, (x.shape, positions)

    def backward(self, cache, grad_out):
        shape, positions = cache
        g = self._expand(grad_out, len(shape)) / positions
        return np.broadcast_to(g, shape).copy()


class GlobalMaxPooling1D(_GlobalMaxPooling):
    __doc__ = _GlobalMaxPooling.__doc__ + "\n    1D: inputs ``(batch, steps, features)``.\n"
    rank = 1


class GlobalMaxPooling2D(_GlobalMaxPooling):
    __doc__ = (_GlobalMaxPooling.__doc__
               + "\n    2D: inputs ``(batch, height, width, channels)``.\n")
    rank = 2


class GlobalMaxPooling3D(_GlobalMaxPooling):
    __doc__ = (_GlobalMaxPooling.__doc__
               + "\n    3D: inputs ``(batch, d1, d2, d3, channels)``.\n")
    rank = 3


class GlobalAveragePooling1D(_GlobalAveragePooling):
    __doc__ = (_GlobalAveragePooling.__doc__
               + r"""
    1D: inputs ``(batch, steps, features)``.

    **Masks.** This is the one global pooling layer that reads a mask (as in
    Keras): after ``Embedding(mask_zero=True)`` or ``Masking`` -- or with an
    explicit ``mask=`` of shape ``(batch, steps)`` -- it averages only the
    real steps, :math:`m_{n,t} \in \{0, 1\}`,

    .. math::

        y_{n,c} = \frac{\sum_t m_{n,t}\, x_{n,t,c}}{\sum_t m_{n,t}}, \qquad
        \frac{\partial L}{\partial x_{n,t,c}} = \frac{m_{n,t}}{\sum_{t'} m_{n,t'}}\,
        \frac{\partial L}{\partial y_{n,c}},

    so padded steps change neither the output nor get any gradient. A
    sequence with no real step at all gives :math:`0/0 = \text{NaN}`, as in
    Keras. The output has no mask (the time axis is gone).
    """)
    rank = 1

    def forward(self, x, training=False, mask=None):
        if mask is None:
            return super().forward(x, training)
        x = _as_float(x)
        time_axis = 2 if self.data_format == "channels_first" else 1
        mask = backend.asarray(mask)
        if mask.shape != (x.shape[0], x.shape[time_axis]):
            raise ValueError(
                f'Layer "{self.name}" (GlobalAveragePooling1D): the mask must have shape '
                f"(batch, steps) = {format_shape((x.shape[0], x.shape[time_axis]))}, got "
                f"{format_shape(mask.shape)} for inputs {format_shape(x.shape)}.")
        keep = np.expand_dims(mask.astype(bool), 3 - time_axis)     # (N, T, 1): real steps
        m = keep.astype(x.dtype)
        count = m.sum(axis=time_axis, keepdims=True)                 # sum_t m_t
        with np.errstate(invalid="ignore", divide="ignore"):        # no real step: 0/0 = NaN
            y = np.where(keep, x, 0).sum(axis=time_axis, keepdims=True) / count
            weights = m / count                                      # m_t / sum_t' m_t'
        return (y if self.keepdims else np.squeeze(y, axis=time_axis)), (x.shape, weights)

    def backward(self, cache, grad_out):
        shape, weights = cache
        if np.ndim(weights) == 0:                                 # no mask: 1 / P
            return super().backward(cache, grad_out)
        g = self._expand(grad_out, len(shape))
        return weights * g                                        # m_t / sum m * dL/dy


class GlobalAveragePooling2D(_GlobalAveragePooling):
    __doc__ = (_GlobalAveragePooling.__doc__
               + "\n    2D: inputs ``(batch, height, width, channels)``.\n")
    rank = 2


class GlobalAveragePooling3D(_GlobalAveragePooling):
    __doc__ = (_GlobalAveragePooling.__doc__
               + "\n    3D: inputs ``(batch, d1, d2, d3, channels)``.\n")
    rank = 3


# Keras's exported aliases
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D,
                                                     GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
