r"""The ``DeviceArray`` class: NumPy's two protocols, views, and the data's way on and off.

A ``DeviceArray`` is a :class:`~kerastutor.gpu.array.device.Buffer` (one device
allocation) plus the four facts NumPy keeps about any array: ``shape``,
``strides`` (here in elements, not bytes), an ``offset`` into the buffer, and
``dtype``. Slicing, transposing and ``reshape`` of a contiguous array make a
new *view* -- new strides over the same buffer, no kernel (:func:`_basic_index`).

NumPy hands every call that involves one to this class:

* ``__array_ufunc__`` (NEP 13) looks the ufunc up in :data:`UFUNCS`, the table
  :mod:`.ufuncs` fills (elementwise kernels, ``matmul``, the ``.reduce`` forms);
* ``__array_function__`` (NEP 18) looks the function up in :data:`FUNCTIONS`,
  the table :mod:`.functions` fills (``np.sum``, ``np.where``, ``np.reshape`` ...).

The tables import this page, never the other way round: each one registers its
device versions when it is imported (``kerastutor.gpu.array`` imports both), and
a call that finds no entry runs on the host (:func:`_on_host`, counted in
:data:`~kerastutor.gpu.array.device.fallbacks`).

**Lean calls** (a speed-up; the hooks above stay the definition). A training step makes
the same few dozen calls at every step, on device arrays and plain numbers. For those,
:data:`LEAN_UFUNCS` and :data:`LEAN_FUNCTIONS` hold a second, *lean* version of a ufunc or
function that is tried first -- by the hooks and straight from the operators (``a + b``,
``z += b``, ``x @ w``) and methods (``x.sum(axis=0)``), skipping NumPy's dispatch. It
works out the kernel, result dtype, shape, ``Layout`` and grid once per *signature* of its
operands (dtypes, shapes, strides) and then only looks them up; anything unusual it
declines, and the plain path runs. Each lean version names the plain code it stands in
for, and ``tests/gpu/test_gpu_host_speedups.py`` holds it to that code.

An array needs three kernels of its own, so they live here: ``unary_copy``
(:meth:`DeviceArray.copy`, which :func:`to_host` uses to gather a view),
``assign`` (``x[...] = y``, :func:`_assign`) and ``fill`` (:func:`full`).
"""
import collections
import ctypes
import functools
import math
import numbers
import operator

import numpy as np

from ..runtime import remember
from .device import (EXACT_INTEGERS, MAX_RANK, Buffer, Layout, _i64, _f32, _launch,
                     _state, current_runtime, fallbacks, is_strict, transfers)

# The device versions of NumPy's functions, filled by the modules that write them
# (.ufuncs and .functions) when they are imported. Looked up on every call.
UFUNCS = {}       # (ufunc, method) -> device version: (np.add, "__call__"), (np.add, "reduce")
LEAN_UFUNCS = {}  # ufunc -> its lean call (a speed-up for the common case, see .ufuncs)
LEAN_FUNCTIONS = {}   # NumPy function -> its lean call (the same for NEP 18, see .functions;
#                       it returns NotImplemented when it leaves a call to the plain path)
FUNCTIONS = {}    # NumPy function -> device version (NEP 18); also operator.getitem/setitem

_Flags = collections.namedtuple("_Flags", "writeable c_contiguous")


@functools.lru_cache(maxsize=1024)       # a step uses a handful of shapes; ~1 us each saved
def _contiguous_strides(shape):
    """The element strides of a C-ordered array of ``shape`` (a tuple)."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def _size(shape):
    return math.prod(shape)


# Speed-up, beside NumPy's np.broadcast_shapes (the definition).
@functools.lru_cache(maxsize=1024)
def _broadcast_shapes(*shapes):
    """``np.broadcast_shapes``, remembered: ``z + bias`` asks for the same pair of shapes at
    every step, and NumPy's answer costs 2.5 us, a cache look-up 0.2 us
    (``benchmarks/gpu_host_overhead.py``). Errors are NumPy's own (they are not cached)."""
    return np.broadcast_shapes(*shapes)


