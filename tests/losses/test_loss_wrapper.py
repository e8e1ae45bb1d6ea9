"""Plain functions as losses and metrics: values with NumPy, gradients with keras.ops."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import gradcheck, losses, metrics, ops


# ======================================================= plain functions
def test_plain_function_wrapper_has_values_but_no_gradient():
    def squared(y_true, y_pred):
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    loss = losses.get(squared)
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.name == "squared"
    assert loss(np.zeros((2, 2)), np.ones((2, 2))) == pytest.approx(1.0)
    with pytest.raises(TypeError, match=r"'squared': np\.mean.*keras\.ops\.mean"):
        loss.value_and_gradient(np.zeros((2, 2)), np.ones((2, 2)))
    assert losses.get(lambda y, p: y - p).name == "loss_function_wrapper"


def test_a_loss_written_with_ops_trains_like_the_built_in_one():
    def my_mse(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    def rmse(y_true, y_pred):                       # one number for the batch
        return ops.sqrt(ops.mean(ops.square(y_true - y_pred)))

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 1))

    def run(loss):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                                  keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(0.1), loss)
        return model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)

    np.testing.assert_allclose(run(my_mse).history["loss"], run("mse").history["loss"],
                               rtol=1e-6)
    assert run(rmse).history["loss"][1] < run(rmse).history["loss"][0]
    for fn in (my_mse, rmse):
        gradcheck.assert_gradients_ok(losses.LossFunctionWrapper(fn), y, rng.normal(size=(16, 1)))


def test_a_metric_written_with_ops_reports_values():
    def mean_error(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, kernel_initializer="zeros")])
    model.compile("sgd", "mse", metrics=[mean_error])
    logs = model.evaluate(np.ones((4, 2)), np.full((4, 1), 3.0), verbose=0, return_dict=True)
    assert logs["mean_error"] == pytest.approx(3.0)
    assert isinstance(metrics.get(mean_error), metrics.MeanMetricWrapper)
