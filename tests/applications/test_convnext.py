"""keras.applications.convnext: Keras's architecture, arguments, files, heads and layers.

The numbers and names come from Keras 3.15.1 (``weights=None``); every member
but Tiny is built with ``backend.shapes_only()`` (no memory for the weights),
and the only forward passes are Tiny's at 32x32 and a miniature ConvNeXt's.
"""
import hashlib
import json

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import backend, gradcheck
from kerastutor.applications import convnext, imagenet_utils
from kerastutor.applications.convnext_layers import (FunctionalWithOps, LayerScale,
                                                     StochasticDepth)
from kerastutor.utils import file_utils

# member: (params with the top, layers, layers with weights, params without the top,
#          digest of Keras's names + types + weight shapes with the top at 32x32)
KERAS = {
    "Tiny": (28589128, 135, 96, 27820128, "d303daebd054f0ff"),
    "Small": (50223688, 261, 186, 49454688, "ba54885220fe7638"),
    "Base": (88591464, 261, 186, 87566464, "af61505d71dcb401"),
    "Large": (197767336, 261, 186, 196230336, "501fcfc995e7d270"),
    "XLarge": (350196968, 261, 186, 348147968, "0fe7ad4f4f71e99f"),
}
WIDTH = {"Tiny": 768, "Small": 768, "Base": 1024, "Large": 1536, "XLarge": 2048}


def constructor(member):
    return getattr(convnext, "ConvNeXt" + member)


def digest(model):
    """Names, layer types and weight shapes, as the Keras numbers above were hashed."""
    record = [[layer.name for layer in model.layers],
              [type(layer).__name__ for layer in model.layers],
              [[list(w.shape) for w in layer.weights] for layer in model.layers]]
    return hashlib.sha256(json.dumps(record).encode()).hexdigest()[:16]


def images(n=2, size=32, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, size, size, 3)).astype("float32")


def mini(**kwargs):
    """A miniature ConvNeXt (one block per stage, 8 channels): the whole graph, cheaply."""
    options = dict(depths=[1, 1, 1, 1], projection_dims=[8, 8, 8, 8], name="mini",
                   input_shape=(32, 32, 3), classes=5)
    options.update(kwargs)
    return convnext.ConvNeXt(**options)


# ======================================================================== architecture
@pytest.mark.parametrize("member", sorted(KERAS))
def test_parameters_names_and_shapes_equal_keras(member):
    params, n_layers, n_weighted, notop_params, keras_digest = KERAS[member]
    with backend.shapes_only():
        model = constructor(member)(weights=None, input_shape=(32, 32, 3))
    assert model.count_params() == params
    assert len(model.layers) == n_layers
    assert sum(1 for layer in model.layers if layer.weights) == n_weighted
    assert digest(model) == keras_digest
    assert model.name == "convnext_" + member.lower()
    assert model.output.shape == (None, 1000)
    backend.clear_session()
    with backend.shapes_only():
        notop = constructor(member)(weights=None, include_top=False)
    assert notop.count_params() == notop_params
    assert notop.input.shape == (None, None, None, 3)
    assert notop.output.shape == (None, None, None, WIDTH[member])


def test_tiny_layers_as_keras_lists_them():
    with backend.shapes_only():
        model = convnext.ConvNeXtTiny(weights=None)
    names = [layer.name for layer in model.layers]
    assert model.input.shape == (None, 224, 224, 3)
    assert names[:6] == ["input_layer", "convnext_tiny_prestem_normalization",
                         "convnext_tiny_stem", "convnext_tiny_stage_0_block_0_depthwise_conv",
                         "convnext_tiny_stage_0_block_0_layernorm",
                         "convnext_tiny_stage_0_block_0_pointwise_conv_1"]
    assert names[-4:] == ["convnext_tiny_stage_3_block_2_identity", "convnext_tiny_head_gap",
                          "convnext_tiny_head_layernorm", "convnext_tiny_head_dense"]
    assert "add" not in names                   # residual sums are operations, as in Keras
    stem = model.get_layer("convnext_tiny_stem")
    assert type(stem).__name__ == "Sequential"
    assert [w.shape for w in stem.weights] == [(4, 4, 3, 96), (96,), (96,), (96,)]
    down = model.get_layer("convnext_tiny_downsampling_block_2")
    assert [w.shape for w in down.weights] == [(384,), (384,), (2, 2, 384, 768), (768,)]
    dw = model.get_layer("convnext_tiny_stage_1_block_2_depthwise_conv")
    assert dw.groups == 192 and dw.kernel.shape == (7, 7, 1, 192)
    assert model.get_layer("convnext_tiny_stage_0_block_0_layernorm").epsilon == 1e-6
    assert model.get_layer("convnext_tiny_stage_0_block_0_gelu").get_config()[
        "activation"] == "gelu"
    scale = model.get_layer("convnext_tiny_stage_3_block_2_layer_scale")
    assert scale.get_config()["init_values"] == 1e-6 and scale.weights[0].shape == (768,)
    assert scale.weights[0].path.endswith("/variable")                  # Keras's name
    norm = model.get_layer("convnext_tiny_prestem_normalization").get_config()
    np.testing.assert_allclose(norm["mean"], [123.675, 116.28, 103.53])
    np.testing.assert_allclose(norm["variance"], [3409.976025, 3262.6944, 3291.890625])
    assert model.get_layer("convnext_tiny_head_dense").get_config()["activation"] == "softmax"
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 28,589,128" in "\n".join(lines)


