"""keras.ops.linalg: solving, factorising and measuring matrices (and ``slogdet``).

``CASES`` drives the gradient check, the repeatable backward and the no-gradient
rule here, and the Keras oracle in ``tests/oracle/test_ops_linalg_against_keras.py``.
The test matrices are well conditioned (``random + n I``, ``B B^T + n I``) and
keep their eigen- and singular values apart, where the derivatives are finite.
The targeted tests check the factorisations reassemble their input, pin small
goldens and the kind errors.
"""
import numpy as np
import pytest

from kerastutor import ops
from kerastutor.tape import Tape, Traced
from op_cases import OpCase, gradient_tests


def _n(rng, low=2, high=5):
    return int(rng.integers(low, high))


def _batch(rng):
    """No batch, or one leading batch axis: the ops act on the last two axes."""
    return () if rng.integers(2) else (_n(rng, 2, 4),)


def well_conditioned(rng, n=None, batch=None):
    n = n or _n(rng)
    batch = _batch(rng) if batch is None else batch
    return rng.standard_normal(batch + (n, n)) + n * np.eye(n)


def spd(rng, n=None):
    """Symmetric positive definite: B B^T + n I."""
    n = n or _n(rng)
    b = rng.standard_normal(_batch(rng) + (n, n))
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


def _orthogonal(rng, shape):
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    return q


def spread_spectrum(rng, n):
    """Values at least 0.5 apart (eigen- and singular values the derivatives can divide by)."""
    return np.sort(1.0 + np.arange(n) * 0.8 + rng.uniform(0, 0.3, n))[::-1]


def symmetric_distinct(rng):
    n = _n(rng)
    q = _orthogonal(rng, (n, n))
    return (q * spread_spectrum(rng, n) @ q.T,)


def real_distinct_eigenvalues(rng):
    """S diag(d) S^-1 with S near I: a non-symmetric matrix with real, separate eigenvalues."""
    n = _n(rng)
    s = np.eye(n) + 0.2 * rng.standard_normal((n, n))
    return (s * spread_spectrum(rng, n) @ np.linalg.inv(s),)


def distinct_singular_values(rows, cols):
    def make(rng):
        k = min(rows, cols)
        u, v = _orthogonal(rng, (rows, k)), _orthogonal(rng, (cols, k))
        return ((u * spread_spectrum(rng, k)) @ v.T,)
    return make


def full_rank(rows, cols):
    def make(rng):
        return (rng.standard_normal((rows, cols)) + 2 * np.eye(rows, cols),)
    return make


def square(rng):
    return (well_conditioned(rng),)


def system(vector):
    def make(rng):
        a = well_conditioned(rng)
        shape = a.shape[:-1] if vector else a.shape[:-1] + (_n(rng, 1, 4),)
        return a, rng.standard_normal(shape)
    return make


def triangular_system(lower):
    def make(rng):
        a, b = system(False)(rng)
        return (np.tril(a) if lower else np.triu(a)), b
    return make


def cholesky_factor(rng):
    return (np.linalg.cholesky(spd(rng)),)


def upper_cholesky_factor(rng):
    return (np.swapaxes(np.linalg.cholesky(spd(rng)), -1, -2).copy(),)


def lstsq_problem(rows, cols, vector):
    def make(rng):
        a = full_rank(rows, cols)(rng)[0]
        return a, rng.standard_normal((rows,) if vector else (rows, 2))
    return make


def apart(rng, *shape):
    """Entries with distinct magnitudes away from 0: max/min |x| and row sums have no ties."""
    n = int(np.prod(shape))
    values = (0.3 + np.arange(n) * 0.41 + rng.uniform(0, 0.1, n)) * rng.choice([-1, 1], n)
    return rng.permutation(values).reshape(shape)


def vectors(rng):
    return (apart(rng, _n(rng), _n(rng, 3, 6)),)


def matrix_stack(rng):
    return (apart(rng, _n(rng), _n(rng, 2, 4), _n(rng, 2, 4)),)


