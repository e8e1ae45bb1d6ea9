r"""Recurrent layers: SimpleRNN, LSTM, GRU.

A recurrent layer reads a sequence ``x`` of shape ``(batch, time, features)``
one step at a time and carries a *state* from each step to the next::

    h_0 = 0
    for t in 1..T:
        h_t = cell(x_t, h_{t-1})

Everything that does not depend on the state is done for all steps at once
before the loop: the input projection :math:`x_t W + b` is one matmul over
``(batch, time)``. Only the recurrent part :math:`h_{t-1} U` has to wait for
the previous step.

**Backpropagation through time.** The loop is a very deep network whose
layers all share ``U``. Backward walks it in reverse: the gradient reaching
:math:`h_t` is what the output at step ``t`` received plus what step
``t+1`` sent back through :math:`h_t U`; each step then sends a part back to
:math:`h_{t-1}` and adds its share into :math:`\partial L/\partial U`.
The gradients of the input projections, collected for every step, give
:math:`\partial L/\partial W = \sum_t x_t^\top \delta_t` and
:math:`\partial L/\partial x_t = \delta_t W^\top` in one matmul each.

Weights follow Keras 3's layout (``kernel``, ``recurrent_kernel``, ``bias``,
gates side by side in the columns), so weights load from Keras files as they
are. Keras keeps them on an inner ``cell``; here they live on the layer.
"""
import numpy as np

from kerastutor import activations, backend, initializers
from kerastutor.layers.base import InputSpec, Layer, format_shape
from kerastutor.layers.core import _constraint, _regularizer, _serialize


def _split(a, parts):
    """Split the last axis into ``parts`` equal blocks (the gates)."""
    return np.split(a, parts, axis=-1)


def _masked(a, mask):
    """``a * mask`` for recurrent dropout (``a`` itself when there is no mask)."""
    return a if mask is None else a * mask


