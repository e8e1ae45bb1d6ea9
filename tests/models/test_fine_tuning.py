"""Fine-tuning as Keras has it: a frozen base, BatchNormalization in inference mode, recompiling."""
import warnings

import numpy as np
import pytest

import kerastutor as keras

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 8, 8, 3)).astype("float32")
Y = RNG.integers(0, 2, 16)


def base_and_model():
    keras.utils.set_random_seed(0)
    base = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3),
                             keras.layers.BatchNormalization(), keras.layers.ReLU()],
                            name="base")
    inputs = keras.Input((8, 8, 3))
    features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(features))
    return base, model


def test_a_frozen_base_keeps_every_weight_and_its_batch_statistics():
    base, model = base_and_model()
    base.trainable = False
    model.compile("adam", "sparse_categorical_crossentropy")
    before = [w.copy() for w in base.get_weights()]
    model.fit(X, Y, epochs=2, batch_size=4, verbose=0)
    for old, new in zip(before, base.get_weights()):   # kernel, bias, gamma, beta, moving stats
        np.testing.assert_array_equal(old, new)
    assert len(model.trainable_weights) == 2             # only the new head


def test_a_frozen_batch_normalization_runs_in_inference_mode_even_when_training():
    layer = keras.layers.BatchNormalization()
    layer.build((None, 3))
    layer.moving_mean.assign(np.array([1.0, 2.0, 3.0], "float32"))
    x = np.full((4, 3), 5.0, "float32")
    layer.trainable = False
    np.testing.assert_allclose(layer(x, training=True), (x - [1, 2, 3]) / np.sqrt(1 + 1e-3),
                               rtol=1e-6)


def test_changing_trainable_after_compile_warns_once_and_recompiling_clears_it():
    base, model = base_and_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    base.trainable = False
    with pytest.warns(UserWarning, match=r"`trainable` state has changed since the model was "
                                         r"compiled.*Changed layers: \['base'"):
        model.fit(X, Y, epochs=1, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, Y, epochs=1, verbose=0)              # once per change
        base.trainable = True
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(X, Y, epochs=1, verbose=0)              # recompiled: nothing to say


def test_an_application_as_a_frozen_base_under_a_new_head():
    """Keras's transfer-learning recipe: include_top=False, freeze, pool, new Dense."""
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35,
                                          include_top=False, weights=None)
    base.trainable = False
    inputs = keras.Input((32, 32, 3))
    features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(features))
    model.compile("adam", "sparse_categorical_crossentropy")
    images = RNG.random((6, 32, 32, 3)).astype("float32")
    before = [w.copy() for w in base.get_weights()]
    head_before = model.layers[-1].get_weights()[0].copy()
    model.fit(images, RNG.integers(0, 3, 6), epochs=1, batch_size=3, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, base.get_weights()))
    assert not np.array_equal(head_before, model.layers[-1].get_weights()[0])
    assert [w.name for w in model.trainable_weights] == ["kernel", "bias"]
