"""keras.ops reductions, statistics, cumulative ops, sorting and searching.

``CASES`` drives the gradient check, the repeatable backward and the no-gradient
rule here, and the Keras oracle in ``tests/oracle/test_ops_reductions_against_keras.py``.
The targeted tests below pin small hand-computed values, the derivative at the
awkward places (zeros in a product, ties in a max or a sort, the two neighbours
of a quantile) and the kind errors.
"""
import numpy as np
import pytest

from kerastutor import ops
from kerastutor.tape import Tape, Traced
from op_cases import OpCase, gradient_tests


# ------------------------------------------------------------------ inputs
def _size(rng, low=2, high=5):
    return int(rng.integers(low, high))


def spread(rng, *shape):
    """Normal numbers no two of which are close: max, sort and quantiles stay off their kinks."""
    n = int(np.prod(shape))
    values = np.arange(n) * 0.37 + rng.uniform(0, 0.1, size=n)
    return rng.permutation(values - values.mean()).reshape(shape)


def matrix(rng):
    return (spread(rng, _size(rng), _size(rng)),)


def cube(rng):
    return (spread(rng, _size(rng), _size(rng), _size(rng)),)


def row(rng):
    return (spread(rng, _size(rng, 3, 7)),)


def with_zeros(rng):
    """A matrix with a zero in one row and two zeros in another (prod's awkward case)."""
    x = spread(rng, 3, 4)
    x[0, 1] = 0.0
    x[2, 0] = x[2, 3] = 0.0
    return (x,)


def with_nans(rng):
    """A matrix with NaNs scattered in it (every row keeps some numbers)."""
    x = spread(rng, 3, _size(rng, 4, 6))
    x[0, 1] = x[2, 0] = x[2, 2] = np.nan
    return (x,)


def positive(rng):
    return (np.abs(spread(rng, _size(rng), _size(rng))) + 0.5,)


def ints(rng):
    return (rng.integers(-3, 4, size=(_size(rng), _size(rng))).astype(np.int32),)


def labels(rng):
    return (rng.integers(0, 5, size=_size(rng, 4, 9)),)


def sorted_and_values(rng):
    return np.sort(spread(rng, 6)), spread(rng, 4) * 1.3


def weighted_rows(rng):
    """``(x, axis, weights)``: ``average`` takes ``axis`` second, so weights come third."""
    x = spread(rng, _size(rng), 4)
    return x, -1, rng.uniform(0.5, 2.0, size=4)


def weighted_entries(rng):
    x = spread(rng, 5)
    return x, 0, rng.uniform(0.5, 2.0, size=5)


def bools(rng):
    return (rng.random((3, 4)) > 0.4,)


