"""Atomic file writes: a save either completes or leaves the old file as it was.

Writing a model straight to ``model.keras`` has a window in which the file
is half-written; a crash, a full disk or Ctrl-C in that window destroys the
user's previous model. Instead every save writes a temporary file *beside*
the target (same directory, so the same file system), flushes it to disk,
and only then renames it over the target. ``os.replace`` is atomic on POSIX
and Windows: readers see the old file or the new one, never a mix.
"""
import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path):
    """Yield a temporary path to write; on success it replaces ``path`` atomically.

    If the body raises (or the process dies), the temporary file is removed
    (or left as an orphan ``.<name>.*.tmp``) and ``path`` is untouched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.",
                                         suffix=".tmp")
    os.close(handle)
    try:
        yield temporary
        with open(temporary, "rb+") as written:     # the bytes reach the disk first ...
            os.fsync(written.fileno())
        os.replace(temporary, path)                  # ... then the name moves, in one step
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _sync_directory(directory)


def _sync_directory(directory):
    """Make the rename itself durable (POSIX; a no-op where directories can't be opened)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def check_overwrite(path, overwrite):
    """``overwrite=False`` and an existing file: refuse instead of destroying it."""
    if not overwrite and os.path.exists(path):
        raise FileExistsError(
            f"{path} already exists and overwrite=False. Hint: choose another file name, "
            "or pass overwrite=True to replace it (the old file stays intact until the new "
            "one is completely written).")
