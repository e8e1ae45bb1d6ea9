"""Embedding and Masking: look-ups, scatter-add gradients, masks, configs, a model fit."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.embedding import Embedding, Masking, scatter_add_rows
from kerastutor.layers.pooling import GlobalAveragePooling1D
from helpers import random_array
from strategies import SEEDS, shapes


# ---------------------------------------------------------------- Embedding
def test_lookup_returns_the_rows_of_the_table():
    table = np.arange(12, dtype="float32").reshape(4, 3)
    layer = Embedding(4, 3, weights=table)
    assert layer.built                                    # weights= builds at once
    ids = np.array([[0, 2], [3, 3]])
    np.testing.assert_array_equal(layer(ids), [[[0, 1, 2], [6, 7, 8]],
                                               [[9, 10, 11], [9, 10, 11]]])
    same = Embedding(4, 3, weights=[table])               # a list of one array, as Keras
    np.testing.assert_array_equal(same(ids), layer(ids))


def test_defaults_and_weight_follow_keras():
    layer = Embedding(1000, 64)
    layer.build((None, 10))
    assert [w.name for w in layer.weights] == ["embeddings"]
    assert layer.embeddings.shape == (1000, 64)
    assert layer.embeddings.value.dtype == np.float32
    assert layer.count_params() == 64000
    values = layer.embeddings.value
    assert values.min() >= -0.05 and values.max() <= 0.05       # "uniform": +-0.05
    assert values.std() > 0.02                                   # and really spread out
    assert layer.mask_zero is False and Embedding.accepts_integer_inputs is True


@pytest.mark.parametrize("shape", [(5,), (32, 10), (2, 3, 4)])
def test_golden_shapes_any_input_rank(shape):
    layer = Embedding(50, 6)
    ids = np.random.default_rng(0).integers(0, 50, size=shape)
    y = layer(ids)
    assert y.shape == shape + (6,)
    assert layer.compute_output_shape((None,) + shape[1:]) == (None,) + shape[1:] + (6,)
    np.testing.assert_array_equal(y, layer.embeddings.value[ids])


def test_float_inputs_holding_integers_are_accepted():
    layer = Embedding(10, 4)
    ids = np.array([[1, 9], [0, 4]])
    np.testing.assert_array_equal(layer(ids.astype("float32")), layer(ids))
    y, cache = layer.forward(ids.astype("float64"))
    np.testing.assert_array_equal(y, layer(ids))
    assert cache.dtype.kind == "i"


def test_compute_mask():
    ids = np.array([[3, 1, 0, 0], [2, 0, 5, 0]])
    masked = Embedding(6, 2, mask_zero=True)
    np.testing.assert_array_equal(masked.compute_mask(ids),
                                  [[True, True, False, False], [True, False, True, False]])
    assert masked.supports_masking
    plain = Embedding(6, 2)
    assert plain.compute_mask(ids) is None and not plain.supports_masking
    # the mask changes nothing in the vectors themselves: row 0 is still looked up
    np.testing.assert_array_equal(masked(ids)[0, 2], masked.embeddings.value[0])


def test_backward_scatter_adds_repeated_ids_and_returns_none():
    layer = Embedding(5, 2)
    layer.build()
    ids = np.array([[1, 3, 1], [1, 0, 3]])
    y, cache = layer.forward(ids)
    g = random_array(0, y.shape).astype("float32")
    layer.embeddings.zero_grad()
    assert layer.backward(cache, g) is None              # integer ids: no gradient
    expected = np.zeros((5, 2), "float32")
    for n in range(2):
        for t in range(3):
            expected[ids[n, t]] += g[n, t]
    np.testing.assert_allclose(layer.embeddings.grad, expected, rtol=1e-6)
    assert not layer.embeddings.grad[[2, 4]].any()       # ids absent from the batch
    layer.backward(cache, g)                             # backward ADDS (shared layers)
    np.testing.assert_allclose(layer.embeddings.grad, 2 * expected, rtol=1e-6)


@given(rows=st.integers(1, 6), dim=st.integers(1, 4), count=st.integers(0, 30),
       seed=SEEDS)
def test_scatter_add_rows_equals_np_add_at(rows, dim, count, seed):
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, rows, size=count)
    values = rng.normal(size=(count, dim))
    start = rng.normal(size=(rows, dim))
    expected = start.copy()
    np.add.at(expected, indices, values)
    result = start.copy()
    scatter_add_rows(result, indices, values)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


@st.composite
def embedding_cases(draw):
    input_dim = draw(st.integers(1, 8))
    output_dim = draw(st.integers(1, 4))
    shape = tuple(draw(shapes(1, 3, max_side=4)))
    seed = draw(SEEDS)
    return input_dim, output_dim, shape, seed


@given(case=embedding_cases())
def test_embedding_weight_gradient(case):
    input_dim, output_dim, shape, seed = case
    layer = Embedding(input_dim, output_dim, embeddings_initializer="random_normal")
    ids = np.random.default_rng(seed).integers(0, input_dim, size=shape)
    report = gradcheck.assert_gradients_ok(layer, ids, seed=seed)
    assert [entry.name for entry in report.entries] == ["embeddings"]   # ids not checked


# ------------------------------------------------------------------ Masking
def test_masking_zeroes_steps_whose_features_all_equal_mask_value():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]],
                  [[0.0, 0.0], [5.0, 0.0], [0.0, 0.0]]], "float32")
    layer = Masking()
    np.testing.assert_array_equal(layer.compute_mask(x),
                                  [[True, False, True], [False, True, False]])
    np.testing.assert_array_equal(layer(x), x)            # masked steps were zero anyway
    assert layer(x).dtype == np.float32


def test_masking_with_a_nonzero_mask_value():
    x = np.array([[[-1.0, -1.0], [2.0, -1.0], [-1.0, -1.0]]], "float32")
    layer = Masking(mask_value=-1.0)
    np.testing.assert_array_equal(layer.compute_mask(x), [[False, True, False]])
    np.testing.assert_array_equal(layer(x), [[[0, 0], [2, -1], [0, 0]]])


def test_masking_backward_passes_gradient_to_unmasked_steps_only():
    x = np.array([[[1.0, 2.0], [7.0, 7.0], [7.0, 3.0]]])
    layer = Masking(mask_value=7.0)
    y, cache = layer.forward(x)
    g = random_array(1, y.shape)
    dx = layer.backward(cache, g)
    np.testing.assert_array_equal(dx[0, 1], 0)
    np.testing.assert_array_equal(dx[0, [0, 2]], g[0, [0, 2]])


@given(shape=st.sampled_from([(2, 3, 4), (1, 5, 1), (3, 2, 2, 3)]), seed=SEEDS)
def test_masking_gradients(shape, seed):
    # random values: no step equals mask_value, where the output jumps
    gradcheck.assert_gradients_ok(Masking(mask_value=0.5), random_array(seed, shape),
                                  seed=seed)


# ------------------------------------------------------------------- config
def test_embedding_config_round_trip():
    layer = Embedding(20, 3, mask_zero=True, embeddings_regularizer="l2",
                      embeddings_constraint="unit_norm")
    ids = np.array([[1, 2, 0], [19, 4, 4]])
    y = layer(ids)
    config = layer.get_config()
    assert config["input_dim"] == 20 and config["output_dim"] == 3
    assert config["mask_zero"] is True
    assert config["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert config["embeddings_initializer"]["config"]["minval"] == -0.05
    assert config["embeddings_regularizer"]["class_name"] == "L2"
    assert config["embeddings_constraint"]["class_name"] == "UnitNorm"
    assert config["activity_regularizer"] is None and config["quantization_config"] is None
    clone = Embedding.from_config(config)
    assert clone.get_config() == config
    clone.build()
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(ids), y)


def test_masking_config_round_trip():
    config = Masking(mask_value=-1.0).get_config()
    assert config["mask_value"] == -1.0
    assert Masking.from_config(config).get_config() == config


# ------------------------------------------------------------------- errors
def test_embedding_kind_errors():
    layer = Embedding(10, 4, name="words")
    with pytest.raises(ValueError, match='"words".*id 12 .*input_dim=10.*Hint'):
        layer(np.array([[1, 12]]))
    with pytest.raises(ValueError, match='"words".*id -1 .*negative'):
        layer(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match='"words".*integer ids.*0.5'):
        layer(np.array([[0.5, 2.0]]))
    with pytest.raises(ValueError, match="integer ids.*nan"):
        layer.forward(np.array([np.nan]))
    with pytest.raises(TypeError, match='"words".*dtype <U'):
        layer.forward(np.array(["cat", "dog"]))
    with pytest.raises(ValueError, match="input_dim.*positive integer.*0"):
        Embedding(0, 4)
    with pytest.raises(ValueError, match="output_dim.*positive integer.*2.5"):
        Embedding(10, 2.5)
    with pytest.raises(ValueError, match="mask_zero.*True or False"):
        Embedding(10, 4, mask_zero="yes")
    with pytest.raises(ValueError, match="LoRA"):
        Embedding(10, 4, lora_rank=2)
    with pytest.raises(ValueError, match="embeddings.*\\(10, 4\\).*\\(4, 10\\)"):
        Embedding(10, 4, weights=np.zeros((4, 10)))
    with pytest.warns(UserWarning, match="input_length"):
        Embedding(10, 4, input_length=5)


def test_masking_kind_errors():
    with pytest.raises(ValueError, match="Masking.*mask_value.*'zero'"):
        Masking(mask_value="zero")


# ----------------------------------------------------------------- in a model
def _token_data(samples=256, steps=6, vocab=20, seed=0):
    """Label 1 when the sequence holds more "positive" tokens (ids < 10) than not."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, size=(samples, steps))
    y = ((x < 10).sum(axis=1) > steps / 2).astype("int64")
    return x, y


