"""keras.ops.math: special functions, segments, top-k, distances, frames, FFTs and STFTs.

``CASES`` are the ops with real arguments, run through the shared harness (gradient
check, repeatable backward, no-gradient rule) and, by the oracle twin, against Keras.

The FFT family takes complex values the Keras way, as a ``(real, imag)`` *tuple*
argument, which the shared harness cannot watch (it would stack the pair into one
array). ``COMPLEX_CASES`` therefore has its own small gradient check below
(:func:`check_complex_gradient`): it watches both parts of the pair.
``VALUE_CASES`` are calls compared with Keras on values only (an empty segment is
-inf, complex outputs), their derivatives being tested by targeted tests here.
"""
import math as pymath

import numpy as np
import pytest
from hypothesis import given, settings

import kerastutor as keras
from kerastutor import gradcheck, ops
from kerastutor.tape import Tape, Traced
from op_cases import EXAMPLES, OpCase, _joined, call, gradient_tests
from strategies import SEEDS


# ------------------------------------------------------------------------------ inputs
def _side(rng, low=2, high=5):
    return int(rng.integers(low, high + 1))


def _normal(rng, *shape):
    return rng.standard_normal(shape)


def _distinct(rng, *shape):
    """Entries at least 0.3 apart (no ties: top_k and segment max/min stay smooth)."""
    size = int(np.prod(shape))
    return (rng.permutation(size) * 0.3 + rng.uniform(0, 0.05, size)).reshape(shape) - size * 0.15


def _spd(rng, *batch, n=None):
    """Symmetric positive-definite matrices B B^T + n I (logdet is defined, well-conditioned)."""
    n = n or _side(rng, 2, 4)
    b = rng.standard_normal(batch + (n, n))
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


def _segments(rng, count, rows, shuffle, dropped=False):
    """Segment ids with every one of ``count`` segments used; -1 marks a dropped row."""
    kept = rows - 1 if dropped else rows
    ids = np.sort(np.concatenate([np.arange(count), rng.integers(0, count, kept - count)]))
    if dropped:
        ids = np.insert(ids, rng.integers(0, kept + 1), -1)
    return rng.permutation(ids) if shuffle else ids


def _segment_args(rng, shuffle=False, dropped=False, positive=False):
    rows = _side(rng, 5, 8)
    data = _distinct(rng, rows, 2)
    if positive:
        data = rng.uniform(0.5, 1.5, (rows, 2)) * rng.choice([-1, 1], (rows, 2))
    return data, _segments(rng, 3, rows, shuffle, dropped)


def _pair(rng, *shape):
    return (rng.standard_normal(shape), rng.standard_normal(shape))


def _signal(rng, low=24, high=40, batch=()):
    return rng.standard_normal(tuple(batch) + (_side(rng, low, high),))


