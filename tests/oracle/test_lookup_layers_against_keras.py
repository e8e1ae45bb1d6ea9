"""Real Keras 3 (torch backend) as the oracle for the categorical preprocessing layers.

What Keras can run on torch without TensorFlow -- CategoryEncoding, and
Discretization called with ``bin_boundaries`` -- is called side by side with
ours on the same (random) inputs. StringLookup, IntegerLookup, Hashing,
TextVectorization and ``Discretization.adapt`` need TensorFlow in Keras; for
them the values Keras 3.15.1 printed with TensorFlow installed (the reference
sheet, keras-next.md §2.8-§2.11) are pinned here, so that this file states the
whole contract in one place.

Run with KERAS_BACKEND=torch KERASTUTOR_ORACLE=1 (``tox -e keras``).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402

RNG = np.random.default_rng(15)


def _numpy(value):
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


# ------------------------------------------------------------ side by side
@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(6,), (5, 1), (4, 3), (2, 3, 4)])
def test_category_encoding_matches_keras(mode, shape):
    x = RNG.integers(0, 7, size=shape)
    theirs = keras.layers.CategoryEncoding(num_tokens=7, output_mode=mode)(x)
    ours = kerastutor.layers.CategoryEncoding(num_tokens=7, output_mode=mode)(x)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours, _numpy(theirs))
    assert ours.dtype == np.float32


def test_category_encoding_count_weights_match_keras():
    x = RNG.integers(0, 5, size=(4, 3))
    w = RNG.random((4, 3)).astype("float32")
    theirs = keras.layers.CategoryEncoding(5, "count")(x, count_weights=w)
    ours = kerastutor.layers.CategoryEncoding(5, "count")(x, count_weights=w)
    np.testing.assert_allclose(ours, _numpy(theirs), rtol=1e-6)


def test_category_encoding_config_matches_keras():
    theirs = keras.layers.CategoryEncoding(4, "count", name="c").get_config()
    ours = kerastutor.layers.CategoryEncoding(4, "count", name="c").get_config()
    assert ours == theirs


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 1)])
def test_discretization_with_boundaries_matches_keras(mode, shape):
    boundaries = [-1.0, 0.0, 0.5, 2.0]
    x = RNG.normal(size=shape).astype("float32")
    x.flat[0] = 0.5                                  # a value on a boundary goes up
    theirs = keras.layers.Discretization(bin_boundaries=boundaries, output_mode=mode)(x)
    ours = kerastutor.layers.Discretization(bin_boundaries=boundaries, output_mode=mode)(x)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours, _numpy(theirs))
    assert str(ours.dtype) == str(_numpy(theirs).dtype)


def test_discretization_config_matches_keras():
    theirs = keras.layers.Discretization(bin_boundaries=[0.0, 1.0], name="d").get_config()
    ours = kerastutor.layers.Discretization(bin_boundaries=[0.0, 1.0], name="d").get_config()
    assert ours == theirs


def test_discretization_adapt_needs_tensorflow_in_keras():
    with pytest.raises(ImportError, match="tensorflow"):
        keras.layers.Discretization(num_bins=3).adapt(np.arange(6.0))


@pytest.mark.parametrize("name", ["StringLookup", "IntegerLookup", "TextVectorization"])
def test_keras_needs_tensorflow_for_the_lookups(name):
    with pytest.raises(ImportError, match="requires TensorFlow"):
        getattr(keras.layers, name)()


# ------------------------------------------------- pinned [ran, +TF] goldens
def test_pinned_discretization_adapt():
    layer = kerastutor.layers.Discretization(num_bins=4)
    layer.adapt(np.arange(1, 101, dtype="float32"))
    assert layer.bin_boundaries == [24.999982833862305, 49.99998092651367, 74.99998474121094]


def test_pinned_hashing():
    x = np.array([["A"], ["B"], ["C"], ["D"], ["E"]])
    Hashing = kerastutor.layers.Hashing
    assert Hashing(num_bins=3)(x).ravel().tolist() == [1, 0, 1, 1, 2]
    assert Hashing(num_bins=3, salt=133)(x).ravel().tolist() == [0, 0, 2, 1, 0]
    assert Hashing(num_bins=3, salt=[133, 137])(x).ravel().tolist() == [1, 2, 1, 0, 2]
    assert Hashing(num_bins=2**31 - 1)(np.array(["hello", "world"])).tolist() == \
        [441440317, 653090040]


def test_pinned_lookups():
    sl = kerastutor.layers.StringLookup(vocabulary=["a", "b", "c"], mask_token="",
                                        num_oov_indices=2)
    assert sl(np.array(["", "a", "q", "zz", "c"])).tolist() == [0, 3, 2, 1, 5]
    il = kerastutor.layers.IntegerLookup()
    il.adapt(np.array([12, 36, 1138, 42, 42, 36, 36]))
    assert il.get_vocabulary() == [-1, 36, 42, 1138, 12]


def test_pinned_text_vectorization():
    data = np.array(["The cat sat.", "The dog sat on the mat!", "A cat, a dog."])
    tv = kerastutor.layers.TextVectorization(max_tokens=10, output_sequence_length=6)
    tv.adapt(data)
    assert tv.get_vocabulary() == ["", "[UNK]", "the", "sat", "dog", "cat", "a", "on", "mat"]
    assert tv(np.array(["the cat sat on a log", "Dog!"])).tolist() == \
        [[2, 5, 3, 7, 6, 1], [4, 0, 0, 0, 0, 0]]
