"""Exercises on recurrence: backpropagation through time, one LSTM step backwards."""
import numpy as np

from kerastutor import layers
from kerastutor.exercises.grading import Exercise, Mistake, Numerical
from kerastutor.exercises.oracle import gradients, with_weights

TOPIC = "Recurrent layers"


# ---------------------------------------------------------------------- SimpleRNN BPTT
def _simple_rnn(W, U, b):
    """kerastutor's SimpleRNN(units, return_sequences=True) with the learner's weights."""
    rnn = layers.SimpleRNN(W.shape[1], return_sequences=True)
    rnn.build((None, None, W.shape[0]))
    with_weights(rnn.cell, (None, W.shape[0]), kernel=W, recurrent_kernel=U, bias=b)
    return rnn


def simple_rnn_bptt_solution(x, W, U, b, grad_h):
    """kerastutor's SimpleRNN: forward over the sequence, then its backward through time."""
    rnn = _simple_rnn(W, U, b)
    _, cache = rnn.forward(x)
    grad_x = rnn.backward(cache, grad_h)
    return (grad_x,) + gradients(rnn.cell, "kernel", "recurrent_kernel", "bias")


def _rnn_forward(inputs, learner):
    return _simple_rnn(inputs["W"], inputs["U"], inputs["b"]).forward(inputs["x"])[0]


def _truncated_bptt(inputs):
    """The wrong answer that stops at each step: h_{t-1} treated as a constant.

    Made from the library's own cell, one step at a time, each step's backward
    given only that step's grad_h (nothing from the future).
    """
    x, W, U, b, grad_h = (inputs[k] for k in ("x", "W", "U", "b", "grad_h"))
    h = _rnn_forward(inputs, None)
    cell = with_weights(layers.SimpleRNNCell(W.shape[1]), (None, W.shape[0]),
                        kernel=W, recurrent_kernel=U, bias=b)
    grad_x = np.zeros_like(x)
    for t in range(x.shape[1]):
        h_prev = h[:, t - 1] if t > 0 else np.zeros_like(h[:, 0])
        _, cache = cell.forward(x[:, t], [h_prev])
        grad_x[:, t], _ = cell.backward(cache, (grad_h[:, t], None))
    return dict(zip(("grad_x", "grad_W", "grad_U", "grad_b"),
                    (grad_x,) + gradients(cell, "kernel", "recurrent_kernel", "bias")))


def _rnn_example():
    rng = np.random.default_rng(8)
    return dict(x=rng.normal(size=(2, 3, 2)).round(1),
                W=rng.normal(size=(2, 3)).round(1) / 2,
                U=rng.normal(size=(3, 3)).round(1) / 2,
                b=np.array([0.1, 0.0, -0.1]),
                grad_h=rng.normal(size=(2, 3, 3)).round(1))


def _rnn_draw(draw):
    n, t, d, u = draw.size(1, 3), draw.size(1, 4), draw.size(1, 3), draw.size(1, 3)
    return dict(x=draw.normal(n, t, d), W=draw.normal(d, u, scale=0.6),
                U=draw.normal(u, u, scale=0.6), b=draw.normal(u, scale=0.3),
                grad_h=draw.normal(n, t, u))