@pytest.mark.parametrize("pooling, shape, last_two", [
    (None, (None, 1, 1, 768), ["convnext_tiny_stage_3_block_2_identity", "layer_normalization"]),
    ("avg", (None, 768), ["global_average_pooling2d", "layer_normalization"]),
    ("max", (None, 768), ["global_max_pooling2d", "layer_normalization"]),
    ("median", (None, 1, 1, 768),                 # any other value: none, as Keras
     ["convnext_tiny_stage_3_block_2_identity", "layer_normalization"]),
])
def test_headless_pooling_always_ends_in_a_layernorm(pooling, shape, last_two):
    with backend.shapes_only():
        model = convnext.ConvNeXtTiny(weights=None, include_top=False, pooling=pooling,
                                      input_shape=(32, 32, 3))
    assert model.output.shape == shape
    assert [layer.name for layer in model.layers][-2:] == last_two
    assert model.layers[-1].epsilon == 1e-6
    assert len(model.layers) == 133 + (pooling in ("avg", "max"))


def test_preprocessing_only_for_three_channels_and_only_when_asked():
    with backend.shapes_only():
        plain = convnext.ConvNeXtTiny(weights=None, include_top=False,
                                      include_preprocessing=False, input_shape=(32, 32, 3))
        grey = convnext.ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 1))
    assert plain.layers[1].name == "convnext_tiny_stem"
    assert grey.layers[1].name == "convnext_tiny_stem"
    assert grey.count_params() == 27817056                              # Keras's number


def test_input_tensor_is_used_and_its_sources_are_the_inputs():
    source = keras.Input((40, 40, 3))
    cropped = keras.layers.Cropping2D(4)(source)
    with backend.shapes_only():
        model = convnext.ConvNeXtTiny(weights=None, include_top=False, input_tensor=cropped)
    assert model.inputs[0] is source
    assert model.layers[1].name == "cropping2d"
    assert model.output.shape == (None, 1, 1, 768)


def test_classes_and_logits():
    with backend.shapes_only():
        model = convnext.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3), classes=10,
                                      classifier_activation=None, name="custom")
    head = model.get_layer("custom_head_dense")
    assert head.units == 10 and head.get_config()["activation"] == "linear"
    assert model.count_params() == 28589128 - 990 * 769
    assert model.name == "custom" and model.layers[2].name == "custom_stem"


# ======================================================================== running it
def test_forward_pass_of_tiny_at_32x32():
    model = convnext.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3))
    out = model.predict(images(), verbose=0)
    assert out.shape == (2, 1000) and out.dtype == np.float32
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)          # softmax
    pixels = images(1)
    assert convnext.preprocess_input(pixels) is pixels                  # identity


