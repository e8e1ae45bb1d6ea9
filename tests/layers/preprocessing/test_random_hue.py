"""RandomHue: the HSV round trip, a shift of a third of a turn by hand, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.color_conversions import hsv_to_rgb, rgb_to_hsv
from kerastutor.layers.preprocessing.random_hue import RandomHue


def test_hsv_by_hand_and_round_trip():
    rgb = np.array([[[[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.2, 0.2, 0.2]]]])
    hsv, _ = rgb_to_hsv(rgb)
    np.testing.assert_allclose(hsv[0, 0], [[0, 1, 1], [0.5, 1, 0.5], [0, 0, 0.2]])
    x = np.random.default_rng(0).uniform(0, 1, size=(2, 3, 4, 3))
    np.testing.assert_allclose(hsv_to_rgb(rgb_to_hsv(x)[0])[0], x, atol=1e-12)


def test_a_third_of_a_turn_by_hand():
    x = np.array([[[[255.0, 0.0, 0.0]]]])                     # red
    layer = RandomHue(1.0)
    y, _ = layer.apply_transformation(x, {"factor": np.array([1 / 3])})    # + 1/3 turn
    np.testing.assert_allclose(y[0, 0, 0], [0, 255, 0], atol=1e-3)         # green
    y, _ = layer.apply_transformation(x, {"factor": np.array([-1 / 3])})   # - 1/3 turn
    np.testing.assert_allclose(y[0, 0, 0], [0, 0, 255], atol=1e-3)         # blue
    np.testing.assert_array_equal(RandomHue(0.5)(x, training=False), x)


def test_draws_are_keras_random_and_happen_at_inference_too():
    layer = RandomHue((0.2, 0.6), seed=7)
    x = np.zeros((5, 2, 2, 3), "float32")
    generator = keras_random.SeedGenerator(7)           # the layer's own, replayed
    u = keras_random.uniform((5,), seed=generator)     # the direction, then the size
    a = keras_random.uniform((5,), 0.2, 0.6, seed=generator)
    np.testing.assert_array_equal(layer.get_random_transformation(x)["factor"],
                                  np.where(u > 0.5, -1, 1) * a * 0.5)
    assert layer.generator.state.value.tolist() == [7, 2]
    layer(x, training=False)                           # Keras draws here too
    assert layer.generator.state.value.tolist() == [7, 4]


def test_keeps_saturation_and_value():
    x = np.random.default_rng(1).uniform(0, 1, size=(4, 3, 3, 3))
    y = RandomHue(0.8, value_range=(0, 1), seed=0)(x)
    np.testing.assert_allclose(rgb_to_hsv(y)[0][..., 1:], rgb_to_hsv(x)[0][..., 1:], atol=1e-6)


def test_errors_and_config():
    assert RandomHue(0.5).factor == (0, 0.5)
    with pytest.raises(ValueError, match="factor"):
        RandomHue(-0.5)
    with pytest.raises(ValueError, match="channels"):
        RandomHue(0.5)(np.zeros((1, 2, 2, 1)))
    config = RandomHue(0.4, value_range=(0, 1), seed=1).get_config()
    assert config["factor"] == (0, 0.4) and config["value_range"] == (0, 1)
    assert RandomHue.from_config(config).get_config() == config


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 99), single=st.booleans())
def test_gradients(seed, single):
    x = np.random.default_rng(seed).uniform(0.1, 0.9, size=(2, 3, 4, 3))
    x = x[0] if single else x
    layer = RandomHue(0.6, value_range=(0, 1), seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
