"""Models that take text: ``keras.Input(dtype="string")`` feeding lookup and text layers.

Keras lets a model start from raw strings when its first layers turn them
into numbers (StringLookup, TextVectorization, Hashing). Here: the string
Input, the symbolic dtypes of those layers' outputs (as Keras's
``compute_output_spec`` gives them), ``fit``/``predict``/``evaluate`` on
string arrays, the backward that stops before the strings, and the refusal
of text for a model whose input is numeric.
"""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers

COLOURS = np.array([["red"], ["green"], ["blue"], ["red"], ["green"], ["red"]])
TARGETS = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 1.0], dtype="float32")
TEXTS = np.array([["a great film"], ["an awful plot"], ["great acting"], ["awful, awful"]])
LABELS = np.array([1.0, 0.0, 1.0, 0.0], dtype="float32")


@pytest.mark.parametrize("name", ["string", "str", str])
def test_a_string_input_is_named_string_as_in_keras(name):
    inputs = keras.Input(shape=(1,), dtype=name)
    assert inputs.dtype == "string"
    assert inputs.history[0].get_config()["dtype"] == "string"


def test_numeric_input_dtypes_are_unchanged():
    assert keras.Input(shape=(3,)).dtype == "float32"
    assert keras.Input(shape=(3,), dtype="int64").dtype == "int64"


@pytest.mark.parametrize("make, dtype", [
    (lambda: layers.StringLookup(vocabulary=["a", "b"]), "int64"),
    (lambda: layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot"), "float32"),
    (lambda: layers.StringLookup(vocabulary=["a", "b"], output_mode="count"), "float32"),
    (lambda: layers.TextVectorization(vocabulary=["a", "b"]), "int64"),
    (lambda: layers.TextVectorization(vocabulary=["a", "b"], output_mode="multi_hot"),
     "float32"),
    (lambda: layers.Hashing(num_bins=4), "int64"),
    (lambda: layers.Hashing(num_bins=4, output_mode="one_hot"), "float32"),
])
def test_symbolic_dtypes_of_text_layers_are_their_output_dtypes(make, dtype):
    """As Keras's compute_output_spec: int64 indices in "int" mode, floatx otherwise."""
    assert make()(keras.Input(shape=(1,), dtype="string")).dtype == dtype


def test_symbolic_dtypes_of_integer_and_inverted_lookups():
    ids = keras.Input(shape=(2,), dtype="int64")
    assert layers.IntegerLookup(vocabulary=[3, 7])(ids).dtype == "int64"
    assert layers.StringLookup(vocabulary=["a"], invert=True)(ids).dtype == "string"
    assert layers.Discretization(bin_boundaries=[0.0])(keras.Input(shape=(2,))).dtype \
        == "int32"
    assert layers.Dense(2)(layers.CategoryEncoding(3)(ids)).dtype == "float32"


def lookup_model():
    """Keras's guide pattern: string -> StringLookup -> one-hot -> Dense."""
    keras.utils.set_random_seed(3)
    lookup = layers.StringLookup(output_mode="one_hot")
    lookup.adapt(COLOURS)
    inputs = keras.Input(shape=(1,), dtype="string")
    outputs = layers.Dense(1)(lookup(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model, lookup


def test_fit_predict_evaluate_on_strings_with_a_string_lookup():
    model, _ = lookup_model()
    before = model.evaluate(COLOURS, TARGETS, verbose=0)
    history = model.fit(COLOURS, TARGETS, epochs=30, batch_size=3, verbose=0)
    after = model.evaluate(COLOURS, TARGETS, verbose=0)
    assert after < before / 10
    assert history.history["loss"][-1] < history.history["loss"][0]
    prediction = model.predict(np.array([["red"], ["blue"], ["purple"]]), verbose=0)
    assert prediction.shape == (3, 1)
    np.testing.assert_allclose(prediction[:2, 0], [1.0, 3.0], atol=0.3)


def test_the_gradient_is_the_one_of_the_numeric_twin():
    """Training on strings updates the Dense exactly as training on its one-hot input."""
    model, lookup = lookup_model()
    twin_inputs = keras.Input(shape=(lookup.vocabulary_size(),))
    twin = keras.Model(twin_inputs, layers.Dense(1)(twin_inputs))
    twin.set_weights(model.get_weights())
    twin.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(COLOURS, TARGETS, epochs=1, batch_size=6, shuffle=False, verbose=0)
    twin.fit(lookup(COLOURS), TARGETS, epochs=1, batch_size=6, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_python_strings_in_an_object_array_are_text_too():
    model, _ = lookup_model()
    objects = np.array(["red", "blue"], dtype=object).reshape(2, 1)
    assert model.predict(objects, verbose=0).shape == (2, 1)
    with pytest.raises(TypeError, match="not strings"):
        model.predict(np.array([["red"], [3]], dtype=object), verbose=0)


def test_fit_on_strings_with_text_vectorization_and_an_embedding():
    keras.utils.set_random_seed(5)
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=3)
    vectorize.adapt(TEXTS.ravel())
    inputs = keras.Input(shape=(1,), dtype="string")
    x = layers.Embedding(20, 4)(vectorize(inputs))
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(TEXTS, LABELS, epochs=60, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(TEXTS, LABELS, verbose=0)
    assert accuracy == 1.0
    assert model.predict(np.array([["great"], ["awful"]]), verbose=0).ravel().round() \
        .tolist() == [1.0, 0.0]


def test_an_end_to_end_model_around_a_trained_model():
    """The text-classification example's pattern: Input(string) -> vectorize -> model."""
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=3)
    vectorize.adapt(TEXTS.ravel())
    ids = keras.Input(shape=(None,), dtype="int64")
    inner = keras.Model(ids, layers.Dense(1)(layers.GlobalAveragePooling1D()(
        layers.Embedding(20, 4)(ids))))
    inputs = keras.Input(shape=(1,), dtype="string")
    end_to_end = keras.Model(inputs, inner(vectorize(inputs)))
    end_to_end.compile(optimizer="adam", loss="mse")
    end_to_end.fit(TEXTS, LABELS, epochs=2, verbose=0)
    np.testing.assert_allclose(end_to_end.predict(TEXTS, verbose=0),
                               inner.predict(vectorize(TEXTS), verbose=0), rtol=1e-6)


def test_a_numeric_model_still_refuses_strings_with_the_fix():
    inputs = keras.Input(shape=(1,))
    model = keras.Model(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="x holds strings.*needs numbers"):
        model.fit(COLOURS, TARGETS, verbose=0)
    with pytest.raises(TypeError, match="x holds strings"):
        model.predict(COLOURS, verbose=0)


def test_string_targets_are_still_refused_for_a_string_model():
    model, _ = lookup_model()
    with pytest.raises(TypeError, match="y holds strings"):
        model.fit(COLOURS, COLOURS, verbose=0)


def test_a_layer_without_backward_after_a_trainable_layer_is_still_refused():
    """Only the layers before any trainable weight are spared a backward."""
    inputs = keras.Input(shape=(1,))
    x = layers.Dense(3)(inputs)
    outputs = layers.Discretization(bin_boundaries=[0.0])(x)
    model = keras.Model(inputs, outputs)
    with pytest.raises(NotImplementedError, match="has no backward"):
        model.compile(optimizer="sgd", loss="mse")
