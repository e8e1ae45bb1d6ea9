"""RandomGrayscale: luma in every channel, the probability, errors, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_grayscale import RandomGrayscale


def test_by_hand_and_inference():
    x = np.array([[[[100., 50., 10.]]]], "float32")              # one 1x1 RGB image
    gray = 0.2989 * 100 + 0.587 * 50 + 0.114 * 10
    np.testing.assert_allclose(RandomGrayscale(1.0)(x)[0, 0, 0], [gray] * 3, rtol=1e-6)
    np.testing.assert_array_equal(RandomGrayscale(0.0)(x), x)
    np.testing.assert_array_equal(RandomGrayscale(1.0)(x, training=False), x)
    first = RandomGrayscale(1.0, data_format="channels_first")(x.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(first[0, :, 0, 0], [gray] * 3, rtol=1e-6)


def test_probability_and_seed():
    x = np.random.default_rng(0).uniform(0, 255, size=(400, 2, 2, 3))
    y = RandomGrayscale(0.25, seed=3)(x)
    converted = np.all(np.ptp(y, axis=-1) < 1e-9, axis=(1, 2))
    assert 0.17 < converted.mean() < 0.33
    np.testing.assert_array_equal(RandomGrayscale(0.25, seed=3)(x), y)


def test_errors_and_config():
    with pytest.raises(ValueError, match="between 0 and 1"):
        RandomGrayscale(1.5)
    with pytest.raises(ValueError, match="channels"):
        RandomGrayscale(1.0)(np.zeros((1, 2, 2, 2)))
    config = RandomGrayscale(0.3, seed=2).get_config()
    assert config["factor"] == 0.3 and "seed" not in config          # as Keras
    assert RandomGrayscale.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99), single=st.booleans())
def test_gradients(seed, single):
    x = np.random.default_rng(seed).uniform(0, 1, size=(3, 3, 4, 3))
    x = x[0] if single else x
    layer = RandomGrayscale(0.5, seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
