"""The CUDA driver API through ctypes: the few calls a deep learning framework needs.

A GPU program has four moving parts, and each has its calls here:

* **device and context** -- ``cuInit``, ``cuDeviceGet``, the compute capability from
  ``cuDeviceGetAttribute``, and a context (the GPU-side "process" that owns memory
  and modules). We use the device's *primary* context, the one the CUDA runtime and
  other libraries share (``cuDevicePrimaryCtxRetain`` + ``cuCtxSetCurrent``); it
  also avoids ``cuCtxCreate``, whose signature changed in CUDA 13.
* **memory** -- ``cuMemAlloc``/``cuMemFree`` and copies host <-> device.
* **code** -- ``cuModuleLoadData`` takes PTX (or CUBIN) from :mod:`.nvrtc`,
  ``cuModuleGetFunction`` finds a kernel, ``cuLaunchKernel`` runs it on a grid.
* **time** -- events recorded between launches give the elapsed milliseconds
  between two points (``cuEventElapsedTime``).
* **streams and graphs** -- a :class:`Stream` is a queue of work; work on one stream
  runs in the order it was queued. A stream can *capture* instead of run
  (``cuStreamBeginCapture_v2`` ... ``cuStreamEndCapture``): the launches queued in
  between become a *graph*, which ``cuGraphLaunch`` replays with one call
  (:class:`GraphExec`; see :mod:`.graphs`).

``python -m kerastutor.gpu`` prints what these calls find on a machine: the driver's
CUDA version, each device's name, compute capability, memory and multiprocessors.

Every call goes through :func:`check`, which turns an error code into a
:class:`CudaError` named as CUDA names it (``CUDA_ERROR_OUT_OF_MEMORY``).
"""
import ctypes
import threading

import numpy as np

from .errors import CudaError
from .libraries import load_driver

CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75
CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76
CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16
CU_EVENT_DEFAULT = 0
# A stream made with flags 0 is a *blocking* stream: its work and the legacy default
# stream's (``None`` below: the synchronous copies, events recorded without a stream) wait
# for each other, so everything stays in the order it was queued, whichever of the two
# queued it. (CU_STREAM_NON_BLOCKING = 1 would drop that ordering.)
CU_STREAM_DEFAULT = 0
# How strictly a capture forbids "unsafe" calls (values of CUstreamCaptureMode). GLOBAL (0)
# and THREAD_LOCAL (1) make cuMemAlloc during a capture an error; RELAXED (2) allows it --
# and the memory pool may call cuMemAlloc in the middle of a captured step when its free
# lists have no block of the size asked for. The allocation happens once, at capture;
# the graph keeps the address (see :mod:`.graphs` for who owns that memory afterwards).
CU_STREAM_CAPTURE_MODE_GLOBAL = 0
CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1
CU_STREAM_CAPTURE_MODE_RELAXED = 2
_state = {}
_lock = threading.Lock()

