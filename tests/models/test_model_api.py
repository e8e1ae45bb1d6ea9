"""The model API the Keras guides lean on: dict outputs, ``model.input``/``output``,
``to_json``/``model_from_json``, and layer records (``keras.layers.serialize``)."""
import json

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers

X = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
Y_SMALL = np.random.default_rng(1).normal(size=(6, 1)).astype("float32")
Y_WIDE = np.random.default_rng(2).normal(size=(6, 2)).astype("float32")


def two_headed(outputs_as="dict"):
    """One input, a shared hidden layer, two heads: "small" (1 unit) and "wide" (2 units)."""
    inputs = keras.Input((3,), name="x")
    hidden = layers.Dense(4, activation="tanh", name="hidden")(inputs)
    small = layers.Dense(1, name="head_a")(hidden)
    wide = layers.Dense(2, name="head_b")(hidden)
    if outputs_as == "dict":           # keys deliberately not in sorted order
        return keras.Model(inputs, {"small": small, "wide": wide}), (small, wide)
    return keras.Model(inputs, [small, wide]), (small, wide)


# ------------------------------------------------------------------ dict outputs
def test_dict_outputs_predict_and_call_return_dicts_keyed_by_output_name():
    model, _ = two_headed("dict")
    predicted = model.predict(X, verbose=0)
    assert isinstance(predicted, dict) and sorted(predicted) == ["small", "wide"]
    assert predicted["small"].shape == (6, 1) and predicted["wide"].shape == (6, 2)
    called = model(X)
    assert isinstance(called, dict)
    np.testing.assert_allclose(called["wide"], predicted["wide"], rtol=1e-6)
    on_batch = model.predict_on_batch(X)
    np.testing.assert_allclose(on_batch["small"], predicted["small"], rtol=1e-6)


def test_dict_outputs_are_flattened_in_sorted_key_order_as_keras():
    inputs = keras.Input((3,))
    first = layers.Dense(1, name="first")(inputs)
    second = layers.Dense(2, name="second")(inputs)
    model = keras.Model(inputs, {"zz": first, "aa": second})
    assert [t.shape for t in model.outputs] == [(None, 2), (None, 1)]
    assert model.output_names == ["second", "first"]
    assert list(model.output) == ["zz", "aa"]          # model.output: as given


def test_fit_and_evaluate_take_y_loss_metrics_and_loss_weights_as_dicts():
    model, _ = two_headed("dict")
    model.compile("sgd", loss={"small": "mse", "wide": "mae"},
                  loss_weights={"small": 1.0, "wide": 0.5}, metrics={"small": ["mae"]})
    y = {"small": Y_SMALL, "wide": Y_WIDE}
    history = model.fit(X, y, epochs=2, batch_size=6, verbose=0)
    assert sorted(history.history) == ["loss", "small_loss", "small_mae", "wide_loss"]
    logs = model.evaluate(X, y, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["small_loss"] + 0.5 * logs["wide_loss"], rel=1e-5)
    # mse and mae on the same head differ, so the dict really picked each loss by name
    predicted = model.predict(X, verbose=0)
    assert logs["small_loss"] == pytest.approx(
        float(np.mean((predicted["small"] - Y_SMALL) ** 2)), rel=1e-4)
    assert logs["small_mae"] == pytest.approx(
        float(np.mean(np.abs(predicted["small"] - Y_SMALL))), rel=1e-4)


def test_y_as_a_list_follows_the_flat_output_order():
    model, _ = two_headed("dict")
    model.compile("sgd", loss="mse")
    by_dict = model.evaluate(X, {"small": Y_SMALL, "wide": Y_WIDE}, verbose=0, return_dict=True)
    by_list = model.evaluate(X, [Y_SMALL, Y_WIDE], verbose=0, return_dict=True)  # small < wide
    assert by_dict == pytest.approx(by_list)


def test_a_dict_y_with_a_missing_output_names_the_keys():
    model, _ = two_headed("dict")
    model.compile("sgd", loss="mse")
    with pytest.raises(ValueError, match=r"no entry for \['wide'\]"):
        model.fit(X, {"small": Y_SMALL}, verbose=0)


def test_list_outputs_keep_returning_lists():
    model, _ = two_headed("list")
    predicted = model.predict(X, verbose=0)
    assert isinstance(predicted, list) and [p.shape for p in predicted] == [(6, 1), (6, 2)]
    assert isinstance(model(X), list)
    model.compile("sgd", loss={"head_a": "mse", "head_b": "mse"})   # by output layer name
    logs = model.evaluate(X, {"head_a": Y_SMALL, "head_b": Y_WIDE}, verbose=0, return_dict=True)
    assert sorted(logs) == ["head_a_loss", "head_b_loss", "loss"]