# Speed-up, beside ``DeviceArray.__init__`` (the definition).
def _fresh(shape, dtype):
    """A new contiguous array, for callers whose ``shape`` is already a tuple of ints and
    ``dtype`` a ``np.dtype``: ``DeviceArray.empty`` without re-checking them (every kernel
    result is made here; it saves about 1.5 us of the 4 us ``empty`` took)."""
    array = object.__new__(DeviceArray)
    array.buffer = Buffer(4 * math.prod(shape))
    array.shape, array.strides_elements = shape, _contiguous_strides(shape)
    array.offset, array.dtype, array._contiguous = 0, dtype, True
    return array


# Speed-up, beside ``_resolve_minus_one`` and ``_contiguous_strides`` (the definitions).
_RESHAPES = {}
"""``DeviceArray.reshape``'s answers -- the new shape with its ``-1`` resolved, and its
strides -- by ``(old shape, requested shape)``: a training step reshapes the same few
shapes at every step (``x.reshape(-1, x.shape[-1])`` in Dense's backward), 3 us each before,
1.5 us with the look-up (``benchmarks/gpu_host_overhead.py``). A request that fails is not
stored (its ValueError is raised again next time)."""


# Speed-up, beside ``DeviceArray.__init__`` (the definition).
def _new_view(base, shape, strides, offset, dtype):
    """A view of ``base``'s buffer -- ``x.T``, ``x[..., None]``, a reshape -- for callers whose
    ``shape`` and ``strides`` are tuples of ints and ``dtype`` a ``np.dtype``: the
    constructor without its conversions (about 1 us of 2.5 a view)."""
    view = object.__new__(DeviceArray)
    view.buffer, view.shape, view.strides_elements = base.buffer, shape, strides
    view.offset, view.dtype, view._contiguous = offset, dtype, None
    return view


class DeviceArray:
    """An array on the GPU that NumPy functions accept (see the module docstring)."""

    __array_priority__ = 100           # ``host_array + device_array`` asks us first

    def __init__(self, buffer, shape, strides=None, offset=0, dtype=np.float32):
        self.buffer = buffer
        self.shape = tuple(map(int, shape))
        self.strides_elements = tuple(strides) if strides is not None \
            else _contiguous_strides(self.shape)
        self.offset = int(offset)
        self.dtype = np.dtype(dtype)
        self._contiguous = None              # worked out when first asked (is_contiguous)

    @classmethod
    def empty(cls, shape, dtype=np.float32):
        """A new contiguous array; its contents are whatever the memory held."""
        return _fresh(tuple(map(int, shape)), np.dtype(dtype))

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
        """Whether the elements lie in C order with no gaps (axes of size 1 have any stride).
        Worked out once per array: shape and strides never change."""
        if self._contiguous is None:
            self._contiguous = all(
                stride == expected for stride, expected, size in
                zip(self.strides_elements, _contiguous_strides(self.shape), self.shape)
                if size > 1)
        return self._contiguous

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
    def __reduce__(self):
        """Pickling (``pickle``, ``copy.deepcopy``, joblib) keeps the *values*: a host copy,
        uploaded again when unpickled. (By default pickle would take the buffer, and with it
        the runtime and, on the emulated device, all of its memory.)"""
        return _unpickled, (to_host(self),)

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
        return _new_view(self, tuple(map(int, shape)), tuple(strides),
                         self.offset if offset is None else int(offset),
                         self.dtype if dtype is None else np.dtype(dtype))

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
        key = (self.shape, tuple(shape))
        found = _RESHAPES.get(key)                 # speed-up: see _RESHAPES
        if found is None:
            resolved = _resolve_minus_one(tuple(int(s) for s in shape), self.size)
            found = remember(_RESHAPES, key, (resolved, _contiguous_strides(resolved)))
        source = self if self.is_contiguous else self.copy()
        return _new_view(source, *found, source.offset, source.dtype)

    def ravel(self):
        return self.reshape(-1)

    def flatten(self):
        return self.copy().reshape(-1)

    def squeeze(self, axis=None):
        return np.squeeze(self, axis)

    def swapaxes(self, a, b):
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(axes)

    def __getitem__(self, index):
        view = _remembered_index(self, index)
        if view is not None:
            return view
        return FUNCTIONS[operator.getitem](self, index)   # ids or a mask: see .functions

    def __setitem__(self, index, value):
        target = _remembered_index(self, index)
        if target is None:
            return FUNCTIONS[operator.setitem](self, index, value)
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

    # ---- methods that are NumPy functions (x.sum(axis=0) is np.sum(x, axis=0)): see below ----
    def clip(self, min=None, max=None, out=None):
        return np.clip(self, min, max, out=out)

    def dot(self, other):
        return np.dot(self, other)

    # ---- the NumPy protocols ----
    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if method == "__call__" and not kwargs:
            lean = LEAN_UFUNCS.get(ufunc)       # device arrays and plain scalars: .ufuncs
            if lean is not None:
                result = lean(inputs, out)
                if result is not None:
                    return result
        if method == "__call__" and not kwargs and _plain(inputs, out):
            run = UFUNCS.get((ufunc, method))   # the common case, without the checks below
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
        handler = _ufunc_handler(ufunc, method, kwargs)
        if handler is not None and not (mask is True or (method == "__call__" and out)):
            handler = None                   # where= needs an out= to keep the rest from
        if handler is not None and mask is not True:
            # where=m: compute everywhere, keep the old `out` where m is False
            target = out[0] if isinstance(out, tuple) else out
            computed = handler(*inputs, **kwargs)
            if _where_into(mask, computed, target):
                return target
            return _write_out(np.where(mask, computed, target), out)
        if mask is not True:
            kwargs["where"] = mask
        if handler is None:
            return _on_host(getattr(ufunc, method), inputs, dict(kwargs, out=out),
                            name=f"{ufunc.__name__}.{method}" if method != "__call__"
                            else ufunc.__name__)
        if out is not None and getattr(handler, "writes_out", False):
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
        if type(other) is DeviceArray or type(other) in _PLAIN_SCALARS:
            result = _lean_operator(ufunc, (other, self) if reflected else (self, other), None)
            if result is not None:
                return result
        elif _foreign(other):                # ops.Traced & co. answer with their own
            return NotImplemented            # reflected operator
        return ufunc(other, self) if reflected else ufunc(self, other)
    return method


