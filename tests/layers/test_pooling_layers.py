"""Pooling layers: Keras's values (SAME padding, valid-count averages), naive references,
gradient checks over every option, configs, errors and training inside a model."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers import pooling
from kerastutor.layers.pooling import (
    AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D,
    GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
    GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D)
from strategies import DATA_FORMATS, PADDINGS, SEEDS, shapes

WINDOWED = {("max", 1): MaxPooling1D, ("max", 2): MaxPooling2D, ("max", 3): MaxPooling3D,
            ("average", 1): AveragePooling1D, ("average", 2): AveragePooling2D,
            ("average", 3): AveragePooling3D}
GLOBAL = {("max", 1): GlobalMaxPooling1D, ("max", 2): GlobalMaxPooling2D,
          ("max", 3): GlobalMaxPooling3D, ("average", 1): GlobalAveragePooling1D,
          ("average", 2): GlobalAveragePooling2D, ("average", 3): GlobalAveragePooling3D}


def distinct_values(seed, shape):
    """Inputs whose entries all differ by >= 0.1, so every max is unique (no kinks)."""
    size = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(size).reshape(shape) * 0.1 - size * 0.05


def naive_pool(x, pool, strides, padding, mode):
    """Pooling of a channels_last array by loops over output positions (Keras's rule)."""
    spatial = x.shape[1:-1]
    if padding == "same":
        out = [-(-n // s) for n, s in zip(spatial, strides)]
        before = [max((m - 1) * s + k - n, 0) // 2
                  for m, s, k, n in zip(out, strides, pool, spatial)]
    else:
        out = [(n - k) // s + 1 for n, k, s in zip(spatial, pool, strides)]
        before = [0] * len(spatial)
    y = np.zeros((x.shape[0],) + tuple(out) + (x.shape[-1],))
    for i in itertools.product(*(range(m) for m in out)):
        lo = [ii * s - b for ii, s, b in zip(i, strides, before)]
        region = tuple(slice(max(a, 0), min(a + k, n)) for a, k, n in zip(lo, pool, spatial))
        window = x[(slice(None),) + region + (slice(None),)]
        window = window.reshape(x.shape[0], -1, x.shape[-1])   # only real elements
        y[(slice(None),) + i + (slice(None),)] = (window.max(axis=1) if mode == "max"
                                                  else window.mean(axis=1))
    return y


def to_format(x, data_format):
    return np.moveaxis(x, -1, 1) if data_format == "channels_first" else x


# ----------------------------------------------------------------- golden values
def test_average_same_divides_by_the_valid_count_keras_golden():
    ramp = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)
    y = AveragePooling2D(padding="same")(ramp)[0, :, :, 0]
    np.testing.assert_allclose(y[:, -1], [6.5, 16.5, 24.0])
    np.testing.assert_allclose(y[0], [3.0, 5.0, 6.5])
    assert y.dtype == np.float32


def test_max_pooling_same_and_valid_on_the_ramp():
    ramp = np.arange(25, dtype="float32").reshape(1, 5, 5, 1)
    np.testing.assert_allclose(MaxPooling2D(padding="same")(ramp)[0, :, :, 0],
                               [[6, 8, 9], [16, 18, 19], [21, 23, 24]])
    # valid drops the last row and column
    np.testing.assert_allclose(MaxPooling2D()(ramp)[0, :, :, 0], [[6, 8], [16, 18]])


def test_same_padding_puts_the_extra_pad_after():
    x = np.array([1.0, 2.0, 3.0, 4.0], dtype="float32").reshape(1, 4, 1)
    # k=3, s=1: pad_total 2 -> 1 before, 1 after; k=2, s=1: pad only after
    np.testing.assert_allclose(AveragePooling1D(3, strides=1, padding="same")(x)[0, :, 0],
                               [1.5, 2.0, 3.0, 3.5])
    np.testing.assert_allclose(MaxPooling1D(2, strides=1, padding="same")(x)[0, :, 0],
                               [2, 3, 4, 4])


def test_max_pooling_pads_with_minus_infinity():
    x = -np.arange(1.0, 6.0).reshape(1, 5, 1)                     # all negative
    y, _ = MaxPooling1D(2, padding="same").forward(x)
    np.testing.assert_allclose(y[0, :, 0], [-1, -3, -5])         # the pad (0) never wins
    assert y.dtype == np.float64                                   # forward keeps float64


@given(nd=st.integers(1, 3), mode=st.sampled_from(["max", "average"]),
       padding=PADDINGS,
       data_format=DATA_FORMATS,
       pool=shapes(3, 3, max_side=3),
       strides=shapes(3, 3, max_side=3),
       extra=st.lists(st.integers(0, 3), min_size=3, max_size=3),
       seed=SEEDS)
def test_forward_matches_a_naive_loop(nd, mode, padding, data_format, pool, strides, extra,
                                      seed):
    pool, strides = tuple(pool[:nd]), tuple(strides[:nd])
    spatial = tuple(k + e for k, e in zip(pool, extra))
    x = np.random.default_rng(seed).normal(size=(2,) + spatial + (3,))
    layer = WINDOWED[mode, nd](pool, strides=strides, padding=padding,
                               data_format=data_format)
    y, _ = layer.forward(to_format(x, data_format))               # float64 kept
    expected = to_format(naive_pool(x, pool, strides, padding, mode), data_format)
    assert y.shape == expected.shape
    in_shape = (None,) + to_format(x, data_format).shape[1:]
    assert layer.compute_output_shape(in_shape) == (None,) + expected.shape[1:]
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------- gradient checks
@given(nd=st.integers(1, 3), mode=st.sampled_from(["max", "average"]),
       padding=PADDINGS,
       data_format=DATA_FORMATS,
       pool=shapes(3, 3, max_side=3),
       strides=shapes(3, 3, max_side=3),
       extra=st.lists(st.integers(0, 2), min_size=3, max_size=3),
       seed=SEEDS)
def test_windowed_pooling_gradients(nd, mode, padding, data_format, pool, strides, extra,
                                    seed):
    pool, strides = tuple(pool[:nd]), tuple(strides[:nd])
    spatial = tuple(k + e for k, e in zip(pool, extra))
    shape = (2, 2) + spatial if data_format == "channels_first" else (2,) + spatial + (2,)
    layer = WINDOWED[mode, nd](pool, strides=strides, padding=padding,
                               data_format=data_format)
    gradcheck.assert_gradients_ok(layer, distinct_values(seed, shape), seed=seed)


@pytest.mark.parametrize("mode", ["max", "average"])
def test_overlapping_windows_sum_their_gradients(mode):
    # pool 3, stride 1: the middle input belongs to three windows
    layer = WINDOWED[mode, 1](3, strides=1)
    x = np.array([0.0, 1.0, 5.0, 2.0, 3.0]).reshape(1, 5, 1)
    y, cache = layer.forward(x)
    grad = layer.backward(cache, np.ones_like(y))[0, :, 0]
    expected = [0, 0, 3, 0, 0] if mode == "max" else [1 / 3, 2 / 3, 1, 2 / 3, 1 / 3]
    np.testing.assert_allclose(grad, expected)
    gradcheck.assert_gradients_ok(layer, x, seed=0)


def test_max_pooling_ties_send_the_gradient_to_the_first_max():
    layer = MaxPooling2D()
    x = np.ones((1, 2, 4, 1))
    y, cache = layer.forward(x)
    grad = layer.backward(cache, np.full_like(y, 2.0))[0, :, :, 0]
    np.testing.assert_allclose(grad, [[2, 0, 2, 0], [0, 0, 0, 0]])
    assert layer.has_kinks and not AveragePooling2D().has_kinks


def test_average_same_backward_divides_by_the_valid_count():
    layer = AveragePooling1D(2, padding="same")
    x = np.arange(3.0).reshape(1, 3, 1)                           # windows [0,1], [2]
    y, cache = layer.forward(x)
    np.testing.assert_allclose(layer.backward(cache, np.ones_like(y))[0, :, 0],
                               [0.5, 0.5, 1.0])


# ----------------------------------------------------------------- global pooling
@given(nd=st.integers(1, 3), mode=st.sampled_from(["max", "average"]),
       keepdims=st.booleans(),
       data_format=DATA_FORMATS,
       spatial=shapes(3, 3, max_side=3),
       seed=SEEDS)
def test_global_pooling_forward_and_gradients(nd, mode, keepdims, data_format, spatial, seed):
    spatial = tuple(spatial[:nd])
    x_last = distinct_values(seed, (2,) + spatial + (3,))
    x = to_format(x_last, data_format)
    layer = GLOBAL[mode, nd](data_format=data_format, keepdims=keepdims)
    y, _ = layer.forward(x)
    # naive reference: flatten the spatial axes of the channels_last array
    flat = x_last.reshape(2, -1, 3)
    expected = flat.max(axis=1) if mode == "max" else flat.mean(axis=1)
    if keepdims:
        expected = to_format(expected.reshape((2,) + (1,) * nd + (3,)), data_format)
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + expected.shape[1:]
    gradcheck.assert_gradients_ok(layer, x, seed=seed)


def test_global_max_ties_share_the_gradient_as_keras_ops_max_does():
    layer = GlobalMaxPooling1D()
    x = np.array([[[1.0, 7.0], [3.0, 7.0], [3.0, 2.0]]])          # (1, 3, 2)
    y, cache = layer.forward(x)
    np.testing.assert_allclose(y, [[3.0, 7.0]])
    np.testing.assert_allclose(layer.backward(cache, np.array([[10.0, 20.0]])),
                               [[[0, 10], [5, 10], [5, 0]]])


# ------------------------------------------------------------- configs, errors
ALL_CLASSES = list(WINDOWED.values()) + list(GLOBAL.values())


@pytest.mark.parametrize("cls", ALL_CLASSES)
def test_config_round_trip(cls):
    nd = int(cls.__name__[-2])
    x = np.random.default_rng(0).normal(size=(2, 3) + (4,) * nd).astype("float32")
    if cls in WINDOWED.values():
        layer = cls(pool_size=(2,) * nd, strides=(1,) * nd, padding="same",
                    data_format="channels_first")
        config = layer.get_config()
        assert config["pool_size"] == (2,) * nd and config["strides"] == (1,) * nd
        assert config["padding"] == "same"
    else:
        layer = cls(data_format="channels_first", keepdims=True)
        assert layer.get_config()["keepdims"] is True
    clone = cls.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    np.testing.assert_allclose(clone(x), layer(x))


def test_defaults_follow_keras():
    layer = MaxPooling2D()
    assert layer.pool_size == (2, 2) and layer.strides == (2, 2)
    assert layer.padding == "valid" and layer.data_format == "channels_last"
    assert MaxPooling1D(3).strides == (3,) and MaxPooling3D().pool_size == (2, 2, 2)
    assert AveragePooling2D(3, strides=1).strides == (1, 1)
    assert GlobalAveragePooling2D().keepdims is False
    assert MaxPooling2D().count_params() == 0


def test_keras_aliases():
    assert pooling.MaxPool1D is MaxPooling1D and pooling.MaxPool2D is MaxPooling2D
    assert pooling.MaxPool3D is MaxPooling3D and pooling.AvgPool2D is AveragePooling2D
    assert pooling.AvgPool1D is AveragePooling1D and pooling.AvgPool3D is AveragePooling3D
    assert pooling.GlobalMaxPool2D is GlobalMaxPooling2D
    assert pooling.GlobalAvgPool1D is GlobalAveragePooling1D
    assert pooling.GlobalAvgPool3D is GlobalAveragePooling3D
    assert pooling.GlobalMaxPool3D is GlobalMaxPooling3D
    assert pooling.GlobalMaxPool1D is GlobalMaxPooling1D
    assert pooling.GlobalAvgPool2D is GlobalAveragePooling2D
    # the short names are what a Keras user writes: they reach the same layers
    x = np.arange(24, dtype="float32").reshape(1, 2, 3, 4)
    np.testing.assert_array_equal(keras.layers.GlobalAvgPool2D()(x), x.mean(axis=(1, 2)))
    np.testing.assert_array_equal(keras.layers.GlobalMaxPool1D()(x[:, 0]), x[:, 0].max(1))


def test_kind_errors():
    with pytest.raises(ValueError, match="padding"):
        MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="data_format"):
        AveragePooling1D(data_format="NHWC")
    with pytest.raises(ValueError, match="pool_size.*2"):
        MaxPooling2D(pool_size=(2, 2, 2))
    with pytest.raises(ValueError, match="strides"):
        MaxPooling1D(strides=0)
    with pytest.raises(ValueError, match="smaller than the pooling window"):
        MaxPooling2D((3, 3))(np.zeros((1, 2, 5, 1), "float32"))
    with pytest.raises(ValueError, match="expected ndim=4"):
        MaxPooling2D()(np.zeros((1, 4, 4), "float32"))
    with pytest.raises(ValueError, match="Unrecognized keyword"):
        MaxPooling2D(pool=(2, 2))


def test_padding_is_case_insensitive_and_dtype_kept():
    layer = AveragePooling2D(padding="SAME")
    assert layer.padding == "same"
    assert layer(np.ones((1, 3, 3, 1), "float32")).dtype == np.float32
    assert layer.forward(np.ones((1, 3, 3, 1)))[0].dtype == np.float64
    assert layer.forward(np.ones((1, 3, 3, 1), "float32"))[0].dtype == np.float32


# ------------------------------------------------------------------ in a model
def test_pooling_in_sequential_and_functional_models_trains():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 6, 6, 2)).astype("float32")
    y = (x.max(axis=(1, 2)).sum(axis=1, keepdims=True) > 2.5).astype("float32")
    model = keras.Sequential([keras.Input((6, 6, 2)), MaxPooling2D(),
                              AveragePooling2D((2, 2), strides=1, padding="same"),
                              GlobalMaxPooling2D(), keras.layers.Dense(1)])
    assert model.output_shape == (None, 1)
    model.compile(keras.optimizers.SGD(0.05), "mse")
    history = model.fit(x, y, batch_size=4, epochs=4, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]

    inputs = keras.Input((8, 3))
    h = MaxPooling1D(2, padding="same")(inputs)
    assert h.shape == (None, 4, 3)
    outputs = keras.layers.Dense(1)(GlobalAveragePooling1D()(h))
    functional = keras.Model(inputs, outputs)
    functional.compile(keras.optimizers.SGD(0.05), "mse")
    xs = rng.normal(size=(8, 8, 3)).astype("float32")
    history = functional.fit(xs, xs.mean(axis=(1, 2))[:, None], epochs=3, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


# ------------------------------------------------------------------ masks
class MaskedCall(keras.layers.Layer):
    """``layer`` called with a fixed ``mask``, so gradient checks see forward(x, training)."""

    def __init__(self, layer, mask):
        super().__init__(name=f"{layer.name}_masked")
        self.layer, self.mask = layer, mask
        self.built = True

    def forward(self, x, training=False):
        return self.layer.forward(x, training, mask=self.mask)

    def backward(self, cache, grad_out):
        return self.layer.backward(cache, grad_out)


def masked_mean_reference(x, mask):
    """The mean over the real steps, one sample at a time (channels_last)."""
    return np.stack([x[n][mask[n]].mean(axis=0) for n in range(len(x))])


def random_mask(rng, batch, steps):
    mask = rng.random((batch, steps)) < 0.6
    mask[np.arange(batch), rng.integers(0, steps, batch)] = True   # one real step each
    return mask


def test_global_average_pooling1d_averages_only_the_real_steps():
    x = np.arange(24, dtype="float32").reshape(2, 4, 3)
    mask = np.array([[True, True, False, False], [True, False, True, True]])
    y = GlobalAveragePooling1D()(x, mask=mask)
    np.testing.assert_allclose(y, [[1.5, 2.5, 3.5], [17.0, 18.0, 19.0]])
    np.testing.assert_allclose(y, masked_mean_reference(x, mask))
    kept = GlobalAveragePooling1D(keepdims=True)(x, mask=mask.astype("float32"))
    np.testing.assert_allclose(kept, y[:, None, :])
    first = GlobalAveragePooling1D(data_format="channels_first")
    np.testing.assert_allclose(first(np.moveaxis(x, 1, 2), mask=mask), y)
    np.testing.assert_allclose(GlobalAveragePooling1D()(x, mask=np.ones((2, 4), bool)),
                               x.mean(axis=1))
    assert GlobalAveragePooling1D().compute_mask(x, mask) is None   # the time axis is gone


def test_global_average_pooling1d_masked_backward_spreads_over_real_steps():
    x = np.arange(24, dtype="float64").reshape(2, 4, 3)
    mask = np.array([[True, True, False, False], [True, False, True, True]])
    layer = GlobalAveragePooling1D()
    _, cache = layer.forward(x, mask=mask)
    g = np.arange(6, dtype="float64").reshape(2, 3)
    expected = mask[:, :, None] / mask.sum(axis=1)[:, None, None] * g[:, None, :]
    np.testing.assert_allclose(layer.backward(cache, g), expected)


def test_global_average_pooling1d_mask_errors_and_empty_rows():
    layer = GlobalAveragePooling1D()
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, steps\)"):
        layer(np.ones((2, 4, 3)), mask=np.ones((2, 3), bool))
    y = layer(np.ones((2, 4, 3)), mask=np.array([[True] * 4, [False] * 4]))
    assert np.isfinite(y[0]).all() and np.isnan(y[1]).all()      # 0/0, as in Keras


