"""DenseNet121/169/201 and NASNetMobile/Large: Keras's parameter counts, layer names and order,
pooling heads, argument rules, weight files, and a forward pass at the smallest input.

The Keras numbers were read from Keras 3.15.1 (``weights=None``; NASNet under the JAX backend,
since Keras refuses NASNetMobile under torch). Digests are md5 of ``"\\n".join(names)`` and of
``repr`` of the per-layer weight shapes.
"""
import hashlib

import numpy as np
import pytest

from kerastutor import backend, layers
from kerastutor.applications import densenet, imagenet_utils, nasnet
from kerastutor.utils import file_utils


def _md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def _digests(model):
    names = [layer.name for layer in model.layers]
    types = [type(layer).__name__ for layer in model.layers]
    shapes = [[tuple(w.shape) for w in layer.weights] for layer in model.layers]
    return len(names), _md5("\n".join(names)), _md5("\n".join(types)), _md5(repr(shapes))


@pytest.fixture(autouse=True)
def fresh_names():
    backend.clear_session()          # automatic names (activation_N, add_N) start again
    yield
    backend.clear_session()


# ---------------------------------------------------------------- Keras's counts and names
KERAS_PARAMS = {                     # (include_top at the default size, include_top=False)
    "DenseNet121": (8062504, 7037504),
    "DenseNet169": (14307880, 12642880),
    "DenseNet201": (20242984, 18321984),
    "NASNetMobile": (5326716, 4269716),
    "NASNetLarge": (88949818, 84887922),
}
MODULE = {"DenseNet121": densenet, "DenseNet169": densenet, "DenseNet201": densenet,
          "NASNetMobile": nasnet, "NASNetLarge": nasnet}
KERAS_LAYERS = {"DenseNet121": 429, "DenseNet169": 597, "DenseNet201": 709,
                "NASNetMobile": 771, "NASNetLarge": 1041}
KERAS_NAMES = {"DenseNet121": "densenet121", "DenseNet169": "densenet169",
               "DenseNet201": "densenet201", "NASNetMobile": "nasnet_mobile",
               "NASNetLarge": "nasnet_large"}


@pytest.mark.parametrize("member", sorted(KERAS_PARAMS))
def test_parameter_counts_equal_keras(member):
    build = getattr(MODULE[member], member)
    with backend.shapes_only():
        top = build(weights=None)
        notop = build(weights=None, include_top=False)
    assert (top.count_params(), notop.count_params()) == KERAS_PARAMS[member]
    assert len(top.layers) == KERAS_LAYERS[member]
    assert top.name == KERAS_NAMES[member]


def test_densenet121_layers_are_keras_ones():
    model = densenet.DenseNet121(weights=None)
    assert _digests(model) == (429, "d760de5a0d73bfaa8506761e5428505e",
                               "c4ae614c11f4bda7a71272528482ce74",
                               "fcbdcf0350875061d092c842a6345a7b")
    names = [layer.name for layer in model.layers]
    assert names[:8] == ["input_layer", "zero_padding2d", "conv1_conv", "conv1_bn",
                         "conv1_relu", "zero_padding2d_1", "pool1", "conv2_block1_0_bn"]
    assert names[-4:] == ["bn", "relu", "avg_pool", "predictions"]
    assert model.get_layer("pool2_conv").kernel.shape == (1, 1, 256, 128)
    assert model.get_layer("conv5_block16_concat").output.shape == (None, 7, 7, 1024)


def test_nasnet_mobile_layers_are_keras_ones():
    model = nasnet.NASNetMobile(weights=None)
    assert _digests(model) == (771, "a82054a64500afcdd1ac686f16b179fd",
                               "f44e920d51ef65c6b2c9e70e985313a4",
                               "49edaf850f6b3c2d03efc93d747096c0")
    names = [layer.name for layer in model.layers]
    assert names[:8] == ["input_layer", "stem_conv1", "stem_bn1", "activation",
                         "reduction_conv_1_stem_1", "reduction_bn_1_stem_1", "activation_1",
                         "activation_3"]
    assert names[-4:] == ["normal_concat_12", "activation_187", "global_average_pooling2d",
                          "predictions"]
    # Keras's naming quirks are kept (weights load by position, but names are compared too)
    for name in ("reduction_add3_stem_1", "reduction_add4_reduce_4",
                 "separable_conv_1_reduction_left4_stem_2", "cropping2d", "concatenate"):
        assert name in names