# ------------------------------------------------------------------------------ cases
CASES = [
    # special functions
    OpCase("erf", lambda rng: (_normal(rng, _side(rng), 3) * 1.5,)),
    OpCase("erf", lambda rng: (rng.uniform(-5, 5, (4, _side(rng))),), label="tails"),
    OpCase("erfc", lambda rng: (_normal(rng, _side(rng), 3),)),
    OpCase("erfc", lambda rng: (rng.uniform(-3, 8, (_side(rng), 5)),), label="tails"),
    OpCase("erfinv", lambda rng: (rng.uniform(-0.95, 0.95, (_side(rng), 3)),)),
    OpCase("erfinv", lambda rng: (rng.uniform(0.98, 0.995, (6,)) * rng.choice([-1, 1], 6),),
           label="near±1"),          # closer to 1 central differences lose to curvature
    OpCase("rsqrt", lambda rng: (rng.uniform(0.2, 4.0, (_side(rng), 3)),)),
    OpCase("logsumexp", lambda rng: (_normal(rng, 3, _side(rng)),)),
    OpCase("logsumexp", lambda rng: (_normal(rng, 3, 4),), {"axis": -1}, label="axis=-1"),
    OpCase("logsumexp", lambda rng: (_normal(rng, 2, 3, 4) * 3,), {"axis": (0, 2)},
           label="axis=(0,2)"),
    OpCase("logsumexp", lambda rng: (_normal(rng, 2, 3, 4),), {"axis": 1, "keepdims": True},
           label="axis=1,keepdims"),
    OpCase("logdet", lambda rng: (_spd(rng),)),
    OpCase("logdet", lambda rng: (_spd(rng, 2, 3),), label="batched"),
    # segments
    OpCase("segment_sum", lambda rng: _segment_args(rng), grad=(0,)),
    OpCase("segment_sum", lambda rng: _segment_args(rng, shuffle=True, dropped=True),
           label="unsorted,dropped row"),
    OpCase("segment_sum", lambda rng: _segment_args(rng), {"num_segments": 2, "sorted": True},
           label="num_segments drops ids>=2"),
    OpCase("segment_max", lambda rng: _segment_args(rng), kinked=True),
    OpCase("segment_max", lambda rng: _segment_args(rng, shuffle=True, dropped=True),
           {"num_segments": 3}, kinked=True, label="unsorted,dropped row"),
    OpCase("segment_min", lambda rng: _segment_args(rng), kinked=True),
    OpCase("segment_min", lambda rng: _segment_args(rng, shuffle=True), kinked=True,
           label="unsorted"),
    OpCase("segment_prod", lambda rng: _segment_args(rng, positive=True)),
    OpCase("segment_prod", lambda rng: _segment_args(rng, True, True, positive=True),
           label="unsorted,dropped row"),
    # rankings
    OpCase("top_k", lambda rng: (_distinct(rng, 3, _side(rng, 4, 6)), 3), kinked=True),
    OpCase("top_k", lambda rng: (_distinct(rng, 2, 2, 5), 1), kinked=True, label="k=1,rank3"),
    OpCase("in_top_k", lambda rng: (rng.integers(0, 5, 4), _distinct(rng, 4, 5), 2), grad=()),
    OpCase("in_top_k", lambda rng: (np.arange(3), _distinct(rng, 3, 6), 1), grad=(),
           label="k=1"),
    # distances and frames
    OpCase("cdist", lambda rng: (_normal(rng, _side(rng), 3), _normal(rng, _side(rng), 3)),
           grad=(0, 1)),
    OpCase("cdist", lambda rng: (_normal(rng, 2, 3, 4), _normal(rng, 5, 4)), grad=(0, 1),
           label="batch broadcast"),
    OpCase("extract_sequences", lambda rng: (_normal(rng, 2, _side(rng, 8, 12)), 4, 2)),
    OpCase("extract_sequences", lambda rng: (_normal(rng, 11), 3, 4), label="gaps (stride>len)"),
    OpCase("extract_sequences", lambda rng: (_normal(rng, 2, 3, 9), 3, 3), label="rank3,tiled"),
    # real-input transforms
    OpCase("rfft", lambda rng: (_normal(rng, 3, _side(rng, 5, 9)),)),
    OpCase("rfft", lambda rng: (_normal(rng, 2, 9), 6), label="cropped"),
    OpCase("rfft", lambda rng: (_normal(rng, 7), 11), label="padded,odd"),
    OpCase("stft", lambda rng: (_signal(rng, batch=(2,)), 8, 4, 8)),
    OpCase("stft", lambda rng: (_signal(rng), 6, 2, 8), {"window": "hamming"},
           label="hamming,padded window"),
    OpCase("stft", lambda rng: (_signal(rng, batch=(2, 2)), 7, 3, 10), {"center": False},
           label="center=False,rank3"),
    OpCase("stft", lambda rng: (_signal(rng), 5, 5, 5), {"window": None},
           label="no window,odd"),
    OpCase("stft", lambda rng: (_signal(rng), 4, 2, 4),
           {"window": np.array([0.1, 0.9, 1.0, 0.4])}, label="array window"),
]

