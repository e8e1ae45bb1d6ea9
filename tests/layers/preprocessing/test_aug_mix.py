"""AugMix: Dirichlet chain weights, Beta blend, chains with empty slots, the clip, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor.layers import AugMix

EMPTY = 11                                     # the empty slot with all_ops=True


class Fixed:
    """A stand-in generator for AugMix's own draws: Gammas, the Beta blend, the slots."""

    def __init__(self, gammas, blend, slots):
        self.gammas, self.blend, self.slots = gammas, blend, slots

    def gamma(self, shape, size=None):
        return np.asarray(self.gammas, dtype=np.float64)

    def beta(self, a, b):
        return self.blend

    def integers(self, low, high, size=None):
        assert (low, high) == (0, EMPTY + 1)
        return np.asarray(self.slots)


def _images(shape=(2, 6, 7, 3), high=255.0, seed=0):
    return np.random.default_rng(seed).uniform(0, high, size=shape).astype("float32")


def test_mixing_formula_by_hand():
    x = _images()
    layer = AugMix(num_chains=2, chain_depth=2)
    brightness = layer._augment_layers.index("random_brightness")
    # chain 1: brightness then an empty slot; chain 2: nothing at all
    layer._rng = Fixed([1.0, 3.0], 0.3, [[brightness, EMPTY], [EMPTY, EMPTY]])
    layer.random_brightness._rng = np.random.default_rng(5)
    delta = np.random.default_rng(5).uniform(0, 0.3, size=(2, 1, 1, 1)) * 255
    chains = 0.25 * np.clip(x + delta, 0, 255) + 0.75 * x
    expected = np.clip(0.3 * x + 0.7 * chains, 0, 255)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-3)


def test_empty_chains_give_back_the_image():
    x = _images()
    np.testing.assert_allclose(AugMix(chain_depth=0, seed=1)(x), x, rtol=1e-6, atol=1e-4)


def test_draws_are_a_dirichlet_and_a_beta():
    layer = AugMix(num_chains=4, chain_depth=5, alpha=0.5, seed=2)
    weights, blend, slots = layer.sample_mixing()
    assert weights.shape == (4,) and np.isclose(weights.sum(), 1) and (weights >= 0).all()
    assert 0 <= blend <= 1 and slots.shape == (4, 5)
    many = np.concatenate([layer.sample_mixing()[2].ravel() for _ in range(200)])
    assert set(many) == set(range(EMPTY + 1))             # every op, and the empty slot


def test_inference_seed_and_shapes():
    x = _images()
    np.testing.assert_array_equal(AugMix()(x, training=False), x)
    y = AugMix(seed=3)(x)                                  # direct call: augments
    np.testing.assert_array_equal(y, AugMix(seed=3)(x))
    assert not np.allclose(y, x) and y.min() >= 0 and y.max() <= 255
    assert AugMix(seed=1)(x[0]).shape == x[0].shape        # one image
    first = AugMix(seed=1, data_format="channels_first")(np.moveaxis(x, -1, 1))
    assert first.shape == (2, 3, 6, 7)


def test_config_ops_and_errors():
    layer = AugMix(value_range=(0, 1), num_chains=2, chain_depth=4, factor=(0.5, 0.1),
                   alpha=0.4, all_ops=False, interpolation="nearest", seed=7)
    config = layer.get_config()
    assert config["factor"] == (0.1, 0.5) and config["all_ops"] is False
    assert AugMix.from_config(config).get_config() == config
    assert len(layer._augment_layers) == 7 and not hasattr(layer, "random_brightness")
    assert layer.random_posterization.factor == (1, 4)     # max(1, int(8 * 0.5))
    assert len(AugMix()._augment_layers) == 11
    for kwargs, word in [({"value_range": (0,)}, "value_range"), ({"alpha": 0}, "alpha"),
                         ({"num_chains": 0}, "num_chains"), ({"chain_depth": -1},
                                                            "chain_depth"),
                         ({"factor": -0.2}, "factor"), ({"interpolation": "area"},
                                                         "interpolation")]:
        with pytest.raises(ValueError, match=word):
            AugMix(**kwargs)


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).uniform(0.05, 0.95, size=(2, 4, 5, 3))
    layer = AugMix(value_range=(0, 1), num_chains=2, chain_depth=2, factor=0.3, seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
