r"""Probabilistic losses: predicted probabilities (or their logits) against targets.

The crossentropies measure :math:`-\log` of the probability given to the
truth; Keras clips probabilities to :math:`[\epsilon, 1 - \epsilon]` first,
and the gradient is 0 wherever that clip acts. With ``from_logits=True`` the
sigmoid or softmax is folded into the loss, which is both more accurate and
gives the famous :math:`\hat y - y`. The focal variants scale each term by how
badly it is predicted; the Kullback-Leibler divergence and the Poisson loss
compare distributions and counts.
"""

import numpy as np

from kerastutor import backend
from kerastutor.losses.loss import (Loss, _check_axis, _check_bool, _check_real,
                                    _checked_before_upload, _dot_last, _invalid,
                                    _output_shape, _same_rank_shapes,
                                    squeeze_or_expand_to_same_rank)


# ======================================================================= helpers
def _clip_range(dtype):
    r"""Keras's clip range :math:`[\epsilon, 1 - \epsilon]`, rounded to ``dtype``.

    Keras clips in float32, where :math:`1 - 10^{-7}` rounds to 0.99999988;
    so :math:`-\log(1 - p)` at :math:`p = 1` is 15.9424, not 16.1181.
    """
    eps = backend.epsilon()
    return dtype.type(eps), dtype.type(1.0 - eps)


def _at_labels(array, true_class):
    """``np.take_along_axis(array, true_class, axis=-1)``: each row's entry in its label's
    column, shape ``(rows, 1)``.

    Speed-up for a batch of rows (a 2-D NumPy array): one fancy index with a remembered
    row range instead of NumPy's general index builder, which costs about 3 us a call --
    and the sparse cross-entropy asks three to four times a step, on an Iris step of
    about 200 us (``benchmarks/bench_training.py iris``). The same entries either way.
    """
    if type(array) is np.ndarray and array.ndim == 2:
        return array[_row_range(len(array)), true_class[:, 0]][:, None]
    return np.take_along_axis(array, true_class, axis=-1)


def _set_at_labels(array, true_class, values):
    """``np.put_along_axis(array, true_class, values, axis=-1)``, with the speed-up of
    :func:`_at_labels`."""
    if type(array) is np.ndarray and array.ndim == 2:
        array[_row_range(len(array)), true_class[:, 0]] = values[:, 0]
    else:
        np.put_along_axis(array, true_class, values, axis=-1)


_ROW_RANGES = {}


def _row_range(rows):
    """``np.arange(rows)``, made once per batch size (a fit sees one or two)."""
    if rows not in _ROW_RANGES:
        if len(_ROW_RANGES) > 64:                # predict on many sizes: start afresh
            _ROW_RANGES.clear()
        _ROW_RANGES[rows] = np.arange(rows)
    return _ROW_RANGES[rows]


def _log_softmax(logits):
    r"""Stable :math:`\log \mathrm{softmax}(x)` over the last axis, and the softmax.

    Subtracting :math:`\max_j x_j` first changes nothing mathematically but
    keeps :math:`e^x` from overflowing.
    """
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=-1, keepdims=True)
    shifted -= np.log(total)                     # the buffer now holds log-softmax
    exp /= total                                 # ... and this one the softmax
    return shifted, exp


def _normalize_and_clip(probs):
    r"""Keras's two safety steps for probabilities: :math:`q = \mathrm{clip}(p / \sum p)`.

    Returns ``q``, the row sums :math:`S = \sum_j p_j` and where the clip left
    ``q`` alone (the only places a gradient flows).
    """
    low, high = _clip_range(probs.dtype)
    total = probs.sum(axis=-1, keepdims=True)
    q = probs / total
    unclipped = (q >= low) & (q <= high)
    np.clip(q, low, high, out=q)
    return q, total, unclipped


def _is_integer_valued(y):
    """True if every entry of ``y`` is a whole number (labels such as 0, 1, 2)."""
    return y.dtype.kind in "biu" or bool(np.all(np.mod(y, 1) == 0))


def _value_range(y):
    return f"{y.min():g}..{y.max():g}"


