r"""One registry behind every ``get``, ``serialize`` and ``deserialize``.

Keras names its objects by strings (``"relu"``, ``"adam"``, ``"Dense"``) and
saves them as small records::

    {"module": "keras.layers", "class_name": "Dense", "config": {...},
     "registered_name": None}

Turning a name or a record back into an object is the same job for every kind
of object -- activations, initializers, regularizers, constraints, losses,
metrics, optimizers, layers, models -- so it is written once, here:

* **A catalog per kind** (:class:`Catalog`) holds the built-in objects of that
  kind by name; each module fills its own when it is imported
  (``keras.activations`` fills ``"keras.activations"``). The registry imports
  none of them, so every module can import it.
* **The user's objects** come from three places, in Keras's order of
  precedence (a later one wins):

  1. the ``custom_objects={...}`` argument of a ``get``/``deserialize``/``load_model``;
  2. an active :class:`custom_object_scope` (``with custom_object_scope({...}):``);
  3. the global registry filled by :func:`register_keras_serializable` (a decorator)
     and :func:`get_custom_objects` (a live dict).

  They are looked up before the built-ins, so a user can replace a built-in name.
* **One error** for an unknown name: it says which kind was looked up, offers
  the closest known name ("Did you mean 'relu'?") and says how to register a
  custom object.

:func:`serialize_keras_object` and :func:`deserialize_keras_object` are Keras's
general functions for any value (numbers, lists, arrays, objects), built on the
catalogs. One deliberate difference from Keras: a Python ``lambda`` is never
serialized as bytecode and never loaded from one, even with ``safe_mode=False``
-- loading a file must not run code written in it.

Example
-------
>>> import kerastutor as keras
>>> @keras.saving.register_keras_serializable(package="Tutorial")
... def halve(x):
...     return x / 2
>>> keras.saving.get_registered_name(halve)
'Tutorial>halve'
>>> keras.saving.get_registered_object("Tutorial>halve") is halve
True
>>> keras.saving.serialize_keras_object(halve)["config"]
'Tutorial>halve'
>>> del keras.saving.get_custom_objects()["Tutorial>halve"]   # tidy up the doctest
"""
import difflib
import threading
import types

import numpy as np

_REGISTERED = {}            # "Package>Name" -> object (keras.saving.get_custom_objects())
_REGISTERED_NAMES = {}      # object -> "Package>Name"
_SCOPE = threading.local()  # the dict of the innermost custom_object_scope, per thread
CATALOGS = {}               # "keras.layers" -> Catalog


# ----------------------------------------------------------------------- the user's objects
def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a class or function loadable by the name ``"package>name"``.

    Parameters
    ----------
    package : str
        A namespace, so two libraries' ``MyLayer`` do not collide.
    name : str or None
        The name inside the package; the object's ``__name__`` by default.

    A class needs a ``get_config`` method: what is saved is its config.
    """
    def decorate(obj):
        registered_name = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() "
                             f"method: {obj.__name__}. Hint: add get_config() returning "
                             "the constructor arguments as a dict.")
        _REGISTERED[registered_name] = obj
        _REGISTERED_NAMES[obj] = registered_name
        return obj
    return decorate


def get_custom_objects():
    """The live global dict of registered objects (adding to it registers an object)."""
    return _REGISTERED


def get_registered_name(obj):
    """``"Package>Name"`` for a registered object, else its ``__name__``."""
    return _REGISTERED_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def _scope():
    return getattr(_SCOPE, "objects", {})


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object called ``name``: scope, then global registry, then the two dicts; else None."""
    for source in (_scope(), _REGISTERED, custom_objects or {}, module_objects or {}):
        if name in source:
            return source[name]
    return None


