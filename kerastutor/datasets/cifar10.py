"""CIFAR-10: 60,000 32x32 colour images in 10 classes (airplane ... truck).

``load_data()`` returns ``(x_train, y_train), (x_test, y_test)``: uint8
images of shape ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)``
(channels_last) and uint8 labels of shape ``(50000, 1)`` / ``(10000, 1)``
-- the same archive, URL and checksum Keras uses, cached (and extracted)
in ``~/.keras/datasets``.

The archive stores its batches as Python pickles. Unpickling can run code,
so the batches are read with :class:`SafeUnpickler`, which accepts the
handful of NumPy and builtin types a CIFAR batch contains and refuses
everything else.
"""
import os
import pickle

import numpy as np

from kerastutor import backend
from kerastutor.utils.file_utils import get_file

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
DIRNAME = "cifar-10-batches-py-target"
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck"]

_ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"), ("numpy", "dtype"), ("builtins", "bytes"),
            ("_codecs", "encode"), ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar")}


class SafeUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds arrays, lists and dicts -- and nothing that could run code."""

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name} from a data file: kerastutor never runs "
                "code stored in a file. Is this really a CIFAR batch?")
        return super().find_class(module, name)


def load_batch(fpath, label_key="labels", label_dtype=np.uint8):
    """``(data, labels)`` of one CIFAR batch file, data shaped ``(N, 3, 32, 32)``.

    ``label_key`` is ``"labels"`` for CIFAR-10, ``"fine_labels"`` or
    ``"coarse_labels"`` for CIFAR-100. The labels are cast to ``label_dtype``
    (uint8, as Keras's CIFAR-10); ``label_dtype=None`` keeps the dtype NumPy
    gives the stored list (int64), as Keras's CIFAR-100 does.
    """
    try:
        with open(fpath, "rb") as handle:
            batch = SafeUnpickler(handle, encoding="bytes").load()
        batch = {(k.decode("utf8") if isinstance(k, bytes) else k): v for k, v in batch.items()}
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch[label_key], dtype=label_dtype)
    except (OSError, EOFError, KeyError, ValueError, AttributeError,
            pickle.UnpicklingError) as err:
        raise OSError(f"The CIFAR batch {fpath} could not be read ({err}). Delete the cached "
                      "archive and its extracted folder, then call load_data() again.") from None
    return data.reshape(len(data), 3, 32, 32), labels


def load_data():
    """``(x_train, y_train), (x_test, y_test)``; downloads and extracts on first use."""
    path = os.path.join(get_file(fname=DIRNAME, origin=ORIGIN, extract=True,
                                 file_hash=FILE_HASH), "cifar-10-batches-py")
    parts = [load_batch(os.path.join(path, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([data for data, _ in parts])
    y_train = np.concatenate([labels for _, labels in parts]).reshape(-1, 1)
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_test = y_test.reshape(-1, 1)
    if backend.image_data_format() == "channels_last":
        x_train, x_test = x_train.transpose(0, 2, 3, 1), x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
