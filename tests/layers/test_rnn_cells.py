"""Cells, RNN(cell), StackedRNNCells, masking and initial_state: references, gradchecks."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import kerastutor as keras
from kerastutor import gradcheck, initializers, ops
from kerastutor.layers import deserialize, serialize
from kerastutor.layers.base import Layer
from kerastutor.layers import (GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell,
                               StackedRNNCells)
from kerastutor.layers.rnn import UserCellSteps
from helpers import WithMaskAndState, random_array
from strategies import RNN_KINDS, SEEDS

INIT = dict(kernel_initializer="random_normal", recurrent_initializer="orthogonal",
            bias_initializer="random_normal")


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def make_cell(kind, units, reset_after=True, **kw):
    args = dict(INIT, **kw)
    if kind == "simple":
        return SimpleRNNCell(units, **args)
    if kind == "lstm":
        return LSTMCell(units, **args)
    return GRUCell(units, reset_after=reset_after, **args)


def naive_step(cell, x, states):
    """One step for ONE sample, straight from the formulas, in float64."""
    W = cell.kernel.value.astype(np.float64)
    U = cell.recurrent_kernel.value.astype(np.float64)
    b = None if cell.bias is None else cell.bias.value.astype(np.float64)
    u = cell.units
    h = states[0]
    if isinstance(cell, SimpleRNNCell):
        h = np.tanh(x @ W + h @ U + (0 if b is None else b))
        return h, [h]
    if isinstance(cell, LSTMCell):
        c = states[1]
        a = x @ W + h @ U + (0 if b is None else b)
        i, f = sigmoid(a[:u]), sigmoid(a[u:2 * u])
        g, o = np.tanh(a[2 * u:3 * u]), sigmoid(a[3 * u:])
        c = f * c + i * g
        h = o * np.tanh(c)
        return h, [h, c]
    if cell.reset_after:
        b_in = np.zeros(3 * u) if b is None else b[0]
        b_rec = np.zeros(3 * u) if b is None else b[1]
        mx, mh = x @ W + b_in, h @ U + b_rec
        z, r = sigmoid(mx[:u] + mh[:u]), sigmoid(mx[u:2 * u] + mh[u:2 * u])
        hh = np.tanh(mx[2 * u:] + r * mh[2 * u:])
    else:
        mx = x @ W + (0 if b is None else b)
        z = sigmoid(mx[:u] + h @ U[:, :u])
        r = sigmoid(mx[u:2 * u] + h @ U[:, u:2 * u])
        hh = np.tanh(mx[2 * u:] + (r * h) @ U[:, 2 * u:])
    h = z * h + (1 - z) * hh
    return h, [h]


def naive_masked_rnn(layer, x, mask=None, initial_state=None, step=None):
    """The RNN loop per sample, with Keras's masking rule, from plain Python."""
    step = step or (lambda xt, s: naive_step(layer.cell, xt, s))
    sizes = layer.state_size
    seqs, finals = [], []
    for n in range(x.shape[0]):
        order = range(x.shape[1])[::-1] if layer.go_backwards else range(x.shape[1])
        states = ([np.zeros(s) for s in sizes] if initial_state is None
                  else [np.asarray(s[n], dtype=np.float64) for s in initial_state])
        out = np.zeros(getattr(layer.cell, "output_size", None) or sizes[0])
        outs = []
        for t in order:
            if mask is None or mask[n, t]:
                out, states = step(x[n, t], states)
            elif layer.zero_output_for_mask:
                out = np.zeros_like(out)
            outs.append(out)
        seqs.append(np.stack(outs))
        finals.append(states)
    seq = np.stack(seqs)
    y = seq if layer.return_sequences else seq[:, -1]
    if not layer.return_state:
        return y
    return [y] + [np.stack([f[i] for f in finals]) for i in range(len(sizes))]


def as_list(y):
    return list(y) if isinstance(y, list) else [y]


def random_mask(seed, batch, steps):
    mask = np.random.default_rng(seed).random((batch, steps)) < 0.6
    mask[:, 0] |= ~mask.any(axis=1)          # at least one step per sample
    return mask


