"""Convolution layers: Keras's golden values, ``conv_naive`` (the definition) as the
oracle, gradient checks, repeatable backward, config and a small fit."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.conv_im2col import conv_naive
from kerastutor.layers.convolutional import (Conv1D, Conv2D, Conv3D, Convolution1D,
                                             Convolution2D, Convolution3D)
from helpers import (assert_backward_weights_matches_backward, assert_config_round_trip,
                     random_array)
from strategies import (ACTIVATIONS, DATA_FORMATS, SEEDS, SMOOTH_ACTIVATIONS, conv_geometry,
                        spatial_sizes)

LAYERS = {1: Conv1D, 2: Conv2D, 3: Conv3D}


# ------------------------------------------------------------- golden values
def test_conv2d_same_k2_pads_right_and_bottom():
    x = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)
    conv = Conv2D(1, 2, padding="same", kernel_initializer="ones")
    y = conv(x)
    assert y.shape == (1, 5, 5, 1)
    np.testing.assert_allclose(y[0, 0, :, 0], [12, 16, 20, 24, 13])


def test_conv2d_same_k3_stride2():
    x = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)
    conv = Conv2D(1, 3, strides=2, padding="same", kernel_initializer="ones")
    np.testing.assert_allclose(conv(x)[0, :, :, 0],
                               [[12, 27, 24], [63, 108, 81], [72, 117, 84]])


def test_conv1d_causal():
    conv = Conv1D(1, 3, padding="causal", kernel_initializer="ones")
    y = conv(np.arange(5, dtype="float32").reshape(1, 5, 1))
    np.testing.assert_allclose(y[0, :, 0], [0, 1, 3, 6, 9])


@pytest.mark.parametrize("options,expected", [
    (dict(padding="same"), [12, 16, 20, 24, 13]),                  # k=2: pad right/bottom
    (dict(padding="valid"), [12, 16, 20, 24]),
    (dict(padding="valid", dilation_rate=(1, 2)), [14, 18, 22]),
])
def test_conv_naive_golden_values(options, expected):
    # the first output row of a ones 2x2 kernel on the 5x5 ramp, written out by hand
    x = np.arange(25.0).reshape(1, 5, 5, 1)
    y = conv_naive(x, np.ones((2, 2, 1, 1)), **options)
    np.testing.assert_allclose(y[0, 0, :, 0], expected)


def test_conv_naive_groups_keep_channels_apart():
    # two groups, one channel each: filter 0 sees channel 0 only, filter 1 channel 1 only
    x = np.stack([np.ones((3, 3)), 10 * np.ones((3, 3))], axis=-1)[None]
    y = conv_naive(x, np.ones((2, 2, 1, 2)), groups=2)
    np.testing.assert_allclose(y[0, 0, 0], [4, 40])


def test_conv2d_is_cross_correlation_not_convolution():
    x = np.zeros((1, 3, 3, 1), "float32")
    x[0, 1, 1, 0] = 1.0                               # a single impulse in the centre
    conv = Conv2D(1, 3, use_bias=False)
    conv.build((None, 3, 3, 1))
    kernel = np.arange(9, dtype="float32").reshape(3, 3, 1, 1)
    conv.set_weights([kernel])
    # valid 3x3 on 3x3: one output, the kernel entry under the impulse (no flip)
    np.testing.assert_allclose(conv(x).ravel(), [kernel[1, 1, 0, 0]])


def test_bias_then_activation():
    conv = Conv1D(2, 1, activation="relu", kernel_initializer="ones",
                  bias_initializer=keras.initializers.Constant(-2.0))
    y = conv(np.array([[[1.0], [3.0]]], "float32"))
    np.testing.assert_allclose(y[0], [[0, 0], [1, 1]])


def test_defaults_and_weights_follow_keras():
    conv = Conv2D(8, 3, groups=2)
    conv.build((None, 10, 10, 4))
    assert conv.kernel.shape == (3, 3, 2, 8)
    assert conv.bias.shape == (8,)
    assert conv.kernel.value.dtype == np.float32
    assert conv.count_params() == 3 * 3 * 2 * 8 + 8
    assert conv.strides == (1, 1) and conv.dilation_rate == (1, 1)
    assert conv.padding == "valid" and conv.data_format == "channels_last"
    assert Convolution1D is Conv1D and Convolution2D is Conv2D and Convolution3D is Conv3D


def test_output_shapes():
    assert Conv2D(4, 3).compute_output_shape((None, 28, 28, 1)) == (None, 26, 26, 4)
    assert Conv2D(4, 3, strides=2, padding="same").compute_output_shape(
        (None, 7, 8, 1)) == (None, 4, 4, 4)
    assert Conv2D(4, 3, data_format="channels_first").compute_output_shape(
        (None, 3, 9, 9)) == (None, 4, 7, 7)
    assert Conv1D(5, 3, dilation_rate=2).compute_output_shape((None, 10, 2)) == (None, 6, 5)
    assert Conv1D(5, 4, padding="causal").compute_output_shape((None, None, 2)) == \
        (None, None, 5)
    assert Conv3D(2, 2).compute_output_shape((None, 4, 5, 6, 1)) == (None, 3, 4, 5, 2)


def test_float64_inputs_stay_float64():
    conv = Conv2D(2, 2)
    x = random_array(0, (1, 4, 4, 3))
    conv.build((None, 4, 4, 3))
    y, _ = conv.forward(x)
    assert y.dtype == np.float64
    assert conv(x.astype("float32")).dtype == np.float32


# ------------------------------------------- conv_naive, the definition, as oracle
@st.composite
def conv_cases(draw, rank=None):
    rank = rank or draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    cin = groups * draw(st.integers(1, 2))
    filters = groups * draw(st.integers(1, 2))
    kernel, strides, dilation = draw(conv_geometry(rank))
    paddings = ["valid", "same"] + (["causal"] if rank == 1 else [])
    padding = draw(st.sampled_from(paddings))
    spatial = draw(spatial_sizes(kernel, dilation, largest=7 if rank < 3 else 4))
    batch = draw(st.integers(1, 2))
    data_format = draw(DATA_FORMATS)
    use_bias = draw(st.booleans())
    return dict(rank=rank, groups=groups, cin=cin, filters=filters, kernel=kernel,
                strides=strides, dilation=dilation, padding=padding, spatial=spatial,
                batch=batch, data_format=data_format, use_bias=use_bias,
                seed=draw(SEEDS))


def make_layer(case, **extra):
    return LAYERS[case["rank"]](
        case["filters"], case["kernel"], strides=case["strides"], padding=case["padding"],
        data_format=case["data_format"], dilation_rate=case["dilation"],
        groups=case["groups"], use_bias=case["use_bias"],
        bias_initializer="random_normal", **extra)


def make_input(case):
    shape = (case["batch"],) + case["spatial"] + (case["cin"],)
    x = random_array(case["seed"], shape)
    if case["data_format"] == "channels_first":
        x = np.moveaxis(x, -1, 1)
    return x


def as_channels_last(x, case):
    return np.moveaxis(x, 1, -1) if case["data_format"] == "channels_first" else x


def from_channels_last(x, case):
    return np.moveaxis(x, -1, 1) if case["data_format"] == "channels_first" else x


@given(case=conv_cases())
def test_forward_matches_conv_naive(case):
    layer = make_layer(case)
    x = make_input(case)
    y = layer(x.astype("float32"))
    expected = conv_naive(as_channels_last(x, case), layer.kernel.value.astype("float64"),
                          case["strides"], case["padding"], case["dilation"], case["groups"])
    if layer.bias is not None:
        expected = expected + layer.bias.value
    expected = from_channels_last(expected, case)
    assert y.shape == expected.shape
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + y.shape[1:]
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


@given(case=conv_cases(), activation=SMOOTH_ACTIVATIONS)
def test_gradients(case, activation):
    gradcheck.assert_gradients_ok(make_layer(case, activation=activation), make_input(case),
                                  seed=case["seed"])


@given(case=conv_cases(rank=2))
def test_conv2d_gradients(case):
    gradcheck.assert_gradients_ok(make_layer(case), make_input(case), seed=case["seed"])


@given(case=conv_cases(), activation=ACTIVATIONS)
def test_backward_is_repeatable(case, activation):
    # backward never writes into its cache: a second call gives the same gradients
    gradcheck.assert_backward_repeatable(make_layer(case, activation=activation),
                                         make_input(case), seed=case["seed"])


def test_gradients_with_relu_and_shared_use_adds():
    conv = Conv2D(3, 2, activation="relu", padding="same")
    x = random_array(3, (2, 4, 5, 2))
    gradcheck.assert_gradients_ok(conv, x, seed=3)
    x = x.astype("float32")
    # backward ADDS into .grad: two backward passes give twice the gradient
    y, cache = conv.forward(x)
    conv.kernel.zero_grad()
    conv.bias.zero_grad()
    conv.backward(cache, np.ones_like(y))
    once = conv.kernel.grad.copy()
    conv.backward(cache, np.ones_like(y))
    np.testing.assert_allclose(conv.kernel.grad, 2 * once)


def test_backward_weights_equals_backward():
    conv = Conv2D(3, 3, strides=2, padding="same")
    x = random_array(4, (2, 6, 6, 2))
    conv.build((None, 6, 6, 2))
    assert_backward_weights_matches_backward(conv, x)


# ------------------------------------------------------------------ config
@given(case=conv_cases())
def test_config_round_trip(case):
    layer = make_layer(case, activation="relu", kernel_regularizer="l2")
    config = assert_config_round_trip(layer, make_input(case).astype("float32"))
    assert config["kernel_size"] == case["kernel"]


# ------------------------------------------------------------------ errors
def test_kind_errors():
    with pytest.raises(ValueError, match="filters"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match="causal"):
        Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="divisible"):
        Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="dilation_rate"):
        Conv2D(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="groups"):
        Conv2D(4, 3, groups=2).build((None, 8, 8, 3))
    with pytest.raises(ValueError, match="ndim=4"):
        Conv2D(4, 3)(np.zeros((2, 8, 8), "float32"))
    with pytest.raises(ValueError, match="too small"):
        Conv2D(4, 5)(np.zeros((1, 3, 3, 1), "float32"))


@pytest.mark.parametrize("options", [dict(lora_rank=4), dict(lora_rank=4, lora_alpha=8),
                                     dict(lora_alpha=8)])
def test_lora_is_refused_not_ignored(options):
    with pytest.raises(ValueError, match='"adapted".*LoRA and quantization are not implemented.*lora_'):
        Conv2D(4, 3, name="adapted", **options)


# ----------------------------------------------------------- in a model
def test_conv2d_in_sequential_fit_learns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 8, 1)).astype("float32")
    y = (x[:, 2:6, 2:6, 0].mean(axis=(1, 2)) > 0).astype("int64")
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        Conv2D(4, 3, activation="relu", padding="same"),
        Conv2D(4, 3, strides=2),
        keras.layers.Flatten(),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert model.predict(x[:3], verbose=0).shape == (3, 2)


def test_conv1d_in_functional_model_fit():
    inputs = keras.Input((10, 3))
    h = Conv1D(4, 3, padding="causal", activation="tanh")(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(h))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 10, 3)).astype("float32")
    history = model.fit(x, x[:, -1, :1], epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
