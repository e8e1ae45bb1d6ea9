"""keras.applications.vgg16 / vgg19: Keras's architecture, arguments, files and heads.

The numbers and names come from Keras 3.15.1 (``weights=None``); the large
models are built with ``backend.shapes_only()`` (no memory for the weights).
"""
import hashlib
import json

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import backend
from kerastutor.applications import imagenet_utils, vgg16, vgg19
from kerastutor.utils import file_utils

# member: (params with the top at 224, layers, layers with weights,
#          params without the top at 32x32, digest of Keras's names + types + weight shapes)
KERAS = {
    "VGG16": (138357544, 23, 16, 14714688, "c42caa24aada6fb6"),
    "VGG19": (143667240, 26, 19, 20024384, "a6255f6ae0bcc94f"),
}
CONSTRUCTORS = {"VGG16": vgg16.VGG16, "VGG19": vgg19.VGG19}
VGG16_NAMES = [
    "input_layer", "block1_conv1", "block1_conv2", "block1_pool", "block2_conv1",
    "block2_conv2", "block2_pool", "block3_conv1", "block3_conv2", "block3_conv3",
    "block3_pool", "block4_conv1", "block4_conv2", "block4_conv3", "block4_pool",
    "block5_conv1", "block5_conv2", "block5_conv3", "block5_pool", "flatten", "fc1", "fc2",
    "predictions"]


def digest(model):
    """Names, layer types and weight shapes, as the Keras numbers above were hashed."""
    record = [[layer.name for layer in model.layers],
              [type(layer).__name__ for layer in model.layers],
              [[list(w.shape) for w in layer.weights] for layer in model.layers]]
    return hashlib.sha256(json.dumps(record).encode()).hexdigest()[:16]


@pytest.mark.parametrize("member", sorted(KERAS))
def test_parameters_names_and_shapes_equal_keras(member):
    params, n_layers, n_weighted, notop_params, keras_digest = KERAS[member]
    with backend.shapes_only():
        model = CONSTRUCTORS[member](weights=None)
    assert model.count_params() == params
    assert len(model.layers) == n_layers
    assert sum(1 for layer in model.layers if layer.weights) == n_weighted
    assert digest(model) == keras_digest
    assert model.name == member.lower()
    assert model.input.shape == (None, 224, 224, 3)
    assert model.output.shape == (None, 1000)
    backend.clear_session()
    with backend.shapes_only():
        notop = CONSTRUCTORS[member](weights=None, include_top=False, input_shape=(32, 32, 3))
    assert notop.count_params() == notop_params
    assert notop.output.shape == (None, 1, 1, 512)


def test_vgg16_layer_names_and_the_summary_total():
    with backend.shapes_only():
        model = vgg16.VGG16(weights=None)
    assert [layer.name for layer in model.layers] == VGG16_NAMES
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 138,357,544 (527.79 MB)" in text        # Keras's line
    fc1 = model.get_layer("fc1")
    assert fc1.kernel.shape == (25088, 4096)
    assert model.get_layer("block1_conv1").kernel.shape == (3, 3, 3, 64)
    assert model.get_layer("predictions").get_config()["activation"] == "softmax"


@pytest.mark.parametrize("pooling, shape, last", [
    (None, (None, 2, 2, 512), "block5_pool"),
    ("avg", (None, 512), "global_average_pooling2d"),
    ("max", (None, 512), "global_max_pooling2d"),
    ("median", (None, 2, 2, 512), "block5_pool"),          # any other value: none, as Keras
])
def test_headless_pooling(pooling, shape, last):
    with backend.shapes_only():
        model = vgg19.VGG19(weights=None, include_top=False, input_shape=(64, 64, 3),
                            pooling=pooling)
    assert model.output.shape == shape
    assert model.layers[-1].name == last


def test_headless_default_input_is_any_size():
    with backend.shapes_only():
        model = vgg16.VGG16(weights=None, include_top=False)
    assert model.input.shape == (None, None, None, 3)
    assert model.output.shape == (None, None, None, 512)


def test_forward_pass_of_the_smallest_member():
    model = vgg16.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3),
                        pooling="avg")
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    out = model.predict(vgg16.preprocess_input(images), verbose=0)
    assert out.shape == (2, 512)
    assert out.dtype == np.float32
    assert np.isfinite(out).all() and (out >= 0).all()               # after ReLU and a pool


def test_classifier_head_logits_and_classes():
    with backend.shapes_only():
        model = vgg16.VGG16(weights=None, input_shape=(32, 32, 3), classes=10,
                            classifier_activation=None)
    assert model.count_params() == 33638218                          # Keras's number
    head = model.get_layer("predictions")
    assert head.units == 10 and head.get_config()["activation"] == "linear"


