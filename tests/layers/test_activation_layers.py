"""Activation layers: hand-computed values, naive references, gradient checks, configs."""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from helpers import WithMaskAndState, random_array
from strategies import SEEDS, shapes


def naive_softmax(x, axes):
    e = np.exp(x - x.max(axis=axes, keepdims=True))
    return e / e.sum(axis=axes, keepdims=True)


# ------------------------------------------------------- hand-computed values
def test_relu_values_from_the_keras_docs():
    x = np.array([-10, -5, 0.0, 5, 10], "float32")
    layer = ReLU(max_value=10, negative_slope=0.5, threshold=0)
    np.testing.assert_allclose(layer(x), [-5, -2.5, 0, 5, 10])
    np.testing.assert_allclose(ReLU()(x), [0, 0, 0, 5, 10])
    np.testing.assert_allclose(ReLU(max_value=6)(x), [0, 0, 0, 5, 6])


def test_relu_threshold_and_slope_by_hand():
    x = np.array([0.0, 1.0, 2.0, 3.0], "float32")
    # below the threshold: zero, or negative_slope * (x - threshold)
    np.testing.assert_allclose(ReLU(threshold=1.5)(x), [0, 0, 2, 3])
    np.testing.assert_allclose(ReLU(threshold=1.5, negative_slope=0.5)(x),
                               [-0.75, -0.25, 2, 3])
    np.testing.assert_allclose(ReLU(threshold=1.5, max_value=2.5)(x), [0, 0, 2, 2.5])


def test_leaky_relu_values_and_keras_default_slope():
    x = np.array([-10, -5, 0.0, 5, 10], "float32")
    np.testing.assert_allclose(LeakyReLU(negative_slope=0.5)(x), [-5, -2.5, 0, 5, 10])
    assert LeakyReLU().negative_slope == 0.3                    # layer: 0.3, function: 0.2
    np.testing.assert_allclose(LeakyReLU()(np.array([-1.0, 2.0], "float32")), [-0.3, 2.0],
                               rtol=1e-6)


def test_leaky_relu_accepts_deprecated_alpha():
    with pytest.warns(UserWarning, match="alpha"):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    assert "alpha" not in layer.get_config()
    np.testing.assert_allclose(layer(np.array([-2.0], "float32")), [-0.2], rtol=1e-6)


def test_elu_values():
    x = np.array([-2.0, -0.5, 0.0, 1.5], "float64")
    y, _ = ELU().forward(x)
    np.testing.assert_allclose(y, [np.expm1(-2.0), np.expm1(-0.5), 0.0, 1.5])
    y, _ = ELU(alpha=2.0).forward(x)
    np.testing.assert_allclose(y, [2 * np.expm1(-2.0), 2 * np.expm1(-0.5), 0.0, 1.5])


def test_softmax_values_from_the_keras_docs():
    y = Softmax()(np.array([[1.0, 2.0, 1.0]], "float32"))
    np.testing.assert_allclose(y, [[0.21194157, 0.5761169, 0.21194157]], rtol=1e-6)


def test_prelu_values_with_set_alpha():
    layer = PReLU()
    x = np.array([[-2.0, 3.0, -1.0]], "float32")
    np.testing.assert_allclose(layer(x), [[0, 3, 0]])           # alpha starts at 0: ReLU
    layer.set_weights([np.array([0.25, 0.5, -1.0], "float32")])
    np.testing.assert_allclose(layer(x), [[-0.5, 3.0, 1.0]])


# ------------------------------------------------------------- PReLU weights
def test_prelu_weight_shape_name_and_shared_axes():
    layer = PReLU()
    layer.build((None, 5, 6, 3))
    assert [w.name for w in layer.weights] == ["alpha"]
    assert layer.alpha.shape == (5, 6, 3)
    assert layer.alpha.value.dtype == np.float32
    assert not layer.alpha.value.any()                          # "Zeros" initializer
    shared = PReLU(shared_axes=[1, 2])
    shared.build((None, 5, 6, 3))
    assert shared.alpha.shape == (1, 1, 3)                       # one slope per channel
    assert shared.count_params() == 3
    single = PReLU(shared_axes=2)
    single.build((None, 4, None))                               # unknown shared axis is fine
    assert single.alpha.shape == (4, 1)
    assert single.shared_axes == [2]


