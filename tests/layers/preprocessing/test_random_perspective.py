"""RandomPerspective: the homography by hand, probability, errors, config, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers import RandomPerspective
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


class Draws:
    def __init__(self, *values):
        self.values = list(values)

    def uniform(self, low=0.0, high=1.0, size=None):
        return np.asarray(self.values.pop(0), dtype=np.float64).reshape(size)


def test_corners_pushed_out_enlarge_the_top_left_by_hand():
    # every corner moved by +100% (the origin stays): output pixel (r, c) reads the
    # input at (r/2, c/2), so the top-left quarter fills the image (nearest: half to even)
    layer = RandomPerspective(fill_value=-1, interpolation="nearest")
    layer._rng = Draws([1.0], [0.0], np.ones((1, 4, 2)))
    y = layer(IMG5)[0, :, :, 0]
    half = np.array([0, 0, 1, 2, 2])
    np.testing.assert_array_equal(y, IMG5[0, :, :, 0][half][:, half])


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
