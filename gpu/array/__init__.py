r"""``DeviceArray``: a NumPy-looking array whose numbers live on the GPU.

The layers of kerastutor are written with NumPy functions -- ``np.exp(x)``,
``x @ w``, ``np.sum(g, axis=0)``, ``x[:, :n]``. They do not change for the GPU.
Instead this module gives NumPy a second kind of array, and NumPy itself sends
every function call on it here, through two protocols NumPy defines for exactly
this purpose:

* ``__array_ufunc__`` (NEP 13) receives every *ufunc* -- the elementwise
  functions such as ``np.add``, ``np.exp``, ``np.maximum``, the operators
  ``+ - * / ** > ==``, ``@`` (``np.matmul``), and their ``.reduce`` forms
  (``np.add.reduce`` is ``np.sum``);
* ``__array_function__`` (NEP 18) receives the other functions -- ``np.sum``,
  ``np.where``, ``np.reshape``, ``np.concatenate``, ``np.zeros_like`` ...

Each one becomes a kernel launch (:data:`UFUNC_KERNELS`, :data:`FUNCTIONS`),
and the result is a new ``DeviceArray``: data stays on the device from one
operation to the next. So ``Dense.forward``'s ``inputs @ kernel + bias`` is two
launches, ``matmul_tiled`` then ``binary_add``, with no copy to the host.

**The array.** A ``DeviceArray`` is a :class:`Buffer` (one device allocation)
plus the same four facts NumPy keeps about any array: ``shape``, ``strides``
(here in elements, not bytes), an ``offset`` into the buffer, and ``dtype``.
Like NumPy, slicing, transposing, ``reshape`` of a contiguous array and
``broadcast_to`` only make a new *view* -- new strides over the same buffer. The
elementwise kernels read any strides (see the ``Layout`` in
``kernels/elementwise.cu``), so most views are never copied at all.

**One storage type.** Every element on the device is a float32. An array
still *says* it is ``bool`` or ``int64`` when NumPy would have made one (a
comparison, an ``argmax``), and stores those values as 0.0/1.0 or as whole
floats, exact up to :math:`2^{24}`. That keeps the kernel set small and lets
NumPy code that looks at ``dtype`` behave as usual. float64 arrays -- gradient
checks use them -- are never moved: :func:`to_device` leaves them in NumPy.

**What is not a kernel.** A function without a kernel here still works: its
``DeviceArray`` arguments are copied to the host, NumPy runs it, and the result
is a NumPy array (:func:`_on_host`; an ``out=`` on the device is written back).
The next device operation that reads it uploads it. Each such fallback is counted in
:data:`fallbacks` by function name, and :func:`strict` turns them into errors,
which is how the tests show the training path of a model never leaves the GPU.
``np.asarray(device_array)`` also copies to the host (counted in
:data:`transfers`), and so do ``float(x)``, ``bool(x)`` and printing.
"""
import collections
import ctypes
import math
import numbers
import operator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .runtime import BLOCK, grid_for

MAX_RANK = 8
EXACT_INTEGERS = 2 ** 24          # float32 holds every integer up to here exactly


class Layout(ctypes.Structure):
    """``struct Layout`` of elementwise.cu: the output shape and up to three operands' strides."""
    _fields_ = [("rank", ctypes.c_int),
                ("shape", ctypes.c_int * MAX_RANK),
                ("strides", (ctypes.c_longlong * MAX_RANK) * 3)]


# -- where the kernels run -------------------------------------------------------------------

_state = {"runtime": None, "strict": False}
fallbacks = collections.Counter()     # function name -> times it ran on the host instead
transfers = collections.Counter()     # "upload" / "download" -> count


def use_runtime(runtime):
    """Send every later operation to ``runtime`` (a CudaRuntime or EmulatedRuntime)."""
    _state["runtime"] = runtime


def current_runtime():
    if _state["runtime"] is None:
        raise RuntimeError("kerastutor.gpu.array: no device selected. Hint: call "
                           "keras.backend.set_device('cuda') (or 'emulated') first.")
    return _state["runtime"]


def strict(on=True):
    """With ``strict(True)`` a function that has no kernel raises instead of running on the host."""
    _state["strict"] = bool(on)


def synchronize():
    """Wait until every queued kernel has finished (stop a timer only after this)."""
    current_runtime().synchronize()


def _launch(file, kernel, n, *args, grid=None, block=BLOCK, shared_bytes=0):
    current_runtime().launch(file, kernel, grid or grid_for(n, block), block, list(args),
                             shared_bytes)


def _i64(value):
    return ctypes.c_longlong(int(value))


def _i32(value):
    return ctypes.c_int(int(value))


def _f32(value):
    return ctypes.c_float(float(value))


# -- memory ----------------------------------------------------------------------------------

class Buffer:
    """One device allocation; it goes back to the runtime's pool when no array uses it."""

    __slots__ = ("runtime", "address", "nbytes")

    def __init__(self, nbytes, runtime=None):
        self.runtime = runtime or current_runtime()
        self.nbytes = int(nbytes)
        self.address = self.runtime.alloc(self.nbytes)

    def __del__(self):
        try:
            self.runtime.release(self.address, self.nbytes)
        except Exception:                # interpreter shutdown: nothing left to release to
            pass


_Flags = collections.namedtuple("_Flags", "writeable c_contiguous")


def _contiguous_strides(shape):
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def _size(shape):
    return math.prod(shape)