def test_prelu_alpha_gradient_sums_over_batch_and_shared_axes():
    layer = PReLU(shared_axes=[1], alpha_initializer="random_normal")
    x = random_array(0, (2, 3, 4))
    layer.build((None, 3, 4))
    y, cache = layer.forward(x)
    g = random_array(1, y.shape)
    layer.alpha.zero_grad()
    dx = layer.backward(cache, g)
    alpha = layer.alpha.value.astype("float64")
    expected_alpha_grad = np.zeros((1, 4))
    for n in range(2):
        for t in range(3):
            for c in range(4):
                if x[n, t, c] < 0:
                    expected_alpha_grad[0, c] += g[n, t, c] * x[n, t, c]
    np.testing.assert_allclose(layer.alpha.grad, expected_alpha_grad, rtol=1e-5)
    np.testing.assert_allclose(dx, np.where(x > 0, g, g * alpha), rtol=1e-6)
    # backward ADDS: a second call doubles the gradient (shared layers)
    layer.backward(cache, g)
    np.testing.assert_allclose(layer.alpha.grad, 2 * expected_alpha_grad, rtol=1e-5)


def test_prelu_forward_matches_naive_loop():
    layer = PReLU(shared_axes=[2], alpha_initializer="random_normal")
    x = random_array(2, (2, 3, 4, 2))
    layer.build((None, 3, 4, 2))
    y, _ = layer.forward(x)
    alpha = layer.alpha.value
    expected = np.empty_like(x)
    for index in np.ndindex(*x.shape):
        slope = alpha[index[1], 0, index[3]]
        expected[index] = x[index] if x[index] > 0 else slope * x[index]
    np.testing.assert_allclose(y, expected, rtol=1e-6)


# ------------------------------------------------------------ gradient checks
@given(max_value=st.sampled_from([None, 0.5, 2.0]),
       negative_slope=st.sampled_from([0.0, 0.1, 0.5]),
       threshold=st.sampled_from([0.0, 0.3]),
       seed=SEEDS)
def test_relu_gradients(max_value, negative_slope, threshold, seed):
    layer = ReLU(max_value=max_value, negative_slope=negative_slope, threshold=threshold)
    gradcheck.assert_gradients_ok(layer, random_array(seed, (3, 5)), seed=seed)


@given(negative_slope=st.floats(0.0, 1.0), seed=SEEDS)
def test_leaky_relu_gradients(negative_slope, seed):
    gradcheck.assert_gradients_ok(LeakyReLU(negative_slope), random_array(seed, (2, 3, 4)),
                                  seed=seed)


@given(alpha=st.floats(0.1, 3.0), seed=SEEDS)
def test_elu_gradients(alpha, seed):
    gradcheck.assert_gradients_ok(ELU(alpha), random_array(seed, (4, 3)), seed=seed)


@given(axis=st.sampled_from([-1, 0, 1, [1], [1, 2], [0, 2], [-1, 1]]),
       masked=st.booleans(), seed=SEEDS)
def test_softmax_gradients(axis, masked, seed):
    layer = Softmax(axis=axis)
    x = random_array(seed, (2, 3, 4), scale=2.0)
    subject = layer
    if masked:
        mask = np.random.default_rng(seed).random((2, 1, 4)) > 0.3   # broadcasts over axis 1
        subject = WithMaskAndState(layer, mask)
    gradcheck.assert_gradients_ok(subject, x, seed=seed)


@st.composite
def prelu_cases(draw):
    rank = draw(st.integers(2, 4))
    shape = tuple(draw(shapes(rank, rank, max_side=4)))
    shared = draw(st.lists(st.integers(1, rank - 1), unique=True, max_size=rank - 1))
    return shape, shared or None, draw(SEEDS)


