r"""Two small array utilities from ``keras.utils``: ``to_categorical`` and ``normalize``.

``to_categorical`` turns class labels into *one-hot* rows, the target format
``categorical_crossentropy`` expects:

.. math:: \text{onehot}(y)_{c} = [\,c = y\,], \qquad c = 0, \dots, C-1

``normalize`` rescales vectors to unit length:

.. math:: \hat x = \frac{x}{\lVert x \rVert_p}, \qquad
          \lVert x \rVert_p = \Bigl(\sum_j |x_j|^p\Bigr)^{1/p}

Neither is part of a model, so neither has a derivative to go with it.
"""
import numbers

import numpy as np


def to_categorical(x, num_classes=None):
    """Integer class labels to one-hot rows (Keras's ``keras.utils.to_categorical``).

    Parameters
    ----------
    x : array_like of int
        Class indices in ``0 .. num_classes-1``, of any shape. Whole floats
        such as ``2.0`` are accepted. A trailing axis of size 1 is dropped
        first, so ``(N, 1)`` labels give ``(N, C)`` rows, not ``(N, 1, C)``.
    num_classes : int or None
        Number of classes :math:`C`. ``None`` means ``max(x) + 1``.

    Returns
    -------
    ndarray of float64, shape ``x.shape + (C,)``
        As in Keras, the result is float64; ``fit`` casts it to ``floatx()``.

    Raises
    ------
    ValueError
        For labels that are not whole numbers, negative labels, or labels
        that do not fit ``num_classes``.

    Examples
    --------
    >>> to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    labels = _class_indices(np.asarray(x))
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    num_classes = _number_of_classes(labels, num_classes)
    # One row per label: zeros everywhere, then a single 1 at the label's column.
    flat = labels.reshape(-1)
    one_hot = np.zeros((flat.size, num_classes))
    one_hot[np.arange(flat.size), flat] = 1.0
    return one_hot.reshape(labels.shape + (num_classes,))


def _class_indices(x):
    """``x`` as int64 class indices, refusing anything that is not a whole number >= 0."""
    if x.dtype.kind not in "biuf":
        raise ValueError(f"to_categorical: `x` must hold integer class indices, got an array "
                         f"of dtype {x.dtype}. Hint: map class names to 0..C-1 first.")
    if x.dtype.kind == "f":
        fractional = ~np.isfinite(x) | (x != np.floor(x))
        if fractional.any():
            bad = x[fractional].flat[0].item()
            raise ValueError(
                f"to_categorical: `x` must hold whole class indices, got the value {bad!r}. "
                "Hint: if these are probabilities, take np.argmax(x, axis=-1) first; if "
                "they are already one-hot, you do not need to_categorical.")
    labels = x.astype(np.int64, copy=False)
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: class indices must be >= 0, got {labels.min().item()}. "
                         "Hint: shift the labels so that they start at 0.")
    return labels


def _number_of_classes(labels, num_classes):
    """``num_classes`` checked against the labels, or inferred as ``max + 1``."""
    largest = int(labels.max()) if labels.size else None
    if num_classes is None or num_classes == 0:
        # Keras treats a falsy num_classes as "infer it".
        if largest is None:
            raise ValueError("to_categorical: cannot infer num_classes from an empty `x`. "
                             "Hint: pass num_classes explicitly.")
        return largest + 1
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) \
            or num_classes < 0:
        raise ValueError(f"to_categorical: `num_classes` must be a positive integer or None, "
                         f"got {num_classes!r}.")
    if largest is not None and largest >= num_classes:
        raise ValueError(
            f"to_categorical: the largest label is {largest}, but num_classes={num_classes} "
            f"only allows labels 0..{num_classes - 1}. Hint: "
            + _too_large_hint(int(labels.min()), largest, num_classes))
    return int(num_classes)


def _too_large_hint(smallest, largest, num_classes):
    """The fix for labels beyond ``num_classes - 1``.

    Labels ``1..C`` with ``num_classes=C`` are ``C`` classes counted from 1
    (a data set that numbers its classes from 1, or ``y + 1`` by mistake):
    shifting them, ``y - 1``, is the fix. Raising ``num_classes`` to ``C + 1``
    would "work" but add a column for a class 0 that never occurs, and a
    model with an output unit that nothing ever trains towards.
    """
    if smallest == 1 and largest == num_classes:
        return (f"the labels run 1..{largest}: {num_classes} classes counted from 1. "
                f"Shift them to 0..{num_classes - 1}: to_categorical(y - 1, {num_classes}).")
    return (f"use num_classes={largest + 1} or more, or leave it as None to infer it.")


def normalize(x, axis=-1, order=2):
    r"""Scale ``x`` to unit ``order``-norm along ``axis`` (``keras.utils.normalize``).

    .. math:: \hat x = x / \lVert x \rVert_p, \quad \text{with } \lVert x \rVert_p = 0
              \text{ replaced by } 1

    so an all-zero vector stays zero instead of becoming NaN.

    Parameters
    ----------
    x : array_like
        The vectors to normalize.
    axis : int
        The axis that holds each vector (default: the last).
    order : number
        The norm's :math:`p`: 2 (default) for Euclidean length, 1 for the
        sum of absolute values, ``np.inf`` for the largest entry.

    Returns
    -------
    ndarray
        A new array of ``x``'s shape. Float input keeps its dtype (float32
        stays float32); integers give float64. Keras returns shape
        ``(1, n)`` for a 1-D ``x``; here the shape is always ``x``'s.

    Examples
    --------
    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    x = np.asarray(x)
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"normalize: `axis` must be an integer, got {axis!r}. Hint: to "
                         "normalize a whole array as one vector, pass x.ravel().")
    if not -x.ndim <= axis < max(x.ndim, 1):
        raise ValueError(f"normalize: `axis`={axis} is out of range for an array of shape "
                         f"{x.shape}.")
    if isinstance(order, bool) or not isinstance(order, numbers.Real):
        raise ValueError(f"normalize: `order` must be a number such as 1, 2 or np.inf, got "
                         f"{order!r}.")
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return x / norm
