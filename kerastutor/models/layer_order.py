r"""Keras's order of ``model.layers``, which Keras's ``.h5`` weight files depend on.

A legacy ``.h5`` file is read **by position** among the layers that hold
weights, so a model must list its layers exactly as Keras does. For a chain
(VGG) any topological order is Keras's; for a graph with branches (ResNet's
shortcuts) Keras's order is a particular one (``keras/src/ops/function.py``,
``map_graph``):

1. walk depth-first from each output back through each node's inputs, in
   argument order, numbering every layer the first time it is reached;
2. give every node a *depth*, its distance from the outputs (the largest
   depth among its consumers, plus one), working from the outputs back;
3. list the layers by depth, deepest (the input) first; equal depths in the
   order of step 1.

In a ResNet block ``Add([shortcut, residual])`` this puts a shortcut
convolution (one layer from the ``Add``) after the residual branch's first
two convolutions and beside its last, which is where Keras's files have it.

A functional ``Model`` runs its layers in its own topological order (its
*steps*) and lists them, in ``model.layers``, in this one -- so ``summary``,
``get_weights``, saved files and Keras's application weight files all see
Keras's order.
"""
from kerastutor.layers.core import InputLayer


def _node_of(tensor):
    layer, node_index, _ = tensor.history
    return layer._inbound_nodes[node_index]


def keras_layer_order(inputs, outputs):
    """The layers of the graph from ``inputs`` to ``outputs``, in Keras's order."""
    input_ids = {id(t) for t in inputs}
    first_seen, layer_of = {}, {}
    post_order, finished, in_progress = [], set(), set()
    for output in outputs:                            # 1. depth-first, iteratively
        stack = [(output, False)]
        while stack:
            tensor, expanded = stack.pop()
            node = _node_of(tensor)
            if expanded:
                in_progress.discard(id(node))
                finished.add(id(node))
                post_order.append(node)
                continue
            if id(node) in finished:
                continue
            is_input = isinstance(node.layer, InputLayer)
            if not is_input and id(tensor) in input_ids:
                finished.add(id(node))                # a cut input: outside the graph
                continue
            if id(node) in in_progress:
                raise ValueError(f"The graph has a cycle at layer {node.layer.name!r}.")
            layer_of.setdefault(id(node.layer), node.layer)
            first_seen.setdefault(id(node.layer), len(first_seen))
            in_progress.add(id(node))
            stack.append((tensor, True))
            if not is_input:
                stack.extend((t, False) for t in reversed(node.inputs))

    in_graph = {id(node) for node in post_order}      # 2. depths, outputs first
    node_depth, layer_depth = {}, {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        if isinstance(node.layer, InputLayer):
            continue
        for tensor in node.inputs:
            parent = _node_of(tensor)
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    for tensor in inputs:                             # inputs no output depends on
        layer = tensor.history[0]
        if id(layer) not in layer_depth and isinstance(layer, InputLayer):
            layer_of[id(layer)], layer_depth[id(layer)], first_seen[id(layer)] = layer, 0, -1

    order = sorted(layer_depth, key=lambda i: (-layer_depth[i], first_seen[i]))   # 3.
    return [layer_of[i] for i in order]
