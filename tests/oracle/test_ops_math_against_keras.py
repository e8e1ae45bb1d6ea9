"""keras.ops.math against Keras 3.15.1 (torch backend): values at float32, derivatives at float64.

``CASES`` go through the shared oracle. The FFT family's ``COMPLEX_CASES`` take a
``(real, imag)`` pair, so their derivatives are compared here by watching both
parts (the shared oracle watches one array per argument); ``VALUE_CASES`` compare
values only. ``top_k(sorted=False)`` is compared as a set: Keras leaves its order
unspecified (torch returns a heap order).
"""
import numpy as np
import pytest
import torch

import keras
from kerastutor import ops as our_ops
from kerastutor.tape import Tape, Traced
from op_cases import call, float_outputs
from op_oracle import _upstreams, compare_values, oracle_tests
from test_ops_math import CASES, COMPLEX_CASES, VALUE_CASES, complex_slots, with_watched

test_values, test_gradients = oracle_tests(CASES)

ids = lambda c: c.id                                                   # noqa: E731


@pytest.mark.parametrize("case", COMPLEX_CASES + VALUE_CASES, ids=ids)
def test_complex_and_value_cases(case):
    compare_values(case)


def keras_complex_gradient(case, args):
    slots = complex_slots(case, args)
    leaves = [torch.tensor(np.asarray(args[i] if part is None else args[i][part], np.float64),
                           requires_grad=True) for i, part in slots]
    outputs = [o for o in float_outputs(call(case, with_watched(args, slots, leaves),
                                             keras.ops))
               if torch.is_tensor(o) and o.requires_grad]
    upstreams = _upstreams([tuple(o.shape) for o in outputs])
    total = sum((o * torch.tensor(u, dtype=o.dtype)).sum() for o, u in zip(outputs, upstreams))
    return [g.detach().numpy() for g in torch.autograd.grad(total, leaves)]


def our_complex_gradient(case, args):
    slots = complex_slots(case, args)
    with Tape() as tape:
        watched = [tape.watch(np.asarray(args[i] if part is None else args[i][part],
                                         np.float64)) for i, part in slots]
        outputs = float_outputs(call(case, with_watched(args, slots, watched)))
    upstreams = _upstreams([np.shape(o.value if isinstance(o, Traced) else o)
                            for o in outputs])
    found = {}
    for output, upstream in zip(outputs, upstreams):
        for key, g in tape.backward(output, upstream).items():
            found[key] = found.get(key, 0) + g
    return [np.broadcast_to(found.get(id(w), 0.0), w.shape) for w in watched]


@pytest.mark.parametrize("case", [c for c in COMPLEX_CASES if not c.keras_bug], ids=ids)
def test_complex_gradients(case):
    args = case.make(np.random.default_rng(0))
    for k, (a, b) in enumerate(zip(our_complex_gradient(case, args),
                                   keras_complex_gradient(case, args))):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8, err_msg=f"{case.id}: part {k}")


def test_top_k_unsorted_selects_the_same_entries():
    x = np.random.default_rng(0).standard_normal((3, 7)).astype(np.float32)
    values, indices = keras.ops.top_k(x, 3, sorted=False)
    ours, our_indices = our_ops.top_k(x, 3, sorted=False)
    np.testing.assert_array_equal(np.sort(ours, -1), np.sort(values.numpy(), -1))
    np.testing.assert_array_equal(np.sort(our_indices, -1), np.sort(indices.numpy(), -1))
    assert our_indices.dtype == indices.numpy().dtype


def test_keras_istft_without_window_is_not_an_inverse():
    """The bug the `window=None` case marks: Keras's output is x * fft_length / stride."""
    x = np.random.default_rng(0).standard_normal(40)
    spectrum = keras.ops.stft(x, 8, 4, 8, window=None)
    theirs = keras.ops.istft(spectrum, 8, 4, 8, window=None).numpy()
    ours = our_ops.istft(our_ops.stft(x, 8, 4, 8, window=None), 8, 4, 8, window=None)
    np.testing.assert_allclose(ours, x, atol=1e-12)
    np.testing.assert_allclose(theirs[4:-4], 2.0 * x[4:-4], atol=1e-12)


def test_cdist_docstring_example_is_wrong_in_keras_but_not_the_op():
    x = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
    y = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    np.testing.assert_allclose(keras.ops.cdist(x, y).numpy(), np.ones((2, 2)))
    np.testing.assert_allclose(our_ops.cdist(x, y), np.ones((2, 2)))
