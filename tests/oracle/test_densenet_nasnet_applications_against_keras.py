"""DenseNet and NASNet against Keras 3: the same layers, and Keras's weights give the same
predictions.

Run with ``KERAS_BACKEND=torch KERASTUTOR_ORACLE=1 pytest tests/oracle/<this file>``.
Keras's models are built with ``weights=None`` at 32x32 (the smallest size both allow), given
random weights, saved by Keras in the legacy ``.h5`` layout of its ImageNet files, and loaded
here with ``weights=<path>``.

Keras refuses ``NASNetMobile`` under its torch backend ("outstanding bug"), so its twin is
built with Keras's generic ``keras.src.applications.nasnet.NASNet`` and NASNetMobile's
arguments (the constructor adds nothing else). At 32x32 that model gives the same logits
under Keras's torch and JAX backends (checked by hand: both within 1.3e-6 of ours, relative).
NASNetLarge (85 million parameters even without its top) is not built in Keras here; the
unit tests hold Keras's digests of its layer names and types.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras.src.applications import nasnet as keras_nasnet  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

from kerastutor import backend  # noqa: E402
from kerastutor.applications import densenet, nasnet  # noqa: E402

IMAGES = np.random.default_rng(1).uniform(0, 255, (3, 32, 32, 3)).astype("float32")

MOBILE = dict(penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
              skip_reduction=False, filter_multiplier=2, default_size=224)


def keras_nasnet_mobile(input_shape=None, include_top=True, weights=None, pooling=None,
                        classes=1000, classifier_activation="softmax", name="nasnet_mobile"):
    """Keras's NASNetMobile without its torch-backend refusal."""
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return keras_nasnet.NASNet(input_shape, include_top=include_top, weights=weights,
                               pooling=pooling, classes=classes,
                               classifier_activation=classifier_activation, name=name,
                               **MOBILE)


def theirs(name):
    return keras_nasnet_mobile if name == "NASNetMobile" else getattr(keras.applications, name)


def ours(name):
    return getattr(nasnet if name.startswith("NASNet") else densenet, name)


