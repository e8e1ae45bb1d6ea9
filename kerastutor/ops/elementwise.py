r"""Elementwise math: :math:`y_i = f(x_i)` or :math:`y_i = f(a_i, b_i)`, each with its derivative.

An elementwise op's Jacobian is diagonal, so its vector-Jacobian product is
the upstream gradient times the derivative, entry by entry:
:math:`\partial L/\partial x_i = g_i\, f'(x_i)`. A binary op broadcasts its
operands, so each operand's gradient is summed back over the axes it was
repeated along (:func:`~kerastutor.tape.unbroadcast`).

Comparisons, logical and bitwise ops give booleans or integers: they pass no
gradient, as in Keras. Rounding ops (``floor``, ``round``, ``sign``, ...) are
piecewise constant, so their derivative is zero almost everywhere and they
pass none either: they return plain NumPy arrays even on traced inputs.

**Dtypes.** The ops follow Keras: a float32 input gives a float32 output; an
integer input to a float function (``exp``, ``sqrt``, ``arctan2``, ...) gives
``backend.floatx()``; Python numbers are *weak* (``x * 2.0`` stays float32,
``int32_array + 1`` stays int32) and Python numbers or lists on their own
become int32 or ``floatx()``. One deliberate difference: float64 stays float64
(Keras's JAX-like promotion narrows several ops to float32), so that the
gradient checks, which run in float64, measure the formulas and not rounding.

The arithmetic operators ``+ - * / ** @`` and ``add``, ``subtract``,
``multiply``, ``divide``, ``true_divide``, ``negative``, ``power``,
``greater``, ``greater_equal``, ``less``, ``less_equal`` live in
:mod:`kerastutor.tape` (a traced value's operators need them) and are
re-exported here.
"""
import numpy as np

from kerastutor import activations, backend
from kerastutor.tape import (_common, _common_floating, _record, _tensor,
                             add, divide, greater, greater_equal, is_traced, less, less_equal,
                             multiply, negative, power, subtract, unbroadcast)

true_divide = divide


# ======================================================================== dtypes
def _floating(x, int64_to_float64=False):
    """``x`` as a float array: integers and booleans become ``floatx()``.

    Some Keras ops (``cbrt``, ``deg2rad``, ``rad2deg``, ``i0``) turn int64 into
    float64 instead, where float32 could not hold every int64 value.
    """
    a = _tensor(x)
    if a.dtype.kind in "fc":
        return a
    wide = int64_to_float64 and a.dtype == np.int64
    return a.astype(np.float64 if wide else backend.floatx())


def _where(mask, g):
    """``g`` where ``mask`` holds, else 0, in ``g``'s dtype (a gradient routed by a choice)."""
    return np.where(mask, g, 0)


# ============================================================= powers and roots
def square(x):
    r""":math:`x^2`; derivative :math:`2x`, so the gradient is :math:`2xg`.

    Integers stay integers (booleans become int32, as in Keras).
    """
    a = _tensor(x)
    if a.dtype == np.bool_:
        a = a.astype(np.int32)
    return _record(a * a, (x,), lambda g: (2 * a * g,))


def sqrt(x):
    r""":math:`\sqrt x`; derivative :math:`1 / (2\sqrt x)`, infinite at 0."""
    out = np.sqrt(_floating(x))
    return _record(out, (x,), lambda g: (g / (2 * out),))


def cbrt(x):
    r"""The real cube root :math:`\sqrt[3]{x}` (negative for negative :math:`x`).

    Derivative :math:`\tfrac13 x^{-2/3} = 1 / (3\,\sqrt[3]{x}^{\,2})`, infinite at 0.
    """
    out = np.cbrt(_floating(x, int64_to_float64=True))
    return _record(out, (x,), lambda g: (g / (3 * out * out),))


def reciprocal(x):
    r""":math:`1/x`; derivative :math:`-1/x^2`."""
    a = _floating(x)
    out = np.reciprocal(a)
    return _record(out, (x,), lambda g: (-g * out * out,))


# ============================================================= exponentials and logarithms
def exp(x):
    r""":math:`e^x`; derivative :math:`e^x` (the output itself)."""
    out = np.exp(_floating(x))
    return _record(out, (x,), lambda g: (g * out,))


def exp2(x):
    r""":math:`2^x`; derivative :math:`2^x \ln 2`."""
    out = np.exp2(_floating(x))
    return _record(out, (x,), lambda g: (g * out * np.log(2.0).astype(out.dtype),))


def expm1(x):
    r""":math:`e^x - 1`, accurate for small :math:`x`; derivative :math:`e^x`."""
    a = _floating(x)
    return _record(np.expm1(a), (x,), lambda g: (g * np.exp(a),))


