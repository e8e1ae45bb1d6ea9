r"""Hinge metrics: the mean of the margin losses of maximum-margin classifiers.

Targets are 0/1 (or -1/+1) labels; each metric averages over samples the
per-sample value of the loss of the same name in :mod:`kerastutor.losses`,

.. math:: \text{result} = \frac{\sum_i w_i\, \ell(y_i, \hat y_i)}{\sum_i w_i}.
"""
from kerastutor import losses
from kerastutor.metrics.reduction_metrics import FixedMeanMetricWrapper

# Keras exports these loss functions under keras.metrics too: the same per-sample values.
hinge = losses.hinge
squared_hinge = losses.squared_hinge
categorical_hinge = losses.categorical_hinge


class Hinge(FixedMeanMetricWrapper):
    r"""Mean hinge loss, with 0/1 targets mapped to -1/+1.

    .. math:: v_i = \frac1d \sum_j \max(1 - y_{ij} \hat y_{ij}, 0)

    Examples
    --------
    >>> m = Hinge()
    >>> round(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 5)
    1.3
    """

    _fn = hinge

    def __init__(self, name="hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SquaredHinge(FixedMeanMetricWrapper):
    r"""Mean squared hinge loss: :math:`v_i = \frac1d \sum_j \max(1 - y_{ij} \hat y_{ij}, 0)^2`.

    Examples
    --------
    >>> m = SquaredHinge()
    >>> round(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 5)
    1.86
    """

    _fn = squared_hinge

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)


class CategoricalHinge(FixedMeanMetricWrapper):
    r"""Mean categorical hinge loss.

    .. math:: v_i = \max\big(0,\; 1 + \max_c (1 - y_{ic}) \hat y_{ic}
                             - \sum_c y_{ic} \hat y_{ic}\big)

    Examples
    --------
    >>> m = CategoricalHinge()
    >>> round(m([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 5)
    1.4
    """

    _fn = categorical_hinge

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(name=name, dtype=dtype)
