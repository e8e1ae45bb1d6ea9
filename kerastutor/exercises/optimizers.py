"""Exercises on optimizers: one step of SGD with momentum and of Adam, as Keras writes them."""
import math

import numpy as np

from kerastutor import optimizers
from kerastutor.exercises.grading import Exercise, Mistake
from kerastutor.weight import Weight

TOPIC = "Optimizers"


def _one_step(optimizer, w, grad, slots, step=0):
    """Apply ``optimizer`` once to a weight holding ``w``, with its state restored first.

    ``slots`` are the optimizer's per-weight arrays in Keras's order; ``step`` is
    the number of steps already taken (``optimizer.iterations``). Returns the new
    weight and the new slots.
    """
    weight = Weight(np.array(w, dtype=np.float64), name="w")
    optimizer.build([weight])
    optimizer.set_variables([step, optimizer.learning_rate] + [np.array(s) for s in slots])
    weight.grad = np.array(grad, dtype=np.float64)
    optimizer.apply([weight])
    return (np.array(weight.value),) + tuple(np.array(s) for s in optimizer.variables[2:])


# ----------------------------------------------------------------------------- SGD
def sgd_momentum_solution(w, grad, velocity, learning_rate, momentum):
    """kerastutor's SGD(learning_rate, momentum): one step from the given velocity."""
    return _one_step(optimizers.SGD(learning_rate, momentum=momentum), w, grad, [velocity])


def _sgd_example():
    return dict(w=np.array([1.0, -2.0, 0.5]), grad=np.array([0.2, -0.4, 1.0]),
                velocity=np.array([0.05, 0.0, -0.1]), learning_rate=0.1, momentum=0.9)


def _sgd_draw(draw):
    d = draw.size(1, 5)
    return dict(w=draw.normal(d), grad=draw.normal(d), velocity=draw.normal(d, scale=0.1),
                learning_rate=draw.choice((0.01, 0.1, 0.5)),
                momentum=draw.choice((0.9, 0.5, 0.99)))


def _pytorch_momentum(i):
    velocity = i["momentum"] * i["velocity"] + i["grad"]
    return {"w_new": i["w"] - i["learning_rate"] * velocity, "velocity_new": velocity}


def _uphill_velocity(i):
    velocity = i["momentum"] * i["velocity"] + i["learning_rate"] * i["grad"]
    return {"w_new": i["w"] - velocity, "velocity_new": velocity}


SGD_MOMENTUM_STEP = Exercise(
    name="sgd_momentum_step",
    summary="one step of SGD with momentum, in Keras's form",
    topic=TOPIC,
    arguments=("w", "grad", "velocity", "learning_rate", "momentum"),
    returns=("w_new", "velocity_new"),
    docstring="""
One update of keras.optimizers.SGD(learning_rate, momentum) (not Nesterov).
Keras keeps a velocity that already contains the learning rate and points
DOWNHILL:

    velocity_new = momentum * velocity - learning_rate * grad
    w_new        = w + velocity_new

Parameters
    w, grad, velocity  arrays of one shape: the weight, dL/dw, the velocity slot
    learning_rate      float (eta)
    momentum           float (mu), in [0, 1]

Returns w_new, velocity_new (new arrays; do not modify the inputs).
""",
    task=r"""
Momentum lets the steps build up speed along directions where the gradient
keeps its sign and damps the zig-zag where it flips. Keras writes it with a
velocity :math:`m` that already contains the learning rate:

.. math::

    m \leftarrow \mu\, m - \eta\, g, \qquad w \leftarrow w + m

with :math:`\eta` the learning rate and :math:`\mu` the momentum. (PyTorch
keeps :math:`v \leftarrow \mu v + g` and steps :math:`w \leftarrow w - \eta v`;
the two agree for a constant learning rate but store different velocities.)
""",
    example=_sgd_example,
    draw=_sgd_draw,
    solution=sgd_momentum_solution,
    library=("kerastutor.optimizers.SGD",),
    rtol=1e-6,
    hints=(
        "Two lines: the velocity first, then the weight with the *new* velocity.",
        "Return new arrays (``w + velocity_new``); writing into ``w`` in place is what the "
        "library does, but here the grader wants the results returned.",
    ),
    mistakes=(
        Mistake("pytorch_momentum", "that is PyTorch's form (v = mu v + g, w -= lr v). Keras "
                                    "folds the learning rate into the velocity: velocity = "
                                    "momentum * velocity - learning_rate * grad, "
                                    "w = w + velocity.", _pytorch_momentum),
        Mistake("uphill_velocity", "the velocity points uphill: Keras's velocity is "
                                   "momentum * velocity - learning_rate * grad (it is ADDED "
                                   "to w), so it points downhill.", _uphill_velocity),
    ),
    batch_argument="",              # no batch: w is one weight
)


# ----------------------------------------------------------------------------- Adam
def adam_solution(w, grad, m, v, t, learning_rate, beta_1, beta_2, epsilon):
    """kerastutor's Adam: step number ``t`` (counted from 1) from the given moments."""
    adam = optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    return _one_step(adam, w, grad, [m, v], step=t - 1)


