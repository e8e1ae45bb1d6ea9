r"""Metrics: the numbers ``fit`` reports, accumulated batch after batch.

A loss is something we *differentiate*; a metric is something we only
*report*. So a metric has no ``backward``: it keeps a little running state
(its ``variables``), and three methods drive it:

* ``update_state(y_true, y_pred, sample_weight=None)`` -- fold in one batch;
* ``result()`` -- the value over everything seen since the last reset;
* ``reset_state()`` -- start over (``fit`` does this at every epoch).

Most metrics are a weighted mean of one value :math:`v_i` per sample,

.. math::

    \text{result} = \frac{\text{total}}{\text{count}}
                  = \frac{\sum_i w_i\, v_i}{\sum_i w_i},

with :math:`w_i = 1` unless sample weights are given. Accuracy, for
instance, averages :math:`v_i = [\arg\max_c \hat y_{ic} = y_i]`. Keeping the
two sums -- not the mean of batch means -- is what makes the epoch result
exact when the last batch is smaller. As in Keras, both sums are kept in the
metric's ``dtype`` (float32 by default).

The other metrics keep the sums *their* formula needs and combine them only
in ``result()``: confusion counts at fixed thresholds (``Precision``,
``AUC``, ``TruePositives``, ``PrecisionAtRecall``, ...), per-class counts
(``F1Score``), per-column sums of :math:`y`, :math:`y^2` and residuals
(``R2Score``), or a class-by-class confusion matrix (``MeanIoU``). Ratios of
sums, never means of ratios: that is what makes them exact over an epoch.

Names follow Keras. Most classes have a fixed default name
(``Accuracy().name == "accuracy"``, ``Mean().name == "mean"``); the ones
whose Keras default is ``name=None`` (``Precision``, ``Recall``, ``AUC``,
``MeanMetricWrapper``, your own subclasses) take the snake-case class name,
made unique per session: a second ``Precision()`` is ``precision_1``.

``compile(metrics=["accuracy"])`` picks binary, categorical or sparse
categorical accuracy *from the shapes* of targets and predictions (see
:func:`resolve_accuracy`) and logs it under the string you wrote.

The package follows Keras 3's files, one family a file:

* :mod:`~kerastutor.metrics.metric` -- :class:`Metric`, :class:`MetricVariable`
  and the small shared helpers (shapes, weights, safe division);
* :mod:`~kerastutor.metrics.reduction_metrics` -- :class:`Mean`, :class:`Sum`,
  :class:`MeanMetricWrapper`;
* ``accuracy_metrics``, ``confusion_metrics``, ``regression_metrics``,
  ``probabilistic_metrics``, ``hinge_metrics``, ``f_score_metrics``,
  ``iou_metrics``, ``correlation_metrics`` -- the families.

Imports point one way: each family imports only ``metric`` and
``reduction_metrics``; this file gathers the public names and the look-ups.
"""
from kerastutor import registry
from kerastutor.metrics.accuracy_metrics import (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy, binary_accuracy,
    categorical_accuracy, sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy)
from kerastutor.metrics.confusion_metrics import (
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
    RecallAtPrecision, SensitivityAtSpecificity, SensitivitySpecificityBase,
    SpecificityAtSensitivity, TrueNegatives, TruePositives)
from kerastutor.metrics.confusion_metrics import NEG_INF  # noqa: F401 (importable here, as before)
from kerastutor.metrics.correlation_metrics import (
    ConcordanceCorrelation, PearsonCorrelation, concordance_correlation, pearson_correlation)
from kerastutor.metrics.f_score_metrics import F1Score, FBetaScore
from kerastutor.metrics.hinge_metrics import (
    CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge)
from kerastutor.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from kerastutor.metrics.metric import Metric, MetricVariable, object_name
from kerastutor.metrics.probabilistic_metrics import (
    BinaryCrossentropy, CategoricalCrossentropy, KLDivergence, Poisson,
    SparseCategoricalCrossentropy, binary_crossentropy, categorical_crossentropy, kl_divergence,
    binary_focal_crossentropy, categorical_focal_crossentropy, poisson,
    sparse_categorical_crossentropy)
from kerastutor.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum, \
    register_functions
from kerastutor.metrics.regression_metrics import (
    CosineSimilarity, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, R2Score, RootMeanSquaredError,
    cosine_similarity, huber, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error)

# ================================================================ look-ups
_CLASSES = (Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy,
            CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
            SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
            RootMeanSquaredError, Precision, Recall, AUC, TruePositives, FalsePositives,
            TrueNegatives, FalseNegatives, FBetaScore, F1Score, R2Score,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, LogCoshError,
            CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge, SquaredHinge,
            CategoricalHinge, SensitivityAtSpecificity, SpecificityAtSensitivity,
            PrecisionAtRecall, RecallAtPrecision, IoU, BinaryIoU, MeanIoU, OneHotIoU,
            OneHotMeanIoU, PearsonCorrelation, ConcordanceCorrelation)

