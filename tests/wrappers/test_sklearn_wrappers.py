"""keras.wrappers: SKLearnClassifier, SKLearnRegressor, SKLearnTransformer.

scikit-learn's own estimator checks run on all three with no expected
failures (Keras 3.15.1 declares eight for its classifier), then the tools a
user reaches for: Pipeline, GridSearchCV, cross_val_score, and what these
wrappers add to Keras's: random_state, warm_start, fit_kwargs kept, predict_proba.
"""
import pickle

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.datasets import make_blobs, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import kerastutor as keras
from kerastutor.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer


class MLP:
    """Builds a small MLP sized from the data: X.shape[1] inputs, y.shape[1] outputs.

    A callable object rather than a function only so that its repr, which
    goes into the test ids, is the same in every run.
    """

    def __call__(self, X, y, loss, units=8, activation="softmax", learning_rate=0.05):
        model = keras.Sequential([
            keras.Input((X.shape[1],)),
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(y.shape[1], activation=activation),
        ])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
        return model

    def __repr__(self):
        return "mlp"


mlp = MLP()


def classifier(random_state=None, **kw):
    """20 full-batch epochs: enough to separate scikit-learn's small blobs every time."""
    return SKLearnClassifier(mlp, model_kwargs={"loss": "categorical_crossentropy", **kw},
                             fit_kwargs={"epochs": 20, "batch_size": 64},
                             random_state=random_state)


def regressor(random_state=None, **kw):
    return SKLearnRegressor(mlp, model_kwargs={"loss": "mse", "activation": None, **kw},
                            fit_kwargs={"epochs": 5}, random_state=random_state)


def transformer(random_state=None, **kw):
    return SKLearnTransformer(mlp, model_kwargs={"loss": "mse", "activation": None, **kw},
                              fit_kwargs={"epochs": 2}, random_state=random_state)


# ---------------------------------------------------------- scikit-learn's checks
@parametrize_with_checks([classifier(), regressor(), transformer()])
def test_sklearn_estimator_checks(estimator, check):
    """Every check passes: no expected failures (Keras xfails 8 of the classifier's)."""
    check(estimator)


# ------------------------------------------------------------------------ data
def blobs(n=60, classes=3, labels=None):
    X, y = make_blobs(n_samples=n, centers=classes, n_features=4, random_state=0,
                      cluster_std=0.5)
    return X, (np.asarray(labels)[y] if labels is not None else y)


def regression_data(n=60):
    X, y = make_regression(n_samples=n, n_features=4, noise=0.1, random_state=0)
    return X, y / y.std()


# ------------------------------------------------------- scikit-learn's tools
def test_a_pipeline_with_a_standard_scaler_learns_the_blobs():
    X, y = blobs()
    pipe = make_pipeline(StandardScaler(), classifier())
    pipe.set_params(sklearnclassifier__random_state=0)
    pipe.fit(X * 100 + 50, y)
    assert pipe.score(X * 100 + 50, y) > 0.9
    assert pipe[-1].n_features_in_ == 4


def test_grid_search_tunes_a_model_kwargs_parameter():
    X, y = blobs()
    grid = GridSearchCV(
        classifier(),
        {"model_kwargs": [{"loss": "categorical_crossentropy", "units": u} for u in (2, 8)],
         "random_state": [0]},
        cv=2)
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 2
    assert grid.best_params_["model_kwargs"]["units"] in (2, 8)
    # The refitted best estimator was built with the chosen width.
    assert grid.best_estimator_.model_.layers[0].units == grid.best_params_["model_kwargs"]["units"]


def test_cross_val_score_gives_one_finite_score_per_fold():
    X, y = regression_data()
    scores = cross_val_score(regressor(random_state=0), X, y, cv=3)
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_a_frozen_transformer_feeds_a_pipeline_without_refitting():
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression
    X, y = blobs()
    embed = transformer(units=4, random_state=0).fit(X, y)
    weights = [w.copy() for w in embed.model_.get_weights()]
    pipe = make_pipeline(FrozenEstimator(embed), LogisticRegression()).fit(X, y)
    assert pipe.predict(X).shape == (60,)
    assert all(np.array_equal(a, b) for a, b in zip(weights, embed.model_.get_weights()))


