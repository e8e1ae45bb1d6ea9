"""Fashion-MNIST: 70,000 28x28 grey images of clothes in 10 classes, a drop-in for MNIST.

Same shapes and dtypes as MNIST -- ``(60000, 28, 28)`` / ``(10000, 28, 28)``
uint8 images, ``(60000,)`` / ``(10000,)`` uint8 labels -- but harder to
classify. The labels:

=====  ===========  =====  ===========
label  class        label  class
=====  ===========  =====  ===========
0      T-shirt/top  5      Sandal
1      Trouser      6      Shirt
2      Pullover     7      Sneaker
3      Dress        8      Bag
4      Coat         9      Ankle boot
=====  ===========  =====  ===========

Keras fetches four gzip files in the IDX format of the original MNIST and
caches them in ``<KERAS_HOME or ~/.keras>/datasets/fashion-mnist/``; so does
this loader, so either library's download serves both. Keras gives them no
checksum, so none is checked.

An IDX file is a big-endian header, then the raw bytes: labels have a magic
number 2049 and a count (8 bytes); images 2051, a count, rows and columns
(16 bytes). Keras skips the header; here it is read, to check that the file
is what it claims before the bytes are reshaped.

Licence: the copyright of Fashion-MNIST is held by Zalando SE; it is
available under the MIT licence.
"""
import gzip
import os
import zlib

import numpy as np

from kerastutor.utils.file_utils import get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CACHE_SUBDIR = os.path.join("datasets", "fashion-mnist")
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")
LABELS_MAGIC, IMAGES_MAGIC = 2049, 2051     # IDX: unsigned bytes, 1 and 3 dimensions

__all__ = ["load_data"]


def load_data():
    """Load Fashion-MNIST, downloading its four files (about 30 MB) on first use.

    70,000 28x28 grey images of clothes in 10 classes (``CLASS_NAMES``:
    T-shirt/top, Trouser, ..., Ankle boot), a harder drop-in for MNIST.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of uint8 arrays
        Shapes ``(60000, 28, 28)``, ``(60000,)``, ``(10000, 28, 28)``, ``(10000,)``;
        pixels 0 (black) to 255, labels 0-9 (see ``CLASS_NAMES``). Unlike Keras's
        (views of the decompressed bytes), the arrays may be changed in place.

    Raises
    ------
    kerastutor.utils.file_utils.DownloadError
        A file is not cached and cannot be downloaded; the message says where
        to put a copy (the folder ``datasets/fashion-mnist`` of the cache).
    OSError
        A cached file is not a gzip IDX file of the expected kind.
    """
    paths = [get_file(fname, origin=ORIGIN_FOLDER + fname, cache_subdir=CACHE_SUBDIR)
             for fname in FILES]
    y_train = read_idx_labels(paths[0])
    x_train = read_idx_images(paths[1], len(y_train))
    y_test = read_idx_labels(paths[2])
    x_test = read_idx_images(paths[3], len(y_test))
    return (x_train, y_train), (x_test, y_test)


def read_idx_labels(fpath):
    """The labels of a gzip IDX1 file: an 8-byte header, then one byte per label."""
    data = _decompress(fpath)
    _check_header(fpath, data, LABELS_MAGIC, header_ints=2)
    return np.frombuffer(data, np.uint8, offset=8).copy()


def read_idx_images(fpath, count):
    """The ``(count, 28, 28)`` images of a gzip IDX3 file: a 16-byte header, then pixels."""
    data = _decompress(fpath)
    _, n, rows, cols = _check_header(fpath, data, IMAGES_MAGIC, header_ints=4)
    pixels = np.frombuffer(data, np.uint8, offset=16)
    if (n, rows, cols) != (count, 28, 28) or pixels.size != count * 28 * 28:
        _damaged(fpath, f"its header says {n} images of {rows}x{cols} and it holds "
                        f"{pixels.size} pixels, but {count} labels of 28x28 images were "
                        "expected")
    return pixels.reshape(count, 28, 28).copy()


def _decompress(fpath):
    try:
        with gzip.open(fpath, "rb") as handle:
            return handle.read()
    except (OSError, EOFError, zlib.error) as error:     # gzip.BadGzipFile is an OSError
        _damaged(fpath, f"it is not a complete gzip file ({error})")


def _check_header(fpath, data, magic, header_ints):
    """The header's big-endian int32s, after checking the magic number and the byte count."""
    if len(data) < 4 * header_ints:
        _damaged(fpath, f"it has only {len(data)} bytes, less than an IDX header")
    header = tuple(int(v) for v in np.frombuffer(data, ">i4", count=header_ints))
    if header[0] != magic:
        _damaged(fpath, f"its IDX magic number is {header[0]}, not {magic}")
    if header_ints == 2 and header[1] != len(data) - 8:
        _damaged(fpath, f"its header says {header[1]} labels, but it holds {len(data) - 8}")
    return header


def _damaged(fpath, why):
    raise OSError(f"The Fashion-MNIST file {fpath} cannot be read: {why}. Delete it and "
                  "call load_data() again to download a fresh copy.")
