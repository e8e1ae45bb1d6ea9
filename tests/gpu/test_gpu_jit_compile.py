"""``compile(jit_compile=True)`` on the device: fit replays the step as a captured graph.

Each test trains on a fresh emulated runtime, once eagerly (``jit_compile="auto"``) and
once with ``jit_compile=True``, from the same seed, and compares what a user sees:
the weights, History, the optimizer's step count -- and, for the graph, that the host
launched only the metrics' kernels at a replayed step (the rest ran from the graph).
"""
import re
import warnings

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import backend
from kerastutor.gpu import array as garray
from kerastutor.gpu.emulator import EmulatedRuntime
from kerastutor.models import graph_step

L = keras.layers


@pytest.fixture
def emulated(monkeypatch):
    """A fresh emulated runtime whose host-side launches are counted; the graphs each fit
    made, with their replay counts, recorded as they close."""
    previous_device = backend.get_device()
    backend.set_device("emulated")
    runtime = EmulatedRuntime()
    previous = garray.use_runtime(runtime)
    runtime.host_launches = 0
    launch = runtime.launch

    def counted(*args, **kwargs):
        runtime.host_launches += runtime._capture is None   # a capture records, not launches
        return launch(*args, **kwargs)

    runtime.launch = counted
    runtime.graphs = []
    close = graph_step.GraphStep.close

    def recording_close(self):
        if self.graph is not None:
            runtime.graphs.append((self.graph.replays, list(self.graph.kernels)))
        close(self)

    monkeypatch.setattr(graph_step.GraphStep, "close", recording_close)
    try:
        yield runtime
    finally:
        garray.strict(False)
        garray.use_runtime(previous)
        backend.set_device(previous_device)


class LaunchesPerStep(keras.callbacks.Callback):
    """The host's kernel launches during each training step (callbacks' own work excluded)."""

    def __init__(self, runtime):
        super().__init__()
        self.runtime, self.counts = runtime, []

    def on_train_batch_begin(self, batch, logs=None):
        self.start = self.runtime.host_launches

    def on_train_batch_end(self, batch, logs=None):
        self.counts.append(self.runtime.host_launches - self.start)


def _mlp(dropout=0.0):
    return keras.Sequential([keras.Input((20,)), L.Dense(16, activation="relu")]
                            + ([L.Dropout(dropout)] if dropout else [])
                            + [L.Dense(3, activation="softmax")])


def _data(n=96):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 20)).astype("float32"), rng.integers(0, 3, n)


def _fit(jit_compile, optimizer="adam", dropout=0.0, callbacks=(), **fit_arguments):
    keras.utils.set_random_seed(7)
    model = _mlp(dropout)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit_compile)
    x, y = _data()
    garray.strict(backend.get_device() != "cpu")      # no host fallback inside the step
    history = model.fit(x, y, batch_size=32, epochs=2, verbose=0, validation_split=0.25,
                        callbacks=list(callbacks), **fit_arguments)
    garray.strict(False)
    return model, history.history


