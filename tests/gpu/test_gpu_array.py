"""The device array against NumPy: every result a DeviceArray gives is NumPy's answer.

Each test runs once per runtime:

* ``emulated`` -- always: the GPU code path with each kernel replaced by its NumPy twin
  (``gpu/emulator.py``), so shapes, strides, broadcasting, kernel arguments and memory
  reuse are checked on any machine;
* ``cuda`` -- only where :func:`kerastutor.gpu.available` finds a GPU; then the same
  checks run the real kernels of ``gpu/kernels/*.cu``.

The inputs are float32 numbers on a grid of eighths (``-3, -2.875, ..., 3``). Sums and
products of a few such numbers are exact in float32, so copies, views, indexing,
arithmetic, reductions and matrix products are compared *exactly*, whatever order a
kernel adds in; only transcendental functions (``exp``, ``tanh``, ``pow`` ...) get a
relative tolerance of 1e-5.
"""
import ctypes
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.lib.stride_tricks import sliding_window_view

import kerastutor as keras
import kerastutor.gpu as gpu
from kerastutor import backend
from kerastutor.gpu import array, emulator, philox
from kerastutor.gpu.array import DeviceArray
from kerastutor.gpu.runtime import BLOCK, grid_for
from test_gpu_kernels import kernel_functions
from strategies import SEEDS, shapes_and_axes

GPU_OK, GPU_REASON = gpu.available()
DEVICES = [pytest.param("emulated", id="emulated"),
           pytest.param("cuda", id="cuda", marks=pytest.mark.skipif(
               not GPU_OK, reason=f"needs a CUDA GPU: {GPU_REASON}"))]

# The profile's settings (conftest.py), with fewer examples, and the `device` fixture
# allowed: it selects a device once per test, which every generated example may share.
EXAMPLES = settings(settings.default,
                    max_examples=min(settings.default.max_examples, 12),
                    suppress_health_check=list(settings.default.suppress_health_check)
                    + [HealthCheck.function_scoped_fixture])

TRANSCENDENTAL = dict(rtol=1e-5, atol=1e-6)


# -- fixtures and helpers ------------------------------------------------------------------

@pytest.fixture(params=DEVICES)
def device(request):
    """The device ``request.param`` selected (backend keeps one runtime per device, so CUDA
    compiles each kernel file once per run); counters cleared; the previous device and
    non-strict mode after."""
    previous = backend.get_device()
    saved = array.fallbacks.copy(), array.transfers.copy()
    keras.backend.set_device(request.param)
    array.fallbacks.clear()
    array.transfers.clear()
    yield request.param
    array.strict(False)
    keras.backend.set_device(previous)
    for counter, before in zip((array.fallbacks, array.transfers), saved):
        counter.clear()                      # this test's deliberate fallbacks are not
        counter.update(before)               # the suite's: `tox -e device` reports those


def grid_floats(seed, shape, low=-3.0, high=3.0):
    """float32 multiples of 1/8 in [low, high]: their sums and products are exact."""
    rng = np.random.default_rng(seed)
    return (rng.integers(int(low * 8), int(high * 8) + 1, size=shape) / 8).astype(np.float32)


def nonzero_floats(seed, shape):
    """Multiples of 1/8 with magnitude in [0.5, 3] and either sign: safe divisors."""
    sign = np.where(np.random.default_rng(seed + 7).integers(0, 2, size=shape), 1, -1)
    return (grid_floats(seed, shape, 0.5, 3.0) * sign).astype(np.float32)


DOMAINS = {
    "any": grid_floats,
    "positive": lambda seed, shape: grid_floats(seed, shape, 0.125, 3.0),
    "nonzero": nonzero_floats,
    "flags": lambda seed, shape: grid_floats(seed, shape, 0.0, 1.0).round(),
}


def make_view(kind, domain, seed, shape):
    """The same view built twice, from one host array: ``(numpy_view, device_view)``.

    * ``contiguous`` -- the array itself;
    * ``transposed`` -- ``.T`` of an array of the reversed shape;
    * ``stepped`` -- every other element of a twice-as-large array, last axis reversed
      (negative strides and an offset);
    * ``broadcast`` -- ``np.broadcast_to`` of a last axis of size 1 (stride 0).
    """
    values = DOMAINS[domain]
    if kind == "contiguous":
        base, build = values(seed, shape), lambda x: x
    elif kind == "transposed":
        base, build = values(seed, shape[::-1]), lambda x: x.T
    elif kind == "stepped":
        base = values(seed, tuple(2 * s for s in shape))
        steps = (slice(None, None, 2),) * (len(shape) - 1) + (slice(None, None, -2),)
        build = lambda x: x[steps]                                       # noqa: E731
    else:
        base = values(seed, shape[:-1] + (1,))
        build = lambda x: np.broadcast_to(x, shape)                      # noqa: E731
    host, moved = build(base), build(array.to_device(base))
    assert moved.shape == host.shape
    return host, moved


VIEWS = ["contiguous", "transposed", "stepped", "broadcast"]


def check(result, expected, rtol=0.0, atol=0.0):
    """``result`` is a DeviceArray holding NumPy's ``expected``: shape, dtype and values
    (exactly, unless a tolerance is given)."""
    assert isinstance(result, DeviceArray), f"expected a DeviceArray, got {type(result)}"
    expected = np.asarray(expected)
    assert result.shape == expected.shape
    assert result.dtype == expected.dtype
    values = array.to_host(result)
    if rtol == 0 and atol == 0:
        np.testing.assert_array_equal(values, expected)
    else:
        np.testing.assert_allclose(values, expected, rtol=rtol, atol=atol)


def check_host(result, expected, rtol=0.0, atol=0.0):
    """A fallback's result: a NumPy array (it stays on the host) holding ``expected``."""
    assert isinstance(result, (np.ndarray, np.generic)), f"expected NumPy, got {type(result)}"
    assert result.shape == np.shape(expected) and result.dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(result, expected, rtol=rtol, atol=atol)


def ufunc_id(ufunc):
    return ufunc.__name__


# -- 1. elementwise ufuncs -------------------------------------------------------------------

UNARY = sorted(array.UNARY_KERNELS, key=ufunc_id)
BINARY = sorted(array.BINARY_KERNELS, key=ufunc_id)
POSITIVE_ONLY = {np.log, np.log1p, np.sqrt, np.reciprocal}
INEXACT = {np.exp, np.expm1, np.log, np.log1p, np.sqrt, np.reciprocal, np.tanh, np.sin,
           np.cos, np.power, np.float_power, np.true_divide, np.logaddexp, np.arctan2}

# np.float_power is NumPy's float64 power. On the device, whose one float is float32, it
# runs the pow kernel (array.BINARY_KERNELS), so its reference is np.power in float32.
REFERENCE = {np.float_power: np.power}


def domains(ufunc):
    """The input domains of a binary ufunc: positive bases, non-zero divisors."""
    if ufunc in (np.power, np.float_power):
        return "positive", "any"
    if ufunc in (np.true_divide, np.remainder, np.floor_divide):
        return "any", "nonzero"
    return "any", "any"


def tolerance(ufunc):
    return TRANSCENDENTAL if ufunc in INEXACT else {}


@pytest.mark.parametrize("ufunc", UNARY, ids=ufunc_id)
@EXAMPLES
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
       kind=st.sampled_from(VIEWS), seed=SEEDS)
