"""The ``Layer`` contract, symbolic tensors and graph nodes.

A layer is a function with parameters that knows its own derivative::

    y, cache = layer.forward(x, training)      # compute, remember what backward needs
    dx       = layer.backward(cache, dy)        # dL/dx, and dL/dW added into W.grad

``build(input_shape)`` creates the weights the first time the layer sees an
input, so ``Dense(64)`` does not need to know its input size in advance.

Calling a layer on a *symbolic* tensor (what ``keras.Input`` returns) does no
arithmetic: it records a :class:`Node` -- "this layer was applied to these
tensors and produced those" -- which is how functional models remember their
graph. Calling it on a NumPy array runs ``forward`` straight away.
"""
import difflib
import inspect

import numpy as np

from kerastutor import backend, constraints, events, initializers, ops, registry, regularizers
from kerastutor.backend import snake_case
from kerastutor.weight import Weight


def dtype_policy_config(dtype):
    """The ``{"module": "keras", "class_name": "DTypePolicy", ...}`` dict Keras writes."""
    return {"module": "keras", "class_name": "DTypePolicy",
            "config": {"name": dtype}, "registered_name": None}


def _dtype_name(dtype):
    """Accept a dtype string, a NumPy dtype or a serialized DTypePolicy dict."""
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, dict):
        return _dtype_name(dtype.get("config", {}).get("name", backend.floatx()))
    try:
        return str(np.dtype(dtype))
    except TypeError:
        mixed = str(dtype).startswith("mixed_")
        raise ValueError(
            f"Cannot convert {dtype!r} to a DTypePolicy. Valid policies are the name of a "
            "NumPy dtype, such as 'float32', 'float64' or 'float16'"
            + (" (kerastutor has no mixed-precision policies yet; compute in float32)."
               if mixed else ".")) from None


def format_shape(shape):
    """``(None, 16)`` the way Keras prints shapes."""
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


