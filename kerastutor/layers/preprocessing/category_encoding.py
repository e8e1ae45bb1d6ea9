r"""CategoryEncoding: integer categories as one-hot, multi-hot or count vectors.

A category id :math:`c \in \{0, \dots, D-1\}` becomes a vector of length
:math:`D` (the *depth*, ``num_tokens``):

* **one-hot**: :math:`e_c`, a 1 at position :math:`c` -- one vector per id;
* **multi-hot**: for a sample holding several ids :math:`c_1..c_k`, the
  vector with a 1 at every :math:`c_j` (a set: which categories occur);
* **count**: the same with the number of times each id occurs (a bag), or the
  sum of per-id weights :math:`\sum_j w_j e_{c_j}` when ``count_weights`` is
  given.

:func:`encode_categorical` is the one function every categorical
preprocessing layer uses to finish its work (Keras's
``numerical_utils.encode_categorical_inputs``): Discretization, Hashing,
StringLookup, IntegerLookup and TextVectorization first turn their inputs into
ids, then hand them here.
"""
import numpy as np

from kerastutor.layers.base import Layer

OUTPUT_MODES = ("one_hot", "multi_hot", "count")


def encode_categorical(indices, output_mode, depth, dtype="float32", count_weights=None):
    r"""Encode integer ids (any shape) as :math:`D`-long vectors, as Keras does.

    * ``"int"``: the ids, cast to ``dtype``.
    * ``"one_hot"``: a trailing axis of length ``depth``; a trailing axis of 1
      is squeezed first, so ``(n, 1)`` ids give ``(n, depth)``.
    * ``"multi_hot"`` / ``"count"``: each *sample* is reduced to one vector.
      The sample axis is axis 1 (axis 0 for a 1-D input, which is one
      sample), so ``(n, k)`` ids give ``(n, depth)`` and ``(n, k, m)`` ids give
      ``(n, m, depth)`` -- Keras's rule.

    An id outside ``[0, depth)`` (e.g. a padding or mask marker) encodes as
    all zeros: it counts nowhere. The layers that take ids from the user check
    the range before calling this.

    ``count_weights`` (same shape as ``indices``) replaces each 1 by its
    weight in ``"count"`` mode: :math:`y_d = \sum_j w_j [c_j = d]`.
    """
    indices = np.asarray(indices)
    if output_mode == "int":
        return indices.astype(dtype)
    if indices.ndim == 0:                          # a scalar is one sample
        indices = indices[None]
        if count_weights is not None:
            count_weights = np.asarray(count_weights)[None]
    if output_mode == "one_hot" and indices.ndim > 1 and indices.shape[-1] == 1:
        indices = indices[..., 0]
    # one_hot[..., d] = [c == d]; ids outside [0, depth) match no d.
    one_hot = indices[..., None] == np.arange(depth)
    if output_mode == "one_hot":
        return one_hot.astype(dtype)
    axis = 1 if indices.ndim > 1 else 0            # the axis that holds one sample's ids
    if output_mode == "multi_hot":
        return one_hot.any(axis=axis).astype(dtype)
    if count_weights is not None:                  # "count": sum of weights per id
        weights = np.asarray(count_weights)
        return (one_hot * weights[..., None]).sum(axis=axis).astype(weights.dtype)
    return one_hot.sum(axis=axis).astype(dtype)


def as_category_ids(layer, x, depth, what="category id"):
    """``x`` as an int64 array of ids in ``[0, depth)``, or a clear error.

    Floats holding whole numbers (a model may have cast the ids) are accepted.
    """
    x = np.asarray(x)
    if x.dtype.kind == "f":
        whole = np.isfinite(x) & (x == np.floor(x))
        if not whole.all():
            bad = x[~whole].ravel()[0]
            raise ValueError(
                f'Layer "{layer.name}" ({type(layer).__name__}): the input must hold integer '
                f"{what}s, got the value {bad!r}. Fix: feed integer ids in [0, {depth}); "
                "map raw values to ids first (IntegerLookup, StringLookup, Discretization).")
    elif x.dtype.kind not in "biu":
        raise TypeError(
            f'Layer "{layer.name}" ({type(layer).__name__}): the input must be integer '
            f"{what}s, got dtype {x.dtype}. Fix: map strings to ids with StringLookup first.")
    x = x.astype(np.int64)
    if x.size and (x.min() < 0 or x.max() >= depth):
        bad = x[(x < 0) | (x >= depth)].ravel()[0]
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}): {what} {bad} is out of range: '
            f"ids must lie in [0, {depth - 1}] (num_tokens={depth}). Fix: raise num_tokens "
            "to the largest id + 1, or map unknown values to a reserved id first.")
    return x


class CategoryEncoding(Layer):
    r"""Encodes integer category ids as one-hot, multi-hot or count vectors.

    With depth :math:`D` = ``num_tokens`` and a sample of ids
    :math:`c_1, \dots, c_k`:

    .. math::

        \mathrm{one\_hot}(c) = e_c, \qquad
        \mathrm{multi\_hot} = \Big[\textstyle\bigvee_j [c_j = d]\Big]_{d<D}, \qquad
        \text{count} = \Big[\textstyle\sum_j w_j [c_j = d]\Big]_{d<D}

    where :math:`w_j = 1` unless ``count_weights`` is passed to the call.
    Shapes (:func:`encode_categorical`): one-hot appends an axis of length
    :math:`D` (after squeezing a trailing axis of 1); multi-hot and count
    reduce the sample axis (``(n, k) -> (n, D)``; a 1-D input is one sample:
    ``(k,) -> (D,)``). Outputs are float32 (the layer's dtype).

    Not differentiable: the inputs are category ids, so the layer has no
    backward; use it on data, before the trainable layers.

    Parameters
    ----------
    num_tokens : int
        The depth :math:`D`: ids must lie in ``[0, num_tokens)``.
    output_mode : str
        ``"multi_hot"`` (default; ``"binary"`` is an alias), ``"one_hot"``
        or ``"count"``.
    sparse : bool
        Only False (sparse tensors need TensorFlow).
    """

    accepts_integer_inputs = True

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"Unknown arg for output_mode: {output_mode}. Expected one of "
                             f"{OUTPUT_MODES}.")
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of tokens is not "
                "known beforehand, use the IntegerLookup layer instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("CategoryEncoding: `sparse=True` needs sparse tensors, which "
                             "kerastutor does not have. Fix: leave sparse=False.")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False

    def forward(self, x, training=False, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is not used when `output_mode` is not `'count'`. "
                    f"Received `count_weights={count_weights}`.")
            count_weights = np.asarray(count_weights, dtype=self.dtype)
            if count_weights.shape != np.shape(x):
                raise ValueError(
                    f'Layer "{self.name}" (CategoryEncoding): `count_weights` must have the '
                    f"shape of the input {np.shape(x)}, got {count_weights.shape}: one weight "
                    "per id.")
        ids = as_category_ids(self, x, self.num_tokens)
        return encode_categorical(ids, self.output_mode, self.num_tokens, self.dtype,
                                  count_weights), None

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 0:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            if input_shape[-1] != 1 or len(input_shape) == 1:
                return input_shape + (self.num_tokens,)
            return input_shape[:-1] + (self.num_tokens,)
        return input_shape[:-1] + (self.num_tokens,)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode})
        return config


__all__ = ["CategoryEncoding", "encode_categorical", "as_category_ids"]
