"""Noise and dropout layers, and ActivityRegularization."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck, layers
from kerastutor.layers.regularization import ALPHA_PRIME
from helpers import random_array
from strategies import SEEDS

NOISY = [
    lambda seed: layers.SpatialDropout1D(0.4, seed=seed),
    lambda seed: layers.SpatialDropout2D(0.4, seed=seed),
    lambda seed: layers.SpatialDropout3D(0.4, seed=seed),
    lambda seed: layers.GaussianDropout(0.3, seed=seed),
    lambda seed: layers.GaussianNoise(0.5, seed=seed),
    lambda seed: layers.AlphaDropout(0.3, seed=seed),
]
SHAPES = [(3, 4, 5), (2, 3, 4, 5), (2, 2, 3, 3, 4), (3, 4), (3, 4), (3, 4)]


@pytest.mark.parametrize("index", range(len(NOISY)))
def test_identity_at_inference(index):
    x = random_array(0, SHAPES[index]).astype("float32")
    np.testing.assert_array_equal(NOISY[index](1)(x), x)


@pytest.mark.parametrize("index", range(len(NOISY)))
@given(seed=SEEDS, training=st.booleans())
def test_gradients(index, seed, training):
    layer = NOISY[index](seed)
    gradcheck.assert_gradients_ok(layer, random_array(seed, SHAPES[index]),
                                  training=training, seed=seed)


@pytest.mark.parametrize("cls, shape, spatial", [
    (layers.SpatialDropout1D, (4, 30, 6), (1,)),
    (layers.SpatialDropout2D, (4, 10, 9, 6), (1, 2)),
    (layers.SpatialDropout3D, (4, 5, 4, 3, 6), (1, 2, 3)),
])
def test_spatial_dropout_drops_whole_channels(cls, shape, spatial):
    y = cls(0.5, seed=2)(np.ones(shape, "float32"), training=True)
    assert set(np.unique(y)) <= {0.0, 2.0}
    # every channel of every sample is all-kept or all-dropped
    assert (y.min(axis=spatial) == y.max(axis=spatial)).all()


def test_spatial_dropout2d_channels_first():
    layer = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=0)
    y = layer(np.ones((3, 4, 5, 6), "float32"), training=True)
    assert (y.min(axis=(2, 3)) == y.max(axis=(2, 3))).all()


def test_gaussian_dropout_noise_has_mean_one_and_keras_variance():
    rate = 0.2
    y = layers.GaussianDropout(rate, seed=0)(np.ones((400, 500), "float32"), training=True)
    assert abs(y.mean() - 1) < 0.01
    assert abs(y.var() - rate / (1 - rate)) < 0.01


def test_gaussian_noise_is_additive_with_given_stddev():
    x = np.full((400, 500), 3.0, "float32")
    y = layers.GaussianNoise(0.5, seed=0)(x, training=True)
    assert abs((y - x).mean()) < 0.01
    assert abs((y - x).std() - 0.5) < 0.01


def test_alpha_dropout_keeps_mean_and_variance_of_selu_like_inputs():
    x = np.random.default_rng(0).standard_normal((500, 400)).astype("float32")
    y = layers.AlphaDropout(0.2, seed=1)(x, training=True)
    assert abs(y.mean()) < 0.02
    assert abs(y.var() - 1) < 0.03
    # dropped units all land on the same affine image of alpha'
    p = 0.2
    a = ((1 - p) * (1 + p * ALPHA_PRIME ** 2)) ** -0.5
    dropped_value = a * ALPHA_PRIME - a * ALPHA_PRIME * p
    assert np.isclose(y, dropped_value, atol=1e-5).mean() == pytest.approx(p, abs=0.01)


@pytest.mark.parametrize("make", [
    lambda: layers.GaussianDropout(1.0), lambda: layers.GaussianNoise(-0.1),
    lambda: layers.AlphaDropout("half"), lambda: layers.SpatialDropout2D(2.0),
    lambda: layers.ActivityRegularization(l1=-1.0),
])
def test_bad_arguments_are_named(make):
    with pytest.raises(ValueError, match="must be"):
        make()


def test_spatial_dropout_wrong_rank_names_the_layer():
    with pytest.raises(ValueError, match="spatial_dropout2d"):
        keras.Sequential([keras.Input((5, 3)), layers.SpatialDropout2D(0.5)])


def test_activity_regularization_adds_penalty_to_loss_and_gradient():
    keras.utils.set_random_seed(0)
    x = random_array(1, (8, 3))
    y = random_array(2, (8, 2))
    inputs = keras.Input((3,))
    hidden = layers.Dense(4)(inputs)
    outputs = layers.Dense(2)(layers.ActivityRegularization(l1=0.01, l2=0.02)(hidden))
    model = keras.Model(inputs, outputs)
    plain = keras.Model(inputs, outputs)  # same weights, used to read the hidden values
    model.compile("sgd", "mse")
    h = model.layers[1](x)
    expected_penalty = (0.01 * np.abs(h).sum() + 0.02 * np.square(h).sum()) / len(x)
    data_loss = float(np.mean(np.square(plain.predict(x, verbose=0) - y)))
    loss = model.test_on_batch(x, y)
    # Keras adds the activity penalty to the reported loss in training and evaluation
    assert loss == pytest.approx(data_loss + expected_penalty, rel=1e-4)
    gradcheck.assert_gradients_ok(model, x, y, loss="mse")


@pytest.mark.parametrize("layer", [
    layers.SpatialDropout1D(0.3, seed=4), layers.SpatialDropout2D(0.3),
    layers.GaussianDropout(0.1), layers.GaussianNoise(0.2, seed=1),
    layers.AlphaDropout(0.4, noise_shape=(None, 1)), layers.ActivityRegularization(0.1, 0.2),
])
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
