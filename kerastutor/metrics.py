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
"""
import re

import numpy as np

from kerastutor import backend
from kerastutor import losses as _losses
from kerastutor.backend import did_you_mean, snake_case
from kerastutor.weight import Weight

#: What Keras writes in for "minus infinity" when masking scores (top_k).
NEG_INF = -1e10


# ================================================================== shapes
def _match_ranks(a, b, expand_rank_1=True):
    """Make ``a`` and ``b`` the same rank when they differ by a trailing axis of 1.

    Targets of shape ``(N,)`` and predictions of shape ``(N, 1)`` mean the
    same thing. Keras lines them up by adding the axis back to a rank-1
    array (``expand_rank_1``) and otherwise by dropping the extra axis.
    Arrays whose ranks differ in any other way are returned unchanged.
    """
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        if b.ndim == 1 and expand_rank_1:
            b = b[:, None]
        else:
            a = a[..., 0]
    elif b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        if a.ndim == 1 and expand_rank_1:
            a = a[:, None]
        else:
            b = b[..., 0]
    return a, b


def _check_same_batch(owner, y_true, y_pred):
    """Targets and predictions must describe the same number of samples."""
    if y_true.ndim and y_pred.ndim and len(y_true) != len(y_pred):
        raise ValueError(
            f"{owner}: y_true has {len(y_true)} samples (shape {y_true.shape}) but y_pred "
            f"has {len(y_pred)} (shape {y_pred.shape}). Hint: pass the targets and the "
            "predictions of the same batch.")


def _broadcast_weights(owner, sample_weight, shape):
    """``sample_weight`` broadcast to ``shape``, or a kind error naming both shapes."""
    try:
        return np.broadcast_to(sample_weight, shape)
    except ValueError:
        raise ValueError(
            f"{owner}: sample_weight of shape {np.shape(sample_weight)} does not fit values "
            f"of shape {tuple(shape)}. Hint: give one weight per sample, shape "
            f"({shape[0] if shape else 1},).") from None


def _reduce_per_sample(owner, values, sample_weight, reduce):
    """One value (and one weight) per sample, as Keras's ``Mean`` and ``Sum`` see a batch.

    1. A trailing axis of 1 is squeezed or added so weights and values line up.
    2. Values with more axes than the weights are reduced over the extra axes.
    3. Values are multiplied by the (broadcast) weights; weights of rank > 1
       are reduced to one per sample.
    4. Whatever non-batch axes the values still have are reduced.

    ``reduce`` is ``np.mean`` for ``Mean`` and ``np.sum`` for ``Sum``.
    Returns ``(values, weights)``; ``weights`` is ``None`` without weights.
    """
    if sample_weight is not None:
        weights = backend.asarray(sample_weight, dtype=values.dtype)
        values, weights = _match_ranks(values, weights)
        if values.ndim > weights.ndim:
            values = reduce(values, axis=tuple(range(weights.ndim, values.ndim)))
        weights = _broadcast_weights(owner, weights, values.shape)
        values = values * weights
        if weights.ndim > 1:
            weights = reduce(weights, axis=tuple(range(1, weights.ndim)))
    else:
        weights = None
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weights


def _divide_no_nan(numerator, denominator):
    """``numerator / denominator``, with 0 wherever the denominator is 0 (Keras's rule)."""
    numerator, denominator = backend.asarray(numerator), backend.asarray(denominator)
    safe = np.where(denominator == 0, 1, denominator)
    return np.where(denominator == 0, 0, numerator / safe).astype(numerator.dtype)


def _to_python(value):
    """A 0-d result as a Python float, anything bigger as a NumPy array."""
    value = backend.asarray(value)
    return float(value) if value.ndim == 0 else value


# =============================================================== variables
class MetricVariable(Weight):
    """A metric's running state: a :class:`Weight` that is never trained.

    It is the ``total`` or ``count`` of a mean, or the true-positive counts
    of a precision. Keras code (and yours, in a custom metric) changes it
    with ``assign`` and ``assign_add``; both work in place, in the
    variable's own dtype, which is how Keras accumulates in float32.
    """

    def __init__(self, value, name, path):
        super().__init__(value, name=name, trainable=False, path=path)

    def assign(self, new_value):
        """Overwrite the value in place (a scalar fills every entry)."""
        try:
            np.copyto(self.value, new_value, casting="unsafe")
        except ValueError:
            raise ValueError(
                f"Metric variable '{self.path}': cannot assign a value of shape "
                f"{np.shape(new_value)}; expected shape {self.value.shape}.") from None

    def assign_add(self, delta):
        """``value += delta``, in place."""
        np.add(self.value, delta, out=self.value, casting="unsafe")

    def __float__(self):
        return float(self.value)

    def __repr__(self):
        return f"<MetricVariable path={self.path!r} value={self.value!r}>"


# ==================================================================== base
class Metric:
    """Base class of every metric: a running state, updated batch by batch.

    A subclass creates its state in ``__init__`` with :meth:`add_variable`
    and implements ``update_state`` and ``result``. The default
    ``reset_state`` sets every variable back to zero.

    Parameters
    ----------
    name : str or None
        Name in logs and History. ``None`` gives the snake-case class name,
        made unique per session (``my_metric``, ``my_metric_1``, ...).
    dtype : str or None
        Dtype of the state and the result; ``None`` is ``floatx()``.
    """

    def __init__(self, name=None, dtype=None):
        if name is not None and not isinstance(name, str):
            raise ValueError(f"{type(self).__name__}: `name` must be a string or None, got "
                             f"{name!r}.")
        self.name = name or backend.unique_name(_object_name(type(self).__name__))
        self.dtype = _float_dtype(type(self).__name__, dtype)
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None):
        """Create a piece of state (a :class:`MetricVariable`) and track it.

        Its path is ``"<metric name>/<variable name>"``, as in Keras.
        """
        dtype = dtype or self.dtype
        if initializer in (None, "zeros"):
            value = np.zeros(shape, dtype=dtype)
        else:
            from kerastutor import initializers
            value = backend.asarray(initializers.get(initializer)(shape, dtype=dtype), dtype=dtype)
        name = name or f"variable_{len(self._variables)}"
        variable = MetricVariable(value, name=name, path=f"{self.name}/{name}")
        self._variables.append(variable)
        return variable

    add_weight = add_variable  # Keras keeps both spellings.

    @property
    def variables(self):
        """The state variables, in creation order (``[total, count]`` for a mean)."""
        return list(self._variables)

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError(
            f"{type(self).__name__} must implement update_state(y_true, y_pred, "
            "sample_weight=None).")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self):
        """Set every state variable back to zero."""
        for variable in self._variables:
            variable.value.fill(0)

    def __call__(self, *args, **kwargs):
        """Update with one batch and return the result so far (Keras's eager call)."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _object_name(name):
    """Keras's ``to_snake_case``: drop non-word characters, then snake-case."""
    return snake_case(re.sub(r"\W+", "", name))


