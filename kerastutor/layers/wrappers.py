r"""Wrappers: layers that run another layer in a new way.

* :class:`Bidirectional` runs a recurrent layer twice, once forwards and once
  backwards over time, and merges the two outputs;
* :class:`TimeDistributed` applies a layer to every time step of a sequence.

Neither has weights of its own: its weights are those of the layer(s) it
wraps (in Keras's order), so Keras weights load with ``set_weights``.
"""
import numpy as np

from kerastutor.layers.base import InputSpec, Layer, _accepts, format_shape
from kerastutor.layers.rnn import _with_layers
from kerastutor.layers.serialization import serialize

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _layers_inside(layer):
    """``layer`` and every layer it owns (sub-layers, cells, stacked cells), depth first."""
    found = [layer]
    for sub in layer._sublayers():
        found += _layers_inside(sub)
    return found


def _clone(layer, **changes):
    """A fresh layer from ``layer``'s config with ``changes`` (new weights, no state).

    The classes of the layer and of everything inside it are passed as
    ``custom_objects``, so a user-written layer or cell clones too.
    """
    config = dict(layer.get_config())
    config.update(changes)
    custom = {type(sub).__name__: type(sub) for sub in _layers_inside(layer)}
    cls = type(layer)
    if _accepts(cls.from_config, "custom_objects"):
        return cls.from_config(config, custom_objects=custom)
    return cls.from_config(config)


def _kinked(layer):
    """Whether the gradient check should expect kinks (ReLU, max) inside ``layer``."""
    for sub in _layers_inside(layer):
        if getattr(sub, "has_kinks", False) or \
                getattr(getattr(sub, "activation", None), "has_kinks", False):
            return True
    return False


def _forward_kwargs(layer, mask, initial_state):
    """The keyword arguments ``layer.forward`` accepts among ``mask`` and ``initial_state``."""
    kwargs = {}
    if mask is not None and _accepts(layer.forward, "mask"):
        kwargs["mask"] = mask
    if initial_state is not None:
        kwargs["initial_state"] = initial_state
    return kwargs


def _split_grad_in(grad_in):
    """``dx`` or ``(dx, {"initial_state": [...]})`` -> ``(dx, list of state grads)``."""
    if isinstance(grad_in, tuple) and len(grad_in) == 2 and isinstance(grad_in[1], dict):
        return grad_in[0], list(grad_in[1].get("initial_state", []))
    return grad_in, []


def _prefix_paths(wrapper, layer):
    """Keras's variable paths: ``bidirectional/forward_lstm/lstm_cell/kernel``."""
    for weight in layer.weights:
        weight.path = f"{wrapper.name}/{weight.path}"


