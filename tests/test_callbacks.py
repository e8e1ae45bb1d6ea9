"""EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN, LivePlot.

Every test trains through ``model.fit``. Where the exact sequence of monitored
values matters, a LambdaCallback placed *before* the callback under test writes
scripted values into the epoch logs (callbacks see the same logs dict, in order).
"""
import csv
import os
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import callbacks

X = np.linspace(-1, 1, 8, dtype="float32").reshape(4, 2)
Y = np.array([[1.0], [2.0], [3.0], [4.0]], dtype="float32")


def _model(learning_rate=0.01, metrics=None):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate), "mse", metrics=metrics)
    return model


def _script(key, values):
    """A callback that overwrites ``logs[key]`` with ``values[epoch]``."""
    def write(epoch, logs):
        logs[key] = values[epoch]
    return callbacks.LambdaCallback(on_epoch_end=write)


def _fit(model, cbs, epochs, **kwargs):
    return model.fit(X, Y, epochs=epochs, batch_size=4, verbose=0, callbacks=cbs, **kwargs)


# ------------------------------------------------------------------ EarlyStopping
@pytest.mark.parametrize("values, patience, epochs_run, stopped_epoch", [
    ([5, 4, 3, 2, 1, 0], 0, 6, 0),          # always improving: never stops
    ([5, 4, 4, 3, 2, 1], 0, 3, 2),          # first non-improvement stops at once
    ([5, 4, 4, 4.5, 3, 2], 2, 4, 3),        # two epochs without improvement
    ([5, 4, 4, 3, 3.5, 3.2, 1], 2, 6, 5),   # the 3 at epoch 3 resets the wait
])
def test_early_stopping_stops_at_the_right_epoch(values, patience, epochs_run,
                                                 stopped_epoch):
    stopper = callbacks.EarlyStopping(monitor="loss", patience=patience)
    history = _fit(_model(), [_script("loss", values), stopper], epochs=len(values))
    assert len(history.history["loss"]) == epochs_run
    assert history.history["loss"] == [float(v) for v in values[:epochs_run]]
    assert stopper.stopped_epoch == stopped_epoch


@settings(deadline=None, max_examples=15)
@given(st.lists(st.integers(0, 5), min_size=2, max_size=7), st.integers(0, 3))
def test_early_stopping_matches_the_counting_rule(values, patience):
    """Stop at the first epoch > 0 where epochs-since-best (strictly) reach patience."""
    best, wait, expected = np.inf, 0, len(values)
    for epoch, value in enumerate(values):
        wait += 1
        if value < best:
            best, wait = value, 0
        elif wait >= patience and epoch > 0:
            expected = epoch + 1
            break
    stopper = callbacks.EarlyStopping(monitor="loss", patience=patience)
    history = _fit(_model(), [_script("loss", [float(v) for v in values]), stopper],
                   epochs=len(values))
    assert len(history.history["loss"]) == expected


def test_early_stopping_restores_the_best_weights():
    model = _model(learning_rate=0.1)
    seen = []
    recorder = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(model.get_weights()))
    values = [3.0, 1.0, 2.0, 2.5, 4.0]
    stopper = callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)
    _fit(model, [_script("loss", values), recorder, stopper], epochs=5)
    assert stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    assert len(seen) == 4
    for restored, best in zip(model.get_weights(), seen[1]):
        np.testing.assert_array_equal(restored, best)
    assert not np.allclose(seen[1][0], seen[3][0])      # training did move the weights
    # Without restore_best_weights the last weights stay.
    model2 = _model(learning_rate=0.1)
    last = []
    _fit(model2, [_script("loss", values), callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: last.append(model2.get_weights())),
        callbacks.EarlyStopping(monitor="loss", patience=2)], epochs=5)
    np.testing.assert_array_equal(model2.get_weights()[0], last[-1][0])


