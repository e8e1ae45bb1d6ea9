r"""Gated recurrent unit: :class:`GRUCell` and :class:`GRU`.

.. math::

    h_t = z \odot h_{t-1} + (1 - z) \odot \tilde h

with the update gate :math:`z`, the reset gate :math:`r` and the candidate
:math:`\tilde h` computed from :math:`x_t W` and :math:`h_{t-1} U`. The cell
writes one step and its reverse; the time loop is
:class:`~kerastutor.layers.rnn.RNN`'s.
"""
import numpy as np

from kerastutor.layers.dropout_rnn_cell import masked
from kerastutor.layers.rnn import _from_cell
from kerastutor.layers.rnn_cell import GatedCellLayer, GatedRNNCell, split_gates


class GRUCell(GatedRNNCell):
    r"""One step of a gated recurrent unit: an update gate mixes the old state with a candidate.

    Gates in Keras's column order ``[z, r, h]`` (update, reset, candidate).
    With ``reset_after=True`` (the default) the bias has shape ``(2, 3u)``:
    row 0 is added to the input projection, row 1 to the recurrent one.

    .. math::

        \big[x^z, x^r, x^h\big] = x_t W + b_{\text{in}}, \qquad
        \big[m^z, m^r, m^h\big] = h_{t-1} U + b_{\text{rec}}

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
        hr = masked(h_prev, rmask)                     # the copy the recurrent products see
        u = self.units
        U = self.recurrent_kernel.value
        x_z, x_r, x_h = split_gates(xw_t, 3)
        ract = self.recurrent_activation
        if self.reset_after:
            m = hr @ U                              # all three recurrent products
            if self.bias is not None:
                m = m + self.bias.value[1]
            m_z, m_r, m_h = split_gates(m, 3)
            z, cz = ract.forward(x_z + m_z)
            r, cr = ract.forward(x_r + m_r)
            hh, ch = self.activation.forward(x_h + r * m_h)
            extra = m_h
        else:
            m_z, m_r = split_gates(hr @ U[:, :2 * u], 2)
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
            dh_prev = dh_prev + masked(d_rec @ U.T, rmask)
        else:
            rh = extra
            self.recurrent_kernel.grad[:, 2 * u:] += rh.T @ d_h
            d_rh = d_h @ U[:, 2 * u:].T
            d_r = ract.backward(cr, d_rh * hr)
            d_zr = np.concatenate([d_z, d_r], axis=-1)
            self.recurrent_kernel.grad[:, :2 * u] += hr.T @ d_zr
            dh_prev = dh_prev + masked(d_rh * r + d_zr @ U[:, :2 * u].T, rmask)
        return np.concatenate([d_z, d_r, d_h], axis=-1), [dh_prev]

    def get_config(self):
        config = super().get_config()
        config["reset_after"] = self.reset_after
        return config


class GRU(GatedCellLayer):
    r"""Gated recurrent unit: ``RNN(GRUCell(units, ...))``.

    Gates in Keras's column order ``[z, r, h]``:

    .. math::

        z = \sigma(x^z + m^z), \quad r = \sigma(x^r + m^r), \quad
        \tilde h = \tanh(x^h + r \odot m^h), \quad
        h_t = z \odot h_{t-1} + (1 - z) \odot \tilde h

    with :math:`x = x_t W + b_{\text{in}}` and :math:`m = h_{t-1} U + b_{\text{rec}}`
    (``reset_after=True``, the default: bias ``(2, 3u)``), or the reset gate
    applied before the product (``reset_after=False``: bias ``(3u,)``). The
    step and its backward are written out in :class:`GRUCell`; the time loop
    and backpropagation through time in :class:`~kerastutor.layers.rnn.RNN`.
    The cell's arguments (everything from ``activation`` to ``seed`` below,
    except ``activity_regularizer``) go to the :class:`GRUCell`, which
    ``layer.cell`` holds; the loop's options (``return_sequences`` and those
    after it) are those of :class:`~kerastutor.layers.rnn.RNN`.

    **Recurrent dropout differs from Keras.** kerastutor draws *one* mask for
    the input and *one* for the state per sequence, shared by the three gate
    blocks :math:`z, r, \tilde h`. Keras, as soon as ``recurrent_dropout > 0``,
    switches its cell to the per-gate computation (``implementation=1``) and
    draws a separate mask for each gate -- three for the state, and three for
    the input too. The expected output is the same, but the dropped entries
    differ, so training with ``recurrent_dropout`` does not reproduce Keras's
    numbers. With ``dropout`` alone (and Keras's default ``implementation=2``)
    Keras also shares one input mask, and kerastutor's draws are Keras's,
    entry for entry. (:class:`~kerastutor.layers.lstm.LSTM` says the same.)

    Parameters
    ----------
    units : int
        Size of the state :math:`h` (and of the output).
    activation : str or callable
        The squashing of the candidate :math:`\tilde h`; ``"tanh"`` by default.
    recurrent_activation : str or callable
        :math:`\sigma` of the gates :math:`z, r`; ``"sigmoid"`` by default.
    use_bias : bool
        Whether to add the biases (``True``).
    kernel_initializer : str or Initializer
        Initial :math:`W` ``(features, 3 * units)`` (``"glorot_uniform"``).
    recurrent_initializer : str or Initializer
        Initial :math:`U` ``(units, 3 * units)`` (``"orthogonal"``).
    bias_initializer : str or Initializer
        Initial bias (``"zeros"``), of shape ``(2, 3 * units)`` or
        ``(3 * units,)`` (see ``reset_after``).
    kernel_regularizer : Regularizer or None
        Penalty on :math:`W`, added to the loss.
    recurrent_regularizer : Regularizer or None
        Penalty on :math:`U`.
    bias_regularizer : Regularizer or None
        Penalty on the bias.
    activity_regularizer : Regularizer or None
        Penalty on the layer's output.
    kernel_constraint : Constraint or None
        Applied to :math:`W` after every update.
    recurrent_constraint : Constraint or None
        Applied to :math:`U` after every update.
    bias_constraint : Constraint or None
        Applied to the bias after every update.
    dropout : float
        Fraction of the input features dropped while training (0 by default):
        one mask per sequence, shared by the three gates (as in Keras).
    recurrent_dropout : float
        Fraction of :math:`h_{t-1}` dropped before :math:`h_{t-1} U` while
        training (0 by default): one mask per sequence, shared by the three
        gates -- Keras draws one per gate (see above).
    seed : int or None
        Seed of the dropout masks.
    reset_after : bool
        Where the reset gate acts: after the recurrent product (``True``,
        Keras 3's default, bias ``(2, 3 * units)``) or before it (``False``,
        bias ``(3 * units,)``).
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
    use_cudnn : str or bool
        Keras's switch to a cuDNN kernel; accepted and ignored (there is one
        implementation), and left out of the config as Keras leaves it out.
        Keras's ``implementation`` argument is accepted and ignored too.
    """

    _cell_class = GRUCell
    _cell_name = "gru_cell"

    reset_after = _from_cell("reset_after")
