"""``keras.utils.timeseries_dataset_from_array``: sliding windows over a timeseries.

A timeseries is an array whose first axis is time: ``data[t]`` is what was
measured at step ``t`` (a number, or a vector of features). A model that
forecasts reads a *window* of consecutive steps and predicts something about
it. This function cuts all the windows at once:

* window ``i`` starts at ``start + i * sequence_stride``;
* it holds ``sequence_length`` steps, taken every ``sampling_rate`` steps:
  ``data[p], data[p + r], ..., data[p + (L-1) r]``;
* its target is ``targets[p]``, the target *at the window's first step*. To
  predict the value that follows a window of length L, pass
  ``data[:-L]`` and ``targets=data[L:]``.

A window is never cut until it is asked for: a batch of windows is one fancy
index, ``data[starts[:, None] + offsets[None, :]]``.

    >>> import numpy as np, kerastutor as keras
    >>> ds = keras.utils.timeseries_dataset_from_array(
    ...     np.arange(10), targets=np.arange(100, 110), sequence_length=3, batch_size=4)
    >>> x, y = ds[0]
    >>> x
    array([[0, 1, 2],
           [1, 2, 3],
           [2, 3, 4],
           [3, 4, 5]])
    >>> y
    array([100, 101, 102, 103])

Keras builds this with tf.data (or grain); the windows, targets and the first
shuffle (``np.random.RandomState(seed).shuffle`` of the window starts) are the
same here.
"""
import numpy as np

from kerastutor.utils.dataset_utils import SampleDataset, check_format


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None, format="tf"):
    """A dataset of windows of ``data`` (and their ``targets``), in batches of ``batch_size``.

    ``start_index``/``end_index`` restrict the windows to ``data[start:end]``
    (useful to keep a validation period apart). ``shuffle=True`` serves the
    windows in a new random order every epoch; ``batch_size=None`` serves single
    windows. Each batch is ``(x, y)``, or just ``x`` when ``targets`` is None.
    """
    _check_indices(data, start_index, end_index)
    _check_step("sampling_rate", sampling_rate, data)
    _check_step("sequence_stride", sequence_stride, data)
    check_format(format)
    start = start_index or 0
    end = end_index or len(data)
    starts = window_starts(start, end, sequence_length, sequence_stride, sampling_rate,
                           None if targets is None else len(targets))
    if shuffle and seed is None:
        seed = np.random.randint(1e6)
    data = np.asarray(data)
    targets = None if targets is None else np.asarray(targets)
    offsets = np.arange(sequence_length) * sampling_rate

    def take(indices):
        positions = start + starts[indices]
        windows = data[positions[:, None] + offsets[None, :]]
        return windows if targets is None else (windows, targets[positions])

    return SampleDataset(take, len(starts), batch_size, shuffle, seed)


def window_starts(start, end, sequence_length, sequence_stride, sampling_rate, n_targets=None):
    """Where each window begins, counted from ``start``.

    The last window must end before ``end``: a window spans
    ``(sequence_length - 1) * sampling_rate + 1`` steps, so there are
    ``end - start - (sequence_length - 1) * sampling_rate`` possible starts
    (no more than there are targets), of which every ``sequence_stride``-th is used.
    """
    num_starts = end - start - (sequence_length - 1) * sampling_rate
    if n_targets is not None:
        num_starts = min(num_starts, n_targets)
    return np.arange(0, num_starts, sequence_stride)


def _check_indices(data, start_index, end_index):
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= len(data):
            raise ValueError(
                f"`start_index` must be lower than the length of the data. Received: "
                f"start_index={start_index}, for data of length {len(data)}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(
                f"`end_index` must be higher than `start_index`. Received: start_index="
                f"{start_index}, and end_index={end_index} ")
        if end_index >= len(data):
            raise ValueError(
                f"`end_index` must be lower than the length of the data. Received: "
                f"end_index={end_index}, for data of length {len(data)}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")


def _check_step(name, value, data):
    if value <= 0:
        raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
    if value >= len(data):
        raise ValueError(f"`{name}` must be lower than the length of the data. Received: "
                         f"{name}={value}, for data of length {len(data)}")