def test_early_stopping_baseline_and_start_from_epoch():
    # Never beating the baseline 1.0, the wait is never reset: epochs 0 and 1 count
    # too, and the first epoch without improvement (epoch 2) reaches patience 3.
    values = [5, 4, 4.5, 4.6, 4.7, 4.8]
    stopper = callbacks.EarlyStopping(monitor="loss", patience=3, baseline=1.0)
    history = _fit(_model(), [_script("loss", values), stopper], epochs=6)
    assert len(history.history["loss"]) == 3 and stopper.best == 4.0
    # A baseline that is beaten changes nothing: stop after 3 epochs without improvement.
    for baseline in (10.0, None):
        stopper = callbacks.EarlyStopping(monitor="loss", patience=3, baseline=baseline)
        history = _fit(_model(), [_script("loss", values), stopper], epochs=6)
        assert len(history.history["loss"]) == 5
    # Warm-up epochs are not watched: the bad start does not stop training.
    values = [1, 2, 3, 4, 3.5, 3.8, 3.9]
    stopper = callbacks.EarlyStopping(monitor="loss", patience=1, start_from_epoch=3)
    history = _fit(_model(), [_script("loss", values), stopper], epochs=7)
    assert len(history.history["loss"]) == 6 and stopper.best == 3.5
    plain = callbacks.EarlyStopping(monitor="loss", patience=1)
    assert len(_fit(_model(), [_script("loss", values), plain], epochs=7)
               .history["loss"]) == 2                     # stops at epoch 1


def test_early_stopping_min_delta_and_max_mode():
    # An improvement smaller than min_delta does not count.
    stopper = callbacks.EarlyStopping(monitor="loss", min_delta=0.5, patience=0)
    history = _fit(_model(), [_script("loss", [5, 4.8, 4.0]), stopper], epochs=3)
    assert len(history.history["loss"]) == 2
    # "accuracy" goes up: auto mode maximises it.
    stopper = callbacks.EarlyStopping(monitor="accuracy")
    history = _fit(_model(), [_script("accuracy", [0.5, 0.6, 0.7, 0.65, 0.9]), stopper],
                   epochs=5)
    assert stopper.monitor_op == "max" and len(history.history["loss"]) == 4
    stopper = callbacks.EarlyStopping(monitor="val_mse", mode="auto")
    _fit(_model(metrics=["mse"]), [stopper], epochs=2, validation_data=(X, Y))
    assert stopper.monitor_op == "min"
    stopper = callbacks.EarlyStopping(monitor="loss", mode="max")
    history = _fit(_model(), [_script("loss", [1, 2, 3, 2.5]), stopper], epochs=4)
    assert len(history.history["loss"]) == 4 and stopper.stopped_epoch == 3


def test_early_stopping_warnings_and_errors():
    stopper = callbacks.EarlyStopping(monitor="val_acc")
    with pytest.warns(UserWarning, match=r"`val_acc` which is not available\. Available "
                                         r"metrics are: loss"):
        history = _fit(_model(), [stopper], epochs=2)
    assert len(history.history["loss"]) == 2          # nothing to watch: no stop
    with pytest.warns(UserWarning, match="mode 'lowest' is unknown"):
        assert callbacks.EarlyStopping(mode="lowest").mode == "auto"
    with pytest.raises(ValueError, match="mode='max'"):
        _fit(_model(), [callbacks.EarlyStopping(monitor="my_quantity")], epochs=1)
    with pytest.raises(ValueError, match="patience must be an integer"):
        callbacks.EarlyStopping(patience=-1)
    with pytest.raises(TypeError, match="log key"):
        callbacks.EarlyStopping(monitor=3)
    config = callbacks.EarlyStopping(patience=3, baseline=0.5).get_config()
    assert config == {"monitor": "val_loss", "min_delta": 0, "patience": 3, "verbose": 0,
                      "mode": "auto", "baseline": 0.5, "restore_best_weights": False,
                      "start_from_epoch": 0}


