"""Confusion metrics: counts, precision, recall, AUC and one rate at a bound on another.

Golden values are Keras 3's own (its docstrings and metric tests); the hypothesis tests
compare with scikit-learn, or with the rank statistic for the ROC AUC.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk_metrics

from kerastutor import metrics
from metric_cases import FEW
from strategies import SEEDS, binary_batches


# ----------------------------------------------------- precision, recall, AUC
def test_precision_golden_and_recall_by_hand():
    precision = metrics.Precision()
    precision.update_state([0, 1, 1, 0], [1, 0, 1, 0])
    assert precision.result() == 0.5
    recall = metrics.Recall()
    recall.update_state([0, 1, 1, 1], [1, 0, 1, 0.6])     # 2 of 3 positives found
    assert recall.result() == pytest.approx(2 / 3)
    recall.update_state([1], [0.5], sample_weight=[3.0])  # 0.5 is not above 0.5: missed
    assert recall.result() == pytest.approx(2 / 6)


def test_precision_with_several_thresholds_class_id_and_top_k():
    y_true, y_pred = [0, 1, 1, 0], [0.9, 0.4, 0.8, 0.1]
    np.testing.assert_allclose(metrics.Precision(thresholds=[0.3, 0.5, 0.85])(y_true, y_pred),
                               [2 / 3, 1 / 2, 0.0])
    scores = np.array([[0.9, 0.6, 0.1], [0.2, 0.7, 0.8]])
    targets = np.array([[1, 0, 0], [0, 1, 0]])
    assert metrics.Precision(class_id=1)(targets, scores) == 0.5
    # top_k=1 keeps 0.9 (right) and 0.8 (wrong); the 0.6 and 0.7 no longer count.
    assert metrics.Precision(top_k=1)(targets, scores) == 0.5
    assert metrics.Recall(top_k=1)(targets, scores) == 0.5


def test_auc_golden_and_its_confusion_counts():
    auc = metrics.AUC(num_thresholds=3)
    auc.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert auc.result() == pytest.approx(0.75)
    np.testing.assert_allclose(auc.thresholds, [-1e-7, 0.5, 1 + 1e-7])
    np.testing.assert_array_equal(auc.true_positives.value, [2, 1, 0])
    np.testing.assert_array_equal(auc.false_positives.value, [2, 0, 0])


def _rank_auc(labels, scores):
    """The probability that a positive outscores a negative (Mann-Whitney)."""
    positive, negative = scores[labels == 1], scores[labels == 0]
    return np.mean(positive[:, None] > negative[None, :])


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 40), SEEDS)
def test_roc_auc_equals_the_rank_statistic_when_each_score_has_its_own_bucket(n, seed):
    rng = np.random.default_rng(seed)
    labels = np.r_[0, 1, rng.integers(0, 2, n)]
    # One score per gap between the 50 thresholds: the ROC curve is an exact staircase.
    scores = (rng.permutation(49)[:len(labels)] + 0.5) / 49
    auc = metrics.AUC(num_thresholds=50, dtype="float64")
    auc.update_state(labels, scores)
    assert auc.result() == pytest.approx(_rank_auc(labels, scores))


def test_auc_from_logits_multi_label_and_curves():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, (20, 3))
    logits = rng.normal(size=(20, 3)) + 2 * labels
    from_logits = metrics.AUC(from_logits=True)(labels, logits)
    assert from_logits == pytest.approx(metrics.AUC()(labels, 1 / (1 + np.exp(-logits))))
    per_label = [metrics.AUC()(labels[:, j], 1 / (1 + np.exp(-logits[:, j]))) for j in range(3)]
    multi = metrics.AUC(multi_label=True, from_logits=True)(labels, logits)
    assert multi == pytest.approx(np.mean(per_label), rel=1e-5)
    perfect = metrics.AUC(curve="PR")([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert perfect == pytest.approx(1.0, abs=1e-3)
    assert metrics.AUC(summation_method="minoring")([0, 1], [0.4, 0.6]) == pytest.approx(1.0)


# ------------------------------------------------------- against scikit-learn
def batches(n, size):
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


@given(seed=SEEDS, n=st.integers(8, 60), weighted=st.booleans())
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
    expected_p = sk_metrics.precision_score(y_true, labels, sample_weight=weights, zero_division=0)
    expected_r = sk_metrics.recall_score(y_true, labels, sample_weight=weights, zero_division=0)
    np.testing.assert_allclose(precision.result(), expected_p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(recall.result(), expected_r, rtol=1e-5, atol=1e-6)


@given(seed=SEEDS, n=st.integers(10, 80))
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
    np.testing.assert_allclose(auc.result(), sk_metrics.roc_auc_score(y_true, quantized), atol=1e-6)
    # ... which is within a few pairs' credit of the unquantized AUC
    np.testing.assert_allclose(auc.result(), sk_metrics.roc_auc_score(y_true, y_pred), atol=5e-2)


# ----------------------------------------------------------- confusion counts
CONFUSION = {metrics.TruePositives: 0, metrics.FalsePositives: 1, metrics.TrueNegatives: 2,
             metrics.FalseNegatives: 3}


# Keras's confusion_metrics_test.py data, thresholds [0.15, 0.5, 0.85].
KERAS_PRED = np.array([[0.9, 0.2, 0.8, 0.1], [0.2, 0.9, 0.7, 0.6], [0.1, 0.2, 0.4, 0.3],
                       [0, 1, 0.7, 0.3]])
KERAS_TRUE = np.array([[0, 1, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 1, 1]])


@pytest.mark.parametrize("cls, golden, weighted_golden", [
    (metrics.TruePositives, ([0, 1, 1, 1], [1, 0, 1, 1]), 1.0),
    (metrics.FalsePositives, ([0, 1, 0, 0], [0, 0, 1, 1]), 1.0),
    (metrics.TrueNegatives, ([0, 1, 0, 0], [1, 1, 0, 0]), 1.0),
    (metrics.FalseNegatives, ([0, 1, 1, 1], [0, 1, 0, 0]), 1.0),
])
def test_confusion_count_docstring_goldens(cls, golden, weighted_golden):
    m = cls()
    m.update_state(*golden)
    assert m.result() == 2.0
    m.reset_state()
    assert m.result() == 0.0
    m.update_state(*golden, sample_weight=[0, 0, 1, 0])
    assert m.result() == weighted_golden


@pytest.mark.parametrize("cls, expected", [
    (metrics.TruePositives, [6, 3, 1]), (metrics.FalsePositives, [7, 4, 2]),
    (metrics.TrueNegatives, [3, 6, 8]), (metrics.FalseNegatives, [0, 3, 5]),
])
def test_confusion_counts_with_thresholds_keras_golden(cls, expected):
    m = cls(thresholds=[0.15, 0.5, 0.85])
    m.update_state(KERAS_TRUE, KERAS_PRED)
    np.testing.assert_array_equal(m.result(), expected)


def _sk_counts(y_true, y_pred, weights, threshold):
    tn, fp, fn, tp = sk_metrics.confusion_matrix(
        y_true, (y_pred > threshold).astype(int), labels=[0, 1],
        sample_weight=weights).ravel()
    return tp, fp, tn, fn


@FEW
@given(batches=st.lists(binary_batches(), min_size=1, max_size=3),
       threshold=st.sampled_from([0.0, 0.5, 0.7, 1.0]))
def test_confusion_counts_match_sklearn_over_several_batches(batches, threshold):
    y_true = np.concatenate([b[0] for b in batches])
    y_pred = np.concatenate([b[1] for b in batches])
    weights = np.concatenate([b[2] for b in batches])
    expected = _sk_counts(y_true, y_pred, weights, threshold)
    for cls, which in CONFUSION.items():
        m = cls(thresholds=threshold)
        for b_true, b_pred, b_weights in batches:
            m.update_state(b_true, b_pred, sample_weight=b_weights)
        assert m.result() == pytest.approx(expected[which], rel=1e-5, abs=1e-5)


def test_confusion_counts_several_thresholds_are_an_array_and_config_round_trips():
    m = metrics.FalseNegatives(thresholds=[0.2, 0.8], name="fn")
    assert m.result().shape == (2,)
    assert m.get_config() == {"name": "fn", "dtype": "float32", "thresholds": [0.2, 0.8]}
    clone = metrics.get(metrics.serialize(m))
    assert type(clone) is metrics.FalseNegatives and clone.thresholds == [0.2, 0.8]
    assert metrics.TruePositives().name == "true_positives"
    assert metrics.TruePositives().name == "true_positives_1"
    assert isinstance(metrics.get("false_positives"), metrics.FalsePositives)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        metrics.TrueNegatives(thresholds=[0.5, 1.5])


# --------------------------------------------- one rate at a bound on another
AT_TRUE, AT_PRED = [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]


@pytest.mark.parametrize("metric, y_true, y_pred, weights, plain, weighted", [
    (metrics.SensitivityAtSpecificity(0.5), AT_TRUE, AT_PRED, [1, 1, 2, 2, 1], 0.5, 1 / 3),
    (metrics.SpecificityAtSensitivity(0.5), AT_TRUE, AT_PRED, [1, 1, 2, 2, 2], 2 / 3, 0.5),
    (metrics.PrecisionAtRecall(0.5), AT_TRUE, AT_PRED, [2, 2, 2, 1, 1], 0.5, 1 / 3),
    (metrics.RecallAtPrecision(0.8), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 0.5, 1.0),
])
def test_at_bound_keras_docstring_goldens(metric, y_true, y_pred, weights, plain, weighted):
    metric.update_state(y_true, y_pred)
    assert metric.result() == pytest.approx(plain, rel=1e-5)
    metric.reset_state()
    assert metric.result() == 0.0
    metric.update_state(y_true, y_pred, sample_weight=weights)
    assert metric.result() == pytest.approx(weighted, rel=1e-5)


def _rates_by_brute_force(y_true, y_pred, weights, thresholds):
    """Sensitivity, specificity, precision per threshold, from sklearn's confusion matrix."""
    rows = []
    for t in thresholds:
        tp, fp, tn, fn = _sk_counts(y_true, y_pred, weights, t)
        rows.append([tp / (tp + fn) if tp + fn else 0.0, tn / (tn + fp) if tn + fp else 0.0,
                     tp / (tp + fp) if tp + fp else 0.0])
    return np.array(rows).T


