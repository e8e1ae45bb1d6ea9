"""The convolution and pooling speed-ups against the plain code they stand beside.

Each helper must give what the plain formula gives: the few-channels patch
matrix is :func:`im2col`'s matrix (bit for bit), ``sum_rows`` is a column sum,
the in-place ReLU is ReLU, the tiled max/average pooling (forward and
backward, ties included) is the generic sliding-window pooling; and the
workspace reuses an array only when nobody can see it change.
"""
import copy
import itertools
import pickle

import numpy as np
import pytest

from kerastutor import activations
from kerastutor.layers import convolutional, pooling
from kerastutor.layers.conv_im2col import (Workspace, conv_geometry, im2col,
                                           im2col_few_channels, pad)
from kerastutor.layers.convolutional import Conv2D, sum_rows


# ------------------------------------------------------------------ im2col layout
@pytest.mark.parametrize("rank, groups, cin", [(1, 1, 1), (2, 1, 1), (2, 1, 3), (2, 2, 4),
                                               (2, 3, 3), (3, 1, 2)])
@pytest.mark.parametrize("strides, dilation, padding", [(1, 1, "valid"), (2, 1, "same"),
                                                        (1, 2, "same")])
def test_few_channels_patch_matrix_is_im2col_bit_for_bit(rank, groups, cin, strides,
                                                         dilation, padding):
    kernel_size = (3, 2, 2)[:rank]
    x = np.random.default_rng(rank + cin).normal(size=(2,) + (7, 6, 5)[:rank] + (cin,))
    where = conv_geometry(x.shape[1:-1], kernel_size, (strides,) * rank, (dilation,) * rank,
                          padding)
    xp = pad(x, where.pads)
    args = (xp, kernel_size, (strides,) * rank, (dilation,) * rank, where.out, groups)
    plain, fast = im2col(*args), im2col_few_channels(*args)
    assert fast.shape == plain.shape and fast.dtype == plain.dtype
    np.testing.assert_array_equal(fast, plain)
    assert fast[0].T.flags.c_contiguous          # P^T is one C-ordered matrix per group


def test_conv2d_with_few_channels_uses_the_fast_layout_and_gives_the_same_numbers(monkeypatch):
    x = np.random.default_rng(0).normal(size=(3, 9, 8, 2)).astype("float32")
    layer = Conv2D(4, 3, padding="same", activation="relu")
    layer.build(x.shape)
    y_fast, cache = layer.forward(x, training=True)
    assert not cache.patches[0].flags.c_contiguous   # the transposed view: fast path taken
    grad = np.random.default_rng(1).normal(size=y_fast.shape).astype("float32")
    layer.kernel.zero_grad()
    dx_fast = layer.backward(cache, grad)
    dw_fast = layer.kernel.grad.copy()
    monkeypatch.setattr(convolutional, "FEW_CHANNELS", 0)          # force plain im2col
    y_plain, cache = layer.forward(x, training=True)
    assert cache.patches[0].flags.c_contiguous
    layer.kernel.zero_grad()
    dx_plain = layer.backward(cache, grad)
    np.testing.assert_allclose(y_fast, y_plain, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dx_fast, dx_plain, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dw_fast, layer.kernel.grad, rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------- bias gradient
@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-5), ("float64", 1e-12)])
def test_sum_rows_is_the_column_sum(dtype, tolerance):
    delta = np.random.default_rng(0).normal(size=(5000, 7)).astype(dtype)
    total = sum_rows(delta)
    assert total.shape == (7,) and total.dtype == delta.dtype
    np.testing.assert_allclose(total, delta.sum(axis=0), rtol=tolerance, atol=tolerance)
    np.testing.assert_array_equal(sum_rows(delta[:1]), delta[0])


# ------------------------------------------------------ the bias as a column of ones
@pytest.mark.parametrize("cin, groups, compiled_on", [(2, 1, True), (5, 1, True),
                                                      (5, 1, False), (6, 2, True)])
def test_patch_matrix_with_a_ones_column_is_im2col_then_ones(cin, groups, compiled_on):
    from kerastutor import compiled
    xp = np.random.default_rng(cin).normal(size=(2, 6, 5, cin)).astype("float32")
    args = (xp, (3, 2), (1, 2), (1, 1), (4, 2), groups)
    plain = im2col(*args)
    with compiled.switched(compiled_on):
        for workspace in (Workspace(), Workspace()):
            workspace.empty("patches", xp, plain.shape[:2] + (plain.shape[2] + 1,))[:] = 7
            with_ones = convolutional.patch_matrix(*args, workspace, ones_column=True)
            np.testing.assert_array_equal(with_ones[..., :-1], plain)   # bit for bit
            np.testing.assert_array_equal(with_ones[..., -1], 1)
            assert convolutional.with_bias_column(with_ones, plain.shape[-1])
            without = convolutional.patch_matrix(*args, workspace)
            np.testing.assert_array_equal(without, plain)
            assert not convolutional.with_bias_column(without, plain.shape[-1])


