"""The Metric base: names, state variables, accumulation over batches, custom subclasses."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import backend, metrics
from strategies import SEEDS


# ---------------------------------------------------------------------- names
def test_fixed_default_names_stay_fixed_and_none_names_are_made_unique():
    # Keras: Mean(name="mean") is never renamed; Precision(name=None) is.
    assert [metrics.Mean().name, metrics.Mean().name] == ["mean", "mean"]
    assert [metrics.Precision().name, metrics.Precision().name] == ["precision",
                                                                   "precision_1"]
    assert metrics.AUC().name == "auc"
    assert metrics.Recall(name="r").name == "r"
    assert metrics.MeanMetricWrapper(metrics.accuracy).name == "mean_metric_wrapper"
    backend.clear_session()
    assert metrics.Precision().name == "precision"


def test_a_custom_metric_subclass_with_add_variable():
    class CategoricalTruePositives(metrics.Metric):
        def __init__(self, name=None, dtype=None):
            super().__init__(name=name, dtype=dtype)
            self.true_positives = self.add_variable(shape=(), name="ctp")

        def update_state(self, y_true, y_pred, sample_weight=None):
            hits = np.asarray(y_true) == np.argmax(y_pred, axis=1)
            self.true_positives.assign_add(np.sum(hits))

        def result(self):
            return float(self.true_positives)

    m = CategoricalTruePositives()
    assert m.name == "categorical_true_positives"
    assert m.variables[0].path == "categorical_true_positives/ctp"
    m.update_state([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    m.update_state([1], [[0.1, 0.9]])
    assert m.result() == 3.0
    m.reset_state()
    assert m.result() == 0.0


# ------------------------------------------------------------------ the state
def test_empty_metric_reports_zero_and_results_are_python_floats():
    m = metrics.SparseCategoricalAccuracy()
    assert m.result() == 0.0
    m.update_state([1], [[0.2, 0.8]])
    assert type(m.result()) is float


def test_updates_accumulate_and_reset_starts_over():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([0], [[0.9, 0.1]])
    m.update_state([0, 0, 0], [[0.1, 0.9]] * 3)
    assert m.result() == 0.25          # pooled 1 of 4, not the mean of batch means (0.5)
    m.reset_state()
    assert [float(v) for v in m.variables] == [0.0, 0.0]
    assert m.result() == 0.0
    m.update_state([1], [[0.1, 0.9]])
    assert m.result() == 1.0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.one_of(st.just(0.0), st.floats(1e-3, 2.0))),
                min_size=1, max_size=30),
       SEEDS)
def test_batches_in_any_split_give_the_weighted_mean_of_everything(samples, seed):
    labels = np.array([s[0] for s in samples])
    weights = np.array([s[1] for s in samples])
    scores = np.random.default_rng(seed).random((len(samples), 4))
    hits = labels == scores.argmax(axis=1)
    metric = metrics.SparseCategoricalAccuracy()
    cuts = np.sort(np.random.default_rng(seed).integers(0, len(samples) + 1, 3))
    for part in np.split(np.arange(len(samples)), cuts):
        metric.update_state(labels[part], scores[part], sample_weight=weights[part])
    expected = (hits * weights).sum() / weights.sum() if weights.sum() else 0.0
    assert metric.result() == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_state_accumulates_in_float32_like_keras_unless_asked_otherwise():
    m = metrics.Mean()
    m.update_state([1e8])
    m.update_state([1.0])              # lost: float32 cannot hold 100000001
    assert m.total.value.dtype == np.float32
    assert m.result() == 5e7
    wide = metrics.Mean(dtype="float64")
    wide.update_state([1e8])
    wide.update_state([1.0])
    assert wide.result() == 50000000.5