@settings(max_examples=15, deadline=None)
@given(seed=SEEDS, batch=st.integers(1, 3), steps=st.integers(1, 5),
       data_format=DATA_FORMATS, keepdims=st.booleans())
def test_global_average_pooling1d_masked_gradients(seed, batch, steps, data_format, keepdims):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, steps, 2))
    mask = random_mask(rng, batch, steps)
    layer = GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)
    x_in = to_format(x, data_format)
    np.testing.assert_allclose(np.reshape(layer.forward(x_in, mask=mask)[0], (batch, 2)),
                               masked_mean_reference(x, mask), rtol=1e-12)
    gradcheck.assert_gradients_ok(MaskedCall(layer, mask), x_in, seed=seed)
    gradcheck.assert_backward_repeatable(MaskedCall(layer, mask), x_in, seed=seed)


def test_text_classifier_averages_embeddings_of_the_real_tokens_only():
    """Embedding(mask_zero=True) -> GlobalAveragePooling1D -> Dense: the padding
    (token 0) is left out of the mean, in predict and in the gradient of fit."""
    tokens = np.array([[3, 1, 0, 0], [2, 0, 0, 0], [1, 2, 3, 4]])
    inputs = keras.Input((4,), dtype="int32")
    embed = keras.layers.Embedding(5, 3, mask_zero=True)
    pooled = GlobalAveragePooling1D()(embed(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(pooled))
    table = embed.embeddings.value
    expected = masked_mean_reference(table[tokens], tokens != 0)
    features = keras.Model(inputs, pooled).predict(tokens, verbose=0)
    np.testing.assert_allclose(features, expected, rtol=1e-6)
    _, tape = model.forward(tokens)
    assert all(m is None for m in (getattr(tape, "output_masks", None) or [None]))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = table.copy()
    model.fit(tokens, np.ones((3, 1), "float32"), epochs=1, batch_size=3, verbose=0)
    np.testing.assert_array_equal(embed.embeddings.value[0], before[0])  # padding untouched
