"""keras.ops elementwise math, comparisons, predicates and bit operations.

``CASES`` drives the gradient check, the repeatable backward and the no-gradient
rule here, and the Keras oracle in ``tests/oracle/test_ops_elementwise_against_keras.py``.
The targeted tests below pin small hand-computed values, the derivative at the
awkward places (ties in max/min, the bounds of clip, zeros of divide_no_nan,
non-finite entries of nan_to_num), Keras's dtypes for Python numbers and lists,
and the kind errors.
"""
import numpy as np
import pytest

from kerastutor import backend, ops
from kerastutor.ops.elementwise import _bessel_i1
from kerastutor.tape import Tape, Traced
from op_cases import OpCase, gradient_tests


# ------------------------------------------------------------------ inputs
def _shape(rng):
    """A small shape of rank 1 to 3, drawn from ``rng``."""
    return tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(1, 4))))


def _away(x, points, margin=0.05):
    """``x`` with entries near any of ``points`` moved off by ``2 * margin`` (off kinks and poles)."""
    for p in points:
        x = np.where(np.abs(x - p) < margin, p + 2 * margin, x)
    return x


def normal(scale=1.0, avoid=(), margin=0.05):
    """A maker of one float64 array of a drawn shape, normal numbers kept off ``avoid``."""
    return lambda rng: (_away(scale * rng.normal(size=_shape(rng)), avoid, margin),)


def uniform(low, high):
    return lambda rng: (rng.uniform(low, high, size=_shape(rng)),)


def _broadcast_pair(rng):
    """Two shapes that broadcast: equal, a row, a column, or a row on the left."""
    r, c = (int(n) for n in rng.integers(2, 4, size=2))
    return [((r, c), (r, c)), ((r, c), (c,)), ((r, c), (r, 1)), ((1, c), (r, c))][
        int(rng.integers(0, 4))]


def pair(low=-2.0, high=2.0, b_low=None, b_high=None):
    """A maker of two broadcasting float64 arrays, uniform on the given ranges."""
    def make(rng):
        sa, sb = _broadcast_pair(rng)
        b_range = (low if b_low is None else b_low, high if b_high is None else b_high)
        return rng.uniform(low, high, size=sa), rng.uniform(*b_range, size=sb)
    return make


def untied(rng):
    """Two broadcasting arrays with no two entries close (max/min stay off their kinks)."""
    a, b = pair()(rng)
    return a, np.where(np.abs(a - b) < 0.05, b + 0.2, b) if a.shape == b.shape else \
        _away(b, np.unique(a), 0.03)


def off_jumps(rng):
    """A dividend and a divisor whose quotient stays off the integers (mod/fmod jump there)."""
    a, b = pair(-4, 4, 0.5, 2.0)(rng)
    b = b * np.where(rng.random(b.shape) < 0.5, -1, 1)
    q = a / b
    a = np.where(np.abs(q - np.round(q)) < 0.05, (np.round(q) + 0.3) * b, a)
    return a, b


def ints(rng, low=-6, high=7):
    return rng.integers(low, high, size=_shape(rng)).astype(np.int32)


def int_pair(low=1, high=20):
    def make(rng):
        sa, sb = _broadcast_pair(rng)
        return (rng.integers(low, high, size=sa).astype(np.int32),
                rng.integers(low, high, size=sb).astype(np.int32))
    return make


def signed_int_pair(rng):
    """Two broadcasting int32 arrays of either sign; the divisor is never 0."""
    a, b = int_pair(1, 10)(rng)
    flip = lambda v: np.where(rng.random(v.shape) < 0.5, -v, v)     # noqa: E731
    return flip(a), flip(b)


def with_special_values(rng):
    """Floats with NaN, both infinities, -0.0 and ordinary numbers."""
    x = rng.normal(size=8)
    x[[0, 2, 3, 5]] = [np.nan, np.inf, -np.inf, -0.0]
    return (x,)


def special_list(rng):
    """:func:`with_special_values` as a Python list (float32 in Keras and here)."""
    return (with_special_values(rng)[0].tolist(),)


def clip_args(rng):
    """``x`` and array bounds, every entry off the three kinks; some lower bounds above the upper."""
    shape = _shape(rng)
    low = rng.uniform(-1, 0, size=shape[-1:])
    high = low + rng.uniform(-0.3, 1.5, size=shape[-1:])
    high = np.where(np.abs(high - low) < 0.05, low + 0.2, high)
    x = _away(_away(rng.uniform(-2, 2, size=shape), np.unique(low), 0.03), np.unique(high), 0.03)
    x = _away(x, np.unique(low), 0.03)
    return x, low, high


