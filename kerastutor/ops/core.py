r"""``keras.ops.core``: dtypes and conversion, slicing and scattering, control flow,
and gradient control.

Control flow runs **eagerly**: ``cond`` calls the branch it takes,
``while_loop`` runs its body while the condition holds, ``scan`` calls its
function once per step. Every op the branch or the body runs is recorded on
the tape as usual, so gradients flow through exactly the path taken -- which
is what a compiled backend differentiates too, once its graph is traced.

The ops that *move* numbers (``slice``, ``slice_update``, ``scatter``,
``scatter_update``, ``unstack``) compute nothing, so their vector-Jacobian
products move the upstream gradient back to where each number came from.

Control-flow ops take and return *nested structures* of arrays -- lists,
tuples and dicts of arrays, as in Keras. Three small helpers at the top of the
control-flow section (:func:`_flatten`, :func:`_pack`, :func:`_map_structure`)
walk such structures.

Beyond Keras's ``core`` names, this module also defines ``vectorize`` (Keras
files it under ``ops.numpy``) and ``jvp`` (under ``ops.linalg``); those
chapters re-export them.
"""
import builtins
import functools
import inspect
import re

import numpy as np

from kerastutor import backend
from kerastutor.ops.shapes import concatenate, reshape, stack
from kerastutor.tape import (Tape, Traced, VariableBase, _record, _record_many, _value, add,
                             is_traced, paused, take_index, unbroadcast)

# ===================================================================== dtypes and conversion
#: The dtype Keras gives a Python type (``ops.cast(x, float)``, ``convert_to_tensor(3)``).
_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", complex: "complex64",
                  "int": "int32"}
#: Keras's dtype names that NumPy arrays can hold.
_NUMPY_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64",
                 "int8", "int16", "int32", "int64", "bool", "complex64", "complex128")
#: Keras's dtype names NumPy has no array type for.
_FOREIGN_DTYPES = ("bfloat16", "string", "float8_e4m3fn", "float8_e5m2")


def _dtype_name(dtype, op):
    """Keras's standardized dtype string for ``dtype`` (a string, NumPy dtype or Python type)."""
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, (type, str)):
        dtype = _PYTHON_DTYPES.get(dtype, dtype)
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or str(dtype)
    if name in _FOREIGN_DTYPES:
        raise ValueError(
            f"ops.{op}: dtype {name!r} is a Keras dtype that NumPy arrays cannot hold, and "
            f"kerastutor computes with NumPy. Fix: use 'float32' (or another of "
            f"{', '.join(_NUMPY_DTYPES)}).")
    if name not in _NUMPY_DTYPES:
        raise ValueError(
            f"ops.{op}: `dtype` must be one of {', '.join(_NUMPY_DTYPES)} (or bool, int, "
            f"float, complex); got {dtype!r}. Fix: pass a dtype name such as 'float32'.")
    return name


def _python_dtype(x):
    """The dtype Keras gives a (nested) Python number or list: ``None`` if it holds arrays.

    Keras types Python numbers *weakly*: ``3.0`` and ``[1.0, 2.0]`` become
    ``floatx()`` (float32), ``3`` and ``[1, 2]`` become int32 -- where
    ``np.asarray`` would say float64 and int64.
    """
    leaves = _flatten(x)
    if not all(isinstance(leaf, (bool, int, float, complex)) for leaf in leaves):
        return None                          # arrays (or strings) inside: NumPy decides
    if not leaves:
        return backend.floatx()
    if all(isinstance(leaf, (bool, np.bool_)) for leaf in leaves):
        return "bool"
    if any(isinstance(leaf, complex) for leaf in leaves):
        return "complex64"
    if any(isinstance(leaf, float) for leaf in leaves):
        return backend.floatx()
    if all(-2 ** 31 <= leaf < 2 ** 31 for leaf in leaves if isinstance(leaf, int)):
        return "int32"
    return "int64"


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    r"""``x`` as a tensor: a NumPy array, or -- for a traced value or a weight -- ``x`` itself.

    A value the tape follows stays on the tape (converting it would cut the
    gradient): a traced value or a weight is returned as it is, or cast
    (recorded) when ``dtype`` differs. A list holding traced values is stacked
    with a recorded :func:`~kerastutor.ops.stack`. Python numbers and lists
    get Keras's dtypes: ``3.0 -> float32``, ``3 -> int32``, ``True -> bool``;
    NumPy arrays keep theirs. Gradient: the identity (``cast``'s when ``dtype``
    changes a float dtype).

    ``sparse`` and ``ragged`` exist for Keras's signature: kerastutor's
    tensors are dense NumPy arrays, so only ``None``/``False`` are accepted.
    """
    for flag, value in (("sparse", sparse), ("ragged", ragged)):
        if value:
            raise ValueError(
                f"ops.convert_to_tensor: `{flag}=True` is not supported: kerastutor's "
                f"tensors are dense NumPy arrays. Fix: leave {flag}=None (or False).")
    dtype = None if dtype is None else _dtype_name(dtype, "convert_to_tensor")
    if is_traced(x):
        return x if dtype is None or x.dtype == dtype else cast(x, dtype)
    if isinstance(x, (list, tuple)) and any(is_traced(leaf) for leaf in _flatten(x)):
        stacked = stack([convert_to_tensor(item) for item in x])
        return stacked if dtype is None else cast(stacked, dtype)
    if backend.is_device_array(x):
        return backend.asarray(x, dtype)
    if dtype is None and not hasattr(x, "dtype"):
        dtype = _python_dtype(x)
    return np.asarray(x, dtype=dtype)


