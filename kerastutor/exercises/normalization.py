"""Exercise on normalization: the training-mode backward of BatchNormalization."""
import numpy as np

from kerastutor import layers
from kerastutor.exercises.grading import Exercise, Mistake, Numerical
from kerastutor.exercises.oracle import gradients, with_weights

TOPIC = "Normalization"

#: Keras's default epsilon for BatchNormalization.
EPSILON = 1e-3


def _batch_norm(gamma, beta):
    return with_weights(layers.BatchNormalization(epsilon=EPSILON), (None, gamma.shape[0]),
                        gamma=gamma, beta=beta)


def batch_normalization_solution(x, gamma, beta, grad_y):
    """kerastutor's BatchNormalization, training mode (batch statistics)."""
    layer = _batch_norm(gamma, beta)
    _, cache = layer.forward(x, training=True)
    grad_x = layer.backward(cache, grad_y)
    return (grad_x,) + gradients(layer, "gamma", "beta")


def _forward(inputs, learner):
    return _batch_norm(inputs["gamma"], inputs["beta"]).forward(inputs["x"], training=True)[0]


def _example():
    rng = np.random.default_rng(7)
    return dict(x=rng.normal(size=(4, 3)).round(1), gamma=np.array([1.0, 0.5, 2.0]),
                beta=np.array([0.0, 0.1, -0.3]), grad_y=rng.normal(size=(4, 3)).round(1))


def _draw(draw):
    n, d = draw.size(2, 6), draw.size(1, 4)
    return dict(x=draw.normal(n, d, scale=2.0), gamma=draw.normal(d), beta=draw.normal(d),
                grad_y=draw.normal(n, d))


def _statistics(x, ddof=0, epsilon=EPSILON):
    mean = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt(x.var(axis=0, ddof=ddof) + epsilon)
    return (x - mean) * inv_std, inv_std


def _full_gradient(inputs, ddof=0, epsilon=EPSILON):
    """dL/dx through mu and sigma^2 -- with a wrong variance or epsilon, for the mistakes."""
    x_hat, inv_std = _statistics(inputs["x"], ddof, epsilon)
    g = inputs["grad_y"] * inputs["gamma"]
    return inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))


BATCH_NORMALIZATION_BACKWARD = Exercise(
    name="batch_normalization_backward",
    summary="BatchNormalization's backward in training mode (through the batch mean and variance)",
    topic=TOPIC,
    arguments=("x", "gamma", "beta", "grad_y"),
    returns=("grad_x", "grad_gamma", "grad_beta"),
    docstring="""
The backward pass of keras.layers.BatchNormalization() while training, for
x of shape (N, D) (features on the last axis), epsilon = 1e-3 as in Keras:

    mu      = x.mean(axis=0)                      (D,)
    var     = x.var(axis=0)      (biased: / N)    (D,)
    x_hat   = (x - mu) / sqrt(var + epsilon)      (N, D)
    y       = gamma * x_hat + beta

mu and var are computed FROM x, so dL/dx flows through them too.

Parameters
    x (N, D), gamma (D,), beta (D,), grad_y (N, D) = dL/dy

Returns grad_x (N, D), grad_gamma (D,), grad_beta (D,):
    grad_beta  = sum over the batch of grad_y
    grad_gamma = sum over the batch of grad_y * x_hat
    grad_x     = (gamma / sqrt(var + eps)) * (grad_y - mean(grad_y)
                  - x_hat * mean(grad_y * x_hat))       (means over the batch)
""",
    task=r"""
While training, BatchNormalization normalises each feature with the mean and
the (biased) variance of the current batch, then scales and shifts it:

.. math::

    \mu = \frac{1}{N}\sum_n x_n, \quad
    \sigma^2 = \frac{1}{N}\sum_n (x_n - \mu)^2, \quad
    \hat x_n = \frac{x_n - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad
    y_n = \gamma \hat x_n + \beta

with :math:`\epsilon = 10^{-3}` (Keras's default). The parameters get

.. math::

    \frac{\partial L}{\partial \beta} = \sum_n \delta_n, \qquad
    \frac{\partial L}{\partial \gamma} = \sum_n \delta_n \hat x_n

and, because :math:`\mu` and :math:`\sigma^2` depend on every :math:`x_n`,
the input gradient has two correction terms (means over the batch, per feature):

.. math::

    \frac{\partial L}{\partial x_n} = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}}
    \Bigl(\delta_n - \overline{\delta} - \hat x_n\, \overline{\delta \hat x}\Bigr)

Shapes: ``x`` and ``grad_y`` are ``(N, D)``; ``gamma``, ``beta`` and their
gradients ``(D,)``.
""",
    example=_example,
    draw=_draw,
    solution=batch_normalization_solution,
    library=("kerastutor.layers.BatchNormalization",),
    hints=(
        "Recompute the forward first (``mu``, ``var``, ``x_hat``): the backward needs "
        "``x_hat`` and ``1 / sqrt(var + eps)``.",
        "Derive it in steps: :math:`\\partial L/\\partial \\hat x = \\gamma \\delta`, then "
        "through :math:`\\sigma^2` and :math:`\\mu`, then collect the three paths into "
        ":math:`x`.",
        "``x.var(axis=0)`` divides by N, as Keras does (not N - 1).",
    ),
    mistakes=(
        Mistake("constant_statistics", "you treated the batch mean and variance as constants "
                                       "(that is the inference-mode gradient). While "
                                       "training they are computed from x, so dL/dx has the "
                                       "terms - mean(g) - x_hat * mean(g * x_hat) too.",
                lambda i: {"grad_x": i["grad_y"] * i["gamma"] * _statistics(i["x"])[1]}),
        Mistake("unbiased_variance", "Keras normalises with the biased variance (divide by N, "
                                     "x.var(axis=0)), not N - 1.",
                lambda i: {"grad_x": _full_gradient(i, ddof=1),
                           "grad_gamma": (i["grad_y"] * _statistics(i["x"], 1)[0]).sum(0)}),
        Mistake("no_epsilon", "epsilon is missing: Keras divides by sqrt(var + epsilon) with "
                              "epsilon = 1e-3.",
                lambda i: {"grad_x": _full_gradient(i, epsilon=0.0),
                           "grad_gamma": (i["grad_y"] * _statistics(i["x"], 0, 0.0)[0]).sum(0)}),
    ),
    numerical=Numerical(_forward, {"grad_x": "x", "grad_gamma": "gamma", "grad_beta": "beta"},
                        "grad_y", "BatchNormalization.forward(training=True)"),
)

EXERCISES = (BATCH_NORMALIZATION_BACKWARD,)
