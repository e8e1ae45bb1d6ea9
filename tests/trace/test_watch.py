"""The tutor's cheap checks in an ordinary fit: one line each, once, only when something is off."""
import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

import kerastutor as keras
from kerastutor.trace.watch import TutorHintWarning, fingerprint

L = keras.layers
RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 4)).astype("float32")
Y = np.arange(64) % 3


@pytest.fixture(autouse=True)
def _hints_on():
    keras.config.enable_tutor_hints()
    yield
    keras.config.enable_tutor_hints()


def classifier(inputs=4, optimizer="adam", first=(), classes=3):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((inputs,)), *first, L.Dense(8, activation="relu"),
                              L.Dense(classes, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy")
    return model


def tutor_lines(model, x, y, **fit_args):
    """Fit, and return the tutor's messages (every other warning is let through)."""
    fit_args = {"epochs": 2, "verbose": 0, **fit_args}
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        model.fit(x, y, **fit_args)
    return [str(w.message) for w in caught if issubclass(w.category, TutorHintWarning)]


# ============================================================ silence when all is well
def test_healthy_fits_print_nothing_at_all():
    images = RNG.random((64, 8, 8, 1)).astype("float32")          # already in [0, 1]
    keras.utils.set_random_seed(0)
    cnn = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(4, 3, activation="relu"),
                            L.Flatten(), L.Dense(10, activation="softmax")])
    cnn.compile("adam", "sparse_categorical_crossentropy")
    regression = keras.Sequential([keras.Input((4,)), L.Dense(1)])
    regression.compile("sgd", "mse")
    outlier = X.copy()
    outlier[0, 0] = 40.0                      # one 40-sigma outlier in standardised data
    cases = [(classifier(), X, Y), (cnn, images, np.arange(64) % 10),
             (regression, X, X.sum(1)), (classifier(), outlier, Y)]
    for model, x, y in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            model.fit(x, y, epochs=2, batch_size=16, verbose=0)


def test_token_ids_and_normalised_inputs_are_not_unscaled():
    ids = RNG.integers(0, 1000, size=(64, 5))
    keras.utils.set_random_seed(0)
    text = keras.Sequential([keras.Input((5,)), L.Embedding(1000, 4), L.Flatten(),
                             L.Dense(2, activation="softmax")])
    text.compile("adam", "sparse_categorical_crossentropy")
    assert tutor_lines(text, ids, np.arange(64) % 2) == []
    assert tutor_lines(text, ids.astype("float32"), np.arange(64) % 2) == []
    prices = X * 1000 + 5000
    norm = L.Normalization()
    norm.adapt(prices)
    assert tutor_lines(classifier(first=[norm]), prices, Y) == []


# ============================================================ the three checks
@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_pixels_left_at_0_to_255_get_one_line_with_the_fix(dtype):
    x = RNG.integers(0, 256, size=(64, 16)).astype(dtype)
    lines = tutor_lines(classifier(inputs=16), x, Y, epochs=3)
    scale = [line for line in lines if "reaches" in line]
    assert len(scale) == 1                                 # once per fit, not per epoch
    line = scale[0]
    assert line.startswith("kerastutor hint: x reaches 25") and "x / 255" in line
    assert "disable_tutor_hints()" in line and "\n" not in line


def test_several_inputs_are_named():
    small, big = keras.Input((4,)), keras.Input((4,))
    joined = L.Concatenate()([L.Dense(3)(small), L.Dense(3)(big)])
    model = keras.Model([small, big], L.Dense(3, activation="softmax")(joined))
    model.compile("adam", "sparse_categorical_crossentropy")
    lines = tutor_lines(model, [X, X * 100 + 300], Y, epochs=1)
    assert len(lines) == 1 and lines[0].startswith("kerastutor hint: x[1] reaches")
    assert "Normalization" in lines[0]


