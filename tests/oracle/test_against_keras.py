"""Real Keras 3 (torch backend) as the oracle: same weights, same data order, same numbers.

Run by ``tox -e keras`` (which installs keras and torch and sets
KERASTUTOR_ORACLE=1); the default test environment does not collect this
folder, because Keras is not a dependency of kerastutor.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 6)).astype("float32")
Y_INT = RNG.integers(0, 3, 40)
Y_HOT = np.eye(3, dtype="float32")[Y_INT]
Y_BIN = RNG.integers(0, 2, (40, 1)).astype("float32")
Y_REG = RNG.normal(size=(40, 2)).astype("float32")


def build(lib, units, last_activation, dropout=False):
    stack = [lib.Input((6,)), lib.layers.Dense(8, activation="relu"),
             lib.layers.Dense(5, activation="tanh")]
    stack.append(lib.layers.Dense(units, activation=last_activation))
    return lib.Sequential(stack)


CASES = [
    ("adam", "sparse_categorical_crossentropy", 3, "softmax", Y_INT),
    ("adam", "categorical_crossentropy", 3, "softmax", Y_HOT),
    ("sgd", "categorical_crossentropy", 3, "softmax", Y_HOT),
    ("rmsprop", "binary_crossentropy", 1, "sigmoid", Y_BIN),
    ("adagrad", "mse", 2, None, Y_REG),
    ("adam", "mae", 2, None, Y_REG),
]


def optimizer(lib, name):
    return {"adam": lambda: lib.optimizers.Adam(0.01),
            "sgd": lambda: lib.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
            "rmsprop": lambda: lib.optimizers.RMSprop(0.01, momentum=0.5, centered=True),
            "adagrad": lambda: lib.optimizers.Adagrad(0.1)}[name]()


@pytest.mark.parametrize("opt, loss, units, act, y", CASES)
def test_training_matches_keras(opt, loss, units, act, y):
    theirs = build(keras, units, act)
    ours = build(kerastutor, units, act)
    ours.set_weights(theirs.get_weights())
    metric = ["accuracy"] if "crossentropy" in loss else ["mae"]
    theirs.compile(optimizer(keras, opt), loss, metrics=metric)
    ours.compile(optimizer(kerastutor, opt), loss, metrics=metric)
    h_theirs = theirs.fit(X, y, batch_size=8, epochs=3, shuffle=False, verbose=0,
                          validation_split=0.25)
    h_ours = ours.fit(X, y, batch_size=8, epochs=3, shuffle=False, verbose=0,
                      validation_split=0.25)
    assert list(h_ours.history) == list(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key],
                                   rtol=2e-4, atol=1e-6, err_msg=key)
    # float32 round-off differs between BLAS libraries; after 12 steps it is ~1e-6.
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(ours.evaluate(X, y, verbose=0),
                               theirs.evaluate(X, y, verbose=0), rtol=2e-4)
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0),
                               rtol=1e-4, atol=2e-5)


def test_activations_match_keras():
    x = np.linspace(-6, 6, 61).astype("float32").reshape(1, -1)
    for name in ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "softsign",
                 "elu", "selu", "gelu", "silu", "hard_sigmoid", "hard_silu", "exponential",
                 "linear", "leaky_relu", "relu6", "mish"]:
        ours = kerastutor.activations.get(name)(x)
        theirs = keras.ops.convert_to_numpy(keras.activations.get(name)(x))
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, err_msg=name)


def test_summary_parameter_counts_match_keras():
    theirs, ours = build(keras, 3, "softmax"), build(kerastutor, 3, "softmax")
    assert theirs.count_params() == ours.count_params()
