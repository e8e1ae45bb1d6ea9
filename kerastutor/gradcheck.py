r"""Gradient checking: does ``backward`` really compute the derivative of ``forward``?

Every built-in layer, activation and loss writes its backward formula by
hand, next to its forward formula (only code *you* write with ``keras.ops``
is differentiated automatically, by the op tape), and a hand-written
derivative is easy to get subtly wrong: a missing transpose, a factor 2, a sum
over the wrong axis. This module compares each analytic gradient with a
*numerical* one computed from ``forward`` alone, and prints where they differ.

**The objective: a vector-Jacobian product.**
A layer maps an input :math:`x` (and weights :math:`W`) to an output :math:`y`.
``backward(cache, g)`` does not return the Jacobian :math:`\partial y/\partial x`;
it returns the vector-Jacobian product :math:`g^\top\, \partial y/\partial x` for the
upstream gradient :math:`g` it is given. That is exactly the gradient of the scalar

.. math::

    f(x, W) = \sum_j g_j \, y_j(x, W),
    \qquad
    \frac{\partial f}{\partial x_i} = \sum_j g_j \frac{\partial y_j}{\partial x_i}.

So the check draws a random, non-uniform :math:`g` (seeded normal numbers; an
all-ones :math:`g` would hide bugs that permute or mix up output entries),
runs ``backward(cache, g)`` once for the analytic gradients of the input and of
every weight, and differentiates :math:`f` numerically. A loss is already a
scalar, so for losses :math:`f` is the loss value itself.

**Central differences and the step h.**
For one entry :math:`x_i` the numerical derivative is the central difference

.. math::

    \frac{\partial f}{\partial x_i} \approx
    \frac{f(x + h e_i) - f(x - h e_i)}{2h}.

Its error has two parts pulling in opposite directions. The *truncation* error
of the formula is :math:`\tfrac{h^2}{6} f'''`: a smaller ``h`` is better. The
*round-off* error is about :math:`\varepsilon |f| / h`, with machine epsilon
:math:`\varepsilon \approx 2.2\times10^{-16}` in float64, because the two values
of :math:`f` agree in most of their digits and the subtraction cancels them: a
smaller ``h`` is worse. The sum is smallest near
:math:`h \approx \varepsilon^{1/3} \approx 6\times10^{-6}`, where both parts are
around :math:`\varepsilon^{2/3} \approx 4\times10^{-11}`. The default
``h = 1e-6`` sits just below that optimum: round-off grows only by a factor
6 while curved functions (exp, tanh, softmax) lose a factor 36 of truncation
error. In float32 (:math:`\varepsilon \approx 1.2\times10^{-7}`) no step gives
better than :math:`\varepsilon^{2/3} \approx 2\times10^{-5}`, far from the
1e-7 a check needs, which is why every check runs in **float64**: inputs and
weights are cast for the check and the weights are restored afterwards.

Two details keep the round-off small. The divisor is the step actually taken,
:math:`\mathrm{fl}(x_i + h) - \mathrm{fl}(x_i - h)`, not :math:`2h` (for
:math:`|x_i| \approx 10^3` the two differ in the eighth digit). And for a layer
the outputs are subtracted *before* they are projected onto :math:`g`:
:math:`\sum_j g_j\,(y_j^+ - y_j^-)`; outputs that :math:`x_i` does not touch then
cancel exactly instead of adding the rounding noise of a long sum.

**Relative error, floor and thresholds.**
Each checked entry gets the relative error

.. math::

    r = \frac{|a - n|}{\max(|a|,\; |n|,\; \text{floor})},
    \qquad \text{floor} = \max\!\Big(10^{-8},\; \frac{\delta}{\text{threshold}}\Big),

where :math:`a` is the analytic and :math:`n` the numerical value. Dividing by the
magnitude makes the test scale-free (a gradient of 1e4 and one of 1e-3 are
judged alike); the floor stops the ratio from exploding when both values are
(nearly) zero, where it would measure only round-off. Below the floor,
:math:`r` becomes an absolute error divided by the floor.

The fixed part, 1e-8, is the classic choice. It is not enough on its own: the
numerical value carries round-off :math:`\delta \approx \varepsilon\,|f|/h`
(about 1e-10 for unit-sized outputs), so an entry whose true gradient is 1e-5
cannot be measured to a relative 1e-7, and a correct saturated ``tanh``
(true gradient 1e-20, numerical value one rounding step over :math:`2h`, about
1e-10) would score :math:`r \approx 10^{-2}`. The second part of the floor
raises it, entry by entry, to the magnitude below which central differences
cannot resolve the threshold; there the entry is judged absolutely, to within
its round-off. :math:`\delta` is bounded from the outputs actually computed,

.. math::

    \delta = \frac{R\,\varepsilon \sum_j |g_j|\,(|y_j^+| + |y_j^-|)}
                  {\mathrm{fl}(x_i + h) - \mathrm{fl}(x_i - h)},

with :math:`R = 10` (:data:`FORWARD_ROUNDINGS`) because a forward rounds each
output several times (a sum, an ``exp``, a division), each by up to
:math:`\varepsilon` of its size. A wrong formula errs by a good fraction of
the gradient itself, far above :math:`\delta`, so this only forgives
differences no finite-difference check could see.

A correct backward for a smooth function gives :math:`r` around 1e-10 in
float64; a wrong formula gives errors above 1e-2. The pass threshold is
:data:`SMOOTH_THRESHOLD` (1e-7) unless the checked object declares
``has_kinks = True`` (ReLU, max-pooling, abs, hinge losses): a step of
:math:`\pm h` can then straddle the point where the derivative jumps, and
:data:`KINK_THRESHOLD` (1e-5) applies. The report prints the threshold used and
why.

**Determinism.**
Dropout and other random layers draw a fresh mask on every forward call, which
would make :math:`f(x+h)` and :math:`f(x-h)` incomparable. Before every forward
evaluation (the analytic pass and each :math:`f(x \pm h)`) the checker calls
``backend.set_random_seed(seed)``, rewinds any private random generator the
object holds (a layer built with ``seed=3``), and resets non-trainable weights
(a batch-norm's moving statistics) to their values at the start. When the check
ends, the global random state is put back as it was, so checking a model does
not change what it draws next.

Example
-------
The core is a few lines of arithmetic:

>>> import numpy as np
>>> numerical_gradient(lambda v: np.sum(v ** 2), np.array([1.0, -2.0])).round(6)
array([ 2., -4.])

and a whole layer is checked with one call; ``print`` shows the table:

>>> import kerastutor as keras
>>> layer = keras.layers.Dense(3, activation="tanh")          # doctest: +SKIP
>>> report = check_layer(layer, np.random.rand(4, 5))         # doctest: +SKIP
>>> report.assert_ok()                                        # doctest: +SKIP
"""
import contextlib
import inspect
import random
from dataclasses import dataclass, field

