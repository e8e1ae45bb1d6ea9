r"""The RNN time loop, the cell contract, stacked cells and the adapter for your own cells.

A recurrent layer reads a sequence ``x`` of shape ``(batch, time, features)``
one step at a time and carries a *state* from each step to the next::

    states = initial_state                     # zeros unless given
    for t in 1..T:
        output_t, states = cell(x_t, states)

The work splits in two, as in Keras:

* a **cell** (:class:`~kerastutor.layers.simple_rnn.SimpleRNNCell`,
  :class:`~kerastutor.layers.lstm.LSTMCell`, :class:`~kerastutor.layers.gru.GRUCell`,
  :class:`StackedRNNCells`, or your own) holds the weights and does *one*
  step, forward and backward;
* :class:`RNN` owns the **time loop**: initial states, masking, reading
  backwards, returning sequences or states, and the reverse loop of
  backpropagation through time. ``SimpleRNN(4)`` is ``RNN(SimpleRNNCell(4))``
  with the cell's arguments flattened into the layer's.

**Backpropagation through time.** The loop is a very deep network whose
layers all share the cell's weights. Backward walks it in reverse: the
gradient reaching the states after step ``t`` is what the outputs received
plus what step ``t+1`` sent back; each step sends a part back to the states
before it and adds its share into the weight gradients.

**The step contract** -- what the loop calls, for every cell alike:

``project(x, training) -> (inputs, cache)``
    The part of a step that does not depend on the state, for *all* steps at
    once (the built-in cells compute :math:`x_t W + b` for every ``t`` in one
    matrix product; other cells hand ``x`` through).
``step(inputs_t, states, training) -> ((output, new_states), cache)``
    One step from the projected input of step ``t`` and the list of states.
``step_backward(cache, grad_output, grad_states) -> (grad_inputs_t, grad_states_before)``
    Its reverse; **adds** into the weights' ``.grad``. ``grad_output`` may
    be ``None`` (nothing reaches this step's output).
``project_backward(cache, grad_inputs) -> grad_x``
    The reverse of ``project``, once, after the last step.
``collect_recurrent_grads()``
    A context manager around the backward loop (the built-in cells add
    :math:`\partial L/\partial U` once, as one product over all steps).
``reset_dropout_masks()``
    Called before and after every sequence: one dropout mask per sequence.

plus ``state_size`` (an int, or a list of ints: one per state array) and
optionally ``output_size``. The built-in cells and :class:`StackedRNNCells`
follow it themselves; **a cell you write** follows Keras's simpler contract
and goes through :class:`UserCellSteps`, a small adapter that gives it the
step contract:

``call(inputs, states, training=None) -> (output, new_states)``
    written with ``keras.ops``; the op tape differentiates it. Or, to write the
    derivative yourself: ``forward(inputs, states, training=False) ->
    ((output, new_states), cache)`` and ``backward(cache, (grad_output,
    grad_states)) -> (grad_inputs, grad_states)``, which **adds** into its
    weights' ``.grad`` like every layer and always receives arrays.
``build(input_shape)``
    ``input_shape`` is that of *one step*: ``(batch, features)``.
``get_initial_state(batch_size, dtype)``
    Optional; zeros of shape ``(batch, size)`` for every state otherwise.

Weights follow Keras 3's layout (``kernel``, ``recurrent_kernel``, ``bias``,
gates side by side in the columns, on ``layer.cell``), so weights load from
Keras files as they are.
"""
import contextlib

import numpy as np

from kerastutor import backend, ops, regularizers
from kerastutor.tape import _value
from kerastutor.layers.base import InputSpec, Layer, _accepts, _TapeCache, format_shape
from kerastutor.layers.serialization import deserialize, serialize


# ------------------------------------------------------------------ helpers
def _as_list(states):
    """One state array or a list of them, as a list."""
    return list(states) if isinstance(states, (list, tuple)) else [states]


