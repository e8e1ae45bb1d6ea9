"""The device an array lives on: the runtime, its memory, and launching a kernel.

Everything a :class:`~kerastutor.gpu.array.DeviceArray` asks of the GPU goes
through this page: :func:`use_runtime` picks where kernels run (a
:class:`~kerastutor.gpu.runtime.CudaRuntime` or the NumPy twins of
:class:`~kerastutor.gpu.emulator.EmulatedRuntime`), a :class:`Buffer` is one
allocation from that runtime's pool, and :func:`_launch` starts ``kernel`` from
``kernels/<file>.cu`` on enough blocks to give each of ``n`` elements a thread.
A kernel's arguments are ctypes values; the ``Layout`` below is the one struct
they take (the output shape and each operand's strides, so a kernel can read any
view).

Two counters make the traffic visible: :data:`fallbacks` (NumPy functions that ran
on the host for want of a kernel) and :data:`transfers` (copies between host and
device); :func:`strict` turns every fallback into an error.
"""
import collections
import ctypes
import functools

from ..runtime import BLOCK, grid_for

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
    """Send every later operation to ``runtime`` (a CudaRuntime or EmulatedRuntime);
    returns the runtime used until now (None at first), to go back to it."""
    previous, _state["runtime"] = _state["runtime"], runtime
    return previous


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
    current_runtime().launch(file, kernel, grid or _grid_for(n, block), block, args,
                             shared_bytes)


_grid_for = functools.lru_cache(maxsize=1024)(grid_for)   # a step asks for the same few sizes


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



def is_strict():
    """Whether :func:`strict` forbids running a function on the host."""
    return _state["strict"]
