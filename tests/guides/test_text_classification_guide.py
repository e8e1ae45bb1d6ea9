"""Keras's example "Text classification from scratch", scaled down.

The example (keras.io/examples/nlp/text_classification_from_scratch) reads the
IMDB reviews with ``text_dataset_from_directory``, standardizes them with a
custom function (lower-case, strip ``<br />`` and punctuation), vectorizes with
``TextVectorization(max_tokens, output_mode="int", output_sequence_length)``,
and trains Embedding -> Conv1D -> GlobalMaxPooling1D -> Dense. Here a tiny
made-up corpus with an obvious signal ("good"/"great" vs "bad"/"awful") stands
in for IMDB (no network), the sizes are small, and ``dataset.map(vectorize)``
becomes a call on the arrays. The end-to-end model takes raw strings
(``keras.Input(shape=(1,), dtype="string")``), is compiled and evaluated on the
test texts exactly as in the example, and saved with its vocabulary.
"""
import re
import string

import numpy as np

import kerastutor as keras
from kerastutor import layers

POSITIVE = ["good", "great", "lovely", "fine"]
NEGATIVE = ["bad", "awful", "boring", "poor"]
FILLER = ["the", "movie", "was", "plot", "acting", "a", "film", "story", "and", "really"]


def corpus(n, seed):
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(0, 2))
        words = list(rng.choice(FILLER, size=6))
        words.insert(int(rng.integers(0, 6)), str(rng.choice(POSITIVE if label else NEGATIVE)))
        texts.append(" ".join(words).capitalize() + "!<br />")
        labels.append(label)
    return np.array(texts), np.array(labels, dtype="float32")


def custom_standardization(input_data):
    """The example's function, in NumPy: lower-case, drop "<br />", strip punctuation."""
    lowercase = np.char.lower(input_data)
    stripped_html = np.char.replace(lowercase, "<br />", " ")
    pattern = re.compile(f"[{re.escape(string.punctuation)}]")
    return np.vectorize(lambda text: pattern.sub("", text), otypes=[str])(stripped_html)


def test_text_classification_from_scratch(tmp_path):
    keras.utils.set_random_seed(1337)
    x_train, y_train = corpus(160, seed=0)
    x_test, y_test = corpus(40, seed=1)
    max_features = 50
    embedding_dim = 16
    sequence_length = 12

    vectorize_layer = layers.TextVectorization(
        standardize=custom_standardization, max_tokens=max_features,
        output_mode="int", output_sequence_length=sequence_length)
    vectorize_layer.adapt(x_train)
    assert "br" not in vectorize_layer.get_vocabulary()        # the custom function ran
    assert vectorize_layer.vocabulary_size() <= max_features

    def vectorize_text(text, label):
        text = np.expand_dims(text, -1)
        return vectorize_layer(text), label

    train_x, train_y = vectorize_text(x_train, y_train)
    test_x, test_y = vectorize_text(x_test, y_test)
    assert train_x.shape == (160, sequence_length) and train_x.dtype == np.int64

    inputs = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(max_features, embedding_dim)(inputs)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv1D(16, 3, padding="valid", activation="relu", strides=1)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(16, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
    model = keras.Model(inputs, predictions)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    model.fit(train_x, train_y, validation_data=(test_x, test_y), epochs=25, batch_size=32,
              verbose=0)
    _, accuracy = model.evaluate(test_x, test_y, verbose=0)
    assert accuracy >= 0.85

    # A string input
    inputs = keras.Input(shape=(1,), dtype="string")
    # Turn strings into vocab indices
    indices = vectorize_layer(inputs)
    # Turn vocab indices into predictions
    outputs = model(indices)

    # Our end to end model
    end_to_end_model = keras.Model(inputs, outputs)
    end_to_end_model.compile(
        loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"]
    )

    # Test it with the raw test texts (the example's `raw_test_ds`, which yields strings)
    raw_x_test = np.expand_dims(x_test, -1)
    _, end_to_end_accuracy = end_to_end_model.evaluate(raw_x_test, y_test, verbose=0)
    assert end_to_end_accuracy == accuracy        # the same model, fed text instead of ids

    texts = np.array([["A really great film!"], ["The plot was awful."]])
    probabilities = end_to_end_model.predict(texts, verbose=0)
    assert probabilities.shape == (2, 1)
    assert probabilities[0, 0] > 0.5 > probabilities[1, 0]

    # Saved with its vocabulary (in the file's assets/); the standardize function is
    # the example's own, so loading names it in custom_objects, as Keras needs too.
    end_to_end_model.save(tmp_path / "end_to_end.keras")
    restored = keras.models.load_model(
        tmp_path / "end_to_end.keras",
        custom_objects={"custom_standardization": custom_standardization})
    np.testing.assert_allclose(restored.predict(texts, verbose=0), probabilities, rtol=1e-6)
