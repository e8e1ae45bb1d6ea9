"""``Sequential``: a plain stack of layers, each feeding the next.

It is a functional model whose graph is a chain. The chain can be built
three ways, as in Keras:

* ``Sequential([keras.Input((784,)), Dense(64), ...])`` -- known at once;
* ``Sequential([Dense(64, input_shape=(784,)), ...])`` -- the Keras 2 habit;
* ``Sequential([Dense(64), ...])`` -- *deferred*: the input shape is taken
  from the first batch of data the model sees (``fit``, ``predict``, a call).
"""
from kerastutor import backend
from kerastutor.layers.base import KerasTensor, Layer, format_shape
from kerastutor.layers.core import InputLayer
from kerastutor.models.serialization import sequential_config, sequential_from_config
from kerastutor.models.functional import Model


class Sequential(Model):
    """A linear stack of layers."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(name=name or backend.unique_name("sequential"), trainable=trainable)
        self._stack = []
        self._input_layer = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (or a ``keras.Input`` tensor as the first entry)."""
        if isinstance(layer, KerasTensor):
            layer = layer.history[0]
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add: expected a layer instance, got {layer!r}. "
                            "Hint: write Dense(10), with parentheses, not Dense.")
        if isinstance(layer, InputLayer):
            if self._stack or self._input_layer is not None:
                raise ValueError("Sequential: an Input can only be the first entry.")
            self._input_layer = layer
            return
        if any(existing is layer for existing in self._stack):
            raise ValueError(f"Sequential: layer {layer.name!r} is already in the model.")
        if not self._stack and self._input_layer is None and layer._batch_input_shape:
            self._input_layer = InputLayer(batch_shape=layer._batch_input_shape,
                                           dtype=layer.dtype)
        self._stack.append(layer)
        if self._input_layer is not None:
            self._chain()

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise ValueError("Sequential.pop: there are no layers to remove.")
        layer = self._stack.pop()
        if self._input_layer is not None and self._stack:
            self._chain()
        else:
            self._steps, self._layers, self.built = [], [], False
        return layer

    def _chain(self):
        """(Re)build the functional graph: input -> layer 1 -> layer 2 -> ..."""
        x = self._input_layer.output_tensor
        for index, layer in enumerate(self._stack):
            try:
                x = layer(x)
            except ValueError as err:
                raise ValueError(_shape_trace(self, index, err)) from None
        self._init_graph(self._input_layer.output_tensor, x)

    def build(self, input_shape=None):
        """Fix the input shape, e.g. ``model.build((None, 784))``."""
        if input_shape is None:
            raise ValueError("Sequential.build: give the batch input shape, e.g. (None, 784).")
        self._input_layer = InputLayer(batch_shape=tuple(input_shape))
        self._chain()

    def _ensure_built_for(self, inputs):
        if not self.built:
            if not self._stack:
                raise ValueError("Sequential model has no layers; add some with model.add().")
            first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
            shape = getattr(first, "shape", None)
            if isinstance(first, KerasTensor):
                shape = first.shape
            self.build((None,) + tuple(shape[1:]))

    @property
    def layers(self):
        """The layers, without the input layer (as Keras lists them)."""
        return list(self._stack)

    @property
    def weights(self):
        seen, out = set(), []
        for layer in self._stack:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    # ------------------------------------------------ summary and saving ask
    def _prints_as_sequential(self):
        return True

    def _layers_for_saving(self):
        return self.layers        # deferred or built, the stack (no input layer)

    def _serialized_class(self):
        return "keras", "Sequential", None

    def get_build_config(self):
        """``{"input_shape": [None, 784]}`` once the input shape is known, else None."""
        if self._input_layer is None or not self.built:
            return None
        return {"input_shape": list(self._input_layer.batch_shape)}

    def build_from_config(self, config):
        self.build(tuple(config["input_shape"]))

    # ------------------------------------------------ input and output tensors
    @property
    def input(self):
        """As in Keras 3: only once the model was called on a symbolic tensor.

        A Sequential model's own graph is reached through :attr:`inputs` and
        :attr:`outputs` (lists), e.g. ``keras.Model(model.inputs, ...)``.
        """
        return self._called_tensor("input")

    @property
    def output(self):
        """As in Keras 3: only once the model was called on a symbolic tensor (see
        :attr:`input`); the graph's own outputs are :attr:`outputs`."""
        return self._called_tensor("output")

    def _called_tensor(self, what):
        if self._inbound_nodes:
            return getattr(Layer, what).fget(self)
        raise AttributeError(
            f"The layer {self.name} has never been called and thus has no defined {what}. "
            f"Hint: a Sequential model's {what} tensors are model.{what}s (a list), e.g. "
            f"keras.Model(inputs=model.inputs, outputs=model.outputs).")

    def get_config(self):
        return sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return sequential_from_config(Sequential, config, custom_objects=custom_objects)


def _shape_trace(model, failed_index, err):
    """The error plus the shapes flowing through the layers before the failure."""
    shape = model._input_layer.batch_shape
    lines = [f"  input {format_shape(shape)}"]
    for layer in model._stack[:failed_index]:
        shape = layer.compute_output_shape(shape)
        lines.append(f"  -> {layer.name} ({type(layer).__name__}) {format_shape(shape)}")
    failing = model._stack[failed_index]
    lines.append(f"  -> {failing.name} ({type(failing).__name__}) fails here")
    return f"{err}\nShapes through model {model.name!r}:\n" + "\n".join(lines)