_p, _int, _uint, _size = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_size_t
_ptr = ctypes.POINTER
CUdeviceptr = ctypes.c_uint64
_SIGNATURES = {
    "cuInit": [_uint],
    "cuDriverGetVersion": [_ptr(_int)],
    "cuDeviceGetCount": [_ptr(_int)],
    "cuDeviceGet": [_ptr(_int), _int],
    "cuDeviceGetName": [ctypes.c_char_p, _int, _int],
    "cuDeviceGetAttribute": [_ptr(_int), _int, _int],
    "cuDeviceTotalMem_v2": [_ptr(_size), _int],
    "cuDevicePrimaryCtxRetain": [_ptr(_p), _int],
    "cuDevicePrimaryCtxRelease_v2": [_int],
    "cuCtxSetCurrent": [_p],
    "cuCtxSynchronize": [],
    "cuMemAlloc_v2": [_ptr(CUdeviceptr), _size],
    "cuMemFree_v2": [CUdeviceptr],
    "cuMemcpyHtoD_v2": [CUdeviceptr, _p, _size],
    "cuMemcpyDtoH_v2": [_p, CUdeviceptr, _size],
    "cuMemcpyHtoDAsync_v2": [CUdeviceptr, _p, _size, _p],
    "cuMemcpyDtoHAsync_v2": [_p, CUdeviceptr, _size, _p],
    "cuModuleLoadData": [_ptr(_p), _p],
    "cuModuleUnload": [_p],
    "cuModuleGetFunction": [_ptr(_p), _p, ctypes.c_char_p],
    "cuLaunchKernel": [_p, _uint, _uint, _uint, _uint, _uint, _uint, _uint, _p,
                       _ptr(_p), _ptr(_p)],
    "cuEventCreate": [_ptr(_p), _uint],
    "cuEventDestroy_v2": [_p],
    "cuEventRecord": [_p, _p],
    "cuEventSynchronize": [_p],
    "cuEventElapsedTime": [_ptr(ctypes.c_float), _p, _p],
    "cuStreamCreate": [_ptr(_p), _uint],
    "cuStreamDestroy_v2": [_p],
    "cuStreamSynchronize": [_p],
    "cuStreamBeginCapture_v2": [_p, _int],
    "cuStreamEndCapture": [_p, _ptr(_p)],
    # CUDA 12's header defines cuGraphInstantiate as this function (the CUDA 11 five-argument
    # form, with an error-node and log buffer, is gone); libcuda exports it since CUDA 11.4.
    "cuGraphInstantiateWithFlags": [_ptr(_p), _p, ctypes.c_ulonglong],
    "cuGraphLaunch": [_p, _p],
    "cuGraphExecDestroy": [_p],
    "cuGraphDestroy": [_p],
}


def _library():
    """Open ``libcuda`` once, declare argument types, call ``cuInit(0)``."""
    lib = _state.get("lib")
    if lib is not None:                # opened: no lock needed to read it (once per launch)
        return lib
    with _lock:
        if "lib" not in _state:
            lib, path = load_driver()
            for name, argtypes in _SIGNATURES.items():
                getattr(lib, name).argtypes = argtypes
                getattr(lib, name).restype = _int
            for name in ("cuGetErrorName", "cuGetErrorString"):
                getattr(lib, name).argtypes = [_int, _ptr(ctypes.c_char_p)]
                getattr(lib, name).restype = _int
            _state["raw"] = lib                    # error names work from here on
            check(lib.cuInit(0), "cuInit")         # fails on a machine without a GPU
            _state.update(lib=lib, path=path)
        return _state["lib"]


def error_name(code):
    """``(name, description)`` of a CUDA result code, as the driver spells them."""
    lib, name, text = _state["raw"], ctypes.c_char_p(), ctypes.c_char_p()
    if lib.cuGetErrorName(code, ctypes.byref(name)) != 0:
        return f"CUDA_ERROR_{code}", "unknown error code"
    lib.cuGetErrorString(code, ctypes.byref(text))
    return name.value.decode(), (text.value or b"").decode()


def check(result, call):
    """Raise :class:`CudaError` for a non-zero CUDA result code."""
    if result != 0:
        raise CudaError(result, *error_name(result), call)


def call(name, *args):
    """``cu<name>(*args)``, checked; e.g. ``call("cuCtxSynchronize")``."""
    check(getattr(_library(), name)(*args), name)


# -- device and context -----------------------------------------------------------------

def driver_version():
    """The CUDA version the driver supports, e.g. ``12040`` for 12.4."""
    value = _int()
    call("cuDriverGetVersion", ctypes.byref(value))
    return value.value


def device_count():
    """How many GPUs the driver sees (0 is possible: a driver without a GPU)."""
    value = _int()
    call("cuDeviceGetCount", ctypes.byref(value))
    return value.value


def device(ordinal=0):
    """The handle of GPU number ``ordinal``."""
    handle = _int()
    call("cuDeviceGet", ctypes.byref(handle), ordinal)
    return handle.value


