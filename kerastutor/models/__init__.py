"""Models: ``Sequential``, the functional ``Model``, and the training loop."""
from kerastutor.models.functional import Model
from kerastutor.models.sequential import Sequential

Functional = Model


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save`` (see :mod:`kerastutor.saving`)."""
    from kerastutor import saving
    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile,
                             safe_mode=safe_mode)


def clone_model(model):
    """A new model with the same architecture and freshly initialised weights."""
    from kerastutor.layers import deserialize, serialize
    return deserialize(serialize(model))


__all__ = ["Model", "Sequential", "load_model", "clone_model"]
