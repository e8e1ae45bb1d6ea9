r"""Losses: one number that says how wrong the predictions are, and its gradient.

A loss compares the targets :math:`y` with the model's predictions
:math:`\hat y` in three steps, exactly as Keras 3 does (``keras.losses.Loss``):

1. **Per-sample values.** Each loss reduces the *last* axis (the classes,
   the output units): mean squared error gives one number per sample,
   :math:`\ell_i = \frac1K \sum_k (\hat y_{ik} - y_{ik})^2`. A batch of shape
   ``(N, K)`` gives ``N`` values, a sequence batch ``(N, T, K)`` gives ``N x T``.
2. **Weights.** Optional ``sample_weight`` multiplies each value:
   :math:`w_i \ell_i` (a weight of shape ``(N, T)`` weighs every time step).
3. **Reduction** to one number. The default, ``"sum_over_batch_size"``, is

   .. math:: L = \frac{1}{n} \sum_i w_i \ell_i

   where :math:`n` is the **number of values** -- not the sum of the weights
   (that is ``"mean_with_sample_weight"``). ``"sum"`` drops the
   :math:`\frac1n`; ``None`` / ``"none"`` returns the weighted values.

Backpropagation starts here. The gradient of :math:`L` follows the same
three steps backwards:

.. math::

    \frac{\partial L}{\partial \hat y_{ik}}
    = \underbrace{\frac{w_i}{n}}_{\text{reduction}}\;
      \underbrace{\frac{\partial \ell_i}{\partial \hat y_{ik}}}_{\text{the loss's own}}

so each loss only writes its per-sample values and their derivative, as a
pair of methods like a layer's:

``forward(y_true, y_pred) -> (values, cache)``
    the values :math:`\ell_i`, and whatever the derivative will reuse;
``backward(cache) -> dvalues``
    :math:`\partial \ell_i / \partial \hat y_{ik}`, shaped like ``y_pred``.

:class:`Loss` does the rest: casting (float32, but float64 inputs stay
float64 so gradient checks are exact), aligning ``(N,)`` targets with
``(N, 1)`` predictions, weights, reduction and the factor :math:`w_i / n`.
``value_and_gradient`` is what the fit loop calls every step.
"""
import math
import warnings

import numpy as np

from kerastutor import backend

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


def _clip_range(dtype):
    r"""Keras's clip range :math:`[\epsilon, 1 - \epsilon]`, rounded to ``dtype``.

    Keras clips in float32, where :math:`1 - 10^{-7}` rounds to 0.99999988;
    so :math:`-\log(1 - p)` at :math:`p = 1` is 15.9424, not 16.1181.
    """
    eps = backend.epsilon()
    return dtype.type(eps), dtype.type(1.0 - eps)


def _dot_last(a, b):
    r""":math:`\sum_k a_k b_k` over the last axis, without a temporary product array."""
    return np.einsum("...k,...k->...", a, b)


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


def _is_integer_valued(y):
    """True if every entry of ``y`` is a whole number (labels such as 0, 1, 2)."""
    return y.dtype.kind in "biu" or bool(np.all(np.mod(y, 1) == 0))


def _output_shape(y_pred_shape):
    """``check_targets`` takes the output shape, or predictions (their shape is used)."""
    return tuple(getattr(y_pred_shape, "shape", y_pred_shape))


def _value_range(y):
    return f"{y.min():g}..{y.max():g}"


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

    To write a loss, subclass and define ``forward(y_true, y_pred)``
    returning ``(values, cache)`` and ``backward(cache)`` returning
    :math:`\partial \ell_i / \partial \hat y`. Both see ``y_pred`` with the
    reduced axis last. A Keras-style subclass that only defines
    ``call(y_true, y_pred) -> values`` works for values; its ``cache`` is
    ``(y_true, y_pred)``, which is what ``backward`` receives:

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
        """The reduced loss, as Keras's ``loss(y_true, y_pred, sample_weight)``."""
        return self.value(y_true, y_pred, sample_weight)

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
        grad = _sum_to_shape(self.backward(cache), y_work.shape)     # d loss_i / d y_pred
        if not grad.flags.writeable or np.may_share_memory(grad, y_work):
            grad = grad.copy()                     # a custom backward gave back an input
        slope = self._reduction_slope(weights, divisor)               # d L / d loss_i
        grad *= np.reshape(slope, np.shape(slope) + (1,) * (grad.ndim - np.ndim(slope)))
        return loss, self._restore(grad, moved_axis, y_pred)

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
        """Per-sample values and a cache; by default ``call``'s values and the inputs."""
        return self.call(y_true, y_pred), (y_true, y_pred)

    def backward(self, cache):
        r""":math:`\partial \ell_i / \partial \hat y`, shaped like ``y_pred``."""
        raise NotImplementedError(
            f"{type(self).__name__} (loss {self.name!r}) computes its values but does not "
            "know their derivative, and kerastutor has no autograd. Define "
            "backward(self, cache) returning d values / d y_pred; the cache is "
            "(y_true, y_pred) unless your forward() returns another.")

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
        return values.size if mask is None else np.count_nonzero(mask)

    def _reduce(self, values, weights, divisor, sample_weight):
        weighted = values if weights is None else values * weights
        if self.reduction in ("none", None):
            return self._keras_unreduced_shape(weighted, sample_weight)
        total = weighted.sum()
        if divisor is None:
            return total
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
        return slope / divisor if divisor else slope * 0.0

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