def test_early_stopping_verbose_messages_and_reuse(capsys):
    stopper = callbacks.EarlyStopping(monitor="loss", verbose=1, restore_best_weights=True)
    _fit(_model(), [_script("loss", [1, 2, 3]), stopper], epochs=3)
    out = capsys.readouterr().out
    assert "Epoch 2: early stopping" in out
    assert "Restoring model weights from the end of the best epoch: 1." in out
    # The same instance starts afresh in a second fit.
    history = _fit(_model(), [_script("loss", [3, 2, 1]), stopper], epochs=3)
    assert len(history.history["loss"]) == 3 and stopper.stopped_epoch == 0


# ------------------------------------------------------------------ ReduceLROnPlateau
def test_reduce_lr_on_plateau_after_patience():
    model = _model(learning_rate=1.0)
    reducer = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)
    values = [5, 4, 4, 4, 4, 4, 3]
    history = _fit(model, [_script("loss", values), reducer], epochs=7)
    # The rate logged is the one used during that epoch; it halves after epochs 3 and 5.
    np.testing.assert_allclose(history.history["learning_rate"],
                               [1, 1, 1, 1, 0.5, 0.5, 0.25])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.25)


@settings(deadline=None, max_examples=15)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=8), st.integers(0, 2),
       st.integers(0, 2))
def test_reduce_lr_on_plateau_matches_the_counting_rule(values, patience, cooldown):
    """The logged rates follow Keras's wait/cooldown bookkeeping, epoch by epoch."""
    rate, best, wait, counter, expected = 1.0, np.inf, 0, 0, []
    for value in values:
        expected.append(rate)
        if counter > 0:
            counter, wait = counter - 1, 0
        if value < best - 1e-4:
            best, wait = value, 0
        elif counter == 0:
            wait += 1
            if wait >= patience and rate > 0.1:
                rate, counter, wait = max(rate * 0.5, 0.1), cooldown, 0
    reducer = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=patience,
                                          cooldown=cooldown, min_lr=0.1)
    history = _fit(_model(learning_rate=1.0),
                   [_script("loss", [float(v) for v in values]), reducer], epochs=len(values))
    np.testing.assert_allclose(history.history["learning_rate"], expected, rtol=1e-6)