# --------------------------------------------------------------- random_state
def test_two_fits_with_the_same_random_state_predict_identically():
    X, y = blobs()
    a = classifier(random_state=7).fit(X, y)
    b = classifier(random_state=7).fit(X, y)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    refit = a.predict_proba(X)
    a.fit(X, y)                                    # the same estimator, fitted again
    assert np.array_equal(a.predict_proba(X), refit)
    c = classifier(random_state=8).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_without_random_state_fits_draw_from_the_running_generators():
    X, y = regression_data()
    a = regressor().fit(X, y).predict(X)
    b = regressor().fit(X, y).predict(X)
    assert not np.array_equal(a, b)
    keras.utils.set_random_seed(3)
    c = regressor().fit(X, y).predict(X)
    keras.utils.set_random_seed(3)
    assert np.array_equal(c, regressor().fit(X, y).predict(X))   # the global seed rules


def test_a_seeded_fit_leaves_the_callers_random_state_alone():
    X, y = regression_data()
    keras.utils.set_random_seed(11)
    expected = (keras.backend.rng().random(), np.random.rand())
    keras.utils.set_random_seed(11)
    regressor(random_state=0).fit(X, y)
    assert (keras.backend.rng().random(), np.random.rand()) == expected


def test_a_random_state_instance_is_drawn_from_and_bad_ones_are_refused():
    X, y = regression_data()
    a = regressor(random_state=np.random.RandomState(1)).fit(X, y).predict(X)
    b = regressor(random_state=np.random.RandomState(1)).fit(X, y).predict(X)
    assert np.array_equal(a, b)
    for bad in (-1, "0", 1.5, True):
        with pytest.raises(ValueError, match="random_state"):
            regressor(random_state=bad).fit(X, y)


# ----------------------------------------------------------------- warm_start
def test_warm_start_continues_training_the_same_model():
    X, y = regression_data()
    est = regressor(random_state=0)
    est.set_params(warm_start=True, fit_kwargs={"epochs": 3})
    est.fit(X, y)
    model, first = est.model_, est.history_.history["loss"]
    assert est.epoch_ == 3 and est.history_.epoch == [0, 1, 2]
    est.fit(X, y, epochs=2)
    assert est.model_ is model                     # not rebuilt
    assert est.epoch_ == 5 and est.history_.epoch == [3, 4]   # numbered on
    second = est.history_.history["loss"]
    assert second[0] < first[0]                    # starts from trained weights


def test_warm_start_repeats_exactly_and_differs_from_a_cold_fit():
    X, y = regression_data()

    def two_fits(warm):
        est = regressor(random_state=0).set_params(warm_start=warm)
        est.fit(X, y).fit(X, y)
        return est
    warm_a, warm_b, cold = two_fits(True), two_fits(True), two_fits(False)
    assert np.array_equal(warm_a.predict(X), warm_b.predict(X))
    assert cold.epoch_ == 5 and warm_a.epoch_ == 10
    assert not np.array_equal(warm_a.predict(X), cold.predict(X))


def test_without_warm_start_every_fit_builds_a_new_model():
    X, y = regression_data()
    est = regressor(random_state=0).fit(X, y)
    model = est.model_
    est.fit(X, y)
    assert est.model_ is not model and est.epoch_ == 5


def test_warm_start_refuses_new_labels_and_new_widths():
    X, y = blobs()
    est = classifier(random_state=0).set_params(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"labels \[7\] that the first fit did not see"):
        est.fit(X, np.where(y == 0, 7, y))
    with pytest.raises(ValueError, match="X has 3 features"):
        est.fit(X[:, :3], y)
    est.fit(X[y > 0], y[y > 0])                    # a subset of the classes is fine
    assert list(est.classes_) == [0, 1, 2]


def test_warm_start_with_a_model_instance_starts_from_its_weights():
    X, y = regression_data()
    keras.utils.set_random_seed(0)
    given = mlp(X, y[:, None], "mse", activation=None)
    before = [w.copy() for w in given.get_weights()]
    est = SKLearnRegressor(given, warm_start=True, fit_kwargs={"epochs": 0}).fit(X, y)
    assert np.allclose(est.predict(X), given.predict(X, verbose=0)[:, 0])
    est.fit(X, y, epochs=2)
    assert all(np.array_equal(a, b) for a, b in zip(before, given.get_weights()))


