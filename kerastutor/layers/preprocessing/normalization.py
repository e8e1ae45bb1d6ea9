r"""Normalization: shift and scale features to mean 0 and variance 1.

With a mean :math:`\mu` and variance :math:`\sigma^2` per kept axis
(``axis=-1``: one per feature; ``axis=None``: one scalar), broadcast over
the others:

.. math::

    y = \frac{x - \mu}{\max(\sqrt{\sigma^2},\ \epsilon)}, \qquad
    \text{invert: } y = \mu + x \max(\sqrt{\sigma^2},\ \epsilon), \qquad
    \epsilon = 10^{-7}.

The statistics are either given (``mean=``, ``variance=``) or learned from
data by :meth:`Normalization.adapt`, the population statistics over every
axis that is not kept:

.. math::

    \mu = \frac1N \sum_k x_k, \qquad \sigma^2 = \frac1N \sum_k (x_k - \mu)^2 .

``adapt`` also takes an iterable of batches (a list, a generator, a
``keras.utils.PyDataset``) -- something Keras on torch cannot do without
TensorFlow. The batches are merged exactly (Chan et al.): for two parts with
counts :math:`n_a, n_b`, means :math:`\mu_a, \mu_b` and sums of squared
deviations :math:`M_a, M_b`,

.. math::

    n = n_a + n_b,\quad \delta = \mu_b - \mu_a,\quad
    \mu = \mu_a + \delta\,\frac{n_b}{n},\quad
    M = M_a + M_b + \delta^2\,\frac{n_a n_b}{n},\quad \sigma^2 = M / n .

**Backward.** The statistics are constants (not trained), so the layer is an
elementwise affine map: :math:`\partial L/\partial x = \partial L/\partial y
\,/ \max(\sigma, \epsilon)` (times :math:`\max(\sigma, \epsilon)` when inverted).
"""
import numpy as np

from kerastutor import backend
from kerastutor.layers.base import Layer

EPSILON = 1e-7       # Keras's backend.epsilon() at the time of writing


