"""Bad arguments to fit / evaluate / predict fail before any work, with a kind error.

Each error names the argument, what was expected, what was given and the fix
(issue 13, item 5); valid inputs of every accepted kind keep working.
"""
import warnings

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers

X = np.random.default_rng(0).random((20, 3)).astype("float32")
Y = (X.sum(axis=1) > 1.5).astype("int64")


def classifier():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def call(method, **kwargs):
    """``model.method(...)`` on good data, with ``kwargs`` replacing arguments."""
    model = classifier()
    args = {"x": X, "verbose": 0}
    if method != "predict":
        args["y"] = Y
    args.update(kwargs)
    return getattr(model, method)(**args)


def assert_kind(error, *words):
    message = str(error.value)
    for word in words + ("Fix",):
        assert word in message, f"{word!r} missing from: {message}"


# ------------------------------------------------------------------ counts
@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
@pytest.mark.parametrize("value", [-1, 0])
def test_non_positive_batch_size_is_refused(method, value):
    with pytest.raises(ValueError) as error:
        call(method, batch_size=value)
    assert_kind(error, f"{method}(batch_size=", "positive integer", f"got {value}")


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
@pytest.mark.parametrize("value", [2.5, 32.0, "32", True])
def test_non_integer_batch_size_is_refused(method, value):
    with pytest.raises(TypeError) as error:
        call(method, batch_size=value)
    assert_kind(error, "batch_size", "whole number", repr(value))


def test_numpy_integer_batch_size_is_fine():
    history = call("fit", batch_size=np.int64(4))
    assert len(history.history["loss"]) == 1


@pytest.mark.parametrize("method, name, value, error_type", [
    ("fit", "steps_per_epoch", 0, ValueError),
    ("fit", "steps_per_epoch", -2, ValueError),
    ("fit", "steps_per_epoch", 1.5, TypeError),
    ("fit", "validation_steps", 0, ValueError),
    ("fit", "validation_steps", 2.0, TypeError),
    ("fit", "validation_batch_size", -4, ValueError),
    ("fit", "epochs", -1, ValueError),
    ("fit", "epochs", 2.0, TypeError),
    ("fit", "initial_epoch", -1, ValueError),
    ("evaluate", "steps", 0, ValueError),
    ("evaluate", "steps", -1, ValueError),
    ("predict", "steps", 0, ValueError),
    ("predict", "steps", 1.0, TypeError),
])
def test_bad_counts_are_refused(method, name, value, error_type):
    extra = {"validation_split": 0.25} if name.startswith("validation") else {}
    with pytest.raises(error_type) as error:
        call(method, **{name: value}, **extra)
    assert_kind(error, f"{method}({name}=", repr(value))


