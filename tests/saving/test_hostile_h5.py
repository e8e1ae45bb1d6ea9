"""Hostile HDF5 files: a loaded file reads only itself, with bounded, deterministic work.

Every test builds its hostile file with h5py, next to a *canary*: a file of
known bytes (each float32 equal to ``CANARY``) that a hostile dataset points
at. The load must fail with an error naming the dataset, and the canary value
must never show up in a weight.
"""
import io
import multiprocessing
import zipfile
import zlib

import h5py
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers
from kerastutor.saving import h5_guard
from helpers import random_array

CANARY = np.float32(12345.678)
X = random_array(0, (16, 4)).astype("float32")
Y = np.random.default_rng(1).integers(0, 3, 16)


def trained_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    return model


@pytest.fixture
def canary(tmp_path):
    """A raw canary file and an HDF5 canary file (dataset ``x``), both full of CANARY."""
    raw = tmp_path / "canary.bin"
    raw.write_bytes(np.full(4096, CANARY, np.float32).tobytes())
    h5 = tmp_path / "canary.h5"
    with h5py.File(h5, "w") as f:
        f.create_dataset("x", data=np.full((4, 3), CANARY, np.float32))
    return raw, h5


def make_hostile(h5file, path, kind, canary):
    """Replace the dataset at ``path`` by one whose bytes come from elsewhere."""
    raw, h5 = canary
    shape, dtype = h5file[path].shape, h5file[path].dtype
    del h5file[path]
    nbytes = int(np.prod(shape)) * dtype.itemsize
    if kind == "external storage":
        h5file.create_dataset(path, shape, dtype, external=[(str(raw), 0, nbytes)])
    elif kind == "virtual dataset":
        with h5py.File(h5, "a") as source:
            if "v" not in source:
                source.create_dataset("v", data=np.full(shape, CANARY, dtype))
        layout = h5py.VirtualLayout(shape, dtype)
        layout[...] = h5py.VirtualSource(str(h5), "v", shape)
        h5file.create_virtual_dataset(path, layout)
    elif kind == "external link":
        with h5py.File(h5, "a") as source:
            if "v" not in source:
                source.create_dataset("v", data=np.full(shape, CANARY, dtype))
        h5file[path] = h5py.ExternalLink(str(h5), "/v")
    elif kind == "soft link":
        h5file.create_dataset("/elsewhere", data=np.full(shape, CANARY, dtype))
        h5file[path] = h5py.SoftLink("/elsewhere")
    return kind


KINDS = ["external storage", "virtual dataset", "external link", "soft link"]
REASONS = {"external storage": "external file", "virtual dataset": "virtual dataset",
           "external link": "external link", "soft link": "soft link"}


def assert_refused(load, where, kind, model=None):
    before = [np.array(w.value) for w in model.weights] if model is not None else None
    with pytest.raises(ValueError) as info:
        load()
    message = str(info.value)
    assert where in message and REASONS[kind] in message, message
    if model is not None:
        for weight, old in zip(model.weights, before):
            assert not np.any(np.asarray(weight.value) == CANARY)
            np.testing.assert_array_equal(weight.value, old)


# ------------------------------------------------------------------ .weights.h5
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", ["layers/dense/vars/0", "optimizer/vars/2"])
def test_weights_h5_reads_only_itself(tmp_path, canary, kind, where):
    model = trained_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        make_hostile(f, where, kind, canary)
    assert_refused(lambda: model.load_weights(path), where, kind, model)


def test_an_external_link_on_the_way_is_refused_too(tmp_path, canary):
    model = trained_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(canary[1], "a") as source:
        source.create_group("vars").create_dataset("0", data=np.full((4, 3), CANARY))
    with h5py.File(path, "a") as f:
        del f["layers/dense"]
        f["layers/dense"] = h5py.ExternalLink(str(canary[1]), "/")
    assert_refused(lambda: model.load_weights(path), "layers/dense/vars", "external link",
                   model)


