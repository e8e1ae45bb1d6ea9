r"""Shapes, indexing and layout: the same numbers, moved.

These ops copy, select or rearrange entries and compute nothing: each output
entry *is* some input entry (or a constant, for the padding of ``pad``). Their
Jacobian therefore holds only zeros and ones, and the vector-Jacobian product
moves the upstream gradient back to where each entry came from:

* a reshape reshapes it back, a transpose transposes it back, a flip flips it back;
* a slice puts it into a zero array at the slice's place;
* a gather (``take``, ``x[i]``, ``repeat``, ``tile``, ``broadcast_to``, a
  reflecting ``pad``) scatters it back -- *adding* where one entry was used
  more than once, because :math:`\partial L/\partial x_j = \sum_{i:\,\text{src}(i)=j} g_i`.

``ndim``, ``size`` and ``view`` read metadata or reinterpret bits: no gradient.
"""
import builtins

import numpy as np

from kerastutor.tape import _record, _value, take_index, unbroadcast
from kerastutor.tape import transpose as _tape_transpose


# ============================================================== small helpers
def _axis(axis, ndim, op, name="axis"):
    """``axis`` as a non-negative int, or a kind error naming ``op``."""
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"ops.{op}: `{name}` must be in [{-ndim}, {ndim - 1}] for a {ndim}-d tensor; "
            f"got {axis}. Fix: count axes from 0 (or from -1 at the end).")
    return axis % ndim


def _join_dtype(values):
    """The dtype pieces are joined in: Keras's rule of ints joining floats as that float.

    NumPy would promote ``int32`` + ``float32`` to ``float64``; Keras keeps
    ``float32``: a float piece decides, and only among floats does width win.
    """
    floats = [v.dtype for v in values if v.dtype.kind in "fc"]
    return np.result_type(*floats) if floats else np.result_type(*[v.dtype for v in values])


def _move_to_front(g, axis):
    """``g`` with ``axis`` first, so a scatter over that axis is one ``np.add.at``."""
    return np.moveaxis(g, axis, 0)


