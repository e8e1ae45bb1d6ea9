r"""Attention layers: Attention (Luong), AdditiveAttention (Bahdanau), MultiHeadAttention.

All three compute the same thing once the *scores* are known. A query row
:math:`q_i` (one of :math:`T_q`) is compared with every key :math:`k_j` (one of
:math:`T_v`); the scores become weights by a softmax over :math:`j`, and the
output row is the weighted average of the values :math:`v_j`:

.. math::

    s_{ij} = \operatorname{score}(q_i, k_j) + b_{ij}, \qquad
    p_{ij} = \frac{e^{s_{ij}}}{\sum_l e^{s_{il}}}, \qquad
    \tilde p = \operatorname{dropout}(p), \qquad
    o_i = \sum_j \tilde p_{ij}\, v_j .

For the scaled dot product of MultiHeadAttention (per head, :math:`d` the key
size) this is the Transformer's formula
:math:`O = \operatorname{softmax}\!\big(QK^\top/\sqrt d + B\big)\,V`.

**Masks are additive biases**, as Keras writes them: :math:`b_{ij} = 0` where
query :math:`i` may look at key :math:`j` and :math:`b_{ij} = -10^9` where it
may not (padding, or a key in the future under ``use_causal_mask``). Then
:math:`e^{s_{ij}}` underflows to exactly 0, so a masked key gets weight 0. The
causal mask lets query :math:`i` see the keys :math:`j \le i`.

**Backward.** Given :math:`G = \partial L/\partial O`, walk the forward
formulas in reverse:

.. math::

    \frac{\partial L}{\partial V} = \tilde P^\top G, \qquad
    \frac{\partial L}{\partial \tilde P} = G V^\top, \qquad
    \frac{\partial L}{\partial P} = \frac{m}{1-r} \odot
        \frac{\partial L}{\partial \tilde P}

(:math:`m` the dropout mask, :math:`r` its rate). The softmax of one row has
the Jacobian :math:`\partial p_{ij}/\partial s_{il} = p_{ij}(\delta_{jl} - p_{il})`,
so its vector-Jacobian product is

.. math::

    \frac{\partial L}{\partial s_{il}} = p_{il}\Big(\frac{\partial L}{\partial p_{il}}
        - \sum_j \frac{\partial L}{\partial p_{ij}}\, p_{ij}\Big).

The bias :math:`b` is a constant and drops out of the derivative; a masked
key has :math:`p_{il} = 0`, hence :math:`\partial L/\partial s_{il} = 0`: no
gradient reaches a key it was not allowed to see. Last, the score function is
differentiated; for the dot product :math:`S = c\,QK^\top`,

.. math::

    \frac{\partial L}{\partial Q} = c\,\frac{\partial L}{\partial S} K, \qquad
    \frac{\partial L}{\partial K} = c\,\Big(\frac{\partial L}{\partial S}\Big)^{\!\top} Q .

When no ``key`` is given the value is also the key, and its gradient is the
sum of the two paths.
"""
import math

import numpy as np

from kerastutor import activations, backend
from kerastutor.layers.base import Layer, format_shape, weight_settings, weight_settings_config
from kerastutor.layers.convolutional import _positive_int
from kerastutor.layers.core import Dropout
from kerastutor.layers.regularization import _check_rate

# softmax over the last axis (the keys): forward(s) -> (p, p), backward(p, dL/dp) -> dL/ds
_SOFTMAX = activations.Softmax(axis=-1)


# ------------------------------------------------------------------ helpers
def _large_negative(dtype):
    """The bias of a masked score: -1e9, or -3e4 in float16 (whose largest value is 65504)."""
    return backend.asarray(-3e4 if np.dtype(dtype) == np.float16 else -1e9, dtype=dtype)


def _causal_mask(tq, tv):
    """``(1, Tq, Tv)``, True on and below the diagonal: query ``i`` sees keys ``j <= i``."""
    return np.tril(np.ones((tq, tv), dtype=bool))[None]


def _combine_masks(*masks):
    """Logical AND of the masks given (``None`` entries are skipped); ``None`` if none."""
    combined = None
    for mask in masks:
        if mask is not None:
            combined = mask if combined is None else combined & mask
    return combined


def _full(grad, shape, dtype):
    """An upstream gradient at full size: ``None`` -> zeros, a broadcastable one -> stretched.

    A model hands a multi-output layer ``None`` or a batch-of-one zero array
    for an output that does not reach the loss.
    """
    if grad is None:
        return backend.zeros(shape, dtype=dtype)
    return np.broadcast_to(grad, shape)


def _attend(scores, value, mask, dropout, training):
    r"""Masked softmax and weighted sum, shared by every layer here.

    ``scores`` ``(..., Tq, Tv)``, ``value`` ``(..., Tv, dv)``, ``mask``
    broadcastable to ``scores`` (True: may attend). Returns
    :math:`O = \operatorname{dropout}(\operatorname{softmax}(S + B))\,V`, the
    weights :math:`P` before and :math:`\tilde P` after dropout, and the cache.
    """
    if mask is not None:                              # s + b, b = -1e9 where masked
        bias = np.where(mask, 0, _large_negative(scores.dtype)).astype(scores.dtype,
                                                                       copy=False)
        scores = scores + bias
    p, _ = _SOFTMAX.forward(scores)                   # p = softmax(s + b)
    p_dropped, drop_cache = dropout.forward(p, training=training)
    out = p_dropped @ value                           # o = p~ v
    return out, p, p_dropped, (p, p_dropped, drop_cache, value)


