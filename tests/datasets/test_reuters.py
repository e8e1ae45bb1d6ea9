"""datasets.reuters on a small .npz in the real format, offline.

Golden values from the fact sheet (keras-next.md 7.3, produced by Keras
3.15.1 on the same file). Each label equals its newswire's stored position,
so the labels show the order: RandomState(113) gives [1, 0, 3, 2, 4].
"""
import os

import numpy as np
import pytest

import kerastutor as keras
from dataset_files import md5, nowhere, ragged, sha256, write_reuters, write_word_index
from kerastutor.datasets import reuters
from kerastutor.utils.file_utils import DownloadError


@pytest.fixture
def cached(datasets, tmp_path, monkeypatch):
    path = write_reuters(datasets)
    monkeypatch.setattr(reuters, "FILE_HASH", sha256(path))
    monkeypatch.setattr(reuters, "ORIGIN", nowhere(tmp_path, "reuters.npz"))
    return path


def load(**kwargs):
    (x_train, y_train), (x_test, y_test) = keras.datasets.reuters.load_data(**kwargs)
    return [list(s) for s in x_train], y_train.tolist(), [list(s) for s in x_test], \
        y_test.tolist()


def test_uses_keras_file_names_urls_and_hashes(monkeypatch):
    calls = []
    monkeypatch.setattr(reuters, "get_file", lambda **kwargs: calls.append(kwargs) or "x")
    monkeypatch.setattr(reuters, "read_word_index", lambda path, name: {})
    monkeypatch.setattr(reuters.npz_utils, "read_arrays",
                        lambda path, keys, name, object_arrays: [ragged([[1]]), np.zeros(1)])
    reuters.load_data()
    reuters.get_word_index()
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert calls == [
        {"fname": "reuters.npz", "origin": base + "reuters.npz",
         "file_hash": "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"},
        {"fname": "reuters_word_index.json", "origin": base + "reuters_word_index.json",
         "file_hash": "4d44cc38712099c9e383dc6e5f11a921"}]


def test_defaults(cached):
    (x_train, y_train), (x_test, y_test) = reuters.load_data()
    assert x_train.dtype == object and x_train.shape == (4,)
    # One newswire: np.array([[1, 11, 2]], dtype=object) is 2-D, in Keras too.
    assert x_test.dtype == object and x_test.shape == (1, 3)
    assert [list(s) for s in x_train] == [[1, 6], [1, 4, 5], [1, 10], [1, 7, 8, 9]]
    assert y_train.tolist() == [1, 0, 3, 2]
    assert [list(s) for s in x_test] == [[1, 11, 2]] and y_test.tolist() == [4]
    # the largest index, 12 (= 9 + 3), became OOV: num_words=None is a strict bound


def test_seed_shuffles_newswires_and_labels_together(cached):
    stored = {tuple(x): y for x, y in zip([[1, 2], [3], [4, 5, 6], [7], [8, 9]], range(5))}
    for seed in (0, 1, 2, 113):
        x_train, y_train, x_test, y_test = load(seed=seed, start_char=None, index_from=0,
                                                num_words=100)
        assert all(stored[tuple(x)] == y for x, y in zip(x_train + x_test, y_train + y_test))
        assert sorted(y_train + y_test) == [0, 1, 2, 3, 4]
    assert load(seed=0) == load(seed=0) != load(seed=1)


@pytest.mark.parametrize("test_split, n_train", [(0.2, 4), (0.5, 2), (0.0, 5), (0.7, 1),
                                                 (1.0, 0)])
def test_test_split_cuts_at_int_n_times_one_minus_split(cached, test_split, n_train):
    x_train, y_train, x_test, y_test = load(test_split=test_split)
    assert len(x_train) == len(y_train) == n_train
    assert len(x_test) == len(y_test) == 5 - n_train
    assert y_train + y_test == [1, 0, 3, 2, 4]               # one shuffle, then the cut


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_test_split_outside_0_1_is_explained(cached, bad):
    with pytest.raises(ValueError, match=f"test_split must be a fraction between 0 and 1; "
                                         f"got test_split={bad}"):
        reuters.load_data(test_split=bad)


def test_maxlen_then_split(cached):
    # lengths with the start mark: 3, 2, 4, 2, 3 (stored order); < 3 keeps [3] and [7]
    x_train, y_train, x_test, y_test = load(maxlen=3)
    assert y_train + y_test == [1, 3]
    assert x_train == [[1, 6]] and x_test == [[1, 2]]        # 10, the largest left: OOV
    x_train, y_train, x_test, y_test = load(maxlen=3, num_words=100)
    assert x_train == [[1, 6]] and x_test == [[1, 10]]
    assert len(load(maxlen=100)[0]) == 4


def test_maxlen_that_leaves_nothing_is_explained(cached):
    with pytest.raises(ValueError, match="maxlen=1"):
        reuters.load_data(maxlen=1)
    (x_train, y_train), (x_test, y_test) = reuters.load_data(maxlen=1, num_words=10)
    assert x_train.shape == x_test.shape == y_train.shape == y_test.shape == (0,)


def test_num_words_skip_top_oov_char_start_char_index_from(cached):
    assert load(num_words=7)[0] == [[1, 6], [1, 4, 5], [1, 2], [1, 2, 2, 2]]
    assert load(skip_top=6, num_words=100)[0] == [[2, 6], [2, 2, 2], [2, 10], [2, 7, 8, 9]]
    assert load(num_words=7, oov_char=None)[0] == [[1, 6], [1, 4, 5], [1], [1]]
    assert load(start_char=None, index_from=0, num_words=100)[0] == [[3], [1, 2], [7],
                                                                     [4, 5, 6]]
    assert load(start_char=5, index_from=10, num_words=100)[0] == [[5, 13], [5, 11, 12],
                                                                   [5, 17], [5, 14, 15, 16]]


def test_get_word_index_and_label_names(datasets, tmp_path, monkeypatch):
    path = write_word_index(datasets, "reuters_word_index.json")
    monkeypatch.setattr(reuters, "WORD_INDEX_HASH", md5(path))
    monkeypatch.setattr(reuters, "WORD_INDEX_ORIGIN",
                        nowhere(tmp_path, "reuters_word_index.json"))
    assert keras.datasets.reuters.get_word_index()["the"] == 1
    names = keras.datasets.reuters.get_label_names()
    assert isinstance(names, tuple) and len(names) == 46
    assert names[:4] == ("cocoa", "grain", "veg-oil", "earn") and names[-1] == "lead"
    assert len(set(names)) == 46


def test_offline_without_a_cache_names_the_file_and_where_to_put_it(datasets, tmp_path,
                                                                    monkeypatch):
    for attr, call, fname in [("ORIGIN", reuters.load_data, "reuters.npz"),
                              ("WORD_INDEX_ORIGIN", reuters.get_word_index,
                               "reuters_word_index.json")]:
        origin = nowhere(tmp_path, fname)
        monkeypatch.setattr(reuters, attr, origin)
        with pytest.raises(DownloadError, match="download the file elsewhere") as info:
            call()
        assert origin in str(info.value) and str(datasets / fname) in str(info.value)
    assert os.listdir(datasets) == []


def test_a_damaged_word_index_gets_a_clear_error(datasets, monkeypatch):
    path = datasets / "reuters_word_index.json"
    path.write_text('{"the": 1,')
    monkeypatch.setattr(reuters, "WORD_INDEX_HASH", md5(path))
    with pytest.raises(OSError, match="Reuters word index .* cannot be read.*Delete it"):
        reuters.get_word_index()
