"""Issue 14 against real Keras 3.15.1 (torch backend): masks, R2Score, top-k, Dice/Tversky.

Masks: every layer Keras lets consume a mask (``GlobalAveragePooling1D``, the merging
layers, RNNs, ``Bidirectional``, ``TimeDistributed``, attention, normalization, ...) is
run behind ``Embedding(mask_zero=True)`` with Keras's weights copied into ours, and
the two models must agree; the standard text classifier and a masked two-branch model
are also trained side by side.

Where kerastutor is right and Keras 3.15.1 is wrong, the last tests pin Keras's wrong
result *and* check ours against an independent reference written here, so that a Keras
fix shows up as a failing pin rather than as a silent change.

Run with KERAS_BACKEND=torch KERASTUTOR_ORACLE=1 (``tox -e keras``).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import kerastutor  # noqa: E402

RTOL, ATOL = 1e-5, 1e-5

TOKENS_A = np.array([[3, 1, 0, 0], [2, 0, 0, 0], [1, 2, 3, 4], [4, 4, 1, 0]])
TOKENS_B = np.array([[1, 0, 0, 0], [2, 3, 1, 0], [1, 2, 0, 0], [3, 0, 0, 0]])


def _numpy(t):
    return t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)


# ------------------------------------------------------------ masked average pooling
@pytest.mark.parametrize("kwargs", [{}, dict(keepdims=True),
                                    dict(data_format="channels_first")])
def test_masked_global_average_pooling1d_matches_keras(kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    mask = rng.random((3, 5)) < 0.5
    mask[:, 0] = True
    if kwargs.get("data_format") == "channels_first":
        x = np.moveaxis(x, 1, 2).copy()
    tx = torch.tensor(x, requires_grad=True)
    theirs = keras.layers.GlobalAveragePooling1D(**kwargs)(tx, mask=torch.tensor(mask))
    g = rng.normal(size=tuple(theirs.shape)).astype("float32")
    (torch.tensor(g) * theirs).sum().backward()
    layer = kerastutor.layers.GlobalAveragePooling1D(**kwargs)
    ours, cache = layer.forward(x, mask=mask)
    np.testing.assert_allclose(ours, _numpy(theirs), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(layer.backward(cache, g), _numpy(tx.grad), rtol=RTOL, atol=ATOL)


def _text_classifier(lib):
    inputs = lib.Input((4,), dtype="int32")
    h = lib.layers.Embedding(5, 3, mask_zero=True)(inputs)
    h = lib.layers.GlobalAveragePooling1D()(h)
    return lib.Model(inputs, lib.layers.Dense(1, activation="sigmoid")(h))


def _two_branch_merges(lib):
    a, b = lib.Input((4,), dtype="int32"), lib.Input((4,), dtype="int32")
    ea = lib.layers.Embedding(5, 3, mask_zero=True, name="embed_a")(a)
    eb = lib.layers.Embedding(5, 3, mask_zero=True, name="embed_b")(b)
    high = lib.layers.Maximum()([ea, eb])
    product = lib.layers.Multiply()([ea, lib.layers.Dense(3, name="mix")(eb)])
    joined = lib.layers.Concatenate(axis=1)([high, product])
    low = lib.layers.Minimum()([ea, eb])
    h = lib.layers.Concatenate()([lib.layers.GlobalAveragePooling1D()(joined),
                                  lib.layers.GlobalAveragePooling1D()(low)])
    return lib.Model([a, b], lib.layers.Dense(1, activation="sigmoid", name="out")(h))


def _copy_weights_by_layer_name(theirs, ours):
    """Layer by layer: Keras 3 lists a two-input model's layers in another order than we
    do (its second input first), so a whole-model set_weights(get_weights()) would swap
    the branches. Layers named in the builders are matched by name, the others by class
    (each model here has at most one unnamed layer of a class with weights)."""
    for layer in theirs.layers:
        if not layer.weights:
            continue
        same = [mine for mine in ours.layers if mine.name == layer.name] or \
            [mine for mine in ours.layers if type(mine).__name__ == type(layer).__name__]
        assert len(same) == 1, f"no single counterpart of {layer.name}"
        same[0].set_weights(layer.get_weights())
        layer.counterpart = same[0]


@pytest.mark.parametrize("build, x", [(_text_classifier, TOKENS_A),
                                      (_two_branch_merges, [TOKENS_A, TOKENS_B])],
                         ids=["text_classifier", "masked_merges"])
def test_masked_models_train_like_keras(build, x):
    """The issue's case: padding must not enter the mean (3e-2 off after 2 epochs before)."""
    rng = np.random.default_rng(7)
    xs = [np.tile(t, (4, 1)) for t in (x if isinstance(x, list) else [x])]
    y = rng.integers(0, 2, (len(xs[0]), 1)).astype("float32")
    theirs, ours = build(keras), build(kerastutor)
    _copy_weights_by_layer_name(theirs, ours)
    theirs.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
    ours.compile(kerastutor.optimizers.Adam(0.05), "binary_crossentropy")
    data = xs if len(xs) > 1 else xs[0]
    h_theirs = theirs.fit(data, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    h_ours = ours.fit(data, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h_ours.history["loss"], h_theirs.history["loss"], rtol=1e-4)
    for layer in theirs.layers:
        if layer.weights:
            for a, b in zip(layer.counterpart.get_weights(), layer.get_weights()):
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5, err_msg=layer.name)
    np.testing.assert_allclose(ours.predict(data, verbose=0), theirs.predict(data, verbose=0),
                               rtol=1e-4, atol=2e-5)


