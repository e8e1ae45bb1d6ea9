"""Weights in Keras 3's HDF5 layout (``.weights.h5``, and ``model.weights.h5`` in ``.keras``).

Keras does not file weights under the layers' names (``dense_7`` changes
from run to run) but under the *path* by which the model reaches each
object. It walks the model:

* a Sequential or functional model first lists its ``layers``; each layer
  gets the key of its class name in snake case, numbered in order when it
  repeats (``layers/dense``, ``layers/dense_1``, ...) -- a Sequential leaves
  its input layer out, a functional model keeps it;
* then every public attribute holding a layer or an optimizer, in sorted
  order (``optimizer``; an LSTM's ``cell``; a Bidirectional's
  ``backward_layer`` and ``forward_layer``);
* an object reached twice is written once, at the first path.

Each object gets a group ``<path>/vars`` (attribute ``name``) with one
dataset per variable it owns, ``"0"``, ``"1"``, ... in the order trainable
then non-trainable; the optimizer's are ``iteration``, ``learning_rate`` and
its slots. A model with two Dense layers and Adam::

    vars                      {name: sequential}
    layers/dense/vars/0, 1    kernel (8, 16), bias (16,)
    layers/dense_1/vars/0, 1  kernel (16, 3), bias (3,)
    optimizer/vars/0 .. 9     iteration, learning_rate, m and v of each weight

**Reading is careful.** A file is data from outside: before any weight
changes, every dataset the model asks for is checked -- present, reached
through hard links only, its bytes in this very file (no external storage,
no virtual dataset: :mod:`.h5_guard`), numeric, exactly the expected shape
(checked before the data is read, so a file claiming a huge array costs
nothing) -- and only when every check passed are the values assigned.
Datasets the model does not ask for are never read. A bad file gives an
error that names the layer and the path and leaves the model as it was.
"""
import numpy as np

from kerastutor import backend
from kerastutor.backend import snake_case
from kerastutor.saving.h5_guard import (WeightsFileError, has_link, names, open_dataset,
                                        read_array, read_state)
from kerastutor.saving.h5_guard import child as hard_child
from kerastutor.layers.base import Layer
from kerastutor.optimizers import Optimizer


# ---------------------------------------------------------------- the walk
def _is_saveable(value):
    return isinstance(value, (Layer, Optimizer))


def children(obj):
    """``(key, child)`` pairs in Keras's order; a child is an object or a list of them.

    A functional or Sequential model answers ``_layers_for_saving()`` with its
    ``layers`` list (saved first, under ``layers/``); everything else is found
    in the object's public attributes.
    """
    graph_layers = getattr(obj, "_layers_for_saving", None)
    layers = graph_layers() if graph_layers is not None else None
    if layers is not None:
        yield "layers", list(layers)
    for attr in sorted(vars(obj)):
        if attr.startswith("_"):
            continue
        value = getattr(obj, attr)
        if _is_saveable(value):
            yield attr, value
        elif isinstance(value, (list, tuple)) and value and all(map(_is_saveable, value)):
            yield attr, list(value)
    # Keras walks private attributes too, after the public ones; the few that hold
    # a saved object are named by their class (TextVectorization's _lookup_layer).
    for attr in getattr(obj, "_saved_private_attributes", ()):
        value = getattr(obj, attr, None)
        if _is_saveable(value):
            yield attr, value


def has_own_store(obj):
    """Does the layer write its state itself (``save_own_variables``), as the
    lookup layers do with their tf-idf weights (``vars/idf_weights``)?"""
    return not isinstance(obj, Optimizer) and \
        callable(getattr(obj, "save_own_variables", None))


def own_variables(obj):
    """The arrays an object stores under its own ``vars`` group, in Keras's order."""
    if isinstance(obj, Optimizer):
        return None                      # the optimizer reads and writes its own state
    return list(obj._trainable_weights) + list(obj._non_trainable_weights)


