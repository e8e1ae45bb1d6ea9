"""The ``.keras`` file: a zip archive holding the model's JSON config and its weights.

Keras 3 writes three members, uncompressed (``ZIP_STORED``)::

    metadata.json      {"keras_version": "3.15.1", "date_saved": "2026-11-23@10:00:00"}
    config.json        {"module": "keras", "class_name": "Sequential", "config": {...},
                        "registered_name": null, "build_config": {...},
                        "compile_config": {...}}
    model.weights.h5   the weights in the layout of :mod:`.weights_h5`

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
import zipfile

from kerastutor import __version__
import kerastutor.saving.h5_guard as h5_guard

KERAS_VERSION = "3.15.1"          # the Keras release whose format we write
MAX_JSON_BYTES = 64 * 2**20       # a config.json larger than this is not a real model
MAX_COMPRESSION_RATIO = 200       # stored members have ratio 1; deflate rarely beats 20
ALLOWED_MEMBERS = ("metadata.json", "config.json", "model.weights.h5")


class ArchiveError(ValueError):
    """The file is not a sound ``.keras`` archive."""


def write_archive(path, config, metadata, weights_bytes):
    """Write the three members to ``path`` (a temporary file; see ``atomic_write``)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights_bytes)


def metadata():
    return {"keras_version": KERAS_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
            "kerastutor_version": __version__}


class ArchiveReader:
    """Open a ``.keras`` file and read its members under the safety rules above."""

    def __init__(self, path):
        self.path = str(path)
        try:
            self.archive = zipfile.ZipFile(path, "r")
        except (zipfile.BadZipFile, EOFError, ValueError) as err:
            raise ArchiveError(f"{self.path} is not a .keras file: it is not a readable zip "
                               f"archive ({err}). Hint: a .keras file is written by "
                               "model.save('name.keras'); was the file cut short?") from None
        self.members = {}
        for info in self.archive.infolist():
            _check_member_name(self.path, info.filename)
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
        if info.compress_type != zipfile.ZIP_STORED and \
                info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1) + 2**16:
            raise ArchiveError(f"{self.path}: {name} expands {info.file_size:,} bytes out of "
                               f"{info.compress_size:,}; that ratio is a zip bomb, not a model.")
        try:
            with self.archive.open(info) as member:
                data = member.read(limit + 1)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError,
                NotImplementedError) as err:
            raise ArchiveError(f"{self.path}: {name} cannot be read ({err}). The file is "
                               "damaged or truncated.") from None
        if len(data) > limit:
            raise ArchiveError(f"{self.path}: {name} is larger than its header says; refusing "
                               "it.")
        return data

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

    def weights_file(self, limit):
        """``model.weights.h5`` as an open read-only h5py File (in memory)."""
        import h5py        # heavy: imported only when a weights file is opened
        data = self.read("model.weights.h5", limit)

        def open_file():
            return h5py.File(io.BytesIO(data), "r")

        h5_guard.probe(open_file, f"{self.path} (model.weights.h5)", len(data))
        try:
            return open_file()
        except (OSError, ValueError) as err:
            raise ArchiveError(f"{self.path}: model.weights.h5 is not a readable HDF5 file "
                               f"({err}).") from None

    def close(self):
        self.archive.close()


def _check_member_name(path, name):
    parts = name.replace("\\", "/").split("/")
    hostile = name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0] \
        or "\\" in name or "\x00" in name
    if hostile:
        raise ArchiveError(f"{path}: the archive holds a member named {name!r}, a path that "
                           "points outside the archive. Refusing to load this file.")