def _sizes(state_size):
    """``state_size`` as a list of ints (a single int is one state)."""
    return [int(state_size)] if isinstance(state_size, (int, np.integer)) else \
        [int(s) for s in state_size]


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else _sizes(cell.state_size)[0]


def _full(grad, shape, dtype):
    """An upstream gradient as a full array: ``None`` is zeros, a ``(1, ...)`` broadcasts."""
    out = backend.zeros(shape, dtype=dtype)
    if grad is not None:
        out += grad
    return out


def _check_cell_args(owner, units, dropout, recurrent_dropout):
    """The argument checks shared by every built-in cell and its layer."""
    if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"{owner}: `units` must be a positive integer, got {units!r}. "
                         f"Hint: units is the size of the hidden state, e.g. {owner}(32).")
    for option, value in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
        if not isinstance(value, (int, float, np.floating)) or not 0.0 <= value < 1.0:
            raise ValueError(f"{owner}: `{option}` must be a float in [0, 1), got {value!r}.")


def _check_features(layer, input_shape):
    """The features axis must be known to create the kernel."""
    if input_shape[-1] is None:
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}): the last axis (features) of '
            f"the input must be known, got input shape {format_shape(input_shape)}. "
            "Hint: give keras.Input(shape=(timesteps, features)).")


def _with_layers(config, keys, custom_objects):
    """A copy of ``config`` with the layer configs under ``keys`` (one or a list) rebuilt."""
    config = dict(config)
    for key in keys:
        value = config.get(key)
        if isinstance(value, list):
            config[key] = [deserialize(item, custom_objects) for item in value]
        elif value is not None:
            config[key] = deserialize(value, custom_objects)
    return config


def _has_kinks(cell):
    """Whether a cell (or any cell of a stack) uses an activation with a kink."""
    if getattr(cell, "has_kinks", False):
        return True
    parts = [getattr(cell, name, None) for name in ("activation", "recurrent_activation")]
    return any(getattr(p, "has_kinks", False) for p in parts) or \
        any(_has_kinks(c) for c in getattr(cell, "cells", []))


def _initial_state(cell, batch_size, dtype):
    make = getattr(cell, "get_initial_state", None)
    if make is not None:
        return [backend.asarray(s, dtype=dtype) for s in _as_list(make(batch_size, dtype))]
    return [backend.zeros((batch_size, size), dtype=dtype) for size in _sizes(cell.state_size)]


def _follows_step_contract(cell):
    """Built-in cells and stacks do; a user-written cell goes through the adapter."""
    return all(callable(getattr(cell, name, None)) for name in
               ("project", "step", "step_backward", "project_backward"))


def _check_cell(cell, owner):
    """A cell must be a layer with ``state_size`` and a step it can differentiate."""
    where = f'Layer "{owner}"'
    if not isinstance(cell, Layer):
        raise ValueError(f"{where}: a cell must be a keras Layer with `state_size` and "
                         f"`call` (or `forward` and `backward`), got {cell!r}. Hint: pass "
                         "e.g. LSTMCell(8), or a list of cells to stack them.")
    size = getattr(cell, "state_size", None)
    if size is None or not (isinstance(size, (int, np.integer)) or
                            (isinstance(size, (list, tuple)) and size and
                             all(isinstance(s, (int, np.integer)) for s in size))):
        raise ValueError(f"{where}: the cell {type(cell).__name__} must have a `state_size` "
                         f"attribute (an int, or a list of ints: one per state array), got "
                         f"{size!r}.")
    if type(cell).backward is Layer.backward and not cell._defines_call():
        raise ValueError(f"{where}: the cell {type(cell).__name__} has no backward() and no "
                         "call(). A cell does one step: call(inputs, states) -> (output, "
                         "new_states) written with keras.ops (the op tape differentiates "
                         "it), or forward(inputs, states, training) -> ((output, "
                         "new_states), cache) with backward(cache, (grad_output, "
                         "grad_states)) -> (grad_inputs, grad_states).")


