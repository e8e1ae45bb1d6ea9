"""Your own train_step/test_step/predict_step, and keras.GradientTape (issue 16)."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import ops
from kerastutor.gradcheck import numerical_gradient


def _data(n=40, features=6):
    rng = np.random.RandomState(0)
    return (rng.standard_normal((n, features)).astype("float32"),
            rng.standard_normal((n, 1)).astype("float32"))


class StepModel(keras.Model):
    """The guide's train_step: tape, compute_loss, optimizer.apply, metrics."""

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with keras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)
        return self.compute_metrics(x, y, y_pred, sample_weight)


def _functional(cls, regularized=False, seed=3):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(6,))
    hidden = keras.layers.Dense(5, activation="tanh",
                                kernel_regularizer="l2" if regularized else None)(inputs)
    outputs = keras.layers.Dense(1)(hidden)
    model = cls(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


@pytest.mark.parametrize("regularized", [False, True])
def test_own_train_step_gives_the_weights_of_the_built_in_fit(regularized):
    x, y = _data()
    own, built_in = _functional(StepModel, regularized), _functional(keras.Model, regularized)
    own.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    built_in.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    for a, b in zip(own.get_weights(), built_in.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_sample_weight_reaches_the_step():
    x, y = _data()
    weights = np.linspace(0.1, 2.0, len(x)).astype("float32")
    own, built_in = _functional(StepModel), _functional(keras.Model)
    own.fit(x, y, sample_weight=weights, epochs=1, batch_size=8, shuffle=False, verbose=0)
    built_in.fit(x, y, sample_weight=weights, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(own.get_weights(), built_in.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_built_in_train_step_is_still_reachable_with_super():
    class Wrapper(keras.Model):
        def train_step(self, data):
            return super().train_step(data)
    x, y = _data()
    own, built_in = _functional(Wrapper), _functional(keras.Model)
    history = own.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    expected = built_in.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert history.history == expected.history


class Tracked(keras.Model):
    """Mean trackers of the model's own, listed by a ``metrics`` property (the guide)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

    def train_step(self, data):
        x, y = data
        with keras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = ops.mean(ops.square(y_pred - y))
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(ops.mean(ops.square(y_pred - y)))
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def test_own_trackers_are_reset_each_epoch_and_logged():
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(6,))
    model = Tracked(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd")
    x, y = _data()
    history = model.fit(x, y, epochs=2, batch_size=10, verbose=0, validation_data=(x, y))
    assert sorted(history.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert history.history["loss"][1] < history.history["loss"][0]
    logs = model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], np.mean((model.predict(x, verbose=0) - y) ** 2),
                               rtol=1e-5)


def test_predict_step_override():
    class Doubled(keras.Model):
        def predict_step(self, data):
            x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
            return 2 * self(x, training=False)
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(6,))
    model = Doubled(inputs, keras.layers.Dense(2)(inputs))
    x, _ = _data()
    np.testing.assert_allclose(model.predict(x, batch_size=7, verbose=0),
                               2 * model.predict_on_batch(x), rtol=1e-6)


def test_a_hand_written_loop_matches_fit():
    x, y = _data()
    looped, fitted = _functional(keras.Model), _functional(keras.Model)
    fitted.fit(x, y, epochs=2, batch_size=10, shuffle=False, verbose=0)
    loss_fn, optimizer = keras.losses.MeanSquaredError(), looped.optimizer
    for _ in range(2):
        for start in range(0, len(x), 10):
            xb, yb = x[start:start + 10], y[start:start + 10]
            with keras.GradientTape() as tape:
                loss = loss_fn(yb, looped(xb, training=True))
            grads = tape.gradient(loss, looped.trainable_weights)
            optimizer.apply(grads, looped.trainable_weights)
    on_host = keras.backend.get_device() == "cpu"
    for a, b in zip(looped.get_weights(), fitted.get_weights()):
        if on_host:                                  # the very same float32 operations
            np.testing.assert_array_equal(a, b)
        else:                                        # the tape's loss runs on host copies
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


class Scale(keras.layers.Layer):
    """A custom layer (keras.ops, differentiated by the op tape)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return ops.tanh(inputs * self.w)


def test_tape_gradients_match_numerical_gradients():
    keras.backend.set_floatx("float64")
    try:
        keras.utils.set_random_seed(1)
        inputs = keras.Input(shape=(4,))
        outputs = keras.layers.Dense(3)(Scale()(inputs))
        model = keras.Model(inputs, outputs)
        rng = np.random.RandomState(2)
        x, y = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
        with keras.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = ops.mean(ops.square(y_pred - y)) + ops.sum(y_pred) * 0.1
        grads = tape.gradient(loss, model.trainable_weights)

        def objective(_):
            pred = model.predict_on_batch(x)
            return float(np.mean((pred - y) ** 2) + 0.1 * np.sum(pred))
        for weight, grad in zip(model.trainable_weights, grads):
            numerical = numerical_gradient(objective, weight.value)
            np.testing.assert_allclose(grad, numerical, rtol=1e-5, atol=1e-7)
    finally:
        keras.backend.set_floatx("float32")


def test_gradient_of_a_value_not_recorded_is_a_kind_error():
    model = _functional(keras.Model)
    x, y = _data()
    y_pred = model(x)                                # outside the tape: plain numbers
    with keras.GradientTape() as tape:
        pass
    with pytest.raises(TypeError, match="target=.*traced value.*got (float32|DeviceArray)"):
        tape.gradient(np.mean(y_pred), model.trainable_weights)
    with pytest.raises(RuntimeError, match="never recorded"):
        keras.GradientTape().gradient(y_pred, model.trainable_weights)


def test_sources_must_be_weights_and_tapes_do_not_nest():
    model = _functional(keras.Model)
    x, _ = _data()
    with keras.GradientTape() as tape:
        loss = ops.sum(model(x))
    with pytest.raises(TypeError, match="sources=.*ndarray at position 0"):
        tape.gradient(loss, [np.zeros(3)])
    with keras.GradientTape():
        with pytest.raises(RuntimeError, match="do not nest"):
            keras.GradientTape().__enter__()


def test_a_step_that_returns_no_dict_is_told_so():
    class Bad(keras.Model):
        def train_step(self, data):
            return 1.0
    model = _functional(Bad)
    x, y = _data()
    with pytest.raises(TypeError, match="must return a dict of logs"):
        model.fit(x, y, verbose=0)


def test_reset_metrics_and_metrics_list():
    model = _functional(keras.Model)
    x, y = _data()
    model.fit(x, y, verbose=0)
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics"]     # as in Keras
    model.reset_metrics()
    assert model.get_metrics_result() == {"loss": 0.0, "mae": 0.0}


def test_compile_metrics_weight_only_the_weighted_metrics():
    """Keras's rule, also for a step that loops over self.metrics itself."""
    model = _functional(keras.Model)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], weighted_metrics=["mse"])
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    model.reset_metrics()
    y_pred = model.predict(x, verbose=0)
    weights = np.linspace(0.0, 2.0, len(x))
    compiled = model.metrics[1]
    compiled.update_state(y, y_pred, sample_weight=weights)
    result = {k: float(v) for k, v in compiled.result().items()}
    error = (y - y_pred).reshape(len(x), -1)
    np.testing.assert_allclose(result["mae"], np.abs(error).mean(), rtol=1e-5)
    per_sample = (error ** 2).mean(axis=1)
    np.testing.assert_allclose(result["mse"], (per_sample * weights).sum() / weights.sum(),
                               rtol=1e-5)


def test_keras_2_names_explain_their_keras_3_spelling():
    model = _functional(keras.Model)
    with pytest.raises(AttributeError, match=r"compiled_loss.*Keras 2.*compute_loss"):
        model.compiled_loss
    with pytest.raises(AttributeError, match=r"compiled_metrics.*compute_metrics"):
        model.compiled_metrics
    assert model.trainable_variables == model.trainable_weights
    assert model.non_trainable_variables == model.non_trainable_weights
