"""One description per ``keras.ops`` case, shared by the unit tests and the real-Keras oracle.

An :class:`OpCase` says which op to call (``"cumsum"``, ``"linalg.solve"``,
``"image.resize"``), how to draw its positional arguments from a seeded
generator, its keyword arguments, and which arguments it is differentiated
with respect to. The same case then drives

* the **gradient check** (:func:`check_gradient`): the op is run on the op tape
  with those arguments watched, and its vector-Jacobian product is compared with
  central differences (:func:`kerastutor.gradcheck.assert_gradients_ok`);
* the **repeatable backward** (:func:`check_repeatable`): two backward walks of
  one recorded op give the same gradients bit for bit, and leave the upstream
  gradient as it was;
* the **no-gradient** rule (:func:`check_no_gradient`): an integer, boolean or
  piecewise-constant op returns plain arrays even on traced inputs;
* the **oracle** (``tests/oracle/test_ops_*_against_keras.py``): the same call
  in Keras 3.15.1 (torch backend), values and torch-autograd derivatives.

Each ``tests/ops/test_<chapter>.py`` module defines ``CASES`` and runs the three
checks with :func:`gradient_tests`; its oracle twin imports the same ``CASES``.
"""
import dataclasses
import os
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings

import kerastutor as keras
from kerastutor import gradcheck, ops
from kerastutor.tape import Tape, Traced
from strategies import SEEDS

#: Examples per case: few in CI (every op of ~340 is checked), more when developing.
EXAMPLES = 4 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 10


@dataclasses.dataclass(frozen=True)
class OpCase:
    """How to call one op, and what to check about its derivative.

    op : str
        The name under ``keras.ops``; a namespace is written with a dot
        (``"image.resize"``, ``"linalg.qr"``, ``"nn.conv"`` is the same as ``"conv"``).
    make : callable
        ``make(rng) -> tuple`` of positional arguments (arrays, numbers, lists). Float
        arrays should be float64: the gradient check differences them. Draw shapes
        from ``rng`` too, so the seeds vary them.
    kwargs : dict
        Keyword arguments (``axis``, ``keepdims``, ...).
    grad : tuple of int
        Positions of the arguments the op is differentiated with respect to.
        ``()`` means the op passes no gradient (integer/bool output, piecewise
        constant, a creation op); the check then asserts that it returns plain arrays.
    kinked : bool
        The op has kinks (max, abs, sort ...): the gradient check uses its looser threshold.
    label : str
        Tells cases of one op apart in test ids (``"axis=1,keepdims"``).
    oracle : bool
        False where the Keras call cannot run here; ``note`` says why.
    keras_bug : str
        Non-empty where Keras 3.15.1 is wrong: the oracle then asserts Keras still
        differs (and the unit test pins the right value); the text names the bug.
    rtol, atol : float
        Tolerances of the oracle's comparison of values (float32 forward).
    """

    op: str
    make: Callable
    kwargs: dict = dataclasses.field(default_factory=dict)
    grad: tuple = (0,)
    kinked: bool = False
    label: str = ""
    oracle: bool = True
    keras_bug: str = ""
    note: str = ""
    rtol: float = 1e-5
    atol: float = 1e-6

    @property
    def id(self):
        return f"{self.op}[{self.label}]" if self.label else self.op


def resolve(namespace, op):
    """``resolve(kerastutor.ops, "image.resize")`` -> the function (works on ``keras.ops`` too)."""
    for part in op.split("."):
        namespace = getattr(namespace, part)
    return namespace


def call(case, args, namespace=None):
    """Run ``case`` on ``args`` with kerastutor's ops (or another ``namespace``, e.g. Keras's)."""
    return resolve(namespace or ops, case.op)(*args, **case.kwargs)


def float_outputs(result):
    """The float arrays among an op's outputs (a tuple, list or dict of them, or one)."""
    if isinstance(result, dict):
        result = list(result.values())
    parts = list(result) if isinstance(result, (tuple, list)) else [result]
    flat = []
    for part in parts:
        if isinstance(part, (tuple, list, dict)):
            flat.extend(float_outputs(part))
        elif isinstance(part, Traced) or _is_float(part):
            flat.append(part)
    return flat


def _is_float(part):
    if hasattr(part, "is_floating_point"):           # a torch tensor (the oracle's Keras)
        return part.is_floating_point() or part.is_complex()
    return np.asarray(part).dtype.kind in "fc"


def _joined(result):
    """All float outputs as one vector, joined with recorded ops (so the tape follows)."""
    pieces = [ops.reshape(part, (-1,)) for part in float_outputs(result)]
    return pieces[0] if len(pieces) == 1 else ops.concatenate(pieces, axis=0)


def _as_layer(case, args):
    """A ``Lambda`` of the differentiated arguments (the others are held fixed)."""
    def function(inputs):
        inputs = inputs if len(case.grad) > 1 else [inputs]
        full = list(args)
        for position, value in zip(case.grad, inputs):
            full[position] = value
        return _joined(call(case, full))
    layer = keras.layers.Lambda(function, name=case.op.replace(".", "_"))
    layer.has_kinks = case.kinked
    watched = [np.array(args[i], dtype=np.float64) for i in case.grad]
    return layer, (watched if len(watched) > 1 else watched[0])


def check_gradient(case, seed):
    """The op's recorded derivative agrees with central differences."""
    layer, x = _as_layer(case, case.make(np.random.default_rng(seed)))
    gradcheck.assert_gradients_ok(layer, x)


def check_repeatable(case, seed):
    """Two backward walks of one recorded op: the same gradients, the upstream untouched."""
    layer, x = _as_layer(case, case.make(np.random.default_rng(seed)))
    gradcheck.assert_backward_repeatable(layer, x)


def check_no_gradient(case, seed):
    """An op without a derivative returns plain arrays even when its inputs are traced."""
    args = list(case.make(np.random.default_rng(seed)))
    with Tape() as tape:
        for i, a in enumerate(args):
            if isinstance(a, np.ndarray) and a.dtype.kind == "f":
                args[i] = tape.watch(a)
        result = call(case, args)
    parts = result if isinstance(result, (tuple, list)) else [result]
    assert not any(isinstance(p, Traced) for p in parts), \
        f"{case.id}: passes no gradient in Keras, but its output was recorded on the tape"


def gradient_tests(cases):
    """The three property tests over ``cases``, ready to assign in a test module::

        test_gradient, test_repeatable, test_no_gradient = gradient_tests(CASES)

    (``test_no_gradient`` is None when every case is differentiable; pytest skips a None.)
    """
    differentiable = [c for c in cases if c.grad]
    constant = [c for c in cases if not c.grad]
    ids = lambda c: c.id                                      # noqa: E731

    @pytest.mark.parametrize("case", differentiable, ids=ids)
    @settings(max_examples=EXAMPLES, deadline=None)
    @given(seed=SEEDS)
    def test_gradient(case, seed):
        check_gradient(case, seed)

    @pytest.mark.parametrize("case", differentiable, ids=ids)
    def test_repeatable(case):
        check_repeatable(case, 0)

    @pytest.mark.parametrize("case", constant, ids=ids)
    def test_no_gradient(case):
        check_no_gradient(case, 0)
    return test_gradient, test_repeatable, (test_no_gradient if constant else None)
