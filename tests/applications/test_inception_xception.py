"""keras.applications InceptionV3, InceptionResNetV2 and Xception: Keras's layers, counts, rules.

The expected numbers and layer lists were taken from Keras 3.15.1 (torch
backend, ``weights=None``, fresh session, smallest inputs: 75x75, 71x71).
InceptionResNetV2 (56 million parameters) is never given real weights here:
it is counted under ``shapes_only()`` and its blocks run in small models
(the whole network runs against Keras in tests/oracle).
"""
import hashlib
import json

import numpy as np
import pytest

from kerastutor import backend, layers
from kerastutor.applications import (imagenet_utils, inception_resnet_v2,
                                     inception_v3, xception)
from kerastutor.applications.inception_resnet_v2 import CustomScaleLayer
from kerastutor.gradcheck import check_layer
from kerastutor.models import Model

FAMILIES = {          # constructor, min size, Keras: params, trainable, notop params, layers
    "inception_v3": (inception_v3.InceptionV3, 75, 23851784, 23817352, 21802784, 313),
    "inception_resnet_v2": (inception_resnet_v2.InceptionResNetV2, 75, 55873736,
                            55813192, 54336736, 782),
    "xception": (xception.Xception, 71, 22910480, 22855952, 20861480, 134),
}
# sha256 (first 16 hex) of Keras's ",".join(layer names) and of json.dumps of
# [[name, class name, [weight shapes]], ...] per layer, with first and last names.
KERAS_LAYERS = {
    "inception_v3": ("3484804071db8d6d", "79d7df3ebbdc8326",
                     ["input_layer", "conv2d", "batch_normalization"],
                     ["mixed10", "avg_pool", "predictions"]),
    "inception_resnet_v2": ("b87a3ed9dc5d7cf6", "eb24ccc4da4c9d2a",
                            ["input_layer", "conv2d", "batch_normalization"],
                            ["conv_7b_ac", "avg_pool", "predictions"]),
    "xception": ("03b2590ff441d7a1", "04338cbf61f4a4ea",
                 ["input_layer", "block1_conv1", "block1_conv1_bn"],
                 ["block14_sepconv2_act", "avg_pool", "predictions"]),
}
NOTOP_CHANNELS = {"inception_v3": 2048, "inception_resnet_v2": 1536, "xception": 2048}
NOTOP_SIDE = {"inception_v3": 1, "inception_resnet_v2": 1, "xception": 3}


@pytest.fixture(autouse=True)
def fresh_names():
    """Automatic layer names (conv2d_7, ...) count from zero, as in a fresh Keras session."""
    backend.clear_session()
    yield
    backend.clear_session()


def shapes_only(family, **kwargs):
    ctor, size = FAMILIES[family][:2]
    kwargs.setdefault("input_shape", (size, size, 3))
    with backend.shapes_only():
        return ctor(weights=kwargs.pop("weights", None), **kwargs)


def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ------------------------------------------------------------ architecture
@pytest.mark.parametrize("family", FAMILIES)
def test_parameter_counts_equal_keras(family):
    _, _, params, trainable, notop, _ = FAMILIES[family]
    model = shapes_only(family)
    assert model.count_params() == params
    assert sum(w.size for w in model.trainable_weights) == trainable
    assert shapes_only(family, include_top=False).count_params() == notop
    channels = NOTOP_CHANNELS[family]
    assert params - notop == channels * 1000 + 1000          # the head: Dense(c -> 1000)
    assert shapes_only(family, classes=10).count_params() == notop + channels * 10 + 10


@pytest.mark.parametrize("family", FAMILIES)
def test_layer_names_types_and_weight_shapes_equal_keras(family):
    model = shapes_only(family)
    names_digest, full_digest, first, last = KERAS_LAYERS[family]
    names = [layer.name for layer in model.layers]
    assert len(names) == FAMILIES[family][5]
    assert names[:3] == first and names[-3:] == last
    assert digest(",".join(names)) == names_digest
    described = [[layer.name, type(layer).__name__, [list(w.shape) for w in layer.weights]]
                 for layer in model.layers]
    assert digest(json.dumps(described)) == full_digest
    assert model.name == family


def test_layer_order_is_keras_depth_order():
    """Deepest first, ties by first visit from the outputs (Keras's map_graph)."""
    x = layers.Input((4,))
    d = x
    for name in ("d1", "d2", "d3"):
        d = layers.Dense(4, name=name)(d)
    e = layers.Dense(4, name="e2")(layers.Dense(4, name="e1")(x))
    model = Model(x, layers.Add(name="add")([d, e]))
    keras_order = ["d1", "d2", "e1", "d3", "e2", "add"]      # Keras 3.15.1
    assert [l.name for l in model.layers][1:] == keras_order      # the model lists them so
    steps = [step.layer.name for step in model._steps]            # and runs them its own way
    assert steps.index("e1") < steps.index("e2") and steps.index("d2") < steps.index("d3")


