"""fit / evaluate / predict against numbers Keras 3 itself produced (keras-spec §8.5)."""
import re

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers

X_SMALL = np.array([[.1, .2], [.3, .4], [.5, .6], [.7, .8], [.9, 1.0]], dtype="float32")
Y_SMALL = np.array([[1], [2], [3], [4], [5]], dtype="float32")


def one_unit_model():
    return keras.Sequential([keras.Input((2,)),
                             layers.Dense(1, kernel_initializer="ones",
                                          bias_initializer="zeros")])


@pytest.mark.parametrize("make_optimizer, losses, kernel, bias", [
    (lambda: keras.optimizers.SGD(0.01), [4.124962, 3.285736],
     [1.1608462, 1.1840471], [0.2320079]),
    (lambda: keras.optimizers.Adam(0.1), [3.318729, 1.574417],
     [1.5084081, 1.5169615], [0.5637549]),
    (lambda: keras.optimizers.RMSprop(0.01), [3.986318, 3.494462],
     [1.1282688, 1.1285484], [0.1282629]),
    (lambda: keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True), [3.920729, 1.696436],
     [1.4772037, 1.5498853], [0.7268153]),
])
def test_two_epochs_match_keras(make_optimizer, losses, kernel, bias):
    model = one_unit_model()
    model.compile(make_optimizer(), "mse")
    history = model.fit(X_SMALL, Y_SMALL, batch_size=2, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)
    w, b = model.get_weights()
    np.testing.assert_allclose(w[:, 0], kernel, rtol=1e-5)
    np.testing.assert_allclose(b, bias, rtol=1e-5)


def test_evaluate_after_nesterov_matches_keras():
    model = one_unit_model()
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True), "mse")
    model.fit(X_SMALL, Y_SMALL, batch_size=2, epochs=2, shuffle=False, verbose=0)
    assert model.evaluate(X_SMALL, Y_SMALL, batch_size=2, verbose=0) == \
        pytest.approx(0.6769940, rel=1e-5)


def test_validation_split_takes_the_last_rows_before_shuffling():
    x = np.array([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], dtype="float32")
    model = one_unit_model()
    model.compile(keras.optimizers.SGD(0.0), "mse")
    history = model.fit(x, Y_SMALL, batch_size=2, epochs=1, validation_split=0.4, verbose=0)
    assert history.history == {"loss": [pytest.approx(31.0)],
                               "val_loss": [pytest.approx(158.5)]}


def test_class_weight_weights_the_loss_but_not_the_metrics():
    model = keras.Sequential([keras.Input((2,)), layers.Dense(
        1, activation="sigmoid", kernel_initializer=keras.initializers.Constant(0.1))])
    model.compile(keras.optimizers.SGD(0.0), "binary_crossentropy", metrics=["accuracy"])
    y = np.array([0, 1, 0, 1, 1], dtype="float32")
    history = model.fit(X_SMALL, y, batch_size=5, class_weight={0: 2.0, 1: 0.5}, verbose=0)
    assert history.history["loss"][0] == pytest.approx(0.7714044, rel=1e-5)
    assert history.history["accuracy"][0] == pytest.approx(0.6)


def test_history_keys_are_sorted_and_params_recorded():
    model = keras.Sequential([layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(20, 4)).astype("float32")
    y = np.arange(20) % 3
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.epoch == [0, 1, 2]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 1}
    assert all(len(v) == 3 for v in history.history.values())
    assert model.history is history


def test_acc_string_keeps_its_name():
    model = keras.Sequential([layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(np.ones((4, 2), "float32"), np.array([0, 1, 2, 0]), verbose=0)
    assert sorted(history.history) == ["acc", "loss"]


def test_evaluate_returns_scalar_list_or_dict():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(10, 4)).astype("float32"), np.arange(10) % 3
    model = keras.Sequential([layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, verbose=0)
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(as_dict) == ["accuracy", "loss"]
    assert as_dict["loss"] == pytest.approx(result[0])
    assert as_dict["accuracy"] == pytest.approx(result[1])


def test_metrics_names_follow_keras():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert model.metrics_names == ["loss"]
    model.fit(np.ones((3, 4), "float32"), np.array([0, 1, 2]), verbose=0)
    assert model.metrics_names == ["loss", "compile_metrics"]


def test_predict_is_batched_and_matches_a_direct_call():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(70, 5)).astype("float32")
    model = keras.Sequential([keras.Input((5,)), layers.Dense(4, activation="relu"),
                              layers.Dense(2)])
    out = model.predict(x, batch_size=16, verbose=0)
    assert out.shape == (70, 2) and out.dtype == np.float32
    np.testing.assert_allclose(out, model(x), rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x[:3]), out[:3], rtol=1e-6)


def test_train_and_test_on_batch():
    model = one_unit_model()
    model.compile(keras.optimizers.SGD(0.01), "mse")
    first = model.test_on_batch(X_SMALL, Y_SMALL)
    loss = model.train_on_batch(X_SMALL, Y_SMALL)
    assert loss == pytest.approx(first)               # the loss before the update
    assert model.test_on_batch(X_SMALL, Y_SMALL) < first


def test_epochs_is_an_end_index_with_initial_epoch():
    model = one_unit_model()
    model.compile("sgd", "mse")
    history = model.fit(X_SMALL, Y_SMALL, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]


def test_sample_weight_divides_by_the_number_of_samples():
    model = one_unit_model()
    model.compile(keras.optimizers.SGD(0.0), "mse")
    sw = np.array([1, 0, 0, 0, 2], dtype="float32")
    history = model.fit(X_SMALL, Y_SMALL, sample_weight=sw, batch_size=5, verbose=0)
    errors = (X_SMALL.sum(axis=1) - Y_SMALL[:, 0]) ** 2
    assert history.history["loss"][0] == pytest.approx((errors * sw).sum() / 5, rel=1e-5)