def _array(x):
    """The array behind an operand, with Keras's dtypes for Python numbers and lists."""
    return x.value if is_traced(x) else convert_to_tensor(x)


def convert_to_numpy(x):
    """A NumPy array holding the numbers of ``x`` (a copy, off the tape: no gradient)."""
    if isinstance(x, (list, tuple)):
        return np.array([convert_to_numpy(item) for item in x])
    return np.array(backend.to_host(_array(x)))


def is_tensor(x):
    """Whether ``x`` is one of kerastutor's tensors: a NumPy array, or a traced value.

    As in Keras, a weight (a ``keras.Variable``) is *not* a tensor, and
    neither are Python numbers and lists; ``convert_to_tensor`` makes one.
    """
    return isinstance(x, (np.ndarray, np.generic, Traced)) or backend.is_device_array(x)


def dtype(x):
    """The dtype of ``x`` as Keras's standardized string, such as ``"float32"``."""
    if not hasattr(x, "dtype"):
        raise TypeError(
            f"ops.dtype: expected a tensor (something with a .dtype), got "
            f"{type(x).__name__}. Fix: call ops.dtype(ops.convert_to_tensor(x)).")
    return _dtype_name(x.dtype, "dtype")


def shape(x):
    """The shape of ``x``, a tuple of ints."""
    return tuple(int(d) for d in (x.shape if hasattr(x, "shape") else np.shape(x)))


def _passes_gradient(source, target):
    """A cast passes the gradient only from a float dtype to a float dtype."""
    return np.dtype(source).kind == "f" and np.dtype(target).kind == "f"


def cast(x, dtype):
    r"""The numbers of ``x`` in another dtype: :math:`y = \operatorname{cast}(x)`.

    Between float dtypes the derivative is 1, so the upstream gradient comes
    back cast to ``x``'s dtype. A cast *to* an integer or boolean dtype rounds
    (truncates toward zero) or thresholds, which is piecewise constant: no
    gradient flows, and the result is a plain array.
    """
    target = _dtype_name(dtype, "cast")
    a = _array(x)
    out = a.astype(target)
    if not _passes_gradient(a.dtype, target):
        return out
    return _record(out, (x,), lambda g: (g.astype(a.dtype),))


