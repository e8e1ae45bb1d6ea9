"""Saving and loading models: ``model.save``, ``keras.models.load_model``, weights files.

Three promises, in order of importance:

1. **A save never destroys what was there.** Every file is written beside its
   target and renamed into place only when complete (:mod:`.atomic`).
2. **A load never runs code from the file.** Layer, loss and optimizer
   classes are looked up by name -- among kerastutor's own, the ones you
   registered with :func:`register_keras_serializable`, and the
   ``custom_objects`` you pass. Keras can store a Python lambda's bytecode;
   kerastutor refuses to execute it even with ``safe_mode=False``.
3. **The formats are Keras 3's**, so models move between Keras and
   kerastutor: ``.keras`` archives (:mod:`.keras_archive`) and
   ``.weights.h5`` files (:mod:`.weights_h5`).
"""
import contextlib
import io
import os

import numpy as np

import kerastutor.layers.base as layer_base
import kerastutor.layers.serialization as layer_serialization
from kerastutor import backend, losses, metrics, optimizers
from kerastutor.registry import (CustomObjectScope, custom_object_scope,
                                 deserialize_keras_object, get_custom_objects,
                                 get_registered_name, get_registered_object,
                                 register_keras_serializable, serialize_keras_object,
                                 user_objects)
from kerastutor.saving import assets as model_assets
from kerastutor.saving import h5_guard, legacy_h5
from kerastutor.saving.atomic import atomic_write, check_overwrite
from kerastutor.saving.keras_archive import ArchiveError, ArchiveReader, metadata, \
    write_archive
from kerastutor.saving.weights_h5 import (WeightsFileError, optimizer_arrays, read_weights,
                                          write_weights)

__all__ = ["save_model", "load_model", "save_weights", "load_weights",
           "register_keras_serializable", "get_registered_object", "get_registered_name",
           "get_custom_objects", "custom_object_scope", "CustomObjectScope",
           "serialize_keras_object", "deserialize_keras_object",
           "model_to_config", "model_from_config"]


