"""Regression metrics: mean errors by hand, the loss-based ones, cosine similarity and R^2."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics as sk_metrics

from kerastutor import losses, metrics
from metric_cases import (FEW, check_keras_golden,
                          check_weights_accumulate_reset_and_round_trip)
from strategies import float_arrays, regression_batches


# ---------------------------------------------------------------- mean errors
def test_regression_metrics_by_hand():
    y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]
    assert metrics.MeanSquaredError()(y_true, y_pred) == 0.5
    assert metrics.MeanAbsoluteError()(y_true, y_pred) == 0.5
    assert metrics.RootMeanSquaredError()(y_true, y_pred) == pytest.approx(np.sqrt(0.5))
    np.testing.assert_allclose(metrics.mean_squared_error([[1.0], [3.0]], [[2.0], [1.0]]),
                               [1.0, 4.0])


def test_root_mean_squared_error_takes_the_root_of_the_pooled_mean():
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state([0.0], [1.0])     # squared error 1
    rmse.update_state([0.0], [3.0])     # squared error 9
    assert rmse.result() == pytest.approx(np.sqrt(5.0))      # not (1 + 3) / 2


def test_regression_functions_keep_float64():
    assert metrics.mean_absolute_error(np.ones((2, 3)), np.zeros((2, 3))).dtype == np.float64


# Keras 3's docstring examples: (class, y_true, y_pred, result).
B_TRUE, B_PRED = [[0, 1], [0, 0]], [[1, 1], [0, 0]]
LOSS_GOLDENS = [
    (metrics.MeanAbsolutePercentageError, B_TRUE, B_PRED, 250000000.0),
    (metrics.MeanSquaredLogarithmicError, B_TRUE, B_PRED, 0.12011322),
    (metrics.LogCoshError, B_TRUE, B_PRED, 0.10844523),
]


@pytest.mark.parametrize("cls, y_true, y_pred, expected", LOSS_GOLDENS)
def test_loss_metric_keras_goldens(cls, y_true, y_pred, expected):
    check_keras_golden(cls, y_true, y_pred, expected)


@pytest.mark.parametrize("cls, y_true, y_pred, expected", LOSS_GOLDENS)
def test_loss_metric_weights_accumulate_reset_and_round_trip(cls, y_true, y_pred, expected):
    check_weights_accumulate_reset_and_round_trip(cls, y_true, y_pred)


# ---------------------------------------------------------- cosine similarity
def test_cosine_similarity_keras_goldens_and_sign():
    # keras regression_metrics_test: mean of (0, 1) = 0.5; orthogonal / equal / opposite.
    m = metrics.CosineSimilarity(axis=1)
    assert m([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]) == pytest.approx(0.5)
    np.testing.assert_allclose(
        metrics.cosine_similarity([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]],
                                  [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]), [0, 1, -1],
        atol=1e-6)
    weighted = metrics.CosineSimilarity()
    weighted.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]],
                          sample_weight=[1.0, 3.0])
    assert weighted.result() == pytest.approx(0.75)
    assert metrics.CosineSimilarity(axis=0).get_config() == {"name": "cosine_similarity",
                                                             "dtype": "float32"}
    with pytest.raises(ValueError, match="`axis` must be an integer"):
        metrics.CosineSimilarity(axis="last")


@FEW
@given(float_arrays((4, 3)), float_arrays((4, 3)))
def test_cosine_similarity_is_minus_the_loss(y_true, y_pred):
    ours = metrics.cosine_similarity(y_true, y_pred)
    assert np.all(np.abs(ours) <= 1 + 1e-5)
    norms = np.linalg.norm(y_true, axis=-1) * np.linalg.norm(y_pred, axis=-1)
    big = norms > 1e-3
    np.testing.assert_allclose(ours[big], -losses.cosine_similarity(y_true, y_pred)[big],
                               rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------ R^2
def test_r2_keras_docstring_golden_and_adjusted():
    assert metrics.R2Score()([[1], [4], [3]], [[2], [4], [4]]) == pytest.approx(0.5714285,
                                                                                rel=1e-5)
    y_true = np.array([[1.0], [4], [3], [5], [2]])
    y_pred = np.array([[2.0], [4], [4], [4], [1]])
    plain = sk_metrics.r2_score(y_true, y_pred)
    adjusted = metrics.R2Score(num_regressors=2)(y_true, y_pred)
    assert adjusted == pytest.approx(1 - (1 - plain) * 4 / 2, rel=1e-5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fallback = metrics.R2Score(num_regressors=4)(y_true, y_pred)
    assert fallback == pytest.approx(plain, rel=1e-5) and caught


def test_adjusted_r2_counts_every_entry_of_y_true_as_keras():
    """Keras 3's n is ``y_true.size`` summed over updates (rows times columns, zero
    weights included), not the rows: -2.0305 here (Keras 3.15.1), where n = 8 rows
    would give -2.3818."""
    y_true, y_pred = np.random.default_rng(0).standard_normal((2, 8, 3))
    plain = metrics.R2Score()(y_true, y_pred)
    adjusted = metrics.R2Score(num_regressors=1)(y_true, y_pred)
    n, p = y_true.size, 1
    assert adjusted == pytest.approx(1 - (1 - plain) * (n - 1) / (n - p - 1), rel=1e-5)
    assert adjusted == pytest.approx(-2.0304763, rel=1e-5)
    m = metrics.R2Score(num_regressors=2)
    m.update_state(y_true, y_pred, sample_weight=[1, 0, 2, 1, 0, 1, 1, 3])
    m.update_state(y_true[:3], y_pred[:3])
    assert m.num_samples.value == 24 + 9           # zero weights still count


@FEW
@given(batch=regression_batches(),
       aggregation=st.sampled_from([None, "uniform_average", "variance_weighted_average"]),
       split=st.integers(0, 12), weighted=st.booleans())
def test_r2_matches_sklearn_with_weights_and_accumulation(batch, aggregation, split,
                                                          weighted):
    y_true, y_pred, weights = batch
    weights = weights if weighted else None
    m = metrics.R2Score(class_aggregation=aggregation)
    for part in (slice(None, split), slice(split, None)):
        if len(y_true[part]):
            m.update_state(y_true[part], y_pred[part],
                           sample_weight=None if weights is None else weights[part])
    multioutput = {None: "raw_values", "uniform_average": "uniform_average",
                   "variance_weighted_average": "variance_weighted"}[aggregation]
    expected = sk_metrics.r2_score(y_true, y_pred, sample_weight=weights,
                                   multioutput=multioutput)
    np.testing.assert_allclose(m.result(), expected, rtol=1e-3, atol=1e-3)


def test_r2_state_config_and_errors():
    m = metrics.R2Score(class_aggregation=None, name="r2")
    m.update_state([[1.0, 2], [3, 5]], [[1.0, 2], [3, 4]])
    assert [v.name for v in m.variables] == ["num_samples", "squared_sum", "sum", "residual",
                                             "count"]
    assert m.num_samples.value == 4             # Keras's n: every entry of y_true
    m.reset_state()
    assert all(not v.value.any() for v in m.variables)
    assert m.get_config() == {"name": "r2", "dtype": "float32", "class_aggregation": None,
                              "num_regressors": 0}
    assert metrics.get(metrics.serialize(m)).class_aggregation is None
    with pytest.raises(ValueError, match="unknown `class_aggregation`"):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match="`num_regressors` must be an integer >= 0"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="expects 2-D inputs"):
        metrics.R2Score()(np.ones((2, 2, 2)), np.ones((2, 2, 2)))
