"""Reshaping layers: padding, cropping, upsampling, RepeatVector, Permute."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, Permute,
                                         RepeatVector, UpSampling1D, UpSampling2D,
                                         UpSampling3D, ZeroPadding1D, ZeroPadding2D,
                                         ZeroPadding3D)
from helpers import random_array
from strategies import DATA_FORMATS, SEEDS, shapes

PAD = {1: ZeroPadding1D, 2: ZeroPadding2D, 3: ZeroPadding3D}
CROP = {1: Cropping1D, 2: Cropping2D, 3: Cropping3D}
UP = {1: UpSampling1D, 2: UpSampling2D, 3: UpSampling3D}


def _spatial(rank, data_format):
    return list(range(2, 2 + rank)) if data_format == "channels_first" else \
        list(range(1, 1 + rank))


def _round_trip(layer):
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    return clone


def _check(layer, x):
    gradcheck.assert_gradients_ok(layer, x)


# ------------------------------------------------------------------ naive references
def naive_pad(x, pairs, axes):
    shape = list(x.shape)
    for axis, (b, a) in zip(axes, pairs):
        shape[axis] += b + a
    y = np.zeros(shape)
    for index in np.ndindex(*x.shape):
        out = list(index)
        for axis, (b, _) in zip(axes, pairs):
            out[axis] += b
        y[tuple(out)] = x[index]
    return y


def naive_crop(x, pairs, axes):
    shape = list(x.shape)
    for axis, (b, a) in zip(axes, pairs):
        shape[axis] -= b + a
    y = np.zeros(shape)
    for index in np.ndindex(*shape):
        src = list(index)
        for axis, (b, _) in zip(axes, pairs):
            src[axis] += b
        y[index] = x[tuple(src)]
    return y


def naive_upsample(x, sizes, axes):
    shape = list(x.shape)
    for axis, s in zip(axes, sizes):
        shape[axis] *= s
    y = np.zeros(shape)
    for index in np.ndindex(*shape):
        src = list(index)
        for axis, s in zip(axes, sizes):
            src[axis] //= s
        y[index] = x[tuple(src)]
    return y


# ------------------------------------------------------------------ hand-computed cases
def test_zero_padding1d_by_hand():
    x = np.array([[[1.0], [2.0]]])
    y = ZeroPadding1D((1, 2))(x)
    np.testing.assert_array_equal(y[0, :, 0], [0, 1, 2, 0, 0])


def test_cropping2d_by_hand():
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    y = Cropping2D(((1, 0), (0, 2)))(x)
    np.testing.assert_array_equal(y[0, :, :, 0], [[4, 5], [8, 9], [12, 13]])


def test_upsampling2d_by_hand():
    x = np.array([[[[1.0], [2.0]]]])                 # (1, 1, 2, 1)
    y = UpSampling2D((2, 2))(x)
    np.testing.assert_array_equal(y[0, :, :, 0], [[1, 1, 2, 2], [1, 1, 2, 2]])


def test_repeat_vector_and_permute_by_hand():
    x = np.array([[1.0, 2.0]])
    np.testing.assert_array_equal(RepeatVector(3)(x)[0], [[1, 2]] * 3)
    z = np.arange(6, dtype="float32").reshape(1, 2, 3)
    np.testing.assert_array_equal(Permute((2, 1))(z)[0], z[0].T)


def test_float32_default_and_float64_preserved():
    x32 = np.ones((2, 3, 2), dtype="float32")
    assert ZeroPadding1D()(x32).dtype == np.float32
    layer = UpSampling1D(2)
    y, _ = layer.forward(np.ones((2, 3, 2)))
    assert y.dtype == np.float64


# ------------------------------------------------------------------ properties
@given(rank=st.integers(1, 3), data_format=DATA_FORMATS, seed=SEEDS,
       form=st.sampled_from(["int", "ints", "pairs"]), p=st.lists(st.integers(0, 2), min_size=6,
                                                                  max_size=6))
def test_zero_padding_matches_naive(rank, data_format, seed, form, p):
    if rank == 1:
        padding = p[0] if form == "int" else (p[0], p[1])
        pairs = [(p[0], p[0])] if form == "int" else [(p[0], p[1])]
        kwargs = {"data_format": data_format}
    elif form == "int":
        padding, pairs = p[0], [(p[0], p[0])] * rank
        kwargs = {"data_format": data_format}
    elif form == "ints":
        padding, pairs = tuple(p[:rank]), [(v, v) for v in p[:rank]]
        kwargs = {"data_format": data_format}
    else:
        pairs = [(p[2 * i], p[2 * i + 1]) for i in range(rank)]
        padding = tuple(pairs)
        kwargs = {"data_format": data_format}
    layer = PAD[rank](padding, **kwargs)
    x = random_array(seed, (2,) + (2,) * (rank + 1))
    axes = _spatial(rank, data_format)
    y, _ = layer.forward(x)
    np.testing.assert_array_equal(y, naive_pad(x, pairs, axes))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + y.shape[1:]
    _check(layer, x)
    _round_trip(layer)


@given(rank=st.integers(1, 3), data_format=DATA_FORMATS, seed=SEEDS,
       c=st.lists(st.integers(0, 1), min_size=6, max_size=6), form=st.sampled_from(["int",
                                                                                    "pairs"]))
def test_cropping_matches_naive(rank, data_format, seed, c, form):
    if form == "int":
        cropping, pairs = c[0], [(c[0], c[0])] * rank
    else:
        pairs = [(c[2 * i], c[2 * i + 1]) for i in range(rank)]
        cropping = pairs[0] if rank == 1 else tuple(pairs)
    kwargs = {} if rank == 1 else {"data_format": data_format}
    if rank == 1:
        data_format = "channels_last"
    layer = CROP[rank](cropping, **kwargs)
    x = random_array(seed, (2,) + (3,) * (rank + 1))
    axes = _spatial(rank, data_format)
    y, _ = layer.forward(x)
    np.testing.assert_array_equal(y, naive_crop(x, pairs, axes))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + y.shape[1:]
    _check(layer, x)
    _round_trip(layer)


@given(rank=st.integers(1, 3), data_format=DATA_FORMATS, seed=SEEDS,
       s=shapes(3, 3, max_side=3))
def test_upsampling_matches_naive(rank, data_format, seed, s):
    if rank == 1:
        layer, sizes, data_format = UpSampling1D(s[0]), [s[0]], "channels_last"
    else:
        layer = UP[rank](tuple(s[:rank]), data_format=data_format)
        sizes = s[:rank]
    x = random_array(seed, (2,) + (2,) * (rank + 1))
    y, _ = layer.forward(x)
    np.testing.assert_array_equal(y, naive_upsample(x, sizes, _spatial(rank, data_format)))
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + y.shape[1:]
    _check(layer, x)
    _round_trip(layer)


@given(n=st.integers(1, 4), features=st.integers(1, 3), seed=SEEDS)
def test_repeat_vector(n, features, seed):
    layer = RepeatVector(n)
    x = random_array(seed, (2, features))
    y, _ = layer.forward(x)
    for t in range(n):
        np.testing.assert_array_equal(y[:, t, :], x)
    assert layer.compute_output_shape((None, features)) == (None, n, features)
    _check(layer, x)
    _round_trip(layer)


@given(perm=st.permutations([1, 2, 3]), seed=SEEDS)
def test_permute(perm, seed):
    layer = Permute(tuple(perm))
    x = random_array(seed, (2, 2, 3, 4))
    y, _ = layer.forward(x)
    for index in np.ndindex(*y.shape):
        src = [index[0], 0, 0, 0]
        for m, d in enumerate(perm):
            src[d] = index[m + 1]
        assert y[index] == x[tuple(src)]
    assert layer.compute_output_shape((None, 2, 3, 4)) == y.shape[:0] + (None,) + y.shape[1:]
    _check(layer, x)
    _round_trip(layer)


# ------------------------------------------------------------------ errors
def test_errors_are_kind():
    with pytest.raises(ValueError, match="Cropping1D"):
        Cropping1D((2, 2))(np.ones((1, 3, 1)))
    with pytest.raises(ValueError, match="padding"):
        ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="data_format"):
        ZeroPadding2D(data_format="nhwc")
    with pytest.raises(ValueError, match="permutation"):
        Permute((1, 3))
    with pytest.raises(ValueError, match="positive"):
        RepeatVector(0)
    with pytest.raises(ValueError, match="ndim=4"):
        UpSampling2D()(np.ones((1, 2, 2)))


def test_keras_config_keys():
    assert ZeroPadding2D(2).get_config()["padding"] == ((2, 2), (2, 2))
    assert ZeroPadding1D().get_config()["padding"] == (1, 1)
    assert Cropping1D().get_config()["cropping"] == (1, 1)
    assert "data_format" not in Cropping1D().get_config()
    assert UpSampling1D().get_config()["size"] == 2
    config = UpSampling2D().get_config()
    assert config["size"] == (2, 2) and config["interpolation"] == "nearest"
    assert Permute((2, 1)).get_config()["dims"] == (2, 1)


# ------------------------------------------------------------------ in a model
def test_in_sequential_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4, 4, 1)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = keras.Sequential([
        keras.Input(shape=(4, 4, 1)),
        ZeroPadding2D(1),
        Cropping2D(((1, 0), (0, 1))),
        UpSampling2D((1, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(3),
        RepeatVector(2),
        Permute((2, 1)),
        keras.layers.Flatten(),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.predict(x, verbose=0).shape == (16, 1)


def test_model_gradcheck_through_reshaping():
    inputs = keras.Input(shape=(3, 2))
    h = ZeroPadding1D((1, 0))(inputs)
    h = UpSampling1D(2)(h)
    h = Cropping1D((1, 2))(h)
    outputs = keras.layers.Dense(2)(keras.layers.Flatten()(h))
    model = keras.Model(inputs, outputs)
    gradcheck.assert_gradients_ok(model, random_array(0, (2, 3, 2)))


# ------------------------------------------------------------- bilinear upsampling
def test_upsampling2d_bilinear_by_hand():
    """Half-pixel centres: output 0 sits at input -0.25 (clipped to 0), output 1 at 0.25."""
    x = np.array([0.0, 4.0, 8.0], dtype="float32").reshape(1, 3, 1, 1)
    y = UpSampling2D(size=(2, 1), interpolation="bilinear")(x)
    np.testing.assert_allclose(y.ravel(), [0, 1, 3, 5, 7, 8])


@given(seed=SEEDS, sh=st.integers(1, 3), sw=st.integers(1, 3),
       data_format=DATA_FORMATS)
def test_upsampling2d_bilinear_gradients(seed, sh, sw, data_format):
    layer = UpSampling2D(size=(sh, sw), interpolation="bilinear", data_format=data_format)
    gradcheck.assert_gradients_ok(layer, np.random.default_rng(seed).normal(size=(2, 3, 2, 2)))


def test_upsampling2d_unknown_interpolation_is_named():
    with pytest.raises(NotImplementedError, match="'bicubic' is not implemented"):
        UpSampling2D(interpolation="bicubic")