def test_miniature_convnext_trains_and_its_gradients_are_right():
    model = mini(include_preprocessing=False)
    report = gradcheck.check_model(model, images(1) / 255.0, max_entries=6)
    assert report.passed, report
    model = mini(drop_path_rate=0.5)
    assert [layer.name for layer in model.layers if "stochastic" in layer.name] == [
        f"mini_stage_{i}_block_0_stochastic_depth" for i in (1, 2, 3)]  # rates 0, 1/6, ...
    rates = [model.get_layer(f"mini_stage_{i}_block_0_stochastic_depth").drop_path_rate
             for i in (1, 2, 3)]
    np.testing.assert_allclose(rates, [1 / 6, 1 / 3, 0.5])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(images(4), np.array([0, 1, 2, 3]), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_saved_model_reloads_with_its_convnext_layers(tmp_path):
    model = mini(drop_path_rate=0.2)
    expected = model.predict(images(), verbose=0)
    config = model.get_config()
    assert sum(entry["class_name"] == "Add" for entry in config["layers"]) == 4
    for suffix in (".keras", ".h5"):
        path = str(tmp_path / f"mini{suffix}")
        model.save(path)
        loaded = keras.models.load_model(path)
        np.testing.assert_array_equal(loaded.predict(images(), verbose=0), expected)
        scale = loaded.get_layer("mini_stage_0_block_0_layer_scale")
        assert type(scale) is LayerScale
        assert type(loaded.get_layer("mini_stage_3_block_0_stochastic_depth")) is \
            StochasticDepth


def test_saved_as_keras_functional():
    model = mini()
    record = keras.saving.serialize_keras_object(model)
    assert (record["module"], record["class_name"]) == ("keras.src.models.functional",
                                                        "Functional")
    assert isinstance(model, FunctionalWithOps)


def test_weights_path_round_trip(tmp_path):
    model = convnext.ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 3))
    path = str(tmp_path / "convnext_tiny_notop.h5")
    model.save(path)                                  # a legacy .h5, as Keras's files
    expected = model.predict(images(), verbose=0)
    del model
    backend.clear_session()
    backend.set_random_seed(99)                       # other random weights to overwrite
    loaded = convnext.ConvNeXtTiny(weights=path, include_top=False, input_shape=(32, 32, 3))
    np.testing.assert_array_equal(loaded.predict(images(), verbose=0), expected)


# ======================================================================== arguments
@pytest.mark.parametrize("kwargs, message", [
    (dict(weights="foo"), r"The `weights` argument should be either `None` \(random "
                          r"initialization\), `imagenet` \(pre-training on ImageNet\), or the "
                          r"path to the weights file to be loaded.$"),
    (dict(classes=10), 'If using `weights="imagenet"` with `include_top=True`, `classes` '
                       "should be 1000. Received classes=10"),
    (dict(input_shape=(200, 200, 3)),
     r"`input_shape` should be \(224, 224, 3\).  Received: input_shape=\(200, 200, 3\)"),
    (dict(weights=None, include_top=False, input_shape=(31, 31, 3)),
     r"Input size must be at least 32x32; Received: input_shape=\(31, 31, 3\)"),
    (dict(include_top=False, input_shape=(64, 64, 4)), "The input must have 3 channels"),
    (dict(weights=None, input_shape=(None, None, 3)),
     "you should specify a static `input_shape`"),
    (dict(classifier_activation="relu"), "Only `None` and `softmax` activations are allowed"),
    (dict(name="my_model"), 'Model name "my_model" does not match weights variant '
                            r'"convnext_tiny". When using imagenet weights, model name must '
                            r'contain the weights variant \(e.g., "convnext_tiny"\).'),
])
def test_argument_errors_as_keras(kwargs, message):
    with backend.shapes_only(), pytest.raises(ValueError, match=message):
        convnext.ConvNeXtTiny(**kwargs)


def test_channels_first_is_refused(monkeypatch):
    monkeypatch.setattr(backend, "image_data_format", lambda: "channels_first")
    with pytest.raises(ValueError, match="ConvNeXt does not support the `channels_first`"):
        convnext.ConvNeXtTiny(weights=None)


def test_four_channels_only_warn_without_imagenet():
    with backend.shapes_only(), pytest.warns(UserWarning, match="1 or 3 input channels"):
        model = convnext.ConvNeXtTiny(weights=None, include_top=False, input_shape=(32, 32, 4))
    assert model.layers[1].name == "convnext_tiny_stem"                # no normalisation
    assert model.layers[1].weights[0].shape == (4, 4, 4, 96)


def test_architecture_must_match_the_pretrained_variant():
    with backend.shapes_only(), pytest.raises(ValueError, match="Architecture configuration "
                                              "does not match convnext_tiny variant"):
        convnext.ConvNeXt(depths=[1, 1, 1, 1], projection_dims=[8, 8, 8, 8],
                          name="convnext_tiny", weights="imagenet", weights_name="convnext_tiny")


class _Asked(Exception):
    pass


