r"""RMSprop: divide each step by a running root mean square of the gradient."""
import numpy as np

from kerastutor.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    r"""RMSprop: divide each step by a running root mean square of the gradient.

    .. math::

        v \leftarrow \rho v + (1 - \rho) g^2

        \Delta = \frac{\eta\, g}{\sqrt{v + \epsilon}}
        \qquad\text{or, with } \texttt{centered=True}:\qquad
        \bar g \leftarrow \rho \bar g + (1 - \rho) g, \quad
        \Delta = \frac{\eta\, g}{\sqrt{v - \bar g^2 + \epsilon}}

        \theta \leftarrow \theta - \Delta
        \qquad\text{or, with momentum } \mu > 0:\qquad
        m \leftarrow \mu m + \Delta, \quad \theta \leftarrow \theta - m

    Keras puts :math:`\epsilon` **inside** the square root. Centering divides
    by an estimate of the gradient's standard deviation instead of its RMS.

    Parameters
    ----------
    learning_rate : float, default 0.001
    rho : float, default 0.9
    momentum : float, default 0.0
    epsilon : float, default 1e-7
    centered : bool, default False
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "rmsprop"
    hyperparameters = ("rho", "momentum", "epsilon", "centered")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered
        # three separate groups in Keras: all velocities, then momentums, then averages
        self.slot_groups = (("velocity",),) + ((("momentum",),) if momentum > 0 else ()) \
            + ((("average_gradient",),) if centered else ())

    def update_step(self, grad, weight, learning_rate):
        g, w, lr, rho, epsilon = grad, weight.value, learning_rate, self.rho, self.epsilon
        v = self._slot(weight, "velocity")
        v *= rho
        v += np.square(g) * (1 - rho)
        if self.centered:
            g_bar = self._slot(weight, "average_gradient")
            g_bar *= rho
            g_bar += g * (1 - rho)
            delta = lr * g / np.sqrt(v - np.square(g_bar) + epsilon)
        else:
            delta = lr * g / np.sqrt(v + epsilon)
        if self.momentum > 0:
            m = self._slot(weight, "momentum")
            m *= self.momentum
            m += delta
            w -= m
        else:
            w -= delta
