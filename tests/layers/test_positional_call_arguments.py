"""``layer(a, b)``: extra positional arguments reach ``call`` by position, as in Keras."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import gradcheck, layers, ops


class WeightedDifference(layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[0][-1],), initializer="ones")

    def call(self, a, b, scale=1.0, training=None):
        out = (a - b) * self.w * scale
        return out * 2.0 if training else out


A = np.random.default_rng(0).normal(size=(4, 3))
B = np.random.default_rng(1).normal(size=(4, 3))


def test_eager_positional_tensors_and_options_reach_call():
    layer = WeightedDifference()
    np.testing.assert_allclose(layer(A, B), A - B, rtol=1e-6)
    np.testing.assert_allclose(layer(A, B, 3.0), 3 * (A - B), rtol=1e-6)  # an option
    np.testing.assert_allclose(layer(A, B, 1.0, True), 2 * (A - B), rtol=1e-6)  # training


def test_in_a_graph_each_positional_tensor_is_an_input_with_its_gradient():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    model = keras.Model([a, b], WeightedDifference()(a, b))
    np.testing.assert_allclose(model.predict([A, B], verbose=0), A - B, rtol=1e-6)
    report = gradcheck.check_model(model, [A, B], np.zeros((4, 3)), loss="mse")
    assert report.passed, report


def test_positional_tensors_inside_another_layers_call_are_differentiated():
    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = WeightedDifference()

        def call(self, x):
            return self.inner(x, ops.square(x))

    report = gradcheck.check_layer(Outer(), A)
    assert report.passed, report


def test_too_many_positional_arguments_name_the_parameters():
    with pytest.raises(TypeError, match=r'"weighted_difference.*takes at most 4 positional arguments \(a, b, scale, training\), got 6'):
        WeightedDifference(name="weighted_difference")(A, B, 1.0, False, "extra", "more")
