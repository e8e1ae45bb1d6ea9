"""Saving and loading: Keras 3's layouts, round trips, safety, atomic writes, resuming."""
import io
import json
import os
import subprocess
import sys
import textwrap
import time
import zipfile

import h5py
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers
from kerastutor.saving import ArchiveError, WeightsFileError, h5_guard
from kerastutor.saving.weights_h5 import walk
from helpers import random_array

X = random_array(0, (24, 4)).astype("float32")
Y = np.random.default_rng(1).integers(0, 3, 24)


def small_model(seed=0, dropout=False):
    keras.utils.set_random_seed(seed)
    stack = [keras.Input((4,)), layers.Dense(6, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(0.3))
    stack += [layers.BatchNormalization(), layers.Dense(3, activation="softmax")]
    model = keras.Sequential(stack)
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def functional_model():
    keras.utils.set_random_seed(2)
    a, b = keras.Input((4,), name="a"), keras.Input((2,), name="b")
    hidden = layers.Dense(5, activation="tanh", name="hidden")(a)
    merged = layers.Concatenate()([hidden, b])
    outputs = layers.Dense(1)(merged)
    model = keras.Model([a, b], outputs)
    model.compile("sgd", "mse")
    return model


# ------------------------------------------------------------------ layout
def test_weights_file_has_keras_layout(tmp_path):
    model = small_model()
    model.fit(X, Y, epochs=1, verbose=0)
    model.layers[0].name = "hidden"           # Keras files by class, not by layer name
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with h5py.File(path) as f:
        assert f["vars"].attrs["name"] == model.name
        assert f["layers/dense/vars"].attrs["name"] == "hidden"
        assert f["layers/dense/vars/0"].shape == (4, 6)
        assert f["layers/dense/vars/1"].shape == (6,)
        # BatchNormalization: gamma, beta, moving_mean, moving_variance
        assert [f[f"layers/batch_normalization/vars/{i}"].shape for i in range(4)] == [(6,)] * 4
        assert f["layers/dense_1/vars/0"].shape == (6, 3)
        assert f["optimizer/vars"].attrs["name"] == "adam"
        assert f["optimizer/vars/0"][()] == 1                  # one batch: iteration 1
        assert len(f["optimizer/vars"]) == 2 + 2 * 6           # iteration, lr, m and v


def test_functional_model_keeps_its_input_layers_in_the_walk():
    paths = [path for path, _ in walk(functional_model())]
    assert "layers/input_layer" in paths and "layers/input_layer_1" in paths
    assert "layers/dense" in paths and "layers/dense_1" in paths


def test_keras_archive_members_and_config(tmp_path):
    model = small_model()
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in archive.infolist())
        config = json.loads(archive.read("config.json"))
        meta = json.loads(archive.read("metadata.json"))
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert config["build_config"] == {"input_shape": [None, 4]}
    compile_config = config["compile_config"]
    assert compile_config["loss"] == "sparse_categorical_crossentropy"
    assert compile_config["metrics"] == ["accuracy"]
    assert compile_config["optimizer"]["class_name"] == "Adam"
    assert meta["keras_version"].startswith("3.")


# ------------------------------------------------------------------ round trips
def test_sequential_round_trip_resumes_training_identically(tmp_path):
    model = small_model()
    model.fit(X, Y, epochs=2, verbose=0, shuffle=False)
    model.save(tmp_path / "m.keras")
    clone = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(clone.predict(X, verbose=0), model.predict(X, verbose=0))
    # optimizer state came back too: the next epoch is identical
    h1 = model.fit(X, Y, epochs=1, verbose=0, shuffle=False).history
    h2 = clone.fit(X, Y, epochs=1, verbose=0, shuffle=False).history
    assert h1 == h2
    for a, b in zip(model.get_weights(), clone.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_functional_round_trip(tmp_path):
    model = functional_model()
    data = [X, random_array(3, (24, 2)).astype("float32")]
    model.fit(data, random_array(4, (24, 1)), epochs=1, verbose=0)
    model.save(tmp_path / "f.keras")
    clone = keras.models.load_model(tmp_path / "f.keras")
    np.testing.assert_array_equal(clone.predict(data, verbose=0), model.predict(data, verbose=0))
    assert clone.get_layer("hidden").get_config()["activation"] == "tanh"


def test_load_without_compile_and_weights_only(tmp_path):
    model = small_model()
    model.save(tmp_path / "m.keras")
    plain = keras.models.load_model(tmp_path / "m.keras", compile=False)
    assert not plain.compiled
    other = small_model(seed=5)
    other.load_weights(tmp_path / "m.keras")
    np.testing.assert_array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))


