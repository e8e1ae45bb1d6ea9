r"""Compiled CPU kernels: the loop form of a formula, for the optional ``fast`` extra.

NumPy runs one formula as a chain of whole-array operations. Adam's update,

.. math::

    m \leftarrow m + (g - m)(1 - \beta_1), \qquad
    v \leftarrow v + (g^2 - v)(1 - \beta_2), \qquad
    \theta \leftarrow \theta - \frac{\alpha_t\, m}{\sqrt{v} + \epsilon},

is twelve of them, each a pass over every parameter. Written as a loop over
the parameters, the same arithmetic reads each entry once and keeps its
intermediates in registers:

.. code-block:: python

    for i in range(w.size):
        m_i = m[i] + (g[i] - m[i]) * c1
        v_i = v[i] + (g[i] * g[i] - v[i]) * c2
        w[i] -= (alpha * m_i) / (sqrt(v_i) + eps)

A Python loop over 670,000 parameters would take a second; `Numba
<https://numba.pydata.org>`_ compiles it to machine code. This module keeps
such loops, each beside the NumPy code it replaces (which stays the
definition the book shows and the oracle of the tests), and uses them only
when Numba is installed::

    pip install "kerastutor[fast]"

and not switched off (``KERASTUTOR_COMPILED=0`` in the environment, or
:func:`disable`). Without Numba nothing changes: the NumPy speed-ups run.

**The kernels.** Adam's update (:func:`adam`, from
:func:`~kerastutor.optimizers.in_place.adam_in_place`); a convolution's bias and
ReLU (:func:`bias_relu`) and ReLU's backward (:func:`relu_backward`), from
:mod:`kerastutor.layers.convolutional`; max pooling over windows that tile the
image, forward and backward (:func:`max_pool_2d`, :func:`max_pool_2d_backward`,
from :mod:`kerastutor.layers.pooling`); the 2-D ``col2im`` (:func:`col2im_2d`,
from :mod:`kerastutor.layers.conv_im2col`), and ``im2col`` for inputs with more
than three channels (:func:`im2col_2d`, into the layer's reused array); the
elementwise part of an LSTM step's backward (:func:`lstm_cell_backward`, from
:class:`~kerastutor.layers.LSTMCell`); and, for the tracer's summaries, the
sums and zero count of :func:`~kerastutor.trace.recorder.finite_stats` and its
histogram's bin counts (:func:`deviation_sums`, :func:`bin_counts`). Each NumPy
helper asks its kernel first and runs its own code when the kernel declines (no
Numba, switched off, a GPU array, a dtype other than float32/float64).

**What it buys.** ``benchmarks/bench_training.py`` on a 2-core machine (quiet,
end of session 9; the compiled figures are the range of two runs):

=======================================  ====================  ======================
model (batch)                            NumPy                 compiled
=======================================  ====================  ======================
MNIST MLP 784-512-512-10 (32)            8,600 samples/s       13,000-13,900 samples/s
MNIST MLP (128)                          23,100 samples/s      29,500-30,300 samples/s
MNIST CNN, conv-pool-dense (128)         5,800 samples/s       9,600-10,100 samples/s
CIFAR-10 CNN, three convolutions (64)    1,900 samples/s       2,600 samples/s
LSTM(50) on 20 steps (32)                11,900 samples/s      13,900-14,000 samples/s
MNIST CNN ``predict`` (128)              21,600 samples/s      36,700-37,000 samples/s
=======================================  ====================  ======================

In the MLP, Adam's update of 670k parameters goes from 1.3 ms to 0.37 ms. In the
CNNs the passes that NumPy makes over whole activation arrays -- a comparison, a
product, a boolean array per window offset -- become one pass each.

**The same numbers.** Each kernel of the training step does the NumPy code's
operations in the same order and in the array's own precision (the scalars are
cast to its dtype first, as NumPy 2 does with Python floats), and is compiled
without ``fastmath``, so no multiply-add is fused and nothing is reordered: its
results are bit-identical to the NumPy path's, and a model trains to the same
weights with or without them (``tests/test_compiled.py``). The tracer's sums
are the one exception: they may add in any order (:func:`deviation_sums`).
``error_model="numpy"`` lets a division by zero give ``inf`` as NumPy does,
instead of raising; it also lets the compiler vectorise the loop.

The kernels are serial. The machine's other cores are busy with the matrix
products of the step (OpenBLAS keeps its threads spinning between them), and
a second thread pool fighting them made training three times slower.

**Never in the way.** Should Numba fail to compile a loop on some machine, that
kernel says so once (a ``RuntimeWarning``) and declines from then on: the NumPy
code runs, with the same numbers.

**Reading a kernel.** Each ``*_loop`` function is plain Python: called
directly, on small arrays, it runs (slowly) without Numba, and the tests check
it so against the NumPy code. The function without ``_loop`` checks that the
arrays suit it and runs the compiled version.
"""
import contextlib
import functools
import os
import warnings

