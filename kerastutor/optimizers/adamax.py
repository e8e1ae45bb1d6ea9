r"""Adamax: Adam with the infinity norm in place of the RMS."""
import numpy as np

from kerastutor.optimizers.optimizer import Optimizer


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm in place of the RMS.

    .. math::

        m \leftarrow m + (g - m)(1 - \beta_1), \qquad
        u \leftarrow \max(\beta_2 u,\ |g|)

        \theta \leftarrow \theta - \frac{\eta\, m}{(1 - \beta_1^{\,t})(u + \epsilon)}

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta_1 : float, default 0.9
    beta_2 : float, default 0.999
    epsilon : float, default 1e-7
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "adamax"
    slot_groups = (("momentum", "norm"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def update_step(self, grad, weight, learning_rate):
        g, w, lr, t = grad, weight.value, learning_rate, self.iterations + 1
        beta_1 = self.beta_1
        m, u = self._slot(weight, "momentum"), self._slot(weight, "norm")
        m += (g - m) * (1 - beta_1)
        u[...] = np.maximum(u * self.beta_2, np.abs(g))
        w -= lr * m / ((u + self.epsilon) * (1 - beta_1 ** t))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
