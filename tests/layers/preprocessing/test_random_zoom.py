"""RandomZoom: pinned-zoom goldens, draws, errors, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_zoom import RandomZoom

IMG5 = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)


def test_zoom_in_and_out_goldens():
    y = RandomZoom((-0.4, -0.4), fill_mode="constant", interpolation="nearest")(IMG5)
    np.testing.assert_allclose(y[0, :, :, 0], [[6, 6, 7, 8, 8], [6, 6, 7, 8, 8],
                                               [11, 11, 12, 13, 13], [16, 16, 17, 18, 18],
                                               [16, 16, 17, 18, 18]])
    y = RandomZoom((0.4, 0.4), fill_mode="constant")(IMG5)
    np.testing.assert_allclose(y[0, 1, :, 0], [0.6, 3.6, 5.0, 6.4, 1.4], atol=1e-5)


def test_width_factor_none_shares_the_draw():
    layer = RandomZoom(0.5, seed=0)
    m = layer.sample_matrices(50, 5, 5)
    np.testing.assert_array_equal(m[:, 0], m[:, 4])
    m = RandomZoom(0.5, 0.5, seed=0).sample_matrices(50, 5, 5)
    assert not np.array_equal(m[:, 0], m[:, 4])
    assert m[:, 0].min() >= 0.5 and m[:, 0].max() < 1.5


def test_zooms_are_keras_random_draws():
    # height first, then width: (N, 1) uniforms from the layer's SeedGenerator
    generator = keras.random.SeedGenerator(4)
    zoom_y = keras.random.uniform((3, 1), 0.8, 1.2, seed=generator)[:, 0]
    zoom_x = keras.random.uniform((3, 1), 0.9, 1.5, seed=generator)[:, 0]
    m = RandomZoom(0.2, (-0.1, 0.5), seed=4).sample_matrices(3, 5, 5)
    np.testing.assert_array_equal(m[:, 4], zoom_y)
    np.testing.assert_array_equal(m[:, 0], zoom_x)
    layer = RandomZoom(0.2, seed=4)              # width_factor None: one draw, shared
    layer.sample_matrices(3, 5, 5)
    np.testing.assert_array_equal(layer.generator.state.value, [4, 1])


def test_errors():
    with pytest.raises(ValueError, match="height_factor"):
        RandomZoom(-1.0)
    with pytest.raises(ValueError, match="width_factor"):
        RandomZoom(0.1, (0.1, 0.2, 0.3))
    with pytest.raises(NotImplementedError, match="fill_mode"):
        RandomZoom(0.1, fill_mode="mirror")


def test_config_round_trip():
    config = RandomZoom(0.2, (-0.1, 0.3), seed=1).get_config()
    assert config["height_factor"] == 0.2 and config["width_factor"] == (-0.1, 0.3)
    assert RandomZoom.from_config(config).get_config() == config


@settings(max_examples=8)
@given(fill_mode=st.sampled_from(["reflect", "wrap", "constant", "nearest"]),
       interpolation=st.sampled_from(["bilinear", "nearest"]), seed=st.integers(0, 99))
def test_gradients(fill_mode, interpolation, seed):
    x = np.random.default_rng(seed).normal(size=(2, 5, 4, 2))
    layer = RandomZoom(0.4, 0.3, fill_mode=fill_mode, interpolation=interpolation, seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
