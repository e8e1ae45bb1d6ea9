"""The one registry: Keras's register/scope/lookup rules and its general (de)serializers.

Facts from Keras 3.15.1 (shared/reference/keras-next.md §5.2): names are
"Package>Name"; lookups prefer the global registry over an active scope over the
``custom_objects`` argument; entering a scope replaces the outer one; plain
strings deserialize to themselves and tuples to lists. One deliberate difference:
kerastutor refuses to load a lambda even with ``safe_mode=False``.
"""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import activations, constraints, initializers, registry, regularizers


@pytest.fixture
def registered():
    """Objects registered by a test are removed again afterwards."""
    before = dict(registry.get_custom_objects())
    yield registry.get_custom_objects()
    registry.get_custom_objects().clear()
    registry.get_custom_objects().update(before)


class Halve(regularizers.Regularizer):
    def __init__(self, factor=0.5):
        self.factor = factor

    def __call__(self, x):
        return self.factor * float(np.sum(x))

    def gradient(self, x):
        return np.full_like(x, self.factor)

    def get_config(self):
        return {"factor": self.factor}


def test_register_names_an_object_by_package_and_name(registered):
    decorated = keras.saving.register_keras_serializable(package="Tut", name="half")(Halve)
    assert decorated is Halve
    assert keras.saving.get_registered_name(Halve) == "Tut>half"
    assert keras.saving.get_registered_object("Tut>half") is Halve
    assert registered["Tut>half"] is Halve
    assert keras.saving.get_registered_name(regularizers.L2) == "L2"


def test_a_class_without_get_config_cannot_be_registered():
    class Plain:
        pass

    with pytest.raises(ValueError, match="does not have a get_config"):
        keras.saving.register_keras_serializable()(Plain)


def test_scope_replaces_the_outer_scope_and_global_wins(registered):
    outer, inner = object(), object()
    with keras.saving.custom_object_scope({"thing": outer, "only_outer": outer}):
        assert keras.saving.get_registered_object("thing") is outer
        with keras.saving.CustomObjectScope({"thing": inner}):
            assert keras.saving.get_registered_object("thing") is inner
            assert keras.saving.get_registered_object("only_outer") is None
        assert keras.saving.get_registered_object("only_outer") is outer
    assert keras.saving.get_registered_object("thing") is None
    registered["thing"] = "global"
    with keras.saving.custom_object_scope({"thing": inner}):
        assert registry.user_objects({"thing": 1})["thing"] == "global"
    assert keras.saving.get_registered_object("x", custom_objects={"x": 2},
                                              module_objects={"x": 3}) == 2


def test_every_get_takes_custom_objects_scope_and_registry(registered):
    assert isinstance(regularizers.get("Halve", custom_objects={"Halve": Halve}), Halve)
    with keras.saving.custom_object_scope({"Halve": Halve}):
        assert isinstance(regularizers.get("Halve"), Halve)
        record = {"module": None, "class_name": "Halve", "config": {"factor": 2.0},
                  "registered_name": "Halve"}
        assert regularizers.deserialize(record).factor == 2.0
    keras.saving.register_keras_serializable(package="Tut")(Halve)
    record = regularizers.serialize(Halve(3.0))
    assert record == {"module": None, "class_name": "Halve", "config": {"factor": 3.0},
                      "registered_name": "Tut>Halve"}
    assert regularizers.deserialize(record).factor == 3.0


@pytest.mark.parametrize("module, name, suggestion", [
    (activations, "sofmax", "softmax"), (activations, "ReLU", "relu"),
    (initializers, "glorot_unifrom", "glorot_uniform"), (regularizers, "l22", "l2"),
    (constraints, "non_negg", "non_neg"),
])
def test_unknown_names_share_one_error(module, name, suggestion):
    with pytest.raises(ValueError, match=rf"Unknown \w+ '{name}'. Did you mean "
                                         rf"'{suggestion}'\?.*register_keras_serializable"):
        module.get(name)


