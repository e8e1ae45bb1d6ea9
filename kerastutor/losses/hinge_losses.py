r"""Hinge losses: the margins of a max-margin classifier (labels :math:`\pm 1`).

A prediction on the right side of the boundary by a margin of at least 1
costs nothing and gets no gradient; inside the margin the loss grows
linearly (hinge) or quadratically (squared hinge). The derivative jumps at
the margin, so these losses are marked ``has_kinks``.
"""
import numpy as np

from kerastutor.losses.loss import Loss, _dot_last


# ======================================================================= hinges
def _hinge_labels(y):
    """Keras's rule: if every label is 0 or 1, map them to -1 and +1."""
    if np.all((y == 0) | (y == 1)):
        return 2 * y - 1
    return y


class Hinge(Loss):
    r"""Hinge loss of a max-margin classifier, labels :math:`\pm 1`.

    Labels given as 0/1 become -1/+1 first. With the margin
    :math:`m_k = 1 - y_k \hat y_k`,

    .. math::

        \ell = \frac{1}{K}\sum_k \max(m_k, 0),
        \qquad
        \frac{\partial \ell}{\partial \hat y_k} = -\frac{y_k}{K}\,[m_k > 0]

    A prediction on the right side by a margin of 1 costs nothing and gets
    no gradient.
    """

    has_kinks = True

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        y = _hinge_labels(y_true)
        margin = 1 - y * y_pred
        return np.maximum(margin, 0).mean(axis=-1), (y, margin)

    def backward(self, cache):
        y, margin = cache
        grad = np.negative(y, out=np.empty_like(margin))
        grad *= margin > 0
        grad *= 1.0 / grad.shape[-1]
        return grad


class SquaredHinge(Loss):
    r"""Squared hinge loss: the hinge, squared (labels :math:`\pm 1`, or 0/1 mapped).

    .. math::

        \ell = \frac{1}{K}\sum_k \max(1 - y_k \hat y_k, 0)^2,
        \qquad
        \frac{\partial \ell}{\partial \hat y_k} = -\frac{2}{K}\,y_k \max(1 - y_k\hat y_k, 0)
    """

    has_kinks = True

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        y = _hinge_labels(y_true)
        positive_margin = np.maximum(1 - y * y_pred, 0)
        values = _dot_last(positive_margin, positive_margin) / y_pred.shape[-1]
        return values, (y, positive_margin)

    def backward(self, cache):
        y, positive_margin = cache
        return y * positive_margin * (-2.0 / positive_margin.shape[-1])


class CategoricalHinge(Loss):
    r"""Multi-class hinge: the true class must beat the best wrong class by 1.

    With one-hot :math:`y`, the true class's score :math:`s^+ = \sum_k y_k \hat y_k`
    and the best wrong one :math:`s^- = \max_k (1 - y_k)\hat y_k` (reached at :math:`k^*`),

    .. math::

        \ell = \max(s^- - s^+ + 1,\ 0),
        \qquad
        \frac{\partial \ell}{\partial \hat y_k}
        = [\ell > 0]\,\big((1 - y_k)[k = k^*] - y_k\big)
    """

    has_kinks = True

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def forward(self, y_true, y_pred):
        true_score = _dot_last(y_true, y_pred)
        wrong_scores = (1 - y_true) * y_pred
        best_wrong = wrong_scores.argmax(axis=-1)[..., None]
        margin = np.take_along_axis(wrong_scores, best_wrong, axis=-1)[..., 0] - true_score + 1
        return np.maximum(margin, 0), (y_true, best_wrong, margin > 0)

    def backward(self, cache):
        y, best_wrong, active = cache
        grad = -y * active[..., None]
        at_best = np.take_along_axis(grad, best_wrong, axis=-1)
        push = (1 - np.take_along_axis(y, best_wrong, axis=-1)) * active[..., None]
        np.put_along_axis(grad, best_wrong, at_best + push, axis=-1)
        return grad


# ============================================================ Keras functions
def hinge(y_true, y_pred):
    """Per-sample hinge loss (see :class:`Hinge`)."""
    return Hinge(reduction=None)(y_true, y_pred)


def squared_hinge(y_true, y_pred):
    """Per-sample squared hinge loss (see :class:`SquaredHinge`)."""
    return SquaredHinge(reduction=None)(y_true, y_pred)


def categorical_hinge(y_true, y_pred):
    """Per-sample categorical hinge loss (see :class:`CategoricalHinge`)."""
    return CategoricalHinge(reduction=None)(y_true, y_pred)
