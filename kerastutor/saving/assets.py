"""Assets: the files a layer keeps beside its weights, in ``assets/`` of a ``.keras`` file.

Some state is neither a constructor argument nor an array of numbers. A
StringLookup adapted on a corpus learned a *vocabulary*: a list of tokens,
possibly hundreds of thousands. Keras keeps it out of ``config.json`` (the
config says how to build the layer; a vocabulary that large would bloat it
and is data, not architecture) and out of the HDF5 weights (it is text). A
layer with such state has two methods::

    layer.save_assets(dir_path)    # writes dir_path/vocabulary.txt, one token a line
    layer.load_assets(dir_path)    # reads it back

and Keras's saver gives each such layer a folder named by its path in the
model -- the same path as its weights (:mod:`.weights_h5`)::

    metadata.json
    config.json
    model.weights.h5
    assets/layers/string_lookup/vocabulary.txt
    assets/layers/text_vectorization/vocabulary.txt
    assets/layers/text_vectorization/_lookup_layer/vocabulary.txt

A model with no such layer has no ``assets/`` members at all: its file
holds exactly the three members, as before.

**Reading is careful.** The assets are files from outside. The reader only
reads the files of the layers the rebuilt model says have assets -- the
files directly in that layer's folder -- each with a size cap, into a fresh
temporary folder whose names it makes itself (an archive's member name never
becomes a path on disk: a name that tries to climb out, like
``assets/../../.bashrc``, is refused when the archive is opened). An asset a
layer needs and the file lacks is reported by name. Nothing in an asset is
ever run: a vocabulary is read as lines of text.
"""
import os
import tempfile

from kerastutor.saving.keras_archive import ArchiveError
from kerastutor.saving.weights_h5 import walk

ASSETS_DIR = "assets"
#: The largest single asset read back. A vocabulary of a million tokens is about
#: 10 MB; raise this module constant if yours is larger.
MAX_ASSET_BYTES = 64 * 2**20
#: The most asset bytes one model may read in all.
MAX_TOTAL_ASSET_BYTES = 256 * 2**20


def _folder(path):
    """``assets/<path>/`` -- the member-name prefix of an object's assets."""
    return f"{ASSETS_DIR}/{path}/" if path else f"{ASSETS_DIR}/"


def _objects_with_assets(model, method):
    return [(path, obj) for path, obj in walk(model) if callable(getattr(obj, method, None))]


# ---------------------------------------------------------------- writing
def collect_assets(model):
    """``{member name: bytes}`` of every asset the model's layers write.

    Each layer writes into a temporary folder of its own; what it wrote
    (files, in sub-folders too) becomes ``assets/<path>/<file>``. An empty
    folder adds nothing, so a model without assets adds no member.
    """
    members = {}
    for path, obj in _objects_with_assets(model, "save_assets"):
        with tempfile.TemporaryDirectory(prefix="kerastutor_assets_") as folder:
            obj.save_assets(folder)
            for root, _, files in sorted(os.walk(folder)):
                for name in sorted(files):
                    full = os.path.join(root, name)
                    relative = os.path.relpath(full, folder).replace(os.sep, "/")
                    with open(full, "rb") as f:
                        members[_folder(path) + relative] = f.read()
    return members


# ---------------------------------------------------------------- reading
def load_assets(model, reader):
    """Give every layer of ``model`` that has assets its files from ``reader``'s archive.

    Called after the weights are loaded (a tf-idf lookup needs its weights
    to rebuild its table), as Keras does.
    """
    budget = [MAX_TOTAL_ASSET_BYTES]
    for path, obj in _objects_with_assets(model, "load_assets"):
        with tempfile.TemporaryDirectory(prefix="kerastutor_assets_") as folder:
            for name in _own_files(reader, path):
                _extract(reader, _folder(path) + name, os.path.join(folder, name), budget)
            _load_one(obj, folder, path, reader.path)


def _own_files(reader, path):
    """The names of the files directly in ``assets/<path>/`` (never a sub-folder's)."""
    prefix = _folder(path)
    names = []
    for member in reader.members:
        rest = member[len(prefix):] if member.startswith(prefix) else None
        if rest and "/" not in rest and rest not in (".", ".."):
            names.append(rest)
    return sorted(names)


def _extract(reader, member, target, budget):
    """Copy one member to ``target``, refusing more than the caps allow."""
    limit = min(MAX_ASSET_BYTES, budget[0])
    size = reader.members[member].file_size
    if size > limit:
        raise ArchiveError(
            f"{reader.path}: the asset {member} claims {size:,} bytes, more than the "
            f"{limit:,} an asset may have (kerastutor.saving.assets.MAX_ASSET_BYTES, "
            "MAX_TOTAL_ASSET_BYTES); refusing to read it.")
    data = reader.read(member, limit)
    budget[0] -= len(data)
    with open(target, "wb") as f:
        f.write(data)


def _load_one(obj, folder, path, source):
    try:
        obj.load_assets(folder)
    except FileNotFoundError as err:
        missing = _folder(path) + os.path.basename(err.filename or "")
        raise ArchiveError(
            f"{source}: layer '{obj.name}' needs the asset {missing}, which the file does not "
            "hold (an adapted layer keeps its vocabulary there, not in config.json). The "
            "file was altered, or saved without its assets; save the model again.") from None
    except (UnicodeDecodeError, ValueError) as err:
        raise ArchiveError(
            f"{source}: the assets of layer '{obj.name}' in {_folder(path)} cannot be read "
            f"({type(err).__name__}: {err}). The file was altered; save the model again.") \
            from None
