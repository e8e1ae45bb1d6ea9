"""``keras.utils.image_dataset_from_directory``: a folder of image files as a labelled dataset.

The usual layout is one sub-folder per class::

    flowers/
        daisy/      001.jpg 002.jpg ...
        tulip/      001.jpg ...

Then ``image_dataset_from_directory("flowers", image_size=(180, 180))`` gives
batches ``(images, labels)``: ``images`` float32 of shape
``(batch, 180, 180, 3)`` with values 0..255, ``labels`` the class numbers
(``daisy`` = 0, ``tulip`` = 1: the sorted folder names, kept in
``dataset.class_names``).

What happens, step by step (as in Keras):

1. *Index* the files (``.bmp .gif .jpeg .jpg .png``, any case), folder by folder,
   in sorted order; shuffle the list with ``np.random.RandomState(seed)``.
   ``dataset.file_paths`` is that list.
2. *Split*: ``validation_split=0.2`` keeps the last 20 % of the list for
   validation (``subset="validation"``) and the rest for training. The two
   calls must use the same ``seed`` so they cut the same shuffled list.
3. *Load* a batch only when it is asked for: open each file with Pillow,
   convert it to 1, 3 or 4 channels, and resize it to ``image_size``
   (optionally cropping or padding to its aspect ratio first) with the
   resampler of :mod:`kerastutor.utils.image_utils`.

Keras returns a ``tf.data.Dataset``; kerastutor returns a
:class:`~kerastutor.utils.dataset_utils.SampleDataset`, a ``PyDataset`` that
``fit`` reads batch by batch and that a ``for`` loop iterates like tf.data.
"""
import numpy as np

from kerastutor import backend
from kerastutor.utils import dataset_utils as du
from kerastutor.utils import image_utils

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

#: Keras's accepted list; kerastutor resizes with the first three (see image_utils).
KERAS_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5",
                        "gaussian", "mitchellcubic")

_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}


def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """A dataset of ``(images, labels)`` batches from the image files under ``directory``.

    ``labels``: ``"inferred"`` (one sub-folder per class), a list of class
    numbers (one per file, in sorted path order) or None (images only).
    ``label_mode``: ``"int"``, ``"categorical"`` (one-hot), ``"binary"`` (float
    0/1 of shape ``(batch, 1)``) or None. ``subset="both"`` returns
    ``[train, validation]``. The validation dataset is never shuffled.
    """
    du.check_labels_arguments(labels, label_mode, class_names, "image")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if color_mode not in _CHANNELS:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    image_size = _check_image_size(image_size)
    interpolation = _check_interpolation(interpolation)
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio`, `crop_to_aspect_ratio` can be "
                         "set to `True`.")
    du.check_format(format)
    du.check_validation_split_arg(validation_split, subset, shuffle, seed)
    seed = np.random.randint(1e6) if seed is None else seed
    paths, labels, class_names = du.index_directory(
        directory, labels, ALLOWLIST_FORMATS, class_names, shuffle, seed, follow_links, verbose)
    du.check_binary_classes(label_mode, class_names)
    loader = ImageLoader(image_size, color_mode, interpolation, crop_to_aspect_ratio,
                         pad_to_aspect_ratio, data_format or backend.image_data_format())

    def build(part, shuffled):
        part_paths, part_labels = du.get_training_or_validation_split(
            paths, labels, validation_split, part)
        if not part_paths:
            which = {"training": "training ", "validation": "validation "}.get(part, "") \
                if subset == "both" else ""
            raise ValueError(f"No {which}images found in directory {directory}. Allowed "
                             f"formats: {ALLOWLIST_FORMATS}")
        return du.files_dataset(part_paths, part_labels, label_mode, class_names, loader,
                             batch_size, shuffled, seed)

    if subset == "both":
        return [build("training", shuffle), build("validation", False)]
    return build(subset, shuffle)


class ImageLoader:
    """Turns image files into one float32 batch of ``image_size`` (Keras's grain path, in NumPy)."""

    def __init__(self, image_size, color_mode, interpolation, crop_to_aspect_ratio,
                 pad_to_aspect_ratio, data_format):
        self.image_size = image_size
        self.color_mode = color_mode
        self.interpolation = interpolation
        self.crop = crop_to_aspect_ratio
        self.pad = pad_to_aspect_ratio
        self.data_format = data_format

    def __call__(self, path):
        """One image, ``(height, width, channels)`` float32, resized to ``image_size``."""
        img = image_utils.convert_color(image_utils.open_image(path), self.color_mode)
        x = image_utils.img_to_array(img, "channels_last", "float32")
        if self.crop:
            x = image_utils.aspect_crop(x, self.image_size)
        elif self.pad:
            x = image_utils.aspect_pad(x, self.image_size)
        x = image_utils.resize_images(x, self.image_size, self.interpolation)
        return x.transpose(2, 0, 1) if self.data_format == "channels_first" else x

    def batch(self, paths):
        return np.stack([self(path) for path in paths])


def _check_image_size(image_size):
    if isinstance(image_size, int):
        return (image_size, image_size)
    if not isinstance(image_size, (list, tuple)) or len(image_size) != 2:
        raise ValueError("Invalid `image_size` value. Expected a tuple of 2 integers. "
                         f"Received: image_size={image_size}")
    return tuple(image_size)


def _check_interpolation(interpolation):
    interpolation = interpolation.lower()
    if interpolation not in KERAS_INTERPOLATIONS:
        raise ValueError(f"Argument `interpolation` should be one of {KERAS_INTERPOLATIONS}. "
                         f"Received: interpolation={interpolation}")
    image_utils.check_resize_interpolation(interpolation)
    return interpolation