def _inplace(ufunc):
    def method(self, other):
        if type(other) is np.ndarray and other.size == 1 and other.ndim <= len(self.shape) \
                and other.dtype.kind in "biuf":
            other = _host_singleton_as_number(other)
        if type(other) is DeviceArray or type(other) in _PLAIN_SCALARS:
            if _lean_operator(ufunc, (self, other), (self,)) is not None:
                return self
        elif _foreign(other):                # ops.Traced & co. answer with their own
            return NotImplemented            # reflected operator
        ufunc(self, other, out=self)
        return self
    return method


# Speed-up, beside ``np.where(mask, computed, target)`` then ``_write_out`` (the definition).
def _where_into(mask, computed, target):
    """``np.divide(a, b, out=target, where=mask)``'s last step, ``target = where(mask,
    computed, target)``, as one ``where`` kernel writing straight into ``target`` (each
    thread reads its element of ``target`` before writing it), where the definition makes
    a new array and then assigns it: one launch fewer (the sparse cross-entropy's backward
    does this at every step). Returns False, doing nothing, unless ``target`` is a
    contiguous device array and both others are device arrays that broadcast to it."""
    if type(target) is not DeviceArray or type(mask) is not DeviceArray or \
            type(computed) is not DeviceArray or not target.is_contiguous or \
            _broadcast_shapes(mask.shape, computed.shape, target.shape) != target.shape:
        return False
    if target.size:
        _launch("elementwise", "where", target.size, mask.pointer(), computed.pointer(),
                target.pointer(), target.pointer(), _i64(target.size),
                _cached_layout(target.shape, mask, computed, target))
    return True


# Speed-up, beside ``ufuncs._host_singletons_as_scalars`` (the definition).
def _host_singleton_as_number(value):
    """A one-element host array that adds no axes, in ``x *= value``, as the Python number
    it holds -- what the plain path does (it makes it a NumPy scalar, and the kernel takes it
    as a float32 argument), found before the call so the lean call can take it. A loss
    scales its gradient this way at every step (``grad *= reshape(1 / n, (1, 1))``): 39 us
    of host time -> 8 us (``benchmarks/gpu_host_overhead.py``)."""
    return value.item()