# ------------------------------------------------------------------ .keras
def rewrite_weights_member(path, edit):
    """Apply ``edit(h5file)`` to the ``model.weights.h5`` inside the .keras zip at ``path``."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "a") as f:
        edit(f)
    members["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", ["layers/dense/vars/1", "optimizer/vars/3"])
def test_keras_archive_weights_read_only_themselves(tmp_path, canary, kind, where):
    model = trained_model()
    path = tmp_path / "m.keras"
    model.save(path)
    rewrite_weights_member(path, lambda f: make_hostile(f, where, kind, canary))
    assert_refused(lambda: keras.models.load_model(path), where, kind)
    assert_refused(lambda: model.load_weights(path), where, kind, model)


# ------------------------------------------------------------------ legacy .h5
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("target", ["kernel", "optimizer"])
def test_legacy_h5_reads_only_itself(tmp_path, canary, kind, target):
    model = trained_model()
    path = tmp_path / "m.h5"
    model.save(path)
    with h5py.File(path, "a") as f:
        if target == "kernel":
            name = f["model_weights/dense"].attrs["weight_names"][0].decode()
            where, full = f"dense/{name}", f"model_weights/dense/{name}"
        else:
            name = f["optimizer_weights"].attrs["weight_names"][2].decode()
            where = full = f"optimizer_weights/{name}"
        make_hostile(f, full, kind, canary)
    assert_refused(lambda: keras.models.load_model(path), where, kind)
    if target == "kernel":
        assert_refused(lambda: model.load_weights(path), where, kind, model)


# ------------------------------------------------------------------ bounds
@pytest.mark.parametrize("inflated, reason", [(60_000, "decompression bomb"),
                                              (50 * 2**20, "more than an array")])
def test_a_decompression_bomb_chunk_is_refused_before_inflating(tmp_path, inflated, reason):
    """A 48-byte kernel whose one chunk inflates to 60 kB (stored in 81 bytes: caught by
    the capped inflate) or to 50 MB (stored in 50 kB: caught by the stored size)."""
    model = trained_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"]
        f.create_dataset("layers/dense/vars/0", data=np.zeros((4, 3), np.float32),
                         chunks=(4, 3), compression="gzip")
        f["layers/dense/vars/0"].id.write_direct_chunk((0, 0),
                                                       zlib.compress(bytes(inflated), 9))
    with pytest.raises(ValueError, match=rf"layers/dense/vars/0.*{reason}"):
        model.load_weights(path)


def test_chunks_larger_than_the_array_and_unknown_filters_are_refused(tmp_path):
    model = trained_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"]
        f.create_dataset("layers/dense/vars/0", data=np.ones((4, 3), np.float32),
                         maxshape=(None, 3), chunks=(4096, 3))
    with pytest.raises(ValueError, match=r"layers/dense/vars/0.*chunks of shape \(4096, 3\)"):
        model.load_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"]
        f.create_dataset("layers/dense/vars/0", data=np.ones((4, 3), np.float32),
                         compression="lzf")
    with pytest.raises(ValueError, match=r"layers/dense/vars/0.*filter"):
        model.load_weights(path)


def test_variable_length_attributes_are_bounded(tmp_path, monkeypatch):
    model = trained_model()
    path = tmp_path / "m.h5"
    model.save(path)
    with h5py.File(path, "a") as f:
        f.attrs["model_config"] = f.attrs["model_config"] + " " * 5000   # still valid JSON
    monkeypatch.setattr(h5_guard, "MAX_ATTRIBUTE_BYTES", 4096)
    with pytest.raises(ValueError, match=r"attribute 'model_config'.*4,096"):
        keras.models.load_model(path)
    monkeypatch.setattr(h5_guard, "MAX_ATTRIBUTE_BYTES", 64 * 2**20)
    monkeypatch.setattr(h5_guard, "MAX_ATTRIBUTE_ITEMS", 1)
    with pytest.raises(ValueError, match=r"attribute 'layer_names'.*variable-length"):
        with h5py.File(path, "a") as f:
            f["model_weights"].attrs["layer_names"] = ["dense", "top_level_model_weights"]
        keras.models.load_model(path)


def test_datasets_the_model_does_not_ask_for_are_never_read(tmp_path, canary):
    model = trained_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as f:   # unread extras: a hostile one loads no canary
        f.create_dataset("extra/payload", (4, 3), np.float32,
                         external=[(str(canary[0]), 0, 48)])
    model.load_weights(path)
    assert not any(np.any(np.asarray(w.value) == CANARY) for w in model.weights)


# ------------------------------------------------------------------ determinism
def write_unusual_file(path, model):
    """Valid but unusual: gzip + shuffle + fletcher32 chunks, big attributes within bounds."""
    legacy = str(path).endswith(".keras.h5")
    if legacy:
        model.save(path)
    else:
        model.save_weights(path)
    kernel_path = "model_weights/dense/" + _legacy_kernel_name(path) if legacy \
        else "layers/dense/vars/0"
    with h5py.File(path, "a", libver="latest") as f:
        kernel = np.array(f[kernel_path])
        del f[kernel_path]
        f.create_dataset(kernel_path, data=kernel, chunks=(2, 3), compression="gzip",
                         shuffle=True, fletcher32=True)
        if legacy:                               # read by the loader: ~60 kB of JSON
            f.attrs["model_config"] = f.attrs["model_config"] + " " * 60_000
        notes = f.create_group("notes")          # a new-style header: room for big ones
        notes.attrs["text"] = "a long note " * 400_000                    # ~4.8 MB text
        notes.attrs["names"] = [f"name_{i}" for i in range(20_000)]


def _legacy_kernel_name(path):
    with h5py.File(path) as f:
        return f["model_weights/dense"].attrs["weight_names"][0].decode()


def _busy():
    while True:
        pass


def _load(path):
    if str(path).endswith(".keras.h5"):
        return keras.models.load_model(path)
    model = trained_model()
    model.load_weights(path)
    return model


@pytest.mark.parametrize("name", ["unusual.weights.h5", "unusual.keras.h5"])
def test_an_unusual_file_loads_the_same_on_a_busy_machine(tmp_path, name):
    model = trained_model()
    path = tmp_path / name
    write_unusual_file(path, model)
    expected = [np.array(w.value) for w in model.weights]
    idle = _load(path)
    context = multiprocessing.get_context("fork" if hasattr(__import__("os"), "fork")
                                          else "spawn")
    workers = [context.Process(target=_busy, daemon=True) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        busy = _load(path)
    finally:
        for worker in workers:
            worker.terminate()
            worker.join()
    for a, b, c in zip(expected, idle.weights, busy.weights, strict=True):
        np.testing.assert_array_equal(a, b.value)
        np.testing.assert_array_equal(a, c.value)


def test_a_legacy_model_weights_group_linked_elsewhere_is_refused(tmp_path, canary):
    model = trained_model()
    path = tmp_path / "m.h5"
    model.save(path)
    other = tmp_path / "other.h5"
    with h5py.File(path) as f, h5py.File(other, "w") as g:
        f.copy("model_weights", g, name="model_weights")
    with h5py.File(path, "a") as f:
        del f["model_weights"]
        f["model_weights"] = h5py.ExternalLink(str(other), "/model_weights")
    assert_refused(lambda: keras.models.load_model(path), "model_weights", "external link")
    assert_refused(lambda: model.load_weights(path), "model_weights", "external link", model)


# ------------------------------------------------------------------ the isolated child
def _open_small_file(tmp_path):
    path = tmp_path / "small.weights.h5"
    trained_model().save_weights(path)
    return lambda: h5py.File(path, "r"), path.stat().st_size


def _spin(h5file):
    while True:                # stands in for a loop inside the HDF5 C library
        pass


def _crash(h5file):
    import os
    import signal
    os.kill(os.getpid(), signal.SIGSEGV)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="isolation needs fork")
def test_a_reader_that_never_returns_is_stopped_by_its_cpu_budget(tmp_path, monkeypatch):
    open_file, size = _open_small_file(tmp_path)
    monkeypatch.setattr(h5_guard, "CPU_SECONDS_BASE", 1)
    with pytest.raises(h5_guard.UnsafeFileError,
                       match=r"small.*did not return after 1 CPU-seconds of work"):
        h5_guard.isolated(open_file, _spin, str(tmp_path / "small"), size)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="isolation needs fork")
def test_a_reader_that_crashes_kills_only_the_child(tmp_path):
    open_file, size = _open_small_file(tmp_path)
    with pytest.raises(h5_guard.UnsafeFileError, match=r"crashed reading this file"):
        h5_guard.isolated(open_file, _crash, "small", size)


def test_the_read_runs_for_real_after_the_child_and_its_errors_are_its_own(tmp_path):
    open_file, size = _open_small_file(tmp_path)
    seen = []
    assert h5_guard.isolated(open_file, lambda f: seen.append(sorted(f)) or 7, "s", size) == 7
    assert seen == [["layers", "optimizer", "vars"]]      # once here; the child's is gone

    def refuse(h5file):
        raise h5_guard.WeightsFileError("the reader's own message")

    with pytest.raises(h5_guard.WeightsFileError, match="the reader's own message"):
        h5_guard.isolated(open_file, refuse, "s", size)


def test_a_header_claiming_more_bytes_than_the_file_holds_is_refused(tmp_path):
    open_file, size = _open_small_file(tmp_path)
    with pytest.raises(h5_guard.UnsafeFileError, match=r"claims [\d,]+ bytes but the file "
                                                      r"holds 100"):
        h5_guard.isolated(open_file, lambda f: None, "s", 100)


MEASURE = """
import resource, sys, warnings
import kerastutor as keras
from kerastutor import layers
model = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
model.compile("adam", "mse")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    model.load_weights(sys.argv[1])
except ValueError as err:
    print("refused:", err, file=sys.stderr)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(before, after, child)