def where_args(rng):
    sa, sb = _broadcast_pair(rng)
    shape = np.broadcast_shapes(sa, sb)
    return rng.random(shape) < 0.5, rng.normal(size=sa), rng.normal(size=sb)


def select_args(rng):
    """Three conditions (overlapping: the first true one wins) and three choices to stack."""
    shape = _shape(rng)
    x = rng.normal(size=shape)
    conditions = [x < -0.5, x > 0.5, x > 0]
    return conditions, [rng.normal(size=shape) for _ in range(3)], rng.normal(size=shape)


# ------------------------------------------------------------------ the cases
#: Unary float functions and the inputs that keep them on their domain, off their poles.
UNARY = {
    "abs": normal(avoid=(0,)), "absolute": normal(avoid=(0,)), "fabs": normal(avoid=(0,)),
    "arccos": uniform(-0.9, 0.9), "arcsin": uniform(-0.9, 0.9),
    "arctan": normal(2.0), "arccosh": uniform(1.2, 4.0), "arcsinh": normal(2.0),
    "arctanh": uniform(-0.9, 0.9), "cbrt": normal(2.0, avoid=(0,), margin=0.2),
    "conj": normal(), "conjugate": normal(), "real": normal(),
    "cos": normal(2.0), "cosh": normal(), "sin": normal(2.0), "sinh": normal(),
    "tan": uniform(-1.3, 1.3), "tanh": normal(), "deg2rad": normal(90.0),
    "rad2deg": normal(), "exp": normal(), "exp2": normal(), "expm1": normal(),
    "i0": normal(3.0), "log": uniform(0.3, 3.0), "log10": uniform(0.3, 3.0),
    "log1p": uniform(-0.7, 3.0), "log2": uniform(0.3, 3.0), "nan_to_num": normal(),
    "negative": normal(), "reciprocal": normal(avoid=(0,), margin=0.3), "sinc": normal(1.5),
    "sqrt": uniform(0.3, 3.0), "square": normal(),
}
KINKED = {"abs", "absolute", "fabs"}

#: Float functions: an integer input gives floatx (the oracle checks the dtype).
INT_TO_FLOAT = ["arctan", "cbrt", "cos", "deg2rad", "exp", "exp2", "fabs", "i0", "log1p",
                "rad2deg", "reciprocal", "sinc", "sqrt", "tanh", "ceil", "floor", "angle"]
#: Integer-preserving ops.
INT_KEEPS = ["abs", "absolute", "negative", "square", "sign", "trunc", "nan_to_num",
             "conj", "real"]

CASES = [OpCase(name, make, kinked=name in KINKED) for name, make in UNARY.items()]
CASES += [OpCase(name, lambda rng: (ints(rng, 1, 9),), grad=(), label="int32")
          for name in INT_TO_FLOAT + INT_KEEPS]
CASES += [
    # a matrix of one size for a few, so repeats of a shape are covered too
    OpCase("exp", lambda rng: (rng.normal(size=(4, 3)),), label="4x3"),
    OpCase("log", lambda rng: (rng.uniform(0.5, 2, size=(2, 3, 2)),), label="rank 3"),
    # Python numbers and lists: int32 / floatx, as Keras's convert_to_tensor makes them
    OpCase("exp", lambda rng: (1.5,), grad=(), label="python float"),
    OpCase("sqrt", lambda rng: (4,), grad=(), label="python int"),
    OpCase("sin", lambda rng: ([0.5, 1.0, 2.0],), grad=(), label="list"),
    OpCase("abs", lambda rng: (-3,), grad=(), label="python int"),
    OpCase("square", lambda rng: ([1, -2, 3],), grad=(), label="int list"),
    OpCase("square", lambda rng: (np.array([True, False]),), grad=(), label="bool"),
    OpCase("conj", lambda rng: ([1.0, -2.0],), grad=(), label="list", oracle=False,
           note="Keras's torch backend passes the list to torch.conj, which wants a tensor"),
    OpCase("real", lambda rng: (2.5,), grad=(), label="python float", oracle=False,
           note="Keras's torch backend passes the float to torch.real, which wants a tensor"),
    # nan_to_num with its arguments (differentiated on finite entries only)
    OpCase("nan_to_num", normal(), kwargs={"nan": 1.0, "posinf": 3.0, "neginf": -3.0},
           label="bounds"),
    # (values only: a list is not watched, so the harness's no-gradient check passes it by)
    OpCase("nan_to_num", special_list, grad=(), label="non-finite list"),
    OpCase("nan_to_num", special_list, kwargs={"nan": -1.0, "posinf": 9.0},
           grad=(), label="non-finite list,bounds"),
    # imag of a real array: zeros, no gradient (Keras on torch raises)
    OpCase("imag", normal(), grad=(), oracle=False,
           note="Keras 3.15.1 on torch raises 'imag is not implemented for tensors with "
                "non-complex dtypes'; the imaginary part of a real number is 0"),
]

