r"""``keras.ops.math``: special functions, segment reductions, top-k, FFTs and signals.

Every name here is also top-level (``ops.erf``, ``ops.fft``, ``ops.top_k``), as in
Keras. The chapter's sections:

* **special functions** -- ``erf``, ``erfc``, ``erfinv``, ``rsqrt``, ``logsumexp``,
  ``logdet``, computed in float64 with established series and continued fractions
  (no SciPy), then rounded to the input's dtype;
* **segments and rankings** -- ``segment_sum/max/min/prod`` reduce the rows of
  ``data`` that share a segment id; ``top_k`` and ``in_top_k`` rank the last axis;
* **distances and frames** -- ``cdist`` (pairwise Euclidean distances),
  ``extract_sequences`` (overlapping frames of the last axis);
* **Fourier transforms and signals** -- ``fft``, ``fft2``, ``ifft2``, ``rfft``,
  ``irfft``, ``stft``, ``istft``, ``view_as_complex``, ``view_as_real``.

**Complex values** are passed as ``(real, imag)`` pairs of real arrays, exactly as
Keras does: ``ops.fft((re, im))`` returns ``(re_out, im_out)``. The derivative
convention follows from it: a loss :math:`L` reaches a complex value
:math:`z = a + ib` as the two real gradients :math:`\partial L/\partial a` and
:math:`\partial L/\partial b`, which we pack into one complex gradient
:math:`\bar z = \partial L/\partial a + i\,\partial L/\partial b`. For a linear map
:math:`y = A z` (every transform here is one) the chain rule then reads

.. math:: \bar z = A^{H}\,\bar y,

the *conjugate transpose* applied to the upstream gradient. The DFT matrix
:math:`F_{kn} = e^{-2\pi i kn/N}` is symmetric, so :math:`F^H = \overline{F} = N\,F^{-1}`:
**the derivative of an FFT is** :math:`N` **times an inverse FFT of the gradient**,
and that of an inverse FFT is an FFT divided by :math:`N`.
"""
import numpy as np

from kerastutor import backend
from kerastutor.ops.reductions import _expand
from kerastutor.tape import _record, _record_many, _value, unbroadcast

_SQRT_PI = np.sqrt(np.pi)


# ======================================================================== small helpers
def _float_dtype(*arrays):
    """The float dtype of a result: the inputs' float type, ``floatx()`` for integer inputs."""
    dtype = np.result_type(*arrays)
    return dtype if dtype.kind == "f" else np.dtype(backend.floatx())


def _check_positive_int(op, name, value, fix):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"ops.{op}: `{name}` must be a positive integer; got {value!r}. "
                         f"Fix: {fix}")


