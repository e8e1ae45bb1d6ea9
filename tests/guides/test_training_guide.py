"""Keras's guide "Training & evaluation with the built-in methods", scaled down.

The guide's code runs with only the import changed. MNIST cannot be
downloaded here, so the digits are a stand-in of the same shapes (784 features
in [0, 1), each label 0..9 lighting its own band of pixels); each test checks the
outcome the guide shows. The ``PyDataset`` section (with and without
workers) is here since issue 15; not here: the ``tf.data`` and PyTorch
``DataLoader`` sections (kerastutor reads neither; a ``PyDataset`` or a
Python generator plays their part) and TensorBoard.
"""
import os

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers, ops

rng = np.random.default_rng(0)
N_TRAIN, N_TEST = 1200, 200
y_all = rng.integers(0, 10, N_TRAIN + N_TEST).astype("float32")
x_all = 0.5 * rng.random((N_TRAIN + N_TEST, 784)).astype("float32")
for digit in range(10):                 # each "digit" lights up its own band of pixels
    x_all[y_all == digit, 78 * digit:78 * (digit + 1)] += 0.5
x_train, y_train = x_all[:N_TRAIN], y_all[:N_TRAIN]
x_test, y_test = x_all[N_TRAIN:], y_all[N_TRAIN:]
# "Reserve 10,000 samples for validation" -- 200 of ours.
x_val, y_val = x_train[-200:], y_train[-200:]
x_train, y_train = x_train[:-200], y_train[:-200]


def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


# ------------------------------------------------------------------ API overview
def test_the_end_to_end_example_trains_evaluates_and_predicts():
    keras.utils.set_random_seed(0)
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.RMSprop(),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    history = model.fit(x_train, y_train, batch_size=64, epochs=4, verbose=0,
                        validation_data=(x_val, y_val))
    assert sorted(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss",
                                       "val_sparse_categorical_accuracy"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    results = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    assert len(results) == 2 and results[1] > 0.3          # chance is 0.1
    predictions = model.predict(x_test[:3], verbose=0)
    assert predictions.shape == (3, 10)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)


# ------------------------------------------------------------------ custom losses
def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


@pytest.mark.parametrize("loss", [custom_mean_squared_error, CustomMSE()])
def test_a_loss_function_and_a_loss_subclass_train(loss):
    keras.utils.set_random_seed(0)
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=loss)
    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    history = model.fit(x_train, y_train_one_hot, batch_size=64, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_custom_mse_is_mse_plus_its_regularization_term():
    y_true = np.eye(10, dtype="float32")[:4]
    y_pred = np.full((4, 10), 0.1, "float32")
    expected = np.mean((y_true - y_pred) ** 2) + 0.1 * np.mean((0.5 - y_pred) ** 2)
    assert float(CustomMSE()(y_true, y_pred)) == pytest.approx(expected, rel=1e-6)


# ------------------------------------------------------------------ custom metrics
class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp",
                                                initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)


def test_a_custom_metric_counts_true_positives_each_epoch():
    keras.utils.set_random_seed(0)
    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[CategoricalTruePositives()])
    history = model.fit(x_train, y_train.reshape(-1, 1), batch_size=64, epochs=3,
                        verbose=0)
    counts = history.history["categorical_true_positives"]
    assert all(float(c) == int(c) for c in counts) and 0 < counts[0] <= len(x_train)
    assert counts[-1] > counts[0]                       # it learns; the count is per epoch
    predicted = np.argmax(model.predict(x_train, verbose=0), axis=1)
    metric = CategoricalTruePositives()
    metric.update_state(y_train.reshape(-1, 1), model.predict(x_train, verbose=0))
    assert float(metric.result()) == np.sum(predicted == y_train)


# ------------------------------------------------------------------ add_loss
class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs          # Pass-through layer.


