r"""Adadelta: step sizes from the ratio of two running RMS values."""
import numpy as np

from kerastutor.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    r"""Adadelta: step sizes from the ratio of two running RMS values.

    .. math::

        E_g \leftarrow \rho E_g + (1 - \rho) g^2

        \Delta = -\frac{\sqrt{E_{\Delta} + \epsilon}}{\sqrt{E_g + \epsilon}}\, g

        E_{\Delta} \leftarrow \rho E_{\Delta} + (1 - \rho) \Delta^2, \qquad
        \theta \leftarrow \theta + \eta \Delta

    The ratio has the units of :math:`\theta`, so the original paper needed
    no learning rate; Keras still multiplies by one (default 0.001).

    Parameters
    ----------
    learning_rate : float, default 0.001
    rho : float, default 0.95
    epsilon : float, default 1e-7
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "adadelta"
    hyperparameters = ("rho", "epsilon")
    slot_groups = (("accumulated_grad", "accumulated_delta_var"),)

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def update_step(self, grad, weight, learning_rate):
        g, w, lr, rho, epsilon = grad, weight.value, learning_rate, self.rho, self.epsilon
        e_g = self._slot(weight, "accumulated_grad")
        e_delta = self._slot(weight, "accumulated_delta_var")
        e_g *= rho
        e_g += np.square(g) * (1 - rho)
        delta = -np.sqrt(e_delta + epsilon) * g / np.sqrt(e_g + epsilon)
        e_delta *= rho
        e_delta += np.square(delta) * (1 - rho)
        w += lr * delta
