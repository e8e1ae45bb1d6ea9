"""Hinge metrics: the mean of the hinge losses, on Keras's docstring data."""
import pytest

from kerastutor import metrics
from metric_cases import check_keras_golden, check_weights_accumulate_reset_and_round_trip


# Keras 3's docstring examples: (class, y_true, y_pred, result).
A_TRUE, A_PRED = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
LOSS_GOLDENS = [
    (metrics.Hinge, A_TRUE, A_PRED, 1.3),
    (metrics.SquaredHinge, A_TRUE, A_PRED, 1.86),
    (metrics.CategoricalHinge, A_TRUE, A_PRED, 1.4000001),
]


@pytest.mark.parametrize("cls, y_true, y_pred, expected", LOSS_GOLDENS)
def test_loss_metric_keras_goldens(cls, y_true, y_pred, expected):
    check_keras_golden(cls, y_true, y_pred, expected)


@pytest.mark.parametrize("cls, y_true, y_pred, expected", LOSS_GOLDENS)
def test_loss_metric_weights_accumulate_reset_and_round_trip(cls, y_true, y_pred, expected):
    check_weights_accumulate_reset_and_round_trip(cls, y_true, y_pred)
