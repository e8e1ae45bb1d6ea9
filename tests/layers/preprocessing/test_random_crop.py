"""RandomCrop: a random window while training, the input unchanged at inference."""
import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_crop import RandomCrop

IMG46 = np.arange(24, dtype="float32").reshape(1, 4, 6, 1)


def test_crop_is_a_window_of_the_input():
    y = RandomCrop(2, 3, seed=1)(IMG46)                 # direct call: training=True
    assert y.shape == (1, 2, 3, 1)
    top, left = divmod(int(y[0, 0, 0, 0]), 6)
    np.testing.assert_allclose(y[0, :, :, 0], IMG46[0, top:top + 2, left:left + 3, 0])


def test_offsets_cover_every_position_and_seed_repeats():
    layer = RandomCrop(2, 2, seed=3)
    corners = {float(layer(IMG46)[0, 0, 0, 0]) for _ in range(200)}
    assert corners == {float(6 * r + c) for r in range(3) for c in range(5)}
    a = [RandomCrop(2, 2, seed=5)(IMG46) for _ in range(2)]
    np.testing.assert_array_equal(a[0], a[1])


def test_inference_returns_the_input_and_not_larger_falls_back():
    np.testing.assert_array_equal(RandomCrop(2, 2)(IMG46, training=False), IMG46)
    # as tall as the input: the centred aspect crop, no randomness
    np.testing.assert_allclose(RandomCrop(4, 4)(IMG46, training=True)[0, :, :, 0],
                               IMG46[0, :, 1:5, 0])
    # wider than the input: a 2x6 slice resized to 2x8
    assert RandomCrop(2, 8)(IMG46, training=True).shape == (1, 2, 8, 1)


def test_offsets_are_keras_random_draws():
    # two scalar uniforms (top, then left) from the layer's SeedGenerator, truncated
    generator = keras.random.SeedGenerator(8)
    top = int(keras.random.uniform((), maxval=3.0, seed=generator))
    left = int(keras.random.uniform((), maxval=4.0, seed=generator))
    y = RandomCrop(2, 3, seed=8)(IMG46)
    np.testing.assert_array_equal(y, IMG46[:, top:top + 2, left:left + 3])


def test_config_has_a_seed():
    config = RandomCrop(2, 3).get_config()
    assert isinstance(config["seed"], int)
    assert RandomCrop.from_config(config).get_config() == config


def test_unseeded_config_seed_is_not_the_generators():
    # Keras's quirk: the stored seed is one Python-random draw, the SeedGenerator another
    keras.utils.set_random_seed(3)
    layer = RandomCrop(2, 3)
    keras.utils.set_random_seed(3)
    first = random.randint(1, int(1e9))
    second = random.randint(1, int(1e9))
    assert layer.get_config()["seed"] == first
    np.testing.assert_array_equal(layer.generator.state.value, [second, 0])


@settings(max_examples=8)
@given(size=st.tuples(st.integers(1, 6), st.integers(1, 6)), seed=st.integers(0, 99))
def test_gradients(size, seed):
    x = np.random.default_rng(seed).normal(size=(2, 4, 5, 2))
    layer = RandomCrop(*size, seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