def test_reduce_lr_on_plateau_cooldown_and_min_lr():
    model = _model(learning_rate=1.0)
    reducer = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.1, patience=1,
                                          cooldown=2, min_lr=0.005)
    history = _fit(model, [_script("loss", [5.0] * 8), reducer], epochs=8)
    # Reduced at the end of epoch 1. The cooldown counter is decremented at the start
    # of each later check, so cooldown=2 rests one epoch (2) and reduces again at 3,
    # then at 5 down to the floor min_lr, and no further (Keras's order of updates).
    np.testing.assert_allclose(history.history["learning_rate"],
                               [1, 1, 0.1, 0.1, 0.01, 0.01, 0.005, 0.005], rtol=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.005)
    with pytest.raises(ValueError, match="factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=2.0)
    assert callbacks.ReduceLROnPlateau().get_config() == {
        "monitor": "val_loss", "factor": 0.1, "patience": 10, "verbose": 0,
        "mode": "auto", "min_delta": 1e-4, "cooldown": 0, "min_lr": 0.0}


def test_reduce_lr_on_plateau_min_delta_and_warning(capsys):
    model = _model(learning_rate=1.0)
    reducer = callbacks.ReduceLROnPlateau(monitor="loss", patience=1, min_delta=0.1,
                                          verbose=1)
    _fit(model, [_script("loss", [1.0, 0.95]), reducer], epochs=2)   # 0.05 < min_delta
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.1" in capsys.readouterr().out
    with pytest.warns(UserWarning, match="Learning rate reduction is conditioned on metric "
                                         "`val_loss` which is not available"):
        _fit(_model(), [callbacks.ReduceLROnPlateau()], epochs=1)


# ------------------------------------------------------------------ LearningRateScheduler
def test_learning_rate_scheduler_sets_and_logs_rates():
    model = _model(learning_rate=0.1)
    used = []
    spy = callbacks.LambdaCallback(on_train_batch_begin=lambda batch, logs: used.append(
        float(model.optimizer.learning_rate)))
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    history = _fit(model, [scheduler, spy], epochs=4)
    np.testing.assert_allclose(used, [0.1, 0.05, 0.025, 0.0125], rtol=1e-6)
    np.testing.assert_allclose(history.history["learning_rate"], used, rtol=1e-6)


def test_learning_rate_scheduler_changes_the_sgd_step():
    """With lr = 0 from epoch 1 on, the weights stop moving."""
    model = _model(learning_rate=0.1)
    scheduler = callbacks.LearningRateScheduler(lambda epoch: 0.1 if epoch == 0 else 0.0)
    seen = []
    _fit(model, [scheduler, callbacks.LambdaCallback(
        on_epoch_end=lambda e, logs: seen.append(model.get_weights()[0]))], epochs=3)
    np.testing.assert_array_equal(seen[1], seen[2])
    assert not np.array_equal(seen[0], _model().get_weights()[0])


def test_learning_rate_scheduler_errors_and_verbose(capsys):
    with pytest.raises(TypeError, match="must be a function"):
        callbacks.LearningRateScheduler(0.1)
    with pytest.raises(ValueError, match="should be a float"):
        _fit(_model(), [callbacks.LearningRateScheduler(lambda epoch, lr: 1)], epochs=1)
    _fit(_model(), [callbacks.LearningRateScheduler(lambda e, lr: 0.5, verbose=1)], epochs=1)
    assert "Epoch 1: LearningRateScheduler setting learning rate to 0.5." in \
        capsys.readouterr().out


# ------------------------------------------------------------------ CSVLogger
def _rows(path, delimiter=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=delimiter))


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    history = _fit(_model(metrics=["mae"]), [callbacks.CSVLogger(path)], epochs=3,
                   validation_data=(X, Y))
    rows = _rows(path)
    assert rows[0] == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    np.testing.assert_allclose([float(r[1]) for r in rows[1:]], history.history["loss"],
                               rtol=1e-6)
    np.testing.assert_allclose([float(r[4]) for r in rows[1:]], history.history["val_mae"],
                               rtol=1e-6)


def test_csv_logger_append_and_separator(tmp_path):
    path = tmp_path / "log.tsv"
    _fit(_model(), [callbacks.CSVLogger(path, separator="\t")], epochs=2)
    _fit(_model(), [callbacks.CSVLogger(path, separator="\t", append=True)], epochs=2)
    rows = _rows(path, "\t")
    assert rows[0] == ["epoch", "loss"] and len(rows) == 5      # one header only
    assert [r[0] for r in rows[1:]] == ["0", "1", "0", "1"]
    # Without append the file starts over.
    _fit(_model(), [callbacks.CSVLogger(path, separator="\t")], epochs=1)
    assert len(_rows(path, "\t")) == 2
    with pytest.raises(ValueError, match="single character"):
        callbacks.CSVLogger(path, separator="::")
    assert callbacks.CSVLogger("a.csv").get_config() == {
        "filename": "a.csv", "separator": ",", "append": False}


def test_csv_logger_rows_are_on_disk_during_training(tmp_path):
    path = tmp_path / "log.csv"
    lines = []
    reader = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: lines.append(
        len(_rows(path))))
    _fit(_model(), [callbacks.CSVLogger(path), reader], epochs=3)
    assert lines == [2, 3, 4]                      # flushed at every epoch end


# ------------------------------------------------------------------ TerminateOnNaN
def _exploding_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1e6), "mse")
    return model


