"""The trace's views: text tables that fit a terminal, styled HTML with highlights and
hints, and readable reprs of the records."""
import html

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import events
from kerastutor.trace import views


@pytest.fixture(autouse=True)
def _nobody_left_listening():
    yield
    assert not events.listening(), f"listeners left subscribed: {events._LISTENERS}"


def iris_like(seed=0, n=32):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.normal(size=(n, 4)) + y[:, None]
    return ((x - x.mean(0)) / x.std(0)).astype("float32"), y


def healthy_trace(steps=2):
    x, y = iris_like()
    model = keras.Sequential([keras.Input(shape=(4,)),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss="sparse_categorical_crossentropy")
    return keras.trace.record(model, x, y, steps=steps)


def regression(scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(32, 8)).astype("float32") * scale
    return x, x.sum(axis=1, keepdims=True)


def dead_relu_trace():
    """Biases of -50 switch every ReLU off: no gradient passes, nothing moves."""
    x, y = regression()
    model = keras.Sequential([
        keras.Input(shape=(8,)),
        keras.layers.Dense(16, activation="relu",
                           bias_initializer=keras.initializers.Constant(-50.0)),
        keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return keras.trace.record(model, x, y)


def diverging_trace():
    """A learning rate of 1 on unscaled inputs: huge steps, saturated tanh, a rising loss."""
    x, y = regression(scale=3.0)
    model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.Dense(16, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="mse")
    with np.errstate(all="ignore"):
        return keras.trace.record(model, x, y, steps=4)


def flagged_cells(trace, level=None):
    """Every flagged cell of every table of the trace."""
    cells = [cell for step in trace.steps
             for row in views.layer_rows(step) + views.weight_rows(step) for cell in row
             if isinstance(cell, views.Flagged)]
    return [c for c in cells if level is None or c.level == level]


def nan_trace():
    """A hand-made step whose loss, activations and gradients hold NaN."""
    broken = keras.trace.Stats.of(np.array([[1.0, np.nan], [np.inf, 2.0]]))
    layer = keras.trace.LayerRecord("dense", "Dense", "relu", [(2, 3)], broken,
                                    dead_fraction=0.0, grad_output=broken)
    weight = keras.trace.WeightRecord("dense/kernel", (3, 2), 1.0, broken, float("nan"),
                                      update_norm=float("nan"), ratio=float("nan"))
    return keras.trace.Trace([keras.trace.StepRecord(index=0, loss=float("nan"),
                                                     layers=[layer], weights=[weight])])


# ============================================================ highlights
def test_a_healthy_training_has_no_highlight_and_says_so():
    trace = healthy_trace()
    assert flagged_cells(trace) == []
    page = trace._repr_html_()
    assert "kt-warn" not in page and "kt-bad" not in page
    assert keras.trace.find_hints(trace) == [] and "Tutor's hints:</b> none" in page
    assert "!" not in trace.table()


def test_dead_relus_are_highlighted_with_their_reason_and_the_hint():
    trace = dead_relu_trace()
    page = trace._repr_html_()
    dead = [c for c in flagged_cells(trace) if "dead" in str(c)]
    assert dead and str(dead[0]) == "100% dead" and "no gradient" in dead[0].why
    # The cell carries the colour and the reason as its tooltip.
    assert f'title="{html.escape(dead[0].why)}">100% dead</td>' in page
    assert 'class="kt-warn" style="background: #fff3cd' in page
    # Kernels that did not move at all are flagged too.
    assert any("did not move" in c.why for c in flagged_cells(trace))
    # Every hint the tutor finds is shown, title and explanation.
    hints = keras.trace.find_hints(trace)
    assert hints, "a dead network must get a hint"
    for hint in hints:
        assert html.escape(hint.title) in page and html.escape(hint.explanation) in page


def test_a_learning_rate_far_too_high_highlights_the_update_ratio_and_saturation():
    trace = diverging_trace()
    assert trace.losses[-1] > trace.losses[0]
    reasons = [c.why for c in flagged_cells(trace)]
    assert any("learning rate too high" in why for why in reasons)
    assert any("tanh outputs" in why and "asymptote" in why for why in reasons)
    page = trace._repr_html_()
    assert "learning rate too high?" in page and "kt-warn" in page
    for hint in keras.trace.find_hints(trace):
        assert html.escape(hint.explanation) in page


def test_update_ratios_are_judged_against_1e_3_for_kernels_only():
    def cell(ratio, shape=(4, 3)):
        weight = keras.trace.WeightRecord("dense/kernel", shape, 1.0, None, 0.1,
                                          update_norm=ratio, ratio=ratio)
        return views.weight_rows(keras.trace.StepRecord(index=0, weights=[weight]))[0][-1]
    assert not isinstance(cell(2e-3), views.Flagged)        # near the rule of thumb
    assert not isinstance(cell(9e-3), views.Flagged)        # within a factor of ten
    assert "too high" in cell(0.05).why and "50 times" in cell(0.05).why
    assert "too low" in cell(1e-6).why and "1000 times less" in cell(1e-6).why
    assert not isinstance(cell(0.5, shape=(3,)), views.Flagged)   # a bias: starts at 0
    assert cell(float("nan")).level == "bad"


def test_nan_anywhere_is_highlighted_red():
    trace = nan_trace()
    bad = flagged_cells(trace, "bad")
    assert len(bad) == 4                    # activation mean, dL/dy, dL/dW, update/W
    assert all("NaN or inf" in c.why for c in bad)
    page = trace._repr_html_()
    assert page.count('class="kt-bad"') == 4
    assert 'class="kt-step kt-bad"' in page and "the step diverged" in page
    text = trace.table()
    assert "! The loss is NaN or inf" in text and "2 value(s) of the output of dense" in text


def test_text_marks_flagged_cells_and_explains_them_in_80_columns():
    text = dead_relu_trace().table()
    assert "100% dead!" in text
    notes = [line for line in text.splitlines() if line.startswith("! ")]
    assert any("ReLU units of dense" in line for line in notes)
    assert max(len(line) for line in text.splitlines()) <= 80


def test_html_is_styled_and_escaped():
    page = healthy_trace()._repr_html_()
    assert page.startswith("<div class='kerastutor-trace'><style>")
    assert "border-collapse: collapse" in page and "monospace" in page
    assert "Trace of 2 training step(s) of &#x27;sequential&#x27;" in page
    assert page.count("<table>") == 4 and "<th>update/W</th>" in page
    # A layer name with markup in it stays text.
    trace = nan_trace()
    trace.steps[0].layers[0].name = "<b>dense</b>"
    assert "<b>dense</b>" not in trace._repr_html_()


def test_layer_labels_name_the_class_only_when_the_name_does_not():
    assert views.layer_label("dense_1", "Dense", "softmax") == "dense_1 (softmax)"
    assert views.layer_label("conv2d", "Conv2D", "relu") == "conv2d (relu)"
    assert views.layer_label("hidden", "Dense", "relu") == "hidden (Dense, relu)"
    assert views.layer_label("flatten", "Flatten", None) == "flatten"
    assert views.layer_label("dense_extra", "Dense", None) == "dense_extra (Dense)"


# ============================================================ reprs
def test_records_show_in_a_repl_as_one_short_line():
    trace = healthy_trace(steps=2)
    step = trace[0]
    items = [trace, step, step.layers[0], step.weights[0], step.layers[0].output, step.outputs[0]]
    for item in items:
        text = repr(item)
        assert "\n" not in text and "object at 0x" not in text and "array(" not in text
        assert len(text) < 240, text
    assert repr(step.layers[0]).startswith("LayerRecord('dense', Dense relu, output (32, 8)")
    assert "dead " in repr(step.layers[0])
    assert repr(step.weights[0]).startswith("WeightRecord('dense/kernel' (4, 8), ||W|| ")
    assert repr(step) == "StepRecord(#0, loss %.4g, 2 layer call(s), 4 weight(s))" % step.loss
    assert repr(trace) == (f"Trace(2 step(s) of 'sequential', loss {trace.losses[0]:.4g} -> "
                           f"{trace.losses[1]:.4g})")
    stats = keras.trace.Stats.of(np.array([0.0, 1.0, np.nan]))
    assert repr(stats) == "Stats(shape=(3,), mean=0.5, std=0.5, min=0, max=1, zeros=33%, 1 NaN/inf)"
    assert repr(keras.trace.Trace()) == "Trace(0 step(s))"
