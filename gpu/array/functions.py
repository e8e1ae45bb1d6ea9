r"""NEP 18: the NumPy functions a ``DeviceArray`` runs on the device, and their table.

``DeviceArray.__array_function__`` looks each call up in
:data:`~.device_array.FUNCTIONS`; this page fills it (the table at the end maps
each NumPy function to its device version). Most are a few lines on top of the
kernels of :mod:`.ufuncs`: ``np.mean`` is a sum times :math:`1/n`,
``np.var`` is :math:`\frac{1}{n - \text{ddof}}\sum (x - \bar x)^2`,
``np.concatenate`` is one ``assign`` per piece. The shape functions
(``np.reshape``, ``np.transpose``, ``np.expand_dims``, ``np.broadcast_to``,
``sliding_window_view`` ...) only make views. Indexing with an array --
``table[ids]`` (the gather kernel) and ``x[mask] = value`` (a ``where``) -- is
registered here too, under ``operator.getitem`` and ``operator.setitem``.

A function without an entry, or a call with arguments no kernel takes, runs on
the host (:func:`~.device_array._on_host`, counted in ``fallbacks``).
"""
import numbers
import operator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..runtime import BLOCK
from .device import _grid_for, _i32, _i64, _launch, current_runtime, fallbacks, is_strict
from .device_array import (FUNCTIONS, LEAN_FUNCTIONS, LEAN_UFUNCS, _PLAIN_SCALARS, DeviceArray,
                           _assign, _cached_layout, _constant, _contiguous_strides, _dtype_of,
                           _fill_contiguous, _fresh, _is_scalar, _new_view, _on_host, _size,
                           _tree, _upload_operand, _write_out, full, to_host)
from .ufuncs import _axes, _check_ids, _lean_reduce, _reduce, matmul

def dot(a, b, out=None):
    if np.ndim(a) <= 2 and np.ndim(b) <= 2 and np.ndim(a) and np.ndim(b):
        return _write_out(matmul(a, b), out)
    return _on_host(np.dot, (a, b), {"out": out} if out is not None else {})



# -- indexing with arrays ----------------------------------------------------------------

def _advanced_getitem(x, index):
    """``table[ids]`` (integer ids along axis 0) is the gather kernel; the rest runs on the host."""
    if isinstance(index, (np.ndarray, DeviceArray)) and _dtype_of(index).kind in "iu" \
            and x.ndim >= 1:
        if isinstance(index, np.ndarray):
            _check_ids(index, x.shape[0])
            index = index % max(x.shape[0], 1)          # -1 is the last row, as in NumPy
        ids = _upload_operand(index)
        ids = ids if ids.is_contiguous else ids.copy()
        table = x if x.is_contiguous else x.copy()
        width = _size(x.shape[1:])
        result = DeviceArray.empty(ids.shape + x.shape[1:], x.dtype)
        if result.size:
            _launch("gather_scatter", "gather_rows", result.size, table.pointer(),
                    ids.pointer(), result.pointer(), _i64(ids.size), _i32(width))
        return result
    return _on_host(operator.getitem, (x, index), {}, name="getitem")


def _advanced_setitem(x, index, value):
    """``x[mask] = value`` with a boolean mask over leading axes is a where(); else: host."""
    if isinstance(index, (np.ndarray, DeviceArray)) and _dtype_of(index) == np.bool_ \
            and index.shape == x.shape[:index.ndim] and x.is_contiguous:
        mask = _upload_operand(index).reshape(index.shape + (1,) * (x.ndim - index.ndim))
        if _is_scalar(value):
            _assign(x, where(mask, value, x))
            return
    host = to_host(x)
    host[_tree(to_host, index)] = to_host(value)
    fallbacks["setitem"] += 1
    if is_strict():
        raise NotImplementedError("DeviceArray: assignment through an index array has no GPU "
                                  "kernel (strict mode).")
    _assign(x, host)



# -- functions (NEP 18) ----------------------------------------------------------------------

def zeros(shape, dtype=np.float32):
    return full(shape, 0.0, dtype)