import numpy as np

from kerastutor import backend, losses
from kerastutor.random import SeedGenerator
from kerastutor.backend import did_you_mean

#: Default central-difference step (just below the float64 optimum eps^(1/3) ~ 6e-6).
DEFAULT_STEP = 1e-6
#: Denominator floor of the relative error: below it, errors are judged absolutely.
RELATIVE_ERROR_FLOOR = 1e-8
#: Full-size roundings allowed per output when bounding the numerical round-off.
FORWARD_ROUNDINGS = 10
#: Pass threshold on the max relative error for smooth objects (CS231n: < 1e-7 is good).
SMOOTH_THRESHOLD = 1e-7
#: Pass threshold when the object declares ``has_kinks = True``.
KINK_THRESHOLD = 1e-5
#: Entries checked per tensor (first and last always included); ``None`` checks all.
DEFAULT_MAX_ENTRIES = 200

_WRONG_FORMULA_HINT = "a wrong backward formula typically gives errors > 1e-2"


# ----------------------------------------------------------------------------------------
# The readable core: central differences, relative error, which entries to check
# ----------------------------------------------------------------------------------------
def numerical_gradient(f, x, h=DEFAULT_STEP, indices=None, upstream=None,
                       return_roundoff=False):
    r"""Central-difference derivative of ``f`` with respect to the entries of ``x``.

    .. math::

        \frac{\partial f}{\partial x_i} \approx
        \frac{f(x + h e_i) - f(x - h e_i)}{\mathrm{fl}(x_i + h) - \mathrm{fl}(x_i - h)}

    Parameters
    ----------
    f : callable
        ``f(x)``; returns a scalar, or -- when ``upstream`` is given -- an array
        (or a list of arrays) ``y``, and the derivative taken is that of
        :math:`\sum_j \mathrm{upstream}_j\, y_j` (a vector-Jacobian product).
    x : ndarray of floats
        The point. It is perturbed **in place**, one entry at a time, and every
        entry is restored exactly afterwards; pass float64 for accurate results.
        ``f`` may ignore its argument and read ``x`` through a closure (that is
        how the checker perturbs a weight).
    h : float
        The step (default ``1e-6``; see the module docstring for why).
    indices : array of int or None
        Flat (``x.ravel()``) indices to differentiate; ``None`` means all.
    upstream : array, list of arrays, or None
        The projection :math:`g` for vector-valued ``f``.
    return_roundoff : bool
        Also return the round-off bound :math:`\delta` of each value.

    Returns
    -------
    ndarray of float64
        Shaped like ``x`` when ``indices`` is ``None``, else one value per index;
        with ``return_roundoff``, a pair ``(derivative, roundoff)`` of such arrays.
    """
    _check_positive("h", h, "a small step such as 1e-6")
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(
            "numerical_gradient: `x` must be a NumPy array of floats (it is perturbed in "
            f"place), got {type(x).__name__}"
            f"{' of dtype ' + str(x.dtype) if isinstance(x, np.ndarray) else ''}. "
            "Hint: pass np.array(x, dtype=np.float64).")
    positions = np.arange(x.size) if indices is None else np.asarray(indices).ravel()
    derivative = np.empty(positions.size, dtype=np.float64)
    roundoff = np.empty(positions.size, dtype=np.float64)
    # A loop over entries is unavoidable here: each entry needs its own two
    # evaluations of f. Everything inside f stays vectorised.
    for k, i in enumerate(positions):
        original = x.flat[i]
        x.flat[i] = original + h
        plus, x_plus = _snapshot(f(x)), x.flat[i]
        x.flat[i] = original - h
        minus, x_minus = _snapshot(f(x)), x.flat[i]
        x.flat[i] = original                     # restore exactly, no += / -= drift
        step = float(x_plus) - float(x_minus)    # the step taken, not 2h
        derivative[k] = _difference(plus, minus, upstream) / step
        roundoff[k] = _rounding_bound(plus, minus, upstream) / step
    if indices is None:
        derivative, roundoff = derivative.reshape(x.shape), roundoff.reshape(x.shape)
    return (derivative, roundoff) if return_roundoff else derivative


