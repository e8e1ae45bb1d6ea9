r"""Reductions, statistics, cumulative ops, sorting and searching.

A reduction maps many entries to one: :math:`y = \sum_i x_i`,
:math:`\max_i x_i`, a mean, a quantile. Its vector-Jacobian product sends the
upstream gradient back to the entries that made the result -- every entry
for a sum, :math:`1/n` of it for a mean, only the winners for a max -- after
:func:`_expand` (or :func:`_spread`) has put the reduced axes back so the
gradient broadcasts against the input.

Three ideas carry most of the chapter:

* **Reduce over the last axis.** Several reduced axes are moved to the end
  and flattened into one (:func:`_gather_last`); a product, a quantile or a
  sort then works on rows, and the gradient is reshaped back the same way.
* **Sorting is a permutation.** A sort, a median or a quantile picks entries
  of the sorted row; the gradient of the picked entries is scattered back
  through the permutation (:func:`_unsort`). Equal entries share it equally,
  as tied maxima do: each is "the" winner with the same right.
* **Indices and counts are integers.** ``argmax``, ``argsort``,
  ``searchsorted``, ``bincount``, ``unique``... return plain NumPy arrays and
  are never recorded: a small change of the input does not move an index, so
  no gradient flows through them (Keras has none either).

The ``nan*`` variants read a NaN as "missing": it is left out of the count
(``nanmean``), counted as 0 in a sum and as 1 in a product, and gets no
gradient.
"""
import builtins          # Python's max/min/all/any, which this module's ops shadow

import numpy as np

from kerastutor import backend
from kerastutor.tape import _record, _value, subtract

#: The interpolations ``quantile`` (and ``percentile``, ``median``) know, as in Keras.
QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