def _dtype_range(dtype):
    """The smallest and largest value of ``dtype``, as Python numbers."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return 0, 1
    info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
    convert = int if dtype.kind in "iu" else float
    return convert(info.min), convert(info.max)


def _saturation_limits(source, target):
    """The clip range, written in ``source``'s dtype, that keeps a cast to ``target`` in range.

    The target's limits may not be representable in the source dtype (the
    largest uint32 rounds *up* in float32); such a limit is nudged one step
    toward zero, so that the clipped value never overflows the target.
    """
    (in_lo, in_hi), (out_lo, out_hi) = _dtype_range(source), _dtype_range(target)
    lo = np.asarray(builtins.max(in_lo, out_lo)).astype(source)
    hi = np.asarray(builtins.min(in_hi, out_hi)).astype(source)
    if lo < out_lo:
        lo = np.nextafter(lo, 0, dtype=source)
    if hi > out_hi:
        hi = np.nextafter(hi, 0, dtype=source)
    return lo, hi


def saturate_cast(x, dtype):
    r"""A cast that clips to the target's range first: :math:`y = \operatorname{cast}(\operatorname{clip}(x, lo, hi))`.

    ``cast([-1.0, 256.0], "uint8")`` wraps around (``[255, 0]``);
    ``saturate_cast`` gives ``[0, 255]``. Infinities become the largest finite
    value. Between float dtypes the derivative is clip's: 1 where
    :math:`lo \le x \le hi`, else 0. To an integer dtype no gradient flows (as
    for :func:`cast`).
    """
    target = _dtype_name(dtype, "saturate_cast")
    a = _array(x)
    if a.dtype.kind == "b":
        return a.astype(target)
    lo, hi = _saturation_limits(a.dtype, target)
    out = np.clip(a, lo, hi).astype(target)
    if not _passes_gradient(a.dtype, target):
        return out
    inside = (a >= lo) & (a <= hi)
    return _record(out, (x,), lambda g: ((g * inside).astype(a.dtype),))


# ===================================================================== slicing and scattering
def _ints(values, op, name):
    """A list of Python ints from a list, tuple or integer array (start indices, shapes)."""
    array = np.asarray(_value(values))
    if array.size and array.dtype.kind not in "iub" and not np.all(array == np.round(array)):
        raise TypeError(f"ops.{op}: `{name}` must hold integers; got {values!r}.")
    return [int(v) for v in array.reshape(-1)]


def _window(op, full_shape, starts, sizes):
    """The tuple of slices ``starts[d] : starts[d] + sizes[d]``, checked to fit ``full_shape``."""
    if not len(starts) == len(sizes) == len(full_shape):
        raise ValueError(
            f"ops.{op}: `start_indices` {starts} and the window shape {sizes} must each have "
            f"one entry per axis of `inputs` (shape {tuple(full_shape)}). Fix: give "
            f"{len(full_shape)} start indices and sizes.")
    for axis, (start, size, dim) in enumerate(zip(starts, sizes, full_shape)):
        if start < 0 or size < 0 or start + size > dim:
            raise ValueError(
                f"ops.{op}: the window {start}:{start + size} on axis {axis} does not fit "
                f"inside `inputs` of shape {tuple(full_shape)}. Fix: choose start indices and "
                f"sizes with 0 <= start and start + size <= {dim}.")
    return tuple(builtins.slice(start, start + size) for start, size in zip(starts, sizes))


def slice(inputs, start_indices, shape):  # noqa: A001
    r"""The window of ``inputs`` of the given ``shape`` starting at ``start_indices``.

    :math:`y[i] = x[s + i]` (every axis). A size of ``-1`` takes the rest of
    that axis, as Keras's symbolic shape rule and TensorFlow do. The window
    must fit inside ``inputs`` (an error otherwise, where JAX would move it).
    Derivative: the upstream gradient lands in the window of a zero array of
    ``inputs``'s shape.
    """
    a = _array(inputs)
    starts = _ints(start_indices, "slice", "start_indices")
    sizes = _ints(shape, "slice", "shape")
    sizes = [dim - start if size == -1 and start < dim else size
             for size, start, dim in zip(sizes, starts, a.shape)]
    window = _window("slice", a.shape, starts, sizes)

    def vjp(g):
        grad = np.zeros_like(a)
        grad[window] = g
        return (grad,)
    return _record(a[window].copy(), (inputs,), vjp)


def slice_update(inputs, start_indices, updates):
    r"""A copy of ``inputs`` with the window at ``start_indices`` replaced by ``updates``.

    :math:`y = x` outside the window, :math:`y[s + i] = u[i]` inside. The
    result keeps ``inputs``'s dtype. Derivatives: ``inputs`` gets the upstream
    gradient with the window zeroed (those entries were overwritten),
    ``updates`` gets the window of the upstream gradient.
    """
    a, u = _array(inputs), _array(updates)
    if u.ndim != a.ndim:
        raise ValueError(
            f"ops.slice_update: `updates` must have the rank of `inputs` ({a.ndim}); got "
            f"shape {u.shape}. Fix: reshape updates to {a.ndim} axes (ops.expand_dims).")
    window = _window("slice_update", a.shape,
                     _ints(start_indices, "slice_update", "start_indices"), list(u.shape))
    out = a.copy()
    out[window] = u

    def vjp(g):
        grad_inputs = g.copy()
        grad_inputs[window] = 0
        grad_updates = g[window].astype(u.dtype) if u.dtype.kind == "f" else None
        return grad_inputs, grad_updates
    return _record(out, (inputs, updates), vjp)


def _scatter_positions(op, indices, target_shape):
    r"""Indices of shape ``(..., k)`` as a tuple of ``k`` integer arrays, one per leading axis.

    Each row of ``indices`` picks one entry (``k`` = rank) or one block
    ``target[i_1, ..., i_k]`` (``k`` < rank). Negative indices count from the end.
    """
    idx = np.asarray(_value(indices))
    if idx.dtype.kind not in "iu":
        idx = idx.astype(np.int64)
    depth = idx.shape[-1] if idx.ndim else 0
    if idx.ndim == 0 or depth > len(target_shape):
        raise ValueError(
            f"ops.{op}: `indices` must have shape (num_updates, k) with k <= "
            f"{len(target_shape)} (the rank of the target of shape {tuple(target_shape)}); "
            f"got shape {idx.shape}. Fix: one row of k coordinates per update.")
    rows = idx.reshape(-1, depth)
    dims = np.asarray(target_shape[:depth])
    if np.any((rows < -dims) | (rows >= dims)):
        raise ValueError(
            f"ops.{op}: an index in `indices` is out of range for the target of shape "
            f"{tuple(target_shape)}. Fix: keep each coordinate d in -size <= d < size.")
    return tuple(rows.T), depth


def scatter(indices, values, shape):
    r"""A zero array of ``shape`` with ``values`` added at ``indices``.

    :math:`y[\mathrm{idx}_n] \mathrel{+}= v_n` -- entries named twice get the
    *sum* of their values (as in Keras on every backend). Derivative: each
    value gets the upstream gradient at its index (a gather).
    """
    target_shape = tuple(_ints(shape, "scatter", "shape"))
    v = _array(values)
    position, depth = _scatter_positions("scatter", indices, target_shape)
    rows = v.reshape((-1,) + target_shape[depth:])
    out = np.zeros(target_shape, dtype=v.dtype)
    np.add.at(out, position, rows)
    return _record(out, (values,), lambda g: (g[position].reshape(v.shape),))


_REDUCTIONS = (None, "add", "max", "min", "mul")


def _last_writes(position, dims):
    """For each update, whether it is the last one written to its place (the one that stays)."""
    keys = np.ravel_multi_index(tuple(p % d for p, d in zip(position, dims)), dims)
    count = len(keys)
    _, first_from_end = np.unique(keys[::-1], return_index=True)
    last = np.zeros(count, dtype=bool)
    last[count - 1 - first_from_end] = True
    return last


def scatter_update(inputs, indices, updates, reduction=None):
    r"""A copy of ``inputs`` with ``updates`` written at ``indices``.

    ``indices`` has one row of ``k`` coordinates per update; ``updates[n]``
    is one entry (``k`` = rank) or one block ``inputs[i_1, ..., i_k]``.
    ``reduction`` says what happens at an updated place:

    * ``None`` -- :math:`y[\mathrm{idx}_n] = u_n` (the last write of a repeated
      index wins). Derivative: ``inputs`` gets :math:`g` with the updated places
      zeroed; each update that stayed gets :math:`g[\mathrm{idx}_n]`, an
      overwritten one nothing.
    * ``"add"`` -- :math:`y[\mathrm{idx}_n] \mathrel{+}= u_n`; derivatives
      :math:`g` and :math:`g[\mathrm{idx}_n]`.
    * ``"mul"`` -- :math:`y[p] = x[p] \prod_{n \to p} u_n`; derivatives
      :math:`g\,\prod u` and :math:`g[p]\, x[p] \prod_{m \ne n} u_m`.
    * ``"max"``/``"min"`` -- :math:`y[p] = \max(x[p], u_n, \dots)`; the gradient
      goes to the value that won (shared evenly between tied winners).

    The result keeps ``inputs``'s dtype (updates are cast to it).
    """
    if isinstance(reduction, str):
        reduction = reduction.lower()
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"ops.scatter_update: `reduction` must be one of None, 'add', 'max', 'min', "
            f"'mul'; got {reduction!r}. Fix: use None to overwrite, 'add' to accumulate.")
    a = _array(inputs)
    position, depth = _scatter_positions("scatter_update", indices, a.shape)
    u = _array(updates).astype(a.dtype).reshape((-1,) + a.shape[depth:])
    grad_dtype = _array(updates).dtype
    forward = {None: _overwrite, "add": _accumulate, "mul": _multiply_in,
               "max": functools.partial(_keep_extreme, np.maximum),
               "min": functools.partial(_keep_extreme, np.minimum)}[reduction]
    out, vjp = forward(a, position, u)

    def shaped_vjp(g):
        grad_inputs, grad_updates = vjp(g)
        if grad_dtype.kind != "f":
            return grad_inputs, None
        return grad_inputs, grad_updates.reshape(np.shape(_value(updates))).astype(grad_dtype)
    return _record(out, (inputs, updates), shaped_vjp)


def _overwrite(a, position, u):
    """``y[idx] = u`` with a repeated index keeping its last update."""
    stays = _last_writes(position, a.shape[:len(position)])
    stays_block = stays.reshape((-1,) + (1,) * (u.ndim - 1))
    out = a.copy()
    out[tuple(p[stays] for p in position)] = u[stays]

    def vjp(g):
        grad_inputs = g.copy()
        grad_inputs[position] = 0
        return grad_inputs, np.where(stays_block, g[position], 0)
    return out, vjp


def _accumulate(a, position, u):
    """``y[idx] += u``: every update adds, so every one gets the gradient."""
    out = a.copy()
    np.add.at(out, position, u)
    return out, lambda g: (g, g[position])


def _multiply_in(a, position, u):
    r"""``y[idx] *= u``: the product of each place's updates, times the input.

    An update's derivative is the input times the *other* updates of its
    place: the place's product divided by the update -- except for a zero
    update, where that division fails; its "others" product is the product of
    the place's non-zero updates if it is the place's only zero, else zero.
    """
    factor = np.ones_like(a)
    np.multiply.at(factor, position, u)
    nonzero_product = np.ones_like(a)
    np.multiply.at(nonzero_product, position, np.where(u == 0, 1, u))
    zeros_here = np.zeros(a.shape, dtype=np.int64)
    np.add.at(zeros_here, position, (u == 0).astype(np.int64))
    safe_u = np.where(u == 0, 1, u)
    others = np.where(u != 0, factor[position] / safe_u,
                      np.where(zeros_here[position] == 1, nonzero_product[position], 0))
    return a * factor, lambda g: (g * factor, g[position] * a[position] * others)


def _keep_extreme(extreme, a, position, u):
    """``y[idx] = max(y[idx], u)`` (or min): the gradient goes to the winner, split on ties."""
    out = a.copy()
    extreme.at(out, position, u)
    input_won = a == out
    update_won = u == out[position]
    winners = input_won.astype(a.dtype)
    np.add.at(winners, position, update_won.astype(a.dtype))
    return out, lambda g: (g * input_won / winners,
                           g[position] * update_won / winners[position])


def unstack(x, num=None, axis=0):
    r"""The slices of ``x`` along ``axis``, as a list: :math:`y_i = x[\dots, i, \dots]`.

    Recorded as one op with several outputs: its derivative stacks the
    upstream gradients of the pieces back along ``axis`` (zeros for a piece
    the loss does not use). ``num``, if given, must equal the axis's length.
    """
    a = _array(x)
    axis = _axis(axis, a.ndim, "unstack")
    if num is not None and int(num) != a.shape[axis]:
        raise ValueError(
            f"ops.unstack: `num`={num} but axis {axis} of x (shape {a.shape}) has "
            f"{a.shape[axis]} entries. Fix: leave num=None.")
    pieces = [piece.copy() for piece in np.moveaxis(a, axis, 0)]
    return list(_record_many(pieces, (x,), lambda grads: (np.stack(grads, axis=axis),)))


def _axis(axis, ndim, op):
    if not -ndim <= axis < ndim:
        raise ValueError(f"ops.{op}: `axis`={axis} is out of range for an array of rank "
                         f"{ndim}. Fix: use an axis in {-ndim}..{ndim - 1}.")
    return axis % ndim


# ===================================================================== nested structures
def _flatten(tree):
    """The leaves of a nested list/tuple/dict, in order (a dict's keys sorted, as in Keras)."""
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _flatten(tree[key])]
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _flatten(item)]
    return [tree]


