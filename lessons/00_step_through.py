"""
Lesson 0 -- One training step, event by event
=============================================

Before training a network for hundreds of steps, watch it take **one**.
A training step is four moves:

1. **forward** -- each layer turns its input into an output;
2. **loss** -- one number says how wrong the predictions are, and its
   derivative :math:`\\partial L/\\partial y_{pred}` says which way to move
   them;
3. **backward** -- each layer, last to first, turns the gradient of its output
   into the gradient of its input, and fills the gradients of its weights;
4. **update** -- the optimizer moves every weight against its gradient.

``keras.trace.step_through`` runs one real step and stops at each of these
events. We watch two steps:

* first the one Dense layer worked out by hand in the chapter
  :ref:`dense-backprop` -- the same inputs, weights and targets -- so every
  number printed can be checked against the chapter's, up to the new weights
  after one step of gradient descent;
* then the Iris network of Lesson 1, where the numbers are no longer round:
  ``keras.gradcheck`` checks each layer's derivative numerically, and the
  update of the output layer's 4x3 kernel is printed in full.

In a terminal the lesson **waits for Enter** after each event (``q`` then
Enter runs to the end). It runs straight through with ``--no-pause``, with
``--quick`` (CI), in the book, and when its output goes to a file or a pipe.

Run it with ``python lessons/00_step_through.py``.
"""
# %%
# The chapter's layer
# -------------------
# The example of :ref:`dense-backprop`: two samples with three features, a
# ``Dense(2)`` layer without activation, the kernel ``W`` and bias ``b`` set
# by hand, and mean squared error against the targets ``t``. Plain gradient
# descent (SGD) with :math:`\eta = 0.1` makes the update easy to read:
# :math:`W_{new} = W - \eta\, \partial L/\partial W`.
import argparse
import itertools
import os
import textwrap

import numpy as np
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

import kerastutor as keras

parser = argparse.ArgumentParser(
    description="Lesson 0: one training step, event by event")
parser.add_argument("--quick", action="store_true",
                    help="run straight through, as CI does")
parser.add_argument("--no-pause", action="store_true",
                    help="do not wait for Enter between events")
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"
# By default Pause waits only when a person is at a terminal.
pause = keras.trace.Pause(enabled=False if quick or args.no_pause else None)

INDENT = " " * 15      # continuation lines start under the event's text


def show(*named_arrays):
    """Print ``(title, array)`` pairs side by side, at 4 decimals."""
    blocks = []
    for title, array in named_arrays:
        text = np.array2string(np.asarray(array), precision=4,
                               suppress_small=True)
        blocks.append([title] + text.splitlines())
    widths = [max(len(line) for line in block) for block in blocks]
    for lines in itertools.zip_longest(*blocks, fillvalue=""):
        row = "   ".join(line.ljust(w) for line, w in zip(lines, widths))
        print(INDENT + row.rstrip())


def show_update(event, lr):
    """The weight before, its gradient, the step taken, and the check."""
    w = {"kernel": "W", "bias": "b"}[event.weight.name]
    show((f"{w} before", event.before), (f"dL/d{w}", event.grad))
    show((f"update = -{lr} dL/d{w}", event.delta),
         (f"{w} after", event.after))
    holds = np.allclose(event.after, event.before - lr * event.grad,
                        atol=1e-6)
    print(f"{INDENT}{w}_new = {w} - {lr} * dL/d{w} holds: {holds}")
    assert holds, event.weight.path


x = np.array([[1.0, 2.0, 0.0],
              [0.0, -1.0, 3.0]])
W = np.array([[0.5, -1.0],
              [1.0, 0.5],
              [-0.5, 1.0]])
b = np.array([0.5, -0.25])
t = np.array([[3.5, 0.5],
              [-2.25, 1.75]])

learning_rate = 0.1
layer = keras.layers.Dense(2)
chapter_model = keras.Sequential([keras.Input(shape=(3,)), layer])
chapter_model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
    loss="mean_squared_error")
layer.set_weights([W, b])

# The numbers the chapter works out by hand, to compare with the library's.
by_hand = {
    "y": [[3.0, -0.25], [-2.0, 2.25]],
    "L": 0.28125,
    "dL/dy": [[-0.25, -0.375], [0.125, 0.25]],
    "dL/dW": [[-0.25, -0.375], [-0.625, -1.0], [0.375, 0.75]],
    "dL/db": [-0.125, -0.125],
    "W_new": [[0.525, -0.9625], [1.0625, 0.6], [-0.5375, 0.925]],
    "b_new": [0.5125, -0.2375],
}


def same_as_by_hand(name, value):
    same = np.allclose(value, by_hand[name], atol=1e-6)
    verdict = "matches" if same else "DIFFERS from"
    print(f"{INDENT}{name} {verdict} the chapter's hand-worked one")
    assert same, name


# %%
# Stepping through the chapter's step
# -----------------------------------
# Each event prints its own summary (``print(event)``), then the numbers.
# The step is *paused* while the loop body runs: at the backward event the
# gradients exist but no weight has moved yet; at an update event the weight
# has just moved. The model never computes :math:`\partial L/\partial x`
# here (the chapter does, by hand): nothing comes before the data, so nobody
# needs it.
print("Part 1: the Dense layer of the chapter "
      "'Forward pass and backpropagation'")
