r"""Confusion metrics: counts of right and wrong decisions at fixed thresholds, and rates of them.

A score :math:`\hat y` is a *positive prediction* at threshold :math:`t`
when :math:`\hat y > t` (strict); a target is *positive* when
:math:`y \ne 0`. Every metric here keeps some of the four weighted counts

.. math::

    TP_t = \sum_i w_i\,[y_i \ne 0]\,[\hat y_i > t], \qquad
    FP_t = \sum_i w_i\,[y_i = 0]\,[\hat y_i > t],

    FN_t = \sum_i w_i\,[y_i \ne 0]\,[\hat y_i \le t], \qquad
    TN_t = \sum_i w_i\,[y_i = 0]\,[\hat y_i \le t],

at one or more thresholds, computed by one function
(:func:`confusion_counts`), and combines them only in ``result()``:
the counts themselves (:class:`TruePositives`, ...), a ratio
(:class:`Precision`, :class:`Recall`), the area under a curve of ratios
(:class:`AUC`), or the best ratio while another stays above a bound
(:class:`SensitivityAtSpecificity`, ...). Ratios of sums, never means of
ratios: that is what makes them exact over an epoch.
"""
import numpy as np

from kerastutor import backend
from kerastutor.backend import did_you_mean
from kerastutor.metrics.metric import Metric, broadcast_weights, check_positive_int, \
    divide_no_nan, match_ranks, to_python

#: What Keras writes in for "minus infinity" when masking scores (top_k).
NEG_INF = -1e10

#: The four counts, in the order :func:`confusion_counts` returns them.
COUNTS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


# ================================================================ counting
def confusion_inputs(owner, y_true, y_pred, sample_weight, dtype):
    """Targets, predictions and one weight per prediction entry, ready to count.

    Ranks are lined up first; then each sample's weight is spread over all
    of that sample's entries (a weight array as big as ``y_pred`` is kept
    as it is).
    """
    y_true = backend.asarray(y_true, dtype=dtype)
    y_pred = backend.asarray(y_pred, dtype=dtype)
    y_pred, y_true = match_ranks(y_pred, y_true)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{owner}: y_true of shape {y_true.shape} does not match y_pred of shape "
            f"{y_pred.shape}; every prediction needs its own 0/1 target. Hint: one-hot "
            "encode integer labels with keras.utils.to_categorical.")
    if sample_weight is None:
        return y_true, y_pred, np.ones(y_pred.shape, dtype=dtype)
    weights = backend.asarray(sample_weight, dtype=dtype)[..., None]
    _, weights = match_ranks(y_true, weights, expand_rank_1=False)
    return y_true, y_pred, broadcast_weights(owner, weights, y_pred.shape)


def confusion_counts(y_true, y_pred, weights, thresholds, multi_label=False):
    r"""Weighted true/false positives/negatives at each threshold.

    A prediction is *positive* at threshold :math:`t` when
    :math:`\hat y > t` (strict), a label when :math:`y \ne 0`:

    .. math::

        TP_t = \sum_i w_i\,[y_i \ne 0]\,[\hat y_i > t], \qquad
        FP_t = \sum_i w_i\,[y_i = 0]\,[\hat y_i > t],

    and :math:`FN_t`, :math:`TN_t` are the rest of the positives and
    negatives. Every entry of ``y_pred`` is one decision; with
    ``multi_label`` each column (label) is counted on its own.

    Returns ``{"true_positives": TP, ..., "false_negatives": FN}`` (the
    names of :data:`COUNTS`), each of shape ``(T,)`` -- or ``(T, L)``.
    """
    positive = y_true != 0
    true_weight, false_weight = weights * positive, weights * ~positive
    if multi_label:
        # (T, N, L) decisions; summing over samples keeps one count per label.
        above = (y_pred[None] > thresholds[:, None, None]).astype(y_pred.dtype)
        tp = np.einsum("tnl,nl->tl", above, true_weight)
        fp = np.einsum("tnl,nl->tl", above, false_weight)
        positives, negatives = true_weight.sum(axis=0), false_weight.sum(axis=0)
    else:
        # (T, M) decisions against every entry; a matrix product sums them.
        above = (y_pred.reshape(1, -1) > thresholds[:, None]).astype(y_pred.dtype)
        tp, fp = above @ true_weight.ravel(), above @ false_weight.ravel()
        positives, negatives = true_weight.sum(), false_weight.sum()
    return dict(zip(COUNTS, (tp, fp, negatives - fp, positives - tp)))


