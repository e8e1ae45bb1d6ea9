"""kerastutor's elementwise ops against Keras 3.15.1 (torch backend): values, dtypes, derivatives.

The cases are those of ``tests/ops/test_ops_elementwise.py``. The tests below add
what one case cannot say: ``select`` with a real list of choices (the harness
stacks them into one array, which Keras refuses), and the derivatives at the
places random inputs never reach (ties, clip's crossing bounds, NaN in fmax).
"""
import numpy as np
import pytest
import torch

import keras
from kerastutor import ops
from kerastutor.tape import Tape
from op_oracle import oracle_tests
from test_ops_elementwise import CASES, select_args

test_values, test_gradients = oracle_tests(CASES)


def _keras_vjp(op, args, wrt):
    """torch autograd of ``sum(out)`` through ``keras.ops.<op>``, w.r.t. the positions ``wrt``."""
    args = list(args)
    leaves = []
    for i in wrt:
        args[i] = torch.tensor(np.asarray(args[i], dtype=np.float64), requires_grad=True)
        leaves.append(args[i])
    out = getattr(keras.ops, op)(*args)
    grads = torch.autograd.grad(out.sum(), leaves, allow_unused=True)
    return [np.zeros(tuple(leaf.shape)) if g is None else g.numpy() for g, leaf in zip(grads, leaves)]


def _our_vjp(op, args, wrt):
    args = list(args)
    with Tape() as tape:
        for i in wrt:
            args[i] = tape.watch(np.asarray(args[i], dtype=np.float64))
        out = getattr(ops, op)(*args)
    grads = tape.backward(out, np.ones(out.shape))
    return [grads.get(id(args[i]), np.zeros(args[i].shape)) for i in wrt]


@pytest.mark.parametrize("op, args, wrt", [
    ("maximum", ([1.0, 2.0, 3.0], [1.0, 0.0, 5.0]), (0, 1)),
    ("minimum", ([1.0, 2.0, 3.0], [1.0, 0.0, 5.0]), (0, 1)),
    ("fmax", ([1.0, 2.0, 3.0], [1.0, 0.0, 5.0]), (0, 1)),
    ("fmin", ([1.0, 2.0, 3.0], [1.0, 0.0, 5.0]), (0, 1)),
    ("fmax", ([np.nan, 1.0], [2.0, np.nan]), (0, 1)),
    ("clip", ([0.0, 1.0, 2.0, 3.0, 0.5], [0.5, 0.5, 0.5, 3.5, 0.5], [2.5, 0.7, 2.5, 3.0, 0.7]),
     (0, 1, 2)),
    ("nextafter", ([1.0, 2.0, 4.0], [1.0, 0.0, 5.0]), (0, 1)),
    ("divide_no_nan", ([1.0, 2.0], [0.0, 4.0]), (0, 1)),
    ("sinc", ([0.0, 0.5, 1.0],), (0,)),
    ("abs", ([0.0, -1.0],), (0,)),
    ("nan_to_num", ([np.nan, np.inf, -np.inf, 2.0],), (0,)),
    ("i0", ([0.0, 1.0, -2.0, 10.0],), (0,)),
])
def test_derivatives_at_ties_bounds_and_special_points(op, args, wrt):
    args = [np.array(a) for a in args]
    for ours, theirs in zip(_our_vjp(op, args, wrt), _keras_vjp(op, args, wrt)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-8, err_msg=op)


def test_select_values_match_keras():
    conditions, choices, default = select_args(np.random.default_rng(0))
    choices = [c.astype(np.float32) for c in choices]
    for extra in ((), (np.float32(-7.0),)):
        ours = ops.select(conditions, choices, *extra)
        theirs = keras.ops.convert_to_numpy(keras.ops.select(conditions, choices, *extra))
        assert ours.dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs)


def test_select_gradient_matches_keras():
    conditions, choices, default = select_args(np.random.default_rng(3))
    upstream = np.random.default_rng(4).normal(size=choices[0].shape)
    leaves = [torch.tensor(c, requires_grad=True) for c in choices + [default]]
    out = keras.ops.select(conditions, leaves[:-1], leaves[-1])
    theirs = torch.autograd.grad((out * torch.tensor(upstream)).sum(), leaves)
    with Tape() as tape:
        watched = [tape.watch(c) for c in choices + [default]]
        ours = ops.select(conditions, watched[:-1], watched[-1])
    grads = tape.backward(ours, upstream)
    for w, t in zip(watched, theirs):
        np.testing.assert_allclose(grads.get(id(w), np.zeros(w.shape)), t.numpy(), rtol=1e-12)


@pytest.mark.parametrize("op, args, ours, theirs", [
    ("sign", ([np.nan],), "nan", "0"),
    ("heaviside", ([np.nan], [0.5]), "nan", "0"),
])
def test_keras_on_torch_differs_from_numpy_for_nan(op, args, ours, theirs):
    """Where torch answers a NaN input with a number, kerastutor keeps NumPy's NaN."""
    args = [np.array(a, np.float32) for a in args]
    mine = getattr(ops, op)(*args)
    keras_value = keras.ops.convert_to_numpy(getattr(keras.ops, op)(*args))
    assert str(float(mine[0])) == ours and str(int(keras_value[0])) == theirs