# -- piecewise constant unary ops: no gradient
CASES += [
    OpCase("angle", normal(avoid=(0,)), grad=()),
    OpCase("ceil", normal(3.0, avoid=range(-9, 10)), grad=()),
    OpCase("floor", normal(3.0, avoid=range(-9, 10)), grad=()),
    OpCase("trunc", normal(3.0), grad=()),
    OpCase("sign", normal(), grad=()),
    OpCase("sign", lambda rng: (np.array([True, False]),), grad=(), label="bool"),
    OpCase("round", normal(3.0), grad=()),
    OpCase("round", lambda rng: (np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.49]),), grad=(),
           label="halves to even"),
    OpCase("round", lambda rng: (rng.uniform(-3, 3, size=(3, 4)),), kwargs={"decimals": 2},
           grad=(), label="decimals=2"),
    OpCase("round", lambda rng: (np.array([1234, 1250, 1350, -1250], np.int32),),
           kwargs={"decimals": -2}, grad=(), label="int,decimals=-2"),
    OpCase("round", lambda rng: (ints(rng),), grad=(), label="int32"),
]

# -- binary and ternary differentiable ops
CASES += [
    OpCase("add", pair(), grad=(0, 1)),
    OpCase("subtract", pair(), grad=(0, 1)),
    OpCase("multiply", pair(), grad=(0, 1)),
    OpCase("divide", pair(-2, 2, 0.5, 2), grad=(0, 1)),
    OpCase("true_divide", pair(-2, 2, 0.5, 2), grad=(0, 1)),
    OpCase("power", pair(0.5, 2, -2, 2), grad=(0, 1)),
    OpCase("multiply", lambda rng: (rng.normal(size=(2, 3)), 2.0), label="python float"),
    OpCase("arctan2", pair(), grad=(0, 1)),
    OpCase("arctan2", lambda rng: (rng.normal(size=(3,)), 1.0), label="python float"),
    OpCase("hypot", pair(0.2, 2), grad=(0, 1)),
    OpCase("logaddexp", pair(-3, 3), grad=(0, 1)),
    OpCase("logaddexp2", pair(-3, 3), grad=(0, 1)),
    OpCase("maximum", untied, grad=(0, 1), kinked=True),
    OpCase("minimum", untied, grad=(0, 1), kinked=True),
    OpCase("maximum", normal(avoid=(0,)), kwargs={"x2": 0.0}, kinked=True,
           label="x2=python 0.0"),
    OpCase("fmax", untied, grad=(0, 1), kinked=True),
    OpCase("fmin", untied, grad=(0, 1), kinked=True),
    OpCase("mod", off_jumps, grad=(0, 1), kinked=True),
    OpCase("fmod", off_jumps, grad=(0, 1), kinked=True),
    OpCase("divide_no_nan", pair(-2, 2, 0.5, 2), grad=(0, 1)),
    OpCase("divide_no_nan",
           lambda rng: (rng.normal(size=(3, 4)), np.where(rng.random((3, 4)) < 0.4, 0.0,
                                                          rng.uniform(0.5, 2, (3, 4)))),
           grad=(0,), label="zeros in x2"),
    OpCase("nextafter", pair(), grad=(0, 1)),
    OpCase("ldexp", lambda rng: (rng.normal(size=(2, 3)),
                                 rng.integers(-3, 4, size=(3,)).astype(np.int32))),
    OpCase("clip", clip_args, grad=(0, 1, 2), kinked=True, label="array bounds"),
    OpCase("clip", normal(avoid=(-0.5, 0.5)), kwargs={"x_min": -0.5, "x_max": 0.5},
           kinked=True, label="numbers"),
    OpCase("where", where_args, grad=(1, 2), kinked=True),
    OpCase("where", lambda rng: (rng.random((2, 3)) < 0.5, rng.normal(size=(2, 3)), 0.0),
           grad=(1,), kinked=True, label="x2=python 0.0"),
    OpCase("select", select_args, grad=(1, 2), kinked=True, oracle=False,
           note="the harness passes choicelist as one stacked array, which Keras refuses "
                "(it wants a list); test_select_gradient_matches_keras passes a list"),
    OpCase("select", lambda rng: select_args(rng)[:2], grad=(), label="default=0",
           oracle=False, note="as above; the values are compared by "
                              "test_select_values_match_keras"),
]

