"""``get_file``: download once into the Keras cache, check the hash, never leave half a file.

Keras keeps downloads in ``~/.keras/datasets`` (``$KERAS_HOME/datasets`` when
that variable is set). kerastutor uses the very same place and file names, so
a machine that has run Keras tutorials already holds the data.

Three promises, and how they are kept:

* **Download once.** A cached file whose hash matches is used as it is.
* **All or nothing.** Bytes go to a hidden temporary file *in the cache
  directory*; only a complete file whose hash matches is renamed to its real
  name with :func:`os.replace`, which is atomic on one file system. An error,
  a wrong hash or Ctrl-C deletes the temporary file, so the cache never holds a
  half file under the real name.
* **Useful failures.** With no network, :class:`DownloadError` says which URL
  failed, why, and where to put a copy fetched by other means.

The hash is a hex digest: sha256 (64 characters; ``sha256sum FILE`` prints
it) or, for old code, md5 (32). With ``hash_algorithm="auto"`` the length
tells which.
"""
import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

from kerastutor.backend import did_you_mean
from kerastutor.utils.progbar import Progbar

HASH_ALGORITHMS = ("auto", "sha256", "md5")
HEX_LENGTHS = {64: "sha256", 32: "md5"}
ARCHIVE_FORMATS = ("tar", "zip")
HASH_CHUNK_SIZE = 65535
DOWNLOAD_CHUNK_SIZE = 1 << 20        # 1 MiB per read
DOWNLOAD_TIMEOUT = 60                # seconds without data before giving up


class DownloadError(OSError):
    """A file is not in the cache and could not be downloaded."""


class HashMismatchError(DownloadError, ValueError):
    """A downloaded file does not have the expected hash.

    Also a ``ValueError``, which is what Keras raises in this case, so code
    written for Keras that catches ``ValueError`` keeps working.
    """


# ------------------------------------------------------------------ where
def keras_home():
    """The Keras cache root: ``$KERAS_HOME``, else ``~/.keras`` (``/tmp/.keras`` if
    the home directory cannot be written). Read at call time, so setting
    ``KERAS_HOME`` in a running program takes effect."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    home = os.path.expanduser("~")
    if not os.access(home, os.W_OK):
        home = tempfile.gettempdir()
    return os.path.join(home, ".keras")


def _can_write(directory):
    """True if ``directory`` exists and is writable, or could be created."""
    while not os.path.exists(directory):
        parent = os.path.dirname(directory)
        if parent == directory:
            return False
        directory = parent
    return os.path.isdir(directory) and os.access(directory, os.W_OK)


def _cache_directory(cache_dir, cache_subdir):
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else keras_home())
    if not _can_write(base):
        base = os.path.join(tempfile.gettempdir(), ".keras")     # as Keras does
    directory = os.path.join(base, cache_subdir)     # an absolute cache_subdir wins
    os.makedirs(directory, exist_ok=True)
    return directory


# ------------------------------------------------------------------ hashes
def _resolve_algorithm(algorithm, file_hash=None):
    """``"sha256"`` or ``"md5"`` for a requested algorithm and, for "auto", the hash."""
    if algorithm not in HASH_ALGORITHMS:
        raise ValueError(f"hash_algorithm must be one of {', '.join(HASH_ALGORITHMS)}; got "
                         f"{algorithm!r}.{did_you_mean(algorithm, HASH_ALGORITHMS)}")
    if algorithm != "auto":
        return algorithm
    if file_hash is None:
        return "md5"                              # Keras's fallback for "auto"
    if len(str(file_hash)) not in HEX_LENGTHS:
        raise ValueError(
            f"file_hash must be a hex digest, 64 characters for sha256 or 32 for md5; got "
            f"{file_hash!r} ({len(str(file_hash))} characters). `sha256sum FILE` prints "
            "the right one.")
    return HEX_LENGTHS[len(str(file_hash))]


def hash_file(fpath, algorithm="sha256", chunk_size=HASH_CHUNK_SIZE):
    """Hex digest of a file, read in chunks so large files need little memory.

    ``algorithm`` is ``"sha256"``, ``"md5"``, ``"auto"`` (md5, as in Keras) or a
    ``hashlib`` object to feed.
    """
    if isinstance(algorithm, str):
        hasher = hashlib.new(_resolve_algorithm(algorithm))
    else:
        hasher = algorithm
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=HASH_CHUNK_SIZE):
    """True if the file's digest equals ``file_hash`` (hex, upper or lower case)."""
    algorithm = _resolve_algorithm(algorithm, file_hash)
    return hash_file(fpath, algorithm, chunk_size) == str(file_hash).lower()