# ======================================================== a user-written cell
class UserCellSteps:
    r"""Gives a cell you wrote the step contract of the built-in cells.

    Nothing is projected ahead (``project`` hands ``x`` through), and one step
    is your cell's ``call`` run on the op tape -- or your ``forward``, when
    you wrote ``backward`` yourself. ``step_backward`` walks that tape back
    (or calls your ``backward``), always passing arrays: zeros where nothing
    flows. The adapter holds no weights; they stay on your cell.
    """

    def __init__(self, cell):
        self.cell = cell
        self.on_tape = type(cell).backward is Layer.backward    # no hand-written backward

    def project(self, x, training=False):
        return x, None

    def project_backward(self, cache, grad_inputs):
        return grad_inputs

    def collect_recurrent_grads(self):
        return contextlib.nullcontext()

    def reset_dropout_masks(self):
        if hasattr(self.cell, "reset_dropout_masks"):
            self.cell.reset_dropout_masks()

    def step(self, inputs, states, training=False):
        if self.on_tape:
            return self._step_on_tape(inputs, states, training)
        (output, new_states), cache = self.cell.forward(inputs, states, training=training)
        return (output, _as_list(new_states)), cache

    def step_backward(self, cache, grad_output, grad_states):
        shape = (grad_states[0].shape[0], _output_size(self.cell))
        if grad_output is None or np.shape(grad_output) != shape:
            grad_output = _full(grad_output, shape, grad_states[0].dtype)
        if self.on_tape:        # one gradient per watched array: x_t, then the states
            grads = self.cell._backward_on_tape(cache, [grad_output] + list(grad_states))
            return grads[0], grads[1:]
        grad_inputs, grad_before = self.cell.backward(cache, (grad_output, list(grad_states)))
        return grad_inputs, _as_list(grad_before)

    def _step_on_tape(self, inputs, states, training):
        """Keras's ``call(inputs, states)``, recorded op by op on a fresh tape."""
        tape = ops.Tape(training)
        watched = [tape.watch(inputs)] + [tape.watch(s) for s in states]
        kwargs = {"training": training} if _accepts(self.cell.call, "training") else {}
        with tape:
            output, new_states = self.cell.call(watched[0], watched[1:], **kwargs)
        outputs = [output] + _as_list(new_states)
        values = [_value(o) for o in outputs]
        return (values[0], values[1:]), _TapeCache(tape, watched, outputs)


def _step_contract(cell):
    """The cell itself when it follows the step contract, else the adapter around it."""
    return cell if _follows_step_contract(cell) else UserCellSteps(cell)