class CustomObjectScope:
    """``with CustomObjectScope({"MyLayer": MyLayer}):`` -- names visible to every lookup inside.

    As in Keras, entering a scope *replaces* the objects of any outer scope
    (they come back when the inner scope ends); several dicts are merged.
    """

    def __init__(self, *custom_objects):
        self.custom_objects = {}
        for objects in custom_objects:
            self.custom_objects.update(objects or {})
        self._outer = None

    def __enter__(self):
        self._outer = _scope()
        _SCOPE.objects = dict(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _SCOPE.objects = self._outer
        return False


custom_object_scope = CustomObjectScope


def registered_by_plain_name(name):
    """The registered object whose "Package>Name" ends in ``name``, if exactly one does.

    Configs written before a class was registered name it alone (``"MyDense"``).
    """
    matches = [obj for key, obj in _REGISTERED.items() if key.split(">", 1)[-1] == name]
    return matches[0] if len(matches) == 1 else None


def clear_scope():
    """Empty the active scope's objects (``keras.backend.clear_session`` does this)."""
    _SCOPE.objects = {}


def user_objects(custom_objects=None):
    """The user's names; a later source wins: argument < scope < registry."""
    return {**(custom_objects or {}), **_scope(), **_REGISTERED}


# -------------------------------------------------------------------- catalogs of built-ins
class Catalog:
    """The built-in objects of one kind, by name, and the lookups every ``get`` shares.

    Two tables, because Keras names an object two ways: by the strings ``get``
    accepts (``"relu"``, ``"mse"``, ``"adam"``) and, in a saved record, by its
    class name (``"ReLU"``, ``"MeanSquaredError"``, ``"Adam"``).

    Parameters
    ----------
    kind : str
        What the objects are called in messages: ``"activation"``, ``"loss"``, ...
    module : str
        The Keras module written into saved records: ``"keras.activations"``.
    """

    def __init__(self, kind, module):
        self.kind, self.module = kind, module
        self.names = {}             # what get() accepts: "relu" -> ReLU
        self.classes = {}           # what a record names: "ReLU" -> ReLU
        self.functions = {}         # Keras's functions of this module: "relu" -> relu
        CATALOGS[module] = self

    def add(self, obj, *names):
        """Register a built-in class (by its class name) or function, plus ``get`` names."""
        if isinstance(obj, type):
            self.classes[obj.__name__] = obj
        elif isinstance(obj, types.FunctionType):
            self.functions[obj.__name__] = obj
        for name in names:
            self.names[name] = obj
        return obj

    def find(self, name, custom_objects=None):
        """The user's object called ``name``, else the built-in one, else None."""
        users = user_objects(custom_objects)
        if name in users:
            return users[name]
        return self.names.get(name)

    def lookup(self, name, custom_objects=None):
        """Like :meth:`find`, but an unknown name raises :meth:`unknown`'s error."""
        found = self.find(name, custom_objects)
        if found is None:
            raise self.unknown(name, custom_objects)
        return found

    def unknown(self, name, custom_objects=None, known=None):
        """The one 'unknown name' error: what was asked, the closest name, how to add one."""
        known = set(self.names if known is None else known) | set(user_objects(custom_objects))
        return ValueError(
            f"Unknown {self.kind} {name!r}.{_closest(name, known)} Hint: for your own "
            f"{self.kind}, pass custom_objects={{{str(name)!r}: ...}} or decorate it with "
            "@keras.saving.register_keras_serializable().")

    def is_builtin(self, obj):
        """True for a built-in class, an instance of one, or a built-in function."""
        if isinstance(obj, types.FunctionType):
            return self.functions.get(obj.__name__) is obj
        cls = obj if isinstance(obj, type) else type(obj)
        return self.classes.get(cls.__name__) is cls

    def record(self, obj):
        """Keras's record of an object: module, class name, its config, registered name.

        An object may name itself differently with a ``_serialized_class()``
        method returning ``(module, class_name, registered_name)``: models do,
        since Keras writes ``keras.Model(inputs, outputs)`` as
        ``"Functional"`` from ``"keras.src.models.functional"``.
        """
        cls = type(obj)
        class_name = cls.__name__
        if self.is_builtin(cls):
            module, registered = self.module, None
            named = getattr(obj, "_serialized_class", None)
            if callable(named):
                module, class_name, registered = named()
        else:
            module, registered = None, get_registered_name(cls)
        return {"module": module, "class_name": class_name, "config": obj.get_config(),
                "registered_name": registered}

    def class_for(self, record, custom_objects=None):
        """The class a record names: registered name first, then class name."""
        if not isinstance(record, dict) or "class_name" not in record:
            raise ValueError(
                f"Could not deserialize the {self.kind} {record!r}: expected a name or a "
                "dict with 'class_name' and 'config' keys, as serialize() writes it.")
        for key in ("class_name", "registered_name"):
            if not isinstance(record.get(key, ""), (str, type(None))):
                raise ValueError(
                    f"Could not deserialize the {self.kind} record: its {key!r} should be a "
                    f"string naming a class, got {type(record[key]).__name__} "
                    f"{record[key]!r:.60}.")
        users = user_objects(custom_objects)
        for name in (record.get("registered_name"), record["class_name"]):
            if name in users:
                return users[name]
        class_name = record["class_name"]
        if class_name in self.classes:
            return self.classes[class_name]
        found = registered_by_plain_name(class_name)
        if found is None:
            raise self._unknown_record(record, custom_objects)
        return found

    def _unknown_record(self, record, custom_objects):
        """A record naming no class we have -- say which module it asked for, too."""
        module = record.get("module")
        if not module or module == self.module:
            return self.unknown(record["class_name"], custom_objects, known=self.classes)
        return ValueError(
            f"Unknown {self.kind} {record['class_name']!r} (module {module!r}); kerastutor "
            "builds only its own classes and the ones you register, never an object from "
            f"another module named in a file. Hint: for your own {self.kind}, decorate it "
            "with @keras.saving.register_keras_serializable() or pass it in custom_objects.")

    def get(self, identifier, custom_objects=None):
        """The ``get`` most kinds share (regularizers, constraints, ...).

        A name builds its class with no arguments (``"l2"`` -> ``L2()``), a
        record is rebuilt, a class is instantiated; an instance, a function or
        ``None`` is returned as it is. Modules whose ``get`` needs more
        (activations, losses) write their own on top of :meth:`lookup`.
        """
        if isinstance(identifier, str):
            found = self.lookup(identifier, custom_objects)
            return found() if isinstance(found, type) else found
        if isinstance(identifier, dict):
            return self.from_record(identifier, custom_objects)
        if isinstance(identifier, type):
            return identifier()
        if identifier is None or callable(identifier) or hasattr(identifier, "get_config"):
            return identifier
        raise ValueError(f"Could not interpret the {self.kind} {identifier!r} (a "
                         f"{type(identifier).__name__}). Expected a name, a config dict or "
                         f"a {self.kind} object.")

    def serialize(self, obj):
        """Keras's record of an object, or of a plain function (its registered name)."""
        if obj is None:
            return None
        if isinstance(obj, types.FunctionType):
            return _function_record(get_registered_name(obj))
        return self.record(obj)

    def from_record(self, record, custom_objects=None):
        """Rebuild an object from its record with ``cls.from_config(config)``."""
        cls = self.class_for(record, custom_objects)
        return cls.from_config(dict(record.get("config") or {}))


def _closest(name, known):
    """`` Did you mean 'relu'?`` -- matched ignoring case, so 'ReLU' finds 'relu'."""
    by_lowercase = {}
    for k in sorted(map(str, known), key=lambda k: k != k.lower()):   # "l2" before "L2"
        by_lowercase.setdefault(k.lower(), k)
    close = difflib.get_close_matches(str(name).lower(), list(by_lowercase), n=1)
    return f" Did you mean {by_lowercase[close[0]]!r}?" if close else ""


# ------------------------------------------------------------ Keras's general (de)serializers
def _is_lambda(obj):
    return isinstance(obj, types.LambdaType) and obj.__name__ == "<lambda>"


def _function_record(name):
    return {"module": "builtins", "class_name": "function", "config": name,
            "registered_name": "function"}


def _catalog_of(obj):
    for catalog in CATALOGS.values():
        if catalog.is_builtin(obj):
            return catalog
    return None


def serialize_keras_object(obj):
    """Any value as JSON-ready data: plain values stay, objects become Keras records.

    ``None``, strings, numbers and booleans are returned as they are; lists,
    tuples and dicts are serialized item by item; a NumPy array becomes a
    ``"__numpy__"`` record, a NumPy scalar a Python number, bytes a
    ``"__bytes__"`` record; a function its name record; an object with
    ``get_config`` its ``{"module", "class_name", "config", "registered_name"}``
    record (plus ``build_config``/``compile_config`` when it has them).
    """
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, (list, tuple)):
        return type(obj)(serialize_keras_object(item) for item in obj)
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": str(obj.dtype)}}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if _is_lambda(obj):
        raise ValueError(
            "serialize_keras_object: a lambda cannot be saved by kerastutor (loading it "
            "would mean running code stored in a file). Hint: write it as a named function "
            "and decorate it with @keras.saving.register_keras_serializable().")
    if isinstance(obj, types.FunctionType):
        return _function_record(get_registered_name(obj))
    if hasattr(obj, "serialize_record"):          # objects that know their own record
        return obj.serialize_record()
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize object {obj!r} of type {type(obj)}. To be "
                        "serializable, a class must implement the get_config() method.")
    catalog = _catalog_of(obj)
    if catalog is not None:
        record = catalog.record(obj)
    else:
        record = {"module": None, "class_name": type(obj).__name__,
                  "config": serialize_keras_object(obj.get_config()),
                  "registered_name": get_registered_name(type(obj))}
    for key, method in (("build_config", "get_build_config"),
                        ("compile_config", "get_compile_config")):
        extra = getattr(obj, method, None)
        value = extra() if callable(extra) else None
        if value is not None:
            record[key] = serialize_keras_object(value)
    return record