def test_unary_ufunc_on_any_view_matches_numpy(device, ufunc, shape, kind, seed):
    host, moved = make_view(kind, "positive" if ufunc in POSITIVE_ONLY else "any", seed, shape)
    check(ufunc(moved), ufunc(host), **tolerance(ufunc))


def test_unary_ufuncs_on_special_values(device):
    x = np.array([0.0, -0.0, 1.5, -2.5, np.inf, -np.inf, np.nan], np.float32)
    moved = array.to_device(x)
    for ufunc in (np.isfinite, np.isnan, np.isinf, np.logical_not, np.sign, np.absolute,
                  np.negative, np.floor, np.ceil, np.trunc, np.rint):
        check(ufunc(moved), ufunc(x))
    halves = np.float32([0.5, 1.5, 2.5, -0.5])
    check(np.rint(array.to_device(halves)), np.float32([0.0, 2.0, 2.0, -0.0]))   # to even


@pytest.mark.parametrize("ufunc", BINARY, ids=ufunc_id)
@EXAMPLES
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                                max_side=4),
       kinds=st.tuples(st.sampled_from(VIEWS), st.sampled_from(VIEWS)),
       seed=SEEDS)
def test_binary_ufunc_broadcasts_views_like_numpy(device, ufunc, shapes, kinds, seed):
    (shape_a, shape_b), (domain_a, domain_b) = shapes.input_shapes, domains(ufunc)
    a, moved_a = make_view(kinds[0], domain_a, seed, shape_a)
    b, moved_b = make_view(kinds[1], domain_b, seed + 1, shape_b)
    expected = REFERENCE.get(ufunc, ufunc)(a, b)
    check(ufunc(moved_a, moved_b), expected, **tolerance(ufunc))


@pytest.mark.parametrize("ufunc", BINARY, ids=ufunc_id)
def test_binary_ufunc_with_a_scalar_on_either_side(device, ufunc):
    domain_a, domain_b = domains(ufunc)
    reference = REFERENCE.get(ufunc, ufunc)
    a = DOMAINS[domain_a](1, (3, 4))
    b = DOMAINS[domain_b](2, (3, 4))
    for scalar in (1.5, np.float32(-0.75), 2):
        if ufunc in (np.power, np.float_power):
            scalar = abs(scalar)                 # a positive base for scalar ** array
        check(ufunc(array.to_device(a), scalar), reference(a, scalar), **tolerance(ufunc))
        check(ufunc(scalar, array.to_device(b)), reference(scalar, b), **tolerance(ufunc))
        check(ufunc(array.to_device(a)[::-1, 1::2], scalar), reference(a[::-1, 1::2], scalar),
              **tolerance(ufunc))


def test_maximum_and_minimum_propagate_nan_and_fmax_fmin_ignore_it(device):
    a = np.array([np.nan, 1.0, np.nan, -2.0], np.float32)
    b = np.array([0.5, np.nan, np.nan, 3.0], np.float32)
    for ufunc in (np.maximum, np.minimum, np.fmax, np.fmin):
        check(ufunc(array.to_device(a), array.to_device(b)), ufunc(a, b))


