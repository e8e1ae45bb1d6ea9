"""The legacy HDF5 model file (``model.save("model.h5")``), as Keras 2 and Keras 3 write it.

One HDF5 file holds everything, in attributes and groups::

    attrs: keras_version, backend,
           model_config     JSON {"class_name": "Sequential", "config": {...}}
           training_config  JSON of the compile settings, with "optimizer_config"
    model_weights/                attrs: layer_names (every layer, in model order)
        dense/                    attrs: weight_names ["sequential/dense/kernel", ...]
            sequential/dense/kernel   (a dataset at the weight's path)
            sequential/dense/bias
        top_level_model_weights/  attrs: weight_names [] (always there, always empty)
    optimizer_weights/            attrs: weight_names (optimizer variables, in order)

**Weights load by order, not by name.** The loader keeps the model layers that
have weights and the file's layers whose ``weight_names`` is not empty; the
counts must match, and the i-th layer of one gets the arrays of the i-th of
the other, in ``weight_names`` order, each checked for its shape. That is
why a Keras 2 file, whose weight names look different
(``dense/kernel:0``), loads just as well.

The reader follows the same rules as the ``.keras`` one (:mod:`.h5_guard`):
everything is checked before anything is assigned, links are not followed,
only the datasets ``weight_names`` lists are read and only from the file
itself (no external storage, no virtual datasets), attributes are read with a
size bound, a file cannot make the model allocate more than it stores, and no
code is ever run.
"""
import json

import numpy as np

from kerastutor import backend
from kerastutor.saving.h5_guard import (WeightsFileError, child, has_attribute, has_link,
                                        open_dataset, read_array, read_attribute, read_state,
                                        text)

KERAS_VERSION = "3.15.1"
ATTRIBUTE_LIMIT = 64512          # HDF5 attribute size limit Keras splits lists at


# ================================================================ writing
def write_model(model, h5file, model_config, compile_config, include_optimizer=True):
    """Fill an open, empty h5py File with the legacy layout (without ``training_config``
    and ``optimizer_weights`` when not ``include_optimizer``, as Keras writes it)."""
    h5file.attrs["keras_version"] = KERAS_VERSION
    h5file.attrs["backend"] = "numpy"
    h5file.attrs["model_config"] = json.dumps(
        {"class_name": model_config["class_name"], "config": _legacy(model_config["config"])})
    weights_group = h5file.create_group("model_weights")
    write_layer_weights(model, weights_group)
    if not include_optimizer:
        return
    if compile_config is not None:
        training = {k: v for k, v in compile_config.items() if k != "optimizer"}
        training["optimizer_config"] = {"class_name": compile_config["optimizer"]["class_name"],
                                        "config": compile_config["optimizer"]["config"]}
        h5file.attrs["training_config"] = json.dumps(training)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and optimizer.built:
        group = h5file.create_group("optimizer_weights")
        names = [n if "/" in n else f"{optimizer.name}/{n}" for n in optimizer.variable_names]
        _write_names(group, "weight_names", names)
        for name, value in zip(names, optimizer.variables):
            group.create_dataset(name, data=np.asarray(value))


