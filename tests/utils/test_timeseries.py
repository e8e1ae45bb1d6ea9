"""timeseries_dataset_from_array: windows, targets, shuffling, errors (reference sheet §1.5)."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor.utils import PyDataset

D = np.arange(10)
T = np.arange(100, 110)
make = keras.utils.timeseries_dataset_from_array


def test_golden_batches():
    ds = make(D, T, 3, batch_size=4)
    assert isinstance(ds, PyDataset) and len(ds) == 2
    (x0, y0), (x1, y1) = list(ds)
    np.testing.assert_array_equal(x0, [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]])
    np.testing.assert_array_equal(y0, [100, 101, 102, 103])
    np.testing.assert_array_equal(x1, [[4, 5, 6], [5, 6, 7], [6, 7, 8], [7, 8, 9]])
    np.testing.assert_array_equal(y1, [104, 105, 106, 107])


def test_golden_stride_rate_start_end_unbatched():
    ds = make(D, T, 3, sequence_stride=2, sampling_rate=2, start_index=1, end_index=9,
              batch_size=None)
    items = list(ds)
    assert len(items) == 2
    np.testing.assert_array_equal(items[0][0], [1, 3, 5])
    assert items[0][1] == 101
    np.testing.assert_array_equal(items[1][0], [3, 5, 7])
    assert items[1][1] == 103


def test_forecasting_idiom():
    (x, y), = list(make(D[:-3], D[3:], 3, batch_size=10))
    np.testing.assert_array_equal(x, [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]])
    np.testing.assert_array_equal(y, [3, 4, 5, 6, 7])


def test_no_targets_gives_x_only_and_features_are_kept():
    data = np.arange(20).reshape(10, 2)
    x = make(data, None, 4, batch_size=32)[0]
    assert isinstance(x, np.ndarray) and x.shape == (7, 4, 2)
    np.testing.assert_array_equal(x[1], data[1:5])


def test_shuffle_first_epoch_is_keras_start_permutation_then_reshuffles():
    ds = make(D, None, 3, batch_size=10, shuffle=True, seed=1)
    first = ds[0]
    # Keras: np.random.RandomState(1).shuffle(start_positions) -> [7, 2, 1, 6, 0, 4, 3, 5]
    np.testing.assert_array_equal(first[:, 0], [7, 2, 1, 6, 0, 4, 3, 5])
    # the same set of windows as Keras's grain golden, in whatever order
    golden = [[4, 5, 6], [5, 6, 7], [3, 4, 5], [7, 8, 9], [0, 1, 2], [2, 3, 4], [6, 7, 8], [1, 2, 3]]
    assert sorted(first.tolist()) == sorted(golden)
    list(ds)                                   # a full pass is an epoch
    second = ds[0]
    assert sorted(second.tolist()) == sorted(golden)
    assert second.tolist() != first.tolist()
    again = make(D, None, 3, batch_size=10, shuffle=True, seed=1)
    np.testing.assert_array_equal(again[0], first)


def test_shuffle_keeps_windows_and_targets_together():
    ds = make(D, T, 3, batch_size=3, shuffle=True, seed=0)
    for x, y in ds:
        np.testing.assert_array_equal(y, x[:, 0] + 100)


def test_targets_shorter_than_windows_limit_the_count():
    ds = make(D, T[:4], 3, batch_size=None)
    assert len(ds) == 4


@pytest.mark.parametrize("kwargs, message", [
    ({"start_index": -1}, "`start_index` must be 0 or greater. Received: start_index=-1"),
    ({"start_index": 10}, "`start_index` must be lower than the length of the data"),
    ({"start_index": 5, "end_index": 4}, "`end_index` must be higher than `start_index`"),
    ({"end_index": 10}, "`end_index` must be lower than the length of the data. Received: "
                        "end_index=10, for data of length 10"),
    ({"end_index": -2}, "`end_index` must be higher than 0"),
    ({"sampling_rate": 0}, "`sampling_rate` must be higher than 0"),
    ({"sampling_rate": 10}, "`sampling_rate` must be lower than the length"),
    ({"sequence_stride": 0}, "`sequence_stride` must be higher than 0"),
    ({"sequence_stride": 10}, "`sequence_stride` must be lower than the length"),
    ({"format": "np"}, '`format` should be either "tf" or "grain". Received: format=np'),
])
def test_errors(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make(D, T, 3, **kwargs)


def test_index_out_of_range():
    with pytest.raises(IndexError, match="out of range"):
        make(D, T, 3, batch_size=4)[2]


def test_preprocessing_alias():
    assert keras.preprocessing.timeseries_dataset_from_array is make