@given(case=prelu_cases())
def test_prelu_gradients(case):
    shape, shared, seed = case
    layer = PReLU(alpha_initializer="random_normal", shared_axes=shared)
    report = gradcheck.assert_gradients_ok(layer, random_array(seed, shape), seed=seed)
    assert any(entry.name == "alpha" for entry in report.entries)   # the weight was checked


# --------------------------------------------------------------- Softmax axes
@given(axis=st.sampled_from([-1, 0, 2, [1, 2], [0, 1, 2], [2, 0]]), seed=SEEDS)
def test_softmax_matches_naive_formula(axis, seed):
    x = random_array(seed, (2, 3, 4))
    y, _ = Softmax(axis=axis).forward(x)
    axes = tuple(np.atleast_1d(axis))
    np.testing.assert_allclose(y, naive_softmax(x, axes), rtol=1e-12)
    np.testing.assert_allclose(y.sum(axis=axes), 1.0)


def test_softmax_mask_gives_masked_entries_zero_probability():
    x = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0]], "float32")
    mask = np.array([[True, False, True, False], [False, False, False, False]])
    y, _ = Softmax().forward(x, mask=mask)
    expected = naive_softmax(np.array([1.0, 3.0]), 0)
    np.testing.assert_allclose(y[0], [expected[0], 0, expected[1], 0], rtol=1e-6)
    np.testing.assert_array_equal(y[1], 0)                     # fully masked row: zeros
    assert y.dtype == np.float32


def test_softmax_masked_gradients_with_a_fully_masked_row():
    x = random_array(7, (3, 4))
    mask = np.array([[True, False, True, True], [False] * 4, [True] * 4])
    layer = Softmax()
    gradcheck.assert_gradients_ok(WithMaskAndState(layer, mask), x, seed=7)
    y, cache = layer.forward(x, mask=mask)
    dx = layer.backward(cache, random_array(8, y.shape))
    np.testing.assert_array_equal(dx[1], 0)                    # nothing reaches the loss
    assert dx[0, 1] == 0


def test_softmax_mask_in_float16_uses_a_representable_negative():
    x = np.array([[0.5, 1.0, -0.5]], "float16")
    y, _ = Softmax().forward(x, mask=np.array([[True, True, False]]))
    assert y.dtype == np.float16 and np.isfinite(y).all()
    np.testing.assert_allclose(y[0, :2], naive_softmax(np.array([0.5, 1.0]), 0), rtol=1e-3)
    assert y[0, 2] == 0


# -------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("layer", [ReLU(), ReLU(max_value=1.0, threshold=0.2),
                                   LeakyReLU(), ELU(), Softmax(), Softmax(axis=[1, 2]),
                                   PReLU(shared_axes=[1])])
def test_dtype_is_preserved(layer):
    x = random_array(5, (2, 3, 4))
    assert layer(x.astype("float32")).dtype == np.float32
    y, cache = layer.forward(x)
    assert y.dtype == np.float64
    assert layer.backward(cache, np.ones_like(y)).dtype == np.float64
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)


# -------------------------------------------------------------------- config
@pytest.mark.parametrize("layer, keys", [
    (ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
     {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}),
    (LeakyReLU(negative_slope=0.2), {"negative_slope": 0.2}),
    (ELU(alpha=0.7), {"alpha": 0.7}),
    (Softmax(axis=[1, 2]), {"axis": [1, 2]}),
    (PReLU(alpha_initializer="random_normal", alpha_regularizer="l2",
           alpha_constraint="non_neg", shared_axes=[1]), {"shared_axes": [1]}),
])
def test_config_round_trip(layer, keys):
    x = random_array(6, (2, 3, 4)).astype("float32")
    y = layer(x)
    config = layer.get_config()
    for key, value in keys.items():
        assert config[key] == value
    assert config["name"] == layer.name and config["trainable"] is True
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    if layer.weights:
        clone.build((None, 3, 4))
        clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x), y)