# ------------------------------------------------------------------ cells alone
@pytest.mark.parametrize("cell, state_size", [
    (SimpleRNNCell(3), 3), (LSTMCell(3), [3, 3]), (GRUCell(3), 3)])
def test_state_and_output_size_as_keras(cell, state_size):
    assert cell.state_size == state_size
    assert cell.output_size == 3


@given(kind=RNN_KINDS, reset_after=st.booleans(),
       use_bias=st.booleans(), seed=SEEDS)
def test_cell_step_matches_the_formulas(kind, reset_after, use_bias, seed):
    cell = make_cell(kind, 3, reset_after=reset_after, use_bias=use_bias)
    cell.build((None, 2))
    x = random_array(seed, (4, 2))
    states = [random_array(seed + 1 + i, (4, 3)) for i in range(len(as_list(cell.state_size)))]
    (out, new), _ = cell.forward(x, states)
    for n in range(4):
        want_out, want_states = naive_step(cell, x[n], [s[n] for s in states])
        np.testing.assert_allclose(out[n], want_out, rtol=1e-6, atol=1e-7)
        for got, want in zip(new, want_states):
            np.testing.assert_allclose(got[n], want, rtol=1e-6, atol=1e-7)


class CellAsLayer:
    """Adapter: a cell's one step as a layer of [x_t, *states] -> [output, *new_states]."""

    built = True

    def __init__(self, cell):
        self.cell, self.name = cell, cell.name

    @property
    def weights(self):
        return self.cell.weights

    def forward(self, xs, training=False):
        (out, new), cache = self.cell.forward(xs[0], xs[1:], training=training)
        return [out] + list(new), cache

    def backward(self, cache, grads):
        dx, dstates = self.cell.backward(cache, (grads[0], grads[1:]))
        return [dx] + list(dstates)


@given(kind=RNN_KINDS, reset_after=st.booleans(),
       use_bias=st.booleans(), dropout=st.sampled_from([0.0, 0.3]),
       recurrent_dropout=st.sampled_from([0.0, 0.4]), seed=SEEDS)
def test_cell_step_gradcheck(kind, reset_after, use_bias, dropout, recurrent_dropout, seed):
    cell = make_cell(kind, 2, reset_after=reset_after, use_bias=use_bias, dropout=dropout,
                     recurrent_dropout=recurrent_dropout, seed=seed)
    cell.build((None, 3))
    xs = [random_array(seed, (3, 3))] + [random_array(seed + 1 + i, (3, 2))
                                         for i in range(len(as_list(cell.state_size)))]
    gradcheck.assert_gradients_ok(CellAsLayer(cell), xs, training=True, seed=seed)
    gradcheck.assert_backward_repeatable(CellAsLayer(cell), xs, training=True, seed=seed)


def test_cell_dropout_masks_are_kept_for_a_sequence_and_redrawn_after_reset():
    cell = SimpleRNNCell(3, dropout=0.5, recurrent_dropout=0.5, seed=0)
    cell.build((None, 4))
    x, h = np.ones((2, 4)), [np.ones((2, 3))]
    first, _ = cell.forward(x, h, training=True)
    again, _ = cell.forward(x, h, training=True)
    np.testing.assert_array_equal(first[0], again[0])          # same masks
    cell.reset_dropout_masks()
    fresh, _ = cell.forward(x, h, training=True)
    assert not np.allclose(fresh[0], first[0])
    plain, _ = cell.forward(x, h, training=False)               # no dropout at inference
    np.testing.assert_allclose(plain[0][0], naive_step(cell, x[0], [h[0][0]])[0], rtol=1e-6)


# ------------------------------------------------------- RNN(cell) == SimpleRNN, ...
@pytest.mark.parametrize("layer_cls, cell_cls, kw", [
    (SimpleRNN, SimpleRNNCell, {}), (LSTM, LSTMCell, {}), (GRU, GRUCell, {}),
    (GRU, GRUCell, {"reset_after": False})])