def test_a_layer_adding_its_own_loss_raises_the_reported_loss():
    def model_with(extra):
        keras.utils.set_random_seed(0)
        inputs = keras.Input(shape=(784,), name="digits")
        x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
        if extra:
            x = ActivityRegularizationLayer()(x)
        x = layers.Dense(64, activation="relu", name="dense_2")(x)
        outputs = layers.Dense(10, name="predictions")(x)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    plain, regularized = model_with(False), model_with(True)
    first = x_train[:64]
    hidden = keras.Model(regularized.inputs, regularized.layers[1].output).predict(
        first, verbose=0)
    # One batch of 64: the added term is 0.1 * the sum of that batch's activations.
    assert regularized.evaluate(first, y_train[:64], batch_size=64, verbose=0) == \
        pytest.approx(plain.evaluate(first, y_train[:64], batch_size=64, verbose=0)
                      + 0.1 * hidden.sum(), rel=1e-4)
    history = regularized.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        # Compute the training-time loss value and add it to the layer using `self.add_loss()`.
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)
        # Return the inference-time prediction tensor (for `.predict()`).
        return ops.softmax(logits)


def test_an_endpoint_layer_trains_a_model_compiled_without_a_loss():
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)
    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")          # No loss argument!
    data = {"inputs": np.random.random((300, 3)),
            "targets": np.random.randint(0, 2, (300, 10)).astype("float32")}
    history = model.fit(data, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(data, verbose=0).shape == (300, 10)


# ------------------------------------------------------------------ validation_split
def test_validation_split_holds_out_the_last_part():
    model = get_compiled_model()
    history = model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1,
                        verbose=0)
    held_out = model.evaluate(x_train[-200:], y_train[-200:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(held_out[0], rel=1e-5)


# ------------------------------------------------------------------ weights
def test_class_weight_and_sample_weight_put_more_weight_on_class_5():
    class_weight = {i: 1.0 for i in range(10)}
    class_weight[5] = 2.0
    sample_weight = np.ones(shape=(len(y_train),))
    sample_weight[y_train == 5] = 2.0
    model = get_compiled_model()
    baseline = model.evaluate(x_train, y_train, batch_size=len(x_train), verbose=0)[0]
    weighted = model.evaluate(x_train, y_train, batch_size=len(x_train), verbose=0,
                              sample_weight=sample_weight)[0]
    fives = y_train == 5
    per_sample = keras.losses.SparseCategoricalCrossentropy(reduction=None)(
        y_train, model.predict(x_train, verbose=0))
    assert weighted - baseline == pytest.approx(np.asarray(per_sample)[fives].sum()
                                                / len(y_train), rel=1e-4)
    keras.utils.set_random_seed(0)
    first = get_compiled_model()
    first.fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1,
              verbose=0, shuffle=False)
    keras.utils.set_random_seed(0)
    second = get_compiled_model()
    second.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1,
               verbose=0, shuffle=False)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ many inputs and outputs
def multi_io_model():
    image_input = keras.Input(shape=(16, 16, 3), name="img_input")
    timeseries_input = keras.Input(shape=(None, 10), name="ts_input")
    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)
    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)
    x = layers.concatenate([x1, x2])
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)
    return keras.Model(inputs=[image_input, timeseries_input],
                       outputs=[score_output, class_output])


img_data = rng.random(size=(100, 16, 16, 3)).astype("float32")
ts_data = rng.random(size=(100, 20, 10)).astype("float32")
score_targets = rng.random(size=(100, 1)).astype("float32")
class_targets = rng.random(size=(100, 5)).astype("float32")


