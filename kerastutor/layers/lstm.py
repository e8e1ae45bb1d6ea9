r"""Long short-term memory: :class:`LSTMCell` and :class:`LSTM`.

.. math::

    c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t)

with the gates :math:`i, f, o` (sigmoid) and :math:`g` (tanh) computed from
:math:`x_t W + h_{t-1} U + b`. The cell writes one step and its reverse;
the time loop is :class:`~kerastutor.layers.rnn.RNN`'s.
"""
import numpy as np

from kerastutor import activations, backend, compiled
from kerastutor.layers.dropout_rnn_cell import masked
from kerastutor.layers.rnn import _from_cell
from kerastutor.layers.rnn_cell import GatedCellLayer, GatedRNNCell


class LSTMCell(GatedRNNCell):
    r"""One step of a long short-term memory: gates, a cell state :math:`c`, an output :math:`h`.

    Gates in Keras's column order ``[i, f, c, o]`` (each ``units`` wide):

    .. math::

        \big[a^i, a^f, a^c, a^o\big] = x_t W + h_{t-1} U + b

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
    in :class:`~kerastutor.layers.simple_rnn.SimpleRNNCell`:
    :math:`\partial L/\partial h_{t-1} = \delta_t U^\top`,
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
        h_prev = masked(h_prev, rmask)
        a = xw_t + h_prev @ self.recurrent_kernel.value     # [a^i a^f a^c a^o]
        (i, f, g, o), gates_cache = self._gate_values(a)
        c = f * c_prev + i * g                              # c_t = f c_{t-1} + i g
        tc, tc_cache = self.activation.forward(c)
        h = o * tc                                          # h_t = o tanh(c_t)
        return [h, c], (h_prev, rmask, c_prev, i, f, g, o, tc, tc_cache, gates_cache)

    def _step_backward(self, step_cache, dstates):
        h_prev, rmask = step_cache[:2]
        delta, dc_prev = self._cell_backward(step_cache, *dstates)   # delta, dL/dc_{t-1}
        self._add_recurrent_grad(h_prev, delta)                  # dU += h_{t-1}^T delta
        dh_prev = masked(delta @ self.recurrent_kernel.value.T, rmask)
        return delta, [dh_prev, dc_prev]

    def _cell_backward(self, step_cache, dh, dc):
        r"""The step's backward inside the cell: :math:`\delta_t` and
        :math:`\partial L/\partial c_{t-1}` from the gradients reaching :math:`h_t, c_t`."""
        h_prev, rmask, c_prev, i, f, g, o, tc, tc_cache, gates_cache = step_cache
        if self._plain_activations():             # the fast extra: one compiled loop
            fused = compiled.lstm_cell_backward(dh, dc, gates_cache[0], g, tc, c_prev)
            if fused is not None:
                return fused
        dc = dc + self.activation.backward(tc_cache, dh * o)    # all of dL/dc_t
        delta = self._gate_values_backward(gates_cache, d_i=dc * g, d_f=dc * c_prev, d_g=dc * i,
                                           d_o=dh * tc)
        return delta, dc * f

    def _plain_activations(self):
        """tanh and sigmoid, the defaults (what the compiled loop computes)."""
        return (type(self.activation) is activations.Tanh
                and type(self.recurrent_activation) is activations.Sigmoid)

    # ---------------------------------------- the four gates, in two calls
    def _gate_values(self, a):
        r""":math:`i, f, o = \sigma(a^i, a^f, a^o)` and :math:`g = \tanh(a^c)`.

        One ``recurrent_activation`` call over the whole ``[i f c o]`` block
        instead of three (at these sizes a call costs more than its
        arithmetic); its ``c`` column is unused, ``tanh`` gives :math:`g`.
        """
        u = self.units
        sig, sig_cache = self.recurrent_activation.forward(a)
        g, g_cache = self.activation.forward(a[:, 2 * u:3 * u])
        return (sig[:, :u], sig[:, u:2 * u], g, sig[:, 3 * u:]), (sig_cache, g_cache)

    def _gate_values_backward(self, cache, d_i, d_f, d_g, d_o):
        r"""``delta = [d a^i, d a^f, d a^c, d a^o]`` from the gradients of the four gates."""
        sig_cache, g_cache = cache
        u = self.units
        delta = self.recurrent_activation.backward(
            sig_cache, np.concatenate([d_i, d_f, d_g, d_o], axis=-1))
        delta[:, 2 * u:3 * u] = self.activation.backward(g_cache, d_g)
        return delta

    def get_config(self):
        config = super().get_config()
        config["unit_forget_bias"] = self.unit_forget_bias
        return config


class LSTM(GatedCellLayer):
    r"""Long short-term memory: ``RNN(LSTMCell(units, ...))``.

    Gates in Keras's column order ``[i, f, c, o]``:

    .. math::

        [a^i, a^f, a^c, a^o] = x_t W + h_{t-1} U + b, \qquad
        c_t = \sigma(a^f) \odot c_{t-1} + \sigma(a^i) \odot \tanh(a^c), \qquad
        h_t = \sigma(a^o) \odot \tanh(c_t)

    The step and its backward are written out in :class:`LSTMCell`; the
    time loop and backpropagation through time in :class:`~kerastutor.layers.rnn.RNN`.
    ``return_state=True`` returns ``[output, h_T, c_T]``. The cell's arguments
    (everything from ``activation`` to ``seed`` below, except
    ``activity_regularizer``) go to the :class:`LSTMCell`, which
    ``layer.cell`` holds; the loop's options (``return_sequences`` and those
    after it) are those of :class:`~kerastutor.layers.rnn.RNN`.

    **Recurrent dropout differs from Keras.** kerastutor draws *one* mask for
    the input and *one* for the state per sequence, and every gate sees the
    same dropped entries: :math:`\tilde h_{t-1} = h_{t-1} \odot m^h / (1 - p)`
    enters the single product :math:`\tilde h_{t-1} U` of all four blocks.
    Keras, as soon as ``recurrent_dropout > 0``, switches its cell to the
    per-gate computation (``implementation=1``) and draws a separate mask for
    each gate -- four for the state, and four for the input too. Both are
    dropout with masks fixed over time (Gal and Ghahramani, 2016) and have the
    same expected output, but the dropped entries differ, so training with
    ``recurrent_dropout`` does not reproduce Keras's numbers. With
    ``dropout`` alone (and Keras's default ``implementation=2``) Keras also
    shares one input mask among the gates, and kerastutor's draws are
    Keras's, entry for entry.

    Parameters
    ----------
    units : int
        Size of the states :math:`h` and :math:`c` (and of the output).
    activation : str or callable
        The squashing of the candidate :math:`g` and of :math:`c_t` in
        :math:`h_t = o \odot \tanh(c_t)`; ``"tanh"`` by default.
    recurrent_activation : str or callable
        :math:`\sigma` of the gates :math:`i, f, o`; ``"sigmoid"`` by default.
    use_bias : bool
        Whether to add :math:`b` (``True``).
    kernel_initializer : str or Initializer
        Initial :math:`W` ``(features, 4 * units)`` (``"glorot_uniform"``).
    recurrent_initializer : str or Initializer
        Initial :math:`U` ``(units, 4 * units)`` (``"orthogonal"``).
    bias_initializer : str or Initializer
        Initial :math:`b` ``(4 * units,)`` (``"zeros"``).
    unit_forget_bias : bool
        ``True`` (the default) sets the forget-gate block of :math:`b` to 1 at
        initialisation, whatever ``bias_initializer`` says, so that a fresh
        LSTM starts by remembering.
    kernel_regularizer : Regularizer or None
        Penalty on :math:`W`, added to the loss.
    recurrent_regularizer : Regularizer or None
        Penalty on :math:`U`.
    bias_regularizer : Regularizer or None
        Penalty on :math:`b`.
    activity_regularizer : Regularizer or None
        Penalty on the layer's output.
    kernel_constraint : Constraint or None
        Applied to :math:`W` after every update.
    recurrent_constraint : Constraint or None
        Applied to :math:`U` after every update.
    bias_constraint : Constraint or None
        Applied to :math:`b` after every update.
    dropout : float
        Fraction of the input features dropped while training (0 by default):
        one mask per sequence, shared by the four gates (as in Keras).
    recurrent_dropout : float
        Fraction of :math:`h_{t-1}` dropped before :math:`h_{t-1} U` while
        training (0 by default): one mask per sequence, shared by the four
        gates -- Keras draws one per gate (see above).
    seed : int or None
        Seed of the dropout masks.
    return_sequences : bool
        Return every :math:`h_t` ``(batch, time, units)`` instead of only the
        last ``(batch, units)``.
    return_state : bool
        Also return the last states: ``[output, h_T, c_T]``.
    go_backwards : bool
        Read the sequence from the last step to the first.
    stateful : bool
        Start each batch from the previous batch's last states.
    unroll : bool
        Accepted for Keras compatibility; the loop is always a Python loop.
    zero_output_for_mask : bool
        Output zeros at masked steps instead of repeating the last output.
    use_cudnn : str or bool
        Keras's switch to a cuDNN kernel; accepted and ignored (there is one
        implementation), and left out of the config as Keras leaves it out.
        Keras's ``implementation`` argument is accepted and ignored too.
    """

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"

    unit_forget_bias = _from_cell("unit_forget_bias")
