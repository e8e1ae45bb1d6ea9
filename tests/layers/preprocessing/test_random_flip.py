"""RandomFlip: one draw per image; both axes share it."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_flip import RandomFlip

X = np.arange(2 * 2 * 3, dtype="float32").reshape(1, 2, 3, 2)


def test_each_image_flipped_or_not():
    batch = np.repeat(X, 64, axis=0)
    for mode, flipped in [("horizontal", X[:, :, ::-1]), ("vertical", X[:, ::-1]),
                          ("horizontal_and_vertical", X[:, ::-1, ::-1])]:
        y = RandomFlip(mode, seed=0)(batch)
        same = np.all(y == X, axis=(1, 2, 3))
        flip = np.all(y == flipped, axis=(1, 2, 3))
        assert np.all(same | flip) and same.any() and flip.any()


def test_training_default_and_inference():
    batch = np.repeat(X, 16, axis=0)
    assert not np.array_equal(RandomFlip(seed=1)(batch), batch)     # direct call augments
    np.testing.assert_array_equal(RandomFlip(seed=1)(batch, training=False), batch)
    model = keras.Sequential([keras.Input((2, 3, 2)), RandomFlip(seed=1)])
    np.testing.assert_allclose(model.predict(batch, verbose=0), batch)


def test_unknown_mode_is_identity_and_seed_repeats():
    np.testing.assert_array_equal(RandomFlip("diagonal")(X), X)
    batch = np.repeat(X, 8, axis=0)
    np.testing.assert_array_equal(RandomFlip(seed=7)(batch), RandomFlip(seed=7)(batch))


def test_flips_are_keras_random_draws():
    # one uniform per image, shape (N, 1, 1, 1), from the layer's SeedGenerator(2)
    batch = np.repeat(X, 6, axis=0)
    draws = keras.random.uniform((6, 1, 1, 1), seed=keras.random.SeedGenerator(2))
    flips = draws.reshape(-1, 1, 1, 1) <= 0.5
    y = RandomFlip("horizontal", seed=2)(batch)
    np.testing.assert_array_equal(y, np.where(flips, batch[:, :, ::-1], batch))
    layer = RandomFlip(seed=2)
    layer(X[0])                                   # one image: a (1, 1, 1) draw
    np.testing.assert_array_equal(layer.generator.state.value, [2, 1])
    layer(batch, training=False)                  # inference draws nothing
    np.testing.assert_array_equal(layer.generator.state.value, [2, 1])


def test_config_round_trip():
    config = RandomFlip("vertical", seed=4).get_config()
    assert config["mode"] == "vertical" and config["seed"] == 4
    assert RandomFlip.from_config(config).get_config() == config


@settings(max_examples=6)
@given(mode=st.sampled_from(["horizontal", "vertical", "horizontal_and_vertical"]),
       seed=st.integers(0, 99))
def test_gradients(mode, seed):
    x = np.random.default_rng(seed).normal(size=(4, 3, 2, 2))
    layer = RandomFlip(mode, seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
