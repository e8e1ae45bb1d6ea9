"""RandomContrast: the (0, 1) factor bound, the per-channel mean, clipping, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_contrast import RandomContrast


def test_factor_bounds_mean_contrast_only_increases():
    layer = RandomContrast(0.5, seed=0)
    assert layer.factor == (0, 0.5)
    x = np.random.default_rng(0).uniform(50, 200, size=(300, 3, 3, 2)).astype("float32")
    y = layer(x)
    mean = x.mean(axis=(1, 2), keepdims=True)
    a = (y - mean)[:, 0, 0, 0] / (x - mean)[:, 0, 0, 0]
    assert a.min() >= 1.0 - 1e-4 and a.max() < 1.5 + 1e-4
    np.testing.assert_allclose(y.mean(axis=(1, 2)), mean[:, 0, 0], rtol=1e-5)


def test_by_hand_clip_and_inference():
    x = np.array([[[0.], [10.]], [[20.], [30.]]], "float32")        # one 2x2 image
    y = RandomContrast((0.0, 0.0), value_range=(0, 25))(x)        # a = 1: clip only
    np.testing.assert_allclose(y[..., 0], [[0, 10], [20, 25]])
    np.testing.assert_array_equal(RandomContrast(0.3)(x, training=False), x)


def test_errors_and_config():
    with pytest.raises(ValueError, match="factor"):
        RandomContrast(-0.2)
    with pytest.raises(ValueError, match="factor"):
        RandomContrast(1.5)
    config = RandomContrast((0.1, 0.4), value_range=(0, 1), seed=3).get_config()
    assert config["factor"] == (0.1, 0.4) and config["value_range"] == (0, 1)
    assert RandomContrast.from_config(config).get_config() == config


@settings(max_examples=8)
@given(seed=st.integers(0, 99), single=st.booleans())
def test_gradients(seed, single):
    x = np.random.default_rng(seed).uniform(0.3, 0.7, size=(3, 4, 3, 2))
    x = x[0] if single else x
    layer = RandomContrast(0.5, value_range=(-10, 10), seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