def _float_dtype(owner, dtype):
    """The metric dtype as a string; it must be a float type."""
    if dtype is None:
        return backend.floatx()
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        kind = None
    if kind != "f":
        raise ValueError(f"{owner}: `dtype` must be a float type such as 'float32', got "
                         f"{dtype!r}.")
    return np.dtype(dtype).name


# =============================================================== reductions
class Mean(Metric):
    r"""The weighted mean of every value seen.

    .. math::

        \text{total} \mathrel{+}= \sum_i w_i v_i, \qquad
        \text{count} \mathrel{+}= \sum_i w_i, \qquad
        \text{result} = \text{total} / \text{count}

    Values with extra axes are first averaged to one value per sample; with
    no weights, ``count`` grows by the number of samples. An empty metric
    reports 0.

    Examples
    --------
    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, values, sample_weight=None):
        values = backend.asarray(values, dtype=self.dtype)
        values, weights = _reduce_per_sample(self.name, values, sample_weight, np.mean)
        self.total.assign_add(np.sum(values))
        if weights is not None:
            self.count.assign_add(np.sum(weights))
        else:
            self.count.assign_add(len(values) if values.ndim else 1)

    def result(self):
        return _to_python(_divide_no_nan(self.total.value, self.count.value))


class Sum(Metric):
    r"""The weighted sum of every value seen: :math:`\text{total} \mathrel{+}= \sum_i w_i v_i`.

    Examples
    --------
    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")

    def update_state(self, values, sample_weight=None):
        values = backend.asarray(values, dtype=self.dtype)
        values, _ = _reduce_per_sample(self.name, values, sample_weight, np.sum)
        self.total.assign_add(np.sum(values))

    def result(self):
        return _to_python(self.total.value)