def test_rnn_of_a_cell_is_the_named_layer(layer_cls, cell_cls, kw):
    x = random_array(0, (3, 5, 4)).astype("float32")
    named = layer_cls(3, return_sequences=True, **kw)
    generic = RNN(cell_cls(3, **kw), return_sequences=True)
    named.build((None, 5, 4))
    generic.build((None, 5, 4))
    generic.set_weights(named.get_weights())
    np.testing.assert_allclose(generic.forward(x)[0], named.forward(x)[0], rtol=1e-6)
    assert named.cell.weights == named.weights           # the weights live on the cell
    assert [w.path for w in named.weights][0] == f"{named.name}/{named.cell.name}/kernel"


def test_cell_arguments_pass_through_and_typos_get_a_hint():
    layer = GRU(2, recurrent_activation="tanh", reset_after=False, dropout=0.25, seed=4)
    assert isinstance(layer.cell, GRUCell)
    assert (layer.cell.reset_after, layer.cell.dropout, layer.cell.seed) == (False, 0.25, 4)
    assert layer.recurrent_activation is layer.cell.recurrent_activation
    with pytest.raises(ValueError, match="LSTM: .*did you mean 'recurrent_dropout'"):
        LSTM(3, recurent_dropout=0.1)
    with pytest.raises(ValueError, match="SimpleRNN: .*use_cudnn"):
        SimpleRNN(3, use_cudnn=True)


def test_named_layers_keep_keras_cell_names():
    assert LSTM(2).cell.name == "lstm_cell"
    assert GRU(2).cell.name == "gru_cell"
    assert SimpleRNN(2).cell.name == "simple_rnn_cell"


# ---------------------------------------------------------- a user-written cell
class MinimalRNNCell(Layer):
    r"""The cell of Keras's RNN docstring, with its backward.

    :math:`h_t = x_t W + h_{t-1} U`; backward:
    :math:`\partial W \mathrel{+}= x_t^\top g`, :math:`\partial U \mathrel{+}= h_{t-1}^\top g`,
    :math:`\partial x_t = g W^\top`, :math:`\partial h_{t-1} = g U^\top`.
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), "random_normal",
                                      name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, self.units), "random_normal",
                                                name="recurrent_kernel")
        self.built = True

    def forward(self, inputs, states, training=False):
        h = inputs @ self.kernel.value + states[0] @ self.recurrent_kernel.value
        return (h, [h]), (inputs, states[0])

    def backward(self, cache, grad_out):
        x, h_prev = cache
        grad_output, grad_states = grad_out
        g = grad_output + grad_states[0]
        self.kernel.grad += x.T @ g
        self.recurrent_kernel.grad += h_prev.T @ g
        return g @ self.kernel.value.T, [g @ self.recurrent_kernel.value.T]

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


def minimal_step(cell):
    W, U = cell.kernel.value, cell.recurrent_kernel.value

    def step(x, states):
        h = x @ W + states[0] @ U
        return h, [h]
    return step


rnn_options = dict(return_sequences=st.booleans(), return_state=st.booleans(),
                   go_backwards=st.booleans(), zero_output_for_mask=st.booleans(),
                   masked=st.booleans(), seed=SEEDS)


@given(**rnn_options)
def test_user_cell_in_rnn_matches_loop_and_gradchecks(return_sequences, return_state,
                                                      go_backwards, zero_output_for_mask,
                                                      masked, seed):
    layer = RNN(MinimalRNNCell(2), return_sequences=return_sequences,
                return_state=return_state, go_backwards=go_backwards,
                zero_output_for_mask=zero_output_for_mask)
    x = random_array(seed, (3, 4, 2), scale=0.5)
    layer.build((None, 4, 2))
    mask = random_mask(seed, 3, 4) if masked else None
    y, _ = layer.forward(x, mask=mask)
    want = naive_masked_rnn(layer, x, mask, step=minimal_step(layer.cell))
    for got, ref in zip(as_list(y), as_list(want)):
        np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-9)
    gradcheck.assert_gradients_ok(WithMaskAndState(layer, mask), x, seed=seed)
    gradcheck.assert_backward_repeatable(WithMaskAndState(layer, mask), x, seed=seed)


class OpsRNNCell(Layer):
    """A cell written as in Keras: ``call`` with keras.ops, no backward (the op tape's)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]          # two states: h and a running sum

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), "random_normal",
                                      name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, self.units), "random_normal",
                                                name="recurrent_kernel")
        self.built = True

    def call(self, inputs, states):
        h_prev, total = states
        h = ops.tanh(ops.matmul(inputs, self.kernel) +
                     ops.matmul(h_prev, self.recurrent_kernel))
        return h, [h, total + h]

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