# ==================================================================== regression
class MeanSquaredError(Loss):
    r"""Mean squared error, the mean over the last axis.

    .. math::

        \ell = \frac{1}{K}\sum_{k=1}^{K} (\hat y_k - y_k)^2,
        \qquad
        \frac{\partial \ell}{\partial \hat y_k} = \frac{2}{K}(\hat y_k - y_k)

    Examples
    --------
    >>> from kerastutor import losses
    >>> mse = losses.MeanSquaredError()
    >>> float(mse([[1.0, 9.0, 2.0], [-5.0, -2.0, 6.0]], [[4.0, 8.0, 12.0], [8.0, 1.0, 3.0]]))
    49.5
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        error = y_pred - y_true
        return _dot_last(error, error) / error.shape[-1], error

    def backward(self, error):
        error *= 2.0 / error.shape[-1]             # the cache is ours: reuse its memory
        return error


class MeanAbsoluteError(Loss):
    r"""Mean absolute error, the mean over the last axis.

    .. math::

        \ell = \frac{1}{K}\sum_{k} |\hat y_k - y_k|,
        \qquad
        \frac{\partial \ell}{\partial \hat y_k} = \frac{1}{K}\,\mathrm{sign}(\hat y_k - y_k)

    The derivative jumps at :math:`\hat y_k = y_k` (``has_kinks``); there
    it is taken as 0.
    """

    has_kinks = True

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        error = y_pred - y_true
        return np.abs(error).mean(axis=-1), error

    def backward(self, error):
        np.sign(error, out=error)
        error *= 1.0 / error.shape[-1]
        return error


class MeanAbsolutePercentageError(Loss):
    r"""Mean absolute error as a percentage of the target.

    .. math::

        \ell = \frac{100}{K}\sum_k \frac{|\hat y_k - y_k|}{\max(|y_k|, \epsilon)},
        \qquad
        \frac{\partial \ell}{\partial \hat y_k}
        = \frac{100}{K}\,\frac{\mathrm{sign}(\hat y_k - y_k)}{\max(|y_k|, \epsilon)}

    The :math:`\max` keeps a zero target from dividing by zero (:math:`\epsilon = 10^{-7}`).
    """

    has_kinks = True

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        error = y_pred - y_true
        scale = 100.0 / np.maximum(np.abs(y_true), y_pred.dtype.type(backend.epsilon()))
        return (np.abs(error) * scale).mean(axis=-1), (error, scale)

    def backward(self, cache):
        error, scale = cache
        grad = np.sign(error, out=error)
        grad *= scale
        grad *= 1.0 / grad.shape[-1]
        return grad


class MeanSquaredLogarithmicError(Loss):
    r"""Mean squared error of :math:`\log(1 + y)`: relative errors for positive targets.

    With :math:`d_k = \log(\max(\hat y_k, \epsilon) + 1) - \log(\max(y_k, \epsilon) + 1)`,

    .. math::

        \ell = \frac{1}{K}\sum_k d_k^2,
        \qquad
        \frac{\partial \ell}{\partial \hat y_k} = \frac{2}{K}\,\frac{d_k}{\hat y_k + 1}
        \quad (0 \text{ where } \hat y_k < \epsilon)
    """

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        eps = y_pred.dtype.type(backend.epsilon())
        floored = np.maximum(y_pred, eps)          # log(1 + y) needs y > -1: floor at eps
        difference = np.log(floored + 1) - np.log(np.maximum(y_true, eps) + 1)
        values = _dot_last(difference, difference) / y_pred.shape[-1]
        return values, (difference, floored, y_pred >= eps)

    def backward(self, cache):
        difference, floored, unfloored = cache
        grad = difference / (floored + 1)
        grad *= unfloored
        grad *= 2.0 / grad.shape[-1]
        return grad


class Huber(Loss):
    r"""Huber loss: squared error for small errors, absolute error for large ones.

    With :math:`e_k = \hat y_k - y_k`,

    .. math::

        \ell = \frac{1}{K}\sum_k
        \begin{cases} \tfrac12 e_k^2 & |e_k| \le \delta \\
                      \delta |e_k| - \tfrac12 \delta^2 & |e_k| > \delta \end{cases},
        \qquad
        \frac{\partial \ell}{\partial \hat y_k} = \frac{1}{K}\,\mathrm{clip}(e_k, -\delta, \delta)

    An outlier pulls with force at most :math:`\delta`, not :math:`|e|`.
    The second derivative jumps at :math:`|e| = \delta` (``has_kinks``).

    Parameters
    ----------
    delta : float
        Where the quadratic turns linear (default 1.0).
    """

    has_kinks = True

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.delta = _check_real(type(self).__name__, "delta", delta, low=0.0)

    def forward(self, y_true, y_pred):
        error = y_pred - y_true
        delta = y_pred.dtype.type(self.delta)
        size = np.abs(error)
        per_entry = np.where(size <= delta, 0.5 * error * error, delta * size - 0.5 * delta ** 2)
        return per_entry.mean(axis=-1), error

    def backward(self, error):
        delta = error.dtype.type(self.delta)
        np.clip(error, -delta, delta, out=error)
        error *= 1.0 / error.shape[-1]
        return error

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


class LogCosh(Loss):
    r"""Mean of :math:`\log\cosh` of the error: like Huber, but smooth everywhere.

    With :math:`x_k = \hat y_k - y_k`, written stably as
    :math:`\log\cosh x = x + \mathrm{softplus}(-2x) - \log 2`,

    .. math::

        \ell = \frac{1}{K}\sum_k \log\cosh x_k,
        \qquad
        \frac{\partial \ell}{\partial \hat y_k} = \frac{1}{K}\tanh x_k
    """

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        x = y_pred - y_true
        log_cosh = x + np.logaddexp(0, -2 * x) - y_pred.dtype.type(math.log(2.0))
        return log_cosh.mean(axis=-1), x

    def backward(self, x):
        np.tanh(x, out=x)
        x *= 1.0 / x.shape[-1]
        return x


# ================================================================= crossentropy
class _Crossentropy(Loss):
    """Shared arguments of the three crossentropies: ``from_logits`` and ``axis``."""

    def __init__(self, from_logits, axis, reduction, name, dtype):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = _check_bool(type(self).__name__, "from_logits", from_logits)
        self.axis = _check_axis(type(self).__name__, axis)

    def _check_same_shape(self, y_true, y_pred, hint):
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true has shape {y_true.shape} but y_pred has "
                             f"shape {y_pred.shape}; they must be equal. {hint}")


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

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(from_logits, axis, reduction, name, dtype)
        self.label_smoothing = _check_real(type(self).__name__, "label_smoothing",
                                           label_smoothing, 0.0, 1.0)

    def forward(self, y_true, y_pred):
        self._check_same_shape(y_true, y_pred, "Hint: one target per output unit, e.g. "
                               "shape (batch, 1) for a Dense(1, activation='sigmoid').")
        y = y_true
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
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

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


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
        super().__init__(from_logits, axis, reduction, name, dtype)
        self.label_smoothing = _check_real(type(self).__name__, "label_smoothing",
                                           label_smoothing, 0.0, 1.0)

    def forward(self, y_true, y_pred):
        self._check_same_shape(y_true, y_pred, "Hint: one-hot targets need one column per "
                               "class; integer labels need sparse_categorical_crossentropy.")
        y = y_true
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + self.label_smoothing / y_pred.shape[-1]
        if self.from_logits:
            log_q, softmax = _log_softmax(y_pred)
            return -_dot_last(y, log_q), (y, softmax)
        q, total, unclipped = _normalize_and_clip(y_pred)
        return -_dot_last(y, np.log(q, out=q)), (y, y_pred, total, unclipped)

    def backward(self, cache):
        if self.from_logits:
            y, softmax = cache
            softmax *= y.sum(axis=-1, keepdims=True)
            softmax -= y
            return softmax
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
            warnings.warn(f"{self.name} with a single output unit: the renormalized "
                          "probability is always 1 and the loss always 0, so nothing "
                          "trains. Use binary_crossentropy with Dense(1, "
                          "activation='sigmoid') for two classes.", SyntaxWarning,
                          stacklevel=2)
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

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


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
            values = -np.take_along_axis(log_q, true_class, axis=-1)[..., 0]
            cache = (true_class, keep, softmax)
        else:
            q, total, unclipped = _normalize_and_clip(y_pred)
            values = -np.log(np.take_along_axis(q, true_class, axis=-1)[..., 0])
            cache = (true_class, keep, y_pred, total,
                     np.take_along_axis(unclipped, true_class, axis=-1))
        if keep is not None:
            values = np.where(keep, values, 0)    # where(), not *: ignored rows may be NaN
        return values, cache

    def backward(self, cache):
        if self.from_logits:
            true_class, keep, grad = cache         # grad starts as the softmax
            at_true = np.take_along_axis(grad, true_class, axis=-1)
            np.put_along_axis(grad, true_class, at_true - 1, axis=-1)
        else:
            true_class, keep, y_pred, total, unclipped = cache
            grad = np.empty_like(y_pred)
            grad[...] = unclipped / total          # u_c / S on every class ...
            p_true = np.take_along_axis(y_pred, true_class, axis=-1)
            at_true = np.take_along_axis(grad, true_class, axis=-1)
            pull = np.divide(unclipped, p_true, out=np.zeros_like(p_true), where=unclipped)
            np.put_along_axis(grad, true_class, at_true - pull, axis=-1)  # ... - u_c/p_c
        if keep is not None:
            grad[~keep] = 0
        return grad

    def _check_label_range(self, labels, classes):
        if labels.size == 0:
            return
        # both numbers in one read: on a GPU every read from the device waits for it
        low, high = (int(v) for v in backend.to_host(np.stack([labels.min(), labels.max()])))
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
        return {**super().get_config(), "from_logits": self.from_logits,
                "ignore_class": self.ignore_class, "axis": self.axis}


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
    from_logits : bool
        Whether ``y_pred`` holds scores (no sigmoid applied) instead of probabilities.
    label_smoothing : float in [0, 1]
        Pulls the targets towards 1/2: :math:`y \leftarrow y(1 - \varepsilon) + \varepsilon/2`.
    axis : int
        The axis the mean is taken over (default -1).

    Examples
    --------
    >>> import numpy as np
    >>> from kerastutor import losses
    >>> focal = losses.BinaryFocalCrossentropy(gamma=2.0)
    >>> y_true = np.array([[1, 0], [1, 0]])
    >>> round(float(focal(y_true, np.array([[0.9, 0.8], [0.7, 0.2]], "float32"))), 3)
    0.268
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(from_logits, axis, reduction, name, dtype)
        owner = type(self).__name__
        self.apply_class_balancing = _check_bool(owner, "apply_class_balancing",
                                                 apply_class_balancing)
        self.alpha = _check_real(owner, "alpha", alpha, 0.0, 1.0)
        self.gamma = _check_real(owner, "gamma", gamma, low=0.0)
        self.label_smoothing = _check_real(owner, "label_smoothing", label_smoothing, 0.0, 1.0)

    def forward(self, y_true, y_pred):
        self._check_same_shape(y_true, y_pred, "Hint: one target per output unit, e.g. "
                               "shape (batch, 1) for a Dense(1, activation='sigmoid').")
        y = y_true
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
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
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis,
                "apply_class_balancing": self.apply_class_balancing, "alpha": self.alpha,
                "gamma": self.gamma}


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
    >>> focal = losses.CategoricalFocalCrossentropy()
    >>> probs = np.array([[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]], "float32")
    >>> round(float(focal(np.eye(3), probs)), 4)
    0.0206
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(from_logits, axis, reduction, name, dtype)
        owner = type(self).__name__
        self.alpha = self._check_alpha(owner, alpha)
        self.gamma = _check_real(owner, "gamma", gamma, low=0.0)
        self.label_smoothing = _check_real(owner, "label_smoothing", label_smoothing, 0.0, 1.0)

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
        self._check_same_shape(y_true, y_pred, "Hint: one-hot targets need one column per "
                               "class; integer labels need sparse_categorical_crossentropy.")
        y = y_true
        if self.label_smoothing:
            y = y * (1.0 - self.label_smoothing) + self.label_smoothing / y_pred.shape[-1]
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
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis,
                "alpha": self.alpha, "gamma": self.gamma}


# ======================================================================= hinges
def _hinge_labels(y):
    """Keras's rule: if every label is 0 or 1, map them to -1 and +1."""
    if np.all((y == 0) | (y == 1)):
        return 2 * y - 1
    return y