# Each builds ``lib``'s layers on two masked sequences (x, y); the model ends in a masked
# mean so that the mask a layer passes on is checked too.
def _rnn(lib, cls, **kw):
    return lambda x, y: getattr(lib.layers, cls)(2, return_sequences=True, **kw)(x)


MASK_CONSUMERS = {
    "Add": lambda L, x, y: L.Add()([x, y]),
    "Subtract": lambda L, x, y: L.Subtract()([x, y]),
    "Average": lambda L, x, y: L.Average()([x, y]),
    "Maximum": lambda L, x, y: L.Maximum()([x, y]),
    "Minimum": lambda L, x, y: L.Minimum()([x, y, x]),
    "Multiply": lambda L, x, y: L.Multiply()([x, y]),
    "Multiply_one_unmasked": lambda L, x, y: L.Multiply()([x, L.Reshape((4, 3))(y)]),
    "Add_one_unmasked": lambda L, x, y: L.Add()([x, L.Reshape((4, 3))(y)]),
    "Concatenate_time": lambda L, x, y: L.Concatenate(axis=1)([x, L.Reshape((4, 3))(y)]),
    "Concatenate_features": lambda L, x, y: L.Concatenate()([x, y]),
    "SimpleRNN": lambda L, x, y: L.SimpleRNN(2, return_sequences=True)(x),
    "LSTM": lambda L, x, y: L.LSTM(2, return_sequences=True)(x),
    "GRU": lambda L, x, y: L.GRU(2, return_sequences=True)(x),
    "Bidirectional": lambda L, x, y: L.Bidirectional(L.GRU(2, return_sequences=True))(x),
    "TimeDistributed": lambda L, x, y: L.TimeDistributed(L.Dense(2))(x),
    "Dense": lambda L, x, y: L.Dense(2)(x),
    "LayerNormalization": lambda L, x, y: L.LayerNormalization()(x),
    "GroupNormalization": lambda L, x, y: L.GroupNormalization(groups=1)(x),
    "UnitNormalization": lambda L, x, y: L.UnitNormalization()(x),
    "Attention": lambda L, x, y: L.Attention()([x, y]),
    "Attention_causal": lambda L, x, y: L.Attention()([x, y, x], use_causal_mask=True),
    "AdditiveAttention": lambda L, x, y: L.AdditiveAttention()([x, y]),
    "MultiHeadAttention": lambda L, x, y: L.MultiHeadAttention(2, 2)(x, y),
    "MultiHeadAttention_self": lambda L, x, y: L.MultiHeadAttention(1, 3)(x, x),
    "Dropout": lambda L, x, y: L.Dropout(0.5)(x),
    "Activation": lambda L, x, y: L.Activation("tanh")(x),
    # layers that drop the mask: the mean then covers the padding, in both
    "GlobalMaxPooling1D_then_dense": lambda L, x, y: L.Reshape((1, 3))(
        L.GlobalMaxPooling1D()(x)),
    "Conv1D": lambda L, x, y: L.Conv1D(2, 2, padding="same")(x),
    "Reshape": lambda L, x, y: L.Reshape((4, 3))(x),
}


