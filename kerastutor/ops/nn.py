r"""``keras.ops.nn``: activations, convolutions, pooling, normalization, attention, losses.

The activations are the objects of :mod:`kerastutor.activations`: called on a
traced value, an activation's ``forward`` gives the value and its own
``backward`` is the op's derivative (:func:`~kerastutor.tape.record_activation`),
so no formula is written twice.
"""
import numpy as np

from kerastutor import activations, backend
from kerastutor.tape import _value


def relu(x):
    r""":math:`\max(x, 0)`; derivative :math:`[x > 0]` (:class:`~kerastutor.activations.ReLU`)."""
    return activations.ReLU()(x)


def relu6(x):
    r""":math:`\min(\max(x, 0), 6)` (:class:`~kerastutor.activations.ReLU6`)."""
    return activations.ReLU6()(x)


def leaky_relu(x, negative_slope=0.2):
    r""":math:`x` or :math:`\alpha x` below 0 (:class:`~kerastutor.activations.LeakyReLU`)."""
    return activations.LeakyReLU(negative_slope)(x)


def elu(x, alpha=1.0):
    r"""Exponential linear unit (:class:`~kerastutor.activations.ELU`)."""
    return activations.ELU(alpha)(x)


def selu(x):
    r"""Scaled exponential linear unit (:class:`~kerastutor.activations.SELU`)."""
    return activations.SELU()(x)


def gelu(x, approximate=True):
    r"""Gaussian error linear unit; Keras's *op* defaults to the tanh approximation
    (the activation ``keras.activations.gelu`` to the exact erf form).
    See :class:`~kerastutor.activations.GELU`."""
    return activations.GELU(approximate)(x)


def silu(x):
    r""":math:`x\,\sigma(x)` (:class:`~kerastutor.activations.SiLU`)."""
    return activations.SiLU()(x)


def sigmoid(x):
    r""":math:`\sigma(x)`; derivative :math:`\sigma(1 - \sigma)` (:class:`~kerastutor.activations.Sigmoid`)."""
    return activations.Sigmoid()(x)


def hard_sigmoid(x):
    r""":math:`\mathrm{relu6}(x + 3)/6` (:class:`~kerastutor.activations.HardSigmoid`)."""
    return activations.HardSigmoid()(x)


def log_sigmoid(x):
    r""":math:`\log\sigma(x)` (:class:`~kerastutor.activations.LogSigmoid`)."""
    return activations.LogSigmoid()(x)


def softplus(x):
    r""":math:`\log(1 + e^x)`; derivative :math:`\sigma(x)` (:class:`~kerastutor.activations.Softplus`)."""
    return activations.Softplus()(x)


def softsign(x):
    r""":math:`x / (1 + |x|)` (:class:`~kerastutor.activations.Softsign`)."""
    return activations.Softsign()(x)


def softmax(x, axis=-1):
    r"""Softmax along ``axis``; VJP :math:`s \odot (g - \sum g s)` (:class:`~kerastutor.activations.Softmax`)."""
    return activations.Softmax(axis)(x)


def log_softmax(x, axis=-1):
    r""":math:`x - \mathrm{logsumexp}(x)` along ``axis`` (:class:`~kerastutor.activations.LogSoftmax`)."""
    return activations.LogSoftmax(axis)(x)


swish = silu


def one_hot(x, num_classes, axis=-1, dtype=None):
    """Integer labels to one-hot rows (no gradient)."""
    labels = np.asarray(_value(x)).astype(np.int64)
    out = np.eye(num_classes, dtype=dtype or backend.floatx())[labels]
    return np.moveaxis(out, -1, axis) if axis != -1 else out


__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "sigmoid",
           "hard_sigmoid", "log_sigmoid", "softplus", "softsign", "softmax",
           "log_softmax", "one_hot"]
