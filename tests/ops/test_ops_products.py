"""keras.ops products and contractions: dot, matmul, einsum, tensordot, outer, kron, ...

``CASES`` drives the gradient check and the repeatable backward here, and the
Keras oracle in ``tests/oracle/test_ops_products_against_keras.py``. The
targeted tests pin NumPy's semantics (``dot`` on N-D arrays, einsum's implicit
output, ``...`` and diagonals, correlate's modes), small hand-computed values
and the kind errors.
"""
import numpy as np
import pytest

from kerastutor import ops
from kerastutor.tape import Tape, Traced
from op_cases import OpCase, gradient_tests


def _n(rng, low=2, high=5):
    return int(rng.integers(low, high))


def normal(rng, *shape):
    return np.asarray(rng.standard_normal(shape))


def pair(shape1, shape2):
    """``make`` for two normal arrays of the given shapes (callables of rng allowed)."""
    def make(rng):
        s1 = shape1(rng) if callable(shape1) else shape1
        s2 = shape2(rng) if callable(shape2) else shape2
        return normal(rng, *s1), normal(rng, *s2)
    return make


def _matmul_shapes(rng):
    m, k, n = _n(rng), _n(rng), _n(rng)
    return (m, k), (k, n)


def matrices(rng):
    a, b = _matmul_shapes(rng)
    return normal(rng, *a), normal(rng, *b)


def batched_matrices(rng):
    m, k, n, batch = _n(rng), _n(rng), _n(rng), _n(rng)
    return normal(rng, batch, m, k), normal(rng, 1, k, n)      # the batch broadcasts


def dot_nd(rng):
    """dot of a 3-D and a 3-D array: NumPy's sum over x1's last and x2's second-to-last axis."""
    k = _n(rng)
    return normal(rng, 2, _n(rng), k), normal(rng, _n(rng), k, _n(rng))


def dot_same_shape_as_matmul(rng):
    """(k, n) . (k, n, m) with m == k: NumPy's dot and a broadcasting matmul give the same
    shape but different values (the oracle's Keras-bug case)."""
    k, n = _n(rng), _n(rng)
    return normal(rng, k, n), normal(rng, k, n, k)


def vectors(rng):
    n = _n(rng, 3, 7)
    return normal(rng, n), normal(rng, n)


def three_vectors(rng):
    return normal(rng, _n(rng), 3), normal(rng, 3)


def signals(rng):
    return normal(rng, _n(rng, 5, 9)), normal(rng, _n(rng, 2, 4))


def short_first(rng):
    return normal(rng, _n(rng, 2, 4)), normal(rng, _n(rng, 5, 8))


def samples_and_points(rng):
    n = _n(rng, 3, 6)
    return normal(rng, _n(rng), n), np.cumsum(rng.uniform(0.5, 1.5, n))


