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
import collections
import contextlib
import difflib
import functools
import inspect

import numpy as np

from kerastutor import (backend, config, constraints, events, initializers, keras2, ops,
                        registry, regularizers)
from kerastutor.tape import _record, _record_several, _value
from kerastutor.backend import snake_case
from kerastutor.weight import Weight, numbers_of


def dtype_policy_config(dtype):
    """The ``{"module": "keras", "class_name": "DTypePolicy", ...}`` dict Keras writes."""
    return {"module": "keras", "class_name": "DTypePolicy",
            "config": {"name": dtype}, "registered_name": None}


#: The names by which Keras accepts text as a dtype; Keras calls it ``"string"``.
STRING_DTYPES = ("string", "str", str, np.str_, np.bytes_)


def _dtype_name(dtype):
    """Accept a dtype string, a NumPy dtype or a serialized DTypePolicy dict.

    Text is ``"string"`` (Keras's name, also for ``"str"`` and ``str``): an
    ``Input(dtype="string")`` takes raw text, which lookup and text layers
    turn into numbers. NumPy's own text dtypes (``<U5``) have a length
    built in, so they are named ``"string"`` too.
    """
    if dtype is None or isinstance(dtype, config.DTypePolicy):   # keras.config.set_dtype_policy
        return (dtype or config.dtype_policy()).name
    if isinstance(dtype, dict):
        return _dtype_name(dtype.get("config", {}).get("name", backend.floatx()))
    if any(dtype is name or (isinstance(dtype, str) and dtype == name)
           for name in STRING_DTYPES):
        return "string"
    if isinstance(dtype, np.dtype) and dtype.kind in "US":
        return "string"
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
                f"Full shape received: {format_shape(shape)}."
                f"{_rank_hint(layer, shape, self, self.ndim)}")
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(
                f"{where}: expected min_ndim={self.min_ndim}, found ndim={rank}. "
                f"Full shape received: {format_shape(shape)}."
                f"{_rank_hint(layer, shape, self, self.min_ndim)}")
        for axis, size in self.axes.items():
            if shape[axis] is not None and shape[axis] != size:
                raise ValueError(
                    f"{where}: expected axis {axis} of input shape to have value {size}, "
                    f"but received input with shape {format_shape(shape)}."
                    f"{_rank_hint(layer, shape)}")


def _rank_hint(layer, shape, spec=None, rank=None):
    """A guess at the usual cause of a shape error, for the message (``rank``: the rank
    the layer wanted)."""
    if type(layer).__name__ == "Dense" and len(shape) > 2:
        return (" Hint: Dense works on the last axis; to feed it images or other "
                "multi-axis data add a Flatten() layer before it.")
    if rank is not None and rank >= 3 and len(shape) == rank - 1:
        hint = _missing_axis_hint(layer, spec, shape)
        if hint:
            return hint
    return (" Hint: input shapes given to keras.Input(shape=...) or input_shape= exclude "
            "the batch size; check model.summary() for the shape each layer produces.")


def _missing_axis_hint(layer, spec, shape):
    """Data one axis short of a conv, pooling or recurrent layer: the channel axis is missing.

    The classic case is MNIST: ``x_train.shape == (60000, 28, 28)`` fed to a
    ``Conv2D`` that reads ``(batch, rows, cols, channels)``. Grayscale images
    have one channel, and NumPy adds that axis of size 1 without copying:
    ``x[..., None]``. A sequence of numbers fed to an LSTM, ``(N, T)``, is the
    same story with one feature per time step. The hint is given only when
    adding an axis of size 1 would fit: if the layer was built for 3 channels,
    the data is missing more than an axis.
    """
    first = getattr(layer, "data_format", None) == "channels_first"
    axis = 1 if first else -1
    built_for = (spec.axes if spec is not None else {}).get(axis)
    if built_for not in (None, 1):
        return ""
    word = "channel" if hasattr(layer, "data_format") else "feature"
    fixed = shape[:1] + (1,) + tuple(shape[1:]) if first else tuple(shape) + (1,)
    code = "x[:, None] (or np.expand_dims(x, 1))" if first else \
        "x[..., None] (or np.expand_dims(x, -1))"
    one = ("one channel (grayscale images, a single signal)" if word == "channel" else
           "one feature per time step")
    return (f" Hint: {type(layer).__name__} reads {_layout(word, len(shape) + 1, first)}, "
            f"and the data {format_shape(shape)} looks like it lacks the {word} axis. For "
            f"{one} add it: x = {code} makes the shape {format_shape(fixed)}.")


