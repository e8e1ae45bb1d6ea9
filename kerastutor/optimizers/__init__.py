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
from kerastutor.backend import did_you_mean
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


def _class_for(name, argument):
    key = str(name).lower()
    if key in _OPTIMIZERS:
        return _OPTIMIZERS[key]
    if key in _NOT_IMPLEMENTED:
        raise ValueError(f"Optimizer {name!r} exists in Keras but is not implemented in "
                         f"kerastutor. Available: {', '.join(sorted(_OPTIMIZERS))}.")
    raise ValueError(f"Could not interpret optimizer {argument}: {name!r}."
                     f"{did_you_mean(key, _OPTIMIZERS)} Known optimizers: "
                     f"{', '.join(sorted(_OPTIMIZERS))}.")


def get(identifier):
    """An optimizer from a name (any casing: ``"adam"``, ``"Adam"``), a config dict or itself.

    Strings give the optimizer with Keras's default hyperparameters, as in
    ``model.compile(optimizer="adam")``.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _class_for(identifier, "identifier")()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}. Expected a "
                     "name such as 'adam', an Optimizer instance or a config dict.")


def serialize(optimizer):
    """Keras's ``{"module", "class_name", "config", "registered_name"}`` dict."""
    return {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
            "config": optimizer.get_config(), "registered_name": None}


def deserialize(config):
    """An optimizer from :func:`serialize`'s dict (``class_name`` in any casing)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"optimizers.deserialize: expected a dict with 'class_name' and "
                         f"'config', got {config!r}.")
    cls = _class_for(config["class_name"], "class_name")
    return cls.from_config(config.get("config", {}))


__all__ = [
    "Optimizer", "SGD", "RMSprop", "Adagrad", "Adam", "AdamW", "Adadelta", "Adamax",
    "Nadam", "Lion", "Ftrl", "Lamb", "Adafactor",
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay",
    "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts", "schedules",
    "get", "serialize", "deserialize",
]
