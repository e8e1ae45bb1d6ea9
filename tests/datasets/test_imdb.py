"""datasets.imdb on a small .npz in the real format (object arrays of lists), offline.

The expected values are the fact sheet's (keras-next.md 7.3), which were
produced by Keras 3.15.1 on the same file; tests/oracle checks them again
against Keras itself.
"""
import os
import pickle

import numpy as np
import pytest

import kerastutor as keras
from dataset_files import md5, nowhere, ragged, sha256, write_imdb, write_word_index
from kerastutor.datasets import imdb
from kerastutor.utils.file_utils import DownloadError


@pytest.fixture
def cached(datasets, tmp_path, monkeypatch):
    """The golden imdb.npz in the cache, its hash expected, and no way to download."""
    path = write_imdb(datasets)
    monkeypatch.setattr(imdb, "FILE_HASH", sha256(path))
    monkeypatch.setattr(imdb, "ORIGIN", nowhere(tmp_path, "imdb.npz"))
    return path


def as_lists(x):
    return [list(seq) for seq in x]


def load(**kwargs):
    (x_train, y_train), (x_test, y_test) = keras.datasets.imdb.load_data(**kwargs)
    return as_lists(x_train), y_train.tolist(), as_lists(x_test), y_test.tolist()


def test_uses_keras_file_names_urls_and_hashes(monkeypatch):
    calls = []
    monkeypatch.setattr(imdb, "get_file", lambda **kwargs: calls.append(kwargs) or "x")
    monkeypatch.setattr(imdb, "read_word_index", lambda path, name: {})
    monkeypatch.setattr(imdb.npz_utils, "read_arrays",
                        lambda path, keys, name, object_arrays: [ragged([[1]]), np.zeros(1)] * 2)
    imdb.load_data()
    imdb.get_word_index()
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    assert calls == [
        {"fname": "imdb.npz", "origin": base + "imdb.npz",
         "file_hash": "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"},
        {"fname": "imdb_word_index.json", "origin": base + "imdb_word_index.json",
         "file_hash": "bfafd718b763782e994055a2d397834f"}]


def test_defaults_shuffle_mark_shift_and_make_the_largest_index_oov(cached):
    (x_train, y_train), (x_test, y_test) = imdb.load_data()
    assert x_train.dtype == object and x_train.shape == (4,)
    assert all(type(seq) is list for seq in x_train)
    # RandomState(113) orders the 4 training reviews [3, 2, 0, 1] and then, with the
    # same generator, the 2 test reviews; 1 is prepended and 3 added to every index.
    assert as_lists(x_train) == [[1, 13], [1, 9, 10, 11, 12], [1, 4, 5, 6], [1, 7, 8]]
    assert y_train.tolist() == [1, 0, 0, 1]
    assert as_lists(x_test) == [[1, 2, 4, 6], [1, 5, 5]] and y_test.tolist() == [0, 1]
    # num_words=None means "the largest index", kept with a strict <, so 14
    # (= 11 + 3, the largest) became the out-of-vocabulary 2.


def test_seed_shuffles_reviews_and_labels_together(cached):
    x_train, y_train, x_test, y_test = load(seed=0, index_from=0)
    assert x_train == [[1, 6, 7, 8, 9], [1, 10], [1, 4, 5], [1, 1, 2, 3]]
    assert y_train == [0, 1, 1, 0]
    assert x_test == [[1, 2, 2], [1, 2, 1, 3]] and y_test == [1, 0]
    # each review still has its own label, whatever the order
    stored = {tuple(x): y for x, y in zip([[6, 7, 8, 9], [10], [4, 5], [1, 2, 3]],
                                          [0, 1, 1, 0])}
    assert all(stored[tuple(x[1:])] == y for x, y in zip(x_train, y_train))
    assert load(seed=0, index_from=0) == load(seed=0, index_from=0)        # repeatable


def test_num_words_keeps_indices_below_it_after_the_shift(cached):
    x_train, _, x_test, _ = load(num_words=8)
    assert x_train == [[1, 2], [1, 2, 2, 2, 2], [1, 4, 5, 6], [1, 7, 2]]
    assert x_test == [[1, 2, 4, 6], [1, 5, 5]]
    assert load(num_words=0) == load()                       # 0 is "None", as in Keras


def test_skip_top_also_turns_the_start_mark_into_oov(cached):
    x_train, _, x_test, _ = load(skip_top=5)
    assert x_train == [[2, 13], [2, 9, 10, 11, 12], [2, 2, 5, 6], [2, 7, 8]]
    assert x_test == [[2, 2, 2, 6], [2, 5, 5]]


def test_oov_char_replaces_or_with_none_removes(cached):
    x_train, _, x_test, _ = load(num_words=8, oov_char=None)
    assert x_train == [[1], [1], [1, 4, 5, 6], [1, 7]]
    assert x_test == [[1, 4, 6], [1, 5, 5]]
    x_train, _, _, _ = load(num_words=8, oov_char=0)
    assert x_train == [[1, 0], [1, 0, 0, 0, 0], [1, 4, 5, 6], [1, 7, 0]]