def _layout(word, rank, channels_first):
    """How a layer reads its input: ``(batch, rows, cols, channels)``."""
    if word == "feature":
        middle = ["timesteps"] if rank == 3 else [f"dim{i}" for i in range(1, rank - 1)]
    else:
        middle = {3: ["steps"], 4: ["rows", "cols"]}.get(
            rank, [f"dim{i}" for i in range(1, rank - 1)])
    axes = [f"{word}s"] + middle if channels_first else middle + [f"{word}s"]
    return "(" + ", ".join(["batch"] + axes) + ")"


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
        self._losses = []             # what add_loss recorded during the last call
        # Keras 2 habit: Dense(32, input_shape=(784,)) on the first layer. Keras 3 still
        # takes it, with a warning; a saved config says batch_input_shape, silently.
        self._batch_input_shape = None
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size,) + tuple(input_shape)
        elif input_dim is not None:
            self._batch_input_shape = (batch_size, int(input_dim))
        if batch_input_shape is None and self._batch_input_shape is not None:
            backend.warn_user(
                "Do not pass an `input_shape`/`input_dim` argument to a layer. When using "
                "Sequential models, prefer using an `Input(shape)` object as the first layer "
                "in the model instead. Fix: keras.Sequential([keras.Input(shape="
                f"{self._batch_input_shape[1:]}), {type(self).__name__}(...), ...]).")

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
        if backend.building_shapes_only():      # a shape and no numbers (parameter counts)
            value = np.broadcast_to(np.zeros((), dtype=dtype), shape)
        else:
            _WEIGHT_BUDGET.spend(self, name, shape, dtype)
            value = backend.to_device(np.asarray(init(shape, dtype=dtype), dtype=dtype))
        name = name or "variable"                   # Keras's default name
        weight = Weight(value, name=name, trainable=trainable,
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
        # Keras tracks sub-layers assigned in __init__/build -- alone, or in a list,
        # tuple or dict (self.blocks = [Dense(4), Dense(2)]) -- so their weights
        # count as this layer's weights.
        if not name.startswith("_"):
            items = value.values() if isinstance(value, dict) else \
                value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, Layer) and item is not self:
                    tracked = self.__dict__.setdefault("_tracked_layers", [])
                    if not any(layer is item for layer in tracked):
                        tracked.append(item)
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

    @property
    def trainable_variables(self):
        """Keras 3's name for :attr:`trainable_weights` (what a custom ``train_step`` differentiates)."""
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        """Keras 3's name for :attr:`non_trainable_weights`."""
        return self.non_trainable_weights

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

    # ------------------------------------------------------------------ losses
    def add_loss(self, loss):
        r"""Add a term to the training loss, from inside ``call`` (Keras's ``add_loss``).

        ``fit`` minimises :math:`L = L_{\text{compiled}}(y, \hat y) + \sum_k
        \operatorname{sum}(\ell_k)` over every :math:`\ell_k` added during the forward
        pass (a non-scalar term is summed). A term computed with ``keras.ops`` from
        the layer's inputs or weights is traced, so the layer's backward adds
        :math:`\partial \ell_k / \partial x` and :math:`\partial \ell_k / \partial W`
        to what flows back from its output. ``loss`` may be a list of terms.
        """
        for term in loss if isinstance(loss, (list, tuple)) else [loss]:
            value = _loss_value(self, term)
            self.__dict__.setdefault("_losses", []).append(value)
            if _RUNNING_CALLS:                   # inside a call on a tape
                _RUNNING_CALLS[-1].add(term, value)

    @property
    def losses(self):
        """The loss terms of the last call: this layer's ``add_loss`` terms, those of
        every layer inside it, then the weight regularization penalties
        :math:`R(W)` of the trainable weights (Keras's order)."""
        terms = list(self._own_losses())
        for layer in self._all_sublayers():
            terms += layer._own_losses()
        for weight in self.trainable_weights:
            if weight.regularizer is not None:
                terms.append(np.asarray(weight.regularizer(weight.value),
                                        dtype=weight.dtype))
        return terms

    def _own_losses(self):
        return list(self.__dict__.get("_losses", []))

    def _all_sublayers(self):
        """Every layer inside this one, each once, in Keras's order (``_flatten_layers``).

        Keras takes the layers from the front of a queue and puts each one's own
        sublayers back at the front with ``extendleft``, which reverses them:
        ``losses`` lists the terms in that order.
        """
        found, seen = [], {id(self)}
        queue = collections.deque(self._sublayers())
        while queue:
            layer = queue.popleft()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            found.append(layer)
            queue.extendleft(layer._sublayers())
        return found

    def _clear_losses(self):
        """Forget the loss terms of the last call, here and in every layer inside."""
        for layer in [self] + self._all_sublayers():
            layer.__dict__["_losses"] = []

    def record_activity_loss(self, y):
        r"""The activity-regularization term of output ``y``, recorded in ``losses``.

        For a batch of :math:`N` samples Keras adds :math:`R(y)/N`; its gradient
        :math:`R'(y)/N` joins the upstream gradient of ``y``. Returns
        ``(value, gradient)``; whoever runs the layer (the model graph, a call
        on a tape) adds the gradient.
        """
        batch = y.shape[0] if np.ndim(y) else 1
        value = float(self.activity_regularizer(y)) / batch
        self.__dict__.setdefault("_losses", []).append(
            np.asarray(value, dtype=backend.floatx()))
        return value, self.activity_regularizer.gradient(y) / batch

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
        """Run ``call`` while a tape records every keras.ops operation it performs.

        The loss terms the call adds (:meth:`add_loss`, and those of the layers
        it calls) are collected beside the tape: the cache keeps them, so
        backward can start from them too, and their total as ``cache.penalty``.
        """
        with _call_context(self):
            tape, added = ops.Tape(), _AddedLosses()
            inputs = _watched(tape, self._as_dict_input(x))
            kwargs = dict(kwargs or {})
            if _accepts(self.call, "training"):
                kwargs["training"] = training
            tape.training = training
            try:
                with tape, added:
                    if self.__dict__.get("_positional_inputs"):   # see _positional
                        outputs = self.call(*inputs, **kwargs)
                    else:
                        outputs = self.call(inputs, **kwargs)
            except ops.RawNumpyError as err:
                owner = err.owner or f'Layer "{self.name}"'      # the innermost one says it
                raise ops.RawNumpyError(err.function, owner=owner) from None
        values = ([_value(o) for o in outputs] if isinstance(outputs, (list, tuple))
                  else _value(outputs))
        return values, _TapeCache(tape, inputs, outputs, added.seeds, added.value)

    def _backward_on_tape(self, cache, grad_out):
        r"""Walk the tape back from the outputs and from the loss terms the call added.

        The objective is :math:`\langle g, y \rangle + \sum_k \operatorname{sum}(\ell_k)`:
        each output :math:`y` starts with its upstream gradient :math:`g`, each loss
        term :math:`\ell_k` added during the call with ones. One walk from all of
        them, so an op that leads to several receives the sum of their gradients.
        """
        outputs = cache.outputs if isinstance(cache.outputs, (list, tuple)) else [cache.outputs]
        grads_out = grad_out if isinstance(grad_out, (list, tuple)) else [grad_out]
        if not any(isinstance(o, ops.Traced) for o in outputs) and not cache.loss_seeds:
            raise TypeError(f'Layer "{self.name}": call() returned a value that was not '
                            f"computed with keras.ops, so it has no derivative. "
                            f"{ops.RAW_NUMPY_HINT}")
        seeds = [(output, g) for output, g in zip(outputs, grads_out)
                 if isinstance(output, ops.Traced) and g is not None]
        grads = _walk_back(cache.tape, seeds + cache.loss_seeds)
        inputs = _flat_inputs(cache.inputs)
        grad_in = [grads.get(id(t), np.zeros_like(t.value)) for t in inputs]
        return grad_in if len(grad_in) > 1 or isinstance(cache.inputs, list) else grad_in[0]

    def _as_dict_input(self, x):
        """A layer first called on a dict in a model graph gets its dict back.

        The graph hands a node's inputs over as a list (sorted-key order, as
        Keras flattens a dict); the keys remembered at that call rebuild the dict.
        """
        keys = self.__dict__.get("_dict_input_keys")
        if keys is None or isinstance(x, dict):
            return x
        values = list(x) if isinstance(x, (list, tuple)) else [x]
        return dict(zip(keys, values)) if len(values) == len(keys) else x

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

    def compute_output_dtype(self, input_dtypes):
        """The dtype of the symbolic output (a list of them for several outputs).

        Keras takes it from ``compute_output_spec``: by default the layer's
        own dtype (a Dense computes in float32 whatever it is fed), but a
        layer whose output is of another kind says so -- a StringLookup
        turns text into ``int64`` indices. ``input_dtypes`` are the dtypes
        of the symbolic inputs, for layers whose output keeps them.
        """
        return self.dtype

    def compute_output_shape(self, input_shape):
        """Shape of the output for ``input_shape``.

        The same shape by default; a layer written with ``call`` is run once on
        a zero batch of one sample to find out (as Keras traces ``call``).
        """
        if not self._defines_call():
            return input_shape

        def probe(shape):
            return np.zeros(tuple(1 if d is None else d for d in shape), dtype=self.dtype)
        if isinstance(input_shape, dict):
            probes = {key: probe(shape) for key, shape in input_shape.items()}
        elif isinstance(input_shape, list):
            probes = [probe(shape) for shape in input_shape]
        else:
            probes = probe(input_shape)
        out, _ = self.forward(probes, training=False)
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

    def _build_and_check(self, input_shape, shapes):
        """Build once, then check the input against the layer's :class:`InputSpec`.

        The constructor's spec (a rank) is checked *before* building too: data
        of the wrong rank -- images without their channel axis -- then fails
        without leaving the layer built with weights of the wrong shape, so the
        corrected call works (Keras checks in the same order).
        """
        if not self.built:
            Layer._check_input(self, shapes)      # a model's own check waits for its graph
        self._maybe_build(input_shape)
        self._check_input(shapes)

    def _check_input(self, shapes):
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, list) else [self.input_spec]
        for index, (spec, shape) in enumerate(zip(specs, shapes)):
            spec.check(self, tuple(shape), index)

    def __call__(self, inputs, *more, training=None, mask=None, **kwargs):
        """Run the layer: symbolically (a model graph), on a tape (inside another
        layer's ``call``) or eagerly. ``inputs`` may be a tensor, a list or tuple,
        or a dict of them (flattened in sorted-key order, as Keras does); further
        positional arguments go to ``call`` by position (:meth:`_positional`).

        The outermost call starts ``layer.losses`` afresh (Keras's rule: the
        losses are those of the last call); a symbolic call leaves none.
        """
        if more:
            inputs, training, mask = self._positional(inputs, more, training, mask, kwargs)
        arguments = self._call_arguments(kwargs, mask)
        flat = _flat_inputs(inputs)
        every = flat + arguments.flat_tensors()
        if not _CALL_STACK and ops.gradient_tape_records() and not any(
                isinstance(t, (KerasTensor, ops.Traced)) for t in every):
            flat = self._watched_for_gradient_tape(flat)   # the call becomes one op
            every = flat + arguments.flat_tensors()
        with _call_context(self):
            if any(isinstance(t, KerasTensor) for t in every):
                outputs = self._call_symbolic(inputs, flat, arguments)
                self._clear_losses()          # a graph is being built: nothing was computed
                return outputs
            if any(isinstance(t, ops.Traced) for t in every):
                return self._call_on_tape(inputs, flat, training, arguments)
            return self._call_eager(inputs, flat, training, arguments)

    def _watched_for_gradient_tape(self, flat):
        """Data given to a call inside ``with keras.GradientTape()``: watched, so that the
        call is recorded as one op whose VJP is this layer's (or model's) backward."""
        return [ops.Traced(_as_float_array(a, self.dtype, self.accepts_integer_inputs))
                for a in flat]

    def _positional(self, inputs, more, training, mask, kwargs):
        """``layer(targets, logits)``: Keras hands extra positional arguments to ``call``.

        Each goes to the parameter in its position. ``training`` and ``mask`` go
        where their names say and a plain value becomes a keyword (``kwargs`` is
        filled in place). Tensors -- a learner's ``call(self, targets, logits)`` --
        travel with the first as one list input, so the graph gives each its own
        gradient, and :meth:`_forward_on_tape` hands them back one by one.
        """
        target = self.call if self._defines_call() else self.forward
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        every = [p.name for p in inspect.signature(target).parameters.values()
                 if p.kind in positional]
        names = every[1:]                              # the first one takes ``inputs``
        if len(more) > len(names):
            raise TypeError(f'Layer "{self.name}" ({type(self).__name__}) takes at most '
                            f"{len(every)} positional arguments ({', '.join(every)}), got "
                            f"{len(more) + 1}. Fix: pass the others by keyword.")
        tensors = []
        for name, value in zip(names, more):
            if name in ("training", "mask"):
                training, mask = (value, mask) if name == "training" else (training, value)
            elif self._defines_call() and _is_tensor(value):
                tensors.append(value)
            else:
                kwargs[name] = value
        if tensors:
            self._positional_inputs = 1 + len(tensors)
            inputs = [inputs, *tensors]
        return inputs, training, mask

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
        values = [_value(t) for t in flat]
        extra = arguments.flat_tensors()
        self._build_and_check(
            self._input_shape_of(flat, [(None,) + v.shape[1:] for v in values], inputs),
            [v.shape for v in values])
        if training is None:
            training = ops.current_training()
        multi = isinstance(inputs, (list, tuple)) or len(flat) > 1
        kwargs = arguments.rebuild([_value(t) for t in extra])
        x = _structured(inputs, values)
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
        operands = tuple(flat) + tuple(extra)
        if isinstance(y, (list, tuple)):                 # several outputs: one op still
            hub, out = _record_several(y, operands, vjp)
        else:
            hub = out = _record(y, operands, vjp)
        self._report_losses_on_tape(cache, hub, y)
        return out

    def _report_losses_on_tape(self, cache, out, y):
        """Tell the call running around this one about the losses this call added.

        Their total joins the outer call's. If this call added loss terms, its
        output becomes a starting point of the outer backward (with gradient
        zero), so this layer's backward -- which adds those terms' gradients --
        runs even if nothing downstream uses the output. An activity regularizer
        adds :math:`R(y)/N`, recorded as one op on the outer tape whose
        derivative is the regularizer's own gradient.
        """
        if not _RUNNING_CALLS or not isinstance(out, ops.Traced):
            return
        outer = _RUNNING_CALLS[-1]
        if _carries_losses(cache):
            outer.reach(out, cache.penalty)
        if self.activity_regularizer is not None and not isinstance(y, (list, tuple)):
            value, grad = self.record_activity_loss(y)
            term = _record(np.asarray(value, dtype=np.asarray(y).dtype), (out,),
                               lambda g: (g * grad,))
            outer.add(term, value)

    def _input_shape_of(self, flat, shapes, inputs):
        if isinstance(inputs, dict):                 # build() gets a dict of shapes
            return dict(zip(sorted(inputs), shapes))
        return shapes if isinstance(inputs, (list, tuple)) else shapes[0]

    def _call_symbolic(self, inputs, flat, arguments):
        if isinstance(inputs, dict):                 # see _as_dict_input
            self._dict_input_keys = sorted(inputs)
        shapes = [t.shape for t in flat]
        input_shape = self._input_shape_of(flat, shapes, inputs)
        self._build_and_check(input_shape, shapes)
        options = {k: v for k, v in arguments.options.items()
                   if _accepts(self.compute_output_shape, k)}
        out_shape = self.compute_output_shape(input_shape, **options)
        multi = isinstance(out_shape, list)
        out_shapes = out_shape if multi else [out_shape]
        node_index = len(self._inbound_nodes)
        dtypes = self.compute_output_dtype([t.dtype for t in flat])
        dtypes = dtypes if isinstance(dtypes, list) else [dtypes] * len(out_shapes)
        outputs = [KerasTensor(s, dtype=d, history=(self, node_index, i), name=self.name)
                   for i, (s, d) in enumerate(zip(out_shapes, dtypes))]
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
        self._build_and_check(self._input_shape_of(flat, [(None,) + s[1:] for s in shapes],
                                                   inputs), shapes)
        x = _structured(inputs, arrays)
        kwargs = arguments.rebuild(arguments.flat_tensors()) if arguments else {}
        y, cache = self.forward(x, training=bool(training), **kwargs)
        if self.activity_regularizer is not None:
            for output in (y if isinstance(y, (list, tuple)) else [y]):
                self.record_activity_loss(output)
        if isinstance(cache, _TapeCache) and isinstance(cache.outputs, Weight):
            return cache.outputs          # call() returned a weight: Keras hands it back
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