# ------------------------------------------------------- fit_kwargs and clone
def test_fit_kwargs_are_never_modified_and_fit_arguments_win():
    X, y = regression_data()
    fit_kwargs = {"epochs": 4}
    est = SKLearnRegressor(mlp, model_kwargs={"loss": "mse", "activation": None},
                           fit_kwargs=fit_kwargs)
    est.fit(X, y, epochs=2, batch_size=8)
    assert fit_kwargs == {"epochs": 4} and est.fit_kwargs is fit_kwargs
    assert est.epoch_ == 2 and est.history_.params["steps"] == 8


def test_clone_keeps_fit_kwargs_and_copies_the_dicts():
    est = classifier(random_state=3)
    twin = clone(est)
    assert twin.get_params()["fit_kwargs"] == {"epochs": 20, "batch_size": 64}
    assert twin.fit_kwargs is not est.fit_kwargs and twin.model_kwargs is not est.model_kwargs
    assert twin.model is est.model and twin.random_state == 3
    assert set(est.get_params()) == {"model", "warm_start", "model_kwargs", "fit_kwargs",
                                     "random_state"}


def test_a_model_instance_is_cloned_with_fresh_weights_and_its_compile_settings():
    X, y = regression_data()
    given = mlp(X, y[:, None], "mse", activation=None)
    before = [w.copy() for w in given.get_weights()]
    est = SKLearnRegressor(given, fit_kwargs={"epochs": 1}, random_state=0).fit(X, y)
    assert est.model_ is not given and est.model_.compiled
    assert est.model_.get_compile_config()["loss"] == "mse"
    assert not np.array_equal(est.model_.get_weights()[0], before[0])
    assert all(np.array_equal(a, b) for a, b in zip(before, given.get_weights()))
    assert clone(est).model is given


# -------------------------------------------------------------- bad arguments
def test_a_bad_model_argument_says_what_it_needs():
    X, y = regression_data()
    with pytest.raises(TypeError, match="must be a compiled keras.Model instance or a "
                                        "function returning one; got int"):
        SKLearnRegressor(3).fit(X, y)
    with pytest.raises(TypeError, match="got the class Sequential. Pass an instance"):
        SKLearnRegressor(keras.Sequential).fit(X, y)
    with pytest.raises(TypeError, match="must return a compiled keras.Model; it returned dict"):
        SKLearnRegressor(lambda X, y: {}).fit(X, y)
    uncompiled = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(RuntimeError, match="needs to be compiled, and have a loss and an "
                                           "optimizer"):
        SKLearnRegressor(uncompiled).fit(X, y)
    with pytest.raises(RuntimeError, match="needs to be compiled"):
        SKLearnRegressor(lambda X, y: uncompiled).fit(X, y)
    compiled = mlp(X, y[:, None], "mse")
    with pytest.raises(ValueError, match="`model_kwargs` are the arguments of a `model` "
                                         "function"):
        SKLearnRegressor(compiled, model_kwargs={"units": 3}).fit(X, y)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        SKLearnRegressor(mlp, model_kwargs={"loss": "mse", "bogus": 1}).fit(X, y)


def test_unfitted_and_bad_data_errors():
    from sklearn.exceptions import NotFittedError
    X, y = regression_data()
    est = regressor()
    assert est.epoch_ == 0
    with pytest.raises(NotFittedError, match="SKLearnRegressor instance is not fitted yet"):
        est.predict(X)
    with pytest.raises(ValueError, match="y should be a 1d array"):
        est.fit(X, np.stack([y, y], axis=1))
    with pytest.raises(ValueError, match="Only binary and multiclass target types are "
                                         "supported. Target type: continuous"):
        classifier()._encode_target(y, reset=True)
    with pytest.raises(ValueError, match="only one class is present"):
        classifier().fit(X, np.zeros(len(X), int))
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'y'"):
        transformer().fit(X)


