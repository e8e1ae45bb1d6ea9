"""Keras 3.15.1 (torch backend) as the oracle for ``keras.ops``: one comparison per case.

``tests/oracle/test_ops_<chapter>_against_keras.py`` imports the ``CASES`` of
``tests/ops/test_<chapter>.py`` and calls :func:`oracle_tests`, which compares

* the **values** at float32 (the dtype Keras computes in by default): the same
  arguments, drawn from seed 0, through ``keras.ops.<op>`` and ``kerastutor.ops.<op>``;
  the output dtypes must agree too;
* the **derivative** at float64: the vector-Jacobian product for one fixed random
  upstream gradient, from torch autograd through the Keras op, and from our tape.

A case with ``keras_bug`` set is one where Keras is wrong; the oracle then asserts
that Keras *still* differs from us (the unit test pins the right value), so a fixed
Keras is noticed. A case with ``oracle=False`` is left out, with its ``note``.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from kerastutor.tape import Tape, Traced  # noqa: E402
from op_cases import call, float_outputs  # noqa: E402


def _to_float32(value):
    if isinstance(value, np.ndarray) and value.dtype == np.float64:
        return value.astype(np.float32)
    if isinstance(value, (list, tuple)):
        return type(value)(_to_float32(v) for v in value)
    return value


def _numpy(value):
    """A Keras result (tensor, tuple, list, dict) as NumPy arrays, in the same layout."""
    if isinstance(value, dict):
        return [_numpy(v) for v in value.values()]
    if isinstance(value, (list, tuple)):
        return [_numpy(v) for v in value]
    return np.asarray(keras.ops.convert_to_numpy(value))


def _flat(value):
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _flat(v)]
    return [np.asarray(value)]


def compare_values(case):
    args = _to_float32(case.make(np.random.default_rng(0)))
    theirs = _flat(_numpy(call(case, args, keras.ops)))
    ours = _flat(call(case, args))
    assert len(ours) == len(theirs), f"{case.id}: {len(ours)} outputs, Keras has {len(theirs)}"
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a.shape == b.shape, f"{case.id} output {k}: shape {a.shape}, Keras {b.shape}"
        assert a.dtype == b.dtype, f"{case.id} output {k}: dtype {a.dtype}, Keras {b.dtype}"
        if case.keras_bug:
            assert not np.allclose(a, b, rtol=case.rtol, atol=case.atol, equal_nan=True), \
                f"{case.id}: Keras now agrees with us ({case.keras_bug}); drop the bug note"
        else:
            np.testing.assert_allclose(a, b, rtol=case.rtol, atol=case.atol, equal_nan=True,
                                       err_msg=f"{case.id} output {k}")


def _upstreams(shapes, seed=1):
    """One fixed random upstream gradient per output shape (the same for Keras and us)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


def keras_gradient(case, args):
    """torch autograd of ``sum(upstream * output)`` through ``keras.ops.<op>``."""
    args = list(args)
    leaves = []
    for i in case.grad:
        leaf = torch.tensor(np.asarray(args[i], dtype=np.float64), requires_grad=True)
        args[i] = leaf
        leaves.append(leaf)
    outputs = float_outputs(call(case, args, keras.ops))
    upstreams = _upstreams([tuple(o.shape) for o in outputs])    # one per float output, as ours
    total = sum((o * torch.tensor(u, dtype=o.dtype)).sum() for o, u in zip(outputs, upstreams)
                if torch.is_tensor(o) and o.requires_grad)
    grads = torch.autograd.grad(total, leaves, allow_unused=True)
    return [np.zeros(tuple(leaf.shape)) if g is None else g.detach().numpy()
            for g, leaf in zip(grads, leaves)]


def our_gradient(case, args):
    """The same vector-Jacobian product from kerastutor's op tape."""
    args = list(args)
    with Tape() as tape:
        watched = []
        for i in case.grad:
            args[i] = tape.watch(np.asarray(args[i], dtype=np.float64))
            watched.append(args[i])
        outputs = float_outputs(call(case, args))
    upstreams = _upstreams([np.shape(o.value if isinstance(o, Traced) else o) for o in outputs])
    found = {}
    for output, upstream in zip(outputs, upstreams):
        if isinstance(output, Traced):
            for key, g in tape.backward(output, upstream).items():
                found[key] = found.get(key, 0) + g
    return [np.broadcast_to(found.get(id(w), 0.0), w.shape) for w in watched]


def compare_gradients(case):
    args = case.make(np.random.default_rng(0))
    for k, (a, b) in enumerate(zip(our_gradient(case, args), keras_gradient(case, args))):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8,
                                   err_msg=f"{case.id}: gradient of argument {case.grad[k]}")


def oracle_tests(cases):
    """``test_values, test_gradients = oracle_tests(CASES)`` in an oracle test module."""
    checked = [c for c in cases if c.oracle]
    with_grad = [c for c in checked if c.grad and not c.keras_bug]
    ids = lambda c: c.id                                      # noqa: E731

    @pytest.mark.parametrize("case", checked, ids=ids)
    def test_values(case):
        compare_values(case)

    @pytest.mark.parametrize("case", with_grad, ids=ids)
    def test_gradients(case):
        compare_gradients(case)
    return test_values, test_gradients
