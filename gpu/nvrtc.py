"""NVRTC, the CUDA run-time compiler, through ctypes: CUDA C++ source in, PTX or CUBIN out.

The round trip is five calls::

    nvrtcCreateProgram(&prog, source, name, 0, NULL, NULL)   # hand over the text
    nvrtcCompileProgram(prog, n, options)                    # e.g. --gpu-architecture=compute_90
    nvrtcGetProgramLog(prog, log)                            # warnings and errors, as text
    nvrtcGetPTX(prog, ptx)  or  nvrtcGetCUBIN(prog, cubin)   # the result
    nvrtcDestroyProgram(&prog)

``compute_XY`` asks for PTX, a virtual instruction set that the driver (or
``ptxas``) translates for the real GPU; ``sm_XY`` asks for CUBIN, machine code
for exactly that GPU generation. ``XY`` is the compute capability: 9.0 for H100.

Which to load on a GPU? The driver compiles PTX itself, and refuses PTX newer than
it knows (``CUDA_ERROR_UNSUPPORTED_PTX_VERSION``, e.g. PTX from NVRTC 12.9 on a 12.4
driver). CUBIN is already machine code, so within one CUDA major version it loads
on older drivers too: compile CUBIN for the device found, keep PTX for checking.
"""
import ctypes
import threading

from .errors import NvrtcError
from .libraries import load_nvrtc

DEFAULT_OPTIONS = ("--std=c++17",)
_state = {}
_lock = threading.Lock()


def _library():
    """Open NVRTC once, declare the argument types of the calls used, and keep it."""
    with _lock:
        if "lib" not in _state:
            lib, path = load_nvrtc()
            p, size, char_p = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p
            signatures = {
                "nvrtcVersion": [ctypes.POINTER(ctypes.c_int)] * 2,
                "nvrtcCreateProgram": [ctypes.POINTER(p), char_p, char_p, ctypes.c_int,
                                       ctypes.POINTER(char_p), ctypes.POINTER(char_p)],
                "nvrtcCompileProgram": [p, ctypes.c_int, ctypes.POINTER(char_p)],
                "nvrtcDestroyProgram": [ctypes.POINTER(p)],
                "nvrtcGetProgramLogSize": [p, ctypes.POINTER(size)],
                "nvrtcGetProgramLog": [p, char_p],
                "nvrtcGetPTXSize": [p, ctypes.POINTER(size)],
                "nvrtcGetPTX": [p, char_p],
                "nvrtcGetCUBINSize": [p, ctypes.POINTER(size)],
                "nvrtcGetCUBIN": [p, char_p],
            }
            for name, argtypes in signatures.items():
                getattr(lib, name).argtypes = argtypes
                getattr(lib, name).restype = ctypes.c_int
            lib.nvrtcGetErrorString.argtypes = [ctypes.c_int]
            lib.nvrtcGetErrorString.restype = char_p
            _state.update(lib=lib, path=path)
        return _state["lib"]


def library_path():
    """The file NVRTC was loaded from (loads it if needed)."""
    _library()
    return _state["path"]


def _check(result, call, log=""):
    if result != 0:
        name = _library().nvrtcGetErrorString(result).decode()
        raise NvrtcError(result, name, call, log)


def version():
    """NVRTC's CUDA version as ``(major, minor)``, e.g. ``(12, 9)``."""
    major, minor = ctypes.c_int(), ctypes.c_int()
    _check(_library().nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)), "nvrtcVersion")
    return major.value, minor.value


def _read(program, size_call, read_call, call_name):
    """Ask for the size, then the bytes (the NVRTC pattern for log, PTX and CUBIN)."""
    lib, size = _library(), ctypes.c_size_t()
    _check(getattr(lib, size_call)(program, ctypes.byref(size)), size_call)
    buffer = ctypes.create_string_buffer(size.value)
    _check(getattr(lib, read_call)(program, buffer), call_name)
    return buffer.raw[:size.value]


def compile_source(source, name="kernel.cu", arch="compute_90", options=DEFAULT_OPTIONS):
    """Compile CUDA C++ ``source``; returns ``(output_bytes, log_text)``.

    ``arch`` ``"compute_XY"`` gives PTX, ``"sm_XY"`` gives CUBIN. A refused
    program raises :class:`NvrtcError` whose ``.log`` has the compiler's errors.
    """
    lib = _library()
    program = ctypes.c_void_p()
    _check(lib.nvrtcCreateProgram(ctypes.byref(program), source.encode(), name.encode(),
                                  0, None, None), "nvrtcCreateProgram")
    try:
        flags = [f"--gpu-architecture={arch}", *options]
        argv = (ctypes.c_char_p * len(flags))(*(flag.encode() for flag in flags))
        result = lib.nvrtcCompileProgram(program, len(flags), argv)
        log = _read(program, "nvrtcGetProgramLogSize", "nvrtcGetProgramLog",
                    "nvrtcGetProgramLog").rstrip(b"\0").decode(errors="replace")
        _check(result, f"nvrtcCompileProgram({name}, {' '.join(flags)})", log)
        if arch.startswith("sm_"):
            return _read(program, "nvrtcGetCUBINSize", "nvrtcGetCUBIN", "nvrtcGetCUBIN"), log
        ptx = _read(program, "nvrtcGetPTXSize", "nvrtcGetPTX", "nvrtcGetPTX")
        return ptx.rstrip(b"\0"), log
    finally:
        lib.nvrtcDestroyProgram(ctypes.byref(program))


def compile_ptx(source, name="kernel.cu", arch="compute_90", options=DEFAULT_OPTIONS):
    """PTX text for ``source`` (``arch`` a ``compute_XY`` virtual architecture)."""
    if not arch.startswith("compute_"):
        raise ValueError(f"compile_ptx: arch must be a virtual architecture such as "
                         f"'compute_90', got {arch!r}; use compile_cubin for 'sm_XY'")
    return compile_source(source, name, arch, options)[0].decode()


def compile_cubin(source, name="kernel.cu", arch="sm_90", options=DEFAULT_OPTIONS):
    """CUBIN machine code for ``source`` (``arch`` a real architecture such as ``sm_90``)."""
    if not arch.startswith("sm_"):
        raise ValueError(f"compile_cubin: arch must be a real architecture such as "
                         f"'sm_90', got {arch!r}; use compile_ptx for 'compute_XY'")
    return compile_source(source, name, arch, options)[0]


def arch_for(capability, real=False):
    """``(9, 0)`` -> ``"compute_90"`` (or ``"sm_90"`` with ``real=True``)."""
    major, minor = capability
    return f"{'sm' if real else 'compute'}_{major}{minor}"