class Normalization(Layer):
    r""":math:`y = (x - \mu) / \max(\sigma, \epsilon)` with given or adapted statistics.

    **Backward:** :math:`\partial L/\partial x = \partial L/\partial y \,/ \max(\sigma, \epsilon)`
    (:math:`\times \max(\sigma, \epsilon)` with ``invert=True``).
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: when setting values directly, both mean and variance must be "
                f"set. Received: mean={mean} and variance={variance}. Fix: pass both, or "
                "neither and call adapt(data).")
        self.input_mean, self.input_variance = mean, variance
        self.invert = invert
        self.mean = self.variance = None

    # ------------------------------------------------------------------ build
    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                f"Normalization: all `axis` values must be in the range [-ndim, ndim). "
                f"Received inputs with ndim={ndim}, while axis={self.axis}.")
        self._build_input_shape = input_shape
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(
                    f"Normalization: all `axis` values to be kept must have a known shape. "
                    f"Received axis={self.axis}, inputs.shape={input_shape}, with unknown "
                    f"axis at index {d}.")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1
                                      for d in range(ndim))
        shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
        else:
            self.mean = self._given(self.input_mean, ndim)
            self.variance = self._given(self.input_variance, ndim)
        self.built = True

    def _given(self, value, ndim):
        """A constructor mean/variance aligned, right to left, with the kept axes."""
        value = np.asarray(value, dtype=self.dtype)
        if value.ndim == 0:
            return np.broadcast_to(value, self._broadcast_shape)
        if value.ndim > len(self._keep_axis):
            raise ValueError(
                f"Normalization: the mean/variance has rank {value.ndim}, more than the "
                f"{len(self._keep_axis)} kept axes {self._keep_axis}. Fix: give one value "
                "per entry of the kept axes.")
        shape = [1] * ndim
        for i in range(1, value.ndim + 1):
            shape[self._keep_axis[-i]] = value.shape[-i]
        return value.reshape(shape)

    def _statistics(self):
        if self.input_mean is not None:
            return self.mean, self.variance
        return (self.adapt_mean.value.reshape(self._broadcast_shape),
                self.adapt_variance.value.reshape(self._broadcast_shape))

    # ------------------------------------------------------------------ adapt
    def adapt(self, data, steps=None):
        """Learn the mean and variance from ``data``.

        ``data``: an array (statistics in float64 over the non-kept axes) or an
        iterable of batches -- a list/generator of arrays, or a
        ``keras.utils.PyDataset``; a batch that is an ``(x, y)`` tuple
        contributes its ``x``. ``steps`` limits the number of batches.
        """
        if self.input_mean is not None:
            raise ValueError(
                "Normalization: adapt() cannot change a mean and variance given to the "
                "constructor. Fix: create the layer without mean=/variance= to adapt it.")
        batches = self._batches(data, steps)
        count, mean, m2 = 0, None, None
        for batch in batches:
            if not self.built:
                self.build(batch.shape)
            n_b, mean_b, m2_b = self._batch_moments(batch)
            if count == 0:
                count, mean, m2 = n_b, mean_b, m2_b
                continue
            total = count + n_b                        # Chan's merge of two parts
            delta = mean_b - mean
            mean = mean + delta * (n_b / total)
            m2 = m2 + m2_b + delta ** 2 * (count * n_b / total)
            count = total
        if count == 0:
            raise ValueError("Normalization: adapt() got no data. Fix: pass a non-empty "
                             "array or at least one batch.")
        self.adapt_mean.assign(mean.astype(self.dtype))
        self.adapt_variance.assign((m2 / count).astype(self.dtype))
        self.finalize_state()

    def finalize_state(self):
        """``mean``/``variance`` as Keras shows them after ``adapt`` or a load: the learned
        statistics reshaped to broadcast against the input, e.g. ``(1, 1, 1, 3)``."""
        if self.input_mean is None and self.built:
            self.mean, self.variance = (np.array(s) for s in self._statistics())

    def _batch_moments(self, batch):
        """Count, mean and sum of squared deviations over the reduced axes (float64)."""
        batch = np.asarray(backend.to_host(batch), dtype=np.float64)
        if batch.ndim != len(self._build_input_shape):
            raise ValueError(
                f"Normalization: adapt() got a batch of rank {batch.ndim}; the layer was "
                f"built for rank {len(self._build_input_shape)} inputs "
                f"{self._build_input_shape}.")
        shape = tuple(batch.shape[d] for d in self._keep_axis)
        count = int(np.prod([batch.shape[d] for d in self._reduce_axis]))
        mean = batch.mean(axis=self._reduce_axis).reshape(shape)
        m2 = ((batch - mean.reshape([batch.shape[d] if d in self._keep_axis else 1
                                     for d in range(batch.ndim)])) ** 2
              ).sum(axis=self._reduce_axis).reshape(shape)
        return count, mean, m2

    @staticmethod
    def _batches(data, steps):
        """An array is one batch; a PyDataset, list or generator gives several."""
        if isinstance(data, np.ndarray) or backend.is_device_array(data) or \
                np.isscalar(data):
            return [data]
        if hasattr(data, "__getitem__") and hasattr(data, "__len__") and \
                not isinstance(data, (list, tuple)):
            n = len(data) if steps is None else min(steps, len(data))   # a PyDataset
            items = (data[i] for i in range(n))
        else:
            items = iter(data)

        def first(batch):
            return batch[0] if isinstance(batch, tuple) else batch

        def limited():
            for i, batch in enumerate(items):
                if steps is not None and i >= steps:
                    return
                yield first(batch)
        return limited()

    # ------------------------------------------------------------------ forward, backward
    def forward(self, x, training=False):
        mean, variance = self._statistics()
        std = np.maximum(np.sqrt(variance), EPSILON).astype(x.dtype)
        mean = np.asarray(mean, dtype=x.dtype)
        y = mean + x * std if self.invert else (x - mean) / std
        return y, std

    def backward(self, cache, grad_out):
        std = cache
        return grad_out * std if self.invert else grad_out / std

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis, "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist()})
        return config