def _complex_pair(op, x):
    """The two arrays of a complex value passed the Keras way, as ``(real, imag)``."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(
            f"ops.{op}: `x` must be a tuple (real, imag) of two float tensors -- Keras "
            f"passes complex values as their two real parts; got {type(x).__name__}. "
            f"Fix: pass (real_part, imag_part), e.g. the pair another FFT op returned "
            f"(use (x, ops.zeros_like(x)) for a real signal).")
    real, imag = _value(x[0]), _value(x[1])
    if real.shape != imag.shape:
        raise ValueError(
            f"ops.{op}: the real and imaginary parts of `x` must have one shape; got "
            f"{real.shape} and {imag.shape}. Fix: pass two arrays of the same shape.")
    if real.dtype.kind != "f" or imag.dtype.kind != "f":
        raise ValueError(
            f"ops.{op}: the real and imaginary parts of `x` must be float tensors; got "
            f"{real.dtype} and {imag.dtype}. Fix: cast them, e.g. ops.cast(x, 'float32').")
    return real, imag


def _parts(z, dtype):
    """A complex array as the ``(real, imag)`` pair Keras returns, in ``dtype``."""
    return z.real.astype(dtype), z.imag.astype(dtype)


def _fit_last_axis(a, size):
    """Crop or zero-pad the last axis of ``a`` to ``size`` (what FFTs do with ``n=``)."""
    if a.shape[-1] >= size:
        return a[..., :size]
    pad = [(0, 0)] * (a.ndim - 1) + [(0, size - a.shape[-1])]
    return np.pad(a, pad)


# ======================================================================== special functions
#: Below this :math:`|x|` the power series of erf converges fast; above it the continued
#: fraction.
_SERIES_CUTOFF = 1.5
_SERIES_TERMS = 25          # the 25th term is below 1e-17 of the sum at |x| = 1.5
_FRACTION_TERMS = 50        # enough for full float64 accuracy at x = 1.5


def _erf_series(x):
    r"""erf for :math:`|x| \le 1.5`, by a series with only positive terms.

    .. math:: \operatorname{erf}(x) = \frac{2}{\sqrt\pi}\,x\,e^{-x^2}
              \sum_{n\ge0} \frac{(2x^2)^n}{1\cdot3\cdot5\cdots(2n+1)},

    evaluated from its innermost term outwards (Horner's rule):
    :math:`s \leftarrow 1 + s\cdot 2x^2/(2n+1)`. Unlike Taylor's alternating series
    it has no cancellation, so every digit of float64 survives.
    """
    x2 = x * x
    total = np.zeros_like(x)
    for n in range(_SERIES_TERMS, 0, -1):
        total = 1.0 + total * (2.0 * x2) / (2 * n + 1)
    return 2.0 / _SQRT_PI * x * np.exp(-x2) * total


def _erfc_fraction(x):
    r"""erfc for :math:`x \ge 1.5`, by Laplace's continued fraction.

    .. math:: \operatorname{erfc}(x) = \frac{x\,e^{-x^2}}{\sqrt\pi}\cdot
              \cfrac{1}{b_0 - \cfrac{a_1}{b_1 - \cfrac{a_2}{b_2 - \cdots}}},
              \qquad b_k = x^2 + 2k + \tfrac12,\quad a_k = \tfrac{k(2k-1)}{2},

    evaluated from a truncated tail upwards. It gives erfc with full *relative*
    accuracy where erfc is tiny (``1 - erf`` would round to 0 there).
    """
    x = np.minimum(x, 30.0)                  # erfc(30) underflows to 0; inf*0 would be nan
    x2 = x * x
    fraction = x2 + 2 * _FRACTION_TERMS + 0.5
    for k in range(_FRACTION_TERMS, 0, -1):
        fraction = (x2 + 2 * (k - 1) + 0.5) - (k * (2 * k - 1) / 2) / fraction
    return x * np.exp(-x2) / _SQRT_PI / fraction


def _erf64(x):
    """erf of a float64 array: series near 0, ``1 - erfc`` in the tails (sign restored)."""
    t = np.abs(x)
    near = _erf_series(np.minimum(t, _SERIES_CUTOFF))
    far = 1.0 - _erfc_fraction(np.maximum(t, _SERIES_CUTOFF))
    return np.sign(x) * np.where(t < _SERIES_CUTOFF, near, far)


def _erfc64(x):
    """erfc of a float64 array: the fraction for x >= 1.5, ``2 - erfc(-x)`` below -1.5."""
    t = np.abs(x)
    tail = _erfc_fraction(np.maximum(t, _SERIES_CUTOFF))
    middle = 1.0 - _erf_series(np.clip(x, -_SERIES_CUTOFF, _SERIES_CUTOFF))
    return np.where(t < _SERIES_CUTOFF, middle, np.where(x > 0, tail, 2.0 - tail))


def _erf_slope(y):
    r""":math:`\operatorname{erf}'(y) = \frac{2}{\sqrt\pi} e^{-y^2}`."""
    return 2.0 / _SQRT_PI * np.exp(-y * y)


def erf(x):
    r"""The error function :math:`\operatorname{erf}(x) = \frac{2}{\sqrt\pi}\int_0^x e^{-t^2}\,dt`.

    Computed in float64 (series for :math:`|x| < 1.5`, continued fraction beyond;
    see :func:`_erf_series`, :func:`_erfc_fraction`) and rounded to ``x``'s dtype.

    Derivative: :math:`g\,\frac{2}{\sqrt\pi}e^{-x^2}`.
    """
    a = _value(x)
    dtype = _float_dtype(a)
    x64 = a.astype(np.float64)
    return _record(_erf64(x64).astype(dtype), (x,), lambda g: (g * _erf_slope(x64),))


def erfc(x):
    r"""The complementary error function :math:`\operatorname{erfc}(x) = 1 - \operatorname{erf}(x)`.

    Computed directly (not as ``1 - erf``), so ``erfc(10) = 2.1e-45`` keeps its
    digits instead of rounding to 0.

    Derivative: :math:`-g\,\frac{2}{\sqrt\pi}e^{-x^2}`.
    """
    a = _value(x)
    dtype = _float_dtype(a)
    x64 = a.astype(np.float64)
    return _record(_erfc64(x64).astype(dtype), (x,), lambda g: (-g * _erf_slope(x64),))


_NEWTON_STEPS = 5           # from a 2e-3 first guess: 4e-6, 2e-11, then rounding level


def _erfinv_guess(t):
    r"""Winitzki's closed-form approximation of erfinv on :math:`[0, 1)` (error ~2e-3).

    .. math:: y_0 = \sqrt{\sqrt{c^2 - \ell/a} - c},\quad \ell = \ln(1-t^2),\quad
              c = \frac{2}{\pi a} + \frac{\ell}{2},\quad a = 0.147.
    """
    a = 0.147
    ell = np.log((1.0 - t) * (1.0 + t))      # (1-t)(1+t) keeps the digits of 1 - t^2 near 1
    c = 2.0 / (np.pi * a) + ell / 2.0
    return np.sqrt(np.maximum(np.sqrt(c * c - ell / a) - c, 0.0))   # >= 0 up to rounding


def _erfinv64(x):
    r"""erfinv of a float64 array by Newton's method on our erf.

    Newton's step for :math:`\operatorname{erf}(y) = t` is
    :math:`y \leftarrow y - (\operatorname{erf}(y) - t)/\operatorname{erf}'(y)`.
    For :math:`t \ge 1/2` the residual is written :math:`(1-t) - \operatorname{erfc}(y)`
    (the same number, but ``1 - t`` is exact there and erfc keeps the digits that
    ``erf(y) - t`` would cancel near 1).
    """
    t = np.abs(x)
    inside = np.minimum(t, 1.0 - 1e-16)      # iterate on a safe value; fix up ±1 and |x|>1
    y = _erfinv_guess(inside)
    for _ in range(_NEWTON_STEPS):
        residual = np.where(inside < 0.5, _erf64(y) - inside, (1.0 - inside) - _erfc64(y))
        y = y - residual / _erf_slope(y)
    y = np.where(t == 1.0, np.inf, np.where(t > 1.0, np.nan, y))
    return np.sign(x) * y


def erfinv(x):
    r"""The inverse error function: :math:`y = \operatorname{erfinv}(x)` is the number
    with :math:`\operatorname{erf}(y) = x`.

    Defined on :math:`(-1, 1)`; :math:`\pm1 \mapsto \pm\infty`, and NaN outside.
    Computed with Newton iterations on :func:`erf` from Winitzki's approximation.

    Derivative (the inverse function rule,
    :math:`1/\operatorname{erf}'(y)`): :math:`g\,\frac{\sqrt\pi}{2}\,e^{y^2}`.
    """
    a = _value(x)
    dtype = _float_dtype(a)
    y = _erfinv64(a.astype(np.float64))
    return _record(y.astype(dtype), (x,), lambda g: (g * _SQRT_PI / 2.0 * np.exp(y * y),))


def rsqrt(x):
    r"""The reciprocal square root :math:`1/\sqrt{x}`.

    Derivative: :math:`-\tfrac12\,g\,x^{-3/2}`, i.e. :math:`-\tfrac12\,g\,y^3`.
    """
    a = _value(x)
    a = a if a.dtype.kind == "f" else a.astype(backend.floatx())
    out = 1.0 / np.sqrt(a)
    return _record(out, (x,), lambda g: (-0.5 * g * out ** 3,))


def logsumexp(x, axis=None, keepdims=False):
    r""":math:`\log\sum_i e^{x_i}`, computed stably as :math:`m + \log\sum_i e^{x_i - m}`.

    :math:`m = \max_i x_i` keeps every exponent :math:`\le 0`, so nothing overflows
    (an axis of only :math:`-\infty` gives :math:`-\infty`). ``axis`` is an int, a
    tuple of ints or None (all axes).

    Derivative: :math:`g\,\mathrm{softmax}(x)_i = g\,e^{x_i - \text{out}}`.
    """
    a = _value(x)
    top = a.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)        # an all -inf slice: shift by 0, not nan
    with np.errstate(divide="ignore", invalid="ignore"):      # log(0) = -inf is the answer
        out = top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))
        weights = np.exp(a - out)
    result = out if keepdims else (out.reshape(()) if axis is None else out.squeeze(axis))
    return _record(result, (x,), lambda g: (_expand(g, a.shape, axis, keepdims) * weights,))


def logdet(x):
    r"""The log-determinant :math:`\log\det A` of (a batch of) positive-definite matrices.

    Computed from the LU factorisation (``slogdet``), which never forms the
    determinant itself (it over- or underflows long before its log does). A
    matrix with :math:`\det A < 0` has no real log: NaN (:math:`-\infty` for a
    singular one).

    Derivative (Jacobi's formula :math:`d\log\det A = \operatorname{tr}(A^{-1}dA)`):
    :math:`g\,A^{-\top}`.
    """
    a = _value(x)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(
            f"ops.logdet: `x` must be a square matrix or a batch of them (shape "
            f"(..., n, n)); got shape {a.shape}. Fix: pass square matrices.")
    sign, log_abs = np.linalg.slogdet(a)
    out = np.where(sign > 0, log_abs, np.where(sign == 0, -np.inf, np.nan)).astype(log_abs.dtype)

    def vjp(g):
        return (np.asarray(g)[..., None, None] * np.swapaxes(np.linalg.inv(a), -1, -2),)
    return _record(out, (x,), vjp)


# ======================================================================== segments
def _segment_setup(op, data, segment_ids, num_segments):
    """The data, the ids, the number of segments, and which rows belong to a segment.

    A row whose id is negative, or not below ``num_segments``, belongs to no
    segment and is left out, as on Keras's torch backend (its NumPy backend
    leaves out negative ids but raises an IndexError for ids >= num_segments).
    """
    a = _value(data)
    ids = np.asarray(_value(segment_ids))
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(
            f"ops.{op}: `segment_ids` must be a 1-D integer tensor (one id per row of "
            f"`data`); got shape {ids.shape}, dtype {ids.dtype}. Fix: flatten both, e.g. "
            f"data.reshape((-1,) + data.shape[ids.ndim:]) and ids.reshape(-1).")
    if a.ndim < 1 or a.shape[0] != ids.shape[0]:
        raise ValueError(
            f"ops.{op}: `segment_ids` must have one id per row of `data`; got "
            f"{ids.shape[0]} ids for data of shape {a.shape}. Fix: pass ids of length "
            f"data.shape[0].")
    if num_segments is None:
        num_segments = int(ids.max()) + 1 if ids.size else 0
    kept = (ids >= 0) & (ids < num_segments)
    return a, ids[kept], int(num_segments), kept


def _segment_reduce(ufunc, start, a, ids, count, kept):
    """``ufunc.at`` of the kept rows into ``count`` rows that start at ``start``."""
    out = np.full((count,) + a.shape[1:], start, dtype=a.dtype)
    ufunc.at(out, ids, a[kept])
    return out


def _identity_for(a, largest):
    """The start of a running max (``largest=False``) or min: -inf/+inf, or the int limits."""
    if a.dtype.kind == "f":
        return np.inf if largest else -np.inf
    info = np.iinfo(a.dtype)
    return info.max if largest else info.min


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    r"""Sum the rows of ``data`` that share a segment id.

    .. math:: y_s = \sum_{i:\,\text{id}_i = s} x_i

    ``num_segments`` defaults to ``max(segment_ids) + 1``; an empty segment sums
    to 0; rows with a negative id are left out. ``sorted`` only tells Keras the
    ids are sorted (a speed hint): the result is the same.

    Derivative: each row receives its segment's gradient, :math:`\bar x_i = g_{\text{id}_i}`.
    """
    a, ids, count, kept = _segment_setup("segment_sum", data, segment_ids, num_segments)
    out = _segment_reduce(np.add, 0, a, ids, count, kept)

    def vjp(g):
        grad = np.zeros(a.shape, dtype=np.result_type(g, a))
        grad[kept] = g[ids]
        return (grad, None)
    return _record(out, (data, segment_ids), vjp)


def _segment_extreme(op, data, segment_ids, num_segments, ufunc, largest):
    a, ids, count, kept = _segment_setup(op, data, segment_ids, num_segments)
    out = _segment_reduce(ufunc, _identity_for(a, not largest), a, ids, count, kept)

    def vjp(g):
        winners = (a[kept] == out[ids])                  # the rows that set their segment's value
        ties = np.zeros(out.shape)
        np.add.at(ties, ids, winners)                    # how many share each winning value
        grad = np.zeros(a.shape, dtype=np.result_type(g, a))
        grad[kept] = g[ids] * winners / np.maximum(ties[ids], 1)
        return (grad, None)
    return _record(out, (data, segment_ids), vjp)


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    r"""The largest row of each segment (elementwise): :math:`y_s = \max_{\text{id}_i = s} x_i`.

    An empty segment is :math:`-\infty`. Arguments as in :func:`segment_sum`.

    Derivative: the gradient goes to the rows that attain the maximum (split
    equally between ties); the others get 0.
    """
    return _segment_extreme("segment_max", data, segment_ids, num_segments, np.maximum, True)


def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    r"""The smallest row of each segment (elementwise): :math:`y_s = \min_{\text{id}_i = s} x_i`.

    An empty segment is :math:`+\infty`. Arguments as in :func:`segment_sum`.

    Derivative: the gradient goes to the rows that attain the minimum (split
    equally between ties); the others get 0.
    """
    return _segment_extreme("segment_min", data, segment_ids, num_segments, np.minimum, False)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    r"""Multiply the rows of each segment: :math:`y_s = \prod_{i:\,\text{id}_i = s} x_i`.

    An empty segment is 1. Arguments as in :func:`segment_sum`.

    Derivative: :math:`\bar x_i = g_s \prod_{j \ne i,\ \text{id}_j = s} x_j`, the
    product of the *other* rows. Written as :math:`y_s / x_i` it would divide by
    zero, so it is computed from the product of the non-zero rows and the number
    of zeros: with no zero it is :math:`y_s/x_i`; with exactly one zero only that
    row gets a gradient (the product of the rest); with two or more, none does.
    """
    a, ids, count, kept = _segment_setup("segment_prod", data, segment_ids, num_segments)
    out = _segment_reduce(np.multiply, 1, a, ids, count, kept)

    def vjp(g):
        rows = a[kept]
        is_zero = rows == 0
        zeros = np.zeros(out.shape)
        np.add.at(zeros, ids, is_zero)                           # zeros per segment
        nonzero_product = _segment_reduce(np.multiply, 1, np.where(a == 0, 1, a),
                                          ids, count, kept)
        no_zero_rest = nonzero_product[ids] / np.where(is_zero, 1, rows)    # y_s / x_i
        others = np.where(is_zero,
                          np.where(zeros[ids] == 1, nonzero_product[ids], 0),
                          np.where(zeros[ids] == 0, no_zero_rest, 0))
        grad = np.zeros(a.shape, dtype=np.result_type(g, a))
        grad[kept] = g[ids] * others
        return (grad, None)
    return _record(out, (data, segment_ids), vjp)


# ======================================================================== rankings
def _check_k(op, k, size):
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= size:
        raise ValueError(
            f"ops.{op}: `k` must be an integer from 1 to the size of the last axis "
            f"({size}); got {k!r}. Fix: pass 1 <= k <= {size}.")


def top_k(x, k, sorted=True):  # noqa: A002
    r"""The ``k`` largest entries of the last axis, and where they are: ``(values, indices)``.

    ``sorted=True`` lists them largest first (ties: the smaller index first);
    ``sorted=False`` lists the same ``k`` entries in their original order (Keras
    leaves that order unspecified). ``indices`` are int64, as on Keras's NumPy and
    torch backends.

    Derivative: ``values`` is a selection, :math:`v_j = x_{\text{idx}_j}`, so its
    gradient is scattered back, :math:`\bar x_{\text{idx}_j} = g_j` and 0 elsewhere.
    ``indices`` are integers: no gradient.
    """
    a = _value(x)
    if a.ndim < 1:
        raise ValueError("ops.top_k: `x` must have at least one axis; got a scalar. Fix: "
                         "pass an array whose last axis holds the candidates.")
    _check_k("top_k", k, a.shape[-1])
    keys = -a.astype(np.float64) if a.dtype.kind in "ub" else -a   # descending, stable
    order = np.argsort(keys, axis=-1, kind="stable")[..., :k]
    if not sorted:
        order = np.sort(order, axis=-1)
    values = np.take_along_axis(a, order, axis=-1)

    def vjp(g):
        grad = np.zeros(a.shape, dtype=np.result_type(g, a))
        np.put_along_axis(grad, order, g, axis=-1)
        return (grad,)
    return _record(values, (x,), vjp), order.astype(np.int64)


def in_top_k(targets, predictions, k):
    r"""Whether each target class is among the ``k`` highest predictions of its row (bool).

    Row :math:`i` answers :math:`p_{i,t_i} \ge` the :math:`k`-th largest of
    :math:`p_{i,:}`, so a target tied with the :math:`k`-th value counts as in.

    No gradient: the answer is a boolean.
    """
    t = np.asarray(_value(targets))
    p = _value(predictions)
    if p.ndim != 2 or t.shape != p.shape[:1]:
        raise ValueError(
            f"ops.in_top_k: `predictions` must have shape (batch, classes) and `targets` "
            f"shape (batch,); got {p.shape} and {t.shape}. Fix: pass one integer class "
            f"per row of predictions.")
    _check_k("in_top_k", k, p.shape[-1])
    kth_largest = np.partition(p, -k, axis=-1)[:, -k]
    return np.take_along_axis(p, t.astype(np.int64)[:, None], axis=-1)[:, 0] >= kth_largest


# ======================================================================== distances, frames
def cdist(x, y):
    r"""Euclidean distances between the rows of ``x`` (..., m, d) and ``y`` (..., n, d).

    .. math:: D_{ij} = \lVert x_i - y_j \rVert_2 = \sqrt{\textstyle\sum_k (x_{ik} - y_{jk})^2},

    an (..., m, n) array; the leading (batch) axes broadcast.

    Derivative: :math:`\partial D_{ij}/\partial x_i = (x_i - y_j)/D_{ij}`, so
    :math:`\bar x_i = \sum_j g_{ij}(x_i - y_j)/D_{ij}` and
    :math:`\bar y_j = -\sum_i g_{ij}(x_i - y_j)/D_{ij}`. At :math:`D_{ij} = 0` the
    distance has a kink; we pass 0 there (torch's autograd gives NaN).
    """
    a, b = _value(x), _value(y)
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"ops.cdist: `x` and `y` must have shapes (..., m, d) and (..., n, d) with the "
            f"same d; got {a.shape} and {b.shape}. Fix: put the points in rows and the "
            f"coordinates in the last axis (reshape a single point to (1, d)).")
    dtype = _float_dtype(a, b)
    diff = (a[..., :, None, :] - b[..., None, :, :]).astype(dtype)   # (..., m, n, d)
    dist = np.sqrt(np.sum(diff * diff, axis=-1))

    def vjp(g):
        share = np.where(dist > 0, g / np.where(dist > 0, dist, 1), 0)[..., None] * diff
        return (unbroadcast(share.sum(axis=-2), a.shape),
                unbroadcast(-share.sum(axis=-3), b.shape))
    return _record(dist, (x, y), vjp)


def _frame_index(length, sequence_length, sequence_stride):
    """``(frames, sequence_length)`` positions: row ``f`` is ``f*stride + [0, ..., L-1]``."""
    count = 1 + (length - sequence_length) // sequence_stride
    return sequence_stride * np.arange(count)[:, None] + np.arange(sequence_length)


def _overlap_add(frames, index, length):
    """The adjoint of framing: add each frame back at its place in a signal of ``length``."""
    out = np.zeros(frames.shape[:-2] + (length,), dtype=frames.dtype)
    np.add.at(out, (Ellipsis, index), frames)
    return out


def extract_sequences(x, sequence_length, sequence_stride):
    r"""Frame the last axis: :math:`y_{f,j} = x_{f\cdot s + j}` for :math:`j < L`.

    An (..., N) input becomes (..., F, L) with
    :math:`F = 1 + \lfloor (N - L)/s \rfloor` frames of length :math:`L` taken
    every :math:`s` samples (they overlap when :math:`s < L`).

    Derivative: **overlap-add** -- every sample receives the sum of the gradients
    of all the frame entries that copied it.
    """
    a = _value(x)
    _check_positive_int("extract_sequences", "sequence_length", sequence_length,
                        "pass the frame length, e.g. 3.")
    _check_positive_int("extract_sequences", "sequence_stride", sequence_stride,
                        "pass the hop between frame starts, e.g. 2.")
    if a.ndim < 1 or a.shape[-1] < sequence_length:
        raise ValueError(
            f"ops.extract_sequences: the last axis of `x` must hold at least "
            f"sequence_length={sequence_length} samples; got shape {a.shape}. Fix: pass a "
            f"longer signal or a shorter sequence_length.")
    index = _frame_index(a.shape[-1], sequence_length, sequence_stride)
    return _record(a[..., index], (x,),
                   lambda g: (_overlap_add(np.asarray(g), index, a.shape[-1]),))


# ======================================================================== Fourier transforms
def fft(x):
    r"""The discrete Fourier transform of the last axis: :math:`y_k = \sum_n x_n e^{-2\pi i kn/N}`.

    ``x`` and the result are ``(real, imag)`` pairs.

    Derivative: :math:`\bar x = F^H \bar y = N\,\mathrm{ifft}(\bar y)` (see the
    module's introduction for the complex-gradient convention).
    """
    real, imag = _complex_pair("fft", x)
    dtype = np.result_type(real, imag)

    def vjp(grads):
        return _parts(real.shape[-1] * np.fft.ifft(grads[0] + 1j * grads[1], axis=-1), dtype)
    return _record_many(_parts(np.fft.fft(real + 1j * imag, axis=-1), dtype), tuple(x), vjp)


def _check_rank2(op, real):
    if real.ndim < 2:
        raise ValueError(f"ops.{op}: `x` must have at least two axes (the last two are "
                         f"transformed); got shape {real.shape}. Fix: pass (..., m, n) arrays.")


def fft2(x):
    r"""The 2-D DFT of the last two axes.

    .. math:: y_{kl} = \sum_{m,n} x_{mn}\, e^{-2\pi i (km/M + ln/N)}

    Derivative: :math:`\bar x = MN\,\mathrm{ifft2}(\bar y)` (the conjugate transpose
    of the 2-D DFT).
    """
    real, imag = _complex_pair("fft2", x)
    _check_rank2("fft2", real)
    dtype = np.result_type(real, imag)
    size = real.shape[-1] * real.shape[-2]

    def vjp(grads):
        return _parts(size * np.fft.ifft2(grads[0] + 1j * grads[1]), dtype)
    return _record_many(_parts(np.fft.fft2(real + 1j * imag), dtype), tuple(x), vjp)


def ifft2(x):
    r"""The inverse 2-D DFT of the last two axes.

    .. math:: y_{mn} = \frac{1}{MN}\sum_{k,l} x_{kl}\, e^{+2\pi i (km/M + ln/N)}

    Derivative: :math:`\bar x = \mathrm{fft2}(\bar y)/(MN)`.
    """
    real, imag = _complex_pair("ifft2", x)
    _check_rank2("ifft2", real)
    dtype = np.result_type(real, imag)
    size = real.shape[-1] * real.shape[-2]

    def vjp(grads):
        return _parts(np.fft.fft2(grads[0] + 1j * grads[1]) / size, dtype)
    return _record_many(_parts(np.fft.ifft2(real + 1j * imag), dtype), tuple(x), vjp)


def _rfft_adjoint(g_real, g_imag, n):
    r"""The gradient of a length-``n`` real signal from that of its ``rfft`` bins.

    ``rfft`` keeps the first :math:`K = n/2 + 1` rows of the DFT matrix, so its
    adjoint is :math:`F^H` applied to the bin gradients padded with zeros to
    :math:`n` -- that is, :math:`n\,\mathrm{ifft}` -- and the real part (the signal
    is real).
    """
    full = _fit_last_axis(g_real + 1j * g_imag, n)
    return (n * np.fft.ifft(full, axis=-1)).real


def _irfft_adjoint(g, n):
    r"""The gradient of the spectrum bins from that of ``irfft``'s length-``n`` output.

    ``irfft`` reads each bin once, but a non-edge bin :math:`k` stands for the pair
    :math:`k, n-k` of a Hermitian spectrum:
    :math:`x_t = \frac1n\big(Z_0 + 2\sum_{0<k<n/2}\operatorname{Re}(Z_k e^{2\pi i kt/n})
    + Z_{n/2}(-1)^t\big)`. Differentiating,
    :math:`\bar Z_k = \frac{c_k}{n}\,\mathrm{rfft}(\bar x)_k` with :math:`c_k = 2`,
    except :math:`c = 1` for bin 0 and (``n`` even) bin :math:`n/2`. The imaginary
    parts of those edge bins are ignored by ``irfft``; their gradient comes out 0.
    """
    spectrum = np.fft.rfft(g, n=n, axis=-1)
    weight = np.full(spectrum.shape[-1], 2.0)
    weight[0] = 1.0
    if n % 2 == 0:
        weight[-1] = 1.0
    return spectrum * weight / n


def rfft(x, fft_length=None):
    r"""The DFT of a real signal's last axis, its non-negative frequencies only.

    A real signal's spectrum is Hermitian (:math:`y_{N-k} = \overline{y_k}`), so
    the :math:`n/2 + 1` bins :math:`y_k = \sum_{t<n} x_t e^{-2\pi i kt/n}`,
    :math:`0 \le k \le n/2`, say everything. ``fft_length`` (:math:`n`, default
    the length of the axis) crops the signal or pads it with zeros. Returns
    ``(real, imag)``.

    Derivative: :math:`\bar x = \operatorname{Re}\big(n\,\mathrm{ifft}(\bar y
    \text{ padded with zeros to } n)\big)`, cropped/padded back to the input length.
    """
    a = _value(x)
    a = a if a.dtype.kind == "f" else a.astype(backend.floatx())
    n = a.shape[-1] if fft_length is None else fft_length
    _check_positive_int("rfft", "fft_length", n, "pass the FFT size, e.g. 8.")

    def vjp(grads):
        return (_fit_last_axis(_rfft_adjoint(grads[0], grads[1], n), a.shape[-1]),)
    return _record_many(_parts(np.fft.rfft(a, n=n, axis=-1), a.dtype), (x,), vjp)


def irfft(x, fft_length=None):
    r"""The inverse of :func:`rfft`: a real signal of length :math:`n` from its half spectrum.

    ``fft_length`` (:math:`n`) defaults to :math:`2(K-1)` for :math:`K` bins; pass it
    for an odd length. The first :math:`n/2+1` bins are used (missing ones are 0);
    the imaginary parts of bin 0 and, for even :math:`n`, of bin :math:`n/2` are
    ignored (a real signal has none).

    Derivative: :math:`\bar Z_k = \frac{c_k}{n}\,\mathrm{rfft}(\bar x)_k`, with
    :math:`c_k = 2` for the bins that stand for two frequencies and 1 for the
    edge bins (see :func:`_irfft_adjoint`).
    """
    real, imag = _complex_pair("irfft", x)
    n = 2 * (real.shape[-1] - 1) if fft_length is None else fft_length
    _check_positive_int("irfft", "fft_length", n,
                        "pass the signal length, e.g. 8 (needed when it is odd).")
    dtype = np.result_type(real, imag)
    out = np.fft.irfft(real + 1j * imag, n=n, axis=-1).astype(dtype)

    def vjp(g):
        return _parts(_fit_last_axis(_irfft_adjoint(g, n), real.shape[-1]), dtype)
    return _record(out, tuple(x), vjp)


# ======================================================================== short-time transforms
def _window(op, window, sequence_length, fft_length, dtype):
    r"""The analysis window, zero-padded (centred) to ``fft_length`` samples.

    ``"hann"`` is :math:`w_t = \tfrac12 - \tfrac12\cos(2\pi t/L)` and ``"hamming"``
    :math:`0.54 - 0.46\cos(2\pi t/L)`, both *periodic* (the period is :math:`L`,
    not :math:`L-1`: the form whose shifted copies add up to a constant). ``None``
    is a rectangle of ones; an array is used as given.
    """
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(
                f"ops.{op}: a `window` given by name must be 'hann' or 'hamming'; got "
                f"{window!r}. Fix: use one of those, an array of length sequence_length, "
                f"or None (no window).")
        a0 = 0.5 if window == "hann" else 0.54
        phase = 2 * np.pi * np.arange(sequence_length) / sequence_length
        win = np.ones(1) if sequence_length == 1 else a0 - (1 - a0) * np.cos(phase)
    elif window is None:
        win = np.ones(sequence_length)
    else:
        win = np.asarray(_value(window), dtype=np.float64)
        if win.shape != (sequence_length,):
            raise ValueError(
                f"ops.{op}: `window` must have shape (sequence_length,) = "
                f"({sequence_length},); got {win.shape}. Fix: pass a 1-D window of "
                f"sequence_length samples.")
    left = (fft_length - sequence_length) // 2
    return np.pad(win, (left, fft_length - sequence_length - left)).astype(dtype)


def _check_stft_lengths(op, sequence_length, sequence_stride, fft_length):
    _check_positive_int(op, "sequence_stride", sequence_stride,
                        "pass the hop between frames, e.g. sequence_length // 4.")
    _check_positive_int(op, "sequence_length", sequence_length,
                        "pass the window length, e.g. 256.")
    _check_positive_int(op, "fft_length", fft_length, "pass the FFT size, e.g. 256.")
    if fft_length < sequence_length:
        raise ValueError(
            f"ops.{op}: `fft_length` must be at least `sequence_length`; got "
            f"fft_length={fft_length}, sequence_length={sequence_length}. Fix: pass "
            f"fft_length >= sequence_length (often the next power of 2).")


def _reflect_pad(a, pad):
    """Pad the last axis by ``pad`` mirrored samples on each side (the edge not repeated)."""
    return np.pad(a, [(0, 0)] * (a.ndim - 1) + [(pad, pad)], mode="reflect")


def _reflect_pad_adjoint(g, pad, length):
    """Fold the gradient of a reflect-padded signal back onto the ``length`` samples."""
    grad = g[..., pad:pad + length].copy()
    if pad:
        grad[..., 1:pad + 1] += g[..., pad - 1::-1]                     # left mirror: x[1..pad]
        grad[..., length - 1 - pad:length - 1] += g[..., :pad + length - 1:-1]   # right mirror
    return grad


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    r"""The short-time Fourier transform: the spectrum of windowed frames of the last axis.

    Frame :math:`f` of the signal, multiplied by the window :math:`w` (of
    ``sequence_length`` samples, centred in ``fft_length``), gives the row

    .. math:: Y_{f,k} = \sum_{t < n} x_{f s + t}\, w_t\, e^{-2\pi i kt/n},
              \qquad 0 \le k \le n/2,

    with :math:`s` = ``sequence_stride`` and :math:`n` = ``fft_length``. With
    ``center=True`` the signal is first padded by :math:`n/2` mirrored samples on
    each side, so frame :math:`f` is centred on sample :math:`f s`. Returns
    ``(real, imag)`` of shape (..., frames, n/2 + 1). No normalisation is applied.

    Derivative: the chain of the adjoints, in reverse -- :func:`rfft`'s
    (:math:`n\,\mathrm{ifft}`), times the window, overlap-add of the frames, and the
    mirrored padding folded back onto the samples it copied.
    """
    _check_stft_lengths("stft", sequence_length, sequence_stride, fft_length)
    a = _value(x)
    if a.dtype not in (np.float32, np.float64):
        raise TypeError(f"ops.stft: `x` must be float32 or float64; got {a.dtype}. Fix: "
                        f"ops.cast(x, 'float32').")
    win = _window("stft", window, sequence_length, fft_length, a.dtype)
    pad = fft_length // 2 if center else 0
    if a.ndim < 1 or a.shape[-1] <= pad or a.shape[-1] + 2 * pad < fft_length:
        raise ValueError(
            f"ops.stft: the last axis of `x` is too short for fft_length={fft_length} "
            f"(center={center}); got shape {a.shape}. Fix: pass a signal longer than "
            f"fft_length // 2 (center=True) or than fft_length (center=False).")
    padded = _reflect_pad(a, pad) if pad else a
    index = _frame_index(padded.shape[-1], fft_length, sequence_stride)
    spectrum = np.fft.rfft(padded[..., index] * win, n=fft_length, axis=-1)

    def vjp(grads):
        frames = _rfft_adjoint(grads[0], grads[1], fft_length) * win
        g_padded = _overlap_add(frames, index, padded.shape[-1])
        return (_reflect_pad_adjoint(g_padded, pad, a.shape[-1]),)
    return _record_many(_parts(spectrum, a.dtype), (x,), vjp)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    r"""The inverse of :func:`stft`: frames back from their spectra, overlapped and added.

    Each row is inverted with :func:`irfft`, multiplied by the window again and
    added at its place (overlap-add); dividing by the sum of the squared windows
    that cover each sample,

    .. math:: x_t = \frac{\sum_f w_{t - fs}\,\mathrm{irfft}(Y_f)_{t - fs}}
                         {\sum_f w_{t - fs}^2},

    undoes the analysis window exactly (least-squares inverse of Griffin and Lim),
    so ``istft(stft(x))`` gives ``x`` back wherever a window covers it with a
    non-zero weight. ``center=True`` removes the :math:`n/2` padded samples of each
    end; ``length`` crops (or zero-pads) the result to that many samples.

    Derivative: the same steps in reverse -- the gradient divided by the window
    sum, cut into frames, times the window, through :func:`irfft`'s adjoint.
    """
    _check_stft_lengths("istft", sequence_length, sequence_stride, fft_length)
    real, imag = _complex_pair("istft", x)
    if real.ndim < 2:
        raise ValueError(f"ops.istft: `x` must have shape (..., frames, bins); got "
                         f"{real.shape}. Fix: pass the pair that ops.stft returned.")
    dtype = np.result_type(real, imag)
    bins = real.shape[-1]
    win = _window("istft", window, sequence_length, fft_length, np.float64)
    total = fft_length + sequence_stride * (real.shape[-2] - 1)
    index = _frame_index(total, fft_length, sequence_stride)
    envelope = _overlap_add(np.broadcast_to(win * win, index.shape), index, total)
    envelope = np.where(envelope > 1e-11, envelope, 1.0)    # no window there: nothing to undo
    start = fft_length // 2 if center else 0
    end = start + length if length is not None else total - start
    frames = np.fft.irfft(real + 1j * imag, n=fft_length, axis=-1)
    signal = _overlap_add(frames * win, index, total) / envelope
    out = _fit_last_axis(signal[..., start:], end - start).astype(dtype)

    def vjp(g):
        g_signal = np.zeros(real.shape[:-2] + (total,))
        kept = min(end, total) - start
        g_signal[..., start:start + kept] = g[..., :kept]
        g_frames = (g_signal / envelope)[..., index] * win
        return _parts(_fit_last_axis(_irfft_adjoint(g_frames, fft_length), bins), dtype)
    return _record(out, tuple(x), vjp)


# ======================================================================== complex views
def view_as_complex(x):
    r"""A complex array from a real one whose last axis (of size 2) holds ``(real, imag)``.

    :math:`z = x_{\dots,0} + i\,x_{\dots,1}`; complex64 for float32 input (as in
    Keras), complex128 for float64.

    Derivative: with the complex-gradient convention of this module,
    :math:`\bar x_{\dots,0} = \operatorname{Re}\bar z` and
    :math:`\bar x_{\dots,1} = \operatorname{Im}\bar z`.
    """
    a = _value(x)
    if a.ndim < 1 or a.shape[-1] != 2:
        raise ValueError(
            f"ops.view_as_complex: the last axis of `x` must have size 2 (real, imag); "
            f"got shape {a.shape}. Fix: stack the parts, ops.stack([re, im], axis=-1).")
    ctype = np.complex128 if a.dtype == np.float64 else np.complex64
    out = a[..., 0].astype(ctype) + 1j * a[..., 1].astype(ctype)
    return _record(out, (x,),
                   lambda g: (np.stack([np.real(g), np.imag(g)], axis=-1),))


def view_as_real(x):
    r"""A real array with a last axis of size 2, ``(real, imag)``, from a complex one.

    :math:`y_{\dots,0} = \operatorname{Re} z`, :math:`y_{\dots,1} = \operatorname{Im} z`
    (float32 for complex64, float64 for complex128).

    Derivative: :math:`\bar z = \bar y_{\dots,0} + i\,\bar y_{\dots,1}` (for a real
    input only the first half, the imaginary part being the constant 0).
    """
    z = _value(x)
    out = np.stack([np.real(z), np.imag(z)], axis=-1)

    def vjp(g):
        return (g[..., 0] + 1j * g[..., 1] if np.iscomplexobj(z) else g[..., 0],)
    return _record(out, (x,), vjp)


__all__ = ["cdist", "erf", "erfc", "erfinv", "extract_sequences", "fft", "fft2", "ifft2",
           "in_top_k", "irfft", "istft", "logdet", "logsumexp", "rfft", "rsqrt",
           "segment_max", "segment_min", "segment_prod", "segment_sum", "stft", "top_k",
           "view_as_complex", "view_as_real"]
