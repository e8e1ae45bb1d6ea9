"""Exercises on losses: softmax with crossentropy, mean squared error."""
import numpy as np

from kerastutor import losses
from kerastutor.exercises.grading import Exercise, Mistake, Numerical

TOPIC = "Losses"


# ----------------------------------------------------------- softmax + crossentropy
def softmax_crossentropy_solution(logits, y_true):
    """kerastutor's CategoricalCrossentropy(from_logits=True): its gradient."""
    return losses.CategoricalCrossentropy(from_logits=True).gradient(y_true, logits)


def _crossentropy_value(inputs, learner):
    loss = losses.CategoricalCrossentropy(from_logits=True)
    return np.asarray(loss.value(inputs["y_true"], inputs["logits"]))


def _one_hot(labels, classes):
    return np.eye(classes)[labels]


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _crossentropy_example():
    logits = np.array([[2.0, 1.0, 0.1, -1.0], [0.5, 2.5, 0.3, 0.0], [-0.3, 0.2, 0.1, 1.2]])
    return dict(logits=logits, y_true=_one_hot([0, 2, 3], 4))


def _crossentropy_draw(draw):
    n, classes = draw.size(1, 5), draw.size(2, 5)
    return dict(logits=draw.normal(n, classes, scale=2.0),
                y_true=_one_hot(draw.rng.integers(0, classes, size=n), classes))


SOFTMAX_CROSSENTROPY_BACKWARD = Exercise(
    name="softmax_crossentropy_backward",
    summary="dL/dlogits of softmax followed by categorical crossentropy",
    topic=TOPIC,
    arguments=("logits", "y_true"),
    returns=("grad_logits",),
    docstring="""
The gradient of Keras's CategoricalCrossentropy(from_logits=True) with
respect to the logits, for the mean loss over the batch:

    p = softmax(logits) over the last axis
    L = mean over the N samples of  -sum_k y_true[n, k] * log p[n, k]

Parameters
    logits  (N, K)  the scores of the last layer (no softmax applied)
    y_true  (N, K)  one-hot targets

Returns grad_logits, shape (N, K):
    dL/dlogits = (p - y_true) / N
""",
    task=r"""
The last layer of a classifier outputs scores (logits) :math:`z`; softmax turns
them into probabilities and crossentropy compares them with the one-hot target
:math:`y`. Keras averages the loss over the :math:`N` samples of the batch:

.. math::

    p_{n,k} = \frac{e^{z_{n,k}}}{\sum_j e^{z_{n,j}}}, \qquad
    L = \frac{1}{N} \sum_{n=1}^{N} \Bigl(-\sum_k y_{n,k} \log p_{n,k}\Bigr)

Chained together, the two derivatives collapse into one short formula (this
is why Keras computes them together with ``from_logits=True``):

.. math::

    \frac{\partial L}{\partial z_{n,k}} = \frac{p_{n,k} - y_{n,k}}{N}

Shapes: ``logits`` and ``y_true`` are ``(N, K)``; return ``(N, K)``.
""",
    example=_crossentropy_example,
    draw=_crossentropy_draw,
    solution=softmax_crossentropy_solution,
    library=("kerastutor.losses.CategoricalCrossentropy",),
    hints=(
        "Softmax runs along the last axis, one row per sample: "
        "``np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)``.",
        "Subtract the row maximum before ``np.exp``: softmax does not change, and exp "
        "cannot overflow.",
        "The loss is a *mean* over the batch, so every entry of the gradient carries 1/N.",
    ),
    mistakes=(
        Mistake("no_target", "dL/dz is p - y_true (divided by N): you left out the target.",
                lambda i: {"grad_logits": _softmax(i["logits"]) / len(i["logits"])}),
        Mistake("softmax_axis", "softmax normalises each ROW (axis=-1, over the classes of one "
                                "sample), not each column.",
                lambda i: {"grad_logits": (_softmax(i["logits"], axis=0) - i["y_true"])
                           / len(i["logits"])}),
    ),
    numerical=Numerical(_crossentropy_value, {"grad_logits": "logits"}, None,
                        "CategoricalCrossentropy(from_logits=True)"),
)


# ----------------------------------------------------------------------------- MSE
def mse_solution(y_true, y_pred):
    """kerastutor's MeanSquaredError: its value and its gradient."""
    loss = losses.MeanSquaredError()
    return float(loss.value(y_true, y_pred)), loss.gradient(y_true, y_pred)


def _mse_value(inputs, learner):
    return np.asarray(learner(inputs)[0], dtype=np.float64)


def _mse_example():
    return dict(y_true=np.array([[1.0, 0.0, 2.0], [0.5, -1.0, 0.0]]),
                y_pred=np.array([[0.8, 0.3, 2.5], [0.0, -1.0, 0.4]]))


def _mse_draw(draw):
    n, d = draw.size(1, 5), draw.size(1, 4)
    return dict(y_true=draw.normal(n, d), y_pred=draw.normal(n, d))


def _mse_scales(inputs):
    n, d = inputs["y_pred"].shape
    scales = [(0.5, "your result is half the expected one: the derivative of a square "
                    "(y_pred - y_true)**2 is 2 * (y_pred - y_true) -- the factor 2 is "
                    "missing."),
              (2.0, "your result is twice the expected one: an extra factor 2.")]
    if d > 1:
        scales.append((float(d), f"your result is D = {d} times the expected one (D = the "
                                  "number of outputs per sample): Keras's MSE takes the mean "
                                  "over the last axis too, not only over the batch."))
    if d > 1 and n > 1:
        scales.append((float(n * d), f"your result is N*D = {n * d} times the expected one: "
                                     "the mean over all N*D entries is missing."))
    return scales


MSE = Exercise(
    name="mse",
    summary="mean squared error: the loss and its gradient",
    topic=TOPIC,
    arguments=("y_true", "y_pred"),
    returns=("loss", "grad_y_pred"),
    docstring="""
Keras's MeanSquaredError: the mean over the last axis (per sample), then the
mean over the batch -- together, the mean over all N*D entries.

Parameters
    y_true  (N, D)  targets
    y_pred  (N, D)  predictions

Returns loss, grad_y_pred:
    loss         a float: mean of (y_pred - y_true)**2 over all entries
    grad_y_pred  (N, D): 2 * (y_pred - y_true) / (N * D)
""",
    task=r"""
For a regression output Keras averages the squared error over the :math:`D`
outputs of each sample and then over the :math:`N` samples of the batch:

.. math::

    L = \frac{1}{N} \sum_{n=1}^{N} \frac{1}{D} \sum_{d=1}^{D}
        (\hat y_{n,d} - y_{n,d})^2, \qquad
    \frac{\partial L}{\partial \hat y_{n,d}} = \frac{2\,(\hat y_{n,d} - y_{n,d})}{N D}

Return the loss (a float) and its gradient with respect to ``y_pred``,
shaped ``(N, D)``. Your gradient is also checked by central differences of your
own loss.
""",
    example=_mse_example,
    draw=_mse_draw,
    solution=mse_solution,
    library=("kerastutor.losses.MeanSquaredError",),
    hints=(
        "``np.mean`` over the whole array is the mean over all N*D entries.",
        "Each entry of ``y_pred`` appears in exactly one square, so its derivative is "
        "that square's derivative, 2 (y_pred - y_true), times the 1/(N D) of the mean.",
    ),
    numerical=Numerical(_mse_value, {"grad_y_pred": "y_pred"}, None, "your own loss"),
    batch_argument="y_pred",
    scales=_mse_scales,
)

EXERCISES = (SOFTMAX_CROSSENTROPY_BACKWARD, MSE)