@pytest.mark.parametrize("member", sorted(KERAS))
@pytest.mark.parametrize("include_top", [True, False])
def test_imagenet_asks_for_keras_file(monkeypatch, member, include_top):
    asked = {}

    def get_file(fname, origin, cache_subdir, file_hash):
        asked.update(fname=fname, origin=origin, cache_subdir=cache_subdir, hash=file_hash)
        raise _Asked

    monkeypatch.setattr(file_utils, "get_file", get_file)
    with backend.shapes_only(), pytest.raises(_Asked):
        constructor(member)(include_top=include_top)
    variant = "convnext_" + member.lower()
    file_name = variant + (".h5" if include_top else "_notop.h5")
    assert asked == dict(fname=file_name, cache_subdir="models",
                         hash=convnext.WEIGHTS_HASHES[variant][0 if include_top else 1],
                         origin="https://storage.googleapis.com/tensorflow/"
                                f"keras-applications/convnext/{file_name}")
    assert len(asked["hash"]) == 64                                     # sha256, not md5


def test_a_custom_name_changes_the_file_keras_asks_for(monkeypatch):
    asked = {}

    def get_file(fname, origin, cache_subdir, file_hash):
        asked.update(fname=fname)
        raise _Asked

    monkeypatch.setattr(file_utils, "get_file", get_file)
    with backend.shapes_only(), pytest.raises(_Asked):
        convnext.ConvNeXtTiny(name="my_convnext_tiny")       # contains the variant: allowed
    assert asked["fname"] == "my_convnext_tiny.h5"            # Keras's quirk


def test_preprocess_and_decode():
    pixels = np.array([[[[0, 127.5, 255]]]], dtype="float32")
    np.testing.assert_array_equal(convnext.preprocess_input(pixels), pixels)
    np.testing.assert_array_equal(convnext.preprocess_input(pixels, data_format="x"), pixels)
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        convnext.decode_predictions(np.zeros((1, 10)))
    assert convnext.decode_predictions.__module__ == convnext.__name__
    assert imagenet_utils.decode_predictions is not convnext.decode_predictions


# ======================================================================== the two layers
def test_layer_scale_formula_gradients_and_config():
    layer = LayerScale(0.3, 4, name="scale")
    x = np.random.default_rng(1).normal(size=(2, 3, 4))
    y = layer(x)
    np.testing.assert_allclose(y, x * 0.3, rtol=1e-6)
    assert [w.shape for w in layer.weights] == [(4,)] and layer.weights[0].trainable
    layer.gamma.value[...] = [0.5, -1.0, 2.0, 0.25]
    assert gradcheck.check_layer(layer, x).passed
    config = layer.get_config()
    assert config["init_values"] == 0.3 and config["projection_dim"] == 4
    again = LayerScale.from_config(config)
    assert again.name == "scale" and again.projection_dim == 4
    record = keras.saving.serialize_keras_object(layer)
    assert record["module"] == "keras.src.applications.convnext"
    assert record["class_name"] == record["registered_name"] == "LayerScale"
    assert type(keras.saving.deserialize_keras_object(record)) is LayerScale


def test_stochastic_depth_drops_whole_samples_while_training_only():
    layer = StochasticDepth(0.5, name="drop")
    x = np.random.default_rng(2).normal(size=(64, 3, 4)).astype("float32")
    np.testing.assert_array_equal(layer(x), x)                         # inference: identity
    y, factor = layer.forward(x, training=True)
    assert factor.shape == (64, 1, 1)
    kept = factor[:, 0, 0] != 0
    assert 10 < kept.sum() < 54                                        # about half
    np.testing.assert_allclose(y[kept], x[kept] * 2.0, rtol=1e-6)      # divided by 1 - p
    assert (y[~kept] == 0).all()
    grad = np.ones_like(x)
    np.testing.assert_array_equal(layer.backward(factor, grad), grad * factor)
    report = gradcheck.check_layer(layer, x[:8].astype("float64"), training=True)
    assert report.passed
    config = layer.get_config()
    assert config["drop_path_rate"] == 0.5
    record = keras.saving.serialize_keras_object(layer)
    assert record["module"] == "keras.src.applications.convnext"
    assert type(keras.saving.deserialize_keras_object(record)) is StochasticDepth


def test_stochastic_depth_edge_rates_as_keras():
    x = np.ones((4, 2), dtype="float32")
    y, _ = StochasticDepth(0.0).forward(x, training=True)
    np.testing.assert_array_equal(y, x)                                # keeps everything
    y, _ = StochasticDepth(1.0).forward(x, training=True)
    assert np.isnan(y).all()                                           # Keras: inf * 0
