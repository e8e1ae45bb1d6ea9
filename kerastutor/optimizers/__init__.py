r"""Optimizers: how a gradient becomes a change of the weights (``keras.optimizers``).

One file per rule, as in Keras 3 (``keras/src/optimizers/``):

* :mod:`.optimizer` -- the :class:`Optimizer` base: the order of a step
  (unscale, clip, weight decay, the rule, moving average, constraints),
  slots, the learning rate and its schedule, saving, and the table of fused
  GPU kernels;
* :mod:`.schedules` -- learning-rate schedules (``keras.optimizers.schedules``);
* the rules, each its formula: :mod:`.sgd`, :mod:`.rmsprop`, :mod:`.adagrad`,
  :mod:`.adam`, :mod:`.adamw`, :mod:`.adadelta`, :mod:`.adamax`, :mod:`.nadam`,
  :mod:`.lion`, :mod:`.ftrl`, :mod:`.lamb`, :mod:`.adafactor`.

This file gathers them and looks them up by name: :func:`get`,
:func:`serialize`, :func:`deserialize`.
"""
from kerastutor import keras2, registry
from kerastutor.optimizers import schedules
from kerastutor.optimizers.adadelta import Adadelta
from kerastutor.optimizers.adafactor import Adafactor
from kerastutor.optimizers.adagrad import Adagrad
from kerastutor.optimizers.adam import Adam
from kerastutor.optimizers.adamax import Adamax
from kerastutor.optimizers.adamw import AdamW
from kerastutor.optimizers.ftrl import Ftrl
from kerastutor.optimizers.lamb import Lamb
from kerastutor.optimizers.lion import Lion
from kerastutor.optimizers.nadam import Nadam
from kerastutor.optimizers.optimizer import Optimizer
from kerastutor.optimizers.rmsprop import RMSprop
from kerastutor.optimizers.schedules import (
    CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay,
    LearningRateSchedule, PiecewiseConstantDecay, PolynomialDecay)
from kerastutor.optimizers.sgd import SGD

_OPTIMIZERS = {cls.__name__.lower(): cls for cls in (
    SGD, RMSprop, Adagrad, Adam, AdamW, Adadelta, Adamax, Nadam, Lion, Ftrl, Lamb, Adafactor)}
# names Keras accepts that kerastutor does not implement: say so instead of "unknown"
_NOT_IMPLEMENTED = ("muon", "schedulefreeadamw", "lossscaleoptimizer",
                    "multioptimizer", "optimizermap")


# The registry's catalog: Keras accepts any casing ("adam", "Adam"), so the names are
# stored lower-cased and looked up that way; saved records name the class ("Adam").
CATALOG = registry.Catalog("optimizer", "keras.optimizers")
for _cls in _OPTIMIZERS.values():
    CATALOG.add(_cls, _cls.__name__.lower())
del _cls


def _class_for(name, custom_objects=None):
    """The optimizer class called ``name`` (yours first, then any casing of ours)."""
    found = CATALOG.find(name, custom_objects) or CATALOG.find(str(name).lower())
    if found is not None:
        return found
    if str(name).lower() in _NOT_IMPLEMENTED:
        raise ValueError(f"Optimizer {name!r} exists in Keras but is not implemented in "
                         f"kerastutor. Available: {', '.join(sorted(_OPTIMIZERS))}.")
    raise CATALOG.unknown(str(name).lower(), custom_objects)


def get(identifier, custom_objects=None):
    """An optimizer from a name (any casing: ``"adam"``, ``"Adam"``), a config dict or itself.

    Strings give the optimizer with Keras's default hyperparameters, as in
    ``model.compile(optimizer="adam")``; names of your own optimizers come from
    ``custom_objects``, a scope or the registry (:mod:`kerastutor.registry`).
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if isinstance(identifier, str):
        return _class_for(identifier, custom_objects)()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Expected a "
                     "name such as 'adam', an Optimizer instance or a config dict.")


def serialize(optimizer):
    """Keras's ``{"module", "class_name", "config", "registered_name"}`` dict."""
    return CATALOG.record(optimizer)


def deserialize(config, custom_objects=None):
    """An optimizer from :func:`serialize`'s dict (``class_name`` in any casing)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"optimizers.deserialize: expected a dict with 'class_name' and "
                         f"'config', got {config!r}.")
    registered = config.get("registered_name")
    cls = _class_for(registered if registered and CATALOG.find(registered, custom_objects)
                     else config["class_name"], custom_objects)
    return cls.from_config(config.get("config", {}))


__all__ = [
    "Optimizer", "SGD", "RMSprop", "Adagrad", "Adam", "AdamW", "Adadelta", "Adamax",
    "Nadam", "Lion", "Ftrl", "Lamb", "Adafactor",
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
    "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts", "schedules",
    "get", "serialize", "deserialize",
]


# A Keras 2 name missing here fails naming its Keras 3 replacement (see kerastutor.keras2).
__getattr__ = keras2.module_getattr(__name__)
