r"""Adagrad: each parameter's step shrinks with its own accumulated squared gradient."""
import numpy as np

from kerastutor.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    r"""Adagrad: each parameter's step shrinks with its own accumulated squared gradient.

    .. math::

        a \leftarrow a + g^2, \qquad
        \theta \leftarrow \theta - \frac{\eta\, g}{\sqrt{a + \epsilon}}

    The accumulator starts at ``initial_accumulator_value`` (0.1), not 0, so
    the first steps are not huge. :math:`\epsilon` sits inside the square root.

    Parameters
    ----------
    learning_rate : float, default 0.001
    initial_accumulator_value : float, default 0.1
    epsilon : float, default 1e-7
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "adagrad"
    hyperparameters = ("initial_accumulator_value", "epsilon")
    slot_groups = (("accumulator",),)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _initial_slot(self, name, weight):
        if name == "accumulator":
            return np.full_like(weight.value, self.initial_accumulator_value)
        return super()._initial_slot(name, weight)

    def update_step(self, grad, weight, learning_rate):
        g, w, lr = grad, weight.value, learning_rate
        a = self._slot(weight, "accumulator")
        a += np.square(g)
        w -= lr * g / np.sqrt(a + self.epsilon)
