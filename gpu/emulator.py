"""A GPU made of NumPy: every kernel's twin, and a runtime that runs them.

:class:`EmulatedRuntime` has the same six methods as
:class:`~kerastutor.gpu.runtime.CudaRuntime` (``alloc``, ``release``,
``upload``, ``download``, ``launch``, ``synchronize``), but its "device
memory" is NumPy byte arrays on this machine, addressed by made-up integer
addresses, and ``launch`` runs the kernel's **twin**: a few lines of NumPy
that compute what the whole grid of threads computes. The arguments arrive
exactly as the GPU would get them -- ctypes addresses, ``c_longlong`` counts,
``Layout`` structures -- so the device-array code that packs them is the same
code in both cases.

What this tests: everything on the Python side of a launch (shapes, strides,
broadcasting, which kernel, which arguments, memory reuse). What it cannot
test: the CUDA C++ itself -- on a GPU, ``tests/gpu/test_gpu_array.py`` runs the
same checks against the real kernels. Each twin below names the kernel whose
comment explains the parallel version.

Graphs (:mod:`.graphs`) take the same path as on a GPU: during a capture ``launch``
records the twin, the grid and a copy of every argument value instead of running it (so
nothing is computed yet, as on a GPU), and a replay runs the recording in order.

Select it with ``keras.backend.set_device("emulated")``.
"""
import bisect
import ctypes

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import philox
from .graphs import Capturing
from .runtime import PooledMemory

F32 = np.dtype(np.float32)


def _value(arg):
    """A ctypes scalar's Python value (structures are returned as they are)."""
    return arg.value if isinstance(arg, ctypes._SimpleCData) else arg