import numpy as np

_SWITCH = {"enabled": os.environ.get("KERASTUTOR_COMPILED", "1") != "0"}
_KERNELS = {}


def is_available():
    """True when Numba can be imported (the ``fast`` extra is installed)."""
    if "numba" not in _KERNELS:
        try:
            import numba
        except ImportError:
            numba = None
        _KERNELS["numba"] = numba
    return _KERNELS["numba"] is not None


def is_enabled():
    """True when the compiled kernels run: Numba is there and nobody switched them off."""
    return _SWITCH["enabled"] and is_available()


def enable():
    """Use the compiled kernels where they apply (when Numba is installed)."""
    _SWITCH["enabled"] = True


def disable():
    """Run the NumPy code everywhere (to compare, or to step through it)."""
    _SWITCH["enabled"] = False


@contextlib.contextmanager
def switched(on):
    """``with compiled.switched(False):`` runs the block with the kernels off (or on)."""
    before = _SWITCH["enabled"]
    _SWITCH["enabled"] = bool(on)
    try:
        yield
    finally:
        _SWITCH["enabled"] = before


class _Unavailable(Exception):
    """A kernel that Numba could not compile on this machine: the NumPy code runs instead."""


def _declines_on_failure(fallback):
    """Make a kernel's front function return ``fallback`` (its "not done" answer) when its
    loop cannot be compiled, so that the NumPy helper that asked runs its own code."""
    def decorate(front):
        @functools.wraps(front)
        def run(*args, **kwargs):
            try:
                return front(*args, **kwargs)
            except _Unavailable:
                return fallback
        return run
    return decorate


def _compiled(loop, **options):
    """``loop`` compiled by Numba, with any further Numba ``options`` (once per process;
    the machine code is cached on disk, beside the module or in Numba's user cache,
    where a location can be written). Raises :class:`_Unavailable` for a loop that
    failed to compile here."""
    name = loop.__name__
    if name not in _KERNELS:
        njit = _KERNELS["numba"].njit
        try:
            dispatcher = njit(cache=True, error_model="numpy", **options)(loop)
        except RuntimeError:             # "no locator available": nowhere to cache
            dispatcher = njit(error_model="numpy", **options)(loop)
        _KERNELS[name] = _guarded(dispatcher, name)
    if _KERNELS[name] is None:
        raise _Unavailable(name)
    return _KERNELS[name]


def _guarded(dispatcher, name):
    """``dispatcher``, except that a compilation error (Numba compiles at the first call
    with new argument types, before it writes anything) marks the kernel unavailable,
    says so once, and raises :class:`_Unavailable`: an optional speed-up must never stop
    a training run."""
    def run(*args):
        try:
            return dispatcher(*args)
        except _KERNELS["numba"].core.errors.NumbaError as error:
            _KERNELS[name] = None
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            warnings.warn(
                f"kerastutor.compiled: Numba could not compile {name} on this machine "
                f"({type(error).__name__}: {first_line}). kerastutor runs its NumPy code "
                "there instead: the same numbers, more slowly. KERASTUTOR_COMPILED=0 "
                "turns the compiled kernels off altogether.", RuntimeWarning, stacklevel=4)
            raise _Unavailable(name) from error
    return run


def _plain_arrays(*arrays):
    """:func:`_float_arrays` that are also C-contiguous (what the loops index flat)."""
    if not _float_arrays(*arrays):
        return False
    for array in arrays:
        if not array.flags.c_contiguous:
            return False
    return True


