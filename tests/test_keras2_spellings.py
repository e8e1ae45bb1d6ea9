"""Keras 2 spellings that Keras 3 removed fail with a message naming the Keras 3 way.

Every entry of the tables in :mod:`kerastutor.keras2` is exercised here: the
error has the type Keras 3 raises (so ``except`` and ``hasattr`` behave the
same) and its message names the replacement. That each name is really gone
from Keras 3.15.1 is checked against Keras itself in
``tests/oracle/test_keras2_spellings_against_keras.py``.
"""
import importlib
import re

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import keras2, layers


# ----------------------------------------------------------------- arguments
@pytest.mark.parametrize("make, old, value, new", [
    (lambda **kw: layers.Dense(3, **kw), "init", "uniform", "kernel_initializer"),
    (lambda **kw: layers.Dense(3, **kw), "W_regularizer", "l2", "kernel_regularizer"),
    (lambda **kw: layers.Conv2D(3, 3, **kw), "border_mode", "same", "padding"),
    (lambda **kw: layers.Conv2D(3, 3, **kw), "subsample", (2, 2), "strides"),
    (lambda **kw: layers.MaxPooling1D(**kw), "pool_length", 2, "pool_size"),
    (lambda **kw: layers.LSTM(3, **kw), "dropout_U", 0.1, "recurrent_dropout"),
    (lambda **kw: layers.Embedding(10, 3, **kw), "W_regularizer", "l2",
     "embeddings_regularizer"),                        # Embedding's own name for it
    (lambda **kw: layers.BatchNormalization(**kw), "gamma_init", "ones", "gamma_initializer"),
])
def test_keras2_layer_arguments_name_their_keras3_spelling(make, old, value, new):
    with pytest.raises(ValueError) as info:
        make(**{old: value})
    message = str(info.value)
    assert f"`{old}` was removed in Keras 3: write `{new}={value!r}` instead." in message
    assert "Unrecognized keyword arguments" in message          # Keras's own first sentence
    assert "Accepted arguments" not in message                  # the one fix is enough


@pytest.mark.parametrize("make, old, value, fix", [
    (lambda **kw: layers.Conv2D(3, 3, **kw), "dim_ordering", "th",
     "`data_format='channels_first'` for 'th'"),
    (lambda **kw: layers.Conv2D(3, 3, **kw), "nb_row", 3, "`kernel_size=(nb_row, nb_col)`"),
    (lambda **kw: layers.LSTM(3, **kw), "forget_bias_init", "one", "`unit_forget_bias=True`"),
    (lambda **kw: layers.LSTM(3, **kw), "consume_less", "gpu", "leave it out"),
])
def test_keras2_arguments_whose_values_changed_meaning_say_what_to_write(make, old, value,
                                                                       fix):
    """``dim_ordering='th'`` is not ``data_format='th'``: these hints give the Keras 3 value,
    not the old one under a new name."""
    with pytest.raises(ValueError) as info:
        make(**{old: value})
    message = str(info.value)
    assert f"`{old}` was removed in Keras 3: " in message and fix in message
    assert f"={value!r}` instead" not in message


def test_a_rename_the_layer_cannot_take_falls_back_to_did_you_mean():
    with pytest.raises(ValueError) as info:
        layers.Flatten(init="zeros")               # Flatten has no initializer at all
    assert "kernel_initializer" not in str(info.value)
    assert "Accepted arguments" in str(info.value)


def test_a_keras2_argument_beside_a_typo_gets_both_hints():
    with pytest.raises(ValueError, match=r"`init` was removed in Keras 3: write "
                                         r"`kernel_initializer='zeros'` instead\. Hint: did "
                                         r"you mean 'units' instead of 'unitz'\?"):
        layers.Dense(3, init="zeros", unitz=4)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "RMSprop", "Adagrad", "Nadam"])
