"""The resampling helpers: interpolation matrices and the affine sampler."""
import numpy as np
import pytest

from kerastutor.layers.preprocessing.resampling import (AffineSampler, interpolation_matrix,
                                                        resize_images, resize_images_backward)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("n_in, n_out", [(4, 2), (3, 7), (5, 5)])
def test_rows_sum_to_one(interpolation, n_in, n_out):
    m = interpolation_matrix(n_in, n_out, interpolation)
    assert m.shape == (n_out, n_in)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)


def test_same_size_is_identity():
    for interpolation in ("bilinear", "nearest", "bicubic"):
        np.testing.assert_allclose(interpolation_matrix(4, 4, interpolation), np.eye(4),
                                   atol=1e-12)


def test_bilinear_by_hand():
    # 2 -> 4: s = (i + .5)/2 - .5 = -.25 (clamped to 0), .25, .75, 1.25 (upper tap clamped)
    np.testing.assert_allclose(interpolation_matrix(2, 4),
                               [[1, 0], [.75, .25], [.25, .75], [0, 1]])


def test_resize_backward_is_the_transpose():
    rng = np.random.default_rng(0)
    rows, cols = interpolation_matrix(4, 3, "bicubic"), interpolation_matrix(5, 2)
    x, g = rng.normal(size=(2, 4, 5, 3)), rng.normal(size=(2, 3, 2, 3))
    lhs = np.sum(resize_images(x, rows, cols) * g)
    rhs = np.sum(x * resize_images_backward(g, rows, cols))
    assert lhs == pytest.approx(rhs)


def test_affine_sampler_identity_and_shift():
    x = np.arange(12.0).reshape(1, 3, 4, 1)
    identity = AffineSampler([1, 0, 0, 0, 1, 0, 0, 0], (3, 4))
    np.testing.assert_allclose(identity.forward(x), x)
    half = AffineSampler([1, 0, -0.5, 0, 1, 0, 0, 0], (3, 4), fill_mode="constant",
                         fill_value=10.0)
    # output column c reads input column c - 0.5: halfway between neighbours
    np.testing.assert_allclose(half.forward(x)[0, 0, :, 0], [5.0, 0.5, 1.5, 2.5])


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "nearest", "constant"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_affine_backward_is_the_transpose(fill_mode, interpolation):
    rng = np.random.default_rng(1)
    matrices = rng.normal(size=(2, 8)) * [1, .3, 2, .3, 1, 2, 0, 0] + [1, 0, 0, 0, 1, 0, 0, 0]
    sampler = AffineSampler(matrices, (4, 5), interpolation=interpolation,
                            fill_mode=fill_mode, fill_value=0.0)
    x, g = rng.normal(size=(2, 4, 5, 3)), rng.normal(size=(2, 4, 5, 3))
    assert np.sum(sampler.forward(x) * g) == pytest.approx(np.sum(x * sampler.backward(g)))


def test_reflect_fill_by_hand():
    row = np.arange(4.0).reshape(1, 1, 4, 1)
    shifted = AffineSampler([1, 0, -3, 0, 1, 0, 0, 0], (1, 4), interpolation="nearest",
                            fill_mode="reflect")
    np.testing.assert_allclose(shifted.forward(row)[0, 0, :, 0], [2, 1, 0, 0])