NORM_CASES = [
    OpCase("linalg.norm", vectors, {"axis": -1}, label="vector-default"),
    OpCase("linalg.norm", lambda rng: (apart(rng, 5),), label="no-axis-1d"),
    OpCase("linalg.norm", vectors, label="no-axis-flat"),
    OpCase("linalg.norm", matrix_stack, {"axis": (1, 2), "keepdims": True}, label="fro-keepdims"),
] + [
    OpCase("linalg.norm", vectors, {"ord": o, "axis": 1}, label=f"vector-ord={o}",
           kinked=o in (np.inf, -np.inf, 1, -1))
    for o in (1, -1, 2, -2, 3, 0.5, np.inf, -np.inf)
] + [
    OpCase("linalg.norm", matrix_stack, {"ord": o, "axis": (-1, 0)}, label=f"matrix-ord={o}",
           kinked=o in (np.inf, -np.inf, 1, -1))
    for o in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf)
] + [
    OpCase("linalg.norm", lambda rng: (apart(rng, 3, 4),), {"ord": "nuc"}, label="2d-no-axis"),
    OpCase("linalg.norm", vectors, {"ord": 0, "axis": -1}, grad=(), label="vector-ord=0"),
]

CASES = [
    OpCase("linalg.inv", square),
    OpCase("linalg.det", square),
    OpCase("slogdet", square),
    OpCase("linalg.solve", system(False), grad=(0, 1), label="matrix-rhs"),
    OpCase("linalg.solve", system(True), grad=(0, 1), label="vector-rhs"),
    OpCase("linalg.solve_triangular", triangular_system(False), grad=(0, 1), label="upper"),
    OpCase("linalg.solve_triangular", triangular_system(True), {"lower": True}, grad=(0, 1),
           label="lower"),
    OpCase("linalg.cholesky", lambda rng: (spd(rng),), label="lower"),
    OpCase("linalg.cholesky", lambda rng: (spd(rng),), {"upper": True}, label="upper"),
    OpCase("linalg.cholesky_inverse", cholesky_factor, label="lower", rtol=1e-4),
    OpCase("linalg.cholesky_inverse", upper_cholesky_factor, {"upper": True}, label="upper",
           rtol=1e-4),
    OpCase("linalg.eigh", symmetric_distinct, rtol=1e-4, atol=1e-5),
    OpCase("linalg.eig", real_distinct_eigenvalues, oracle=False,
           note="Keras's torch backend returns complex64 eigenpairs even for a real spectrum "
                "(kerastutor: real, as NumPy); compared in test_eig_real_spectrum"),
    OpCase("linalg.svd", distinct_singular_values(3, 3), label="square", rtol=1e-4, atol=1e-5),
    OpCase("linalg.svd", distinct_singular_values(4, 3), {"full_matrices": False},
           label="tall-reduced", rtol=1e-4, atol=1e-5, oracle=False,
           note="torch's SVD of a non-square matrix picks other signs for some singular "
                "vector pairs; compared sign-free in test_svd_sign_invariant"),
    OpCase("linalg.svd", distinct_singular_values(2, 4), {"full_matrices": False},
           label="wide-reduced", rtol=1e-4, atol=1e-5, oracle=False,
           note="torch's SVD of a non-square matrix picks other signs for some singular "
                "vector pairs; compared sign-free in test_svd_sign_invariant"),
    OpCase("linalg.svd", distinct_singular_values(4, 2), {"compute_uv": False},
           label="values-only"),
    OpCase("linalg.qr", full_rank(4, 3), label="tall", rtol=1e-4, atol=1e-5),
    OpCase("linalg.qr", full_rank(3, 3), label="square", rtol=1e-4, atol=1e-5),
    OpCase("linalg.qr", full_rank(2, 4), label="wide", rtol=1e-4, atol=1e-5),
    OpCase("linalg.qr", full_rank(2, 4), {"mode": "complete"}, label="complete-wide",
           rtol=1e-4, atol=1e-5),
    OpCase("linalg.lu_factor", square, label="square", rtol=1e-4, atol=1e-5),
    OpCase("linalg.lu_factor", full_rank(5, 3), label="tall", rtol=1e-4, atol=1e-5),
    OpCase("linalg.lu_factor", full_rank(3, 5), label="wide", rtol=1e-4, atol=1e-5),
    OpCase("linalg.pinv", full_rank(4, 3), label="tall", rtol=1e-4, atol=1e-5),
    OpCase("linalg.pinv", full_rank(2, 4), label="wide", rtol=1e-4, atol=1e-5),
    OpCase("linalg.pinv", square, label="square", rtol=1e-4, atol=1e-5),
    OpCase("linalg.lstsq", lstsq_problem(5, 3, False), grad=(0, 1), label="overdetermined",
           rtol=1e-4, atol=1e-5),
    OpCase("linalg.lstsq", lstsq_problem(5, 3, True), grad=(0, 1), label="vector-rhs",
           rtol=1e-4, atol=1e-5),
    OpCase("linalg.lstsq", lstsq_problem(3, 3, False), grad=(0, 1), label="square",
           rtol=1e-4, atol=1e-5),
    OpCase("linalg.matrix_rank", full_rank(3, 4), grad=()),
    OpCase("linalg.matrix_rank", lambda rng: (np.outer(rng.standard_normal(3),
                                                       rng.standard_normal(4)),),
           grad=(), label="rank-one"),
] + NORM_CASES

