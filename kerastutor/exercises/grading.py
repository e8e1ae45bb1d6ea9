r"""How an exercise is graded: the library as the oracle, central differences, generated cases.

An :class:`Exercise` describes one function a learner writes: its arguments and
results, a fixed small example, a generator of further examples, and a
*solution* -- the library's own implementation called with the learner's
signature. :func:`grade` runs the learner's function in three stages and stops
at the first failure:

1. **The fixed example.** The learner's results are compared with the
   solution's, output by output, within the exercise's tolerance
   (:math:`|got - expected| \le atol + rtol\,|expected|`, in float64).
2. **Central differences** (derivative exercises). Each gradient is compared
   with :func:`kerastutor.gradcheck.numerical_gradient` of a forward pass (the
   library's, or the learner's own where the learner writes the forward too):
   a check that does not trust the library's backward.
3. **Generated cases.** Hypothesis draws shapes and a seed for the values
   (``derandomize=True``: the same cases on every run) and compares again. When a
   case fails, hypothesis shrinks it to the smallest failing one, which is what the
   report prints. Without hypothesis installed, seeded NumPy draws are used.

A failing output is *diagnosed*: the report names the typical mistake when the
numbers show it -- a transposed result, a forgotten sum over the batch, the wrong
sign, a factor ``N`` too many or too few, ``None``, NaN, a wrong dtype -- and
each exercise adds models of its own typical wrong answers (:class:`Mistake`).
"""
import importlib.util
import inspect
import itertools
import pathlib
import sys
import textwrap
import traceback
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from kerastutor import gradcheck
from kerastutor.backend import did_you_mean

#: Generated cases per exercise (after the fixed example).
DEFAULT_EXAMPLES = 12
#: Pass threshold of the central-difference stage, on gradcheck's relative error.
NUMERICAL_THRESHOLD = 1e-6
#: Arrays with more entries are shown by their shape and first entries only.
SHOWN_ENTRIES = 60
#: Seed of the NumPy draws used when hypothesis is not installed.
FALLBACK_SEED = 2024


class UsageError(Exception):
    """A mistake in how the grader was called (an unknown exercise, a missing file)."""


class _CaseFailed(Exception):
    """Raised inside a generated case so that hypothesis shrinks it."""


# ----------------------------------------------------------------------------------------
# What an exercise is made of
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: a model of what it returns, and the hint that names it.

    ``answer(inputs)`` returns ``{output name: wrong value}`` for the outputs the
    mistake changes; a learner's output that matches it (and not the right one)
    gets ``hint``. ``code`` is a short name tests and tools can match.
    """

    code: str
    hint: str
    answer: Callable


@dataclass(frozen=True)
class Numerical:
    """The central-difference stage of a derivative exercise.

    Parameters
    ----------
    forward : callable
        ``forward(inputs, learner) -> y`` (an array or a list of arrays). It reads the
        arrays of ``inputs``, which the check perturbs in place; ``learner(inputs)``
        calls the learner's function, for exercises whose forward the learner writes.
    wrt : dict
        Output name -> the input it is the gradient of (``{"grad_W": "W"}``).
    upstream : str, tuple of str, or None
        Input(s) holding the upstream gradient :math:`g` (the check differentiates
        :math:`\\sum g \\odot y`); ``None`` when ``forward`` returns a scalar loss.
    source : str
        What ``forward`` is, for the report (``"Dense.forward"``).
    """

    forward: Callable
    wrt: dict
    upstream: object
    source: str


@dataclass(frozen=True)
class Exercise:
    """One graded exercise (see the module docstring for how grading runs).

    ``arguments`` and ``returns`` name the learner's parameters and results, in
    order; ``example()`` and ``draw(Draw)`` return ``{argument: value}`` dicts
    (names starting with ``_`` are extra arrays the grader uses but the learner
    does not get). ``solution`` is the library's implementation with the learner's
    signature -- the oracle. ``task`` (reStructuredText with ``.. math::``) is the
    book page's statement, ``docstring`` the starter file's plain-text one.
    """

    name: str
    summary: str
    topic: str
    arguments: tuple
    returns: tuple
    docstring: str
    task: str
    example: Callable
    draw: Callable
    solution: Callable
    library: tuple
    hints: tuple = ()
    mistakes: tuple = ()
    numerical: Optional[Numerical] = None
    rtol: float = 1e-6
    atol: float = 1e-9
    batch_argument: Optional[str] = None     # None: the first argument; "": no batch
    scales: Optional[Callable] = None

    def template(self, filename="my_answer.py"):
        """The starter file: signature, docstring, ``raise NotImplementedError``."""
        doc = textwrap.indent(self.docstring.strip("\n"), "    ")
        title = textwrap.fill(f"Exercise {self.name}: {self.summary}", 76)
        return (
            f'"""{title}\n\n'
            "Write the function below, then grade it with\n\n"
            f"    python -m kerastutor.exercises check {self.name} {filename}\n"
            '"""\n'
            "import numpy as np\n\n\n"
            f"def {self.name}({', '.join(self.arguments)}):\n"
            f'    """{doc.lstrip()}\n    """\n'
            f'    raise NotImplementedError("{self.name}: not written yet")\n')


