r"""Adaptive pooling: pool to a fixed output size, whatever size the input has.

Ordinary pooling fixes the *window* (``pool_size=2``) and the output size
follows from the input's. Adaptive pooling fixes the *output* (``output_size=7``)
and works out the windows, so a network ending in it accepts images of any
size -- torchvision's ResNets end this way.

**The bins.** Along an axis of :math:`n` pixels pooled to :math:`o` outputs,
output :math:`j` reads the pixels

.. math::

    s_j = \Big\lfloor \frac{j\,n}{o} \Big\rfloor \le i < e_j = \Big\lceil \frac{(j+1)\,n}{o} \Big\rceil ,

(PyTorch's rule, which Keras 3.15.1 follows on every backend). When :math:`o`
divides :math:`n` the windows tile the axis exactly; otherwise neighbouring
windows share a pixel; when :math:`o > n` pixels are repeated. An N-d window is
the product of one such interval per spatial axis, so every window is a box
:math:`B_p` of at most :math:`w_1 \times \dots \times w_d` pixels.

.. math::

    \text{average:}\quad y_p = \frac{1}{|B_p|}\sum_{q \in B_p} x_q, \qquad
    \text{max:}\quad y_p = \max_{q \in B_p} x_q .

**How it is computed.** Each window is *gathered*: per axis an index table
of shape ``(o, w)`` (the widest window, shorter windows padded by repeating
their last pixel, and a mask marking those repeats), so one NumPy indexing
call gives every window of every sample and channel at once. The average
ignores the repeats through the mask; the maximum cannot be changed by them.

**Backward.** Each output sends its gradient back to the pixels it read:
:math:`g_p / |B_p|` to every pixel of the box (average), all of :math:`g_p` to
the pixel that won (maximum; the first one in the window on a tie). A pixel
read by several windows receives the sum, which ``np.add.at`` accumulates.
"""
import numpy as np

from kerastutor import backend
from kerastutor.layers.base import InputSpec, Layer
from kerastutor.layers.pooling import ChannelsLast, _as_float


def adaptive_bins(n, o):
    r"""Window edges along one axis: ``starts, stops`` with
    :math:`s_j = \lfloor jn/o \rfloor`, :math:`e_j = \lceil (j+1)n/o \rceil`.

    >>> adaptive_bins(5, 3)          # 5 pixels into 3 windows: [0, 2), [1, 4), [3, 5)
    (array([0, 1, 3]), array([2, 4, 5]))
    """
    j = np.arange(o)
    starts = (j * n) // o
    stops = -((-(j + 1) * n) // o)               # ceil, in integers
    return starts, stops


def _axis_tables(n, o):
    """``index`` (o, w): the pixels each window reads, its last one repeated up to the
    widest window's width ``w``; ``real`` (o, w): False where an entry is a repeat."""
    starts, stops = adaptive_bins(n, o)
    width = int((stops - starts).max())
    offsets = np.arange(width)
    real = offsets < (stops - starts)[:, None]
    index = np.minimum(starts[:, None] + offsets, stops[:, None] - 1)
    return index, real


def _window_tables(spatial, output_size):
    """Broadcastable index arrays over ``(o_1..o_d, w_1..w_d)`` and the matching mask."""
    d = len(spatial)
    indices, real = [], True
    for axis, (n, o) in enumerate(zip(spatial, output_size)):
        index, axis_real = _axis_tables(n, o)
        shape = [1] * (2 * d)
        shape[axis], shape[d + axis] = index.shape
        indices.append(index.reshape(shape))
        real = real & axis_real.reshape(shape)
    return tuple(indices), real


def _gather_windows(x, indices):
    """``(N, o_1..o_d, w_1..w_d, C)``: every window of every sample (channels last)."""
    return x[(slice(None),) + indices + (slice(None),)]


def adaptive_pool_forward(x, output_size, mode):
    """Pool a channels-last ``x`` (N, spatial..., C) to ``output_size``; returns ``(y, cache)``."""
    d = len(output_size)
    indices, real = _window_tables(x.shape[1:-1], output_size)
    windows = _gather_windows(x, indices)
    flat_shape = windows.shape[:1 + d] + (-1, windows.shape[-1])
    windows = windows.reshape(flat_shape)                        # (N, o..., W, C)
    real = real.reshape(real.shape[:d] + (-1,))[None, ..., None]  # (1, o..., W, 1)
    if mode == "average":
        count = real.sum(axis=-2)                                # |B_p|
        y = np.where(real, windows, 0).sum(axis=-2) / count
        return y.astype(x.dtype, copy=False), (x.shape, indices, real, count, None)
    best = windows.argmax(axis=-2)                               # first maximum wins
    y = np.take_along_axis(windows, best[..., None, :], axis=-2)[..., 0, :]
    return y, (x.shape, indices, real, None, best)


def adaptive_pool_backward(cache, grad_out):
    """Send each output's gradient to the pixels its window read (summed where shared)."""
    x_shape, indices, real, count, best = cache
    d = len(indices)
    g = grad_out[..., None, :]                                   # (N, o..., 1, C)
    if best is None:                                             # average: g / |B| each
        window_grads = np.where(real, g / count[..., None, :], 0)
    else:                                                        # max: all of g to the winner
        winner = np.arange(real.shape[-2])[:, None] == best[..., None, :]
        window_grads = np.where(winner, g, 0)
    widths = tuple(index.shape[d + axis] for axis, index in enumerate(indices))
    window_grads = window_grads.reshape(grad_out.shape[:1 + d] + widths + grad_out.shape[-1:])
    grad_x = np.zeros_like(grad_out, shape=x_shape)
    np.add.at(grad_x, (slice(None),) + indices + (slice(None),), window_grads)
    return grad_x


# ---------------------------------------------------------------- the layers
class _AdaptivePooling(ChannelsLast, Layer):
    """Shared page of the six adaptive pooling layers (see the module docstring)."""

    rank = None
    mode = None

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.output_size = self._standardized_output_size(output_size)
        self.data_format = backend.image_data_format() if data_format is None else data_format
        if self.data_format not in ("channels_first", "channels_last"):
            raise ValueError(f"{type(self).__name__}: invalid data_format "
                             f"{self.data_format!r}. Expected 'channels_first' or "
                             "'channels_last'.")
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _standardized_output_size(self, output_size):
        """Keras's rule: an int is used for every spatial axis, else one int per axis."""
        name, rank = type(self).__name__, self.rank
        if isinstance(output_size, (int, np.integer)):
            sizes = (int(output_size),) * rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == rank:
            sizes = tuple(output_size)
        else:
            error = ValueError if isinstance(output_size, (tuple, list)) and rank == 1 \
                else TypeError
            raise error(f"{name}: `output_size` must be an integer or a tuple of {rank} "
                        f"integer{'s' if rank > 1 else ''} (one per spatial axis), got "
                        f"{output_size!r}.")
        if not all(isinstance(s, (int, np.integer)) and s > 0 for s in sizes):
            raise ValueError(f"{name}: every `output_size` entry must be a positive integer, "
                             f"got {output_size!r}.")
        return tuple(int(s) for s in sizes)

    def forward(self, x, training=False):
        y, cache = adaptive_pool_forward(self._channels_last(_as_float(x)), self.output_size,
                                         self.mode)
        return self._back_to_format(y), cache

    def backward(self, cache, grad_out):
        return self._back_to_format(adaptive_pool_backward(cache, self._channels_last(grad_out)))

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0],) + self.output_size + (input_shape[-1],)
        return input_shape[:2] + self.output_size

    def get_config(self):
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