def log(x):
    r""":math:`\ln x`; derivative :math:`1/x`."""
    a = _floating(x)
    return _record(np.log(a), (x,), lambda g: (g / a,))


def log2(x):
    r""":math:`\log_2 x = \ln x / \ln 2`; derivative :math:`1 / (x \ln 2)`."""
    a = _floating(x)
    return _record(np.log2(a), (x,), lambda g: (g / (a * np.log(2.0).astype(a.dtype)),))


def log10(x):
    r""":math:`\log_{10} x = \ln x / \ln 10`; derivative :math:`1 / (x \ln 10)`."""
    a = _floating(x)
    return _record(np.log10(a), (x,), lambda g: (g / (a * np.log(10.0).astype(a.dtype)),))


def log1p(x):
    r""":math:`\ln(1 + x)`, accurate for small :math:`x`; derivative :math:`1 / (1 + x)`."""
    a = _floating(x)
    return _record(np.log1p(a), (x,), lambda g: (g / (1 + a),))


def logaddexp(x1, x2):
    r""":math:`\ln(e^{x_1} + e^{x_2})`, computed without overflow.

    Derivatives: :math:`e^{x_1 - y}` and :math:`e^{x_2 - y}` with :math:`y` the
    output -- a softmax of the two inputs, so the two add up to 1.
    """
    a, b = _common_floating(x1, x2)
    out = np.logaddexp(a, b)
    return _record(out, (x1, x2),
                   lambda g: (unbroadcast(g * np.exp(a - out), a.shape),
                              unbroadcast(g * np.exp(b - out), b.shape)))


def logaddexp2(x1, x2):
    r""":math:`\log_2(2^{x_1} + 2^{x_2})`; derivatives :math:`2^{x_1 - y}` and :math:`2^{x_2 - y}`."""
    a, b = _common_floating(x1, x2)
    out = np.logaddexp2(a, b)
    return _record(out, (x1, x2),
                   lambda g: (unbroadcast(g * np.exp2(a - out), a.shape),
                              unbroadcast(g * np.exp2(b - out), b.shape)))


def ldexp(x1, x2):
    r""":math:`x_1 \cdot 2^{x_2}` with an integer exponent :math:`x_2`.

    Derivative :math:`2^{x_2}` with respect to :math:`x_1`; the integer
    exponent gets no gradient.
    """
    exponent = _tensor(x2)
    if exponent.dtype.kind not in "iu":
        raise TypeError(
            f"ops.ldexp: `x2` (the exponent of 2) must be an integer array; got dtype "
            f"{exponent.dtype}. Fix: ops.cast(x2, 'int32'), or use x1 * ops.exp2(x2) for "
            f"a float exponent.")
    a = _floating(x1)
    out = np.ldexp(a, exponent).astype(a.dtype, copy=False)
    return _record(out, (x1, x2),
                   lambda g: (unbroadcast(np.ldexp(g, exponent), a.shape), None))


# ============================================================= trigonometric functions
def sin(x):
    r""":math:`\sin x`; derivative :math:`\cos x`."""
    a = _floating(x)
    return _record(np.sin(a), (x,), lambda g: (g * np.cos(a),))


def cos(x):
    r""":math:`\cos x`; derivative :math:`-\sin x`."""
    a = _floating(x)
    return _record(np.cos(a), (x,), lambda g: (-g * np.sin(a),))


def tan(x):
    r""":math:`\tan x`; derivative :math:`1 + \tan^2 x = 1/\cos^2 x`."""
    out = np.tan(_floating(x))
    return _record(out, (x,), lambda g: (g * (1 + out * out),))


def arcsin(x):
    r""":math:`\arcsin x` on :math:`[-1, 1]`; derivative :math:`1/\sqrt{1 - x^2}`."""
    a = _floating(x)
    return _record(np.arcsin(a), (x,), lambda g: (g / np.sqrt(1 - a * a),))


def arccos(x):
    r""":math:`\arccos x` on :math:`[-1, 1]`; derivative :math:`-1/\sqrt{1 - x^2}`."""
    a = _floating(x)
    return _record(np.arccos(a), (x,), lambda g: (-g / np.sqrt(1 - a * a),))


def arctan(x):
    r""":math:`\arctan x`; derivative :math:`1/(1 + x^2)`."""
    a = _floating(x)
    return _record(np.arctan(a), (x,), lambda g: (g / (1 + a * a),))


