"""keras.ops.linalg (and ``slogdet``) against Keras 3.15.1 (torch backend).

``CASES`` come from ``tests/ops/test_ops_linalg.py``. The extra tests compare what
the case-by-case comparison cannot: ``eig``, whose Keras (torch) results are complex
even for a real spectrum, through quantities that do not depend on the dtype or
on each eigenvector's sign.
"""
import keras
import numpy as np
import torch

from kerastutor import ops
from kerastutor.tape import Tape
import pytest

from op_oracle import compare_values, keras_gradient, oracle_tests, our_gradient
from test_ops_linalg import CASES, distinct_singular_values, real_distinct_eigenvalues

NORMS = [c for c in CASES if c.op == "linalg.norm" and c.grad]

test_values, test_gradients = oracle_tests([c for c in CASES if c not in NORMS])


@pytest.mark.parametrize("case", NORMS, ids=lambda c: c.id)
def test_norm_float64_computed_in_float32(case):
    """Keras's torch ``norm`` casts float64 to float32 (``result_type(float64, float)`` is
    float32 there), so its float64 gradient carries float32 round-off: values as usual,
    gradients at a float32 tolerance, and the dtype."""
    compare_values(case)
    args = case.make(np.random.default_rng(0))
    for ours, theirs in zip(our_gradient(case, args), keras_gradient(case, args)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert ops.norm(args[0], **case.kwargs).dtype == np.float64
    assert str(keras.ops.norm(args[0], **case.kwargs).dtype) == "torch.float32"


@pytest.mark.parametrize("shape", [(4, 3), (2, 4), (3, 3)])
def test_svd_sign_invariant(shape):
    """Singular values, |U|, |Vh|, and the gradient of a loss blind to each pair's sign."""
    a = distinct_singular_values(*shape)(np.random.default_rng(0))[0]
    ours = ops.svd(a.astype("float32"), full_matrices=False)
    theirs = [np.asarray(keras.ops.convert_to_numpy(t))
              for t in keras.ops.svd(a.astype("float32"), full_matrices=False)]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5)
    for k in (0, 2):
        np.testing.assert_allclose(np.abs(ours[k]), np.abs(theirs[k]), atol=1e-5)
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(t.shape) for t in ours]
    leaf = torch.tensor(a, requires_grad=True)
    u, s, vh = keras.ops.svd(leaf, full_matrices=False)
    loss = sum(((t * t if k != 1 else t) * torch.tensor(w)).sum()
               for k, (t, w) in enumerate(zip((u, s, vh), weights)))
    loss.backward()
    with Tape() as tape:
        x = tape.watch(a)
        u, s, vh = ops.svd(x, full_matrices=False)
        total = ops.sum(u * u * weights[0]) + ops.sum(s * weights[1]) + \
            ops.sum(vh * vh * weights[2])
    np.testing.assert_allclose(tape.backward(total, np.ones(()))[id(x)], leaf.grad.numpy(),
                               rtol=1e-6, atol=1e-8)


def test_full_svd_of_a_non_square_matrix_ignores_the_completion():
    """full_matrices=True: U's extra columns pass no gradient, in Keras (torch) as here."""
    a = distinct_singular_values(4, 2)(np.random.default_rng(2))[0]
    weights = np.random.default_rng(3).standard_normal((4, 4))
    leaf = torch.tensor(a, requires_grad=True)
    u = keras.ops.svd(leaf)[0]
    ((u * u) * torch.tensor(weights)).sum().backward()
    with Tape() as tape:
        x = tape.watch(a)
        u = ops.svd(x)[0]
        total = ops.sum(u * u * weights)
    np.testing.assert_allclose(tape.backward(total, np.ones(()))[id(x)], leaf.grad.numpy(),
                               rtol=1e-6, atol=1e-8)


def test_eig_real_spectrum():
    """Eigenvalues, eigenvectors up to sign, and the gradient of a sign-invariant loss."""
    a = real_distinct_eigenvalues(np.random.default_rng(0))[0]
    w, v = ops.eig(a.astype("float32"))
    kw, kv = (np.asarray(keras.ops.convert_to_numpy(t)) for t in keras.ops.eig(
        a.astype("float32")))
    assert kw.dtype == np.complex64 and w.dtype == np.float32     # Keras (torch): complex
    np.testing.assert_allclose(kw.imag, 0.0, atol=1e-6)
    order, korder = np.argsort(w), np.argsort(kw.real)
    np.testing.assert_allclose(w[order], kw.real[korder], rtol=1e-5)
    np.testing.assert_allclose(np.abs(v[:, order]), np.abs(kv.real[:, korder]), atol=1e-5)
    # sum(w * c) + sum((v * v) * d): squares make each eigenvector's sign irrelevant
    rng = np.random.default_rng(1)
    c, d = rng.standard_normal(a.shape[0]), rng.standard_normal(a.shape)
    leaf = torch.tensor(a, requires_grad=True)
    tw, tv = keras.ops.eig(leaf)
    order = torch.argsort(tw.real)
    loss = (tw.real[order] * torch.tensor(c)).sum() + \
        ((tv.real[:, order] ** 2) * torch.tensor(d)).sum()
    loss.backward()
    index = np.argsort(np.linalg.eigvals(a).real)
    upstream_w, weights_v = np.zeros(a.shape[0]), np.zeros(a.shape)
    upstream_w[index], weights_v[:, index] = c, d
    with Tape() as tape:
        x = tape.watch(a)
        ow, ov = ops.eig(x)
        total = ops.sum(ow * upstream_w) + ops.sum(ov * ov * weights_v)
    grads = tape.backward(total, np.ones(()))
    np.testing.assert_allclose(grads[id(x)], leaf.grad.numpy(), rtol=1e-6, atol=1e-8)