def test_lr_names_learning_rate(optimizer):
    with pytest.raises(ValueError, match=r"`lr` was removed in Keras 3: write "
                                         r"`learning_rate=0\.05` instead"):
        getattr(keras.optimizers, optimizer)(lr=0.05)


# ---------------------------------------------------------------- attributes
@pytest.mark.parametrize("name", sorted(keras2.MODEL_ATTRIBUTES))
def test_removed_model_methods_say_what_to_call(name):
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    assert not hasattr(model, name) and not hasattr(keras.Model, name)
    with pytest.raises(AttributeError) as info:
        getattr(model, name)
    assert str(info.value).startswith(f"'Sequential' object has no attribute '{name}'. ")
    assert keras2.removed(name, keras2.MODEL_ATTRIBUTES[name]) in str(info.value)


def test_fit_generator_message_is_the_one_a_learner_reads():
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(AttributeError, match=r"`fit_generator` was removed in Keras 3: call "
                                             r"`model\.fit\(generator, \.\.\.\)`"):
        model.fit_generator(iter([]), steps_per_epoch=1)


def test_a_subclass_may_still_define_a_removed_name():
    class Classifier(keras.Sequential):
        def predict_classes(self, x):
            return np.argmax(self.predict(x, verbose=0), axis=-1)

    model = Classifier([keras.Input((2,)), layers.Dense(3)])
    assert model.predict_classes(np.ones((4, 2))).shape == (4,)
    model.to_yaml = "set on the instance"                       # not a data descriptor
    assert model.to_yaml == "set on the instance"


def test_optimizer_lr_reads_and_writes_name_learning_rate():
    optimizer = keras.optimizers.Adam(0.01)
    with pytest.raises(AttributeError, match=r"'Adam' object has no attribute 'lr'\. `lr` was "
                                             r"removed in Keras 3: read or set "
                                             r"`optimizer\.learning_rate`"):
        optimizer.lr
    # Keras 3 would quietly add an attribute and keep training at the old rate.
    with pytest.raises(AttributeError, match=r"optimizer\.learning_rate = value"):
        optimizer.lr = 0.5
    assert optimizer.learning_rate == pytest.approx(0.01)
    with pytest.raises(AttributeError, match="keras.GradientTape"):
        optimizer.get_gradients


def test_your_own_optimizer_may_keep_an_lr_attribute():
    class Halving(keras.optimizers.SGD):
        def __init__(self, lr):
            super().__init__(learning_rate=lr)
            self.lr = lr / 2

    assert Halving(0.5).lr == 0.25


# ------------------------------------------------------------------- modules
MODULE_NAMES = [(module, name) for module, table in sorted(keras2.MODULE_ATTRIBUTES.items())
                for name in sorted(table)]


@pytest.mark.parametrize("module, name", MODULE_NAMES,
                         ids=[f"{m}.{n}" for m, n in MODULE_NAMES])
def test_removed_module_attributes_say_what_replaced_them(module, name):
    owner = importlib.import_module(module)
    assert not hasattr(owner, name)
    with pytest.raises(AttributeError) as info:
        getattr(owner, name)
    message = str(info.value)
    assert message.startswith(f"module {module!r} has no attribute {name!r}. ")
    assert f"`{keras2.keras_name(module)}.{name}` was removed in Keras 3: " in message


@pytest.mark.parametrize("path", keras2.MODULE_PATHS)
def test_removed_module_paths_fail_to_import_with_the_fix(path):
    with pytest.raises(ModuleNotFoundError) as info:
        importlib.import_module(path)
    assert str(info.value).startswith(f"No module named {path!r}. ")
    assert keras2.removed(keras2.keras_name(path), keras2.MODULES[path]) in str(info.value)


