"""Model configs in Keras 3's JSON layout (``model.get_config()``).

A config describes the architecture only -- layer classes, their
arguments, and how they connect -- never the weights and never code.
Rebuilding a model from it only looks layer classes up by name. The model
classes call in here with themselves as ``cls`` (this module sits below them).
"""
import collections

from kerastutor.layers.base import dtype_policy_config
from kerastutor.layers.core import InputLayer
from kerastutor.layers.serialization import deserialize, serialize


#: The most layers, and layer calls, a model config may hold. Real models have
#: hundreds to a few thousand; the bounds stop a forged config from making the
#: loader build millions of layers.
MAX_LAYERS = 20_000
MAX_CALLS = 100_000


def _layer_entry(layer, build_shape=None):
    entry = serialize(layer)
    if build_shape is not None:
        entry["build_config"] = {"input_shape": list(build_shape)}
    return entry


def sequential_config(model):
    layers = []
    if model._input_layer is not None:
        layers.append(_layer_entry(model._input_layer))
    for layer in model._stack:
        shape = getattr(layer, "_build_input_shape", None)
        layers.append(_layer_entry(layer, shape if layer.built else None))
    config = {"name": model.name, "trainable": model.trainable,
              "dtype": dtype_policy_config(model.dtype), "layers": layers}
    if model._input_layer is not None:
        config["build_input_shape"] = list(model._input_layer.batch_shape)
    return config


def sequential_from_config(cls, config, custom_objects=None):
    """A ``cls`` (Sequential) with the config's layers added in order, built if it was."""
    model = cls(name=config.get("name"), trainable=config.get("trainable", True))
    for _, entry in _layer_entries(config):
        model.add(deserialize(entry, custom_objects=custom_objects))
    shape = config.get("build_input_shape")
    if shape is not None and not model.built and model._stack:
        model.build(tuple(shape))
    return model


def _own_nodes(model, layer):
    """The nodes of ``layer`` that belong to this model's graph, in call order."""
    wanted = []
    for node in layer._inbound_nodes:
        if any(id(t) in model._tensor_ids for t in node.outputs):
            wanted.append(node)
    return wanted


def _tensor_ref(model, tensor):
    layer, node_index, tensor_index = tensor.history
    node = layer._inbound_nodes[node_index]
    local_index = _own_nodes(model, layer).index(node)
    return [layer.name, local_index, tensor_index]


def _keras_tensor(model, tensor):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(tensor.shape), "dtype": tensor.dtype,
                       "keras_history": _tensor_ref(model, tensor)}}


def functional_config(model):
    model._tensor_ids = {id(t) for node_layer in model.layers
                         for node in node_layer._inbound_nodes for t in node.outputs
                         if _in_graph(model, node)}
    layers = []
    for layer in model.layers:
        entry = _layer_entry(layer)
        entry["name"] = layer.name
        inbound = []
        for node in _own_nodes(model, layer):
            if isinstance(layer, InputLayer):
                continue
            args = [_keras_tensor(model, t) for t in node.inputs[:node.n_main]]
            if len(args) > 1 or layer.takes_a_list:
                args = [args]
            inbound.append({"args": args, "kwargs": _node_kwargs(model, node)})
        entry["inbound_nodes"] = inbound
        layers.append(entry)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": [_tensor_ref(model, t) for t in model.inputs],
            "output_layers": [_tensor_ref(model, t) for t in model.outputs]}


def _node_kwargs(model, node):
    """The call's keyword arguments, tensors written as Keras's ``__keras_tensor__`` refs."""
    tensors = node.inputs[node.n_main:]
    refs = [_keras_tensor(model, t) for t in tensors]
    kwargs = node.arguments.rebuild(refs)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}


def _in_graph(model, node):
    if isinstance(node.layer, InputLayer):
        return any(node.outputs[0] is t for t in model.inputs)
    return any(step.layer is node.layer and step.in_tensors is node.inputs
               for step in model._steps)


def functional_from_config(cls, config, custom_objects=None):
    """Re-create the layers, then replay their calls, each as soon as its inputs exist.

    Replaying is a topological sort (Kahn's algorithm). Every recorded call
    waits on the tensors it reads -- and, for a shared layer, on that layer's
    previous call, so node indices keep their order. When a tensor is made,
    the calls waiting on it are told; a call whose last wait ends joins the
    queue. Each call and each reference is handled once, so rebuilding costs
    :math:`O(\text{layers} + \text{references})` -- linear in the config's
    size, whatever order the layers are listed in.
    """
    entries = _layer_entries(config)
    layers = {name: deserialize(entry, custom_objects=custom_objects)
              for name, entry in entries}
    graph = _CallGraph(entries)
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            graph.produce((name, 0, 0), layer.output_tensor)
    while graph.ready:
        name, node_index, node = graph.next_call()
        args = _replace_refs(node["args"], graph.made)
        kwargs = _replace_refs(node.get("kwargs") or {}, graph.made)
        out = layers[name](args[0] if len(args) == 1 else args, **kwargs)
        for t_index, tensor in enumerate(out if isinstance(out, list) else [out]):
            graph.produce((name, node_index, t_index), tensor)
        graph.produce(("call of", name, node_index), None)
    graph.check_complete()
    inputs = [graph.tensor(r, "input_layers") for r in _ref_list(config.get("input_layers"))]
    outputs = [graph.tensor(r, "output_layers")
               for r in _ref_list(config.get("output_layers"))]
    return cls(inputs=inputs if len(inputs) > 1 else inputs[0],
                 outputs=outputs if len(outputs) > 1 else outputs[0], name=config.get("name"))


