"""RandomPerspective: the homography by hand, probability, errors, config, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers import RandomPerspective
from kerastutor.layers.preprocessing import random_perspective
from kerastutor.layers.preprocessing.random_perspective import homography_matrices

IMG5 = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)
CORNERS = np.array([[[0.0, 0.0], [4.0, 0.0], [0.0, 4.0], [4.0, 4.0]]])


def test_homography_of_unmoved_corners_is_identity():
    np.testing.assert_allclose(homography_matrices(CORNERS, CORNERS),
                               [[1, 0, 0, 0, 1, 0, 0, 0]], atol=1e-12)


def test_homography_of_a_scaling_is_affine():
    # output corners twice as far out: the output pixel (x, y) reads input (x/2, y/2)
    np.testing.assert_allclose(homography_matrices(CORNERS, 2 * CORNERS),
                               [[0.5, 0, 0, 0, 0.5, 0, 0, 0]], atol=1e-12)


def test_homography_sends_end_corners_to_start_corners():
    end = CORNERS * (1 + np.random.default_rng(0).uniform(-0.3, 0.3, size=(1, 4, 2)))
    a = homography_matrices(CORNERS, end)[0]
    x, y = end[0, :, 0], end[0, :, 1]
    w = a[6] * x + a[7] * y + 1
    np.testing.assert_allclose((a[0] * x + a[1] * y + a[2]) / w, CORNERS[0, :, 0], atol=1e-9)
    np.testing.assert_allclose((a[3] * x + a[4] * y + a[5]) / w, CORNERS[0, :, 1], atol=1e-9)


def feed_uniform(monkeypatch, *values):
    """Make ``keras.random.uniform`` return ``values`` in turn (the layer's three draws:
    probability, threshold, corner offsets), each shaped as the layer asks."""
    queue = list(values)

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return np.asarray(queue.pop(0), dtype=dtype or "float32").reshape(shape)

    monkeypatch.setattr(random_perspective.keras_random, "uniform", uniform)


def test_corners_pushed_out_enlarge_the_top_left_by_hand(monkeypatch):
    # every corner moved by +100% (the origin stays): output pixel (r, c) reads the
    # input at (r/2, c/2), so the top-left quarter fills the image (nearest: half to even)
    layer = RandomPerspective(fill_value=-1, interpolation="nearest")
    feed_uniform(monkeypatch, [1.0], [0.0], np.ones((1, 4, 2)))
    y = layer(IMG5)[0, :, :, 0]
    half = np.array([0, 0, 1, 2, 2])
    np.testing.assert_array_equal(y, IMG5[0, :, :, 0][half][:, half])


def test_draws_are_keras_random_in_keras_order():
    # probability (N,), threshold (N,), offsets (N, 4, 2): uniforms from the SeedGenerator
    generator = keras.random.SeedGenerator(3)
    probability = keras.random.uniform((4,), 0.2, 0.9, seed=generator)
    apply = keras.random.uniform((4,), seed=generator) < probability
    delta = keras.random.uniform((4, 4, 2), -0.25, 0.25, seed=generator)
    layer = RandomPerspective(factor=(0.2, 0.9), scale=0.5, seed=3)
    got_apply, start, end = layer.sample_corners(4, 5, 7)
    np.testing.assert_array_equal(got_apply, apply)
    np.testing.assert_array_equal(end, start + start * delta)


def test_probability_and_training():
    x = np.random.default_rng(0).uniform(size=(64, 5, 5, 1)).astype("float32")
    layer = RandomPerspective(factor=(0.5, 0.5), scale=0.5, seed=1)
    changed = ~np.all(np.isclose(layer(x), x), axis=(1, 2, 3))
    assert 0.25 < changed.mean() < 0.75
    np.testing.assert_array_equal(layer(x, training=False), x)
    assert np.array_equal(RandomPerspective(factor=0.0)(x), x)


def test_errors_and_config():
    with pytest.raises(ValueError, match="scale"):
        RandomPerspective(scale=1.5)
    with pytest.raises(ValueError, match="factor"):
        RandomPerspective(factor=2.0)
    with pytest.raises(NotImplementedError, match="interpolation"):
        RandomPerspective(interpolation="bicubic")
    config = RandomPerspective(0.7, scale=0.3, fill_value=2.0, seed=4).get_config()
    assert config["factor"] == (0.0, 0.7) and config["scale"] == 0.3
    assert RandomPerspective.from_config(config).get_config() == config


@settings(max_examples=6, deadline=None)
@given(interpolation=st.sampled_from(["bilinear", "nearest"]), seed=st.integers(0, 99))
def test_gradients(interpolation, seed):
    x = np.random.default_rng(seed).normal(size=(3, 4, 5, 2))
    layer = RandomPerspective(factor=(0.5, 0.5), scale=0.6, interpolation=interpolation,
                              seed=seed, data_format="channels_last")
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