def attribute(dev, attr):
    """The integer ``attr`` (a ``CU_DEVICE_ATTRIBUTE_*`` number) of device ``dev``."""
    value = _int()
    call("cuDeviceGetAttribute", ctypes.byref(value), attr, dev)
    return value.value


def compute_capability(dev):
    """``(major, minor)``, e.g. ``(9, 0)`` for H100: what NVRTC should compile for."""
    return (attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
            attribute(dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR))


def device_name(dev):
    buffer = ctypes.create_string_buffer(256)
    call("cuDeviceGetName", buffer, len(buffer), dev)
    return buffer.value.decode()


def total_memory(dev):
    """The device's memory in bytes."""
    value = _size()
    call("cuDeviceTotalMem_v2", ctypes.byref(value), dev)
    return value.value


def multiprocessor_count(dev):
    """How many streaming multiprocessors the device has (132 on an H100 SXM)."""
    return attribute(dev, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)


def library_path():
    """The file the driver was loaded from (loads it, and so needs a working driver)."""
    _library()
    return _state["path"]


class Context:
    """The primary context of one device, made current on this thread.

    Use as ``with Context(device(0)) as ctx: ...``; leaving releases it.
    """

    def __init__(self, dev):
        self.device, self.handle = dev, _p()
        call("cuDevicePrimaryCtxRetain", ctypes.byref(self.handle), dev)
        call("cuCtxSetCurrent", self.handle)

    def synchronize(self):
        """Wait until every kernel and copy queued so far has finished."""
        call("cuCtxSynchronize")

    def close(self):
        if self.handle:
            call("cuDevicePrimaryCtxRelease_v2", self.device)
            self.handle = _p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# -- memory -------------------------------------------------------------------------------

def mem_alloc(nbytes):
    """``nbytes`` of device memory; returns the device address as an int."""
    address = CUdeviceptr()
    call("cuMemAlloc_v2", ctypes.byref(address), max(int(nbytes), 1))
    return address.value


def mem_free(address):
    call("cuMemFree_v2", address)


def memcpy_htod(address, host):
    """Copy a C-contiguous NumPy array to device memory at ``address``."""
    host = np.ascontiguousarray(host)
    call("cuMemcpyHtoD_v2", address, host.ctypes.data, host.nbytes)


def memcpy_htod_async(address, host, stream):
    """Queue a copy of ``host`` to ``address`` on ``stream``.

    From ordinary (pageable) host memory the driver may first copy ``host`` into a
    pinned staging buffer, and CUDA 12's documentation no longer promises that this has
    happened when the call returns -- so keep ``host`` alive until the stream has
    synchronised. (:class:`~kerastutor.gpu.runtime.CudaRuntime` uploads with the
    synchronous :func:`memcpy_htod`, which does promise it, for that reason.)
    """
    host = np.ascontiguousarray(host)
    call("cuMemcpyHtoDAsync_v2", address, host.ctypes.data, host.nbytes, stream.handle)
    return host


def memcpy_dtoh_async(host, address, stream):
    """Queue a copy from ``address`` into the writeable C-contiguous array ``host`` on
    ``stream``; ``host`` holds the numbers only after ``stream.synchronize()``."""
    if not host.flags.c_contiguous or not host.flags.writeable:
        raise ValueError("memcpy_dtoh_async: host must be a writeable C-contiguous array, "
                         "e.g. np.empty(shape, dtype)")
    call("cuMemcpyDtoHAsync_v2", host.ctypes.data, address, host.nbytes, stream.handle)
    return host


def memcpy_dtoh(host, address):
    """Fill the C-contiguous NumPy array ``host`` from device memory at ``address``."""
    if not host.flags.c_contiguous or not host.flags.writeable:
        raise ValueError("memcpy_dtoh: host must be a writeable C-contiguous array, "
                         "e.g. np.empty(shape, dtype)")
    call("cuMemcpyDtoH_v2", host.ctypes.data, address, host.nbytes)
    return host


