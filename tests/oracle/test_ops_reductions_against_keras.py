"""Reductions, statistics, cumulative ops, sorting and searching against Keras 3.15.1 (torch).

The cases are the unit tests' ``CASES``: values and dtypes at float32, and the
vector-Jacobian products against torch autograd through ``keras.ops``.
"""
import keras
import numpy as np
import pytest

from kerastutor import ops
from op_oracle import oracle_tests
from test_ops_reductions import CASES

test_values, test_gradients = oracle_tests(CASES)


def _keras(name, *args, **kwargs):
    return np.asarray(keras.ops.convert_to_numpy(getattr(keras.ops, name)(*args, **kwargs)))


@pytest.mark.parametrize("seed", range(5))
def test_argpartition_partitions_like_keras(seed):
    """Place ``kth`` holds the same index, the sides hold the same sets (their order is free).

    Integer input: Keras on torch truncates floats to int32 first (see the next test).
    """
    x = np.random.default_rng(seed).permutation(21).reshape(3, 7).astype(np.int32)
    for kth in (0, 3, 6):
        ours, theirs = ops.argpartition(x, kth), _keras("argpartition", x, kth)
        assert ours.dtype == theirs.dtype
        assert (ours[:, kth] == theirs[:, kth]).all()
        for side in (slice(0, kth), slice(kth + 1, None)):
            assert [set(r) for r in ours[:, side]] == [set(r) for r in theirs[:, side]]


def test_keras_argpartition_truncates_float_input():
    """Keras bug: ``argpartition`` on torch casts x to int32, so 0.9 and 0.2 tie at 0."""
    x = np.array([0.9, 0.2, 1.5], dtype=np.float32)
    assert ops.argpartition(x, 0).tolist() == [1, 0, 2]
    assert _keras("argpartition", x, 0)[0] == 0, "Keras now partitions floats right"


def test_nonzero_matches_keras_stacked():
    x = np.array([[0, 2, 0], [3, 0, 4]], dtype=np.int32)
    ours, theirs = np.stack(ops.nonzero(x)), _keras("nonzero", x)
    assert ours.dtype == theirs.dtype and ours.tolist() == theirs.tolist()
