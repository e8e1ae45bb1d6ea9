"""MNIST: 70,000 handwritten digits, 28x28 grey pixels, labels 0-9.

The same file, URL and checksum as Keras, cached at the same place
(``~/.keras/datasets/mnist.npz``, or under ``$KERAS_HOME``), so a copy that
Keras downloaded is reused. The file is a NumPy ``.npz`` (a zip of ``.npy``
arrays) holding four ``uint8`` arrays:

==========  ==================  =========================================
key         shape               contents
==========  ==================  =========================================
x_train     (60000, 28, 28)     training images, 0 (black) to 255 (white)
y_train     (60000,)            training labels, 0-9
x_test      (10000, 28, 28)     test images
y_test      (10000,)            test labels
==========  ==================  =========================================

Licence: Yann LeCun and Corinna Cortes hold the copyright of MNIST, a
derivative of NIST data, available under CC BY-SA 3.0.
"""
import zipfile

import numpy as np

from kerastutor.utils.file_utils import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"   # sha256
KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_data(path="mnist.npz"):
    """Load MNIST, downloading it (about 11 MB) on first use.

    Parameters
    ----------
    path : str, default "mnist.npz"
        File name inside the cache folder ``<KERAS_HOME or ~/.keras>/datasets``.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of uint8 arrays
        Shapes ``(60000, 28, 28)``, ``(60000,)``, ``(10000, 28, 28)``, ``(10000,)``.

    Raises
    ------
    kerastutor.utils.file_utils.DownloadError
        The file is not cached and cannot be downloaded; the message says
        where to put a copy fetched by other means.
    OSError
        The cached file cannot be read as MNIST.
    """
    # Module globals are read at call time, so tests can point them elsewhere.
    fpath = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    x_train, y_train, x_test, y_test = _read_arrays(fpath)
    return (x_train, y_train), (x_test, y_test)


def _read_arrays(fpath):
    try:
        # allow_pickle=False: an .npz of numbers needs no pickles, and a pickle
        # could run code. Arrays are read now, while the file is open.
        with np.load(fpath, allow_pickle=False) as data:
            missing = [key for key in KEYS if key not in data.files]
            if missing:
                raise ValueError(f"it has arrays {data.files}, but not {missing}")
            return tuple(data[key] for key in KEYS)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise OSError(
            f"The MNIST file {fpath} cannot be read: {error}. It is damaged or is not "
            f"MNIST. Delete it and call load_data() again to download a fresh copy.") from error