def write_layer_weights(model, group):
    layers = list(model.layers)
    _write_names(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = "numpy"
    group.attrs["keras_version"] = KERAS_VERSION
    for layer in sorted(layers, key=lambda layer: layer.name):
        layer_group = group.create_group(layer.name)
        paths = [f"{model.name}/{w.path}" for w in layer.weights]
        _write_names(layer_group, "weight_names", paths)
        for path, weight in zip(paths, layer.weights):
            layer_group.create_dataset(path, data=np.asarray(weight.value))
    top = group.create_group("top_level_model_weights")
    _write_names(top, "weight_names", [])


def _legacy(config):
    """Keras's legacy config: the model's layer entries lose ``module``,
    ``registered_name`` and ``build_config``; what is inside each layer's own
    config (its DTypePolicy, a wrapped layer) stays as it is."""
    config = dict(config)
    if isinstance(config.get("layers"), list):
        config["layers"] = [
            {k: v for k, v in entry.items()
             if k not in ("module", "registered_name", "build_config")}
            if isinstance(entry, dict) else entry
            for entry in config["layers"]]
    return config


def _write_names(group, key, names):
    """A list of strings as an attribute, split into ``key0``, ``key1``... when too long."""
    encoded = [n.encode("utf8") for n in names]
    chunks, current, size = [], [], 0
    for item in encoded:
        if current and size + len(item) > ATTRIBUTE_LIMIT:
            chunks.append(current)
            current, size = [], 0
        current.append(item)
        size += len(item)
    chunks.append(current)
    if len(chunks) == 1:
        group.attrs[key] = np.array(chunks[0], dtype="S") if chunks[0] else np.zeros(0, "S1")
        return
    for index, chunk in enumerate(chunks):
        group.attrs[f"{key}{index}"] = np.array(chunk, dtype="S")


# ================================================================ reading
def read_json_attribute(h5file, key, source):
    if not has_attribute(h5file, key, source):
        return None
    value = read_attribute(h5file, key, source)
    if isinstance(value, (bytes, str)):
        value = text(value, key, source)
    if not isinstance(value, str):
        raise WeightsFileError(f"{source}: attribute {key!r} should be JSON text, found "
                               f"{type(value).__name__}.")
    try:
        parsed = json.loads(value)
    except (json.JSONDecodeError, RecursionError) as err:
        raise WeightsFileError(f"{source}: attribute {key!r} is not valid JSON ({err}).") \
            from None
    if not isinstance(parsed, dict):
        raise WeightsFileError(f"{source}: attribute {key!r} should hold a JSON object.")
    return parsed


def read_names(group, key, source):
    """A string-list attribute, joining Keras's ``key0``, ``key1``, ... chunks."""
    if has_attribute(group, key, source):
        chunks = [read_attribute(group, key, source)]
    else:
        chunks, index = [], 0
        while has_attribute(group, f"{key}{index}", source):
            chunks.append(read_attribute(group, f"{key}{index}", source))
            index += 1
    names = []
    for chunk in chunks:
        for item in np.atleast_1d(chunk):
            if isinstance(item, (bytes, str)):
                item = text(item, key, source)
            if not isinstance(item, str):
                raise WeightsFileError(f"{source}: attribute {key!r} should list names, "
                                       f"found {type(item).__name__}.")
            names.append(item)
    return names


def model_weights(h5file, source):
    """The ``model_weights`` group, reached without following a link out of the file."""
    return child(h5file, "model_weights", source)


def read_layer_weights(model, group, source):
    """Assign the file's weights to ``model``'s layers by order, after checking them all."""
    file_layers = []
    for name in read_names(group, "layer_names", source):
        layer_group = child(group, name, source, where=f"model_weights/{name}")
        weight_names = read_names(layer_group, "weight_names", source)
        if weight_names:
            file_layers.append((name, layer_group, weight_names))
    model_layers = [layer for layer in model.layers if layer.weights]
    if len(file_layers) != len(model_layers):
        raise WeightsFileError(
            f"Layer count mismatch when loading weights from {source}: the model has "
            f"{len(model_layers)} layers with weights ({[l.name for l in model_layers]}), "
            f"the file has {len(file_layers)} ({[name for name, _, _ in file_layers]}). "
            "Hint: the file must come from a model with the same architecture.")
    assignments = []
    for layer, (name, layer_group, weight_names) in zip(model_layers, file_layers):
        if len(weight_names) != len(layer.weights):
            raise WeightsFileError(
                f"Layer '{layer.name}' expects {len(layer.weights)} weights, but the saved "
                f"layer '{name}' in {source} has {len(weight_names)}.")
        for weight, path in zip(layer.weights, weight_names):
            dataset = open_dataset(layer_group, path, source, where=f"{name}/{path}")
            if dataset.dtype.kind not in "fiub":
                raise WeightsFileError(f"{source}: '{name}/{path}' is not a numeric array.")
            if tuple(dataset.shape) != tuple(weight.shape):
                raise WeightsFileError(
                    f"Layer '{layer.name}': weight '{weight.name}' has shape "
                    f"{tuple(weight.shape)}, but {source} holds shape {tuple(dataset.shape)} "
                    f"at '{name}/{path}'.")
            array = np.asarray(read_array(dataset, f"{name}/{path}", source),
                               dtype=weight.value.dtype)
            if not np.all(np.isfinite(array)):
                raise WeightsFileError(f"Layer '{layer.name}': weight '{weight.name}' in "
                                       f"{source} contains NaN or infinity.")
            assignments.append((weight, array))
    for weight, array in assignments:
        weight.assign(array)


def read_optimizer_weights(model, h5file, source):
    """Restore the optimizer's state when it fits; warn (as Keras does) when it does not."""
    if model.optimizer is None or not has_link(h5file, "optimizer_weights", source):
        return
    group = child(h5file, "optimizer_weights", source)
    names = read_names(group, "weight_names", source)
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_weights)
    expected = optimizer.variables
    if len(names) != len(expected):
        backend.warn_user(f"Error in loading the saved optimizer state from {source}: it has "
                      f"{len(names)} variables, the optimizer {len(expected)}. The optimizer "
                      "starts from scratch.")
        return
    arrays = []
    for name, current in zip(names, expected):
        where = f"optimizer_weights/{name}"
        dataset = open_dataset(group, name, source, where=where)
        if dataset.dtype.kind not in "fiub" or \
                tuple(dataset.shape) != tuple(np.shape(current)):
            raise WeightsFileError(f"{source}: optimizer variable '{name}' does not have the "
                                   f"shape {tuple(np.shape(current))}.")
        arrays.append(read_state(dataset, current, where, source))
    optimizer.set_variables(arrays)
