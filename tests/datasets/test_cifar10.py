"""datasets.cifar10 on a small archive written in the real CIFAR format."""
import hashlib
import io
import os
import pickle
import tarfile

import numpy as np
import pytest

import kerastutor as keras
from kerastutor.datasets import cifar10


def batch_bytes(n, seed):
    rng = np.random.default_rng(seed)
    batch = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
             b"labels": [int(v) for v in rng.integers(0, 10, n)],
             b"batch_label": b"testing batch"}
    return pickle.dumps(batch, protocol=2)


def make_archive(path, n=4):
    with tarfile.open(path, "w:gz") as archive:
        names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        for seed, name in enumerate(names):
            data = batch_bytes(n, seed)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_load_data_reads_the_real_format(tmp_path, monkeypatch):
    digest = make_archive(tmp_path / "cifar-10-python.tar.gz")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(cifar10, "ORIGIN", (tmp_path / "cifar-10-python.tar.gz").as_uri())
    monkeypatch.setattr(cifar10, "FILE_HASH", digest)
    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    assert x_train.shape == (20, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (20, 1) and x_test.shape == (4, 32, 32, 3)
    assert y_test.shape == (4, 1)
    raw = pickle.loads(batch_bytes(4, 0))[b"data"].reshape(4, 3, 32, 32)
    np.testing.assert_array_equal(x_train[:4], raw.transpose(0, 2, 3, 1))   # channels_last


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(OSError, match="never runs code"):
        cifar10.load_batch(path)