def test_start_char_and_index_from(cached):
    x_train, _, x_test, _ = load(start_char=None)
    assert x_train == [[13], [9, 10, 11, 12], [4, 5, 6], [7, 8]]
    assert x_test == [[2, 4, 6], [5, 5]]
    x_train, _, x_test, _ = load(start_char=None, index_from=0)
    assert x_train == [[10], [6, 7, 8, 9], [1, 2, 3], [4, 5]]
    assert x_test == [[2, 1, 3], [2, 2]]
    x_train, _, _, _ = load(start_char=7, index_from=10, num_words=100)
    assert x_train == [[7, 20], [7, 16, 17, 18, 19], [7, 11, 12, 13], [7, 14, 15]]


def test_maxlen_drops_long_reviews_counting_the_start_mark(cached):
    x_train, y_train, x_test, y_test = load(maxlen=4)
    # lengths after the start mark: train 2, 5, 4, 3 and test 4, 3; kept only if < 4
    assert x_train == [[1, 2], [1, 7, 8]] and y_train == [1, 1]
    assert x_test == [[1, 5, 5]] and y_test == [1]
    # maxlen comes before num_words=None: with the test review holding 14 dropped, the
    # largest index left is 13, so 13 becomes OOV (it stays 13 while 14 is there).
    assert load(maxlen=4)[0][0] == [1, 2] and load(maxlen=5)[0][0] == [1, 13]
    assert load(maxlen=0) == load()                          # 0 means no limit, as in Keras


def test_maxlen_that_leaves_nothing_is_explained(cached):
    with pytest.raises(ValueError, match=r"no sequence was kept\. Increase maxlen"):
        imdb.load_data(maxlen=2)
    with pytest.raises(ValueError, match="maxlen=3"):        # train keeps one, test none
        imdb.load_data(maxlen=3)


def test_same_length_reviews_come_back_as_a_2d_object_array(datasets, tmp_path, monkeypatch):
    path = write_imdb(datasets, x_train=[[1, 2], [3, 4]], y_train=[0, 1],
                      x_test=[[5, 6], [7]], y_test=[1, 0])
    monkeypatch.setattr(imdb, "FILE_HASH", sha256(path))
    (x_train, _), (x_test, _) = imdb.load_data()
    assert x_train.shape == (2, 3) and x_train.dtype == object     # np.array(.., object)
    assert x_test.shape == (2,)


def test_labels_keep_their_dtype(cached):
    (_, y_train), (_, y_test) = imdb.load_data()
    assert y_train.dtype == np.array([0]).dtype and y_test.dtype == y_train.dtype


def test_unknown_keyword_arguments_are_ignored_with_a_warning(cached):
    with pytest.warns(UserWarning, match=r"ignores the keyword arguments \['nb_words'\]"):
        x_train, _, _, _ = load(nb_words=3)
    assert x_train == load()[0]


def test_get_word_index(datasets, tmp_path, monkeypatch):
    path = write_word_index(datasets, "imdb_word_index.json")
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", md5(path))         # md5, as Keras's
    monkeypatch.setattr(imdb, "WORD_INDEX_ORIGIN", nowhere(tmp_path, "imdb_word_index.json"))
    index = keras.datasets.imdb.get_word_index()
    assert index == {"the": 1, "and": 2, "a": 3, "of": 4, "café": 5}
    words = {rank + 3: word for word, rank in index.items()}
    assert [words[i] for i in [4, 5, 8]] == ["the", "and", "café"]


def test_offline_without_a_cache_names_the_file_and_where_to_put_it(datasets, tmp_path,
                                                                    monkeypatch):
    for module_attr, call, fname in [("ORIGIN", imdb.load_data, "imdb.npz"),
                                     ("WORD_INDEX_ORIGIN", imdb.get_word_index,
                                      "imdb_word_index.json")]:
        origin = nowhere(tmp_path, fname)
        monkeypatch.setattr(imdb, module_attr, origin)
        with pytest.raises(DownloadError, match="download the file elsewhere") as info:
            call()
        assert origin in str(info.value)
        assert str(datasets / fname) in str(info.value)
    assert os.listdir(datasets) == []


def test_a_pickle_that_would_run_code_is_refused(datasets, monkeypatch):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    evil = np.empty(1, dtype=object)
    evil[0] = Evil()
    path = datasets / "imdb.npz"
    np.savez(path, x_train=evil, y_train=np.zeros(1), x_test=evil, y_test=np.zeros(1))
    monkeypatch.setattr(imdb, "FILE_HASH", sha256(path))
    with pytest.raises(OSError, match=r"refusing to load (posix|nt)\.system") as info:
        imdb.load_data()
    assert isinstance(info.value.__cause__, pickle.UnpicklingError)


def test_a_damaged_file_gets_a_clear_error(datasets, monkeypatch):
    path = datasets / "imdb.npz"
    np.savez(path, x_train=ragged([[1]]))
    monkeypatch.setattr(imdb, "FILE_HASH", sha256(path))
    with pytest.raises(OSError, match=r"IMDB file .* not \['y_train', 'x_test', 'y_test'\]"
                                      r".*Delete it"):
        imdb.load_data()
