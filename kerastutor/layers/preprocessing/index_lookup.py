r"""IndexLookup: the vocabulary table shared by StringLookup, IntegerLookup and
TextVectorization.

A lookup layer maps each token (a string or an integer) to its index in a
vocabulary. The indices are laid out as

.. code-block:: text

    [mask_token]  [oov_token] * num_oov_indices  token_1  token_2  ...
     0 (if set)   the OOV slots                   token_start ...

so index 0 is the mask (padding) when ``mask_token`` is set, then come the
*out-of-vocabulary* (OOV) slots for unknown tokens, then the known tokens.
With one OOV slot every unknown token gets it; with several, an unknown token
picks one by hashing (strings: FarmHash64 mod ``num_oov_indices``, see
:mod:`.hashing`; integers: ``token mod num_oov_indices``).

**The table.** The tokens are kept sorted beside their indices, and a batch
of inputs is looked up at once by binary search (``np.searchsorted``): a token
is found when the sorted entry at its insertion point equals it. This is the
NumPy version of the hash table Keras builds with TensorFlow.

**adapt.** The vocabulary is learned by counting the tokens of the data; they
are sorted by **count, most frequent first, ties broken by the token itself
in descending order** (Keras's ``np.lexsort((tokens, counts))[::-1]``), and
only the first ``max_tokens - token_start`` are kept. For ``output_mode=
"tf_idf"`` each token also gets an inverse document frequency

.. math::

    \text{idf}(t) = \log\Big(1 + \frac{N}{1 + \text{df}(t)}\Big)

with :math:`N` documents (rows) of which :math:`\text{df}(t)` contain
:math:`t`; the OOV slots get the mean idf.

**Outputs.** ``"int"``: the indices (int64). ``"one_hot"``, ``"multi_hot"``,
``"count"``: the indices encoded as in :class:`CategoryEncoding` with depth =
the vocabulary size (or ``max_tokens`` with ``pad_to_max_tokens``), int64 as
in Keras. ``"tf_idf"``: the counts times the idf weights (float32). A mask
token counts nowhere in these modes.

These layers are not differentiable: their inputs are tokens, so they have
no backward and belong in the data pipeline or at the very start of a model.
"""
import collections
import os

import numpy as np