# ------------------------------------------------------------------ the cases
_DIFFERENTIABLE = [
    OpCase("sum", matrix),
    OpCase("sum", cube, {"axis": (0, 2), "keepdims": True}, label="axes,keepdims"),
    OpCase("sum", cube, {"axis": -1}, label="axis=-1"),
    OpCase("mean", matrix),
    OpCase("mean", cube, {"axis": (0, -1), "keepdims": True}, label="axes,keepdims"),
    OpCase("prod", positive, {"axis": -1}, label="axis=-1"),
    OpCase("prod", with_zeros, {"axis": 1}, label="zeros"),
    OpCase("prod", lambda rng: (spread(rng, 2, 3, 2) * 0.5,), {"axis": (0, 2)}, label="axes"),
    OpCase("prod", with_zeros, {"axis": 0, "keepdims": True}, label="zeros,axis=0,keepdims"),
    OpCase("var", matrix),
    OpCase("var", cube, {"axis": 1, "keepdims": True}, label="axis=1,keepdims"),
    OpCase("std", matrix, {"axis": -1}, label="axis=-1"),
    OpCase("std", cube, {"axis": (0, 2)}, label="axes"),
    OpCase("average", matrix, {"axis": 0}, label="unweighted"),
    OpCase("average", weighted_rows, grad=(0, 2), label="1-D weights"),
    OpCase("average", weighted_entries, grad=(0, 2), label="same shape"),
    OpCase("max", matrix, {"axis": -1}, kinked=True, label="axis=-1"),
    OpCase("max", cube, kinked=True),
    OpCase("max", matrix, {"axis": 0, "keepdims": True, "initial": 0.2}, kinked=True,
           label="initial,keepdims"),
    OpCase("min", cube, {"axis": (1, 2)}, kinked=True, label="axes"),
    OpCase("min", matrix, {"initial": -0.1}, kinked=True, label="initial"),
    OpCase("amax", matrix, {"axis": 1, "keepdims": True}, kinked=True, label="axis=1,keepdims"),
    OpCase("amin", cube, {"axis": 0}, kinked=True, label="axis=0"),
    OpCase("ptp", matrix, {"axis": -1}, kinked=True, label="axis=-1"),
    OpCase("ptp", cube, kinked=True),
    OpCase("median", matrix, {"axis": -1}, kinked=True, label="axis=-1"),
    OpCase("median", cube, {"axis": (0, 2), "keepdims": True}, kinked=True,
           label="axes,keepdims"),
    OpCase("median", lambda rng: (spread(rng, 6),), kinked=True, label="even count"),
    OpCase("quantile", lambda rng: (spread(rng, 3, 7), 0.3), {"axis": 1}, kinked=True,
           label="q=0.3,axis=1"),
    # q exact in float32: Keras on torch computes the quantiles of float64 input in float32,
    # and a rounded q would blur its interpolation weights (so its gradient) by ~1e-7
    OpCase("quantile", lambda rng: (spread(rng, 4, 5), np.array([0.125, 0.5, 0.875])),
           {"axis": 0, "keepdims": True}, kinked=True, label="q array,keepdims"),
    OpCase("quantile", lambda rng: (spread(rng, 2, 3, 5), np.array([0.2, 0.7])),
           {"axis": (0, 2)}, kinked=True, label="q array,axes"),
    *[OpCase("quantile", lambda rng: (spread(rng, 3, 6), 0.3), {"axis": -1, "method": method},
             kinked=True, label=method)
      for method in ("lower", "higher", "midpoint", "nearest")],
    OpCase("percentile", lambda rng: (spread(rng, 4, 6), 35.0), {"axis": 1}, kinked=True,
           label="q=35"),
    OpCase("percentile", lambda rng: (spread(rng, 9), np.array([10.0, 50.0, 95.0])),
           {"method": "midpoint"}, kinked=True, label="q array,midpoint"),
    OpCase("cumsum", matrix),
    OpCase("cumsum", cube, {"axis": 1}, label="axis=1"),
    OpCase("cumprod", matrix, {"axis": -1}, label="axis=-1"),
    OpCase("cumprod", with_zeros, {"axis": 1}, label="zeros"),
    OpCase("cumprod", lambda rng: (spread(rng, 2, 3) * 0.6,), label="flattened"),
    OpCase("diff", matrix),
    OpCase("diff", cube, {"n": 2, "axis": 1}, label="n=2,axis=1"),
    OpCase("diff", lambda rng: (spread(rng, 7),), {"n": 3}, label="n=3"),
    OpCase("trace", matrix),
    OpCase("trace", cube, {"offset": 1, "axis1": 1, "axis2": 2}, label="offset=1,batch"),
    OpCase("trace", lambda rng: (spread(rng, 4, 3),), {"offset": -1}, label="offset=-1"),
    OpCase("trace", cube, {"axis1": -1, "axis2": 0}, label="axis1=-1,axis2=0"),
    OpCase("corrcoef", lambda rng: (spread(rng, 3, 6),)),
    OpCase("corrcoef", lambda rng: (spread(rng, 2, 4) ** 3,), label="2 variables"),
    OpCase("sort", matrix, kinked=True),
    OpCase("sort", cube, {"axis": 0}, kinked=True, label="axis=0"),
    # the nan* ops on NaN-free input: the plain op's derivative
    *[OpCase(name, matrix, {"axis": 1}, kinked=name in ("nanmax", "nanmin", "nanmedian"),
             label="no NaN") for name in ("nansum", "nanmean", "nanprod", "nanvar", "nanstd",
                                          "nanmax", "nanmin", "nanmedian", "nancumsum",
                                          "nancumprod")],
]