@keras.saving.register_keras_serializable(package="tests")
class Scale(layers.Layer):
    """A custom layer written the Keras way, to load by its registered name."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return keras.ops.multiply(x, self.factor)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def test_registered_custom_layer_round_trip(tmp_path):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2), Scale(3.0)])
    model.save(tmp_path / "c.keras")
    assert json.loads(zipfile.ZipFile(tmp_path / "c.keras").read("config.json"))[
        "config"]["layers"][-1]["registered_name"] == "tests>Scale"
    clone = keras.models.load_model(tmp_path / "c.keras")
    np.testing.assert_allclose(clone.predict(X, verbose=0), model.predict(X, verbose=0))


def test_unknown_class_and_lambda_are_refused_with_a_way_out(tmp_path):
    class Unregistered(layers.Layer):
        def call(self, x):
            return x

    model = keras.Sequential([keras.Input((4,)), Unregistered()])
    model.save(tmp_path / "u.keras")
    with pytest.raises(ValueError, match="custom_objects"):
        keras.models.load_model(tmp_path / "u.keras")
    clone = keras.models.load_model(tmp_path / "u.keras",
                                    custom_objects={"Unregistered": Unregistered})
    assert isinstance(clone.layers[0], Unregistered)
    # A Keras file whose Lambda holds bytecode is refused even with safe_mode=False.
    lam = layers.Lambda.from_config
    with pytest.raises(ValueError, match="never executes code"):
        lam({"name": "l", "function": {"class_name": "__lambda__",
                                       "config": {"code": "ZGVm"}}})


# ------------------------------------------------------------------ kind errors
def test_file_name_rules(tmp_path):
    model = small_model()
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        model.save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="must end in .keras"):
        model.save(tmp_path / "model.zip")
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(tmp_path / "m.keras", overwrite=False)
    with pytest.raises(FileNotFoundError):
        keras.models.load_model(tmp_path / "missing.keras")


def test_mismatched_weights_name_the_layer_and_leave_the_model_unchanged(tmp_path):
    small_model().save_weights(tmp_path / "w.weights.h5")
    keras.utils.set_random_seed(9)
    other = keras.Sequential([keras.Input((4,)), layers.Dense(6), layers.BatchNormalization(),
                              layers.Dense(5)])
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(WeightsFileError, match=r"dense.*shape \(6, 5\).*\(6, 3\)"):
        other.load_weights(tmp_path / "w.weights.h5")
    for a, b in zip(before, other.get_weights()):   # nothing half-loaded
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="Skipping loading weights"):
        other.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[0].kernel.value, small_model().layers[0]
                                  .kernel.value * 0 + other.layers[0].kernel.value)


def test_not_a_keras_file(tmp_path):
    path = tmp_path / "junk.keras"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(ArchiveError, match="not a readable zip"):
        keras.models.load_model(path)


def test_hostile_zip_names_and_bombs_are_refused(tmp_path):
    good = tmp_path / "m.keras"
    small_model().save(good)
    members = {n: zipfile.ZipFile(good).read(n) for n in zipfile.ZipFile(good).namelist()}
    evil = tmp_path / "evil.keras"
    with zipfile.ZipFile(evil, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        archive.writestr("../../escape.txt", b"x")
    with pytest.raises(ArchiveError, match="outside the archive"):
        keras.models.load_model(evil)
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", members["metadata.json"])
        archive.writestr("config.json", members["config.json"])
        archive.writestr("model.weights.h5", b"\0" * (64 * 2**20))   # 64 MB of zeros
    with pytest.raises(ArchiveError, match="zip bomb|more than"):
        keras.models.load_model(bomb)


# ------------------------------------------------------------------ fuzzing
@pytest.fixture
def small_cpu_budget(monkeypatch):
    """A file that sends HDF5 round in circles is refused once the reader's CPU budget is
    spent: two CPU-seconds here (a sound file this small needs a few milliseconds)."""
    monkeypatch.setattr(h5_guard, "CPU_SECONDS_BASE", 2)


def _mutations(data, rng, count):
    """Byte flips, truncations, insertions and splices of a valid file."""
    for _ in range(count):
        blob = bytearray(data)
        kind = rng.integers(4)
        if kind == 0:
            for position in rng.integers(0, len(blob), rng.integers(1, 8)):
                blob[position] = rng.integers(256)
        elif kind == 1:
            blob = blob[:rng.integers(0, len(blob))]
        elif kind == 2:
            at = rng.integers(0, len(blob))
            blob[at:at] = rng.bytes(int(rng.integers(1, 64)))
        else:
            start = rng.integers(0, len(blob))
            blob[start:start + 16] = bytes(16)
        yield bytes(blob)


ALLOWED = (ValueError, FileNotFoundError, FileExistsError)
#: The loader's last-resort wrappers for an exception it did not foresee.
CATCH_ALL = ("was not written by Keras or kerastutor (", "incomplete or malformed (")


def assert_names_its_cause(err):
    """A refusal says what is wrong and where, not only that something raised inside."""
    assert not any(phrase in str(err) for phrase in CATCH_ALL), str(err)


def _json_mutations(config, rng, count):
    """Configs with values of the wrong type, missing keys and absurd shapes."""
    weird = [None, -1, 10**12, "x", [], {}, [None] * 3, {"class_name": 5}, 1e308, True]
    text = json.dumps(config)
    for _ in range(count):
        mutated = json.loads(text)
        node, path = mutated, []
        while isinstance(node, (dict, list)) and node and rng.random() < 0.8:
            keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
            key = keys[rng.integers(len(keys))]
            path.append((node, key))
            node = node[key]
        if path:
            parent, key = path[-1]
            if rng.random() < 0.2 and isinstance(parent, dict):
                del parent[key]
            else:
                parent[key] = weird[rng.integers(len(weird))]
        yield mutated


def test_fuzzed_keras_archives_fail_kindly(tmp_path, small_cpu_budget):
    good = tmp_path / "m.keras"
    model = small_model()
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(good)
    data = good.read_bytes()
    members = {n: zipfile.ZipFile(good).read(n) for n in zipfile.ZipFile(good).namelist()}
    rng = np.random.default_rng(0)
    target = tmp_path / "fuzz.keras"
    cases = list(_mutations(data, rng, 1200))
    for config in _json_mutations(json.loads(members["config.json"]), rng, 800):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("metadata.json", members["metadata.json"])
            archive.writestr("config.json", json.dumps(config))
            archive.writestr("model.weights.h5", members["model.weights.h5"])
        cases.append(buffer.getvalue())
    loaded = 0
    for blob in cases:
        target.write_bytes(blob)
        try:
            keras.models.load_model(target)
            loaded += 1
        except ALLOWED as err:
            assert_names_its_cause(err)
    assert len(cases) >= 2000 and loaded < len(cases)


def test_fuzzed_weights_files_fail_kindly_and_never_half_load(tmp_path, small_cpu_budget):
    good = tmp_path / "w.weights.h5"
    model = small_model()
    model.fit(X, Y, epochs=1, verbose=0)
    model.save_weights(good)
    data = good.read_bytes()
    target = tmp_path / "fuzz.weights.h5"
    victim = small_model(seed=3)
    victim.fit(X, Y, epochs=1, verbose=0)
    reference = [w.copy() for w in victim.get_weights()]
    rng = np.random.default_rng(1)
    for blob in _mutations(data, rng, 2000):
        target.write_bytes(blob)
        try:
            victim.load_weights(target)
        except ALLOWED as err:
            assert_names_its_cause(err)
            for a, b in zip(reference, victim.get_weights()):
                np.testing.assert_array_equal(a, b)
        else:
            reference = [w.copy() for w in victim.get_weights()]


# ------------------------------------------------------------------ atomic writes
KILLED_SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import kerastutor as keras
    keras.utils.set_random_seed(int(sys.argv[2]))
    model = keras.Sequential([keras.Input((256,)), keras.layers.Dense(1024),
                              keras.layers.Dense(256)])
    print("ready", flush=True)
    while True:
        model.save(sys.argv[1])
""")


