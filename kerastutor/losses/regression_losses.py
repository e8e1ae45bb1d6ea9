r"""Regression losses: how far real-valued predictions are from their targets.

Each loss reduces the last axis to one value per sample, and writes the
derivative of that value next to it (:class:`~kerastutor.losses.Loss` adds
the weights and the reduction). Squared error punishes large errors most,
absolute error treats all alike, Huber and log-cosh sit in between, and
cosine similarity looks only at the direction of the prediction.
"""
import math

import numpy as np

from kerastutor import backend
from kerastutor.losses.loss import Loss, _check_axis, _check_real, _dot_last


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
        return error * (2.0 / error.shape[-1])


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
        return np.sign(error) * (1.0 / error.shape[-1])


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
        return np.sign(error) * scale * (1.0 / error.shape[-1])


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

    ``get_config`` keeps ``delta``, so a saved ``Huber(delta=2.0)`` loads back
    with :math:`\delta = 2`; Keras 3.15.1's config leaves it out, and its
    reloaded loss silently uses :math:`\delta = 1`.

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
        return np.clip(error, -delta, delta) * (1.0 / error.shape[-1])

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
        return np.tanh(x) * (1.0 / x.shape[-1])


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
        length_change = -values[..., None] * scaled * p_unit
        return (length_change - y_unit) * inverse_length

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


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


def cosine_similarity(y_true, y_pred, axis=-1):
    """Per-sample negative cosine similarity (see :class:`CosineSimilarity`)."""
    return CosineSimilarity(axis, reduction=None)(y_true, y_pred)
