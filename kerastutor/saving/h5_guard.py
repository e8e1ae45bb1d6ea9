"""Reading an untrusted HDF5 file: only the file itself, only what the model asks for.

An HDF5 file is more than arrays. A dataset may keep its bytes in *another*
file (external storage), or be a *virtual* dataset stitched together from
datasets in other files; a group entry may be a soft link (a path) or an
external link (a file name and a path). h5py follows all of them. A weights
file naming ``/etc/passwd`` would load that file's bytes as weights -- and
the next ``model.save`` would write them into a file the user may share.

So every object is reached through this module, and four rules hold:

1. **Only hard links.** A path is walked one component at a time; a soft or
   external link anywhere on it is refused (Keras never writes links).
2. **Only the file's own bytes.** A dataset with external storage or a
   virtual layout is refused before a byte of it is read.
3. **Work bounded by what the model needs, not by the clock.** The caller
   checks a dataset's declared shape against the model's weight *before*
   reading it, so a dataset costs at most the size of the weight it fills:
   :math:`n_\\text{bytes} = \\text{itemsize}\\cdot\\prod_i d_i`. A chunked
   dataset must not hide more: each chunk's shape fits inside the dataset's
   shape, only the filters Keras/h5py use are accepted, the stored size is at
   most :math:`n_\\text{bytes}` plus a small overhead per chunk, and each
   deflated chunk is inflated here with a cap of its own size

   .. math:: \\text{inflate}(c) \\le \\text{itemsize}\\cdot\\prod_i k_i

   (:math:`k` the chunk shape), so a "decompression bomb" is caught after
   at most one chunk's worth of output. Attributes are bounded in bytes and,
   for variable-length strings, in items and in the total length read.

4. **A loop inside HDF5 costs the child, not the user.** Some damage trips
   the HDF5 C library itself (a corrupted heap of variable-length strings can
   send it round in circles), and C code cannot be interrupted from Python.
   So, where the system can ``fork``, the whole read -- the same function,
   the same checks -- runs first in a throwaway child process (:func:`isolated`).
   If the child finishes, the real read follows here; if it crashes, only the
   child dies. The child's budget is CPU time, a measure of *work*:

   .. math:: t_\\text{cpu} \\le t_0 + n_\\text{bytes} / r

   (``CPU_SECONDS_BASE`` and ``BYTES_PER_CPU_SECOND``). A busy machine makes
   the child wait longer for the processor but does not make it *work* longer,
   so the same file gives the same answer on an idle and on a busy machine --
   unlike a wall-clock deadline, which an earlier version used.
"""
import contextlib
import os
import signal
import zlib

import numpy as np

#: Largest attribute read, in bytes (fixed size) or total characters (strings).
MAX_ATTRIBUTE_BYTES = 64 * 2**20
#: Most items in one variable-length attribute (Keras's name lists are far shorter).
MAX_ATTRIBUTE_ITEMS = 2**20
#: HDF5 filter ids we can bound: deflate (gzip), shuffle, fletcher32 checksum.
DEFLATE, SHUFFLE, FLETCHER32 = 1, 2, 3
#: Bytes a stored chunk may exceed its raw size by (checksum, deflate framing).
CHUNK_OVERHEAD = 64
#: CPU seconds the isolated child may spend, plus one per BYTES_PER_CPU_SECOND of file.
#: A sound file needs a small fraction of this (h5py reads over 100 MB per CPU second).
CPU_SECONDS_BASE = 20
BYTES_PER_CPU_SECOND = 10e6


class WeightsFileError(ValueError):
    """The weights file does not fit the model, or is not a sound weights file."""


class UnsafeFileError(WeightsFileError):
    """The file asks to read something other than its own bytes, or more than it may."""


HINT = ("Hint: re-save the model with kerastutor or Keras (model.save / save_weights), "
        "which write every array into the file itself.")


# ---------------------------------------------------------------- opening
def isolated(open_file, read, source, size):
    """``read(h5file)`` on the file ``open_file()`` opens -- after a child did it first.

    ``read`` is the real load (it may change a model: in the child that change
    is thrown away with the child). A Python exception in the child is not an
    error here: the read below raises it again, with its own message.
    """
    if hasattr(os, "fork"):
        cpu_seconds = int(CPU_SECONDS_BASE + size / BYTES_PER_CPU_SECOND)
        status = _in_child(lambda: read(_checked_open(open_file, source, size)),
                           cpu_seconds)
        _explain_child_death(status, source, size, cpu_seconds)
    with _checked_open(open_file, source, size) as h5file:
        return read(h5file)


