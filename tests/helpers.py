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


class WithMaskAndState:
    """Adapter for check_layer: input [x, *initial_states] (or x), fixed mask, training."""

    built = True

    def __init__(self, layer, mask=None, with_state=False):
        self.layer, self.mask, self.with_state = layer, mask, with_state
        self.name = layer.name
        self.has_kinks = getattr(layer, "has_kinks", False)

    @property
    def weights(self):
        return self.layer.weights

    def forward(self, xs, training=False):
        if self.with_state:
            return self.layer.forward(xs[0], training, mask=self.mask, initial_state=xs[1:])
        return self.layer.forward(xs, training, mask=self.mask)

    def backward(self, cache, grad_out):
        grad = self.layer.backward(cache, grad_out)
        if self.with_state:
            dx, extra = grad
            return [dx] + list(extra["initial_state"])
        return grad
