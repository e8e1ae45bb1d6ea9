r"""``keras.ops``: NumPy-like operations that know their own derivatives.

Built-in layers, activations and losses write ``backward`` by hand. Code a
learner writes the Keras way -- a custom layer's ``call`` returning
``ops.matmul(x, self.w) + self.b``, a ``keras.losses.Loss`` subclass's
``call``, an activation ``lambda x: ops.maximum(x, 0)`` -- has no
``backward``, so kerastutor records the operations it runs on a **tape**
(:mod:`kerastutor.tape`) and walks the tape backwards. Each op here computes
its value with NumPy and, when a tape records and an operand is traced,
records its vector-Jacobian product, written next to the forward formula
exactly like a layer's backward.

The activations (``ops.relu``, ``ops.softmax``, ``ops.gelu``, ...) are the
objects of :mod:`kerastutor.activations`: their ``forward`` gives the value
and their own ``backward`` is the op's derivative, so no formula is written
twice.

Outside a tape every op simply returns a NumPy array.
"""
import numpy as np

from kerastutor import activations, backend
from kerastutor.tape import (RAW_NUMPY_HINT, RawNumpyError, Tape, TapeArithmetic, Traced,
                             VariableBase, _compare, _operands, _record, _value, add, current_training,
                             divide, greater, greater_equal, is_traced, less, less_equal,
                             matmul, multiply, negative, power, record_activation, subtract,
                             take_index, transpose, unbroadcast, GradientTape,
                             gradient_tape_records)

true_divide = divide
dot = matmul


# ================================================================== elementwise
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
    a, b = _operands(x1, x2)
    first = a >= b
    return _record(np.maximum(a, b), (x1, x2),
                   lambda g: (unbroadcast(g * first, a.shape),
                              unbroadcast(g * ~first, b.shape)))


def minimum(x1, x2):
    r"""Elementwise min; the gradient goes to the smaller operand."""
    a, b = _operands(x1, x2)
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
    c, (a, b) = _value(condition).astype(bool), _operands(x1, x2)
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


def take(x, indices, axis=None):
    """Gather entries (``np.take``); the gradient is scattered back with ``np.add.at``."""
    a, idx = _value(x), np.asarray(_value(indices)).astype(np.int64)
    if axis is None:
        return take_index(reshape(x, (-1,)), idx) if isinstance(x, (Traced, VariableBase)) \
            else np.take(a, idx)
    index = (slice(None),) * (axis % a.ndim) + (idx,)
    return take_index(x, index)


# ============================================================== activations
# Each is the activation object of kerastutor.activations, called on x: on a traced x
# its forward is recorded with its own backward as the derivative (tape.record_activation).
def relu(x):
    r""":math:`\max(x, 0)`; derivative :math:`[x > 0]` (:class:`~kerastutor.activations.ReLU`)."""
    return activations.ReLU()(x)


def relu6(x):
    r""":math:`\min(\max(x, 0), 6)` (:class:`~kerastutor.activations.ReLU6`)."""
    return activations.ReLU6()(x)


def leaky_relu(x, negative_slope=0.2):
    r""":math:`x` or :math:`\alpha x` below 0 (:class:`~kerastutor.activations.LeakyReLU`)."""
    return activations.LeakyReLU(negative_slope)(x)


def elu(x, alpha=1.0):
    r"""Exponential linear unit (:class:`~kerastutor.activations.ELU`)."""
    return activations.ELU(alpha)(x)


def selu(x):
    r"""Scaled exponential linear unit (:class:`~kerastutor.activations.SELU`)."""
    return activations.SELU()(x)


def gelu(x, approximate=True):
    r"""Gaussian error linear unit; Keras's *op* defaults to the tanh approximation
    (the activation ``keras.activations.gelu`` to the exact erf form).
    See :class:`~kerastutor.activations.GELU`."""
    return activations.GELU(approximate)(x)


def silu(x):
    r""":math:`x\,\sigma(x)` (:class:`~kerastutor.activations.SiLU`)."""
    return activations.SiLU()(x)


def sigmoid(x):
    r""":math:`\sigma(x)`; derivative :math:`\sigma(1 - \sigma)` (:class:`~kerastutor.activations.Sigmoid`)."""
    return activations.Sigmoid()(x)


def hard_sigmoid(x):
    r""":math:`\mathrm{relu6}(x + 3)/6` (:class:`~kerastutor.activations.HardSigmoid`)."""
    return activations.HardSigmoid()(x)


def log_sigmoid(x):
    r""":math:`\log\sigma(x)` (:class:`~kerastutor.activations.LogSigmoid`)."""
    return activations.LogSigmoid()(x)


def tanh(x):
    r""":math:`\tanh x`; derivative :math:`1 - \tanh^2 x` (:class:`~kerastutor.activations.Tanh`)."""
    return activations.Tanh()(x)


def softplus(x):
    r""":math:`\log(1 + e^x)`; derivative :math:`\sigma(x)` (:class:`~kerastutor.activations.Softplus`)."""
    return activations.Softplus()(x)


def softsign(x):
    r""":math:`x / (1 + |x|)` (:class:`~kerastutor.activations.Softsign`)."""
    return activations.Softsign()(x)


def softmax(x, axis=-1):
    r"""Softmax along ``axis``; VJP :math:`s \odot (g - \sum g s)` (:class:`~kerastutor.activations.Softmax`)."""
    return activations.Softmax(axis)(x)


def log_softmax(x, axis=-1):
    r""":math:`x - \mathrm{logsumexp}(x)` along ``axis`` (:class:`~kerastutor.activations.LogSoftmax`)."""
    return activations.LogSoftmax(axis)(x)


swish = silu


# ============================================================= non-differentiable
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


class nn:  # noqa: N801  (``keras.ops.nn.softmax`` and friends)
    """The ``keras.ops.nn`` namespace."""

    relu = staticmethod(relu)
    sigmoid = staticmethod(sigmoid)
    tanh = staticmethod(tanh)
    softplus = staticmethod(softplus)
    softmax = staticmethod(softmax)
    log_softmax = staticmethod(log_softmax)
    relu6 = staticmethod(relu6)
    leaky_relu = staticmethod(leaky_relu)
    elu = staticmethod(elu)
    selu = staticmethod(selu)
    gelu = staticmethod(gelu)
    silu = staticmethod(silu)
    swish = staticmethod(silu)
    hard_sigmoid = staticmethod(hard_sigmoid)
    log_sigmoid = staticmethod(log_sigmoid)
    softsign = staticmethod(softsign)
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
    "full", "eye", "arange", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish",
    "hard_sigmoid", "log_sigmoid", "softsign", "RawNumpyError", "RAW_NUMPY_HINT",
    "current_training", "is_traced", "record_activation", "VariableBase", "TapeArithmetic",
    "GradientTape", "gradient_tape_records",
]
