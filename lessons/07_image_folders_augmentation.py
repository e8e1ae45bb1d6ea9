"""
Lesson 7 -- Images from folders, with data augmentation
=======================================================

Keras's tutorial *Image classification from scratch*, step by step: a folder
of image files, one sub-folder per class, becomes a dataset with
``keras.utils.image_dataset_from_directory``; random flips, rotations and
zooms make every epoch see slightly different pictures (*data
augmentation*); a small convolutional network learns the classes; and the
trained model classifies one image file.

The tutorial downloads 800 MB of cat and dog photos. This lesson never needs
the network: unless you give it a folder (``--data PATH``, laid out as
``PATH/<class name>/<image files>``), it **draws its own**, a clearly named
offline stand-in -- 32x32 PNG files of circles, squares and triangles in
random colours, sizes and places -- and writes them to
``lessons/output/07_shapes/`` so that you can open them. ``--quick`` uses
fewer images and epochs.

The augmentation and the rescaling to ``[0, 1]`` are layers *inside* the
model, as the tutorial's first option recommends: the model file then carries
its own preprocessing, and augmentation runs only while training.
"""
# %%
import argparse
import os
import shutil

import numpy as np

import kerastutor as keras
from kerastutor import layers

parser = argparse.ArgumentParser(description="Lesson 7: image folders and augmentation")
parser.add_argument("--quick", action="store_true", help="few images, 3 epochs (for CI)")
parser.add_argument("--data", help="a folder with one sub-folder of images per class")
parser.add_argument("--epochs", type=int, default=15)
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"
if quick:   # say so: these are not the numbers of the full lesson
    print("QUICK MODE (--quick): 60 images per class, 3 epochs;\n"
          "the numbers below are a smoke test, not the full lesson's results.")
keras.utils.set_random_seed(7)
here = os.path.dirname(os.path.abspath(__file__))
output = os.path.join(here, "output")

# %%
# 1. A folder of images
# ---------------------
# ``image_dataset_from_directory`` only asks for one sub-folder per class. When
# no real folder is given we draw one: each shape is a mask computed from the
# pixel coordinates, painted in a random colour on a noisy background.


def draw_shape(kind, rng, size=32):
    """One ``size`` x ``size`` RGB image (uint8) of a circle, square or triangle."""
    rows, cols = np.mgrid[0:size, 0:size] + 0.5              # pixel centres
    radius = rng.uniform(0.22, 0.36) * size
    cy, cx = rng.uniform(radius + 1, size - radius - 1, size=2)
    dy, dx = rows - cy, cols - cx
    if kind == "circle":
        mask = dy ** 2 + dx ** 2 <= radius ** 2
    elif kind == "square":
        mask = (np.abs(dy) <= radius * 0.85) & (np.abs(dx) <= radius * 0.85)
    else:   # a triangle pointing up: below the two slanted sides, above the base
        mask = (dy <= radius * 0.8) & (2 * np.abs(dx) <= dy + radius)
    background = rng.uniform(0, 60, size=(size, size, 3))     # dark, noisy
    colour = rng.uniform(120, 255, size=3)
    image = np.where(mask[..., None], colour, background)
    return image.astype("uint8")


def write_shapes_folder(folder, per_class, seed=0):
    """``folder/circle/000.png ...``: the offline stand-in for the tutorial's photos."""
    rng = np.random.default_rng(seed)
    shutil.rmtree(folder, ignore_errors=True)
    for kind in ("circle", "square", "triangle"):
        os.makedirs(os.path.join(folder, kind))
        for i in range(per_class):
            keras.utils.save_img(os.path.join(folder, kind, f"{i:03d}.png"),
                                 draw_shape(kind, rng))


if args.data:
    data_dir = args.data
    print(f"data: the real image folder {data_dir}")
else:
    data_dir = os.path.join(output, "07_shapes")
    per_class = 60 if quick else 300
    write_shapes_folder(data_dir, per_class)
    print(f"data: no folder given (--data), so this lesson drew an OFFLINE STAND-IN: "
          f"{3 * per_class} PNG images of circles, squares and triangles in "
          f"{os.path.relpath(data_dir, os.path.dirname(here))}")

# %%
# 2. Generate a dataset
# ---------------------
# ``subset="both"`` gives the training and the validation dataset in one call.
# The file list is shuffled once with ``seed`` and its last 20 % is held out,
# so the two never share an image. Nothing is read yet: each batch is loaded
# from disk (and resized to ``image_size``) when ``fit`` asks for it.
image_size = (32, 32)
batch_size = 32
train_ds, val_ds = keras.utils.image_dataset_from_directory(
    data_dir, validation_split=0.2, subset="both", seed=1337,
    image_size=image_size, batch_size=batch_size)