def _masked_model(lib, name):
    a, b = lib.Input((4,), dtype="int32"), lib.Input((4,), dtype="int32")
    x = lib.layers.Embedding(5, 3, mask_zero=True, name="embed_x")(a)
    y = lib.layers.Embedding(5, 3, mask_zero=True, name="embed_y")(b)
    h = MASK_CONSUMERS[name](lib.layers, x, y)
    return lib.Model([a, b], lib.layers.GlobalAveragePooling1D()(h))


@pytest.mark.parametrize("name", sorted(MASK_CONSUMERS))
def test_layers_that_take_a_mask_match_keras(name):
    theirs, ours = _masked_model(keras, name), _masked_model(kerastutor, name)
    rng = np.random.default_rng(3)
    theirs.set_weights([rng.normal(scale=0.7, size=w.shape).astype("float32")
                        for w in theirs.get_weights()])
    _copy_weights_by_layer_name(theirs, ours)
    expected = theirs.predict([TOKENS_A, TOKENS_B], verbose=0)
    np.testing.assert_allclose(ours.predict([TOKENS_A, TOKENS_B], verbose=0), expected,
                               rtol=RTOL, atol=ATOL)


def test_masked_batchnorm_in_training_matches_keras():
    theirs, ours = (lib.Sequential([lib.Input((4,), dtype="int32"),
                                    lib.layers.Embedding(5, 3, mask_zero=True),
                                    lib.layers.BatchNormalization(),
                                    lib.layers.GlobalAveragePooling1D()])
                    for lib in (keras, kerastutor))
    ours.set_weights(theirs.get_weights())
    expected = _numpy(theirs(TOKENS_A, training=True))
    out, _ = ours.forward(TOKENS_A, training=True)
    np.testing.assert_allclose(out, expected, rtol=RTOL, atol=ATOL)


# ------------------------------------------------------------------------- metrics
@pytest.mark.parametrize("aggregation", ["uniform_average", "variance_weighted_average", None])
@pytest.mark.parametrize("regressors, weighted", [(1, False), (2, True), (5, True)])
def test_adjusted_r2_matches_keras(aggregation, regressors, weighted):
    """Keras's n is every entry of y_true seen (-2.0305 for p = 1, not -2.3818)."""
    y_true, y_pred = np.random.default_rng(0).standard_normal((2, 8, 3))
    weights = np.array([1, 0, 2, 1, 0, 1, 1, 3.0]) if weighted else None
    results = []
    for lib in (keras, kerastutor):
        m = lib.metrics.R2Score(class_aggregation=aggregation, num_regressors=regressors)
        m.update_state(y_true, y_pred, sample_weight=weights)
        m.update_state(y_true[:3], y_pred[:3])
        results.append(_numpy(m.result()))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5)

    golden = keras.metrics.R2Score(num_regressors=1)
    golden.update_state(y_true, y_pred)
    assert float(_numpy(golden.result())) == pytest.approx(-2.0304763, rel=1e-6)


def test_sparse_top_k_from_sorted_ids_matches_keras():
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 9, (20, 1))
    ids = np.stack([rng.permutation(9)[:4] for _ in range(20)])
    weights = rng.random(20)
    for k in (1, 2, 4):
        theirs = keras.metrics.SparseTopKCategoricalAccuracy(k=k, from_sorted_ids=True)
        ours = kerastutor.metrics.SparseTopKCategoricalAccuracy(k=k, from_sorted_ids=True)
        theirs.update_state(labels, ids, sample_weight=weights)
        ours.update_state(labels, ids, sample_weight=weights)
        assert ours.result() == pytest.approx(float(_numpy(theirs.result())), rel=1e-6)
        assert ours.get_config() == theirs.get_config()
    golden = keras.metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    assert float(_numpy(golden([1, 2], [[1, 0, 3], [0, 3, 2]]))) == 0.5


# -------------------------------------------------------------- Dice, Tversky weights
@pytest.mark.parametrize("cls, kwargs", [("Dice", {}), ("Tversky", dict(alpha=0.3, beta=0.7))])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum",
                                       "mean_with_sample_weight", None])
@pytest.mark.parametrize("weights", [[1.0, 0.0, 2.5], [[1.0], [0.0], [2.5]], 2.0, [3.0],
                                     [0.0, 0.0, 0.0]], ids=str)
