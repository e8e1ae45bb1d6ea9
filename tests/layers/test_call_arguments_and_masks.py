"""The graph engine: masks flowing between layers, and keyword arguments of layer calls.

The layers here are small stand-ins written for the test, so the engine is tested
on its own, independently of Embedding, RNNs or attention.
"""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import gradcheck, layers
from kerastutor.models.training import masked_sample_weight
from helpers import random_array


class ZeroStepsMask(layers.Layer):
    """Identity that masks the time steps whose features are all (nearly) zero.

    The tolerance keeps the mask fixed under the gradient checker's tiny steps.
    """

    def forward(self, x, training=False):
        return x, None

    def backward(self, cache, grad_out):
        return grad_out

    def compute_mask(self, inputs, mask=None):
        return np.any(np.abs(inputs) > 1e-3, axis=-1)


class MaskedMeanOverTime(layers.Layer):
    """Mean over the kept time steps: y = sum_t m_t x_t / sum_t m_t."""

    def forward(self, x, training=False, mask=None):
        m = np.ones(x.shape[:2], x.dtype) if mask is None else mask.astype(x.dtype)
        weights = m / m.sum(axis=1, keepdims=True)
        return np.einsum("nt,ntf->nf", weights, x), weights

    def backward(self, cache, grad_out):
        return cache[:, :, None] * grad_out[:, None, :]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


class AddState(layers.Layer):
    """y = x + s for a tensor keyword argument ``state`` (as an RNN's initial_state)."""

    call_tensor_arguments = ("state",)

    def forward(self, x, training=False, state=None, scale=1.0):
        return scale * x + (0 if state is None else state[0]), (scale, state is not None)

    def backward(self, cache, grad_out):
        scale, has_state = cache
        if not has_state:
            return scale * grad_out
        return scale * grad_out, {"state": [grad_out]}

    def compute_output_shape(self, input_shape, scale=1.0):
        return input_shape


def sequences_with_padding():
    x = random_array(0, (4, 5, 3)).astype("float32")
    x[0, 3:] = 0          # sample 0: 3 real steps, sample 2: 1 real step
    x[2, 1:] = 0
    return x


def test_mask_flows_through_mask_supporting_layers_to_the_layer_that_uses_it():
    x = sequences_with_padding()
    model = keras.Sequential([keras.Input((5, 3)), ZeroStepsMask(),
                              layers.Dense(2, use_bias=False), MaskedMeanOverTime()])
    kernel = model.layers[1].kernel.value
    expected = np.stack([(x[i] @ kernel)[np.any(x[i] != 0, -1)].mean(0) for i in range(4)])
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5)


def test_a_layer_that_does_not_support_masking_drops_the_mask():
    x = sequences_with_padding()
    model = keras.Sequential([keras.Input((5, 3)), ZeroStepsMask(), layers.Reshape((5, 3)),
                              MaskedMeanOverTime()])
    np.testing.assert_allclose(model.predict(x, verbose=0), x.mean(1), rtol=1e-5)


def test_masked_model_gradients_check_out():
    model = keras.Sequential([keras.Input((5, 3)), ZeroStepsMask(), layers.Dense(2),
                              MaskedMeanOverTime()])
    gradcheck.assert_gradients_ok(model, sequences_with_padding().astype("float64"))


def test_output_mask_weights_the_loss_as_keras_does():
    """Padded steps add nothing; the mean runs over the kept steps."""
    x = sequences_with_padding()
    y = random_array(1, (4, 5, 2)).astype("float32")
    model = keras.Sequential([keras.Input((5, 3)), ZeroStepsMask(), layers.Dense(2)])
    model.compile("sgd", "mse")
    pred = model.predict(x, verbose=0)
    kept = np.any(x != 0, axis=-1)
    per_step = np.mean((pred - y) ** 2, axis=-1)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(per_step[kept].mean(), rel=1e-5)
    # and training follows the same objective: changing a padded target changes nothing
    y2 = y.copy()
    y2[~kept] = 100.0
    assert model.evaluate(x, y2, verbose=0) == pytest.approx(per_step[kept].mean(), rel=1e-5)


def test_masked_sample_weight_rule():
    mask = np.array([[True, True, False, False]])
    np.testing.assert_allclose(masked_sample_weight(None, mask, keras.losses.MeanSquaredError()),
                               [[2, 2, 0, 0]], rtol=1e-6)
    np.testing.assert_allclose(
        masked_sample_weight(np.array([3.0]), mask,
                             keras.losses.MeanSquaredError(reduction="sum")), [[3, 3, 0, 0]])


def test_tensor_keyword_argument_is_a_graph_input_with_a_gradient():
    inputs, state = keras.Input((3,)), keras.Input((3,))
    outputs = AddState()(inputs, state=[state], scale=2.0)
    model = keras.Model([inputs, state], outputs)
    a, b = random_array(2, (4, 3)), random_array(3, (4, 3))
    np.testing.assert_allclose(model.predict([a, b], verbose=0), 2 * a + b, rtol=1e-6)
    grads = model.backward(model.forward([a, b])[1], np.ones((4, 3)))
    np.testing.assert_allclose(grads[0], 2 * np.ones((4, 3)))
    np.testing.assert_allclose(grads[1], np.ones((4, 3)))
    gradcheck.assert_gradients_ok(model, [a, b])


def test_call_arguments_survive_get_config_and_from_config():
    inputs, state = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([inputs, state], AddState()(inputs, state=[state], scale=2.0))
    config = model.get_config()
    node = config["layers"][-1]["inbound_nodes"][0]
    assert node["kwargs"]["scale"] == 2.0
    assert node["kwargs"]["state"][0]["class_name"] == "__keras_tensor__"
    clone = keras.Model.from_config(config, custom_objects={"AddState": AddState})
    a, b = random_array(2, (4, 3)), random_array(3, (4, 3))
    np.testing.assert_allclose(clone.predict([a, b], verbose=0), 2 * a + b, rtol=1e-6)


def test_eager_call_passes_keyword_arguments():
    a, b = random_array(2, (4, 3)), random_array(3, (4, 3))
    np.testing.assert_allclose(AddState()(a, state=[b], scale=3.0), 3 * a + b, rtol=1e-5)


def test_unknown_call_argument_names_the_layer_and_what_it_accepts():
    with pytest.raises(ValueError, match=r'"dense_x".*unexpected call arguments.*mask'):
        layers.Dense(2, name="dense_x")(np.ones((1, 3)), mask=np.ones((1,), bool))
    with pytest.raises(ValueError, match=r"accepts: \['state', 'scale'\]"):
        AddState()(np.ones((1, 3)), sclae=2.0)
