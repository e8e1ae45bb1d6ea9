"""Real Keras 3 (torch backend) as the oracle for callback hooks and their logs.

Both libraries train the same model on the same data with a spy callback that
records every hook, its batch/epoch index and a copy of its logs; the records
must agree: the same hooks in the same order, the same keys in the same order,
the same value types, and numbers equal to float32 rounding. Run by
``tox -e keras`` (KERASTUTOR_ORACLE=1).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402

INDEXED = ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
           "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
           "on_predict_batch_end")
PLAIN = ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
         "on_predict_begin", "on_predict_end")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(10, 3)).astype("float32")
Y = RNG.normal(size=(10, 1)).astype("float32")


def spy_class(lib):
    """A Callback subclass of ``lib`` that records (hook, index, logs) for every hook."""
    def indexed(hook):
        def method(self, index, logs=None):
            self.calls.append((hook, index, _copy(logs)))
        return method

    def plain(hook):
        def method(self, logs=None):
            self.calls.append((hook, None, _copy(logs)))
        return method

    body = {hook: indexed(hook) for hook in INDEXED}
    body.update({hook: plain(hook) for hook in PLAIN})
    cls = type("Spy", (lib.callbacks.Callback,), body)
    original_init = cls.__init__

    def __init__(self):
        original_init(self)
        self.calls = []
    cls.__init__ = __init__
    return cls


def _copy(logs):
    if logs is None:
        return None
    return {k: (np.asarray(v) if hasattr(v, "shape") and not isinstance(v, float) else v)
            for k, v in logs.items()}


def model_of(lib, metrics=("mae",)):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1, kernel_initializer="ones")])
    model.compile(lib.optimizers.SGD(0.01), "mse", metrics=list(metrics) or None)
    return model


def assert_same_calls(theirs, ours):
    assert [c[:2] for c in ours] == [c[:2] for c in theirs]
    for (hook, index, their_logs), (_, _, our_logs) in zip(theirs, ours):
        assert (our_logs is None) == (their_logs is None), hook
        if their_logs is None:
            continue
        assert list(our_logs) == list(their_logs), (hook, index)
        for key, value in their_logs.items():
            mine = our_logs[key]
            if isinstance(value, float):
                assert type(mine) is float, (hook, key, type(mine))
                assert mine == pytest.approx(value, rel=1e-5, abs=1e-6), (hook, index, key)
            else:
                np.testing.assert_allclose(np.asarray(mine), np.asarray(value), rtol=1e-5)


def run_both(action):
    """``action(lib, model, spy)`` on Keras and on kerastutor; returns both call lists."""
    results = []
    for lib in (keras, kerastutor):
        spy = spy_class(lib)()
        action(lib, model_of(lib), spy)
        results.append(spy.calls)
    return results


@pytest.mark.parametrize("fit_kwargs", [
    dict(batch_size=4, epochs=2, validation_split=0.4),
    dict(batch_size=3, epochs=2, validation_split=0.3, validation_batch_size=2),
    dict(batch_size=5, epochs=3, validation_split=0.5, validation_freq=2),
    dict(batch_size=4, epochs=1),
    dict(batch_size=4, epochs=0),
])
def test_fit_hooks_and_logs_match_keras(fit_kwargs):
    def action(lib, model, spy):
        model.fit(X, Y, verbose=0, shuffle=False, callbacks=[spy], **fit_kwargs)
    assert_same_calls(*run_both(action))


def test_fit_then_evaluate_and_predict_hooks_match_keras():
    def action(lib, model, spy):
        model.fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=False, callbacks=[spy])
        model.evaluate(X, Y, batch_size=4, verbose=0, callbacks=[spy])
        model.predict(X, batch_size=4, verbose=0, callbacks=[spy])
        model.predict(X[:1], batch_size=4, verbose=0, callbacks=[spy])  # one-element batch
    assert_same_calls(*run_both(action))


def test_callback_additions_reach_history_but_not_on_train_end_as_in_keras():
    def action(lib, model, spy):
        writer = lib.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: logs.update(x=1.0))
        history = model.fit(X, Y, epochs=2, verbose=0, shuffle=False,
                            callbacks=[writer, spy])
        spy.calls.append(("history", None, {k: v[-1] for k, v in history.history.items()}))
    assert_same_calls(*run_both(action))


@pytest.mark.parametrize("hook", ["on_train_begin", "on_train_batch_end", "on_test_begin",
                                  "on_test_end", "on_epoch_end"])
def test_an_exception_in_a_callback_ends_fit_as_in_keras(hook):
    def action(lib, model, spy):
        boom = lib.callbacks.Callback()

        def explode(*args, **kwargs):
            raise RuntimeError("boom")
        setattr(boom, hook, explode)
        with pytest.raises(RuntimeError):
            model.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False,
                      validation_split=0.4, callbacks=[spy, boom])
    assert_same_calls(*run_both(action))


def test_old_and_new_batch_hook_names_as_in_keras():
    results = []
    for lib in (keras, kerastutor):
        seen = []

        class Old(lib.callbacks.Callback):
            def on_batch_begin(self, batch, logs=None):
                seen.append(("old begin", batch))

        class Both(lib.callbacks.Callback):
            def on_batch_end(self, batch, logs=None):
                seen.append(("old end", batch))

            def on_train_batch_end(self, batch, logs=None):
                seen.append(("new end", batch))
        model_of(lib).fit(X, Y, batch_size=5, epochs=1, verbose=0, callbacks=[Old(), Both()])
        results.append(seen)
    assert results[0] == results[1]


def test_a_history_passed_in_is_returned_as_in_keras():
    for lib in (keras, kerastutor):
        mine = lib.callbacks.History()
        model = model_of(lib)
        assert model.fit(X, Y, epochs=1, verbose=0, callbacks=[mine]) is mine
        assert model.history is mine


def test_progress_output_of_fit_with_validation_matches_keras(capsys):
    outputs = []
    for lib in (keras, kerastutor):
        model_of(lib).fit(X, Y, batch_size=4, epochs=1, verbose=2, shuffle=False,
                          validation_split=0.4)
        outputs.append(capsys.readouterr().out)
    count = [out.count("\n") for out in outputs]
    assert count[0] == count[1], outputs
