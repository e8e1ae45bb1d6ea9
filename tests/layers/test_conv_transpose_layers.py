"""Transposed convolutions: hand-computed values, ``conv_naive`` as the oracle through
the adjoint identity, gradient checks, repeatable backward, config and a small autoencoder."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.conv_transpose import (Conv1DTranspose, Conv2DTranspose,
                                              Conv3DTranspose, Convolution1DTranspose,
                                              Convolution2DTranspose, Convolution3DTranspose,
                                              deconv_output_length)
from kerastutor.layers.conv_im2col import conv_naive
from kerastutor.layers.convolutional import Conv2D
from helpers import (assert_backward_weights_matches_backward, assert_config_round_trip,
                     random_array)
from strategies import (ACTIVATIONS, DATA_FORMATS, PADDINGS, SEEDS, SMOOTH_ACTIVATIONS,
                        conv_geometry)

LAYERS = {1: Conv1DTranspose, 2: Conv2DTranspose, 3: Conv3DTranspose}


def expected_length(n, k, s, d, padding, output_padding):
    """Keras's documented output length, written out again for the test."""
    k = d * (k - 1) + 1
    if output_padding is None:
        return n * s + max(k - s, 0) if padding == "valid" else n * s
    return (n - 1) * s + (k if padding == "valid" else k % 2) + output_padding


def adjoint_by_conv_naive(u, x, kernel, strides, padding, output_padding, dilation):
    """``<u, A^T x>`` for the convolution ``A`` that a transposed convolution undoes.

    A transposed convolution is the adjoint of a convolution: for every ``u``
    shaped like its output, ``<u, conv_transpose(x)> = <conv(u~), x>``, where
    ``u~`` is ``u`` placed on the full scatter (zeros before it: what the output
    window skips, written out as Keras documents it) and ``conv`` is
    :func:`conv_naive`, valid, with the same kernel read as ``(k, filters, cin)``.
    """
    rank = x.ndim - 2
    ksize, spatial = kernel.shape[:rank], x.shape[1:-1]
    ops = output_padding or (None,) * rank
    outs = [expected_length(n, k, s, d, padding, a)
            for n, k, s, d, a in zip(spatial, ksize, strides, dilation, ops)]
    befores = [0 if padding == "valid" else max((n - 1) * s + d * (k - 1) + 1 - m, 0) // 2
               for n, k, s, d, m in zip(spatial, ksize, strides, dilation, outs)]
    fulls = [max((n - 1) * s + d * (k - 1) + 1, b + m) for n, k, s, d, b, m
             in zip(spatial, ksize, strides, dilation, befores, outs)]
    u_full = np.pad(u, [(0, 0)] + [(b, f - b - m) for b, f, m in zip(befores, fulls, outs)]
                    + [(0, 0)])
    conv_u = conv_naive(u_full, kernel, strides, "valid", dilation)
    conv_u = conv_u[(slice(None),) + tuple(slice(0, n) for n in spatial)]  # back to x's shape
    return np.sum(conv_u * x)


# ------------------------------------------------------------- golden values
def test_conv2d_transpose_ones_kernel_on_a_ramp_same_stride2():
    # x = [[0, 1], [2, 3]]; k=3, s=2, same: output 4x4, no crop at the start.
    # Output row i collects input rows p with 2p <= i <= 2p+2: {0},{0},{0,1},{1}
    # (columns alike), so y[i, j] sums x over those rows and columns.
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    layer = Conv2DTranspose(1, 3, strides=2, padding="same", kernel_initializer="ones")
    np.testing.assert_allclose(layer(x)[0, :, :, 0], [[0, 0, 1, 1],
                                                      [0, 0, 1, 1],
                                                      [2, 2, 6, 4],
                                                      [2, 2, 5, 3]])


def test_conv2d_transpose_k2_s2_paints_each_pixel_into_its_block():
    x = np.array([[1, 2], [3, 4]], "float32").reshape(1, 2, 2, 1)
    layer = Conv2DTranspose(1, 2, strides=2, kernel_initializer="ones")
    np.testing.assert_allclose(layer(x)[0, :, :, 0], [[1, 1, 2, 2], [1, 1, 2, 2],
                                                      [3, 3, 4, 4], [3, 3, 4, 4]])


def test_conv1d_transpose_valid_overlaps_add():
    layer = Conv1DTranspose(1, 2, kernel_initializer="ones")
    y = layer(np.array([[[1.0], [2.0], [3.0]]], "float32"))
    np.testing.assert_allclose(y[0, :, 0], [1, 3, 5, 3])     # [1,1,0,0]+[0,2,2,0]+[0,0,3,3]


def test_kernel_layout_puts_output_channels_first():
    layer = Conv2DTranspose(5, (3, 2))
    layer.build((None, 4, 4, 2))
    assert layer.kernel.shape == (3, 2, 5, 2)                 # kernel_size + (filters, cin)
    assert layer.bias.shape == (5,)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    # one input channel, two filters: output channel f carries W[..., f, 0]
    layer = Conv1DTranspose(2, 1, use_bias=False)
    layer.build((None, 3, 1))
    layer.set_weights([np.array([[[2.0], [-1.0]]], "float32")])
    y = layer(np.array([[[1.0], [3.0], [0.5]]], "float32"))
    np.testing.assert_allclose(y[0], [[2, -1], [6, -3], [1, -0.5]])