# -- no gradient: piecewise constant binary ops, integer-only and mixed dtypes
CASES += [
    OpCase("floor_divide", off_jumps, grad=()),
    OpCase("floor_divide", signed_int_pair, grad=(), label="int32"),
    OpCase("heaviside", lambda rng: (np.array([-1.5, 0.0, 2.0, 0.0]), np.array([0.5])), grad=()),
    OpCase("heaviside", lambda rng: (ints(rng), ints(rng, 0, 2)[..., :1]), grad=(),
           label="int32"),
    OpCase("add", int_pair(), grad=(), label="int32"),
    OpCase("maximum", int_pair(), grad=(), label="int32"),
    OpCase("mod", signed_int_pair, grad=(), label="int32"),
    OpCase("fmod", lambda rng: (np.array([-7, 7, -7, 7], np.int32),
                                np.array([3, -3, -3, 3], np.int32)), grad=(), label="int32"),
    OpCase("arctan2", int_pair(-5, 6), grad=(), label="int32"),
    OpCase("hypot", int_pair(), grad=(), label="int32"),
    OpCase("logaddexp", int_pair(), grad=(), label="int32"),
    OpCase("where", lambda rng: (np.array([True, False, True]), 1, 2), grad=(),
           label="python ints"),
    OpCase("where", lambda rng: (np.array([True, False, True]), 1, 2.5), grad=(),
           label="python int and float"),
    OpCase("where", lambda rng: (rng.random((3, 2)) < 0.5,), grad=(), label="indices"),
    OpCase("clip", lambda rng: (ints(rng), -2, 3), grad=(), label="int32"),
]

# -- comparisons, logic and predicates: booleans
COMPARISONS = ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal"]
LOGICAL = ["logical_and", "logical_or", "logical_xor"]


def _with_ties(rng):
    """Two broadcasting arrays of small integers as floats, so some entries are equal."""
    sa, sb = _broadcast_pair(rng)
    return (rng.integers(-2, 3, size=sa).astype(float), rng.integers(-2, 3, size=sb).astype(float))


CASES += [OpCase(name, _with_ties, grad=()) for name in COMPARISONS + LOGICAL]
CASES += [
    OpCase("equal", lambda rng: (np.array([0.1, 0.2], np.float32), 0.1), grad=(),
           label="float32 vs python float"),
    OpCase("less", lambda rng: (ints(rng), 0), grad=(), label="int32 vs python int"),
    OpCase("logical_not", lambda rng: (rng.integers(-1, 2, size=_shape(rng)).astype(float),),
           grad=()),
    OpCase("logical_and", lambda rng: (rng.random((2, 3)) < 0.5, rng.random((3,)) < 0.5),
           grad=(), label="bool"),
    OpCase("isclose", lambda rng: (np.array([1.0, 1.0, np.nan, np.inf, 1e-9]),
                                   np.array([1.0 + 1e-6, 1.1, np.nan, np.inf, 0.0])), grad=()),
    OpCase("isclose", lambda rng: (np.array([1.0, np.nan, 2.0]), np.array([1.05, np.nan, 2.5])),
           kwargs={"rtol": 0.1, "atol": 0.0, "equal_nan": True}, grad=(), label="tolerances"),
    OpCase("allclose", lambda rng: (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-7])),
           grad=()),
    OpCase("allclose", lambda rng: (np.array([1.0, 2.0]), np.array([1.0, 2.1])), grad=(),
           label="not close"),
    OpCase("allclose", lambda rng: (np.array([np.nan, 1.0]), np.array([np.nan, 1.0])),
           kwargs={"equal_nan": True}, grad=(), label="equal_nan"),
    OpCase("isin", lambda rng: (ints(rng), np.array([0, 2, 5], np.int32)), grad=()),
    OpCase("isin", lambda rng: (ints(rng), [1, -1]), kwargs={"invert": True}, grad=(),
           label="list,invert"),
]
CASES += [OpCase(name, with_special_values, grad=())
          for name in ["isfinite", "isinf", "isnan", "isneginf", "isposinf", "isreal",
                       "signbit"]]
CASES += [OpCase(name, lambda rng: (ints(rng),), grad=(), label="int32")
          for name in ["isfinite", "isnan", "signbit"]]

# -- bitwise and integer ops
CASES += [OpCase(name, int_pair(0, 64), grad=()) for name in
          ["bitwise_and", "bitwise_or", "bitwise_xor", "gcd", "lcm"]]
CASES += [OpCase(name, lambda rng: (ints(rng, -64, 64), rng.integers(0, 5, size=(1,))
                                    .astype(np.int32)), grad=())
          for name in ["bitwise_left_shift", "left_shift", "bitwise_right_shift",
                       "right_shift"]]