# ================================================================= crossentropy
class _Crossentropy(Loss):
    r"""Shared arguments of the crossentropies: ``from_logits``, ``axis``, ``label_smoothing``.

    ``binary`` tells the two kinds apart: yes/no entries (a sigmoid; smoothing
    pulls targets towards 1/2) or one-of-:math:`K` rows (a softmax; towards
    :math:`1/K`). The sparse crossentropy has no ``label_smoothing`` (``None``).
    """

    #: True for yes/no entries, False for one-of-K rows.
    binary = False

    _SHAPE_HINTS = {True: "Hint: one target per output unit, e.g. shape (batch, 1) for a "
                          "Dense(1, activation='sigmoid').",
                    False: "Hint: one-hot targets need one column per class; integer labels "
                           "need sparse_categorical_crossentropy."}

    def __init__(self, from_logits, axis, reduction, name, dtype, label_smoothing=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        owner = type(self).__name__
        self.from_logits = _check_bool(owner, "from_logits", from_logits)
        self.axis = _check_axis(owner, axis)
        self.label_smoothing = None if label_smoothing is None else _check_real(
            owner, "label_smoothing", label_smoothing, 0.0, 1.0)

    def _targets(self, y_true, y_pred):
        r"""The targets, checked against ``y_pred``'s shape and smoothed.

        Smoothing by :math:`\varepsilon` gives :math:`y(1 - \varepsilon) + \varepsilon / K`,
        with :math:`K = 2` for yes/no entries and the number of classes otherwise.
        """
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true has shape {y_true.shape} but y_pred has "
                             f"shape {y_pred.shape}; they must be equal. "
                             + self._SHAPE_HINTS[self.binary])
        if not self.label_smoothing:
            return y_true
        classes = 2 if self.binary else y_pred.shape[-1]
        return y_true * (1.0 - self.label_smoothing) + self.label_smoothing / classes

    def _warn_one_class(self, shape):
        """Keras's warning for a one-of-K loss with K = 1 (called by fit's target check and
        by every forward; the batch axis shows as None, so both give one message)."""
        shape = (None,) + tuple(shape[1:])
        backend.warn_user(
            f"In loss {self.name}, expected y_pred.shape to be (batch_size, num_classes) "
            f"with num_classes > 1. Received: y_pred.shape={shape}. Consider using "
            "'binary_crossentropy' if you only have 2 classes. With a single output unit "
            "the renormalized probability is always 1 and the loss always 0, so nothing "
            "trains. Fix: Dense(1, activation='sigmoid') with loss='binary_crossentropy'.",
            SyntaxWarning)

    def get_config(self):
        config = {**super().get_config(), "from_logits": self.from_logits, "axis": self.axis}
        if self.label_smoothing is not None:
            config["label_smoothing"] = self.label_smoothing
        return config


