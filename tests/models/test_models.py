"""Sequential and functional models: building, graphs, weights, summary, configs."""
import json

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import gradcheck, layers


def test_sequential_three_ways_give_the_same_graph():
    a = keras.Sequential([keras.Input((8,)), layers.Dense(4), layers.Dense(2)])
    b = keras.Sequential([layers.Dense(4, input_shape=(8,)), layers.Dense(2)])
    c = keras.Sequential()
    c.add(layers.Dense(4, input_dim=8))
    c.add(layers.Dense(2))
    for model in (a, b, c):
        assert model.built and model.output_shape == (None, 2)
        assert [w.shape for w in model.weights] == [(8, 4), (4,), (4, 2), (2,)]


def test_deferred_sequential_builds_on_first_data():
    model = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    assert not model.built
    out = model(np.ones((3, 5), "float32"))
    assert out.shape == (3, 2) and model.built
    assert model.input_shape == (None, 5)


def test_sequential_pop_and_layers_exclude_input():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])
    assert [type(l).__name__ for l in model.layers] == ["Dense", "Dense"]
    model.pop()
    assert model.output_shape == (None, 4)


def test_layer_names_are_unique_per_session():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])
    assert [l.name for l in model.layers] == ["dense", "dense_1"]
    assert model.name == "sequential"


def test_get_and_set_weights_round_trip():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])
    new = [np.full(w.shape, i, "float32") for i, w in enumerate(model.weights)]
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="expected a list of 2"):
        model.layers[0].set_weights([np.zeros((3, 4))])


def test_functional_multi_input_multi_output_and_shared_layer():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    shared = layers.Dense(3, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)          # the same weights used twice
    out1 = layers.Dense(2, name="out1")(ha)
    out2 = layers.Dense(1, name="out2")(hb)
    model = keras.Model([a, b], [out1, out2])
    assert len(model.weights) == 6
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    y1, y2 = model([xa, xb])
    assert y1.shape == (5, 2) and y2.shape == (5, 1)
    # The shared kernel's gradient is the sum over both uses: gradcheck proves it.
    gradcheck.assert_gradients_ok(model, [xa, xb])


def test_nested_model_is_a_layer():
    inner = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="tanh")],
                             name="inner")
    x = keras.Input((3,))
    y = layers.Dense(1)(inner(x))
    outer = keras.Model(x, y)
    assert outer.output_shape == (None, 1)
    assert len(outer.weights) == 4
    gradcheck.assert_gradients_ok(outer, np.random.default_rng(0).normal(size=(2, 3)))


def test_graph_disconnected_error_names_the_missing_input():
    a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
    out = layers.Dense(1)(b)
    with pytest.raises(ValueError, match="Graph disconnected.*'b'"):
        keras.Model(a, out)


SUMMARY_8_16_3 = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 16)             │           144 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 3)              │            51 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 195 (780.00 B)
 Trainable params: 195 (780.00 B)
 Non-trainable params: 0 (0.00 B)
"""


def test_summary_matches_keras_layout(capsys):
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"),
                              layers.Dense(3, activation="softmax")])
    model.summary()
    assert capsys.readouterr().out.rstrip("\n") == SUMMARY_8_16_3.rstrip("\n")


def test_summary_after_fit_counts_optimizer_params(capsys):
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"),
                              layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(np.ones((4, 8), "float32"), np.array([0, 1, 2, 0]), verbose=0)
    model.summary()
    out = capsys.readouterr().out
    # 1 iteration + 1 learning rate + 2 slots per parameter.
    assert " Optimizer params: 392 (1.53 KB)" in out
    assert " Total params: 587 (2.29 KB)" in out


def test_summary_of_unbuilt_model_explains_the_three_remedies():
    model = keras.Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match=r"keras.Input.*model.build.*call the model"):
        model.summary()


def test_sequential_config_matches_keras_json():
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"),
                              layers.Dense(3, activation="softmax")])
    config = model.get_config()
    assert config["name"] == "sequential" and config["build_input_shape"] == [None, 8]
    first, dense = config["layers"][0], config["layers"][1]
    assert first["class_name"] == "InputLayer"
    assert first["config"] == {"batch_shape": [None, 8], "dtype": "float32", "sparse": False,
                               "ragged": False, "name": "input_layer", "optional": False}
    assert dense["build_config"] == {"input_shape": [None, 8]}
    assert dense["config"]["activation"] == "relu"
    assert dense["config"]["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert dense["config"]["dtype"]["config"]["name"] == "float32"
    json.dumps(config)                                  # plain JSON, no objects


def test_config_round_trip_gives_the_same_function():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(5, activation="tanh"),
                              layers.Dropout(0.3), layers.Dense(2)])
    clone = keras.Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_functional_config_round_trip():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    shared = layers.Dense(2, name="shared")
    out = layers.Dense(1, name="head")(shared(a))
    out2 = shared(b)
    model = keras.Model([a, b], [out, out2], name="two_heads")
    config = json.loads(json.dumps(model.get_config()))
    clone = keras.Model.from_config(config)
    clone.set_weights(model.get_weights())
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    for got, want in zip(clone([xa, xb]), model([xa, xb])):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    assert len(clone.weights) == 4                      # still shared


def test_model_gradcheck_through_a_loss():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="tanh"),
                              layers.Dense(3, activation="softmax")])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3))
    y = keras.utils.to_categorical(rng.integers(0, 3, 5), 3)
    gradcheck.assert_gradients_ok(model, x, y=y,
                                  loss=keras.losses.CategoricalCrossentropy())
