"""Keras's example "Image classification from scratch", scaled down.

The example (keras.io/examples/vision/image_classification_from_scratch)
reads the Cats vs Dogs photos with ``image_dataset_from_directory``, augments
them with ``RandomFlip`` and ``RandomRotation``, trains a small Xception-like
network (separable convolutions, batch normalization, residual connections)
with a ``ModelCheckpoint`` every epoch, and classifies one image file with
``load_img`` -> ``img_to_array`` -> ``predict`` -> sigmoid.

Here the guide's code runs with ``import kerastutor as keras`` on a tiny
folder made on the fly: 24x24 PNGs of two "classes" that flips and rotations
cannot confuse (bright noise = "Cat", dark noise = "Dog"), the network's
widths divided by 16 and its three residual blocks cut to two. The guide's
``train_ds.map(...)`` (tf.data) becomes option 1 of the guide: augmentation
inside the model; ``.prefetch`` has no NumPy counterpart and is left out.
"""
import os
import sys

import numpy as np

import kerastutor as keras
from kerastutor import layers

image_size = (24, 24)


def write_pet_images(root, per_class=24, seed=0):
    rng = np.random.default_rng(seed)
    for name, low, high in (("Cat", 140, 255), ("Dog", 0, 115)):
        os.makedirs(root / name)
        for i in range(per_class):
            image = rng.uniform(low, high, size=image_size + (3,)).astype("uint8")
            keras.utils.save_img(str(root / name / f"{i}.png"), image)


def make_augmentation_layers():
    return [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
    ]


# The guide makes these at import time. A random layer takes its seed from Python's
# `random` when it is made (as in Keras), so the test makes them again after
# set_random_seed: otherwise every run augments differently and "it learns" flakes.
data_augmentation_layers = make_augmentation_layers()


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = data_augmentation(inputs)                      # the guide's option 1
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    previous_block_activation = x  # Set aside residual

    for size in [16, 32]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)

        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)

        # Project residual
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(
            previous_block_activation
        )
        x = layers.add([x, residual])  # Add back residual
        previous_block_activation = x  # Set aside next residual

    x = layers.SeparableConv2D(64, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)

    x = layers.GlobalAveragePooling2D()(x)
    if num_classes == 2:
        units = 1
    else:
        units = num_classes

    x = layers.Dropout(0.25)(x)
    # We specify activation=None so as to return logits
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


def test_image_classification_from_scratch(tmp_path, monkeypatch):
    keras.utils.set_random_seed(1337)
    monkeypatch.setattr(sys.modules[__name__], "data_augmentation_layers",
                        make_augmentation_layers())         # seeded now, as made
    write_pet_images(tmp_path / "PetImages")
    monkeypatch.chdir(tmp_path)                       # the checkpoints land here

    # Generate a Dataset
    train_ds, val_ds = keras.utils.image_dataset_from_directory(
        "PetImages",
        validation_split=0.2,
        subset="both",
        seed=1337,
        image_size=image_size,
        batch_size=8,
    )
    assert train_ds.class_names == ["Cat", "Dog"]
    assert (train_ds.num_samples, val_ds.num_samples) == (39, 9)
    assert not set(train_ds.file_paths) & set(val_ds.file_paths)

    # Visualize the data: one batch of images and labels
    images, labels = next(iter(train_ds))
    assert images.shape == (8,) + image_size + (3,) and images.dtype == np.float32
    assert 0 <= images.min() and images.max() <= 255 and labels.shape == (8,)

    # Using image data augmentation: called on a batch, the layers change it
    augmented_images = data_augmentation(images)
    assert augmented_images.shape == images.shape
    assert not np.allclose(augmented_images, images)

    # Build a model
    model = make_model(input_shape=image_size + (3,), num_classes=2)
    assert model.output_shape == (None, 1)

    # Train the model
    epochs = 3
    callbacks = [
        keras.callbacks.ModelCheckpoint("save_at_{epoch}.keras"),
    ]
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),         # the guide's 3e-4, for 3 epochs
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(name="acc")],
    )
    history = model.fit(
        train_ds,
        epochs=epochs,
        callbacks=callbacks,
        validation_data=val_ds,
        verbose=0,
    )
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}
    assert history.history["loss"][-1] < history.history["loss"][0]     # it learns
    assert sorted(os.listdir(tmp_path)) == ["PetImages", "save_at_1.keras",
                                            "save_at_2.keras", "save_at_3.keras"]

    # Run inference on new data
    img = keras.utils.load_img("PetImages/Cat/6.png", target_size=image_size)
    img_array = keras.utils.img_to_array(img)
    img_array = keras.ops.expand_dims(img_array, 0)  # Create batch axis

    predictions = model.predict(img_array, verbose=0)
    assert predictions.shape == (1, 1)
    score = float(keras.ops.sigmoid(predictions[0][0]))
    assert 0.0 <= score <= 1.0
    # Inference is deterministic: the augmentation layers are idle in predict.
    np.testing.assert_array_equal(model.predict(img_array, verbose=0), predictions)

    # The last checkpoint is the trained model, augmentation layers included.
    reloaded = keras.models.load_model("save_at_3.keras")
    np.testing.assert_allclose(reloaded.predict(img_array, verbose=0), predictions,
                               rtol=1e-5, atol=1e-6)
