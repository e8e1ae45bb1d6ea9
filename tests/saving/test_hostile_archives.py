""".keras files built to hurt the loader: each is refused with an error naming the problem.

A hostile archive may lie in its zip headers (a member "claiming" gigabytes,
a zip bomb, a member twice), be damaged, name classes from other Python
modules, be huge, or put wrong-typed values in a layer's config. The loader
must refuse each kindly -- our ``ValueError`` naming the member or the key --
without allocating what the file claims and without quadratic work.
"""
import json
import struct
import tracemalloc
import warnings
import zipfile

import pytest

import kerastutor as keras
from kerastutor import layers
from kerastutor.models import serialization as model_serialization
from kerastutor.saving import keras_archive

HOSTILE = {"module": "os", "class_name": "system", "config": {}, "registered_name": None}


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    """The three members of a small, sound .keras file."""
    path = tmp_path_factory.mktemp("good") / "good.keras"
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, kernel_regularizer="l2"),
                              layers.Dense(2)])
    model.compile("adam", "mse")
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path, entries, compression=zipfile.ZIP_STORED):
    """Write ``[(name, bytes), ...]`` as they are -- duplicates included."""
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", compression) as archive:
        warnings.simplefilter("ignore")                  # "Duplicate name" is the point
        for name, data in entries:
            archive.writestr(name, data)
    return path


