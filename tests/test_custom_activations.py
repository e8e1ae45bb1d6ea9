"""Learner-written activations train through the op tape; built-in ones record their own backward.

* ``activation=lambda x: ...`` (or a ``def``) in any layer: ``forward`` runs the function on
  a tape with the input watched, ``backward`` walks that tape.
* ``keras.activations.relu(x)`` / ``keras.ops.softmax(x)`` on a traced value (inside a
  custom layer's ``call``) are recorded as one op whose derivative is the activation
  object's own ``backward``.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import activations, gradcheck, ops
from strategies import SEEDS, float_arrays

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3)).astype("float32")
Y = RNG.normal(size=(16, 2)).astype("float32")


def fit_dense(activation, epochs=3):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation=activation),
                              keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    history = model.fit(X, Y, batch_size=4, epochs=epochs, shuffle=False, verbose=0)
    return history.history["loss"], model.get_weights()


def assert_same_training(first, second):
    """Same losses and weights (float32 round-off of the GPU path's kernels allowed)."""
    np.testing.assert_allclose(first[0], second[0], rtol=1e-5)
    for a, b in zip(first[1], second[1]):
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6)


def my_tanh(x):
    """A def written with keras.ops."""
    return ops.tanh(x)


class Square(activations.ActivationFunction):
    """x ** 2 with its derivative written out, to compare the tape with."""

    name = "square"

    def forward(self, x):
        return x * x, x

    def backward(self, cache, grad_out):
        return 2 * cache * grad_out


# ======================================================== same numbers as built-ins
@pytest.mark.parametrize("ours, built_in", [
    (lambda x: ops.maximum(x, 0), "relu"),
    (lambda x: keras.activations.relu(x), "relu"),
    (my_tanh, "tanh"),
    (lambda x: x * ops.sigmoid(x), "silu"),
    (lambda x: x ** 2, Square()),
], ids=["maximum", "activations.relu", "def-tanh", "x*sigmoid", "square"])
def test_a_learner_activation_trains_like_the_built_in(ours, built_in):
    assert_same_training(fit_dense(ours), fit_dense(built_in))


def test_a_lambda_activation_works_in_a_convolution():
    x = RNG.normal(size=(4, 6, 6, 2)).astype("float32")
    y = RNG.normal(size=(4, 4, 4, 3)).astype("float32")

    def run(activation):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((6, 6, 2)),
                                  keras.layers.Conv2D(3, 3, activation=activation)])
        model.compile(keras.optimizers.SGD(0.05), "mse")
        return (model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0)
                .history["loss"], model.get_weights())

    assert_same_training(run(lambda z: ops.maximum(z, 0.0)), run("relu"))


def test_a_lambda_activation_keeps_float32():
    layer = keras.layers.Dense(2, activation=lambda x: 2.0 * x ** 2)
    assert layer(X).dtype == np.float32


# ============================================================ gradient checks
SMOOTH_FUNCTIONS = {
    # Not plain x**3: at x = 0 its slope is 0 while the central difference's truncation
    # error h^2 f'''(x)/6 = 1e-12 is not, so the relative error would measure h only.
    "cube-plus-x": lambda x: x ** 3 + x,
    "sin-times-x": lambda x: ops.sin(x) * x,
    "activations.sigmoid-times-x": lambda x: keras.activations.sigmoid(x) * x,
    "ops.softmax-of-2x": lambda x: ops.softmax(2.0 * x),
    "gelu-plus-tanh": lambda x: keras.activations.gelu(x) + ops.tanh(x),
}


@given(name=st.sampled_from(sorted(SMOOTH_FUNCTIONS)), x=float_arrays(low=-3, high=3))
def test_tape_backed_activation_gradients_match_finite_differences(name, x):
    activation = activations.get(SMOOTH_FUNCTIONS[name])
    assert isinstance(activation, activations.CustomActivation)
    gradcheck.assert_gradients_ok(activation, x)


@given(name=st.sampled_from(sorted(SMOOTH_FUNCTIONS)), seed=SEEDS)
def test_a_dense_layer_with_a_lambda_activation_passes_gradcheck(name, seed):
    layer = keras.layers.Dense(3, activation=SMOOTH_FUNCTIONS[name], dtype="float64")
    x = np.random.default_rng(seed).normal(size=(4, 2))
    gradcheck.assert_gradients_ok(layer, x)


