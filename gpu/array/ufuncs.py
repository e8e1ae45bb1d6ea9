r"""NEP 13: the ufuncs a ``DeviceArray`` runs as kernels, and the table that says which.

``DeviceArray.__array_ufunc__`` asks :data:`~.device_array.UFUNCS` for
``(ufunc, method)``; this page fills it:

* every elementwise ufunc in :data:`UNARY_KERNELS` and :data:`BINARY_KERNELS`
  (one thread per output element, reading each operand through its strides, so
  broadcasting and views cost no copy), with NumPy's result dtypes
  (:func:`_result_dtype`: comparisons say ``bool``, integer sums stay integers);
* ``np.matmul`` -- the tiled kernel, a batch of matrices as grid z;
* ``.reduce`` of ``add``/``maximum``/``minimum``/``logical_and``/``logical_or``
  -- one axis at a time as ``(outer, length, inner)``;
* ``np.add.at`` -- scatter-add with ``atomicAdd`` (an embedding's gradient).
"""
import numbers

import numpy as np

from ..runtime import BLOCK, grid_for, remember
from .device import _f32, _grid_for, _i32, _i64, _launch, current_runtime
from .device_array import (LEAN_UFUNCS, UFUNCS, _PLAIN_SCALARS, DeviceArray, _assign,
                           _broadcast_shapes, _cached_layout, _dtype_of, _fresh, _is_scalar,
                           _new_or, _on_host, _shape_of, _size, _unary, _upload_operand,
                           to_host)

def _direct_target(out, shape, operands):
    """``out`` itself when a kernel may write straight into it (saving a copy): a contiguous
    device array of the result's shape that no input reads through a *different* view.
    (``x += y`` is safe -- each thread reads its element before writing it.)"""
    target = out[0] if isinstance(out, tuple) else out
    if not isinstance(target, DeviceArray) or target.shape != tuple(shape) \
            or not target.is_contiguous:
        return None
    for operand in operands:
        if isinstance(operand, DeviceArray) and operand.buffer is target.buffer and \
                (operand.offset, operand.shape, operand.strides_elements) != \
                (target.offset, target.shape, target.strides_elements):
            return None
    return target


def _binary(kernel, a, b, dtype, into=None):
    """``a`` and ``b`` are device arrays or scalars (not both scalars)."""
    if _is_scalar(b):
        result = _new_or(into, a.shape, dtype)
        if result.size:
            _launch("elementwise", kernel + "_as", result.size, a.pointer(), _f32(b),
                    result.pointer(), _i64(result.size), _cached_layout(a.shape, a))
        return result
    if _is_scalar(a):
        result = _new_or(into, b.shape, dtype)
        if result.size:
            _launch("elementwise", kernel + "_sa", result.size, _f32(a), b.pointer(),
                    result.pointer(), _i64(result.size), _cached_layout(b.shape, None, b))
        return result
    shape = _broadcast(a.shape, b.shape)
    result = _new_or(into, shape, dtype)
    if result.size:
        _launch("elementwise", kernel, result.size, a.pointer(), b.pointer(), result.pointer(),
                _i64(result.size), _cached_layout(shape, a, b))
    return result


# Which kernel computes each NumPy ufunc, and the dtype its result says it has.
UNARY_KERNELS = {
    np.negative: "neg", np.absolute: "abs", np.sign: "sign", np.exp: "exp",
    np.expm1: "expm1", np.log: "log", np.log1p: "log1p", np.sqrt: "sqrt",
    np.square: "square", np.reciprocal: "reciprocal", np.tanh: "tanh", np.sin: "sin",
    np.cos: "cos", np.floor: "floor", np.ceil: "ceil", np.trunc: "trunc", np.rint: "rint",
    np.isfinite: "isfinite", np.isnan: "isnan", np.isinf: "isinf",
    np.logical_not: "logical_not", np.positive: "copy",
}
BINARY_KERNELS = {
    np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "div",
    np.power: "pow", np.float_power: "pow", np.remainder: "mod",
    np.floor_divide: "floor_divide", np.maximum: "maximum",
    np.minimum: "minimum", np.fmax: "fmax", np.fmin: "fmin",
    np.logaddexp: "logaddexp", np.copysign: "copysign", np.arctan2: "arctan2",
    np.greater: "greater", np.greater_equal: "greater_equal", np.less: "less",
    np.less_equal: "less_equal", np.equal: "equal", np.not_equal: "not_equal",
    np.logical_and: "logical_and", np.logical_or: "logical_or",
}
BOOL_RESULTS = {np.isfinite, np.isnan, np.isinf, np.logical_not, np.greater,
                np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
                np.logical_and, np.logical_or}
