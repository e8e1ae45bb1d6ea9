r"""Adam: momentum on the gradient, divided by the RMS of the gradient."""
import math

import numpy as np

from kerastutor.optimizers.optimizer import AdaptiveMomentOptimizer


class Adam(AdaptiveMomentOptimizer):
    r"""Adam: momentum on the gradient, divided by the RMS of the gradient.

    .. math::

        m \leftarrow m + (g - m)(1 - \beta_1), \qquad
        v \leftarrow v + (g^2 - v)(1 - \beta_2)

        \alpha_t = \eta\,\frac{\sqrt{1 - \beta_2^{\,t}}}{1 - \beta_1^{\,t}}, \qquad
        \theta \leftarrow \theta - \frac{\alpha_t\, m}{\sqrt{v} + \epsilon}

    The bias corrections are folded into :math:`\alpha_t`, so :math:`\epsilon`
    is added to the *uncorrected* :math:`\sqrt v`. (PyTorch adds it after the
    correction; the two differ slightly while :math:`v` is tiny.) With
    ``amsgrad=True`` the step divides by :math:`\sqrt{\hat v}` where
    :math:`\hat v \leftarrow \max(\hat v, v)` never decreases.

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta_1 : float, default 0.9
        :math:`\beta_1`, the decay of the momentum :math:`m`.
    beta_2 : float, default 0.999
        :math:`\beta_2`, the decay of the velocity :math:`v`.
    epsilon : float, default 1e-7
    amsgrad : bool, default False
        Divide by the running maximum :math:`\hat v` instead of :math:`v`.
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "adam"
    hyperparameters = AdaptiveMomentOptimizer.hyperparameters + ("amsgrad",)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = amsgrad
        self.slot_groups = (("momentum", "velocity"),) + \
            ((("velocity_hat",),) if amsgrad else ())

    def update_step(self, grad, weight, learning_rate):
        g, w, lr, t = grad, weight.value, learning_rate, self.iterations + 1
        beta_1, beta_2, epsilon = self.beta_1, self.beta_2, self.epsilon
        m, v = self._slot(weight, "momentum"), self._slot(weight, "velocity")
        m += (g - m) * (1 - beta_1)
        v += (g * g - v) * (1 - beta_2)
        if self.amsgrad:
            v_hat = self._slot(weight, "velocity_hat")
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        alpha_t = self.step_size(lr, t)
        w -= alpha_t * m / (np.sqrt(v) + epsilon)

    def step_size(self, learning_rate, t):
        r""":math:`\alpha_t = \eta\sqrt{1 - \beta_2^t}/(1 - \beta_1^t)`, the bias corrections
        folded into the learning rate (the in-place and GPU steps use it too)."""
        return learning_rate * math.sqrt(1 - self.beta_2 ** t) / (1 - self.beta_1 ** t)
