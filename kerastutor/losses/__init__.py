r"""Losses: one number that says how wrong the predictions are, and its gradient.

A loss compares the targets :math:`y` with the model's predictions
:math:`\hat y` in three steps, exactly as Keras 3 does (``keras.losses.Loss``):

1. **Per-sample values.** Each loss reduces the *last* axis (the classes,
   the output units): mean squared error gives one number per sample,
   :math:`\ell_i = \frac1K \sum_k (\hat y_{ik} - y_{ik})^2`. A batch of shape
   ``(N, K)`` gives ``N`` values, a sequence batch ``(N, T, K)`` gives ``N x T``.
2. **Weights.** Optional ``sample_weight`` multiplies each value:
   :math:`w_i \ell_i` (a weight of shape ``(N, T)`` weighs every time step).
3. **Reduction** to one number. The default, ``"sum_over_batch_size"``, is

   .. math:: L = \frac{1}{n} \sum_i w_i \ell_i

   where :math:`n` is the **number of values** -- not the sum of the weights
   (that is ``"mean_with_sample_weight"``). ``"sum"`` drops the
   :math:`\frac1n`; ``None`` / ``"none"`` returns the weighted values.

Backpropagation starts here. The gradient of :math:`L` follows the same
three steps backwards:

.. math::

    \frac{\partial L}{\partial \hat y_{ik}}
    = \underbrace{\frac{w_i}{n}}_{\text{reduction}}\;
      \underbrace{\frac{\partial \ell_i}{\partial \hat y_{ik}}}_{\text{the loss's own}}

so each loss only writes its per-sample values and their derivative, as a
pair of methods like a layer's:

``forward(y_true, y_pred) -> (values, cache)``
    the values :math:`\ell_i`, and whatever the derivative will reuse;
``backward(cache) -> dvalues``
    :math:`\partial \ell_i / \partial \hat y_{ik}`, shaped like ``y_pred``.

A learner's loss written the Keras way -- a :class:`Loss` subclass with only
``call(y_true, y_pred)``, or a plain function -- has no ``backward``: its
``call`` runs on the op tape (:mod:`kerastutor.tape`) with ``y_pred``
traced, and the tape, walked back from :math:`L`, gives the gradient. The
built-in losses never use the tape.

:class:`Loss` does the rest: casting (float32, but float64 inputs stay
float64 so gradient checks are exact), aligning ``(N,)`` targets with
``(N, 1)`` predictions, weights, reduction and the factor :math:`w_i / n`.
``value_and_gradient`` is what the fit loop calls every step.

The package follows Keras 3's ``keras/src/losses/``; each file is one page:

``loss.py``
    :class:`Loss`, the pipeline every loss shares: casting, aligning targets
    with predictions, sample weights, the reduction and its derivative
    :math:`w_i / n`, and the helpers several families use.
``regression_losses.py``
    errors of real-valued predictions: mean squared, absolute, percentage and
    squared-logarithmic error, Huber, log-cosh and cosine similarity.
``probabilistic_losses.py``
    predicted probabilities: the crossentropies (plain and focal), the
    Kullback-Leibler divergence and the Poisson loss.
``hinge_losses.py``
    margins of max-margin classifiers: hinge, squared hinge, categorical hinge.
``segmentation_losses.py``
    overlap of masks: Dice and Tversky.
``loss_wrapper.py``
    :class:`LossFunctionWrapper`, a plain function used as a loss.

Every family file imports only ``loss.py``. This file gathers the public
names and the registry: :func:`get`, :func:`serialize`, :func:`deserialize`
and :func:`resolve_crossentropy`, which turn the strings and dicts Keras
accepts as ``loss=`` into :class:`Loss` objects.
"""
from kerastutor import backend, keras2, registry
from kerastutor.losses import loss as _loss_module
from kerastutor.losses.hinge_losses import (CategoricalHinge, Hinge, SquaredHinge,
                                            categorical_hinge, hinge, squared_hinge)
