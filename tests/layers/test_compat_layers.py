"""Identity, RMSNormalization and the adaptive pooling layers: naive references, gradients,
configs, and a model that trains through them."""
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.adaptive_pooling import adaptive_bins
from helpers import random_array
from strategies import SEEDS

ADAPTIVE = {(mode, rank): getattr(keras.layers, f"Adaptive{mode}Pooling{rank}D")
            for mode in ("Average", "Max") for rank in (1, 2, 3)}


# ------------------------------------------------------------------------ Identity
def test_identity_passes_values_masks_and_gradients_through():
    layer = keras.layers.Identity()
    x = random_array(0, (2, 3))
    y, cache = layer.forward(x)
    assert y is x and layer.backward(cache, 2 * x) is not None
    np.testing.assert_array_equal(layer.backward(cache, 2 * x), 2 * x)
    assert layer.weights == [] and layer.compute_output_shape((None, 3)) == (None, 3)
    inputs = keras.Input((4, 2))
    masked = keras.layers.Masking()(inputs)
    assert keras.layers.Identity().supports_masking
    model = keras.Model(inputs, keras.layers.LSTM(2)(keras.layers.Identity()(masked)))
    assert model.predict(np.zeros((1, 4, 2)), verbose=0).shape == (1, 2)


# ------------------------------------------------------------------------ RMSNormalization
def naive_rms_norm(x, axes, scale, epsilon):
    """Loop over every slice the statistics run over."""
    out = np.empty_like(x)
    kept = [a for a in range(x.ndim) if a not in axes]
    for index in itertools.product(*(range(x.shape[a]) for a in kept)):
        where = [slice(None)] * x.ndim
        for a, i in zip(kept, index):
            where[a] = i
        block = x[tuple(where)]
        out[tuple(where)] = block / np.sqrt(np.mean(block ** 2) + epsilon) * scale
    return out


@given(rank=st.integers(2, 4), trailing=st.integers(1, 2), seed=SEEDS)
def test_rms_normalization_matches_naive_and_gradients(rank, trailing, seed):
    trailing = min(trailing, rank - 1)
    shape = (2,) + tuple(int(d) for d in np.random.default_rng(seed).integers(2, 4, rank - 1))
    axes = list(range(rank - trailing, rank))
    layer = keras.layers.RMSNormalization(axis=axes if trailing > 1 else -1, epsilon=1e-3)
    layer.build((None,) + shape[1:])
    layer.scale.assign(random_array(seed + 1, layer.scale.shape) + 1.0)
    x = random_array(seed, shape, scale=2.0, shift=0.5)
    y, _ = layer.forward(x)
    np.testing.assert_allclose(y, naive_rms_norm(x, axes, layer.scale.value, 1e-3), rtol=1e-6)
    gradcheck.assert_gradients_ok(layer, x, seed=seed)


def test_rms_normalization_on_a_leading_axis_puts_scale_on_it():
    layer = keras.layers.RMSNormalization(axis=1)
    layer.build((None, 3, 4))
    assert layer.scale.shape == (3,) and layer.axis == [1]
    layer.scale.assign([1.0, 2.0, 3.0])
    x = random_array(2, (2, 3, 4))
    np.testing.assert_allclose(layer.forward(x)[0],
                               naive_rms_norm(x, [1], np.array([1.0, 2.0, 3.0]), 1e-6),
                               rtol=1e-6)
    gradcheck.assert_gradients_ok(layer, x)


def test_rms_normalization_config_errors_and_zeros():
    layer = keras.layers.RMSNormalization(epsilon=1e-5)
    assert layer.get_config()["axis"] == -1
    layer.build((None, 4))
    again = keras.layers.RMSNormalization.from_config(layer.get_config())
    assert again.axis == [-1] and again.epsilon == 1e-5
    assert np.all(layer(np.zeros((2, 4))) == 0)               # epsilon keeps 0 / 0 away
    with pytest.raises(ValueError, match=r"axis 3 is out of bounds.*\[-2, 1\]"):
        keras.layers.RMSNormalization(axis=3).build((None, 4))
    with pytest.raises(TypeError, match="int or a list/tuple"):
        keras.layers.RMSNormalization(axis="last")


