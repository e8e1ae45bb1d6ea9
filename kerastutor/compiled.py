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

**What it buys.** ``benchmarks/bench_training.py``, the MNIST MLP
(784-512-512-10, Adam, batch 32) on a 2-core machine: the update of its
670k parameters takes 1.3 ms with :func:`~kerastutor.optimizers.in_place.adam_in_place`
and 0.37 ms compiled; training goes from about 9,500 to 13,000 samples/s.

**The same numbers.** Each kernel does the NumPy code's operations in the
same order and in the array's own precision (the scalars are cast to its
dtype first, as NumPy 2 does with Python floats), and is compiled without
``fastmath``, so no multiply-add is fused and nothing is reordered: its results
are bit-identical to the NumPy path's (``tests/test_compiled.py``).
``error_model="numpy"`` lets a division by zero give ``inf`` as NumPy does,
instead of raising; it also lets the compiler vectorise the loop.

The kernels are serial. The machine's other cores are busy with the matrix
products of the step (OpenBLAS keeps its threads spinning between them), and
a second thread pool fighting them made training three times slower.
"""
import contextlib
import os

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


def _compiled(loop):
    """``loop`` compiled by Numba (once per process; the machine code is cached on disk)."""
    name = loop.__name__
    if name not in _KERNELS:
        _KERNELS[name] = _KERNELS["numba"].njit(cache=True, error_model="numpy")(loop)
    return _KERNELS[name]


def _plain_arrays(*arrays):
    """True for C-contiguous NumPy arrays of one float dtype (what the loops index flat)."""
    first = arrays[0]
    return (first.dtype in (np.float32, np.float64)
            and all(type(a) is np.ndarray and a.flags.c_contiguous and a.dtype == first.dtype
                    for a in arrays))


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


def adam(w, g, m, v, beta_1, beta_2, alpha_t, epsilon, threshold, flush):
    """Run :func:`adam_loop` compiled, if it applies; ``False`` (nothing done) if not."""
    if not (is_enabled() and _plain_arrays(w, g, m, v)):
        return False
    as_dtype = w.dtype.type
    _compiled(adam_loop)(w.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1),
                         as_dtype(1 - beta_1), as_dtype(1 - beta_2), as_dtype(alpha_t),
                         as_dtype(epsilon), as_dtype(threshold), bool(flush))
    return True