def relative_error(analytic, numerical, floor=RELATIVE_ERROR_FLOOR):
    r"""Entry-wise :math:`|a - n| / \max(|a|, |n|, \text{floor})`.

    ``floor`` is a number (default 1e-8) or an array with one floor per entry.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numerical, dtype=np.float64)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
    return np.abs(a - n) / scale


def entries_to_check(size, max_entries=DEFAULT_MAX_ENTRIES, rng=None):
    """Flat indices to check in a tensor of ``size`` entries, sorted.

    All of them when ``size <= max_entries`` (or ``max_entries`` is None);
    otherwise the first and the last entry -- where off-by-one and boundary
    bugs live -- plus ``max_entries - 2`` distinct entries drawn from ``rng``.
    """
    if max_entries is None or size <= max_entries:
        return np.arange(size)
    rng = np.random.default_rng(0) if rng is None else rng
    middle = 1 + rng.choice(size - 2, size=max_entries - 2, replace=False)
    return np.sort(np.concatenate(([0], middle, [size - 1])))


def _snapshot(outputs):
    """A private copy of ``f``'s result (a layer may reuse its output buffer)."""
    if isinstance(outputs, (list, tuple)):
        return [np.array(y, dtype=np.float64) for y in outputs]
    return np.array(outputs, dtype=np.float64)


def _pairs(plus, minus, upstream):
    """``(g, y+, y-)`` per output; a scalar ``f`` counts as one output with ``g = 1``."""
    if upstream is None:
        if np.ndim(plus) != 0:
            raise ValueError(
                f"numerical_gradient: `f` must return a scalar, got an array of shape "
                f"{np.shape(plus)}. Hint: pass upstream=g to differentiate sum(g * f(x)).")
        return [(1.0, plus, minus)]
    plus, minus = (plus, minus) if isinstance(plus, list) else ([plus], [minus])
    upstream = list(upstream) if isinstance(upstream, (list, tuple)) else [upstream]
    if len(upstream) != len(plus):
        raise ValueError(f"numerical_gradient: `upstream` has {len(upstream)} array(s) but "
                         f"`f` returned {len(plus)}; give one upstream array per output.")
    return list(zip(upstream, plus, minus))


def _difference(plus, minus, upstream):
    r""":math:`\sum_j g_j (y^+_j - y^-_j)`: subtract first, so untouched outputs cancel exactly."""
    return float(sum(np.sum(g * (p - m)) for g, p, m in _pairs(plus, minus, upstream)))


def _rounding_bound(plus, minus, upstream):
    r"""Round-off of the difference above: :math:`R\varepsilon\sum_j |g_j|(|y^+_j|+|y^-_j|)`."""
    total = sum(np.sum(np.abs(g) * (np.abs(p) + np.abs(m)))
                for g, p, m in _pairs(plus, minus, upstream))
    return FORWARD_ROUNDINGS * np.finfo(np.float64).eps * float(total)


# ----------------------------------------------------------------------------------------
# The report
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TensorCheck:
    """The comparison for one tensor (an input or a weight).

    ``worst_index`` is the multi-index of the entry with the largest relative
    error; ``analytic`` and ``numerical`` are the two gradient values there.
    """

    name: str
    shape: tuple
    checked: int
    max_rel_error: float
    worst_index: tuple
    analytic: float
    numerical: float
    passed: bool


@dataclass
class GradcheckReport:
    """What a gradient check found: one :class:`TensorCheck` per tensor.

    ``print(report)`` shows an aligned table and a one-line verdict;
    :meth:`assert_ok` raises ``AssertionError`` with that text when a tensor fails.
    """

    subject: str
    entries: list
    threshold: float
    threshold_reason: str
    h: float = DEFAULT_STEP
    seed: int = 0
    notes: list = field(default_factory=list)

    @property
    def passed(self):
        """True when every checked tensor is within the threshold."""
        return all(entry.passed for entry in self.entries)

    @property
    def failed(self):
        """The tensors that did not pass."""
        return [entry for entry in self.entries if not entry.passed]

    @property
    def max_relative_error(self):
        """The largest relative error over all checked entries (NaN if any was NaN)."""
        errors = [entry.max_rel_error for entry in self.entries]
        return float(np.max(errors)) if errors else 0.0

    def __getitem__(self, name):
        for entry in self.entries:
            if entry.name == name:
                return entry
        names = [entry.name for entry in self.entries]
        hint = did_you_mean(str(name), names)
        raise KeyError(f"No tensor named {name!r} in this report; it has {names}.{hint}")

    def assert_ok(self):
        """Raise ``AssertionError`` with the table if any tensor failed; else return self."""
        if not self.passed:
            raise AssertionError("\n" + str(self))
        return self

    def __str__(self):
        lines = [f"Gradient check of {self.subject}: central differences in float64, "
                 f"h={self.h:g}, seed={self.seed}",
                 f"threshold {self.threshold:g}: {self.threshold_reason}"]
        lines += _table(self.entries)
        lines += [f"note: {note}" for note in self.notes]
        lines.append(self._verdict())
        return "\n".join(lines)

    __repr__ = __str__

    def _verdict(self):
        if not self.entries:
            return "PASSED (vacuously): there was nothing to differentiate."
        checked = sum(entry.checked for entry in self.entries)
        if self.passed:
            return (f"PASSED: max relative error {self.max_relative_error:.2e} <= "
                    f"{self.threshold:g} over {checked} entries of {len(self.entries)} "
                    "tensor(s).")
        worst = max(self.failed, key=lambda e: np.inf if np.isnan(e.max_rel_error)
                    else e.max_rel_error)
        names = ", ".join(entry.name for entry in self.failed)
        return (f"FAILED: {names} above threshold {self.threshold:g} (worst: {worst.name}, "
                f"relative error {worst.max_rel_error:.2e} at index {worst.worst_index}: "
                f"analytic {worst.analytic:.8g} vs numerical {worst.numerical:.8g}). "
                f"Hint: {_WRONG_FORMULA_HINT}; errors just above the threshold more often "
                "come from a kink or from a forward that does not compute in float64.")


