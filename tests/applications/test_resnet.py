"""keras.applications.resnet / resnet50 / resnet_v2: Keras's architecture, arguments, files.

The numbers, names and order come from Keras 3.15.1 (``weights=None``); the
large members are built with ``backend.shapes_only()``.
"""
import hashlib
import json

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import backend
from kerastutor.applications import resnet, resnet50, resnet_v2
from kerastutor.models.layer_order import keras_layer_order
from kerastutor.utils import file_utils

# member: (params with the top at 224, layers, layers with weights,
#          params without the top at 32x32, digest of Keras's names + types + weight shapes)
KERAS = {
    "ResNet50": (25636712, 177, 107, 23587712, "23d950283372e4b0"),
    "ResNet101": (44707176, 347, 209, 42658176, "bc689a88fcf498ac"),
    "ResNet152": (60419944, 517, 311, 58370944, "8e353f283cad5db9"),
    "ResNet50V2": (25613800, 192, 103, 23564800, "921458c0aef6959f"),
    "ResNet101V2": (44675560, 379, 205, 42626560, "6afd962b5bb09c5d"),
    "ResNet152V2": (60380648, 566, 307, 58331648, "42600176aefc9523"),
}
MODULE = {"ResNet50": resnet, "ResNet101": resnet, "ResNet152": resnet,
          "ResNet50V2": resnet_v2, "ResNet101V2": resnet_v2, "ResNet152V2": resnet_v2}
HASHES = {   # (top, notop), Keras's md5s
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
# Keras's ResNet50 layers 0..19: the shortcut convolution comes after the residual's
# first two convolutions, its batch norm after the third (Keras's depth order).
RESNET50_HEAD = [
    "input_layer", "conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu", "pool1_pad",
    "pool1_pool", "conv2_block1_1_conv", "conv2_block1_1_bn", "conv2_block1_1_relu",
    "conv2_block1_2_conv", "conv2_block1_2_bn", "conv2_block1_2_relu", "conv2_block1_0_conv",
    "conv2_block1_3_conv", "conv2_block1_0_bn", "conv2_block1_3_bn", "conv2_block1_add",
    "conv2_block1_out", "conv2_block2_1_conv"]


def digest(model):
    record = [[layer.name for layer in model.layers],
              [type(layer).__name__ for layer in model.layers],
              [[list(w.shape) for w in layer.weights] for layer in model.layers]]
    return hashlib.sha256(json.dumps(record).encode()).hexdigest()[:16]


def build(member, **kwargs):
    return getattr(MODULE[member], member)(**kwargs)


@pytest.mark.parametrize("member", list(KERAS))
def test_parameters_names_order_and_shapes_equal_keras(member):
    params, n_layers, n_weighted, notop_params, keras_digest = KERAS[member]
    with backend.shapes_only():
        model = build(member, weights=None)
    assert model.count_params() == params
    assert len(model.layers) == n_layers
    assert sum(1 for layer in model.layers if layer.weights) == n_weighted
    assert digest(model) == keras_digest
    assert model.name == member.lower()
    assert model.output.shape == (None, 1000)
    assert [layer.name for layer in model.layers[-2:]] == ["avg_pool", "predictions"]
    backend.clear_session()
    with backend.shapes_only():
        notop = build(member, weights=None, include_top=False, input_shape=(32, 32, 3))
    assert notop.count_params() == notop_params
    assert notop.output.shape == (None, 1, 1, 2048)


def test_resnet50_first_layers_in_keras_order():
    with backend.shapes_only():
        model = resnet.ResNet50(weights=None)
    assert [layer.name for layer in model.layers[:20]] == RESNET50_HEAD
    assert model.get_layer("conv1_conv").kernel.shape == (7, 7, 3, 64)
    assert model.get_layer("conv1_bn").epsilon == pytest.approx(1.001e-5)


def test_resnet50v2_shortcut_pools_and_post_activation():
    with backend.shapes_only():
        model = resnet_v2.ResNet50V2(weights=None)
    names = [layer.name for layer in model.layers]
    assert [n for n in names if n.startswith("max_pooling2d")] == [
        "max_pooling2d", "max_pooling2d_1", "max_pooling2d_2"]      # automatic, as Keras
    assert names.index("max_pooling2d") == names.index("conv2_block3_2_relu") + 1
    assert names[-4:] == ["post_bn", "post_relu", "avg_pool", "predictions"]
    assert "conv1_bn" not in names
    assert model.get_layer("conv2_block1_1_conv").use_bias is False
    assert model.get_layer("conv2_block1_0_conv").use_bias is True
    assert model.get_layer("conv4_block6_2_conv").strides == (2, 2)   # the stack's LAST block
    assert model.get_layer("conv5_block3_2_conv").strides == (1, 1)


def test_resnet50_module_holds_the_same_objects():
    assert resnet50.ResNet50 is resnet.ResNet50
    assert resnet50.preprocess_input is resnet.preprocess_input
    assert resnet50.decode_predictions is resnet.decode_predictions
    assert not hasattr(resnet50, "ResNet101")


@pytest.mark.parametrize("pooling, shape, last", [
    (None, (None, 2, 2, 2048), "conv5_block3_out"),
    ("avg", (None, 2048), "avg_pool"),
    ("max", (None, 2048), "max_pool"),
    ("AVG", (None, 2, 2, 2048), "conv5_block3_out"),        # not "avg": none, as Keras
])
def test_headless_pooling(pooling, shape, last):
    with backend.shapes_only():
        model = resnet.ResNet101(weights=None, include_top=False, input_shape=(64, 64, 3),
                                 pooling=pooling)
    assert model.output.shape == shape
    assert model.layers[-1].name == last


def test_channels_first():
    backend.set_image_data_format("channels_first")
    try:
        with backend.shapes_only():
            model = resnet_v2.ResNet50V2(weights=None, include_top=False,
                                         input_shape=(3, 64, 64))
            default = resnet.ResNet50(weights=None)
    finally:
        backend.set_image_data_format("channels_last")
    assert model.output.shape == (None, 2048, 2, 2)
    assert model.get_layer("post_bn").axis in (1, [1])
    assert model.count_params() == KERAS["ResNet50V2"][3]
    assert default.input.shape == (None, 3, 224, 224)


def test_forward_pass_and_a_training_step_of_resnet50():
    model = resnet.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10)
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    out = model.predict(resnet.preprocess_input(images), verbose=0)
    assert out.shape == (2, 10) and np.isfinite(out).all()
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    loss = model.train_on_batch(resnet.preprocess_input(images), np.array([1, 7]))
    assert np.isfinite(loss)


