"""Assets in ``.keras`` files: adapted vocabularies under ``assets/``, read with care.

Keras keeps an adapted lookup layer's vocabulary out of ``config.json`` and
writes it to ``assets/<layer path>/vocabulary.txt`` (tf-idf weights go to the
weights file, ``vars/idf_weights``). Here: round trips of StringLookup,
IntegerLookup and TextVectorization (with tf-idf), the exact member names,
a file laid out as Keras's saver lays it out, models without assets (the
three members, unchanged), and hostile asset members refused by name.
"""
import io
import json
import zipfile

import h5py
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers
from kerastutor.saving import assets as saving_assets
from kerastutor.saving.keras_archive import ArchiveError, write_archive

WORDS = np.array([["b"], ["a"], ["b"], ["c"], ["b"], ["a"]])
DOCUMENTS = np.array(["The cat sat.", "The dog sat on the mat!", "A cat, a dog."])
PROBES = np.array(["the cat sat on a log", "Dog!"])


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(source, target, drop=(), add=None, replace=None):
    """A copy of the archive ``source`` with members dropped, added or replaced."""
    content = members(source)
    content.update(replace or {})
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in content.items():
            if name not in drop:
                archive.writestr(name, data)
        for name, data in (add or {}).items():
            archive.writestr(name, data)
    return target


def string_lookup_model(output_mode="int"):
    lookup = layers.StringLookup(output_mode=output_mode)
    lookup.adapt(WORDS)
    inputs = keras.Input(shape=(1,), dtype="string")
    return keras.Model(inputs, lookup(inputs))


def round_trip(model, x, tmp_path):
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(restored.predict(x, verbose=0), before, rtol=1e-6)
    return restored, members(tmp_path / "m.keras")


# ---------------------------------------------------------------- round trips
def test_an_adapted_string_lookup_keeps_its_vocabulary_in_assets(tmp_path):
    model = string_lookup_model()
    restored, content = round_trip(model, np.array([["a"], ["c"], ["zz"]]), tmp_path)
    assert list(content) == ["metadata.json", "config.json", "model.weights.h5",
                             "assets/layers/string_lookup/vocabulary.txt"]
    assert content["assets/layers/string_lookup/vocabulary.txt"] == b"[UNK]\nb\na\nc"
    config = json.loads(content["config.json"])
    lookup_config = config["config"]["layers"][1]["config"]
    assert lookup_config["vocabulary"] is None          # not in the config: in assets/
    assert config["config"]["layers"][0]["config"]["dtype"] == "string"
    assert restored.layers[1].get_vocabulary() == ["[UNK]", "b", "a", "c"]


def test_an_adapted_integer_lookup_round_trips(tmp_path):
    lookup = layers.IntegerLookup()
    lookup.adapt(np.array([12, 36, 1138, 42, 42, 36, 36]))
    inputs = keras.Input(shape=(2,), dtype="int64")
    model = keras.Model(inputs, lookup(inputs))
    restored, content = round_trip(model, np.array([[12, 42], [7, 36]]), tmp_path)
    assert content["assets/layers/integer_lookup/vocabulary.txt"] == b"-1\n36\n42\n1138\n12"
    assert restored.layers[1].get_vocabulary() == [-1, 36, 42, 1138, 12]


@pytest.mark.parametrize("output_mode", ["int", "tf_idf"])
def test_an_adapted_text_vectorization_round_trips(output_mode, tmp_path):
    extra = {"output_sequence_length": 6} if output_mode == "int" else {}
    vectorize = layers.TextVectorization(max_tokens=10, output_mode=output_mode, **extra)
    vectorize.adapt(DOCUMENTS)
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, vectorize(inputs))
    restored, content = round_trip(model, PROBES, tmp_path)
    # Keras's walk visits the private _lookup_layer too: it is saved a second time.
    assert [n for n in content if n.startswith("assets/")] == [
        "assets/layers/text_vectorization/vocabulary.txt",
        "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt"]
    assert restored.layers[1].get_vocabulary() == vectorize.get_vocabulary()
    weights = h5py.File(io.BytesIO(content["model.weights.h5"]), "r")
    has_idf = "idf_weights" in weights["layers/text_vectorization/vars"]
    assert has_idf == (output_mode == "tf_idf")


