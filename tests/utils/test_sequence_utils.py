"""pad_sequences: Keras 3.15.1's goldens and errors (reference sheet §1.6)."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor.preprocessing import sequence

pad = keras.utils.pad_sequences
SEQS = [[1], [2, 3], [4, 5, 6]]


@pytest.mark.parametrize("kwargs, expected", [
    ({}, [[0, 0, 1], [0, 2, 3], [4, 5, 6]]),
    ({"maxlen": 2}, [[0, 1], [2, 3], [5, 6]]),
    ({"maxlen": 2, "padding": "post", "truncating": "post"}, [[1, 0], [2, 3], [4, 5]]),
    ({"maxlen": 4, "value": -1}, [[-1, -1, -1, 1], [-1, -1, 2, 3], [-1, 4, 5, 6]]),
    ({"padding": "post"}, [[1, 0, 0], [2, 3, 0], [4, 5, 6]]),
])
def test_goldens(kwargs, expected):
    out = pad(SEQS, **kwargs)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, expected)


def test_floats_truncate_with_int32_and_keep_with_float_dtype():
    np.testing.assert_array_equal(pad([[1.7, -2.5], [3.9]]), [[1, -2], [0, 3]])
    out = pad([[1.7, -2.5], [3.9]], dtype="float32", value=0.5)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[1.7, -2.5], [0.5, 3.9]])


def test_empty_sequences_and_nd_samples():
    np.testing.assert_array_equal(pad([[], [1, 2]]), [[0, 0], [1, 2]])
    empty = pad([[], []])
    assert empty.shape == (2, 0) and empty.dtype == np.int32
    np.testing.assert_array_equal(pad([[[1, 2]], [[3, 4], [5, 6]]]),
                                  [[[0, 0], [1, 2]], [[3, 4], [5, 6]]])
    assert pad(np.array([[1, 2], [3, 4]])).dtype == np.int32


def test_strings_with_object_dtype():
    out = pad([["a"], ["b", "c"]], dtype=object, value="")
    assert out.tolist() == [["", "a"], ["b", "c"]]


@pytest.mark.parametrize("args, kwargs, message", [
    (([],), {}, "zero-size array to reduction operation maximum"),
    (([[1, 2], [3]],), {"maxlen": 0}, "could not broadcast"),
    (([[1], [2]],), {"value": "x"}, "`dtype` int32 is not compatible with `value`'s type"),
    ((SEQS,), {"padding": "mid"}, 'Padding type "mid" not understood'),
    ((SEQS,), {"truncating": "mid", "maxlen": 2}, 'Truncating type "mid" not understood'),
    (([1, 2],), {}, "`sequences` must be a list of iterables. Found non-iterable: 1"),
    ((5,), {}, "`sequences` must be iterable."),
    (([[[1, 2]], [[3, 4, 5]]],), {}, r"Shape of sample \(3,\) of sequence at position 1"),
])
def test_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pad(*args, **kwargs)


def test_truncating_is_checked_per_non_empty_sequence():
    # Keras checks `truncating` inside its loop, for every non-empty sequence (checked
    # against Keras 3.15.1): a short one raises too, only all-empty input passes.
    with pytest.raises(ValueError, match='Truncating type "mid"'):
        pad([[1]], maxlen=3, truncating="mid")
    assert pad([[], []], truncating="mid").shape == (2, 0)


def test_same_object_in_preprocessing_sequence():
    assert sequence.pad_sequences is keras.utils.pad_sequences
    assert keras.preprocessing.sequence.pad_sequences is pad