def ops_step(cell):
    W, U = cell.kernel.value, cell.recurrent_kernel.value

    def step(x, states):
        h = np.tanh(x @ W + states[0] @ U)
        return h, [h, states[1] + h]
    return step


@given(**rnn_options)
@settings(max_examples=20, deadline=None)
def test_keras_style_cell_runs_through_the_same_loop(return_sequences, return_state,
                                                     go_backwards, zero_output_for_mask,
                                                     masked, seed):
    layer = RNN(OpsRNNCell(2), return_sequences=return_sequences, return_state=return_state,
                go_backwards=go_backwards, zero_output_for_mask=zero_output_for_mask)
    x = random_array(seed, (3, 4, 2), scale=0.5)
    layer.build((None, 4, 2))
    mask = random_mask(seed, 3, 4) if masked else None
    y, _ = layer.forward(x, mask=mask)
    want = naive_masked_rnn(layer, x, mask, step=ops_step(layer.cell))
    for got, ref in zip(as_list(y), as_list(want)):
        np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-9)
    gradcheck.assert_gradients_ok(WithMaskAndState(layer, mask), x, seed=seed)
    gradcheck.assert_backward_repeatable(WithMaskAndState(layer, mask), x, seed=seed)


def test_every_cell_gets_the_step_contract():
    """Built-in cells and stacks follow it; a user-written cell gets the adapter."""
    for cell in (LSTMCell(2), GRUCell(2), SimpleRNNCell(2), StackedRNNCells([GRUCell(2)])):
        assert RNN(cell)._steps is cell
    for cell in (MinimalRNNCell(2), OpsRNNCell(2)):
        steps = RNN(cell)._steps
        assert isinstance(steps, UserCellSteps) and steps.cell is cell
    assert RNN(OpsRNNCell(2))._steps.on_tape and not RNN(MinimalRNNCell(2))._steps.on_tape


def test_user_cell_without_backward_is_a_kind_error():
    class NoBackward(Layer):
        state_size = 2

    with pytest.raises(ValueError,
                       match=r'Layer "my_rnn".*NoBackward has no backward\(\) and no call'):
        RNN(NoBackward(), name="my_rnn")


def test_cell_without_state_size_is_a_kind_error():
    class NoStateSize(MinimalRNNCell):
        state_size = None

        def __init__(self):
            Layer.__init__(self)

    with pytest.raises(ValueError, match=r'"my_rnn".*`state_size`'):
        RNN(NoStateSize(), name="my_rnn")
    with pytest.raises(ValueError, match=r'"my_rnn".*must be a keras Layer'):
        RNN("lstm", name="my_rnn")


# ------------------------------------------------------------------- masking
@given(kind=RNN_KINDS, reset_after=st.booleans(), **rnn_options)
def test_masked_forward_matches_the_keras_rule(kind, reset_after, return_sequences,
                                               return_state, go_backwards,
                                               zero_output_for_mask, masked, seed):
    layer = RNN(make_cell(kind, 2, reset_after=reset_after), return_sequences=return_sequences,
                return_state=return_state, go_backwards=go_backwards,
                zero_output_for_mask=zero_output_for_mask)
    layer.build((None, 5, 3))
    x = random_array(seed, (3, 5, 3))
    mask = random_mask(seed, 3, 5) if masked else None
    y, _ = layer.forward(x, mask=mask)
    want = naive_masked_rnn(layer, x, mask)
    shapes = layer.compute_output_shape((3, 5, 3))
    for got, ref, shape in zip(as_list(y), as_list(want), as_list(shapes)):
        assert got.shape == shape
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-7)