CASES += [
    OpCase("bitwise_not", lambda rng: (ints(rng, -64, 64),), grad=()),
    OpCase("bitwise_invert", lambda rng: (ints(rng, -64, 64),), grad=()),
    OpCase("bitwise_invert", lambda rng: (np.array([0, 5, 255], np.uint8),), grad=(),
           label="uint8"),
    OpCase("bitwise_not", lambda rng: (np.array([True, False]),), grad=(), label="bool"),
    OpCase("bitwise_and", lambda rng: (np.array([True, True, False]),
                                       np.array([True, False, False])), grad=(), label="bool"),
    OpCase("gcd", lambda rng: (np.array([12, -18, 0], np.int32), np.array([8, 12, 0], np.int32)),
           grad=(), label="signs and zeros"),
    OpCase("lcm", lambda rng: (np.array([4, -6, 0], np.int32), np.array([6, 4, 5], np.int32)),
           grad=(), label="signs and zeros"),
    OpCase("lcm", lambda rng: (0, 0), grad=(), label="python ints"),
]

test_gradient, test_repeatable, test_no_gradient = gradient_tests(CASES)


# ------------------------------------------------------------------ every op has a case
ELEMENTWISE_OPS = """abs absolute arccos arccosh arcsin arcsinh arctan arctanh cbrt conj
conjugate cos cosh deg2rad exp exp2 expm1 fabs i0 log log10 log1p log2 nan_to_num negative
rad2deg real imag reciprocal sin sinc sinh sqrt square tan tanh angle ceil floor round sign
trunc add arctan2 clip divide divide_no_nan fmax fmin fmod hypot ldexp logaddexp logaddexp2
maximum minimum mod multiply nextafter power subtract true_divide where select floor_divide
heaviside equal not_equal greater greater_equal less less_equal logical_and logical_or
logical_xor logical_not isclose allclose isfinite isinf isnan isneginf isposinf isreal signbit
isin bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_invert bitwise_left_shift
bitwise_right_shift left_shift right_shift gcd lcm""".split()


def test_every_op_of_the_chapter_has_a_case_and_is_exported():
    from kerastutor.ops import elementwise
    assert sorted(elementwise.__all__) == sorted(ELEMENTWISE_OPS)
    assert not {name for name in ELEMENTWISE_OPS} - {case.op for case in CASES}
    for name in ELEMENTWISE_OPS:
        assert getattr(ops, name) is getattr(elementwise, name)
        assert getattr(ops.numpy, name) is getattr(elementwise, name)


# ------------------------------------------------------------------ helpers
def vjp(op, *args, upstream=None, wrt=None, **kwargs):
    """The gradients of ``sum(upstream * op(*args))`` with respect to the float array args."""
    args = list(args)
    wrt = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"] \
        if wrt is None else wrt
    with Tape() as tape:
        for i in wrt:
            args[i] = tape.watch(args[i])
        out = op(*args, **kwargs)
    g = np.ones(out.shape) if upstream is None else upstream
    grads = tape.backward(out, g)
    return out.value, [grads.get(id(args[i]), np.zeros(args[i].shape)) for i in wrt]


# ------------------------------------------------------------------ goldens
def test_bessel_i1_series_matches_known_values_and_is_odd():
    # I1 from Abramowitz & Stegun table 9.8 / scipy.special.i1
    x = np.array([0.0, 1.0, 2.0, 10.0, -2.0, 50.0])
    expected = np.array([0.0, 0.5651591039924851, 1.5906368546373291, 2670.988303701255,
                         -1.5906368546373291, 2.903078590103557e20])
    np.testing.assert_allclose(_bessel_i1(x), expected, rtol=1e-14)
    special = _bessel_i1(np.array([np.inf, -np.inf, np.nan]))      # and the loop ends there
    assert special[0] == np.inf and special[1] == -np.inf and np.isnan(special[2])


def test_i0_gradient_is_i1():
    out, (grad,) = vjp(ops.i0, np.array([0.0, 1.0, -2.0]))
    np.testing.assert_allclose(out, [1.0, 1.2660658777520082, 2.2795853023360673], rtol=1e-14)
    np.testing.assert_allclose(grad, [0.0, 0.5651591039924851, -1.5906368546373291], rtol=1e-14)


def test_select_takes_the_first_true_condition_else_the_default():
    x = np.arange(6)
    out = ops.select([x < 3, x > 3], [x, x ** 2], 42)
    assert out.tolist() == [0, 1, 2, 42, 16, 25]
    overlap = ops.select([x > 1, x > 3], [np.full(6, 1.0), np.full(6, 2.0)], -1.0)
    assert overlap.tolist() == [-1, -1, 1, 1, 1, 1]


