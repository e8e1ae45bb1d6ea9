"""The fit lifecycle: which callback hook runs when, with which logs, however fit ends.

The expected hooks, keys and numbers below were printed by real Keras 3.15.1
(torch backend) running the same model on the same data (``_data`` and
``_model``: ``np.random.default_rng(0)``, a ``Dense(1)`` with a kernel of ones,
SGD(0.01), mse with an ``mae`` metric, ``batch_size=4``, ``shuffle=False``,
``validation_split=0.4``). ``tests/oracle/test_callbacks_against_keras.py`` runs
Keras itself for the same comparison when ``KERASTUTOR_ORACLE=1``.
"""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import callbacks, events

HOOKS_WITH_INDEX = ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
                    "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
                    "on_predict_batch_begin", "on_predict_batch_end")
HOOKS_WITHOUT_INDEX = ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                       "on_predict_begin", "on_predict_end")


class Spy(callbacks.Callback):
    """Records ``(hook, index or None, a copy of logs)`` for every hook Keras has."""

    def __init__(self):
        super().__init__()
        self.calls = []
        self.models = set()

    def _record(self, hook, index, logs):
        self.models.add(id(self.model))
        self.calls.append((hook, index, logs if logs is None else dict(logs)))

    def named(self, hook):
        return [(index, logs) for name, index, logs in self.calls if name == hook]


def _hook_with_index(hook):
    return lambda self, index, logs=None: self._record(hook, index, logs)


def _hook_without_index(hook):
    return lambda self, logs=None: self._record(hook, None, logs)


for _hook in HOOKS_WITH_INDEX:
    setattr(Spy, _hook, _hook_with_index(_hook))
for _hook in HOOKS_WITHOUT_INDEX:
    setattr(Spy, _hook, _hook_without_index(_hook))


def _data():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(10, 3)).astype("float32"),
            rng.normal(size=(10, 1)).astype("float32"))


def _model(metrics=("mae",)):
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(1, kernel_initializer="ones")])
    model.compile(keras.optimizers.SGD(0.01), "mse", metrics=list(metrics) or None)
    return model


def _fit_spy(**kwargs):
    x, y = _data()
    spy = Spy()
    model = _model()
    options = dict(batch_size=4, epochs=2, verbose=0, shuffle=False, validation_split=0.4)
    options.update(kwargs)
    model.fit(x, y, callbacks=[spy], **options)
    return model, spy


# Keras 3.15.1's sequence of hooks for the fit above (printed by Keras itself).
KERAS_FIT_HOOKS = (
    ["on_train_begin"]
    + 2 * (["on_epoch_begin"]
           + 2 * ["on_train_batch_begin", "on_train_batch_end"]
           + ["on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
              "on_epoch_end"])
    + ["on_train_end"])


# The keys each hook's logs had in Keras 3.15.1 for fit (validation_split=0.4), then
# evaluate and predict, on the model above (compiled with metrics=["mae"]).
KERAS_KEYS = {
    "on_train_begin": [], "on_epoch_begin": [], "on_train_batch_begin": [],
    "on_train_batch_end": ["loss", "mae"], "on_test_begin": [],
    "on_test_batch_begin": [], "on_test_batch_end": ["loss", "mae"],
    "on_test_end": ["loss", "mae"], "on_epoch_end": ["loss", "mae", "val_loss", "val_mae"],
    "on_train_end": ["loss", "mae", "val_loss", "val_mae"], "on_predict_begin": [],
    "on_predict_batch_begin": [], "on_predict_batch_end": ["outputs"], "on_predict_end": [],
}


@pytest.mark.parametrize("hook", sorted(KERAS_KEYS))
def test_each_hook_gets_the_keys_keras_gives(hook):
    model, spy = _fit_spy()
    x, y = _data()
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[spy])
    model.predict(x, batch_size=4, verbose=0, callbacks=[spy])
    calls = spy.named(hook)
    assert calls, f"{hook} was never called"
    assert all(list(logs) == KERAS_KEYS[hook] for _, logs in calls)


def test_fit_calls_the_hooks_keras_calls_in_keras_order():
    _, spy = _fit_spy()
    assert [hook for hook, _, _ in spy.calls] == KERAS_FIT_HOOKS