def weight_settings_config(layer, names):
    """The config entries of ``layer``'s weights ``names`` (such as ``("kernel", "bias")``,
    read from ``kernel_initializer``, ...) in Keras's order: their initializers, their
    regularizers, the activity regularizer, their constraints."""
    def serialized(module, kind):
        return {f"{name}_{kind}": module.serialize(getattr(layer, f"{name}_{kind}"))
                for name in names}
    return {**serialized(initializers, "initializer"), **serialized(regularizers, "regularizer"),
            "activity_regularizer": regularizers.serialize(layer.activity_regularizer),
            **serialized(constraints, "constraint")}


def _lookup(module, identifier):
    """``"l2"`` -> ``L2()`` (regularizers), ``"non_neg"`` -> ``NonNeg()`` (constraints)."""
    if identifier is None or not isinstance(identifier, (str, dict)):
        return identifier
    return module.get(identifier)


class _TapeCache:
    """What backward needs from a taped call: the tape, the watched inputs, the outputs,
    and the loss terms the call added (``loss_seeds``, and their total ``penalty``)."""

    __slots__ = ("tape", "inputs", "outputs", "loss_seeds", "penalty")

    def __init__(self, tape, inputs, outputs, loss_seeds=(), penalty=0.0):
        self.tape, self.inputs, self.outputs = tape, inputs, outputs
        self.loss_seeds, self.penalty = list(loss_seeds), penalty


