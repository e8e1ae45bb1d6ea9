r"""Products and contractions: ``matmul``, ``dot``, ``einsum``, ``tensordot``, ...

Each is a sum of products, so it is linear in each operand. The gradient of
one operand is the same kind of contraction of the upstream gradient with
the *other* operands -- for a matrix product :math:`C = AB`,
:math:`\bar A = \bar C B^\top` and :math:`\bar B = A^\top \bar C`.

One contraction rules them all: :func:`einsum`. Its derivative is written
once, and ``tensordot``, ``dot`` and ``inner`` are einsums with the right
letters, so they inherit it. ``outer``, ``vdot``, ``kron``, ``cross``,
``correlate`` and ``trapezoid`` are short enough to carry their own.
"""
import string

import numpy as np

from kerastutor import backend
from kerastutor.tape import _operands, _record, _value, matmul, multiply, unbroadcast


# =========================================================================== einsum
def _einsum_letters(subscripts, shapes):
    """``(inputs, output)``: the subscripts with ``...`` and an implicit output spelled out.

    ``...`` stands for the leading axes an operand has beyond its letters; they
    broadcast right-aligned across operands, like NumPy's broadcasting, so each
    gets a fresh letter shared by all operands. Without ``->`` the output is
    the broadcast axes, then every letter used exactly once, in alphabetical
    order (NumPy's "implicit mode": ``"ij,jk"`` means ``"ij,jk->ik"``).
    """
    subscripts = subscripts.replace(" ", "")
    left, arrow, right = subscripts.partition("->")
    inputs = left.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(f"ops.einsum: `subscripts` {subscripts!r} names {len(inputs)} "
                         f"operand(s), but {len(shapes)} were given. Fix: one comma-"
                         f"separated group of letters per operand.")
    fresh = [c for c in string.ascii_letters if c not in subscripts]
    extra = [len(shape) - len(letters.replace("...", ""))
             for letters, shape in zip(inputs, shapes)]
    width = max([n for n, letters in zip(extra, inputs) if "..." in letters], default=0)
    broadcast = "".join(fresh[:width])
    spelled = []
    for letters, shape, n in zip(inputs, shapes, extra):
        if "..." in letters:
            letters = letters.replace("...", broadcast[width - n:] if n else "")
        if len(letters) != len(shape):
            raise ValueError(f"ops.einsum: operand {len(spelled)} has {len(shape)} axes "
                             f"(shape {tuple(shape)}) but {letters!r} names {len(letters)}. "
                             f"Fix: one letter per axis, or '...' for the leading ones.")
        spelled.append(letters)
    if arrow:
        output = right.replace("...", broadcast)
    else:
        named = "".join(spelled)
        once = sorted(c for c in set(named) if named.count(c) == 1 and c not in broadcast)
        output = broadcast + "".join(once)
    return spelled, output


def _einsum_operand_grad(g, output, own, value, others):
    r"""The gradient of one einsum operand: contract ``g`` with the others, back to ``own``.

    * letters that only this operand has were summed away in the forward pass:
      every entry along them gets the same gradient (broadcast back);
    * a letter repeated in ``own`` (``"ii"``, a diagonal) receives the
      gradient on the diagonal only: a Kronecker delta :math:`\delta_{ij}`
      (an identity matrix) places it there;
    * an axis of size 1 that broadcast against a longer one is summed back.
    """
    present = set(output).union(*[set(letters) for _, letters in others])
    sizes = {}
    for v, letters in [(value, own)] + list(others):
        for letter, size in zip(letters, v.shape):
            sizes[letter] = max(sizes.get(letter, 1), size)
    # A repeated letter's later copies get spare names, each tied to the first by a delta.
    spare = [c for c in string.ascii_letters if c not in present and c not in own]
    renamed, terms, arrays = "", [output] + [letters for _, letters in others], \
        [g] + [v for v, _ in others]
    for letter in own:
        if letter in renamed:
            copy = spare.pop()
            terms.append(letter + copy)
            arrays.append(np.eye(sizes[letter], dtype=g.dtype))
            renamed += copy
        else:
            renamed += letter
    available = set("".join(terms))
    target = "".join(c for c in renamed if c in available)
    partial = np.einsum(",".join(terms) + "->" + target, *arrays)
    for axis, letter in enumerate(renamed):
        if letter not in target:                     # summed only here: broadcast back
            partial = np.expand_dims(partial, axis)
    full = tuple(sizes.get(c, s) for c, s in zip(own, value.shape))
    return unbroadcast(np.broadcast_to(partial, full), value.shape).copy()


