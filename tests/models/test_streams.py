"""fit / evaluate / predict on streams: a ``PyDataset`` or a Python generator (issue 15).

The call orders, index orders and warnings are the ones Keras 3.15.1 printed
(shared/reference/keras-next.md section 1.1-1.4); tests/oracle/test_streams_against_keras.py
compares the numbers with Keras itself.
"""
import random
import warnings

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import layers
from kerastutor.models.data_adapters import RAN_OUT_OF_DATA

rng = np.random.default_rng(0)
X = rng.random((20, 3)).astype("float32")
Y = (X.sum(axis=1) > 1.5).astype("int64")


class Batches(keras.utils.PyDataset):
    """Five batches of four samples; logs on_epoch_begin/end and each index read."""

    def __init__(self, n_batches=5, log=None, endless=False, batch=None, **kwargs):
        super().__init__(**kwargs)
        self.n_batches, self.endless = n_batches, endless
        self.log = [] if log is None else log
        self.batch = batch

    def __len__(self):
        return self.n_batches

    @property
    def num_batches(self):
        return None if self.endless else self.n_batches

    def __getitem__(self, index):
        self.log.append(index)
        i = (index % 5) * 4
        if self.batch is not None:
            return self.batch(X[i:i + 4], Y[i:i + 4])
        return X[i:i + 4], Y[i:i + 4]

    def on_epoch_begin(self):
        self.log.append("BEGIN")

    def on_epoch_end(self):
        self.log.append("END")


def classifier(seed=1):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def generator(log=None, n=5, loop=False):
    while True:
        for index in range(n):
            if log is not None:
                log.append(index)
            yield X[index * 4:(index + 1) * 4], Y[index * 4:(index + 1) * 4]
        if not loop:
            return


class Marks(keras.callbacks.Callback):
    """Writes "E<epoch>" and "b<batch>" into the same log as the generator."""

    def __init__(self, log):
        super().__init__()
        self.log = log

    def on_epoch_begin(self, epoch, logs=None):
        self.log.append(f"E{epoch}")

    def on_train_batch_begin(self, batch, logs=None):
        self.log.append(f"b{batch}")


