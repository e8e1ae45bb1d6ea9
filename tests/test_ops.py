"""keras.ops: every differentiable op gradient-checked; custom layers and Lambda train."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck, ops
from strategies import SEEDS

UNARY = {
    "negative": ops.negative, "square": ops.square, "exp": ops.exp, "tanh": ops.tanh,
    "sigmoid": ops.sigmoid, "softplus": ops.softplus, "softmax": ops.softmax,
    "log_softmax": ops.log_softmax, "relu": ops.relu, "abs": ops.abs,
    "sum": lambda x: ops.sum(x, axis=-1), "sum_all": ops.sum,
    "mean": lambda x: ops.mean(x, axis=0, keepdims=True), "mean_all": ops.mean,
    "max": lambda x: ops.max(x, axis=-1), "min_all": ops.min,
    "logsumexp": lambda x: ops.logsumexp(x, axis=-1),
    "reshape": lambda x: ops.reshape(x, (x.shape[0], -1)),
    "transpose": lambda x: ops.transpose(x), "T": lambda x: x.T,
    "expand_squeeze": lambda x: ops.squeeze(ops.expand_dims(x, 1), 1),
    "clip": lambda x: ops.clip(x, -0.5, 0.5),
    "index": lambda x: x[:, ::2] * 2.0,
    "take": lambda x: ops.take(x, np.array([0, 0, 1]), axis=-1),
    "concat": lambda x: ops.concatenate([x, ops.square(x)], axis=-1),
    "stack": lambda x: ops.stack([x, 2 * x], axis=1),
    "split": lambda x: ops.split(x, [1], axis=0)[1],
    "power": lambda x: ops.power(x, 3.0), "cast": lambda x: ops.cast(x, "float64"),
    "einsum_reduce": lambda x: ops.einsum("ij->i", x) * ops.einsum("ij->j", x)[0],
    "sin": ops.sin, "cos": ops.cos, "var": lambda x: ops.var(x, axis=0),
    "std": lambda x: ops.std(x, axis=-1, keepdims=True),
    "constants": lambda x: x * ops.ones(x.shape) + ops.full(x.shape, 2.0),
}
POSITIVE = {"sqrt": ops.sqrt, "log": ops.log, "log1p": ops.log1p,
            "prod": lambda x: ops.prod(x, axis=-1), "rpow": lambda x: ops.power(x, x)}
BINARY = {"add": ops.add, "subtract": ops.subtract, "multiply": ops.multiply,
          "divide": lambda a, b: ops.divide(a, ops.exp(b)), "maximum": ops.maximum,
          "minimum": ops.minimum, "matmul": lambda a, b: ops.matmul(a, ops.transpose(b)),
          "where": lambda a, b: ops.where(a > 0, a, b),
          "einsum": lambda a, b: ops.einsum("ij,kj->ik", a, b),
          "einsum_sums": lambda a, b: ops.einsum("ij,ij->i", a, ops.square(b)), "operators": lambda a, b: (a - b) * a / 2}
KINKED = {"relu", "abs", "max", "min_all", "clip", "maximum", "minimum", "where"}


def check(function, inputs, kinked):
    layer = keras.layers.Lambda(function)
    layer.has_kinks = kinked
    gradcheck.assert_gradients_ok(layer, inputs)


@given(name=st.sampled_from(sorted(UNARY)), seed=SEEDS,
       rows=st.integers(2, 4), cols=st.integers(2, 4))
def test_unary_op_gradients(name, seed, rows, cols):
    x = np.random.default_rng(seed).normal(size=(rows, cols))
    x = np.where(np.abs(x) < 0.02, 0.1, x)                      # away from kinks at 0
    x = np.where(np.abs(np.abs(x) - 0.5) < 0.02, 0.7, x)        # and at the clip edges
    if name == "std":                   # a constant row has std 0, where sqrt has no slope
        x = x + np.arange(cols)
    check(UNARY[name], x, name in KINKED)


@given(name=st.sampled_from(sorted(POSITIVE)), seed=SEEDS)
def test_positive_domain_op_gradients(name, seed):
    x = np.random.default_rng(seed).uniform(0.5, 2.0, size=(3, 4))
    check(POSITIVE[name], x, False)


@given(name=st.sampled_from(sorted(BINARY)), seed=SEEDS,
       broadcast=st.booleans())
def test_binary_op_gradients_with_broadcasting(name, seed, broadcast):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(3, 4))
    b = rng.normal(size=(1, 4) if broadcast and name not in ("matmul", "einsum_sums")
                   else (3, 4))
    b = np.where(np.abs(a - b) < 0.02, b + 0.1, b)              # no ties for max/min
    a = np.where(np.abs(a) < 0.02, 0.1, a)
    check(lambda xs: BINARY[name](xs[0], xs[1]), [a, b], name in KINKED)


def test_unbroadcast_sums_the_repeated_axes():
    g = np.ones((2, 3, 4))
    assert ops.unbroadcast(g, (4,)).tolist() == [6.0] * 4
    assert ops.unbroadcast(g, (3, 1)).shape == (3, 1)


def test_ops_outside_a_tape_are_plain_numpy():
    out = ops.matmul(np.ones((2, 3)), np.ones((3, 1)))
    assert isinstance(out, np.ndarray) and out.tolist() == [[3.0], [3.0]]
    assert ops.argmax(np.array([[1, 5, 2]]), axis=-1).tolist() == [1]
    assert ops.one_hot(np.array([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]


class OpsDense(keras.layers.Layer):
    """A custom layer exactly as a Keras tutorial writes it."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation = units, activation

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="glorot_uniform", name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        z = ops.matmul(inputs, self.w) + self.b
        return ops.relu(z) if self.activation == "relu" else z


