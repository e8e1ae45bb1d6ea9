r"""StringLookup: strings to integer indices (and back), with a vocabulary.

``StringLookup(vocabulary=["a", "b", "c"])`` maps ``"a" -> 1``, ``"b" -> 2``,
``"c" -> 3`` and every other string to the OOV index 0 (``"[UNK]"``). The
vocabulary can be given or learned with ``adapt`` (most frequent first). All
the machinery -- index layout, adapt, output modes, tf-idf -- is in
:mod:`.index_lookup`.
"""
import numpy as np

from kerastutor.layers.preprocessing.index_lookup import IndexLookup


def as_strings(values, encoding="utf-8"):
    """Any strings (a list, a ``str``/``bytes``/object array) as a NumPy ``str`` array."""
    array = np.asarray(values)
    if array.dtype.kind == "S":
        return np.char.decode(array, encoding)
    if array.dtype.kind == "O":
        decode = np.vectorize(
            lambda v: v.decode(encoding) if isinstance(v, bytes) else str(v), otypes=[str])
        return decode(array) if array.size else array.astype(str)
    if array.dtype.kind != "U":
        if array.size == 0:
            return array.astype(str)
        raise TypeError(
            f"StringLookup expects strings, got an array of dtype {array.dtype}. Fix: pass "
            "text (np.array(['a', 'b'])), or use IntegerLookup for integer categories.")
    return array


class StringLookup(IndexLookup):
    r"""Maps strings to indices in a vocabulary (or, with ``invert=True``, back).

    With the index layout of :mod:`.index_lookup` (``[mask] [OOV]*n tokens``):

    .. math::

        \text{index}(s) = \begin{cases}
            0 & s = \mathrm{mask\_token (if set)} \\
            \mathrm{token\_start} + \text{position of } s & s \in \text{vocabulary} \\
            \mathrm{oov\_start} + \text{FarmHash64}(s) \bmod n & \text{otherwise}
        \end{cases}

    (with :math:`n = 1` OOV slot the last case is just ``oov_start``; a
    ``salt`` switches the hash to SipHash keyed by it). ``output_mode``
    ``"one_hot"``, ``"multi_hot"``, ``"count"`` (int64) and ``"tf_idf"``
    (float32) encode the indices; ``adapt`` learns the vocabulary by frequency.

    Not differentiable: it maps strings to integers, so it has no backward.
    ``invert=True`` returns a NumPy array of strings (Keras on torch returns a
    Python list).

    Parameters
    ----------
    max_tokens : int, optional
        Largest vocabulary size, mask and OOV slots included.
    num_oov_indices : int
        Number of OOV slots (1).
    mask_token : str, optional
        The padding token, index 0 (None: no mask).
    oov_token : str
        The token ``get_vocabulary`` shows for OOV slots (``"[UNK]"``).
    vocabulary : list, array or file path, optional
    idf_weights : list or array, optional
        With ``output_mode="tf_idf"`` and a given vocabulary.
    invert : bool
        Map indices back to strings.
    output_mode : str
        ``"int"``, ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``.
    pad_to_max_tokens : bool
        Make encoded outputs ``max_tokens`` wide.
    encoding : str
        Used to decode bytes (``"utf-8"``).
    salt : int or [int, int], optional
        Key of a salted OOV hash.
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name,
                         salt=salt, vocabulary_dtype="string", **kwargs)

    def _as_tokens(self, values):
        return as_strings(values, getattr(self, "encoding", "utf-8"))

    def get_config(self):
        config = super().get_config()
        del config["vocabulary_dtype"]
        config["encoding"] = self.encoding
        return config


__all__ = ["StringLookup", "as_strings"]