#: Differentiable cases whose input holds NaNs. The shared gradient check cannot take them
#: (it sees NaN != NaN as "forward modified its input"): test_gradient_with_nans checks them.
_NAN_INPUT = [
    OpCase("nansum", with_nans, {"axis": 1}, label="axis=1"),
    OpCase("nansum", with_nans),
    OpCase("nanmean", with_nans, {"axis": -1}, label="axis=-1"),
    OpCase("nanprod", with_nans, {"axis": 1}, label="axis=1"),
    OpCase("nanvar", with_nans, {"axis": 1}, label="axis=1"),
    OpCase("nanstd", with_nans, {"axis": -1, "keepdims": True}, label="axis=-1,keepdims"),
    OpCase("nanmax", with_nans, {"axis": 1}, kinked=True, label="axis=1"),
    OpCase("nanmin", with_nans, {"axis": -1, "keepdims": True}, kinked=True,
           label="axis=-1,keepdims"),
    OpCase("nanmedian", with_nans, {"axis": 1}, kinked=True, label="axis=1"),
    OpCase("nanquantile", lambda rng: (*with_nans(rng), 0.4), {"axis": 1}, kinked=True,
           label="q=0.4"),
    OpCase("nanpercentile", lambda rng: (*with_nans(rng), np.array([25.0, 80.0])),
           {"axis": -1}, kinked=True, label="q array"),
    OpCase("nancumsum", with_nans, {"axis": 1}, label="axis=1"),
    OpCase("nancumprod", with_nans, {"axis": 1}, label="axis=1"),
]

