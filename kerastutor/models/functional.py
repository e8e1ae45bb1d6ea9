"""The functional ``Model``: a graph of layers walked forwards, then backwards.

``Model(inputs, outputs)`` follows the symbolic tensors back from
``outputs`` to ``inputs`` and lists the layer calls (nodes) in an order
where every node comes after the nodes that feed it (a *topological*
order). Then

* ``forward`` runs the nodes in that order, keeping each node's cache on a
  *tape* (a list, one entry per node);
* ``backward`` runs them in reverse, handing each node the gradient of its
  outputs and collecting the gradient of its inputs. A tensor that feeds
  several nodes receives the **sum** of their gradients -- the multivariable
  chain rule.

``Model`` is ``Model(Trainer, Layer)``, as in Keras 3: training
(``compile``/``fit``/``evaluate``/``predict``) comes from
:class:`~kerastutor.models.trainer.Trainer`, the layer behaviour from
:class:`~kerastutor.layers.base.Layer`, and this module adds the graph.
"""
import inspect
import json

import numpy as np

from kerastutor import backend, compiled, events, keras2, saving
from kerastutor.layers.base import (KerasTensor, Layer, _split_backward, format_shape,
                                    starts_a_call)
from kerastutor.layers.convolutional import BaseConv, is_plain_relu
from kerastutor.layers.core import InputLayer
from kerastutor.layers.pooling import MaxPooling2D, relu_pool_backward, tiling_max_pool_2d
from kerastutor.models.layer_order import keras_layer_order
from kerastutor.models.serialization import (check_auto_config, functional_config,
                                             functional_from_config,
                                             functional_like_constructor,
                                             init_defaults, is_functional_config,
                                             unrevivable_config_error)
from kerastutor.models.trainer import Trainer
from kerastutor.registry import get_registered_name
from kerastutor.utils.summary import summary_text


class _Step:
    """One node of the compiled graph: which slots it reads and writes.

    ``in_slots`` holds the main inputs first (``n_main`` of them), then the
    tensors of keyword arguments such as ``initial_state``.
    """

    __slots__ = ("layer", "in_slots", "out_slots", "multi_in", "multi_out", "out_shapes",
                 "in_tensors", "reads_only_inputs", "n_main", "arguments", "takes_mask",
                 "makes_mask")

    def __init__(self, layer, in_slots, out_slots, multi_out, out_shapes, node):
        self.layer = layer
        self.in_slots = in_slots
        self.out_slots = out_slots
        self.n_main = node.n_main
        self.multi_in = node.n_main > 1 or layer.takes_a_list
        self.multi_out = multi_out
        self.out_shapes = out_shapes
        self.in_tensors = node.inputs
        self.arguments = node.arguments
        self.reads_only_inputs = False
        self.takes_mask = _accepts_mask(layer)
        self.makes_mask = type(layer).compute_mask is not Layer.compute_mask

    def call_kwargs(self, values):
        """The keyword arguments of this call, with this run's tensor values."""
        if not self.arguments:
            return {}
        return self.arguments.rebuild([values[s] for s in self.in_slots[self.n_main:]])


def _accepts_mask(layer):
    try:
        return "mask" in inspect.signature(layer.forward).parameters
    except (TypeError, ValueError):
        return False


def _flatten(structure):
    """The tensors of an ``inputs``/``outputs`` structure as a flat list.

    A dict is flattened in the order of its **sorted keys**, as Keras's
    ``tree.flatten`` does: ``{"zz": a, "aa": b}`` gives ``[b, a]``. That order
    is the order of ``model.outputs``, of a list ``y``, and of a list ``loss``.
    """
    if isinstance(structure, dict):
        return [structure[key] for key in sorted(structure)]
    if isinstance(structure, (list, tuple)):
        return list(structure)
    return [structure]