"""


@pytest.mark.parametrize("where", ["extra/unasked", "layers/dense/vars/0"])
def test_loading_memory_stays_near_the_models_size(tmp_path, where):
    """A 1 GiB dataset declared in a small file (HDF5 keeps it unallocated until read):
    never read when the model does not ask for it, refused by its shape when it does.
    Neither this process nor the isolated child grows by more than a few megabytes."""
    import subprocess
    import sys
    path = tmp_path / "claims.weights.h5"
    trained_model().save_weights(path)
    with h5py.File(path, "a") as f:
        if where in f:
            del f[where]
        f.create_dataset(where, (2**28,), np.float32, chunks=(2**20,))
    assert path.stat().st_size < 100_000
    run = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True,
                         text=True, check=True)
    before, after, child = (int(n) for n in run.stdout.split())       # kilobytes
    assert after - before < 20_000, run.stdout
    assert child < before + 20_000, run.stdout
    if where.startswith("layers"):
        assert f"shape ({2**28},)" in run.stderr, run.stderr


# ------------------------------------------------------------------ damage, named
def test_a_damaged_hdf5_structure_is_refused_naming_the_object_and_hdf5s_reason(tmp_path):
    """Clobber each symbol-table node ("SNOD": the on-disk list of a group's names) in
    turn: every load is refused naming a path in the file and HDF5's reason, and the
    model keeps its weights."""
    model = trained_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    data = path.read_bytes()
    before = [np.array(w.value) for w in model.weights]
    starts = [i for i in range(len(data)) if data.startswith(b"SNOD", i)]
    assert len(starts) >= 3
    for start in starts:
        path.write_bytes(data[:start] + b"XXXX" + data[start + 4:])
        with pytest.raises(h5_guard.WeightsFileError,
                           match=r"m\.weights\.h5: '[\w/]+' is damaged; the HDF5 library "
                                 r"reports \".*bad symbol table node signature"):
            model.load_weights(path)
        for weight, old in zip(model.weights, before):
            np.testing.assert_array_equal(weight.value, old)


def test_a_name_list_that_is_not_utf8_is_refused_by_name(tmp_path):
    model = trained_model()
    path = tmp_path / "m.h5"
    model.save(path)
    with h5py.File(path, "a") as f:
        f["model_weights"].attrs["layer_names"] = np.array([b"dense\xbd"], dtype="S")
    with pytest.raises(ValueError, match=r"attribute 'layer_names' is not valid UTF-8 text "
                                         r"\(invalid start byte at position 5\)"):
        keras.models.load_model(path)


def test_optimizer_state_takes_the_live_dtype_and_must_be_finite(tmp_path):
    """A file's dtypes are not trusted: a uint32 step counter loads as the optimizer's own
    int64 (the GPU holds no uint32), and a NaN moment estimate is refused by name."""
    model = trained_model()
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        steps = np.array(f["optimizer/vars/0"])
        del f["optimizer/vars/0"]
        f["optimizer/vars/0"] = steps.astype(np.uint32)
    model.load_weights(path)
    assert model.optimizer.iterations == int(steps)
    with h5py.File(path, "a") as f:
        f["optimizer/vars/2"][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"optimizer variable 'optimizer/vars/2' contains NaN"):
        model.load_weights(path)