def _table(entries):
    """The report's rows, each column padded to its widest cell."""
    header = ("tensor", "shape", "checked", "max rel err", "worst index", "analytic",
              "numerical", "result")
    rows = [(e.name, str(e.shape), str(e.checked), f"{e.max_rel_error:.2e}",
             str(e.worst_index), f"{e.analytic:.8g}", f"{e.numerical:.8g}",
             "ok" if e.passed else "FAIL") for e in entries]
    widths = [max(len(row[c]) for row in [header] + rows) for c in range(len(header))]
    numeric = {2, 3, 5, 6}                # right-align the number columns
    return ["  ".join(cell.rjust(w) if c in numeric else cell.ljust(w)
                      for c, (cell, w) in enumerate(zip(row, widths))).rstrip()
            for row in [header] + rows]


# ----------------------------------------------------------------------------------------
# Setting up a check: float64 weights, repeatable randomness, thresholds
# ----------------------------------------------------------------------------------------
def _is_float(array):
    return np.issubdtype(np.asarray(array).dtype, np.floating)


@contextlib.contextmanager
def _float64_weights(weights):
    """Swap every float weight's value for a float64 copy; always restore the originals.

    The gradient buffers are restored too, so a check leaves ``.grad`` as it found it.
    """
    saved = [(w, w.value, w.grad) for w in weights]
    try:
        for w in weights:
            if _is_float(w.value):
                w.value = np.array(w.value, dtype=np.float64)
        yield
    finally:
        for w, value, grad in saved:
            w.value = value
            w.grad = grad


def _private_generators(obj):
    """Every ``numpy.random.Generator`` or ``keras.random.SeedGenerator`` held by ``obj``
    or the layers inside it."""
    found, seen, todo = [], set(), [obj]
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (np.random.Generator, SeedGenerator)):
            found.append(item)
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
        elif hasattr(item, "__dict__") and (item is obj or hasattr(item, "forward")):
            todo.extend(vars(item).values())     # descend into sub-layers only
    return found


class _Replay:
    """Makes every forward evaluation start from the same random and stored state.

    Before each evaluation: reseed the library (``backend.set_random_seed``),
    rewind the object's private generators, and reset non-trainable weights
    (moving statistics a training-mode forward would update). :meth:`close`
    puts the global random state back as it was before the check.
    """

    def __init__(self, obj, weights, seed):
        self.seed = seed
        self.generators = _private_generators(obj)
        self.generator_states = [_generator_state(g) for g in self.generators]
        self.frozen = [(w, w.value.copy()) for w in weights if not w.trainable]
        self.global_state = (random.getstate(), np.random.get_state(),
                             backend._RNG, backend._SEED, backend._GLOBAL_SEED_GENERATOR)

    def __call__(self):
        backend.set_random_seed(self.seed)
        for generator, state in zip(self.generators, self.generator_states):
            _rewind(generator, state)
        for weight, value in self.frozen:
            weight.value[...] = value

    def close(self):
        (python_state, numpy_state, backend._RNG, backend._SEED,
         backend._GLOBAL_SEED_GENERATOR) = self.global_state
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        for generator, state in zip(self.generators, self.generator_states):
            _rewind(generator, state)


def _generator_state(generator):
    """A copy of a generator's state: NumPy's bit-generator dict, or a SeedGenerator's key."""
    if isinstance(generator, SeedGenerator):
        return generator.state.value.copy()
    return generator.bit_generator.state


def _rewind(generator, state):
    if isinstance(generator, SeedGenerator):
        generator.state.value = state.copy()
    else:
        generator.bit_generator.state = state


def _describe(obj):
    """``Dense 'dense_1'`` for named objects, else the class name."""
    name = getattr(obj, "name", None)
    kind = type(obj).__name__
    return f"{kind} {name!r}" if isinstance(name, str) and name else kind


def _kinked_parts(*objects):
    """Descriptions of the objects (and their sub-layers) that declare ``has_kinks``."""
    kinked = []
    for obj in objects:
        if obj is None:
            continue
        activation = getattr(obj, "activation", None)
        if getattr(obj, "has_kinks", False):
            kinked.append(_describe(obj))
        elif getattr(activation, "has_kinks", False):     # e.g. Conv2D(activation="relu")
            kinked.append(f"{_describe(obj)} (activation {_describe(activation)})")
        for layer in getattr(obj, "layers", None) or []:
            kinked += _kinked_parts(layer)
    return kinked


def _choose_threshold(threshold, kinked):
    """The pass threshold and the sentence the report prints to explain it."""
    if threshold is not None:
        _check_positive("threshold", threshold, "a relative error such as 1e-6")
        return float(threshold), "set by the caller"
    if kinked:
        return KINK_THRESHOLD, (
            f"{', '.join(kinked)} declare(s) has_kinks=True; a step of +-h can straddle a "
            "point where the derivative jumps (ReLU at 0, a switching max)")
    return SMOOTH_THRESHOLD, ("smooth (nothing declares has_kinks), so analytic and "
                              "numerical gradients should agree to round-off")


def _check_positive(argument, value, expected):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) \
            or not np.isfinite(value) or value <= 0:
        raise ValueError(f"gradcheck: `{argument}` must be a positive number ({expected}), "
                         f"got {value!r}.")