def walk(root):
    """Every ``(path, object)`` of the saved tree, each object once, parents first."""
    visited = set()

    def visit(obj, path):
        if id(obj) in visited:
            return
        visited.add(id(obj))
        yield path, obj
        for key, child in children(obj):
            if isinstance(child, list):
                yield from visit_container(child, _join(path, key))
            else:
                yield from visit(child, _join(path, key))

    def visit_container(items, path):
        used = {}
        for item in items:
            name = snake_case(type(item).__name__)
            if name in used:
                used[name] += 1
                name = f"{name}_{used[name]}"
            else:
                used[name] = 0
            yield from visit(item, _join(path, name))

    yield from visit(root, "")


def _join(path, key):
    return f"{path}/{key}" if path else key


def _vars_path(path):
    return _join(path, "vars")


# ---------------------------------------------------------------- writing
def write_weights(model, h5file):
    """Write ``model``'s weights (and its optimizer's state, once built) to an open h5py File."""
    for path, obj in walk(model):
        if isinstance(obj, Optimizer) and not obj.built:
            continue
        group = h5file.create_group(_vars_path(path))
        group.attrs["name"] = obj.name
        if isinstance(obj, Optimizer):
            obj.save_own_variables(group)
            continue
        if has_own_store(obj):
            store = {}
            obj.save_own_variables(store)
            for key, value in store.items():
                group.create_dataset(str(key), data=np.asarray(value))
            continue
        for index, weight in enumerate(own_variables(obj)):
            group.create_dataset(str(index), data=np.asarray(weight.value))


# ---------------------------------------------------------------- reading
def read_weights(model, h5file, skip_mismatch=False, source="the weights file"):
    """Check every weight in ``h5file`` against ``model``, then assign them all.

    With ``skip_mismatch=True`` a layer whose weights do not fit is left as
    it is (with a warning) instead of failing the whole load.
    """
    assignments, optimizer_states, own_stores = [], [], []
    for path, obj in walk(model):        # 1. read and check everything ...
        if isinstance(obj, Optimizer):
            state = optimizer_arrays(h5file, path, obj, model, source)
            if state is not None:
                optimizer_states.append((obj, state))
            continue
        if has_own_store(obj):
            own_stores.append((obj, _own_store(h5file, path, obj, source)))
            continue
        expected = own_variables(obj)
        try:
            assignments += _checked_arrays(h5file, path, obj, expected, source)
        except WeightsFileError as err:
            if not skip_mismatch:
                raise
            backend.warn_user(f"Skipping loading weights for layer '{obj.name}': {err}")
    for weight, array in assignments:    # 2. ... and only then change the model
        weight.assign(array)
    for optimizer, state in optimizer_states:
        optimizer.load_own_variables(state)
    for obj, store in own_stores:
        obj.load_own_variables(store)


def _own_store(h5file, path, obj, source):
    """The named arrays of a layer that keeps its own state, read and checked.

    What the layer asks for is up to its ``load_own_variables`` (a missing
    key is reported by name); each array must be numeric and finite.
    """
    where = _vars_path(path)
    group = _group_if_present(h5file, where, source)
    store = _NamedArrays(obj, where, source)
    for key in (names(group, where, source) if group is not None else []):
        dataset = open_dataset(group, key, source, where=f"{where}/{key}")
        if dataset.dtype.kind not in "fiub":
            raise WeightsFileError(f"{source}: '{where}/{key}' holds {dataset.dtype} data, "
                                   f"not numbers, for layer '{obj.name}'.")
        array = np.asarray(read_array(dataset, f"{where}/{key}", source))
        if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
            raise WeightsFileError(f"Layer '{obj.name}': '{where}/{key}' in {source} "
                                   "contains NaN or infinity; refusing to load it.")
        store[key] = array
    return store


class _NamedArrays(dict):
    """A layer's stored arrays by name; asking for one that is absent names the path."""

    def __init__(self, obj, where, source):
        super().__init__()
        self.obj, self.where, self.source = obj, where, source

    def __missing__(self, key):
        raise WeightsFileError(
            f"Layer '{self.obj.name}' needs '{self.where}/{key}', which {self.source} does "
            "not hold. Hint: the file must come from a model with the same architecture "
            "(here: the same output_mode).")


