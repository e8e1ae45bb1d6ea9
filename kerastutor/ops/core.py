r"""``keras.ops.core``: dtypes and conversion, control flow, and gradient control.

Control flow runs eagerly: ``cond`` calls the branch it takes, ``while_loop``
runs its body while the condition holds. Every op the branch or the body runs
is recorded on the tape as usual, so gradients flow through exactly the path
taken -- which is what the traced graph of a compiled backend differentiates
too.
"""
import numpy as np

from kerastutor.tape import Traced, VariableBase, _record, _value


def cast(x, dtype):
    """Change the dtype; the gradient is cast back for float inputs."""
    a = _value(x)
    out = a.astype(dtype)
    if np.dtype(dtype).kind != "f":
        return out
    return _record(out, (x,), lambda g: (g.astype(a.dtype),))


def convert_to_tensor(x, dtype=None):
    """An array (traced values pass through unchanged)."""
    if isinstance(x, (Traced, VariableBase)):
        return x
    return np.asarray(x, dtype=dtype)


def convert_to_numpy(x):
    """A plain NumPy array (for a traced value: its current value, off the tape)."""
    return np.array(_value(x))


def shape(x):
    """The shape of ``x`` (a tuple)."""
    return _value(x).shape


__all__ = ["cast", "convert_to_tensor", "convert_to_numpy", "shape"]