_NO_GRADIENT = [
    OpCase("sum", ints, grad=(), label="int32"),
    OpCase("sum", bools, {"axis": 0}, grad=(), label="bool"),
    OpCase("mean", ints, {"axis": 1}, grad=(), label="int32"),
    OpCase("var", ints, grad=(), label="int32"),
    OpCase("prod", ints, {"axis": 0}, grad=(), label="int32"),
    OpCase("cumsum", bools, {"axis": 1}, grad=(), label="bool"),
    OpCase("sum", lambda rng: (ints(rng)[0].astype(np.int8),), {"axis": 1}, grad=(),
           label="int8"),
    OpCase("cumsum", lambda rng: (ints(rng)[0].astype(np.int8),), grad=(), label="int8"),
    OpCase("mean", bools, grad=(), label="bool"),
    OpCase("std", ints, {"axis": 0}, grad=(), label="int32"),
    OpCase("quantile", lambda rng: (*ints(rng), 0.25), grad=(), label="int32"),
    OpCase("corrcoef", lambda rng: (rng.integers(0, 9, size=(3, 5)).astype(np.int32),),
           grad=(), label="int32"),
    OpCase("trace", ints, grad=(), label="int32"),
    OpCase("max", ints, {"axis": 1}, grad=(), label="int32"),
    OpCase("median", ints, {"axis": 0}, grad=(), label="int32"),
    OpCase("argmax", matrix, grad=()),
    OpCase("argmax", cube, {"axis": 1, "keepdims": True}, grad=(), label="axis=1,keepdims"),
    OpCase("argmin", cube, {"axis": -1}, grad=(), label="axis=-1"),
    OpCase("argmin", ints, grad=(), label="int32"),
    OpCase("nanargmax", with_nans, {"axis": 1}, grad=(), label="axis=1"),
    OpCase("nanargmin", with_nans, {"axis": 0}, grad=(), label="axis=0"),
    OpCase("count_nonzero", ints, grad=()),
    OpCase("count_nonzero", ints, {"axis": 1}, grad=(), label="axis=1"),
    OpCase("all", bools, {"axis": 1}, grad=(), label="axis=1"),
    OpCase("all", ints, grad=(), label="int"),
    OpCase("any", bools, {"axis": 0, "keepdims": True}, grad=(), label="axis=0,keepdims"),
    OpCase("bincount", labels, grad=()),
    OpCase("bincount", lambda rng: (*labels(rng)[:1], None, 8), grad=(), label="minlength"),
    OpCase("bincount", lambda rng: (np.array([0, 2, 2, 4]), rng.uniform(size=4)), grad=(),
           label="weights"),
    OpCase("bincount", lambda rng: (rng.integers(0, 4, size=(3, 5)),), {"minlength": 6},
           grad=(), label="2-D"),
    OpCase("histogram", row, grad=()),
    OpCase("histogram", lambda rng: (rng.uniform(-1, 1, size=20),), {"bins": 4,
           "range": (-1.0, 1.0)}, grad=(), label="bins=4,range"),
    OpCase("argsort", matrix, grad=()),
    OpCase("argsort", cube, {"axis": 0}, grad=(), label="axis=0"),
    OpCase("argpartition", lambda rng: (spread(rng, 3, 6), 2), grad=(), oracle=False,
           note="the order within each side is not fixed (Keras on torch orders the upper "
                "side arbitrarily): test_argpartition_partitions_like_keras compares the sides"),
    OpCase("searchsorted", sorted_and_values, grad=()),
    OpCase("searchsorted", sorted_and_values, {"side": "right"}, grad=(), label="right"),
    OpCase("digitize", lambda rng: (spread(rng, 3, 4), np.array([-1.0, 0.0, 0.5, 2.0])),
           grad=()),
    OpCase("nonzero", ints, grad=(), oracle=False,
           note="Keras on torch stacks the index arrays into one (ndim, count) tensor; "
                "test_nonzero_matches_keras_stacked compares the numbers"),
    OpCase("unique", labels, grad=()),
    OpCase("unique", labels, {"return_index": True, "return_inverse": True,
                              "return_counts": True}, grad=(), label="all outputs"),
    OpCase("unique", lambda rng: (np.array([3.0, 1.0, 3.0, 2.0]),),
           {"size": 5, "fill_value": -1.0, "return_counts": True}, grad=(), label="size pad"),
    OpCase("unique", lambda rng: (np.array([4, 1, 4, 2, 7]),),
           {"size": 2, "return_index": True}, grad=(), label="size cut"),
    OpCase("unique", lambda rng: (np.array([[1, 2], [0, 5], [1, 2]]),), {"axis": 0},
           grad=(), label="axis=0"),
    OpCase("unravel_index", lambda rng: (rng.integers(0, 12, size=5), (3, 4)), grad=()),
    OpCase("unravel_index", lambda rng: (rng.integers(0, 24, size=(2, 3)).astype(np.int16),
                                         (2, 3, 4)), grad=(), label="int16"),
]

CASES = _DIFFERENTIABLE + _NAN_INPUT + _NO_GRADIENT

test_gradient, test_repeatable, test_no_gradient = gradient_tests(_DIFFERENTIABLE + _NO_GRADIENT)


# ------------------------------------------------------------------ helpers
def vjp(function, x, upstream=None):
    """The recorded gradient of ``sum(upstream * function(x))`` with respect to ``x``."""
    with Tape() as tape:
        watched = tape.watch(np.asarray(x, dtype=np.float64))
        out = function(watched)
    upstream = np.ones(out.shape) if upstream is None else np.asarray(upstream, float)
    return tape.gradient(out, upstream, watched)