class Model(Trainer, Layer):
    """A graph of layers with ``compile``/``fit``/``evaluate``/``predict``.

    ``Model(inputs, outputs)`` builds a functional model from symbolic
    tensors; inputs and outputs may be single tensors, lists or dicts.
    A model is itself a layer, so it can be called inside another model;
    the training methods come from :class:`~kerastutor.models.trainer.Trainer`.
    """

    def __new__(cls, *args, **kwargs):
        """Note what ``__init__`` will be given, for the default ``get_config``.

        Keras 3 records, when a Model subclass is created, the *defaults* of
        its ``__init__`` arguments (not the values passed): that is the config
        a subclass gets if it does not write ``get_config``. See
        :meth:`get_config`.
        """
        model = super().__new__(cls)
        model._auto_config = init_defaults(cls)
        model._init_call = (args, kwargs)
        return model

    def __init__(self, inputs=None, outputs=None, name=None, trainable=True, **kwargs):
        subclassed = type(self) not in (Model,) and inputs is None and \
            callable(getattr(type(self), "call", None))
        default = backend.snake_case(type(self).__name__) if subclassed else "functional"
        super().__init__(name=name or backend.unique_name(default), trainable=trainable,
                         **kwargs)
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._steps = []
        self._layers = []
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs): give both the input tensor(s) "
                                 "(from keras.Input) and the output tensor(s).")
            self._init_graph(inputs, outputs)

    # ------------------------------------------------------------ the graph
    def _init_graph(self, inputs, outputs):
        if isinstance(inputs, dict):
            _warn_misnamed_inputs(inputs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = _flatten(inputs)
        self.outputs = _flatten(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise ValueError(
                    f"Model {self.name!r}: inputs and outputs must be symbolic tensors made "
                    f"with keras.Input and layer calls, got {type(t).__name__}.")
        nodes = self._topological_nodes()
        slot_of = {}

        def slot(tensor):
            return slot_of.setdefault(id(tensor), len(slot_of))

        self._input_slots = [slot(t) for t in self.inputs]
        self._steps = []
        layers, seen = [], set()
        for node in nodes:
            if id(node.layer) not in seen:       # a set: a list's `in` is quadratic
                seen.add(id(node.layer))
                layers.append(node.layer)
            if isinstance(node.layer, InputLayer):
                continue
            self._steps.append(_Step(
                node.layer, [slot(t) for t in node.inputs], [slot(t) for t in node.outputs],
                multi_out=len(node.outputs) > 1,
                out_shapes=[t.shape for t in node.outputs], node=node))
        missing = [t for t in self.outputs if id(t) not in slot_of]
        if missing:
            raise ValueError(f"Model {self.name!r}: output {missing[0]} is not computed "
                             "from the model inputs.")
        for step in self._steps:
            step.reads_only_inputs = all(s in self._input_slots for s in step.in_slots)
        self._output_slots = [slot_of[id(t)] for t in self.outputs]
        self._n_slots = len(slot_of)
        self._layers = _in_keras_order(layers, self.inputs, self.outputs)
        self.built = True
        self._build_input_shape = (self.inputs[0].shape if len(self.inputs) == 1
                                   else [t.shape for t in self.inputs])

    def _topological_nodes(self):
        """Nodes from the inputs to the outputs, each after everything it reads.

        A depth-first search with an explicit stack (not recursion, so a chain
        of thousands of layers does not hit Python's recursion limit): a node
        is pushed once to open it and once more, after its parents, to emit it.
        """
        input_ids = {id(t) for t in self.inputs}
        order, visiting, done = [], set(), set()
        stack = [(tensor, False) for tensor in reversed(self.inputs + self.outputs)]
        while stack:
            tensor, parents_done = stack.pop()
            layer, node_index, _ = tensor.history
            node = layer._inbound_nodes[node_index]
            if parents_done:
                visiting.discard(id(node))
                done.add(id(node))
                order.append(node)
                continue
            if id(node) in done:
                continue
            if id(node) in visiting:
                raise ValueError(f"Model {self.name!r}: the graph has a cycle at "
                                 f"layer {layer.name!r}.")
            visiting.add(id(node))
            stack.append((tensor, True))
            if id(tensor) not in input_ids:
                self._check_connected(layer, tensor)
                stack.extend((parent, False) for parent in reversed(node.inputs))
        return order

    def _check_connected(self, layer, tensor):
        if isinstance(layer, InputLayer):
            raise ValueError(
                f"Graph disconnected: model {self.name!r} needs the value of input "
                f"{layer.name!r} {format_shape(tensor.shape)}, which is not among "
                f"the model's inputs {[t.name for t in self.inputs]}. Hint: pass "
                "every keras.Input the outputs depend on to Model(inputs=[...]).")

    @property
    def layers(self):
        """The model's layers in graph order (input layers included, as Keras)."""
        return list(self._sublayers())

    def _sublayers(self):
        # A subclassed model has no graph: its layers are the ones it assigned.
        return self._layers if self._layers else Layer._sublayers(self)

    def _is_subclassed(self):
        """Written the Keras subclassing way: layers in __init__, the maths in call()."""
        return not self._steps and self._defines_call()

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by position ``index`` in :attr:`layers`."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in self.layers]
        raise ValueError(f"No such layer: {name!r}. Existing layers are: {names}.")

    # --------------------------------------------------------------- weights
    @property
    def weights(self):
        """Every weight, layer by layer (Keras's ``get_weights()`` order)."""
        seen, out = set(), []
        for layer in self.layers:
            for w in layer.weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for w in self.weights if w.trainable and _owner_trainable(self, w)]

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    # ------------------------------------------------------ forward/backward
    @starts_a_call           # an outermost call starts model.losses afresh, as in Keras
    def forward(self, x, training=False):
        """Run every node in order; return ``(outputs, tape)``."""
        if self._is_subclassed():
            with events.owned_by(self):                  # its sub-layers announce themselves
                return Layer.forward(self, x, training)  # call() on the op tape
        xs = x if isinstance(x, (list, tuple)) else [x]
        if len(xs) != len(self._input_slots):
            raise ValueError(f"Model {self.name!r} expects {len(self._input_slots)} input(s), "
                             f"but received {len(xs)}.")
        values = [None] * self._n_slots
        for slot, array in zip(self._input_slots, xs):
            values[slot] = array
        tape = Tape()
        masks = None           # slot -> mask, once some layer has made a mask
        fused = {conv: pool for pool, conv in self._relu_pool_pairs().items()} \
            if fusing_relu_pools() else {}
        pooled = {}            # pool step -> its (output, cache), made with the conv before it
        for index, step in enumerate(self._steps):
            args = [values[s] for s in step.in_slots[:step.n_main]]
            x = args if step.multi_in else args[0]
            kwargs = step.call_kwargs(values)
            in_mask = None
            if masks is not None:            # the masks of the inputs, if any
                found = [masks[s] for s in step.in_slots[:step.n_main]]
                if any(m is not None for m in found):
                    in_mask = found if step.multi_in else found[0]
            if in_mask is not None and step.takes_mask and kwargs.get("mask") is None:
                kwargs["mask"] = in_mask
            elif in_mask is not None and not step.takes_mask:
                self._warn_if_mask_dropped(step)
            if index in pooled:                  # speed-up: made with the conv (below)
                y, cache = pooled.pop(index)
            elif index in fused and not kwargs and in_mask is None:
                (y, cache), pool_part = step.layer.forward_with_pool(
                    x, self._steps[fused[index]].layer, training)
                if pool_part is not None:
                    pooled[fused[index]] = pool_part
            else:
                y, cache = step.layer.forward(x, training, **kwargs)
            if step.layer.activity_regularizer is not None:
                tape.add_activity_penalty(index, step.layer, y)
            outs = y if step.multi_out else [y]
            for s, v in zip(step.out_slots, outs):
                values[s] = v
            if in_mask is not None or step.makes_mask:    # what the next layers see
                out_mask = step.layer.compute_mask(x, kwargs.get("mask", in_mask))
                if masks is None:
                    masks = [None] * self._n_slots
                for s, m in zip(step.out_slots, _as_list_of(out_mask, len(outs))):
                    masks[s] = m
            tape.append(cache)
            tape.penalty += getattr(cache, "penalty", 0.0)   # what the layer added with add_loss
            events.emit("layer_forward", model=self, layer=step.layer,
                        inputs=args if step.multi_in else args[0], output=y)
        outputs = [values[s] for s in self._output_slots]
        if masks is not None:          # Keras weights the loss by the outputs' masks
            tape.output_masks = [masks[s] for s in self._output_slots]
        return (outputs[0] if len(outputs) == 1 else outputs), tape

    def _warn_if_mask_dropped(self, step):
        """Keras's warning, once per layer of this model: a mask reached a layer that
        neither uses it nor passes it on (Flatten, Conv1D, ...), so it ends there."""
        layer = step.layer
        warned = self.__dict__.setdefault("_mask_drop_warned", set())
        if layer.supports_masking or step.makes_mask or id(layer) in warned:
            return
        warned.add(id(layer))
        backend.warn_user(
            f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed an input with a "
            "mask attached to it. However, this layer does not support masking and will "
            "therefore destroy the mask information. Downstream layers will not see the mask. "
            "Fix: if the padded steps must not count, reduce the sequence with a layer that "
            "reads the mask first (an LSTM/GRU, GlobalAveragePooling1D, attention).")

    def backward(self, tape, grad_out, input_grads=True):
        """Run the nodes in reverse; return dL/d(inputs) and fill every ``W.grad``.

        With ``input_grads=False`` (training: the inputs are data, nobody
        needs their gradient) the nodes fed only by model inputs compute
        their weight gradients and stop there.
        """
        if self._is_subclassed():
            return Layer.backward(self, tape, grad_out)
        grads_out = grad_out if isinstance(grad_out, (list, tuple)) else [grad_out]
        grads = [None] * self._n_slots
        for slot, g in zip(self._output_slots, grads_out):
            grads[slot] = g if grads[slot] is None else grads[slot] + g
        activity = getattr(tape, "activity", {})
        fed_by_data = self._steps_fed_only_by_data() if not input_grads else set()
        pairs = self._relu_pool_pairs() if fusing_relu_pools() else {}
        deltas = {}                # conv step -> its delta, found with the pool after it
        for index in reversed(range(len(self._steps))):
            step, cache = self._steps[index], tape[index]
            if index in deltas:                  # speed-up: see _relu_pool_pairs
                g_in = step.layer.backward_from_delta(cache, deltas.pop(index),
                                                      input_grad=index not in fed_by_data)
                if g_in is not None:
                    slot = step.in_slots[0]
                    grads[slot] = g_in if grads[slot] is None else grads[slot] + g_in
                continue
            if (index in pairs and index not in fed_by_data and index not in activity
                    and grads[step.out_slots[0]] is not None):
                delta = relu_pool_backward(step.layer, cache, grads[step.out_slots[0]])
                if delta is not None:
                    deltas[pairs[index]] = delta
                    continue
            g_out = [grads[s] for s in step.out_slots]
            if index in activity:             # d(activity penalty)/dy joins the upstream
                g_out[0] = activity[index] if g_out[0] is None else g_out[0] + activity[index]
            if all(g is None for g in g_out):
                continue                      # this node does not reach the loss
            if step.multi_out:
                g_out = [np.zeros((1,) + tuple(shape[1:])) if g is None else g
                         for g, shape in zip(g_out, step.out_shapes)]
            g = g_out if step.multi_out else g_out[0]
            if index in fed_by_data:
                if step.layer.trainable_weights:             # dL/d(data) is never used
                    step.layer.backward_weights(cache, g)
                g_in = None
            else:
                g_in = step.layer.backward(cache, g)
                extra = []
                if len(step.in_slots) > step.n_main:        # initial_state=..., mask=...
                    g_in, by_name = _split_backward(g_in, True)
                    extra = step.arguments.flat_grads(by_name)
                for s, g_s in zip(step.in_slots, (g_in if step.multi_in else [g_in]) + extra):
                    if g_s is not None:                      # sum over every use
                        grads[s] = g_s if grads[s] is None else grads[s] + g_s
            events.emit("layer_backward", model=self, layer=step.layer,
                        grad_output=g, grad_input=g_in)
        grad_inputs = [grads[s] for s in self._input_slots]
        return grad_inputs[0] if len(grad_inputs) == 1 else grad_inputs

    def _relu_pool_pairs(self):
        r"""``{pool step: conv step}`` for every ``Conv2D(activation="relu")`` whose output
        only a ``MaxPooling2D`` reads (speed-up plan for :meth:`forward` and
        :meth:`backward`).

        For such a pair the conv's bias and ReLU and the pool's maxima run as one
        compiled pass (:meth:`~kerastutor.layers.convolutional.BaseConv.forward_with_pool`),
        and so do the pool's backward and the conv's ReLU backward
        (:func:`~kerastutor.layers.pooling.relu_pool_backward`), the conv continuing from
        the :math:`\delta` it gives
        (:meth:`~kerastutor.layers.convolutional.BaseConv.backward_from_delta`). The
        plan asks only what cannot change during a fit; the arrays say at each step
        whether a pass applies. It is used only when nobody listens to the layer events
        (:func:`fusing_relu_pools`): a listener sees every layer run on its own.
        """
        return {pool: conv for pool, conv in self._pools_after_layers().items()
                if _pool_after_relu(self._steps[pool].layer)
                and _conv_with_relu(self._steps[conv])}

    def _pools_after_layers(self):
        """``{pool step: step}`` where a ``MaxPooling2D`` is the only reader of a step's
        output: the graph's part of :meth:`_relu_pool_pairs`, worked out once per graph
        (a model without such pools pays one look-up a step)."""
        remembered = self.__dict__.get("_pool_readers")
        if remembered is not None and remembered[0] is self._steps:
            return remembered[1]
        producer, readers = {}, {}
        for index, step in enumerate(self._steps):
            for s in step.out_slots:
                producer[s] = index
            for s in step.in_slots:
                readers[s] = readers.get(s, 0) + 1
        pairs = {}
        for index, step in enumerate(self._steps):
            slot = step.in_slots[0] if len(step.in_slots) == 1 else None
            if (type(step.layer) is MaxPooling2D and slot in producer and readers[slot] == 1
                    and slot not in self._output_slots):
                pairs[index] = producer[slot]
        self._pool_readers = (self._steps, pairs)
        return pairs

    def _steps_fed_only_by_data(self):
        """The steps whose inputs no trainable weight has touched: no gradient needed there.

        In training the model's inputs are data: nobody asks for their
        gradient. So a step fed straight from them needs only its weight
        gradients -- and so does a step fed by such steps when none of them
        has trainable weights (text -> StringLookup -> CategoryEncoding ->
        Dense: the Dense is the first place a gradient is used). A layer in
        that region without trainable weights needs no backward at all,
        which is what lets a model start with layers that have none
        (lookups, text vectorization, hashing: strings have no gradient).
        """
        reached = set()                 # slots whose value depends on a trainable weight
        fed_by_data = set()
        for index, step in enumerate(self._steps):
            if not any(s in reached for s in step.in_slots):
                fed_by_data.add(index)
                if not step.layer.trainable_weights:
                    continue
            reached.update(step.out_slots)
        return fed_by_data

    def zero_grad(self):
        """Reset every weight's gradient before a backward pass."""
        for w in self.weights:
            w.zero_grad()

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _input_shape_of(self, flat, shapes, inputs):
        return shapes if len(self._input_slots) > 1 else shapes[0]

    def _check_input(self, shapes):
        for index, (tensor, shape) in enumerate(zip(self.inputs, shapes)):
            expected = tensor.shape
            if len(shape) != len(expected) or any(
                    e is not None and s is not None and e != s
                    for e, s in zip(expected[1:], shape[1:])):
                raise ValueError(
                    f'Input {index} of model "{self.name}" is incompatible: expected shape '
                    f"{format_shape(expected)}, but received input with shape "
                    f"{format_shape(tuple(shape))}.{_batch_hint(expected, shape)}")

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_names(self):
        """The names of the layers that make the outputs (Keras's ``output_names``)."""
        return [t.history[0].name for t in self.outputs]

    # ------------------------------------------- inputs and outputs as given
    @property
    def input(self):
        """The input tensor(s) exactly as given to ``Model(inputs, ...)``.

        One tensor, a list or a dict -- the structure you passed, where
        :attr:`inputs` is always the flat list. A model without a graph (a
        subclassed one) has an input only once called on a symbolic tensor.
        """
        struct = getattr(self, "_inputs_struct", None)
        return Layer.input.fget(self) if struct is None else struct

    @property
    def output(self):
        """The output tensor(s) exactly as given to ``Model(..., outputs)``."""
        struct = getattr(self, "_outputs_struct", None)
        return Layer.output.fget(self) if struct is None else struct

    def _data_keys(self, kind):
        """The names that key a dict of data, one per flat input (``kind="input"``) or output.

        For inputs or outputs given as a dict they are the dict's keys (sorted,
        the flat order); otherwise the input tensors' names, or for outputs the
        output layers' names -- what ``fit``'s ``x``/``y`` dicts and
        ``compile``'s ``loss``/``metrics`` dicts are keyed by, as in Keras.
        """
        struct = getattr(self, "_inputs_struct" if kind == "input" else "_outputs_struct",
                         None)
        if isinstance(struct, dict):
            return sorted(struct)
        if kind != "input":
            return self.output_names
        return [t.history[0].name if t.history else f"input_{i}"
                for i, t in enumerate(self.inputs)]

    def _pack_outputs(self, flat):
        """Flat outputs (arrays or tensors) in the structure the model was given.

        Dict outputs come back as a dict keyed like ``Model(..., outputs={...})``;
        otherwise one output comes back alone and several as a list.
        """
        flat = list(flat) if isinstance(flat, (list, tuple)) else [flat]
        if isinstance(getattr(self, "_outputs_struct", None), dict):
            return dict(zip(self._data_keys("output"), flat))
        return flat[0] if len(flat) == 1 else flat

    def _flat_inputs(self, inputs):
        """A dict of inputs as the list the graph reads (by the keys of :meth:`_data_keys`)."""
        if not isinstance(inputs, dict) or not self._steps:
            return inputs
        keys = self._data_keys("input")
        missing = [key for key in keys if key not in inputs]
        if missing:
            raise ValueError(
                f"Model {self.name!r}: the inputs dict has no entry for {missing}; "
                f"expected the keys {keys}, received {sorted(inputs)}.")
        flat = [inputs[key] for key in keys]
        return flat if len(flat) > 1 else flat[0]

    def __call__(self, inputs, training=None, **kwargs):
        inputs = self._flat_inputs(inputs)
        self._ensure_built_for(inputs)
        outputs = super().__call__(inputs, training=training, **kwargs)
        if isinstance(getattr(self, "_outputs_struct", None), dict):
            return self._pack_outputs(outputs)
        return outputs

    def _ensure_built_for(self, inputs):
        """Subclassed models build on their first data (Sequential overrides this)."""
        if self.built or not self._is_subclassed():
            return
        xs = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if any(isinstance(t, KerasTensor) for t in xs):
            raise ValueError(f"Model {self.name!r} is subclassed: call it on data (or fit "
                             "it) before using it on symbolic tensors.")
        sample = [np.asarray(a)[:1] for a in xs]
        self._build_input_shape = ([(None,) + a.shape[1:] for a in sample] if len(sample) > 1
                                   else (None,) + sample[0].shape[1:])
        y, _ = Layer.forward(self, sample if len(sample) > 1 else sample[0], False)
        outs = y if isinstance(y, list) else [y]
        # Symbolic stand-ins so fit/evaluate/summary know the shapes.
        self.inputs = [KerasTensor((None,) + a.shape[1:]) for a in sample]
        self.outputs = [KerasTensor((None,) + np.shape(o)[1:], history=(self, 0, i),
                                    name=self.name) for i, o in enumerate(outs)]
        self._input_slots = list(range(len(sample)))
        self.built = True

    # ------------------------------------------------------------- summary
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print the Keras-style table of layers, output shapes and parameter counts."""
        text = summary_text(self, line_length=line_length, positions=positions,
                            show_trainable=show_trainable)
        (print_fn or print)(text)

    def _prints_as_sequential(self):
        """A single chain of one-input, one-output nodes prints like a Sequential."""
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            return False
        return all(len(step.in_slots) == 1 and len(step.out_slots) == 1
                   for step in self._steps)

    # ------------------------------------------------------- serialization
    def get_config(self):
        """The model's config, as Keras writes it for each kind of model.

        * A functional model (``Model(inputs, outputs)``, or a subclass whose
          ``__init__`` takes the same arguments): its graph -- layers, calls,
          inputs and outputs (:func:`~kerastutor.models.serialization.functional_config`).
        * A subclass that overrides ``get_config`` and calls ``super()``: the
          base keys ``name``, ``trainable``, ``dtype``, which it extends.
        * A subclass that does not write ``get_config``: Keras's automatic
          config, the base keys plus the *defaults* of ``__init__``'s arguments
          -- possible only when every argument has a plain default (a number,
          a string, a boolean, None). If ``__init__`` needs an argument, there
          is nothing to rebuild it from, and Keras's ``NotImplementedError``
          asks you to write ``get_config``.
        """
        if self._steps and functional_like_constructor(type(self), Model):
            return functional_config(self)
        base = Layer.get_config(self)
        if type(self).get_config is not Model.get_config:
            return base                          # the subclass extends these keys
        auto = check_auto_config(self)           # raises Keras's error if there is none
        config = {"name": base.pop("name"), **auto, **base}
        if not _init_takes_name(type(self)):
            config.pop("name")                   # __init__ could not take it back
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a model: replay a functional graph, else call ``cls(**config)``."""
        if is_functional_config(config) and functional_like_constructor(cls, Model):
            return functional_from_config(cls, config, custom_objects=custom_objects)
        try:
            return cls(**config)
        except TypeError as err:
            raise unrevivable_config_error(cls, config, err) from None

    def get_build_config(self):
        """How to build the model again: ``{"input_shape": ...}``, or None if never built.

        A functional model builds itself from its graph, so Keras writes
        ``{"input_shape": None}``; a subclassed model records the shape of
        the first data it was called on.
        """
        if not self.built:
            return None
        if self._steps and not self._is_subclassed():
            return {"input_shape": None}
        return {"input_shape": saving.json_shape(self._build_input_shape)}

    def build_from_config(self, config):
        """Build from a saved ``build_config``: a subclassed model runs once on zeros,
        which creates the weights of every layer its ``call`` uses."""
        shape = (config or {}).get("input_shape")
        if shape is None or self.built:
            return
        shapes = shape if shape and isinstance(shape[0], (list, tuple)) else [shape]
        zeros = [np.zeros(tuple(1 if d is None else d for d in s), dtype=backend.floatx())
                 for s in shapes]
        self._ensure_built_for(zeros if len(zeros) > 1 else zeros[0])

    def get_compile_config(self):
        """The arguments ``compile`` was given, serialized (``{}`` if not compiled)."""
        return saving.compile_config(self) if self.compiled else {}

    def compile_from_config(self, config):
        """Compile as a saved ``compile_config`` says (what ``load_model`` does)."""
        if config:
            saving.compile_from_config(self, config)

    def _serialized_class(self):
        """How a record names this model's class: ``(module, class_name, registered_name)``.

        ``keras.Model(inputs, outputs)`` is Keras's ``Functional``; a subclass
        of yours is named by its registered name (``"package>Name"``).
        """
        if type(self) is Model:
            return "keras.src.models.functional", "Functional", "Functional"
        return None, type(self).__name__, get_registered_name(type(self))

    def _layers_for_saving(self):
        """The list a weights file stores under ``layers/``; ``None`` for a subclassed
        model, whose layers are saved as the attributes that hold them."""
        return self.layers if self._steps else None

    def save(self, filepath, overwrite=True, **kwargs):
        saving.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs):
        """The model's architecture as JSON (no weights); ``keras.models.model_from_json``
        rebuilds it. ``kwargs`` go to ``json.dumps`` (``indent=2``, ...)."""
        return json.dumps(saving.model_to_config(self), **kwargs)