def test_nasnet_large_layer_names_are_keras_ones():
    with backend.shapes_only():
        model = nasnet.NASNetLarge(weights=None)
    names = [layer.name for layer in model.layers]
    types = [type(layer).__name__ for layer in model.layers]
    assert _md5("\n".join(names)) == "1b4d25307dcc2c573896e12fbef667d7"
    assert _md5("\n".join(types)) == "af6c49e3d547858eba6b274753616652"
    assert model.input.shape == (None, 331, 331, 3)


# ---------------------------------------------------------------- heads and input shapes
@pytest.mark.parametrize("pooling, shape, last", [
    (None, (None, 1, 1, 1024), "relu"), ("avg", (None, 1024), "avg_pool"),
    ("max", (None, 1024), "max_pool"), ("bogus", (None, 1, 1, 1024), "relu")])
def test_densenet_pooling_heads(pooling, shape, last):
    model = densenet.DenseNet121(weights=None, include_top=False, pooling=pooling,
                                 input_shape=(32, 32, 3))
    assert model.output.shape == shape
    assert model.layers[-1].name == last
    assert model.count_params() == 7037504


@pytest.mark.parametrize("pooling, shape, last", [
    (None, (None, 7, 7, 1056), "activation_187"),
    ("avg", (None, 1056), "global_average_pooling2d"),
    ("max", (None, 1056), "global_max_pooling2d"),
    ("other", (None, 7, 7, 1056), "activation_187")])
def test_nasnet_mobile_pooling_heads(pooling, shape, last):
    with backend.shapes_only():
        model = nasnet.NASNetMobile(weights=None, include_top=False, pooling=pooling)
    assert model.input.shape == (None, 224, 224, 3)     # Keras's default even without top
    assert model.output.shape == shape
    assert model.layers[-1].name == last


def test_default_input_shapes():
    with backend.shapes_only():
        assert densenet.DenseNet121(weights=None, include_top=False).input.shape == \
            (None, None, None, 3)
        large = nasnet.NASNetLarge(weights=None, include_top=False)
        assert large.input.shape == (None, None, None, 3)
        assert large.output.shape == (None, None, None, 4032)
        assert densenet.DenseNet121(weights=None).input.shape == (None, 224, 224, 3)


def test_unknown_size_nasnet_builds_but_cannot_run_as_in_keras():
    """Keras's quirk: with no size known, the previous path is projected, not reduced."""
    with backend.shapes_only():
        unknown = nasnet.NASNetLarge(weights=None, include_top=False)
        known = nasnet.NASNetLarge(weights=None, include_top=False, input_shape=(331, 331, 3))
    assert (unknown.count_params(), known.count_params()) == (84887922, 84916818)
    small = nasnet.NASNet(None, penultimate_filters=96, num_blocks=1, stem_block_filters=8,
                          include_top=False, weights=None)
    assert "adjust_conv_projection_stem_2" in [layer.name for layer in small.layers]
    with pytest.raises(ValueError):
        small.predict(np.zeros((1, 64, 64, 3), "float32"), verbose=0)


def test_input_tensor_is_used():
    image = layers.Input(shape=(32, 32, 3))
    model = nasnet.NASNetMobile(weights=None, include_top=False, input_tensor=image)
    assert model.inputs[0] is image
    assert model.output.shape == (None, 1, 1, 1056)


def test_classes_and_logits():
    model = densenet.DenseNet121(weights=None, classes=10, input_shape=(32, 32, 3),
                                 classifier_activation=None)
    head = model.get_layer("predictions")
    assert head.kernel.shape == (1024, 10)
    assert head.get_config()["activation"] == "linear"


# ---------------------------------------------------------------- forward passes
def test_densenet121_forward_at_32():
    model = densenet.DenseNet121(weights=None, classes=7, input_shape=(32, 32, 3))
    x = densenet.preprocess_input(np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)))
    y = model.predict(x, verbose=0)
    assert y.shape == (2, 7) and np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)


def test_nasnet_mobile_forward_at_32():
    model = nasnet.NASNetMobile(weights=None, classes=5, input_shape=(32, 32, 3))
    x = nasnet.preprocess_input(np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)))
    y = model.predict(x, verbose=0)
    assert y.shape == (2, 5) and np.all(np.isfinite(y))
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)


