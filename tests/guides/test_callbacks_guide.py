"""Keras's guide "Writing your own callbacks", scaled down, with only the import changed.

The guide trains ``Dense(1)`` on the first 1,000 MNIST digits read as numbers
(a regression on the label). MNIST cannot be downloaded here, so the data is a
stand-in of the same shapes: 784 features in [0, 1) and a label 0..9 that a
linear model can learn. Every callback is the guide's own, line for line in
what it does; each test checks the outcome the guide shows.
"""
import numpy as np
import pytest

import kerastutor as keras

rng = np.random.default_rng(0)
x_train = rng.random((1000, 784)).astype("float32")
y_train = np.round(9 * x_train[:, :10].mean(axis=1)).astype("float32")   # 0..9
x_test, y_test = x_train[:200], y_train[:200]


def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1),
                  loss="mean_squared_error", metrics=["mean_absolute_error"])
    return model


# ------------------------------------------------------------------ a basic example
class CustomCallback(keras.callbacks.Callback):
    """The guide's first callback: every hook reports the keys of its logs."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def _say(self, what, logs):
        self.lines.append(f"{what}; got log keys: {list(logs.keys())}")

    def on_train_begin(self, logs=None): self._say("Starting training", logs)
    def on_train_end(self, logs=None): self._say("Stop training", logs)
    def on_epoch_begin(self, epoch, logs=None): self._say(f"Start epoch {epoch}", logs)
    def on_epoch_end(self, epoch, logs=None): self._say(f"End epoch {epoch}", logs)
    def on_test_begin(self, logs=None): self._say("Start testing", logs)
    def on_test_end(self, logs=None): self._say("Stop testing", logs)
    def on_predict_begin(self, logs=None): self._say("Start predicting", logs)
    def on_predict_end(self, logs=None): self._say("Stop predicting", logs)
    def on_train_batch_begin(self, batch, logs=None): self._say(f"train batch {batch} begin", logs)
    def on_train_batch_end(self, batch, logs=None): self._say(f"train batch {batch} end", logs)
    def on_test_batch_begin(self, batch, logs=None): self._say(f"test batch {batch} begin", logs)
    def on_test_batch_end(self, batch, logs=None): self._say(f"test batch {batch} end", logs)
    def on_predict_batch_begin(self, batch, logs=None): self._say(f"predict batch {batch} begin", logs)
    def on_predict_batch_end(self, batch, logs=None): self._say(f"predict batch {batch} end", logs)


def test_every_hook_reports_the_guides_log_keys():
    model = get_model()
    spy = CustomCallback()
    model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=0, validation_split=0.5,
              callbacks=[spy])
    fit_lines = list(spy.lines)
    metrics = "['loss', 'mean_absolute_error']"
    assert fit_lines[0] == "Starting training; got log keys: []"
    assert fit_lines[1] == "Start epoch 0; got log keys: []"
    assert fit_lines[2] == "train batch 0 begin; got log keys: []"
    assert fit_lines[3] == f"train batch 0 end; got log keys: {metrics}"
    assert "Start testing; got log keys: []" in fit_lines
    assert f"test batch 0 end; got log keys: {metrics}" in fit_lines
    assert fit_lines[-2] == ("End epoch 0; got log keys: ['loss', 'mean_absolute_error', "
                             "'val_loss', 'val_mean_absolute_error']")
    assert fit_lines[-1].startswith("Stop training; got log keys: ['loss'")

    spy.lines.clear()
    model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[spy])
    assert spy.lines[0] == "Start testing; got log keys: []"
    assert spy.lines[-1] == f"Stop testing; got log keys: {metrics}"

    spy.lines.clear()
    model.predict(x_test, batch_size=128, verbose=0, callbacks=[spy])
    assert spy.lines[0] == "Start predicting; got log keys: []"
    assert "predict batch 0 end; got log keys: ['outputs']" in spy.lines
    assert spy.lines[-1] == "Stop predicting; got log keys: []"


# ------------------------------------------------------------------ usage of logs
class LossAndErrorPrintingCallback(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.lines = []

    def on_train_batch_end(self, batch, logs=None):
        self.lines.append(f"Up to batch {batch}, the average loss is {logs['loss']:7.2f}.")

    def on_test_batch_end(self, batch, logs=None):
        self.lines.append(f"Up to batch {batch}, the average loss is {logs['loss']:7.2f}.")

    def on_epoch_end(self, epoch, logs=None):
        self.lines.append(
            f"The average loss for epoch {epoch} is {logs['loss']:7.2f} and mean absolute "
            f"error is {logs['mean_absolute_error']:7.2f}.")


def test_logs_carry_running_averages_that_fall_as_the_guide_shows():
    model = get_model()
    printer = LossAndErrorPrintingCallback()
    history = model.fit(x_train, y_train, batch_size=128, epochs=2, verbose=0,
                        callbacks=[printer])
    epoch_lines = [line for line in printer.lines if line.startswith("The average loss")]
    assert len(epoch_lines) == 2
    assert history.history["loss"][1] < history.history["loss"][0]
    res = model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[printer])
    assert printer.lines[-1] == f"Up to batch 1, the average loss is {res[0]:7.2f}."


# ------------------------------------------------------------------ self.model
class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    """Stop when the loss is at its minimum, i.e. stops decreasing; keep the best weights."""

    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0:
            self.message = f"Epoch {self.stopped_epoch + 1}: early stopping"


def test_early_stopping_at_min_loss_stops_and_restores_the_best_weights():
    model = get_model()
    stopper = EarlyStoppingAtMinLoss()
    history = model.fit(x_train, y_train, batch_size=64, steps_per_epoch=5, epochs=30,
                        verbose=0, callbacks=[LossAndErrorPrintingCallback(), stopper])
    epochs_run = len(history.history["loss"])
    assert epochs_run < 30 and stopper.stopped_epoch == epochs_run - 1
    assert stopper.message == f"Epoch {epochs_run}: early stopping"
    for kept, best in zip(model.get_weights(), stopper.best_weights):
        np.testing.assert_array_equal(kept, best)


# ------------------------------------------------------------------ learning rate
class CustomLearningRateScheduler(keras.callbacks.Callback):
    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule
        self.seen = []

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        lr = self.model.optimizer.learning_rate
        scheduled_lr = self.schedule(epoch, lr)
        self.model.optimizer.learning_rate = scheduled_lr
        self.seen.append(float(np.array(self.model.optimizer.learning_rate)))


LR_SCHEDULE = [(3, 0.05), (6, 0.01), (9, 0.005), (12, 0.001)]


def lr_schedule(epoch, lr):
    """The rate from the schedule table at its epochs, else the current one."""
    if epoch < LR_SCHEDULE[0][0] or epoch > LR_SCHEDULE[-1][0]:
        return lr
    for i in range(len(LR_SCHEDULE)):
        if epoch == LR_SCHEDULE[i][0]:
            return LR_SCHEDULE[i][1]
    return lr


def test_a_learning_rate_scheduler_sets_the_optimizers_rate_each_epoch():
    model = get_model()
    scheduler = CustomLearningRateScheduler(lr_schedule)
    model.fit(x_train, y_train, batch_size=64, steps_per_epoch=5, epochs=15, verbose=0,
              callbacks=[scheduler])
    expected = [0.1] * 3 + [0.05] * 3 + [0.01] * 3 + [0.005] * 3 + [0.001] * 3
    assert scheduler.seen == pytest.approx(expected)
