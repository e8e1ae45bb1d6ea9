r"""Pipeline: apply a list of layers one after the other (Keras's ``keras.layers.Pipeline``).

.. math:: y = f_K(\cdots f_2(f_1(x))\cdots), \qquad
          \frac{\partial L}{\partial x} = J_{f_1}^\top \cdots J_{f_K}^\top \frac{\partial L}{\partial y}

-- the forward pass runs the layers in order and keeps each one's cache; the
backward pass is the chain rule, each layer's own backward in reverse order.

Unlike a ``Sequential`` model it is a plain layer, meant for an augmentation
chain. Keras's quirks, kept: called directly with no ``training`` argument it
runs with ``training=True`` (so random layers augment), and its config holds
only ``layers`` and ``name``.
"""
from kerastutor import tape
from kerastutor.layers.base import Layer
from kerastutor.layers.serialization import deserialize, serialize


class Pipeline(Layer):
    r"""Applies ``layers`` in order: :math:`y = f_K \circ \cdots \circ f_1 (x)`; backward in reverse."""

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        if not isinstance(layers, (list, tuple)) or not all(isinstance(layer, Layer)
                                                            for layer in layers):
            raise ValueError(
                "Pipeline: `layers` must be a list of layers. Received: "
                f"layers={layers!r}. Fix: e.g. Pipeline([RandomFlip(), RandomRotation(0.1)]).")
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        return self._pipeline_layers

    def __call__(self, inputs, *more, training=None, **kwargs):
        """Keras's ``Pipeline.call`` defaults to ``training=True`` when called directly."""
        if training is None and not tape._TAPES:
            training = True
        return super().__call__(inputs, *more, training=training, **kwargs)

    def forward(self, x, training=False):
        caches = []
        for layer in self._pipeline_layers:
            layer._maybe_build(_shape_of(x))
            x, cache = layer.forward(x, training=training)
            caches.append(cache)
        return x, caches

    def backward(self, cache, grad_out):
        for layer, layer_cache in zip(reversed(self._pipeline_layers), reversed(cache)):
            grad_out = layer.backward(layer_cache, grad_out)
        return grad_out

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        return {"layers": [serialize(layer) for layer in self._pipeline_layers],
                "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "Pipeline: the config must contain a `layers` key mapping to a list of "
                f"serialized layers. Received config with layers={layers!r}.")
        config = dict(config)
        config["layers"] = [deserialize(layer, custom_objects) for layer in layers]
        return cls(**config)


def _shape_of(x):
    if isinstance(x, dict):
        return {key: value.shape for key, value in sorted(x.items())}
    return x.shape
