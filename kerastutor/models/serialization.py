"""Model configs in Keras 3's JSON layout (``model.get_config()``).

A config describes the architecture only -- layer classes, their
arguments, and how they connect -- never the weights and never code.
Rebuilding a model from it only looks layer classes up by name. The model
classes call in here with themselves as ``cls`` (this module sits below them).
"""
from kerastutor.layers.base import dtype_policy_config
from kerastutor.layers.core import InputLayer
from kerastutor.layers.serialization import deserialize, serialize


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
    for entry in config["layers"]:
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
    """Re-create the layers, then replay their calls until every output exists."""
    layers = {entry["config"].get("name", entry.get("name")):
              deserialize(entry, custom_objects=custom_objects)
              for entry in config["layers"]}
    made = {}      # (layer name, node index, tensor index) -> KerasTensor
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            made[(name, 0, 0)] = layer.output_tensor
    pending = [(entry["config"].get("name", entry.get("name")), i, node)
               for entry in config["layers"] for i, node in enumerate(entry["inbound_nodes"])]
    while pending:
        progress = False
        for item in list(pending):
            name, node_index, node = item
            refs = _refs(node["args"]) + _refs_in(node.get("kwargs") or {})
            if all(tuple(r) in made for r in refs):
                args = _replace_refs(node["args"], made)
                kwargs = _replace_refs(node.get("kwargs") or {}, made)
                out = layers[name](args[0] if len(args) == 1 else args, **kwargs)
                for t_index, tensor in enumerate(out if isinstance(out, list) else [out]):
                    made[(name, node_index, t_index)] = tensor
                pending.remove(item)
                progress = True
        if not progress:
            raise ValueError("Model config: some layer inputs are never produced; the "
                             "config is incomplete or corrupt.")
    inputs = [made[tuple(r)] for r in _ref_list(config["input_layers"])]
    outputs = [made[tuple(r)] for r in _ref_list(config["output_layers"])]
    return cls(inputs=inputs if len(inputs) > 1 else inputs[0],
                 outputs=outputs if len(outputs) > 1 else outputs[0], name=config.get("name"))


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