def _full_like(prototype, value, dtype=None, shape=None):
    dtype = np.dtype(dtype or _dtype_of(prototype))
    if dtype.kind == "f" and dtype.itemsize != 4:
        return np.full(shape or np.shape(prototype), value, dtype)
    return full(shape or np.shape(prototype), value, dtype)


def _like(value):
    def make(prototype, dtype=None, order="K", subok=True, shape=None, **_):
        return _full_like(prototype, value, dtype, shape)
    return make


def full_like(prototype, fill_value, dtype=None, order="K", subok=True, shape=None):
    return _full_like(prototype, fill_value, dtype, shape)


def empty_like(prototype, dtype=None, order="K", subok=True, shape=None):
    dtype = np.dtype(dtype or _dtype_of(prototype))
    if dtype.kind == "f" and dtype.itemsize != 4:
        return np.empty(shape or np.shape(prototype), dtype)
    return DeviceArray.empty(shape or np.shape(prototype), dtype)


def where(condition, x=None, y=None):
    if x is None and y is None:
        return _on_host(np.where, (condition,), {})
    operands = [_constant(float(v)) if _is_scalar(v) else _upload_operand(v)
                for v in (condition, x, y)]
    shape = np.broadcast_shapes(*(o.shape for o in operands))
    kinds = {_dtype_of(v).kind for v in (x, y)}       # a Python int is an integer too
    result = DeviceArray.empty(shape, np.int64 if kinds <= set("iu") else
                               bool if kinds == {"b"} else np.float32)
    if result.size:
        _launch("elementwise", "where", result.size, *(o.pointer() for o in operands),
                result.pointer(), _i64(result.size), _cached_layout(shape, *operands))
    return result


def clip(a, a_min=None, a_max=None, out=None, **kwargs):
    if a_min is None:
        return np.minimum(a, a_max, out=out)
    if a_max is None:
        return np.maximum(a, a_min, out=out)
    return np.minimum(np.maximum(a, a_min), a_max, out=out)


def reshape(a, newshape=None, order="C", shape=None):
    return _upload_operand(a).reshape(shape if shape is not None else newshape, order=order)


def transpose(a, axes=None):
    return _upload_operand(a).transpose(axes)


def moveaxis(a, source, destination):
    a = _upload_operand(a)
    source = [s % a.ndim for s in np.atleast_1d(source)]
    destination = [d % a.ndim for d in np.atleast_1d(destination)]
    order = [n for n in range(a.ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return a.transpose(order)


def swapaxes(a, axis1, axis2):
    return _upload_operand(a).swapaxes(axis1, axis2)


def expand_dims(a, axis):
    a = _upload_operand(a)
    axes = _axes(axis, a.ndim + (1 if isinstance(axis, numbers.Integral) else len(axis)))
    shape, strides, source = [], [], iter(zip(a.shape, a.strides_elements))
    for position in range(a.ndim + len(axes)):
        size, stride = (1, 0) if position in axes else next(source)
        shape.append(size)
        strides.append(stride)
    return a._view(shape, strides)


def squeeze(a, axis=None):
    a = _upload_operand(a)
    axes = tuple(i for i, s in enumerate(a.shape) if s == 1) if axis is None \
        else _axes(axis, a.ndim)
    for i in axes:
        if a.shape[i] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal "
                             "to one")
    keep = [i for i in range(a.ndim) if i not in axes]
    return a._view([a.shape[i] for i in keep], [a.strides_elements[i] for i in keep])


def ravel(a, order="C"):
    return _upload_operand(a).reshape(-1)


def broadcast_to(array, shape, subok=False):
    array = _upload_operand(array)
    shape = tuple(shape) if not isinstance(shape, numbers.Integral) else (shape,)
    np.broadcast_shapes(array.shape, shape)             # raises NumPy's error if impossible
    lead = len(shape) - array.ndim
    strides = [0] * lead + [0 if size == 1 and target != 1 else stride for size, stride, target
                            in zip(array.shape, array.strides_elements, shape[lead:])]
    return array._view(shape, strides)


def _sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    """Windows as a strided view, exactly as NumPy builds them: no copy, no kernel."""
    x = _upload_operand(x)
    window_shape = (window_shape,) if isinstance(window_shape, numbers.Integral) \
        else tuple(window_shape)
    axes = tuple(range(x.ndim)) if axis is None else \
        ((axis,) if isinstance(axis, numbers.Integral) else tuple(axis))
    shape, strides = list(x.shape), list(x.strides_elements)
    for size, a in zip(window_shape, axes):
        shape[a] -= size - 1
    shape += list(window_shape)
    strides += [x.strides_elements[a] for a in axes]
    return x._view(shape, strides)


def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = [_upload_operand(a) for a in arrays]
    if axis is None:
        arrays, axis = [a.reshape(-1) for a in arrays], 0
    axis %= arrays[0].ndim
    shape = list(arrays[0].shape)
    shape[axis] = sum(a.shape[axis] for a in arrays)
    result = DeviceArray.empty(shape, arrays[0].dtype)
    start = 0
    for a in arrays:                     # one assign kernel per piece
        index = (slice(None),) * axis + (slice(start, start + a.shape[axis]),)
        _assign(result[index], a)
        start += a.shape[axis]
    return _write_out(result, out)


def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = [_upload_operand(a) for a in arrays]
    axis %= arrays[0].ndim + 1
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis, out=out)


