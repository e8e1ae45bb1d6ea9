"""
Lesson 1 -- Iris flowers with a 4-4-3 network
=============================================

The "hello world" of Keras tutorials: 150 iris flowers, 4 measurements
each, 3 species. A network with 4 inputs, one hidden layer of 4 ReLU
units and a 3-way softmax learns to tell the species apart.

The only change from the Keras tutorial is the import line::

    import kerastutor as keras

Run it with ``python lessons/01_iris.py`` (``--quick`` trains for fewer
epochs, as CI does).
"""
# %%
# The data
# --------
# scikit-learn ships the Iris data set, so nothing is downloaded. We keep
# 30 flowers aside as a held-out test set and standardise the four
# measurements (mean 0, variance 1), which makes gradient descent's job
# much easier.
import argparse
import os

from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import kerastutor as keras

parser = argparse.ArgumentParser(description="Lesson 1: Iris with a 4-4-3 network")
parser.add_argument("--quick", action="store_true", help="fewer epochs (for CI)")
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"
if quick:   # say so: these are not the numbers of the full lesson
    print("QUICK MODE (--quick): 40 epochs instead of 150;\n"
          "the numbers below are a smoke test, not the full lesson's results.")

keras.utils.set_random_seed(42)
iris = load_iris()
x_train, x_test, y_train, y_test = train_test_split(
    iris.data, iris.target, test_size=0.2, stratify=iris.target, random_state=0)
scaler = StandardScaler().fit(x_train)
x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
print("train:", x_train.shape, "test:", x_test.shape)

# %%
# The model
# ---------
# Four inputs, four hidden units, three outputs -- and the summary Keras
# would print for it: ``4*4 + 4 = 20`` parameters in the first layer,
# ``4*3 + 3 = 15`` in the second.
model = keras.Sequential([
    keras.Input(shape=(4,)),
    keras.layers.Dense(4, activation="relu"),
    keras.layers.Dense(3, activation="softmax"),
])
model.summary()

# %%
# Training
# --------
# The labels are integers 0, 1, 2, so the loss is
# ``sparse_categorical_crossentropy``; ``"accuracy"`` therefore resolves to
# ``SparseCategoricalAccuracy``. 20% of the training rows -- the *last*
# 20%, before shuffling -- are used for validation.
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=40 if quick else 150, batch_size=8,
                    validation_split=0.2, verbose=0 if quick else 2)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"final training accuracy:   {history.history['accuracy'][-1]:.3f}")
print(f"final validation accuracy: {history.history['val_accuracy'][-1]:.3f}")
print(f"held-out test accuracy:    {accuracy:.3f} (loss {loss:.4f})")

# %%
# Learning curves
# ---------------
# ``History.plot()`` draws the loss and accuracy per epoch, training and
# validation side by side.
here = os.path.dirname(os.path.abspath(__file__))
history.plot(save_to=os.path.join(here, "output", "01_iris_curves.png"))
