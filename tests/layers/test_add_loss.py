"""``Layer.add_loss`` and ``layer.losses``/``model.losses`` as in Keras 3.15.1.

The numbers marked "Keras" were printed by keras 3.15.1 (torch backend) for the
same fixed weights and data; tests/oracle/test_add_loss_against_keras.py
recomputes them with real Keras when KERASTUTOR_ORACLE=1.
"""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import gradcheck, ops

X = np.arange(12, dtype="float32").reshape(4, 3) / 10
Y = np.ones((4, 2), dtype="float32")


class ActivityRegularizationLayer(keras.layers.Layer):
    """The guide's layer: adds ``rate * sum(inputs)`` and passes its input on."""

    def __init__(self, rate=1e-2, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.sum(inputs))
        return inputs


class PenalisedLinear(keras.layers.Layer):
    """tanh(x W + b), adding a penalty on its output and one on its kernel."""

    def __init__(self, units=3, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rate = units, rate

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal")

    def call(self, x):
        y = ops.tanh(ops.matmul(x, self.w) + self.b)
        self.add_loss(self.rate * ops.sum(ops.square(y)))
        self.add_loss(0.05 * ops.sum(self.w ** 2))
        return y


def regularized_model():
    """Dense(ones kernel, L2(0.1) kernel penalty, L1(0.5) activity) -> add_loss(0.5 sum)."""
    inputs = keras.Input((3,))
    h = keras.layers.Dense(2, kernel_initializer="ones", bias_initializer="zeros",
                           kernel_regularizer=keras.regularizers.l2(0.1),
                           activity_regularizer=keras.regularizers.l1(0.5))(inputs)
    return keras.Model(inputs, ActivityRegularizationLayer(0.5)(h))


# ------------------------------------------------------------------ model.losses
def test_model_losses_hold_activity_add_loss_and_weight_terms_in_keras_order():
    model = regularized_model()
    # Before any call only the weight penalty: 0.1 * sum(ones(3, 2)**2) = 0.6 (Keras too).
    np.testing.assert_allclose([float(v) for v in model.losses], [0.6], rtol=1e-6)
    model(X)
    h = X @ np.ones((3, 2))
    by_hand = [0.5 * np.abs(h).sum() / len(X),       # activity L1, divided by the batch
               0.5 * h.sum(),                        # add_loss of the custom layer
               0.1 * 6.0]                            # kernel L2
    np.testing.assert_allclose([float(v) for v in model.losses], by_hand, rtol=1e-6)
    np.testing.assert_allclose(by_hand, [1.65, 6.6, 0.6], rtol=1e-6)   # Keras


def test_losses_are_reset_at_each_outermost_call():
    class OuterLayer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularizationLayer(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    layer = OuterLayer()
    assert layer.losses == []
    layer(np.ones((1, 1)))
    assert len(layer.losses) == 1
    layer(2 * np.ones((1, 1)))
    assert len(layer.losses) == 1                         # not 2: reset, not appended
    np.testing.assert_allclose(float(layer.losses[0]), 0.02)
    assert len(layer.activity_reg.losses) == 1


def test_a_symbolic_call_leaves_no_losses():
    layer = ActivityRegularizationLayer()
    layer(keras.Input((3,)))
    assert layer.losses == []


def test_a_layer_used_twice_in_one_graph_keeps_both_terms():
    shared = ActivityRegularizationLayer(1.0)
    inputs = keras.Input((3,))
    relu = keras.layers.Activation("relu")          # X >= 0: relu passes it unchanged
    model = keras.Model(inputs, shared(relu(shared(inputs))))
    model.predict(X, verbose=0)
    np.testing.assert_allclose(sorted(float(v) for v in model.losses),
                               [X.sum(), X.sum()], rtol=1e-6)


def test_nested_layers_and_kernel_regularizers_are_collected():
    class OuterLayerWithKernelRegularizer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))

        def call(self, inputs):
            return self.dense(inputs)

    layer = OuterLayerWithKernelRegularizer()
    layer(np.zeros((1, 1)))
    kernel = layer.dense.kernel.numpy()
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 1e-3 * np.sum(kernel ** 2), rtol=1e-5)


def test_a_non_scalar_loss_counts_as_its_sum():
    class Rows(keras.layers.Layer):
        def call(self, x):
            self.add_loss(ops.sum(x, axis=1))          # one term per sample
            return x

    inputs = keras.Input((3,))
    model = keras.Model(inputs, Rows()(inputs))
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    assert model.evaluate(X, verbose=0) == pytest.approx(float(X.sum()), rel=1e-6)


def test_add_loss_refuses_what_is_not_a_number():
    class Bad(keras.layers.Layer):
        def call(self, x):
            self.add_loss("l2")
            return x

    with pytest.raises(ValueError, match=r'"bad.*add_loss\(\) needs a tensor of numbers'):
        Bad(name="bad")(X)


# ------------------------------------------------------------------ the training loss
def test_fit_evaluate_and_train_on_batch_include_the_added_losses():
    model = regularized_model()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    mse = float(np.mean((Y - X @ np.ones((3, 2))) ** 2))
    expected = mse + 1.65 + 6.6 + 0.6                 # Keras: 10.28499984741211
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(10.285, rel=1e-6)
    assert expected == pytest.approx(10.285, rel=1e-6)
    history = model.fit(X, Y, batch_size=4, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(10.285, rel=1e-6)
    assert model.train_on_batch(X, Y) == pytest.approx(10.285, rel=1e-6)


def test_compile_without_a_loss_trains_on_the_added_losses():
    model = regularized_model()
    model.compile(optimizer=keras.optimizers.SGD(0.0))      # no loss: Keras gives 8.85
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(8.85, rel=1e-6)
    assert model.fit(X, Y, batch_size=4, verbose=0).history["loss"][0] == \
        pytest.approx(8.85, rel=1e-6)
    assert model.fit(X, batch_size=4, verbose=0).history["loss"][0] == \
        pytest.approx(8.85, rel=1e-6)                       # no targets needed


def test_compile_without_a_loss_when_nothing_adds_one_fails_as_keras():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam")
    for run in (lambda: model.fit(X, Y, verbose=0), lambda: model.evaluate(X, Y, verbose=0),
                lambda: model.train_on_batch(X, Y)):
        with pytest.raises(ValueError, match=r"No loss to compute. Provide a `loss` argument "
                                             r"in `compile\(\)`"):
            run()


def test_fit_without_targets_needs_a_model_compiled_without_a_loss():
    model = regularized_model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="y .*required.*add_loss"):
        model.fit(X, verbose=0)