# ------------------------------------------------------------------------ adaptive pooling
def naive_adaptive_pool(x, output_size, mode):
    """Channels-last reference: loop over output positions, pool each window box."""
    spatial = x.shape[1:-1]
    bins = [adaptive_bins(n, o) for n, o in zip(spatial, output_size)]
    out = np.empty((x.shape[0],) + tuple(output_size) + (x.shape[-1],))
    reduce = np.mean if mode == "Average" else np.max
    for position in itertools.product(*(range(o) for o in output_size)):
        box = tuple(slice(starts[j], stops[j]) for (starts, stops), j in zip(bins, position))
        window = x[(slice(None),) + box + (slice(None),)]
        out[(slice(None),) + position + (slice(None),)] = reduce(
            window.reshape(x.shape[0], -1, x.shape[-1]), axis=1)
    return out


def test_bins_follow_floor_and_ceil():
    assert [list(a) for a in adaptive_bins(10, 4)] == [[0, 2, 5, 7], [3, 5, 8, 10]]
    assert [list(a) for a in adaptive_bins(6, 3)] == [[0, 2, 4], [2, 4, 6]]   # exact tiling
    assert [list(a) for a in adaptive_bins(2, 3)] == [[0, 0, 1], [1, 2, 2]]   # upsampling


@given(mode=st.sampled_from(["Average", "Max"]), rank=st.integers(1, 3),
       first=st.booleans(), data=st.data(), seed=SEEDS)
def test_adaptive_pooling_matches_naive_and_gradients(mode, rank, first, data, seed):
    spatial = tuple(data.draw(st.lists(st.integers(1, 6 if rank < 3 else 4), min_size=rank,
                                       max_size=rank)))
    output_size = tuple(data.draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank)))
    fmt = "channels_first" if first else "channels_last"
    layer = ADAPTIVE[mode, rank](output_size, data_format=fmt)
    x_last = random_array(seed, (2,) + spatial + (2,))
    x = np.moveaxis(x_last, -1, 1) if first else x_last
    y, _ = layer.forward(x)
    expected = naive_adaptive_pool(x_last, output_size, mode)
    np.testing.assert_allclose(np.moveaxis(y, 1, -1) if first else y, expected, rtol=1e-12)
    assert y.shape == layer.compute_output_shape(x.shape)
    gradcheck.assert_gradients_ok(layer, x, seed=seed)


def test_adaptive_max_gradient_goes_to_the_first_maximum_once():
    layer = keras.layers.AdaptiveMaxPooling1D(2)
    x = np.array([[[1.0], [7.0], [7.0], [2.0]]])           # windows [0, 2) and [2, 4)
    y, cache = layer.forward(x)
    np.testing.assert_array_equal(y[0, :, 0], [7.0, 7.0])
    np.testing.assert_array_equal(layer.backward(cache, np.ones_like(y))[0, :, 0],
                                  [0.0, 1.0, 1.0, 0.0])
    overlapping = keras.layers.AdaptiveAveragePooling1D(3)  # 5 -> [0,2) [1,4) [3,5)
    y, cache = overlapping.forward(np.ones((1, 5, 1)))
    np.testing.assert_allclose(overlapping.backward(cache, np.ones_like(y))[0, :, 0],
                               [1 / 2, 1 / 2 + 1 / 3, 1 / 3, 1 / 3 + 1 / 2, 1 / 2])


def test_adaptive_pooling_arguments_follow_keras():
    assert keras.layers.AdaptiveAveragePooling2D(3).output_size == (3, 3)
    assert keras.layers.AdaptiveMaxPooling3D([1, 2, 3]).output_size == (1, 2, 3)
    with pytest.raises(ValueError, match="a tuple of 1 integer"):
        keras.layers.AdaptiveMaxPooling1D((2, 3))
    with pytest.raises(TypeError, match=r"tuple of 2 integers.*got \(1, 2, 3\)"):
        keras.layers.AdaptiveAveragePooling2D((1, 2, 3))
    with pytest.raises(ValueError, match="positive integer"):
        keras.layers.AdaptiveAveragePooling2D((0, 2))
    with pytest.raises(ValueError, match="invalid data_format 'NHWC'"):
        keras.layers.AdaptiveMaxPooling2D(2, data_format="NHWC")
    layer = keras.layers.AdaptiveMaxPooling2D((2, 3), data_format="channels_first")
    config = layer.get_config()
    assert config["output_size"] == (2, 3) and config["data_format"] == "channels_first"
    assert keras.layers.deserialize(keras.layers.serialize(layer)).output_size == (2, 3)


