"""Adafactor: Keras 3's goldens (adafactor_test.py), factored moments, config."""
import numpy as np
import pytest

from kerastutor import optimizers
from kerastutor.weight import Weight


def test_single_steps_1d_and_2d():
    w = Weight(np.array([1.0, 2.0, 3.0, 4.0], "float32"))
    optimizers.Adafactor(0.5).apply_gradients([(np.array([1.0, 6.0, 7.0, 2.0]), w)])
    np.testing.assert_allclose(w.value, [-0.3693, 0.6307, 1.6307, 2.6307], atol=1e-4)
    w = Weight(np.array([[1.0, 2.0], [3.0, 4.0]], "float32"))
    optimizers.Adafactor(0.5).apply_gradients([(np.array([[1.0, 6.0], [7.0, 2.0]]), w)])
    np.testing.assert_allclose(w.value, [[0.7007, -0.0081], [1.2492, 3.4407]], atol=1e-4)


def test_golden_trajectory():
    optimizer = optimizers.Adafactor(learning_rate=0.5, beta_2_decay=-0.65, epsilon_1=1e-15,
                                     epsilon_2=1e-4, clip_threshold=0.9, relative_step=False)
    x = Weight(np.ones(10))
    optimizer.apply_gradients([(np.full(10, 0.01), x)])
    golden = [[0.55] * 3, [0.3031, 0.3026, 0.3025], [0.1671, 0.1665, 0.1663],
              [0.0923, 0.0916, 0.0915], [0.0554, 0.0548, 0.0546]]
    for row in golden:
        np.testing.assert_allclose(x.value[:3], row, rtol=5e-4, atol=5e-4)
        optimizer.apply_gradients([(np.arange(0.1, 1.1, 0.1), x)])


def test_second_moments_are_factored():
    w = Weight(np.ones((3, 4)))
    optimizer = optimizers.Adafactor()
    optimizer.apply_gradients([(np.arange(12.0).reshape(3, 4), w)])
    names = optimizer.variable_names
    assert any(name.endswith("_r") for name in names) and any(n.endswith("_c") for n in names)
    shapes = [v.shape for v in optimizer.variables[2:]]
    assert (3,) in shapes and (4,) in shapes          # O(n + m) statistics, not O(nm)


def test_weight_decay_and_config():
    w = Weight(np.array(2.0, "float32"))
    for _ in range(3):
        w.grad = np.zeros((), "float32")
        optimizers.Adafactor(learning_rate=1.0, weight_decay=0.004).apply([w])
    assert float(w.value) == pytest.approx(1.9760959, rel=1e-6)
    assert isinstance(optimizers.get("adafactor"), optimizers.Adafactor)
    clone = optimizers.deserialize(optimizers.serialize(
        optimizers.Adafactor(clip_threshold=0.5, relative_step=False)))
    assert clone.clip_threshold == 0.5 and clone.relative_step is False
