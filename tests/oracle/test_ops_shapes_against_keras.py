"""Keras 3.15.1 (torch backend) as the oracle for the shapes chapter and ``rearrange``.

Every case of ``tests/ops/test_ops_shapes.py`` is compared for values (and dtypes)
at float32 and for its vector-Jacobian product at float64. The extra tests pin the
two Keras padding bugs with the exact calls and both answers.
"""
import keras
import numpy as np
import torch

from kerastutor import ops
from kerastutor.tape import Tape
from op_oracle import oracle_tests
from test_ops_shapes import CASES

test_values, test_gradients = oracle_tests(CASES)


def test_keras_symmetric_pad_is_replicate_on_torch():
    x = np.array([0.0, 1.0, 2.0])
    theirs = keras.ops.convert_to_numpy(keras.ops.pad(x, ((2, 2),), mode="symmetric"))
    assert theirs.tolist() == [0, 0, 0, 1, 2, 2, 2]                 # replicate
    assert ops.pad(x, ((2, 2),), mode="symmetric").tolist() == [1, 0, 0, 1, 2, 2, 1]


def test_keras_int_pad_width_pads_only_the_last_axis_on_torch():
    x = np.arange(4.0).reshape(2, 2)
    assert tuple(keras.ops.pad(x, 1).shape) == (2, 4)
    assert ops.pad(x, 1).shape == (4, 4) == np.pad(x, 1).shape


def test_rearrange_of_the_keras_docstring_examples():
    images = np.random.default_rng(0).random((4, 6, 8, 3)).astype("float32")
    for pattern, lengths in [("b h w c -> b c h w", {}), ("b h w c -> (b h) w c", {}),
                             ("b h w c -> h (b w) c", {}), ("b h w c -> b (c h w)", {}),
                             ("b (h1 h) (w1 w) c -> (b h1 w1) h w c", {"h1": 2, "w1": 2}),
                             ("b (h h1) (w w1) c -> b h w (c h1 w1)", {"h1": 2, "w1": 2})]:
        theirs = keras.ops.convert_to_numpy(keras.ops.rearrange(images, pattern, **lengths))
        np.testing.assert_array_equal(ops.rearrange(images, pattern, **lengths), theirs)


def test_keras_take_counts_negative_flat_indices_from_the_first_axis():
    x = np.arange(15.0).reshape(3, 5)
    assert keras.ops.convert_to_numpy(keras.ops.take(x, np.array([-1]))).tolist() == [2]
    assert ops.take(x, np.array([-1])).tolist() == [14] == np.take(x, [-1]).tolist()


def test_concatenate_against_keras():
    """Values and gradients for a list of unequal pieces (the harness stacks its pieces)."""
    rng = np.random.default_rng(0)
    parts = [rng.standard_normal((2, n)) for n in (1, 3, 2)]
    upstream = rng.standard_normal((2, 6))
    leaves = [torch.tensor(p, requires_grad=True) for p in parts]
    theirs = keras.ops.concatenate(leaves, axis=-1)
    (theirs * torch.tensor(upstream)).sum().backward()
    with Tape() as tape:
        watched = [tape.watch(p) for p in parts]
        ours = ops.concatenate(watched, axis=-1)
    np.testing.assert_allclose(ours.value, theirs.detach().numpy())
    grads = tape.backward(ours, upstream)
    for w, leaf in zip(watched, leaves):
        np.testing.assert_allclose(grads[id(w)], leaf.grad.numpy())