class BinaryCrossentropy(_Crossentropy):
    r"""Binary crossentropy: the loss of yes/no (and multi-label) predictions.

    Each entry is a probability :math:`\hat y_k` of "yes". Keras clips it to
    :math:`p_k = \mathrm{clip}(\hat y_k, \epsilon, 1 - \epsilon)` (in float32,
    where :math:`1 - \epsilon` is 0.99999988) and takes the mean over the
    last axis:

    .. math::

        \ell = -\frac{1}{K}\sum_k \big[y_k \log p_k + (1 - y_k)\log(1 - p_k)\big],
        \qquad
        \frac{\partial \ell}{\partial \hat y_k} = \frac{1}{K}\,\frac{p_k - y_k}{p_k(1 - p_k)}

    and 0 where the clip is active. With ``from_logits=True`` the inputs are
    scores :math:`x_k`, :math:`\hat y_k = \sigma(x_k)`, and stably

    .. math::

        \ell = \frac{1}{K}\sum_k \max(x_k, 0) - x_k y_k + \log(1 + e^{-|x_k|}),
        \qquad
        \frac{\partial \ell}{\partial x_k} = \frac{1}{K}\,(\sigma(x_k) - y_k).

    Parameters
    ----------
    from_logits : bool
        Whether ``y_pred`` holds scores (no sigmoid applied) instead of probabilities.
    label_smoothing : float in [0, 1]
        Pulls the targets towards 1/2: :math:`y \leftarrow y(1 - \varepsilon) + \varepsilon/2`.
    axis : int
        The axis the mean is taken over (default -1).

    Examples
    --------
    >>> from kerastutor import losses
    >>> bce = losses.BinaryCrossentropy()
    >>> round(float(bce([[1, 0], [1, 0]], [[1.0, 1.0], [1.0, 0.0]])), 4)   # float32
    3.9856
    """

    binary = True

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(from_logits, axis, reduction, name, dtype, label_smoothing)

    def forward(self, y_true, y_pred):
        y = self._targets(y_true, y_pred)
        if self.from_logits:
            return self._forward_logits(y, y_pred)
        low, high = _clip_range(y_pred.dtype)
        p = np.clip(y_pred, low, high)
        one_minus_p = 1 - p
        per_entry = y * np.log(p)
        per_entry += (1 - y) * np.log(one_minus_p)
        return -per_entry.mean(axis=-1), (y, y_pred, p, one_minus_p)

    @staticmethod
    def _forward_logits(y, x):
        decay = np.exp(-np.abs(x))                  # e^{-|x|} <= 1: never overflows
        per_entry = np.maximum(x, 0) - x * y
        per_entry += np.log1p(decay)
        return per_entry.mean(axis=-1), (y, x, decay)

    def backward(self, cache):
        if self.from_logits:
            y, x, decay = cache
            # sigma(x) from the same e^{-|x|}: 1 / (1 + e^{-x}) or e^{x} / (1 + e^{x})
            grad = np.where(x >= 0, 1, decay).astype(x.dtype, copy=False)
            grad /= 1 + decay
            grad -= y
        else:
            y, y_pred, p, one_minus_p = cache
            grad = p - y
            grad /= p * one_minus_p
            grad[p != y_pred] = 0                   # the clip is flat where it acts
        grad *= 1.0 / grad.shape[-1]
        return grad

    def check_targets(self, y_true, y_pred_shape):
        """Targets in [0, 1], one per output unit."""
        y, shape = backend.asarray(y_true), _output_shape(y_pred_shape)
        self._check_finite(y)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError(f"{self.name} expects targets in [0, 1] (the probability of "
                             f"'yes'), but y holds values {_value_range(y)}. "
                             + self._range_hint(y, shape[-1]))
        true_shape, pred_shape = _same_rank_shapes(y.shape, shape)
        width = true_shape[-1] if len(true_shape) == len(pred_shape) else 1
        if pred_shape[-1] is not None and width != pred_shape[-1]:
            raise ValueError(
                f"{self.name}: the model outputs {pred_shape[-1]} value(s) per sample but y "
                f"(shape {y.shape}) has {width}. Hint: a yes/no problem needs "
                "Dense(1, activation='sigmoid'); for one-of-several classes with integer "
                "labels use a softmax output and sparse_categorical_crossentropy.")

    @staticmethod
    def _range_hint(y, units):
        values = np.unique(y)
        if set(values.tolist()) <= {-1, 1}:
            return "Hint: these look like -1/+1 labels; use (y + 1) / 2 to get 0/1."
        if _is_integer_valued(y) and units not in (None, 1):
            return (f"Hint: for integer class labels with {units} output units use "
                    "loss='sparse_categorical_crossentropy' (and a softmax output).")
        if _is_integer_valued(y):
            return (f"Hint: for {len(values)} classes use Dense({len(values)}, "
                    "activation='softmax') with loss='sparse_categorical_crossentropy'.")
        return "Hint: scale the targets into [0, 1], or use a regression loss such as 'mse'."


