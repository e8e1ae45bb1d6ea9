"""Keras models as scikit-learn estimators.

What scikit-learn calls an *estimator* is an object with a small, fixed
contract:

* ``__init__`` only stores its arguments -- the *hyper-parameters* -- under
  the same names, so ``get_params()`` / ``set_params()`` can read and change
  them and ``sklearn.base.clone`` can make an unfitted copy;
* ``fit(X, y)`` learns from a 2-D table ``X`` (rows are samples, columns are
  features) and the targets ``y``, stores what it learned in attributes whose
  names end with an underscore (``model_``, ``classes_``, ``n_features_in_``)
  and returns ``self``;
* ``predict(X)`` (classifiers and regressors) or ``transform(X)``
  (transformers) uses the fitted state.

Because every estimator keeps that contract, scikit-learn's tools can drive
any of them: a ``Pipeline`` chains a scaler and a model, ``GridSearchCV``
clones the estimator once per parameter setting and fold, ``cross_val_score``
fits and scores it on each fold.

The three wrappers map the contract onto Keras's:

=====================  ====================================================
scikit-learn           Keras, inside the wrapper
=====================  ====================================================
``__init__``           keep ``model`` (a compiled ``Model`` or a function
                       that builds one), ``model_kwargs``, ``fit_kwargs``
``fit(X, y)``          check ``X`` and ``y``; encode ``y`` (one-hot for a
                       classifier, a column for the others); build the model
                       -- ``model(X=X, y=y_encoded, **model_kwargs)`` or
                       ``clone_model(model)``; ``model.fit(X, y_encoded,
                       **fit_kwargs)``; keep ``model_`` and ``history_``
``predict(X)``         ``model_.predict(X)``, decoded: the class of the
                       largest output, or the column squeezed back to 1-D
``predict_proba(X)``   the outputs as probabilities (classifier only)
``transform(X)``       ``model_.predict(X)`` as it is (transformer only)
``score(X, y)``        accuracy (classifier) or R² (regressor), from
                       scikit-learn's mixins
=====================  ====================================================

Beyond Keras 3.15.1 these wrappers have ``predict_proba``, a ``warm_start``
that continues training, ``fit_kwargs`` that are never modified and survive
``clone``, and ``random_state``: with an int, ``fit`` seeds kerastutor's
generators (``keras.utils.set_random_seed``) while it builds and trains the
model, so two fits give identical predictions -- and the caller's random state
is put back afterwards.
"""
import copy

import numpy as np

from kerastutor.models import Model, clone_model
from kerastutor.wrappers.utils import (assert_sklearn_installed, check_compiled, seed_from,
                                       seeded, sklearn, validate_data)

if sklearn is not None:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
else:                        # importable without scikit-learn; the constructors then refuse
    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass

    class TransformerMixin:
        pass


_ARGS_DOC = r"""
    Parameters
    ----------
    model : keras.Model or callable
        A compiled ``keras.Model``, or a function that returns one. A ``Model``
        is copied with ``keras.models.clone_model`` (fresh weights, same compile
        settings) for every fit, so the instance you pass is never trained; with
        ``warm_start=True`` the first fit starts from a copy of its current
        weights instead. A function is called as ``model(X=X, y=y,
        **model_kwargs)`` with the checked ``X`` and the *encoded* ``y``, so it
        can read the input width (``X.shape[1]``) and the output width
        (``y.shape[1]``); it must compile the model.
    warm_start : bool
        ``False``: every ``fit`` builds a new model. ``True``: a second ``fit``
        keeps training ``model_`` from where the last one stopped (epochs are
        numbered on, ``epoch_`` counts them all).
    model_kwargs : dict or None
        Keyword arguments for the ``model`` function (a grid search can tune
        them: ``model_kwargs=[{...}, ...]``).
    fit_kwargs : dict or None
        Keyword arguments for ``Model.fit`` (``epochs``, ``batch_size``,
        ``callbacks``, ...). Keyword arguments given to the wrapper's ``fit``
        take precedence; neither is modified. ``verbose`` defaults to 0 (no
        progress bars).
    random_state : None, int or numpy.random.RandomState
        With an int, building and training are seeded, so fits repeat exactly.

    Attributes
    ----------
    model\_ : keras.Model
        The fitted model.
    history\_ : History
        What the last ``Model.fit`` returned.
    epoch\_ : int
        How many epochs ``model_`` has been trained, over all warm-started fits
        (0 before the first fit).
    n_features_in\_ : int
        The number of columns of ``X`` seen by ``fit``.
"""


