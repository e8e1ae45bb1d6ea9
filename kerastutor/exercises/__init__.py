r"""Graded exercises: write a backward pass yourself, and let kerastutor grade it.

Reading a derivative is not the same as deriving it. Each exercise here asks for
one building block of the library -- the backward pass of a Dense layer, the
gradient of softmax with crossentropy, a convolution, one Adam step -- as a plain
NumPy function in **your own file**. kerastutor then grades the function against
its own implementation, the code you can read on the API pages.

**The loop.**

.. code-block:: text

    python -m kerastutor.exercises list                       # what there is
    python -m kerastutor.exercises show dense_backward > my_dense.py
    # ... write the function in my_dense.py ...
    python -m kerastutor.exercises check dense_backward my_dense.py

``show`` prints a starter file: the signature, a docstring with every shape and
the formula in plain text, and ``raise NotImplementedError``. ``check`` imports
your file (it is your code: importing runs it), finds the function named like the
exercise (``--function`` picks another name), grades it and exits with status 0
when it passes, 1 when it does not, 2 when the command itself is wrong.

In a notebook, grade a function directly:

>>> from kerastutor import exercises
>>> def relu_derivative(x):
...     return (x > 0).astype(x.dtype)
>>> report = exercises.check("relu_derivative", relu_derivative)
>>> report.passed
True

**How a function is graded.** Three stages, stopping at the first failure
(:mod:`kerastutor.exercises.grading` has the details):

1. *The fixed example* -- small, printed in the report when it fails. Your
   results are compared with the library's, in float64, within the exercise's
   tolerance (:math:`|got - expected| \le atol + rtol\,|expected|`, by default
   ``rtol=1e-6``, ``atol=1e-9``).
2. *Central differences* -- for derivative exercises, each gradient you return is
   compared with :func:`kerastutor.gradcheck.numerical_gradient` of a forward pass
   (the library's, or your own where you write the forward too): a check that
   does not trust anybody's backward.
3. *Generated cases* -- hypothesis draws shapes and values (derandomized: the same
   cases on every run). A failing case is shrunk to the smallest one that still
   fails, and that is the one the report prints.

When a result is wrong, the report says which case, which output, the expected
and the actual numbers, and -- when the numbers show it -- names the mistake:
the transposed result, the forgotten sum over the batch, the wrong sign, a
missing or extra 1/N, ``None``, NaN, the wrong dtype or shape, and each
exercise's own typical slips (Adam without bias correction, dropout without the
1/(1-p) scale, an embedding gradient that assigns instead of adding, ...).

**The answers** are the library's implementations: each exercise's ``solution``
calls them with your function's signature, and ``exercise.library`` names them,
so you can read the code there once you have tried.
"""
from kerastutor.backend import did_you_mean
from kerastutor.exercises import (activations, convolution, core, losses, metrics,
                                  normalization, optimizers, recurrent)
from kerastutor.exercises.grading import (DEFAULT_EXAMPLES, Exercise, Report, UsageError,
                                          grade, load_function)

#: Every exercise, in the book's order.
EXERCISES = {exercise.name: exercise
             for module in (core, activations, losses, convolution, normalization,
                            recurrent, optimizers, metrics)
             for exercise in module.EXERCISES}

__all__ = ["EXERCISES", "Exercise", "Report", "UsageError", "check", "get",
           "list_exercises", "load_function", "template"]


def list_exercises():
    """The exercises' names, in the book's order."""
    return list(EXERCISES)


def get(name):
    """The :class:`Exercise` called ``name``; an unknown name suggests the closest one."""
    if name not in EXERCISES:
        raise UsageError(f"no exercise named {name!r}.{did_you_mean(name, EXERCISES)} "
                         "`python -m kerastutor.exercises list` shows them all.")
    return EXERCISES[name]


def template(name, filename=None):
    """The starter file of exercise ``name`` (what ``show NAME`` prints)."""
    return get(name).template(filename or f"{name}.py")


def check(name, function, max_examples=DEFAULT_EXAMPLES, function_name=None):
    """Grade ``function`` on exercise ``name`` and return the :class:`Report`.

    ``function`` is a callable, or the path of a ``.py`` file that defines a
    function named ``name`` (or ``function_name``). ``print(report)`` shows the
    kind report; ``report.passed`` is a bool.
    """
    exercise = get(name)
    if isinstance(function, str) or hasattr(function, "__fspath__"):
        function = load_function(function, function_name or name)
    if not callable(function):
        raise UsageError(f"check({name!r}, ...): expected your function (or the path of the "
                         f"file that defines it), got {type(function).__name__}.")
    return grade(exercise, function, max_examples)
