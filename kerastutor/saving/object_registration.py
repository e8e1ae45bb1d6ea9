"""Your own classes, known by name: ``@keras.saving.register_keras_serializable()``.

A saved model names its layers' classes (``"class_name": "MyDense"``). To
rebuild it, the loader must find ``MyDense`` -- but it never imports or runs
code named by the file. You tell it about your classes instead, either per
call (``load_model(path, custom_objects={"MyDense": MyDense})``), for a block
(``with keras.saving.custom_object_scope({...}):``) or once, by registering
them with the decorator.

The registry itself is :mod:`kerastutor.registry`, shared by every kind of
object; this module is its Keras 3 address (``keras.saving.object_registration``)
plus the two lookups the model and layer loaders need.

    >>> import kerastutor as keras
    >>> @keras.saving.register_keras_serializable(package="demo")
    ... class Twice(keras.layers.Layer):
    ...     def call(self, x):
    ...         return 2 * x
    >>> keras.saving.get_registered_name(Twice)
    'demo>Twice'
    >>> del keras.saving.get_custom_objects()["demo>Twice"]   # tidy up the doctest
"""
from kerastutor.registry import (CustomObjectScope, custom_object_scope, get_custom_objects,
                                 get_registered_name, get_registered_object,
                                 register_keras_serializable)


def find_registered(name, custom_objects=None):
    """The user's class or function called ``name``, or ``None``.

    As :func:`get_registered_object`, and also a plain ``"MyDense"`` for an
    object registered as ``"package>MyDense"`` when exactly one package has that
    name (configs written before registration name the class alone).
    """
    found = get_registered_object(name, custom_objects)
    if found is not None:
        return found
    plain = [obj for key, obj in get_custom_objects().items()
             if key.split(">", 1)[-1] == name]
    return plain[0] if len(plain) == 1 else None


def registered_name_or_none(cls):
    """``"package>Name"`` for a class the user registered; ``None`` for a built-in."""
    name = get_registered_name(cls)
    return name if get_custom_objects().get(name) is cls else None


__all__ = ["register_keras_serializable", "get_registered_name", "get_registered_object",
           "get_custom_objects", "custom_object_scope", "CustomObjectScope",
           "find_registered", "registered_name_or_none"]