def einsum(subscripts, *operands, **kwargs):
    r"""Einstein summation: multiply the operands entry by entry, sum the letters not kept.

    ``einsum("ij,jk->ik", a, b)`` is a matmul,
    :math:`C_{ik} = \sum_j A_{ij} B_{jk}`; ``"...ij,...jk->...ik"`` a batched
    one; ``"ij,jk"`` (no arrow) keeps the letters used once, in alphabetical
    order; ``"ii->i"`` is a diagonal.

    The expression is linear in each operand, so the gradient of operand
    :math:`k` is itself an einsum: the upstream gradient (carrying the
    output's letters) times every *other* operand, summed down to operand
    :math:`k`'s letters. For the matmul that gives
    :math:`\bar A_{ij} = \sum_k \bar C_{ik} B_{jk}`, i.e. :math:`\bar C B^\top`.
    """
    values = [_value(o) for o in operands]
    if values and any(v.dtype.kind == "f" for v in values):
        floats = [v.dtype for v in values if v.dtype.kind == "f"]
        values = [v if v.dtype.kind == "f" else v.astype(np.result_type(*floats))
                  for v in values]            # a Python number or int array takes the float dtype
    inputs, output = _einsum_letters(subscripts, [v.shape for v in values])
    expression = ",".join(inputs) + "->" + output

    def vjp(g):
        return tuple(_einsum_operand_grad(
            g, output, own, value,
            [(values[j], inputs[j]) for j in range(len(values)) if j != k])
            for k, (own, value) in enumerate(zip(inputs, values)))
    return _record(np.einsum(expression, *values, **kwargs), tuple(operands), vjp)


# ====================================================== contractions that are einsums
def _axis_list(axes, ndim, name):
    axes = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    for axis in axes:
        if not -ndim <= axis < ndim:
            raise ValueError(f"ops.tensordot: axis {axis} of `{name}` is out of range for "
                             f"{ndim} axes. Fix: use an axis in [{-ndim}, {ndim}).")
    return [axis % ndim for axis in axes]


def tensordot(x1, x2, axes=2):
    r"""Sum products over chosen axes: :math:`\sum_{k} x_1[\dots, k]\, x_2[k, \dots]`.

    ``axes=N`` contracts the last ``N`` axes of ``x1`` with the first ``N``
    of ``x2``; ``axes=(a1, a2)`` contracts axes ``a1`` of ``x1`` with ``a2``
    of ``x2``, pairwise. The result has the free axes of ``x1`` followed by
    those of ``x2``. It is written as an :func:`einsum` (each contracted pair
    shares a letter), whose derivative it therefore shares.
    """
    a, b = _value(x1), _value(x2)
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise ValueError(f"ops.tensordot: `axes`={axes} contracts more axes than the "
                             f"operands have (shapes {a.shape} and {b.shape}). Fix: use an "
                             f"integer in [0, {min(a.ndim, b.ndim)}].")
        first, second = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        first, second = (_axis_list(axes[0], a.ndim, "x1"), _axis_list(axes[1], b.ndim, "x2"))
    if len(first) != len(second) or any(a.shape[i] != b.shape[j]
                                        for i, j in zip(first, second)):
        raise ValueError(f"ops.tensordot: the contracted axes {first} of x1 {a.shape} and "
                         f"{second} of x2 {b.shape} must pair up with equal sizes. Fix: "
                         f"list the same number of axes on both sides, of matching sizes.")
    letters = iter(string.ascii_letters)
    own1 = [next(letters) for _ in range(a.ndim)]
    own2 = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(first, second):
        own2[j] = own1[i]                       # a contracted pair shares one letter
    free = [c for i, c in enumerate(own1) if i not in first] + \
           [c for j, c in enumerate(own2) if j not in second]
    return einsum("".join(own1) + "," + "".join(own2) + "->" + "".join(free), x1, x2)


