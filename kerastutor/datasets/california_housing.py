"""California Housing: 20,640 census block groups of 1990, 8 features, the median house value.

A regression set from the StatLib repository. Each row is one block group
(600 to 3,000 people); ``x`` holds 8 features -- MedInc (median income),
HouseAge, AveRooms and AveBedrms (per household), Population, AveOccup
(people per household), Latitude, Longitude -- and ``y`` the median house
value in dollars (about 25,000 to 500,000). Rooms are averaged per
household, so block groups with few households and many empty homes
(holiday resorts) have surprisingly large values.

``version="small"`` keeps only the first 600 rows, a stand-in for the
retired Boston Housing set. ``load_data`` shuffles and keeps the last
``test_split`` for testing: 16512 / 4128 (large) or 480 / 120 (small).

The same file, URL and checksum as Keras, cached at
``<KERAS_HOME or ~/.keras>/datasets/california_housing.npz`` (arrays ``x``
and ``y``, read with pickling off).
"""
from kerastutor.datasets import npz_utils
from kerastutor.utils.file_utils import get_file

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/california_housing.npz"
FILE_HASH = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"        # sha256
VERSIONS = {"large": None, "small": 600}     # how many of the file's rows each version keeps

__all__ = ["load_data"]


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Load California Housing, downloading it (about 400 kB) on first use.

    20,640 census block groups of 1990: 8 features each (income, house age,
    rooms, population, location, ...) and the median house value in dollars.

    Parameters
    ----------
    version : {"large", "small"}, default "large"
        "large" uses all 20,640 rows, "small" the first 600 (taken before
        shuffling, so always the same 600).
    path : str, default "california_housing.npz"
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
        ``(16512, 8)``, ``(16512,)``, ``(4128, 8)``, ``(4128,)`` for "large";
        ``(480, 8)``, ``(480,)``, ``(120, 8)``, ``(120,)`` for "small".

    Raises
    ------
    ValueError
        ``test_split`` outside ``[0, 1)``, or an unknown ``version`` (both
        checked before anything is downloaded).
    kerastutor.utils.file_utils.DownloadError
        Not cached and cannot be downloaded; the message says where to put a copy.
    OSError
        The cached file cannot be read as California Housing.
    """
    npz_utils.check_test_split(test_split)
    if version not in tuple(VERSIONS):
        raise ValueError(
            f"Argument `version` must be one of 'small', 'large'. Received: "
            f"version={version}. 'large' has all 20,640 rows, 'small' the first 600.")
    fpath = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    x, y = npz_utils.read_arrays(fpath, ("x", "y"), "California Housing")
    rows = VERSIONS[version]
    return npz_utils.shuffle_and_split(x[:rows], y[:rows], test_split, seed)