# ============================================================ stacked cells
class StackedRNNCells(Layer):
    r"""Several cells as one: at each step the output of cell ``k`` is the input of cell ``k+1``.

    .. math::

        y^{(0)}_t = x_t, \qquad
        \big(y^{(k)}_t, s^{(k)}_t\big) = \text{cell}_k\big(y^{(k-1)}_t, s^{(k)}_{t-1}\big),
        \qquad \text{output}_t = y^{(K)}_t

    **Backward** runs the cells in reverse: cell ``K`` gets the output
    gradient; each cell's input gradient is the output gradient of the cell
    below, and each receives the gradients of its own states.

    The states are one *flat* list: the first cell's states, then the
    second's, ... (``state_size`` concatenates the cells' sizes). Keras nests
    them, one list per cell; a flat list is what a layer returns with
    ``return_state=True`` here.

    A stack follows the step contract itself: its ``step`` runs each cell's
    ``project`` and ``step`` on the output of the cell below (only the first
    cell's input is known before the loop, so nothing is projected ahead).
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells:
            raise ValueError(f'Layer "{self.name}" (StackedRNNCells): `cells` is empty. '
                             "Hint: pass a list of cells, e.g. [LSTMCell(8), LSTMCell(4)].")
        for cell in cells:
            _check_cell(cell, self.name)
        self.cells = cells
        self._steps = [_step_contract(cell) for cell in cells]

    def _sublayers(self):
        return list(self.cells)

    @property
    def state_size(self):
        return [s for cell in self.cells for s in _sizes(cell.state_size)]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def _state_slices(self):
        start, slices = 0, []
        for cell in self.cells:
            n = len(_sizes(cell.state_size))
            slices.append(slice(start, start + n))
            start += n
        return slices

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if not cell.built:
                cell.build(shape)
                cell.built = True
            shape = (shape[0], _output_size(cell))
        for weight in self.weights:                 # rnn/stacked_rnn_cells/lstm_cell/kernel
            weight.path = f"{self.name}/{weight.path}"
        self._build_input_shape = tuple(input_shape)
        self.built = True

    def reset_dropout_masks(self):
        for steps in self._steps:
            steps.reset_dropout_masks()

    def get_initial_state(self, batch_size, dtype=None):
        return [s for cell in self.cells for s in _initial_state(cell, batch_size, dtype)]

    # ---------------------------------------------------------- step contract
    def project(self, x, training=False):
        return x, None

    def project_backward(self, cache, grad_inputs):
        return grad_inputs

    def collect_recurrent_grads(self):
        stack = contextlib.ExitStack()
        for steps in self._steps:
            stack.enter_context(steps.collect_recurrent_grads())
        return stack

    def step(self, inputs, states, training=False):
        y, new_states, caches = inputs, [], []
        for steps, part in zip(self._steps, self._state_slices()):
            projected, project_cache = steps.project(y, training)
            (y, cell_states), step_cache = steps.step(projected, list(states[part]), training)
            new_states += _as_list(cell_states)
            caches.append((project_cache, step_cache))
        return (y, new_states), caches

    def step_backward(self, cache, grad_output, grad_states):
        grad_before = [None] * len(grad_states)
        g = grad_output
        for steps, part, (project_cache, step_cache) in reversed(
                list(zip(self._steps, self._state_slices(), cache))):
            g, grad_before[part] = steps.step_backward(step_cache, g, list(grad_states[part]))
            g = steps.project_backward(project_cache, g)
        return g, grad_before

    # ------------------------------------------------- one step, as a layer
    def forward(self, inputs, states, training=False):
        return self.step(inputs, _as_list(states), training)

    def backward(self, cache, grad_out):
        grad_output, grad_states = grad_out
        return self.step_backward(cache, grad_output, _as_list(grad_states))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_size)

    def get_config(self):
        config = super().get_config()
        config["cells"] = [serialize(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**_with_layers(config, ("cells",), custom_objects))


# ================================================================= the loop
class RNN(Layer):
    r"""Runs a cell over the time axis: the generic time loop and its reverse.

    .. math::

        s_0 = \mathrm{initial\_state}\ (\text{zeros by default}), \qquad
        (o_t, s_t) = \text{cell}(x_t, s_{t-1}), \quad t = 1, \dots, T

    The output is :math:`o_T` or, with ``return_sequences=True``, every
    :math:`o_t` ``(batch, time, output_size)``; ``return_state=True`` appends
    the last states :math:`s_T` (a list ``[output, *states]``).
    ``go_backwards=True`` reads :math:`x_T, \dots, x_1`, and a returned sequence
    stays in that reversed order, as in Keras.

    **Masking.** With a boolean ``mask`` ``(batch, time)``, a step where
    :math:`m_t = 0` is skipped for that sample: its states carry over and its
    output repeats the previous one (zeros before the first step, or zeros
    throughout with ``zero_output_for_mask=True``):

    .. math::

        s_t = m_t\, \tilde s_t + (1 - m_t)\, s_{t-1}, \qquad
        o_t = m_t\, \tilde o_t + (1 - m_t)\, o_{t-1}

    where :math:`(\tilde o_t, \tilde s_t)` is the cell's result.

    **Backward** (through time, :math:`t = T, \dots, 1`). With :math:`G^o_t`
    the gradient reaching :math:`o_t` (from the returned outputs plus, when
    masked, from :math:`o_{t+1}`) and :math:`G^s_t` the one reaching
    :math:`s_t`:

    .. math::

        (\partial x_t, \partial s) = \mathrm{cell.step\_backward}(m_t G^o_t,\; m_t G^s_t),
        \qquad
        G^s_{t-1} = \partial s + (1 - m_t)\, G^s_t, \qquad
        G^o_{t-1} \mathrel{+}= (1 - m_t)\, G^o_t

    :math:`G^s_0` is the gradient of the initial state: ``backward`` returns
    ``(dx, {"initial_state": [G^s_0, ...]})`` when ``forward`` was given
    ``initial_state``, and just ``dx`` otherwise.

    Every cell runs through this one loop by the step contract (module
    docstring); a cell you write gets it from :class:`UserCellSteps`.

    Parameters
    ----------
    cell : Layer or list of Layers
        A built-in cell or your own (module docstring); a list becomes
        :class:`StackedRNNCells`.
    return_sequences : bool
        Return every :math:`o_t` ``(batch, time, output_size)`` instead of only
        the last.
    return_state : bool
        Also return the last states :math:`s_T`: ``[output, *states]``.
    go_backwards : bool
        Read :math:`x_T, \dots, x_1`; a returned sequence stays in that
        reversed order.
    stateful : bool
        Start each batch from the previous batch's last states (no gradient
        flows into the previous batch). ``reset_states()`` starts again from 0.
    unroll : bool
        Accepted for Keras compatibility; the loop is always a Python loop.
    zero_output_for_mask : bool
        Output zeros at masked steps instead of repeating the last output.

    Examples
    --------
    A cell of your own needs ``state_size`` and one step, written with
    ``keras.ops`` as in Keras (the op tape differentiates it)::

        class MinimalRNNCell(keras.layers.Layer):          # h_t = x_t W + h_{t-1} U
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = self.state_size = units

            def build(self, input_shape):
                self.w = self.add_weight((input_shape[-1], self.units), name="kernel")
                self.u = self.add_weight((self.units, self.units), name="recurrent_kernel")

            def call(self, inputs, states):
                h = keras.ops.matmul(inputs, self.w) + keras.ops.matmul(states[0], self.u)
                return h, [h]

        layer = keras.layers.RNN(MinimalRNNCell(32), return_sequences=True)
    """

    supports_masking = True
    call_tensor_arguments = ("initial_state",)     # a graph input with a gradient

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        _check_cell(cell, self.name)
        self.cell = cell
        self._steps = _step_contract(cell)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.input_spec = InputSpec(min_ndim=3)
        self.states = None                      # carried between batches when stateful

    @property
    def state_size(self):
        return _sizes(self.cell.state_size)

    @property
    def has_kinks(self):
        return _has_kinks(self.cell)

    # ------------------------------------------------------------------ build
    def build(self, input_shape, initial_state_shape=None):
        if self.input_spec is not None:             # the rank first: (batch, time, ...)
            self.input_spec.check(self, tuple(input_shape))
        _check_features(self, input_shape)
        step_shape = (input_shape[0],) + tuple(input_shape[2:])
        if not self.cell.built:
            self.cell.build(step_shape)
            self.cell.built = True
        for weight in self.cell.weights:            # Keras's path: lstm/lstm_cell/kernel
            weight.path = f"{self.name}/{weight.path}"
        self.input_spec = InputSpec(ndim=len(input_shape), axes={-1: input_shape[-1]})
        self._build_input_shape = tuple(input_shape)
        self.built = True

    # ------------------------------------------------------------------ states
    def get_initial_state(self, batch_size, dtype=None):
        return _initial_state(self.cell, batch_size, dtype or self.dtype)

    def reset_states(self):
        """Forget the carried states (``stateful=True``): the next batch starts from zeros."""
        self.states = None

    reset_state = reset_states

    def _start_states(self, x, initial_state):
        batch = x.shape[0]
        if initial_state is None:
            if self.stateful and self.states is not None and self.states[0].shape[0] == batch:
                return [s.astype(x.dtype, copy=True) for s in self.states]
            return self.get_initial_state(batch, x.dtype)
        states = _as_list(initial_state)
        expected = [(batch, size) for size in self.state_size]
        got = [np.shape(s) for s in states]
        if got != expected:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}): `initial_state` must be a list '
                f"of {len(expected)} array(s) of shapes {expected} (one per state of the cell, "
                f"state_size={self.state_size}), got shapes {got}.")
        return [backend.asarray(s, dtype=x.dtype) for s in states]

    def _check_mask(self, mask, x):
        if mask is None:
            return None
        mask = backend.asarray(mask)
        if mask.shape != x.shape[:2]:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}): `mask` must have shape '
                f"(batch, time) = {x.shape[:2]}, got {mask.shape}. Hint: True marks the "
                "steps to use, False the padding to skip.")
        return mask.astype(bool)

    # ----------------------------------------------------------------- forward
    def forward(self, x, training=False, mask=None, initial_state=None):
        mask = self._check_mask(mask, x)
        states = self._start_states(x, initial_state)
        if self.go_backwards:
            x = x[:, ::-1]                              # read the sequence from its end
            mask = None if mask is None else mask[:, ::-1]
        self._steps.reset_dropout_masks()               # one mask for this sequence
        inputs, project_cache = self._steps.project(x, training)
        outputs, step_caches, states = self._steps_forward(inputs, states, mask, training)
        self._steps.reset_dropout_masks()
        if self.stateful:
            self.states = [s.copy() for s in states]
        y = np.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        cache = (x.shape, x.dtype, mask, project_cache, step_caches, initial_state is not None)
        if self.return_state:
            return [y] + list(states), cache
        return y, cache

    def _steps_forward(self, inputs, states, mask, training):
        """The time loop: ``(outputs, step caches, last states)``."""
        outputs, caches, previous = [], [], None
        for t in range(inputs.shape[1]):
            (out, new), cache = self._steps.step(inputs[:, t], states, training)
            if mask is not None:                        # skipped steps keep their states
                m = mask[:, t, None]
                new = [np.where(m, n, s) for n, s in zip(new, states)]
                if previous is None or self.zero_output_for_mask:
                    previous = np.zeros_like(out)
                out = np.where(m, out, previous)
            states, previous = new, out
            outputs.append(out)
            caches.append(cache)
        return outputs, caches, states

    # ---------------------------------------------------------------- backward
    def backward(self, cache, grad_out):
        x_shape, dtype, mask, project_cache, step_caches, had_initial = cache
        batch = x_shape[0]
        if self.return_state:
            grad_y, grad_states = grad_out[0], list(grad_out[1:])
        else:
            grad_y, grad_states = grad_out, [None] * len(self.state_size)
        # what reaches the last step's states from outside the loop
        g_states = [_full(g, (batch, size), dtype)
                    for g, size in zip(grad_states, self.state_size)]
        with self._steps.collect_recurrent_grads():
            d_inputs, g_states = self._steps_backward(step_caches, grad_y, g_states, mask,
                                                      (batch, _output_size(self.cell)), dtype)
        dx = self._steps.project_backward(project_cache, d_inputs)
        if self.go_backwards:
            dx = dx[:, ::-1]
        if had_initial:
            return dx, {"initial_state": g_states}
        return dx

    def _output_grad(self, grad_y, t, T):
        """dL/do_t from the returned output(s): ``None`` while nothing flows."""
        if self.return_sequences and grad_y is not None:
            return grad_y[:, t]
        return grad_y if t == T - 1 else None

    def _steps_backward(self, step_caches, grad_y, g_states, mask, out_shape, dtype):
        """Backpropagation through time: ``(dL/d inputs of every step, dL/d initial states)``."""
        T = len(step_caches)
        g_carry = None                                # from o_{t+1} = o_t at masked steps
        d_inputs = None                               # (batch, time, ...) once known
        for t in reversed(range(T)):
            g_out = self._output_grad(grad_y, t, T)
            if g_carry is not None:
                g_out = g_carry if g_out is None else g_out + g_carry
            g_cell_out, g_cell_states = g_out, g_states
            if mask is not None:                       # the cell sees only its own steps
                m = mask[:, t, None]
                g_out = _full(g_out, out_shape, dtype)
                g_cell_out = np.where(m, g_out, 0)
                g_cell_states = [np.where(m, g, 0) for g in g_states]
            d_in, d_prev = self._steps.step_backward(step_caches[t], g_cell_out, g_cell_states)
            if d_inputs is None:
                d_inputs = np.empty_like(d_in, shape=(out_shape[0], T) + d_in.shape[1:])
            d_inputs[:, t] = d_in
            if mask is not None:                       # skipped: straight to the step before
                d_prev = [np.where(m, d, g) for d, g in zip(d_prev, g_states)]
                g_carry = None if self.zero_output_for_mask else np.where(m, 0, g_out)
            g_states = d_prev
        return d_inputs, g_states

    # ------------------------------------------------------------ shapes/config
    def compute_output_shape(self, input_shape, initial_state_shape=None):
        batch, steps = input_shape[0], input_shape[1]
        size = _output_size(self.cell)
        out = (batch, steps, size) if self.return_sequences else (batch, size)
        if self.return_state:
            return [out] + [(batch, s) for s in self.state_size]
        return out

    def compute_mask(self, inputs, mask=None):
        """The input mask for returned sequences; ``None`` for a last output and states."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def _loop_config(self):
        return {"return_sequences": self.return_sequences,
                "return_state": self.return_state,
                "go_backwards": self.go_backwards,
                "stateful": self.stateful,
                "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}

    def get_config(self):
        config = super().get_config()
        config.update(self._loop_config())
        config["cell"] = serialize(self.cell)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**_with_layers(config, ("cell",), custom_objects))