@pytest.mark.parametrize("pooling", ["flatten", "global_average"])
def test_embedding_model_fit_on_integer_data(pooling):
    x, y = _token_data()
    reduce = keras.layers.Flatten() if pooling == "flatten" else GlobalAveragePooling1D()
    model = keras.Sequential([
        keras.Input((6,), dtype="int32"),
        Embedding(20, 8),
        reduce,
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    embedding = model.layers[0]
    before = embedding.embeddings.value.copy()
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert history.history["accuracy"][-1] > 0.8
    # only the rows of ids that occur (1..19) were trained; id 0 never appears
    np.testing.assert_array_equal(embedding.embeddings.value[0], before[0])
    assert not np.allclose(embedding.embeddings.value[1:], before[1:])
    assert model.predict(x[:4], verbose=0).shape == (4, 2)


def test_embedding_in_functional_model_fit():
    x, y = _token_data(seed=1)
    inputs = keras.Input((6,), dtype="int32")
    h = GlobalAveragePooling1D()(Embedding(20, 4)(inputs))
    outputs = keras.layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy")
    history = model.fit(x, y.astype("float32"), epochs=10, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]


def test_masking_mask_reaches_the_next_layers_in_a_model():
    from kerastutor.layers.activation_layers import Softmax
    inputs = keras.Input((3, 2))
    outputs = Softmax()(keras.layers.Dense(4)(Masking(mask_value=-1.0)(inputs)))
    model = keras.Model(inputs, outputs)
    x = np.array([[[0.5, 1.0], [-1.0, -1.0], [2.0, -1.0]]], "float32")
    y = model.predict(x, verbose=0)
    np.testing.assert_allclose(y.sum(axis=-1), [[1, 0, 1]], rtol=1e-6)


def test_model_config_round_trip_rebuilds_the_layers():
    from kerastutor.layers.activation_layers import PReLU, Softmax
    model = keras.Sequential([keras.Input((5,), dtype="int32"),
                              Embedding(12, 4, mask_zero=True), GlobalAveragePooling1D(),
                              keras.layers.Dense(3), PReLU(), Softmax()])
    clone = keras.Sequential.from_config(model.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == \
        ["Embedding", "GlobalAveragePooling1D", "Dense", "PReLU", "Softmax"]
    assert clone.layers[0].mask_zero is True
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).integers(0, 12, size=(3, 5))
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
