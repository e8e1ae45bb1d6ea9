r"""FTRL-proximal: follow the regularized leader, with L1 making small weights exactly 0."""
import numpy as np

from kerastutor.optimizers.optimizer import Optimizer


class Ftrl(Optimizer):
    r"""FTRL-proximal ("follow the regularized leader"), as in TensorFlow and Keras.

    With :math:`p` = ``learning_rate_power`` (:math:`-\tfrac12` by default),
    :math:`n` the accumulated squared gradient and :math:`z` the "linear" slot:

    .. math::

        n' = n + g^2, \qquad
        \sigma = \frac{n'^{-p} - n^{-p}}{\eta}

        z \leftarrow z + g + 2\lambda_\text{shrink}\theta - \sigma\theta

        q = \frac{n'^{-p}}{\eta} + 2\left(\lambda_2 + \frac{\beta}{2\eta}\right), \qquad
        \theta \leftarrow \frac{\operatorname{clip}(z, -\lambda_1, \lambda_1) - z}{q},
        \qquad n \leftarrow n'

    The weight is recomputed from :math:`z` each step; :math:`\lambda_1`
    sets small weights exactly to zero (sparse models).

    Parameters
    ----------
    learning_rate : float, default 0.001
    learning_rate_power : float, default -0.5
        Must be <= 0.
    initial_accumulator_value : float, default 0.1
        Must be >= 0.
    l1_regularization_strength, l2_regularization_strength : float, default 0.0
    l2_shrinkage_regularization_strength : float, default 0.0
    beta : float, default 0.0
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "ftrl"
    hyperparameters = ("learning_rate_power",
                       "initial_accumulator_value",
                       "l1_regularization_strength",
                       "l2_regularization_strength",
                       "l2_shrinkage_regularization_strength",
                       "beta")
    slot_groups = (("accumulator", "linear"),)
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **kwargs):
        super().__init__(learning_rate, **kwargs)
        for argument, value in (("initial_accumulator_value", initial_accumulator_value),
                                ("l1_regularization_strength", l1_regularization_strength),
                                ("l2_regularization_strength", l2_regularization_strength),
                                ("l2_shrinkage_regularization_strength",
                                 l2_shrinkage_regularization_strength)):
            if value < 0:
                raise ValueError(f"Ftrl: `{argument}` must be >= 0, got {argument}={value!r}.")
        if learning_rate_power > 0:
            raise ValueError("Ftrl: `learning_rate_power` must be <= 0, got "
                             f"learning_rate_power={learning_rate_power!r}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _initial_slot(self, name, weight):
        if name == "accumulator":
            return np.full_like(weight.value, self.initial_accumulator_value)
        return super()._initial_slot(name, weight)

    def update_step(self, grad, weight, learning_rate):
        g, w, lr, power = grad, weight.value, learning_rate, -self.learning_rate_power
        n, z = self._slot(weight, "accumulator"), self._slot(weight, "linear")
        n_power_before = np.power(n, power)
        n += np.square(g)
        n_power = np.power(n, power)
        sigma = (n_power - n_power_before) / lr
        z += g + w * (2 * self.l2_shrinkage_regularization_strength) - sigma * w
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2 * lr)
        q = n_power / lr + 2 * l2
        w[...] = (np.clip(z, -l1, l1) - z) / q
