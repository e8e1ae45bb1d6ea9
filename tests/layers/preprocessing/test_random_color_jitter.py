"""RandomColorJitter: the composition, its order, one generator, configs, gradients."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor import random as keras_random
from kerastutor.layers import RandomBrightness, RandomContrast, RandomHue, RandomSaturation
from kerastutor.layers.preprocessing.random_color_jitter import RandomColorJitter


def test_no_factor_is_identity_and_inference():
    x = np.random.default_rng(0).uniform(0, 255, size=(2, 3, 3, 3))
    np.testing.assert_allclose(RandomColorJitter()(x), x, rtol=1e-6)
    np.testing.assert_allclose(RandomColorJitter(brightness_factor=0.5)(x, training=False), x,
                               rtol=1e-6)


def test_brightness_then_contrast_by_hand():
    x = np.array([[[[10.0]], [[30.0]]]])                       # one 2x1 gray image
    layer = RandomColorJitter(brightness_factor=(0.1, 0.1), contrast_factor=(0.0, 0.0))
    # brightness adds 0.1 * 255 = 25.5; contrast with a = 1 keeps it
    np.testing.assert_allclose(layer(x)[0, :, 0, 0], [35.5, 55.5])


def test_seeded_draws_repeat_and_parts_use_one_generator():
    x = np.random.default_rng(1).uniform(0, 1, size=(3, 3, 3, 3))
    make = lambda: RandomColorJitter((0, 1), 0.2, 0.3, 0.4, 0.3, seed=7)  # noqa: E731
    a, b = make(), make()
    y = a(x)
    np.testing.assert_array_equal(y, b(x))
    # Keras's mechanism: each part draws from the jitter's generator, just before it acts
    g = keras_random.SeedGenerator(7)
    expected = x
    for part in [RandomBrightness(0.2, (0, 1)), RandomContrast(0.3, (0, 1)),
                 RandomSaturation(0.4, (0, 1)), RandomHue(0.3, (0, 1))]:
        magnitudes = part.get_random_transformation(expected, seed=g)
        expected = part.apply_transformation(expected, magnitudes)[0]
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(a.generator.state.value, g.state.value)
    for part in a.parts:                                   # their own generators: unused
        np.testing.assert_array_equal(part.generator.state.value, [7, 0])


def test_config():
    layer = RandomColorJitter(value_range=(0, 1), brightness_factor=0.2, hue_factor=(0.1, 0.3),
                              seed=5)
    config = layer.get_config()
    assert config["brightness_factor"] == 0.2 and config["contrast_factor"] is None
    assert [type(p).__name__ for p in layer.parts] == ["RandomBrightness", "RandomHue"]
    assert RandomColorJitter.from_config(config).get_config() == config


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 99))
def test_gradients(seed):
    x = np.random.default_rng(seed).uniform(0.2, 0.8, size=(2, 3, 4, 3))
    layer = RandomColorJitter((-5, 5), brightness_factor=0.01, contrast_factor=0.3,
                              saturation_factor=(0.3, 0.6), hue_factor=0.4, seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