def _check_settings(h, seed, max_entries, floor):
    _check_positive("h", h, "a small step such as 1e-6")
    _check_positive("floor", floor, "a tiny magnitude such as 1e-8")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"gradcheck: `seed` must be a non-negative integer, got {seed!r}.")
    if max_entries is not None and (isinstance(max_entries, bool)
                                    or not isinstance(max_entries, (int, np.integer))
                                    or max_entries < 2):
        raise ValueError(
            "gradcheck: `max_entries` must be an integer >= 2 (the first and last entry are "
            f"always checked) or None to check every entry, got {max_entries!r}.")


def _prepare_inputs(x, name="input"):
    """Float64 copies of the inputs (ours to perturb), their names, and whether x was a list.

    Integer inputs (token ids, labels) are passed through unchanged and not checked.
    """
    is_list = isinstance(x, (list, tuple))
    arrays = [np.asarray(a) for a in (x if is_list else [x])]
    arrays = [np.array(a, dtype=np.float64) if _is_float(a) else a for a in arrays]
    names = [f"{name}[{i}]" for i in range(len(arrays))] if is_list else [name]
    return arrays, names, is_list


def _weight_names(weights, use_path):
    """Short names (``kernel``) when they are unique, else full paths (``dense/kernel``)."""
    short = [w.name for w in weights]
    if use_path or len(set(short)) < len(short):
        return [w.path for w in weights]
    return short


def _unique(weights):
    seen, unique = set(), []
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            unique.append(w)
    return unique


# ----------------------------------------------------------------------------------------
# The engine shared by every check
# ----------------------------------------------------------------------------------------
@dataclass
class _Problem:
    """A differentiable object reduced to what the engine needs.

    ``evaluate(xs)`` returns ``(outputs, cache)`` with ``outputs`` a list of
    arrays; ``backpropagate(cache, upstream)`` returns one gradient per input
    (None counts as zero) and adds into the weights' ``.grad``. ``weights`` are
    all the object's weights: each is cast to float64 and kept repeatable, the
    trainable ones are checked. ``scalar`` marks a loss, whose objective is its
    value itself (upstream 1). ``added_loss`` marks a last output that is the
    total of the loss terms the object added itself (``add_loss``): it enters
    the objective with upstream 1, as in training, and backward includes it.
    """

    subject: str
    owner: object
    evaluate: object
    backpropagate: object
    inputs: list
    input_names: list
    weights: list = field(default_factory=list)
    kinked: list = field(default_factory=list)
    scalar: bool = False
    added_loss: bool = False
    weight_paths: bool = False
    notes: list = field(default_factory=list)

    @property
    def checked_weights(self):
        return [w for w in self.weights if w.trainable]


def _run(problem, h, seed, max_entries, threshold, floor):
    """Analytic pass, numerical pass, comparison; float64 and determinism around them."""
    _check_settings(h, seed, max_entries, floor)
    threshold, reason = _choose_threshold(threshold, problem.kinked)
    frozen = [w.path for w in problem.weights if not w.trainable]
    if frozen:
        problem.notes.append(f"non-trainable weights ({', '.join(frozen)}) are held fixed "
                             "and not checked.")
    with _float64_weights(problem.weights):
        replay = _Replay(problem.owner, problem.weights, seed)
        try:
            analytic, upstream = _analytic_pass(problem, replay, seed)
            entries = _numerical_pass(problem, replay, analytic, upstream, h, seed,
                                      max_entries, threshold, floor)
        finally:
            replay.close()
    return GradcheckReport(problem.subject, entries, threshold, reason, h, int(seed),
                           problem.notes)


def _analytic_pass(problem, replay, seed):
    """One forward and one backward with a random upstream g: the gradients to test."""
    before = [x.copy() for x in problem.inputs]
    replay()
    outputs, cache = problem.evaluate(problem.inputs)
    # equal_nan: a NaN input (the nan-ignoring reductions) still equals itself
    if any(not np.array_equal(x, b, equal_nan=_is_float(x)) for x, b in zip(problem.inputs,
                                                                            before)):
        raise RuntimeError(
            f"{problem.subject}: forward modified its input array in place. The caller "
            "still needs that array (other layers read it, backward may too); write the "
            "result into a new array instead.")
    if problem.scalar:
        upstream = [np.ones(())]
    else:
        upstream_rng = np.random.default_rng(seed)
        upstream = [upstream_rng.standard_normal(np.shape(y)) for y in outputs]
        if problem.added_loss:
            upstream[-1] = np.ones(())
    low = sorted({str(np.asarray(y).dtype) for y in outputs} - {"float64"})
    if low:
        problem.notes.append(f"the output was {', '.join(low)}, not float64: the object did "
                             "not compute in its input's dtype, so expect errors ~1e-3.")
    for w in problem.weights:
        w.zero_grad()
    # Hand backward copies: a backward that scales its argument in place must not
    # change the g the numerical side projects onto.
    input_grads = problem.backpropagate(cache, [g.copy() for g in upstream])
    analytic = [_input_gradient(problem, g, x, name) for g, x, name
                in zip(input_grads, problem.inputs, problem.input_names)]
    analytic += [np.array(w.grad, dtype=np.float64) for w in problem.checked_weights]
    return analytic, upstream


def _input_gradient(problem, grad, x, name):
    """The returned dL/dx as float64, checking its shape (None counts as zero)."""
    if grad is None:
        return np.zeros(x.shape)
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != x.shape:
        raise ValueError(
            f"{problem.subject}: backward returned a gradient of shape {grad.shape} for "
            f"{name} of shape {x.shape}; dL/dx must have the shape of x. Hint: a common "
            "cause is forgetting to sum over the axes that forward broadcast.")
    return grad