def test_select_routes_the_gradient_to_the_chosen_value():
    x = np.array([-1.0, 0.2, 2.0, 0.7])
    a, b, d = np.full(4, 10.0), np.full(4, 20.0), np.full(4, 30.0)
    out, (ga, gb, gd) = vjp(lambda a, b, d: ops.select([x > 1, x > 0.5], [a, b], d), a, b, d)
    assert out.tolist() == [30, 30, 10, 20]
    assert ga.tolist() == [0, 0, 1, 0] and gb.tolist() == [0, 0, 0, 1]
    assert gd.tolist() == [1, 1, 0, 0]


def test_clip_gives_each_entry_to_the_operand_it_equals():
    # the same call torch answers with grads [0,0,1,0], [1,0,0,0], [0,1,0,1]
    out, grads = vjp(ops.clip, np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.5, 0.5, 0.5, 3.5]),
                     np.array([2.5, 0.7, 2.5, 3.0]))
    assert out.tolist() == [0.5, 0.7, 2.0, 3.0]
    assert [g.tolist() for g in grads] == [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 1]]


def test_clip_keeps_integers_and_the_float32_of_x():
    assert ops.clip(np.array([-5, 0, 5], np.int32), -2, 3).dtype == np.int32
    assert ops.clip(np.array([-5, 0, 5], np.int32), -2, 3).tolist() == [-2, 0, 3]
    assert ops.clip(np.ones(2, np.float32), 0.0, 0.5).dtype == np.float32


def test_maximum_and_minimum_split_the_gradient_at_a_tie():
    _, (ga, gb) = vjp(ops.maximum, np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0]))
    assert ga.tolist() == [0.5, 1.0, 0.0] and gb.tolist() == [0.5, 0.0, 1.0]
    _, (ga, gb) = vjp(ops.minimum, np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 5.0]))
    assert ga.tolist() == [0.5, 0.0, 1.0] and gb.tolist() == [0.5, 1.0, 0.0]


def test_fmax_ignores_nan_and_routes_the_gradient_to_the_number():
    out, (ga, gb) = vjp(ops.fmax, np.array([np.nan, 1.0, 2.0]), np.array([2.0, np.nan, 2.0]))
    assert out.tolist() == [2.0, 1.0, 2.0]
    assert ga.tolist() == [0.0, 1.0, 1.0] and gb.tolist() == [1.0, 0.0, 0.0]
    assert ops.fmin(np.array([np.nan, 3.0]), np.array([1.0, np.nan])).tolist() == [1.0, 3.0]