def _assert_same_training(eager, jit):
    (eager_model, eager_history), (jit_model, jit_history) = eager, jit
    assert jit_history.keys() == eager_history.keys()
    for key in eager_history:
        np.testing.assert_allclose(jit_history[key], eager_history[key], rtol=1e-5, atol=1e-6)
    for expected, got in zip(eager_model.get_weights(), jit_model.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert jit_model.optimizer.iterations == eager_model.optimizer.iterations


def test_a_replayed_fit_trains_as_the_eager_one_with_few_host_launches(emulated):
    eager_count, jit_count = LaunchesPerStep(emulated), LaunchesPerStep(emulated)
    eager = _fit("auto", callbacks=[eager_count])
    assert emulated.graphs == []                       # "auto" never captures
    jit = _fit(True, callbacks=[jit_count])
    _assert_same_training(eager, jit)
    # 72 training rows in batches of 32: steps of 32, 32, 8 per epoch. The first full
    # batch warms up, the second is captured (and replayed once), the third full batch
    # is replayed; the two batches of 8 run eagerly.
    [(replays, kernels)] = emulated.graphs
    assert replays == 3
    assert "adam_step_size" in kernels and kernels.count("adam_update_device") == 4
    assert "adam_update" not in kernels                # no step size frozen in the graph
    # the steps that ran eagerly launched what the eager fit launched
    for step in (0, 2, 5):
        assert jit_count.counts[step] == eager_count.counts[step]
    # A replay launches from the host only the metrics' kernels (the running loss, the
    # accuracy) and, for the tutor's watch, a copy of the loss; the graph holds the rest
    # of the eager step, plus adam_step_size. (Epoch 2's first step adds its loss to a
    # plain 0, one launch fewer: eagerly too.)
    copies = 1 if keras.config.is_tutor_hints_enabled() else 0
    for step in (1, 3, 4):
        saved = eager_count.counts[step] - jit_count.counts[step]
        assert saved == (len(kernels) - 1) - copies
        assert jit_count.counts[step] < eager_count.counts[step] / 3


@pytest.mark.parametrize("case, reason", [
    ("dropout", "layer 'dropout\\w*' \\(Dropout\\) draws its random numbers on the host"),
    ("sgd", "the optimizer is SGD; only Adam's")])
def test_what_a_graph_would_freeze_runs_eagerly_with_one_warning(emulated, case, reason):
    arguments = {"dropout": 0.2} if case == "dropout" else {"optimizer": "sgd"}
    eager = _fit("auto", **arguments)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jit = _fit(True, **arguments)
    messages = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    assert len(messages) == 1
    assert re.search(reason, messages[0])
    assert "runs its steps eagerly" in messages[0]
    _assert_same_training(eager, jit)
    assert emulated.graphs == []


def test_a_step_that_uploads_falls_back_naming_the_upload(emulated, monkeypatch):
    """Anything left in the step that copies to the device stops the capture, not the fit."""
    from kerastutor.models import training
    add_gradients = training.add_regularization_gradients

    def uploading(weights):                  # a stand-in for a host number in the step
        backend.to_device(np.ones(2, np.float32))
        add_gradients(weights)

    monkeypatch.setattr(training, "add_regularization_gradients", uploading)
    eager = _fit("auto")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jit = _fit(True)
    messages = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
    assert len(messages) == 1
    assert "could not be captured" in messages[0] and "an upload" in messages[0]
    _assert_same_training(eager, jit)
    assert emulated.graphs == []


@pytest.mark.parametrize("change", ["schedule", "callback"])
def test_a_learning_rate_that_changes_reaches_the_replayed_step(emulated, change):
    def arguments():
        if change == "schedule":
            return {"optimizer": keras.optimizers.Adam(
                keras.optimizers.schedules.ExponentialDecay(0.01, 1, 0.5))}
        return {"callbacks": [keras.callbacks.LearningRateScheduler(
            lambda epoch, lr: 0.01 if epoch == 0 else 0.002)]}
    eager = _fit("auto", **arguments())
    jit = _fit(True, **arguments())
    _assert_same_training(eager, jit)
    assert emulated.graphs[0][0] == 3


def test_on_the_cpu_jit_compile_changes_nothing():
    previous = backend.get_device()
    backend.set_device("cpu")
    try:
        eager, jit = _fit("auto"), _fit(True)
    finally:
        backend.set_device(previous)
    for key in eager[1]:
        assert jit[1][key] == eager[1][key]
    for expected, got in zip(eager[0].get_weights(), jit[0].get_weights()):
        np.testing.assert_array_equal(got, expected)


def test_the_host_overhead_benchmark_times_jit_compile_with_fewer_host_launches():
    import os
    import sys
    benchmarks = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")
    sys.path.insert(0, benchmarks)
    try:
        import gpu_host_overhead
    finally:
        sys.path.remove(benchmarks)
    previous = backend.get_device(), backend._RUNTIMES.get("emulated"), \
        garray.use_runtime(None)
    garray.use_runtime(previous[2])
    rows = {name: (seconds, launches)
            for name, seconds, launches in gpu_host_overhead.jit_demo(steps=8, tries=1)}
    assert rows["jit_compile=True"][1] < rows["eager"][1] / 3
    # the benchmark gave the device (and the emulated device's runtime) back
    assert (backend.get_device(), backend._RUNTIMES.get("emulated"),
            garray.use_runtime(previous[2])) == previous


def test_sample_weights_go_into_a_buffer_of_their_own(emulated):
    weights = np.random.default_rng(3).uniform(0.5, 2.0, 96).astype("float32")
    eager = _fit("auto", sample_weight=weights)
    jit = _fit(True, sample_weight=weights)
    _assert_same_training(eager, jit)
    assert emulated.graphs[0][0] == 3
