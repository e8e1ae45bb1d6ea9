"""kerastutor.trace: recording, step-through, views and tutor hints."""
import warnings

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import events


# ============================================================ small models and data
def iris_like(seed=0, n=32):
    """Standardised 4-feature data with 3 classes, like the Iris lesson."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.normal(size=(n, 4)) + y[:, None]
    return ((x - x.mean(0)) / x.std(0)).astype("float32"), y


def sequential(optimizer="sgd", loss="sparse_categorical_crossentropy", out="softmax"):
    model = keras.Sequential([keras.Input(shape=(4,)),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation=out)])
    model.compile(optimizer=optimizer, loss=loss)
    return model


def functional():
    inputs = keras.Input(shape=(4,))
    left = keras.layers.Dense(5, activation="tanh", name="left")(inputs)
    right = keras.layers.Dense(3, activation="relu", name="right")(inputs)
    joined = keras.layers.Concatenate(name="join")([left, right])
    outputs = keras.layers.Dense(3, activation="softmax", name="out")(joined)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


class TwoLayers(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(6, activation="relu", name="hidden")
        self.out = keras.layers.Dense(3, activation="softmax", name="out")

    def call(self, x):
        return self.out(self.hidden(x))


def subclassed():
    model = TwoLayers()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def weights_now(model):
    return {w.path: np.array(w.value, copy=True) for w in model.trainable_weights}


@pytest.fixture(autouse=True)
def _nobody_left_listening():
    yield
    assert not events.listening(), f"listeners left subscribed: {events._LISTENERS}"


# ============================================================ recording
def test_record_sequential_matches_a_direct_computation():
    x, y = iris_like()
    model = sequential()
    model.train_on_batch(x, y)            # build and resolve the loss
    kernel, bias = [w.value.copy() for w in model.layers[0].weights]
    hidden = np.maximum(x @ kernel + bias, 0)

    trace = keras.trace.record(model, x, y)

    assert len(trace) == 1
    first = trace[0].layer(model.layers[0].name)
    assert first.input_shapes == [(32, 4)] and first.output.shape == (32, 8)
    np.testing.assert_allclose(first.output_array, hidden, rtol=1e-5, atol=1e-6)
    assert first.output.mean == pytest.approx(hidden.mean(), rel=1e-5)
    assert first.output.max == pytest.approx(hidden.max(), rel=1e-5)
    assert first.output.zeros == pytest.approx(np.mean(hidden == 0))
    assert first.grad_input is None                   # fed by the data: not computed
    assert trace[0].metrics["loss"] == pytest.approx(trace[0].loss, rel=1e-6)
    last = trace[0].layers[-1]
    np.testing.assert_allclose(last.grad_input_array, first.grad_output_array)


def test_a_gradient_handed_down_is_summarised_once_and_truly():
    """dL/dx of a layer is dL/dy of the layer below: one Stats for both, equal to a fresh one."""
    x, y = iris_like()
    model = keras.Sequential([keras.Input(shape=(4,)),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.3, seed=1),
                              keras.layers.GaussianNoise(0.1, seed=2),   # passes dL/dy down
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    step = keras.trace.record(model, x, y)[0]
    for above, below in zip(step.layers[1:], step.layers[:-1]):
        assert above.grad_input is below.grad_output            # summarised once
    noise = step.layer(model.layers[2].name)
    assert noise.grad_input is noise.grad_output
    for record in step.layers:
        for stats, array in [(record.grad_output, record.grad_output_array),
                             (record.grad_input, record.grad_input_array)]:
            if array is None:
                assert stats is None
                continue
            fresh = keras.trace.Stats.of(array)
            assert repr(stats) == repr(fresh) and stats.shape == fresh.shape
            np.testing.assert_array_equal(stats.histogram[0], fresh.histogram[0])


def test_recorded_weight_gradient_equals_a_fresh_backward():
    x, y = iris_like()
    model = sequential()
    model.train_on_batch(x, y)
    loss = keras.losses.SparseCategoricalCrossentropy()
    y_pred, tape = model.forward(x, training=True)
    model.zero_grad()
    model.backward(tape, loss.gradient(y, y_pred))
    fresh = {w.path: np.array(w.grad, copy=True) for w in model.trainable_weights}

    trace = keras.trace.record(model, x, y)

    for record in trace[0].weights:
        np.testing.assert_allclose(record.grad_array, fresh[record.path], rtol=1e-5,
                                   atol=1e-7)
        assert record.grad_norm == pytest.approx(np.linalg.norm(fresh[record.path]), rel=1e-5)
    assert trace[0].loss == pytest.approx(float(loss.value(y, y_pred)), rel=1e-5)


def test_recorded_update_equals_the_weight_change():
    x, y = iris_like()
    model = sequential(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    model.train_on_batch(x, y)
    before = weights_now(model)
    trace = keras.trace.record(model, x, y)
    after = weights_now(model)
    for record in trace[0].weights:
        change = after[record.path].astype(np.float64) - before[record.path]
        np.testing.assert_allclose(record.update_array, change, atol=1e-7)
        np.testing.assert_allclose(record.update_array, -0.1 * record.grad_array, atol=1e-6)
        ratio = np.linalg.norm(change) / np.linalg.norm(before[record.path])
        assert record.ratio == pytest.approx(ratio, rel=1e-4)


def test_record_functional_model_sees_every_layer_and_its_gradients():
    x, y = iris_like()
    model = functional()
    trace = keras.trace.record(model, x, y, steps=2)
    assert len(trace) == 2 and trace.losses[1] < trace.losses[0] * 1.5
    names = [r.name for r in trace[0].layers]
    assert set(names) == {"left", "right", "join", "out"}
    assert all(r.grad_output is not None for r in trace[0].layers)
    join = trace[0].layer("join")
    assert join.input_shapes == [(32, 5), (32, 3)] and join.output.shape == (32, 8)
    assert trace[0].weight("out/kernel").shape == (8, 3)


def test_a_subclassed_model_announces_its_sublayers_itself():
    """No tracer needed: any listener hears the sub-layers of call(), forward then backward
    in reverse, each event naming the model (Layer._call_on_tape emits them)."""
    x, y = iris_like()
    model = subclassed()
    model.train_on_batch(x, y)                       # built outside the listening
    heard = []
    listener = events.subscribe(lambda name, data: heard.append(
        (name, data["layer"].name, data["model"] is model)) if name.startswith("layer_")
        else None)
    try:
        model.train_on_batch(x, y)
    finally:
        events.unsubscribe(listener)
    assert heard == [("layer_forward", "hidden", True), ("layer_forward", "out", True),
                     ("layer_backward", "out", True), ("layer_backward", "hidden", True)]
    assert events.owner() is None                    # the owner stack is empty again


def test_record_subclassed_model_announces_its_sublayers_and_restores_them():
    x, y = iris_like()
    model = subclassed()
    before = weights_now(model) if model.built else None
    trace = keras.trace.record(model, x, y)
    assert [r.name for r in trace[0].layers] == ["hidden", "out"]
    hidden = trace[0].layer("hidden")
    assert hidden.output.shape == (32, 6) and hidden.grad_output.shape == (32, 6)
    assert hidden.dead_fraction is not None
    assert [w.path for w in trace[0].weights] == ["hidden/kernel", "hidden/bias",
                                                   "out/kernel", "out/bias"]
    assert all("forward" not in vars(layer) and "backward" not in vars(layer)
               for layer in model.layers)
    assert before is None or any(not np.array_equal(before[p], v)
                                 for p, v in weights_now(model).items())


def test_record_explains_an_uncompiled_model_and_bad_steps():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    with pytest.raises(RuntimeError, match="compile"):
        keras.trace.record(model, np.zeros((2, 4)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="steps"):
        keras.trace.record(sequential(), *iris_like(), steps=0)
    with pytest.raises(TypeError, match="model"):
        keras.trace.record("model", None, None)


# ============================================================ the callback
class ListeningProbe(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_begin(self, batch, logs=None):
        self.seen.append(events.listening())


def test_trace_callback_samples_and_costs_nothing_in_between():
    x, y = iris_like(n=40)
    model = sequential()
    tracer, probe = keras.trace.TraceCallback(every=3), ListeningProbe()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[tracer, probe])
    assert [s.index for s in tracer.trace] == [0, 3, 6, 9]      # 10 steps in all
    assert [s.epoch for s in tracer.trace] == [0, 0, 1, 1]
    assert probe.seen == [step % 3 == 0 for step in range(10)]
    assert tracer.trace[0].weights[0].grad_array is None        # no copies by default
    assert all(s.loss is not None and s.weights and "loss" in s.metrics for s in tracer.trace)


def test_trace_callback_max_steps_and_arguments():
    x, y = iris_like(n=40)
    model = sequential()
    tracer = keras.trace.TraceCallback(every=1, max_steps=2)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[tracer])
    assert len(tracer.trace) == 2
    with pytest.raises(ValueError, match="every"):
        keras.trace.TraceCallback(every=0)


# ============================================================ step-through
def test_step_through_yields_every_event_in_order():
    x, y = iris_like()
    model = sequential(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    model.train_on_batch(x, y)
    seen = list(keras.trace.step_through(model, x, y))
    kinds = [e.kind for e in seen]
    assert kinds == ["forward", "forward", "loss", "backward", "backward"] + ["update"] * 4
    first, second = model.layers
    assert [e.layer for e in seen if e.kind == "forward"] == [first, second]
    assert [e.layer for e in seen if e.kind == "backward"] == [second, first]
    assert [e.weight.path for e in seen[5:]] == [w.path for w in model.trainable_weights]
    assert [e.number for e in seen] == list(range(1, 10))
    assert all(str(e).strip() for e in seen)
    for update in seen[5:]:
        np.testing.assert_allclose(update.delta, -0.1 * update.grad, atol=1e-6)


def test_step_through_really_pauses_the_step():
    x, y = iris_like()
    model = sequential()
    model.train_on_batch(x, y)
    kernel = model.layers[0].kernel
    start = kernel.value.copy()
    for event in keras.trace.step_through(model, x, y):
        if event.kind in ("forward", "loss", "backward"):
            np.testing.assert_array_equal(kernel.value, start)     # not updated yet
        if event.kind == "backward" and event.layer is model.layers[0]:
            np.testing.assert_array_equal(event.weight_grads[kernel.path], kernel.grad)
    assert not np.array_equal(kernel.value, start)


def test_leaving_step_through_early_finishes_the_step():
    x, y = iris_like()
    model = sequential()
    model.train_on_batch(x, y)
    start = weights_now(model)
    for event in keras.trace.step_through(model, x, y):
        break
    assert event.kind == "forward"
    assert all(not np.array_equal(start[p], v) for p, v in weights_now(model).items()
               if p.endswith("kernel"))


def test_step_through_subclassed_and_errors_reach_the_loop():
    x, y = iris_like()
    kinds = [e.kind for e in keras.trace.step_through(subclassed(), x, y)]
    assert kinds[:3] == ["forward", "forward", "loss"] and kinds.count("backward") == 2
    with pytest.raises(ValueError):
        list(keras.trace.step_through(sequential(), np.zeros((4, 7)), np.zeros(4)))


# ============================================================ views
def test_table_and_html_show_layers_and_weights():
    x, y = iris_like()
    model = sequential()
    trace = keras.trace.record(model, x, y, steps=2)
    text = str(trace)
    assert text.count("step ") == 2 and "loss" in text
    for name in [layer.name for layer in model.layers] + ["dense/kernel", "update/W"]:
        assert name in text
    assert trace.table(step=0).count("step ") == 1
    html = trace._repr_html_()
    assert html.count("<table>") == 4 and "dense_1/bias" in html
    assert "Empty trace" in str(keras.trace.Trace())


def test_figures_are_saved(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    x, y = iris_like()
    trace = keras.trace.record(sequential(), x, y, steps=3, keep_arrays=False)
    for name, draw in [("act.png", lambda p: trace.plot_histograms(save_to=p)),
                       ("grad.png", lambda p: trace.plot_histograms("gradients", save_to=p)),
                       ("ratio.png", lambda p: trace.plot_update_ratios(save_to=p))]:
        figure = draw(str(tmp_path / name))
        assert (tmp_path / name).stat().st_size > 1000 and figure.axes
    with pytest.raises(ValueError, match="what"):
        trace.plot_histograms("weights")


# ============================================================ hints
def kinds_of(trace):
    return [hint.kind for hint in trace.hints()]


def regression_data(seed=0, n=32, features=8, scale=1.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32") * scale
    return x, x.sum(axis=1, keepdims=True).astype("float32")


def test_a_healthy_run_gets_no_hint():
    x, y = iris_like()
    model = sequential(optimizer=keras.optimizers.Adam(learning_rate=0.01))
    trace = keras.trace.record(model, x, y, steps=5)
    assert trace.hints() == []
    x, y = regression_data()
    model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(16, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    assert keras.trace.record(model, x, y, steps=5).hints() == []


def test_vanishing_gradients_in_a_deep_sigmoid_stack():
    x, y = regression_data()
    model = keras.Sequential([keras.Input(shape=(8,))]
                             + [keras.layers.Dense(16, activation="sigmoid") for _ in range(10)]
                             + [keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    hints = keras.trace.record(model, x, y).hints()
    assert "vanishing_gradients" in [h.kind for h in hints]
    assert "Vanishing" in str(hints[0])


def test_exploding_gradients_in_a_deep_linear_stack_with_large_weights():
    x, y = regression_data()
    big = keras.initializers.RandomNormal(stddev=1.0)
    model = keras.Sequential([keras.Input(shape=(8,))]
                             + [keras.layers.Dense(32, use_bias=False, kernel_initializer=big)
                                for _ in range(8)] + [keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-12), loss="mse")
    assert "exploding_gradients" in kinds_of(keras.trace.record(model, x, y))


def test_dead_relus_with_large_negative_biases():
    x, y = regression_data()
    model = keras.Sequential([
        keras.Input(shape=(8,)),
        keras.layers.Dense(16, activation="relu",
                           bias_initializer=keras.initializers.Constant(-50.0)),
        keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    hints = keras.trace.record(model, x, y).hints()
    dead = [h for h in hints if h.kind == "dead_relus"]
    assert dead and "100%" in dead[0].explanation


def test_saturated_tanh_with_huge_weights():
    x, y = regression_data()
    model = keras.Sequential([
        keras.Input(shape=(8,)),
        keras.layers.Dense(16, activation="tanh",
                           kernel_initializer=keras.initializers.RandomNormal(stddev=20.0)),
        keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert "saturated_activations" in kinds_of(keras.trace.record(model, x, y))


def test_learning_rate_too_high_when_the_loss_diverges():
    x, y = regression_data(scale=3.0)
    model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="mse")
    with np.errstate(all="ignore"):
        trace = keras.trace.record(model, x, y, steps=4)
    assert trace.losses[-1] > trace.losses[0]
    assert "learning_rate_too_high" in kinds_of(trace)


def test_learning_rate_too_low_when_updates_are_tiny():
    x, y = iris_like()
    model = sequential(optimizer=keras.optimizers.SGD(learning_rate=1e-9))
    assert kinds_of(keras.trace.record(model, x, y, steps=2)) == ["learning_rate_too_low"]


def test_softmax_output_with_from_logits_true():
    x, y = iris_like()
    model = sequential(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # compile warns too; the hint explains
        trace = keras.trace.record(model, x, y)
    assert "softmax_with_from_logits" in kinds_of(trace)


def test_linear_output_fed_to_a_probability_loss():
    x, y = iris_like()
    model = sequential(out=None)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        trace = keras.trace.record(model, x, y)
    assert "linear_output_for_probabilities" in kinds_of(trace)
    fixed = sequential(out=None,
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert kinds_of(keras.trace.record(fixed, x, y)) == []


def test_functional_and_subclassed_healthy_runs_get_no_hint():
    x, y = iris_like()
    assert keras.trace.record(functional(), x, y, steps=3).hints() == []
    assert keras.trace.record(subclassed(), x, y, steps=3).hints() == []


def test_subclassed_softmax_output_with_from_logits_true():
    x, y = iris_like()
    model = TwoLayers()
    model.compile(optimizer="sgd",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    hints = keras.trace.record(model, x, y).hints()
    assert [h.kind for h in hints] == ["softmax_with_from_logits"] and hints[0].where == "out"


# Hand-made traces reach the branches that real runs reach only by bad luck.
def step_with(**fields):
    return keras.trace.StepRecord(index=0, **fields)


def test_non_finite_numbers_are_explained():
    nan_grad = keras.trace.Stats.of(np.array([1.0, np.nan]))
    weight = keras.trace.WeightRecord("dense/kernel", (2,), 1.0, nan_grad, float("nan"))
    trace = keras.trace.Trace([step_with(loss=1.0),
                               step_with(loss=float("nan"), weights=[weight])])
    assert {"exploding_gradients", "learning_rate_too_high"} <= set(kinds_of(trace))
    assert "inf or NaN" in str(trace.hints()[0])
    # NaN before any update is not the learning rate's doing (huge inputs, log(0), ...)
    at_once = keras.trace.Trace([step_with(loss=float("nan"), weights=[weight])])
    assert kinds_of(at_once) == ["exploding_gradients"]


def test_output_checks_read_the_values_when_the_activation_is_unknown():
    def output(in_unit, sums, from_logits):
        return keras.trace.OutputRecord("categorical_crossentropy", from_logits, True, None,
                                        None, in_unit, sums)
    as_logits = keras.trace.Trace([step_with(outputs=[output(True, True, True)])])
    as_probabilities = keras.trace.Trace([step_with(outputs=[output(False, False, False)])])
    healthy = keras.trace.Trace([step_with(outputs=[output(True, True, False)])])
    assert kinds_of(as_logits) == ["softmax_with_from_logits"]
    assert kinds_of(as_probabilities) == ["linear_output_for_probabilities"]
    assert kinds_of(healthy) == []


# ------------------------------------------------- the tracer on every lesson's model
def _lesson_models():
    """The architectures of lessons 1-5 (small inputs), and one with attention."""
    layers = keras.layers
    rng = np.random.default_rng(0)
    yield "iris", keras.Sequential([keras.Input((4,)), layers.Dense(4, activation="relu"),
                                    layers.Dense(3, activation="softmax")]), \
        rng.random((8, 4)), np.arange(8) % 3
    yield "mnist_mlp", keras.Sequential([keras.Input((64,)), layers.Dense(16, activation="relu"),
                                         layers.Dropout(0.2),
                                         layers.Dense(10, activation="softmax")]), \
        rng.random((8, 64)), np.arange(8) % 10
    yield "mnist_cnn", keras.Sequential([keras.Input((8, 8, 1)),
                                         layers.Conv2D(4, 3, activation="relu"),
                                         layers.MaxPooling2D(), layers.Flatten(),
                                         layers.Dense(10, activation="softmax")]), \
        rng.random((8, 8, 8, 1)), np.arange(8) % 10
    yield "cifar_cnn", keras.Sequential([keras.Input((10, 10, 3)),
                                         layers.Conv2D(4, 3, activation="relu"),
                                         layers.MaxPooling2D(),
                                         layers.Conv2D(4, 3, activation="relu"),
                                         layers.Flatten(), layers.Dense(10)]), \
        rng.random((8, 10, 10, 3)), np.arange(8) % 10
    yield "lstm", keras.Sequential([keras.Input((6, 1)), layers.LSTM(5), layers.Dense(1)]), \
        rng.random((8, 6, 1)), rng.random((8, 1))
    inputs = keras.Input((5, 4))
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=3)(inputs, inputs)
    pooled = layers.GlobalAveragePooling1D()(attended)
    yield "attention", keras.Model(inputs, layers.Dense(2, activation="softmax")(pooled)), \
        rng.random((8, 5, 4)), np.arange(8) % 2


@pytest.mark.parametrize("name, model, x, y", list(_lesson_models()),
                         ids=[case[0] for case in _lesson_models()])
def test_the_tracer_records_every_lesson_model(name, model, x, y):
    loss = "mse" if name == "lstm" else keras.losses.SparseCategoricalCrossentropy(
        from_logits=name == "cifar_cnn")
    model.compile("adam", loss)
    trace = keras.trace.record(model, x, y)
    step = trace[0]
    recorded = [r.name for r in step.layers]
    assert recorded == [layer.name for layer in model.layers
                        if not isinstance(layer, keras.layers.InputLayer)]
    assert {w.path for w in step.weights} == {w.path for w in model.trainable_weights}
    assert all(w.update_norm > 0 and w.ratio > 0 for w in step.weights)   # every weight moved
    assert isinstance(trace.hints(), list) and str(trace)


# ============================================================ the recorder's speed-ups
def _with_nonfinite(rng, shape, dtype):
    values = rng.standard_normal(shape).astype(dtype)
    values[rng.random(shape) < 0.6] = 0.0                     # ReLU-like: many zeros
    values[rng.random(shape) < 0.05] = np.nan
    values[rng.random(shape) < 0.02] = np.inf
    values[rng.random(shape) < 0.02] = -np.inf
    return values


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(32, 16), (4, 3, 8), (1, 5), (3, 1), (0, 4)])
def test_the_quick_dead_fraction_is_the_plain_one(shape, dtype):
    from kerastutor.trace import recorder
    rng = np.random.default_rng(11)
    cases = [_with_nonfinite(rng, shape, dtype), np.full(shape, np.nan, dtype),
             np.maximum(rng.standard_normal(shape), 0).astype(dtype), -np.zeros(shape, dtype)]
    for output in cases:
        plain = float(np.mean(~(output > 0).reshape(-1, shape[-1]).any(axis=0)))
        assert recorder.dead_unit_fraction(output) == plain
        quick = recorder._dead_fraction_by_maximum(output)
        assert quick is None if output.size == 0 else quick == plain


def test_the_quick_test_for_sums_of_one_is_allclose():
    from kerastutor.trace import recorder
    rng = np.random.default_rng(12)
    edge = 1e-3 + 1e-5
    values = np.concatenate([1 + rng.uniform(-2e-3, 2e-3, 300), [np.nan, np.inf, -np.inf],
                             [1 + edge, 1 - edge, np.nextafter(1 + edge, 2), 1.0]])
    for value in values:
        one = np.array([value, 1.0])
        assert recorder._all_near_one(one) == np.allclose(one, 1.0, atol=1e-3)
    assert recorder._all_near_one(np.ones(5)) and not recorder._all_near_one(values)