SIMPLE_RNN_BPTT = Exercise(
    name="simple_rnn_bptt",
    summary="backpropagation through time for a SimpleRNN (tanh, all outputs)",
    topic=TOPIC,
    arguments=("x", "W", "U", "b", "grad_h"),
    returns=("grad_x", "grad_W", "grad_U", "grad_b"),
    docstring="""
Backpropagation through time for keras.layers.SimpleRNN(units,
return_sequences=True) with tanh, starting from h_0 = 0:

    a_t = x_t @ W + h_{t-1} @ U + b,     h_t = tanh(a_t),     t = 1..T

Parameters
    x       (N, T, D)       the input sequence
    W       (D, units)      kernel
    U       (units, units)  recurrent kernel
    b       (units,)        bias
    grad_h  (N, T, units)   dL/dh_t from the layer above, for every step t

Returns grad_x (N, T, D), grad_W (D, units), grad_U (units, units), grad_b (units,).

Go backwards in time. At step t the gradient reaching h_t is grad_h[:, t]
PLUS what step t+1 sent back through U:
    g_t     = grad_h[:, t] + delta_{t+1} @ U.T      (nothing from the future at t = T)
    delta_t = (1 - h_t**2) * g_t                    (tanh's derivative)
    grad_x[:, t] = delta_t @ W.T;  grad_W += x_t.T @ delta_t;
    grad_U += h_{t-1}.T @ delta_t;  grad_b += delta_t summed over the batch
""",
    task=r"""
A SimpleRNN applies the same weights at every step:

.. math::

    a_t = x_t W + h_{t-1} U + b, \qquad h_t = \tanh(a_t), \qquad h_0 = 0

Unrolled over :math:`T` steps it is a deep network whose layers share
:math:`W, U, b`. Its backward pass -- *backpropagation through time* -- walks
the steps in reverse. The gradient reaching :math:`h_t` has two parts: the
loss's own :math:`\partial L/\partial h_t` (``grad_h[:, t]``, every output is
used) and what step :math:`t+1` sends back through :math:`U`:

.. math::

    g_t = \frac{\partial L}{\partial h_t} + \delta_{t+1} U^\top, \qquad
    \delta_t = (1 - h_t^2) \odot g_t \qquad (\delta_{T+1} = 0)

.. math::

    \frac{\partial L}{\partial x_t} = \delta_t W^\top, \qquad
    \frac{\partial L}{\partial W} = \sum_t x_t^\top \delta_t, \qquad
    \frac{\partial L}{\partial U} = \sum_t h_{t-1}^\top \delta_t, \qquad
    \frac{\partial L}{\partial b} = \sum_t \sum_n \delta_{t,n}

Shapes: ``x`` is ``(N, T, D)``, ``grad_h`` ``(N, T, units)``; the weight
gradients have the weights' shapes.
""",
    example=_rnn_example,
    draw=_rnn_draw,
    solution=simple_rnn_bptt_solution,
    library=("kerastutor.layers.SimpleRNN", "kerastutor.layers.SimpleRNNCell"),
    hints=(
        "Run the forward first and keep every :math:`h_t` (with :math:`h_0 = 0` in front): "
        "the backward needs :math:`h_t` for tanh's derivative and :math:`h_{t-1}` for "
        ":math:`\\partial L/\\partial U`.",
        "Carry one array, the gradient flowing into :math:`h_t` from the future, "
        "initialised to zeros and updated to :math:`\\delta_t U^\\top` after each step.",
        "The weights are shared by all steps: their gradients are sums over time (and over "
        "the batch).",
    ),
    mistakes=(
        Mistake("truncated", "the gradient does not flow back through time: at step t the "
                             "gradient reaching h_t is grad_h[:, t] PLUS delta_{t+1} @ U.T "
                             "from the step after it.", _truncated_bptt),
    ),
    numerical=Numerical(_rnn_forward, {"grad_x": "x", "grad_W": "W", "grad_U": "U",
                                       "grad_b": "b"}, "grad_h", "SimpleRNN.forward"),
)


# ---------------------------------------------------------------------- LSTM cell
def _lstm_cell(W, U, b):
    units = U.shape[0]
    return with_weights(layers.LSTMCell(units), (None, W.shape[0]),
                        kernel=W, recurrent_kernel=U, bias=b)