def test_prelu_config_serializes_its_initializer_regularizer_constraint():
    config = PReLU(alpha_regularizer="l2", alpha_constraint="non_neg").get_config()
    assert config["alpha_initializer"]["class_name"] == "Zeros"
    assert config["alpha_regularizer"]["class_name"] == "L2"
    assert config["alpha_constraint"]["class_name"] == "NonNeg"
    assert config["shared_axes"] is None


# -------------------------------------------------------------------- errors
def test_kind_errors():
    with pytest.raises(ValueError, match='Layer "re_lu.*max_value.*>= 0.*Hint'):
        ReLU(max_value=-1.0)
    with pytest.raises(ValueError, match="negative_slope.*>= 0"):
        ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="threshold.*None"):
        ReLU(threshold=None)
    with pytest.raises(ValueError, match="LeakyReLU.*negative_slope"):
        LeakyReLU(negative_slope=-1)
    with pytest.raises(ValueError, match="ELU.*alpha.*'big'"):
        ELU(alpha="big")
    with pytest.raises(ValueError, match="Softmax.*axis.*1.5"):
        Softmax(axis=1.5)
    with pytest.raises(ValueError, match="axis=3 does not exist.*rank 2"):
        Softmax(axis=3)(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="mask of shape \\(3,\\).*\\(2, 4\\)"):
        Softmax().forward(np.zeros((2, 4)), mask=np.ones(3, bool))
    with pytest.raises(ValueError, match="PReLU.*shared_axes.*0"):
        PReLU(shared_axes=0)
    with pytest.raises(ValueError, match="shared axis 5 does not exist.*rank 3"):
        PReLU(shared_axes=[5]).build((None, 4, 2))
    with pytest.raises(ValueError, match="axis 1 .*unknown.*shared_axes=\\[1\\]"):
        PReLU().build((None, None, 3))
    prelu = PReLU()
    prelu(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=f'"{prelu.name}".*axis 1 .*value 4.*\\(2, 5\\)'):
        prelu(np.zeros((2, 5), "float32"))
    with pytest.raises(ValueError, match="Unrecognized keyword.*max_valeu"):
        ReLU(max_valeu=3)


# ------------------------------------------------------------- in a model
def test_activation_layers_train_in_a_sequential_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (np.abs(x[:, 0]) + x[:, 1] > 0.8).astype("int64")
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(16),
        PReLU(alpha_initializer=keras.initializers.Constant(0.1)),
        keras.layers.Dense(8),
        LeakyReLU(),
        keras.layers.Dense(8),
        ELU(),
        keras.layers.Dense(2),
        Softmax(),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    prelu = model.layers[1]
    alpha_before = prelu.alpha.value.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")                 # no silent float64 upcasts etc.
        history = model.fit(x, y, epochs=20, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    assert not np.allclose(prelu.alpha.value, alpha_before)      # alpha was learned
    np.testing.assert_allclose(model.predict(x[:3], verbose=0).sum(axis=1), 1.0, rtol=1e-5)


def test_softmax_call_with_a_step_mask_zeroes_padded_steps():
    x = random_array(9, (2, 3, 4)).astype("float32")
    steps = np.array([[True, True, False], [False, True, True]])
    y = Softmax()(x, mask=steps)                          # a (batch, steps) mask
    np.testing.assert_array_equal(y[0, 2], 0)
    np.testing.assert_array_equal(y[1, 0], 0)
    np.testing.assert_allclose(y[steps].sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(y[0, 0], naive_softmax(x[0, 0].astype("float64"), 0),
                               rtol=1e-5)


def test_mask_from_embedding_reaches_softmax_in_a_model():
    from kerastutor.layers.embedding import Embedding
    inputs = keras.Input((4,), dtype="int32")
    h = ReLU()(keras.layers.Dense(5)(Embedding(10, 3, mask_zero=True)(inputs)))
    model = keras.Model(inputs, Softmax()(h))
    y = model.predict(np.array([[1, 2, 0, 0], [3, 0, 4, 5]]), verbose=0)
    np.testing.assert_allclose(y.sum(axis=-1), [[1, 1, 0, 0], [1, 0, 1, 1]], rtol=1e-6)
