"""keras.applications mobilenet, mobilenet_v2, mobilenet_v3: Keras's structure, rules, files.

The parameter counts, layer-name digests and messages were read from Keras 3.15.1
(``weights=None``, torch backend); tests/oracle compares with Keras directly.
"""
import hashlib
import warnings

import numpy as np
import pytest

from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils, mobilenet, mobilenet_v2, mobilenet_v3

MobileNet = mobilenet.MobileNet
MobileNetV2 = mobilenet_v2.MobileNetV2
MobileNetV3Small = mobilenet_v3.MobileNetV3Small
MobileNetV3Large = mobilenet_v3.MobileNetV3Large


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()          # automatic names (re_lu_3, activation_7) from zero
    yield
    backend.clear_session()


def _names(model):
    return [layer.name for layer in model.layers]


def _digest(names):
    return hashlib.md5("\n".join(names).encode()).hexdigest()


# ------------------------------------------------------------------ every member's size
@pytest.mark.parametrize("build, kwargs, params", [
    (MobileNet, dict(alpha=0.25), 475_544),
    (MobileNet, dict(alpha=0.5), 1_342_536),
    (MobileNet, dict(alpha=0.75), 2_601_976),
    (MobileNet, dict(alpha=1.0), 4_253_864),
    (MobileNet, dict(alpha=1.0, depth_multiplier=2), 7_457_928),
    (MobileNetV2, dict(alpha=0.35), 1_691_208),
    (MobileNetV2, dict(alpha=0.5), 1_987_224),
    (MobileNetV2, dict(alpha=0.75), 2_663_064),
    (MobileNetV2, dict(alpha=1.0), 3_538_984),
    (MobileNetV2, dict(alpha=1.3), 5_431_048),
    (MobileNetV2, dict(alpha=1.4), 6_156_712),
    (MobileNetV3Small, dict(alpha=0.75), 2_051_552),
    (MobileNetV3Small, dict(alpha=0.75, minimalistic=True), 1_742_192),
    (MobileNetV3Small, dict(alpha=1.0), 2_554_968),
    (MobileNetV3Small, dict(alpha=1.0, minimalistic=True), 2_056_848),
    (MobileNetV3Small, dict(alpha=1.25), 3_660_640),
    (MobileNetV3Large, dict(alpha=0.75), 4_012_616),
    (MobileNetV3Large, dict(alpha=0.75, minimalistic=True), 3_069_400),
    (MobileNetV3Large, dict(alpha=1.0), 5_507_432),
    (MobileNetV3Large, dict(alpha=1.0, minimalistic=True), 3_948_688),
    (MobileNetV3Large, dict(alpha=1.25), 8_286_760),
])
def test_parameter_counts_equal_kerass(build, kwargs, params):
    with backend.shapes_only():
        model = build(weights=None, input_shape=(32, 32, 3), **kwargs)
    assert model.count_params() == params


def test_mobilenetv2_golden_224():
    with backend.shapes_only():
        model = MobileNetV2(weights=None)
    assert model.name == "mobilenetv2_1.00_224"
    assert model.count_params() == 3_538_984 and len(model.layers) == 156
    assert sum(1 for layer in model.layers if layer.weights) == 105
    names = _names(model)
    assert names[:10] == ["input_layer", "Conv1", "bn_Conv1", "Conv1_relu",
                          "expanded_conv_depthwise", "expanded_conv_depthwise_BN",
                          "expanded_conv_depthwise_relu", "expanded_conv_project",
                          "expanded_conv_project_BN", "block_1_expand"]
    assert [n for n in names if n.endswith("_pad")] == \
        ["block_1_pad", "block_3_pad", "block_6_pad", "block_13_pad"]
    assert [int(n.split("_")[1]) for n in names if n.endswith("_add")] == \
        [2, 4, 5, 7, 8, 9, 11, 12, 14, 15]
    assert names[-5:] == ["Conv_1", "Conv_1_bn", "out_relu", "global_average_pooling2d",
                          "predictions"]
    conv = model.get_layer("Conv1")
    assert not conv.use_bias and tuple(conv.kernel.shape) == (3, 3, 3, 32)
    bn = model.get_layer("bn_Conv1")
    assert (bn.epsilon, bn.momentum) == (1e-3, 0.999)