class Draw:
    """The source of a generated case: sizes from hypothesis (so they shrink), values
    from a NumPy generator seeded by one more drawn integer."""

    def __init__(self, integers):
        self._integers = integers
        self._rng = None

    def size(self, low, high):
        """An integer in ``[low, high]``; hypothesis shrinks it towards ``low``."""
        return int(self._integers(low, high))

    def choice(self, options):
        """One of ``options``; hypothesis shrinks towards the first."""
        return options[self.size(0, len(options) - 1)]

    @property
    def rng(self):
        """The NumPy generator of the values, seeded by one more drawn integer."""
        if self._rng is None:
            self._rng = np.random.default_rng(self.size(0, 2 ** 32 - 1))
        return self._rng

    def normal(self, *shape, scale=1.0):
        """Normal numbers of standard deviation ``scale`` (no ties, almost never zero)."""
        return self.rng.normal(0.0, scale, size=shape)

    def uniform(self, *shape, low=0.0, high=1.0):
        """Uniform numbers in ``[low, high)``."""
        return self.rng.uniform(low, high, size=shape)


# ----------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------
@dataclass
class Stage:
    """One grading stage and how it went (``detail``: what was run)."""

    title: str
    passed: bool
    detail: str = ""


@dataclass
class Failure:
    """What went wrong in the first failing case."""

    case: str
    inputs: dict
    output: Optional[str]
    expected: object
    got: object
    problem: str
    hint: str = ""
    mistake: str = "values"


@dataclass
class Report:
    """The result of grading one function: ``passed``, the stages, the first failure.

    ``str(report)`` is the kind report the command line prints; ``mistake`` is the
    short code of the diagnosed mistake (``"transpose"``, ``"batch_sum"``,
    ``"sign"``, ``"scale"``, ``"not_written"``, an exercise's own code, ...).
    """

    exercise: Exercise
    stages: list = field(default_factory=list)
    failure: Optional[Failure] = None

    @property
    def passed(self):
        return self.failure is None

    @property
    def mistake(self):
        return None if self.failure is None else self.failure.mistake

    @property
    def hint(self):
        return "" if self.failure is None else self.failure.hint

    def __bool__(self):
        return self.passed

    def __str__(self):
        ex = self.exercise
        lines = [f"{ex.name}: {ex.summary}",
                 f"  graded against {', '.join(ex.library)} "
                 f"(rtol={ex.rtol:g}, atol={ex.atol:g}, float64)"]
        for stage in self.stages:
            mark = "PASS" if stage.passed else "FAIL"
            detail = f" ({stage.detail})" if stage.detail else ""
            lines.append(f"  {mark}  {stage.title}{detail}")
        if self.failure is None:
            lines.append(f"PASSED: {ex.name} agrees with the library on every case.")
            return "\n".join(lines)
        lines += ["", *self._failure_lines(), "", f"FAILED: {ex.name}."]
        return "\n".join(lines)

    def _failure_lines(self):
        f = self.failure
        lines = [f"In {f.case}" + (":" if f.mistake == "not_written" else ", with the inputs")]
        for name, value in f.inputs.items():
            if not name.startswith("_") and f.mistake != "not_written":
                lines += _named_value(name, value, "    ")
        where = f"`{f.output}`: " if f.output else ""
        lines.append(f"{where}{f.problem}")
        if f.expected is not None or f.got is not None:
            lines += _named_value("expected", f.expected, "    ")
            lines += _named_value("got", f.got, "    ")
        if f.hint:
            lines += textwrap.wrap("Hint: " + f.hint, 78, subsequent_indent="      ")
        if f.mistake != "not_written":
            lines += textwrap.wrap(
                f"(The arrays in full, in Python: report = kerastutor.exercises.check("
                f"{self.exercise.name!r}, your_function), then report.failure.inputs, "
                ".expected and .got.)", 78)
        return lines