# On booleans NumPy's + and * are "or" and "and" (True + True is True)
BOOLEAN_FORMS = {np.add: np.logical_or, np.maximum: np.logical_or, np.fmax: np.logical_or,
                 np.multiply: np.logical_and, np.minimum: np.logical_and,
                 np.fmin: np.logical_and}
KEEPS_INTEGERS = {np.negative, np.absolute, np.sign, np.square, np.positive, np.add,
                  np.subtract, np.multiply, np.maximum, np.minimum, np.remainder,
                  np.floor_divide}



FLOAT32 = np.dtype(np.float32)


def _result_dtype(ufunc, operands):
    if ufunc in BOOL_RESULTS:
        return np.dtype(bool)
    if ufunc not in KEEPS_INTEGERS:
        return FLOAT32
    kinds = {_dtype_of(v).kind for v in operands if not _is_scalar(v) or isinstance(v, np.ndarray)}
    if ufunc in KEEPS_INTEGERS and kinds and kinds <= set("biu"):
        return np.dtype(np.int64)
    return np.dtype(np.float32)


def _broadcast(*shapes):
    """NumPy's broadcast shape; the common case (equal shapes) without NumPy's machinery."""
    shapes = [shape for shape in shapes if shape != ()]      # scalars change nothing
    if not shapes:
        return ()
    if all(shape == shapes[0] for shape in shapes):
        return shapes[0]
    return _broadcast_shapes(*shapes)



def _elementwise(ufunc):
    """The device implementation of one elementwise ufunc (made once per ufunc, see below)."""
    def run(*inputs, dtype=None, out=None):
        if any(isinstance(v, np.ndarray) and v.size == 1 for v in inputs):
            inputs = _host_singletons_as_scalars(inputs)
        operands = [v if _is_scalar(v) else _upload_operand(v) for v in inputs]
        kernel, result_dtype = _kernel_and_dtype(ufunc, inputs)
        shape = _broadcast(*(_shape_of(v) for v in operands))
        into = None if out is None else _direct_target(out, shape, operands)
        if len(operands) == 1:
            return _unary(kernel, operands[0], result_dtype, into)
        return _binary(kernel, *operands, result_dtype, into)
    run.writes_out = True                    # see __array_ufunc__
    return run


def _kernel_and_dtype(ufunc, inputs):
    """Which kernel computes ``ufunc`` of these operands (before ``_binary`` adds ``_as`` or
    ``_sa`` for a scalar), and the dtype NumPy would give the result."""
    if len(inputs) == 1:
        return "unary_" + UNARY_KERNELS[ufunc], _result_dtype(ufunc, inputs)
    if ufunc in BOOLEAN_FORMS and all(_dtype_of(v) == np.bool_ for v in inputs):
        return "binary_" + BINARY_KERNELS[BOOLEAN_FORMS[ufunc]], np.dtype(bool)
    return "binary_" + BINARY_KERNELS[ufunc], _result_dtype(ufunc, inputs)


