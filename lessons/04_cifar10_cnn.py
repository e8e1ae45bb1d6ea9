"""
Lesson 4 -- CIFAR-10 with three convolutions
============================================

The Keras tutorial's CIFAR-10 network: three 3x3 convolutions (32, 64, 64
filters) with max-pooling between them, then a dense layer of 64 and ten
outputs given as *logits* (``from_logits=True``: the softmax lives inside the
loss, which is more accurate).

CIFAR-10 is downloaded once into ``~/.keras/datasets``. Offline and uncached,
the lesson says so and builds a clearly named stand-in: scikit-learn's digits
enlarged to 32x32 and tinted a different colour per class, so that the same
network has something to learn. ``--quick`` uses a small subset and one epoch.
"""
# %%
import argparse
import os

import numpy as np

import kerastutor as keras

parser = argparse.ArgumentParser(description="Lesson 4: CIFAR-10 with a CNN")
parser.add_argument("--quick", action="store_true", help="small subset, 1 epoch (for CI)")
parser.add_argument("--epochs", type=int, default=10)
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"
if quick:   # say so: these are not the numbers of the full lesson
    print("QUICK MODE (--quick): a small subset, one epoch;\n"
          "the numbers below are a smoke test, not the full lesson's results.")
keras.utils.set_random_seed(4)


def tinted_digits_standin():
    """sklearn digits, 8x8 -> 32x32 (each pixel a 4x4 block), one colour per class."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    big = np.kron(digits.images / 16.0, np.ones((4, 4)))                    # (N, 32, 32)
    tints = np.random.default_rng(0).uniform(0.3, 1.0, (10, 3))
    images = (big[..., None] * tints[digits.target][:, None, None, :] * 255).astype("uint8")
    x_tr, x_te, y_tr, y_te = train_test_split(images, digits.target[:, None], test_size=0.2,
                                              stratify=digits.target, random_state=0)
    return (x_tr, y_tr), (x_te, y_te)


try:
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    source = "CIFAR-10"
except OSError as err:
    print(f"CIFAR-10 is not cached and could not be downloaded:\n  {err}")
    print("Using the OFFLINE STAND-IN instead: sklearn digits enlarged to 32x32 and tinted.")
    (x_train, y_train), (x_test, y_test) = tinted_digits_standin()
    source = "tinted sklearn digits (offline stand-in for CIFAR-10)"

if quick:
    x_train, y_train, x_test, y_test = x_train[:512], y_train[:512], x_test[:200], y_test[:200]
x_train, x_test = x_train.astype("float32") / 255, x_test.astype("float32") / 255
print(f"data: {source}; x_train {x_train.shape}, y_train {y_train.shape}")

# %%
# The model
# ---------
model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    keras.layers.Conv2D(32, (3, 3), activation="relu"),
    keras.layers.MaxPooling2D((2, 2)),
    keras.layers.Conv2D(64, (3, 3), activation="relu"),
    keras.layers.MaxPooling2D((2, 2)),
    keras.layers.Conv2D(64, (3, 3), activation="relu"),
    keras.layers.Flatten(),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(10),
])
model.summary()

# %%
# Training
# --------
model.compile(optimizer="adam",
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=1 if quick else args.epochs,
                    validation_data=(x_test, y_test), verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test accuracy: {accuracy:.4f}")

# %%
here = os.path.dirname(os.path.abspath(__file__))
history.plot(save_to=os.path.join(here, "output", "04_cifar10_cnn_curves.png"))