COMPLEX_CASES = [
    OpCase("fft", lambda rng: (_pair(rng, 3, _side(rng, 3, 8)),)),
    OpCase("fft2", lambda rng: (_pair(rng, 2, 3, _side(rng, 3, 5)),)),
    OpCase("ifft2", lambda rng: (_pair(rng, _side(rng), 4),)),
    OpCase("irfft", lambda rng: (_pair(rng, 2, _side(rng, 3, 6)),)),
    OpCase("irfft", lambda rng: (_pair(rng, 4),), {"fft_length": 7}, label="odd length"),
    OpCase("irfft", lambda rng: (_pair(rng, 6),), {"fft_length": 4}, label="cropped bins"),
    OpCase("irfft", lambda rng: (_pair(rng, 3),), {"fft_length": 10}, label="padded bins"),
    OpCase("istft", lambda rng: (_pair(rng, 2, _side(rng, 5, 8), 5), 8, 4, 8)),
    OpCase("istft", lambda rng: (_pair(rng, 6, 5), 8, 3, 8),
           {"window": "hamming", "length": 15}, label="hamming,length"),
    OpCase("istft", lambda rng: (_pair(rng, 7, 5), 6, 2, 8),
           label="padded window",
           keras_bug="on torch, sequence_length < fft_length takes Keras's own overlap-add "
                     "path, which divides by a periodised window sum: istft(stft(x)) != x "
                     "near the ends (its NumPy backend inverts exactly, as we do)"),
    OpCase("istft", lambda rng: (_pair(rng, 7, 5), 8, 4, 8), {"center": False},
           label="center=False",
           keras_bug="on torch, center=False takes the periodised-window path: the first and "
                     "last frames are not inverted (its NumPy backend inverts exactly)"),
    OpCase("istft", lambda rng: (_pair(rng, 7, 5), 8, 4, 8), {"window": None},
           label="no window",
           keras_bug="window=None skips the normalisation on torch (and on Keras's NumPy "
                     "backend too, checked with its SciPy calls): istft(stft(x)) is x times "
                     "fft_length/sequence_stride, not x; we divide by the overlap count"),
]

VALUE_CASES = [
    OpCase("segment_max", lambda rng: (_normal(rng, 4, 2), np.array([0, 0, 2, 2])),
           label="empty segment is -inf"),
    OpCase("segment_min", lambda rng: (_normal(rng, 4), np.array([3, 0, 0, 3])),
           label="empty segments are +inf"),
    OpCase("segment_prod", lambda rng: (_normal(rng, 4), np.array([0, 0, 2, 2])),
           label="empty segment is 1"),
    OpCase("view_as_complex", lambda rng: (_normal(rng, 3, 2),)),
    OpCase("view_as_complex", lambda rng: (_normal(rng, 2, 4, 2),), label="rank3"),
    OpCase("view_as_real", lambda rng: (_normal(rng, 3) + 1j * _normal(rng, 3),)),
    OpCase("view_as_real", lambda rng: ((_normal(rng, 2, 2) + 1j * _normal(rng, 2, 2))
                                        .astype(np.complex64),), label="complex64"),
]

test_gradient, test_repeatable, test_no_gradient = gradient_tests(CASES)


# ------------------------------------------------------------------------------ complex arguments
def complex_slots(case, args):
    """``(position, part)`` of each watched array: both parts of a ``(real, imag)`` pair."""
    slots = []
    for i in case.grad:
        slots += [(i, 0), (i, 1)] if isinstance(args[i], tuple) else [(i, None)]
    return slots


def with_watched(args, slots, values):
    """``args`` with the watched arrays replaced by ``values`` (pairs rebuilt as tuples)."""
    full = [list(a) if isinstance(a, tuple) else a for a in args]
    for (i, part), value in zip(slots, values):
        if part is None:
            full[i] = value
        else:
            full[i][part] = value
    return [tuple(a) if isinstance(a, list) else a for a in full]


def complex_layer(case, args):
    """A ``Lambda`` of the watched arrays, as the harness builds one for ordinary cases."""
    slots = complex_slots(case, args)

    def function(inputs):
        return _joined(call(case, with_watched(args, slots, inputs)))
    layer = keras.layers.Lambda(function, name=case.op)
    layer.has_kinks = case.kinked
    watched = [np.array(args[i] if part is None else args[i][part], dtype=np.float64)
               for i, part in slots]
    return layer, watched


ids = lambda c: c.id                                                   # noqa: E731


@pytest.mark.parametrize("case", COMPLEX_CASES, ids=ids)
@settings(max_examples=EXAMPLES, deadline=None)
@given(seed=SEEDS)
def test_complex_gradient(case, seed):
    layer, x = complex_layer(case, case.make(np.random.default_rng(seed)))
    gradcheck.assert_gradients_ok(layer, x)