print()
for event in pause(keras.trace.step_through(chapter_model, x, t)):
    print(event)
    if event.kind == "forward":
        show(("y = x W + b", event.output))
        same_as_by_hand("y", event.output)
    elif event.kind == "loss":
        show(("dL/dy = 2 (y - t) / 4", event.grad[0]))
        same_as_by_hand("L", event.value)
        same_as_by_hand("dL/dy", event.grad[0])
    elif event.kind == "backward":
        show(("dL/dW = x^T dL/dy", event.weight_grads["dense/kernel"]),
             ("dL/db = sum of rows", event.weight_grads["dense/bias"]))
        same_as_by_hand("dL/dW", event.weight_grads["dense/kernel"])
        same_as_by_hand("dL/db", event.weight_grads["dense/bias"])
    elif event.kind == "update":
        show_update(event, learning_rate)
        new = "W_new" if event.weight is layer.kernel else "b_new"
        same_as_by_hand(new, event.after)

# %%
# A real network: Iris
# --------------------
# The Iris network of Lesson 1: 4 measurements in, 4 ReLU units, 3 species
# out, and one mini-batch of 8 flowers. The numbers are no longer round, so
# instead of the chapter's answers three checks confirm them:
#
# * at each backward event, ``check_layer`` runs the layer's ``forward`` and
#   ``backward`` again in float64 and compares every gradient with central
#   differences :math:`(f(w+h) - f(w-h))/2h`;
# * at the output layer, the chapter's formula
#   :math:`\partial L/\partial W = x^\top \delta` must hold, with
#   :math:`\delta = (p - \mathrm{onehot}(y))/N` -- the gradient of softmax
#   followed by crossentropy, with respect to the softmax's input;
# * at each update, SGD must have moved the weight by exactly
#   :math:`-\eta\,\partial L/\partial W` (printed in full for the output
#   layer's 4x3 kernel).
keras.utils.set_random_seed(42)
iris = load_iris()
features = StandardScaler().fit_transform(iris.data).astype("float32")
batch = np.random.default_rng(0).choice(len(features), size=8, replace=False)
x_batch, y_batch = features[batch], iris.target[batch]

hidden = keras.layers.Dense(4, activation="relu", name="hidden")
output = keras.layers.Dense(3, activation="softmax", name="output")
model = keras.Sequential([keras.Input(shape=(4,)), hidden, output])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
              loss="sparse_categorical_crossentropy")

print()
print("Part 2: the Iris network, batch", x_batch.shape, "labels", y_batch)
print()
for event in pause(keras.trace.step_through(model, x_batch, y_batch)):
    print(event)
    if event.kind == "loss":
        probabilities = event.y_pred[0]
    elif event.kind == "backward":
        report = keras.gradcheck.check_layer(event.layer, event.inputs)
        print(f"{INDENT}gradcheck: {'OK' if report.passed else 'WRONG'}, "
              f"max relative error {report.max_relative_error:.1e} "
              f"(threshold {report.threshold:g})")
        report.assert_ok()
        if event.layer is output:
            one_hot = np.eye(3)[y_batch]
            delta = (probabilities - one_hot) / len(y_batch)
            by_formula = np.asarray(event.inputs).T @ delta
            holds = np.allclose(event.weight_grads["output/kernel"],
                                by_formula, atol=1e-6)
            print(f"{INDENT}dL/dW = x^T delta, "
                  f"delta = (p - onehot(y))/N: {holds}")
            assert holds
    elif event.kind == "update":
        if event.weight is output.kernel:
            show_update(event, learning_rate)
        else:
            holds = np.allclose(event.delta, -learning_rate * event.grad,
                                atol=1e-6)
            print(f"{INDENT}update = -{learning_rate} * dL/dW: {holds}")
            assert holds, event.weight.path

# %%
# The same step as a table
# ------------------------
# ``keras.trace.record`` records a step (here the next one) instead of
# pausing in it: the statistics of every layer's activations and gradients,
# and every weight's update relative to its size, ``update/W``.
#
# ``update/W`` is the number to read first. CS231n's rule of thumb puts a
# healthy step at about :math:`10^{-3}` of the weight's size. A learning rate
# of 0.1 is a big step for this tiny network: its kernels move by several
# times that much (the lines under the table say how many). For watching one
# step, big visible changes are what we want; for a long training run they
# are a reason to try a smaller learning rate, such as 0.01. The biases
# started at zero, so their ratio says little yet.
#
# ``hints()`` reads the same numbers the way a tutor would, and speaks only
# when it can name a cause.
trace = keras.trace.record(model, x_batch, y_batch)
print(trace)
print()
for weight in trace[0].weights:
    if len(weight.shape) == 2:                  # the kernels
        times = weight.ratio / 1e-3
        if times >= 2:
            verdict = f"{times:.0f} times the healthy ~1e-3"
        elif times <= 0.5:
            verdict = f"{1 / times:.0f} times less than the healthy ~1e-3"
        else:
            verdict = "close to the healthy ~1e-3"
        print(f"{weight.path}: update/W {weight.ratio:.2g}, {verdict}")
hints = trace.hints()
print("hints:", "none" if not hints else "")
for hint in hints:
    print(textwrap.fill(str(hint), width=80, initial_indent="  ",
                        subsequent_indent="    "))