@given(name=st.sampled_from(sorted(SMOOTH_FUNCTIONS)), seed=SEEDS)
def test_tape_backed_activation_backward_is_repeatable(name, seed):
    x = np.random.default_rng(seed).normal(size=(3, 4))
    gradcheck.assert_backward_repeatable(activations.get(SMOOTH_FUNCTIONS[name]), x)
    layer = keras.layers.Dense(3, activation=SMOOTH_FUNCTIONS[name], dtype="float64")
    gradcheck.assert_backward_repeatable(layer, x)


# ====================================== built-in activations on the tape: their own backward
BUILT_INS = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "softplus", "gelu", "silu",
             "elu", "selu", "mish", "log_sigmoid", "softsign", "hard_sigmoid", "leaky_relu"]


@pytest.mark.parametrize("name", BUILT_INS)
def test_keras_activations_on_a_traced_value_record_their_own_backward(name):
    function, built_in = getattr(keras.activations, name), activations.get(name)
    x = np.random.default_rng(1).normal(size=(3, 4)) + 0.05     # away from the kinks at 0
    g = np.random.default_rng(2).normal(size=(3, 4))
    tape = ops.Tape()
    traced = tape.watch(x)
    with tape:
        y = function(traced)
    assert isinstance(y, ops.Traced) and len(tape.records) == 1
    expected_y, cache = built_in.forward(x)
    np.testing.assert_array_equal(y.value, expected_y)
    np.testing.assert_array_equal(tape.backward(y, g)[id(traced)], built_in.backward(cache, g))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "log_softmax",
                                  "softplus", "gelu", "silu", "elu", "selu"])
def test_ops_activations_are_the_activation_objects(name):
    x = np.random.default_rng(3).normal(size=(2, 5)) + 0.05
    options = {"approximate": False} if name == "gelu" else {}
    np.testing.assert_array_equal(getattr(ops, name)(x, **options),
                                  getattr(keras.activations, name)(x))
    namespace = ops.numpy if name == "tanh" else ops.nn      # Keras files tanh under numpy
    assert getattr(namespace, name) is getattr(ops, name)


class ScaledActivation(keras.layers.Layer):
    """A custom layer whose call() uses a keras.activations function."""

    def __init__(self, units, activation, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation_function = units, activation

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return self.activation_function(ops.matmul(inputs, self.w) + self.b)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softmax", "gelu", "softplus", "mish"])
def test_a_custom_layer_calling_keras_activations_passes_gradcheck(name):
    layer = ScaledActivation(3, getattr(keras.activations, name), dtype="float64")
    gradcheck.assert_gradients_ok(layer, np.random.default_rng(4).normal(size=(4, 2)))


def test_a_custom_layer_calling_activations_relu_trains_like_dense_relu():
    def run(first):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), first, keras.layers.Dense(2)])
        model.compile(keras.optimizers.SGD(0.1), "mse")
        return (model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
                .history["loss"], model.get_weights())

    dense = run(keras.layers.Dense(4, activation="relu"))
    ours = run(ScaledActivation(4, keras.activations.relu))
    assert_same_training(ours, dense)


# ============================================================ kind refusals
def test_raw_numpy_in_an_activation_predicts_but_training_names_the_op_to_use():
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(2, activation=lambda x: np.maximum(x, 0))])
    model.compile("sgd", "mse")
    assert model.predict(X, verbose=0).shape == (16, 2)
    with pytest.raises(TypeError, match=r"activation '<lambda>'.*np\.maximum.*"
                                        r"keras\.ops\.maximum"):
        model.fit(X, Y, epochs=1, verbose=0)


def test_a_lambda_activation_cannot_come_back_from_a_config_and_says_why():
    config = keras.layers.Dense(2, activation=lambda x: x ** 2).get_config()
    record = config["activation"]
    assert record["config"] == "<lambda>"
    with pytest.raises(ValueError, match=r"lambda.*never runs code.*def my_activation"):
        activations.deserialize(record)
    with pytest.raises(ValueError, match=r"lambda.*never runs code"):
        activations.deserialize({"class_name": "__lambda__", "config": {"code": "..."}})
    square = lambda x: x ** 2                                    # noqa: E731
    restored = activations.deserialize(record, custom_objects={"<lambda>": square})
    assert restored.function is square


def test_a_named_function_activation_round_trips_with_custom_objects():
    record = activations.serialize(my_tanh)
    assert record == {"module": "builtins", "class_name": "function", "config": "my_tanh",
                      "registered_name": "function"}
    restored = activations.deserialize(record, custom_objects={"my_tanh": my_tanh})
    y, cache = restored.forward(np.array([0.5, -1.0]))
    np.testing.assert_allclose(restored.backward(cache, np.ones(2)), 1 - np.tanh([0.5, -1.0]) ** 2)