# ------------------------------------------------------------ layer names of the smallest
@pytest.mark.parametrize("build, kwargs, count, digest, first, last", [
    (MobileNet, dict(alpha=0.25), 91, "898a23f0fe3186609aa7f8bf47705139",
     ["input_layer", "conv1", "conv1_bn", "conv1_relu", "conv_dw_1"],
     ["conv_pw_13_relu", "global_average_pooling2d", "dropout", "conv_preds", "reshape_2",
      "predictions"]),
    (MobileNetV2, dict(alpha=0.35), 156, "e4ce3f1b46d300fbab6d5f82caeca50b",
     ["input_layer", "Conv1", "bn_Conv1"],
     ["out_relu", "global_average_pooling2d", "predictions"]),
    (MobileNetV3Small, dict(alpha=0.75), 164, "efbf373014ab428d422f7bbc68014f50",
     ["input_layer", "rescaling", "conv", "conv_bn", "activation",
      "expanded_conv_depthwise_pad", "expanded_conv_depthwise",
      "expanded_conv_depthwise_bn", "re_lu", "expanded_conv_squeeze_excite_avg_pool",
      "expanded_conv_squeeze_excite_conv", "expanded_conv_squeeze_excite_relu",
      "expanded_conv_squeeze_excite_conv_1", "re_lu_1", "expanded_conv_squeeze_excite_mul"],
     ["conv_1", "conv_1_bn", "activation_17", "global_average_pooling2d", "conv_2",
      "activation_18", "dropout", "logits", "flatten", "predictions"]),
    (MobileNetV3Small, dict(minimalistic=True), 110, "c7d68b6a9201dcb0c17db06c7d9e12d7",
     ["input_layer", "rescaling", "conv", "conv_bn", "re_lu"], ["logits", "flatten",
                                                                "predictions"]),
    (MobileNetV3Large, dict(), 194, "c393f3a27fd46a22cf06fb3b18c4a68a",
     ["input_layer", "rescaling", "conv"], ["logits", "flatten", "predictions"]),
    (MobileNetV3Large, dict(minimalistic=True), 146, "1d101876913a11b6ae62f9fe8883f7a4",
     ["input_layer", "rescaling", "conv"], ["logits", "flatten", "predictions"]),
])
def test_layer_names_and_order_equal_kerass(build, kwargs, count, digest, first, last):
    with backend.shapes_only():
        names = _names(build(weights=None, input_shape=(32, 32, 3), **kwargs))
    assert names[:len(first)] == first and names[-len(last):] == last
    assert len(names) == count
    assert _digest(names) == digest


def test_hsigmoid_is_kerass_relu6_between_two_unlisted_operations():
    """Keras: ReLU(6.0)(x + 3.0) * (1/6) -- the sum and product are graph operations."""
    with backend.shapes_only():
        model = MobileNetV3Small(weights=None, input_shape=(32, 32, 3))
    gate = model.get_layer("re_lu_1")
    assert type(gate).__name__ == "ReLU" and gate.max_value == 6.0
    model._listing_operations = True
    try:
        graph = {layer.name: layer for layer in model.layers}
    finally:
        model._listing_operations = False
    order = list(graph)
    assert order[order.index("re_lu_1") - 1:order.index("re_lu_1") + 2] == \
        ["add", "re_lu_1", "multiply"]
    assert [n for n in order if n.startswith(("add", "multiply"))][-2:] == \
        ["add_8", "multiply_8"]                      # 9 SE blocks, Keras's operation names
    assert "add" not in _names(model) and len(graph) == len(_names(model)) + 18
    x = np.linspace(-5, 5, 11, dtype="float32").reshape(1, 1, 1, 11)
    shift, scale = graph["add"], graph["multiply"]            # not layers: no get_layer
    np.testing.assert_allclose(scale.forward(gate.forward(shift.forward(x)[0])[0])[0],
                               np.clip(x + 3, 0, 6) * (1 / 6), atol=1e-7)
    assert model.get_layer("activation").activation.name == "hard_silu"
    assert backend.unique_name("add") == "add_9"     # as after Keras's build


@pytest.mark.parametrize("build, name", [
    (lambda **k: MobileNet(alpha=0.5, **k), "mobilenet_0.50_48"),
    (lambda **k: MobileNetV2(alpha=1.3, **k), "mobilenetv2_1.30_48"),
    (MobileNetV3Small, "MobileNetV3Small"),
    (MobileNetV3Large, "MobileNetV3Large"),
])
def test_default_model_names(build, name):
    with backend.shapes_only():
        assert build(weights=None, input_shape=(48, 48, 3)).name == name
        assert build(weights=None, input_shape=(48, 48, 3), name="mine").name == "mine"


