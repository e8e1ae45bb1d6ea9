r"""Recurrent layers: cells, the RNN time loop, and SimpleRNN, LSTM, GRU.

A recurrent layer reads a sequence ``x`` of shape ``(batch, time, features)``
one step at a time and carries a *state* from each step to the next::

    states = initial_state                     # zeros unless given
    for t in 1..T:
        output_t, states = cell(x_t, states)

The work splits in two, as in Keras:

* a **cell** (:class:`SimpleRNNCell`, :class:`LSTMCell`, :class:`GRUCell`,
  or your own) holds the weights and does *one* step, forward and backward;
* :class:`RNN` owns the **time loop**: initial states, masking, reading
  backwards, returning sequences or states, and the reverse loop of
  backpropagation through time. ``SimpleRNN(4)`` is ``RNN(SimpleRNNCell(4))``
  with the cell's arguments flattened into the layer's.

**Backpropagation through time.** The loop is a very deep network whose
layers all share the cell's weights. Backward walks it in reverse: the
gradient reaching the states after step ``t`` is what the outputs received
plus what step ``t+1`` sent back; each step sends a part back to the states
before it and adds its share into the weight gradients.

**The cell contract.** Any :class:`~kerastutor.layers.base.Layer` with these
members works inside :class:`RNN` (and inside :class:`StackedRNNCells`):

``state_size``
    An int (one state array) or a list of ints (one per state array).
``output_size``
    Optional int; the first state size when missing.
``build(input_shape)``
    ``input_shape`` is that of *one step*: ``(batch, features)``.
``forward(inputs, states, training=False)``
    ``inputs`` is ``x_t`` of shape ``(batch, features)``, ``states`` a list of
    arrays ``(batch, state_size[i])``. Returns ``((output, new_states),
    cache)`` with ``new_states`` a list in the same order.
``backward(cache, (grad_output, grad_new_states))``
    Returns ``(grad_inputs, grad_states)``: the gradient w.r.t. ``x_t`` and the
    list of gradients w.r.t. the incoming ``states``; **adds** into its
    weights' ``.grad`` like every layer. The RNN always passes arrays (zeros
    where nothing flows).
``get_initial_state(batch_size, dtype)``
    Optional; zeros of shape ``(batch, size)`` for every state otherwise.
``reset_dropout_masks()``
    Optional; called before and after every sequence, so that a cell can keep
    one dropout mask for all the steps of a sequence.

The built-in cells add an optional fast path that the loop uses when present:
``project(x, training)`` computes the input projection :math:`x_t W + b` for
*all* steps in one matmul before the loop, ``step``/``step_backward`` do the
recurrent part of one step, and ``project_backward`` turns the collected
gradients of the projections into :math:`\partial L/\partial W` and
:math:`\partial L/\partial x` in one matmul each.

Weights follow Keras 3's layout (``kernel``, ``recurrent_kernel``, ``bias``,
gates side by side in the columns, on ``layer.cell``), so weights load from
Keras files as they are.
"""
import contextlib

import numpy as np

from kerastutor import activations, backend, initializers
from kerastutor.layers.base import InputSpec, Layer, format_shape
from kerastutor.layers.core import _constraint, _regularizer, _serialize


# ------------------------------------------------------------------ helpers
def _project(x, kernel):
    """``x @ kernel`` over the last axis, for all steps at once.

    As one 2-D product (a stacked 3-D matmul is slower); with only a few
    features -- a univariate time series has one -- as a sum of broadcast
    products, since a matrix product with an inner size of 1 is a poor fit
    for BLAS (about 8x slower here).
    """
    features = x.shape[-1]
    if features <= 4:
        out = x[..., 0:1] * kernel[0]
        for k in range(1, features):
            out += x[..., k:k + 1] * kernel[k]
        return out
    flat = x.reshape(-1, features) @ kernel
    return flat.reshape(x.shape[:-1] + (kernel.shape[-1],))


def _split(a, parts):
    """Split the last axis into ``parts`` equal blocks (the gates), as views."""
    width = a.shape[-1] // parts
    return [a[..., k * width:(k + 1) * width] for k in range(parts)]


def _masked(a, mask):
    """``a * mask`` for recurrent dropout (``a`` itself when there is no mask)."""
    return a if mask is None else a * mask


def _sizes(state_size):
    """``state_size`` as a list of ints (a single int is one state)."""
    return [int(state_size)] if isinstance(state_size, (int, np.integer)) else \
        [int(s) for s in state_size]


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
    from kerastutor.layers import deserialize
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


def _reset_dropout_masks(cell):
    """Forget the dropout masks a cell keeps for one sequence (recursively for stacks)."""
    if hasattr(cell, "reset_dropout_masks"):
        cell.reset_dropout_masks()


