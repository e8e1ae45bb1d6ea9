r"""Keras's order of a functional model's layers, which Keras's weight files depend on.

A legacy ``.h5`` weight file is read **by position** among the layers that
hold weights, so a model must list its layers in the order Keras lists them.
Keras does not list them in the order a depth-first walk finds them (the
order :class:`~kerastutor.models.Model` uses); it sorts them by **depth**,
the length of the longest path from the layer to an output:

1. walk the graph depth-first from the outputs, parents in call order, and
   number every layer when it is first reached (its *traversal index*);
2. give every output node depth 0 and every parent node
   :math:`d(\text{parent}) = \max(d(\text{parent}),\ d(\text{child}) + 1)`,
   visiting children before parents; a layer takes the largest depth of its
   nodes;
3. list the layers from the deepest to depth 0, ties by traversal index.

In a branched network the difference shows: Xception's strided 1x1 shortcut
convolution (``conv2d``) comes *after* the two separable convolutions of the
block it bypasses, because it is nearer the block's ``add``; in Inception the
1x1 branch of a module follows the longer branches' first layers.
"""


def _node_of(tensor):
    layer, node_index, _ = tensor.history
    return layer._inbound_nodes[node_index]


def keras_layer_order(model):
    """``model``'s layers in Keras's order (see the module): deepest first, ties by traversal."""
    input_ids = {id(t) for t in model.inputs}
    traversal = {}                          # id(layer) -> first-visit index
    finished, post_order = set(), []        # nodes, inputs -> outputs
    stack = [(t, False) for t in reversed(model.outputs)]
    while stack:
        tensor, leaving = stack.pop()
        node = _node_of(tensor)
        if leaving:
            if id(node) not in finished:
                finished.add(id(node))
                post_order.append(node)
            continue
        if id(node) in finished:
            continue
        if id(tensor) in input_ids and node.inputs:   # an input made by a layer outside
            finished.add(id(node))
            continue
        traversal.setdefault(id(node.layer), len(traversal))
        stack.append((tensor, True))
        stack.extend((parent, False) for parent in reversed(node.inputs))
    in_graph = {id(n) for n in post_order}
    node_depth, layer_depth, layer_of = {}, {}, {}
    for node in reversed(post_order):       # every child before its parents
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layer_of[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        for tensor in node.inputs:
            parent = _node_of(tensor)
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(node_depth.get(id(parent), 0), depth + 1)
    ordered = sorted(layer_of, key=lambda i: (-layer_depth[i], traversal[i]))
    return [layer_of[i] for i in ordered]


def use_keras_layer_order(model):
    """Make ``model.layers`` (and so its weights' order) Keras's; returns ``model``.

    The model computes exactly as before; only the listing changes.
    """
    model._layers = keras_layer_order(model)
    return model