def randomise_keras(model, seed=0):
    """Random weights everywhere (BatchNormalization variances positive)."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape = tuple(variable.shape)
        value = rng.uniform(0.5, 1.5, shape) if len(shape) <= 1 else rng.normal(0, 0.1, shape)
        variable.assign(value.astype("float32"))


def structure(model):
    return ([layer.name for layer in model.layers],
            [type(layer).__name__ for layer in model.layers],
            [[tuple(w.shape) for w in layer.weights] for layer in model.layers],
            model.count_params(), model.name)


def build_pair(name, **kwargs):
    keras.utils.clear_session()
    reference = theirs(name)(weights=None, **kwargs)
    backend.clear_session()
    return reference, kwargs


@pytest.mark.parametrize("name", ["DenseNet121", "DenseNet169", "DenseNet201",
                                  "NASNetMobile"])
def test_layers_and_parameter_counts_match_keras(name):
    reference, kwargs = build_pair(name, input_shape=(32, 32, 3))
    with backend.shapes_only():
        model = ours(name)(weights=None, **kwargs)
    assert structure(model) == structure(reference)


@pytest.mark.parametrize("name, kwargs", [
    ("DenseNet121", {"include_top": False, "input_shape": (33, 45, 3), "pooling": "avg"}),
    ("DenseNet121", {"include_top": False, "input_shape": (32, 32, 1), "pooling": "max"}),
    ("DenseNet121", {"include_top": False, "pooling": "x"}),
    ("NASNetMobile", {"include_top": False, "pooling": "max"}),
    ("NASNetMobile", {"include_top": False, "input_shape": (40, 33, 3), "pooling": "avg"}),
    ("NASNetMobile", {"include_top": False, "input_shape": (32, 32, 3), "pooling": None}),
])
def test_variants_match_keras(name, kwargs):
    reference, kwargs = build_pair(name, **kwargs)
    with backend.shapes_only():
        model = ours(name)(weights=None, **kwargs)
    assert structure(model) == structure(reference)
    assert tuple(model.input.shape) == tuple(reference.input.shape)
    assert tuple(model.output.shape) == tuple(reference.output.shape)


@pytest.mark.parametrize("name, kwargs", [
    ("DenseNet121", {"classes": 10, "classifier_activation": None}),
    ("DenseNet121", {"include_top": False, "pooling": "avg"}),
    ("NASNetMobile", {"classes": 10, "classifier_activation": None}),
    ("NASNetMobile", {"include_top": False, "pooling": "max"}),
])
def test_keras_weights_give_keras_predictions(name, kwargs, tmp_path):
    reference, kwargs = build_pair(name, input_shape=(32, 32, 3), **kwargs)
    randomise_keras(reference)
    path = str(tmp_path / "weights.h5")
    with h5py.File(path, "w") as handle:                 # the layout of Keras's ImageNet files
        legacy_h5_format.save_weights_to_hdf5_group(handle, reference)
    module = nasnet if name.startswith("NASNet") else densenet
    x = module.preprocess_input(IMAGES)
    expected = np.asarray(reference.predict(x, verbose=0))
    model = ours(name)(weights=path, **kwargs)
    got = model.predict(x, verbose=0)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(got / scale, expected / scale, rtol=1e-4, atol=1e-5)


def test_full_keras_h5_model_file_loads(tmp_path):
    """``weights=`` may also be a whole legacy model file (Keras's ``model.save("m.h5")``)."""
    reference, kwargs = build_pair("DenseNet121", include_top=False, pooling="avg",
                                   input_shape=(32, 32, 3))
    randomise_keras(reference, seed=5)
    path = str(tmp_path / "model.h5")
    reference.save(path)
    model = densenet.DenseNet121(weights=path, **kwargs)
    x = densenet.preprocess_input(IMAGES)
    expected = np.asarray(reference.predict(x, verbose=0))
    scale = np.abs(expected).max()
    np.testing.assert_allclose(model.predict(x, verbose=0) / scale, expected / scale,
                               rtol=1e-4, atol=1e-5)


def _message(build, **kwargs):
    with pytest.raises(ValueError) as info:
        build(**kwargs)
    return str(info.value)


@pytest.mark.parametrize("name, kwargs", [
    ("DenseNet121", {"weights": "no/such/file.h5"}),
    ("DenseNet169", {"classes": 10}),
    ("DenseNet201", {"weights": None, "include_top": False, "input_shape": (31, 40, 3)}),
    ("DenseNet121", {"input_shape": (200, 200, 3)}),
    ("DenseNet121", {"weights": None, "input_shape": (None, None, 3)}),
    ("DenseNet121", {"include_top": False, "input_shape": (64, 64, 4)}),
    ("DenseNet121", {"weights": None, "include_top": False, "input_shape": (32, 32)}),
    ("NASNetLarge", {"weights": "no/such/file.h5"}),
    ("NASNetLarge", {"classes": 10}),
    ("NASNetLarge", {"include_top": False, "input_shape": (None, 331, 3)}),
    ("NASNetLarge", {"input_shape": (224, 224, 3)}),
    ("NASNetLarge", {"weights": None, "include_top": False, "input_shape": (32, 20, 3)}),
])
def test_messages_match_keras(name, kwargs):
    expected = _message(getattr(keras.applications, name), **kwargs)
    assert _message(ours(name), **kwargs) == expected


def test_nasnet_generic_messages_match_keras():
    kwargs = dict(input_shape=(32, 32, 3), penultimate_filters=100, include_top=False,
                  weights=None)
    assert _message(nasnet.NASNet, **kwargs) == _message(keras_nasnet.NASNet, **kwargs)


def test_keras_refuses_nasnet_mobile_under_torch():
    """A Keras quirk kerastutor does not copy: NASNetMobile is refused on the torch backend."""
    if keras.backend.backend() != "torch":
        pytest.skip("only the torch backend refuses")
    with pytest.raises(ValueError, match="not available with the torch backend"):
        keras.applications.NASNetMobile(weights=None)
    assert nasnet.NASNetMobile(weights=None, include_top=False,
                               input_shape=(32, 32, 3)).output.shape == (None, 1, 1, 1056)


def test_preprocess_input_matches_keras():
    x = np.array([[[[0.0, 127.5, 255.0]]], [[[12.0, 200.0, 3.0]]]], dtype="float32")
    np.testing.assert_array_equal(densenet.preprocess_input(x),
                                  keras.applications.densenet.preprocess_input(x.copy()))
    np.testing.assert_array_equal(nasnet.preprocess_input(x),
                                  keras.applications.nasnet.preprocess_input(x.copy()))
