"""keras.applications.efficientnet and efficientnet_v2: Keras's architectures, rules and files.

The numbers (parameter counts, layer-name digests) were read from Keras 3.15.1 (torch
backend, ``weights=None``); the large members are counted under ``backend.shapes_only()``.
"""
import hashlib

import numpy as np
import pytest

from kerastutor import backend
from kerastutor.applications import efficientnet, efficientnet_v2, imagenet_utils

# Keras 3.15.1: model.count_params() with weights=None, include_top=True, default sizes
PARAMS = {
    "EfficientNetB0": 5330571, "EfficientNetB1": 7856239, "EfficientNetB2": 9177569,
    "EfficientNetB3": 12320535, "EfficientNetB4": 19466823, "EfficientNetB5": 30562527,
    "EfficientNetB6": 43265143, "EfficientNetB7": 66658687,
    "EfficientNetV2B0": 7200312, "EfficientNetV2B1": 8212124, "EfficientNetV2B2": 10178374,
    "EfficientNetV2B3": 14467622, "EfficientNetV2S": 21612360, "EfficientNetV2M": 54431388,
    "EfficientNetV2L": 119027848,
}
# Keras: (number of layers, layers with weights, sha256 of "\n".join(names)[:16])
LAYERS = {
    "EfficientNetB0": (240, 132, "7cf19367d2ee1f0e"),
    "EfficientNetB1": (342, 186, "a4fcc4e105f9cfd8"),
    "EfficientNetB2": (342, 186, "a4fcc4e105f9cfd8"),
    "EfficientNetB3": (387, 210, "30010b147551463c"),
    "EfficientNetB4": (477, 258, "9664c71373dcab1f"),
    "EfficientNetB5": (579, 312, "7cf0c46bb53af428"),
    "EfficientNetB6": (669, 360, "3301485359902784"),
    "EfficientNetB7": (816, 438, "27a71c8071212cc2"),
    "EfficientNetV2B0": (273, 151, "dd7ad1b5eec2e7ff"),
    "EfficientNetV2B1": (337, 185, "967d9da578b0e731"),
    "EfficientNetV2B2": (352, 193, "6febea67313ef468"),
    "EfficientNetV2B3": (412, 225, "84dc391d70a33fad"),
    "EfficientNetV2S": (516, 281, "4ae37617110890a6"),
    "EfficientNetV2M": (743, 403, "ccc89a45ead57912"),
    "EfficientNetV2L": (1031, 557, "265bab3010a5b312"),
}
# the smallest members, in full: sha256 of the layer names and of their class names
NAMES_SHA256 = {
    "EfficientNetB0": ("7cf19367d2ee1f0ef5f5214d1becbd81175a105b9a0719449557b9d37991c846",
                       "b61642e0b4f7502248906f741b2c40e0948641bd6588e35262ea6ba578b48831"),
    "EfficientNetV2B0": ("dd7ad1b5eec2e7ffa1307986d214f0efbb0812f2993121e89100f80bb88c6f13",
                         "67a124b5965eca3126d839c55872b55d9f1c5127da6ff096e6f757cbb7c3432f"),
}

V1 = ["EfficientNetB%d" % i for i in range(8)]
V2 = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
      "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L"]


def constructor(name):
    return getattr(efficientnet_v2 if "V2" in name else efficientnet, name)


def digest(items):
    return hashlib.sha256("\n".join(items).encode()).hexdigest()


def weighted(model):
    return [layer for layer in model.layers if layer.weights]


# ============================================================================ architecture
@pytest.mark.parametrize("name", V1 + V2)
def test_parameter_counts_and_layer_names_equal_keras(name):
    with backend.shapes_only():                    # B7 and V2L: no memory for the weights
        model = constructor(name)(weights=None)
    assert model.count_params() == PARAMS[name]
    names = [layer.name for layer in model.layers]
    assert (len(names), len(weighted(model)), digest(names)[:16]) == LAYERS[name]
    assert model.output.shape[-1] == 1000