def test_every_hook_gets_a_dict_never_none():
    model, spy = _fit_spy()
    x, y = _data()
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[spy])
    model.predict(x, batch_size=4, verbose=0, callbacks=[spy])
    assert {hook for hook, _, _ in spy.calls} == set(HOOKS_WITH_INDEX + HOOKS_WITHOUT_INDEX)
    assert all(isinstance(logs, dict) for _, _, logs in spy.calls)


@pytest.mark.parametrize("hook", ["on_train_begin", "on_epoch_begin", "on_train_batch_begin",
                                  "on_test_begin", "on_test_batch_begin"])
def test_begin_hooks_of_fit_get_an_empty_dict(hook):
    # Keras 3.15.1: {} (pythonify_logs(None)).
    _, spy = _fit_spy()
    assert spy.named(hook) and all(logs == {} for _, logs in spy.named(hook))


def test_train_batch_end_gets_running_means_over_the_epoch():
    # Keras 3.15.1 printed: batch 0 loss 2.834299 mae 1.469613, batch 1 (running mean
    # of both batches) loss 5.101144 mae 1.958212; epoch 2: 2.476173 / 1.392027, then
    # 4.21369 / 1.804017.
    _, spy = _fit_spy()
    ends = spy.named("on_train_batch_end")
    assert [index for index, _ in ends] == [0, 1, 0, 1]
    assert all(list(logs) == ["loss", "mae"] for _, logs in ends)
    assert all(type(value) is float for _, logs in ends for value in logs.values())
    expected = [(2.834299, 1.469613), (5.101144, 1.958212),
                (2.476173, 1.392027), (4.21369, 1.804017)]
    for (_, logs), (loss, mae) in zip(ends, expected):
        assert logs["loss"] == pytest.approx(loss, rel=1e-5)
        assert logs["mae"] == pytest.approx(mae, rel=1e-5)


def test_validation_inside_fit_fires_the_test_hooks_without_val_prefix():
    # Keras 3.15.1: on_test_batch_end / on_test_end get {"loss", "mae"} (no "val_"),
    # epoch 1: loss 2.837878 mae 1.510058; epoch 2: 2.571184 / 1.441734.
    _, spy = _fit_spy()
    test_ends = spy.named("on_test_end")
    assert [list(logs) for _, logs in test_ends] == [["loss", "mae"]] * 2
    assert [logs["loss"] for _, logs in test_ends] == pytest.approx([2.837878, 2.571184],
                                                                     rel=1e-5)
    assert [logs for _, logs in spy.named("on_test_batch_end")] == \
        [logs for _, logs in test_ends]          # one validation batch: the same numbers
    assert [index for index, _ in spy.named("on_test_batch_begin")] == [0, 0]


def test_epoch_end_gets_the_epoch_results_then_val_results():
    # Keras 3.15.1: ['loss', 'mae', 'val_loss', 'val_mae'], the train numbers equal
    # to the last batch's running means.
    _, spy = _fit_spy()
    for (_, epoch_logs), (_, batch_logs), (_, test_logs) in zip(
            spy.named("on_epoch_end"), spy.named("on_train_batch_end")[1::2],
            spy.named("on_test_end")):
        assert list(epoch_logs) == ["loss", "mae", "val_loss", "val_mae"]
        assert {k: epoch_logs[k] for k in ("loss", "mae")} == batch_logs
        assert {k: epoch_logs["val_" + k] for k in ("loss", "mae")} == test_logs


def test_train_end_gets_the_last_epoch_logs_not_what_callbacks_added():
    # Keras 3.15.1: on_train_end(logs=training_logs), the loop's own dict; a callback
    # writing logs["mine"] at on_epoch_end reaches History (same call) but not it.
    x, y = _data()
    writer = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: logs.update(mine=1.0))
    spy = Spy()
    history = _model().fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False,
                           validation_split=0.4, callbacks=[writer, spy])
    (_, last_epoch), = spy.named("on_epoch_end")[-1:]
    (_, train_end), = spy.named("on_train_end")
    assert history.history["mine"] == [1.0, 1.0]
    assert "mine" in last_epoch and "mine" not in train_end
    assert train_end == {k: v for k, v in last_epoch.items() if k != "mine"}