test_gradient, test_repeatable, test_no_gradient = gradient_tests(CASES)


# ------------------------------------------------------------ factorisations reassemble
def _rng(seed=0):
    return np.random.default_rng(seed)


def test_inverse_det_solve_against_definitions():
    a = well_conditioned(_rng(), 4, (2,))
    b = _rng(1).standard_normal((2, 4, 3))
    np.testing.assert_allclose(ops.inv(a) @ a, np.broadcast_to(np.eye(4), a.shape), atol=1e-12)
    np.testing.assert_allclose(a @ ops.solve(a, b), b, atol=1e-12)
    sign, logabs = ops.slogdet(a)
    np.testing.assert_allclose(sign * np.exp(logabs), ops.det(a))
    assert float(ops.det(np.array([[2.0, 1.0], [1.0, 3.0]]))) == pytest.approx(5.0)


def test_cholesky_and_its_inverse():
    a = spd(_rng(), 4)
    lower = ops.cholesky(a)
    np.testing.assert_allclose(lower @ np.swapaxes(lower, -1, -2), a, atol=1e-12)
    assert np.allclose(lower, np.tril(lower))
    np.testing.assert_allclose(ops.cholesky(a, upper=True), np.swapaxes(lower, -1, -2))
    np.testing.assert_allclose(ops.cholesky_inverse(lower), np.linalg.inv(a), atol=1e-12)
    np.testing.assert_allclose(ops.cholesky_inverse(np.swapaxes(lower, -1, -2), upper=True),
                               np.linalg.inv(a), atol=1e-12)
    with pytest.raises(ValueError, match="ops.cholesky: the matrix is not positive definite"):
        ops.cholesky(-np.eye(2))


def test_cholesky_gradient_is_symmetric():
    a = spd(_rng(2), 3)
    with Tape() as tape:
        x = tape.watch(a)
        y = ops.cholesky(x)
    grad = tape.gradient(y, _rng(3).standard_normal((3, 3)), x)
    np.testing.assert_allclose(grad, grad.T)


def test_decompositions_reassemble():
    rng = _rng(4)
    a = rng.standard_normal((2, 5, 3))
    u, s, vh = ops.svd(a, full_matrices=False)
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, a, atol=1e-12)
    assert ops.svd(a)[0].shape == (2, 5, 5)
    q, r = ops.qr(a)
    np.testing.assert_allclose(q @ r, a, atol=1e-12)
    assert np.allclose(r, np.triu(r))
    sym = spd(rng, 4)
    w, v = ops.eigh(sym)
    np.testing.assert_allclose((v * w[..., None, :]) @ np.swapaxes(v, -1, -2), sym, atol=1e-10)
    b = real_distinct_eigenvalues(rng)[0]
    w, v = ops.eig(b)
    np.testing.assert_allclose(b @ v, v * w, atol=1e-10)
    np.testing.assert_allclose(ops.pinv(a) @ a, np.broadcast_to(np.eye(3), (2, 3, 3)),
                               atol=1e-12)


def test_lu_factor_matches_lapack_and_rebuilds_the_matrix():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]])
    lu, pivots = ops.lu_factor(a)
    assert pivots.dtype == np.int32
    np.testing.assert_array_equal(pivots, [2, 2, 2])       # LAPACK's (scipy's) pivots here
    lower, upper = np.tril(lu, -1) + np.eye(3), np.triu(lu)
    rows = np.arange(3)
    for j, p in enumerate(pivots):                          # replay the swaps
        rows[[j, p]] = rows[[p, j]]
    np.testing.assert_allclose(lower @ upper, a[rows], atol=1e-12)
    np.testing.assert_allclose(lu[0], [7.0, 8.0, 10.0])
    batch = _rng(5).standard_normal((3, 4, 4))
    for matrix, (packed, piv) in zip(batch, zip(*ops.lu_factor(batch))):
        single = ops.lu_factor(matrix)
        np.testing.assert_allclose(packed, single[0])
        np.testing.assert_array_equal(piv, single[1])


