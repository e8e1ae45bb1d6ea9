r"""``keras.ops``: NumPy-like operations that know their own derivatives.

Built-in layers write ``backward`` by hand. A *custom* layer written the
Keras way -- ``call(self, x)`` returning ``ops.matmul(x, self.w) + self.b`` --
has no ``backward``, so kerastutor records the operations its ``call`` runs
on a **tape** and walks the tape backwards. This is automatic
differentiation in its simplest form (reverse mode), one op at a time:

* every op computes its value with NumPy and, when a tape is recording and
  one of its operands is being traced, appends ``(output, operands,
  backward)`` to the tape;
* ``backward(g)`` of an op is its vector-Jacobian product: given
  :math:`g = \partial L/\partial \text{out}` it returns
  :math:`\partial L/\partial \text{operand}` for each operand, written next
  to the forward formula exactly like a layer's backward;
* :meth:`Tape.backward` visits the records in reverse and **adds** the
  gradients of values used more than once (the chain rule's sum).

Broadcasting: ``x + b`` with ``x`` of shape ``(N, U)`` and ``b`` of shape
``(U,)`` uses ``b`` N times, so its gradient is the upstream gradient
*summed* over the broadcast axis (:func:`unbroadcast`).

Outside a tape every op simply returns a NumPy array.
"""
import numpy as np

from kerastutor import backend

_TAPES = []          # the tapes recording now (innermost last)


# ======================================================================== the tape
class TapeArithmetic:
    """The Python operators of a value the tape follows, each recorded as its op.

    :class:`Traced` values and weights (:class:`VariableBase`) both have them,
    so ``x @ w + b`` inside a custom layer's ``call`` lands on the tape.
    """

    __slots__ = ()

    def __add__(self, other): return add(self, other)
    def __radd__(self, other): return add(other, self)
    def __sub__(self, other): return subtract(self, other)
    def __rsub__(self, other): return subtract(other, self)
    def __mul__(self, other): return multiply(self, other)
    def __rmul__(self, other): return multiply(other, self)
    def __truediv__(self, other): return divide(self, other)
    def __rtruediv__(self, other): return divide(other, self)
    def __matmul__(self, other): return matmul(self, other)
    def __rmatmul__(self, other): return matmul(other, self)
    def __pow__(self, other): return power(self, other)
    def __neg__(self): return negative(self)


class Traced(TapeArithmetic):
    """A value computed while a tape records: the array, and that it has a history.

    It supports ``+ - * / @ **``, unary minus, indexing, ``.shape``,
    ``.ndim``, ``.dtype`` and ``.T``, all recorded. NumPy functions refuse it
    (their derivative is unknown): use :mod:`kerastutor.ops` instead.
    """

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # ``numpy_array + traced`` reaches here: arithmetic is recorded as the op.
        # Any other NumPy function (np.exp, np.dot, ...) would lose the tape.
        operator = _ARITHMETIC_UFUNCS.get(ufunc.__name__)
        if method != "__call__" or operator is None or kwargs:
            raise TypeError(RAW_NUMPY_HINT)
        return operator(*inputs)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(RAW_NUMPY_HINT)

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(RAW_NUMPY_HINT)

    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    dtype = property(lambda self: self.value.dtype)
    T = property(lambda self: transpose(self))

    def __getitem__(self, index): return take_index(self, index)
    def __gt__(self, other): return greater(self, other)
    def __lt__(self, other): return less(self, other)
    def __ge__(self, other): return greater_equal(self, other)
    def __le__(self, other): return less_equal(self, other)

    def __repr__(self):
        return f"<Traced shape={self.value.shape} dtype={self.value.dtype}>"


class VariableBase(TapeArithmetic):
    """What the tape knows of a :class:`~kerastutor.weight.Weight`: a leaf with a ``.grad``.

    Two kinds of operand have a history on the tape: :class:`Traced` values
    (computed inside ``call``), and weights, whose gradients the tape **adds**
    into ``.grad``. ``Weight`` inherits from this class, so ``w * 2.0`` and
    ``x @ w`` inside a custom layer's ``call`` run through these ops and are
    recorded -- as arithmetic on a Keras variable is -- while this module never
    imports :mod:`kerastutor.weight` (the weight module imports this one).
    """

    __slots__ = ()


RAW_NUMPY_HINT = (
    "A NumPy function was applied to a value kerastutor is tracing, so its derivative "
    "is unknown. Two ways out: compute with keras.ops (ops.exp, ops.matmul, ...) inside "
    "call(), or write the layer's backward(cache, grad_out) by hand.")


