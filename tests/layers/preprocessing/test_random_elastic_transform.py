"""RandomElasticTransform: the blur matrix, the field, probability, clip, config, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers import RandomElasticTransform
from kerastutor.layers.preprocessing.random_elastic_transform import gaussian_band_matrix


def test_band_matrix_by_hand():
    # sigma = 0.5: k = int(3) | 1 = 3 taps, proportional to exp(-2), 1, exp(-2)
    taps = np.array([np.exp(-2), 1.0, np.exp(-2)])
    taps /= taps.sum()
    expected = np.array([[taps[1], taps[2], 0], [taps[0], taps[1], taps[2]],
                         [0, taps[0], taps[1]]])
    np.testing.assert_allclose(gaussian_band_matrix(3, 0.5), expected)
    np.testing.assert_array_equal(gaussian_band_matrix(4, 0.25), np.eye(4))   # k = 1


def test_zero_field_is_identity_then_clip():
    x = np.array([[-5.0, 0.5], [1.5, 0.25]]).reshape(1, 2, 2, 1)
    layer = RandomElasticTransform(scale=(0.5, 0.5), value_range=(0, 1), seed=0)
    rows, cols = np.meshgrid(np.arange(2.0), np.arange(2.0), indexing="ij")
    layer.sample_field = lambda n, h, w: (np.ones(n, bool), rows[None], cols[None])
    y = layer(x)
    np.testing.assert_allclose(y[0, :, :, 0], [[0, 0.5], [1, 0.25]])


def test_field_size_follows_alpha():
    layer = RandomElasticTransform(factor=(1.0, 1.0), scale=(1.0, 1.0), seed=0)
    apply, rows, cols = layer.sample_field(8, 40, 20)
    assert apply.all()                                      # factor (1, 1): always applied
    r, c = np.meshgrid(np.arange(40), np.arange(20), indexing="ij")
    # alpha = 0.1 * 40 = 4, sigma = 0.05 * 20 = 1: displacements of a few pixels
    assert 0.1 < np.abs(rows - r).mean() < 4 and 0.1 < np.abs(cols - c).mean() < 4


def test_draws_are_keras_random_in_keras_order():
    # probability (N,), threshold (N,), strength (), then one key for both noise fields
    generator = keras.random.SeedGenerator(7)
    probability = keras.random.uniform((3,), 0.0, 0.8, seed=generator)
    apply = keras.random.uniform((3,), seed=generator) < probability
    strength = keras.random.uniform((), 0.5, 1.0, seed=generator)
    noise = keras.random.normal((2, 3, 20, 20), seed=generator)
    layer = RandomElasticTransform(factor=0.8, scale=(0.5, 1.0), seed=7)
    got_apply, rows, cols = layer.sample_field(3, 20, 20)
    np.testing.assert_array_equal(got_apply, apply)
    np.testing.assert_array_equal(layer.generator.state.value, [7, 4])
    alpha = 20 * (0.1 * strength)
    sigma = 20 * (0.05 * strength)
    band = gaussian_band_matrix(20, sigma)
    dy = band @ (noise[1] * sigma) @ band.T
    r = np.arange(20.0)[:, None]
    np.testing.assert_allclose(rows, r + alpha * dy, rtol=1e-5, atol=1e-5)


def test_default_factor_distorts_about_half_the_images():
    # Keras's quirk: factor=1.0 means p ~ U[0, 1), so P(applied) = E[p] = 1/2
    apply, _, _ = RandomElasticTransform(seed=0).sample_field(400, 4, 4)
    assert 0.4 < apply.mean() < 0.6


def test_training_behaviour():
    x = np.random.default_rng(0).uniform(0, 255, size=(2, 12, 12, 3)).astype("float32")
    layer = RandomElasticTransform(seed=1)
    assert not np.allclose(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    np.testing.assert_array_equal(RandomElasticTransform(scale=0.0)(x), x)
    np.testing.assert_array_equal(RandomElasticTransform(factor=0.0)(x), x)


def test_errors_and_config():
    with pytest.raises(ValueError, match="scale"):
        RandomElasticTransform(scale=2.0)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        RandomElasticTransform(fill_mode="edge")
    with pytest.raises(NotImplementedError, match="interpolation"):
        RandomElasticTransform(interpolation="bicubic")
    config = RandomElasticTransform(0.5, scale=(0.2, 0.4), fill_mode="mirror",
                                    value_range=(0, 1), seed=2).get_config()
    assert config["factor"] == (0.0, 0.5) and config["scale"] == (0.2, 0.4)
    assert RandomElasticTransform.from_config(config).get_config() == config


@settings(max_examples=6, deadline=None)
@given(fill_mode=st.sampled_from(["reflect", "wrap", "constant", "nearest", "mirror"]),
       interpolation=st.sampled_from(["bilinear", "nearest"]), seed=st.integers(0, 99))
def test_gradients(fill_mode, interpolation, seed):
    x = np.random.default_rng(seed).normal(size=(2, 10, 12, 2))
    layer = RandomElasticTransform(factor=(0.5, 0.5), scale=(1.0, 1.0), fill_mode=fill_mode,
                                   interpolation=interpolation, value_range=(-100, 100),
                                   seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