# ------------------------------------------------------------ target encoding
def test_binary_string_labels_are_one_hot_to_two_columns():
    X, y = blobs(classes=2, labels=["cat", "dog"])
    seen = {}

    def build(X, y):
        seen["X"], seen["y"] = X, y
        return mlp(X, y, "categorical_crossentropy")
    est = SKLearnClassifier(build, fit_kwargs={"epochs": 20}, random_state=0).fit(X, y)
    assert seen["X"].dtype == np.float64 and seen["y"].dtype == np.float64
    assert seen["y"].shape == (60, 2)
    assert np.array_equal(seen["y"].argmax(1), (y == "dog").astype(int))
    assert list(est.classes_) == ["cat", "dog"]
    predicted = est.predict(X)
    assert predicted.dtype == y.dtype and est.score(X, y) > 0.9
    decision = est.decision_function(X)                # one score per sample
    assert decision.shape == (60,)
    assert np.array_equal(est.classes_[(decision > 0).astype(int)], predicted)


def test_predict_proba_agrees_with_predict_for_probabilities_and_logits():
    X, y = blobs()
    for activation in ("softmax", None):
        est = SKLearnClassifier(
            mlp, model_kwargs={"loss": keras.losses.CategoricalCrossentropy(
                from_logits=activation is None), "activation": activation},
            fit_kwargs={"epochs": 20}, random_state=0).fit(X, y)
        proba = est.predict_proba(X)
        assert proba.shape == (60, 3) and proba.dtype == np.float64
        assert np.allclose(proba.sum(axis=1), 1.0) and proba.min() >= 0.0
        assert np.array_equal(est.classes_[proba.argmax(1)], est.predict(X))
        assert np.array_equal(est.decision_function(X).argmax(1), proba.argmax(1))
        assert np.allclose(est.predict_log_proba(X), np.log(proba))
    raw = est.decision_function(X)                     # logits: predict_proba is their softmax
    expected = np.exp(raw) / np.exp(raw).sum(axis=1, keepdims=True)
    assert np.allclose(est.predict_proba(X), expected, atol=1e-6)


def test_a_model_with_the_wrong_number_of_outputs_is_explained():
    X, y = blobs(classes=2)

    def one_unit(X, y):
        model = keras.Sequential([keras.Input((X.shape[1],)),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="mse")
        return model
    with pytest.warns(UserWarning, match="broadcast"):   # (60, 2) targets, 1 output
        est = SKLearnClassifier(one_unit, fit_kwargs={"epochs": 0}).fit(X, y)
    with pytest.raises(ValueError, match=r"shape \(60, 1\).*one column per class \(2 classes"):
        est.predict(X)


def test_regressor_and_transformer_targets_are_a_column():
    X, y = regression_data()
    seen = {}

    def build(X, y, width=1):
        seen["y"] = y
        return mlp(X, np.zeros((1, width)), "mse", activation=None)
    est = SKLearnRegressor(build, fit_kwargs={"epochs": 3}, random_state=0).fit(X, y)
    assert seen["y"].shape == (60, 1)
    assert est.predict(X).shape == (60,) and est.predict(X).dtype == np.float32
    assert np.isfinite(est.score(X, y))
    trs = SKLearnTransformer(build, model_kwargs={"width": 3}, fit_kwargs={"epochs": 0})
    with pytest.warns(UserWarning, match="broadcast"):   # a (60, 1) target, 3 outputs
        out = trs.fit_transform(X, y)
    assert out.shape == (60, 3)
    assert np.array_equal(out, trs.transform(X))


def test_a_fitted_wrapper_pickles():
    X, y = blobs()
    est = classifier(random_state=0).fit(X, y)
    again = pickle.loads(pickle.dumps(est))
    assert np.array_equal(again.predict_proba(X), est.predict_proba(X))
    assert again.epoch_ == 20


# ---------------------------------------------------------- metadata routing
def test_set_fit_request_routes_sample_weight_to_fit():
    from sklearn.model_selection import cross_validate
    X, y = regression_data()
    with pytest.raises(RuntimeError, match="enable_metadata_routing=True"):
        regressor().set_fit_request(sample_weight=True)
    with sklearn.config_context(enable_metadata_routing=True):
        est = regressor(random_state=0).set_fit_request(sample_weight=True)
        est.set_score_request(sample_weight=False)
        assert est.get_metadata_routing().fit.requests == {"sample_weight": True}
        assert clone(est).get_metadata_routing().fit.requests == {"sample_weight": True}
        zero = np.zeros(len(y))
        results = cross_validate(est, X, y, cv=2, params={"sample_weight": zero},
                                 return_estimator=True)
    fitted = results["estimator"][0]
    assert fitted.history_.history["loss"] == [0.0] * 5   # every sample weighted 0
