"""Rescaling: y = s x + o."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.preprocessing.rescaling import Rescaling


def test_goldens():
    y = Rescaling(1 / 255.)(np.array([0, 128, 255], dtype="uint8"))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [0.0, 0.501960813999176, 1.0])
    np.testing.assert_allclose(Rescaling(1 / 127.5, offset=-1)(np.array([0, 127.5, 255])),
                               [-1, 0, 1])


def test_per_channel_scale_and_channels_first():
    x = np.ones((1, 2, 2, 3), "float32")
    np.testing.assert_allclose(Rescaling([1., 2., 3.])(x)[0, 0, 0], [1, 2, 3])
    keras.backend.set_image_data_format("channels_first")
    try:
        y = Rescaling(np.array([1., 2., 3.]))(np.ones((1, 3, 2, 2), "float32"))
        np.testing.assert_allclose(y[0, :, 0, 0], [1, 2, 3])
    finally:
        keras.backend.set_image_data_format("channels_last")


def test_config_round_trip():
    layer = Rescaling(np.array([0.5, 2.0]), offset=1.0)
    config = layer.get_config()
    assert config["scale"] == [0.5, 2.0] and config["offset"] == 1.0
    assert Rescaling.from_config(config).get_config() == config


@settings(max_examples=8)
@given(scale=st.floats(-3, 3), offset=st.floats(-2, 2), seed=st.integers(0, 99))
def test_gradients(scale, offset, seed):
    x = np.random.default_rng(seed).normal(size=(2, 3, 3))
    layer = Rescaling([scale, 1.0, 2.0], offset=offset)
    gradcheck.assert_gradients_ok(layer, x)
    gradcheck.assert_backward_repeatable(layer, x)