# ----------------------------------------------------------------------------- Adam
def adam_loop(w, g, m, v, c1, c2, alpha, epsilon, threshold, flush):
    r"""Adam's step for flat arrays, one parameter at a time (``c1`` :math:`= 1 - \beta_1`,
    ``c2`` :math:`= 1 - \beta_2`). With ``flush``, a momentum below ``threshold`` becomes
    0 after its step (see :mod:`kerastutor.optimizers.in_place`)."""
    for i in range(w.size):
        m_i = m[i] + (g[i] - m[i]) * c1                  # m += (g - m) * (1 - beta_1)
        v_i = v[i] + (g[i] * g[i] - v[i]) * c2           # v += (g * g - v) * (1 - beta_2)
        w[i] -= (alpha * m_i) / (np.sqrt(v_i) + epsilon)  # w -= alpha_t m / (sqrt(v) + eps)
        if flush and abs(m_i) < threshold:
            m_i = 0.0
        m[i] = m_i
        v[i] = v_i


@_declines_on_failure(False)
def adam(w, g, m, v, beta_1, beta_2, alpha_t, epsilon, threshold, flush):
    """Run :func:`adam_loop` compiled, if it applies; ``False`` (nothing done) if not."""
    if not (is_enabled() and _plain_arrays(w, g, m, v)):
        return False
    as_dtype = w.dtype.type
    _compiled(adam_loop)(w.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1),
                         as_dtype(1 - beta_1), as_dtype(1 - beta_2), as_dtype(alpha_t),
                         as_dtype(epsilon), as_dtype(threshold), bool(flush))
    return True


# ---------------------------------------------------------------- ReLU, as the conv pages run it
def bias_relu_loop(z, b):
    r""":math:`z \leftarrow \max(z + b, 0)` over the rows of ``z`` (positions) and its
    columns (channels); a NaN stays NaN, as with ``np.maximum``."""
    rows, channels = z.shape
    for r in range(rows):
        for c in range(channels):
            v = z[r, c] + b[c]
            z[r, c] = v if (v > 0 or v != v) else 0.0


def relu_backward_loop(out, y, g):
    r""":math:`\delta = [y > 0]\, g`, entry by entry (the boolean is 0.0 or 1.0, so a NaN
    in ``g`` stays NaN, as in NumPy's product)."""
    for i in range(out.size):
        out[i] = g[i] * (y[i] > 0)


@_declines_on_failure(False)
def bias_relu(z, b):
    """``z += b; np.maximum(z, 0, out=z)`` for a C-ordered ``(..., channels)`` ``z``, as one
    compiled pass; ``False`` (nothing done) where it does not apply."""
    if not (is_enabled() and _plain_arrays(z, b) and b.shape == z.shape[-1:]):
        return False
    _compiled(bias_relu_loop)(z.reshape(-1, z.shape[-1]), b)
    return True


@_declines_on_failure(False)
def relu_backward(out, y, g):
    """``np.multiply(g, y > 0, out=out)`` as one compiled pass, or ``False``."""
    if not (is_enabled() and _plain_arrays(out, y, g) and out.shape == y.shape == g.shape):
        return False
    _compiled(relu_backward_loop)(out.reshape(-1), y.reshape(-1), g.reshape(-1))
    return True