@pytest.mark.parametrize("case", COMPLEX_CASES, ids=ids)
def test_complex_repeatable(case):
    layer, x = complex_layer(case, case.make(np.random.default_rng(0)))
    gradcheck.assert_backward_repeatable(layer, x)


@pytest.mark.parametrize("case", VALUE_CASES, ids=ids)
def test_value_cases_run_and_keep_their_dtype(case):
    args = case.make(np.random.default_rng(0))
    out = call(case, args)
    complex_in = any(np.iscomplexobj(a) for a in args)
    expected = {np.dtype(np.complex64): np.float32,
                np.dtype(np.complex128): np.float64}[args[0].dtype] if complex_in else None
    if case.op == "view_as_complex":
        assert out.dtype == np.complex128 and out.shape == args[0].shape[:-1]
    elif expected is not None:
        assert out.dtype == expected and out.shape == args[0].shape + (2,)
    else:
        assert out.dtype == args[0].dtype


# ------------------------------------------------------------------------------ special functions
def test_erf_and_erfc_agree_with_the_standard_library_to_rounding():
    x = np.linspace(-7, 7, 2801)
    np.testing.assert_allclose(ops.erf(x), [pymath.erf(v) for v in x], rtol=1e-14, atol=1e-16)
    tail = np.linspace(-4, 26, 1201)             # erfc keeps its relative accuracy to 1e-296
    np.testing.assert_allclose(ops.erfc(tail), [pymath.erfc(v) for v in tail], rtol=1e-13)


def test_erf_limits_and_dtypes():
    out = ops.erf(np.array([0.0, np.inf, -np.inf, np.nan], dtype=np.float32))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[:3], [0.0, 1.0, -1.0])
    assert np.isnan(out[3])
    np.testing.assert_array_equal(ops.erfc(np.array([np.inf, -np.inf])), [0.0, 2.0])
    for op in (ops.erf, ops.erfc, ops.erfinv, ops.rsqrt):     # integers compute in floatx
        assert op(np.array([1, 2])).dtype == np.float32
        assert op(np.array([0.5], dtype=np.float64)).dtype == np.float64


def test_erf_golden_values():
    # erf(1) = 0.8427007929497149, erfc(3) = 2.209049699858544e-05 (Abramowitz & Stegun)
    assert abs(ops.erf(np.array(1.0)) - 0.8427007929497149) < 1e-15
    assert abs(ops.erfc(np.array(3.0)) / 2.209049699858544e-05 - 1) < 1e-13


def test_erfinv_inverts_erf_up_to_the_ends():
    x = np.concatenate([np.linspace(-0.999999, 0.999999, 4001), [1e-12, -1 + 1e-15]])
    y = ops.erfinv(x)
    np.testing.assert_allclose([pymath.erf(v) for v in y], x, rtol=1e-13, atol=1e-16)
    out = ops.erfinv(np.array([1.0, -1.0, 1.5, 0.0]))
    assert out[0] == np.inf and out[1] == -np.inf and np.isnan(out[2]) and out[3] == 0.0
    assert abs(ops.erfinv(np.array(0.5)) - 0.4769362762044699) < 1e-15


def test_rsqrt_golden():
    np.testing.assert_allclose(ops.rsqrt(np.array([1.0, 4.0, 100.0], np.float32)),
                               [1.0, 0.5, 0.1], rtol=1e-7)


def test_logsumexp_of_only_minus_infinity_is_minus_infinity():
    x = np.array([[-np.inf, -np.inf], [0.0, np.log(3.0)]])
    np.testing.assert_allclose(ops.logsumexp(x, axis=1), [-np.inf, np.log(4.0)])


def test_logdet_golden_and_negative_determinant():
    a = np.array([[4.0, 2.0], [2.0, 3.0]])                  # det 8
    assert abs(ops.logdet(a) - np.log(8.0)) < 1e-14
    assert np.isnan(ops.logdet(np.array([[0.0, 1.0], [1.0, 0.0]])))     # det -1: no real log
    with pytest.raises(ValueError, match=r"ops\.logdet: `x` must be a square"):
        ops.logdet(np.ones((2, 3)))


def test_logdet_gradient_is_the_inverse_transpose():
    a = np.array([[4.0, 1.0], [2.0, 3.0]])
    with Tape() as tape:
        w = tape.watch(a)
        out = ops.logdet(w)
    np.testing.assert_allclose(tape.gradient(out, np.ones(()), w), np.linalg.inv(a).T)