# ------------------------------------------------------------------ losses of a call
# Keras's rule for ``layer.losses``: the outermost layer call clears the terms of the
# last call (its own and those of every layer inside it); the calls inside it add.
_CALL_STACK = []           # layers whose call is running, outermost first
_RUNNING_CALLS = []        # the _AddedLosses of the calls running on a tape, innermost last


@contextlib.contextmanager
def _call_context(layer):
    """Run one call of ``layer``; the outermost call starts its losses afresh."""
    if not _CALL_STACK:
        layer._clear_losses()
    _CALL_STACK.append(layer)
    try:
        yield
    finally:
        _CALL_STACK.pop()


def starts_a_call(forward):
    """Decorator for a model's ``forward``: run as a call (see ``_call_context``), so
    ``fit``, which calls ``forward`` directly, also starts ``model.losses`` afresh."""
    @functools.wraps(forward)
    def run(self, *args, **kwargs):
        with _call_context(self):
            return forward(self, *args, **kwargs)
    return run


class _AddedLosses:
    r"""The loss terms added while one ``call`` runs on a tape.

    ``seeds`` pairs each traced value backward starts from with the gradient
    it gets: ones for a loss term (:math:`\partial L / \partial \ell = 1`),
    zeros for the output of an inner layer that added terms itself (only so
    that its backward runs). ``value`` is the total of every term, inner ones
    included: what ``fit`` adds to the loss.
    """

    def __init__(self):
        self.seeds, self.value = [], 0.0

    def __enter__(self):
        _RUNNING_CALLS.append(self)
        return self

    def __exit__(self, *exc):
        _RUNNING_CALLS.remove(self)

    def add(self, term, value):
        self.value += float(np.sum(value))
        if isinstance(term, ops.Traced):
            self.seeds.append((term, np.ones_like))

    def reach(self, output, value):
        self.value += value
        self.seeds.append((output, np.zeros_like))


