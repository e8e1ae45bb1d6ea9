"""Keras 3.15.1 itself as the oracle for the Keras 2 names and the learner warnings.

* Every name in :mod:`kerastutor.keras2`'s tables is really gone from Keras 3:
  the same attribute, module, method or keyword argument fails there, with the
  error type kerastutor raises. So kerastutor never turns a working Keras 3
  name into an error.
* The warnings of ``tests/test_learner_warnings.py`` that copy Keras's wording:
  the same code, written once with ``lib`` = ``keras`` or ``kerastutor``, warns
  in both libraries, with the same category and Keras's sentence.

Run with KERASTUTOR_ORACLE=1 (``tox -e keras``).
"""
import importlib
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402
from kerastutor import keras2  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

MODULE_NAMES = [(module, name) for module, table in sorted(keras2.MODULE_ATTRIBUTES.items())
                for name in sorted(table)]


@pytest.mark.parametrize("module, name", MODULE_NAMES,
                         ids=[f"{m}.{n}" for m, n in MODULE_NAMES])
def test_each_removed_name_is_missing_from_keras3(module, name):
    keras_module = importlib.import_module(keras2.keras_name(module))
    if (module, name) == ("kerastutor.optimizers", "legacy"):
        # A shell in Keras 3: the module is there, its classes refuse to be made
        # (kerastutor refuses one step earlier, at the name).
        with pytest.raises(ImportError, match="not supported in Keras 3"):
            keras_module.legacy.SGD()
        return
    assert not hasattr(keras_module, name)


@pytest.mark.parametrize("path", keras2.MODULE_PATHS)
def test_each_removed_module_path_fails_in_keras3(path):
    try:
        module = importlib.import_module(keras2.keras_name(path))
    except ImportError:
        return
    # keras.optimizers.legacy still imports: its classes refuse to be made.
    assert path == "kerastutor.optimizers.legacy"
    with pytest.raises(ImportError, match="not supported in Keras 3"):
        module.Adam()


def test_removed_methods_and_attributes_are_missing_from_keras3():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    optimizer = keras.optimizers.Adam()
    assert not [name for name in keras2.MODEL_ATTRIBUTES if hasattr(model, name)]
    assert not [name for name in keras2.OPTIMIZER_ATTRIBUTES if hasattr(optimizer, name)]


@pytest.mark.parametrize("argument", sorted(keras2.LAYER_ARGUMENTS))
def test_removed_layer_arguments_are_refused_by_keras3(argument):
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        keras.layers.Dense(3, **{argument: None if argument == "weights" else 1})
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        kerastutor.layers.Dense(3, **{argument: None if argument == "weights" else 1})


def test_lr_is_refused_by_keras3():
    with pytest.raises(ValueError, match=r"not recognized.*'lr'"):
        keras.optimizers.SGD(lr=0.1)
    with pytest.raises(ValueError, match=r"unrecognized.*'lr'"):
        kerastutor.optimizers.SGD(lr=0.1)


# ================================================================ the warnings
def caught(action):
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        action()
    return [(r.category, str(r.message)) for r in records
            if "__array__ implementation" not in str(r.message)]


def softmax_of_one(lib):
    lib.ops.softmax(np.zeros((3, 1), "float32"))


def one_unit_crossentropy(lib):
    lib.losses.categorical_crossentropy(np.ones((3, 1), "float32"),
                                        np.full((3, 1), 0.5, "float32"))


def mask_into_flatten(lib):
    model = lib.Sequential([lib.Input((5,)), lib.layers.Embedding(10, 4, mask_zero=True),
                            lib.layers.Flatten(), lib.layers.Dense(1)])
    model.predict(np.array([[1, 2, 0, 0, 0]]), verbose=0)


def misnamed_dict_input(lib):
    a = lib.Input((4,), name="a")
    lib.Model({"b": a}, lib.layers.Dense(1)(a))


def save_unbuilt(lib, tmp_path):
    lib.Sequential([lib.layers.Dense(3)]).save(str(tmp_path / f"{lib.__name__}.keras"))


@pytest.mark.parametrize("scenario, category, sentence", [
    (lambda lib, _: lib.layers.Dense(3, input_shape=(4,)), UserWarning,
     "Do not pass an `input_shape`/`input_dim` argument to a layer. When using Sequential "
     "models, prefer using an `Input(shape)` object as the first layer in the model instead."),
    (lambda lib, _: lib.layers.InputLayer(input_shape=(4,)), UserWarning,
     "Argument `input_shape` is deprecated. Use `shape` instead"),
    (lambda lib, _: softmax_of_one(lib), UserWarning,
     "You are using a softmax over axis -1 of a tensor of shape "),
    (lambda lib, _: one_unit_crossentropy(lib), SyntaxWarning,
     "In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, num_classes) "
     "with num_classes > 1."),
    (lambda lib, _: lib.layers.Embedding(10, 4, input_length=5), UserWarning,
     "Argument `input_length` is deprecated. Just remove it"),
    (lambda lib, _: lib.layers.LeakyReLU(alpha=0.2), UserWarning,
     "Argument `alpha` is deprecated. Use `negative_slope` instead"),
    (lambda lib, _: lib.layers.LayerNormalization(rms_scaling=True), UserWarning,
     "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales "
     "the input by the variance, not the root mean square."),
    (lambda lib, _: mask_into_flatten(lib), UserWarning,
     "Layer 'flatten' (of type Flatten) was passed an input with a mask attached to it. "
     "However, this layer does not support masking and will therefore destroy the mask "
     "information. Downstream layers will not see the mask."),
    (lambda lib, _: misnamed_dict_input(lib), UserWarning,
     "When providing `inputs` as a dict, all keys in the dict must match the names of the "
     "corresponding tensors. Received key 'b' mapping to value "),
    (save_unbuilt, UserWarning,
     "You are saving a model that has not yet been built. It might not contain any weights "
     "yet. Consider building the model first by calling it on some data."),
], ids=["input_shape", "InputLayer", "softmax", "crossentropy", "input_length", "alpha",
        "rms_scaling", "mask", "dict_inputs", "save_unbuilt"])
def test_both_libraries_warn_with_keras_sentence(scenario, category, sentence, tmp_path):
    for lib in (keras, kerastutor):
        kerastutor.backend.clear_session()
        keras.backend.clear_session()
        found = caught(lambda: scenario(lib, tmp_path))
        assert any(c is category and sentence in m for c, m in found), (lib.__name__, found)