# ------------------------------------------------------------------ heads without the top
@pytest.mark.parametrize("build, kwargs, channels", [
    (MobileNet, dict(alpha=0.25), 256),
    (MobileNetV2, dict(alpha=0.35), 1280),
    (MobileNetV2, dict(alpha=1.4), 1792),
    (MobileNetV3Small, dict(), 576),
    (MobileNetV3Large, dict(), 960),
])
def test_include_top_false_and_pooling(build, kwargs, channels):
    with backend.shapes_only():
        shapes = {p: tuple(build(weights=None, include_top=False, pooling=p,
                                 input_shape=(64, 64, 3), **kwargs).outputs[0].shape)
                  for p in (None, "avg", "max", "other")}
        free = build(weights=None, include_top=False, **kwargs)
    assert shapes == {None: (None, 2, 2, channels), "avg": (None, channels),
                      "max": (None, channels), "other": (None, 2, 2, channels)}
    assert tuple(free.inputs[0].shape) == (None, None, None, 3)
    assert tuple(free.outputs[0].shape) == (None, None, None, channels)


def test_pooling_layer_names():
    with backend.shapes_only():
        assert _names(MobileNetV3Small(weights=None, include_top=False, pooling="avg"))[-1] \
            == "avg_pool"
        assert _names(MobileNetV3Large(weights=None, include_top=False, pooling="max"))[-1] \
            == "max_pool"
        assert _names(MobileNetV2(weights=None, include_top=False, pooling="max"))[-1] \
            == "global_max_pooling2d"
        assert _names(MobileNet(weights=None, include_top=False, pooling="avg"))[-1] \
            == "global_average_pooling2d"


def test_mobilenetv3_needs_no_input_shape_even_with_the_top():
    with backend.shapes_only():
        model = MobileNetV3Small(weights=None)
        assert tuple(model.inputs[0].shape) == (None, None, None, 3)
        assert tuple(model.outputs[0].shape) == (None, 1000)
        nodrop = MobileNetV3Small(weights=None, dropout_rate=0, include_preprocessing=False)
    assert "dropout" not in _names(nodrop) and "rescaling" not in _names(nodrop)


# ------------------------------------------------------------------------ forward passes
@pytest.mark.parametrize("build, kwargs, scale", [
    (MobileNet, dict(alpha=0.25), 1.0),
    (MobileNetV2, dict(alpha=0.35), 1.0),
    (MobileNetV3Small, dict(alpha=0.75), 255.0),
    (MobileNetV3Large, dict(alpha=0.75, minimalistic=True), 255.0),
])
def test_forward_pass_of_the_smallest_member(build, kwargs, scale):
    model = build(weights=None, input_shape=(32, 32, 3), classes=10, **kwargs)
    images = np.random.default_rng(0).uniform(0, scale, (2, 32, 32, 3)).astype("float32")
    probabilities = model.predict(images, verbose=0)
    assert probabilities.shape == (2, 10) and np.all(np.isfinite(probabilities))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_logits_and_input_tensor():
    image = layers.Input((40, 40, 3))
    model = MobileNetV2(weights=None, alpha=0.35, input_tensor=image,
                        classifier_activation=None, classes=4)
    assert model.inputs[0] is image
    assert model.name == "mobilenetv2_0.35_224"      # Keras: 40 is no pretrained size
    assert model.get_layer("predictions").activation.name == "linear"
    out = model.predict(np.random.default_rng(1).uniform(-1, 1, (2, 40, 40, 3))
                        .astype("float32"), verbose=0)
    assert out.shape == (2, 4) and np.all(np.isfinite(out))
    with backend.shapes_only():
        assert MobileNetV2(weights=None, input_tensor=layers.Input((96, 96, 3))).name == \
            "mobilenetv2_1.00_96"