@given(kind=RNN_KINDS, reset_after=st.booleans(), **rnn_options)
@settings(max_examples=20, deadline=None)
def test_masked_gradcheck(kind, reset_after, return_sequences, return_state, go_backwards,
                          zero_output_for_mask, masked, seed):
    layer = RNN(make_cell(kind, 2, reset_after=reset_after), return_sequences=return_sequences,
                return_state=return_state, go_backwards=go_backwards,
                zero_output_for_mask=zero_output_for_mask)
    x = random_array(seed, (3, 4, 2))
    layer.build((None, 4, 2))
    mask = random_mask(seed, 3, 4) if masked else None
    gradcheck.assert_gradients_ok(WithMaskAndState(layer, mask), x, seed=seed)
    gradcheck.assert_backward_repeatable(WithMaskAndState(layer, mask), x, seed=seed)


def test_masked_steps_carry_state_and_repeat_output():
    layer = LSTM(3, return_sequences=True, return_state=True, **INIT)
    x = random_array(1, (2, 4, 2))
    layer.build((None, 4, 2))
    mask = np.array([[True, True, False, False], [True, False, True, False]])
    (seq, h, c), _ = layer.forward(x, mask=mask)
    np.testing.assert_array_equal(seq[0, 2], seq[0, 1])          # output repeats
    np.testing.assert_array_equal(seq[0, 3], seq[0, 1])
    # the final state is that of the last *used* step: run sample 0 on its first 2 steps
    short = LSTM(3, return_state=True)
    short.build((None, 2, 2))
    short.set_weights(layer.get_weights())
    _, h_short, c_short = short.forward(x[:1, :2])[0]
    np.testing.assert_allclose(h[0], h_short[0], rtol=1e-6)
    np.testing.assert_allclose(c[0], c_short[0], rtol=1e-6)
    layer.zero_output_for_mask = True
    seq0 = layer.forward(x, mask=mask)[0][0]
    np.testing.assert_array_equal(seq0[0, 2:], 0.0)
    np.testing.assert_array_equal(seq0[1, [1, 3]], 0.0)


def test_all_true_mask_changes_nothing_and_keeps_float32():
    layer = GRU(3, return_sequences=True)
    x = random_array(2, (2, 5, 4)).astype("float32")
    layer.build((None, 5, 4))
    y, _ = layer.forward(x, mask=np.ones((2, 5), dtype=bool))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, layer.forward(x)[0])


def test_compute_mask_as_keras():
    mask = np.ones((2, 5), dtype=bool)
    assert LSTM(2, return_sequences=True).compute_mask(None, mask) is mask
    assert LSTM(2).compute_mask(None, mask) is None
    assert LSTM(2, return_sequences=True, return_state=True).compute_mask(None, mask) == \
        [mask, None, None]
    assert GRU(2, return_state=True).compute_mask(None, [mask]) == [None, None]


def test_bad_mask_shape_names_the_layer():
    layer = SimpleRNN(2, name="rnn_a")
    layer.build((None, 4, 3))
    with pytest.raises(ValueError, match=r'"rnn_a".*`mask` must have shape'):
        layer.forward(np.zeros((2, 4, 3)), mask=np.ones((2, 3), dtype=bool))


# ------------------------------------------------------------- initial_state
@given(kind=RNN_KINDS, reset_after=st.booleans(), **rnn_options)
@settings(max_examples=20, deadline=None)
def test_initial_state_forward_and_gradients(kind, reset_after, return_sequences,
                                             return_state, go_backwards,
                                             zero_output_for_mask, masked, seed):
    layer = RNN(make_cell(kind, 2, reset_after=reset_after), return_sequences=return_sequences,
                return_state=return_state, go_backwards=go_backwards,
                zero_output_for_mask=zero_output_for_mask)
    layer.build((None, 4, 3))
    x = random_array(seed, (3, 4, 3))
    states = [random_array(seed + 7 + i, (3, 2)) for i in range(len(layer.state_size))]
    mask = random_mask(seed, 3, 4) if masked else None
    y, _ = layer.forward(x, mask=mask, initial_state=states)
    want = naive_masked_rnn(layer, x, mask, initial_state=states)
    for got, ref in zip(as_list(y), as_list(want)):
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-7)
    wrapped = WithMaskAndState(layer, mask, with_state=True)
    gradcheck.assert_gradients_ok(wrapped, [x] + states, seed=seed)
    gradcheck.assert_backward_repeatable(wrapped, [x] + states, seed=seed)


