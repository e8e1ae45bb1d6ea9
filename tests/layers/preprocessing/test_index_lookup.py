"""IndexLookup, the table under StringLookup/IntegerLookup: layout, search, adapt, assets."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor.layers.preprocessing.index_lookup import IndexLookup


def test_it_is_the_base_of_both_lookups():
    assert issubclass(keras.layers.StringLookup, IndexLookup)
    assert issubclass(keras.layers.IntegerLookup, IndexLookup)


def test_index_layout_mask_then_oov_then_tokens():
    layer = keras.layers.StringLookup(vocabulary=["x"], mask_token="[M]", num_oov_indices=2)
    assert layer._oov_start_index() == 1 and layer._token_start_index() == 3
    assert layer.get_vocabulary() == ["[M]", "[UNK]", "[UNK]", "x"]
    # in the encoded modes the mask takes no index and counts nowhere
    counts = keras.layers.StringLookup(vocabulary=["x"], mask_token="[M]",
                                       output_mode="count")
    assert counts.get_vocabulary() == ["[UNK]", "x"]
    np.testing.assert_array_equal(counts(np.array([["[M]", "x", "q"]])), [[1, 1]])


def test_lookup_is_a_binary_search_over_the_sorted_tokens():
    vocab = [f"w{i:03d}" for i in range(500)][::-1]         # index order != sorted order
    layer = keras.layers.StringLookup(vocabulary=vocab)
    x = np.array(vocab[::7] + ["nope"])
    expected = [vocab.index(t) + 1 for t in vocab[::7]] + [0]
    np.testing.assert_array_equal(layer(x), expected)


def test_adapt_rows_are_documents_for_tf_idf():
    layer = keras.layers.StringLookup(output_mode="tf_idf")
    layer.adapt(np.array([["a", "a"], ["a", "b"]]))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b"]
    # df(a) = 2, df(b) = 1, N = 2
    np.testing.assert_allclose(layer.idf_weights[1:], np.log([1 + 2 / 3, 1 + 2 / 2]),
                               rtol=1e-6)


def test_adapt_again_with_another_size_is_refused_for_encoded_outputs():
    layer = keras.layers.StringLookup(output_mode="multi_hot")
    layer.adapt(np.array(["a", "b"]))
    with pytest.raises(RuntimeError, match="cannot be changed"):
        layer.adapt(np.array(["a", "b", "c"]))


def test_integer_assets_round_trip(tmp_path):
    layer = keras.layers.IntegerLookup()
    layer.adapt(np.array([5, 5, 9]))
    layer.save_assets(str(tmp_path))
    again = keras.layers.IntegerLookup.from_config(layer.get_config())
    again.load_assets(str(tmp_path))
    assert again.get_vocabulary() == [-1, 5, 9]
    np.testing.assert_array_equal(again(np.array([9, 5, 1])), [2, 1, 0])


def test_no_backward():
    layer = keras.layers.StringLookup(vocabulary=["a"])
    with pytest.raises(NotImplementedError, match="no backward"):
        layer.backward(None, np.ones(1))