def test_same_seed_same_training():
    def run():
        keras.utils.set_random_seed(7)
        model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                                  layers.Dropout(0.5), layers.Dense(3, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
        model.fit(x, np.arange(64) % 3, epochs=2, verbose=0)
        return model.get_weights()
    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_verbose_2_prints_one_line_per_epoch(capsys):
    model = one_unit_model()
    model.compile("sgd", "mse")
    model.fit(X_SMALL, Y_SMALL, epochs=2, batch_size=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert re.search(r"3/3 - \d+s - \d+(us|ms)/step - loss: \d+\.\d{4}", out)


def test_verbose_1_draws_the_bar(capsys):
    model = one_unit_model()
    model.compile("sgd", "mse")
    model.fit(X_SMALL, Y_SMALL, epochs=1, batch_size=2, verbose=1)
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert "Epoch" not in out                          # only printed when epochs > 1
    assert "3/3 ━━━━━━━━━━━━━━━━━━━━" in out


def test_steps_per_epoch_continues_across_epochs():
    model = one_unit_model()
    model.compile(keras.optimizers.SGD(0.0), "mse")
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    model.fit(X_SMALL, Y_SMALL, batch_size=2, epochs=2, steps_per_epoch=2, shuffle=False,
              verbose=0, callbacks=[Record()])
    # epoch 1 takes batches [0:2], [2:4]; epoch 2 starts with the remaining [4:5].
    errors = (X_SMALL.sum(axis=1) - Y_SMALL[:, 0]) ** 2
    assert seen[2] == pytest.approx(errors[4], rel=1e-5)


def test_callbacks_see_every_hook_in_order():
    calls = []

    class Spy(keras.callbacks.Callback):
        def on_train_begin(self, logs=None): calls.append("train_begin")
        def on_epoch_begin(self, epoch, logs=None): calls.append(f"epoch_begin{epoch}")
        def on_train_batch_end(self, batch, logs=None): calls.append(f"batch{batch}")
        def on_epoch_end(self, epoch, logs=None): calls.append(f"epoch_end{epoch}")
        def on_train_end(self, logs=None): calls.append("train_end")

    model = one_unit_model()
    model.compile("sgd", "mse")
    model.fit(X_SMALL, Y_SMALL, batch_size=3, epochs=1, verbose=0, callbacks=[Spy()])
    assert calls == ["train_begin", "epoch_begin0", "batch0", "batch1", "epoch_end0",
                     "train_end"]


def test_stop_training_from_a_callback():
    class StopAfterFirst(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = True

    model = one_unit_model()
    model.compile("sgd", "mse")
    history = model.fit(X_SMALL, Y_SMALL, epochs=10, verbose=0, callbacks=[StopAfterFirst()])
    assert history.epoch == [0]


def test_compile_default_optimizer_is_rmsprop():
    model = one_unit_model()
    model.compile(loss="mse")
    assert type(model.optimizer).__name__ == "RMSprop"


def test_crossentropy_alias_is_chosen_by_shape():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "crossentropy")
    model.fit(np.ones((3, 4), "float32"), np.array([0, 1, 2]), verbose=0)
    assert type(model._compiled.losses[0]).__name__ == "SparseCategoricalCrossentropy"


def test_multi_output_losses_and_loss_weights():
    inp = keras.Input((3,), name="features")
    hidden = layers.Dense(4, activation="tanh")(inp)
    a = layers.Dense(1, name="price")(hidden)
    b = layers.Dense(2, activation="softmax", name="kind")(hidden)
    model = keras.Model(inp, [a, b])
    model.compile("sgd", loss={"price": "mse", "kind": "sparse_categorical_crossentropy"},
                  loss_weights={"price": 2.0, "kind": 1.0})
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    ya, yb = rng.normal(size=(8, 1)).astype("float32"), np.arange(8) % 2
    logs = model.evaluate(x, {"price": ya, "kind": yb}, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "price_loss", "kind_loss"}
    # Keras 3.15.1 logs each output's loss unweighted; the total weighs them
    assert logs["loss"] == pytest.approx(2.0 * logs["price_loss"] + logs["kind_loss"], rel=1e-5)
    pa, pb = model.predict(x, verbose=0)
    mse = float(((pa - ya) ** 2).mean())
    assert logs["price_loss"] == pytest.approx(mse, rel=1e-5)
    history = model.fit(x, [ya, yb], epochs=2, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]


def test_trainable_false_freezes_a_layer():
    frozen = layers.Dense(3)
    model = keras.Sequential([keras.Input((2,)), frozen, layers.Dense(1)])
    frozen.trainable = False
    before = frozen.get_weights()
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(X_SMALL, Y_SMALL, verbose=0, epochs=2)
    for a, b in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2


def test_events_reach_a_listener_in_training_order():
    from kerastutor import events
    seen = []
    listener = events.subscribe(lambda name, data: seen.append(
        (name, getattr(data.get("layer"), "name", None))))
    try:
        model = keras.Sequential([keras.Input((2,)), layers.Dense(3, name="a"),
                                  layers.Dense(1, name="b")])
        model.compile("sgd", "mse")
        model.train_on_batch(X_SMALL, Y_SMALL)
    finally:
        events.unsubscribe(listener)
    assert seen == [("train_batch_begin", None), ("layer_forward", "a"),
                    ("layer_forward", "b"), ("loss", None), ("layer_backward", "b"),
                    ("layer_backward", "a"), ("gradients", None), ("update", None), ("train_batch_end", None)]
    assert not events.listening()