# ------------------------------------------------------------------------------ segments
def test_segment_goldens():
    data = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    ids = np.array([0, 0, 2, 2, -1])                      # segment 1 empty, last row dropped
    assert ops.segment_sum(data, ids).tolist() == [3.0, 0.0, 7.0]
    assert ops.segment_max(data, ids).tolist() == [2.0, -np.inf, 4.0]
    assert ops.segment_min(data, ids).tolist() == [1.0, np.inf, 3.0]
    assert ops.segment_prod(data, ids).tolist() == [2.0, 1.0, 12.0]
    assert ops.segment_sum(data, ids, num_segments=5).shape == (5,)
    assert ops.segment_sum(data, np.array([0, 1, 0, 1, 2]), num_segments=2).tolist() == [4.0, 6.0]


def _segment_gradient(op, data, ids):
    with Tape() as tape:
        x = tape.watch(data)
        out = op(x, ids)
    return tape.gradient(out, np.ones(out.shape), x)


def test_segment_prod_gradient_with_zeros():
    # segment 0: one zero -> only the zero row gets the product of the others (2*3);
    # segment 1: two zeros -> no gradient at all; segment 2: no zero -> y / x.
    data = np.array([0.0, 2.0, 3.0, 0.0, 0.0, 5.0, 4.0, 0.5])
    ids = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    grad = _segment_gradient(ops.segment_prod, data, ids)
    np.testing.assert_array_equal(grad, [6.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 4.0])


def test_segment_max_ties_share_the_gradient():
    grad = _segment_gradient(ops.segment_max, np.array([3.0, 3.0, 1.0, 2.0]),
                             np.array([0, 0, 0, 1]))
    np.testing.assert_array_equal(grad, [0.5, 0.5, 0.0, 1.0])


def test_segment_kind_errors():
    with pytest.raises(ValueError, match=r"ops\.segment_sum: `segment_ids` must be a 1-D "
                                         r"integer.*Fix"):
        ops.segment_sum(np.ones((2, 2)), np.zeros((2, 2), int))
    with pytest.raises(ValueError, match=r"ops\.segment_max: .*one id per row.*got 3 ids"):
        ops.segment_max(np.ones(4), np.array([0, 1, 1]))


# ------------------------------------------------------------------------------ rankings
def test_top_k_golden_and_dtypes():
    values, indices = ops.top_k(np.array([5, 2, 7, 1, 9, 3], np.int32), 3)
    assert values.tolist() == [9, 7, 5] and indices.tolist() == [4, 2, 0]
    assert values.dtype == np.int32 and indices.dtype == np.int64
    values, indices = ops.top_k(np.array([[1.0, 4.0, 3.0, 2.0]]), 2, sorted=False)
    assert values.tolist() == [[4.0, 3.0]] and indices.tolist() == [[1, 2]]


def test_top_k_indices_get_no_gradient_values_do():
    with Tape() as tape:
        x = tape.watch(np.array([[1.0, 4.0, 3.0, 2.0]]))
        values, indices = ops.top_k(x, 2)
    assert isinstance(values, Traced) and not isinstance(indices, Traced)
    np.testing.assert_array_equal(tape.gradient(values, np.array([[10.0, 20.0]]), x),
                                  [[0.0, 10.0, 20.0, 0.0]])


def test_in_top_k_golden():
    targets = np.array([2, 5, 3])
    predictions = np.array([[0.1, 0.4, 0.6, 0.9, 0.5, 0.0],
                            [0.1, 0.7, 0.9, 0.8, 0.3, 0.0],
                            [0.1, 0.6, 0.9, 0.9, 0.5, 0.0]])
    out = ops.in_top_k(targets, predictions, 3)
    assert out.dtype == bool and out.tolist() == [True, False, True]


def test_ranking_kind_errors():
    with pytest.raises(ValueError, match=r"ops\.top_k: `k` must be an integer from 1 to .*"
                                         r"\(4\); got 5"):
        ops.top_k(np.ones(4), 5)
    with pytest.raises(ValueError, match=r"ops\.in_top_k: `predictions` must have shape"):
        ops.in_top_k(np.array([0]), np.ones(3), 1)


