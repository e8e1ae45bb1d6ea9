"""The ``.keras`` file: a zip archive holding the model's JSON config and its weights.

Keras 3 writes three members, uncompressed (``ZIP_STORED``)::

    metadata.json      {"keras_version": "3.15.1", "date_saved": "2026-11-23@10:00:00"}
    config.json        {"module": "keras", "class_name": "Sequential", "config": {...},
                        "registered_name": null, "build_config": {...},
                        "compile_config": {...}}
    model.weights.h5   the weights in the layout of :mod:`.weights_h5`

and, only when a layer has some, its asset files (an adapted StringLookup's
vocabulary) under ``assets/`` (:mod:`.assets`).

**Reading a file from elsewhere.** The archive is untrusted input, so the
reader

* never extracts anything to disk, and refuses member names that try to
  (``../../.bashrc``, absolute paths);
* reads each member with a size cap, checked against the header *and* while
  reading (a header can lie), and refuses compression ratios no real model
  has (a "zip bomb" expands a few kilobytes into gigabytes);
* caps the weights member by what the rebuilt model can possibly need, so a
  hostile file cannot make it allocate more than the model's own size;
* never runs code: classes are looked up by name among kerastutor's own and
  the ones you registered or passed in ``custom_objects``.
"""
import datetime
import io
import json
import os
import zipfile
import zlib

from kerastutor import __version__
import kerastutor.saving.h5_guard as h5_guard

KERAS_VERSION = "3.15.1"          # the Keras release whose format we write
#: The largest ``config.json`` read. Keras's config of a 2,000-layer functional
#: model is about 1.4 MB; raise this module constant if yours is larger.
MAX_JSON_BYTES = 8 * 2**20
MAX_COMPRESSION_RATIO = 200       # stored members have ratio 1; deflate rarely beats 20
READ_CHUNK_BYTES = 2**20          # members are read this much at a time, never more
ALLOWED_MEMBERS = ("metadata.json", "config.json", "model.weights.h5")


class ArchiveError(ValueError):
    """The file is not a sound ``.keras`` archive."""