# ================================================================ whole models
def save_model(model, filepath, overwrite=True, **kwargs):
    """Write ``model`` -- architecture, weights, compile settings, optimizer state.

    ``filepath`` ends in ``.keras`` (Keras 3's format) or ``.h5`` (the legacy
    HDF5 format of Keras 2, which Keras 3 still reads and writes).

    ``include_optimizer=False`` (a keyword argument, as in Keras) leaves the
    compile settings and the optimizer's state out of an ``.h5`` file: it
    loads as an uncompiled model. A ``.keras`` file always holds them (Keras 3
    accepts the argument there and ignores it; kerastutor says so in a
    warning).
    """
    filepath = os.fspath(filepath)
    _check_save_format(filepath, kwargs.pop("save_format", None))
    include_optimizer = kwargs.pop("include_optimizer", True)
    if kwargs:
        raise ValueError(f"save_model: unexpected arguments {sorted(kwargs)}.")
    if filepath.endswith((".h5", ".hdf5")):
        _warn_if_unbuilt(model)
        backend.warn_user(
            "You are saving your model as an HDF5 file via `model.save()` or "
            "`keras.saving.save_model(model)`. This file format is considered legacy. We "
            "recommend using instead the native Keras format, e.g. "
            "`model.save('my_model.keras')` or `keras.saving.save_model(model, "
            "'my_model.keras')`.")
        check_overwrite(filepath, overwrite)
        _save_legacy_h5(model, filepath, include_optimizer)
        return
    if not filepath.endswith(".keras"):
        raise ValueError(f"save_model: the file name must end in .keras (or .h5, the legacy "
                         f"format), got {filepath!r}. Hint: model.save('my_model.keras'); "
                         "Keras 2's SavedModel folder (a name without an extension) is gone.")
    if not include_optimizer:
        backend.warn_user(
            "save_model: include_optimizer=False has no effect on a .keras file: Keras 3 "
            "always saves the compile settings and the optimizer's state there. To leave "
            "them out, save to .h5, or save the weights alone with "
            "model.save_weights('name.weights.h5').")
    _warn_if_unbuilt(model)
    check_overwrite(filepath, overwrite)
    config = model_to_config(model)
    weights = io.BytesIO()
    _write_h5(model, weights)
    assets = model_assets.collect_assets(model)      # {} unless a layer has some
    with atomic_write(filepath) as temporary:
        write_archive(temporary, config, metadata(), weights.getvalue(), assets)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild a model saved by ``model.save`` (here or in Keras 3).

    Parameters
    ----------
    filepath : str or path
        A ``.keras`` file, or a legacy ``.h5`` model file.
    custom_objects : dict, optional
        Your own classes and functions by name: ``{"MyLayer": MyLayer}``.
    compile : bool
        Restore the compile settings and the optimizer's state (default).
    safe_mode : bool
        Kept for Keras compatibility. kerastutor is always safe: it never
        executes code stored in a file.
    """
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"load_model: no file at {filepath!r}.")
    if filepath.endswith((".h5", ".hdf5")):
        return _load_legacy_h5(filepath, custom_objects, compile, safe_mode)
    reader = ArchiveReader(filepath)
    try:
        config = reader.read_json("config.json")
        weights_size = reader.members["model.weights.h5"].file_size
        with _malformed_file_errors(filepath), _weight_budget(weights_size):
            model = model_from_config(config, custom_objects, safe_mode, source=filepath)

        def read(h5file):
            _read_h5(model, h5file, source=f"{filepath} (model.weights.h5)", skip=False)
            if compile and config.get("compile_config"):
                _compile_from_config(model, config["compile_config"], custom_objects, filepath)
                read_weights_only_optimizer(model, h5file, filepath)   # if the file has one

        with _malformed_file_errors(filepath):
            reader.read_weights(_weights_size_limit(model), read)
            model_assets.load_assets(model, reader)     # after the weights, as in Keras
    finally:
        reader.close()
    return model


def read_weights_only_optimizer(model, h5file, source):
    """The optimizer state of a freshly compiled model, from the ``optimizer`` group."""
    state = optimizer_arrays(h5file, "optimizer", model.optimizer, model, source)
    if state is not None:
        model.optimizer.load_own_variables(state)


# ================================================================ weights only
def save_weights(model, filepath, overwrite=True):
    """Write the weights (and a built optimizer's state) to ``name.weights.h5``."""
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: "
                         f"filepath={filepath}. Hint: model.save_weights('model.weights.h5'); "
                         "to save the whole model use model.save('model.keras').")
    _require_built(model, "save_weights")
    check_overwrite(filepath, overwrite)
    with atomic_write(filepath) as temporary:
        _write_h5(model, temporary)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Load weights saved by ``save_weights`` (``.weights.h5``) or inside a ``.keras`` file."""
    filepath = os.fspath(filepath)
    if kwargs:
        raise ValueError(f"load_weights: unexpected arguments {sorted(kwargs)}.")
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"load_weights: no file at {filepath!r}.")
    _require_built(model, "load_weights")
    if filepath.endswith(".keras"):
        reader = ArchiveReader(filepath)
        try:
            with _malformed_file_errors(filepath):
                reader.read_weights(_weights_size_limit(model), lambda h5file: _read_h5(
                    model, h5file, f"{filepath} (model.weights.h5)", skip_mismatch))
        finally:
            reader.close()
        return
    if not filepath.endswith((".weights.h5", ".h5", ".hdf5")):
        raise ValueError(f"load_weights: expected a .weights.h5, .keras or legacy .h5 file, "
                         f"got {filepath!r}.")

    def read(h5file):
        if filepath.endswith(".weights.h5"):
            _read_h5(model, h5file, filepath, skip_mismatch)
        else:                        # legacy: weights by layer order, under model_weights
            nested = not h5_guard.has_attribute(h5file, "layer_names", filepath) and \
                h5_guard.has_link(h5file, "model_weights", filepath)
            group = legacy_h5.model_weights(h5file, filepath) if nested else h5file
            legacy_h5.read_layer_weights(model, group, filepath)

    _read_h5_file(filepath, read)


def _read_h5_file(filepath, read):
    """``read(h5file)`` on an HDF5 file from outside, done first by a child (h5_guard)."""
    import h5py        # here, not at the top: h5py is heavy and only files need it

    def open_file():
        try:
            return h5py.File(filepath, "r")
        except (OSError, ValueError) as err:
            raise WeightsFileError(f"{filepath} is not a readable HDF5 file ({err}).") \
                from None

    with _malformed_file_errors(filepath):
        return h5_guard.isolated(open_file, read, filepath, os.path.getsize(filepath))


def _save_legacy_h5(model, filepath, include_optimizer=True):
    import h5py        # heavy, and only the legacy format needs it here
    config = model_to_config(model)
    with atomic_write(filepath) as temporary, h5py.File(temporary, "w") as h5file:
        legacy_h5.write_model(model, h5file, config, config.get("compile_config") or None,
                              include_optimizer)


def _load_legacy_h5(filepath, custom_objects, compile, safe_mode):
    """A Keras 2/3 ``model.h5``: config in attributes, weights in ``model_weights`` by order."""

    def read(h5file):
        model_config = legacy_h5.read_json_attribute(h5file, "model_config", filepath)
        if model_config is None or not h5_guard.has_link(h5file, "model_weights", filepath):
            raise WeightsFileError(
                f"{filepath} holds no model (no model_config attribute or model_weights "
                "group); it may be a weights-only file. Hint: build the model in code and "
                "call model.load_weights() on it.")
        with _weight_budget(os.path.getsize(filepath)):
            model = model_from_config(model_config, custom_objects, safe_mode,
                                      source=filepath)
        legacy_h5.read_layer_weights(model, legacy_h5.model_weights(h5file, filepath),
                                     filepath)
        training = legacy_h5.read_json_attribute(h5file, "training_config", filepath)
        if compile and not training:
            backend.warn_user("No training configuration found in the save file, so the "
                              "model was *not* compiled. Compile it manually: "
                              "model.compile(optimizer=..., loss=...).")
        if compile and training:
            training = dict(training)
            optimizer = training.pop("optimizer_config", None) or "rmsprop"
            _compile_from_config(model, dict(training, optimizer=optimizer), custom_objects,
                                 filepath)
            legacy_h5.read_optimizer_weights(model, h5file, filepath)
        return model

    return _read_h5_file(filepath, read)


def model_to_config(model):
    """``config.json``'s content: Keras's record of the model.

    ``{"module", "class_name", "config", "registered_name", "build_config",
    "compile_config"}`` -- the same record ``serialize_keras_object(model)``
    and ``model.to_json()`` give. ``compile_config`` is ``{}`` for a model
    that was never compiled, as Keras writes it.
    """
    return serialize_keras_object(model)


def model_from_config(config, custom_objects=None, safe_mode=True, source="config"):
    """Rebuild (and build) the model ``config.json`` describes, looking classes up by name.

    The class is looked up in the registry's layer catalog, where the model
    classes are once :mod:`kerastutor.models` is imported (saving sits below
    models and never imports them), or among your registered classes.
    """
    if "class_name" not in config or not isinstance(config.get("config"), dict):
        raise ArchiveError(f"{source}: config.json has no model config (expected keys "
                           "'class_name' and 'config').")
    try:
        cls = layer_serialization.class_for(config, custom_objects)
    except ValueError as err:
        raise ValueError(f"{source}: {err}") from None
    builtin = layer_base.CATALOG.is_builtin(cls)
    try:
        # As Keras: inside from_config, every lookup (an activation given by name
        # deep inside a layer's config) also sees the custom_objects passed here.
        with custom_object_scope(user_objects(custom_objects)):
            model = cls.from_config(config["config"], custom_objects=custom_objects) \
                if builtin else cls.from_config(config["config"])
    except ArchiveError:
        raise
    except ValueError as err:          # the cause is known: say which file it is in
        raise ArchiveError(f"{source}: {err}") from None
    except (KeyError, TypeError, IndexError, AttributeError) as err:
        raise ArchiveError(f"{source}: the model config is incomplete or malformed "
                           f"({type(err).__name__}: {err}).") from None
    build = config.get("build_config") or {}
    if not model.built and build.get("input_shape") is not None:
        with custom_object_scope(user_objects(custom_objects)):
            _build(model, build["input_shape"], source)
    return model


def _build(model, shape, source):
    if not isinstance(shape, list) or not all(d is None or isinstance(d, int) for d in shape):
        raise ArchiveError(f"{source}: build_config input_shape {shape!r} is not a shape.")
    model.build_from_config({"input_shape": shape})


def compile_config(model):
    """The arguments ``model.compile`` was given, as Keras's ``compile_config`` records them."""
    spec = model._compile_config

    def loss_entry(loss):
        return loss if loss is None or isinstance(loss, str) else losses.serialize(
            losses.get(loss))

    def metric_entry(metric):
        if isinstance(metric, str) or metric is None:
            return metric
        if isinstance(metric, (list, tuple)):
            return [metric_entry(m) for m in metric]
        if isinstance(metric, dict):
            return {k: metric_entry(v) for k, v in metric.items()}
        return metrics.serialize(metrics.get(metric))

    loss = spec["loss"]
    if isinstance(loss, dict):
        loss = {k: loss_entry(v) for k, v in loss.items()}
    elif isinstance(loss, (list, tuple)):
        loss = [loss_entry(v) for v in loss]
    else:
        loss = loss_entry(loss)
    extra = getattr(model, "_compile_args", {})
    return {"optimizer": optimizers.serialize(model.optimizer), "loss": loss,
            "loss_weights": spec["loss_weights"], "metrics": metric_entry(spec["metrics"]),
            "weighted_metrics": metric_entry(spec["weighted_metrics"]),
            "run_eagerly": extra.get("run_eagerly", False),
            "steps_per_execution": extra.get("steps_per_execution", 1),
            "jit_compile": extra.get("jit_compile", "auto") is True}   # "auto": no JIT here