def _walk_back(tape, seeds):
    """``tape.backward`` started from several ``(value, seed gradient)`` pairs at once.

    One walk in reverse over the records, so an op that leads to several
    starting points runs its vjp once, with the sum of their gradients (two
    separate walks would run an inner layer's backward, and add its loss
    terms, twice). Weights' gradients are added into ``.grad``; the gradients
    of traced values come back keyed by ``id``.
    """
    grads = {}
    for value, seed in seeds:
        gradient = seed(value.value) if callable(seed) else seed
        key = id(value)
        grads[key] = gradient if key not in grads else grads[key] + gradient
    for out, operands, vjp in reversed(tape.records):
        g = grads.pop(id(out), None)
        if g is None:
            continue                        # this op leads to no starting point
        for operand, operand_grad in zip(operands, vjp(g)):
            if operand_grad is None:
                continue
            if isinstance(operand, ops.VariableBase):
                operand.grad += operand_grad
            elif isinstance(operand, ops.Traced):
                key = id(operand)
                grads[key] = operand_grad if key not in grads else grads[key] + operand_grad
    return grads


def _carries_losses(cache):
    """Did the call that left ``cache`` add loss terms (a taped call, or a whole model)?"""
    return bool(getattr(cache, "loss_seeds", None)) or bool(getattr(cache, "activity", None)) \
        or getattr(cache, "penalty", 0.0) != 0.0