# Keras 2's fit_generator, predict_classes, ...: reading one raises the AttributeError Keras 3
# raises, naming what to call instead.
keras2.mark_removed(Model, keras2.MODEL_ATTRIBUTES)


def _init_takes_name(cls):
    """Keras keeps ``name`` in the automatic config only if ``__init__`` can take it back:
    a parameter called ``name``, or a ``**kwargs`` (called exactly that)."""
    parameters = inspect.signature(cls.__init__).parameters
    kwargs = parameters.get("kwargs")
    return "name" in parameters or (
        kwargs is not None and kwargs.kind is inspect.Parameter.VAR_KEYWORD)


def _as_list_of(mask, count):
    """A layer's output mask as one entry per output."""
    if count > 1:
        return list(mask) if isinstance(mask, (list, tuple)) else [mask] * count
    return [mask[0] if isinstance(mask, (list, tuple)) else mask]


def _owner_trainable(model, weight):
    """A weight is trainable only if every layer that holds it is trainable."""
    for layer in model.layers:
        if not layer.trainable and any(w is weight for w in layer.weights):
            return False
    return True


def _batch_hint(expected, shape):
    """A guess at why the data has a rank other than the model input's, for the message.

    ``expected`` is the model input's shape, batch axis (None) first; ``shape``
    the data's. One axis short is the common case, with three usual causes,
    each told apart by comparing the axes that are there.
    """
    data = format_shape(tuple(shape))
    if len(shape) == len(expected) - 1:
        if expected[-1] == 1 and _fits(expected[1:-1], shape[1:]):
            return _channel_hint(data, tuple(shape) + (1,), "x[..., None]",
                                 "np.expand_dims(x, -1)", "last")
        if len(expected) >= 3 and expected[1] == 1 and _fits(expected[2:], shape[1:]):
            return _channel_hint(data, tuple(shape[:1]) + (1,) + tuple(shape[1:]),
                                 "x[:, None]", "np.expand_dims(x, 1)", "second")
        if _fits(expected[1:], shape):
            return (" Hint: the data's shape is the model input's shape without the batch "
                    "axis. If x is one sample, make it a batch of one: x[None] (or "
                    "np.expand_dims(x, 0)). If x is the whole data set, the input shape "
                    "included the batch size: keras.Input(shape=...) takes one sample's "
                    "shape, here keras.Input(shape=x.shape[1:]).")
        return (" Hint: the data has one axis fewer than the model input; "
                "keras.Input(shape=...) takes one sample's shape, without the batch size.")
    if len(shape) == len(expected) + 1:
        if shape[-1] == 1 and _fits(expected[1:], shape[1:-1]):
            return (f" Hint: the data {data} has an extra last axis of size 1: drop it with "
                    "x = x[..., 0] (or np.squeeze(x, -1)), or give the model that axis: "
                    "keras.Input(shape=x.shape[1:]).")
        return (" Hint: the data has one axis more than the model input; "
                "keras.Input(shape=...) takes one sample's shape: keras.Input(shape=x.shape[1:]).")
    return ""


