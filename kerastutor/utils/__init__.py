"""``keras.utils``: to_categorical, normalize, get_file, Progbar, plot_model, the registry functions."""
from kerastutor.backend import clear_session, set_random_seed
from kerastutor.registry import (CustomObjectScope, custom_object_scope,
                                 deserialize_keras_object, get_custom_objects,
                                 get_registered_name, get_registered_object,
                                 register_keras_serializable, serialize_keras_object)
from kerastutor.utils.file_utils import get_file, validate_file
from kerastutor.utils.model_plot import plot_model
from kerastutor.utils.numerical import normalize, to_categorical
from kerastutor.utils.progbar import Progbar
from kerastutor.utils.py_dataset import PyDataset, Sequence

__all__ = ["to_categorical", "normalize", "set_random_seed", "clear_session", "get_file",
           "validate_file", "Progbar", "plot_model", "PyDataset", "Sequence",
           "CustomObjectScope", "custom_object_scope", "register_keras_serializable",
           "get_custom_objects", "get_registered_name", "get_registered_object",
           "serialize_keras_object", "deserialize_keras_object"]
