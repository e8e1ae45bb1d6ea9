"""Write the book's exercise pages in ``docs/exercises/`` from ``kerastutor.exercises``.

Run it from the project root after adding or changing an exercise::

    python docs/tools/make_exercise_pages.py            # rewrite the pages
    python docs/tools/make_exercise_pages.py --check    # exit 1 if a page is stale

and commit the ``.rst`` files it writes (``tests/exercises/test_pages.py`` fails
when they are stale). Each exercise gets a page with what to compute (the
exercise's ``task``, formulas included), the starter file, the command that
grades it, how it is graded, and -- folded away at the end -- hints and the
mistakes the grader recognises. The solution is not shown: the page names the
library object that implements it, whose API page shows the code.
"""
import pathlib
import re
import sys
import textwrap

DOCS = pathlib.Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
PAGES = DOCS / "exercises"

INDEX_INTRO = """\
.. _exercises:

Exercises
=========

Reading a derivative is not the same as deriving it. Each exercise asks you
to write one building block of the library -- the backward pass of a Dense
layer, the gradient of softmax with crossentropy, a convolution, one Adam
step -- as a plain NumPy function in **your own file**, and kerastutor grades
it against its own implementation. None of Keras, PyTorch or d2l ships
graded exercises like these.

The loop
--------

.. code-block:: text

    python -m kerastutor.exercises list                     # what there is
    python -m kerastutor.exercises show dense_backward > dense_backward.py
    # ... write the function in dense_backward.py ...
    python -m kerastutor.exercises check dense_backward dense_backward.py

``show`` prints a starter file: the signature, a docstring with every shape
and the formula in plain text, and ``raise NotImplementedError``. ``check``
imports your file (it is your code: importing it runs it), finds the function
named like the exercise (``--function NAME`` picks another), prints a report
and exits with status 0 when the function passes, 1 when it does not, and 2
when the command itself is wrong. In a notebook, grade a function directly:

.. code-block:: python

    from kerastutor import exercises

    report = exercises.check("dense_backward", dense_backward)
    print(report)          # the same report
    report.passed          # True or False

How a function is graded
------------------------

Three stages, stopping at the first failure:

1. **The fixed example.** A small example, printed in full when it fails.
   Your results are compared with the library's own implementation, the code
   on the API pages, in float64 within the exercise's tolerance,
   :math:`|\\mathrm{got} - \\mathrm{expected}| \\le \\mathrm{atol} +
   \\mathrm{rtol}\\,|\\mathrm{expected}|`.
2. **Central differences.** For a derivative exercise, every gradient you
   return is compared with the central-difference derivative
   :math:`(f(x + h) - f(x - h)) / 2h` of a forward pass, entry by entry
   (:func:`kerastutor.gradcheck.numerical_gradient`, relative error below
   :math:`10^{-6}`). The forward is the library's, or your own where you write
   the forward too: this stage trusts nobody's backward.
3. **Generated cases.** Hypothesis draws shapes and values -- derandomized, so
   every run grades the same cases -- and the comparison runs again. When a
   case fails, hypothesis shrinks it to the smallest case that still fails,
   and that is the one the report prints.

A report that fails says which case, which result, the expected and the
actual numbers, and a hint. When the numbers show the mistake, the hint names
it: a transposed result (the shape is reversed, or it equals the transpose), a
forgotten sum over the batch (the result still has the batch axis), the wrong
sign, a missing or an extra :math:`1/N`, ``None``, NaN, the wrong dtype or
shape -- and each exercise's own typical slips, such as Adam without the bias
correction or an embedding gradient that assigns instead of adding.

For example, a ``dense_backward`` that computes :math:`\\partial L/\\partial W`
as ``grad_y.T @ x`` gets this report (printed by the grader itself when this
page was written):

"""
EXAMPLE_END = """
The exercises
-------------
"""


def _heading(text, mark):
    return f"{text}\n{mark * len(text)}\n"


def _library_links(exercise):
    return ", ".join(f":py:obj:`{name}`" for name in exercise.library)


def _plain(text):
    """Terminal text (the report's hints) made safe for reStructuredText: ``**`` and
    backquotes stay characters, not markup."""
    text = re.sub(r"([*`|\\])", r"\\\1", text)
    return re.sub(r"(\w)_(?=\W|$)", r"\1\\_", text)