def _loss_value(layer, term):
    """The number(s) behind an ``add_loss`` term, or a kind error for anything else."""
    array = numbers_of(term)
    if array is None:
        raise ValueError(
            f'Layer "{layer.name}": add_loss() needs a tensor of numbers (a loss computed '
            f"with keras.ops inside call()), got {type(term).__name__} {term!r:.60}. Fix: "
            "e.g. self.add_loss(1e-2 * keras.ops.sum(inputs)).")
    return array.copy()


def _flat_inputs(inputs):
    """A call's inputs as a flat list: a list or tuple as it is, a dict in sorted-key
    order (Keras's ``tree.flatten``), anything else as a list of one."""
    if isinstance(inputs, dict):
        return [inputs[key] for key in sorted(inputs)]
    return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]


def _structured(inputs, values):
    """``values`` (one per flat input) back in the structure of ``inputs``."""
    if isinstance(inputs, dict):
        return dict(zip(sorted(inputs), values))
    return list(values) if isinstance(inputs, (list, tuple)) else values[0]


def _watched(tape, x):
    """The call's input(s) traced by ``tape``, in the same structure (array, list, dict)."""
    if isinstance(x, dict):
        return {key: tape.watch(value) for key, value in x.items()}
    if isinstance(x, (list, tuple)):
        return [tape.watch(value) for value in x]
    return tape.watch(x)