def _slice_op(x, index):
    """``x[index]`` for a *basic* index (slices and ints): each entry is used once, so
    the vjp writes ``g`` into zeros at the same place (no adding needed)."""
    a = _value(x)

    def vjp(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        grad[index] = g
        return (grad,)
    return _record(a[index].copy(), (x,), vjp)


def _pieces(x, sections, axis, op):
    """Cut ``x`` along ``axis`` like ``np.array_split``; each piece is a recorded slice."""
    a = _value(x)
    axis = _axis(axis, a.ndim, op)
    length = a.shape[axis]
    if isinstance(sections, (list, tuple, np.ndarray)):
        # Cut points; one past another leaves an empty piece there (np.split semantics).
        cuts = [0, *[builtins.min(builtins.max(int(c) + length, 0) if c < 0 else int(c),
                                  length) for c in sections], length]
        bounds = [(lo, builtins.max(lo, hi)) for lo, hi in zip(cuts[:-1], cuts[1:])]
    else:
        bounds = [(int(p[0]), int(p[-1]) + 1) if len(p) else (0, 0)
                  for p in np.array_split(np.arange(length), int(sections))]
    before = (slice(None),) * axis
    return [_slice_op(x, before + (slice(lo, hi),)) for lo, hi in bounds]


# ============================================================== reshaping
def reshape(x, newshape):
    r"""The same entries in row-major order, a new shape: :math:`y = \mathrm{vec}^{-1}(\mathrm{vec}\,x)`.

    The map only relabels entries, so the gradient is :math:`g` reshaped back to ``x.shape``.
    """
    a = _value(x)
    return _record(a.reshape(newshape), (x,), lambda g: (g.reshape(a.shape),))


def ravel(x):
    r"""``x`` flattened to one axis, :math:`y = \mathrm{vec}\,x`; the gradient is reshaped back."""
    return reshape(x, (-1,))


def expand_dims(x, axis):
    """Insert axes of length 1 at ``axis`` (an int or a tuple); the gradient drops them again."""
    a = _value(x)
    return _record(np.expand_dims(a, axis), (x,), lambda g: (g.reshape(a.shape),))


def squeeze(x, axis=None):
    """Remove axes of length 1 (all, or those in ``axis``); the gradient gets them back."""
    a = _value(x)
    if axis is not None:
        for ax in (axis if isinstance(axis, (tuple, list)) else (axis,)):
            if a.shape[_axis(ax, a.ndim, "squeeze")] != 1:
                raise ValueError(
                    f"ops.squeeze: axis {ax} has length {a.shape[ax]}, not 1, in shape "
                    f"{a.shape}. Fix: squeeze only axes of length 1 (or pass axis=None).")
        axis = tuple(axis) if isinstance(axis, list) else axis
    return _record(np.squeeze(a, axis), (x,), lambda g: (g.reshape(a.shape),))


def broadcast_to(x, shape):
    r"""Repeat ``x`` along broadcast axes to ``shape`` (NumPy's rules).

    Each entry is used once per copy, so its gradient is the **sum** of
    :math:`g` over the broadcast axes (:func:`~kerastutor.tape.unbroadcast`).
    """
    a = _value(x)
    return _record(np.broadcast_to(a, shape).copy(), (x,),
                   lambda g: (unbroadcast(g, a.shape).reshape(a.shape),))


def copy(x):
    """A copy of ``x``: :math:`y = x`, gradient :math:`g`."""
    a = _value(x)
    return _record(a.copy(), (x,), lambda g: (g,))


# ============================================================== permuting axes and entries
def transpose(x, axes=None):
    r"""Permute the axes: :math:`y_{i_{p(0)} \dots i_{p(n-1)}} = x_{i_0 \dots i_{n-1}}` (reversed if None).

    The op on the tape (:func:`kerastutor.tape.transpose`) transposes the
    gradient back with the inverse permutation; negative axes are counted
    from the end first, so that inverse is the right one.
    """
    if axes is not None:
        ndim = _value(x).ndim
        axes = tuple(_axis(int(a), ndim, "transpose", "axes") for a in axes)
        if sorted(axes) != list(range(ndim)):
            raise ValueError(f"ops.transpose: `axes` must be a permutation of 0..{ndim - 1}; "
                             f"got {axes}. Fix: name every axis once.")
    return _tape_transpose(x, axes)


def moveaxis(x, source, destination):
    """Move axes ``source`` to positions ``destination``; the gradient moves them back."""
    a = _value(x)
    return _record(np.moveaxis(a, source, destination), (x,),
                   lambda g: (np.moveaxis(g, destination, source),))


def swapaxes(x, axis1, axis2):
    """Exchange two axes (a transposition, its own inverse: the gradient is swapped back)."""
    a = _value(x)
    return _record(np.swapaxes(a, axis1, axis2), (x,),
                   lambda g: (np.swapaxes(g, axis1, axis2),))


def flip(x, axis=None):
    r"""Reverse the order along ``axis`` (all axes if None): :math:`y_i = x_{n-1-i}`.

    Flipping is its own inverse, so the gradient is :math:`g` flipped the same way.
    """
    a = _value(x)
    if isinstance(axis, list):
        axis = tuple(axis)
    return _record(np.flip(a, axis).copy(), (x,), lambda g: (np.flip(g, axis),))


def fliplr(x):
    """Flip along axis 1 (left/right); see :func:`flip`."""
    if _value(x).ndim < 2:
        raise ValueError(f"ops.fliplr: `x` must have at least 2 axes; got shape "
                         f"{_value(x).shape}. Fix: use ops.flip(x, axis=0) for a vector.")
    return flip(x, 1)


def flipud(x):
    """Flip along axis 0 (up/down); see :func:`flip`."""
    if _value(x).ndim < 1:
        raise ValueError("ops.flipud: `x` must have at least 1 axis; got a scalar. "
                         "Fix: pass a tensor with an axis to flip.")
    return flip(x, 0)


def roll(x, shift, axis=None):
    r"""Shift entries cyclically by ``shift`` along ``axis``: :math:`y_i = x_{(i - s) \bmod n}`.

    The inverse is the roll by :math:`-s`, so the gradient is :math:`g` rolled back.
    """
    a = _value(x)
    back = tuple(-s for s in shift) if isinstance(shift, (tuple, list)) else -shift
    return _record(np.roll(a, shift, axis), (x,), lambda g: (np.roll(g, back, axis),))


def rot90(array, k=1, axes=(0, 1)):
    r"""Rotate by :math:`k \cdot 90°` in the plane ``axes`` (from the first axis towards the second).

    A rotation's inverse is the rotation by :math:`-k`: the gradient is rotated back.
    """
    a = _value(array)
    if a.ndim < 2:
        raise ValueError(f"ops.rot90: `array` must have at least 2 axes; got shape {a.shape}. "
                         f"Fix: reshape it to a matrix first.")
    if len(axes) != 2 or axes[0] % a.ndim == axes[1] % a.ndim:
        raise ValueError(f"ops.rot90: `axes` must be two different axes; got {axes}. "
                         f"Fix: pass e.g. axes=(0, 1).")
    axes = tuple(axes)
    return _record(np.rot90(a, k, axes).copy(), (array,),
                   lambda g: (np.rot90(g, -k, axes).copy(),))


# ============================================================== joining
def concatenate(xs, axis=0):
    r"""Join tensors along an existing axis: :math:`y = [x_1; x_2; \dots]`.

    The gradient is :math:`g` cut at the same places, one piece per input.
    """
    values = [_value(x) for x in xs]
    dtype = _join_dtype(values)
    axis = _axis(axis, values[0].ndim, "concatenate")
    cuts = np.cumsum([v.shape[axis] for v in values])[:-1]
    return _record(np.concatenate([v.astype(dtype, copy=False) for v in values], axis=axis),
                   tuple(xs), lambda g: tuple(np.split(g, cuts, axis=axis)))


def stack(x, axis=0):
    r"""Stack equal-shaped tensors along a new axis: :math:`y_{\dots,k,\dots} = x_k`.

    The gradient is :math:`g` unstacked: slice ``k`` of the new axis goes to input ``k``.
    """
    values = [_value(v) for v in x]
    dtype = _join_dtype(values)
    axis = _axis(axis, values[0].ndim + 1, "stack")
    return _record(np.stack([v.astype(dtype, copy=False) for v in values], axis=axis),
                   tuple(x), lambda g: tuple(np.moveaxis(g, axis, 0)))


def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (both flattened first if None).

    Built from :func:`ravel` and :func:`concatenate`, so the gradient follows theirs.
    """
    if axis is None:
        return concatenate([ravel(x1), ravel(x2)], axis=0)
    return concatenate([x1, x2], axis=axis)


def _at_least(x, ndim):
    """``x`` reshaped to ``ndim`` axes the way ``np.atleast_2d/3d`` do (recorded)."""
    shape = _value(x).shape
    if len(shape) >= ndim:
        return x
    if ndim == 2:
        return reshape(x, (1,) * (2 - len(shape)) + shape)
    # atleast_3d: (N,) -> (1, N, 1), (M, N) -> (M, N, 1), () -> (1, 1, 1)
    return reshape(x, {0: (1, 1, 1), 1: (1, *shape, 1), 2: (*shape, 1)}[len(shape)])


def hstack(xs):
    """Join horizontally: along axis 1, or axis 0 for vectors (``np.hstack``)."""
    xs = [reshape(x, (1,)) if _value(x).ndim == 0 else x for x in xs]
    return concatenate(xs, axis=0 if _value(xs[0]).ndim == 1 else 1)


def vstack(xs):
    """Join vertically: along axis 0, vectors becoming rows (``np.vstack``)."""
    return concatenate([_at_least(x, 2) for x in xs], axis=0)


def dstack(xs):
    """Join depth-wise: along axis 2, after lifting inputs to 3 axes (``np.dstack``)."""
    return concatenate([_at_least(x, 3) for x in xs], axis=2)


# ============================================================== splitting
def split(x, indices_or_sections, axis=0):
    """Cut ``x`` into equal sections, or at the given indices, along ``axis``.

    Each piece is a recorded slice; the pieces' gradients add up in ``x``'s.
    """
    a = _value(x)
    ax = _axis(axis, a.ndim, "split")
    if isinstance(indices_or_sections, (int, np.integer)) and \
            a.shape[ax] % int(indices_or_sections):
        raise ValueError(
            f"ops.split: axis {axis} of length {a.shape[ax]} cannot be cut into "
            f"{indices_or_sections} equal sections. Fix: use ops.array_split for unequal "
            f"pieces, or pass the cut indices as a list.")
    return _pieces(x, indices_or_sections, ax, "split")


def array_split(x, indices_or_sections, axis=0):
    """Like :func:`split`, but ``n`` sections need not be equal: the first
    ``length % n`` pieces get one entry more."""
    return _pieces(x, indices_or_sections, axis, "array_split")


def _split_at_least(x, indices_or_sections, ndim, axis, op):
    shape = _value(x).shape
    if len(shape) < ndim:
        raise ValueError(f"ops.{op}: `x` must have at least {ndim} axes; got shape {shape}. "
                         f"Fix: reshape it first, or use ops.split with an explicit axis.")
    return split(x, indices_or_sections, axis=axis)


def vsplit(x, indices_or_sections):
    """:func:`split` along axis 0 (rows)."""
    return _split_at_least(x, indices_or_sections, 2, 0, "vsplit")


def hsplit(x, indices_or_sections):
    """:func:`split` along axis 1 (axis 0 for a vector)."""
    ndim = _value(x).ndim
    return _split_at_least(x, indices_or_sections, 1, 1 if ndim > 1 else 0, "hsplit")


def dsplit(x, indices_or_sections):
    """:func:`split` along axis 2 (depth)."""
    return _split_at_least(x, indices_or_sections, 3, 2, "dsplit")


# ============================================================== gathering
def get_item(x, key):
    """``x[key]`` (NumPy indexing); the gradient is scattered back, added where indices repeat."""
    return take_index(x, key)


def _int_indices(indices, length, op):
    """Integer indices with negatives counted from the end (as Keras does)."""
    idx = np.asarray(_value(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"ops.{op}: `indices` must be integers; got dtype {idx.dtype}. "
                        f"Fix: ops.cast(indices, 'int32').")
    return np.where(idx < 0, idx + length, idx).astype(np.int64)


def take(x, indices, axis=None):
    r"""Gather along ``axis`` (of the flattened ``x`` if None): :math:`y_{\dots i \dots} = x_{\dots\,\text{idx}_i \dots}`.

    An entry picked :math:`k` times receives the sum of its :math:`k` upstream
    gradients: the vjp scatters :math:`g` back with ``np.add.at``.
    """
    a = _value(x)
    source = a.reshape(-1) if axis is None else a
    ax = 0 if axis is None else _axis(axis, a.ndim, "take")
    idx = _int_indices(indices, source.shape[ax], "take")
    out = np.take(source, idx, axis=ax)

    def vjp(g):
        grad = np.zeros(source.shape, dtype=g.dtype)
        # g's axes: source[:ax], idx's axes, source[ax+1:]; bring idx's axes to the front.
        g = np.moveaxis(g, list(range(ax, ax + idx.ndim)), list(range(idx.ndim)))
        np.add.at(_move_to_front(grad, ax), idx, g)
        return (grad.reshape(a.shape),)
    return _record(out, (x,), vjp)


def take_along_axis(x, indices, axis=None):
    r"""Gather with an index per position: :math:`y_{\dots i \dots} = x_{\dots\,\text{idx}_{\dots i \dots} \dots}`.

    (``np.take_along_axis``; with ``axis=None`` both are flattened.) The vjp
    adds :math:`g` back into the picked places, ``np.add.at`` style.
    """
    a = _value(x)
    idx = np.asarray(_value(indices))
    if axis is None:
        a, idx, ax = a.reshape(-1), idx.reshape(-1), 0
    else:
        ax = _axis(axis, a.ndim, "take_along_axis")
    if idx.ndim != a.ndim:
        raise ValueError(f"ops.take_along_axis: `indices` must have as many axes as `x` "
                         f"({a.ndim}); got shape {idx.shape}. Fix: expand_dims the indices.")
    idx = _int_indices(idx, a.shape[ax], "take_along_axis")
    # One index array per axis: the given indices on `ax`, a broadcast arange elsewhere.
    where = []
    for d, n in enumerate(a.shape):
        if d == ax:
            where.append(idx)
        else:
            where.append(np.arange(n).reshape([-1 if e == d else 1 for e in range(a.ndim)]))
    where = tuple(np.broadcast_arrays(*where))
    original = _value(x)

    def vjp(g):
        grad = np.zeros(a.shape, dtype=g.dtype)
        np.add.at(grad, where, g)
        return (grad.reshape(original.shape),)
    return _record(a[where], (x,), vjp)


def repeat(x, repeats, axis=None):
    r"""Repeat each entry ``repeats`` times along ``axis`` (of the flattened ``x`` if None).

    Entry :math:`j` becomes :math:`r_j` copies, so its gradient is the sum of
    their upstream gradients -- a scatter-add of :math:`g` to the source index
    ``np.repeat(arange(n), repeats)``.
    """
    a = _value(x)
    source = a.reshape(-1) if axis is None else a
    ax = 0 if axis is None else _axis(axis, a.ndim, "repeat")
    reps = np.asarray(_value(repeats))
    if np.any(reps < 0):
        raise ValueError(f"ops.repeat: `repeats` must be non-negative; got {reps.tolist()}. "
                         f"Fix: pass counts >= 0.")
    origin = np.repeat(np.arange(source.shape[ax]), reps)

    def vjp(g):
        grad = np.zeros(source.shape, dtype=g.dtype)
        np.add.at(_move_to_front(grad, ax), origin, _move_to_front(g, ax))
        return (grad.reshape(a.shape),)
    return _record(np.repeat(source, reps, axis=ax), (x,), vjp)


def tile(x, repeats):
    r"""The whole of ``x`` repeated ``repeats[d]`` times along each axis :math:`d` (``np.tile``).

    Every copy of an entry gets its own upstream gradient; the vjp views
    :math:`g` as (copies, entries) per axis and sums over the copies.
    """
    a = _value(x)
    reps = (int(repeats),) if np.ndim(repeats) == 0 else tuple(int(r) for r in repeats)
    rank = builtins.max(a.ndim, len(reps))
    shape = (1,) * (rank - a.ndim) + a.shape
    reps = (1,) * (rank - len(reps)) + reps

    def vjp(g):
        interleaved = [n for pair in zip(reps, shape) for n in pair]   # (r0, s0, r1, s1, ...)
        summed = g.reshape(interleaved).sum(axis=tuple(range(0, 2 * rank, 2)))
        return (summed.reshape(a.shape),)
    return _record(np.tile(a, reps), (x,), vjp)


# ============================================================== diagonals and triangles
def _diagonal_cells(rows, cols, k):
    """Row and column indices of the ``k``-th diagonal of a ``rows x cols`` matrix."""
    start_row, start_col = builtins.max(-k, 0), builtins.max(k, 0)
    length = builtins.max(builtins.min(rows - start_row, cols - start_col), 0)
    steps = np.arange(length)
    return start_row + steps, start_col + steps


def diagonal(x, offset=0, axis1=0, axis2=1):
    r"""The ``offset``-th diagonal of the matrices in planes (``axis1``, ``axis2``): :math:`y_i = x_{i,\,i+k}`.

    The diagonal goes to the last axis. The vjp writes :math:`g` back on the
    diagonal of a zero tensor; off-diagonal entries get no gradient.
    """
    a = _value(x)
    if a.ndim < 2:
        raise ValueError(f"ops.diagonal: `x` must have at least 2 axes; got shape {a.shape}. "
                         f"Fix: use ops.diag(v) to build a matrix from a vector.")
    ax1, ax2 = _axis(axis1, a.ndim, "diagonal", "axis1"), _axis(axis2, a.ndim, "diagonal", "axis2")
    moved = np.moveaxis(a, (ax1, ax2), (-2, -1))
    rows, cols = _diagonal_cells(moved.shape[-2], moved.shape[-1], offset)

    def vjp(g):
        grad = np.zeros(moved.shape, dtype=g.dtype)
        grad[..., rows, cols] = g
        return (np.moveaxis(grad, (-2, -1), (ax1, ax2)),)
    return _record(moved[..., rows, cols], (x,), vjp)


def diag(x, k=0):
    r"""A vector to a matrix with it on the ``k``-th diagonal, or a matrix to its ``k``-th diagonal.

    The two directions are each other's transpose as linear maps, so each
    one's vjp is the other: :math:`g` read off the diagonal, or placed on it.
    """
    a = _value(x)
    if a.ndim == 1:
        n = a.shape[0] + builtins.abs(k)
        rows, cols = _diagonal_cells(n, n, k)

        def vjp(g):
            return (g[rows, cols],)
        out = np.zeros((n, n), dtype=a.dtype)
        out[rows, cols] = a
        return _record(out, (x,), vjp)
    if a.ndim == 2:
        return diagonal(x, offset=k)
    raise ValueError(f"ops.diag: `x` must be a vector or a matrix; got shape {a.shape}. "
                     f"Fix: use ops.diagonal(x, axis1=..., axis2=...) for batches.")


def diagflat(x, k=0):
    """:func:`diag` of ``x`` flattened: a matrix with all of ``x`` on its ``k``-th diagonal."""
    return diag(ravel(x), k)


def tril(x, k=0):
    r"""The lower triangle (entries with :math:`j \le i + k`) of the last two axes; zeros above.

    Multiplying by a 0/1 mask is linear: the gradient is :math:`g` masked the same way.
    """
    a = _value(x)
    return _record(np.tril(a, k), (x,), lambda g: (np.tril(g, k),))


def triu(x, k=0):
    r"""The upper triangle (entries with :math:`j \ge i + k`); the gradient is ``triu(g, k)``."""
    a = _value(x)
    return _record(np.triu(a, k), (x,), lambda g: (np.triu(g, k),))


# ============================================================== padding
#: Modes that only copy entries of ``x`` (a gather), with NumPy's name for each.
_GATHER_MODES = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric",
                 "wrap": "wrap", "circular": "wrap"}
#: Modes that fill the border with a statistic of the whole axis.
_STAT_MODES = ("maximum", "minimum", "mean", "median")
PAD_MODES = ("constant", *_GATHER_MODES, *_STAT_MODES, "linear_ramp", "empty")


def _pad_widths(pad_width, ndim):
    """``pad_width`` as one ``(before, after)`` pair per axis (NumPy's shorthand rules)."""
    widths = np.asarray(pad_width, dtype=np.int64)
    if widths.ndim == 0 or widths.shape in ((1,), (2,), (1, 1), (1, 2)):
        widths = np.broadcast_to(widths.reshape(-1), (ndim, 2))
    elif widths.shape == (ndim, 1):
        widths = np.repeat(widths, 2, axis=1)
    if widths.shape != (ndim, 2) or np.any(widths < 0):
        raise ValueError(
            f"ops.pad: `pad_width` must be an int, a (before, after) pair, or one pair per "
            f"axis ({ndim} pairs), all >= 0; got {pad_width!r}. Fix: e.g. "
            f"pad_width=((1, 1),) * {ndim}.")
    return [(int(lo), int(hi)) for lo, hi in widths]


def _pad_axis_vjp(a, axis, before, after, mode):
    """The vjp of padding ``a`` along one ``axis`` (the other axes untouched)."""
    n = a.shape[axis]

    def inner(g):
        return np.take(g, np.arange(before, before + n), axis=axis)

    def border(g):
        """The upstream gradient of all padded entries, summed over this axis."""
        lo = np.take(g, np.arange(before), axis=axis).sum(axis=axis, keepdims=True)
        hi = np.take(g, np.arange(before + n, before + n + after), axis=axis)
        return lo + hi.sum(axis=axis, keepdims=True)

    if mode in ("constant", "empty"):
        return inner                          # the border is constant: no gradient to x
    if mode in _GATHER_MODES:
        # Which source entry each output entry copies: NumPy's own padding of arange(n).
        origin = np.pad(np.arange(n), (before, after), mode=_GATHER_MODES[mode])

        def gather_vjp(g):
            grad = np.zeros(a.shape, dtype=g.dtype)
            np.add.at(_move_to_front(grad, axis), origin, _move_to_front(g, axis))
            return grad
        return gather_vjp
    if mode == "mean":
        return lambda g: inner(g) + border(g) / n
    if mode in ("maximum", "minimum"):
        best = (np.max if mode == "maximum" else np.min)(a, axis=axis, keepdims=True)
        winners = (a == best)
        winners = winners / winners.sum(axis=axis, keepdims=True)   # ties share, as in max
        return lambda g: inner(g) + border(g) * winners
    if mode == "median":
        # The median is the middle sorted entry (odd n) or the mean of the two middle ones.
        order = np.argsort(a, axis=axis, kind="stable")
        middle = np.zeros(a.shape)
        weights = np.zeros(n)
        weights[[(n - 1) // 2, n // 2]] = 0.5 if n % 2 == 0 else 1.0
        np.put_along_axis(middle, order, np.reshape(
            weights, [-1 if d == axis else 1 for d in range(a.ndim)]) * np.ones_like(middle),
            axis=axis)
        return lambda g: inner(g) + border(g) * middle
    # linear_ramp: the border ramps linearly from 0 to the edge value, so each padded
    # entry is edge * w with w the ramp of a unit edge (NumPy's own ramp of ones).
    ramp = np.pad(np.ones(n), (before, after), mode="linear_ramp")
    w_lo, w_hi = ramp[:before], ramp[before + n:]

    def ramp_vjp(g):
        grad = inner(g).copy()
        shape = [-1 if d == axis else 1 for d in range(a.ndim)]
        lo = (np.take(g, np.arange(before), axis=axis) * w_lo.reshape(shape)).sum(axis=axis)
        hi = (np.take(g, np.arange(before + n, before + n + after), axis=axis)
              * w_hi.reshape(shape)).sum(axis=axis)
        grad_moved = _move_to_front(grad, axis)
        grad_moved[0] += lo
        grad_moved[-1] += hi
        return grad
    return ramp_vjp


def pad(x, pad_width, mode="constant", constant_values=None):
    r"""Pad each axis with ``before``/``after`` entries (``np.pad``'s modes).

    NumPy pads one axis after another, so the op is a chain of one-axis pads
    and its vjp is the chain of their vjps in reverse. Per axis:

    * ``constant`` / ``empty``: the border is constant, :math:`\partial/\partial x` = :math:`g`
      cut back to the inner block;
    * ``edge``, ``reflect``, ``symmetric``, ``wrap`` (= ``circular``): each border entry
      *copies* an entry of :math:`x`, so its gradient is **folded back** onto that
      entry (a scatter-add through NumPy's own padding of ``arange(n)``);
    * ``mean``: every border entry is :math:`\bar x`, adding :math:`\sum g_{\text{border}}/n` to all;
    * ``maximum`` / ``minimum`` / ``median``: the border gradient goes to the chosen entry (ties share);
    * ``linear_ramp``: entry :math:`j` of the border is :math:`w_j x_{\text{edge}}`; the edge
      gets :math:`\sum_j w_j g_j`.
    """
    a = _value(x)
    if mode not in PAD_MODES:
        raise ValueError(f"ops.pad: `mode` must be one of {PAD_MODES}; got {mode!r}. "
                         f"Fix: pick one of those (Keras's 'circular' is NumPy's 'wrap').")
    if constant_values is not None and mode != "constant":
        raise ValueError(f"ops.pad: `constant_values` is only used by mode='constant'; got "
                         f"mode={mode!r} with constant_values={constant_values!r}. Fix: drop "
                         f"constant_values, or use mode='constant'.")
    widths = _pad_widths(pad_width, a.ndim)
    steps, value = [], a
    for axis, (before, after) in enumerate(widths):
        if before == after == 0:
            continue
        if mode in ("reflect", "symmetric", "wrap", "circular", "edge") and value.shape[axis] == 0:
            raise ValueError(f"ops.pad: cannot pad an empty axis {axis} in mode {mode!r}. "
                             f"Fix: use mode='constant'.")
        axis_widths = [(0, 0)] * a.ndim
        axis_widths[axis] = (before, after)
        if mode == "constant":
            padded = np.pad(value, axis_widths, mode="constant",
                            constant_values=0 if constant_values is None
                            else _value(constant_values))
        elif mode == "empty":                   # unspecified border: zeros, so runs repeat
            padded = np.pad(value, axis_widths, mode="constant")
        else:
            padded = np.pad(value, axis_widths, mode=_GATHER_MODES.get(mode, mode))
        steps.append(_pad_axis_vjp(value, axis, before, after, mode))
        value = padded.astype(a.dtype, copy=False)

    def vjp(g):
        for step in reversed(steps):
            g = step(g)
        return (g,)
    return _record(value if steps else a.copy(), (x,), vjp)


# ============================================================== no gradient
def ndim(x):
    """The number of axes (an int: metadata, no gradient)."""
    return np.ndim(_value(x))


def size(x):
    """The number of entries (an int: metadata, no gradient)."""
    return np.size(_value(x))


def view(x, dtype=None):
    """The same bytes read as ``dtype`` (bit reinterpretation: no derivative exists)."""
    a = _value(x)
    return a.copy() if dtype is None else a.view(np.dtype(dtype))


__all__ = ["append", "array_split", "broadcast_to", "concatenate", "copy", "diag", "diagflat",
           "diagonal", "dsplit", "dstack", "expand_dims", "flip", "fliplr", "flipud",
           "get_item", "hsplit", "hstack", "moveaxis", "pad", "ravel", "repeat", "reshape",
           "roll", "rot90", "split", "squeeze", "stack", "swapaxes", "take",
           "take_along_axis", "tile", "transpose", "tril", "triu", "vsplit", "vstack", "ndim",
           "size", "view"]
