"""``keras.utils``: data utilities, image helpers, to_categorical, normalize, get_file, Progbar,
plot_model and the registry functions."""
from kerastutor.backend import (clear_session, is_keras_tensor, set_random_seed,
                                standardize_dtype)
from kerastutor.config import (disable_interactive_logging, enable_interactive_logging,
                               is_interactive_logging_enabled)
from kerastutor.registry import (CustomObjectScope, custom_object_scope,
                                 deserialize_keras_object, get_custom_objects,
                                 get_registered_name, get_registered_object,
                                 register_keras_serializable, serialize_keras_object)
from kerastutor.utils.dataset_utils import (pack_x_y_sample_weight, split_dataset,
                                            unpack_x_y_sample_weight)
from kerastutor.utils.file_utils import get_file, validate_file
from kerastutor.utils.image_dataset_utils import image_dataset_from_directory
from kerastutor.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from kerastutor.utils.layer_utils import get_source_inputs
from kerastutor.utils.model_plot import plot_model
from kerastutor.utils.numerical import normalize, to_categorical
from kerastutor.utils.progbar import Progbar
from kerastutor.utils.py_dataset import PyDataset, Sequence
from kerastutor.utils.sequence_utils import pad_sequences
from kerastutor.utils.text_dataset_utils import text_dataset_from_directory
from kerastutor.utils.timeseries_dataset_utils import timeseries_dataset_from_array
from kerastutor import keras2

__all__ = ["to_categorical", "normalize", "set_random_seed", "clear_session", "get_file",
           "validate_file", "Progbar", "plot_model", "PyDataset", "Sequence",
           "CustomObjectScope", "custom_object_scope", "register_keras_serializable",
           "get_custom_objects", "get_registered_name", "get_registered_object",
           "serialize_keras_object", "deserialize_keras_object",
           "pad_sequences", "timeseries_dataset_from_array", "split_dataset",
           "image_dataset_from_directory", "text_dataset_from_directory",
           "load_img", "img_to_array", "array_to_img", "save_img", "get_source_inputs",
           "pack_x_y_sample_weight", "unpack_x_y_sample_weight",
           "is_keras_tensor", "standardize_dtype", "disable_interactive_logging",
           "enable_interactive_logging", "is_interactive_logging_enabled"]


# A Keras 2 name missing here fails naming its Keras 3 replacement (see kerastutor.keras2).
__getattr__ = keras2.module_getattr(__name__)
