r"""The metric contract: :class:`Metric`, its state (:class:`MetricVariable`) and shared helpers.

A metric keeps a little running state and three methods drive it:
``update_state`` folds in one batch, ``result`` combines the state into the
number ``fit`` reports, ``reset_state`` starts over. Every metric family in
this package builds on the :class:`Metric` class here, and on the small
helpers below it that line up shapes, spread sample weights and divide
safely -- the rules every family shares, written once.
"""
import re

import numpy as np

from kerastutor import backend, initializers
from kerastutor.backend import snake_case
from kerastutor.weight import Weight

__all__ = ["Metric", "MetricVariable"]


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
    ``reset_state`` sets every variable back to zero (metrics that create
    their variables at the first batch have none to reset before it).

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
        self.name = name or backend.unique_name(object_name(type(self).__name__))
        self.dtype = float_dtype(type(self).__name__, dtype)
        self._variables = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, name=None):
        """Create a piece of state (a :class:`MetricVariable`) and track it.

        Its path is ``"<metric name>/<variable name>"``, as in Keras.
        """
        dtype = dtype or self.dtype
        if initializer in (None, "zeros"):
            value = np.zeros(shape, dtype=dtype)
        else:
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

    def _keep_state_with(self, values):
        """Move the state to the device the first time a batch's ``values`` live there.

        On a GPU, adding a batch's sum to a state kept on the host would read the sum
        back, and every read makes the host wait for the GPU. With the state beside
        the values the sums are added there, and only :meth:`result` is read -- when
        someone asks for the number (the progress bar, a callback, ``evaluate``).
        """
        if backend.is_device_array(values):
            for variable in self._variables:
                variable.value = backend.to_device(variable.value)

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


# ================================================================== names
def object_name(name):
    """Keras's ``to_snake_case``: drop non-word characters, then snake-case."""
    return snake_case(re.sub(r"\W+", "", name))


def float_dtype(owner, dtype):
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


# ================================================================== shapes
def match_ranks(a, b, expand_rank_1=True):
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


def float_pair(y_true, y_pred):
    """Targets in the predictions' float dtype, ranks lined up (regression-style inputs)."""
    y_pred = backend.asarray(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(backend.floatx())
    y_true = backend.asarray(y_true, dtype=y_pred.dtype)
    return match_ranks(y_true, y_pred)


def check_same_batch(owner, y_true, y_pred):
    """Targets and predictions must describe the same number of samples."""
    if y_true.ndim and y_pred.ndim and len(y_true) != len(y_pred):
        raise ValueError(
            f"{owner}: y_true has {len(y_true)} samples (shape {y_true.shape}) but y_pred "
            f"has {len(y_pred)} (shape {y_pred.shape}). Hint: pass the targets and the "
            "predictions of the same batch.")


def check_same_shape(owner, y_true, y_pred):
    """Targets and predictions must have the same shape (one target per prediction)."""
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{owner}: y_true of shape {y_true.shape} does not match "
                         f"y_pred of shape {y_pred.shape}.")


def check_2d(owner, y_true_shape, y_pred_shape, columns, hint):
    """Metrics that keep one counter per column need ``(batch_size, columns)`` inputs."""
    if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
        raise ValueError(
            f"{owner} expects 2-D inputs of shape (batch_size, {columns}), got y_true of "
            f"shape {y_true_shape} and y_pred of shape {y_pred_shape}. Hint: {hint}")


def broadcast_weights(owner, sample_weight, shape):
    """``sample_weight`` broadcast to ``shape``, or a kind error naming both shapes."""
    try:
        return np.broadcast_to(sample_weight, shape)
    except ValueError:
        raise ValueError(
            f"{owner}: sample_weight of shape {np.shape(sample_weight)} does not fit values "
            f"of shape {tuple(shape)}. Hint: give one weight per sample, shape "
            f"({shape[0] if shape else 1},).") from None


# ================================================================ numbers
def divide_no_nan(numerator, denominator):
    """``numerator / denominator``, with 0 wherever the denominator is 0 (Keras's rule)."""
    numerator, denominator = backend.asarray(numerator), backend.asarray(denominator)
    safe = np.where(denominator == 0, 1, denominator)
    return np.where(denominator == 0, 0, numerator / safe).astype(numerator.dtype, copy=False)


def to_python(value):
    """A 0-d result as a Python float, anything bigger as a NumPy array.

    A result on a GPU stays there, a 0-d device array (as Keras's results are
    tensors): reading it makes the host wait for the GPU, so whoever needs the
    number reads it (:func:`python_floats`).
    """
    value = backend.asarray(value)
    if value.ndim or backend.is_device_array(value):
        return value
    return float(value)


def python_floats(values):
    """Python floats for a list of numbers, the device ones read back in one download.

    Each read from a GPU waits for it to finish its queue, so the loss and the
    metrics of a step are read together: stacked into one array on the device,
    copied back once.
    """
    on_device = [i for i, v in enumerate(values) if backend.is_device_array(v)]
    floats = [v if type(v) is float or i in on_device else float(v)
              for i, v in enumerate(values)]
    if on_device:
        read = backend.to_host(np.stack([values[i].reshape(()) for i in on_device]))
        for i, number in zip(on_device, read.tolist()):
            floats[i] = number
    return floats


# ============================================================== arguments
def check_number(owner, argument, value):
    """``value`` as a float, or a kind error naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{owner}: `{argument}` must be a number, got {value!r}.")
    return float(value)


def check_positive_int(owner, argument, value, hint=""):
    """``value`` as an int >= 1, or a kind error naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{owner}: `{argument}` must be a positive integer, got {value!r}."
                         + (f" Hint: {hint}" if hint else ""))
    return int(value)
