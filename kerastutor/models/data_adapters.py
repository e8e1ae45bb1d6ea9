"""Batches from any source: arrays, a ``PyDataset``, a Python generator.

The fit loop does not care where a batch comes from. It asks for one epoch
of ``(step, (xs, ys, sample_weight))`` pairs and trains on each; this module
turns what the user passed as ``x`` into those pairs:

* **arrays** (:class:`ArrayBatches`) -- slices of arrays already in memory,
  reshuffled sample by sample each pass (the path ``fit`` always had);
* **a PyDataset** (:class:`PyDatasetBatches`) -- ``dataset[i]`` for each
  batch index ``i``, the *indices* shuffled each epoch with Python's
  ``random.shuffle`` (Keras's choice), optionally fetched ahead of time by
  worker threads or processes (:class:`Prefetcher`);
* **a Python generator** (:class:`GeneratorBatches`) -- whatever it yields,
  in order; it cannot be rewound, so only its first two batches (read ahead,
  as Keras does) can be replayed once it is exhausted.

For the two streams :class:`StreamEpochs` cuts the stream into epochs with
Keras 3.15.1's rules (``trainers/epoch_iterator.py``): with
``steps_per_epoch`` the next epoch *continues* where the last one stopped;
without it an epoch is one full pass; a stream that ends too early stops the
epoch with "Your input ran out of data". Each raw batch is checked and
converted with the same code as arrays (:func:`~kerastutor.models.training.prepare_data`),
so a bad batch gets the same explanation a bad array gets.

**The first-batch peek.** Keras builds a model *symbolically* from one batch
before the first ``fit``/``evaluate`` after ``compile``: it calls
``on_epoch_begin``, reads one batch (the first of a shuffled order), then
``on_epoch_end``. kerastutor has no symbolic build, but it needs a batch for
the same reason -- to build the model and to resolve ``"accuracy"`` from the
targets' shape -- so it does the same peek (:meth:`StreamEpochs.peek`). A
``PyDataset`` therefore sees the very calls it sees under Keras, and a
dataset that reshuffles its samples in ``on_epoch_end`` gets the same order.
"""
import collections
import concurrent.futures
import itertools
import math
import multiprocessing
import random
import types

import numpy as np

from kerastutor import backend
from kerastutor.models import training
from kerastutor.utils.py_dataset import PyDataset

#: Keras's words when a stream ends before ``steps_per_epoch * epochs`` batches.
RAN_OUT_OF_DATA = (
    "Your input ran out of data; interrupting training. Make sure that your dataset or "
    "generator can generate at least `steps_per_epoch * epochs` batches. You may need to "
    "use the `.repeat()` function when building your dataset.")

#: Batches a generator is read ahead when it is first seen (Keras: NUM_BATCHES_FOR_TENSOR_SPEC).
GENERATOR_PEEK = 2


# ============================================================== which source?
def is_stream(x):
    """A ``PyDataset`` or a Python generator: data that arrives batch by batch."""
    return isinstance(x, (PyDataset, types.GeneratorType))


def stream_name(x):
    return "a PyDataset" if isinstance(x, PyDataset) else "a generator"


def refuse_stream_extras(x, y=None, sample_weight=None, class_weight=None,
                         validation_split=0.0):
    """The arguments Keras forbids with a stream, with Keras's sentence and the fix."""
    what, the = stream_name(x), ("the PyDataset" if isinstance(x, PyDataset)
                                 else "the generator")
    if y is not None:
        raise ValueError(
            f"When providing `x` as {what}, `y` should not be passed. Instead, the targets "
            f"should be included as part of {the}. Fix: return (x, y) batches from {the} "
            "and call fit(x) without y.")
    if sample_weight is not None:
        raise ValueError(
            f"When providing `x` as {what}, `sample_weights` should not be passed. Instead, "
            f"the sample weights should be included as part of {the}. Fix: return "
            f"(x, y, sample_weight) batches from {the}.")
    if class_weight is not None and isinstance(x, types.GeneratorType):
        raise ValueError(
            "Argument `class_weight` is not supported for Python generator inputs. "
            f"Received: class_weight={class_weight} Fix: yield (x, y, sample_weight) "
            "batches with the weights you want, or wrap the data in a "
            "keras.utils.PyDataset, which accepts class_weight.")
    if validation_split:
        raise ValueError(
            "Argument `validation_split` is only supported for tensors or NumPy arrays."
            f"Found incompatible type in the input: [{type(x)}] Fix: pass the validation "
            "batches as validation_data=... (arrays, a PyDataset or a generator).")


