r"""Weight constraints: a projection applied after every optimizer step.

After the update :math:`W \leftarrow W - \eta g`, a constraint maps ``W``
back into an allowed set, e.g. ``NonNeg`` sets negative entries to 0 and
``MaxNorm`` rescales columns whose norm exceeds ``max_value``.
"""

import numpy as np

from kerastutor import backend, registry


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

CATALOG = registry.Catalog("constraint", "keras.constraints")
for _name, _cls in {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
                    "min_max_norm": MinMaxNorm, "MaxNorm": MaxNorm, "NonNeg": NonNeg,
                    "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm}.items():
    CATALOG.add(_cls, _name)
del _name, _cls


def get(identifier, custom_objects=None):
    """``"non_neg"`` -> ``NonNeg()``; an instance or function passes; a record is rebuilt."""
    return CATALOG.get(identifier, custom_objects)


def serialize(constraint):
    """Keras's record: ``{"module": "keras.constraints", "class_name": ..., "config": ...}``."""
    return CATALOG.serialize(constraint)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize` (a name works too)."""
    return CATALOG.get(config, custom_objects)


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
