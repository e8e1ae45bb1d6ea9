"""Keras 2 spellings that Keras 3 removed, and what to write instead.

Most Keras tutorials and answers online were written for Keras 2 (or 1).
Keras 3 renamed or removed a few dozen of the names they use, and then
answers them with a bare ``AttributeError: module 'keras.utils' has no
attribute 'np_utils'``. kerastutor follows Keras 3, so the same names are
missing here too -- but each one listed on this page fails with a message
that says what Keras 3 calls it:

>>> import kerastutor as keras
>>> keras.utils.np_utils                        # doctest: +ELLIPSIS
Traceback (most recent call last):
  ...
AttributeError: module 'kerastutor.utils' has no attribute 'np_utils'. `keras.utils.np_utils` was removed in Keras 3: use `keras.utils.to_categorical` ...

The error *types* stay those Keras 3 raises (``AttributeError`` for a
missing attribute, ``ModuleNotFoundError`` for a missing module,
``ValueError`` for an unknown keyword argument), so ``except`` clauses and
``hasattr`` work as they do with Keras. Every name below was checked against
Keras 3.15.1: it is absent there (``keras.optimizers.legacy`` is a shell whose
optimizers refuse to be made), and ``tests/oracle`` keeps it so.

The tables, one per place a Keras 2 name turns up:

* :data:`LAYER_ARGUMENTS` (with :data:`LAYER_ARGUMENTS_OF` where one layer
  names it differently, e.g. ``Embedding``'s ``embeddings_initializer``),
  :data:`OPTIMIZER_ARGUMENTS` and :data:`TRAINING_ARGUMENTS` -- keyword
  arguments (``Dense(10, init='uniform')``, ``Adam(lr=0.01)``,
  ``fit(x, y, nb_epoch=5)``);
* :data:`MODEL_ATTRIBUTES` and :data:`OPTIMIZER_ATTRIBUTES` -- methods and
  attributes (``model.fit_generator``, ``optimizer.lr``);
* :data:`MODULE_ATTRIBUTES` -- names inside a module (``keras.layers.CuDNNLSTM``,
  ``keras.backend.set_value``);
* :data:`MODULES` -- import paths (``from keras.utils.np_utils import ...``).

This module imports nothing from kerastutor, so any module may use it.
"""
import importlib.abc
import sys

#: The phrase every message is built around.
REMOVED = "`{name}` was removed in Keras 3: {fix}"

# ====================================================================== arguments
#: Keyword arguments of layers: the Keras 1/2 name and the Keras 3 name that replaced it
#: (an identifier), or what to do instead (a sentence) where nothing replaced it.
LAYER_ARGUMENTS = {
    "init": "kernel_initializer",
    "inner_init": "recurrent_initializer",
    "W_regularizer": "kernel_regularizer",
    "b_regularizer": "bias_regularizer",
    "U_regularizer": "recurrent_regularizer",
    "W_constraint": "kernel_constraint",
    "b_constraint": "bias_constraint",
    "U_constraint": "recurrent_constraint",
    "bias": "use_bias",
    "output_dim": "units",
    "nb_filter": "filters",
    "filter_length": "kernel_size",
    "nb_row": "give both sizes in one argument: write `kernel_size=(nb_row, nb_col)`",
    "nb_col": "give both sizes in one argument: write `kernel_size=(nb_row, nb_col)`",
    "border_mode": "padding",
    "subsample": "strides",
    "subsample_length": "strides",
    "pool_length": "pool_size",
    "atrous_rate": "dilation_rate",
    "dim_ordering": ("write `data_format='channels_first'` for 'th' or "
                     "`data_format='channels_last'` for 'tf'"),
    "dropout_W": "dropout",
    "dropout_U": "recurrent_dropout",
    "forget_bias_init": ("write `unit_forget_bias=True` (the forget gate's bias starts at "
                         "1, Keras 2's 'one') or `unit_forget_bias=False`"),
    "consume_less": "leave it out: Keras 3 chooses how a recurrent layer computes",
    "beta_init": "beta_initializer",
    "gamma_init": "gamma_initializer",
    "input_dtype": "dtype",
    "input_length": ("the sequence length comes from the input's shape: start the model "
                     "with keras.Input(shape=(timesteps, features))"),
    "weights": ("set the initial weights once the layer is built: "
                "layer.set_weights([kernel, bias])"),
}

