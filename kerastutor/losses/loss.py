r"""The :class:`Loss` base class: what every loss shares, and the helpers several families use.

A loss writes only its per-sample values :math:`\ell_i` and their derivative
(``forward`` and ``backward``) -- or, written the Keras way, only ``call``,
which the op tape differentiates; :class:`Loss` casts the inputs, aligns the
targets with the predictions, applies the sample weights and the reduction,
and multiplies the derivative by :math:`\partial L / \partial \ell_i = w_i / n`.
The full story is in the package's introduction (:mod:`kerastutor.losses`).
"""
import contextlib
import math
import threading
import warnings

import numpy as np

from kerastutor import backend, ops
from kerastutor.tape import _record, _value

#: The reductions Keras accepts (``"mean"`` is a synonym of the default).
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

# ======================================================================= helpers
def _invalid(owner, argument, expected, value, hint=""):
    """A ValueError that says who complains, about what, and what would work."""
    message = f"{owner}: `{argument}` must be {expected}, got {value!r}."
    return ValueError(message + (f" {hint}" if hint else ""))


def _check_bool(owner, argument, value):
    if not isinstance(value, (bool, np.bool_)):
        raise _invalid(owner, argument, "True or False", value)
    return bool(value)


def _check_real(owner, argument, value, low=-math.inf, high=math.inf):
    is_number = isinstance(value, (int, float, np.integer, np.floating))
    if not is_number or isinstance(value, bool) or not low <= value <= high:
        raise _invalid(owner, argument, f"a number in [{low}, {high}]", value)
    return float(value)


def _check_axis(owner, axis):
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise _invalid(owner, "axis", "an integer such as -1 (the last axis)", axis)
    return int(axis)


def _dot_last(a, b):
    r""":math:`\sum_k a_k b_k` over the last axis, without a temporary product array."""
    return np.einsum("...k,...k->...", a, b)


def _same_rank_shapes(shape_1, shape_2):
    """The shape rule of :func:`squeeze_or_expand_to_same_rank`, on shapes."""
    rank_1, rank_2 = len(shape_1), len(shape_2)
    if rank_1 == rank_2 + 1 and shape_1[-1] == 1:
        if rank_2 == 1:
            return shape_1, tuple(shape_2) + (1,)
        return tuple(shape_1[:-1]), shape_2
    if rank_2 == rank_1 + 1 and shape_2[-1] == 1:
        if rank_1 == 1:
            return tuple(shape_1) + (1,), shape_2
        return shape_1, tuple(shape_2[:-1])
    return shape_1, shape_2


def squeeze_or_expand_to_same_rank(x1, x2):
    """Keras's alignment of two arrays whose ranks differ by one trailing axis of size 1.

    ``(N,)`` targets against ``(N, 1)`` predictions become ``(N, 1)`` and
    ``(N, 1)``: one target per sample. Without this step NumPy would
    broadcast them to an ``N x N`` table of every target against every
    prediction. A rank-1 partner is expanded; otherwise the axis of size 1
    is squeezed. Both results are views, never copies.
    """
    shape_1, shape_2 = _same_rank_shapes(x1.shape, x2.shape)
    return x1.reshape(shape_1), x2.reshape(shape_2)


