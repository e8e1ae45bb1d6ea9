"""The steps IMDB and Reuters apply to their word-index sequences, in Keras's order.

Both files store each text as a list of word ranks: 1 is the most frequent
word, 2 the next, and so on. ``load_data`` then

1. shuffles the texts and their labels together (``np.random.RandomState(seed)``);
2. shifts every rank up by ``index_from`` and puts ``start_char`` in front
   (:func:`mark_and_shift`), which frees the small numbers 0 (padding),
   1 (start) and 2 (out of vocabulary);
3. with ``maxlen``, drops every text of ``maxlen`` or more entries, counting
   the start mark (:func:`remove_long_seq`) -- dropped, not truncated;
4. keeps the indices ``skip_top <= w < num_words`` and turns every other one
   into ``oov_char``, or removes it if ``oov_char`` is None
   (:func:`limit_vocabulary`).

Step 4 compares the *shifted* indices, so ``num_words=10000`` keeps the
indices below 10000, i.e. the 9996 most frequent words with the default
``index_from=3``, and ``skip_top`` also hits ``start_char`` (``skip_top=5``
turns the leading 1 into 2). These are Keras's rules, kept so the same
arguments give the same numbers.
"""
import json

import numpy as np


def shuffled(rng, x, labels):
    """``x`` and ``labels`` in one random order drawn from ``rng`` (a ``RandomState``)."""
    indices = np.arange(len(x))
    rng.shuffle(indices)
    return x[indices], labels[indices]


def mark_and_shift(xs, start_char, index_from):
    """Each sequence as a new list: ``[start_char] + [w + index_from ...]``.

    With ``start_char=None`` there is no start mark. New lists are made in
    every case, so the caller's arrays are never changed.
    """
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    if index_from:
        return [[w + index_from for w in x] for x in xs]
    return [list(x) for x in xs]


def remove_long_seq(maxlen, xs, labels):
    """``(xs, labels)`` as lists without the sequences of length ``>= maxlen``."""
    kept = [(x, label) for x, label in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [label for _, label in kept]


def vocabulary_end(xs, num_words, maxlen):
    """``num_words``, or when it is None (or 0) the largest index in ``xs``.

    The largest index itself is then *outside* ``w < num_words`` and becomes
    out-of-vocabulary: that is what Keras does, so it is kept.
    """
    if num_words:
        return num_words
    largest = [max(x) for x in xs if len(x)]
    if not largest:
        raise ValueError(
            f"No word is left to take num_words from: every sequence is empty or was "
            f"dropped by maxlen={maxlen}. Pass a larger maxlen (sequences of maxlen or more "
            "entries, counting start_char, are dropped) or num_words explicitly.")
    return max(largest)


def limit_vocabulary(xs, num_words, skip_top, oov_char):
    """Replace (or, with ``oov_char=None``, drop) indices outside ``skip_top <= w < num_words``."""
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def as_object_array(xs):
    """``np.array(xs, dtype=object)``, as Keras returns the sequences.

    Usually a 1-D array of lists. If every sequence has the same length NumPy
    makes it a 2-D object array instead (Keras does the same; ``pad_sequences``
    accepts both).
    """
    return np.array(xs, dtype="object")


def read_word_index(fpath, dataset):
    """The ``{word: index}`` JSON at ``fpath`` (JSON is data only: reading it runs nothing)."""
    try:
        with open(fpath, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise OSError(f"The {dataset} word index {fpath} cannot be read: {error}. Delete it "
                      "and call get_word_index() again to download a fresh copy.") from error