class Hinge(Loss):
    r"""Hinge loss of a max-margin classifier, labels :math:`\pm 1`.

    Labels given as 0/1 become -1/+1 first. With the margin
    :math:`m_k = 1 - y_k \hat y_k`,

    .. math::

        \ell = \frac{1}{K}\sum_k \max(m_k, 0),
        \qquad
        \frac{\partial \ell}{\partial \hat y_k} = -\frac{y_k}{K}\,[m_k > 0]

    A prediction on the right side by a margin of 1 costs nothing and gets
    no gradient.
    """

    has_kinks = True

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        y = _hinge_labels(y_true)
        margin = 1 - y * y_pred
        return np.maximum(margin, 0).mean(axis=-1), (y, margin)

    def backward(self, cache):
        y, margin = cache
        grad = np.negative(y, out=np.empty_like(margin))
        grad *= margin > 0
        grad *= 1.0 / grad.shape[-1]
        return grad


class SquaredHinge(Loss):
    r"""Squared hinge loss: the hinge, squared (labels :math:`\pm 1`, or 0/1 mapped).

    .. math::

        \ell = \frac{1}{K}\sum_k \max(1 - y_k \hat y_k, 0)^2,
        \qquad
        \frac{\partial \ell}{\partial \hat y_k} = -\frac{2}{K}\,y_k \max(1 - y_k\hat y_k, 0)
    """

    has_kinks = True

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        y = _hinge_labels(y_true)
        positive_margin = np.maximum(1 - y * y_pred, 0)
        values = _dot_last(positive_margin, positive_margin) / y_pred.shape[-1]
        return values, (y, positive_margin)

    def backward(self, cache):
        y, positive_margin = cache
        positive_margin *= y
        positive_margin *= -2.0 / positive_margin.shape[-1]
        return positive_margin


