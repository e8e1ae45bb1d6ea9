"""RandomSharpness: the 3x3 smoothing kernel, s = 2f, zero padding, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_sharpness import RandomSharpness


def test_by_hand_and_inference():
    x = np.zeros((1, 3, 3, 1), "float32")
    x[0, 1, 1, 0] = 130.0                                       # one bright pixel
    y = RandomSharpness((0.0, 0.0))(x)                          # s = 0: the smoothed image
    np.testing.assert_allclose(y[0, ..., 0], [[10, 10, 10], [10, 50, 10], [10, 10, 10]],
                               rtol=1e-6)
    np.testing.assert_allclose(RandomSharpness((0.5, 0.5))(x), x)   # s = 1: unchanged
    y = RandomSharpness((1.0, 1.0))(x)                              # s = 2: 2x - Kx, clipped
    np.testing.assert_allclose(y[0, ..., 0], [[0, 0, 0], [0, 210, 0], [0, 0, 0]], rtol=1e-6)
    np.testing.assert_array_equal(RandomSharpness(0.5)(x, training=False), x)


def test_errors_and_config():
    assert RandomSharpness(0.5).factor == (0, 0.5)
    with pytest.raises(ValueError, match="factor"):
        RandomSharpness(-0.1)
    config = RandomSharpness((0.2, 0.7), value_range=(1, 0), seed=1).get_config()
    assert config["value_range"] == [0, 1] and config["factor"] == (0.2, 0.7)
    assert RandomSharpness.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99), single=st.booleans())
def test_gradients(seed, single):
    x = np.random.default_rng(seed).uniform(0.3, 0.7, size=(2, 4, 5, 2))
    x = x[0] if single else x
    layer = RandomSharpness(1.0, value_range=(-5, 5), seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