def _numerical_pass(problem, replay, analytic, upstream, h, seed, max_entries, threshold,
                    floor):
    """Central differences on each checked entry of each float input and weight."""
    def objective_outputs(_):
        replay()
        return problem.evaluate(problem.inputs)[0]

    checked = problem.checked_weights
    tensors = list(problem.inputs) + [w.value for w in checked]
    names = list(problem.input_names) + _weight_names(checked, problem.weight_paths)
    sampler = np.random.default_rng(seed)
    entries = []
    for name, tensor, grad in zip(names, tensors, analytic):
        if not _is_float(tensor):
            problem.notes.append(f"{name} holds {tensor.dtype} values and is not "
                                 "differentiated.")
            continue
        if tensor.size == 0:
            continue
        indices = entries_to_check(tensor.size, max_entries, sampler)
        numerical, roundoff = numerical_gradient(objective_outputs, tensor, h, indices,
                                                 upstream, return_roundoff=True)
        # Below the magnitude where round-off hides a relative `threshold`, judge absolutely.
        entry_floor = np.maximum(floor, roundoff / threshold)
        entries.append(_compare(name, tensor.shape, indices, grad.ravel()[indices],
                                numerical, threshold, entry_floor))
    return entries


def _compare(name, shape, indices, analytic, numerical, threshold, floor):
    """Summarise one tensor: its worst entry and whether it passes."""
    errors = relative_error(analytic, numerical, floor)
    worst = int(np.argmax(np.where(np.isnan(errors), np.inf, errors)))
    max_error = float(errors[worst])
    index = tuple(int(i) for i in np.unravel_index(indices[worst], shape))
    return TensorCheck(name, tuple(shape), int(indices.size), max_error, index,
                       float(analytic[worst]), float(numerical[worst]),
                       bool(max_error <= threshold))


# ----------------------------------------------------------------------------------------
# Public checks
# ----------------------------------------------------------------------------------------
def check_layer(layer, x, training=False, h=DEFAULT_STEP, seed=0,
                max_entries=DEFAULT_MAX_ENTRIES, threshold=None,
                floor=RELATIVE_ERROR_FLOOR):
    r"""Check ``layer.backward`` against central differences of ``layer.forward``.

    The objective is :math:`f = \sum g \odot \text{forward}(x)` for a seeded random
    upstream gradient :math:`g`; the gradients of :math:`f` with respect to the
    input(s) and to every trainable weight are compared entry by entry.

    Parameters
    ----------
    layer : Layer
        Anything with ``forward(x, training) -> (y, cache)``,
        ``backward(cache, grad_out) -> grad_in`` and ``weights``. An unbuilt layer
        is built by calling it on ``x`` once.
    x : array or list of arrays
        The input (a list for layers with several inputs). Cast to float64 for the
        check; integer inputs (token ids) are passed through and not checked.
    training : bool
        Passed to ``forward`` (check both modes for Dropout, BatchNormalization).
    h : float
        Central-difference step.
    seed : int
        Seeds the upstream gradient, the sampled entries and every forward.
    max_entries : int or None
        Entries checked per tensor (first and last always included); None: all.
    threshold : float or None
        Pass threshold on the relative error; None picks 1e-7, or 1e-5 when the
        layer declares ``has_kinks``.
    floor : float
        Denominator floor of the relative error.

    Returns
    -------
    GradcheckReport
    """
    _ensure_built(layer, x)
    inputs, input_names, is_list = _prepare_inputs(x)

    def evaluate(xs):
        y, cache = layer.forward(xs if is_list else xs[0], training=training)
        return _as_list(y) + [_added_loss(cache)], (cache, isinstance(y, (list, tuple)))

    def backpropagate(marked_cache, upstream):
        cache, several_outputs = marked_cache
        upstream = upstream[:-1]             # backward adds the added losses' part itself
        grad = layer.backward(cache, upstream if several_outputs else upstream[0])
        return _grads_per_input(layer, grad, is_list, len(inputs))

    problem = _Problem(_describe(layer), layer, evaluate, backpropagate, inputs, input_names,
                       weights=_unique(getattr(layer, "weights", None) or []),
                       kinked=_kinked_parts(layer), added_loss=True)
    return _run(problem, h, seed, max_entries, threshold, floor)


def check_activation(activation, x, h=DEFAULT_STEP, seed=0, max_entries=DEFAULT_MAX_ENTRIES,
                     threshold=None, floor=RELATIVE_ERROR_FLOOR):
    """Check an activation object's ``backward(cache, g)`` against its ``forward(x)``.

    Same objective and arguments as :func:`check_layer`; activations have no
    weights and no ``training`` flag.
    """
    inputs, input_names, _ = _prepare_inputs(x)

    def evaluate(xs):
        y, cache = activation.forward(xs[0])
        return [y], cache

    def backpropagate(cache, upstream):
        return [activation.backward(cache, upstream[0])]

    problem = _Problem(_describe(activation), activation, evaluate, backpropagate, inputs,
                       input_names, kinked=_kinked_parts(activation))
    return _run(problem, h, seed, max_entries, threshold, floor)