class CategoricalHinge(Loss):
    r"""Multi-class hinge: the true class must beat the best wrong class by 1.

    With one-hot :math:`y`, the true class's score :math:`s^+ = \sum_k y_k \hat y_k`
    and the best wrong one :math:`s^- = \max_k (1 - y_k)\hat y_k` (reached at :math:`k^*`),

    .. math::

        \ell = \max(s^- - s^+ + 1,\ 0),
        \qquad
        \frac{\partial \ell}{\partial \hat y_k}
        = [\ell > 0]\,\big((1 - y_k)[k = k^*] - y_k\big)
    """

    has_kinks = True

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        true_score = _dot_last(y_true, y_pred)
        wrong_scores = (1 - y_true) * y_pred
        best_wrong = wrong_scores.argmax(axis=-1)[..., None]
        margin = np.take_along_axis(wrong_scores, best_wrong, axis=-1)[..., 0] - true_score + 1
        return np.maximum(margin, 0), (y_true, best_wrong, margin > 0)

    def backward(self, cache):
        y, best_wrong, active = cache
        grad = -y * active[..., None]
        at_best = np.take_along_axis(grad, best_wrong, axis=-1)
        push = (1 - np.take_along_axis(y, best_wrong, axis=-1)) * active[..., None]
        np.put_along_axis(grad, best_wrong, at_best + push, axis=-1)
        return grad


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


