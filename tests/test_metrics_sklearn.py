"""Precision, Recall and AUC against scikit-learn on generated data (batches, weights)."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import precision_score, recall_score, roc_auc_score

from kerastutor import metrics


def batches(n, size):
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


@given(seed=st.integers(0, 9999), n=st.integers(8, 60), weighted=st.booleans())
def test_precision_and_recall_match_sklearn(seed, n, weighted):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n)
    y_pred = rng.random(n)
    weights = rng.uniform(0.1, 2.0, n) if weighted else None
    precision, recall = metrics.Precision(), metrics.Recall()
    for part in batches(n, 7):
        sw = None if weights is None else weights[part]
        precision.update_state(y_true[part], y_pred[part], sample_weight=sw)
        recall.update_state(y_true[part], y_pred[part], sample_weight=sw)
    labels = (y_pred > 0.5).astype(int)
    expected_p = precision_score(y_true, labels, sample_weight=weights, zero_division=0)
    expected_r = recall_score(y_true, labels, sample_weight=weights, zero_division=0)
    np.testing.assert_allclose(precision.result(), expected_p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(recall.result(), expected_r, rtol=1e-5, atol=1e-6)


@given(seed=st.integers(0, 9999), n=st.integers(10, 80))
def test_roc_auc_matches_sklearn_within_threshold_interpolation(seed, n):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n)
    if y_true.min() == y_true.max():
        y_true[0] = 1 - y_true[0]
    y_pred = rng.random(n)
    auc = metrics.AUC(num_thresholds=1000)
    for part in batches(n, 9):
        auc.update_state(y_true[part], y_pred[part])
    # Keras's AUC sees a prediction only through the fixed thresholds it exceeds, and
    # interpolates linearly between them (a tie counts half, as in sklearn). So it equals
    # sklearn's exact AUC of the predictions *quantized to those thresholds*.
    thresholds = np.concatenate([[-1e-7], np.arange(1, 999) / 999, [1 + 1e-7]])
    quantized = np.searchsorted(thresholds, y_pred, side="left")   # thresholds below each
    np.testing.assert_allclose(auc.result(), roc_auc_score(y_true, quantized), atol=1e-6)
    # ... which is within a few pairs' credit of the unquantized AUC
    np.testing.assert_allclose(auc.result(), roc_auc_score(y_true, y_pred), atol=5e-2)