def arctan2(x1, x2):
    r"""The angle of the point :math:`(x_2, x_1)`: :math:`\operatorname{atan2}(x_1, x_2) \in (-\pi, \pi]`.

    With :math:`r^2 = x_1^2 + x_2^2` the derivatives are :math:`x_2 / r^2`
    (for :math:`x_1`) and :math:`-x_1 / r^2` (for :math:`x_2`).
    """
    a, b = _common_floating(x1, x2)

    def vjp(g):
        r2 = a * a + b * b
        return unbroadcast(g * b / r2, a.shape), unbroadcast(-g * a / r2, b.shape)
    return _record(np.arctan2(a, b), (x1, x2), vjp)


def hypot(x1, x2):
    r""":math:`\sqrt{x_1^2 + x_2^2}`, computed without overflow.

    Derivatives :math:`x_1 / y` and :math:`x_2 / y` (the unit vector toward the point).
    """
    a, b = _common_floating(x1, x2)
    out = np.hypot(a, b)
    return _record(out, (x1, x2),
                   lambda g: (unbroadcast(g * a / out, a.shape),
                              unbroadcast(g * b / out, b.shape)))


def sinc(x):
    r"""The normalised sinc :math:`\sin(\pi x) / (\pi x)`, with :math:`\operatorname{sinc}(0) = 1`.

    Derivative :math:`(\cos(\pi x) - \operatorname{sinc} x) / x`, and 0 at
    :math:`x = 0` (sinc is even, so its slope there is zero).
    """
    a = _floating(x)
    out = np.sinc(a)

    def vjp(g):
        at_zero = a == 0
        safe = np.where(at_zero, 1, a)              # no 0/0 where the limit is known
        return (_where(~at_zero, g * (np.cos(np.pi * a) - out) / safe),)
    return _record(out, (x,), vjp)


def deg2rad(x):
    r"""Degrees to radians: :math:`x \pi / 180`; derivative :math:`\pi / 180`."""
    a = _floating(x, int64_to_float64=True)
    scale = np.asarray(np.pi / 180, dtype=a.dtype)
    return _record(a * scale, (x,), lambda g: (g * scale,))


def rad2deg(x):
    r"""Radians to degrees: :math:`180 x / \pi`; derivative :math:`180 / \pi`."""
    a = _floating(x, int64_to_float64=True)
    scale = np.asarray(180 / np.pi, dtype=a.dtype)
    return _record(a * scale, (x,), lambda g: (g * scale,))


# ============================================================= hyperbolic functions
def sinh(x):
    r""":math:`\sinh x = (e^x - e^{-x})/2`; derivative :math:`\cosh x`."""
    a = _floating(x)
    return _record(np.sinh(a), (x,), lambda g: (g * np.cosh(a),))


def cosh(x):
    r""":math:`\cosh x = (e^x + e^{-x})/2`; derivative :math:`\sinh x`."""
    a = _floating(x)
    return _record(np.cosh(a), (x,), lambda g: (g * np.sinh(a),))


def tanh(x):
    r""":math:`\tanh x`; derivative :math:`1 - \tanh^2 x` (:class:`~kerastutor.activations.Tanh`)."""
    return activations.Tanh()(x)


def arcsinh(x):
    r""":math:`\operatorname{arsinh} x = \ln(x + \sqrt{x^2 + 1})`; derivative :math:`1/\sqrt{x^2 + 1}`."""
    a = _floating(x)
    return _record(np.arcsinh(a), (x,), lambda g: (g / np.sqrt(a * a + 1),))


def arccosh(x):
    r""":math:`\operatorname{arcosh} x` for :math:`x \ge 1`; derivative :math:`1/\sqrt{x^2 - 1}`."""
    a = _floating(x)
    return _record(np.arccosh(a), (x,), lambda g: (g / np.sqrt(a * a - 1),))


def arctanh(x):
    r""":math:`\operatorname{artanh} x` on :math:`(-1, 1)`; derivative :math:`1/(1 - x^2)`."""
    a = _floating(x)
    return _record(np.arctanh(a), (x,), lambda g: (g / (1 - a * a),))


# ============================================================= a special function
def _bessel_i1(x):
    r"""The modified Bessel function :math:`I_1`, the derivative of :math:`I_0`, by its power series

    .. math:: I_1(x) = \sum_{k \ge 0} \frac{(x/2)^{2k+1}}{k!\,(k+1)!}.

    Each term is the previous one times :math:`(x/2)^2 / (k (k+1))`, so no
    factorial is formed. The terms all have the sign of :math:`x` (no
    cancellation), and the sum stops once the newest term no longer changes it
    in the last digit -- after roughly :math:`|x|/2 + 20` terms, one vectorised
    step per term.
    """
    half = x / 2
    term, total = half, half.copy()
    eps = np.finfo(x.dtype).eps
    k = 0
    while np.any(np.abs(term) > eps * np.abs(total)):
        k += 1
        term = term * (half * half) / (k * (k + 1))
        total = total + term
    return total