def lstm_cell_backward_solution(x, h_prev, c_prev, W, U, b, grad_h, grad_c):
    """kerastutor's LSTMCell: one step forward, then its backward."""
    cell = _lstm_cell(W, U, b)
    _, cache = cell.forward(x, [h_prev, c_prev])
    grad_x, (grad_h_prev, grad_c_prev) = cell.backward(cache, (None, [grad_h, grad_c]))
    return (grad_x, grad_h_prev, grad_c_prev) + \
        gradients(cell, "kernel", "recurrent_kernel", "bias")


def _lstm_forward(inputs, learner):
    cell = _lstm_cell(inputs["W"], inputs["U"], inputs["b"])
    (_, (h, c)), _ = cell.forward(inputs["x"], [inputs["h_prev"], inputs["c_prev"]])
    return [h, c]


_LSTM_RETURNS = ("grad_x", "grad_h_prev", "grad_c_prev", "grad_W", "grad_U", "grad_b")


def _swapped_gates(inputs):
    """The answer of a learner who reads the gates as [i, f, o, c] instead of Keras's [i, f, c, o].

    It is the library's answer for weights with the last two blocks swapped, with
    the weight gradients' blocks swapped back.
    """
    def swap(a):
        i, f, c, o = np.split(a, 4, axis=-1)
        return np.concatenate([i, f, o, c], axis=-1)

    args = dict(inputs)
    for name in ("W", "U", "b"):
        args[name] = swap(inputs[name])
    grads = lstm_cell_backward_solution(*(args[k] for k in LSTM_CELL_BACKWARD.arguments))
    return dict(zip(_LSTM_RETURNS, grads[:3] + tuple(swap(g) for g in grads[3:])))


def _without_grad_c(inputs):
    args = dict(inputs, grad_c=np.zeros_like(inputs["grad_c"]))
    return dict(zip(_LSTM_RETURNS, lstm_cell_backward_solution(
        *(args[k] for k in LSTM_CELL_BACKWARD.arguments))))


def _lstm_example():
    rng = np.random.default_rng(9)
    n, d, u = 2, 3, 2
    return dict(x=rng.normal(size=(n, d)).round(1), h_prev=rng.normal(size=(n, u)).round(1),
                c_prev=rng.normal(size=(n, u)).round(1),
                W=rng.normal(size=(d, 4 * u)).round(1), U=rng.normal(size=(u, 4 * u)).round(1),
                b=rng.normal(size=4 * u).round(1), grad_h=rng.normal(size=(n, u)).round(1),
                grad_c=rng.normal(size=(n, u)).round(1))


def _lstm_draw(draw):
    n, d, u = draw.size(1, 3), draw.size(1, 3), draw.size(1, 3)
    return dict(x=draw.normal(n, d), h_prev=draw.normal(n, u), c_prev=draw.normal(n, u),
                W=draw.normal(d, 4 * u), U=draw.normal(u, 4 * u), b=draw.normal(4 * u),
                grad_h=draw.normal(n, u), grad_c=draw.normal(n, u))


