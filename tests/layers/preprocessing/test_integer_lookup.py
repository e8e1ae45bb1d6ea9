"""IntegerLookup: Keras 3.15.1's goldens (reference sheet §2.9), floormod OOV, config."""
import numpy as np
import pytest

import kerastutor as keras

IntegerLookup = keras.layers.IntegerLookup


def test_lookup_golden():
    layer = IntegerLookup(vocabulary=[12, 36, 1138, 42])
    y = layer(np.array([[12, 1138, 42], [42, 1000, 36]]))
    np.testing.assert_array_equal(y, [[1, 3, 4], [4, 0, 2]])
    assert y.dtype == np.int64
    assert layer.get_vocabulary() == [-1, 12, 36, 1138, 42]


def test_adapt_golden():
    layer = IntegerLookup()
    layer.adapt(np.array([12, 36, 1138, 42, 42, 36, 36]))
    assert layer.get_vocabulary() == [-1, 36, 42, 1138, 12]


def test_mask_golden():
    layer = IntegerLookup(vocabulary=[12, 36], mask_token=0)
    np.testing.assert_array_equal(layer(np.array([0, 12, 36, 7])), [0, 2, 3, 1])
    assert layer.get_vocabulary() == [0, -1, 12, 36]


def test_several_oov_slots_use_floor_mod_or_farmhash():
    layer = IntegerLookup(vocabulary=[100], num_oov_indices=3)
    # unknown v goes to slot v mod 3 (floor mod: -1 -> 2)
    np.testing.assert_array_equal(layer(np.array([4, 5, 6, -1, 100])), [1, 2, 0, 2, 3])
    hashed = IntegerLookup(vocabulary=[100], num_oov_indices=3, oov_method="farmhash")
    from kerastutor.layers.preprocessing.hashing import fingerprint64
    assert hashed(np.array([4]))[0] == fingerprint64(b"4") % 3


def test_invert_and_encodings():
    inverse = IntegerLookup(vocabulary=[12, 36], invert=True)
    np.testing.assert_array_equal(inverse(np.array([1, 2, 0, 9])), [12, 36, -1, -1])
    counts = IntegerLookup(vocabulary=[12, 36], output_mode="count")
    np.testing.assert_array_equal(counts(np.array([[12, 12, 5]])), [[1, 2, 0]])
    # a model casts ids to floats: whole floats are still read as integers
    np.testing.assert_array_equal(IntegerLookup(vocabulary=[12])(np.array([12.0])), [1])


def test_errors():
    with pytest.raises(ValueError, match="vocabulary_dtype='int64'"):
        IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(ValueError, match="salt` can only be used"):
        IntegerLookup(salt=3)
    with pytest.raises(ValueError, match="must >= 0"):
        IntegerLookup(num_oov_indices=-1)
    with pytest.raises(ValueError, match="integers"):
        IntegerLookup(vocabulary=[1])(np.array([1.5]))


def test_config_round_trip():
    layer = IntegerLookup(vocabulary=np.array([12, 36]), mask_token=0)
    config = layer.get_config()
    assert config["vocabulary"] == [12, 36] and config["vocabulary_dtype"] == "int64"
    assert "encoding" not in config and config["mask_token"] == 0
    again = IntegerLookup.from_config(config)
    np.testing.assert_array_equal(again(np.array([36, 0, 5])), [3, 0, 1])
