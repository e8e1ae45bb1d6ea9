"""Real Keras 3 (torch backend) as the oracle for add_loss, model.losses and their training.

A model with every kind of added loss -- an ``add_loss`` term computed with
``keras.ops`` from a layer's input and weight, an activity regularizer, kernel
and bias regularizers -- gets the same weights in both libraries; ``model.losses``
after a call, and the loss of ``fit`` epoch by epoch (so the gradients of the
added terms too), must agree. Run with KERASTUTOR_ORACLE=1 (``tox -e keras``).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(24, 4)).astype("float32")
Y = RNG.normal(size=(24, 2)).astype("float32")


def penalised_scale(lib):
    """``x * s`` with a trainable ``s``, adding ``0.1 mean(y^2) + 0.01 sum(s^2)``."""
    class PenalisedScale(lib.layers.Layer):
        def build(self, input_shape):
            self.s = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="s")

        def call(self, x):
            y = x * self.s
            self.add_loss(0.1 * lib.ops.mean(lib.ops.square(y)))
            self.add_loss(0.01 * lib.ops.sum(lib.ops.square(self.s)))
            return y

    return PenalisedScale()


def build(lib):
    inputs = lib.Input((4,))
    h = lib.layers.Dense(3, activation="tanh",
                         kernel_regularizer=lib.regularizers.l2(0.05),
                         bias_regularizer=lib.regularizers.l1(0.02),
                         activity_regularizer=lib.regularizers.L1L2(0.01, 0.02))(inputs)
    h = penalised_scale(lib)(h)
    return lib.Model(inputs, lib.layers.Dense(2)(h))


def pair():
    theirs, ours = build(keras), build(kerastutor)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    return theirs, ours


def test_model_losses_match_keras():
    theirs, ours = pair()
    theirs(X)
    ours(X)
    expected = [float(keras.ops.convert_to_numpy(v)) for v in theirs.losses]
    np.testing.assert_allclose([float(v) for v in ours.losses], expected, rtol=1e-5)


@pytest.mark.parametrize("loss", ["mse", None])
def test_fit_with_added_losses_matches_keras(loss):
    theirs, ours = pair()
    theirs.compile(keras.optimizers.SGD(0.1), loss=loss)
    ours.compile(kerastutor.optimizers.SGD(0.1), loss=loss)
    h_theirs = theirs.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    h_ours = ours.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-4)
    for w_ours, w_theirs in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(w_ours, np.asarray(w_theirs), rtol=1e-4, atol=1e-6)
    assert ours.evaluate(X, Y, verbose=0) == pytest.approx(
        theirs.evaluate(X, Y, verbose=0), rel=1e-4)
