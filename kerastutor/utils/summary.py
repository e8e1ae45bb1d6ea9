"""``model.summary()``: gather one row per layer, then format it as Keras does.

The table layout itself (box characters, column widths, wrapping) lives in
:mod:`kerastutor.utils.summary_format`; this module only knows models --
and not even their classes: the model itself says whether it prints as a chain
(``model._prints_as_sequential()``: a Sequential, or a functional model whose
nodes form one chain), so this module needs no model class.
"""
from kerastutor.layers.base import format_shape
from kerastutor.layers.core import InputLayer
from kerastutor.utils.summary_format import format_summary


def _rows(model, sequential_like):
    rows = []
    layers = model.layers
    if not sequential_like:
        layers = [layer for layer in layers]
    for layer in layers:
        if sequential_like and isinstance(layer, InputLayer):
            continue
        steps = [s for s in model._steps if s.layer is layer]
        if isinstance(layer, InputLayer):
            shape = layer.batch_shape
        elif steps:
            shapes = steps[0].out_shapes
            shape = shapes[0] if len(shapes) == 1 else shapes
        else:
            shape = None
        params = layer.count_params() if layer.built else "0 (unbuilt)"
        shape_text = ("[" + ", ".join(format_shape(s) for s in shape) + "]"
                      if isinstance(shape, list) else format_shape(shape))
        connected = []
        for step in steps:
            for tensor in step.in_tensors:
                src, node_index, tensor_index = tensor.history
                connected.append(f"{src.name}[{node_index}][{tensor_index}]")
        rows.append({"name": f"{layer.name} ({type(layer).__name__})",
                     "output_shape": shape_text, "params": params,
                     "connected_to": connected or ["-"], "trainable": layer.trainable})
    return rows


def summary_text(model, line_length=None, positions=None, show_trainable=False):
    """The summary as a string (``model.summary()`` prints it)."""
    if not model.built:
        raise ValueError(
            f'Model "{model.name}" has not been built yet, so its shapes are unknown. '
            "Either give the first layer an input (keras.Input(shape=...) or "
            "input_shape=...), call model.build((None, ...)), or call the model on a batch "
            "of data (e.g. fit or predict) before summary().")
    sequential_like = model._prints_as_sequential()
    trainable = sum(w.size for w in model.trainable_weights)
    non_trainable = sum(w.size for w in model.non_trainable_weights)
    optimizer_count = None
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        optimizer_count = int(sum(v.size for v in optimizer.variables))
    return format_summary(model.name, _rows(model, sequential_like), trainable, non_trainable,
                          optimizer_count=optimizer_count, line_length=line_length,
                          positions=positions, show_trainable=show_trainable,
                          sequential_like=sequential_like)