def check_loss(loss, y_true, y_pred, sample_weight=None, h=DEFAULT_STEP, seed=0,
               max_entries=DEFAULT_MAX_ENTRIES, threshold=None, floor=RELATIVE_ERROR_FLOOR):
    r"""Check ``loss.gradient(y_true, y_pred)`` against differences of ``loss.value``.

    The loss is a scalar, so no upstream projection is needed:
    :math:`\partial L/\partial \hat y_i \approx (L(\hat y + h e_i) - L(\hat y - h e_i))/2h`.
    Only ``y_pred`` is differentiated; ``y_true`` (labels) and
    ``sample_weight`` are held fixed.
    """
    truth = _prepare_inputs(y_true, "y_true")[0][0]
    extra = {} if sample_weight is None else {"sample_weight": sample_weight}
    inputs, _, _ = _prepare_inputs(y_pred)

    def evaluate(xs):
        return [np.asarray(loss.value(truth, xs[0], **extra))], None

    def backpropagate(_, upstream):
        return [np.asarray(loss.gradient(truth, inputs[0], **extra)) * upstream[0]]

    problem = _Problem(_describe(loss), loss, evaluate, backpropagate, inputs, ["y_pred"],
                       kinked=_kinked_parts(loss), scalar=True)
    return _run(problem, h, seed, max_entries, threshold, floor)


def check_model(model, x, y=None, loss=None, training=False, h=DEFAULT_STEP, seed=0,
                max_entries=DEFAULT_MAX_ENTRIES, threshold=None, floor=RELATIVE_ERROR_FLOOR):
    r"""Check a whole model's backward pass: every layer and the graph walk between them.

    Without ``loss`` the objective is :math:`\sum g \odot \text{model}(x)` as in
    :func:`check_layer`. With ``loss`` and targets ``y`` it is the training
    objective :math:`L(y, \text{model}(x))` and backward starts from
    ``loss.gradient`` -- the path ``fit`` takes (activity penalties included,
    weight penalties aside). A model with activity regularizers should be
    checked through a loss: their gradient has no random projection.
    Weights are named by their path (``dense/kernel``); other arguments as in
    :func:`check_layer`.
    """
    if (loss is None) != (y is None):
        given, missing = ("loss", "y") if y is None else ("y", "loss")
        raise ValueError(f"check_model: `{given}` was given without `{missing}`. Pass both "
                         "to check through a loss, or neither for a random projection.")
    if isinstance(loss, str) or (loss is not None and not hasattr(loss, "gradient")):
        loss = losses.get(loss)          # "mse", a Keras-style function, ... as compile takes
    _ensure_built(model, x)
    inputs, input_names, is_list = _prepare_inputs(x)
    if y is not None:
        targets, _, several_targets = _prepare_inputs(y, "y")
        y_true = targets if several_targets else targets[0]

    def evaluate(xs):
        y_pred, tape = model.forward(xs if is_list else xs[0], training=training)
        if loss is None:
            return _as_list(y_pred) + [_added_loss(tape)], (tape, y_pred)
        # The training objective: the loss plus what the model adds (activity
        # penalties, add_loss terms).
        value = loss.value(y_true, y_pred) + _added_loss(tape)
        return [np.asarray(value)], (tape, y_pred)

    def backpropagate(cache, upstream):
        tape, y_pred = cache
        if loss is not None:
            grad_y = loss.gradient(y_true, y_pred)
        else:
            upstream = upstream[:-1]         # backward adds the added losses' part itself
            grad_y = upstream if isinstance(y_pred, (list, tuple)) else upstream[0]
        return _grads_per_input(model, model.backward(tape, grad_y), is_list,
                                len(inputs))

    subject = _describe(model) + ("" if loss is None else f" through {_describe(loss)}")
    problem = _Problem(subject, model, evaluate, backpropagate, inputs, input_names,
                       weights=_unique(model.weights), kinked=_kinked_parts(model, loss),
                       scalar=loss is not None, added_loss=loss is None, weight_paths=True)
    return _run(problem, h, seed, max_entries, threshold, floor)


_CHECKS = {"loss": check_loss, "model": check_model, "layer": check_layer,
           "activation": check_activation}


def check(obj, *args, **kwargs):
    """Gradient-check any object, choosing the check by what the object can do.

    * ``value`` and ``gradient`` methods: a loss -> :func:`check_loss`;
    * ``forward``/``backward`` and ``layers``: a model -> :func:`check_model`;
    * ``forward``/``backward`` and ``weights`` or ``build``: a layer -> :func:`check_layer`;
    * ``forward``/``backward`` only: an activation -> :func:`check_activation`.
    """
    kind = _kind_of(obj)
    target = _CHECKS[kind]
    allowed = list(inspect.signature(target).parameters)[1:]
    for key in kwargs:
        if key not in allowed:
            hint = did_you_mean(key, allowed)
            raise ValueError(f"check: unknown argument {key!r} for {target.__name__} "
                             f"(a {kind}); expected one of {allowed}.{hint}")
    return target(obj, *args, **kwargs)


def assert_gradients_ok(obj, *args, **kwargs):
    """Run :func:`check` and raise ``AssertionError`` with the report if it fails.

    Returns the report, so a test can assert more (e.g. on ``report["kernel"]``).
    """
    return check(obj, *args, **kwargs).assert_ok()