def test_defaults_and_aliases_follow_keras():
    layer = Conv2DTranspose(8, 3)
    assert layer.strides == (1, 1) and layer.dilation_rate == (1, 1)
    assert layer.padding == "valid" and layer.output_padding is None
    assert layer.data_format == "channels_last" and layer.use_bias
    layer.build((None, 5, 5, 4))
    assert layer.count_params() == 3 * 3 * 8 * 4 + 8
    assert layer.kernel.value.dtype == np.float32
    assert Convolution1DTranspose is Conv1DTranspose
    assert Convolution2DTranspose is Conv2DTranspose
    assert Convolution3DTranspose is Conv3DTranspose


def test_output_shapes_as_keras_examples():
    # the examples in Keras's docstrings (fewer channels, same geometry)
    assert Conv1DTranspose(32, 3, 2).compute_output_shape((4, 10, 8)) == (4, 21, 32)
    assert Conv2DTranspose(32, 2, 2).compute_output_shape((4, 10, 8, 8)) == (4, 20, 16, 32)
    assert Conv3DTranspose(32, 2, 2).compute_output_shape((4, 10, 8, 12, 8)) == \
        (4, 20, 16, 24, 32)
    assert Conv2DTranspose(3, 3, strides=2, padding="same").compute_output_shape(
        (None, 7, 5, 2)) == (None, 14, 10, 3)
    assert Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=0,
                           data_format="channels_first").compute_output_shape(
        (None, 2, 7, 5)) == (None, 3, 13, 9)
    assert Conv1DTranspose(2, 3, dilation_rate=2).compute_output_shape((None, None, 1)) == \
        (None, None, 2)
    assert deconv_output_length(4, 3, "valid", 1, 2, 1) == 10
    assert deconv_output_length(4, 1, "valid", None, 3, 1) == 12     # s > k: gaps of zeros


def test_float_dtypes_are_kept():
    layer = Conv2DTranspose(2, 2, strides=2)
    x = random_array(0, (1, 3, 3, 2))
    layer.build((None, 3, 3, 2))
    assert layer.forward(x)[0].dtype == np.float64
    assert layer(x.astype("float32")).dtype == np.float32


# ------------------------------------------- the gradient of a convolution
@pytest.mark.parametrize("padding,strides,kernel", [("same", 2, 3), ("valid", 2, 3),
                                                    ("same", 1, 2), ("valid", 3, 2)])
def test_forward_is_the_input_gradient_of_a_convolution(padding, strides, kernel):
    x = random_array(1, (2, 3, 4, 3))                         # a conv's output: 3 channels
    layer = Conv2DTranspose(2, kernel, strides=strides, padding=padding, use_bias=False)
    layer.build((None, 3, 4, 3))
    y, _ = layer.forward(x)                                   # (2, m_h, m_w, 2)
    # the convolution from y's shape back to x's: kernel (k, k, 2 in, 3 out) -- the same array
    conv = Conv2D(3, kernel, strides=strides, padding=padding, use_bias=False)
    conv.build((None,) + y.shape[1:])
    conv.set_weights([layer.kernel.value])
    u = random_array(2, y.shape)
    out, cache = conv.forward(u)
    assert out.shape == x.shape
    np.testing.assert_allclose(conv.backward(cache, x), y, rtol=1e-5, atol=1e-6)
    # adjoint: <conv(u), x> == <u, conv_transpose(x)>
    np.testing.assert_allclose(np.sum(out * x), np.sum(u * y), rtol=1e-5)


# ------------------------------------------- conv_naive, the definition, as oracle
@st.composite
def transpose_cases(draw, rank=None):
    rank = rank or draw(st.integers(1, 3))
    kernel, strides, dilation = draw(conv_geometry(rank))
    padding = draw(PADDINGS)
    output_padding = None
    if draw(st.booleans()):
        output_padding = tuple(draw(st.integers(0, s - 1)) for s in strides)
    spatial = tuple(draw(st.integers(1, 4 if rank < 3 else 3)) for _ in range(rank))
    ops = output_padding or (None,) * rank
    assume(all(expected_length(n, k, s, d, padding, a) > 0
               for n, k, s, d, a in zip(spatial, kernel, strides, dilation, ops)))
    return dict(rank=rank, cin=draw(st.integers(1, 2)), filters=draw(st.integers(1, 3)),
                kernel=kernel, strides=strides, dilation=dilation, padding=padding,
                output_padding=output_padding, spatial=spatial,
                batch=draw(st.integers(1, 2)),
                data_format=draw(DATA_FORMATS),
                use_bias=draw(st.booleans()), seed=draw(SEEDS))


def make_layer(case, **extra):
    return LAYERS[case["rank"]](
        case["filters"], case["kernel"], strides=case["strides"], padding=case["padding"],
        output_padding=case["output_padding"], data_format=case["data_format"],
        dilation_rate=case["dilation"], use_bias=case["use_bias"],
        bias_initializer="random_normal", **extra)


