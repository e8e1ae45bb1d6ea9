"""RandAugment: ops chosen per batch, composed in order, same draws when repeated, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers import AutoContrast, RandAugment, RandomRotation


class Fixed:
    """A stand-in generator: ``integers`` returns the given op indices."""

    def __init__(self, indices):
        self.indices = indices

    def integers(self, low, high=None, size=None):
        assert (low, high, size) == (0, 11, len(self.indices))
        return np.asarray(self.indices)


def _images(shape=(2, 6, 7, 3), high=255.0, seed=0):
    return np.random.default_rng(seed).uniform(0, high, size=shape).astype("float32")


def test_chosen_ops_run_in_order():
    x = _images()
    layer = RandAugment()                                  # factor 0.5 -> (0, 0.5)
    layer._rng = Fixed([9, 2])                             # auto_contrast, then rotation
    layer.random_rotation._rng = np.random.default_rng(5)
    expected = RandomRotation((0, 0.5), seed=5)(AutoContrast()(x))
    np.testing.assert_allclose(layer(x), expected, rtol=1e-6, atol=1e-4)


def test_an_op_chosen_twice_repeats_its_draws():
    x = _images()
    layer = RandAugment(num_ops=2)
    layer._rng = Fixed([3, 3])                             # brightness twice
    layer.random_brightness._rng = np.random.default_rng(5)
    delta = np.random.default_rng(5).uniform(0, 0.5, size=(2, 1, 1, 1)) * 255
    expected = np.clip(np.clip(x + delta, 0, 255) + delta, 0, 255)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-6, atol=1e-3)


def test_inference_seed_and_shapes():
    x = _images()
    np.testing.assert_array_equal(RandAugment()(x, training=False), x)
    y = RandAugment(seed=3)(x)                             # direct call: augments
    np.testing.assert_array_equal(y, RandAugment(seed=3)(x))
    assert not np.allclose(y, x) and y.dtype == np.float32
    layer = RandAugment(seed=3)
    assert not np.array_equal(layer(x), layer(x))         # fresh draws per call
    assert RandAugment(seed=1)(x[0]).shape == x[0].shape   # one image
    first = RandAugment(seed=1, data_format="channels_first")(np.moveaxis(x, -1, 1))
    assert first.shape == (2, 3, 6, 7)
    y64, _ = RandAugment(seed=1, value_range=(0, 1)).forward(x.astype("float64") / 255,
                                                             training=True)
    assert y64.dtype == np.float64                         # forward keeps float64
    assert np.array_equal(RandAugment(num_ops=0)(x), x)


def test_config_and_errors():
    layer = RandAugment(value_range=(0, 1), num_ops=3, factor=(0.6, 0.2),
                        interpolation="nearest", seed=7)
    config = layer.get_config()
    assert config["factor"] == (0.2, 0.6) and config["num_ops"] == 3
    assert config["value_range"] == (0, 1) and config["seed"] == 7
    assert RandAugment.from_config(config).get_config() == config
    assert layer.random_posterization.factor == (1, 4)     # max(1, int(8 * 0.6))
    assert layer.random_shear.interpolation == "nearest"
    for kwargs, word in [({"value_range": (1, 0)}, "value_range"),
                         ({"num_ops": -1}, "num_ops"), ({"num_ops": 1.5}, "num_ops"),
                         ({"factor": 1.5}, "factor"), ({"interpolation": "cubic"},
                                                        "interpolation")]:
        with pytest.raises(ValueError, match=word):
            RandAugment(**kwargs)
    with pytest.raises(ValueError, match="rank 3"):
        RandAugment()(np.zeros((2, 3)))


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).uniform(0.05, 0.95, size=(2, 4, 5, 3))
    layer = RandAugment(value_range=(0, 1), factor=0.3, seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