# ============================================================== the one entry point
def for_fit(model, state, x, y, sample_weight, class_weight, batch_size, steps_per_epoch,
            shuffle, validation_split, custom=False):
    """``fit``'s training batches, and the ``(xs, ys, sw)`` split off for validation (or None).

    Arrays go through :func:`~kerastutor.models.training.prepare_data` once,
    here; a stream's batches go through it one at a time, as they arrive.
    For a model with its own ``train_step`` (``custom=True``) the data is only
    batched (:func:`as_given`): the step decides what it means.
    """
    convert = as_given if custom else batch_converter(model, state, "fit", class_weight)
    if is_stream(x):
        refuse_stream_extras(x, y, sample_weight, class_weight, validation_split)
        if isinstance(x, PyDataset):
            source = PyDatasetBatches(x, shuffle=shuffle)
        else:
            source = GeneratorBatches(x)
            if shuffle:
                backend.warn_user(
                    "`shuffle=True` was passed, but will be ignored since the data `x` was "
                    "provided as a generator. The generator is expected to yield "
                    "already-shuffled data.")
        batches = StreamEpochs(source, steps_per_epoch, convert)
        batches.start(read_one_batch=needs_build(model, state))
        return batches, None
    if custom:
        xs, ys, sw = as_given((x, y, sample_weight))
    else:
        xs, ys, sw = training.prepare_data(model, state, x, y, sample_weight, "fit")
    if class_weight is not None:
        training.check_class_weight(model, class_weight, ys, "fit")
        sw = training.class_weights_for_fit(ys, class_weight, sample_weight)
    split = None
    if validation_split:
        (xs, ys, sw), split = training.split_validation(xs, ys, sw, validation_split)
    batch_size = training.batch_size_for(batch_size, len(xs[0]), steps_per_epoch)
    return ArrayBatches(xs, ys, sw, batch_size, shuffle, steps_per_epoch), split


def for_evaluation(model, state, x, y, sample_weight, batch_size, steps, what="evaluate",
                   custom=False):
    """Batches for ``evaluate`` (or ``fit``'s validation): in order, never shuffled."""
    if is_stream(x):
        refuse_stream_extras(x, y, sample_weight)
        source = PyDatasetBatches(x) if isinstance(x, PyDataset) else GeneratorBatches(x)
        return StreamEpochs(source, steps,
                            as_given if custom else batch_converter(model, state, "evaluate"))
    if custom:
        xs, ys, sw = as_given((x, y, sample_weight))
    else:
        xs, ys, sw = training.prepare_data(model, state, x, y, sample_weight, what)
    batch_size = batch_size or 32
    return ArrayBatches(xs, ys, sw, batch_size, steps=_capped(len(xs[0]), batch_size, steps))


def for_prediction(model, x, batch_size, steps, custom=False):
    """Batches of inputs for ``predict`` (a stream's targets, if any, are dropped)."""
    check = (lambda data: as_given((data, None, None))[0]) if custom else model._checked_inputs
    if is_stream(x):
        source = PyDatasetBatches(x) if isinstance(x, PyDataset) else GeneratorBatches(x)
        return StreamEpochs(source, steps, lambda batch: (check(batch[0]), [], None))
    xs = check(x)
    n = training.num_samples(xs, "x")
    batch_size = batch_size or 32
    return ArrayBatches(xs, [], None, batch_size, steps=_capped(n, batch_size, steps))


def validation_batches(model, state, validation_data, split, batch_size, steps):
    """``validation_data`` (arrays, a PyDataset or a generator) or the split, as batches."""
    if validation_data is None:
        if split is None:
            return None
        batch_size = batch_size or 32
        return ArrayBatches(*split, batch_size,
                            steps=_capped(len(split[0][0]), batch_size, steps))
    if is_stream(validation_data):
        return for_evaluation(model, state, validation_data, None, None, batch_size, steps,
                              custom=model._overrides("test_step"))
    if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
            f"val_sample_weight), a PyDataset or a generator; got {type(validation_data)}. "
            "Fix: e.g. validation_data=(x_val, y_val).")
    x_val, y_val, sw_val = (tuple(validation_data) + (None,))[:3]
    return for_evaluation(model, state, x_val, y_val, sw_val, batch_size, steps,
                          "validation_data", custom=model._overrides("test_step"))