# ============================================================================ helpers
def _axes(axis, ndim, op):
    """``axis`` (None, an int or a sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    size = builtins.max(ndim, 1)                 # a 0-d input still accepts axis 0 / -1
    for a in axes:
        if not -size <= a < size:
            raise ValueError(
                f"ops.{op}: `axis` {a} is out of range for an input with {ndim} "
                f"dimension(s). Fix: pass an axis between {-size} and {size - 1}, or None "
                f"to reduce over all of them.")
    return tuple(sorted({a % size for a in axes}))


def _expand(g, shape, axis, keepdims):
    """Put reduced axes back so ``g`` broadcasts against the input."""
    if axis is None or keepdims:
        return g if keepdims else np.broadcast_to(g, shape)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = sorted(a % len(shape) for a in axes)
    for a in axes:
        g = np.expand_dims(g, a)
    return g


def _spread(g, shape, axes, keepdims):
    """The upstream gradient ``g`` of a reduction over ``axes``, copied to every entry."""
    if not keepdims:
        g = np.expand_dims(g, axes)
    return np.broadcast_to(g, shape)


def _squeeze(out, axes, keepdims):
    """A reduction computed with ``keepdims=True``, its reduced axes dropped unless kept."""
    return out if keepdims else np.squeeze(out, axis=axes)


def _float_dtype(dtype):
    """Float inputs keep their dtype; integers and booleans average to ``floatx``."""
    return dtype if np.dtype(dtype).kind in "fc" else np.dtype(backend.floatx())


def _sum_dtype(dtype):
    """The accumulator dtype of ``sum``/``prod``/``trace``: small integers widen to 32 bits."""
    dtype = np.dtype(dtype)
    if dtype in (np.bool_, np.int8, np.int16):
        return np.dtype("int32")
    if dtype in (np.uint8, np.uint16):
        return np.dtype("uint32")
    return dtype


def _gather_last(a, axes):
    """``a`` with ``axes`` moved to the end and flattened into one last axis.

    Returns ``(rows, back)``: ``rows`` has shape ``(kept axes..., n)`` and
    ``back(b)`` undoes the move for an array ``b`` of the same shape as
    ``rows`` (a gradient computed row by row).
    """
    kept = [i for i in range(a.ndim) if i not in axes]
    order = kept + list(axes)
    moved = np.transpose(a, order)
    rows = moved.reshape(moved.shape[:len(kept)] + (-1,))

    def back(b):
        return np.transpose(np.reshape(b, moved.shape), np.argsort(order))
    return rows, back


def _exclusive_cumprod(a, axis=-1):
    r""":math:`\prod_{k<i} a_k` along ``axis``: the product of the entries *before* each one."""
    ones = np.ones_like(np.take(a, [0], axis=axis))
    before = np.cumprod(np.concatenate([ones, a], axis=axis), axis=axis)
    return np.delete(before, -1, axis=axis)


def _unsort(grad_sorted, order, sorted_values):
    """Send the gradient of a sorted last axis back to where each entry came from.

    ``order`` is the permutation the sort used (``argsort``) and
    ``sorted_values`` the sorted rows. Runs of equal values are *tie groups*:
    every entry of a group gets the group's mean gradient, so ties share it
    equally (the rule ``max`` uses) instead of one of them taking all.
    """
    n = sorted_values.shape[-1]
    if n == 0:
        return np.zeros_like(grad_sorted)
    starts = np.ones(sorted_values.shape, dtype=bool)          # a new group starts where
    starts[..., 1:] = sorted_values[..., 1:] != sorted_values[..., :-1]  # the value changes
    group = np.cumsum(starts, axis=-1) - 1
    rows = sorted_values.size // n
    ids = (group.reshape(rows, n) + n * np.arange(rows)[:, None]).ravel()  # one range per row
    total = np.bincount(ids, weights=grad_sorted.ravel(), minlength=rows * n)
    size = np.bincount(ids, minlength=rows * n)
    shared = (total / np.maximum(size, 1))[ids].reshape(grad_sorted.shape)
    grad = np.empty(grad_sorted.shape, dtype=grad_sorted.dtype)
    np.put_along_axis(grad, order, shared.astype(grad_sorted.dtype), axis=-1)
    return grad


# ============================================================================ sums and means
def sum(x, axis=None, keepdims=False):  # noqa: A001
    r"""Sum over ``axis``: :math:`y = \sum_{i} x_i`.

    Derivative: :math:`\partial y/\partial x_i = 1`, so every summed entry
    receives the upstream gradient :math:`g` unchanged. Booleans and small
    integers are summed in ``int32``, small unsigned ones in ``uint32`` (as
    Keras's NumPy and JAX backends; torch has no ``uint32`` and gives ``int32``).
    """
    a = _value(x)
    axes = _axes(axis, a.ndim, "sum")
    out = np.sum(a, axis=axes, keepdims=keepdims).astype(_sum_dtype(a.dtype))
    return _record(out, (x,), lambda g: (_spread(g, a.shape, axes, keepdims).copy(),))


def nansum(x, axis=None, keepdims=False):
    r"""Sum that skips NaNs: :math:`y = \sum_{i:\,x_i \ne \mathrm{NaN}} x_i`.

    Derivative: :math:`g` for every present entry, 0 for a NaN (it was not used).
    """
    a = _value(x)
    axes = _axes(axis, a.ndim, "nansum")
    present = ~np.isnan(a) if a.dtype.kind in "fc" else np.ones(a.shape, bool)
    out = np.sum(np.where(present, a, 0), axis=axes, keepdims=keepdims)
    return _record(out.astype(_sum_dtype(a.dtype)), (x,),
                   lambda g: (_spread(g, a.shape, axes, keepdims) * present,))


def mean(x, axis=None, keepdims=False):
    r"""Mean over ``axis``: :math:`y = \frac1n \sum_i x_i`.

    Derivative: :math:`g/n` to each of the :math:`n` averaged entries. Integers
    average to ``floatx``.
    """
    a = _value(x)
    axes = _axes(axis, a.ndim, "mean")
    count = builtins.max(int(np.prod([a.shape[i] for i in axes])), 1)    # entries per average
    out = np.mean(a, axis=axes, keepdims=keepdims).astype(_float_dtype(a.dtype))
    return _record(out, (x,), lambda g: (_spread(g, a.shape, axes, keepdims) / count,))


def nanmean(x, axis=None, keepdims=False):
    r"""Mean of the present (non-NaN) entries: :math:`y = \frac1{n'}\sum_{x_i\ne\mathrm{NaN}} x_i`.

    Derivative: :math:`g/n'` to each present entry, 0 to a NaN; :math:`n'`
    counts the present entries of each average (an all-NaN slice gives NaN).
    """
    a = _value(x)
    axes = _axes(axis, a.ndim, "nanmean")
    present = ~np.isnan(a) if a.dtype.kind in "fc" else np.ones(a.shape, bool)
    count = np.sum(present, axis=axes, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sum(np.where(present, a, 0), axis=axes, keepdims=True) / count
    out = _squeeze(out, axes, keepdims).astype(_float_dtype(a.dtype))
    return _record(out, (x,),
                   lambda g: (_spread(g, a.shape, axes, keepdims) * present / count,))


def average(x, axis=None, weights=None):
    r"""Weighted mean :math:`y = \sum_i w_i x_i \big/ \sum_i w_i` (the mean if ``weights`` is None).

    ``weights`` has the shape of ``x``, or is 1-D with one weight per entry
    along ``axis`` (as in NumPy). Derivatives, with :math:`W = \sum_i w_i`:

    .. math:: \frac{\partial y}{\partial x_i} = \frac{w_i}{W}, \qquad
              \frac{\partial y}{\partial w_i} = \frac{x_i - y}{W}

    (a heavier weight pulls the mean towards its entry). Both are recorded.
    """
    if weights is None:
        return mean(x, axis=axis)
    a, w = _value(x), _value(weights)
    dtype = np.result_type(_float_dtype(a.dtype), _float_dtype(w.dtype))
    axes = _axes(axis, a.ndim, "average")
    if w.shape != a.shape:
        if axis is None or w.ndim != 1 or len(axes) != 1 or w.shape[0] != a.shape[axes[0]]:
            raise ValueError(
                f"ops.average: `weights` must have the shape of `x` {a.shape}, or be 1-D "
                f"with one weight per entry along a single `axis`; got weights of shape "
                f"{w.shape} with axis={axis}. Fix: pass weights of shape {a.shape}, or "
                f"1-D weights and the axis they run along.")
    aligned = w if w.shape == a.shape else np.reshape(
        w, [-1 if i == axes[0] else 1 for i in range(a.ndim)])
    total = np.sum(np.broadcast_to(aligned, a.shape), axis=axes, keepdims=True)  # W per mean
    out = np.sum(a * aligned, axis=axes, keepdims=True) / total

    def vjp(g):
        g = np.expand_dims(g, axes) / total
        grad_w = g * (a - out)
        if w.shape != a.shape:                    # one weight served a whole slice
            grad_w = np.sum(grad_w, axis=tuple(i for i in range(a.ndim) if i != axes[0]))
        return np.broadcast_to(g * aligned, a.shape).copy(), grad_w
    return _record(np.squeeze(out, axis=axes).astype(dtype), (x, weights), vjp)


def _moments(x, axis, keepdims, op, skip_nan, root):
    r"""Variance (``root=False``) or standard deviation (``root=True``) with their VJP.

    With :math:`d_i = x_i - \bar x` and :math:`n` entries,
    :math:`v = \frac1n\sum_i d_i^2` and

    .. math:: \frac{\partial v}{\partial x_i} = \frac{2 d_i}{n}, \qquad
              \frac{\partial \sqrt v}{\partial x_i} = \frac{d_i}{n\sqrt v}.

    (The mean depends on :math:`x_i` too, but its term is
    :math:`-\frac2n\sum_k d_k\,\partial\bar x/\partial x_i = 0`: deviations sum to zero.)
    """
    a = _value(x)
    axes = _axes(axis, a.ndim, op)
    present = ~np.isnan(a) if (skip_nan and a.dtype.kind in "fc") else np.ones(a.shape, bool)
    count = np.sum(present, axis=axes, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.sum(np.where(present, a, 0), axis=axes, keepdims=True) / count
        deviation = np.where(present, a - centre, 0)
        variance = np.sum(deviation ** 2, axis=axes, keepdims=True) / count
    out = np.sqrt(variance) if root else variance

    def vjp(g):
        g = np.expand_dims(g, axes) if not keepdims else g
        slope = deviation / (count * out) if root else 2 * deviation / count
        return (g * slope,)
    return _record(_squeeze(out, axes, keepdims).astype(_float_dtype(a.dtype)), (x,), vjp)


def var(x, axis=None, keepdims=False):
    r"""Variance :math:`\frac1n\sum_i (x_i - \bar x)^2` (population: divides by :math:`n`).

    Derivative :math:`g \cdot 2(x_i - \bar x)/n` (see :func:`_moments`).
    """
    return _moments(x, axis, keepdims, "var", skip_nan=False, root=False)


def std(x, axis=None, keepdims=False):
    r"""Standard deviation :math:`\sigma = \sqrt{\mathrm{var}(x)}`.

    Derivative :math:`g\,(x_i - \bar x)/(n\sigma)`; undefined (NaN) for a
    constant slice, where :math:`\sigma = 0` and the square root has no slope.
    """
    return _moments(x, axis, keepdims, "std", skip_nan=False, root=True)


def nanvar(x, axis=None, keepdims=False):
    r"""Variance of the present entries; derivative :math:`2 g d_i/n'`, 0 at a NaN."""
    return _moments(x, axis, keepdims, "nanvar", skip_nan=True, root=False)


def nanstd(x, axis=None, keepdims=False):
    r"""Standard deviation of the present entries; derivative :math:`g d_i/(n'\sigma)`, 0 at a NaN."""
    return _moments(x, axis, keepdims, "nanstd", skip_nan=True, root=True)


# ============================================================================ products
def _product(x, axis, keepdims, dtype, op, skip_nan):
    r"""``prod``/``nanprod``: :math:`y = \prod_i x_i`, with the zero-safe derivative.

    :math:`\partial y/\partial x_i = \prod_{k \ne i} x_k`, the product of the
    *others*. Dividing :math:`y / x_i` breaks at :math:`x_i = 0` (0/0), so the
    product of the others is built as (product of the entries before
    :math:`i`) times (product of those after it): two exclusive cumulative
    products, one from each end of the row.
    """
    a = _value(x)
    axes = _axes(axis, a.ndim, op)
    if skip_nan and a.dtype.kind in "fc":
        a = np.where(np.isnan(a), 1, a)                  # a NaN counts as 1
    out_dtype = np.dtype(dtype) if dtype is not None else _sum_dtype(a.dtype)
    out = np.prod(a, axis=axes, keepdims=keepdims).astype(out_dtype)
    missing = np.isnan(_value(x)) if (skip_nan and a.dtype.kind in "fc") else False

    def vjp(g):
        rows, back = _gather_last(a, axes)
        before = _exclusive_cumprod(rows)
        after = np.flip(_exclusive_cumprod(np.flip(rows, -1)), -1)
        others = back(before * after)
        return (np.where(missing, 0, _spread(g, a.shape, axes, keepdims) * others),)
    return _record(out, (x,), vjp)


def prod(x, axis=None, keepdims=False, dtype=None):
    r"""Product :math:`y = \prod_i x_i` over ``axis``.

    Derivative: :math:`g \prod_{k\ne i} x_k` -- right even where an entry is
    zero (see :func:`_product`; ``y / x_i`` would give 0/0 there).
    """
    return _product(x, axis, keepdims, dtype, "prod", skip_nan=False)


def nanprod(x, axis=None, keepdims=False):
    r"""Product with NaNs counted as 1; derivative as :func:`prod`, 0 at a NaN."""
    return _product(x, axis, keepdims, None, "nanprod", skip_nan=True)


def trace(x, offset=0, axis1=0, axis2=1):
    r"""Sum of a diagonal: :math:`y = \sum_i x_{i,\,i+\text{offset}}` over ``axis1``, ``axis2``.

    The remaining axes stay (a batch of traces). Derivative: :math:`g` on the
    diagonal's entries, 0 elsewhere.
    """
    a = _value(x)
    if a.ndim < 2:
        raise ValueError(
            f"ops.trace: `x` needs at least 2 dimensions (a matrix); got shape {a.shape}. "
            f"Fix: pass a matrix or a batch of matrices.")
    axis1, axis2 = _axes(axis1, a.ndim, "trace")[0], _axes(axis2, a.ndim, "trace")[0]
    out = np.trace(a, offset=offset, axis1=axis1, axis2=axis2, dtype=_sum_dtype(a.dtype))

    def vjp(g):
        grad = np.zeros_like(a)
        on_last = np.moveaxis(grad, (axis1, axis2), (-2, -1))   # a view: writes reach grad
        rows, cols = on_last.shape[-2:]
        length = builtins.max(0, builtins.min(rows + builtins.min(offset, 0),
                                              cols - builtins.max(offset, 0)))
        i = np.arange(length)
        on_last[..., i - builtins.min(offset, 0), i + builtins.max(offset, 0)] = g[..., None]
        return (grad,)
    return _record(out, (x,), vjp)


# ============================================================================ extremes
def _extreme(x, axis, keepdims, reduce, op="max", initial=None):
    r"""``max``/``min`` with its derivative: the gradient goes to the winning entries.

    :math:`\partial \max_i x_i / \partial x_j = 1` for the maximal entry and 0
    for the others. Where :math:`k` entries tie for the maximum the function
    has a kink; the gradient is split, :math:`g/k` to each -- the same as
    torch's ``amax`` (and so Keras on torch). ``initial`` competes as one
    more entry that receives nothing.
    """
    a = _value(x)
    axes = _axes(axis, a.ndim, op)
    if a.size == 0 and initial is None:
        raise ValueError(
            f"ops.{op}: `x` is empty (shape {a.shape}), and the {op} of nothing is "
            f"undefined. Fix: pass `initial=` (the value of an empty {op}).")
    out = reduce(a, axis=axes, keepdims=True, **({} if initial is None else {"initial": initial}))
    winners = (a == out)
    count = np.sum(winners, axis=axes, keepdims=True) + (0 if initial is None else out == initial)
    share = winners / np.maximum(count, 1)                       # ties share the gradient
    return _record(_squeeze(out, axes, keepdims), (x,),
                   lambda g: ((g if keepdims else np.expand_dims(g, axes)) * share,))


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    r"""Maximum over ``axis`` (at least ``initial`` when given).

    Derivative: :math:`g` to the maximal entry; :math:`g/k` to each of
    :math:`k` tied maxima (see :func:`_extreme`).
    """
    return _extreme(x, axis, keepdims, np.max, "max", initial)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001
    r"""Minimum over ``axis`` (at most ``initial``); the gradient goes to the minimal entries."""
    return _extreme(x, axis, keepdims, np.min, "min", initial)


def amax(x, axis=None, keepdims=False):
    r"""Maximum over ``axis`` (NumPy's other name for :func:`max`); ties share :math:`g`."""
    return _extreme(x, axis, keepdims, np.max, "amax")


def amin(x, axis=None, keepdims=False):
    r"""Minimum over ``axis`` (NumPy's other name for :func:`min`); ties share :math:`g`."""
    return _extreme(x, axis, keepdims, np.min, "amin")


def ptp(x, axis=None, keepdims=False):
    r"""Peak to peak: :math:`\max_i x_i - \min_i x_i`, the range of the values.

    Built from the recorded ``max`` and ``min``, so the derivative is
    :math:`+g` at the maximum and :math:`-g` at the minimum.
    """
    return subtract(amax(x, axis=axis, keepdims=keepdims),
                    amin(x, axis=axis, keepdims=keepdims))


def _nan_extreme(x, axis, keepdims, reduce, fill, op):
    """``nanmax``/``nanmin``: NaNs never win; a slice of only NaNs gives NaN."""
    a = _value(x)
    if a.dtype.kind not in "fc":
        return _extreme(x, axis, keepdims, reduce, op)
    axes = _axes(axis, a.ndim, op)
    missing = np.isnan(a)
    clean = np.where(missing, fill, a)
    out = reduce(clean, axis=axes, keepdims=True)
    winners = (clean == out) & ~missing
    share = winners / np.maximum(np.sum(winners, axis=axes, keepdims=True), 1)
    out = np.where(np.all(missing, axis=axes, keepdims=True), np.nan, out).astype(a.dtype)
    return _record(_squeeze(out, axes, keepdims), (x,),
                   lambda g: ((g if keepdims else np.expand_dims(g, axes)) * share,))


def nanmax(x, axis=None, keepdims=False):
    r"""Maximum of the present (non-NaN) entries; the gradient goes to the maximal ones."""
    return _nan_extreme(x, axis, keepdims, np.max, -np.inf, "nanmax")


def nanmin(x, axis=None, keepdims=False):
    r"""Minimum of the present (non-NaN) entries; the gradient goes to the minimal ones."""
    return _nan_extreme(x, axis, keepdims, np.min, np.inf, "nanmin")


# ============================================================================ quantiles
def _check_quantile_args(q, method, op, scale=1):
    """Kind errors for ``method`` and ``q`` (given in percent when ``scale`` is 100)."""
    if method not in QUANTILE_METHODS:
        raise ValueError(
            f"ops.{op}: `method` must be one of {', '.join(map(repr, QUANTILE_METHODS))}; "
            f"got {method!r}. Fix: pick one of those interpolations ('linear' is the default).")
    if q.ndim > 1 or np.any(~((q >= 0) & (q <= 1))):
        raise ValueError(
            f"ops.{op}: `q` must be a number or a 1-D array within [0, {scale}]; got "
            f"{(q * scale).tolist()}. Fix: pass values between 0 and {scale}.")


def _neighbours(position, count, method):
    r"""The two sorted positions a quantile reads, and the weight of the upper one.

    The quantile :math:`q` of :math:`n` sorted values sits at the (virtual)
    position :math:`p = q(n-1)`, between :math:`\lfloor p\rfloor` and
    :math:`\lceil p\rceil`. The ``method`` says how to read it:

    ``linear``   :math:`(1-t)\,s_{\lfloor p\rfloor} + t\,s_{\lceil p\rceil}`, :math:`t = p - \lfloor p\rfloor`
    ``lower``    :math:`s_{\lfloor p\rfloor}`;  ``higher``: :math:`s_{\lceil p\rceil}`
    ``nearest``  the nearer of the two (a half rounds to the even position, as NumPy)
    ``midpoint`` :math:`\tfrac12(s_{\lfloor p\rfloor} + s_{\lceil p\rceil})`
    """
    low = np.floor(position)
    high = np.minimum(low + 1, np.maximum(count - 1, 0))
    t = position - low
    if method == "lower":
        t = np.zeros_like(t)
    elif method == "higher":
        t = (t > 0).astype(t.dtype)
    elif method == "nearest":
        t = (np.round(position) > low).astype(t.dtype)
    elif method == "midpoint":
        t = np.where(t > 0, 0.5, 0.0)
    return low.astype(np.intp), high.astype(np.intp), t


def _quantile(x, q, axis, method, keepdims, op, skip_nan, scale=1):
    r"""The quantile machinery shared by ``quantile``, ``percentile``, ``median`` and ``nan*``.

    Forward: sort each row (the reduced axes flattened into one), then read
    it at the two neighbouring positions with the interpolation weights of
    :func:`_neighbours`: :math:`y = (1-t)\,s_{lo} + t\,s_{hi}`.

    Derivative: :math:`y` is linear in the two sorted entries it reads, so
    :math:`(1-t)\,g` goes to :math:`s_{lo}` and :math:`t\,g` to :math:`s_{hi}`,
    and :func:`_unsort` sends those back to the entries' places in ``x``.
    With ``skip_nan`` each row counts only its present entries (a sort puts
    NaNs last); otherwise a row holding a NaN gives NaN.
    """
    a, qs = _value(x), np.asarray(_value(q), dtype=np.float64) / scale
    _check_quantile_args(qs, method, op, scale)
    dtype = _float_dtype(a.dtype)
    axes = _axes(axis, a.ndim, op)
    rows, back = _gather_last(a.astype(dtype), axes)
    order = np.argsort(rows, axis=-1, kind="stable")
    ordered = np.take_along_axis(rows, order, axis=-1)
    missing = np.isnan(rows)
    count = np.sum(~missing, axis=-1, keepdims=True) if skip_nan else \
        np.full(rows.shape[:-1] + (1,), rows.shape[-1])
    position = qs.reshape(-1) * (count - 1)                 # (rows..., k): one per q
    low, high, t = _neighbours(position, count, method)
    t = t.astype(dtype)
    value = ((1 - t) * np.take_along_axis(ordered, np.maximum(low, 0), axis=-1)
             + t * np.take_along_axis(ordered, high, axis=-1))
    if skip_nan:
        value = np.where(count == 0, np.nan, value)
    else:
        value = np.where(np.any(missing, axis=-1, keepdims=True), np.nan, value)

    # (kept..., k) -> (k, kept...) with the reduced axes back as 1s under keepdims
    kept_shape = tuple(1 if i in axes else n for i, n in enumerate(a.shape)) if keepdims \
        else tuple(n for i, n in enumerate(a.shape) if i not in axes)
    out = np.moveaxis(value, -1, 0).reshape(qs.shape + kept_shape).astype(dtype)

    def vjp(g):
        g = np.moveaxis(np.reshape(g, (qs.size,) + value.shape[:-1]), 0, -1)   # (rows..., k)
        grad_sorted = np.zeros(ordered.shape, dtype=g.dtype)
        flat = grad_sorted.reshape(-1, ordered.shape[-1])
        row = np.arange(flat.shape[0])[:, None]
        np.add.at(flat, (row, np.maximum(low, 0).reshape(flat.shape[0], -1)),
                  ((1 - t) * g).reshape(flat.shape[0], -1))
        np.add.at(flat, (row, high.reshape(flat.shape[0], -1)),
                  (t * g).reshape(flat.shape[0], -1))
        return (back(_unsort(grad_sorted, order, ordered)),)
    return _record(out, (x,), vjp)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    r"""The ``q``-th quantile(s) of ``x`` over ``axis``: the value below which a fraction ``q`` lies.

    ``q`` is a number or a 1-D array in :math:`[0, 1]`; an array of ``q``
    puts its axis first in the result. With :math:`n` sorted values
    :math:`s_0 \le \dots \le s_{n-1}` and :math:`p = q(n-1)`, ``linear`` gives

    .. math:: y = (1-t)\,s_{\lfloor p\rfloor} + t\,s_{\lceil p\rceil}, \qquad t = p - \lfloor p \rfloor

    (other ``method``\ s: :func:`_neighbours`). Derivative: :math:`(1-t)g` and
    :math:`t g` to the two neighbours, ties sharing equally; none for ``q``.
    """
    return _quantile(x, q, axis, method, keepdims, "quantile", skip_nan=False)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    r"""The ``q``-th percentile(s): :func:`quantile` at ``q / 100``, with its derivative."""
    return _quantile(x, q, axis, method, keepdims, "percentile", skip_nan=False, scale=100)


def median(x, axis=None, keepdims=False):
    r"""The middle value: :func:`quantile` at :math:`q = \tfrac12`.

    For an even count it is the mean of the two middle values, and each of
    them receives :math:`g/2`; for an odd count the middle entry gets :math:`g`.
    """
    return _quantile(x, 0.5, axis, "linear", keepdims, "median", skip_nan=False)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    r""":func:`quantile` of the present (non-NaN) entries; a NaN gets no gradient."""
    return _quantile(x, q, axis, method, keepdims, "nanquantile", skip_nan=True)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    r""":func:`percentile` of the present (non-NaN) entries; a NaN gets no gradient."""
    return _quantile(x, q, axis, method, keepdims, "nanpercentile", skip_nan=True, scale=100)


def nanmedian(x, axis=None, keepdims=False):
    r""":func:`median` of the present (non-NaN) entries; a NaN gets no gradient."""
    return _quantile(x, 0.5, axis, "linear", keepdims, "nanmedian", skip_nan=True)


# ============================================================================ cumulative
def _along(a, axis, op):
    """``a`` and the axis a cumulative op runs along (``axis=None``: the flattened array)."""
    if axis is None:
        return a.reshape(-1), 0
    return a, _axes(axis, a.ndim, op)[0]


def _cumulative_dtype(a, dtype):
    dtype = np.dtype(dtype) if dtype is not None else a.dtype
    return np.dtype("int32") if dtype == np.bool_ else dtype


def _reverse_cumsum(g, axis):
    r""":math:`\sum_{j \ge i} g_j`: the adjoint of a running sum (each :math:`x_i` is in every later sum)."""
    return np.flip(np.cumsum(np.flip(g, axis), axis), axis)


def _cumsum(x, axis, dtype, op, skip_nan):
    a = _value(x)
    line, ax = _along(a, axis, op)
    missing = np.isnan(line) if (skip_nan and a.dtype.kind in "fc") else False
    out = np.cumsum(np.where(missing, 0, line), axis=ax, dtype=_cumulative_dtype(a, dtype))
    return _record(out, (x,), lambda g: (
        np.where(missing, 0, _reverse_cumsum(g, ax)).reshape(a.shape),))


def cumsum(x, axis=None, dtype=None):
    r"""Running sum :math:`y_j = \sum_{i \le j} x_i` along ``axis`` (flattened if None).

    Derivative: :math:`x_i` appears in every :math:`y_j` with :math:`j \ge i`,
    so it receives :math:`\sum_{j\ge i} g_j` -- a running sum from the other end.
    """
    return _cumsum(x, axis, dtype, "cumsum", skip_nan=False)


def nancumsum(x, axis=None, dtype=None):
    r""":func:`cumsum` with NaNs counted as 0; a NaN gets no gradient."""
    return _cumsum(x, axis, dtype, "nancumsum", skip_nan=True)


def _cumprod_vjp(a, g, axis):
    r"""Zero-safe VJP of :math:`y_j = \prod_{k\le j} x_k` along ``axis``.

    For :math:`i \le j`, :math:`\partial y_j/\partial x_i = \prod_{k<i} x_k
    \cdot \prod_{i<k\le j} x_k` (every factor but :math:`x_i` itself). The
    matrix of the second products, :math:`B_{ij}`, is a running product over
    :math:`k` of :math:`x_k` masked to :math:`k > i`; then

    .. math:: \bar x_i = \prod_{k<i} x_k \sum_{j\ge i} g_j B_{ij}.

    It never divides, so it is right where entries are zero; the price is
    an :math:`n \times n` matrix per row (fine for the sequence lengths a
    running product is differentiated over).
    """
    x, g = np.moveaxis(a, axis, -1), np.moveaxis(g, axis, -1)
    i = np.arange(x.shape[-1])
    after_i = i[None, :] > i[:, None]                         # [i, k]: k > i
    between = np.cumprod(np.where(after_i, x[..., None, :], 1), axis=-1)   # B[..., i, j]
    reaches = i[None, :] >= i[:, None]                        # [i, j]: y_j uses x_i
    grad = _exclusive_cumprod(x) * np.sum(np.where(reaches, g[..., None, :] * between, 0),
                                          axis=-1)
    return np.moveaxis(grad, -1, axis)


def _cumprod(x, axis, dtype, op, skip_nan):
    a = _value(x)
    line, ax = _along(a, axis, op)
    missing = np.isnan(line) if (skip_nan and a.dtype.kind in "fc") else False
    factors = np.where(missing, 1, line)
    out = np.cumprod(factors, axis=ax, dtype=_cumulative_dtype(a, dtype))
    return _record(out, (x,), lambda g: (
        np.where(missing, 0, _cumprod_vjp(factors, g, ax)).reshape(a.shape),))


def cumprod(x, axis=None, dtype=None):
    r"""Running product :math:`y_j = \prod_{i\le j} x_i` along ``axis`` (flattened if None).

    Derivative: :math:`\bar x_i = \sum_{j\ge i} g_j \prod_{k\le j,\,k\ne i} x_k`,
    computed without dividing by :math:`x_i`, so it is right at zeros too
    (see :func:`_cumprod_vjp`).
    """
    return _cumprod(x, axis, dtype, "cumprod", skip_nan=False)


def nancumprod(x, axis=None, dtype=None):
    r""":func:`cumprod` with NaNs counted as 1; a NaN gets no gradient."""
    return _cumprod(x, axis, dtype, "nancumprod", skip_nan=True)


def diff(a, n=1, axis=-1):
    r"""The ``n``-th discrete difference along ``axis``: :math:`y_i = x_{i+1} - x_i`, ``n`` times.

    Derivative: each difference is linear, and its adjoint sends :math:`g_i`
    to :math:`+x_{i+1}` and :math:`-x_i`, so :math:`\bar x_i = g_{i-1} - g_i`
    (with :math:`g` zero outside its range); applied ``n`` times.
    """
    values = _value(a)
    if int(n) != n or n < 0:
        raise ValueError(
            f"ops.diff: `n` must be a non-negative integer; got {n!r}. Fix: pass the "
            f"order of the difference (1 for x[i+1] - x[i]).")
    ax = _axes(axis, values.ndim, "diff")[0]

    def vjp(g):
        for _ in range(int(n)):
            g = np.diff(g, axis=ax, prepend=0, append=0) * -1     # g[i-1] - g[i]
        return (g,)
    return _record(np.diff(values, n=int(n), axis=ax), (a,), vjp)


def corrcoef(x):
    r"""Pearson correlation matrix of the rows of ``x`` (each row a variable, columns observations).

    With rows centred and scaled to unit length, :math:`u_i = (x_i - \bar x_i) /
    \lVert x_i - \bar x_i\rVert`, the matrix is :math:`R = U U^\top`. The
    derivative runs the three steps backwards:

    .. math:: \bar U = (G + G^\top)\,U, \qquad
              \bar d_i = \frac{\bar u_i - u_i (u_i\cdot\bar u_i)}{\lVert d_i\rVert}, \qquad
              \bar x_i = \bar d_i - \operatorname{mean}(\bar d_i)

    (normalising removes the component along :math:`u_i`, centring removes the mean).
    A 1-D ``x`` is one variable: :math:`R = 1`.
    """
    a = _value(x)
    dtype = np.dtype("float64") if a.dtype in (np.int64, np.float64) else _float_dtype(a.dtype)
    matrix = np.atleast_2d(a).astype(dtype)
    deviation = matrix - matrix.mean(axis=1, keepdims=True)
    length = np.sqrt(np.sum(deviation ** 2, axis=1, keepdims=True))
    unit = deviation / length
    out = np.clip(unit @ unit.T, -1, 1).astype(dtype)       # rounding may step past +-1

    def vjp(g):
        g = np.reshape(g, out.shape)
        grad_unit = (g + g.T) @ unit
        grad_dev = (grad_unit - unit * np.sum(unit * grad_unit, axis=1, keepdims=True)) / length
        grad = grad_dev - grad_dev.mean(axis=1, keepdims=True)
        return (grad.reshape(a.shape),)
    return _record(out.reshape(()) if a.ndim < 2 else out, (x,), vjp)


# ============================================================================ sorting
def sort(x, axis=-1):
    r"""The entries sorted ascending along ``axis`` (flattened if None).

    A sort is a permutation :math:`y_j = x_{\pi(j)}`, so
    :math:`\bar x_{\pi(j)} = g_j`: each entry gets the gradient of the place
    it moved to. Equal entries could have swapped places; they share their
    places' gradients equally (:func:`_unsort`), as tied maxima do.
    """
    a = _value(x)
    line, ax = _along(a, axis, "sort")
    rows = np.moveaxis(line, ax, -1)
    order = np.argsort(rows, axis=-1, kind="stable")
    ordered = np.take_along_axis(rows, order, axis=-1)

    def vjp(g):
        grad = _unsort(np.moveaxis(g, ax, -1), order, ordered)
        return (np.moveaxis(grad, -1, ax).reshape(a.shape),)
    return _record(np.moveaxis(ordered, -1, ax), (x,), vjp)


def argsort(x, axis=-1):
    """Indices that sort ``x`` along ``axis`` (``int32``; stable: ties keep their order).

    An index is piecewise constant in ``x``: no gradient.
    """
    a = _value(x)
    line, ax = _along(a, axis, "argsort")
    return np.argsort(line, axis=ax, kind="stable").astype(np.int32)


def argpartition(x, kth, axis=-1):
    """Indices that put the ``kth`` smallest entry in place ``kth`` along ``axis`` (``int32``).

    Everything before place ``kth`` is no larger and everything after no
    smaller; within the two sides the order is not fixed by the contract.
    Here the first ``kth + 1`` indices come in ascending order of their
    values (as Keras on torch gives them) and the rest in their original
    order. No gradient (an index).

    Keras 3.15.1 on torch casts ``x`` to ``int32`` first, so float entries
    that truncate to the same integer tie: ``argpartition([0.9, 0.2, 1.5], 0)``
    gives ``[0, 1, 2]`` there (0.9 as the smallest); here ``[1, 0, 2]``, as NumPy.
    """
    a = _value(x)
    line, ax = _along(a, axis, "argpartition")
    rows = np.moveaxis(line, ax, -1)
    n = rows.shape[-1]
    if not -n <= kth < n:
        raise ValueError(
            f"ops.argpartition: `kth` must index the axis of length {n}; got kth={kth}. "
            f"Fix: pass 0 <= kth < {n}.")
    kth = kth % n
    rank = np.argsort(np.argsort(rows, axis=-1, kind="stable"), axis=-1)   # place in the sort
    key = np.where(rank <= kth, rank, kth + 1 + np.arange(n))   # lows by rank, then in order
    return np.moveaxis(np.argsort(key, axis=-1, kind="stable"), -1, ax).astype(np.int32)


def argmax(x, axis=None, keepdims=False):
    r"""Index of the maximum along ``axis`` (of the flattened array if None), as ``int32``.

    The first one wins a tie; ``-0.0`` counts as smaller than ``0.0`` (as in
    Keras). An index does not change under a small change of ``x``: no gradient.
    """
    return _arg_extreme(_value(x), axis, keepdims, np.argmax)


def argmin(x, axis=None, keepdims=False):
    r"""Index of the minimum along ``axis`` (``int32``; ``-0.0`` below ``0.0``); no gradient."""
    return _arg_extreme(_value(x), axis, keepdims, np.argmin)


def _arg_extreme(a, axis, keepdims, arg):
    if a.dtype.kind == "f" and a.ndim:
        negative_zero = (a == 0) & np.signbit(a)
        a = np.where(negative_zero, -np.finfo(a.dtype).tiny, a)
    if axis is not None:
        axis = _axes(axis, a.ndim, arg.__name__)[0]
    return np.asarray(arg(a, axis=axis, keepdims=keepdims)).astype(np.int32)


def _nan_arg_extreme(x, axis, keepdims, arg, fill):
    a = _value(x)
    if a.dtype.kind != "f":
        return _arg_extreme(a, axis, keepdims, arg)
    missing = np.isnan(a)
    index = _arg_extreme(np.where(missing, fill, a), axis, keepdims, arg)
    return np.where(np.all(missing, axis=axis, keepdims=keepdims), -1, index).astype(np.int32)


def nanargmax(x, axis=None, keepdims=False):
    """Index of the maximum, NaNs skipped (``-1`` for a slice of only NaNs); no gradient."""
    return _nan_arg_extreme(x, axis, keepdims, np.argmax, -np.inf)


def nanargmin(x, axis=None, keepdims=False):
    """Index of the minimum, NaNs skipped (``-1`` for a slice of only NaNs); no gradient."""
    return _nan_arg_extreme(x, axis, keepdims, np.argmin, np.inf)


# ============================================================================ searching
def searchsorted(sorted_sequence, values, side="left"):
    r"""Where each value would be inserted into the 1-D ``sorted_sequence`` to keep it sorted.

    ``side="left"`` gives the first such place :math:`i` with
    :math:`s_{i-1} < v \le s_i`, ``"right"`` the last (:math:`s_{i-1} \le v < s_i`).
    ``int32`` indices: no gradient.
    """
    s, v = _value(sorted_sequence), _value(values)
    if s.ndim != 1:
        raise ValueError(
            f"ops.searchsorted: `sorted_sequence` must be 1-D; got shape {s.shape}. Fix: "
            f"search each row separately (e.g. with ops.vectorized_map), as in Keras.")
    if side not in ("left", "right"):
        raise ValueError(
            f"ops.searchsorted: `side` must be 'left' or 'right'; got {side!r}. Fix: "
            f"'left' for the first place a value fits, 'right' for the last.")
    return np.searchsorted(s, v, side=side).astype(np.int32)


def digitize(x, bins):
    r"""The bin of each value: :math:`i` with ``bins[i-1] <= x < bins[i]`` (increasing ``bins``).

    0 below the first edge, ``len(bins)`` from the last one on. ``int32``
    bin numbers: no gradient (a bin is constant between edges).
    """
    return np.digitize(_value(x), _value(bins)).astype(np.int32)


def nonzero(x):
    """The indices of the non-zero entries: one ``int32`` array per axis (no gradient).

    A tuple, as NumPy and Keras's NumPy backend return it (``x[nonzero(x)]``
    picks the entries); Keras on torch returns the same numbers stacked into
    one ``(ndim, count)`` tensor.
    """
    return tuple(i.astype(np.int32) for i in np.nonzero(_value(x)))


def unravel_index(indices, shape):
    """Flat indices as one coordinate array per axis of ``shape`` (no gradient).

    The coordinates have the indices' integer dtype, except that ``int64``
    comes back as ``int32``: Keras's dtype rules map a lone ``int64`` to ``int32``.
    """
    flat = _value(indices)
    dtype = np.int32 if flat.dtype == np.int64 else flat.dtype
    return tuple(c.astype(dtype) for c in np.unravel_index(flat, shape))


def count_nonzero(x, axis=None):
    """How many entries are non-zero along ``axis`` (``int32``; no gradient)."""
    a = _value(x)
    axes = None if axis is None else _axes(axis, a.ndim, "count_nonzero")
    return np.asarray(np.count_nonzero(a, axis=axes)).astype(np.int32)


def all(x, axis=None, keepdims=False):  # noqa: A001
    """Whether every entry along ``axis`` is true (non-zero): booleans, no gradient."""
    a = _value(x)
    return np.all(a, axis=_axes(axis, a.ndim, "all"), keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    """Whether some entry along ``axis`` is true (non-zero): booleans, no gradient."""
    a = _value(x)
    return np.any(a, axis=_axes(axis, a.ndim, "any"), keepdims=keepdims)


# ============================================================================ counting
def bincount(x, weights=None, minlength=0, sparse=False):
    r"""How often each non-negative integer occurs in ``x``: :math:`c_v = \sum_i [x_i = v]`.

    With ``weights`` each occurrence adds its weight instead of 1. A 2-D ``x``
    counts each row on its own. The length is ``max(x) + 1`` or ``minlength``,
    whichever is larger. No gradient, as in Keras (the weighted count is
    linear in ``weights``, but Keras's backends do not differentiate it).
    """
    if sparse:
        raise ValueError(
            "ops.bincount: `sparse=True` is not supported (kerastutor's arrays are dense, "
            "as Keras's NumPy and torch backends). Fix: leave sparse=False.")
    a = _value(x)
    if a.dtype.kind not in "iub" or (a.size and a.min() < 0) or a.ndim not in (1, 2):
        raise ValueError(
            f"ops.bincount: `x` must be a 1-D or 2-D array of non-negative integers; got "
            f"dtype {a.dtype}, shape {a.shape}. Fix: cast to int and drop negative values.")
    w = None if weights is None else _value(weights)
    length = builtins.max(int(minlength), int(a.max()) + 1 if a.size else 0)
    rows = a.reshape(-1, a.shape[-1]) if a.ndim == 2 else a.reshape(1, -1)
    shifted = (rows + length * np.arange(rows.shape[0])[:, None]).ravel()  # a range per row
    counts = np.bincount(shifted, None if w is None else w.ravel(),
                         minlength=rows.shape[0] * length)
    counts = counts.reshape(rows.shape[0], length)
    counts = counts if a.ndim == 2 else counts[0]
    if w is None:
        return counts.astype(np.int32)
    return counts.astype(w.dtype if w.dtype.kind == "f" else np.result_type(a.dtype, w.dtype))


def histogram(x, bins=10, range=None):  # noqa: A002
    r"""Counts of a 1-D ``x`` in ``bins`` equal bins over ``range`` (default: min to max).

    Returns ``(counts, edges)``, ``bins`` counts and ``bins + 1`` edges, both in
    ``x``'s float dtype (``floatx`` for integers), as Keras. The last bin
    includes its right edge. No gradient: counts are piecewise constant.
    """
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool):
        raise TypeError(
            f"ops.histogram: `bins` must be an int (the number of bins); got {bins!r}. "
            f"Fix: pass e.g. bins=10.")
    if bins < 0:
        raise ValueError(f"ops.histogram: `bins` must be >= 0; got {bins}. Fix: pass bins=10.")
    if range is not None and (not isinstance(range, tuple) or len(range) != 2
                              or range[1] < range[0]):
        raise ValueError(
            f"ops.histogram: `range` must be a tuple (low, high) with low <= high; got "
            f"{range!r}. Fix: pass e.g. range=(0.0, 1.0), or None for the data's range.")
    a = _value(x)
    if a.ndim > 1:
        raise ValueError(
            f"ops.histogram: `x` must be 1-D; got shape {a.shape}. Fix: flatten it "
            f"(ops.reshape(x, (-1,))) first.")
    dtype = _float_dtype(a.dtype)
    counts, edges = np.histogram(a, bins=bins, range=range)
    return counts.astype(dtype), edges.astype(dtype)


def unique(x, sorted=True, return_index=False, return_inverse=False,  # noqa: A002
           return_counts=False, axis=None, size=None, fill_value=None):
    """The distinct values of ``x`` (sorted), or distinct slices along ``axis``.

    Optional extras, in this order: ``index`` (first position of each value
    in the flattened ``x``), ``inverse`` (which value each entry is, shaped
    like ``x`` when ``axis`` is None) and ``counts``. ``size`` fixes the
    number of values (for a static shape): extra ones are cut, missing ones
    padded with ``fill_value`` (0 if None), their counts with 0 and indices
    with 1 (Keras's choice). The values are always sorted (``sorted`` is
    accepted for Keras's signature). No gradient: Keras's backends have none.
    """
    a = _value(x)
    if axis is not None:
        axis = _axes(axis, a.ndim, "unique")[0]
    values, index, inverse, counts = np.unique(
        a, return_index=True, return_inverse=True, return_counts=True, axis=axis)
    if axis is None:
        inverse = inverse.reshape(a.shape)
    index, inverse, counts = index.astype(np.int64), inverse.astype(np.int64), \
        counts.astype(np.int64)
    if size is not None:
        dim = 0 if axis is None else axis
        have = values.shape[dim]
        if have >= size:
            values = np.take(values, np.arange(size), axis=dim)
            index, counts = index[:size], counts[:size]
        else:
            width = [(0, 0)] * values.ndim
            width[dim] = (0, size - have)
            values = np.pad(values, width, constant_values=0 if fill_value is None else fill_value)
            index = np.pad(index, (0, size - have), constant_values=1)
            counts = np.pad(counts, (0, size - have), constant_values=0)
    extras = [part for part, wanted in ((index, return_index), (inverse, return_inverse),
                                        (counts, return_counts)) if wanted]
    return (values, *extras) if extras else values


__all__ = ["sum", "prod", "mean", "median", "average", "var", "std", "max", "min", "amax",
           "amin", "ptp", "percentile", "quantile", "nanmax", "nanmin", "nanmean", "nanmedian",
           "nansum", "nanprod", "nanvar", "nanstd", "nanpercentile", "nanquantile", "cumsum",
           "cumprod", "nancumsum", "nancumprod", "diff", "trace", "corrcoef", "sort",
           "argmax", "argmin", "nanargmax", "nanargmin", "count_nonzero", "all", "any",
           "bincount", "histogram", "argsort", "argpartition", "searchsorted", "digitize",
           "nonzero", "unique", "unravel_index"]
