"""Bidirectional and TimeDistributed: references, gradient checks, configs, errors, fits."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers import deserialize, serialize
from kerastutor.layers.convolutional import Conv1D
from kerastutor.layers.core import Dense, Dropout
from kerastutor.layers import (GRU, LSTM, RNN, Bidirectional, SimpleRNN, SimpleRNNCell,
                               TimeDistributed)
from helpers import WithMaskAndState, random_array
from strategies import SEEDS

INIT = dict(kernel_initializer="random_normal", recurrent_initializer="orthogonal",
            bias_initializer="random_normal")
KINDS = {"simple": SimpleRNN, "lstm": LSTM, "gru": GRU}


def as_list(y):
    return list(y) if isinstance(y, list) else [y]


def merge(mode, a, b):
    """The merge written out in the test (the reference)."""
    return {"concat": lambda: np.concatenate([a, b], axis=-1), "sum": lambda: a + b,
            "ave": lambda: (a + b) / 2, "mul": lambda: a * b, None: lambda: [a, b]}[mode]()


# ================================================================ Bidirectional
def test_copies_are_named_and_weights_ordered_as_keras():
    layer = Bidirectional(LSTM(3, name="enc"))
    layer.build((None, 5, 2))
    assert layer.forward_layer.name == "forward_enc"
    assert layer.backward_layer.name == "backward_enc"
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"] * 2
    assert layer.weights[:3] == layer.forward_layer.weights
    assert layer.weights[3:] == layer.backward_layer.weights
    assert layer.weights[0].path == f"{layer.name}/forward_enc/lstm_cell/kernel"
    assert layer.count_params() == 2 * 4 * 3 * (2 + 3 + 1)


@given(kind=st.sampled_from(sorted(KINDS)),
       merge_mode=st.sampled_from(["concat", "sum", "mul", "ave", None]),
       return_sequences=st.booleans(), return_state=st.booleans(), seed=SEEDS)
def test_forward_is_the_two_directions_merged(kind, merge_mode, return_sequences,
                                              return_state, seed):
    inner = KINDS[kind](2, return_sequences=return_sequences, return_state=return_state,
                        **INIT)
    layer = Bidirectional(inner, merge_mode=merge_mode)
    layer.build((None, 4, 3))
    x = random_array(seed, (2, 4, 3))
    y, _ = layer.forward(x)
    fwd = KINDS[kind](2, return_sequences=return_sequences, return_state=return_state)
    bwd = KINDS[kind](2, return_sequences=return_sequences, return_state=return_state)
    fwd.build((None, 4, 3))
    bwd.build((None, 4, 3))
    fwd.set_weights(layer.get_weights()[:3])
    bwd.set_weights(layer.get_weights()[3:])
    y_f = as_list(fwd.forward(x)[0])
    y_b = as_list(bwd.forward(x[:, ::-1])[0])      # reading backwards = reversed input
    if return_sequences:
        y_b[0] = y_b[0][:, ::-1]                     # step t refers to x_t again
    states = y_f[1:] + y_b[1:]
    want = as_list(merge(merge_mode, y_f[0], y_b[0])) + states
    shapes = as_list(layer.compute_output_shape((2, 4, 3)))
    assert len(as_list(y)) == len(want) == len(shapes)
    for got, ref, shape in zip(as_list(y), want, shapes):
        assert got.shape == shape
        np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-7)


@given(kind=st.sampled_from(sorted(KINDS)),
       merge_mode=st.sampled_from(["concat", "sum", "mul", "ave", None]),
       return_sequences=st.booleans(), return_state=st.booleans(), masked=st.booleans(),
       with_state=st.booleans(), reset_after=st.booleans(), seed=SEEDS)
@settings(max_examples=25, deadline=None)
def test_gradcheck(kind, merge_mode, return_sequences, return_state, masked, with_state,
                   reset_after, seed):
    extra = {"reset_after": reset_after} if kind == "gru" else {}
    inner = KINDS[kind](2, return_sequences=return_sequences, return_state=return_state,
                        **INIT, **extra)
    layer = Bidirectional(inner, merge_mode=merge_mode)
    layer.build((None, 3, 2))
    x = random_array(seed, (2, 3, 2))
    mask = None
    if masked:
        mask = np.random.default_rng(seed).random((2, 3)) < 0.6
        mask[:, 0] = True
    xs = x
    if with_state:
        n = len(layer.forward_layer.state_size)
        xs = [x] + [random_array(seed + 1 + i, (2, 2)) for i in range(2 * n)]
    wrapped = WithMaskAndState(layer, mask, with_state)
    gradcheck.assert_gradients_ok(wrapped, xs, seed=seed)
    gradcheck.assert_backward_repeatable(wrapped, xs, seed=seed)


def test_masked_sequences_are_zero_at_masked_steps():
    layer = Bidirectional(GRU(2, return_sequences=True), merge_mode=None)
    layer.build((None, 4, 3))
    assert layer.forward_layer.zero_output_for_mask and layer.backward_layer.zero_output_for_mask
    mask = np.array([[True, True, True, False], [True, False, True, True]])
    y_f, y_b = layer.forward(random_array(0, (2, 4, 3)), mask=mask)[0]
    for y in (y_f, y_b):
        np.testing.assert_array_equal(y[0, 3], 0.0)
        np.testing.assert_array_equal(y[1, 1], 0.0)
        assert np.all(y[mask] != 0.0)
    assert layer.compute_mask(None, mask) == [mask, mask]
    assert Bidirectional(GRU(2)).compute_mask(None, mask) is None


def test_custom_backward_layer_is_used_as_given():
    backward = SimpleRNN(3, activation="relu", go_backwards=True, name="back")
    layer = Bidirectional(SimpleRNN(2), backward_layer=backward)
    assert layer.backward_layer is backward
    layer.build((None, 4, 3))
    assert layer.compute_output_shape((None, 4, 3)) == (None, 5)
    assert layer.forward(np.ones((2, 4, 3)))[0].shape == (2, 5)
    assert layer.has_kinks                                  # relu inside


def test_user_cell_rnn_can_be_made_bidirectional():
    layer = Bidirectional(RNN(SimpleRNNCell(2, **INIT), return_sequences=True),
                          merge_mode="sum")
    x = random_array(4, (2, 3, 2))
    gradcheck.assert_gradients_ok(layer, x, seed=4)


def test_config_round_trip_through_serialize():
    layer = Bidirectional(LSTM(3, return_sequences=True, dropout=0.1, seed=1),
                          merge_mode="ave", backward_layer=LSTM(3, return_sequences=True,
                                                                go_backwards=True,
                                                                name="back_lstm"))
    config = serialize(layer)
    assert config["config"]["layer"]["class_name"] == "LSTM"
    assert config["config"]["layer"]["config"]["name"] == "forward_" + \
        layer.forward_layer.name.removeprefix("forward_")
    assert config["config"]["backward_layer"]["config"]["name"] == "back_lstm"
    clone = deserialize(config)
    assert serialize(clone) == config
    assert isinstance(clone, Bidirectional) and clone.merge_mode == "ave"


def test_weights_argument_sets_initial_weights():
    source = Bidirectional(GRU(2))
    source.build((None, 3, 2))
    layer = Bidirectional(GRU(2), weights=source.get_weights())
    layer.build((None, 3, 2))
    for a, b in zip(layer.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_errors_are_kind():
    with pytest.raises(ValueError, match="Bidirectional: `merge_mode` must be one of"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="Bidirectional: `layer` must be a keras Layer"):
        Bidirectional("lstm")
    with pytest.raises(ValueError, match="Dense has no `go_backwards`"):
        Bidirectional(Dense(2))
    with pytest.raises(ValueError, match=r'"bi".*opposite directions.*go_backwards=False'):
        Bidirectional(LSTM(2), backward_layer=LSTM(2), name="bi")
    with pytest.raises(ValueError, match=r'"bi".*same `return_sequences`'):
        Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True,
                                                     return_sequences=True), name="bi")


def test_bidirectional_lstm_fit_lowers_loss():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6, 2)).astype("float32")
    y = (x[:, 0, :1] - x[:, -1, 1:]).astype("float32")   # needs both ends of the sequence
    model = keras.Sequential([keras.Input(shape=(6, 2)), Bidirectional(LSTM(6)),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    losses = model.fit(x, y, epochs=8, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert model.layers[0].output_shape == (None, 12)


def test_functional_model_with_merge_mode_none_and_states():
    inputs = keras.Input(shape=(5, 3))
    y_f, y_b, h_f, c_f, h_b, c_b = Bidirectional(
        LSTM(4, return_sequences=True, return_state=True), merge_mode=None)(inputs)
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([h_f, h_b]))
    model = keras.Model(inputs, out)
    model.compile(optimizer="sgd", loss="mse")
    x = random_array(0, (8, 5, 3)).astype("float32")
    history = model.fit(x, np.ones((8, 1), dtype="float32"), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    gradcheck.assert_gradients_ok(model, x[:2])


# ============================================================== TimeDistributed
@given(units=st.integers(1, 4), batch=st.integers(1, 3), steps=st.integers(1, 4),
       features=st.integers(1, 3), seed=SEEDS)
def test_time_distributed_dense_is_a_loop_over_steps(units, batch, steps, features, seed):
    layer = TimeDistributed(Dense(units, activation="tanh", bias_initializer="random_normal"))
    x = random_array(seed, (batch, steps, features))
    layer.build((None, steps, features))
    y, _ = layer.forward(x)
    W, b = layer.layer.kernel.value, layer.layer.bias.value
    want = np.stack([np.tanh(x[:, t] @ W + b) for t in range(steps)], axis=1)
    assert y.shape == layer.compute_output_shape((batch, steps, features))
    np.testing.assert_allclose(y, want, rtol=1e-6)
    gradcheck.assert_gradients_ok(layer, x, seed=seed)
    gradcheck.assert_backward_repeatable(layer, x, seed=seed)


def test_time_distributed_conv1d_gradcheck_and_shape():
    layer = TimeDistributed(Conv1D(2, 3, padding="same"))
    x = random_array(1, (2, 3, 5, 2))
    assert layer.compute_output_shape((None, 3, 5, 2)) == (None, 3, 5, 2)
    gradcheck.assert_gradients_ok(layer, x, seed=1)


def test_time_distributed_dropout_in_training_gradcheck():
    layer = TimeDistributed(Dropout(0.5, seed=3))
    gradcheck.assert_gradients_ok(layer, random_array(2, (2, 4, 3)), training=True, seed=2)


def test_time_distributed_weights_are_the_inner_layers():
    layer = TimeDistributed(Dense(3, name="d"))
    layer.build((None, 7, 4))
    assert layer.weights == layer.layer.weights
    assert [w.shape for w in layer.weights] == [(4, 3), (3,)]
    assert layer.weights[0].path == f"{layer.name}/d/kernel"
    mask = np.ones((2, 7), dtype=bool)
    assert layer.compute_mask(None, mask) is mask


def test_time_distributed_config_round_trip():
    layer = TimeDistributed(Dense(5, activation="relu"), name="td")
    config = serialize(layer)
    assert config["config"]["layer"]["class_name"] == "Dense"
    clone = deserialize(config)
    assert serialize(clone) == config


def test_time_distributed_errors_are_kind():
    with pytest.raises(ValueError, match="TimeDistributed: `layer` must be a keras Layer"):
        TimeDistributed(lambda x: x)
    with pytest.raises(ValueError, match=r'"td".*at least 3 axes'):
        TimeDistributed(Dense(2), name="td").build((None, 4))


def test_time_distributed_after_lstm_fits():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 5, 2)).astype("float32")
    y = np.cumsum(x[..., :1], axis=1).astype("float32") / 3   # a running sum per step
    model = keras.Sequential([keras.Input(shape=(5, 2)), LSTM(8, return_sequences=True),
                              TimeDistributed(Dense(1))])
    assert model.output_shape == (None, 5, 1)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    losses = model.fit(x, y, epochs=8, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.5 * losses[0]


def test_masked_bidirectional_and_time_distributed_in_a_model_gradcheck():
    ids = np.array([[3, 1, 4, 0], [2, 7, 1, 8], [5, 9, 0, 0]])
    model = keras.Sequential([keras.Input((4,), dtype="int32"),
                              keras.layers.Embedding(10, 3, mask_zero=True),
                              Bidirectional(GRU(2, return_sequences=True, **INIT)),
                              TimeDistributed(Dense(2, activation="tanh"))])
    padded = model.predict(ids, verbose=0)
    assert np.isfinite(padded).all()
    gradcheck.assert_gradients_ok(model, ids)


def test_bidirectional_initial_state_in_a_functional_model():
    x = keras.Input((4, 3))
    states = [keras.Input((2,)) for _ in range(4)]       # h, c forwards; h, c backwards
    layer = Bidirectional(LSTM(2, **INIT), merge_mode="sum")
    model = keras.Model([x] + states, layer(x, initial_state=states))
    data = [random_array(0, (2, 4, 3))] + [random_array(i, (2, 2)) for i in range(1, 5)]
    want = layer.forward(data[0], initial_state=data[1:])[0]
    np.testing.assert_allclose(model.predict(data, verbose=0), want, rtol=1e-5, atol=1e-6)
    gradcheck.assert_gradients_ok(model, data)
