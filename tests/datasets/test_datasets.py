"""get_file (cache, hashes, all-or-nothing downloads) and datasets.mnist, all offline.

Downloads use file:// URLs to files the tests write: urllib opens them like
any other URL, so no network is needed.
"""
import hashlib
import io
import os
import tarfile
import zipfile

import numpy as np
import pytest

import kerastutor as keras
from kerastutor.datasets import mnist
from kerastutor.utils import file_utils
from kerastutor.utils.file_utils import (DownloadError, HashMismatchError, get_file, hash_file,
                                         validate_file)

# Standard test vectors for the three bytes b"abc" (FIPS 180-2, RFC 1321).
ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
ABC_MD5 = "900150983cd24fb0d6963f7d28e17f72"


def write(path, data):
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh, empty KERAS_HOME."""
    root = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(root))
    return root


@pytest.fixture
def source(tmp_path):
    """A file to download and its sha256."""
    path = tmp_path / "served" / "data.bin"
    path.parent.mkdir()
    return path, write(path, b"payload " * 100)


def cache_listing(home):
    return sorted(os.listdir(home / "datasets"))


# ------------------------------------------------------------------ hashes
def test_hash_file_and_validate_file(tmp_path):
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    assert hash_file(path) == ABC_SHA256
    assert hash_file(path, "md5") == ABC_MD5
    assert hash_file(path, hashlib.sha256()) == ABC_SHA256
    assert validate_file(path, ABC_SHA256) and validate_file(path, ABC_MD5)   # by length
    assert validate_file(path, ABC_SHA256.upper())
    assert not validate_file(path, "0" * 64)
    assert not validate_file(path, ABC_MD5, algorithm="sha256")


def test_bad_hash_arguments_are_explained(tmp_path):
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    with pytest.raises(ValueError, match=r"hash_algorithm .* got 'sha265'.*'sha256'"):
        validate_file(path, ABC_SHA256, algorithm="sha265")
    with pytest.raises(ValueError, match=r"64 characters for sha256 or 32 for md5.*40 char"):
        validate_file(path, "a" * 40)


# ------------------------------------------------------------------ get_file
def test_downloads_once_into_keras_home(home, source, capsys):
    path, digest = source
    got = get_file("data.bin", origin=path.as_uri(), file_hash=digest)
    assert got == str(home / "datasets" / "data.bin")
    assert open(got, "rb").read() == path.read_bytes()
    assert "Downloading data from " + path.as_uri() in capsys.readouterr().out
    path.unlink()                                  # the origin is gone: the cache serves
    assert get_file("data.bin", origin=path.as_uri(), file_hash=digest) == got
    assert "Downloading" not in capsys.readouterr().out
    assert cache_listing(home) == ["data.bin"]     # no temporary files left behind


def test_name_comes_from_the_url_and_cache_dir_overrides_keras_home(home, source, tmp_path):
    path, digest = source
    got = get_file(origin=path.as_uri(), file_hash=digest, cache_dir=str(tmp_path / "c"),
                   cache_subdir="files")
    assert got == str(tmp_path / "c" / "files" / "data.bin")
    assert not home.exists()


def test_absolute_cache_subdir_is_used_as_is(home, source, tmp_path):
    path, _ = source
    got = get_file("x.bin", origin=path.as_uri(), cache_subdir=str(tmp_path / "abs"))
    assert got == str(tmp_path / "abs" / "x.bin")


def test_a_good_cached_file_is_used_without_any_network(home):
    (home / "datasets").mkdir(parents=True)
    digest = write(home / "datasets" / "cached.npz", b"already here")
    got = get_file("cached.npz", origin="file:///nonexistent/cached.npz", file_hash=digest)
    assert open(got, "rb").read() == b"already here"


def test_a_stale_cached_file_is_downloaded_again(home, source, capsys):
    path, digest = source
    (home / "datasets").mkdir(parents=True)
    write(home / "datasets" / "data.bin", b"old version")
    got = get_file("data.bin", origin=path.as_uri(), file_hash=digest)
    assert open(got, "rb").read() == path.read_bytes()
    assert "A local file was found" in capsys.readouterr().out


def test_force_download_replaces_even_a_good_file(home, source):
    path, digest = source
    get_file("data.bin", origin=path.as_uri(), file_hash=digest)
    new_digest = write(path, b"new payload")
    got = get_file("data.bin", origin=path.as_uri(), file_hash=new_digest,
                   force_download=True)
    assert open(got, "rb").read() == b"new payload"


def test_md5_hashes_are_accepted(home, source):
    path, _ = source
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    assert os.path.exists(get_file("a.bin", origin=path.as_uri(), file_hash=md5))
    assert os.path.exists(get_file("b.bin", origin=path.as_uri(), md5_hash=md5))


def test_wrong_hash_raises_and_leaves_nothing(home, source):
    path, digest = source
    with pytest.raises(HashMismatchError, match=r"expected sha256 hash 0{64} \(its hash is "
                                                + digest) as info:
        get_file("data.bin", origin=path.as_uri(), file_hash="0" * 64)
    assert isinstance(info.value, ValueError) and isinstance(info.value, OSError)
    assert cache_listing(home) == []


def test_offline_error_names_url_cache_path_and_reason(home, tmp_path):
    missing = (tmp_path / "nowhere" / "mnist.npz").as_uri()
    with pytest.raises(DownloadError) as info:
        get_file("mnist.npz", origin=missing, file_hash=ABC_SHA256)
    message = str(info.value)
    assert isinstance(info.value, OSError)
    assert missing in message
    assert str(home / "datasets" / "mnist.npz") in message
    assert "No such file or directory" in message            # the reason
    assert ABC_SHA256 in message                              # how to check a copy
    assert cache_listing(home) == []


class BrokenResponse(io.BytesIO):
    """An HTTP response that delivers some bytes, then fails like a dropped connection."""

    def __init__(self, data, announced, error):
        super().__init__(data)
        self.headers = {"Content-Length": str(announced)}
        self.error = error

    def read(self, size=-1):
        chunk = super().read(size)
        if not chunk and self.error is not None:
            raise self.error
        return chunk


def serve(monkeypatch, response):
    monkeypatch.setattr(file_utils.urllib.request, "urlopen",
                        lambda url, timeout=None: response)


@pytest.mark.parametrize("error, exception", [
    (ConnectionResetError("connection reset by peer"), DownloadError),
    (KeyboardInterrupt(), KeyboardInterrupt)])
def test_failure_mid_download_keeps_the_old_file_and_no_part_file(home, source, monkeypatch,
                                                                  error, exception):
    path, digest = source
    good = get_file("data.bin", origin=path.as_uri(), file_hash=digest)
    serve(monkeypatch, BrokenResponse(b"half of i", announced=100, error=error))
    with pytest.raises(exception):
        get_file("data.bin", origin="https://example.invalid/data.bin", force_download=True)
    assert cache_listing(home) == ["data.bin"]
    assert open(good, "rb").read() == path.read_bytes()       # untouched


def test_a_short_download_is_not_kept(home, monkeypatch):
    serve(monkeypatch, BrokenResponse(b"only 16 bytes..", announced=1000, error=None))
    with pytest.raises(DownloadError, match="closed after 15 of 1000 bytes"):
        get_file("data.bin", origin="https://example.invalid/data.bin")
    assert cache_listing(home) == []


def test_bad_get_file_arguments_are_explained(home, source):
    path, _ = source
    with pytest.raises(ValueError, match="origin"):
        get_file("data.bin")
    with pytest.raises(ValueError, match="fname is a file name, not a path.*cache_dir"):
        get_file("sub/data.bin", origin=path.as_uri())
    with pytest.raises(ValueError, match="cannot take a file name.*pass fname"):
        get_file(origin="https://example.com/")
    with pytest.raises(ValueError, match="Did you mean 'md5'"):
        get_file("data.bin", origin=path.as_uri(), file_hash=ABC_MD5, hash_algorithm="mb5")
    with pytest.raises(ValueError, match="not a URL that can be opened"):
        get_file("data.bin", origin="nowhere/data.bin")


# ------------------------------------------------------------------ archives
def make_tar(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def test_extract_tar_and_zip(home, tmp_path):
    make_tar(tmp_path / "pack.tar.gz", {"pack/a.txt": b"A"})
    with zipfile.ZipFile(tmp_path / "pack.zip", "w") as archive:
        archive.writestr("pack/b.txt", b"B")
    got_tar = get_file("pack.tar.gz", origin=(tmp_path / "pack.tar.gz").as_uri(), extract=True)
    assert got_tar == str(home / "datasets" / "pack_extracted")
    assert open(os.path.join(got_tar, "pack", "a.txt"), "rb").read() == b"A"
    got_zip = get_file(origin=(tmp_path / "pack.zip").as_uri(), extract=True)
    assert got_zip == str(home / "datasets" / "pack.zip")       # fname from the URL
    assert open(os.path.join(got_zip, "pack", "b.txt"), "rb").read() == b"B"


def test_archive_members_cannot_escape_the_folder(home, tmp_path):
    make_tar(tmp_path / "evil.tar.gz", {"../../escaped.txt": b"x"})
    with pytest.raises(tarfile.TarError):
        get_file("evil.tar.gz", origin=(tmp_path / "evil.tar.gz").as_uri(), extract=True)
    assert not any(name == "escaped.txt" for _, _, files in os.walk(tmp_path) for name in files)
    assert not (home / "datasets" / "evil_extracted").exists()


# ------------------------------------------------------------------ mnist
def save_small_mnist(path, n_train=12, n_test=5):
    """A small file in MNIST's real format: same keys, uint8, (n, 28, 28) and (n,)."""
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, n_test, dtype=np.uint8)}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return arrays, hashlib.sha256(path.read_bytes()).hexdigest()