def test_xception_shortcut_conv_follows_the_block_it_bypasses():
    names = [l.name for l in shapes_only("xception").layers]
    assert names[10:16] == ["block2_sepconv2", "block2_sepconv2_bn", "conv2d", "block2_pool",
                            "batch_normalization", "add"]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("pooling", [None, "avg", "max", "other"])
def test_feature_extractor_shapes(family, pooling):
    model = shapes_only(family, include_top=False, pooling=pooling)
    channels, side = NOTOP_CHANNELS[family], NOTOP_SIDE[family]
    if pooling in ("avg", "max"):
        assert model.output.shape == (None, channels)
        kind = "global_average_pooling2d" if pooling == "avg" else "global_max_pooling2d"
        assert model.layers[-1].name == kind
    else:                                          # another string is None, as in Keras
        assert model.output.shape == (None, side, side, channels)


@pytest.mark.parametrize("family", FAMILIES)
def test_default_shapes_and_custom_name(family):
    ctor = FAMILIES[family][0]
    with backend.shapes_only():
        top = ctor(weights=None, name="mine")
        free = ctor(weights=None, include_top=False)
    assert top.name == "mine" and top.input.shape == (None, 299, 299, 3)
    assert top.output.shape == (None, 1000)
    assert free.input.shape == (None, None, None, 3)
    assert free.output.shape == (None, None, None, NOTOP_CHANNELS[family])


def test_input_tensor_is_used_and_logits_head():
    image = layers.Input((71, 71, 3))
    with backend.shapes_only():
        model = xception.Xception(weights=None, input_tensor=image, classes=7,
                                  classifier_activation=None)
    assert model.inputs[0] is image
    assert model.output.shape == (None, 7)
    assert model.get_layer("predictions").get_config()["activation"] == "linear"


# ------------------------------------------------------------ forward passes
@pytest.mark.parametrize("family", ["xception", "inception_v3"])
def test_forward_pass_at_the_minimum_size(family):
    ctor, size = FAMILIES[family][:2]
    model = ctor(weights=None, input_shape=(size, size, 3))
    pixels = np.random.default_rng(0).uniform(0, 255, (2, size, size, 3)).astype("float32")
    probs = model.predict(inception_v3.preprocess_input(pixels), verbose=0)
    assert probs.shape == (2, 1000) and probs.dtype == np.float32
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("block_type, channels, scale", [
    ("block35", 320, 0.17), ("block17", 1088, 0.1), ("block8", 2080, 0.2)])
def test_inception_resnet_blocks_run(block_type, channels, scale):
    x = layers.Input((5, 5, channels))
    y = inception_resnet_v2.inception_resnet_block(x, scale, block_type, block_idx=3)
    model = Model(x, y)
    names = [l.name for l in model.layers]
    assert {f"{block_type}_3_mixed", f"{block_type}_3_conv", f"{block_type}_3_ac",
            "custom_scale_layer"} <= set(names)
    out = model.predict(np.random.default_rng(1).normal(size=(2, 5, 5, channels))
                        .astype("float32"), verbose=0)
    assert out.shape == (2, 5, 5, channels) and np.all(out >= 0) and np.all(np.isfinite(out))


def test_last_block8_has_no_activation_and_bad_block_type():
    x = layers.Input((3, 3, 2080))
    y = inception_resnet_v2.inception_resnet_block(x, 1.0, "block8", 10, activation=None)
    assert isinstance(y.history[0], CustomScaleLayer)
    with pytest.raises(ValueError, match='Expects "block35", "block17" or "block8", but '
                                         "got: block99"):
        inception_resnet_v2.inception_resnet_block(x, 1.0, "block99", 1)


# ------------------------------------------------------------ CustomScaleLayer
def test_custom_scale_layer_forward_backward_and_config():
    layer = CustomScaleLayer(0.17)
    rng = np.random.default_rng(0)
    a, r = rng.normal(size=(2, 3, 3, 4)), rng.normal(size=(2, 3, 3, 4))
    y, cache = layer.forward([a.astype("float32"), r.astype("float32")])
    np.testing.assert_allclose(y, a + 0.17 * r, rtol=1e-6, atol=1e-7)
    assert y.dtype == np.float32
    check_layer(CustomScaleLayer(0.17), [a, r]).assert_ok()
    config = layer.get_config()
    assert config["scale"] == 0.17 and config["name"] == layer.name
    clone = CustomScaleLayer.from_config(config)
    assert clone.scale == 0.17 and clone.name == layer.name
    with pytest.raises(ValueError, match="list of two"):
        layer.forward(a)


