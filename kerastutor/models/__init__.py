"""Models: ``Model(Trainer, Layer)``, ``Sequential``, and the training loop.

Importing this package also registers the model classes with the layer
deserializer (:data:`kerastutor.layers.serialization.MODEL_CLASSES`), so a
config that nests a model -- or a saved model file -- finds ``Sequential``
and ``Functional`` by name without the layers package importing models.
"""
from kerastutor import saving
from kerastutor.layers.serialization import deserialize, register_model_class, serialize
from kerastutor.models.functional import Model
from kerastutor.models.sequential import Sequential
from kerastutor.models.trainer import Trainer

Functional = Model
register_model_class(Model, "Functional")
register_model_class(Sequential)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save`` (see :mod:`kerastutor.saving`)."""
    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile,
                             safe_mode=safe_mode)


def clone_model(model):
    """A new model with the same architecture and freshly initialised weights."""
    return deserialize(serialize(model))


__all__ = ["Model", "Sequential", "load_model", "clone_model"]