@FEW
@given(batches=st.lists(binary_batches(), min_size=1, max_size=3),
       bound=st.sampled_from([0.0, 0.3, 0.5, 0.8, 1.0]), num_thresholds=st.integers(1, 12))
def test_at_bound_metrics_match_brute_force_over_batches(batches, bound, num_thresholds):
    y_true = np.concatenate([b[0] for b in batches])
    y_pred = np.concatenate([b[1] for b in batches])
    weights = np.concatenate([b[2] for b in batches])
    built = {cls: cls(bound, num_thresholds=num_thresholds)
             for cls in (metrics.SensitivityAtSpecificity, metrics.SpecificityAtSensitivity,
                         metrics.PrecisionAtRecall, metrics.RecallAtPrecision)}
    for m in built.values():
        for b_true, b_pred, b_weights in batches:
            m.update_state(b_true, b_pred, sample_weight=b_weights)
    thresholds = built[metrics.PrecisionAtRecall].thresholds
    sens, spec, prec = _rates_by_brute_force(y_true, y_pred, weights, thresholds)

    def best(constrained, dependent):
        # float32 rates, as the metric keeps them, decide which thresholds qualify.
        feasible = constrained.astype(np.float32) >= np.float32(bound)
        return max([0.0] + list(dependent[feasible]))

    expected = {metrics.SensitivityAtSpecificity: best(spec, sens),
                metrics.SpecificityAtSensitivity: best(sens, spec),
                metrics.PrecisionAtRecall: best(sens, prec),
                metrics.RecallAtPrecision: best(prec, sens)}
    for cls, m in built.items():
        assert m.result() == pytest.approx(expected[cls], rel=1e-5, abs=1e-6), cls.__name__