def test_lstsq_minimises_the_residual():
    rng = _rng(6)
    a, b = rng.standard_normal((6, 3)), rng.standard_normal(6)
    x = ops.lstsq(a, b)
    np.testing.assert_allclose(a.T @ (a @ x - b), 0.0, atol=1e-12)      # normal equations
    with pytest.raises(ValueError, match="ops.lstsq: `a` must have shape"):
        ops.lstsq(np.ones((2, 3, 3)), np.ones(3))


def test_matrix_rank_and_no_gradient():
    assert ops.matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]])) == 1
    assert ops.matrix_rank(np.eye(3)).dtype == np.int32
    with Tape() as tape:
        x = tape.watch(np.eye(3))
        assert not isinstance(ops.matrix_rank(x), Traced)


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf])
def test_matrix_norms_match_numpy(ord):
    x = _rng(7).standard_normal((3, 4, 5))
    np.testing.assert_allclose(ops.norm(x, ord=ord, axis=(2, 0)),
                               np.linalg.norm(x, ord=ord, axis=(2, 0)))
    np.testing.assert_allclose(ops.norm(x, ord=ord, axis=(0, 1), keepdims=True),
                               np.linalg.norm(x, ord=ord, axis=(0, 1), keepdims=True))


@pytest.mark.parametrize("ord", [None, 0, 1, -1, 2, -2, 3, 0.5, np.inf, -np.inf])
def test_vector_norms_match_numpy(ord):
    x = _rng(8).standard_normal((3, 4))
    np.testing.assert_allclose(ops.norm(x, ord=ord, axis=0), np.linalg.norm(x, ord=ord, axis=0))


def test_norm_golden_dtypes_and_errors():
    x = np.arange(9, dtype=np.float32).reshape(3, 3) - 4
    assert float(ops.norm(x)) == pytest.approx(7.7459664)
    assert ops.norm(x).dtype == np.float32
    assert ops.norm(np.arange(3)).dtype == np.float32          # integers: floatx
    with pytest.raises(ValueError, match="ops.norm: a string `ord` must be 'fro' or 'nuc'"):
        ops.norm(x, ord="max")
    with pytest.raises(ValueError, match="ops.norm: `ord`='fro' is a matrix norm"):
        ops.norm(x, ord="fro", axis=0)
    with pytest.raises(ValueError, match="ops.norm: matrix norms take `ord`"):
        ops.norm(x, ord=3, axis=(0, 1))


def test_kind_errors_name_the_op():
    with pytest.raises(ValueError, match="ops.inv: expected square matrices"):
        ops.inv(np.ones((2, 3)))
    with pytest.raises(ValueError, match="ops.det: expected a matrix"):
        ops.det(np.ones(3))
    with pytest.raises(ValueError, match="ops.solve: `b` must have shape"):
        ops.solve(np.eye(3), np.ones((4, 2)))
    with pytest.raises(ValueError, match="ops.qr: `mode` must be"):
        ops.qr(np.eye(3), mode="r")


def test_complete_qr_extra_columns_have_no_derivative():
    a = full_rank(4, 2)(_rng(9))[0]
    with Tape() as tape:
        x = tape.watch(a)
        q, r = ops.qr(x, mode="complete")
    assert q.shape == (4, 4)
    grad = tape.gradient(r, np.ones(r.shape), x)          # R alone: fine
    with Tape() as tape2:
        x2 = tape2.watch(a)
        _, r2 = ops.qr(x2, mode="reduced")
    np.testing.assert_allclose(grad, tape2.gradient(r2, np.ones((2, 2)), x2), atol=1e-12)
    with pytest.raises(ValueError, match="ops.qr: the loss uses the extra columns"):
        tape.gradient(q, np.ones(q.shape), x)


def test_full_svd_extra_columns_pass_no_gradient():
    a = distinct_singular_values(4, 2)(_rng(10))[0]
    up = _rng(11).standard_normal((4, 4))
    with Tape() as tape:
        x = tape.watch(a)
        u, _, _ = ops.svd(x)
    grad = tape.gradient(u, up, x)
    with Tape() as tape:
        x = tape.watch(a)
        u, _, _ = ops.svd(x, full_matrices=False)
    np.testing.assert_allclose(grad, tape.gradient(u, up[:, :2], x))


def test_eig_with_complex_eigenvalues_refuses_to_differentiate():
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    w, v = ops.eig(rotation)
    assert np.iscomplexobj(w) and np.allclose(sorted(w.imag), [-1, 1])
    with Tape() as tape:
        x = tape.watch(rotation)
        w, _ = ops.eig(x)
    with pytest.raises(NotImplementedError, match="ops.eig: this matrix has complex"):
        tape.backward(w, np.ones(w.shape))
