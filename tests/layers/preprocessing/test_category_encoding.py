"""CategoryEncoding: Keras 3.15.1's goldens (reference sheet §2.7), shapes, errors, config."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor.layers.preprocessing.category_encoding import encode_categorical

CategoryEncoding = keras.layers.CategoryEncoding


def test_one_hot_golden_and_shapes():
    y = CategoryEncoding(4, "one_hot")(np.array([3, 2, 0, 1]))
    np.testing.assert_array_equal(y, [[0, 0, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert y.dtype == np.float32
    assert CategoryEncoding(4, "one_hot")(np.array([[3], [2], [0], [1]])).shape == (4, 4)
    assert CategoryEncoding(4, "one_hot")(np.array([[3, 2], [0, 1]])).shape == (2, 2, 4)


def test_multi_hot_and_count_goldens():
    x = np.array([[0, 1], [0, 0], [1, 2], [3, 1]])
    np.testing.assert_array_equal(CategoryEncoding(4, "multi_hot")(x),
                                  [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]])
    np.testing.assert_array_equal(CategoryEncoding(4, "multi_hot")(np.array([0, 1, 1])),
                                  [1, 1, 0, 0])
    np.testing.assert_array_equal(CategoryEncoding(4, "count")(x),
                                  [[1, 1, 0, 0], [2, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]])
    np.testing.assert_array_equal(CategoryEncoding(4, "count")(np.array([0, 1, 1, 3])),
                                  [1, 2, 0, 1])
    assert CategoryEncoding(4, "binary").output_mode == "multi_hot"


def test_count_weights_golden():
    x = np.array([[0, 1], [0, 0], [1, 2], [3, 1]])
    w = np.array([[.1, .2], [.1, .1], [.2, .3], [.4, .2]])
    y = CategoryEncoding(4, "count")(x, count_weights=w)
    np.testing.assert_allclose(y, [[0.1, 0.2, 0, 0], [0.2, 0, 0, 0], [0, 0.2, 0.3, 0],
                                   [0, 0.2, 0, 0.4]], rtol=1e-6)
    assert y.dtype == np.float32 and float(y[0, 0]) == float(np.float32(0.1))


def test_rank_3_reduces_axis_1_as_keras():
    # Keras reduces the sample axis 1 (checked on Keras 3.15.1, torch backend).
    x = np.array([[[0, 1], [2, 2], [3, 3]], [[1, 1], [0, 0], [0, 3]]])
    y = CategoryEncoding(4, "count")(x)
    assert y.shape == (2, 2, 4)
    np.testing.assert_array_equal(y[1, 0], [2, 1, 0, 0])


def test_float_ids_holding_whole_numbers_are_accepted():
    np.testing.assert_array_equal(CategoryEncoding(3, "one_hot")(np.array([2.0, 0.0])),
                                  [[0, 0, 1], [1, 0, 0]])


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="num_tokens must be set"):
        CategoryEncoding()
    with pytest.raises(ValueError, match="Unknown arg for output_mode: int"):
        CategoryEncoding(3, "int")
    with pytest.raises(ValueError, match=r"num_tokens` must be >= 1"):
        CategoryEncoding(0)
    with pytest.raises(ValueError, match="count_weights` is not used"):
        CategoryEncoding(3, "multi_hot")(np.array([0, 1]), count_weights=np.array([1., 1.]))
    with pytest.raises(ValueError, match="out of range"):
        CategoryEncoding(3, "one_hot")(np.array([0, 3]))
    with pytest.raises(ValueError, match="out of range"):
        CategoryEncoding(3, "one_hot")(np.array([-1]))
    with pytest.raises(ValueError, match="integer"):
        CategoryEncoding(3)(np.array([0.5]))


def test_config_round_trip_and_output_shape():
    layer = CategoryEncoding(5, "count", name="enc")
    config = layer.get_config()
    assert {k: config[k] for k in ("name", "num_tokens", "output_mode")} == \
        {"name": "enc", "num_tokens": 5, "output_mode": "count"}
    assert "sparse" not in config
    again = CategoryEncoding.from_config(config)
    x = np.array([[0, 4, 4]])
    np.testing.assert_array_equal(again(x), layer(x))
    assert CategoryEncoding(5, "one_hot").compute_output_shape((None, 1)) == (None, 5)
    assert CategoryEncoding(5, "one_hot").compute_output_shape((None, 3)) == (None, 3, 5)
    assert CategoryEncoding(5).compute_output_shape((None, 3)) == (None, 5)


def test_in_a_functional_model():
    inputs = keras.Input(shape=(3,), dtype="int64")
    outputs = CategoryEncoding(4, "multi_hot")(inputs)
    model = keras.Model(inputs, outputs)
    np.testing.assert_array_equal(model.predict(np.array([[0, 1, 1]]), verbose=0),
                                  [[1, 1, 0, 0]])


def test_encoder_drops_ids_outside_the_depth():
    # What the lookup layers rely on: a -1 (padding/mask) counts nowhere.
    np.testing.assert_array_equal(encode_categorical(np.array([[0, -1, 2]]), "count", 3),
                                  [[1, 0, 1]])
    np.testing.assert_array_equal(encode_categorical(np.array(2), "one_hot", 3), [[0, 0, 1]])