def test_a_custom_layer_trains_like_the_built_in_one():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 5)).astype("float32"), rng.normal(size=(32, 1))

    def run(hidden):
        model = keras.Sequential([keras.Input((5,)), hidden, keras.layers.Dense(1)])
        model.layers[0].set_weights([np.full((5, 4), 0.3, "float32"), np.zeros(4, "float32")])
        model.layers[1].set_weights([np.full((4, 1), 0.2, "float32"), np.zeros(1, "float32")])
        model.compile(keras.optimizers.Adam(0.01), "mse")
        return model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0)

    custom = run(OpsDense(4, activation="relu")).history["loss"]
    builtin = run(keras.layers.Dense(4, activation="relu")).history["loss"]
    np.testing.assert_allclose(custom, builtin, rtol=1e-5)


def test_custom_layer_output_shape_and_gradcheck():
    layer = OpsDense(3)
    x = keras.Input((7,))
    assert layer(x).shape == (None, 3)
    gradcheck.assert_gradients_ok(OpsDense(2), np.random.default_rng(1).normal(size=(4, 3)))


def test_lambda_layers_train():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3),
                              keras.layers.Lambda(lambda x: ops.tanh(x) * 2.0),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x = np.random.default_rng(0).normal(size=(16, 2)).astype("float32")
    history = model.fit(x, x[:, :1] * 0.5, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_raw_numpy_in_call_explains_the_two_ways_out():
    class RawNumpy(keras.layers.Layer):
        def call(self, inputs):
            return np.exp(inputs)

    with pytest.raises(TypeError, match=r'"raw_numpy".*keras\.ops.*backward'):
        RawNumpy()(np.ones((2, 2)))


def test_lambda_config_never_runs_code():
    def double(x):
        return 2.0 * x
    config = keras.layers.Lambda(double).get_config()
    assert config["function"] == "double"
    with pytest.raises(ValueError, match="never runs code"):
        keras.layers.Lambda.from_config(config)
    clone = keras.layers.Lambda.from_config(config, custom_objects={"double": double})
    assert clone(np.ones((1, 2))).tolist() == [[2.0, 2.0]]


class Residual(keras.layers.Layer):
    """A custom layer that owns sub-layers, as Keras tutorials write residual blocks."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.inner = keras.layers.Dense(units, activation="tanh")
        self.drop = keras.layers.Dropout(0.3)

    def call(self, x, training=False):
        return x + self.drop(self.inner(x), training=training)


def test_sub_layers_are_tracked_and_differentiated_as_single_ops():
    layer = Residual(4)
    x = np.random.default_rng(0).normal(size=(3, 4))
    assert layer(x).shape == (3, 4)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    for training in (False, True):                     # dropout only when training
        gradcheck.assert_gradients_ok(layer, x, training=training)


class TwoLayerModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.out = keras.layers.Dense(3, activation="softmax")

    def call(self, inputs):
        return self.out(self.hidden(inputs))


def test_a_subclassed_model_trains_like_the_sequential_one():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(24, 4)).astype("float32"), np.arange(24) % 3
    subclassed, sequential = TwoLayerModel(), keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(3, activation="softmax")])
    subclassed(x[:1])                                  # build on data, as in Keras
    subclassed.set_weights(sequential.get_weights())
    assert subclassed.name == "two_layer_model"
    results = []
    for model in (subclassed, sequential):
        model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        results.append(model.fit(x, y, batch_size=8, epochs=2, shuffle=False,
                                 verbose=0).history)
    np.testing.assert_allclose(results[0]["loss"], results[1]["loss"], rtol=1e-5)
    gradcheck.assert_gradients_ok(subclassed, x[:3].astype(float))


class Scaled(keras.layers.Layer):
    """Arithmetic directly on weights, as on Keras variables."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="s")

    def call(self, x):
        return x * (self.scale * 2.0 - 1.0) + (-self.scale) ** 2


def test_weights_support_arithmetic_on_the_tape():
    layer = Scaled()
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_allclose(layer(x), x * 1.0 + 1.0, rtol=1e-6)
    gradcheck.assert_gradients_ok(layer, x)
    assert (layer.scale * 3.0).tolist() == [3.0] * 4        # outside a tape: plain NumPy