class CosineSimilarity(Loss):
    r"""Negative cosine similarity: -1 when prediction and target point the same way.

    With unit vectors :math:`\tilde u = u\,r(u)`,
    :math:`r(u) = 1/\sqrt{\max(\sum_k u_k^2, \epsilon^2)}`,

    .. math::

        \ell = -\sum_k \tilde y_k \tilde p_k,
        \qquad
        \frac{\partial \ell}{\partial \hat y_k}
        = r(\hat y)\,\big(-\ell\,\tilde p_k - \tilde y_k\big)

    (only the direction of :math:`\hat y` matters, not its length, so the
    gradient is orthogonal to :math:`\hat y`). For a (near-)zero :math:`\hat y`,
    :math:`r` is the constant :math:`1/\epsilon` and the gradient is
    :math:`-\tilde y / \epsilon`.

    Parameters
    ----------
    axis : int
        The axis along which the vectors lie (default -1).
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.axis = _check_axis(type(self).__name__, axis)

    @staticmethod
    def _unit(u):
        squared_length = _dot_last(u, u)[..., None]
        eps = u.dtype.type(backend.epsilon())
        inverse_length = 1 / np.sqrt(np.maximum(squared_length, eps * eps))
        return u * inverse_length, inverse_length, squared_length > eps * eps

    def forward(self, y_true, y_pred):
        y_unit = self._unit(y_true)[0]
        p_unit, inverse_length, scaled = self._unit(y_pred)
        values = -_dot_last(y_unit, p_unit)
        return values, (values, y_unit, p_unit, inverse_length, scaled)

    def backward(self, cache):
        values, y_unit, p_unit, inverse_length, scaled = cache
        # -loss * p~ comes from r(y_pred) changing with y_pred: not where r is clamped
        p_unit *= -values[..., None] * scaled
        p_unit -= y_unit
        p_unit *= inverse_length
        return p_unit

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


# ================================================================ overlap (segmentation)
class _Overlap(Loss):
    """Shared machinery of :class:`Dice` and :class:`Tversky`: sums over ``axis``.

    Unlike the other losses these do not reduce the last axis: they sum over
    the axes in ``axis`` (``None``: all of them, giving one number for the
    whole batch), so nothing is moved before ``forward``.
    """

    def __init__(self, axis, reduction, name, dtype):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.axis = self._check_axes(axis)

    def _check_axes(self, axis):
        owner = type(self).__name__
        expected = "None, an integer or a tuple of integers such as (1, 2, 3)"
        if axis is None:
            return None
        if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            return int(axis)
        if isinstance(axis, (list, tuple)) and all(
                isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
            return tuple(int(a) for a in axis)
        raise _invalid(owner, "axis", expected, axis,
                       "None sums over every axis (one loss for the whole batch); "
                       "(1, 2, 3) gives one loss per image of a (N, H, W, C) batch.")

    def _standardize(self, y_true, y_pred):
        """Cast and align ranks as usual, but move no axis: ``axis`` may name several."""
        y_pred = y_pred.astype(self._compute_dtype(y_pred), copy=False)
        y_true, y_pred = self._align_targets(backend.asarray(y_true), y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true has shape {y_true.shape} but y_pred has "
                             f"shape {y_pred.shape}; they must be equal. Hint: one target "
                             "(mask value) per predicted value.")
        return y_true, y_pred, None

    def _axes(self, ndim):
        """The summed axes as a tuple of non-negative integers."""
        if self.axis is None:
            return tuple(range(ndim))
        axes = (self.axis,) if isinstance(self.axis, int) else self.axis
        if any(not -ndim <= a < ndim for a in axes):
            raise ValueError(f"{self.name}: axis={self.axis!r} does not exist for inputs of "
                             f"rank {ndim}. Hint: use axes between {-ndim} and {ndim - 1}, "
                             "or None to sum over all of them.")
        return tuple(sorted(a % ndim for a in axes))

    def _sum(self, x, axes):
        return x.sum(axis=axes, keepdims=True)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dice(_Overlap):
    r"""Dice loss: one minus the overlap of prediction and target, for segmentation.

    Over the summed axes (``axis``; ``None`` sums everything), with the
    intersection :math:`I = \sum y \hat y` and the
    denominator :math:`D = \sum y + \sum \hat y + \epsilon`:

    .. math::

        \ell = 1 - \frac{2I}{D},
        \qquad
        \frac{\partial \ell}{\partial \hat y_j} = \frac{2\,(I - y_j D)}{D^2}

    A perfect binary mask gives :math:`2I = \sum y + \sum \hat y` and a loss
    of (almost) 0. With ``axis=None`` the loss is one number for the whole
    batch, and the reduction leaves it as it is; ``axis=(1, 2, 3)`` gives one
    loss per image of an ``(N, H, W, C)`` batch, then averaged.

    Parameters
    ----------
    axis : None, int or tuple of int
        The axes the sums run over (default ``None``: all).

    Examples
    --------
    >>> import numpy as np
    >>> from kerastutor import losses
    >>> y_true = np.array([[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]])
    >>> y_pred = np.array([[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]])
    >>> losses.Dice(axis=(1, 2, 3), reduction=None)(y_true, y_pred).round(5).tolist()
    [0.5, 0.75758]
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(axis, reduction, name, dtype)

    def forward(self, y_true, y_pred):
        axes = self._axes(y_pred.ndim)
        intersection = self._sum(y_true * y_pred, axes)
        denominator = self._sum(y_true, axes) + self._sum(y_pred, axes)
        denominator += y_pred.dtype.type(backend.epsilon())
        values = 1 - 2 * intersection / denominator
        return np.squeeze(values, axis=axes), (y_true, intersection, denominator)

    def backward(self, cache):
        y, intersection, denominator = cache
        grad = y * denominator
        np.subtract(intersection, grad, out=grad)
        grad *= 2 / (denominator * denominator)
        return grad


