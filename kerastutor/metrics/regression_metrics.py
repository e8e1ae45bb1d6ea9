r"""Regression metrics: how far predictions lie from real-valued targets.

Most are a weighted mean of one per-sample error, averaged over the
:math:`d` outputs of each sample: squared (:class:`MeanSquaredError`),
absolute (:class:`MeanAbsoluteError`), relative
(:class:`MeanAbsolutePercentageError`), logarithmic
(:class:`MeanSquaredLogarithmicError`), :math:`\log\cosh`
(:class:`LogCoshError`), or the angle between the two vectors
(:class:`CosineSimilarity`). Where the formula is also a loss, the metric
averages the very function :mod:`kerastutor.losses` differentiates.

Two keep sums of their own and combine them only in ``result()``:
:class:`RootMeanSquaredError` takes the root of the pooled mean, and
:class:`R2Score` keeps per-column sums of :math:`y`, :math:`y^2` and the
squared residuals.
"""
import warnings

import numpy as np

from kerastutor import backend, losses
from kerastutor.metrics.metric import Metric, broadcast_weights, check_2d, check_same_shape, \
    divide_no_nan, float_pair, match_ranks, to_python
from kerastutor.metrics.reduction_metrics import FixedMeanMetricWrapper, Mean

# Keras exports these loss functions under keras.metrics too: the same per-sample values.
mean_absolute_percentage_error = losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = losses.mean_squared_logarithmic_error
log_cosh = losses.log_cosh
huber = losses.huber


# ==================================================== per-sample functions
def mean_squared_error(y_true, y_pred):
    r"""Per-sample mean squared error: :math:`v_i = \frac1d \sum_j (y_{ij} - \hat y_{ij})^2`."""
    y_true, y_pred = float_pair(y_true, y_pred)
    return np.mean(np.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    r"""Per-sample mean absolute error: :math:`v_i = \frac1d \sum_j |y_{ij} - \hat y_{ij}|`."""
    y_true, y_pred = float_pair(y_true, y_pred)
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    r"""Per-sample cosine similarity of targets and predictions along ``axis``.

    .. math:: v_i = \frac{y_i \cdot \hat y_i}{\max(\|y_i\|, \epsilon)\,
                                              \max(\|\hat y_i\|, \epsilon)}

    Unlike the *loss* :func:`kerastutor.losses.cosine_similarity`, which is
    its negative, this is +1 for vectors pointing the same way.
    """
    y_true, y_pred = float_pair(y_true, y_pred)
    eps = backend.epsilon()

    def unit(x):
        return x / np.sqrt(np.maximum(np.sum(np.square(x), axis=axis, keepdims=True), eps ** 2))

    return np.sum(unit(y_true) * unit(y_pred), axis=axis)


# ========================================================== mean errors
class MeanSquaredError(FixedMeanMetricWrapper):
    """The mean of :func:`mean_squared_error` over samples (alias ``"mse"``)."""

    _fn = mean_squared_error

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsoluteError(FixedMeanMetricWrapper):
    """The mean of :func:`mean_absolute_error` over samples (alias ``"mae"``)."""

    _fn = mean_absolute_error

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(FixedMeanMetricWrapper):
    r"""Mean absolute percentage error over samples (alias ``"mape"``).

    .. math:: v_i = \frac{100}{d} \sum_j \frac{|y_{ij} - \hat y_{ij}|}{\max(|y_{ij}|, \epsilon)}

    Examples
    --------
    >>> m = MeanAbsolutePercentageError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    250000000.0
    """

    _fn = mean_absolute_percentage_error

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(FixedMeanMetricWrapper):
    r"""Mean squared logarithmic error over samples (alias ``"msle"``).

    .. math:: v_i = \frac1d \sum_j \big(\log(1 + \max(y_{ij}, \epsilon))
                                      - \log(1 + \max(\hat y_{ij}, \epsilon))\big)^2

    Examples
    --------
    >>> m = MeanSquaredLogarithmicError()
    >>> round(m([[0, 1], [0, 0]], [[1, 1], [0, 0]]), 5)
    0.12011
    """

    _fn = mean_squared_logarithmic_error

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class LogCoshError(FixedMeanMetricWrapper):
    r"""Mean of the logarithm of the hyperbolic cosine of the error.

    .. math:: v_i = \frac1d \sum_j \log\cosh(\hat y_{ij} - y_{ij})

    Keras names it ``"logcosh"``.

    Examples
    --------
    >>> m = LogCoshError()
    >>> round(m([[0, 1], [0, 0]], [[1, 1], [0, 0]]), 4)
    0.1084
    """

    _fn = log_cosh

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CosineSimilarity(FixedMeanMetricWrapper):
    r"""Mean cosine similarity between targets and predictions (see :func:`cosine_similarity`).

    .. math:: \text{result} = \frac{\sum_i w_i \cos(y_i, \hat y_i)}{\sum_i w_i}

    Parameters
    ----------
    name : str
        Default ``"cosine_similarity"``.
    dtype : str or None
    axis : int
        Axis of the vectors (default -1).

    Examples
    --------
    >>> m = CosineSimilarity(axis=1)
    >>> round(m([[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]]), 4)
    0.5
    """

    # Keras leaves the axis out of the config (no ``_options``); so do we, to match its files.
    _fn = cosine_similarity

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"CosineSimilarity: `axis` must be an integer, got {axis!r}.")
        super().__init__(name=name, dtype=dtype, axis=int(axis))


