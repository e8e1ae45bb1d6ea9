r"""Array creation: constants, ranges, windows and grids.

A created array depends on no traced input, so nothing is recorded and no
gradient flows (``ones_like(x)`` reads only ``x``'s shape). The exceptions are
ops whose *values* come from tensors -- ``linspace`` between traced end
points, ``meshgrid`` of traced vectors -- which are differentiable and say so.
"""
import numpy as np

from kerastutor import backend
from kerastutor.tape import _value


def zeros(shape, dtype=None):
    """A constant array of zeros (``floatx()`` by default)."""
    return np.zeros(shape, dtype=dtype or backend.floatx())


def ones(shape, dtype=None):
    """A constant array of ones."""
    return np.ones(shape, dtype=dtype or backend.floatx())


def full(shape, fill_value, dtype=None):
    """A constant array filled with ``fill_value``."""
    return np.full(shape, fill_value, dtype=dtype or backend.floatx())


def eye(n, m=None, dtype=None):
    """The identity matrix (constant)."""
    return np.eye(n, m, dtype=dtype or backend.floatx())


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values (constant)."""
    return np.arange(start, stop, step, dtype=dtype)


def ones_like(x, dtype=None):
    return np.ones_like(_value(x), dtype=dtype)


def zeros_like(x, dtype=None):
    return np.zeros_like(_value(x), dtype=dtype)


__all__ = ["zeros", "ones", "full", "eye", "arange", "ones_like", "zeros_like"]