def test_initial_state_gradient_with_numerical_gradient():
    """The contract: backward returns (dx, {"initial_state": [dh0, dc0]})."""
    layer = LSTM(2, return_sequences=True, **INIT)
    layer.build((None, 3, 2))
    x = random_array(0, (2, 3, 2))
    h0, c0 = random_array(1, (2, 2)), random_array(2, (2, 2))
    g = random_array(3, (2, 3, 2))
    y, cache = layer.forward(x, initial_state=[h0, c0])
    dx, extra = layer.backward(cache, g)
    assert set(extra) == {"initial_state"} and len(extra["initial_state"]) == 2
    for state, grad in zip((h0, c0), extra["initial_state"]):
        numeric = gradcheck.numerical_gradient(
            lambda _: layer.forward(x, initial_state=[h0, c0])[0], state, upstream=g)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    numeric_x = gradcheck.numerical_gradient(
        lambda _: layer.forward(x, initial_state=[h0, c0])[0], x, upstream=g)
    np.testing.assert_allclose(dx, numeric_x, rtol=1e-6, atol=1e-9)
    # without initial_state backward returns dx alone
    _, cache = layer.forward(x)
    assert isinstance(layer.backward(cache, g), np.ndarray)


def test_bad_initial_state_names_the_layer_and_shapes():
    layer = LSTM(3, name="lstm_z")
    layer.build((None, 4, 2))
    with pytest.raises(ValueError, match=r'"lstm_z".*`initial_state` must be a list of 2'):
        layer.forward(np.zeros((5, 4, 2)), initial_state=[np.zeros((5, 3))])


