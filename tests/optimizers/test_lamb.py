"""Lamb: Keras 3's own test goldens (lamb_test.py) and the trust ratio by hand."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import optimizers
from kerastutor.weight import Weight


def test_lamb_single_step_golden():
    w = Weight(np.array([1.0, 2.0, 3.0, 4.0], "float32"))
    optimizers.Lamb(learning_rate=0.5).apply_gradients([(np.array([1.0, 6.0, 7.0, 2.0]), w)])
    np.testing.assert_allclose(w.value, [-0.3693, 0.6306, 1.6306, 2.6306], atol=1e-4)


def test_lamb_golden_trajectory():
    optimizer, w = optimizers.Lamb(), Weight(np.ones(10, "float32"))
    w.grad = np.full(10, 0.01, "float32")
    optimizer.apply([w])
    for expected in [0.999, 0.9982, 0.9974, 0.9965, 0.9955]:
        np.testing.assert_allclose(w.value, expected, rtol=5e-4, atol=5e-4)   # as Keras
        w.grad = np.arange(0.1, 1.1, 0.1).astype("float32")
        optimizer.apply([w])


def test_lamb_trust_ratio_by_hand():
    theta, g = np.array([3.0, 4.0]), np.array([1.0, -2.0])
    w = Weight(theta.copy())
    w.grad = g.copy()
    optimizers.Lamb(learning_rate=0.1, epsilon=0.0).apply([w])
    u = g / np.abs(g)                                  # first step: m_hat / sqrt(v_hat) = sign(g)
    ratio = np.linalg.norm(theta) / np.linalg.norm(u)
    np.testing.assert_allclose(w.value, theta - 0.1 * ratio * u, rtol=1e-7)


def test_lamb_weight_decay_string_and_config():
    w = Weight(np.array(2.0, "float32"))
    for _ in range(3):
        w.grad = np.zeros((), "float32")
        optimizers.Lamb(learning_rate=1.0, weight_decay=0.004).apply([w])
    assert float(w.value) == pytest.approx(1.9760959, rel=1e-6)
    assert isinstance(optimizers.get("lamb"), optimizers.Lamb)
    assert isinstance(keras.optimizers.Lamb(), optimizers.Optimizer)
    clone = optimizers.deserialize(optimizers.serialize(optimizers.Lamb(beta_1=0.8)))
    assert clone.beta_1 == 0.8
