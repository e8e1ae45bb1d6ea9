"""Names: strings, aliases and layer classes resolve to the objects Keras names."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import activations, initializers, losses, metrics

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
