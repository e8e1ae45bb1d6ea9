r"""LAMB: Adam's direction, scaled per weight tensor by a trust ratio."""
import numpy as np

from kerastutor.optimizers.optimizer import AdaptiveMomentOptimizer, _l2_norm


class Lamb(AdaptiveMomentOptimizer):
    r"""LAMB (You et al. 2019): Adam's direction, scaled per weight by a trust ratio.

    .. math::

        m \leftarrow m + (g - m)(1 - \beta_1), \qquad
        v \leftarrow v + (g^2 - v)(1 - \beta_2)

        u = \frac{m / (1 - \beta_1^{\,t})}{\sqrt{v / (1 - \beta_2^{\,t})} + \epsilon},
        \qquad
        r = \frac{\lVert \theta \rVert_2}{\lVert u \rVert_2}
        \ (\text{or } 1 \text{ if either norm is } 0), \qquad
        \theta \leftarrow \theta - \eta\, r\, u

    The trust ratio :math:`r` makes every weight tensor move by about
    :math:`\eta` *relative to its own size*, which keeps very large batches
    stable. Unlike :class:`Adam`, the bias corrections are applied to
    :math:`m` and :math:`v` themselves, so :math:`\epsilon` is added to the
    corrected :math:`\sqrt{\hat v}`.

    Parameters
    ----------
    learning_rate, beta_1, beta_2, epsilon, **kwargs
        As in :class:`Adam` (defaults 0.001, 0.9, 0.999 and 1e-7).
    """

    default_name = "lamb"
    slot_groups = (("momentum", "velocity"),)

    def update_step(self, grad, weight, learning_rate):
        g, w, lr, t = grad, weight.value, learning_rate, self.iterations + 1
        beta_1, beta_2 = self.beta_1, self.beta_2
        m, v = self._slot(weight, "momentum"), self._slot(weight, "velocity")
        m += (g - m) * (1 - beta_1)
        v += (g * g - v) * (1 - beta_2)
        m_hat = m / (1 - beta_1 ** t)
        v_hat = v / (1 - beta_2 ** t)
        u = m_hat / (np.sqrt(v_hat) + self.epsilon)
        r = _trust_ratio(w, u)
        w -= lr * r * u


def _trust_ratio(weight, update):
    r"""LAMB's :math:`r = \lVert\theta\rVert_2 / \lVert u\rVert_2`, or 1 when either norm is 0."""
    weight_norm, update_norm = _l2_norm(weight), _l2_norm(update)
    return weight_norm / update_norm if weight_norm > 0 and update_norm > 0 else 1.0