class CategoricalCrossentropy(_Crossentropy):
    r"""Categorical crossentropy: the loss of one-of-:math:`K` predictions, one-hot targets.

    Keras first renormalizes the probabilities and clips them,
    :math:`q_k = \mathrm{clip}(\hat y_k / S,\ \epsilon,\ 1-\epsilon)` with
    :math:`S = \sum_j \hat y_j`, so an output that does not sum to 1 still
    gives a crossentropy:

    .. math::

        \ell = -\sum_k y_k \log q_k,
        \qquad
        \frac{\partial \ell}{\partial \hat y_k}
        = \frac{1}{S}\sum_j y_j u_j \;-\; \frac{y_k u_k}{\hat y_k}

    where :math:`u_k` is 1 where the clip left :math:`q_k` alone and 0 where
    it acted. For a softmax output (:math:`S = 1`, one-hot :math:`y`) and
    the softmax's Jacobian, the chain rule gives the famous
    :math:`\hat y - y` for the scores. With ``from_logits=True``, stably,

    .. math::

        \ell = -\sum_k y_k \log\mathrm{softmax}(x)_k,
        \qquad
        \frac{\partial \ell}{\partial x_k} = \mathrm{softmax}(x)_k \sum_j y_j - y_k.

    Parameters
    ----------
    from_logits : bool
        Whether ``y_pred`` holds scores (no softmax applied) instead of probabilities.
    label_smoothing : float in [0, 1]
        :math:`y \leftarrow y(1 - \varepsilon) + \varepsilon / K`.
    axis : int
        The class axis (default -1).

    Examples
    --------
    >>> import numpy as np
    >>> from kerastutor import losses
    >>> cce = losses.CategoricalCrossentropy()
    >>> probs = [[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]]
    >>> round(float(cce(np.eye(3), probs)), 5)
    0.32397
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy",
                 dtype=None):
        super().__init__(from_logits, axis, reduction, name, dtype, label_smoothing)

    def forward(self, y_true, y_pred):
        if y_pred.shape[-1] == 1:
            self._warn_one_class(y_pred.shape)
        y = self._targets(y_true, y_pred)
        if self.from_logits:
            log_q, softmax = _log_softmax(y_pred)
            return -_dot_last(y, log_q), (y, softmax)
        q, total, unclipped = _normalize_and_clip(y_pred)
        return -_dot_last(y, np.log(q, out=q)), (y, y_pred, total, unclipped)

    def backward(self, cache):
        if self.from_logits:
            y, softmax = cache
            return softmax * y.sum(axis=-1, keepdims=True) - y
        y, y_pred, total, unclipped = cache
        counted = np.where(unclipped, y, 0).astype(y_pred.dtype, copy=False)
        grad = np.divide(counted, y_pred, out=np.zeros_like(y_pred), where=unclipped)
        np.subtract(counted.sum(axis=-1, keepdims=True) / total, grad, out=grad)
        return grad

    def check_targets(self, y_true, y_pred_shape):
        """One-hot targets with one column per output unit (not integer labels)."""
        y, shape = backend.asarray(y_true), _output_shape(y_pred_shape)
        self._check_finite(y)
        classes = shape[-1]
        if classes == 1:
            self._warn_one_class(shape)
            return
        if y.ndim < len(shape) or y.shape[-1] == 1:
            if _is_integer_valued(y):
                raise ValueError(
                    f"{self.name} expects one-hot targets of shape (batch, {classes}), but y "
                    f"has shape {y.shape} and holds integer class labels. Either compile "
                    "with loss='sparse_categorical_crossentropy', or one-hot encode the "
                    f"labels: y = keras.utils.to_categorical(y, {classes}).")
            raise ValueError(f"{self.name} expects targets of shape (batch, {classes}), one "
                             f"column per class, but y has shape {y.shape}.")
        if classes is not None and y.shape[-1] != classes:
            fix = (f"the last Dense layer needs {y.shape[-1]} units, one per class"
                   if y.shape[-1] > classes else
                   f"to_categorical(labels, {classes}) makes {classes} columns")
            raise ValueError(f"{self.name}: the model has {classes} output units but the "
                             f"one-hot targets have {y.shape[-1]} columns (y shape "
                             f"{y.shape}). Hint: {fix}.")


class SparseCategoricalCrossentropy(_Crossentropy):
    r"""Categorical crossentropy with integer class labels instead of one-hot rows.

    The label :math:`c` stands for the one-hot row :math:`e_c`, so only the
    true class's probability counts. With the same renormalize-and-clip
    :math:`q = \mathrm{clip}(\hat y / S)` as :class:`CategoricalCrossentropy`,

    .. math::

        \ell = -\log q_c,
        \qquad
        \frac{\partial \ell}{\partial \hat y_k}
        = u_c\Big(\frac{1}{S} - \frac{[k = c]}{\hat y_c}\Big)

    (:math:`u_c = 0` where the clip acted on :math:`q_c`), and with
    ``from_logits=True``: :math:`\ell = -\log\mathrm{softmax}(x)_c`,
    :math:`\partial \ell / \partial x_k = \mathrm{softmax}(x)_k - [k = c]`.

    Parameters
    ----------
    from_logits : bool
        Whether ``y_pred`` holds scores instead of probabilities.
    ignore_class : int or None
        A label (such as -1 or 255 for "void" pixels) whose samples count for
        nothing: their loss and gradient are 0 and they are left out of the
        mean's count.
    axis : int
        The class axis of ``y_pred`` (default -1).
    """

    def __init__(self, from_logits=False, ignore_class=None,
                 reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(from_logits, axis, reduction, name, dtype)
        if ignore_class is not None and (not isinstance(ignore_class, (int, np.integer))
                                         or isinstance(ignore_class, bool)):
            raise _invalid(type(self).__name__, "ignore_class", "an integer label or None",
                           ignore_class)
        self.ignore_class = None if ignore_class is None else int(ignore_class)

    def _align_targets(self, y_true, y_pred):
        """Integer labels, one per sample: a trailing axis of size 1 is squeezed."""
        labels, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if labels.ndim == y_pred.ndim and labels.shape[self.axis] == 1:
            labels = np.squeeze(labels, axis=self.axis)
        return labels.astype(np.intp, copy=False), y_pred

    def valid_mask(self, labels):
        return None if self.ignore_class is None else labels != self.ignore_class

    def forward(self, labels, y_pred):
        if labels.shape != y_pred.shape[:-1]:
            raise ValueError(f"{self.name}: labels of shape {labels.shape} do not fit "
                             f"predictions of shape {y_pred.shape}; expected one integer "
                             f"label per row, shape {y_pred.shape[:-1]}.")
        keep = self.valid_mask(labels)
        if keep is not None:
            labels = np.where(keep, labels, 0)     # any valid index; masked out below
        self._check_label_range(labels, y_pred.shape[-1])
        true_class = labels[..., None]
        if self.from_logits:
            log_q, softmax = _log_softmax(y_pred)
            values = -_at_labels(log_q, true_class)[..., 0]
            cache = (true_class, keep, softmax)
        else:
            q, total, unclipped = _normalize_and_clip(y_pred)
            values = -np.log(_at_labels(q, true_class)[..., 0])
            cache = (true_class, keep, y_pred, total,
                     _at_labels(unclipped, true_class))
        if keep is not None:
            values = np.where(keep, values, 0)    # where(), not *: ignored rows may be NaN
        return values, cache

    def backward(self, cache):
        if self.from_logits:
            true_class, keep, softmax = cache
            grad = softmax.copy()                  # softmax(x)_k - [k = c]
            at_true = _at_labels(grad, true_class)
            _set_at_labels(grad, true_class, at_true - 1)
        else:
            true_class, keep, y_pred, total, unclipped = cache
            grad = np.empty_like(y_pred)
            grad[...] = unclipped / total          # u_c / S on every class ...
            p_true = _at_labels(y_pred, true_class)
            at_true = _at_labels(grad, true_class)
            pull = np.divide(unclipped, p_true, out=np.zeros_like(p_true), where=unclipped)
            _set_at_labels(grad, true_class, at_true - pull)       # ... - u_c/p_c
        if keep is not None:
            grad[~keep] = 0
        return grad

    def _check_label_range(self, labels, classes):
        if labels.size == 0 or _checked_before_upload(labels):
            return                      # fit checked them on the host: no read from the GPU
        if backend.is_device_array(labels):
            # both numbers in one read: on a GPU every read from the device waits for it
            low, high = (int(v) for v in backend.to_host(np.stack([labels.min(),
                                                                   labels.max()])))
        else:
            low, high = int(labels.min()), int(labels.max())
        if low >= 0 and high < classes:
            return
        if low == 1 and high == classes:
            hint = "these look like labels counted from 1; use y - 1."
        elif high >= classes:
            hint = (f"the last Dense layer needs one unit per class (here at least "
                    f"{high + 1}).")
        else:
            hint = (f"class labels cannot be negative; to skip label {low}, pass "
                    f"ignore_class={low}.")
        raise ValueError(f"{self.name}: labels must be between 0 and {classes - 1} for a "
                         f"model with {classes} output units, but y contains "
                         f"{low}..{high}. Hint: {hint}")

    def check_targets(self, y_true, y_pred_shape):
        """Integer labels in ``0..C-1`` (not one-hot rows), one per output row."""
        y, shape = backend.asarray(y_true), _output_shape(y_pred_shape)
        self._check_finite(y)
        classes = shape[-1]
        labels, _ = _same_rank_shapes(y.shape, shape)
        if len(labels) == len(shape) and labels[-1] != 1:
            self._reject_rows(y, classes)
        if not _is_integer_valued(y):
            example = y[np.mod(y, 1) != 0].flat[0]
            raise ValueError(
                f"{self.name} expects integer class labels (0, 1, 2, ...), but y holds "
                f"non-integer values such as {example}. Hint: for probabilities or soft "
                "targets use loss='categorical_crossentropy'.")
        valid = y if self.ignore_class is None else y[y != self.ignore_class]
        if classes is not None:
            self._check_label_range(valid.astype(np.int64), classes)

    def _reject_rows(self, y, classes):
        one_hot = y.size and np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=-1) == 1)
        what = ("it looks one-hot encoded" if one_hot else
                f"{y.shape[-1]} values per sample instead of one label")
        raise ValueError(
            f"{self.name} expects integer class labels, one per sample (shape (batch,)), "
            f"but y has shape {y.shape}: {what}. Either compile with "
            "loss='categorical_crossentropy', or pass the labels as integers: "
            f"y.argmax(axis=-1) (the model has {classes} output units).")

    def get_config(self):
        return {**super().get_config(), "ignore_class": self.ignore_class}


# ======================================================================== focal
def _sigmoid(x):
    r""":math:`\sigma(x) = 1 / (1 + e^{-x})`, from :math:`e^{-|x|}` so it never overflows."""
    decay = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, decay).astype(x.dtype, copy=False) / (1 + decay)


def _power_slope(base, gamma):
    r""":math:`\gamma\,b^{\gamma - 1}`, the derivative of :math:`b^\gamma`, for :math:`b \ge 0`.

    At :math:`b = 0` it is taken as 0 (its value for :math:`\gamma > 1`;
    for :math:`0 < \gamma < 1` the true slope there is infinite), and
    :math:`\gamma = 1` gives 1 everywhere.
    """
    exponent = gamma - 1
    where = (base > 0) | (exponent == 0)
    slope = np.power(base, exponent, out=np.zeros_like(base), where=where)
    slope *= gamma
    return slope


class BinaryFocalCrossentropy(_Crossentropy):
    r"""Binary crossentropy scaled down for easy examples (Lin et al., 2018).

    With :math:`p_k = \hat y_k` (or :math:`\sigma(x_k)` with ``from_logits=True``),
    its clip :math:`c_k = \mathrm{clip}(p_k, \epsilon, 1 - \epsilon)` and the
    crossentropy of each entry
    :math:`b_k = -y_k \log c_k - (1 - y_k)\log(1 - c_k)`, Keras multiplies
    :math:`b_k` by the *focal factor* :math:`m_k^\gamma`, where

    .. math::

        m_k = 1 - p_{t,k},\qquad p_{t,k} = y_k p_k + (1 - y_k)(1 - p_k)

    is how far the (unclipped) prediction is from the target: an example
    already predicted well (:math:`m \approx 0`) hardly counts. With
    ``apply_class_balancing=True`` each entry is also weighted by
    :math:`a_k = \alpha y_k + (1 - \alpha)(1 - y_k)`. The loss is the mean over
    the last axis:

    .. math::

        \ell = \frac{1}{K}\sum_k a_k\, m_k^\gamma\, b_k,
        \qquad
        \frac{\partial \ell}{\partial p_k}
        = \frac{a_k}{K}\Big(\gamma\, m_k^{\gamma - 1}(1 - 2y_k)\, b_k
          + m_k^\gamma\,\frac{c_k - y_k}{c_k(1 - c_k)}\,u_k\Big)

    (:math:`a_k = 1` without balancing; :math:`u_k` is 1 where the clip left
    :math:`p_k` alone, 0 where it acted). The first term is the focal
    factor's own slope, :math:`\partial m_k / \partial p_k = 1 - 2y_k`. With
    ``from_logits=True`` the chain rule adds
    :math:`\partial p_k / \partial x_k = p_k(1 - p_k)`. With :math:`\gamma = 0`
    and no balancing this is :class:`BinaryCrossentropy`.

    Parameters
    ----------
    apply_class_balancing : bool
        Whether to weight class 1 by :math:`\alpha` and class 0 by
        :math:`1 - \alpha` (default False).
    alpha : float in [0, 1]
        The weight of class 1 when balancing (default 0.25).
    gamma : float >= 0
        The focusing exponent :math:`\gamma` (default 2.0).
    from_logits, label_smoothing, axis
        As in :class:`BinaryCrossentropy`.

    Examples
    --------
    >>> import numpy as np
    >>> from kerastutor import losses
    >>> focal = losses.BinaryFocalCrossentropy(gamma=2.0)
    >>> y_true = np.array([[1, 0], [1, 0]])
    >>> round(float(focal(y_true, np.array([[0.9, 0.8], [0.7, 0.2]], "float32"))), 3)
    0.268
    """

    binary = True

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(from_logits, axis, reduction, name, dtype, label_smoothing)
        owner = type(self).__name__
        self.apply_class_balancing = _check_bool(owner, "apply_class_balancing",
                                                 apply_class_balancing)
        self.alpha = _check_real(owner, "alpha", alpha, 0.0, 1.0)
        self.gamma = _check_real(owner, "gamma", gamma, low=0.0)

    def forward(self, y_true, y_pred):
        y = self._targets(y_true, y_pred)
        p = _sigmoid(y_pred) if self.from_logits else y_pred
        low, high = _clip_range(p.dtype)
        c = np.clip(p, low, high)
        bce = -(y * np.log(c) + (1 - y) * np.log(1 - c))
        distance = 1 - (y * p + (1 - y) * (1 - p))          # m = 1 - p_t
        focal = np.power(distance, p.dtype.type(self.gamma))
        weight = self._balance(y)
        per_entry = focal * bce
        if weight is not None:
            per_entry *= weight
        return per_entry.mean(axis=-1), (y, p, c, distance, focal, bce, weight)

    def _balance(self, y):
        """:math:`a = \\alpha y + (1 - \\alpha)(1 - y)`, or ``None`` without balancing."""
        if not self.apply_class_balancing:
            return None
        return y * self.alpha + (1 - y) * (1 - self.alpha)

    def backward(self, cache):
        y, p, c, distance, focal, bce, weight = cache
        grad = _power_slope(distance, self.gamma)             # d m^gamma / d m
        grad *= 1 - 2 * y                                     # ... * d m / d p
        grad *= bce
        dbce = (c - y) / (c * (1 - c))
        dbce[c != p] = 0                                      # the clip is flat where it acts
        dbce *= focal
        grad += dbce
        if weight is not None:
            grad *= weight
        if self.from_logits:
            grad *= p * (1 - p)                               # d sigma / d x
        grad *= 1.0 / grad.shape[-1]
        return grad

    check_targets = BinaryCrossentropy.check_targets
    _range_hint = staticmethod(BinaryCrossentropy._range_hint)

    def get_config(self):
        return {**super().get_config(), "apply_class_balancing": self.apply_class_balancing,
                "alpha": self.alpha, "gamma": self.gamma}


class CategoricalFocalCrossentropy(_Crossentropy):
    r"""Categorical crossentropy scaled down for well-predicted classes (Lin et al., 2018).

    As in :class:`CategoricalCrossentropy`, the probabilities (after a
    softmax with ``from_logits=True``) are renormalized and clipped,
    :math:`q_k = \mathrm{clip}(p_k / S,\ \epsilon,\ 1 - \epsilon)` with
    :math:`S = \sum_j p_j`. Each class's crossentropy is then weighted by
    :math:`\alpha_k (1 - q_k)^\gamma`:

    .. math::

        \ell = -\sum_k \alpha_k (1 - q_k)^\gamma\, y_k \log q_k,
        \qquad
        g_k = \frac{\partial \ell}{\partial q_k}
        = \alpha_k y_k\Big(\gamma (1 - q_k)^{\gamma - 1}\log q_k
          - \frac{(1 - q_k)^\gamma}{q_k}\Big)

    and through the renormalization (:math:`r_k = p_k / S`, :math:`u_k` = 1
    where the clip left :math:`q_k` alone)

    .. math::

        \frac{\partial \ell}{\partial p_j}
        = \frac{1}{S}\Big(u_j g_j - \sum_k u_k g_k r_k\Big).

    With ``from_logits=True`` the softmax's Jacobian follows:
    :math:`\partial \ell / \partial x_j = p_j\,(d_j - \sum_k p_k d_k)` where
    :math:`d = \partial \ell / \partial p`. With :math:`\gamma = 0` and
    :math:`\alpha = 1` this is :class:`CategoricalCrossentropy`.

    Parameters
    ----------
    alpha : float or list of floats
        The class weight :math:`\alpha` (default 0.25), or one weight per class.
    gamma : float >= 0
        The focusing exponent :math:`\gamma` (default 2.0).
    from_logits, label_smoothing, axis
        As in :class:`CategoricalCrossentropy`.

    Examples
    --------
    >>> import numpy as np
    >>> from kerastutor import losses
    >>> focal = losses.CategoricalFocalCrossentropy()
    >>> probs = np.array([[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]], "float32")
    >>> round(float(focal(np.eye(3), probs)), 4)
    0.0206
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(from_logits, axis, reduction, name, dtype, label_smoothing)
        owner = type(self).__name__
        self.alpha = self._check_alpha(owner, alpha)
        self.gamma = _check_real(owner, "gamma", gamma, low=0.0)

    @staticmethod
    def _check_alpha(owner, alpha):
        if isinstance(alpha, (list, tuple, np.ndarray)):
            weights = [_check_real(owner, "alpha", a) for a in np.ravel(alpha).tolist()]
            if not weights:
                raise _invalid(owner, "alpha", "a number or one number per class", alpha)
            return weights
        return _check_real(owner, "alpha", alpha)

    def _alpha(self, dtype, classes):
        alpha = backend.asarray(self.alpha, dtype=dtype)
        if alpha.ndim and alpha.shape[0] != classes:
            raise ValueError(f"{self.name}: `alpha` has {alpha.shape[0]} class weights but "
                             f"y_pred has {classes} classes. Hint: give one weight per "
                             "class, or a single number for all of them.")
        return alpha

    def forward(self, y_true, y_pred):
        if y_pred.shape[-1] == 1:
            self._warn_one_class(y_pred.shape)
        y = self._targets(y_true, y_pred)
        p = _log_softmax(y_pred)[1] if self.from_logits else y_pred
        q, total, unclipped = _normalize_and_clip(p)
        log_q = np.log(q)
        one_minus_q = 1 - q
        gamma = p.dtype.type(self.gamma)
        modulating = np.power(one_minus_q, gamma)
        alpha = self._alpha(p.dtype, p.shape[-1])
        values = -_dot_last(alpha * modulating, y * log_q)
        return values, (y, p, q, total, unclipped, log_q, one_minus_q, modulating, alpha)

    def backward(self, cache):
        y, p, q, total, unclipped, log_q, one_minus_q, modulating, alpha = cache
        # g = d loss / d q, zero where the clip acted
        grad = _power_slope(one_minus_q, self.gamma)          # gamma (1 - q)^(gamma - 1)
        grad *= log_q
        grad -= modulating / q                                # - (1 - q)^gamma / q
        grad *= alpha * y
        grad *= unclipped
        # through q = p / S: (g_j - sum_k g_k r_k) / S
        grad -= _dot_last(grad, p / total)[..., None]
        grad /= total
        if self.from_logits:                                  # through the softmax
            grad -= _dot_last(grad, p)[..., None]
            grad *= p
        return grad

    check_targets = CategoricalCrossentropy.check_targets

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "gamma": self.gamma}