class KerasTensor:
    """A symbolic tensor: a shape (batch dimension ``None``) and where it came from.

    ``history`` is ``(layer, node_index, tensor_index)``: the layer that
    produced it, which of that layer's calls, and which of that call's outputs.
    """

    def __init__(self, shape, dtype=None, history=None, name=None):
        self.shape = tuple(shape)
        self.dtype = dtype or backend.floatx()
        self.history = history
        self.name = name

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={format_shape(self.shape)}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One application of a layer in a graph: ``outputs = layer(inputs, **kwargs)``.

    ``inputs`` lists the main input tensors first, then any tensors given as
    keyword arguments (``initial_state=[h, c]``); ``arguments`` remembers which
    keyword each of those belongs to, and the plain options of the call.
    """

    def __init__(self, layer, inputs, outputs, arguments=None, n_main=None):
        self.layer = layer
        self.inputs = inputs          # list of KerasTensor: main inputs, then keyword tensors
        self.outputs = outputs        # list of KerasTensor
        self.arguments = arguments or CallArguments()
        self.n_main = len(inputs) if n_main is None else n_main

    def __repr__(self):
        return f"<Node {self.layer.name}: {[t.shape for t in self.inputs]} -> " \
               f"{[t.shape for t in self.outputs]}>"


class CallArguments:
    """The keyword arguments of one layer call, split the way a graph needs them.

    ``options`` are plain values (``return_attention_scores=True``), handed to
    ``forward`` unchanged at every run of the graph. ``tensors`` are keyword
    arguments that hold tensors (``initial_state=[h, c]``, ``mask=m``): in a
    graph they are extra inputs of the node, so they get values -- and
    gradients -- like any other input. A list value may contain ``None``.
    """

    def __init__(self, options=None, tensors=None):
        self.options = dict(options or {})
        self.tensors = dict(tensors or {})

    def __bool__(self):
        return bool(self.options or self.tensors)

    def flat_tensors(self):
        """Every tensor in the keyword arguments, in a fixed order."""
        return [item for value in self.tensors.values() for item in _items(value)
                if item is not None]

    def rebuild(self, flat):
        """The keyword arguments again, with ``flat``'s values in the tensors' places."""
        values = iter(flat)
        kwargs = dict(self.options)
        for name, value in self.tensors.items():
            if isinstance(value, (list, tuple)):
                kwargs[name] = [None if v is None else next(values) for v in value]
            else:
                kwargs[name] = None if value is None else next(values)
        return kwargs

    def flat_grads(self, grads_by_name):
        """``{"initial_state": [dh, dc]}`` -> one gradient per flat tensor (or None)."""
        out = []
        for name, value in self.tensors.items():
            got = (grads_by_name or {}).get(name)
            items = _items(value)
            gots = list(got) if isinstance(got, (list, tuple)) else [got] * len(items)
            out.extend(g for v, g in zip(items, gots) if v is not None)
        return out


def _items(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


class InputSpec:
    """What a layer accepts: a rank (exact or minimum) and fixed axis sizes.

    Checked on every call, so a wrong shape fails *at the layer that
    cannot take it*, with a message naming that layer and both shapes.
    """

    def __init__(self, ndim=None, min_ndim=None, axes=None):
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.axes = axes or {}

    def check(self, layer, shape, index=0):
        where = f'Input {index} of layer "{layer.name}" is incompatible with the layer'
        rank = len(shape)
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(
                f"{where}: expected ndim={self.ndim}, found ndim={rank}. "
                f"Full shape received: {format_shape(shape)}.{_rank_hint(layer, shape)}")
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(
                f"{where}: expected min_ndim={self.min_ndim}, found ndim={rank}. "
                f"Full shape received: {format_shape(shape)}.{_rank_hint(layer, shape)}")
        for axis, size in self.axes.items():
            if shape[axis] is not None and shape[axis] != size:
                raise ValueError(
                    f"{where}: expected axis {axis} of input shape to have value {size}, "
                    f"but received input with shape {format_shape(shape)}."
                    f"{_rank_hint(layer, shape)}")


def _rank_hint(layer, shape):
    """A guess at the usual cause of a shape error, for the message."""
    if type(layer).__name__ == "Dense" and len(shape) > 2:
        return (" Hint: Dense works on the last axis; to feed it images or other "
                "multi-axis data add a Flatten() layer before it.")
    return (" Hint: input shapes given to keras.Input(shape=...) or input_shape= exclude "
            "the batch size; check model.summary() for the shape each layer produces.")


#: The registry's catalog of layer (and model) classes, filled by Layer.__init_subclass__.
CATALOG = registry.Catalog("layer", "keras.layers")


class Layer:
    """Base class of every layer.

    Subclasses write, in this order (the order a reader learns them):

    * ``build(input_shape)`` -- create weights with :meth:`add_weight`;
    * ``forward(x, training)`` -- return ``(y, cache)``;
    * ``backward(cache, grad_out)`` -- return ``grad_in`` and **add** into
      each weight's ``.grad`` (adding, not assigning, is what makes shared
      layers correct: each use contributes its part);
    * ``compute_output_shape(input_shape)`` and ``get_config()``.

    ``has_kinks`` tells the gradient checker that the layer's derivative
    jumps somewhere (ReLU, max), so a looser tolerance applies.

    A layer never modifies its input array in place: caches may hold views
    of their inputs (max pooling keeps a view of its input to find each
    window's winner in backward), so the previous layer's output must stay
    as it was until the backward pass is over.
    """

    has_kinks = False
    # Merging layers always take a list of tensors, even a list of one; the
    # model graph then passes them a list rather than a single array.
    takes_a_list = False
    # Keyword arguments of forward that carry tensors (``initial_state``): in a
    # graph they become inputs of the node and receive gradients.
    call_tensor_arguments = ()
    # A layer that passes a mask through unchanged (Dense, Dropout, ...) sets this;
    # see compute_mask.
    supports_masking = False
    # Embedding reads integer ids; every other layer gets integer data as floats.
    accepts_integer_inputs = False

    def __init_subclass__(cls, **kwargs):
        """Every layer class kerastutor defines (models too) joins the registry's catalog,
        so a saved config finds it by its class name; your own classes are found through
        custom_objects or @keras.saving.register_keras_serializable()."""
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("kerastutor.") and cls.__name__ not in CATALOG.classes:
            CATALOG.add(cls, cls.__name__)

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None,
                 input_dim=None, batch_size=None, batch_input_shape=None,
                 activity_regularizer=None, autocast=True, **kwargs):
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}. "
                f"{_closest_kwarg_hint(self, kwargs)}")
        self.name = name or backend.unique_name(snake_case(type(self).__name__))
        self._trainable = trainable
        self.dtype = _dtype_name(dtype)
        self.built = False
        self.input_spec = None
        self.activity_regularizer = _lookup(regularizers, activity_regularizer)
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._inbound_nodes = []
        # Keras 2 habit: Dense(32, input_shape=(784,)) on the first layer.
        self._batch_input_shape = None
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        elif input_dim is not None:
            self._batch_input_shape = (batch_size, int(input_dim))

    # ------------------------------------------------------------------ weights
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   autocast=True, regularizer=None, constraint=None, aggregation="none",
                   name=None):
        """Create a :class:`~kerastutor.weight.Weight`, initialise it and track it.

        Keras's signature: ``initializer=None`` means ``"glorot_uniform"``;
        ``shape=None`` means a scalar.
        """
        shape = () if shape is None else shape
        initializer = "glorot_uniform" if initializer is None else initializer
        init = initializers.get(initializer)
        regularizer = _lookup(regularizers, regularizer)
        constraint = _lookup(constraints, constraint)
        dtype = _dtype_name(dtype) if dtype is not None else self.dtype
        shape = tuple(int(d) for d in shape)
        if any(d < 0 for d in shape):
            raise ValueError(f'Layer "{self.name}": weight {name!r} cannot have the negative '
                             f"shape {shape}.")
        _WEIGHT_BUDGET.spend(self, name, shape, dtype)
        value = backend.to_device(np.asarray(init(shape, dtype=dtype), dtype=dtype))
        weight = Weight(value, name=name or "weight", trainable=trainable,
                        regularizer=regularizer, constraint=constraint,
                        path=f"{self.name}/{name}")
        (self._trainable_weights if trainable else self._non_trainable_weights).append(weight)
        return weight

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._sublayers():
            layer.trainable = value

    def _sublayers(self):
        """Layers this layer owns: those assigned as attributes (``self.dense = Dense(4)``)."""
        return list(self.__dict__.get("_tracked_layers", []))

    def __setattr__(self, name, value):
        # Keras tracks sub-layers assigned in __init__/build, so their weights
        # count as this layer's weights.
        if isinstance(value, Layer) and value is not self and not name.startswith("_"):
            tracked = self.__dict__.setdefault("_tracked_layers", [])
            if not any(layer is value for layer in tracked):
                tracked.append(value)
        object.__setattr__(self, name, value)

    @property
    def weights(self):
        """All weights, trainable first (Keras's ``get_weights()`` order)."""
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        own = list(self._trainable_weights)
        for layer in self._sublayers():
            own += [w for w in layer.trainable_weights if w not in own]
        return own

    @property
    def non_trainable_weights(self):
        own = list(self._non_trainable_weights)
        if not self._trainable:
            own = list(self._trainable_weights) + own
        for layer in self._sublayers():
            own += [w for w in layer.non_trainable_weights if w not in own]
        return own

    @property
    def variables(self):
        return self.weights

    def get_weights(self):
        """The weight values as a list of NumPy arrays (copies)."""
        return [np.array(w.value) for w in self.weights]   # host copies, wherever they live

    def set_weights(self, values):
        """Set the weights from a list of arrays, in :attr:`weights` order."""
        weights = self.weights
        if len(values) != len(weights):
            raise ValueError(
                f'Layer "{self.name}": set_weights() expected a list of {len(weights)} '
                f"arrays ({[w.name for w in weights]}), but received {len(values)}.")
        for weight, value in zip(weights, values):
            value = np.asarray(value)
            if value.shape != weight.shape:
                raise ValueError(
                    f'Layer "{self.name}": weight "{weight.name}" has shape {weight.shape}, '
                    f"but set_weights() received an array of shape {value.shape}.")
            weight.assign(value)

    def count_params(self):
        """How many numbers the layer learns or keeps (all its weights)."""
        return int(sum(w.size for w in self.weights))

    # --------------------------------------------------------------- the maths
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape``. No weights by default."""
        self.built = True

    def forward(self, x, training=False, **kwargs):
        """Layers written the Keras way (``call`` with keras.ops) run on a tape."""
        if not self._defines_call():
            raise NotImplementedError(
                f"Layer {type(self).__name__} has neither forward() nor call(). Write "
                "call(self, inputs) with keras.ops (trained through the op tape), or "
                "forward(x, training) -> (y, cache) with its backward.")
        return self._forward_on_tape(x, training, kwargs)

    def backward(self, cache, grad_out):
        if isinstance(cache, _TapeCache):
            return self._backward_on_tape(cache, grad_out)
        raise NotImplementedError(
            f'Layer "{self.name}" ({type(self).__name__}) has no backward(), so it cannot be '
            "trained. Two ways out: compute call() with keras.ops, whose ops record their "
            "own derivatives, or write backward(cache, grad_out) -> grad_in next to "
            "forward.")

    # ------------------------------------------------- layers that define call()
    def _defines_call(self):
        return callable(getattr(type(self), "call", None))

    def _forward_on_tape(self, x, training, kwargs=None):
        """Run ``call`` while a tape records every keras.ops operation it performs."""
        tape = ops.Tape()
        inputs = [tape.watch(a) for a in x] if isinstance(x, (list, tuple)) else tape.watch(x)
        kwargs = dict(kwargs or {})
        if _accepts(self.call, "training"):
            kwargs["training"] = training
        tape.training = training
        try:
            with tape:
                outputs = self.call(inputs, **kwargs)
        except TypeError as err:
            if str(err) == ops.RAW_NUMPY_HINT:
                raise TypeError(f'Layer "{self.name}": {err}') from None
            raise
        values = ([ops._value(o) for o in outputs] if isinstance(outputs, (list, tuple))
                  else ops._value(outputs))
        return values, _TapeCache(tape, inputs, outputs)

    def _backward_on_tape(self, cache, grad_out):
        outputs = cache.outputs if isinstance(cache.outputs, (list, tuple)) else [cache.outputs]
        grads_out = grad_out if isinstance(grad_out, (list, tuple)) else [grad_out]
        if not any(isinstance(o, ops.Traced) for o in outputs):
            raise TypeError(f'Layer "{self.name}": call() returned a value that was not '
                            f"computed with keras.ops, so it has no derivative. "
                            f"{ops.RAW_NUMPY_HINT}")
        grads = {}
        for output, g in zip(outputs, grads_out):
            if isinstance(output, ops.Traced):
                for key, value in cache.tape.backward(output, g).items():
                    grads[key] = value if key not in grads else grads[key] + value
        inputs = cache.inputs if isinstance(cache.inputs, list) else [cache.inputs]
        grad_in = [grads.get(id(t), np.zeros_like(t.value)) for t in inputs]
        return grad_in if isinstance(cache.inputs, list) else grad_in[0]

    def backward_weights(self, cache, grad_out):
        """Only the weight gradients, for a layer fed straight from the data.

        dL/dx of the *data* is never needed in training, so the model calls
        this instead of :meth:`backward` for its first layers. By default it
        runs ``backward`` and drops the result; Dense skips that matmul.
        """
        self.backward(cache, grad_out)

    def compute_mask(self, inputs, mask=None):
        """The mask of this layer's output, given its input and the input's mask.

        A mask is a boolean array marking the real time steps of a padded
        sequence (``Embedding(mask_zero=True)`` and ``Masking`` make one).
        Layers that act on each step alone pass it on (``supports_masking``);
        a layer that changes the time axis (Flatten, an RNN returning one
        vector) drops it by default. The model graph calls this after
        ``forward`` and hands the result to the next layers' ``forward(...,
        mask=...)`` when they accept one.
        """
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """Shape of the output for ``input_shape``.

        The same shape by default; a layer written with ``call`` is run once on
        a zero batch of one sample to find out (as Keras traces ``call``).
        """
        if not self._defines_call():
            return input_shape
        multi = isinstance(input_shape, list)
        shapes = input_shape if multi else [input_shape]
        probes = [np.zeros(tuple(1 if d is None else d for d in shape), dtype=self.dtype)
                  for shape in shapes]
        out, _ = self.forward(probes if multi else probes[0], training=False)
        if isinstance(out, list):
            return [(None,) + tuple(o.shape[1:]) for o in out]
        return (None,) + tuple(np.shape(out)[1:])

    @property
    def has_backward(self):
        return type(self).backward is not Layer.backward or self._defines_call()

    # ------------------------------------------------------------- calling
    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(input_shape)
            self.built = True

    def _check_input(self, shapes):
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, list) else [self.input_spec]
        for index, (spec, shape) in enumerate(zip(specs, shapes)):
            spec.check(self, tuple(shape), index)

    def __call__(self, inputs, training=None, mask=None, **kwargs):
        arguments = self._call_arguments(kwargs, mask)
        flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        every = flat + arguments.flat_tensors()
        if any(isinstance(t, KerasTensor) for t in every):
            return self._call_symbolic(inputs, flat, arguments)
        if any(isinstance(t, ops.Traced) for t in every):
            return self._call_on_tape(inputs, flat, training, arguments)
        return self._call_eager(inputs, flat, training, arguments)

    def _call_arguments(self, kwargs, mask):
        """Check the call's keyword arguments against ``forward`` (or ``call``) and split them."""
        if mask is not None:
            kwargs = dict(kwargs, mask=mask)
        if not kwargs:
            return CallArguments()
        target = self.call if self._defines_call() else self.forward
        params = inspect.signature(target).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values()) and \
            self._defines_call()
        accepted = [n for n in params if n not in ("self", "x", "inputs", "training")
                    and params[n].kind not in (inspect.Parameter.VAR_KEYWORD,
                                               inspect.Parameter.VAR_POSITIONAL)]
        unknown = [k for k in kwargs if k not in accepted and not takes_any]
        if unknown:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) got unexpected call arguments '
                f"{unknown}. It accepts: {accepted or 'only the input (and training=)'}."
                + (" Hint: only layers that use a mask (RNNs, attention, Softmax, ...) take "
                   "mask=; masks made by Embedding(mask_zero=True) or Masking reach them "
                   "on their own." if "mask" in unknown else ""))
        tensor_names = set(self.call_tensor_arguments) | {"mask"}
        return CallArguments(
            options={k: v for k, v in kwargs.items() if k not in tensor_names},
            tensors={k: v for k, v in kwargs.items() if k in tensor_names})

    def _call_on_tape(self, inputs, flat, training, arguments):
        """Called inside another layer's ``call``: this whole layer becomes one op.

        Its forward runs now; its backward (hand-written or taped) is what the
        tape calls on the way back -- which also adds into this layer's weight
        gradients.
        """
        values = [ops._value(t) for t in flat]
        extra = arguments.flat_tensors()
        self._maybe_build(self._input_shape_of(flat, [(None,) + v.shape[1:] for v in values],
                                               inputs))
        self._check_input([v.shape for v in values])
        if training is None:
            training = ops.current_training()
        multi = isinstance(inputs, (list, tuple))
        kwargs = arguments.rebuild([ops._value(t) for t in extra])
        x = values if multi else values[0]
        y, cache = self.forward(x, training=bool(training), **kwargs)
        # Inside a subclassed model's call(), tell the tracer, as a graph model does for
        # its nodes. (A nested model announces its own layers instead.)
        owner = events.owner() if not hasattr(self, "layers") else None
        if owner is not None:
            events.emit("layer_forward", model=owner, layer=self, inputs=x, output=y)

        def vjp(g):
            grad_in, extra_grads = _split_backward(self.backward(cache, g), bool(extra))
            if owner is not None:
                events.emit("layer_backward", model=owner, layer=self, grad_output=g,
                            grad_input=grad_in)
            main = tuple(grad_in) if multi else (grad_in,)
            return main + tuple(arguments.flat_grads(extra_grads))
        return ops._record(y, tuple(flat) + tuple(extra), vjp)

    def _input_shape_of(self, flat, shapes, inputs):
        return shapes if isinstance(inputs, (list, tuple)) else shapes[0]

    def _call_symbolic(self, inputs, flat, arguments):
        shapes = [t.shape for t in flat]
        input_shape = self._input_shape_of(flat, shapes, inputs)
        self._maybe_build(input_shape)
        self._check_input(shapes)
        options = {k: v for k, v in arguments.options.items()
                   if _accepts(self.compute_output_shape, k)}
        out_shape = self.compute_output_shape(input_shape, **options)
        multi = isinstance(out_shape, list)
        out_shapes = out_shape if multi else [out_shape]
        node_index = len(self._inbound_nodes)
        outputs = [KerasTensor(s, dtype=self.dtype, history=(self, node_index, i),
                               name=self.name)
                   for i, s in enumerate(out_shapes)]
        extra = arguments.flat_tensors()
        if not all(isinstance(t, KerasTensor) for t in flat + extra):
            raise ValueError(
                f'Layer "{self.name}": in a model, every tensor given to a layer call must '
                "come from keras.Input or another layer; got a mix of symbolic tensors and "
                "arrays. Hint: make the array an input of the model.")
        self._inbound_nodes.append(Node(self, list(flat) + extra, outputs, arguments,
                                        n_main=len(flat)))
        return outputs if multi else outputs[0]

    def _call_eager(self, inputs, flat, training, arguments=None):
        arrays = [_as_float_array(a, self.dtype, self.accepts_integer_inputs) for a in flat]
        shapes = [a.shape for a in arrays]
        self._maybe_build(self._input_shape_of(flat, [(None,) + s[1:] for s in shapes],
                                               inputs))
        self._check_input(shapes)
        x = arrays if isinstance(inputs, (list, tuple)) else arrays[0]
        kwargs = arguments.rebuild(arguments.flat_tensors()) if arguments else {}
        y, _ = self.forward(x, training=bool(training), **kwargs)
        return y

    # --------------------------------------------------------- serialization
    def get_config(self):
        """The constructor arguments that rebuild this layer (Keras's keys)."""
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": dtype_policy_config(self.dtype)}
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        shape = getattr(self, "_build_input_shape", None)
        return {"input_shape": list(shape)} if shape is not None else None

    # ---------------------------------------------------------- conveniences
    def _node_output_shape(self):
        if not self._inbound_nodes:
            return None
        outs = self._inbound_nodes[-1].outputs
        return outs[0].shape if len(outs) == 1 else [t.shape for t in outs]

    @property
    def output_shape(self):
        shape = self._node_output_shape()
        if shape is None:
            raise AttributeError(f'Layer "{self.name}" has never been called and thus has '
                                 "no defined output shape.")
        return shape

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f'Layer "{self.name}" has never been called on a tensor.')
        outs = self._inbound_nodes[-1].outputs
        return outs[0] if len(outs) == 1 else outs

    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f'Layer "{self.name}" has never been called on a tensor.')
        ins = self._inbound_nodes[-1].inputs
        return ins[0] if len(ins) == 1 else ins

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class _WeightBudget:
    """While a file is loaded, weights may not outgrow what the file can hold.

    A model config is data from outside: ``Dense(units=10**12)`` in a hostile
    file would allocate terabytes before any weight is read. The loader sets
    a budget -- the size of the weights in the file -- and every
    ``add_weight`` draws its bytes from it *before* allocating.
    """

    def __init__(self):
        self.remaining = None            # None: no limit (the normal case)

    def spend(self, layer, name, shape, dtype):
        if self.remaining is None:
            return
        size = int(np.prod(shape, dtype=np.float64)) * np.dtype(dtype).itemsize
        if size > self.remaining:
            raise ValueError(
                f'Layer "{layer.name}": the model config asks for weight {name!r} of shape '
                f"{shape} ({size:,} bytes), more than the file's weights can hold. The "
                "config does not match its weights (a damaged or hostile file).")
        self.remaining -= size


