"""Datasets of numbered samples, ``split_dataset``, and indexing a directory of files.

Keras's dataset functions return ``tf.data`` (or grain) pipelines. kerastutor
returns a :class:`SampleDataset`: a :class:`~kerastutor.utils.PyDataset` whose
samples are numbered ``0 .. n-1`` and are made on request by a ``take``
function -- "give me samples 7, 2 and 5, stacked as one batch". An image
dataset's ``take`` reads and resizes those three files; a timeseries dataset's
``take`` cuts three windows out of the array. Only the batch being asked for is
ever in memory.

A ``SampleDataset`` keeps an *order* of its samples. With ``shuffle=True`` the
order is a fresh random permutation every epoch (drawn from
``np.random.RandomState(seed)``, so a seed makes every epoch repeatable), like
tf.data's ``shuffle(reshuffle_each_iteration=True)``; without it, the order is
``0 .. n-1``. ``fit`` calls ``on_epoch_end`` after each epoch, and so does a
complete ``for batch in dataset:`` pass, which is when the next order is drawn.
"""
import math
import os
import random

import numpy as np

from kerastutor.utils.py_dataset import PyDataset


class SampleDataset(PyDataset):
    """Samples ``0 .. num_samples-1``, served in batches by ``take(indices)``.

    ``take`` receives a 1-D integer array of sample numbers and returns one
    batch: an array, or a tuple ``(x, y)`` of arrays, each with those samples
    stacked along axis 0. ``batch_size=None`` serves single samples (the batch
    axis removed). Extra keyword arguments become attributes (``class_names``,
    ``file_paths``).
    """

    def __init__(self, take, num_samples, batch_size=32, shuffle=False, seed=None,
                 **attributes):
        super().__init__()
        self._take = take
        self.num_samples = int(num_samples)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self._rng = np.random.RandomState(seed)
        self.order = self._next_order()
        for name, value in attributes.items():
            setattr(self, name, value)

    def _next_order(self):
        if self.shuffle:
            return self._rng.permutation(self.num_samples)
        return np.arange(self.num_samples)

    def __len__(self):
        """The number of batches (of samples, when ``batch_size`` is None)."""
        if self.batch_size is None:
            return self.num_samples
        return math.ceil(self.num_samples / self.batch_size)

    def __getitem__(self, index):
        """Batch number ``index`` of this epoch's order (the last batch may be smaller)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"{type(self).__name__} index {index} is out of range: the "
                             f"dataset has {len(self)} batches.")
        index %= len(self)
        if self.batch_size is None:
            return _first_sample(self._take(self.order[index:index + 1]))
        start = index * self.batch_size
        return self._take(self.order[start:start + self.batch_size])

    def on_epoch_end(self):
        """Draw the next epoch's order (a new permutation when ``shuffle=True``)."""
        self.order = self._next_order()

    def __iter__(self):
        """One epoch's batches, like iterating a tf.data dataset; then the next order is drawn."""
        yield from super().__iter__()
        self.on_epoch_end()

    def _attributes(self):
        return {name: value for name, value in vars(self).items()
                if name in ("class_names", "file_paths")}

    def batch(self, batch_size):
        """The same samples served ``batch_size`` at a time (as tf.data's ``.batch``)."""
        return SampleDataset(self._take, self.num_samples, batch_size, self.shuffle,
                             self.seed, **self._attributes())

    def subset(self, indices, batch_size="same", shuffle=None, seed=None):
        """A dataset of the samples numbered ``indices`` (in that order); reads nothing now."""
        indices = np.asarray(indices, dtype=int)
        attributes = self._attributes()
        if "file_paths" in attributes:
            attributes["file_paths"] = [attributes["file_paths"][i] for i in indices]
        return SampleDataset(lambda wanted: self._take(indices[wanted]), len(indices),
                             self.batch_size if batch_size == "same" else batch_size,
                             self.shuffle if shuffle is None else shuffle,
                             self.seed if seed is None else seed, **attributes)

    def __repr__(self):
        return (f"<{type(self).__name__}: {self.num_samples} samples, batch_size="
                f"{self.batch_size}, shuffle={self.shuffle}>")