def test_dict_output_model_config_round_trip_keeps_the_dict():
    model, _ = two_headed("dict")
    config = model.get_config()
    assert config["output_layers"] == {"small": ["head_a", 0, 0], "wide": ["head_b", 0, 0]}
    assert config["input_layers"] == ["x", 0, 0]           # one tensor: one reference
    clone = keras.Model.from_config(config)
    clone.set_weights(model.get_weights())
    predicted, again = model.predict(X, verbose=0), clone.predict(X, verbose=0)
    assert sorted(again) == ["small", "wide"]
    np.testing.assert_allclose(again["wide"], predicted["wide"], rtol=1e-6)


def test_a_model_with_dict_outputs_nested_in_another_returns_a_dict_of_tensors():
    inner, _ = two_headed("dict")
    outer_input = keras.Input((3,))
    out = inner(outer_input)
    assert sorted(out) == ["small", "wide"] and out["wide"].shape == (None, 2)
    outer = keras.Model(outer_input, out["wide"])
    np.testing.assert_allclose(outer.predict(X, verbose=0), inner.predict(X, verbose=0)["wide"],
                               rtol=1e-6)


def test_dict_inputs_are_matched_by_key():
    b, a = keras.Input((2,), name="bb"), keras.Input((3,), name="aa")
    merged = layers.Concatenate()([b, a])
    model = keras.Model({"zb": b, "ya": a}, layers.Dense(1)(merged))
    assert [t.name for t in model.inputs] == ["aa", "bb"]       # sorted keys: ya, zb
    data = {"zb": np.ones((2, 2), "float32"), "ya": np.zeros((2, 3), "float32")}
    np.testing.assert_allclose(model(data), model.predict(data, verbose=0), rtol=1e-6)
    assert model.get_config()["input_layers"] == {"zb": ["bb", 0, 0], "ya": ["aa", 0, 0]}


# ------------------------------------------------------------- input and output
def test_functional_input_and_output_are_the_structures_given():
    model, (small, wide) = two_headed("dict")
    assert model.input is model.inputs[0]
    assert model.output == {"small": small, "wide": wide}
    listed, _ = two_headed("list")
    assert isinstance(listed.output, list) and len(listed.output) == 2
    one = keras.Input((3,))
    out = layers.Dense(2)(one)
    assert keras.Model([one], [out]).input == [one]      # a list of one stays a list
    assert keras.Model(one, out).output is out


def test_sequential_has_inputs_and_outputs_but_input_only_once_called_as_keras():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])
    assert model.inputs[0].shape == (None, 3) and model.outputs[0].shape == (None, 2)
    with pytest.raises(AttributeError, match=r"has never been called.*model\.inputs"):
        model.input
    with pytest.raises(AttributeError, match=r"model\.outputs"):
        model.output
    symbolic = keras.Input((3,))
    result = model(symbolic)
    assert model.input is symbolic and model.output is result


def test_layer_input_and_output_extract_features_as_in_the_guides():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, name="a"),
                              layers.Dense(2, name="b")])
    extractor = keras.Model(inputs=model.inputs,
                            outputs=[layer.output for layer in model.layers])
    features = extractor.predict(X, verbose=0)
    assert [f.shape for f in features] == [(6, 4), (6, 2)]
    np.testing.assert_allclose(features[-1], model.predict(X, verbose=0), rtol=1e-6)
    functional, _ = two_headed("dict")
    hidden = functional.get_layer("hidden")
    assert hidden.input is functional.input and hidden.output.shape == (None, 4)
    with pytest.raises(AttributeError, match="never been called"):
        layers.Dense(3).output


# ------------------------------------------------------- to_json / model_from_json
def test_to_json_is_keras_record_and_model_from_json_rebuilds_it():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="relu", name="d1")],
                             name="seq")
    record = json.loads(model.to_json())
    assert {k: record[k] for k in ("module", "class_name", "registered_name")} == \
        {"module": "keras", "class_name": "Sequential", "registered_name": None}
    assert record["build_config"] == {"input_shape": [None, 3]}
    assert record["compile_config"] == {}
    assert record["config"]["layers"][0]["class_name"] == "InputLayer"
    clone = keras.models.model_from_json(model.to_json())
    assert clone.built and [w.shape for w in clone.weights] == [(3, 2), (2,)]
    assert clone.get_config() == model.get_config()


def test_functional_to_json_names_the_class_functional():
    model, _ = two_headed("list")
    record = json.loads(model.to_json())
    assert (record["module"], record["class_name"], record["registered_name"]) == \
        ("keras.src.models.functional", "Functional", "Functional")
    assert record["build_config"] == {"input_shape": None}
    clone = keras.models.model_from_json(model.to_json(indent=2))
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]


