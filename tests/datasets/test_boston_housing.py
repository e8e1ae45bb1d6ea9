"""datasets.boston_housing on a small .npz in the real format (x, y), offline."""
import os

import numpy as np
import pytest

import kerastutor as keras
from dataset_files import nowhere, sha256, write_housing
from kerastutor.datasets import boston_housing
from kerastutor.utils.file_utils import DownloadError


@pytest.fixture
def cached(datasets, tmp_path, monkeypatch):
    """10 rows of 2 features (the fact sheet's golden file): x = arange(20), y = arange(10)."""
    path = datasets / "boston_housing.npz"
    np.savez(path, x=np.arange(20, dtype=np.float64).reshape(10, 2),
             y=np.arange(10, dtype=np.float64))
    monkeypatch.setattr(boston_housing, "FILE_HASH", sha256(path))
    monkeypatch.setattr(boston_housing, "ORIGIN", nowhere(tmp_path, "boston_housing.npz"))
    return path


def test_uses_keras_file_name_url_and_hash(monkeypatch):
    calls = []
    monkeypatch.setattr(boston_housing, "get_file", lambda **kw: calls.append(kw) or "x")
    monkeypatch.setattr(boston_housing.npz_utils, "read_arrays",
                        lambda path, keys, name: [np.zeros((5, 13)), np.zeros(5)])
    boston_housing.load_data()
    assert calls == [{"fname": "boston_housing.npz",
                      "origin": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
                                "boston_housing.npz",
                      "file_hash": "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538"
                                   "947dff5"}]


def test_defaults_shuffle_with_seed_113_and_keep_20_percent_for_test(cached):
    (x_train, y_train), (x_test, y_test) = keras.datasets.boston_housing.load_data()
    # RandomState(113).shuffle(arange(10)) -> [9, 3, 6, 1, 0, 7, 4, 8, 2, 5]
    assert y_train.tolist() == [9, 3, 6, 1, 0, 7, 4, 8] and y_test.tolist() == [2, 5]
    np.testing.assert_array_equal(x_train[:, 0], 2 * y_train)      # rows moved with labels
    np.testing.assert_array_equal(x_test, [[4, 5], [10, 11]])
    assert x_train.shape == (8, 2) and x_train.dtype == np.float64


def test_seed_and_path(cached, datasets, monkeypatch):
    (_, y_a), _ = boston_housing.load_data(seed=0)
    assert y_a.tolist() == boston_housing.load_data(seed=0)[0][1].tolist()
    assert y_a.tolist() != boston_housing.load_data()[0][1].tolist()
    os.rename(cached, datasets / "my_boston.npz")
    (_, y_b), _ = boston_housing.load_data(path="my_boston.npz", seed=0)
    assert y_b.tolist() == y_a.tolist()


@pytest.mark.parametrize("test_split, n_train", [(0.0, 10), (0.35, 6), (0.5, 5), (0.99, 0)])
def test_split_boundary_is_int_n_times_one_minus_split(cached, test_split, n_train):
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(test_split=test_split)
    assert len(x_train) == len(y_train) == n_train and len(x_test) == len(y_test) == 10 - n_train
    assert (y_train.tolist() + y_test.tolist()) == [9, 3, 6, 1, 0, 7, 4, 8, 2, 5]


def test_parts_are_copies(cached):
    (x_train, _), (x_test, _) = boston_housing.load_data()
    x_train[:] = -1
    assert x_test.min() >= 0 and x_train.base is None


@pytest.mark.parametrize("bad", [1, 1.5, -0.2])
def test_bad_test_split_is_explained_before_any_download(datasets, tmp_path, monkeypatch, bad):
    monkeypatch.setattr(boston_housing, "ORIGIN", nowhere(tmp_path, "boston_housing.npz"))
    with pytest.raises(ValueError, match=rf"Invalid `test_split` argument: {bad}\. It must be "
                                         r"between 0 and 1 \(exclusive of 1\)"):
        boston_housing.load_data(test_split=bad)


def test_offline_without_a_cache(datasets, tmp_path, monkeypatch):
    origin = nowhere(tmp_path, "boston_housing.npz")
    monkeypatch.setattr(boston_housing, "ORIGIN", origin)
    with pytest.raises(DownloadError, match="download the file elsewhere") as info:
        boston_housing.load_data()
    assert origin in str(info.value)
    assert str(datasets / "boston_housing.npz") in str(info.value)


def test_a_file_of_pickles_is_refused(datasets, monkeypatch):
    path, _, _ = write_housing(datasets, "boston_housing.npz", 4, 13)
    np.savez(path, x=np.array([{"a": 1}], dtype=object), y=np.zeros(1))
    monkeypatch.setattr(boston_housing, "FILE_HASH", sha256(path))
    with pytest.raises(OSError, match=r"Boston Housing file .* cannot be read: Object arrays "
                                      r"cannot be loaded when allow_pickle=False"):
        boston_housing.load_data()