@pytest.mark.parametrize("make", [lambda: Conv2D(4, 3, activation="relu"),
                                  lambda: Conv2D(6, 3, groups=2, activation="tanh"),
                                  lambda: Conv2D(4, 3, use_bias=False),
                                  lambda: convolutional.Conv1D(3, 2),
                                  lambda: __import__("kerastutor").layers.DepthwiseConv2D(
                                      3, depth_multiplier=2)])
@pytest.mark.parametrize("cin", [2, 6])
def test_the_bias_gradient_from_the_ones_column_is_the_sum_of_delta(monkeypatch, make, cin):
    layer = make()
    rank = layer.rank
    x = np.random.default_rng(cin).normal(size=(3,) + (7, 6)[:rank] + (cin,))
    layer.build(x.shape)
    if layer.bias is not None:
        layer.bias.value[:] = np.linspace(-0.5, 0.5, layer.bias.shape[0])

    def run():
        for weight in layer.weights:
            weight.zero_grad()
        y, cache = layer.forward(x, training=True)
        grad = np.random.default_rng(1).normal(size=y.shape)
        dx = layer.backward(cache, grad)
        return y, dx, [w.grad.copy() for w in layer.weights], cache

    y_fast, dx_fast, grads_fast, cache = run()
    assert convolutional.with_bias_column(cache.patches, layer._kernel_groups().shape[1]) \
        == (layer.bias is not None)
    monkeypatch.setattr(type(layer), "_bias_in_patches", False)     # sum_rows instead
    y_plain, dx_plain, grads_plain, cache = run()
    assert not convolutional.with_bias_column(cache.patches, layer._kernel_groups().shape[1])
    np.testing.assert_array_equal(y_fast, y_plain)
    np.testing.assert_array_equal(dx_fast, dx_plain)
    for fast, plain in zip(grads_fast, grads_plain):
        np.testing.assert_allclose(fast, plain, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- tiled pooling
def _with_ties(shape, seed):
    """Small integers, half of them clipped to 0: most windows hold equal entries."""
    values = np.random.default_rng(seed).integers(-3, 4, size=shape)
    return np.maximum(values, 0).astype("float32")


def _pool(x, pool_size, mode, grad):
    """Forward and backward of one pooling with strides = pool_size (valid)."""
    y, cache = pooling._pool_forward(x, pool_size, pool_size, "valid", mode)
    return y, pooling._pool_backward(cache, grad, pool_size, pool_size, mode)


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("spatial, pool_size", [((6,), (2,)), ((7,), (3,)), ((6, 8), (2, 2)),
                                                ((7, 9), (2, 2)), ((6, 6), (3, 2)),
                                                ((4, 5, 6), (2, 2, 3))])
def test_tiled_pooling_is_the_generic_pooling(monkeypatch, mode, spatial, pool_size):
    x = _with_ties((3,) + spatial + (4,), seed=len(spatial))
    out = tuple(n // k for n, k in zip(spatial, pool_size))
    grad = np.random.default_rng(7).normal(size=(3,) + out + (4,)).astype("float32")
    y_fast, dx_fast = _pool(x, pool_size, mode, grad)
    monkeypatch.setattr(pooling, "_tiled", lambda *args: False)   # the sliding windows
    y_plain, dx_plain = _pool(x, pool_size, mode, grad)
    assert y_fast.shape == y_plain.shape and dx_fast.shape == dx_plain.shape == x.shape
    if mode == "max":                              # selections: exactly the same numbers
        np.testing.assert_array_equal(y_fast, y_plain)
        np.testing.assert_array_equal(dx_fast, dx_plain)
    else:                                          # a sum in another order
        np.testing.assert_allclose(y_fast, y_plain, rtol=1e-6)
        np.testing.assert_allclose(dx_fast, dx_plain, rtol=1e-6)


def test_tiled_max_backward_gives_each_window_one_winner_the_first():
    x = np.zeros((1, 4, 4, 1), dtype="float32")               # every window all ties
    x[0, 1, 1, 0] = x[0, 0, 3, 0] = 5.0                         # ... but two
    grad = np.arange(1.0, 5.0, dtype="float32").reshape(1, 2, 2, 1)
    _, dx = _pool(x, (2, 2), "max", grad)
    expected = np.zeros((4, 4))
    expected[1, 1], expected[0, 3], expected[2, 0], expected[2, 2] = 1, 2, 3, 4
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)


class _GarbageWorkspace(Workspace):
    """A workspace whose arrays start full of NaN (True for booleans), not of zeros."""

    def empty(self, purpose, like, shape, dtype=None):
        array = super().empty(purpose, like, shape, dtype)
        array.fill(True if array.dtype == bool else np.nan)
        return array


@pytest.mark.parametrize("compiled_on", [True, False])
def test_tiled_max_backward_writes_every_entry_of_an_uninitialised_buffer(compiled_on):
    from kerastutor import compiled
    for spatial in itertools.product((4, 5), (6, 7)):          # covered and remainders
        x = _with_ties((2,) + spatial + (3,), seed=spatial[0])
        with compiled.switched(compiled_on):
            y, cache = pooling._pool_forward(x, (2, 2), (2, 2), "valid", "max")
            grad = np.ones_like(y)
            dx = pooling._pool_backward(cache, grad, (2, 2), (2, 2), "max",
                                        _GarbageWorkspace())
        assert np.isfinite(dx).all()
        np.testing.assert_array_equal(dx.reshape(2, -1, 3).sum(axis=1),
                                      grad.reshape(2, -1, 3).sum(axis=1))


# -------------------------------------------------------------------- workspace
def test_workspace_lends_an_array_again_only_when_nobody_holds_it():
    buffers, like = Workspace(), np.zeros(1, dtype="float32")
    first = buffers.empty("z", like, (3, 4))
    assert first.shape == (3, 4) and first.dtype == np.float32
    first_id = id(first)
    del first
    again = buffers.empty("z", like, (3, 4))
    assert id(again) == first_id                               # nobody held it: reused
    view = again[1:]                                           # a view holds it ...
    del again
    fresh = buffers.empty("z", like, (3, 4))
    assert not np.shares_memory(fresh, view)                   # ... so a new one is made
    assert not np.shares_memory(buffers.empty("other", like, (3, 4)), fresh)
    assert buffers.empty("z", like, (3, 4), bool).dtype == bool


def test_a_copied_or_pickled_layer_starts_with_an_empty_workspace():
    layer = Conv2D(2, 3)
    layer(np.ones((1, 5, 5, 1), dtype="float32"))
    assert layer._workspace._arrays                          # the forward pass kept its z
    for copied in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer._workspace))):
        buffers = getattr(copied, "_workspace", copied)
        assert buffers is not layer._workspace and not buffers._arrays