def _pack(tree, leaves):
    """A structure like ``tree`` holding ``leaves`` (in :func:`_flatten`'s order)."""
    return _rebuild(tree, iter(leaves))


def _rebuild(tree, leaves):
    if isinstance(tree, dict):
        built = {key: _rebuild(tree[key], leaves) for key in sorted(tree)}
        return {key: built[key] for key in tree}
    if isinstance(tree, (list, tuple)):
        items = [_rebuild(item, leaves) for item in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    return next(leaves)


def _map_structure(function, *trees):
    """``function`` applied leaf by leaf across structures of one shape, e.g. to stack outputs."""
    columns = [_flatten(tree) for tree in trees]
    if len({len(column) for column in columns}) > 1:
        raise ValueError(f"The structures differ: {[type(t).__name__ for t in trees]} hold "
                         f"{[len(c) for c in columns]} arrays.")
    return _pack(trees[0], [function(*leaves) for leaves in zip(*columns)])


def _stacked(results):
    """Per-step results (structures of arrays) stacked leaf by leaf along a new first axis."""
    return _map_structure(lambda *leaves: stack(list(leaves)), *results)


def _examples(op, structure):
    """The examples of a structure of arrays along axis 0: one structure per example."""
    leaves = [convert_to_tensor(leaf) for leaf in _flatten(structure)]
    lengths = {shape(leaf)[0] if len(shape(leaf)) else None for leaf in leaves}
    if len(lengths) != 1 or None in lengths:
        raise ValueError(
            f"ops.{op}: every array must have the same leading axis to iterate over; got "
            f"shapes {[shape(leaf) for leaf in leaves]}. Fix: give arrays with equal "
            f"first dimensions.")
    columns = [unstack(leaf) for leaf in leaves]      # one recorded op per array
    return [_pack(structure, [column[i] for column in columns])
            for i in range(lengths.pop())]


# ===================================================================== control flow
def _truth(value, op, name):
    """The Python bool of a scalar condition (a bool, a 0-d array, a traced value)."""
    array = np.asarray(backend.to_host(_value(value)))
    if array.size != 1:
        raise ValueError(
            f"ops.{op}: `{name}` must be a scalar boolean; got an array of shape "
            f"{array.shape}. Fix: reduce it first, e.g. ops.all(...) or ops.any(...).")
    return bool(array.reshape(()))


def cond(pred, true_fn, false_fn):
    r"""``true_fn()`` if ``pred`` holds, else ``false_fn()``.

    Only the branch taken runs, and its ops are recorded: the derivative is
    the taken branch's. (``pred`` itself is a boolean: no gradient reaches it.)
    """
    return true_fn() if _truth(pred, "cond", "pred") else false_fn()


def switch(index, branches, *operands):
    r"""``branches[index](*operands)``, with ``index`` clamped into ``0..len(branches)-1``.

    The derivative is the chosen branch's (recorded as it runs).
    """
    if not branches:
        raise ValueError("ops.switch: `branches` is empty. Fix: pass a list of callables.")
    position = int(np.asarray(_value(index)).astype(np.int64).reshape(()))
    return branches[int(np.clip(position, 0, len(branches) - 1))](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    r"""Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` holds.

    A tuple or list of loop variables is passed positionally and returned as a
    tuple; a single one (or a dict) is passed and returned as it is. With
    ``maximum_iterations`` the loop also stops after that many steps. Every
    step's ops are recorded, so the derivative is that of the unrolled loop
    :math:`b \circ b \circ \dots \circ b`.
    """
    as_tuple = isinstance(loop_vars, (tuple, list))
    state = tuple(loop_vars) if as_tuple else (loop_vars,)
    state = _map_structure(convert_to_tensor, state)
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) \
            and _truth(cond(*state), "while_loop", "cond(...)"):
        state = body(*state)
        state = tuple(state) if isinstance(state, (tuple, list)) else (state,)
        steps += 1
    return state if as_tuple else state[0]


def fori_loop(lower, upper, body_fun, init_val):
    r"""``val = body_fun(i, val)`` for ``i`` in ``lower .. upper-1``; returns ``val``.

    The derivative is that of the unrolled loop (every step is recorded).
    """
    value = init_val
    for i in range(int(_value(lower)), int(_value(upper))):
        value = body_fun(i, value)
    return value


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    r"""Carry a state along the leading axis of ``xs``: ``carry, y_t = f(carry, x_t)``.

    Returns ``(final carry, ys)`` with the per-step outputs ``y_t`` stacked
    along a new first axis (leaf by leaf for structures). With ``xs=None``,
    ``f`` is called ``length`` times with ``x = None``; ``reverse=True`` walks
    the steps from last to first (``ys`` stays in the original order). A step
    returning ``y = None`` contributes zeros like ``init``. ``unroll`` is
    checked and otherwise changes nothing here (it is a compiler hint).

    The slices ``x_t`` come from one recorded :func:`unstack` and the outputs
    are joined with a recorded ``stack``, so the derivative is backpropagation
    through time: the unrolled chain of the steps' own derivatives.
    """
    if not callable(f):
        raise TypeError(f"ops.scan: `f` must be a callable f(carry, x) -> (carry, y); got "
                        f"{f!r}.")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"ops.scan: `unroll` must be a positive integer or a bool; got "
                         f"{unroll!r}. Fix: leave unroll=1.")
    if xs is None and length is None:
        raise ValueError("ops.scan: got no `xs` to scan over and no `length`. Fix: pass xs, "
                         "or length=<number of steps> with xs=None.")
    if xs is None:
        steps = [None] * int(length)
    else:
        steps = _examples("scan", xs)
        if length is not None and int(length) != len(steps):
            raise ValueError(f"ops.scan: `length`={length} but xs has {len(steps)} entries "
                             f"along axis 0. Fix: leave length=None.")
    carry = _map_structure(convert_to_tensor, init)
    no_output = [np.zeros_like(_value(leaf)) for leaf in _flatten(carry)]
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    ys = {}
    for t in order:
        result = f(carry, steps[t])
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(f"ops.scan: `f` must return a pair (new_carry, y); got "
                            f"{type(result).__name__}.")
        carry, y = result
        ys[t] = no_output if y is None else y
    if not ys:
        raise ValueError("ops.scan: there are no steps (length 0). Fix: scan over at least "
                         "one entry.")
    return carry, _stacked([ys[t] for t in range(len(steps))])