def dot(x1, x2):
    r"""NumPy's ``dot``: sum over the last axis of ``x1`` and the second-to-last of ``x2``.

    :math:`\mathrm{dot}(x_1, x_2)[i,j,k,m] = \sum_n x_1[i,j,n]\,x_2[k,n,m]`; for a
    1-D ``x2`` its only axis; a scalar operand multiplies. For 2-D operands it is
    the matrix product; for more axes it is *not* :func:`matmul` (which
    broadcasts batch axes): the free axes of both operands are all kept. A
    :func:`tensordot` with one pair of axes, so its derivative is the einsum's.
    """
    a, b = _value(x1), _value(x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([-1], [0 if b.ndim == 1 else -2]))


def inner(x1, x2):
    r"""Sum products over the last axes: :math:`\mathrm{inner}(x_1, x_2)[\dots, \dots] =
    \sum_n x_1[\dots, n]\, x_2[\dots, n]` (a scalar operand multiplies).

    A :func:`tensordot` over the last axes; its derivative is the einsum's.
    """
    a, b = _value(x1), _value(x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([-1], [-1]))


# ============================================================ products with own vjps
def outer(x1, x2):
    r"""Outer product of the flattened operands: :math:`y_{ij} = a_i b_j`.

    Gradients :math:`\bar a_i = \sum_j g_{ij} b_j` and
    :math:`\bar b_j = \sum_i g_{ij} a_i`, reshaped back to the operands' shapes.
    """
    a, b = _operands(x1, x2)
    u, v = a.ravel(), b.ravel()
    return _record(np.outer(u, v), (x1, x2),
                   lambda g: ((g @ v).reshape(a.shape), (u @ g).reshape(b.shape)))


def vdot(x1, x2):
    r"""Dot product of the flattened operands, :math:`\sum_i a_i b_i` (real inputs).

    Gradients :math:`g\,b` and :math:`g\,a`, in the operands' shapes.
    """
    a, b = _operands(x1, x2)
    if a.size != b.size:
        raise ValueError(f"ops.vdot: the operands must have the same number of entries once "
                         f"flattened; got shapes {a.shape} and {b.shape}.")
    return _record(np.vdot(a, b), (x1, x2),
                   lambda g: (g * b.reshape(a.shape), g * a.reshape(b.shape)))


def kron(x1, x2):
    r"""Kronecker product: every entry of ``x1`` times a whole copy of ``x2``.

    In 2-D, :math:`K[i\,p + k,\ j\,q + l] = A_{ij} B_{kl}` for ``B`` of shape
    :math:`(p, q)`: an outer product whose axes are interleaved
    :math:`(i, k, j, l)` and merged pairwise. The operand with fewer axes gets
    leading axes of size 1. The gradient undoes the merge (reshape ``g`` to
    :math:`(i, k, j, l)`) and contracts with the other factor:
    :math:`\bar A_{ij} = \sum_{kl} g_{ikjl} B_{kl}`,
    :math:`\bar B_{kl} = \sum_{ij} g_{ikjl} A_{ij}`.
    """
    a, b = _operands(x1, x2)
    rank = max(a.ndim, b.ndim)
    a_full = a.reshape((1,) * (rank - a.ndim) + a.shape)
    b_full = b.reshape((1,) * (rank - b.ndim) + b.shape)
    letters = string.ascii_letters
    own_a, own_b = letters[:rank], letters[rank:2 * rank]
    paired = "".join(p + q for p, q in zip(own_a, own_b))      # i k j l ...
    interleaved = np.einsum(f"{own_a},{own_b}->{paired}", a_full, b_full)
    merged = tuple(p * q for p, q in zip(a_full.shape, b_full.shape))

    def vjp(g):
        g = g.reshape(interleaved.shape)
        return (np.einsum(f"{paired},{own_b}->{own_a}", g, b_full).reshape(a.shape),
                np.einsum(f"{paired},{own_a}->{own_b}", g, a_full).reshape(b.shape))
    return _record(interleaved.reshape(merged), (x1, x2), vjp)


