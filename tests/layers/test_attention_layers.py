"""Attention layers: Keras's golden values, naive per-sample references, gradient checks."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from kerastutor.layers.embedding import Embedding
from helpers import random_array
from strategies import SEEDS


class WithOptions:
    """``check_layer`` calls ``forward(x, training)``; this adds the call options."""

    def __init__(self, layer, **options):
        self.layer, self.options = layer, options
        self.name, self.built = layer.name, True

    def forward(self, x, training=False):
        return self.layer.forward(x, training=training, **self.options)

    def backward(self, cache, grad_out):
        return self.layer.backward(cache, grad_out)

    @property
    def weights(self):
        return self.layer.weights


def softmax_row(s):
    e = np.exp(s - s.max())
    return e / e.sum()


# ------------------------------------------------------------ naive references
def naive_attention(query, value, key, score, query_mask=None, value_mask=None,
                    causal=False):
    """Attention written one sample and one query row at a time."""
    batch, tq, tv = query.shape[0], query.shape[1], value.shape[1]
    out = np.zeros((batch, tq, value.shape[2]))
    weights = np.zeros((batch, tq, tv))
    for b in range(batch):
        for i in range(tq):
            s = np.array([score(query[b, i], key[b, j]) for j in range(tv)])
            for j in range(tv):
                allowed = (value_mask is None or value_mask[b, j]) and (not causal or j <= i)
                if not allowed:
                    s[j] -= 1e9
            p = softmax_row(s)
            weights[b, i] = p
            out[b, i] = sum(p[j] * value[b, j] for j in range(tv))
            if query_mask is not None and not query_mask[b, i]:
                out[b, i] = 0.0
    return out, weights


def naive_mha(query, value, key, weights, num_heads, mask=None):
    """MultiHeadAttention for rank-3 inputs: loops over samples, heads and query steps."""
    wq, bq, wk, bk, wv, bv, wo, bo = weights
    batch, t, s = query.shape[0], query.shape[1], value.shape[1]
    key_dim = wq.shape[-1]
    out = np.zeros((batch, t, wo.shape[-1]))
    scores = np.zeros((batch, num_heads, t, s))
    for b in range(batch):
        for h in range(num_heads):
            q = query[b] @ wq[:, h, :] + bq[h]                  # (T, key_dim)
            k = key[b] @ wk[:, h, :] + bk[h]                    # (S, key_dim)
            v = value[b] @ wv[:, h, :] + bv[h]                  # (S, value_dim)
            for i in range(t):
                logits = np.array([q[i] @ k[j] / np.sqrt(key_dim) for j in range(s)])
                if mask is not None:
                    logits = logits - 1e9 * (1 - mask[b, i])
                p = softmax_row(logits)
                scores[b, h, i] = p
                out[b, i] += (p @ v) @ wo[h]
        out[b] += bo
    return out, scores


def dot(q, k):
    return q @ k


# ------------------------------------------------------------- golden values
QUERY = np.array([[[1.0, 0.0], [0.0, 1.0]]])
KEY = np.array([[[0.0, 1.0], [1.0, 0.0]]])
VALUE = np.array([[[1.0, 2.0], [3.0, 4.0]]])


def test_attention_dot_golden_from_keras_tests():
    output, scores = Attention(score_mode="dot")([QUERY, VALUE, KEY],
                                                 return_attention_scores=True)
    np.testing.assert_allclose(output, [[[2.462, 3.462], [1.538, 2.538]]], atol=1e-3)
    np.testing.assert_allclose(scores, [[[0.269, 0.731], [0.731, 0.269]]], atol=1e-3)


@pytest.mark.parametrize("layer", [lambda: Attention(score_mode="concat"),
                                   lambda: AdditiveAttention(use_scale=False)])
def test_concat_and_additive_golden_from_keras_tests(layer):
    output, scores = layer()([QUERY, VALUE, KEY], return_attention_scores=True)
    np.testing.assert_allclose(output, [[[1.727, 2.727], [2.272, 3.272]]], atol=1e-3)
    np.testing.assert_allclose(scores, [[[0.636, 0.363], [0.363, 0.636]]], atol=1e-3)


@pytest.mark.parametrize("cls", [Attention, lambda: AdditiveAttention(use_scale=False)])
def test_masks_golden_from_keras_tests(cls):
    output, scores = cls()([QUERY, np.ones((1, 2, 2))],
                           mask=[np.array([[True, False]]), np.array([[True, False]])],
                           return_attention_scores=True)
    np.testing.assert_allclose(output, [[[1.0, 1.0], [0.0, 0.0]]])
    np.testing.assert_allclose(scores, [[[1.0, 0.0], [1.0, 0.0]]])


def test_causal_mask_hides_the_future():
    x = random_array(0, (2, 4, 3))
    _, scores = Attention()([x, x], use_causal_mask=True, return_attention_scores=True)
    assert np.all(scores[:, np.triu_indices(4, 1)[0], np.triu_indices(4, 1)[1]] == 0)
    np.testing.assert_allclose(scores[:, 0, 0], 1.0)
    np.testing.assert_allclose(scores.sum(-1), 1.0)


def test_causal_mask_with_fewer_keys_than_queries():
    _, scores = Attention()([random_array(0, (1, 3, 2)), random_array(1, (1, 2, 2))],
                            use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_allclose(scores[0, 0], [1.0, 0.0])
    assert np.all(scores[0, 1:] > 0)


# ------------------------------------------------------------ naive references
@st.composite
def attention_cases(draw):
    return dict(batch=draw(st.integers(1, 2)), tq=draw(st.integers(1, 4)),
                tv=draw(st.integers(1, 4)), dim=draw(st.integers(1, 3)),
                dim_v=draw(st.integers(1, 3)), with_key=draw(st.booleans()),
                causal=draw(st.booleans()), masks=draw(st.booleans()),
                seed=draw(SEEDS))


def make_inputs(case):
    rng = np.random.default_rng(case["seed"])
    b, tq, tv = case["batch"], case["tq"], case["tv"]
    query = rng.normal(size=(b, tq, case["dim"]))
    value = rng.normal(size=(b, tv, case["dim_v"] if case["with_key"] else case["dim"]))
    key = rng.normal(size=(b, tv, case["dim"])) if case["with_key"] else None
    mask = None
    if case["masks"]:
        value_mask = rng.random((b, tv)) < 0.7
        value_mask[:, 0] = True                # every query keeps a key it may see
        mask = [rng.random((b, tq)) < 0.7, value_mask]
    return query, value, key, mask


@given(attention_cases(), st.sampled_from(["dot", "dot+scale", "concat", "concat+scale",
                                           "additive", "additive+scale"]))
def test_attention_layers_match_naive_reference(case, kind):
    query, value, key, mask = make_inputs(case)
    mode, _, scaled = kind.partition("+")
    if mode == "additive":
        layer = AdditiveAttention(use_scale=bool(scaled))
    else:
        layer = Attention(use_scale=bool(scaled), score_mode=mode)
    inputs = [query, value] + ([key] if key is not None else [])
    layer.build([a.shape for a in inputs])
    for i, w in enumerate(layer.weights):        # not the initial ones: use other values
        w.assign(random_array(10 + i, w.shape) * 0.5 + 1.0)
    c = layer.scale.value if layer.scale is not None else 1.0
    if mode == "dot":
        score = lambda q, k: c * (q @ k)                               # noqa: E731
    elif mode == "concat":
        w = layer.concat_score_weight.value
        score = lambda q, k: w * np.tanh(c * (q + k)).sum()            # noqa: E731
    else:
        score = lambda q, k: (c * np.tanh(q + k)).sum()                # noqa: E731
    y, cache = layer.forward(inputs, mask=mask, use_causal_mask=case["causal"],
                             return_attention_scores=True)
    expected, expected_scores = naive_attention(
        query, value, value if key is None else key, score,
        *(mask if mask is not None else [None, None]), causal=case["causal"])
    np.testing.assert_allclose(y[0], expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(y[1], expected_scores, rtol=1e-7, atol=1e-9)


@st.composite
def mha_cases(draw):
    return dict(batch=draw(st.integers(1, 2)), t=draw(st.integers(1, 4)),
                s=draw(st.integers(1, 4)), dim=draw(st.integers(1, 3)),
                dim_v=draw(st.integers(1, 3)), dim_k=draw(st.integers(1, 3)),
                heads=draw(st.integers(1, 3)), key_dim=draw(st.integers(1, 3)),
                value_dim=draw(st.sampled_from([None, 1, 2])),
                out=draw(st.sampled_from([None, 2])), with_key=draw(st.booleans()),
                use_bias=draw(st.booleans()),
                mask=draw(st.sampled_from([None, "causal", "attention", "query_value",
                                           "all"])),
                seed=draw(SEEDS))


def mha_setup(case, every_query_row=False):
    """The layer, its inputs, call options and the combined (batch, T, S) mask.

    ``every_query_row`` keeps every query's row of scores partly open: a row
    masked whole (a padded query) is all -1e9 + s, where float64 keeps only
    ~1e-7 of ``s`` -- too coarse for central differences with h = 1e-6.
    """
    rng = np.random.default_rng(case["seed"])
    b, t, s = case["batch"], case["t"], case["s"]
    if case["mask"] in ("causal", "all"):
        s = t = max(t, s)                          # a square causal mask
    query = rng.normal(size=(b, t, case["dim"]))
    value = rng.normal(size=(b, s, case["dim_v"]))
    key = rng.normal(size=(b, s, case["dim_k"])) if case["with_key"] else None
    layer = MultiHeadAttention(case["heads"], case["key_dim"], value_dim=case["value_dim"],
                               use_bias=case["use_bias"], output_shape=case["out"])
    inputs = [query, value] + ([key] if key is not None else [])
    layer.build([a.shape for a in inputs])
    for i, w in enumerate(layer.weights):          # non-zero biases too
        w.assign(random_array(20 + i, w.shape) * 0.7)
    options, mask = {}, np.ones((b, t, s), bool)
    if case["mask"] in ("causal", "all"):
        options["use_causal_mask"] = True
        mask &= np.tril(np.ones((t, s), bool))
    if case["mask"] in ("attention", "all"):
        attention_mask = rng.random((b, t, s)) < 0.7
        attention_mask[:, :, 0] = True
        options["attention_mask"] = attention_mask
        mask &= attention_mask
    if case["mask"] in ("query_value", "all"):
        query_mask, value_mask = rng.random((b, t)) < 0.7, rng.random((b, s)) < 0.7
        query_mask[:, 0] = value_mask[:, 0] = True
        if every_query_row:
            query_mask[:] = True
        options.update(query_mask=query_mask, value_mask=value_mask)
        mask &= query_mask[:, :, None] & value_mask[:, None, :]
    return layer, inputs, options, mask


@given(mha_cases())
def test_multi_head_attention_matches_naive_reference(case):
    layer, inputs, options, mask = mha_setup(case)
    weights = [w.value for w in layer.weights]
    if not case["use_bias"]:
        value_dim = case["value_dim"] or case["key_dim"]
        weights = [weights[0], np.zeros((case["heads"], case["key_dim"])),
                   weights[1], np.zeros((case["heads"], case["key_dim"])),
                   weights[2], np.zeros((case["heads"], value_dim)),
                   weights[3], np.zeros(weights[3].shape[-1])]
    (y, scores), _ = layer.forward(inputs, return_attention_scores=True, **options)
    key = inputs[2] if len(inputs) == 3 else inputs[1]
    expected, expected_scores = naive_mha(inputs[0], inputs[1], key, weights,
                                          case["heads"], mask)
    np.testing.assert_allclose(y, expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-7, atol=1e-9)


def test_attention_axes_over_one_axis_is_attention_per_row():
    """Attending over axis 2 of (B, X, Y, D) is rank-3 attention on each of the X rows."""
    query, value = random_array(0, (2, 3, 4, 5)), random_array(1, (2, 3, 6, 5))
    mha = MultiHeadAttention(2, 3, attention_axes=(2,))
    mha.build([query.shape, value.shape])
    flat = MultiHeadAttention(2, 3)
    flat.build([(6, 4, 5), (6, 6, 5)])
    flat.set_weights(mha.get_weights())
    (y, scores), _ = mha.forward([query, value], return_attention_scores=True)
    (y_flat, s_flat), _ = flat.forward([query.reshape(6, 4, 5), value.reshape(6, 6, 5)],
                                       return_attention_scores=True)
    np.testing.assert_allclose(y, y_flat.reshape(2, 3, 4, 5), rtol=1e-10)
    assert scores.shape == (2, 3, 2, 4, 6)          # Keras: (B, X, heads, Yq, Yk)
    np.testing.assert_allclose(scores, s_flat.reshape(2, 3, 2, 4, 6), rtol=1e-10)


def test_attention_axes_over_two_axes_is_attention_over_flattened_positions():
    query, value = random_array(0, (2, 3, 2, 4)), random_array(1, (2, 2, 2, 4))
    mha = MultiHeadAttention(2, 3, attention_axes=(1, 2))
    mha.build([query.shape, value.shape])
    flat = MultiHeadAttention(2, 3)
    flat.build([(2, 6, 4), (2, 4, 4)])
    flat.set_weights(mha.get_weights())
    (y, scores), _ = mha.forward([query, value], return_attention_scores=True)
    (y_flat, s_flat), _ = flat.forward([query.reshape(2, 6, 4), value.reshape(2, 4, 4)],
                                       return_attention_scores=True)
    np.testing.assert_allclose(y, y_flat.reshape(query.shape), rtol=1e-10)
    assert scores.shape == (2, 2, 3, 2, 2, 2)
    np.testing.assert_allclose(scores.reshape(2, 2, 6, 4), s_flat, rtol=1e-10)
    assert MultiHeadAttention(2, 3, attention_axes=(1, 2)).compute_output_shape(
        [(None, 3, 2, 4), (None, 2, 2, 4)], return_attention_scores=True) == \
        [(None, 3, 2, 4), (None, 2, 3, 2, 2, 2)]


# ------------------------------------------------------------ gradient checks
@given(attention_cases(), st.sampled_from(["dot", "concat", "additive"]), st.booleans(),
       st.booleans(), st.booleans())
def test_attention_gradients(case, mode, use_scale, dropout, with_scores):
    query, value, key, mask = make_inputs(case)
    if mode == "additive":
        layer = AdditiveAttention(use_scale=use_scale, dropout=0.3 * dropout)
    else:
        layer = Attention(use_scale=use_scale, score_mode=mode, dropout=0.3 * dropout,
                          seed=7)
    inputs = [query, value] + ([key] if key is not None else [])
    layer.build([a.shape for a in inputs])
    wrapped = WithOptions(layer, mask=mask, use_causal_mask=case["causal"],
                          return_attention_scores=with_scores)
    gradcheck.assert_gradients_ok(wrapped, inputs, training=dropout, seed=case["seed"])


@given(mha_cases(), st.booleans(), st.booleans())
def test_multi_head_attention_gradients(case, dropout, with_scores):
    layer, inputs, options, _ = mha_setup(case, every_query_row=True)
    layer.dropout = 0.3 * dropout
    layer._dropout_layer.rate = layer.dropout
    wrapped = WithOptions(layer, return_attention_scores=with_scores, **options)
    gradcheck.assert_gradients_ok(wrapped, inputs, training=dropout, seed=case["seed"])


@pytest.mark.parametrize("axes,shapes", [((2,), [(2, 3, 4, 3), (2, 3, 2, 2)]),
                                         ((1, 2), [(1, 2, 3, 3), (1, 3, 2, 2)]),
                                         (-2, [(2, 2, 3, 3), (2, 2, 2, 2)])])
def test_multi_head_attention_gradients_rank_4(axes, shapes):
    layer = MultiHeadAttention(2, 2, value_dim=3, attention_axes=axes, output_shape=(2, 2))
    inputs = [random_array(i, s) for i, s in enumerate(shapes)]
    gradcheck.assert_gradients_ok(layer, inputs)


def test_backward_accepts_missing_or_batch_of_one_upstream_gradients():
    """A model hands zeros of batch 1 (or None) for an output that misses the loss."""
    x = random_array(0, (3, 4, 2))
    for layer in (Attention(use_scale=True), MultiHeadAttention(2, 2)):
        layer.build([x.shape, x.shape])
        (out, scores), cache = layer.forward([x, x], return_attention_scores=True)
        g = random_array(1, out.shape)
        full = layer.backward(cache, [g, np.zeros_like(scores)])
        for partial in ([g, np.zeros((1,) + scores.shape[1:])], [g, None]):
            for a, b in zip(layer.backward(cache, partial), full):
                np.testing.assert_allclose(a, b)
        only_scores = layer.backward(cache, [None, random_array(2, scores.shape)])
        assert all(d.shape == x.shape and np.abs(d).sum() > 0 for d in only_scores)


def test_backward_adds_into_weight_gradients():
    x = random_array(0, (2, 3, 4))
    mha = MultiHeadAttention(2, 2)
    mha.build([x.shape, x.shape])
    y, cache = mha.forward([x, x])
    for w in mha.weights:
        w.zero_grad()
    mha.backward(cache, np.ones_like(y))
    once = [w.grad.copy() for w in mha.weights]
    mha.backward(cache, np.ones_like(y))
    for w, g in zip(mha.weights, once):
        np.testing.assert_allclose(w.grad, 2 * g)


# ------------------------------------------------------------------ dropout
def test_attention_dropout_only_while_training_and_scores_after_dropout():
    x = random_array(0, (2, 5, 3))
    layer = Attention(dropout=0.5, seed=3)
    out_eval, scores_eval = layer([x, x], return_attention_scores=True)
    out_train, scores_train = layer([x, x], return_attention_scores=True, training=True)
    assert not np.allclose(out_eval, out_train)
    assert np.any(scores_train == 0) and not np.any(scores_eval == 0)
    kept = scores_train != 0                     # kept weights scaled by 1/(1-rate)
    np.testing.assert_allclose(scores_train[kept], 2 * scores_eval[kept], rtol=1e-6)


def test_mha_returns_scores_before_dropout():
    x = random_array(0, (2, 5, 3)).astype("float32")
    layer = MultiHeadAttention(2, 2, dropout=0.5, seed=1)
    out_eval, scores_eval = layer(x, x, return_attention_scores=True)
    out_train, scores_train = layer(x, x, return_attention_scores=True, training=True)
    np.testing.assert_allclose(scores_train, scores_eval, rtol=1e-6)
    assert not np.allclose(out_eval, out_train)


# ------------------------------------------------------ weights and configs
def test_weights_follow_keras():
    assert Attention().count_params() == 0
    layer = Attention(use_scale=True, score_mode="concat")
    layer.build([(None, 3, 4), (None, 5, 4)])
    assert [(w.name, w.shape) for w in layer.weights] == \
        [("scale", ()), ("concat_score_weight", ())]
    np.testing.assert_array_equal(layer.get_weights(), [1.0, 1.0])
    concat = Attention(score_mode="concat")     # Keras: concat_score_weight either way
    concat.build([(None, 3, 4), (None, 5, 4)])
    assert [w.name for w in concat.weights] == ["concat_score_weight"]
    additive = AdditiveAttention()
    additive.build([(None, 3, 4), (None, 5, 4)])
    assert [(w.name, w.shape) for w in additive.weights] == [("scale", (4,))]
    unscaled = AdditiveAttention(use_scale=False)
    unscaled.build([(None, 3, 4), (None, 5, 4)])
    assert unscaled.weights == []


def test_multi_head_attention_weights_follow_keras():
    mha = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5, name="mha")
    y = mha(np.ones((2, 4, 6), "float32"), np.ones((2, 7, 8), "float32"),
            np.ones((2, 7, 9), "float32"))
    assert y.shape == (2, 4, 6) and y.dtype == np.float32
    assert [(w.path, w.shape) for w in mha.weights] == [
        ("mha/query/kernel", (6, 2, 3)), ("mha/query/bias", (2, 3)),
        ("mha/key/kernel", (9, 2, 3)), ("mha/key/bias", (2, 3)),
        ("mha/value/kernel", (8, 2, 5)), ("mha/value/bias", (2, 5)),
        ("mha/attention_output/kernel", (2, 5, 6)), ("mha/attention_output/bias", (6,))]
    assert mha.count_params() == 6 * 6 + 6 + 9 * 6 + 6 + 8 * 10 + 10 + 10 * 6 + 6
    assert mha.query_dense.kernel is mha.weights[0]
    no_bias = MultiHeadAttention(2, 3, use_bias=False, output_shape=(2, 4))
    no_bias.build([(None, 4, 6), (None, 7, 6)])
    assert [w.shape for w in no_bias.weights] == [(6, 2, 3), (6, 2, 3), (6, 2, 3),
                                                  (2, 3, 2, 4)]
    assert no_bias.compute_output_shape([(None, 4, 6), (None, 7, 6)]) == (None, 4, 2, 4)


def test_dtypes_are_kept():
    x32 = random_array(0, (2, 3, 4)).astype("float32")
    for layer in (Attention(use_scale=True), Attention(score_mode="concat"),
                  AdditiveAttention(), MultiHeadAttention(2, 2)):
        out = layer([x32, x32]) if not isinstance(layer, MultiHeadAttention) else \
            layer(x32, x32, use_causal_mask=True)
        assert out.dtype == np.float32
        (y, scores), cache = layer.forward([x32, x32], return_attention_scores=True,
                                           use_causal_mask=True)
        assert y.dtype == scores.dtype == np.float32
        grads = layer.backward(cache, [np.ones_like(y), np.ones_like(scores)])
        assert all(g.dtype == np.float32 for g in grads)
        assert all(w.grad.dtype == np.float32 for w in layer.weights)
    x64 = random_array(0, (2, 3, 4))
    layer = Attention()
    assert layer.forward([x64, x64])[0].dtype == np.float64


@pytest.mark.parametrize("layer", [
    lambda: Attention(use_scale=True, score_mode="concat", dropout=0.1),
    lambda: AdditiveAttention(use_scale=False, dropout=0.2),
    lambda: MultiHeadAttention(3, 4, value_dim=2, dropout=0.1, use_bias=False,
                               output_shape=7, attention_axes=(1,),
                               kernel_initializer="he_normal", kernel_regularizer="l2",
                               bias_constraint="non_neg", seed=5)])
def test_config_round_trip(layer):
    original = layer()
    config = original.get_config()
    clone = type(original).from_config(config)
    assert clone.get_config() == config
    if isinstance(original, Attention):
        assert config["dropout"] == original.dropout
        assert ("score_mode" in config) == (type(original) is Attention)
    else:
        assert config["output_shape"] == (7,) and config["value_dim"] == 2
        assert config["attention_axes"] == (1,) and config["seed"] == 5
        x = random_array(0, (2, 3, 4))
        original.build([x.shape, x.shape])
        clone.build([x.shape, x.shape])
        clone.set_weights(original.get_weights())
        np.testing.assert_allclose(clone.forward([x, x])[0], original.forward([x, x])[0])


def test_mha_defaults_follow_keras():
    mha = MultiHeadAttention(2, 4)
    config = mha.get_config()
    assert config["value_dim"] == 4 and config["dropout"] == 0.0
    assert config["use_bias"] is True and config["output_shape"] is None
    assert config["attention_axes"] is None
    assert config["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    attention = Attention().get_config()
    assert (attention["use_scale"], attention["score_mode"], attention["dropout"]) == \
        (False, "dot", 0.0)
    assert AdditiveAttention().get_config()["use_scale"] is True


# ------------------------------------------------------------------ errors
def test_attention_errors_are_kind():
    tensor = np.ones((1, 2, 2))
    layer = Attention(name="att")
    with pytest.raises(ValueError, match='"att".*must be called on a list'):
        layer(tensor)
    with pytest.raises(ValueError, match="length 2 or 3"):
        Attention()([tensor] * 4)
    with pytest.raises(ValueError, match="layer mask must be a list"):
        Attention()([tensor, tensor], mask=tensor)
    with pytest.raises(ValueError, match="length 2 or 3"):
        Attention()([tensor, tensor], mask=[tensor])
    with pytest.raises(ValueError, match=r"last dimension of `query` \(3\).*`key` \(2"):
        Attention(name="a2")([np.ones((1, 2, 3)), np.ones((1, 2, 2))])
    with pytest.raises(ValueError, match="same number of steps"):
        Attention()([np.ones((1, 2, 2)), np.ones((1, 3, 2)), np.ones((1, 4, 2))])
    with pytest.raises(ValueError, match=r"`query` must have shape \(batch, steps"):
        Attention()([np.ones((2, 2)), np.ones((2, 2))])
    with pytest.raises(ValueError, match=r"`value_mask` must have shape \(1, 2\)"):
        Attention()([tensor, tensor], mask=[None, np.ones((1, 3), bool)])
    with pytest.raises(ValueError, match="score_mode.*Received: score_mode='add'"):
        Attention(score_mode="add")
    with pytest.raises(ValueError, match="AdditiveAttention: `dropout` must be a float"):
        AdditiveAttention(dropout=1.5)
    with pytest.raises(ValueError, match="did you mean 'use_scale'"):
        Attention(scale=True)
    with pytest.raises(ValueError, match=r"Expected one of \{'dot'\}"):
        AdditiveAttention(score_mode="concat")


def test_multi_head_attention_errors_are_kind():
    x = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match="`num_heads` must be a positive integer"):
        MultiHeadAttention(0, 4)
    with pytest.raises(ValueError, match="`key_dim` must be a positive integer"):
        MultiHeadAttention(2, None)
    with pytest.raises(ValueError, match="`attention_axes` must be an int, list, or tuple"):
        MultiHeadAttention(2, 2, attention_axes="time")
    with pytest.raises(ValueError, match='"mha".*needs a `value`'):
        MultiHeadAttention(2, 2, name="mha")(x)
    with pytest.raises(ValueError, match="all dimensions of `value` and `key`, except"):
        MultiHeadAttention(2, 2)(x, np.ones((2, 5, 4)), np.ones((2, 6, 4)))
    with pytest.raises(ValueError, match="same rank"):
        MultiHeadAttention(2, 2)(x, np.ones((2, 3, 1, 4)))
    with pytest.raises(ValueError, match=r"`attention_axes` \(3,\) are not valid"):
        MultiHeadAttention(2, 2, attention_axes=3)(x, x)
    with pytest.raises(ValueError, match="accepts an inputs list of length 2 or 3"):
        MultiHeadAttention(2, 2)([x, x, x, x])
    with pytest.raises(ValueError, match=r"`query_mask` must have shape \(2, 3\)"):
        MultiHeadAttention(2, 2)(x, x, query_mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="attention mask does not fit"):
        MultiHeadAttention(2, 2)(x, x, attention_mask=np.ones((2, 3, 5), bool))
    with pytest.raises(ValueError, match="rank-3 inputs"):
        MultiHeadAttention(2, 2, attention_axes=2)(np.ones((2, 3, 3, 4)),
                                                   np.ones((2, 3, 3, 4)),
                                                   use_causal_mask=True)
    mha = MultiHeadAttention(2, 2)
    mha(x, x)
    with pytest.raises(ValueError, match="unexpected call arguments"):
        keras.layers.Layer.__call__(mha, [x, x], causal=True)


# ------------------------------------------------------------- in models
def test_self_attention_classifier_fit_learns():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6, 4)).astype("float32")
    y = (x[:, :, 0].max(axis=1) > 1.0).astype("float32")[:, None]
    inputs = keras.Input(shape=(6, 4))
    h = MultiHeadAttention(num_heads=2, key_dim=4)(inputs, inputs)
    h = keras.layers.GlobalAveragePooling1D()(h)
    outputs = keras.layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.75 * history.history["loss"][0]


def test_attention_in_functional_model_with_options_and_two_outputs():
    inputs = keras.Input(shape=(5, 3))
    out, scores = Attention(use_scale=True)([inputs, inputs], use_causal_mask=True,
                                            return_attention_scores=True)
    assert out.shape == (None, 5, 3) and scores.shape == (None, 5, 5)
    model = keras.Model(inputs, [out, scores])
    x = random_array(0, (2, 5, 3)).astype("float32")
    y, s = model.predict(x, verbose=0)
    assert np.all(np.triu(s[0], 1) == 0)
    expected = Attention(use_scale=True)([x, x], use_causal_mask=True)
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    gradcheck.assert_gradients_ok(keras.Model(inputs, out), x)


def test_mha_scores_as_a_model_output():
    inputs = keras.Input(shape=(4, 3))
    out, scores = MultiHeadAttention(2, 2)(inputs, inputs, return_attention_scores=True)
    assert scores.shape == (None, 2, 4, 4)
    pooled = keras.layers.GlobalAveragePooling1D()(out)
    model = keras.Model(inputs, [pooled, scores])
    _, s = model.predict(random_array(0, (3, 4, 3)), verbose=0)
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-6)


def test_mha_inside_a_custom_layer_trains_on_the_tape():
    class Encoder(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.attention = MultiHeadAttention(2, 3)
            self.dense = keras.layers.Dense(1)

        def call(self, x):
            h = self.attention(x, x, use_causal_mask=True)
            return self.dense(keras.ops.mean(h, axis=1))

    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 5, 3)).astype("float32")
    y = x[:, :, 1].sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input(shape=(5, 3)), Encoder()])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert len(model.trainable_weights) == 10


def test_masks_from_the_graph_reach_multi_head_attention():
    tokens = keras.Input(shape=(5,), dtype="int32")
    vectors = Embedding(10, 4, mask_zero=True)(tokens)
    mha = MultiHeadAttention(1, 4)
    model = keras.Model(tokens, mha(vectors, vectors))
    ids = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]])
    e = model.layers[1].embeddings.value[ids]
    expected = mha(e, e, query_mask=ids != 0, value_mask=ids != 0)
    np.testing.assert_allclose(model.predict(ids, verbose=0), expected, rtol=1e-6)
    assert not np.allclose(expected, mha(e, e))


def test_masks_given_as_model_inputs():
    x_in = keras.Input(shape=(4, 3))
    mask_in = keras.Input(shape=(4,))
    attention = Attention()
    mha = MultiHeadAttention(2, 2)
    out = attention([x_in, x_in], mask=[None, mask_in])
    both = mha(out, out, attention_mask=keras.layers.Reshape((1, 4))(mask_in))  # (B, 1, S)
    model = keras.Model([x_in, mask_in], both)
    x = random_array(0, (2, 4, 3)).astype("float32")
    mask = np.array([[1, 1, 0, 1], [1, 0, 0, 0]], "float32")
    expected_attention = attention([x, x], mask=[None, mask.astype(bool)])
    expected = mha(expected_attention, expected_attention,
                   attention_mask=mask.astype(bool)[:, None, :])
    np.testing.assert_allclose(model.predict([x, mask], verbose=0), expected, rtol=1e-6)
    gradcheck.assert_gradients_ok(model, [x, mask])
