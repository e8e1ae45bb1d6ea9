"""Depthwise and separable convolutions: ``conv_naive`` as the oracle, the grouped-conv
identity, gradient checks and repeatable backward over their options, config round trips
and a small fit."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.conv_im2col import conv_naive
from kerastutor.layers.convolutional import Conv1D, Conv2D
from kerastutor.layers.depthwise import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                         SeparableConv2D, SeparableConvolution1D,
                                         SeparableConvolution2D)
from helpers import assert_config_round_trip, random_array
from strategies import (DATA_FORMATS, PADDINGS, SEEDS, SMOOTH_ACTIVATIONS, conv_geometry,
                        spatial_sizes)

DEPTHWISE = {1: DepthwiseConv1D, 2: DepthwiseConv2D}
SEPARABLE = {1: SeparableConv1D, 2: SeparableConv2D}


def depthwise_by_conv_naive(x, kernel, case):
    """The definition: a grouped convolution with one group per input channel.

    A ``(*k, cin, M)`` depthwise kernel is a ``(*k, 1, cin*M)`` grouped one
    (output channel ``c*M + m`` belongs to group ``c``).
    """
    rank, cin = x.ndim - 2, x.shape[-1]
    grouped = kernel.reshape(kernel.shape[:rank] + (1, -1))
    return conv_naive(x, grouped, case["strides"], case["padding"], case["dilation"],
                      groups=cin)


# ------------------------------------------------------------- golden values
def test_depthwise_keeps_channels_apart():
    # channel 0 is the 5x5 ramp, channel 1 is ten times it; a ones kernel, k=2, same:
    # each channel alone gives Conv2D's documented first row [12, 16, 20, 24, 13]
    ramp = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)
    x = np.concatenate([ramp, 10 * ramp], axis=-1)
    layer = DepthwiseConv2D(2, padding="same", depthwise_initializer="ones")
    y = layer(x)
    assert y.shape == (1, 5, 5, 2)
    np.testing.assert_allclose(y[0, 0, :, 0], [12, 16, 20, 24, 13])
    np.testing.assert_allclose(y[0, 0, :, 1], [120, 160, 200, 240, 130])


def test_depth_multiplier_orders_outputs_channel_major():
    # input channel c with multiplier m lands on output channel c*M + m
    layer = DepthwiseConv1D(1, depth_multiplier=3, use_bias=False)
    layer.build((None, 2, 2))
    kernel = np.array([[[1, 2, 3], [10, 20, 30]]], "float32")     # (1, cin=2, M=3)
    layer.set_weights([kernel])
    y = layer(np.array([[[1.0, 1.0], [2.0, -1.0]]], "float32"))
    np.testing.assert_allclose(y[0], [[1, 2, 3, 10, 20, 30], [2, 4, 6, -10, -20, -30]])


def test_weights_follow_keras():
    layer = DepthwiseConv2D(3, depth_multiplier=2)
    layer.build((None, 8, 8, 4))
    assert [(w.name, w.shape) for w in layer.weights] == [("kernel", (3, 3, 4, 2)),
                                                          ("bias", (8,))]
    layer = SeparableConv2D(5, 3, depth_multiplier=2)
    layer.build((None, 8, 8, 4))
    assert [(w.name, w.shape) for w in layer.weights] == [
        ("depthwise_kernel", (3, 3, 4, 2)), ("pointwise_kernel", (1, 1, 8, 5)), ("bias", (5,))]
    assert layer.count_params() == 3 * 3 * 4 * 2 + 8 * 5 + 5
    layer = SeparableConv1D(5, 3, use_bias=False)
    layer.build((None, 8, 3))
    assert [(w.name, w.shape) for w in layer.weights] == [
        ("depthwise_kernel", (3, 3, 1)), ("pointwise_kernel", (1, 3, 5))]
    assert layer.depthwise_kernel.value.dtype == np.float32


def test_defaults_and_aliases():
    layer = DepthwiseConv2D(3)
    assert layer.depth_multiplier == 1 and layer.strides == (1, 1)
    assert layer.padding == "valid" and layer.data_format == "channels_last"
    assert layer.dilation_rate == (1, 1) and layer.use_bias
    assert SeparableConv2D(4, 3).depth_multiplier == 1
    assert SeparableConvolution1D is SeparableConv1D
    assert SeparableConvolution2D is SeparableConv2D


def test_output_shapes():
    assert DepthwiseConv2D(3, depth_multiplier=2).compute_output_shape(
        (None, 10, 10, 3)) == (None, 8, 8, 6)
    assert DepthwiseConv1D(3, strides=2, depth_multiplier=3).compute_output_shape(
        (4, 10, 12)) == (4, 4, 36)                         # the example in Keras's docstring
    assert DepthwiseConv2D(3, padding="same", data_format="channels_first") \
        .compute_output_shape((None, 3, 7, 9)) == (None, 3, 7, 9)
    assert SeparableConv2D(4, 3, strides=2, padding="same").compute_output_shape(
        (None, 7, 8, 2)) == (None, 4, 4, 4)
    assert SeparableConv1D(5, 3, dilation_rate=2).compute_output_shape(
        (None, 10, 2)) == (None, 6, 5)


def test_float_dtypes_are_kept():
    for layer in (DepthwiseConv2D(2), SeparableConv2D(3, 2)):
        x = random_array(0, (1, 4, 4, 3))
        layer.build((None, 4, 4, 3))
        assert layer.forward(x)[0].dtype == np.float64
        assert layer(x.astype("float32")).dtype == np.float32


# ---------------------------------------------------------- identities
def test_depthwise_is_a_grouped_conv_with_one_group_per_channel():
    x = random_array(1, (2, 6, 5, 3)).astype("float32")
    depthwise = DepthwiseConv2D((3, 2), depth_multiplier=2, padding="same",
                                bias_initializer="random_normal")
    y = depthwise(x)
    grouped = Conv2D(6, (3, 2), padding="same", groups=3)
    grouped.build((None, 6, 5, 3))
    grouped.set_weights([depthwise.kernel.value.reshape(3, 2, 1, 6), depthwise.bias.value])
    np.testing.assert_allclose(y, grouped(x), rtol=1e-6)


def test_separable_is_depthwise_then_pointwise():
    x = random_array(2, (2, 7, 3)).astype("float32")
    separable = SeparableConv1D(4, 3, depth_multiplier=2, strides=2, activation="tanh",
                                bias_initializer="random_normal")
    y = separable(x)
    depthwise = DepthwiseConv1D(3, depth_multiplier=2, strides=2, use_bias=False)
    depthwise.build((None, 7, 3))
    depthwise.set_weights([separable.depthwise_kernel.value])
    pointwise = Conv1D(4, 1, activation="tanh")
    pointwise.build((None, 3, 6))
    pointwise.set_weights([separable.pointwise_kernel.value, separable.bias.value])
    np.testing.assert_allclose(y, pointwise(depthwise(x)), rtol=1e-5, atol=1e-6)


# ------------------------------------------- conv_naive, the definition, as oracle
@st.composite
def cases(draw, rank=None):
    rank = rank or draw(st.integers(1, 2))
    kernel, strides, dilation = draw(conv_geometry(rank))
    spatial = draw(spatial_sizes(kernel, dilation, largest=6))
    return dict(rank=rank, cin=draw(st.integers(1, 3)), mult=draw(st.integers(1, 3)),
                filters=draw(st.integers(1, 3)), kernel=kernel, strides=strides,
                dilation=dilation, padding=draw(PADDINGS),
                spatial=spatial, batch=draw(st.integers(1, 2)),
                data_format=draw(DATA_FORMATS),
                use_bias=draw(st.booleans()), seed=draw(SEEDS))


def make_layer(case, separable, **extra):
    options = dict(strides=case["strides"], padding=case["padding"],
                   depth_multiplier=case["mult"], data_format=case["data_format"],
                   dilation_rate=case["dilation"], use_bias=case["use_bias"],
                   bias_initializer="random_normal", **extra)
    if separable:
        return SEPARABLE[case["rank"]](case["filters"], case["kernel"], **options)
    return DEPTHWISE[case["rank"]](case["kernel"], **options)


def make_input(case):
    x = random_array(case["seed"], (case["batch"],) + case["spatial"] + (case["cin"],))
    return np.moveaxis(x, -1, 1) if case["data_format"] == "channels_first" else x


@given(case=cases(), separable=st.booleans())
def test_forward_matches_conv_naive(case, separable):
    layer = make_layer(case, separable)
    x = make_input(case)
    y = layer(x.astype("float32"))
    x_last = np.moveaxis(x, 1, -1) if case["data_format"] == "channels_first" else x
    if separable:
        u = depthwise_by_conv_naive(x_last, layer.depthwise_kernel.value.astype("float64"),
                                    case)
        # pointwise: a 1x1 convolution of the depthwise output
        expected = conv_naive(u, layer.pointwise_kernel.value.astype("float64"))
    else:
        expected = depthwise_by_conv_naive(x_last, layer.kernel.value.astype("float64"), case)
    if layer.bias is not None:
        expected = expected + layer.bias.value
    if case["data_format"] == "channels_first":
        expected = np.moveaxis(expected, -1, 1)
    assert y.shape == expected.shape
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + y.shape[1:]
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


@given(case=cases(), activation=SMOOTH_ACTIVATIONS)
def test_depthwise_gradients(case, activation):
    gradcheck.assert_gradients_ok(make_layer(case, separable=False, activation=activation),
                                  make_input(case), seed=case["seed"])


@given(case=cases(), activation=SMOOTH_ACTIVATIONS)
def test_separable_gradients(case, activation):
    gradcheck.assert_gradients_ok(make_layer(case, separable=True, activation=activation),
                                  make_input(case), seed=case["seed"])


@given(case=cases(), separable=st.booleans(), activation=st.sampled_from(["linear", "relu"]))
def test_backward_is_repeatable(case, separable, activation):
    gradcheck.assert_backward_repeatable(make_layer(case, separable, activation=activation),
                                         make_input(case), seed=case["seed"])


@pytest.mark.parametrize("separable", [False, True])
def test_backward_adds_and_backward_weights_agrees(separable):
    layer = (SeparableConv2D(3, 2, depth_multiplier=2, activation="relu") if separable
             else DepthwiseConv2D(2, depth_multiplier=2, activation="relu"))
    x = random_array(3, (2, 5, 4, 2))
    layer.build((None, 5, 4, 2))
    y, cache = layer.forward(x)
    g = random_array(4, y.shape)
    for w in layer.weights:
        w.zero_grad()
    layer.backward(cache, g)
    once = [w.grad.copy() for w in layer.weights]
    layer.backward(cache, g)                      # shared use: gradients add up
    for w, a in zip(layer.weights, once):
        np.testing.assert_allclose(w.grad, 2 * a)
    for w in layer.weights:
        w.zero_grad()
    layer.backward_weights(cache, g)
    for w, a in zip(layer.weights, once):
        np.testing.assert_allclose(w.grad, a)


# ------------------------------------------------------------------ config
@given(case=cases(), separable=st.booleans())
def test_config_round_trip(case, separable):
    layer = make_layer(case, separable, activation="relu", depthwise_regularizer="l2")
    config = assert_config_round_trip(layer, make_input(case).astype("float32"))
    assert config["depth_multiplier"] == case["mult"]
    assert ("filters" in config) == separable and "groups" not in config
    assert config["depthwise_regularizer"] is not None


# ------------------------------------------------------------------ errors
def test_kind_errors():
    with pytest.raises(ValueError, match="depth_multiplier"):
        DepthwiseConv2D(3, depth_multiplier=0)
    with pytest.raises(ValueError, match="filters"):
        SeparableConv2D(0, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        DepthwiseConv1D((3, 3))
    with pytest.raises(ValueError, match="dilation_rate"):
        SeparableConv1D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding"):
        DepthwiseConv1D(3, padding="causal")
    with pytest.raises(ValueError, match="depthwise_initializer|Unrecognized"):
        DepthwiseConv2D(3, kernel_initializer="ones")
    with pytest.raises(ValueError, match="ndim=4"):
        SeparableConv2D(4, 3)(np.zeros((2, 8, 8), "float32"))
    with pytest.raises(ValueError, match='"dw".*too small'):
        DepthwiseConv2D(5, name="dw")(np.zeros((1, 3, 3, 1), "float32"))


# ----------------------------------------------------------- in a model
def test_mobilenet_style_block_fit_learns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 8, 2)).astype("float32")
    y = (x[:, 2:6, 2:6, 0].mean(axis=(1, 2)) > x[:, 2:6, 2:6, 1].mean(axis=(1, 2)))
    model = keras.Sequential([
        keras.Input((8, 8, 2)),
        DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu"),
        SeparableConv2D(4, 3, strides=2, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y.astype("int64"), epochs=15, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert model.predict(x[:3], verbose=0).shape == (3, 2)


def test_separable_conv1d_in_functional_model_fit():
    inputs = keras.Input((10, 3))
    h = SeparableConv1D(4, 3, padding="same", activation="tanh")(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(h))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 10, 3)).astype("float32")
    history = model.fit(x, x[:, -1, :1], epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