def _cross3(u, v):
    """The cross product of 3-vectors along the last axis (broadcasting)."""
    return np.stack([u[..., 1] * v[..., 2] - u[..., 2] * v[..., 1],
                     u[..., 2] * v[..., 0] - u[..., 0] * v[..., 2],
                     u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]], axis=-1)


def _as_3_vectors(u, name):
    if u.shape[-1] not in (2, 3):
        raise ValueError(f"ops.cross: the vectors of `{name}` must have 2 or 3 components; "
                         f"got {u.shape[-1]} (shape {u.shape}). Fix: choose the axis that "
                         f"holds the vectors with axisa/axisb or axis.")
    if u.shape[-1] == 2:                        # a plane vector: z component 0
        return np.concatenate([u, np.zeros(u.shape[:-1] + (1,), u.dtype)], axis=-1)
    return u


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    r"""Cross product of (arrays of) vectors: :math:`c = a \times b`.

    The vectors lie along ``axisa`` of ``x1`` and ``axisb`` of ``x2`` (or both
    along ``axis``), and the result's along ``axisc``. A 2-component vector
    is read with a zero third component; two of them give only the
    :math:`z` component, a scalar per pair (NumPy's rule).

    It is bilinear, and :math:`\langle g, a\times b\rangle = \langle b\times g, a\rangle
    = \langle g\times a, b\rangle` (the triple product rotates), so
    :math:`\bar a = b \times g` and :math:`\bar b = g \times a` (each summed
    over broadcast axes).
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _operands(x1, x2)
    u = _as_3_vectors(np.moveaxis(a, axisa, -1), "x1")
    v = _as_3_vectors(np.moveaxis(b, axisb, -1), "x2")
    planar = a.shape[axisa] == 2 and b.shape[axisb] == 2
    c = _cross3(u, v)
    result = c[..., 2] if planar else np.moveaxis(c, -1, axisc)

    def vjp(g):
        if planar:                              # only z was returned: the rest had no use
            g3 = np.zeros(c.shape, g.dtype)
            g3[..., 2] = g
        else:
            g3 = np.moveaxis(g, axisc, -1)
        grad_u, grad_v = _cross3(v, g3), _cross3(g3, u)
        grad_a = unbroadcast(grad_u[..., :a.shape[axisa]], np.moveaxis(a, axisa, -1).shape)
        grad_b = unbroadcast(grad_v[..., :b.shape[axisb]], np.moveaxis(b, axisb, -1).shape)
        return np.moveaxis(grad_a, -1, axisa), np.moveaxis(grad_b, -1, axisb)
    return _record(result, (x1, x2), vjp)


_CORRELATE_MODES = ("valid", "same", "full")


def _correlate_dtype(a, b):
    """Keras's rule: int64 correlates in float64; other non-float16/64 inputs in float32."""
    kind = np.result_type(a.dtype, b.dtype)
    if kind == np.int64:
        return np.float64
    return kind if kind in (np.float16, np.float64) else np.float32


