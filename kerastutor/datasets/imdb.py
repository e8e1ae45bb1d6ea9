"""IMDB: 50,000 movie reviews labelled by sentiment, 1 positive, 0 negative.

25,000 reviews for training and 25,000 for testing, each already turned into
a list of word indices: a word's index is its frequency rank (1 = the most
frequent word), so "the 10,000 most frequent words" is simply ``w < 10000``.
``get_word_index()`` gives the ``{word: rank}`` table to turn them back into
text.

The same files, URLs and checksums as Keras, cached at the same place
(``<KERAS_HOME or ~/.keras>/datasets/imdb.npz`` and ``imdb_word_index.json``).
The ``.npz`` holds ``x_train``, ``y_train``, ``x_test``, ``y_test``; the ``x``
arrays are object arrays of lists (reviews differ in length), read with a
restricted unpickler that cannot run code (see
:mod:`kerastutor.datasets.npz_utils`).
"""
import warnings

import numpy as np

from kerastutor.datasets import npz_utils
from kerastutor.datasets.word_sequences import (as_object_array, limit_vocabulary,
                                                mark_and_shift, read_word_index, remove_long_seq,
                                                shuffled, vocabulary_end)
from kerastutor.utils.file_utils import get_file

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ORIGIN = ORIGIN_FOLDER + "imdb.npz"
FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"        # sha256
WORD_INDEX_ORIGIN = ORIGIN_FOLDER + "imdb_word_index.json"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"                                    # md5
KEYS = ("x_train", "y_train", "x_test", "y_test")

__all__ = ["load_data", "get_word_index"]


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """Load IMDB, downloading it (about 17 MB) on first use.

    50,000 movie reviews as lists of word ranks, labelled 1 (positive) or 0
    (negative), split half for training and half for testing.

    Parameters
    ----------
    path : str, default "imdb.npz"
        File name inside the cache folder ``<KERAS_HOME or ~/.keras>/datasets``.
    num_words : int or None
        Keep the indices below ``num_words`` (after the ``index_from`` shift);
        any other becomes ``oov_char``. None (or 0) means the largest index in
        the data -- which, as in Keras, makes that one largest index
        out-of-vocabulary too.
    skip_top : int, default 0
        Indices below ``skip_top`` (the most frequent words, and with
        ``skip_top > start_char`` the start mark too) also become ``oov_char``.
    maxlen : int or None
        Drop (not truncate) every review with ``maxlen`` or more entries,
        counting the start mark. If no training or no test review is left, a
        ``ValueError`` says so.
    seed : int, default 113
        Seed of the ``np.random.RandomState`` that shuffles the training set,
        then the test set; each review keeps its label.
    start_char : int or None, default 1
        Put in front of every review; None for no start mark.
    oov_char : int or None, default 2
        What a word outside the vocabulary becomes; None removes such words.
    index_from : int, default 3
        Added to every stored index, so 0, 1 and 2 stay free for padding,
        start and out-of-vocabulary.
    **kwargs
        Accepted and ignored, as in Keras (a warning names them, since an
        ignored argument is usually a misspelt one).

    Returns
    -------
    (x_train, y_train), (x_test, y_test)
        ``x`` are object arrays of lists of ints, shape ``(25000,)`` each for the
        real data (2-D if every review happens to have the same length); ``y``
        are the labels, 0 or 1, shape ``(25000,)``.

    Raises
    ------
    kerastutor.utils.file_utils.DownloadError
        Not cached and cannot be downloaded; the message says where to put a copy.
    OSError
        The cached file cannot be read as IMDB.
    """
    _warn_ignored(kwargs)
    fpath = get_file(fname=path, origin=ORIGIN, file_hash=FILE_HASH)
    x_train, y_train, x_test, y_test = npz_utils.read_arrays(fpath, KEYS, "IMDB",
                                                             object_arrays=True)

    rng = np.random.RandomState(seed)            # one generator: train first, then test
    x_train, y_train = shuffled(rng, x_train, y_train)
    x_test, y_test = shuffled(rng, x_test, y_test)

    x_train = mark_and_shift(x_train, start_char, index_from)
    x_test = mark_and_shift(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = remove_long_seq(maxlen, x_train, y_train)
        x_test, y_test = remove_long_seq(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(
                f"After filtering for sequences shorter than maxlen={maxlen}, no sequence "
                "was kept. Increase maxlen. Reviews of maxlen or more entries, counting "
                "start_char, are dropped.")

    # The vocabulary limit is taken over train and test together.
    xs = x_train + x_test
    labels = np.concatenate([y_train, y_test])
    num_words = vocabulary_end(xs, num_words, maxlen)
    xs = limit_vocabulary(xs, num_words, skip_top, oov_char)

    split = len(x_train)
    return ((as_object_array(xs[:split]), labels[:split]),
            (as_object_array(xs[split:]), labels[split:]))


def get_word_index(path="imdb_word_index.json"):
    """``{word: rank}`` for IMDB, downloading the table (about 1.6 MB) on first use.

    A word of rank ``r`` appears in ``load_data``'s sequences as
    ``r + index_from`` (3 by default). To decode a review::

        index_to_word = {rank + 3: word for word, rank in get_word_index().items()}
        index_to_word.update({0: "[PAD]", 1: "[START]", 2: "[OOV]"})
        " ".join(index_to_word[i] for i in x_train[0])
    """
    fpath = get_file(fname=path, origin=WORD_INDEX_ORIGIN, file_hash=WORD_INDEX_HASH)
    return read_word_index(fpath, "IMDB")


def _warn_ignored(kwargs):
    if kwargs:
        warnings.warn(
            f"imdb.load_data ignores the keyword arguments {sorted(kwargs)}, as Keras 3 "
            "does. Its arguments are path, num_words, skip_top, maxlen, seed, start_char, "
            "oov_char and index_from (nb_words is now num_words).", stacklevel=3)