def test_the_first_nan_loss_is_reported_once_with_its_epoch_and_batch():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 8)).astype("float32") * 2
    model = keras.Sequential([keras.Input((8,)), L.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate=3.0), "mse")
    lines = tutor_lines(model, x, x.sum(1), epochs=4, batch_size=8)
    assert len(lines) == 1
    assert re.search(r"the loss became (inf|nan) at epoch 2, batch \d", lines[0])
    assert "learning rate (3) too high -- try 0.3" in lines[0]


def test_a_learning_rate_of_zero_is_named():
    lines = tutor_lines(classifier(optimizer=keras.optimizers.SGD(learning_rate=0.0)), X, Y)
    assert len(lines) == 1 and "no weight changed" in lines[0]
    assert "learning rate is 0" in lines[0]


def test_a_learning_rate_below_float32_resolution_is_named():
    lines = tutor_lines(classifier(optimizer=keras.optimizers.SGD(learning_rate=1e-15)), X, Y)
    assert len(lines) == 1 and "far too low" in lines[0] and "1e-15" in lines[0]


def test_a_model_with_nothing_to_train_is_named():
    model = classifier()
    for layer in model.layers:
        layer.trainable = False
    model.compile("adam", "sparse_categorical_crossentropy")
    lines = tutor_lines(model, X, Y)
    assert len(lines) == 1 and "every layer is frozen" in lines[0]
    fixed = keras.Sequential([keras.Input((4,)), L.Softmax()])      # no weights by design
    fixed.compile("adam", "sparse_categorical_crossentropy")
    assert tutor_lines(fixed, X, Y) == []


def test_zero_gradients_are_named():
    """categorical_crossentropy on one unit: the renormalised softmax is always 1, loss 0."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), L.Dense(4, activation="relu"), L.Dense(1)])
    model.compile("sgd", "mse")
    model.layers[-1].kernel.assign(np.zeros((4, 1), "float32"))
    model.layers[0].bias.assign(np.full(4, -100.0, "float32"))    # every ReLU dead
    model.layers[-1].bias.trainable = False
    model.compile("sgd", "mse")
    lines = tutor_lines(model, X, X.sum(1))
    assert len(lines) == 1 and "every gradient dL/dW is 0" in lines[0]


# ============================================================ switches and cost
def test_disable_tutor_hints_silences_fit():
    keras.config.disable_tutor_hints()
    x = RNG.integers(0, 256, size=(64, 16)).astype("float32")
    assert tutor_lines(classifier(inputs=16), x, Y) == []
    keras.config.enable_tutor_hints()
    assert len(tutor_lines(classifier(inputs=16), x, Y)) == 1


def test_the_environment_variable_switches_them_off():
    code = ("import numpy as np, warnings, kerastutor as keras\n"
            "warnings.simplefilter('error')\n"
            "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
            "m.compile('sgd', 'mse')\n"
            "m.fit(np.full((8, 3), 300.0), np.ones(8), verbose=0)\n"
            "print(keras.config.is_tutor_hints_enabled())\n")
    env = dict(os.environ, KERASTUTOR_HINTS="0")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_the_checks_add_no_forward_or_backward_pass():
    x = RNG.integers(0, 256, size=(64, 16)).astype("float32")
    model = classifier(inputs=16)
    calls = []
    forward, backward = model.forward, model.backward
    model.forward = lambda *a, **k: calls.append("forward") or forward(*a, **k)
    model.backward = lambda *a, **k: calls.append("backward") or backward(*a, **k)
    lines = tutor_lines(model, x, Y, epochs=2, batch_size=16)
    assert len(lines) == 1
    assert calls == ["forward", "backward"] * 8            # 4 batches x 2 epochs, no more


def test_fingerprint_sees_a_softmax_layer_move():
    """Its kernel's update sums to 0 over the classes: a plain sum would miss it."""
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.SGD(learning_rate=0.1), "sparse_categorical_crossentropy")
    model.train_on_batch(X, Y)
    before = fingerprint(model.trainable_weights)
    sums = [float(np.sum(w.value)) for w in model.trainable_weights]
    model.train_on_batch(X, Y)
    assert fingerprint(model.trainable_weights) != before
    np.testing.assert_allclose([float(np.sum(w.value)) for w in model.trainable_weights], sums,
                               atol=1e-5)
