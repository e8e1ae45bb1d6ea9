"""Reading a dataset's ``.npz`` file without ever running code from it.

An ``.npz`` is a zip of ``.npy`` files, one per array. Arrays of numbers are
stored as raw bytes after a small header, and ``np.load(allow_pickle=False)``
reads them safely. IMDB and Reuters are different: each review is a list of
word indices of its own length, so ``x`` is a *ragged* array, which NumPy can
only save as an object array -- a Python pickle. ``np.load(allow_pickle=True)``
would read it, but unpickling can call any function the file names (a
``__reduce__`` "gadget" such as ``os.system``), so a tampered download could
take over the machine.

:class:`RestrictedUnpickler` therefore accepts exactly the three globals that
rebuilding an object array needs -- ``numpy.ndarray``, ``numpy.dtype`` and
``multiarray._reconstruct`` (both the NumPy 1 and NumPy 2 spellings) -- the
same set Keras allows. Lists and ints need no globals at all; they are plain
pickle opcodes. Anything else is refused before it is called.
"""
import io
import pickle
import zipfile

import numpy as np

_ALLOWED_GLOBALS = frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
})


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles NumPy object arrays of lists and numbers, and nothing that could run code."""

    def find_class(self, module, name):
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name} from a dataset file: only NumPy arrays may be "
            "rebuilt, and kerastutor never runs code stored in a file. The file may be "
            "damaged or malicious.")


def _skip_npy_header(stream):
    """Move ``stream`` past a ``.npy`` header, to where the pickle of an object array starts."""
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        np.lib.format.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):
        # 3.0 differs from 2.0 only in how the header text is encoded, not in its length
        # field, so the 2.0 reader skips it correctly.
        np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"unsupported .npy format version {version}")


def load_npy(stream, object_arrays=True):
    """One ``.npy`` array: numbers with pickling off, object arrays via the restricted unpickler.

    With ``object_arrays=False`` an object array is refused outright (NumPy's
    own "Object arrays cannot be loaded" error): files of plain numbers, such
    as the housing sets, have no reason to contain one.
    """
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)
    except ValueError as error:
        if not object_arrays or "allow_pickle" not in str(error):
            raise
    stream.seek(0)
    _skip_npy_header(stream)
    return RestrictedUnpickler(stream).load()


def load_npz(path, object_arrays=True):
    """``{name: array}`` for every ``.npy`` member of the ``.npz`` at ``path``, read safely."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(".npy"):
                stream = io.BytesIO(archive.read(member))
                arrays[member[:-len(".npy")]] = load_npy(stream, object_arrays)
    return arrays


def read_arrays(fpath, keys, dataset, object_arrays=False):
    """The arrays ``keys`` of a dataset's ``.npz``, or an ``OSError`` that says what to do.

    ``dataset`` names the data set (``"IMDB"``) in the message;
    ``object_arrays=True`` lets ragged sequences (IMDB, Reuters) through the
    restricted unpickler.
    """
    try:
        arrays = load_npz(fpath, object_arrays)
        missing = [key for key in keys if key not in arrays]
        if missing:
            raise ValueError(f"it has arrays {sorted(arrays)}, but not {missing}")
    except (ValueError, OSError, EOFError, zipfile.BadZipFile,
            pickle.UnpicklingError) as error:
        raise OSError(
            f"The {dataset} file {fpath} cannot be read: {error}. It is damaged or is not "
            f"{dataset}. Delete it and call load_data() again to download a fresh "
            "copy.") from error
    return [arrays[key] for key in keys]


def check_test_split(test_split):
    """Keras's rule for the housing loaders: ``0 <= test_split < 1``."""
    if not 0 <= test_split < 1:
        raise ValueError(
            f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 "
            "(exclusive of 1): the fraction of the samples kept for testing, e.g. "
            "test_split=0.2.")


def shuffle_and_split(x, y, test_split, seed):
    """Shuffle rows of ``x`` and ``y`` together, then cut off the last ``test_split`` as test.

    The permutation is Keras's: ``np.random.RandomState(seed).shuffle(arange(n))``,
    so the same seed gives the same split as Keras. The cut is at
    ``int(n * (1 - test_split))`` (rounded down, so the test part gets the extra
    sample), and the parts are copies, not views of the file's arrays.
    """
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
