"""keras.ops.image against Keras 3.15.1 on the torch backend (values and torch-autograd VJPs)."""
import numpy as np
import pytest

from op_oracle import (compare_values, keras, keras_gradient, oracle_tests,
                       our_gradient)
from test_ops_image import CASES, KERAS_FLOAT32

from kerastutor import ops

test_values, test_gradients = oracle_tests(CASES)


def test_bicubic_follows_torch_not_tensorflow():
    """Keras's bicubic is a = -0.75 on torch (and a = -0.5 elsewhere): we match torch."""
    x = np.random.default_rng(0).uniform(size=(1, 3, 4, 1)).astype("float32")
    theirs = keras.ops.convert_to_numpy(keras.ops.image.resize(x, (7, 5), "bicubic"))
    np.testing.assert_allclose(ops.image.resize(x, (7, 5), "bicubic"), theirs, rtol=1e-5,
                               atol=1e-6)


def test_int_images_round_like_keras():
    x = (np.random.default_rng(1).uniform(size=(1, 4, 5, 3)) * 255).astype("uint8")
    for size, method in (((3, 7), "bilinear"), ((6, 2), "bicubic"), ((2, 3), "nearest")):
        theirs = keras.ops.convert_to_numpy(keras.ops.image.resize(x, size, method))
        ours = ops.image.resize(x, size, method)
        assert ours.dtype == theirs.dtype
        assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1    # ties of .5


def test_gaussian_blur_with_a_square_kernel_matches_keras_with_two_sigmas():
    x = np.random.default_rng(2).uniform(size=(2, 6, 5, 2)).astype("float32")
    theirs = keras.ops.convert_to_numpy(keras.ops.image.gaussian_blur(
        x, (5, 5), (0.6, 1.7), data_format="channels_last"))
    np.testing.assert_allclose(ops.image.gaussian_blur(x, (5, 5), (0.6, 1.7),
                                                       data_format="channels_last"),
                               theirs, rtol=1e-5, atol=1e-6)


FLOAT32_INSIDE = [c for c in CASES if c.note == KERAS_FLOAT32]


@pytest.mark.parametrize("case", FLOAT32_INSIDE, ids=lambda c: c.id)
def test_float32_inside_keras_cases(case):
    """Values as usual; the VJP at rtol=1e-4, since Keras's own is float32-accurate only."""
    compare_values(case)
    args = case.make(np.random.default_rng(0))
    for k, (a, b) in enumerate(zip(our_gradient(case, args), keras_gradient(case, args))):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6,
                                   err_msg=f"{case.id}: gradient of argument {case.grad[k]}")
