"""Atomic file writes: a save either completes or leaves the old file as it was.

Writing a model straight to ``model.keras`` has a window in which the file
is half-written; a crash, a full disk or Ctrl-C in that window destroys the
user's previous model. Instead every save writes a temporary file *beside*
the target (same directory, so the same file system), flushes it to disk,
and only then renames it over the target. ``os.replace`` is atomic on POSIX
and Windows: readers see the old file or the new one, never a mix.

**Leftovers of a killed writer.** A process killed with ``kill -9`` (or by a
power cut) in the middle of a save cannot remove its temporary file, which may
be as large as the model. So the temporary file's name says who wrote it::

    .model.keras.<pid>@<host>.<random>.tmp

and every save to ``model.keras`` first removes the siblings
``.model.keras.*.tmp`` whose writer is dead. The rule for "dead" is strict,
because removing a file that another process is still writing would break
*its* save:

* the host in the name is this machine (a shared network drive may hold
  temporary files of writers on other machines, whose processes we cannot
  see), and
* no process with that pid exists here (``os.kill(pid, 0)`` fails with
  "no such process"), and the pid is not our own.

Anything else is left alone: a live writer, a writer on another machine, a
name in another format, and -- on Windows, where asking about a process is
not harmless -- every file. A recycled pid can at worst keep a leftover a
little longer; it never makes us remove a live writer's file.

**Keeping the previous version.** ``atomic_write(path, keep_previous=bkp)``
moves the old ``path`` to ``bkp`` just before the new file takes its place,
so at every instant at least one of the two names holds a complete file:
the newest complete version is ``path`` if it exists, else ``bkp``.
"""
import contextlib
import glob
import os
import socket
import tempfile


@contextlib.contextmanager
def atomic_write(path, keep_previous=None):
    """Yield a temporary path to write; on success it replaces ``path`` atomically.

    If the body raises, the temporary file is removed and ``path`` is
    untouched. If the process dies instead, the temporary file stays behind
    as ``.<name>.<pid>@<host>.<random>.tmp`` until the next save to ``path``
    removes it (see the module's rule for leftovers).

    Parameters
    ----------
    path : str or path
        The file to (re)place.
    keep_previous : str or path, optional
        Where the file that ``path`` held moves to, in the instant before the
        new one arrives (``BackupAndRestore(double_checkpoint=True)`` keeps
        ``*.bkp`` this way).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=_temporary_prefix(path),
                                         suffix=".tmp")
    os.close(handle)
    try:
        yield temporary
        with open(temporary, "rb+") as written:     # the bytes reach the disk first ...
            os.fsync(written.fileno())
        if keep_previous is not None and os.path.exists(path):
            os.replace(path, os.fspath(keep_previous))
        os.replace(temporary, path)                  # ... then the name moves, in one step
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise
    _sync_directory(directory)


def _temporary_prefix(path):
    """``.<name>.<pid>@<host>.``: who is writing, so a later save can tell if they died."""
    return f".{os.path.basename(path)}.{os.getpid()}@{_host()}."


def _host():
    """This machine's name, without the dots and separators a file name can't carry."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in socket.gethostname())


def remove_stale_temporaries(path):
    """Remove ``.<name>.<pid>@<host>.*.tmp`` beside ``path`` whose writer is dead.

    Returns the removed paths. Safe to call any time: the files of live
    writers, of other machines and of unknown name formats are kept.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    pattern = os.path.join(glob.escape(directory), glob.escape(f".{os.path.basename(path)}.")
                           + "*.tmp")
    removed = []
    for candidate in glob.glob(pattern):
        writer = _writer_of(candidate, path)
        if writer is not None and writer[1] == _host() and not _process_alive(writer[0]):
            with contextlib.suppress(OSError):       # another cleaner may have been faster
                os.remove(candidate)
                removed.append(candidate)
    return removed


def _writer_of(candidate, path):
    """``(pid, host)`` from a temporary file's name, or None if it is not in our format."""
    middle = os.path.basename(candidate)[len(os.path.basename(path)) + 2:]
    writer = middle.split(".", 1)[0]                 # "<pid>@<host>"
    pid, at, host = writer.partition("@")
    if not (at and pid.isdigit()):
        return None
    return int(pid), host


def _process_alive(pid):
    """True unless the system says no process ``pid`` exists (in doubt: alive)."""
    if pid == os.getpid() or os.name == "nt":    # Windows' os.kill would *end* the process
        return True
    try:
        os.kill(pid, 0)                          # signal 0: only asks whether pid exists
    except ProcessLookupError:
        return False
    except OSError:                              # e.g. PermissionError: it exists, not ours
        return True
    return True


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