def compile_from_config(model, config, custom_objects=None):
    """Compile ``model`` as a saved ``compile_config`` says (``model.compile_from_config``)."""
    _compile_from_config(model, config, custom_objects)


def _compile_from_config(model, compile_config, custom_objects, source="config"):
    """Compile ``model`` as ``compile_config`` says; a refusal says it was the compile config."""
    try:
        _check_compile_config(compile_config)
        _compile_checked(model, compile_config, custom_objects)
    except ValueError as err:
        raise ArchiveError(f"{source}: compile_config: {err} Hint: load_model(..., compile=False) "
                           "loads the model without its compile settings.") from None


def _check_compile_config(compile_config):
    """The types Keras writes: a dict; names or records for the optimizer, losses, metrics."""
    if not isinstance(compile_config, dict):
        raise ValueError(f"expected a dict, got {type(compile_config).__name__}.")
    _check_named_objects("optimizer", compile_config.get("optimizer"), nested=False)
    for key in ("loss", "metrics", "weighted_metrics"):
        _check_named_objects(key, compile_config.get(key), nested=True)


def _check_named_objects(key, value, nested):
    """``value`` is None, a name, a Keras record -- or, if ``nested``, lists/dicts of those."""
    if value is None or isinstance(value, str):
        return
    if isinstance(value, dict) and "class_name" in value:
        module = value.get("module")
        a_function_by_name = module == "builtins" and value["class_name"] == "function"
        if module is not None and not str(module).startswith("keras") \
                and not a_function_by_name:
            raise ValueError(
                f"{key}: unknown class {value['class_name']!r} (module {module!r}); kerastutor "
                "builds only its own classes and the ones you register.")
        return
    if nested and isinstance(value, (list, dict)):
        for item in (value.values() if isinstance(value, dict) else value):
            _check_named_objects(key, item, nested)
        return
    raise ValueError(f"{key} must be a name or a Keras record {{'class_name': ..., "
                     f"'config': ...}}, got {value!r}.")