def keep_top_k(scores, k):
    """Scores with everything but the ``k`` best of each row set to :data:`NEG_INF`.

    Among equal scores the lower class index wins, as in Keras's ``top_k``.
    """
    best = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(keep, best, True, axis=-1)
    return np.where(keep, scores, NEG_INF)


def check_thresholds(owner, thresholds):
    """A list of thresholds, each in [0, 1]."""
    values = np.ravel(thresholds).tolist() if np.ndim(thresholds) else [thresholds]
    bad = [t for t in values if not isinstance(t, (int, float)) or not 0 <= t <= 1]
    if bad:
        raise ValueError(f"{owner}: `thresholds` must lie in [0, 1], got {bad}. Hint: "
                         "use from_logits or a sigmoid for scores outside [0, 1].")
    return [float(t) for t in values]


def one_or_all(values):
    """A per-threshold result: a float for one threshold, else the whole array."""
    return to_python(values[0] if len(values) == 1 else values)


def evenly_spaced(num_thresholds):
    """The ``num_thresholds - 2`` inner thresholds :math:`t_j = j/(n-1)`, :math:`j = 1..n-2`."""
    return [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]


# ==================================================================== base
class _ConfusionMetric(Metric):
    """Shared by every metric here: turn a batch into decisions, count them, keep the counts.

    ``update_state`` lines up targets, predictions and weights
    (:func:`confusion_inputs`), lets :meth:`_decisions` narrow them to what
    the metric judges (the ``top_k`` best scores, one ``class_id`` column),
    counts at ``self.thresholds`` (:func:`confusion_counts`) and adds each
    count named in ``_counters`` to the variable of that name.
    """

    #: The counts this metric keeps, each in a variable of the same name.
    _counters = ()
    # What narrows the decisions; a subclass that takes the argument sets it in __init__.
    top_k = None
    class_id = None
    multi_label = False

    def _add_counters(self, shape):
        """One state variable per kept count, of ``shape`` (thresholds[, labels])."""
        for counter in self._counters:
            setattr(self, counter, self.add_variable(shape, name=counter))

    def _use_thresholds(self, thresholds, default):
        """Keep the thresholds as given (for the config) and as a checked list."""
        self.init_thresholds = thresholds
        self.thresholds = ([default] if thresholds is None
                           else check_thresholds(type(self).__name__, thresholds))

    def _decisions(self, y_true, y_pred, weights):
        """Only the ``top_k`` best scores count as predicted; only ``class_id``'s column counts."""
        if self.top_k is not None:
            y_pred = keep_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            if y_pred.ndim < 2:
                raise ValueError(
                    f"{self.name}: class_id={self.class_id} needs y_pred of shape (N, C), "
                    f"got shape {y_pred.shape}.")
            column = (..., slice(self.class_id, self.class_id + 1))
            y_true, y_pred, weights = y_true[column], y_pred[column], weights[column]
        return y_true, y_pred, weights

    def _count(self, y_true, y_pred, sample_weight):
        """The four confusion counts of one batch at every threshold."""
        y_true, y_pred, weights = confusion_inputs(self.name, y_true, y_pred, sample_weight,
                                                   self.dtype)
        y_true, y_pred, weights = self._decisions(y_true, y_pred, weights)
        thresholds = backend.asarray(self.thresholds, dtype=self.dtype)
        return confusion_counts(y_true, y_pred, weights, thresholds, self.multi_label)

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = self._count(y_true, y_pred, sample_weight)
        for counter in self._counters:
            getattr(self, counter).assign_add(counts[counter])

    def _rates(self):
        """Every rate of the four counts, one per threshold (for metrics that keep all four).

        Recall (= sensitivity) :math:`TP/(TP+FN)`, specificity :math:`TN/(TN+FP)`,
        precision :math:`TP/(TP+FP)` and fall-out :math:`FP/(FP+TN)`.
        """
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = divide_no_nan(tp, tp + fn)
        return {"recall": recall, "sensitivity": recall,
                "specificity": divide_no_nan(tn, tn + fp),
                "precision": divide_no_nan(tp, tp + fp),
                "fall_out": divide_no_nan(fp, fp + tn)}