def test_a_model_with_the_new_layers_trains_on_any_image_size():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None, None, 2))
    h = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    h = keras.layers.AdaptiveAveragePooling2D((2, 2))(h)
    h = keras.layers.RMSNormalization()(keras.layers.Flatten()(h))
    outputs = keras.layers.Dense(1)(keras.layers.Identity()(h))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    x, y = random_array(1, (16, 7, 5, 2)), random_array(2, (16, 1))
    history = model.fit(x, y, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert model.predict(random_array(3, (2, 9, 4, 2)), verbose=0).shape == (2, 1)


# ------------------------------------------------------------------------ EinsumDense
EINSUM_CASES = [  # equation, output_shape, bias_axes, input shape
    ("ab,bc->ac", 4, "c", (3, 5)),
    ("abc,cd->abd", (None, 4), "d", (2, 3, 5)),
    ("...x,xy->...y", 4, "y", (2, 3, 5)),
    ("abc,cde->abde", (None, 2, 3), "de", (2, 3, 5)),
    ("abcd,cde->abe", (3, 4), "e", (2, 3, 4, 2)),
    ("ab...,bc->ac...", 4, "c", (2, 5, 3, 2)),
    ("abc,cd->ad", 4, "d", (2, 3, 5)),             # "b" is summed away by the forward
    ("abc,bcd->abd", (3, 4), "bd", (2, 3, 5)),      # "b" meets the kernel without summing
]


@pytest.mark.parametrize("equation, output_shape, bias_axes, shape", EINSUM_CASES)
@given(seed=SEEDS)
def test_einsum_dense_gradients(equation, output_shape, bias_axes, shape, seed):
    layer = keras.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes,
                                     activation="tanh")
    layer.build((None,) + shape[1:])
    for weight in layer.weights:
        weight.assign(random_array(seed + 1, weight.shape))
    gradcheck.assert_gradients_ok(layer, random_array(seed, shape), seed=seed)


def test_einsum_dense_is_dense_for_a_matrix_equation():
    dense = keras.layers.Dense(4, activation="relu")
    einsum = keras.layers.EinsumDense("ab,bc->ac", 4, bias_axes="c", activation="relu")
    x = random_array(0, (3, 5))
    dense.build((None, 5))
    einsum.build((None, 5))
    einsum.set_weights([w + 0.1 for w in dense.get_weights()])
    dense.set_weights(einsum.get_weights())
    np.testing.assert_allclose(einsum(x), dense(x), rtol=1e-6)


def test_einsum_dense_heads_by_explicit_loops():
    layer = keras.layers.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de")
    x = random_array(1, (2, 4, 5))
    y = layer(x)
    kernel, bias = layer.get_weights()
    for b, t, head in itertools.product(range(2), range(4), range(2)):
        np.testing.assert_allclose(y[b, t, head], x[b, t] @ kernel[:, head] + bias[head],
                                   rtol=1e-5)


def test_einsum_dense_shapes_fans_and_errors():
    layer = keras.layers.EinsumDense("abc,cde->abde", (None, 4, 8))
    assert layer.compute_output_shape((None, 7, 16)) == (None, 7, 4, 8)
    layer.build((None, 7, 16))
    assert layer.kernel.shape == (16, 4, 8) and layer.bias is None
    # glorot_uniform over fan_in = 16 (axis c), fan_out = 4 * 8 (axes d, e), as Keras
    limit = np.sqrt(6 / (16 + 32))
    assert np.abs(layer.kernel.value).max() <= limit
    assert np.abs(layer.kernel.value).max() > 0.9 * limit
    with pytest.raises(ValueError, match="Invalid einsum equation 'ab->b'"):
        keras.layers.EinsumDense("ab->b", 3)
    with pytest.raises(ValueError, match="Weight dimension 'z' did not have a match"):
        keras.layers.EinsumDense("ab,bz->ab", (4,)).build((None, 4))
    with pytest.raises(ValueError, match="Bias dimension 'q' was requested"):
        keras.layers.EinsumDense("ab,bc->ac", 3, bias_axes="q").build((None, 4))
    with pytest.raises(ValueError, match="do not match at shared dimension 'b'"):
        keras.layers.EinsumDense("abc,cd->abd", (5, 2)).build((None, 3, 4))
    with pytest.raises(ValueError, match="LoRA and quantization are not implemented"):
        keras.layers.EinsumDense("ab,bc->ac", 3, lora_rank=2)
    config = keras.layers.EinsumDense("...x,xy->...y", 4, bias_axes="y").get_config()
    again = keras.layers.EinsumDense.from_config(config)
    assert again.equation == "...x,xy->...y" and again.partial_output_shape == (4,)
