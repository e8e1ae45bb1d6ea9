"""utils: to_categorical, normalize, the progress bar, get_file, and datasets.mnist."""
import hashlib
import os
import re

import numpy as np
import pytest

import kerastutor as keras
from kerastutor.utils import file_utils, progbar
from kerastutor.utils.summary_format import column_widths, readable_memory_size

ANSI = re.compile(r"\x1b\[[0-9;]*m")


# ----------------------------------------------------------- to_categorical
def test_to_categorical():
    np.testing.assert_array_equal(keras.utils.to_categorical([0, 2, 1], 3), np.eye(3)[[0, 2, 1]])
    assert keras.utils.to_categorical(np.array([[1], [3]])).shape == (2, 4)
    assert keras.utils.to_categorical([1.0, 2.0]).dtype == np.float64      # as Keras
    with pytest.raises(ValueError, match="whole class indices"):
        keras.utils.to_categorical([0.5])
    with pytest.raises(ValueError, match="largest label is 5, but num_classes=3"):
        keras.utils.to_categorical([5], 3)
    with pytest.raises(ValueError, match=">= 0"):
        keras.utils.to_categorical([-1])


def test_normalize():
    out = keras.utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])


# ---------------------------------------------------------------- progbar
class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar.time, "time", fake)
    return fake


def test_verbose_1_final_line(capsys, clock):
    bar = progbar.Progbar(7)
    for step in range(1, 8):
        clock.now += 0.000466
        bar.update(step, [("accuracy", 0.38), ("loss", 1.1231)])
    line = ANSI.sub("", capsys.readouterr().out).split("\r")[-1]
    assert line.strip() == "7/7 ━━━━━━━━━━━━━━━━━━━━ 0s 466us/step - accuracy: 0.3800 - loss: 1.1231"


def test_verbose_1_shows_eta_and_redraws_only_every_interval(capsys, clock):
    bar = progbar.Progbar(100)
    clock.now += 1.0
    bar.update(1, [("loss", 0.5)])
    clock.now += 0.01
    bar.update(2, [("loss", 0.5)])                  # within 0.05 s: not drawn
    out = ANSI.sub("", capsys.readouterr().out)
    assert out.count("/100") == 1
    assert "  1/100 " in out and " 1:39 " in out    # 99 steps left at 1 s/step


def test_verbose_2_single_line(capsys, clock):
    bar = progbar.Progbar(5, verbose=2)
    for step in range(1, 6):
        clock.now += 0.318
        bar.update(step, [("loss", 1.1683), ("tiny", 0.0001234)])
    assert capsys.readouterr().out == \
        "5/5 - 2s - 318ms/step - loss: 1.1683 - tiny: 1.2340e-04\n"


def test_number_and_time_formats():
    assert progbar.format_value(0.38) == " 0.3800"
    assert progbar.format_value(-0.5) == " -0.5000"
    assert progbar.format_value(0.0001) == " 1.0000e-04"
    assert progbar.format_time_per_unit(2.0) == "2s/step"
    assert progbar.format_time_per_unit(0.0031) == "3ms/step"
    assert progbar.format_eta(3725) == "1:02:05"


# ---------------------------------------------------------------- summary
def test_summary_geometry_and_sizes():
    assert column_widths(76, [0.45, 0.80, 1.0]) == [33, 24, 15]
    assert sum(column_widths(108, [0.3, 0.56, 0.74, 1.0])) == 108 - 5
    assert readable_memory_size(780) == "780.00 B"
    assert readable_memory_size(1200) == "1.17 KB"


def test_summary_wraps_long_names(capsys):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(
        2, name="a_long_layer_name_that_wraps")])
    model.summary()
    lines = capsys.readouterr().out.splitlines()
    assert lines[4].startswith("│ a_long_layer_name_that_wraps")
    assert lines[5].startswith("│ (Dense)")
    assert all(len(line) == 76 for line in lines[1:7])


# ---------------------------------------------------------------- get_file
def write_file(path, data):
    with open(path, "wb") as handle:
        handle.write(data)
    return hashlib.sha256(data).hexdigest()


def test_get_file_downloads_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    source = tmp_path / "source.bin"
    digest = write_file(source, b"hello")
    path = keras.utils.get_file("data.bin", origin=source.as_uri(), file_hash=digest)
    assert path == str(tmp_path / "home" / "datasets" / "data.bin")
    source.unlink()                                     # the cache is used from now on
    assert keras.utils.get_file("data.bin", origin=source.as_uri(), file_hash=digest) == path


def test_get_file_rejects_a_wrong_hash_and_leaves_nothing(tmp_path):
    source = tmp_path / "source.bin"
    write_file(source, b"tampered")
    with pytest.raises(file_utils.DownloadError, match="expected sha256 hash"):
        keras.utils.get_file("d.bin", origin=source.as_uri(), file_hash="0" * 64,
                             cache_dir=str(tmp_path / "cache"))
    assert os.listdir(tmp_path / "cache" / "datasets") == []


def test_get_file_offline_error_says_where_to_put_the_file(tmp_path):
    missing = (tmp_path / "nowhere.npz").as_uri()
    with pytest.raises(OSError, match="put it at .*mnist.npz"):
        keras.utils.get_file("mnist.npz", origin=missing, cache_dir=str(tmp_path))
    assert os.listdir(tmp_path / "datasets") == []


# ------------------------------------------------------------------ mnist
def make_fake_mnist(path, n_train=12, n_test=5):
    rng = np.random.default_rng(0)
    np.savez(path, x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, n_train, dtype=np.uint8),
             x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, n_test, dtype=np.uint8))


def test_mnist_load_data_reads_the_real_format(tmp_path, monkeypatch):
    from kerastutor.datasets import mnist
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    os.makedirs(tmp_path / "datasets")
    make_fake_mnist(tmp_path / "datasets" / "mnist.npz")
    with open(tmp_path / "datasets" / "mnist.npz", "rb") as handle:
        monkeypatch.setattr(mnist, "FILE_HASH", hashlib.sha256(handle.read()).hexdigest())
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    assert x_train.shape == (12, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (12,) and x_test.shape == (5, 28, 28) and y_test.shape == (5,)


def test_mnist_corrupt_file_gets_a_clear_error(tmp_path, monkeypatch):
    from kerastutor.datasets import mnist
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    os.makedirs(tmp_path / "datasets")
    digest = write_file(tmp_path / "datasets" / "mnist.npz", b"not a zip file")
    monkeypatch.setattr(mnist, "FILE_HASH", digest)
    with pytest.raises(OSError, match="Delete it"):
        mnist.load_data()


def test_mnist_offline_without_cache(tmp_path, monkeypatch):
    from kerastutor.datasets import mnist
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(mnist, "ORIGIN", (tmp_path / "missing.npz").as_uri())
    with pytest.raises(file_utils.DownloadError, match="download the file elsewhere"):
        mnist.load_data()
