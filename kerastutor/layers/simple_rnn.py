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

    The cell's arguments (everything from ``activation`` to ``seed`` below,
    except ``activity_regularizer``) go to the :class:`SimpleRNNCell`; the
    loop's options (``return_sequences`` and those after it) are those of
    :class:`~kerastutor.layers.rnn.RNN`.

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
        Size of the state :math:`h` (and of the output).
    activation : str or callable
        :math:`\phi`, ``"tanh"`` by default; ``None`` is the identity.
    use_bias : bool
        Whether to add :math:`b` (``True``).
    kernel_initializer : str or Initializer
        Initial :math:`W` (``"glorot_uniform"``).
    recurrent_initializer : str or Initializer
        Initial :math:`U` (``"orthogonal"``).
    bias_initializer : str or Initializer
        Initial :math:`b` (``"zeros"``).
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
        one mask :math:`m^x` per sequence, the same at every time step
        (inverted dropout, :math:`x_t \odot m^x / (1 - p)`).
    recurrent_dropout : float
        Fraction of :math:`h_{t-1}` dropped in the recurrent product
        :math:`h_{t-1} U` while training (0 by default), again one mask per
        sequence. Backward multiplies the gradient sent to :math:`h_{t-1}`
        through :math:`U^\top` by the same mask. Both masks are drawn as Keras
        draws them, so with the same ``seed`` they drop the same entries.
    seed : int or None
        Seed of the dropout masks.
    return_sequences : bool
        Return every :math:`h_t` ``(batch, time, units)`` instead of only the
        last ``(batch, units)``.
    return_state : bool
        Also return the last state: ``[output, h_T]``.
    go_backwards : bool
        Read the sequence from the last step to the first.
    stateful : bool
        Start each batch from the previous batch's last state.
    unroll : bool
        Accepted for Keras compatibility; the loop is always a Python loop.
    zero_output_for_mask : bool
        Output zeros at masked steps instead of repeating the last output.
    """

    _config_keys_keras_omits = ("seed",)

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"
