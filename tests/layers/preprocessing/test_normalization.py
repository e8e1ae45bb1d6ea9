"""Normalization: Keras's goldens, adapt on arrays and on batches, errors, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.preprocessing.normalization import Normalization

X = np.array([[1., 2.], [3., 6.], [5., 10.]], dtype="float32")


def test_adapt_goldens():
    n = Normalization()
    n.adapt(X)
    np.testing.assert_allclose(n.adapt_mean.value, [3.0, 6.0])
    np.testing.assert_allclose(n.adapt_variance.value, [2.6666667, 10.666667], rtol=1e-6)
    assert int(n.count.value) == 0                      # Keras never updates count
    np.testing.assert_allclose(n(X), [[-1.2247448, -1.2247448], [0, 0],
                                      [1.2247448, 1.2247448]], rtol=1e-6, atol=1e-7)
    n2 = Normalization(axis=None)
    n2.adapt(X)
    np.testing.assert_allclose(n2.adapt_mean.value, 4.5)
    np.testing.assert_allclose(n2(X)[0], [-1.1721057, -0.8372183], rtol=1e-6)


def test_given_statistics_invert_and_zero_variance():
    np.testing.assert_allclose(Normalization(mean=2.0, variance=4.0)(X),
                               [[-0.5, 0], [0.5, 2], [1.5, 4]])
    np.testing.assert_allclose(
        Normalization(mean=[1., 2.], variance=[1., 4.], invert=True)(X),
        [[2, 6], [4, 14], [6, 22]])
    z = Normalization()
    z.adapt(np.zeros((3, 2), "float32"))
    np.testing.assert_allclose(z(np.ones((1, 2), "float32")), [[1e7, 1e7]])
    assert Normalization(mean=1.0, variance=1.0).weights == []


def test_axes_and_integer_input():
    x3 = np.arange(24, dtype="float32").reshape(2, 3, 4)
    a = Normalization(axis=1)
    a.adapt(x3)
    np.testing.assert_allclose(a.adapt_mean.value, [7.5, 11.5, 15.5])
    np.testing.assert_allclose(a.adapt_variance.value, [37.25] * 3)
    b = Normalization(axis=(1, 2))
    b.adapt(x3)
    np.testing.assert_allclose(b.adapt_mean.value, np.arange(6, 18).reshape(3, 4))
    c = Normalization()
    c.adapt(np.array([[1, 2], [3, 5]]))
    np.testing.assert_allclose(c.adapt_mean.value, [2.0, 3.5])
    np.testing.assert_allclose(c.adapt_variance.value, [1.0, 2.25])


def test_call_before_adapt_is_identity():
    np.testing.assert_allclose(Normalization()(X), X)


class Batches(keras.utils.PyDataset):
    def __init__(self, x):
        super().__init__()
        self.x = x

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return self.x[4 * i:4 * i + 4], np.zeros(4)


@pytest.mark.parametrize("kind", ["list", "generator", "pydataset"])
def test_adapt_on_batches_equals_adapt_on_the_whole(kind):
    x = np.random.default_rng(0).normal(3, 2, size=(12, 3, 2)).astype("float32")
    whole = Normalization(axis=-1)
    whole.adapt(x)
    parts = {"list": [x[:5], x[5:7], x[7:]],
             "generator": (x[i:i + 3] for i in range(0, 12, 3)),
             "pydataset": Batches(x)}[kind]
    merged = Normalization(axis=-1)
    merged.adapt(parts)
    np.testing.assert_allclose(merged.adapt_mean.value, whole.adapt_mean.value, rtol=1e-6)
    np.testing.assert_allclose(merged.adapt_variance.value, whole.adapt_variance.value,
                               rtol=1e-5)


def test_adapt_steps_limits_batches():
    n = Normalization()
    n.adapt([np.zeros((2, 1)), np.full((2, 1), 10.0)], steps=1)
    np.testing.assert_allclose(n.adapt_mean.value, [0.0])


def test_errors():
    with pytest.raises(ValueError, match="both mean and variance must be set"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match="range"):
        Normalization(axis=3)(X)
    with pytest.raises(ValueError, match="no data"):
        Normalization().adapt([])
    with pytest.raises(ValueError, match="cannot change"):
        Normalization(mean=1.0, variance=1.0).adapt(X)


def test_config_round_trip():
    layer = Normalization(axis=(1, 2), mean=[1.0], variance=[2.0], invert=True)
    config = layer.get_config()
    assert config["axis"] == (1, 2) and config["mean"] == [1.0]
    assert Normalization.from_config(config).get_config() == config
    assert Normalization().get_config()["mean"] is None


@settings(max_examples=8)
@given(invert=st.booleans(), axis=st.sampled_from([-1, None, (1,)]), seed=st.integers(0, 99))
def test_gradients(invert, axis, seed):
    x = np.random.default_rng(seed).normal(size=(3, 4, 2))
    layer = Normalization(axis=axis, invert=invert)
    layer.adapt(x)
    gradcheck.assert_gradients_ok(layer, x)
    gradcheck.assert_backward_repeatable(layer, x)


def test_mean_and_variance_show_the_adapted_statistics_as_keras():
    """Keras 3.15.1 (torch) shows mean of shape (1, 1, 1, 3) after adapting on images."""
    layer = keras.layers.Normalization()
    images = np.random.default_rng(0).random((10, 4, 4, 3)).astype("float32")
    layer.adapt(images)
    assert layer.mean.shape == layer.variance.shape == (1, 1, 1, 3)
    np.testing.assert_allclose(layer.mean.ravel(), images.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(layer.variance.ravel(), images.var(axis=(0, 1, 2)), rtol=1e-4)