_WEIGHT_BUDGET = _WeightBudget()


def refuse_lora(layer, **options):
    """LoRA and quantization are not implemented: a layer given ``lora_rank``,
    ``lora_alpha`` or ``quantization_config`` says so instead of silently training
    its full kernel in float (Keras would train a low-rank update)."""
    given = {name: value for name, value in options.items() if value is not None}
    if given:
        settings = ", ".join(f"{name}={value!r}" for name, value in given.items())
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}): LoRA and quantization are not '
            f"implemented in kerastutor, got {settings}. Hint: leave them as None, or freeze "
            "layers with `trainable=False` to fine-tune only the others.")


def weight_settings(initializer, regularizer, constraint):
    """One weight's ``(initializer, regularizer, constraint)``, each looked up by name or
    config (``None`` stays ``None``): what a layer keeps for the weights it will build."""
    return (initializers.get(initializer), regularizers.get(regularizer),
            constraints.get(constraint))


def _lookup(module, identifier):
    """``"l2"`` -> ``L2()`` (regularizers), ``"non_neg"`` -> ``NonNeg()`` (constraints)."""
    if identifier is None or not isinstance(identifier, (str, dict)):
        return identifier
    return module.get(identifier)


class _TapeCache:
    """What backward needs from a taped call: the tape, the watched inputs, the outputs."""

    __slots__ = ("tape", "inputs", "outputs")

    def __init__(self, tape, inputs, outputs):
        self.tape, self.inputs, self.outputs = tape, inputs, outputs


