"""Data missing its channel axis gets a hint with the reshape that fixes it.

MNIST is ``(60000, 28, 28)``; a ``Conv2D`` reads ``(batch, rows, cols,
channels)``. A sequence of numbers is ``(N, T)``; an ``LSTM`` reads ``(batch,
timesteps, features)``. In both cases the data is one axis of size 1 short,
and the fix is ``x[..., None]``. These tests pin that the message says so --
naming both shapes -- wherever the data meets the model: ``fit``, ``predict``
and ``evaluate`` of a Sequential or functional model, and a layer called
directly; and that the other one-axis-short cases keep their own hints.
"""
import re

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers

N = 6
IMAGES = np.random.default_rng(0).random((N, 8, 8)).astype("float32")   # no channel axis
LABELS = np.arange(N) % 3
SEQUENCES = np.random.default_rng(1).random((N, 5)).astype("float32")  # no feature axis
ADD_AXIS = r"x = x\[\.\.\., None\] \(or np\.expand_dims\(x, -1\)\)"


def image_classifier(functional=False):
    if functional:
        inputs = keras.Input((8, 8, 1))
        x = layers.Conv2D(2, 3)(inputs)
        outputs = layers.Dense(3, activation="softmax")(layers.Flatten()(x))
        model = keras.Model(inputs, outputs)
    else:
        model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.Flatten(),
                                  layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
@pytest.mark.parametrize("method", ["fit", "predict", "evaluate"])
def test_images_without_channel_axis_get_the_reshape(functional, method):
    model = image_classifier(functional)
    run = {"fit": lambda: model.fit(IMAGES, LABELS, epochs=1, verbose=0),
           "predict": lambda: model.predict(IMAGES, verbose=0),
           "evaluate": lambda: model.evaluate(IMAGES, LABELS, verbose=0)}[method]
    with pytest.raises(ValueError) as info:
        run()
    message = str(info.value)
    assert "expected shape (None, 8, 8, 1)" in message and "(6, 8, 8)" in message
    assert "lacks the model input's last axis, of size 1" in message
    assert "grayscale" in message
    assert re.search(ADD_AXIS, message)
    assert "(6, 8, 8, 1)" in message
    assert "batch size?" not in message          # the old, wrong guess


def test_the_reshape_the_hint_gives_makes_the_model_run():
    model = image_classifier()
    history = model.fit(IMAGES[..., None], LABELS, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("first_layer", [lambda: layers.LSTM(2), lambda: layers.Conv1D(2, 2)],
                         ids=["LSTM", "Conv1D"])
def test_sequences_without_feature_axis_get_the_reshape(first_layer):
    model = keras.Sequential([keras.Input((5, 1)), first_layer(), layers.Flatten(),
                              layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=ADD_AXIS + r" makes the shape \(6, 5, 1\)") as info:
        model.fit(SEQUENCES, np.zeros((N, 1)), verbose=0)
    assert "one feature per time step" in str(info.value)


def test_channels_first_input_gets_the_axis_after_the_batch():
    model = keras.Sequential([keras.Input((1, 8, 8)), layers.Flatten(), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"second axis, of size 1.*x = x\[:, None\] \(or "
                                         r"np\.expand_dims\(x, 1\)\) makes the shape "
                                         r"\(6, 1, 8, 8\)"):
        model.predict(IMAGES, verbose=0)


def test_layer_called_directly_names_its_layout_and_stays_unbuilt():
    conv = layers.Conv2D(2, 3)
    with pytest.raises(ValueError, match=r"Conv2D reads \(batch, rows, cols, channels\), and "
                                         r"the data \(6, 8, 8\) looks like it lacks the "
                                         r"channel axis.*" + ADD_AXIS):
        conv(IMAGES)
    # The rank was checked before build: no kernel for 8 "channels" was made, so the
    # corrected call builds the layer for one channel and runs.
    assert not conv.built
    assert conv(IMAGES[..., None]).shape == (N, 6, 6, 2)
    assert conv.kernel.shape == (3, 3, 1, 2)


def test_recurrent_layer_called_directly_speaks_of_features():
    with pytest.raises(ValueError, match=r"LSTM reads \(batch, timesteps, features\).*lacks "
                                         r"the feature axis.*one feature per time step.*"
                                         r"makes the shape \(6, 5, 1\)"):
        layers.LSTM(3)(SEQUENCES)


def test_conv1d_built_for_one_channel_gets_the_hint_in_a_deferred_sequential():
    model = keras.Sequential([layers.Conv1D(2, 2), layers.Flatten(), layers.Dense(1)])
    with pytest.raises(ValueError, match=r"Conv1D reads \(batch, steps, channels\).*"
                                         r"\(None, 5, 1\)"):
        model.predict(SEQUENCES, verbose=0)


def test_a_layer_built_for_three_channels_gets_no_size_one_fix():
    conv = layers.Conv2D(2, 3)
    conv.build((None, 8, 8, 3))
    with pytest.raises(ValueError) as info:
        conv(IMAGES)
    assert "x[..., None]" not in str(info.value)       # one axis of size 1 would not fit
    assert "expected ndim=4, found ndim=3" in str(info.value)


def test_other_one_axis_short_cases_keep_their_own_hints():
    flat = np.zeros((N, 4), "float32")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"If x is one sample, make it a batch of one: "
                                         r"x\[None\].*keras\.Input\(shape=x\.shape\[1:\]\)"):
        model.predict(flat[0], verbose=0)                   # one sample, no batch axis
    batch_in_shape = keras.Sequential([keras.Input(flat.shape), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"the input shape included the batch size"):
        batch_in_shape.predict(flat, verbose=0)             # Input(shape=x.shape)
    with pytest.raises(ValueError, match=r"extra last axis of size 1: drop it with "
                                         r"x = x\[\.\.\., 0\]"):
        model.predict(flat[..., None], verbose=0)