def _attend_backward(cache, dropout, grad_out, grad_p=None, grad_p_dropped=None):
    """dL/dS and dL/dV of :func:`_attend`; ``grad_p*``: gradients of returned weights."""
    p, p_dropped, drop_cache, value = cache
    d_value = np.swapaxes(p_dropped, -1, -2) @ grad_out      # dL/dV = P~^T G
    d_p_dropped = grad_out @ np.swapaxes(value, -1, -2)      # dL/dP~ = G V^T
    if grad_p_dropped is not None:
        d_p_dropped = d_p_dropped + grad_p_dropped
    d_p = dropout.backward(drop_cache, d_p_dropped)          # dL/dP = m/(1-r) dL/dP~
    if grad_p is not None:
        d_p = d_p + grad_p
    d_scores = _SOFTMAX.backward(p, d_p)                     # p (dp - sum(dp p))
    return d_scores, d_value


def _check_input_list(layer, inputs, what):
    """A list of 2 or 3 inputs (or of their shapes), with Keras's wording."""
    cls = type(layer).__name__
    shapes = what == "input shapes"
    if not isinstance(inputs, (list, tuple)) or (
            shapes and not all(isinstance(s, (list, tuple)) for s in inputs)):
        got = format_shape(inputs) if shapes else getattr(inputs, "shape", inputs)
        raise ValueError(
            f'Layer "{layer.name}" ({cls}) must be called on a list of inputs, namely '
            f"[query, value] or [query, value, key], but received a single {what[:-1]} "
            f"{got}. Hint: pass [query, value]; for self-attention, the same tensor "
            "twice: [x, x].")
    if not 2 <= len(inputs) <= 3:
        raise ValueError(
            f'Layer "{layer.name}" ({cls}) accepts an inputs list of length 2 or 3, namely '
            f"[query, value] or [query, value, key], but received length {len(inputs)}.")


def _check_mask_shape(layer, mask, name, shape):
    """A boolean mask of exactly ``shape``, as a bool array (or None)."""
    if mask is None:
        return None
    mask = backend.asarray(mask).astype(bool, copy=False)
    if mask.shape != tuple(shape):
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}): `{name}` must have shape '
            f"{tuple(shape)} (batch, positions), but received shape {mask.shape}.")
    return mask


def _query_mask(layer, mask):
    """``compute_mask`` of the attention layers: the mask of the query, the first input."""
    if mask is None:
        return None
    if not isinstance(mask, (list, tuple)):
        raise ValueError(f'Layer "{layer.name}" ({type(layer).__name__}): `mask` must be a '
                         "list with one mask per input, [query_mask, value_mask].")
    return mask[0]


def _tanh_scores(query, key, inner, outer):
    r"""Scores :math:`s_{ij} = \sum_d a_d \tanh(c\,(q_{id} + k_{jd}))` and their cache.

    ``inner`` is the weight :math:`c` (or None: 1), ``outer`` the weight
    :math:`a` (a scalar or one per feature; None: 1).
    """
    u = query[:, :, None, :] + key[:, None, :, :]            # (B, Tq, Tv, D)
    t = np.tanh(u * inner.value if inner is not None else u)
    scores = (t * outer.value if outer is not None else t).sum(axis=-1)
    return scores, (u, t, inner, outer)


def _tanh_scores_backward(cache, d_scores):
    r"""Adds :math:`\partial L/\partial a`, :math:`\partial L/\partial c`; returns dL/dq, dL/dk.

    With :math:`\delta = \partial L/\partial s`:
    :math:`\partial L/\partial a_d = \sum \delta_{ij} t_{ijd}`,
    :math:`\partial L/\partial u_{ijd} = \delta_{ij} a_d (1 - t_{ijd}^2)` (then
    times :math:`c`), :math:`\partial L/\partial c = \sum \partial L/\partial(cu)\, u`,
    and :math:`\partial L/\partial q_i = \sum_j \partial L/\partial u_{ij}`,
    :math:`\partial L/\partial k_j = \sum_i \partial L/\partial u_{ij}`.
    """
    u, t, inner, outer = cache
    delta = d_scores[..., None]                               # (B, Tq, Tv, 1)
    if outer is not None:
        d_outer = delta * t                                   # dL/da_d = sum delta t_d
        outer.grad += d_outer.sum() if outer.value.ndim == 0 else d_outer.sum(axis=(0, 1, 2))
        d_t = delta * outer.value
    else:
        d_t = np.broadcast_to(delta, t.shape)
    d_u = d_t * (1 - t * t)                                   # tanh' = 1 - tanh^2
    if inner is not None:
        inner.grad += np.sum(d_u * u)
        d_u = d_u * inner.value
    return d_u.sum(axis=2), d_u.sum(axis=1)


