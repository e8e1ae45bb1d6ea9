"""Initializers: Keras's fans, limits, variances, orthogonality, seeding and names."""
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerastutor import backend
from kerastutor import initializers as I
from strategies import SEEDS, shapes


# ---------------------------------------------------------------------- fans
@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)), ((7,), (7, 7)), ((200, 300), (200, 300)),
    ((5, 8, 4), (40, 20)),                   # Conv1D: window 5, 8 -> 4 channels
    ((3, 3, 16, 32), (144, 288)),            # Conv2D 3x3, 16 -> 32 channels
    ((2, 3, 3, 4, 6), (72, 108)),            # Conv3D
])
def test_compute_fans(shape, fans):
    assert I.compute_fans(shape) == fans


def test_compute_fans_with_explicit_axes():
    assert I.compute_fans((4, 5, 6), input_axes=[0, 1], output_axes=[2]) == (20, 6)
    assert I.compute_fans((4, 5, 6), input_axes=[0], output_axes=None) == (20, 24)


# ------------------------------------------------------------ limits, variances
def test_glorot_uniform_on_dense_300_after_200_inputs():
    w = I.GlorotUniform(seed=1)((200, 300))
    limit = math.sqrt(6 / 500)                       # 0.109544...
    assert w.shape == (200, 300) and w.dtype == np.float32
    assert np.abs(w).max() <= 0.109544 + 1e-7
    assert np.abs(w).max() > 0.999 * limit           # 60000 draws reach the edge
    assert abs(w.mean()) < 0.002


@pytest.mark.parametrize("initializer, shape, limit", [
    (I.RandomUniform(seed=0), (50, 40), 0.05),
    (I.HeUniform(seed=0), (200, 100), math.sqrt(6 / 200)),
    (I.LecunUniform(seed=0), (200, 100), math.sqrt(3 / 200)),
    (I.HeUniform(seed=0), (3, 3, 16, 32), math.sqrt(6 / 144)),
    (I.GlorotUniform(seed=0), (3, 3, 16, 32), math.sqrt(6 / (144 + 288))),
    (I.VarianceScaling(2.0, "fan_out", "uniform", seed=0), (64, 10), math.sqrt(6 / 10)),
])
def test_uniform_initializers_fill_their_interval(initializer, shape, limit):
    w = initializer(shape)
    assert np.abs(w).max() <= limit * (1 + 1e-6)
    assert np.abs(w).max() > 0.98 * limit
    assert w.var() == pytest.approx(limit ** 2 / 3, rel=0.05)


@pytest.mark.parametrize("initializer, variance", [
    (I.GlorotNormal(seed=0), 2 / 700), (I.HeNormal(seed=0), 2 / 400),
    (I.LecunNormal(seed=0), 1 / 400), (I.GlorotUniform(seed=0), 2 / 700),
    (I.HeUniform(seed=0), 2 / 400), (I.LecunUniform(seed=0), 1 / 400),
    (I.VarianceScaling(3.0, "fan_out", "untruncated_normal", seed=0), 3 / 300),
    (I.VarianceScaling(0.5, "fan_avg", "normal", seed=0), 0.5 / 350),
])
def test_variance_scaling_hits_its_variance(initializer, variance):
    w = initializer((400, 300))
    assert w.var() == pytest.approx(variance, rel=0.03)
    assert abs(w.mean()) < 0.05 * math.sqrt(variance)


def test_truncated_normal_variance_scaling_cuts_at_two_of_its_sigmas():
    w = I.HeNormal(seed=2)((500, 200))
    sigma = math.sqrt(2 / 500) / 0.87962566103423978
    assert np.abs(w).max() <= 2 * sigma * (1 + 1e-6)
    assert np.abs(w).max() > 0.99 * 2 * sigma


def test_truncated_normal_redraws_the_tails():
    w = I.TruncatedNormal(mean=1.0, stddev=2.0, seed=0)((200_000,))
    assert np.all(np.abs(w - 1.0) <= 4.0)
    # Cutting at two sigmas shrinks the spread by Keras's constant 0.8796...
    assert w.std() == pytest.approx(2.0 * 0.87962566103423978, rel=0.01)
    assert w.mean() == pytest.approx(1.0, abs=0.01)


def test_random_normal_defaults():
    w = I.RandomNormal(seed=0)((300, 300))
    assert w.std() == pytest.approx(0.05, rel=0.02)
    assert abs(w.mean()) < 0.001