# ------------------------------------------------------------------------------ distances, frames
def test_cdist_golden_and_zero_distance_gradient():
    # (Keras's docstring shows sqrt(2) for the last pair of this example: it is 1.)
    x = np.array([[0.0, 0.0], [1.0, 1.0]])
    y = np.array([[1.0, 0.0], [0.0, 1.0], [3.0, 4.0]])
    np.testing.assert_allclose(ops.cdist(x, y), [[1.0, 1.0, 5.0], [1.0, 1.0, np.sqrt(13.0)]])
    with Tape() as tape:                     # a point at distance 0 from itself: gradient 0
        w = tape.watch(x)
        out = ops.cdist(w, x)
    grad = tape.gradient(out, np.eye(2), w)
    assert np.all(np.isfinite(grad)) and np.allclose(grad, 0.0)
    with pytest.raises(ValueError, match=r"ops\.cdist: .*same d; got \(2, 2\) and \(2, 3\)"):
        ops.cdist(x, np.ones((2, 3)))


def test_extract_sequences_golden_and_overlap_add():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert ops.extract_sequences(x, 3, 2).tolist() == [[1, 2, 3], [3, 4, 5]]
    with Tape() as tape:
        w = tape.watch(x)
        frames = ops.extract_sequences(w, 3, 2)
    # sample 3 is in both frames; sample 6 in none
    np.testing.assert_array_equal(tape.gradient(frames, np.ones((2, 3)), w),
                                  [1, 1, 2, 1, 1, 0])
    with pytest.raises(ValueError, match=r"ops\.extract_sequences: `sequence_stride` must be "
                                         r"a positive integer; got 0"):
        ops.extract_sequences(x, 3, 0)


# ------------------------------------------------------------------------------ transforms
def test_fft_goldens_from_the_keras_docs():
    re, im = ops.fft((np.array([1.0, 2.0], np.float32), np.array([0.0, 1.0], np.float32)))
    assert re.tolist() == [3.0, -1.0] and im.tolist() == [1.0, -1.0] and re.dtype == np.float32
    re, im = ops.fft2((np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])))
    assert re.tolist() == [[6.0, 0.0], [0.0, -2.0]] and im.tolist() == [[2.0, 0.0], [0.0, -2.0]]
    re, im = ops.rfft(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), 3)
    np.testing.assert_allclose(re, [3.0, -1.5])
    np.testing.assert_allclose(im, [0.0, np.sqrt(3) / 2], atol=1e-15)


def test_fft_round_trips():
    rng = np.random.default_rng(0)
    z = (rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 4)))
    back = ops.ifft2(ops.fft2(z))
    np.testing.assert_allclose(back[0], z[0], atol=1e-14)
    np.testing.assert_allclose(back[1], z[1], atol=1e-14)
    signal = rng.standard_normal((3, 7))
    np.testing.assert_allclose(ops.irfft(ops.rfft(signal), 7), signal, atol=1e-14)


def test_complex_argument_kind_errors():
    with pytest.raises(ValueError, match=r"ops\.fft: `x` must be a tuple \(real, imag\)"):
        ops.fft(np.ones(4))
    with pytest.raises(ValueError, match=r"ops\.irfft: .*one shape; got \(3,\) and \(4,\)"):
        ops.irfft((np.ones(3), np.ones(4)))
    with pytest.raises(ValueError, match=r"ops\.ifft2: .*float tensors; got int64"):
        ops.ifft2((np.ones((2, 2), int), np.ones((2, 2))))
    with pytest.raises(ValueError, match=r"ops\.fft2: `x` must have at least two axes"):
        ops.fft2((np.ones(3), np.ones(3)))


def test_stft_golden_from_the_keras_docs():
    re, im = ops.stft(np.array([0.0, 1.0, 2.0, 3.0, 4.0]), 3, 2, 3)
    np.testing.assert_allclose(re, [[0.75, -0.375], [3.75, -1.875], [5.25, -2.625]])
    np.testing.assert_allclose(im, [[0.0, 0.649519052838329], [0.0, 0.649519052838329],
                                    [0.0, -0.649519052838329]], atol=1e-15)