# ------------------------------------------------------------- Attention
class Attention(Layer):
    r"""Dot-product attention, a.k.a. Luong-style attention.

    Called on ``[query, value]`` or ``[query, value, key]`` of shapes
    ``(batch, Tq, dim)``, ``(batch, Tv, dim_v)``, ``(batch, Tv, dim)`` (``key``
    defaults to ``value``). With ``score_mode="dot"``

    .. math:: S = c\, Q K^\top \qquad (c \text{ the weight } \texttt{scale}
              \text{ if } \texttt{use\_scale}, \text{ else } 1)

    and with ``score_mode="concat"``

    .. math:: s_{ij} = w \sum_d \tanh\!\big(c\,(q_{id} + k_{jd})\big)

    (:math:`w` the weight ``concat_score_weight``). Then, as for every layer in
    this module, :math:`O = \operatorname{dropout}(\operatorname{softmax}(S+B))\,V`,
    and rows whose ``query_mask`` is False are zeroed:
    :math:`o_i \leftarrow [\text{qmask}_i]\, o_i`.

    **Backward.** :math:`G \leftarrow [\text{qmask}] \odot G`, then the softmax
    attention backward of the module docstring gives
    :math:`\partial L/\partial S` and :math:`\partial L/\partial V`; the dot
    scores give :math:`\partial L/\partial Q = c\,\delta K`,
    :math:`\partial L/\partial K = c\,\delta^\top Q`,
    :math:`\partial L/\partial c = \sum \delta \odot QK^\top`; the concat
    scores, with :math:`t = \tanh(c(q_i + k_j))`,
    :math:`\partial L/\partial w = \sum_{ij} \delta_{ij}\sum_d t_{ijd}`,
    :math:`\partial L/\partial q_{id} = c \sum_j \delta_{ij}\, w\, (1 - t_{ijd}^2)`
    (the same sum over :math:`i` for :math:`k_{jd}`) and
    :math:`\partial L/\partial c = \sum_{ijd} \delta_{ij}\, w\, (1 - t_{ijd}^2)(q_{id} + k_{jd})`.

    Weights as Keras: ``scale`` (a scalar, ones) when ``use_scale``;
    ``concat_score_weight`` (a scalar, ones) when ``score_mode="concat"``.

    Call options (Keras's): ``mask=[query_mask, value_mask]`` (boolean
    ``(batch, Tq)`` and ``(batch, Tv)``, either may be None),
    ``use_causal_mask``, ``return_attention_scores`` (then the output is
    ``(output, scores)`` with the scores *after* softmax, masks and dropout,
    shape ``(batch, Tq, Tv)``), ``training``.
    """

    takes_a_list = True
    _score_modes = ("dot", "concat")

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if score_mode not in self._score_modes:
            raise ValueError(
                f"{cls}: invalid value for argument `score_mode`. Expected one of "
                f"{{{', '.join(map(repr, self._score_modes))}}}. Received: "
                f"score_mode={score_mode!r}.")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = _check_rate(cls, "dropout", dropout)
        self.seed = seed
        self._dropout_layer = Dropout(self.dropout, seed=seed, name=f"{self.name}_dropout")
        self.scale = None
        self.concat_score_weight = None

    # ------------------------------------------------------------- build
    def _check_shapes(self, shapes):
        """Ranks 3, query and key of one size, value and key of one length."""
        query, value = tuple(shapes[0]), tuple(shapes[1])
        key = tuple(shapes[2]) if len(shapes) > 2 else value
        for what, shape in (("query", query), ("value", value), ("key", key)):
            if len(shape) != 3:
                raise ValueError(
                    f'Layer "{self.name}" ({type(self).__name__}): `{what}` must have '
                    f"shape (batch, steps, features), but received shape "
                    f"{format_shape(shape)}.")
        if None not in (query[-1], key[-1]) and query[-1] != key[-1]:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}): the last dimension of `query` '
                f"({query[-1]}) and of `key` ({key[-1]}, the value when no key is given) "
                f"must be equal, since scores compare them feature by feature. Received "
                f"query {format_shape(query)}, key {format_shape(key)}. Hint: project "
                "one of them with a Dense layer first, or use MultiHeadAttention.")
        if None not in (value[1], key[1]) and value[1] != key[1]:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}): `value` and `key` must have '
                f"the same number of steps (one value per key); received value "
                f"{format_shape(value)} and key {format_shape(key)}.")

    def build(self, input_shape):
        _check_input_list(self, input_shape, "input shapes")
        self._check_shapes(input_shape)
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight")
        self._build_input_shape = [tuple(s) for s in input_shape]
        self.built = True

    # ------------------------------------------------------------ scores
    def _scores(self, query, key):
        """``(batch, Tq, Tv)`` scores and the cache their backward needs."""
        if self.score_mode == "concat":
            return _tanh_scores(query, key, self.scale, self.concat_score_weight)
        raw = query @ np.swapaxes(key, -1, -2)               # Q K^T
        scores = raw * self.scale.value if self.scale is not None else raw
        return scores, (query, key, raw)

    def _scores_backward(self, cache, d_scores):
        """Adds the score weights' gradients; returns dL/dquery, dL/dkey."""
        if self.score_mode == "concat":
            return _tanh_scores_backward(cache, d_scores)
        query, key, raw = cache
        if self.scale is not None:
            self.scale.grad += np.sum(d_scores * raw)        # dL/dc = sum(delta * QK^T)
            d_scores = d_scores * self.scale.value
        return d_scores @ key, np.swapaxes(d_scores, -1, -2) @ query

    # ----------------------------------------------------------- forward
    def _masks(self, mask, batch, tq, tv):
        if mask is None:
            return None, None
        if not isinstance(mask, (list, tuple)):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) layer mask must be a list, '
                f"namely [query_mask, value_mask]. Received: mask of type "
                f"{type(mask).__name__}.")
        if not 2 <= len(mask) <= 3:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) accepts a mask list of length '
                f"2 or 3, namely [query_mask, value_mask], but received length {len(mask)}.")
        return (_check_mask_shape(self, mask[0], "query_mask", (batch, tq)),
                _check_mask_shape(self, mask[1], "value_mask", (batch, tv)))

    def forward(self, inputs, training=False, mask=None, return_attention_scores=False,
                use_causal_mask=False):
        _check_input_list(self, inputs, "inputs")
        self._check_shapes([np.shape(a) for a in inputs])
        query, value = inputs[0], inputs[1]
        has_key = len(inputs) == 3
        key = inputs[2] if has_key else value
        batch, tq, tv = query.shape[0], query.shape[1], value.shape[1]
        if value.shape[0] != batch or key.shape[0] != batch:
            raise ValueError(f'Layer "{self.name}" ({type(self).__name__}): query, value and '
                             f"key must have the same batch size, got {query.shape[0]}, "
                             f"{value.shape[0]} and {key.shape[0]}.")
        query_mask, value_mask = self._masks(mask, batch, tq, tv)
        scores, score_cache = self._scores(query, key)
        score_mask = _combine_masks(None if value_mask is None else value_mask[:, None, :],
                                    _causal_mask(tq, tv) if use_causal_mask else None)
        out, _, p_dropped, attend_cache = _attend(scores, value, score_mask,
                                                  self._dropout_layer, training)
        keep = None
        if query_mask is not None:                           # zero the masked query rows
            keep = query_mask[:, :, None].astype(out.dtype)
            out = out * keep
        cache = (score_cache, attend_cache, keep, has_key, return_attention_scores,
                 out.shape)
        return ((out, p_dropped) if return_attention_scores else out), cache

    # ---------------------------------------------------------- backward
    def backward(self, cache, grad_out):
        score_cache, attend_cache, keep, has_key, with_scores, out_shape = cache
        grad_scores = None
        if with_scores:
            grad_out, grad_scores = grad_out
        grad_out = _full(grad_out, out_shape, attend_cache[0].dtype)
        if keep is not None:
            grad_out = grad_out * keep
        d_scores, d_value = _attend_backward(attend_cache, self._dropout_layer, grad_out,
                                             grad_p_dropped=grad_scores)
        d_query, d_key = self._scores_backward(score_cache, d_scores)
        if has_key:
            return [d_query, d_value, d_key]
        return [d_query, d_value + d_key]                    # the value was also the key

    # ------------------------------------------------------------ shapes
    def compute_mask(self, inputs, mask=None):
        """The output's mask is the query's (Keras): padded query steps stay padded."""
        return _query_mask(self, mask)

    def compute_output_shape(self, input_shape, return_attention_scores=False):
        _check_input_list(self, input_shape, "input shapes")
        query, value = tuple(input_shape[0]), tuple(input_shape[1])
        out = query[:-1] + (value[-1],)
        if return_attention_scores:
            return [out, (query[0], query[1], value[1])]
        return out

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode,
                       "dropout": self.dropout})
        return config