class EmulatedRuntime(Capturing):
    """Host memory posing as device memory; kernels run as their NumPy twins.

    ``alloc`` and ``release`` (from :class:`~kerastutor.gpu.graphs.Capturing`) take blocks
    from ``self.memory``, or from the graph's own memory during a capture."""

    name = "emulated"
    description = "emulated GPU (NumPy twins of the kernels, on the CPU)"

    def __init__(self):
        self._bases, self._blocks = [], {}
        self._next = 1 << 32                 # addresses that look like device addresses
        self.memory = PooledMemory(self._raw_alloc, self._raw_free)
        self.launches = 0

    def _raw_alloc(self, nbytes):
        address = self._next
        self._next += nbytes + 4096          # a gap, so an overrun cannot reach a neighbour
        self._blocks[address] = np.zeros(nbytes, dtype=np.uint8)
        bisect.insort(self._bases, address)
        return address

    def _raw_free(self, address):
        del self._blocks[address]
        self._bases.remove(address)

    def bytes_at(self, address):
        """The allocation holding ``address``, from that address to its end (a uint8 view)."""
        index = bisect.bisect_right(self._bases, address) - 1
        if index < 0:
            raise ValueError(f"emulated device: address {address:#x} was never allocated")
        base = self._bases[index]
        block = self._blocks[base]
        if address - base >= block.size:
            raise ValueError(f"emulated device: address {address:#x} is past the end of the "
                             f"block at {base:#x} ({block.size} bytes)")
        return block[address - base:]

    def floats(self, address, count=None):
        """``count`` float32 starting at ``address`` (a writeable view)."""
        data = self.bytes_at(_value(address))
        data = data[:(data.size // 4) * 4].view(np.float32)
        return data if count is None else data[:count]

    def upload(self, address, host):
        if self._capture is not None:
            self.refuse_transfer("an upload (host -> device copy)")
        host = np.ascontiguousarray(host)
        self.bytes_at(address)[:host.nbytes] = host.reshape(-1).view(np.uint8)

    def download(self, host, address):
        if self._capture is not None:
            self.refuse_transfer("a download (device -> host copy)")
        host.reshape(-1).view(np.uint8)[:] = self.bytes_at(address)[:host.nbytes]
        return host

    def launch(self, file, kernel, grid, block, args, shared_bytes=0):
        twin = TWINS.get(kernel)
        if twin is None:
            raise NotImplementedError(f"the emulator has no twin for kernel {kernel!r} "
                                      f"of {file}.cu")
        # a few kernels take a size from the grid (rows = blocks, batch = grid z)
        grid = tuple(grid) + (1,) * (3 - len(grid)) if not isinstance(grid, int) \
            else (grid, 1, 1)
        if self._capture is not None:
            # cuLaunchKernel copies the argument values when it is called; so does this
            self._recording.append((kernel, twin, grid, tuple(map(_snapshot, args))))
            return
        self.launches += 1
        self.grid = grid
        twin(self, *args)

    def synchronize(self):
        pass                                 # every twin finished before launch returned

    # -- graphs (kerastutor.gpu.graphs): record the launches, replay them -----------------

    def _begin_capture(self):
        self._recording = EmulatedGraph()

    def _end_capture(self):
        recording, self._recording = self._recording, None
        return recording

    def _abort_capture(self):
        self._recording = None

    def _replay(self, recording):
        for kernel, twin, grid, args in recording:
            self.launches += 1
            self.grid = grid
            twin(self, *args)

    def _destroy(self, recording):
        recording.clear()


class EmulatedGraph(list):
    """The emulator's graph: ``(kernel, twin, grid, arguments)`` per recorded launch."""

    @property
    def kernels(self):
        return [kernel for kernel, *_ in self]


def _snapshot(arg):
    """A copy of a launch argument's value (a ctypes scalar or structure), as a capture keeps."""
    if isinstance(arg, ctypes._SimpleCData):
        return type(arg)(arg.value)
    if isinstance(arg, ctypes.Structure):
        return type(arg).from_buffer_copy(arg)
    return arg


# ---- elementwise.cu ----------------------------------------------------------------------

def _operand(rt, address, layout, which):
    """Operand ``which`` of a ``Layout`` as a NumPy view of the output's shape."""
    rank = layout.rank
    shape = tuple(layout.shape[:rank])
    strides = tuple(F32.itemsize * s for s in layout.strides[which][:rank])
    return as_strided(rt.floats(address), shape, strides)


def _out(rt, address, layout):
    """The contiguous output, shaped like the layout."""
    shape = tuple(layout.shape[:layout.rank])
    return rt.floats(address, int(np.prod(shape, dtype=np.int64))).reshape(shape)


def _floor_mod(u, v):
    return np.mod(u, v)


UNARY = {
    "relu": lambda v: np.maximum(v, np.float32(0)), "copy": lambda v: v, "neg": np.negative, "abs": np.abs, "sign": np.sign, "exp": np.exp,
    "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "sqrt": np.sqrt, "square": np.square,
    "reciprocal": lambda v: np.float32(1) / v, "tanh": np.tanh, "sin": np.sin, "cos": np.cos,
    "erf": None, "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "rint": np.rint,
    "isfinite": np.isfinite, "isnan": np.isnan, "isinf": np.isinf,
    "logical_not": np.logical_not,
}

BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
    "pow": np.power, "mod": _floor_mod,
    "floor_divide": lambda u, v: np.floor(u / v), "maximum": np.maximum, "minimum": np.minimum,
    "fmax": np.fmax, "fmin": np.fmin, "logaddexp": np.logaddexp, "copysign": np.copysign, "arctan2": np.arctan2,
    "greater": np.greater, "greater_equal": np.greater_equal, "less": np.less,
    "less_equal": np.less_equal, "equal": np.equal, "not_equal": np.not_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or,
}


def _erf(v):
    from math import erf
    return np.vectorize(erf, otypes=[np.float32])(v)


UNARY["erf"] = _erf


def _unary_twin(fn):
    def twin(rt, x, y, n, layout):          # UNARY in elementwise.cu
        with np.errstate(all="ignore"):
            _out(rt, y, layout)[...] = fn(_operand(rt, x, layout, 0))
    return twin


def _binary_twins(fn):
    def both(rt, a, b, z, n, layout):       # BINARY: array, array
        with np.errstate(all="ignore"):
            _out(rt, z, layout)[...] = fn(_operand(rt, a, layout, 0), _operand(rt, b, layout, 1))

    def array_scalar(rt, a, v, z, n, layout):
        with np.errstate(all="ignore"):
            _out(rt, z, layout)[...] = fn(_operand(rt, a, layout, 0), np.float32(_value(v)))

    def scalar_array(rt, u, b, z, n, layout):
        with np.errstate(all="ignore"):
            _out(rt, z, layout)[...] = fn(np.float32(_value(u)), _operand(rt, b, layout, 1))
    return both, array_scalar, scalar_array


def _where(rt, c, a, b, z, n, layout):
    _out(rt, z, layout)[...] = np.where(_operand(rt, c, layout, 0) != 0,
                                        _operand(rt, a, layout, 1), _operand(rt, b, layout, 2))


def _assign(rt, x, y, n, layout):
    _operand(rt, y, layout, 1)[...] = _operand(rt, x, layout, 0)


def _fill(rt, y, n, value):
    rt.floats(y, _value(n))[:] = _value(value)


def _arange(rt, y, n, start, step):
    count = _value(n)
    rt.floats(y, count)[:] = (np.float32(_value(start))
                              + np.arange(count, dtype=np.float32) * np.float32(_value(step)))


# ---- reduce.cu: x viewed as (outer, length, inner), reduced along the middle -------------

def _reduction_twin(fn):
    def twin(rt, x, y, outer, length, inner):
        outer, length, inner = _value(outer), _value(length), _value(inner)
        cube = rt.floats(x, outer * length * inner).reshape(outer, length, inner)
        rt.floats(y, outer * inner).reshape(outer, inner)[...] = fn(cube)
    return twin


def _compensated_sum(cube):
    """reduce_sum's Kahan sum is within about one rounding of the exact sum; adding in
    float64 and rounding once gives that same float32 (to the last bit almost always)."""
    return cube.sum(axis=1, dtype=np.float64).astype(np.float32)


# ---- matmul.cu, transpose.cu ---------------------------------------------------------------

def _matmul_tiled(rt, A, B, C, M, N, K, stride_a, stride_b, stride_c):
    """The batch size is not an argument: it is the grid's z extent, as on the GPU."""
    M, N, K = _value(M), _value(N), _value(K)
    sa, sb, sc = _value(stride_a), _value(stride_b), _value(stride_c)
    batch = rt.grid[2]
    a = as_strided(rt.floats(A), (batch, M, K), (4 * sa, 4 * K, 4))
    b = as_strided(rt.floats(B), (batch, K, N), (4 * sb, 4 * N, 4))
    c = as_strided(rt.floats(C), (batch, M, N), (4 * sc, 4 * N, 4))
    c[...] = np.matmul(a, b)


def _matmul_strided(rt, A, B, C, M, N, K, stride_a, stride_b, stride_c, a_row, a_col, b_row,
                    b_col):
    """matmul_tiled, with each operand read through its own row and column strides."""
    M, N, K = _value(M), _value(N), _value(K)
    sa, sb, sc = _value(stride_a), _value(stride_b), _value(stride_c)
    batch = rt.grid[2]
    a = as_strided(rt.floats(A), (batch, M, K), (4 * sa, 4 * _value(a_row), 4 * _value(a_col)))
    b = as_strided(rt.floats(B), (batch, K, N), (4 * sb, 4 * _value(b_row), 4 * _value(b_col)))
    c = as_strided(rt.floats(C), (batch, M, N), (4 * sc, 4 * N, 4))
    c[...] = np.matmul(a, b)


def _transpose_2d(rt, src, dst, rows, cols):
    rows, cols = _value(rows), _value(cols)
    batch = rt.grid[2]                       # one matrix per grid z, as on the GPU
    x = rt.floats(src, batch * rows * cols).reshape(batch, rows, cols)
    rt.floats(dst, batch * rows * cols).reshape(batch, cols, rows)[...] = x.transpose(0, 2, 1)


def _permute(rt, src, dst, n, p):
    shape = tuple(p.out_shape[:p.rank])
    strides = tuple(4 * s for s in p.in_strides[:p.rank])
    rt.floats(dst, _value(n)).reshape(shape)[...] = as_strided(rt.floats(src), shape, strides)


# ---- im2col.cu -----------------------------------------------------------------------------

def _patch_view(rt, x, g):
    """The (N, OH, OW, KH, KW, C) windows of the padded input, as a strided view."""
    C, W, H = g.C, g.W, g.H
    strides = (H * W * C, g.SH * W * C, g.SW * C, g.DH * W * C, g.DW * C, 1)
    return as_strided(rt.floats(x), (g.N, g.OH, g.OW, g.KH, g.KW, C),
                      tuple(4 * s for s in strides))


def _im2col(rt, x, patches, g):
    rows, cols = g.N * g.OH * g.OW, g.KH * g.KW * g.C
    rt.floats(patches, rows * cols).reshape(rows, cols)[...] = \
        _patch_view(rt, x, g).reshape(rows, cols)


def _col2im(rt, patches, dx, g):
    out = rt.floats(dx, g.N * g.H * g.W * g.C).reshape(g.N, g.H, g.W, g.C)
    out[...] = 0
    cols = rt.floats(patches, g.N * g.OH * g.OW * g.KH * g.KW * g.C)
    cols = cols.reshape(g.N, g.OH, g.OW, g.KH, g.KW, g.C)
    for kh in range(g.KH):                  # a loop over the kernel, not over pixels
        for kw in range(g.KW):
            h0, w0 = kh * g.DH, kw * g.DW
            out[:, h0:h0 + g.SH * g.OH:g.SH, w0:w0 + g.SW * g.OW:g.SW, :] += cols[:, :, :, kh, kw, :]


# ---- softmax.cu ----------------------------------------------------------------------------

def _softmax_rows(rt, x, y, cols):
    cols = _value(cols)
    rows = rt.grid[0]                        # one block per row
    logits = rt.floats(x, rows * cols).reshape(rows, cols)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    rt.floats(y, rows * cols).reshape(rows, cols)[...] = shifted / shifted.sum(axis=1, keepdims=True)


def _softmax_rows_backward(rt, y, g, dx, cols):
    cols = _value(cols)
    rows = rt.grid[0]                        # one block per row
    y = rt.floats(y, rows * cols).reshape(rows, cols)
    g = rt.floats(g, rows * cols).reshape(rows, cols)
    rt.floats(dx, rows * cols).reshape(rows, cols)[...] = \
        y * (g - (g * y).sum(axis=1, keepdims=True))


# ---- gather_scatter.cu ---------------------------------------------------------------------

def _gather_rows(rt, table, ids, out, count, width):
    count, width = _value(count), _value(width)
    rows = rt.floats(ids, count).astype(np.int64)
    rt.floats(out, count * width).reshape(count, width)[...] = \
        rt.floats(table).reshape(-1)[:(rows.max() + 1) * width].reshape(-1, width)[rows]


def _scatter_add_rows(rt, table, ids, values, count, width):
    count, width = _value(count), _value(width)
    rows = rt.floats(ids, count).astype(np.int64)
    target = rt.floats(table)[:(rows.max() + 1) * width].reshape(-1, width)
    np.add.at(target, rows, rt.floats(values, count * width).reshape(count, width))


def _take_along_rows(rt, x, labels, out, rows, classes):
    rows, classes = _value(rows), _value(classes)
    picked = rt.floats(labels, rows).astype(np.int64)
    matrix = rt.floats(x, rows * classes).reshape(rows, classes)
    rt.floats(out, rows)[:] = matrix[np.arange(rows), picked]


def _put_along_rows_add(rt, dx, labels, g, rows, classes):
    rows, classes = _value(rows), _value(classes)
    picked = rt.floats(labels, rows).astype(np.int64)
    rt.floats(dx, rows * classes).reshape(rows, classes)[np.arange(rows), picked] += \
        rt.floats(g, rows)


def _put_along_rows(rt, x, labels, values, rows, classes):
    rows, classes = _value(rows), _value(classes)
    picked = rt.floats(labels, rows).astype(np.int64)
    rt.floats(x, rows * classes).reshape(rows, classes)[np.arange(rows), picked] = \
        rt.floats(values, rows)


# ---- philox.cu -----------------------------------------------------------------------------

def _philox_uniform(rt, out, n, seed0, seed1, offset, low, high):
    n = _value(n)
    rt.floats(out, n)[:] = philox.uniform(n, (_value(seed0), _value(seed1)), _value(offset),
                                          _value(low), _value(high))


def _philox_normal(rt, out, n, seed0, seed1, offset, mean, stddev):
    n = _value(n)
    unit = philox.uniform(-(-n // 2) * 2, (_value(seed0), _value(seed1)), _value(offset))
    u1, u2 = np.float32(1) - unit[0::2], unit[1::2]
    r, theta = np.sqrt(np.float32(-2) * np.log(u1)), np.float32(6.28318530718) * u2
    pairs = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1).reshape(-1)[:n]
    rt.floats(out, n)[:] = np.float32(_value(mean)) + np.float32(_value(stddev)) * pairs


def _dropout(rt, x, y, scale, n, rate, seed0, seed1, offset):
    n, rate = _value(n), np.float32(_value(rate))
    unit = philox.uniform(n, (_value(seed0), _value(seed1)), _value(offset))
    keep = np.where(unit >= rate, np.float32(1) / (np.float32(1) - rate), np.float32(0))
    rt.floats(scale, n)[:] = keep
    rt.floats(y, n)[:] = rt.floats(x, n) * keep


# ---- optimizers.cu -------------------------------------------------------------------------

def _sgd_update(rt, w, g, n, lr):
    n = _value(n)
    rt.floats(w, n)[:] -= np.float32(_value(lr)) * rt.floats(g, n)


def _sgd_momentum_update(rt, w, m, g, n, lr, mu, nesterov):
    n, lr, mu = _value(n), np.float32(_value(lr)), np.float32(_value(mu))
    grad, moment, weight = rt.floats(g, n), rt.floats(m, n), rt.floats(w, n)
    velocity = mu * moment - lr * grad
    moment[:] = velocity
    weight += mu * velocity - lr * grad if _value(nesterov) else velocity


def _adam_update(rt, w, m, v, g, n, alpha_t, one_minus_beta_1, one_minus_beta_2, epsilon):
    n = _value(n)
    alpha_t, keep_1, keep_2, epsilon = (np.float32(_value(a)) for a in (
        alpha_t, one_minus_beta_1, one_minus_beta_2, epsilon))
    grad, m, v, w = rt.floats(g, n), rt.floats(m, n), rt.floats(v, n), rt.floats(w, n)
    m += (grad - m) * keep_1
    v += (grad * grad - v) * keep_2
    w -= alpha_t * m / (np.sqrt(v) + epsilon)


def _adam_step_size(rt, state, beta_1, beta_2):
    """adam_step_size: ``t += 1``, then alpha_t from the learning rate, in double precision."""
    numbers = rt.floats(state, 3)            # {t, lr, alpha_t}
    t = float(numbers[0]) + 1.0
    beta_1, beta_2 = _value(beta_1), _value(beta_2)
    numbers[0] = t
    numbers[2] = float(numbers[1]) * np.sqrt(1.0 - beta_2 ** t) / (1.0 - beta_1 ** t)


def _adam_update_device(rt, w, m, v, g, n, alpha_t, one_minus_beta_1, one_minus_beta_2,
                        epsilon):
    """adam_update with alpha_t read from device memory (a captured step's)."""
    _adam_update(rt, w, m, v, g, n, rt.floats(alpha_t, 1)[0], one_minus_beta_1,
                 one_minus_beta_2, epsilon)


# ---- the table launch() looks kernels up in ------------------------------------------------

TWINS = {
    "where": _where, "assign": _assign, "fill": _fill, "arange": _arange,
    "reduce_sum": _reduction_twin(_compensated_sum),
    "reduce_max": _reduction_twin(lambda c: np.fmax.reduce(c, axis=1)),
    "reduce_min": _reduction_twin(lambda c: np.fmin.reduce(c, axis=1)),
    "reduce_argmax": _reduction_twin(lambda c: np.argmax(c, axis=1)),
    "reduce_argmin": _reduction_twin(lambda c: np.argmin(c, axis=1)),
    "matmul_tiled": _matmul_tiled, "matmul_strided": _matmul_strided,
    "transpose_2d": _transpose_2d, "permute": _permute,
    "im2col": _im2col, "col2im": _col2im,
    "softmax_lastaxis": _softmax_rows, "softmax_lastaxis_backward": _softmax_rows_backward,
    "gather_rows": _gather_rows, "scatter_add_rows": _scatter_add_rows,
    "take_along_rows": _take_along_rows, "put_along_rows_add": _put_along_rows_add,
    "put_along_rows": _put_along_rows,
    "philox_uniform": _philox_uniform, "philox_normal": _philox_normal, "dropout": _dropout,
    "sgd_update": _sgd_update, "sgd_momentum_update": _sgd_momentum_update,
    "adam_update": _adam_update, "adam_step_size": _adam_step_size,
    "adam_update_device": _adam_update_device,
}
for _name, _fn in UNARY.items():
    TWINS[f"unary_{_name}"] = _unary_twin(_fn)
for _name, _fn in BINARY.items():
    (TWINS[f"binary_{_name}"], TWINS[f"binary_{_name}_as"],
     TWINS[f"binary_{_name}_sa"]) = _binary_twins(_fn)