# Speed-up, beside ``_elementwise`` (the definition).
def _lean_elementwise(ufunc):
    r"""``_elementwise(ufunc)``'s ``run`` for the calls a training step makes nearly all the
    time -- device arrays and plain Python or NumPy scalars, no ``out=`` or an ``out=`` the
    kernel may write straight into -- with every decision made once per *signature*.

    The plain path asks, at every call, whether an operand is a host array, a one-element
    array, a scalar; which dtype NumPy would give the result; whether booleans turn ``+``
    into "or"; the broadcast shape, the ``Layout``, the grid. The answers depend only on the
    operands' types, dtypes, shapes and strides, so here they are worked out once per
    signature by the plain path's own functions (:func:`_kernel_and_dtype`,
    :func:`_broadcast`, ``_cached_layout``) and kept as a *plan*. A call then only looks
    its plan up, makes the result and launches. ``np.exp(a)`` took 11 us of host time and
    ``a + b`` 22-28 us; lean, about 4 and 5 us (``benchmarks/gpu_host_overhead.py``).
    Anything else -- a host operand, a float64 scalar, an ``out=`` that needs a copy --
    returns None, and ``__array_ufunc__`` takes the plain path. Tests check both paths give
    the same numbers, dtypes and launches.
    """
    plans = {}

    def call(inputs, out):
        if len(inputs) == 2:                          # the signature: what a plan depends on
            a, b = inputs
            if type(a) is DeviceArray:
                key = (a.dtype, a.shape, a.strides_elements, b.dtype, b.shape,
                       b.strides_elements) if type(b) is DeviceArray else \
                    (a.dtype, a.shape, a.strides_elements, type(b))
            elif type(b) is DeviceArray:
                key = (type(a), b.dtype, b.shape, b.strides_elements)
            else:
                return None
        elif len(inputs) == 1 and type(inputs[0]) is DeviceArray:
            x = inputs[0]
            key = (x.dtype, x.shape, x.strides_elements)
        else:
            return None
        plan = plans.get(key)
        if plan is None:                              # NumPy's errors raise from the plan
            plan = remember(plans, key, _elementwise_plan(ufunc, inputs))
        if plan is False:
            return None
        kernel, dtype, form, shape, n, grid, layout = plan
        if out is None:
            result = _fresh(shape, dtype)
        else:
            result = _direct_target(out, shape, inputs)
            if result is None:
                return None                           # needs a copy: the plain path
        if not n:
            return result
        if form == "aa":
            args = (a.pointer(), b.pointer(), result.pointer(), _i64(n), layout)
        elif form == "a":
            args = (x.pointer(), result.pointer(), _i64(n), layout)
        elif form == "as":
            args = (a.pointer(), _f32(b), result.pointer(), _i64(n), layout)
        else:                                         # "sa": scalar, array
            args = (_f32(a), b.pointer(), result.pointer(), _i64(n), layout)
        current_runtime().launch("elementwise", kernel, grid, BLOCK, args)
        return result
    return call


def _elementwise_plan(ufunc, inputs):
    """``(kernel, result dtype, form, shape, size, grid, layout)`` for operands like
    ``inputs``, chosen by the plain path's functions (``form`` says which operands are
    arrays: "a", "aa", "as" or "sa"); False when the lean path must leave them to the
    plain one."""
    kinds = [type(v) is DeviceArray or (type(v) in _PLAIN_SCALARS and "scalar")
             for v in inputs]
    if len(inputs) != ufunc.nin or not all(kinds) or True not in kinds:
        return False
    kernel, dtype = _kernel_and_dtype(ufunc, inputs)
    form = "".join("a" if kind is True else "s" for kind in kinds)
    if form == "as" or form == "sa":
        kernel += "_" + form
    arrays = [v if kind is True else None for v, kind in zip(inputs, kinds)]
    shape = _broadcast(*(v.shape for v in arrays if v is not None))
    n = _size(shape)
    return kernel, dtype, form, shape, n, grid_for(n), _cached_layout(shape, *arrays)




def _host_singletons_as_scalars(inputs):
    """A one-element host array that adds no axes is a scalar: no upload needed."""
    rank = max(len(_shape_of(v)) for v in inputs)
    return [v.reshape(())[()] if isinstance(v, np.ndarray) and v.size == 1 and v.ndim <= rank
            and any(isinstance(u, DeviceArray) and u.ndim == rank for u in inputs) else v
            for v in inputs]



# -- reductions: (outer, length, inner) ------------------------------------------------------

REDUCE_UFUNCS = {np.add: "sum", np.maximum: "max", np.minimum: "min",
                 np.logical_and: "min", np.logical_or: "max"}


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return tuple(sorted(a % ndim for a in axis))


