r"""Elementwise math: :math:`y_i = f(x_i)` or :math:`y_i = f(a_i, b_i)`, each with its derivative.

An elementwise op's Jacobian is diagonal, so its vector-Jacobian product is
the upstream gradient times the derivative, entry by entry:
:math:`\partial L/\partial x_i = g_i\, f'(x_i)`. A binary op broadcasts its
operands, so each operand's gradient is summed back over the axes it was
repeated along (:func:`~kerastutor.tape.unbroadcast`).

Comparisons, logical and bitwise ops give booleans or integers: they pass no
gradient, as in Keras. Rounding ops (``floor``, ``round``, ``sign``, ...) are
piecewise constant, so their derivative is zero almost everywhere and they
pass none either.
"""
import numpy as np

from kerastutor import activations
from kerastutor.tape import (_compare, _operands, _record, _value, add, divide, greater,
                             greater_equal, less, less_equal, multiply, negative, power,
                             subtract, unbroadcast)

true_divide = divide


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


def tanh(x):
    r""":math:`\tanh x`; derivative :math:`1 - \tanh^2 x` (:class:`~kerastutor.activations.Tanh`)."""
    return activations.Tanh()(x)


# ============================================================= no gradient
equal, not_equal = _compare(np.equal), _compare(np.not_equal)
logical_and, logical_or = _compare(np.logical_and), _compare(np.logical_or)


def logical_not(x):
    """Elementwise not (no gradient)."""
    return np.logical_not(_value(x))


def sign(x):
    """Elementwise sign (its derivative is zero almost everywhere: no gradient)."""
    return np.sign(_value(x))


def floor(x):
    """Round down (piecewise constant: no gradient)."""
    return np.floor(_value(x))


def round(x, decimals=0):  # noqa: A001
    """Round to ``decimals`` (piecewise constant: no gradient)."""
    return np.round(_value(x), decimals)


__all__ = ["add", "subtract", "multiply", "divide", "true_divide", "negative", "power",
           "square", "sqrt", "exp", "log", "log1p", "absolute", "abs", "maximum", "minimum",
           "clip", "where", "sin", "cos", "tanh", "greater", "greater_equal", "less", "less_equal",
           "equal", "not_equal", "logical_and", "logical_or", "logical_not", "sign", "floor",
           "round"]