@pytest.mark.parametrize("name", ["EfficientNetB0", "EfficientNetV2B0"])
def test_layer_names_types_and_order_equal_keras(name):
    model = constructor(name)(weights=None)
    names = [layer.name for layer in model.layers]
    types = [type(layer).__name__ for layer in model.layers]
    assert (digest(names), digest(types)) == NAMES_SHA256[name]
    assert names[:3] == ["input_layer", "rescaling", "normalization"]
    assert names[-6:] == ["top_conv", "top_bn", "top_activation", "avg_pool", "top_dropout",
                          "predictions"]


def test_efficientnetb0_block_structure():
    model = efficientnet.EfficientNetB0(weights=None)
    names = [layer.name for layer in model.layers]
    assert model.name == "efficientnetb0"
    assert names[3:7] == ["stem_conv_pad", "stem_conv", "stem_bn", "stem_activation"]
    # block1a: no expansion (ratio 1); block2a: stride 2 -> padding, no residual
    assert names[7:17] == [f"block1a_{n}" for n in (
        "dwconv", "bn", "activation", "se_squeeze", "se_reshape", "se_reduce", "se_expand",
        "se_excite", "project_conv", "project_bn")]
    assert "block2a_dwconv_pad" in names and "block2a_add" not in names
    # block b of 16 drops its branch at rate 0.2 * b / 16, per sample
    drop = model.get_layer("block2b_drop")
    assert drop.rate == pytest.approx(0.2 * 2 / 16) and tuple(drop.noise_shape) == (None, 1, 1, 1)
    assert model.get_layer("block1a_se_reduce").use_bias
    assert not model.get_layer("block1a_project_conv").use_bias
    assert model.get_layer("stem_bn").epsilon == 1e-3
    assert model.get_layer("stem_bn").momentum == 0.99
    assert model.get_layer("top_conv").kernel.shape == (1, 1, 320, 1280)
    assert model.get_layer("block1a_dwconv").weights[0].shape == (3, 3, 32, 1)
    norm = model.get_layer("normalization")
    assert [tuple(w.shape) for w in norm.weights] == [(3,), (3,), ()]   # mean, var, count


def test_efficientnetv2b0_blocks_and_preprocessing_constants():
    model = efficientnet_v2.EfficientNetV2B0(weights=None)
    names = [layer.name for layer in model.layers]
    assert model.name == "efficientnetv2-b0"
    # fused block with expand ratio 1: the 3x3 convolution is the projection, then swish
    assert names[3:9] == ["stem_conv", "stem_bn", "stem_activation", "block1a_project_conv",
                          "block1a_project_bn", "block1a_project_activation"]
    assert model.get_layer("block1a_project_conv").kernel.shape == (3, 3, 32, 16)
    assert "block1a_drop" not in names                      # rate 0: no Dropout layer
    assert model.get_layer("block4a_dwconv2").strides == (2, 2)
    assert model.get_layer("stem_bn").momentum == 0.9
    # the B members normalise with ImageNet's mean/std as constants, not weights
    norm = model.get_layer("normalization")
    assert norm.weights == []
    np.testing.assert_allclose(np.ravel(norm.mean), [0.485, 0.456, 0.406], rtol=1e-6)
    np.testing.assert_allclose(np.ravel(norm.variance), [0.229 ** 2, 0.224 ** 2, 0.225 ** 2],
                               rtol=1e-6)
    # stochastic depth counts the blocks before depth scaling (21 for every B member)
    assert model.get_layer("block2b_drop").rate == pytest.approx(0.2 * 2 / 21)


def test_v2_preprocessing_variants():
    with backend.shapes_only():
        small = efficientnet_v2.EfficientNetV2S(weights=None, include_top=False)
        plain = efficientnet_v2.EfficientNetV2B0(weights=None, include_preprocessing=False)
        grey = efficientnet_v2.EfficientNetV2B0(weights=None, include_top=False,
                                                input_shape=(32, 32, 1))
    rescale = small.layers[1]
    assert type(rescale).__name__ == "Rescaling" and small.layers[2].name == "stem_conv"
    assert (rescale.scale, rescale.offset) == (1.0 / 128.0, -1)     # S/M/L: into [-1, 1)
    assert plain.layers[1].name == "stem_conv"
    assert plain.count_params() == PARAMS["EfficientNetV2B0"]
    assert grey.layers[1].scale == 1.0 / 128.0 and grey.layers[2].name == "stem_conv"