# Speed-up, beside the operators above (the definition: they call the ufunc).
def _lean_operator(ufunc, inputs, out):
    """``a + b``, ``z += b``, ``x @ w`` on device arrays and plain scalars: the ufunc's lean
    call (:data:`LEAN_UFUNCS`) straight from the operator. NumPy would make the same call
    -- it hands ``np.add(a, b)`` to ``a.__array_ufunc__``, which tries the lean call first --
    after its own dispatch: looking for overrides among the operands and building the
    arguments, 1-2 us an operator (``benchmarks/gpu_host_overhead.py``). None when there is
    no lean call or it declines; then the operator calls the ufunc as before."""
    lean = LEAN_UFUNCS.get(ufunc)
    return None if lean is None else lean(inputs, out)


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


def _numpy_method(function):
    """``x.name(*args)`` as ``np.name(x, *args)``: NumPy's methods take the same arguments,
    in the same order, as its functions (``x.var(0, None, None, 1)`` is ``np.var(x, 0, ...)``).
    The function's lean call, if it has one, is tried first (see ``__array_function__``)."""
    def method(self, *args, **kwargs):
        lean = LEAN_FUNCTIONS.get(function)
        if lean is not None:
            result = lean((self,) + args, kwargs)
            if result is not NotImplemented:
                return result
        return function(self, *args, **kwargs)
    method.__name__ = method.__qualname__ = function.__name__
    method.__doc__ = f"``np.{function.__name__}`` of this array."
    return method


for _function in (np.sum, np.mean, np.max, np.min, np.argmax, np.argmin, np.any, np.all,
                  np.var, np.std, np.prod):
    setattr(DeviceArray, _function.__name__, _numpy_method(_function))
_ONLY_DEVICE_ARRAYS = (DeviceArray,)   # NEP 18's `types` when no NumPy array takes part


# Speed-up, beside ``DeviceArray.__array_function__`` (the definition).
def _lean_array_function(self, func, types, args, kwargs):
    """The NEP 18 hook with a first stop: when only device arrays take part and the function
    has a lean call (:data:`LEAN_FUNCTIONS`, filled by :mod:`.functions`), that call answers,
    without the hook's checks of every operand or the general version's own. Whatever it
    declines (it returns NotImplemented) goes on to the definition. ``np.sum(g, axis=0)``:
    15 us of host time -> 7 us (``benchmarks/gpu_host_overhead.py``)."""
    if func in LEAN_FUNCTIONS and types == _ONLY_DEVICE_ARRAYS:
        result = LEAN_FUNCTIONS[func](args, kwargs)
        if result is not NotImplemented:
            return result
    return _plain_array_function(self, func, types, args, kwargs)


_plain_array_function = DeviceArray.__array_function__
DeviceArray.__array_function__ = _lean_array_function
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


def _unpickled(host):
    """A pickled device array back on the device in use; a NumPy array if none is selected
    (a model saved on a GPU machine loads on one without)."""
    if _state["runtime"] is None:
        return host
    return to_device(host)


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
    if is_strict():
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

# -- the kernels an array needs itself: copy, assign, fill ----------------------------------

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


# Speed-up, beside ``_layout`` (the definition).
_LAYOUTS = {}


def _cached_layout(out_shape, *operands):
    """:func:`_layout`, made once per *signature* -- the output shape and each operand's shape
    and strides -- and reused: a training step asks for the same few dozen layouts at every
    step, and building one (a ``ctypes.Structure`` of 28 numbers) cost 1.4-2 us, a dict
    look-up 0.4 us (``benchmarks/gpu_host_overhead.py``). Sharing is safe because a launch
    copies the structure's bytes and nothing writes to a ``Layout`` after it is made."""
    key = (tuple(out_shape),) + tuple(None if operand is None else
                                      (operand.shape, operand.strides_elements)
                                      for operand in operands)
    layout = _LAYOUTS.get(key)
    if layout is None:
        layout = remember(_LAYOUTS, key, _layout(out_shape, *operands))
    return layout