class RootMeanSquaredError(Mean):
    r"""The square root of the mean squared error over everything seen.

    .. math:: \text{result} = \sqrt{\frac{\sum_i w_i\, \overline{(y_i - \hat y_i)^2}}
                                         {\sum_i w_i}}

    The root is taken at the end, of the whole mean -- not per batch.
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = backend.asarray(y_pred, dtype=self.dtype)
        y_true, y_pred = match_ranks(backend.asarray(y_true, dtype=self.dtype), y_pred)
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return float(np.sqrt(divide_no_nan(self.total.value, self.count.value)))


# ======================================================================= R^2
_CLASS_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    r"""The coefficient of determination :math:`R^2`, per output column or aggregated.

    For each column :math:`c`, with weights :math:`w_i` and
    :math:`W = \sum_i w_i`, the metric accumulates :math:`\sum_i w_i y_{ic}`,
    :math:`\sum_i w_i y_{ic}^2`, the residual :math:`\sum_i w_i (y_{ic} - \hat
    y_{ic})^2` and :math:`W`, and reports

    .. math::

        R^2_c = 1 - \frac{\sum_i w_i (y_{ic} - \hat y_{ic})^2}
                         {\sum_i w_i y_{ic}^2 - (\sum_i w_i y_{ic})^2 / W}.

    ``"uniform_average"`` (default) is the mean over columns;
    ``"variance_weighted_average"`` weighs each column by its total sum of
    squares (the denominator); ``None`` returns every :math:`R^2_c`. A
    column with zero variance and nonzero residual scores 0 (Keras replaces
    the infinity). With ``num_regressors`` :math:`p > 0` the adjusted score is

    .. math::

        \bar R^2 = 1 - (1 - R^2)\,\frac{n - 1}{n - p - 1},

    where, as in Keras 3, :math:`n` counts every *entry* of ``y_true`` seen
    (rows times output columns, whatever their weights), not the rows; the
    plain :math:`R^2` is returned, with a warning, when :math:`n - 1 \le p`.

    Parameters
    ----------
    class_aggregation : {"uniform_average", "variance_weighted_average", None}
    num_regressors : int
        Number of independent regressors, >= 0 (default 0: no adjustment).
    name : str
        Default ``"r2_score"``.
    dtype : str or None

    Examples
    --------
    >>> m = R2Score()
    >>> m.update_state([[1], [4], [3]], [[2], [4], [4]])
    >>> round(m.result(), 5)
    0.57143
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        if class_aggregation not in _CLASS_AGGREGATIONS:
            raise ValueError(f"R2Score: unknown `class_aggregation` {class_aggregation!r}; "
                             "expected one of 'uniform_average', 'variance_weighted_average' "
                             "or None.")
        if (isinstance(num_regressors, bool) or not isinstance(num_regressors, (int, np.integer))
                or num_regressors < 0):
            raise ValueError(f"R2Score: `num_regressors` must be an integer >= 0, got "
                             f"{num_regressors!r}. Hint: 0 gives the plain R^2.")
        super().__init__(name=name, dtype=dtype)
        self.class_aggregation = class_aggregation
        self.num_regressors = int(num_regressors)
        self.num_samples = self.add_variable(name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        check_2d(f"{self.name}: R2Score", y_true_shape, y_pred_shape, "output_dim",
                 "reshape one output per sample to (N, 1).")
        columns = (y_pred_shape[-1],)
        self.squared_sum = self.add_variable(columns, name="squared_sum")
        self.sum = self.add_variable(columns, name="sum")
        self.total_mse = self.add_variable(columns, name="residual")
        self.count = self.add_variable(columns, name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = match_ranks(backend.asarray(y_true, dtype=self.dtype),
                                     backend.asarray(y_pred, dtype=self.dtype))
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        check_same_shape(self.name, y_true, y_pred)
        weights = backend.asarray(1 if sample_weight is None else sample_weight, dtype=self.dtype)
        if weights.ndim == 1:
            weights = weights[:, None]
        weights = broadcast_weights(self.name, weights, y_true.shape)
        weighted_y_true = y_true * weights
        self.sum.assign_add(np.sum(weighted_y_true, axis=0))
        self.squared_sum.assign_add(np.sum(y_true * weighted_y_true, axis=0))
        self.total_mse.assign_add(np.sum(np.square(y_true - y_pred) * weights, axis=0))
        self.count.assign_add(np.sum(weights, axis=0))
        self.num_samples.assign_add(y_true.size)            # Keras's n: every entry

    def result(self):
        if not self._built:
            return 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum.value / self.count.value
            total = self.squared_sum.value - self.sum.value * mean
            raw_scores = 1 - self.total_mse.value / total
        raw_scores = np.where(np.isinf(raw_scores), 0.0, raw_scores).astype(self.dtype)
        if self.class_aggregation == "uniform_average":
            score = np.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            score = np.sum(total * raw_scores) / np.sum(total)
        else:
            score = raw_scores
        n, p = float(self.num_samples.value), self.num_regressors
        if p:
            if p >= n - 1:
                warnings.warn(f"{self.name}: num_regressors={p} needs more than {p + 1} "
                              f"samples for the adjusted R^2, got {n:g}; falling back to the "
                              "plain R^2.", stacklevel=2)
            else:
                score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return to_python(backend.asarray(score, dtype=self.dtype))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}

