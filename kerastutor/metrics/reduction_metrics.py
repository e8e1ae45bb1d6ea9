r"""Reductions: the weighted mean and sum, and the wrapper that makes a metric of a function.

Most metrics are a weighted mean of one value :math:`v_i` per sample,

.. math::

    \text{result} = \frac{\text{total}}{\text{count}}
                  = \frac{\sum_i w_i\, v_i}{\sum_i w_i},

so :class:`Mean` is their engine and :class:`MeanMetricWrapper` turns a
per-sample function :math:`v_i = f(y_i, \hat y_i)` into such a mean. The
families (accuracy, regression, probabilistic, hinge, correlation) are then
little more than their per-sample formula and a
:class:`FixedMeanMetricWrapper` subclass around it.
"""
import numpy as np

from kerastutor import backend
from kerastutor.backend import did_you_mean
from kerastutor.metrics.metric import Metric, broadcast_weights, divide_no_nan, match_ranks, \
    to_python

__all__ = ["Mean", "Sum", "MeanMetricWrapper", "FixedMeanMetricWrapper"]

#: Per-sample functions by name, for ``MeanMetricWrapper.from_config``. The
#: package fills it (see :func:`register_functions`) once every family is loaded.
_FUNCTIONS = {}


def register_functions(*functions):
    """Make per-sample functions known to ``MeanMetricWrapper.from_config`` by name."""
    _FUNCTIONS.update({fn.__name__: fn for fn in functions})


def reduce_per_sample(owner, values, sample_weight, reduce):
    """One value (and one weight) per sample, as Keras's ``Mean`` and ``Sum`` see a batch.

    1. A trailing axis of 1 is squeezed or added so weights and values line up.
    2. Values with more axes than the weights are reduced over the extra axes.
    3. Values are multiplied by the (broadcast) weights; weights of rank > 1
       are reduced to one per sample.
    4. Whatever non-batch axes the values still have are reduced.

    ``reduce`` is ``np.mean`` for ``Mean`` and ``np.sum`` for ``Sum``.
    Returns ``(values, weights)``; ``weights`` is ``None`` without weights.
    """
    if sample_weight is not None:
        weights = backend.asarray(sample_weight, dtype=values.dtype)
        values, weights = match_ranks(values, weights)
        if values.ndim > weights.ndim:
            values = reduce(values, axis=tuple(range(weights.ndim, values.ndim)))
        weights = broadcast_weights(owner, weights, values.shape)
        values = values * weights
        if weights.ndim > 1:
            weights = reduce(weights, axis=tuple(range(1, weights.ndim)))
    else:
        weights = None
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weights


class Mean(Metric):
    r"""The weighted mean of every value seen.

    .. math::

        \text{total} \mathrel{+}= \sum_i w_i v_i, \qquad
        \text{count} \mathrel{+}= \sum_i w_i, \qquad
        \text{result} = \text{total} / \text{count}

    Values with extra axes are first averaged to one value per sample; with
    no weights, ``count`` grows by the number of samples. An empty metric
    reports 0.

    Examples
    --------
    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")
        self.count = self.add_variable(name="count")

    def update_state(self, values, sample_weight=None):
        values = backend.asarray(values, dtype=self.dtype)
        self._keep_state_with(values)              # on a GPU: sums added there, not read
        values, weights = reduce_per_sample(self.name, values, sample_weight, np.mean)
        self.total.assign_add(np.sum(values))
        if weights is not None:
            self.count.assign_add(np.sum(weights))
        else:
            self.count.assign_add(len(values) if values.ndim else 1)

    def result(self):
        return to_python(divide_no_nan(self.total.value, self.count.value))


class Sum(Metric):
    r"""The weighted sum of every value seen: :math:`\text{total} \mathrel{+}= \sum_i w_i v_i`.

    Examples
    --------
    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    4.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(name="total")

    def update_state(self, values, sample_weight=None):
        values = backend.asarray(values, dtype=self.dtype)
        self._keep_state_with(values)
        values, _ = reduce_per_sample(self.name, values, sample_weight, np.sum)
        self.total.assign_add(np.sum(values))

    def result(self):
        return to_python(self.total.value)


class MeanMetricWrapper(Mean):
    r"""Turn a per-sample function into a metric: the :class:`Mean` of ``fn(y_true, y_pred)``.

    .. math:: \text{result} = \frac{\sum_i w_i\, f(y_i, \hat y_i)}{\sum_i w_i}

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, **kwargs)`` returning one value per sample (or
        per element; extra axes are averaged).
    name : str or None
        ``None`` gives ``"mean_metric_wrapper"`` (made unique), as in Keras.
    dtype : str or None
        Dtype of the running sums.
    **kwargs
        Passed on to ``fn`` at every update (e.g. ``threshold=0.7``).
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise ValueError(f"MeanMetricWrapper: `fn` must be a function fn(y_true, y_pred), "
                             f"got {fn!r}.")
        super().__init__(name=name, dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self.fn(y_true, y_pred, **self.fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        fn_name = getattr(self.fn, "__name__", None)
        return {"name": self.name, "dtype": self.dtype, "fn": fn_name, **self.fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" not in config:
            # Subclasses such as Accuracy fix their function and leave it out.
            return cls(**config)
        fn = config.pop("fn")
        if isinstance(fn, str):
            if fn not in _FUNCTIONS:
                raise ValueError(
                    f"MeanMetricWrapper.from_config: unknown function {fn!r}."
                    f"{did_you_mean(fn, _FUNCTIONS)} Known functions: "
                    f"{', '.join(sorted(_FUNCTIONS))}. Hint: rebuild custom functions with "
                    "MeanMetricWrapper(fn) directly.")
            fn = _FUNCTIONS[fn]
        return cls(fn, **config)


class FixedMeanMetricWrapper(MeanMetricWrapper):
    """A :class:`MeanMetricWrapper` whose class fixes the function: ``Accuracy``, ``Poisson``, ...

    A subclass sets ``_fn`` (the per-sample function, often the very one
    :mod:`kerastutor.losses` differentiates) and ``_options`` (the keyword
    arguments Keras writes into its config). Options passed to ``__init__``
    go to the function at every update and become attributes
    (``BinaryAccuracy().threshold``); the config holds the name, the dtype
    and the ``_options`` -- never the function, which the class implies.
    """

    _fn = None
    _options = ()

    def __init__(self, name, dtype=None, **options):
        super().__init__(type(self)._fn, name=name, dtype=dtype, **options)
        for option, value in options.items():
            setattr(self, option, value)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype,
                **{option: getattr(self, option) for option in self._options}}