@pytest.mark.parametrize("lengths,kwargs", [
    ((8, 4, 8), {}), ((6, 2, 8), {}), ((8, 4, 8), {"center": False}),
    ((8, 4, 8), {"window": None}), ((8, 3, 8), {"window": "hamming"}), ((1, 1, 1), {}),
    ((5, 2, 7), {"window": np.linspace(0.5, 1.5, 5)})])
@given(seed=SEEDS)
def test_istft_inverts_stft_wherever_a_window_covers(lengths, kwargs, seed):
    x = np.random.default_rng(seed).standard_normal((2, 30))
    out = ops.istft(ops.stft(x, *lengths, **kwargs), *lengths, **kwargs)
    if kwargs.get("center", True):
        np.testing.assert_allclose(out, x[:, :out.shape[-1]], atol=1e-12)
    else:        # without padding, the first sample is weighted only by w[0] = 0 (hann)
        np.testing.assert_allclose(out[:, 1:], x[:, 1:out.shape[-1]], atol=1e-12)
        assert np.all(out[:, 0] == 0.0)


def test_istft_length_crops_and_pads():
    x = np.random.default_rng(0).standard_normal(32)
    spectrum = ops.stft(x, 8, 4, 8)
    assert ops.istft(spectrum, 8, 4, 8, length=20).shape == (20,)
    padded = ops.istft(spectrum, 8, 4, 8, length=40)     # 36 samples after the centring pad
    assert padded.shape == (40,) and np.all(padded[36:] == 0.0)
    np.testing.assert_allclose(padded[:32], x, atol=1e-12)


def test_stft_kind_errors():
    x = np.ones(16)
    with pytest.raises(ValueError, match=r"ops\.stft: a `window` given by name must be 'hann'"):
        ops.stft(x, 4, 2, 4, window="kaiser")
    with pytest.raises(ValueError, match=r"ops\.stft: `fft_length` must be at least"):
        ops.stft(x, 8, 2, 4)
    with pytest.raises(ValueError, match=r"ops\.istft: `sequence_stride` must be a positive"):
        ops.istft((np.ones((3, 3)), np.ones((3, 3))), 4, 0, 4)
    with pytest.raises(TypeError, match=r"ops\.stft: `x` must be float32 or float64; got int64"):
        ops.stft(np.ones(16, int), 4, 2, 4)
    with pytest.raises(ValueError, match=r"ops\.stft: `window` must have shape"):
        ops.stft(x, 4, 2, 4, window=np.ones(3))


# ------------------------------------------------------------------------------ complex views
def test_view_as_complex_and_back_and_their_gradient():
    x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    z = ops.view_as_complex(x)
    assert z.dtype == np.complex64 and z.tolist() == [1 + 2j, 3 + 4j]
    assert ops.view_as_real(z).tolist() == x.tolist() and ops.view_as_real(z).dtype == np.float32
    with pytest.raises(ValueError, match=r"ops\.view_as_complex: the last axis of `x` must "
                                         r"have size 2"):
        ops.view_as_complex(np.ones((2, 3)))
    # a real -> complex -> real round trip is the identity, and so is its derivative
    layer = keras.layers.Lambda(lambda v: ops.view_as_real(ops.view_as_complex(v)) * v)
    gradcheck.assert_gradients_ok(layer, np.random.default_rng(0).standard_normal((3, 2)))


def test_view_as_real_of_a_real_array_has_zero_imaginary_part():
    assert ops.view_as_real(np.array([1.5, -2.0])).tolist() == [[1.5, 0.0], [-2.0, 0.0]]


# ------------------------------------------------------------------------------ training
def test_a_spectral_loss_trains():
    """A custom loss built from stft: the gradient reaches the weights through the tape."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 32)).astype("float32")
    target = np.abs(rng.standard_normal((16, 32))).astype("float32")

    def spectral_loss(y_true, y_pred):
        re_t, im_t = ops.stft(y_true, 8, 4, 8)
        re_p, im_p = ops.stft(y_pred, 8, 4, 8)
        return ops.mean(ops.square(re_t - re_p) + ops.square(im_t - im_p), axis=(1, 2))

    model = keras.Sequential([keras.Input((32,)), keras.layers.Dense(32)])
    model.compile(keras.optimizers.Adam(0.01), loss=spectral_loss)
    history = model.fit(x, target, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
