"""Core layers: forward values as Keras computes them, and gradient checks for each."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck, layers
from helpers import random_array
from strategies import SEEDS, shapes

ACTIVATIONS = ["linear", "relu", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus",
               "gelu", "swish", "mish", "softsign"]



# ----------------------------------------------------------------- Dense
def test_dense_forward_is_xw_plus_b_then_activation():
    dense = layers.Dense(2, activation="relu")
    x = np.array([[1.0, 2.0, 3.0]], dtype="float32")
    dense.build((None, 3))
    dense.set_weights([np.array([[1, -1], [0, 1], [1, 0]], "float32"),
                       np.array([0.5, -10], "float32")])
    np.testing.assert_allclose(dense(x), [[4.5, 0.0]])


def test_dense_on_rank_3_acts_on_the_last_axis():
    dense = layers.Dense(5)
    x = random_array(0, (2, 7, 3)).astype("float32")
    y = dense(x)
    assert y.shape == (2, 7, 5)
    np.testing.assert_allclose(y[1, 4], x[1, 4] @ dense.kernel.value + dense.bias.value,
                               rtol=1e-5)


def test_dense_defaults_follow_keras():
    dense = layers.Dense(300)
    dense.build((None, 200))
    limit = np.sqrt(6 / 500)                    # glorot_uniform
    assert np.abs(dense.kernel.value).max() <= limit
    assert np.abs(dense.kernel.value).max() > 0.95 * limit
    assert not dense.bias.value.any()
    assert dense.kernel.value.dtype == np.float32
    assert dense.count_params() == 200 * 300 + 300


def test_dense_without_bias():
    dense = layers.Dense(3, use_bias=False)
    dense.build((None, 4))
    assert [w.name for w in dense.weights] == ["kernel"]
    gradcheck.assert_gradients_ok(dense, random_array(0, (3, 4)))


@given(batch=st.integers(1, 4), n_in=st.integers(1, 5), units=st.integers(1, 5),
       rank=st.integers(2, 4), activation=st.sampled_from(ACTIVATIONS),
       seed=SEEDS)
def test_dense_gradients(batch, n_in, units, rank, activation, seed):
    shape = (batch,) + (2,) * (rank - 2) + (n_in,)
    dense = layers.Dense(units, activation=activation)
    gradcheck.assert_gradients_ok(dense, random_array(seed, shape), seed=seed)


# ------------------------------------------------------------ Activation
@given(activation=st.sampled_from(ACTIVATIONS + ["hard_sigmoid", "relu6", "leaky_relu",
                                                  "log_softmax", "exponential",
                                                  "hard_swish"]),
       shape=shapes(1, 3, max_side=4), seed=SEEDS)
def test_activation_layer_gradients(activation, shape, seed):
    layer = layers.Activation(activation)
    gradcheck.assert_gradients_ok(layer, random_array(seed, shape, scale=2.0), seed=seed)


def test_activation_layer_config_round_trip():
    layer = layers.Activation("softmax")
    clone = layers.Activation.from_config(layer.get_config())
    x = random_array(0, (2, 3)).astype("float32")
    np.testing.assert_allclose(clone(x), layer(x))
    assert layer.get_config()["activation"] == "softmax"


# -------------------------------------------------------------- Dropout
def test_dropout_is_inverted_and_only_active_in_training():
    layer = layers.Dropout(0.5, seed=3)
    x = np.ones((100, 50), dtype="float32")
    y = layer(x, training=True)
    assert set(np.unique(y)) == {0.0, 2.0}
    assert 0.4 < (y == 0).mean() < 0.6
    np.testing.assert_array_equal(layer(x), x)               # inference: identity
    np.testing.assert_array_equal(layers.Dropout(1.0)(x, training=True), 0 * x)


def test_dropout_noise_shape_shares_the_mask():
    layer = layers.Dropout(0.5, noise_shape=(None, 1, 4), seed=0)
    y = layer(np.ones((3, 5, 4), "float32"), training=True)
    assert (y == y[:, :1, :]).all()                          # same mask along axis 1


@given(rate=st.sampled_from([0.0, 0.2, 0.5, 0.9]), seed=SEEDS,
       training=st.booleans())
def test_dropout_gradients(rate, seed, training):
    layer = layers.Dropout(rate)
    gradcheck.assert_gradients_ok(layer, random_array(seed, (3, 4)), training=training,
                                  seed=seed)


# --------------------------------------------------------- Flatten/Reshape
def test_flatten_is_row_major():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(layers.Flatten()(x), x.reshape(2, 12))
    assert layers.Flatten().compute_output_shape((None, 3, 4)) == (None, 12)


def test_flatten_channels_first_transposes_first():
    x = np.arange(12, dtype="float32").reshape(1, 3, 2, 2)      # (N, C, H, W)
    y = layers.Flatten(data_format="channels_first")(x)
    np.testing.assert_array_equal(y[0], np.moveaxis(x, 1, -1).reshape(-1))


def test_reshape_with_minus_one_and_errors():
    x = np.arange(24, dtype="float32").reshape(2, 12)
    assert layers.Reshape((3, -1))(x).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="cannot reshape.*12 values"):
        layers.Reshape((5,))(x)


@given(shape=shapes(2, 4, max_side=4), seed=SEEDS)
def test_flatten_and_reshape_gradients(shape, seed):
    x = random_array(seed, shape)
    gradcheck.assert_gradients_ok(layers.Flatten(), x)
    rest = int(np.prod(shape[1:]))
    gradcheck.assert_gradients_ok(layers.Reshape((rest, 1)), x)


# ---------------------------------------------------------- Input / Layer
def test_input_shape_excludes_the_batch():
    x = keras.Input((28, 28))
    assert x.shape == (None, 28, 28)
    assert keras.Input(shape=(3,), batch_size=8).shape == (8, 3)


def test_eager_call_casts_float64_to_the_layer_dtype():
    dense = layers.Dense(2)
    assert dense(np.ones((1, 3))).dtype == np.float32


def test_shared_layer_accumulates_gradients():
    dense = layers.Dense(2)
    x = random_array(0, (3, 4))
    dense(x)
    for w in dense.weights:
        w.zero_grad()
    _, cache = dense.forward(x)
    g = np.ones((3, 2))
    dense.backward(cache, g)
    once = dense.kernel.grad.copy()
    dense.backward(cache, g)
    np.testing.assert_allclose(dense.kernel.grad, 2 * once)


@pytest.mark.parametrize("options", [dict(lora_rank=4), dict(lora_alpha=8.0),
                                     dict(quantization_config={"mode": "int8"})])
def test_dense_refuses_lora_and_quantization_instead_of_ignoring_them(options):
    with pytest.raises(ValueError, match=r'"d" \(Dense\): LoRA and quantization are not '
                                         r"implemented.*Hint"):
        keras.layers.Dense(3, name="d", **options)