CASES = [
    OpCase("matmul", matrices, grad=(0, 1), label="2d"),
    OpCase("matmul", batched_matrices, grad=(0, 1), label="batched-broadcast"),
    OpCase("matmul", pair((4,), (4, 3)), grad=(0, 1), label="vector-matrix"),
    OpCase("dot", matrices, grad=(0, 1), label="2d"),
    OpCase("dot", vectors, grad=(0, 1), label="1d"),
    OpCase("dot", pair((2, 3, 4), (4,)), grad=(0, 1), label="nd-1d"),
    OpCase("dot", pair((), (2, 3)), grad=(0, 1), label="scalar"),
    OpCase("dot", dot_nd, grad=(0, 1), label="nd-nd", oracle=False,
           note="Keras's torch backend computes torch.matmul, which broadcasts the batch axes "
                "instead of keeping both (shapes differ or the call fails); checked in "
                "test_dot_nd_keras_torch_is_matmul"),
    OpCase("dot", dot_same_shape_as_matmul, grad=(0, 1), label="2d-3d",
           keras_bug="dot on the torch backend is matmul, not the sum over x1's last and x2's "
                     "second-to-last axis that Keras's docstring (and NumPy) define"),
    OpCase("einsum", lambda rng: ("ij,jk->ik",) + matrices(rng), grad=(1, 2), label="matmul"),
    OpCase("einsum", lambda rng: ("bij,bjk->bik", normal(rng, 2, 3, 4), normal(rng, 2, 4, 2)),
           grad=(1, 2), label="batched"),
    OpCase("einsum", lambda rng: ("...ij,...jk->...ik", normal(rng, 1, 3, 4),
                                  normal(rng, 2, 4, 2)),
           grad=(1, 2), label="ellipsis-broadcast"),
    OpCase("einsum", lambda rng: ("ij,kj", normal(rng, 2, 3), normal(rng, 4, 3)),
           grad=(1, 2), label="implicit"),
    OpCase("einsum", lambda rng: ("ii->i", normal(rng, 3, 3)), grad=(1,), label="diagonal"),
    OpCase("einsum", lambda rng: ("ii", normal(rng, 4, 4)), grad=(1,), label="trace"),
    OpCase("einsum", lambda rng: ("ij,j,k->ik", normal(rng, 2, 3), normal(rng, 3),
                                  normal(rng, 4)),
           grad=(1, 2, 3), label="three-operands"),
    OpCase("einsum", lambda rng: ("ij->", normal(rng, 3, 2)), grad=(1,), label="sum-all"),
    OpCase("inner", vectors, grad=(0, 1), label="1d"),
    OpCase("inner", pair((2, 3), (4, 3)), grad=(0, 1), label="2d"),
    OpCase("outer", vectors, grad=(0, 1), label="1d"),
    OpCase("outer", pair((2, 3), (4,)), grad=(0, 1), label="flattens"),
    OpCase("vdot", vectors, grad=(0, 1), label="1d"),
    OpCase("vdot", pair((2, 3), (3, 2)), grad=(0, 1), label="flattens", oracle=False,
           note="torch.vdot (Keras's torch backend) refuses arrays that are not 1-D; "
                "Keras's docstring flattens them, as NumPy and kerastutor do"),
    OpCase("tensordot", pair((2, 3, 4), (3, 4, 5)), grad=(0, 1), label="axes=2", oracle=False,
           note="Keras's torch tensordot computes float64 in float32 (gradient off by 1e-6); "
                "compared at a float32 tolerance in test_tensordot_float64_computed_in_float32"),
    OpCase("tensordot", pair((2, 3, 4), (4, 3, 5)), {"axes": ([1, 2], [1, 0])}, grad=(0, 1),
           label="axes-pairs", oracle=False,
           note="as axes=2: compared in test_tensordot_float64_computed_in_float32"),
    OpCase("tensordot", pair((2, 3), (3, 4)), {"axes": (1, 0)}, grad=(0, 1),
           label="axes-ints"),
    OpCase("tensordot", pair((2, 3), (4,)), {"axes": 0}, grad=(0, 1), label="axes=0"),
    OpCase("kron", pair((2, 3), (3, 2)), grad=(0, 1), label="2d"),
    OpCase("kron", pair((2, 3), (4,)), grad=(0, 1), label="ranks-differ"),
    OpCase("cross", three_vectors, grad=(0, 1), label="broadcast-ranks", oracle=False,
           note="torch.cross (Keras's torch backend) needs operands of equal rank"),
    OpCase("cross", pair((4, 3), (1, 3)), grad=(0, 1), label="broadcast"),
    OpCase("cross", pair((3, 4), (3, 4)), {"axis": 0}, grad=(0, 1), label="axis=0"),
    OpCase("cross", pair((4, 2), (4, 3)), grad=(0, 1), label="2d-and-3d", oracle=False,
           note="torch.cross needs 3-vectors on both sides; NumPy reads a 2-vector as (x, y, 0)"),
    OpCase("cross", pair((2, 3), (3, 2)), {"axisa": 1, "axisb": 0}, grad=(0, 1),
           label="axisa-axisb", oracle=False,
           note="Keras's torch backend refuses axisa/axisb/axisc (only `axis`)"),
    OpCase("correlate", signals, grad=(0, 1), label="valid"),
    OpCase("correlate", signals, {"mode": "full"}, grad=(0, 1), label="full"),
    OpCase("correlate", signals, {"mode": "same"}, grad=(0, 1), label="same"),
    OpCase("correlate", short_first, {"mode": "full"}, grad=(0, 1), label="full-short-first"),
    OpCase("correlate", short_first, grad=(0, 1), label="valid-short-first"),
    OpCase("correlate", short_first, {"mode": "same"}, grad=(0, 1), label="same-short-first",
           oracle=False,
           note="Keras's torch backend returns len(x1) values, not max(M, N) (shape differs; "
                "checked in test_correlate_same_keras_torch_length)"),
    OpCase("trapezoid", lambda rng: (normal(rng, _n(rng), _n(rng, 3, 6)),), label="dx=1"),
    OpCase("trapezoid", lambda rng: (normal(rng, _n(rng, 3, 6), 2),), {"dx": 0.5, "axis": 0},
           label="dx,axis=0"),
    OpCase("trapezoid", samples_and_points, grad=(0, 1), label="x-points"),
]

