"""split_dataset, get_source_inputs, pack/unpack_x_y_sample_weight, and the SampleDataset contract."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor.utils import PyDataset
from kerastutor.utils.dataset_utils import SampleDataset, take_rows

split = keras.utils.split_dataset
X = np.arange(10).reshape(10, 1)


def rows(dataset):
    return np.array([item if not isinstance(item, tuple) else item[0] for item in dataset])


def test_array_without_shuffle_keeps_order():
    left, right = split(X, left_size=0.8)
    assert isinstance(left, PyDataset) and len(left) == 8 and len(right) == 2
    np.testing.assert_array_equal(rows(left)[:, 0], np.arange(8))
    np.testing.assert_array_equal(rows(right)[:, 0], [8, 9])


def test_sizes_banker_rounding_ints_and_right_only():
    assert [len(d) for d in split(X, left_size=0.25)] == [2, 8]        # round(2.5) == 2
    assert [len(d) for d in split(X, left_size=0.35)] == [4, 6]        # round(3.5) == 4
    assert [len(d) for d in split(X, right_size=3)] == [7, 3]
    left, right = split(X, left_size=3, right_size=2)                   # the middle is dropped
    np.testing.assert_array_equal(rows(left)[:, 0], [0, 1, 2])
    np.testing.assert_array_equal(rows(right)[:, 0], [8, 9])


def test_shuffle_is_python_random_with_seed():
    import random
    expected = list(range(10))
    random.Random(1).shuffle(expected)            # Keras's TF path: random.seed(1); shuffle
    left, right = split(X, left_size=0.5, shuffle=True, seed=1)
    np.testing.assert_array_equal(rows(left)[:, 0], expected[:5])
    np.testing.assert_array_equal(rows(right)[:, 0], expected[5:])
    state = random.getstate()
    split(X, left_size=0.5, shuffle=True, seed=2)
    assert random.getstate() == state                # the global RNG is left alone


def test_tuple_of_arrays_stays_paired_and_batches():
    y = X[:, 0] * 10
    left, right = split((X, y), left_size=0.6, shuffle=True, seed=0)
    for xi, yi in list(left) + list(right):
        assert yi == xi[0] * 10
    batched = left.batch(4)
    assert len(batched) == 2
    xb, yb = batched[0]
    assert xb.shape == (4, 1) and yb.shape == (4,)


def test_our_datasets_split_lazily_and_keep_batching():
    ds = keras.utils.timeseries_dataset_from_array(np.arange(20), None, 3, batch_size=4)
    left, right = split(ds, left_size=0.75)
    assert left.batch_size == right.batch_size == 4
    assert left.num_samples == 14 and right.num_samples == 4
    np.testing.assert_array_equal(right[0][:, 0], [14, 15, 16, 17])


def test_generic_pydataset_is_unbatched_then_split():
    class Batches(PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return X[3 * i:3 * i + 3], X[3 * i:3 * i + 3, 0]
    left, right = split(Batches(), right_size=0.5)        # 9 samples: round(4.5) == 4
    assert left.batch_size == 3 and left.num_samples == 5 and right.num_samples == 4
    xb, yb = left[1]
    np.testing.assert_array_equal(xb[:, 0], [3, 4])
    np.testing.assert_array_equal(yb, [3, 4])


@pytest.mark.parametrize("kwargs, error, message", [
    ({}, ValueError, "At least one of the `left_size` or `right_size` must be specified. "
                     "Received: left_size=None and right_size=None"),
    ({"left_size": 1.0}, ValueError, r"`left_size` should be either a positive integer smaller "
                                     r"than 10, or a float within the range `\[0, 1\]`. "
                                     r"Received: left_size=1.0"),
    ({"left_size": 10}, ValueError, "`left_size` should be either a positive integer"),
    ({"right_size": -1}, ValueError, "`right_size` should be either a positive integer"),
    ({"left_size": 0.6, "right_size": 0.6}, ValueError, "is greater than 1"),
    ({"left_size": 6, "right_size": 6}, ValueError, "should be smaller than the 10"),
    ({"left_size": 0.01}, ValueError, "Resulting left side dataset split will be empty"),
    ({"left_size": "half"}, TypeError, "Invalid `left_size` Type"),
])
def test_size_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        split(X, **kwargs)


def test_dataset_type_errors():
    with pytest.raises(TypeError, match="The `dataset` argument must be"):
        split({"x": X}, left_size=0.5)
    with pytest.raises(ValueError, match="Expected a tuple of `numpy.ndarray` objects"):
        split((X, [1, 2]), left_size=0.5)
    with pytest.raises(ValueError, match="NumPy arrays with different lengths"):
        split((X, X[:5]), left_size=0.5)


# ------------------------------------------------------------ SampleDataset
def test_sample_dataset_contract():
    ds = SampleDataset(take_rows(X), 10, batch_size=4)
    assert len(ds) == 3 and ds.num_batches == 3
    np.testing.assert_array_equal(ds[-1][:, 0], [8, 9])
    with pytest.raises(IndexError):
        ds[3]
    assert [b.shape[0] for b in ds] == [4, 4, 2]
    shuffled = SampleDataset(take_rows(X), 10, batch_size=10, shuffle=True, seed=0)
    np.testing.assert_array_equal(shuffled[0][:, 0], np.random.RandomState(0).permutation(10))
    assert "10 samples" in repr(shuffled)


# -------------------------------------------------------- pack / unpack / sources
def test_pack_and_unpack():
    pack, unpack = keras.utils.pack_x_y_sample_weight, keras.utils.unpack_x_y_sample_weight
    assert pack(X) is X
    assert pack([X, X]) == ([X, X],)
    assert pack(X, 1) == (X, 1) and pack(X, 1, 2) == (X, 1, 2)
    assert unpack(X)[1:] == (None, None)
    assert unpack((X,))[1:] == (None, None)
    assert unpack([X, 1]) == (X, 1, None)
    assert unpack((X, 1, 2)) == (X, 1, 2)
    with pytest.raises(ValueError, match="Data is expected to be in format `x`, `\\(x,\\)`"):
        unpack((1, 2, 3, 4))


def test_get_source_inputs():
    a, b = keras.Input((3,)), keras.Input((3,))
    h = keras.layers.Dense(2)(a)
    out = keras.layers.Add()([h, keras.layers.Dense(2)(b)])
    sources = keras.utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert keras.utils.get_source_inputs(a) == [a]
    assert keras.utils.get_source_inputs(X) is X
    twice = keras.layers.Add()([a, a])
    assert keras.utils.get_source_inputs(twice) == [a]


def test_utils_names_and_clear_session():
    for name in ("clear_session", "pad_sequences", "timeseries_dataset_from_array",
                 "split_dataset", "image_dataset_from_directory", "text_dataset_from_directory",
                 "load_img", "img_to_array", "array_to_img", "save_img", "get_source_inputs",
                 "pack_x_y_sample_weight", "unpack_x_y_sample_weight", "PyDataset", "Sequence"):
        assert callable(getattr(keras.utils, name)), name