class SKLBase(BaseEstimator):
    """What the three wrappers share: the parameters, ``fit``, ``predict``, cloning.

    Subclasses choose how targets are encoded for the model
    (:meth:`_encode_target`) and how the model's outputs are decoded
    (:meth:`_decode_output`).
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None,
                 random_state=None):
        # scikit-learn's rule: __init__ stores the parameters untouched, no checks
        # (fit checks them), so that get_params/set_params/clone work.
        assert_sklearn_installed(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs
        self.random_state = random_state

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A fixed random_state gives identical fits, so scikit-learn's
        # reproducibility checks (fit idempotence, pipeline consistency, ...) run.
        tags.non_deterministic = False
        return tags

    def _more_tags(self):                    # scikit-learn < 1.6
        return {"non_deterministic": False}

    # ----------------------------------------------------------------- clone
    def __sklearn_clone__(self):
        """An unfitted copy with the same parameters (``sklearn.base.clone``).

        Every parameter is copied -- ``fit_kwargs`` included -- except ``model``:
        a function or a ``Model`` instance is shared (fit never trains the
        instance, it trains a clone), anything else is deep-copied. As in
        scikit-learn's own ``clone``, metadata requests (``set_fit_request``)
        and the ``set_output`` configuration come along.
        """
        params = {name: (value if name == "model" and callable(value)
                         else copy.deepcopy(value))
                  for name, value in self.get_params(deep=False).items()}
        twin = type(self)(**params)
        for setting in ("_metadata_request", "_sklearn_output_config"):
            if hasattr(self, setting):
                setattr(twin, setting, copy.deepcopy(getattr(self, setting)))
        return twin

    # --------------------------------------------------------------- epoch_
    @property
    def epoch_(self):
        """Epochs ``model_`` has been trained, over every warm-started fit (0 before fit)."""
        return getattr(self, "_epochs_trained", 0)

    # ------------------------------------------------------ metadata routing
    def set_fit_request(self, **kwargs):
        """Ask a meta-estimator to route metadata (``sample_weight=True``) to ``fit``.

        Only with ``sklearn.set_config(enable_metadata_routing=True)``, as in
        scikit-learn. (Keras's version records the request for ``score``.)
        """
        if not sklearn.get_config().get("enable_metadata_routing", False):
            raise RuntimeError(
                "This method is only available when metadata routing is enabled. You "
                "can enable it using sklearn.set_config(enable_metadata_routing=True).")
        requests = self._get_metadata_request()
        for param, alias in kwargs.items():
            requests.fit.add_request(param=param, alias=alias)
        self._metadata_request = requests
        return self

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, **kwargs):
        """Build (or, warm-started, keep) the Keras model and train it on ``X``, ``y``.

        Args:
            X: array-like of shape ``(n_samples, n_features)``.
            y: array-like of shape ``(n_samples,)``.
            **kwargs: more arguments for ``Model.fit`` (``epochs=3``,
                ``sample_weight=w``, ...); they override ``fit_kwargs``.

        Returns:
            self
        """
        continuing = bool(self.warm_start) and hasattr(self, "model_")
        X, y = validate_data(self, X, y, reset=not continuing)
        y_encoded = self._encode_target(y, reset=not continuing)
        fit_kwargs = {"verbose": 0, **(self.fit_kwargs or {}), **kwargs}   # a new dict
        done = self.epoch_ if continuing else 0
        if continuing and "initial_epoch" not in fit_kwargs:
            # Train `epochs` more epochs, numbered on from the last fit (so
            # schedules and callbacks see the real epoch index).
            fit_kwargs["epochs"] = done + fit_kwargs.get("epochs", 1)
            fit_kwargs["initial_epoch"] = done
        with seeded(seed_from(self.random_state, salt=done)):
            model = self.model_ if continuing else self._build_model(X, y_encoded)
            history = model.fit(X, y_encoded, **fit_kwargs)
        self.model_ = model
        self.history_ = history
        self._epochs_trained = done + len(history.epoch)
        return self

    def _build_model(self, X, y):
        """A new compiled model: a clone of ``model``, or what the ``model`` function returns."""
        if isinstance(self.model, type):
            raise TypeError(
                f"{type(self).__name__}: `model` must be a compiled keras.Model instance or "
                f"a function returning one; got the class {self.model.__name__}. Pass an "
                "instance, or a function that builds and compiles it.")
        if isinstance(self.model, Model):
            if self.model_kwargs:
                raise ValueError(
                    f"{type(self).__name__}: `model_kwargs` are the arguments of a `model` "
                    "function, but `model` is a Model instance; got "
                    f"model_kwargs={self.model_kwargs!r}.")
            model = clone_model(self.model)
            if self.model.compiled and not model.compiled:
                # Keras's clone_model keeps the compile settings; do the same here.
                model.compile_from_config(self.model.get_compile_config())
            if self.warm_start:
                model.set_weights(self.model.get_weights())
        elif callable(self.model):
            model = self.model(X=X, y=y, **(self.model_kwargs or {}))
            if not isinstance(model, Model):
                raise TypeError(
                    f"{type(self).__name__}: the `model` function must return a compiled "
                    f"keras.Model; it returned {type(model).__name__}.")
        else:
            raise TypeError(
                f"{type(self).__name__}: `model` must be a compiled keras.Model instance or "
                f"a function returning one; got {type(self.model).__name__}: {self.model!r}.")
        check_compiled(model)
        return model

    # -------------------------------------------------------------- predict
    def _raw_outputs(self, X):
        """``model_.predict`` on checked ``X`` (silent: no progress bar)."""
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.asarray(self.model_.predict(X, verbose=0))

    def predict(self, X):
        """The model's outputs for ``X``, decoded back to the targets' form."""
        return self._decode_output(self._raw_outputs(X))

    # ---------------------------------------------------- targets (default)
    def _encode_target(self, y, reset):
        """A 1-D ``y`` becomes a column ``(n, 1)``; the model is trained on that."""
        _target_type(y)                        # refuses targets that are not numbers
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _decode_output(self, output):
        """A single output column is squeezed back to 1-D, like the targets were."""
        return output[:, 0] if output.ndim == 2 and output.shape[1] == 1 else output


def _target_type(y):
    """scikit-learn's ``type_of_target``, with its "Unknown label type" error for 'unknown'."""
    from sklearn.utils.multiclass import type_of_target
    target_type = type_of_target(y, input_name="y")
    if target_type == "unknown":
        raise ValueError(f"Unknown label type: {y!r}")
    return target_type


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A Keras model as a scikit-learn classifier (``keras.wrappers.SKLearnClassifier``).

    The labels ``y`` (ints, strings, ... -- two classes or more) are sorted
    into ``classes_`` and one-hot encoded, one column per class, binary
    problems included: the model should end in ``Dense(len(classes_))``,
    usually with a softmax and ``categorical_crossentropy``. ``predict``
    returns the class of the largest output; ``predict_proba`` the outputs as
    probabilities; ``decision_function`` the raw outputs (for two classes, as
    scikit-learn requires, one score per sample: positive means
    ``classes_[1]``). Besides the attributes listed below, ``classes_``
    holds the sorted class labels.

    Examples
    --------
    >>> import numpy as np
    >>> import kerastutor as keras
    >>> from kerastutor.wrappers import SKLearnClassifier
    >>> def build(X, y, units=8):
    ...     model = keras.Sequential([keras.Input((X.shape[1],)),
    ...                               keras.layers.Dense(units, activation="relu"),
    ...                               keras.layers.Dense(y.shape[1], activation="softmax")])
    ...     model.compile(optimizer="adam", loss="categorical_crossentropy")
    ...     return model
    >>> X = np.array([[0.0], [0.1], [0.9], [1.0]])
    >>> clf = SKLearnClassifier(build, fit_kwargs={"epochs": 2}, random_state=0)
    >>> clf.fit(X, ["no", "no", "yes", "yes"]).classes_
    array(['no', 'yes'], dtype='<U3')
    >>> clf.predict_proba(X).shape, clf.epoch_
    ((4, 2), 2)
    """

    def _encode_target(self, y, reset):
        """One-hot encode the labels, one float64 column per class (as Keras's OneHotEncoder)."""
        target_type = _target_type(y)
        if target_type not in ("binary", "multiclass"):
            raise ValueError("Only binary and multiclass target types are supported."
                             f" Target type: {target_type}")
        if reset:
            classes = np.unique(y)
            if len(classes) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
            self.classes_ = classes
        else:
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if unseen.size:
                raise ValueError(
                    f"y has labels {unseen.tolist()} that the first fit did not see; a "
                    f"warm-started fit keeps classes_={self.classes_.tolist()}.")
        return (y.reshape(-1, 1) == self.classes_).astype(np.float64)

    def _checked_scores(self, X):
        output = self._raw_outputs(X)
        if output.ndim != 2 or output.shape[1] != len(self.classes_):
            raise ValueError(
                f"The model's output has shape {output.shape}, but a classifier's model must "
                f"give one column per class ({len(self.classes_)} classes; binary targets "
                "are one-hot encoded to 2 columns too).")
        return output

    def predict(self, X):
        """The class of the largest output, for each sample of ``X``."""
        scores = self._checked_scores(X)          # checks fitted before classes_ is read
        return self.classes_[np.argmax(scores, axis=1)]

    def decision_function(self, X):
        """The model's raw outputs, ``(n_samples, n_classes)``.

        For two classes scikit-learn wants one score per sample, positive for
        ``classes_[1]``: that is ``outputs[:, 1] - outputs[:, 0]`` (the
        log-odds when the outputs are logits), shape ``(n_samples,)``.
        """
        scores = self._checked_scores(X)
        return scores[:, 1] - scores[:, 0] if len(self.classes_) == 2 else scores

    def predict_proba(self, X):
        """Class probabilities, ``(n_samples, n_classes)``, rows summing to 1 (float64).

        Outputs all in ``[0, 1]`` are taken as probabilities (a softmax, or
        sigmoids) and divided by their row sum; any other outputs are taken as
        logits and go through a softmax. Either way the largest output stays
        the largest, so ``argmax(predict_proba(X))`` agrees with ``predict``.
        """
        scores = self._checked_scores(X).astype(np.float64)
        if scores.min() >= 0.0 and scores.max() <= 1.0:
            totals = scores.sum(axis=1, keepdims=True)
            uniform = np.full_like(scores, 1.0 / scores.shape[1])
            return np.where(totals > 0, scores / np.where(totals > 0, totals, 1.0), uniform)
        shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # The score depends on the wrapped network and its training, not on the wrapper.
        tags.classifier_tags.poor_score = True
        return tags

    def _more_tags(self):
        return {**super()._more_tags(), "poor_score": True}


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A Keras model as a scikit-learn regressor (``keras.wrappers.SKLearnRegressor``).

    The targets ``y`` (1-D) are given to the model as a column ``(n, 1)``;
    ``predict`` squeezes a one-column output back to ``(n,)``. ``score`` is R².
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags

    def _more_tags(self):
        return {**super()._more_tags(), "poor_score": True}


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A Keras model as a scikit-learn transformer (``keras.wrappers.SKLearnTransformer``).

    "Transformer" in scikit-learn's sense: a step that turns ``X`` into new
    features, such as an embedding. ``fit(X, y)`` trains the model on ``y``
    given as a column (``y`` is required); ``transform(X)`` returns the
    model's outputs unchanged, ``(n_samples, n_outputs)``; ``fit_transform``
    does both. To use an already trained model without training it again,
    wrap it in ``sklearn.frozen.FrozenEstimator`` after a fit.
    """

    def transform(self, X):
        """The model's outputs for ``X``, as they are."""
        return self._raw_outputs(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []      # outputs are floatx, whatever X was
        return tags

    def _more_tags(self):
        return {**super()._more_tags(), "preserves_dtype": []}


# The constructor arguments and fitted attributes are the same for the three:
# written once above, appended to each class's docstring.
for _wrapper in (SKLearnClassifier, SKLearnRegressor, SKLearnTransformer):
    _wrapper.__doc__ += _ARGS_DOC
