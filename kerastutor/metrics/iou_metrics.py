r"""Intersection over union: how well predicted regions (or labels) overlap the true ones.

Every metric here accumulates one weighted confusion matrix :math:`M` of
class labels (rows: true class, columns: predicted class) and reads the
per-class overlap from it at the end,

.. math:: \text{IoU}_c = \frac{M_{cc}}{\sum_j M_{cj} + \sum_i M_{ic} - M_{cc}}
                       = \frac{TP_c}{TP_c + FP_c + FN_c},

averaged over the classes asked for. Labels may be a segmentation map:
every pixel counts as one decision.
"""
import warnings

import numpy as np

from kerastutor import backend
from kerastutor.metrics.metric import Metric, check_number, check_positive_int


class _IoUBase(Metric):
    r"""Shared by the IoU metrics: a weighted confusion matrix of class labels.

    Entry :math:`(i, j)` of ``total_cm`` holds the weight of the samples of
    true class :math:`i` predicted as class :math:`j`. Labels outside
    ``0..num_classes-1``, and samples of ``ignore_class``, are left out.

    As in Keras 3 the matrix is kept in ``dtype``, which defaults to an
    **integer** type ("int64"): fractional sample weights are truncated
    towards zero (a weight of 0.3 counts as 0). Pass ``dtype="float32"`` for
    fractional weights.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        owner = type(self).__name__
        num_classes = check_positive_int(owner, "num_classes", num_classes,
                                         "the number of classes the labels can take.")
        super().__init__(name=name)
        self.dtype = _count_dtype(owner, dtype)
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes),
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = self._labels(y_true, y_pred)
        weights = self._label_weights(sample_weight, y_true.shape)
        # Keras converts the labels to the matrix dtype (whole numbers when it is int),
        # then counts every label of the batch as one decision.
        y_true = y_true.astype(self.dtype).ravel()
        y_pred = y_pred.astype(self.dtype).ravel()
        weights = weights.ravel()
        in_bounds = ((y_true >= 0) & (y_true < self.num_classes)
                     & (y_pred >= 0) & (y_pred < self.num_classes))
        if self.ignore_class is not None:
            in_bounds &= y_true != self.ignore_class
        cells = (y_true[in_bounds].astype(np.int64) * self.num_classes
                 + y_pred[in_bounds].astype(np.int64))
        counts = np.bincount(cells, weights=weights[in_bounds].astype(np.float64),
                             minlength=self.num_classes ** 2)
        self.total_cm.assign_add(
            counts.reshape(self.num_classes, self.num_classes).astype(self.dtype))

    def _labels(self, y_true, y_pred):
        """One class label per decision on each side (an argmax for one-hot or scores)."""
        y_true, y_pred = backend.asarray(y_true), backend.asarray(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, axis=self.axis)
        if y_true.size != y_pred.size:
            raise ValueError(
                f"{self.name}: y_true holds {y_true.size} labels but y_pred holds "
                f"{y_pred.size}. Hint: pass sparse_y_true/sparse_y_pred=False for one-hot "
                "or score arrays, so that the argmax gives one label per sample.")
        return y_true, y_pred

    def _label_weights(self, sample_weight, shape):
        """One weight per label, in the matrix dtype; a sample's weight covers all its labels."""
        if sample_weight is None:
            return np.ones(shape, dtype=self.dtype)
        weights = backend.asarray(sample_weight)
        if np.dtype(self.dtype).kind in "iu" and np.any(weights != np.trunc(weights)):
            warnings.warn(f"{self.name}: fractional sample weights are truncated to "
                          f"integers, because the metric's dtype is {self.dtype}. Hint: "
                          "pass dtype='float32' to the metric.", stacklevel=3)
        # One weight per sample is spread over that sample's labels (e.g. pixels).
        given = weights.shape
        weights = weights.astype(self.dtype)
        if 0 < weights.ndim < len(shape):
            weights = weights.reshape(given + (1,) * (len(shape) - weights.ndim))
        try:
            return np.broadcast_to(weights, shape)
        except ValueError:
            raise ValueError(
                f"{self.name}: sample_weight of shape {given} does not fit labels of "
                f"shape {shape}. Hint: give one weight per sample, shape "
                f"({shape[0] if shape else 1},), or one per label, shape "
                f"{shape}.") from None


def _count_dtype(owner, dtype):
    """The dtype of a confusion matrix: Keras's ``"int"`` (int64) unless a number type is given."""
    if dtype is None or dtype == "int":
        return "int64"
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        kind = None
    if kind not in ("f", "i", "u"):
        raise ValueError(f"{owner}: `dtype` must be a number type such as 'int64' or "
                         f"'float32', got {dtype!r}.")
    return np.dtype(dtype).name


