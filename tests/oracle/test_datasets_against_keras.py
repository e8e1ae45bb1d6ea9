"""Real Keras 3 as the oracle for every ``keras.datasets`` loader, on the same small files.

Both libraries read the same files from the same cache folder. Keras checks
the real files' hashes, which the small files cannot have, so Keras's
``get_file`` is wrapped to expect the small file's hash instead -- after
recording the name, URL and hash Keras asked for, which must be kerastutor's.
Everything else (cache paths, extraction, unpickling, shuffling, the order of
the sequence steps) is Keras's own code. Outputs must agree exactly: shapes,
dtypes, values, and the Python types inside object arrays. Run by
``tox -e keras`` (KERASTUTOR_ORACLE=1).
"""
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402,F401
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras.src.backend import config as keras_config  # noqa: E402
from keras.src.datasets import boston_housing as k_boston  # noqa: E402
from keras.src.datasets import california_housing as k_california  # noqa: E402
from keras.src.datasets import cifar100 as k_cifar100  # noqa: E402
from keras.src.datasets import fashion_mnist as k_fashion  # noqa: E402
from keras.src.datasets import imdb as k_imdb  # noqa: E402
from keras.src.datasets import reuters as k_reuters  # noqa: E402
from keras.src.utils import file_utils as k_file_utils  # noqa: E402

import kerastutor  # noqa: E402
from kerastutor.datasets import (boston_housing, california_housing, cifar100,  # noqa: E402
                                 imdb, reuters)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "datasets"))
from dataset_files import (md5, sha256, write_cifar100_archive, write_fashion_mnist,  # noqa
                           write_housing, write_imdb, write_reuters, write_word_index)


@pytest.fixture
def datasets(tmp_path, monkeypatch):
    """One cache folder for both: KERAS_HOME for kerastutor, Keras's own setting for Keras
    (Keras reads KERAS_HOME once, at import)."""
    home = tmp_path / "keras_home"
    (home / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(home))
    return home / "datasets"


def keras_expects(monkeypatch, keras_module, ours, digest, hash_attr="FILE_HASH",
                  origin_attr="ORIGIN"):
    """Make ``keras_module``'s get_file expect ``digest``; check it asked for our URL and hash."""
    origin, real_hash = getattr(ours, origin_attr), getattr(ours, hash_attr)

    def get_file(*args, **kwargs):
        assert (kwargs["origin"], kwargs["file_hash"]) == (origin, real_hash)
        return k_file_utils.get_file(*args, **{**kwargs, "file_hash": digest})
    monkeypatch.setattr(keras_module, "get_file", get_file)
    monkeypatch.setattr(ours, hash_attr, digest)


def assert_same_array(ours, theirs):
    assert type(ours) is type(theirs) is np.ndarray
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    if ours.dtype == object:        # lists of ints: the same values and the same int types
        assert ours.tolist() == theirs.tolist()
        assert types_in(ours.tolist()) == types_in(theirs.tolist())
    else:
        np.testing.assert_array_equal(ours, theirs)


def types_in(value):
    """The nested list of the types of everything in ``value``'s (nested) lists."""
    return [types_in(v) for v in value] if isinstance(value, list) else type(value)


def assert_same_split(ours, theirs):
    for our_part, their_part in zip(ours, theirs):
        for a, b in zip(our_part, their_part):
            assert_same_array(a, b)


IMDB_CASES = [{}, {"num_words": 8}, {"skip_top": 5}, {"maxlen": 4}, {"maxlen": 5},
              {"start_char": None}, {"start_char": None, "index_from": 0},
              {"oov_char": None, "num_words": 8}, {"seed": 0, "index_from": 0},
              {"seed": 7, "num_words": 10, "skip_top": 4, "oov_char": 0},
              {"start_char": 9, "index_from": 1, "maxlen": 6}, {"num_words": 0, "maxlen": 0}]


@pytest.mark.parametrize("kwargs", IMDB_CASES, ids=str)
def test_imdb(datasets, monkeypatch, kwargs):
    keras_expects(monkeypatch, k_imdb, imdb, sha256(write_imdb(datasets)))
    assert_same_split(imdb.load_data(**kwargs), k_imdb.load_data(**kwargs))


