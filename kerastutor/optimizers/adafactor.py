r"""Adafactor: Adam-like steps with factored second moments (memory O(n + m), not O(nm))."""
import math

import numpy as np

from kerastutor.optimizers.optimizer import Optimizer


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern 2018): Adam-like steps with *factored* second moments.

    For a matrix gradient :math:`G` (the last two axes), instead of a full
    :math:`v` it keeps row means :math:`r` and column means :math:`c` of
    :math:`G^2 + \epsilon_1` and rebuilds :math:`v` from them -- memory
    :math:`O(n + m)` instead of :math:`O(nm)`:

    .. math::

        \hat\beta_{2,t} = 1 - t^{\,d}, \qquad
        r \leftarrow \hat\beta_{2,t} r + (1 - \hat\beta_{2,t})\,\mathrm{mean}_{-1}(G^2 + \epsilon_1),
        \qquad
        c \leftarrow \hat\beta_{2,t} c + (1 - \hat\beta_{2,t})\,\mathrm{mean}_{-2}(G^2 + \epsilon_1)

        v = \frac{r}{\mathrm{mean}(r)} \otimes c
        \quad(\text{vectors and scalars keep a full } v
        \leftarrow \hat\beta_{2,t} v + (1-\hat\beta_{2,t})(g^2 + \epsilon_1))

        u = \frac{g}{\sqrt v}, \qquad
        \hat u = \frac{u}{\max(1, \mathrm{RMS}(u) / d_{clip})}, \qquad
        \theta \leftarrow \theta - \max(\epsilon_2, \mathrm{RMS}(\theta))\,\rho_t\,\hat u

    with :math:`\rho_t = \min(\eta, 1/\sqrt t)` (and, with ``relative_step``,
    :math:`\eta` itself capped at :math:`1/\sqrt t`): steps are relative to the
    size of the weights. Defaults as Keras: ``learning_rate=0.001,
    beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
    relative_step=True``.
    """

    default_name = "adafactor"
    hyperparameters = ("beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold", "relative_step")
    slot_groups = (("r", "c", "velocity"),)

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30,
                 epsilon_2=1e-3, clip_threshold=1.0, relative_step=True, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def _initial_slot(self, name, weight):
        shape = weight.value.shape
        if name == "r":                         # one mean per row (drops the last axis)
            return np.zeros_like(weight.value, shape=shape[:-1] if len(shape) >= 2 else ())
        if name == "c":                         # one mean per column (drops axis -2)
            return np.zeros_like(weight.value,
                                 shape=shape[:-2] + shape[-1:] if len(shape) >= 2 else ())
        return super()._initial_slot(name, weight)

    def update_step(self, grad, weight, learning_rate):
        t = self.iterations + 1
        lr = learning_rate
        if self.relative_step and not callable(self._learning_rate):
            lr = min(lr, 1 / math.sqrt(t))
        rho = min(lr, 1 / math.sqrt(t))
        alpha = max(self.epsilon_2, _rms(weight.value)) * rho
        squared = np.square(grad) + self.epsilon_1
        beta = 1 - t ** self.beta_2_decay
        r, c, v = (self._slot(weight, name) for name in ("r", "c", "velocity"))
        if grad.ndim >= 2:
            r[...] = beta * r + (1 - beta) * squared.mean(axis=-1)
            c[...] = beta * c + (1 - beta) * squared.mean(axis=-2)
            row_share = r / r.mean(axis=-1, keepdims=True)
            v[...] = row_share[..., :, None] * c[..., None, :]      # v = (r / mean r) (x) c
        else:
            v[...] = beta * v + (1 - beta) * squared
        u = grad / np.sqrt(v)
        u /= max(1.0, _rms(u) / self.clip_threshold)               # clip the update's RMS
        weight.value -= alpha * u


def _rms(array):
    """Root mean square of every entry."""
    return math.sqrt(float(np.mean(np.square(array))))