def split(ary, indices_or_sections, axis=0):
    ary = _upload_operand(ary)
    size = ary.shape[axis]
    if isinstance(indices_or_sections, numbers.Integral):
        if size % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
        step = size // indices_or_sections
        bounds = list(range(0, size + 1, step))
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [size]
    index = (slice(None),) * (axis % ary.ndim)
    return [ary[index + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def _reduction_function(kind):
    def reduce(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
               where=np._NoValue, **kwargs):
        if initial is not np._NoValue or where is not np._NoValue or kwargs:
            return _on_host(getattr(np, kind), (a,), dict(kwargs, axis=axis, keepdims=keepdims))
        return _write_out(_reduce(kind, a, axis, keepdims, out=out), out)
    return reduce


def _arg_function(kind):
    def reduce(a, axis=None, out=None, *, keepdims=False):
        return _write_out(_reduce(kind, a, axis, keepdims), out)
    return reduce


def _logical_reduction(kind):
    def reduce(a, axis=None, out=None, keepdims=False, *, where=np._NoValue):
        if where is not np._NoValue:
            return _on_host(getattr(np, "all" if kind == "min" else "any"), (a,),
                            {"axis": axis, "keepdims": keepdims, "where": where})
        flags = np.not_equal(a, 0)
        return _write_out(_reduce(kind, flags, axis, keepdims)._relabel(bool), out)
    return reduce


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=np._NoValue):
    if where is not np._NoValue:
        return _on_host(np.mean, (a,), {"axis": axis, "keepdims": keepdims, "where": where})
    a = _upload_operand(a)
    count = _size([a.shape[i] for i in _axes(axis, a.ndim)])
    total = _reduce("sum", a, axis, keepdims)._relabel(np.float32)
    return _write_out(np.multiply(total, 1.0 / count) if count else total * np.nan, out)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue):
    if where is not np._NoValue:
        return _on_host(np.var, (a,), {"axis": axis, "ddof": ddof, "keepdims": keepdims,
                                       "where": where})
    a = _upload_operand(a)
    count = _size([a.shape[i] for i in _axes(axis, a.ndim)])
    centred = a - mean(a, axis=axis, keepdims=True)
    squares = _reduce("sum", np.square(centred), axis, keepdims)
    return _write_out(np.multiply(squares, 1.0 / max(count - ddof, 0)), out)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue):
    return _write_out(np.sqrt(var(a, axis=axis, ddof=ddof, keepdims=keepdims, where=where)), out)


def copyto(dst, src, casting="same_kind", where=np._NoValue):
    if where is not np._NoValue:
        return _on_host(np.copyto, (dst, src), {"casting": casting, "where": where})
    if isinstance(dst, DeviceArray):
        _assign(dst, src)
    else:
        dst[...] = to_host(src)