def test_imdb_maxlen_error(datasets, monkeypatch):
    keras_expects(monkeypatch, k_imdb, imdb, sha256(write_imdb(datasets)))
    with pytest.raises(ValueError) as theirs:
        k_imdb.load_data(maxlen=2)
    with pytest.raises(ValueError) as ours:
        imdb.load_data(maxlen=2)
    assert str(ours.value).startswith(str(theirs.value))


def test_imdb_same_length_reviews(datasets, monkeypatch):
    path = write_imdb(datasets, x_train=[[1, 2], [3, 4]], y_train=[0, 1],
                      x_test=[[5, 6], [7]], y_test=[1, 0])
    keras_expects(monkeypatch, k_imdb, imdb, sha256(path))
    assert_same_split(imdb.load_data(), k_imdb.load_data())


REUTERS_CASES = [{}, {"test_split": 0.5}, {"test_split": 0.0}, {"test_split": 1.0},
                 {"maxlen": 3}, {"maxlen": 3, "test_split": 0.0}, {"num_words": 7},
                 {"skip_top": 6, "oov_char": None}, {"start_char": None, "index_from": 0},
                 {"seed": 1, "start_char": None}, {"seed": 3, "num_words": 9, "oov_char": 5}]


@pytest.mark.parametrize("kwargs", REUTERS_CASES, ids=str)
def test_reuters(datasets, monkeypatch, kwargs):
    keras_expects(monkeypatch, k_reuters, reuters, sha256(write_reuters(datasets)))
    assert_same_split(reuters.load_data(**kwargs), k_reuters.load_data(**kwargs))


@pytest.mark.parametrize("ours, theirs, name", [
    (imdb, k_imdb, "imdb_word_index.json"), (reuters, k_reuters, "reuters_word_index.json")])
def test_word_index(datasets, monkeypatch, ours, theirs, name):
    digest = md5(write_word_index(datasets, name))
    keras_expects(monkeypatch, theirs, ours, digest, "WORD_INDEX_HASH", "WORD_INDEX_ORIGIN")
    assert ours.get_word_index() == theirs.get_word_index()


def test_reuters_label_names():
    assert reuters.get_label_names() == k_reuters.get_label_names()


@pytest.mark.parametrize("kwargs", [{}, {"test_split": 0.0}, {"test_split": 0.35},
                                    {"seed": 0}, {"seed": 5, "test_split": 0.5}], ids=str)
def test_boston_housing(datasets, monkeypatch, kwargs):
    path, _, _ = write_housing(datasets, "boston_housing.npz", 10, 13)
    keras_expects(monkeypatch, k_boston, boston_housing, sha256(path))
    assert_same_split(boston_housing.load_data(**kwargs), k_boston.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", [{}, {"version": "small"}, {"test_split": 0.1, "seed": 2},
                                    {"version": "small", "test_split": 0.0, "seed": 9}],
                         ids=str)
def test_california_housing(datasets, monkeypatch, kwargs):
    path, _, _ = write_housing(datasets, "california_housing.npz", 700, 8)
    keras_expects(monkeypatch, k_california, california_housing, sha256(path))
    assert_same_split(california_housing.load_data(**kwargs),
                      k_california.load_data(**kwargs))


def test_fashion_mnist(datasets):
    """No hash to stand in for: both read the files straight from the shared cache."""
    write_fashion_mnist(datasets)
    assert_same_split(kerastutor.datasets.fashion_mnist.load_data(), k_fashion.load_data())


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100(datasets, monkeypatch, label_mode):
    archive = datasets / "cifar-100-python-target_archive"       # where both keep it
    write_cifar100_archive(archive)
    keras_expects(monkeypatch, k_cifar100, cifar100, sha256(archive))
    assert_same_split(cifar100.load_data(label_mode), k_cifar100.load_data(label_mode))


@pytest.mark.parametrize("call", [
    lambda lib: lib.datasets.cifar100.load_data("medium"),
    lambda lib: lib.datasets.california_housing.load_data("medium"),
    lambda lib: lib.datasets.boston_housing.load_data(test_split=1)])
def test_argument_errors_start_with_keras_message(datasets, monkeypatch, call):
    write_housing(datasets, "california_housing.npz", 10, 8)     # Keras checks after reading
    monkeypatch.setattr(k_california, "get_file", lambda *a, **k: str(
        datasets / "california_housing.npz"))
    with pytest.raises(ValueError) as theirs:
        call(keras)
    with pytest.raises(ValueError) as ours:
        call(kerastutor)
    assert str(ours.value).startswith(str(theirs.value).rstrip("."))