_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({object_name(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"mse": MeanSquaredError, "MSE": MeanSquaredError,
                 "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
                 "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
                 "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
                 "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy})

# The registry's catalog of metrics: class names, their snake-case names and the aliases.
CATALOG = registry.Catalog("metric", "keras.metrics")
for _name, _cls in _BY_NAME.items():
    CATALOG.add(_cls, _name)
del _name, _cls

# Per-sample functions by name, for ``MeanMetricWrapper.from_config``.
register_functions(
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mean_squared_error,
    mean_absolute_error, cosine_similarity, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, log_cosh, binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, kl_divergence, poisson, hinge, squared_hinge,
    categorical_hinge, pearson_correlation, concordance_correlation, huber,
    binary_focal_crossentropy, categorical_focal_crossentropy)


def get(identifier, custom_objects=None):
    """A metric object from what Keras accepts in ``metrics=[...]``.

    * ``None`` -> ``None``;
    * a :class:`Metric` instance -> itself;
    * a :class:`Metric` class -> a new instance with default arguments;
    * a string -> the class of that name, snake-case name or alias
      (``"BinaryAccuracy"``, ``"binary_accuracy"``, ``"mse"``, ``"MAE"``, ...);
    * a config dict (from :func:`serialize`) -> the metric it describes;
    * a plain function ``fn(y_true, y_pred)`` -> ``MeanMetricWrapper(fn)``,
      named after the function.

    ``"acc"`` is not a metric name here, as in Keras: only ``compile`` knows
    it (see :func:`get_compile_metric`). Names of your own metrics come from
    ``custom_objects``, a ``custom_object_scope`` or
    ``register_keras_serializable`` (:mod:`kerastutor.registry`).
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if isinstance(identifier, str):
        found = _from_name(identifier, custom_objects)
        return found() if isinstance(found, type) else get(found)
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=_function_name(identifier))
    raise ValueError(f"Could not interpret metric identifier {identifier!r}: expected a "
                     "metric name, a Metric class or instance, a config dict or a function "
                     "fn(y_true, y_pred).")


def _from_name(name, custom_objects=None):
    """The metric class (or your object) called ``name``, or a kind error."""
    found = CATALOG.find(name, custom_objects)
    if found is not None:
        return found
    if name.lower() in ("acc", "accuracy"):
        raise ValueError(
            f"Unknown metric {name!r}. 'acc' is understood only inside "
            "compile(metrics=['acc']), which picks the accuracy from the shapes; here use "
            "'accuracy' (exact equality), 'binary_accuracy' or 'categorical_accuracy'.")
    raise CATALOG.unknown(name, custom_objects)


def _function_name(fn):
    """The name Keras logs a function metric under: its ``__name__``, snake-cased."""
    return object_name(getattr(fn, "__name__", type(fn).__name__)) or None


def resolve_accuracy(identifier, y_true_shape, y_pred_shape):
    """The accuracy ``compile(metrics=["accuracy"])`` means, chosen by shapes alone.

    As in Keras (never by the loss):

    * one prediction per sample (``y_pred`` ends in 1) -> :class:`BinaryAccuracy`;
    * targets of lower rank than predictions, or ``(N, 1)`` targets for
      several classes -> :class:`SparseCategoricalAccuracy`;
    * otherwise (one-hot targets) -> :class:`CategoricalAccuracy`.

    The metric is named after the string you wrote: ``"acc"`` logs as
    ``acc``, ``"Accuracy"`` as ``Accuracy``.

    Parameters
    ----------
    identifier : str
        ``"accuracy"`` or ``"acc"``, in any casing.
    y_true_shape, y_pred_shape : tuple
        Shapes of one output's targets and predictions (``None`` allowed
        for unknown sizes).
    """
    if not isinstance(identifier, str) or identifier.lower() not in ("accuracy", "acc"):
        raise ValueError(f"resolve_accuracy: `identifier` must be 'accuracy' or 'acc', got "
                         f"{identifier!r}.")
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    if not y_true_shape or not y_pred_shape:
        raise ValueError(f"resolve_accuracy: need targets and predictions of rank >= 1, got "
                         f"shapes {y_true_shape} and {y_pred_shape}.")
    classes = y_pred_shape[-1]
    several_classes = classes is not None and classes > 1
    if classes == 1:
        cls = BinaryAccuracy
    elif len(y_true_shape) < len(y_pred_shape) or (y_true_shape[-1] == 1 and several_classes):
        cls = SparseCategoricalAccuracy
    else:
        cls = CategoricalAccuracy
    return cls(name=identifier)


def get_compile_metric(identifier, y_true_shape, y_pred_shape):
    """The metric object ``compile(metrics=[identifier])`` builds for one output.

    ``"accuracy"``/``"acc"`` go through :func:`resolve_accuracy`; anything
    else through :func:`get`. A metric given as a string is named after
    that string (``"mse"`` logs as ``mse``, ``"AUC"`` as ``AUC``); a metric
    instance keeps its own name.
    """
    if identifier is None:
        raise ValueError("compile: expected a metric, got None in `metrics`. Hint: drop it "
                         "from the list, or pass metrics=None for no metrics.")
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        return resolve_accuracy(identifier, y_true_shape, y_pred_shape)
    metric = get(identifier)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def serialize(metric):
    """A metric as Keras's record: ``{"module", "class_name", "config", "registered_name"}``."""
    return CATALOG.record(metric)


def deserialize(config, custom_objects=None):
    """The metric a :func:`serialize` record describes."""
    return CATALOG.from_record(config, custom_objects)


__all__ = [
    "Metric", "MetricVariable", "Mean", "Sum", "MeanMetricWrapper",
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError",
    "Precision", "Recall", "AUC",
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
    "FBetaScore", "F1Score", "R2Score",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "LogCoshError",
    "CosineSimilarity", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "Hinge", "SquaredHinge",
    "CategoricalHinge", "cosine_similarity", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "log_cosh", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence", "poisson",
    "hinge", "squared_hinge", "categorical_hinge",
    "SensitivitySpecificityBase", "SensitivityAtSpecificity", "SpecificityAtSensitivity",
    "PrecisionAtRecall", "RecallAtPrecision",
    "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU",
    "PearsonCorrelation", "ConcordanceCorrelation", "pearson_correlation",
    "concordance_correlation",
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "mean_squared_error", "mean_absolute_error",
    "huber", "binary_focal_crossentropy", "categorical_focal_crossentropy",
    "get", "resolve_accuracy", "get_compile_metric", "serialize", "deserialize",
]
