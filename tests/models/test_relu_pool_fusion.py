"""A conv's ReLU fused with the max pooling after it (a speed-up of the fast extra).

``Functional.forward`` and ``backward`` run ``Conv2D(activation="relu") -> MaxPooling2D``
pairs as one compiled pass each way when nobody listens to the events. It must give the two layers' numbers bit
for bit, take the plain path whenever a listener (the tracer) wants the pool's own
gradient, and pair only a conv whose single reader is the pool.
"""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import compiled, events
from kerastutor.layers import convolutional, pooling
from kerastutor.models import functional

pytest.importorskip("numba", reason="the fast extra (Numba) is not installed in this env")


@pytest.fixture
def fused_calls(monkeypatch):
    """The fused passes that ran: "forward" (a conv's ReLU and the pool's maxima) and
    "backward" (the pool's backward and the ReLU's)."""
    calls = []
    backward = functional.relu_pool_backward
    monkeypatch.setattr(functional, "relu_pool_backward",
                        lambda *args: calls.append("backward") or backward(*args))
    forward = convolutional.relu_pool_forward
    monkeypatch.setattr(convolutional, "relu_pool_forward",
                        lambda *args: calls.append("forward") or forward(*args))
    return calls


def _cnn(input_shape, padding="valid", use_bias=True):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Conv2D(6, 3, activation="relu", padding=padding, use_bias=use_bias),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(8, 2, activation="relu"), keras.layers.MaxPooling2D(),
        keras.layers.Flatten(), keras.layers.Dense(4)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data(input_shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((24,) + input_shape).astype("float32")
    return x, rng.integers(0, 4, 24)


@pytest.mark.parametrize("input_shape, padding, use_bias", [
    ((12, 12, 3), "valid", True),       # 10x10 -> 5x5 -> 4x4 -> 2x2: windows tile exactly
    ((13, 15, 2), "valid", True),       # a remainder row and column at both pools
    ((9, 9, 5), "same", False)])        # no bias: no ones column either
def test_fit_with_the_fused_pass_gives_the_plain_weights(fused_calls, input_shape, padding,
                                                        use_bias):
    x, y = _data(input_shape)
    with compiled.switched(True):
        fused = _cnn(input_shape, padding, use_bias)
        fused.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    assert fused_calls.count("backward") == 2 * 3 * 2         # 2 epochs x 3 steps x 2 pairs
    assert fused_calls.count("forward") == 2 * 3 * 2
    with compiled.switched(False):                 # the plain layers, NumPy everywhere
        plain = _cnn(input_shape, padding, use_bias)
        plain.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    for a, b in zip(fused.weights, plain.weights):
        np.testing.assert_array_equal(a.value, b.value)


def test_a_listener_gets_every_layer_and_no_fused_pass(fused_calls):
    x, y = _data((12, 12, 3))
    model = _cnn((12, 12, 3))
    seen = []
    listener = events.subscribe(
        lambda name, data: seen.append(data["layer"].name) if name == "layer_backward" else None)
    try:
        with compiled.switched(True):
            model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    finally:
        events.unsubscribe(listener)
    assert not fused_calls
    assert seen.count("max_pooling2d") == 3 and seen.count("conv2d") == 3


def test_only_a_conv_read_by_the_pool_alone_is_paired():
    layers = keras.layers
    inputs = keras.Input((10, 10, 3))
    conv = layers.Conv2D(4, 3, activation="relu", name="read_twice")(inputs)
    pooled = layers.MaxPooling2D(name="pool_a")(conv)
    side = layers.GlobalAveragePooling2D()(conv)              # a second reader of that conv
    conv_b = layers.Conv2D(4, 3, activation="relu", name="read_once")(inputs)
    pooled_b = layers.MaxPooling2D(name="pool_b")(conv_b)     # the pool alone reads it
    conv_c = layers.Conv2D(4, 3, activation="tanh", name="tanh")(inputs)   # not a ReLU
    pooled_c = layers.MaxPooling2D(name="pool_c")(conv_c)
    conv_d = layers.Conv2D(4, 3, activation="relu", name="pooled_3x3")(inputs)
    pooled_d = layers.MaxPooling2D(3, strides=2, name="pool_d")(conv_d)   # overlapping windows
    flat = [layers.Flatten()(p) for p in (pooled, pooled_b, pooled_c, pooled_d)]
    model = keras.Model(inputs, layers.Concatenate()(flat + [side]))
    pairs = model._relu_pool_pairs()
    named = {model._steps[p].layer.name: model._steps[c].layer.name for p, c in pairs.items()}
    assert named == {"pool_b": "read_once"}


def test_the_fused_pass_is_the_pool_backward_then_the_relu_backward():
    rng = np.random.default_rng(4)
    y = np.maximum(rng.standard_normal((3, 9, 7, 5)).astype("float32"), 0)   # a ReLU's output
    y[0, :2, :2, 0] = 0                                  # a window of zeros: its max is 0
    y[1, 0, 0, 1] = np.nan
    layer = keras.layers.MaxPooling2D()
    with compiled.switched(True):
        _, cache = layer.forward(y, training=True)
        grad = rng.standard_normal((3, 4, 3, 5)).astype("float32")
        grad[2, 1, 1, 2] = np.inf
        want = layer.backward(cache, grad) * (y > 0)     # the two layers, one after the other
        got = pooling.relu_pool_backward(layer, cache, grad)
    np.testing.assert_array_equal(got, want)             # NaN where want has NaN
    assert got.shape == y.shape and not np.isfinite(got[2, 2:4, 2:4, 2]).any()   # inf * 0