def map(f, xs):  # noqa: A001
    r"""``f`` applied to each entry of ``xs`` along axis 0, the results stacked.

    :math:`y_i = f(x_i)` -- a :func:`scan` without a carry, so its derivative is
    each call's, gathered back by ``unstack``/``stack``.
    """
    _, ys = scan(lambda carry, x: (carry, f(x)), (), xs)
    return ys


def _along(x, axis, window):
    """``x[..., window, ...]`` on ``axis``, recorded (its gradient is scattered back)."""
    return take_index(x, (builtins.slice(None),) * axis + (window,))


def associative_scan(f, elems, reverse=False, axis=0):
    r"""All prefixes of ``elems`` combined with an associative ``f``: :math:`y_k = x_0 \circ x_1 \circ \dots \circ x_k`.

    ``f(a, b)`` combines two (structures of) arrays entry by entry along
    ``axis``; it must be associative, :math:`f(a, f(b, c)) = f(f(a, b), c)`,
    for instance ``+`` (a cumulative sum), ``*``, a matrix product, or the
    pair rule of a linear recurrence.

    This is the *doubling* scan of Hillis and Steele: after the round with
    step :math:`d = 1, 2, 4, \dots`, entry :math:`k` holds the combination of
    the :math:`2d` entries ending at :math:`k`, because
    :math:`y_k \leftarrow f(y_{k-d}, y_k)` for every :math:`k \ge d` at once
    (one call of ``f`` on two shifted slices). About :math:`\log_2 n` calls in
    all. ``reverse=True`` combines suffixes instead (the scan of the flipped
    input, flipped back). The slices, joins and flips are recorded ops, so the
    derivative flows through every call of ``f``.

    Keras's torch backend computes in float32 whatever the input dtype; here
    the dtype is kept (integers stay integers, float64 stays float64).
    """
    if not callable(f):
        raise TypeError(f"ops.associative_scan: `f` must be a callable f(a, b); got {f!r}.")
    leaves = [convert_to_tensor(leaf) for leaf in _flatten(elems)]
    ndim = len(shape(leaves[0]))
    axis = _axis(axis, ndim, "associative_scan")
    n = shape(leaves[0])[axis]
    if any(shape(leaf)[axis] != n for leaf in leaves):
        raise ValueError(
            f"ops.associative_scan: every array of `elems` must have the same length along "
            f"axis {axis}; got shapes {[shape(leaf) for leaf in leaves]}.")
    flip = builtins.slice(None, None, -1)
    if reverse:
        leaves = [_along(leaf, axis, flip) for leaf in leaves]
    step = 1
    while step < n:
        earlier = [_along(leaf, axis, builtins.slice(0, n - step)) for leaf in leaves]
        later = [_along(leaf, axis, builtins.slice(step, n)) for leaf in leaves]
        combined = _flatten(f(_pack(elems, earlier), _pack(elems, later)))
        leaves = [concatenate([_along(leaf, axis, builtins.slice(0, step)), new], axis=axis)
                  for leaf, new in zip(leaves, combined)]
        step *= 2
    if reverse:
        leaves = [_along(leaf, axis, flip) for leaf in leaves]
    return _pack(elems, leaves)


