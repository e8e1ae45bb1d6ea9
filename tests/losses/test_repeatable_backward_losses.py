"""Every loss's backward is repeatable: twice on one forward result, the same bits.

A backward that writes into its cache (``error *= 2 / K`` on the cached
difference) is right the first time and wrong the second: MSE with 4 classes
gave a slope of 0.5, then 0.25. Nothing in ``fit`` calls it twice, but a
tracer replaying a step, or a learner poking at ``backward`` in a notebook,
does. The cases are *discovered* from what ``kerastutor.losses`` exports, so a
new loss is covered without touching this file (one that needs constructor
arguments fails ``test_every_exported_loss_can_be_built`` until it gets them).
"""
import inspect

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerastutor import backend, losses, ops
from strategies import SEEDS


def squared_error_with_ops(y_true, y_pred):
    """A loss function written with ``keras.ops``: it runs on the op tape."""
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


#: Constructor arguments of the losses that cannot be built with none.
REQUIRED_ARGUMENTS = {losses.LossFunctionWrapper: {"fn": squared_error_with_ops}}

#: Losses whose targets are integer class labels rather than one value per prediction.
INTEGER_LABELS = {losses.SparseCategoricalCrossentropy}


def exported_loss_classes():
    """Every concrete :class:`~kerastutor.losses.Loss` subclass in ``losses.__all__``."""
    found = (getattr(losses, name) for name in losses.__all__)
    return [obj for obj in found
            if isinstance(obj, type) and issubclass(obj, losses.Loss) and obj is not losses.Loss]


def loss_cases():
    """``(label, class, kwargs)``: each loss once, and both ways where it takes ``from_logits``."""
    cases = []
    for cls in exported_loss_classes():
        kwargs = REQUIRED_ARGUMENTS.get(cls, {})
        if "from_logits" in inspect.signature(cls).parameters:
            cases += [(f"{cls.__name__}(from_logits={flag})", cls,
                       {**kwargs, "from_logits": flag}) for flag in (False, True)]
        else:
            cases.append((cls.__name__, cls, kwargs))
    return cases


CASES = loss_cases()
each_loss = pytest.mark.parametrize("case", CASES, ids=[label for label, _, _ in CASES])


def make_inputs(cls, rng, batch, classes, dtype):
    """Targets and predictions in every loss's domain (probabilities work as logits too)."""
    y_pred = rng.uniform(0.05, 0.95, (batch, classes)).astype(dtype)
    if cls in INTEGER_LABELS:
        y_true = rng.integers(0, classes, batch)
    else:
        y_true = rng.uniform(0.0, 1.0, (batch, classes)).astype(dtype)
    return backend.to_device(y_true), backend.to_device(y_pred)


def snapshot(obj, depth=0):
    """A host copy of every array reachable from ``obj`` (tuples, lists, dicts, attributes)."""
    if isinstance(obj, np.ndarray) or backend.is_device_array(obj):
        return np.array(backend.to_host(obj), copy=True)
    if isinstance(obj, (tuple, list)):
        return [snapshot(part, depth + 1) for part in obj]
    if isinstance(obj, dict):
        return {key: snapshot(part, depth + 1) for key, part in obj.items()}
    if hasattr(obj, "__dict__") and depth < 3:        # e.g. the op tape of a wrapper
        return {key: snapshot(part, depth + 1) for key, part in vars(obj).items()}
    return obj if isinstance(obj, (int, float, bool, str, type(None), np.generic)) else None


def assert_same_bits(first, second, what):
    """Equal structure, shapes, dtypes and bytes (NaN equals NaN here)."""
    if isinstance(first, np.ndarray):
        assert isinstance(second, np.ndarray), what
        assert first.dtype == second.dtype and first.shape == second.shape, what
        assert first.tobytes() == second.tobytes(), f"{what}: {first} != {second}"
    elif isinstance(first, list):
        assert len(first) == len(second), what
        for i, (a, b) in enumerate(zip(first, second)):
            assert_same_bits(a, b, f"{what}[{i}]")
    elif isinstance(first, dict):
        assert first.keys() == second.keys(), what
        for key in first:
            assert_same_bits(first[key], second[key], f"{what}.{key}")
    else:
        assert first == second or (first != first and second != second), what


def test_every_exported_loss_can_be_built():
    assert len(CASES) >= 20
    for label, cls, kwargs in CASES:
        assert isinstance(cls(**kwargs), losses.Loss), label


@each_loss
@given(batch=st.integers(1, 4), classes=st.integers(1, 4), seed=SEEDS,
       dtype=st.sampled_from([np.float32, np.float64]))
def test_backward_twice_on_one_cache_gives_the_same_bits(case, batch, classes, seed, dtype):
    label, cls, kwargs = case
    loss = cls(**kwargs)
    y_true, y_pred = make_inputs(cls, np.random.default_rng(seed), batch, classes, dtype)
    inputs_before = snapshot((y_true, y_pred))
    _, cache = loss.forward(y_true, y_pred)
    cache_before = snapshot(cache)
    first = snapshot(loss.backward(cache))
    assert_same_bits(snapshot(cache), cache_before, f"{label}: the cache after backward")
    second = snapshot(loss.backward(cache))
    assert_same_bits(first, second, f"{label}: backward called twice")
    assert_same_bits(snapshot((y_true, y_pred)), inputs_before, f"{label}: the inputs")


@each_loss
@given(batch=st.integers(1, 4), classes=st.integers(1, 4), seed=SEEDS,
       weighted=st.booleans(),
       reduction=st.sampled_from(losses.REDUCTIONS))
def test_gradient_twice_gives_the_same_bits(case, batch, classes, seed, weighted, reduction):
    label, cls, kwargs = case
    loss = cls(**kwargs, reduction=reduction)
    rng = np.random.default_rng(seed)
    y_true, y_pred = make_inputs(cls, rng, batch, classes, np.float32)
    # one weight per value: per sample, or one number where a loss sums the whole batch
    values = cls(**kwargs, reduction=None)(y_true, y_pred)
    sample_weight = rng.uniform(0.5, 2.0, np.shape(values)) if weighted else None
    inputs_before = snapshot((y_true, y_pred, sample_weight))
    first = snapshot(loss.value_and_gradient(y_true, y_pred, sample_weight))
    second = snapshot(loss.value_and_gradient(y_true, y_pred, sample_weight))
    assert_same_bits(first, second, f"{label}: value_and_gradient called twice")
    assert_same_bits(snapshot(loss.gradient(y_true, y_pred, sample_weight)), first[1],
                     f"{label}: gradient after value_and_gradient")
    assert_same_bits(snapshot((y_true, y_pred, sample_weight)), inputs_before,
                     f"{label}: the inputs")