# ---------------------------------------------------------------- weights=<path>
def _randomise(model, seed):
    """Random weights everywhere (BN variances positive), so a round trip means something."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(w.dtype)
                       if w.ndim == 1 else rng.normal(0, 0.1, w.shape).astype(w.dtype)
                       for w in model.get_weights()])


@pytest.mark.parametrize("member", ["DenseNet121", "NASNetMobile"])
def test_weights_path_round_trip(member, tmp_path):
    build = getattr(MODULE[member], member)
    source = build(weights=None, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    _randomise(source, 3)
    path = str(tmp_path / "model.h5")
    source.save(path)                                       # legacy .h5, read by position
    backend.clear_session()
    loaded = build(weights=path, include_top=False, pooling="avg", input_shape=(32, 32, 3))
    for a, b in zip(source.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(4).normal(size=(2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), source.predict(x, verbose=0),
                               rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- weights="imagenet"
class _Fetched(Exception):
    pass


@pytest.mark.parametrize("member, include_top, file_name, origin, md5", [
    ("DenseNet121", True, "densenet121_weights_tf_dim_ordering_tf_kernels.h5",
     "densenet/densenet121_weights_tf_dim_ordering_tf_kernels.h5",
     "9d60b8095a5708f2dcce2bca79d332c7"),
    ("DenseNet121", False, "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "densenet/densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "30ee3e1110167f948a6b9946edeeb738"),
    ("DenseNet169", True, "densenet169_weights_tf_dim_ordering_tf_kernels.h5",
     "densenet/densenet169_weights_tf_dim_ordering_tf_kernels.h5",
     "d699b8f76981ab1b30698df4c175e90b"),
    ("DenseNet169", False, "densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "densenet/densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "b8c4d4c20dd625c148057b9ff1c1176b"),
    ("DenseNet201", True, "densenet201_weights_tf_dim_ordering_tf_kernels.h5",
     "densenet/densenet201_weights_tf_dim_ordering_tf_kernels.h5",
     "1ceb130c1ea1b78c3bf6114dbdfd8807"),
    ("DenseNet201", False, "densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "densenet/densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "c13680b51ded0fb44dff2d8f86ac8bb1"),
    ("NASNetMobile", True, "nasnet_mobile.h5", "nasnet/NASNet-mobile.h5",
     "020fb642bf7360b370c678b08e0adf61"),
    ("NASNetMobile", False, "nasnet_mobile_no_top.h5", "nasnet/NASNet-mobile-no-top.h5",
     "1ed92395b5b598bdda52abe5c0dbfd63"),
    ("NASNetLarge", True, "nasnet_large.h5", "nasnet/NASNet-large.h5",
     "11577c9a518f0070763c2b964a382f17"),
    ("NASNetLarge", False, "nasnet_large_no_top.h5", "nasnet/NASNet-large-no-top.h5",
     "d81d89dc07e6e56530c4e77faddd61b5"),
])
def test_imagenet_weight_files(monkeypatch, member, include_top, file_name, origin, md5):
    calls = []

    def fake_get_file(fname, url, cache_subdir=None, file_hash=None, **kwargs):
        calls.append((fname, url, cache_subdir, file_hash))
        raise _Fetched

    monkeypatch.setattr(file_utils, "get_file", fake_get_file)
    with backend.shapes_only(), pytest.raises(_Fetched):
        getattr(MODULE[member], member)(include_top=include_top)
    prefix = "https://storage.googleapis.com/tensorflow/keras-applications/"
    assert calls == [(file_name, prefix + origin, "models", md5)]


# ---------------------------------------------------------------- argument rules
WEIGHTS_MESSAGE = ("The `weights` argument should be either `None` (random initialization), "
                   "`imagenet` (pre-training on ImageNet), or the path to the weights file "
                   "to be loaded.")


@pytest.mark.parametrize("build", [densenet.DenseNet121, densenet.DenseNet201,
                                   nasnet.NASNetMobile, nasnet.NASNetLarge])
def test_weights_and_classes_messages(build):
    with pytest.raises(ValueError) as info:
        build(weights="no/such/file.h5")
    assert str(info.value) == WEIGHTS_MESSAGE
    with pytest.raises(ValueError) as info:
        build(classes=10)
    assert str(info.value) == ('If using `weights` as `"imagenet"` with `include_top` as '
                               'true, `classes` should be 1000')


def test_input_shape_messages():
    with pytest.raises(ValueError, match=r"Input size must be at least 32x32; Received: "
                                         r"input_shape=\(31, 32, 3\)"):
        densenet.DenseNet121(weights=None, include_top=False, input_shape=(31, 32, 3))
    with pytest.raises(ValueError, match="Input size must be at least 32x32"):
        nasnet.NASNetMobile(weights=None, include_top=False, input_shape=(32, 31, 3))
    with pytest.raises(ValueError, match=r"`input_shape` should be \(224, 224, 3\)"):
        densenet.DenseNet169(input_shape=(200, 200, 3))
    with pytest.raises(ValueError, match=r"`input_shape` should be \(331, 331, 3\)"):
        nasnet.NASNetLarge(input_shape=(224, 224, 3))
    with pytest.raises(ValueError, match="you should specify a static `input_shape`"):
        nasnet.NASNetMobile(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError) as info:
        nasnet.NASNetMobile(include_top=False, input_shape=(None, 224, 3))
    assert str(info.value) == (
        "When specifying the input shape of a NASNet and loading `ImageNet` weights, the "
        "input_shape argument must be static (no None entries). Got: "
        "`input_shape=(None, 224, 3)`.")
    with pytest.raises(ValueError, match="The input must have 3 channels"):
        densenet.DenseNet121(include_top=False, input_shape=(64, 64, 4))
    with pytest.warns(UserWarning, match="usually expects 1 or 3 input channels"):
        with backend.shapes_only():
            densenet.DenseNet121(weights=None, include_top=False, input_shape=(32, 32, 4))


def test_classifier_activation_rule():
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"):
        with backend.shapes_only():
            densenet.DenseNet121(classifier_activation="relu")
    with pytest.raises(ValueError, match="Only `None` and `softmax` activations are allowed"):
        with backend.shapes_only():
            nasnet.NASNetMobile(classifier_activation="sigmoid")


def test_nasnet_generic_rules():
    with pytest.raises(ValueError) as info:
        nasnet.NASNet(input_shape=(32, 32, 3), penultimate_filters=100, include_top=False,
                      weights=None)
    assert str(info.value) == ("For NASNet-A models, the `penultimate_filters` must be a "
                               "multiple of 24 * (`filter_multiplier` ** 2). Current value: "
                               "100")
    with pytest.raises(ValueError, match="ImageNet weights can only be loaded with "
                                         "NASNetLarge or NASNetMobile"):
        nasnet.NASNet(input_shape=(32, 32, 3), penultimate_filters=96, num_blocks=1,
                      include_top=False, default_size=64)
    small = nasnet.NASNet(input_shape=(32, 32, 3), penultimate_filters=96, num_blocks=1,
                          stem_block_filters=8, include_top=False, weights=None)
    assert small.name == "NASNet" and small.output.shape == (None, 1, 1, 96)


def test_channels_first_is_refused():
    old = backend.image_data_format()
    backend.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="DenseNet does not support the `channels_first`"):
            densenet.DenseNet121(weights=None)
        with pytest.raises(ValueError, match="NASNet does not support the `channels_first`"):
            nasnet.NASNetMobile(weights=None)
    finally:
        backend.set_image_data_format(old)


# ---------------------------------------------------------------- helpers
def test_preprocess_input_goldens():
    x = np.array([[[[0.0, 127.5, 255.0]]]], dtype="float32")
    np.testing.assert_allclose(densenet.preprocess_input(x).ravel(),
                               [-2.1179039478302, 0.1964285671710968, 2.640000104904175],
                               rtol=1e-7)
    np.testing.assert_allclose(nasnet.preprocess_input(x).ravel(), [-1.0, 0.0, 1.0])
    assert densenet.decode_predictions is not None
    with pytest.raises(ValueError, match="expects a batch of predictions"):
        nasnet.decode_predictions(np.zeros((1, 10)))


def test_correct_pad():
    assert imagenet_utils.correct_pad(layers.Input(shape=(16, 15, 3)), 3) == ((0, 1), (1, 1))
    assert imagenet_utils.correct_pad(layers.Input(shape=(16, 16, 3)), (5, 7)) == ((1, 2), (2, 3))
    assert imagenet_utils.correct_pad(layers.Input(shape=(None, None, 3)), 3) == ((0, 1), (0, 1))

