"""A custom layer called on a dict of tensors receives the dict, as in Keras.

Eagerly, in a functional graph (``Model({"a": a, "b": b}, MyLayer()({"a": a, "b": b}))``)
and inside another layer's ``call``; ``build`` receives a dict of shapes.
"""
import numpy as np

import kerastutor as keras
from kerastutor import gradcheck, ops

RNG = np.random.default_rng(0)
XA = RNG.normal(size=(6, 3)).astype("float32")
XB = RNG.normal(size=(6, 3)).astype("float32")


class Mix(keras.layers.Layer):
    """``(2 a + b) W``: reads its inputs by key."""

    def build(self, input_shape):
        self.seen_shape = input_shape
        self.w = self.add_weight(shape=(input_shape["a"][-1], 2), initializer="random_normal")

    def call(self, inputs):
        return ops.matmul(inputs["a"] * 2.0 + inputs["b"], self.w)


def expected(layer, a, b):
    return (2.0 * a + b) @ layer.w.numpy()


def test_an_eager_call_receives_the_dict():
    layer = Mix()
    y = layer({"a": XA, "b": XB})
    np.testing.assert_allclose(y, expected(layer, XA, XB), rtol=1e-6)
    assert layer.seen_shape == {"a": (None, 3), "b": (None, 3)}


def test_a_functional_model_with_a_dict_input_predicts():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    layer = Mix()
    model = keras.Model({"a": a, "b": b}, layer({"a": a, "b": b}))
    assert layer.seen_shape == {"a": (None, 3), "b": (None, 3)}
    y = model.predict({"a": XA, "b": XB}, verbose=0)
    np.testing.assert_allclose(y, expected(layer, XA, XB), rtol=1e-6)


def test_the_keys_not_the_order_decide_what_the_layer_gets():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    layer = Mix()
    model = keras.Model([b, a], layer({"b": b, "a": a}))
    y = model.predict([XB, XA], verbose=0)
    np.testing.assert_allclose(y, expected(layer, XA, XB), rtol=1e-6)


def test_a_one_key_dict_in_a_graph():
    class Triple(keras.layers.Layer):
        def call(self, inputs):
            return inputs["x"] * 3.0

    x = keras.Input((3,))
    model = keras.Model(x, Triple()({"x": x}))
    np.testing.assert_allclose(model.predict(XA, verbose=0), 3.0 * XA, rtol=1e-6)


def test_training_and_gradients_through_a_dict_layer():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    model = keras.Model({"a": a, "b": b}, Mix()({"a": a, "b": b}))
    assert gradcheck.check_model(model, [XA.astype("float64"), XB.astype("float64")]).passed
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    history = model.fit({"a": XA, "b": XB}, np.zeros((6, 2)), epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_a_dict_given_to_a_layer_inside_call():
    class Model(keras.Model):
        def __init__(self):
            super().__init__()
            self.mix = Mix()

        def call(self, x):
            return self.mix({"a": x, "b": x * 0.5})

    model = Model()
    y = model(XA)
    np.testing.assert_allclose(y, expected(model.mix, XA, 0.5 * XA), rtol=1e-5)
    assert gradcheck.check_model(model, XA.astype("float64")).passed
