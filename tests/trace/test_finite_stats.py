"""``recorder.finite_stats``, the tracer's quick summary, against ``Stats.of``'s plain code.

``Stats.of`` routes one finite float array through ``finite_stats``; the plain
float64 code is reached here by turning the helper off (it returns ``None`` for
arrays it does not handle, and ``Stats.of`` then computes everything itself).
"""
import numpy as np
import pytest

from kerastutor import compiled
from kerastutor.trace import recorder
from kerastutor.trace.recorder import Stats, finite_stats


@pytest.fixture(autouse=True, params=["numpy", "compiled"])
def path(request):
    """Every test twice: the NumPy pieces, and the compiled loops of the fast extra (where
    Numba is installed; elsewhere the second run takes the NumPy path again)."""
    with compiled.switched(request.param == "compiled"):
        yield request.param


def plain_stats(array, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(recorder, "finite_stats", lambda *args, **kwargs: None)
        return Stats.of(array)


ARRAYS = {
    "gradient-like": lambda rng: (rng.standard_normal((300, 70)) * 1e-3).astype("float32"),
    "relu output": lambda rng: np.maximum(rng.standard_normal((64, 50)), 0).astype("float32"),
    "offset float64": lambda rng: 1e3 + rng.standard_normal(5000),
    "offset float32, like a BatchNorm gamma": lambda rng: (
        1 + 1e-3 * rng.standard_normal((300, 70))).astype("float32"),
    "small integers as floats": lambda rng: rng.integers(-3, 4, (40, 40)).astype("float32"),
}


def assert_same_numbers(quick, plain):
    assert quick.shape == plain.shape and quick.nonfinite == plain.nonfinite == 0
    assert (quick.min, quick.max, quick.zeros) == (plain.min, plain.max, plain.zeros)
    np.testing.assert_allclose([quick.std, quick.rms], [plain.std, plain.rms], rtol=1e-5,
                               atol=1e-12)
    # the deviations from the shift are summed in float32: a millionth of the std
    assert abs(quick.mean - plain.mean) <= 1e-6 * plain.std + 1e-7 * abs(plain.mean)


def assert_close_counts(counts, plain_counts):
    """Only values within a rounding of a bin edge may move to the neighbouring bin."""
    assert counts.sum() == plain_counts.sum()
    assert np.abs(counts - plain_counts).sum() <= max(2, plain_counts.sum() // 10_000)


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_the_summary_matches_the_plain_code(name, monkeypatch):
    monkeypatch.setattr(recorder, "STATS_PIECE", 1000)      # several pieces, a ragged last
    monkeypatch.setattr(recorder, "HISTOGRAM_SAMPLE", 10**6)  # every entry binned
    array = ARRAYS[name](np.random.default_rng(3))
    quick, plain = Stats(**finite_stats(array)), plain_stats(array, monkeypatch)
    assert_same_numbers(quick, plain)
    np.testing.assert_array_equal(quick.histogram[1], plain.histogram[1])     # same edges
    assert quick.histogram[0].sum() == array.size
    assert_close_counts(quick.histogram[0], plain.histogram[0])


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_a_large_array_is_binned_from_its_sample_and_summed_whole(name, monkeypatch):
    monkeypatch.setattr(recorder, "STATS_PIECE", 1000)
    monkeypatch.setattr(recorder, "HISTOGRAM_SAMPLE", 700)   # every array here is larger
    array = ARRAYS[name](np.random.default_rng(5))
    quick, plain = Stats(**finite_stats(array)), plain_stats(array, monkeypatch)
    assert_same_numbers(quick, plain)                        # exact statistics: every entry
    sample = recorder.histogram_sample(array.reshape(-1), 700)
    assert 350 < sample.size <= 700
    counts, edges = np.histogram(sample.astype(np.float64), bins=recorder.HISTOGRAM_BINS,
                                 range=(plain.min, plain.max))
    np.testing.assert_array_equal(quick.histogram[1], edges)
    np.testing.assert_array_equal(quick.histogram[1], plain.histogram[1])  # the whole range
    assert_close_counts(quick.histogram[0], counts)


@pytest.mark.parametrize("size, limit, stride", [
    (10, 10, 1), (11, 10, 3), (40, 10, 5), (401_408, 8_192, 49), (16_384, 8_192, 3), (65_536, 8_192, 9)])
def test_the_sample_is_every_odd_stride_th_entry(size, limit, stride):
    flat = np.arange(size, dtype=np.float32)
    sample = recorder.histogram_sample(flat, limit)
    np.testing.assert_array_equal(sample, flat[::stride])
    assert sample.size <= limit
    if stride > 1:                                   # the smallest odd stride that fits
        assert flat[::stride - 2].size > limit


def test_the_sample_visits_every_unit_of_a_kernel():
    kernel = np.zeros((784, 512), np.float32)
    kernel[:] = np.arange(512)                       # each entry: its column (unit)
    sample = recorder.histogram_sample(kernel.reshape(-1), 8_192)
    assert set(np.unique(sample)) == set(range(512))


@pytest.mark.parametrize("array", [
    np.full(10, 7.0, "float32"),                      # one value: np.histogram widens it
    np.full(3, 0.1),                                  # one value whose mean rounds
    np.zeros((40, 30), "float32"),                    # a gradient of dead units
    np.array([1e15, 1e15 * (1 + 1e-15)]),             # edges cannot be cut: one bin
    np.full(5, -1e16),
])
def test_constant_and_uncuttable_arrays_get_the_plain_histogram(array, monkeypatch):
    quick, plain = Stats(**finite_stats(array)), plain_stats(array, monkeypatch)
    assert (quick.min, quick.max, quick.zeros) == (plain.min, plain.max, plain.zeros)
    # float64 rounding of the mean (an ulp of 1e15 is 0.125) moves the plain std too
    rounding = 8 * np.finfo(np.float64).eps * abs(plain.mean)
    assert abs(quick.mean - plain.mean) <= rounding
    assert abs(quick.std - plain.std) <= rounding + 1e-6 * (plain.max - plain.min)
    for mine, theirs in zip(quick.histogram, plain.histogram):
        np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("array", [
    np.array([1.0, np.nan, 2.0], "float32"),          # not finite: counted by the plain code
    np.array([1.0, np.inf], "float32"),
    np.arange(6),                                     # integers
    np.zeros((0, 3), "float32"),                      # empty
])
def test_arrays_it_does_not_handle_go_to_the_plain_code(array, monkeypatch):
    assert finite_stats(array) is None
    assert repr(Stats.of(array)) == repr(plain_stats(array, monkeypatch))


def test_squares_that_overflow_float32_are_summed_in_float64_or_handed_over(monkeypatch):
    """The NumPy pieces sum squares in float32 and hand such an array to the plain code;
    the compiled loop sums in float64 and gets the plain code's numbers itself."""
    array = np.array([3e38, -3e38], "float32")
    quick, plain = finite_stats(array), plain_stats(array, monkeypatch)
    if quick is None:
        assert not compiled.is_enabled()
        assert repr(Stats.of(array)) == repr(plain)
    else:
        assert compiled.is_enabled()
        assert (quick["min"], quick["max"], quick["mean"]) == (plain.min, plain.max, 0.0)
        assert quick["std"] == pytest.approx(plain.std, rel=1e-12)


def test_norms_agree_with_float64_and_survive_float32_overflow():
    rng = np.random.default_rng(4)
    array = rng.standard_normal((200, 30)).astype("float32")
    exact = np.linalg.norm(array.astype(np.float64))
    assert recorder._norm(array) == pytest.approx(exact, rel=1e-6)
    assert recorder._norm_from(Stats.of(array), array) == pytest.approx(exact, rel=1e-5)
    huge = np.full(4, 3e38, "float32")                # its squares overflow float32
    assert recorder._norm(huge) == pytest.approx(6e38)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_copy_or_difference_comes_with_its_norm(dtype, monkeypatch):
    monkeypatch.setattr(recorder, "STATS_PIECE", 1000)      # several pieces, a ragged last
    rng = np.random.default_rng(6)
    after, before = (rng.standard_normal((70, 33)).astype(dtype) for _ in range(2))
    out = np.empty_like(after)
    assert recorder._write_with_norm(out, after) == pytest.approx(recorder._norm(after),
                                                                  rel=1e-6)
    np.testing.assert_array_equal(out, after)
    norm = recorder._write_with_norm(out, after, out)       # in place, as the recorder does
    np.testing.assert_array_equal(out, after - after)
    assert norm == 0.0
    out[...] = before
    norm = recorder._write_with_norm(out, after, out)
    np.testing.assert_array_equal(out, after - before)
    assert norm == pytest.approx(np.linalg.norm((after - before).astype(np.float64)), rel=1e-6)


def test_a_norm_that_overflows_float32_or_an_odd_layout_takes_the_plain_steps():
    huge = np.full(4, 3e38, "float32")
    out = np.empty_like(huge)
    assert recorder._write_with_norm(out, huge) == pytest.approx(6e38)
    transposed = np.empty((5, 3), "float32").T               # not C-contiguous
    values = np.arange(15, dtype="float32").reshape(3, 5)
    norm = recorder._write_with_norm(transposed, values)
    np.testing.assert_array_equal(transposed, values)
    assert norm == pytest.approx(np.linalg.norm(values))


@pytest.mark.parametrize("low, high", [
    (-1e-3, 2e-3), (0.0, 1.0), (-3.0, -2.0), (1e3, 1e3 + 1e-7), (1e-300, 5e-300),
    (-1e300, 1e300), (1e15, 1e15 + 1.0), (1e15, 1e15 + 64.0), (0.1, 0.1 + 2e-16),
    (-1e308, 1e308), (5e-324, 1e-322)])
def test_the_quick_edges_are_linspaces_or_declined(low, high):
    """Bit for bit ``np.linspace``'s edges where they are given; where not, the plain check
    runs (and for ranges too narrow to cut, must fail)."""
    edges = recorder._equal_edges(low, high, recorder.HISTOGRAM_BINS)
    with np.errstate(all="ignore"):
        plain = np.linspace(low, high, recorder.HISTOGRAM_BINS + 1)
    if edges is not None:
        np.testing.assert_array_equal(edges, plain)
        assert np.all(edges[1:] > edges[:-1])


def test_the_quick_edges_match_linspace_on_random_ranges():
    rng = np.random.default_rng(9)
    scale = 10.0 ** rng.uniform(-30, 30, 2000)
    lows = rng.standard_normal(2000) * scale
    highs = lows + np.abs(rng.standard_normal(2000)) * scale * 10.0 ** rng.uniform(-17, 2, 2000)
    given = 0
    for low, high in zip(lows.tolist(), highs.tolist()):
        for bins in (1, 7, 30):
            edges = recorder._equal_edges(low, high, bins)
            if edges is not None:
                given += 1
                np.testing.assert_array_equal(edges, np.linspace(low, high, bins + 1))
                assert np.all(edges[1:] > edges[:-1])
    assert given > 4000                                    # the usual ranges are all given
