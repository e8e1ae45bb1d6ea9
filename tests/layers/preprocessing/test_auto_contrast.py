"""AutoContrast: stretch per image and channel, constant channels kept, always on, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers.preprocessing.auto_contrast import AutoContrast


def test_by_hand_both_modes():
    x = np.array([[[[50., 7.]], [[100., 7.]], [[150., 7.]]]], "float32")   # 3x1, 2 channels
    for training in (True, False):                          # not random: always applied
        y = AutoContrast()(x, training=training)
        np.testing.assert_allclose(y[0, :, 0, 0], [0, 127.5, 255])
        np.testing.assert_array_equal(y[0, :, 0, 1], [7, 7, 7])             # constant: kept
    y = AutoContrast(value_range=(-1, 1))(x[..., :1] / 255)
    np.testing.assert_allclose(y[0, :, 0, 0], [-1, 0, 1], atol=1e-6)


def test_integer_images_round():
    x = np.array([[[[10]], [[11]], [[13]]]], "uint8")
    y, _ = AutoContrast().forward(x)                       # forward keeps the integer type
    assert y.dtype == np.uint8
    np.testing.assert_array_equal(y[0, :, 0, 0], [0, 85, 255])


def test_errors_and_config():
    with pytest.raises(ValueError, match="value_range"):
        AutoContrast(value_range=1)
    config = AutoContrast(value_range=(1, 0)).get_config()
    assert config["value_range"] == [0, 1]
    assert AutoContrast.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99), training=st.booleans())
def test_gradients(seed, training):
    x = np.random.default_rng(seed).uniform(0, 1, size=(2, 3, 4, 2))
    layer = AutoContrast(value_range=(0, 1))
    gradcheck.assert_gradients_ok(layer, x, training=training)
    gradcheck.assert_backward_repeatable(layer, x, training=training)
