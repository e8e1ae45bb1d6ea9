"""RandomGaussianBlur: the kernel, zero padding, the probability, argument errors, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.color_conversions import gaussian_kernel
from kerastutor.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur


def test_kernel_by_hand():
    k = gaussian_kernel(3, 1.0, 1.0, "float64")
    one = np.exp(-0.5 * np.array([1.0, 0.0, 1.0]))
    one /= one.sum()
    np.testing.assert_allclose(k, np.outer(one, one))
    assert abs(k.sum() - 1) < 1e-12


def test_by_hand_and_inference():
    x = np.zeros((1, 3, 3, 1))
    x[0, 1, 1, 0] = 100.0
    y = RandomGaussianBlur((1.0, 1.0), sigma=(1.0, 1.0))(x)       # sigma = 1 + 1e-6
    np.testing.assert_allclose(y[0, ..., 0], 100 * gaussian_kernel(3, 1.0, 1.0, "float64"),
                               rtol=1e-5)
    np.testing.assert_array_equal(RandomGaussianBlur((0.0, 0.0))(x), x)
    np.testing.assert_array_equal(RandomGaussianBlur()(x, training=False), x)
    flat = np.full((1, 3, 3, 1), 90.0)                            # zeros pad the border
    y = RandomGaussianBlur((1.0, 1.0), sigma=(1.0, 1.0))(flat)
    assert y[0, 1, 1, 0] == pytest.approx(90.0) and y[0, 0, 0, 0] < 90.0


def test_draws_are_keras_random_in_kerass_order():
    # SeedGenerator(3): probabilities (B,), thresholds (B,), then (sigma_x, sigma_y) + 1e-6
    x = np.random.default_rng(0).uniform(0, 255, size=(4, 5, 5, 1)).astype("float32")
    y = RandomGaussianBlur((0.2, 0.8), sigma=(0.3, 0.9), seed=3)(x)
    g = keras_random.SeedGenerator(3)
    p = keras_random.uniform((4,), 0.2, 0.8, seed=g)
    blur = keras_random.uniform((4,), seed=g) < p
    sigma_x, sigma_y = keras_random.uniform((2,), 0.3, 0.9, seed=g) + np.float32(1e-6)
    assert 0 < blur.sum() < 4
    np.testing.assert_array_equal(y[~blur], x[~blur])
    kernel = gaussian_kernel(3, sigma_x, sigma_y, "float32")
    centre = (x[blur, :3, :3, 0] * kernel).sum(axis=(1, 2))      # output pixel (1, 1)
    np.testing.assert_allclose(y[blur, 1, 1, 0], np.clip(centre, 0, 255), rtol=1e-5)


def test_errors_and_config():
    with pytest.raises(ValueError, match="odd"):
        RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match="unequal"):
        RandomGaussianBlur(kernel_size=(3, 5))
    with pytest.raises(ValueError, match="sigma"):
        RandomGaussianBlur(sigma=2.0)                             # Keras's [0, 1] bound
    config = RandomGaussianBlur(0.5, kernel_size=5, sigma=(0.2, 0.9), seed=1).get_config()
    assert config["factor"] == (0, 0.5) and config["kernel_size"] == (5, 5)
    assert config["sigma"] == (0.2, 0.9)
    assert RandomGaussianBlur.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).uniform(0.3, 0.7, size=(3, 4, 5, 2))
    layer = RandomGaussianBlur(kernel_size=3, value_range=(-5, 5), seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