def test_at_bound_thresholds_class_id_config_and_errors():
    assert metrics.RecallAtPrecision(0.8).name == "recall_at_precision"
    assert metrics.PrecisionAtRecall(0.5, num_thresholds=3).thresholds == [0.0, 0.5, 1.0]
    assert metrics.PrecisionAtRecall(0.5, num_thresholds=1).thresholds == [0.5]
    # class_id picks one column of a multi-class output.
    y_true = np.array([[1, 0], [0, 1], [1, 0], [0, 1]])
    y_pred = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    by_column = metrics.RecallAtPrecision(0.9, class_id=1)(y_true, y_pred)
    assert by_column == pytest.approx(
        metrics.RecallAtPrecision(0.9)(y_true[:, 1], y_pred[:, 1]))
    m = metrics.SensitivityAtSpecificity(0.7, num_thresholds=50, class_id=2, name="sens")
    config = m.get_config()
    assert config == {"name": "sens", "dtype": "float32", "class_id": 2,
                      "num_thresholds": 50, "specificity": 0.7}
    clone = metrics.get(metrics.serialize(m))
    assert type(clone) is metrics.SensitivityAtSpecificity and clone.get_config() == config
    assert isinstance(metrics.get({"class_name": "PrecisionAtRecall",
                                   "config": {"recall": 0.4}}), metrics.PrecisionAtRecall)
    with pytest.raises(ValueError, match=r"`recall` must be a number in \[0, 1\]"):
        metrics.PrecisionAtRecall(1.5)
    with pytest.raises(ValueError, match="`num_thresholds` must be a positive integer"):
        metrics.SpecificityAtSensitivity(0.5, num_thresholds=0)
