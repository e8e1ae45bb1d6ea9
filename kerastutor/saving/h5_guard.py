"""Reading an untrusted HDF5 file without risking a hang or a crash.

Our own checks (shapes before data, sizes before attributes) stop a hostile
file from making *kerastutor* allocate too much. But some damage trips the
HDF5 C library itself: a corrupted heap of variable-length strings can send
it into an endless loop, a broken B-tree can crash it -- and C code cannot be
interrupted from Python.

So, where the system can ``fork``, the file is first read end to end by a
short-lived child process: every group, every attribute, every array (each
checked for its declared size first). If the child finishes, the real load
follows in this process. If it hangs, it is killed after a deadline; if it
crashes, only the child dies. Either way the user gets an error naming the
file, and their Python session lives on. Forking is cheap (the child shares
the parent's memory until it writes) and the child imports nothing.
"""
import os
import select
import signal
import time

import numpy as np

#: Largest array or attribute the probe will read (the loaders check sizes too).
MAX_OBJECT_BYTES = 2**34


class UnsafeFileError(ValueError):
    """The HDF5 library hung or crashed on this file."""


def probe(open_file, source, size_hint=0):
    """Read everything in ``open_file()`` in a child process; raise if that hangs or crashes.

    ``open_file`` returns an open h5py File. A Python exception in the child
    is *not* an error here: the real load will raise it, with its message.
    """
    if not hasattr(os, "fork"):
        return                                   # Windows: no cheap isolation available
    deadline = 3.0 + size_hint / 20e6            # generous: 20 MB/s plus three seconds
    pid = os.fork()
    if pid == 0:                                 # the child: read, then vanish
        code = 0
        try:
            with open_file() as h5file:
                _read_everything(h5file)
        except BaseException:                    # noqa: BLE001 -- reported by the real load
            code = 3
        os._exit(code)
    status = _wait(pid, deadline)
    if status is None:
        raise UnsafeFileError(f"{source}: reading this HDF5 file did not finish within "
                              f"{deadline:.0f} s (the HDF5 library loops on damaged data). "
                              "The file is damaged; it was not loaded.")
    if os.WIFSIGNALED(status):
        raise UnsafeFileError(f"{source}: the HDF5 library crashed reading this file "
                              f"(signal {os.WTERMSIG(status)}). The file is damaged; it was "
                              "not loaded.")


def _wait(pid, deadline):
    """The child's exit status, or ``None`` (and the child killed) after ``deadline`` s."""
    end = time.monotonic() + deadline
    try:
        handle = os.pidfd_open(pid)
    except (AttributeError, OSError):
        handle = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            left = end - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
            if handle is not None:
                select.select([handle], [], [], left)
            else:
                time.sleep(min(0.001, left))
    finally:
        if handle is not None:
            os.close(handle)


def _read_everything(h5file):
    import h5py        # heavy and optional: imported only when a file is read or written

    def read_attributes(obj):
        for key in obj.attrs:
            attribute = h5py.h5a.open(obj.id, key.encode("utf-8"))
            count = int(np.prod(attribute.shape, dtype=np.float64)) if attribute.shape else 1
            if count * attribute.dtype.itemsize > MAX_OBJECT_BYTES:
                raise ValueError("attribute too large")
            obj.attrs[key]

    def visit(name, obj):
        read_attributes(obj)
        if isinstance(obj, h5py.Dataset):
            size = int(np.prod(obj.shape, dtype=np.float64)) * obj.dtype.itemsize
            if size > MAX_OBJECT_BYTES:
                raise ValueError("dataset too large")
            obj[()]

    read_attributes(h5file)
    h5file.visititems(visit)