# -- code ---------------------------------------------------------------------------------

class Module:
    """Compiled code (PTX text or CUBIN bytes) loaded into the current context."""

    def __init__(self, image):
        data = image.encode() + b"\0" if isinstance(image, str) else bytes(image)
        self._image = ctypes.create_string_buffer(data, len(data))   # kept alive
        self.handle = _p()
        call("cuModuleLoadData", ctypes.byref(self.handle), self._image)

    def function(self, name):
        """The kernel called ``name`` (declared ``extern "C"`` so its name is unmangled)."""
        handle = _p()
        call("cuModuleGetFunction", ctypes.byref(handle), self.handle, name.encode())
        return handle

    def unload(self):
        if self.handle:
            call("cuModuleUnload", self.handle)
            self.handle = _p()


def launch(function, grid, block, args, shared_bytes=0, stream=None):
    """Run ``function`` on a ``grid`` of blocks of ``block`` threads each.

    ``grid`` and ``block`` are 1 to 3 ints (x, y, z); ``args`` are ctypes values
    (``c_uint64`` device addresses, ``c_int``, ``c_float``, ``Structure``s) in the
    order of the kernel's parameters. The driver takes an array of *pointers* to
    the argument values, copies them, and returns before the kernel finishes.
    ``stream`` is a :class:`Stream` (or ``None``: the legacy default stream).
    """
    grid, block = _dim3(grid), _dim3(block)
    result = _library().cuLaunchKernel(function, *grid, *block, shared_bytes,
                                       stream and stream.handle, packed_arguments(args), None)
    if result != 0:
        check(result, "cuLaunchKernel")


def pack_arguments(args):
    """The array of pointers ``cuLaunchKernel`` takes: one per argument, to its value.

    This is the definition; :func:`packed_arguments` does the same with less work per launch.
    """
    values = [arg if isinstance(arg, (ctypes._SimpleCData, ctypes.Structure))
              else _as_ctype(arg) for arg in args]
    return (_p * max(len(values), 1))(*(ctypes.addressof(v) for v in values))


# Speed-up, beside the definition it replaces.
_BLOCKS = {}


def packed_arguments(args):
    """:func:`pack_arguments`, with the pointer array made once per *signature*.

    A training step launches the same few kernels with the same argument types
    over and over; only the values change. So for each signature (the tuple of
    the arguments' ctypes types) one ``ctypes.Structure`` holds a field per
    argument and one pointer array points at those fields, both made once; a
    launch only copies its values into the fields. (``cuLaunchKernel`` copies
    the values when it is called, so the next launch may overwrite them at once.
    Each thread has its own blocks.) It saves building a pointer array and
    taking ``addressof`` of each argument -- 3.7 us against 1.0 us a launch on
    the shared 2-core machine, about 0.2 ms of a 784-512-512-10 training step
    (``benchmarks/gpu_host_overhead.py``). The signature is looked up before any
    argument is checked: only a signature with ctypes types is ever stored, so a hit
    means there is nothing to convert; and the values go in with one call of the
    structure's ``__init__``, which sets every field in order (1.9 us -> 0.8 us a
    launch, issue 19). A test checks that both point at the same bytes.
    """
    key = (threading.get_ident(), *map(type, args))
    entry = _BLOCKS.get(key)       # a known signature: every argument is a ctypes value
    if entry is None:
        args = [arg if isinstance(arg, (ctypes._SimpleCData, ctypes.Structure))
                else _as_ctype(arg) for arg in args]
        key = (key[0], *map(type, args))
        entry = _BLOCKS.get(key)
        if entry is None:
            entry = _BLOCKS[key] = _argument_block(key[1:])
    block, names, pointers = entry
    block.__init__(*args)          # field i <- args[i], in place (the pointers stay valid)
    return pointers