# ============================================================== built-in cells
class _DropoutRNNCell(Layer):
    r"""Shared machinery of the built-in cells: weights, dropout, projection, contract.

    A subclass says how many gate blocks its kernels hold (``_gates``) and
    writes the recurrent part of one step (``_step``) and its reverse
    (``_step_backward``), which receive the input projection
    :math:`x_t W + b_{\text{in}}` ready made.

    **Dropout**, as in Keras, uses *one* mask for the whole sequence: the
    input mask (``dropout``, on :math:`x_t`) and the recurrent mask
    (``recurrent_dropout``, on :math:`h_{t-1}` where it multiplies ``U``) are
    drawn at the first step and kept until :meth:`reset_dropout_masks` (the
    :class:`RNN` calls it before and after every sequence). Keras draws one
    mask per gate when ``recurrent_dropout > 0``; here one mask serves all gates.
    """

    _collected = None          # (h_{t-1}, delta_t) pairs while BPTT defers dL/dU

    _gates = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_cell_args(type(self).__name__, units, dropout, recurrent_dropout)
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = _regularizer(kernel_regularizer)
        self.recurrent_regularizer = _regularizer(recurrent_regularizer)
        self.bias_regularizer = _regularizer(bias_regularizer)
        self.kernel_constraint = _constraint(kernel_constraint)
        self.recurrent_constraint = _constraint(recurrent_constraint)
        self.bias_constraint = _constraint(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)
        self._dropout_masks = {}

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self):
        return self.units

    @property
    def has_kinks(self):
        parts = (self.activation, getattr(self, "recurrent_activation", None))
        return any(getattr(p, "has_kinks", False) for p in parts)

    # ------------------------------------------------------------------ weights
    def build(self, input_shape):
        n_in = input_shape[-1]
        _check_features(self, input_shape)
        width = self._gates * self.units
        self.kernel = self.add_weight((n_in, width), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(
            (self.units, width), self.recurrent_initializer, name="recurrent_kernel",
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint)
        self.bias = (self.add_weight(self._bias_shape(), self._bias_init(), name="bias",
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint)
                     if self.use_bias else None)
        self._build_input_shape = tuple(input_shape)
        self.built = True

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_init(self):
        return self.bias_initializer

    def _input_bias(self):
        """The part of the bias added to :math:`x_t W` (all of it, except GRU reset_after)."""
        return self.bias.value if self.bias is not None else None

    def _add_input_bias_grad(self, dxw_sum):
        self.bias.grad += dxw_sum

    # ------------------------------------------------------------------ dropout
    def _dropout_mask(self, kind, shape, rate, dtype):
        """The inverted-dropout mask ``kind`` for this sequence: drawn once, then reused."""
        mask = self._dropout_masks.get(kind)
        if mask is None or mask.shape != shape or mask.dtype != dtype:
            rng = self._rng if self._rng is not None else backend.rng()
            keep = rng.random(shape) >= rate
            mask = keep.astype(dtype) / backend.asarray(1.0 - rate, dtype=dtype)
            mask = backend.to_device(mask)      # drawn by NumPy, moved to the device once
            self._dropout_masks[kind] = mask
        return mask

    def reset_dropout_masks(self):
        """Draw fresh dropout masks at the next step (a new sequence starts)."""
        self._dropout_masks = {}

    # ------------------------------------------------- the fast path: projection
    def project(self, x, training=False):
        r"""Input projection :math:`x W + b_{\text{in}}` of one step or of all steps.

        ``x`` is ``(batch, features)`` or ``(batch, time, features)``: the matmul
        works on the last axis, so the whole sequence is one product.
        """
        mask = None
        if training and self.dropout > 0:              # the same mask at every step
            mask = self._dropout_mask("input", (x.shape[0], x.shape[-1]), self.dropout,
                                      x.dtype)
            if x.ndim == 3:
                mask = mask[:, None, :]
            x = x * mask
        xw = _project(x, self.kernel.value)              # x_t W, every step at once
        bias = self._input_bias()
        if bias is not None:
            xw = xw + bias                             #     + b
        return xw, (x, mask)

    def project_backward(self, cache, dxw):
        r""":math:`\partial L/\partial W = \sum_t x_t^\top \delta_t`,
        :math:`\partial L/\partial x_t = \delta_t W^\top` (times the dropout mask)."""
        x, mask = cache
        dxw2 = dxw.reshape(-1, dxw.shape[-1])
        self.kernel.add_matmul_to_grad(x.reshape(-1, x.shape[-1]).T, dxw2)
        if self.bias is not None:
            self._add_input_bias_grad(dxw2.sum(axis=0))
        dx = dxw @ self.kernel.value.T
        return dx if mask is None else dx * mask

    def step(self, xw_t, states, training=False):
        """The recurrent part of one step, given the projection ``xw_t``."""
        rmask = None
        if training and self.recurrent_dropout > 0:
            h = states[0]
            rmask = self._dropout_mask("recurrent", h.shape, self.recurrent_dropout, h.dtype)
        new_states, cache = self._step(xw_t, list(states), rmask)
        return (new_states[0], new_states), cache

    # ----------------------------------------- dL/dU: one product, not one per step
    def _add_recurrent_grad(self, h_prev, delta):
        r""":math:`\partial L/\partial U \mathrel{+}= h_{t-1}^\top \delta_t` for one step.

        Inside :meth:`collect_recurrent_grads` the pairs are kept instead and
        summed over all steps at the end as one product,
        :math:`H^\top \Delta` with the steps stacked as rows -- the same
        sum, but one large matrix product instead of ``T`` tiny ones.
        """
        if self._collected is not None:
            self._collected.append((h_prev, delta))
        else:
            self.recurrent_kernel.add_matmul_to_grad(h_prev.T, delta)

    @contextlib.contextmanager
    def collect_recurrent_grads(self):
        """Backpropagation through time adds dL/dU once, after the last step."""
        self._collected = []
        try:
            yield
            if self._collected:
                lefts, rights = zip(*self._collected)
                self.recurrent_kernel.add_matmul_to_grad(np.concatenate(lefts).T,
                                                         np.concatenate(rights))
        finally:
            self._collected = None

    def step_backward(self, cache, grad_output, grad_states):
        """Reverse of :meth:`step`: ``(d xw_t, [dL/d state_{t-1}, ...])``."""
        dstates = list(grad_states)
        if grad_output is not None:
            dstates[0] = dstates[0] + grad_output      # the output IS h_t
        return self._step_backward(cache, dstates)

    # ----------------------------------------------------- the cell contract
    def get_initial_state(self, batch_size, dtype=None):
        dtype = dtype or self.dtype
        return [backend.zeros((batch_size, size), dtype=dtype)
                for size in _sizes(self.state_size)]

    def forward(self, inputs, states, training=False):
        """One step on ``x_t`` of shape ``(batch, features)``: ``((h_t, states_t), cache)``."""
        states = [states] if isinstance(states, np.ndarray) else list(states)
        xw, project_cache = self.project(inputs, training)
        y, step_cache = self.step(xw, states, training)
        return y, (project_cache, step_cache)

    def backward(self, cache, grad_out):
        """``grad_out = (grad_output, grad_states)`` -> ``(grad_inputs, grad_states_before)``."""
        project_cache, step_cache = cache
        grad_output, grad_states = grad_out
        x = project_cache[0]
        shape, n_states = (x.shape[0], self.units), len(_sizes(self.state_size))
        grad_states = [None] * n_states if grad_states is None else _as_list(grad_states)
        grad_states = [_full(g, shape, x.dtype) for g in grad_states]
        dxw, dstates = self.step_backward(step_cache, _full(grad_output, shape, x.dtype),
                                          grad_states)
        return self.project_backward(project_cache, dxw), dstates

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        from kerastutor import constraints, regularizers
        config = super().get_config()
        config["units"] = self.units
        config["activation"] = activations.serialize(self.activation)
        config["use_bias"] = self.use_bias
        for part in ("kernel", "recurrent", "bias"):       # Keras's key order
            config[f"{part}_initializer"] = initializers.serialize(
                getattr(self, f"{part}_initializer"))
        for part in ("kernel", "recurrent", "bias"):
            config[f"{part}_regularizer"] = _serialize(getattr(self, f"{part}_regularizer"),
                                                       regularizers)
        for part in ("kernel", "recurrent", "bias"):
            config[f"{part}_constraint"] = _serialize(getattr(self, f"{part}_constraint"),
                                                      constraints)
        config.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout,
                      seed=self.seed)
        return config