def correlate(x1, x2, mode="valid"):
    r"""Cross-correlation of two 1-D signals: :math:`c_k = \sum_n a_{n+k}\, v_n`.

    ``"full"`` keeps every shift where the signals overlap
    (:math:`M + N - 1` values), ``"valid"`` only those where one lies wholly
    inside the other (:math:`\max(M,N) - \min(M,N) + 1`), ``"same"`` the
    :math:`\max(M, N)` central ones, as NumPy does.

    Written as a matrix product: pad ``a`` with :math:`N-1` zeros each side,
    cut it into windows :math:`W_{kn} = a^{pad}_{k+n}`, and :math:`c = W v`.
    The gradients are the transposes: :math:`\bar v = W^\top g`, and each
    window hands :math:`g_k v_n` back to the entry of ``a`` it read.
    """
    if mode not in _CORRELATE_MODES:
        raise ValueError(f"ops.correlate: `mode` must be one of {_CORRELATE_MODES}; got "
                         f"{mode!r}. Fix: use 'valid' (default), 'same' or 'full'.")
    a, v = _operands(x1, x2)
    if a.ndim != 1 or v.ndim != 1:
        raise ValueError(f"ops.correlate: both signals must be 1-D; got shapes {a.shape} and "
                         f"{v.shape}. Fix: correlate one pair of 1-D signals per call.")
    dtype = _correlate_dtype(a, v)
    a, v = a.astype(dtype), v.astype(dtype)
    m, n = len(a), len(v)
    padded = np.pad(a, (n - 1, n - 1))
    windows = np.lib.stride_tricks.sliding_window_view(padded, n)     # (M+N-1, N)
    short, long = min(m, n), max(m, n)
    if mode == "full":
        start, length = 0, m + n - 1
    elif mode == "valid":
        start, length = short - 1, long - short + 1
    else:                       # NumPy centres "same" slightly differently when M < N
        start, length = (short - 1 - short // 2 if m >= n else short // 2), long
    rows = slice(start, start + length)
    kept = windows[rows]

    def vjp(g):
        grad_padded = np.zeros(padded.shape, np.result_type(g.dtype, dtype))
        offsets = np.arange(start, start + length)[:, None] + np.arange(n)[None, :]
        np.add.at(grad_padded, offsets, g[:, None] * v[None, :])    # entries read by many windows
        return grad_padded[n - 1:n - 1 + m], kept.T @ g
    return _record(kept @ v, (x1, x2), vjp)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    r"""Integral of samples ``y`` by the trapezoidal rule along ``axis``.

    :math:`\int y \approx \sum_i \tfrac12 (x_{i+1} - x_i)(y_i + y_{i+1})`, with
    :math:`x_{i+1} - x_i = ` ``dx`` when no sample points ``x`` are given.

    Gradients: each :math:`y_i` is in two trapezoids, so
    :math:`\bar y_i = \tfrac12 g\,(\Delta_{i-1} + \Delta_i)` (one term at the
    ends); each :math:`x_i` is the right end of one and the left of the next:
    :math:`\bar x_i = \tfrac12 g\,(y_{i-1} - y_{i+1})` (with
    :math:`\tfrac12 g(y_{i-1}+y_i)` or :math:`-\tfrac12 g(y_0+y_1)` at the ends);
    and :math:`\overline{dx} = \sum g \cdot \text{out}/dx`, i.e. the sum of the means.
    """
    values = _value(y)
    if values.dtype.kind != "f":                 # integer samples integrate to floatx
        values = values.astype(backend.floatx())
    last = np.moveaxis(values, axis, -1)
    means = (last[..., 1:] + last[..., :-1]) / 2                 # one per trapezoid
    operands = [y]
    if x is not None:
        xs = _value(x).astype(values.dtype) if _value(x).dtype.kind != "f" else _value(x)
        points = np.moveaxis(xs, axis, -1) if xs.ndim == values.ndim else xs
        widths = np.diff(points, axis=-1)
        operands.append(x)
    else:
        widths = np.asarray(_value(dx), dtype=values.dtype)
        operands.append(dx)
    out = (widths * means).sum(axis=-1).astype(values.dtype)

    def vjp(g):
        g = np.expand_dims(g, -1)
        share = np.zeros(last.shape, np.result_type(g.dtype, values.dtype))
        share[..., 1:] += g * widths / 2
        share[..., :-1] += g * widths / 2
        grad_y = np.moveaxis(share, -1, axis)
        if x is None:
            return grad_y, (g * means).sum()
        step = g * means                                       # d out / d width
        grad_points = np.zeros(np.broadcast_shapes(points.shape, last.shape), step.dtype)
        grad_points[..., 1:] += step
        grad_points[..., :-1] -= step
        grad_points = unbroadcast(grad_points, points.shape)
        grad_x = np.moveaxis(grad_points, -1, axis) if xs.ndim == values.ndim else grad_points
        return grad_y, grad_x
    return _record(out, tuple(operands), vjp)


__all__ = ["matmul", "dot", "einsum", "inner", "outer", "vdot", "tensordot", "kron",
           "cross", "correlate", "trapezoid"]