# ------------------------------------------------------------------- stacking
def test_stacked_cells_equal_two_layers():
    x = random_array(0, (2, 5, 3)).astype("float32")
    stacked = RNN([LSTMCell(4), GRUCell(2)], return_sequences=True, return_state=True)
    stacked.build((None, 5, 3))
    assert stacked.state_size == [4, 4, 2]                 # flat: lstm's h, c then gru's h
    lstm_cell = stacked.cell.cells[0]
    assert stacked.weights[0].path == \
        f"{stacked.name}/{stacked.cell.name}/{lstm_cell.name}/kernel"   # Keras's path
    first, second = LSTM(4, return_sequences=True, return_state=True), \
        GRU(2, return_sequences=True, return_state=True)
    first.build((None, 5, 3))
    second.build((None, 5, 4))
    first.set_weights(stacked.get_weights()[:3])
    second.set_weights(stacked.get_weights()[3:])
    (seq1, h1, c1), _ = first.forward(x)
    (seq2, h2), _ = second.forward(seq1)
    (seq, *states), _ = stacked.forward(x)
    np.testing.assert_allclose(seq, seq2, rtol=1e-5, atol=1e-6)
    for got, want in zip(states, (h1, c1, h2)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert stacked.compute_output_shape((None, 5, 3)) == [(None, 5, 2), (None, 4),
                                                          (None, 4), (None, 2)]


@given(return_sequences=st.booleans(), masked=st.booleans(), training=st.booleans(),
       seed=SEEDS)
@settings(max_examples=10, deadline=None)
def test_stacked_cells_gradcheck(return_sequences, masked, training, seed):
    cells = [SimpleRNNCell(3, dropout=0.2, seed=seed, **INIT), MinimalRNNCell(2),
             OpsRNNCell(2), LSTMCell(2, recurrent_dropout=0.3, seed=seed + 1, **INIT)]
    layer = RNN(cells, return_sequences=return_sequences, return_state=True)
    x = random_array(seed, (2, 3, 2), scale=0.5)
    layer.build((None, 3, 2))
    mask = random_mask(seed, 2, 3) if masked else None
    wrapped = WithMaskAndState(layer, mask)
    gradcheck.assert_gradients_ok(wrapped, x, training=training, seed=seed)
    gradcheck.assert_backward_repeatable(wrapped, x, training=training, seed=seed)


def test_stacked_cells_need_cells():
    with pytest.raises(ValueError, match="StackedRNNCells.*`cells` is empty"):
        StackedRNNCells([])


# --------------------------------------------------------------------- config
def test_rnn_config_serializes_its_cell():
    layer = RNN(LSTMCell(3, dropout=0.1, seed=2), return_sequences=True, go_backwards=True,
                zero_output_for_mask=True)
    config = layer.get_config()
    assert config["cell"]["class_name"] == "LSTMCell"
    assert config["cell"]["config"]["units"] == 3
    clone = RNN.from_config(config)
    assert isinstance(clone.cell, LSTMCell)
    assert clone.get_config() == config
    again = deserialize(serialize(layer))
    assert again.get_config() == config


def test_stacked_and_user_cells_round_trip_with_custom_objects():
    layer = RNN([MinimalRNNCell(3), GRUCell(2, reset_after=False)], return_state=True)
    config = serialize(layer)
    clone = deserialize(config, custom_objects={"MinimalRNNCell": MinimalRNNCell})
    assert isinstance(clone.cell, StackedRNNCells)
    assert [type(c) for c in clone.cell.cells] == [MinimalRNNCell, GRUCell]
    assert serialize(clone) == config
    with pytest.raises(ValueError, match="MinimalRNNCell"):
        deserialize(config)


@pytest.mark.parametrize("cell", [SimpleRNNCell(2, activation="relu"),
                                  LSTMCell(3, unit_forget_bias=False, recurrent_dropout=0.2),
                                  GRUCell(4, reset_after=False, use_bias=False)])
def test_cell_config_round_trip(cell):
    config = cell.get_config()
    assert type(cell).from_config(config).get_config() == config


def test_bias_initializer_is_seen_through_the_cell():
    layer = LSTM(2, bias_initializer=initializers.Constant(0.5))
    layer.build((None, 3, 4))
    np.testing.assert_array_equal(layer.cell.bias.value, [0.5, 0.5, 1, 1, 0.5, 0.5, 0.5, 0.5])


# ------------------------------------------------------------------ in a model
def test_rnn_of_stacked_cells_fits():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 2)).astype("float32")
    y = x[:, :, :1].sum(axis=1) / 3
    model = keras.Sequential([keras.Input(shape=(6, 2)),
                              RNN([SimpleRNNCell(8), LSTMCell(4)]), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    losses = model.fit(x, y, epochs=8, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]


def test_mask_from_embedding_reaches_the_rnn_in_a_model():
    """Padded ids at the end: the last output is that of the last real step."""
    ids = np.array([[3, 1, 4, 0, 0], [2, 7, 1, 8, 2], [5, 0, 0, 0, 0]])
    model = keras.Sequential([keras.Input((5,), dtype="int32"),
                              keras.layers.Embedding(10, 3, mask_zero=True),
                              LSTM(4, **INIT)])
    got = model.predict(ids, verbose=0)
    embedding, lstm = model.layers[0], model.layers[1]
    for n, length in enumerate((3, 5, 1)):
        vectors = embedding.embeddings.value[ids[n:n + 1, :length]]
        np.testing.assert_allclose(got[n], lstm.forward(vectors)[0][0], rtol=1e-5)


def test_masked_model_gradients_check_out():
    ids = np.array([[3, 1, 4, 0], [2, 7, 1, 8], [5, 0, 0, 0]])
    model = keras.Sequential([keras.Input((4,), dtype="int32"),
                              keras.layers.Embedding(10, 3, mask_zero=True),
                              GRU(3, return_sequences=True, **INIT),
                              SimpleRNN(2, go_backwards=True, **INIT)])
    gradcheck.assert_gradients_ok(model, ids)


def test_initial_state_in_a_functional_model():
    x, h0, c0 = keras.Input((4, 3)), keras.Input((2,)), keras.Input((2,))
    lstm = LSTM(2, return_sequences=True, **INIT)
    model = keras.Model([x, h0, c0], lstm(x, initial_state=[h0, c0]))
    data = [random_array(0, (3, 4, 3)), random_array(1, (3, 2)), random_array(2, (3, 2))]
    want = lstm.forward(data[0], initial_state=data[1:])[0]
    np.testing.assert_allclose(model.predict(data, verbose=0), want, rtol=1e-5, atol=1e-6)
    gradcheck.assert_gradients_ok(model, data)