def test_model_from_json_comes_back_compiled_and_takes_custom_objects():
    class Double(layers.Layer):
        def call(self, x):
            return 2 * x

    model = keras.Sequential([keras.Input((3,)), Double(), layers.Dense(1)])
    model.compile("adam", "mse", metrics=["mae"])
    text = model.to_json()
    with pytest.raises(ValueError, match="custom_objects"):
        keras.models.model_from_json(text)
    clone = keras.models.model_from_json(text, custom_objects={"Double": Double})
    assert isinstance(clone.layers[0], Double)
    assert clone.compiled and type(clone.optimizer).__name__ == "Adam"
    clone.fit(X, Y_SMALL, epochs=1, verbose=0)


# ----------------------------------------------------------- layer records
def test_nested_layers_serialize_to_plain_keras_records():
    bidirectional = layers.Bidirectional(layers.LSTM(2, name="l"), name="bi")
    record = keras.layers.serialize(bidirectional)
    assert json.loads(json.dumps(record)) == record                  # plain data only
    assert (record["module"], record["class_name"], record["registered_name"]) == \
        ("keras.layers", "Bidirectional", None)
    inner = record["config"]["layer"]
    assert (inner["module"], inner["class_name"]) == ("keras.layers", "LSTM")
    assert record["config"]["backward_layer"]["config"]["go_backwards"] is True
    assert "build_config" not in record                             # not built yet
    bidirectional(np.ones((1, 4, 3), "float32"))
    built = keras.layers.serialize(bidirectional)
    assert built["build_config"]["input_shape"][1:] == [4, 3]
    assert built["config"]["layer"]["build_config"]["input_shape"][1:] == [4, 3]
    rebuilt = keras.layers.deserialize(built)
    assert type(rebuilt.forward_layer).__name__ == "LSTM"


def test_time_distributed_record_nests_its_layer():
    wrapper = layers.TimeDistributed(layers.Dense(2, name="dd"), name="td")
    record = keras.layers.serialize(wrapper)
    assert record["config"]["layer"]["class_name"] == "Dense"
    assert record["config"]["layer"]["config"]["units"] == 2
    assert keras.layers.deserialize(record).layer.units == 2


# ------------------------------------------------------------------ evaluate's list order
def _three_output_model():
    inp = keras.Input((3,), name="x")
    out = {"price": layers.Dense(1, name="p", kernel_initializer="ones")(inp),
           "kind": layers.Dense(2, activation="softmax", name="k",
                                kernel_initializer="ones")(inp),
           "aux": layers.Dense(1, name="a", kernel_initializer="zeros")(inp)}
    return keras.Model(inp, out)


def test_evaluate_lists_output_losses_in_loss_order_and_metrics_sorted_as_keras():
    """Keras 3.15.1 (torch) printed [2.4281 0.3 1.435 0.6931 0.09 1. 1.435] for this:
    loss, then aux/price/kind losses in the loss dict's order, then the metrics sorted
    by name (aux_mse, price_mae, price_mse) -- not in the order given to compile."""
    model = _three_output_model()
    x = np.arange(12, dtype="float32").reshape(4, 3) / 10
    y = {"price": np.ones((4, 1)), "kind": np.array([0, 1, 0, 1]), "aux": np.full((4, 1), 0.3)}
    model.compile("sgd", loss={"aux": "mae", "price": "mse",
                               "kind": "sparse_categorical_crossentropy"},
                  metrics={"price": ["mse", "mae"], "aux": ["mse"]})
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0),
                               [2.4281, 0.3, 1.435, 0.6931, 0.09, 1.0, 1.435], atol=1e-4)


def test_metrics_names_list_each_outputs_loss_after_compile_metrics():
    inp = keras.Input((3,))
    model = keras.Model(inp, [layers.Dense(1, name="p")(inp), layers.Dense(2, name="k")(inp)])
    model.compile("sgd", loss=["mse", "mse"], metrics=[["mae"], ["mae"]])
    model.evaluate(np.ones((2, 3)), [np.ones((2, 1)), np.ones((2, 2))], verbose=0)
    assert model.metrics_names == ["loss", "compile_metrics", "p_loss", "k_loss"]


def test_a_loss_dict_missing_an_output_is_refused_with_the_fix():
    model = _three_output_model()
    model.compile("sgd", loss={"price": "mse"})
    y = {"price": np.ones((4, 1)), "kind": np.array([0, 1, 0, 1]), "aux": np.zeros((4, 1))}
    with pytest.raises(ValueError, match=r"no entry for the output\(s\) \['aux', 'kind'\].*"
                                         r"loss_weights=\{'aux': 0.0\}"):
        model.fit(np.ones((4, 3)), y, verbose=0)
