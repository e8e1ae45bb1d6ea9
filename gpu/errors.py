"""The three ways the GPU path can say no, as Python exceptions.

* :class:`LibraryNotFound` -- a shared library (``libcuda``, ``libnvrtc``) is not on
  this machine; the message lists every place that was tried.
* :class:`CudaError` -- a CUDA driver call returned an error code; the exception
  carries the code, its name from ``cuGetErrorName`` (``CUDA_ERROR_OUT_OF_MEMORY``)
  and the call that failed.
* :class:`NvrtcError` -- the run-time compiler refused a kernel; the exception
  carries the compiler's log, which names the file, line and problem.
"""


class GpuError(RuntimeError):
    """Base class of every error raised by :mod:`kerastutor.gpu`."""


class LibraryNotFound(GpuError):
    """A shared library could not be loaded from any of the places searched."""

    def __init__(self, what, tried, hint=""):
        self.what, self.tried = what, list(tried)
        lines = [f"could not load {what}; tried:"]
        lines += [f"  {place}: {why}" for place, why in self.tried] or ["  (nowhere)"]
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


class CudaError(GpuError):
    """A CUDA driver API call failed: ``code``, ``name`` and ``call`` say which and how."""

    def __init__(self, code, name, description, call):
        self.code, self.name, self.call = code, name, call
        super().__init__(f"{call} failed with {name} ({code}): {description}")


class NvrtcError(GpuError):
    """NVRTC failed: ``name`` is the NVRTC result (``NVRTC_ERROR_COMPILATION``),
    ``log`` the compiler's own report (empty when the failure came before compiling)."""

    def __init__(self, code, name, call, log=""):
        self.code, self.name, self.call, self.log = code, name, call, log
        message = f"{call} failed with {name} ({code})"
        if log.strip():
            message += "\ncompiler log:\n" + log.rstrip()
        super().__init__(message)