def _adam_example():
    return dict(w=np.array([1.0, -2.0, 0.5]), grad=np.array([0.2, -0.4, 1.0]),
                m=np.array([0.0, 0.0, 0.0]), v=np.array([0.0, 0.0, 0.0]), t=1,
                learning_rate=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-7)


def _adam_draw(draw):
    d = draw.size(1, 4)
    return dict(w=draw.normal(d), grad=draw.normal(d), m=draw.normal(d, scale=0.1),
                v=draw.uniform(d, low=0.0, high=0.1), t=draw.choice((1, 2, 5, 100)),
                learning_rate=draw.choice((0.001, 0.1)), beta_1=draw.choice((0.9, 0.5)),
                beta_2=draw.choice((0.999, 0.9)), epsilon=draw.choice((1e-7, 0.1)))


def _adam_moments(i):
    m = i["beta_1"] * i["m"] + (1 - i["beta_1"]) * i["grad"]
    v = i["beta_2"] * i["v"] + (1 - i["beta_2"]) * i["grad"] ** 2
    return m, v


def _adam_without_correction(i):
    m, v = _adam_moments(i)
    return {"w_new": i["w"] - i["learning_rate"] * m / (np.sqrt(v) + i["epsilon"])}


def _adam_paper_epsilon(i):
    m, v = _adam_moments(i)
    t = i["t"]
    m_hat, v_hat = m / (1 - i["beta_1"] ** t), v / (1 - i["beta_2"] ** t)
    return {"w_new": i["w"] - i["learning_rate"] * m_hat / (np.sqrt(v_hat) + i["epsilon"])}


def _adam_step_off_by_one(i):
    m, v = _adam_moments(i)
    t = i["t"] - 1 if i["t"] > 1 else i["t"] + 1
    alpha = i["learning_rate"] * math.sqrt(1 - i["beta_2"] ** t) / (1 - i["beta_1"] ** t)
    return {"w_new": i["w"] - alpha * m / (np.sqrt(v) + i["epsilon"])}


ADAM_STEP = Exercise(
    name="adam_step",
    summary="one step of Adam, with the bias correction as Keras applies it",
    topic=TOPIC,
    arguments=("w", "grad", "m", "v", "t", "learning_rate", "beta_1", "beta_2", "epsilon"),
    returns=("w_new", "m_new", "v_new"),
    docstring="""
Step number t (t = 1 for the first step) of keras.optimizers.Adam:

    m_new = beta_1 * m + (1 - beta_1) * grad
    v_new = beta_2 * v + (1 - beta_2) * grad**2
    alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
    w_new = w - alpha * m_new / (sqrt(v_new) + epsilon)

(Keras folds both bias corrections into the step size alpha, and adds
epsilon to sqrt(v_new) -- not to the bias-corrected sqrt(v_hat) of the paper.)

Parameters
    w, grad, m, v       arrays of one shape: weight, dL/dw, first and second moment
    t                   int, the step number, counted from 1
    learning_rate, beta_1, beta_2, epsilon   floats

Returns w_new, m_new, v_new (new arrays).
""",
    task=r"""
Adam keeps two moving averages per weight: of the gradient (:math:`m`, the
direction) and of its square (:math:`v`, the scale), and steps along
:math:`m / \sqrt{v}`. Both averages start at 0, so early on they are biased
towards 0; dividing by :math:`1 - \beta^t` corrects that. Keras folds both
corrections into the step size:

.. math::

    m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g, \qquad
    v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g^2

.. math::

    \alpha_t = \eta\, \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}, \qquad
    w_t = w_{t-1} - \alpha_t \frac{m_t}{\sqrt{v_t} + \epsilon}

with :math:`t` the step number counted from 1. This differs from the paper's
:math:`\hat m_t / (\sqrt{\hat v_t} + \epsilon)` only in where :math:`\epsilon`
sits -- invisible for Keras's default :math:`\epsilon = 10^{-7}`, so the graded
cases include large ones.
""",
    example=_adam_example,
    draw=_adam_draw,
    solution=adam_solution,
    library=("kerastutor.optimizers.Adam",),
    hints=(
        "Update ``m`` and ``v`` first; the step uses the new ones.",
        "At ``t = 1`` with ``m = v = 0`` the bias-corrected step is about "
        "``learning_rate * sign(grad)``: a quick check of your formula.",
        "``beta_1 ** t`` with the step number ``t`` counted from 1.",
    ),
    mistakes=(
        Mistake("no_bias_correction", "the bias correction is missing: Keras multiplies the "
                                      "learning rate by sqrt(1 - beta_2**t) / (1 - beta_1**t).",
                _adam_without_correction),
        Mistake("paper_epsilon", "that is the paper's form, m_hat / (sqrt(v_hat) + epsilon). "
                                 "Keras adds epsilon to sqrt(v) before the correction: "
                                 "w - alpha * m / (sqrt(v) + epsilon), alpha = lr * "
                                 "sqrt(1 - beta_2**t) / (1 - beta_1**t).", _adam_paper_epsilon),
        Mistake("step_off_by_one", "the step number is off by one: t counts from 1 (the "
                                   "first step has t = 1).", _adam_step_off_by_one),
    ),
    batch_argument="",              # no batch: w is one weight
)

EXERCISES = (SGD_MOMENTUM_STEP, ADAM_STEP)