def _one_per_row(arr, indices, axis):
    """Whether ``indices`` picks one entry along the last axis for every row of ``arr``:
    the sparse-label case, shapes ``(..., classes)`` and ``(..., 1)``."""
    return axis is not None and arr.ndim >= 1 and axis % arr.ndim == arr.ndim - 1 \
        and np.shape(indices) == arr.shape[:-1] + (1,)


def _one_per_position(arr, indices, axis):
    """One pick along a SHORT axis for every other position (the winner among the
    inputs of a Maximum layer): ``indices`` is ``arr``'s shape with 1 on ``axis``."""
    if axis is None or arr.ndim == 0 or np.ndim(indices) != arr.ndim:
        return False
    axis %= arr.ndim
    return arr.shape[axis] <= 16 and np.shape(indices) == \
        arr.shape[:axis] + (1,) + arr.shape[axis + 1:]


def _pick_per_position(arr, indices, axis):
    """``result = arr[indices[...], ...]`` along a short axis, one where() per entry."""
    axis %= arr.ndim
    if isinstance(indices, np.ndarray):
        _check_ids(indices.reshape(-1), arr.shape[axis])
    indices = _upload_operand(indices)
    result = zeros(indices.shape, arr.dtype)
    for k in range(arr.shape[axis]):         # a loop over the (few) inputs, not over elements
        entry = arr[(slice(None),) * axis + (slice(k, k + 1),)]
        result = where(np.equal(indices, k), entry, result)
    return result._relabel(arr.dtype)


def take_along_axis(arr, indices, axis):
    """Picking one entry per row (sparse labels, any leading axes) is a kernel; the rest:
    host."""
    arr = _upload_operand(arr)
    if not _one_per_row(arr, indices, axis):
        if _one_per_position(arr, indices, axis):
            return _pick_per_position(arr, indices, axis)
        return _on_host(np.take_along_axis, (arr, indices, axis), {})
    rows, classes = _size(arr.shape[:-1]), arr.shape[-1]
    table = arr if arr.is_contiguous else arr.copy()
    labels = _upload_operand(indices).reshape(-1)
    labels = labels if labels.is_contiguous else labels.copy()
    _check_ids(np.asarray(indices) if not isinstance(indices, DeviceArray) else indices,
               classes)
    result = DeviceArray.empty(arr.shape[:-1] + (1,), arr.dtype)
    if rows:
        _launch("gather_scatter", "take_along_rows", rows, table.pointer(), labels.pointer(),
                result.pointer(), _i64(rows), _i32(classes))
    return result


def take(a, indices, axis=None, out=None, mode="raise"):
    """``np.take(table, ids, axis=0)`` is the gather kernel (an embedding lookup)."""
    if axis == 0 and mode == "raise" and _dtype_of(indices).kind in "iu" and np.ndim(indices):
        return _write_out(_advanced_getitem(_upload_operand(a), indices), out)
    return _on_host(np.take, (a, indices), {"axis": axis, "out": out, "mode": mode})


def around(a, decimals=0, out=None):
    """Rounding to whole numbers (half to even, as NumPy) is the rint kernel."""
    if decimals != 0:
        return _on_host(np.round, (a,), {"decimals": decimals, "out": out})
    return _write_out(np.rint(a), out)


def repeat(a, repeats, axis=None):
    """Each element ``repeats`` times along ``axis``: a broadcast view, then one copy."""
    if not isinstance(repeats, numbers.Integral):
        return _on_host(np.repeat, (a, repeats), {"axis": axis})
    a = _upload_operand(a)
    if axis is None:
        a, axis = a.reshape(-1), 0
    axis %= a.ndim
    stretched = broadcast_to(expand_dims(a, axis + 1),
                             a.shape[:axis + 1] + (repeats,) + a.shape[axis + 1:])
    return stretched.reshape(a.shape[:axis] + (a.shape[axis] * repeats,) + a.shape[axis + 1:])


def _contiguous(x, written):
    """``x`` as a contiguous array a kernel may read while it writes ``written``: ``x``
    itself when it is contiguous and in another buffer, else a copy (one kernel fewer
    per use than always copying; the sparse cross-entropy's backward saves two a step)."""
    return x if x.is_contiguous and x.buffer is not written.buffer else x.copy()