def test_batch_wide_overlap_losses_take_sample_weights_like_keras(cls, kwargs, reduction,
                                                                   weights):
    rng = np.random.default_rng(0)
    y_true = (rng.random((3, 4, 4, 1)) > 0.5).astype("float32")
    y_pred = rng.random((3, 4, 4, 1)).astype("float32")
    weights = np.asarray(weights, "float32")
    tp = torch.tensor(y_pred, requires_grad=True)
    theirs = getattr(keras.losses, cls)(reduction=reduction, **kwargs)(y_true, tp, weights)
    loss = getattr(kerastutor.losses, cls)(reduction=reduction, **kwargs)
    np.testing.assert_allclose(loss(y_true, y_pred, weights), _numpy(theirs), rtol=RTOL,
                               atol=1e-7)
    if reduction is not None:
        theirs.backward()
        np.testing.assert_allclose(loss.gradient(y_true, y_pred, weights), _numpy(tp.grad),
                                   rtol=RTOL, atol=1e-7)


# ------------------------------------------- where Keras 3.15.1 is wrong: pinned
def _sparsemax_reference(z):
    """Sparsemax (Martins & Astudillo 2016) by sorting: tau from the support size."""
    s = np.sort(z, axis=-1)[..., ::-1]
    k = np.arange(1, z.shape[-1] + 1)
    cumulative = np.cumsum(s, axis=-1)
    support = (1 + k * s > cumulative).sum(axis=-1, keepdims=True)
    tau = (np.take_along_axis(cumulative, support - 1, axis=-1) - 1) / support
    return np.maximum(z - tau, 0)


def test_sparsemax_keras_is_wrong_ours_is_the_definition():
    z = np.array([[1.0, 0.8, -1.0], [0.5, 0.4, 0.1], [3.0, 1.0, 0.0]], "float32")
    theirs = _numpy(keras.activations.sparsemax(z))
    np.testing.assert_allclose(theirs[0], [0.1, 0.0, 0.0], atol=1e-6)   # pinned: sums to 0.1
    reference = _sparsemax_reference(z)
    np.testing.assert_allclose(reference, [[0.6, 0.4, 0.0], [0.5, 0.4, 0.1], [1.0, 0.0, 0.0]],
                               atol=1e-6)
    np.testing.assert_allclose(kerastutor.activations.sparsemax(z), reference, atol=1e-6)


def test_average_pooling_uneven_same_padding_keras_torch_is_wrong():
    """Keras's torch backend pads an uneven "same" padding by replicating the edge, so
    the last window [8, 9, pad] averages (8 + 9 + 9) / 3; TF/JAX Keras and we: 8.5."""
    x = np.arange(10, dtype="float32").reshape(1, 10, 1)
    kwargs = dict(pool_size=3, strides=2, padding="same")
    theirs = _numpy(keras.layers.AveragePooling1D(**kwargs)(x)).ravel()
    assert theirs[-1] == pytest.approx(26 / 3, rel=1e-6)                  # pinned
    reference = [np.mean(x[0, max(i, 0):i + 3, 0]) for i in range(0, 10, 2)]
    np.testing.assert_allclose(reference, [1, 3, 5, 7, 8.5])
    np.testing.assert_allclose(kerastutor.layers.AveragePooling1D(**kwargs)(x).ravel(),
                               reference, rtol=1e-6)


def test_layernorm_on_axis_1_of_rank_3_keras_torch_raises_ours_is_the_formula():
    x = np.random.default_rng(2).normal(size=(3, 4, 6)).astype("float32")
    with pytest.raises(RuntimeError, match="normalized_shape"):                # pinned
        keras.layers.LayerNormalization(axis=1)(x)
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    reference = (x - mean) / np.sqrt(var + 1e-3)
    np.testing.assert_allclose(kerastutor.layers.LayerNormalization(axis=1)(x), reference,
                               rtol=1e-5, atol=1e-5)


def test_huber_keras_forgets_delta_in_its_config_ours_keeps_it():
    config = keras.losses.Huber(delta=2.0).get_config()
    assert "delta" not in config                                             # pinned
    ours = kerastutor.losses.Huber.from_config(kerastutor.losses.Huber(delta=2.0).get_config())
    assert ours.delta == 2.0
    y_true, y_pred = np.zeros((1, 4), "float32"), np.array([[0.5, 1.5, 3.0, -4.0]], "float32")
    e = np.abs(y_pred - y_true)
    reference = np.where(e <= 2.0, 0.5 * e ** 2, 2.0 * e - 0.5 * 2.0 ** 2).mean()
    assert float(ours(y_true, y_pred)) == pytest.approx(reference, rel=1e-6)
    reloaded_keras = keras.losses.Huber.from_config(config)
    assert float(_numpy(reloaded_keras(y_true, y_pred))) != pytest.approx(reference)
