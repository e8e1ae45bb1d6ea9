"""keras.ops array creation: constants, ranges, windows and grids.

``CASES`` drives the gradient check (``linspace``, ``logspace``, ``geomspace``,
``meshgrid`` and ``vander`` are differentiable in their tensor inputs), the
no-gradient rule (every constant), and the Keras oracle in
``tests/oracle/test_ops_creation_against_keras.py``. The targeted tests pin
Keras's dtypes (``arange(5)`` is int32, ``full(shape, 3)`` float32) and
hand-computed derivatives.
"""
import numpy as np
import pytest

from kerastutor import ops
from kerastutor.tape import Tape
from op_cases import OpCase, gradient_tests


# ------------------------------------------------------------------ inputs
def scalars(low, high):
    """Two 0-d float64 end points drawn from [low, high) (tensors, so they are differentiated)."""
    return lambda rng: (np.array(rng.uniform(low, high)), np.array(rng.uniform(low, high)))


def end_vectors(rng):
    n = int(rng.integers(2, 4))
    return rng.uniform(-2, 0, size=n), rng.uniform(0.5, 2, size=n)


def positive_vectors(rng):
    n = int(rng.integers(2, 4))
    return rng.uniform(0.5, 2, size=n), rng.uniform(3, 9, size=n)


def grid_vectors(count):
    return lambda rng: tuple(rng.standard_normal(int(rng.integers(2, 5))) for _ in range(count))


def float_vector(rng):
    return (rng.uniform(0.5, 2.0, size=int(rng.integers(2, 5))) * rng.choice([-1, 1], size=1),)


def a_matrix(rng):
    return (rng.standard_normal((2, 3)),)


def const(*args):
    return lambda rng: args


ENDPOINT_NOTE = ("Keras on torch cannot run it: endpoint=False turns a 0-d stop into a "
                 "NumPy scalar, which torch.linspace refuses (the vector case runs)")
LOOSE = {"rtol": 1e-4, "atol": 1e-5}       # float32 powers and logs: a few ulps apart