def _split_backward(result, has_keyword_tensors):
    """A layer given tensor keyword arguments may return ``(dx, {name: grads})``."""
    if has_keyword_tensors and isinstance(result, tuple) and len(result) == 2 \
            and isinstance(result[1], dict):
        return result
    return result, {}


def _is_tensor(value):
    """A symbolic tensor, a traced value or an array -- not a plain option value."""
    return isinstance(value, (KerasTensor, ops.Traced, np.ndarray)) or \
        backend.is_device_array(value)


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
    """What to write instead of each unknown keyword argument: its Keras 3 name if it is a
    Keras 2 one (``init=`` -> ``kernel_initializer=``), else the closest accepted name."""
    params = set()
    for cls in type(layer).__mro__:
        if "__init__" in vars(cls):
            params |= set(inspect.signature(cls.__init__).parameters)
    params -= {"self", "kwargs"}
    table = {**keras2.LAYER_ARGUMENTS, **keras2.LAYER_ARGUMENTS_OF.get(type(layer).__name__, {})}
    renamed = keras2.argument_hints(kwargs, table, accepted=params)
    hints = []
    for key in kwargs:
        close = difflib.get_close_matches(key, sorted(params), n=1)
        if close and key not in renamed:
            hints.append(f"did you mean {close[0]!r} instead of {key!r}?")
    others = [key for key in kwargs if key not in renamed]
    if hints:
        hint = "Hint: " + "; ".join(hints)
    elif others:
        hint = f"Accepted arguments: {sorted(params)}."
    else:
        hint = ""
    return " ".join([*renamed.values(), hint]).strip()