r"""Reductions, statistics, cumulative ops, sorting and searching.

A reduction maps many entries to one: :math:`y = \sum_i x_i`,
:math:`\max_i x_i`, a mean, a quantile. Its vector-Jacobian product sends the
upstream gradient back to the entries that made the result -- every entry
for a sum, :math:`1/n` of it for a mean, only the winners for a max -- after
:func:`_expand` has put the reduced axes back so the gradient broadcasts
against the input.

Indices (``argmax``, ``argsort``, ``searchsorted``, ...) and counts are
integers: they pass no gradient.
"""
import numpy as np

from kerastutor.ops.elementwise import sqrt, square
from kerastutor.tape import _record, _value, subtract


def _expand(g, shape, axis, keepdims):
    """Put reduced axes back so ``g`` broadcasts against the input."""
    if axis is None or keepdims:
        return g if keepdims else np.broadcast_to(g, shape)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = sorted(a % len(shape) for a in axes)
    for a in axes:
        g = np.expand_dims(g, a)
    return g


def sum(x, axis=None, keepdims=False):  # noqa: A001
    r""":math:`\sum x`; gradient: :math:`g` copied to every summed entry."""
    a = _value(x)
    return _record(a.sum(axis=axis, keepdims=keepdims), (x,),
                   lambda g: (np.broadcast_to(_expand(g, a.shape, axis, keepdims), a.shape)
                              .copy(),))


def mean(x, axis=None, keepdims=False):
    r"""Mean; gradient :math:`g / n` to every averaged entry."""
    a = _value(x)
    count = a.size / np.asarray(a.mean(axis=axis)).size     # entries per average
    return _record(a.mean(axis=axis, keepdims=keepdims), (x,),
                   lambda g: (np.broadcast_to(_expand(g, a.shape, axis, keepdims) / count,
                                              a.shape).copy(),))


def _extreme(x, axis, keepdims, reduce):
    a = _value(x)
    out = reduce(a, axis=axis, keepdims=True)
    winners = (a == out)
    winners = winners / winners.sum(axis=axis, keepdims=True)   # ties share the gradient
    result = out if keepdims else (out.reshape(()) if axis is None else out.squeeze(axis))
    return _record(result, (x,),
                   lambda g: (_expand(g, a.shape, axis, keepdims) * winners,))


def max(x, axis=None, keepdims=False):  # noqa: A001
    """Maximum; the gradient goes to the maximal entries (split between ties)."""
    return _extreme(x, axis, keepdims, np.max)


def min(x, axis=None, keepdims=False):  # noqa: A001
    """Minimum; the gradient goes to the minimal entries (split between ties)."""
    return _extreme(x, axis, keepdims, np.min)


def prod(x, axis=None, keepdims=False):
    r""":math:`\prod x`; gradient :math:`g \prod x / x_i` (inputs assumed non-zero)."""
    a = _value(x)
    out = np.prod(a, axis=axis, keepdims=True)
    result = out if keepdims else (out.reshape(()) if axis is None else out.squeeze(axis))
    return _record(result, (x,),
                   lambda g: (_expand(g, a.shape, axis, keepdims) * out / a,))


def var(x, axis=None, keepdims=False):
    r"""Variance :math:`\mathrm{mean}((x - \bar x)^2)` -- built from recorded ops,
    so its gradient needs no rule of its own."""
    centred = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centred), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    r"""Standard deviation :math:`\sqrt{\mathrm{var}(x)}` (composed of recorded ops)."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum: an integer, so no gradient flows through it."""
    return np.argmax(_value(x), axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum (no gradient)."""
    return np.argmin(_value(x), axis=axis, keepdims=keepdims)


__all__ = ["sum", "mean", "max", "min", "prod", "var", "std", "argmax", "argmin"]