def as_given(batch):
    """``(x, y, sample_weight)`` as lists of arrays, unchecked: for a model's own steps.

    A model that overrides ``train_step``/``test_step``/``predict_step`` reads
    its data itself (a GAN's ``fit(images)`` has no targets and the model
    maybe no ``call``), so nothing is checked against the model; float arrays
    become ``floatx`` as Keras's data adapters make them.
    """
    x, y, sample_weight = (tuple(batch) + (None, None))[:3]
    parts = [[] if data is None else
             [_floatx(a) for a in (data if isinstance(data, (list, tuple)) else [data])]
             for data in (x, y)]
    return parts[0], parts[1], None if sample_weight is None else _floatx(sample_weight)


def _floatx(array):
    array = np.asarray(array)
    return array.astype(backend.floatx()) if array.dtype.kind == "f" else array


def needs_build(model, state):
    """Keras peeks at one batch while the model or compile's losses/metrics are not built."""
    return not model.built or not state.resolved


def start(batches, model, state):
    """Before an evaluation run: a stream peeks (if needed) and resets; arrays rewind."""
    if isinstance(batches, StreamEpochs):
        batches.start(read_one_batch=needs_build(model, state))
    else:
        batches.reset()


def batch_converter(model, state, what, class_weight=None):
    """A function turning a raw ``(x,)``, ``(x, y)`` or ``(x, y, sw)`` into checked arrays.

    The checks are those of arrays (:func:`~kerastutor.models.training.prepare_data`);
    ``class_weight`` becomes sample weights batch by batch, as Keras does.
    """
    def convert(batch):
        x, y, sample_weight = (tuple(batch) + (None, None))[:3]
        if class_weight is not None and sample_weight is not None:
            raise ValueError(
                "You cannot specify `class_weight` and `sample_weight` at the same time. "
                "Fix: return (x, y) batches and pass class_weight, or fold the class "
                "weights into the sample weights the dataset returns.")
        xs, ys, sw = training.prepare_data(model, state, x, y, sample_weight, what)
        if class_weight is not None:
            training.check_class_weight(model, class_weight, ys, what)
            sw = training.class_weights_for_fit(ys, class_weight, None)
        return xs, ys, sw
    return convert


def _capped(n, batch_size, steps):
    """Batches in one pass over ``n`` samples, at most ``steps`` when given."""
    total = math.ceil(n / batch_size)
    return total if steps is None else min(total, steps)


# ============================================================== arrays
class ArrayBatches:
    """Batches sliced from arrays in memory, ``steps`` per epoch.

    The order of the samples comes from :class:`~kerastutor.models.training.BatchIterator`:
    a new permutation each pass when ``shuffle=True``, contiguous slices (views,
    no copies) otherwise. With ``steps`` smaller than a pass, the next epoch
    continues where this one stopped.
    """

    def __init__(self, xs, ys, sample_weight, batch_size, shuffle=False, steps=None):
        self.xs, self.ys, self.sample_weight = xs, ys, sample_weight
        n = len(xs[0])
        self.batch_size = batch_size
        self.order = training.BatchIterator(n, batch_size, shuffle)
        total = math.ceil(n / batch_size)
        self.steps = total if steps is None else steps

    def reset(self):
        """Start again from the first sample (an evaluation pass)."""
        self.order.position = self.order.n

    def epoch(self):
        """``(step, (xs, ys, sample_weight))`` for the batches of one epoch."""
        xs, ys, sw = self.xs, self.ys, self.sample_weight
        for step in range(self.steps):
            index = self.order.next()
            yield step, ([a[index] for a in xs], [a[index] for a in ys],
                         None if sw is None else sw[index])