def _new_or(into, shape, dtype):
    """The array a kernel writes: ``into`` when it may write there directly, else a new one."""
    if into is not None:
        return into
    return _fresh(shape if type(shape) is tuple else tuple(map(int, shape)),
                  dtype if isinstance(dtype, np.dtype) else np.dtype(dtype))


def _unary(kernel, x, dtype=np.float32, into=None):
    result = _new_or(into, x.shape, dtype)
    if result.size:
        _launch("elementwise", kernel, result.size, x.pointer(), result.pointer(),
                _i64(result.size), _cached_layout(x.shape, x))
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


def _assign(target, value):
    """``target[...] = value`` for any view ``target`` (value broadcast, cast to float32)."""
    if _is_scalar(value):
        if target.is_contiguous:
            return _fill_contiguous(target, float(value))
        value = _constant(float(value))
    value = _upload_operand(value)
    if target.size:
        _launch("elementwise", "assign", target.size, value.pointer(), target.pointer(),
                _i64(target.size), _cached_layout(target.shape, value, target))


def full(shape, value, dtype=np.float32):
    """A new device array with every element ``value`` (the fill kernel, nothing uploaded)."""
    result = DeviceArray.empty(shape, dtype)
    if result.size:
        _launch("elementwise", "fill", result.size, result.pointer(), _i64(result.size),
                _f32(value))
    return result


# Speed-up, beside ``_assign`` (the definition: a 0-d constant, then assign).
def _fill_contiguous(target, value):
    """``target[...] = value`` for a contiguous ``target``: one fill kernel, where ``_assign``
    makes a 0-d constant (a fill) and broadcasts it (an assign). Zeroing a gradient buffer
    (``Weight.grad``) does this: 3 launches fewer per step of a 3-layer MLP
    (``benchmarks/gpu_host_overhead.py``)."""
    if target.size:
        _launch("elementwise", "fill", target.size, target.pointer(), _i64(target.size),
                _f32(value))


def _constant(value):
    """A 0-d device array holding ``value``."""
    return full((), value)


def _dtype_of(value):
    if isinstance(value, (DeviceArray, np.ndarray, np.generic)):
        return value.dtype
    return np.asarray(value).dtype



def _shape_of(value):
    return value.shape if isinstance(value, (DeviceArray, np.ndarray)) else ()


def _ufunc_handler(ufunc, method, kwargs):
    """The device implementation of ``ufunc.method``, or None (-> host): the table's entry,
    when the call asks nothing of it beyond a float32 ``dtype`` (and a reduction's
    ``axis``/``keepdims``)."""
    allowed = {"dtype"} if method == "__call__" else {"dtype", "axis", "keepdims"}
    if set(kwargs) - allowed or kwargs.get("dtype") not in (None, np.float32, "float32"):
        return None
    return UFUNCS.get((ufunc, method))


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


# -- views by index ----------------------------------------------------------------------

# Speed-up, beside ``_basic_index`` (the definition).
_INDEX_VIEWS = {}
_REMEMBERED_INDEX_TYPES = {int, type(None), type(Ellipsis)}


def _remembered_index(x, index):
    """:func:`_basic_index`, with the view's shape, strides and offset remembered for an
    index made only of ints, None and ``...`` (hashable, unlike a slice in this Python):
    ``labels[..., None]``, ``picked[..., 0]``, ``grad[...] = ...`` recur at every step and
    took 3.5 us each, a look-up 1.5 us (``benchmarks/gpu_host_overhead.py``). Anything
    else -- slices, arrays -- goes to :func:`_basic_index` as before."""
    parts = index if type(index) is tuple else (index,)
    if not all(type(part) in _REMEMBERED_INDEX_TYPES for part in parts):
        return _basic_index(x, index)
    key = (x.shape, x.strides_elements, parts)
    found = _INDEX_VIEWS.get(key)
    if found is None:
        view = _basic_index(x, index)                  # raises IndexError as before
        remember(_INDEX_VIEWS, key, (view.shape, view.strides_elements, view.offset - x.offset))
        return view
    shape, strides, offset = found
    return _new_view(x, shape, strides, x.offset + offset, x.dtype)


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