def _numerical_vjp(function, x, upstream, h=1e-6):
    """Central differences of ``sum(upstream * function(x))`` over the present (non-NaN) entries."""
    grad = np.zeros_like(x)
    for i in zip(*np.nonzero(~np.isnan(x))):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = np.sum(upstream * (function(x + step) - function(x - step))) / (2 * h)
    return grad


@pytest.mark.parametrize("case", _NAN_INPUT, ids=lambda c: c.id)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_with_nans(case, seed):
    """The nan* ops: central differences on the present entries, exactly 0 at a NaN, repeatable."""
    x, *rest = case.make(np.random.default_rng(seed))
    function = lambda v: np.asarray(getattr(ops, case.op)(v, *rest, **case.kwargs))  # noqa: E731
    upstream = np.random.default_rng(seed + 10).normal(size=function(x).shape)
    analytic = vjp(lambda v: getattr(ops, case.op)(v, *rest, **case.kwargs), x, upstream)
    np.testing.assert_allclose(analytic, _numerical_vjp(function, x, upstream),
                               rtol=1e-6, atol=1e-8)
    assert np.all(analytic[np.isnan(x)] == 0)
    again = vjp(lambda v: getattr(ops, case.op)(v, *rest, **case.kwargs), x, upstream)
    assert np.array_equal(analytic, again)


# ------------------------------------------------------------------ goldens
@pytest.mark.filterwarnings("ignore:.*slice:RuntimeWarning")   # numpy on the all-NaN column
def test_values_against_numpy():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 4, 5))
    for name in ("sum", "prod", "mean", "median", "var", "std", "max", "min", "ptp"):
        for axis in (None, 1, (0, 2), -1):
            np.testing.assert_allclose(getattr(ops, name)(x, axis=axis),
                                       getattr(np, name)(x, axis=axis), err_msg=name)
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        for q in (0.5, [0.0, 0.25, 0.6, 1.0]):
            np.testing.assert_allclose(ops.quantile(x, q, axis=(0, 2), method=method),
                                       np.quantile(x, q, axis=(0, 2), method=method))
    y = x.copy()
    y[0, 1, 2] = y[2, :, 0] = np.nan
    for name in ("nanmean", "nanmedian", "nanvar", "nanstd", "nansum", "nanprod",
                 "nanmax", "nanmin"):
        np.testing.assert_allclose(getattr(ops, name)(y, axis=1), getattr(np, name)(y, axis=1),
                                   err_msg=name)
    np.testing.assert_allclose(ops.nanpercentile(y, [10, 90], axis=-1),
                               np.nanpercentile(y, [10, 90], axis=-1))
    np.testing.assert_allclose(ops.corrcoef(x[0]), np.corrcoef(x[0]))
    np.testing.assert_allclose(ops.trace(x, 1, 2, 1), np.trace(x, 1, 2, 1))
    np.testing.assert_allclose(ops.diff(x, 2, 0), np.diff(x, 2, 0))
    np.testing.assert_allclose(ops.nancumprod(y, 1), np.nancumprod(y, 1))


def test_small_goldens():
    assert ops.median(np.array([3.0, 1.0, 4.0, 1.5])) == 2.25
    assert ops.quantile(np.array([0.0, 10.0, 20.0]), 0.25) == 5.0
    assert ops.percentile(np.array([0.0, 10.0, 20.0]), 75, method="lower") == 10.0
    assert ops.ptp(np.array([[2.0, -1.0, 5.0]]), axis=1).tolist() == [6.0]
    assert ops.average(np.array([1.0, 4.0]), weights=np.array([3.0, 1.0])) == 1.75
    assert ops.trace(np.arange(9.0).reshape(3, 3), offset=1) == 1 + 5
    assert ops.cumprod(np.array([2.0, 0.0, 3.0])).tolist() == [2.0, 0.0, 0.0]
    assert ops.diff(np.array([1.0, 4.0, 9.0, 16.0]), n=2).tolist() == [2.0, 2.0]
    assert ops.histogram(np.array([0.0, 0.1, 0.9, 1.0]), bins=2)[0].tolist() == [2.0, 2.0]
    assert ops.bincount(np.array([[0, 1, 1], [2, 2, 2]])).tolist() == [[1, 2, 0], [0, 0, 3]]
    assert ops.argpartition(np.array([5.0, 1.0, 4.0, 2.0, 3.0]), 1).tolist() == [1, 3, 0, 2, 4]
    assert ops.digitize(np.array([-1.0, 0.0, 0.5, 3.0]), np.array([0.0, 1.0])).tolist() == \
        [0, 1, 1, 2]


