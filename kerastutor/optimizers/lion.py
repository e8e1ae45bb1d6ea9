r"""Lion: the sign of an interpolated momentum, so every step has size :math:`\eta`."""
import numpy as np

from kerastutor.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    r"""Lion ("evolved sign momentum", Chen et al. 2023): every step has size :math:`\eta`.

    .. math::

        \theta \leftarrow \theta - \eta\,\operatorname{sign}(\beta_1 m + (1 - \beta_1) g),
        \qquad m \leftarrow \beta_2 m + (1 - \beta_2) g

    Only the sign of the interpolated momentum is used, so each parameter
    moves by exactly :math:`\pm\eta` (or 0). Typical learning rates are 3-10
    times smaller than Adam's.

    Parameters
    ----------
    learning_rate : float, default 0.001
    beta_1 : float, default 0.9
        Must be in (0, 1]; 0 would make this plain sign-SGD.
    beta_2 : float, default 0.99
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "lion"
    hyperparameters = ("beta_1", "beta_2")
    slot_groups = (("momentum",),)

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ValueError(f"Lion: `beta_1` must be in (0, 1], got beta_1={beta_1!r}. Hint: "
                             "with beta_1=0 Lion degenerates to sign-SGD; the default is 0.9.")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def update_step(self, grad, weight, learning_rate):
        g, w, lr, beta_1, beta_2 = grad, weight.value, learning_rate, self.beta_1, self.beta_2
        m = self._slot(weight, "momentum")
        w -= lr * np.sign(m * beta_1 + g * (1 - beta_1))
        m *= beta_2
        m += g * (1 - beta_2)
