r"""Embedding and Masking: the layers that start a model of sequences.

:class:`Embedding` turns integer ids (words, characters, items) into learned
vectors: row :math:`i` of a matrix is the vector of id :math:`i`. Its
forward pass is a table look-up and its backward pass adds each upstream
gradient row back into the table row it came from.

:class:`Masking` marks padded time steps so that the layers after it can
skip them.

Both produce a *mask* (``compute_mask``): a boolean array, ``True`` where a
time step holds real data, that the model passes along to the layers that
use it (recurrent layers, attention, pooling).
"""
import numpy as np

from kerastutor import backend, constraints, initializers, regularizers
from kerastutor.layers.base import Layer, refuse_lora, weight_settings
from kerastutor.layers.activation_layers import _checked_number


def scatter_add_rows(target, rows, values):
    r"""``target[rows[i]] += values[i]`` for every ``i``, repeated rows adding up.

    The obvious ``target[rows] += values`` is wrong here: when a row index
    appears twice, NumPy's buffered fancy assignment keeps only the last
    write. ``np.add.at(target, rows, values)`` is the correct one-liner; this
    function computes the same sums about twice as fast:

    1. sort the row indices, so that equal ids sit side by side;
    2. sum each run of equal ids with one ``np.add.reduceat``;
    3. add each sum to its row; the rows are now distinct, so plain fancy
       ``+=`` is safe.

    Parameters
    ----------
    target : array of shape (n_rows, d)
        Modified in place.
    rows : int array of shape (m,)
    values : array of shape (m, d)
    """
    if rows.size == 0:
        return
    if backend.is_device_array(target):     # on a GPU: one kernel, atomic adds per element
        np.add.at(target, rows, values)
        return
    order = np.argsort(rows, kind="stable")
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_rows[1:] != sorted_rows[:-1])))
    target[sorted_rows[starts]] += np.add.reduceat(values[order], starts, axis=0)