class Tape:
    """Records the ops run inside ``with tape:`` and differentiates them afterwards."""

    def __init__(self, training=False):
        self.records = []                   # (output, operands, backward), in run order
        self.training = training            # what layers called inside inherit

    def __enter__(self):
        _TAPES.append(self)
        return self

    def __exit__(self, *exc):
        _TAPES.remove(self)

    def watch(self, array):
        """Start tracing ``array`` (a layer's input): ops on it will be recorded."""
        return Traced(np.asarray(array))

    def backward(self, output, grad_output):
        """Walk the records in reverse from ``output``.

        Gradients of watched values are returned in a dict keyed by
        ``id(value)``; gradients of weights (:class:`VariableBase`)
        are **added** into their ``.grad``.
        """
        grads = {id(output): grad_output}
        for out, operands, vjp in reversed(self.records):
            g = grads.pop(id(out), None)
            if g is None:
                continue                    # this op does not lead to the output
            for operand, operand_grad in zip(operands, vjp(g)):
                if operand_grad is None:
                    continue
                if isinstance(operand, VariableBase):
                    operand.grad += operand_grad
                elif isinstance(operand, Traced):
                    key = id(operand)
                    grads[key] = operand_grad if key not in grads else grads[key] + operand_grad
        return grads


def current_training():
    """The ``training`` flag of the innermost recording tape (False if none)."""
    return _TAPES[-1].training if _TAPES else False


def _value(x):
    """The NumPy array behind an operand (a Traced value, a Weight, or array-like)."""
    if isinstance(x, (Traced, VariableBase)):
        return x.value
    return np.asarray(x)


def _record(result, operands, vjp):
    """Return ``result``, traced and recorded if a tape records and an operand is traced."""
    if not _TAPES or not any(isinstance(o, (Traced, VariableBase)) for o in operands):
        return result
    out = Traced(np.asarray(result))
    _TAPES[-1].records.append((out, operands, vjp))
    return out


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes broadcasting added, back to ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


# ================================================================== arithmetic
def add(x1, x2):
    r""":math:`x_1 + x_2`; both gradients are :math:`g` (summed over broadcast axes)."""
    a, b = _value(x1), _value(x2)
    return _record(a + b, (x1, x2),
                   lambda g: (unbroadcast(g, a.shape), unbroadcast(g, b.shape)))


def subtract(x1, x2):
    r""":math:`x_1 - x_2`; gradients :math:`g` and :math:`-g`."""
    a, b = _value(x1), _value(x2)
    return _record(a - b, (x1, x2),
                   lambda g: (unbroadcast(g, a.shape), unbroadcast(-g, b.shape)))


def multiply(x1, x2):
    r""":math:`x_1 x_2`; gradients :math:`g\,x_2` and :math:`g\,x_1`."""
    a, b = _value(x1), _value(x2)
    return _record(a * b, (x1, x2),
                   lambda g: (unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)))


def divide(x1, x2):
    r""":math:`x_1 / x_2`; gradients :math:`g / x_2` and :math:`-g\,x_1 / x_2^2`."""
    a, b = _value(x1), _value(x2)
    return _record(a / b, (x1, x2),
                   lambda g: (unbroadcast(g / b, a.shape),
                              unbroadcast(-g * a / (b * b), b.shape)))


true_divide = divide


def negative(x):
    r""":math:`-x`; gradient :math:`-g`."""
    return _record(-_value(x), (x,), lambda g: (-g,))


def power(x1, x2):
    r""":math:`x_1^{x_2}`; gradients :math:`g\,x_2 x_1^{x_2-1}` and :math:`g\,x_1^{x_2}\log x_1`."""
    a, b = _value(x1), _value(x2)
    out = np.power(a, b)

    def vjp(g):
        grad_b = None
        if isinstance(x2, (Traced, VariableBase)):
            grad_b = unbroadcast(g * out * np.log(np.where(a > 0, a, 1)), b.shape)
        return unbroadcast(g * b * np.power(a, b - 1), a.shape), grad_b
    return _record(out, (x1, x2), vjp)


def square(x):
    r""":math:`x^2`; gradient :math:`2xg`."""
    a = _value(x)
    return _record(a * a, (x,), lambda g: (2 * a * g,))