# =============================================================== distributions
class KLDivergence(Loss):
    r"""Kullback-Leibler divergence :math:`D(y \,\|\, \hat y)`, a sum over the last axis.

    Both are clipped to :math:`[\epsilon, 1]` first (:math:`\bar y`, :math:`\bar p`):

    .. math::

        \ell = \sum_k \bar y_k \log\frac{\bar y_k}{\bar p_k},
        \qquad
        \frac{\partial \ell}{\partial \hat y_k} = -\frac{\bar y_k}{\bar p_k}
        \quad (0 \text{ where the clip acts on } \hat y_k)
    """

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        low = y_pred.dtype.type(backend.epsilon())
        y = np.clip(y_true, low, 1)
        p = np.clip(y_pred, low, 1)
        return _dot_last(y, np.log(y / p)), (y, y_pred, p)

    def backward(self, cache):
        y, y_pred, p = cache
        grad = np.divide(-y, p)
        grad[p != y_pred] = 0
        return grad


class Poisson(Loss):
    r"""Poisson loss, for predicted counts or rates :math:`\hat y > 0`.

    .. math::

        \ell = \frac{1}{K}\sum_k \hat y_k - y_k \log(\hat y_k + \epsilon),
        \qquad
        \frac{\partial \ell}{\partial \hat y_k}
        = \frac{1}{K}\Big(1 - \frac{y_k}{\hat y_k + \epsilon}\Big)
    """

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        shifted = y_pred + y_pred.dtype.type(backend.epsilon())
        values = (y_pred - y_true * np.log(shifted)).mean(axis=-1)
        return values, (y_true, shifted)

    def backward(self, cache):
        y, shifted = cache
        grad = np.divide(y, shifted)
        np.subtract(1, grad, out=grad)
        grad *= 1.0 / grad.shape[-1]
        return grad