def test_a_save_killed_midway_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "precious.keras"
    keras.utils.set_random_seed(0)
    original = keras.Sequential([keras.Input((256,)), layers.Dense(1024), layers.Dense(256)])
    original.save(path)
    probe = random_array(5, (2, 256)).astype("float32")
    versions = [original.predict(probe, verbose=0)]
    script = tmp_path / "saver.py"
    script.write_text(KILLED_SAVER)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    for attempt in range(3):
        saver = subprocess.Popen([sys.executable, str(script), str(path), str(attempt + 1)],
                                 stdout=subprocess.PIPE, env=env)
        assert saver.stdout.readline().strip() == b"ready"
        time.sleep(0.2 + 0.15 * attempt)          # somewhere in the middle of a save
        saver.kill()
        saver.wait()
        loaded = keras.models.load_model(path).predict(probe, verbose=0)
        keras.utils.set_random_seed(attempt + 1)
        newer = keras.Sequential([keras.Input((256,)), layers.Dense(1024), layers.Dense(256)])
        candidates = versions + [newer.predict(probe, verbose=0)]
        assert any(np.array_equal(loaded, c) for c in candidates)
        versions = [loaded]
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".precious")]
    for name in leftovers:                     # orphaned temporaries never replace the file
        assert name.endswith(".tmp")