def sqrt(x):
    r""":math:`\sqrt x`; gradient :math:`g / (2\sqrt x)`."""
    out = np.sqrt(_value(x))
    return _record(out, (x,), lambda g: (g / (2 * out),))


def exp(x):
    r""":math:`e^x`; gradient :math:`g\,e^x`."""
    out = np.exp(_value(x))
    return _record(out, (x,), lambda g: (g * out,))


def log(x):
    r""":math:`\log x`; gradient :math:`g / x`."""
    a = _value(x)
    return _record(np.log(a), (x,), lambda g: (g / a,))


def log1p(x):
    r""":math:`\log(1 + x)`; gradient :math:`g / (1 + x)`."""
    a = _value(x)
    return _record(np.log1p(a), (x,), lambda g: (g / (1 + a),))


def absolute(x):
    r""":math:`|x|`; gradient :math:`g\,\mathrm{sign}(x)`."""
    a = _value(x)
    return _record(np.abs(a), (x,), lambda g: (g * np.sign(a),))


abs = absolute  # noqa: A001  (Keras's name)


def matmul(x1, x2):
    r""":math:`x_1 x_2` (last two axes); gradients :math:`g x_2^\top` and :math:`x_1^\top g`."""
    a, b = _value(x1), _value(x2)

    def vjp(g):
        a2, b2 = (a[None] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)
        g2 = g.reshape(a2.shape[:-1] + b2.shape[-1:])
        grad_a = g2 @ np.swapaxes(b2, -1, -2)
        grad_b = np.swapaxes(a2, -1, -2) @ g2
        return (unbroadcast(grad_a, a2.shape).reshape(a.shape),
                unbroadcast(grad_b, b2.shape).reshape(b.shape))
    return _record(a @ b, (x1, x2), vjp)


dot = matmul


def einsum(subscripts, *operands):
    r"""Einstein summation, e.g. ``einsum("ij,jk->ik", a, b)`` is a matmul.

    The gradient of operand :math:`k` is itself an einsum: contract the
    upstream gradient (with the output's letters) against the *other*
    operands, producing operand :math:`k`'s letters. Letters that only
    operand :math:`k` has were summed away in the forward pass, so every
    entry along them gets the same gradient (broadcast back).
    """
    if "->" not in subscripts or "." in subscripts:
        raise ValueError(f"ops.einsum: write the output explicitly and without '...', e.g. "
                         f"'ij,jk->ik'; got {subscripts!r}.")
    inputs, out_subs = subscripts.replace(" ", "").split("->")
    subs = inputs.split(",")
    values = [_value(o) for o in operands]

    def vjp(g):
        grads = []
        for k, (own, a) in enumerate(zip(subs, values)):
            others = [(values[j], subs[j]) for j in range(len(values)) if j != k]
            present = set(out_subs).union(*[set(letters) for _, letters in others])
            kept = "".join(c for c in own if c in present)
            expression = ",".join([out_subs] + [letters for _, letters in others]) + "->" + kept
            partial = np.einsum(expression, g, *[v for v, _ in others])
            for axis, letter in enumerate(own):
                if letter not in present:              # summed only here: broadcast back
                    partial = np.expand_dims(partial, axis)
            grads.append(np.broadcast_to(partial, a.shape).copy())
        return tuple(grads)
    return _record(np.einsum(subscripts, *values), tuple(operands), vjp)


def maximum(x1, x2):
    r"""Elementwise max; the gradient goes to the larger operand."""
    a, b = _value(x1), _value(x2)
    first = a >= b
    return _record(np.maximum(a, b), (x1, x2),
                   lambda g: (unbroadcast(g * first, a.shape),
                              unbroadcast(g * ~first, b.shape)))


def minimum(x1, x2):
    r"""Elementwise min; the gradient goes to the smaller operand."""
    a, b = _value(x1), _value(x2)
    first = a <= b
    return _record(np.minimum(a, b), (x1, x2),
                   lambda g: (unbroadcast(g * first, a.shape),
                              unbroadcast(g * ~first, b.shape)))


def clip(x, x_min, x_max):
    r""":math:`\min(\max(x, a), b)`; gradient :math:`g` inside :math:`[a, b]`, else 0."""
    a = _value(x)
    inside = (a >= x_min) & (a <= x_max)
    return _record(np.clip(a, x_min, x_max), (x,), lambda g: (g * inside,))