from kerastutor.losses.loss import Loss, _invalid
from kerastutor.losses.loss_wrapper import LossFunctionWrapper
from kerastutor.losses.probabilistic_losses import (
    BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
    CategoricalFocalCrossentropy, KLDivergence, Poisson, SparseCategoricalCrossentropy,
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, kl_divergence, poisson, sparse_categorical_crossentropy)
from kerastutor.losses.regression_losses import (
    CosineSimilarity, Huber, LogCosh, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, cosine_similarity, huber, log_cosh,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error)
from kerastutor.losses.segmentation_losses import Dice, Tversky, dice, tversky

#: The reductions Keras accepts (``"mean"`` is a synonym of the default).
REDUCTIONS = _loss_module.REDUCTIONS

# Keras's short names for the functions
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy


# ==================================================================== registry
_CLASSES = {cls.__name__: cls for cls in (
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge,
    KLDivergence, Poisson, CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, BinaryFocalCrossentropy, CategoricalFocalCrossentropy,
    Dice, Tversky)}

#: Keras function name -> (function, the class that computes it).
_FUNCTIONS = {fn.__name__: (fn, cls) for fn, cls in (
    (mean_squared_error, MeanSquaredError), (mean_absolute_error, MeanAbsoluteError),
    (mean_absolute_percentage_error, MeanAbsolutePercentageError),
    (mean_squared_logarithmic_error, MeanSquaredLogarithmicError), (huber, Huber),
    (log_cosh, LogCosh), (hinge, Hinge), (squared_hinge, SquaredHinge),
    (categorical_hinge, CategoricalHinge), (kl_divergence, KLDivergence),
    (poisson, Poisson), (cosine_similarity, CosineSimilarity),
    (binary_crossentropy, BinaryCrossentropy),
    (categorical_crossentropy, CategoricalCrossentropy),
    (sparse_categorical_crossentropy, SparseCategoricalCrossentropy),
    (binary_focal_crossentropy, BinaryFocalCrossentropy),
    (categorical_focal_crossentropy, CategoricalFocalCrossentropy),
    (dice, Dice), (tversky, Tversky))}

_ALIASES = {"mse": "mean_squared_error", "MSE": "mean_squared_error",
            "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
            "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
            "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
            "kld": "kl_divergence", "KLD": "kl_divergence",
            "bce": "binary_crossentropy", "BCE": "binary_crossentropy"}


# The registry's catalog of losses: class names ("MeanSquaredError"), Keras function names
# ("mean_squared_error") and their aliases ("mse") are all names get() accepts.
CATALOG = registry.Catalog("loss", "keras.losses")
for _cls in (*_CLASSES.values(), LossFunctionWrapper):
    CATALOG.add(_cls, _cls.__name__)
for _name, (_function, _cls) in _FUNCTIONS.items():
    CATALOG.add(_function, _name)
for _alias, _name in _ALIASES.items():
    CATALOG.add(_FUNCTIONS[_name][0], _alias)
del _cls, _name, _function, _alias
_CLASS_OF_FUNCTION = {function: cls for function, cls in _FUNCTIONS.values()}