def test_train_end_gets_an_empty_dict_when_no_epoch_runs():
    _, spy = _fit_spy(epochs=0)
    assert [hook for hook, _, _ in spy.calls] == ["on_train_begin", "on_train_end"]
    assert spy.named("on_train_end") == [(None, {})]


def test_evaluate_hooks_and_their_logs():
    # Keras 3.15.1, after the fit above (batch_size=4 on 10 samples): three test batches
    # with running means loss 2.184175, 3.243984, 3.165344; on_test_end gets the last.
    x, y = _data()
    model, _ = _fit_spy()
    spy = Spy()
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[spy])
    assert [hook for hook, _, _ in spy.calls] == (
        ["on_test_begin"] + 3 * ["on_test_batch_begin", "on_test_batch_end"]
        + ["on_test_end"])
    losses = [logs["loss"] for _, logs in spy.named("on_test_batch_end")]
    assert losses == pytest.approx([2.184175, 3.243984, 3.165344], rel=1e-5)
    assert spy.named("on_test_end") == [(None, spy.named("on_test_batch_end")[-1][1])]
    assert spy.named("on_test_begin") == [(None, {})]


def test_predict_hooks_and_their_logs():
    # Keras 3.15.1: on_predict_batch_end gets {"outputs": the batch's predictions as a
    # NumPy array}; on_predict_begin and on_predict_end get {}.
    x, _ = _data()
    model, spy = _model(), Spy()
    predictions = model.predict(x, batch_size=4, verbose=0, callbacks=[spy])
    assert [hook for hook, _, _ in spy.calls] == (
        ["on_predict_begin"] + 3 * ["on_predict_batch_begin", "on_predict_batch_end"]
        + ["on_predict_end"])
    ends = spy.named("on_predict_batch_end")
    assert all(list(logs) == ["outputs"] for _, logs in ends)
    assert [logs["outputs"].shape for _, logs in ends] == [(4, 1), (4, 1), (2, 1)]
    assert all(type(logs["outputs"]) is np.ndarray for _, logs in ends)
    np.testing.assert_array_equal(np.concatenate([logs["outputs"] for _, logs in ends]),
                                  predictions)
    assert spy.named("on_predict_begin") == [(None, {})] == spy.named("on_predict_end")


def test_callbacks_see_the_model_in_fit_evaluate_and_predict():
    x, y = _data()
    model, spy = _model(), Spy()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[spy])
    model.evaluate(x, y, verbose=0, callbacks=[spy])
    model.predict(x, verbose=0, callbacks=[spy])
    assert spy.models == {id(model)}