test_gradient, test_repeatable, test_no_gradient = gradient_tests(CASES)


# ------------------------------------------------------------------ NumPy semantics
@pytest.mark.parametrize("case", [c for c in CASES if c.op != "matmul"], ids=lambda c: c.id)
def test_values_match_numpy(case):
    """Every case's value is NumPy's function on the same arguments (the definition)."""
    args = case.make(np.random.default_rng(3))
    reference = {
        "dot": np.dot, "inner": np.inner, "outer": np.outer, "vdot": np.vdot,
        "kron": np.kron, "einsum": np.einsum, "tensordot": np.tensordot,
        "correlate": np.correlate, "trapezoid": np.trapezoid,
        "cross": lambda a, b, **kw: np.cross(
            np.concatenate([a, np.zeros(a.shape[:-1] + (1,))], -1) if a.shape[-1] == 2
            and b.shape[-1] == 3 else a, b, **kw),
    }[case.op]
    ours = ops.convert_to_numpy(getattr(ops, case.op)(*args, **case.kwargs))
    np.testing.assert_allclose(ours, reference(*args, **case.kwargs), rtol=1e-12, atol=1e-12)


def test_dot_of_nd_arrays_keeps_every_free_axis():
    a, b = np.ones((2, 3, 4)), np.ones((5, 4, 6))
    assert ops.dot(a, b).shape == (2, 3, 5, 6)
    assert ops.matmul(np.ones((5, 3, 4)), b).shape == (5, 3, 6)


def test_dot_hand_computed():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])     # I and a swap
    # dot(a, b)[i, j, m] = sum_n a[i, n] b[j, n, m]
    np.testing.assert_array_equal(ops.dot(a, b), [[[1, 2], [2, 1]], [[3, 4], [4, 3]]])


def test_einsum_implicit_output_is_alphabetical():
    a, b = np.ones((2, 3)), np.ones((3, 4))
    assert ops.einsum("ba,ac", np.ones((5, 3)), b).shape == (5, 4)     # b, c once: "bc"
    assert ops.einsum("ca,ab", np.ones((5, 3)), b).shape == (4, 5)     # b, c once: "bc"
    assert ops.einsum("ij,jk", a, b).shape == (2, 4)
    assert np.shape(ops.einsum("i,i", np.ones(3), np.ones(3))) == ()


def test_einsum_trace_and_diagonal_golden():
    a = np.array([[1.0, 2.0], [3.0, 5.0]])
    assert float(ops.einsum("ii", a)) == 6.0
    np.testing.assert_array_equal(ops.einsum("ii->i", a), [1.0, 5.0])
    with Tape() as tape:
        x = tape.watch(a)
        y = ops.einsum("ii->i", x)
    grad = tape.gradient(y, np.array([10.0, 20.0]), x)
    np.testing.assert_array_equal(grad, [[10.0, 0.0], [0.0, 20.0]])   # only the diagonal


def test_einsum_ellipsis_broadcast_gradient_sums_back():
    a, b = np.ones((1, 2, 3)), np.ones((4, 3, 2))
    with Tape() as tape:
        x = tape.watch(a)
        y = ops.einsum("...ij,...jk->...ik", x, b)
    assert y.shape == (4, 2, 2)
    grad = tape.gradient(y, np.ones(y.shape), x)
    np.testing.assert_array_equal(grad, np.full((1, 2, 3), 8.0))      # 4 batches x 2 columns