@pytest.mark.parametrize("cls, data", [
    (layers.StringLookup, np.array(["b", "a", "b", "c"])),
    (layers.IntegerLookup, np.array([12, 36, 36, 42])),
])
def test_tf_idf_weights_travel_in_the_weights_file(cls, data, tmp_path):
    lookup = cls(output_mode="tf_idf")
    lookup.adapt(data)
    inputs = keras.Input(shape=(2,), dtype="string" if cls is layers.StringLookup else "int64")
    model = keras.Model(inputs, lookup(inputs))
    restored, content = round_trip(model, data.reshape(2, 2), tmp_path)
    weights = h5py.File(io.BytesIO(content["model.weights.h5"]), "r")
    stored = weights[f"layers/{keras.backend.snake_case(cls.__name__)}/vars/idf_weights"][()]
    np.testing.assert_allclose(stored, lookup.idf_weights)
    np.testing.assert_allclose(restored.layers[1].idf_weights, lookup.idf_weights)


def test_a_trained_end_to_end_model_round_trips(tmp_path):
    keras.utils.set_random_seed(2)
    lookup = layers.StringLookup(output_mode="one_hot")
    lookup.adapt(WORDS)
    inputs = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(inputs, layers.Dense(1)(lookup(inputs)))
    model.compile(optimizer="adam", loss="mse")
    model.fit(WORDS, np.arange(6, dtype="float32"), epochs=2, verbose=0)
    round_trip(model, np.array([["a"], ["q"]]), tmp_path)


# ---------------------------------------------------------------- layouts
def test_a_model_without_assets_writes_exactly_the_three_members(tmp_path):
    inputs = keras.Input(shape=(3,))
    keras.Model(inputs, layers.Dense(2)(inputs)).save(tmp_path / "plain.keras")
    with zipfile.ZipFile(tmp_path / "plain.keras") as archive:
        assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}


def test_a_given_vocabulary_stays_in_the_config_and_adds_no_asset(tmp_path):
    inputs = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(inputs, layers.StringLookup(vocabulary=["x", "y"])(inputs))
    _, content = round_trip(model, np.array([["y"], ["z"]]), tmp_path)
    assert list(content) == ["metadata.json", "config.json", "model.weights.h5"]
    assert json.loads(content["config.json"])["config"]["layers"][1]["config"][
        "vocabulary"] == ["x", "y"]


def keras_layout_file(path, vocabulary):
    """A ``.keras`` file as Keras 3.15.1's saver lays it out (saving_lib.py), written
    member by member: Keras on torch needs TensorFlow for StringLookup, so the real
    one cannot write it here. The config is Keras's functional config."""
    config = {
        "module": "keras", "class_name": "Functional", "registered_name": "Functional",
        "config": {
            "name": "functional", "trainable": True,
            "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                 "name": "input_layer",
                 "config": {"batch_shape": [None, 1], "dtype": "string", "sparse": False,
                            "ragged": False, "name": "input_layer", "optional": False},
                 "inbound_nodes": []},
                {"module": "keras.layers", "class_name": "StringLookup",
                 "registered_name": None, "name": "string_lookup",
                 "config": {"name": "string_lookup", "trainable": True,
                            "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                      "config": {"name": "int64"}, "registered_name": None},
                            "invert": False, "max_tokens": None, "num_oov_indices": 1,
                            "oov_token": "[UNK]", "mask_token": None, "output_mode": "int",
                            "sparse": False, "pad_to_max_tokens": False,
                            "idf_weights": None, "vocabulary": None,
                            "vocabulary_size": len(vocabulary), "oov_method": "farmhash",
                            "salt": None, "encoding": "utf-8"},
                 "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                     "shape": [None, 1], "dtype": "string",
                     "keras_history": ["input_layer", 0, 0]}}], "kwargs": {}}]}],
            "input_layers": [["input_layer", 0, 0]],
            "output_layers": [["string_lookup", 0, 0]]},
        "build_config": {"input_shape": None}, "compile_config": None}
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5file:
        h5file.create_group("layers/input_layer/vars").attrs["name"] = "input_layer"
        h5file.create_group("layers/string_lookup/vars").attrs["name"] = "string_lookup"
        h5file.create_group("vars").attrs["name"] = "functional"
    write_archive(path, config, {"keras_version": "3.15.1", "date_saved": "2026-01-01@00:00:00"},
                  weights.getvalue(),
                  {"assets/layers/string_lookup/vocabulary.txt":
                   "\n".join(vocabulary).encode("utf-8")})
    return path


