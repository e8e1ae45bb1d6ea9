"""``keras.utils.get_source_inputs``: the ``Input`` tensors a symbolic tensor was computed from."""


def get_source_inputs(tensor):
    """The list of input tensors needed to compute ``tensor``, walking its graph backwards.

    A symbolic tensor remembers ``history = (layer, node_index, tensor_index)``:
    which layer call made it. From that call's inputs we walk on until we reach
    ``Input`` tensors (nodes with no inputs), listing each once. Anything that is
    not a symbolic tensor is returned unchanged, as in Keras.
    """
    history = getattr(tensor, "history", None)
    if history is None:
        return tensor if not hasattr(tensor, "history") else [tensor]
    layer, node_index, _ = history
    if not layer or not getattr(layer, "_inbound_nodes", None):
        return [tensor]
    node = layer._inbound_nodes[node_index]
    if not node.inputs:                      # an Input layer: the walk stops here
        return list(node.outputs)
    sources = []
    for parent in node.inputs:
        for source in get_source_inputs(parent):
            if all(source is not known for known in sources):
                sources.append(source)
    return sources