class AdditiveAttention(Attention):
    r"""Additive attention, a.k.a. Bahdanau-style attention.

    Like :class:`Attention`, with the scores

    .. math:: s_{ij} = \sum_d w_d \tanh(q_{id} + k_{jd})

    where :math:`w` is the weight ``scale`` of shape ``(dim,)``
    (glorot-uniform initialised) when ``use_scale`` (the default), else all
    ones.

    **Backward.** With :math:`t = \tanh(q_i + k_j)` and
    :math:`\delta = \partial L/\partial S` (from the softmax attention
    backward of the module docstring):

    .. math::

        \frac{\partial L}{\partial w_d} = \sum_{ij} \delta_{ij} t_{ijd}, \qquad
        \frac{\partial L}{\partial q_{id}} = \sum_j \delta_{ij} w_d (1 - t_{ijd}^2), \qquad
        \frac{\partial L}{\partial k_{jd}} = \sum_i \delta_{ij} w_d (1 - t_{ijd}^2).
    """

    _score_modes = ("dot",)

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        _check_input_list(self, input_shape, "input shapes")
        self._check_shapes(input_shape)
        dim = input_shape[0][-1]
        if self.use_scale:
            self.scale = self.add_weight((dim,), "glorot_uniform", name="scale")
        self._build_input_shape = [tuple(s) for s in input_shape]
        self.built = True

    def _scores(self, query, key):
        return _tanh_scores(query, key, None, self.scale)

    def _scores_backward(self, cache, d_scores):
        return _tanh_scores_backward(cache, d_scores)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