# ------------------------------------------------------------ Keras 2 names and overrides
def test_old_batch_hook_names_still_work_and_run_once():
    """Keras 3's Callback.on_train_batch_end calls on_batch_end; overriding it replaces that."""
    old, both = [], []

    class Old(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            old.append(batch)

    class Both(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            both.append(("old", batch))

        def on_train_batch_end(self, batch, logs=None):
            both.append(("new", batch))

    x, y = _data()
    _model().fit(x, y, batch_size=5, epochs=1, verbose=0, callbacks=[Old(), Both()])
    assert old == [0, 1]
    assert both == [("new", 0), ("new", 1)]


def test_a_hook_set_on_the_instance_is_called():
    x, y = _data()
    seen = []
    callback = callbacks.Callback()
    callback.on_epoch_end = lambda epoch, logs=None: seen.append((epoch, sorted(logs)))
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[callback])
    assert seen == [(0, ["loss", "mae"]), (1, ["loss", "mae"])]


def test_a_history_you_pass_is_the_one_fit_returns():
    x, y = _data()
    mine = callbacks.History()
    model = _model()
    returned = model.fit(x, y, epochs=2, verbose=0, callbacks=[mine])
    assert returned is mine and model.history is mine
    assert len(mine.history["loss"]) == 2


def test_progress_bar_stays_silent_during_validation_in_fit(capsys):
    x, y = _data()
    _model().fit(x, y, batch_size=4, epochs=1, verbose=1, validation_split=0.4)
    out = capsys.readouterr().out
    assert out.count("2/2") == 1 and "1/1" not in out     # one bar, none for validation
    assert "val_loss" in out


def test_stop_evaluating_and_stop_predicting_end_early():
    x, y = _data()
    model = _model()
    stopper = callbacks.LambdaCallback(
        on_test_batch_end=lambda batch, logs: setattr(model, "stop_evaluating", True),
        on_predict_batch_end=lambda batch, logs: setattr(model, "stop_predicting", True))
    spy = Spy()
    model.evaluate(x, y, batch_size=2, verbose=0, callbacks=[stopper, spy])
    assert len(spy.named("on_test_batch_end")) == 1 and spy.named("on_test_end")
    assert model.predict(x, batch_size=2, verbose=0, callbacks=[stopper]).shape == (2, 1)


# ------------------------------------------------------------ ending by an exception
class Boom(callbacks.Callback):
    """Raises at one hook."""

    def __init__(self, hook):
        super().__init__()
        setattr(self, hook, self.explode)

    def explode(self, *args, **kwargs):
        raise RuntimeError("boom")


class Subscriber(callbacks.Callback):
    """Subscribes an event listener when training starts and never unsubscribes it."""

    def on_train_begin(self, logs=None):
        events.subscribe(lambda name, data: None)

    def on_test_begin(self, logs=None):
        events.subscribe(lambda name, data: None)

    def on_predict_begin(self, logs=None):
        events.subscribe(lambda name, data: None)


@pytest.mark.parametrize("hook", ["on_train_begin", "on_epoch_begin", "on_train_batch_begin",
                                  "on_train_batch_end", "on_test_begin", "on_test_batch_end",
                                  "on_test_end", "on_epoch_end"])
def test_an_exception_in_a_callback_escapes_fit_without_on_train_end(hook):
    """Keras 3.15.1 has no try/finally in fit: no hook runs after the exception."""
    x, y = _data()
    spy = Spy()
    model = _model()
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, batch_size=4, epochs=2, verbose=0, validation_split=0.4,
                  callbacks=[Subscriber(), Boom(hook), spy])
    assert not spy.named("on_train_end")
    assert events.subscribers() == []
    assert isinstance(model.history, callbacks.History)


def test_an_exception_in_a_step_leaves_no_listener_and_a_partial_history():
    x, y = _data()
    model = _model()
    calls = {"n": 0}
    original = model._train_step_arrays

    def failing_step(*args):
        calls["n"] += 1
        if calls["n"] == 4:
            raise FloatingPointError("step failed")
        return original(*args)

    model._train_step_arrays = failing_step
    spy = Spy()
    with pytest.raises(FloatingPointError):
        model.fit(x, y, batch_size=5, epochs=3, verbose=0, callbacks=[Subscriber(), spy])
    assert events.subscribers() == []
    assert model.history.history["loss"] and len(model.history.history["loss"]) == 1
    assert not spy.named("on_train_end")


@pytest.mark.parametrize("hook", ["on_test_begin", "on_test_batch_end"])
def test_an_exception_in_evaluate_skips_on_test_end_and_closes_listeners(hook):
    x, y = _data()
    spy = Spy()
    with pytest.raises(RuntimeError):
        _model().evaluate(x, y, verbose=0, callbacks=[Subscriber(), Boom(hook), spy])
    assert not spy.named("on_test_end") and events.subscribers() == []


@pytest.mark.parametrize("hook", ["on_predict_begin", "on_predict_batch_end"])
def test_an_exception_in_predict_skips_on_predict_end_and_closes_listeners(hook):
    x, _ = _data()
    spy = Spy()
    with pytest.raises(RuntimeError):
        _model().predict(x, verbose=0, callbacks=[Subscriber(), Boom(hook), spy])
    assert not spy.named("on_predict_end") and events.subscribers() == []


def test_a_listener_subscribed_before_fit_stays_subscribed():
    x, y = _data()
    heard = []
    listener = events.subscribe(lambda name, data: heard.append(name))
    try:
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[Subscriber()])
        assert events.subscribers() == [listener]
        assert "train_batch_begin" in heard
    finally:
        events.unsubscribe(listener)