def _details(title, body):
    """A block folded away in HTML (``<details>``); other builders show it plainly."""
    return (f".. raw:: html\n\n   <details><summary>{title}</summary>\n\n{body}\n"
            ".. raw:: html\n\n   </details>\n")


def page_text(exercise):
    """The ``.rst`` page of one exercise."""
    name = exercise.name
    starter = textwrap.indent(exercise.template(f"{name}.py"), "   ")
    graded = [f"on a fixed small example, against {_library_links(exercise)}, with "
              f"``rtol={exercise.rtol:g}`` and ``atol={exercise.atol:g}`` (float64);"]
    if exercise.numerical is not None:
        source = exercise.numerical.source
        graded.append("by central differences of "
                      + (source if source.startswith("your") else f"``{source}``") + ";")
    graded.append("on cases drawn by hypothesis: the same ones on every run, and a failing "
                  "one shrunk to the smallest.")
    hints = "\n".join(f"* {hint}" for hint in exercise.hints)
    mistakes = "\n".join(f"* {_plain(m.hint[0].upper() + m.hint[1:])}"
                         for m in exercise.mistakes)
    parts = [
        f".. _exercise-{name}:\n",
        _heading(f"{name}: {exercise.summary}", "="),
        exercise.task.strip() + "\n",
        _heading("Start", "-"),
        "Write the starter file, then fill in the function:\n",
        f".. code-block:: text\n\n   python -m kerastutor.exercises show {name} > {name}.py\n",
        f".. code-block:: python\n\n{starter}",
        _heading("Check", "-"),
        f".. code-block:: text\n\n   python -m kerastutor.exercises check {name} {name}.py\n",
        "or, in a notebook, "
        f"``kerastutor.exercises.check(\"{name}\", {name})``. Your function is graded\n",
        "\n".join(f"* {line}" for line in graded) + "\n",
        _heading("After you have tried", "-"),
        f"The library's own implementation is {_library_links(exercise)}: its API page "
        "shows the formula and the code. The grader's ``solution`` calls it with this "
        f"exercise's signature (``kerastutor.exercises.get(\"{name}\").solution``).\n",
        _details("Hints", hints + "\n"),
    ]
    if mistakes:
        parts.append(_details("Mistakes the grader recognises", mistakes + "\n"))
    return "\n".join(parts)


def _transposed_dense_backward(x, W, b, grad_y):
    """The wrong answer the index page shows graded: dL/dW transposed."""
    return grad_y @ W.T, grad_y.T @ x, grad_y.sum(axis=0)


def index_text(exercises):
    report = exercises.check("dense_backward", _transposed_dense_backward)
    lines = [INDEX_INTRO, ".. code-block:: text\n", textwrap.indent(str(report), "   "),
             EXAMPLE_END]
    topics = {}
    for exercise in exercises.EXERCISES.values():
        topics.setdefault(exercise.topic, []).append(exercise)
    for topic, members in topics.items():
        lines.append(f"**{topic}**\n")
        lines += [f"* :ref:`{e.name} <exercise-{e.name}>` -- {e.summary}" for e in members]
        lines.append("")
    lines.append(".. toctree::\n   :hidden:\n")
    lines += [f"   {name}" for name in exercises.EXERCISES]
    return "\n".join(lines) + "\n"


def texts():
    """``{path: text}`` of every page this script writes."""
    sys.path.insert(0, str(ROOT))
    from kerastutor import exercises
    pages = {PAGES / f"{e.name}.rst": page_text(e) for e in exercises.EXERCISES.values()}
    pages[PAGES / "index.rst"] = index_text(exercises)
    return pages


def main(argv=None):
    check_only = "--check" in (sys.argv[1:] if argv is None else argv)
    PAGES.mkdir(exist_ok=True)
    stale = [(path, text) for path, text in texts().items()
             if not path.exists() or path.read_text() != text]
    for path, text in stale:
        where = path.relative_to(ROOT)
        if check_only:
            print(f"{where} is out of date: run python docs/tools/make_exercise_pages.py")
        else:
            path.write_text(text)
            print(f"wrote {where}")
    return 1 if check_only and stale else 0


if __name__ == "__main__":
    sys.exit(main())
