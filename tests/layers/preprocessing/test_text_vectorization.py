"""TextVectorization: Keras 3.15.1's goldens (reference sheet §2.11), steps, adapt, config."""
import numpy as np
import pytest

import kerastutor as keras

TextVectorization = keras.layers.TextVectorization
DATA = np.array(["The cat sat.", "The dog sat on the mat!", "A cat, a dog."])


def adapted(**kwargs):
    layer = TextVectorization(**kwargs)
    layer.adapt(DATA)
    return layer


def test_int_golden_with_output_sequence_length():
    layer = adapted(max_tokens=10, output_sequence_length=6)
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "sat", "dog", "cat", "a", "on", "mat"]
    y = layer(np.array(["the cat sat on a log", "Dog!"]))
    np.testing.assert_array_equal(y, [[2, 5, 3, 7, 6, 1], [4, 0, 0, 0, 0, 0]])
    assert y.dtype == np.int64
    # longer texts are cut
    assert layer(np.array(["a a a a a a a a"])).shape == (1, 6)


def test_int_pads_to_the_longest_text_of_the_batch():
    np.testing.assert_array_equal(adapted()(["the cat", "a"]), [[2, 5], [6, 0]])
    layer = TextVectorization(vocabulary=["x", "y"])
    np.testing.assert_array_equal(layer(np.array(["x y z", "y"])), [[2, 3, 1], [3, 0, 0]])
    assert layer.get_vocabulary() == ["", "[UNK]", "x", "y"]


def test_bag_of_words_goldens():
    layer = adapted(output_mode="multi_hot", max_tokens=6)
    assert layer.get_vocabulary() == ["[UNK]", "the", "sat", "dog", "cat", "a"]
    np.testing.assert_array_equal(layer(["the cat", "zebra"]),
                                  [[0, 1, 0, 0, 1, 0], [1, 0, 0, 0, 0, 0]])
    assert adapted(output_mode="tf_idf", max_tokens=6)(["the the cat"]).tolist() == \
        [[0.0, 1.3862943649291992, 0.0, 0.0, 0.6931471824645996, 0.0]]
    np.testing.assert_array_equal(adapted(output_mode="count", max_tokens=6)(
        ["the the cat zebra"]), [[1, 2, 0, 0, 1, 0]])


def test_tf_idf_weights_by_hand():
    layer = adapted(output_mode="tf_idf", max_tokens=6)
    # N = 3 texts; "the" in 2 of them: log(1 + 3/3); "sat" in 2; "a" in 1: log(1 + 3/2)
    idf = layer._lookup_layer.idf_weights
    np.testing.assert_allclose(idf[1:], np.log([2, 2, 2, 2, 2.5]), rtol=1e-6)
    assert idf[0] == pytest.approx(idf[1:].mean())                # OOV: the mean


def test_ngrams_golden():
    layer = adapted(ngrams=2, max_tokens=20)
    assert layer.get_vocabulary() == [
        "", "[UNK]", "the", "sat", "dog", "cat", "a", "the mat", "the dog", "the cat",
        "sat on", "on the", "on", "mat", "dog sat", "cat sat", "cat a", "a dog", "a cat"]
    only_pairs = adapted(ngrams=(2,))
    assert "the" not in only_pairs.get_vocabulary() and "the cat" in only_pairs.get_vocabulary()


def test_standardize_and_split_options():
    layer = TextVectorization(standardize="lower", split="whitespace", vocabulary=["a."])
    np.testing.assert_array_equal(layer(["A. a"]), [[2, 1]])
    layer = TextVectorization(standardize=None, vocabulary=["A"])
    np.testing.assert_array_equal(layer(["A a"]), [[2, 1]])
    # Keras lower-cases ASCII only (TensorFlow's strings.lower)
    layer = TextVectorization(vocabulary=["é"])
    np.testing.assert_array_equal(layer(["É é"]), [[1, 2]])
    layer = TextVectorization(split="character", vocabulary=["a", "b"])
    np.testing.assert_array_equal(layer(["abc"]), [[2, 3, 1]])
    layer = TextVectorization(split=None, vocabulary=["new york"])
    np.testing.assert_array_equal(layer(np.array([["New York!"], ["Paris"]])), [[2], [1]])
    # callables: standardize gets a NumPy str array, split returns token lists
    layer = TextVectorization(standardize=lambda t: np.char.upper(t),
                              split=lambda t: [s.split("-") for s in t],
                              vocabulary=["AB", "CD"])
    np.testing.assert_array_equal(layer(["ab-cd-ef"]), [[2, 3, 1]])


