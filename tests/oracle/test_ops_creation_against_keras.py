"""Keras 3.15.1 (torch backend) as the oracle for the creation chapter.

Every case of ``tests/ops/test_ops_creation.py`` is compared for values and dtypes
at float32, and the differentiable ranges and grids for their vector-Jacobian
products at float64. The extra tests cover what the cases cannot: ``empty``'s
unspecified values (only shape and dtype compare), and ``vander``, whose values
Keras computes but whose torch backward raises.
"""
import keras
import numpy as np
import pytest
import torch

from kerastutor import ops
from op_oracle import oracle_tests
from test_ops_creation import CASES

test_values, test_gradients = oracle_tests(CASES)


@pytest.mark.parametrize("name, args", [("empty", ((2, 3),)), ("empty", ((2,), "int32")),
                                        ("empty_like", (np.zeros((2, 2), "float32"),)),
                                        ("empty_like", (np.zeros(3, "int32"),))])
def test_empty_against_keras(name, args):
    theirs = getattr(keras.ops, name)(*args)
    ours = getattr(ops, name)(*args)
    assert tuple(theirs.shape) == ours.shape
    assert keras.ops.convert_to_numpy(theirs).dtype == ours.dtype


@pytest.mark.parametrize("kwargs", [{}, {"N": 4, "increasing": True}, {"N": 2}])
def test_vander_values_against_keras(kwargs):
    x = np.array([0.5, -1.5, 2.0], "float32")
    theirs = keras.ops.convert_to_numpy(keras.ops.vander(x, **kwargs))
    ours = ops.vander(x, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_keras_vander_backward_still_raises_on_torch():
    """When torch fixes it, compare with test_vander_golden_and_derivative's numbers."""
    leaf = torch.tensor([2.0, 3.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="inplace operation"):
        keras.ops.vander(leaf, 3).sum().backward()