#: Where one layer's Keras 3 name differs from the general rename above.
LAYER_ARGUMENTS_OF = {
    "Embedding": {"init": "embeddings_initializer", "W_regularizer": "embeddings_regularizer",
                  "W_constraint": "embeddings_constraint"},
}

#: Keyword arguments of optimizers.
OPTIMIZER_ARGUMENTS = {
    "lr": "learning_rate",
}

#: Keyword arguments of Keras 2's ``fit``/``evaluate``/``predict``.
TRAINING_ARGUMENTS = {
    "nb_epoch": "epochs",
    "nb_val_samples": "validation_steps",
    "samples_per_epoch": "steps_per_epoch",
    "show_accuracy": "pass `metrics=['accuracy']` to `compile` instead",
    "max_queue_size": "give these to a keras.utils.PyDataset (`workers`, "
                      "`use_multiprocessing`, `max_queue_size`), not to the model",
    "workers": "give these to a keras.utils.PyDataset (`workers`, "
               "`use_multiprocessing`, `max_queue_size`), not to the model",
    "use_multiprocessing": "give these to a keras.utils.PyDataset (`workers`, "
                           "`use_multiprocessing`, `max_queue_size`), not to the model",
}


def refuse_arguments(method, kwargs, table, accepted, error=TypeError):
    """Python's ``TypeError`` for unexpected keyword arguments, with the Keras 3 way
    for those Keras 2 had. (Keras's ``evaluate`` takes ``**kwargs`` and raises
    ``ValueError("Arguments not recognized: ...")`` instead: ``error=ValueError``.)

    >>> refuse_arguments("fit", {"nb_epoch": 5}, TRAINING_ARGUMENTS, ["epochs"])
    Traceback (most recent call last):
    ...
    TypeError: fit() got an unexpected keyword argument 'nb_epoch'. `nb_epoch` was removed in Keras 3: write `epochs=5` instead.
    """
    if not kwargs:
        return
    name = next(iter(kwargs))
    hint = argument_hints({name: kwargs[name]}, table, accepted).get(name, "")
    if error is TypeError:
        message = f"{method}() got an unexpected keyword argument {name!r}."
    else:
        message = f"Arguments not recognized: {kwargs}."
    raise error(message + (f" {hint}" if hint else ""))


# ===================================================================== attributes
#: Model methods of Keras 2 and their Keras 3 way.
MODEL_ATTRIBUTES = {
    "fit_generator": "call `model.fit(generator, ...)` (fit takes a generator or a "
                     "keras.utils.PyDataset directly)",
    "evaluate_generator": "call `model.evaluate(generator, ...)`",
    "predict_generator": "call `model.predict(generator, ...)`",
    "predict_classes": "use `np.argmax(model.predict(x), axis=-1)` for a softmax output, "
                       "or `(model.predict(x) > 0.5).astype('int32')` for a sigmoid output",
    "predict_proba": "call `model.predict(x)`: it already gives the probabilities of a "
                     "softmax or sigmoid output",
    "to_yaml": "use `model.to_json()` (YAML was dropped: loading it could run code)",
    "_make_predict_function": "delete the call: predict needs nothing prepared",
}

#: Optimizer attributes of Keras 2.
OPTIMIZER_ATTRIBUTES = {
    "lr": "read or set `optimizer.learning_rate`",
    "get_updates": "call `optimizer.apply(grads, model.trainable_weights)`",
    "get_gradients": "take the gradients with `keras.GradientTape` and pass them to "
                     "`optimizer.apply(grads, weights)`",
}

_LAYERS_MOVED = ("the layers live in `keras.layers` itself: keras.layers.{examples}")

