"""Model configs in Keras 3's JSON layout (``model.get_config()``).

A config describes the architecture only -- layer classes, their
arguments, and how they connect -- never the weights and never code.
Rebuilding a model from it only looks layer classes up by name. The model
classes call in here with themselves as ``cls`` (this module sits below them).
"""
import collections
import inspect
import textwrap

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
            "input_layers": _map_tensors(model, model._inputs_struct),
            "output_layers": _map_tensors(model, model._outputs_struct)}


def _map_tensors(model, struct):
    """The model's inputs or outputs as given -- one tensor, a list, a dict -- with each
    tensor replaced by its reference ``[layer name, node index, tensor index]``."""
    if isinstance(struct, dict):
        return {key: _map_tensors(model, value) for key, value in struct.items()}
    if isinstance(struct, (list, tuple)):
        return [_map_tensors(model, value) for value in struct]
    return _tensor_ref(model, struct)


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
    inputs = _tensors_of(config.get("input_layers"), graph, "input_layers")
    outputs = _tensors_of(config.get("output_layers"), graph, "output_layers")
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"))


def _tensors_of(refs, graph, where):
    """The structure ``refs`` (a reference, a list or a dict of them) with tensors in it.

    A single reference ``[name, 0, 0]`` is one tensor, ``[[name, 0, 0]]`` a
    list of one: the model comes back with the structure it was made with.
    """
    if isinstance(refs, dict):
        return {key: _tensors_of(value, graph, where) for key, value in refs.items()}
    if isinstance(refs, list) and refs and not isinstance(refs[0], str):
        return [_tensors_of(value, graph, where) for value in refs]
    return graph.tensor(refs, where)


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


# ------------------------------------------------------------ subclassed models
#: The values Keras's automatic config accepts: what JSON holds without help.
_PLAIN = (str, int, float, bool, type(None))

_EXAMPLE = """
class CustomLayer(keras.layers.Layer):
    def __init__(self, arg1, arg2, **kwargs):
        super().__init__(**kwargs)
        self.arg1 = arg1
        self.arg2 = arg2

    def get_config(self):
        config = super().get_config()
        config.update({
            "arg1": self.arg1,
            "arg2": self.arg2,
        })
        return config
"""


def init_defaults(cls):
    """The automatic config Keras 3 records for a Model subclass: ``__init__``'s defaults.

    Keras's ``Model.__new__`` does not look at the values you pass; it keeps
    the *default* of every ``__init__`` argument (``name`` aside). So there is
    an automatic config only if every argument has a default, and every
    default is a plain value. Returns that dict, or None when there is none.
    """
    try:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    config = {}
    for parameter in parameters:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.kind is parameter.POSITIONAL_ONLY or parameter.default is parameter.empty:
            return None
        config[parameter.name] = parameter.default
    config.pop("name", None)
    return config if all(_is_plain(value) for value in config.values()) else None


def _is_plain(value):
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_is_plain(v) for v in value.values())
    return isinstance(value, _PLAIN)


def check_auto_config(model):
    """``model``'s automatic config, or Keras's ``NotImplementedError`` saying to write one.

    One refusal Keras does not make: an argument passed with a value other
    than its default. Keras would save the default and the reloaded model
    would differ from the saved one (its weights might not even fit); here
    the same error names the argument instead.
    """
    cls = type(model)
    auto = getattr(model, "_auto_config", None)
    lost = _arguments_not_recorded(model, auto) if auto is not None else []
    if auto is not None and not lost:
        return dict(auto)
    reason = (f"The automatic config would record the defaults of {lost}, not the values "
              "you passed. " if lost else "")
    raise NotImplementedError(textwrap.dedent(f"""
        Object {cls.__name__} was created by passing
        non-serializable argument values in `__init__()`,
        and therefore the object must override `get_config()` in
        order to be serializable. Please implement `get_config()`.

        """) + f"{reason}Hint: a Model subclass whose __init__ takes arguments (other than "
        "**kwargs) needs a get_config() returning them -- and a from_config() if they are "
        f"layers or other objects.\n\nExample:\n{_EXAMPLE}")


def _arguments_not_recorded(model, auto):
    """The arguments passed to ``__init__`` whose value is not the default Keras records."""
    args, kwargs = getattr(model, "_init_call", ((), {}))
    try:
        bound = inspect.signature(type(model).__init__).bind_partial(None, *args, **kwargs)
    except TypeError:
        return []
    lost = []
    for name, value in list(bound.arguments.items())[1:]:
        if name in auto and not (_is_plain(value) and value == auto[name]):
            lost.append(name)
    return lost


def functional_like_constructor(cls, model_class):
    """True if ``cls.__init__`` takes exactly ``Model``'s arguments (inputs, outputs, ...):
    then its config is the graph, and the graph rebuilds it (Keras's rule)."""
    init = getattr(cls.__init__, "__wrapped__", cls.__init__)
    return cls is model_class or init is model_class.__init__ or (
        inspect.getfullargspec(init).args[1:] ==
        inspect.getfullargspec(model_class.__init__).args[1:])


def is_functional_config(config):
    """A config with the keys of a graph: name, layers, input_layers, output_layers."""
    return all(key in config for key in ("name", "layers", "input_layers", "output_layers"))


def unrevivable_config_error(cls, config, err):
    """Keras's TypeError when ``cls(**config)`` fails, with what to write instead."""
    return TypeError(
        "Unable to revive model from config. When overriding the `get_config()` method, "
        "make sure that the returned config contains all items used as arguments in the  "
        f"constructor to {cls}, which is the default behavior. You can override this "
        "default behavior by defining a `from_config(cls, config)` class method to "
        f"specify how to create an instance of {cls.__name__} from its config.\n\n"
        f"Received config={config}\n\nError encountered during deserialization: {err}")
