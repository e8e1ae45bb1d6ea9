"""RandomSaturation: a = f/(1-f+eps), gray at f = 0, identity at f = 0.5, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_saturation import RandomSaturation


def test_by_hand_and_inference():
    x = np.array([[[[0.8, 0.4, 0.2]]]])
    np.testing.assert_allclose(RandomSaturation((0.5, 0.5), value_range=(0, 1))(x), x,
                               rtol=1e-6)
    gray = RandomSaturation((0.0, 0.0), value_range=(0, 1))(x)   # S = 0: all channels = V
    np.testing.assert_allclose(gray[0, 0, 0], [0.8, 0.8, 0.8])
    full = RandomSaturation((0.9, 0.9), value_range=(0, 1))(x)   # S' = clip(9 S) = 1
    # H = (g - b) / 6R = 1/18, so t_g = 6H = 1/3 and g = V t_g; the minimum goes to 0
    np.testing.assert_allclose(full[0, 0, 0], [0.8, 0.8 / 3, 0.0], atol=1e-6)
    np.testing.assert_allclose(RandomSaturation(0.5)(x, training=False), x, rtol=1e-6)


def test_errors_and_config():
    assert RandomSaturation(0.5).factor == (-0.5, 0.5)           # the default [-1, 1] bounds
    with pytest.raises(ValueError, match="value_range"):
        RandomSaturation(0.5, value_range=(0, 1, 2))
    config = RandomSaturation((0.2, 0.7), value_range=(1, 0), seed=3).get_config()
    assert config["value_range"] == [0, 1] and config["factor"] == (0.2, 0.7)
    assert RandomSaturation.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).uniform(0.1, 0.9, size=(3, 3, 4, 3))
    layer = RandomSaturation((0.2, 0.6), value_range=(0, 1), seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
