"""``recorder.finite_stats``, the tracer's quick summary, against ``Stats.of``'s plain code.

``Stats.of`` routes one finite float array through ``finite_stats``; the plain
float64 code is reached here by turning the helper off (it returns ``None`` for
arrays it does not handle, and ``Stats.of`` then computes everything itself).
"""
import numpy as np
import pytest

from kerastutor.trace import recorder
from kerastutor.trace.recorder import Stats, finite_stats


def plain_stats(array, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(recorder, "finite_stats", lambda *args, **kwargs: None)
        return Stats.of(array)


ARRAYS = {
    "gradient-like": lambda rng: (rng.standard_normal((300, 70)) * 1e-3).astype("float32"),
    "relu output": lambda rng: np.maximum(rng.standard_normal((64, 50)), 0).astype("float32"),
    "offset float64": lambda rng: 1e3 + rng.standard_normal(5000),
    "small integers as floats": lambda rng: rng.integers(-3, 4, (40, 40)).astype("float32"),
}


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_the_summary_matches_the_plain_code(name, monkeypatch):
    monkeypatch.setattr(recorder, "STATS_PIECE", 1000)      # several pieces, a ragged last
    array = ARRAYS[name](np.random.default_rng(3))
    quick, plain = Stats(**finite_stats(array)), plain_stats(array, monkeypatch)
    assert quick.shape == plain.shape and quick.nonfinite == plain.nonfinite == 0
    assert (quick.min, quick.max, quick.zeros) == (plain.min, plain.max, plain.zeros)
    np.testing.assert_allclose([quick.mean, quick.std, quick.rms],
                               [plain.mean, plain.std, plain.rms], rtol=1e-5, atol=1e-12)
    np.testing.assert_array_equal(quick.histogram[1], plain.histogram[1])     # same edges
    counts, plain_counts = quick.histogram[0], plain.histogram[0]
    assert counts.sum() == plain_counts.sum() == array.size
    # only values within a rounding of an edge may move to the neighbouring bin
    assert np.abs(counts - plain_counts).sum() <= max(2, array.size // 10_000)


@pytest.mark.parametrize("array", [
    np.array([1.0, np.nan, 2.0], "float32"),          # not finite: counted by the plain code
    np.array([1.0, np.inf], "float32"),
    np.full(10, 7.0, "float32"),                      # one value: np.histogram widens it
    np.array([1e15, 1e15 * (1 + 1e-15)]),             # edges cannot be cut
    np.arange(6),                                     # integers
    np.zeros((0, 3), "float32"),                      # empty
])
def test_arrays_it_does_not_handle_go_to_the_plain_code(array, monkeypatch):
    assert finite_stats(array) is None
    assert repr(Stats.of(array)) == repr(plain_stats(array, monkeypatch))


def test_norms_agree_with_float64_and_survive_float32_overflow():
    rng = np.random.default_rng(4)
    array = rng.standard_normal((200, 30)).astype("float32")
    exact = np.linalg.norm(array.astype(np.float64))
    assert recorder._norm(array) == pytest.approx(exact, rel=1e-6)
    assert recorder._norm_from(Stats.of(array), array) == pytest.approx(exact, rel=1e-5)
    huge = np.full(4, 3e38, "float32")                # its squares overflow float32
    assert recorder._norm(huge) == pytest.approx(6e38)