#: Names inside a module: ``{module: {name: fix}}``.
MODULE_ATTRIBUTES = {
    "kerastutor": {
        "engine": "its classes are `keras.Model`, `keras.layers.Layer`, `keras.Input` "
                  "and `keras.layers.InputSpec`",
        "objectives": "the losses are `keras.losses`",
        "initializations": "the initializers are `keras.initializers`",
    },
    "kerastutor.layers": {
        "CuDNNLSTM": "use `keras.layers.LSTM` (Keras 3 picks the cuDNN kernel itself when it "
                     "can; kerastutor has one NumPy implementation)",
        "CuDNNGRU": "use `keras.layers.GRU` (Keras 3 picks the cuDNN kernel itself when it "
                    "can; kerastutor has one NumPy implementation)",
        "Merge": "use a merging layer: `keras.layers.Concatenate`, `Add`, `Multiply`, "
                 "`Average`, `Maximum` or `Dot`",
        "merge": "use a merging layer (`keras.layers.Concatenate`, `Add`, ...) or its "
                 "function (`keras.layers.concatenate([a, b])`, `keras.layers.add`, ...)",
        "Deconvolution2D": "use `keras.layers.Conv2DTranspose`",
        "AtrousConvolution1D": "use `keras.layers.Conv1D(..., dilation_rate=r)`",
        "AtrousConvolution2D": "use `keras.layers.Conv2D(..., dilation_rate=r)`",
        "ThresholdedReLU": "use `keras.layers.ReLU(threshold=theta)`",
        "TimeDistributedDense": "use `keras.layers.Dense` (it acts on the last axis of a "
                                "(batch, time, features) input) or "
                                "`keras.layers.TimeDistributed(keras.layers.Dense(...))`",
        "LocallyConnected1D": "no layer replaces it; `keras.layers.Conv1D` shares one kernel "
                              "across positions, the usual choice",
        "LocallyConnected2D": "no layer replaces it; `keras.layers.Conv2D` shares one kernel "
                              "across positions, the usual choice",
        "DenseFeatures": "feature columns were TensorFlow-only; preprocess with layers such "
                         "as `keras.layers.Normalization` and `keras.layers.StringLookup`",
        "AbstractRNNCell": "subclass `keras.layers.Layer`, give it a `state_size`, and wrap "
                           "it in `keras.layers.RNN`",
        "experimental": "the preprocessing layers moved into `keras.layers` itself: "
                        "keras.layers.Rescaling, keras.layers.RandomFlip, ...",
        "recurrent": _LAYERS_MOVED.format(examples="LSTM, keras.layers.GRU, ..."),
        "advanced_activations": _LAYERS_MOVED.format(
            examples="LeakyReLU, keras.layers.PReLU, keras.layers.ELU, ..."),
        "embeddings": _LAYERS_MOVED.format(examples="Embedding"),
        "noise": _LAYERS_MOVED.format(examples="GaussianNoise, keras.layers.GaussianDropout"),
        "cudnn_recurrent": "use `keras.layers.LSTM` or `keras.layers.GRU`",
    },
    "kerastutor.utils": {
        "np_utils": "use `keras.utils.to_categorical` and `keras.utils.normalize` (its "
                    "functions live in keras.utils itself)",
        "vis_utils": "use `keras.utils.plot_model`",
        "generic_utils": "use `keras.utils.Progbar`, `keras.saving.get_custom_objects`, "
                         "`keras.saving.custom_object_scope` or "
                         "`keras.saving.register_keras_serializable`",
        "data_utils": "use `keras.utils.get_file` and `keras.utils.PyDataset` (Keras 2's "
                      "Sequence)",
        "all_utils": "the utilities live in `keras.utils` itself",
        "multi_gpu_model": "Keras 3 spreads a model over devices with "
                           "`keras.distribution.DataParallel` (JAX backend); kerastutor "
                           "trains on one device",
        "HDF5Matrix": "read the arrays with h5py (`h5py.File(path, 'r')['x'][:]`) or stream "
                      "them with a `keras.utils.PyDataset`",
        "OrderedEnqueuer": "give fit a `keras.utils.PyDataset(workers=..., "
                           "use_multiprocessing=...)`; it runs the workers",
        "GeneratorEnqueuer": "give fit the generator, or a `keras.utils.PyDataset(workers=...)`",
        "SequenceEnqueuer": "give fit a `keras.utils.PyDataset(workers=...)`",
    },
    "kerastutor.models": {
        "model_from_yaml": "use `keras.models.model_from_json(model.to_json())` (YAML was "
                           "dropped: loading it could run code)",
        "model_from_config": "use `keras.saving.deserialize_keras_object(config)`",
    },
    "kerastutor.backend": {
        "function": "call the model or layer on data (`model(x)`), or build "
                    "`keras.Model(model.inputs, layer.output)` to read an inner layer",
        "placeholder": "use `keras.Input(shape=...)`",
        "variable": "use `keras.Variable(value)`",
        "get_value": "read it with `np.array(v)` (a learning rate: "
                     "`optimizer.learning_rate`)",
        "set_value": "use `v.assign(value)` (a learning rate: "
                     "`optimizer.learning_rate = value`)",
        "batch_get_value": "read each with `np.array(v)`",
        "batch_set_value": "use `v.assign(value)` for each",
        "eval": "use `keras.ops.convert_to_numpy(x)`",
        "int_shape": "use `x.shape` (or `keras.ops.shape(x)`)",
        "learning_phase": "pass `training=True` or `training=False` to the call: "
                          "`model(x, training=False)`",
        "set_learning_phase": "pass `training=True` or `training=False` to the call: "
                              "`model(x, training=False)`",
        "get_session": "Keras 3 has no sessions: layers and models run when called",
        "set_session": "Keras 3 has no sessions: layers and models run when called",
        "tensorflow_backend": "the backend functions are `keras.ops`",
        "permute_dimensions": "use `keras.ops.transpose(x, axes)`",
        "batch_dot": "use `keras.ops.einsum` or `keras.ops.matmul`",
        "l2_normalize": "use `keras.ops.normalize(x, axis=-1)`",
        "pow": "use `keras.ops.power`",
    },
    "kerastutor.optimizers": {
        "legacy": "use the optimizers of `keras.optimizers` (keras.optimizers.Adam, ...); "
                  "Keras 3 keeps only a shell of it, whose optimizers refuse to be made",
        "experimental": "the experimental optimizers of Keras 2.11 are `keras.optimizers` "
                        "itself (keras.optimizers.Adam, keras.optimizers.AdamW, ...)",
    },
    "kerastutor.losses": {
        "Reduction": "pass the reduction as a string: "
                     "`reduction='sum_over_batch_size'` (or 'sum', 'none', 'mean')",
        "cosine_proximity": "use `keras.losses.cosine_similarity` (the same value, "
                            "minus the cosine)",
        "logcosh": "use `keras.losses.log_cosh`",
    },
    "kerastutor.initializers": {
        "normal": "use `keras.initializers.RandomNormal` (the string 'normal' still works)",
        "uniform": "use `keras.initializers.RandomUniform` (the string 'uniform' still works)",
    },
    "kerastutor.wrappers": {
        "scikit_learn": "use `keras.wrappers.SKLearnClassifier` or "
                        "`keras.wrappers.SKLearnRegressor`",
        "KerasClassifier": "use `keras.wrappers.SKLearnClassifier(model=build_fn)`",
        "KerasRegressor": "use `keras.wrappers.SKLearnRegressor(model=build_fn)`",
    },
    "kerastutor.preprocessing": {
        "text": "Tokenizer and the text helpers are gone: use "
                "`keras.layers.TextVectorization`",
    },
    "kerastutor.preprocessing.image": {
        "ImageDataGenerator": "load images with `keras.utils.image_dataset_from_directory` "
                              "and augment them with layers such as "
                              "`keras.layers.RandomFlip` and `keras.layers.RandomRotation`",
    },
}

