"""Models: ``Model(Trainer, Layer)``, ``Sequential``, and the training loop.

The model classes are layers, so defining them puts them in the registry's
layer catalog (:data:`kerastutor.layers.base.CATALOG`): a config that nests a
model -- or a saved model file -- finds ``Sequential`` by name without the
layers package importing models. Keras writes a functional model's class as
``"Functional"``, which is registered here as a second name of ``Model``; and
Keras's record modules for models (``"keras"``, ``"keras.models"``) lead to
the same catalog.
"""
import json

from kerastutor import keras2, registry, saving
from kerastutor.layers.base import CATALOG
from kerastutor.layers.serialization import deserialize, serialize
from kerastutor.models.functional import Model
from kerastutor.models.sequential import Sequential
from kerastutor.models.trainer import Trainer

Functional = Model
CATALOG.classes["Functional"] = Model
registry.CATALOGS["keras"] = registry.CATALOGS["keras.models"] = CATALOG


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save`` (see :mod:`kerastutor.saving`)."""
    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile,
                             safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    """Save ``model`` to a ``.keras`` (or legacy ``.h5``) file; the same as ``model.save``."""
    saving.save_model(model, filepath, overwrite=overwrite, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """Rebuild a model from ``model.to_json()``: the architecture, with fresh weights.

    The JSON is only read, never run: classes are looked up by name, among
    kerastutor's own, the ones you registered and ``custom_objects``. As in
    Keras, a model that was compiled when saved comes back compiled.

    >>> import kerastutor as keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> clone = keras.models.model_from_json(model.to_json())
    >>> clone.built, [w.shape for w in clone.weights]
    (True, [(3, 2), (2,)])
    """
    config = json.loads(json_string)
    model = saving.model_from_config(config, custom_objects, source="model_from_json")
    if config.get("compile_config"):
        saving.compile_from_config(model, config["compile_config"], custom_objects)
    return model


def clone_model(model):
    """A new model with the same architecture and freshly initialised weights."""
    return deserialize(serialize(model))


__all__ = ["Model", "Sequential", "load_model", "save_model", "model_from_json", "clone_model"]


# A Keras 2 name missing here fails naming its Keras 3 replacement (see kerastutor.keras2).
__getattr__ = keras2.module_getattr(__name__)
