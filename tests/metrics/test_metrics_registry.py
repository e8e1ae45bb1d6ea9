"""Look-ups: get, serialize/deserialize, compile's accuracy resolution and kind errors."""
import numpy as np
import pytest

from kerastutor import metrics


# ------------------------------------------------------- compile's resolution
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


# ---------------------------------------------------------------------- get()
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


# ---------------------------------------------------------------- kind errors
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