def _argument_block(types):
    """A structure with one field per argument type, its field names, and pointers to them."""
    names = tuple(f"arg{i}" for i in range(len(types)))
    layout = type("ArgumentBlock", (ctypes.Structure,), {"_fields_": list(zip(names, types))})
    block = layout()
    base = ctypes.addressof(block)
    pointers = (_p * max(len(types), 1))(*(base + getattr(layout, name).offset
                                            for name in names))
    return block, names, pointers


def _dim3(dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return dims + (1,) * (3 - len(dims))


def _as_ctype(value):
    """Plain Python numbers as the C types kernels take: int -> int32, float -> float32."""
    if isinstance(value, (bool, int, np.integer)):
        return _int(int(value))
    if isinstance(value, (float, np.floating)):
        return ctypes.c_float(float(value))
    raise TypeError(f"launch: cannot pass {type(value).__name__} {value!r} to a kernel; "
                    f"use ctypes values (c_uint64 for device addresses, c_int, c_float)")


# -- events -------------------------------------------------------------------------------

class Event:
    """A time stamp the GPU writes when the work queued before it has run."""

    def __init__(self):
        self.handle = _p()
        call("cuEventCreate", ctypes.byref(self.handle), CU_EVENT_DEFAULT)

    def record(self, stream=None):
        """Stamp the time once the work queued before now on ``stream`` (a :class:`Stream`;
        ``None``, the legacy default stream, follows every blocking stream too) has run."""
        call("cuEventRecord", self.handle, stream and stream.handle)

    def synchronize(self):
        call("cuEventSynchronize", self.handle)

    def destroy(self):
        if self.handle:
            call("cuEventDestroy_v2", self.handle)
            self.handle = _p()


def elapsed_ms(start, end):
    """Milliseconds of GPU time between two recorded events (waits for ``end``)."""
    end.synchronize()
    value = ctypes.c_float()
    call("cuEventElapsedTime", ctypes.byref(value), start.handle, end.handle)
    return value.value


# -- streams and graphs -------------------------------------------------------------------

class Stream:
    """A queue of GPU work of our own: launches and copies on it run in the order queued.

    Why not the default stream: a graph can only be captured from a stream made with
    ``cuStreamCreate`` (capturing the legacy default stream is an error). It is made
    blocking (:data:`CU_STREAM_DEFAULT`), so it stays ordered with anything still queued
    on the default stream.
    """

    def __init__(self, flags=CU_STREAM_DEFAULT):
        self.handle = _p()
        call("cuStreamCreate", ctypes.byref(self.handle), flags)

    def synchronize(self):
        """Wait until everything queued on this stream has run."""
        call("cuStreamSynchronize", self.handle)

    def begin_capture(self, mode=CU_STREAM_CAPTURE_MODE_RELAXED):
        """From now on, work queued on this stream is recorded into a graph, not run."""
        call("cuStreamBeginCapture_v2", self.handle, mode)

    def end_capture(self):
        """Stop recording; returns the ``CUgraph`` handle of what was recorded."""
        graph = _p()
        call("cuStreamEndCapture", self.handle, ctypes.byref(graph))
        return graph

    def destroy(self):
        if self.handle:
            call("cuStreamDestroy_v2", self.handle)
            self.handle = _p()


class GraphExec:
    """A captured graph made ready to run (``cuGraphInstantiateWithFlags``, no flags).

    The executable graph is independent of the graph it was made from, so that one is
    destroyed at once. :meth:`launch` queues the whole recorded sequence on a stream with
    one driver call -- the kernels, their grids and their argument values (device
    addresses included) exactly as they were at capture.
    """

    def __init__(self, graph):
        self.handle = _p()
        try:
            call("cuGraphInstantiateWithFlags", ctypes.byref(self.handle), graph, 0)
        finally:
            call("cuGraphDestroy", graph)

    def launch(self, stream):
        call("cuGraphLaunch", self.handle, stream.handle)

    def destroy(self):
        if self.handle:
            call("cuGraphExecDestroy", self.handle)
            self.handle = _p()