def _channel_hint(data, fixed, code, numpy_code, which):
    """The data lacks an axis of size 1 that the model input has: say where it goes."""
    what = ("the channel axis of grayscale images" if len(fixed) >= 4 else
            "one feature per time step, or the channel axis of a single signal")
    return (f" Hint: the data {data} lacks the model input's {which} axis, of size 1 -- "
            f"{what}. Add it: x = {code} (or {numpy_code}) makes the shape "
            f"{format_shape(fixed)}.")


def _warn_misnamed_inputs(inputs):
    """Keras's warning: a dict of inputs whose keys differ from the Input tensors' names."""
    for key, tensor in inputs.items():
        name = getattr(tensor, "name", key)
        if isinstance(tensor, KerasTensor) and name != key:
            backend.warn_user(
                "When providing `inputs` as a dict, all keys in the dict must match the names "
                f"of the corresponding tensors. Received key '{key}' mapping to value {tensor} "
                f"which has name '{name}'. Change the tensor name to '{key}' (via "
                f"`Input(..., name='{key}')`)")


def _fits(expected, shape):
    """Do two shapes agree, axis by axis (None, an unknown size, fits anything)?"""
    return len(expected) == len(shape) and all(
        e is None or s is None or e == s for e, s in zip(expected, shape))


class Tape(list):
    """The caches of one forward pass, one per node, plus activity penalties.

    A layer built with ``activity_regularizer=R`` adds :math:`R(y)/N` to the
    loss (Keras divides by the batch size :math:`N`); its gradient
    :math:`R'(y)/N` is added to the layer's upstream gradient in backward.
    """

    def __init__(self):
        super().__init__()
        self.penalty = 0.0
        self.activity = {}          # node index -> dR/dy / N
        self.output_masks = None    # masks of the model outputs, when a layer made one

    def add_activity_penalty(self, index, layer, y):
        value, gradient = layer.record_activity_loss(y)     # also listed in layer.losses
        self.penalty += value
        self.activity[index] = gradient


