"""F-scores: Keras's goldens for each average, and scikit-learn's fbeta_score as reference."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import metrics as sk_metrics

from kerastutor import metrics
from metric_cases import FEW
from strategies import multilabel_batches


F_TRUE = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]])
F_PRED = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])


def test_f1_and_fbeta_keras_docstring_goldens():
    np.testing.assert_allclose(metrics.F1Score(threshold=0.5)(F_TRUE, F_PRED),
                               [0.5, 0.8, 0.6666667], rtol=1e-5)
    np.testing.assert_allclose(metrics.FBetaScore(beta=2.0, threshold=0.5)(F_TRUE, F_PRED),
                               [0.3846154, 0.90909094, 0.8333334], rtol=1e-5)


def test_fbeta_keras_test_goldens_for_each_average():
    # keras f_score_metrics_test: threshold=None marks each row's arg-max.
    y_pred = np.array([[0.9, 0.1, 0], [0.2, 0.6, 0.2], [0, 0, 1], [0.4, 0.3, 0.3],
                       [0, 0.9, 0.1], [0, 0, 1]])
    y_true = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0], [1, 0, 0], [0, 0, 1]])
    got = {average: metrics.FBetaScore(average=average, beta=1.0)(y_true, y_pred)
           for average in (None, "micro", "macro", "weighted")}
    np.testing.assert_allclose(got[None], [0.8, 0.6666667, 1.0], rtol=1e-5)
    assert got["micro"] == pytest.approx(5 / 6, rel=1e-5)
    assert got["macro"] == pytest.approx((0.8 + 2 / 3 + 1) / 3, rel=1e-5)
    assert got["weighted"] == pytest.approx((3 * 0.8 + 2 / 3 + 2) / 6, rel=1e-5)


def _sk_fbeta(y_true, y_bin, weights, beta, average):
    return sk_metrics.fbeta_score(y_true, y_bin, beta=beta, average=average,
                                  sample_weight=weights, zero_division=0)


@FEW
@given(batch=multilabel_batches(), beta=st.sampled_from([0.5, 1.0, 2.0]),
       average=st.sampled_from([None, "micro", "macro", "weighted"]),
       threshold=st.sampled_from([0.3, 0.5, 0.9]), split=st.integers(0, 10))
def test_fbeta_matches_sklearn_with_weights_and_accumulation(batch, beta, average, threshold,
                                                             split):
    y_true, y_pred, weights = batch
    m = metrics.FBetaScore(average=average, beta=beta, threshold=threshold)
    m.update_state(y_true[:split], y_pred[:split], sample_weight=weights[:split])
    m.update_state(y_true[split:], y_pred[split:], sample_weight=weights[split:])
    expected = _sk_fbeta(y_true, (y_pred > threshold).astype(int), weights, beta, average)
    # Keras's epsilon terms move the score by O(1e-7 / count); the weights are >= 0.5.
    np.testing.assert_allclose(m.result(), expected, rtol=1e-4, atol=1e-5)


@FEW
@given(batch=multilabel_batches(), average=st.sampled_from([None, "micro", "macro"]))
def test_f1_argmax_mode_matches_sklearn_on_argmax_predictions(batch, average):
    y_true, y_pred, _ = batch
    y_pred = y_pred + np.arange(y_pred.shape[1]) * 1e-3  # no ties: one arg-max per row
    y_bin = (y_pred == y_pred.max(axis=1, keepdims=True)).astype(int)
    expected = _sk_fbeta(y_true, y_bin, None, 1.0, average)
    np.testing.assert_allclose(metrics.F1Score(average=average)(y_true, y_pred), expected,
                               rtol=1e-4, atol=1e-5)


def test_fbeta_reset_config_and_errors():
    m = metrics.FBetaScore(average="macro", beta=0.5, threshold=0.4, name="fb")
    m.update_state(F_TRUE, F_PRED)
    m.reset_state()
    assert m.result() == 0.0
    assert [v.name for v in m.variables] == ["true_positives", "false_positives",
                                             "false_negatives", "intermediate_weights"]
    config = m.get_config()
    assert config == {"name": "fb", "dtype": "float32", "average": "macro", "beta": 0.5,
                      "threshold": 0.4}
    assert metrics.FBetaScore.from_config(config).get_config() == config
    f1_config = metrics.F1Score(average="micro").get_config()
    assert "beta" not in f1_config
    assert metrics.get(metrics.serialize(metrics.F1Score(average="micro"))).average == "micro"
    assert metrics.F1Score().name == "f1_score"
    assert metrics.FBetaScore().name == "fbeta_score"
    with pytest.raises(ValueError, match="unknown `average`"):
        metrics.F1Score(average="samples")
    with pytest.raises(ValueError, match="`beta` must be a number > 0"):
        metrics.FBetaScore(beta=0.0)
    with pytest.raises(ValueError, match=r"`threshold` must be a number in \(0, 1\]"):
        metrics.F1Score(threshold=0.0)
    with pytest.raises(ValueError, match="expects 2-D inputs"):
        metrics.F1Score()([1, 0], [0.3, 0.2])
