"""``keras.utils.PyDataset`` (also ``keras.utils.Sequence``): data that arrives batch by batch.

Arrays fit in memory; a folder of 50,000 images does not. A ``PyDataset``
hands ``fit`` one *batch* at a time: you say how many batches there are
(``__len__``) and how to make batch number ``i`` (``__getitem__``), and the
training loop asks for them in order -- or, with ``shuffle=True``, in a new
random order of the batch *indices* each epoch (the samples inside a batch
stay as they are). A batch is ``x``, ``(x,)``, ``(x, y)`` or
``(x, y, sample_weight)``, or a dict of named inputs.

``workers``, ``use_multiprocessing`` and ``max_queue_size`` ask the loop to
prepare the next batches in threads (or processes) while the model trains on
the current one. They belong to the dataset, not to ``fit``, as in Keras.
"""
import itertools
import warnings

#: Keras's words when a subclass forgets ``super().__init__(**kwargs)``.
FORGOT_SUPER_INIT = (
    "Your `PyDataset` class should call `super().__init__(**kwargs)` in its constructor. "
    "`**kwargs` can include `workers`, `use_multiprocessing`, `max_queue_size`. Do not pass "
    "these arguments to `fit()`, as they will be ignored.")

_DEFAULTS = {"workers": 1, "use_multiprocessing": False, "max_queue_size": 10}


class PyDataset:
    """Base class for datasets that produce whole batches on request.

    Subclass it, call ``super().__init__(**kwargs)``, and define
    ``__getitem__(index)`` (one full batch) and ``__len__()`` (the number of
    batches). Override :attr:`num_batches` to return ``None`` for an endless
    dataset (then ``fit`` needs ``steps_per_epoch``).
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _setting(self, name):
        """A parallelism setting; Keras's warning (and the default) if ``__init__`` was skipped."""
        if f"_{name}" not in self.__dict__:
            warnings.warn(FORGOT_SUPER_INIT, stacklevel=3)
            for key, value in _DEFAULTS.items():
                self.__dict__.setdefault(f"_{key}", value)
        return self.__dict__[f"_{name}"]

    @property
    def workers(self):
        return self._setting("workers")

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        return self._setting("use_multiprocessing")

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        return self._setting("max_queue_size")

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """Batch number ``index``: ``x``, ``(x,)``, ``(x, y)``, ``(x, y, sample_weight)``."""
        raise NotImplementedError(
            f"{type(self).__name__} must define __getitem__(self, index), returning one full "
            "batch such as (x, y).")

    @property
    def num_batches(self):
        """The number of batches (``len(self)``), or ``None`` for an endless dataset."""
        if hasattr(type(self), "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must define __len__(self) (the number of batches), or "
            "override num_batches to return None for an endless dataset.")

    def on_epoch_begin(self):
        """Called before each epoch's first batch (and once more for a first peek)."""

    def on_epoch_end(self):
        """Called after each epoch: a good place to reshuffle your samples."""

    def __iter__(self):
        """The batches in order (an endless dataset never stops); no parallelism here."""
        count = self.num_batches
        indices = itertools.count() if count is None else range(count)
        for index in indices:
            yield self[index]


#: Keras 3 keeps the old name as the very same class.
Sequence = PyDataset