# ============================================================== streams
class PyDatasetBatches:
    """``dataset[i]`` for each batch index, the indices shuffled each epoch if asked."""

    def __init__(self, dataset, shuffle=False):
        self.dataset = dataset
        self.shuffle = shuffle
        if shuffle and dataset.num_batches is None:
            backend.warn_user(
                "`shuffle=True` was passed, but will be ignored since the data `x` was "
                "provided as an infinite PyDataset. The PyDataset is expected to already be shuffled.")
            self.shuffle = False
        workers, processes = dataset.workers, dataset.use_multiprocessing
        self.prefetcher = None
        if workers > 1 or (workers > 0 and processes):       # Keras's rule
            self.prefetcher = Prefetcher(dataset, workers, processes, dataset.max_queue_size)

    @property
    def num_batches(self):
        return self.dataset.num_batches

    def on_epoch_begin(self):
        self.dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.dataset.on_epoch_end()

    def indices(self):
        """0, 1, 2, ... (forever for an endless dataset), or this epoch's shuffled order."""
        count = self.dataset.num_batches
        if count is None:
            return itertools.count()
        order = list(range(count))
        if self.shuffle:
            random.shuffle(order)        # Python's global random, as Keras
        return order

    def batches(self):
        """The raw batches, in index order (read inline, or ahead by the prefetcher).

        A generator: nothing happens -- not even the shuffle -- until the
        first batch is asked for, as in Keras.
        """
        indices = self.indices()
        if self.prefetcher is None:
            for index in indices:
                yield self.dataset[index]
        else:
            yield from self.prefetcher.fetch(indices)

    def standardize(self, batch):
        """Keras's rule: an array is ``(x,)``, a list a tuple, a dict is ``x`` alone."""
        if isinstance(batch, dict):
            return (batch,)
        if isinstance(batch, list):
            batch = tuple(batch)
        elif not isinstance(batch, tuple):
            batch = (batch,) if hasattr(batch, "shape") else batch
        if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
            raise ValueError(
                "PyDataset.__getitem__() must return a tuple or a dict. If a tuple, it must "
                "be ordered either (input,) or (inputs, targets) or (inputs, targets, "
                f"sample_weights). Received: {str(batch)[:100]}... of type {type(batch)} "
                f"Fix: make {type(self.dataset).__name__}.__getitem__ return e.g. "
                "(x_batch, y_batch).")
        return batch


class GeneratorBatches:
    """A Python generator's batches; its first two are read ahead and kept.

    Every epoch starts again from the two kept batches, followed by whatever
    the generator still has -- so once it is exhausted, an epoch replays
    those two batches only (Keras 3.15.1 does exactly this).
    """

    num_batches = None                   # unknown until the generator ends

    def __init__(self, generator):
        self.generator = generator
        self.first = list(itertools.islice(generator, GENERATOR_PEEK))
        if not self.first:
            raise ValueError(
                "When passing a Python generator to a Keras model, the generator must yield "
                "at least one batch. Received an empty generator. Fix: check that the "
                "generator yields, and that it was not used up by an earlier call (a "
                "generator can be read only once; create a new one for each fit).")
        if not isinstance(self.first[0], tuple):
            raise ValueError(
                "When passing a Python generator to a Keras model, the generator must return "
                "a tuple, either (input,) or (inputs, targets) or (inputs, targets, "
                f"sample_weights). Received: {self.first[0]} Fix: `yield x, y` (a tuple), "
                "not a list or a bare array.")

    def on_epoch_begin(self):
        pass

    def on_epoch_end(self):
        pass

    def batches(self):
        return itertools.chain(self.first, self.generator)

    def standardize(self, batch):
        """Keras unpacks later batches leniently: a list is a tuple, anything else ``x``."""
        if isinstance(batch, list):
            return tuple(batch)
        return batch if isinstance(batch, tuple) else (batch,)


