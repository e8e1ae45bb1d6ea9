r"""SGD: step against the gradient, optionally with (Nesterov) momentum."""
import numpy as np

from kerastutor.optimizers.optimizer import Optimizer, _kind_number_error


class SGD(Optimizer):
    r"""Stochastic gradient descent, with Keras's momentum and Nesterov forms.

    .. math::

        \text{plain:}\qquad \theta \leftarrow \theta - \eta g

        \text{momentum:}\qquad m \leftarrow \mu m - \eta g, \qquad \theta \leftarrow \theta + m

        \text{Nesterov:}\qquad m \leftarrow \mu m - \eta g, \qquad
        \theta \leftarrow \theta + \mu m - \eta g

    Nesterov looks one momentum step ahead using the *new* :math:`m`. The
    ``momentum`` slot exists only when :math:`\mu \ne 0`.

    Parameters
    ----------
    learning_rate : float, default 0.01
    momentum : float, default 0.0
        :math:`\mu`, a float in [0, 1].
    nesterov : bool, default False
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "sgd"
    hyperparameters = ("momentum", "nesterov")

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not isinstance(momentum, (float, np.floating)) or not 0 <= momentum <= 1:
            raise _kind_number_error("SGD", "momentum", momentum, "a float in [0, 1]")
        self.momentum, self.nesterov = float(momentum), nesterov
        self.slot_groups = (("momentum",),) if self.momentum != 0 else ()

    def update_step(self, grad, weight, learning_rate):
        g, w, lr, mu = grad, weight.value, learning_rate, self.momentum
        if mu == 0:
            w -= lr * g
            return
        m = self._slot(weight, "momentum")
        m *= mu
        m -= lr * g
        if self.nesterov:
            w += mu * m - lr * g
        else:
            w += m
