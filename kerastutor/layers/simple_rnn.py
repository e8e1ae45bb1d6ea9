r"""The fully connected recurrence: :class:`SimpleRNNCell` and :class:`SimpleRNN`.

.. math::

    h_t = \phi(x_t W + h_{t-1} U + b)

The cell writes one step and its reverse; the time loop is
:class:`~kerastutor.layers.rnn.RNN`'s.
"""
from kerastutor.layers.dropout_rnn_cell import masked
from kerastutor.layers.rnn import CellLayer
from kerastutor.layers.rnn_cell import BaseRNNCell


class SimpleRNNCell(BaseRNNCell):
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
        h_prev = masked(states[0], rmask)
        a = xw_t + h_prev @ self.recurrent_kernel.value     # a_t = x_t W + b + h_{t-1} U
        h, act_cache = self.activation.forward(a)           # h_t = phi(a_t)
        return [h], (h_prev, rmask, act_cache)

    def _step_backward(self, step_cache, dstates):
        h_prev, rmask, act_cache = step_cache
        delta = self.activation.backward(act_cache, dstates[0])     # phi'(a_t) * g_t
        self._add_recurrent_grad(h_prev, delta)   # dU += h_{t-1}^T delta
        dh_prev = masked(delta @ self.recurrent_kernel.value.T, rmask)  # delta U^T
        return delta, [dh_prev]


class SimpleRNN(CellLayer):
    r"""Fully connected recurrence: ``RNN(SimpleRNNCell(units, ...))``.

    .. math::

        a_t = x_t W + h_{t-1} U + b, \qquad h_t = \phi(a_t), \qquad h_0 = 0

    with ``W`` (``kernel``) of shape ``(features, units)``, ``U``
    (``recurrent_kernel``) of shape ``(units, units)``, ``b`` of shape
    ``(units,)`` and :math:`\phi = \tanh` by default; the weights live on
    ``layer.cell`` (:class:`SimpleRNNCell`). Call
    ``forward(x, training, mask=..., initial_state=[h_0])`` for masking and a
    given initial state (see :class:`~kerastutor.layers.rnn.RNN`).

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
        The loop's options, as in :class:`~kerastutor.layers.rnn.RNN`.
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
