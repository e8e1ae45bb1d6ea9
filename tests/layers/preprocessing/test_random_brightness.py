"""RandomBrightness: one shift per image, value_range clipping, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_brightness import RandomBrightness


def test_one_delta_per_image_in_range():
    x = np.full((200, 2, 2, 3), 128.0, "float32")
    y = RandomBrightness(0.1, seed=0)(x)
    delta = y - x
    np.testing.assert_allclose(delta, delta[:, :1, :1, :1] * np.ones_like(delta), atol=1e-4)
    assert delta.min() >= -25.5 and delta.max() < 25.5 and delta.std() > 5


def test_clip_sorted_range_and_inference():
    layer = RandomBrightness((0.5, 0.5), value_range=(1, 0))
    assert layer.value_range == [0, 1]
    np.testing.assert_allclose(layer(np.array([[[0.2], [0.7]]], "float32"))[..., 0],
                               [[0.7, 1.0]])
    x = np.ones((2, 2, 1), "float32")
    np.testing.assert_array_equal(RandomBrightness(0.3)(x, training=False), x)


def test_errors_and_config():
    with pytest.raises(ValueError, match="value_range"):
        RandomBrightness(0.1, value_range=(0, 1, 2))
    with pytest.raises(ValueError, match="factor"):
        RandomBrightness(2)
    config = RandomBrightness(0.2, value_range=(0, 1), seed=1).get_config()
    assert config["factor"] == (-0.2, 0.2) and config["value_range"] == [0, 1]
    assert RandomBrightness.from_config(config).get_config() == config


@settings(max_examples=8)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).uniform(0.3, 0.7, size=(3, 3, 2, 2))
    layer = RandomBrightness(0.1, value_range=(0, 1), seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
