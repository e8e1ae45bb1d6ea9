"""Subclassed ``keras.Model``s saved to ``.keras`` and loaded back, as Keras 3.15.1 does it:
the default ``get_config`` (and Keras's error when there can be none), ``from_config``,
``build_config``/``compile_config``, and the weights assigned after building."""
import json
import zipfile

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers

X = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(4, 2)).astype("float32")


@pytest.fixture
def registered():
    """Register classes for one test, then forget them (the registry is global)."""
    names = []

    def register(cls, package="test_subclassed"):
        keras.saving.register_keras_serializable(package=package)(cls)
        names.append(f"{package}>{cls.__name__}")
        return cls

    yield register
    for name in names:
        keras.saving.get_custom_objects().pop(name, None)


def config_json(path):
    return json.loads(zipfile.ZipFile(path).read("config.json"))


class OnlyKw(keras.Model):
    """The brief's example: ``__init__`` takes only ``**kw``, no ``get_config``."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.d = layers.Dense(2)

    def call(self, x):
        return self.d(x)


def test_a_registered_subclass_saves_and_loads(tmp_path, registered):
    registered(OnlyKw)
    model = OnlyKw()
    model(np.ones((1, 3)))
    model.save(tmp_path / "s.keras")
    record = config_json(tmp_path / "s.keras")
    assert (record["module"], record["class_name"], record["registered_name"]) == \
        (None, "OnlyKw", "test_subclassed>OnlyKw")
    assert record["build_config"] == {"input_shape": [None, 3]}
    assert record["compile_config"] == {}
    loaded = keras.models.load_model(tmp_path / "s.keras")
    assert type(loaded) is OnlyKw and loaded.built
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))


def test_default_get_config_of_a_kwargs_only_subclass_is_keras():
    # **kw is not called "kwargs": Keras drops the name (__init__ could not take it back)
    assert OnlyKw(name="m").get_config() == {
        "trainable": True, "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                     "config": {"name": "float32"}, "registered_name": None}}

    class Named(keras.Model):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.d = layers.Dense(units)

        def call(self, x):
            return self.d(x)

    config = Named(name="n", trainable=False).get_config()
    assert list(config) == ["name", "units", "trainable", "dtype"]
    assert (config["name"], config["units"], config["trainable"]) == ("n", 2, False)
    assert Named.from_config(config).name == "n"


def test_init_arguments_without_get_config_raise_keras_error(tmp_path):
    class NeedsUnits(keras.Model):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.d = layers.Dense(units)

        def call(self, x):
            return self.d(x)

    model = NeedsUnits(3)
    model(X)
    with pytest.raises(NotImplementedError, match="must override `get_config\\(\\)`"):
        model.get_config()
    with pytest.raises(NotImplementedError, match="Please implement `get_config\\(\\)`"):
        model.save(tmp_path / "n.keras")
    assert not (tmp_path / "n.keras").exists()


def test_a_value_keras_would_lose_is_refused_not_saved_wrongly():
    class WithDefault(keras.Model):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.d = layers.Dense(units)

        def call(self, x):
            return self.d(x)

    assert WithDefault(units=2).get_config()["units"] == 2        # the default: fine
    with pytest.raises(NotImplementedError, match=r"defaults of \['units'\]"):
        WithDefault(units=5).get_config()     # Keras would write units=2 and load a wrong model


def test_get_config_and_from_config_written_by_hand_round_trip(tmp_path, registered):
    class CustomModel(keras.Model):             # the guide's subclassed model
        def __init__(self, hidden_units, **kwargs):
            super().__init__(**kwargs)
            self.hidden_units = hidden_units
            self.dense_layers = [layers.Dense(u) for u in hidden_units]

        def call(self, inputs):
            x = inputs
            for layer in self.dense_layers:
                x = layer(x)
            return x

        def get_config(self):
            return {"hidden_units": self.hidden_units}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    registered(CustomModel)
    model = CustomModel([4, 2])
    model(X)
    assert len(model.weights) == 4                   # layers in a list are tracked
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=2, verbose=0)
    model.save(tmp_path / "c.keras")
    loaded = keras.models.load_model(tmp_path / "c.keras")
    assert loaded.hidden_units == [4, 2] and loaded.compiled
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations)
    model.fit(X, Y, epochs=1, verbose=0, shuffle=False)      # training resumes identically
    loaded.fit(X, Y, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0),
                               rtol=1e-5)


def test_super_get_config_gives_the_base_keys_to_extend():
    class Extends(keras.Model):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def call(self, x):
            return x

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    config = Extends(3, name="e").get_config()
    assert config["name"] == "e" and config["units"] == 3 and "dtype" in config
    assert Extends.from_config(config).units == 3


def test_from_config_that_cannot_rebuild_says_so_as_keras():
    class Partial(keras.Model):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)

        def call(self, x):
            return x

        def get_config(self):
            return {"name": self.name}                   # forgets "units"

    with pytest.raises(TypeError, match="Unable to revive model from config"):
        Partial.from_config(Partial(2).get_config())


def test_unregistered_subclass_loads_with_custom_objects(tmp_path):
    model = OnlyKw()
    model(X)
    model.save(tmp_path / "u.keras")
    with pytest.raises(ValueError, match="custom_objects"):
        keras.models.load_model(tmp_path / "u.keras")
    loaded = keras.models.load_model(tmp_path / "u.keras", custom_objects={"OnlyKw": OnlyKw})
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    with keras.saving.custom_object_scope({"OnlyKw": OnlyKw}):
        assert type(keras.models.load_model(tmp_path / "u.keras")) is OnlyKw


def test_build_config_builds_before_the_weights_are_assigned():
    model = OnlyKw()
    assert model.get_build_config() is None
    model(X)
    assert model.get_build_config() == {"input_shape": [None, 3]}
    fresh = OnlyKw()
    fresh.build_from_config(model.get_build_config())
    assert fresh.built and [w.shape for w in fresh.weights] == [(3, 2), (2,)]
    fresh.set_weights(model.get_weights())
    np.testing.assert_allclose(fresh.predict(X, verbose=0), model.predict(X, verbose=0))


def test_compile_config_round_trips_through_compile_from_config():
    model = OnlyKw()
    assert model.get_compile_config() == {}
    model.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    config = model.get_compile_config()
    assert config["loss"] == "mse" and config["metrics"] == ["mae"]
    assert config["optimizer"]["class_name"] == "Adam" and config["jit_compile"] is False
    other = OnlyKw()
    other.compile_from_config(config)
    assert other.compiled and other.optimizer.learning_rate == pytest.approx(0.01)


def test_a_functional_subclass_saves_as_its_own_class(tmp_path, registered):
    class MyFunctional(keras.Model):
        pass

    registered(MyFunctional)
    inputs = keras.Input((3,))
    model = MyFunctional(inputs, layers.Dense(2)(inputs))
    model.save(tmp_path / "f.keras")
    record = config_json(tmp_path / "f.keras")
    assert (record["class_name"], record["registered_name"]) == \
        ("MyFunctional", "test_subclassed>MyFunctional")
    assert "layers" in record["config"] and record["build_config"] == {"input_shape": None}
    loaded = keras.models.load_model(tmp_path / "f.keras")
    assert type(loaded) is MyFunctional
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
