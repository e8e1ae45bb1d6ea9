"""Keras layers, one module per family.

``keras.layers.Dense`` and friends; ``serialize``/``deserialize`` turn a
layer into its Keras config dict and back. Deserialization only ever looks
names up in this package: a file can name a layer class, never run code.
"""

from kerastutor.backend import did_you_mean
from kerastutor.layers.base import InputSpec, KerasTensor, Layer, Node, snake_case
from kerastutor.layers.core import (Activation, Dense, Dropout, Flatten, Input,
                                    InputLayer, Lambda, Reshape)

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Dropout",
           "Flatten", "Reshape", "Lambda", "serialize", "deserialize", "get_layer_class"]


def _registry():
    """Every Layer subclass kerastutor defines, by Keras class name."""
    found = {}
    stack = [Layer]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("kerastutor."):
                found.setdefault(sub.__name__, sub)
            stack.append(sub)
    return found


def get_layer_class(class_name, custom_objects=None):
    """Look up a layer class by its Keras name (``"Dense"``), with a hint if unknown."""
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    import kerastutor.models  # noqa: F401  (registers Sequential / Functional)
    registry = _registry()
    registry.setdefault("Functional", registry.get("Model"))
    if class_name not in registry:
        hint = did_you_mean(class_name, sorted(registry))
        raise ValueError(
            f"Unknown layer class {class_name!r}.{hint} If it is your own layer, pass it in "
            f"custom_objects={{{class_name!r}: {class_name}}}.")
    return registry[class_name]


def serialize(layer):
    """``{"module": "keras.layers", "class_name": "Dense", "config": {...}, ...}``."""
    return {"module": "keras.layers", "class_name": type(layer).__name__,
            "config": layer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """Rebuild a layer from :func:`serialize`'s dict."""
    cls = get_layer_class(config["class_name"], custom_objects)
    inner = dict(config.get("config", {}))
    if hasattr(cls, "from_config"):
        try:
            return cls.from_config(inner, custom_objects=custom_objects)
        except TypeError:
            return cls.from_config(inner)
    return cls(**inner)
