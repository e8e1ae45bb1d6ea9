"""Your own classes, known by name: ``@keras.saving.register_keras_serializable()``.

A saved model names its layers' classes (``"class_name": "MyDense"``). To
rebuild it, the loader must find ``MyDense`` -- but it never imports or runs
code named by the file. You tell it about your classes instead, either per
call (``load_model(path, custom_objects={"MyDense": MyDense})``) or once, by
registering them with this decorator.
"""

_REGISTERED = {}          # "package>Name" -> class or function


def register_keras_serializable(package="Custom", name=None):
    """Class decorator: make ``cls`` loadable as ``"<package>>Name"`` (and as ``Name``).

    >>> import kerastutor as keras
    >>> @keras.saving.register_keras_serializable(package="demo")
    ... class Twice(keras.layers.Layer):
    ...     def call(self, x):
    ...         return 2 * x
    >>> keras.saving.get_registered_name(Twice)
    'demo>Twice'
    """
    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if key in _REGISTERED and _REGISTERED[key] is not obj:
            raise ValueError(f"{key} is already registered to {_REGISTERED[key]!r}. Hint: give "
                             "this class another name=... or package=....")
        _REGISTERED[key] = obj
        obj._registered_name = key
        return obj
    return decorator


def get_registered_name(obj):
    """``"package>Name"`` for a registered object, else its plain ``__name__``."""
    return getattr(obj, "_registered_name", None) or obj.__name__


def get_registered_object(name, custom_objects=None):
    """The class or function called ``name``: custom_objects first, then the registry."""
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _REGISTERED:
        return _REGISTERED[name]
    plain = [obj for key, obj in _REGISTERED.items() if key.split(">", 1)[-1] == name]
    return plain[0] if len(plain) == 1 else None
