"""Metrics: Keras's golden cases, weighting and accumulation, names, look-ups and errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import backend, metrics

# keras-spec §8.4: the BinaryAccuracy golden case.
GOLDEN_TRUE = np.array([[1], [1], [0], [0]])
GOLDEN_PRED = np.array([[0.98], [1], [0], [0.6]])


# ------------------------------------------------------------------ accuracy
def test_binary_accuracy_golden_and_weighted():
    assert metrics.BinaryAccuracy()(GOLDEN_TRUE, GOLDEN_PRED) == pytest.approx(0.75)
    weighted = metrics.BinaryAccuracy()
    weighted.update_state(GOLDEN_TRUE, GOLDEN_PRED, sample_weight=[1, 0, 0, 1])
    assert weighted.result() == pytest.approx(0.5)


def test_binary_accuracy_rank_1_targets_against_column_predictions():
    rank_1 = GOLDEN_TRUE[:, 0]
    assert metrics.BinaryAccuracy()(rank_1, GOLDEN_PRED) == pytest.approx(0.75)
    weighted = metrics.BinaryAccuracy()
    weighted.update_state(rank_1, GOLDEN_PRED, sample_weight=[1, 0, 0, 1])
    assert weighted.result() == pytest.approx(0.5)


def test_binary_accuracy_threshold_is_strict_and_configurable():
    # 0.5 is not above 0.5, so it predicts class 0.
    np.testing.assert_array_equal(metrics.binary_accuracy([[0], [1]], [[0.5], [0.5]]),
                                  [[1.0], [0.0]])
    assert metrics.BinaryAccuracy(threshold=0.99)(GOLDEN_TRUE, GOLDEN_PRED) == 0.75
    assert metrics.BinaryAccuracy(threshold=0.7)(GOLDEN_TRUE, GOLDEN_PRED) == 1.0


def test_binary_accuracy_gives_one_value_per_prediction():
    values = metrics.binary_accuracy(np.array([[1, 0], [1, 1]]), np.array([[0.9, 0.2],
                                                                          [0.4, 0.6]]))
    np.testing.assert_array_equal(values, [[1, 1], [0, 1]])
    assert values.dtype == np.float32
    # The metric averages them: 3 of 4 decisions are right.
    assert metrics.BinaryAccuracy()([[1, 0], [1, 1]], [[0.9, 0.2], [0.4, 0.6]]) == 0.75


def test_categorical_accuracy_by_hand():
    # Keras's docstring example: the first row's argmax is 1, its target 2.
    y_true, y_pred = [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    np.testing.assert_array_equal(metrics.categorical_accuracy(y_true, y_pred), [0, 1])
    assert metrics.CategoricalAccuracy()(y_true, y_pred) == 0.5
    weighted = metrics.CategoricalAccuracy()
    weighted.update_state(y_true, y_pred, sample_weight=[0.7, 0.3])
    assert weighted.result() == pytest.approx(0.3)


@pytest.mark.parametrize("labels", [[2, 1], [[2], [1]], [2.0, 1.0], [[2.0], [1.0]]],
                         ids=["int", "int-column", "float", "float-column"])
def test_sparse_categorical_accuracy_takes_int_or_float_labels_with_or_without_column(labels):
    y_pred = [[0.1, 0.6, 0.3], [0.05, 0.95, 0]]
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(labels, y_pred), [0, 1])
    weighted = metrics.SparseCategoricalAccuracy()
    weighted.update_state(labels, y_pred, sample_weight=[0.7, 0.3])
    assert weighted.result() == pytest.approx(0.3)


def test_accuracy_is_exact_equality():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert m.result() == 0.75
    # 0.9 is not 1: no thresholding here.
    np.testing.assert_array_equal(metrics.accuracy([1.0, 1.0], [1.0, 0.9]), [1, 0])


def test_top_k_accuracy_by_hand():
    y_pred = np.array([[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]])
    assert metrics.SparseTopKCategoricalAccuracy(k=1)([2, 1], y_pred) == 0.5
    assert metrics.SparseTopKCategoricalAccuracy(k=2)([2, 1], y_pred) == 1.0
    assert metrics.TopKCategoricalAccuracy(k=1)(np.eye(3)[[2, 1]], y_pred) == 0.5
    weighted = metrics.TopKCategoricalAccuracy(k=1)
    weighted.update_state(np.eye(3)[[2, 1]], y_pred, sample_weight=[0.7, 0.3])
    assert weighted.result() == pytest.approx(0.3)


def test_top_k_counts_ties_as_hits_and_never_hits_out_of_range_labels():
    tied = np.array([[0.3, 0.3, 0.3]])
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy([2], tied, k=1),
                                  [1.0])
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy([3, -1], np.ones((2, 3)), k=3), [0, 0])


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(2, 7), st.integers(0, 2**31 - 1))
def test_top_k_grows_with_k_and_top_1_is_sparse_accuracy(n, classes, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    scores = rng.random((n, classes))
    hits = [metrics.sparse_top_k_categorical_accuracy(labels, scores, k=k).mean()
            for k in range(1, classes + 1)]
    assert all(a <= b for a, b in zip(hits, hits[1:]))
    assert hits[-1] == 1.0
    # Random floats have no ties, so top-1 is plain accuracy, sparse or one-hot.
    assert hits[0] == metrics.sparse_categorical_accuracy(labels, scores).mean()
    assert hits[0] == metrics.categorical_accuracy(np.eye(classes)[labels], scores).mean()


# ------------------------------------------------------- Mean, Sum, the state
def test_mean_keeps_total_and_count():
    m = metrics.Mean()
    m.update_state([1.0, 3.0], sample_weight=[1.0, 3.0])
    total, count = (float(v) for v in m.variables)
    assert (total, count) == (10.0, 4.0)
    assert m.result() == 2.5
    assert [v.path for v in m.variables] == ["mean/total", "mean/count"]


def test_mean_reduces_extra_axes_to_one_value_per_sample():
    m = metrics.Mean()
    m.update_state([[1.0, 2.0], [3.0, 5.0]])            # per-sample means 1.5 and 4
    assert [float(v) for v in m.variables] == [5.5, 2.0]
    weighted = metrics.Mean()
    weighted.update_state([[1.0, 2.0], [3.0, 5.0]], sample_weight=[1.0, 3.0])
    assert weighted.result() == pytest.approx((1.5 + 3 * 4) / 4)
    per_entry = metrics.Mean()
    per_entry.update_state([[1.0, 2.0], [3.0, 5.0]], sample_weight=[[1.0, 0.0], [3.0, 1.0]])
    assert per_entry.result() == pytest.approx((1 + 9 + 5) / 5)


def test_mean_with_a_scalar_weight_and_a_scalar_value():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0], sample_weight=2.0)
    assert [float(v) for v in m.variables] == [4.0, 2.0]
    scalar = metrics.Mean()
    scalar.update_state(3.0)
    assert [float(v) for v in scalar.variables] == [3.0, 1.0]


def test_sum_is_weighted():
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert s.result() == 4.0
    s.update_state([[1.0, 2.0]])
    assert s.result() == 7.0


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
       st.integers(0, 2**31 - 1))
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


# ---------------------------------------------------------------- regression
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


# ------------------------------------------------------ precision, recall, AUC
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
@given(st.integers(2, 40), st.integers(0, 2**31 - 1))
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


# --------------------------------------------------------------------- names
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


# ------------------------------------------------------ compile's resolution
@pytest.mark.parametrize("y_true_shape, y_pred_shape, expected", [
    ((8, 1), (None, 1), metrics.BinaryAccuracy),
    ((8,), (None, 1), metrics.BinaryAccuracy),
    ((8,), (None, 10), metrics.SparseCategoricalAccuracy),
    ((8, 1), (None, 10), metrics.SparseCategoricalAccuracy),
    ((8, 10), (None, 10), metrics.CategoricalAccuracy),
    ((8, 5, 10), (None, 5, 10), metrics.CategoricalAccuracy),
    ((8, 5), (None, 5, 10), metrics.SparseCategoricalAccuracy),
])
def test_resolve_accuracy_by_shapes(y_true_shape, y_pred_shape, expected):
    metric = metrics.resolve_accuracy("accuracy", y_true_shape, y_pred_shape)
    assert type(metric) is expected
    assert metric.name == "accuracy"


@pytest.mark.parametrize("identifier", ["acc", "ACC", "Accuracy"])
def test_compile_names_the_accuracy_after_the_string_given(identifier):
    metric = metrics.get_compile_metric(identifier, (4, 3), (None, 3))
    assert isinstance(metric, metrics.CategoricalAccuracy) and metric.name == identifier


def test_get_compile_metric_names_strings_and_keeps_instance_names():
    mse = metrics.get_compile_metric("mse", (4, 1), (None, 1))
    assert isinstance(mse, metrics.MeanSquaredError) and mse.name == "mse"
    auc = metrics.get_compile_metric("AUC", (4, 1), (None, 1))
    assert isinstance(auc, metrics.AUC) and auc.name == "AUC"
    assert metrics.AUC().name == "auc_1"       # "AUC" used up the first automatic name
    mine = metrics.Precision(name="p")
    assert metrics.get_compile_metric(mine, (4, 1), (None, 1)) is mine and mine.name == "p"

    def my_score(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred))

    wrapped = metrics.get_compile_metric(my_score, (2,), (None, 1))
    assert wrapped.name == "my_score"
    assert wrapped([1.0, 2.0], [2.0, 2.0]) == 0.5
    with pytest.raises(ValueError, match="got None"):
        metrics.get_compile_metric(None, (2,), (None, 1))


# -------------------------------------------------------------------- get()
@pytest.mark.parametrize("name, expected", [
    ("BinaryAccuracy", metrics.BinaryAccuracy), ("binary_accuracy", metrics.BinaryAccuracy),
    ("accuracy", metrics.Accuracy), ("mse", metrics.MeanSquaredError),
    ("MAE", metrics.MeanAbsoluteError), ("auc", metrics.AUC),
    ("root_mean_squared_error", metrics.RootMeanSquaredError),
    ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
])
def test_get_by_name(name, expected):
    assert type(metrics.get(name)) is expected


def test_get_instances_classes_functions_and_configs():
    instance = metrics.Recall()
    assert metrics.get(instance) is instance
    assert isinstance(metrics.get(metrics.Precision), metrics.Precision)
    assert metrics.get(None) is None
    wrapped = metrics.get(metrics.binary_accuracy)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "binary_accuracy"
    config = metrics.serialize(metrics.BinaryAccuracy(threshold=0.7, name="ba"))
    clone = metrics.get(config)
    assert (clone.name, clone.threshold) == ("ba", 0.7)


def test_get_errors_are_kind():
    with pytest.raises(ValueError, match="Did you mean 'binary_accuracy'"):
        metrics.get("binary_acuracy")
    # Keras raises for "acc" outside compile; say where it does work.
    with pytest.raises(ValueError, match="only inside compile"):
        metrics.get("acc")
    with pytest.raises(ValueError, match="Could not interpret metric identifier 3"):
        metrics.get(3)


@pytest.mark.parametrize("metric", [
    metrics.Mean(name="m", dtype="float64"), metrics.Sum(), metrics.Accuracy(),
    metrics.BinaryAccuracy(threshold=0.3), metrics.CategoricalAccuracy(),
    metrics.SparseCategoricalAccuracy(), metrics.TopKCategoricalAccuracy(k=2),
    metrics.SparseTopKCategoricalAccuracy(k=3), metrics.MeanSquaredError(),
    metrics.MeanAbsoluteError(), metrics.RootMeanSquaredError(),
    metrics.Precision(thresholds=[0.2, 0.6], class_id=1), metrics.Recall(top_k=2),
    metrics.AUC(num_thresholds=7, curve="PR", summation_method="majoring"),
    metrics.AUC(thresholds=[0.3, 0.6], multi_label=True, num_labels=2,
                label_weights=[1.0, 2.0]),
    metrics.MeanMetricWrapper(metrics.binary_accuracy, name="w", threshold=0.2),
], ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    config = metric.get_config()
    assert config["name"] == metric.name and config["dtype"] == metric.dtype
    clone = metrics.deserialize(metrics.serialize(metric))
    assert type(clone) is type(metric)
    assert clone.get_config() == config


def test_keras_config_keys():
    assert metrics.BinaryAccuracy().get_config() == {
        "name": "binary_accuracy", "dtype": "float32", "threshold": 0.5}
    assert metrics.Precision().get_config() == {
        "name": "precision", "dtype": "float32", "thresholds": None, "top_k": None,
        "class_id": None}


# -------------------------------------------------------------- kind errors
@pytest.mark.parametrize("build, message", [
    (lambda: metrics.BinaryAccuracy(threshold="high"), "`threshold` must be a number"),
    (lambda: metrics.TopKCategoricalAccuracy(k=0), "`k` must be a positive integer, got 0"),
    (lambda: metrics.Precision(thresholds=[0.5, 1.5]), r"must lie in \[0, 1\], got \[1.5\]"),
    (lambda: metrics.AUC(num_thresholds=1), "at least 2"),
    (lambda: metrics.AUC(curve="ROCC"), "unknown `curve` 'ROCC'.*Did you mean 'ROC'"),
    (lambda: metrics.AUC(summation_method="trapezoid"), "unknown `summation_method`"),
    (lambda: metrics.AUC(num_labels=3), "only used with multi_label=True"),
    (lambda: metrics.Mean(dtype="int32"), "`dtype` must be a float type"),
    (lambda: metrics.MeanMetricWrapper("accuracy"), "`fn` must be a function"),
])
def test_bad_arguments_name_the_argument(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_mismatched_batches_and_weights_name_the_shapes():
    with pytest.raises(ValueError, match=r"y_true has 3 samples.*y_pred has 2"):
        metrics.SparseCategoricalAccuracy()([0, 1, 2], np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"top_k_categorical_accuracy: y_true has 1 sample"):
        metrics.SparseTopKCategoricalAccuracy()([0], np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"y_true of shape \(2,\) does not match y_pred of "
                                         r"shape \(2, 3\).*to_categorical"):
        metrics.Precision()([0, 2], np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) does not fit"):
        metrics.Mean().update_state([1.0, 2.0], sample_weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="class_id=1 needs y_pred of shape"):
        metrics.Precision(class_id=1)([1, 0], [0.2, 0.9])


# ------------------------------------------------------- correlation metrics
# Golden numbers from the examples in Keras's correlation_metrics.py.
CORR_TRUE = [[0, 1, 0.5], [1, 1, 0.2]]
CORR_PRED = [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]


def test_pearson_correlation_matches_keras_golden_and_numpy():
    np.testing.assert_allclose(metrics.pearson_correlation(CORR_TRUE, CORR_PRED),
                               [1.0, 0.99339927], rtol=1e-5)
    m = metrics.get("pearson_correlation")
    m.update_state(CORR_TRUE, CORR_PRED)
    assert float(m.result()) == pytest.approx(0.9966996338993913, rel=1e-5)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 40)), rng.normal(size=(5, 40))
    expected = [np.corrcoef(a[i], b[i])[0, 1] for i in range(5)]
    np.testing.assert_allclose(metrics.pearson_correlation(a, b), expected, rtol=1e-5)


def test_concordance_correlation_matches_keras_golden():
    np.testing.assert_allclose(metrics.concordance_correlation(CORR_TRUE, CORR_PRED),
                               [0.97560976, 0.98765432], rtol=1e-5)
    m = metrics.ConcordanceCorrelation()
    m.update_state(CORR_TRUE, CORR_PRED)
    assert float(m.result()) == pytest.approx(0.9816320385426076, rel=1e-5)
    # perfect agreement is 1; a constant shift lowers it below Pearson's 1
    x = np.random.default_rng(1).normal(size=(3, 50))
    np.testing.assert_allclose(metrics.concordance_correlation(x, x), 1.0, rtol=1e-5)
    assert (metrics.concordance_correlation(x, x + 1.0) < 0.7).all()


@pytest.mark.parametrize("cls", [metrics.PearsonCorrelation, metrics.ConcordanceCorrelation])
def test_correlation_config_and_axis(cls):
    m = cls(axis=0, name="corr")
    assert m.get_config() == {"name": "corr", "dtype": m.dtype, "axis": 0}
    clone = cls.from_config(m.get_config())
    data = np.random.default_rng(2).normal(size=(30, 2))
    m.update_state(data, 2 * data + 1)
    clone.update_state(data, 2 * data + 1)
    assert float(m.result()) == pytest.approx(float(clone.result()))
    assert metrics.get(cls.__name__).name == metrics.get(cls().name).name