# ==================================================== counts and one ratio
class _ConfusionMatrixConditionCount(_ConfusionMetric):
    """Shared by TruePositives, TrueNegatives, FalsePositives and FalseNegatives.

    One counter, ``accumulator`` (Keras's name), of shape
    ``(len(thresholds),)``; each update adds the (weighted) number of
    decisions that meet the class's condition at every threshold.
    """

    #: Which of the four counts (:data:`COUNTS`) this class keeps.
    _which = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._use_thresholds(thresholds, default=0.5)
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.accumulator.assign_add(self._count(y_true, y_pred, sample_weight)[self._which])

    def result(self):
        return one_or_all(self.accumulator.value)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    r"""The (weighted) number of positives predicted positive.

    .. math:: TP_t = \sum_i w_i\,[y_i \ne 0]\,[\hat y_i > t]

    Parameters
    ----------
    thresholds : float, list of float or None
        Decision threshold(s) in [0, 1]; ``None`` is 0.5. A list gives one
        count per threshold (``result()`` is then an array).
    name : str or None
        ``None`` gives ``"true_positives"``, then ``"true_positives_1"``, ...
    dtype : str or None
        Dtype of the counter.

    Examples
    --------
    >>> m = TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> m.result()
    2.0
    """

    _which = "true_positives"


class FalsePositives(_ConfusionMatrixConditionCount):
    r"""The (weighted) number of negatives predicted positive.

    .. math:: FP_t = \sum_i w_i\,[y_i = 0]\,[\hat y_i > t]

    Parameters are those of :class:`TruePositives` (default name
    ``"false_positives"``).

    Examples
    --------
    >>> m = FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
    >>> m.result()
    2.0
    """

    _which = "false_positives"


class TrueNegatives(_ConfusionMatrixConditionCount):
    r"""The (weighted) number of negatives predicted negative.

    .. math:: TN_t = \sum_i w_i\,[y_i = 0]\,[\hat y_i \le t]

    Parameters are those of :class:`TruePositives` (default name
    ``"true_negatives"``).

    Examples
    --------
    >>> m = TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> m.result()
    2.0
    """

    _which = "true_negatives"


class FalseNegatives(_ConfusionMatrixConditionCount):
    r"""The (weighted) number of positives predicted negative.

    .. math:: FN_t = \sum_i w_i\,[y_i \ne 0]\,[\hat y_i \le t]

    Parameters are those of :class:`TruePositives` (default name
    ``"false_negatives"``).

    Examples
    --------
    >>> m = FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> m.result()
    2.0
    """

    _which = "false_negatives"