def _reduce(kind, x, axis=None, keepdims=False, out=None):
    """Reduce over ``axis`` (None: all), one axis at a time, last first, so the earlier
    axis numbers stay valid. ``kind`` is sum, max, min, argmax or argmin. The last
    reduction writes straight into ``out`` when it can."""
    if out is None and type(x) is DeviceArray and (axis is None or type(axis) is int):
        result = _lean_reduce(kind, x, axis, keepdims)      # one axis of a contiguous array
        if result is not None:
            return result
    x = _upload_operand(x)
    axes = _axes(axis, x.ndim)
    result_dtype = _reduction_dtype(kind, x.dtype)
    kept_shape = [1 if i in axes else s for i, s in enumerate(x.shape)]
    if kind.startswith("arg") and axis is None:
        x, axes = x.reshape(-1), (0,)
    if kind != "sum" and any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"zero-size array to reduction operation {kind} which has no identity")
    result = x if x.is_contiguous else x.copy()
    final_shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    into = None
    if isinstance(out, DeviceArray) and out.dtype == result_dtype and out.is_contiguous \
            and out.shape == (tuple(kept_shape) if keepdims else final_shape) \
            and out.buffer is not x.buffer:
        into = out.reshape(final_shape)              # a view of `out` itself
    for a in reversed(axes):
        result = _reduce_axis(kind, result, a, into if a == axes[0] else None)
    if into is not None:
        return out
    if keepdims:
        result = result.reshape(kept_shape)
    return result._relabel(result_dtype)


def _reduction_dtype(kind, dtype):
    """NumPy's dtype for a reduction ``kind`` of an array of ``dtype``."""
    if kind.startswith("arg"):
        return np.dtype(np.int64)
    if dtype == np.bool_ and kind in ("max", "min"):
        return np.dtype(bool)
    return dtype if kind != "sum" or dtype.kind == "f" else np.dtype(np.int64)


# Speed-up, beside ``_reduce`` (the definition).
_REDUCE_PLANS = {}


def _lean_reduce(kind, x, axis, keepdims):
    """:func:`_reduce` over one axis of a contiguous array -- ``z.sum(axis=0)`` for a bias
    gradient, ``x.max(axis=-1, keepdims=True)`` in a softmax -- with the shapes and the
    ``(outer, length, inner)`` split worked out once per *signature* (kind, dtype, shape,
    axis, keepdims) and the result made in its final shape (the plain path makes it, then
    relabels and reshapes it: a second array object). ``a.sum(axis=0)`` took 13-16 us of
    host time; lean, about 8 us (``benchmarks/gpu_host_overhead.py``). None -- for the
    plain path -- when the call is anything else (several axes, a non-contiguous array,
    an empty axis, an axis out of range). A test checks both paths agree."""
    if not x.is_contiguous:
        return None
    key = (kind, x.dtype, x.shape, axis, keepdims)
    plan = _REDUCE_PLANS.get(key)
    if plan is None:
        plan = remember(_REDUCE_PLANS, key, _reduce_plan(kind, x, axis, keepdims))
    if plan is False:
        return None
    kernel, shape, dtype, outer, length, inner, threads = plan
    result = _fresh(shape, dtype)
    current_runtime().launch("reduce", kernel, _grid_for(threads), BLOCK,
                             (x.pointer(), result.pointer(), _i32(outer), _i32(length),
                              _i32(inner)))
    return result


def _reduce_plan(kind, x, axis, keepdims):
    """``(kernel, result shape, dtype, outer, length, inner, threads)`` for
    :func:`_lean_reduce`, or False where the plain path must answer."""
    if axis is None:
        if x.ndim != 1:
            return False
        axis = 0
    if not -x.ndim <= axis < x.ndim:
        return False
    axis %= x.ndim
    outer, length, inner = _size(x.shape[:axis]), x.shape[axis], _size(x.shape[axis + 1:])
    if length == 0 or outer * inner == 0:
        return False
    shape = x.shape[:axis] + ((1,) if keepdims else ()) + x.shape[axis + 1:]
    return ("reduce_" + kind, shape, _reduction_dtype(kind, x.dtype), outer, length, inner,
            outer * inner)


def _reduce_axis(kind, x, axis, into=None):
    outer, length, inner = _size(x.shape[:axis]), x.shape[axis], _size(x.shape[axis + 1:])
    shape = x.shape[:axis] + x.shape[axis + 1:]
    if length == 0:
        result = _new_or(into, shape, np.float32)
        _assign(result, 0.0)
        return result
    result = _new_or(into, shape, np.float32)
    if result.size:
        _launch("reduce", "reduce_" + kind, outer * inner, x.pointer(), result.pointer(),
                _i32(outer), _i32(length), _i32(inner))
    return result