def put_along_axis(arr, indices, values, axis):
    """Setting one entry per row (the sparse-label gradient) is a kernel."""
    if not isinstance(arr, DeviceArray) or not arr.is_contiguous \
            or not _one_per_row(arr, indices, axis):
        return _on_host(np.put_along_axis, (arr, indices, values, axis), {})
    rows, classes = _size(arr.shape[:-1]), arr.shape[-1]
    labels = _contiguous(_upload_operand(indices).reshape(-1), arr)
    _check_ids(indices if not isinstance(indices, DeviceArray) else None, classes)
    row_values = _contiguous(broadcast_to(_constant(float(values)) if _is_scalar(values)
                                          else _upload_operand(values), arr.shape[:-1] + (1,)),
                             arr)
    if rows:
        _launch("gather_scatter", "put_along_rows", rows, arr.pointer(), labels.pointer(),
                row_values.pointer(), _i64(rows), _i32(classes))


def einsum(subscripts, *operands, out=None, **kwargs):
    """Only the row-wise dot product ``"...k,...k->..."`` is done here (a multiply, then a sum
    over the last axis); other contractions run on the host."""
    if subscripts.replace(" ", "") == "...k,...k->..." and len(operands) == 2 and not kwargs:
        return _write_out(_reduce("sum", np.multiply(*operands), -1), out)
    return _on_host(np.einsum, (subscripts,) + operands, dict(kwargs, out=out))


def shape(a):
    return tuple(a.shape)


def ndim(a):
    return a.ndim


def size(a, axis=None):
    return a.size if axis is None else a.shape[axis]


def may_share_memory(a, b, max_work=None):
    return isinstance(a, DeviceArray) and isinstance(b, DeviceArray) and a.buffer is b.buffer


def copy(a, order="K", subok=False):
    return _upload_operand(a).copy()


def pad(array, pad_width, mode="constant", constant_values=0, **kwargs):
    """Constant padding: a filled array, then the input assigned into its middle."""
    if mode != "constant" or kwargs or not _is_scalar(constant_values):
        if mode == "constant":
            kwargs = dict(kwargs, constant_values=constant_values)
        return _on_host(np.pad, (array, pad_width), dict(kwargs, mode=mode))
    array = _upload_operand(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2)
                             if np.ndim(pad_width) else np.full((1, 2), pad_width),
                             (array.ndim, 2))
    result = _full_like(array, float(constant_values),
                        shape=tuple(int(s + lo + hi) for s, (lo, hi) in zip(array.shape, widths)))
    _assign(result[tuple(slice(int(lo), int(lo) + s) for s, (lo, _) in
                         zip(array.shape, widths))], array)
    return result


# -- speed-ups, beside the functions above (the definitions) ------------------------------

def _lean_reduction(kind):
    """``np.sum(x, axis, keepdims=...)`` (and max, min, argmax, argmin) of one device array
    as :func:`~.ufuncs._lean_reduce`: a reduction over one axis with its plan made once.
    Saves the plain path's checks (``_reduction_function``, ``_reduce``): 13-16 us of host
    time -> about 7 us for ``np.sum(g, axis=0)`` (``benchmarks/gpu_host_overhead.py``).
    NotImplemented -- the plain path -- for anything but ``(x)``, ``(x, axis)`` and the keywords
    ``axis`` and ``keepdims``."""
    def call(args, kwargs):
        if len(args) > 2 or kwargs.keys() - {"axis", "keepdims"} or \
                (len(args) == 2 and "axis" in kwargs):
            return NotImplemented
        axis = args[1] if len(args) == 2 else kwargs.get("axis")
        keepdims = kwargs.get("keepdims", False)
        if type(args[0]) is not DeviceArray or not (axis is None or type(axis) is int) or \
                type(keepdims) is not bool:
            return NotImplemented
        result = _lean_reduce(kind, args[0], axis, keepdims)
        return NotImplemented if result is None else result
    return call