# ------------------------------------------------------------ deterministic ones
def test_constant_initializers():
    np.testing.assert_array_equal(I.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(I.Ones()((4,)), np.ones(4))
    np.testing.assert_array_equal(I.Constant(0.3)((2,)), np.float32([0.3, 0.3]))
    assert I.Zeros()((2,)).dtype == np.float32
    assert I.Ones()((2,), dtype="float64").dtype == np.float64
    assert I.Zeros()((2,), dtype="int32").dtype == np.int32


def test_constant_accepts_an_array_of_the_weight_shape():
    matrix = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(I.Constant(matrix)((2, 3)), matrix)
    with pytest.raises(ValueError, match=r"shape \(2, 3\) cannot fill a weight of shape"):
        I.Constant(matrix)((3, 2))


def test_identity():
    np.testing.assert_array_equal(I.Identity(gain=2.0)((3, 3)), 2 * np.eye(3))
    np.testing.assert_array_equal(I.Identity()((2, 4)), np.eye(2, 4))
    with pytest.raises(ValueError, match="2-D matrices only"):
        I.Identity()((2, 2, 2))


# ---------------------------------------------------------------- orthogonal
@settings(deadline=None, max_examples=25)
@given(shape=shapes(2, 4, max_side=6),
       gain=st.sampled_from([1.0, 0.5, 3.0]), seed=SEEDS)
def test_orthogonal_has_orthonormal_columns_or_rows(shape, gain, seed):
    w = I.Orthogonal(gain=gain, seed=seed)(tuple(shape))
    assert w.shape == tuple(shape) and w.dtype == np.float32
    matrix = w.reshape(-1, shape[-1]).astype(np.float64)
    gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(matrix.shape)), atol=1e-5)


def test_orthogonal_sign_correction_leaves_no_bias():
    """Without Q <- Q diag(sign R_ii), QR routines make Q_11 always negative."""
    corners = [I.Orthogonal(seed=seed)((3, 3))[0, 0] for seed in range(300)]
    assert abs(np.mean(corners)) < 0.1
    assert 0.3 < np.mean(np.array(corners) > 0) < 0.7


def test_orthogonal_needs_two_dimensions():
    with pytest.raises(ValueError, match="at least 2-D"):
        I.Orthogonal()((5,))


@settings(deadline=None, max_examples=25)
@given(shape=shapes(1, 4, max_side=8),
       name=st.sampled_from(["glorot_uniform", "he_uniform", "lecun_uniform"]))
def test_uniform_limits_follow_compute_fans_for_any_shape(shape, name):
    initializer = I.get(name)
    fan_in, fan_out = I.compute_fans(shape)
    fan = (fan_in + fan_out) / 2 if name == "glorot_uniform" else fan_in
    scale = 2.0 if name == "he_uniform" else 1.0
    w = initializer(tuple(shape), dtype="float64")
    assert np.abs(w).max() <= math.sqrt(3 * scale / max(1.0, fan))


# ------------------------------------------------------------------- seeding
def test_a_seeded_initializer_repeats_its_sequence_but_not_its_draws():
    first, second = I.GlorotUniform(seed=7), I.GlorotUniform(seed=7)
    a1, a2 = first((4, 5)), first((4, 5))
    np.testing.assert_array_equal(a1, second((4, 5)))
    np.testing.assert_array_equal(a2, second((4, 5)))
    assert not np.array_equal(a1, a2)
    assert not np.array_equal(a1, I.GlorotUniform(seed=8)((4, 5)))


def test_unseeded_initializers_follow_the_global_seed():
    backend.set_random_seed(5)
    first = I.HeNormal()((3, 3))
    backend.set_random_seed(5)
    np.testing.assert_array_equal(first, I.HeNormal()((3, 3)))
    # a seeded one ignores the global generator
    backend.set_random_seed(1)
    seeded = I.RandomUniform(seed=3)((3,))
    backend.set_random_seed(2)
    np.testing.assert_array_equal(seeded, I.RandomUniform(seed=3)((3,)))


@pytest.mark.parametrize("name", ["glorot_uniform", "he_normal", "random_normal",
                                  "truncated_normal", "orthogonal", "zeros", "identity"])
def test_dtype_defaults_to_floatx(name):
    assert I.get(name)((3, 3)).dtype == np.float32
    assert I.get(name)((3, 3), dtype="float64").dtype == np.float64
    backend.set_floatx("float64")
    assert I.get(name)((3, 3)).dtype == np.float64


