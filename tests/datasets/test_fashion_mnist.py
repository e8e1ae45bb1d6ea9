"""datasets.fashion_mnist on four small gzip IDX files, as Keras caches them, offline."""
import gzip
import os

import numpy as np
import pytest

import kerastutor as keras
from dataset_files import idx_images, idx_labels, write_fashion_mnist
from kerastutor.datasets import fashion_mnist
from kerastutor.utils.file_utils import DownloadError

FILES = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]


def test_uses_keras_file_names_urls_and_cache_folder(monkeypatch):
    calls = []
    monkeypatch.setattr(fashion_mnist, "get_file",
                        lambda fname, **kw: calls.append((fname, kw)) or fname)
    monkeypatch.setattr(fashion_mnist, "read_idx_labels", lambda path: np.zeros(2))
    monkeypatch.setattr(fashion_mnist, "read_idx_images", lambda path, n: np.zeros(n))
    fashion_mnist.load_data()
    base = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    # no file_hash: Keras has none for these files
    assert calls == [(f, {"origin": base + f, "cache_subdir": os.path.join("datasets",
                                                                           "fashion-mnist")})
                     for f in FILES]


def test_reads_the_cached_files(datasets):
    arrays = write_fashion_mnist(datasets, n_train=6, n_test=3)
    (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data()
    for name, got in [("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                      ("y_test", y_test)]:
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[name])
    assert x_train.shape == (6, 28, 28) and y_train.shape == (6,)
    assert x_test.shape == (3, 28, 28) and y_test.shape == (3,)
    assert x_train.flags.writeable and y_test.flags.writeable   # unlike Keras's views
    x_train //= 2
    assert sorted(os.listdir(datasets)) == ["fashion-mnist"]


def test_class_names():
    assert fashion_mnist.CLASS_NAMES[0] == "T-shirt/top" and len(fashion_mnist.CLASS_NAMES) == 10
    assert fashion_mnist.CLASS_NAMES[9] == "Ankle boot"


def test_offline_without_a_cache_names_the_file_and_folder(datasets, tmp_path, monkeypatch):
    origin_folder = (tmp_path / "offline").as_uri() + "/"
    monkeypatch.setattr(fashion_mnist, "ORIGIN_FOLDER", origin_folder)
    with pytest.raises(DownloadError, match="download the file elsewhere") as info:
        fashion_mnist.load_data()
    message = str(info.value)
    assert origin_folder + FILES[0] in message
    assert str(datasets / "fashion-mnist" / FILES[0]) in message


def test_only_the_missing_files_are_downloaded(datasets, tmp_path, monkeypatch, capsys):
    arrays = write_fashion_mnist(datasets)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    os.replace(datasets / "fashion-mnist" / FILES[3], mirror / FILES[3])
    monkeypatch.setattr(fashion_mnist, "ORIGIN_FOLDER", mirror.as_uri() + "/")
    (_, _), (x_test, _) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_test, arrays["x_test"])
    assert capsys.readouterr().out.count("Downloading data from") == 1


@pytest.mark.parametrize("fname, data, why", [
    (FILES[0], b"not gzip at all", "not a complete gzip file"),
    (FILES[0], idx_images(np.zeros((6, 28, 28))), "magic number is 2051, not 2049"),
    (FILES[0], idx_labels(np.zeros(6))[:-2], "header says 6 labels, but it holds 4"),
    (FILES[1], idx_images(np.zeros((6, 28, 27))), r"6 images of 28x27"),
    (FILES[1], idx_images(np.zeros((5, 28, 28))), r"header says 5 images .* but 6 labels"),
    (FILES[1], b"\x00\x00", "less than an IDX header")])
def test_damaged_files_get_a_clear_error(datasets, fname, data, why):
    write_fashion_mnist(datasets, n_train=6)
    path = datasets / "fashion-mnist" / fname
    if data.startswith(b"not gzip"):
        path.write_bytes(data)
    else:
        with gzip.open(path, "wb") as handle:
            handle.write(data)
    with pytest.raises(OSError, match=f"Fashion-MNIST file .*{fname} cannot be read: .*{why}"
                                      ".*Delete it"):
        fashion_mnist.load_data()