def test_a_file_in_keras_layout_loads_with_its_vocabulary(tmp_path):
    path = keras_layout_file(tmp_path / "from_keras.keras", ["[UNK]", "b", "a", "c"])
    model = keras.models.load_model(path)
    assert model.inputs[0].dtype == "string"
    assert model.layers[1].get_vocabulary() == ["[UNK]", "b", "a", "c"]
    np.testing.assert_array_equal(model.predict(np.array([["a"], ["c"], ["zz"]]), verbose=0),
                                  [[2], [3], [0]])


# ---------------------------------------------------------------- hostile files
def saved(tmp_path):
    string_lookup_model().save(tmp_path / "good.keras")
    return tmp_path / "good.keras"


def test_an_asset_path_that_escapes_is_refused(tmp_path):
    bad = rewrite(saved(tmp_path), tmp_path / "bad.keras",
                  add={"assets/layers/string_lookup/../../../../evil.txt": b"x"})
    with pytest.raises(ArchiveError, match="points outside the archive"):
        keras.models.load_model(bad)


def test_an_oversized_asset_is_refused(tmp_path, monkeypatch):
    good = saved(tmp_path)
    monkeypatch.setattr(saving_assets, "MAX_ASSET_BYTES", 8)
    with pytest.raises(ArchiveError, match="vocabulary.txt claims 11 bytes.*MAX_ASSET_BYTES"):
        keras.models.load_model(good)


def test_a_missing_asset_is_named(tmp_path):
    bad = rewrite(saved(tmp_path), tmp_path / "bad.keras",
                  drop=("assets/layers/string_lookup/vocabulary.txt",))
    with pytest.raises(ArchiveError, match="layer 'string_lookup' needs the asset "
                       "assets/layers/string_lookup/vocabulary.txt"):
        keras.models.load_model(bad)


def test_an_asset_that_is_not_text_is_refused(tmp_path):
    bad = rewrite(saved(tmp_path), tmp_path / "bad.keras",
                  replace={"assets/layers/string_lookup/vocabulary.txt": b"\xff\xfe\x00"})
    with pytest.raises(ArchiveError, match="assets of layer 'string_lookup'.*cannot be read"):
        keras.models.load_model(bad)


def test_an_integer_vocabulary_of_words_is_refused(tmp_path):
    lookup = layers.IntegerLookup()
    lookup.adapt(np.array([1, 2, 2]))
    inputs = keras.Input(shape=(1,), dtype="int64")
    keras.Model(inputs, lookup(inputs)).save(tmp_path / "good.keras")
    bad = rewrite(tmp_path / "good.keras", tmp_path / "bad.keras",
                  replace={"assets/layers/integer_lookup/vocabulary.txt": b"-1\nrm -rf"})
    with pytest.raises(ArchiveError, match="assets of layer 'integer_lookup'"):
        keras.models.load_model(bad)


def test_assets_the_model_does_not_ask_for_are_never_read(tmp_path, monkeypatch):
    bad = rewrite(saved(tmp_path), tmp_path / "extra.keras",
                  add={"assets/layers/dense/vocabulary.txt": b"never read",
                       "assets/layers/string_lookup/sub/notes.txt": b"never read"})
    read = []
    original = saving_assets._extract

    def spy(reader, member, target, budget):
        read.append(member)
        return original(reader, member, target, budget)

    monkeypatch.setattr(saving_assets, "_extract", spy)
    keras.models.load_model(bad)
    assert read == ["assets/layers/string_lookup/vocabulary.txt"]