def test_terminate_on_nan_stops_an_exploding_model(capsys):
    x = np.full((8, 2), 100.0, "float32")
    y = np.full((8, 1), 100.0, "float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)          # overflow in NumPy
        history = _exploding_model().fit(x, y, epochs=50, batch_size=1, verbose=0,
                                         callbacks=[callbacks.TerminateOnNaN()])
    assert len(history.history["loss"]) < 50
    assert not np.isfinite(history.history["loss"][-1])
    assert "Invalid loss, terminating training" in capsys.readouterr().out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch"):
            _exploding_model().fit(x, y, epochs=50, batch_size=1, verbose=0,
                                   callbacks=[callbacks.TerminateOnNaN(raise_error=True)])
    # A healthy model trains to the end.
    assert len(_fit(_model(), [callbacks.TerminateOnNaN()], epochs=3)
               .history["loss"]) == 3
    assert callbacks.TerminateOnNaN(True).get_config() == {"raise_error": True}


# ------------------------------------------------------------------ LivePlot
def test_live_plot_writes_a_png_each_epoch(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    path = tmp_path / "plots" / "curves.png"
    sizes = []
    plot = callbacks.LivePlot(save_to=path)
    watcher = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: sizes.append(
        os.path.getsize(path)))
    _fit(_model(metrics=["mae"]), [plot, watcher], epochs=3, validation_data=(X, Y))
    assert len(sizes) == 3 and all(size > 0 for size in sizes)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert plot.history["val_mae"] and len(plot.history["loss"]) == 3
    assert plot.figure is None                     # Agg figure closed at train end
    # With validation every 2nd epoch, val_loss is drawn at epoch 2 only.
    plot = callbacks.LivePlot(metrics=["loss"], save_to=path)
    _fit(_model(), [plot], epochs=3, validation_data=(X, Y), validation_freq=2)
    assert plot._at == {"loss": [1, 2, 3], "val_loss": [2]}
    assert callbacks.LivePlot(["loss"]).get_config() == {"metrics": ["loss"],
                                                         "save_to": None}


def test_live_plot_without_matplotlib_says_so_once(monkeypatch, capsys):
    import builtins
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    plot = callbacks.LivePlot()
    history = _fit(_model(), [plot], epochs=3)
    assert len(history.history["loss"]) == 3
    assert capsys.readouterr().out.count("matplotlib is not installed") == 1


def test_history_records_what_callbacks_add_to_the_logs():
    """History runs after the user's callbacks (Keras 3 order)."""
    model = _model()
    history = _fit(model, [_script("extra", [1.0, 2.0])], epochs=2)
    assert history.history["extra"] == [1.0, 2.0]
    cbs = callbacks.CallbackList([callbacks.TerminateOnNaN()],
                                 add_history=callbacks.History(), add_progbar=True)
    assert [type(cb).__name__ for cb in cbs.callbacks] == [
        "TerminateOnNaN", "History", "ProgbarLogger"]


# ------------------------------------------------------------ History, LambdaCallback, bases
def test_history_lambda_callback_and_callback_list():
    seen = []
    lam = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[lam])
    assert seen == [0, 1, 2]
    assert isinstance(history, callbacks.History) and len(history.history["loss"]) == 3
    with pytest.raises(TypeError, match="instance"):
        callbacks.CallbackList([callbacks.History])


def test_progbar_logger_is_added_once(capsys):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=2,
              callbacks=[callbacks.ProgbarLogger()])
    assert capsys.readouterr().out.count("1/1") == 1


def test_monitor_and_rate_bases_are_shared():
    metrics = keras.metrics
    assert issubclass(callbacks.EarlyStopping, callbacks.MonitorCallback)
    assert issubclass(callbacks.ReduceLROnPlateau, callbacks.MonitorCallback)
    for cls in (metrics.PrecisionAtRecall, metrics.RecallAtPrecision,
                metrics.SensitivityAtSpecificity, metrics.SpecificityAtSensitivity):
        assert issubclass(cls, metrics.SensitivitySpecificityBase)