class MeanMetricWrapper(Mean):
    r"""Turn a per-sample function into a metric: the :class:`Mean` of ``fn(y_true, y_pred)``.

    .. math:: \text{result} = \frac{\sum_i w_i\, f(y_i, \hat y_i)}{\sum_i w_i}

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, **kwargs)`` returning one value per sample (or
        per element; extra axes are averaged).
    name : str or None
        ``None`` gives ``"mean_metric_wrapper"`` (made unique), as in Keras.
    dtype : str or None
        Dtype of the running sums.
    **kwargs
        Passed on to ``fn`` at every update (e.g. ``threshold=0.7``).
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise ValueError(f"MeanMetricWrapper: `fn` must be a function fn(y_true, y_pred), "
                             f"got {fn!r}.")
        super().__init__(name=name, dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self.fn(y_true, y_pred, **self.fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        fn_name = getattr(self.fn, "__name__", None)
        return {"name": self.name, "dtype": self.dtype, "fn": fn_name, **self.fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" not in config:
            # Subclasses such as Accuracy fix their function and leave it out.
            return cls(**config)
        fn = config.pop("fn")
        if isinstance(fn, str):
            if fn not in _FUNCTIONS:
                raise ValueError(
                    f"MeanMetricWrapper.from_config: unknown function {fn!r}."
                    f"{did_you_mean(fn, _FUNCTIONS)} Known functions: "
                    f"{', '.join(sorted(_FUNCTIONS))}. Hint: rebuild custom functions with "
                    "MeanMetricWrapper(fn) directly.")
            fn = _FUNCTIONS[fn]
        return cls(fn, **config)


# ================================================ per-sample accuracy functions
def accuracy(y_true, y_pred):
    r"""1 where a prediction equals its target exactly, else 0.

    .. math:: v_i = [\,\hat y_i = y_i\,]

    Meant for predictions that are already labels; a trailing axis of 1 on
    either side is lined up first.
    """
    y_pred = backend.asarray(y_pred)
    y_true, y_pred = _match_ranks(backend.asarray(y_true), y_pred)
    return np.equal(y_true, y_pred).astype(backend.floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    r"""1 where the thresholded prediction equals the 0/1 target, else 0.

    .. math:: v_{ij} = [\,[\hat y_{ij} > t] = y_{ij}\,]

    The comparison is *strict*: a prediction of exactly 0.5 counts as class 0.
    One value per prediction is returned; :class:`Mean` averages the rest.
    """
    y_true, y_pred = _match_ranks(backend.asarray(y_true), backend.asarray(y_pred))
    return np.equal(y_pred > threshold, y_true).astype(backend.floatx())


def categorical_accuracy(y_true, y_pred):
    r"""1 where the predicted class matches the one-hot target's class, else 0.

    .. math:: v_i = [\,\arg\max_c y_{ic} = \arg\max_c \hat y_{ic}\,]

    ``y_pred`` may be logits or probabilities: both have the same argmax.
    """
    y_true, y_pred = backend.asarray(y_true), backend.asarray(y_pred)
    _check_same_batch("categorical_accuracy", y_true, y_pred)
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
    _check_same_batch("sparse_categorical_accuracy", labels, y_pred)
    return np.equal(labels, np.argmax(y_pred, axis=-1)).astype(backend.floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    r"""1 where the one-hot target's class is among the ``k`` highest scores, else 0.

    .. math:: v_i = [\,\#\{c : \hat y_{ic} > \hat y_{i,c^*_i}\} < k\,],
              \quad c^*_i = \arg\max_c y_{ic}

    Classes tied with the true class count in its favour.
    """
    y_true, y_pred = backend.asarray(y_true), backend.asarray(y_pred)
    _check_same_batch("top_k_categorical_accuracy", y_true, y_pred)
    return _in_top_k(np.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    r"""1 where the integer label is among the ``k`` highest scores, else 0.

    .. math:: v_i = [\,\#\{c : \hat y_{ic} > \hat y_{i y_i}\} < k\,]

    Classes tied with the true class count in its favour. Labels outside
    ``0..C-1`` never count as a hit.
    """
    labels, y_pred = backend.asarray(y_true), backend.asarray(y_pred)
    _check_same_batch("sparse_top_k_categorical_accuracy", labels, y_pred)
    return _in_top_k(labels.astype(np.int64, copy=False), y_pred, k)


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
class Accuracy(MeanMetricWrapper):
    """How often predictions equal their targets exactly (see :func:`accuracy`).

    Examples
    --------
    >>> m = Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> m.result()
    0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
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

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        threshold = _check_number("BinaryAccuracy", "threshold", threshold)
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of ``y_pred`` hits the one-hot target.

    See :func:`categorical_accuracy`.

    Examples
    --------
    >>> m = CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of ``y_pred`` equals the integer label.

    See :func:`sparse_categorical_accuracy`.

    Examples
    --------
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> m.result()
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is among the ``k`` best-scored classes.

    Parameters
    ----------
    k : int
        How many of the highest scores count as a hit (default 5).
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        k = _check_positive_int("TopKCategoricalAccuracy", "k", k, _TOP_K_HINT)
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the ``k`` best-scored classes.

    Parameters
    ----------
    k : int
        How many of the highest scores count as a hit (default 5).
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        k = _check_positive_int("SparseTopKCategoricalAccuracy", "k", k, _TOP_K_HINT)
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


_TOP_K_HINT = "k=5 counts a hit when the true class is among the 5 best scores."


def _check_number(owner, argument, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{owner}: `{argument}` must be a number, got {value!r}.")
    return float(value)


def _check_positive_int(owner, argument, value, hint=""):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}: `{argument}` must be a positive integer, got {value!r}."
                         + (f" Hint: {hint}" if hint else ""))
    return int(value)


# ================================================================ regression
def mean_squared_error(y_true, y_pred):
    r"""Per-sample mean squared error: :math:`v_i = \frac1d \sum_j (y_{ij} - \hat y_{ij})^2`."""
    y_true, y_pred = _regression_pair(y_true, y_pred)
    return np.mean(np.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    r"""Per-sample mean absolute error: :math:`v_i = \frac1d \sum_j |y_{ij} - \hat y_{ij}|`."""
    y_true, y_pred = _regression_pair(y_true, y_pred)
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def _regression_pair(y_true, y_pred):
    """Targets in the predictions' float dtype, ranks lined up."""
    y_pred = backend.asarray(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(backend.floatx())
    y_true = backend.asarray(y_true, dtype=y_pred.dtype)
    return _match_ranks(y_true, y_pred)


class MeanSquaredError(MeanMetricWrapper):
    """The mean of :func:`mean_squared_error` over samples (alias ``"mse"``)."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of :func:`mean_absolute_error` over samples (alias ``"mae"``)."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


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
        y_true, y_pred = _match_ranks(backend.asarray(y_true, dtype=self.dtype), y_pred)
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self):
        return float(np.sqrt(_divide_no_nan(self.total.value, self.count.value)))


# ================================================== confusion-matrix metrics
def _confusion_inputs(owner, y_true, y_pred, sample_weight, dtype):
    """Targets, predictions and one weight per prediction entry, ready to count.

    Ranks are lined up first; then each sample's weight is spread over all
    of that sample's entries (a weight array as big as ``y_pred`` is kept
    as it is).
    """
    y_true = backend.asarray(y_true, dtype=dtype)
    y_pred = backend.asarray(y_pred, dtype=dtype)
    y_pred, y_true = _match_ranks(y_pred, y_true)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{owner}: y_true of shape {y_true.shape} does not match y_pred of shape "
            f"{y_pred.shape}; every prediction needs its own 0/1 target. Hint: one-hot "
            "encode integer labels with keras.utils.to_categorical.")
    if sample_weight is None:
        return y_true, y_pred, np.ones(y_pred.shape, dtype=dtype)
    weights = backend.asarray(sample_weight, dtype=dtype)[..., None]
    _, weights = _match_ranks(y_true, weights, expand_rank_1=False)
    return y_true, y_pred, _broadcast_weights(owner, weights, y_pred.shape)


def _confusion_counts(y_true, y_pred, weights, thresholds, multi_label=False):
    r"""Weighted true/false positives/negatives at each threshold.

    A prediction is *positive* at threshold :math:`t` when
    :math:`\hat y > t` (strict), a label when :math:`y \ne 0`:

    .. math::

        TP_t = \sum_i w_i\,[y_i \ne 0]\,[\hat y_i > t], \qquad
        FP_t = \sum_i w_i\,[y_i = 0]\,[\hat y_i > t],

    and :math:`FN_t`, :math:`TN_t` are the rest of the positives and
    negatives. Every entry of ``y_pred`` is one decision; with
    ``multi_label`` each column (label) is counted on its own.

    Returns ``tp, fp, tn, fn``, each of shape ``(T,)`` -- or ``(T, L)``.
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
    return tp, fp, negatives - fp, positives - tp


def _keep_top_k(scores, k):
    """Scores with everything but the ``k`` best of each row set to :data:`NEG_INF`.

    Among equal scores the lower class index wins, as in Keras's ``top_k``.
    """
    best = np.argsort(-scores, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(keep, best, True, axis=-1)
    return np.where(keep, scores, NEG_INF)


def _check_thresholds(owner, thresholds):
    """A list of thresholds, each in [0, 1]."""
    values = np.ravel(thresholds).tolist() if np.ndim(thresholds) else [thresholds]
    bad = [t for t in values if not isinstance(t, (int, float)) or not 0 <= t <= 1]
    if bad:
        raise ValueError(f"{owner}: `thresholds` must lie in [0, 1], got {bad}. Hint: "
                         "use from_logits or a sigmoid for scores outside [0, 1].")
    return [float(t) for t in values]


class _PrecisionRecallBase(Metric):
    """Shared by Precision and Recall: thresholds, top_k, class_id and two counters."""

    _counters = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        self.init_thresholds = thresholds
        self.top_k = None if top_k is None else _check_positive_int(owner, "top_k", top_k)
        self.class_id = class_id
        if thresholds is not None:
            self.thresholds = _check_thresholds(owner, thresholds)
        else:
            # With top_k, every kept score counts as a positive prediction.
            self.thresholds = [0.5 if top_k is None else NEG_INF]
        for counter in self._counters:
            setattr(self, counter, self.add_variable((len(self.thresholds),), name=counter))

    def _counts(self, y_true, y_pred, sample_weight):
        y_true, y_pred, weights = _confusion_inputs(self.name, y_true, y_pred, sample_weight,
                                                    self.dtype)
        if self.top_k is not None:
            y_pred = _keep_top_k(y_pred, self.top_k)
        if self.class_id is not None:
            if y_pred.ndim < 2:
                raise ValueError(
                    f"{self.name}: class_id={self.class_id} needs y_pred of shape (N, C), "
                    f"got shape {y_pred.shape}.")
            column = (..., slice(self.class_id, self.class_id + 1))
            y_true, y_pred, weights = y_true[column], y_pred[column], weights[column]
        thresholds = backend.asarray(self.thresholds, dtype=self.dtype)
        return _confusion_counts(y_true, y_pred, weights, thresholds)

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

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, _, _ = self._counts(y_true, y_pred, sample_weight)
        self.true_positives.assign_add(tp)
        self.false_positives.assign_add(fp)

    def result(self):
        tp, fp = self.true_positives.value, self.false_positives.value
        precision = _divide_no_nan(tp, tp + fp)
        return _to_python(precision[0] if len(precision) == 1 else precision)


class Recall(_PrecisionRecallBase):
    r"""Of the positive samples, the fraction predicted positive.

    .. math:: \text{recall} = \frac{TP}{TP + FN}, \qquad
              \text{positive prediction: } \hat y > t

    Parameters are those of :class:`Precision`; ``None`` names it
    ``"recall"``, then ``"recall_1"``, ...
    """

    _counters = ("true_positives", "false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, _, _, fn = self._counts(y_true, y_pred, sample_weight)
        self.true_positives.assign_add(tp)
        self.false_negatives.assign_add(fn)

    def result(self):
        tp, fn = self.true_positives.value, self.false_negatives.value
        recall = _divide_no_nan(tp, tp + fn)
        return _to_python(recall[0] if len(recall) == 1 else recall)


_CURVES = {"ROC": "ROC", "roc": "ROC", "PR": "PR", "pr": "PR", "PRGAIN": "PRGAIN",
           "prgain": "PRGAIN"}
_SUMMATIONS = {"interpolation": "interpolation", "Interpolation": "interpolation",
               "majoring": "majoring", "Majoring": "majoring",
               "minoring": "minoring", "Minoring": "minoring"}


class AUC(Metric):
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
            inner = sorted(_check_thresholds("AUC", thresholds))
        else:
            hint = "it must be at least 2; the default is 200."
            num_thresholds = _check_positive_int("AUC", "num_thresholds", num_thresholds, hint)
            if num_thresholds < 2:
                raise ValueError(f"AUC: `num_thresholds` must be at least 2, got 1. Hint: {hint}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
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

    def _build(self, num_labels):
        """Create the four counters: ``(T,)``, or ``(T, L)`` with one column per label."""
        shape = (self.num_thresholds, num_labels) if self.multi_label \
            else (self.num_thresholds,)
        for counter in ("true_positives", "false_positives", "true_negatives",
                        "false_negatives"):
            setattr(self, counter, self.add_variable(shape, name=counter))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, weights = _confusion_inputs(self.name, y_true, y_pred, sample_weight,
                                                    self.dtype)
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
            weights = weights * _broadcast_weights(self.name, self.label_weights, y_pred.shape)
        thresholds = self._thresholds.astype(self.dtype)
        counts = _confusion_counts(y_true, y_pred, weights, thresholds, self.multi_label)
        for variable, count in zip((self.true_positives, self.false_positives,
                                    self.true_negatives, self.false_negatives), counts):
            variable.assign_add(count)

    def result(self):
        if not self._built:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            areas = self._interpolated_pr_areas()
        else:
            x, y = self._curve_points()
            areas = np.sum((x[:-1] - x[1:]) * self._heights(y), axis=0)
        return _to_python(self._average_over_labels(areas))

    def _curve_points(self):
        """The (x, y) points of the chosen curve, one per threshold."""
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            return _divide_no_nan(fp, fp + tn), recall
        if self.curve == "PR":
            return recall, _divide_no_nan(tp, tp + fp)
        # PR-gain (Flach & Kull, 2015): rescale both axes by the class ratio.
        ratio = _divide_no_nan(tp + fn, tn + fp)
        recall_gain = np.where(tp == 0, 0.0, 1.0 - ratio * _divide_no_nan(fn, tp))
        precision_gain = np.where(tp == 0, 1.0, 1.0 - ratio * _divide_no_nan(fp, tp))
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
        slope = _divide_no_nan(d_tp, np.maximum(d_p, 0))
        intercept = tp[1:] - slope * p[1:]
        both_positive = (p[:-1] > 0) & (p[1:] > 0)
        p_ratio = np.where(both_positive, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        increments = _divide_no_nan(slope * (d_tp + intercept * np.log(p_ratio)),
                                    np.maximum(tp[1:] + fn[1:], 0))
        return np.sum(increments, axis=0)

    def _average_over_labels(self, areas):
        """One AUC: the labels' mean (or label-weighted mean) when ``multi_label``."""
        if not self.multi_label:
            return areas
        if self.label_weights is None:
            return np.mean(areas)
        return _divide_no_nan(np.sum(areas * self.label_weights), np.sum(self.label_weights))

    def reset_state(self):
        if self._built:
            super().reset_state()

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


# ================================================ more per-sample metrics
def cosine_similarity(y_true, y_pred, axis=-1):
    r"""Per-sample cosine similarity of targets and predictions along ``axis``.

    .. math:: v_i = \frac{y_i \cdot \hat y_i}{\max(\|y_i\|, \epsilon)\,
                                              \max(\|\hat y_i\|, \epsilon)}

    Unlike the *loss* :func:`kerastutor.losses.cosine_similarity`, which is
    its negative, this is +1 for vectors pointing the same way.
    """
    y_true, y_pred = _regression_pair(y_true, y_pred)
    eps = backend.epsilon()

    def unit(x):
        return x / np.sqrt(np.maximum(np.sum(np.square(x), axis=axis, keepdims=True), eps ** 2))

    return np.sum(unit(y_true) * unit(y_pred), axis=axis)


def pearson_correlation(y_true, y_pred, axis=-1):
    r"""Per-sample Pearson correlation of targets and predictions along ``axis``.

    Each vector is centred and divided by its (population) standard
    deviation, then the products are averaged:

    .. math:: v_i = \frac1d \sum_j
        \frac{y_{ij} - \bar y_i}{\sigma(y_i) + \epsilon}\,
        \frac{\hat y_{ij} - \bar{\hat y}_i}{\sigma(\hat y_i) + \epsilon}

    Examples
    --------
    >>> v = pearson_correlation([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> [round(float(x), 4) for x in v]
    [1.0, 0.9934]
    """
    y_true, y_pred = _regression_pair(y_true, y_pred)
    eps = backend.epsilon()

    def standardized(x):
        centred = x - np.mean(x, axis=axis, keepdims=True)
        return centred / (np.std(centred, axis=axis, keepdims=True) + eps)

    return np.mean(standardized(y_true) * standardized(y_pred), axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    r"""Per-sample concordance correlation (Lin's CCC) along ``axis``, as Keras computes it.

    Lin's coefficient penalises both low correlation and any shift or scale
    between targets and predictions:
    :math:`\rho_c = 2\,\mathrm{cov}(y, \hat y) / (\sigma_y^2 + \sigma_{\hat y}^2
    + (\bar y - \bar{\hat y})^2)`. Keras's formula centres the *targets* on the
    mean of the predictions in the covariance term, and we follow it so the
    numbers agree:

    .. math:: v_i = \frac1d \sum_j \frac{2\,(y_{ij} - \bar{\hat y}_i)
        (\hat y_{ij} - \bar{\hat y}_i)}{\sigma^2(y_i) + \sigma^2(\hat y_i)
        + (\bar y_i - \bar{\hat y}_i)^2 + \epsilon}

    Examples
    --------
    >>> v = concordance_correlation([[0, 1, 0.5], [1, 1, 0.2]],
    ...                             [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> [round(float(x), 4) for x in v]
    [0.9756, 0.9877]
    """
    y_true, y_pred = _regression_pair(y_true, y_pred)
    true_mean = np.mean(y_true, axis=axis, keepdims=True)
    pred_mean = np.mean(y_pred, axis=axis, keepdims=True)
    norm = (np.var(y_true, axis=axis, keepdims=True) + np.var(y_pred, axis=axis, keepdims=True)
            + np.square(true_mean - pred_mean))
    covariance_terms = (y_true - pred_mean) * (y_pred - pred_mean)
    return np.mean(2 * covariance_terms / (norm + backend.epsilon()), axis=axis)


# Keras exports these loss functions under keras.metrics too: the same per-sample values.
mean_absolute_percentage_error = _losses.mean_absolute_percentage_error
mean_squared_logarithmic_error = _losses.mean_squared_logarithmic_error
log_cosh = _losses.log_cosh
binary_crossentropy = _losses.binary_crossentropy
categorical_crossentropy = _losses.categorical_crossentropy
sparse_categorical_crossentropy = _losses.sparse_categorical_crossentropy
kl_divergence = _losses.kl_divergence
poisson = _losses.poisson
hinge = _losses.hinge
squared_hinge = _losses.squared_hinge
categorical_hinge = _losses.categorical_hinge


class _LossMetric(MeanMetricWrapper):
    """A :class:`MeanMetricWrapper` around one of Keras's loss functions.

    The per-sample values come from :mod:`kerastutor.losses` (the same
    formula the loss differentiates); the metric only averages them.
    Subclasses set ``_loss_fn`` (the name of the function in
    ``kerastutor.losses``) and ``_default_name``.
    """

    _loss_fn = ""
    _options = ()

    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(getattr(_losses, self._loss_fn), name=name or self._default_name,
                         dtype=dtype, **kwargs)
        for option, value in kwargs.items():
            setattr(self, option, value)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                **{option: getattr(self, option) for option in self._options}}


class MeanAbsolutePercentageError(_LossMetric):
    r"""Mean absolute percentage error over samples (alias ``"mape"``).

    .. math:: v_i = \frac{100}{d} \sum_j \frac{|y_{ij} - \hat y_{ij}|}{\max(|y_{ij}|, \epsilon)}

    Examples
    --------
    >>> m = MeanAbsolutePercentageError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> m.result()
    250000000.0
    """

    _loss_fn, _default_name = "mean_absolute_percentage_error", "mean_absolute_percentage_error"

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_LossMetric):
    r"""Mean squared logarithmic error over samples (alias ``"msle"``).

    .. math:: v_i = \frac1d \sum_j \big(\log(1 + \max(y_{ij}, \epsilon))
                                      - \log(1 + \max(\hat y_{ij}, \epsilon))\big)^2

    Examples
    --------
    >>> m = MeanSquaredLogarithmicError()
    >>> round(m([[0, 1], [0, 0]], [[1, 1], [0, 0]]), 5)
    0.12011
    """

    _loss_fn, _default_name = "mean_squared_logarithmic_error", "mean_squared_logarithmic_error"

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class LogCoshError(_LossMetric):
    r"""Mean of the logarithm of the hyperbolic cosine of the error.

    .. math:: v_i = \frac1d \sum_j \log\cosh(\hat y_{ij} - y_{ij})

    Keras names it ``"logcosh"``.

    Examples
    --------
    >>> m = LogCoshError()
    >>> round(m([[0, 1], [0, 0]], [[1, 1], [0, 0]]), 4)
    0.1084
    """

    _loss_fn, _default_name = "log_cosh", "logcosh"

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
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

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"CosineSimilarity: `axis` must be an integer, got {axis!r}.")
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=int(axis))
        self.axis = int(axis)

    def get_config(self):
        # Keras leaves the axis out of the config; so do we, to match its files.
        return {"name": self.name, "dtype": self.dtype}


class _CorrelationMetric(MeanMetricWrapper):
    """Mean over samples of a per-sample correlation; Keras's config has the axis."""

    _fn, _default_name = None, None

    def __init__(self, name=None, dtype=None, axis=-1):
        super().__init__(type(self)._fn, name=name or self._default_name, dtype=dtype,
                         axis=axis)
        self.axis = axis

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class PearsonCorrelation(_CorrelationMetric):
    r"""Mean over samples of :func:`pearson_correlation` (higher is better).

    Parameters
    ----------
    name : str
        Default ``"pearson_correlation"``.
    dtype : str or None
    axis : int
        Axis along which each correlation is computed (default -1).

    Examples
    --------
    >>> m = PearsonCorrelation()
    >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> round(m.result(), 4)
    0.9967
    """

    _fn, _default_name = staticmethod(pearson_correlation), "pearson_correlation"


class ConcordanceCorrelation(_CorrelationMetric):
    r"""Mean over samples of :func:`concordance_correlation` (higher is better).

    Parameters
    ----------
    name : str
        Default ``"concordance_correlation"``.
    dtype : str or None
    axis : int
        Axis along which each coefficient is computed (default -1).

    Examples
    --------
    >>> m = ConcordanceCorrelation()
    >>> m.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> round(m.result(), 4)
    0.9816
    """

    _fn, _default_name = staticmethod(concordance_correlation), "concordance_correlation"


class BinaryCrossentropy(_LossMetric):
    r"""Mean binary crossentropy (see :class:`kerastutor.losses.BinaryCrossentropy`).

    .. math:: v_i = -\frac1d \sum_j \big(y_{ij}\log \hat y_{ij}
                                       + (1 - y_{ij}) \log(1 - \hat y_{ij})\big)

    Parameters
    ----------
    name : str
        Default ``"binary_crossentropy"``.
    dtype : str or None
    from_logits : bool
        Whether ``y_pred`` holds logits (default False: probabilities).
    label_smoothing : float
        In [0, 1]; targets move towards 0.5 by this much (default 0).

    Examples
    --------
    >>> m = BinaryCrossentropy()
    >>> round(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 5)
    0.81492
    """

    _loss_fn, _default_name = "binary_crossentropy", "binary_crossentropy"
    _options = ("from_logits", "label_smoothing")

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(_LossMetric):
    r"""Mean categorical crossentropy of one-hot targets.

    .. math:: v_i = -\sum_c y_{ic} \log \hat y_{ic}

    Parameters
    ----------
    name : str
        Default ``"categorical_crossentropy"``.
    dtype : str or None
    from_logits : bool
        Whether ``y_pred`` holds logits (default False).
    label_smoothing : float
        In [0, 1] (default 0).
    axis : int
        The class axis (default -1).

    Examples
    --------
    >>> m = CategoricalCrossentropy()
    >>> round(m([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), 5)
    1.17694
    """

    _loss_fn, _default_name = "categorical_crossentropy", "categorical_crossentropy"
    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_LossMetric):
    r"""Mean crossentropy of integer labels: :math:`v_i = -\log \hat y_{i, y_i}`.

    Parameters
    ----------
    name : str
        Default ``"sparse_categorical_crossentropy"``.
    dtype : str or None
    from_logits : bool
        Whether ``y_pred`` holds logits (default False).
    ignore_class : int or None
        A label whose samples contribute 0 (default None).
    axis : int
        The class axis (default -1).

    Examples
    --------
    >>> m = SparseCategoricalCrossentropy()
    >>> round(m([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), 5)
    1.17694
    """

    _loss_fn = _default_name = "sparse_categorical_crossentropy"
    _options = ("from_logits", "ignore_class", "axis")

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)


class KLDivergence(_LossMetric):
    r"""Mean Kullback-Leibler divergence of ``y_pred`` from ``y_true``.

    .. math:: v_i = \sum_j y_{ij} \log\frac{y_{ij}}{\hat y_{ij}}
              \quad (\text{both clipped to } [\epsilon, 1])

    Examples
    --------
    >>> m = KLDivergence()
    >>> round(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
    0.4581
    """

    _loss_fn, _default_name = "kl_divergence", "kl_divergence"

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Poisson(_LossMetric):
    r"""Mean Poisson loss over samples.

    .. math:: v_i = \frac1d \sum_j \big(\hat y_{ij} - y_{ij} \log(\hat y_{ij} + \epsilon)\big)

    Examples
    --------
    >>> m = Poisson()
    >>> round(m([[0, 1], [0, 0]], [[1, 1], [0, 0]]), 4)
    0.5
    """

    _loss_fn, _default_name = "poisson", "poisson"

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Hinge(_LossMetric):
    r"""Mean hinge loss, with 0/1 targets mapped to -1/+1.

    .. math:: v_i = \frac1d \sum_j \max(1 - y_{ij} \hat y_{ij}, 0)

    Examples
    --------
    >>> m = Hinge()
    >>> round(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 5)
    1.3
    """

    _loss_fn, _default_name = "hinge", "hinge"

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(_LossMetric):
    r"""Mean squared hinge loss: :math:`v_i = \frac1d \sum_j \max(1 - y_{ij} \hat y_{ij}, 0)^2`.

    Examples
    --------
    >>> m = SquaredHinge()
    >>> round(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 5)
    1.86
    """

    _loss_fn, _default_name = "squared_hinge", "squared_hinge"

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(_LossMetric):
    r"""Mean categorical hinge loss.

    .. math:: v_i = \max\big(0,\; 1 + \max_c (1 - y_{ic}) \hat y_{ic}
                             - \sum_c y_{ic} \hat y_{ic}\big)

    Examples
    --------
    >>> m = CategoricalHinge()
    >>> round(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 5)
    1.4
    """

    _loss_fn, _default_name = "categorical_hinge", "categorical_hinge"

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


# ==================================================== confusion-matrix counts
class _ConfusionMatrixConditionCount(Metric):
    """Shared by TruePositives, TrueNegatives, FalsePositives and FalseNegatives.

    One counter, ``accumulator``, of shape ``(len(thresholds),)``; each
    update adds the (weighted) number of decisions that meet the class's
    condition at every threshold (see :func:`_confusion_counts`).
    """

    #: Which of the four counts ``_confusion_counts`` returns this class keeps.
    _which = 0

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = ([0.5] if thresholds is None
                           else _check_thresholds(type(self).__name__, thresholds))
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, weights = _confusion_inputs(self.name, y_true, y_pred, sample_weight,
                                                    self.dtype)
        thresholds = backend.asarray(self.thresholds, dtype=self.dtype)
        self.accumulator.assign_add(
            _confusion_counts(y_true, y_pred, weights, thresholds)[self._which])

    def result(self):
        counts = self.accumulator.value
        return _to_python(counts[0] if len(counts) == 1 else counts)

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

    _which = 0


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

    _which = 1


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

    _which = 2


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

    _which = 3


# ========================================= one rate at a bound on another
class SensitivitySpecificityBase(Metric):
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

    #: The argument that holds the bound, named as Keras names it.
    _value_name = "value"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        owner = type(self).__name__
        if (isinstance(value, bool) or not isinstance(value, (int, float, np.number))
                or not 0 <= value <= 1):
            raise ValueError(f"{owner}: `{self._value_name}` must be a number in [0, 1], got "
                             f"{value!r}.")
        num_thresholds = _check_positive_int(owner, "num_thresholds", num_thresholds,
                                             "the default is 200 evenly spaced thresholds.")
        super().__init__(name=name, dtype=dtype)
        self.value = float(value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
        for counter in ("true_positives", "false_positives", "true_negatives",
                        "false_negatives"):
            setattr(self, counter, self.add_variable((len(self.thresholds),), name=counter))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, weights = _confusion_inputs(self.name, y_true, y_pred, sample_weight,
                                                    self.dtype)
        if self.class_id is not None:
            if y_pred.ndim < 2:
                raise ValueError(
                    f"{self.name}: class_id={self.class_id} needs y_pred of shape (N, C), "
                    f"got shape {y_pred.shape}.")
            column = (..., slice(self.class_id, self.class_id + 1))
            y_true, y_pred, weights = y_true[column], y_pred[column], weights[column]
        thresholds = backend.asarray(self.thresholds, dtype=self.dtype)
        tp, fp, tn, fn = _confusion_counts(y_true, y_pred, weights, thresholds)
        self.true_positives.assign_add(tp)
        self.false_positives.assign_add(fp)
        self.true_negatives.assign_add(tn)
        self.false_negatives.assign_add(fn)

    def _rates(self):
        """Sensitivity (= recall), specificity and precision at every threshold."""
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        return (_divide_no_nan(tp, tp + fn), _divide_no_nan(tn, tn + fp),
                _divide_no_nan(tp, tp + fp))

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

    _value_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)
        self.specificity = self.value

    def result(self):
        sensitivity, specificity, _ = self._rates()
        return self._find_max_under_constraint(specificity, sensitivity)


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

    _value_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)
        self.sensitivity = self.value

    def result(self):
        sensitivity, specificity, _ = self._rates()
        return self._find_max_under_constraint(sensitivity, specificity)


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

    _value_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)
        self.recall = self.value

    def result(self):
        recall, _, precision = self._rates()
        return self._find_max_under_constraint(recall, precision)


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

    _value_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)
        self.precision = self.value

    def result(self):
        recall, _, precision = self._rates()
        return self._find_max_under_constraint(precision, recall)