# ------------------------------------------------------------------ callbacks
def test_model_checkpoint_every_epoch_and_best_only(tmp_path, capsys):
    model = small_model()
    every = keras.callbacks.ModelCheckpoint(str(tmp_path / "ep{epoch:02d}.keras"))
    best = keras.callbacks.ModelCheckpoint(str(tmp_path / "best.weights.h5"), monitor="loss",
                                           save_best_only=True, save_weights_only=True,
                                           verbose=1)
    history = model.fit(X, Y, epochs=3, verbose=0, callbacks=[every, best])
    assert sorted(p.name for p in tmp_path.glob("ep*.keras")) == \
        ["ep01.keras", "ep02.keras", "ep03.keras"]
    last = keras.models.load_model(tmp_path / "ep03.keras")
    np.testing.assert_array_equal(last.predict(X, verbose=0), model.predict(X, verbose=0))
    printed = capsys.readouterr().out
    assert "Epoch 1: loss improved from inf to" in printed
    losses = history.history["loss"]
    assert printed.count("saving model to") == sum(
        losses[i] < min(losses[:i], default=np.inf) for i in range(3))


def test_model_checkpoint_kind_errors():
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        keras.callbacks.ModelCheckpoint("w.keras", save_weights_only=True)
    with pytest.raises(ValueError, match="must end in `.keras`"):
        keras.callbacks.ModelCheckpoint("model.ckpt")
    with pytest.raises(ValueError, match="save_freq"):
        keras.callbacks.ModelCheckpoint("m.keras", save_freq=0)


def test_model_checkpoint_by_batches(tmp_path):
    model = small_model()
    checkpoint = keras.callbacks.ModelCheckpoint(str(tmp_path / "b{batch}.weights.h5"),
                                                 save_weights_only=True, save_freq=2)
    model.fit(X, Y, batch_size=8, epochs=1, verbose=0, callbacks=[checkpoint])
    assert [p.name for p in tmp_path.glob("*.h5")] == ["b2.weights.h5"]