def _shown(value):
    """A short text for an input or a result: arrays with 4 decimals, truncated."""
    if value is None:
        return "None"
    if isinstance(value, (bool, int, float, np.integer, np.floating)):
        return f"{value:.6g}" if isinstance(value, (float, np.floating)) else str(value)
    array = np.asarray(value)
    if array.dtype == object:
        return repr(value)
    if array.size > SHOWN_ENTRIES or (array.ndim >= 3 and array.size > 16):
        # a batch of images, printed in full, would fill the screen
        first = np.array2string(array.ravel()[:8], precision=4, suppress_small=True,
                                max_line_width=200)
        return f"shape {array.shape}, first entries (flattened): {first[:-1]} ...]"
    text = np.array2string(array, precision=4, suppress_small=True, max_line_width=80)
    return text if array.ndim == 0 else f"shape {array.shape}:\n{text}"


def _named_value(name, value, indent):
    text = _shown(value).split("\n")
    if len(text) == 1:
        return [f"{indent}{name} = {text[0]}"]
    return [f"{indent}{name} = {text[0]}"] + [f"{indent}    {line}" for line in text[1:]]


# ----------------------------------------------------------------------------------------
# Calling the learner's function
# ----------------------------------------------------------------------------------------
def _copied(value):
    return value.copy() if isinstance(value, np.ndarray) else value


def _learner_arguments(exercise, inputs):
    return [_copied(inputs[name]) for name in exercise.arguments]


def _where(error, function):
    """`` (your file, line 12: grad = x.T @ g)`` for the deepest frame in the learner's file."""
    filename = getattr(getattr(function, "__code__", None), "co_filename", None)
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if frame.filename == filename]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (at {pathlib.Path(frame.filename).name}, line {frame.lineno}: {frame.line})"


def _call(exercise, function, inputs):
    """``(outputs as a tuple, None)``, or ``(None, Failure-ready dict)`` when the call failed."""
    try:
        result = function(*_learner_arguments(exercise, inputs))
    except NotImplementedError:
        return None, dict(problem="not written yet: the function raises NotImplementedError.",
                          hint=f"replace the `raise NotImplementedError` line of "
                               f"{exercise.name} with your code.", mistake="not_written")
    except Exception as error:       # the learner's own code: report it, do not crash
        return None, dict(problem=f"your function raised {type(error).__name__}: {error}"
                                  f"{_where(error, function)}",
                          hint="run it on the inputs above in Python to see what goes wrong; "
                               "the docstring gives every shape.", mistake="error")
    count = len(exercise.returns)
    if count == 1:
        return (result,), None
    if result is None:
        return None, dict(problem=f"returned None; return {count} results in this order: "
                                  f"{', '.join(exercise.returns)}.",
                          hint="did you forget the `return` line?", mistake="returned_none")
    if not isinstance(result, (tuple, list)) or len(result) != count:
        got = (f"{len(result)} values" if isinstance(result, (tuple, list))
               else f"one {type(result).__name__}")
        return None, dict(problem=f"expected {count} results ({', '.join(exercise.returns)}), "
                                  f"got {got}.",
                          hint=f"end with `return {', '.join(exercise.returns)}`.",
                          mistake="outputs")
    return tuple(result), None


