"""CutMix: pasted boxes and label weights by hand, the transpose, config, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers import CutMix


class Fixed:
    """Stand-in generator: uniform draws in turn, a fixed permutation and Beta draws."""

    def __init__(self, uniforms, permutation, weights):
        self.u, self.p = list(uniforms), np.asarray(permutation)
        self.w = np.asarray(weights, dtype=np.float64)

    def uniform(self, low=0.0, high=1.0, size=None):
        return np.asarray(self.u.pop(0), dtype=np.float64).reshape(size)

    def permutation(self, n):
        return self.p

    def beta(self, a, b, size=None):
        return self.w


def _layer():
    # alpha draw, then x starts, y starts; lambda = 0.75 -> box sides sqrt(0.25) = half
    layer = CutMix()
    layer._rng = Fixed([0.5, [0.0, 1.0], [1.0, 0.0]], [1, 0], [0.75, 0.75])
    return layer


def test_paste_and_labels_by_hand():
    x = np.stack([np.zeros((4, 4, 1), "float32"), np.ones((4, 4, 1), "float32")])
    out = _layer()({"images": x, "labels": np.eye(2, dtype="float32")})
    box0 = np.zeros((4, 4), bool)
    box0[2:, :2] = True                       # image 0: columns [0, 2), rows [2, 4)
    np.testing.assert_array_equal(out["images"][0, :, :, 0], box0)
    np.testing.assert_array_equal(out["images"][1, :, :, 0], ~box0[::-1, ::-1])
    np.testing.assert_allclose(out["labels"], [[0.75, 0.25], [0.25, 0.75]])


def test_backward_by_hand():
    x = np.zeros((2, 4, 4, 1))
    layer = _layer()
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
