"""AugMix: Dirichlet chain weights, Beta blend, chains with empty slots, the clip, gradients."""
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor import random as keras_random
from kerastutor.layers import AugMix


def _images(shape=(2, 6, 7, 3), high=255.0, seed=0):
    return np.random.default_rng(seed).uniform(0, high, size=shape).astype("float32")


def test_mixing_formula_by_hand(monkeypatch):
    x = _images()
    layer = AugMix(num_chains=2, chain_depth=2)
    # chain 1: brightness (and an empty slot); chain 2: nothing at all
    magnitudes = layer.random_brightness.get_random_transformation(
        x, seed=keras_random.SeedGenerator(5))
    transformation = {"chain_mixing_weights": np.array([0.25, 0.75], "float32"),
                      "weight_sample": np.float32(0.3),
                      "chain_transforms": [[("random_brightness", magnitudes)], []]}
    monkeypatch.setattr(layer, "get_random_transformation", lambda *a, **k: transformation)
    delta = keras_random.uniform((2, 1, 1, 1), 0, 0.3, seed=keras_random.SeedGenerator(5))
    chains = 0.25 * np.clip(x + delta * 255, 0, 255) + 0.75 * x
    expected = np.clip(0.3 * x + 0.7 * chains, 0, 255)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-3)


def test_empty_chains_give_back_the_image():
    x = _images()
    np.testing.assert_allclose(AugMix(chain_depth=0, seed=1)(x), x, rtol=1e-6, atol=1e-4)


def test_draws_are_a_dirichlet_a_beta_and_pythons_choices():
    x = _images()
    layer = AugMix(num_chains=4, chain_depth=5, alpha=0.5, seed=2)
    random.seed(0)
    t = layer.get_random_transformation(x)
    weights, blend = t["chain_mixing_weights"], t["weight_sample"]
    assert weights.shape == (4,) and np.isclose(weights.sum(), 1) and (weights >= 0).all()
    assert blend.shape == () and 0 <= blend <= 1 and len(t["chain_transforms"]) == 4
    # Keras's order: gamma((K,)), then beta(()), from the layer's generator ...
    g = keras_random.SeedGenerator(2)
    gammas = keras_random.gamma((4,), 0.5, seed=g)
    np.testing.assert_array_equal(weights, gammas / gammas.sum())
    np.testing.assert_array_equal(blend, keras_random.beta((), 0.5, 0.5, seed=g))
    # ... and the slots from Python's random.choice over the ops and None (empty)
    random.seed(0)
    picks = [random.choice(layer._augment_layers + [None]) for _ in range(4 * 5)]
    for k, chain in enumerate(t["chain_transforms"]):
        assert [name for name, _ in chain] == [p for p in picks[5 * k:5 * k + 5] if p]
    many = [name for _ in range(100) for chain in layer.get_random_transformation(x)[
        "chain_transforms"] for name, _ in chain]
    assert set(many) == set(layer._augment_layers)          # every op appears
    assert len(many) < 100 * 4 * 5                          # and some slots are empty


def test_inference_seed_and_shapes():
    x = _images()
    np.testing.assert_array_equal(AugMix()(x, training=False), x)
    random.seed(1)                      # the op picks: Python's random, as in Keras
    y = AugMix(seed=3)(x)                                  # direct call: augments
    random.seed(1)
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