class Bidirectional(Layer):
    r"""Runs a recurrent layer in both directions over time and merges the two results.

    With :math:`\overrightarrow{y} = \mathrm{forward\_layer}(x)` (reading
    :math:`x_1, \dots, x_T`) and :math:`\overleftarrow{y} =
    \mathrm{backward\_layer}(x)` (reading :math:`x_T, \dots, x_1`; a returned
    sequence is flipped back so that step ``t`` of both refers to :math:`x_t`):

    .. math::

        y = \begin{cases}
        [\overrightarrow{y}, \overleftarrow{y}] & \text{concat (last axis)} \\
        \overrightarrow{y} + \overleftarrow{y} & \text{sum} \\
        \tfrac12 (\overrightarrow{y} + \overleftarrow{y}) & \text{ave} \\
        \overrightarrow{y} \odot \overleftarrow{y} & \text{mul} \\
        [\overrightarrow{y}, \overleftarrow{y}] & \texttt{None} \text{ (a list of two outputs)}
        \end{cases}

    **Backward.** With :math:`g = \partial L/\partial y` the merge is undone
    first:

    .. math::

        \text{concat: } (g_{[:d]},\ g_{[d:]}), \quad
        \text{sum: } (g,\ g), \quad
        \text{ave: } (\tfrac12 g,\ \tfrac12 g), \quad
        \text{mul: } (g \odot \overleftarrow{y},\ g \odot \overrightarrow{y})

    (the backward half is flipped back in time when sequences are returned),
    then each layer runs its own backward, and since both read the same
    :math:`x`, :math:`\partial L/\partial x = \partial_{\rightarrow} x + \partial_{\leftarrow} x`.

    Weights are the forward layer's, then the backward layer's. With
    ``return_state=True`` the outputs are ``[y, *forward_states,
    *backward_states]`` (``[y_fwd, y_bwd, *states...]`` when
    ``merge_mode=None``); ``initial_state`` is split the same way, first half
    to the forward layer. When sequences are returned, both layers output
    zeros at masked steps (``zero_output_for_mask`` is forced, as in Keras).

    Parameters
    ----------
    layer : RNN
        A recurrent layer (``LSTM(8)``, ``RNN(cell)``, ...). It is not used
        itself: two fresh copies are made from its config, named
        ``forward_<name>`` and ``backward_<name>`` (the second with
        ``go_backwards=True``), as Keras does.
    merge_mode : {"concat", "sum", "mul", "ave", None}
        How to combine the two outputs.
    backward_layer : RNN or None
        The layer for the backward direction, used as given; it must have the
        other ``go_backwards`` and the same ``return_sequences``,
        ``return_state`` and ``stateful``.
    weights : list of arrays or None
        Initial weights (forward layer's, then backward layer's), set at build.
    """

    supports_masking = True
    call_tensor_arguments = ("initial_state",)

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional: `layer` must be a keras Layer (a recurrent "
                             f"layer such as LSTM(8)), got {layer!r}.")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"Bidirectional: `backward_layer` must be a keras Layer or None, "
                             f"got {backward_layer!r}.")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: `merge_mode` must be one of {list(_MERGE_MODES)}, "
                             f"got {merge_mode!r}. Hint: None returns both outputs as a list.")
        for attribute in ("go_backwards", "return_sequences", "return_state"):
            if not hasattr(layer, attribute):
                raise ValueError(
                    f"Bidirectional: the wrapped layer {type(layer).__name__} has no "
                    f"`{attribute}` attribute; Bidirectional needs a recurrent layer "
                    "(RNN, LSTM, GRU, SimpleRNN, or one with the same attributes).")
        super().__init__(**kwargs)
        base = layer.name.removeprefix("forward_")
        self.forward_layer = _clone(layer, name="forward_" + base)
        if backward_layer is None:
            self.backward_layer = _clone(layer, name="backward_" + layer.name.removeprefix(
                "backward_"), go_backwards=True)
        else:
            self.backward_layer = backward_layer
        self._check_pair()
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = weights
        self.stateful = getattr(layer, "stateful", False)
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.input_spec = layer.input_spec

    def _check_pair(self):
        f, b = self.forward_layer, self.backward_layer
        if f.go_backwards == b.go_backwards:
            raise ValueError(
                f'Layer "{self.name}" (Bidirectional): the forward and backward layers must '
                f"read in opposite directions, but both have go_backwards={f.go_backwards}. "
                "Hint: give backward_layer=LSTM(..., go_backwards=True).")
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(f, attribute, None) != getattr(b, attribute, None):
                raise ValueError(
                    f'Layer "{self.name}" (Bidirectional): the forward and backward layers '
                    f"must have the same `{attribute}`, got {getattr(f, attribute, None)} "
                    f"(forward) and {getattr(b, attribute, None)} (backward).")

    @property
    def has_kinks(self):
        return _kinked(self.forward_layer) or _kinked(self.backward_layer)

    @property
    def states(self):
        f, b = getattr(self.forward_layer, "states", None), \
            getattr(self.backward_layer, "states", None)
        return list(f) + list(b) if f and b else None

    def reset_states(self):
        """Reset both directions' carried states (``stateful=True``)."""
        if not self.stateful:
            raise AttributeError(f'Layer "{self.name}" (Bidirectional): reset_states() needs '
                                 "a stateful layer (stateful=True).")
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    # ------------------------------------------------------------------ build
    def build(self, input_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub.build(tuple(input_shape))
                sub.built = True
            _prefix_paths(self, sub)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None
        self._build_input_shape = tuple(input_shape)
        self.built = True

    # ---------------------------------------------------------------- forward
    def forward(self, x, training=False, mask=None, initial_state=None):
        state_f = state_b = None
        if initial_state is not None:
            initial_state = list(initial_state)
            half = len(initial_state) // 2
            state_f, state_b = initial_state[:half], initial_state[half:]
        y_f, cache_f = self.forward_layer.forward(
            x, training, **_forward_kwargs(self.forward_layer, mask, state_f))
        y_b, cache_b = self.backward_layer.forward(
            x, training, **_forward_kwargs(self.backward_layer, mask, state_b))
        states = []
        if self.return_state:
            states = list(y_f[1:]) + list(y_b[1:])
            y_f, y_b = y_f[0], y_b[0]
        if self.return_sequences:
            y_b = y_b[:, ::-1]                      # step t of both refers to x_t
        mode = self.merge_mode
        if mode == "concat":
            outputs = [np.concatenate([y_f, y_b], axis=-1)]
        elif mode == "sum":
            outputs = [y_f + y_b]
        elif mode == "ave":
            outputs = [(y_f + y_b) / 2]
        elif mode == "mul":
            outputs = [y_f * y_b]
        else:
            outputs = [y_f, y_b]
        cache = (cache_f, cache_b, y_f, y_b, len(states) // 2)
        outputs += states
        return (outputs[0] if len(outputs) == 1 else outputs), cache

    # --------------------------------------------------------------- backward
    def _unmerge(self, grads, y_f, y_b):
        """Gradients of the two outputs from those of the merged output(s)."""
        mode = self.merge_mode
        if mode is None:
            return grads[0], grads[1]
        g = grads[0]
        if g is None:
            return None, None
        if mode == "concat":
            d = y_f.shape[-1]
            return g[..., :d], g[..., d:]
        if mode == "sum":
            return g, g
        if mode == "ave":
            return g / 2, g / 2
        return g * y_b, g * y_f                     # mul

    def backward(self, cache, grad_out):
        cache_f, cache_b, y_f, y_b, n_states = cache
        n_out = 2 if self.merge_mode is None else 1
        grads = list(grad_out) if (n_out + 2 * n_states) > 1 else [grad_out]
        g_f, g_b = self._unmerge(grads[:n_out], y_f, y_b)
        if self.return_sequences and g_b is not None:
            g_b = g_b[:, ::-1]                      # back to the backward layer's order
        if self.return_state:
            states = grads[n_out:]
            g_f = [g_f] + list(states[:n_states])
            g_b = [g_b] + list(states[n_states:])
        dx_f, ds_f = _split_grad_in(self.forward_layer.backward(cache_f, g_f))
        dx_b, ds_b = _split_grad_in(self.backward_layer.backward(cache_b, g_b))
        dx = dx_f + dx_b                            # both read the same x
        if ds_f or ds_b:
            return dx, {"initial_state": ds_f + ds_b}
        return dx

    # ------------------------------------------------------------ shapes/config
    def compute_output_shape(self, input_shape, initial_state_shape=None):
        shape_f = self.forward_layer.compute_output_shape(input_shape)
        shape_b = self.backward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            states = list(shape_f[1:]) + list(shape_b[1:])
            shape_f, shape_b = shape_f[0], shape_b[0]
        if self.merge_mode == "concat":
            last = None if shape_f[-1] is None or shape_b[-1] is None \
                else shape_f[-1] + shape_b[-1]
            outputs = [tuple(shape_f[:-1]) + (last,)]
        elif self.merge_mode is None:
            outputs = [tuple(shape_f), tuple(shape_b)]
        else:
            outputs = [tuple(shape_f)]
        outputs += [tuple(s) for s in states]
        return outputs[0] if len(outputs) == 1 else outputs

    def compute_mask(self, inputs, mask=None):
        """The input mask for each returned sequence; ``None`` for last outputs and states."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        out = mask if self.return_sequences else None
        masks = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            n_states = len(getattr(self.forward_layer, "state_size", [])) * 2
            masks += [None] * n_states
        return masks[0] if len(masks) == 1 else masks

    def get_config(self):
        config = super().get_config()
        config.update({"merge_mode": self.merge_mode,
                       "layer": serialize(self.forward_layer),
                       "backward_layer": serialize(self.backward_layer)})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**_with_layers(config, ("layer", "backward_layer"), custom_objects))


class TimeDistributed(Layer):
    r"""Applies ``layer`` to every time step: :math:`y_{:, t} = \text{layer}(x_{:, t})`.

    The same weights serve every step. Rather than a loop over ``t``, time is
    folded into the batch: ``(batch, time, ...) -> (batch * time, ...)``, one
    call of the inner layer, and the result unfolded back to
    ``(batch, time, ...)``.

    **Backward** is the same fold in reverse: the upstream gradient
    ``(batch, time, ...)`` is folded to ``(batch * time, ...)``, the inner
    layer's backward adds the contributions of *all* steps into its weight
    gradients (they are rows of one batch), and the input gradient is
    unfolded. A ``mask`` given to ``forward`` is passed on unchanged by
    :meth:`compute_mask` (for the layers after this one).

    Parameters
    ----------
    layer : Layer
        Any layer taking one input of shape ``(batch, ...)``; its input spec
        sees the per-step shape.
    """

    supports_masking = True

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: `layer` must be a keras Layer instance, got "
                             f"{layer!r}. Hint: TimeDistributed(Dense(8)).")
        super().__init__(**kwargs)
        self.layer = layer
        self.input_spec = InputSpec(min_ndim=3)

    @property
    def has_kinks(self):
        return _kinked(self.layer)

    def _step_shape(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(
                f'Layer "{self.name}" (TimeDistributed): the input must have at least 3 axes '
                f"(batch, time, ...), got shape {format_shape(input_shape)}. Hint: give "
                "keras.Input(shape=(timesteps, features)).")
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        step_shape = self._step_shape(tuple(input_shape))
        if not self.layer.built:
            self.layer.build(step_shape)
            self.layer.built = True
        _prefix_paths(self, self.layer)
        self._build_input_shape = tuple(input_shape)
        self.built = True

    def forward(self, x, training=False, mask=None):
        batch, steps = x.shape[0], x.shape[1]
        folded = x.reshape((batch * steps,) + x.shape[2:])      # time into the batch
        if self.layer.input_spec is not None:
            self.layer._check_input([folded.shape])
        y, cache = self.layer.forward(folded, training)
        if isinstance(y, (list, tuple)):
            raise ValueError(f'Layer "{self.name}" (TimeDistributed): the wrapped layer '
                             f"{self.layer.name} returned {len(y)} outputs; TimeDistributed "
                             "wraps layers with one output.")
        return y.reshape((batch, steps) + y.shape[1:]), (cache, x.shape)

    def backward(self, cache, grad_out):
        inner, x_shape = cache
        batch, steps = x_shape[0], x_shape[1]
        grad_out = np.broadcast_to(grad_out, (batch, steps) + np.shape(grad_out)[2:])
        g = grad_out.reshape((batch * steps,) + grad_out.shape[2:])
        dx = self.layer.backward(inner, g)
        return dx.reshape(x_shape)

    def backward_weights(self, cache, grad_out):
        inner, x_shape = cache
        grad_out = np.broadcast_to(grad_out, tuple(x_shape[:2]) + np.shape(grad_out)[2:])
        self.layer.backward_weights(inner, grad_out.reshape((-1,) + grad_out.shape[2:]))

    def compute_output_shape(self, input_shape):
        step_out = self.layer.compute_output_shape(self._step_shape(tuple(input_shape)))
        return (step_out[0], input_shape[1]) + tuple(step_out[1:])

    def get_config(self):
        config = super().get_config()
        config["layer"] = serialize(self.layer)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**_with_layers(config, ("layer",), custom_objects))