# ------------------------------------------------------------ the logs every hook receives
def test_pythonify_logs_makes_what_keras_hands_to_callbacks():
    """Keras 3.15.1's pythonify_logs: None -> {}, keys sorted, nested dicts flattened,
    values float() accepts become Python floats, anything else is passed unchanged."""
    batch = np.ones((4, 1), dtype="float32")
    logs = {"mae": np.float32(0.5), "loss": np.float64(2.0), "nested": {"auc": 1},
            "outputs": batch, "single": np.array([[3.0]]), "names": ["a"], "flag": True}
    result = callbacks.pythonify_logs(logs)
    # Keras flattens "nested" where its key sorts, so "auc" comes after "names".
    assert list(result) == ["flag", "loss", "mae", "names", "auc", "outputs", "single"]
    assert {k: type(v) for k, v in result.items() if k not in ("outputs", "names")} == \
        dict.fromkeys(["auc", "flag", "loss", "mae", "single"], float)
    assert result["outputs"] is batch and result["names"] == ["a"] and result["single"] == 3.0
    assert callbacks.pythonify_logs(None) == {}
    assert result is not callbacks.pythonify_logs(result)          # always a new dict


def test_each_hook_call_gets_a_fresh_dict_shared_by_its_callbacks():
    seen = []
    first = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(extra=1.0))
    second = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(dict(logs)),
                                      on_train_end=lambda logs: seen.append(dict(logs)))
    _fit(_model(), [first, second], epochs=1)
    epoch_logs, train_end_logs = seen
    assert epoch_logs["extra"] == 1.0 and "extra" not in train_end_logs


def test_history_keras2_acc_key_names_the_keras3_key():
    model = _model(metrics=["accuracy"])
    history = model.fit(X, Y, epochs=1, verbose=0, validation_data=(X, Y))
    assert history.history["accuracy"] == history.history.get("accuracy")
    with pytest.raises(KeyError, match=r"use history.history\['accuracy'\]"):
        history.history["acc"]
    with pytest.raises(KeyError, match=r"use history.history\['val_accuracy'\]"):
        history.history["val_acc"]
    # Any other missing key lists the keys, with a did-you-mean for a typo.
    with pytest.raises(KeyError, match=r"keys are .*Did you mean 'val_loss'"):
        history.history["val_los"]
    # Still a dict for everything else (json, pandas, `in`).
    assert isinstance(history.history, dict) and "acc" not in history.history


def test_history_plot_marks_one_epoch_curves_and_prints_a_relative_path(
        tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    history = _model().fit(X, Y, epochs=1, verbose=0, validation_data=(X, Y))
    axes = history.plot(save_to=str(tmp_path / "out" / "curves.png"))
    lines = axes[0].get_lines()
    assert [line.get_marker() for line in lines] == ["o", "o"]   # one point each, visible
    printed = capsys.readouterr().out
    assert "saved to out/curves.png" in printed and str(tmp_path) not in printed
    assert (tmp_path / "out" / "curves.png").exists()


class _CountedMean(keras.metrics.Mean):
    """A metric that counts how often its result is asked for."""

    def __init__(self):
        super().__init__(name="counted")
        self.results = 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(y_pred)

    def result(self):
        self.results += 1
        return super().result()


@pytest.mark.parametrize("verbose, reader, per_epoch", [
    (0, False, 1), (2, False, 1),           # nobody reads a batch: the epoch's logs only
    (1, False, 1 + 4), (0, True, 1 + 4),    # the bar, or a callback, reads every batch
])
def test_batch_logs_are_made_only_when_a_callback_reads_them(verbose, reader, per_epoch):
    """On a GPU making the logs means reading the device, so fit builds a batch's logs
    only for a callback that looks at them; verbose=2's bar prints the epoch's alone."""
    seen = []
    cbs = [keras.callbacks.LambdaCallback(on_batch_end=lambda b, logs: seen.append(logs))] \
        if reader else []
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    metric = _CountedMean()
    model.compile("sgd", "mse", metrics=[metric])
    model.fit(np.tile(X, (4, 1)), np.tile(Y, (4, 1)), batch_size=4, epochs=2,
              verbose=verbose, callbacks=cbs)
    assert metric.results == 2 * per_epoch
    assert len(seen) == (8 if reader else 0)
    assert all(type(v) is float for logs in seen for v in logs.values())
