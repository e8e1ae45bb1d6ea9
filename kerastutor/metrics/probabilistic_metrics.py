r"""Probabilistic metrics: crossentropies, the KL divergence and the Poisson loss, as means.

Each one averages, over samples, the per-sample value of the loss of the
same name -- the very function :mod:`kerastutor.losses` differentiates --
so the number a metric reports is the number the loss would give:

.. math:: \text{result} = \frac{\sum_i w_i\, \ell(y_i, \hat y_i)}{\sum_i w_i}.

Options such as ``from_logits`` and ``label_smoothing`` are handed on to the
loss function at every update.
"""
from kerastutor import losses
from kerastutor.metrics.reduction_metrics import FixedMeanMetricWrapper

# Keras exports these loss functions under keras.metrics too: the same per-sample values.
binary_crossentropy = losses.binary_crossentropy
categorical_crossentropy = losses.categorical_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy
kl_divergence = losses.kl_divergence
poisson = losses.poisson
binary_focal_crossentropy = losses.binary_focal_crossentropy
categorical_focal_crossentropy = losses.categorical_focal_crossentropy


class BinaryCrossentropy(FixedMeanMetricWrapper):
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

    _fn = binary_crossentropy
    _options = ("from_logits", "label_smoothing")

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(FixedMeanMetricWrapper):
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

    _fn = categorical_crossentropy
    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(FixedMeanMetricWrapper):
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

    _fn = sparse_categorical_crossentropy
    _options = ("from_logits", "ignore_class", "axis")

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)


class KLDivergence(FixedMeanMetricWrapper):
    r"""Mean Kullback-Leibler divergence of ``y_pred`` from ``y_true``.

    .. math:: v_i = \sum_j y_{ij} \log\frac{y_{ij}}{\hat y_{ij}}
              \quad (\text{both clipped to } [\epsilon, 1])

    Examples
    --------
    >>> m = KLDivergence()
    >>> round(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
    0.4581
    """

    _fn = kl_divergence

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(name=name, dtype=dtype)


class Poisson(FixedMeanMetricWrapper):
    r"""Mean Poisson loss over samples.

    .. math:: v_i = \frac1d \sum_j \big(\hat y_{ij} - y_{ij} \log(\hat y_{ij} + \epsilon)\big)

    Examples
    --------
    >>> m = Poisson()
    >>> round(m([[0, 1], [0, 0]], [[1, 1], [0, 0]]), 4)
    0.5
    """

    _fn = poisson

    def __init__(self, name="poisson", dtype=None):
        super().__init__(name=name, dtype=dtype)