@pytest.mark.parametrize("name", ["EfficientNetB0", "EfficientNetV2B0"])
@pytest.mark.parametrize("pooling, shape", [(None, (None, 2, 2, 1280)), ("avg", (None, 1280)),
                                            ("max", (None, 1280)), ("other", (None, 2, 2, 1280))])
def test_include_top_false_and_pooling(name, pooling, shape):
    model = constructor(name)(weights=None, include_top=False, input_shape=(33, 45, 3),
                              pooling=pooling)
    assert tuple(model.output.shape) == shape
    assert model.layers[-1].name == {"avg": "avg_pool", "max": "max_pool"}.get(
        pooling, "top_activation")


def test_default_input_shapes():
    with backend.shapes_only():
        top = efficientnet.EfficientNetB3(weights=None)
        notop = efficientnet.EfficientNetB3(weights=None, include_top=False)
        v2m = efficientnet_v2.EfficientNetV2M(weights=None)
    assert tuple(top.input.shape) == (None, 300, 300, 3)
    assert tuple(notop.input.shape) == (None, None, None, 3)
    assert tuple(notop.output.shape) == (None, None, None, 1536)
    assert tuple(v2m.input.shape) == (None, 480, 480, 3)


def test_input_tensor_is_used():
    from kerastutor.layers import Input
    image = Input(shape=(32, 32, 3))
    model = efficientnet.EfficientNetB0(weights=None, include_top=False, input_tensor=image)
    assert model.inputs[0] is image


# ============================================================================ numbers
RNG = np.random.default_rng(0)
PIXELS = RNG.uniform(0, 255, (2, 32, 32, 3)).astype("float32")


def randomise(model, seed=0):
    """Weights drawn at random (BN variances positive), so loading is really checked."""
    rng = np.random.default_rng(seed)
    values = []
    for value in model.get_weights():
        if value.dtype.kind != "f":
            values.append(value)
        elif value.ndim == 1:
            values.append(rng.uniform(0.5, 1.5, value.shape).astype(value.dtype))
        else:
            values.append(rng.normal(0, 0.1, value.shape).astype(value.dtype))
    model.set_weights(values)


@pytest.mark.parametrize("name", ["EfficientNetB0", "EfficientNetV2B0"])
def test_forward_pass_at_the_minimum_size(name):
    model = constructor(name)(weights=None, input_shape=(32, 32, 3), classes=7)
    probabilities = model.predict(PIXELS, verbose=0)
    assert probabilities.shape == (2, 7) and np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    logits = constructor(name)(weights=None, input_shape=(32, 32, 3), classes=7,
                               classifier_activation=None)
    assert logits.get_layer("predictions").get_config()["activation"] == "linear"


