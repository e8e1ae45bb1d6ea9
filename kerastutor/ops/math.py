r"""``keras.ops.math``: special functions, segment reductions, top-k, FFTs and signals.

Complex results (``fft``, ``stft``, ...) are ``(real, imag)`` pairs of real
arrays, as in Keras.
"""
import numpy as np

from kerastutor.ops.reductions import _expand
from kerastutor.tape import _record, _value


def logsumexp(x, axis=None, keepdims=False):
    r""":math:`\log\sum e^x` (stable); gradient :math:`g\,\mathrm{softmax}(x)`."""
    a = _value(x)
    top = a.max(axis=axis, keepdims=True)
    total = np.exp(a - top).sum(axis=axis, keepdims=True)
    out = top + np.log(total)
    weights = np.exp(a - out)
    result = out if keepdims else (out.reshape(()) if axis is None else out.squeeze(axis))
    return _record(result, (x,), lambda g: (_expand(g, a.shape, axis, keepdims) * weights,))


__all__ = ["logsumexp"]