def test_workspace_makes_other_array_types_fresh_every_time():
    class Other(np.ndarray):                                   # stands in for a device array
        pass
    buffers = Workspace()
    made = buffers.empty("z", np.zeros(2).view(Other), (2, 3))
    assert made.shape == (2, 3) and isinstance(made, Other)
    assert not buffers._arrays                                 # nothing kept to lend again


def test_a_kept_output_or_gradient_is_never_overwritten_by_the_next_call():
    rng = np.random.default_rng(0)
    layer = Conv2D(3, 3, activation="relu")
    pool = pooling.MaxPooling2D()
    x1, x2 = rng.normal(size=(2, 2, 8, 8, 2)).astype("float32")
    layer.build(x1.shape)
    y1, cache1 = layer.forward(x1, training=True)
    p1, pool_cache1 = pool.forward(y1, training=True)
    kept_y1, kept_p1 = y1.copy(), p1.copy()
    g1 = pool.backward(pool_cache1, np.ones_like(p1))
    dx1 = layer.backward(cache1, g1)
    kept_g1, kept_dx1 = g1.copy(), dx1.copy()
    y2, cache2 = layer.forward(x2, training=True)              # same shapes, new numbers
    p2, pool_cache2 = pool.forward(y2, training=True)
    dx2 = layer.backward(cache2, pool.backward(pool_cache2, np.ones_like(p2)))
    for kept, held in [(kept_y1, y1), (kept_p1, p1), (kept_g1, g1), (kept_dx1, dx1)]:
        np.testing.assert_array_equal(held, kept)
    assert not np.shares_memory(y1, y2) and not np.shares_memory(dx1, dx2)
    np.testing.assert_array_equal(layer.backward(cache1, g1), kept_dx1)   # repeatable


def test_relu_in_place_is_relu_forward_and_its_backward_is_relus():
    z = np.random.default_rng(0).normal(size=(50, 4)).astype("float32")
    grad = np.random.default_rng(1).normal(size=z.shape).astype("float32")
    relu = activations.get("relu")
    y_plain, cache_plain = relu.forward(z)
    y, cache = convolutional.relu_in_place(z.copy())
    np.testing.assert_array_equal(y, y_plain)
    np.testing.assert_array_equal(cache, cache_plain)
    delta = convolutional.relu_backward_into(np.empty_like(grad), np.empty(z.shape, bool),
                                             cache, grad)
    np.testing.assert_array_equal(delta, relu.backward(cache_plain, grad))
    assert convolutional.is_plain_relu(relu)
    assert not convolutional.is_plain_relu(activations.ReLU(negative_slope=0.1))
    assert not convolutional.is_plain_relu(activations.get("tanh"))
