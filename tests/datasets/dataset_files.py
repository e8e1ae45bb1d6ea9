"""Small files in each dataset's real on-disk format, for the loader tests and the oracle.

Each writer puts the file where the loader (Keras's or kerastutor's) looks
for it, under ``<cache>/datasets``, and returns what the tests need to check
the result. The loaders check a sha256 or md5 hash that only the real files
have, so the tests point the module's expected hash at the small file's
(:func:`sha256`, :func:`md5`), and the origin at a URL that does not exist
(:func:`nowhere`): if a loader tried to download, the test would fail.
"""
import gzip
import hashlib
import io
import json
import pickle
import struct
import tarfile

import numpy as np


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def nowhere(tmp_path, name):
    """A file:// URL with nothing behind it: downloading from it fails as offline."""
    return (tmp_path / "offline-origin" / name).as_uri()


def ragged(sequences):
    """A 1-D object array of Python lists, as IMDB and Reuters store their texts."""
    array = np.empty(len(sequences), dtype=object)
    for i, sequence in enumerate(sequences):
        array[i] = list(sequence)
    return array


# ---------------------------------------------------------------- IMDB and Reuters
# The fact sheet's golden files (keras-next.md 7.3).
IMDB_X_TRAIN = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [10]]
IMDB_Y_TRAIN = [0, 1, 0, 1]
IMDB_X_TEST = [[2, 2], [11, 1, 3]]
IMDB_Y_TEST = [1, 0]
REUTERS_X = [[1, 2], [3], [4, 5, 6], [7], [8, 9]]
REUTERS_Y = [0, 1, 2, 3, 4]


def write_imdb(datasets, x_train=IMDB_X_TRAIN, y_train=IMDB_Y_TRAIN, x_test=IMDB_X_TEST,
               y_test=IMDB_Y_TEST, name="imdb.npz"):
    path = datasets / name
    np.savez(path, x_train=ragged(x_train), y_train=np.array(y_train),
             x_test=ragged(x_test), y_test=np.array(y_test))
    return path


def write_reuters(datasets, x=REUTERS_X, y=REUTERS_Y, name="reuters.npz"):
    path = datasets / name
    np.savez(path, x=ragged(x), y=np.array(y))
    return path


def write_word_index(datasets, name, words=("the", "and", "a", "of", "café")):
    path = datasets / name
    path.write_text(json.dumps({word: rank for rank, word in enumerate(words, 1)}),
                    encoding="utf-8")
    return path


# ---------------------------------------------------------------- housing
def write_housing(datasets, name, n, features):
    """``x`` float64 ``(n, features)`` whose row i starts with i, ``y`` = i: rows are traceable."""
    path = datasets / name
    x = np.arange(n * features, dtype=np.float64).reshape(n, features) / features
    y = np.arange(n, dtype=np.float64)
    np.savez(path, x=x, y=y)
    return path, x, y


# ---------------------------------------------------------------- Fashion-MNIST
def idx_labels(labels):
    labels = np.asarray(labels, np.uint8)
    return struct.pack(">ii", 2049, len(labels)) + labels.tobytes()


def idx_images(images):
    images = np.asarray(images, np.uint8)
    return struct.pack(">iiii", 2051, *images.shape) + images.tobytes()


def write_fashion_mnist(datasets, n_train=6, n_test=3, seed=0):
    """The four gzip IDX files in ``datasets/fashion-mnist``; returns the arrays."""
    rng = np.random.default_rng(seed)
    arrays = {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, n_test, dtype=np.uint8)}
    folder = datasets / "fashion-mnist"
    folder.mkdir(parents=True, exist_ok=True)
    contents = {"train-labels-idx1-ubyte.gz": idx_labels(arrays["y_train"]),
                "train-images-idx3-ubyte.gz": idx_images(arrays["x_train"]),
                "t10k-labels-idx1-ubyte.gz": idx_labels(arrays["y_test"]),
                "t10k-images-idx3-ubyte.gz": idx_images(arrays["x_test"])}
    for fname, data in contents.items():
        with gzip.open(folder / fname, "wb") as handle:
            handle.write(data)
    return arrays


# ---------------------------------------------------------------- CIFAR-100
def cifar100_batch(n, seed):
    """A CIFAR-100 batch dict as the real pickles hold it (byte keys, labels as lists)."""
    rng = np.random.default_rng(seed)
    return {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"fine_labels": [int(v) for v in rng.integers(0, 100, n)],
            b"coarse_labels": [int(v) for v in rng.integers(0, 20, n)],
            b"filenames": [b"img%d.png" % i for i in range(n)],
            b"batch_label": b"testing batch"}


def write_cifar100_archive(path, n_train=5, n_test=3, protocol=pickle.DEFAULT_PROTOCOL):
    """``cifar-100-python/{train,test,meta}`` in a tar.gz at ``path``; returns the two batches."""
    batches = {"train": cifar100_batch(n_train, 0), "test": cifar100_batch(n_test, 1)}
    meta = {b"fine_label_names": [b"apple"] * 100, b"coarse_label_names": [b"fish"] * 20}
    members = {name: pickle.dumps(batch, protocol=protocol) for name, batch in batches.items()}
    members["meta"] = pickle.dumps(meta, protocol=protocol)
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return batches