# ======================================================= F-scores and R^2
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
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{self.name}: {type(self).__name__} expects 2-D inputs of shape "
                f"(batch_size, num_classes), got y_true of shape {y_true_shape} and y_pred "
                f"of shape {y_pred_shape}. Hint: one-hot encode integer labels with "
                "keras.utils.to_categorical.")
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
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true of shape {y_true.shape} does not match "
                             f"y_pred of shape {y_pred.shape}.")
        if self.threshold is None:
            row_max = np.max(y_pred, axis=-1, keepdims=True)
            predicted = (y_pred >= row_max) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(self.dtype)
        if sample_weight is not None:
            weights = backend.asarray(sample_weight, dtype=self.dtype)
            weights = weights.reshape(weights.shape + (1,) * (y_true.ndim - weights.ndim))
            weights = _broadcast_weights(self.name, weights, y_true.shape)
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
        return _to_python(backend.asarray(score, dtype=self.dtype))

    def reset_state(self):
        if self._built:
            super().reset_state()

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
    the infinity). With ``num_regressors`` :math:`p > 0` and :math:`n`
    samples of nonzero weight, the adjusted score is
    :math:`1 - (1 - R^2)(n - 1)/(n - p - 1)` (plain :math:`R^2`, with a
    warning, when :math:`n - 1 \le p`).

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
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{self.name}: R2Score expects 2-D inputs of shape (batch_size, output_dim), "
                f"got y_true of shape {y_true_shape} and y_pred of shape {y_pred_shape}. "
                "Hint: reshape one output per sample to (N, 1).")
        columns = (y_pred_shape[-1],)
        self.squared_sum = self.add_variable(columns, name="squared_sum")
        self.sum = self.add_variable(columns, name="sum")
        self.total_mse = self.add_variable(columns, name="residual")
        self.count = self.add_variable(columns, name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _match_ranks(backend.asarray(y_true, dtype=self.dtype),
                                      backend.asarray(y_pred, dtype=self.dtype))
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true of shape {y_true.shape} does not match "
                             f"y_pred of shape {y_pred.shape}.")
        weights = backend.asarray(1 if sample_weight is None else sample_weight, dtype=self.dtype)
        if weights.ndim == 1:
            weights = weights[:, None]
        weights = _broadcast_weights(self.name, weights, y_true.shape)
        weighted_y_true = y_true * weights
        self.sum.assign_add(np.sum(weighted_y_true, axis=0))
        self.squared_sum.assign_add(np.sum(y_true * weighted_y_true, axis=0))
        self.total_mse.assign_add(np.sum(np.square(y_true - y_pred) * weights, axis=0))
        self.count.assign_add(np.sum(weights, axis=0))
        self.num_samples.assign_add(np.sum(np.any(weights != 0, axis=-1)))

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
                import warnings
                warnings.warn(f"{self.name}: num_regressors={p} needs more than {p + 1} "
                              f"samples for the adjusted R^2, got {n:g}; falling back to the "
                              "plain R^2.", stacklevel=2)
            else:
                score = 1 - (1 - score) * (n - 1) / (n - p - 1)
        return _to_python(backend.asarray(score, dtype=self.dtype))

    def reset_state(self):
        if self._built:
            super().reset_state()
        else:
            self.num_samples.value.fill(0)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


