"""CenterCrop: the central window, or Keras's smart-resize fallback."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers.preprocessing.center_crop import CenterCrop

IMG46 = np.arange(24, dtype="float32").reshape(1, 4, 6, 1)


def test_goldens():
    np.testing.assert_allclose(CenterCrop(2, 2)(IMG46)[0, :, :, 0], [[8, 9], [14, 15]])
    np.testing.assert_allclose(CenterCrop(3, 3)(IMG46)[0, :, :, 0],
                               [[1, 2, 3], [7, 8, 9], [13, 14, 15]])
    np.testing.assert_allclose(CenterCrop(6, 2)(IMG46)[0, :, :, 0],
                               [[2, 2], [5, 5], [9, 9], [13, 13], [17, 17], [20, 20]],
                               rtol=1e-6)


def test_ignores_training_and_casts_integers():
    y = CenterCrop(2, 2)(np.arange(16, dtype="uint8").reshape(4, 4, 1), training=False)
    assert y.dtype == np.float32 and y.shape == (2, 2, 1)
    np.testing.assert_allclose(y[:, :, 0], [[5, 6], [9, 10]])


def test_channels_first_and_errors():
    y = CenterCrop(2, 2, data_format="channels_first")(np.moveaxis(IMG46, -1, 1))
    np.testing.assert_allclose(y[0, 0], [[8, 9], [14, 15]])
    with pytest.raises(ValueError, match="rank 3"):
        CenterCrop(2, 2)(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="data_format"):
        CenterCrop(2, 2, data_format="nhwc")


def test_config_round_trip():
    config = CenterCrop(3, 5).get_config()
    assert config["height"] == 3 and config["width"] == 5
    assert config["data_format"] == "channels_last"
    assert CenterCrop.from_config(config).get_config() == config


@settings(max_examples=8)
@given(size=st.tuples(st.integers(1, 7), st.integers(1, 7)), seed=st.integers(0, 99))
def test_gradients(size, seed):
    x = np.random.default_rng(seed).normal(size=(2, 4, 5, 2))
    layer = CenterCrop(*size)
    gradcheck.assert_gradients_ok(layer, x)
    gradcheck.assert_backward_repeatable(layer, x)