def write_archive(path, config, metadata, weights_bytes, assets=None):
    """Write the three members, then any ``assets`` (``{member name: bytes}``), to
    ``path`` (a temporary file; see ``atomic_write``). Keras's order."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights_bytes)
        for name, data in (assets or {}).items():
            archive.writestr(name, data)


def metadata():
    return {"keras_version": KERAS_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
            "kerastutor_version": __version__}


class ArchiveReader:
    """Open a ``.keras`` file and read its members under the safety rules above.

    Every member's *declared* sizes are checked when the archive is opened,
    before a byte is decompressed: the compressed size must fit in the file,
    a stored member must declare the same size twice, and a deflated one may
    expand at most :data:`MAX_COMPRESSION_RATIO` times. So a declared size is
    at most ``MAX_COMPRESSION_RATIO`` times the file's own size -- and
    :meth:`read` then refuses any member larger than what the model needs.
    """

    def __init__(self, path):
        self.path = str(path)
        try:
            self.archive = zipfile.ZipFile(path, "r")
            infos = self.archive.infolist()
        except (zipfile.BadZipFile, EOFError, OSError, ValueError,
                NotImplementedError) as err:
            raise ArchiveError(f"{self.path} is not a .keras file: it is not a readable zip "
                               f"archive ({err}). Hint: a .keras file is written by "
                               "model.save('name.keras'); was the file cut short?") from None
        archive_bytes = os.path.getsize(self.path)
        self.members = {}
        for info in infos:
            _check_member_name(self.path, info.filename)
            if info.filename in self.members:
                raise ArchiveError(
                    f"{self.path}: {info.filename} appears twice in the archive; a .keras "
                    "file holds each member once, and kerastutor will not guess which copy "
                    "is meant (zip readers disagree: some take the first, some the last). "
                    "The file was altered after it was saved; save the model again.")
            _check_declared_sizes(self.path, info, archive_bytes)
            self.members[info.filename] = info
        for required in ("config.json", "model.weights.h5"):
            if required not in self.members:
                raise ArchiveError(f"{self.path}: the archive has no {required}; found "
                                   f"{sorted(self.members)[:10]}. It is not a Keras 3 model.")

    def read(self, name, limit):
        """A member's bytes, refusing more than ``limit`` bytes whatever the header says."""
        info = self.members[name]
        if info.file_size > limit:
            raise ArchiveError(f"{self.path}: {name} claims {info.file_size:,} bytes, more than "
                               f"the {limit:,} this model can need; refusing to read it.")
        try:
            chunks = self._read_chunks(info, info.file_size)
        except ArchiveError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
                NotImplementedError) as err:
            raise ArchiveError(f"{self.path}: the member {name} is damaged and cannot be read "
                               f"({type(err).__name__}: {err}). The file was cut short or "
                               "altered; save the model again.") from None
        return b"".join(chunks)

    def _read_chunks(self, info, bound):
        """The member in chunks of at most ``READ_CHUNK_BYTES``, stopping past ``bound``.

        The header's sizes were checked, but the compressed stream itself may
        decode to more: counting while reading is what keeps a lying header
        from making us hold more than ``bound`` bytes (plus one chunk).
        """
        chunks, total = [], 0
        with self.archive.open(info) as member:
            while True:
                chunk = member.read(min(READ_CHUNK_BYTES, bound - total + 1))
                if not chunk:
                    return chunks
                total += len(chunk)
                if total > bound:
                    raise ArchiveError(
                        f"{self.path}: {info.filename} holds more than the {info.file_size:,} "
                        "bytes its header declares; refusing it (the file was altered).")
                chunks.append(chunk)

    def read_json(self, name):
        data = self.read(name, MAX_JSON_BYTES)
        try:
            value = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            raise ArchiveError(f"{self.path}: {name} is not valid JSON ({err}).") from None
        if not isinstance(value, dict):
            raise ArchiveError(f"{self.path}: {name} should hold a JSON object, found "
                               f"{type(value).__name__}.")
        return value

    def read_weights(self, limit, read):
        """``read(h5file)`` on ``model.weights.h5`` (in memory), done first by a child."""
        import h5py        # heavy: imported only when a weights file is opened
        data = self.read("model.weights.h5", limit)

        def open_file():
            try:
                return h5py.File(io.BytesIO(data), "r")
            except (OSError, ValueError) as err:
                raise ArchiveError(f"{self.path}: model.weights.h5 is not a readable HDF5 "
                                   f"file ({err}).") from None

        return h5_guard.isolated(open_file, read, f"{self.path} (model.weights.h5)",
                                 len(data))

    def close(self):
        self.archive.close()


def _check_member_name(path, name):
    parts = name.replace("\\", "/").split("/")
    hostile = name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0] \
        or "\\" in name or "\x00" in name
    if hostile:
        raise ArchiveError(f"{path}: the archive holds a member named {name!r}, a path that "
                           "points outside the archive. Refusing to load this file.")


def _check_declared_sizes(path, info, archive_bytes):
    """Refuse sizes no sound archive declares, before anything is decompressed."""
    name = info.filename
    if info.compress_size > archive_bytes:
        raise ArchiveError(f"{path}: {name} claims {info.compress_size:,} compressed bytes in "
                           f"a file of {archive_bytes:,}; the header is damaged or forged.")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise ArchiveError(f"{path}: {name} is stored uncompressed but claims "
                           f"{info.file_size:,} bytes in {info.compress_size:,}; the header "
                           "is damaged or forged.")
    if info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1) + 2**16:
        raise ArchiveError(f"{path}: {name} claims to expand {info.compress_size:,} bytes into "
                           f"{info.file_size:,} (more than {MAX_COMPRESSION_RATIO}x); that "
                           "ratio is a zip bomb, not a model.")
