"""SimpleRNN, LSTM, GRU: Keras goldens, a naive loop reference, gradient checks, configs, fit."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import kerastutor as keras
from kerastutor import gradcheck, initializers
from kerastutor.layers import GRU, LSTM, SimpleRNN
from strategies import RNN_KINDS, SEEDS

GOLDEN_INIT = dict(kernel_initializer=initializers.Constant(0.01),
                   recurrent_initializer=initializers.Constant(0.02),
                   bias_initializer=initializers.Constant(0.03))


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ------------------------------------------------------------ Keras goldens (spec §8.3)
@pytest.mark.parametrize("cls, go_backwards, rows", [
    (LSTM, False, [0.6288687, 0.86899155, 0.9460773]),
    (LSTM, True, [0.35622165, 0.74789524, 0.8872726]),
    (GRU, False, [0.5217289, 0.6371659, 0.39384964]),
    (GRU, True, [0.24406259, 0.611516, 0.3928808]),
])
def test_keras_goldens_lstm_gru(cls, go_backwards, rows):
    x = np.arange(72, dtype="float32").reshape(3, 6, 4)
    y = cls(3, go_backwards=go_backwards, **GOLDEN_INIT)(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, np.repeat(np.array(rows)[:, None], 3, axis=1), rtol=1e-5)


def test_keras_golden_simple_rnn():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    y = SimpleRNN(4, **GOLDEN_INIT)(x)
    np.testing.assert_allclose(y, [[0.405432] * 4, [0.73605347] * 4], rtol=1e-5)


# ---------------------------------------------------------------- naive references
def naive_rnn(layer, x):
    """Loop over samples and steps, one cell at a time, straight from the formulas."""
    W = layer.kernel.value.astype(np.float64)
    U = layer.recurrent_kernel.value.astype(np.float64)
    b = None if layer.bias is None else layer.bias.value.astype(np.float64)
    u = layer.units
    seqs, finals = [], []
    for n in range(x.shape[0]):
        steps = x[n, ::-1] if layer.go_backwards else x[n]
        h, c = np.zeros(u), np.zeros(u)
        hs = []
        for xt in steps:
            if isinstance(layer, SimpleRNN):
                h = np.tanh(xt @ W + h @ U + (0 if b is None else b))
            elif isinstance(layer, LSTM):
                a = xt @ W + h @ U + (0 if b is None else b)
                i, f, g, o = (sigmoid(a[:u]), sigmoid(a[u:2 * u]), np.tanh(a[2 * u:3 * u]),
                              sigmoid(a[3 * u:]))
                c = f * c + i * g
                h = o * np.tanh(c)
            else:
                if layer.reset_after:
                    b_in = np.zeros(3 * u) if b is None else b[0]
                    b_rec = np.zeros(3 * u) if b is None else b[1]
                    mx, mh = xt @ W + b_in, h @ U + b_rec
                    z = sigmoid(mx[:u] + mh[:u])
                    r = sigmoid(mx[u:2 * u] + mh[u:2 * u])
                    hh = np.tanh(mx[2 * u:] + r * mh[2 * u:])
                else:
                    mx = xt @ W + (0 if b is None else b)
                    z = sigmoid(mx[:u] + h @ U[:, :u])
                    r = sigmoid(mx[u:2 * u] + h @ U[:, u:2 * u])
                    hh = np.tanh(mx[2 * u:] + (r * h) @ U[:, 2 * u:])
                h = z * h + (1 - z) * hh
            hs.append(h)
        seqs.append(np.stack(hs))
        finals.append((h, c))
    seq = np.stack(seqs)
    out = seq if layer.return_sequences else seq[:, -1]
    if not layer.return_state:
        return out
    states = [np.stack([f[0] for f in finals])]
    if isinstance(layer, LSTM):
        states.append(np.stack([f[1] for f in finals]))
    return [out] + states


def make_layer(kind, units, reset_after=True, **kw):
    init = dict(kernel_initializer="random_normal", recurrent_initializer="orthogonal",
                bias_initializer="random_normal")
    init.update(kw)
    if kind == "simple":
        return SimpleRNN(units, **init)
    if kind == "lstm":
        return LSTM(units, **init)
    return GRU(units, reset_after=reset_after, **init)


options = dict(
    kind=RNN_KINDS,
    units=st.integers(1, 3),
    batch=st.integers(1, 3),
    steps=st.integers(1, 4),
    features=st.integers(1, 3),
    return_sequences=st.booleans(),
    return_state=st.booleans(),
    go_backwards=st.booleans(),
    reset_after=st.booleans(),
    use_bias=st.booleans(),
    seed=SEEDS,
)


@given(**options)
@settings(max_examples=30, deadline=None)
def test_forward_matches_naive_loop(kind, units, batch, steps, features, return_sequences,
                                    return_state, go_backwards, reset_after, use_bias, seed):
    layer = make_layer(kind, units, reset_after=reset_after, use_bias=use_bias,
                       return_sequences=return_sequences, return_state=return_state,
                       go_backwards=go_backwards)
    x = np.random.default_rng(seed).normal(size=(batch, steps, features))
    layer.build((None, steps, features))
    y, _ = layer.forward(x)
    expected = naive_rnn(layer, x)
    shapes = layer.compute_output_shape((batch, steps, features))
    if return_state:
        assert isinstance(y, list) and len(y) == len(expected) == len(shapes)
        for got, want, shape in zip(y, expected, shapes):
            assert got.shape == shape
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    else:
        assert y.shape == shapes
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


@given(**options)
@settings(max_examples=25, deadline=None)
def test_gradcheck(kind, units, batch, steps, features, return_sequences, return_state,
                   go_backwards, reset_after, use_bias, seed):
    layer = make_layer(kind, units, reset_after=reset_after, use_bias=use_bias,
                       return_sequences=return_sequences, return_state=return_state,
                       go_backwards=go_backwards)
    x = np.random.default_rng(seed).normal(size=(batch, steps, features))
    gradcheck.assert_gradients_ok(layer, x, seed=seed)
    gradcheck.assert_backward_repeatable(layer, x, seed=seed)


@given(kind=options["kind"], reset_after=st.booleans(), dropout=st.sampled_from([0.0, 0.3]),
       recurrent_dropout=st.sampled_from([0.0, 0.4]), seed=st.integers(0, 100))
@settings(max_examples=12, deadline=None)
def test_gradcheck_with_dropout_in_training(kind, reset_after, dropout, recurrent_dropout, seed):
    layer = make_layer(kind, 2, reset_after=reset_after, dropout=dropout,
                       recurrent_dropout=recurrent_dropout, seed=seed, return_sequences=True)
    x = np.random.default_rng(seed).normal(size=(2, 3, 2))
    gradcheck.assert_gradients_ok(layer, x, training=True, seed=seed)
    gradcheck.assert_backward_repeatable(layer, x, training=True, seed=seed)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_dropout_is_identity_at_inference_and_random_in_training(cls):
    x = np.random.default_rng(0).normal(size=(4, 5, 3))
    layer = cls(3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    plain = cls(3)
    plain.build((None, 5, 3))
    layer.build((None, 5, 3))
    for w, v in zip(layer.weights, plain.weights):
        w.value[...] = v.value
    np.testing.assert_allclose(layer.forward(x)[0], plain.forward(x)[0])
    assert not np.allclose(layer.forward(x, training=True)[0], plain.forward(x)[0])


# ------------------------------------------------------------- weights and shapes
@pytest.mark.parametrize("layer, shapes", [
    (SimpleRNN(5), [(3, 5), (5, 5), (5,)]),
    (LSTM(5), [(3, 20), (5, 20), (20,)]),
    (GRU(5), [(3, 15), (5, 15), (2, 15)]),
    (GRU(5, reset_after=False), [(3, 15), (5, 15), (15,)]),
    (LSTM(5, use_bias=False), [(3, 20), (5, 20)]),
])
def test_weight_layout(layer, shapes):
    layer.build((None, 7, 3))
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"][:len(shapes)]
    assert [w.value.shape for w in layer.weights] == shapes


def test_lstm_unit_forget_bias():
    layer = LSTM(2, bias_initializer=initializers.Constant(0.5))
    layer.build((None, 3, 4))
    np.testing.assert_array_equal(layer.bias.value, [0.5, 0.5, 1, 1, 0.5, 0.5, 0.5, 0.5])
    layer = LSTM(2, unit_forget_bias=False)
    layer.build((None, 3, 4))
    np.testing.assert_array_equal(layer.bias.value, np.zeros(8))


def test_recurrent_kernel_is_orthogonal_by_default():
    layer = SimpleRNN(4)
    layer.build((None, 2, 3))
    U = layer.recurrent_kernel.value
    np.testing.assert_allclose(U @ U.T, np.eye(4), atol=1e-5)


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_float64_input_is_preserved(cls):
    layer = cls(2)
    layer.build((None, 3, 2))
    y, _ = layer.forward(np.ones((1, 3, 2)))
    assert y.dtype == np.float64


def test_compute_output_shape():
    assert LSTM(4).compute_output_shape((None, 7, 3)) == (None, 4)
    assert GRU(4, return_sequences=True).compute_output_shape((None, 7, 3)) == (None, 7, 4)
    assert LSTM(4, return_state=True).compute_output_shape((None, 7, 3)) == \
        [(None, 4), (None, 4), (None, 4)]
    assert SimpleRNN(4, return_state=True, return_sequences=True).compute_output_shape(
        (None, 7, 3)) == [(None, 7, 4), (None, 4)]


# ----------------------------------------------------------------------- errors
def test_wrong_rank_names_the_layer():
    layer = LSTM(3, name="my_lstm")
    with pytest.raises(ValueError, match="my_lstm.*expected ndim=3"):
        layer(np.zeros((2, 4), dtype="float32"))


@pytest.mark.parametrize("units", [0, -2, 2.5, "3"])
def test_bad_units(units):
    with pytest.raises(ValueError, match="GRU: `units` must be a positive integer"):
        GRU(units)


def test_bad_dropout():
    with pytest.raises(ValueError, match="SimpleRNN: `dropout`"):
        SimpleRNN(2, dropout=1.5)


# --------------------------------------------------------------------- stateful
def test_stateful_carries_the_state_between_batches():
    x = np.random.default_rng(0).normal(size=(2, 6, 3)).astype("float32")
    whole = LSTM(3, return_sequences=True)
    whole.build((None, 6, 3))
    parts = LSTM(3, return_sequences=True, stateful=True)
    parts.build((None, 6, 3))
    for w, v in zip(parts.weights, whole.weights):
        w.value[...] = v.value
    first, _ = parts.forward(x[:, :3])
    second, _ = parts.forward(x[:, 3:])
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole.forward(x)[0],
                               rtol=1e-5, atol=1e-6)
    parts.reset_states()
    np.testing.assert_allclose(parts.forward(x[:, :3])[0], first, rtol=1e-6)


# ----------------------------------------------------------------------- config
@pytest.mark.parametrize("layer", [
    SimpleRNN(3, activation="relu", return_sequences=True, go_backwards=True),
    LSTM(4, recurrent_activation="hard_sigmoid", unit_forget_bias=False, return_state=True,
         dropout=0.2, seed=3, kernel_regularizer="l2"),
    GRU(2, reset_after=False, use_bias=False, recurrent_dropout=0.1),
])
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    for key in ("units", "return_sequences", "return_state", "go_backwards", "stateful",
                "unroll", "dropout", "recurrent_dropout", "activation"):
        assert key in config
    # Keras 3.15 writes a seed for LSTM and GRU, but not for SimpleRNN -- nor use_cudnn
    assert ("seed" in config) == (not isinstance(layer, SimpleRNN))
    assert "use_cudnn" not in config


def test_lstm_config_keys_as_keras():
    config = LSTM(3).get_config()
    assert config["recurrent_activation"] == "sigmoid"
    assert config["activation"] == "tanh"
    assert config["unit_forget_bias"] is True
    assert GRU(3).get_config()["reset_after"] is True


# ------------------------------------------------------------------ in a model
def test_lstm_fit_on_sine_lowers_loss():
    t = np.linspace(0, 4 * np.pi, 120)
    s = np.sin(t)
    x = np.stack([s[i:i + 8] for i in range(100)])[..., None].astype("float32")
    y = s[8:108, None].astype("float32")
    model = keras.Sequential([keras.Input(shape=(8, 1)), LSTM(6), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    history = model.fit(x, y, epochs=6, batch_size=20, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]


def test_functional_model_with_return_state():
    inputs = keras.Input(shape=(5, 2))
    seq, h, c = LSTM(4, return_sequences=True, return_state=True)(inputs)
    last = GRU(3, go_backwards=True)(seq)
    out = keras.layers.Dense(1)(last)
    model = keras.Model(inputs, out)
    assert model.output_shape == (None, 1)
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).random((8, 5, 2)).astype("float32")
    history = model.fit(x, np.ones((8, 1), dtype="float32"), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    state_model = keras.Model(inputs, [h, c])
    h_val, c_val = state_model.predict(x, verbose=0)
    assert h_val.shape == c_val.shape == (8, 4)