def test_custom_scale_layer_trains_in_a_model():
    x = layers.Input((4,))
    branch = layers.Dense(4, name="branch")(x)
    model = Model(x, CustomScaleLayer(0.5)([x, branch]))
    model.compile(optimizer="sgd", loss="mse")
    data = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    before = model.get_layer("branch").get_weights()[0].copy()
    model.fit(data, np.zeros_like(data), epochs=1, verbose=0)
    assert not np.allclose(model.get_layer("branch").get_weights()[0], before)


# ------------------------------------------------------------ arguments
WEIGHTS_MESSAGES = {
    "inception_v3": "the path to the weights file to be loaded; Received: weights=nope",
    "inception_resnet_v2": "the path to the weights file to be loaded.",
    "xception": "the path to the weights file to be loaded.",
}
CLASSES_MESSAGES = {
    "inception_v3": 'If using `weights="imagenet"` with `include_top=True`, `classes` '
                    "should be 1000. Received classes=10",
    "inception_resnet_v2": 'If using `weights="imagenet"` with `include_top=True`, '
                           "`classes` should be 1000. Received classes=10",
    "xception": "If using `weights='imagenet'` with `include_top=True`, `classes` should "
                "be 1000.  Received classes=10",
}


@pytest.mark.parametrize("family", FAMILIES)
def test_argument_errors(family):
    ctor, size = FAMILIES[family][:2]
    with pytest.raises(ValueError) as error:
        ctor(weights="nope")
    assert str(error.value).endswith(WEIGHTS_MESSAGES[family])
    with pytest.raises(ValueError) as error:
        ctor(weights="imagenet", classes=10)
    assert str(error.value) == CLASSES_MESSAGES[family]
    with pytest.raises(ValueError, match=f"Input size must be at least {size}x{size}; "
                                         rf"Received: input_shape=\({size - 1}, 90, 3\)"):
        ctor(weights=None, include_top=False, input_shape=(size - 1, 90, 3))
    with pytest.raises(ValueError, match=r"`input_shape` should be \(299, 299, 3\)"):
        ctor(weights="imagenet", input_shape=(200, 200, 3))
    with pytest.raises(ValueError, match="The input must have 3 channels"):
        ctor(weights="imagenet", include_top=False, input_shape=(100, 100, 4))
    with pytest.raises(ValueError, match="you should specify a static `input_shape`"):
        ctor(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations"), \
            backend.shapes_only():
        ctor(weights="imagenet", classifier_activation="relu")


KERAS_FILES = {   # include_top: (file, md5), notop: (file, md5); origin prefix
    "inception_v3": (
        ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
         "9a0d58056eeedaa3f26cb7ebd46da564"),
        ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
         "bcbd6486424b2319ff4ef7d526e38f63"),
        "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"),
    "inception_resnet_v2": (
        ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
         "e693bd0210a403b3192acc6073ad2e96"),
        ("inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
         "d19885ff4a710c122648d3b5c3b684e4"),
        "https://storage.googleapis.com/tensorflow/keras-applications/inception_resnet_v2/"),
    "xception": (
        ("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
        ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
         "b0042744bf5b25fce3cb969f33bebb97"),
        "https://storage.googleapis.com/tensorflow/keras-applications/xception/"),
}


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("include_top", [True, False])
def test_imagenet_weights_are_keras_files(family, include_top, monkeypatch):
    asked = []
    monkeypatch.setattr(imagenet_utils, "load_weights",
                        lambda model, weights, *file: asked.append((weights,) + file) or model)
    ctor = FAMILIES[family][0]
    with backend.shapes_only():
        ctor(include_top=include_top, input_shape=None if include_top else (80, 80, 3))
    top, notop, prefix = KERAS_FILES[family]
    file_name, md5 = top if include_top else notop
    assert asked == [("imagenet", file_name, prefix + file_name, md5)]


# ------------------------------------------------------------ weight files
def test_weights_path_round_trip(tmp_path):
    """A full legacy .h5 of one model gives another, built with weights=<path>, its weights."""
    source = xception.Xception(weights=None, input_shape=(71, 71, 3), classes=5)
    rng = np.random.default_rng(0)
    for layer in source.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")
                               for w in layer.get_weights()])
    path = str(tmp_path / "xception.h5")
    source.save(path)
    loaded = xception.Xception(weights=path, input_shape=(71, 71, 3), classes=5)
    images = rng.uniform(-1, 1, (2, 71, 71, 3)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(images, verbose=0),
                                  source.predict(images, verbose=0))


def test_preprocess_input_is_tf_mode_and_decode_is_imagenets():
    pixels = np.array([[[[0, 127.5, 255]]]], dtype="float32")
    for module in (inception_v3, inception_resnet_v2, xception):
        np.testing.assert_allclose(module.preprocess_input(pixels).ravel(), [-1, 0, 1])
        with pytest.raises(ValueError, match=r"Received array with shape: \(1, 10\)"):
            module.decode_predictions(np.zeros((1, 10)))
