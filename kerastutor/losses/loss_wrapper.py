"""A plain function ``fn(y_true, y_pred) -> values`` used as a loss.

Keras lets ``compile(loss=fn)`` take any function. kerastutor has no
autograd under its own objects, so the gradient of such a function comes
from the op tape of :mod:`kerastutor.ops`, exactly as for a
:class:`~kerastutor.losses.Loss` subclass that defines only ``call``:
written with ``keras.ops`` it trains; written with raw NumPy it only gives
values, and training says which ``keras.ops`` function to use instead.
"""
from kerastutor.losses.loss import Loss, _invalid


class LossFunctionWrapper(Loss):
    """A plain ``fn(y_true, y_pred) -> per-sample values`` used as a loss.

    Written with :mod:`kerastutor.ops` (``ops.mean(ops.square(y_true -
    y_pred), axis=-1)``), the function trains: it is this loss's ``call``,
    which :class:`Loss` runs on the op tape with ``y_pred`` traced, and its
    gradient is the tape's backward pass. Written with raw NumPy it still
    gives values (``evaluate`` works), but training raises an error naming
    the ``keras.ops`` function to use instead.

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

    def call(self, y_true, y_pred):
        """The function's values; :class:`Loss` runs this on the op tape to train."""
        return self.fn(y_true, y_pred, **self.fn_kwargs)

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