def _in_child(work, cpu_seconds):
    """Run ``work()`` in a forked child with a CPU-time limit; its exit status."""
    from h5py._objects import phil   # HDF5's global lock: no other thread is inside HDF5
    with phil:                       # while we fork, so the child cannot inherit it held
        pid = os.fork()
    if pid == 0:
        _become_quiet_child(cpu_seconds)
        code = 0
        try:
            work()
        except BaseException:        # noqa: BLE001 -- the read in the parent reports it
            code = 3
        os._exit(code)
    return os.waitpid(pid, 0)[1]     # no deadline: the child's CPU limit ends a loop


def _become_quiet_child(cpu_seconds):
    """Limit the child's CPU time; silence it (the parent's read prints any message)."""
    import faulthandler
    import resource
    import warnings
    faulthandler.disable()           # a crash here is the parent's to report, once
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))       # a crash leaves no core file
    warnings.simplefilter("ignore")
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)


def _explain_child_death(status, source, size, cpu_seconds):
    if not os.WIFSIGNALED(status):
        return
    signal_number = os.WTERMSIG(status)
    if signal_number in (signal.SIGXCPU, signal.SIGKILL):
        raise UnsafeFileError(
            f"{source}: the HDF5 library did not return after {cpu_seconds} CPU-seconds of "
            f"work on this {size:,}-byte file (it goes round in circles on damaged data). "
            "The file is damaged; it was not loaded.")
    raise UnsafeFileError(f"{source}: the HDF5 library crashed reading this file (signal "
                          f"{signal_number}). The file is damaged; it was not loaded.")


def _checked_open(open_file, source, size):
    """The open file, after checking that its header claims no more bytes than it holds.

    Then no address in the file can point past its end. Errors from opening
    are the caller's to explain (it knows the format).
    """
    h5file = open_file()
    claimed = h5file.id.get_filesize()
    if size and claimed > size:
        h5file.close()
        raise UnsafeFileError(f"{source}: the HDF5 header claims {claimed:,} bytes but the "
                              f"file holds {size:,}; it is truncated or damaged and was "
                              "not loaded.")
    return h5file


def child(group, path, source, where=None):
    """``group[path]``, walked one name at a time, refusing soft and external links."""
    where = where or path
    node = group
    for name in path.split("/"):
        if not name:
            continue
        with damage_named(f"'{where}'", source):
            node = _hard_link_target(node, name, where, source)
    return node


def _hard_link_target(node, name, where, source):
    import h5py        # heavy and optional: imported only when a file is read or written
    if not isinstance(node, h5py.Group):
        raise WeightsFileError(f"{source}: '{where}' is missing (an array sits where a "
                               "group was expected).")
    link = node.get(name, getlink=True)
    if link is None:
        raise WeightsFileError(f"{source}: '{where}' is missing.")
    if isinstance(link, h5py.ExternalLink):
        raise UnsafeFileError(
            f"{source}: '{where}' is an external link to '{link.path}' in the file "
            f"{link.filename!r}; kerastutor reads weights only from the file itself. {HINT}")
    if isinstance(link, h5py.SoftLink):
        raise UnsafeFileError(
            f"{source}: '{where}' is a soft link to '{link.path}'; kerastutor follows no "
            f"links, it reads each array where the layout puts it. {HINT}")
    return node[name]


def open_dataset(group, path, source, where=None):
    """The dataset at ``group[path]``, refused unless its bytes are in this very file.

    This is the one door to a dataset: links (via :func:`child`), external
    storage and virtual layouts are refused here, before any data is read.
    """
    import h5py        # heavy and optional: imported only when a file is read or written
    where = where or path
    dataset = child(group, path, source, where)
    if not isinstance(dataset, h5py.Dataset):
        raise WeightsFileError(f"{source}: '{where}' should be an array (dataset), found a "
                               "group.")
    with damage_named(f"'{where}'", source):
        _refuse_foreign_storage(dataset, where, source)
        dataset.shape, dataset.dtype             # a damaged header fails here, by name
    return dataset


