r"""TextVectorization: raw text to token indices or bag-of-words vectors.

Each string goes through four steps, then a vocabulary lookup:

1. **standardize** -- ``"lower_and_strip_punctuation"`` (default): lower-case
   A-Z (ASCII only, as TensorFlow's ``strings.lower``) and delete the ASCII
   punctuation ``!"#$%&()*+,-./:;<=>?@[\]^_`{|}~'``; or ``"lower"``,
   ``"strip_punctuation"``, ``None``, or your callable (it receives a NumPy
   array of ``str``);
2. **split** -- ``"whitespace"`` (runs of spaces, tabs and newlines; no empty
   tokens), ``"character"``, ``None`` (the whole string is one token) or a
   callable (array of strings in, one list of tokens per string out);
3. **ngrams** -- ``ngrams=2`` adds every pair of neighbouring tokens joined by
   a space (``"the cat"``) after the single tokens; a tuple ``(1, 3)`` picks
   the widths;
4. **lookup** -- a :class:`StringLookup` with mask token ``""``: index 0 is
   padding, 1 is ``"[UNK]"``, then the vocabulary (learned by ``adapt``: most
   frequent first, ties by token descending).

``output_mode="int"`` returns each text's indices, padded with 0 to the longest
text of the batch, or cut/padded to ``output_sequence_length``;
``"multi_hot"``, ``"count"`` and ``"tf_idf"`` return one vector per text,
as the lookup layer encodes them.
"""
import re

import numpy as np

from kerastutor import backend
from kerastutor.layers.base import Layer
from kerastutor.layers.preprocessing.discretization import iterate_batches
from kerastutor.layers.preprocessing.index_lookup import listify
from kerastutor.layers.preprocessing.string_lookup import StringLookup, as_strings

#: Keras's punctuation pattern (``,-\.`` is the range ``,`` ``-`` ``.``).
PUNCTUATION = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_WHITESPACE_TOKEN = re.compile(r"[^ \t\n\r\f\v]+")


def lower(texts):
    """ASCII lower-casing of a ``str`` array (``"É"`` stays, as in TensorFlow)."""
    return np.char.translate(texts, _ASCII_LOWER) if texts.size else texts


def strip_punctuation(texts):
    pattern = re.compile(PUNCTUATION)
    return np.vectorize(lambda t: pattern.sub("", t), otypes=[str])(texts) \
        if texts.size else texts


def ngrams(tokens, widths):
    """All n-grams of ``tokens`` for each width in ``widths``, widths in order."""
    return [" ".join(tokens[i:i + n]) for n in widths for i in range(len(tokens) - n + 1)]


