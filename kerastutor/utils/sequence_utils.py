"""``keras.utils.pad_sequences``: make a ragged list of sequences rectangular.

Sentences have different lengths, but a batch is one array. ``pad_sequences``
makes every sequence ``maxlen`` long: a short one is *padded* with ``value``,
a long one is *truncated*. Both happen at the front by default (``"pre"``),
because a recurrent layer reads left to right and its final state should come
from real tokens, not from padding.

    >>> import kerastutor as keras
    >>> keras.utils.pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
    >>> keras.utils.pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post")
    array([[1, 0],
           [2, 3],
           [5, 6]], dtype=int32)

As in Keras, each kept piece is converted with ``np.asarray(piece, dtype)``,
so float tokens are truncated toward zero with the default ``dtype="int32"``.
"""
import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre",
                  truncating="pre", value=0.0):
    """Pad (and truncate) ``sequences`` to one array of shape ``(n, maxlen) + sample_shape``.

    ``maxlen=None`` uses the longest sequence. ``padding``/``truncating`` are
    ``"pre"`` (at the start) or ``"post"`` (at the end). A sample may itself be
    an array (e.g. a vector per time step): ``sample_shape`` is taken from the
    first non-empty sequence.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    lengths, sample_shape = _lengths_and_sample_shape(sequences)
    if maxlen is None:
        maxlen = np.max(lengths)   # Keras's error for [] comes from here
    _check_value_fits_dtype(value, dtype)
    out = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for index, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = np.asarray(_truncate(sequence, maxlen, truncating), dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"Shape of sample {kept.shape[1:]} of sequence at position {index} is "
                f"different from expected shape {sample_shape}")
        _place(out[index], kept, padding)
    return out


def _lengths_and_sample_shape(sequences):
    """Each sequence's length, and the shape of one step (from the first non-empty one)."""
    lengths, sample_shape = [], None
    for sequence in sequences:
        try:
            lengths.append(len(sequence))
        except TypeError as error:
            raise ValueError("`sequences` must be a list of iterables. Found "
                             f"non-iterable: {sequence}") from error
        if sample_shape is None and len(sequence):
            sample_shape = np.asarray(sequence).shape[1:]
    return lengths, sample_shape or ()


def _check_value_fits_dtype(value, dtype):
    """A string padding value needs a string (or object) dtype."""
    is_text_dtype = dtype is object or np.issubdtype(dtype, np.str_) or \
        np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and not is_text_dtype:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
            "You should set `dtype=object` for variable length strings.")


def _truncate(sequence, maxlen, truncating):
    """The part of ``sequence`` that is kept: its last (``"pre"``) or first ``maxlen`` steps.

    (As in Keras, ``maxlen=0`` keeps everything, since ``s[-0:]`` is all of
    ``s``; the row then cannot take it and NumPy says so.)
    """
    if truncating == "pre":
        return sequence[-maxlen:]
    if truncating == "post":
        return sequence[:maxlen]
    raise ValueError(f'Truncating type "{truncating}" not understood')


def _place(row, kept, padding):
    """Write ``kept`` at the end of ``row`` (``"pre"`` padding) or at its start (``"post"``)."""
    if padding == "post":
        row[:len(kept)] = kept
    elif padding == "pre":
        row[-len(kept):] = kept
    else:
        raise ValueError(f'Padding type "{padding}" not understood')