class IoU(_IoUBase):
    r"""Intersection over union, averaged over the classes in ``target_class_ids``.

    From the accumulated confusion matrix :math:`M` (rows: true class,
    columns: predicted class):

    .. math::

        \text{IoU}_c = \frac{M_{cc}}{\sum_j M_{cj} + \sum_i M_{ic} - M_{cc} + \epsilon}
                     = \frac{TP_c}{TP_c + FP_c + FN_c},

    and the result is the mean of :math:`\text{IoU}_c` over the target
    classes whose denominator is not 0 (:math:`\epsilon = 10^{-7}` as in Keras).

    Parameters
    ----------
    num_classes : int
        Number of classes; the matrix is ``num_classes x num_classes``.
    target_class_ids : list of int
        Classes to average over.
    name : str or None
        ``None`` gives ``"io_u"`` (Keras's snake-case of ``IoU``), made unique.
    dtype : str or None
        Dtype of the matrix; ``None`` is int64, as in Keras (see :class:`_IoUBase`).
    ignore_class : int or None
        A true label whose samples are left out (e.g. a "void" class).
    sparse_y_true, sparse_y_pred : bool
        ``False`` takes the argmax over ``axis`` to get labels (default True).
    axis : int
        The class axis for the argmax (default -1).

    Examples
    --------
    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(m.result(), 4)
    0.3333
    """

    #: Arguments a subclass fixes, so Keras leaves them out of its config.
    _fixed_by_class = ()

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        target_class_ids = list(np.ravel(target_class_ids).tolist())
        bad = [c for c in target_class_ids
               if not isinstance(c, int) or not 0 <= c < self.num_classes]
        if not target_class_ids or bad:
            raise ValueError(f"{type(self).__name__}: `target_class_ids` must be class ids in "
                             f"[0, {self.num_classes}), got {target_class_ids}.")
        self.target_class_ids = target_class_ids

    def result(self):
        cm = self.total_cm.value.astype(np.float32)
        true_positives = np.diag(cm)
        denominator = cm.sum(axis=0) + cm.sum(axis=1) - true_positives
        true_positives = true_positives[self.target_class_ids]
        denominator = denominator[self.target_class_ids]
        valid = denominator > 1e-9
        eps = np.float32(backend.epsilon())
        iou = np.where(valid, true_positives / (denominator + eps), np.float32(0))
        return float(np.sum(iou) / (np.sum(valid, dtype=np.float32) + eps))

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                  "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                  "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                  "axis": self.axis}
        for argument in self._fixed_by_class:
            del config[argument]
        return config


class BinaryIoU(IoU):
    r"""IoU of a binary task: scores :math:`\ge` ``threshold`` are class 1, the rest class 0.

    .. math:: \hat c_i = [\hat y_i \ge t], \qquad
              \text{result} = \operatorname{mean}_{c \in \text{targets}} \text{IoU}_c

    Note the comparison is ``>=`` here (``>`` in :class:`BinaryAccuracy`), as in Keras.

    Parameters
    ----------
    target_class_ids : list of int
        ``[0]``, ``[1]`` or ``[0, 1]`` (default ``(0, 1)``: the mean of both).
    threshold : float
        Default 0.5.
    name, dtype
        ``None`` names it ``"binary_io_u"``; the matrix dtype defaults to int64.

    Examples
    --------
    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> round(m.result(), 4)
    0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = check_number("BinaryIoU", "threshold", threshold)

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = (backend.asarray(y_pred, dtype=np.float32) >= self.threshold).astype(self.dtype)
        super().update_state(y_true, predicted, sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                "target_class_ids": self.target_class_ids, "threshold": self.threshold}


class MeanIoU(IoU):
    r"""IoU averaged over every class: :class:`IoU` with ``target_class_ids = range(C)``.

    .. math:: \text{result} = \frac{1}{|\{c : \text{denominator}_c > 0\}|}
                              \sum_c \frac{TP_c}{TP_c + FP_c + FN_c}

    Parameters are those of :class:`IoU` without ``target_class_ids``;
    ``None`` names it ``"mean_io_u"``.

    Examples
    --------
    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(m.result(), 4)
    0.3333
    """

    _fixed_by_class = ("target_class_ids",)

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        num_classes = check_positive_int(type(self).__name__, "num_classes", num_classes)
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotIoU(IoU):
    r""":class:`IoU` for one-hot targets: both sides go through an argmax first.

    .. math:: y_i \to \arg\max_c y_{ic}, \qquad \hat y_i \to \arg\max_c \hat y_{ic}

    Parameters are those of :class:`IoU`, with ``sparse_y_true`` fixed to
    False and ``sparse_y_pred`` defaulting to False; ``None`` names it
    ``"one_hot_io_u"``.

    Examples
    --------
    >>> m = OneHotIoU(num_classes=3, target_class_ids=[0, 2], dtype="float32")
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]],
    ...                sample_weight=[0.1, 0.2, 0.3, 0.4])
    >>> round(m.result(), 4)
    0.0714
    """

    _fixed_by_class = ("sparse_y_true",)

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)


class OneHotMeanIoU(MeanIoU):
    r""":class:`MeanIoU` for one-hot targets: both sides go through an argmax first.

    Parameters are those of :class:`MeanIoU`, with ``sparse_y_true`` fixed
    to False and ``sparse_y_pred`` defaulting to False; ``None`` names it
    ``"one_hot_mean_io_u"``.

    Examples
    --------
    >>> m = OneHotMeanIoU(num_classes=3, dtype="float32")
    >>> m.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]],
    ...                sample_weight=[0.1, 0.2, 0.3, 0.4])
    >>> round(m.result(), 4)
    0.0476
    """

    _fixed_by_class = ("target_class_ids", "sparse_y_true")

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)