def i0(x):
    r"""The modified Bessel function of the first kind, order 0:
    :math:`I_0(x) = \sum_k (x/2)^{2k} / (k!)^2`.

    Its derivative is :math:`I_1(x)` (differentiate the series term by term),
    computed by :func:`_bessel_i1`.
    """
    a = _floating(x, int64_to_float64=True)
    out = np.i0(a).astype(a.dtype, copy=False)
    return _record(out, (x,), lambda g: (g * _bessel_i1(a),))


# ============================================================= magnitudes and complex parts
def absolute(x):
    r""":math:`|x|`; derivative :math:`\operatorname{sign} x` (0 at the kink :math:`x = 0`).

    Integers keep their dtype.
    """
    a = _tensor(x)
    return _record(np.abs(a), (x,), lambda g: (g * np.sign(a),))


abs = absolute  # noqa: A001  (Keras's name)


def fabs(x):
    r""":math:`|x|` as a float (integers become ``floatx()``); derivative :math:`\operatorname{sign} x`."""
    a = _floating(x)
    return _record(np.fabs(a), (x,), lambda g: (g * np.sign(a),))


def conjugate(x):
    r"""The complex conjugate :math:`\bar x`; a real :math:`x` is returned as it is.

    The gradient is the conjugate of :math:`g` (just :math:`g` for real values).
    """
    return _record(np.conjugate(_tensor(x)), (x,), lambda g: (np.conjugate(g),))


conj = conjugate


def real(x):
    r"""The real part :math:`\operatorname{Re} x` (a real :math:`x` itself); the gradient is :math:`g`."""
    return _record(np.real(_tensor(x)), (x,), lambda g: (g,))


def imag(x):
    r"""The imaginary part :math:`\operatorname{Im} x`.

    A real number's imaginary part is 0, so a real ``x`` gives zeros of its
    dtype -- a constant, which passes no gradient. (Keras on torch raises here
    instead: "imag is not implemented for tensors with non-complex dtypes".)
    Complex values are read with NumPy, also without a gradient: the tape
    carries real values only.
    """
    return np.imag(_tensor(x)).copy()


def angle(x):
    r"""The argument of :math:`x` in the complex plane.

    For a real :math:`x` it is :math:`\pi` where :math:`x < 0` and 0 elsewhere
    (0 for :math:`-0.0` too, as in Keras): piecewise constant, so no gradient.
    """
    a = _floating(x)
    if a.dtype.kind == "c":
        return np.angle(a)
    return np.where(a < 0, np.pi, np.where(np.isnan(a), a, 0)).astype(a.dtype)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    r"""Replace NaN by ``nan``, :math:`+\infty` by ``posinf`` and :math:`-\infty` by ``neginf``.

    ``posinf``/``neginf`` default to the largest/smallest finite value of the
    dtype. Finite entries pass :math:`g` through; a replaced entry is a
    constant, so it passes 0.
    """
    a = _tensor(x)
    out = np.nan_to_num(a, copy=True, nan=nan, posinf=posinf, neginf=neginf)
    return _record(out, (x,), lambda g: (_where(np.isfinite(a), g),))


# ============================================================= choosing between values
def maximum(x1, x2):
    r""":math:`\max(x_1, x_2)` entry by entry.

    The gradient goes to the larger operand. At a tie both are the maximum,
    and each gets :math:`g/2` (the symmetric subgradient torch and JAX use).
    """
    a, b = _common(x1, x2)

    def vjp(g):
        to_a = np.where(a > b, g, np.where(a == b, g / 2, 0))
        return unbroadcast(to_a, a.shape), unbroadcast(g - to_a, b.shape)
    return _record(np.maximum(a, b), (x1, x2), vjp)


def minimum(x1, x2):
    r""":math:`\min(x_1, x_2)` entry by entry; the gradient goes to the smaller operand, halved at a tie."""
    a, b = _common(x1, x2)

    def vjp(g):
        to_a = np.where(a < b, g, np.where(a == b, g / 2, 0))
        return unbroadcast(to_a, a.shape), unbroadcast(g - to_a, b.shape)
    return _record(np.minimum(a, b), (x1, x2), vjp)


