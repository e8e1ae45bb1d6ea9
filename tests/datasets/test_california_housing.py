"""datasets.california_housing on a small .npz in the real format (x, y), offline."""
import numpy as np
import pytest

import kerastutor as keras
from dataset_files import nowhere, sha256, write_housing
from kerastutor.datasets import california_housing
from kerastutor.utils.file_utils import DownloadError


@pytest.fixture
def cached(datasets, tmp_path, monkeypatch):
    """700 rows of 8 features; row i has y = i and x[i, 0] = i."""
    path, x, y = write_housing(datasets, "california_housing.npz", 700, 8)
    monkeypatch.setattr(california_housing, "FILE_HASH", sha256(path))
    monkeypatch.setattr(california_housing, "ORIGIN",
                        nowhere(tmp_path, "california_housing.npz"))
    return x, y


def test_uses_keras_file_name_url_and_hash(monkeypatch):
    calls = []
    monkeypatch.setattr(california_housing, "get_file", lambda **kw: calls.append(kw) or "x")
    monkeypatch.setattr(california_housing.npz_utils, "read_arrays",
                        lambda path, keys, name: [np.zeros((5, 8)), np.zeros(5)])
    california_housing.load_data()
    assert calls == [{"fname": "california_housing.npz",
                      "origin": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
                                "california_housing.npz",
                      "file_hash": "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766"
                                   "f2a1a6f"}]


def test_large_uses_every_row(cached):
    x, y = cached
    (x_train, y_train), (x_test, y_test) = keras.datasets.california_housing.load_data()
    assert x_train.shape == (560, 8) and x_test.shape == (140, 8)
    assert y_train.shape == (560,) and y_test.shape == (140,)
    order = np.arange(700)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), y[order])
    np.testing.assert_array_equal(np.concatenate([x_train, x_test]), x[order])


def test_small_takes_the_first_600_rows_before_shuffling(cached):
    (x_train, y_train), (x_test, y_test) = california_housing.load_data(version="small")
    assert x_train.shape == (480, 8) and x_test.shape == (120, 8)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(600))
    order = np.arange(600)
    np.random.RandomState(113).shuffle(order)
    np.testing.assert_array_equal(y_train, order[:480])


@pytest.mark.parametrize("test_split, n_train", [(0.0, 600), (0.1, 540), (0.25, 450)])
def test_test_split_and_seed(cached, test_split, n_train):
    (_, y_train), (_, y_test) = california_housing.load_data(
        version="small", test_split=test_split, seed=7)
    order = np.arange(600)
    np.random.RandomState(7).shuffle(order)
    assert len(y_train) == n_train
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), order)


def test_path_names_another_cached_file(cached, datasets, monkeypatch):
    path, _, y = write_housing(datasets, "other.npz", 50, 8)
    monkeypatch.setattr(california_housing, "FILE_HASH", sha256(path))
    (_, y_train), (_, y_test) = california_housing.load_data(path="other.npz")
    assert len(y_train) + len(y_test) == 50


def test_bad_arguments_are_explained_before_any_download(datasets, tmp_path, monkeypatch):
    monkeypatch.setattr(california_housing, "ORIGIN", nowhere(tmp_path, "c.npz"))
    with pytest.raises(ValueError, match=r"Argument `version` must be one of 'small', "
                                         r"'large'\. Received: version=medium"):
        california_housing.load_data(version="medium")
    with pytest.raises(ValueError, match=r"Invalid `test_split` argument: 1\b"):
        california_housing.load_data(test_split=1)
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version=["small"])


def test_offline_without_a_cache(datasets, tmp_path, monkeypatch):
    origin = nowhere(tmp_path, "california_housing.npz")
    monkeypatch.setattr(california_housing, "ORIGIN", origin)
    with pytest.raises(DownloadError, match="download the file elsewhere") as info:
        california_housing.load_data(version="small")
    assert origin in str(info.value)
    assert str(datasets / "california_housing.npz") in str(info.value)


def test_a_file_without_y_gets_a_clear_error(datasets, monkeypatch):
    path = datasets / "california_housing.npz"
    np.savez(path, x=np.zeros((3, 8)))
    monkeypatch.setattr(california_housing, "FILE_HASH", sha256(path))
    with pytest.raises(OSError, match=r"California Housing file .* not \['y'\].*Delete it"):
        california_housing.load_data()