class Tversky(_Overlap):
    r"""Tversky loss: Dice with separate weights for the two kinds of mistake.

    Over the summed axes (``axis``; ``None`` sums everything), with Keras's
    three sums

    .. math::

        I = \sum y \hat y,\qquad
        F_\alpha = \sum y (1 - \hat y),\qquad
        F_\beta = \sum (1 - y) \hat y,\qquad
        D = I + \alpha F_\alpha + \beta F_\beta + \epsilon,

    (``alpha`` weighs the target pixels the prediction misses, ``beta`` the
    predicted pixels outside the target, as Keras computes them)

    .. math::

        \ell = 1 - \frac{I}{D},
        \qquad
        \frac{\partial \ell}{\partial \hat y_j}
        = \frac{I\,\big((1 - \alpha) y_j + \beta (1 - y_j)\big) - y_j D}{D^2}

    With :math:`\alpha = \beta = 1/2`, :math:`D = \tfrac12(\sum y + \sum \hat y) + \epsilon`
    and the loss is :class:`Dice`'s.

    Parameters
    ----------
    alpha : float
        Weight of :math:`F_\alpha` (default 0.5).
    beta : float
        Weight of :math:`F_\beta` (default 0.5).
    axis : None, int or tuple of int
        The axes the sums run over (default ``None``: all).

    Examples
    --------
    >>> import numpy as np
    >>> from kerastutor import losses
    >>> y_true = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]])
    >>> y_pred = np.array([[0, 1, 0, 1], [1, 0, 1, 1], [0, 1, 0, 1], [1, 0, 1, 1]])
    >>> round(float(losses.Tversky(alpha=0.2, beta=0.8)(y_true, y_pred)), 5)
    0.79167
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(axis, reduction, name, dtype)
        self.alpha = _check_real(type(self).__name__, "alpha", alpha)
        self.beta = _check_real(type(self).__name__, "beta", beta)

    def forward(self, y_true, y_pred):
        axes = self._axes(y_pred.ndim)
        intersection = self._sum(y_true * y_pred, axes)
        missed = self._sum((1 - y_pred) * y_true, axes)
        extra = self._sum(y_pred * (1 - y_true), axes)
        denominator = intersection + missed * y_pred.dtype.type(self.alpha) \
            + extra * y_pred.dtype.type(self.beta) + y_pred.dtype.type(backend.epsilon())
        values = 1 - intersection / denominator
        return np.squeeze(values, axis=axes), (y_true, intersection, denominator)

    def backward(self, cache):
        y, intersection, denominator = cache
        grad = (1 - self.alpha) * y + self.beta * (1 - y)     # d D / d y_pred
        grad *= intersection
        grad -= y * denominator
        grad /= denominator * denominator
        return grad

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta}


# ============================================================ plain functions
class LossFunctionWrapper(Loss):
    """A plain ``fn(y_true, y_pred) -> per-sample values`` used as a loss.

    Written with :mod:`kerastutor.ops` (``ops.mean(ops.square(y_true -
    y_pred), axis=-1)``), the function trains: it runs on the op tape with
    ``y_pred`` traced, and its gradient is the tape's backward pass. Written
    with raw NumPy it still gives values (``evaluate`` works), but training
    explains that its derivative is unknown.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, **kwargs)`` returning one value per sample
        (or a single number for the batch).
    **kwargs
        Passed on to ``fn``.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None,
                 **kwargs):
        if not callable(fn):
            raise _invalid("LossFunctionWrapper", "fn", "a function fn(y_true, y_pred)", fn)
        own_name = getattr(fn, "__name__", "")
        super().__init__(name=name or (own_name if own_name.isidentifier() else None),
                         reduction=reduction, dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def forward(self, y_true, y_pred):
        from kerastutor import ops
        tape = ops.Tape()
        traced = tape.watch(y_pred)
        try:
            with tape:
                out = self.fn(y_true, traced, **self.fn_kwargs)
        except TypeError as err:
            if str(err) != ops.RAW_NUMPY_HINT:
                raise
            # Raw NumPy: fine for the value, but there is nothing to differentiate.
            values = backend.asarray(self.fn(y_true, y_pred, **self.fn_kwargs), dtype=y_pred.dtype)
            return values, None
        return backend.asarray(ops._value(out), dtype=y_pred.dtype), (tape, traced, out)

    def backward(self, cache):
        from kerastutor import ops
        if cache is None or not isinstance(cache[2], ops.Traced):
            raise NotImplementedError(
                f"The loss {self.name!r} is computed with plain NumPy, so kerastutor cannot "
                "know its gradient. Write it with keras.ops (ops.mean, ops.square, ...), "
                "whose ops record their derivatives, or subclass keras.losses.Loss and "
                "write forward(y_true, y_pred) -> (values, cache) and backward(cache).")
        tape, traced, out = cache
        # Each value depends on its own sample only, so one backward pass with an
        # upstream of ones gives every d value_i / d y_pred_i at once.
        grads = tape.backward(out, np.ones_like(out.value))
        return grads.get(id(traced), np.zeros_like(traced.value))

    def get_config(self):
        return {**super().get_config(), "fn": getattr(self.fn, "__name__", repr(self.fn)),
                **self.fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, str):
            if fn not in _FUNCTIONS:
                raise ValueError(f"LossFunctionWrapper: unknown function {fn!r}. Hint: pass "
                                 f"custom_objects={{{fn!r}: {fn}}} to deserialize."
                                 + backend.did_you_mean(fn, _FUNCTIONS))
            fn = _FUNCTIONS[fn][0]
        return cls(fn, **config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn!r}, kwargs={self.fn_kwargs})>"


