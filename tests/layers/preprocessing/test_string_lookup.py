"""StringLookup: Keras 3.15.1's goldens (reference sheet §2.9), adapt order, errors, config."""
import numpy as np
import pytest

import kerastutor as keras

StringLookup = keras.layers.StringLookup


def test_lookup_golden():
    layer = StringLookup(vocabulary=["a", "b", "c"])
    y = layer(np.array([["a", "c", "d"], ["b", "z", "a"]]))
    np.testing.assert_array_equal(y, [[1, 3, 0], [2, 0, 1]])
    assert y.dtype == np.int64
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    assert layer.get_vocabulary(include_special_tokens=False) == ["a", "b", "c"]
    assert layer.vocabulary_size() == 4


def test_mask_and_hashed_oov_slots_golden():
    layer = StringLookup(vocabulary=["a", "b", "c"], mask_token="", num_oov_indices=2)
    np.testing.assert_array_equal(layer(np.array(["", "a", "q", "zz", "c"])), [0, 3, 2, 1, 5])
    assert layer.get_vocabulary() == ["", "[UNK]", "[UNK]", "a", "b", "c"]


def test_invert_golden():
    layer = StringLookup(vocabulary=["a", "b", "c"], invert=True)
    assert layer(np.array([0, 1, 3])).tolist() == ["[UNK]", "a", "c"]
    assert layer(np.array([[7, 2]])).tolist() == [["[UNK]", "b"]]       # out of range: OOV


def test_encoded_outputs_golden():
    vocab = ["a", "b", "c"]
    y = StringLookup(vocabulary=vocab, output_mode="one_hot")(np.array(["a", "c", "d"]))
    np.testing.assert_array_equal(y, [[0, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]])
    assert y.dtype == np.int64
    x = np.array([["a", "c", "c", "d"]])
    np.testing.assert_array_equal(StringLookup(vocabulary=vocab, output_mode="multi_hot")(x),
                                  [[1, 1, 0, 1]])
    np.testing.assert_array_equal(StringLookup(vocabulary=vocab, output_mode="count")(x),
                                  [[1, 1, 0, 2]])
    y = StringLookup(vocabulary=vocab, output_mode="tf_idf", idf_weights=[0.5, 1.0, 2.0])(x)
    assert y.dtype == np.float32
    # the OOV slot's idf is the mean of the given weights: 3.5 / 3
    assert y.tolist() == [[1.1666666269302368, 0.5, 0.0, 4.0]]


def test_adapt_goldens_sort_by_count_then_token_descending():
    layer = StringLookup()
    layer.adapt(np.array(["b", "a", "b", "c", "b", "a"]))
    assert layer.get_vocabulary() == ["[UNK]", "b", "a", "c"]
    layer = StringLookup(max_tokens=3)
    layer.adapt(["b", "a", "b", "c", "b", "a", "d"])
    assert layer.get_vocabulary() == ["[UNK]", "b", "a"]
    layer = StringLookup()
    layer.adapt(np.array(["x", "y", "z", "y"]))
    assert layer.get_vocabulary() == ["[UNK]", "y", "z", "x"]


def test_adapt_skips_the_special_tokens_and_reads_batches():
    layer = StringLookup(mask_token="")
    layer.adapt(iter([np.array(["a", "", "[UNK]"]), np.array(["a", "b"])]))
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "b"]


def test_pad_to_max_tokens_widens_the_output():
    layer = StringLookup(vocabulary=["a"], max_tokens=5, pad_to_max_tokens=True,
                         output_mode="multi_hot")
    np.testing.assert_array_equal(layer(np.array([["a", "q"]])), [[1, 1, 0, 0, 0]])


def test_salted_oov_hash_differs_from_unsalted():
    plain = StringLookup(vocabulary=["a"], num_oov_indices=3)
    salted = StringLookup(vocabulary=["a"], num_oov_indices=3, salt=7)
    x = np.array([f"w{i}" for i in range(40)])
    assert set(plain(x).tolist()) <= {0, 1, 2} and set(salted(x).tolist()) <= {0, 1, 2}
    assert plain(x).tolist() != salted(x).tolist()


def test_errors():
    with pytest.raises(ValueError, match="repeated term"):
        StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="max_tokens` must be greater than 1"):
        StringLookup(max_tokens=1)
    with pytest.raises(ValueError, match="must be `'int'` when `invert`"):
        StringLookup(invert=True, output_mode="count")
    with pytest.raises(ValueError, match="idf_weights` argument must also be provided"):
        StringLookup(vocabulary=["a"], output_mode="tf_idf")
    with pytest.raises(ValueError, match="Cannot adapt layer"):
        StringLookup(vocabulary=["a"]).adapt(np.array(["a"]))
    with pytest.raises(RuntimeError, match="must set the layer's vocabulary"):
        StringLookup(output_mode="multi_hot")(np.array(["a"]))
    with pytest.raises(ValueError, match="found OOV values"):
        StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["a", "b"]))
    with pytest.raises(ValueError, match="larger than the maximum vocab size"):
        StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(ValueError, match="reserved mask token"):
        StringLookup(vocabulary=["a", ""], mask_token="")
    assert StringLookup(vocabulary=["[UNK]", "a"]).get_vocabulary() == ["[UNK]", "a"]


def test_config_has_keras_keys_and_round_trips():
    layer = StringLookup(vocabulary=["a", "b", "c"], name="sl")
    config = layer.get_config()
    assert sorted(config) == sorted(
        ["name", "trainable", "dtype", "invert", "max_tokens", "num_oov_indices", "oov_token",
         "mask_token", "output_mode", "sparse", "pad_to_max_tokens", "idf_weights",
         "vocabulary", "vocabulary_size", "oov_method", "salt", "encoding"])
    assert config["vocabulary"] == ["a", "b", "c"] and config["vocabulary_size"] == 4
    again = StringLookup.from_config(config)
    x = np.array(["c", "x", "a"])
    np.testing.assert_array_equal(again(x), layer(x))
    assert keras.layers.deserialize(keras.layers.serialize(layer)).get_vocabulary() == \
        layer.get_vocabulary()


def test_vocabulary_from_a_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("a\nb\nc\n")
    layer = StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b", "c"]
    assert layer.get_config()["vocabulary"] is None