def names(group, where, source):
    """The names in ``group`` (each a link, not yet followed)."""
    with damage_named(f"'{where}'", source):
        return list(group.keys())


def has_link(group, name, source, where=None):
    """Whether ``group`` has an entry ``name`` (a link of any kind; none is followed)."""
    with damage_named(f"'{where or name}'", source):
        return group.get(name, getlink=True) is not None


def has_attribute(obj, key, source):
    with damage_named(f"attribute {key!r}", source):
        return key in obj.attrs


@contextlib.contextmanager
def damage_named(what, source):
    """The HDF5 library's errors on a damaged structure, as ours: what, and HDF5's reason.

    h5py raises ``KeyError``, ``RuntimeError``, ``OSError`` or ``ValueError``
    with HDF5's own words ("bad symbol table node signature"); a user needs
    to know which object, and that the file -- not their code -- is at fault.
    """
    try:
        yield
    except WeightsFileError:
        raise
    except (KeyError, RuntimeError, OSError, ValueError, TypeError) as err:
        reason = str(err.args[0] if err.args else err).strip("'\"")
        raise WeightsFileError(
            f"{source}: {what} is damaged; the HDF5 library reports \"{reason}\" when "
            "reading it. A sound file never gives this, so the file was not loaded. Hint: "
            "save or download it again.") from None


def _refuse_foreign_storage(dataset, where, source):
    """Virtual datasets and external storage read other files: refuse both."""
    if dataset.is_virtual:
        raise UnsafeFileError(
            f"{source}: dataset '{where}' is a virtual dataset (its data comes from other "
            f"datasets, possibly other files); kerastutor reads weights only from the file "
            f"itself. {HINT}")
    plist = dataset.id.get_create_plist()
    if plist.get_external_count() > 0:
        target = plist.get_external(0)[0].decode("utf-8", "replace")
        raise UnsafeFileError(
            f"{source}: dataset '{where}' stores its data in an external file ({target!r}); "
            f"kerastutor reads weights only from the file itself. {HINT}")


# ---------------------------------------------------------------- reading
def declared_bytes(dataset):
    """What the dataset says it holds: itemsize times the product of its shape."""
    return int(np.prod(dataset.shape, dtype=np.float64)) * dataset.dtype.itemsize


def read_array(dataset, where, source):
    """``dataset[()]``, after checking that reading it costs no more than it declares.

    Call only after the dataset's shape was checked against the model's
    weight: then :func:`declared_bytes` is the weight's own size.
    """
    with damage_named(f"'{where}'", source):
        _refuse_foreign_storage(dataset, where, source)  # again: reading is the last door
        if dataset.chunks is not None:
            _check_chunks(dataset, where, source)
        elif dataset.id.get_storage_size() > declared_bytes(dataset):
            raise UnsafeFileError(f"{source}: dataset '{where}' stores "
                                  f"{dataset.id.get_storage_size():,} bytes for an array of "
                                  f"{declared_bytes(dataset):,}; it is damaged.")
        return dataset[()]


def read_state(dataset, like, where, source):
    """An optimizer variable: read like :func:`read_array`, cast to the live one's dtype.

    The file's dtype is not trusted (a damaged file can turn the int64 step
    counter into uint32, which the GPU cannot hold), and a NaN or infinity in
    a moment estimate would poison every later step, so both are settled here.
    """
    array = np.asarray(read_array(dataset, where, source), dtype=like.dtype)
    if not np.all(np.isfinite(array)):
        raise WeightsFileError(f"{source}: optimizer variable '{where}' contains NaN or "
                               "infinity; refusing to load it.")
    return array