class DeviceArray:
    """An array on the GPU that NumPy functions accept (see the module docstring)."""

    __array_priority__ = 100           # ``host_array + device_array`` asks us first

    def __init__(self, buffer, shape, strides=None, offset=0, dtype=np.float32):
        self.buffer = buffer
        self.shape = tuple(int(s) for s in shape)
        self.strides_elements = tuple(strides) if strides is not None \
            else _contiguous_strides(self.shape)
        self.offset = int(offset)
        self.dtype = np.dtype(dtype)

    @classmethod
    def empty(cls, shape, dtype=np.float32):
        """A new contiguous array; its contents are whatever the memory held."""
        shape = tuple(int(s) for s in shape)
        return cls(Buffer(4 * _size(shape)), shape, dtype=dtype)

    # ---- the facts NumPy code asks for ----
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: _size(self.shape))
    itemsize = property(lambda self: self.dtype.itemsize)
    nbytes = property(lambda self: self.size * self.dtype.itemsize)
    T = property(lambda self: self.transpose())

    @property
    def strides(self):
        """Byte strides, as NumPy reports them (of the logical dtype)."""
        return tuple(s * self.dtype.itemsize for s in self.strides_elements)

    @property
    def is_contiguous(self):
        return all(stride == expected for stride, expected, size in
                   zip(self.strides_elements, _contiguous_strides(self.shape), self.shape)
                   if size > 1)

    @property
    def flags(self):
        """The two flags NumPy code here asks about."""
        return _Flags(writeable=True, c_contiguous=self.is_contiguous)

    def pointer(self):
        """The device address of element 0, as the kernels take it."""
        return ctypes.c_uint64(self.buffer.address + 4 * self.offset)

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __repr__(self):
        return f"DeviceArray({to_host(self)!r}, device={current_runtime().name!r})"

    # ---- leaving the device: every one of these copies to the host ----
    def __array__(self, dtype=None, copy=None):
        host = to_host(self)
        return host if dtype is None else host.astype(dtype, copy=False)

    def __float__(self):
        return float(to_host(self))

    def __int__(self):
        return int(to_host(self))

    def __index__(self):
        return operator.index(to_host(self)[()])

    def __bool__(self):
        return bool(to_host(self))

    def item(self, *index):
        return to_host(self).item(*index)

    def tolist(self):
        return to_host(self).tolist()

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    @property
    def flat(self):
        """An iterator over the elements, read from a host copy (as NumPy's ``.flat``)."""
        return to_host(self).flat

    # ---- views: new strides over the same buffer, no kernel ----
    def _view(self, shape, strides, offset=None, dtype=None):
        return DeviceArray(self.buffer, shape, strides,
                           self.offset if offset is None else offset, dtype or self.dtype)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or not isinstance(axes[0], numbers.Integral)):
            axes = axes[0]                   # transpose((1, 0)) as well as transpose(1, 0)
        axes = tuple(range(self.ndim))[::-1] if axes is None or len(axes) == 0 else \
            tuple(int(a) % self.ndim for a in axes)
        return self._view([self.shape[a] for a in axes], [self.strides_elements[a] for a in axes])

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        if order != "C":
            return _on_host(np.reshape, (self, shape), {"order": order})
        shape = _resolve_minus_one(tuple(int(s) for s in shape), self.size)
        source = self if self.is_contiguous else self.copy()
        return source._view(shape, _contiguous_strides(shape))

    def ravel(self):
        return self.reshape(-1)

    def flatten(self):
        return self.copy().reshape(-1)

    def squeeze(self, axis=None):
        return squeeze(self, axis)

    def swapaxes(self, a, b):
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(axes)

    def __getitem__(self, index):
        basic = _basic_index(self, index)
        if basic is not None:
            return basic
        return _advanced_getitem(self, index)

    def __setitem__(self, index, value):
        target = _basic_index(self, index)
        if target is None:
            return _advanced_setitem(self, index, value)
        _assign(target, value)

    # ---- copies and casts ----
    def copy(self):
        return _unary("unary_copy", self, self.dtype)

    def astype(self, dtype, copy=True):
        dtype = np.dtype(dtype)
        if dtype.kind == "f" and dtype.itemsize != 4:
            return to_host(self).astype(dtype)          # float64 lives in NumPy
        if dtype.kind in "iu" and self.dtype.kind == "f":
            return np.trunc(self)._relabel(dtype)
        if dtype == np.bool_ and self.dtype != np.bool_:
            return np.not_equal(self, 0)
        if not copy and dtype == self.dtype:
            return self
        return self.copy()._relabel(dtype)

    def _relabel(self, dtype):
        self.dtype = np.dtype(dtype)
        return self

    def fill(self, value):
        _assign(self, value)

    # ---- methods that are NumPy functions ----
    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        return np.sum(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        return np.mean(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def max(self, axis=None, out=None, keepdims=False):
        return np.max(self, axis=axis, out=out, keepdims=keepdims)

    def min(self, axis=None, out=None, keepdims=False):
        return np.min(self, axis=axis, out=out, keepdims=keepdims)

    def argmax(self, axis=None, out=None, keepdims=False):
        return np.argmax(self, axis=axis, out=out, keepdims=keepdims)

    def argmin(self, axis=None, out=None, keepdims=False):
        return np.argmin(self, axis=axis, out=out, keepdims=keepdims)

    def any(self, axis=None, out=None, keepdims=False):
        return np.any(self, axis=axis, out=out, keepdims=keepdims)

    def all(self, axis=None, out=None, keepdims=False):
        return np.all(self, axis=axis, out=out, keepdims=keepdims)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return np.var(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return np.std(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False):
        return np.prod(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def clip(self, min=None, max=None, out=None):
        return np.clip(self, min, max, out=out)

    def dot(self, other):
        return np.dot(self, other)

    # ---- the NumPy protocols ----
    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if method == "__call__" and not kwargs and _plain(inputs, out):
            run = ELEMENTWISE.get(ufunc)     # the common case, without the checks below
            if run is not None and len(inputs) == ufunc.nin:
                return _write_out(run(*inputs, out=out), out)
        if any(_foreign(v) for v in inputs + (out or ())):
            return NotImplemented            # NEP 13: let the other type's method answer
        host_out = out is not None and not any(isinstance(o, DeviceArray) for o in out)
        if host_out or (out is None and _has_float64(inputs)):
            # the result belongs in NumPy: a NumPy `out=` (``host_z += device_b``), or float64
            return _in_float64(getattr(ufunc, method), inputs, dict(kwargs, out=out))
        kwargs.pop("casting", None)          # every result is cast to float32 storage anyway
        mask = kwargs.pop("where", True)
        handler = _ufunc_handler(ufunc, method, inputs, kwargs)
        if handler is not None and not (mask is True or (method == "__call__" and out)):
            handler = None                   # where= needs an out= to keep the rest from
        if handler is not None and mask is not True:
            # where=m: compute everywhere, keep the old `out` where m is False
            target = out[0] if isinstance(out, tuple) else out
            return _write_out(where(mask, handler(*inputs, **kwargs), target), out)
        if mask is not True:
            kwargs["where"] = mask
        if handler is None:
            return _on_host(getattr(ufunc, method), inputs, dict(kwargs, out=out),
                            name=f"{ufunc.__name__}.{method}" if method != "__call__"
                            else ufunc.__name__)
        if out is not None and (handler is matmul or getattr(handler, "writes_out", False)):
            kwargs["out"] = out              # the kernel may write straight into `out`
        result = handler(*inputs, **kwargs)
        return _write_out(result, out)

    def __array_function__(self, func, types, args, kwargs):
        if not all(issubclass(t, (DeviceArray, np.ndarray)) for t in types):
            return NotImplemented            # NEP 18: another array type takes part
        if _has_float64(args):
            return _in_float64(func, args, kwargs)
        implementation = FUNCTIONS.get(func)
        if implementation is None:
            return _on_host(func, args, kwargs)
        return implementation(*args, **kwargs)


def _foreign(value):
    """An operand of a type NumPy should ask itself (it has its own ``__array_ufunc__``),
    such as the values ``kerastutor.ops`` records on a tape."""
    return hasattr(type(value), "__array_ufunc__") and \
        not isinstance(value, (DeviceArray, np.ndarray, np.generic))


def _operator(ufunc, reflected=False):
    def method(self, other):
        if _foreign(other):                  # ops.Traced & co. answer with their own
            return NotImplemented            # reflected operator
        return ufunc(other, self) if reflected else ufunc(self, other)
    return method


def _inplace(ufunc):
    def method(self, other):
        if _foreign(other):                  # ops.Traced & co. answer with their own
            return NotImplemented            # reflected operator
        ufunc(self, other, out=self)
        return self
    return method


for _name, _ufunc in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                      ("truediv", np.true_divide), ("pow", np.power), ("mod", np.mod),
                      ("matmul", np.matmul), ("floordiv", np.floor_divide),
                      ("and", np.logical_and), ("or", np.logical_or)]:
    setattr(DeviceArray, f"__{_name}__", _operator(_ufunc))
    setattr(DeviceArray, f"__r{_name}__", _operator(_ufunc, reflected=True))
    setattr(DeviceArray, f"__i{_name}__", _inplace(_ufunc))
for _name, _ufunc in [("gt", np.greater), ("ge", np.greater_equal), ("lt", np.less),
                      ("le", np.less_equal), ("eq", np.equal), ("ne", np.not_equal)]:
    setattr(DeviceArray, f"__{_name}__", _operator(_ufunc))
DeviceArray.__neg__ = lambda self: np.negative(self)
DeviceArray.__pos__ = lambda self: self.copy()
DeviceArray.__abs__ = lambda self: np.abs(self)
DeviceArray.__invert__ = lambda self: np.logical_not(self)
DeviceArray.__hash__ = None


# -- moving data -----------------------------------------------------------------------------

def storable(array):
    """Whether a host array can live on the device without changing a value:
    float32 (or float16), bool, and integers within +-2**24. Not float64."""
    array = np.asarray(array)
    if array.dtype.kind == "f":
        return array.dtype.itemsize <= 4
    if array.dtype.kind == "b":
        return True
    if array.dtype.kind in "iu":
        return array.size == 0 or int(np.max(np.abs(array))) <= EXACT_INTEGERS
    return False


def to_device(array):
    """Copy a host array to the device (one upload). Arrays it cannot hold exactly
    (float64, large integers, objects, strings) are returned unchanged: they stay in NumPy."""
    if isinstance(array, DeviceArray):
        return array
    host = np.asarray(array)
    if not storable(host):
        return array
    logical = np.float32 if host.dtype.kind == "f" else host.dtype
    result = DeviceArray.empty(host.shape, logical)
    if host.size:
        current_runtime().upload(result.buffer.address,
                                 np.ascontiguousarray(host, dtype=np.float32))
    transfers["upload"] += 1
    return result


def to_host(array):
    """A NumPy copy of a device array (one download); anything else passes through."""
    if not isinstance(array, DeviceArray):
        return array
    source = array if array.is_contiguous else array.copy()
    host = np.empty(source.shape, np.float32)
    if host.size:
        current_runtime().download(host, source.buffer.address + 4 * source.offset)
    transfers["download"] += 1
    return host if array.dtype == np.float32 else host.astype(array.dtype)


def _upload_operand(value):
    """An operand of a device operation: device arrays as they are, host arrays uploaded."""
    if isinstance(value, DeviceArray):
        return value
    host = np.asarray(value)
    moved = to_device(host.astype(np.float32, copy=False) if host.dtype.kind == "f" else host)
    if not isinstance(moved, DeviceArray):
        raise TypeError(f"DeviceArray: cannot use a {host.dtype} array on the device (only "
                        f"float32, bool and integers below 2**24 live there).")
    return moved


def _on_host(func, args, kwargs, name=None):
    """Run a NumPy function with no kernel here: arrays to the host, NumPy runs it, and the
    result stays a NumPy array (the next device operation uploads it if it needs it)."""
    if name is None and isinstance(getattr(func, "__self__", None), np.ufunc):
        name = func.__self__.__name__ + ("" if func.__name__ == "__call__" else "." + func.__name__)
    name = name or getattr(func, "__name__", str(func))
    if _state["strict"]:
        raise NotImplementedError(
            f"DeviceArray: np.{name} has no GPU kernel (strict mode forbids running it on the "
            f"host). Hint: call kerastutor.gpu.array.strict(False) to allow host fallbacks.")
    fallbacks[name] += 1
    out = kwargs.get("out")
    host_kwargs = {key: _tree(to_host, value) for key, value in kwargs.items() if key != "out"}
    host_out = None
    if out is not None:
        host_out = _tree(to_host, out)
        host_kwargs["out"] = host_out
    result = func(*_tree(to_host, args), **host_kwargs)
    if out is not None:                      # the host copy of `out` was written: copy it back
        for device, host in zip(out if isinstance(out, tuple) else (out,),
                                host_out if isinstance(host_out, tuple) else (host_out,)):
            if isinstance(device, DeviceArray):
                _assign(device, host)
        return out[0] if isinstance(out, tuple) and len(out) == 1 else out
    return result


def _has_float64(values):
    """Whether a float64 host array or NumPy float64 scalar takes part. (A Python float
    does not count: NumPy lets it take the array's dtype.)"""
    for value in values:
        if isinstance(value, (list, tuple)):
            if _has_float64(value):
                return True
        elif isinstance(value, (np.ndarray, np.float64)) and value.dtype == np.float64:
            return True
    return False


def _in_float64(func, args, kwargs):
    """NumPy's rule: float32 with float64 gives float64. The GPU holds float32 only, so
    such an operation runs in NumPy and its result stays there (gradient checks do this).
    The same goes for an operation whose ``out=`` is a NumPy array."""
    transfers["float64 on the host"] += 1
    out = kwargs.get("out")
    if out is not None and any(isinstance(o, DeviceArray)
                               for o in (out if isinstance(out, tuple) else (out,))):
        return _on_host(func, args, kwargs)
    return func(*_tree(to_host, args), **{k: _tree(to_host, v) for k, v in kwargs.items()})


def _tree(fn, value):
    if isinstance(value, (list, tuple)):
        return type(value)(_tree(fn, v) for v in value)
    return fn(value)


def _resolve_minus_one(shape, size):
    if -1 in shape:
        known = _size([s for s in shape if s != -1])
        shape = tuple(size // known if s == -1 else s for s in shape)
    if _size(shape) != size:
        raise ValueError(f"cannot reshape array of size {size} into shape {shape}")
    return shape


# -- elementwise: one thread per output element ----------------------------------------------

def _layout(out_shape, *operands):
    """The ``Layout`` for an output shape and the operands read into it (None for a scalar)."""
    if len(out_shape) > MAX_RANK:
        raise ValueError(f"DeviceArray: at most {MAX_RANK} axes on the device, got "
                         f"{len(out_shape)}")
    layout = Layout()
    layout.rank = len(out_shape)
    for axis, size in enumerate(out_shape):
        layout.shape[axis] = size
    for which, operand in enumerate(operands):
        if operand is None:
            continue
        lead = len(out_shape) - operand.ndim              # broadcasting aligns on the right
        for axis, (size, stride) in enumerate(zip(operand.shape, operand.strides_elements)):
            layout.strides[which][lead + axis] = 0 if size == 1 else stride
    return layout


def _new_or(into, shape, dtype):
    """The array a kernel writes: ``into`` when it may write there directly, else a new one."""
    return into if into is not None else DeviceArray.empty(shape, dtype)


def _direct_target(out, shape, operands):
    """``out`` itself when a kernel may write straight into it (saving a copy): a contiguous
    device array of the result's shape that no input reads through a *different* view.
    (``x += y`` is safe -- each thread reads its element before writing it.)"""
    target = out[0] if isinstance(out, tuple) else out
    if not isinstance(target, DeviceArray) or target.shape != tuple(shape) \
            or not target.is_contiguous:
        return None
    for operand in operands:
        if isinstance(operand, DeviceArray) and operand.buffer is target.buffer and \
                (operand.offset, operand.shape, operand.strides_elements) != \
                (target.offset, target.shape, target.strides_elements):
            return None
    return target


def _unary(kernel, x, dtype=np.float32, into=None):
    result = _new_or(into, x.shape, dtype)
    if result.size:
        _launch("elementwise", kernel, result.size, x.pointer(), result.pointer(),
                _i64(result.size), _layout(x.shape, x))
    return result


_PLAIN_SCALARS = (float, int, bool, np.float32, np.float16, np.int64, np.int32, np.bool_)


def _plain(inputs, out):
    """Device arrays and scalars that are not float64, and a device ``out`` (or none):
    the operands of nearly every call, which need none of the general checks."""
    return all(type(v) is DeviceArray or type(v) in _PLAIN_SCALARS for v in inputs) and \
        (out is None or all(type(o) is DeviceArray for o in out))


def _is_scalar(value):
    if type(value) in _PLAIN_SCALARS:
        return True
    return isinstance(value, (numbers.Number, np.generic)) or \
        (isinstance(value, np.ndarray) and value.ndim == 0)


def _binary(kernel, a, b, dtype, into=None):
    """``a`` and ``b`` are device arrays or scalars (not both scalars)."""
    if _is_scalar(b):
        result = _new_or(into, a.shape, dtype)
        if result.size:
            _launch("elementwise", kernel + "_as", result.size, a.pointer(), _f32(b),
                    result.pointer(), _i64(result.size), _layout(a.shape, a))
        return result
    if _is_scalar(a):
        result = _new_or(into, b.shape, dtype)
        if result.size:
            _launch("elementwise", kernel + "_sa", result.size, _f32(a), b.pointer(),
                    result.pointer(), _i64(result.size), _layout(b.shape, None, b))
        return result
    shape = _broadcast(a.shape, b.shape)
    result = _new_or(into, shape, dtype)
    if result.size:
        _launch("elementwise", kernel, result.size, a.pointer(), b.pointer(), result.pointer(),
                _i64(result.size), _layout(shape, a, b))
    return result


def _assign(target, value):
    """``target[...] = value`` for any view ``target`` (value broadcast, cast to float32)."""
    if _is_scalar(value):
        value = _constant(float(value))
    value = _upload_operand(value)
    if target.size:
        _launch("elementwise", "assign", target.size, value.pointer(), target.pointer(),
                _i64(target.size), _layout(target.shape, value, target))


def full(shape, value, dtype=np.float32):
    """A new device array with every element ``value`` (the fill kernel, nothing uploaded)."""
    result = DeviceArray.empty(shape, dtype)
    if result.size:
        _launch("elementwise", "fill", result.size, result.pointer(), _i64(result.size),
                _f32(value))
    return result


def _constant(value):
    """A 0-d device array holding ``value``."""
    return full((), value)


# Which kernel computes each NumPy ufunc, and the dtype its result says it has.
UNARY_KERNELS = {
    np.negative: "neg", np.absolute: "abs", np.sign: "sign", np.exp: "exp",
    np.expm1: "expm1", np.log: "log", np.log1p: "log1p", np.sqrt: "sqrt",
    np.square: "square", np.reciprocal: "reciprocal", np.tanh: "tanh", np.sin: "sin",
    np.cos: "cos", np.floor: "floor", np.ceil: "ceil", np.trunc: "trunc", np.rint: "rint",
    np.isfinite: "isfinite", np.isnan: "isnan", np.isinf: "isinf",
    np.logical_not: "logical_not", np.positive: "copy",
}
BINARY_KERNELS = {
    np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "div",
    np.power: "pow", np.float_power: "pow", np.remainder: "mod",
    np.floor_divide: "floor_divide", np.maximum: "maximum",
    np.minimum: "minimum", np.fmax: "fmax", np.fmin: "fmin",
    np.logaddexp: "logaddexp", np.copysign: "copysign", np.arctan2: "arctan2",
    np.greater: "greater", np.greater_equal: "greater_equal", np.less: "less",
    np.less_equal: "less_equal", np.equal: "equal", np.not_equal: "not_equal",
    np.logical_and: "logical_and", np.logical_or: "logical_or",
}
BOOL_RESULTS = {np.isfinite, np.isnan, np.isinf, np.logical_not, np.greater,
                np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
                np.logical_and, np.logical_or}
# On booleans NumPy's + and * are "or" and "and" (True + True is True)
BOOLEAN_FORMS = {np.add: np.logical_or, np.maximum: np.logical_or, np.fmax: np.logical_or,
                 np.multiply: np.logical_and, np.minimum: np.logical_and,
                 np.fmin: np.logical_and}
KEEPS_INTEGERS = {np.negative, np.absolute, np.sign, np.square, np.positive, np.add,
                  np.subtract, np.multiply, np.maximum, np.minimum, np.remainder,
                  np.floor_divide}


def _dtype_of(value):
    if isinstance(value, (DeviceArray, np.ndarray, np.generic)):
        return value.dtype
    return np.asarray(value).dtype


FLOAT32 = np.dtype(np.float32)


def _result_dtype(ufunc, operands):
    if ufunc in BOOL_RESULTS:
        return np.dtype(bool)
    if ufunc not in KEEPS_INTEGERS:
        return FLOAT32
    kinds = {_dtype_of(v).kind for v in operands if not _is_scalar(v) or isinstance(v, np.ndarray)}
    if ufunc in KEEPS_INTEGERS and kinds and kinds <= set("biu"):
        return np.dtype(np.int64)
    return np.dtype(np.float32)


def _shape_of(value):
    return value.shape if isinstance(value, (DeviceArray, np.ndarray)) else ()


def _broadcast(*shapes):
    """NumPy's broadcast shape; the common case (equal shapes) without NumPy's machinery."""
    shapes = [shape for shape in shapes if shape != ()]      # scalars change nothing
    if not shapes:
        return ()
    if all(shape == shapes[0] for shape in shapes):
        return shapes[0]
    return np.broadcast_shapes(*shapes)


def _elementwise(ufunc):
    """The device implementation of one elementwise ufunc (made once per ufunc, see below)."""
    def run(*inputs, dtype=None, out=None):
        if any(isinstance(v, np.ndarray) and v.size == 1 for v in inputs):
            inputs = _host_singletons_as_scalars(inputs)
        operands = [v if _is_scalar(v) else _upload_operand(v) for v in inputs]
        result_dtype = _result_dtype(ufunc, inputs)
        shape = _broadcast(*(_shape_of(v) for v in operands))
        into = None if out is None else _direct_target(out, shape, operands)
        if len(operands) == 1:
            return _unary("unary_" + UNARY_KERNELS[ufunc], operands[0], result_dtype, into)
        if ufunc in BOOLEAN_FORMS and all(_dtype_of(v) == np.bool_ for v in inputs):
            return _binary("binary_" + BINARY_KERNELS[BOOLEAN_FORMS[ufunc]], *operands,
                           np.dtype(bool), into)
        return _binary("binary_" + BINARY_KERNELS[ufunc], *operands, result_dtype, into)
    run.writes_out = True                    # see __array_ufunc__
    return run


def _host_singletons_as_scalars(inputs):
    """A one-element host array that adds no axes is a scalar: no upload needed."""
    rank = max(len(_shape_of(v)) for v in inputs)
    return [v.reshape(())[()] if isinstance(v, np.ndarray) and v.size == 1 and v.ndim <= rank
            and any(isinstance(u, DeviceArray) and u.ndim == rank for u in inputs) else v
            for v in inputs]


def _ufunc_handler(ufunc, method, inputs, kwargs):
    """The device implementation of ``ufunc.method(*inputs)``, or None (-> host)."""
    allowed = {"dtype"} if method == "__call__" else {"dtype", "axis", "keepdims"}
    if set(kwargs) - allowed or kwargs.get("dtype") not in (None, np.float32, "float32"):
        return None
    if method == "__call__":
        if ufunc is np.matmul:
            return matmul
        if (len(inputs) == 1 and ufunc in UNARY_KERNELS) or \
                (len(inputs) == 2 and ufunc in BINARY_KERNELS):
            return ELEMENTWISE[ufunc]
    if method == "at" and ufunc is np.add and len(inputs) == 3:
        return _scatter_add
    if method == "reduce" and ufunc in REDUCE_UFUNCS:
        kernel = REDUCE_UFUNCS[ufunc]
        return lambda x, axis=0, keepdims=False, dtype=None: _reduce(kernel, x, axis, keepdims)
    return None


def _write_out(result, out):
    """Honour a ufunc's ``out=``: copy the result into the given array(s)."""
    if out is None:
        return result
    target = out[0] if isinstance(out, tuple) else out
    if result is target:                     # the kernel already wrote there
        return target
    if isinstance(target, DeviceArray):
        _assign(target, result)
    else:
        target[...] = to_host(result)
    return target


# -- reductions: (outer, length, inner) ------------------------------------------------------

REDUCE_UFUNCS = {np.add: "sum", np.maximum: "max", np.minimum: "min",
                 np.logical_and: "min", np.logical_or: "max"}


def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axis = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    return tuple(sorted(a % ndim for a in axis))


def _reduce(kind, x, axis=None, keepdims=False, out=None):
    """Reduce over ``axis`` (None: all), one axis at a time, last first, so the earlier
    axis numbers stay valid. ``kind`` is sum, max, min, argmax or argmin. The last
    reduction writes straight into ``out`` when it can."""
    x = _upload_operand(x)
    axes = _axes(axis, x.ndim)
    result_dtype = np.dtype(np.int64) if kind.startswith("arg") else \
        (x.dtype if kind != "sum" or x.dtype.kind == "f" else np.dtype(np.int64))
    if x.dtype == np.bool_ and kind in ("max", "min"):
        result_dtype = np.dtype(bool)
    kept_shape = [1 if i in axes else s for i, s in enumerate(x.shape)]
    if kind.startswith("arg") and axis is None:
        x, axes = x.reshape(-1), (0,)
    if kind != "sum" and any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"zero-size array to reduction operation {kind} which has no identity")
    result = x if x.is_contiguous else x.copy()
    final_shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
    into = None
    if isinstance(out, DeviceArray) and out.dtype == result_dtype and out.is_contiguous \
            and out.shape == (tuple(kept_shape) if keepdims else final_shape) \
            and out.buffer is not x.buffer:
        into = out.reshape(final_shape)              # a view of `out` itself
    for a in reversed(axes):
        result = _reduce_axis(kind, result, a, into if a == axes[0] else None)
    if into is not None:
        return out
    if keepdims:
        result = result.reshape(kept_shape)
    return result._relabel(result_dtype)


def _reduce_axis(kind, x, axis, into=None):
    outer, length, inner = _size(x.shape[:axis]), x.shape[axis], _size(x.shape[axis + 1:])
    shape = x.shape[:axis] + x.shape[axis + 1:]
    if length == 0:
        result = _new_or(into, shape, np.float32)
        _assign(result, 0.0)
        return result
    result = _new_or(into, shape, np.float32)
    if result.size:
        _launch("reduce", "reduce_" + kind, outer * inner, x.pointer(), result.pointer(),
                _i32(outer), _i32(length), _i32(inner))
    return result


# -- matrix multiply -------------------------------------------------------------------------

TILE = 16


def matmul(a, b, dtype=None, out=None):
    """``a @ b`` with the tiled kernel; a batch of matrices is grid z.

    Either operand may be 1-D (a vector, as in NumPy) and either may carry batch
    axes; batches must be equal, or one operand a single matrix (stride 0).
    """
    a, b = _upload_operand(a), _upload_operand(b)
    vector_a, vector_b = a.ndim == 1, b.ndim == 1
    if vector_a:
        a = a.reshape(1, -1)
    if vector_b:
        b = b.reshape(-1, 1)
    (M, K), (K2, N) = a.shape[-2:], b.shape[-2:]
    if K != K2:
        raise ValueError(f"matmul: input operand 1 has a mismatch in its core dimension 0 "
                         f"(size {K2} is different from {K})")
    batch_shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    batch = _size(batch_shape)
    a, b = (x if x.is_contiguous else x.copy() for x in (a, b))
    if {a.shape[:-2], b.shape[:-2]} - {batch_shape, ()} or \
            (a.shape[:-2] == () and b.shape[:-2] == () and batch > 1):
        return _on_host(np.matmul, (a, b), {})   # mixed broadcasting of batch axes
    stride_a = M * K if a.shape[:-2] else 0
    stride_b = K * N if b.shape[:-2] else 0
    into = None if out is None or vector_a or vector_b else \
        _direct_target(out, batch_shape + (M, N), (a, b))
    result = _new_or(into, batch_shape + (M, N), np.float32)
    if result.size:
        grid = (-(-N // TILE), -(-M // TILE), batch)
        _launch("matmul", "matmul_tiled", 0, a.pointer(), b.pointer(), result.pointer(),
                _i32(M), _i32(N), _i32(K), _i64(stride_a), _i64(stride_b), _i64(M * N),
                grid=grid, block=(TILE, TILE))
    if vector_a:
        result = result.reshape(result.shape[:-2] + (N,))
    if vector_b:
        result = result.reshape(result.shape[:-1])
    return result


def dot(a, b, out=None):
    if np.ndim(a) <= 2 and np.ndim(b) <= 2 and np.ndim(a) and np.ndim(b):
        return _write_out(matmul(a, b), out)
    return _on_host(np.dot, (a, b), {"out": out} if out is not None else {})


# -- indexing --------------------------------------------------------------------------------

def _basic_index(x, index):
    """The view ``x[index]`` for ints, slices, None and Ellipsis; None for anything else."""
    index = index if isinstance(index, tuple) else (index,)
    if not all(isinstance(i, (numbers.Integral, slice, type(None), type(Ellipsis)))
               and not isinstance(i, bool) for i in index):
        return None
    used = sum(1 for i in index if i is not None and i is not Ellipsis)
    if used > x.ndim:
        raise IndexError(f"too many indices for array: array is {x.ndim}-dimensional, "
                         f"but {used} were indexed")
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (x.ndim - used) + index[at + 1:]
    else:
        index = index + (slice(None),) * (x.ndim - used)
    shape, strides, offset, axis = [], [], x.offset, 0
    for i in index:
        if i is None:
            shape.append(1)
            strides.append(0)
            continue
        size, stride = x.shape[axis], x.strides_elements[axis]
        if isinstance(i, slice):
            start, stop, step = i.indices(size)
            shape.append(len(range(start, stop, step)))
            strides.append(stride * step)
            offset += start * stride
        else:
            if not -size <= i < size:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {size}")
            offset += (i % size) * stride
        axis += 1
    return x._view(shape, strides, offset)


def _advanced_getitem(x, index):
    """``table[ids]`` (integer ids along axis 0) is the gather kernel; the rest runs on the host."""
    if isinstance(index, (np.ndarray, DeviceArray)) and _dtype_of(index).kind in "iu" \
            and x.ndim >= 1:
        if isinstance(index, np.ndarray):
            _check_ids(index, x.shape[0])
            index = index % max(x.shape[0], 1)          # -1 is the last row, as in NumPy
        ids = _upload_operand(index)
        ids = ids if ids.is_contiguous else ids.copy()
        table = x if x.is_contiguous else x.copy()
        width = _size(x.shape[1:])
        result = DeviceArray.empty(ids.shape + x.shape[1:], x.dtype)
        if result.size:
            _launch("gather_scatter", "gather_rows", result.size, table.pointer(),
                    ids.pointer(), result.pointer(), _i64(ids.size), _i32(width))
        return result
    return _on_host(operator.getitem, (x, index), {}, name="getitem")


def _scatter_add(target, rows, values):
    """``np.add.at(table, ids, values)``: repeated ids add up (atomicAdd in the kernel)."""
    if not (isinstance(target, DeviceArray) and target.is_contiguous and np.ndim(rows) == 1
            and _dtype_of(rows).kind in "iu"):
        return _on_host(np.add.at, (target, rows, values), {}, name="add.at")
    if isinstance(rows, np.ndarray):
        _check_ids(rows, target.shape[0])
        rows = rows % max(target.shape[0], 1)
    ids = _upload_operand(rows).copy()
    width = _size(target.shape[1:])
    values = broadcast_to(_upload_operand(values), (ids.size,) + target.shape[1:]).copy()
    if values.size:
        _launch("gather_scatter", "scatter_add_rows", values.size, target.pointer(),
                ids.pointer(), values.pointer(), _i64(ids.size), _i32(width))


def _check_ids(ids, rows):
    """Kernels do not bounds-check; the host does, on host ids (device ids were made in range)."""
    if isinstance(ids, np.ndarray) and ids.size and (ids.min() < -rows or ids.max() >= rows):
        raise IndexError(f"index {int(ids.max())} is out of bounds for axis 0 with size {rows}")


def _advanced_setitem(x, index, value):
    """``x[mask] = value`` with a boolean mask over leading axes is a where(); else: host."""
    if isinstance(index, (np.ndarray, DeviceArray)) and _dtype_of(index) == np.bool_ \
            and index.shape == x.shape[:index.ndim] and x.is_contiguous:
        mask = _upload_operand(index).reshape(index.shape + (1,) * (x.ndim - index.ndim))
        if _is_scalar(value):
            _assign(x, where(mask, value, x))
            return
    host = to_host(x)
    host[_tree(to_host, index)] = to_host(value)
    fallbacks["setitem"] += 1
    if _state["strict"]:
        raise NotImplementedError("DeviceArray: assignment through an index array has no GPU "
                                  "kernel (strict mode).")
    _assign(x, host)


# -- functions (NEP 18) ----------------------------------------------------------------------

def zeros(shape, dtype=np.float32):
    return full(shape, 0.0, dtype)


def _full_like(prototype, value, dtype=None, shape=None):
    dtype = np.dtype(dtype or _dtype_of(prototype))
    if dtype.kind == "f" and dtype.itemsize != 4:
        return np.full(shape or np.shape(prototype), value, dtype)
    return full(shape or np.shape(prototype), value, dtype)


def _like(value):
    def make(prototype, dtype=None, order="K", subok=True, shape=None, **_):
        return _full_like(prototype, value, dtype, shape)
    return make


def full_like(prototype, fill_value, dtype=None, order="K", subok=True, shape=None):
    return _full_like(prototype, fill_value, dtype, shape)


def empty_like(prototype, dtype=None, order="K", subok=True, shape=None):
    dtype = np.dtype(dtype or _dtype_of(prototype))
    if dtype.kind == "f" and dtype.itemsize != 4:
        return np.empty(shape or np.shape(prototype), dtype)
    return DeviceArray.empty(shape or np.shape(prototype), dtype)


def where(condition, x=None, y=None):
    if x is None and y is None:
        return _on_host(np.where, (condition,), {})
    operands = [_constant(float(v)) if _is_scalar(v) else _upload_operand(v)
                for v in (condition, x, y)]
    shape = np.broadcast_shapes(*(o.shape for o in operands))
    kinds = {_dtype_of(v).kind for v in (x, y)}       # a Python int is an integer too
    result = DeviceArray.empty(shape, np.int64 if kinds <= set("iu") else
                               bool if kinds == {"b"} else np.float32)
    if result.size:
        _launch("elementwise", "where", result.size, *(o.pointer() for o in operands),
                result.pointer(), _i64(result.size), _layout(shape, *operands))
    return result


def clip(a, a_min=None, a_max=None, out=None, **kwargs):
    if a_min is None:
        return np.minimum(a, a_max, out=out)
    if a_max is None:
        return np.maximum(a, a_min, out=out)
    return np.minimum(np.maximum(a, a_min), a_max, out=out)


def reshape(a, newshape=None, order="C", shape=None):
    return _upload_operand(a).reshape(shape if shape is not None else newshape, order=order)


def transpose(a, axes=None):
    return _upload_operand(a).transpose(axes)


def moveaxis(a, source, destination):
    a = _upload_operand(a)
    source = [s % a.ndim for s in np.atleast_1d(source)]
    destination = [d % a.ndim for d in np.atleast_1d(destination)]
    order = [n for n in range(a.ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return a.transpose(order)


def swapaxes(a, axis1, axis2):
    return _upload_operand(a).swapaxes(axis1, axis2)


def expand_dims(a, axis):
    a = _upload_operand(a)
    axes = _axes(axis, a.ndim + (1 if isinstance(axis, numbers.Integral) else len(axis)))
    shape, strides, source = [], [], iter(zip(a.shape, a.strides_elements))
    for position in range(a.ndim + len(axes)):
        size, stride = (1, 0) if position in axes else next(source)
        shape.append(size)
        strides.append(stride)
    return a._view(shape, strides)


def squeeze(a, axis=None):
    a = _upload_operand(a)
    axes = tuple(i for i, s in enumerate(a.shape) if s == 1) if axis is None \
        else _axes(axis, a.ndim)
    for i in axes:
        if a.shape[i] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal "
                             "to one")
    keep = [i for i in range(a.ndim) if i not in axes]
    return a._view([a.shape[i] for i in keep], [a.strides_elements[i] for i in keep])


def ravel(a, order="C"):
    return _upload_operand(a).reshape(-1)


def broadcast_to(array, shape, subok=False):
    array = _upload_operand(array)
    shape = tuple(shape) if not isinstance(shape, numbers.Integral) else (shape,)
    np.broadcast_shapes(array.shape, shape)             # raises NumPy's error if impossible
    lead = len(shape) - array.ndim
    strides = [0] * lead + [0 if size == 1 and target != 1 else stride for size, stride, target
                            in zip(array.shape, array.strides_elements, shape[lead:])]
    return array._view(shape, strides)


def _sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    """Windows as a strided view, exactly as NumPy builds them: no copy, no kernel."""
    x = _upload_operand(x)
    window_shape = (window_shape,) if isinstance(window_shape, numbers.Integral) \
        else tuple(window_shape)
    axes = tuple(range(x.ndim)) if axis is None else \
        ((axis,) if isinstance(axis, numbers.Integral) else tuple(axis))
    shape, strides = list(x.shape), list(x.strides_elements)
    for size, a in zip(window_shape, axes):
        shape[a] -= size - 1
    shape += list(window_shape)
    strides += [x.strides_elements[a] for a in axes]
    return x._view(shape, strides)


def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = [_upload_operand(a) for a in arrays]
    if axis is None:
        arrays, axis = [a.reshape(-1) for a in arrays], 0
    axis %= arrays[0].ndim
    shape = list(arrays[0].shape)
    shape[axis] = sum(a.shape[axis] for a in arrays)
    result = DeviceArray.empty(shape, arrays[0].dtype)
    start = 0
    for a in arrays:                     # one assign kernel per piece
        index = (slice(None),) * axis + (slice(start, start + a.shape[axis]),)
        _assign(result[index], a)
        start += a.shape[axis]
    return _write_out(result, out)


def stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    arrays = [_upload_operand(a) for a in arrays]
    axis %= arrays[0].ndim + 1
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis, out=out)


def split(ary, indices_or_sections, axis=0):
    ary = _upload_operand(ary)
    size = ary.shape[axis]
    if isinstance(indices_or_sections, numbers.Integral):
        if size % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
        step = size // indices_or_sections
        bounds = list(range(0, size + 1, step))
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [size]
    index = (slice(None),) * (axis % ary.ndim)
    return [ary[index + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def _reduction_function(kind):
    def reduce(a, axis=None, dtype=None, out=None, keepdims=False, initial=np._NoValue,
               where=np._NoValue, **kwargs):
        if initial is not np._NoValue or where is not np._NoValue or kwargs:
            return _on_host(getattr(np, kind), (a,), dict(kwargs, axis=axis, keepdims=keepdims))
        return _write_out(_reduce(kind, a, axis, keepdims, out=out), out)
    return reduce


def _arg_function(kind):
    def reduce(a, axis=None, out=None, *, keepdims=False):
        return _write_out(_reduce(kind, a, axis, keepdims), out)
    return reduce


def _logical_reduction(kind):
    def reduce(a, axis=None, out=None, keepdims=False, *, where=np._NoValue):
        if where is not np._NoValue:
            return _on_host(getattr(np, "all" if kind == "min" else "any"), (a,),
                            {"axis": axis, "keepdims": keepdims, "where": where})
        flags = np.not_equal(a, 0)
        return _write_out(_reduce(kind, flags, axis, keepdims)._relabel(bool), out)
    return reduce


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=np._NoValue):
    if where is not np._NoValue:
        return _on_host(np.mean, (a,), {"axis": axis, "keepdims": keepdims, "where": where})
    a = _upload_operand(a)
    count = _size([a.shape[i] for i in _axes(axis, a.ndim)])
    total = _reduce("sum", a, axis, keepdims)._relabel(np.float32)
    return _write_out(np.multiply(total, 1.0 / count) if count else total * np.nan, out)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue):
    if where is not np._NoValue:
        return _on_host(np.var, (a,), {"axis": axis, "ddof": ddof, "keepdims": keepdims,
                                       "where": where})
    a = _upload_operand(a)
    count = _size([a.shape[i] for i in _axes(axis, a.ndim)])
    centred = a - mean(a, axis=axis, keepdims=True)
    squares = _reduce("sum", np.square(centred), axis, keepdims)
    return _write_out(np.multiply(squares, 1.0 / max(count - ddof, 0)), out)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=np._NoValue):
    return _write_out(np.sqrt(var(a, axis=axis, ddof=ddof, keepdims=keepdims, where=where)), out)


def copyto(dst, src, casting="same_kind", where=np._NoValue):
    if where is not np._NoValue:
        return _on_host(np.copyto, (dst, src), {"casting": casting, "where": where})
    if isinstance(dst, DeviceArray):
        _assign(dst, src)
    else:
        dst[...] = to_host(src)


def _one_per_row(arr, indices, axis):
    """Whether ``indices`` picks one entry along the last axis for every row of ``arr``:
    the sparse-label case, shapes ``(..., classes)`` and ``(..., 1)``."""
    return axis is not None and arr.ndim >= 1 and axis % arr.ndim == arr.ndim - 1 \
        and np.shape(indices) == arr.shape[:-1] + (1,)


def _one_per_position(arr, indices, axis):
    """One pick along a SHORT axis for every other position (the winner among the
    inputs of a Maximum layer): ``indices`` is ``arr``'s shape with 1 on ``axis``."""
    if axis is None or arr.ndim == 0 or np.ndim(indices) != arr.ndim:
        return False
    axis %= arr.ndim
    return arr.shape[axis] <= 16 and np.shape(indices) == \
        arr.shape[:axis] + (1,) + arr.shape[axis + 1:]


def _pick_per_position(arr, indices, axis):
    """``result = arr[indices[...], ...]`` along a short axis, one where() per entry."""
    axis %= arr.ndim
    if isinstance(indices, np.ndarray):
        _check_ids(indices.reshape(-1), arr.shape[axis])
    indices = _upload_operand(indices)
    result = zeros(indices.shape, arr.dtype)
    for k in range(arr.shape[axis]):         # a loop over the (few) inputs, not over elements
        entry = arr[(slice(None),) * axis + (slice(k, k + 1),)]
        result = where(np.equal(indices, k), entry, result)
    return result._relabel(arr.dtype)


def take_along_axis(arr, indices, axis):
    """Picking one entry per row (sparse labels, any leading axes) is a kernel; the rest:
    host."""
    arr = _upload_operand(arr)
    if not _one_per_row(arr, indices, axis):
        if _one_per_position(arr, indices, axis):
            return _pick_per_position(arr, indices, axis)
        return _on_host(np.take_along_axis, (arr, indices, axis), {})
    rows, classes = _size(arr.shape[:-1]), arr.shape[-1]
    table = arr if arr.is_contiguous else arr.copy()
    labels = _upload_operand(indices).reshape(-1)
    labels = labels if labels.is_contiguous else labels.copy()
    _check_ids(np.asarray(indices) if not isinstance(indices, DeviceArray) else indices,
               classes)
    result = DeviceArray.empty(arr.shape[:-1] + (1,), arr.dtype)
    if rows:
        _launch("gather_scatter", "take_along_rows", rows, table.pointer(), labels.pointer(),
                result.pointer(), _i64(rows), _i32(classes))
    return result


def take(a, indices, axis=None, out=None, mode="raise"):
    """``np.take(table, ids, axis=0)`` is the gather kernel (an embedding lookup)."""
    if axis == 0 and mode == "raise" and _dtype_of(indices).kind in "iu" and np.ndim(indices):
        return _write_out(_advanced_getitem(_upload_operand(a), indices), out)
    return _on_host(np.take, (a, indices), {"axis": axis, "out": out, "mode": mode})


def around(a, decimals=0, out=None):
    """Rounding to whole numbers (half to even, as NumPy) is the rint kernel."""
    if decimals != 0:
        return _on_host(np.round, (a,), {"decimals": decimals, "out": out})
    return _write_out(np.rint(a), out)


def repeat(a, repeats, axis=None):
    """Each element ``repeats`` times along ``axis``: a broadcast view, then one copy."""
    if not isinstance(repeats, numbers.Integral):
        return _on_host(np.repeat, (a, repeats), {"axis": axis})
    a = _upload_operand(a)
    if axis is None:
        a, axis = a.reshape(-1), 0
    axis %= a.ndim
    stretched = broadcast_to(expand_dims(a, axis + 1),
                             a.shape[:axis + 1] + (repeats,) + a.shape[axis + 1:])
    return stretched.reshape(a.shape[:axis] + (a.shape[axis] * repeats,) + a.shape[axis + 1:])


def put_along_axis(arr, indices, values, axis):
    """Setting one entry per row (the sparse-label gradient) is a kernel."""
    if not isinstance(arr, DeviceArray) or not arr.is_contiguous \
            or not _one_per_row(arr, indices, axis):
        return _on_host(np.put_along_axis, (arr, indices, values, axis), {})
    rows, classes = _size(arr.shape[:-1]), arr.shape[-1]
    labels = _upload_operand(indices).reshape(-1).copy()
    _check_ids(indices if not isinstance(indices, DeviceArray) else None, classes)
    row_values = broadcast_to(_constant(float(values)) if _is_scalar(values)
                              else _upload_operand(values), arr.shape[:-1] + (1,)).copy()
    if rows:
        _launch("gather_scatter", "put_along_rows", rows, arr.pointer(), labels.pointer(),
                row_values.pointer(), _i64(rows), _i32(classes))


def einsum(subscripts, *operands, out=None, **kwargs):
    """Only the row-wise dot product ``"...k,...k->..."`` is done here (a multiply, then a sum
    over the last axis); other contractions run on the host."""
    if subscripts.replace(" ", "") == "...k,...k->..." and len(operands) == 2 and not kwargs:
        return _write_out(_reduce("sum", np.multiply(*operands), -1), out)
    return _on_host(np.einsum, (subscripts,) + operands, dict(kwargs, out=out))


def shape(a):
    return tuple(a.shape)


def ndim(a):
    return a.ndim


def size(a, axis=None):
    return a.size if axis is None else a.shape[axis]


def may_share_memory(a, b, max_work=None):
    return isinstance(a, DeviceArray) and isinstance(b, DeviceArray) and a.buffer is b.buffer


def copy(a, order="K", subok=False):
    return _upload_operand(a).copy()


def pad(array, pad_width, mode="constant", constant_values=0, **kwargs):
    """Constant padding: a filled array, then the input assigned into its middle."""
    if mode != "constant" or kwargs or not _is_scalar(constant_values):
        if mode == "constant":
            kwargs = dict(kwargs, constant_values=constant_values)
        return _on_host(np.pad, (array, pad_width), dict(kwargs, mode=mode))
    array = _upload_operand(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2)
                             if np.ndim(pad_width) else np.full((1, 2), pad_width),
                             (array.ndim, 2))
    result = _full_like(array, float(constant_values),
                        shape=tuple(int(s + lo + hi) for s, (lo, hi) in zip(array.shape, widths)))
    _assign(result[tuple(slice(int(lo), int(lo) + s) for s, (lo, _) in
                         zip(array.shape, widths))], array)
    return result


FUNCTIONS = {
    np.sum: _reduction_function("sum"), np.max: _reduction_function("max"),
    np.amax: _reduction_function("max"), np.min: _reduction_function("min"),
    np.amin: _reduction_function("min"), np.argmax: _arg_function("argmax"),
    np.argmin: _arg_function("argmin"), np.all: _logical_reduction("min"),
    np.any: _logical_reduction("max"), np.mean: mean, np.var: var, np.std: std,
    np.zeros_like: _like(0.0), np.ones_like: _like(1.0), np.empty_like: empty_like,
    np.full_like: full_like, np.where: where, np.clip: clip, np.reshape: reshape,
    np.transpose: transpose, np.moveaxis: moveaxis, np.swapaxes: swapaxes,
    np.expand_dims: expand_dims, np.squeeze: squeeze, np.ravel: ravel,
    np.broadcast_to: broadcast_to, sliding_window_view: _sliding_window_view,
    np.concatenate: concatenate, np.stack: stack, np.split: split, np.dot: dot,
    np.copyto: copyto, np.take_along_axis: take_along_axis, np.put_along_axis: put_along_axis,
    np.einsum: einsum, np.take: take, np.round: around, np.around: around, np.repeat: repeat, np.shape: shape, np.ndim: ndim,
    np.size: size, np.may_share_memory: may_share_memory, np.copy: copy, np.pad: pad,
}

# One device implementation per elementwise ufunc, made once (not on every call).
ELEMENTWISE = {ufunc: _elementwise(ufunc) for ufunc in (*UNARY_KERNELS, *BINARY_KERNELS)}
