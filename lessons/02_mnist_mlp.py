"""
Lesson 2 -- MNIST digits with a multilayer perceptron
======================================================

The classic Keras MNIST MLP: each 28x28 image is flattened to 784 numbers
and passed through two hidden layers of 512 ReLU units with dropout, then a
10-way softmax. Keras's example reaches about 98% test accuracy; so does
this one, with the same code and ``import kerastutor as keras``.

MNIST is downloaded once into ``~/.keras/datasets`` (an existing Keras
cache is reused). When the file is not cached and the network cannot be
reached, the lesson says so and uses scikit-learn's 8x8 *digits* data as a
clearly named offline stand-in.

Run it with ``python lessons/02_mnist_mlp.py`` (``--quick``: a small subset
and one epoch, as CI does).
"""
# %%
# Loading the data
# ----------------
import argparse
import os

import numpy as np

import kerastutor as keras

parser = argparse.ArgumentParser(description="Lesson 2: MNIST with an MLP")
parser.add_argument("--quick", action="store_true", help="small subset, 1 epoch (for CI)")
parser.add_argument("--epochs", type=int, default=10)
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"
if quick:   # say so: these are not the numbers of the full lesson
    print("QUICK MODE (--quick): a small subset, one epoch;\n"
          "the numbers below are a smoke test, not the full lesson's results.")
keras.utils.set_random_seed(1)


def load_digits_standin():
    """sklearn's 1,797 8x8 digits, split 80/20: a small offline stand-in for MNIST."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    images = (digits.images * (255.0 / 16.0)).astype("uint8")     # same 0..255 range
    x_tr, x_te, y_tr, y_te = train_test_split(images, digits.target, test_size=0.2,
                                              stratify=digits.target, random_state=0)
    return (x_tr, y_tr), (x_te, y_te)


try:
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    source = "MNIST"
except OSError as err:
    print("MNIST is not in ~/.keras/datasets and could not be downloaded:")
    print(f"  {err}")
    print("Using the OFFLINE STAND-IN instead: scikit-learn's 8x8 digits data set.")
    (x_train, y_train), (x_test, y_test) = load_digits_standin()
    source = "sklearn digits (offline stand-in for MNIST)"

if quick:
    x_train, y_train = x_train[:2000], y_train[:2000]
    x_test, y_test = x_test[:500], y_test[:500]

# %%
# Flatten and scale: pixels become 784 numbers in [0, 1]; labels become
# one-hot rows, because this tutorial uses ``categorical_crossentropy``.
num_pixels = int(np.prod(x_train.shape[1:]))
x_train = x_train.reshape(len(x_train), num_pixels).astype("float32") / 255
x_test = x_test.reshape(len(x_test), num_pixels).astype("float32") / 255
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)
print(f"data: {source}; {len(x_train)} training and {len(x_test)} test images")

# %%
# The model
# ---------
model = keras.Sequential([
    keras.Input(shape=(num_pixels,)),
    keras.layers.Dense(512, activation="relu"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(512, activation="relu"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(10, activation="softmax"),
])
model.summary()

# %%
# Training
# --------
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=128, epochs=1 if quick else args.epochs,
                    validation_split=0.1, verbose=2)
score = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {score[0]:.4f}")
print(f"Test accuracy: {score[1]:.4f}")

# %%
# Learning curves
# ---------------
here = os.path.dirname(os.path.abspath(__file__))
history.plot(save_to=os.path.join(here, "output", "02_mnist_mlp_curves.png"))