def test_index_outputs_are_int32_as_in_keras():
    x = np.array([[1.0, 3.0, 2.0]], dtype=np.float32)
    for result in (ops.argmax(x), ops.argmin(x, axis=1), ops.argsort(x), ops.nanargmax(x),
                   ops.argpartition(x, 0), ops.searchsorted(np.array([1.0, 2.0]), x),
                   ops.digitize(x, np.array([1.5])), ops.count_nonzero(x), *ops.nonzero(x),
                   ops.bincount(np.array([0, 2]))):
        assert result.dtype == np.int32


def test_argmax_puts_negative_zero_below_zero_as_keras():
    assert ops.argmax(np.array([-0.0, 0.0])) == 1
    assert ops.argmin(np.array([0.0, -0.0])) == 1


def test_nanargmax_of_an_all_nan_row_is_minus_one():
    x = np.array([[np.nan, np.nan], [1.0, np.nan]])
    assert ops.nanargmax(x, axis=1).tolist() == [-1, 0]
    assert ops.nanargmin(x, axis=1).tolist() == [-1, 0]


def test_unique_outputs_and_padding():
    values, index, inverse, counts = ops.unique(
        np.array([3, 1, 3, 2]), return_index=True, return_inverse=True, return_counts=True)
    assert values.tolist() == [1, 2, 3] and index.tolist() == [1, 3, 0]
    assert inverse.tolist() == [2, 0, 2, 1] and counts.tolist() == [1, 1, 2]
    padded, counts = ops.unique(np.array([2.0, 2.0]), size=3, fill_value=9.0,
                                return_counts=True)
    assert padded.tolist() == [2.0, 9.0, 9.0] and counts.tolist() == [2, 0, 0]


# ------------------------------------------------------------------ derivatives at awkward places
def test_prod_gradient_is_the_product_of_the_others_even_at_zero():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 5.0, 0.0]])
    assert vjp(lambda v: ops.prod(v, axis=1), x).tolist() == [[0.0, 6.0, 0.0],
                                                              [0.0, 0.0, 0.0]]


def test_cumprod_gradient_at_a_zero():
    # y = [a, ab, abc] at (a, b, c) = (2, 0, 3): dy/db = (0, a, ac) -> 2 + 6 = 8
    assert vjp(ops.cumprod, np.array([2.0, 0.0, 3.0])).tolist() == [1.0, 8.0, 0.0]


