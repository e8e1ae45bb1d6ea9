"""
Lesson 3 -- MNIST digits with a small convolutional network
===========================================================

The classic Keras CNN: one convolution (32 filters of 3x3) finds local
strokes, max-pooling halves the resolution, and two dense layers classify.
A convolution is a Dense layer applied to every 3x3 patch with the *same*
weights -- kerastutor computes it exactly that way (im2col: gather the
patches, one matrix product).

MNIST comes from ``~/.keras/datasets`` (downloaded once); offline and
uncached, the lesson says so and uses scikit-learn's 8x8 digits as a clearly
named stand-in. ``--quick`` trains on a small subset for one epoch.
"""
# %%
import argparse
import os

import kerastutor as keras

parser = argparse.ArgumentParser(description="Lesson 3: MNIST with a CNN")
parser.add_argument("--quick", action="store_true", help="small subset, 1 epoch (for CI)")
parser.add_argument("--epochs", type=int, default=5)
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"
if quick:   # say so: these are not the numbers of the full lesson
    print("QUICK MODE (--quick): a small subset, one epoch;\n"
          "the numbers below are a smoke test, not the full lesson's results.")
keras.utils.set_random_seed(3)

try:
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    source = "MNIST"
except OSError as err:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    print(f"MNIST is not cached and could not be downloaded:\n  {err}")
    print("Using the OFFLINE STAND-IN instead: scikit-learn's 8x8 digits data set.")
    digits = load_digits()
    images = (digits.images * (255.0 / 16.0)).astype("uint8")
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.2, stratify=digits.target, random_state=0)
    source = "sklearn digits (offline stand-in for MNIST)"

if quick:
    x_train, y_train, x_test, y_test = x_train[:1000], y_train[:1000], x_test[:300], y_test[:300]

# %%
# Images get a channel axis -- ``(N, 28, 28, 1)`` -- and pixels in [0, 1].
x_train = x_train[..., None].astype("float32") / 255
x_test = x_test[..., None].astype("float32") / 255
print(f"data: {source}; x_train {x_train.shape}, x_test {x_test.shape}")

# %%
# The model
# ---------
model = keras.Sequential([
    keras.Input(shape=x_train.shape[1:]),
    keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    keras.layers.MaxPooling2D(pool_size=(2, 2)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.summary()

# %%
# Training
# --------
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=128, epochs=1 if quick else args.epochs,
                    validation_split=0.1, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {loss:.4f}")
print(f"Test accuracy: {accuracy:.4f}")

# %%
# Learning curves
# ---------------
here = os.path.dirname(os.path.abspath(__file__))
history.plot(save_to=os.path.join(here, "output", "03_mnist_cnn_curves.png"))
