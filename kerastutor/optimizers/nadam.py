r"""Nadam: Adam with Nesterov momentum and a warming-up :math:`\beta_1` schedule."""
import numpy as np

from kerastutor.optimizers.optimizer import AdaptiveMomentOptimizer


class Nadam(AdaptiveMomentOptimizer):
    r"""Nadam: Adam with Nesterov momentum and a warming-up :math:`\beta_1` schedule.

    .. math::

        \mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{\,t}\right), \qquad
        \Pi_t = \prod_{k \le t} \mu_k \quad\text{(kept across steps)}

        m \leftarrow m + (g - m)(1 - \beta_1), \qquad
        v \leftarrow v + (g^2 - v)(1 - \beta_2)

        \hat m = \frac{\mu_{t+1}\, m}{1 - \Pi_t \mu_{t+1}} + \frac{(1 - \mu_t)\, g}{1 - \Pi_t},
        \qquad \hat v = \frac{v}{1 - \beta_2^{\,t}}

        \theta \leftarrow \theta - \frac{\eta\, \hat m}{\sqrt{\hat v} + \epsilon}

    :math:`\Pi_t` is one scalar for the whole optimizer, updated once per step
    before the weights; it is saved as the last of :attr:`variables`.

    Parameters
    ----------
    learning_rate, beta_1, beta_2, epsilon, **kwargs
        As in :class:`Adam` (defaults 0.001, 0.9, 0.999 and 1e-7).
    """

    default_name = "nadam"
    slot_groups = (("momentum", "velocity"),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self._u_product = None

    def build(self, weights):
        if self._u_product is None:
            trainable = [w for w in weights if w.trainable]
            dtype = trainable[0].value.dtype if trainable else np.float32
            self._u_product = np.ones((), dtype=dtype)
        super().build(weights)

    def _extra_variables(self):
        return [("u_product", self._u_product)] if self._u_product is not None else []

    def _mu(self, t):
        return self.beta_1 * (1 - 0.5 * 0.96 ** t)

    def _update_all(self, grads, weights, learning_rate):
        self._u_product *= self._mu(self.iterations + 1)       # Pi_t <- Pi_{t-1} mu_t
        super()._update_all(grads, weights, learning_rate)

    def update_step(self, grad, weight, learning_rate):
        g, w, lr, t = grad, weight.value, learning_rate, self.iterations + 1
        beta_1, beta_2, epsilon = self.beta_1, self.beta_2, self.epsilon
        mu_t, mu_next, product = self._mu(t), self._mu(t + 1), float(self._u_product)
        m, v = self._slot(weight, "momentum"), self._slot(weight, "velocity")
        m += (g - m) * (1 - beta_1)
        v += (g * g - v) * (1 - beta_2)
        m_hat = m * (mu_next / (1 - product * mu_next)) + g * ((1 - mu_t) / (1 - product))
        v_hat = v / (1 - beta_2 ** t)
        w -= lr * m_hat / (np.sqrt(v_hat) + epsilon)