# ----------------------------------------------------------------------------------------
# Comparing, and naming the mistake
# ----------------------------------------------------------------------------------------
def _close(a, b, rtol=1e-5):
    """Looser than the pass test: for recognising a wrong answer's pattern."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    return bool(np.allclose(a, b, rtol=rtol, atol=1e-8 * scale))


def _batch_size(exercise, inputs):
    """N, the length of axis 0 of the batch argument (None for exercises without a batch)."""
    name = _batch_argument(exercise)
    if not name:
        return None
    value = inputs.get(name)
    return np.shape(value)[0] if np.ndim(value) >= 1 else None


def _batch_argument(exercise):
    return exercise.arguments[0] if exercise.batch_argument is None else exercise.batch_argument


def _scale_candidates(exercise, inputs):
    """``(factor, hint)`` pairs a wrong answer may be off by."""
    candidates = [(-1.0, "the sign is flipped: your result is minus the expected one. "
                         "Check the order of a subtraction (y_pred - y_true, not y_true - "
                         "y_pred) and whether a step goes against the gradient.")]
    n, arg = _batch_size(exercise, inputs), _batch_argument(exercise)
    if n and n > 1:
        candidates += [
            (float(n), f"your result is N = {n} times the expected one (N is the batch "
                       f"size, axis 0 of `{arg}`): a missing 1/N. Keras's losses average "
                       "over the batch ('sum_over_batch_size'), so every gradient carries "
                       "the factor 1/N."),
            (1.0 / n, f"your result is the expected one divided by N = {n} (the batch "
                      f"size, axis 0 of `{arg}`): an extra 1/N. A gradient sums the "
                      "contributions of the samples; the 1/N of the mean loss is already "
                      "inside the upstream gradient, or is applied once only.")]
    if exercise.scales is not None:
        candidates = list(exercise.scales(inputs)) + candidates
    return candidates


def _diagnose_shape(got, expected):
    """Problem and hint for a result of the wrong shape."""
    if got.ndim >= 2 and got.shape == expected.shape[::-1]:
        exact = _close(got.T, expected)
        return ("transpose",
                f"wrong shape: expected {expected.shape}, got {got.shape} -- the transposed "
                "shape.",
                ("your result is exactly the transpose of the expected one. " if exact else "")
                + "A gradient has the shape of what it is the gradient of: check the order "
                  "of a matrix product (x.T @ g, not g.T @ x) or a missing .T.")
    extra = got.ndim - expected.ndim
    if extra > 0 and got.shape[extra:] == expected.shape:
        summed = got.sum(axis=tuple(range(extra)))
        what = "the batch axis" if extra == 1 else f"the first {extra} axes"
        return ("batch_sum",
                f"wrong shape: expected {expected.shape}, got {got.shape} -- it still has "
                f"{what}.",
                ("summed over those axes it would be right: " if _close(summed, expected)
                 else "") + "a weight is shared by every sample (and every position), so its "
                            "gradient is the SUM of their contributions: add .sum(axis="
                 + ("0" if extra == 1 else str(tuple(range(extra)))) + ").")
    if got.size == expected.size:
        return ("shape", f"wrong shape: expected {expected.shape}, got {got.shape} (the same "
                         "number of entries).",
                "an axis of size 1 kept or dropped (keepdims), or a reshape in the wrong "
                "order.")
    return ("shape", f"wrong shape: expected {expected.shape}, got {got.shape}.",
            "the docstring gives the shape of every result.")


def _diagnose_values(exercise, inputs, name, got, expected):
    """``(code, hint)`` for a result of the right shape but the wrong numbers."""
    for mistake in exercise.mistakes:
        try:
            wrong = mistake.answer(inputs).get(name)
        except Exception:            # a model that does not apply to these shapes
            continue
        # `got` already failed against `expected`; matching the wrong answer within the
        # exercise's own tolerance names the mistake
        wrong = None if wrong is None else np.asarray(wrong, dtype=np.float64)
        if wrong is not None and wrong.shape == got.shape and \
                np.allclose(got, wrong, rtol=exercise.rtol, atol=exercise.atol):
            return mistake.code, mistake.hint
    if got.ndim == 2 and got.shape[0] == got.shape[1] and _close(got.T, expected) \
            and not _close(got, expected):
        return "transpose", ("your result is the transpose of the expected one: check the "
                             "order of a matrix product or a missing .T.")
    e, g = expected.ravel().astype(np.float64), got.ravel().astype(np.float64)
    if np.dot(e, e) > 0:
        factor = float(np.dot(g, e) / np.dot(e, e))
        if _close(g, factor * e) and abs(factor - 1.0) > 1e-4:
            for candidate, hint in _scale_candidates(exercise, inputs):
                if abs(factor - candidate) <= 1e-4 * abs(candidate):
                    return ("sign" if candidate == -1.0 else "scale"), hint
            return "scale", (f"your result is {factor:.6g} times the expected one: every entry "
                             "is off by the same factor, so the formula is right up to a "
                             "constant. Look for a missing or extra constant factor.")
    return "values", ("no common mistake matches these numbers. Work one entry of the "
                      "expected result by hand from the docstring's formula on the small "
                      "example above, then print your intermediate arrays for it.")


def _dtype_hint(got, expected):
    if np.issubdtype(got, np.integer):
        return (f"your result has the integer dtype {got}: integers cannot hold a gradient. "
                "Start from a float array (np.zeros_like(grad_y), not np.zeros_like(ids)).")
    return (f"your result is {got} while the inputs are {expected}, and the lost digits "
            "exceed the tolerance: keep the inputs' dtype (np.zeros_like(x) rather than "
            "np.zeros(shape, np.float32)).")


def _compare(exercise, inputs, name, got, expected):
    """None when ``got`` passes; else a dict with ``problem``, ``hint``, ``mistake``."""
    if got is None:
        return dict(problem="is None.", hint="did you forget to return it?",
                    mistake="returned_none")
    expected = np.asarray(expected)
    try:
        got = np.asarray(got)
    except Exception:
        return dict(problem=f"is a {type(got).__name__}, not an array.", mistake="dtype",
                    hint="return a NumPy array (or a number).")
    if got.dtype == bool or not np.issubdtype(got.dtype, np.number):
        return dict(problem=f"has dtype {got.dtype}; expected numbers of dtype "
                            f"{expected.dtype}.", mistake="dtype",
                    hint="a comparison such as x > 0 gives booleans: convert with "
                         ".astype(x.dtype).")
    if got.shape != expected.shape:
        code, problem, hint = _diagnose_shape(got, expected)
        return dict(problem=problem, hint=hint, mistake=code)
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(expected)):
        return dict(problem="contains NaN or inf where the expected result is finite.",
                    mistake="nan",
                    hint="a division by zero (0/0 is NaN), the log of 0, or an exp that "
                         "overflows; see where the NaN first appears.")
    if np.allclose(got, expected, rtol=exercise.rtol, atol=exercise.atol):
        return None
    code, hint = _diagnose_values(exercise, inputs, name, got, expected)
    worst = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(got - expected)),
                                                    got.shape)) if got.ndim else ()
    problem = "wrong values" + (f" (largest difference at index {worst}: expected "
                                f"{expected[worst]:.6g}, got {got[worst]:.6g})." if got.ndim
                                else ".")
    if code == "values" and got.dtype != expected.dtype:
        code, hint = "dtype", _dtype_hint(got.dtype, expected.dtype)
    return dict(problem=problem, hint=hint, mistake=code)


# ----------------------------------------------------------------------------------------
# The three stages
# ----------------------------------------------------------------------------------------
def _run_case(exercise, function, inputs, case):
    """The learner's results against the solution's on one case: a Failure or None."""
    expected = exercise.solution(*_learner_arguments(exercise, inputs))
    expected = (expected,) if len(exercise.returns) == 1 else tuple(expected)
    got, problem = _call(exercise, function, inputs)
    if problem is not None:
        return Failure(case, inputs, None, None, None, **problem)
    for name, value, right in zip(exercise.returns, got, expected):
        problem = _compare(exercise, inputs, name, value, right)
        if problem is not None:
            return Failure(case, inputs, name, right, value, **problem)
    return None


def _numerical_stage(exercise, function, inputs):
    """Each gradient against central differences of ``exercise.numerical.forward``."""
    spec = exercise.numerical
    work = {k: (np.array(v, dtype=np.float64) if isinstance(v, np.ndarray)
                and np.issubdtype(v.dtype, np.floating) else v) for k, v in inputs.items()}
    got, problem = _call(exercise, function, inputs)
    if problem is not None:
        return Failure("the central-difference check", inputs, None, None, None, **problem)
    results = dict(zip(exercise.returns, got))

    def learner(current):
        out, trouble = _call(exercise, function, current)
        if trouble is not None:
            raise RuntimeError(trouble["problem"])
        return out

    upstream = spec.upstream
    if upstream is not None:
        upstream = ([work[u] for u in upstream] if isinstance(upstream, tuple)
                    else work[upstream])
    for output, argument in spec.wrt.items():
        numerical, roundoff = gradcheck.numerical_gradient(
            lambda _: spec.forward(work, learner), work[argument], upstream=upstream,
            return_roundoff=True)
        analytic = np.asarray(results[output], dtype=np.float64)
        floor = np.maximum(gradcheck.RELATIVE_ERROR_FLOOR, roundoff / NUMERICAL_THRESHOLD)
        errors = gradcheck.relative_error(analytic, numerical, floor)
        worst = float(np.max(errors, initial=0.0))
        if worst > NUMERICAL_THRESHOLD:
            return Failure("the central-difference check", inputs, output, numerical,
                           analytic, problem=(
                               f"disagrees with the central-difference derivative of "
                               f"{spec.source} with respect to `{argument}` (largest relative "
                               f"error {worst:.2g}; below {NUMERICAL_THRESHOLD:g} passes)."),
                           hint="the expected values below are numerical derivatives, "
                                "(f(x+h) - f(x-h)) / 2h entry by entry.",
                           mistake="numerical")
    return None


def _generated_stage(exercise, function, max_examples):
    """Cases from ``exercise.draw``: ``(number run, the smallest Failure or None, source)``."""
    failures, count = [], itertools.count(1)

    def one_case(integers):
        inputs = exercise.draw(Draw(integers))
        number = next(count)
        failure = _run_case(exercise, function, inputs, f"generated case {number}")
        if failure is not None:
            failures.append(failure)
            raise _CaseFailed()

    try:
        import hypothesis
        from hypothesis import strategies as st
    except ImportError:              # hypothesis is a test extra: fall back to NumPy draws
        rng = np.random.default_rng(FALLBACK_SEED)
        for _ in range(max_examples):
            try:
                one_case(lambda low, high: int(rng.integers(low, high + 1)))
            except _CaseFailed:
                break
        return min(next(count) - 1, max_examples), (failures[-1] if failures else None), \
            "seeded NumPy draws"

    @hypothesis.settings(max_examples=max_examples, derandomize=True, database=None,
                         deadline=None, verbosity=hypothesis.Verbosity.quiet,
                         suppress_health_check=list(hypothesis.HealthCheck), print_blob=False)
    @hypothesis.given(st.data())
    def run(data):
        one_case(lambda low, high: data.draw(st.integers(low, high)))

    try:
        run()
    except _CaseFailed:
        pass
    except Exception:                # hypothesis's Flaky/grouped errors: keep the last case
        if not failures:
            raise
    ran = next(count) - 1
    if failures:
        failures[-1].case = "a generated case (the smallest failing one hypothesis found)"
    return ran, (failures[-1] if failures else None), "hypothesis, derandomized"


def grade(exercise, function, max_examples=DEFAULT_EXAMPLES):
    """Grade ``function`` on ``exercise``: a :class:`Report` (see the module docstring)."""
    report = Report(exercise)
    failure = _run_case(exercise, function, exercise.example(), "the fixed example")
    report.stages.append(Stage("the fixed example", failure is None))
    if failure is None and exercise.numerical is not None:
        failure = _numerical_stage(exercise, function, exercise.example())
        report.stages.append(Stage(f"central differences of {exercise.numerical.source}",
                                   failure is None))
    if failure is None:
        ran, failure, source = _generated_stage(exercise, function, max_examples)
        report.stages.append(Stage("generated cases", failure is None,
                                   f"{ran} cases, {source}" if failure is None else source))
    report.failure = failure
    return report


# ----------------------------------------------------------------------------------------
# The learner's file
# ----------------------------------------------------------------------------------------
def load_function(path, name):
    """Import the learner's file ``path`` and return its function ``name``.

    Raises :class:`UsageError` when the file or the function is missing; errors
    raised by the file itself (a SyntaxError, ...) propagate.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise UsageError(f"no file {str(path)!r}. Hint: write your function in a .py file "
                         f"(python -m kerastutor.exercises show {name} > {name}.py starts one).")
    module_name = f"_kerastutor_exercise_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None:
        raise UsageError(f"{str(path)!r} is not a Python file (it must end in .py).")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module          # lets dataclasses and pickling find it
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(module_name, None)
    function = getattr(module, name, None)
    if callable(function):
        return function
    defined = [n for n, v in vars(module).items()
               if inspect.isfunction(v) and v.__module__ == module_name]
    message = f"{str(path)!r} defines no function named {name!r}."
    message += did_you_mean(name, defined) or (
        f" It defines: {', '.join(defined)}; pass --function NAME to grade one of them."
        if defined else " Hint: start from `python -m kerastutor.exercises show NAME`.")
    raise UsageError(message)