def _split_backward(result, has_keyword_tensors):
    """A layer given tensor keyword arguments may return ``(dx, {name: grads})``."""
    if has_keyword_tensors and isinstance(result, tuple) and len(result) == 2 \
            and isinstance(result[1], dict):
        return result
    return result, {}


def _accepts(function, name):
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def _as_float_array(value, dtype, keep_integers=False):
    """Eager calls cast inputs to the layer's float dtype (Keras's autocast).

    Integer ids stay integers for the layers that read ids (Embedding).
    """
    array = backend.asarray(value)           # a GPU array stays on the GPU
    if array.dtype.kind in "biu" and keep_integers:
        return array
    if array.dtype.kind in "fbiu" and dtype is not None and array.dtype != dtype:
        return array.astype(dtype)
    return array


def _closest_kwarg_hint(layer, kwargs):
    params = set()
    for cls in type(layer).__mro__:
        if "__init__" in vars(cls):
            params |= set(inspect.signature(cls.__init__).parameters)
    params -= {"self", "kwargs"}
    hints = []
    for key in kwargs:
        close = difflib.get_close_matches(key, sorted(params), n=1)
        if close:
            hints.append(f"did you mean {close[0]!r} instead of {key!r}?")
    return ("Hint: " + "; ".join(hints)) if hints else \
        f"Accepted arguments: {sorted(params)}."