def vectorized_map(function, elements):
    r"""``function`` applied to each example of ``elements`` (axis 0), the results stacked.

    ``elements`` is an array or a structure of arrays; ``function`` receives
    one example in the same structure (a list of slices for a list) and
    returns an array or a structure of arrays. kerastutor has no batching
    transform (``vmap``), so this calls ``function`` once per example --
    the meaning of Keras's op, not its speed. The examples come from a
    recorded ``unstack`` and the results are joined with a recorded ``stack``,
    so gradients flow to ``elements`` and to any weight ``function`` uses.
    """
    return _stacked([function(example) for example in _examples("vectorized_map", elements)])


_SIGNATURE_ARGUMENT = r"\(\s*(?:\w+(?:\s*,\s*\w+)*)?\s*\)"
_SIGNATURE = rf"^{_SIGNATURE_ARGUMENT}(?:\s*,\s*{_SIGNATURE_ARGUMENT})*\s*->\s*" \
             rf"{_SIGNATURE_ARGUMENT}(?:\s*,\s*{_SIGNATURE_ARGUMENT})*$"


def _parse_signature(signature):
    """``"(m,n),(n)->(m)"`` -> ``([("m", "n"), ("n",)], [("m",)])``: each argument's core axes."""
    if not re.match(_SIGNATURE, signature):
        raise ValueError(f"ops.vectorize: `signature` {signature!r} is not a gufunc "
                         f"signature. Fix: write it like '(m,n),(n)->(m)'.")
    inputs, outputs = signature.split("->")
    return ([tuple(re.findall(r"\w+", arg)) for arg in re.findall(_SIGNATURE_ARGUMENT, side)]
            for side in (inputs, outputs))