def _lean_take_along_rows(args, kwargs):
    """``np.take_along_axis(q, labels[:, None], axis=-1)`` -- one pick per row, both arrays
    contiguous on the device, as a sparse cross-entropy and its gradient ask (five times a
    step) -- straight to the ``take_along_rows`` kernel, without :func:`take_along_axis`'s
    checks and uploads: 14 us of host time -> about 6 us
    (``benchmarks/gpu_host_overhead.py``). NotImplemented for anything else."""
    if len(args) + len(kwargs) != 3 or len(args) < 2 or kwargs.keys() - {"axis"}:
        return NotImplemented
    arr, indices = args[0], args[1]
    axis = args[2] if len(args) == 3 else kwargs["axis"]
    if type(arr) is not DeviceArray or type(indices) is not DeviceArray or \
            type(axis) is not int or not arr.shape or axis not in (-1, len(arr.shape) - 1) \
            or indices.shape != arr.shape[:-1] + (1,) or not arr.is_contiguous \
            or not indices.is_contiguous:
        return NotImplemented
    result = _fresh(indices.shape, arr.dtype)
    rows = _size(indices.shape)
    if rows:
        current_runtime().launch("gather_scatter", "take_along_rows", _grid_for(rows), BLOCK, (
            arr.pointer(), indices.pointer(), result.pointer(), _i64(rows),
            _i32(arr.shape[-1])))
    return result


def _lean_like(value):
    """``np.zeros_like(x)`` / ``np.ones_like(x)`` of a device array, no other argument: a new
    array of ``x``'s shape and dtype and one fill kernel, as :func:`_full_like` makes it,
    without its checks (8.7 us of host time -> about 4 us). NotImplemented for anything
    else."""
    def call(args, kwargs):
        if len(args) != 1 or kwargs or type(args[0]) is not DeviceArray:
            return NotImplemented
        result = _fresh(args[0].shape, args[0].dtype)
        _fill_contiguous(result, value)
        return result
    return call


def _lean_empty_like(args, kwargs):
    """``np.empty_like(x)`` of a device array, no other argument: a new array (no kernel)."""
    if len(args) != 1 or kwargs or type(args[0]) is not DeviceArray:
        return NotImplemented
    return _fresh(args[0].shape, args[0].dtype)


def _lean_stack(args, kwargs):
    """``np.stack(pieces)`` along a new first axis, every piece a device array of one shape and
    dtype -- the loss's label check stacks a minimum and a maximum to read both at once --
    as :func:`stack` does it (one ``assign`` a piece) without its views and uploads
    (``expand_dims``, ``concatenate``, indexing): 60 us of host time for two pieces -> about
    20 us (``benchmarks/gpu_host_overhead.py``). NotImplemented for anything else."""
    if len(args) != 1 or kwargs.keys() - {"axis"} or kwargs.get("axis", 0) != 0 or \
            type(args[0]) not in (list, tuple) or not args[0]:
        return NotImplemented
    pieces = args[0]
    first = pieces[0]
    if not all(type(p) is DeviceArray and p.shape == first.shape and p.dtype == first.dtype
               for p in pieces):
        return NotImplemented
    result = _fresh((len(pieces),) + first.shape, first.dtype)
    size = _size(first.shape)
    for at, piece in enumerate(pieces):
        _assign(_new_view(result, first.shape, _contiguous_strides(first.shape), at * size,
                          first.dtype), piece)
    return result


def _lean_clip(args, kwargs):
    """``np.clip(q, low, high, out=q)`` with number bounds, as :func:`clip` computes it
    (``np.minimum(np.maximum(q, low), high, out=out)``) through the two ufuncs' lean calls,
    without NumPy's dispatch of the three calls: 25 us of host time -> about 12 us
    (``benchmarks/gpu_host_overhead.py``). NotImplemented for anything else."""
    if len(args) != 3 or kwargs.keys() - {"out"}:
        return NotImplemented
    a, low, high = args
    out = kwargs.get("out")
    if type(a) is not DeviceArray or type(low) not in _PLAIN_SCALARS or \
            type(high) not in _PLAIN_SCALARS or not (out is None or type(out) is DeviceArray):
        return NotImplemented
    lower = LEAN_UFUNCS[np.maximum]((a, low), None)
    if lower is None:
        return NotImplemented
    result = LEAN_UFUNCS[np.minimum]((lower, high), None if out is None else (out,))
    return result if result is not None else np.minimum(lower, high, out=out)