# ------------------------------------------------------------------- weights=<path>
@pytest.mark.parametrize("build, kwargs, scale", [
    (MobileNet, dict(alpha=0.25), 1.0),
    (MobileNetV2, dict(alpha=0.35), 1.0),
    (MobileNetV3Small, dict(minimalistic=True, alpha=0.75), 255.0),
    (MobileNetV3Small, dict(alpha=0.75), 255.0),
])
def test_weights_path_round_trip_through_a_legacy_h5(tmp_path, build, kwargs, scale):
    source = build(weights=None, input_shape=(32, 32, 3), **kwargs)
    rng = np.random.default_rng(2)
    source.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")
                        if w.name.endswith("variance")
                        else rng.normal(0, 0.2, w.shape).astype("float32")
                        for w in source.weights])
    path = str(tmp_path / "model.h5")
    source.save(path)
    backend.clear_session()
    loaded = build(weights=path, input_shape=(32, 32, 3), **kwargs)
    images = rng.uniform(0, scale, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(images, verbose=0),
                               source.predict(images, verbose=0), rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------- Keras's weight files
@pytest.fixture
def requested(monkeypatch):
    """The file each constructor asks imagenet_utils for (nothing is downloaded)."""
    calls = []

    def fake_load(model, weights, file_name, origin, file_hash=None):
        calls.append((file_name, origin, file_hash, model.name))
        return model

    monkeypatch.setattr(imagenet_utils, "load_weights", fake_load)
    return calls


V1 = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
V2 = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
V3 = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"


@pytest.mark.parametrize("build, kwargs, file_name, origin, md5, name", [
    (MobileNet, dict(), "mobilenet_1_0_224_tf.h5", V1, None, "mobilenet_1.00_224"),
    (MobileNet, dict(alpha=0.25, include_top=False, input_shape=(128, 128, 3)),
     "mobilenet_2_5_128_tf_no_top.h5", V1, None, "mobilenet_0.25_128"),
    (MobileNet, dict(alpha=0.75, input_shape=(160, 160, 3)), "mobilenet_7_5_160_tf.h5", V1,
     None, "mobilenet_0.75_160"),
    (MobileNetV2, dict(), "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5", V2,
     None, "mobilenetv2_1.00_224"),
    (MobileNetV2, dict(alpha=0.35, include_top=False, input_shape=(96, 96, 3)),
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5", V2, None,
     "mobilenetv2_0.35_96"),
    (MobileNetV2, dict(alpha=0.5, input_shape=(128, 128, 3)),
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_128.h5", V2, None,
     "mobilenetv2_0.50_128"),
    (MobileNetV3Small, dict(input_shape=(224, 224, 3)),
     "weights_mobilenet_v3_small_224_1.0_float.h5", V3, "8768d4c2e7dee89b9d02b2d03d65d862",
     "MobileNetV3Small"),
    (MobileNetV3Small, dict(alpha=0.75, include_top=False, input_shape=(224, 224, 3)),
     "weights_mobilenet_v3_small_224_0.75_float_no_top_v2.h5", V3,
     "ebdb5cc8e0b497cd13a7c275d475c819", "MobileNetV3Small"),
    (MobileNetV3Large, dict(minimalistic=True, input_shape=(224, 224, 3)),
     "weights_mobilenet_v3_large_minimalistic_224_1.0_float.h5", V3,
     "675e7b876c45c57e9e63e6d90a36599c", "MobileNetV3Large"),
    (MobileNetV3Large, dict(alpha=1, include_top=False, input_shape=(224, 224, 3)),
     "weights_mobilenet_v3_large_224_1.0_float_no_top_v2.h5", V3,
     "07fb09a5933dd0c8eaafa16978110389", "MobileNetV3Large"),
])
def test_imagenet_weight_files(requested, build, kwargs, file_name, origin, md5, name):
    with backend.shapes_only():
        build(weights="imagenet", **kwargs)
    assert requested == [(file_name, origin + file_name, md5, name)]


@pytest.mark.parametrize("build, kwargs, message, file_name", [
    (MobileNet, dict(include_top=False, input_shape=(100, 100, 3)),
     r"not in \[128, 160, 192, 224\]", "mobilenet_1_0_224_tf_no_top.h5"),
    (MobileNetV2, dict(include_top=False, input_shape=(96, 128, 3)),
     r"not in \[96, 128, 160, 192, 224\]",
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"),
    (MobileNetV3Small, dict(include_top=False),
     "`rows` is not 224", "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"),
])
def test_other_sizes_warn_and_get_the_224_file(requested, build, kwargs, message, file_name):
    with backend.shapes_only(), pytest.warns(UserWarning, match=message):
        build(weights="imagenet", **kwargs)
    assert requested[0][0] == file_name


def test_pretrained_sizes_do_not_warn(requested):
    with backend.shapes_only(), warnings.catch_warnings():
        warnings.simplefilter("error")
        MobileNetV2(weights="imagenet", alpha=0.75, include_top=False,
                    input_shape=(192, 192, 3))
        MobileNet(weights="imagenet", include_top=False, input_shape=(160, 160, 3))
        MobileNetV3Large(weights="imagenet", input_shape=(224, 224, 3))


# ------------------------------------------------------------------------ argument errors
@pytest.mark.parametrize("build, kwargs, message", [
    (MobileNet, dict(weights="nope.h5"),
     "The `weights` argument should be either `None` (random initialization), 'imagenet' "
     "(pre-training on ImageNet), or the path to the weights file to be loaded. "
     "Received weights=nope.h5"),
    (MobileNet, dict(classes=10),
     "If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
     "Received classes=10"),
    (MobileNet, dict(alpha=0.3),
     "If imagenet weights are being loaded, alpha can be one of`0.25`, `0.50`, `0.75` or "
     "`1.0` only.  Received alpha=0.3"),
    (MobileNet, dict(depth_multiplier=2),
     "If imagenet weights are being loaded, depth multiplier must be 1.  "
     "Received depth_multiplier=2"),
    (MobileNet, dict(input_shape=(200, 200, 3)),
     "When setting `include_top=True` and loading `imagenet` weights, `input_shape` should "
     "be (224, 224, 3).  Received: input_shape=(200, 200, 3)"),
    (MobileNetV2, dict(weights="nope.h5"),
     "The `weights` argument should be either `None` (random initialization), `imagenet` "
     "(pre-training on ImageNet), or the path to the weights file to be loaded.  "
     "Received `weights=nope.h5`"),
    (MobileNetV2, dict(classes=10),
     'If using `weights="imagenet"` with `include_top` as true, `classes` should be 1000. '
     "Received `classes=10`"),
    (MobileNetV2, dict(alpha=0.6),
     "If imagenet weights are being loaded, alpha must be one of `0.35`, `0.50`, `0.75`, "
     "`1.0`, `1.3` or `1.4` only; Received `alpha=0.6`"),
    (MobileNetV2, dict(weights=None, include_top=False, input_shape=(31, 64, 3)),
     "Input size must be at least 32x32; Received: input_shape=(31, 64, 3)"),
    (MobileNetV2, dict(weights=None, input_shape=(64, 64, 3),
                       input_tensor=layers.Input((64, 48, 3))),
     "input_tensor.shape[2] must equal input_shape[1]; Received "
     "`input_tensor.shape=(None, 64, 48, 3)`, `input_shape=(64, 64, 3)`"),
    (MobileNetV3Small, dict(weights="nope.h5"),
     "The `weights` argument should be either `None` (random initialization), `imagenet` "
     "(pre-training on ImageNet), or the path to the weights file to be loaded.  "
     "Received weights=nope.h5"),
    (MobileNetV3Small, dict(classes=10),
     'If using `weights="imagenet"` with `include_top` as true, `classes` should be '
     "1000.  Received classes=10"),
    (MobileNetV3Large, dict(alpha=0.5),
     "If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for non "
     "minimalistic or `1.0` for minimalistic only."),
    (MobileNetV3Small, dict(minimalistic=True, alpha=0.75),
     "If imagenet weights are being loaded, alpha can be one of `0.75`, `1.0` for non "
     "minimalistic or `1.0` for minimalistic only."),
    (MobileNetV3Small, dict(weights=None, input_shape=(64, 31, 3)),
     "Input size must be at least 32x32; Received `input_shape=(64, 31, 3)`"),
])
def test_argument_errors(build, kwargs, message):
    with backend.shapes_only(), pytest.raises(ValueError) as error:
        build(**kwargs)
    assert str(error.value) == message


def test_pretrained_classifier_must_be_softmax_or_logits(requested):
    with backend.shapes_only():
        with pytest.raises(ValueError, match="Only `None` and `softmax` activations"):
            MobileNetV2(classifier_activation="relu")
        with pytest.raises(ValueError, match="Only `None` and `softmax` activations"):
            MobileNetV3Small(classifier_activation="sigmoid", input_shape=(224, 224, 3))
        MobileNet(classifier_activation=None)
        MobileNet(weights=None, classifier_activation="sigmoid", input_shape=(32, 32, 3))


# ---------------------------------------------------------------- preprocess and decode
def test_preprocess_input():
    pixels = np.array([[[[0, 127.5, 255]]]], dtype="float32")
    for module in (mobilenet, mobilenet_v2):
        np.testing.assert_allclose(module.preprocess_input(pixels).ravel(), [-1, 0, 1])
    assert mobilenet_v3.preprocess_input(pixels) is pixels        # the identity
    for module in (mobilenet, mobilenet_v2, mobilenet_v3):
        with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
            module.decode_predictions(np.zeros((1, 10)))


def test_make_divisible_and_correct_pad():
    assert [mobilenet_v2._make_divisible(v, 8) for v in (11.2, 16 * 0.35, 32 * 1.3, 100)] \
        == [16, 8, 40, 104]
    assert mobilenet_v3._depth(72 * 0.75) == 56
    assert imagenet_utils.correct_pad(layers.Input((32, 32, 3)), 3) == ((0, 1), (0, 1))
    assert imagenet_utils.correct_pad(layers.Input((33, 32, 3)), 5) == ((2, 2), (1, 2))
    assert imagenet_utils.correct_pad(layers.Input((None, None, 3)), 3) == ((0, 1), (0, 1))