# ============================================================ Keras functions
def mean_squared_error(y_true, y_pred):
    """Per-sample mean squared error (see :class:`MeanSquaredError`)."""
    return MeanSquaredError(reduction=None)(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """Per-sample mean absolute error (see :class:`MeanAbsoluteError`)."""
    return MeanAbsoluteError(reduction=None)(y_true, y_pred)


def mean_absolute_percentage_error(y_true, y_pred):
    """Per-sample MAPE (see :class:`MeanAbsolutePercentageError`)."""
    return MeanAbsolutePercentageError(reduction=None)(y_true, y_pred)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Per-sample MSLE (see :class:`MeanSquaredLogarithmicError`)."""
    return MeanSquaredLogarithmicError(reduction=None)(y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    """Per-sample Huber loss (see :class:`Huber`)."""
    return Huber(delta, reduction=None)(y_true, y_pred)


def log_cosh(y_true, y_pred):
    """Per-sample log-cosh loss (see :class:`LogCosh`)."""
    return LogCosh(reduction=None)(y_true, y_pred)


def hinge(y_true, y_pred):
    """Per-sample hinge loss (see :class:`Hinge`)."""
    return Hinge(reduction=None)(y_true, y_pred)


def squared_hinge(y_true, y_pred):
    """Per-sample squared hinge loss (see :class:`SquaredHinge`)."""
    return SquaredHinge(reduction=None)(y_true, y_pred)


def categorical_hinge(y_true, y_pred):
    """Per-sample categorical hinge loss (see :class:`CategoricalHinge`)."""
    return CategoricalHinge(reduction=None)(y_true, y_pred)


def kl_divergence(y_true, y_pred):
    """Per-sample Kullback-Leibler divergence (see :class:`KLDivergence`)."""
    return KLDivergence(reduction=None)(y_true, y_pred)


def poisson(y_true, y_pred):
    """Per-sample Poisson loss (see :class:`Poisson`)."""
    return Poisson(reduction=None)(y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Per-sample negative cosine similarity (see :class:`CosineSimilarity`)."""
    return CosineSimilarity(axis, reduction=None)(y_true, y_pred)


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


def dice(y_true, y_pred, axis=None):
    """Dice loss over ``axis`` (see :class:`Dice`): a scalar for ``axis=None``."""
    return Dice(reduction=None, axis=axis)(y_true, y_pred)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss over ``axis`` (see :class:`Tversky`): a scalar for ``axis=None``."""
    return Tversky(alpha, beta, reduction=None, axis=axis)(y_true, y_pred)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy


# ==================================================================== registry
_CLASSES = {cls.__name__: cls for cls in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
    Dice, Tversky)}

#: Keras function name -> (function, the class that computes it).
_FUNCTIONS = {fn.__name__: (fn, cls) for fn, cls in (
    (mean_squared_error, MeanSquaredError), (mean_absolute_error, MeanAbsoluteError),
    (mean_absolute_percentage_error, MeanAbsolutePercentageError),
    (mean_squared_logarithmic_error, MeanSquaredLogarithmicError), (huber, Huber),
    (log_cosh, LogCosh), (hinge, Hinge), (squared_hinge, SquaredHinge),
    (categorical_hinge, CategoricalHinge), (kl_divergence, KLDivergence),
    (poisson, Poisson), (cosine_similarity, CosineSimilarity),
    (binary_crossentropy, BinaryCrossentropy),
    (categorical_crossentropy, CategoricalCrossentropy),
    (sparse_categorical_crossentropy, SparseCategoricalCrossentropy),
    (binary_focal_crossentropy, BinaryFocalCrossentropy),
    (categorical_focal_crossentropy, CategoricalFocalCrossentropy),
    (dice, Dice), (tversky, Tversky))}

_ALIASES = {"mse": "mean_squared_error", "MSE": "mean_squared_error",
            "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
            "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
            "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
            "kld": "kl_divergence", "KLD": "kl_divergence",
            "bce": "binary_crossentropy", "BCE": "binary_crossentropy"}


def _known_names():
    return sorted(_CLASSES) + sorted(_FUNCTIONS) + sorted(_ALIASES)


def get(identifier):
    """A :class:`Loss` from anything Keras accepts as ``loss=``.

    * a class name (``"CategoricalCrossentropy"``) -> an instance with defaults;
    * a function name or alias (``"mse"``) -> an instance of the matching
      class, *named* by the string (Keras reports ``"mse"`` as ``mse``);
    * a :class:`Loss` instance -> itself; a :class:`Loss` subclass -> an instance;
    * a dict from :func:`serialize` -> the loss it describes;
    * a Keras loss function -> its class; any other function ->
      :class:`LossFunctionWrapper` (values only: it has no gradient);
    * ``None`` -> ``None``.

    ``"crossentropy"`` and ``"ce"`` are *not* names here: ``compile`` picks
    the crossentropy from the shapes (see :func:`resolve_crossentropy`).
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _from_name(identifier)
    if callable(identifier):
        name = getattr(identifier, "__name__", None)
        if name in _FUNCTIONS and _FUNCTIONS[name][0] is identifier:
            return _FUNCTIONS[name][1](name=name)
        return LossFunctionWrapper(identifier)
    raise ValueError(f"Could not interpret loss identifier {identifier!r}: expected a loss "
                     "name such as 'mse', a keras.losses.Loss, a config dict or a function.")


def _from_name(name):
    if name in _CLASSES:
        return _CLASSES[name]()
    if name in _FUNCTIONS or name in _ALIASES:
        return _FUNCTIONS[_ALIASES.get(name, name)][1](name=name)
    if name.lower() in ("crossentropy", "ce"):
        hint = (f" model.compile(loss={name!r}) picks binary, categorical or sparse "
                "categorical crossentropy from the shapes of y and the output; outside "
                "compile name the one you mean, e.g. 'categorical_crossentropy'.")
    else:
        hint = backend.did_you_mean(name, _known_names())
    raise ValueError(f"Unknown loss {name!r}.{hint} Known names: {', '.join(_known_names())}.")


def resolve_crossentropy(y_true_shape, y_pred_shape):
    """The crossentropy that ``compile(loss="crossentropy")`` means, by Keras's shape rule.

    * one output unit -> ``"binary_crossentropy"``;
    * targets of lower rank, or one column against several units ->
      ``"sparse_categorical_crossentropy"``;
    * otherwise -> ``"categorical_crossentropy"``.

    Shapes may be tuples (``(None, 10)``) or arrays.

    >>> resolve_crossentropy((60000,), (None, 10))
    'sparse_categorical_crossentropy'
    """
    y_true_shape = tuple(getattr(y_true_shape, "shape", y_true_shape))
    y_pred_shape = tuple(getattr(y_pred_shape, "shape", y_pred_shape))
    if y_pred_shape[-1] == 1:
        return "binary_crossentropy"
    if len(y_true_shape) < len(y_pred_shape) or y_true_shape[-1] == 1:
        return "sparse_categorical_crossentropy"
    return "categorical_crossentropy"


def serialize(loss):
    """A loss as Keras's ``{"module", "class_name", "config", "registered_name"}`` dict."""
    if loss is None:
        return None
    if not isinstance(loss, Loss):
        name = getattr(loss, "__name__", None)
        if name in _FUNCTIONS and _FUNCTIONS[name][0] is loss:
            return {"module": "builtins", "class_name": "function", "config": name,
                    "registered_name": "function"}
        raise _invalid("serialize", "loss", "a keras.losses.Loss or a Keras loss function",
                       loss)
    return {"module": "keras.losses", "class_name": type(loss).__name__,
            "config": loss.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """The loss a :func:`serialize` dict (or a name) describes.

    ``custom_objects`` maps the class (or function) names of your own losses
    to the objects, as in Keras.
    """
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        return get(custom_objects.get(config, config))
    if not isinstance(config, dict) or "class_name" not in config:
        raise _invalid("deserialize", "config", "a dict with 'class_name' and 'config'",
                       config)
    class_name, inner = config["class_name"], config.get("config") or {}
    if class_name == "function":
        return deserialize(inner, custom_objects)
    if class_name == "LossFunctionWrapper" and inner.get("fn") in custom_objects:
        inner = {**inner, "fn": custom_objects[inner["fn"]]}
    classes = {**_CLASSES, "LossFunctionWrapper": LossFunctionWrapper, **custom_objects}
    if class_name not in classes:
        raise ValueError(f"deserialize: unknown loss class {class_name!r}."
                         f"{backend.did_you_mean(class_name, classes)} Hint: pass "
                         f"custom_objects={{{class_name!r}: {class_name}}} for your own "
                         "losses.")
    return classes[class_name].from_config(dict(inner))


__all__ = [
    "Loss",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "Huber", "LogCosh",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson",
    "CosineSimilarity", "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "Dice",
    "Tversky", "LossFunctionWrapper",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "hinge", "squared_hinge",
    "categorical_hinge", "kl_divergence", "poisson", "cosine_similarity",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "binary_focal_crossentropy", "categorical_focal_crossentropy", "dice", "tversky",
    "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "bce", "BCE",
    "get", "serialize", "deserialize", "resolve_crossentropy",
]