class _GatedCell(_DropoutRNNCell):
    """LSTMCell and GRUCell: cells whose gates use ``recurrent_activation`` (sigmoid)."""

    def __init__(self, units, recurrent_activation="sigmoid", **kwargs):
        kwargs.pop("implementation", None)      # Keras's kernel-splitting switch
        super().__init__(units, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return config


class SimpleRNNCell(_DropoutRNNCell):
    r"""One step of a fully connected recurrence.

    .. math::

        a_t = x_t W + h_{t-1} U + b, \qquad h_t = \phi(a_t)

    with ``W`` (``kernel``) of shape ``(features, units)``, ``U``
    (``recurrent_kernel``) ``(units, units)``, ``b`` ``(units,)`` and
    :math:`\phi = \tanh` by default. Output and the single state are both
    :math:`h_t`.

    **Backward** of one step. With :math:`g_t` the gradient reaching
    :math:`h_t` (output plus state):

    .. math::

        \delta_t = \phi'(a_t) \odot g_t, \qquad
        \frac{\partial L}{\partial h_{t-1}} = \delta_t U^\top, \qquad
        \frac{\partial L}{\partial U} \mathrel{+}= h_{t-1}^\top \delta_t, \qquad
        \frac{\partial L}{\partial W} \mathrel{+}= x_t^\top \delta_t, \qquad
        \frac{\partial L}{\partial b} \mathrel{+}= \textstyle\sum_\text{batch} \delta_t, \qquad
        \frac{\partial L}{\partial x_t} = \delta_t W^\top .

    With recurrent dropout, :math:`h_{t-1}` is multiplied by its mask before
    :math:`U`, and so is the gradient sent back through :math:`U^\top`.
    """

    _gates = 1

    def _step(self, xw_t, states, rmask=None):
        h_prev = _masked(states[0], rmask)
        a = xw_t + h_prev @ self.recurrent_kernel.value     # a_t = x_t W + b + h_{t-1} U
        h, act_cache = self.activation.forward(a)           # h_t = phi(a_t)
        return [h], (h_prev, rmask, act_cache)

    def _step_backward(self, step_cache, dstates):
        h_prev, rmask, act_cache = step_cache
        delta = self.activation.backward(act_cache, dstates[0])     # phi'(a_t) * g_t
        self._add_recurrent_grad(h_prev, delta)   # dU += h_{t-1}^T delta
        dh_prev = _masked(delta @ self.recurrent_kernel.value.T, rmask)  # delta U^T
        return delta, [dh_prev]


class LSTMCell(_GatedCell):
    r"""One step of a long short-term memory: gates, a cell state :math:`c`, an output :math:`h`.

    Gates in Keras's column order ``[i, f, c, o]`` (each ``units`` wide):

    .. math::

        [a^i, a^f, a^c, a^o] = x_t W + h_{t-1} U + b

        i = \sigma(a^i), \quad f = \sigma(a^f), \quad g = \tanh(a^c), \quad
        o = \sigma(a^o)

        c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t)

    (:math:`\sigma` is ``recurrent_activation``, :math:`\tanh` is
    ``activation``). States ``[h, c]``; the output is :math:`h_t`.
    ``unit_forget_bias=True`` sets the forget-gate bias to 1 at
    initialisation, whatever ``bias_initializer`` says.

    **Backward** of one step. With :math:`g^h_t, g^c_t` the gradients
    reaching :math:`h_t, c_t`:

    .. math::

        \bar g^c = g^c_t + g^h_t \odot o \odot \tanh'(c_t), \qquad
        \frac{\partial L}{\partial o} = g^h_t \odot \tanh(c_t)

        \frac{\partial L}{\partial f} = \bar g^c \odot c_{t-1}, \quad
        \frac{\partial L}{\partial i} = \bar g^c \odot g, \quad
        \frac{\partial L}{\partial g} = \bar g^c \odot i, \quad
        \frac{\partial L}{\partial c_{t-1}} = \bar g^c \odot f

    each gate gradient goes through its activation's derivative to give
    :math:`\delta_t = [\delta^i, \delta^f, \delta^c, \delta^o]`, and then as
    in :class:`SimpleRNNCell`: :math:`\partial L/\partial h_{t-1} = \delta_t U^\top`,
    :math:`\partial L/\partial U \mathrel{+}= h_{t-1}^\top \delta_t`,
    :math:`\partial L/\partial W \mathrel{+}= x_t^\top \delta_t`,
    :math:`\partial L/\partial x_t = \delta_t W^\top`.
    """

    _gates = 4

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, u = self.bias_initializer, self.units

        def init(shape, dtype=None):            # [b_i, 1, b_c, b_o]
            return np.concatenate([backend.asarray(base((u,), dtype=dtype)),
                                   np.ones((u,), dtype=dtype),
                                   backend.asarray(base((2 * u,), dtype=dtype))])
        return init

    def _step(self, xw_t, states, rmask=None):
        h_prev, c_prev = states
        h_prev = _masked(h_prev, rmask)
        a = xw_t + h_prev @ self.recurrent_kernel.value
        # One call for the three gates: the recurrent activation runs over the whole
        # [i f c o] block (the c column is recomputed with tanh below; at these sizes
        # the call costs more than the arithmetic).
        gates, cgates = self.recurrent_activation.forward(a)
        u = self.units
        i, f, o = gates[:, :u], gates[:, u:2 * u], gates[:, 3 * u:]
        g, cg = self.activation.forward(a[:, 2 * u:3 * u])
        c = f * c_prev + i * g                          # c_t = f c_{t-1} + i g
        tc, ctc = self.activation.forward(c)
        h = o * tc                                      # h_t = o tanh(c_t)
        return [h, c], (h_prev, rmask, c_prev, i, f, g, o, tc, cgates, cg, ctc)

    def _step_backward(self, step_cache, dstates):
        h_prev, rmask, c_prev, i, f, g, o, tc, cgates, cg, ctc = step_cache
        dh, dc = dstates
        u = self.units
        dc = dc + self.activation.backward(ctc, dh * o)     # total dL/dc_t
        # dL/d(gate outputs), side by side as [i f g o] (written in place, no concatenate)
        upstream = np.empty_like(cgates, dtype=dh.dtype)
        np.multiply(dc, g, out=upstream[:, :u])             # through i
        np.multiply(dc, c_prev, out=upstream[:, u:2 * u])   # through f
        np.multiply(dc, i, out=upstream[:, 2 * u:3 * u])    # through g
        np.multiply(dh, tc, out=upstream[:, 3 * u:])        # through o
        # i, f and o in one call (the g column is replaced just after)
        delta = self.recurrent_activation.backward(cgates, upstream)
        delta[:, 2 * u:3 * u] = self.activation.backward(cg, upstream[:, 2 * u:3 * u])
        self._add_recurrent_grad(h_prev, delta)
        dh_prev = _masked(delta @ self.recurrent_kernel.value.T, rmask)
        return delta, [dh_prev, dc * f]

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class GRUCell(_GatedCell):
    r"""One step of a gated recurrent unit: an update gate mixes the old state with a candidate.

    Gates in Keras's column order ``[z, r, h]`` (update, reset, candidate).
    With ``reset_after=True`` (the default) the bias has shape ``(2, 3u)``:
    row 0 is added to the input projection, row 1 to the recurrent one.

    .. math::

        [x^z, x^r, x^h] = x_t W + b_{\text{in}}, \qquad
        [m^z, m^r, m^h] = h_{t-1} U + b_{\text{rec}}

        z = \sigma(x^z + m^z), \quad r = \sigma(x^r + m^r), \quad
        \tilde h = \tanh(x^h + r \odot m^h)

        h_t = z \odot h_{t-1} + (1 - z) \odot \tilde h

    With ``reset_after=False`` the reset gate acts before the product:
    :math:`\tilde h = \tanh(x^h + (r \odot h_{t-1}) U^h)` and the bias is one
    vector ``(3u,)`` added to the input projection.

    **Backward** of one step (reset_after=True). With :math:`g_t` reaching
    :math:`h_t`:

    .. math::

        \frac{\partial L}{\partial z} = g_t \odot (h_{t-1} - \tilde h), \quad
        \delta^h = \tanh'(\cdot) \odot g_t \odot (1 - z), \quad
        \frac{\partial L}{\partial r} = \delta^h \odot m^h

        \delta^z = \sigma'(\cdot) \odot \tfrac{\partial L}{\partial z}, \quad
        \delta^r = \sigma'(\cdot) \odot \tfrac{\partial L}{\partial r}, \quad
        \delta^{\text{in}}_t = [\delta^z, \delta^r, \delta^h], \quad
        \delta^{\text{rec}}_t = [\delta^z, \delta^r, r \odot \delta^h]

        \frac{\partial L}{\partial h_{t-1}} = g_t \odot z + \delta^{\text{rec}}_t U^\top,
        \quad
        \frac{\partial L}{\partial U} \mathrel{+}= h_{t-1}^\top \delta^{\text{rec}}_t, \quad
        \frac{\partial L}{\partial W} \mathrel{+}= x_t^\top \delta^{\text{in}}_t

    and :math:`\partial L/\partial b_{\text{in}}`, :math:`\partial L/\partial b_{\text{rec}}`
    are the sums of :math:`\delta^{\text{in}}`, :math:`\delta^{\text{rec}}`.
    For ``reset_after=False``,
    :math:`\partial L/\partial U^h \mathrel{+}= (r \odot h_{t-1})^\top \delta^h`,
    :math:`\partial L/\partial r = (\delta^h U^{h\top}) \odot h_{t-1}`, and
    :math:`\partial L/\partial h_{t-1}` also receives :math:`(\delta^h U^{h\top}) \odot r`.
    """

    _gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        if self.bias is None:
            return None
        return self.bias.value[0] if self.reset_after else self.bias.value

    def _add_input_bias_grad(self, dxw_sum):
        if self.reset_after:
            self.bias.grad[0] += dxw_sum
        else:
            self.bias.grad += dxw_sum

    def _step(self, xw_t, states, rmask=None):
        h_prev = states[0]
        hr = _masked(h_prev, rmask)                     # the copy the recurrent products see
        u = self.units
        U = self.recurrent_kernel.value
        x_z, x_r, x_h = _split(xw_t, 3)
        ract = self.recurrent_activation
        if self.reset_after:
            m = hr @ U                              # all three recurrent products
            if self.bias is not None:
                m = m + self.bias.value[1]
            m_z, m_r, m_h = _split(m, 3)
            z, cz = ract.forward(x_z + m_z)
            r, cr = ract.forward(x_r + m_r)
            hh, ch = self.activation.forward(x_h + r * m_h)
            extra = m_h
        else:
            m_z, m_r = _split(hr @ U[:, :2 * u], 2)
            z, cz = ract.forward(x_z + m_z)
            r, cr = ract.forward(x_r + m_r)
            rh = r * hr
            hh, ch = self.activation.forward(x_h + rh @ U[:, 2 * u:])
            extra = rh
        h = z * h_prev + (1 - z) * hh                   # z multiplies the OLD state
        return [h], (h_prev, hr, rmask, z, r, hh, cz, cr, ch, extra)

    def _step_backward(self, step_cache, dstates):
        h_prev, hr, rmask, z, r, hh, cz, cr, ch, extra = step_cache
        u = self.units
        U = self.recurrent_kernel.value
        dh = dstates[0]
        ract = self.recurrent_activation
        d_z = ract.backward(cz, dh * (h_prev - hh))
        d_h = self.activation.backward(ch, dh * (1 - z))
        dh_prev = dh * z
        if self.reset_after:
            m_h = extra
            d_r = ract.backward(cr, d_h * m_h)
            d_rec = np.concatenate([d_z, d_r, d_h * r], axis=-1)
            self._add_recurrent_grad(hr, d_rec)
            if self.bias is not None:
                self.bias.grad[1] += d_rec.sum(axis=0)
            dh_prev = dh_prev + _masked(d_rec @ U.T, rmask)
        else:
            rh = extra
            self.recurrent_kernel.grad[:, 2 * u:] += rh.T @ d_h
            d_rh = d_h @ U[:, 2 * u:].T
            d_r = ract.backward(cr, d_rh * hr)
            d_zr = np.concatenate([d_z, d_r], axis=-1)
            self.recurrent_kernel.grad[:, :2 * u] += hr.T @ d_zr
            dh_prev = dh_prev + _masked(d_rh * r + d_zr @ U[:, :2 * u].T, rmask)
        return np.concatenate([d_z, d_r, d_h], axis=-1), [dh_prev]

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config


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
        for cell in self.cells:
            _reset_dropout_masks(cell)

    def get_initial_state(self, batch_size, dtype=None):
        return [s for cell in self.cells for s in _initial_state(cell, batch_size, dtype)]

    def forward(self, inputs, states, training=False):
        y, new_states, caches = inputs, [], []
        for cell, part in zip(self.cells, self._state_slices()):
            (y, cell_states), cache = cell.forward(y, list(states[part]), training=training)
            new_states += _as_list(cell_states)
            caches.append(cache)
        return (y, new_states), caches

    def backward(self, cache, grad_out):
        grad_output, grad_states = grad_out
        d_states = [None] * len(grad_states)
        g = grad_output
        for cell, part, cell_cache in reversed(list(zip(self.cells, self._state_slices(),
                                                        cache))):
            g, d_cell = cell.backward(cell_cache, (g, list(grad_states[part])))
            d_states[part] = _as_list(d_cell)
        return g, d_states

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_size)

    def get_config(self):
        from kerastutor.layers import serialize
        config = super().get_config()
        config["cells"] = [serialize(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**_with_layers(config, ("cells",), custom_objects))


def _as_list(states):
    return [states] if isinstance(states, np.ndarray) else list(states)


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    return int(size) if size is not None else _sizes(cell.state_size)[0]


def _initial_state(cell, batch_size, dtype):
    make = getattr(cell, "get_initial_state", None)
    if make is not None:
        return [backend.asarray(s, dtype=dtype) for s in _as_list(make(batch_size, dtype))]
    return [backend.zeros((batch_size, size), dtype=dtype) for size in _sizes(cell.state_size)]


def _check_cell(cell, owner):
    """A cell must be a layer with ``state_size`` and forward/backward (the contract)."""
    where = f'Layer "{owner}"'
    if not isinstance(cell, Layer):
        raise ValueError(f"{where}: a cell must be a keras Layer with `state_size`, "
                         f"`forward` and `backward`, got {cell!r}. Hint: pass e.g. "
                         "LSTMCell(8), or a list of cells to stack them.")
    size = getattr(cell, "state_size", None)
    if size is None or not (isinstance(size, (int, np.integer)) or
                            (isinstance(size, (list, tuple)) and size and
                             all(isinstance(s, (int, np.integer)) for s in size))):
        raise ValueError(f"{where}: the cell {type(cell).__name__} must have a `state_size` "
                         f"attribute (an int, or a list of ints: one per state array), got "
                         f"{size!r}.")
    if type(cell).backward is Layer.backward:
        raise ValueError(f"{where}: the cell {type(cell).__name__} has no backward(). A cell "
                         "does one step: forward(inputs, states, training) -> ((output, "
                         "new_states), cache) and backward(cache, (grad_output, "
                         "grad_states)) -> (grad_inputs, grad_states).")


# ================================================================= the loop
class RNN(Layer):
    r"""Runs a cell over the time axis: the generic time loop and its reverse.

    .. math::

        s_0 = \text{initial\_state}\ (\text{zeros by default}), \qquad
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

        (\partial x_t, \partial s) = \text{cell.backward}(m_t G^o_t,\; m_t G^s_t),
        \qquad
        G^s_{t-1} = \partial s + (1 - m_t)\, G^s_t, \qquad
        G^o_{t-1} \mathrel{+}= (1 - m_t)\, G^o_t

    :math:`G^s_0` is the gradient of the initial state: ``backward`` returns
    ``(dx, {"initial_state": [G^s_0, ...]})`` when ``forward`` was given
    ``initial_state``, and just ``dx`` otherwise.

    Parameters
    ----------
    cell : Layer or list of Layers
        Follows the cell contract (module docstring); a list becomes
        :class:`StackedRNNCells`.
    return_sequences, return_state, go_backwards : bool
        As above.
    stateful : bool
        Start each batch from the previous batch's last states (no gradient
        flows into the previous batch). ``reset_states()`` starts again from 0.
    unroll : bool
        Accepted for Keras compatibility; the loop is always a Python loop.
    zero_output_for_mask : bool
        Output zeros at masked steps instead of repeating the last output.

    Examples
    --------
    A cell of your own needs ``state_size`` and one step forward and back::

        class MinimalRNNCell(keras.layers.Layer):          # h_t = x_t W + h_{t-1} U
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = self.state_size = units

            def build(self, input_shape):
                self.w = self.add_weight((input_shape[-1], self.units), name="kernel")
                self.u = self.add_weight((self.units, self.units), name="recurrent_kernel")

            def forward(self, inputs, states, training=False):
                h = inputs @ self.w.value + states[0] @ self.u.value
                return (h, [h]), (inputs, states[0])

            def backward(self, cache, grad_out):
                x, h_prev = cache
                g = grad_out[0] + grad_out[1][0]       # output and state are both h_t
                self.w.grad += x.T @ g
                self.u.grad += h_prev.T @ g
                return g @ self.w.value.T, [g @ self.u.value.T]

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
        cell = self.cell
        fast = hasattr(cell, "project")                 # built-in cells: project all at once
        _reset_dropout_masks(cell)
        if fast:
            inputs, project_cache = cell.project(x, training)
        else:
            inputs, project_cache = x, None
        outputs, steps, states = self._steps_forward(inputs, states, mask, training, fast)
        _reset_dropout_masks(cell)
        if self.stateful:
            self.states = [s.copy() for s in states]
        y = np.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        cache = (x.shape, x.dtype, mask, project_cache, steps, fast, initial_state is not None)
        if self.return_state:
            return [y] + list(states), cache
        return y, cache

    def _steps_forward(self, inputs, states, mask, training, fast):
        """The time loop: ``(outputs, step caches, last states)``."""
        cell = self.cell
        outputs, steps, previous = [], [], None
        for t in range(inputs.shape[1]):
            if fast:
                (out, new), step_cache = cell.step(inputs[:, t], states, training)
            else:
                (out, new), step_cache = cell.forward(inputs[:, t], states, training=training)
            new = _as_list(new)
            if mask is not None:                        # skipped steps keep their states
                m = mask[:, t, None]
                new = [np.where(m, n, s) for n, s in zip(new, states)]
                if previous is None or self.zero_output_for_mask:
                    previous = np.zeros_like(out)
                out = np.where(m, out, previous)
            states, previous = new, out
            outputs.append(out)
            steps.append(step_cache)
        return outputs, steps, states

    # ---------------------------------------------------------------- backward
    def backward(self, cache, grad_out):
        x_shape, dtype, mask, project_cache, steps, fast, had_initial = cache
        batch, T = x_shape[0], x_shape[1]
        cell = self.cell
        out_shape = (batch, _output_size(cell))
        if self.return_state:
            grad_y, grad_states = grad_out[0], list(grad_out[1:])
        else:
            grad_y, grad_states = grad_out, [None] * len(self.state_size)
        # what reaches the last step's states from outside the loop
        g_states = [_full(g, (batch, size), dtype)
                    for g, size in zip(grad_states, self.state_size)]
        collecting = (cell.collect_recurrent_grads() if hasattr(cell, "collect_recurrent_grads")
                      else contextlib.nullcontext())       # built-in cells: one dL/dU product
        with collecting:
            d_inputs, g_states = self._steps_backward(steps, grad_y, g_states, mask, fast,
                                                      out_shape, dtype)
        dx = cell.project_backward(project_cache, d_inputs) if fast else d_inputs
        if self.go_backwards:
            dx = dx[:, ::-1]
        if had_initial:
            return dx, {"initial_state": g_states}
        return dx

    def _steps_backward(self, steps, grad_y, g_states, mask, fast, out_shape, dtype):
        """Backpropagation through time: ``(dL/d inputs of every step, dL/d initial states)``."""
        cell = self.cell
        batch, T = out_shape[0], len(steps)
        g_carry = None                                # from o_{t+1} = o_t at masked steps
        d_inputs = None                               # (batch, time, ...) once known
        for t in reversed(range(T)):
            g_out = None                              # dL/do_t: None while nothing flows
            if self.return_sequences and grad_y is not None:
                g_out = grad_y[:, t]
            elif t == T - 1:
                g_out = grad_y
            if g_carry is not None:
                g_out = g_carry if g_out is None else g_out + g_carry
            if (mask is not None or not fast) and (g_out is None or
                                                   np.shape(g_out) != out_shape):
                g_out = _full(g_out, out_shape, dtype)  # where() and user cells get arrays
            if mask is not None:                       # the cell sees only its own steps
                m = mask[:, t, None]
                g_cell_out = np.where(m, g_out, 0)
                g_cell_states = [np.where(m, g, 0) for g in g_states]
            else:
                g_cell_out, g_cell_states = g_out, g_states
            if fast:
                d_in, d_prev = cell.step_backward(steps[t], g_cell_out, g_cell_states)
            else:
                d_in, d_prev = cell.backward(steps[t], (g_cell_out, g_cell_states))
            if d_inputs is None:
                d_inputs = np.empty_like(d_in, shape=(batch, T) + d_in.shape[1:])
            d_inputs[:, t] = d_in
            d_prev = _as_list(d_prev)
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
        from kerastutor.layers import serialize
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


class _CellLayer(RNN):
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
        from kerastutor import regularizers
        config = Layer.get_config(self)
        config["activity_regularizer"] = _serialize(self.activity_regularizer, regularizers)
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


class SimpleRNN(_CellLayer):
    r"""Fully connected recurrence: ``RNN(SimpleRNNCell(units, ...))``.

    .. math::

        a_t = x_t W + h_{t-1} U + b, \qquad h_t = \phi(a_t), \qquad h_0 = 0

    with ``W`` (``kernel``) of shape ``(features, units)``, ``U``
    (``recurrent_kernel``) of shape ``(units, units)``, ``b`` of shape
    ``(units,)`` and :math:`\phi = \tanh` by default; the weights live on
    ``layer.cell`` (:class:`SimpleRNNCell`). Call
    ``forward(x, training, mask=..., initial_state=[h_0])`` for masking and a
    given initial state (see :class:`RNN`).

    **Backward** (through time, ``t = T, ..., 1``). With :math:`g_t` the
    gradient reaching :math:`h_t` (from the output at step ``t`` plus from
    step ``t+1``):

    .. math::

        \delta_t = \phi'(a_t) \odot g_t, \qquad
        g_{t-1} \mathrel{+}= \delta_t U^\top, \qquad
        \frac{\partial L}{\partial U} = \sum_t h_{t-1}^\top \delta_t, \qquad
        \frac{\partial L}{\partial W} = \sum_t x_t^\top \delta_t, \qquad
        \frac{\partial L}{\partial b} = \sum_{t,\text{batch}} \delta_t, \qquad
        \frac{\partial L}{\partial x_t} = \delta_t W^\top .

    Parameters
    ----------
    units : int
        Size of the state :math:`h`.
    activation : str
        :math:`\phi`, ``"tanh"`` by default.
    use_bias, kernel_initializer, recurrent_initializer, bias_initializer
        ``True``, ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``; with
        ``kernel_regularizer``, ``recurrent_regularizer``, ``bias_regularizer``
        and the three ``*_constraint`` they go to the :class:`SimpleRNNCell`.
    return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask
        The loop's options, as in :class:`RNN`.
    seed : int or None
        Seed of the dropout masks.
    dropout : float
        Fraction of the input features dropped while training; the same mask
        for every time step (inverted dropout).
    recurrent_dropout : float
        Fraction of :math:`h_{t-1}` dropped in the recurrent product
        :math:`h_{t-1} U` while training, the same mask for every step.
        Backward multiplies the gradient sent to :math:`h_{t-1}` through ``U``
        by the same mask.
    """

    _config_keys_keras_omits = ("seed",)

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"


class LSTM(_CellLayer):
    r"""Long short-term memory: ``RNN(LSTMCell(units, ...))``.

    Gates in Keras's column order ``[i, f, c, o]``:

    .. math::

        [a^i, a^f, a^c, a^o] = x_t W + h_{t-1} U + b, \qquad
        c_t = \sigma(a^f) \odot c_{t-1} + \sigma(a^i) \odot \tanh(a^c), \qquad
        h_t = \sigma(a^o) \odot \tanh(c_t)

    The step and its backward are written out in :class:`LSTMCell`; the
    time loop and backpropagation through time in :class:`RNN`.
    ``return_state=True`` returns ``[output, h_T, c_T]``.

    Parameters
    ----------
    units : int
        Size of the states :math:`h` and :math:`c`.
    activation, recurrent_activation : str
        ``"tanh"`` and ``"sigmoid"`` by default.
    use_bias, kernel_initializer, recurrent_initializer, bias_initializer
        ``True``, ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``.
    unit_forget_bias : bool
        ``True`` sets the forget-gate bias to 1 at initialisation.
    dropout, recurrent_dropout, seed
        As in :class:`SimpleRNN`. These, and the ``kernel``, ``recurrent`` and
        ``bias`` regularizers and constraints, go to the :class:`LSTMCell`,
        which ``layer.cell`` holds.
    return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask
        The loop's options, as in :class:`RNN`.
    use_cudnn : str or bool
        Accepted for Keras compatibility.
    """

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"
    _config_keys_keras_omits = ("use_cudnn",)

    recurrent_activation = _from_cell("recurrent_activation")
    unit_forget_bias = _from_cell("unit_forget_bias")


class GRU(_CellLayer):
    r"""Gated recurrent unit: ``RNN(GRUCell(units, ...))``.

    Gates in Keras's column order ``[z, r, h]``:

    .. math::

        z = \sigma(x^z + m^z), \quad r = \sigma(x^r + m^r), \quad
        \tilde h = \tanh(x^h + r \odot m^h), \quad
        h_t = z \odot h_{t-1} + (1 - z) \odot \tilde h

    with :math:`x = x_t W + b_{\text{in}}` and :math:`m = h_{t-1} U + b_{\text{rec}}`
    (``reset_after=True``, the default: bias ``(2, 3u)``), or the reset gate
    applied before the product (``reset_after=False``: bias ``(3u,)``). The
    step and its backward are written out in :class:`GRUCell`.

    Parameters
    ----------
    units : int
        Size of the state :math:`h`.
    reset_after : bool
        Where the reset gate acts (``True``, Keras 3's default).
    activation, recurrent_activation, use_bias, initializers, regularizers, constraints
        As in :class:`LSTM` (without ``unit_forget_bias``); they go to the
        :class:`GRUCell`.
    dropout, recurrent_dropout, seed
        As in :class:`SimpleRNN`.
    return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask
        The loop's options, as in :class:`RNN`.
    use_cudnn : str or bool
        Accepted for Keras compatibility.
    """

    _cell_class = GRUCell
    _cell_name = "gru_cell"
    _config_keys_keras_omits = ("use_cudnn",)

    recurrent_activation = _from_cell("recurrent_activation")
    reset_after = _from_cell("reset_after")
