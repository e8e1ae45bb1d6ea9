r"""Array creation: constants, ranges, windows and grids.

A created array depends on no traced input, so nothing is recorded and no
gradient flows (``ones_like(x)`` reads only ``x``'s shape and dtype). The
exceptions are ops whose *values* are computed from tensors:

* ``linspace`` between end points :math:`a, b`: :math:`y_i = a + t_i (b - a)`
  with :math:`t_i = i/(n-1)` -- linear in :math:`a` and :math:`b`;
* ``logspace`` (:math:`\beta^{y_i}`) and ``geomspace`` built on it;
* ``meshgrid``, whose grids are copies of its input vectors;
* ``vander``, whose columns are powers of its input.

Dtypes follow Keras: with no ``dtype`` a Python ``int`` counts as ``int32``,
a Python ``float`` as ``floatx()`` (``arange(5)`` is int32, ``arange(5.0)``
float32), and constant fills (``zeros``, ``full(shape, 3)``, ``eye``) are
``floatx()``.
"""
import numpy as np

from kerastutor import backend
from kerastutor.tape import _record, _record_many, _value, is_traced, unbroadcast


# ============================================================== Keras's dtype of plain values
def _is_python(x):
    return isinstance(x, (bool, int, float, list, tuple))


def _keras_array(x, dtype=None):
    """``x`` as an array the way Keras's ``convert_to_tensor`` types it.

    Python ints become ``int32`` and Python floats ``floatx()`` (NumPy would
    pick the 64-bit types); arrays keep their dtype.
    """
    a = np.asarray(_value(x))
    if dtype is not None:
        return a.astype(dtype)
    if _is_python(x):
        if a.dtype == np.int64:
            return a.astype(np.int32)
        if a.dtype == np.float64:
            return a.astype(backend.floatx())
    return a


def _float_dtype(*values):
    """The float dtype a range between ``values`` is made in: that of float arrays among
    them (float64 stays float64), else ``floatx()`` (Python numbers, int arrays)."""
    floats = [np.asarray(_value(v)).dtype for v in values
              if not _is_python(v) and np.asarray(_value(v)).dtype.kind == "f"]
    return np.result_type(*floats) if floats else np.dtype(backend.floatx())


# ============================================================== constants
def zeros(shape, dtype=None):
    """An array of zeros (``floatx()`` unless ``dtype`` says otherwise). No gradient."""
    return np.zeros(shape, dtype=dtype or backend.floatx())


def ones(shape, dtype=None):
    """An array of ones (``floatx()`` by default). No gradient."""
    return np.ones(shape, dtype=dtype or backend.floatx())


def full(shape, fill_value, dtype=None):
    """An array filled with ``fill_value`` (``floatx()`` by default, even for an int fill)."""
    return np.full(shape, _value(fill_value), dtype=dtype or backend.floatx())


def empty(shape, dtype=None):
    """An array whose values are unspecified; kerastutor fills zeros so runs repeat."""
    return np.zeros(shape, dtype=dtype or backend.floatx())


def zeros_like(x, dtype=None):
    """Zeros of ``x``'s shape and dtype. It reads no value of ``x``: no gradient."""
    return np.zeros_like(_keras_array(x), dtype=dtype)


def ones_like(x, dtype=None):
    """Ones of ``x``'s shape and dtype (no gradient)."""
    return np.ones_like(_keras_array(x), dtype=dtype)


def full_like(x, fill_value, dtype=None):
    """``fill_value`` in ``x``'s shape and dtype (no gradient)."""
    return np.full_like(_keras_array(x), _value(fill_value), dtype=dtype)


def empty_like(x, dtype=None):
    """An unspecified array of ``x``'s shape and dtype; zeros here (no gradient)."""
    return np.zeros_like(_keras_array(x), dtype=dtype)


def array(x, dtype=None):
    """A new array of ``x``'s values, typed as Keras types them (Python ints are int32).

    A new constant: nothing is recorded, so no gradient flows back to ``x``.
    """
    return np.array(_keras_array(x, dtype))