def test_bad_count_fails_before_building_the_model():
    model = keras.Sequential([layers.Dense(2)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError):
        model.fit(X, X[:, :2], epochs=-1, verbose=0)
    assert not model.built


def test_epochs_zero_trains_nothing_as_in_keras():
    model = classifier()
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(X, Y, epochs=0, verbose=0)
    assert history.history == {}
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_evaluate_with_explicit_batch_size_and_steps_still_works():
    loss, accuracy = call("evaluate", batch_size=8, steps=2)
    assert loss > 0 and 0 <= accuracy <= 1


# ------------------------------------------------------------------ empty data
@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_empty_arrays_are_refused(method):
    kwargs = {"x": X[:0]} if method == "predict" else {"x": X[:0], "y": Y[:0]}
    with pytest.raises(ValueError) as error:
        call(method, **kwargs)
    assert_kind(error, "x is empty", "0 samples")


def test_empty_targets_are_refused():
    with pytest.raises(ValueError) as error:
        call("fit", y=Y[:0])
    assert_kind(error, "y is empty")


def test_empty_validation_data_is_refused():
    with pytest.raises(ValueError) as error:
        call("fit", validation_data=(X[:0], Y[:0]))
    assert_kind(error, "empty")


def test_a_scalar_is_refused():
    with pytest.raises(ValueError) as error:
        call("predict", x=np.float32(3.0))
    assert_kind(error, "x is a single number", "per sample")


# ------------------------------------------------------------------ class_weight
@pytest.mark.parametrize("key", [5, -1, 2, 0.5, "cat"])
def test_class_weight_outside_the_classes_is_refused(key):
    with pytest.raises(ValueError) as error:
        call("fit", class_weight={0: 1.0, key: 2.0})
    assert_kind(error, "fit(class_weight=", repr(key), "0 to 1")


def test_class_weight_on_one_sigmoid_unit_allows_classes_0_and_1():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    model.fit(X, Y, class_weight={0: 1.0, 1: 3.0}, verbose=0)
    with pytest.raises(ValueError, match="key 2"):
        model.fit(X, Y, class_weight={2: 1.0}, verbose=0)


def test_train_on_batch_checks_class_weight_too():
    with pytest.raises(ValueError) as error:
        classifier().train_on_batch(X, Y, class_weight={7: 1.0})
    assert_kind(error, "train_on_batch(class_weight=", "7")


def test_valid_class_weight_still_weighs_the_loss():
    plain = call("evaluate")
    history = call("fit", class_weight={0: 1.0, 1: 4.0}, shuffle=False)
    assert np.isfinite(history.history["loss"][0]) and np.isfinite(plain[0])


# ------------------------------------------------------------------ kinds of data
def test_ragged_list_says_what_was_found_and_to_pad():
    with pytest.raises(ValueError) as error:
        call("fit", x=[[1, 2, 3], [1, 2]], y=[0, 1])
    assert_kind(error, "x is a ragged list", "lengths 3, 2", "pad")


def test_ragged_list_of_arrays_kept_as_objects_is_refused():
    ragged = np.empty(2, dtype=object)
    ragged[0], ragged[1] = np.zeros(3), np.zeros(2)
    with pytest.raises(ValueError) as error:
        call("predict", x=ragged)
    assert_kind(error, "ragged", "pad")


def test_strings_are_refused_with_the_fix():
    with pytest.raises(TypeError) as error:
        call("fit", x=np.array([["a", "b", "c"]]), y=[0])
    assert_kind(error, "x holds strings", "'a'", "numbers")


def test_string_targets_are_refused():
    with pytest.raises(TypeError) as error:
        call("fit", y=np.array(["yes", "no"] * 10))
    assert_kind(error, "y holds strings")


def test_complex_numbers_are_refused_with_the_fix():
    with pytest.raises(TypeError) as error:
        call("predict", x=X + 1j)
    assert_kind(error, "x holds complex numbers", "x.real, x.imag")


def test_none_values_are_refused_with_the_fix():
    with pytest.raises(TypeError) as error:
        call("evaluate", x=np.array([[1.0, None, 2.0]]), y=[0])
    assert_kind(error, "dtype object", "NoneType", "replace missing values")


@pytest.mark.parametrize("weights, error_type, words", [
    ([1.0, [2.0, 3.0]] + [1.0] * 18, ValueError, ("sample_weight is a ragged list",)),
    (["heavy"] * 20, TypeError, ("sample_weight holds strings",)),
    ([], ValueError, ("sample_weight is empty",)),
    (2.0, ValueError, ("sample_weight is a single number",)),
    (np.ones(19), ValueError, ("sample_weight has 19 entries for 20 samples",)),
    (np.r_[np.ones(5), np.nan, np.ones(14)], ValueError, ("NaN or infinity",
                                                          "first at sample 5")),
])
@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_bad_sample_weight_is_refused_with_the_fix(method, weights, error_type, words):
    with pytest.raises(error_type) as error:
        call(method, sample_weight=weights)
    assert_kind(error, f"{method}: sample_weight", *words)


def test_sample_weight_as_a_list_or_int_array_still_weighs_the_loss():
    model = classifier()
    plain = model.evaluate(X, Y, batch_size=20, verbose=0)
    doubled = model.evaluate(X, Y, batch_size=20, sample_weight=[2] * 20, verbose=0)
    as_ints = model.evaluate(X, Y, batch_size=20, sample_weight=np.full(20, 2, np.int64),
                             verbose=0)
    assert doubled[0] == pytest.approx(2 * plain[0]) and as_ints[0] == doubled[0]


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_a_generator_is_read_as_a_stream(method):
    """Issue 15: a generator is a stream of batches (tests/models/test_streams.py)."""
    batches = ((X[i:i + 4], Y[i:i + 4]) for i in range(0, 20, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # shuffle ignored / ran out of data
        result = call(method, x=batches, **({} if method == "predict" else {"y": None}))
    if method == "predict":
        assert result.shape == (20, 2)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_an_iterator_that_is_not_a_generator_is_refused_as_keras_does(method):
    with pytest.raises(ValueError) as error:
        call(method, x=iter([X]), **({} if method == "predict" else {"y": None}))
    assert_kind(error, "Unrecognized data type: x=", "list_iterator", "PyDataset", "generator")


# ------------------------------------------------------------------ overflow
def fit_recording_warnings(x, y=Y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        classifier().fit(x, y, epochs=2, batch_size=4, verbose=0)
    return [w for w in caught if "too large for float32" in str(w.message)]


def test_float64_beyond_float32_warns_once_with_the_fix():
    caught = fit_recording_warnings(X.astype("float64") * 1e39)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "x up to" in message and "rescale" in message and "Fix" in message


def test_float32_values_whose_square_overflows_warn_once():
    caught = fit_recording_warnings(X * np.float32(1e38))
    assert len(caught) == 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the network overflows, as warned
def test_values_beyond_float32_are_not_mistaken_for_infinities():
    """They are clipped to float32's largest value (after the warning), not refused as inf."""
    with pytest.warns(UserWarning, match="too large for float32"):
        out = classifier().predict(np.full((2, 3), 1e39), verbose=0)
    assert out.shape == (2, 2)


def test_ordinary_values_do_not_warn():
    assert fit_recording_warnings(X.astype("float64") * 1e6) == []


# ------------------------------------------------------------------ valid inputs
class ArrayLike:
    """Any object with ``__array__`` (a DataFrame, a tensor) is data."""

    def __init__(self, array):
        self.array = array

    def __array__(self, dtype=None, copy=None):
        return self.array if dtype is None else self.array.astype(dtype)


@pytest.mark.parametrize("x", [
    X.astype(bool), X.astype(np.float16), (X * 10).astype(np.int64), X.astype(np.float64),
    X.tolist(), ArrayLike(X),
], ids=["bool", "float16", "int64", "float64", "list", "__array__"])
def test_valid_inputs_keep_working(x):
    model = classifier()
    history = model.fit(x, Y, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.predict(x, verbose=0).shape == (20, 2)
    assert np.isfinite(model.evaluate(x, Y, verbose=0)[0])


def test_unbuilt_sequential_takes_a_list_of_rows():
    model = keras.Sequential([layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(X.tolist(), Y.tolist(), verbose=0)
    assert model.predict(X.tolist(), verbose=0).shape == (20, 2)


def two_input_model():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    out = layers.Dense(1)(layers.Concatenate()([a, b]))
    model = keras.Model([a, b], out)
    model.compile("sgd", "mse")
    return model


def test_multi_input_lists_and_dicts_keep_working():
    model = two_input_model()
    xb = X[:, :2]
    model.fit([X, xb], Y.astype("float32"), verbose=0)
    model.fit({"a": X, "b": xb}, Y.astype("float32"), verbose=0)
    assert model.predict([X, xb], verbose=0).shape == (20, 1)
    assert model.predict({"a": X.tolist(), "b": xb.tolist()}, verbose=0).shape == (20, 1)


def test_multi_input_with_one_empty_array_names_it():
    with pytest.raises(ValueError, match=r"x\[1\] is empty"):
        two_input_model().predict([X, X[:0, :2]], verbose=0)


class TwoInputs(keras.Model):
    """Subclassed, so it is built by its first data: lists must be told apart by shape."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(1)

    def call(self, inputs):
        first, second = inputs
        return self.dense(keras.ops.concatenate([first, second], axis=-1))


def test_unbuilt_subclassed_model_takes_one_python_list_per_input():
    out = TwoInputs().predict([X.tolist(), X[:, :2].tolist()], verbose=0)
    assert out.shape == (20, 1)


def test_nan_is_still_refused_next_to_large_values():
    x = X.astype("float64")
    x[0, 0], x[1, 1] = np.nan, 1e39
    with pytest.warns(UserWarning, match="too large"), pytest.raises(ValueError, match="NaN"):
        classifier().fit(x, Y, verbose=0)