def test_training_on_add_loss_alone_lowers_it():
    class Model(keras.Model):
        def __init__(self):
            super().__init__()
            self.linear = PenalisedLinear(2, rate=0.1)

        def call(self, x):
            z = self.linear(x)
            self.add_loss(0.5 * ops.mean(ops.square(z - 1.0)))
            return z

    keras.utils.set_random_seed(0)
    model = Model()
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    history = model.fit(X, epochs=20, batch_size=4, verbose=0).history["loss"]
    assert history[-1] < 0.8 * history[0]      # it stays put if add_loss had no gradient


# ------------------------------------------------------------------ gradients
def test_gradcheck_of_an_add_loss_layer_reaches_inputs_and_weights():
    x = np.random.default_rng(0).normal(size=(5, 3))
    layer = PenalisedLinear(3, rate=0.3)
    report = gradcheck.check_layer(layer, x)
    assert report.passed, report
    y, cache = layer.forward(x)
    assert cache.penalty == pytest.approx(0.3 * np.sum(y ** 2) +
                                          0.05 * np.sum(layer.w.numpy() ** 2))


def test_the_added_loss_gradient_is_the_one_of_its_formula():
    """dL/dx of rate * sum(x) is rate everywhere, whatever flows from the output."""
    layer = ActivityRegularizationLayer(0.25)
    _, cache = layer.forward(X)
    np.testing.assert_allclose(layer.backward(cache, np.zeros_like(X)), 0.25)
    np.testing.assert_allclose(layer.backward(cache, np.ones_like(X)), 1.25)


def test_backward_of_an_add_loss_layer_is_repeatable():
    layer = PenalisedLinear(3, rate=0.3)
    gradcheck.assert_backward_repeatable(layer, np.random.default_rng(1).normal(size=(4, 3)))


def test_gradcheck_of_nested_losses_in_a_subclassed_model():
    """Losses three levels deep, one from a layer whose output is not used."""
    class Outer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.first = PenalisedLinear(4, rate=0.3)
            self.unused = PenalisedLinear(2, rate=0.2)
            self.dense = keras.layers.Dense(2, activity_regularizer="l2")

        def call(self, x):
            h = self.first(x)
            self.unused(h)                     # only its losses count
            return self.dense(h)

    class Model(keras.Model):
        def __init__(self):
            super().__init__()
            self.outer = Outer()
            self.head = PenalisedLinear(1, rate=0.1)

        def call(self, x):
            z = self.head(self.outer(x))
            self.add_loss(0.5 * ops.mean(ops.square(z)))
            return z

    x = np.random.default_rng(2).normal(size=(5, 3))
    model = Model()
    model(x)
    assert len(model.losses) == 8          # 1 own + 2 + 2 + 1 activity + 2
    assert gradcheck.check_model(model, x).passed
    assert gradcheck.check_model(model, x, np.zeros((5, 1)), "mse").passed


def test_gradcheck_of_a_functional_model_with_added_losses():
    inputs = keras.Input((3,))
    h = PenalisedLinear(4, rate=0.3)(inputs)
    h = keras.layers.Dense(2, activity_regularizer="l1")(h)
    model = keras.Model(inputs, PenalisedLinear(2, rate=0.1)(h))
    x = np.random.default_rng(3).normal(size=(5, 3))
    assert gradcheck.check_model(model, x).passed
    assert gradcheck.check_model(model, x, np.zeros((5, 2)), "mse").passed


def test_a_vae_shaped_model_trains_through_a_layer_with_several_outputs():
    """The guide's VAE with a fixed "sample" (z = mean + 0.1 exp(log_var / 2)): the
    encoder returns three tensors inside the model's call, the model adds a KL term."""
    class Encoder(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense_proj = keras.layers.Dense(8, activation="relu")
            self.dense_mean = keras.layers.Dense(2)
            self.dense_log_var = keras.layers.Dense(2)

        def call(self, inputs):
            x = self.dense_proj(inputs)
            z_mean, z_log_var = self.dense_mean(x), self.dense_log_var(x)
            return z_mean, z_log_var, z_mean + ops.exp(0.5 * z_log_var) * 0.1

    class AutoEncoder(keras.Model):
        def __init__(self):
            super().__init__()
            self.encoder = Encoder()
            self.decoder = keras.layers.Dense(6, activation="sigmoid")

        def call(self, inputs):
            z_mean, z_log_var, z = self.encoder(inputs)
            kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
            self.add_loss(kl_loss)
            return self.decoder(z)

    x = np.random.default_rng(4).random((32, 6))
    model = AutoEncoder()
    model(x)
    assert len(model.losses) == 1
    assert gradcheck.check_model(model, x[:4], x[:4], "mse").passed
    model.compile(keras.optimizers.Adam(1e-2), loss="mse")
    history = model.fit(x.astype("float32"), x.astype("float32"), epochs=10, batch_size=8,
                        verbose=0).history["loss"]
    assert history[-1] < history[0]
