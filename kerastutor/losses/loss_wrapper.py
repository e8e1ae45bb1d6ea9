"""A plain function ``fn(y_true, y_pred) -> values`` used as a loss.

Keras lets ``compile(loss=fn)`` take any function. kerastutor has no
autograd under its own objects, so the gradient of such a function comes
from the op tape of :mod:`kerastutor.ops`: written with ``keras.ops`` it
trains; written with raw NumPy it only gives values.
"""
import numpy as np

from kerastutor import backend, ops
from kerastutor.losses.loss import Loss, _invalid


class LossFunctionWrapper(Loss):
    """A plain ``fn(y_true, y_pred) -> per-sample values`` used as a loss.

    Written with :mod:`kerastutor.ops` (``ops.mean(ops.square(y_true -
    y_pred), axis=-1)``), the function trains: it runs on the op tape with
    ``y_pred`` traced, and its gradient is the tape's backward pass. Written
    with raw NumPy it still gives values (``evaluate`` works), but training
    explains that its derivative is unknown.

    Parameters
    ----------
    fn : callable
        ``fn(y_true, y_pred, **kwargs)`` returning one value per sample
        (or a single number for the batch).
    **kwargs
        Passed on to ``fn``.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None,
                 **kwargs):
        if not callable(fn):
            raise _invalid("LossFunctionWrapper", "fn", "a function fn(y_true, y_pred)", fn)
        own_name = getattr(fn, "__name__", "")
        super().__init__(name=name or (own_name if own_name.isidentifier() else None),
                         reduction=reduction, dtype=dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def forward(self, y_true, y_pred):
        tape = ops.Tape()
        traced = tape.watch(y_pred)
        try:
            with tape:
                out = self.fn(y_true, traced, **self.fn_kwargs)
        except TypeError as err:
            if str(err) != ops.RAW_NUMPY_HINT:
                raise
            # Raw NumPy: fine for the value, but there is nothing to differentiate.
            values = backend.asarray(self.fn(y_true, y_pred, **self.fn_kwargs), dtype=y_pred.dtype)
            return values, None
        return backend.asarray(ops._value(out), dtype=y_pred.dtype), (tape, traced, out)

    def backward(self, cache):
        if cache is None or not isinstance(cache[2], ops.Traced):
            raise NotImplementedError(
                f"The loss {self.name!r} is computed with plain NumPy, so kerastutor cannot "
                "know its gradient. Write it with keras.ops (ops.mean, ops.square, ...), "
                "whose ops record their derivatives, or subclass keras.losses.Loss and "
                "write forward(y_true, y_pred) -> (values, cache) and backward(cache).")
        tape, traced, out = cache
        # Each value depends on its own sample only, so one backward pass with an
        # upstream of ones gives every d value_i / d y_pred_i at once.
        grads = tape.backward(out, np.ones_like(out.value))
        return grads.get(id(traced), np.zeros_like(traced.value))

    def get_config(self):
        return {**super().get_config(), "fn": getattr(self.fn, "__name__", repr(self.fn)),
                **self.fn_kwargs}

    @classmethod
    def from_config(cls, config):
        """The wrapper a :meth:`get_config` dict describes; ``fn`` must be a function here.

        A config read from a file names its function by a string;
        :func:`kerastutor.losses.deserialize` turns that name into the
        function (a Keras loss function, or one from ``custom_objects``).
        """
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, str):
            raise ValueError(f"LossFunctionWrapper.from_config: `fn` is the name {fn!r}, not "
                             "a function. Hint: use keras.losses.deserialize(config, "
                             f"custom_objects={{{fn!r}: {fn}}}), which looks the name up.")
        return cls(fn, **config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn!r}, kwargs={self.fn_kwargs})>"