def vectorize(pyfunc, *, excluded=None, signature=None):
    r"""``pyfunc`` turned into a function that loops over the leading axes of its arguments.

    As NumPy's ``np.vectorize``: by default ``pyfunc`` takes and returns
    scalars, and the vectorized function broadcasts its arguments together
    and applies ``pyfunc`` to every entry. A ``signature`` such as
    ``"(m,n),(n)->(m)"`` names each argument's *core* axes (handed to
    ``pyfunc`` whole); the remaining leading axes are looped over.
    ``excluded`` is a set of argument positions (ints) or keyword names passed
    to ``pyfunc`` unchanged; other keyword arguments are passed unchanged too.

    Each call of ``pyfunc`` is recorded, and the arguments are broadcast
    (``x + zeros``), reshaped, unstacked and the results stacked with recorded
    ops, so gradients flow back to every vectorized argument.
    """
    if not callable(pyfunc):
        raise ValueError(f"ops.vectorize: `pyfunc` must be a callable; got {pyfunc!r}.")
    excluded = set(excluded or ())
    input_core, output_core = _parse_signature(signature) if signature else (None, None)

    @functools.wraps(pyfunc)
    def vectorized(*args, **kwargs):
        looped = [i for i in range(len(args)) if i not in excluded]
        core = input_core or [()] * len(looped)
        if len(core) != len(looped):
            raise TypeError(f"ops.vectorize: the signature {signature!r} names {len(core)} "
                            f"arguments; got {len(looped)}.")
        arrays = [convert_to_tensor(args[i]) for i in looped]
        loop_shape = np.broadcast_shapes(*[shape(a)[:len(shape(a)) - len(c)]
                                           for a, c in zip(arrays, core)])
        count = int(np.prod(loop_shape))
        columns = [_loop_rows(a, loop_shape, len(c), count) for a, c in zip(arrays, core)]

        def call(k):
            full = list(args)
            for i, column in zip(looped, columns):
                full[i] = column[k]
            return pyfunc(*full, **kwargs)
        results = [call(k) for k in range(count)]
        stacked = _stacked(results)
        return _map_structure(lambda y: reshape(y, tuple(loop_shape) + shape(y)[1:]), stacked)
    return vectorized


def _loop_rows(array, loop_shape, core_ndim, count):
    """``array`` broadcast to ``loop_shape + core shape``, flattened to rows, unstacked."""
    core_shape = shape(array)[len(shape(array)) - core_ndim:]
    zeros = np.zeros(tuple(loop_shape) + core_shape, dtype=_value(array).dtype)
    broadcast = add(array, zeros)             # add's derivative sums the broadcast copies back
    return unstack(reshape(broadcast, (count,) + core_shape))


# ===================================================================== gradient control
def stop_gradient(variable):
    r"""The value of ``variable``, off the tape: treated as a constant, its derivative is 0.

    Used where a value must not be trained through: the target of a
    Q-learning loss, the teacher in distillation, a straight-through
    estimator (``x + stop_gradient(round(x) - x)``).
    """
    return _array(variable)


def _call_grad_fn(grad_fn, upstream):
    """Call a custom gradient function in the forms Keras's docstring shows.

    ``def grad(*args, upstream=None)`` (portable across backends) and
    ``def grad(upstream)`` get ``upstream=`` by keyword; ``def grad(dy)`` (JAX
    and TensorFlow) gets the upstream gradient(s) positionally.
    """
    upstreams = upstream if isinstance(upstream, list) else [upstream]
    try:
        parameters = inspect.signature(grad_fn).parameters.values()
    except (TypeError, ValueError):         # a builtin without a signature
        return grad_fn(*upstreams)
    by_keyword = any(p.name == "upstream" or p.kind is p.VAR_KEYWORD for p in parameters)
    return grad_fn(upstream=upstream) if by_keyword else grad_fn(*upstreams)


def _fit_gradient(grad, operand):
    """A custom gradient as an array of the operand's shape and dtype (None: no gradient)."""
    if grad is None or not is_traced(operand):
        return None
    target = _value(operand)
    grad = np.asarray(backend.to_host(_value(grad)))
    grad = np.broadcast_to(grad, np.broadcast_shapes(grad.shape, target.shape))
    return unbroadcast(grad, target.shape).astype(target.dtype)


def custom_gradient(f):
    r"""Decorator: ``f(*args)`` returns ``(y, grad_fn)``, and ``grad_fn`` *is* the derivative.

    The decorated function returns ``y``; on the tape it is **one** op whose
    vector-Jacobian product is ``grad_fn(upstream)`` -- :math:`g \mapsto
    \partial L/\partial \text{args}` for the upstream gradient
    :math:`g = \partial L/\partial y` -- instead of the derivative of the ops
    ``f`` ran. ``f``'s forward runs with recording paused (its ops are not
    differentiated), and so does ``grad_fn``. ``grad_fn`` returns one gradient
    per (flattened) positional argument, a single one for a single argument,
    or ``None`` for an argument that gets none. Keyword arguments get no
    gradient.

    ``grad_fn`` may be written in either form Keras documents: ``def
    grad(*args, upstream=None)`` or ``def grad(upstream)`` receive the
    upstream gradient as ``upstream=``; ``def grad(dy)`` receives it
    positionally (a list of them, one each, when ``y`` is a structure of
    several arrays).

    Example (a gradient clipped to [-1, 1] on the way back)::

        @ops.custom_gradient
        def clip_gradient(x):
            def grad(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                return ops.clip(upstream, -1.0, 1.0)
            return x, grad
    """
    @functools.wraps(f)
    def with_custom_gradient(*args, **kwargs):
        with paused():
            result = f(*args, **kwargs)
        if not (isinstance(result, (tuple, list)) and len(result) == 2 and callable(result[1])):
            raise TypeError(
                f"ops.custom_gradient: the decorated function {getattr(f, '__name__', f)!r} "
                f"must return a pair (output, grad_fn); got {type(result).__name__}. Fix: "
                f"end it with `return y, grad` where grad(upstream) returns the gradients.")
        output, grad_fn = result
        operands = tuple(_flatten(list(args)))
        values = [np.asarray(_array(leaf)) for leaf in _flatten(output)]

        def vjp(upstreams):
            with paused():
                grads = _call_grad_fn(grad_fn, list(upstreams) if len(values) > 1
                                      else upstreams[0])
            grads = list(grads) if isinstance(grads, (tuple, list)) else [grads]
            if len(grads) != len(operands):
                raise ValueError(
                    f"ops.custom_gradient: the gradient function of "
                    f"{getattr(f, '__name__', f)!r} returned {len(grads)} gradients for "
                    f"{len(operands)} inputs. Fix: return one per positional argument "
                    f"(None for an argument without one).")
            return tuple(_fit_gradient(g, operand) for g, operand in zip(grads, operands))
        if len(values) == 1:
            recorded = [_record(values[0], operands, lambda g: vjp((g,)))]
        else:
            recorded = _record_many(values, operands, vjp)
        return _pack(output, recorded)
    return with_custom_gradient