# ====================================================== intersection over union
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
        num_classes = _check_positive_int(owner, "num_classes", num_classes,
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
        if sample_weight is None:
            weights = np.ones(y_true.shape, dtype=self.dtype)
        else:
            weights = backend.asarray(sample_weight)
            if np.dtype(self.dtype).kind in "iu" and np.any(weights != np.trunc(weights)):
                import warnings
                warnings.warn(f"{self.name}: fractional sample weights are truncated to "
                              f"integers, because the metric's dtype is {self.dtype}. Hint: "
                              "pass dtype='float32' to the metric.", stacklevel=2)
            # One weight per sample is spread over that sample's labels (e.g. pixels).
            given = weights.shape
            weights = weights.astype(self.dtype)
            if 0 < weights.ndim < y_true.ndim:
                weights = weights.reshape(given + (1,) * (y_true.ndim - weights.ndim))
            try:
                weights = np.broadcast_to(weights, y_true.shape)
            except ValueError:
                raise ValueError(
                    f"{self.name}: sample_weight of shape {given} does not fit labels of "
                    f"shape {y_true.shape}. Hint: give one weight per sample, shape "
                    f"({len(y_true) if y_true.ndim else 1},), or one per label, shape "
                    f"{y_true.shape}.") from None
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
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


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
        self.threshold = _check_number("BinaryIoU", "threshold", threshold)

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

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        num_classes = _check_positive_int(type(self).__name__, "num_classes", num_classes)
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


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

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


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

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


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
_BY_NAME.update({_object_name(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"mse": MeanSquaredError, "MSE": MeanSquaredError,
                 "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
                 "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
                 "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError,
                 "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy})

#: Per-sample functions by name, for ``MeanMetricWrapper.from_config``.
_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mean_squared_error,
    mean_absolute_error, cosine_similarity, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, log_cosh, binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, kl_divergence, poisson, hinge, squared_hinge,
    categorical_hinge, pearson_correlation, concordance_correlation)}


def get(identifier):
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
    it (see :func:`get_compile_metric`).
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _from_name(identifier)()
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=_function_name(identifier))
    raise ValueError(f"Could not interpret metric identifier {identifier!r}: expected a "
                     "metric name, a Metric class or instance, a config dict or a function "
                     "fn(y_true, y_pred).")


def _from_name(name):
    """The metric class called ``name``, or a kind error."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name.lower() in ("acc", "accuracy"):
        hint = (" 'acc' is understood only inside compile(metrics=['acc']), which picks the "
                "accuracy from the shapes; here use 'accuracy' (exact equality), "
                "'binary_accuracy' or 'categorical_accuracy'.")
    else:
        hint = did_you_mean(name, _BY_NAME)
    raise ValueError(f"Unknown metric {name!r}.{hint} Known metrics: "
                     f"{', '.join(sorted(_BY_NAME))}.")


def _function_name(fn):
    """The name Keras logs a function metric under: its ``__name__``, snake-cased."""
    return _object_name(getattr(fn, "__name__", type(fn).__name__)) or None


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
    """A metric as Keras's config dict: ``{"module", "class_name", "config", ...}``."""
    return {"module": "keras.metrics", "class_name": type(metric).__name__,
            "config": metric.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The metric a :func:`serialize` dict describes."""
    name = config.get("class_name") if isinstance(config, dict) else None
    custom_objects = custom_objects or {}
    if name in custom_objects:
        cls = custom_objects[name]
    elif name in _BY_NAME:
        cls = _BY_NAME[name]
    else:
        raise ValueError(f"Unknown metric class {name!r} in config.{did_you_mean(name, _BY_NAME)} "
                         "Hint: pass custom_objects={'MyMetric': MyMetric} for your own metrics.")
    return cls.from_config(dict(config.get("config", {})))


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
    "get", "resolve_accuracy", "get_compile_metric", "serialize", "deserialize",
]