def quietly(function, *args, **kwargs):
    """Call, and return (result, [warning messages])."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, [str(w.message) for w in caught]


# ------------------------------------------------------------------ call order
def test_pydataset_call_order_and_shuffled_indices_match_keras():
    data = Batches()
    model = classifier()
    keras.utils.set_random_seed(1)
    model.fit(data, epochs=2, verbose=0)
    # Keras 3.15.1 with the same seed: the build peek reads the first index of a shuffled order.
    assert data.log == ["BEGIN", 2, "END", "BEGIN", 0, 2, 1, 4, 3, "END",
                        "BEGIN", 2, 3, 4, 0, 1, "END"]


def test_unshuffled_fit_evaluate_predict_call_orders():
    data = Batches()
    model = classifier()
    model.fit(data, epochs=2, shuffle=False, verbose=0)
    assert data.log == ["BEGIN", 0, "END"] + ["BEGIN", 0, 1, 2, 3, 4, "END"] * 2
    data.log.clear()
    model.evaluate(data, verbose=0)
    assert data.log == ["END", "BEGIN", 0, 1, 2, 3, 4, "END"]
    data.log.clear()
    assert model.predict(data, verbose=0).shape == (20, 2)
    assert data.log == ["BEGIN", 0, 1, 2, 3, 4, "END"]


def test_shuffle_uses_pythons_random_on_batch_indices():
    data = Batches()
    model = classifier()
    model.fit(data, epochs=1, shuffle=False, verbose=0)     # built: no peek below
    random.seed(7)
    order = list(range(5))
    random.shuffle(order)
    data.log.clear()
    random.seed(7)
    model.fit(data, epochs=1, verbose=0)
    assert data.log == ["END", "BEGIN"] + order + ["END"]


def test_steps_per_epoch_carries_over_and_warns_when_a_pass_ends():
    data = Batches()
    _, messages = quietly(classifier().fit, data, epochs=4, steps_per_epoch=2,
                          shuffle=False, verbose=0)
    indices = [i for i in data.log if isinstance(i, int)]
    assert indices == [0, 0, 1, 2, 3, 4, 0, 1]           # peek, then [0,1] [2,3] [4] [0,1]
    assert messages.count(RAN_OUT_OF_DATA) == 1


def test_an_endless_dataset_needs_steps_and_goes_on_across_epochs():
    data = Batches(endless=True)
    _, messages = quietly(classifier().fit, data, epochs=2, steps_per_epoch=3, verbose=0)
    assert [i for i in data.log if isinstance(i, int)] == [0, 0, 1, 2, 3, 4, 5]
    assert any("infinite PyDataset" in m for m in messages)   # shuffle=True ignored


# ------------------------------------------------------------------ generators
def test_generator_exhaustion_replays_the_two_peeked_batches():
    log = []
    _, messages = quietly(classifier().fit, generator(log), epochs=3, verbose=0,
                          callbacks=[Marks(log)])
    assert log == [0, 1, "E0", "b0", "b1", 2, "b2", 3, "b3", 4, "b4",
                   "E1", "b0", "b1", "E2", "b0", "b1"]
    assert messages.count(RAN_OUT_OF_DATA) == 3
    assert any("provided as a generator" in m for m in messages)     # shuffle ignored


def test_generator_with_steps_per_epoch():
    log = []
    _, messages = quietly(classifier().fit, generator(log), epochs=2, steps_per_epoch=3,
                          shuffle=False, verbose=0, callbacks=[Marks(log)])
    assert log == [0, 1, "E0", "b0", "b1", 2, "b2", "E1", 3, "b0", 4, "b1"]
    assert messages.count(RAN_OUT_OF_DATA) == 1
    log.clear()
    _, messages = quietly(classifier().fit, generator(log, loop=True), epochs=2,
                          steps_per_epoch=3, shuffle=False, verbose=0, callbacks=[Marks(log)])
    assert log == [0, 1, "E0", "b0", "b1", 2, "b2", "E1", 3, "b0", 4, "b1", 0, "b2"]
    assert RAN_OUT_OF_DATA not in messages


def test_generator_errors_are_keras_sentences_with_a_fix():
    with pytest.raises(ValueError, match="at least one batch.*Fix"):
        classifier().fit((b for b in []), verbose=0)
    with pytest.raises(ValueError, match="(?s)must return a tuple.*Fix"):
        classifier().fit(([X, Y] for _ in range(2)), verbose=0)


def test_predict_and_evaluate_on_generators():
    model = classifier()
    assert model.predict(generator(), verbose=0).shape == (20, 2)
    assert model.predict(generator(), steps=2, verbose=0).shape == (8, 2)
    (loss, accuracy), messages = quietly(model.evaluate, generator(), verbose=0)
    assert (loss, accuracy) == pytest.approx(model.evaluate(X, Y, batch_size=4, verbose=0))
    assert RAN_OUT_OF_DATA in messages


def test_predict_concatenates_batches_of_different_sizes():
    def uneven():
        yield (X[:3],)
        yield (X[3:4],)
    assert classifier().predict(uneven(), verbose=0).shape == (4, 2)


# ------------------------------------------------------------------ validation
def test_validation_data_as_a_pydataset_and_as_a_generator():
    model = classifier()
    val = Batches()
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                        validation_data=val)
    assert val.log == ["END", "BEGIN", 0, 1, 2, 3, 4, "END"] * 2
    model2 = classifier()
    history2, _ = quietly(model2.fit, X, Y, batch_size=4, epochs=2, shuffle=False,
                          verbose=0, validation_data=generator())
    assert history2.history["val_loss"][0] == pytest.approx(history.history["val_loss"][0])
    # Epoch 2 validates on the two peeked batches only, as validation_steps=2 would.
    model3 = classifier()
    history3 = model3.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                          validation_data=Batches(), validation_steps=2)
    assert history2.history["val_loss"][1] == pytest.approx(history3.history["val_loss"][1])


# ------------------------------------------------------------------ batch forms
@pytest.mark.parametrize("form", [
    lambda x, y: (x, y), lambda x, y: [x, y], lambda x, y: (x, y, np.ones(len(x)))])
def test_batch_forms_train_alike(form):
    plain = classifier()
    plain.fit(Batches(), epochs=2, shuffle=False, verbose=0)
    other = classifier()
    other.fit(Batches(batch=form), epochs=2, shuffle=False, verbose=0)
    for a, b in zip(plain.get_weights(), other.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_bare_array_batches_predict():
    assert classifier().predict(Batches(batch=lambda x, y: x), verbose=0).shape == (20, 2)


def test_a_bad_batch_is_keras_error_with_a_fix():
    with pytest.raises(ValueError, match="(?s)must return a tuple or a dict.*Fix"):
        classifier().fit(Batches(batch=lambda x, y: (x, y, y, y)), verbose=0)


def test_dict_batches_for_named_inputs():
    inputs = {"a": keras.Input((2,), name="a"), "b": keras.Input((1,), name="b")}
    merged = layers.Concatenate()([inputs["a"], inputs["b"]])
    keras.utils.set_random_seed(3)
    model = keras.Model(inputs, layers.Dense(2, activation="softmax")(merged))
    model.compile("sgd", "sparse_categorical_crossentropy")
    data = Batches(batch=lambda x, y: ({"a": x[:, :2], "b": x[:, 2:]}, y))
    history = model.fit(data, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    x_only = Batches(batch=lambda x, y: {"a": x[:, :2], "b": x[:, 2:]})
    assert model.predict(x_only, verbose=0).shape == (20, 2)


def test_class_weight_with_a_pydataset_weighs_as_with_arrays():
    weights = {0: 1.0, 1: 3.0}
    streamed = classifier()
    streamed.fit(Batches(), epochs=2, shuffle=False, class_weight=weights, verbose=0)
    arrays = classifier()
    arrays.fit(X, Y, batch_size=4, epochs=2, shuffle=False, class_weight=weights, verbose=0)
    for a, b in zip(streamed.get_weights(), arrays.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    with pytest.raises(ValueError, match="class_weight` and `sample_weight` at the same"):
        classifier().fit(Batches(batch=lambda x, y: (x, y, np.ones(4))),
                         class_weight=weights, verbose=0)


# ------------------------------------------------------------------ forbidden
@pytest.mark.parametrize("kind", ["PyDataset", "generator"])
def test_forbidden_combinations_give_kerass_errors_with_a_fix(kind):
    def data():
        return Batches() if kind == "PyDataset" else generator()
    with pytest.raises(ValueError, match=f"as a {kind}, `y` should not be passed.*Fix"):
        classifier().fit(data(), Y, verbose=0)
    with pytest.raises(ValueError, match="`sample_weights` should not be passed.*Fix"):
        classifier().fit(data(), sample_weight=np.ones(20), verbose=0)
    with pytest.raises(ValueError, match="only supported for tensors or NumPy arrays.*Fix"):
        classifier().fit(data(), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        classifier().evaluate(data(), Y, verbose=0)


def test_class_weight_with_a_generator_is_refused():
    with pytest.raises(ValueError, match=r"not supported for Python generator inputs. "
                                         r"Received: class_weight=\{0: 1.0\}.*Fix"):
        classifier().fit(generator(), class_weight={0: 1.0}, verbose=0)


def test_unknown_types_are_unrecognized():
    with pytest.raises(ValueError, match="Unrecognized data type: x=.*map.*Fix"):
        classifier().fit(map(lambda b: b, [X]), verbose=0)


# ------------------------------------------------------------------ workers
@pytest.mark.parametrize("settings", [dict(workers=2), dict(workers=2, max_queue_size=1),
                                      dict(workers=2, use_multiprocessing=True)])
def test_workers_give_the_same_weights_as_inline(settings):
    inline = classifier()
    inline.fit(Batches(), epochs=3, verbose=0)
    parallel = classifier()
    parallel.fit(Batches(**settings), epochs=3, verbose=0)
    for a, b in zip(inline.get_weights(), parallel.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_workers_keep_index_order_in_predict():
    data = Batches(workers=3)
    np.testing.assert_array_equal(classifier().predict(data, verbose=0),
                                  classifier().predict(X, batch_size=4, verbose=0))


# ------------------------------------------------------------------ progress bar
def test_progress_bar_shows_unknown_then_learns_the_length(capsys):
    quietly(classifier().fit, generator(loop=False), epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "1/Unknown" in out and "5/5" in out
