"""Probabilistic metrics: crossentropies, KL divergence and Poisson as the mean of their loss."""
import numpy as np
import pytest

from kerastutor import losses, metrics
from metric_cases import check_keras_golden, check_weights_accumulate_reset_and_round_trip


# Keras 3's docstring examples: (class, y_true, y_pred, result).
A_TRUE, A_PRED = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
B_TRUE, B_PRED = [[0, 1], [0, 0]], [[1, 1], [0, 0]]
LOSS_GOLDENS = [
    (metrics.Poisson, B_TRUE, B_PRED, 0.49999997),
    (metrics.KLDivergence, A_TRUE, A_PRED, 0.45814306),
    (metrics.BinaryCrossentropy, A_TRUE, A_PRED, 0.81492424),
    (metrics.CategoricalCrossentropy, [[0, 1, 0], [0, 0, 1]],
     [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.1769392),
    (metrics.SparseCategoricalCrossentropy, [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]],
     1.1769392),
]


@pytest.mark.parametrize("cls, y_true, y_pred, expected", LOSS_GOLDENS)
def test_loss_metric_keras_goldens(cls, y_true, y_pred, expected):
    check_keras_golden(cls, y_true, y_pred, expected)


@pytest.mark.parametrize("cls, y_true, y_pred, expected", LOSS_GOLDENS)
def test_loss_metric_weights_accumulate_reset_and_round_trip(cls, y_true, y_pred, expected):
    check_weights_accumulate_reset_and_round_trip(cls, y_true, y_pred)


def test_crossentropy_metric_options_reach_the_loss():
    logits = np.array([[2.0, -1.0], [0.5, 0.3]])
    y_true = np.array([[1.0, 0.0], [0.0, 1.0]])
    m = metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)
    assert m(y_true, logits) == pytest.approx(float(np.mean(losses.binary_crossentropy(
        y_true, logits, from_logits=True, label_smoothing=0.2))), rel=1e-6)
    assert m.get_config() == {"name": "binary_crossentropy", "dtype": "float32",
                              "from_logits": True, "label_smoothing": 0.2}
    sparse = metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    assert sparse.get_config()["ignore_class"] == 0
    assert sparse([0, 1], logits) == pytest.approx(float(np.mean(
        losses.sparse_categorical_crossentropy([0, 1], logits, from_logits=True,
                                               ignore_class=0))), rel=1e-6)
    assert metrics.get("bce").name == "binary_crossentropy"
    assert metrics.get("MAPE").name == "mean_absolute_percentage_error"
    assert metrics.get("msle").name == "mean_squared_logarithmic_error"
    assert metrics.LogCoshError().name == "logcosh"