def test_divide_no_nan_is_zero_with_zero_gradients_where_the_divisor_is_zero():
    out, (ga, gb) = vjp(ops.divide_no_nan, np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    assert out.tolist() == [0.0, 0.5]
    assert ga.tolist() == [0.0, 0.25] and gb.tolist() == [0.0, -0.125]
    assert ops.divide_no_nan(np.array([1, 2], np.int32), 0).dtype == np.float32


def test_nan_to_num_replaces_non_finite_values_and_blocks_their_gradient():
    x = np.array([np.nan, np.inf, -np.inf, 2.0])
    out, (grad,) = vjp(lambda v: ops.nan_to_num(v, posinf=5.0), x)
    assert out.tolist() == [0.0, 5.0, np.finfo(np.float64).min, 2.0]
    assert grad.tolist() == [0.0, 0.0, 0.0, 1.0]
    assert ops.nan_to_num(np.array([np.nan, np.inf], np.float32)).tolist() == \
        [0.0, float(np.finfo(np.float32).max)]


def test_sinc_and_its_derivative_at_zero_and_at_one():
    out, (grad,) = vjp(ops.sinc, np.array([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(out, [1.0, 2 / np.pi, 0.0], atol=1e-16)
    np.testing.assert_allclose(grad, [0.0, -4 / np.pi, -1.0], rtol=1e-14)


def test_mod_and_fmod_differ_in_the_sign_of_the_remainder():
    a, b = np.array([-5.5, 5.5]), np.array([2.0, -2.0])
    assert ops.mod(a, b).tolist() == [0.5, -0.5]
    assert ops.fmod(a, b).tolist() == [-1.5, 1.5]
    _, (_, gb) = vjp(ops.fmod, a, b)
    assert gb.tolist() == [2.0, 2.0]                # -trunc(-2.75), -trunc(-2.75)
    _, (_, gb) = vjp(ops.mod, a, b)
    assert gb.tolist() == [3.0, 3.0]                # -floor(-2.75)


def test_nextafter_steps_one_float_and_passes_the_gradient_to_x1_only():
    x1 = np.array([1.0, 2.0, 4.0])
    x2 = np.array([1.0, 0.0, 5.0])
    out, (g1, g2) = vjp(ops.nextafter, x1, x2)
    assert out.tolist() == [1.0, np.nextafter(2.0, 0.0), np.nextafter(4.0, 5.0)]
    assert g1.tolist() == [0.0, 1.0, 1.0] and g2.tolist() == [0.0, 0.0, 0.0]
    assert ops.nextafter(np.float32(1), np.float32(2)) == np.float32(1) + np.finfo("float32").eps


def test_rounding_goldens():
    assert ops.round(np.array([0.5, 1.5, 2.5, -0.5])).tolist() == [0.0, 2.0, 2.0, -0.0]
    assert ops.round(np.array([1234, 1250, 1350], np.int32), -2).tolist() == [1200, 1200, 1400]
    assert ops.trunc(np.array([-1.7, 1.7])).tolist() == [-1.0, 1.0]
    assert ops.ceil(np.array([1, 2], np.int32)).dtype == np.float32
    assert ops.floor(np.array([-1.5], np.float32)).tolist() == [-2.0]
    assert ops.sign(np.array([-2.0, 0.0, 3.0])).tolist() == [-1.0, 0.0, 1.0]
    assert np.isnan(ops.sign(np.array([np.nan])))[0]        # Keras on torch gives 0 here


def test_angle_of_real_numbers():
    out = ops.angle(np.array([-0.0, 0.0, -1.0, 2.0, np.nan], np.float32))
    np.testing.assert_allclose(out, [0.0, 0.0, np.pi, 0.0, np.nan], rtol=1e-7)
    assert out.dtype == np.float32


def test_heaviside_and_imag():
    assert ops.heaviside(np.array([-1.0, 0.0, 2.0]), 0.5).tolist() == [0.0, 0.5, 1.0]
    assert ops.heaviside(np.array([-1, 0, 2], np.int32), 1).dtype == np.float32
    x = np.array([1.5, -2.0], np.float32)
    assert ops.imag(x).tolist() == [0.0, 0.0] and ops.imag(x).dtype == np.float32
    assert ops.imag(np.array([1 + 2j])).tolist() == [2.0]
    assert ops.real(np.array([1 + 2j])).tolist() == [1.0]


def test_isclose_uses_the_tolerance_of_x2():
    assert ops.isclose(np.array([1.0]), np.array([1.05]), rtol=0.05, atol=0).tolist() == [True]
    assert ops.isclose(np.array([1.05]), np.array([1.0]), rtol=0.05, atol=0).tolist() == [False]
    assert ops.allclose([1.0, 2.0], [1.0, 2.0]).shape == ()


def test_bitwise_goldens():
    assert ops.left_shift(np.array([1, 2], np.int32), 3).tolist() == [8, 16]
    assert ops.right_shift(np.array([-16, 16], np.int32), 2).tolist() == [-4, 4]
    assert ops.bitwise_invert(np.array([0, 5], np.uint8)).tolist() == [255, 250]
    assert ops.bitwise_xor(np.array([0b1100], np.int32), 0b1010).tolist() == [0b0110]
    assert ops.gcd(np.array([12, -18]), np.array([8, 12])).tolist() == [4, 6]
    assert ops.lcm(np.array([4, -6]), np.array([6, 4])).tolist() == [12, 12]


def test_where_with_the_condition_alone_gives_the_indices():
    c = np.array([[True, False], [False, True]])
    out = ops.where(c)
    assert out.tolist() == [[0, 1], [0, 1]] and out.dtype == np.int64


def test_where_broadcasts_and_routes_the_gradient():
    c = np.array([True, False, True])
    out, (ga, gb) = vjp(ops.where, c, np.array([1.0, 2.0, 3.0]), np.array([10.0]), wrt=[1, 2])
    assert out.tolist() == [1.0, 10.0, 3.0]
    assert ga.tolist() == [1.0, 0.0, 1.0] and gb.tolist() == [1.0]


def test_ldexp():
    assert ops.ldexp(np.array([0.75, 1.5], np.float32), np.array([1, 2])).tolist() == [1.5, 6.0]
    assert ops.ldexp(np.array([1.0], np.float32), 3).dtype == np.float32
    assert ops.ldexp(np.array([1, 2], np.int32), np.array([1, 2], np.int32)).dtype == np.float32


# ------------------------------------------------------------------ Keras's dtypes
@pytest.mark.parametrize("call, dtype", [
    (lambda: ops.exp(2), "float32"),
    (lambda: ops.exp(2.0), "float32"),
    (lambda: ops.exp([1, 2]), "float32"),
    (lambda: ops.abs(-2), "int32"),
    (lambda: ops.abs([1.5, -2.0]), "float32"),
    (lambda: ops.square(np.array([True])), "int32"),
    (lambda: ops.maximum(np.ones(2, np.float32), 0), "float32"),
    (lambda: ops.maximum(np.ones(2, np.int32), 0.5), "float32"),
    (lambda: ops.maximum(np.ones(2, np.int32), np.ones(2, np.float32)), "float32"),
    (lambda: ops.maximum(np.ones(2, np.int32), 7), "int32"),
    (lambda: ops.arctan2(1, 2), "float32"),
    (lambda: ops.where(np.array([True]), 1, 2), "int32"),
    (lambda: ops.where(np.array([True]), 1, 2.0), "float32"),
    (lambda: ops.where(np.array([True]), np.ones(1, np.float32), 0), "float32"),
    (lambda: ops.select([np.array([True])], [np.ones(1, np.float32)]), "float32"),
    (lambda: ops.cbrt(np.array([8])), "float64"),           # int64: float64, as in Keras
    (lambda: ops.cbrt(np.array([8], np.int32)), "float32"),
    (lambda: ops.sqrt(np.ones(2)), "float64"),               # float64 stays float64
])
def test_python_numbers_and_lists_get_kerass_dtypes(call, dtype):
    assert np.asarray(call()).dtype == np.dtype(dtype)


def test_a_weak_python_float_compares_in_the_arrays_dtype():
    x = np.array([0.1, 0.3], np.float32)
    assert ops.equal(x, 0.1).tolist() == [True, False]
    assert ops.isclose(x, 0.1, rtol=0, atol=0).tolist() == [True, False]


def test_the_tapes_arithmetic_and_comparisons_type_python_numbers_weakly():
    x = np.array([0.1, 0.3], np.float32)
    assert ops.greater(x, 0.1).tolist() == [False, True]        # Keras: 0.1 is float32
    assert ops.add(np.array([1, 2], np.int32), 3).dtype == np.int32
    assert ops.divide(np.array([1, 2], np.int32), np.array([2, 2], np.int32)).dtype == \
        np.float32                                               # Keras: floatx
    assert ops.multiply(np.ones(2, np.int32), np.ones(2, np.float32)).dtype == np.float32
    with Tape() as tape:                          # the operators of a traced value agree
        t = tape.watch(x)
        assert (t > 0.1).tolist() == [False, True]
        assert (t * 2).dtype == np.float32


def test_floatx_float64_makes_integer_inputs_float64():
    backend.set_floatx("float64")
    assert ops.exp(np.array([1], np.int32)).dtype == np.float64
    assert ops.exp(1.0).dtype == np.float64


def test_ops_on_traced_values_inside_a_tape_are_recorded_and_outside_plain():
    x = np.array([0.5, 1.5])
    assert isinstance(ops.arcsinh(x), np.ndarray)
    with Tape() as tape:
        t = tape.watch(x)
        assert isinstance(ops.logaddexp(t, 1.0), Traced)
        assert not isinstance(ops.floor(t), Traced)
        assert not isinstance(ops.isclose(t, t), Traced)


# ------------------------------------------------------------------ kind errors
@pytest.mark.parametrize("call, error, words", [
    (lambda: ops.ldexp(np.ones(2), np.ones(2)), TypeError, r"ops\.ldexp: `x2`.*integer.*float64"),
    (lambda: ops.bitwise_and(np.ones(2), np.ones(2, np.int32)), TypeError,
     r"ops\.bitwise_and: `x` must be an integer or boolean.*float64.*cast"),
    (lambda: ops.left_shift(np.ones(2, np.int32), 1.5), TypeError,
     r"ops\.left_shift: `y` must be an integer array"),
    (lambda: ops.gcd(np.array([True]), np.array([1])), TypeError, r"ops\.gcd: `x1`"),
    (lambda: ops.where(np.array([True]), np.ones(1)), ValueError,
     r"ops\.where: `x1` was given but `x2` was not"),
    (lambda: ops.where(np.array([True]), x2=np.ones(1)), ValueError,
     r"`x2` was given but `x1` was not"),
    (lambda: ops.select(np.array([True]), [np.ones(1)]), ValueError,
     r"ops\.select: `condlist` must be a list.*ndarray"),
    (lambda: ops.select([np.array([True])], [np.ones(1), np.ones(1)]), ValueError,
     r"ops\.select:.*1 conditions and 2 choices"),
    (lambda: ops.select([np.array([1.0])], [np.ones(1)]), TypeError,
     r"ops\.select: condition 0 .*boolean.*float64"),
    (lambda: ops.round(np.ones(2), 1.5), TypeError, r"ops\.round: `decimals` must be an int"),
    (lambda: ops.round(np.array([True])), TypeError, r"ops\.round: cannot round a boolean"),
])
def test_kind_errors_name_the_op_the_argument_and_the_fix(call, error, words):
    with pytest.raises(error, match=words) as info:
        call()
    assert "Fix:" in str(info.value)
