r"""Weight regularizers: a penalty added to the loss, and its gradient.

A regularizer :math:`R(W)` makes large weights cost something. The fit
loop adds :math:`R(W)` to the loss once per step and, during backward,
:math:`\partial R/\partial W` to ``W.grad``. Keras's penalties carry no 1/2:

.. math::

    R_{L1}(W) = \lambda_1 \sum |w|, \qquad R_{L2}(W) = \lambda_2 \sum w^2 .
"""

import numpy as np

from kerastutor import backend, registry


class Regularizer:
    """Base class: ``__call__(w)`` gives the penalty, ``gradient(w)`` its derivative."""

    def __call__(self, w):
        raise NotImplementedError

    def gradient(self, w):
        raise NotImplementedError(f"{type(self).__name__} has no gradient(); kerastutor "
                                  "needs dR/dW to train with a regularizer.")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    r"""Both penalties: :math:`\lambda_1 \sum|w| + \lambda_2 \sum w^2`.

    Gradient: :math:`\lambda_1\,\mathrm{sign}(w) + 2\lambda_2 w`.
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, w):
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.abs(w).sum())
        if self.l2:
            penalty += self.l2 * float(np.square(w).sum())
        return penalty

    def gradient(self, w):
        grad = np.zeros_like(w)
        if self.l1:
            grad += self.l1 * np.sign(w)
        if self.l2:
            grad += 2.0 * self.l2 * w
        return grad

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    r""":math:`R(W) = \lambda_1 \sum |w|` (default ``l1=0.01``); gradient :math:`\lambda_1 \mathrm{sign}(w)`."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    r""":math:`R(W) = \lambda_2 \sum w^2` (default ``l2=0.01``); gradient :math:`2\lambda_2 w`."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    r"""Pushes the rows (or columns) of a kernel towards being orthogonal.

    With :math:`n_i = w_i / \lVert w_i \rVert` the normalised rows (columns
    for ``mode="columns"``) and :math:`P = N N^\top` their cosine similarities,

    .. math::

        R(W) = \lambda \cdot \frac{1}{2} \cdot
               \frac{\sum_{i \ne j} |P_{ij}|}{k(k-1)/2}

    over the :math:`k` rows: the mean absolute cosine between distinct rows.
    Gradient: with :math:`G = \partial R/\partial N = 2c\,S N`,
    :math:`S = \mathrm{sign}(P)` off the diagonal and
    :math:`c = \lambda / (k(k-1))`, each row passes through the
    normalisation, :math:`\partial R/\partial w_i = (G_i - (G_i \cdot n_i)\, n_i) /
    \lVert w_i \rVert`. (A row shorter than ``epsilon`` is divided by
    ``epsilon`` instead, as Keras does.) Rank-2 kernels only.
    """

    has_kinks = True        # |P_ij| has a kink where two rows are exactly orthogonal

    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: mode must be 'rows' or 'columns', "
                             f"got {mode!r}.")
        self.factor, self.mode = float(factor), mode

    def _rows(self, w):
        w = np.asarray(w)
        if w.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer needs a rank-2 kernel, got shape "
                             f"{w.shape}. Hint: use it on Dense kernels.")
        return w if self.mode == "rows" else w.T

    def _normalised(self, rows):
        norms = np.sqrt(np.square(rows).sum(axis=1, keepdims=True))
        scale = np.maximum(norms, backend.epsilon())       # Keras caps 1/norm at 1/eps
        return rows / scale, scale, norms >= backend.epsilon()

    def __call__(self, w):
        rows = self._rows(w)
        k = rows.shape[0]
        n, _, _ = self._normalised(rows)
        cosines = n @ n.T
        np.fill_diagonal(cosines, 0.0)
        return self.factor * 0.5 * float(np.abs(cosines).sum()) / (k * (k - 1) / 2.0)

    def gradient(self, w):
        rows = self._rows(w)
        k = rows.shape[0]
        n, scale, unclipped = self._normalised(rows)
        signs = np.sign(n @ n.T)
        np.fill_diagonal(signs, 0.0)
        c = self.factor * 0.5 / (k * (k - 1) / 2.0)
        g = 2.0 * c * (signs @ n)                                     # dR/dN
        radial = (g * n).sum(axis=1, keepdims=True) * n * unclipped  # along each row
        grad = (g - radial) / scale
        return grad if self.mode == "rows" else grad.T

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


orthogonal_regularizer = OrthogonalRegularizer


l1, l2, l1_l2 = L1, L2, L1L2

CATALOG = registry.Catalog("regularizer", "keras.regularizers")
for _name, _cls in {"l1": L1, "l2": L2, "l1l2": L1L2, "L1": L1, "L2": L2, "L1L2": L1L2,
                    "orthogonal_regularizer": OrthogonalRegularizer,
                    "OrthogonalRegularizer": OrthogonalRegularizer}.items():
    CATALOG.add(_cls, _name)
del _name, _cls


def get(identifier, custom_objects=None):
    """``"l2"`` -> ``L2()``; an instance or a function passes through; a record is rebuilt."""
    return CATALOG.get(identifier, custom_objects)


def serialize(regularizer):
    """Keras's record: ``{"module": "keras.regularizers", "class_name": ..., "config": ...}``."""
    return CATALOG.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize` (a name works too)."""
    return CATALOG.get(config, custom_objects)


__all__ = [
    "Regularizer",
    "OrthogonalRegularizer",
    "orthogonal_regularizer",
    "L1",
    "L2",
    "L1L2",
    "l1",
    "l2",
    "l1_l2",
    "get",
    "serialize",
    "deserialize",
]