def test_one_training_step_runs_through_every_block():
    model = efficientnet.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=3)
    before = model.get_layer("block6d_project_conv").get_weights()[0].copy()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(PIXELS, np.array([0, 2]), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert not np.array_equal(before, model.get_layer("block6d_project_conv").get_weights()[0])


@pytest.mark.parametrize("name", ["EfficientNetB0", "EfficientNetV2B0"])
def test_weights_path_round_trip(name, tmp_path):
    model = constructor(name)(weights=None, input_shape=(32, 32, 3), classes=5)
    randomise(model)
    path = str(tmp_path / "model.h5")
    model.save(path)                                    # the legacy layout Keras's files use
    loaded = constructor(name)(weights=path, input_shape=(32, 32, 3), classes=5)
    np.testing.assert_array_equal(loaded.predict(PIXELS, verbose=0),
                                  model.predict(PIXELS, verbose=0))


# ============================================================================ imagenet files
@pytest.fixture
def captured(monkeypatch):
    """Record what would be downloaded instead of downloading it."""
    calls = []

    def fake_load(model, weights, file_name, origin, file_hash=None):
        calls.append((model, file_name, origin, file_hash))
        return model

    monkeypatch.setattr(imagenet_utils, "load_weights", fake_load)
    return calls


def test_imagenet_file_names_hashes_and_the_extra_rescaling(captured):
    with backend.shapes_only():
        efficientnet.EfficientNetB0()
        efficientnet.EfficientNetB7(include_top=False)
        efficientnet.EfficientNetB0(include_top=False, name="custom")
    (top, *_), (b7, *_), _ = captured
    assert [c[1:] for c in captured] == [
        ("efficientnetb0.h5", "https://storage.googleapis.com/keras-applications/"
         "efficientnetb0.h5", "902e53a9f72be733fc0bcb005b3ebbac"),
        ("efficientnetb7_notop.h5", "https://storage.googleapis.com/keras-applications/"
         "efficientnetb7_notop.h5", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
        ("custom_notop.h5", "https://storage.googleapis.com/keras-applications/"
         "custom_notop.h5", "50bc09e76180e00e4465e1a485ddc09d"),       # follows name=
    ]
    # imagenet: x / 255, (x - mean) / sqrt(var), then x / sqrt(std): one layer more
    assert len(top.layers) == 241 and len(weighted(top)) == 132
    extra = top.layers[3]
    assert type(extra).__name__ == "Rescaling" and top.layers[4].name == "stem_conv_pad"
    np.testing.assert_allclose(extra.scale, [1 / np.sqrt(s) for s in (0.229, 0.224, 0.225)])


def test_v2_imagenet_file_names_and_hashes(captured):
    with backend.shapes_only():
        efficientnet_v2.EfficientNetV2B0()
        efficientnet_v2.EfficientNetV2L(include_top=False)
    base = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
    assert [c[1:] for c in captured] == [
        ("efficientnetv2-b0.h5", base + "efficientnetv2-b0.h5",
         "21ecbf6da12460d5c40bb2f29ceb2188"),
        ("efficientnetv2-l_notop.h5", base + "efficientnetv2-l_notop.h5",
         "b0b66b5c863aef5b46e8608fe1711615"),
    ]
    assert len(captured[0][0].layers) == LAYERS["EfficientNetV2B0"][0]   # no extra layer


# ============================================================================ argument rules
def test_argument_errors_v1():
    b0 = efficientnet.EfficientNetB0
    with pytest.raises(ValueError, match=r"^The `weights` argument should be either `None` "
                       r"\(random initialization\), `imagenet` \(pre-training on ImageNet\), "
                       r"or the path to the weights file to be loaded\.$"):
        b0(weights="foo")
    with pytest.raises(ValueError, match='If using `weights="imagenet"` with `include_top` '
                       "as true, `classes` should be 1000"):
        b0(classes=10)
    with pytest.raises(ValueError, match=r"`input_shape` should be \(224, 224, 3\)"):
        b0(input_shape=(200, 200, 3))
    with pytest.raises(ValueError, match=r"Input size must be at least 32x32; Received: "
                       r"input_shape=\(31, 31, 3\)"):
        b0(weights=None, include_top=False, input_shape=(31, 31, 3))
    with pytest.raises(ValueError, match="you should specify a static `input_shape`"):
        b0(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"):
        with backend.shapes_only():
            b0(classifier_activation="relu")


def test_argument_errors_v2():
    v2 = efficientnet_v2.EfficientNetV2B0
    with pytest.raises(ValueError, match=r"to be loaded\.Received: weights=foo$"):
        v2(weights="foo")                                # sic: no space, as Keras
    with pytest.raises(ValueError, match="`classes` should be 1000"):
        v2(classes=10)
    with pytest.raises(ValueError, match=r"must have 3 channels"):
        v2(include_top=False, input_shape=(64, 64, 4))
    # Keras looks the stage table up by the model's name: a custom name fails there too
    with pytest.raises(KeyError, match="no default stage table for name='mine'"):
        v2(weights=None, name="mine")


def test_preprocess_input_is_the_identity_and_decode_predictions(monkeypatch):
    x = PIXELS.copy()
    assert efficientnet.preprocess_input(x) is x
    assert efficientnet_v2.preprocess_input(x, data_format="channels_last") is x
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX",
                        {str(i): ["n%08d" % i, "class%d" % i] for i in range(1000)})
    scores = np.zeros((1, 1000), dtype="float32")
    scores[0, 7] = 0.9
    for module in (efficientnet, efficientnet_v2):
        assert module.decode_predictions(scores, top=1) == [[("n00000007", "class7",
                                                              np.float32(0.9))]]