def test_mnist_uses_keras_file_url_and_checksum(monkeypatch):
    calls = []
    monkeypatch.setattr(mnist, "get_file", lambda **kwargs: calls.append(kwargs) or "x")
    monkeypatch.setattr(mnist, "_read_arrays", lambda path: (1, 2, 3, 4))
    assert keras.datasets.mnist.load_data() == ((1, 2), (3, 4))
    assert calls == [{"fname": "mnist.npz",
                      "origin": "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
                                "mnist.npz",
                      "file_hash": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc1"
                                   "7b673d1"}]


def test_mnist_reads_a_cached_file(home, monkeypatch):
    arrays, digest = save_small_mnist(home / "datasets" / "mnist.npz")
    monkeypatch.setattr(mnist, "FILE_HASH", digest)
    monkeypatch.setattr(mnist, "ORIGIN", "file:///nonexistent/mnist.npz")   # never used
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    for name, got in [("x_train", x_train), ("y_train", y_train), ("x_test", x_test),
                      ("y_test", y_test)]:
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, arrays[name])
    assert x_train.shape == (12, 28, 28) and y_test.shape == (5,)


def test_mnist_downloads_then_reads(home, tmp_path, monkeypatch):
    arrays, digest = save_small_mnist(tmp_path / "mirror" / "mnist.npz")
    monkeypatch.setattr(mnist, "FILE_HASH", digest)
    monkeypatch.setattr(mnist, "ORIGIN", (tmp_path / "mirror" / "mnist.npz").as_uri())
    (x_train, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert cache_listing(home) == ["mnist.npz"]


def test_mnist_offline_without_cache(home, tmp_path, monkeypatch):
    origin = (tmp_path / "missing.npz").as_uri()
    monkeypatch.setattr(mnist, "ORIGIN", origin)
    with pytest.raises(DownloadError, match="download the file elsewhere") as info:
        mnist.load_data()
    assert origin in str(info.value)
    assert str(home / "datasets" / "mnist.npz") in str(info.value)


@pytest.mark.parametrize("damage", ["truncate", "missing key", "pickled object"])
def test_mnist_damaged_file_gets_a_clear_error(home, monkeypatch, damage):
    path = home / "datasets" / "mnist.npz"
    arrays, _ = save_small_mnist(path)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:3000])
    elif damage == "missing key":
        np.savez(path, x_train=arrays["x_train"])
    else:                   # np.load(allow_pickle=False) must refuse to unpickle
        np.savez(path, **{**arrays, "x_train": np.array([{"a": 1}], dtype=object)})
    monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(path.read_bytes()).hexdigest())
    with pytest.raises(OSError, match=f"MNIST file {path} cannot be read.*Delete it"):
        mnist.load_data()
