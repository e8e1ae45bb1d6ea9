"""A layer as a Keras config dict and back: ``serialize``, ``deserialize``.

``serialize(Dense(3))`` gives ``{"module": "keras.layers", "class_name":
"Dense", "config": {...}, "registered_name": None}``; ``deserialize`` finds
the class by that name and calls its ``from_config``. The name is looked up,
never run: among the classes you registered or passed in ``custom_objects``,
then among kerastutor's own layer classes. A file can name a class, not
execute code.

Models are layers too (a model can sit inside another), but this module sits
*below* :mod:`kerastutor.models` and must not import it. So the model classes
come to it instead: :mod:`kerastutor.models` adds ``Sequential``,
``Functional`` and ``Model`` to :data:`MODEL_CLASSES` when it is imported.
"""
from kerastutor.backend import did_you_mean
from kerastutor.layers.base import Layer
from kerastutor.saving.object_registration import find_registered, registered_name_or_none

#: Keras class name -> model class; filled by :func:`register_model_class`.
MODEL_CLASSES = {}


def register_model_class(cls, *names):
    """Make ``cls`` findable by ``deserialize`` under its own name and any ``names``."""
    for name in (cls.__name__,) + names:
        MODEL_CLASSES[name] = cls
    return cls


def _layer_classes():
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
    if not isinstance(class_name, str):
        raise ValueError(f"A layer config names its class with a string, got {class_name!r}.")
    own = find_registered(class_name, custom_objects)
    if own is not None:
        return own
    if class_name in MODEL_CLASSES:
        return MODEL_CLASSES[class_name]
    registry = _layer_classes()
    if class_name not in registry:
        raise ValueError(
            f"Unknown layer class {class_name!r}.{_unknown_class_hint(class_name, registry)}")
    return registry[class_name]


def _unknown_class_hint(class_name, registry):
    if class_name in ("Sequential", "Functional", "Model"):
        return (" Model classes register themselves when kerastutor.models is imported: "
                "import kerastutor.models (or use keras.models.load_model) first.")
    return (f"{did_you_mean(class_name, sorted(registry))} If it is your own layer, pass it "
            f"in custom_objects={{{class_name!r}: {class_name}}}.")


def serialize(layer):
    """``{"module": "keras.layers", "class_name": "Dense", "config": {...}, ...}``."""
    return {"module": "keras.layers", "class_name": type(layer).__name__,
            "config": layer.get_config(), "registered_name": registered_name_or_none(type(layer))}


def deserialize(config, custom_objects=None):
    """Rebuild a layer from :func:`serialize`'s dict."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name' and 'config', got "
                         f"{str(config)[:80]!r}.")
    registered = config.get("registered_name")
    name = registered if isinstance(registered, str) and \
        find_registered(registered, custom_objects) is not None else config["class_name"]
    cls = get_layer_class(name, custom_objects)
    inner = config.get("config", {})
    if not isinstance(inner, dict):
        raise ValueError(f"The config of layer class {name!r} must be a dict, got "
                         f"{type(inner).__name__}.")
    inner = dict(inner)
    if hasattr(cls, "from_config"):
        try:
            return cls.from_config(inner, custom_objects=custom_objects)
        except TypeError:
            return cls.from_config(inner)
    return cls(**inner)