def make_input(case):
    x = random_array(case["seed"], (case["batch"],) + case["spatial"] + (case["cin"],))
    return np.moveaxis(x, -1, 1) if case["data_format"] == "channels_first" else x


@given(case=transpose_cases())
def test_forward_is_the_adjoint_of_conv_naive(case):
    layer = make_layer(case)
    x = make_input(case)
    y = layer(x.astype("float32"))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + y.shape[1:]
    x_last = np.moveaxis(x, 1, -1) if case["data_format"] == "channels_first" else x
    y_last = np.moveaxis(y, 1, -1) if case["data_format"] == "channels_first" else y
    if layer.bias is not None:
        y_last = y_last - layer.bias.value
    # <u, y> = <conv(u~), x> for every u: three random ones pin y down
    kernel = layer.kernel.value.astype("float64")
    for seed in range(3):
        u = random_array(case["seed"] + seed, y_last.shape)
        expected = adjoint_by_conv_naive(u, x_last, kernel, case["strides"], case["padding"],
                                         case["output_padding"], case["dilation"])
        np.testing.assert_allclose(np.sum(u * y_last), expected, rtol=1e-4, atol=1e-4)


@given(case=transpose_cases(), activation=SMOOTH_ACTIVATIONS)
def test_gradients(case, activation):
    gradcheck.assert_gradients_ok(make_layer(case, activation=activation), make_input(case),
                                  seed=case["seed"])


@given(case=transpose_cases(rank=2))
def test_conv2d_transpose_gradients(case):
    gradcheck.assert_gradients_ok(make_layer(case), make_input(case), seed=case["seed"])


@given(case=transpose_cases(), activation=ACTIVATIONS)
def test_backward_is_repeatable(case, activation):
    gradcheck.assert_backward_repeatable(make_layer(case, activation=activation),
                                         make_input(case), seed=case["seed"])


def test_gradients_with_relu_and_shared_use_adds():
    layer = Conv2DTranspose(2, 3, strides=2, padding="same", activation="relu")
    x = random_array(3, (2, 3, 2, 2))
    gradcheck.assert_gradients_ok(layer, x, seed=3)
    x = x.astype("float32")
    y, cache = layer.forward(x)
    for w in layer.weights:
        w.zero_grad()
    layer.backward(cache, np.ones_like(y))
    once = [w.grad.copy() for w in layer.weights]
    layer.backward(cache, np.ones_like(y))
    for w, g in zip(layer.weights, once):
        np.testing.assert_allclose(w.grad, 2 * g)


def test_backward_weights_equals_backward():
    layer = Conv1DTranspose(3, 3, strides=2, output_padding=1, activation="tanh")
    x = random_array(4, (2, 5, 2))
    layer.build((None, 5, 2))
    assert_backward_weights_matches_backward(layer, x)


# ------------------------------------------------------------------ config
@given(case=transpose_cases())
def test_config_round_trip(case):
    layer = make_layer(case, activation="relu", kernel_regularizer="l2")
    config = assert_config_round_trip(layer, make_input(case).astype("float32"))
    assert config["kernel_size"] == case["kernel"]
    assert config["output_padding"] == case["output_padding"]


# ------------------------------------------------------------------ errors
def test_kind_errors():
    with pytest.raises(ValueError, match="filters"):
        Conv2DTranspose(0, 3)
    with pytest.raises(ValueError, match="output_padding.*strides"):
        Conv2DTranspose(4, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="output_padding"):
        Conv2DTranspose(4, 3, output_padding=(0, 0, 0))
    with pytest.raises(ValueError, match="dilation_rate"):
        Conv1DTranspose(4, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="padding"):
        Conv1DTranspose(4, 3, padding="causal")
    with pytest.raises(ValueError, match="ndim=4"):
        Conv2DTranspose(4, 3)(np.zeros((2, 8, 8), "float32"))
    layer = Conv2DTranspose(1, 2, padding="same", output_padding=0, name="up")
    with pytest.raises(ValueError, match='"up".*too small'):
        layer(np.zeros((1, 1, 1, 1), "float32"))
    with pytest.raises(ValueError, match='"up".*too small'):
        layer.compute_output_shape((None, 1, 1, 1))


# ----------------------------------------------------------- in a model
def test_autoencoder_conv2d_down_conv2d_transpose_up_learns():
    rng = np.random.default_rng(0)
    # smooth 8x8 images: a few blurred blobs, the kind an autoencoder can compress
    yy, xx = np.mgrid[0:8, 0:8]
    centres = rng.uniform(1, 7, size=(64, 2))
    x = np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 4.0)
    x = x[..., None].astype("float32")
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        Conv2D(8, 3, strides=2, padding="same", activation="relu"),          # 8x8 -> 4x4
        Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),  # -> 8x8
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    history = model.fit(x, x, epochs=20, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses
    assert model.predict(x[:2], verbose=0).shape == (2, 8, 8, 1)
