r"""Weight constraints: a projection applied after every optimizer step.

After the update :math:`W \leftarrow W - \eta g`, a constraint maps ``W``
back into an allowed set, e.g. ``NonNeg`` sets negative entries to 0 and
``MaxNorm`` rescales columns whose norm exceeds ``max_value``.
"""

import numpy as np

from kerastutor import backend
from kerastutor.backend import did_you_mean


class Constraint:
    """Base class: ``__call__(w)`` returns the projected weights."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class NonNeg(Constraint):
    r""":math:`w \leftarrow \max(w, 0)`."""

    def __call__(self, w):
        return w * (w >= 0)


class MaxNorm(Constraint):
    r"""Columns (norms along ``axis``) longer than ``max_value`` are scaled down.

    .. math:: w \leftarrow w \cdot \frac{\mathrm{clip}(\|w\|, 0, c)}{\epsilon + \|w\|}
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = np.sqrt(np.sum(np.square(w), axis=self.axis, keepdims=True))
        desired = np.clip(norms, 0, self.max_value)
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class UnitNorm(Constraint):
    r""":math:`w \leftarrow w / (\epsilon + \|w\|)` along ``axis``."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        norms = np.sqrt(np.sum(np.square(w), axis=self.axis, keepdims=True))
        return w / (backend.epsilon() + norms)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    r"""Norms moved toward ``[min_value, max_value]`` at speed ``rate``."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = np.sqrt(np.sum(np.square(w), axis=self.axis, keepdims=True))
        desired = (self.rate * np.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return w * (desired / (backend.epsilon() + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

_BY_NAME = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
            "min_max_norm": MinMaxNorm, "MaxNorm": MaxNorm, "NonNeg": NonNeg,
            "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm}


def get(identifier):
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, dict):
        return _BY_NAME[identifier["class_name"]].from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            hint = did_you_mean(identifier, list(_BY_NAME))
            raise ValueError(f"Unknown constraint {identifier!r}.{hint}")
        return _BY_NAME[identifier]()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint {identifier!r}.")


def serialize(constraint):
    return {"module": "keras.constraints", "class_name": type(constraint).__name__,
            "config": constraint.get_config(), "registered_name": None}


def deserialize(config):
    return get(config)

__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "unit_norm",
    "get",
    "serialize",
    "deserialize",
]
