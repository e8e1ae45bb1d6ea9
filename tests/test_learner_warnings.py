"""Every warning Keras 3.15.1 gives a learner, kerastutor gives too.

The survey: ``grep -rn "warnings.warn\\|logging.warning" keras/src`` of the
installed Keras 3.15.1, each site triggered with ordinary code on the torch
backend. Each row is one Keras warning, what kerastutor does, and where that
is pinned. "here" means a test in this module; wording follows Keras's, and
kerastutor adds a "Fix:" where Keras leaves the learner guessing.

================================================================  ==================================
Keras warning (where Keras gives it)                              kerastutor
================================================================  ==================================
Do not pass an `input_shape`/`input_dim` argument to a layer      gives it -- here
Argument `input_shape` is deprecated. Use `shape` (InputLayer)    gives it -- here
softmax over axis ... has size 1 ... sigmoid (ops.softmax)        gives it for ops, activations,
                                                                  Softmax layer, Dense(1, 'softmax')
                                                                  -- here
In loss categorical_(focal_)crossentropy ... num_classes > 1      gives it (SyntaxWarning) -- here
Argument `input_length` is deprecated (Embedding)                 gives it -- here
Argument `alpha` is deprecated. Use `negative_slope` (LeakyReLU)  gives it -- here
Argument `decay` is no longer supported (optimizers)              gives it -- here
You passed `rms_scaling=True`, which is deprecated                gives it (layer and ops) -- here
Layer ... was passed an input with a mask ... destroy the mask    gives it, once per layer -- here
When providing `inputs` as a dict, all keys ... must match        gives it -- here
Gradients do not exist for variables ... forget ... `loss`        gives it -- here
You are saving a model that has not yet been built                gives it, and saves -- here
You are saving your model as an HDF5 file ... legacy (log)        gives it -- here
The `save_format` argument is deprecated in Keras 3 (log)         gives it; ValueError for other
                                                                  names, as Keras -- here
No training configuration found in the save file (log)            gives it -- here
Early stopping conditioned on metric ... not available            gives it -- here
Can save best model only with ... available (ModelCheckpoint)     gives it -- here
Learning rate reduction is conditioned on metric ...              gives it -- tests/test_callbacks.py
<Callback> mode '...' is unknown, fallback to auto mode           gives it -- here
Your input ran out of data; interrupting training                 gives it -- here
`shuffle=True` was passed, but will be ignored ... generator      gives it -- here
Your `PyDataset` class should call `super().__init__(**kwargs)`   gives it -- here
A layer's `trainable` state has changed since ... compiled        gives it -- tests/models/
                                                                  test_fine_tuning.py
Skipping loading weights ... mismatch (skip_mismatch=True)        gives it -- here
More independent predictors than datapoints (adjusted R2)         gives it, own words -- here
You are passing weight as `float`, but dtype is `int` (IoU)       gives it, own words -- here
The JPEG format does not support RGBA images                      gives it -- tests/utils/
                                                                  test_image_utils.py
This model usually expects 1 or 3 input channels (applications)   gives it -- tests/applications/
                                                                  test_densenet_nasnet.py
`input_shape` is undefined or non-square ... (MobileNet family)   gives it, only on the way to
                                                                  ImageNet weights (a download)
The model does not have any trainable weights. (torch/TF fit)     not yet in Keras's words: a frozen
                                                                  model gets fit's first-epoch tutor
                                                                  hint ("every layer is frozen"); a
                                                                  model without weights, nothing
                                                                  (the sentence belongs in trainer.py)
Compiled the loaded model, but the compiled metrics have yet to   not given: kerastutor, like
be built (log, legacy .h5)                                        Keras, builds them at the first
                                                                  fit/evaluate; nothing to act on
The NASNet family ... only available for "channels_last"          raises instead (Keras warns, then
                                                                  switches the global format)
Skipping invalid path during archive extraction / Could not       refuses such members (Python's tar
extract archive (get_file)                                        "data" filter); a non-archive
                                                                  warns "nothing was extracted"
`build()` was called on layer ..., unbuilt state; Layer ... not   n/a: sub-layers are built when
able to trace the layer `call()`                                  first called, traced or not
If `run_eagerly` is True, then `jit_compile` cannot also be       n/a: no JIT in kerastutor (the
True; Model doesn't support `jit_compile=True`                    argument is accepted and unused)
The structure of `inputs` doesn't match the expected structure    n/a: Keras 3.15.1 no longer gives
                                                                  it for a list of one vs an array
The object being serialized includes a `lambda`                   n/a: Keras 3.15.1 does not give it
                                                                  for a Lambda layer; loading one
                                                                  needs safe_mode=False in both
`fft_length` is recommended to be a power of two                  n/a: no STFTSpectrogram yet
RematScope, orbax checkpoints, sharded weights, nested            n/a: features kerastutor does not
containers, set_backend, tree check_types, distribution meshes,   have
KERAS_MAX_EPOCHS/STEPS limits, TensorBoard profiling/JSON,
RemoteMonitor, conv-transpose output_padding on torch,
tf.data/grain/DataLoader shuffle, legacy ImageDataGenerator
================================================================  ==================================

The module ends with the error issue 18 names beside these warnings: labels
counted from 1 given to ``to_categorical`` get ``y - 1``, not ``num_classes + 1``.
"""
import os
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import kerastutor as keras
from kerastutor import layers