class TextVectorization(Layer):
    r"""Turns strings into token indices or bag-of-words vectors.

    For a text :math:`s`: :math:`t_1..t_k = \text{ngrams}(\text{split}(
    \text{standardize}(s)))`, then :math:`y = (\text{index}(t_1), \dots,
    \text{index}(t_k))` in ``"int"`` mode (padded with 0), or the
    multi-hot / count / tf-idf vector of those indices (the module's
    docstring gives each step). With ``output_mode="tf_idf"`` and ``adapt``,
    :math:`\text{idf}(t) = \log(1 + N / (1 + \text{df}(t)))` over the
    :math:`N` adapted texts.

    Inputs: a 1-D array (or list) of strings, or ``(batch, 1)``. ``adapt``
    takes an array or list (the whole data) or an iterable of batches (a
    generator, a ``keras.utils.PyDataset``).

    Not differentiable: text has no gradient, so the layer has no backward.
    Put it in the data pipeline (``x = vectorize(texts)``) or at the start of
    a model whose trainable part begins after it.

    Parameters
    ----------
    max_tokens : int, optional
        Largest vocabulary, the mask ``""`` and ``"[UNK]"`` included.
    standardize, split : str, None or callable
        See the module's docstring.
    ngrams : int or tuple of int, optional
    output_mode : str
        ``"int"``, ``"multi_hot"``, ``"count"``, ``"tf_idf"`` (or ``"one_hot"``).
    output_sequence_length : int, optional
        ``"int"`` mode: cut or pad every sequence to this length.
    pad_to_max_tokens : bool
        Make bag-of-words outputs ``max_tokens`` wide.
    vocabulary : list or file path, optional
    idf_weights : list, optional
        With ``output_mode="tf_idf"`` and a given vocabulary.
    sparse, ragged : bool
        Only False (they need TensorFlow).
    encoding : str
        Used to decode bytes.
    """

    # Inputs are strings: nothing to cast.
    accepts_integer_inputs = True

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        if ragged:
            raise ValueError("`ragged=True` can only be used with the TensorFlow backend.")
        if not (standardize is None or callable(standardize) or standardize in
                ("lower_and_strip_punctuation", "lower", "strip_punctuation")):
            raise ValueError(
                "The `standardize` argument of TextVectorization must be one of "
                "'lower_and_strip_punctuation', 'lower', 'strip_punctuation', None or a "
                f"callable. Received: standardize={standardize!r}")
        if not (split is None or callable(split) or split in ("whitespace", "character")):
            raise ValueError(
                "The `split` argument of TextVectorization must be one of 'whitespace', "
                f"'character', None or a callable. Received: split={split!r}")
        output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
        if output_mode not in ("int", "one_hot", "multi_hot", "count", "tf_idf"):
            raise ValueError(
                "The `output_mode` argument of TextVectorization must be one of 'int', "
                f"'one_hot', 'multi_hot', 'count', 'tf_idf'. Received: output_mode="
                f"{output_mode!r}")
        if not (ngrams is None or isinstance(ngrams, int) or
                isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams)):
            raise ValueError("`ngrams` must be None, an integer, or a tuple of integers. "
                             f"Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None or
                                         isinstance(output_sequence_length, int)):
            raise ValueError("`output_sequence_length` must be either None or an integer "
                             "when `output_mode` is 'int'. Received: "
                             f"output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is "
                             "not 'int'. Received output_sequence_length="
                             f"{output_sequence_length}.")
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = False
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            has_input_vocabulary=has_input_vocabulary, encoding=encoding,
            vocabulary_size=vocabulary_size)
        self.built = True

    # ---------------------------------------------------------- the steps
    def _standardized(self, texts):
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            texts = lower(texts)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            texts = strip_punctuation(texts)
        if callable(self._standardize):
            texts = as_strings(self._standardize(texts), self._encoding)
        return texts

    def _tokens(self, texts):
        """One list of tokens per text (after split and ngrams)."""
        if self._split == "whitespace":
            documents = [_WHITESPACE_TOKEN.findall(t) for t in texts.tolist()]
        elif self._split == "character":
            documents = [list(t) for t in texts.tolist()]
        else:
            documents = [[str(token) for token in doc] for doc in self._split(texts)]
        if self._ngrams is not None:
            documents = [ngrams(doc, self._ngrams) for doc in documents]
        return documents

    def _preprocess(self, inputs):
        """Standardize, split, ngrams: a list of token arrays (one per text), or, with
        ``split=None``, the standardized strings as an array."""
        texts = as_strings(inputs, self._encoding)
        texts = self._standardized(texts)
        if self._split is None:
            if self._ngrams is not None:
                return [np.array(ngrams([t], self._ngrams), dtype=str)
                        for t in np.ravel(texts).tolist()]
            return texts
        if texts.ndim > 1:
            if texts.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must "
                    "be 1 or the last shape dimension must be 1. Received: "
                    f"inputs.shape={texts.shape} with rank={texts.ndim}")
            texts = texts[..., 0]
        texts = np.atleast_1d(texts)
        return [np.array(doc, dtype=str) for doc in self._tokens(texts)]

    # ---------------------------------------------------------------- adapt
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and idf weights) from texts.

        ``data``: an array or list of strings (all of it at once), or an
        iterable of batches of strings.
        """
        self.reset_state()
        for batch in iterate_batches(data, steps, whole=(np.ndarray, list, tuple)):
            if batch is data:
                batch = as_strings(batch, self._encoding)
                if batch.ndim == 1:
                    batch = batch[:, None]
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        data = self._preprocess(data)
        if isinstance(data, np.ndarray) and data.ndim < 2:
            data = data[None]       # split=None: a 1-D batch is one document
        self._lookup_layer.update_state(data)

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    # ----------------------------------------------------------------- call
    def forward(self, x, training=False):
        documents = self._preprocess(x)
        if self._output_mode != "int":
            return self._lookup_layer.forward(documents)[0], None
        if isinstance(documents, np.ndarray):                # split=None: dense already
            indices = self._lookup_layer._lookup(documents)
            if self._output_sequence_length is not None and indices.ndim:
                indices = _fit_length(indices, self._output_sequence_length)
            return indices, None
        rows = [self._lookup_layer._lookup(doc) for doc in documents]
        length = self._output_sequence_length
        if length is None:
            length = max((len(r) for r in rows), default=0)
        output = np.zeros((len(rows), length), dtype=np.int64)      # 0 = padding
        for i, row in enumerate(rows):
            row = row[:length]
            output[i, :len(row)] = row
        return output, None

    def compute_output_dtype(self, input_dtypes):
        """Keras's ``compute_output_spec``: ``int64`` token ids in ``"int"`` mode, else floatx."""
        return "int64" if self._output_mode == "int" else backend.floatx()

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = input_shape + (1,)
        else:
            if len(input_shape) > 1 and input_shape[-1] == 1:
                input_shape = input_shape[:-1]   # one text a row: split squeezes that axis
            input_shape = input_shape + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    # ----------------------------------------------------------- vocabulary
    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # --------------------------------------------------------------- saving
    def get_config(self):
        """Keras's keys; a callable standardize/split is saved by its registered name."""
        config = super().get_config()
        config.update({
            "max_tokens": self._lookup_layer.max_tokens,
            "standardize": _serialize_callable(self._standardize),
            "split": _serialize_callable(self._split),
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": self._lookup_layer.pad_to_max_tokens,
            "sparse": False, "ragged": self._ragged,
            "vocabulary": listify(self._lookup_layer.input_vocabulary),
            "idf_weights": listify(self._lookup_layer.input_idf_weights),
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size()})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                from kerastutor import saving
                config[key] = saving.deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    #: Keras's saving walk visits private attributes too: the inner StringLookup
    #: is saved a second time at ``<path>/_lookup_layer`` (weights and assets).
    _saved_private_attributes = ("_lookup_layer",)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)


def _fit_length(indices, length):
    """Cut or zero-pad the last axis to ``length``."""
    indices = indices[..., :length]
    pad = [(0, 0)] * (indices.ndim - 1) + [(0, length - indices.shape[-1])]
    return np.pad(indices, pad)


def _serialize_callable(value):
    if value is None or isinstance(value, str):
        return value
    from kerastutor import saving
    return saving.serialize_keras_object(value)


__all__ = ["TextVectorization", "PUNCTUATION", "lower", "strip_punctuation", "ngrams"]