def test_tied_maxima_share_the_gradient_as_torch_amax():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    np.testing.assert_allclose(vjp(lambda v: ops.max(v, axis=1), x),
                               [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    # `initial` competes as a third tied maximum: each entry keeps a third
    np.testing.assert_allclose(vjp(lambda v: ops.max(v, initial=3.0), x[0]), [0, 1 / 3, 1 / 3])


def test_sort_sends_each_place_back_and_ties_share():
    x = np.array([3.0, 1.0, 2.0])
    np.testing.assert_allclose(vjp(ops.sort, x, [10.0, 20.0, 30.0]), [30.0, 10.0, 20.0])
    np.testing.assert_allclose(vjp(ops.sort, np.array([2.0, 1.0, 2.0]), [10.0, 20.0, 30.0]),
                               [25.0, 10.0, 25.0])


def test_quantile_gradient_goes_to_the_two_neighbours_by_weight():
    x = np.array([40.0, 10.0, 30.0, 20.0])   # sorted 10 20 30 40; q=0.4 sits at place 1.2
    np.testing.assert_allclose(vjp(lambda v: ops.quantile(v, 0.4), x), [0, 0, 0.2, 0.8])
    np.testing.assert_allclose(vjp(lambda v: ops.median(v), x), [0, 0, 0.5, 0.5])
    np.testing.assert_allclose(vjp(lambda v: ops.quantile(v, 0.4, method="nearest"), x),
                               [0, 0, 0, 1])


def test_nan_entries_get_no_gradient():
    x = np.array([[1.0, np.nan, 3.0]])
    for name in ("nansum", "nanmean", "nanvar", "nanprod", "nanmax", "nanmedian"):
        grad = vjp(lambda v: getattr(ops, name)(v, axis=1), x)
        assert grad[0, 1] == 0 and np.all(np.isfinite(grad)), name


def test_traced_results_and_plain_indices():
    with Tape() as tape:
        x = tape.watch(np.array([[1.0, 2.0], [4.0, 3.0]]))
        assert isinstance(ops.quantile(x, 0.5), Traced)
        assert not isinstance(ops.argsort(x), Traced)
        assert not isinstance(ops.histogram(ops.reshape(x, (-1,)))[0], Traced)


def test_float32_stays_float32():
    x = np.array([[1.0, 2.0], [4.0, 3.0]], dtype=np.float32)
    for name in ("sum", "mean", "var", "std", "median", "prod", "cumsum", "cumprod", "sort",
                 "ptp", "nanmean", "corrcoef"):
        assert getattr(ops, name)(x).dtype == np.float32, name
    assert ops.quantile(x, np.array([0.2, 0.5])).dtype == np.float32
    assert ops.mean(np.array([1, 2], dtype=np.int32)).dtype == np.float32


# ------------------------------------------------------------------ kind errors
@pytest.mark.parametrize("call, words", [
    (lambda: ops.sum(np.ones((2, 3)), axis=2), ["ops.sum", "axis", "out of range"]),
    (lambda: ops.quantile(np.ones(3), 1.5), ["ops.quantile", "`q`", "[0, 1]"]),
    (lambda: ops.percentile(np.ones(3), 150), ["ops.percentile", "[0, 100]"]),
    (lambda: ops.quantile(np.ones(3), 0.5, method="linearish"),
     ["ops.quantile", "`method`", "'linearish'"]),
    (lambda: ops.max(np.ones((0,))), ["ops.max", "empty", "initial"]),
    (lambda: ops.histogram(np.ones((2, 2))), ["ops.histogram", "1-D"]),
    (lambda: ops.histogram(np.ones(3), range=(1.0, 0.0)), ["ops.histogram", "`range`"]),
    (lambda: ops.searchsorted(np.ones((2, 2)), 1.0), ["ops.searchsorted", "1-D"]),
    (lambda: ops.searchsorted(np.ones(2), 1.0, side="middle"), ["`side`", "'middle'"]),
    (lambda: ops.bincount(np.array([1, -1])), ["ops.bincount", "non-negative"]),
    (lambda: ops.bincount(np.array([1]), sparse=True), ["ops.bincount", "sparse"]),
    (lambda: ops.trace(np.ones(3)), ["ops.trace", "2 dimensions"]),
    (lambda: ops.diff(np.ones(3), n=-1), ["ops.diff", "`n`"]),
    (lambda: ops.argpartition(np.ones(3), 5), ["ops.argpartition", "`kth`"]),
    (lambda: ops.average(np.ones((2, 3)), weights=np.ones(3)), ["ops.average", "`weights`"]),
])
def test_kind_errors_name_the_op_and_the_fix(call, words):
    with pytest.raises(ValueError) as error:
        call()
    for word in words + ["Fix"]:
        assert word in str(error.value)


def test_histogram_bins_must_be_an_int():
    with pytest.raises(TypeError, match="ops.histogram: `bins` must be an int"):
        ops.histogram(np.ones(3), bins=2.5)