def test_adapt_on_lists_generators_and_pydatasets():
    reference = adapted().get_vocabulary()
    from_list = TextVectorization()
    from_list.adapt(list(DATA))
    assert from_list.get_vocabulary() == reference

    def batches():
        yield DATA[:2]
        yield DATA[2:]
    from_generator = TextVectorization()
    from_generator.adapt(batches())
    assert from_generator.get_vocabulary() == reference

    class Texts(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return DATA[index:index + 1]
    from_dataset = TextVectorization()
    from_dataset.adapt(Texts())
    assert from_dataset.get_vocabulary() == reference
    first = TextVectorization()
    first.adapt(batches(), steps=1)
    assert "a" not in first.get_vocabulary()


def test_set_vocabulary_and_vocabulary_size():
    layer = TextVectorization()
    layer.set_vocabulary(["hello", "world"])
    assert layer.vocabulary_size() == 4
    np.testing.assert_array_equal(layer(["hello there world"]), [[2, 1, 3]])
    tfidf = TextVectorization(output_mode="tf_idf")
    tfidf.set_vocabulary(["a", "b"], idf_weights=[1.0, 3.0])
    np.testing.assert_allclose(tfidf(["b b q"]), [[2.0, 0.0, 6.0]])


def test_errors():
    with pytest.raises(ValueError, match="output_sequence_length` must not be set"):
        TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="ngrams"):
        TextVectorization(ngrams=[1, 2])
    with pytest.raises(ValueError, match="standardize"):
        TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="split"):
        TextVectorization(split="comma")
    with pytest.raises(ValueError, match="TensorFlow backend"):
        TextVectorization(ragged=True)
    with pytest.raises(ValueError, match="last shape dimension must be 1"):
        TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))


def test_config_keys_and_round_trip():
    layer = TextVectorization(max_tokens=10, ngrams=2, output_sequence_length=4,
                              vocabulary=["the", "cat"], name="tv")
    config = layer.get_config()
    assert sorted(config) == sorted(
        ["dtype", "encoding", "idf_weights", "max_tokens", "name", "ngrams", "output_mode",
         "output_sequence_length", "pad_to_max_tokens", "ragged", "sparse", "split",
         "standardize", "trainable", "vocabulary", "vocabulary_size"])
    assert config["vocabulary"] == ["the", "cat"] and config["vocabulary_size"] == 4
    again = TextVectorization.from_config(config)
    x = np.array(["The cat!", "cat the dog"])
    np.testing.assert_array_equal(again(x), layer(x))
    clone = keras.layers.deserialize(keras.layers.serialize(layer))
    np.testing.assert_array_equal(clone(x), layer(x))


def test_adapted_vocabulary_travels_as_an_asset_file(tmp_path):
    # Keras leaves an adapted vocabulary out of the config (vocabulary=None) and
    # writes it to assets/vocabulary.txt; load_assets reads it back.
    layer = adapted(max_tokens=10, output_sequence_length=6)
    config = layer.get_config()
    assert config["vocabulary"] is None and config["vocabulary_size"] == 9
    layer.save_assets(str(tmp_path))
    assert (tmp_path / "vocabulary.txt").read_text().split("\n")[2:4] == ["the", "sat"]
    again = TextVectorization.from_config(config)
    again.load_assets(str(tmp_path))
    assert again.get_vocabulary() == layer.get_vocabulary()
    x = np.array(["the cat sat on a log"])
    np.testing.assert_array_equal(again(x), layer(x))


def test_tf_idf_weights_travel_as_a_variable(tmp_path):
    layer = adapted(output_mode="tf_idf", max_tokens=6)
    store = {}
    layer.save_own_variables(store)
    layer.save_assets(str(tmp_path))
    again = TextVectorization.from_config(layer.get_config())
    again.load_own_variables(store)
    again.load_assets(str(tmp_path))
    np.testing.assert_array_equal(again(["the the cat"]), layer(["the the cat"]))