def eye(N, M=None, k=0, dtype=None):
    r"""The ``N x M`` matrix with ones on the ``k``-th diagonal, :math:`[j - i = k]`."""
    return np.eye(N, M, k=k, dtype=dtype or backend.floatx())


def identity(n, dtype=None):
    """The ``n x n`` identity matrix."""
    return np.identity(n, dtype=dtype or backend.floatx())


def tri(N, M=None, k=0, dtype=None):
    r"""The ``N x M`` matrix with ones at and below the ``k``-th diagonal, :math:`[j \le i + k]`."""
    return np.tri(N, M, k=k, dtype=dtype or backend.floatx())


# ============================================================== ranges
def arange(start, stop=None, step=None, dtype=None):
    r"""Values :math:`\text{start} + i\cdot\text{step}` below ``stop`` (one argument: ``0 .. start-1``).

    With no ``dtype``: ``int32`` when every bound is an integer, ``floatx()``
    when one is a float (Keras's rule). No gradient.
    """
    bounds = [_value(b) for b in (start, stop, step) if b is not None]
    if dtype is None:
        any_float = any(np.asarray(b).dtype.kind in "fc" for b in bounds)
        dtype = backend.floatx() if any_float else "int32"
    if stop is None:
        start, stop = 0, start
    return np.arange(_value(start), _value(stop), 1 if step is None else _value(step),
                     dtype=dtype)


def _ramp_positions(num, endpoint, op):
    """The fractions :math:`t_i \\in [0, 1]` a range puts its ``num`` points at, and the divisor."""
    if num < 0:
        raise ValueError(f"ops.{op}: `num` must be >= 0; got {num}. Fix: pass a count of samples.")
    div = num - 1 if endpoint else num
    return (np.arange(num) / div if div > 0 else np.zeros(num)), div


def _ramp(start, stop, num, endpoint, axis, op):
    """The points :math:`a + t_i(b - a)` along a new ``axis``, in float64, and its vjp."""
    a, b = (np.asarray(_value(v), dtype=np.float64) for v in (start, stop))
    t, div = _ramp_positions(num, endpoint, op)
    shape = np.broadcast_shapes(a.shape, b.shape)
    if not -len(shape) - 1 <= axis <= len(shape):
        raise ValueError(f"ops.{op}: `axis` must be in [{-len(shape) - 1}, {len(shape)}] for "
                         f"end points of shape {shape}; got {axis}.")
    axis %= len(shape) + 1
    t = t.reshape([-1 if d == axis else 1 for d in range(len(shape) + 1)])
    lo, hi = (np.expand_dims(np.broadcast_to(v, shape), axis) for v in (a, b))
    out = lo + t * (hi - lo)
    if endpoint and num > 1:             # the last point is exactly `stop`, as in NumPy
        np.moveaxis(out, axis, 0)[-1] = np.broadcast_to(b, shape)

    def vjp(g):
        # d y_i / d a = 1 - t_i and d y_i / d b = t_i, summed over the new axis.
        grad_a = (g * (1 - t)).sum(axis=axis)
        grad_b = (g * t).sum(axis=axis)
        return (unbroadcast(grad_a, a.shape).reshape(a.shape),
                unbroadcast(grad_b, b.shape).reshape(b.shape))
    return out, div, vjp