def test_from_imports_of_removed_modules_keep_the_message():
    # The statements as a learner writes them (`from x import y` takes another route
    # through the import system than importlib.import_module).
    with pytest.raises(ModuleNotFoundError, match=r"`keras\.utils\.np_utils` was removed in "
                                                  r"Keras 3.*keras\.utils\.to_categorical"):
        exec("from kerastutor.utils.np_utils import to_categorical", {})
    with pytest.raises(ImportError, match=r"`keras\.layers\.merge` was removed"):
        exec("from kerastutor.layers import merge", {})
    with pytest.raises(ModuleNotFoundError, match=r"`keras\.engine` was removed"):
        exec("import kerastutor.engine.topology", {})


def test_keras2_backend_idioms():
    with pytest.raises(AttributeError, match=r"`keras\.backend\.set_value` was removed in "
                                             r"Keras 3: .*optimizer\.learning_rate = value"):
        keras.backend.set_value
    with pytest.raises(AttributeError, match=r"use `keras\.ops\.mean`"):
        keras.backend.mean


def test_other_missing_names_keep_pythons_message():
    with pytest.raises(AttributeError) as info:
        keras.layers.Dence
    assert str(info.value) == "module 'kerastutor.layers' has no attribute 'Dence'"
    with pytest.raises(ModuleNotFoundError, match=r"^No module named 'kerastutor\.nothing'$"):
        importlib.import_module("kerastutor.nothing")
    assert keras.layers.Dense is layers.core.Dense and keras.utils.to_categorical


def test_every_replacement_a_message_names_exists_in_kerastutor():
    """The fixes must not send a learner to another missing name."""
    texts = [*keras2.LAYER_ARGUMENTS.values(), *keras2.OPTIMIZER_ARGUMENTS.values(),
             *keras2.MODEL_ATTRIBUTES.values(), *keras2.OPTIMIZER_ATTRIBUTES.values(),
             *(fix for table in keras2.MODULE_ATTRIBUTES.values() for fix in table.values())]
    named = {m for text in texts for m in re.findall(r"`(keras(?:\.\w+)+)", text)}
    # Named as Keras 3's way, with a kerastutor alternative given next to them.
    elsewhere = {"keras.distribution.DataParallel", "keras.layers.RMSNormalization"}
    assert len(named) > 40
    for dotted in sorted(named - elsewhere):
        obj = keras
        for part in dotted.split(".")[1:]:
            obj = getattr(obj, part)                 # raises if a fix names a missing object


# ------------------------------------------------ Keras 3 names that stay as they are
def test_acc_in_compile_still_works_as_in_keras3():
    model = keras.Sequential([keras.Input((2,)), layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(np.ones((4, 2)), np.array([0, 1, 0, 1]), verbose=0)
    assert sorted(history.history) == ["acc", "loss"]


def test_the_import_hint_is_installed_once():
    from kerastutor.keras2 import RemovedModules
    import sys
    keras2.install_import_hints()
    assert sum(isinstance(f, RemovedModules) for f in sys.meta_path) == 1


@pytest.mark.parametrize("method, error", [("fit", TypeError), ("evaluate", ValueError),
                                           ("predict", TypeError)])
def test_training_methods_refuse_keras2_arguments_naming_the_keras3_way(method, error):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.zeros((4, 2), "float32"), np.zeros((4, 1), "float32")
    call = getattr(model, method)
    data = (x,) if method == "predict" else (x, y)
    with pytest.raises(error, match=r"`use_multiprocessing` was removed in Keras 3: give "
                                    r"these to a keras.utils.PyDataset"):
        call(*data, verbose=0, use_multiprocessing=True)
    with pytest.raises(error) as info:                 # unknown to Keras 2 as well
        call(*data, verbose=0, no_such_argument=1)
    assert "no_such_argument" in str(info.value) and "Keras 3" not in str(info.value)


def test_fit_nb_epoch_names_epochs_with_the_value():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'nb_epoch'\. "
                                        r"`nb_epoch` was removed in Keras 3: write "
                                        r"`epochs=5` instead"):
        model.fit(np.zeros((4, 2)), np.zeros(4), nb_epoch=5, verbose=0)