# -------------------------------------------------------------- names, configs
@pytest.mark.parametrize("name, cls", [
    ("glorot_uniform", I.GlorotUniform), ("GlorotUniform", I.GlorotUniform),
    ("he_normal", I.HeNormal), ("lecun_uniform", I.LecunUniform),
    ("random_normal", I.RandomNormal), ("normal", I.RandomNormal),
    ("uniform", I.RandomUniform), ("truncated_normal", I.TruncatedNormal),
    ("zero", I.Zeros), ("zeros", I.Zeros), ("one", I.Ones), ("Ones", I.Ones),
    ("identity", I.Identity), ("IdentityInitializer", I.Identity),
    ("orthogonal", I.Orthogonal), ("OrthogonalInitializer", I.Orthogonal),
    ("variance_scaling", I.VarianceScaling),
])
def test_names_and_aliases(name, cls):
    assert type(I.get(name)) is cls


def test_get_passes_objects_through_and_builds_classes():
    instance = I.HeUniform(seed=3)
    assert I.get(instance) is instance
    assert type(I.get(I.Orthogonal)) is I.Orthogonal
    assert I.get(None) is None

    def halves(shape, dtype=None):
        return np.full(shape, 0.5, dtype=dtype or "float32")

    assert I.get(halves) is halves
    array = np.eye(2)
    np.testing.assert_array_equal(I.get(array)((2, 2)), array)
    with pytest.raises(ValueError, match=r"has shape \(2, 2\), but the weight has shape"):
        I.get(array)((3, 3))


def test_glorot_uniform_serializes_like_keras():
    assert I.serialize(I.GlorotUniform()) == {
        "module": "keras.initializers", "class_name": "GlorotUniform",
        "config": {"seed": None, "input_axes": None, "output_axes": None},
        "registered_name": None}
    assert I.serialize("zeros") == {"module": "keras.initializers", "class_name": "Zeros",
                                    "config": {}, "registered_name": None}
    assert I.RandomUniform().get_config() == {"seed": None, "minval": -0.05, "maxval": 0.05}
    assert I.Orthogonal().get_config() == {"seed": None, "gain": 1.0}


@pytest.mark.parametrize("initializer", [
    I.Zeros(), I.Ones(), I.Constant(0.3), I.Constant([[1.0, 2.0]]), I.Identity(gain=0.5),
    I.RandomUniform(-1.0, 2.0, seed=4), I.RandomNormal(1.0, 0.2, seed=5),
    I.TruncatedNormal(stddev=0.1), I.VarianceScaling(2.0, "fan_out", "uniform", seed=1),
    I.GlorotUniform(seed=9), I.GlorotNormal(), I.HeUniform(), I.HeNormal(seed=2),
    I.LecunUniform(), I.LecunNormal(), I.Orthogonal(gain=2.0, seed=3),
])
def test_serialize_round_trips_through_json(initializer):
    record = json.loads(json.dumps(I.serialize(initializer)))
    clone = I.deserialize(record)
    assert type(clone) is type(initializer)
    assert clone.get_config() == initializer.get_config()
    shape = (2, 2) if not isinstance(initializer, I.Constant) else (1, 2)
    if getattr(initializer, "seed", None) is not None:       # same seed, same first draw
        np.testing.assert_array_equal(clone(shape), type(initializer).from_config(
            initializer.get_config())(shape))


def test_constant_by_name_explains_that_it_needs_a_value():
    with pytest.raises(ValueError, match=r"needs a value.*Constant\(value=\.\.\.\)"):
        I.get("constant")


def test_unknown_names_suggest_the_closest():
    with pytest.raises(ValueError, match="Unknown initializer 'glorot_unifrom'. Did you mean "
                                         "'glorot_uniform'"):
        I.get("glorot_unifrom")
    with pytest.raises(ValueError, match="Did you mean 'HeNormal'"):
        I.deserialize({"class_name": "HeNormall", "config": {}})


@pytest.mark.parametrize("make, message", [
    (lambda: I.VarianceScaling(scale=0.0), "`scale` must be a positive number"),
    (lambda: I.VarianceScaling(mode="fanin"), "`mode`.*Did you mean 'fan_in'"),
    (lambda: I.VarianceScaling(distribution="gaussian"), "`distribution` must be one of"),
    (lambda: I.RandomNormal(seed="abc"), "`seed` must be None or a non-negative integer"),
    (lambda: I.RandomNormal(stddev=-1.0), "`stddev` must be a number >= 0"),
    (lambda: I.RandomUniform(minval=1.0, maxval=0.0), "must not exceed `maxval`"),
    (lambda: I.GlorotUniform()((3, -1)), "`shape` must be a tuple of non-negative"),
    (lambda: I.HeNormal()((3, 3), dtype="int32"), "`dtype` must be a float dtype"),
    (lambda: I.Constant("big"), "`value` must be a finite real number"),
    (lambda: I.get(3.5), "Could not interpret the initializer"),
])
def test_bad_arguments_raise_errors_that_name_them(make, message):
    with pytest.raises(ValueError, match=message):
        make()