def fmax(x1, x2):
    r""":math:`\max(x_1, x_2)`, ignoring NaN: where one operand is NaN the other is returned.

    The gradient goes to the operand returned (to :math:`x_1` at a tie, as in torch).
    """
    a, b = _common(x1, x2)
    first = (a >= b) | np.isnan(b)
    return _record(np.fmax(a, b), (x1, x2),
                   lambda g: (unbroadcast(_where(first, g), a.shape),
                              unbroadcast(_where(~first, g), b.shape)))


def fmin(x1, x2):
    r""":math:`\min(x_1, x_2)`, ignoring NaN; the gradient goes to the operand returned (:math:`x_1` at a tie)."""
    a, b = _common(x1, x2)
    first = (a <= b) | np.isnan(b)
    return _record(np.fmin(a, b), (x1, x2),
                   lambda g: (unbroadcast(_where(first, g), a.shape),
                              unbroadcast(_where(~first, g), b.shape)))


# Which operand of ``clip`` an output entry is: the input, the lower or the upper bound.
_INPUT, _LOWER, _UPPER = 0, 1, 2


def clip(x, x_min, x_max):
    r""":math:`\min(\max(x, x_{\min}), x_{\max})`: ``x`` limited to the interval; the bounds may be arrays.

    Each output entry *is* one of the three operands, and :math:`g` goes to
    that one: to ``x`` inside the interval (ends included), to ``x_min`` below
    it, to ``x_max`` above it -- and to ``x_max`` wherever
    :math:`x_{\min} > x_{\max}` (the outer :math:`\min` wins).
    """
    a, low, high = _common(x, x_min, x_max)
    if a.dtype == np.bool_:                     # Keras clips booleans as int32
        a, low, high = (v.astype(np.int32) for v in (a, low, high))
    source = np.where(low > high, _UPPER,
                      np.where(a < low, _LOWER, np.where(a > high, _UPPER, _INPUT)))

    def vjp(g):
        return tuple(unbroadcast(_where(source == k, g), v.shape)
                     for k, v in ((_INPUT, a), (_LOWER, low), (_UPPER, high)))
    return _record(np.minimum(np.maximum(a, low), high), (x, x_min, x_max), vjp)


def where(condition, x1=None, x2=None):
    r"""``x1`` where ``condition`` holds, else ``x2`` (both broadcast).

    Each of ``x1``, ``x2`` gets :math:`g` where it was chosen and 0 elsewhere;
    the boolean condition gets none. With the condition alone,
    ``where(condition)`` gives the indices of its true entries, one row per
    axis (shape ``(ndim, count)``, int64), like ``np.nonzero`` stacked.
    """
    if (x1 is None) != (x2 is None):
        given, missing = ("x1", "x2") if x2 is None else ("x2", "x1")
        raise ValueError(
            f"ops.where: `{given}` was given but `{missing}` was not; pass both (values "
            f"where the condition holds, values where it does not) or neither (the "
            f"indices of the true entries). Fix: ops.where(condition, x1, x2).")
    c = _tensor(condition).astype(bool)
    if x1 is None:
        return np.stack(np.nonzero(np.atleast_1d(c)))
    a, b = _common(x1, x2)
    return _record(np.where(c, a, b), (condition, x1, x2),
                   lambda g: (None, unbroadcast(_where(c, g), a.shape),
                              unbroadcast(_where(~c, g), b.shape)))


def _choices(choicelist):
    """The choices of ``select`` as a list; an array (traced or not) counts as a stack of them.

    Indexing a traced stack records each slice, so the gradient reaches it.
    """
    if is_traced(choicelist) or isinstance(choicelist, np.ndarray):
        return [choicelist[i] for i in range(choicelist.shape[0])]
    return list(choicelist)


def select(condlist, choicelist, default=0):
    r"""Entry by entry, the choice of the *first* condition that holds, else ``default``.

    .. math:: y = c_k \text{ for the smallest } k \text{ with } \text{cond}_k, \quad
              y = \text{default} \text{ if none holds}.

    Like :func:`where` with many branches: each choice (and an array
    ``default``) gets :math:`g` where it was selected, 0 elsewhere. ``choicelist``
    may also be one array whose first axis runs over the choices.
    """
    if not isinstance(condlist, (list, tuple)):
        raise ValueError(f"ops.select: `condlist` must be a list of boolean arrays; got "
                         f"{type(condlist).__name__}. Fix: ops.select([x < 0, x > 1], "
                         f"[a, b], default).")
    choices = _choices(choicelist)
    if not condlist or len(condlist) != len(choices):
        raise ValueError(
            f"ops.select: `condlist` and `choicelist` must be non-empty and of one length "
            f"(one choice per condition); got {len(condlist)} conditions and "
            f"{len(choices)} choices. Fix: pass as many choices as conditions.")
    conditions = [_tensor(c) for c in condlist]
    for k, c in enumerate(conditions):
        if c.dtype != np.bool_:
            raise TypeError(f"ops.select: condition {k} of `condlist` must be boolean; got "
                            f"dtype {c.dtype}. Fix: compare, e.g. x > 0, or "
                            f"ops.cast(cond, 'bool').")
    *values, fallback = _common(*choices, default)
    shape = np.broadcast_shapes(*(v.shape for v in [*conditions, *values, fallback]))
    chosen = np.full(shape, len(values))           # index of the selected value
    for k in reversed(range(len(values))):          # the first condition that holds wins
        chosen = np.where(conditions[k], k, chosen)
    out = np.choose(chosen, [np.broadcast_to(v, shape) for v in [*values, fallback]])

    def vjp(g):
        return tuple(unbroadcast(_where(chosen == k, g), v.shape)
                     for k, v in enumerate([*values, fallback]))
    return _record(out, (*choices, default), vjp)


