"""The tracer never raises out of a fit, whatever the arrays hold, and never stays subscribed.

Trainings that go wrong are exactly the ones a learner traces: a learning rate
so large the weights overflow, a NaN weight, activations that are constant and
huge (``np.histogram`` refuses those), a callback that raises halfway.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kerastutor as keras
from kerastutor import events
from kerastutor.trace.recorder import HISTOGRAM_BINS, Stats, histogram_of_finite

RAISING_HOOKS = [None, "on_train_begin", "on_epoch_begin", "on_train_batch_begin",
                 "on_train_batch_end", "on_epoch_end", "on_test_batch_end"]


class Raiser(keras.callbacks.Callback):
    """Raises ``RuntimeError`` at ``hook`` once ``after`` calls of it have passed."""

    def __init__(self, hook, after):
        super().__init__()
        self.after = after
        setattr(self, hook, self._maybe_raise)

    def _maybe_raise(self, *args, **kwargs):
        if self.after == 0:
            raise RuntimeError("a callback failed")
        self.after -= 1


def _training(kind, magnitude, learning_rate):
    """A small compiled model and data that make ``kind`` of trouble."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3)).astype("float32")
    y = rng.normal(size=(12, 2)).astype("float32")
    kernel = "glorot_uniform"
    if kind == "constant":            # every sample the same: constant activations
        x = np.full((12, 3), magnitude, dtype="float32")
        y = np.zeros((12, 2), dtype="float32")
        kernel = "ones"
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(4, activation="relu",
                                                 kernel_initializer=kernel),
                              keras.layers.Dense(2, kernel_initializer=kernel)])
    loss = "mae" if kind == "constant" else "mse"      # mae: a constant dL/dy
    model.compile(keras.optimizers.SGD(learning_rate), loss)
    if kind == "nan":
        kernel_weight = model.layers[0].kernel
        kernel_weight.assign(np.where(np.arange(12).reshape(3, 4) % 5 == 0, np.nan,
                                      np.asarray(kernel_weight.value)).astype("float32"))
    return model, x, y


@settings(deadline=None, max_examples=12)
@given(kind=st.sampled_from(["diverging", "nan", "constant"]),
       exponent=st.integers(0, 38),
       learning_rate=st.sampled_from([0.0, 0.01, 1e3, 1e12, 1e30]),
       keep_arrays=st.booleans(),
       raise_at=st.sampled_from(RAISING_HOOKS),
       after=st.integers(0, 3))
def test_tracer_never_raises_and_never_stays_subscribed(kind, exponent, learning_rate,
                                                        keep_arrays, raise_at, after):
    if kind == "diverging":
        learning_rate = max(learning_rate, 1e3)
    model, x, y = _training(kind, 10.0 ** exponent, learning_rate)
    tracer = keras.trace.TraceCallback(every=1, keep_arrays=keep_arrays)
    cbs = [tracer] + ([Raiser(raise_at, after)] if raise_at else [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")            # overflow warnings are expected here
        try:
            model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_split=0.25,
                      callbacks=cbs)
            raised = None
        except RuntimeError as err:
            raised = err
    assert events.subscribers() == []
    if raised is not None:                         # only the callback's own error escapes
        assert raise_at is not None and str(raised) == "a callback failed"
    else:
        assert len(tracer.trace) > 0 or raise_at is not None
    for step in tracer.trace:
        for record in step.layers:
            assert record.output is not None


@pytest.mark.parametrize("value", [1e15, -1e16, 3e38, 1e300, 5e-324, 0.0])
def test_constant_arrays_of_any_magnitude_have_a_histogram(value):
    counts, edges = histogram_of_finite(np.full(7, value))
    assert counts.sum() == 7
    assert edges[0] <= value <= edges[-1]


def test_a_range_wider_than_the_largest_float_has_a_histogram():
    values = np.array([-1e308, 1e308, 0.0])
    counts, edges = histogram_of_finite(values)
    assert counts.sum() == 3 and edges[0] == -1e308 and edges[-1] == 1e308


def test_ordinary_arrays_keep_thirty_bins():
    counts, edges = histogram_of_finite(np.linspace(-1, 1, 100))
    assert len(counts) == HISTOGRAM_BINS and counts.sum() == 100


@settings(deadline=None, max_examples=25)
@given(hnp.arrays(dtype=st.sampled_from([np.float32, np.float64]),
                  shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5),
                  elements=st.floats(allow_nan=True, allow_infinity=True, width=32)))
def test_stats_of_any_array_never_raise(array):
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # and never even warn
        stats = Stats.of(array)
    finite = array[np.isfinite(array)]
    assert stats.nonfinite == array.size - finite.size
    if finite.size:
        counts, _ = stats.histogram
        assert counts.sum() == finite.size
        assert stats.min == float(finite.min()) and stats.max == float(finite.max())
    else:
        assert stats.histogram is None and np.isnan(stats.mean)


def test_a_huge_constant_activation_is_recorded_in_fit():
    """The case that raised before: Dense outputs of a constant 1e15 and more."""
    model, x, y = _training("constant", 1e15, 0.01)
    tracer = keras.trace.TraceCallback(every=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[tracer])
    first = tracer.trace[0].layers[0].output
    assert first.min == first.max >= 1e15 and first.histogram[0].sum() == 12 * 4 // 3
    assert events.subscribers() == []
