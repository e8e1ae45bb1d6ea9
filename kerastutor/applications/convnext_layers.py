r"""The pieces ConvNeXt needs that are not among Keras's public layers.

Keras defines two small layers inside its ``convnext.py``, and writes the
residual sum of every block as a tensor operation (``inputs + branch``),
which Keras's functional models record as an *operation*, not a layer.

:class:`LayerScale` -- a learned per-channel gain on the residual branch
(Touvron et al., "Going deeper with image transformers", 2021):

.. math::

    y_{\dots,c} = \gamma_c \, x_{\dots,c}, \qquad \gamma_c = \varepsilon \text{ at start}
    \ (\varepsilon = 10^{-6}),

    \frac{\partial L}{\partial x_{\dots,c}} = \gamma_c \frac{\partial L}{\partial y_{\dots,c}},
    \qquad
    \frac{\partial L}{\partial \gamma_c} = \sum_{\dots} x_{\dots,c}
    \frac{\partial L}{\partial y_{\dots,c}} .

Starting :math:`\gamma` near zero makes each block start close to the identity
(:math:`x + \gamma \odot f(x) \approx x`), which lets deep stacks train.

:class:`StochasticDepth` -- "drop path" (Huang et al., 2016): while training,
the whole residual branch of a *sample* is dropped with probability
:math:`p` and kept ones are scaled up, so that the expectation is unchanged:

.. math::

    b_n = \lfloor (1 - p) + u_n \rfloor,\ u_n \sim U[0, 1)
    \quad(\text{so } b_n \sim \text{Bernoulli}(1-p)), \qquad
    y_n = \frac{x_n}{1 - p}\, b_n, \qquad
    \frac{\partial L}{\partial x_n} = \frac{b_n}{1 - p} \frac{\partial L}{\partial y_n}.

At inference it is the identity. (Keras's constructors all use
``drop_path_rate=0``, so the pretrained models hold an identity ``Activation``
in its place.)

:class:`FunctionalWithOps` and :func:`residual_add` -- kerastutor's symbolic
tensors have no ``+``; the residual sum is an :class:`~kerastutor.layers.Add`
layer marked as an *operation*, and this model class leaves operations out
of :attr:`~FunctionalWithOps.layers`, as Keras's ``model.layers`` does. So the
layer list, and the order in which weight files are read, are Keras's.
"""
import numpy as np

from kerastutor import backend, registry
from kerastutor import random as keras_random
from kerastutor.initializers import Constant
from kerastutor.layers import Add
from kerastutor.layers.base import Layer
from kerastutor.models import Model

#: Where Keras defines these classes; their saved records name this module, as Keras's do.
KERAS_MODULE = "keras.src.applications.convnext"


class LayerScale(Layer):
    r"""Multiplies the last axis by a learned vector :math:`\gamma`: :math:`y = x \odot \gamma`.

    ``init_values`` is the starting value of every :math:`\gamma_c` (ConvNeXt:
    1e-6); ``projection_dim`` the number of channels :math:`C` (the weight has
    shape ``(C,)``, named ``variable`` as in Keras, which gives it no name).
    See the module for the gradients.
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        # Keras ignores the input shape: the weight's size is projection_dim.
        self.gamma = self.add_weight(shape=(self.projection_dim,),
                                     initializer=Constant(self.init_values), trainable=True)
        self.built = True

    def forward(self, x, training=False):
        return x * self.gamma.value, x                     # y = x * gamma (last axis)

    def backward(self, cache, grad_out):
        x = cache
        # dL/dgamma_c: sum over every axis but the last of x * dL/dy
        self.gamma.grad += (grad_out * x).reshape(-1, grad_out.shape[-1]).sum(axis=0)
        return grad_out * self.gamma.value                 # dL/dx = gamma * dL/dy

    def get_config(self):
        config = super().get_config()
        config.update({"init_values": self.init_values,
                       "projection_dim": self.projection_dim})
        return config

    def _serialized_class(self):
        return KERAS_MODULE, "LayerScale", "LayerScale"


class StochasticDepth(Layer):
    r"""Drops the whole input of a sample with probability ``drop_path_rate`` (training only).

    One uniform draw per sample, from the global random generator as Keras
    draws it (``keras.random.uniform`` without a seed), turned into a keep flag
    :math:`b_n = \lfloor 1 - p + u_n \rfloor`; kept samples are divided by
    :math:`1 - p`. As in Keras, ``drop_path_rate=1`` gives NaN (0/0), not zeros.
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def forward(self, x, training=False):
        if not training:
            return x, None                                 # inference: the identity
        keep_prob = 1 - self.drop_path_rate
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)        # one draw per sample
        keep = np.floor(keep_prob + keras_random.uniform(shape, 0, 1))   # b_n in {0, 1}
        keep = backend.to_device(keep)     # drawn by NumPy, moved to x's device once
        with np.errstate(divide="ignore", invalid="ignore"):   # p = 1: inf * 0, as Keras
            factor = (keep / keep_prob).astype(x.dtype)         # b_n / (1 - p)
            y = (x / keep_prob) * keep.astype(x.dtype)          # Keras's order of operations
        return y.astype(x.dtype, copy=False), factor

    def backward(self, cache, grad_out):
        if cache is None:
            return grad_out
        return grad_out * cache                            # dL/dx = b_n / (1 - p) * dL/dy

    def get_config(self):
        config = super().get_config()
        config.update({"drop_path_rate": self.drop_path_rate})
        return config

    def _serialized_class(self):
        return KERAS_MODULE, "StochasticDepth", "StochasticDepth"


# Records name Keras's module (``keras.src.applications.convnext``); this catalog answers for
# it, so ``keras.saving.deserialize_keras_object`` finds the two classes (``load_model`` finds
# them by class name, as every kerastutor layer), once this module has been imported.
CATALOG = registry.Catalog("layer", KERAS_MODULE)
CATALOG.add(LayerScale)
CATALOG.add(StochasticDepth)


# ------------------------------------------------------------ operations, not layers
def residual_add(shortcut, branch):
    """``shortcut + branch`` as Keras's ``inputs + layer(x)``: an Add that is not a layer.

    The Add is marked ``_keras_operation``; :class:`FunctionalWithOps` runs
    it like any node but does not list it in ``model.layers``.
    """
    add = Add()
    add._keras_operation = True
    return add([shortcut, branch])


class FunctionalWithOps(Model):
    """A functional model whose :attr:`layers` leave out the nodes that are operations.

    Keras records a tensor expression such as ``x + y`` on symbolic tensors
    as an operation of the graph; ``model.layers`` lists only layers. Here
    such a sum is an :class:`~kerastutor.layers.Add` flagged by
    :func:`residual_add`: it runs, it is saved in the config (Keras saves its
    operations too), but it is not listed -- so layer names, and the
    by-position reading of ``.h5`` weight files, match Keras. Saved, it is
    Keras's ``Functional``; reloaded, the sums come back as ordinary ``Add`` layers.
    """

    _listing_operations = False

    @property
    def layers(self):
        every = Model.layers.fget(self)
        if self._listing_operations:
            return every
        return [layer for layer in every if not getattr(layer, "_keras_operation", False)]

    def get_config(self):
        self._listing_operations = True          # the config is the whole graph
        try:
            return super().get_config()
        finally:
            self._listing_operations = False

    def _serialized_class(self):
        return "keras.src.models.functional", "Functional", "Functional"


__all__ = ["LayerScale", "StochasticDepth", "residual_add", "FunctionalWithOps"]