# ============================================================= division and remainders
def divide_no_nan(x1, x2):
    r""":math:`x_1 / x_2`, and 0 where :math:`x_2 = 0` (instead of inf or NaN).

    Derivatives :math:`1/x_2` and :math:`-x_1/x_2^2` where :math:`x_2 \ne 0`;
    where the output is the constant 0, both are 0.
    """
    a, b = _common_floating(x1, x2)
    nonzero = b != 0
    safe = np.where(nonzero, b, 1)                  # never divide by the zeros themselves
    out = np.where(nonzero, a / safe, 0)
    return _record(out, (x1, x2),
                   lambda g: (unbroadcast(_where(nonzero, g / safe), a.shape),
                              unbroadcast(_where(nonzero, -g * a / (safe * safe)), b.shape)))


def mod(x1, x2):
    r"""The remainder with the sign of the divisor: :math:`x_1 - \lfloor x_1 / x_2 \rfloor\, x_2`.

    Between jumps the floor is constant, so the derivatives are 1 and
    :math:`-\lfloor x_1 / x_2 \rfloor`.
    """
    a, b = _common(x1, x2)
    if a.dtype == np.bool_:
        a, b = a.astype(np.int32), b.astype(np.int32)
    return _record(np.mod(a, b), (x1, x2),
                   lambda g: (unbroadcast(g, a.shape),
                              unbroadcast(-g * np.floor(a / b), b.shape)))


def fmod(x1, x2):
    r"""The remainder with the sign of the dividend (C's ``fmod``): :math:`x_1 - \operatorname{trunc}(x_1 / x_2)\, x_2`.

    Derivatives 1 and :math:`-\operatorname{trunc}(x_1 / x_2)`.
    """
    a, b = _common(x1, x2)
    if a.dtype == np.bool_:
        a, b = a.astype(np.int32), b.astype(np.int32)
    return _record(np.fmod(a, b), (x1, x2),
                   lambda g: (unbroadcast(g, a.shape),
                              unbroadcast(-g * np.trunc(a / b), b.shape)))


def nextafter(x1, x2):
    r"""The next representable float after :math:`x_1` in the direction of :math:`x_2`.

    The output follows :math:`x_1` one rounding step away, so its derivative
    with respect to :math:`x_1` is 1; it is 0 where :math:`x_1 = x_2` (the
    output is then :math:`x_2` itself), as torch defines it. :math:`x_2` only
    picks a direction -- piecewise constant -- and gets no gradient.
    """
    a, b = _common_floating(x1, x2)
    return _record(np.nextafter(a, b), (x1, x2),
                   lambda g: (unbroadcast(_where(a != b, g), a.shape), None))


def floor_divide(x1, x2):
    r""":math:`\lfloor x_1 / x_2 \rfloor`: piecewise constant, so no gradient (as in Keras)."""
    a, b = _common(x1, x2)
    return np.floor_divide(a, b)


def heaviside(x1, x2):
    r"""The step function: 0 where :math:`x_1 < 0`, :math:`x_2` where :math:`x_1 = 0`, 1 where :math:`x_1 > 0`.

    Piecewise constant in :math:`x_1` (torch has no derivative for it either):
    no gradient. Integers give ``floatx()``.
    """
    a, b = _common_floating(x1, x2)
    return np.heaviside(a, b)


# ============================================================= rounding (no gradient)
def ceil(x):
    r""":math:`\lceil x \rceil`, as a float (integers become ``floatx()``): piecewise constant, no gradient."""
    return np.ceil(_floating(x))


