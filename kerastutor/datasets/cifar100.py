"""CIFAR-100: 60,000 32x32 colour images in 100 classes, grouped into 20 superclasses.

Like CIFAR-10 (50,000 training and 10,000 test images), but each image has
two labels: a *fine* one among 100 classes (apple, aquarium_fish, ...) and a
*coarse* one among 20 superclasses (fruit_and_vegetables, fish, ...);
``label_mode`` picks which one ``load_data`` returns.

The same archive, URL and checksum as Keras, cached and extracted in
``<KERAS_HOME or ~/.keras>/datasets/`` (the archive as
``cifar-100-python-target_archive``, its contents in
``cifar-100-python-target/cifar-100-python/{train,test}``). The two files
are Python pickles, read with CIFAR-10's
:class:`~kerastutor.datasets.cifar10.SafeUnpickler`, which refuses anything
that could run code.
"""
import os

from kerastutor import backend
from kerastutor.datasets.cifar10 import load_batch
from kerastutor.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
FILE_HASH = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"        # sha256
DIRNAME = "cifar-100-python-target"
LABEL_MODES = ("fine", "coarse")

__all__ = ["load_data"]


def load_data(label_mode="fine"):
    """Load CIFAR-100, downloading and extracting it (about 160 MB) on first use.

    60,000 32x32 colour images, each with a fine label (100 classes) and a
    coarse one (20 superclasses).

    Parameters
    ----------
    label_mode : {"fine", "coarse"}, default "fine"
        "fine" gives the 100 class labels (0-99), "coarse" the 20 superclass
        labels (0-19). Checked before anything is downloaded.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        uint8 images ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)``
        (``(N, 3, 32, 32)`` with ``image_data_format() == "channels_first"``)
        and labels ``(50000, 1)`` / ``(10000, 1)``. The labels are int64, not
        uint8 as in CIFAR-10: Keras keeps the dtype of the stored list.

    Raises
    ------
    ValueError
        ``label_mode`` is not "fine" or "coarse".
    kerastutor.utils.file_utils.DownloadError
        Not cached and cannot be downloaded; the message says where to put a copy.
    OSError
        A cached file cannot be read as a CIFAR-100 batch.
    """
    if label_mode not in LABEL_MODES:
        raise ValueError(
            f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: '
            f"label_mode={label_mode}. \"fine\" gives 100 classes, \"coarse\" 20 superclasses.")
    folder = os.path.join(get_file(fname=DIRNAME, origin=ORIGIN, extract=True,
                                   file_hash=FILE_HASH), "cifar-100-python")
    label_key = f"{label_mode}_labels"
    x_train, y_train = load_batch(os.path.join(folder, "train"), label_key, label_dtype=None)
    x_test, y_test = load_batch(os.path.join(folder, "test"), label_key, label_dtype=None)
    y_train, y_test = y_train.reshape(-1, 1), y_test.reshape(-1, 1)
    if backend.image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