# ------------------------------------------------------------------ download
def _offline_message(origin, target, reason, file_hash, algorithm):
    check = f", with {algorithm} hash {file_hash}" if file_hash is not None else ""
    return (f"Could not download {origin}: {reason}. If this machine is offline, download "
            f"the file elsewhere and put it at {home_relative(target)}{check}; it will be "
            "used from there without any download.")


def home_relative(path):
    """``~/.keras/datasets/mnist.npz`` rather than ``/home/ana/.keras/...``: the same
    file for the reader's shell, and no machine's home folder in printed output."""
    home = os.path.expanduser("~")
    path = str(path)
    if home not in ("", "/", "~") and path.startswith(home + os.sep):
        return "~" + path[len(home):]
    return path


def _copy_from_url(origin, out):
    """Stream ``origin`` into the open file ``out``, with Keras's byte progress bar.

    Returns ``(bytes received, bytes announced or None)``.
    """
    with urllib.request.urlopen(origin, timeout=DOWNLOAD_TIMEOUT) as response:
        announced = response.headers.get("Content-Length")
        announced = int(announced) if announced and announced.isdigit() else None
        bar = Progbar(announced)
        received = 0
        for chunk in iter(lambda: response.read(DOWNLOAD_CHUNK_SIZE), b""):
            out.write(chunk)
            received += len(chunk)
            bar.update(received if announced is None else min(received, announced))
        if announced is None:
            bar.update(received, finalize=True)
    return received, announced


def _download(origin, target, file_hash, algorithm):
    """Download ``origin`` to ``target``: complete and verified, or not at all."""
    print(f"Downloading data from {origin}")
    handle, partial = tempfile.mkstemp(dir=os.path.dirname(target),
                                       prefix=f".{os.path.basename(target)}.", suffix=".part")
    try:
        try:
            with os.fdopen(handle, "wb") as out:
                received, announced = _copy_from_url(origin, out)
        except (OSError, http.client.HTTPException) as error:   # URLError is an OSError
            reason = getattr(error, "reason", None) or error
            raise DownloadError(_offline_message(origin, target, reason, file_hash,
                                                 algorithm)) from error
        except ValueError as error:                  # urllib's "unknown url type"
            raise ValueError(f"get_file: origin={origin!r} is not a URL that can be opened "
                             f"({error}); expected https://..., http://..., ftp://... or "
                             "file://...") from None
        if announced is not None and received < announced:
            raise DownloadError(_offline_message(
                origin, target, f"the connection closed after {received} of {announced} "
                "bytes", file_hash, algorithm))
        if file_hash is not None:
            actual = hash_file(partial, algorithm)
            if actual != str(file_hash).lower():
                raise HashMismatchError(
                    f"The file downloaded from {origin} does not have the expected {algorithm} "
                    f"hash {file_hash} (its hash is {actual}), so it was deleted and nothing "
                    f"was saved at {target}. The download was damaged or the file at the "
                    "origin has changed: try again, and check the file_hash you passed.")
        os.replace(partial, target)              # atomic: the real name appears complete
    except BaseException:                         # also Ctrl-C: never leave the part file
        if os.path.exists(partial):
            os.remove(partial)
        raise


# ------------------------------------------------------------------ archives
def _inside(directory, member_name):
    base = os.path.realpath(directory)
    path = os.path.realpath(os.path.join(base, member_name))
    return os.path.commonpath([base, path]) == base