def floor(x):
    r""":math:`\lfloor x \rfloor`, as a float (integers become ``floatx()``): piecewise constant, no gradient."""
    return np.floor(_floating(x))


def trunc(x):
    r"""Round toward zero (drop the fractional part); integers keep their dtype. No gradient."""
    a = _tensor(x)
    return a.copy() if a.dtype.kind in "biu" else np.trunc(a)


def sign(x):
    r""":math:`\operatorname{sign} x \in \{-1, 0, 1\}`: piecewise constant, no gradient.

    Integers keep their dtype; booleans are returned as they are. NaN gives
    NaN (as in NumPy; Keras on torch gives 0).
    """
    a = _tensor(x)
    return a.copy() if a.dtype == np.bool_ else np.sign(a)


def round(x, decimals=0):  # noqa: A001  (Keras's name)
    r"""Round to ``decimals`` decimal places, halves to even (:math:`0.5 \to 0`,
    :math:`1.5 \to 2`); a negative ``decimals`` rounds to tens, hundreds, ...

    Integers keep their dtype. Piecewise constant: no gradient.
    """
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"ops.round: `decimals` must be an int (the number of decimal "
                        f"places; negative rounds to tens, hundreds); got {decimals!r}. "
                        f"Fix: ops.round(x, decimals=2).")
    a = _tensor(x)
    if a.dtype == np.bool_:
        raise TypeError("ops.round: cannot round a boolean array (Keras cannot either). "
                        "Fix: ops.cast(x, 'int32') first.")
    if a.dtype.kind in "iu" and decimals >= 0:
        return a.copy()
    return np.round(a, decimals)


# ============================================================= comparisons and predicates
def equal(x1, x2):
    r""":math:`x_1 = x_2` entry by entry; Python numbers compare in the array's dtype. No gradient."""
    a, b = _common(x1, x2)
    return np.equal(a, b)


def not_equal(x1, x2):
    r""":math:`x_1 \ne x_2` entry by entry. No gradient."""
    a, b = _common(x1, x2)
    return np.not_equal(a, b)


def logical_and(x1, x2):
    r""":math:`x_1 \wedge x_2`, nonzero meaning true. No gradient."""
    a, b = _common(x1, x2)
    return np.logical_and(a, b)


def logical_or(x1, x2):
    r""":math:`x_1 \vee x_2`, nonzero meaning true. No gradient."""
    a, b = _common(x1, x2)
    return np.logical_or(a, b)


def logical_xor(x1, x2):
    r""":math:`x_1 \oplus x_2`: exactly one of the two is true (nonzero). No gradient."""
    a, b = _common(x1, x2)
    return np.logical_xor(a, b)


