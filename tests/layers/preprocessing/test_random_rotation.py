"""RandomRotation: Keras's pinned-angle goldens, draws, errors, gradients."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.preprocessing.random_rotation import RandomRotation, rotation_matrices

IMG5 = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)


def test_quarter_turn_is_counter_clockwise():
    y = RandomRotation((0.25, 0.25), fill_mode="constant", interpolation="nearest")(IMG5)
    np.testing.assert_allclose(y[0, :, :, 0], np.rot90(IMG5[0, :, :, 0]), atol=1e-5)


def test_eighth_turn_bilinear_golden():
    y = RandomRotation((0.125, 0.125), fill_mode="constant")(IMG5)[0, :, :, 0]
    np.testing.assert_allclose(y[0], [0.3431, 2.3787, 6.3431, 9.1949, 2.402], atol=1e-4)
    np.testing.assert_allclose(y[2], [3.5147, 7.7574, 12.0, 16.2426, 20.4853], atol=1e-4)


def test_angles_stay_in_range_and_inference_is_identity():
    layer = RandomRotation(0.1, seed=0)
    assert layer.factor == (-0.1, 0.1)
    matrices = layer.sample_matrices(500, 5, 5)
    angles = np.degrees(np.arctan2(matrices[:, 3], matrices[:, 0]))
    assert angles.min() >= -36 and angles.max() < 36 and angles.std() > 15
    np.testing.assert_array_equal(layer(IMG5, training=False), IMG5)


def test_angles_are_keras_random_draws():
    angles = keras.random.uniform((3,), -0.1 * 360, 0.2 * 360,
                                  seed=keras.random.SeedGenerator(6))
    layer = RandomRotation((-0.1, 0.2), seed=6)
    np.testing.assert_array_equal(layer.sample_matrices(3, 5, 7),
                                  rotation_matrices(angles, 5, 7))


def test_errors():
    with pytest.raises(ValueError, match="factor"):
        RandomRotation(2)
    with pytest.raises(NotImplementedError, match="fill_mode"):
        RandomRotation(0.1, fill_mode="edge")
    with pytest.raises(NotImplementedError, match="interpolation"):
        RandomRotation(0.1, interpolation="bicubic")


def test_config_round_trip():
    config = RandomRotation([0.2, -0.1], fill_mode="wrap", seed=3).get_config()
    assert config["factor"] == (-0.1, 0.2)
    assert RandomRotation.from_config(config).get_config() == config


@settings(max_examples=8)
@given(fill_mode=st.sampled_from(["reflect", "wrap", "constant", "nearest"]),
       interpolation=st.sampled_from(["bilinear", "nearest"]), seed=st.integers(0, 99))
def test_gradients(fill_mode, interpolation, seed):
    x = np.random.default_rng(seed).normal(size=(2, 4, 5, 2))
    layer = RandomRotation(0.3, fill_mode=fill_mode, interpolation=interpolation, seed=seed)
    gradcheck.assert_gradients_ok(layer, x, training=True)
    gradcheck.assert_backward_repeatable(layer, x, training=True)
