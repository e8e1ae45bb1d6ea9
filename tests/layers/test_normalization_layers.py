"""Normalization layers: Keras's values, naive references, gradient checks, configs, fit."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.core import Dense
from kerastutor.layers.normalization import (BatchNormalization, GroupNormalization,
                                             LayerNormalization, UnitNormalization)
from helpers import random_array
from strategies import SEEDS



def randomize_affine(layer, seed):
    """Non-trivial gamma and beta, so their gradients and roles show in the checks."""
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        if weight.name in ("gamma", "beta"):
            weight.assign(rng.normal(size=weight.shape) + (1.0 if weight.name == "gamma" else 0))


def naive_moments(x, keep):
    """Mean and biased variance over every axis not in ``keep``, by explicit loops."""
    shape_kept = tuple(x.shape[a] for a in keep)
    mean = np.zeros(x.shape)
    var = np.zeros(x.shape)
    for kept_index in np.ndindex(*shape_kept):
        sel = [slice(None)] * x.ndim
        for a, i in zip(keep, kept_index):
            sel[a] = i
        values = x[tuple(sel)].ravel()
        m = sum(values) / len(values)
        v = sum((values - m) ** 2) / len(values)
        mean[tuple(sel)] = m
        var[tuple(sel)] = v
    return mean, var


def bcast(w, axes, ndim):
    shape = [1] * ndim
    for a, d in zip(axes, w.shape):
        shape[a] = d
    return w.reshape(shape)


# ------------------------------------------------------------ BatchNormalization
def test_batchnorm_golden_training_step():
    bn = BatchNormalization()
    x = np.array([[1, 2], [3, 6], [5, 10]], dtype="float32")
    y = bn(x, training=True)
    np.testing.assert_allclose(y[:, 0], [-1.2245152, 0, 1.2245154], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(bn.moving_mean.value, [0.03, 0.06], rtol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.value, [1.0166667, 1.0966667], rtol=1e-6)
    assert y.dtype == np.float32


def test_batchnorm_weights_in_keras_order():
    bn = BatchNormalization()
    bn.build((None, 5))
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]
    assert bn.count_params() == 20
    bn2 = BatchNormalization(center=False, scale=False)
    bn2.build((None, 5))
    assert [w.name for w in bn2.weights] == ["moving_mean", "moving_variance"]


def test_batchnorm_inference_uses_moving_stats_and_leaves_them():
    bn = BatchNormalization(epsilon=0.0)
    bn.build((None, 2))
    bn.set_weights([np.array([2.0, 1.0]), np.array([0.5, 0.0]),
                    np.array([1.0, -1.0]), np.array([4.0, 0.25])])
    x = np.array([[3.0, 0.0]], dtype="float32")
    np.testing.assert_allclose(bn(x, training=False), [[2 * (3 - 1) / 2 + 0.5, 2.0]])
    np.testing.assert_allclose(bn.moving_mean.value, [1.0, -1.0])


def test_batchnorm_trainable_false_forces_inference():
    bn = BatchNormalization()
    x = random_array(0, (6, 3), shift=5).astype("float32")
    bn.build((None, 3))
    bn.trainable = False
    y = bn(x, training=True)
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3), rtol=1e-6)
    assert not bn.moving_mean.value.any()


def test_batchnorm_moving_stats_converge():
    bn = BatchNormalization(momentum=0.5)
    x = random_array(1, (64, 3), scale=2.0, shift=3.0)
    for _ in range(40):
        bn(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.value, x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.value, x.var(0), rtol=1e-5)


@given(rank=st.integers(2, 4), axis_pick=st.integers(0, 3), batch=st.integers(2, 4),
       center=st.booleans(), scale=st.booleans(), training=st.booleans(),
       seed=SEEDS)
def test_batchnorm_matches_naive_and_gradients(rank, axis_pick, batch, center, scale,
                                               training, seed):
    axis = [-1, 1, -2, 2][axis_pick] if rank > 2 else [-1, 1, 1, -1][axis_pick]
    shape = (batch,) + tuple(int(d) for d in np.random.default_rng(seed).integers(2, 4, rank - 1))
    x = random_array(seed, shape, scale=2.0, shift=1.0)
    bn = BatchNormalization(axis=axis, center=center, scale=scale, momentum=0.9)
    bn.build((None,) + shape[1:])
    randomize_affine(bn, seed)
    mm = random_array(seed + 1, bn.moving_mean.shape)
    mv = np.abs(random_array(seed + 2, bn.moving_variance.shape)) + 0.5
    bn.moving_mean.assign(mm)
    bn.moving_variance.assign(mv)
    a = axis % rank
    y, _ = bn.forward(x, training=training)
    if training:
        mean, var = naive_moments(x, keep=[a])
    else:
        mean, var = bcast(mm, [a], rank), bcast(mv, [a], rank)
    ref = (x - mean) / np.sqrt(var + 1e-3)
    if scale:
        ref = ref * bcast(bn.gamma.value, [a], rank)
    if center:
        ref = ref + bcast(bn.beta.value, [a], rank)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    if training:
        reduce = tuple(i for i in range(rank) if i != a)
        np.testing.assert_allclose(bn.moving_mean.value,
                                   0.9 * mm + 0.1 * x.mean(axis=reduce), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(bn.moving_variance.value,
                                   0.9 * mv + 0.1 * x.var(axis=reduce), rtol=1e-5, atol=1e-6)
    gradcheck.assert_gradients_ok(bn, x, training=training, seed=seed)


def test_batchnorm_float64_is_preserved():
    bn = BatchNormalization()
    y, _ = bn.forward(np.ones((2, 3)), training=True) if bn.built else (None, None)
    bn.build((None, 3))
    y, _ = bn.forward(random_array(0, (4, 3)), training=True)
    assert y.dtype == np.float64


def test_batchnorm_bad_axis_is_a_kind_error():
    bn = BatchNormalization(axis=3)
    with pytest.raises(ValueError, match=r"batch_normalization.*axis 3.*Hint"):
        bn(np.ones((2, 4), "float32"))
    with pytest.raises(NotImplementedError, match="renorm"):
        BatchNormalization(renorm=True)


# ------------------------------------------------------------ LayerNormalization
def test_layernorm_hand_computed():
    ln = LayerNormalization(epsilon=0.0)
    y = ln(np.array([[1.0, 3.0], [0.0, 4.0]], dtype="float32"))
    np.testing.assert_allclose(y, [[-1, 1], [-1, 1]], rtol=1e-6)


@given(rank=st.integers(2, 4), multi=st.booleans(), center=st.booleans(),
       scale=st.booleans(), rms=st.booleans(), training=st.booleans(),
       seed=SEEDS)
def test_layernorm_matches_naive_and_gradients(rank, multi, center, scale, rms, training,
                                               seed):
    shape = (3,) + tuple(int(d) for d in np.random.default_rng(seed).integers(2, 4, rank - 1))
    axis = list(range(1, rank)) if multi else -1
    axes = list(range(1, rank)) if multi else [rank - 1]
    x = random_array(seed, shape, scale=2.0, shift=1.0)
    ln = LayerNormalization(axis=axis, center=center, scale=scale, rms_scaling=rms)
    ln.build((None,) + shape[1:])
    randomize_affine(ln, seed)
    y, _ = ln.forward(x, training=training)
    mean, var = naive_moments(x, keep=[i for i in range(rank) if i not in axes])
    if rms:                                    # Keras: x / sqrt(var + eps) * gamma, no beta
        assert ln.beta is None
        ref = x / np.sqrt(var + 1e-3) * bcast(ln.gamma.value, axes, rank)
    else:
        ref = (x - mean) / np.sqrt(var + 1e-3)
        if scale:
            ref = ref * bcast(ln.gamma.value, axes, rank)
        if center:
            ref = ref + bcast(ln.beta.value, axes, rank)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    gradcheck.assert_gradients_ok(ln, x, training=training, seed=seed)


def test_layernorm_middle_axis_weights_shape():
    ln = LayerNormalization(axis=[2, 1])
    ln.build((None, 3, 4, 5))
    assert ln.gamma.shape == (3, 4)
    gradcheck.assert_gradients_ok(ln, random_array(0, (2, 3, 4, 5)))


# ------------------------------------------------------------ GroupNormalization
@given(rank=st.integers(2, 4), groups=st.sampled_from([1, 2, -1]), per_group=st.integers(1, 3),
       channels_first=st.booleans(), center=st.booleans(), scale=st.booleans(),
       seed=SEEDS)
def test_groupnorm_matches_naive_and_gradients(rank, groups, per_group, channels_first, center,
                                               scale, seed):
    n_groups = 2 if groups == -1 else groups
    channels = n_groups * (1 if groups == -1 else per_group)
    spatial = tuple(int(d) for d in np.random.default_rng(seed).integers(2, 4, rank - 2))
    shape = (2, channels) + spatial if channels_first else (2,) + spatial + (channels,)
    axis = 1 if channels_first else -1
    x = random_array(seed, shape, scale=2.0, shift=1.0)
    gn = GroupNormalization(groups=groups, axis=axis, center=center, scale=scale)
    gn.build((None,) + shape[1:])
    randomize_affine(gn, seed)
    y, _ = gn.forward(x, training=False)
    a = axis % rank
    ref = np.zeros_like(x)
    size = channels // gn.groups
    for n in range(shape[0]):
        for k in range(gn.groups):
            sel = [n] + [slice(None)] * (rank - 1)
            sel[a] = slice(k * size, (k + 1) * size)
            part = x[tuple(sel)]
            ref[tuple(sel)] = (part - part.mean()) / np.sqrt(part.var() + 1e-3)
    if scale:
        ref = ref * bcast(gn.gamma.value, [a], rank)
    if center:
        ref = ref + bcast(gn.beta.value, [a], rank)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    for training in (False, True):
        gradcheck.assert_gradients_ok(gn, x, training=training, seed=seed)


def test_groupnorm_bad_groups_is_a_kind_error():
    with pytest.raises(ValueError, match="groups"):
        GroupNormalization(groups=0)
    gn = GroupNormalization(groups=3)
    with pytest.raises(ValueError, match=r"group_normalization.*4 channels.*Hint"):
        gn(np.ones((2, 4), "float32"))


def test_groupnorm_minus_one_is_instance_norm():
    gn = GroupNormalization(groups=-1)
    gn.build((None, 5, 3))
    assert gn.groups == 3
    assert gn.get_config()["groups"] == 3


# ------------------------------------------------------------ UnitNormalization
def test_unitnorm_hand_computed_and_zero_vector():
    un = UnitNormalization()
    y = un(np.array([[3.0, 4.0], [0.0, 0.0]], dtype="float32"))
    np.testing.assert_allclose(y, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    tiny = un(np.array([[1e-14, 0.0]]))       # norm below 1e-12: times 1e12, as Keras
    np.testing.assert_allclose(tiny, [[1e-2, 0.0]])


@given(rank=st.integers(2, 4), multi=st.booleans(), training=st.booleans(),
       seed=SEEDS)
def test_unitnorm_matches_naive_and_gradients(rank, multi, training, seed):
    shape = (3,) + tuple(int(d) for d in np.random.default_rng(seed).integers(2, 4, rank - 1))
    axis = list(range(1, rank)) if multi else -1
    x = random_array(seed, shape)
    un = UnitNormalization(axis=axis)
    un.build((None,) + shape[1:])
    y, _ = un.forward(x, training=training)
    axes = tuple(range(1, rank)) if multi else (rank - 1,)
    norms = np.sqrt(np.sum(x ** 2, axis=axes, keepdims=True))
    np.testing.assert_allclose(y, x / norms, rtol=1e-6)
    gradcheck.assert_gradients_ok(un, x, training=training, seed=seed)


def test_unitnorm_gradient_where_clamped():
    un = UnitNormalization()
    un.build((None, 3))
    x = np.array([[1e-14, -2e-14, 0.0], [1.0, 2.0, -2.0]])
    y, cache = un.forward(x)
    dx = un.backward(cache, np.ones_like(x))
    np.testing.assert_allclose(dx[0], [1e12] * 3)


# ------------------------------------------------------------ configs and models
@pytest.mark.parametrize("layer", [
    BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False,
                       gamma_initializer="zeros", gamma_regularizer="l2"),
    LayerNormalization(axis=[1, 2], epsilon=1e-6, scale=False, beta_constraint="non_neg"),
    LayerNormalization(rms_scaling=True),
    GroupNormalization(groups=4, axis=1, epsilon=1e-4),
    UnitNormalization(axis=[1, 2]),
], ids=lambda layer: type(layer).__name__)
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    x = random_array(0, (2, 4, 4, 4))
    layer.build((None, 4, 4, 4))
    clone.build((None, 4, 4, 4))
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone.forward(x)[0], layer.forward(x)[0])


def test_batchnorm_config_keys_follow_keras():
    config = BatchNormalization().get_config()
    for key in ["axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
                "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
                "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
                "synchronized", "renorm", "renorm_clipping", "renorm_momentum"]:
        assert key in config
    assert config["momentum"] == 0.99 and config["epsilon"] == 0.001


def test_batchnorm_in_sequential_fit_learns_and_updates_moving_stats():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(64, 4)) * 5 + 10).astype("float32")
    w = rng.normal(size=(4, 1)).astype("float32")
    y = (x - 10) @ w
    model = keras.Sequential([keras.Input((4,)), BatchNormalization(), Dense(1)])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.2 * losses[0]
    bn = model.layers[0]
    assert np.all(np.abs(bn.moving_mean.value) > 1.0)          # moved towards ~10
    assert len(model.trainable_weights) == 4


def test_layer_and_unit_norm_in_functional_model():
    inputs = keras.Input((3, 4))
    h = LayerNormalization()(inputs)
    h = GroupNormalization(groups=2)(h)
    outputs = UnitNormalization()(h)
    model = keras.Model(inputs, outputs)
    out = model.predict(random_array(0, (5, 3, 4)).astype("float32"), verbose=0)
    assert out.shape == (5, 3, 4)
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1.0, rtol=1e-5)


# ------------------------------------------------- BatchNormalization with a mask
class _MaskedBatchNorm(keras.layers.Layer):
    """BatchNormalization with a fixed time-step mask, for the gradient checker."""

    def __init__(self, mask, **kwargs):
        super().__init__()
        self.bn = BatchNormalization(**kwargs)
        self.fixed_mask = mask

    def build(self, input_shape):
        self.bn.build(input_shape)

    def forward(self, x, training=False):
        return self.bn.forward(x, training=training, mask=self.fixed_mask)

    def backward(self, cache, grad_out):
        return self.bn.backward(cache, grad_out)


@given(seed=SEEDS, center=st.booleans(), scale=st.booleans())
def test_masked_batchnorm_gradients(seed, center, scale):
    rng = np.random.default_rng(seed)
    mask = rng.random((3, 5)) < 0.7
    mask[:, 0] = True                                  # at least one kept step per sample
    layer = _MaskedBatchNorm(mask, center=center, scale=scale)
    gradcheck.assert_gradients_ok(layer, random_array(seed, (3, 5, 4), scale=2.0),
                                  training=True, seed=seed)


def test_masked_batchnorm_uses_only_kept_steps_for_its_statistics():
    x = random_array(3, (2, 4, 3), scale=2.0, shift=1.0)
    mask = np.array([[True, True, False, False], [True, False, True, False]])
    bn = BatchNormalization(momentum=0.0, epsilon=1e-3)
    bn.build((None, 4, 3))
    y, _ = bn.forward(x, training=True, mask=mask)
    kept = x[mask]                                     # (4 kept steps, 3 features)
    np.testing.assert_allclose(bn.moving_mean.value, kept.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.value, kept.var(0), rtol=1e-4)
    expected = (x - kept.mean(0)) / np.sqrt(kept.var(0) + 1e-3)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_masked_batchnorm_in_a_model_takes_the_embedding_mask():
    ids = np.array([[3, 1, 0, 0], [2, 2, 4, 0]])
    model = keras.Sequential([keras.Input((4,)), keras.layers.Embedding(5, 3, mask_zero=True),
                              BatchNormalization(momentum=0.0)])
    model.compile("sgd", "mse")
    embedded = model.layers[0](ids)                     # before the step moves them
    model.train_on_batch(ids, np.zeros((2, 4, 3)))
    kept = embedded[ids != 0]
    # the moving statistics saw the kept steps only (momentum 0: exactly the batch's)
    np.testing.assert_allclose(model.layers[1].moving_mean.value, kept.mean(0), rtol=1e-4,
                               atol=1e-6)


def test_layernorm_over_a_leading_axis_of_rank_3_is_the_formula():
    """axis=1 of (batch, steps, features): moments over the steps. (Keras 3.15.1's torch
    backend raises here; tests/oracle pins that.)"""
    x = random_array(3, (3, 4, 5), scale=2.0, shift=1.0)
    ln = LayerNormalization(axis=1)
    ln.build((None, 4, 5))
    randomize_affine(ln, 3)
    assert ln.gamma.shape == (4,)
    y, _ = ln.forward(x)
    mean, var = naive_moments(x, keep=[0, 2])
    ref = (x - mean) / np.sqrt(var + 1e-3) * ln.gamma.value[:, None] + ln.beta.value[:, None]
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    gradcheck.assert_gradients_ok(ln, x)