def test_forward_pass_of_resnet50v2_headless():
    model = resnet_v2.ResNet50V2(weights=None, include_top=False, input_shape=(32, 32, 3),
                                 pooling="max")
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    out = model.predict(resnet_v2.preprocess_input(images), verbose=0)
    assert out.shape == (2, 2048) and np.isfinite(out).all() and (out >= 0).all()


def test_input_tensor_and_logits():
    source = keras.Input((48, 48, 3))
    with backend.shapes_only():
        model = resnet.ResNet152(weights=None, input_tensor=source, classes=5,
                                 classifier_activation=None, name="mine")
    assert model.inputs[0] is source and model.name == "mine"
    assert model.get_layer("predictions").get_config()["activation"] == "linear"
    assert model.output.shape == (None, 5)


@pytest.mark.parametrize("kwargs, message", [
    (dict(weights="foo"), r"should be either `None` \(random initialization\)"),
    (dict(classes=10), "`classes` should be 1000.  Received classes=10"),
    (dict(input_shape=(64, 64, 3)), r"`input_shape` should be \(224, 224, 3\)"),
    (dict(weights=None, include_top=False, input_shape=(32, 31, 3)),
     "Input size must be at least 32x32"),
    (dict(classifier_activation="sigmoid"), "Only `None` and `softmax` activations"),
])
@pytest.mark.parametrize("member", ["ResNet50", "ResNet50V2"])
def test_argument_errors_as_keras(member, kwargs, message):
    with backend.shapes_only(), pytest.raises(ValueError, match=message):
        build(member, **kwargs)


class _Asked(Exception):
    pass


@pytest.mark.parametrize("member", list(KERAS))
@pytest.mark.parametrize("include_top", [True, False])
def test_imagenet_asks_for_keras_file(monkeypatch, member, include_top):
    asked = {}

    def get_file(fname, origin, cache_subdir, file_hash):
        asked.update(fname=fname, origin=origin, cache_subdir=cache_subdir, hash=file_hash)
        raise _Asked

    monkeypatch.setattr(file_utils, "get_file", get_file)
    with backend.shapes_only(), pytest.raises(_Asked):
        build(member, include_top=include_top, name="custom")   # the name does not matter
    stem = member.lower()
    file_name = f"{stem}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    assert asked == dict(
        fname=file_name, cache_subdir="models", hash=HASHES[stem][0 if include_top else 1],
        origin=f"https://storage.googleapis.com/tensorflow/keras-applications/resnet/{file_name}")


def test_weights_path_round_trip_with_batch_norm_statistics(tmp_path):
    model = resnet.ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3))
    rng = np.random.default_rng(3)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0, 0.1, layer.moving_mean.shape))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, layer.moving_variance.shape))
    path = str(tmp_path / "resnet50_notop.h5")
    model.save(path)
    images = rng.uniform(-100, 100, (2, 32, 32, 3)).astype("float32")
    expected = model.predict(images, verbose=0)
    backend.clear_session()
    loaded = resnet.ResNet50(weights=path, include_top=False, input_shape=(32, 32, 3))
    np.testing.assert_array_equal(loaded.predict(images, verbose=0), expected)


def test_keras_layer_order_of_a_small_branching_graph():
    inputs = keras.Input((4,))
    left = keras.layers.Dense(3, name="left")(inputs)
    right1 = keras.layers.Dense(3, name="right1")(inputs)
    right2 = keras.layers.Dense(3, name="right2")(right1)
    out = keras.layers.Add(name="add")([left, right2])
    order = [layer.name for layer in keras_layer_order([inputs], [out])]
    # depths from the output: add 0, left 1, right2 1, right1 2, input 3
    assert order == ["input_layer", "right1", "left", "right2", "add"]
    assert [layer.name for layer in keras.Model(inputs, out).layers] == order   # the model's


def test_preprocessing_modes():
    pixels = np.array([[[[0, 127.5, 255]]]], dtype="float32")
    np.testing.assert_allclose(resnet.preprocess_input(pixels)[0, 0, 0],
                               [151.061, 10.721, -123.68], rtol=1e-5)       # caffe
    np.testing.assert_allclose(resnet_v2.preprocess_input(pixels)[0, 0, 0], [-1, 0, 1])  # tf
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        resnet_v2.decode_predictions(np.zeros((2, 999)))
