r"""Discretization: continuous values into bins (buckets), with learned boundaries.

Given sorted boundaries :math:`b_0 < b_1 < \dots < b_{m-1}`, value :math:`x`
goes to bin

.. math::

    \text{bin}(x) = \#\{\, i : b_i \le x \,\}
    \quad\text{so bin } i \text{ holds } b_{i-1} \le x < b_i,

:math:`m + 1` bins in all -- ``np.digitize(x, b)``. A value *equal* to a
boundary goes to the upper bin.

``adapt`` learns :math:`b` as the ``num_bins``-quantiles of the data, with
Keras's small streaming quantile *summary*: each batch is sorted and thinned
to about :math:`1/\epsilon` weighted points (:func:`summarize`), summaries are
merged and thinned again (:func:`merge_summaries`, :func:`compress_summary`),
and the boundaries are read off the final summary by linear interpolation of
its cumulative weights (:func:`get_bin_boundaries`). The result is within
about :math:`\epsilon` (in rank) of the exact quantiles, and it is exactly what
Keras computes.
"""
import numpy as np

from kerastutor import backend
from kerastutor.layers.base import Layer
from kerastutor.layers.preprocessing.category_encoding import encode_categorical


def summarize(values, epsilon):
    """A weighted summary ``[[points], [weights]]`` of one batch of values.

    Sort the values and keep every ``step``-th one, starting at index
    ``step - 1``, where ``step = max(n * epsilon, 1)``; each kept point stands
    for ``step`` values, its weight.
    """
    values = np.sort(np.reshape(values, [-1]))
    step = max(np.size(values) * epsilon, 1)       # n / (1 / epsilon) values per point
    points = values[int(step - 1)::int(step)]
    return np.stack([points, np.ones_like(points) * step])


def compress_summary(summary, epsilon):
    r"""Thin a summary to the points at cumulative-weight fractions
    :math:`\epsilon, 2\epsilon, \dots, 1`.

    With :math:`W_j` the cumulative weight up to point :math:`j` and
    :math:`p_j = W_j / W_{\text{last}}`, the new point at fraction :math:`q` is
    the linear interpolation of the points at :math:`q` (``np.interp``), and
    its weight is the interpolated cumulative weight minus the previous one.
    A summary already smaller than :math:`1/\epsilon` is returned as it is.
    """
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_points = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_points, new_weights)).astype("float32")


