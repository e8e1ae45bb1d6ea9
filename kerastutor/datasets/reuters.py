"""Reuters: 11,228 newswires from 1987, each labelled with one of 46 topics.

Each newswire is a list of word indices, a word's index being its frequency
rank (1 = the most frequent word), as in IMDB. Unlike IMDB the file holds one
set, ``x`` and ``y``; ``load_data`` shuffles it and cuts off the last
``test_split`` as the test set (8982 / 2246 at the default 0.2).
``get_word_index()`` maps words to ranks, ``get_label_names()`` names the 46
topics.

The same files, URLs and checksums as Keras, cached at the same place
(``<KERAS_HOME or ~/.keras>/datasets/reuters.npz`` and
``reuters_word_index.json``); ``x`` is an object array of lists, read with a
restricted unpickler that cannot run code.
"""
import numpy as np

from kerastutor.datasets import npz_utils
from kerastutor.datasets.word_sequences import (as_object_array, limit_vocabulary,
                                                mark_and_shift, read_word_index, remove_long_seq,
                                                shuffled, vocabulary_end)
from kerastutor.utils.file_utils import get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ORIGIN = ORIGIN_FOLDER + "reuters.npz"
FILE_HASH = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"        # sha256
WORD_INDEX_ORIGIN = ORIGIN_FOLDER + "reuters_word_index.json"
WORD_INDEX_HASH = "4d44cc38712099c9e383dc6e5f11a921"                                    # md5

LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
    "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass",
    "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum",
    "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi",
    "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead")

__all__ = ["load_data", "get_word_index", "get_label_names"]


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """Load Reuters, downloading it (about 2 MB) on first use.

    11,228 newswires as lists of word ranks, each labelled with one of 46
    topics; shuffled, then split into training and test sets.

    Parameters
    ----------
    path : str, default "reuters.npz"
        File name inside the cache folder ``<KERAS_HOME or ~/.keras>/datasets``.
    num_words, skip_top, maxlen, start_char, oov_char, index_from
        As in :func:`kerastutor.datasets.imdb.load_data`: keep the indices
        ``skip_top <= w < num_words`` (counted after the ``index_from`` shift),
        the others become ``oov_char`` (or are removed if it is None);
        ``maxlen`` drops every newswire of ``maxlen`` or more entries,
        counting ``start_char``. Unlike IMDB, running out of newswires is no
        error: the sets are just smaller.
    test_split : float, default 0.2
        Fraction of the newswires, after shuffling and ``maxlen``, kept for
        testing: the first ``int(n * (1 - test_split))`` are the training set.
        Must be between 0 and 1 (Keras does not check; it is checked here).
    seed : int, default 113
        Seed of the ``np.random.RandomState`` that shuffles newswires and
        labels together, before everything else.

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x`` are object arrays of lists of ints, ``(8982,)`` and ``(2246,)`` for
        the real data; ``y`` are topic numbers 0-45 (see :func:`get_label_names`).

    Raises
    ------
    kerastutor.utils.file_utils.DownloadError
        Not cached and cannot be downloaded; the message says where to put a copy.
    OSError
        The cached file cannot be read as Reuters.
    """
    _check_test_split(test_split)
    fpath = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    xs, labels = npz_utils.read_arrays(fpath, ("x", "y"), "Reuters",
                                       object_arrays=True)

    xs, labels = shuffled(np.random.RandomState(seed), xs, labels)
    xs = mark_and_shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = remove_long_seq(maxlen, xs, labels)
    num_words = vocabulary_end(xs, num_words, maxlen)
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)

    split = int(len(xs) * (1 - test_split))
    return ((as_object_array(xs[:split]), np.array(labels[:split])),
            (as_object_array(xs[split:]), np.array(labels[split:])))


def get_word_index(path="reuters_word_index.json"):
    """``{word: rank}`` for Reuters, downloading the table (about 550 kB) on first use.

    Ranks start at 1 (``"the"``); in ``load_data``'s sequences a word of rank
    ``r`` is ``r + index_from`` (3 by default), because 0, 1 and 2 stand for
    padding, start and out-of-vocabulary.
    """
    fpath = get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)
    return read_word_index(fpath, "Reuters")


def get_label_names():
    """The 46 topic names, a tuple indexed by the labels ``load_data`` returns."""
    return LABEL_NAMES


def _check_test_split(test_split):
    if not 0 <= test_split <= 1:
        raise ValueError(
            f"reuters.load_data: test_split must be a fraction between 0 and 1; got "
            f"test_split={test_split}. Pass e.g. test_split=0.2 to keep 20% of the "
            "newswires for testing.")