def get(identifier, custom_objects=None):
    """A :class:`Loss` from anything Keras accepts as ``loss=``.

    * a class name (``"CategoricalCrossentropy"``) -> an instance with defaults;
    * a function name or alias (``"mse"``) -> an instance of the matching
      class, *named* by the string (Keras reports ``"mse"`` as ``mse``);
    * a :class:`Loss` instance -> itself; a :class:`Loss` subclass -> an instance;
    * a dict from :func:`serialize` -> the loss it describes;
    * a Keras loss function -> its class; any other function ->
      :class:`LossFunctionWrapper`, which trains through the op tape when the
      function is written with ``keras.ops``;
    * ``None`` -> ``None``.

    Names of your own losses come from ``custom_objects``, a
    ``custom_object_scope`` or ``register_keras_serializable``
    (:mod:`kerastutor.registry`). ``"crossentropy"`` and ``"ce"`` are *not*
    names here: ``compile`` picks the crossentropy from the shapes (see
    :func:`resolve_crossentropy`).
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if isinstance(identifier, str):
        return _from_name(identifier, custom_objects)
    if callable(identifier):
        cls = _CLASS_OF_FUNCTION.get(identifier)
        return cls(name=identifier.__name__) if cls else LossFunctionWrapper(identifier)
    raise ValueError(f"Could not interpret loss identifier {identifier!r}: expected a loss "
                     "name such as 'mse', a keras.losses.Loss, a config dict or a function.")


def _from_name(name, custom_objects=None):
    if name.lower() in ("crossentropy", "ce"):
        raise ValueError(
            f"Unknown loss {name!r}. model.compile(loss={name!r}) picks binary, categorical "
            "or sparse categorical crossentropy from the shapes of y and the output; "
            "outside compile name the one you mean, e.g. 'categorical_crossentropy'.")
    found = CATALOG.lookup(name, custom_objects)
    if found in _CLASS_OF_FUNCTION:                  # "mse" -> MeanSquaredError(name="mse")
        return _CLASS_OF_FUNCTION[found](name=name)
    return get(found)


def resolve_crossentropy(y_true_shape, y_pred_shape):
    """The crossentropy that ``compile(loss="crossentropy")`` means, by Keras's shape rule.

    * one output unit -> ``"binary_crossentropy"``;
    * targets of lower rank, or one column against several units ->
      ``"sparse_categorical_crossentropy"``;
    * otherwise -> ``"categorical_crossentropy"``.

    Shapes may be tuples (``(None, 10)``) or arrays.

    >>> resolve_crossentropy((60000,), (None, 10))
    'sparse_categorical_crossentropy'
    """
    y_true_shape = tuple(getattr(y_true_shape, "shape", y_true_shape))
    y_pred_shape = tuple(getattr(y_pred_shape, "shape", y_pred_shape))
    if y_pred_shape[-1] == 1:
        return "binary_crossentropy"
    if len(y_true_shape) < len(y_pred_shape) or y_true_shape[-1] == 1:
        return "sparse_categorical_crossentropy"
    return "categorical_crossentropy"


def serialize(loss):
    """A loss as Keras's ``{"module", "class_name", "config", "registered_name"}`` dict."""
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return CATALOG.record(loss)
    if callable(loss) and not isinstance(loss, type):
        return registry.serialize_keras_object(loss)      # Keras's record of a function
    raise _invalid("serialize", "loss", "a keras.losses.Loss or a loss function", loss)


def deserialize(config, custom_objects=None):
    """The loss a :func:`serialize` dict (or a name) describes.

    ``custom_objects`` maps the class (or function) names of your own losses
    to the objects, as in Keras.
    """
    if isinstance(config, str):
        return _from_name(config, custom_objects)
    if isinstance(config, dict) and config.get("class_name") == "function":
        return _from_name(config.get("config"), custom_objects)
    inner = (config or {}).get("config") if isinstance(config, dict) else None
    if (isinstance(inner, dict) and config.get("class_name") == "LossFunctionWrapper"
            and isinstance(inner.get("fn"), str)):
        config = {**config, "config": {**inner,
                                       "fn": _wrapped_function(inner["fn"], custom_objects)}}
    return CATALOG.from_record(config, custom_objects)


def _wrapped_function(name, custom_objects):
    """The function a :class:`LossFunctionWrapper` config names: yours, or Keras's."""
    found = CATALOG.find(name, custom_objects)
    if callable(found) and not isinstance(found, type):
        return found
    raise ValueError(f"LossFunctionWrapper: unknown function {name!r}. Hint: pass "
                     f"custom_objects={{{name!r}: {name}}} to deserialize."
                     + backend.did_you_mean(name, _FUNCTIONS))


__all__ = [
    "Loss",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "Huber", "LogCosh",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "Hinge", "SquaredHinge", "CategoricalHinge", "KLDivergence", "Poisson",
    "CosineSimilarity", "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "Dice",
    "Tversky", "LossFunctionWrapper",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "hinge", "squared_hinge",
    "categorical_hinge", "kl_divergence", "poisson", "cosine_similarity",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "binary_focal_crossentropy", "categorical_focal_crossentropy", "dice", "tversky",
    "mse", "MSE", "mae", "MAE", "mape", "MAPE", "msle", "MSLE", "kld", "KLD", "bce", "BCE",
    "get", "serialize", "deserialize", "resolve_crossentropy",
]


# A Keras 2 name missing here fails naming its Keras 3 replacement (see kerastutor.keras2).
__getattr__ = keras2.module_getattr(__name__)
