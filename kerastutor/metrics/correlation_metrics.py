r"""Correlation metrics: how well predictions *follow* their targets, up to shift and scale.

Each sample's target and prediction vectors are compared along an axis --
by Pearson's correlation, or by Lin's concordance correlation, which also
penalises a shift or a change of scale -- and the per-sample coefficients
are averaged by :class:`~kerastutor.metrics.Mean`. Higher is better; 1 is a
perfect (concordant) fit.
"""
import numpy as np

from kerastutor import backend
from kerastutor.metrics.metric import float_pair
from kerastutor.metrics.reduction_metrics import FixedMeanMetricWrapper


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
    y_true, y_pred = float_pair(y_true, y_pred)
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
    y_true, y_pred = float_pair(y_true, y_pred)
    true_mean = np.mean(y_true, axis=axis, keepdims=True)
    pred_mean = np.mean(y_pred, axis=axis, keepdims=True)
    norm = (np.var(y_true, axis=axis, keepdims=True) + np.var(y_pred, axis=axis, keepdims=True)
            + np.square(true_mean - pred_mean))
    covariance_terms = (y_true - pred_mean) * (y_pred - pred_mean)
    return np.mean(2 * covariance_terms / (norm + backend.epsilon()), axis=axis)


class PearsonCorrelation(FixedMeanMetricWrapper):
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

    _fn, _options = pearson_correlation, ("axis",)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)


class ConcordanceCorrelation(FixedMeanMetricWrapper):
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

    _fn, _options = concordance_correlation, ("axis",)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(name=name, dtype=dtype, axis=axis)
