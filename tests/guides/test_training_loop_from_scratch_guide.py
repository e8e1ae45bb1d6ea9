"""Keras's guide "Writing a training loop from scratch", scaled down.

Only the import and the gradient line differ from the guide.
"""
import numpy as np

import kerastutor as keras


def get_model():
    inputs = keras.Input(shape=(16,), name="digits")
    x1 = keras.layers.Dense(8, activation="relu")(inputs)
    x2 = keras.layers.Dense(8, activation="relu")(x1)
    outputs = keras.layers.Dense(10, name="predictions")(x2)
    return keras.Model(inputs=inputs, outputs=outputs)


def test_loop_with_a_metric_and_validation():
    keras.utils.set_random_seed(0)
    rng = np.random.RandomState(0)
    x_train, x_val = rng.random((96, 16)).astype("float32"), rng.random((32, 16)).astype("float32")
    y_train, y_val = x_train[:, :10].argmax(1), x_val[:, :10].argmax(1)   # learnable labels
    model = get_model()
    optimizer = keras.optimizers.Adam(learning_rate=1e-2)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    val_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    batch_size = 32
    losses, accuracies = [], []
    for epoch in range(8):
        for step in range(0, len(x_train), batch_size):
            x_batch = x_train[step:step + batch_size]
            y_batch = y_train[step:step + batch_size]
            with keras.GradientTape() as tape:
                logits = model(x_batch, training=True)
                loss_value = loss_fn(y_batch, logits)
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply(grads, model.trainable_weights)
            train_acc_metric.update_state(y_batch, logits)
            losses.append(float(loss_value))
        accuracies.append(float(train_acc_metric.result()))
        train_acc_metric.reset_state()
        for step in range(0, len(x_val), batch_size):
            val_logits = model(x_val[step:step + batch_size], training=False)
            val_acc_metric.update_state(y_val[step:step + batch_size], val_logits)
        val_acc = float(val_acc_metric.result())
        val_acc_metric.reset_state()
        assert 0.0 <= val_acc <= 1.0
    assert losses[-1] < losses[0]
    assert accuracies[-1] >= accuracies[0]