# --------------------------------------------------------- max pooling in non-overlapping windows
def max_pool_2d_loop(x, k1, k2, best, winner, bias):
    r"""``best[n, i, j, c]`` :math:`= \max_{a < k_1,\, b < k_2}`
    ``x[n, i k1 + a, j k2 + b, c]``: the maxima of the ``k1 x k2`` windows that tile
    ``x`` (a NaN wins, as with ``np.maximum``). ``winner`` records where each maximum
    was first met, as the offset ``a k2 + b`` -- or -1 for a window with a NaN, which
    passes no gradient back (NaN equals nothing) -- so that the backward pass need
    not read ``x`` again.

    A non-empty ``bias`` first turns each sample of ``x``, in place, into
    :math:`\max(x + b, 0)` (the convolution before the pool: :func:`bias_relu_loop`),
    while that sample is in the cache."""
    batch, rows, cols, channels = best.shape
    for n in range(batch):
        if bias.size:
            for y in range(x.shape[1]):
                for w in range(x.shape[2]):
                    for c in range(channels):
                        v = x[n, y, w, c] + bias[c]
                        x[n, y, w, c] = v if (v > 0 or v != v) else 0.0
        for i in range(rows):
            for j in range(cols):
                for c in range(channels):
                    v = x[n, i * k1, j * k2, c]
                    best[n, i, j, c] = v
                    winner[n, i, j, c] = 0 if v == v else -1
                for a in range(k1):
                    for b in range(k2):
                        for c in range(channels):
                            v = x[n, i * k1 + a, j * k2 + b, c]
                            takes_over = v > best[n, i, j, c] or v != v
                            offset = a * k2 + b if v == v else -1
                            best[n, i, j, c] = v if takes_over else best[n, i, j, c]
                            winner[n, i, j, c] = offset if takes_over else winner[n, i, j, c]


def max_pool_2d_backward_loop(winner, k1, k2, grad_out, grad, relu_best):
    r"""Each window's gradient goes to its first maximum, the offset in ``winner``; every
    other entry of the window gets ``0 * grad_out`` (0, or NaN where ``grad_out`` is not
    finite, as the NumPy code's product gives).

    With a non-empty ``relu_best`` (the window maxima, when the pool's input :math:`y`
    is a ReLU's output) it is the ReLU's backward as well, :math:`(g \cdot
    [\text{first maximum}]) \cdot [y > 0]`, the two products the layers compute one
    after the other: at a window's first maximum :math:`y` is the maximum, and
    elsewhere the first factor is already :math:`\pm 0` (or NaN) whatever :math:`y` is
    -- so :math:`y` itself is never read, and the pool's own gradient never written."""
    batch, rows, cols, channels = grad_out.shape
    for n in range(batch):
        for i in range(rows):
            for j in range(cols):
                for a in range(k1):
                    for b in range(k2):
                        for c in range(channels):
                            wins = winner[n, i, j, c] == a * k2 + b
                            g = grad_out[n, i, j, c] * wins
                            if relu_best.size:
                                g = g * (relu_best[n, i, j, c] > 0)
                            grad[n, i * k1 + a, j * k2 + b, c] = g


def _float_arrays(*arrays):
    """NumPy arrays (any strides) of one float dtype, float32 or float64.

    Asked before every kernel call, so written for speed: a loop that stops at the first
    miss, and the dtype's one-letter code rather than a comparison with ``np.float32``
    (which makes a dtype first)."""
    dtype = arrays[0].dtype
    if dtype.char not in "fd":
        return False
    for array in arrays:
        if type(array) is not np.ndarray or array.dtype != dtype:
            return False
    return True


def offset_dtype(pool_size):
    """The smallest integer type that holds every window offset, and -1."""
    return np.min_scalar_type(-int(np.prod(pool_size)))


