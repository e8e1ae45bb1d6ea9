r"""What the built-in cells share: weights :math:`W, U, b`, input projection, step contract.

A built-in cell (:class:`~kerastutor.layers.simple_rnn.SimpleRNNCell`,
:class:`~kerastutor.layers.lstm.LSTMCell`, :class:`~kerastutor.layers.gru.GRUCell`)
splits one step in two:

.. math::

    \underbrace{x_t W + b_{\text{in}}}_{\text{project}} \quad\text{and}\quad
    \underbrace{\text{the gates from it and } h_{t-1} U}_{\text{step}}

The first part does not depend on the state, so the
:class:`~kerastutor.layers.rnn.RNN` loop computes it for all steps before the
loop, as one matrix product; a subclass writes only the recurrent part
(``_step``) and its reverse (``_step_backward``), which receive
:math:`x_t W + b_{\text{in}}` ready made. ``forward``/``backward`` put the
two together for a single step (a cell used on its own).
"""
import contextlib

import numpy as np

from kerastutor import activations, backend, constraints, initializers, regularizers
from kerastutor.layers.base import Layer, weight_settings
from kerastutor.layers.dropout_rnn_cell import DropoutRNNCellMixin, masked
from kerastutor.layers.rnn import (CellLayer, _as_list, _check_cell_args, _check_features,
                                   _from_cell, _full, _sizes)


# ------------------------------------------------------ the input projection
def project_features(x, kernel):
    """``x @ kernel`` over the last axis, for one step or for all steps at once.

    The formula is the plain product; which of two equal ways computes it is
    a matter of speed only (see the two helpers below).
    """
    if x.shape[-1] <= 4:
        return _few_features_product(x, kernel)
    return _flat_product(x, kernel)


def _few_features_product(x, kernel):
    """``x @ kernel`` as a sum of broadcast products, one per feature.

    A univariate time series has one feature: a matrix product with an inner
    size of 1 is a poor fit for BLAS (about 8x slower here than this sum).
    """
    out = x[..., 0:1] * kernel[0]
    for k in range(1, x.shape[-1]):
        out += x[..., k:k + 1] * kernel[k]
    return out


def _flat_product(x, kernel):
    """``x @ kernel`` as one 2-D product over ``(batch * time, features)``
    (a stacked 3-D matmul is slower)."""
    flat = x.reshape(-1, x.shape[-1]) @ kernel
    return flat.reshape(x.shape[:-1] + (kernel.shape[-1],))


def split_gates(a, parts):
    """Split the last axis into ``parts`` equal blocks (the gates), as views."""
    width = a.shape[-1] // parts
    return [a[..., k * width:(k + 1) * width] for k in range(parts)]


# ============================================================== the base cell
class BaseRNNCell(DropoutRNNCellMixin, Layer):
    r"""Weights, dropout, projection and step contract of the built-in cells.

    A subclass says how many gate blocks its kernels hold (``_gates``) and
    writes ``_step(xw_t, states, rmask)`` and ``_step_backward(cache,
    grad_states)``. Weights in Keras 3's layout: ``kernel`` :math:`W`
    ``(features, gates * units)``, ``recurrent_kernel`` :math:`U`
    ``(units, gates * units)``, ``bias`` :math:`b`.

    **Dropout** comes from :class:`~kerastutor.layers.dropout_rnn_cell.DropoutRNNCellMixin`:
    the input mask multiplies :math:`x_t` before :math:`W`, the recurrent mask
    :math:`h_{t-1}` before :math:`U`.
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
        self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint = \
            weight_settings(kernel_initializer, kernel_regularizer, kernel_constraint)
        self.recurrent_initializer, self.recurrent_regularizer, self.recurrent_constraint = \
            weight_settings(recurrent_initializer, recurrent_regularizer, recurrent_constraint)
        self.bias_initializer, self.bias_regularizer, self.bias_constraint = \
            weight_settings(bias_initializer, bias_regularizer, bias_constraint)
        self._init_dropout(dropout, recurrent_dropout, seed)

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

    # ------------------------------------------------------------- projection
    def project(self, x, training=False):
        r"""Input projection :math:`x W + b_{\text{in}}` of one step or of all steps.

        ``x`` is ``(batch, features)`` or ``(batch, time, features)``: the
        product works on the last axis, so the whole sequence is one product.
        """
        mask = self.get_dropout_mask(x, training)       # the same mask at every step
        if mask is not None:
            x = x * (mask[:, None, :] if x.ndim == 3 else mask)
        xw = project_features(x, self.kernel.value)     # x_t W, every step at once
        bias = self._input_bias()
        if bias is not None:
            xw = xw + bias                              #     + b
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
        if mask is None:
            return dx
        return dx * (mask[:, None, :] if dx.ndim == 3 else mask)

    # ------------------------------------------------------------------ a step
    def step(self, xw_t, states, training=False):
        """The recurrent part of one step, given the projection ``xw_t``."""
        rmask = self.get_recurrent_dropout_mask(states[0], training)
        new_states, cache = self._step(xw_t, list(states), rmask)
        return (new_states[0], new_states), cache

    def step_backward(self, cache, grad_output, grad_states):
        """Reverse of :meth:`step`: ``(d xw_t, [dL/d state_{t-1}, ...])``."""
        grad_states = list(grad_states)
        if grad_output is not None:
            grad_states[0] = grad_states[0] + grad_output      # the output IS h_t
        return self._step_backward(cache, grad_states)

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

    # ------------------------------------------------- one step, as a layer
    def get_initial_state(self, batch_size, dtype=None):
        dtype = dtype or self.dtype
        return [backend.zeros((batch_size, size), dtype=dtype)
                for size in _sizes(self.state_size)]

    def forward(self, inputs, states, training=False):
        """One step on ``x_t`` of shape ``(batch, features)``: ``((h_t, states_t), cache)``."""
        xw, project_cache = self.project(inputs, training)
        y, step_cache = self.step(xw, _as_list(states), training)
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
        config = super().get_config()
        config["units"] = self.units
        config["activation"] = activations.serialize(self.activation)
        config["use_bias"] = self.use_bias
        for part in ("kernel", "recurrent", "bias"):       # Keras's key order
            config[f"{part}_initializer"] = initializers.serialize(
                getattr(self, f"{part}_initializer"))
        for part in ("kernel", "recurrent", "bias"):
            config[f"{part}_regularizer"] = regularizers.serialize(
                getattr(self, f"{part}_regularizer"))
        for part in ("kernel", "recurrent", "bias"):
            config[f"{part}_constraint"] = constraints.serialize(
                getattr(self, f"{part}_constraint"))
        config.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout,
                      seed=self.seed)
        return config


class GatedRNNCell(BaseRNNCell):
    """LSTMCell and GRUCell: cells whose gates use ``recurrent_activation`` (sigmoid)."""

    def __init__(self, units, recurrent_activation="sigmoid", **kwargs):
        kwargs.pop("implementation", None)      # Keras's kernel-splitting switch
        super().__init__(units, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)

    def get_config(self):
        config = super().get_config()
        config["recurrent_activation"] = activations.serialize(self.recurrent_activation)
        return config


class GatedCellLayer(CellLayer):
    """LSTM and GRU: layers of a gated cell, with Keras's ``use_cudnn`` speed switch.

    ``use_cudnn`` is accepted and kept for Keras compatibility but left out of
    the config, as Keras 3.15 leaves it out.
    """

    _config_keys_keras_omits = ("use_cudnn",)

    recurrent_activation = _from_cell("recurrent_activation")
