"""RandomTranslation: every fill mode by hand, draws, errors, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_translation import RandomTranslation

IMG5 = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)
ROW = np.arange(5, dtype="float32").reshape(1, 1, 5, 1)


@pytest.mark.parametrize("fill_mode, expected", [
    ("reflect", [1, 0, 0, 1, 2]), ("wrap", [3, 4, 0, 1, 2]),
    ("constant", [-1, -1, 0, 1, 2]), ("nearest", [0, 0, 0, 1, 2])])
def test_two_pixels_right(fill_mode, expected):
    layer = RandomTranslation((0., 0.), (0.4, 0.4), fill_mode=fill_mode,
                              interpolation="nearest", fill_value=-1)
    np.testing.assert_allclose(layer(ROW)[0, 0, :, 0], expected)


def test_one_pixel_down_and_fractional_and_left():
    y = RandomTranslation((0.2, 0.2), (0., 0.), fill_mode="wrap", interpolation="nearest")(IMG5)
    np.testing.assert_allclose(y[0, 0, :, 0], [20, 21, 22, 23, 24])
    y = RandomTranslation((0., 0.), (0.3, 0.3), fill_mode="constant")(ROW)
    np.testing.assert_allclose(y[0, 0, :, 0], [0.0, 0.0, 0.5, 1.5, 2.5])
    y = RandomTranslation((0, 0), (-0.2, -0.2), fill_mode="constant")(IMG5)
    np.testing.assert_allclose(y[0, 0, :, 0], [1, 2, 3, 4, 0])


def test_shifts_in_range_and_channels_first():
    m = RandomTranslation(0.2, (0.1, 0.3), seed=0).sample_matrices(200, 10, 20)
    assert np.all(np.abs(m[:, 5]) <= 2.0) and np.all((-m[:, 2] >= 2.0) & (-m[:, 2] < 6.0))
    layer = RandomTranslation((0.2, 0.2), 0.0, interpolation="nearest",
                              data_format="channels_first")
    y = layer(np.moveaxis(IMG5, -1, 1))
    np.testing.assert_allclose(y[0, 0, 1], IMG5[0, 0, :, 0])


def test_shifts_are_keras_random_draws():
    # height first, then width: (N, 1) uniforms from the layer's SeedGenerator, times H, W
    generator = keras.random.SeedGenerator(9)
    dy = keras.random.uniform((3, 1), -0.2, 0.2, seed=generator)[:, 0] * 10
    dx = keras.random.uniform((3, 1), 0.1, 0.3, seed=generator)[:, 0] * 20
    m = RandomTranslation(0.2, (0.1, 0.3), seed=9).sample_matrices(3, 10, 20)
    np.testing.assert_array_equal(m[:, 5], -dy)
    np.testing.assert_array_equal(m[:, 2], -dx)


def test_errors():
    with pytest.raises(ValueError, match="height_factor"):
        RandomTranslation(1.5, 0.1)
    with pytest.raises(TypeError):
        RandomTranslation(0.1)                                   # width_factor is required
    with pytest.raises(NotImplementedError, match="interpolation"):
        RandomTranslation(0.1, 0.1, interpolation="area")


def test_config_round_trip():
    config = RandomTranslation(0.1, [0.2, 0.3], fill_value=1.0, seed=2).get_config()
    assert config["width_factor"] == [0.2, 0.3] and config["fill_value"] == 1.0
    assert RandomTranslation.from_config(config).get_config() == config


@settings(max_examples=8)
@given(fill_mode=st.sampled_from(["reflect", "wrap", "constant", "nearest"]),
       interpolation=st.sampled_from(["bilinear", "nearest"]), seed=st.integers(0, 99))
def test_gradients(fill_mode, interpolation, seed):
    x = np.random.default_rng(seed).normal(size=(2, 4, 5, 2))
    layer = RandomTranslation(0.5, 0.5, fill_mode=fill_mode, interpolation=interpolation,
                              seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
