"""Regularizers (penalty and gradient), constraints (projections), callbacks, name registries."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import activations, callbacks, constraints, initializers, regularizers
from kerastutor.gradcheck import numerical_gradient

W = np.array([[1.0, -2.0], [0.5, 0.0]])


@pytest.mark.parametrize("regularizer, penalty", [
    (regularizers.L1(0.1), 0.1 * 3.5), (regularizers.L2(0.1), 0.1 * 5.25),
    (regularizers.L1L2(l1=0.1, l2=0.2), 0.1 * 3.5 + 0.2 * 5.25),
    (regularizers.l2(0.01), 0.01 * 5.25), (regularizers.l1_l2(0.0, 0.0), 0.0),
    (regularizers.l1(0.2), 0.2 * 3.5)])
def test_regularizer_penalties_and_gradients(regularizer, penalty):
    assert isinstance(regularizer, regularizers.Regularizer)
    assert regularizer(W) == pytest.approx(penalty)
    w = W + 0.05                                   # away from the kink of |w| at 0
    numerical = numerical_gradient(lambda v: np.asarray(regularizer(v)), w.copy())
    np.testing.assert_allclose(regularizer.gradient(w), numerical, rtol=1e-6, atol=1e-9)


def test_regularizer_penalty_enters_the_reported_loss():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, kernel_initializer="ones", kernel_regularizer="l2")])
    model.compile(keras.optimizers.SGD(0.0), "mse")
    x, y = np.ones((4, 2), "float32"), np.full((4, 1), 2.0, "float32")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(0.0 + 0.01 * 2.0)
    assert regularizers.get("l1l2").get_config() == {"l1": 0.0, "l2": 0.0}
    with pytest.raises(ValueError, match="Did you mean 'l2'"):
        regularizers.get("l2x")


def test_constraints_project_after_each_step():
    np.testing.assert_array_equal(constraints.NonNeg()(W), [[1.0, 0.0], [0.5, 0.0]])
    norms = np.linalg.norm(constraints.MaxNorm(1.0)(W), axis=0)
    assert (norms <= 1.0 + 1e-6).all()
    np.testing.assert_allclose(np.linalg.norm(constraints.UnitNorm()(W), axis=0), 1.0,
                               rtol=1e-6)
    limited = np.linalg.norm(constraints.MinMaxNorm(1.5, 2.0)(W), axis=0)
    assert ((limited >= 1.5 - 1e-6) & (limited <= 2.0 + 1e-6)).all()
    assert isinstance(constraints.get("non_neg"), constraints.NonNeg)
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm
    assert constraints.unit_norm is constraints.UnitNorm
    assert constraints.non_neg is constraints.NonNeg
    assert isinstance(constraints.Constraint()(W), np.ndarray)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(
        1, kernel_constraint="non_neg", kernel_initializer="ones")])
    model.compile(keras.optimizers.SGD(1.0), "mse")
    model.fit(np.ones((4, 2), "float32"), np.full((4, 1), -10.0, "float32"), verbose=0)
    assert (model.layers[0].kernel.value >= 0).all()


def test_history_lambda_callback_and_callback_list():
    seen = []
    lam = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[lam])
    assert seen == [0, 1, 2]
    assert isinstance(history, callbacks.History) and len(history.history["loss"]) == 3
    with pytest.raises(TypeError, match="instance"):
        callbacks.CallbackList([callbacks.History])


def test_progbar_logger_is_added_once(capsys):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=2,
              callbacks=[callbacks.ProgbarLogger()])
    assert capsys.readouterr().out.count("1/1") == 1


@pytest.mark.parametrize("module, name, cls", [
    (activations, "sigmoid", "Sigmoid"), (activations, "leaky_relu", "LeakyReLU"),
    (activations, "relu6", "ReLU6"), (activations, "softplus", "Softplus"),
    (activations, "softsign", "Softsign"), (activations, "selu", "SELU"),
    (activations, "hard_sigmoid", "HardSigmoid"), (activations, "mish", "Mish"),
    (initializers, "zeros", "Zeros"), (initializers, "ones", "Ones"),
    (initializers, "identity", "Identity"), (initializers, "variance_scaling", "VarianceScaling"),
])
def test_string_names_resolve_to_their_classes(module, name, cls):
    obj = module.get(name)
    assert type(obj).__name__ == cls
    assert isinstance(obj, activations.ActivationFunction if module is activations
                      else initializers.Initializer)


def test_input_spec_names_the_layer_and_the_axis():
    spec = keras.layers.InputSpec(ndim=3, axes={-1: 4})
    dense = keras.layers.Dense(2, name="probe")
    spec.check(dense, (None, 5, 4))
    with pytest.raises(ValueError, match=r'layer "probe".*expected ndim=3, found ndim=2'):
        spec.check(dense, (None, 4))
    with pytest.raises(ValueError, match="axis -1 of input shape to have value 4"):
        spec.check(dense, (None, 5, 3))


def test_get_layer_class_looks_up_names_only():
    assert keras.layers.get_layer_class("Dense") is keras.layers.Dense
    with pytest.raises(ValueError, match="Did you mean 'Dense'.*custom_objects"):
        keras.layers.get_layer_class("Dence")


def test_loss_and_initializer_aliases():
    from kerastutor import losses, metrics
    assert losses.MAPE is losses.mean_absolute_percentage_error
    assert losses.MSLE is losses.mean_squared_logarithmic_error
    y, p = np.array([[2.0, 4.0]]), np.array([[1.0, 5.0]])
    np.testing.assert_allclose(losses.MAPE(y, p), [100 * (0.5 + 0.25) / 2])
    np.testing.assert_allclose(losses.MSLE(y, p), [((np.log(2) - np.log(3)) ** 2 +
                                                    (np.log(6) - np.log(5)) ** 2) / 2])
    assert initializers.random_uniform is initializers.RandomUniform
    assert initializers.glorot_normal is initializers.GlorotNormal
    assert initializers.lecun_normal is initializers.LecunNormal
    assert issubclass(initializers.GlorotNormal, initializers.RandomInitializer)
    mean = metrics.Mean()
    mean.update_state([2.0, 4.0])
    assert all(isinstance(v, metrics.MetricVariable) for v in mean.variables)
    assert [float(v) for v in mean.variables] == [6.0, 2.0]


def test_monitor_and_rate_bases_are_shared():
    from kerastutor import metrics
    assert issubclass(callbacks.EarlyStopping, callbacks.MonitorCallback)
    assert issubclass(callbacks.ReduceLROnPlateau, callbacks.MonitorCallback)
    for cls in (metrics.PrecisionAtRecall, metrics.RecallAtPrecision,
                metrics.SensitivityAtSpecificity, metrics.SpecificityAtSensitivity):
        assert issubclass(cls, metrics.SensitivitySpecificityBase)