def _weights_used(tape):
    """The weights the recorded ops read (their ``.grad`` must not change during ``jvp``)."""
    found = {}
    for _, operands, _ in tape.records:
        for operand in operands:
            if isinstance(operand, VariableBase):
                found[id(operand)] = operand
    return list(found.values())


def _jacobian_times(tape, output, watched, tangents):
    r""":math:`J t` for one output: row :math:`k` of :math:`J` is one reverse pass from entry :math:`k`."""
    if not isinstance(output, Traced):
        return np.zeros_like(np.asarray(_value(output)))     # independent of the primals
    value = output.value
    result = np.zeros(value.size, dtype=value.dtype)
    for k in range(value.size):
        seed = np.zeros_like(value)
        seed.flat[k] = 1                              # upstream gradient e_k picks row k
        row = tape.backward(output, seed)
        result[k] = sum(np.sum(row[id(w)] * t) for w, t in zip(watched, tangents)
                        if id(w) in row)
    return result.reshape(value.shape)


def jvp(fun, primals, tangents, has_aux=False):
    r"""The Jacobian-vector product: ``(fun(*primals), J t)``, with :math:`J = \partial\,\text{fun}/\partial\,\text{primals}`.

    Forward mode would push the tangent :math:`t` through the ops with the
    outputs, :math:`\dot y = J t`, in one pass. kerastutor has only reverse
    mode, which gives rows of :math:`J` instead: a backward pass from the
    upstream gradient :math:`e_k` (1 at output entry :math:`k`, 0 elsewhere)
    returns :math:`e_k^\top J`, the :math:`k`-th row, and
    :math:`(J t)_k = e_k^\top J\,t`. So ``jvp`` records ``fun`` once and
    walks the tape back once per output entry -- exact, and cheap when the
    output is small (a scalar loss: one pass). For example
    ``jvp(lambda a: a * a, (3.0,), (1.0,))`` gives ``(9.0, 6.0)``:
    :math:`2a \cdot 1` at :math:`a = 3`.

    ``primals`` and ``tangents`` are tuples (or lists) with one argument of
    ``fun`` each (arrays, numbers or structures of them), of matching shapes.
    The outputs have ``fun``'s structure; ``has_aux=True`` means ``fun``
    returns ``(output, aux)`` and ``jvp`` returns ``(output, tangent, aux)``.
    The results are plain arrays (a ``jvp`` is not itself recorded), and the
    ``.grad`` of any weight ``fun`` uses is left as it was.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"ops.jvp: `primals` and `tangents` must be tuples (one entry per argument of "
            f"fun); got {type(primals).__name__} and {type(tangents).__name__}. Fix: "
            f"jvp(fun, (x,), (t,)).")
    primal_leaves = [np.asarray(_array(leaf)) for leaf in _flatten(primals)]
    tangent_leaves = [np.asarray(_array(leaf)) for leaf in _flatten(tangents)]
    if [p.shape for p in primal_leaves] != [t.shape for t in tangent_leaves]:
        raise ValueError(
            f"ops.jvp: `tangents` must match `primals` in structure and shapes; got "
            f"{[t.shape for t in tangent_leaves]} for {[p.shape for p in primal_leaves]}.")
    tape = Tape()
    with tape:
        watched = [tape.watch(p) for p in primal_leaves]
        result = fun(*_pack(list(primals), watched))
    output, aux = result if has_aux else (result, None)
    weights = _weights_used(tape)
    saved = [w.grad.copy() for w in weights]
    tangent_out = _map_structure(
        lambda y: _jacobian_times(tape, y, watched,
                                  [t.astype(p.dtype) for t, p in zip(tangent_leaves,
                                                                     primal_leaves)]),
        output)
    for weight, grad in zip(weights, saved):
        weight.grad = grad
    primal_out = _map_structure(lambda y: np.asarray(_value(y)), output)
    return (primal_out, tangent_out, aux) if has_aux else (primal_out, tangent_out)


__all__ = ["associative_scan", "cast", "cond", "convert_to_numpy", "convert_to_tensor",
           "custom_gradient", "dtype", "fori_loop", "is_tensor", "map", "saturate_cast", "scan",
           "scatter", "scatter_update", "shape", "slice", "slice_update", "stop_gradient",
           "switch", "unstack", "vectorized_map", "while_loop"]