class StreamEpochs:
    """Cuts a stream into epochs, as Keras's ``EpochIterator`` does.

    ``convert`` turns a raw ``(x, y, sample_weight)`` tuple into checked
    lists of arrays. ``steps`` (``steps_per_epoch`` or ``steps``) limits an
    epoch; then the stream is *not* restarted for the next epoch, which
    continues where this one stopped (an endless dataset simply goes on).
    """

    def __init__(self, source, steps, convert):
        self.source = source
        self.steps_per_epoch = steps
        self.convert = convert
        self.num_batches = source.num_batches
        self._iterator = None
        self._seen = 0

    @property
    def steps(self):
        """Batches in an epoch, ``None`` when unknown (the progress bar says ``Unknown``)."""
        return self.steps_per_epoch or self.num_batches

    def start(self, read_one_batch):
        """Before a run: Keras's build peek when asked, then :meth:`reset`.

        The peek is ``on_epoch_begin`` and one batch, read (as Keras does) only
        to build the model and resolve compile's names from its shapes.
        """
        batch = None
        if read_one_batch:
            self.source.on_epoch_begin()
            self._iterator = iter(self.source.batches())
            batch = next(self._iterator, None)
        self.reset()
        if batch is not None:
            self.convert(self.source.standardize(batch))    # builds the model, resolves compile

    def reset(self):
        """Forget the current pass (the next epoch starts a fresh one); ``on_epoch_end``."""
        self._close()
        self._seen = 0
        self.num_batches = self.source.num_batches
        self.source.on_epoch_end()

    def epoch(self):
        """``(step, (xs, ys, sample_weight))`` for the batches of one epoch."""
        self.source.on_epoch_begin()
        if self.steps is None:
            return (yield from self._until_the_end())
        return (yield from self._counted(self.steps))

    def _until_the_end(self):
        """Length unknown (a generator without steps_per_epoch): read until it ends."""
        self._open()
        for step in itertools.count():
            self._seen = step + 1
            batch = next(self._iterator, _END)
            if batch is _END:
                return self._ran_out()
            yield step, self.convert(self.source.standardize(batch))

    def _counted(self, steps):
        """``steps`` batches, continuing the pass the last epoch left unfinished."""
        if self._iterator is None or self.steps_per_epoch is None:
            self._open()
        for step in range(steps):
            if self.num_batches and self._seen >= self.num_batches:
                if self.steps_per_epoch:
                    backend.warn_user(RAN_OUT_OF_DATA)
                break
            self._seen += 1
            batch = next(self._iterator, _END)
            if batch is _END:
                return self._ran_out()
            yield step, self.convert(self.source.standardize(batch))
        if self.num_batches and self._seen >= self.num_batches:
            self._open()                  # a full pass done: the next epoch starts afresh
        self.source.on_epoch_end()

    def _open(self):
        self._close()
        self._iterator = iter(self.source.batches())
        self._seen = 0

    def _close(self):
        """Stop an unfinished pass (and the prefetcher's workers behind it)."""
        close = getattr(self._iterator, "close", None)    # a chain (generator) has none
        if close is not None:
            close()
        self._iterator = None

    def _ran_out(self):
        """The stream ended before the epoch did: Keras's warning, and a fresh start next."""
        if self.num_batches is None:
            self.num_batches = self._seen
        backend.warn_user(RAN_OUT_OF_DATA)
        self._iterator = None
        self.source.on_epoch_end()


_END = object()


# ============================================================== prefetching
class Prefetcher:
    """Fetches upcoming batches in worker threads (or processes), hands them out in order.

    Up to ``max_queue_size`` requests ``dataset[i]`` are in flight at once; the
    batch handed out next is always the one for the next index, whichever
    worker finishes first. Threads share the dataset; processes get a copy of
    it when they start (``fork``) and send each batch back pickled. Python's
    threads run NumPy code in parallel (NumPy releases the GIL in its loops),
    so threads are usually enough.
    """

    def __init__(self, dataset, workers, use_multiprocessing, max_queue_size):
        self.dataset = dataset
        self.workers = max(1, workers)
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max(1, max_queue_size)

    def _pool(self):
        if not self.use_multiprocessing:
            return concurrent.futures.ThreadPoolExecutor(self.workers)
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        return concurrent.futures.ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_remember_dataset,
            initargs=(self.dataset,))

    def fetch(self, indices):
        """A generator of ``dataset[i]`` for ``i`` in ``indices``, in that order."""
        pool = self._pool()
        fetch_one = _batch_in_worker if self.use_multiprocessing else self.dataset.__getitem__
        pending = collections.deque()
        indices = iter(indices)
        try:
            for index in itertools.islice(indices, self.max_queue_size):
                pending.append(pool.submit(fetch_one, index))
            while pending:
                batch = pending.popleft().result()
                for index in itertools.islice(indices, 1):     # keep the queue full
                    pending.append(pool.submit(fetch_one, index))
                yield batch
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


_WORKER_DATASET = None


def _remember_dataset(dataset):
    """Runs once in each worker process: keep the dataset it will read from."""
    global _WORKER_DATASET
    _WORKER_DATASET = dataset


def _batch_in_worker(index):
    return _WORKER_DATASET[index]
