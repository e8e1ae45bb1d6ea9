"""CutMix: pasted boxes and label weights by hand, the transpose, config, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor import random as keras_random
from kerastutor.layers import CutMix
from kerastutor.layers.preprocessing import cut_mix, random_erasing


class Fixed:
    """Stand-in for ``kerastutor.random``: uniform draws in turn, a fixed permutation and
    Beta draws."""

    def __init__(self, uniforms, permutation, weights):
        self.u, self.p = list(uniforms), np.asarray(permutation)
        self.w = np.asarray(weights, dtype="float32")

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype="float32", seed=None):
        return np.asarray(self.u.pop(0), dtype=dtype).reshape(shape)

    def shuffle(self, x, axis=0, seed=None):
        return self.p

    def beta(self, shape, alpha, beta, dtype="float32", seed=None):
        return self.w.reshape(shape)


def _layer(monkeypatch):
    # alpha draw, then x starts, y starts; lambda = 0.75 -> box sides sqrt(0.25) = half
    draws = Fixed([0.5, [0.0, 1.0], [1.0, 0.0]], [1, 0], [0.75, 0.75])
    monkeypatch.setattr(cut_mix, "keras_random", draws)
    monkeypatch.setattr(random_erasing, "keras_random", draws)   # the box starts
    return CutMix()


def test_paste_and_labels_by_hand(monkeypatch):
    x = np.stack([np.zeros((4, 4, 1), "float32"), np.ones((4, 4, 1), "float32")])
    out = _layer(monkeypatch)({"images": x, "labels": np.eye(2, dtype="float32")})
    box0 = np.zeros((4, 4), bool)
    box0[2:, :2] = True                       # image 0: columns [0, 2), rows [2, 4)
    np.testing.assert_array_equal(out["images"][0, :, :, 0], box0)
    np.testing.assert_array_equal(out["images"][1, :, :, 0], ~box0[::-1, ::-1])
    np.testing.assert_allclose(out["labels"], [[0.75, 0.25], [0.25, 0.75]])


def test_backward_by_hand(monkeypatch):
    x = np.zeros((2, 4, 4, 1))
    layer = _layer(monkeypatch)
    _, cache = layer.forward(x, training=True)
    g = np.stack([np.full((4, 4, 1), 1.0), np.full((4, 4, 1), 10.0)])
    grad = layer.backward(cache, g)
    box0 = np.zeros((4, 4), bool)
    box0[2:, :2] = True
    # x0 keeps its own pixels outside box0 and feeds image 1's box (top right)
    expected0 = np.where(box0, 0.0, 1.0) + np.where(box0[::-1, ::-1], 10.0, 0.0)
    np.testing.assert_allclose(grad[0, :, :, 0], expected0)


def test_single_image_and_inference_are_identity():
    x = np.random.default_rng(0).uniform(size=(6, 5, 5, 3)).astype("float32")
    layer = CutMix(seed=0)
    np.testing.assert_array_equal(layer(x[0]), x[0])
    np.testing.assert_array_equal(layer(x, training=False), x)
    assert not np.array_equal(layer(x), x)


def test_draws_are_keras_random_in_kerass_order():
    # SeedGenerator(6): alpha ~ U[f) + 1e-6, lambda ~ Beta(alpha, alpha), x starts, y starts,
    # then the permutation -- the box of image n is pasted from image order[n]
    x = np.random.default_rng(2).uniform(size=(4, 5, 6, 1)).astype("float32")
    y = CutMix(factor=(0.3, 0.8), seed=6)(x)
    g = keras_random.SeedGenerator(6)
    alpha = keras_random.uniform((), 0.3, 0.8, seed=g) + np.float32(1e-6)
    side = np.sqrt(1 - keras_random.beta((4,), alpha, alpha, seed=g))
    x0 = keras_random.uniform((4,), seed=g) * (6 - side * 6)
    y0 = keras_random.uniform((4,), seed=g) * (5 - side * 5)
    order = keras_random.shuffle(np.arange(4), seed=g)
    for n in range(4):
        cols = (np.arange(6) >= x0[n]) & (np.arange(6) < x0[n] + side[n] * 6)
        rows = (np.arange(5) >= y0[n]) & (np.arange(5) < y0[n] + side[n] * 5)
        box = (rows[:, None] & cols[None, :])[:, :, None]
        np.testing.assert_array_equal(y[n], np.where(box, x[order[n]], x[n]))
    assert not np.array_equal(y, x)


def test_errors_and_config():
    with pytest.raises(ValueError, match="factor"):
        CutMix(factor=1.5)
    config = CutMix(factor=(0.2, 0.6), seed=2).get_config()
    assert config["factor"] == (0.2, 0.6)
    assert CutMix.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).normal(size=(4, 5, 5, 2))
    layer = CutMix(seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