CASES = [
    # ---------------------------------------------------------------- differentiable ranges
    OpCase("linspace", scalars(-2, 2), {"num": 5}, grad=(0, 1)),
    OpCase("linspace", scalars(-2, 2), {"num": 4, "endpoint": False}, grad=(0, 1),
           label="endpoint=False", oracle=False, note=ENDPOINT_NOTE),
    OpCase("linspace", end_vectors, {"num": 4, "endpoint": False}, grad=(0, 1),
           label="vectors,endpoint=False"),
    OpCase("linspace", scalars(-2, 2), {"num": 6, "retstep": True}, grad=(0, 1),
           label="retstep"),
    OpCase("linspace", end_vectors, {"num": 3}, grad=(0, 1), label="vectors"),
    OpCase("linspace", scalars(-2, 2), {"num": 1}, grad=(0, 1), label="num=1", keras_bug=(
        "keras.ops.linspace(start, stop, num=1) with tensor end points on torch divides "
        "by num - 1 = 0: linspace(np.array(0.5), np.array(1.0), 1) gives [nan], NumPy [0.5]")),
    OpCase("linspace", end_vectors, {"num": 4, "axis": 1}, grad=(0, 1), label="axis=1",
           oracle=False, note="torch's linspace refuses an axis other than 0"),
    OpCase("logspace", scalars(-1, 1), {"num": 5}, grad=(0, 1), **LOOSE),
    OpCase("logspace", scalars(-1, 1), {"num": 4, "base": 2.0, "endpoint": False},
           grad=(0, 1), label="base=2,endpoint=False", oracle=False, note=ENDPOINT_NOTE),
    # dtype float64: Keras would make float64 end points a float32 range (its 64->32 rule),
    # whose derivative is then only float32-accurate.
    OpCase("logspace", end_vectors, {"num": 3, "dtype": "float64"}, grad=(0, 1),
           label="vectors", **LOOSE),
    OpCase("logspace", end_vectors, {"num": 4, "base": 2.0, "endpoint": False,
                                     "dtype": "float64"}, grad=(0, 1),
           label="vectors,base=2,endpoint=False", **LOOSE),
    OpCase("geomspace", scalars(0.5, 4), {"num": 5}, grad=(0, 1), **LOOSE),
    OpCase("geomspace", lambda rng: tuple(-v for v in scalars(0.5, 4)(rng)), {"num": 4},
           grad=(0, 1), label="negative", **LOOSE),
    OpCase("geomspace", positive_vectors, {"num": 3}, grad=(0, 1), label="vectors", **LOOSE),
    OpCase("geomspace", scalars(0.5, 4), {"num": 4, "endpoint": False}, grad=(0, 1),
           label="endpoint=False", **LOOSE),
    # ---------------------------------------------------------------- grids
    OpCase("meshgrid", grid_vectors(2), grad=(0, 1)),
    OpCase("meshgrid", grid_vectors(2), {"indexing": "ij"}, grad=(0, 1), label="ij"),
    OpCase("meshgrid", grid_vectors(3), grad=(0, 1, 2), label="three"),
    # (grad=(0, 1): the oracle pairs upstreams with the Keras outputs that need a gradient,
    # so an undifferentiated input must come last)
    OpCase("meshgrid", grid_vectors(3), {"indexing": "ij"}, grad=(0, 1), label="three,ij"),
    OpCase("vander", float_vector, oracle=False, note=(
        "torch's backward of vander raises (a tensor it needs was modified in place); "
        "the values are compared by test_vander_values_against_keras")),
    OpCase("vander", float_vector, {"N": 4, "increasing": True}, label="N=4,increasing",
           oracle=False, note="torch's backward of vander raises (see above)"),
    OpCase("vander", const(np.array([1, 2, 3], dtype="int32")), grad=(), label="int"),
    # ---------------------------------------------------------------- ranges without gradient
    OpCase("linspace", const(0, 10), {"num": 4, "dtype": "int32"}, grad=(), label="int dtype"),
    OpCase("linspace", const(0, 1), {"num": 5}, grad=(), label="python"),
    OpCase("logspace", const(0, 2), {"num": 3}, grad=(), label="python", **LOOSE),
    OpCase("geomspace", const(1, 1000), {"num": 4}, grad=(), label="python", **LOOSE),
    OpCase("arange", const(5), grad=()),
    OpCase("arange", const(5.0), grad=(), label="float"),
    OpCase("arange", const(1, 7, 2), grad=(), label="start,stop,step"),
    OpCase("arange", const(0.5, 3.0, 0.5), grad=(), label="float step"),
    OpCase("arange", const(4), {"dtype": "float32"}, grad=(), label="dtype"),
    # ---------------------------------------------------------------- constants
    OpCase("array", const([[1, 2], [3, 4]]), grad=(), label="ints"),
    OpCase("array", a_matrix, grad=(), label="floats"),
    OpCase("array", a_matrix, {"dtype": "float64"}, grad=(), label="dtype"),
    OpCase("zeros", const((2, 3)), grad=()),
    OpCase("ones", const((3,)), grad=()),
    OpCase("ones", const((2, 2)), {"dtype": "int32"}, grad=(), label="int32"),
    OpCase("full", const((2, 3), 3), grad=(), label="int fill"),
    OpCase("full", const((2,), 1.5), {"dtype": "float64"}, grad=(), label="float64"),
    OpCase("empty", const((2, 3)), grad=(), oracle=False,
           note="values unspecified; shape and dtype checked by test_empty_against_keras"),
    OpCase("zeros_like", a_matrix, grad=()),
    OpCase("zeros_like", const([1, 2]), grad=(), label="python ints"),
    OpCase("ones_like", a_matrix, grad=()),
    OpCase("ones_like", const(np.array([1, 2], "int32")), grad=(), label="int32"),
    OpCase("full_like", lambda rng: (*a_matrix(rng), 2), grad=()),
    OpCase("full_like", const(np.array([1, 2], "int32"), 1.5), grad=(), label="int32"),
    OpCase("empty_like", a_matrix, grad=(), oracle=False,
           note="values unspecified; shape and dtype checked by test_empty_against_keras"),
    OpCase("eye", const(3), grad=()),
    OpCase("eye", const(3), {"M": 4, "k": 1}, grad=(), label="M=4,k=1"),
    OpCase("identity", const(4), grad=()),
    OpCase("tri", const(3), grad=()),
    OpCase("tri", const(3), {"M": 4, "k": -1}, grad=(), label="M=4,k=-1"),
    # ---------------------------------------------------------------- windows
    OpCase("bartlett", const(5), grad=()),
    OpCase("blackman", const(6), grad=()),
    OpCase("hamming", const(7), grad=()),
    OpCase("hanning", const(4), grad=()),
    OpCase("kaiser", const(5, 3.0), grad=(), **LOOSE),
]