def where(condition, x1, x2):
    r"""``x1`` where ``condition`` else ``x2``; each gets :math:`g` where it was chosen."""
    c, a, b = _value(condition).astype(bool), _value(x1), _value(x2)
    return _record(np.where(c, a, b), (condition, x1, x2),
                   lambda g: (None, unbroadcast(np.where(c, g, 0), a.shape),
                              unbroadcast(np.where(c, 0, g), b.shape)))


def sin(x):
    r""":math:`\sin x`; gradient :math:`g \cos x`."""
    a = _value(x)
    return _record(np.sin(a), (x,), lambda g: (g * np.cos(a),))


def cos(x):
    r""":math:`\cos x`; gradient :math:`-g \sin x`."""
    a = _value(x)
    return _record(np.cos(a), (x,), lambda g: (-g * np.sin(a),))


# ================================================================ reductions
def _expand(g, shape, axis, keepdims):
    """Put reduced axes back so ``g`` broadcasts against the input."""
    if axis is None or keepdims:
        return g if keepdims else np.broadcast_to(g, shape)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = sorted(a % len(shape) for a in axes)
    for a in axes:
        g = np.expand_dims(g, a)
    return g


def sum(x, axis=None, keepdims=False):  # noqa: A001
    r""":math:`\sum x`; gradient: :math:`g` copied to every summed entry."""
    a = _value(x)
    return _record(a.sum(axis=axis, keepdims=keepdims), (x,),
                   lambda g: (np.broadcast_to(_expand(g, a.shape, axis, keepdims), a.shape)
                              .copy(),))


def mean(x, axis=None, keepdims=False):
    r"""Mean; gradient :math:`g / n` to every averaged entry."""
    a = _value(x)
    count = a.size / np.asarray(a.mean(axis=axis)).size     # entries per average
    return _record(a.mean(axis=axis, keepdims=keepdims), (x,),
                   lambda g: (np.broadcast_to(_expand(g, a.shape, axis, keepdims) / count,
                                              a.shape).copy(),))


def _extreme(x, axis, keepdims, reduce):
    a = _value(x)
    out = reduce(a, axis=axis, keepdims=True)
    winners = (a == out)
    winners = winners / winners.sum(axis=axis, keepdims=True)   # ties share the gradient
    result = out if keepdims else (out.reshape(()) if axis is None else out.squeeze(axis))
    return _record(result, (x,),
                   lambda g: (_expand(g, a.shape, axis, keepdims) * winners,))


def max(x, axis=None, keepdims=False):  # noqa: A001
    """Maximum; the gradient goes to the maximal entries (split between ties)."""
    return _extreme(x, axis, keepdims, np.max)


def min(x, axis=None, keepdims=False):  # noqa: A001
    """Minimum; the gradient goes to the minimal entries (split between ties)."""
    return _extreme(x, axis, keepdims, np.min)


def prod(x, axis=None, keepdims=False):
    r""":math:`\prod x`; gradient :math:`g \prod x / x_i` (inputs assumed non-zero)."""
    a = _value(x)
    out = np.prod(a, axis=axis, keepdims=True)
    result = out if keepdims else (out.reshape(()) if axis is None else out.squeeze(axis))
    return _record(result, (x,),
                   lambda g: (_expand(g, a.shape, axis, keepdims) * out / a,))


def logsumexp(x, axis=None, keepdims=False):
    r""":math:`\log\sum e^x` (stable); gradient :math:`g\,\mathrm{softmax}(x)`."""
    a = _value(x)
    top = a.max(axis=axis, keepdims=True)
    total = np.exp(a - top).sum(axis=axis, keepdims=True)
    out = top + np.log(total)
    weights = np.exp(a - out)
    result = out if keepdims else (out.reshape(()) if axis is None else out.squeeze(axis))
    return _record(result, (x,), lambda g: (_expand(g, a.shape, axis, keepdims) * weights,))


