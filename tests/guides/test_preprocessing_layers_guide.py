"""Keras's guide "Working with preprocessing layers" -- the categorical and text parts.

Each test is one section of the guide (keras.io/guides/preprocessing_layers),
its code as the guide writes it with ``tf.constant`` replaced by ``np.array``
and ``tf.data`` pipelines by arrays (kerastutor has no TensorFlow), scaled down
so the suite stays fast. The image sections (Normalization, augmentation) are
tested beside the image layers.

Where the guide builds an end-to-end model on ``keras.Input(dtype="string")``,
so does the test, and calls it on raw text (directly, and with ``predict``);
saved to ``.keras``, the adapted vocabulary travels in the file's ``assets/``.
"""
import numpy as np

import kerastutor as keras
from kerastutor import layers


def test_the_adapt_method_text_vectorization():
    data = np.array(["The Brain is wider than the Sky",
                     "For put them side by side",
                     "The one the other will contain",
                     "With ease and You beside"])
    layer = layers.TextVectorization()
    layer.adapt(data)
    vectorized_text = layer(data)
    assert vectorized_text.shape == (4, 7)
    vocab = layer.get_vocabulary()
    assert vocab[:3] == ["", "[UNK]", "the"]          # "the" occurs 4 times
    assert vocab[3] == "side"                         # then "side" (2 times)
    np.testing.assert_array_equal(vectorized_text[0, :2], [2, vocab.index("brain")])


def test_passing_a_vocabulary_to_string_lookup():
    vocab = ["a", "b", "c", "d"]
    data = np.array([["a", "c", "d"], ["d", "z", "b"]])
    layer = layers.StringLookup(vocabulary=vocab)
    vectorized_data = layer(data)
    np.testing.assert_array_equal(vectorized_data, [[1, 3, 4], [4, 0, 2]])


def test_encoding_string_categorical_features_via_one_hot_encoding():
    vocab = np.array(["a", "b", "c"])
    lookup = layers.StringLookup(vocabulary=vocab, output_mode="one_hot")
    test_data = np.array(["a", "b", "c", "d", "e", ""])
    encoded_data = lookup(test_data)
    np.testing.assert_array_equal(encoded_data, [[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1],
                                                 [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]])


def test_encoding_integer_categorical_features_via_one_hot_encoding():
    data = np.array([10, 20, 20, 10, 30, 0])
    lookup = layers.IntegerLookup(output_mode="one_hot")
    lookup.adapt(data)
    test_data = np.array([10, 10, 20, 50, 60, 0])
    encoded_data = lookup(test_data)
    assert lookup.get_vocabulary() == [-1, 20, 10, 30, 0]
    np.testing.assert_array_equal(encoded_data.argmax(axis=-1), [2, 2, 1, 0, 0, 4])


def test_applying_the_hashing_trick_to_an_integer_categorical_feature():
    data = np.random.randint(0, 100000, size=(1000, 1))
    hasher = layers.Hashing(num_bins=64, salt=1337)
    encoder = layers.CategoryEncoding(num_tokens=64, output_mode="multi_hot")
    encoded_data = encoder(hasher(data))
    assert encoded_data.shape == (1000, 64)
    assert (encoded_data.sum(axis=1) == 1).all()
    assert len(np.unique(hasher(data))) > 50            # spread over (almost) all bins


ADAPT_DATA = np.array(["The Brain is wider than the Sky",
                       "For put them side by side",
                       "The one the other will contain",
                       "With ease and You beside"])
TEXTS = np.array([["The Brain is deeper than the sea"], ["for if they are held blue to blue"]])
LABELS = np.array([1, 0])