def _checked_arrays(h5file, path, obj, expected, source):
    where = _vars_path(path)
    group = _group_if_present(h5file, where, source)
    stored = sorted(names(group, where, source), key=_as_index(where, source)) if group is not None else []
    if len(stored) != len(expected):
        if not expected and not stored:
            return []
        built = "" if getattr(obj, "built", True) else \
            " The layer was never built, so it has no variables yet: build the model first."
        raise WeightsFileError(
            f"Layer '{obj.name}' expected {len(expected)} variables "
            f"({[w.name for w in expected]}), but {source} has {len(stored)} at '{where}'."
            f"{built} Hint: the file must come from a model with the same architecture.")
    pairs = []
    for key, weight in zip(stored, expected):
        dataset = open_dataset(group, key, source, where=f"{where}/{key}")
        if tuple(dataset.shape) != tuple(weight.shape):
            raise WeightsFileError(
                f"Layer '{obj.name}': weight '{weight.name}' has shape {tuple(weight.shape)}, "
                f"but {source} holds shape {tuple(dataset.shape)} at '{where}/{key}'. Hint: "
                "the saved model had different layer sizes.")
        if dataset.dtype.kind not in "fiub":
            raise WeightsFileError(f"{source}: '{where}/{key}' holds {dataset.dtype} data, "
                                   f"not numbers, for weight '{weight.name}' of layer "
                                   f"'{obj.name}'.")
        array = np.asarray(read_array(dataset, f"{where}/{key}", source),
                           dtype=weight.value.dtype)
        if not np.all(np.isfinite(array)):
            raise WeightsFileError(f"Layer '{obj.name}': weight '{weight.name}' in {source} "
                                   "contains NaN or infinity; refusing to load it.")
        pairs.append((weight, array))
    return pairs


def optimizer_arrays(h5file, path, optimizer, model, source):
    """The optimizer's saved state, read and checked; ``None`` if there is none to load.

    A file whose optimizer has a different number of variables only warns, as
    in Keras: the model loads and the optimizer starts afresh.
    """
    where = _vars_path(path)
    group = _group_if_present(h5file, where, source)
    if group is None:
        return None
    if not optimizer.built:
        optimizer.build(model.trainable_weights)
    datasets = {}
    for key in sorted(names(group, where, source), key=_as_index(where, source)):
        dataset = open_dataset(group, key, source, where=f"{where}/{key}")
        if dataset.dtype.kind not in "fiub":
            raise WeightsFileError(f"{source}: optimizer variable '{where}/{key}' is not a "
                                   "numeric array.")
        datasets[key] = dataset
    expected = optimizer.variables
    if len(datasets) != len(expected):
        backend.warn_user(
            f"Skipping variable loading for optimizer '{optimizer.name}': it has "
            f"{len(expected)} variables but the saved one has {len(datasets)}.")
        return None
    state = {}
    for key, current in zip(sorted(datasets, key=int), expected):
        if tuple(datasets[key].shape) != tuple(np.shape(current)):
            raise WeightsFileError(
                f"{source}: optimizer variable {key} has shape {tuple(datasets[key].shape)}, "
                f"expected {tuple(np.shape(current))}. Hint: the optimizer state belongs "
                "to a model with different weights.")
        state[key] = read_state(datasets[key], current, f"{where}/{key}", source)
    return state


def _as_index(where, source):
    def key(name):
        if not name.isdigit():
            raise WeightsFileError(f"{source}: unexpected entry '{where}/{name}'; variables "
                                   "are stored as '0', '1', ...")
        return int(name)
    return key


def _group_if_present(h5file, where, source):
    """The group at ``where``, or ``None`` when a name on the way is absent; links are refused.

    Walked name by name with :func:`.h5_guard.child` (imported as ``hard_child``),
    not looked up whole: ``h5file[where]`` would follow an external link on the way.
    """
    node = h5file
    for name in where.split("/"):
        if not hasattr(node, "get") or not has_link(node, name, source, where):
            return None
        node = hard_child(node, name, source, where)
    if not hasattr(node, "keys"):
        raise WeightsFileError(f"{source}: '{where}' should be a group of variables, found "
                               "an array.")
    return node
