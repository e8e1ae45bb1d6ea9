"""RandAugment: ops chosen per batch, composed in order, same draws when repeated, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import gradcheck
from kerastutor import random as keras_random
from kerastutor.layers import AutoContrast, RandAugment, RandomRotation

# Keras's draws per call on the layer's generator: the choices (1), then every operation's:
# shear 3, translation 2, rotation 1, brightness 1, colour degeneration 1, contrast 1,
# sharpness 1, posterization 1, solarization 2, auto_contrast 0, equalization 0
DRAWS_BEFORE = {"random_rotation": 1 + 3 + 2, "random_brightness": 1 + 3 + 2 + 1}
DRAWS_PER_CALL = 14


def _generator_at(seed, count):
    """A SeedGenerator(seed) that has made ``count`` draws."""
    generator = keras_random.SeedGenerator(seed)
    generator.state.value = np.array([seed, count], dtype="uint32")
    return generator


def _choose(monkeypatch, layer, x, indices):
    """Make ``layer`` pick ``indices``, keeping its real (Keras-order) magnitudes."""
    transformation = layer.get_random_transformation(x)
    transformation["layer_idxes"] = np.asarray(indices)
    monkeypatch.setattr(layer, "get_random_transformation", lambda *a, **k: transformation)


def _images(shape=(2, 6, 7, 3), high=255.0, seed=0):
    return np.random.default_rng(seed).uniform(0, high, size=shape).astype("float32")


def test_chosen_ops_run_in_order(monkeypatch):
    x = _images()
    layer = RandAugment(seed=5)                            # factor 0.5 -> (0, 0.5)
    _choose(monkeypatch, layer, x, [9, 2])                 # auto_contrast, then rotation
    # the rotation's angles: the draw after the choices, the shear's and the translation's
    rotation = RandomRotation((0, 0.5), seed=5)
    rotation.generator = _generator_at(5, DRAWS_BEFORE["random_rotation"])
    expected = rotation(AutoContrast()(x))
    np.testing.assert_allclose(layer(x), expected, rtol=1e-6, atol=1e-4)


def test_an_op_chosen_twice_repeats_its_draws(monkeypatch):
    x = _images()
    layer = RandAugment(num_ops=2, seed=5)
    _choose(monkeypatch, layer, x, [3, 3])                 # brightness twice
    delta = keras_random.uniform((2, 1, 1, 1), 0, 0.5, seed=_generator_at(
        5, DRAWS_BEFORE["random_brightness"])) * 255
    expected = np.clip(np.clip(x + delta, 0, 255) + delta, 0, 255)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-6, atol=1e-3)


def test_every_op_draws_from_the_layers_generator_chosen_or_not():
    x = _images()
    layer = RandAugment(num_ops=1, seed=8)
    own = [getattr(layer, name).generator.state.value.copy()
           for name in layer._AUGMENT_LAYERS if hasattr(getattr(layer, name), "generator")]
    layer(x)
    np.testing.assert_array_equal(layer.generator.state.value, [8, DRAWS_PER_CALL])
    layer(x, training=False)                               # inference draws nothing
    layer(x)
    np.testing.assert_array_equal(layer.generator.state.value, [8, 2 * DRAWS_PER_CALL])
    after = [getattr(layer, name).generator.state.value
             for name in layer._AUGMENT_LAYERS if hasattr(getattr(layer, name), "generator")]
    for before, now in zip(own, after):                    # the ops' own: untouched
        np.testing.assert_array_equal(before, now)
    chosen = keras_random.randint((3,), 0, 11, seed=keras_random.SeedGenerator(8))
    np.testing.assert_array_equal(
        RandAugment(num_ops=3, seed=8).get_random_transformation(x)["layer_idxes"], chosen)


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
