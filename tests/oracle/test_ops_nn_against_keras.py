"""``keras.ops.nn`` against Keras 3.15.1 (torch backend): the cases of ``tests/ops/test_ops_nn.py``.

Values at float32 and derivatives (torch autograd) at float64 for every case, through
:func:`op_oracle.oracle_tests`, with three additions written here:

* Keras computes ``layer_normalization``, ``rms_normalization``,
  ``dot_product_attention`` and ``ctc_loss`` in float32 even for float64 tensors on
  this backend (a copy to float32 and back), so their derivatives agree with ours to
  float32 round-off only: they are compared with float32 tolerances;
* Keras's torch ``fold``/``unfold`` refuse NumPy input (the cases are marked
  ``oracle=False``): they are compared here with torch tensors;
* ``polar`` returns a complex array, whose derivative the shared harness does not
  take: it is taken here as the derivative of :math:`\\sum (g_u\\,\\mathrm{Re}\\,w +
  g_v\\,\\mathrm{Im}\\,w)`.

Run with ``KERAS_BACKEND=torch KERASTUTOR_ORACLE=1``.
"""
import keras
import numpy as np
import pytest
import torch

from kerastutor import ops
from kerastutor.tape import Tape
from op_cases import call
from op_oracle import keras_gradient, oracle_tests, our_gradient
from test_ops_nn import CASES

#: Ops whose Keras derivative is computed in float32 whatever the input dtype.
FLOAT32_INSIDE = {"layer_normalization", "rms_normalization", "dot_product_attention",
                  "ctc_loss"}

test_values = oracle_tests([c for c in CASES if c.op != "polar"])[0]
test_gradients = oracle_tests([c for c in CASES if c.op not in FLOAT32_INSIDE | {"polar"}])[1]
test_polar_values = oracle_tests([c for c in CASES if c.op == "polar"])[0]


@pytest.mark.parametrize("case", [c for c in CASES if c.op in FLOAT32_INSIDE and c.oracle
                                  and not c.keras_bug and c.grad], ids=lambda c: c.id)
def test_gradients_keras_computes_in_float32(case):
    args = case.make(np.random.default_rng(0))
    for k, (a, b) in enumerate(zip(our_gradient(case, args), keras_gradient(case, args))):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6,
                                   err_msg=f"{case.id}: gradient of argument {case.grad[k]}")


FOLDS = [c for c in CASES if c.op in ("fold", "unfold")]


@pytest.mark.parametrize("case", FOLDS, ids=lambda c: c.id)
def test_fold_unfold_values_with_tensors(case):
    (x,) = case.make(np.random.default_rng(0))
    x = x.astype("float32")
    theirs = keras.ops.convert_to_numpy(call(case, [torch.tensor(x)], keras.ops))
    ours = call(case, [x])
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", FOLDS, ids=lambda c: c.id)
def test_fold_unfold_gradients_with_tensors(case):
    args = case.make(np.random.default_rng(0))       # keras_gradient passes tensors already
    np.testing.assert_allclose(our_gradient(case, args)[0], keras_gradient(case, args)[0],
                               rtol=1e-10, atol=1e-12)


def test_polar_gradient():
    rng = np.random.default_rng(0)
    r, theta = rng.uniform(0.5, 2, (2, 3)), rng.normal(size=(2, 3))
    gu, gv = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    leaves = [torch.tensor(a, requires_grad=True) for a in (r, theta)]
    w = keras.ops.polar(*leaves)
    total = (torch.real(w) * torch.tensor(gu) + torch.imag(w) * torch.tensor(gv)).sum()
    theirs = torch.autograd.grad(total, leaves)
    with Tape() as tape:
        watched = [tape.watch(r), tape.watch(theta)]
        out = ops.polar(*watched)
    ours = tape.backward(out, gu + 1j * gv)
    for mine, keras_grad in zip(watched, theirs):
        np.testing.assert_allclose(ours[id(mine)], keras_grad.numpy(), rtol=1e-10)


def test_sparsemax_keras_value_is_still_wrong():
    """Note 5 of the reference: Keras's tau is wrong when the support has several entries."""
    x = np.array([-0.5, 0.2, 1.1], dtype="float32")
    theirs = keras.ops.convert_to_numpy(keras.ops.sparsemax(x))
    np.testing.assert_allclose(theirs, [0, 0, 0.4], atol=1e-6)
    np.testing.assert_allclose(ops.sparsemax(x), [0, 0.05, 0.95], atol=1e-6)


def test_average_pool_uneven_same_padding_keras_averages_replicated_edges():
    """Keras's torch average_pool pads uneven 'same' windows by repeating the edge pixel."""
    x = np.arange(5.0, dtype="float32").reshape(1, 5, 1)
    theirs = keras.ops.convert_to_numpy(keras.ops.average_pool(x, 4, 1, "same"))[0, :, 0]
    np.testing.assert_allclose(theirs, [0.75, 1.5, 2.5, 3.25, 3.75])
    np.testing.assert_allclose(ops.average_pool(x, 4, 1, "same")[0, :, 0],
                               [1.0, 1.5, 2.5, 3.0, 3.5])