# Keras 2's backend functions that keras.ops now holds under the same name.
for _name in ("sum", "mean", "max", "min", "square", "sqrt", "abs", "exp", "log", "dot",
              "concatenate", "reshape", "transpose", "clip", "maximum", "minimum", "argmax",
              "argmin", "stack", "expand_dims", "squeeze", "cast", "ones", "ones_like",
              "zeros_like", "sigmoid", "softmax", "relu", "tanh", "std", "var", "cumsum",
              "shape", "round", "equal", "greater", "less", "sign", "binary_crossentropy",
              "categorical_crossentropy", "sparse_categorical_crossentropy"):
    MODULE_ATTRIBUTES["kerastutor.backend"][_name] = f"use `keras.ops.{_name}`"
del _name

# ======================================================================== modules
#: Import paths of Keras 2 modules, as kerastutor spells them; each fails with the fix
#: its name has in :data:`MODULE_ATTRIBUTES`.
MODULE_PATHS = (
    "kerastutor.engine", "kerastutor.objectives", "kerastutor.initializations",
    "kerastutor.layers.merge", "kerastutor.layers.recurrent",
    "kerastutor.layers.advanced_activations", "kerastutor.layers.embeddings",
    "kerastutor.layers.noise", "kerastutor.layers.cudnn_recurrent",
    "kerastutor.layers.experimental",
    "kerastutor.utils.np_utils", "kerastutor.utils.vis_utils",
    "kerastutor.utils.generic_utils", "kerastutor.utils.data_utils",
    "kerastutor.utils.all_utils",
    "kerastutor.optimizers.legacy", "kerastutor.optimizers.experimental",
    "kerastutor.wrappers.scikit_learn", "kerastutor.preprocessing.text",
)