def _sum_to_shape(grad, shape):
    """Undo broadcasting: sum ``grad`` over the axes that broadcasting created."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True)


_TARGETS = threading.local()      # per thread: step_through trains in a worker thread


@contextlib.contextmanager
def targets_checked_on_host():
    """``with targets_checked_on_host():`` -- the targets were checked before upload.

    ``fit``, ``evaluate`` and the ``*_on_batch`` methods check every target on the
    host (:meth:`Loss.check_targets`: the whole array, or each batch of a stream)
    before it is copied to a GPU. Inside this block a loss therefore skips the
    checks that would read the targets back from the device -- a read makes the
    host wait until the GPU has finished its queue. Host targets are always checked.
    """
    before = getattr(_TARGETS, "checked", False)
    _TARGETS.checked = True
    try:
        yield
    finally:
        _TARGETS.checked = before


def _checked_before_upload(targets):
    """Whether a check of ``targets`` may be skipped (see :func:`targets_checked_on_host`)."""
    return getattr(_TARGETS, "checked", False) and backend.is_device_array(targets)


def _divide_no_nan(numerator, divisor):
    """``numerator / divisor``, 0 where the divisor is 0 (Keras's ``divide_no_nan``).

    A divisor on a GPU (a sum of sample weights) stays there: ``where`` picks the
    answer on the device instead of the host asking the GPU whether it is 0.
    """
    if backend.is_device_array(divisor):
        quotient = numerator / divisor
        return np.where(divisor == 0, np.zeros_like(quotient), quotient)
    return numerator / divisor if divisor else numerator * 0.0


def _output_shape(y_pred_shape):
    """``check_targets`` takes the output shape, or predictions (their shape is used)."""
    return tuple(getattr(y_pred_shape, "shape", y_pred_shape))


# ==================================================================== the tape's cache
class TapeCache:
    """What a loss run on the op tape keeps for its backward.

    Attributes
    ----------
    tape : kerastutor.ops.Tape
        The records of the ops ``call`` ran.
    watched : kerastutor.ops.Traced
        ``y_pred``, as the tape traced it.
    values : kerastutor.ops.Traced or array
        What ``call`` returned: the per-sample values.
    """

    def __init__(self, tape, watched, values):
        self.tape, self.watched, self.values = tape, watched, values

    def gradient(self, upstream):
        r""":math:`\sum_i u_i\,\partial \ell_i / \partial \hat y` for the upstream :math:`u`."""
        return self.tape.gradient(self.values, upstream, self.watched)


# ==================================================================== base class
class Loss:
    r"""Base class of every loss: per-sample values, weights, reduction, gradient.

    Parameters
    ----------
    name : str or None
        The loss's name (Keras: snake case of the class name, such as
        ``"mean_squared_error"``); the fit loop reports it.
    reduction : {"sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", None}
        How the weighted values :math:`w_i \ell_i` become one number.
        ``"sum_over_batch_size"`` (and its synonym ``"mean"``) divides their
        sum by their count :math:`n`; ``"mean_with_sample_weight"`` by
        :math:`\sum_i w_i`; ``"sum"`` does not divide; ``None`` or ``"none"``
        returns the values.
    dtype : str or None
        Compute dtype; ``None`` means ``keras.config.floatx()`` (float32).
        Float64 predictions are always computed in float64.

    Notes
    -----
    The gradient of the reduced loss with respect to each value is

    .. math::

        \frac{\partial L}{\partial \ell_i} = \frac{w_i}{n}\ \text{(mean)},\qquad
        w_i\ \text{(sum)},\qquad \frac{w_i}{\sum_j w_j}\ \text{(mean with sample weight)},

    and :meth:`value_and_gradient` multiplies the loss's own
    :math:`\partial \ell_i / \partial \hat y` by it. With ``reduction=None``
    the gradient is that of :math:`\sum_i w_i \ell_i` (what a gradient tape
    does with a vector), so row :math:`i` is the gradient of sample
    :math:`i` alone.

    To write a loss the Keras way, subclass and define only
    ``call(y_true, y_pred) -> values`` with ``keras.ops``: ``call`` then runs
    on the op tape with ``y_pred`` traced, and the gradient is the tape
    walked back from :math:`L` (see :meth:`_chain_rule`). To write the
    derivative yourself, define ``forward(y_true, y_pred)`` returning
    ``(values, cache)`` and ``backward(cache)`` returning
    :math:`\partial \ell_i / \partial \hat y`; both see ``y_pred`` with the
    reduced axis last. A subclass with ``call`` and its own ``backward`` gets
    ``(y_true, y_pred)`` as the cache:

    >>> import numpy as np
    >>> from kerastutor import losses
    >>> class HalfSquares(losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return 0.5 * np.sum((y_pred - y_true) ** 2, axis=-1)
    ...     def backward(self, cache):
    ...         y_true, y_pred = cache
    ...         return y_pred - y_true
    >>> loss = HalfSquares()
    >>> loss.name
    'half_squares'
    >>> value, grad = loss.value_and_gradient([[0.0, 1.0]], [[1.0, 3.0]])
    >>> float(value), grad.tolist()
    (2.5, [[1.0, 2.0]])
    """

    #: True when the derivative jumps somewhere (``|x|``, ``max(0, x)``):
    #: the gradient checker then uses a looser threshold.
    has_kinks = False

    #: The axis each sample's loss is reduced over; it is moved last before
    #: ``forward``, so every formula below can say "the last axis".
    axis = -1

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        owner = type(self).__name__
        if reduction not in REDUCTIONS:
            raise _invalid(owner, "reduction", f"one of {REDUCTIONS}", reduction,
                           "The default, 'sum_over_batch_size', is the mean over the batch."
                           + backend.did_you_mean(reduction, [r for r in REDUCTIONS if r]))
        if name is not None and not isinstance(name, str):
            raise _invalid(owner, "name", "a string or None", name)
        self.name = name or backend.unique_name(backend.snake_case(owner))
        self.reduction = reduction
        self._dtype = None if dtype is None else np.dtype(dtype).name

    @property
    def dtype(self):
        """The compute dtype as a string (``keras.config.floatx()`` unless given)."""
        return self._dtype or backend.floatx()

    # ------------------------------------------------------------- public API
    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss, as Keras's ``loss(y_true, y_pred, sample_weight)``.

        Called on a traced ``y_pred`` -- inside a custom layer's ``call``, as in
        ``self.add_loss(self.loss_fn(targets, logits))`` -- the loss lands on the
        tape as one op (:meth:`_record_on_tape`).
        """
        if ops.is_traced(y_pred):
            return self._record_on_tape(y_true, y_pred, sample_weight)
        return self.value(y_true, y_pred, sample_weight)

    def _record_on_tape(self, y_true, y_pred, sample_weight):
        r"""The reduced loss :math:`L` as one tape op; its VJP is :math:`g\,\partial L/\partial\hat y`.

        The gradient is the loss's own (:meth:`value_and_gradient`): written out
        for a built-in loss, from the loss's own tape for a Keras-style ``call``.
        ``y_true`` and the weights are data: no gradient flows to them, as in
        training, where they come from the dataset.
        """
        if self.reduction in (None, "none"):
            raise TypeError(
                f"{type(self).__name__}(reduction={self.reduction!r}) was called on a traced "
                "value inside call(); only a reduced loss (one number) can go on the tape. "
                "Fix: keep the default reduction, or write the per-sample formula with "
                "keras.ops.")
        weights = None if sample_weight is None else _value(sample_weight)
        loss, grad = self.value_and_gradient(_value(y_true), _value(y_pred), weights)
        return _record(np.asarray(loss), (y_pred,), lambda g: (np.asarray(g) * grad,))

    def value(self, y_true, y_pred, sample_weight=None):
        """The reduced loss: a scalar, or the weighted values for ``reduction=None``."""
        y_true, y_pred, _ = self._standardize(y_true, self._as_array(y_pred))
        values, _ = self.forward(y_true, y_pred)
        mask = self.valid_mask(y_true)
        weights, weight_sum = self._per_value_weights(values, sample_weight, mask)
        divisor = self._divisor(values, mask, weight_sum)
        return self._reduce(values, weights, divisor, sample_weight)

    def gradient(self, y_true, y_pred, sample_weight=None):
        r""":math:`\partial L / \partial \hat y`: same shape and dtype as ``y_pred``."""
        return self.value_and_gradient(y_true, y_pred, sample_weight)[1]

    def value_and_gradient(self, y_true, y_pred, sample_weight=None):
        """The loss and its gradient, sharing the work (one training step needs both)."""
        y_pred = self._as_array(y_pred)
        y_true, y_work, moved_axis = self._standardize(y_true, y_pred)
        values, cache = self.forward(y_true, y_work)
        mask = self.valid_mask(y_true)
        weights, weight_sum = self._per_value_weights(values, sample_weight, mask)
        divisor = self._divisor(values, mask, weight_sum)
        loss = self._reduce(values, weights, divisor, sample_weight)
        slope = self._reduction_slope(weights, divisor)               # d L / d loss_i
        grad = self._chain_rule(cache, slope, values, y_work)
        return loss, self._restore(grad, moved_axis, y_pred)

    def _chain_rule(self, cache, slope, values, y_work):
        r""":math:`\partial L / \partial \hat y`, from :math:`\partial L / \partial \ell_i` (the slope).

        A written-out ``backward`` gives :math:`\partial \ell_i / \partial
        \hat y_i`, which is multiplied by :math:`w_i / n`. A loss recorded on
        the op tape is walked back from :math:`L` itself, with the slope as
        the upstream gradient of its values -- exact even if a value mixes
        samples.
        """
        if isinstance(cache, TapeCache):
            upstream = np.broadcast_to(slope, np.shape(values)).astype(values.dtype)
            return _sum_to_shape(cache.gradient(upstream), y_work.shape)
        grad = _sum_to_shape(self.backward(cache), y_work.shape)     # d loss_i / d y_pred
        if not grad.flags.writeable or np.may_share_memory(grad, y_work):
            grad = grad.copy()                     # a custom backward gave back an input
        grad *= np.reshape(slope, np.shape(slope) + (1,) * (grad.ndim - np.ndim(slope)))
        return grad

    def check_targets(self, y_true, y_pred_shape):
        """Catch targets this loss cannot use, once, before training starts.

        Parameters
        ----------
        y_true : array
            The whole target array given to ``fit``.
        y_pred_shape : tuple or array
            The model's output shape, such as ``(None, 10)`` (an array of
            predictions also works: its shape is used).

        Raises
        ------
        ValueError
            naming the loss, what it expected, what it got and how to fix it.
        """
        y, shape = backend.asarray(y_true), _output_shape(y_pred_shape)
        self._check_finite(y)
        self._check_shapes(y, shape)

    # --------------------------------------------------------- what subclasses write
    def forward(self, y_true, y_pred):
        """Per-sample values and a cache; by default from ``call``.

        A subclass that writes its own ``backward`` gets ``(y_true, y_pred)``
        as the cache. One that writes only ``call`` (the Keras way) has
        ``call`` recorded on the op tape with ``y_pred`` traced, and the cache
        is that tape (:class:`TapeCache`).
        """
        if type(self).backward is not Loss.backward:
            return self.call(y_true, y_pred), (y_true, y_pred)
        return self._forward_on_tape(y_true, y_pred)

    def backward(self, cache):
        r""":math:`\partial \ell_i / \partial \hat y`, shaped like ``y_pred``.

        For a loss run on the op tape this is the gradient of
        :math:`\sum_i \ell_i` (an upstream of ones): each value's own
        derivative when each value depends on its own sample only.
        """
        if isinstance(cache, TapeCache):
            return cache.gradient(np.ones_like(ops.convert_to_numpy(cache.values)))
        if isinstance(cache, ops.RawNumpyError):
            raise ops.RawNumpyError(cache.function, owner=f"The loss {self.name!r}")
        raise NotImplementedError(
            f"{type(self).__name__} (loss {self.name!r}) has its own forward() but no "
            "backward(), so its derivative is unknown. Either define backward(self, cache) "
            "returning d values / d y_pred, or define only call(y_true, y_pred) with "
            "keras.ops, and the op tape differentiates it.")

    def _forward_on_tape(self, y_true, y_pred):
        """Run ``call`` while a tape records every op applied to ``y_pred``."""
        recorder = ops.Tape()
        watched = recorder.watch(y_pred)
        try:
            with recorder:
                values = self.call(y_true, watched)
        except ops.RawNumpyError as err:
            # Raw NumPy: the values are right (evaluate works), the derivative unknown;
            # backward raises the error, which names the keras.ops function to use.
            return self._as_values(self.call(y_true, y_pred), y_pred), err
        return self._as_values(ops.convert_to_numpy(values), y_pred), \
            TapeCache(recorder, watched, values)

    @staticmethod
    def _as_values(values, y_pred):
        """The values as an array of the predictions' dtype."""
        return backend.asarray(values, dtype=y_pred.dtype)

    def call(self, y_true, y_pred):
        """Keras's hook: the per-sample values (``forward`` without the cache)."""
        if type(self).forward is Loss.forward:
            raise NotImplementedError(
                f"{type(self).__name__} must define call(y_true, y_pred) returning one "
                "loss value per sample, or forward(y_true, y_pred) -> (values, cache).")
        return self.forward(y_true, y_pred)[0]

    def valid_mask(self, y_true):
        """Which values count (``None``: all); ``ignore_class`` uses it."""
        return None

    # ------------------------------------------------------------- the pipeline
    def _as_array(self, y_pred):
        """Arrays keep their dtype; lists become arrays of the compute dtype, as in Keras."""
        if isinstance(y_pred, np.ndarray) or backend.is_device_array(y_pred):
            return y_pred
        return backend.asarray(y_pred, dtype=self.dtype)

    def _compute_dtype(self, y_pred):
        if y_pred.dtype == np.float64:
            return y_pred.dtype                    # float64 stays exact for gradient checks
        return np.dtype(self.dtype)

    def _standardize(self, y_true, y_pred):
        """Cast like Keras, align ranks, and move the reduced axis last.

        Returns the prepared ``y_true`` and ``y_pred`` and the axis that was
        moved (``None`` when it already was last).
        """
        y_pred = y_pred.astype(self._compute_dtype(y_pred), copy=False)
        y_true, y_pred = self._align_targets(backend.asarray(y_true), y_pred)
        axis = self.axis % max(y_pred.ndim, 1)
        if y_pred.ndim == 0 or axis == y_pred.ndim - 1:
            return y_true, y_pred, None
        if y_true.ndim == y_pred.ndim:
            y_true = np.moveaxis(y_true, axis, -1)
        return y_true, np.moveaxis(y_pred, axis, -1), axis

    def _align_targets(self, y_true, y_pred):
        """Targets in the compute dtype, ranks aligned with the predictions."""
        return squeeze_or_expand_to_same_rank(y_true.astype(y_pred.dtype, copy=False), y_pred)

    def _per_value_weights(self, values, sample_weight, mask):
        """One weight per value (sample weights times the mask), and Keras's :math:`\\sum w`.

        Returns ``(None, None)`` when every weight is 1, so the common case
        costs nothing. A weight of shape ``(N, 1)`` loses its trailing axis
        (Keras's rule); per-sample weights of shape ``(N,)`` are spread over
        the time steps of ``(N, T)`` values.
        """
        if sample_weight is None:
            if mask is None:
                return None, None
            weights = mask.astype(values.dtype)
            return weights, weights.sum()
        given = backend.asarray(sample_weight, dtype=values.dtype)
        if given.ndim == values.ndim + 1 and given.shape[-1] == 1:
            given = given[..., 0]
        weights = self._spread(given, values.shape)
        if mask is not None:
            weights = weights * mask
            return weights, weights.sum()
        return weights, given.sum()               # Keras sums the weights as given

    def _spread(self, weights, shape):
        if 0 < weights.ndim < len(shape) and weights.shape == shape[:weights.ndim]:
            weights = weights.reshape(weights.shape + (1,) * (len(shape) - weights.ndim))
        try:
            return np.broadcast_to(weights, shape)
        except ValueError:
            raise ValueError(
                f"{self.name}: sample_weight of shape {weights.shape} does not fit the loss "
                f"values of shape {shape} (one value per sample, or per sample and time "
                f"step). Pass one weight per sample, shape ({shape[0] if shape else 1},), "
                "or one per value.") from None

    def _divisor(self, values, mask, weight_sum):
        """What the reduction divides the weighted sum by (``None``: no division)."""
        if self.reduction in ("sum", "none", None) or values.ndim == 0 or values.shape == (0,):
            return None                            # Keras leaves scalar and empty values be
        if self.reduction == "mean_with_sample_weight" and weight_sum is not None:
            return weight_sum
        if mask is None:
            return values.size
        if backend.is_device_array(mask):          # counted on the device: nothing read
            return mask.astype(values.dtype).sum()
        return np.count_nonzero(mask)

    def _reduce(self, values, weights, divisor, sample_weight):
        weighted = values if weights is None else values * weights
        if self.reduction in ("none", None):
            return self._keras_unreduced_shape(weighted, sample_weight)
        total = weighted.sum()
        if divisor is None:
            return total
        if backend.is_device_array(total):       # a 0-d device array: read when needed
            return _divide_no_nan(total, divisor).astype(values.dtype, copy=False)
        dtype = values.dtype.type
        # divide_no_nan: if all labels are ignored the loss is 0, not NaN
        return dtype(total / dtype(divisor)) if divisor else dtype(0)

    @staticmethod
    def _keras_unreduced_shape(weighted, sample_weight):
        """Keras expands rank-1 values to ``(N, 1)`` when the weights are ``(N, 1)``."""
        if weighted.ndim == 1 and np.ndim(sample_weight) == 2 \
                and np.shape(sample_weight)[-1] == 1:
            return weighted[:, None]
        return weighted

    @staticmethod
    def _reduction_slope(weights, divisor):
        r""":math:`\partial L / \partial \ell_i = w_i / n`: a number when every :math:`w_i = 1`."""
        slope = 1.0 if weights is None else weights
        if divisor is None:
            return slope                           # a sum: d L / d loss_i = w_i
        return _divide_no_nan(slope, divisor)

    @staticmethod
    def _restore(grad, moved_axis, y_pred):
        """The gradient in ``y_pred``'s own layout, shape and (float) dtype."""
        if moved_axis is not None:
            grad = np.moveaxis(grad, -1, moved_axis)
        dtype = y_pred.dtype if y_pred.dtype.kind == "f" else grad.dtype   # not int labels
        return grad.reshape(y_pred.shape).astype(dtype, copy=False)

    # ------------------------------------------------------------- label checks
    def _check_finite(self, y):
        if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
            bad = np.argwhere(~np.isfinite(y))[0]
            raise ValueError(
                f"{self.name}: the targets contain NaN or inf (first at index "
                f"{tuple(int(i) for i in bad)}: {y[tuple(bad)]}). A single NaN target "
                "makes the loss, and then every weight, NaN. Hint: drop or fill the "
                "missing targets first, e.g. with np.isnan(y).")

    def _check_shapes(self, y, pred_shape):
        """Targets must match the output shape once Keras has aligned their ranks."""
        true_shape, pred_shape = _same_rank_shapes(y.shape, pred_shape)
        wanted = tuple(t if p is None else p for t, p in zip(true_shape, pred_shape))
        if len(true_shape) == len(pred_shape) and true_shape == wanted:
            return
        message = (f"{self.name}: the targets have shape {y.shape} but the model outputs "
                   f"{tuple(pred_shape)}")
        try:
            np.broadcast_shapes(true_shape, tuple(1 if p is None else p for p in pred_shape))
        except ValueError:
            raise ValueError(f"{message}; they cannot be compared value by value. Hint: "
                             f"the last layer needs {y.shape[-1] if y.ndim > 1 else 1} "
                             "unit(s), one per target column.") from None
        warnings.warn(f"{message}; NumPy will broadcast them against each other, which is "
                      "rarely what you want.", stacklevel=3)

    # ------------------------------------------------------------- serialization
    def get_config(self):
        """``{"name", "reduction"}`` plus the loss's own arguments (Keras's keys)."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"