from kerastutor import backend
from kerastutor.layers.base import Layer
from kerastutor.layers.preprocessing.category_encoding import encode_categorical
from kerastutor.layers.preprocessing.discretization import iterate_batches
from kerastutor.layers.preprocessing.hashing import as_hash_text, hash_to_bins

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def listify(value):
    """Arrays to lists for a config (Keras's ``listify_tensors``)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


class IndexLookup(Layer):
    """Maps tokens to indices with a vocabulary given or learned (``adapt``).

    The base class of :class:`StringLookup` and :class:`IntegerLookup`; the
    module's docstring explains the index layout, ``adapt`` and the outputs.
    Subclasses say how raw inputs become tokens (:meth:`_as_tokens`).
    """

    # Inputs are tokens or (with invert) indices: never cast them to floats.
    accepts_integer_inputs = True
    #: ``"string"`` or ``"int64"``, set by the subclass.
    vocabulary_dtype = "string"

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, oov_method="floormod", name=None,
                 salt=None, **kwargs):
        kind = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError("If set, `max_tokens` must be greater than 1. "
                             f"Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError("If pad_to_max_tokens is True, must set `max_tokens`. "
                             f"Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError("`num_oov_indices` must be greater than or equal to 0. "
                             f"Received: num_oov_indices={num_oov_indices}")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(f"The `oov_method` argument of {kind} must be one of "
                             f"'floormod', 'farmhash'. Received: oov_method={oov_method!r}")
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError("`salt` can only be used when `oov_method='farmhash'`. "
                                 f"Received: salt={salt}, oov_method={oov_method}")
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
                salt = [int(salt), int(salt)]
            else:
                raise ValueError("The `salt` argument for `IndexLookup` can only be a tuple "
                                 f"of 2 integers, or a single integer. Received: salt={salt}.")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"The `output_mode` argument of {kind} must be one of "
                             f"{OUTPUT_MODES}. Received: output_mode={output_mode!r}")
        if invert and output_mode != "int":
            raise ValueError("`output_mode` must be `'int'` when `invert` is true. "
                             f"Received: output_mode={output_mode}")
        if sparse:
            raise ValueError(f"{kind}: `sparse=True` needs TensorFlow sparse tensors, which "
                             "kerastutor does not have. Fix: leave sparse=False.")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError("`idf_weights` should only be set if `output_mode` is "
                             f"`'tf_idf'`. Received: idf_weights={idf_weights} and "
                             f"output_mode={output_mode}")
        frozen_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("trainable", None)
        kwargs.pop("dtype", None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s): {kwargs}")
        super().__init__(name=name)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_size
        self.input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens = self._as_tokens([])            # the vocabulary, in index order
        self._set_table(self._tokens)
        self.idf_weights = None
        if output_mode == "tf_idf":
            if has_input_vocabulary and idf_weights is None:
                raise ValueError("When specifying the `vocabulary` argument, in TF-IDF "
                                 "output mode, the `idf_weights` argument must also be "
                                 "provided.")
            if idf_weights is not None:
                self.idf_weights = np.asarray(idf_weights, dtype=backend.floatx())
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.reset_state()
        self.built = True

    # ------------------------------------------------------------- tokens
    def _as_tokens(self, values):
        """Raw values as a NumPy array of tokens (``str`` or int64); subclasses."""
        raise NotImplementedError

    def _oov_start_index(self):
        """Where the OOV slots start: 1 with a mask token in ``"int"`` mode, else 0."""
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        """Where the known tokens start: after the mask and the OOV slots."""
        return self._oov_start_index() + self.num_oov_indices

    def _set_table(self, tokens):
        """Keep ``tokens`` (in index order) and their sorted copy for binary search."""
        self._tokens = tokens
        self._order = np.argsort(tokens, kind="stable")
        self._sorted_tokens = tokens[self._order]

    # ----------------------------------------------------------- vocabulary
    def vocabulary_size(self):
        """The number of indices: mask and OOV slots plus the known tokens."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The token of each index, in order (mask, OOV slots, then the tokens)."""
        specials = [self.mask_token] * self._oov_start_index() + \
            [self.oov_token] * self.num_oov_indices
        vocab = specials + self._tokens.tolist()
        if not include_special_tokens:
            vocab = vocab[self._token_start_index():]
        return vocab

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (and, in ``"tf_idf"`` mode, the idf weights) directly.

        ``vocabulary`` is a list or 1-D array of tokens, or the path of a text
        file with one token per line. It may start with the special tokens
        (mask, then the OOV tokens) exactly as :meth:`get_vocabulary` returns
        them; otherwise they are added in front.
        """
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError("`idf_weights` should only be set if output_mode is `'tf_idf'`. "
                             f"Received: output_mode={self.output_mode} and "
                             f"idf_weights={idf_weights}")
        if isinstance(vocabulary, (str, os.PathLike)):
            path = os.fspath(vocabulary)
            if not os.path.exists(path):
                raise ValueError(f"Vocabulary file {path} does not exist.")
            if self.output_mode == "tf_idf":
                raise ValueError("output_mode `'tf_idf'` does not support loading a "
                                 "vocabulary from file.")
            with open(path, encoding="utf-8") as f:
                vocabulary = f.read().splitlines()
            while vocabulary and vocabulary[-1] == "":
                vocabulary.pop()
        vocabulary = self._as_tokens(vocabulary)
        if vocabulary.ndim != 1:
            raise ValueError(f"{type(self).__name__}: the vocabulary must be 1-D (one token "
                             f"per entry), got shape {vocabulary.shape}.")
        if vocabulary.size == 0:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={[]}")
        oov_start = self._oov_start_index()
        token_start = self._token_start_index()
        special_tokens = [self.mask_token] * oov_start + [self.oov_token] * self.num_oov_indices
        found_special_tokens = len(vocabulary) >= token_start and \
            vocabulary[:token_start].tolist() == special_tokens
        tokens = vocabulary[token_start:] if found_special_tokens else vocabulary
        counts = collections.Counter(tokens.tolist())
        repeated = [token for token, count in counts.items() if count > 1]
        if repeated:
            raise ValueError("The passed vocabulary has at least one repeated term. Please "
                             f"uniquify your dataset. The repeated terms are: {repeated}")
        if self.mask_token is not None and self.mask_token in counts:
            raise ValueError(
                "Found reserved mask token at unexpected location in `vocabulary`. Note that "
                "passed `vocabulary` does not need to include the OOV and mask tokens. "
                "Either remove all mask and OOV tokens, or include them only at the start "
                f"of the vocabulary in precisely this order: {special_tokens}. Received: "
                f"mask_token={self.mask_token} at vocabulary index "
                f"{np.flatnonzero(vocabulary == self.mask_token)[-1:]}")
        if self.oov_token is not None and self.invert and self.oov_token in counts:
            raise ValueError(
                "Found reserved OOV token at unexpected location in `vocabulary`. Note that "
                "passed `vocabulary` does not need to include the OOV and mask tokens. "
                "Either remove all mask and OOV tokens, or include them only at the start "
                f"of the vocabulary in precisely this order: {special_tokens}. Received: "
                f"oov_token={self.oov_token} at vocabulary index "
                f"{np.flatnonzero(vocabulary == self.oov_token)[-1:]}")
        new_size = token_start + len(tokens)
        if self.max_tokens is not None and new_size > self.max_tokens:
            raise ValueError("Attempted to set a vocabulary larger than the maximum vocab "
                             f"size. Received vocabulary size is {new_size}; `max_tokens` is "
                             f"{self.max_tokens}.")
        self._set_table(tokens)
        self._record_vocabulary_size()
        if self.output_mode == "tf_idf" and idf_weights is not None:
            self.idf_weights = self._padded_idf(vocabulary, idf_weights, found_special_tokens)

    def _padded_idf(self, vocabulary, idf_weights, found_special_tokens):
        """The idf of every index: the OOV slots get the mean of the given weights."""
        idf_weights = np.asarray(idf_weights)
        if len(vocabulary) != len(idf_weights):
            raise ValueError("`idf_weights` must be the same length as vocabulary. "
                             f"len(idf_weights) is {len(idf_weights)}; len(vocabulary) is "
                             f"{len(vocabulary)}")
        if idf_weights.ndim != 1:
            raise ValueError("TF-IDF data must be a 1-index array. "
                             f"Received: type(idf_weights)={type(idf_weights)}")
        front = 0 if found_special_tokens else self._token_start_index()
        front_value = 0 if found_special_tokens else np.average(idf_weights)
        back = (self.max_tokens - front - len(idf_weights)
                if self.pad_to_max_tokens and self.max_tokens is not None else 0)
        weights = np.pad(idf_weights, (front, back), "constant",
                         constant_values=(front_value, 0))
        return weights.astype(backend.floatx())

    def _record_vocabulary_size(self):
        """Remember the size: the one-hot/count outputs may not change width later."""
        if self.output_mode != "int" and not self.pad_to_max_tokens and \
                self._frozen_vocab_size is not None and \
                self.vocabulary_size() != self._frozen_vocab_size:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "the vocabulary size cannot be changed after the layer is called. Old vocab "
                f"size is {self._frozen_vocab_size}, new vocab size is "
                f"{self.vocabulary_size()}")
        self._frozen_vocab_size = self.vocabulary_size()

    # ---------------------------------------------------------------- adapt
    def adapt(self, data, steps=None):
        """Learn the vocabulary (and idf weights) from ``data``.

        An array, list or tuple is one batch; a 1-D one is a column of
        one-token documents. Any other iterable (a generator, a
        ``keras.utils.PyDataset``, a dataset) is read batch by batch.
        """
        self.reset_state()
        for batch in iterate_batches(data, steps, whole=(np.ndarray, list, tuple)):
            if isinstance(batch, (np.ndarray, list, tuple)) and batch is data:
                batch = self._as_tokens(batch)
                if batch.ndim == 1:
                    batch = batch[:, None]
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        """Count the tokens of one batch: rows of a 2-D array, or a list of documents."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "`vocabulary` argument or `set_vocabulary()` method.")
        if isinstance(data, list) and data and isinstance(data[0], np.ndarray):
            documents = data                             # ragged: a list of token arrays
        else:
            data = self._as_tokens(data)
            data = data.reshape(1, -1) if data.ndim < 2 else data
            documents = list(data.reshape(len(data), -1))
        flat = np.concatenate(documents) if documents else self._as_tokens([])
        self._add_counts(self._token_counts, flat)
        if self.output_mode == "tf_idf":
            per_document = [np.unique(d) for d in documents]
            self._add_counts(self._document_counts, np.concatenate(per_document)
                             if per_document else flat)
            self._num_documents += len(documents)

    @staticmethod
    def _add_counts(counter, tokens):
        unique, counts = np.unique(tokens, return_counts=True)
        for token, count in zip(unique.tolist(), counts.tolist()):
            counter[token] = counter.get(token, 0) + count

    def finalize_state(self):
        """Sort the counted tokens (count down, ties by token down), keep the top ones."""
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        for special in (self.mask_token, self.oov_token):
            self._token_counts.pop(special, None)
        tokens = self._as_tokens(list(self._token_counts))
        counts = np.array(list(self._token_counts.values()), dtype=np.int64)
        order = np.lexsort((tokens, counts))[::-1]
        if self.max_tokens:
            order = order[:self.max_tokens - self._token_start_index()]
        tokens = tokens[order]
        self._set_table(tokens)
        if self.output_mode == "tf_idf":
            df = np.array([self._document_counts.get(t, 0) for t in tokens.tolist()])
            idf = np.log(1 + self._num_documents / (1 + df)).astype(backend.floatx())
            idf = np.pad(idf, (self._token_start_index(), 0), constant_values=idf.mean())
            if self.pad_to_max_tokens and self.max_tokens is not None:
                idf = np.pad(idf, (0, self.max_tokens - idf.size), constant_values=0)
            self.idf_weights = idf.astype(backend.floatx())
        self.reset_state()
        self._record_vocabulary_size()

    def reset_state(self):
        self._token_counts = {}
        self._document_counts = {}
        self._num_documents = 0

    # ----------------------------------------------------------------- call
    def _lookup(self, tokens):
        """The index of every token (int64, same shape): binary search in the table."""
        found_at = np.searchsorted(self._sorted_tokens, tokens)
        found_at = np.minimum(found_at, max(len(self._sorted_tokens) - 1, 0))
        if len(self._sorted_tokens):
            known = self._sorted_tokens[found_at] == tokens
            indices = self._order[found_at] + self._token_start_index()
        else:
            known = np.zeros(np.shape(tokens), dtype=bool)
            indices = np.zeros(np.shape(tokens), dtype=np.int64)
        masked = (tokens == self.mask_token) if self.mask_token is not None else \
            np.zeros(np.shape(tokens), dtype=bool)
        unknown = ~known & ~masked
        if unknown.any():
            if self.num_oov_indices == 0:
                raise ValueError(
                    "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV "
                    f"values {np.unique(tokens[unknown]).tolist()}, consider setting "
                    "`num_oov_indices=1`.")
            indices = np.where(unknown, self._oov_start_index() + self._oov_bucket(tokens),
                               indices)
        # The mask is index 0 in "int" mode; in the other modes it must count nowhere.
        return np.where(masked, 0 if self.output_mode == "int" else -1,
                        indices).astype(np.int64)

    def _oov_bucket(self, tokens):
        """Which OOV slot an unknown token takes (0 when there is one slot)."""
        if self.num_oov_indices == 1:
            return np.zeros(np.shape(tokens), dtype=np.int64)
        if tokens.dtype.kind in "iu" and self.oov_method != "farmhash":
            return np.mod(tokens, self.num_oov_indices)          # floor mod
        return hash_to_bins(as_hash_text(tokens), self.num_oov_indices, self.salt)

    def _invert(self, indices):
        """Indices back to tokens; an index outside the vocabulary gives the OOV token."""
        indices = np.asarray(indices)
        if indices.dtype.kind == "f":
            indices = indices.astype(np.int64)
        vocab = self._as_tokens(self.get_vocabulary())
        inside = (indices >= 0) & (indices < len(vocab))
        tokens = vocab[np.where(inside, indices, 0)]
        return np.where(inside, tokens, self._as_tokens([self.oov_token])[0])

    def forward(self, x, training=False):
        if self.output_mode != "int" and not self.pad_to_max_tokens and \
                self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "you must set the layer's vocabulary before calling it. Either pass a "
                "`vocabulary` argument to the layer, or call `adapt` with some sample data.")
        if self.invert:
            return self._invert(x), None
        if isinstance(x, list) and x and isinstance(x[0], np.ndarray):   # ragged documents
            return self._encode_ragged(x), None
        tokens = self._as_tokens(x)
        indices = self._lookup(tokens)
        if self.output_mode == "int":
            return indices, None
        return self._encode(indices), None

    def _depth(self):
        return self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size

    def _encode(self, indices):
        """Indices to one_hot / multi_hot / count (int64) or tf_idf (float32)."""
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        output = encode_categorical(indices, mode, self._depth(), dtype="int64")
        if self.output_mode == "tf_idf":
            if self.idf_weights is None:
                raise ValueError("When `output_mode` is `'tf_idf'`, `idf_weights` must be "
                                 "provided.")
            output = output.astype(self.idf_weights.dtype) * self.idf_weights
        return output

    def _encode_ragged(self, documents):
        """Documents of different lengths: pad with -1 (counts nowhere), then encode."""
        longest = max((len(d) for d in documents), default=0)
        indices = np.full((len(documents), max(longest, 1)), -1, dtype=np.int64)
        for row, document in enumerate(documents):
            indices[row, :len(document)] = self._lookup(self._as_tokens(document))
        return self._encode(indices)

    def compute_output_dtype(self, input_dtypes):
        """Keras's ``compute_output_spec``: ``int64`` indices in ``"int"`` mode, else
        floatx. (An inverted lookup gives back its tokens: ``"string"`` for
        StringLookup, ``int64`` for IntegerLookup; Keras says ``int64`` for both.)"""
        if self.invert:
            return "string" if self.vocabulary_dtype == "string" else "int64"
        return "int64" if self.output_mode == "int" else backend.floatx()

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    # ------------------------------------------------------------- saving
    def get_config(self):
        """Keras's keys. ``vocabulary`` is the one given to the constructor (None after
        ``adapt``: Keras saves a learned vocabulary as an asset file instead)."""
        config = super().get_config()
        config.update({
            "invert": self.invert, "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
            "mask_token": self.mask_token, "output_mode": self.output_mode,
            "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": listify(self.input_idf_weights),
            "vocabulary": listify(self.input_vocabulary),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method, "salt": self.salt})
        return config

    def save_assets(self, dir_path):
        """Write a learned vocabulary to ``dir_path/vocabulary.txt``, one token a line
        (what Keras puts under ``assets/`` in a ``.keras`` file)."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(str(w) for w in self.get_vocabulary(include_special_tokens=True)))

    def load_assets(self, dir_path):
        """Read back what :meth:`save_assets` wrote."""
        if self.input_vocabulary is not None:
            return
        with open(os.path.join(dir_path, "vocabulary.txt"), encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self.vocabulary_dtype == "string" else [int(v) for v in lines]
        if self.output_mode == "tf_idf":
            self.set_vocabulary(values, idf_weights=self.idf_weights)
        else:
            self.set_vocabulary(values)

    def save_own_variables(self, store):
        """Keras keeps the tf-idf weights as the layer's variable ``idf_weights``."""
        if self.output_mode == "tf_idf":
            store["idf_weights"] = self.idf_weights

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf":
            self.idf_weights = np.asarray(store["idf_weights"], dtype=backend.floatx())


__all__ = ["IndexLookup", "listify"]