def _fit_briefly(model, x):
    model.compile(optimizer="rmsprop", loss="mse")
    history = model.fit(x, LABELS, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_encoding_text_as_a_sequence_of_token_indices():
    text_vectorizer = layers.TextVectorization(output_mode="int")
    text_vectorizer.adapt(ADAPT_DATA)
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(input_dim=text_vectorizer.vocabulary_size(), output_dim=16)(inputs)
    x = layers.GRU(8)(x)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    _fit_briefly(model, text_vectorizer(TEXTS))

    # Create the end-to-end model
    inputs = keras.Input(shape=(1,), dtype="string")
    x = text_vectorizer(inputs)
    outputs = model(x)
    test_model = keras.Model(inputs, outputs)

    # Call the end-to-end model.
    test_data = np.array([["The one the other will absorb"]])
    test_output = test_model(test_data)
    assert test_output.shape == (1, 1)
    np.testing.assert_allclose(test_model.predict(test_data, verbose=0), test_output,
                               rtol=1e-6)


def _end_to_end(text_vectorizer, model, tmp_path):
    """The guide's end-to-end model (strings in), called, then saved and loaded."""
    inputs = keras.Input(shape=(1,), dtype="string")
    x = text_vectorizer(inputs)
    outputs = model(x)
    test_model = keras.Model(inputs, outputs)
    test_data = np.array([["The one the other will absorb"]])
    test_output = test_model(test_data)
    assert test_output.shape == (1, 1)
    test_model.save(tmp_path / "end_to_end.keras")
    restored = keras.models.load_model(tmp_path / "end_to_end.keras")
    np.testing.assert_allclose(restored.predict(test_data, verbose=0), test_output,
                               rtol=1e-6)


def test_encoding_text_as_a_dense_matrix_of_ngrams_with_multi_hot_encoding(tmp_path):
    text_vectorizer = layers.TextVectorization(output_mode="multi_hot", ngrams=2)
    text_vectorizer.adapt(ADAPT_DATA)
    x_train = text_vectorizer(TEXTS)
    assert x_train.shape == (2, text_vectorizer.vocabulary_size())
    inputs = keras.Input(shape=(text_vectorizer.vocabulary_size(),))
    outputs = layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    _fit_briefly(model, x_train.astype("float32"))
    assert "the brain" in text_vectorizer.get_vocabulary()
    _end_to_end(text_vectorizer, model, tmp_path)


def test_encoding_text_as_a_dense_matrix_of_ngrams_with_tf_idf_weighting(tmp_path):
    text_vectorizer = layers.TextVectorization(output_mode="tf_idf", ngrams=2)
    text_vectorizer.adapt(ADAPT_DATA)
    x_train = text_vectorizer(TEXTS)
    assert x_train.dtype == np.float32 and (x_train >= 0).all()
    inputs = keras.Input(shape=(text_vectorizer.vocabulary_size(),))
    outputs = layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    _fit_briefly(model, x_train)
    _end_to_end(text_vectorizer, model, tmp_path)


def test_image_sections_normalization_and_data_augmentation():
    """The guide's image sections: "Normalizing numerical features" (adapt on
    CIFAR-10 pixels) and "Image data augmentation" (augmentation, then
    ``Rescaling`` and a ResNet50 in the model). Scaled down: random 8x8 colour
    images made here instead of CIFAR-10, and a small CNN instead of ResNet50.
    Where the guide maps ``data_augmentation`` over a ``tf.data`` dataset, the
    augmentation sits in the model here, where it runs in training only."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, size=(64, 8, 8, 3)).astype("uint8")
    x_train[..., 0] //= 2                                 # channels with different scales
    y_train = rng.integers(0, 10, size=(64, 1))
    classes = 10

    # Normalizing numerical features: one mean and variance per pixel value.
    x_flat = x_train.reshape((len(x_train), -1)).astype("float32")
    normalization_layer = layers.Normalization()
    normalization_layer.adapt(x_flat)
    normalized = normalization_layer(x_flat)
    np.testing.assert_allclose(normalized.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(normalized.std(axis=0), 1, atol=1e-3)
    inputs = keras.Input(shape=x_flat.shape[1:])
    x = normalization_layer(inputs)
    outputs = layers.Dense(classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x_flat, y_train, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]

    # On images (axis=-1, the default): one mean and variance per channel.
    per_channel = layers.Normalization()
    per_channel.adapt(x_train.astype("float32"))
    assert per_channel.adapt_mean.shape == (3,)
    np.testing.assert_allclose(np.asarray(per_channel.adapt_mean),
                               x_train.reshape(-1, 3).mean(axis=0), rtol=1e-5)
    channels = per_channel(x_train.astype("float32")).reshape(-1, 3)
    np.testing.assert_allclose(channels.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(channels.std(axis=0), 1, atol=1e-3)

    # Image data augmentation, inside the model.
    data_augmentation = keras.Sequential([
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ])
    input_shape = x_train.shape[1:]
    inputs = keras.Input(shape=input_shape)
    x = data_augmentation(inputs)
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(4, 3, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    history = model.fit(x_train.astype("float32"), y_train, batch_size=16, epochs=1,
                        steps_per_epoch=3, verbose=0)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])

    # Augmentation runs in training only: predict is deterministic, and the
    # augmentation block passes images through unchanged outside training.
    images = x_train[:4].astype("float32")
    np.testing.assert_array_equal(model.predict(images, verbose=0),
                                  model.predict(images, verbose=0))
    np.testing.assert_array_equal(data_augmentation(images, training=False), images)
    assert not np.allclose(data_augmentation(images, training=True), images)