def _compile_checked(model, compile_config, custom_objects):

    def loss_entry(value):
        return losses.deserialize(value, custom_objects) if isinstance(value, dict) else value

    def metric_entry(value):
        if isinstance(value, list):
            return [metric_entry(v) for v in value]
        if isinstance(value, dict) and "class_name" in value:
            return metrics.deserialize(value, custom_objects)
        if isinstance(value, dict):
            return {k: metric_entry(v) for k, v in value.items()}
        return value

    loss = compile_config.get("loss")
    if isinstance(loss, dict) and "class_name" not in loss:
        loss = {k: loss_entry(v) for k, v in loss.items()}
    elif isinstance(loss, list):
        loss = [loss_entry(v) for v in loss]
    else:
        loss = loss_entry(loss)
    optimizer = compile_config.get("optimizer", "rmsprop")
    model.compile(optimizer=optimizers.deserialize(optimizer) if isinstance(optimizer, dict)
                  else optimizer, loss=loss, loss_weights=compile_config.get("loss_weights"),
                  metrics=metric_entry(compile_config.get("metrics")),
                  weighted_metrics=metric_entry(compile_config.get("weighted_metrics")))


# ================================================================ helpers
#: What a damaged or hostile file can make the rebuilding code raise, besides the
#: ValueErrors with their own explanations: reported as "damaged file", never as a crash.
_MALFORMED = (TypeError, KeyError, IndexError, AttributeError, RecursionError,
              OverflowError, OSError, EOFError, ZeroDivisionError, UnicodeError,
              RuntimeError)        # h5py reports some damaged structures as RuntimeError


