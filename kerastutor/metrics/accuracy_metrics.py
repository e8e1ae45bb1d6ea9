r"""Accuracy: how often a prediction hits its target, as a weighted mean of 0s and 1s.

Each accuracy is a per-sample function :math:`v_i \in \{0, 1\}` -- exact
equality, a threshold, an argmax, or a place among the ``k`` best scores --
averaged by :class:`~kerastutor.metrics.Mean`:

.. math:: \text{accuracy} = \frac{\sum_i w_i\, v_i}{\sum_i w_i}.

``compile(metrics=["accuracy"])`` picks one of these from the shapes of
targets and predictions (see :func:`kerastutor.metrics.resolve_accuracy`).
"""
import numpy as np

from kerastutor import backend
from kerastutor.metrics.metric import check_number, check_positive_int, check_same_batch, \
    match_ranks
from kerastutor.metrics.reduction_metrics import FixedMeanMetricWrapper

_TOP_K_HINT = "k=5 counts a hit when the true class is among the 5 best scores."


# ================================================ per-sample accuracy functions
def accuracy(y_true, y_pred):
    r"""1 where a prediction equals its target exactly, else 0.

    .. math:: v_i = [\,\hat y_i = y_i\,]

    Meant for predictions that are already labels; a trailing axis of 1 on
    either side is lined up first.
    """
    y_pred = backend.asarray(y_pred)
    y_true, y_pred = match_ranks(backend.asarray(y_true), y_pred)
    return np.equal(y_true, y_pred).astype(backend.floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    r"""1 where the thresholded prediction equals the 0/1 target, else 0.

    .. math:: v_{ij} = [\,[\hat y_{ij} > t] = y_{ij}\,]

    The comparison is *strict*: a prediction of exactly 0.5 counts as class 0.
    One value per prediction is returned; :class:`Mean` averages the rest.
    """
    y_true, y_pred = match_ranks(backend.asarray(y_true), backend.asarray(y_pred))
    return np.equal(y_pred > threshold, y_true).astype(backend.floatx())


def categorical_accuracy(y_true, y_pred):
    r"""1 where the predicted class matches the one-hot target's class, else 0.

    .. math:: v_i = [\,\arg\max_c y_{ic} = \arg\max_c \hat y_{ic}\,]

    ``y_pred`` may be logits or probabilities: both have the same argmax.
    """
    y_true, y_pred = backend.asarray(y_true), backend.asarray(y_pred)
    check_same_batch("categorical_accuracy", y_true, y_pred)
    matches = np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)
    return matches.astype(backend.floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    r"""1 where the predicted class equals the integer label, else 0.

    .. math:: v_i = [\,y_i = \arg\max_c \hat y_{ic}\,]

    Labels may be integers or whole floats, shaped ``(N,)`` or ``(N, 1)``
    (the trailing 1 is squeezed).
    """
    y_pred = backend.asarray(y_pred)
    labels = _squeeze_labels(backend.asarray(y_true), y_pred)
    check_same_batch("sparse_categorical_accuracy", labels, y_pred)
    return np.equal(labels, np.argmax(y_pred, axis=-1)).astype(backend.floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    r"""1 where the one-hot target's class is among the ``k`` highest scores, else 0.

    .. math:: v_i = [\,\#\{c : \hat y_{ic} > \hat y_{i,c^*_i}\} < k\,],
              \quad c^*_i = \arg\max_c y_{ic}

    Classes tied with the true class count in its favour.
    """
    y_true, y_pred = backend.asarray(y_true), backend.asarray(y_pred)
    check_same_batch("top_k_categorical_accuracy", y_true, y_pred)
    return _in_top_k(np.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    r"""1 where the integer label is among the ``k`` highest scores, else 0.

    .. math:: v_i = [\,\#\{c : \hat y_{ic} > \hat y_{i y_i}\} < k\,]

    Classes tied with the true class count in its favour. Labels outside
    ``0..C-1`` never count as a hit.

    With ``from_sorted_ids=True``, ``y_pred`` holds, per sample, the IDs of
    its best categories already sorted from best to worst (``(N, M)``, any
    ``M``; the IDs need not be ``0..C-1``), and a hit is the label among the
    first ``k`` of them:

    .. math:: v_i = [\,y_i \in \{\hat y_{i1}, \dots, \hat y_{ik}\}\,]
    """
    labels, y_pred = backend.asarray(y_true), backend.asarray(y_pred)
    check_same_batch("sparse_top_k_categorical_accuracy", labels, y_pred)
    if from_sorted_ids:
        return _in_first_k_ids(labels, y_pred, k)
    return _in_top_k(labels.astype(np.int64, copy=False), y_pred, k)


def _in_first_k_ids(labels, sorted_ids, k):
    """Whether each label is one of the first ``k`` IDs of its row (a repeat counts once)."""
    shape = labels.shape
    first_k = sorted_ids.reshape(-1, sorted_ids.shape[-1])[:, :k]
    hits = np.any(labels.reshape(-1, 1) == first_k, axis=-1)
    return hits.astype(backend.floatx()).reshape(shape)


def _squeeze_labels(y_true, y_pred):
    """``(N, 1)`` integer labels become ``(N,)`` when ``y_pred`` is ``(N, C)``."""
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        return y_true[..., 0]
    return y_true


def _in_top_k(labels, scores, k):
    """Whether each label's score is beaten by fewer than ``k`` other classes.

    Counting the classes that score *strictly* higher than the true one
    makes ties count as hits, as Keras's ``in_top_k`` does.
    """
    shape = labels.shape
    scores = scores.reshape(-1, scores.shape[-1])
    labels = labels.reshape(-1)
    num_classes = scores.shape[-1]
    valid = (labels >= 0) & (labels < num_classes)
    safe_labels = np.where(valid, labels, 0)
    true_scores = np.take_along_axis(scores, safe_labels[:, None], axis=-1)
    beaten_by = np.count_nonzero(scores > true_scores, axis=-1)
    return ((beaten_by < k) & valid).astype(backend.floatx()).reshape(shape)


# ====================================================== accuracy metrics
class Accuracy(FixedMeanMetricWrapper):
    """How often predictions equal their targets exactly (see :func:`accuracy`).

    Examples
    --------
    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    0.75
    """

    _fn = accuracy

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class BinaryAccuracy(FixedMeanMetricWrapper):
    r"""How often ``y_pred > threshold`` matches the 0/1 target (see :func:`binary_accuracy`).

    Parameters
    ----------
    threshold : float
        Predictions strictly above it count as class 1 (default 0.5).

    Examples
    --------
    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> m.result()
    0.75
    """

    _fn, _options = binary_accuracy, ("threshold",)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        threshold = check_number("BinaryAccuracy", "threshold", threshold)
        super().__init__(name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(FixedMeanMetricWrapper):
    """How often the argmax of ``y_pred`` hits the one-hot target.

    See :func:`categorical_accuracy`.

    Examples
    --------
    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    _fn = categorical_accuracy

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SparseCategoricalAccuracy(FixedMeanMetricWrapper):
    """How often the argmax of ``y_pred`` equals the integer label.

    See :func:`sparse_categorical_accuracy`.

    Examples
    --------
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    _fn = sparse_categorical_accuracy

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class _TopKAccuracy(FixedMeanMetricWrapper):
    """Shared by the two top-k accuracies: ``k`` is checked, passed on and kept in the config."""

    _options = ("k",)

    def __init__(self, k, name, dtype):
        k = check_positive_int(type(self).__name__, "k", k, _TOP_K_HINT)
        super().__init__(name=name, dtype=dtype, k=k)


class TopKCategoricalAccuracy(_TopKAccuracy):
    """How often the one-hot target is among the ``k`` best-scored classes.

    See :func:`top_k_categorical_accuracy`.

    Parameters
    ----------
    k : int
        How many of the highest scores count as a hit (default 5).

    Examples
    --------
    >>> m = TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    _fn = top_k_categorical_accuracy

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(k, name, dtype)


class SparseTopKCategoricalAccuracy(_TopKAccuracy):
    """How often the integer label is among the ``k`` best-scored classes.

    See :func:`sparse_top_k_categorical_accuracy`; ``k`` (default 5) is as
    in :class:`TopKCategoricalAccuracy`. With ``from_sorted_ids=True``,
    ``y_pred`` is each sample's category IDs sorted from the best score down
    (what a retrieval model returns) instead of one score per category.

    Examples
    --------
    >>> m = SparseTopKCategoricalAccuracy(k=2)
    >>> m([2, 0], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    1.0
    >>> m = SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    >>> m([1, 2], [[1, 0, 3], [0, 3, 2]])
    0.5
    """

    _fn = sparse_top_k_categorical_accuracy

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        k = check_positive_int(type(self).__name__, "k", k, _TOP_K_HINT)
        FixedMeanMetricWrapper.__init__(self, name=name, dtype=dtype, k=k,
                                        from_sorted_ids=bool(from_sorted_ids))

    def get_config(self):
        config = super().get_config()
        if self.from_sorted_ids:                 # Keras writes it only when it is on
            config["from_sorted_ids"] = True
        return config
