"""Two of Keras's custom-code guides, scaled down, against Keras 3.15.1 from identical weights.

* "Making new layers and models via subclassing": a model of the guide's own layers
  (``Linear`` with ``add_weight`` and ``keras.ops``, an ``MLPBlock`` of them, an
  ``ActivityRegularizationLayer`` that calls ``add_loss``) trained with ``fit``;
* "Writing a training loop from scratch": the guide's loop with a
  ``SparseCategoricalAccuracy`` metric, every step's loss and the metric compared.

The code is written once with ``lib`` = ``keras`` or ``kerastutor``; only the gradient
lines differ (kerastutor's ``GradientTape``, ``loss.backward()`` on Keras's torch
backend). ``custom_train_step_against_keras`` does the same for ``train_step``.
Run with KERASTUTOR_ORACLE=1 (``tox -e keras``).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import kerastutor  # noqa: E402

RNG = np.random.RandomState(0)
X = RNG.random((64, 12)).astype("float32")
LABELS = X[:, :5].argmax(axis=1)


def step(lib, model, optimizer, compute_loss):
    """One optimizer step: the only lines that differ between the two libraries."""
    if lib is kerastutor:
        with kerastutor.GradientTape() as tape:
            loss, logits = compute_loss()
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply(grads, model.trainable_weights)
        return loss, logits
    model.zero_grad()
    loss, logits = compute_loss()
    loss.backward()
    grads = [v.value.grad for v in model.trainable_weights]
    with torch.no_grad():
        optimizer.apply(grads, model.trainable_weights)
    return loss, logits


def same_start(model, seed=1):
    """Identical initial weights in both libraries (the weights' order is the same)."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, 0.3, w.shape).astype("float32")
                       for w in model.get_weights()])


# ---------------------------------------------------------------- the subclassing guide
def guide_layers(lib):
    class Linear(lib.layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                     trainable=True)

        def call(self, inputs):
            return lib.ops.matmul(inputs, self.w) + self.b

    class ActivityRegularizationLayer(lib.layers.Layer):
        def __init__(self, rate=1e-2):
            super().__init__()
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * lib.ops.mean(inputs))
            return inputs

    class MLPBlock(lib.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(8)
            self.linear_2 = Linear(8)
            self.regularizer = ActivityRegularizationLayer(0.05)
            self.linear_3 = Linear(5)

        def call(self, inputs):
            x = lib.ops.relu(self.linear_1(inputs))
            x = self.regularizer(lib.ops.tanh(self.linear_2(x)))
            return self.linear_3(x)
    return MLPBlock


def test_the_subclassing_guide_model_trains_as_in_keras():
    histories = []
    for lib in (kerastutor, keras):
        inputs = lib.Input((12,))
        model = lib.Model(inputs, guide_layers(lib)()(inputs))
        same_start(model)
        model.compile(lib.optimizers.Adam(0.01),
                      lib.losses.SparseCategoricalCrossentropy(from_logits=True))
        histories.append(model.fit(X, LABELS, batch_size=16, epochs=3, shuffle=False,
                                   verbose=0).history["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=2e-5)


# ---------------------------------------------------------------- the from-scratch loop
def loop(lib):
    inputs = lib.Input(shape=(12,), name="digits")
    x = lib.layers.Dense(8, activation="relu")(inputs)
    model = lib.Model(inputs, lib.layers.Dense(5, name="predictions")(x))
    same_start(model)
    optimizer = lib.optimizers.Adam(learning_rate=1e-2)
    loss_fn = lib.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = lib.metrics.SparseCategoricalAccuracy()
    losses, accuracies = [], []
    for epoch in range(3):
        for start in range(0, len(X), 16):
            x_batch, y_batch = X[start:start + 16], LABELS[start:start + 16]

            def compute_loss():
                logits = model(x_batch, training=True)
                return loss_fn(y_batch, logits), logits
            loss, logits = step(lib, model, optimizer, compute_loss)
            train_acc_metric.update_state(y_batch, logits)
            losses.append(float(loss))
        accuracies.append(float(train_acc_metric.result()))
        train_acc_metric.reset_state()
    return losses, accuracies


def test_the_training_loop_from_scratch_matches_keras():
    (our_losses, our_acc), (keras_losses, keras_acc) = loop(kerastutor), loop(keras)
    np.testing.assert_allclose(our_losses, keras_losses, rtol=2e-5)
    np.testing.assert_allclose(our_acc, keras_acc, rtol=1e-7)
