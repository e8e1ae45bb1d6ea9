"""to_categorical and normalize: Keras's shapes and dtypes, and errors that explain."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kerastutor.utils.numerical import normalize, to_categorical
from strategies import float_arrays


# ------------------------------------------------------------ to_categorical
def test_to_categorical_by_hand():
    np.testing.assert_array_equal(to_categorical([0, 2, 1], num_classes=4),
                                  [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]])


def test_num_classes_defaults_to_the_largest_label_plus_one():
    assert to_categorical([3, 1]).shape == (2, 4)
    assert to_categorical([3, 1], num_classes=0).shape == (2, 4)    # Keras: falsy = infer


def test_output_is_float64_as_in_keras():
    assert to_categorical([0, 1]).dtype == np.float64
    assert to_categorical(np.array([0, 1], dtype=np.uint8), 3).dtype == np.float64


@pytest.mark.parametrize("labels, shape", [
    (np.array([[1], [3]]), (2, 4)),               # (N, 1) -> (N, C): the 1 is dropped
    (np.array([[0, 1], [2, 3]]), (2, 2, 4)),      # other shapes just gain a class axis
    (np.array([[[1], [0]]]), (1, 2, 2)),
    (np.array(2), (3,)),                          # one label, one row
])
def test_output_shape(labels, shape):
    assert to_categorical(labels).shape == shape


def test_whole_floats_and_booleans_are_labels():
    np.testing.assert_array_equal(to_categorical([1.0, 0.0]), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(to_categorical([True, False]), [[0, 1], [1, 0]])


def test_empty_labels_with_a_class_count():
    assert to_categorical(np.zeros(0, dtype=int), num_classes=3).shape == (0, 3)


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.integers(0, 6)),
       st.integers(0, 3))
def test_one_hot_rows_hold_a_single_one_at_the_label(labels, extra_classes):
    num_classes = int(labels.max()) + 1 + extra_classes
    one_hot = to_categorical(labels, num_classes)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    assert one_hot.shape == labels.shape + (num_classes,)
    np.testing.assert_array_equal(one_hot.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(one_hot.argmax(axis=-1), labels)


@pytest.mark.parametrize("labels, message", [
    ([0, 0.5, 1], r"whole class indices, got the value 0\.5.*np\.argmax"),
    ([0, np.nan], "whole class indices, got the value nan"),
    ([1, -2, 0], "must be >= 0, got -2.*start at 0"),
    (["cat", "dog"], "integer class indices.*map class names to 0..C-1"),
])
def test_bad_labels_are_named_with_a_hint(labels, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(labels)


def test_a_label_too_large_for_num_classes_names_both():
    with pytest.raises(ValueError, match=r"largest label is 7, but num_classes=5 only allows "
                                         r"labels 0\.\.4.*num_classes=8"):
        to_categorical([1, 7, 3], num_classes=5)


@pytest.mark.parametrize("num_classes", [2.5, "10", -1, True])
def test_num_classes_must_be_a_positive_integer(num_classes):
    with pytest.raises(ValueError, match="`num_classes` must be a positive integer"):
        to_categorical([0, 1], num_classes)


def test_empty_labels_cannot_infer_the_class_count():
    with pytest.raises(ValueError, match="cannot infer num_classes"):
        to_categorical([])


# -------------------------------------------------------------------- normalize
def test_normalize_by_hand_and_zero_vectors_stay_zero():
    np.testing.assert_allclose(normalize(np.array([[3.0, 4.0], [0.0, 0.0]])),
                               [[0.6, 0.8], [0.0, 0.0]])


def test_normalize_along_the_first_axis():
    # Keras 3.15's NumPy path turns axis=0 into -1; the columns are what was asked for.
    x = np.array([[3.0, 1.0], [4.0, 0.0]])
    np.testing.assert_allclose(normalize(x, axis=0), [[0.6, 1.0], [0.8, 0.0]])


def test_normalize_with_other_orders():
    x = np.array([[1.0, -3.0]])
    np.testing.assert_allclose(normalize(x, order=1), [[0.25, -0.75]])
    np.testing.assert_allclose(normalize(x, order=np.inf), [[1 / 3, -1.0]])


def test_normalize_keeps_float_dtypes_and_shape():
    assert normalize(np.ones((2, 3), dtype=np.float32)).dtype == np.float32
    assert normalize(np.ones((2, 3), dtype=np.float64)).dtype == np.float64
    assert normalize(np.array([[3, 4]])).dtype == np.float64
    assert normalize(np.array([3.0, 4.0])).shape == (2,)


def test_normalize_returns_a_new_array():
    x = np.array([[3.0, 4.0]])
    normalize(x)
    np.testing.assert_array_equal(x, [[3.0, 4.0]])


@settings(max_examples=25, deadline=None)
@given(float_arrays(low=-100, high=100),
       st.sampled_from([1, 2, 3, np.inf]), st.data())
def test_normalized_vectors_have_unit_norm_and_the_same_direction(x, order, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    unit = normalize(x, axis=axis, order=order)
    norms = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    unit_norms = np.linalg.norm(unit, ord=order, axis=axis, keepdims=True)
    np.testing.assert_allclose(unit_norms[norms > 1e-6], 1.0, rtol=1e-9)
    # Multiplying back by the original length recovers x: same direction.
    nonzero = np.broadcast_to(norms > 1e-6, x.shape)
    np.testing.assert_allclose((unit * norms)[nonzero], x[nonzero], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"axis": None}, "`axis` must be an integer, got None"),
    ({"axis": 2}, "`axis`=2 is out of range for an array of shape"),
    ({"order": "fro"}, "`order` must be a number"),
])
def test_normalize_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        normalize(np.ones((2, 3)), **kwargs)