def _extract_tar(archive, path):
    if hasattr(tarfile, "data_filter"):
        # Python's own guard: no absolute paths, "..", links out of `path`, devices.
        archive.extractall(path, filter="data")
        return
    safe = [member for member in archive.getmembers()
            if _inside(path, member.name) and not (member.issym() or member.islnk())]
    archive.extractall(path, members=safe)


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``) or zip archive into ``path``.

    Members that would land outside ``path`` are refused. Returns True if
    ``file_path`` was an archive of one of the ``archive_format`` kinds
    (``"auto"`` means ``["tar", "zip"]``; None means none), else False.
    """
    if archive_format is None:
        return False
    formats = ARCHIVE_FORMATS if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else list(formats)
    for kind in formats:
        if kind not in ARCHIVE_FORMATS:
            raise ValueError(f"archive_format must be 'auto', None, or one or more of "
                             f"{', '.join(ARCHIVE_FORMATS)}; got {archive_format!r}."
                             f"{did_you_mean(kind, ARCHIVE_FORMATS)}")
    for kind in formats:
        is_kind = tarfile.is_tarfile if kind == "tar" else zipfile.is_zipfile
        if not is_kind(file_path):
            continue
        existed = os.path.exists(path)
        try:
            if kind == "tar":
                with tarfile.open(file_path) as archive:
                    _extract_tar(archive, path)
            else:
                with zipfile.ZipFile(file_path) as archive:
                    archive.extractall(path)   # zipfile drops "..", leading "/" itself
        except BaseException:
            # Do not leave a half-extracted directory that looks complete (but never
            # delete a folder that was there before, such as the working directory).
            if not existed and os.path.isdir(path):
                shutil.rmtree(path)
            raise
        return True
    return False


# ------------------------------------------------------------------ get_file
def _file_name(fname, origin):
    if fname:
        fname = os.fspath(fname)
        if os.sep in fname or "/" in fname:
            raise ValueError(
                f"get_file: fname is a file name, not a path; got fname={fname!r}. To choose "
                "the folder, pass cache_dir (and cache_subdir).")
        return fname
    fname = os.path.basename(urllib.parse.urlsplit(origin).path)
    if not fname:
        raise ValueError(f"get_file: cannot take a file name from origin={origin!r}; pass "
                         "fname, e.g. fname='data.npz'.")
    return fname


def _targets(directory, fname, fname_given, extracting):
    """``(download path, extraction directory or None)``, named as Keras names them."""
    if not extracting:
        return os.path.join(directory, fname), None
    if fname_given and "." in fname:
        stem = fname[:fname.find(".")]
        return os.path.join(directory, fname), os.path.join(directory, f"{stem}_extracted")
    return os.path.join(directory, f"{fname}_archive"), os.path.join(directory, fname)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False):
    """Path to a local copy of ``origin``, downloading it only if needed.

    Parameters
    ----------
    fname : str, optional
        File name in the cache; defaults to the last part of the URL.
    origin : str
        URL of the file (``https://``, ``http://``, ``ftp://`` or ``file://``).
    untar : bool, default False
        Deprecated spelling of ``extract=True, archive_format="tar"``.
    md5_hash : str, optional
        Deprecated spelling of ``file_hash=..., hash_algorithm="md5"``.
    file_hash : str, optional
        Expected hex digest. A cached file that does not match is downloaded
        again; a download that does not match raises :class:`HashMismatchError`.
    cache_subdir : str, default "datasets"
        Folder under the cache root (an absolute path is used as it is).
    hash_algorithm : {"auto", "sha256", "md5"}, default "auto"
    extract : bool, default False
        Extract the archive and return the extraction folder instead.
    archive_format : {"auto", "tar", "zip", None} or list, default "auto"
    cache_dir : str, optional
        Cache root; defaults to :func:`keras_home`.
    force_download : bool, default False
        Download even if a good copy is cached.

    Returns
    -------
    str
        The cached file's path (or the extraction folder with ``extract``).

    Raises
    ------
    DownloadError
        No cached copy and the download failed (an ``OSError``).
    HashMismatchError
        The downloaded bytes do not have ``file_hash``.
    """
    if origin is None:
        raise ValueError('get_file: please pass origin="https://...", the URL of the file '
                         "to download.")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    algorithm = _resolve_algorithm(hash_algorithm, file_hash)
    fname_given = bool(fname)
    fname = _file_name(fname, origin)
    directory = _cache_directory(cache_dir, cache_subdir)
    extracting = extract or untar
    download_target, extraction_dir = _targets(directory, fname, fname_given, extracting)

    download = force_download or not os.path.exists(download_target)
    if not download and file_hash is not None and not validate_file(
            download_target, file_hash, algorithm):
        print("A local file was found, but it seems to be incomplete or outdated because "
              f"the {algorithm} file hash does not match the original value of {file_hash} "
              "so we will re-download the data.")
        download = True
    if download:
        _download(origin, download_target, file_hash, algorithm)

    if not extracting:
        return download_target
    if not extract_archive(download_target, extraction_dir, "tar" if untar else archive_format):
        warnings.warn(f"get_file: {download_target} is not a {archive_format} archive, so "
                      "nothing was extracted.", stacklevel=2)
    return extraction_dir


__all__ = ["get_file", "validate_file", "hash_file", "extract_archive", "keras_home",
           "DownloadError", "HashMismatchError"]
