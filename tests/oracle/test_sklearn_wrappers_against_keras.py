"""Real Keras 3 (torch backend) as the oracle for ``keras.wrappers``.

Both libraries wrap the same small network, built by a function that loads
the same initial weights and compiles with plain SGD; ``fit`` runs full-batch
without shuffling, so both train along the same path and must predict the
same numbers. Around that: the target encoding the build function sees,
``classes_`` and the decoded predictions, the transformer's and regressor's
output shapes, and Keras's error messages.

Where the wrappers differ on purpose (kerastutor's ``decision_function`` of a
binary classifier is one score per sample; ``fit_kwargs`` is not modified;
``clone`` keeps ``fit_kwargs``), the test says so.

Run by ``tox -e keras`` (KERAS_BACKEND=torch, KERASTUTOR_ORACLE=1).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras import wrappers as keras_wrappers  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_blobs, make_regression  # noqa: E402

import kerastutor  # noqa: E402
from kerastutor import wrappers  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

UNITS = 6


def weights_for(n_in, n_out, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.normal(0, 0.5, (n_in, UNITS)).astype("float32"),
            rng.normal(0, 0.1, UNITS).astype("float32"),
            rng.normal(0, 0.5, (UNITS, n_out)).astype("float32"),
            rng.normal(0, 0.1, n_out).astype("float32")]


def builder(lib, seen=None):
    """A build function for ``lib`` (keras or kerastutor); records what it was given."""
    def build(X, y, loss, activation=None):
        if seen is not None:
            seen.update(X=X, y=y)
        model = lib.Sequential([lib.Input((X.shape[1],)),
                                lib.layers.Dense(UNITS, activation="tanh"),
                                lib.layers.Dense(y.shape[1], activation=activation)])
        model.set_weights(weights_for(X.shape[1], y.shape[1]))
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss=loss)
        return model
    return build


FIT = {"epochs": 3, "batch_size": 1000, "shuffle": False, "verbose": 0}


def pair(kind, seen_keras=None, seen_ours=None, **model_kwargs):
    """The same wrapper in Keras and in kerastutor."""
    theirs = getattr(keras_wrappers, kind)(builder(keras, seen_keras),
                                          model_kwargs=model_kwargs, fit_kwargs=dict(FIT))
    ours = getattr(wrappers, kind)(builder(kerastutor, seen_ours),
                                   model_kwargs=model_kwargs, fit_kwargs=dict(FIT))
    return theirs, ours


def blobs(classes, labels=None):
    X, y = make_blobs(n_samples=40, centers=classes, n_features=3, random_state=1)
    return X, (np.asarray(labels)[y] if labels is not None else y)


@pytest.mark.parametrize("classes, labels", [(2, ["cat", "dog"]), (3, None), (3, [5, -1, 9])])
def test_classifier_encoding_classes_and_predictions(classes, labels):
    X, y = blobs(classes, labels)
    seen_k, seen_o = {}, {}
    theirs, ours = pair("SKLearnClassifier", seen_k, seen_o,
                        loss="categorical_crossentropy", activation="softmax")
    theirs.fit(X, y)
    ours.fit(X, y)
    # What the build function is given: the checked X, and y one-hot (binary too).
    assert seen_o["X"].dtype == seen_k["X"].dtype == np.float64
    assert seen_o["y"].dtype == seen_k["y"].dtype
    np.testing.assert_array_equal(seen_o["y"], seen_k["y"])
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.classes_.dtype == theirs.classes_.dtype
    assert ours.n_features_in_ == theirs.n_features_in_ == 3
    # The same weights trained the same way: the same outputs and labels.
    raw_k = np.asarray(theirs.model_.predict(X, verbose=0))
    raw_o = ours.model_.predict(X, verbose=0)
    np.testing.assert_allclose(raw_o, raw_k, rtol=1e-4, atol=1e-5)
    predicted_k, predicted_o = theirs.predict(X), ours.predict(X)
    np.testing.assert_array_equal(predicted_o, predicted_k.ravel())
    assert predicted_o.dtype == predicted_k.dtype
    assert ours.score(X, y) == theirs.score(X, y)
    if classes > 2:
        np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X),
                                   rtol=1e-4, atol=1e-5)
    else:   # ours: one score per sample (scikit-learn's rule), Keras: both columns
        np.testing.assert_allclose(ours.decision_function(X),
                                   raw_k[:, 1] - raw_k[:, 0], rtol=1e-4, atol=1e-5)
    # Keras has no predict_proba; ours is the softmax output itself.
    assert not hasattr(theirs, "predict_proba")
    np.testing.assert_allclose(ours.predict_proba(X), raw_k, rtol=1e-4, atol=1e-5)


def test_regressor_and_transformer_shapes_and_numbers():
    X, y = make_regression(n_samples=30, n_features=4, noise=0.5, random_state=0)
    y = y / y.std()
    seen_k, seen_o = {}, {}
    theirs, ours = pair("SKLearnRegressor", seen_k, seen_o, loss="mse")
    theirs.fit(X, y)
    ours.fit(X, y)
    assert seen_o["y"].shape == seen_k["y"].shape == (30, 1)
    predicted_k, predicted_o = theirs.predict(X), ours.predict(X)
    assert predicted_o.shape == predicted_k.shape == (30,)
    assert predicted_o.dtype == predicted_k.dtype
    np.testing.assert_allclose(predicted_o, predicted_k, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.score(X, y), theirs.score(X, y), rtol=1e-4)
    np.testing.assert_allclose(ours.history_.history["loss"], theirs.history_.history["loss"],
                               rtol=1e-4)

    theirs, ours = pair("SKLearnTransformer", loss="mse")
    out_k, out_o = theirs.fit_transform(X, y), ours.fit_transform(X, y)
    assert out_o.shape == out_k.shape == (30, 1)
    np.testing.assert_allclose(out_o, out_k, rtol=1e-4, atol=1e-5)


def same_error(call_keras, call_ours):
    """Both raise the same exception type with the same message."""
    with pytest.raises(Exception) as theirs:
        call_keras()
    with pytest.raises(type(theirs.value)) as ours:
        call_ours()
    assert str(ours.value) == str(theirs.value)


def test_error_messages_match_keras():
    X, y = blobs(3)

    def both(kind, **model_kwargs):
        return pair(kind, loss="categorical_crossentropy", **model_kwargs)
    theirs, ours = both("SKLearnClassifier")
    same_error(lambda: theirs.predict(X), lambda: ours.predict(X))               # not fitted
    same_error(lambda: theirs.fit(X, np.zeros(40, int)), lambda: ours.fit(X, np.zeros(40, int)))
    same_error(lambda: theirs.fit(X, X[:, 0]), lambda: ours.fit(X, X[:, 0]))     # continuous
    same_error(lambda: theirs.fit(X, np.stack([y, y], 1)),
               lambda: ours.fit(X, np.stack([y, y], 1)))                         # 2-D y
    theirs.fit(X, y)
    ours.fit(X, y)
    same_error(lambda: theirs.predict(X[:, :2]), lambda: ours.predict(X[:, :2]))  # features

    def uncompiled(lib):
        return lambda X, y: lib.Sequential([lib.Input((3,)), lib.layers.Dense(3)])
    same_error(lambda: keras_wrappers.SKLearnRegressor(uncompiled(keras)).fit(X, y),
               lambda: wrappers.SKLearnRegressor(uncompiled(kerastutor)).fit(X, y))
    same_error(lambda: keras_wrappers.SKLearnTransformer(uncompiled(keras)).fit(X),
               lambda: wrappers.SKLearnTransformer(uncompiled(kerastutor)).fit(X))


def test_parameters_and_where_kerastutor_differs_on_purpose():
    X, y = blobs(3)
    theirs, ours = pair("SKLearnClassifier", loss="categorical_crossentropy")
    assert set(ours.get_params()) == set(theirs.get_params()) | {"random_state"}
    # Keras's fit writes the fit() arguments into the fit_kwargs parameter; ours does not.
    theirs.fit(X, y, epochs=1)
    ours.fit(X, y, epochs=1)
    assert theirs.fit_kwargs["epochs"] == 1 and ours.fit_kwargs["epochs"] == FIT["epochs"]
    # Keras's clone drops fit_kwargs; ours keeps it.
    assert clone(theirs).fit_kwargs is None and clone(ours).fit_kwargs == FIT
    # Keras's epoch_ fails on the History object; ours counts the epochs trained.
    with pytest.raises(AttributeError):
        theirs.epoch_
    assert ours.epoch_ == 1
    # Both clone a Model instance with fresh weights and its compile settings.
    given_k, given_o = builder(keras)(X, X[:, :1], "mse"), builder(kerastutor)(X, X[:, :1], "mse")
    est_k = keras_wrappers.SKLearnRegressor(given_k, fit_kwargs={"epochs": 0}).fit(X, X[:, 0])
    est_o = wrappers.SKLearnRegressor(given_o, fit_kwargs={"epochs": 0}).fit(X, X[:, 0])
    assert est_k.model_ is not given_k and est_o.model_ is not given_o
    assert est_k.model_.compiled and est_o.model_.compiled
