"""Real Keras 3 (torch backend) as the oracle for fit on a PyDataset and on a generator.

Both libraries start from the same weights and train on the same stream; the
histories (loss, metrics, validation) and the final weights must agree to
float32 rounding. Each library gets its own ``PyDataset`` subclass (Keras
checks ``isinstance(x, keras.utils.PyDataset)``); they also log the calls
they receive, which must be the same. Run by ``tox -e keras`` (KERASTUTOR_ORACLE=1).
"""
import os
import warnings

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(22, 4)).astype("float32")
Y = RNG.integers(0, 3, size=22).astype("int64")
X_VAL = RNG.normal(size=(9, 4)).astype("float32")
Y_VAL = RNG.integers(0, 3, size=9).astype("int64")


def dataset_class(lib):
    """A PyDataset of ``lib``: batches of 5 (the last one of 2), with a call log."""
    class Batches(lib.utils.PyDataset):
        def __init__(self, x, y, size=5, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.size, self.log = x, y, size, []

        def __len__(self):
            return -(-len(self.x) // self.size)

        def __getitem__(self, index):
            self.log.append(index)
            part = slice(index * self.size, (index + 1) * self.size)
            return self.x[part], self.y[part]

        def on_epoch_begin(self):
            self.log.append("BEGIN")

        def on_epoch_end(self):
            self.log.append("END")
    return Batches


def generator(x, y, size=5):
    for start in range(0, len(x), size):
        yield x[start:start + size], y[start:start + size]


def models():
    """The same classifier in both libraries, with Keras's initial weights."""
    pair = []
    for lib in (keras, kerastutor):
        model = lib.Sequential([lib.Input((4,)), lib.layers.Dense(8, activation="relu"),
                                lib.layers.Dense(3, activation="softmax")])
        model.compile(lib.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        pair.append(model)
    theirs, ours = pair
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    return theirs, ours


def assert_same(theirs, ours, their_history, our_history):
    assert list(our_history.history) == list(their_history.history)
    for key, values in their_history.history.items():
        np.testing.assert_allclose(our_history.history[key], values, rtol=2e-5, atol=1e-6,
                                   err_msg=key)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=2e-5, atol=1e-6)


def fit_both(make_data, **kwargs):
    theirs, ours = models()
    results = []
    for lib, model in (("keras", theirs), ("kerastutor", ours)):
        data, val = make_data(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            history = model.fit(data, validation_data=val, verbose=0, **kwargs)
        results.append((data, val, history))
    assert_same(theirs, ours, results[0][2], results[1][2])
    return results


def test_fit_on_a_pydataset_without_shuffle_matches_keras():
    def make(lib):
        Batches = dataset_class(keras if lib == "keras" else kerastutor)
        return Batches(X, Y), Batches(X_VAL, Y_VAL, size=4)
    (k_data, k_val, _), (o_data, o_val, _) = fit_both(make, epochs=3, shuffle=False)
    assert o_data.log == k_data.log and o_val.log == k_val.log


def test_fit_with_steps_per_epoch_carry_over_matches_keras():
    def make(lib):
        Batches = dataset_class(keras if lib == "keras" else kerastutor)
        return Batches(X, Y), None
    (k_data, _, _), (o_data, _, _) = fit_both(make, epochs=4, steps_per_epoch=3,
                                               shuffle=False)
    assert o_data.log == k_data.log


@pytest.mark.parametrize("steps_per_epoch", [None, 3])
def test_fit_on_a_generator_matches_keras(steps_per_epoch):
    def make(lib):
        return generator(X, Y), generator(X_VAL, Y_VAL, size=4)
    fit_both(make, epochs=3, steps_per_epoch=steps_per_epoch)


def test_shuffled_pydataset_with_the_same_seed_matches_keras():
    def make(lib):
        Batches = dataset_class(keras if lib == "keras" else kerastutor)
        (keras if lib == "keras" else kerastutor).utils.set_random_seed(5)
        return Batches(X, Y), None
    (k_data, _, _), (o_data, _, _) = fit_both(make, epochs=3)
    assert o_data.log == k_data.log


def test_predict_on_streams_matches_keras():
    theirs, ours = models()
    for make in (lambda lib: dataset_class(lib)(X, Y), lambda lib: generator(X, Y)):
        np.testing.assert_allclose(ours.predict(make(kerastutor), verbose=0),
                                   np.asarray(theirs.predict(make(keras), verbose=0)),
                                   rtol=1e-5, atol=1e-6)