def _special_record(config, safe_mode):
    """The ``"__numpy__"``/``"__bytes__"``/``"__lambda__"`` records (not Keras objects)."""
    kind, inner = config["class_name"], config["config"]
    if kind in ("__numpy__", "__tensor__"):
        return np.array(inner["value"], dtype=inner["dtype"])
    if kind == "__bytes__":
        return inner["value"].encode("utf-8")
    # "__lambda__": Keras stores marshalled bytecode. Executing it would run code from a
    # file, which kerastutor never does, so it is refused whatever safe_mode says.
    raise ValueError(
        "Requested the deserialization of a Python lambda. kerastutor never runs code "
        f"stored in a file (safe_mode={safe_mode} changes nothing here). Hint: define the "
        "function in your program, register it with "
        "@keras.saving.register_keras_serializable(), and pass it by name.")


def _function_named(name, custom_objects):
    found = user_objects(custom_objects).get(name)
    if found is not None:
        return found
    for catalog in CATALOGS.values():
        if name in catalog.functions:
            return catalog.functions[name]
    raise ValueError(f"Could not locate function {name!r}. Hint: decorate it with "
                     "@keras.saving.register_keras_serializable() or pass "
                     f"custom_objects={{{name!r}: {name}}}.")


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """Inverse of :func:`serialize_keras_object`.

    Plain values come back as they are (a string stays a string: ``"relu"`` is
    not resolved here, as in Keras), lists and tuples come back as lists, a
    dict without both ``class_name`` and ``config`` is deserialized value by
    value. A record is rebuilt with its class's ``from_config``, the class
    found by the record's ``module`` among the built-in catalogs or, for a
    user's class, among the user's objects.
    """
    if config is None or isinstance(config, (str, bool, int, float)):
        return config
    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(item, custom_objects, safe_mode) for item in config]
    if not isinstance(config, dict):
        raise TypeError(f"deserialize_keras_object: cannot read {config!r} "
                        f"(a {type(config).__name__}); expected a dict, list or plain value.")
    if "class_name" not in config or "config" not in config:
        return {key: deserialize_keras_object(value, custom_objects, safe_mode)
                for key, value in config.items()}
    class_name = config["class_name"]
    if class_name in ("__numpy__", "__tensor__", "__bytes__", "__lambda__"):
        return _special_record(config, safe_mode)
    if class_name == "function":
        return _function_named(config["config"], custom_objects)
    catalog = CATALOGS.get(config.get("module"))
    if catalog is not None:
        obj = catalog.from_record(config, custom_objects)
    else:
        cls = (user_objects(custom_objects).get(config.get("registered_name"))
               or user_objects(custom_objects).get(class_name))
        if cls is None:
            raise TypeError(
                f"Could not locate class {class_name!r}. Make sure custom classes and "
                "functions are decorated with @keras.saving.register_keras_serializable(). "
                "If they are already decorated, make sure they are all imported so that "
                "the decorator is run before trying to load them. Full object config: "
                f"{config}")
        obj = cls.from_config(dict(config["config"] or {}))
    build_config = config.get("build_config")
    if build_config and not getattr(obj, "built", True) and hasattr(obj, "build_from_config"):
        obj.build_from_config(build_config)
    compile_config = config.get("compile_config")
    if compile_config and hasattr(obj, "compile_from_config"):
        obj.compile_from_config(compile_config)
    return obj


__all__ = [
    "Catalog", "CustomObjectScope", "custom_object_scope", "register_keras_serializable",
    "get_custom_objects", "get_registered_name", "get_registered_object",
    "serialize_keras_object", "deserialize_keras_object",
]