test_gradient, test_repeatable, test_no_gradient = gradient_tests(CASES)


def gradients(function, *inputs, upstream=None):
    """The tape's gradient of ``sum(upstream * function(*inputs))`` for each input."""
    with Tape() as tape:
        watched = [tape.watch(np.asarray(x, dtype=np.float64)) for x in inputs]
        out = function(*watched)
    outs = out if isinstance(out, (list, tuple)) else [out]
    found = {}
    for o in outs:
        seed = np.ones(o.shape) if upstream is None else np.asarray(upstream, np.float64)
        for key, g in tape.backward(o, seed).items():
            found[key] = found.get(key, 0) + g
    return [found[id(w)].tolist() for w in watched]


# ------------------------------------------------------------------ coverage
def test_the_chapter_covers_its_keras_names():
    from kerastutor.ops import creation
    assert set(creation.__all__) == {case.op for case in CASES}


# ------------------------------------------------------------------ dtypes as Keras
@pytest.mark.parametrize("call, dtype", [
    (lambda: ops.arange(5), "int32"), (lambda: ops.arange(5.0), "float32"),
    (lambda: ops.arange(1, 5, 0.5), "float32"), (lambda: ops.arange(np.int64(3)), "int32"),
    (lambda: ops.full((2,), 3), "float32"), (lambda: ops.full_like(np.zeros(2, "int32"), 1.5),
                                              "int32"),
    (lambda: ops.linspace(0, 1, 5), "float32"), (lambda: ops.logspace(0, 1, 3), "float32"),
    (lambda: ops.geomspace(1, 8, 4), "float32"), (lambda: ops.eye(2), "float32"),
    (lambda: ops.zeros_like([1, 2]), "int32"), (lambda: ops.ones_like([1.0, 2.0]), "float32"),
    (lambda: ops.array([1, 2]), "int32"), (lambda: ops.array(np.zeros(2)), "float64"),
    (lambda: ops.hamming(4), "float32"), (lambda: ops.empty((2,)), "float32"),
    (lambda: ops.meshgrid(np.arange(3), np.arange(2))[0], "int64"),
    (lambda: ops.vander(np.arange(3, dtype="int32")), "int32"),
])
def test_dtypes_follow_keras(call, dtype):
    assert call().dtype == np.dtype(dtype)


def test_float64_ranges_stay_float64_so_they_can_be_differentiated():
    assert ops.linspace(np.float64(0), np.ones(2), 3).dtype == np.float64
    assert ops.vander(np.ones(2)).dtype == np.float64


# ------------------------------------------------------------------ goldens
def test_linspace_golden_and_its_derivative():
    assert ops.linspace(1.0, 2.0, 5).tolist() == [1, 1.25, 1.5, 1.75, 2]
    samples, step = ops.linspace(0.0, 1.0, 4, endpoint=False, retstep=True)
    assert samples.tolist() == [0, 0.25, 0.5, 0.75] and float(step) == 0.25
    # t = [0, 1/2, 1]: d/da = sum(1 - t) = 1.5, d/db = sum(t) = 1.5; with g = [1, 2, 3]:
    assert gradients(lambda a, b: ops.linspace(a, b, 3), 0.0, 1.0) == [1.5, 1.5]
    assert gradients(lambda a, b: ops.linspace(a, b, 3), 0.0, 1.0, upstream=[1, 2, 3]) \
        == [2.0, 4.0]


