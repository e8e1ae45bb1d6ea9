"""More metrics (issue 4): confusion counts, F-scores, R^2, loss-based metrics, IoU.

Golden values are Keras 3's own (its docstrings and metric tests); the
hypothesis tests compare with scikit-learn wherever it has the same metric.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kerastutor import losses, metrics

from sklearn import metrics as sk_metrics      # scikit-learn is a kerastutor dependency

#: Tests that take scikit-learn as the reference.

FEW = settings(deadline=None, max_examples=20)


# ------------------------------------------------------------------ strategies
@st.composite
def binary_batches(draw, max_rows=12):
    """(y_true 0/1, y_pred in [0, 1], sample weights), all of shape (n,)."""
    n = draw(st.integers(1, max_rows))
    y_true = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    y_pred = draw(hnp.arrays(np.float64, n, elements=st.sampled_from(
        [0.0, 0.1, 0.3, 0.5, 0.55, 0.7, 0.9, 1.0])))
    weights = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.5, 1.0, 2.0])))
    weights[0] = 1.0  # sklearn refuses all-zero weights
    return y_true, y_pred, weights


@st.composite
def multilabel_batches(draw):
    """(y_true multi-hot (n, c), y_pred scores (n, c), weights (n,)); c >= 2.

    sklearn reads a single column as binary labels, not as one label of a
    multi-label problem, so the strategy draws at least two columns.
    """
    n, c = draw(st.integers(1, 10)), draw(st.integers(2, 4))
    y_true = draw(hnp.arrays(np.int64, (n, c), elements=st.integers(0, 1)))
    y_pred = draw(hnp.arrays(np.float64, (n, c), elements=st.sampled_from(
        [0.05, 0.2, 0.4, 0.6, 0.8, 0.95])))
    weights = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.5, 1.0, 3.0])))
    weights[0] = 1.0  # sklearn refuses all-zero weights
    return y_true, y_pred, weights


@st.composite
def regression_batches(draw):
    """(y_true, y_pred, weights) with (n, d) targets whose columns are not constant."""
    n, d = draw(st.integers(3, 12)), draw(st.integers(1, 3))
    values = st.integers(-20, 20).map(lambda v: v / 4)
    y_true = draw(hnp.arrays(np.float64, (n, d), elements=values))
    y_pred = draw(hnp.arrays(np.float64, (n, d), elements=values))
    weights = draw(hnp.arrays(np.float64, n, elements=st.sampled_from([0.5, 1.0, 2.0])))
    # A constant column has no variance: Keras and sklearn disagree there by design.
    y_true[0] = y_true[1] + 1
    return y_true, y_pred, weights


# ------------------------------------------------------------ confusion counts
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


# ------------------------------------------------------------------ F-scores
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
    assert m.num_samples.value == 2
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


# ------------------------------------------------------------ loss-based metrics
# Keras 3's docstring examples: (class, y_true, y_pred, result).
A_TRUE, A_PRED = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
B_TRUE, B_PRED = [[0, 1], [0, 0]], [[1, 1], [0, 0]]
LOSS_GOLDENS = [
    (metrics.MeanAbsolutePercentageError, B_TRUE, B_PRED, 250000000.0),
    (metrics.MeanSquaredLogarithmicError, B_TRUE, B_PRED, 0.12011322),
    (metrics.LogCoshError, B_TRUE, B_PRED, 0.10844523),
    (metrics.Poisson, B_TRUE, B_PRED, 0.49999997),
    (metrics.KLDivergence, A_TRUE, A_PRED, 0.45814306),
    (metrics.BinaryCrossentropy, A_TRUE, A_PRED, 0.81492424),
    (metrics.Hinge, A_TRUE, A_PRED, 1.3),
    (metrics.SquaredHinge, A_TRUE, A_PRED, 1.86),
    (metrics.CategoricalHinge, A_TRUE, A_PRED, 1.4000001),
    (metrics.CategoricalCrossentropy, [[0, 1, 0], [0, 0, 1]],
     [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.1769392),
    (metrics.SparseCategoricalCrossentropy, [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]],
     1.1769392),
]


@pytest.mark.parametrize("cls, y_true, y_pred, expected", LOSS_GOLDENS)
def test_loss_metric_keras_goldens(cls, y_true, y_pred, expected):
    assert cls()(y_true, y_pred) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("cls, y_true, y_pred, expected", LOSS_GOLDENS)
def test_loss_metric_weights_accumulate_reset_and_round_trip(cls, y_true, y_pred, expected):
    m = cls()
    m.update_state(y_true, y_pred, sample_weight=[1.0, 0.0])
    m.update_state(y_true, y_pred, sample_weight=[0.0, 3.0])
    per_sample = getattr(losses, m.fn.__name__)(y_true, y_pred)
    assert m.result() == pytest.approx((per_sample[0] + 3 * per_sample[1]) / 4, rel=1e-5)
    m.reset_state()
    assert m.result() == 0.0
    clone = metrics.get(metrics.serialize(m))
    assert type(clone) is cls and clone.get_config() == m.get_config()
    assert metrics.get(metrics.metric.object_name(cls.__name__)).name == m.name


def test_crossentropy_metric_options_reach_the_loss():
    logits = np.array([[2.0, -1.0], [0.5, 0.3]])
    y_true = np.array([[1.0, 0.0], [0.0, 1.0]])
    m = metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)
    assert m(y_true, logits) == pytest.approx(float(np.mean(losses.binary_crossentropy(
        y_true, logits, from_logits=True, label_smoothing=0.2))), rel=1e-6)
    assert m.get_config() == {"name": "binary_crossentropy", "dtype": "float32",
                              "from_logits": True, "label_smoothing": 0.2}
    sparse = metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    assert sparse.get_config()["ignore_class"] == 0
    assert sparse([0, 1], logits) == pytest.approx(float(np.mean(
        losses.sparse_categorical_crossentropy([0, 1], logits, from_logits=True,
                                               ignore_class=0))), rel=1e-6)
    assert metrics.get("bce").name == "binary_crossentropy"
    assert metrics.get("MAPE").name == "mean_absolute_percentage_error"
    assert metrics.get("msle").name == "mean_squared_logarithmic_error"
    assert metrics.LogCoshError().name == "logcosh"


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
@given(hnp.arrays(np.float64, (4, 3), elements=st.floats(-5, 5)),
       hnp.arrays(np.float64, (4, 3), elements=st.floats(-5, 5)))
def test_cosine_similarity_is_minus_the_loss(y_true, y_pred):
    ours = metrics.cosine_similarity(y_true, y_pred)
    assert np.all(np.abs(ours) <= 1 + 1e-5)
    norms = np.linalg.norm(y_true, axis=-1) * np.linalg.norm(y_pred, axis=-1)
    big = norms > 1e-3
    np.testing.assert_allclose(ours[big], -losses.cosine_similarity(y_true, y_pred)[big],
                               rtol=1e-4, atol=1e-5)


# ------------------------------------------------ one rate at a bound on another
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


# ------------------------------------------------------------------------ IoU
def test_iou_keras_docstring_goldens():
    m = metrics.MeanIoU(num_classes=2)
    assert m([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(1 / 3, rel=1e-5)
    weighted = metrics.MeanIoU(num_classes=2, dtype="float32")
    weighted.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert weighted.result() == pytest.approx(0.23809525, rel=1e-5)
    binary = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3, dtype="float32")
    assert binary([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7]) == pytest.approx(1 / 3, rel=1e-5)
    binary.reset_state()
    binary.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=[0.2, 0.3, 0.4, 0.1])
    assert binary.result() == pytest.approx(0.17361112, rel=1e-5)
    y_true = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
    y_pred = np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    weights = [0.1, 0.2, 0.3, 0.4]
    one_hot = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2], dtype="float32")
    assert one_hot(y_true, y_pred, sample_weight=weights) == pytest.approx(0.1 / 0.7 / 2,
                                                                           rel=1e-5)
    one_hot_mean = metrics.OneHotMeanIoU(num_classes=3, dtype="float32")
    assert one_hot_mean(y_true, y_pred, sample_weight=weights) == pytest.approx(0.1 / 0.7 / 3,
                                                                                rel=1e-5)


def test_iou_integer_matrix_truncates_fractional_weights_as_keras_does():
    m = metrics.MeanIoU(num_classes=2)
    assert m.total_cm.value.dtype == np.int64
    with pytest.warns(UserWarning, match="truncated to integers"):
        m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 1.7, 2.0])
    np.testing.assert_array_equal(m.total_cm.value, [[0, 0], [1, 2]])


@FEW
@given(n=st.integers(1, 30), num_classes=st.integers(2, 4), data=st.data(),
       split=st.integers(0, 30))
def test_mean_iou_matches_sklearn_jaccard(n, num_classes, data, split):
    labels = st.integers(0, num_classes - 1)
    y_true = data.draw(hnp.arrays(np.int64, n, elements=labels))
    y_pred = data.draw(hnp.arrays(np.int64, n, elements=labels))
    weights = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 3)))
    weights[0] = 1
    m = metrics.MeanIoU(num_classes=num_classes)
    m.update_state(y_true[:split], y_pred[:split], sample_weight=weights[:split])
    m.update_state(y_true[split:], y_pred[split:], sample_weight=weights[split:])
    per_class = sk_metrics.jaccard_score(y_true, y_pred, labels=list(range(num_classes)),
                                         average=None, sample_weight=weights,
                                         zero_division=0)
    # Keras averages only over classes that occur (weighted) in y_true or y_pred.
    seen = np.array([weights[(y_true == c) | (y_pred == c)].sum() > 0
                     for c in range(num_classes)])
    per_class = np.where(seen, per_class, np.nan)
    assert m.result() == pytest.approx(np.nanmean(per_class), rel=1e-5)
    target = data.draw(st.lists(st.integers(0, num_classes - 1), min_size=1, max_size=2,
                                unique=True))
    iou = metrics.IoU(num_classes, target)
    iou.update_state(y_true, y_pred, sample_weight=weights)
    chosen = per_class[target]
    expected = 0.0 if np.all(np.isnan(chosen)) else np.nanmean(chosen)
    assert iou.result() == pytest.approx(expected, rel=1e-5, abs=1e-7)


@FEW
@given(n=st.integers(1, 20), data=st.data())
def test_one_hot_iou_equals_iou_of_argmax_labels(n, data):
    scores = data.draw(hnp.arrays(np.float64, (n, 3), elements=st.floats(0, 1)))
    labels = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 2)))
    one_hot = np.eye(3)[labels]
    sparse = metrics.MeanIoU(3, sparse_y_pred=False)(labels, scores)
    assert metrics.OneHotMeanIoU(3)(one_hot, scores) == pytest.approx(sparse)
    assert metrics.OneHotIoU(3, [1, 2])(one_hot, scores) == pytest.approx(
        metrics.IoU(3, [1, 2], sparse_y_pred=False)(labels, scores))


def test_iou_ignore_class_out_of_range_labels_reset_and_configs():
    assert metrics.MeanIoU(2).name == "mean_io_u" and metrics.IoU(2, [0]).name == "io_u"
    m = metrics.MeanIoU(num_classes=2, ignore_class=0)
    m.update_state([0, 0, 1, 1, 5], [1, 1, 1, 0, 1])
    np.testing.assert_array_equal(m.total_cm.value, [[0, 0], [1, 1]])
    assert m.result() == pytest.approx((0 + 0.5) / 2, rel=1e-5)
    m.reset_state()
    assert not m.total_cm.value.any() and m.result() == 0.0
    for metric in (metrics.IoU(3, [1], name="iou", ignore_class=2),
                   metrics.MeanIoU(4, dtype="float32", sparse_y_true=False),
                   metrics.BinaryIoU([1], threshold=0.7),
                   metrics.OneHotIoU(3, [0, 2]), metrics.OneHotMeanIoU(5, axis=1)):
        clone = metrics.get(metrics.serialize(metric))
        assert type(clone) is type(metric) and clone.get_config() == metric.get_config()
    assert "target_class_ids" not in metrics.MeanIoU(2).get_config()
    assert "sparse_y_true" not in metrics.OneHotMeanIoU(2).get_config()
    assert isinstance(metrics.get({"class_name": "MeanIoU", "config": {"num_classes": 3}}),
                      metrics.MeanIoU)
    with pytest.raises(ValueError, match=r"`target_class_ids` must be class ids in \[0, 2\)"):
        metrics.IoU(2, [2])
    with pytest.raises(ValueError, match="`num_classes` must be a positive integer"):
        metrics.MeanIoU(0)
    with pytest.raises(ValueError, match="holds 2 labels but y_pred holds 6"):
        metrics.MeanIoU(3)([0, 1], [[0.1, 0.2, 0.7], [0.5, 0.2, 0.3]])


def test_loss_functions_wrapped_by_hand_round_trip_through_config():
    m = metrics.MeanMetricWrapper(metrics.hinge, name="my_hinge")
    assert m.get_config()["fn"] == "hinge"
    clone = metrics.MeanMetricWrapper.from_config(m.get_config())
    assert clone.fn is losses.hinge and clone.name == "my_hinge"
    assert metrics.get(metrics.kl_divergence).name == "kl_divergence"


def test_iou_label_maps_take_one_weight_per_sample_or_per_pixel():
    y_true = np.array([[0, 1], [1, 1]])
    y_pred = np.array([[0, 1], [0, 1]])
    per_pixel = metrics.MeanIoU(2)
    per_pixel.update_state(y_true, y_pred, sample_weight=np.array([[1, 2], [3, 4]]))
    np.testing.assert_array_equal(per_pixel.total_cm.value, [[1, 0], [3, 6]])
    per_sample = metrics.MeanIoU(2)
    per_sample.update_state(y_true, y_pred, sample_weight=np.array([1, 2]))
    np.testing.assert_array_equal(per_sample.total_cm.value, [[1, 0], [2, 3]])
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) does not fit"):
        metrics.MeanIoU(2).update_state(y_true, y_pred, sample_weight=[1, 2, 3])
