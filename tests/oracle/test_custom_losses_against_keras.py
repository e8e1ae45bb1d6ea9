"""A learner's Loss subclass (and activation) against real Keras 3: same weights, same numbers.

The same ``call`` is written twice, once with ``keras.ops`` of each library; kerastutor
differentiates it with its op tape, Keras with torch's autograd. Run with
KERASTUTOR_ORACLE=1 (``tox -e keras``).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 4)).astype("float32")
Y = RNG.normal(size=(32, 2)).astype("float32")
WEIGHTS = RNG.uniform(0.5, 2.0, 32).astype("float32")


def cauchy_loss_class(lib):
    """``mean(log(1 + (y_pred - y_true)^2))`` per sample, written with ``lib.ops``."""

    class CauchyLoss(lib.losses.Loss):
        def call(self, y_true, y_pred):
            return lib.ops.mean(lib.ops.log1p(lib.ops.square(y_pred - y_true)), axis=-1)

    return CauchyLoss


def build(lib, activation):
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(6, activation=activation),
                           lib.layers.Dense(2)])


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_loss_subclass_trains_as_in_keras(reduction, weighted):
    theirs = build(keras, "tanh")
    ours = build(kerastutor, "tanh")
    ours.set_weights(theirs.get_weights())
    theirs.compile(keras.optimizers.Adam(0.01), cauchy_loss_class(keras)(reduction=reduction))
    ours.compile(kerastutor.optimizers.Adam(0.01),
                 cauchy_loss_class(kerastutor)(reduction=reduction))
    sample_weight = WEIGHTS if weighted else None
    h_theirs = theirs.fit(X, Y, sample_weight=sample_weight, batch_size=8, epochs=3,
                          shuffle=False, verbose=0)
    h_ours = ours.fit(X, Y, sample_weight=sample_weight, batch_size=8, epochs=3,
                      shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=2e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)


def test_a_function_loss_and_a_lambda_activation_train_as_in_keras():
    def mean_abs(lib):
        return lambda y_true, y_pred: lib.ops.mean(lib.ops.abs(y_true - y_pred), axis=-1)

    theirs = build(keras, lambda x: keras.ops.square(keras.ops.tanh(x)) + x)
    ours = build(kerastutor, lambda x: kerastutor.ops.square(kerastutor.ops.tanh(x)) + x)
    ours.set_weights(theirs.get_weights())
    theirs.compile(keras.optimizers.SGD(0.05), mean_abs(keras))
    ours.compile(kerastutor.optimizers.SGD(0.05), mean_abs(kerastutor))
    h_theirs = theirs.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    h_ours = ours.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=2e-4)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)