class _RNNBase(Layer):
    r"""Shared machinery: the time loop, its reverse, shapes and config.

    A subclass says how many gate blocks its kernels hold (``_gates``), how
    many state arrays it carries (``_n_states``), and writes one step forward
    (``_step``) and one step backward (``_step_backward``).
    """

    _gates = 1
    _n_states = 1

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 seed=None, zero_output_for_mask=False, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"{cls}: `units` must be a positive integer, got {units!r}. "
                             f"Hint: units is the size of the hidden state, e.g. {cls}(32).")
        for option, value in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{cls}: `{option}` must be a float in [0, 1), got {value!r}.")
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
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)           # accepted for Keras compatibility: always a loop
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)
        self.input_spec = InputSpec(ndim=3)
        self.states = None                   # carried between batches when stateful

    # ------------------------------------------------------------------ weights
    def build(self, input_shape):
        n_in = input_shape[-1]
        if n_in is None:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}): the last axis (features) of '
                f"the input must be known, got input shape {format_shape(input_shape)}. "
                "Hint: give keras.Input(shape=(timesteps, features)).")
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
        self.input_spec = InputSpec(ndim=3, axes={-1: n_in})
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

    # ------------------------------------------------------------------ forward
    def _initial_states(self, batch, dtype):
        if self.stateful and self.states is not None and self.states[0].shape[0] == batch:
            return [s.astype(dtype, copy=True) for s in self.states]
        return [np.zeros((batch, self.units), dtype=dtype) for _ in range(self._n_states)]

    def reset_states(self):
        """Forget the carried state (``stateful=True``): the next batch starts from zeros."""
        self.states = None

    def forward(self, x, training=False):
        if self.go_backwards:
            x = x[:, ::-1]                              # read the sequence from its end
        mask = None
        if training and self.dropout > 0:               # one input mask for every step
            rng = self._rng if self._rng is not None else backend.rng()
            keep = rng.random((x.shape[0], 1, x.shape[2])) >= self.dropout
            mask = keep.astype(x.dtype) / (1.0 - self.dropout)
            x = x * mask
        rmask = None
        if training and self.recurrent_dropout > 0:     # one state mask for every step
            rng = self._rng if self._rng is not None else backend.rng()
            keep = rng.random((x.shape[0], self.units)) >= self.recurrent_dropout
            rmask = keep.astype(x.dtype) / (1.0 - self.recurrent_dropout)
        xw = x @ self.kernel.value                      # x_t W for every step at once
        bias = self._input_bias()
        if bias is not None:
            xw = xw + bias                              #        + b
        states = self._initial_states(x.shape[0], xw.dtype)
        steps, outputs = [], []
        for t in range(x.shape[1]):
            states, step_cache = self._step(xw[:, t], states, rmask)
            steps.append(step_cache)
            outputs.append(states[0])
        if self.stateful:
            self.states = [s.copy() for s in states]
        hs = np.stack(outputs, axis=1)                  # (batch, time, units)
        y = hs if self.return_sequences else hs[:, -1]
        cache = (x, mask, steps, xw.dtype)
        if self.return_state:
            return [y] + list(states), cache
        return y, cache

    # ----------------------------------------------------------------- backward
    def backward(self, cache, grad_out):
        x, mask, steps, dtype = cache
        batch, T = x.shape[0], x.shape[1]
        if self.return_state:
            grad_y, grad_states = grad_out[0], list(grad_out[1:])
        else:
            grad_y, grad_states = grad_out, [None] * self._n_states
        # what reaches the last step's states from outside the loop
        dstates = [np.zeros((batch, self.units), dtype=dtype) if g is None
                   else np.array(g, dtype=dtype) for g in grad_states]
        dxw = np.zeros((batch, T, self._gates * self.units), dtype=dtype)
        for t in reversed(range(T)):
            if self.return_sequences:
                dstates[0] = dstates[0] + grad_y[:, t]  # dL/dh_t from the output at step t
            elif t == T - 1:
                dstates[0] = dstates[0] + grad_y
            dxw[:, t], dstates = self._step_backward(steps[t], dstates)
        dxw2 = dxw.reshape(-1, dxw.shape[-1])
        self.kernel.add_matmul_to_grad(x.reshape(-1, x.shape[-1]).T, dxw2)  # sum_t x_t^T d_t
        if self.bias is not None:
            self._add_input_bias_grad(dxw2.sum(axis=0))
        dx = dxw @ self.kernel.value.T                  # dL/dx_t = d_t W^T
        if mask is not None:
            dx = dx * mask
        if self.go_backwards:
            dx = dx[:, ::-1]
        return dx

    # ------------------------------------------------------------ shapes/config
    def compute_output_shape(self, input_shape):
        batch, steps = input_shape[0], input_shape[1]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [out] + [(batch, self.units)] * self._n_states
        return out

    def get_config(self):
        from kerastutor import constraints, regularizers
        config = super().get_config()
        config.update({
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize(self.kernel_regularizer, regularizers),
            "recurrent_regularizer": _serialize(self.recurrent_regularizer, regularizers),
            "bias_regularizer": _serialize(self.bias_regularizer, regularizers),
            "activity_regularizer": _serialize(self.activity_regularizer, regularizers),
            "kernel_constraint": _serialize(self.kernel_constraint, constraints),
            "recurrent_constraint": _serialize(self.recurrent_constraint, constraints),
            "bias_constraint": _serialize(self.bias_constraint, constraints),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        })
        return config


