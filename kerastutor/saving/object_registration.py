"""Your own classes, known by name: ``@keras.saving.register_keras_serializable()``.

A saved model names its layers' classes (``"class_name": "MyDense"``). To
rebuild it, the loader must find ``MyDense`` -- but it never imports or runs
code named by the file. You tell it about your classes instead, either per
call (``load_model(path, custom_objects={"MyDense": MyDense})``), for a block
(``with keras.saving.custom_object_scope({...}):``) or once, by registering
them with the decorator.

The registry itself is :mod:`kerastutor.registry`, shared by every kind of
object; this module is its Keras 3 address (``keras.saving.object_registration``)
(where Keras 3 keeps these functions).

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

__all__ = ["register_keras_serializable", "get_registered_name", "get_registered_object",
           "get_custom_objects", "custom_object_scope", "CustomObjectScope"]
