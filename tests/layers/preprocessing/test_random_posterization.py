"""RandomPosterization: bits kept by hand, the excluded upper end, zero gradient."""
import numpy as np
import pytest

from kerastutor.layers.preprocessing.random_posterization import RandomPosterization


def test_by_hand_and_inference():
    x = np.array([[[[0.], [37.], [100.], [255.]]]], "float32")
    np.testing.assert_array_equal(RandomPosterization((1, 1))(x)[0, 0, :, 0], [0, 0, 0, 128])
    np.testing.assert_array_equal(RandomPosterization((4, 4))(x)[0, 0, :, 0], [0, 32, 96, 240])
    y = RandomPosterization((2, 2), value_range=(0, 1))(x / 255)
    np.testing.assert_allclose(y[0, 0, :, 0], np.array([0, 0, 64, 192]) / 255, rtol=1e-6)
    np.testing.assert_array_equal(RandomPosterization(4)(x, training=False), x)


def test_upper_end_is_excluded():
    assert RandomPosterization(3).factor == (1, 3)
    x = np.full((300, 1, 1, 1), 255.0)
    kept = set(np.unique(RandomPosterization(3, seed=0)(x)))
    assert kept == {128.0, 192.0}                              # 1 or 2 bits, never 3


def test_backward_is_zero_in_training_identity_at_inference():
    layer = RandomPosterization((4, 4))
    x = np.random.default_rng(0).uniform(0, 255, size=(2, 3, 3, 1))
    y, cache = layer.forward(x, training=True)
    g = np.ones_like(y)
    np.testing.assert_array_equal(layer.backward(cache, g), 0)
    y, cache = layer.forward(x, training=False)
    np.testing.assert_array_equal(layer.backward(cache, g), g)


def test_errors_and_config():
    with pytest.raises(ValueError, match="factor"):
        RandomPosterization(9)
    with pytest.raises(ValueError, match="value_range"):
        RandomPosterization(4, value_range="rgb")
    config = RandomPosterization(4, value_range=(255, 0), seed=2).get_config()
    assert config["factor"] == (1, 4) and config["value_range"] == [0, 255]
    assert RandomPosterization.from_config(config).get_config() == config
