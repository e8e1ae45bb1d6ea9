"""Small helpers shared by the test modules."""
import numpy as np


def random_array(seed, shape, scale=1.0, shift=0.0):
    """Seeded float64 normal samples: float64 keeps the gradient checks sharp."""
    return np.random.default_rng(seed).normal(loc=shift, scale=scale, size=shape)


def assert_backward_weights_matches_backward(layer, x, seed=5):
    """``backward_weights`` (training's shortcut for layers fed by data) gives the same
    weight gradients as the full ``backward``."""
    y, cache = layer.forward(x)
    g = random_array(seed, y.shape)
    for w in layer.weights:
        w.zero_grad()
    layer.backward(cache, g)
    full = [w.grad.copy() for w in layer.weights]
    for w in layer.weights:
        w.zero_grad()
    layer.backward_weights(cache, g)
    for expected, w in zip(full, layer.weights):
        np.testing.assert_allclose(w.grad, expected)
    return full


def assert_config_round_trip(layer, x):
    """A layer rebuilt from its config, given the same weights, computes the same output
    and writes the same config; returns the config for further checks."""
    y = layer(x)
    config = layer.get_config()
    clone = type(layer).from_config(config)
    clone.build((None,) + x.shape[1:])
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x), y)
    assert clone.get_config() == config
    return config
