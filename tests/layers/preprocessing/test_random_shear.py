"""RandomShear: the shear matrix by hand, factor rule, errors, config, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers import RandomShear
from kerastutor.layers.preprocessing import random_shear
from kerastutor.layers.preprocessing.random_shear import shear_matrices

IMG4 = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)


def feed_uniform(monkeypatch, *values):
    """Make ``keras.random.uniform`` return ``values`` in turn (the layer's three draws:
    sign, s_y, s_x), each shaped as the layer asks."""
    queue = list(values)

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return np.asarray(queue.pop(0), dtype=dtype or "float32").reshape(shape)

    monkeypatch.setattr(random_shear.keras_random, "uniform", uniform)


def test_x_shear_by_hand(monkeypatch):
    # sign draw 0.9 > 0.5 -> -1, times s_x = 1: output (r, c) reads the input at column c - r
    layer = RandomShear(x_factor=1.0, fill_mode="constant", fill_value=-1,
                        interpolation="nearest")
    feed_uniform(monkeypatch, [0.9], [0.0], [1.0])
    y = layer(IMG4)[0, :, :, 0]
    expected = [[0, 1, 2, 3], [-1, 4, 5, 6], [-1, -1, 8, 9], [-1, -1, -1, 12]]
    np.testing.assert_array_equal(y, expected)


def test_y_shear_half_bilinear_by_hand(monkeypatch):
    # sign +1, s_y = 0.5: output (r, c) reads row r + c/2 (between rows for odd c)
    layer = RandomShear(y_factor=0.5, fill_mode="nearest")
    feed_uniform(monkeypatch, [0.1], [0.5], [0.0])
    y = layer(IMG4)[0, :, :, 0]
    x = IMG4[0, :, :, 0]
    np.testing.assert_allclose(y[0], [x[0, 0], (x[0, 1] + x[1, 1]) / 2, x[1, 2],
                                      (x[1, 3] + x[2, 3]) / 2])
    np.testing.assert_allclose(y[3], [x[3, 0], x[3, 1], x[3, 2], x[3, 3]])


def test_matrix_layout():
    np.testing.assert_array_equal(shear_matrices([0.2], [-0.3]),
                                  [[1, 0.2, 0, -0.3, 1, 0, 0, 0]])


def test_draws_are_keras_random_in_keras_order():
    # sign, then s_y, then s_x: three (N, 1) uniforms from the layer's SeedGenerator
    generator = keras.random.SeedGenerator(5)
    sign = np.where(keras.random.uniform((3, 1), seed=generator) > 0.5, -1.0, 1.0)[:, 0]
    shear_y = keras.random.uniform((3, 1), 0.1, 0.4, seed=generator)[:, 0]
    shear_x = keras.random.uniform((3, 1), -0.3, 0.3, seed=generator)[:, 0]
    m = RandomShear(x_factor=0.3, y_factor=(0.1, 0.4), seed=5).sample_matrices(3, 5, 5)
    np.testing.assert_array_equal(m[:, 1], sign * shear_x)
    np.testing.assert_array_equal(m[:, 3], sign * shear_y)


def test_factor_rule_and_draws():
    layer = RandomShear(x_factor=0.3, y_factor=(0.4, 0.1), seed=0)
    assert layer.x_factor == (-0.3, 0.3) and layer.y_factor == (0.1, 0.4)
    m = layer.sample_matrices(400, 5, 5)
    assert np.abs(m[:, 1]).max() <= 0.3 and np.abs(m[:, 3]).min() >= 0.1
    assert (m[:, 3] < 0).mean() > 0.3 and (m[:, 3] > 0).mean() > 0.3   # the random sign


def test_training_behaviour():
    layer = RandomShear(0.5, 0.5, seed=1)
    assert not np.array_equal(layer(IMG4), IMG4)             # direct call augments
    np.testing.assert_array_equal(layer(IMG4, training=False), IMG4)
    assert layer(IMG4[0]).shape == (4, 4, 1)


def test_errors_and_config():
    with pytest.raises(ValueError, match="x_factor"):
        RandomShear(x_factor=1.5)
    with pytest.raises(ValueError, match="x_factor"):
        RandomShear(x_factor=-0.2)
    with pytest.raises(ValueError, match="y_factor"):
        RandomShear(y_factor=(-1.1, 0.2))
    with pytest.raises(NotImplementedError, match="fill_mode"):
        RandomShear(fill_mode="edge")
    with pytest.raises(NotImplementedError, match="interpolation"):
        RandomShear(interpolation="bicubic")
    config = RandomShear(0.2, (0.1, 0.3), fill_mode="wrap", seed=3).get_config()
    assert config["x_factor"] == (-0.2, 0.2) and config["fill_mode"] == "wrap"
    assert RandomShear.from_config(config).get_config() == config


@settings(max_examples=6, deadline=None)
@given(fill_mode=st.sampled_from(["reflect", "wrap", "constant", "nearest"]),
       interpolation=st.sampled_from(["bilinear", "nearest"]), seed=st.integers(0, 99))
def test_gradients(fill_mode, interpolation, seed):
    x = np.random.default_rng(seed).normal(size=(2, 4, 5, 2))
    layer = RandomShear(0.4, 0.4, fill_mode=fill_mode, interpolation=interpolation, seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