# ----------------------------------------------------------------------------------------
# Repeatable backward: the same cache and upstream gradient give the same answer
# ----------------------------------------------------------------------------------------
def assert_backward_repeatable(obj, x, training=False, seed=0):
    r"""Call ``backward`` twice on one forward result and require identical answers.

    A backward that writes into its cache (``np.exp(s, out=s)`` on a cached
    array, ``error *= 2`` on a cached difference) returns a right answer the
    first time and a wrong one the second: a gradient check does not notice,
    but a tracer that replays a step, or a layer shared at two places of a
    graph, does. This check runs

    .. math:: (y, c) = \text{forward}(x),\qquad
              \text{backward}(c, g) \overset{!}{=} \text{backward}(c, g)

    for a seeded random :math:`g` and compares, bit for bit, the input
    gradients, every weight's ``grad`` (each backward starts from zeroed
    gradients), the cache itself (before and after) and :math:`g`.

    ``obj`` is a layer, model or activation (the kinds of :func:`check`); a
    loss is checked through its ``forward(y_true, y_pred)``/``backward(cache)``
    pair with ``x = (y_true, y_pred)``. Returns the input gradient.
    """
    kind = _kind_of(obj)
    backend.set_random_seed(seed)
    if kind == "loss":
        y_true, y_pred = x
        _, cache = obj.forward(y_true, y_pred)
        run_backward = lambda: obj.backward(cache)           # noqa: E731
    else:
        if kind != "activation":
            _ensure_built(obj, x)
        y, cache = (obj.forward(x) if kind == "activation"
                    else obj.forward(x, training=training))
        rng = np.random.default_rng(seed)
        upstream = [rng.standard_normal(np.shape(part)).astype(np.asarray(part).dtype)
                    for part in _as_list(y)]
        grad_out = upstream if isinstance(y, (list, tuple)) else upstream[0]
        upstream_before = _deep_copy(grad_out)
        run_backward = lambda: obj.backward(cache, grad_out)  # noqa: E731
    weights = _unique(getattr(obj, "weights", None) or [])
    trainable = [w for w in weights if w.trainable]
    cache_before = _deep_copy(cache)
    answers = []
    for _ in range(2):
        for weight in weights:
            weight.zero_grad()
        grad_in = run_backward()
        answers.append((_deep_copy(grad_in),
                        [np.array(backend.to_host(w.grad)) for w in trainable]))
    name = _describe(obj)
    _assert_same(answers[0][0], answers[1][0],
                 f"{name}: a second backward on the same cache gave a different input "
                 "gradient, so the first backward changed something it reads. Hint: write "
                 "into fresh arrays in backward, never into the cache (no out= on cached "
                 "arrays, no in-place += on them).")
    for weight, first, second in zip(trainable, answers[0][1], answers[1][1]):
        _assert_same(first, second,
                     f"{name}: a second backward gave a different gradient for weight "
                     f"{weight.path!r}. Hint: backward must not modify its cache.")
    _assert_same(cache_before, cache, f"{name}: backward modified its cache. Hint: write "
                 "into fresh arrays instead of the cached ones.")
    if kind != "loss":
        _assert_same(upstream_before, grad_out, f"{name}: backward modified the upstream "
                     "gradient grad_out it was given; it belongs to the caller.")
    return answers[0][0]


def _deep_copy(value):
    """Arrays copied, containers rebuilt, anything else (layers, ints) kept as it is."""
    if isinstance(value, np.ndarray) or backend.is_device_array(value):
        return np.array(backend.to_host(value), copy=True)
    if isinstance(value, (list, tuple)):
        return [_deep_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    return value


def _assert_same(expected, actual, message):
    """Bit-identical arrays (NaNs in the same places), recursively through containers."""
    actual = _deep_copy(actual)
    if isinstance(expected, np.ndarray):
        same = (isinstance(actual, np.ndarray) and expected.shape == actual.shape
                and np.array_equal(expected, actual,
                                   equal_nan=expected.dtype.kind in "fc"))
    elif isinstance(expected, list):
        same = isinstance(actual, list) and len(expected) == len(actual)
        if same:
            for part_expected, part_actual in zip(expected, actual):
                _assert_same(part_expected, part_actual, message)
    elif isinstance(expected, dict):
        same = isinstance(actual, dict) and expected.keys() == actual.keys()
        if same:
            for key in expected:
                _assert_same(expected[key], actual[key], message)
    else:
        same = True                      # an object or number kept by reference
    if not same:
        raise AssertionError(message)


# ----------------------------------------------------------------------------------------
# Small adapters between the object interfaces and the engine
# ----------------------------------------------------------------------------------------
def _kind_of(obj):
    if callable(getattr(obj, "value", None)) and callable(getattr(obj, "gradient", None)):
        return "loss"
    if callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None)):
        if hasattr(obj, "layers"):
            return "model"
        if hasattr(obj, "weights") or hasattr(obj, "build"):
            return "layer"
        return "activation"
    raise ValueError(
        f"check: cannot gradient-check a {type(obj).__name__}; expected a loss "
        "(value/gradient methods), a layer or model (forward/backward and weights), or an "
        "activation (forward/backward). Hint: call check_layer, check_activation, "
        "check_loss or check_model directly to pick one.")


def _ensure_built(layer, x):
    """Build an unbuilt layer the Keras way (calling it), or via ``build(shapes)``."""
    if getattr(layer, "built", True):
        return
    if callable(layer):
        layer(x)
    else:
        shapes = ([np.shape(a) for a in x] if isinstance(x, (list, tuple))
                  else np.shape(x))
        layer.build(shapes)
        layer.built = True


def _as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _added_loss(cache):
    """The total of the loss terms a forward pass added itself (``add_loss``, activity
    regularizers), which its backward differentiates too: 0.0 for most layers."""
    return np.asarray(float(getattr(cache, "penalty", 0.0)))


def _grads_per_input(obj, grad, is_list, count):
    """backward's result as one gradient per input, with a clear error on a mismatch."""
    if not is_list:
        return [grad]
    if not isinstance(grad, (list, tuple)) or len(grad) != count:
        got = (f"{len(grad)} gradients" if isinstance(grad, (list, tuple))
               else f"a {type(grad).__name__}")
        raise ValueError(f"{_describe(obj)}: forward took a list of {count} inputs, so "
                         f"backward must return a list of {count} gradients (one per input), "
                         f"got {got}.")
    return list(grad)