def test_einsum_kind_errors():
    with pytest.raises(ValueError, match="ops.einsum: .*2 operand"):
        ops.einsum("ij,jk->ik", np.ones((2, 2)))
    with pytest.raises(ValueError, match="ops.einsum: operand 0 has 3 axes"):
        ops.einsum("ij->i", np.ones((2, 2, 2)))


def test_tensordot_kind_error_names_the_axes():
    with pytest.raises(ValueError, match="ops.tensordot: the contracted axes"):
        ops.tensordot(np.ones((2, 3)), np.ones((4, 5)), axes=1)
    with pytest.raises(ValueError, match="ops.tensordot: `axes`=3"):
        ops.tensordot(np.ones((2, 3)), np.ones((3, 5)), axes=3)


def test_kron_golden():
    np.testing.assert_array_equal(ops.kron(np.array([[1.0, 2.0]]), np.array([[1.0], [10.0]])),
                                  [[1, 2], [10, 20]])


def test_cross_golden_and_plane_vectors():
    np.testing.assert_array_equal(ops.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]), [0, 0, 1])
    assert float(ops.cross(np.array([1.0, 2.0]), np.array([3.0, 4.0]))) == -2.0
    with pytest.raises(ValueError, match="ops.cross: the vectors of `x1` must have 2 or 3"):
        ops.cross(np.ones(4), np.ones(3))


def test_correlate_golden_and_modes():
    a, v = np.arange(5.0), np.array([1.0, 2.0, 0.5])
    np.testing.assert_allclose(ops.correlate(a, v), [3.0, 6.5, 10.0])
    np.testing.assert_allclose(ops.correlate(a, v, mode="full"),
                               [0.0, 0.5, 3.0, 6.5, 10.0, 11.0, 4.0])
    np.testing.assert_allclose(ops.correlate(a, v, mode="same"), [0.5, 3.0, 6.5, 10.0, 11.0])
    for m, n in [(4, 6), (6, 4), (5, 2), (2, 5), (3, 3)]:
        x, y = np.random.default_rng(m * n).standard_normal((2, max(m, n)))
        for mode in ("valid", "same", "full"):
            np.testing.assert_allclose(ops.correlate(x[:m], y[:n], mode=mode),
                                       np.correlate(x[:m], y[:n], mode=mode), err_msg=mode)


def test_correlate_dtypes_and_errors():
    assert ops.correlate(np.arange(4, dtype=np.int32), np.ones(2, np.int32)).dtype == np.float32
    assert ops.correlate(np.arange(4), np.ones(2, np.int64)).dtype == np.float64
    with pytest.raises(ValueError, match="ops.correlate: `mode` must be one of"):
        ops.correlate(np.ones(3), np.ones(2), mode="wrap")
    with pytest.raises(ValueError, match="ops.correlate: both signals must be 1-D"):
        ops.correlate(np.ones((2, 3)), np.ones(2))


def test_trapezoid_golden_and_dx_gradient():
    assert float(ops.trapezoid(np.array([1.0, 2.0, 3.0]))) == 4.0
    assert float(ops.trapezoid(np.array([1.0, 2.0, 3.0]), dx=0.5)) == 2.0
    assert float(ops.trapezoid(np.array([1.0, 3.0]), np.array([0.0, 2.0]))) == 4.0
    assert ops.trapezoid(np.arange(4)).dtype == np.float32


def test_float32_stays_float32_and_python_numbers_are_weak():
    a = np.ones((2, 3), np.float32)
    for result in (ops.dot(a, a.T), ops.einsum("ij->j", a), ops.tensordot(a, a.T, 1),
                   ops.outer(a, a), ops.kron(a, a), ops.inner(a, a), ops.vdot(a, a),
                   ops.dot(a, 2.0), ops.outer(a, 2.0)):
        assert np.asarray(result).dtype == np.float32


def test_einsum_records_once_and_returns_traced():
    with Tape() as tape:
        x = tape.watch(np.ones((2, 3)))
        y = ops.tensordot(x, np.ones((3, 4)), axes=1)
    assert isinstance(y, Traced) and y.shape == (2, 4)
    np.testing.assert_array_equal(tape.gradient(y, np.ones((2, 4)), x), np.full((2, 3), 4.0))
