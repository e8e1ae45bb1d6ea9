"""``keras.preprocessing``: what Keras 3 keeps of its old preprocessing module.

In Keras 3 this is a thin alias of ``keras.utils``: ``image`` (load_img,
img_to_array, array_to_img, save_img, smart_resize), ``sequence``
(pad_sequences) and the three dataset functions. The Keras 2 tools
(``ImageDataGenerator``, ``Tokenizer``, ``TimeseriesGenerator``) are gone;
Keras 3 uses preprocessing *layers* (``keras.layers.Rescaling``,
``TextVectorization``, ...) and the dataset functions instead.
"""
from kerastutor.preprocessing import image, sequence
from kerastutor.utils.image_dataset_utils import image_dataset_from_directory
from kerastutor.utils.text_dataset_utils import text_dataset_from_directory
from kerastutor.utils.timeseries_dataset_utils import timeseries_dataset_from_array
from kerastutor import keras2

__all__ = ["image", "sequence", "image_dataset_from_directory", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]


# A Keras 2 name missing here fails naming its Keras 3 replacement (see kerastutor.keras2).
__getattr__ = keras2.module_getattr(__name__)
