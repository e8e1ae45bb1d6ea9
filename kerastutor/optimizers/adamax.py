r"""Adamax: Adam with the infinity norm in place of the RMS."""
import numpy as np

from kerastutor.optimizers.optimizer import AdaptiveMomentOptimizer


class Adamax(AdaptiveMomentOptimizer):
    r"""Adamax: Adam with the infinity norm in place of the RMS.

    .. math::

        m \leftarrow m + (g - m)(1 - \beta_1), \qquad
        u \leftarrow \max(\beta_2 u,\ |g|)

        \theta \leftarrow \theta - \frac{\eta\, m}{(1 - \beta_1^{\,t})(u + \epsilon)}

    Parameters
    ----------
    learning_rate, beta_1, beta_2, epsilon, **kwargs
        As in :class:`Adam` (defaults 0.001, 0.9, 0.999 and 1e-7).
    """

    default_name = "adamax"
    slot_groups = (("momentum", "norm"),)

    def update_step(self, grad, weight, learning_rate):
        g, w, lr, t = grad, weight.value, learning_rate, self.iterations + 1
        beta_1 = self.beta_1
        m, u = self._slot(weight, "momentum"), self._slot(weight, "norm")
        m += (g - m) * (1 - beta_1)
        u[...] = np.maximum(u * self.beta_2, np.abs(g))
        w -= lr * m / ((u + self.epsilon) * (1 - beta_1 ** t))
