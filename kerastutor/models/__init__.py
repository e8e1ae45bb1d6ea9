"""Models: ``Model(Trainer, Layer)``, ``Sequential``, and the training loop.

The model classes are layers, so defining them puts them in the registry's
layer catalog (:data:`kerastutor.layers.base.CATALOG`): a config that nests a
model -- or a saved model file -- finds ``Sequential`` by name without the
layers package importing models. Keras writes a functional model's class as
``"Functional"``, which is registered here as a second name of ``Model``; and
Keras's record modules for models (``"keras"``, ``"keras.models"``) lead to
the same catalog.
"""
from kerastutor import registry, saving
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


def clone_model(model):
    """A new model with the same architecture and freshly initialised weights."""
    return deserialize(serialize(model))


__all__ = ["Model", "Sequential", "load_model", "clone_model"]
