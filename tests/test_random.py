"""``keras.random``: Keras 3.15.1's NumPy-backend numbers, seeds, errors, and dropout on the tape.

The goldens were printed by Keras 3.15.1 with ``KERAS_BACKEND=numpy``
(keras-next.md §5.1); they equal ``np.random.default_rng(np.array([42, 0],
dtype="uint32"))``'s draws, which the property tests use as the definition.
"""
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import backend, gradcheck, ops
from kerastutor import random as kr

FEW = settings(max_examples=15, deadline=None)


def key(seed, counter=0):
    return np.random.default_rng(np.array([seed, counter], dtype="uint32"))


# ------------------------------------------------------------------ goldens [ran, numpy backend]
GOLDENS = [
    (lambda: kr.normal((3,), seed=42),
     [0.304717093706131, -1.039984107017517, 0.7504512071609497], "float32"),
    (lambda: kr.uniform((3,), seed=42),
     [0.7739560604095459, 0.43887844681739807, 0.8585979342460632], "float32"),
    (lambda: kr.uniform((), seed=42), 0.7739560604095459, "float32"),
    (lambda: kr.randint((4,), 0, 10, seed=42), [0, 7, 6, 4], "int32"),
    (lambda: kr.truncated_normal((4,), seed=42),
     [0.304717093706131, -1.039984107017517, 0.7504512071609497, 0.9405646920204163],
     "float32"),
    (lambda: kr.categorical([[0., 0., 10.], [10., 0., 0.]], 3, seed=42),
     [[2, 2, 2], [0, 0, 0]], "int32"),
    (lambda: kr.dropout(np.ones(6, "float32"), 0.5, seed=42), [0, 2, 0, 0, 2, 0], "float32"),
    (lambda: kr.shuffle(np.arange(6), seed=42), [3, 2, 5, 4, 1, 0], "int64"),
    (lambda: kr.shuffle(np.arange(6).reshape(2, 3), axis=1, seed=42),
     [[2, 1, 0], [3, 5, 4]], "int64"),
    (lambda: kr.gamma((3,), alpha=2., seed=42),
     [2.0918173789978027, 2.835345506668091, 1.837215542793274], "float32"),
    (lambda: kr.binomial((3,), 10, 0.5, seed=42), [6.0, 5.0, 7.0], "float32"),
    (lambda: kr.beta((3,), 2., 3., seed=42),
     [0.3384118378162384, 0.41040971875190735, 0.52590012550354], "float32"),
]


@pytest.mark.parametrize("index", range(len(GOLDENS)))
def test_the_goldens_of_keras_numpy_backend(index):
    draw, expected, dtype = GOLDENS[index]
    out = draw()
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, np.asarray(expected, dtype=dtype))


def test_keras_random_is_the_module():
    assert keras.random is kr
    assert set(kr.__all__) == {"normal", "uniform", "randint", "truncated_normal",
                               "categorical", "dropout", "shuffle", "gamma", "binomial",
                               "beta", "SeedGenerator"}


# ------------------------------------------------------------------ seeds
def test_an_int_seed_is_stateless():
    np.testing.assert_array_equal(kr.normal((5,), seed=7), kr.normal((5,), seed=7))


def test_a_seed_generator_moves_on_and_its_first_draw_is_the_int_seeds():
    g = kr.SeedGenerator(1337)
    first = kr.normal((2,), seed=g)
    np.testing.assert_array_equal(first, [0.03826822340488434, 0.47393643856048584])
    np.testing.assert_array_equal(g.state.value, [1337, 1])
    second = kr.normal((2,), seed=g)
    np.testing.assert_array_equal(second, np.float32([-0.4797879159450531, 1.9423004388809204]))
    np.testing.assert_array_equal(g.state.value, [1337, 2])
    np.testing.assert_array_equal(first, kr.normal((2,), seed=1337))
    assert g.state.dtype == np.uint32 and not g.state.trainable


def test_seed_generator_config_and_names():
    g = kr.SeedGenerator(5, name="noise")
    assert g.get_config() == {"seed": 5, "name": "noise"}
    again = kr.SeedGenerator.from_config(g.get_config())
    np.testing.assert_array_equal(again.state.value, [5, 0])
    assert kr.SeedGenerator().get_config()["seed"] is None
    assert kr.SeedGenerator().name.startswith("seed_generator")


def test_an_unseeded_generator_takes_its_seed_from_python_random():
    random.seed(11)
    expected = random.randint(1, int(1e9))
    random.seed(11)
    np.testing.assert_array_equal(kr.SeedGenerator().state.value, [expected, 0])


def test_unseeded_draws_use_the_global_generator_reset_by_set_random_seed():
    keras.utils.set_random_seed(3)
    a, b = kr.normal((4,)), kr.normal((4,))
    assert not np.array_equal(a, b)
    keras.utils.set_random_seed(3)
    np.testing.assert_array_equal(kr.normal((4,)), a)
    np.testing.assert_array_equal(kr.normal((4,)), b)
    # The rule, written out: a SeedGenerator seeded by Python's random, advanced unordered.
    random.seed(3)
    s = random.randint(1, int(1e9))
    np.testing.assert_array_equal(a, key(s).normal(size=4).astype("float32"))
    s2 = np.uint32((s + 1) * 5387 % 2 ** 32 % 933199)
    np.testing.assert_array_equal(b, key(s2, 5387).normal(size=4).astype("float32"))