def test_operators_are_the_ufuncs(device):
    x, y = grid_floats(3, (2, 3)), nonzero_floats(4, (2, 3))
    a, b = array.to_device(x), array.to_device(y)
    check(a + b, x + y)
    check(a - 1, x - 1)
    check(2 - a, 2 - x)
    check(a * b, x * y)
    check(a / b, x / y, **TRANSCENDENTAL)
    check(1 / b, 1 / y, **TRANSCENDENTAL)
    check(a % b, x % y)
    check(a // b, x // y)
    check(abs(b) ** 0.5, abs(y) ** 0.5, **TRANSCENDENTAL)
    check(-a, -x)
    check(+a, +x)
    check(abs(a), abs(x))
    check(a > b, x > y)
    check(a >= 0, x >= 0)
    check(a < b, x < y)
    check(a <= 0, x <= 0)
    check(a == b, x == y)
    check(a != 0, x != 0)
    check(~(a > 0), ~(x > 0))
    check((a > 0) & (b > 0), (x > 0) & (y > 0))
    check((a > 0) | (b > 0), (x > 0) | (y > 0))
    check(x + a, x + x)                          # a host float32 array on the left


@pytest.mark.parametrize("expression", [
    lambda x, y: x > y, lambda x, y: x == 0.5, lambda x, y: np.logical_and(x, y),
    lambda x, y: np.isnan(x), lambda x, y: x + y, lambda x, y: x * 2.5,
    lambda x, y: np.float32(2) * y, lambda x, y: np.exp(x),
], ids=["greater", "equal", "logical_and", "isnan", "add", "times scalar",
        "numpy scalar", "exp"])
def test_result_dtypes_of_float32_operands(device, expression):
    x, y = grid_floats(5, (2, 3)), grid_floats(6, (3,))
    result = expression(array.to_device(x), array.to_device(y))
    check(result, expression(x, y), **TRANSCENDENTAL)


@pytest.mark.parametrize("expression", [
    lambda i, j: i + j, lambda i, j: i - 3, lambda i, j: i * j, lambda i, j: -i,
    lambda i, j: np.abs(i), lambda i, j: np.maximum(i, j), lambda i, j: i % 4,
    lambda i, j: i > j, lambda i, j: i / 2, lambda i, j: i == j,
], ids=["add", "sub scalar", "mul", "neg", "abs", "maximum", "mod", "greater", "divide",
        "equal"])
def test_integer_arrays_keep_integer_results(device, expression):
    i, j = np.array([[3, -2, 7], [0, 5, -1]]), np.array([1, -2, 4])
    expected = expression(i, j)
    if expected.dtype == np.float64:             # int / int: the device's float is float32
        expected = expected.astype(np.float32)
    check(expression(array.to_device(i), array.to_device(j)), expected)


def test_bool_arithmetic_gives_numpy_dtypes(device):
    p, q = np.array([True, False, True]), np.array([True, True, False])
    for ufunc in (np.add, np.multiply, np.maximum, np.logical_and, np.logical_or):
        check(ufunc(array.to_device(p), array.to_device(q)), ufunc(p, q))


def test_in_place_operators_write_through_views(device):
    x = grid_floats(7, (4, 6))
    d = array.to_device(x)
    view = d[::2, 1:]
    view += 1.5
    x[::2, 1:] += 1.5
    check(d, x)
    d[:, ::3] *= d[:, 1::3]
    x[:, ::3] *= x[:, 1::3]
    check(d, x)
    column = d[::-1, 2]
    column -= np.float32(0.25)
    x[::-1, 2] -= np.float32(0.25)
    check(d, x)
    d /= 2
    x /= 2
    check(d, x)
    d.T[1:] **= 2
    x.T[1:] **= 2
    check(d, x)


def test_out_argument_writes_into_the_given_array_or_view(device):
    x, y = grid_floats(8, (3, 4)), grid_floats(9, (4,))
    a, b = array.to_device(x), array.to_device(y)
    target = DeviceArray.empty((3, 4))
    assert np.add(a, b, out=target) is target
    check(target, x + y)
    big = array.to_device(np.zeros((3, 8), np.float32))
    returned = np.multiply(a, 2, out=big[:, ::2])
    check(returned, x * 2)
    expected_big = np.zeros((3, 8), np.float32)
    expected_big[:, ::2] = x * 2
    check(big, expected_big)
    np.exp(a, out=(target,))
    check(target, np.exp(x), **TRANSCENDENTAL)
    host_out = np.empty((3, 4), np.float32)
    assert np.subtract(a, b, out=host_out) is host_out
    np.testing.assert_array_equal(host_out, x - y)


# -- 2. reductions ---------------------------------------------------------------------------

REDUCTIONS = ["sum", "max", "min", "mean", "var", "std", "any", "all"]


@pytest.mark.parametrize("name", REDUCTIONS)
@EXAMPLES
@given(case=shapes_and_axes(), kind=st.sampled_from(VIEWS), keepdims=st.booleans(),
       seed=SEEDS)
def test_reductions_match_numpy(device, name, case, kind, keepdims, seed):
    shape, axis = case
    host, moved = make_view(kind, "flags" if name in ("any", "all") else "any", seed, shape)
    function = getattr(np, name)
    exact = name in ("sum", "max", "min", "any", "all")
    check(function(moved, axis=axis, keepdims=keepdims),
          function(host, axis=axis, keepdims=keepdims), **({} if exact else TRANSCENDENTAL))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@EXAMPLES
@given(case=shapes_and_axes(), kind=st.sampled_from(VIEWS), keepdims=st.booleans(),
       seed=SEEDS)
def test_argmax_and_argmin_pick_the_first_extreme_like_numpy(device, name, case, kind,
                                                            keepdims, seed):
    shape, axis = case
    if isinstance(axis, tuple):                  # one axis or all of them
        axis = axis[0]
    host, moved = make_view(kind, "any", seed, shape)
    host, moved = host.round(), np.round(moved)  # many ties: the first one wins
    function = getattr(np, name)
    check(function(moved, axis=axis, keepdims=keepdims),
          function(host, axis=axis, keepdims=keepdims))


def test_reduction_methods_and_ufunc_reduce(device):
    x = grid_floats(10, (3, 5))
    d = array.to_device(x)[:, ::-1]
    x = x[:, ::-1]
    check(d.sum(axis=0), x.sum(axis=0))
    check(d.max(axis=1, keepdims=True), x.max(axis=1, keepdims=True))
    check(d.min(), x.min())
    check(d.mean(axis=(0, 1)), x.mean(axis=(0, 1)), **TRANSCENDENTAL)
    check(d.var(axis=1, ddof=1), x.var(axis=1, ddof=1), **TRANSCENDENTAL)
    check(d.std(axis=0), x.std(axis=0), **TRANSCENDENTAL)
    check(d.argmax(axis=1), x.argmax(axis=1))
    check(d.argmin(), x.argmin())
    check(d.argmax(keepdims=True), x.argmax(keepdims=True))      # shape (1, 1), as NumPy
    check((d > 0).any(axis=0), (x > 0).any(axis=0))
    check((d > -3).all(), (x > -3).all())
    check(np.add.reduce(d, axis=1), np.add.reduce(x, axis=1))
    check(np.maximum.reduce(d, axis=0), np.maximum.reduce(x, axis=0))
    check(np.minimum.reduce(d, axis=1, keepdims=True), np.minimum.reduce(x, axis=1,
                                                                         keepdims=True))


def test_sum_of_integers_and_bools_is_int64(device):
    i = np.array([[1, 2, 3], [4, 5, 6]])
    check(np.sum(array.to_device(i), axis=0), np.sum(i, axis=0))
    check(np.sum(array.to_device(i > 2)), np.sum(i > 2))


def test_max_of_an_empty_array_raises_like_numpy(device):
    empty = np.zeros((0, 3), np.float32)
    moved = array.to_device(empty)
    for function in (np.max, np.min, np.argmax):
        with pytest.raises(ValueError):
            function(empty)
        with pytest.raises(ValueError):
            function(moved)
        with pytest.raises(ValueError):
            function(moved, axis=0)
    check(np.sum(moved, axis=0), np.sum(empty, axis=0))
    check(np.max(moved, axis=1), np.max(empty, axis=1))    # nothing to reduce: no error


# -- 3. matmul -------------------------------------------------------------------------------

@EXAMPLES
@given(m=st.integers(1, 35), k=st.integers(1, 35), n=st.integers(1, 35),
       seed=SEEDS)
def test_matmul_of_matrices_of_any_size(device, m, k, n, seed):
    a, b = grid_floats(seed, (m, k)), grid_floats(seed + 1, (k, n))
    check(array.to_device(a) @ array.to_device(b), a @ b)


@EXAMPLES
@given(batch=st.integers(1, 3), m=st.integers(1, 20), k=st.integers(1, 20),
       n=st.integers(1, 20), seed=SEEDS)
def test_batched_matmul_and_a_weight_against_a_batch(device, batch, m, k, n, seed):
    a, b = grid_floats(seed, (batch, m, k)), grid_floats(seed + 1, (batch, k, n))
    w, left = grid_floats(seed + 2, (k, n)), grid_floats(seed + 3, (m, k))
    check(np.matmul(array.to_device(a), array.to_device(b)), a @ b)
    check(array.to_device(a) @ array.to_device(w), a @ w)           # Dense on a sequence
    check(array.to_device(left) @ array.to_device(b), left @ b)


def test_matmul_with_vectors(device):
    v, m, u = grid_floats(1, (5,)), grid_floats(2, (5, 3)), grid_floats(3, (5,))
    batch = grid_floats(4, (2, 3, 5))
    check(array.to_device(v) @ array.to_device(m), v @ m)
    check(array.to_device(m.T) @ array.to_device(v), m.T @ v)
    check(array.to_device(v) @ array.to_device(u), np.asarray(v @ u))
    check(array.to_device(batch) @ array.to_device(u), batch @ u)


def test_matmul_of_transposed_and_stepped_operands(device):
    a, b = grid_floats(5, (7, 4)), grid_floats(6, (9, 7))
    moved_a, moved_b = array.to_device(a), array.to_device(b)
    check(moved_a.T @ moved_b.T, a.T @ b.T)
    check(moved_b[::2, ::-1] @ moved_a[:, 1:], b[::2, ::-1] @ a[:, 1:])
    check(np.matmul(np.swapaxes(array.to_device(a[None]), 1, 2), moved_a),
          np.matmul(np.swapaxes(a[None], 1, 2), a))


def test_dot_and_matmul_out(device):
    a, b, v = grid_floats(7, (3, 4)), grid_floats(8, (4, 2)), grid_floats(9, (4,))
    moved_a, moved_b = array.to_device(a), array.to_device(b)
    check(np.dot(moved_a, moved_b), np.dot(a, b))
    check(moved_a.dot(array.to_device(v)), a.dot(v))
    check(np.dot(array.to_device(v), array.to_device(v)), np.asarray(np.dot(v, v)))
    out = DeviceArray.empty((3, 2))
    assert np.dot(moved_a, moved_b, out=out) is out
    check(out, a @ b)
    out = DeviceArray.empty((3, 2))
    assert np.matmul(moved_a, moved_b, out=out) is out
    check(out, a @ b)


def test_matmul_shape_mismatch_raises_value_error_like_numpy(device):
    a, b = grid_floats(1, (2, 3)), grid_floats(2, (4, 5))
    with pytest.raises(ValueError, match="(?i)mismatch in its core dimension 0"):
        a @ b
    with pytest.raises(ValueError, match="(?i)mismatch in its core dimension 0"):
        array.to_device(a) @ array.to_device(b)
    with pytest.raises(ValueError):
        np.dot(array.to_device(a), array.to_device(b))


# -- 4. views and indexing -------------------------------------------------------------------

BASIC_INDEXES = {
    "int": lambda x: x[1],
    "negative int": lambda x: x[-1],
    "all ints": lambda x: x[1, -2, 3],
    "slice": lambda x: x[1:3],
    "step": lambda x: x[::2],
    "negative step": lambda x: x[::-1],
    "negative steps with bounds": lambda x: x[3:0:-2, ::-1, 4:1:-1],
    "None": lambda x: x[None],
    "None in the middle": lambda x: x[:, None, 1],
    "Ellipsis": lambda x: x[..., 1],
    "Ellipsis and None": lambda x: x[..., None, ::-2],
    "int, Ellipsis, step": lambda x: x[2, ..., ::-3],
    "empty slice": lambda x: x[3:1],
    "everything": lambda x: x[...],
}


@pytest.mark.parametrize("index", BASIC_INDEXES.values(), ids=BASIC_INDEXES.keys())
def test_basic_indexing_is_a_view_with_numpy_values(device, index):
    x = grid_floats(11, (4, 5, 6))
    d = array.to_device(x)
    view = index(d)
    assert view.buffer is d.buffer                         # no copy, no kernel
    check(view, index(x))
    check(view + 0, index(x) + 0)                          # kernels read its strides too


def test_too_many_indices_and_out_of_bounds_raise_index_error(device):
    d = array.to_device(grid_floats(1, (2, 3)))
    with pytest.raises(IndexError):
        d[0, 0, 0]
    with pytest.raises(IndexError):
        d[2]
    with pytest.raises(IndexError):
        d[:, -4]


@pytest.mark.parametrize("reshape", [
    lambda x: x.T.reshape(6, -1), lambda x: x[:, ::2].reshape(-1),
    lambda x: np.reshape(x[::-1], (2, -1)), lambda x: x.T.ravel(),
    lambda x: np.ravel(x[1:, ::-1]), lambda x: x.T.flatten(),
], ids=["transposed", "stepped", "reversed", "ravel method", "ravel function", "flatten"])
def test_reshape_of_a_non_contiguous_view_copies_in_c_order(device, reshape):
    x = grid_floats(12, (4, 6))
    check(reshape(array.to_device(x)), reshape(x))


def test_reshape_of_a_contiguous_array_is_a_view(device):
    d = array.to_device(grid_floats(13, (4, 6)))
    assert d.reshape(3, 8).buffer is d.buffer
    assert np.reshape(d, (2, -1, 3)).shape == (2, 4, 3)
    with pytest.raises(ValueError):
        d.reshape(5, 5)


AXIS_FUNCTIONS = {
    "transpose": lambda x: np.transpose(x),
    "transpose axes": lambda x: np.transpose(x, (1, 2, 0)),
    "transpose method": lambda x: x.transpose(2, 0, 1),
    "T": lambda x: x.T,
    "moveaxis": lambda x: np.moveaxis(x, 0, -1),
    "moveaxis several": lambda x: np.moveaxis(x, [0, 1], [-1, 0]),
    "swapaxes": lambda x: np.swapaxes(x, 0, 2),
    "swapaxes method": lambda x: x.swapaxes(-1, 1),
    "expand_dims": lambda x: np.expand_dims(x, 1),
    "expand_dims several": lambda x: np.expand_dims(x, (0, -1)),
    "squeeze": lambda x: np.squeeze(x[:, :1]),
    "squeeze axis": lambda x: np.squeeze(x[:1, :, :1], axis=0),
    "squeeze method": lambda x: x[:, 2:3].squeeze(1),
    "broadcast_to": lambda x: np.broadcast_to(x[:, :1], (2, 4, 5, 6)),
}


@pytest.mark.parametrize("function", AXIS_FUNCTIONS.values(), ids=AXIS_FUNCTIONS.keys())
def test_axis_functions_are_views_with_numpy_values(device, function):
    x = grid_floats(14, (4, 5, 6))
    d = array.to_device(x)[:, ::-1]
    x = x[:, ::-1]
    result = function(d)
    assert result.buffer is d.buffer
    check(result, function(x))
    check(result * 1, function(x) * 1)


def test_squeeze_of_an_axis_longer_than_one_raises(device):
    with pytest.raises(ValueError):
        np.squeeze(array.to_device(grid_floats(1, (2, 3))), axis=1)


@pytest.mark.parametrize("window", [
    lambda x: sliding_window_view(x, 3, axis=0),
    lambda x: sliding_window_view(x, (2, 3), axis=(1, 2)),
    lambda x: sliding_window_view(x.T, (2, 2, 2)),
    lambda x: sliding_window_view(x[:, ::2], 2, axis=-1),
], ids=["one axis", "two axes", "transposed input", "stepped input"])
def test_sliding_window_view_is_a_strided_view(device, window):
    x = grid_floats(15, (5, 4, 6))
    d = array.to_device(x)
    result = window(d)
    assert result.buffer is d.buffer
    check(result, window(x))


def test_indexing_with_an_integer_array_gathers_rows(device):
    table = grid_floats(16, (7, 3))
    ids = np.array([[0, 6], [3, 3], [1, 0]])
    moved = array.to_device(table)
    check(moved[ids], table[ids])
    check(moved[array.to_device(ids)], table[ids])
    check(moved[np.array([2])], table[[2]])
    check(moved.T[np.array([2, 0])], table.T[[2, 0]])           # a non-contiguous table
    check(array.to_device(table[:, 0])[ids], table[:, 0][ids])  # a 1-D table
    assert not array.fallbacks


def test_gather_with_negative_ids_counts_from_the_end(device):
    table = grid_floats(17, (7, 3))
    ids = np.array([-1, 0, -7])
    check(array.to_device(table)[ids], table[ids])


def test_gather_with_out_of_range_ids_raises_index_error(device):
    table = grid_floats(18, (5, 3))
    moved = array.to_device(table)
    for ids in (np.array([0, 5]), np.array([[1], [-6]])):
        with pytest.raises(IndexError):
            table[ids]
        with pytest.raises(IndexError, match="out of bounds"):
            moved[ids]


def test_setitem_broadcasts_the_value_into_a_view(device):
    x = grid_floats(19, (4, 6))
    d = array.to_device(x)
    row = grid_floats(20, (3,))
    d[1:, ::2] = row
    x[1:, ::2] = row
    check(d, x)
    d[0] = 7.0
    x[0] = 7.0
    check(d, x)
    d[..., -1] = array.to_device(np.arange(4, dtype=np.float32))
    x[..., -1] = np.arange(4, dtype=np.float32)
    check(d, x)
    d[::-1, 1] = d[:, 2]
    x[::-1, 1] = x[:, 2]
    check(d, x)
    d[1:] = d[:-1]                               # overlapping: as if the value were copied
    x[1:] = x[:-1]
    check(d, x)
    assert not array.fallbacks


def test_fill_sets_every_element_of_an_array_or_view(device):
    d = array.to_device(grid_floats(21, (3, 4)))
    d[:, 1].fill(-1.5)
    expected = grid_floats(21, (3, 4))
    expected[:, 1] = -1.5
    check(d, expected)
    d.fill(2.5)
    check(d, np.full((3, 4), 2.5, np.float32))


def test_advanced_setitem_runs_on_the_host_and_is_counted(device):
    x = grid_floats(22, (5, 3))
    d = array.to_device(x)
    d[np.array([0, 3])] = 9.0
    x[np.array([0, 3])] = 9.0
    check(d, x)
    assert dict(array.fallbacks) == {"setitem": 1}
    values = grid_floats(23, (5, 3))
    d[np.array([1, 4]), 1:] = values[:2, 1:]
    x[np.array([1, 4]), 1:] = values[:2, 1:]
    check(d, x)
    assert dict(array.fallbacks) == {"setitem": 2}


def test_setitem_with_a_boolean_mask(device):
    x = grid_floats(24, (5, 3))
    d = array.to_device(x)
    d[d < 0] = 0.0                               # a scalar: where() on the device
    x[x < 0] = 0.0
    check(d, x)
    rows = np.array([True, False, True, False, False])
    d[rows] = -1.5
    x[rows] = -1.5
    check(d, x)
    d[d > 1] = d[d > 1] * 2                      # values from the masked elements
    x[x > 1] = x[x > 1] * 2
    check(d, x)


def test_a_boolean_mask_getitem_runs_on_the_host_and_is_counted(device):
    x = grid_floats(23, (4, 3))
    d = array.to_device(x)
    check_host(d[d > 0], x[x > 0])
    assert array.fallbacks["getitem"] == 1


# -- 5. functions ----------------------------------------------------------------------------

def test_concatenate_and_stack(device):
    a, b = grid_floats(24, (2, 3)), grid_floats(25, (2, 4))
    moved_a, moved_b = array.to_device(a), array.to_device(b)
    check(np.concatenate([moved_a, moved_b], axis=1), np.concatenate([a, b], axis=1))
    check(np.concatenate([moved_a, b], axis=-1), np.concatenate([a, b], axis=-1))
    check(np.concatenate([moved_a.T, moved_b.T]), np.concatenate([a.T, b.T]))
    check(np.concatenate([moved_a, moved_b], axis=None), np.concatenate([a, b], axis=None))
    check(np.stack([moved_a, moved_a[::-1]]), np.stack([a, a[::-1]]))
    check(np.stack([moved_a, moved_a], axis=-1), np.stack([a, a], axis=-1))
    check(np.stack([moved_a, moved_a], axis=1), np.stack([a, a], axis=1))
    assert not array.fallbacks


def test_split_gives_views(device):
    x = grid_floats(26, (4, 6))
    d = array.to_device(x)
    for parts, expected in zip(np.split(d, 3, axis=1), np.split(x, 3, axis=1)):
        assert parts.buffer is d.buffer
        check(parts, expected)
    for parts, expected in zip(np.split(d, [1, 3]), np.split(x, [1, 3])):
        check(parts, expected)
    with pytest.raises(ValueError):
        np.split(d, 4, axis=1)


def test_where_with_arrays_and_scalar_branches(device):
    x, y = grid_floats(27, (3, 4)), grid_floats(28, (4,))
    condition = x > 0
    c, a, b = array.to_device(condition), array.to_device(x), array.to_device(y)
    check(np.where(c, a, b), np.where(condition, x, y))
    check(np.where(a > 0, a, 0.0), np.where(x > 0, x, np.float32(0)))
    check(np.where(c, np.float32(-1), b), np.where(condition, np.float32(-1), y))
    check(np.where(c[:, :1], a.T.T, b[::-1]), np.where(condition[:, :1], x, y[::-1]))
    # Python float branches make float64 in NumPy; the device's float is float32
    check(np.where(c, 1.0, 0.0), np.where(condition, 1.0, 0.0).astype(np.float32))
    check(np.where(c, 1, 0), np.where(condition, 1, 0))
    check(np.where(c, array.to_device(np.arange(4)), -1), np.where(condition, np.arange(4), -1))


def test_where_with_only_a_condition_runs_on_the_host(device):
    condition = grid_floats(29, (3, 4)) > 0
    for got, expected in zip(np.where(array.to_device(condition)), np.where(condition)):
        np.testing.assert_array_equal(np.asarray(got), expected)
    assert array.fallbacks["where"] == 1


def test_clip(device):
    x = grid_floats(30, (3, 4))
    d = array.to_device(x)
    check(np.clip(d, -1, 1), np.clip(x, -1, 1))
    check(d.clip(min=0), x.clip(min=0))
    check(np.clip(d.T, None, 0.5), np.clip(x.T, None, 0.5))
    low, high = grid_floats(31, (4,), -3, 0), grid_floats(32, (3, 1), 0, 3)
    check(np.clip(d, array.to_device(low), high), np.clip(x, low, high))
    out = DeviceArray.empty((3, 4))
    assert np.clip(d, -0.5, 0.5, out=out) is out
    check(out, np.clip(x, -0.5, 0.5))


def test_constant_pad_is_a_kernel_and_other_modes_fall_back(device):
    x = grid_floats(33, (2, 3))
    d = array.to_device(x)
    check(np.pad(d, 1), np.pad(x, 1))
    check(np.pad(d, ((1, 0), (2, 3)), constant_values=2.5),
          np.pad(x, ((1, 0), (2, 3)), constant_values=2.5))
    check(np.pad(d.T, (0, 2)), np.pad(x.T, (0, 2)))
    assert not array.fallbacks
    check_host(np.pad(d, 1, mode="edge"), np.pad(x, 1, mode="edge"))
    assert array.fallbacks["pad"] == 1


def test_take_along_axis_picks_one_label_per_row_with_the_kernel(device):
    x = grid_floats(34, (5, 4))
    labels = np.array([[3], [0], [2], [2], [1]])
    d = array.to_device(x)
    check(np.take_along_axis(d, labels, axis=1), np.take_along_axis(x, labels, axis=1))
    check(np.take_along_axis(d, array.to_device(labels), axis=-1),
          np.take_along_axis(x, labels, axis=-1))
    check(np.take_along_axis(d.T.T[:, ::-1], labels, axis=1),
          np.take_along_axis(x[:, ::-1], labels, axis=1))
    steps = grid_floats(35, (2, 3, 4))                   # labels per time step: (N, T, 1)
    per_step = np.array([[[0], [3], [1]], [[2], [2], [0]]])
    check(np.take_along_axis(array.to_device(steps), per_step, axis=-1),
          np.take_along_axis(steps, per_step, axis=-1))
    winners = np.argmax(steps, axis=0)[None]             # Maximum's pick among its inputs
    check(np.take_along_axis(array.to_device(steps), winners, axis=0),
          np.take_along_axis(steps, winners, axis=0))
    target = array.to_device(steps)
    np.put_along_axis(target, per_step, -1.0, axis=2)
    np.put_along_axis(steps, per_step, -1.0, axis=2)
    check(target, steps)
    assert not array.fallbacks
    two = np.array([[0, 1]] * 5)
    check_host(np.take_along_axis(d, two, axis=1), np.take_along_axis(x, two, axis=1))
    assert array.fallbacks["take_along_axis"] == 1
    with pytest.raises(IndexError):
        np.take_along_axis(d, np.array([[4]] * 5), axis=1)


def test_copyto_in_both_directions(device):
    x = grid_floats(35, (3, 4))
    target = array.to_device(np.zeros((3, 4), np.float32))
    np.copyto(target[:, 1:3], x[0, :2])
    expected = np.zeros((3, 4), np.float32)
    expected[:, 1:3] = x[0, :2]
    check(target, expected)
    host = np.zeros((3, 4), np.float32)
    np.copyto(host, array.to_device(x))
    np.testing.assert_array_equal(host, x)


def test_like_functions_make_device_arrays(device):
    x = grid_floats(36, (2, 3))
    d, i = array.to_device(x), array.to_device(np.array([1, 2, 3]))
    check(np.zeros_like(d), np.zeros_like(x))
    check(np.ones_like(d.T), np.ones_like(x.T))
    check(np.ones_like(i), np.ones_like(np.array([1, 2, 3])))
    check(np.full_like(d, 3.5), np.full_like(x, 3.5))
    check(np.full_like(d, 7, dtype=np.int64), np.full_like(x, 7, dtype=np.int64))
    empty = np.empty_like(d)
    assert isinstance(empty, DeviceArray)
    assert (empty.shape, empty.dtype) == ((2, 3), np.float32)
    wide = np.zeros_like(d, dtype=np.float64)                # float64 lives in NumPy
    assert type(wide) is np.ndarray and wide.dtype == np.float64


# -- 6. dtypes and transfers ---------------------------------------------------------------

def test_to_device_leaves_float64_and_large_integers_on_the_host(device):
    wide = grid_floats(37, (3,)).astype(np.float64)
    assert array.to_device(wide) is wide
    assert keras.backend.to_device(wide) is wide
    large = np.array([0, 2 ** 24 + 1])
    assert array.to_device(large) is large
    negative = np.array([-2 ** 24 - 1])
    assert array.to_device(negative) is negative
    assert dict(array.transfers) == {}               # nothing was copied
    check(array.to_device(np.array([-2 ** 24, 2 ** 24])), np.array([-2 ** 24, 2 ** 24]))


@pytest.mark.parametrize("values", [
    np.array([True, False, True]), np.array([[3, -7], [0, 2 ** 24]]),
    np.array([1, 2], np.int32), np.array([200, 7], np.uint8),
    np.array([1.5, -2.25], np.float16),
], ids=["bool", "int64", "int32", "uint8", "float16"])
def test_round_trips_keep_bools_and_integers(device, values):
    moved = array.to_device(values)
    assert isinstance(moved, DeviceArray)
    back = np.asarray(moved)
    expected_dtype = np.float32 if values.dtype == np.float16 else values.dtype
    assert back.dtype == expected_dtype
    np.testing.assert_array_equal(back, values)
    assert dict(array.transfers) == {"upload": 1, "download": 1}


def test_mixing_float64_with_a_device_array_gives_a_float64_numpy_array(device):
    x, wide = grid_floats(38, (2, 3)), grid_floats(39, (3,)).astype(np.float64) / 3
    d = array.to_device(x)
    for result, expected in [(d + wide, x + wide), (wide * d, wide * x),
                             (np.maximum(wide, d), np.maximum(wide, x)),
                             (d @ wide, x @ wide),
                             (np.concatenate([d, wide[None]]), np.concatenate([x, wide[None]])),
                             (d - np.float64(0.1), x - np.float64(0.1))]:
        assert type(result) is np.ndarray and result.dtype == np.float64
        np.testing.assert_array_equal(result, expected)


def test_leaving_the_device_counts_a_download(device):
    d = array.to_device(grid_floats(40, (2, 2)))
    assert dict(array.transfers) == {"upload": 1}
    host = np.asarray(d)
    assert type(host) is np.ndarray
    assert array.transfers["download"] == 1
    float(d[0, 0])
    assert array.transfers["download"] == 2


def test_backend_moves_values_between_host_and_device(device):
    x = grid_floats(41, (2, 3))
    d = keras.backend.to_device(x)
    assert keras.backend.is_device_array(d) and keras.backend.get_device() == device
    np.testing.assert_array_equal(keras.backend.to_host(d), x)
    assert keras.backend.to_host(x) is x
    assert keras.backend.asarray(d) is d
    check(keras.backend.asarray(d > 0, dtype="float32"), (x > 0).astype(np.float32))
    check(keras.backend.asarray(d, dtype=bool), x.astype(bool))
    check(d.astype(np.int64), x.astype(np.int64))


# -- 7. fallbacks ----------------------------------------------------------------------------

@pytest.mark.parametrize("function, name", [
    (lambda x: np.cumsum(x, axis=1), "cumsum"), (lambda x: np.sort(x, axis=0), "sort"),
    (np.arcsinh, "arcsinh"), (lambda x: np.prod(x, axis=0), "prod"),
], ids=["cumsum", "sort", "arcsinh", "prod"])
def test_a_function_without_a_kernel_runs_on_the_host_and_is_counted(device, function, name):
    x = grid_floats(42, (3, 4))
    check_host(function(array.to_device(x)), function(x), **TRANSCENDENTAL)
    assert array.fallbacks[name] == 1


def test_strict_mode_turns_a_fallback_into_an_error_naming_the_function(device):
    x = grid_floats(43, (3, 4))
    d = array.to_device(x)
    array.strict(True)
    try:
        with pytest.raises(NotImplementedError, match=r"np\.cumsum.*Hint:.*strict\(False\)"):
            np.cumsum(d)
        with pytest.raises(NotImplementedError, match=r"np\.sort"):
            np.sort(d)
        check(np.exp(d) @ d.T, np.exp(x) @ x.T, **TRANSCENDENTAL)    # kernels still run
    finally:
        array.strict(False)
    assert not array.fallbacks


def test_mixed_batch_broadcasting_in_matmul_falls_back(device):
    a, b = grid_floats(44, (2, 1, 3, 4)), grid_floats(45, (3, 4, 2))
    check_host(array.to_device(a) @ array.to_device(b), a @ b)
    assert array.fallbacks["matmul"] == 1


# -- 8. memory -------------------------------------------------------------------------------

def test_a_released_block_goes_back_to_the_pool_and_is_reused(device):
    memory = array.current_runtime().memory
    first = DeviceArray.empty((1000,))             # 4000 bytes, rounded up to 4096
    address = first.buffer.address
    in_use, pooled = memory.in_use_bytes, memory.pooled_bytes
    view = first[::2]
    del first
    assert memory.in_use_bytes == in_use           # the view keeps the buffer alive
    del view
    assert memory.in_use_bytes == in_use - 4096
    assert memory.pooled_bytes == pooled + 4096
    second = DeviceArray.empty((1024,))            # the same rounded size
    assert second.buffer.address == address
    assert (memory.in_use_bytes, memory.pooled_bytes) == (in_use, pooled)


# -- 9. kernels launched directly ------------------------------------------------------------

class ConvGeometry(ctypes.Structure):
    """``struct ConvGeometry`` of im2col.cu."""
    _fields_ = [(name, ctypes.c_int) for name in
                ("N", "H", "W", "C", "KH", "KW", "SH", "SW", "DH", "DW", "OH", "OW")]


class Permutation(ctypes.Structure):
    """``struct Permutation`` of transpose.cu."""
    _fields_ = [("rank", ctypes.c_int), ("out_shape", ctypes.c_int * array.MAX_RANK),
                ("in_strides", ctypes.c_longlong * array.MAX_RANK)]


def launch(file, kernel, grid, block, *args, shared_bytes=0):
    """``runtime.launch`` with DeviceArrays passed as their ``.pointer()``. Holding the arrays
    until the launch matters: a temporary's block goes back to the pool at once, and the
    next allocation -- another argument's upload -- would reuse it."""
    values = [a.pointer() if isinstance(a, DeviceArray) else a for a in args]
    array.current_runtime().launch(file, kernel, grid, block, values, shared_bytes)


def device_copy(values):
    """A float32 device array holding ``values`` (ids too: kernels read them as floats)."""
    return array.to_device(np.asarray(values, np.float32))


def read(moved):
    return np.asarray(moved)


def test_softmax_lastaxis_and_its_backward(device):
    x = np.random.default_rng(1).standard_normal((5, 300)).astype(np.float32) * 10
    g = np.random.default_rng(2).standard_normal((5, 300)).astype(np.float32)
    moved_x, moved_y = device_copy(x), DeviceArray.empty(x.shape)
    launch("softmax", "softmax_lastaxis", 5, BLOCK, moved_x, moved_y,
           ctypes.c_int(300), shared_bytes=BLOCK * 4)
    shifted = np.exp(x - x.max(axis=1, keepdims=True))
    y = shifted / shifted.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(read(moved_y), y, rtol=1e-5, atol=1e-7)

    moved_g, moved_dx = device_copy(g), DeviceArray.empty(x.shape)
    launch("softmax", "softmax_lastaxis_backward", 5, BLOCK, device_copy(y),
           moved_g, moved_dx, ctypes.c_int(300), shared_bytes=BLOCK * 4)
    np.testing.assert_allclose(read(moved_dx), y * (g - (g * y).sum(axis=1, keepdims=True)),
                               rtol=1e-5, atol=1e-7)


def test_transpose_2d_transposes_each_matrix_of_a_batch(device):
    x = grid_floats(46, (2, 37, 50))
    out = DeviceArray.empty((2, 50, 37))
    launch("transpose", "transpose_2d", (-(-50 // 32), -(-37 // 32), 2), (32, 8),
           device_copy(x), out, ctypes.c_int(37), ctypes.c_int(50))
    np.testing.assert_array_equal(read(out), x.transpose(0, 2, 1))


def test_permute_reorders_axes(device):
    x = grid_floats(47, (2, 3, 4, 5))
    axes = (2, 0, 3, 1)
    expected = np.transpose(x, axes)
    element_strides = [s // 4 for s in x.strides]
    p = Permutation(len(axes))
    for i, axis in enumerate(axes):
        p.out_shape[i] = x.shape[axis]
        p.in_strides[i] = element_strides[axis]
    out = DeviceArray.empty(expected.shape)
    launch("transpose", "permute", grid_for(x.size), BLOCK, device_copy(x),
           out, ctypes.c_longlong(x.size), p)
    np.testing.assert_array_equal(read(out), expected)


def patch_entries(g):
    """Every (row, column, pixel) of the patch matrix, by the definition written out:
    row (n, oh, ow), column (kh, kw, c) holds pixel (n, oh*SH + kh*DH, ow*SW + kw*DW, c).
    (Plain loops on purpose: an oracle that shares no code with the kernel or its twin.)"""
    for n, oh, ow, kh, kw, c in itertools.product(range(g.N), range(g.OH), range(g.OW),
                                                  range(g.KH), range(g.KW), range(g.C)):
        row, column = (n * g.OH + oh) * g.OW + ow, (kh * g.KW + kw) * g.C + c
        yield row, column, (n, oh * g.SH + kh * g.DH, ow * g.SW + kw * g.DW, c)


def im2col_reference(x, g):
    patches = np.zeros((g.N * g.OH * g.OW, g.KH * g.KW * g.C), np.float32)
    for row, column, pixel in patch_entries(g):
        patches[row, column] = x[pixel]
    return patches


def col2im_reference(patches, g):
    """The adjoint of im2col: every patch entry added back onto the pixel it read."""
    dx = np.zeros((g.N, g.H, g.W, g.C), np.float32)
    for row, column, pixel in patch_entries(g):
        dx[pixel] += patches[row, column]
    return dx


@pytest.mark.parametrize("size, kernel, stride, dilation", [
    ((7, 6), (3, 2), (2, 1), (1, 2)),            # overlapping windows, dilated columns
    ((8, 9), (2, 2), (3, 3), (1, 1)),            # stride larger than the kernel: gaps
    ((5, 5), (1, 1), (1, 1), (1, 1)),            # a 1x1 convolution
], ids=["overlap", "gaps", "1x1"])
def test_im2col_and_col2im_match_the_loops(device, size, kernel, stride, dilation):
    (H, W), (KH, KW), (SH, SW), (DH, DW) = size, kernel, stride, dilation
    N, C = 2, 3
    OH, OW = (H - (KH - 1) * DH - 1) // SH + 1, (W - (KW - 1) * DW - 1) // SW + 1
    g = ConvGeometry(N, H, W, C, KH, KW, SH, SW, DH, DW, OH, OW)
    x = grid_floats(48, (N, H, W, C))
    patches = DeviceArray.empty((N * OH * OW, KH * KW * C))
    launch("im2col", "im2col", grid_for(patches.size), BLOCK, device_copy(x),
           patches, g)
    expected = im2col_reference(x, g)
    np.testing.assert_array_equal(read(patches), expected)

    gradient = grid_floats(49, expected.shape)
    dx = DeviceArray.empty(x.shape)
    launch("im2col", "col2im", grid_for(dx.size), BLOCK, device_copy(gradient),
           dx, g)
    np.testing.assert_array_equal(read(dx), col2im_reference(gradient, g))


def test_scatter_add_rows_adds_repeated_ids(device):
    table = grid_floats(50, (5, 3))
    ids = np.array([1, 3, 1, 1, 0])
    values = grid_floats(51, (5, 3))
    moved = device_copy(table)
    launch("gather_scatter", "scatter_add_rows", grid_for(values.size), BLOCK,
           moved, device_copy(ids), device_copy(values),
           ctypes.c_longlong(len(ids)), ctypes.c_int(3))
    expected = table.copy()
    np.add.at(expected, ids, values)
    np.testing.assert_array_equal(read(moved), expected)


def test_pickling_keeps_the_values_not_the_device_memory(device):
    import copy
    import pickle
    moved = array.to_device(grid_floats(56, (3, 4)))
    mask = moved > 0
    for original in (moved, mask, moved.T):
        data = pickle.dumps(original)
        assert len(data) < 1000                  # the values, not the runtime's memory
        restored = pickle.loads(data)
        check(restored, array.to_host(original))
        assert restored.buffer is not original.buffer
    twin = copy.deepcopy(moved)
    twin += 1                                    # a copy of its own: the original is unchanged
    check(moved, grid_floats(56, (3, 4)))
    data = pickle.dumps(moved)
    previous = array.use_runtime(None)           # no device selected: the values in NumPy
    try:
        np.testing.assert_array_equal(pickle.loads(data), grid_floats(56, (3, 4)))
    finally:
        array.use_runtime(previous)


def test_add_at_with_an_index_per_axis_runs_on_the_host_and_gives_numpys_sums(device):
    table = grid_floats(54, (2, 4, 3))
    index = (slice(None), np.array([[0, 1], [1, 3]]), slice(None))   # a pooling's windows
    values = grid_floats(55, (2, 2, 2, 3))
    moved = array.to_device(table)
    np.add.at(moved, index, array.to_device(values))
    expected = table.copy()
    np.add.at(expected, index, values)
    np.testing.assert_array_equal(array.to_host(moved), expected)


def test_put_along_rows_add_adds_one_entry_per_row(device):
    dx = grid_floats(52, (4, 5))
    labels, g = np.array([0, 4, 2, 2]), grid_floats(53, (4,))
    moved = device_copy(dx)
    launch("gather_scatter", "put_along_rows_add", grid_for(4), BLOCK, moved,
           device_copy(labels), device_copy(g), ctypes.c_longlong(4), ctypes.c_int(5))
    expected = dx.copy()
    expected[np.arange(4), labels] += g
    np.testing.assert_array_equal(read(moved), expected)


def philox_args(n, seed, offset):
    return (ctypes.c_longlong(n), ctypes.c_uint(seed[0]), ctypes.c_uint(seed[1]),
            ctypes.c_ulonglong(offset))


def test_philox_uniform_is_the_reference_stream(device):
    n, seed, offset = 1001, (12345, 678), 3
    out = DeviceArray.empty((n,))
    launch("philox", "philox_uniform", grid_for(-(-n // 4)), BLOCK, out,
           *philox_args(n, seed, offset), ctypes.c_float(-2.0), ctypes.c_float(3.0))
    np.testing.assert_array_equal(read(out), philox.uniform(n, seed, offset, -2.0, 3.0))


def test_dropout_keeps_about_one_minus_rate_and_scales_the_kept(device):
    n, rate, seed, offset = 4000, 0.25, (7, 11), 5
    x = grid_floats(54, (n,))
    y, scale = DeviceArray.empty((n,)), DeviceArray.empty((n,))
    launch("philox", "dropout", grid_for(-(-n // 4)), BLOCK, device_copy(x),
           y, scale, ctypes.c_longlong(n), ctypes.c_float(rate),
           *philox_args(n, seed, offset)[1:])
    keep_scale = np.float32(1) / (np.float32(1) - np.float32(rate))
    scale, y = read(scale), read(y)
    assert set(np.unique(scale)) == {0.0, keep_scale}
    assert abs(np.mean(scale != 0) - (1 - rate)) < 0.03
    np.testing.assert_array_equal(y, x * scale)
    unit = philox.uniform(n, seed, offset)
    np.testing.assert_array_equal(scale, np.where(unit >= np.float32(rate), keep_scale, 0))


# A GPU may fuse a multiply and an add (one rounding instead of two): a few ulps apart.
OPTIMIZER_TOLERANCE = dict(rtol=1e-5, atol=1e-6)


def test_sgd_update(device):
    w, g, lr = grid_floats(55, (300,)), grid_floats(56, (300,)), np.float32(0.1)
    moved = device_copy(w)
    launch("optimizers", "sgd_update", grid_for(300), BLOCK, moved,
           device_copy(g), ctypes.c_longlong(300), ctypes.c_float(lr))
    np.testing.assert_allclose(read(moved), w - lr * g, **OPTIMIZER_TOLERANCE)


@pytest.mark.parametrize("nesterov", [0, 1])
def test_sgd_momentum_update(device, nesterov):
    w, m, g = grid_floats(57, (300,)), grid_floats(58, (300,)), grid_floats(59, (300,))
    lr, mu = np.float32(0.1), np.float32(0.9)
    moved_w, moved_m = device_copy(w), device_copy(m)
    launch("optimizers", "sgd_momentum_update", grid_for(300), BLOCK, moved_w,
           moved_m, device_copy(g), ctypes.c_longlong(300),
           ctypes.c_float(lr), ctypes.c_float(mu), ctypes.c_int(nesterov))
    velocity = mu * m - lr * g
    expected_w = w + mu * velocity - lr * g if nesterov else w + velocity
    np.testing.assert_allclose(read(moved_m), velocity, **OPTIMIZER_TOLERANCE)
    np.testing.assert_allclose(read(moved_w), expected_w, **OPTIMIZER_TOLERANCE)


def test_adam_update_is_one_adam_step(device):
    w, g = grid_floats(60, (300,)), grid_floats(61, (300,))
    m, v = grid_floats(62, (300,)) / 4, grid_floats(63, (300,), 0.125, 1.0)
    lr, beta_1, beta_2, epsilon, step = 0.01, 0.9, 0.999, 1e-7, 3
    alpha_t = lr * np.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
    moved_w, moved_m, moved_v = device_copy(w), device_copy(m), device_copy(v)
    launch("optimizers", "adam_update", grid_for(300), BLOCK, moved_w,
           moved_m, moved_v, device_copy(g),
           ctypes.c_longlong(300), ctypes.c_float(alpha_t), ctypes.c_float(1 - beta_1),
           ctypes.c_float(1 - beta_2), ctypes.c_float(epsilon))
    m_new = m + (g - m) * (1 - beta_1)                   # the step by hand, in NumPy
    v_new = v + (g * g - v) * (1 - beta_2)
    w_new = w - alpha_t * m_new / (np.sqrt(v_new) + epsilon)
    np.testing.assert_allclose(read(moved_m), m_new, **OPTIMIZER_TOLERANCE)
    np.testing.assert_allclose(read(moved_v), v_new, **OPTIMIZER_TOLERANCE)
    np.testing.assert_allclose(read(moved_w), w_new, **OPTIMIZER_TOLERANCE)


# -- 10. the emulator covers every kernel -------------------------------------------------------

def test_every_kernel_has_an_emulator_twin():
    entries = set()
    for name in gpu.kernel_names():
        entries.update(kernel_functions(gpu.kernel_source(name)))
    assert entries == set(emulator.TWINS)


# -- 11. choosing a device -------------------------------------------------------------------

def test_an_unknown_device_names_the_choices():
    before = keras.backend.get_device()
    with pytest.raises(ValueError, match="unknown device 'cud'") as caught:
        keras.backend.set_device("cud")
    for choice in ("cpu", "cuda", "emulated"):
        assert repr(choice) in str(caught.value)
    assert "Did you mean 'cuda'?" in str(caught.value)
    assert keras.backend.get_device() == before         # nothing changed


@pytest.mark.skipif(GPU_OK, reason="this machine has a GPU")
def test_cuda_without_a_gpu_says_why_and_suggests_the_emulator():
    before = keras.backend.get_device()
    with pytest.raises(RuntimeError) as caught:
        keras.backend.set_device("cuda")
    message = str(caught.value)
    assert GPU_REASON in message
    assert "set_device('emulated')" in message
    assert keras.backend.get_device() == before


def test_repeat_is_a_broadcast_view_then_one_copy(device):
    x = grid_floats(70, (2, 3, 4))
    d = array.to_device(x)
    for axis in (None, 0, 1, -1):
        check(np.repeat(d, 3, axis=axis), np.repeat(x, 3, axis=axis))
    assert not array.fallbacks
    check_host(np.repeat(d, [1, 2], axis=0), np.repeat(x, [1, 2], axis=0))   # per-row counts
    assert array.fallbacks["repeat"] == 1