def _finish(out, dtype, operands, vjp):
    """Cast a float64 range to ``dtype``; record it when it is a float (else floor it, as NumPy)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iub":
        return np.floor(out).astype(dtype)
    return _record(out.astype(dtype), operands, lambda g: vjp(np.asarray(g, np.float64)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    r"""``num`` evenly spaced points from ``start`` to ``stop``: :math:`y_i = a + t_i (b - a)`.

    :math:`t_i = i/(n-1)` (``i/n`` without the end point). ``start``/``stop`` may be
    tensors (the points then run along a new ``axis``). The map is linear, so

    .. math:: \frac{\partial L}{\partial a} = \sum_i g_i (1 - t_i), \qquad
              \frac{\partial L}{\partial b} = \sum_i g_i t_i .

    With ``retstep`` the spacing :math:`(b - a)/(n-1)` is returned too (and differentiated).
    """
    dtype = dtype or _float_dtype(start, stop)
    out, div, vjp = _ramp(start, stop, num, endpoint, axis, "linspace")
    samples = _finish(out, dtype, (start, stop), vjp)
    if not retstep:
        return samples
    a, b = (np.asarray(_value(v), dtype=np.float64) for v in (start, stop))
    step = ((b - a) / div if div > 0 else np.full(np.broadcast_shapes(a.shape, b.shape), np.nan))
    if np.dtype(dtype).kind != "f" or not any(is_traced(v) for v in (start, stop)):
        return samples, step.astype(dtype)

    def both_vjp(grads):
        g_samples, g_step = (np.asarray(g, np.float64) for g in grads)
        grad_a, grad_b = vjp(g_samples)
        if div > 0:     # d step/d a = -1/div, d step/d b = 1/div
            grad_a = grad_a - unbroadcast(g_step, a.shape).reshape(a.shape) / div
            grad_b = grad_b + unbroadcast(g_step, b.shape).reshape(b.shape) / div
        return grad_a, grad_b
    return _record_many((out.astype(dtype), step.astype(dtype)), (start, stop), both_vjp)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    r"""Points evenly spaced on a log scale: :math:`z_i = \beta^{y_i}` with :math:`y` = ``linspace(start, stop)``.

    Chain rule through :math:`dz/dy = z \ln\beta`, then :func:`linspace`'s derivative.
    """
    dtype = dtype or _float_dtype(start, stop)
    y, _, ramp_vjp = _ramp(start, stop, num, endpoint, axis, "logspace")
    out = np.power(float(base), y)
    return _finish(out, dtype, (start, stop), lambda g: ramp_vjp(g * out * np.log(base)))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    r"""Points in geometric progression: :math:`y_i = a\,(b/a)^{t_i} = \mathrm{sign}(a)\,|a|^{1-t_i}|b|^{t_i}`.

    ``start`` and ``stop`` must be non-zero with one sign. Since
    :math:`\partial \log|y_i| / \partial a = (1 - t_i)/a`,

    .. math:: \frac{\partial L}{\partial a} = \sum_i g_i\, y_i \frac{1 - t_i}{a}, \qquad
              \frac{\partial L}{\partial b} = \sum_i g_i\, y_i \frac{t_i}{b}.
    """
    dtype = dtype or _float_dtype(start, stop)
    a, b = (np.asarray(_value(v), dtype=np.float64) for v in (start, stop))
    if np.any(a == 0) or np.any(b == 0) or np.any(np.sign(a) != np.sign(b)):
        raise ValueError(f"ops.geomspace: `start` and `stop` must be non-zero and of one sign; "
                         f"got start={a.tolist()}, stop={b.tolist()}. Fix: a geometric "
                         f"sequence never crosses 0; use ops.linspace for that.")
    logs, _, ramp_vjp = _ramp(np.log(np.abs(a)), np.log(np.abs(b)), num, endpoint, axis,
                              "geomspace")
    shape, ax = np.broadcast_shapes(a.shape, b.shape), axis % logs.ndim
    sign = np.expand_dims(np.broadcast_to(np.sign(a), shape), ax)
    out = sign * np.exp(logs)
    ends = np.moveaxis(out, ax, 0)
    if num > 0:                                   # exact end points, as NumPy sets them
        ends[0] = np.broadcast_to(a, ends.shape[1:])
        if endpoint and num > 1:
            ends[-1] = np.broadcast_to(b, ends.shape[1:])

    def vjp(g):
        # Through the logs: dy/d(log|a|) is y (1 - t), and d log|a| / da = 1/a.
        grad_log_a, grad_log_b = ramp_vjp(g * out)
        return grad_log_a / a, grad_log_b / b
    return _finish(out, dtype, (start, stop), vjp)


# ============================================================== grids
def meshgrid(*x, indexing="xy"):
    r"""Coordinate grids: output :math:`k` repeats vector :math:`x_k` along every other axis.

    ``indexing="xy"`` (Cartesian) swaps the first two grid axes, ``"ij"`` (matrix) does not.
    Output :math:`k` is a broadcast of :math:`x_k`, so :math:`x_k`'s gradient is
    :math:`g_k` summed over all axes but its own.
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"ops.meshgrid: `indexing` must be 'xy' or 'ij'; got {indexing!r}. "
                         f"Fix: 'xy' for Cartesian (x varies along columns), 'ij' for matrix.")
    values = [np.asarray(_value(v)).reshape(-1) for v in x]
    grids = np.meshgrid(*values, indexing=indexing)
    own_axis = list(range(len(values)))
    if indexing == "xy" and len(values) > 1:
        own_axis[0], own_axis[1] = 1, 0

    def vjp(grads):
        return tuple(
            np.sum(g, axis=tuple(d for d in range(g.ndim) if d != own_axis[k]))
            .reshape(np.shape(_value(x[k])))
            for k, g in enumerate(grads))
    return list(_record_many(grids, x, vjp))


