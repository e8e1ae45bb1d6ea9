r"""F-scores: precision and recall of each class, combined into one number per class.

Predictions are first made 0/1 (a threshold, or each row's highest score);
then weighted true positives, false positives and false negatives are
counted per class -- or over all classes at once (``average="micro"``) --
and combined only in ``result()``:

.. math:: F_\beta = (1 + \beta^2)\, \frac{P R}{\beta^2 P + R}.

Targets are one-hot or multi-hot rows; the counts multiply by the targets
themselves, so soft labels count in proportion, as in Keras.
"""
import numpy as np

from kerastutor import backend
from kerastutor.metrics.metric import Metric, broadcast_weights, check_2d, check_same_shape, \
    to_python


_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    r"""The F-beta score per class, or averaged: precision and recall in one number.

    Predictions become 0/1 first: above ``threshold``, or -- with
    ``threshold=None`` -- the row's maximum (when it is not 0). Per class
    :math:`c` the weighted counts :math:`TP_c, FP_c, FN_c` accumulate, and

    .. math::

        P_c = \frac{TP_c}{TP_c + FP_c + \epsilon}, \quad
        R_c = \frac{TP_c}{TP_c + FN_c + \epsilon}, \quad
        F_c = (1 + \beta^2)\, \frac{P_c R_c}{\beta^2 P_c + R_c + \epsilon}.

    ``average=None`` returns every :math:`F_c`; ``"macro"`` their mean;
    ``"weighted"`` their mean weighted by the support
    :math:`\sum_i w_i y_{ic}`; ``"micro"`` sums the counts over all classes
    first and returns one :math:`F`. The :math:`\epsilon = 10^{-7}` terms
    are Keras's, so a perfect score is :math:`1 - O(\epsilon)`.

    Inputs must be 2-D, ``(batch, num_classes)``, with one-hot or multi-hot
    targets; the counters are created at the first update.

    Parameters
    ----------
    average : {None, "micro", "macro", "weighted"}
        How to reduce the per-class scores (default ``None``: no reduction).
    beta : float
        Weight of recall against precision, > 0 (default 1.0).
    threshold : float or None
        In (0, 1]; ``None`` (default) marks each row's arg-max as predicted.
    name : str
        Default ``"fbeta_score"``.
    dtype : str or None
        Dtype of the counters.

    Examples
    --------
    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> np.round(m.result(), 4)
    array([0.3846, 0.9091, 0.8333], dtype=float32)
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        owner = type(self).__name__
        if average not in _AVERAGES:
            raise ValueError(f"{owner}: unknown `average` {average!r}; expected one of None, "
                             "'micro', 'macro', 'weighted'.")
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta <= 0:
            raise ValueError(f"{owner}: `beta` must be a number > 0, got {beta!r}. Hint: "
                             "beta=2.0 weighs recall more, beta=0.5 precision.")
        if threshold is not None and (isinstance(threshold, bool)
                                      or not isinstance(threshold, (int, float))
                                      or not 0 < threshold <= 1):
            raise ValueError(f"{owner}: `threshold` must be a number in (0, 1] or None, got "
                             f"{threshold!r}. Hint: None marks each row's highest score.")
        super().__init__(name=name, dtype=dtype)
        self.average = average
        self.beta = float(beta)
        self.threshold = None if threshold is None else float(threshold)
        # "micro" sums over samples and classes at once; the rest keep one count per class.
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        check_2d(f"{self.name}: {type(self).__name__}", y_true_shape, y_pred_shape,
                 "num_classes", "one-hot encode integer labels with keras.utils.to_categorical.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        for counter in ("true_positives", "false_positives", "false_negatives",
                        "intermediate_weights"):
            setattr(self, counter, self.add_variable(shape, name=counter))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = backend.asarray(y_true, dtype=self.dtype)
        y_pred = backend.asarray(y_pred, dtype=self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        check_same_shape(self.name, y_true, y_pred)
        if self.threshold is None:
            row_max = np.max(y_pred, axis=-1, keepdims=True)
            predicted = (y_pred >= row_max) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(self.dtype)
        if sample_weight is not None:
            weights = backend.asarray(sample_weight, dtype=self.dtype)
            weights = weights.reshape(weights.shape + (1,) * (y_true.ndim - weights.ndim))
            weights = broadcast_weights(self.name, weights, y_true.shape)
        else:
            weights = np.ones_like(y_true)
        self.true_positives.assign_add(np.sum(predicted * y_true * weights, axis=self.axis))
        self.false_positives.assign_add(
            np.sum(predicted * (1 - y_true) * weights, axis=self.axis))
        self.false_negatives.assign_add(
            np.sum((1 - predicted) * y_true * weights, axis=self.axis))
        self.intermediate_weights.assign_add(np.sum(y_true * weights, axis=self.axis))

    def result(self):
        if not self._built:
            return 0.0
        eps = backend.epsilon()
        tp, fp, fn = (self.true_positives.value, self.false_positives.value,
                      self.false_negatives.value)
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        beta2 = self.beta ** 2
        score = (1 + beta2) * precision * recall / (beta2 * precision + recall + eps)
        if self.average == "weighted":
            support = self.intermediate_weights.value
            score = np.sum(score * support / (np.sum(support) + eps))
        elif self.average is not None:
            score = np.mean(score)
        return to_python(backend.asarray(score, dtype=self.dtype))

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "average": self.average,
                "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    r"""The F-1 score: :class:`FBetaScore` with :math:`\beta = 1`, the harmonic mean.

    .. math:: F_c = \frac{2 P_c R_c}{P_c + R_c}

    Parameters
    ----------
    average : {None, "micro", "macro", "weighted"}
        See :class:`FBetaScore` (default ``None``: one score per class).
    threshold : float or None
        See :class:`FBetaScore` (default ``None``: each row's arg-max).
    name : str
        Default ``"f1_score"``.

    Examples
    --------
    >>> m = F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> np.round(m.result(), 4)
    array([0.5   , 0.8   , 0.6667], dtype=float32)
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