def test_serialize_keras_object_follows_keras():
    serialize = keras.saving.serialize_keras_object
    assert serialize("relu") == "relu" and serialize(None) is None
    assert serialize((1, "a")) == (1, "a")
    assert serialize(np.float32(1.5)) == 1.5
    assert serialize(np.array([1.0, 2.0])) == {
        "class_name": "__numpy__", "config": {"value": [1.0, 2.0], "dtype": "float64"}}
    assert serialize(b"hi") == {"class_name": "__bytes__", "config": {"value": "hi"}}
    assert serialize(keras.activations.relu) == {
        "module": "builtins", "class_name": "function", "config": "relu",
        "registered_name": "function"}
    assert serialize(regularizers.L2(0.1)) == {
        "module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.1},
        "registered_name": None}
    with pytest.raises(TypeError, match="must implement the get_config"):
        serialize(object())
    with pytest.raises(ValueError, match="lambda cannot be saved"):
        serialize(lambda v: v)


def test_deserialize_keras_object_follows_keras():
    deserialize = keras.saving.deserialize_keras_object
    assert deserialize("relu") == "relu"
    assert deserialize((1, 2)) == [1, 2]
    assert deserialize({"a": [1]}) == {"a": [1]}
    array = deserialize({"class_name": "__numpy__",
                         "config": {"value": [1, 2], "dtype": "int32"}})
    assert array.dtype == np.int32 and array.tolist() == [1, 2]
    assert deserialize({"class_name": "__bytes__", "config": {"value": "hi"}}) == b"hi"
    assert deserialize(keras.saving.serialize_keras_object(keras.activations.relu)) \
        is keras.activations.relu
    l2 = deserialize({"module": "keras.regularizers", "class_name": "L2",
                      "config": {"l2": 0.25}, "registered_name": None})
    assert isinstance(l2, regularizers.L2) and l2.l2 == 0.25
    with pytest.raises(TypeError, match="Could not locate class 'Mystery'"):
        deserialize({"class_name": "Mystery", "config": {}})


@pytest.mark.parametrize("safe_mode", [True, False])
def test_a_lambda_record_is_never_loaded(safe_mode):
    record = {"class_name": "__lambda__", "config": {"value": ["Z29vZA==", None, None]}}
    with pytest.raises(ValueError, match="never runs code"):
        keras.saving.deserialize_keras_object(record, safe_mode=safe_mode)


def test_the_functions_are_exported_under_saving_and_utils():
    for name in registry.__all__[1:]:
        assert getattr(keras.saving, name) is getattr(registry, name)
        assert getattr(keras.utils, name) is getattr(registry, name)


def test_clear_session_empties_the_scope_but_not_the_registry(registered):
    registered["Kept>one"] = Halve
    with keras.saving.custom_object_scope({"gone": Halve}):
        keras.backend.clear_session()
        assert keras.saving.get_registered_object("gone") is None
        assert keras.saving.get_registered_object("Kept>one") is Halve


@pytest.mark.parametrize("module, cls", [
    (keras.losses, keras.losses.Huber), (keras.metrics, keras.metrics.AUC),
    (keras.optimizers, keras.optimizers.SGD), (activations, activations.Tanh),
    (initializers, initializers.Ones), (regularizers, regularizers.L1),
    (constraints, constraints.NonNeg),
])
def test_every_kind_finds_the_users_names_the_same_way(module, cls):
    with keras.saving.custom_object_scope({"mine": cls}):
        assert type(module.get("mine")) is cls
    assert type(module.get("mine", custom_objects={"mine": cls})) is cls
    with pytest.raises(ValueError, match="Unknown .*'mine'.*register_keras_serializable"):
        module.get("mine")


def test_a_users_layer_is_saved_and_found_as_keras_does(registered):
    class Doubler(keras.layers.Layer):
        def forward(self, x, training=False):
            return 2 * x, None

        def backward(self, cache, grad_out):
            return 2 * grad_out

    record = keras.layers.serialize(Doubler(name="d"))
    assert record["module"] is None and record["registered_name"] == "Doubler"
    with pytest.raises(ValueError, match="Unknown layer 'Doubler'"):
        keras.layers.deserialize(record)
    assert type(keras.layers.deserialize(record, {"Doubler": Doubler})) is Doubler
    keras.saving.register_keras_serializable(package="Tut")(Doubler)
    record = keras.layers.serialize(Doubler(name="d"))
    assert record["registered_name"] == "Tut>Doubler"
    assert type(keras.layers.deserialize(record)) is Doubler
    assert keras.layers.serialize(keras.layers.Dense(2))["module"] == "keras.layers"
