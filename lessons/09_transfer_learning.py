"""
Lesson 9 -- Transfer learning: reuse what a network has learned
===============================================================

Keras's classic transfer example: train a small CNN on the digits 0-4, then
**freeze** its feature layers (``layer.trainable = False``) and train only a
new classifier on the digits 5-9. The frozen layers keep every weight; the
new head learns in a few epochs what a fresh network needs many more for,
because strokes and curves are the same for every digit.

The second part does the same with a network trained on ImageNet:
``keras.applications.MobileNetV2(include_top=False)`` as a frozen base whose
features feed a new ``Dense`` head -- Keras's *feature extraction* recipe.
Its ImageNet weights are Keras's own file
(``mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5`` in
``~/.keras/models``); when that file is not cached and cannot be downloaded,
the lesson says so and uses random weights, which show the mechanics but
not the benefit.

MNIST comes from ``~/.keras/datasets``; offline and uncached the lesson uses
scikit-learn's 8x8 digits as a clearly named stand-in. ``--quick`` uses a
small subset and three epochs per stage.
"""
# %%
import argparse
import os
import time

import numpy as np

import kerastutor as keras

parser = argparse.ArgumentParser(description="Lesson 9: transfer learning")
parser.add_argument("--quick", action="store_true", help="small subsets, 3 epochs (for CI)")
parser.add_argument("--epochs", type=int, default=6)
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"
if quick:   # say so: these are not the numbers of the full lesson
    print("QUICK MODE (--quick): 600 images, 3 epochs;\n"
          "the numbers below are a smoke test, not the full lesson's results.")
epochs = 3 if quick else args.epochs
keras.utils.set_random_seed(9)

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
        images, digits.target, test_size=0.25, stratify=digits.target, random_state=0)
    source = "sklearn digits (offline stand-in for MNIST)"
x_train = x_train[..., None].astype("float32") / 255
x_test = x_test[..., None].astype("float32") / 255


def digits_between(x, y, low, high, limit=None):
    """The images of the digits low..high, labelled 0..(high - low)."""
    keep = (y >= low) & (y <= high)
    x, y = x[keep], y[keep] - low
    return (x[:limit], y[:limit]) if limit else (x, y)


limit = 600 if quick else None
first = digits_between(x_train, y_train, 0, 4, limit), digits_between(x_test, y_test, 0, 4)
second = digits_between(x_train, y_train, 5, 9, limit), digits_between(x_test, y_test, 5, 9)
print(f"data: {source}; digits 0-4: {len(first[0][0])} training images, "
      f"digits 5-9: {len(second[0][0])}")

# %%
# Feature layers and classification layers
# -----------------------------------------
# The same split as Keras's example: convolutions find strokes, the dense
# layers decide which digit they make.
feature_layers = [
    keras.layers.Conv2D(16, 3, activation="relu"),
    keras.layers.Conv2D(16, 3, activation="relu"),
    keras.layers.MaxPooling2D(2),
    keras.layers.Dropout(0.25),
    keras.layers.Flatten(),
]
classification_layers = [
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dropout(0.5),
    keras.layers.Dense(5, activation="softmax"),
]
model = keras.Sequential([keras.Input(x_train.shape[1:])] + feature_layers
                         + classification_layers)


def train(model, data, stage):
    (x, y), (x_val, y_val) = data
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.time()
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=0)
    _, accuracy = model.evaluate(x_val, y_val, verbose=0)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    print(f"{stage}: {trainable:,} trainable parameters, {time.time() - start:.1f} s, "
          f"test accuracy {accuracy:.3f}")
    return accuracy


train(model, first, "stage 1, digits 0-4, every layer trains")

# %%
# Freeze the features, train a new head on 5-9
# --------------------------------------------
# ``trainable = False`` keeps a layer's weights as they are. Changing it after
# ``compile`` needs a new ``compile`` (``train`` recompiles); kerastutor warns
# when a program forgets, as Keras means to.
frozen = [w.copy() for layer in feature_layers for w in layer.get_weights()]
for layer in feature_layers:
    layer.trainable = False
new_head = [keras.layers.Dense(64, activation="relu"), keras.layers.Dropout(0.5),
            keras.layers.Dense(5, activation="softmax")]
transfer = keras.Sequential([keras.Input(x_train.shape[1:])] + feature_layers + new_head)
train(transfer, second, "stage 2, digits 5-9, only the new head trains")
after = [w for layer in feature_layers for w in layer.get_weights()]
print("feature layers unchanged by stage 2:",
      all(np.array_equal(a, b) for a, b in zip(frozen, after)))

# %%
# An ImageNet network as a frozen base
# ------------------------------------
# MobileNetV2 without its classifier turns a 96x96 RGB image into 3x3x1280
# features; global average pooling makes that one 1280-vector per image,
# and a single Dense layer learns the new classes on top.
try:
    base = keras.applications.MobileNetV2(input_shape=(96, 96, 3), include_top=False,
                                          weights="imagenet")
    weights_note = "ImageNet weights (Keras's file)"
except OSError as err:
    print(f"The ImageNet weights are not cached and could not be downloaded:\n  {err}")
    print("Using RANDOM WEIGHTS instead: the mechanics are the same, the features are not "
          "ImageNet's, so expect little benefit from the base.")
    base = keras.applications.MobileNetV2(input_shape=(96, 96, 3), include_top=False,
                                          weights=None)
    weights_note = "random weights (offline stand-in)"
base.trainable = False
print(f"MobileNetV2 base: {base.count_params():,} parameters, {weights_note}")


def as_rgb_96(images):
    """Grey digits as 96x96 RGB pixels in [0, 255], the input MobileNetV2 expects."""
    big = keras.layers.Resizing(96, 96)(images * 255.0)
    return np.repeat(big, 3, axis=-1)


count = 40 if quick else 400
(x5, y5), (x5_test, y5_test) = second
preprocess = keras.applications.mobilenet_v2.preprocess_input
pool = keras.layers.GlobalAveragePooling2D()
features = pool(base.predict(preprocess(as_rgb_96(x5[:count])), verbose=0))
features_test = pool(base.predict(preprocess(as_rgb_96(x5_test[:count])), verbose=0))
# The head learns best from features on a unit scale (random weights give values near
# 1e-11; ImageNet's, values up to ~6): standardise both sets with the training
# features' mean and standard deviation.
mean, std = features.mean(axis=0), features.std(axis=0) + 1e-30
features, features_test = (features - mean) / std, (features_test - mean) / std
head = keras.Sequential([keras.Input((features.shape[-1],)),
                         keras.layers.Dense(5, activation="softmax")])
head.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
head.fit(features, y5[:count], epochs=5 if quick else 20, verbose=0)
_, accuracy = head.evaluate(features_test, y5_test[:count], verbose=0)
print(f"digits 5-9 from MobileNetV2 features ({weights_note}): test accuracy {accuracy:.3f}")