def test_set_random_seed_still_seeds_the_library_generator():
    keras.utils.set_random_seed(9)
    first = backend.rng().normal(size=3)
    keras.utils.set_random_seed(9)
    kr.normal((3,))                       # keras.random does not touch backend.rng()
    np.testing.assert_array_equal(backend.rng().normal(size=3), first)


def test_clear_session_forgets_the_global_generator():
    kr.normal((1,))
    assert backend._GLOBAL_SEED_GENERATOR is not None
    keras.utils.clear_session()
    assert backend._GLOBAL_SEED_GENERATOR is None


def test_the_unordered_step_wraps_in_uint32():
    g = kr.SeedGenerator(10 ** 9)
    g.next(ordered=False)
    expected = (np.array([10 ** 9, 0], dtype=np.uint64) + 1) * 5387 % 2 ** 32 % 933199
    np.testing.assert_array_equal(g.state.value, expected)


# ------------------------------------------------------------------ errors (Keras's words)
def test_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"`keras.random.uniform` requires a floating point "
                                         r"`dtype`. Received: dtype=int32"):
        kr.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match=r"`keras.random.randint` requires an integer `dtype`. "
                                         r"Received: dtype=float32"):
        kr.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match=r"`logits` should be a 2-D tensor with shape "
                                         r"\[batch_size, num_classes\]. Received: logits="):
        kr.categorical(np.array([0., 1.]), 2, seed=1)
    with pytest.raises(ValueError, match=r"Argument `seed` must be either an integer or an "
                                         r"instance of `SeedGenerator`. Received: seed=x "
                                         r"\(of type <class 'str'>\)"):
        kr.normal((2,), seed="x")
    with pytest.raises(ValueError, match=r"Argument `seed` must be an integer. Received: seed=a"):
        kr.SeedGenerator("a")
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        kr.SeedGenerator(1, sed=2)
    with pytest.raises(OverflowError, match="seed=-1"):
        kr.normal((2,), seed=-1)
    with pytest.raises(ValueError, match="rate"):
        kr.dropout(np.ones(3), 1.5, seed=1)
    with pytest.raises(ValueError, match="shape"):
        kr.normal((None, 2), seed=1)


def test_dtypes():
    assert kr.normal((2,), seed=1, dtype="float64").dtype == np.float64
    assert kr.uniform((2,), seed=1, dtype="float16").dtype == np.float16
    assert kr.randint((2,), 0, 5, seed=1, dtype="int64").dtype == np.int64
    assert kr.categorical([[0., 1.]], 4, seed=1).shape == (1, 4)
    assert kr.dropout(np.ones(4), 0.5, seed=1).dtype == np.float64      # the input's dtype
    np.testing.assert_array_equal(kr.normal(3, seed=2), kr.normal((3,), seed=2))


# ------------------------------------------------------------------ properties
@FEW
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(1, 20))
def test_every_sampler_is_numpys_generator_on_the_key(seed, n):
    np.testing.assert_array_equal(kr.normal((n,), 1.0, 2.0, seed=seed),
                                  key(seed).normal(1.0, 2.0, size=n).astype("float32"))
    np.testing.assert_array_equal(kr.uniform((n,), -1.0, 3.0, seed=seed),
                                  key(seed).uniform(-1.0, 3.0, size=n).astype("float32"))
    np.testing.assert_array_equal(kr.randint((n,), -5, 5, seed=seed),
                                  key(seed).integers(-5, 5, size=n, dtype="int32"))
    np.testing.assert_array_equal(kr.gamma((n,), 0.5, seed=seed),
                                  key(seed).gamma(0.5, 1.0, size=n).astype("float32"))

    # the dropout mask is Keras's `rng.uniform(size=shape) < 1 - rate`, drawn the faster way
    np.testing.assert_array_equal(kr.keep_mask((n, 3), 0.3, seed=seed),
                                  key(seed).uniform(size=(n, 3)) < 0.7)


@FEW
@given(seed=st.integers(0, 1000), n=st.integers(1, 50), mean=st.floats(-3, 3),
       stddev=st.floats(0.1, 3))
def test_truncated_normal_stays_within_two_stddevs(seed, n, mean, stddev):
    out = kr.truncated_normal((n,), mean, stddev, seed=seed, dtype="float64")
    assert out.shape == (n,)
    assert np.all(np.abs(out - mean) <= 2 * stddev + 1e-12)


@FEW
@given(seed=st.integers(0, 1000), rows=st.integers(1, 4), cols=st.integers(1, 5),
       axis=st.sampled_from([0, 1, -1, None]))
def test_shuffle_is_a_permutation_as_rng_permuted(seed, rows, cols, axis):
    x = np.arange(rows * cols).reshape(rows, cols)
    out = kr.shuffle(x, axis=axis, seed=seed)
    np.testing.assert_array_equal(out, key(seed).permuted(x, axis=axis))
    np.testing.assert_array_equal(np.sort(out, axis=axis), np.sort(x, axis=axis))