# ============================================================ Keras functions
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary crossentropy (see :class:`BinaryCrossentropy`)."""
    return BinaryCrossentropy(from_logits, label_smoothing, axis,
                              reduction=None)(y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample categorical crossentropy (see :class:`CategoricalCrossentropy`)."""
    return CategoricalCrossentropy(from_logits, label_smoothing, axis,
                                   reduction=None)(y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Per-sample sparse categorical crossentropy (see :class:`SparseCategoricalCrossentropy`)."""
    return SparseCategoricalCrossentropy(from_logits, ignore_class, reduction=None,
                                         axis=axis)(y_true, y_pred)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Per-sample binary focal crossentropy (see :class:`BinaryFocalCrossentropy`)."""
    return BinaryFocalCrossentropy(apply_class_balancing, alpha, gamma, from_logits,
                                   label_smoothing, axis, reduction=None)(y_true, y_pred)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Per-sample categorical focal crossentropy (see :class:`CategoricalFocalCrossentropy`)."""
    return CategoricalFocalCrossentropy(alpha, gamma, from_logits, label_smoothing, axis,
                                        reduction=None)(y_true, y_pred)


def kl_divergence(y_true, y_pred):
    """Per-sample Kullback-Leibler divergence (see :class:`KLDivergence`)."""
    return KLDivergence(reduction=None)(y_true, y_pred)


def poisson(y_true, y_pred):
    """Per-sample Poisson loss (see :class:`Poisson`)."""
    return Poisson(reduction=None)(y_true, y_pred)
