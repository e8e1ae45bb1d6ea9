"""Equalization: the cumulative histogram by hand, one bin kept, training only, zero gradient."""
import numpy as np
import pytest

from kerastutor.layers.preprocessing.equalization import Equalization


def test_by_hand():
    x = np.array([[[[0.], [0.], [128.], [255.]]]], "float32")      # bins 0, 0, 127, 255
    # counts 2, 1, 1 -> cdf 2, 3, 4; cdf_min 2; lut = round(255 (cdf - 2) / 2)
    np.testing.assert_allclose(Equalization()(x)[0, 0, :, 0], [0, 0, 128, 255])
    x = np.array([[[[10.], [20.], [30.], [40.]]]], "float32")
    np.testing.assert_allclose(Equalization()(x)[0, 0, :, 0], [0, 85, 170, 255])


def test_one_bin_kept_batch_counted_together_and_inference():
    x = np.full((2, 2, 2, 2), 42.0)
    x[1, ..., 0] = 200.0                          # channel 0: two values over the batch
    y = Equalization()(x)
    np.testing.assert_array_equal(y[..., 1], 42.0)                 # one bin: unchanged
    np.testing.assert_array_equal(y[0, ..., 0], 0.0)               # the batch's histogram
    np.testing.assert_array_equal(y[1, ..., 0], 255.0)
    np.testing.assert_array_equal(Equalization()(x, training=False), x)


def test_backward():
    layer = Equalization()
    x = np.random.default_rng(0).uniform(0, 255, size=(2, 3, 3, 2))
    x[..., 1] = 5.0
    y, cache = layer.forward(x, training=True)
    grad = layer.backward(cache, np.ones_like(y))
    np.testing.assert_array_equal(grad[..., 0], 0)
    np.testing.assert_array_equal(grad[..., 1], 1)


def test_errors_and_config():
    with pytest.raises(ValueError, match="value_range"):
        Equalization(value_range=(0,))
    with pytest.raises(ValueError, match="bins"):
        Equalization(bins=0)
    config = Equalization(value_range=(1, 0), bins=64).get_config()
    assert config["bins"] == 64 and config["value_range"] == [0, 1]
    assert Equalization.from_config(config).get_config() == config
