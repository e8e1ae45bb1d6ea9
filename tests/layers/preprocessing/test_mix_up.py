"""MixUp: mixing images and labels by hand, the transpose, dicts, config, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor import random as keras_random
from kerastutor.layers import MixUp
from kerastutor.layers.preprocessing import mix_up


class Fixed:
    """A stand-in for ``kerastutor.random``: a fixed permutation and fixed Beta draws."""

    def __init__(self, permutation, weights):
        self.p, self.w = np.asarray(permutation), np.asarray(weights, dtype="float32")

    def shuffle(self, x, axis=0, seed=None):
        return self.p

    def beta(self, shape, alpha, beta, dtype="float32", seed=None):
        return self.w.reshape(shape)


def test_mix_by_hand(monkeypatch):
    x = np.stack([np.full((2, 2, 1), v, "float32") for v in (0.0, 10.0, 20.0)])
    labels = np.eye(3, dtype="float32")
    layer = MixUp()
    monkeypatch.setattr(mix_up, "keras_random", Fixed([2, 0, 1], [0.75, 0.5, 1.0]))
    out = layer({"images": x, "labels": labels})
    np.testing.assert_allclose(out["images"][:, 0, 0, 0], [0.75 * 0 + 0.25 * 20, 5.0, 20.0])
    np.testing.assert_allclose(out["labels"], [[0.75, 0, 0.25], [0.5, 0.5, 0], [0, 0, 1]])


def test_backward_by_hand(monkeypatch):
    x = np.zeros((3, 1, 1, 1))
    layer = MixUp()
    monkeypatch.setattr(mix_up, "keras_random", Fixed([2, 0, 1], [0.75, 0.5, 1.0]))
    _, cache = layer.forward({"images": x, "labels": np.eye(3)}, training=True)
    g = np.array([1.0, 10.0, 100.0]).reshape(3, 1, 1, 1)
    grads = layer.backward(cache, {"images": g, "labels": np.eye(3)})
    # x0 feeds y0 (0.75) and y1 (1 - 0.5); x1 feeds y1 (0.5) and y2 (1 - 1.0);
    # x2 feeds y2 (1.0) and y0 (1 - 0.75)
    np.testing.assert_allclose(grads["images"].ravel(), [0.75 + 5.0, 5.0, 100.0 + 0.25])
    np.testing.assert_allclose(grads["labels"], [[0.75, 0.5, 0], [0, 0.5, 0], [0.25, 0, 1]])


def test_array_input_and_training():
    x = np.random.default_rng(0).uniform(size=(8, 3, 3, 2)).astype("float32")
    layer = MixUp(alpha=1.0, seed=0)
    y = layer(x)
    assert y.shape == x.shape and not np.allclose(y, x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    data = {"images": x, "labels": np.eye(8, dtype="float32")}
    out = layer(data, training=False)
    np.testing.assert_array_equal(out["labels"], data["labels"])
    np.testing.assert_allclose(layer(data)["labels"].sum(axis=1), 1, atol=1e-6)


def test_draws_are_keras_random_and_happen_at_inference_too():
    # Keras's order from SeedGenerator(4): shuffle(arange(B)), then beta((B,)); Keras's
    # MixUp draws even when not training, so inference moves the generator on
    x = np.random.default_rng(1).uniform(size=(5, 2, 2, 1)).astype("float32")
    layer = MixUp(alpha=0.7, seed=4)
    np.testing.assert_array_equal(layer(x, training=False), x)      # draws (and discards)
    g = keras_random.SeedGenerator(4)
    keras_random.shuffle(np.arange(5), seed=g), keras_random.beta((5,), 0.7, 0.7, seed=g)
    order = keras_random.shuffle(np.arange(5), seed=g)
    w = keras_random.beta((5,), 0.7, 0.7, seed=g).reshape(-1, 1, 1, 1)
    np.testing.assert_allclose(layer(x), w * x + (1 - w) * x[order], rtol=1e-6)


def test_errors_and_config():
    with pytest.raises(ValueError, match="images"):
        MixUp()({"pictures": np.zeros((2, 2, 2, 1))})
    config = MixUp(alpha=0.4, seed=3).get_config()
    assert config["alpha"] == 0.4 and config["seed"] == 3
    assert MixUp.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).normal(size=(4, 3, 3, 2))
    layer = MixUp(alpha=0.8, seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
