r"""IntegerLookup: integer categories (ids, codes, years) to contiguous indices.

Raw integer categories are often large and sparse (product ids 12, 36, 1138,
42). ``IntegerLookup(vocabulary=[12, 36, 1138, 42])`` renumbers them
``1, 2, 3, 4`` with 0 for anything unknown, so an Embedding or a
CategoryEncoding after it can be small. The machinery is in
:mod:`.index_lookup`.
"""
import numpy as np

from kerastutor.layers.preprocessing.index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    r"""Maps integers to indices in a vocabulary (or, with ``invert=True``, back).

    With the index layout of :mod:`.index_lookup` (``[mask] [OOV]*n tokens``):

    .. math::

        \text{index}(v) = \begin{cases}
            0 & v = \mathrm{mask\_token (if set)} \\
            \mathrm{token\_start} + \text{position of } v & v \in \text{vocabulary} \\
            \mathrm{oov\_start} + (v \bmod n) & \text{otherwise}
        \end{cases}

    (``oov_method="farmhash"`` hashes the decimal text of :math:`v` instead of
    taking :math:`v \bmod n`). ``get_vocabulary()`` shows the OOV slots as
    ``oov_token`` (-1). Output modes and ``adapt`` are those of
    :class:`StringLookup`.

    Not differentiable: its inputs are categories, so it has no backward.

    Parameters
    ----------
    max_tokens, num_oov_indices, vocabulary, idf_weights
        As for :class:`StringLookup`.
    invert, output_mode, pad_to_max_tokens, salt
        As for :class:`StringLookup`.
    mask_token : int, optional
        The padding value, index 0 (None: no mask).
    oov_token : int
        Shown for OOV slots (-1).
    vocabulary_dtype : str
        Only ``"int64"``.
    oov_method : str
        ``"floormod"`` (``v mod n``) or ``"farmhash"``, for several OOV slots.
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError("If `max_tokens` is set for `IntegerLookup`, it must be greater "
                             f"than 1. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError("The value of `num_oov_indices` argument for `IntegerLookup` "
                             f"must >= 0. Received: num_oov_indices={num_oov_indices}")
        if vocabulary_dtype != "int64":
            raise ValueError("Only `vocabulary_dtype='int64'` is supported at this time. "
                             f"Received: vocabulary_dtype={vocabulary_dtype}")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         vocabulary_dtype=vocabulary_dtype, idf_weights=idf_weights,
                         invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method,
                         salt=salt, name=name, **kwargs)

    def _as_tokens(self, values):
        array = np.asarray(values)
        if array.dtype.kind == "f" and array.size and \
                not (np.isfinite(array) & (array == np.floor(array))).all():
            raise ValueError(
                f'Layer "{self.name}" (IntegerLookup): the input must hold integers, got '
                f"{array[~(np.isfinite(array) & (array == np.floor(array)))].ravel()[0]!r}. "
                "Fix: round or bucket the values first (Discretization).")
        if array.dtype.kind in "USO":
            raise TypeError(f'Layer "{self.name}" (IntegerLookup): expected integers, got '
                            f"dtype {array.dtype}. Fix: use StringLookup for strings.")
        return array.astype(np.int64)

    def get_vocabulary(self, include_special_tokens=True):
        return [int(v) for v in super().get_vocabulary(include_special_tokens)]

    def get_config(self):
        config = super().get_config()
        if config["oov_token"] is not None:
            config["oov_token"] = int(config["oov_token"])
        if config["mask_token"] is not None:
            config["mask_token"] = int(config["mask_token"])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config


__all__ = ["IntegerLookup"]
