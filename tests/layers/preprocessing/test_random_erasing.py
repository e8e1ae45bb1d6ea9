"""RandomErasing: boxes by hand, fill values, probability, errors, config, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers import RandomErasing
from kerastutor import random as keras_random
from kerastutor.layers.preprocessing import random_erasing
from kerastutor.layers.preprocessing.random_erasing import box_masks

IMG = np.arange(2 * 4 * 5 * 3, dtype="float32").reshape(2, 4, 5, 3)


class Draws:
    """A stand-in for ``kerastutor.random``: ``uniform`` returns its queued values in turn."""

    def __init__(self, *values):
        self.values = list(values)

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype="float32", seed=None):
        return np.asarray(self.values.pop(0), dtype=dtype).reshape(shape)


def _hand_draws():
    return Draws([[0.36, 0.25], [0.36, 0.25]], [0.5, 0.5], [1.0, 1.0], [0.5, 0.5], [0.0, 0.9])


def test_box_mask_by_hand():
    # x in [1.5, 3.5) -> columns 2, 3; y in [0, 2) -> rows 0, 1
    mask = box_masks(np.array([1.5]), np.array([2.0]), np.array([0.0]), np.array([2.0]), 3, 5)
    np.testing.assert_array_equal(mask[0, :, :, 0], [[0, 0, 1, 1, 0], [0, 0, 1, 1, 0],
                                                     [0, 0, 0, 0, 0]])


def test_erase_by_hand(monkeypatch):
    # area fractions 0.36 (width: 0.6 * 5 = 3 columns) and 0.25 (height: 0.5 * 4 = 2 rows),
    # starts u (W - 3) = 1, v (H - 2) = 2; image 0 erased (u' = 0 < p = 0.5), image 1 not
    layer = RandomErasing(factor=(0.5, 0.5), fill_value=7.0)
    monkeypatch.setattr(random_erasing, "keras_random", _hand_draws())
    y = layer(IMG)
    erased = np.zeros((4, 5), bool)
    erased[2:4, 1:4] = True
    np.testing.assert_array_equal(y[0], np.where(erased[:, :, None], 7.0, IMG[0]))
    np.testing.assert_array_equal(y[1], IMG[1])
    g = np.ones_like(IMG)
    monkeypatch.setattr(random_erasing, "keras_random", _hand_draws())
    y, cache = layer.forward(IMG, training=True)
    np.testing.assert_array_equal(layer.backward(cache, g)[0, :, :, 0], ~erased)
    np.testing.assert_array_equal(layer.backward(cache, g)[1], 1)


def test_draws_are_keras_random_in_kerass_order():
    # Keras's order from the layer's SeedGenerator(5): scale (B, 2), x starts, y starts,
    # probabilities, thresholds, then the N(0, 1) noise in the input's shape
    x = np.full((2, 4, 5, 3), 100.0, dtype="float32")
    y = RandomErasing(factor=(0.2, 0.9), scale=(0.3, 0.6), seed=5)(x)
    assert (y != x).any(axis=(1, 2, 3)).all()           # both images erased with this seed
    g = keras_random.SeedGenerator(5)
    ratios = np.sqrt(keras_random.uniform((2, 2), 0.3, 0.6, seed=g))
    u, v = keras_random.uniform((2,), seed=g), keras_random.uniform((2,), seed=g)
    p = keras_random.uniform((2,), 0.2, 0.9, seed=g)
    apply = keras_random.uniform((2,), seed=g) < p
    noise = np.clip(keras_random.normal(x.shape, seed=g) * 255, 0, 255)
    x0 = u * (5 - ratios[:, 0] * 5)
    y0 = v * (4 - ratios[:, 1] * 4)
    for n in range(2):
        cols = (np.arange(5) >= x0[n]) & (np.arange(5) < x0[n] + ratios[n, 0] * 5)
        rows = (np.arange(4) >= y0[n]) & (np.arange(4) < y0[n] + ratios[n, 1] * 4)
        box = (rows[:, None] & cols[None, :])[:, :, None] & apply[n]
        np.testing.assert_array_equal(y[n], np.where(box, noise[n], 100.0))


def test_fill_values_are_clipped():
    x = np.full((1, 6, 6, 3), 100.0, dtype="float32")
    y = RandomErasing(factor=(1, 1), scale=(0.5, 0.5), fill_value=(-10, 128, 300), seed=0)(x)
    assert set(np.unique(y[..., 0])) == {0.0, 100.0}
    assert set(np.unique(y[..., 2])) == {100.0, 255.0}
    noise = RandomErasing(factor=(1, 1), scale=(0.5, 0.5), seed=0)(x)   # N(0,1) * 255, clipped
    changed = noise != x
    assert changed.any() and noise.min() >= 0 and noise.max() <= 255


def test_training_behaviour_and_probability():
    x = np.random.default_rng(0).uniform(1, 255, size=(200, 4, 4, 1)).astype("float32")
    layer = RandomErasing(scale=(0.5, 0.6), fill_value=0, seed=0)
    erased = (layer(x) == 0).any(axis=(1, 2, 3))
    assert 0.35 < erased.mean() < 0.65                  # default factor: p ~ U[0, 1)
    np.testing.assert_array_equal(layer(x, training=False), x)


def test_errors_and_config():
    with pytest.raises(ValueError, match="fill_value"):
        RandomErasing(fill_value=(1, 2))
    with pytest.raises(ValueError, match="scale"):
        RandomErasing(scale=(1.5, 2.0))
    config = RandomErasing(0.5, scale=(0.1, 0.2), fill_value=3, seed=1).get_config()
    assert config["factor"] == (0.0, 0.5) and config["fill_value"] == 3
    assert RandomErasing.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).uniform(0, 255, size=(3, 5, 6, 2))
    layer = RandomErasing(factor=(0.7, 0.7), scale=(0.2, 0.5), seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
