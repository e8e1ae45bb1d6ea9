"""kerastutor.gpu: the CUDA path, in a few hundred lines of ctypes.

Three layers, each readable on its own:

* :mod:`.driver` -- the CUDA driver API: device, context, memory, modules,
  kernel launches, streams and events;
* :mod:`.nvrtc` -- the run-time compiler: CUDA C++ text to PTX or CUBIN;
* ``kernels/*.cu`` -- the kernels themselves, short and commented, compiled at run
  time for the GPU that is found (:func:`kernel_source`, :func:`kernel_names`).

On top of them, :mod:`.array` gives NumPy a ``DeviceArray`` whose operations are
kernel launches, and :mod:`.emulator` runs the same launches as NumPy twins where
there is no GPU. ``python -m kerastutor.gpu`` (:mod:`.__main__`) asks every layer
what this machine has and says what is missing.

Importing this package never touches a GPU library, so it works everywhere;
:func:`available` says whether a GPU can be used here, and if not, why not.
"""
import os

from .errors import CudaError, GpuError, LibraryNotFound, NvrtcError

KERNEL_DIR = os.path.join(os.path.dirname(__file__), "kernels")

__all__ = ["available", "kernel_names", "kernel_source", "KERNEL_DIR",
           "GpuError", "CudaError", "NvrtcError", "LibraryNotFound"]


def kernel_names():
    """The kernel files beside this module, without ``.cu``: ``['elementwise', ...]``."""
    return sorted(name[:-3] for name in os.listdir(KERNEL_DIR) if name.endswith(".cu"))


def kernel_source(name):
    """The CUDA C++ text of ``kernels/<name>.cu``."""
    path = os.path.join(KERNEL_DIR, f"{name}.cu")
    if not os.path.exists(path):
        raise ValueError(f"kernel_source: no kernel file {name!r}; "
                         f"expected one of {kernel_names()}")
    with open(path, encoding="utf-8") as file:
        return file.read()


def available():
    """``(True, "NVIDIA H100 ... (compute 9.0)")`` when a GPU and NVRTC can be used,
    else ``(False, reason)``: the reason names what is missing and how to get it."""
    from . import driver, nvrtc
    try:
        count = driver.device_count()
        if count == 0:
            return False, "the CUDA driver is installed but reports no GPU"
        dev = driver.device(0)
        major, minor = driver.compute_capability(dev)
        description = f"{driver.device_name(dev)} (compute {major}.{minor})"
    except GpuError as error:
        return False, f"no usable CUDA GPU: {error}"
    try:
        nvrtc.version()
    except GpuError as error:
        return False, f"{description} found, but NVRTC cannot be loaded: {error}"
    return True, description
