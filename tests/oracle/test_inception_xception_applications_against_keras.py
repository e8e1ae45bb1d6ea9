"""InceptionV3, InceptionResNetV2 and Xception against Keras 3 (torch backend).

Each network is built by Keras at its smallest input (75x75, 71x71), its
batch-normalization statistics randomised (so they matter), and its weights
written in the layout of Keras's ImageNet files (``layer_names`` and per-layer
``weight_names``, by Keras's own legacy writer). kerastutor builds the same
network with ``weights=<that file>``, which loads by position: the predictions
on the same images must agree, as must the layers and their weights.

Run: ``KERAS_BACKEND=torch KERASTUTOR_ORACLE=1 pytest tests/oracle/<this file>``
(about 1.5 GB of memory at its peak, for InceptionResNetV2).
"""
import gc
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras.src.legacy.saving import legacy_h5_format  # noqa: E402

from kerastutor import backend  # noqa: E402
from kerastutor.applications import inception_resnet_v2, inception_v3, xception  # noqa: E402

# Keras's torch backend turns its variables into arrays the NumPy-1 way (a warning each).
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

FAMILIES = {
    "xception": (keras.applications.Xception, xception.Xception, 71),
    "inception_v3": (keras.applications.InceptionV3, inception_v3.InceptionV3, 75),
    "inception_resnet_v2": (keras.applications.InceptionResNetV2,
                            inception_resnet_v2.InceptionResNetV2, 75),
}


def describe(model):
    return [(layer.name, type(layer).__name__, [tuple(w.shape) for w in layer.weights])
            for layer in model.layers]


def randomise_batch_norms(model, rng):
    """Give every BatchNormalization statistics and an affine part far from 0 and 1."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            for weight in layer.weights:
                kind = weight.path.rsplit("/", 1)[-1]
                if kind in ("gamma", "moving_variance"):
                    value = rng.uniform(0.5, 1.5, weight.shape)
                else:                              # beta, moving_mean
                    value = rng.normal(0, 0.1, weight.shape)
                weight.assign(value.astype("float32"))


@pytest.fixture(scope="module", params=list(FAMILIES))
def pair(request, tmp_path_factory):
    """(family, Keras model, kerastutor model loaded from Keras's weights file, size)."""
    family = request.param
    keras_ctor, our_ctor, size = FAMILIES[family]
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    keras_model = keras_ctor(weights=None, input_shape=(size, size, 3),
                             classifier_activation=None)
    randomise_batch_norms(keras_model, np.random.default_rng(1))
    path = str(tmp_path_factory.mktemp(family) / f"{family}.h5")
    with h5py.File(path, "w") as h5file:
        legacy_h5_format.save_weights_to_hdf5_group(h5file, keras_model)
    backend.clear_session()
    ours = our_ctor(weights=path, input_shape=(size, size, 3), classifier_activation=None)
    yield family, keras_model, ours, size
    del keras_model, ours
    os.remove(path)
    gc.collect()


def test_layers_and_parameter_counts_equal_keras(pair):
    _, keras_model, ours, _ = pair
    assert describe(ours) == describe(keras_model)
    assert ours.count_params() == keras_model.count_params()
    assert ours.name == keras_model.name


def test_weights_loaded_by_position_equal_keras_weights(pair):
    _, keras_model, ours, _ = pair
    for keras_weight, weight in zip(keras_model.weights, ours.weights):
        np.testing.assert_array_equal(weight.numpy(), keras.ops.convert_to_numpy(keras_weight))


def test_predictions_equal_keras(pair):
    family, keras_model, ours, size = pair
    pixels = np.random.default_rng(2).uniform(0, 255, (2, size, size, 3)).astype("float32")
    keras_module = getattr(keras.applications, family)
    images = keras_module.preprocess_input(pixels.copy())
    ours_module = {"xception": xception, "inception_v3": inception_v3,
                   "inception_resnet_v2": inception_resnet_v2}[family]
    np.testing.assert_allclose(ours_module.preprocess_input(pixels), images, rtol=1e-6)
    expected = keras.ops.convert_to_numpy(keras_model.predict(images, verbose=0))
    got = ours.predict(images, verbose=0)
    assert np.std(expected) > 1e-2                     # logits that say something
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def test_custom_scale_layer_config_equals_keras():
    from keras.src.applications.inception_resnet_v2 import \
        CustomScaleLayer as KerasCustomScaleLayer
    keras_config = KerasCustomScaleLayer(0.17, name="s").get_config()
    ours = inception_resnet_v2.CustomScaleLayer(0.17, name="s").get_config()
    assert {k: ours[k] for k in ("name", "trainable", "scale")} == \
        {k: keras_config[k] for k in ("name", "trainable", "scale")}
    shortcut = np.random.default_rng(3).normal(size=(2, 4, 4, 3)).astype("float32")
    residual = np.random.default_rng(4).normal(size=(2, 4, 4, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(KerasCustomScaleLayer(0.17)([shortcut, residual]))
    got, _ = inception_resnet_v2.CustomScaleLayer(0.17).forward([shortcut, residual])
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("family", ["xception"])
@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_feature_extractor_layers_equal_keras(family, pooling):
    keras_ctor, our_ctor, size = FAMILIES[family]
    keras.backend.clear_session()
    keras_model = keras_ctor(weights=None, include_top=False, input_shape=(size, size, 3),
                             pooling=pooling)
    backend.clear_session()
    with backend.shapes_only():
        ours = our_ctor(weights=None, include_top=False, input_shape=(size, size, 3),
                        pooling=pooling)
    assert describe(ours) == describe(keras_model)
    assert tuple(ours.output.shape) == tuple(keras_model.output.shape)