# ====================================================== the classic layers
def _from_cell(name):
    """A read-only layer attribute that is the cell's (``lstm.units`` is ``lstm.cell.units``)."""
    return property(lambda self: getattr(self.cell, name),
                    doc=f"The cell's ``{name}``.")


class CellLayer(RNN):
    """SimpleRNN, LSTM, GRU: an :class:`RNN` that builds its own cell from flat arguments."""

    _cell_class = None
    _cell_name = None

    # Keras 3.15's configs leave these out (use_cudnn is a speed switch LSTM and GRU
    # accept; SimpleRNN keeps no seed), so files written here read exactly like Keras's.
    _config_keys_keras_omits = ()
    # what the layer itself takes; every other keyword argument is the cell's
    _layer_keys = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_size",
                   "batch_input_shape", "autocast")

    def __init__(self, units, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False,
                 activity_regularizer=None, **kwargs):
        owner = type(self).__name__
        layer_args = {k: kwargs.pop(k) for k in self._layer_keys if k in kwargs}
        if "use_cudnn" in self._config_keys_keras_omits:
            self.use_cudnn = kwargs.pop("use_cudnn", "auto")   # accepted for Keras compat.
        _check_cell_args(owner, units, kwargs.get("dropout", 0.0),
                         kwargs.get("recurrent_dropout", 0.0))
        try:
            cell = self._cell_class(units, name=self._cell_name, dtype=layer_args.get("dtype"),
                                    trainable=layer_args.get("trainable", True), **kwargs)
        except ValueError as err:               # an unknown argument: say whose it was
            raise ValueError(f"{owner}: {err}") from None
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         zero_output_for_mask=zero_output_for_mask,
                         activity_regularizer=activity_regularizer, **layer_args)
        self.input_spec = InputSpec(ndim=3)

    units = _from_cell("units")
    activation = _from_cell("activation")
    use_bias = _from_cell("use_bias")
    dropout = _from_cell("dropout")
    recurrent_dropout = _from_cell("recurrent_dropout")
    seed = _from_cell("seed")
    kernel = _from_cell("kernel")
    recurrent_kernel = _from_cell("recurrent_kernel")
    bias = _from_cell("bias")

    def get_config(self):
        config = Layer.get_config(self)
        config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        config.update(self._loop_config())
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        config.update(cell_config)
        for key in self._config_keys_keras_omits:
            config.pop(key, None)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