def _check_chunks(dataset, where, source):
    """Chunk shape, filters, stored size and inflated size all within the declared size."""
    shape, chunks = tuple(dataset.shape), tuple(dataset.chunks)
    if len(chunks) != len(shape) or any(k > max(d, 1) for k, d in zip(chunks, shape)):
        raise UnsafeFileError(f"{source}: dataset '{where}' of shape {shape} is split into "
                              f"chunks of shape {chunks}, larger than the array itself; "
                              "refusing to decompress them.")
    plist = dataset.id.get_create_plist()
    filters = [plist.get_filter(i)[0] for i in range(plist.get_nfilters())]
    unknown = [f for f in filters if f not in (DEFLATE, SHUFFLE, FLETCHER32)]
    if unknown:
        raise UnsafeFileError(f"{source}: dataset '{where}' uses HDF5 filter(s) {unknown}; "
                              "kerastutor reads only gzip, shuffle and fletcher32, whose "
                              f"output it can bound. {HINT}")
    chunk_bytes = int(np.prod(chunks)) * dataset.dtype.itemsize
    n_chunks = int(np.prod([-(-d // k) for d, k in zip(shape, chunks)]))
    stored = dataset.id.get_storage_size()
    if dataset.id.get_num_chunks() > n_chunks or \
            stored > n_chunks * (chunk_bytes + CHUNK_OVERHEAD):
        raise UnsafeFileError(f"{source}: dataset '{where}' stores {stored:,} bytes in "
                              f"{dataset.id.get_num_chunks()} chunks, more than an array of "
                              f"shape {shape} can need; it is damaged.")
    if DEFLATE in filters:
        deflate_bit = 1 << filters.index(DEFLATE)
        for index in range(dataset.id.get_num_chunks()):
            offset = dataset.id.get_chunk_info(index).chunk_offset
            mask, raw = dataset.id.read_direct_chunk(offset)
            if not mask & deflate_bit and _inflated_size(raw, chunk_bytes) > chunk_bytes:
                raise UnsafeFileError(
                    f"{source}: dataset '{where}': the chunk at {offset} inflates to more than "
                    f"its {chunk_bytes:,} bytes (a decompression bomb); refusing to read it.")


def _inflated_size(raw, cap):
    """How many bytes ``raw`` inflates to, but never producing more than ``cap + 1``."""
    try:
        return len(zlib.decompressobj().decompress(raw, cap + 1))
    except zlib.error:
        return 0                     # not our question: HDF5 reports the damage on read


def read_attribute(obj, key, source):
    """``obj.attrs[key]``, after bounding its size (variable-length strings included)."""
    with damage_named(f"attribute {key!r}", source):
        return _bounded_attribute(obj, key, source)


def _bounded_attribute(obj, key, source):
    import h5py        # heavy and optional: imported only when a file is read or written
    attribute = h5py.h5a.open(obj.id, key.encode("utf-8"))
    count = int(np.prod(attribute.shape, dtype=np.float64)) if attribute.shape else 1
    dtype = attribute.dtype
    string = h5py.check_string_dtype(dtype)
    # Variable-length items live in a heap, not in the attribute: bound count, then length.
    variable = h5py.check_vlen_dtype(dtype) is not None or \
        (string is not None and string.length is None)
    try:
        stored = attribute.get_storage_size()
    except (OSError, RuntimeError, ValueError):
        stored = 0                   # HDF5 reports an empty attribute's size as an error
    if variable and count > MAX_ATTRIBUTE_ITEMS:
        raise UnsafeFileError(f"{source}: attribute {key!r} lists {count:,} variable-length "
                              f"items, more than the {MAX_ATTRIBUTE_ITEMS:,} allowed.")
    if max(stored, count * dtype.itemsize) > MAX_ATTRIBUTE_BYTES:
        raise UnsafeFileError(f"{source}: attribute {key!r} claims "
                              f"{max(stored, count * dtype.itemsize):,} bytes, more than the "
                              f"{MAX_ATTRIBUTE_BYTES:,} allowed; refusing to read it.")
    value = obj.attrs[key]
    if variable and _text_length(value) > MAX_ATTRIBUTE_BYTES:
        raise UnsafeFileError(f"{source}: attribute {key!r} holds more than "
                              f"{MAX_ATTRIBUTE_BYTES:,} bytes of text; refusing it.")
    return value


def _text_length(value):
    """Total length of a string, bytes, or array of them / of variable-length arrays."""
    if isinstance(value, (str, bytes)):
        return len(value)
    items = np.atleast_1d(np.asarray(value, dtype=object)).ravel()
    return sum(len(item) if hasattr(item, "__len__") else 1 for item in items)


def text(value, key, source):
    """An attribute's string, strictly UTF-8 (h5py smuggles bad bytes in as surrogates)."""
    try:
        return value.decode("utf-8") if isinstance(value, bytes) else \
            value.encode("utf-8").decode("utf-8")
    except UnicodeError as err:
        raise WeightsFileError(f"{source}: attribute {key!r} is not valid UTF-8 text "
                               f"({err.reason} at position {err.start}); the file is "
                               "damaged.") from None
