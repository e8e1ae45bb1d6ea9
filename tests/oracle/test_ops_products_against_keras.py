"""keras.ops products and contractions against Keras 3.15.1 (torch backend).

``CASES`` come from ``tests/ops/test_ops_products.py``. The extra tests pin the
places where Keras's torch backend departs from Keras's own definition (and
NumPy's), so a fixed Keras is noticed.
"""
import numpy as np
import pytest

from op_oracle import compare_values, keras_gradient, oracle_tests, our_gradient
from test_ops_products import CASES

test_values, test_gradients = oracle_tests(CASES)


def test_dot_nd_keras_torch_is_matmul():
    """Keras documents np.dot's sum over x1's last and x2's second-to-last axis; its torch
    backend calls torch.matmul, which broadcasts batch axes instead."""
    import keras
    from kerastutor import ops
    a = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    b = np.random.default_rng(1).standard_normal((2, 4, 5)).astype("float32")
    assert ops.dot(a, b).shape == np.dot(a, b).shape == (2, 3, 2, 5)
    assert tuple(keras.ops.dot(a, b).shape) == (2, 3, 5)          # matmul's shape


def test_correlate_same_keras_torch_length():
    """mode='same' with the shorter signal first: NumPy (and kerastutor) give max(M, N)
    values, Keras's torch backend len(x1)."""
    import keras
    from kerastutor import ops
    a, v = np.array([1.0, 2.0, 0.5, 3.0], "float32"), np.arange(5, dtype="float32")
    np.testing.assert_allclose(ops.correlate(a, v, mode="same"), np.correlate(a, v, "same"))
    assert tuple(keras.ops.correlate(a, v, mode="same").shape) == (4,)


@pytest.mark.parametrize("case", [c for c in CASES if c.op == "tensordot" and not c.oracle],
                         ids=lambda c: c.id)
def test_tensordot_float64_computed_in_float32(case):
    """Keras's torch dot/inner/tensordot cast float64 operands to float32
    (``result_type(float64, float)`` is float32 there), so its float64 gradient carries
    float32 round-off: values as usual, gradients at a float32 tolerance, and the dtype."""
    import keras
    from kerastutor import ops
    compare_values(case)
    args = case.make(np.random.default_rng(0))
    for ours, theirs in zip(our_gradient(case, args), keras_gradient(case, args)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    a, b = args
    assert ops.tensordot(a, b, **case.kwargs).dtype == np.float64
    assert str(keras.ops.tensordot(a, b, **case.kwargs).dtype) == "torch.float32"