def logical_not(x):
    r""":math:`\neg x`: True where ``x`` is 0 or False (no gradient)."""
    return np.logical_not(_tensor(x))


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    r"""Whether :math:`|x_1 - x_2| \le \text{atol} + \text{rtol}\,|x_2|`, entry by entry.

    Note the asymmetry: the tolerance scales with :math:`x_2`. Infinities are
    close only to themselves; NaNs only when ``equal_nan``. No gradient.
    """
    a, b = _common(x1, x2)
    return np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    r"""Whether :func:`isclose` holds for every entry: one boolean (a 0-d array), no gradient."""
    return np.asarray(np.all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def isfinite(x):
    r"""True where ``x`` is neither infinite nor NaN (no gradient)."""
    return np.isfinite(_tensor(x))


def isinf(x):
    r"""True where ``x`` is :math:`\pm\infty` (no gradient)."""
    return np.isinf(_tensor(x))


def isnan(x):
    r"""True where ``x`` is NaN, the one value not equal to itself (no gradient)."""
    return np.isnan(_tensor(x))


def isneginf(x):
    r"""True where ``x`` is :math:`-\infty` (no gradient)."""
    return np.isneginf(_tensor(x))


def isposinf(x):
    r"""True where ``x`` is :math:`+\infty` (no gradient)."""
    return np.isposinf(_tensor(x))


def isreal(x):
    r"""True where the imaginary part is 0 -- everywhere for a real array (no gradient)."""
    return np.isreal(_tensor(x))


def signbit(x):
    r"""True where the sign bit is set: negative numbers, :math:`-0.0` and :math:`-\text{NaN}` (no gradient)."""
    a = _tensor(x)
    return np.signbit(a.astype(np.int8) if a.dtype == np.bool_ else a)


def isin(x1, x2, assume_unique=False, invert=False):
    r"""True where an entry of ``x1`` occurs anywhere in ``x2`` (False with ``invert``).

    ``x2`` is flattened: it is a set of values, not an array to broadcast.
    The output has ``x1``'s shape. No gradient.
    """
    a, b = _common(x1, x2)
    return np.isin(a, b, assume_unique=assume_unique, invert=invert)


# ============================================================= bitwise and integer ops
def _integers(op, *named, allow_bool=True):
    """The operands as integer arrays of one dtype, or a TypeError naming ``op`` and the argument."""
    kinds = "biu" if allow_bool else "iu"
    for name, value in named:
        dtype = _tensor(value).dtype
        if dtype.kind not in kinds:
            expected = "an integer or boolean" if allow_bool else "an integer"
            raise TypeError(
                f"ops.{op}: `{name}` must be {expected} array (the op works on the binary "
                f"digits); got dtype {dtype}. Fix: ops.cast({name}, 'int32') first.")
    return _common(*(value for _, value in named))


def bitwise_and(x, y):
    r"""Bit by bit AND of two integer (or boolean) arrays. No gradient."""
    return np.bitwise_and(*_integers("bitwise_and", ("x", x), ("y", y)))


def bitwise_or(x, y):
    r"""Bit by bit OR of two integer (or boolean) arrays. No gradient."""
    return np.bitwise_or(*_integers("bitwise_or", ("x", x), ("y", y)))


def bitwise_xor(x, y):
    r"""Bit by bit exclusive OR of two integer (or boolean) arrays. No gradient."""
    return np.bitwise_xor(*_integers("bitwise_xor", ("x", x), ("y", y)))


def bitwise_invert(x):
    r"""Every bit flipped: :math:`\sim x = -x - 1` for signed integers, NOT for booleans. No gradient."""
    return np.invert(*_integers("bitwise_invert", ("x", x)))


def bitwise_not(x):
    r"""Every bit flipped (the same as :func:`bitwise_invert`). No gradient."""
    return np.invert(*_integers("bitwise_not", ("x", x)))


def bitwise_left_shift(x, y):
    r""":math:`x \cdot 2^y` by shifting the bits of ``x`` left by ``y`` places. No gradient."""
    return np.left_shift(*_integers("bitwise_left_shift", ("x", x), ("y", y),
                                    allow_bool=False))


def left_shift(x, y):
    r"""The same as :func:`bitwise_left_shift`: :math:`x \cdot 2^y` for integers. No gradient."""
    return np.left_shift(*_integers("left_shift", ("x", x), ("y", y), allow_bool=False))


def bitwise_right_shift(x, y):
    r""":math:`\lfloor x / 2^y \rfloor` by shifting the bits right (the sign is kept). No gradient."""
    return np.right_shift(*_integers("bitwise_right_shift", ("x", x), ("y", y),
                                     allow_bool=False))


def right_shift(x, y):
    r"""The same as :func:`bitwise_right_shift`: :math:`\lfloor x / 2^y \rfloor`. No gradient."""
    return np.right_shift(*_integers("right_shift", ("x", x), ("y", y), allow_bool=False))


def gcd(x1, x2):
    r"""The greatest common divisor of two integers (non-negative; :math:`\gcd(0, 0) = 0`). No gradient."""
    return np.gcd(*_integers("gcd", ("x1", x1), ("x2", x2), allow_bool=False))


def lcm(x1, x2):
    r"""The least common multiple of two integers (non-negative; 0 if either is 0). No gradient."""
    return np.lcm(*_integers("lcm", ("x1", x1), ("x2", x2), allow_bool=False))


__all__ = [
    # arithmetic (from the tape) and powers
    "add", "subtract", "multiply", "divide", "true_divide", "negative", "power",
    "square", "sqrt", "cbrt", "reciprocal",
    # exponentials and logarithms
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "logaddexp", "logaddexp2",
    "ldexp",
    # trigonometric and hyperbolic
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "hypot", "sinc",
    "deg2rad", "rad2deg", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "i0",
    # magnitudes and complex parts
    "absolute", "abs", "fabs", "conjugate", "conj", "real", "imag", "angle", "nan_to_num",
    # choosing
    "maximum", "minimum", "fmax", "fmin", "clip", "where", "select",
    # division and remainders
    "divide_no_nan", "mod", "fmod", "nextafter", "floor_divide", "heaviside",
    # rounding
    "ceil", "floor", "trunc", "sign", "round",
    # comparisons, logic, predicates
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "isclose", "allclose",
    "isfinite", "isinf", "isnan", "isneginf", "isposinf", "isreal", "signbit", "isin",
    # bitwise and integer
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_invert", "bitwise_not",
    "bitwise_left_shift", "left_shift", "bitwise_right_shift", "right_shift", "gcd", "lcm",
]
