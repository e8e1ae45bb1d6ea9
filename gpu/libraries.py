"""Where the CUDA shared libraries are looked for, in order, and how they are opened.

The **driver** (``libcuda.so.1``) comes with the NVIDIA display driver and lives in
the system library path, so the dynamic loader finds it by name.

**NVRTC** (the run-time compiler) ships with the CUDA toolkit or as a pip wheel, so
it is searched for in these places, first hit wins:

1. ``$NVRTC_PATH`` -- a file, or a folder holding ``libnvrtc.so*``;
2. the ``nvidia-cuda-nvrtc-cu12`` wheel (``site-packages/nvidia/cuda_nvrtc/lib``),
   then the CUDA 13 wheel ``nvidia-cuda-nvrtc`` (``site-packages/nvidia/cu13/lib``);
   CUDA 12 comes first because its PTX is accepted by more drivers and ``ptxas``
   versions (each accepts PTX up to its own version);
3. ``$CUDA_PATH/lib64`` and ``$CUDA_HOME/lib64``;
4. ``/usr/local/cuda/lib64``;
5. whatever ``ctypes.util.find_library("nvrtc")`` names (the loader's cache).
"""
import ctypes
import ctypes.util
import glob
import os
import sys

from .errors import LibraryNotFound

NVRTC_WHEEL_FOLDERS = (os.path.join("nvidia", "cuda_nvrtc", "lib"),   # CUDA 12 wheel
                       os.path.join("nvidia", "cu13", "lib"))          # CUDA 13 wheel
DRIVER_NAMES = ("libcuda.so.1", "libcuda.so")


def _nvrtc_files_in(folder):
    """``libnvrtc.so*`` in ``folder``, newest version first (not the builtins helper)."""
    return sorted(glob.glob(os.path.join(folder, "libnvrtc.so*")), reverse=True)


def nvrtc_candidates(environ=None, search_path=None):
    """Every NVRTC library path worth trying, in search order (see the module notes).

    ``environ`` and ``search_path`` default to ``os.environ`` and ``sys.path``; tests
    pass their own to check the order.
    """
    environ = os.environ if environ is None else environ
    search_path = sys.path if search_path is None else search_path
    found = []
    explicit = environ.get("NVRTC_PATH")
    if explicit:
        found += _nvrtc_files_in(explicit) if os.path.isdir(explicit) else [explicit]
    for sub in NVRTC_WHEEL_FOLDERS:
        for entry in search_path:
            found += _nvrtc_files_in(os.path.join(entry or ".", sub))
    for var in ("CUDA_PATH", "CUDA_HOME"):
        if environ.get(var):
            found += _nvrtc_files_in(os.path.join(environ[var], "lib64"))
    found += _nvrtc_files_in("/usr/local/cuda/lib64")
    by_loader = ctypes.util.find_library("nvrtc")
    if by_loader:
        found.append(by_loader)
    return list(dict.fromkeys(found))           # drop repeats, keep the order


def load_first(what, candidates, hint=""):
    """Open the first of ``candidates`` that loads; :class:`LibraryNotFound` lists the rest."""
    tried = []
    for path in candidates:
        try:
            return ctypes.CDLL(path), path
        except OSError as error:
            tried.append((path, str(error).split(":")[-1].strip() or "cannot be opened"))
    raise LibraryNotFound(what, tried, hint)


def load_nvrtc(environ=None, search_path=None):
    """``(CDLL, path)`` of the first NVRTC that loads."""
    return load_first("NVRTC (libnvrtc.so)", nvrtc_candidates(environ, search_path),
                      hint="Install it with `pip install nvidia-cuda-nvrtc-cu12`, or set "
                           "NVRTC_PATH to the library or its folder.")


def load_driver():
    """``(CDLL, path)`` of the CUDA driver library, which comes with the NVIDIA driver."""
    return load_first("the CUDA driver (libcuda.so.1)", DRIVER_NAMES,
                      hint="The CUDA driver comes with the NVIDIA display driver; "
                           "this machine seems to have no NVIDIA GPU driver installed.")