class Embedding(Layer):
    r"""Looks up a learned vector for each integer id.

    With the weight ``embeddings`` :math:`E` of shape ``(input_dim,
    output_dim)`` and integer ids :math:`x` of any shape:

    .. math::

        y_{\ldots, :} = E_{x_{\ldots}, :}

    so ``(batch, steps)`` ids give ``(batch, steps, output_dim)`` vectors.
    This equals multiplying a one-hot encoding of :math:`x` by :math:`E`,
    without ever building the one-hot matrix.

    **Backward.** Row :math:`i` of :math:`E` receives the sum of the upstream
    gradients at every position where id :math:`i` occurs:

    .. math::

        \frac{\partial L}{\partial E_{i,:}} = \sum_{p \,:\, x_p = i}
            \frac{\partial L}{\partial y_{p,:}}

    (a scatter-add, :func:`scatter_add_rows`). Rows of ids absent from the
    batch get zero. The ids are integers, so they have no gradient:
    ``backward`` returns ``None``.

    Float inputs holding whole numbers (``2.0``) are accepted, as Keras casts
    them to int32; other floats (``0.5``, NaN) raise an error where Keras
    would truncate them silently, and so do ids outside ``[0, input_dim)``
    (NumPy would silently wrap negative ids around).

    ``mask_zero=True`` declares id 0 as padding: ``compute_mask`` returns
    ``ids != 0``, and ``input_dim`` must then count id 0 (vocabulary + 1).

    Parameters
    ----------
    input_dim : int
        Vocabulary size: the largest id + 1.
    output_dim : int
        Length of each vector.
    embeddings_initializer : initializer
        ``"uniform"`` (uniform on [-0.05, 0.05]) by default.
    embeddings_regularizer, embeddings_constraint : optional
        Regularizer and constraint of ``embeddings``.
    mask_zero : bool
        Whether id 0 is padding to be masked.
    weights : array or list of one array, optional
        Initial ``embeddings`` of shape ``(input_dim, output_dim)``; the layer
        is built at once.
    """

    # Token ids stay integers: the model does not cast them to floatx.
    accepts_integer_inputs = True

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        if kwargs.pop("input_length", None) is not None:
            backend.warn_user("Argument `input_length` is deprecated. Just remove it: the "
                              "sequence length comes from the input's shape.")
        super().__init__(**kwargs)
        for argument, value, meaning in (
                ("input_dim", input_dim, "the vocabulary size, the largest id + 1"),
                ("output_dim", output_dim, "the length of each embedding vector")):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value <= 0:
                raise ValueError(
                    f'Layer "{self.name}" (Embedding): `{argument}` must be a positive '
                    f"integer ({meaning}), got {argument}={value!r}. Hint: "
                    "Embedding(input_dim=10000, output_dim=64) maps ids 0..9999 to vectors "
                    "of 64 numbers.")
        if not isinstance(mask_zero, (bool, np.bool_)):
            raise ValueError(
                f'Layer "{self.name}" (Embedding): `mask_zero` must be True or False, got '
                f"mask_zero={mask_zero!r}. Hint: True treats id 0 as padding.")
        refuse_lora(self, lora_rank=lora_rank, lora_alpha=lora_alpha,
                    quantization_config=quantization_config)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer, self.embeddings_regularizer, self.embeddings_constraint = \
            weight_settings(embeddings_initializer, embeddings_regularizer, embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        if weights is not None:
            self.build()
            if not (isinstance(weights, list) and len(weights) == 1):
                weights = [weights]
            self.set_weights(weights)

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer, name="embeddings",
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self._build_input_shape = None if input_shape is None else tuple(input_shape)
        self.built = True

    def _ids(self, x):
        """The ids as an integer array, after checking they are whole and in range."""
        x = backend.asarray(x)
        if x.dtype.kind == "f":
            whole = np.isfinite(x) & (x == np.floor(x))
            if not whole.all():
                where = tuple(int(i) for i in np.argwhere(~whole)[0])
                raise ValueError(
                    f'Layer "{self.name}" (Embedding): the input must hold integer ids, but '
                    f"it has the value {x[where].item()!r} at index {where}. Hint: Embedding "
                    "looks up rows by id; feed token ids (e.g. from a TextVectorization or "
                    "Tokenizer), not scaled or normalised features.")
        elif x.dtype.kind not in "biu":
            raise TypeError(
                f'Layer "{self.name}" (Embedding): the input must be an array of integer '
                f"ids, got dtype {x.dtype}. Hint: map tokens to ids first.")
        if x.size and (x.min() < 0 or x.max() >= self.input_dim):
            outside = (x < 0) | (x >= self.input_dim)
            where = tuple(int(i) for i in np.argwhere(outside)[0])
            bad = x[where].item()
            hint = ("ids cannot be negative; map unknown tokens to a reserved id such as 1."
                    if bad < 0 else
                    f"input_dim is the vocabulary size, the largest id + 1 (here at least "
                    f"{int(x.max()) + 1}); with mask_zero=True id 0 is padding and counts too.")
            raise ValueError(
                f'Layer "{self.name}" (Embedding): id {bad:g} at index {where} is out of range '
                f"for input_dim={self.input_dim}: ids must lie in [0, {self.input_dim - 1}] "
                f"({int(outside.sum())} id(s) outside). Hint: {hint}")
        return x.astype(np.intp, copy=False)

    def forward(self, x, training=False):
        ids = self._ids(x)
        return np.take(self.embeddings.value, ids, axis=0), ids   # y = E[x]

    def backward(self, cache, grad_out):
        ids = cache
        # dL/dE_i += sum of the upstream rows wherever id i occurs
        scatter_add_rows(self.embeddings.grad, ids.ravel(),
                         grad_out.reshape(-1, self.output_dim))
        return None                     # integer ids have no gradient

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` with ``mask_zero=True`` (id 0 is padding), else ``None``."""
        if not self.mask_zero:
            return None
        return np.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,
        })
        return config


class Masking(Layer):
    r"""Masks (skips) every time step whose features all equal ``mask_value``.

    For input :math:`x` of shape ``(batch, steps, features)``, a step is kept
    when any of its features differs from :math:`v` = ``mask_value``:

    .. math::

        m_{n,t} = \bigvee_f \,[x_{n,t,f} \ne v], \qquad
        y_{n,t,f} = m_{n,t}\, x_{n,t,f}

    so masked steps come out as zeros, and ``compute_mask`` hands :math:`m`
    to the layers that follow (an LSTM then skips those steps).

    **Backward.** The mask is a constant of the input's values (it only
    changes where a feature crosses :math:`v` exactly), so

    .. math::

        \frac{\partial L}{\partial x_{n,t,f}} = m_{n,t}\,
            \frac{\partial L}{\partial y_{n,t,f}}

    and masked steps get no gradient.

    Parameters
    ----------
    mask_value : float
        The padding value (0.0).
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = _checked_number(
            self, "mask_value", mask_value,
            hint="it is the value that fills padded time steps, usually 0.0.")

    def compute_mask(self, inputs, mask=None):
        """``True`` for the steps where any feature differs from ``mask_value``."""
        return np.any(np.not_equal(inputs, self.mask_value), axis=-1)

    def forward(self, x, training=False):
        keep = np.any(x != self.mask_value, axis=-1, keepdims=True)
        return x * keep, keep                                   # y = m * x

    def backward(self, cache, grad_out):
        keep = cache
        return grad_out * keep                                  # dL/dx = m * dL/dy

    def get_config(self):
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


__all__ = ["Embedding", "Masking", "scatter_add_rows"]
