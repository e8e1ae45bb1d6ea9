"""datasets.cifar100 on a small tar.gz in the real CIFAR-100 format, offline."""
import os
import pickle

import numpy as np
import pytest

import kerastutor as keras
from dataset_files import nowhere, sha256, write_cifar100_archive
from kerastutor import backend
from kerastutor.datasets import cifar100
from kerastutor.utils.file_utils import DownloadError


@pytest.fixture(params=[2, pickle.DEFAULT_PROTOCOL], ids=["protocol2", "default-protocol"])
def cached(request, datasets, tmp_path, monkeypatch):
    """The archive where Keras keeps it, ``datasets/cifar-100-python-target_archive``."""
    archive = datasets / "cifar-100-python-target_archive"
    batches = write_cifar100_archive(archive, n_train=5, n_test=3, protocol=request.param)
    monkeypatch.setattr(cifar100, "FILE_HASH", sha256(archive))
    monkeypatch.setattr(cifar100, "ORIGIN", nowhere(tmp_path, "cifar-100-python.tar.gz"))
    return batches


def test_uses_keras_archive_name_url_and_hash(monkeypatch):
    calls = []
    monkeypatch.setattr(cifar100, "get_file", lambda **kw: calls.append(kw) or "x")
    monkeypatch.setattr(cifar100, "load_batch",
                        lambda path, key, label_dtype: (np.zeros((1, 3, 32, 32)), np.zeros(1)))
    cifar100.load_data()
    assert calls == [{"fname": "cifar-100-python-target",
                      "origin": "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                      "extract": True,
                      "file_hash": "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855"
                                   "ba677a7"}]


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_label_mode_picks_the_labels(cached, label_mode):
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar100.load_data(label_mode)
    assert x_train.shape == (5, 32, 32, 3) and x_train.dtype == np.uint8
    assert x_test.shape == (3, 32, 32, 3)
    assert y_train.shape == (5, 1) and y_test.shape == (3, 1)
    assert y_train.dtype == np.int64                 # as Keras: the list's dtype, not uint8
    key = f"{label_mode}_labels".encode()
    assert y_train[:, 0].tolist() == cached["train"][key]
    assert y_test[:, 0].tolist() == cached["test"][key]
    raw = cached["train"][b"data"].reshape(5, 3, 32, 32)   # 1024 R, 1024 G, 1024 B per row
    np.testing.assert_array_equal(x_train, raw.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(x_train[0, 0, 1], cached["train"][b"data"][0, [1, 1025, 2049]])


def test_default_is_fine_and_the_archive_is_extracted_where_keras_puts_it(cached, datasets):
    (_, y_train), _ = cifar100.load_data()
    assert y_train[:, 0].tolist() == cached["train"][b"fine_labels"]
    assert (datasets / "cifar-100-python-target" / "cifar-100-python" / "train").is_file()


def test_channels_first(cached, monkeypatch):
    monkeypatch.setattr(backend, "image_data_format", lambda: "channels_first")
    (x_train, _), _ = cifar100.load_data()
    np.testing.assert_array_equal(x_train, cached["train"][b"data"].reshape(5, 3, 32, 32))


def test_bad_label_mode_is_explained_before_any_download(datasets, tmp_path, monkeypatch):
    monkeypatch.setattr(cifar100, "ORIGIN", nowhere(tmp_path, "cifar-100-python.tar.gz"))
    with pytest.raises(ValueError, match=r'`label_mode` must be one of `"fine"`, `"coarse"`\. '
                                         r"Received: label_mode=medium\."):
        cifar100.load_data("medium")
    assert os.listdir(datasets) == []


def test_offline_without_a_cache(datasets, tmp_path, monkeypatch):
    origin = nowhere(tmp_path, "cifar-100-python.tar.gz")
    monkeypatch.setattr(cifar100, "ORIGIN", origin)
    with pytest.raises(DownloadError, match="download the file elsewhere") as info:
        cifar100.load_data()
    assert origin in str(info.value)
    assert str(datasets / "cifar-100-python-target_archive") in str(info.value)


def test_a_pickle_that_would_run_code_is_refused(datasets, tmp_path, monkeypatch):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    folder = tmp_path / "extracted"
    folder.mkdir()
    (folder / "train").write_bytes(pickle.dumps({b"data": Evil(), b"fine_labels": []}))
    with pytest.raises(OSError, match="never runs code"):
        cifar100.load_batch(folder / "train", "fine_labels", label_dtype=None)