def _first_sample(batch):
    """The only sample of a batch of one: the batch axis removed from each array."""
    if isinstance(batch, tuple):
        return tuple(part[0] for part in batch)
    return batch[0]


def take_rows(arrays):
    """A ``take`` function for in-memory data: an array or a tuple of arrays, indexed by row."""
    if isinstance(arrays, tuple):
        return lambda indices: tuple(a[indices] for a in arrays)
    return lambda indices: arrays[indices]


# ------------------------------------------------------------ pack / unpack
def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """``x``, ``(x, y)`` or ``(x, y, sample_weight)``: the tuple forms ``fit`` reads.

    A single ``x`` stays unwrapped, unless it is a list or tuple of inputs,
    which becomes ``(x,)`` so it is not mistaken for ``(x, y)``.
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from any of ``x``, ``(x,)``, ``(x, y)``, ``(x, y, sw)``; None where absent.

    Useful in a custom ``train_step(self, data)``.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) in (1, 2, 3):
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found: {data}")


# ------------------------------------------------------------- split_dataset
def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Split ``dataset`` in two (train / test): returns ``(left, right)`` datasets.

    ``dataset`` is an array, a tuple (or list) of arrays of equal length, or a
    :class:`~kerastutor.utils.PyDataset`. A size is a fraction in (0, 1) --
    rounded with Python's ``round``, so 0.25 of 10 is 2 -- or a count; the
    missing side is the rest. Without ``shuffle`` the left part is the first
    samples and the right part the last ones (if both sizes are given and add up
    to less than the whole, the middle is left out); ``shuffle=True`` first
    permutes the samples with ``random.Random(seed)``, as Keras's TensorFlow path
    does (Keras on torch shuffles even with ``shuffle=False``: a bug we do not copy).

    Arrays come back as *unbatched* datasets (one sample per item, ``len`` = the
    number of samples); call ``.batch(32)`` to train on one. A batched dataset
    comes back batched with its own batch size. ``preferred_backend`` is
    accepted for compatibility and ignored: the split is NumPy.
    """
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be "
                         "specified. Received: left_size=None and right_size=None")
    source = _as_sample_dataset(dataset)
    left_size, right_size = rescale_split_sizes(left_size, right_size, source.num_samples)
    indices = list(range(source.num_samples))
    if shuffle:
        random.Random(seed).shuffle(indices)
    left = source.subset(indices[:left_size], shuffle=False)
    right = source.subset(indices[len(indices) - right_size:], shuffle=False)
    return left, right


def _as_sample_dataset(dataset):
    """Any accepted ``dataset`` as a :class:`SampleDataset` whose samples can be picked by number."""
    if isinstance(dataset, SampleDataset):
        return dataset
    if isinstance(dataset, PyDataset):
        arrays, batch_size = _unbatch(dataset)
        return SampleDataset(take_rows(arrays), len(_first(arrays)), batch_size)
    arrays = _check_arrays(dataset)
    return SampleDataset(take_rows(arrays), len(_first(arrays)), batch_size=None)


def _first(arrays):
    return arrays[0] if isinstance(arrays, tuple) else arrays


def _check_arrays(dataset):
    """An ndarray, or a tuple of ndarrays that all have the same number of rows."""
    if isinstance(dataset, np.ndarray):
        return dataset
    if not isinstance(dataset, (list, tuple)):
        raise TypeError(
            "The `dataset` argument must be a NumPy array, a list/tuple of NumPy arrays "
            f"of the same length, or a keras.utils.PyDataset. Received: dataset={dataset} "
            f"of type {type(dataset)}")
    kind = type(dataset).__name__
    if not dataset:
        raise ValueError(f"Received an empty {kind} dataset. Please provide a non-empty "
                         f"{kind} of arrays.")
    for i, element in enumerate(dataset):
        if not isinstance(element, np.ndarray):
            raise ValueError(f"Expected a {kind} of `numpy.ndarray` objects, Received: "
                             f"{type(element)} at index {i}.")
        if len(element) != len(dataset[0]):
            raise ValueError(
                f"Received a {kind} of NumPy arrays with different lengths. Mismatch "
                f"found at index {i}, Expected shape={dataset[0].shape} Received shape="
                f"{element.shape}. Please provide a {kind} of NumPy arrays of the same "
                "length.")
    return tuple(dataset)


