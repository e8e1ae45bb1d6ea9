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
from kerastutor.layers.base import CATALOG

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

    Your own layer class gets ``"module": None`` and its registered name
    (``"package>Name"``, or the class name if unregistered), as Keras writes it.
    """
    return CATALOG.record(layer)


def deserialize(config, custom_objects=None):
    """Rebuild a layer from :func:`serialize`'s dict."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name' and 'config', got "
                         f"{str(config)[:80]!r}.")
    cls = class_for(config, custom_objects)
    inner = config.get("config", {})
    if not isinstance(inner, dict):
        raise ValueError(f"The config of layer class {config['class_name']!r} must be a "
                         f"dict, got {type(inner).__name__}.")
    inner = dict(inner)
    if hasattr(cls, "from_config"):
        try:
            return cls.from_config(inner, custom_objects=custom_objects)
        except TypeError:
            return cls.from_config(inner)
    return cls(**inner)