def var(x, axis=None, keepdims=False):
    r"""Variance :math:`\mathrm{mean}((x - \bar x)^2)` -- built from recorded ops,
    so its gradient needs no rule of its own."""
    centred = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centred), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    r"""Standard deviation :math:`\sqrt{\mathrm{var}(x)}` (composed of recorded ops)."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum: an integer, so no gradient flows through it."""
    return np.argmax(_value(x), axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum (no gradient)."""
    return np.argmin(_value(x), axis=axis, keepdims=keepdims)


# ================================================================ shapes
def reshape(x, newshape):
    """Same values, new shape; the gradient is reshaped back."""
    a = _value(x)
    return _record(a.reshape(newshape), (x,), lambda g: (g.reshape(a.shape),))


def transpose(x, axes=None):
    """Permute axes; the gradient is permuted back."""
    a = _value(x)
    inverse = None if axes is None else np.argsort(axes)
    return _record(np.transpose(a, axes), (x,), lambda g: (np.transpose(g, inverse),))


def expand_dims(x, axis):
    """Insert an axis of length 1."""
    a = _value(x)
    return _record(np.expand_dims(a, axis), (x,), lambda g: (g.reshape(a.shape),))


def squeeze(x, axis=None):
    """Remove axes of length 1."""
    a = _value(x)
    return _record(np.squeeze(a, axis), (x,), lambda g: (g.reshape(a.shape),))


def concatenate(xs, axis=0):
    """Join along ``axis``; the gradient is split at the same places."""
    values = [_value(x) for x in xs]
    cuts = np.cumsum([v.shape[axis] for v in values])[:-1]
    return _record(np.concatenate(values, axis=axis), tuple(xs),
                   lambda g: tuple(np.split(g, cuts, axis=axis)))


def stack(xs, axis=0):
    """Stack along a new axis; the gradient is unstacked."""
    values = [_value(x) for x in xs]
    return _record(np.stack(values, axis=axis), tuple(xs),
                   lambda g: tuple(np.moveaxis(g, axis, 0)))


def split(x, indices_or_sections, axis=0):
    """Split into pieces; each piece records its own slice (see :func:`take_index`)."""
    a = _value(x)
    pieces = np.split(np.arange(a.shape[axis]), indices_or_sections)
    return [take_index(x, (slice(None),) * (axis % a.ndim) + (slice(p[0], p[-1] + 1),))
            if len(p) else np.take(a, p, axis=axis) for p in pieces]


def take_index(x, index):
    """``x[index]``; the gradient is scattered back (added where indices repeat)."""
    a = _value(x)

    def vjp(g):
        grad = np.zeros_like(a)
        np.add.at(grad, index, g)
        return (grad,)
    return _record(a[index], (x,), vjp)


def take(x, indices, axis=None):
    """Gather entries (``np.take``); the gradient is scattered back with ``np.add.at``."""
    a, idx = _value(x), np.asarray(_value(indices)).astype(np.int64)
    if axis is None:
        return take_index(reshape(x, (-1,)), idx) if isinstance(x, (Traced, VariableBase)) \
            else np.take(a, idx)
    index = (slice(None),) * (axis % a.ndim) + (idx,)
    return take_index(x, index)


# ============================================================== activations
def relu(x):
    r""":math:`\max(x, 0)`; gradient :math:`g\,[x > 0]`."""
    a = _value(x)
    return _record(np.maximum(a, 0), (x,), lambda g: (g * (a > 0),))


def sigmoid(x):
    r""":math:`\sigma(x)`; gradient :math:`g\,\sigma(1 - \sigma)`."""
    a = _value(x)
    out = np.exp(-np.logaddexp(0, -a))
    return _record(out, (x,), lambda g: (g * out * (1 - out),))


def tanh(x):
    r""":math:`\tanh x`; gradient :math:`g (1 - \tanh^2 x)`."""
    out = np.tanh(_value(x))
    return _record(out, (x,), lambda g: (g * (1 - out * out),))


def softplus(x):
    r""":math:`\log(1 + e^x)`; gradient :math:`g\,\sigma(x)`."""
    a = _value(x)
    return _record(np.logaddexp(a, 0), (x,), lambda g: (g * np.exp(-np.logaddexp(0, -a)),))


def softmax(x, axis=-1):
    r"""Softmax; gradient :math:`s \odot (g - \sum g s)`."""
    a = _value(x)
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    s = e / e.sum(axis=axis, keepdims=True)
    return _record(s, (x,), lambda g: (s * (g - (g * s).sum(axis=axis, keepdims=True)),))


def log_softmax(x, axis=-1):
    r""":math:`x - \mathrm{logsumexp}(x)`; gradient :math:`g - \mathrm{softmax}(x) \sum g`."""
    a = _value(x)
    shifted = a - a.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return _record(out, (x,),
                   lambda g: (g - np.exp(out) * g.sum(axis=axis, keepdims=True),))


# ============================================================= non-differentiable
def _compare(fn):
    def op(x1, x2):
        return fn(_value(x1), _value(x2))
    op.__doc__ = f"``{fn.__name__}`` elementwise (a boolean array: no gradient)."
    return op


greater, greater_equal = _compare(np.greater), _compare(np.greater_equal)
less, less_equal = _compare(np.less), _compare(np.less_equal)
equal, not_equal = _compare(np.equal), _compare(np.not_equal)
logical_and, logical_or = _compare(np.logical_and), _compare(np.logical_or)


def logical_not(x):
    """Elementwise not (no gradient)."""
    return np.logical_not(_value(x))


def sign(x):
    """Elementwise sign (its derivative is zero almost everywhere: no gradient)."""
    return np.sign(_value(x))


def one_hot(x, num_classes, axis=-1, dtype=None):
    """Integer labels to one-hot rows (no gradient)."""
    labels = np.asarray(_value(x)).astype(np.int64)
    out = np.eye(num_classes, dtype=dtype or backend.floatx())[labels]
    return np.moveaxis(out, -1, axis) if axis != -1 else out


def cast(x, dtype):
    """Change the dtype; the gradient is cast back for float inputs."""
    a = _value(x)
    out = a.astype(dtype)
    if np.dtype(dtype).kind != "f":
        return out
    return _record(out, (x,), lambda g: (g.astype(a.dtype),))


def convert_to_tensor(x, dtype=None):
    """An array (traced values pass through unchanged)."""
    if isinstance(x, (Traced, VariableBase)):
        return x
    return np.asarray(x, dtype=dtype)


def convert_to_numpy(x):
    """A plain NumPy array (for a traced value: its current value, off the tape)."""
    return np.array(_value(x))


def shape(x):
    """The shape of ``x`` (a tuple)."""
    return _value(x).shape


def floor(x):
    """Round down (piecewise constant: no gradient)."""
    return np.floor(_value(x))


def round(x, decimals=0):  # noqa: A001
    """Round to ``decimals`` (piecewise constant: no gradient)."""
    return np.round(_value(x), decimals)


def zeros(shape, dtype=None):
    """A constant array of zeros (``floatx()`` by default)."""
    return np.zeros(shape, dtype=dtype or backend.floatx())


def ones(shape, dtype=None):
    """A constant array of ones."""
    return np.ones(shape, dtype=dtype or backend.floatx())


def full(shape, fill_value, dtype=None):
    """A constant array filled with ``fill_value``."""
    return np.full(shape, fill_value, dtype=dtype or backend.floatx())


def eye(n, m=None, dtype=None):
    """The identity matrix (constant)."""
    return np.eye(n, m, dtype=dtype or backend.floatx())


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values (constant)."""
    return np.arange(start, stop, step, dtype=dtype)


def ones_like(x, dtype=None):
    return np.ones_like(_value(x), dtype=dtype)


def zeros_like(x, dtype=None):
    return np.zeros_like(_value(x), dtype=dtype)


_ARITHMETIC_UFUNCS = {"add": add, "subtract": subtract, "multiply": multiply,
                      "divide": divide, "true_divide": divide, "matmul": matmul,
                      "negative": negative, "power": power}


class nn:  # noqa: N801  (``keras.ops.nn.softmax`` and friends)
    """The ``keras.ops.nn`` namespace."""

    relu = staticmethod(relu)
    sigmoid = staticmethod(sigmoid)
    tanh = staticmethod(tanh)
    softplus = staticmethod(softplus)
    softmax = staticmethod(softmax)
    log_softmax = staticmethod(log_softmax)
    one_hot = staticmethod(one_hot)


__all__ = [
    "Tape", "Traced", "unbroadcast", "add", "subtract", "multiply", "divide", "true_divide",
    "negative", "power", "square", "sqrt", "exp", "log", "log1p", "absolute", "abs",
    "matmul", "dot", "einsum", "maximum", "minimum", "clip", "where", "sum", "mean", "max", "min",
    "prod", "logsumexp", "argmax", "argmin", "reshape", "transpose", "expand_dims",
    "squeeze", "concatenate", "stack", "split", "take", "take_index", "relu", "sigmoid",
    "tanh", "softplus", "softmax", "log_softmax", "greater", "greater_equal", "less",
    "less_equal", "equal", "not_equal", "logical_and", "logical_or", "logical_not", "sign",
    "one_hot", "cast", "convert_to_tensor", "convert_to_numpy", "shape", "ones_like",
    "zeros_like", "nn", "sin", "cos", "var", "std", "floor", "round", "zeros", "ones",
    "full", "eye", "arange",
]
