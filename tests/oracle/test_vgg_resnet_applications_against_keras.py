"""VGG16, VGG19, ResNet50/101/152, ResNet50V2/101V2/152V2 against Keras 3 itself.

Keras's own random models are saved the way Keras writes its ImageNet files (a
legacy ``.h5``: root ``layer_names``, a ``weight_names`` per layer) and loaded
here with ``weights=<path>``: the predictions must agree. Every member's layer
names, types, order and weight shapes are compared with Keras's, Keras's large
models being built on torch's ``meta`` device (no memory).

Run: ``KERAS_BACKEND=torch KERASTUTOR_ORACLE=1 pytest tests/oracle/<this file>``.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

import kerastutor  # noqa: E402
from kerastutor import backend  # noqa: E402
from kerastutor.applications import resnet, resnet_v2, vgg16, vgg19  # noqa: E402

MEMBERS = {"VGG16": vgg16, "VGG19": vgg19, "ResNet50": resnet, "ResNet101": resnet,
           "ResNet152": resnet, "ResNet50V2": resnet_v2, "ResNet101V2": resnet_v2,
           "ResNet152V2": resnet_v2}
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # Keras's torch __array__
IMAGES = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")


def architecture(model):
    return [(layer.name, type(layer).__name__, [tuple(w.shape) for w in layer.weights])
            for layer in model.layers]


@pytest.mark.parametrize("member", list(MEMBERS))
@pytest.mark.parametrize("kwargs", [{}, dict(include_top=False, input_shape=(32, 32, 3),
                                             pooling="max")])
def test_every_member_has_keras_layers_and_parameters(member, kwargs):
    keras.backend.clear_session()
    with keras.device("meta"):
        theirs = getattr(keras.applications, member)(weights=None, **kwargs)
    with backend.shapes_only():
        ours = getattr(MEMBERS[member], member)(weights=None, **kwargs)
    assert ours.count_params() == theirs.count_params()
    assert architecture(ours) == architecture(theirs)
    assert ours.name == theirs.name
    assert tuple(ours.output.shape) == tuple(theirs.output.shape)


def keras_model_with_statistics(member, seed, **kwargs):
    """Keras's random model, with batch-norm statistics that are not 0 and 1."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = getattr(keras.applications, member)(weights=None, **kwargs)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0, 0.2, layer.moving_mean.shape))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, layer.moving_variance.shape))
    return model


def save_like_keras_files(model, path):
    """The layout of Keras's ImageNet weight files (weights only, by layer)."""
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)


@pytest.mark.parametrize("member, kwargs", [
    ("VGG16", dict(include_top=False, pooling="avg")),
    ("VGG19", dict(include_top=False)),
    ("ResNet50", dict(classes=10)),
    ("ResNet50", dict(include_top=False, pooling="max")),
    ("ResNet50V2", dict(classes=10, classifier_activation=None)),
    ("ResNet50V2", dict(include_top=False, pooling="avg")),
])
def test_keras_weights_give_keras_predictions(tmp_path, member, kwargs):
    theirs = keras_model_with_statistics(member, seed=7, input_shape=(32, 32, 3), **kwargs)
    path = str(tmp_path / f"{member}.h5")
    save_like_keras_files(theirs, path)
    module = MEMBERS[member]
    x = module.preprocess_input(IMAGES)
    expected = keras.ops.convert_to_numpy(theirs.predict(x, verbose=0))
    ours = getattr(module, member)(weights=path, input_shape=(32, 32, 3), **kwargs)
    got = ours.predict(x, verbose=0)
    assert got.shape == expected.shape
    scale = max(1.0, float(np.abs(expected).max()))     # VGG's unscaled caffe features are large
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * scale)


def test_a_full_keras_h5_model_file_loads_as_weights(tmp_path):
    theirs = keras_model_with_statistics("ResNet50V2", seed=3, include_top=False,
                                         input_shape=(32, 32, 3))
    path = str(tmp_path / "full.h5")
    theirs.save(path)                                  # model_weights/ inside
    x = resnet_v2.preprocess_input(IMAGES)
    ours = resnet_v2.ResNet50V2(weights=path, include_top=False, input_shape=(32, 32, 3))
    np.testing.assert_allclose(ours.predict(x, verbose=0),
                               keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)),
                               rtol=1e-4, atol=1e-4)


def test_layer_order_of_small_graphs_as_keras():
    def graph(lib):
        a, b = lib.Input((4,)), lib.Input((4,))
        left = lib.layers.Dense(3, name="left")(a)
        r1 = lib.layers.Dense(3, name="r1")(b)
        r2 = lib.layers.Dense(3, name="r2")(r1)
        r3 = lib.layers.Dense(3, name="r3")(r2)
        mid = lib.layers.Add(name="mid")([left, r2])
        both = lib.layers.Concatenate(name="cat")([r3, mid, left])
        return lib.Model([a, b], [both, lib.layers.Dense(2, name="side")(r1)])

    keras.backend.clear_session()
    theirs = graph(keras)
    ours = graph(kerastutor)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]


def test_preprocess_input_as_keras():
    for module, keras_module in [(vgg16, keras.applications.vgg16),
                                 (vgg19, keras.applications.vgg19),
                                 (resnet, keras.applications.resnet),
                                 (resnet_v2, keras.applications.resnet_v2)]:
        np.testing.assert_allclose(module.preprocess_input(IMAGES),
                                   keras_module.preprocess_input(IMAGES.copy()), rtol=1e-6)