def test_a_model_with_two_inputs_and_two_outputs_trains_from_lists_and_dicts():
    keras.utils.set_random_seed(0)
    model = multi_io_model()
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=[keras.losses.MeanSquaredError(),
                        keras.losses.CategoricalCrossentropy()])
    history = model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=32,
                        epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={"score_output": keras.losses.MeanSquaredError(),
              "class_output": keras.losses.CategoricalCrossentropy()},
        metrics={"score_output": [keras.metrics.MeanAbsolutePercentageError(),
                                  keras.metrics.MeanAbsoluteError()],
                 "class_output": [keras.metrics.CategoricalAccuracy()]},
        loss_weights={"score_output": 2.0, "class_output": 1.0})
    history = model.fit({"img_input": img_data, "ts_input": ts_data},
                        {"score_output": score_targets, "class_output": class_targets},
                        batch_size=32, epochs=1, verbose=0)
    logs = history.history
    for key in ["loss", "score_output_loss", "class_output_loss",
                "score_output_mean_absolute_error", "class_output_categorical_accuracy"]:
        assert key in logs, sorted(logs)
    total = model.evaluate({"img_input": img_data, "ts_input": ts_data},
                           {"score_output": score_targets, "class_output": class_targets},
                           verbose=0, return_dict=True)
    assert total["loss"] == pytest.approx(2 * total["score_output_loss"]
                                          + total["class_output_loss"], rel=1e-5)


# ------------------------------------------------------------------ callbacks
def test_early_stopping_and_checkpoints_with_save_best_only(tmp_path):
    model = get_compiled_model()
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1e-2, patience=2,
                                      verbose=0),
        keras.callbacks.ModelCheckpoint(filepath=str(tmp_path / "mymodel_{epoch}.keras"),
                                        save_best_only=True, monitor="val_loss", verbose=0),
    ]
    history = model.fit(x_train, y_train, epochs=20, batch_size=64, callbacks=callbacks,
                        validation_split=0.2, verbose=0)
    val = history.history["val_loss"]
    assert len(val) < 20                                  # stopped early
    saved = sorted(os.listdir(tmp_path))
    improved = [epoch + 1 for epoch in range(len(val)) if val[epoch] == min(val[:epoch + 1])]
    assert saved == sorted(f"mymodel_{epoch}.keras" for epoch in improved)
    best = keras.models.load_model(tmp_path / f"mymodel_{improved[-1]}.keras")
    assert best.evaluate(x_train[-200:], y_train[-200:], verbose=0)[0] == pytest.approx(
        min(val), rel=1e-5)


def test_an_exponential_decay_schedule_drives_the_optimizer():
    initial_learning_rate = 0.1
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=10, decay_rate=0.96, staircase=True)
    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    model = get_uncompiled_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, batch_size=100, epochs=3, verbose=0)     # 30 steps
    assert float(lr_schedule(optimizer.iterations)) == pytest.approx(0.1 * 0.96 ** 3)


# ------------------------------------------------------------------ PyDataset
class ExamplePyDataset(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x = x
        self.y = y
        self.batch_size = batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        batch_x = self.x[idx * self.batch_size: (idx + 1) * self.batch_size]
        batch_y = self.y[idx * self.batch_size: (idx + 1) * self.batch_size]
        return batch_x, batch_y


def test_training_on_a_pydataset():
    train_py_dataset = ExamplePyDataset(x_train, y_train, batch_size=32)
    val_py_dataset = ExamplePyDataset(x_val, y_val, batch_size=32)
    model = get_compiled_model()
    # The guide passes batch_size=64 too: Keras ignores it for a PyDataset, and so do we.
    history = model.fit(train_py_dataset, batch_size=64, validation_data=val_py_dataset,
                        epochs=3, verbose=0)
    assert history.history["val_sparse_categorical_accuracy"][-1] > 0.8


def test_a_pydataset_with_workers_trains_the_same():
    """The guide's "Using multiprocessing" (workers=4), threads here; same numbers."""
    histories = []
    for settings in ({}, {"workers": 4}):
        keras.utils.set_random_seed(0)          # the same weights and batch order
        model = get_compiled_model()
        histories.append(model.fit(
            ExamplePyDataset(x_train, y_train, batch_size=32, **settings),
            validation_data=ExamplePyDataset(x_val, y_val, batch_size=32), epochs=1,
            verbose=0))
    assert histories[0].history == histories[1].history