# -- matrix multiply -------------------------------------------------------------------------

TILE = 16


def matmul(a, b, dtype=None, out=None):
    """``a @ b`` with the tiled kernel; a batch of matrices is grid z.

    Either operand may be 1-D (a vector, as in NumPy) and either may carry batch
    axes; batches must be equal, or one operand a single matrix (stride 0).
    """
    a, b = _upload_operand(a), _upload_operand(b)
    vector_a, vector_b = a.ndim == 1, b.ndim == 1
    if vector_a:
        a = a.reshape(1, -1)
    if vector_b:
        b = b.reshape(-1, 1)
    (M, K), (K2, N) = a.shape[-2:], b.shape[-2:]
    if K != K2:
        raise ValueError(f"matmul: input operand 1 has a mismatch in its core dimension 0 "
                         f"(size {K2} is different from {K})")
    batch_shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    batch = _size(batch_shape)
    if batch == 1 and a.ndim == b.ndim == 2 and not (a.is_contiguous and b.is_contiguous):
        return _matmul_of_views(a, b, out, vector_a, vector_b)
    a, b = (x if x.is_contiguous else x.copy() for x in (a, b))
    if {a.shape[:-2], b.shape[:-2]} - {batch_shape, ()} or \
            (a.shape[:-2] == () and b.shape[:-2] == () and batch > 1):
        return _on_host(np.matmul, (a, b), {})   # mixed broadcasting of batch axes
    stride_a = M * K if a.shape[:-2] else 0
    stride_b = K * N if b.shape[:-2] else 0
    into = None if out is None or vector_a or vector_b else \
        _direct_target(out, batch_shape + (M, N), (a, b))
    result = _new_or(into, batch_shape + (M, N), np.float32)
    if result.size:
        grid = (-(-N // TILE), -(-M // TILE), batch)
        _launch("matmul", "matmul_tiled", 0, a.pointer(), b.pointer(), result.pointer(),
                _i32(M), _i32(N), _i32(K), _i64(stride_a), _i64(stride_b), _i64(M * N),
                grid=grid, block=(TILE, TILE))
    if vector_a:
        result = result.reshape(result.shape[:-2] + (N,))
    if vector_b:
        result = result.reshape(result.shape[:-1])
    return result



# Speed-up, beside ``matmul`` (the definition: views are copied, then matmul_tiled).
def _matmul_of_views(a, b, out, vector_a, vector_b):
    """``a @ b`` for two matrices, either a view (``x.T``, ``w.T``, a slice): the
    ``matmul_strided`` kernel reads each operand through its own strides, so no copy kernel
    runs first. A Dense layer's backward has two such products (``x.T @ delta`` and
    ``delta @ W.T``); it saves 6 of 83 launches of a 784-512-512-10 training step, about
    0.15 ms of host time, and the copies' GPU time (``benchmarks/gpu_host_overhead.py``).
    A test checks it gives the same numbers as the copying path."""
    (M, K), N = a.shape, b.shape[1]
    into = None if out is None or vector_a or vector_b else _direct_target(out, (M, N), (a, b))
    result = _new_or(into, (M, N), np.float32)
    if result.size:
        grid = (-(-N // TILE), -(-M // TILE), 1)
        _launch("matmul", "matmul_strided", 0, a.pointer(), b.pointer(), result.pointer(),
                _i32(M), _i32(N), _i32(K), _i64(0), _i64(0), _i64(M * N),
                *(_i64(s) for s in a.strides_elements + b.strides_elements),
                grid=grid, block=(TILE, TILE))
    if vector_a:
        result = result.reshape(N)
    if vector_b:
        result = result.reshape(result.shape[:-1])
    return result


# Speed-up, beside ``matmul`` (the definition).
def _lean_matmul(inputs, out):
    """``a @ b`` for two device matrices (the products of a Dense layer, forward and
    backward) without the general path's checks: no uploads, no vectors, no batch axes to
    broadcast. Contiguous operands go to ``matmul_tiled``, views (``x.T``, ``w.T``) to
    ``matmul_strided`` -- the kernels :func:`matmul` and :func:`_matmul_of_views` choose.
    ``a @ w`` took 14-22 us of host time, about 7 us lean
    (``benchmarks/gpu_host_overhead.py``). None for anything else (the plain path answers,
    with NumPy's errors). A test checks both paths agree."""
    if len(inputs) != 2:
        return None
    a, b = inputs
    if type(a) is not DeviceArray or type(b) is not DeviceArray or len(a.shape) != 2 \
            or len(b.shape) != 2:
        return None
    (M, K), (K2, N) = a.shape, b.shape
    if K != K2:
        return None
    if out is None:
        result = _fresh((M, N), FLOAT32)
    else:
        result = _direct_target(out, (M, N), inputs)
        if result is None:
            return None
    if not M * N:
        return result
    grid = (-(-N // TILE), -(-M // TILE), 1)
    if a.is_contiguous and b.is_contiguous:
        current_runtime().launch("matmul", "matmul_tiled", grid, (TILE, TILE), (
            a.pointer(), b.pointer(), result.pointer(), _i32(M), _i32(N), _i32(K), _i64(0),
            _i64(0), _i64(M * N)))
    else:
        (a_row, a_col), (b_row, b_col) = a.strides_elements, b.strides_elements
        current_runtime().launch("matmul", "matmul_strided", grid, (TILE, TILE), (
            a.pointer(), b.pointer(), result.pointer(), _i32(M), _i32(N), _i32(K), _i64(0),
            _i64(0), _i64(M * N), _i64(a_row), _i64(a_col), _i64(b_row), _i64(b_col)))
    return result


# -- scatter-add ------------------------------------------------------------------------

def _scatter_add(target, rows, values):
    """``np.add.at(table, ids, values)``: repeated ids add up (atomicAdd in the kernel)."""
    if not (isinstance(target, DeviceArray) and target.is_contiguous
            and not isinstance(rows, tuple)          # an index per axis: on the host
            and np.ndim(rows) == 1 and _dtype_of(rows).kind in "iu"):
        # np.add.at changes its first argument: a host copy of a device table, then copied back
        table = to_host(target)
        _on_host(np.add.at, (table, rows, values), {}, name="add.at")
        if isinstance(target, DeviceArray):
            _assign(target, table)
        return None
    if isinstance(rows, np.ndarray):
        _check_ids(rows, target.shape[0])
        rows = rows % max(target.shape[0], 1)
    ids = _upload_operand(rows).copy()
    width = _size(target.shape[1:])
    values = np.broadcast_to(_upload_operand(values), (ids.size,) + target.shape[1:]).copy()
    if values.size:
        _launch("gather_scatter", "scatter_add_rows", values.size, target.pointer(),
                ids.pointer(), values.pointer(), _i64(ids.size), _i32(width))


def _check_ids(ids, rows):
    """Kernels do not bounds-check; the host does, on host ids (device ids were made in range)."""
    if isinstance(ids, np.ndarray) and ids.size and (ids.min() < -rows or ids.max() >= rows):
        raise IndexError(f"index {int(ids.max())} is out of bounds for axis 0 with size {rows}")


# -- the table ----------------------------------------------------------------------------

def _reduce_method(kind):
    """``ufunc.reduce(x, axis, keepdims)`` as the reduction kernel ``kind``."""
    def reduce(x, axis=0, keepdims=False, dtype=None):
        return _reduce(kind, x, axis, keepdims)
    return reduce


matmul.writes_out = True                 # matmul may write straight into an `out=`
# Which device version runs ``ufunc.method(...)``: one elementwise implementation per
# ufunc, made once here (not on every call), then matmul, the reductions and add.at.
UFUNCS.update({(ufunc, "__call__"): _elementwise(ufunc)
               for ufunc in (*UNARY_KERNELS, *BINARY_KERNELS)})
LEAN_UFUNCS.update({ufunc: _lean_elementwise(ufunc) for ufunc in (*UNARY_KERNELS, *BINARY_KERNELS)})
LEAN_UFUNCS[np.matmul] = _lean_matmul
UFUNCS.update({(np.matmul, "__call__"): matmul, (np.add, "at"): _scatter_add})
UFUNCS.update({(ufunc, "reduce"): _reduce_method(kind) for ufunc, kind in REDUCE_UFUNCS.items()})