def test_linspace_retstep_gradient_includes_the_step():
    # samples [a, (a+b)/2, b] and step (b - a)/2: ones upstream give 1.5 -/+ 0.5
    assert gradients(lambda a, b: ops.linspace(a, b, 3, retstep=True), 0.0, 1.0) == [1.0, 2.0]


def test_geomspace_golden_and_its_derivative():
    np.testing.assert_allclose(ops.geomspace(1.0, 100.0, 3), [1, 10, 100], rtol=1e-6)
    np.testing.assert_allclose(ops.geomspace(-1.0, -100.0, 3), [-1, -10, -100], rtol=1e-6)
    # y = [1, 10, 100], t = [0, 1/2, 1]: d/da = (1 + 10/2) / 1, d/db = (10/2 + 100) / 100
    np.testing.assert_allclose(
        gradients(lambda a, b: ops.geomspace(a, b, 3), 1.0, 100.0), [6.0, 1.05])


def test_logspace_derivative_by_hand():
    # z = 10^[0, 1]: dz/da = z (1 - t) ln 10 = [ln 10, 0], dz/db = [0, 10 ln 10]
    np.testing.assert_allclose(gradients(lambda a, b: ops.logspace(a, b, 2), 0.0, 1.0),
                               [np.log(10), 10 * np.log(10)])


def test_meshgrid_sums_each_grid_back_to_its_vector():
    xs, ys = ops.meshgrid(np.arange(3.0), np.arange(2.0))
    assert xs.shape == ys.shape == (2, 3)
    assert gradients(lambda a, b: ops.meshgrid(a, b), np.zeros(3), np.zeros(2)) == \
        [[2, 2, 2], [3, 3]]
    assert gradients(lambda a, b: ops.meshgrid(a, b, indexing="ij")[0], np.zeros(3),
                     np.zeros(2))[0] == [2, 2, 2]


def test_vander_golden_and_derivative():
    assert ops.vander(np.array([2.0, 3.0]), 3).tolist() == [[4, 2, 1], [9, 3, 1]]
    # row i is [x^2, x, 1]: derivative 2x + 1 = [5, 7] for ones upstream
    assert gradients(lambda x: ops.vander(x, 3), np.array([2.0, 3.0])) == [[5, 7]]
    assert gradients(lambda x: ops.vander(x, 3, increasing=True), np.array([0.0])) == [[1]]


def test_empty_is_zeros_so_runs_repeat():
    assert ops.empty((2, 2)).tolist() == [[0, 0], [0, 0]]
    assert ops.empty_like(np.ones(3, "int32")).tolist() == [0, 0, 0]


def test_constants_ignore_the_tape():
    with Tape() as tape:
        x = tape.watch(np.ones((2, 2)))
        for made in (ops.ones_like(x), ops.zeros_like(x), ops.full_like(x, 2.0),
                     ops.array(x), ops.empty_like(x)):
            assert type(made) is np.ndarray and made.shape == (2, 2)


# ------------------------------------------------------------------ kind errors
@pytest.mark.parametrize("call, message", [
    (lambda: ops.geomspace(0.0, 1.0, 3), r"ops\.geomspace: `start` and `stop` must be non-zero"),
    (lambda: ops.geomspace(-1.0, 1.0, 3), r"ops\.geomspace: .*one sign"),
    (lambda: ops.meshgrid(np.ones(2), indexing="yx"), r"ops\.meshgrid: `indexing`"),
    (lambda: ops.vander(np.ones((2, 2))), r"ops\.vander: `x` must be a vector"),
    (lambda: ops.linspace(0.0, 1.0, -1), r"ops\.linspace: `num` must be >= 0"),
    (lambda: ops.linspace(np.zeros(2), np.ones(2), 3, axis=3), r"ops\.linspace: `axis`"),
])
def test_kind_errors_name_the_op_and_the_fix(call, message):
    with pytest.raises(ValueError, match=message):
        call()