class SimpleRNN(_RNNBase):
    r"""Fully connected recurrence: the new state is the activated sum of input and old state.

    .. math::

        a_t = x_t W + h_{t-1} U + b, \qquad h_t = \phi(a_t), \qquad h_0 = 0

    with ``W`` (``kernel``) of shape ``(features, units)``, ``U``
    (``recurrent_kernel``) of shape ``(units, units)``, ``b`` of shape
    ``(units,)`` and :math:`\phi = \tanh` by default.

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
    return_sequences : bool
        Return every :math:`h_t` ``(batch, time, units)`` instead of the last.
    return_state : bool
        Return ``[output, h_T]``.
    go_backwards : bool
        Read the sequence from its end; returned sequences stay in that
        reversed order, as in Keras.
    stateful : bool
        Start each batch from the previous batch's last state (no gradient
        flows into the previous batch). ``reset_states()`` starts again from 0.
    dropout : float
        Fraction of the input features dropped while training; the same mask
        for every time step (inverted dropout).
    recurrent_dropout : float
        Fraction of :math:`h_{t-1}` dropped in the recurrent product
        :math:`h_{t-1} U` while training, the same mask for every step (and,
        here, for every gate; Keras draws one mask per gate). Backward
        multiplies the gradient sent to :math:`h_{t-1}` through ``U`` by the
        same mask.
    unroll : bool
        Accepted for Keras compatibility; the loop is always a Python loop.
    """

    _gates = 1
    _n_states = 1

    def _step(self, xw_t, states, rmask=None):
        h_prev = _masked(states[0], rmask)
        a = xw_t + h_prev @ self.recurrent_kernel.value     # a_t = x_t W + b + h_{t-1} U
        h, act_cache = self.activation.forward(a)           # h_t = phi(a_t)
        return [h], (h_prev, rmask, act_cache)

    def _step_backward(self, step_cache, dstates):
        h_prev, rmask, act_cache = step_cache
        delta = self.activation.backward(act_cache, dstates[0])     # phi'(a_t) * g_t
        self.recurrent_kernel.add_matmul_to_grad(h_prev.T, delta)   # dU += h_{t-1}^T delta
        dh_prev = _masked(delta @ self.recurrent_kernel.value.T, rmask)  # g_{t-1} = delta U^T
        return delta, [dh_prev]