class Interrupt(keras.callbacks.Callback):
    """Stands for a crash: raises once the given epoch has ended (after its backup)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("simulated crash")


def test_backup_and_restore_resumes_bit_identically(tmp_path):
    """A run interrupted after epoch 2 and restarted equals an uninterrupted run."""
    def run(callbacks):
        model = small_model(seed=7, dropout=True)      # dropout and shuffling use the RNG
        try:
            model.fit(X, Y, batch_size=5, epochs=5, verbose=0, callbacks=callbacks)
        except KeyboardInterrupt:
            return None
        return model

    straight = run([])
    backup = str(tmp_path / "backup")
    assert run([keras.callbacks.BackupAndRestore(backup), Interrupt(1)]) is None
    assert os.path.exists(os.path.join(backup, "latest.weights.h5"))
    metadata = json.load(open(os.path.join(backup, "training_metadata.json")))
    assert metadata["epoch"] == 2 and metadata["batch"] == 0
    # Restarting from scratch (new process, same seed) picks up at epoch 3.
    seen = []
    resumed = run([keras.callbacks.BackupAndRestore(backup),
                   keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, l: seen.append(e))])
    assert seen == [2, 3, 4]
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not os.path.exists(os.path.join(backup, "latest.weights.h5"))   # cleaned up


def test_backup_and_restore_refuses_a_damaged_backup(tmp_path):
    backup = tmp_path / "b"
    backup.mkdir()
    small_model().save_weights(backup / "latest.weights.h5")
    (backup / "training_metadata.json").write_text("{not json")
    with pytest.raises(ValueError, match="damaged"):
        small_model().fit(X, Y, epochs=1, verbose=0,
                          callbacks=[keras.callbacks.BackupAndRestore(str(backup))])


# ------------------------------------------------------------------ legacy HDF5
def test_legacy_h5_round_trip_with_optimizer_state(tmp_path):
    model = small_model()
    model.fit(X, Y, epochs=1, verbose=0, shuffle=False)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        assert json.loads(f.attrs["model_config"])["class_name"] == "Sequential"
        assert [n.decode() for n in f["model_weights"].attrs["layer_names"]] == \
            [layer.name for layer in model.layers]
        assert "optimizer_config" in json.loads(f.attrs["training_config"])
    clone = keras.models.load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(clone.predict(X, verbose=0), model.predict(X, verbose=0))
    assert model.fit(X, Y, epochs=1, verbose=0, shuffle=False).history == \
        clone.fit(X, Y, epochs=1, verbose=0, shuffle=False).history


def test_include_optimizer_false_leaves_compile_settings_out_of_an_h5_file(tmp_path):
    """As Keras 3 writes it: no training_config, no optimizer_weights; the file loads as
    an uncompiled model (with Keras's warning) whose weights are the saved ones."""
    model = small_model()
    model.fit(X, Y, epochs=1, verbose=0, shuffle=False)
    with pytest.warns(UserWarning, match="legacy"):
        keras.saving.save_model(model, tmp_path / "m.h5", include_optimizer=False)
    with h5py.File(tmp_path / "m.h5") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
        assert "model_weights" in f
    with pytest.warns(UserWarning, match="not\\* compiled"):
        clone = keras.models.load_model(tmp_path / "m.h5")
    assert clone.optimizer is None
    np.testing.assert_array_equal(clone.predict(X, verbose=0), model.predict(X, verbose=0))


def test_include_optimizer_false_on_a_keras_file_is_ignored_as_keras_does(tmp_path):
    model = small_model()
    model.fit(X, Y, epochs=1, verbose=0, shuffle=False)
    with pytest.warns(UserWarning, match="no effect on a .keras file"):
        model.save(tmp_path / "m.keras", include_optimizer=False)
    clone = keras.models.load_model(tmp_path / "m.keras")
    assert clone.optimizer.iterations == model.optimizer.iterations          # state kept
    with pytest.raises(ValueError, match="unexpected arguments"):
        model.save(tmp_path / "n.keras", include_optimizr=False)


def write_keras2_file(path, kernel, bias):
    """A model.h5 as tf.keras 2 wrote it: TF variable names, batch_input_shape, str dtype."""
    config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4],
                                                "dtype": "float32", "sparse": False,
                                                "ragged": False, "name": "dense_input"}},
        {"class_name": "Dense", "config": {"name": "dense", "trainable": True,
                                           "dtype": "float32", "units": 3,
                                           "activation": "softmax", "use_bias": True}}]}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.15.0"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps(config).encode()
        weights = f.create_group("model_weights")
        weights.attrs["layer_names"] = np.array([b"dense"])
        layer = weights.create_group("dense")
        layer.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
        layer.create_dataset("dense/kernel:0", data=kernel)
        layer.create_dataset("dense/bias:0", data=bias)


def test_keras2_h5_file_loads(tmp_path):
    kernel = random_array(6, (4, 3)).astype("float32")
    bias = random_array(7, (3,)).astype("float32")
    write_keras2_file(tmp_path / "old.h5", kernel, bias)
    model = keras.models.load_model(tmp_path / "old.h5")
    logits = X @ kernel + bias
    expected = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict(X, verbose=0), expected, rtol=1e-5)
    other = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    other.load_weights(tmp_path / "old.h5")              # weights only, by layer order
    np.testing.assert_array_equal(other.layers[0].kernel.value, kernel)


def test_fuzzed_legacy_h5_files_fail_kindly(tmp_path, small_cpu_budget):
    good = tmp_path / "m.h5"
    model = small_model()
    model.fit(X, Y, epochs=1, verbose=0)
    model.save(good)
    data = good.read_bytes()
    target = tmp_path / "fuzz.h5"
    rng = np.random.default_rng(2)
    failures = 0
    for blob in _mutations(data, rng, 2000):
        target.write_bytes(blob)
        try:
            keras.models.load_model(target)
        except ALLOWED as err:
            assert_names_its_cause(err)
            failures += 1
    assert failures > 0


def test_model_checkpoint_takes_a_legacy_h5_path_as_keras_does(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    path = tmp_path / "model.h5"
    with pytest.warns(UserWarning, match="legacy"):
        model.fit(np.zeros((4, 2)), np.zeros(4), epochs=1, verbose=0,
                  callbacks=[keras.callbacks.ModelCheckpoint(str(path))])
    restored = keras.models.load_model(str(path))
    np.testing.assert_array_equal(restored.get_weights()[0], model.get_weights()[0])
