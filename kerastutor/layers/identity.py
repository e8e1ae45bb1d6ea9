r"""Identity: the layer that does nothing, on purpose.

A placeholder where a model's code expects a layer but none is wanted (an
optional projection switched off, a skip branch in a list of blocks):

.. math::

    y = x, \qquad \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}.
"""
from kerastutor.layers.base import Layer


class Identity(Layer):
    r"""Returns its input unchanged; the gradient passes back unchanged too.

    .. math::

        y = x, \qquad \frac{\partial L}{\partial x} = g .

    It has no weights, keeps a mask, and accepts whatever it is given (an array,
    or a list of arrays, handed back as they came).

    >>> import numpy as np
    >>> import kerastutor as keras
    >>> keras.layers.Identity()(np.array([[1.0, 2.0]]))
    array([[1., 2.]], dtype=float32)
    """

    supports_masking = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built = True               # nothing to build: no weights, any input shape

    def forward(self, x, training=False):
        return x, None

    def backward(self, cache, grad_out):
        return grad_out

    def compute_output_shape(self, input_shape):
        return input_shape