def _lean_put_along_rows(args, kwargs):
    """``np.put_along_axis(grad, labels[:, None], values, axis=-1)`` -- one entry set per row,
    every array contiguous on the device and ``grad`` in a buffer of its own -- straight to
    the ``put_along_rows`` kernel, without :func:`put_along_axis`'s checks (the sparse
    cross-entropy's gradient, once a step): 17 us of host time -> about 6 us
    (``benchmarks/gpu_host_overhead.py``). NotImplemented for anything else."""
    if len(args) + len(kwargs) != 4 or len(args) < 3 or kwargs.keys() - {"axis"}:
        return NotImplemented
    arr, indices, values = args[:3]
    axis = args[3] if len(args) == 4 else kwargs["axis"]
    if type(arr) is not DeviceArray or type(indices) is not DeviceArray or \
            type(values) is not DeviceArray or type(axis) is not int or not arr.shape or \
            axis not in (-1, len(arr.shape) - 1):
        return NotImplemented
    rows_shape = arr.shape[:-1] + (1,)
    if indices.shape != rows_shape or values.shape != rows_shape or not arr.is_contiguous \
            or not indices.is_contiguous or not values.is_contiguous \
            or indices.buffer is arr.buffer or values.buffer is arr.buffer:
        return NotImplemented
    rows = _size(rows_shape)
    if rows:
        current_runtime().launch("gather_scatter", "put_along_rows", _grid_for(rows), BLOCK, (
            arr.pointer(), indices.pointer(), values.pointer(), _i64(rows),
            _i32(arr.shape[-1])))
    return None


# The functions with a lean call, tried first by DeviceArray.__array_function__ when only
# device arrays take part (and by the methods x.sum(), x.max() ...).
LEAN_FUNCTIONS.update({
    np.sum: _lean_reduction("sum"), np.max: _lean_reduction("max"),
    np.amax: _lean_reduction("max"), np.min: _lean_reduction("min"),
    np.amin: _lean_reduction("min"), np.argmax: _lean_reduction("argmax"),
    np.argmin: _lean_reduction("argmin"), np.take_along_axis: _lean_take_along_rows,
    np.zeros_like: _lean_like(0.0), np.ones_like: _lean_like(1.0),
    np.empty_like: _lean_empty_like, np.stack: _lean_stack, np.clip: _lean_clip,
    np.put_along_axis: _lean_put_along_rows,
})


# Which device version runs each NumPy function (the hook's table, see .device_array).
FUNCTIONS.update({
    operator.getitem: _advanced_getitem, operator.setitem: _advanced_setitem,
    np.sum: _reduction_function("sum"), np.max: _reduction_function("max"),
    np.amax: _reduction_function("max"), np.min: _reduction_function("min"),
    np.amin: _reduction_function("min"), np.argmax: _arg_function("argmax"),
    np.argmin: _arg_function("argmin"), np.all: _logical_reduction("min"),
    np.any: _logical_reduction("max"), np.mean: mean, np.var: var, np.std: std,
    np.zeros_like: _like(0.0), np.ones_like: _like(1.0), np.empty_like: empty_like,
    np.full_like: full_like, np.where: where, np.clip: clip, np.reshape: reshape,
    np.transpose: transpose, np.moveaxis: moveaxis, np.swapaxes: swapaxes,
    np.expand_dims: expand_dims, np.squeeze: squeeze, np.ravel: ravel,
    np.broadcast_to: broadcast_to, sliding_window_view: _sliding_window_view,
    np.concatenate: concatenate, np.stack: stack, np.split: split, np.dot: dot,
    np.copyto: copyto, np.take_along_axis: take_along_axis, np.put_along_axis: put_along_axis,
    np.einsum: einsum, np.take: take, np.round: around, np.around: around,
    np.repeat: repeat, np.shape: shape, np.ndim: ndim, np.size: size, np.may_share_memory: may_share_memory, np.copy: copy, np.pad: pad,
})
