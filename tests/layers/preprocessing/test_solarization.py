"""Solarization: invert above the threshold, Keras's draws, training only, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers.preprocessing.solarization import Solarization


def test_by_hand_and_inference():
    x = np.array([[[[0.], [59.], [200.], [255.]]]], "float32")
    np.testing.assert_array_equal(Solarization()(x)[0, 0, :, 0], [255, 196, 55, 0])
    layer = Solarization(0.5, 0.5)
    y, _ = layer.apply_transformation(x, {"additions": np.array([10.0]),      # add 10,
                                          "thresholds": np.array([100.0])})  # threshold 100
    np.testing.assert_array_equal(y[0, 0, :, 0], [10, 69, 45, 0])
    layer = Solarization(seed=2)
    np.testing.assert_array_equal(layer(x, training=False), x)
    assert layer.generator.state.value.tolist() == [2, 0]       # no draw at inference
    layer(x)                                                    # two draws, both 0 here
    assert layer.generator.state.value.tolist() == [2, 2]


def test_only_the_upper_end_is_scaled():
    x = np.zeros((500, 1, 1, 1))
    y = Solarization(addition_factor=(0.2, 0.2), seed=0)(x)    # threshold 0: all inverted
    added = 255 - y                                           # U[0.2, 0.2 * 255)
    assert added.min() >= 0.2 - 1e-4 and added.max() < 51.0 and added.max() > 40


def test_errors_and_config():
    with pytest.raises(ValueError, match="addition_factor"):
        Solarization(addition_factor=2.0)
    with pytest.raises(ValueError, match="threshold_factor"):
        Solarization(threshold_factor=(0.1, 0.2, 0.3))
    config = Solarization(0.2, (0.6, 0.1), value_range=(1, 0), seed=4).get_config()
    assert config["addition_factor"] == (0, 0.2) and config["threshold_factor"] == (0.1, 0.6)
    assert config["value_range"] == [0, 1]
    assert Solarization.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).uniform(0.05, 0.95, size=(3, 3, 4, 2))
    layer = Solarization(0.1, 0.8, value_range=(0, 1), seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