@contextlib.contextmanager
def _malformed_file_errors(filepath):
    try:
        yield
    except (FileNotFoundError, FileExistsError):
        raise
    except _MALFORMED as err:
        raise ArchiveError(f"{filepath}: the file is damaged, or was not written by Keras or "
                           f"kerastutor ({type(err).__name__}: {err}).") from None


@contextlib.contextmanager
def _weight_budget(n_bytes):
    """Weights created while rebuilding may total at most what the file stores."""
    layer_base._WEIGHT_BUDGET.remaining = n_bytes
    try:
        yield
    finally:
        layer_base._WEIGHT_BUDGET.remaining = None


def _write_h5(model, target):
    import h5py        # heavy: imported when a file is written, not with kerastutor
    with h5py.File(target, "w") as h5file:
        write_weights(model, h5file)


def _read_h5(model, h5file, source, skip):
    read_weights(model, h5file, skip_mismatch=skip, source=source)


def _weights_size_limit(model):
    """The most bytes a weights file for this model can need: weights, optimizer slots, slack."""
    weight_bytes = sum(np.asarray(w.value).nbytes for w in model.weights)
    return 6 * weight_bytes + 16 * 2**20


def _check_save_format(filepath, save_format):
    """Keras 2's ``save_format=``: Keras 3 tells the format from the file name instead."""
    if not save_format:
        return
    if filepath.endswith((".keras", ".h5", ".hdf5")):
        backend.warn_user(
            "The `save_format` argument is deprecated in Keras 3. We recommend removing this "
            "argument as it can be inferred from the file path. "
            f"Received: save_format={save_format}")
        return
    raise ValueError(
        "The `save_format` argument is deprecated in Keras 3. Please remove this argument and "
        "pass a file path with either `.keras` or `.h5` extension. "
        f"Received: save_format={save_format}. Fix: model.save('my_model.keras').")


def _warn_if_unbuilt(model):
    """Keras saves a model that was never built (its config, no weights) and warns."""
    if not model.built:
        backend.warn_user(
            "You are saving a model that has not yet been built. It might not contain any "
            "weights yet. Consider building the model first by calling it on some data. "
            "Fix: start it with keras.Input(shape=...), or call model.build((None, ...)).")


def _require_built(model, what):
    if not model.built:
        raise ValueError(f"{what}: model {model.name!r} has not been built yet, so it has no "
                         "weights. Hint: build it first -- call it on data, fit it, or give "
                         "its first layer an input shape (keras.Input(shape=...)).")


def json_shape(shape):
    """A shape (or a list of shapes) as JSON writes it: lists, with None for unknown sizes."""
    if isinstance(shape, list) and shape and isinstance(shape[0], (list, tuple)):
        return [json_shape(s) for s in shape]
    return [None if d is None else int(d) for d in shape]