def merge_summaries(prev_summary, next_summary, epsilon):
    """Concatenate two summaries, sort by point, and compress to ~1/epsilon points."""
    merged = np.concatenate((prev_summary, next_summary), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return compress_summary(merged, epsilon)


def get_bin_boundaries(summary, num_bins):
    """The ``num_bins - 1`` inner quantiles: compress to ``1/num_bins`` and drop the last."""
    return compress_summary(summary, 1.0 / num_bins)[0, :-1]


def iterate_batches(data, steps=None, whole=(np.ndarray,)):
    """The batches ``adapt`` reads, as Keras does.

    An array (or any type in ``whole``) is one batch. Any other iterable -- a
    generator, a ``keras.utils.PyDataset``, a list of batches, a ``tf.data``
    dataset -- is read batch by batch, at most ``steps`` of them.
    """
    if isinstance(data, whole) or not hasattr(data, "__iter__") or \
            backend.is_device_array(data):
        yield data
        return
    for index, batch in enumerate(data):
        if steps is not None and index >= steps:
            break
        yield batch


class Discretization(Layer):
    r"""Buckets continuous values by boundaries given or learned with ``adapt``.

    With boundaries :math:`b_0 < \dots < b_{m-1}`:

    .. math::

        y = \#\{\, i : b_i \le x \,\} \in \{0, \dots, m\}

    (``np.digitize``; a value equal to a boundary goes up). ``output_mode``
    ``"int"`` returns these bin ids (int32); ``"one_hot"``, ``"multi_hot"``
    and ``"count"`` encode them with depth :math:`m+1`, as
    :class:`CategoryEncoding` does (the layer's float dtype).

    **adapt** (with ``num_bins``): the boundaries become the approximate
    ``num_bins``-quantiles of the data, computed with the streaming summary
    of this module (:func:`summarize`, :func:`merge_summaries`,
    :func:`get_bin_boundaries`) -- the same numbers as Keras. ``epsilon``
    sets the summary's resolution (about :math:`1/\epsilon` points).
    ``adapt`` takes an array (one batch) or an iterable of batches.

    Not differentiable: the output is a step function of the input, with
    zero derivative almost everywhere, so the layer has no backward.

    Parameters
    ----------
    bin_boundaries : list of float, optional
        Sorted boundaries; ``m`` of them make ``m + 1`` bins.
    num_bins : int, optional
        How many bins ``adapt`` makes (exactly one of the two).
    epsilon : float
        Error tolerance of the quantile summary (0.01).
    output_mode : str
        ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
    sparse : bool
        Only False.
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        if sparse:
            raise ValueError("`sparse=True` cannot be used with kerastutor (no sparse "
                             "tensors). Fix: leave sparse=False.")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(
                "The `output_mode` argument of Discretization must be one of 'int', "
                f"'one_hot', 'multi_hot', 'count'. Received: output_mode={output_mode!r}")
        if num_bins is not None and num_bins < 0:
            raise ValueError("`num_bins` must be greater than or equal to 0. "
                             f"Received: `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Both `num_bins` and `bin_boundaries` should not be set. "
                             f"Received: `num_bins={num_bins}` and "
                             f"`bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in bin_boundaries]
            if any(b > a for a, b in zip(bin_boundaries[1:], bin_boundaries)):
                raise ValueError(
                    f'Layer "{self.name}" (Discretization): `bin_boundaries` must be sorted '
                    f"in increasing order, got {bin_boundaries}. Fix: sorted(bin_boundaries).")
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.summary = None if bin_boundaries else np.array([[], []], dtype="float32")

    # ------------------------------------------------------------------ adapt
    def adapt(self, data, steps=None):
        """Learn ``num_bins - 1`` boundaries: the quantiles of ``data``."""
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead.")
        self.reset_state()
        for batch in iterate_batches(data, steps):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        """Fold one batch into the running summary."""
        data = np.array(data).astype("float32")
        self.summary = merge_summaries(summarize(data, self.epsilon), self.summary,
                                       self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = get_bin_boundaries(self.summary, self.num_bins).tolist()

    def reset_state(self):
        if self.num_bins is not None:
            self.summary = np.array([[], []], dtype="float32")

    # ----------------------------------------------------------------- call
    def forward(self, x, training=False):
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time "
                "or call `adapt(dataset)` before you can start using the `Discretization` "
                "layer.")
        bins = np.digitize(np.asarray(x), self.bin_boundaries)   # #{i : b_i <= x}
        dtype = "int32" if self.output_mode == "int" else self.dtype
        return encode_categorical(bins, self.output_mode, len(self.bin_boundaries) + 1,
                                  dtype), None

    def compute_output_dtype(self, input_dtypes):
        """The symbolic output's dtype: the same as :meth:`forward` gives."""
        return "int32" if self.output_mode == "int" else self.dtype

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = (len(self.bin_boundaries) + 1 if self.bin_boundaries is not None
                 else self.num_bins)
        if self.output_mode == "one_hot":
            if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        if len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (depth,)
        return (depth,)

    def get_config(self):
        """Keras's own keys: no ``trainable``, and ``dtype`` as a plain string."""
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """An adapted layer's config has both ``num_bins`` and ``bin_boundaries``."""
        config = dict(config)
        config.pop("trainable", None)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)


__all__ = ["Discretization", "summarize", "merge_summaries", "compress_summary",
           "get_bin_boundaries", "iterate_batches"]
