"""``keras.utils.plot_model`` drawn with matplotlib: no graphviz, no pydot.

A model is a directed graph of layers. The drawing puts each layer in a
*rank* -- the length of the longest path from an input to it -- so every
arrow points from one rank to a later one, then spreads the layers of a rank
side by side. That is the whole layout algorithm: enough for the chains and
small branching graphs of a tutorial, and readable in a few lines.
"""
from kerastutor.layers.base import format_shape
from kerastutor.layers.core import InputLayer


def model_graph(model):
    """``(layers, edges)``: every layer of the graph once, and ``(from, to)`` index pairs."""
    if not model._steps:
        raise ValueError(f"plot_model: model {model.name!r} has no graph to draw (a "
                         "subclassed model defines its computation in call()). Hint: build "
                         "it with keras.Input and layer calls, or as a Sequential.")
    layers, index = [], {}

    def add(layer):
        if id(layer) not in index:
            index[id(layer)] = len(layers)
            layers.append(layer)
        return index[id(layer)]

    for tensor in model.inputs:
        add(tensor.history[0])
    edges = []
    for step in model._steps:
        target = add(step.layer)
        for tensor in step.in_tensors:
            edge = (add(tensor.history[0]), target)
            if edge not in edges:
                edges.append(edge)
    return layers, edges


def ranks(count, edges):
    """Longest-path depth of each node (edges go from earlier to later nodes)."""
    depth = [0] * count
    for source, target in sorted(edges, key=lambda e: e[1]):
        depth[target] = max(depth[target], depth[source] + 1)
    return depth


def _label(layer, show_shapes, show_dtype, show_layer_names, show_layer_activations,
           show_trainable):
    title = type(layer).__name__
    if show_layer_names:
        title = f"{layer.name} ({title})"
    lines = [title]
    if show_layer_activations and hasattr(layer, "activation"):
        activation = getattr(layer.activation, "__name__", None) or \
            getattr(layer.activation, "name", None) or type(layer.activation).__name__
        lines.append(f"activation: {activation}")
    if show_shapes:
        node = layer._inbound_nodes[0] if layer._inbound_nodes else None
        if node is not None and not isinstance(layer, InputLayer):
            shapes = [format_shape(t.shape) for t in node.inputs]
            lines.append("in: " + ", ".join(shapes))
        if node is not None:
            lines.append("out: " + ", ".join(format_shape(t.shape) for t in node.outputs))
    if show_dtype:
        lines.append(f"dtype: {layer.dtype}")
    if show_trainable:
        lines.append(f"trainable: {layer.trainable}")
    return "\n".join(lines)


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draw ``model`` as a graph of boxes and arrows and save it to ``to_file``.

    Arguments as in Keras; ``rankdir`` is ``"TB"`` (top to bottom) or
    ``"LR"`` (left to right). Returns the matplotlib Figure. ``expand_nested``
    is accepted for compatibility: a nested model is drawn as one box.
    """
    import matplotlib.pyplot as plt    # optional and heavy: imported only when drawing
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' or 'LR', got {rankdir!r}.")
    layers, edges = model_graph(model)
    depth = ranks(len(layers), edges)
    rows = {}
    for i, d in enumerate(depth):
        rows.setdefault(d, []).append(i)
    position = {}
    for d, members in rows.items():                  # spread each rank, centred on 0
        for k, i in enumerate(members):
            across = k - (len(members) - 1) / 2
            position[i] = ((across * 3.2, -d * 1.6) if rankdir == "TB"
                           else (d * 3.6, -across * 1.6))
    width = max(len(m) for m in rows.values()) * 3.2 + 1
    height = (max(depth) + 1) * 1.6 + 0.5
    size = (max(width, 4), max(height, 2)) if rankdir == "TB" else (max(height * 1.4, 4),
                                                                    max(width / 2, 2))
    figure, axes = plt.subplots(figsize=size)
    for source, target in edges:
        axes.annotate("", xy=position[target], xytext=position[source],
                      arrowprops=dict(arrowstyle="-|>", color="0.35", shrinkA=22,
                                      shrinkB=22))
    for i, layer in enumerate(layers):
        text = _label(layer, show_shapes, show_dtype, show_layer_names,
                      show_layer_activations, show_trainable)
        axes.text(*position[i], text, ha="center", va="center", fontsize=8,
                  bbox=dict(boxstyle="round,pad=0.4", facecolor="#e8f0fb", edgecolor="0.3"))
    xs = [p[0] for p in position.values()]
    ys = [p[1] for p in position.values()]
    axes.set_xlim(min(xs) - 2, max(xs) + 2)
    axes.set_ylim(min(ys) - 1, max(ys) + 1)
    axes.axis("off")
    if to_file:
        figure.savefig(to_file, dpi=dpi, bbox_inches="tight")
    return figure
