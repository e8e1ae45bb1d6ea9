"""RandomInvert: v_hi - x, the probability draw, configs, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_invert import RandomInvert


def test_by_hand_and_inference():
    x = np.array([[[[0.], [100.]], [[200.], [255.]]]], "float32")
    np.testing.assert_allclose(RandomInvert((1.0, 1.0))(x)[0, ..., 0], [[255, 155], [55, 0]])
    np.testing.assert_array_equal(RandomInvert((0.0, 0.0))(x), x)
    np.testing.assert_array_equal(RandomInvert()(x, training=False), x)
    # Keras subtracts from the upper end only
    np.testing.assert_allclose(RandomInvert((1.0, 1.0), value_range=(10, 20))(x)[0, 0, 0],
                               [20.0])


def test_default_inverts_about_half():
    x = np.ones((400, 1, 1, 1))
    y = RandomInvert(seed=0)(x)
    assert 0.4 < (y == 254).mean() < 0.6


def test_errors_and_config():
    with pytest.raises(ValueError, match="factor"):
        RandomInvert(1.5)
    config = RandomInvert(0.4, value_range=(0, 1), seed=1).get_config()
    assert config["factor"] == (0, 0.4) and config["value_range"] == (0, 1)
    assert RandomInvert.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).uniform(0, 1, size=(4, 3, 2, 2))
    layer = RandomInvert(seed=seed, value_range=(0, 1))
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
