"""
Lesson 0 -- One training step, event by event
=============================================

Before training a network for hundreds of steps, watch it take **one**.
A training step is four moves:

1. **forward** -- each layer turns its input into an output;
2. **loss** -- one number says how wrong the predictions are, and its
   derivative :math:`\\partial L/\\partial y_{pred}` says which way to move them;
3. **backward** -- each layer, last to first, turns the gradient of its output
   into the gradient of its input, and fills the gradients of its weights;
4. **update** -- the optimizer moves every weight against its gradient.

``keras.trace.step_through`` runs one real step and stops at each of these
events. We print every event, and at each backward event we check the
layer's hand-written derivative against a numerical one with
``keras.gradcheck``.

Run it with ``python lessons/00_step_through.py`` (``--quick`` is accepted
for CI; the lesson is one step long either way).
"""
# %%
# The data and the network
# ------------------------
# The Iris network of Lesson 1: 4 measurements in, 4 ReLU units, 3 species
# out. One mini-batch of 8 flowers is enough to watch. Plain gradient descent
# (SGD) keeps the update easy to read: :math:`\Delta W = -\eta\, \partial L/\partial W`.
import argparse
import os

import numpy as np
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

import kerastutor as keras

parser = argparse.ArgumentParser(description="Lesson 0: one training step, event by event")
parser.add_argument("--quick", action="store_true", help="accepted for CI (already quick)")
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"

keras.utils.set_random_seed(42)
iris = load_iris()
x = StandardScaler().fit_transform(iris.data).astype("float32")
y = iris.target
batch = np.random.default_rng(0).choice(len(x), size=8, replace=False)
x_batch, y_batch = x[batch], y[batch]

learning_rate = 0.1
model = keras.Sequential([
    keras.Input(shape=(4,)),
    keras.layers.Dense(4, activation="relu"),
    keras.layers.Dense(3, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
              loss="sparse_categorical_crossentropy")
print("batch:", x_batch.shape, "labels:", y_batch)

# %%
# Stepping through
# ----------------
# Each event prints one line. The step is *paused* while the loop body runs:
# at a backward event the gradients exist but no weight has moved yet.
#
# At each backward event, ``check_layer`` runs the layer's ``forward`` and
# ``backward`` again in float64 and compares every gradient with central
# differences :math:`(f(w+h) - f(w-h))/2h`. At each update event we confirm
# that SGD moved the weight by exactly :math:`-\eta\,\partial L/\partial W`.
for event in keras.trace.step_through(model, x_batch, y_batch):
    print(event)
    if event.kind == "backward":
        report = keras.gradcheck.check_layer(event.layer, event.inputs)
        verdict = "OK" if report.passed else "WRONG"
        print(f"       gradcheck {event.layer.name}: {verdict}, max relative error "
              f"{report.max_relative_error:.1e} (threshold {report.threshold:g})")
        report.assert_ok()
    if event.kind == "update":
        expected = -learning_rate * event.grad
        assert np.allclose(event.delta, expected, atol=1e-6), event.weight.path
        print(f"       = -{learning_rate} * dL/dW, as SGD promises")

# %%
# The same step as a table
# ------------------------
# ``keras.trace.record`` records a step (here the next one) instead of
# pausing in it: the statistics of every layer's activations and gradients,
# and every weight's update relative to its size. ``hints()`` reads those
# numbers the way a tutor would; for this healthy network it stays quiet.
trace = keras.trace.record(model, x_batch, y_batch)
print(trace)
print("hints:", trace.hints() or "none -- the network looks healthy")