def vander(x, N=None, increasing=False):
    r"""The Vandermonde matrix of a vector: :math:`V_{ij} = x_i^{p_j}`.

    Powers :math:`p_j = N-1-j` (decreasing, the default) or :math:`j`. Row
    :math:`i` depends on :math:`x_i` only, with :math:`dV_{ij}/dx_i = p_j x_i^{p_j - 1}`:

    .. math:: \frac{\partial L}{\partial x_i} = \sum_{j:\,p_j>0} g_{ij}\, p_j\, x_i^{p_j-1}.

    (Keras on torch cannot differentiate it: torch's backward raises.)
    """
    a = np.asarray(_value(x))
    if a.ndim != 1:
        raise ValueError(f"ops.vander: `x` must be a vector; got shape {a.shape}. "
                         f"Fix: ops.ravel(x) first.")
    a = _keras_array(x) if _is_python(x) else a
    n = a.shape[0] if N is None else int(N)
    powers = np.arange(n) if increasing else np.arange(n)[::-1]
    out = np.vander(a, n, increasing=increasing).astype(a.dtype)   # NumPy promotes to 64 bits
    if a.dtype.kind != "f":
        return out.astype(a.dtype)

    def vjp(g):
        slope = np.where(powers > 0, powers * a[:, None] ** np.maximum(powers - 1, 0), 0.0)
        return ((g * slope).sum(axis=1),)
    return _record(out, (x,), vjp)


# ============================================================== windows (no gradient)
def _window(fn, x, *args):
    return fn(int(_value(x)), *args).astype(backend.floatx())


def bartlett(x):
    r"""The triangular window of ``x`` points, :math:`1 - |2n/(M-1) - 1|`."""
    return _window(np.bartlett, x)


def blackman(x):
    r"""The Blackman window, :math:`0.42 - 0.5\cos(2\pi n/(M-1)) + 0.08\cos(4\pi n/(M-1))`."""
    return _window(np.blackman, x)


def hamming(x):
    r"""The Hamming window, :math:`0.54 - 0.46\cos(2\pi n/(M-1))`."""
    return _window(np.hamming, x)


def hanning(x):
    r"""The Hann window, :math:`0.5 - 0.5\cos(2\pi n/(M-1))`."""
    return _window(np.hanning, x)


def kaiser(x, beta):
    r"""The Kaiser window, :math:`I_0\big(\beta\sqrt{1 - (2n/(M-1) - 1)^2}\big) / I_0(\beta)`."""
    return _window(np.kaiser, x, float(_value(beta)))


__all__ = ["arange", "array", "empty", "empty_like", "eye", "full", "full_like", "identity",
           "linspace", "logspace", "geomspace", "meshgrid", "ones", "ones_like", "zeros",
           "zeros_like", "tri", "bartlett", "blackman", "hamming", "hanning", "kaiser", "vander"]
