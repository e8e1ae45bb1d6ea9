r"""Segmentation losses: how well a predicted mask overlaps the target mask.

Dice and Tversky compare sums over whole images (or the whole batch)
instead of reducing the last axis, so a small object counts as much as a
large background. Their gradients follow from the quotient rule.
"""
import numpy as np

from kerastutor import backend
from kerastutor.losses.loss import Loss, _check_real, _invalid


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

    def _per_value_weights(self, values, sample_weight, mask):
        r"""Weights for one value per batch (``axis=None``), as Keras applies them.

        Keras multiplies the single value :math:`\ell` by the weights as given,
        :math:`\ell w_i`, and reduces that as if it were one value per sample:

        .. math::

            L = \ell\, s, \qquad \frac{\partial L}{\partial \hat y} = s\,
            \frac{\partial \ell}{\partial \hat y}, \qquad
            s = \begin{cases}
            \tfrac1n \sum_i w_i & \mathrm{"sum\_over\_batch\_size"} \\
            \sum_i w_i & \text{"sum"} \\
            [\sum_i w_i \ne 0] & \mathrm{"mean\_with\_sample\_weight"}
            \end{cases}

        (:math:`n` weights). A scalar weight, or a single one of shape ``(1,)``,
        simply scales :math:`\ell`; ``reduction=None`` returns the vector
        :math:`\ell w`. Per-image values (``axis=(1, 2, 3)``) are weighted as
        any loss's.
        """
        if np.ndim(values) or sample_weight is None:
            return super()._per_value_weights(values, sample_weight, mask)
        weights = backend.asarray(sample_weight, dtype=values.dtype)
        if weights.shape == (1,):
            weights = weights[0]                   # Keras squeezes a lone weight
        if weights.ndim == 0 or self.reduction in ("none", None):
            return weights, None                   # l * w, left unreduced
        total = weights.sum()
        if self.reduction == "sum":
            return total, None
        if self.reduction == "mean_with_sample_weight":
            return values.dtype.type(total != 0), None    # sum(l w) / sum(w), 0 if no weight
        return (total / values.dtype.type(weights.size) if weights.size
                else values.dtype.type(0)), None   # sum(l w) / n

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
    batch, and the reduction leaves it as it is (per-sample weights scale it
    by their mean, as in Keras: see ``_Overlap._per_value_weights``);
    ``axis=(1, 2, 3)`` gives one loss per image of an ``(N, H, W, C)`` batch,
    then averaged.

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
    axis
        As in :class:`Dice`.

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


# ============================================================ Keras functions
def dice(y_true, y_pred, axis=None):
    """Dice loss over ``axis`` (see :class:`Dice`): a scalar for ``axis=None``."""
    return Dice(reduction=None, axis=axis)(y_true, y_pred)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss over ``axis`` (see :class:`Tversky`): a scalar for ``axis=None``."""
    return Tversky(alpha, beta, reduction=None, axis=axis)(y_true, y_pred)