def _unbatch(dataset):
    """All batches of a PyDataset joined into arrays, and the size of its first batch."""
    batches = [dataset[i] for i in range(len(dataset))]
    if not batches:
        raise ValueError("Cannot split an empty PyDataset (len(dataset) == 0).")
    if isinstance(batches[0], (tuple, list)):
        arrays = tuple(np.concatenate([np.asarray(b[k]) for b in batches])
                       for k in range(len(batches[0])))
        return arrays, len(batches[0][0])
    return np.concatenate([np.asarray(b) for b in batches]), len(batches[0])


def rescale_split_sizes(left_size, right_size, total_length):
    """Both split sizes as sample counts, with Keras's checks and messages."""
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"Invalid `{name}` Type. Expected: int or float or None, "
                            f"Received: type({name})={type(size)}.")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the "
                         "split sizes must be non-zero.")
    if left_size is not None and not _valid_size(left_size, total_length):
        raise ValueError(
            f"`left_size` should be either a positive integer smaller than {total_length}, "
            f"or a float within the range `[0, 1]`. Received: left_size={left_size}")
    if right_size is not None and not _valid_size(right_size, total_length):
        raise ValueError(
            f"`right_size` should be either a positive integer and smaller than "
            f"{total_length} or a float within the range `[0, 1]`. Received: "
            f"right_size={right_size}")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must "
                         "be less than or equal to 1.")
    left = _count(left_size, total_length)
    right = _count(right_size, total_length)
    left = total_length - right if left is None else left
    right = total_length - left if right is None else right
    if left + right > total_length:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the "
            f"{total_length}. Received: left_size + right_size = {left + right} and "
            f"total_length = {total_length}")
    for split, side in ((left, "left"), (right, "right")):
        if split == 0:
            raise ValueError(
                f"With `dataset` of length={total_length}, `left_size`={left} and "
                f"`right_size`={right}. Resulting {side} side dataset split will be empty. "
                "Adjust any of the aforementioned parameters")
    return int(left), int(right)


def _valid_size(size, total_length):
    if type(size) is int:
        return 0 < size < total_length
    return 0 < size < 1


def _count(size, total_length):
    """A fraction becomes ``round(fraction * total)`` samples (banker's rounding, as Keras)."""
    return round(size * total_length) if type(size) is float else size


# ------------------------------------------------------ directories of files
def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """Keras's checks on ``validation_split`` and ``subset``."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError('`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset.")


def check_labels_arguments(labels, label_mode, class_names, what):
    """Keras's checks on ``labels``, ``label_mode`` and ``class_names`` (``what``: "image"/"text")."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same "
                f"size as the number of {what} files in the target directory. If you wish "
                "to infer the labels from the subdirectory names in the target directory, "
                'pass `labels="inferred"`. If you wish to get a dataset that only contains '
                f"{what}s (no labels), pass `labels=None`. Received: labels={labels}")
        if class_names:
            raise ValueError('You can only pass `class_names` if `labels="inferred"`. '
                             f"Received: labels={labels}, and class_names={class_names}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", '
                         f'"binary", or None. Received: label_mode={label_mode}')


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """Every file under ``directory`` with an allowed extension, its label, and the class names.

    With ``labels="inferred"`` each sub-directory is a class (sorted by name,
    hidden ones skipped, or in the order of ``class_names``) and its files --
    found recursively, in sorted order -- get that class's number. Otherwise the
    whole tree is one list and ``labels`` (a list, one per file in that sorted
    order) or ``None`` says what they are. With ``shuffle``, files and labels are
    permuted together with ``np.random.RandomState(seed)``: exactly Keras's order.
    """
    subdirs = _class_subdirectories(directory, labels, class_names)
    files, inferred = [], []
    for number, subdir in enumerate(subdirs):
        found = list(_valid_files(os.path.join(directory, subdir), follow_links, formats))
        files += found
        inferred += [number] * len(found)
    labels, class_names = _labels_and_names(labels, inferred, subdirs, len(files), directory)
    if verbose:
        classes = "" if labels is None else f" belonging to {len(class_names)} classes"
        print(f"Found {len(files)} files{classes}.")
    paths = [os.path.join(directory, name) for name in files]
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, class_names


