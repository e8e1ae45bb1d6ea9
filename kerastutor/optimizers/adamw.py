r"""AdamW: Adam with decoupled weight decay switched on."""
from kerastutor.optimizers.adam import Adam


class AdamW(Adam):
    r"""Adam with decoupled weight decay switched on (Loshchilov & Hutter).

    .. math::

        \theta \leftarrow \theta - \theta\,\lambda\,\eta
        \quad\text{(before the step)}, \qquad \text{then the } Adam \text{ step.}

    The decay does not pass through :math:`m, v`, unlike an L2 penalty in
    the loss. Everything else is :class:`Adam`.

    Parameters
    ----------
    learning_rate : float, default 0.001
    weight_decay : float, default 0.004
        :math:`\lambda`; must not be None.
    beta_1, beta_2, epsilon, amsgrad
        As in :class:`Adam`.
    **kwargs
        The common arguments of :class:`Optimizer`.
    """

    default_name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
        if weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a float, got None. Hint: use "
                             "Adam for no decay, or keep the default weight_decay=0.004.")