def _in_keras_order(layers, inputs, outputs):
    """``layers`` (the run order) listed as Keras lists them (:mod:`layer_order`);
    kept as they are if the two lists ever held different layers."""
    ordered = keras_layer_order(inputs, outputs)
    return ordered if sorted(map(id, ordered)) == sorted(map(id, layers)) else layers


# ---------------------------------------------- speed-up: a conv's ReLU and the pool after it
def fusing_relu_pools():
    """Whether :meth:`Functional.forward` and ``backward`` may fuse a conv's ReLU with the
    max pooling after it: the compiled kernels are on and nobody listens to the events (a
    listener such as the tracer sees every layer's own output and gradient)."""
    return compiled.is_enabled() and not events.listening()


def _pool_after_relu(layer):
    return (type(layer) is MaxPooling2D and tiling_max_pool_2d(layer)
            and layer.activity_regularizer is None)


def _conv_with_relu(step):
    """A one-input, one-output conv whose activation is a plain ReLU, with BaseConv's own
    backward (not a separable conv's) and no activity penalty, in channels_last."""
    layer = step.layer
    return (isinstance(layer, BaseConv) and not step.multi_in and not step.multi_out
            and len(step.in_slots) == 1 and layer.data_format == "channels_last"
            and type(layer).backward_weights is BaseConv.backward_weights
            and type(layer).backward is BaseConv.backward
            and is_plain_relu(layer.activation) and layer.activity_regularizer is None)
