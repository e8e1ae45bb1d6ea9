"""Exercises on activation functions: the derivatives of ReLU, sigmoid and tanh."""
import numpy as np

from kerastutor import activations
from kerastutor.exercises.grading import Exercise, Mistake, Numerical

TOPIC = "Activations"


def derivative_of(name):
    r"""The library's derivative of activation ``name`` at every entry of ``x``.

    An activation's ``backward(cache, g)`` returns :math:`\phi'(x) \odot g`; with
    :math:`g` all ones that is :math:`\phi'(x)` itself.
    """
    activation = activations.get(name)

    def derivative(x):
        _, cache = activation.forward(x)
        return activation.backward(cache, np.ones_like(x))

    derivative.__name__ = f"{name}_derivative"
    derivative.__doc__ = f"kerastutor's {name} activation: backward with an upstream of ones."
    return derivative


def _elementwise_forward(name):
    activation = activations.get(name)
    return lambda inputs, learner: activation.forward(inputs["x"])[0]


def _example():
    x = np.array([[-2.0, -0.5, 0.3], [1.5, -0.1, 4.0]])
    # the central differences project onto g = 1: sum_j dy_j/dx_i = phi'(x_i)
    return dict(x=x, _ones=np.ones_like(x))


def _draw(draw):
    return dict(x=draw.normal(draw.size(1, 4), draw.size(1, 5), scale=2.0))


def _exercise(name, formula_text, task, hints, mistakes):
    return Exercise(
        name=f"{name}_derivative",
        summary=f"the derivative of {name}, entry by entry",
        topic=TOPIC,
        arguments=("x",),
        returns=("derivative",),
        docstring=f"""
The derivative of the {name} activation at every entry of x.

Parameters
    x  (N, D)  the activation's input (z = x W + b of the layer)

Returns derivative, shape (N, D):
    {formula_text}
(The layer's backward multiplies it by dL/dy entry by entry.)
""",
        task=task,
        example=_example,
        draw=_draw,
        solution=derivative_of(name),
        library=(f"kerastutor.activations.{name}",),
        hints=hints,
        mistakes=mistakes,
        numerical=Numerical(_elementwise_forward(name), {"derivative": "x"}, "_ones",
                            f"activations.{name}"),
    )


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


RELU_DERIVATIVE = _exercise(
    "relu",
    "1 where x > 0, else 0   (at x == 0 exactly, Keras uses 0)",
    r"""
ReLU keeps positive inputs and zeroes the rest, :math:`\mathrm{relu}(x) = \max(x, 0)`.
Its derivative is a step:

.. math::

    \mathrm{relu}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}

At :math:`x = 0` the function has a kink and no derivative; Keras (and
kerastutor) use 0 there. Return an array of floats shaped like ``x``.
""",
    ("A comparison such as ``x > 0`` gives booleans; convert them with "
     "``.astype(x.dtype)``.",
     "The derivative is not the function: ``np.maximum(x, 0)`` is ReLU itself."),
    (Mistake("function_itself", "that is relu(x) itself; its derivative is 1 where x > 0 and "
                                "0 elsewhere.", lambda i: {"derivative": np.maximum(i["x"], 0)}),),
)

SIGMOID_DERIVATIVE = _exercise(
    "sigmoid",
    "s * (1 - s)   with s = sigmoid(x) = 1 / (1 + exp(-x))",
    r"""
The sigmoid squashes any number into :math:`(0, 1)`:
:math:`\sigma(x) = 1 / (1 + e^{-x})`. Its derivative is best written with the
*output* :math:`s = \sigma(x)`:

.. math::

    \sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^2} = \sigma(x)\,\bigl(1 - \sigma(x)\bigr)

That is why a layer keeps its output for the backward pass: the derivative
needs nothing else. It is at most 1/4 (at :math:`x = 0`) and tiny for large
:math:`|x|` -- a saturated sigmoid passes almost no gradient back.
""",
    ("Compute ``s = 1 / (1 + np.exp(-x))`` first, then use ``s`` in the formula.",
     "The formula takes the *output* :math:`s`, not the input :math:`x`."),
    (Mistake("input_for_output", "the formula s * (1 - s) needs the OUTPUT s = sigmoid(x); "
                                 "you used the input x.",
             lambda i: {"derivative": i["x"] * (1 - i["x"])}),
     Mistake("function_itself", "that is sigmoid(x) itself, not its derivative s * (1 - s).",
             lambda i: {"derivative": _sigmoid(i["x"])}),),
)

TANH_DERIVATIVE = _exercise(
    "tanh",
    "1 - t**2   with t = tanh(x)",
    r"""
The hyperbolic tangent squashes into :math:`(-1, 1)` and is zero-centred. As for
the sigmoid, its derivative is a function of the output :math:`t = \tanh(x)`:

.. math::

    \tanh'(x) = 1 - \tanh^2(x) = 1 - t^2

It is 1 at :math:`x = 0` and vanishes as :math:`|x|` grows.
""",
    ("``np.tanh`` computes :math:`t`; the derivative squares it.",),
    (Mistake("input_for_output", "the formula 1 - t**2 needs the OUTPUT t = tanh(x); you used "
                                 "the input x.", lambda i: {"derivative": 1 - i["x"] ** 2}),
     Mistake("no_square", "the derivative is 1 - tanh(x)**2: the tanh is squared.",
             lambda i: {"derivative": 1 - np.tanh(i["x"])}),),
)

EXERCISES = (RELU_DERIVATIVE, SIGMOID_DERIVATIVE, TANH_DERIVATIVE)