class _AdaptiveAveragePooling(_AdaptivePooling):
    r"""Adaptive average pooling: each output is the mean of its window.

    .. math::

        y_p = \frac{1}{|B_p|}\sum_{q \in B_p} x_q, \qquad
        \frac{\partial L}{\partial x_q} = \sum_{p:\, q \in B_p} \frac{g_p}{|B_p|},

    with the windows :math:`B_p` of the module docstring (PyTorch's bins).
    """

    mode = "average"


class _AdaptiveMaxPooling(_AdaptivePooling):
    r"""Adaptive max pooling: each output is the largest value of its window.

    .. math::

        y_p = \max_{q \in B_p} x_q, \qquad
        \frac{\partial L}{\partial x_q} = \sum_{p:\, q = \arg\max_{B_p} x} g_p ,

    the gradient going to the window's (first) maximum only.
    """

    mode = "max"


class AdaptiveAveragePooling1D(_AdaptiveAveragePooling):
    """Adaptive average pooling over steps: ``(batch, steps, channels)`` -> ``(batch,
    output_size, channels)`` (``channels_first``: channels before steps).

    >>> import numpy as np
    >>> import kerastutor as keras
    >>> x = np.arange(5.0).reshape(1, 5, 1)                  # windows [0, 3) and [2, 5)
    >>> keras.layers.AdaptiveAveragePooling1D(2)(x)[0, :, 0]
    array([1., 3.], dtype=float32)
    """

    rank = 1


class AdaptiveAveragePooling2D(_AdaptiveAveragePooling):
    """Adaptive average pooling over height and width, to ``output_size`` (an int or
    ``(height, width)``)."""

    rank = 2


class AdaptiveAveragePooling3D(_AdaptiveAveragePooling):
    """Adaptive average pooling over depth, height and width, to ``output_size`` (an int or
    ``(depth, height, width)``)."""

    rank = 3


class AdaptiveMaxPooling1D(_AdaptiveMaxPooling):
    """Adaptive max pooling over steps: ``(batch, steps, channels)`` -> ``(batch,
    output_size, channels)``.

    >>> import numpy as np
    >>> import kerastutor as keras
    >>> x = np.array([1.0, 5.0, 2.0, 4.0, 3.0]).reshape(1, 5, 1)
    >>> keras.layers.AdaptiveMaxPooling1D(2)(x)[0, :, 0]
    array([5., 4.], dtype=float32)
    """

    rank = 1


class AdaptiveMaxPooling2D(_AdaptiveMaxPooling):
    """Adaptive max pooling over height and width, to ``output_size`` (an int or
    ``(height, width)``)."""

    rank = 2


class AdaptiveMaxPooling3D(_AdaptiveMaxPooling):
    """Adaptive max pooling over depth, height and width, to ``output_size`` (an int or
    ``(depth, height, width)``)."""

    rank = 3