class_names = train_ds.class_names
print(f"classes: {class_names}; {len(train_ds)} training batches, "
      f"{len(val_ds)} validation batches")

images, labels = train_ds[0]       # one batch, as fit will see it
print(f"one batch: images {images.shape} {images.dtype} with values "
      f"{images.min():.0f}..{images.max():.0f}, labels {labels.shape} {labels[:8]}")

# %%
# 3. Data augmentation
# --------------------
# Flip left-right, rotate by up to 10 % of a full turn (36 degrees) and zoom by
# up to 20 %: a circle is still a circle, so the label stays right, but the
# network never sees exactly the same pixels twice. The layers draw new random
# numbers on every call -- *in training only*; at inference they pass the
# image through unchanged.
data_augmentation = keras.Sequential([
    layers.RandomFlip("horizontal"),
    layers.RandomRotation(0.1),
    layers.RandomZoom(0.2),
], name="data_augmentation")

# Show six images of the batch (top row) and three augmented versions of each
# (below), as the tutorial does. ``training=True`` switches augmentation on
# outside ``fit``.
try:
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
    print("matplotlib is not installed: no figures (pip install matplotlib)")
if plt is not None:
    shown = images[:6]
    fig, axes = plt.subplots(4, 6, figsize=(9, 6.4))
    versions = [shown] + [data_augmentation(shown, training=True) for _ in range(3)]
    for row, batch in enumerate(versions):
        for col in range(6):
            axis = axes[row, col]
            axis.imshow(np.clip(batch[col], 0, 255).astype("uint8"))
            axis.set_xticks([])
            axis.set_yticks([])
            if row == 0:
                axis.set_title(class_names[int(labels[col])])
        axes[row, 0].set_ylabel("original" if row == 0 else f"augmented {row}")
    fig.suptitle("Top row: images as loaded. Below: RandomFlip + RandomRotation + RandomZoom")
    fig.tight_layout()
    fig.savefig(os.path.join(output, "07_image_folders_augmentation_samples.png"))
    print("augmentation grid saved to lessons/output/07_image_folders_augmentation_samples.png")

# %%
# 4. The model
# ------------
# Augmentation first, then ``Rescaling(1/255)`` so the convolutions see values
# in [0, 1], then two convolution blocks and a softmax over the classes.
num_classes = len(class_names)
model = keras.Sequential([
    keras.Input(shape=image_size + (3,)),
    data_augmentation,
    layers.Rescaling(1.0 / 255),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.GlobalAveragePooling2D(),
    layers.Dropout(0.25),
    layers.Dense(num_classes, activation="softmax"),
])
model.summary()

# %%
# 5. Training
# -----------
# ``fit`` reads the datasets batch by batch; the training one is reshuffled
# every epoch. (The tutorial also saves a checkpoint every epoch with
# ``ModelCheckpoint``; we save the final model once, below.)
epochs = 3 if quick else args.epochs
model.compile(optimizer=keras.optimizers.Adam(3e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(train_ds, epochs=epochs, validation_data=val_ds, verbose=2)
loss, accuracy = model.evaluate(val_ds, verbose=0)
print(f"validation accuracy after {epochs} epochs: {accuracy:.3f} "
      f"(guessing would give about {1 / num_classes:.3f})")
if quick:
    print("(--quick stops after 3 epochs, before the network has learned much; the full "
          "run, 15 epochs on 900 shapes, reaches about 0.75 on the stand-in)")
# Do not be surprised if the validation accuracy is *above* the training one:
# the training images are augmented (harder) and Dropout is on during
# training, while validation sees the plain images with Dropout off.
history.plot(save_to=os.path.join(output, "07_image_folders_augmentation_curves.png"))

# %%
# 6. Run inference on new data
# ----------------------------
# Load one file as the tutorial does: ``load_img`` -> ``img_to_array`` -> add a
# batch axis. The model rescales by itself, and its augmentation layers are
# idle in ``predict``.
path = val_ds.file_paths[0]
img = keras.utils.load_img(path, target_size=image_size)
img_array = keras.utils.img_to_array(img)[None]         # (1, 32, 32, 3)
probabilities = model.predict(img_array, verbose=0)[0]
print(f"{os.path.relpath(path, data_dir)}: " + ", ".join(
    f"{100 * p:.0f}% {name}" for name, p in zip(class_names, probabilities)))
model.save(os.path.join(output, "07_image_folders_augmentation.keras"))