class _PrecisionRecallBase(_ConfusionMetric):
    r"""Shared by Precision and Recall: :math:`TP / (TP + X)` with :math:`X` the second counter.

    Thresholds, ``top_k`` and ``class_id`` choose the decisions; the two
    counters have one entry per threshold.
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.top_k = None if top_k is None else check_positive_int(type(self).__name__,
                                                                   "top_k", top_k)
        self.class_id = class_id
        # With top_k, every kept score counts as a positive prediction.
        self._use_thresholds(thresholds, default=0.5 if top_k is None else NEG_INF)
        self._add_counters((len(self.thresholds),))

    def result(self):
        true_positives, others = (getattr(self, counter).value for counter in self._counters)
        return one_or_all(divide_no_nan(true_positives, true_positives + others))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecallBase):
    r"""Of the samples predicted positive, the fraction that are positive.

    .. math:: \text{precision} = \frac{TP}{TP + FP}, \qquad
              \text{positive prediction: } \hat y > t

    Parameters
    ----------
    thresholds : float, list of float or None
        Decision threshold(s) in [0, 1]; ``None`` is 0.5. A list gives one
        precision per threshold (``result()`` is then an array).
    top_k : int or None
        Only the ``k`` best-scored classes of each sample count as predicted.
    class_id : int or None
        Measure this one class of a multi-class output.
    name : str or None
        ``None`` gives ``"precision"``, then ``"precision_1"``, ...

    Examples
    --------
    >>> m = Precision()
    >>> m.update_state([0, 1, 1, 0], [1, 0, 1, 0])
    >>> m.result()
    0.5
    """

    _counters = ("true_positives", "false_positives")


class Recall(_PrecisionRecallBase):
    r"""Of the positive samples, the fraction predicted positive.

    .. math:: \text{recall} = \frac{TP}{TP + FN}, \qquad
              \text{positive prediction: } \hat y > t

    Parameters are those of :class:`Precision`; ``None`` names it
    ``"recall"``, then ``"recall_1"``, ...
    """

    _counters = ("true_positives", "false_negatives")


# ============================================================ curves
_CURVES = {"ROC": "ROC", "roc": "ROC", "PR": "PR", "pr": "PR", "PRGAIN": "PRGAIN",
           "prgain": "PRGAIN"}
_SUMMATIONS = {"interpolation": "interpolation", "Interpolation": "interpolation",
               "majoring": "majoring", "Majoring": "majoring",
               "minoring": "minoring", "Minoring": "minoring"}


class AUC(_ConfusionMetric):
    r"""Area under the ROC (or precision-recall) curve, from counts at fixed thresholds.

    The thresholds are :math:`t_0 = -\epsilon`, :math:`t_j = j/(n-1)` for
    :math:`j = 1..n-2`, and :math:`t_{n-1} = 1+\epsilon`. At each threshold
    the confusion counts give a point of the curve -- for ROC
    :math:`x_j = FP_j/(FP_j+TN_j)`, :math:`y_j = TP_j/(TP_j+FN_j)` -- and
    the area is a Riemann sum over consecutive points:

    .. math:: \text{AUC} = \sum_{j=0}^{n-2} (x_j - x_{j+1})\, h_j, \qquad
              h_j = \tfrac12 (y_j + y_{j+1}) \text{ (interpolation)},

    or :math:`\min` / :math:`\max` of the two heights (``"minoring"`` /
    ``"majoring"``). For ``curve="PR"`` with interpolation the precision
    is interpolated along the curve (Davis & Goadrich, 2006).

    Parameters
    ----------
    num_thresholds : int
        Number of thresholds, at least 2 (default 200).
    curve : {"ROC", "PR", "PRGAIN"}
    summation_method : {"interpolation", "minoring", "majoring"}
    name, dtype
        As for every metric; ``None`` names it ``"auc"``, ``"auc_1"``, ...
    thresholds : list of float or None
        Inner thresholds to use instead of evenly spaced ones.
    multi_label : bool
        Treat each column of ``y_pred`` as its own label and average the AUCs.
    num_labels : int or None
        Number of labels, when ``multi_label`` (else learnt from the first batch).
    label_weights : list of float or None
        Weights of the labels when averaging (``multi_label``), or of each
        column's contribution to the counts (otherwise).
    from_logits : bool
        Apply a sigmoid to ``y_pred`` first.

    Examples
    --------
    >>> m = AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        self.curve = _choose("AUC", "curve", curve, _CURVES)
        self.summation_method = _choose("AUC", "summation_method", summation_method,
                                        _SUMMATIONS)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(check_thresholds("AUC", thresholds))
        else:
            hint = "it must be at least 2; the default is 200."
            num_thresholds = check_positive_int("AUC", "num_thresholds", num_thresholds, hint)
            if num_thresholds < 2:
                raise ValueError(f"AUC: `num_thresholds` must be at least 2, got 1. Hint: {hint}")
            inner = evenly_spaced(num_thresholds)
        self.num_thresholds = len(inner) + 2
        eps = backend.epsilon()
        self._thresholds = np.array([0.0 - eps] + inner + [1.0 + eps])
        if num_labels is not None and not multi_label:
            raise ValueError("AUC: `num_labels` is only used with multi_label=True, got "
                             f"num_labels={num_labels!r} and multi_label=False.")
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = (None if label_weights is None
                              else backend.asarray(label_weights, dtype=self.dtype))
        self.from_logits = from_logits
        self._built = False
        if not multi_label or num_labels:
            self._build(num_labels)

    @property
    def thresholds(self):
        """All thresholds, the two outer ones included."""
        return self._thresholds.tolist()

    _counters = COUNTS

    def _build(self, num_labels):
        """Create the four counters: ``(T,)``, or ``(T, L)`` with one column per label."""
        self._add_counters((self.num_thresholds, num_labels) if self.multi_label
                           else (self.num_thresholds,))
        self._built = True

    def _decisions(self, y_true, y_pred, weights):
        """Scores as probabilities in [0, 1]; ``label_weights`` folded into the weights."""
        if self.multi_label and y_pred.ndim != 2:
            raise ValueError(f"{self.name}: multi_label=True needs y_pred of shape "
                             f"(N, num_labels), got shape {y_pred.shape}.")
        if not self._built:
            self._build(y_pred.shape[1])
        if self.from_logits:
            y_pred = 1.0 / (1.0 + np.exp(-y_pred))
        # The outer thresholds sit just past 0 and 1; Keras clips the scores to [0, 1].
        y_pred = np.clip(y_pred, 0.0, 1.0)
        if self.label_weights is not None and not self.multi_label:
            # Each column's decisions count with its label's weight.
            weights = weights * broadcast_weights(self.name, self.label_weights, y_pred.shape)
        return y_true, y_pred, weights

    def result(self):
        if not self._built:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = self._interpolated_pr_areas()
        else:
            x, y = self._curve_points()
            areas = np.sum((x[:-1] - x[1:]) * self._heights(y), axis=0)
        return to_python(self._average_over_labels(areas))

    def _curve_points(self):
        """The (x, y) points of the chosen curve, one per threshold."""
        rates = self._rates()
        if self.curve == "ROC":
            return rates["fall_out"], rates["recall"]
        if self.curve == "PR":
            return rates["recall"], rates["precision"]
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        # PR-gain (Flach & Kull, 2015): rescale both axes by the class ratio.
        ratio = divide_no_nan(tp + fn, tn + fp)
        recall_gain = np.where(tp == 0, 0.0, 1.0 - ratio * divide_no_nan(fn, tp))
        precision_gain = np.where(tp == 0, 1.0, 1.0 - ratio * divide_no_nan(fp, tp))
        return np.maximum(recall_gain, 0.0), precision_gain

    def _heights(self, y):
        """Height of each Riemann-sum slice between consecutive thresholds."""
        if self.summation_method == "interpolation":
            return (y[:-1] + y[1:]) / 2
        if self.summation_method == "minoring":
            return np.minimum(y[:-1], y[1:])
        return np.maximum(y[:-1], y[1:])

    def _interpolated_pr_areas(self):
        r"""PR area with precision interpolated between thresholds (Davis & Goadrich).

        Between two thresholds the true positives grow linearly with the
        predicted positives :math:`p`: :math:`TP = a + s\,p`. Integrating
        precision :math:`TP/p` over recall :math:`TP/(TP+FN)` along that line
        gives :math:`s\,(\Delta TP + a \ln(p_j/p_{j+1})) / (TP+FN)`.
        """
        tp, fp, fn = (self.true_positives.value, self.false_positives.value,
                      self.false_negatives.value)
        p = tp + fp
        d_tp, d_p = tp[:-1] - tp[1:], p[:-1] - p[1:]
        slope = divide_no_nan(d_tp, np.maximum(d_p, 0))
        intercept = tp[1:] - slope * p[1:]
        both_positive = (p[:-1] > 0) & (p[1:] > 0)
        p_ratio = np.where(both_positive, divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        increments = divide_no_nan(slope * (d_tp + intercept * np.log(p_ratio)),
                                   np.maximum(tp[1:] + fn[1:], 0))
        return np.sum(increments, axis=0)

    def _average_over_labels(self, areas):
        """One AUC: the labels' mean (or label-weighted mean) when ``multi_label``."""
        if not self.multi_label:
            return areas
        if self.label_weights is None:
            return np.mean(areas)
        return divide_no_nan(np.sum(areas * self.label_weights), np.sum(self.label_weights))

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype,
                  "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels,
                  "label_weights": (None if self.label_weights is None
                                    else self.label_weights.tolist()),
                  "from_logits": self.from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


def _choose(owner, argument, value, choices):
    """Look ``value`` up in ``choices``, or raise naming the argument and the options."""
    if value not in choices:
        options = sorted(set(choices.values()))
        raise ValueError(f"{owner}: unknown `{argument}` {value!r}; expected one of "
                         f"{options}.{did_you_mean(value, options)}")
    return choices[value]


# ========================================= one rate at a bound on another
class SensitivitySpecificityBase(_ConfusionMetric):
    r"""Shared by the "best X while Y stays at least v" metrics.

    The four confusion counts are kept at ``num_thresholds`` evenly spaced
    thresholds :math:`t_j = j/(T-1)`, from exactly 0 to exactly 1 (one
    threshold, 0.5, when ``num_thresholds=1``). At the end each subclass
    picks two rates from the counts, a *constrained* :math:`c_j` and a
    *dependent* :math:`d_j`, and reports

    .. math:: \text{result} = \max\Big(0,\; \max_{j \,:\, c_j \ge v} d_j\Big),

    0 when no threshold meets the bound :math:`v`.

    Parameters
    ----------
    value : float
        The bound :math:`v`, in [0, 1].
    num_thresholds : int
        Number of thresholds, >= 1 (default 200).
    class_id : int or None
        Measure this one class (column) of a multi-class output.
    name : str or None
        ``None`` gives the snake-case class name, made unique.
    dtype : str or None
    """

    _counters = COUNTS
    #: The rate bounded by ``value`` (a key of ``_rates()``), named as Keras names the argument.
    _value_name = "value"
    #: The rate maximised (a key of ``_rates()``).
    _dependent = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        if (isinstance(value, bool) or not isinstance(value, (int, float, np.number))
                or not 0 <= value <= 1):
            raise ValueError(f"{owner}: `{self._value_name}` must be a number in [0, 1], got "
                             f"{value!r}.")
        num_thresholds = check_positive_int(owner, "num_thresholds", num_thresholds,
                                            "the default is 200 evenly spaced thresholds.")
        super().__init__(name=name, dtype=dtype)
        self.value = float(value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        self.thresholds = ([0.5] if num_thresholds == 1
                           else [0.0] + evenly_spaced(num_thresholds) + [1.0])
        self._add_counters((len(self.thresholds),))

    def result(self):
        rates = self._rates()
        return self._find_max_under_constraint(rates[self._value_name], rates[self._dependent])

    def _find_max_under_constraint(self, constrained, dependent):
        """The largest dependent rate among thresholds where ``constrained >= value``."""
        feasible = constrained >= self.value
        return float(np.max(np.where(feasible, dependent, 0), initial=0))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._value_name: self.value}


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    r"""The best sensitivity (recall) over thresholds whose specificity is at least ``v``.

    .. math:: \max_{j \,:\, TN_j/(TN_j+FP_j) \ge v} \; TP_j/(TP_j+FN_j)

    Parameters
    ----------
    specificity : float
        The bound, in [0, 1].
    num_thresholds, class_id, name, dtype
        See :class:`SensitivitySpecificityBase`.

    Examples
    --------
    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    0.5
    """

    _value_name, _dependent = "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)
        self.specificity = self.value


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    r"""The best specificity over thresholds whose sensitivity is at least ``v``.

    .. math:: \max_{j \,:\, TP_j/(TP_j+FN_j) \ge v} \; TN_j/(TN_j+FP_j)

    Parameters
    ----------
    sensitivity : float
        The bound, in [0, 1].
    num_thresholds, class_id, name, dtype
        See :class:`SensitivitySpecificityBase`.

    Examples
    --------
    >>> m = SpecificityAtSensitivity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> round(m.result(), 5)
    0.66667
    """

    _value_name, _dependent = "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)
        self.sensitivity = self.value


class PrecisionAtRecall(SensitivitySpecificityBase):
    r"""The best precision over thresholds whose recall is at least ``v``.

    .. math:: \max_{j \,:\, TP_j/(TP_j+FN_j) \ge v} \; TP_j/(TP_j+FP_j)

    Parameters
    ----------
    recall : float
        The bound, in [0, 1].
    num_thresholds, class_id, name, dtype
        See :class:`SensitivitySpecificityBase`.

    Examples
    --------
    >>> m = PrecisionAtRecall(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    0.5
    """

    _value_name, _dependent = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)
        self.recall = self.value


class RecallAtPrecision(SensitivitySpecificityBase):
    r"""The best recall over thresholds whose precision is at least ``v``.

    .. math:: \max_{j \,:\, TP_j/(TP_j+FP_j) \ge v} \; TP_j/(TP_j+FN_j)

    Parameters
    ----------
    precision : float
        The bound, in [0, 1].
    num_thresholds, class_id, name, dtype
        See :class:`SensitivitySpecificityBase`.

    Examples
    --------
    >>> m = RecallAtPrecision(0.8)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> m.result()
    0.5
    """

    _value_name, _dependent = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)
        self.precision = self.value