# ----------------------------------------------------- MultiHeadAttention
class _Projection(Layer):
    r"""The dense projections inside MultiHeadAttention (Keras's ``EinsumDense``).

    Contracts the last ``n_in`` axes of the input with the kernel and makes an
    output block of shape ``out_shape``; flattened, it is a Dense layer:

    .. math::

        y = x W + b, \qquad
        \frac{\partial L}{\partial W} = x^\top \delta, \qquad
        \frac{\partial L}{\partial b} = \sum \delta, \qquad
        \frac{\partial L}{\partial x} = \delta W^\top

    with :math:`x` reshaped to ``(rows, prod(in axes))`` and :math:`W` to
    ``(prod(in axes), prod(out_shape))``. The query projection is
    ``(dim,) -> (num_heads, key_dim)``: kernel ``(dim, num_heads, key_dim)``,
    bias ``(num_heads, key_dim)``; the output projection is
    ``(num_heads, value_dim) -> output_shape``.
    """

    def __init__(self, n_in, out_shape, use_bias, kernel_initializer, bias_initializer,
                 kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint,
                 **kwargs):
        super().__init__(**kwargs)
        self.n_in = n_in
        self.out_shape = tuple(out_shape)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel_constraint, self.bias_constraint = kernel_constraint, bias_constraint

    def build(self, input_shape):
        self.in_shape = tuple(input_shape[len(input_shape) - self.n_in:])
        self.kernel = self.add_weight(self.in_shape + self.out_shape, self.kernel_initializer,
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = (self.add_weight(self.out_shape, self.bias_initializer, name="bias",
                                     regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint)
                     if self.use_bias else None)
        self.built = True

    def _matrix(self):
        return self.kernel.value.reshape(int(np.prod(self.in_shape)), -1)

    def forward(self, x, training=False):
        lead = x.shape[:x.ndim - self.n_in]
        x2 = x.reshape(-1, int(np.prod(self.in_shape)))
        z = x2 @ self._matrix()                                 # y = x W
        if self.bias is not None:
            z += self.bias.value.reshape(-1)                    #     + b
        return z.reshape(lead + self.out_shape), (x2, lead)

    def backward(self, cache, grad_out):
        x2, lead = cache
        g2 = grad_out.reshape(x2.shape[0], -1)
        self.kernel.grad += (x2.T @ g2).reshape(self.kernel.shape)     # x^T delta
        if self.bias is not None:
            self.bias.grad += g2.sum(axis=0).reshape(self.bias.shape)  # sum delta
        return (g2 @ self._matrix().T).reshape(lead + self.in_shape)    # delta W^T


class MultiHeadAttention(Layer):
    r"""Multi-head attention (Vaswani et al., 2017, "Attention is all you need").

    ``mha(query, value, key=None)`` with ``query`` ``(batch, T, dim_q)`` and
    ``value``/``key`` ``(batch, S, dim_v)``/``(batch, S, dim_k)``. Each of the
    :math:`H` heads projects, attends and the heads are projected back:

    .. math::

        Q_h = x_q W^Q_h + b^Q_h, \quad K_h = x_k W^K_h + b^K_h, \quad
        V_h = x_v W^V_h + b^V_h

        C_h = \operatorname{dropout}\!\Big(\operatorname{softmax}\big(
              Q_h K_h^\top / \sqrt{d_k} + B\big)\Big)\, V_h, \qquad
        y = \sum_h C_h W^O_h + b^O

    (:math:`d_k` = ``key_dim``; :math:`C_h` has ``value_dim`` columns).

    **Backward**, per head, with :math:`\delta = \partial L/\partial y`:
    :math:`\partial L/\partial W^O_h = C_h^\top \delta`,
    :math:`\partial L/\partial C_h = \delta (W^O_h)^\top`; then the softmax
    attention backward of the module docstring gives
    :math:`\partial L/\partial V_h` and :math:`\Delta_h = \partial L/\partial S_h`, and

    .. math::

        \frac{\partial L}{\partial Q_h} = \frac{\Delta_h K_h}{\sqrt{d_k}}, \qquad
        \frac{\partial L}{\partial K_h} = \frac{\Delta_h^\top Q_h}{\sqrt{d_k}}, \qquad
        \frac{\partial L}{\partial x_q} = \sum_h \frac{\partial L}{\partial Q_h}
            (W^Q_h)^\top

    (likewise for the key and value projections; their kernels get
    :math:`x^\top \partial L/\partial Q_h` and so on). Without ``key`` the
    value input is also the key and receives both gradients.

    Weights exactly as Keras's ``EinsumDense`` sub-layers, in this order:
    ``query`` kernel ``(dim_q, H, key_dim)`` and bias ``(H, key_dim)``,
    ``key`` kernel ``(dim_k, H, key_dim)`` and bias, ``value`` kernel
    ``(dim_v, H, value_dim)`` and bias ``(H, value_dim)``, ``attention_output``
    kernel ``(H, value_dim) + output_shape`` and bias ``output_shape``
    (``output_shape`` defaults to ``(dim_q,)``).

    ``attention_axes``: for inputs of rank > 3 (``(batch, a1, ..., features)``),
    the axes attended over; the others act as batch axes (default: all but
    batch and features). The scores are then of shape
    ``(batch, <other axes>, H, <query attention axes>, <key attention axes>)``
    and the softmax runs over the key attention axes jointly.

    Call options (Keras's): ``attention_mask`` (boolean, broadcastable to
    ``(batch, T, S)``: True where query ``t`` may attend to key ``s``),
    ``query_mask``/``value_mask``/``key_mask`` (boolean ``(batch, T)``,
    ``(batch, S)``; rank-3 inputs), ``use_causal_mask`` (rank-3 inputs),
    ``return_attention_scores`` (then ``(output, scores)``, scores after
    softmax and before dropout, ``(batch, H, T, S)``), ``training``.
    """

    takes_a_list = True
    # keyword arguments that hold tensors: in a model they are inputs of the node
    call_tensor_arguments = ("query_mask", "value_mask", "key_mask", "attention_mask")

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        self.num_heads = _positive_int(num_heads, "num_heads", cls, "the number of heads")
        self.key_dim = _positive_int(key_dim, "key_dim", cls, "the size of each query and "
                                     "key head")
        self.value_dim = self.key_dim if value_dim is None else _positive_int(
            value_dim, "value_dim", cls, "the size of each value head, or None for key_dim")
        self.dropout = _check_rate(cls, "dropout", dropout)
        self.use_bias = bool(use_bias)
        if output_shape:
            if isinstance(output_shape, (int, np.integer)):
                output_shape = (output_shape,)
            if not isinstance(output_shape, (list, tuple)):
                raise ValueError(
                    f"{cls}: invalid `output_shape`: {output_shape!r}. When specified, "
                    "`output_shape` should be a tuple, list or int, e.g. output_shape=64.")
            output_shape = tuple(_positive_int(d, "output_shape", cls, "each output size")
                                 for d in output_shape)
        self._output_shape = output_shape or None
        if isinstance(attention_axes, (int, np.integer)):
            attention_axes = (int(attention_axes),)
        elif attention_axes is not None:
            if not isinstance(attention_axes, (list, tuple)):
                raise ValueError(
                    f"{cls}: `attention_axes` must be an int, list, or tuple. Received: "
                    f"attention_axes={attention_axes!r}.")
            attention_axes = tuple(int(a) for a in attention_axes)
        self.attention_axes = attention_axes
        # Keras's fused flash-attention switch; the computation here is always the
        # explicit one, which gives the same numbers.
        self.flash_attention = flash_attention
        self.kernel_initializer, self.kernel_regularizer, self.kernel_constraint = \
            weight_settings(kernel_initializer, kernel_regularizer, kernel_constraint)
        self.bias_initializer, self.bias_regularizer, self.bias_constraint = \
            weight_settings(bias_initializer, bias_regularizer, bias_constraint)
        self.seed = seed
        self._dropout_layer = Dropout(self.dropout, seed=seed, name=f"{self.name}_dropout")
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self.key_dim))

    # ------------------------------------------------------------- build
    def _shapes(self, query_shape, value_shape=None, key_shape=None):
        """Accept Keras's ``(query_shape, value_shape, key_shape)`` or one list of shapes."""
        if value_shape is None:
            _check_input_list(self, query_shape, "input shapes")
            shapes = [tuple(s) for s in query_shape]
            query_shape, value_shape = shapes[0], shapes[1]
            key_shape = shapes[2] if len(shapes) > 2 else None
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        return query_shape, value_shape, key_shape

    def _resolve_axes(self, rank):
        """Attention axes as non-negative input axes, each in ``1 .. rank-2``."""
        if self.attention_axes is None:
            return tuple(range(1, rank - 1))
        axes = tuple(a + rank if a < 0 else a for a in self.attention_axes)
        if any(not 1 <= a <= rank - 2 for a in axes) or len(set(axes)) != len(axes):
            raise ValueError(
                f'Layer "{self.name}" (MultiHeadAttention): `attention_axes` '
                f"{self.attention_axes} are not valid for inputs of rank {rank}: each axis "
                f"must be one of 1..{rank - 2} (or -2..{1 - rank}), neither the batch axis "
                "0 nor the feature axis -1, and appear once.")
        return tuple(sorted(axes))

    def _check_shapes(self, query_shape, value_shape, key_shape):
        name = f'Layer "{self.name}" (MultiHeadAttention)'
        rank = len(query_shape)
        if rank < 3 or len(value_shape) != rank or len(key_shape) != rank:
            raise ValueError(
                f"{name}: query, value and key must have the same rank, at least 3 "
                f"(batch, steps, features); received query {format_shape(query_shape)}, "
                f"value {format_shape(value_shape)}, key {format_shape(key_shape)}.")
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(
                f"{name}: all dimensions of `value` and `key`, except the last one, must be "
                f"equal. Received: value_shape={format_shape(value_shape)} and "
                f"key_shape={format_shape(key_shape)}.")
        axes = self._resolve_axes(rank)
        for axis in range(1, rank - 1):
            q, k = query_shape[axis], key_shape[axis]
            if axis not in axes and None not in (q, k) and q != k:
                raise ValueError(
                    f"{name}: axis {axis} is not an attention axis, so it acts as a batch "
                    f"axis and must have the same size in query and key; received query "
                    f"{format_shape(query_shape)} and key {format_shape(key_shape)}.")
        return axes

    def build(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape = self._shapes(query_shape, value_shape,
                                                           key_shape)
        self._check_shapes(query_shape, value_shape, key_shape)
        for what, shape in (("query", query_shape), ("value", value_shape),
                            ("key", key_shape)):
            if shape[-1] is None:
                raise ValueError(f'Layer "{self.name}": the last axis of `{what}` must be '
                                 f"known to build MultiHeadAttention, got "
                                 f"{format_shape(shape)}.")
        common = dict(use_bias=self.use_bias, kernel_initializer=self.kernel_initializer,
                      bias_initializer=self.bias_initializer,
                      kernel_regularizer=self.kernel_regularizer,
                      bias_regularizer=self.bias_regularizer,
                      kernel_constraint=self.kernel_constraint,
                      bias_constraint=self.bias_constraint, dtype=self.dtype)
        heads = self.num_heads
        # assignment order is Keras's weight order: query, key, value, attention_output
        self.query_dense = _Projection(1, (heads, self.key_dim), name="query", **common)
        self.key_dense = _Projection(1, (heads, self.key_dim), name="key", **common)
        self.value_dense = _Projection(1, (heads, self.value_dim), name="value", **common)
        self.output_dense = _Projection(2, self._output_shape or (query_shape[-1],),
                                        name="attention_output", **common)
        self.query_dense.build(query_shape)
        self.key_dense.build(key_shape)
        self.value_dense.build(value_shape)
        self.output_dense.build(query_shape[:-1] + (heads, self.value_dim))
        for sub in (self.query_dense, self.key_dense, self.value_dense, self.output_dense):
            for weight in sub.weights:                   # Keras's variable.path
                weight.path = f"{self.name}/{sub.name}/{weight.name}"
        self._build_input_shape = [query_shape, value_shape] + (
            [key_shape] if key_shape is not value_shape else [])
        self.built = True

    # ------------------------------------------------- heads as batch axes
    def _layout(self, rank):
        """The transpose that puts a projected ``(batch, ..., H, d)`` tensor in score order.

        Batch-like axes first (batch, the non-attention axes, the head axis
        ``rank-1``), then the attention axes, then the features ``rank``.
        """
        axes = self._resolve_axes(rank)
        batch_axes = tuple(a for a in range(rank) if a not in axes)
        return batch_axes + axes + (rank,), len(batch_axes)

    def _heads_first(self, x, rank):
        """``(batch, ..., H, d)`` -> ``(*batch axes, positions, d)``, and how to undo it."""
        perm, n_batch = self._layout(rank)
        xt = x.transpose(perm)
        shape = xt.shape
        flat = xt.reshape(shape[:n_batch] + (-1, shape[-1]))
        return flat, (perm, shape)

    @staticmethod
    def _heads_back(x, layout):
        perm, shape = layout
        return x.reshape(shape[:-1] + x.shape[-1:]).transpose(np.argsort(perm))

    # ----------------------------------------------------------- forward
    def _attention_mask(self, query, value, query_mask, value_mask, key_mask,
                        attention_mask, use_causal_mask):
        """All masks ANDed into one broadcastable to ``(batch, T, S)`` (Keras's rules)."""
        batch, rank = query.shape[0], query.ndim
        per_position = {"query_mask": query_mask, "value_mask": value_mask,
                        "key_mask": key_mask, "use_causal_mask": use_causal_mask or None}
        given = [k for k, v in per_position.items() if v is not None]
        if rank != 3 and given:
            raise ValueError(
                f'Layer "{self.name}" (MultiHeadAttention): {given} are supported for '
                f"rank-3 inputs (batch, steps, features) only; received query of shape "
                f"{query.shape}. Hint: pass an explicit `attention_mask` instead.")
        t, s = query.shape[1], value.shape[1]
        query_mask = _check_mask_shape(self, query_mask, "query_mask", (batch, t))
        value_mask = _check_mask_shape(self, value_mask, "value_mask", (batch, s))
        key_mask = _check_mask_shape(self, key_mask, "key_mask", (batch, s))
        if attention_mask is not None:
            attention_mask = backend.asarray(attention_mask).astype(bool, copy=False)
        return _combine_masks(
            attention_mask,
            None if query_mask is None else query_mask[:, :, None],     # (B, T, 1)
            None if value_mask is None else value_mask[:, None, :],     # (B, 1, S)
            None if key_mask is None else key_mask[:, None, :],         # (B, 1, S)
            _causal_mask(t, s) if use_causal_mask else None)            # (1, T, S)

    def _flat_mask(self, mask, score_shape, n_attention):
        """The mask stretched to the scores' Keras shape, then flattened like them."""
        given = mask.shape
        expand_at = -2 * n_attention - 1        # Keras inserts the head axis (and others) here
        while mask.ndim < len(score_shape):
            mask = np.expand_dims(mask, expand_at)
        try:
            mask = np.broadcast_to(mask, score_shape)
        except ValueError:
            raise ValueError(
                f'Layer "{self.name}" (MultiHeadAttention): the attention mask does not fit '
                f"the attention scores of shape {score_shape} (batch, heads, T, S); "
                f"expected a boolean mask of shape (batch, T, S) or one that broadcasts to "
                f"it, such as (batch, 1, S), but the masks combined to shape {given}. "
                "Hint: a padding mask of shape (batch, S) goes in value_mask=, or reshape "
                "it to (batch, 1, S).") from None
        lead = len(score_shape) - 2 * n_attention             # batch axes and heads
        keys = int(np.prod(score_shape[lead + n_attention:], dtype=np.int64))
        return mask.reshape(score_shape[:lead] + (-1, keys))

    def forward(self, inputs, training=False, query_mask=None, value_mask=None, key_mask=None,
                attention_mask=None, return_attention_scores=False, use_causal_mask=False,
                mask=None):
        _check_input_list(self, inputs, "inputs")
        query, value = inputs[0], inputs[1]
        has_key = len(inputs) == 3
        key = inputs[2] if has_key else value
        if mask is not None:          # the inputs' own masks (Embedding(mask_zero=True), ...)
            auto = list(mask) + [None] * (3 - len(mask))
            query_mask = auto[0] if query_mask is None else query_mask
            value_mask = auto[1] if value_mask is None else value_mask
            key_mask = auto[2] if key_mask is None and has_key else key_mask
        axes = self._check_shapes(query.shape, value.shape, key.shape)
        rank = query.ndim
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        q, q_cache = self.query_dense.forward(query)         # (B, T, H, key_dim)
        k, k_cache = self.key_dense.forward(key)             # (B, S, H, key_dim)
        v, v_cache = self.value_dense.forward(value)         # (B, S, H, value_dim)
        q = q * self._inverse_sqrt_key_dim                   # Q / sqrt(d_k)
        qh, q_layout = self._heads_first(q, rank)            # (B, H, T, key_dim)
        kh, _ = self._heads_first(k, rank)                   # (B, H, S, key_dim)
        vh, v_layout = self._heads_first(v, rank)            # (B, H, S, value_dim)
        scores = qh @ np.swapaxes(kh, -1, -2)                # (B, H, T, S)
        # Keras's score layout: (batch axes, heads, query attention axes, key attention axes)
        score_shape = q_layout[1][:-1] + tuple(key.shape[a] for a in axes)
        flat_mask = None if mask is None else self._flat_mask(mask, score_shape, len(axes))
        context, p, _, attend_cache = _attend(scores, vh, flat_mask, self._dropout_layer,
                                              training)
        context = self._heads_back(context, q_layout)        # (B, T, H, value_dim)
        out, out_cache = self.output_dense.forward(context)  # (B, T, output_shape)
        cache = (q_cache, k_cache, v_cache, out_cache, qh, kh, q_layout, v_layout,
                 attend_cache, has_key, return_attention_scores, out.shape, score_shape)
        if return_attention_scores:
            return (out, p.reshape(score_shape)), cache
        return out, cache

    # ---------------------------------------------------------- backward
    def backward(self, cache, grad_out):
        (q_cache, k_cache, v_cache, out_cache, qh, kh, q_layout, v_layout, attend_cache,
         has_key, with_scores, out_shape, score_shape) = cache
        rank = len(q_layout[0]) - 1                          # the inputs' rank
        grad_p = None
        if with_scores:
            grad_out, grad_scores = grad_out
            if grad_scores is not None:                      # to the flat (..., T, S) layout
                grad_p = np.broadcast_to(grad_scores, score_shape).reshape(
                    attend_cache[0].shape)
        grad_out = _full(grad_out, out_shape, qh.dtype)
        d_context = self.output_dense.backward(out_cache, grad_out)   # (B, T, H, value_dim)
        d_ctx, _ = self._heads_first(d_context, rank)
        d_scores, d_vh = _attend_backward(attend_cache, self._dropout_layer, d_ctx,
                                          grad_p=grad_p)
        scale = self._inverse_sqrt_key_dim
        d_qh = (d_scores @ kh) * scale                       # Delta K / sqrt(d_k)
        d_kh = np.swapaxes(d_scores, -1, -2) @ qh            # Delta^T (Q / sqrt(d_k))
        k_layout = (q_layout[0], v_layout[1][:-1] + kh.shape[-1:])
        d_query = self.query_dense.backward(q_cache, self._heads_back(d_qh, q_layout))
        d_key = self.key_dense.backward(k_cache, self._heads_back(d_kh, k_layout))
        d_value = self.value_dense.backward(v_cache, self._heads_back(d_vh, v_layout))
        if has_key:
            return [d_query, d_value, d_key]
        return [d_query, d_value + d_key]                    # the value was also the key

    # ------------------------------------------------------------ calling
    def __call__(self, query, value=None, key=None, query_mask=None, value_mask=None,
                 key_mask=None, attention_mask=None, return_attention_scores=False,
                 training=None, use_causal_mask=False):
        """Keras's call signature; the engine gets the tensors as one list."""
        if value is None and isinstance(query, (list, tuple)):
            inputs = list(query)                             # mha([query, value(, key)])
        elif value is None:
            raise ValueError(
                f'Layer "{self.name}" (MultiHeadAttention) needs a `value` tensor: call it '
                "as mha(query, value) or mha(query, value, key). Hint: for self-attention "
                "pass the same tensor twice, mha(x, x).")
        else:
            inputs = [query, value] + ([] if key is None else [key])
        options = {"query_mask": query_mask, "value_mask": value_mask, "key_mask": key_mask,
                   "attention_mask": attention_mask,
                   "return_attention_scores": return_attention_scores,
                   "use_causal_mask": use_causal_mask}
        given = {k: v for k, v in options.items() if v is not None and v is not False}
        return super().__call__(inputs, training=training, **given)

    def compute_mask(self, inputs, mask=None):
        """The output's mask is the query's (Keras)."""
        return _query_mask(self, mask)

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None,
                             return_attention_scores=False):
        query_shape, value_shape, key_shape = self._shapes(query_shape, value_shape,
                                                           key_shape)
        axes = self._check_shapes(query_shape, value_shape, key_shape)
        out = query_shape[:-1] + (self._output_shape or query_shape[-1:])
        if not return_attention_scores:
            return out
        projected = query_shape[:-1] + (self.num_heads,)
        batch_like = tuple(projected[a] for a in range(len(projected)) if a not in axes)
        scores = (batch_like + tuple(query_shape[a] for a in axes)
                  + tuple(key_shape[a] for a in axes))
        return [out, scores]

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": self._output_shape,
            "attention_axes": self.attention_axes,
            **weight_settings_config(self, ("kernel", "bias")),
            "seed": self.seed,
        })
        return config