class _CallGraph:
    """The recorded layer calls of a functional config, and which of them can run now."""

    def __init__(self, entries):
        self.made = {}          # (layer name, node index, tensor index) -> KerasTensor
        self.calls = []         # (layer name, node index, node record)
        self.waits = []         # per call: how many of its inputs are not made yet
        self.waiting = {}       # key -> the calls that wait on it
        self.ready = collections.deque()
        for name, entry in entries:
            for node_index, node in enumerate(_inbound_nodes(name, entry)):
                keys = {_ref_key(r, name) for r in _node_refs(name, node)}
                if node_index > 0:                      # a shared layer's calls, in order
                    keys.add(("call of", name, node_index - 1))
                self._add(name, node_index, node, keys)
        if len(self.calls) > MAX_CALLS:
            raise ValueError(f"Model config: {len(self.calls):,} layer calls, more than the "
                             f"{MAX_CALLS:,} kerastutor rebuilds; the config is not a real "
                             "model's. (Raise kerastutor.models.serialization.MAX_CALLS "
                             "if it is.)")

    def _add(self, name, node_index, node, keys):
        call = len(self.calls)
        self.calls.append((name, node_index, node))
        self.waits.append(len(keys))
        for key in keys:
            self.waiting.setdefault(key, []).append(call)
        if not keys:
            self.ready.append(call)

    def next_call(self):
        return self.calls[self.ready.popleft()]

    def produce(self, key, tensor):
        """``key`` now exists: tell the calls waiting on it."""
        self.made[key] = tensor
        for call in self.waiting.pop(key, ()):
            self.waits[call] -= 1
            if self.waits[call] == 0:
                self.ready.append(call)

    def check_complete(self):
        """Every call ran, or the config names a tensor nothing produces (or a cycle)."""
        stuck = [call for call, waits in enumerate(self.waits) if waits]
        if stuck:
            name, node_index, _ = self.calls[stuck[0]]
            never = next(key for key in self.waiting if key not in self.made)
            raise ValueError(
                f"Model config: the call {node_index} of layer {name!r} (and "
                f"{len(stuck) - 1} more) waits on {list(never)!r}, which no layer in the "
                "config produces (or the calls form a cycle); the config is incomplete or "
                "corrupt.")

    def tensor(self, ref, where):
        key = _ref_key(ref, where)
        if key not in self.made:
            raise ValueError(f"Model config: {where} names the tensor {list(key)!r}, which no "
                             "layer in the config produces.")
        return self.made[key]


def _layer_entries(config):
    """``[(layer name, layer record), ...]``, checked to be the list Keras writes."""
    records = config.get("layers")
    if not isinstance(records, list):
        raise ValueError(f"Model config: 'layers' must be a list of layer records, got "
                         f"{type(records).__name__}.")
    if len(records) > MAX_LAYERS:
        raise ValueError(f"Model config: {len(records):,} layers, more than the "
                         f"{MAX_LAYERS:,} kerastutor rebuilds; the config is not a real "
                         "model's. (Raise kerastutor.models.serialization.MAX_LAYERS if it is.)")
    entries = []
    for position, record in enumerate(records):
        inner = record.get("config") if isinstance(record, dict) else None
        if not isinstance(inner, dict):
            raise ValueError(f"Model config: layer record {position} must be a dict with a "
                             f"'config' dict, got {str(record)[:80]!r}.")
        name = inner.get("name", record.get("name"))
        if not isinstance(name, str):
            raise ValueError(f"Model config: layer record {position} has no name (a string "
                             f"under 'config'), got {name!r}.")
        entries.append((name, record))
    return entries


def _inbound_nodes(name, entry):
    nodes = entry.get("inbound_nodes") or []
    if not isinstance(nodes, list) or not all(
            isinstance(n, dict) and isinstance(n.get("args"), list) for n in nodes):
        raise ValueError(f"Model config: 'inbound_nodes' of layer {name!r} must be a list of "
                         "{'args': [...], 'kwargs': {...}} records.")
    return nodes


def _node_refs(name, node):
    try:
        return _refs(node["args"]) + _refs_in(node.get("kwargs") or {})
    except (KeyError, TypeError, IndexError) as err:
        raise ValueError(f"Model config: a call of layer {name!r} has a malformed tensor "
                         f"argument ({type(err).__name__}: {err}); expected "
                         "__keras_tensor__ records.") from None


def _ref_key(ref, where):
    """A tensor reference ``[layer name, node index, tensor index]`` as a dict key."""
    if not (isinstance(ref, (list, tuple)) and len(ref) == 3 and isinstance(ref[0], str)
            and all(isinstance(i, int) and not isinstance(i, bool) for i in ref[1:])):
        raise ValueError(f"Model config: {where!r} refers to the tensor {ref!r}; a reference "
                         "is [layer name, node index, tensor index].")
    return tuple(ref)


def _ref_list(refs):
    """Keras writes one model input/output as ``[name, 0, 0]``, several as a list of those."""
    return [refs] if refs and isinstance(refs[0], str) else refs


def _is_ref(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _refs(args):
    flat = args[0] if args and isinstance(args[0], list) else args
    return [a["config"]["keras_history"] for a in flat]


def _refs_in(value):
    """Every tensor reference inside a (nested) kwargs value."""
    if _is_ref(value):
        return [value["config"]["keras_history"]]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _refs_in(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs_in(v)]
    return []


def _replace_refs(value, made):
    """The same structure with each tensor reference replaced by its KerasTensor."""
    if _is_ref(value):
        return made[tuple(value["config"]["keras_history"])]
    if isinstance(value, dict):
        return {k: _replace_refs(v, made) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_refs(v, made) for v in value]
    return value
