"""``keras.ops.nn`` against Keras 3.15.1 (torch backend): the cases of ``tests/ops/test_ops_nn.py``.

Values at float32 and derivatives (torch autograd) at float64 for every case, through
:func:`op_oracle.oracle_tests`. ``polar`` returns a complex array, whose derivative the
shared harness does not take: :func:`test_polar_gradient` takes it here, as the
derivative of :math:`\\sum (g_u\\,\\mathrm{Re}\\,w + g_v\\,\\mathrm{Im}\\,w)`.
Run with ``KERAS_BACKEND=torch KERASTUTOR_ORACLE=1``.
"""
import keras
import numpy as np
import torch

from kerastutor import ops
from kerastutor.tape import Tape
from op_oracle import oracle_tests
from test_ops_nn import CASES

test_values, test_gradients = oracle_tests([c for c in CASES if c.op != "polar"])
test_polar_values = oracle_tests([c for c in CASES if c.op == "polar"])[0]


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