def forge_size(path, name, claimed):
    """Patch the uncompressed size ``name``'s headers declare (local and central)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            if data[start + name_at:start + name_at + len(encoded)] == encoded:
                struct.pack_into("<I", data, start + size_at, claimed)
            start += 4
    path.write_bytes(bytes(data))
    return path


def with_config(tmp_path, members, edit):
    config = json.loads(members["config.json"])
    edit(config)
    return write_zip(tmp_path / "edited.keras",
                     [("metadata.json", members["metadata.json"]),
                      ("config.json", json.dumps(config).encode()),
                      ("model.weights.h5", members["model.weights.h5"])])


def refused(path, *fragments):
    with pytest.raises(ValueError) as caught:
        keras.models.load_model(path)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def dense_config(config):
    return config["config"]["layers"][1]["config"]


# ------------------------------------------------------------------ zip headers
def test_a_member_claiming_gigabytes_is_refused_before_anything_is_read(tmp_path, members):
    path = write_zip(tmp_path / "claim.keras", list(members.items()), zipfile.ZIP_DEFLATED)
    forge_size(path, "model.weights.h5", 3 * 2**30)
    tracemalloc.start()
    try:
        refused(path, "model.weights.h5", "3,221,225,472")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


def test_a_zip_bomb_is_refused_by_its_declared_ratio(tmp_path, members):
    bomb = [("metadata.json", members["metadata.json"]), ("config.json", b" " * 40 * 2**20),
            ("model.weights.h5", members["model.weights.h5"])]
    path = write_zip(tmp_path / "bomb.keras", bomb, zipfile.ZIP_DEFLATED)
    tracemalloc.start()
    try:
        refused(path, "config.json", "zip bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


def test_a_header_understating_a_member_cannot_make_the_reader_hold_more(tmp_path, members):
    big = b"{" + b" " * 2**20 + b"}"
    path = write_zip(tmp_path / "understated.keras",
                     [("config.json", big), ("model.weights.h5", members["model.weights.h5"])],
                     zipfile.ZIP_DEFLATED)
    forge_size(path, "config.json", 1000)
    tracemalloc.start()
    try:
        refused(path, "config.json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20


def test_a_stored_member_declaring_two_sizes_is_refused(tmp_path, members):
    path = forge_size(write_zip(tmp_path / "two.keras", list(members.items())),
                      "config.json", 5000)
    refused(path, "config.json", "stored uncompressed")


def test_a_config_larger_than_the_bound_is_refused(tmp_path, members, monkeypatch):
    monkeypatch.setattr(keras_archive, "MAX_JSON_BYTES", 100)
    path = write_zip(tmp_path / "big.keras", list(members.items()))
    refused(path, "config.json claims", "refusing")


def test_a_duplicate_config_is_refused_not_the_last_one_taken(tmp_path, members):
    path = write_zip(tmp_path / "twice.keras",
                     [("config.json", members["config.json"]), ("config.json", b"{}"),
                      ("model.weights.h5", members["model.weights.h5"])])
    refused(path, "config.json appears twice in the archive")


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_damaged_member_is_named(tmp_path, members, compression):
    path = write_zip(tmp_path / "damaged.keras", list(members.items()), compression)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("config.json")
    start = info.header_offset + 30 + len("config.json") + len(info.extra)
    for i in range(start + 5, start + 25):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    refused(path, "config.json is damaged")


# ------------------------------------------------------------------ names from elsewhere
@pytest.mark.parametrize("key, kind", [("kernel_regularizer", "regularizer"),
                                       ("activity_regularizer", "regularizer"),
                                       ("kernel_initializer", "initializer"),
                                       ("bias_constraint", "constraint"),
                                       ("dtype", "dtype policy")])
def test_a_hostile_class_in_a_layer_argument_names_kind_and_module(tmp_path, members, key,
                                                                   kind):
    path = with_config(tmp_path, members, lambda c: dense_config(c).update({key: HOSTILE}))
    refused(path, f"nknown {kind} 'system' (module 'os')",
            "kerastutor builds only its own classes", "' (Dense): ")


def test_a_hostile_layer_or_model_class_is_refused(tmp_path, members):
    path = with_config(tmp_path, members,
                       lambda c: c["config"]["layers"][1].update(module="os",
                                                                 class_name="system"))
    refused(path, "layer 'system' (module 'os')")
    path = with_config(tmp_path, members, lambda c: c.update(module="os", class_name="system"))
    refused(path, "layer 'system' (module 'os')")


@pytest.mark.parametrize("key, value", [("optimizer", HOSTILE), ("loss", HOSTILE),
                                        ("metrics", [HOSTILE]), ("loss", {"out": HOSTILE})])
def test_a_hostile_class_in_the_compile_config_is_refused(tmp_path, members, key, value):
    path = with_config(tmp_path, members, lambda c: c["compile_config"].update({key: value}))
    refused(path, f"compile_config: {key}: unknown class 'system' (module 'os')",
            "compile=False")


def test_a_wrong_typed_compile_config_is_refused(tmp_path, members):
    path = with_config(tmp_path, members, lambda c: c["compile_config"].update(loss=5))
    refused(path, "compile_config: loss must be a name or a Keras record, got 5"[:38])
    path = with_config(tmp_path, members, lambda c: c.update(compile_config=[1]))
    refused(path, "compile_config: expected a dict, got list")


# ------------------------------------------------------------------ wrong-typed values
@pytest.mark.parametrize("key, value, said", [
    ("activity_regularizer", [], "activity_regularizer must be None"),
    ("kernel_initializer", 3, "kernel_initializer must be None"),
    ("use_bias", [], "use_bias must be true or false"),
    ("dtype", 5, "dtype must be a dtype name"),
    ("dtype", "float3m", "Cannot convert 'float3m' to a DTypePolicy"),
    ("dtype", {"class_name": "DTypePolicy", "config": {"name": "mixed_float16"}},
     "no mixed-precision policies yet"),
])
def test_a_wrong_typed_value_is_refused_at_load_with_its_key(tmp_path, members, key, value,
                                                             said):
    path = with_config(tmp_path, members, lambda c: dense_config(c).update({key: value}))
    refused(path, said, "' (Dense): ")


@pytest.mark.parametrize("key", ["class_name", "registered_name"])
def test_a_class_name_that_is_not_a_string_is_refused_by_key(tmp_path, members, key):
    path = with_config(tmp_path, members,
                       lambda c: c["config"]["layers"][1].update({key: ["Dense"]}))
    refused(path, f"layer record: its '{key}' should be a string naming a class, got list")


def test_layers_that_are_not_a_list_are_refused(tmp_path, members):
    path = with_config(tmp_path, members, lambda c: c["config"].update(layers={}))
    refused(path, "'layers' must be a list")


# ------------------------------------------------------------------ huge graphs
def chain_config(n_layers, reverse=False):
    """A functional chain Input -> Dense x n, as Keras writes it, layers in any order."""
    x = inputs = keras.Input((2,), name="x")
    for i in range(n_layers):
        x = layers.Dense(2, name=f"d{i}")(x)
    config = keras.saving.model_to_config(keras.Model(inputs, x))
    if reverse:
        config["config"]["layers"].reverse()
    return json.loads(json.dumps(config))


def test_rebuilding_a_long_chain_is_linear_work_whatever_the_order(monkeypatch):
    n_layers = 1200                 # past Python's recursion limit, too
    config = chain_config(n_layers, reverse=True)
    counted = []
    original = model_serialization._refs
    monkeypatch.setattr(model_serialization, "_refs",
                        lambda args: counted.append(1) or original(args))
    model = keras.saving.model_from_config(config)
    assert len(model.layers) == n_layers + 1
    assert len(counted) <= n_layers            # each call's references are read once


def test_a_graph_larger_than_the_bound_is_refused(monkeypatch):
    monkeypatch.setattr(model_serialization, "MAX_LAYERS", 10)
    with pytest.raises(ValueError, match="more than the 10 kerastutor rebuilds"):
        keras.saving.model_from_config(chain_config(12))


def test_a_reference_to_a_missing_tensor_is_named():
    config = chain_config(3)
    config["config"]["layers"][2]["inbound_nodes"][0]["args"][0]["config"][
        "keras_history"] = ["nowhere", 0, 0]
    with pytest.raises(ValueError, match="'nowhere'"):
        keras.saving.model_from_config(config)
