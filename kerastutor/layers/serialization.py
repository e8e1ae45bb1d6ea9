"""A layer as a Keras config dict and back: ``serialize``, ``deserialize``.

``serialize(Dense(3))`` gives ``{"module": "keras.layers", "class_name":
"Dense", "config": {...}, "registered_name": None}``; ``deserialize`` finds
the class by that name and calls its ``from_config``. The name is looked up,
never run: among the classes you registered or passed in ``custom_objects``,
then among kerastutor's own layer classes. A file can name a class, not
execute code.

The lookups are the registry's (:mod:`kerastutor.registry`): every layer class
kerastutor defines joins :data:`kerastutor.layers.base.CATALOG` when it is
defined (``Layer.__init_subclass__``), models included -- so this module, which
sits *below* :mod:`kerastutor.models`, finds ``Sequential`` without importing it.
"""
import functools
import inspect

import numpy as np

from kerastutor.layers.base import CATALOG
from kerastutor.registry import custom_object_scope, serialize_keras_object, user_objects

_MODEL_CLASS_NAMES = ("Sequential", "Functional", "Model")


def get_layer_class(class_name, custom_objects=None):
    """Look up a layer class by its Keras name (``"Dense"``), with a hint if unknown."""
    if not isinstance(class_name, str):
        raise ValueError(f"A layer config names its class with a string, got {class_name!r}.")
    return class_for({"class_name": class_name}, custom_objects)


def class_for(config, custom_objects=None):
    """The class a layer record names (registered name first, then class name)."""
    try:
        return CATALOG.class_for(config, custom_objects)
    except ValueError:
        if config.get("class_name") in _MODEL_CLASS_NAMES:
            raise ValueError(
                f"Unknown layer class {config['class_name']!r}. Model classes register "
                "themselves when kerastutor.models is imported: import kerastutor.models "
                "(or use keras.models.load_model) first.") from None
        raise


def serialize(layer):
    """``{"module": "keras.layers", "class_name": "Dense", "config": {...}, ...}``.

    Exactly Keras's record (``keras.saving.serialize_keras_object``): a plain
    dict, with a ``"build_config"`` once the layer is built (the shape it was
    built for) and, for a model, its ``"compile_config"``. Your own layer
    class gets ``"module": None`` and its registered name (``"package>Name"``,
    or the class name if unregistered). A wrapper's inner layer
    (``Bidirectional(LSTM(...))``) is a record of the same kind inside its config.
    """
    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """Rebuild a layer from :func:`serialize`'s dict.

    The values are checked first (:func:`check_config_values`), and every
    refusal starts with the layer it is about: ``layer 'dense' (Dense): ...``.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name' and 'config', got "
                         f"{str(config)[:80]!r}.")
    cls = class_for(config, custom_objects)
    inner = config.get("config", {})
    if not isinstance(inner, dict):
        raise ValueError(f"The config of layer class {config['class_name']!r} must be a "
                         f"dict, got {type(inner).__name__}.")
    inner = dict(inner)
    where = f"layer {inner.get('name', '?')!r} ({config['class_name']})"
    try:
        check_config_values(cls, inner)
        # As Keras: lookups inside from_config (an activation named in the config)
        # also see the custom_objects given here.
        with custom_object_scope(user_objects(custom_objects)):
            return _from_config(cls, inner, custom_objects)
    except ValueError as err:
        if str(err).startswith("layer "):        # a nested layer already said where
            raise ValueError(f"{where} > {err}") from None
        raise ValueError(f"{where}: {err}") from None


def _from_config(cls, inner, custom_objects):
    if not hasattr(cls, "from_config"):
        return cls(**inner)
    try:
        return cls.from_config(inner, custom_objects=custom_objects)
    except TypeError:
        return cls.from_config(inner)


# ------------------------------------------------------------ checking a record's values
#: Config keys whose value names an object of another kind: None, a name, or a record.
_OBJECT_KEY_SUFFIXES = ("_regularizer", "_initializer", "_constraint")
_POLICY_CLASSES = ("DTypePolicy", "FloatDTypePolicy")


def check_config_values(cls, config):
    """Refuse wrong-typed values now, naming the key -- not later, deep in a predict.

    Three rules, the ones a file can break without the constructor noticing:
    a ``*_regularizer``/``*_initializer``/``*_constraint`` is None, a name or
    a record; ``dtype`` is None, a dtype name or a DTypePolicy record; an
    argument whose default is a boolean (``use_bias``) is a boolean.
    """
    for key, value in config.items():
        if key.endswith(_OBJECT_KEY_SUFFIXES) and not _is_name_or_record(value):
            kind = key.rsplit("_", 1)[1]
            raise ValueError(f"{key} must be None, a {kind} name or a {kind} record "
                             f"{{'class_name': ..., 'config': ...}}, got {value!r}.")
        if key in _boolean_arguments(cls) and not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{key} must be true or false, got {value!r}.")
    _check_dtype(config.get("dtype"))


def _is_name_or_record(value):
    """A value a config may give: None, a name, a record -- or, in memory, the object."""
    if isinstance(value, dict):
        return isinstance(value.get("class_name"), str)
    return value is None or isinstance(value, str) or callable(value) or \
        hasattr(value, "get_config")


def _check_dtype(dtype):
    if dtype is None or isinstance(dtype, str):
        return
    if not isinstance(dtype, dict) or not isinstance(dtype.get("class_name"), str):
        raise ValueError(f"dtype must be a dtype name ('float32') or a DTypePolicy record, "
                         f"got {dtype!r}.")
    if dtype["class_name"] not in _POLICY_CLASSES:
        raise ValueError(
            f"Unknown dtype policy {dtype['class_name']!r} (module {dtype.get('module')!r}); "
            "kerastutor builds only its own classes and the ones you register. Hint: a "
            "layer's dtype is a name such as 'float32' or "
            "{'class_name': 'DTypePolicy', 'config': {'name': 'float32'}}.")
    inner = dtype.get("config")
    if not isinstance(inner, dict) or not isinstance(inner.get("name"), str):
        raise ValueError(f"dtype: a DTypePolicy record needs config {{'name': 'float32'}}, "
                         f"got {inner!r}.")


@functools.lru_cache(maxsize=None)
def _boolean_arguments(cls):
    """The constructor arguments of ``cls`` whose default is True or False."""
    try:
        parameters = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    return frozenset(["trainable"] + [p.name for p in parameters
                                      if isinstance(p.default, bool)])