def _fix_for(path):
    parent, _, name = path.rpartition(".")
    return MODULE_ATTRIBUTES[parent][name]


MODULES = {path: _fix_for(path) for path in MODULE_PATHS}


# ======================================================================= messages
def keras_name(name):
    """``kerastutor.utils.np_utils`` -> ``keras.utils.np_utils``: the name tutorials use."""
    return "keras" + name[len("kerastutor"):] if name.startswith("kerastutor") else name


def removed(name, fix):
    """The sentence every error here ends with.

    >>> removed("fit_generator", "call `model.fit(generator, ...)`")
    '`fit_generator` was removed in Keras 3: call `model.fit(generator, ...)`.'
    """
    return REMOVED.format(name=name, fix=fix) + "."


def argument_hints(kwargs, table, accepted=None):
    """``{argument: sentence}`` for each Keras 2 keyword argument in ``kwargs``.

    A renamed argument is shown with its value under the new name, so the fix
    can be copied:

    >>> argument_hints({"init": "uniform", "units": 3}, LAYER_ARGUMENTS)
    {'init': "`init` was removed in Keras 3: write `kernel_initializer='uniform'` instead."}

    With ``accepted`` (the names the object takes), a rename to a name it does
    not take is left out: the caller's "did you mean" covers it.
    """
    hints = {}
    for key, value in kwargs.items():
        fix = table.get(key)
        if fix is None:
            continue
        if fix.isidentifier():
            if accepted is not None and fix not in accepted:
                continue
            fix = f"write `{fix}={value!r}` instead"
        hints[key] = removed(key, fix)
    return hints


def attribute_error(module, name):
    """The ``AttributeError`` for ``module.name``, naming the Keras 3 way when ``name`` is
    a Keras 2 name; Python's own message otherwise."""
    message = f"module {module!r} has no attribute {name!r}"
    fix = MODULE_ATTRIBUTES.get(module, {}).get(name)
    if fix is not None:
        message += ". " + removed(f"{keras_name(module)}.{name}", fix)
    return AttributeError(message)


def module_getattr(module):
    """A module-level ``__getattr__`` for ``module``: Python calls it only for a name the
    module does not have, so it changes nothing else (``hasattr`` is still False)."""
    def __getattr__(name):
        raise attribute_error(module, name)
    return __getattr__


class Removed:
    """A class attribute standing for a Keras 2 method or attribute that Keras 3 removed.

    Reading it raises the ``AttributeError`` Keras 3 raises, with the fix
    added. It is a non-data descriptor, so an instance or a subclass may
    still define the name for itself (your own ``predict_classes``).
    """

    def __init__(self, name, fix):
        self.name, self.fix = name, fix

    def __get__(self, obj, owner=None):
        what = f"'{owner.__name__}' object" if obj is not None else \
            f"type object '{owner.__name__}'"
        raise AttributeError(f"{what} has no attribute '{self.name}'. "
                             + removed(self.name, self.fix))


def mark_removed(cls, table):
    """Give ``cls`` a :class:`Removed` attribute for each entry of ``table``."""
    for name, fix in table.items():
        setattr(cls, name, Removed(name, fix))


class RemovedModules(importlib.abc.MetaPathFinder):
    """The import system's last resort for the Keras 2 module paths in :data:`MODULES`.

    Python asks each finder on ``sys.meta_path`` in turn; the file finders
    come first and find every real module, so this one is only asked about a
    name that does not exist -- and answers with the Keras 3 way.
    """

    def find_spec(self, fullname, path=None, target=None):
        fix = MODULES.get(fullname)
        if fix is None:
            return None
        # name=None: with the module's own name, `from kerastutor.layers import merge`
        # would swallow this error and raise a bare "cannot import name".
        raise ModuleNotFoundError(f"No module named {fullname!r}. "
                                  + removed(keras_name(fullname), fix), name=None)


def install_import_hints():
    """Put one :class:`RemovedModules` at the end of ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, RemovedModules) for finder in sys.meta_path):
        sys.meta_path.append(RemovedModules())