def test_input_tensor_is_used_and_its_sources_are_the_inputs():
    source = keras.Input((40, 40, 3))
    cropped = keras.layers.Cropping2D(4)(source)
    with backend.shapes_only():
        model = vgg16.VGG16(weights=None, include_top=False, input_tensor=cropped)
    assert model.inputs[0] is source
    assert model.output.shape == (None, 1, 1, 512)
    assert model.layers[1].name == "cropping2d"


@pytest.mark.parametrize("kwargs, message", [
    (dict(weights="foo"), r"The `weights` argument should be either `None` \(random "
                          r"initialization\), 'imagenet' \(pre-training on ImageNet\), or the "
                          r"path to the weights file to be loaded.  Received: weights=foo"),
    (dict(classes=10), "`classes` should be 1000.  Received classes=10"),
    (dict(input_shape=(200, 200, 3)),
     r"`input_shape` should be \(224, 224, 3\).  Received: input_shape=\(200, 200, 3\)"),
    (dict(weights=None, include_top=False, input_shape=(31, 31, 3)),
     r"Input size must be at least 32x32; Received: input_shape=\(31, 31, 3\)"),
    (dict(include_top=False, input_shape=(64, 64, 4)), "The input must have 3 channels"),
    (dict(weights=None, include_top=False, input_shape=(64, 64)),
     "`input_shape` must be a tuple of three integers."),
    (dict(weights=None, input_shape=(None, None, 3)),
     "you should specify a static `input_shape`"),
    (dict(classifier_activation="relu"), "Only `None` and `softmax` activations are allowed"),
])
def test_argument_errors_as_keras(kwargs, message):
    with backend.shapes_only(), pytest.raises(ValueError, match=message):
        vgg16.VGG16(**kwargs)


def test_four_channels_only_warn_without_imagenet():
    with backend.shapes_only(), pytest.warns(UserWarning, match="1 or 3 input channels"):
        model = vgg16.VGG16(weights=None, include_top=False, input_shape=(32, 32, 4))
    assert model.get_layer("block1_conv1").kernel.shape == (3, 3, 4, 64)


class _Asked(Exception):
    pass


@pytest.mark.parametrize("constructor, include_top, file_name, file_hash", [
    (vgg16.VGG16, True, "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
     "64373286793e3c8b2b4e3219cbf3544b"),
    (vgg16.VGG16, False, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "6d6bbae143d832006294945121d1f1fc"),
    (vgg19.VGG19, True, "vgg19_weights_tf_dim_ordering_tf_kernels.h5",
     "cbe5617147190e668d6c5d5026f83318"),
    (vgg19.VGG19, False, "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "253f8cb515780f3b799900260a226db6"),
])
def test_imagenet_asks_for_keras_file(monkeypatch, constructor, include_top, file_name,
                                      file_hash):
    asked = {}

    def get_file(fname, origin, cache_subdir, file_hash):
        asked.update(fname=fname, origin=origin, cache_subdir=cache_subdir, hash=file_hash)
        raise _Asked

    monkeypatch.setattr(file_utils, "get_file", get_file)
    with backend.shapes_only(), pytest.raises(_Asked):
        constructor(include_top=include_top)
    family = file_name[:5]
    assert asked == dict(fname=file_name, cache_subdir="models", hash=file_hash,
                         origin="https://storage.googleapis.com/tensorflow/"
                                f"keras-applications/{family}/{file_name}")


def test_weights_path_round_trip(tmp_path):
    model = vgg16.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    path = str(tmp_path / "vgg16_notop.h5")
    model.save(path)                                  # a legacy .h5, as Keras's files
    images = np.random.default_rng(1).uniform(-100, 100, (2, 32, 32, 3)).astype("float32")
    expected = model.predict(images, verbose=0)
    backend.clear_session()
    backend.set_random_seed(99)                       # other random weights to overwrite
    loaded = vgg16.VGG16(weights=path, include_top=False, input_shape=(32, 32, 3))
    np.testing.assert_array_equal(loaded.predict(images, verbose=0), expected)


def test_preprocess_and_decode_are_imagenets_caffe():
    pixels = np.array([[[[0, 127.5, 255]]]], dtype="float32")
    for module in (vgg16, vgg19):
        np.testing.assert_allclose(module.preprocess_input(pixels)[0, 0, 0],
                                   [151.061, 10.721, -123.68], rtol=1e-5)
        with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
            module.decode_predictions(np.zeros((1, 10)))
    assert vgg16.decode_predictions.__module__ == vgg16.__name__
    assert imagenet_utils.preprocess_input(pixels, mode="caffe").tolist() == \
        vgg19.preprocess_input(pixels).tolist()
