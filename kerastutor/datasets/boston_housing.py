"""Boston Housing: 506 districts of Boston in the 1970s, 13 features, the median house price.

A small regression set from the StatLib library (Carnegie Mellon
University). ``x`` has 13 attributes per district (crime rate, rooms per
dwelling, ...), ``y`` the median value of owner-occupied homes in k$
(typically 10 to 50). ``load_data`` shuffles the 506 rows and keeps the last
``test_split`` for testing: 404 / 102 at the default 0.2.

**Warning**, as in Keras's documentation: one of the attributes, "B", was
built on the assumption that racial self-segregation affects house prices.
Use this data set only to discuss such problems in data; for a housing
regression, prefer :mod:`kerastutor.datasets.california_housing`.

The same file, URL and checksum as Keras, cached at
``<KERAS_HOME or ~/.keras>/datasets/boston_housing.npz`` (arrays ``x`` and
``y``, read with pickling off).
"""
from kerastutor.datasets import npz_utils
from kerastutor.utils.file_utils import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"        # sha256

__all__ = ["load_data"]


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Load Boston Housing, downloading it (about 57 kB) on first use.

    506 Boston districts of the 1970s: 13 features each and the median house
    price in k$ (see the module's warning about the "B" feature).

    Parameters
    ----------
    path : str, default "boston_housing.npz"
        File name inside the cache folder ``<KERAS_HOME or ~/.keras>/datasets``.
    test_split : float, default 0.2
        Fraction kept for testing, ``0 <= test_split < 1``: the first
        ``int(n * (1 - test_split))`` shuffled rows are the training set.
    seed : int, default 113
        Seed of the ``np.random.RandomState`` that shuffles rows of ``x`` and
        ``y`` together before the split.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        Shapes ``(404, 13)``, ``(404,)``, ``(102, 13)``, ``(102,)`` for the real
        data, as stored in the file (float64).

    Raises
    ------
    ValueError
        ``test_split`` outside ``[0, 1)``.
    kerastutor.utils.file_utils.DownloadError
        Not cached and cannot be downloaded; the message says where to put a copy.
    OSError
        The cached file cannot be read as Boston Housing.
    """
    npz_utils.check_test_split(test_split)
    fpath = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    x, y = npz_utils.read_arrays(fpath, ("x", "y"), "Boston Housing")
    return npz_utils.shuffle_and_split(x, y, test_split, seed)