X = np.random.default_rng(0).random((8, 4)).astype("float32")
Y = np.arange(8) % 3


def classifier(compile=True):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    if compile:
        model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def messages(action):
    """The messages of every warning ``action()`` gives, in order."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
    return [f"{w.category.__name__}: {w.message}" for w in caught]


# ------------------------------------------------------------------ layers
def test_input_shape_on_a_layer_warns_but_a_saved_config_does_not():
    with pytest.warns(UserWarning, match=r"Do not pass an `input_shape`/`input_dim` argument "
                                         r"to a layer.*keras\.Input\(shape=\(4,\)\)"):
        dense = layers.Dense(3, input_shape=(4,))
    with pytest.warns(UserWarning, match=r"`input_shape`/`input_dim`"):
        layers.Dense(3, input_dim=4)
    # A config written by Keras 2 or 3 says batch_input_shape: loading it stays quiet.
    assert messages(lambda: layers.Dense.from_config(dense.get_config())) == []


def test_input_layer_input_shape_is_deprecated():
    with pytest.warns(UserWarning, match=r"Argument `input_shape` is deprecated\. Use `shape` "
                                         r"instead"):
        layer = layers.InputLayer(input_shape=(4,))
    assert layer.batch_shape == (None, 4)


@pytest.mark.parametrize("softmax", [
    lambda x: keras.ops.softmax(x),
    lambda x: keras.activations.softmax(x),
    lambda x: layers.Softmax()(x),
    lambda x: layers.Activation("softmax")(x),
    lambda x: keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="softmax")])(
        np.ones((3, 4), "float32")),
], ids=["ops", "activations", "Softmax", "Activation", "Dense"])
def test_softmax_over_an_axis_of_size_one_warns(softmax):
    with pytest.warns(UserWarning, match=r"You are using a softmax over axis -1 of a tensor of "
                                         r"shape \(3, 1\)\. This axis has size 1.*Did you mean "
                                         r"to use a sigmoid instead\? Fix: .*Dense\(1, "
                                         r"activation='sigmoid'\)"):
        out = softmax(np.zeros((3, 1), "float32"))
    np.testing.assert_array_equal(np.asarray(out), 1.0)


def test_softmax_over_several_classes_is_quiet():
    assert messages(lambda: keras.ops.softmax(np.zeros((3, 2)))) == []


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "categorical_focal_crossentropy"])
def test_one_of_k_loss_with_one_unit_warns(loss):
    function = getattr(keras.losses, loss)
    with pytest.warns(SyntaxWarning, match=rf"In loss {loss}, expected y_pred\.shape to be "
                                           r"\(batch_size, num_classes\) with num_classes > 1\. "
                                           r"Received: y_pred\.shape=\(None, 1\)\. Consider "
                                           r"using 'binary_crossentropy'"):
        function(np.ones((3, 1)), np.full((3, 1), 0.5))


def test_one_of_k_loss_with_one_unit_warns_once_per_fit():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "categorical_crossentropy")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, np.ones((8, 1)), batch_size=3, verbose=0)   # batches of 3, 3 and 2
    texts = {str(w.message) for w in caught if w.category is SyntaxWarning}
    assert len(texts) == 1                       # the target check and each batch agree


def test_deprecated_layer_arguments_warn_as_keras_does():
    with pytest.warns(UserWarning, match=r"Argument `input_length` is deprecated\. Just remove "
                                         r"it"):
        layers.Embedding(10, 4, input_length=5)
    with pytest.warns(UserWarning, match=r"Argument `alpha` is deprecated\. Use "
                                         r"`negative_slope` instead"):
        leaky = layers.LeakyReLU(alpha=0.2)
    assert leaky.negative_slope == pytest.approx(0.2)
    with pytest.warns(UserWarning, match=r"You passed `rms_scaling=True`, which is deprecated"):
        layers.LayerNormalization(rms_scaling=True)
    with pytest.warns(UserWarning, match=r"rms_scaling=True is deprecated"):
        keras.ops.layer_normalization(np.ones((2, 3)), rms_scaling=True)
    with pytest.warns(UserWarning, match=r"`decay` is no longer supported"):
        keras.optimizers.SGD(decay=1e-4)


def test_a_mask_that_a_layer_drops_warns_once_per_layer():
    model = keras.Sequential([keras.Input((5,)), layers.Embedding(10, 4, mask_zero=True),
                              layers.Flatten(), layers.Dense(1)])
    ids = np.array([[1, 2, 0, 0, 0], [3, 0, 0, 0, 0]])

    def twice():
        model.predict(ids, verbose=0)
        model.predict(ids, verbose=0)
    dropped = [m for m in messages(twice) if "mask attached" in m]
    assert dropped == ["UserWarning: Layer 'flatten' (of type Flatten) was passed an input with "
                       "a mask attached to it. However, this layer does not support masking "
                       "and will therefore destroy the mask information. Downstream layers "
                       "will not see the mask. Fix: if the padded steps must not count, reduce "
                       "the sequence with a layer that reads the mask first (an LSTM/GRU, "
                       "GlobalAveragePooling1D, attention)."]
    reader = keras.Sequential([keras.Input((5,)), layers.Embedding(10, 4, mask_zero=True),
                               layers.LSTM(2), layers.Dense(1)])
    assert not [m for m in messages(lambda: reader.predict(ids, verbose=0)) if "mask" in m]


def test_dict_inputs_whose_keys_differ_from_the_input_names_warn():
    a = keras.Input((4,), name="a")
    with pytest.warns(UserWarning, match=r"When providing `inputs` as a dict, all keys in the "
                                         r"dict must match the names of the corresponding "
                                         r"tensors\. Received key 'b'.*which has name 'a'\. "
                                         r"Change the tensor name to 'b' \(via "
                                         r"`Input\(\.\.\., name='b'\)`\)"):
        keras.Model({"b": a}, layers.Dense(1)(a))
    assert messages(lambda: keras.Model({"a": a}, layers.Dense(1)(a))) == []


def test_a_weight_without_gradient_is_named():
    used, unused = keras.Variable(np.ones(2)), keras.Variable(np.ones(2), name="orphan")
    optimizer = keras.optimizers.SGD(0.1)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['orphan'\] "
                                         r"when minimizing the loss\. If using "
                                         r"`model\.compile\(\)`, did you forget to provide a "
                                         r"`loss` argument\?"):
        optimizer.apply_gradients([(np.ones(2), used), (None, unused)])
    np.testing.assert_allclose(np.asarray(used.value), 0.9)
    np.testing.assert_allclose(np.asarray(unused.value), 1.0)


# ------------------------------------------------------------------ saving
def test_saving_an_unbuilt_model_warns_and_saves(tmp_path):
    model = keras.Sequential([layers.Dense(3)])
    path = str(tmp_path / "unbuilt.keras")
    with pytest.warns(UserWarning, match=r"You are saving a model that has not yet been built"):
        model.save(path)
    loaded = keras.models.load_model(path)
    assert not loaded.built
    assert loaded.predict(X, verbose=0).shape == (8, 3)


def test_hdf5_is_legacy_and_an_uncompiled_file_says_so(tmp_path):
    path = str(tmp_path / "model.h5")
    with pytest.warns(UserWarning, match=r"You are saving your model as an HDF5 file.*This "
                                         r"file format is considered legacy"):
        classifier(compile=False).save(path)
    with pytest.warns(UserWarning, match=r"No training configuration found in the save file, "
                                         r"so the model was \*not\* compiled"):
        keras.models.load_model(path)
    assert not [m for m in messages(lambda: keras.models.load_model(path, compile=False))
                if "training configuration" in m]


def test_save_format_is_deprecated(tmp_path):
    with pytest.warns(UserWarning, match=r"The `save_format` argument is deprecated in Keras 3"
                                         r"\. We recommend removing this argument"):
        classifier().save(str(tmp_path / "m.keras"), save_format="keras")
    assert os.path.exists(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"pass a file path with either `\.keras` or `\.h5` "
                                         r"extension\. Received: save_format=tf"):
        classifier().save(str(tmp_path / "saved_model"), save_format="tf")


def test_skip_mismatch_names_the_skipped_layer(tmp_path):
    path = str(tmp_path / "w.weights.h5")
    classifier().save_weights(path)
    wider = keras.Sequential([keras.Input((4,)), layers.Dense(5, name="wider")])
    with pytest.warns(UserWarning, match=r"Skipping loading weights for layer 'wider'"):
        wider.load_weights(path, skip_mismatch=True)


# --------------------------------------------------------------- callbacks, data, metrics
@pytest.mark.parametrize("callback, pattern", [
    (lambda: keras.callbacks.EarlyStopping(), r"Early stopping conditioned on metric `val_loss` "
                                              r"which is not available\. Available metrics are: "
                                              r"accuracy,loss"),
    (lambda: keras.callbacks.ModelCheckpoint("never.keras", save_best_only=True),
     r"Can save best model only with val_loss available"),
], ids=["EarlyStopping", "ModelCheckpoint"])
def test_callbacks_watching_a_missing_metric_warn(callback, pattern, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning, match=pattern):
        classifier().fit(X, Y, epochs=1, verbose=0, callbacks=[callback()])


def test_unknown_monitor_mode_falls_back_to_auto():
    with pytest.warns(UserWarning, match=r"EarlyStopping mode 'largest' is unknown, fallback "
                                         r"to auto mode"):
        keras.callbacks.EarlyStopping(mode="largest")


def test_a_short_generator_with_shuffle_warns_twice():
    def two_batches():
        for start in (0, 4):
            yield X[start:start + 4], Y[start:start + 4]
    found = messages(lambda: classifier().fit(two_batches(), steps_per_epoch=3, epochs=1,
                                              shuffle=True, verbose=0))
    assert any("`shuffle=True` was passed, but will be ignored since the data `x` was "
               "provided as a generator" in m for m in found)
    assert any("Your input ran out of data; interrupting training" in m for m in found)


def test_a_pydataset_that_skips_super_init_is_told():
    class Batches(keras.utils.PyDataset):
        def __init__(self):                                     # no super().__init__()
            self.size = 2

        def __len__(self):
            return self.size

        def __getitem__(self, index):
            return X[4 * index:4 * index + 4], Y[4 * index:4 * index + 4]

    with pytest.warns(UserWarning, match=r"Your `PyDataset` class should call "
                                         r"`super\(\)\.__init__\(\*\*kwargs\)`"):
        classifier().fit(Batches(), epochs=1, verbose=0)


def test_metrics_warn_where_keras_falls_back():
    r2 = keras.metrics.R2Score(num_regressors=5)
    r2.update_state(np.ones((3, 1)), np.ones((3, 1)))
    with pytest.warns(UserWarning, match=r"num_regressors=5.*falling back to the plain R\^2"):
        r2.result()
    iou = keras.metrics.IoU(num_classes=2, target_class_ids=[0], dtype="int32")
    with pytest.warns(UserWarning, match=r"fractional sample weights are truncated"):
        iou.update_state([0, 1], [0, 1], sample_weight=[0.5, 0.5])


# ------------------------------------------- labels counted from 1 (an error, not a warning)
@given(classes=st.integers(2, 12), seed=st.integers(0, 2**16))
def test_to_categorical_of_labels_counted_from_one_suggests_y_minus_1(classes, seed):
    y = np.random.default_rng(seed).permutation(np.arange(1, classes + 1))
    with pytest.raises(ValueError) as info:
        keras.utils.to_categorical(y, classes)
    message = str(info.value)
    assert f"the labels run 1..{classes}: {classes} classes counted from 1" in message
    assert f"to_categorical(y - 1, {classes})" in message
    assert f"num_classes={classes + 1}" not in message      # a column no label would use
    one_hot = keras.utils.to_categorical(y - 1, classes)     # the fix works
    np.testing.assert_array_equal(one_hot.argmax(axis=-1) + 1, y)


def test_to_categorical_with_a_real_class_zero_still_suggests_more_classes():
    with pytest.raises(ValueError, match=r"use num_classes=11 or more"):
        keras.utils.to_categorical(np.arange(11), 10)         # 0..10: eleven classes