@_declines_on_failure(None)
def max_pool_2d(x, pool_size, bias=None):
    """``(best, winner)``: the maxima of the ``pool_size`` windows that tile ``x``
    ``(N, H, W, C)`` (a remainder row or column is left out) and the offset where each
    was found (:func:`max_pool_2d_loop`), as new arrays; compiled, or ``None`` where it
    does not apply. With ``bias``, ``x`` (C-ordered) first becomes ``max(x + bias, 0)``
    in place, in the same pass."""
    bias = np.zeros(0, x.dtype) if bias is None else bias
    if not (is_enabled() and x.ndim == 4 and len(pool_size) == 2 and _float_arrays(x, bias)
            and (bias.size == 0 or (bias.shape == x.shape[-1:] and x.flags.c_contiguous))):
        return None
    k1, k2 = pool_size
    shape = (x.shape[0], x.shape[1] // k1, x.shape[2] // k2, x.shape[3])
    best, winner = np.empty(shape, x.dtype), np.empty(shape, offset_dtype(pool_size))
    _compiled(max_pool_2d_loop)(x, k1, k2, best, winner, bias)
    return best, winner


@_declines_on_failure(False)
def max_pool_2d_backward(winner, pool_size, grad_out, grad, relu_best=None):
    """Route ``grad_out`` to each window's first maximum (``winner``, from
    :func:`max_pool_2d`), writing every entry of ``grad`` that a window covers -- times
    ``[y > 0]`` as well, given the maxima ``relu_best`` of a ReLU's output ``y``
    (:func:`max_pool_2d_backward_loop`); compiled, or ``False``."""
    relu_best = np.zeros((0,) * 4, grad.dtype) if relu_best is None else relu_best
    if not (is_enabled() and winner is not None and winner.ndim == 4
            and len(pool_size) == 2 and _float_arrays(grad_out, grad, relu_best)):
        return False
    _compiled(max_pool_2d_backward_loop)(winner, pool_size[0], pool_size[1], grad_out, grad,
                                         relu_best)
    return True


# ------------------------------------------------------------------ im2col and col2im
def im2col_2d_loop(xp, k1, k2, strides, dilation, out, patches):
    """``patches[(n, i, j), (a, b, c)] = xp[n, i s1 + a d1, j s2 + b d2, c]``: window
    ``(i, j)`` of the padded input (``out`` windows down and across) laid out as one row of
    the 2-D ``patches``, kernel offset by kernel offset; a pure copy. Columns past the
    window's (a bias column) are left as they are."""
    batch, channels = xp.shape[0], xp.shape[3]
    for n in range(batch):
        for i in range(out[0]):
            for j in range(out[1]):
                row = (n * out[0] + i) * out[1] + j
                for a in range(k1):
                    for b in range(k2):
                        y, x = i * strides[0] + a * dilation[0], j * strides[1] + b * dilation[1]
                        first = (a * k2 + b) * channels
                        for c in range(channels):
                            patches[row, first + c] = xp[n, y, x, c]


def col2im_2d_loop(patches, strides, dilation, dx):
    """Add every patch entry back where im2col copied it from:
    ``dx[n, i s1 + a d1, j s2 + b d2, c] += patches[n, i, j, a, b, c]``, sample by sample,
    after zeroing that sample's ``dx``. Within a sample the kernel offsets ``(a, b)`` come
    outermost -- the order of NumPy's one ``+=`` per offset -- so every sum adds the same
    numbers in the same order and rounds alike. One sample's ``dx`` is small enough to stay
    in the core's cache while its patch rows stream past once."""
    batch, rows, cols, k1, k2, channels = patches.shape
    for n in range(batch):
        for y in range(dx.shape[1]):
            for x in range(dx.shape[2]):
                for c in range(channels):
                    dx[n, y, x, c] = 0.0
        for a in range(k1):
            for b in range(k2):
                for i in range(rows):
                    for j in range(cols):
                        y, x = i * strides[0] + a * dilation[0], j * strides[1] + b * dilation[1]
                        for c in range(channels):
                            dx[n, y, x, c] += patches[n, i, j, a, b, c]


@_declines_on_failure(False)
def im2col_2d(xp, kernel_size, strides, dilation, out, patches):
    """Fill the first ``k1 k2 cin`` columns of the C-ordered 2-D ``patches`` with the rows of
    :func:`~kerastutor.layers.conv_im2col.im2col`'s matrix (one group), compiled; or
    ``False``."""
    if not (is_enabled() and xp.ndim == 4 and patches.ndim == 2
            and _plain_arrays(xp, patches)):
        return False
    _compiled(im2col_2d_loop)(xp, int(kernel_size[0]), int(kernel_size[1]),
                              tuple(int(s) for s in strides),
                              tuple(int(d) for d in dilation), tuple(int(o) for o in out),
                              patches)
    return True


@_declines_on_failure(False)
def col2im_2d(patches, strides, dilation, dx):
    """``dx = col2im(patches)`` for 2-D windows and one group, every entry written, compiled;
    or ``False``."""
    if not (is_enabled() and patches.ndim == 6 and dx.ndim == 4
            and _float_arrays(patches, dx)):
        return False
    _compiled(col2im_2d_loop)(patches, tuple(int(s) for s in strides),
                              tuple(int(d) for d in dilation), dx)
    return True


# ------------------------------------------------------------------ the LSTM cell's backward
def lstm_cell_backward_loop(dh, dc, sig, g, tc, c_prev, one, delta, dc_prev):
    r"""The elementwise part of one LSTM step's backward (:class:`~kerastutor.layers.LSTMCell`,
    tanh and sigmoid), entry by entry, in the NumPy code's order: the gradient reaching
    :math:`c_t`, the four gates' gradients through their activations into ``delta``
    (``[d a^i, d a^f, d a^c, d a^o]``), and :math:`\partial L/\partial c_{t-1}`. ``sig`` is
    the sigmoid of all four columns (``i``, ``f``, ``o`` are its blocks), ``one`` is 1 in
    the arrays' dtype."""
    rows, units = dh.shape
    for r in range(rows):
        for j in range(units):
            i, f, o = sig[r, j], sig[r, units + j], sig[r, 3 * units + j]
            dc_t = dc[r, j] + (dh[r, j] * o) * (one - tc[r, j] * tc[r, j])
            delta[r, j] = (dc_t * g[r, j]) * i * (one - i)
            delta[r, units + j] = (dc_t * c_prev[r, j]) * f * (one - f)
            delta[r, 2 * units + j] = (dc_t * i) * (one - g[r, j] * g[r, j])
            delta[r, 3 * units + j] = (dh[r, j] * tc[r, j]) * o * (one - o)
            dc_prev[r, j] = dc_t * f


@_declines_on_failure(None)
def lstm_cell_backward(dh, dc, sig, g, tc, c_prev):
    """``(delta, dL/dc_{t-1})`` of one LSTM step (:func:`lstm_cell_backward_loop`
    compiled); ``None`` where it does not apply."""
    if not (is_enabled() and _float_arrays(dh, dc, sig, g, tc, c_prev)
            and sig.shape == dh.shape[:1] + (4 * dh.shape[1],)):
        return None
    delta = np.empty_like(sig)
    dc_prev = np.empty_like(dh)
    _compiled(lstm_cell_backward_loop)(dh, dc, sig, g, tc, c_prev, dh.dtype.type(1),
                                       delta, dc_prev)
    return delta, dc_prev


# ------------------------------------------------------------------ the tracer's sums
def deviation_sums_loop(flat, shift):
    r"""The number of zeros in ``flat`` and the float64 sums :math:`\sum (x - K)` and
    :math:`\sum (x - K)^2` for the shift :math:`K` = ``shift`` (see
    :func:`kerastutor.trace.recorder.finite_stats`). A NaN or an infinity makes the second
    sum non-finite."""
    zeros, deviations, squares = 0, 0.0, 0.0
    for i in range(flat.size):
        zeros += flat[i] == 0
        d = np.float64(flat[i]) - shift
        deviations += d
        squares += d * d
    return zeros, deviations, squares


def bin_counts_loop(sample, low, scale, counts):
    r"""Add each value's bin, :math:`\min(\lfloor (x - \min)\,\text{scale} \rfloor,
    \text{bins} - 1)` computed in float64, to ``counts`` (``np.bincount`` of those bins)."""
    last = counts.size - 1
    for i in range(sample.size):
        counts[min(int((np.float64(sample[i]) - low) * scale), last)] += 1


@_declines_on_failure(None)
def deviation_sums(flat, shift):
    """``(zeros, sum of x - K, sum of (x - K)^2)`` of a contiguous 1-D float array, one
    compiled pass; or ``None``. The sums may be added in any order (the compiler keeps
    several partial sums in vector registers): they are float64 sums of float32 or
    float64 values, as accurate as the NumPy pieces' and checked against them with a
    tolerance (``tests/trace/test_finite_stats.py``)."""
    if not (is_enabled() and flat.ndim == 1 and _plain_arrays(flat)):
        return None
    zeros, deviations, squares = _compiled(deviation_sums_loop, fastmath={"reassoc"})(
        flat, float(shift))
    return int(zeros), float(deviations), float(squares)


@_declines_on_failure(None)
def bin_counts(sample, low, scale, bins):
    """``bins`` counts of :func:`bin_counts_loop`, compiled; or ``None``."""
    if not (is_enabled() and sample.ndim == 1 and _float_arrays(sample)):
        return None
    counts = np.zeros(bins, np.intp)
    _compiled(bin_counts_loop)(sample, float(low), float(scale), counts)
    return counts
