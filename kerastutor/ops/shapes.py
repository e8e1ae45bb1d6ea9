r"""Shapes, indexing and layout: the same numbers, moved.

These ops copy, select or rearrange entries and compute nothing, so their
vector-Jacobian product moves the upstream gradient back to where each entry
came from: a reshape reshapes it back, a transpose transposes it back, a
gather (``take``, ``x[i]``) scatters it back -- *adding* where one entry was
picked more than once.
"""
import numpy as np

from kerastutor.tape import Traced, VariableBase, _record, _value, take_index, transpose


def reshape(x, newshape):
    """Same values, new shape; the gradient is reshaped back."""
    a = _value(x)
    return _record(a.reshape(newshape), (x,), lambda g: (g.reshape(a.shape),))


def expand_dims(x, axis):
    """Insert an axis of length 1."""
    a = _value(x)
    return _record(np.expand_dims(a, axis), (x,), lambda g: (g.reshape(a.shape),))


def squeeze(x, axis=None):
    """Remove axes of length 1."""
    a = _value(x)
    return _record(np.squeeze(a, axis), (x,), lambda g: (g.reshape(a.shape),))


def concatenate(xs, axis=0):
    """Join along ``axis``; the gradient is split at the same places."""
    values = [_value(x) for x in xs]
    cuts = np.cumsum([v.shape[axis] for v in values])[:-1]
    return _record(np.concatenate(values, axis=axis), tuple(xs),
                   lambda g: tuple(np.split(g, cuts, axis=axis)))


def stack(xs, axis=0):
    """Stack along a new axis; the gradient is unstacked."""
    values = [_value(x) for x in xs]
    return _record(np.stack(values, axis=axis), tuple(xs),
                   lambda g: tuple(np.moveaxis(g, axis, 0)))


def split(x, indices_or_sections, axis=0):
    """Split into pieces; each piece records its own slice (see :func:`take_index`)."""
    a = _value(x)
    pieces = np.split(np.arange(a.shape[axis]), indices_or_sections)
    return [take_index(x, (slice(None),) * (axis % a.ndim) + (slice(p[0], p[-1] + 1),))
            if len(p) else np.take(a, p, axis=axis) for p in pieces]


def take(x, indices, axis=None):
    """Gather entries (``np.take``); the gradient is scattered back with ``np.add.at``."""
    a, idx = _value(x), np.asarray(_value(indices)).astype(np.int64)
    if axis is None:
        return take_index(reshape(x, (-1,)), idx) if isinstance(x, (Traced, VariableBase)) \
            else np.take(a, idx)
    index = (slice(None),) * (axis % a.ndim) + (idx,)
    return take_index(x, index)


__all__ = ["reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack", "split",
           "take"]