LSTM_CELL_BACKWARD = Exercise(
    name="lstm_cell_backward",
    summary="one step of an LSTM backwards: through the gates and the cell state",
    topic=TOPIC,
    arguments=("x", "h_prev", "c_prev", "W", "U", "b", "grad_h", "grad_c"),
    returns=_LSTM_RETURNS,
    docstring="""
The backward pass of one step of keras.layers.LSTMCell(units) (tanh, sigmoid
gates). Keras stores the four gates side by side in the order [i, f, c, o],
each `units` columns wide:

    a = x @ W + h_prev @ U + b                  (N, 4*units)
    i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_c), o = sigmoid(a_o)
    c = f * c_prev + i * g
    h = o * tanh(c)

Parameters
    x (N, D), h_prev (N, units), c_prev (N, units)
    W (D, 4*units), U (units, 4*units), b (4*units,)
    grad_h (N, units) = dL/dh,  grad_c (N, units) = dL/dc  (from the next step)

Returns grad_x, grad_h_prev, grad_c_prev, grad_W, grad_U, grad_b
(each shaped like what it is the gradient of).

Steps: dc = grad_c + grad_h * o * (1 - tanh(c)**2)   (c reaches L two ways)
       do = grad_h * tanh(c); di = dc * g; df = dc * c_prev; dg = dc * i
       through the activations: da_i = di * i * (1 - i), ..., da_c = dg * (1 - g**2)
       da = [da_i, da_f, da_c, da_o];  then as for a Dense layer with input [x, h_prev]
       grad_c_prev = dc * f
""",
    task=r"""
An LSTM step computes four gates from the input and the previous output, in
Keras's column order :math:`[i, f, c, o]`:

.. math::

    [a^i, a^f, a^c, a^o] = x W + h_{t-1} U + b, \qquad
    i = \sigma(a^i),\ f = \sigma(a^f),\ g = \tanh(a^c),\ o = \sigma(a^o)

.. math::

    c_t = f \odot c_{t-1} + i \odot g, \qquad h_t = o \odot \tanh(c_t)

Given :math:`\partial L/\partial h_t` and :math:`\partial L/\partial c_t`
(``grad_h``, ``grad_c``: what the next step and the layer above send back),
the cell state collects its gradient along both of its paths, then each gate
gets its share:

.. math::

    \bar g^c = \frac{\partial L}{\partial c_t}
             + \frac{\partial L}{\partial h_t} \odot o \odot (1 - \tanh^2 c_t), \qquad
    \frac{\partial L}{\partial o} = \frac{\partial L}{\partial h_t} \odot \tanh c_t,

.. math::

    \frac{\partial L}{\partial i} = \bar g^c \odot g, \quad
    \frac{\partial L}{\partial f} = \bar g^c \odot c_{t-1}, \quad
    \frac{\partial L}{\partial g} = \bar g^c \odot i, \quad
    \frac{\partial L}{\partial c_{t-1}} = \bar g^c \odot f.

Through the activations (:math:`\sigma' = \sigma(1-\sigma)`,
:math:`\tanh' = 1 - \tanh^2`) they give
:math:`\delta = [\delta^i, \delta^f, \delta^c, \delta^o]`, and from there it is a
Dense layer: :math:`\partial L/\partial x = \delta W^\top`,
:math:`\partial L/\partial h_{t-1} = \delta U^\top`,
:math:`\partial L/\partial W = x^\top \delta`,
:math:`\partial L/\partial U = h_{t-1}^\top \delta`,
:math:`\partial L/\partial b = \sum_n \delta_n`.
""",
    example=_lstm_example,
    draw=_lstm_draw,
    solution=lstm_cell_backward_solution,
    library=("kerastutor.layers.LSTMCell",),
    hints=(
        "Recompute the forward step first and keep ``i, f, g, o, c``.",
        "Split the columns with ``np.split(a, 4, axis=-1)`` and join the four gate "
        "gradients with ``np.concatenate(..., axis=-1)`` in the same order.",
        "Keras's order is [i, f, c, o]: the candidate :math:`g` is the THIRD block, the "
        "output gate the fourth.",
    ),
    mistakes=(
        Mistake("gate_order", "you read the gates in the order [i, f, o, c]; Keras stores "
                              "them as [i, f, c, o] (the candidate g is the third block).",
                _swapped_gates),
        Mistake("no_grad_c", "grad_c, the gradient that reaches c_t from the next step, is "
                             "missing: dL/dc_t = grad_c + grad_h * o * (1 - tanh(c_t)**2).",
                _without_grad_c),
    ),
    numerical=Numerical(_lstm_forward, {"grad_x": "x", "grad_h_prev": "h_prev",
                                        "grad_c_prev": "c_prev", "grad_W": "W", "grad_U": "U",
                                        "grad_b": "b"}, ("grad_h", "grad_c"),
                        "LSTMCell.forward"),
)

EXERCISES = (SIMPLE_RNN_BPTT, LSTM_CELL_BACKWARD)