class LSTM(_RNNBase):
    r"""Long short-term memory: a gated cell state :math:`c` next to the output state :math:`h`.

    Gates in Keras's column order ``[i, f, c, o]`` (each ``units`` wide):

    .. math::

        [a^i, a^f, a^c, a^o] = x_t W + h_{t-1} U + b

        i = \sigma(a^i), \quad f = \sigma(a^f), \quad g = \tanh(a^c), \quad
        o = \sigma(a^o)

        c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t)

    (:math:`\sigma` is ``recurrent_activation``, :math:`\tanh` is
    ``activation``). ``unit_forget_bias=True`` sets the forget-gate bias to 1
    at initialisation, whatever ``bias_initializer`` says.

    **Backward** (through time). With :math:`g^h_t, g^c_t` the gradients
    reaching :math:`h_t, c_t`:

    .. math::

        \bar g^c = g^c_t + g^h_t \odot o \odot \tanh'(c_t), \qquad
        \frac{\partial L}{\partial o} = g^h_t \odot \tanh(c_t)

        \frac{\partial L}{\partial f} = \bar g^c \odot c_{t-1}, \quad
        \frac{\partial L}{\partial i} = \bar g^c \odot g, \quad
        \frac{\partial L}{\partial g} = \bar g^c \odot i, \quad
        g^c_{t-1} = \bar g^c \odot f

    each gate gradient goes through its activation's derivative to give
    :math:`\delta_t = [\delta^i, \delta^f, \delta^c, \delta^o]`, and then as
    in :class:`SimpleRNN`: :math:`g^h_{t-1} = \delta_t U^\top`,
    :math:`\partial L/\partial U = \sum_t h_{t-1}^\top \delta_t`,
    :math:`\partial L/\partial W = \sum_t x_t^\top \delta_t`,
    :math:`\partial L/\partial x_t = \delta_t W^\top`.

    ``return_state=True`` returns ``[output, h_T, c_T]``.
    """

    _gates = 4
    _n_states = 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, use_cudnn="auto", **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.use_cudnn = use_cudnn              # accepted for Keras compatibility

    def _bias_init(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, u = self.bias_initializer, self.units

        def init(shape, dtype=None):            # [b_i, 1, b_c, b_o]
            return np.concatenate([np.asarray(base((u,), dtype=dtype)),
                                   np.ones((u,), dtype=dtype),
                                   np.asarray(base((2 * u,), dtype=dtype))])
        return init

    def _step(self, xw_t, states, rmask=None):
        h_prev, c_prev = states
        h_prev = _masked(h_prev, rmask)
        a = xw_t + h_prev @ self.recurrent_kernel.value
        a_i, a_f, a_c, a_o = _split(a, 4)
        i, ci = self.recurrent_activation.forward(a_i)
        f, cf = self.recurrent_activation.forward(a_f)
        g, cg = self.activation.forward(a_c)
        o, co = self.recurrent_activation.forward(a_o)
        c = f * c_prev + i * g                          # c_t = f c_{t-1} + i g
        tc, ctc = self.activation.forward(c)
        h = o * tc                                      # h_t = o tanh(c_t)
        return [h, c], (h_prev, rmask, c_prev, i, f, g, o, tc, ci, cf, cg, co, ctc)

    def _step_backward(self, step_cache, dstates):
        h_prev, rmask, c_prev, i, f, g, o, tc, ci, cf, cg, co, ctc = step_cache
        dh, dc = dstates
        do = dh * tc
        dc = dc + self.activation.backward(ctc, dh * o)     # total dL/dc_t
        ract = self.recurrent_activation
        delta = np.concatenate([ract.backward(ci, dc * g),          # through i
                                ract.backward(cf, dc * c_prev),     # through f
                                self.activation.backward(cg, dc * i),  # through g
                                ract.backward(co, do)], axis=-1)    # through o
        self.recurrent_kernel.add_matmul_to_grad(h_prev.T, delta)
        dh_prev = _masked(delta @ self.recurrent_kernel.value.T, rmask)
        return delta, [dh_prev, dc * f]

    def get_config(self):
        config = super().get_config()
        config.update({
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
            "use_cudnn": self.use_cudnn,
        })
        return config


class GRU(_RNNBase):
    r"""Gated recurrent unit: an update gate mixes the old state with a candidate.

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

    **Backward** (reset_after=True). With :math:`g_t` reaching :math:`h_t`:

    .. math::

        \frac{\partial L}{\partial z} = g_t \odot (h_{t-1} - \tilde h), \quad
        \delta^h = \tanh'(\cdot) \odot g_t \odot (1 - z), \quad
        \frac{\partial L}{\partial r} = \delta^h \odot m^h

        \delta^z = \sigma'(\cdot) \odot \tfrac{\partial L}{\partial z}, \quad
        \delta^r = \sigma'(\cdot) \odot \tfrac{\partial L}{\partial r}, \quad
        \delta^{\text{in}}_t = [\delta^z, \delta^r, \delta^h], \quad
        \delta^{\text{rec}}_t = [\delta^z, \delta^r, r \odot \delta^h]

        g_{t-1} = g_t \odot z + \delta^{\text{rec}}_t U^\top, \quad
        \frac{\partial L}{\partial U} = \sum_t h_{t-1}^\top \delta^{\text{rec}}_t, \quad
        \frac{\partial L}{\partial W} = \sum_t x_t^\top \delta^{\text{in}}_t

    and :math:`\partial L/\partial b_{\text{in}}`, :math:`\partial L/\partial b_{\text{rec}}`
    are the sums of :math:`\delta^{\text{in}}`, :math:`\delta^{\text{rec}}`.
    For ``reset_after=False``,
    :math:`\partial L/\partial U^h = \sum_t (r \odot h_{t-1})^\top \delta^h`,
    :math:`\partial L/\partial r = (\delta^h U^{h\top}) \odot h_{t-1}`, and
    :math:`g_{t-1}` also receives :math:`(\delta^h U^{h\top}) \odot r`.
    """

    _gates = 3
    _n_states = 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 reset_after=True, use_cudnn="auto", **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        self.use_cudnn = use_cudnn

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
            self.recurrent_kernel.add_matmul_to_grad(hr.T, d_rec)
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
        config.update({
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
            "use_cudnn": self.use_cudnn,
        })
        return config