@FEW
@given(seed=st.integers(0, 1000), rate=st.floats(0.05, 0.95))
def test_dropout_keeps_or_zeroes_each_entry(seed, rate):
    x = np.arange(1.0, 13.0).reshape(3, 4)
    out = kr.dropout(x, rate, seed=seed)
    kept = out != 0
    np.testing.assert_array_equal(kept, key(seed).uniform(size=(3, 4)) < 1 - rate)
    np.testing.assert_allclose(out[kept], x[kept] / (1 - rate))


def test_dropout_noise_shape_shares_the_mask_and_the_extremes_draw_nothing():
    x = np.ones((2, 3, 4), "float32")
    out = kr.dropout(x, 0.5, noise_shape=(None, 1, 4), seed=3)
    assert np.all(out == out[:, :1, :])
    g = kr.SeedGenerator(1)
    assert kr.dropout(x, 0.0, seed=g) is x
    np.testing.assert_array_equal(kr.dropout(x, 1.0, seed=g), np.zeros_like(x))
    np.testing.assert_array_equal(g.state.value, [1, 0])


# ------------------------------------------------------------------ inside a custom layer
class CustomDropout(keras.layers.Layer):
    """The subclassing guide's dropout, with an optional SeedGenerator."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = None if seed is None else keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
        return inputs


class NoisyDense(keras.layers.Layer):
    """A dense layer followed by keras.random.dropout: weights behind the mask."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 3), initializer="glorot_uniform")
        self.seed_generator = keras.random.SeedGenerator(4)

    def call(self, inputs, training=None):
        y = ops.matmul(inputs, self.w)
        return keras.random.dropout(y, rate=0.4, seed=self.seed_generator) if training else y


@pytest.mark.parametrize("seed", [None, 7])
def test_dropout_in_a_custom_layer_passes_gradcheck(seed):
    x = np.random.default_rng(0).normal(size=(4, 5))
    gradcheck.check_layer(CustomDropout(0.5, seed=seed), x, training=True).assert_ok()
    gradcheck.check_layer(NoisyDense(), x, training=True).assert_ok()


def test_dropout_in_a_custom_layer_has_a_repeatable_backward():
    x = np.random.default_rng(1).normal(size=(3, 6))
    grad = gradcheck.assert_backward_repeatable(CustomDropout(0.3, seed=2), x, training=True)
    assert np.any(grad == 0) and np.any(grad != 0)
    gradcheck.assert_backward_repeatable(NoisyDense(), x, training=True)


def test_the_recorded_derivative_is_the_mask_over_keep_prob():
    from kerastutor.tape import Tape
    x = np.random.default_rng(2).normal(size=(2, 5))
    with Tape(training=True) as tape:
        t = tape.watch(x)
        y = kr.dropout(t, 0.25, seed=5)
    g = np.random.default_rng(3).normal(size=(2, 5))
    mask = key(5).uniform(size=(2, 5)) < 0.75
    np.testing.assert_allclose(tape.gradient(y, g, t), np.where(mask, g / 0.75, 0.0))
    np.testing.assert_allclose(y.value, np.where(mask, x / 0.75, 0.0))


def test_shuffle_on_the_tape_puts_the_gradient_back():
    from kerastutor.tape import Tape
    x = np.arange(6.0).reshape(2, 3)
    with Tape() as tape:
        t = tape.watch(x)
        y = kr.shuffle(t, axis=1, seed=42)
    g = np.arange(10.0, 16.0).reshape(2, 3)
    # y[i, j] = x[i, index[i, j]], so dL/dx[i, index[i, j]] = g[i, j]
    grad = tape.gradient(y, g, t)
    np.testing.assert_array_equal(y.value, [[2, 1, 0], [3, 5, 4]])
    np.testing.assert_array_equal(grad, [[12, 11, 10], [13, 15, 14]])


def test_a_model_with_a_custom_dropout_trains_and_a_seed_generator_repeats():
    def run():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
                                  CustomDropout(0.5, seed=1), keras.layers.Dense(1)])
        model.compile("sgd", "mse")
        x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
        y = x.sum(axis=1, keepdims=True)
        return model.fit(x, y, epochs=4, batch_size=8, verbose=0).history["loss"]
    first = run()
    assert first[-1] < first[0]
    assert run() == first


def test_a_seeded_dropout_layer_drops_what_keras_random_dropout_drops():
    """The layer and keras.random.dropout share the mask rule and the seed stream."""
    x = np.arange(1.0, 25.0, dtype="float32").reshape(2, 3, 4)
    layer = keras.layers.Dropout(0.4, seed=21)
    generator = keras.random.SeedGenerator(21)
    for _ in range(2):                                   # each call moves the stream on
        np.testing.assert_array_equal(layer(x, training=True),
                                      keras.random.dropout(x, 0.4, seed=generator))
    noise = keras.layers.GaussianNoise(0.5, seed=4)
    np.testing.assert_array_equal(noise(x, training=True),
                                  x + keras.random.normal(x.shape, stddev=0.5, seed=4))
