"""``keras.preprocessing.image``: the image file helpers (the same functions as in ``keras.utils``).

``from keras.preprocessing import image; image.load_img(...)`` keeps working;
``smart_resize`` is exported only here, as in Keras. There is no
``ImageDataGenerator`` in Keras 3: augment with ``keras.layers.RandomFlip``
and friends.
"""
from kerastutor.utils.image_utils import (array_to_img, img_to_array, load_img, save_img,
                                          smart_resize)
from kerastutor import keras2

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]


# A Keras 2 name missing here fails naming its Keras 3 replacement (see kerastutor.keras2).
__getattr__ = keras2.module_getattr(__name__)