def _class_subdirectories(directory, labels, class_names):
    if labels != "inferred":
        if class_names is not None:
            raise ValueError(
                "When `labels=None` (no labels), argument `class_names` cannot be specified."
                if labels is None else
                "When argument `labels` is specified, argument `class_names` cannot be "
                "specified (the `class_names` will be the sorted list of labels).")
        return [""]
    subdirs = [name for name in sorted(os.listdir(directory))
               if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
    if class_names is None:
        return subdirs
    if not set(class_names).issubset(subdirs):
        raise ValueError(
            "The `class_names` passed did not match the names of the subdirectories of the "
            f"target directory. Expected: {subdirs} (or a subset of it), but received: "
            f"class_names={class_names}")
    return list(class_names)


def _valid_files(folder, follow_links, formats):
    """Paths relative to the class folder's parent (``cats/0.png``), walked in sorted order."""
    base = os.path.basename(folder)      # "" for the whole tree (``labels`` not inferred)
    for root, _, names in sorted(os.walk(folder, followlinks=follow_links), key=lambda w: w[0]):
        for name in sorted(names):
            if name.lower().endswith(formats):
                yield os.path.join(base, os.path.relpath(os.path.join(root, name), folder))


def _labels_and_names(labels, inferred, subdirs, n_files, directory):
    if labels == "inferred":
        return np.array(inferred, dtype="int32"), subdirs
    if labels is None:
        return None, None
    if len(labels) != n_files:
        raise ValueError(
            "Expected the lengths of `labels` to match the number of files in the target "
            f"directory. len(labels) is {len(labels)} while we found {n_files} files in "
            f"directory {directory}.")
    return np.array(labels), [str(label) for label in sorted(set(labels))]


def get_training_or_validation_split(samples, labels, validation_split, subset):
    """The training part (all but the last ``int(split * n)``) or the validation part (those)."""
    if not validation_split:
        return samples, labels
    n_val = int(validation_split * len(samples))
    if subset == "training":
        print(f"Using {len(samples) - n_val} files for training.")
        part = slice(None, len(samples) - n_val)
    elif subset == "validation":
        print(f"Using {n_val} files for validation.")
        part = slice(len(samples) - n_val, None)
    else:
        raise ValueError(f'`subset` must be either "training" or "validation", received: '
                         f"{subset}")
    return samples[part], None if labels is None else labels[part]


def encode_labels(labels, label_mode, num_classes):
    """Class numbers as Keras hands them to a model: int32, one-hot float32, or float32 ``(n, 1)``."""
    if label_mode == "int":
        return np.asarray(labels, dtype="int32")
    if label_mode == "binary":
        return np.asarray(labels, dtype="float32")[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[np.asarray(labels, dtype=int)]
    raise ValueError(f"Invalid `label_mode`: {label_mode}. Expected one of: 'binary', "
                     "'categorical', 'int'.")


def files_dataset(paths, labels, label_mode, class_names, load, batch_size, shuffle, seed):
    """A :class:`SampleDataset` whose sample ``i`` is ``load(paths[i])`` (and its encoded label)."""
    encoded = None if label_mode is None else \
        encode_labels(labels, label_mode, len(class_names))

    def take(indices):
        x = load.batch([paths[i] for i in indices])
        return x if encoded is None else (x, encoded[indices])

    return SampleDataset(take, len(paths), batch_size, shuffle, seed,
                         class_names=class_names, file_paths=list(paths))


def check_binary_classes(label_mode, class_names):
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 '
                         f"class_names. Received: class_names={class_names}")


def check_format(format):
    """Keras's ``format`` argument ("tf" or "grain"); kerastutor returns its own dataset for both."""
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
