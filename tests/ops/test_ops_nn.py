"""keras.ops.nn: every op's derivative against central differences, plus goldens and errors.

``CASES`` is shared with ``tests/oracle/test_ops_nn_against_keras.py`` (Keras 3.15.1 on the
torch backend). Inputs are small (spatial sides <= 5, channels <= 3) and kept away from
the kinks of the piecewise ops (see :func:`away`).
"""
import warnings

import numpy as np
import pytest

from kerastutor import gradcheck, ops
from kerastutor.tape import Tape, Traced
from op_cases import OpCase, gradient_tests


# ------------------------------------------------------------------------- drawing inputs
def away(x, kinks=(0.0,), gap=0.05):
    """``x`` with every entry within ``gap`` of a kink moved ``2 * gap`` past it."""
    for kink in kinks:
        near = np.abs(x - kink) < gap
        x = np.where(near, kink + np.where(x >= kink, 2 * gap, -2 * gap), x)
    return x


def normal(rng, *shape, scale=1.0, kinks=(0.0,)):
    return away(rng.normal(size=shape) * scale, kinks)


def matrix(rng, scale=1.0, kinks=(0.0,)):
    """A drawn ``(rows, cols)`` float64 matrix, 2..4 by 2..4."""
    return normal(rng, int(rng.integers(2, 5)), int(rng.integers(2, 5)), scale=scale,
                  kinks=kinks)


def one(scale=1.0, kinks=(0.0,)):
    return lambda r: (matrix(r, scale, kinks),)


def spread(rng, *shape):
    """Entries with distinct values (no ties for a max), drawn in random order."""
    size = int(np.prod(shape))
    return (rng.permutation(size) / size + 0.1 * rng.random(size) / size).reshape(shape) * 4 - 2


def probabilities(rng, *shape, axis=-1):
    p = rng.uniform(0.1, 1.0, size=shape)
    return p / p.sum(axis=axis, keepdims=True)


# ------------------------------------------------------------------------------- the cases
def activation_cases():
    kinked = dict(kinked=True)
    return [
        OpCase("relu", one(), **kinked),
        OpCase("relu6", one(4.0, (0.0, 6.0)), **kinked),
        OpCase("leaky_relu", one(), **kinked),
        OpCase("leaky_relu", one(), {"negative_slope": 0.1}, label="slope=0.1", **kinked),
        OpCase("elu", one(), **kinked),
        OpCase("elu", one(), {"alpha": 0.5}, label="alpha=0.5", **kinked),
        OpCase("selu", one(), **kinked),
        OpCase("celu", one(), **kinked),
        OpCase("celu", one(), {"alpha": 2.0}, label="alpha=2", **kinked),
        OpCase("gelu", one(2.0)),
        OpCase("gelu", one(2.0), {"approximate": False}, label="erf"),
        OpCase("silu", one(2.0)),
        OpCase("swish", one(2.0)),
        OpCase("hard_silu", one(3.0, (-3.0, 3.0)), **kinked),
        OpCase("hard_swish", one(3.0, (-3.0, 3.0)), **kinked),
        OpCase("sigmoid", one(2.0)),
        OpCase("hard_sigmoid", one(3.0, (-3.0, 3.0)), **kinked),
        OpCase("sparse_sigmoid", one(1.5, (-1.0, 1.0)), **kinked),
        OpCase("log_sigmoid", one(2.0)),
        OpCase("softplus", one(2.0)),
        OpCase("softsign", one(), **kinked),
        OpCase("squareplus", one(2.0)),
        OpCase("squareplus", one(2.0), {"b": 1}, label="b=1"),
        OpCase("sparse_plus", one(1.5, (-1.0, 1.0)), **kinked),
        OpCase("tanh_shrink", one()),
        OpCase("hard_tanh", one(1.5, (-1.0, 1.0)), **kinked),
        OpCase("soft_shrink", one(1.0, (-0.5, 0.5)), **kinked),
        OpCase("soft_shrink", one(2.0, (-1.0, 1.0)), {"threshold": 1.0}, label="t=1",
               **kinked),
        OpCase("hard_shrink", one(1.0, (-0.5, 0.5)), **kinked),
        OpCase("threshold", one(1.0, (0.3,)), {"threshold": 0.3, "default_value": -1.0},
               **kinked),
        OpCase("glu", lambda r: (normal(r, int(r.integers(1, 4)), 4),)),
        OpCase("glu", lambda r: (normal(r, 2, 3, 2),), {"axis": 0}, label="axis=0"),
        OpCase("softmax", one()),
        OpCase("softmax", lambda r: (normal(r, 3, 2, 2),), {"axis": 0}, label="axis=0"),
        OpCase("log_softmax", one()),
        OpCase("log_softmax", lambda r: (normal(r, 2, 4),), {"axis": -2}, label="axis=-2"),
        OpCase("sparsemax", lambda r: (normal(r, 3, 4, scale=0.5),), kinked=True,
               keras_bug="tau sums the cumulative sums over the support (note 5)"),
        OpCase("sparsemax", lambda r: (normal(r, 4, 2, scale=0.5),), {"axis": 0},
               label="axis=0", kinked=True,
               keras_bug="tau sums the cumulative sums over the support (note 5)"),
    ]


def conv_cases():
    both = (0, 1)
    tol = dict(rtol=1e-4, atol=1e-5)
    return [
        OpCase("conv", lambda r: (normal(r, 2, 5, 2), normal(r, 3, 2, 3)), grad=both,
               label="1d", **tol),
        OpCase("conv", lambda r: (normal(r, 1, 5, 4, 2), normal(r, 3, 3, 2, 2)),
               {"strides": 2, "padding": "same"}, grad=both, label="2d,same,strides=2", **tol),
        OpCase("conv", lambda r: (normal(r, 1, 2, 5, 5), normal(r, 2, 2, 2, 3)),
               {"dilation_rate": 2, "data_format": "channels_first"}, grad=both,
               label="2d,dilation,channels_first", **tol),
        OpCase("conv", lambda r: (normal(r, 1, 4, 3, 4), normal(r, 2, 2, 2, 2)),
               {"padding": "same"}, grad=both, label="groups=2", **tol),
        OpCase("conv", lambda r: (normal(r, 1, 3, 3, 3, 1), normal(r, 2, 2, 2, 1, 2)),
               grad=both, label="3d", **tol),
        OpCase("depthwise_conv", lambda r: (normal(r, 1, 4, 4, 2), normal(r, 3, 3, 2, 2)),
               {"padding": "same"}, grad=both, label="2d,same", **tol),
        OpCase("depthwise_conv", lambda r: (normal(r, 2, 5, 3), normal(r, 2, 3, 1)),
               {"strides": 2}, grad=both, label="1d,strides=2", **tol),
        OpCase("depthwise_conv", lambda r: (normal(r, 1, 2, 5, 4), normal(r, 2, 2, 2, 1)),
               {"data_format": "channels_first", "dilation_rate": 2}, grad=both,
               label="channels_first,dilation", **tol),
        OpCase("separable_conv", lambda r: (normal(r, 1, 4, 4, 2), normal(r, 2, 2, 2, 2),
                                            normal(r, 1, 1, 4, 3)),
               grad=(0, 1, 2), **tol),
        OpCase("separable_conv", lambda r: (normal(r, 1, 5, 3), normal(r, 3, 3, 1),
                                            normal(r, 1, 3, 2)),
               {"padding": "same", "strides": 2}, grad=(0, 1, 2), label="1d,same", **tol),
        OpCase("conv_transpose", lambda r: (normal(r, 1, 3, 3, 2), normal(r, 3, 3, 3, 2)),
               {"strides": 2}, grad=both, label="2d,valid,strides=2", **tol),
        OpCase("conv_transpose", lambda r: (normal(r, 1, 3, 2, 2), normal(r, 3, 3, 2, 2)),
               {"strides": 2, "padding": "same"}, grad=both, label="2d,same", **tol),
        OpCase("conv_transpose", lambda r: (normal(r, 1, 3, 2, 2), normal(r, 3, 2, 2, 2)),
               {"strides": 2, "padding": "same", "output_padding": 1}, grad=both,
               label="output_padding=1", **tol),
        OpCase("conv_transpose", lambda r: (normal(r, 2, 4, 2), normal(r, 2, 3, 2)),
               {"dilation_rate": 2}, grad=both, label="1d,dilation", **tol),
        OpCase("conv_transpose", lambda r: (normal(r, 1, 2, 3, 3), normal(r, 2, 2, 1, 2)),
               {"data_format": "channels_first", "strides": 1, "padding": "same"}, grad=both,
               label="channels_first", **tol),
    ]


def pool_cases():
    kinked = dict(kinked=True)
    return [
        OpCase("max_pool", lambda r: (spread(r, 1, 4, 5, 2),), {"pool_size": 2}, **kinked),
        OpCase("max_pool", lambda r: (spread(r, 2, 5, 4, 1),),
               {"pool_size": 3, "strides": 1, "padding": "same"}, label="same,overlap",
               **kinked),
        OpCase("max_pool", lambda r: (spread(r, 2, 5, 3),), {"pool_size": 2, "strides": 1},
               label="1d", **kinked),
        OpCase("max_pool", lambda r: (spread(r, 1, 2, 5, 5),),
               {"pool_size": (2, 3), "strides": 2, "padding": "same",
                "data_format": "channels_first"}, label="channels_first,same", **kinked),
        OpCase("average_pool", lambda r: (normal(r, 1, 4, 5, 2),), {"pool_size": 2}),
        OpCase("average_pool", lambda r: (normal(r, 2, 5, 5, 1),),
               {"pool_size": 3, "strides": 2, "padding": "same"}, label="same"),
        OpCase("average_pool", lambda r: (normal(r, 1, 5, 2),),
               {"pool_size": 2, "strides": 1, "padding": "same"}, label="1d,same"),
        OpCase("average_pool", lambda r: (normal(r, 1, 2, 3, 3, 1),),
               {"pool_size": 2, "strides": 1}, label="3d"),
        OpCase("average_pool", lambda r: (normal(r, 1, 5, 5, 1),),
               {"pool_size": 4, "strides": 1, "padding": "same"}, label="same,uneven pads",
               keras_bug="torch backend: uneven 'same' padding replicates the edge pixels "
                         "and averages them in"),
        OpCase("adaptive_average_pool", lambda r: (normal(r, 1, 5, 4, 2),),
               {"output_size": (2, 3)}),
        OpCase("adaptive_average_pool", lambda r: (normal(r, 2, 5, 3),), {"output_size": 3},
               label="1d"),
        OpCase("adaptive_average_pool", lambda r: (normal(r, 1, 2, 5, 5),),
               {"output_size": 2, "data_format": "channels_first"}, label="channels_first"),
        OpCase("adaptive_max_pool", lambda r: (spread(r, 1, 5, 4, 2),),
               {"output_size": (2, 3)}, **kinked),
        OpCase("adaptive_max_pool", lambda r: (spread(r, 2, 5, 3),), {"output_size": 3},
               label="1d", **kinked),
        OpCase("adaptive_max_pool", lambda r: (spread(r, 1, 2, 5, 5),),
               {"output_size": 3, "data_format": "channels_first"}, label="channels_first",
               **kinked),
    ]


TENSORS_ONLY = dict(oracle=False, note="Keras 3.15.1's torch fold/unfold call torch.nn.functional "
                   "directly: NumPy input raises TypeError (the oracle file passes tensors)")


def layout_cases():
    return [
        OpCase("depth_to_space", lambda r: (normal(r, 1, 2, 3, 8),), {"block_size": 2}),
        OpCase("depth_to_space", lambda r: (normal(r, 2, 8, 2, 1),),
               {"block_size": 2, "data_format": "channels_first"}, label="channels_first"),
        OpCase("space_to_depth", lambda r: (normal(r, 1, 4, 2, 3),), {"block_size": 2}),
        OpCase("space_to_depth", lambda r: (normal(r, 1, 2, 4, 4),),
               {"block_size": 2, "data_format": "channels_first"}, label="channels_first"),
        OpCase("unfold", lambda r: (normal(r, 1, 2, 4, 5),), {"kernel_size": 2},
               **TENSORS_ONLY),
        OpCase("unfold", lambda r: (normal(r, 2, 1, 5, 4),),
               {"kernel_size": (2, 3), "stride": 2, "padding": 1}, label="stride,padding",
               **TENSORS_ONLY),
        OpCase("unfold", lambda r: (normal(r, 1, 3, 5, 5),),
               {"kernel_size": 2, "dilation": 2}, label="dilation", **TENSORS_ONLY),
        OpCase("fold", lambda r: (normal(r, 1, 8, 12),),
               {"output_size": (4, 5), "kernel_size": 2}, **TENSORS_ONLY),
        OpCase("fold", lambda r: (normal(r, 2, 6, 9),),
               {"output_size": 5, "kernel_size": (2, 3), "stride": 2, "padding": 1},
               label="stride,padding", **TENSORS_ONLY),
    ]


def normalization_cases():
    every = (0, 1, 2, 4, 5)                    # axis is the 4th positional argument
    return [
        OpCase("moments", lambda r: (normal(r, 3, 4),), {"axes": [0]}),
        OpCase("moments", lambda r: (normal(r, 2, 3, 2),), {"axes": [0, 1], "keepdims": True},
               label="axes=[0,1],keepdims"),
        OpCase("moments", lambda r: (normal(r, 3, 4),), {"axes": -1}, label="axes=-1"),
        OpCase("batch_normalization",
               lambda r: (normal(r, 3, 4), normal(r, 4), r.uniform(0.5, 2, 4), -1, normal(r, 4),
                          normal(r, 4)),
               grad=every),
        OpCase("batch_normalization",
               lambda r: (normal(r, 2, 3, 2), normal(r, 3), r.uniform(0.5, 2, 3), 1),
               {"epsilon": 0.01}, grad=(0, 1, 2), label="axis=1,no affine"),
        OpCase("layer_normalization", one()),
        OpCase("layer_normalization", lambda r: (normal(r, 3, 4), normal(r, 4), normal(r, 4)),
               grad=(0, 1, 2), label="gamma,beta"),
        OpCase("layer_normalization", lambda r: (normal(r, 2, 3, 2), normal(r, 3, 2)),
               {"axis": (1, 2), "epsilon": 1e-3}, grad=(0, 1), label="axes=(1,2)"),
        OpCase("layer_normalization", lambda r: (normal(r, 3, 3),), {"axis": 0},
               label="axis=0",
               keras_bug="torch backend: F.layer_norm normalizes the LAST axes whatever "
                         "`axis` says"),
        OpCase("rms_normalization", one()),
        OpCase("rms_normalization", lambda r: (normal(r, 3, 4), normal(r, 4)), grad=(0, 1),
               label="scale"),
        OpCase("rms_normalization", lambda r: (normal(r, 2, 3, 2),), {"axis": (1, 2)},
               label="axes=(1,2)"),
        OpCase("rms_normalization", lambda r: (normal(r, 3, 3),), {"axis": 0},
               label="axis=0",
               keras_bug="torch backend: F.rms_norm normalizes the LAST axes whatever "
                         "`axis` says"),
        OpCase("normalize", one()),
        OpCase("normalize", lambda r: (normal(r, 3, 2),), {"axis": 0, "order": 1},
               label="order=1", kinked=True),
        OpCase("normalize", lambda r: (normal(r, 2, 4),), {"order": 3}, label="order=3"),
    ]


def attention_inputs(rng, t=3, s=4, heads=2, kv_heads=2, h=4):
    return (normal(rng, 2, t, heads, h), normal(rng, 2, s, kv_heads, h),
            normal(rng, 2, s, kv_heads, h))


def attention_mask(rng):
    keep = rng.random((2, 1, 3, 4)) > 0.4
    keep[..., 0] = True                        # every query sees at least one key
    return keep


def attention_cases():
    tol = dict(rtol=1e-4, atol=1e-5)
    return [
        OpCase("dot_product_attention", lambda r: attention_inputs(r), grad=(0, 1, 2), **tol),
        OpCase("dot_product_attention", lambda r: attention_inputs(r) + (normal(r, 1, 2, 3, 4),),
               grad=(0, 1, 2, 3), label="bias", **tol),
        OpCase("dot_product_attention",
               lambda r: attention_inputs(r) + (None, attention_mask(r)),
               grad=(0, 1, 2), label="mask", **tol),
        OpCase("dot_product_attention", lambda r: attention_inputs(r, t=4),
               {"is_causal": True, "scale": 0.5}, grad=(0, 1, 2), label="causal,scale", **tol),
        OpCase("dot_product_attention", lambda r: attention_inputs(r, heads=4, kv_heads=2),
               grad=(0, 1, 2), label="grouped", **tol),
    ]


def ctc_inputs(rng, blank=0):
    labels = rng.integers(1, 5, size=(2, 3)) if blank == 0 else rng.integers(0, 4, size=(2, 3))
    labels[0, 1] = labels[0, 0]                # a repeated label needs a blank between
    return labels, normal(rng, 2, 7, 5), np.array([3, 2]), np.array([7, 5])


def loss_cases():
    return [
        OpCase("binary_crossentropy",
               lambda r: (r.uniform(0, 1, (3, 4)), r.uniform(0.05, 0.95, (3, 4))), grad=(1,)),
        OpCase("binary_crossentropy", lambda r: (r.uniform(0, 1, (2, 3)), normal(r, 2, 3)),
               {"from_logits": True}, grad=(0, 1), label="logits"),
        OpCase("categorical_crossentropy",
               lambda r: (probabilities(r, 3, 4), r.uniform(0.1, 1, (3, 4))), grad=(0, 1)),
        OpCase("categorical_crossentropy",
               lambda r: (probabilities(r, 3, 4), normal(r, 3, 4)),
               {"from_logits": True}, grad=(0, 1), label="logits"),
        OpCase("categorical_crossentropy",
               lambda r: (probabilities(r, 4, 2, axis=0), r.uniform(0.1, 1, (4, 2))),
               {"axis": 0}, grad=(0, 1), label="axis=0"),
        OpCase("sparse_categorical_crossentropy",
               lambda r: (r.integers(0, 4, 3), probabilities(r, 3, 4)), grad=(1,)),
        OpCase("sparse_categorical_crossentropy",
               lambda r: (r.integers(0, 4, (3, 1)), normal(r, 3, 4)),
               {"from_logits": True}, grad=(1,), label="logits,(n,1) labels"),
        OpCase("sparse_categorical_crossentropy",
               lambda r: (r.integers(0, 4, 3), normal(r, 4, 3)),
               {"from_logits": True, "axis": 0}, grad=(1,), label="axis=0"),
        OpCase("ctc_loss", lambda r: ctc_inputs(r), grad=(1,), rtol=1e-4, atol=1e-5),
        OpCase("ctc_loss", lambda r: ctc_inputs(r, blank=4), {"mask_index": 4}, grad=(1,),
               label="blank=4", rtol=1e-4, atol=1e-5),
        OpCase("psnr", lambda r: (normal(r, 2, 3, 4), normal(r, 2, 3, 4), 1.0), grad=(0, 1)),
        OpCase("psnr", lambda r: (r.uniform(0, 255, (4, 3)), r.uniform(0, 255, (4, 3)), 255.0),
               grad=(0, 1), label="max_val=255", rtol=1e-4),
    ]


POLAR = OpCase("polar", lambda r: (r.uniform(0.5, 2, (2, 3)), normal(r, 2, 3)), grad=(0, 1),
               note="complex output: values by the oracle, derivative by its own tests")


def no_gradient_cases():
    return [
        OpCase("one_hot", lambda r: (r.integers(-1, 4, 5),), {"num_classes": 4}, grad=()),
        OpCase("one_hot", lambda r: (r.integers(0, 3, (2, 3)),),
               {"num_classes": 3, "axis": 0, "dtype": "int32"}, grad=(), label="axis=0,int32"),
        OpCase("multi_hot", lambda r: (r.integers(0, 5, (2, 3)),), {"num_classes": 5},
               grad=()),
        OpCase("multi_hot", lambda r: (r.integers(0, 5, 3),), {"num_classes": 5}, grad=(),
               label="1d"),
        OpCase("ctc_decode", lambda r: (normal(r, 2, 6, 4), np.array([6, 4])), grad=()),
        OpCase("ctc_decode", lambda r: (normal(r, 2, 6, 4), np.array([6, 4])),
               {"merge_repeated": False, "mask_index": 3}, grad=(), label="no merge,blank=3"),
        OpCase("ctc_decode", lambda r: (normal(r, 2, 5, 4), np.array([5, 3])),
               {"strategy": "beam_search", "beam_width": 8, "top_paths": 2}, grad=(),
               label="beam_search", rtol=1e-4, atol=1e-5),
    ]


CASES = (activation_cases() + conv_cases() + pool_cases() + layout_cases()
         + normalization_cases() + attention_cases() + loss_cases() + [POLAR]
         + no_gradient_cases())

# polar's output is complex: the harness differentiates real outputs, so polar's
# derivative is checked by test_polar_gradient below instead.
test_gradient, test_repeatable, test_no_gradient = gradient_tests(
    [case for case in CASES if case.op != "polar"])


def test_every_nn_op_has_a_case():
    assert sorted({case.op for case in CASES}) == sorted(ops.nn.__all__)


# ------------------------------------------------------------------------------- goldens
def test_sparsemax_is_the_simplex_projection():
    """Support {2, 3}: tau = (1.1 + 0.2 - 1) / 2 = 0.15 (Keras 3.15.1 gives [0, 0, 0.4])."""
    np.testing.assert_allclose(ops.sparsemax(np.array([-0.5, 0.2, 1.1])), [0, 0.05, 0.95],
                               atol=1e-12)
    np.testing.assert_allclose(ops.sparsemax(np.array([[0.1, 0.2, 0.3, 0.25]])),
                               [[0.1375, 0.2375, 0.3375, 0.2875]], atol=1e-12)  # tau = -0.0375


def test_sparsemax_jacobian_is_the_centred_identity_on_the_support():
    with Tape() as tape:
        x = tape.watch(np.array([-0.5, 0.2, 1.1]))
        y = ops.sparsemax(x)
    g = np.array([1.0, 2.0, 5.0])
    np.testing.assert_allclose(tape.backward(y, g)[id(x)], [0, -1.5, 1.5])


def test_conv_matches_the_definition():
    """ops.conv agrees with conv_naive (the sum written out) and with a hand-computed 1-D sum."""
    from kerastutor.layers.conv_im2col import conv_naive
    rng = np.random.default_rng(3)
    x, k = rng.normal(size=(2, 5, 4, 4)), rng.normal(size=(3, 2, 2, 6))
    np.testing.assert_allclose(ops.conv(x, k, strides=(2, 1), padding="same"),
                               conv_naive(x, k, (2, 1), "same", 1, groups=2), atol=1e-12)
    x = np.arange(5.0).reshape(1, 5, 1)
    np.testing.assert_allclose(ops.conv(x, np.ones((3, 1, 1)))[0, :, 0], [3, 6, 9])


def test_conv_transpose_is_the_input_gradient_of_conv():
    """<conv(u, W), v> = <u, conv_transpose(v, W)>: the same kernel, read the other way."""
    rng = np.random.default_rng(4)
    u, w = rng.normal(size=(1, 6, 6, 2)), rng.normal(size=(3, 3, 2, 3))
    v = rng.normal(size=(1, 3, 3, 3))
    z = ops.conv(u, w, strides=2, padding="same")
    back = ops.conv_transpose(v, w, strides=2, padding="same")
    assert back.shape == u.shape
    np.testing.assert_allclose(np.sum(z * v), np.sum(u * back), rtol=1e-12)


def test_pooling_goldens():
    x = np.array([1.0, 5.0, 2.0, 0.0, 3.0]).reshape(1, 5, 1)
    np.testing.assert_allclose(ops.max_pool(x, 2)[0, :, 0], [5, 2])
    np.testing.assert_allclose(ops.max_pool(x, 2, padding="same")[0, :, 0], [5, 2, 3])
    # 'same' averages only the real pixels: the last window is [3] alone
    np.testing.assert_allclose(ops.average_pool(x, 2, padding="same")[0, :, 0], [3, 1, 3])
    # uneven 'same' padding (1 before, 2 after): windows [1,5,2], [1,5,2,0], ..., [0,3]
    np.testing.assert_allclose(ops.average_pool(x, 4, 1, "same")[0, :, 0],
                               [8 / 3, 2.0, 2.5, 5 / 3, 1.5])


def test_adaptive_pool_windows_follow_pytorch():
    x = np.arange(5.0).reshape(1, 5, 1)
    # windows of 5 -> 3: [0, 2), [1, 4), [3, 5)
    np.testing.assert_allclose(ops.adaptive_average_pool(x, 3)[0, :, 0], [0.5, 2, 3.5])
    np.testing.assert_allclose(ops.adaptive_max_pool(x, 3)[0, :, 0], [1, 3, 4])


def test_fold_is_the_adjoint_of_unfold():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 5, 4))
    cols = ops.unfold(x, (2, 3), dilation=1, padding=1, stride=2)
    c = rng.normal(size=cols.shape)
    np.testing.assert_allclose(np.sum(cols * c),
                               np.sum(x * ops.fold(c, (5, 4), (2, 3), 1, 1, 2)), rtol=1e-12)
    # non-overlapping windows: fold undoes unfold exactly
    x = rng.normal(size=(1, 2, 4, 4))
    np.testing.assert_allclose(ops.fold(ops.unfold(x, 2, stride=2), 4, 2, stride=2), x)


def test_depth_to_space_undoes_space_to_depth():
    x = np.arange(32.0).reshape(1, 4, 4, 2)
    y = ops.space_to_depth(x, 2)
    assert y.shape == (1, 2, 2, 8)
    np.testing.assert_array_equal(y[0, 0, 0], [0, 1, 2, 3, 8, 9, 10, 11])
    np.testing.assert_array_equal(ops.depth_to_space(y, 2), x)


def test_moments_and_normalizations_golden():
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    mean, var = ops.moments(x, [0])
    np.testing.assert_allclose(mean, [2, 3.5])
    np.testing.assert_allclose(var, [1, 2.25])
    np.testing.assert_allclose(ops.layer_normalization(np.array([0.0, 2.0]), epsilon=0),
                               [-1, 1])
    np.testing.assert_allclose(ops.rms_normalization(np.array([3.0, 4.0]), epsilon=0),
                               [3 / np.sqrt(12.5), 4 / np.sqrt(12.5)])
    np.testing.assert_allclose(ops.normalize(np.array([3.0, 4.0])), [0.6, 0.8])
    np.testing.assert_allclose(ops.normalize(np.array([3.0, -1.0]), order=1), [0.75, -0.25])
    np.testing.assert_allclose(
        ops.batch_normalization(np.array([[3.0]]), np.array([1.0]), np.array([4.0]), -1,
                                offset=np.array([1.0]), scale=np.array([3.0]), epsilon=0),
        [[4.0]])


def test_layer_normalization_rms_scaling_warns_and_has_a_gradient():
    rng = np.random.default_rng(6)
    x, gamma = rng.normal(size=(3, 4)), rng.normal(size=4)
    with pytest.warns(UserWarning, match="deprecated"):
        y = ops.layer_normalization(x, gamma, rms_scaling=True)
    np.testing.assert_allclose(y, x / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-7) * gamma)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        case = OpCase("layer_normalization", lambda r: (x, gamma), {"rms_scaling": True},
                      grad=(0, 1))
        from op_cases import check_gradient
        check_gradient(case, 0)


def test_attention_golden_with_uniform_keys():
    """Equal keys give equal weights: the output is the mean of the values."""
    q = np.ones((1, 1, 1, 2))
    k = np.ones((1, 3, 1, 2))
    v = np.arange(6.0).reshape(1, 3, 1, 2)
    np.testing.assert_allclose(ops.dot_product_attention(q, k, v)[0, 0, 0], [2, 3])
    causal = ops.dot_product_attention(np.ones((1, 3, 1, 2)), k, v, is_causal=True)
    np.testing.assert_allclose(causal[0, :, 0], [[0, 1], [1, 2], [2, 3]])


def test_crossentropy_goldens():
    np.testing.assert_allclose(ops.binary_crossentropy(np.array([1.0, 0.0]),
                                                       np.array([0.8, 0.4])),
                               [-np.log(0.8), -np.log(0.6)])
    np.testing.assert_allclose(ops.binary_crossentropy(np.array([1.0]), np.array([0.0]),
                                                       from_logits=True), [np.log(2)])
    np.testing.assert_allclose(
        ops.categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[1.0, 3.0]])),
        [-np.log(0.75)])
    np.testing.assert_allclose(
        ops.sparse_categorical_crossentropy(np.array([1]), np.array([[0.0, 0.0]]),
                                            from_logits=True), [np.log(2)])


def test_ctc_loss_golden_and_brute_force():
    """One label, two steps: p = y(a)y(a) + y(_)y(a) + y(a)y(_) (the three alignments)."""
    rng = np.random.default_rng(7)
    logits = rng.normal(size=(1, 2, 3))
    y = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    p = y[0, 0, 1] * y[0, 1, 1] + y[0, 0, 0] * y[0, 1, 1] + y[0, 0, 1] * y[0, 1, 0]
    loss = ops.ctc_loss(np.array([[1]]), logits, np.array([1]), np.array([2]))
    np.testing.assert_allclose(loss, [-np.log(p)], rtol=1e-12)
    assert ops.ctc_loss(np.array([[1]]), logits.astype("float32"), np.array([1]),
                        np.array([2])).dtype == np.float32


def test_ctc_loss_ignores_steps_past_the_output_length():
    rng = np.random.default_rng(8)
    logits = rng.normal(size=(1, 6, 4))
    labels, lengths = np.array([[2, 3]]), np.array([2])
    short = ops.ctc_loss(labels, logits[:, :4], lengths, np.array([4]))
    padded = ops.ctc_loss(labels, logits, lengths, np.array([4]))
    np.testing.assert_allclose(padded, short, rtol=1e-12)
    with Tape() as tape:
        z = tape.watch(logits)
        out = ops.ctc_loss(labels, z, lengths, np.array([4]))
    grad = tape.backward(out, np.ones(1))[id(z)]
    assert np.all(grad[:, 4:] == 0)
    np.testing.assert_allclose(grad[:, :4].sum(-1), 0, atol=1e-12)   # softmax - occupancy


def test_ctc_decode_greedy_golden():
    # best classes 1 1 0 2 2 -> merge repeats, drop blanks (0): [1, 2]
    z = np.full((1, 5, 3), -1.0)
    for t, c in enumerate([1, 1, 0, 2, 2]):
        z[0, t, c] = 2.0
    paths, scores = ops.ctc_decode(z, np.array([5]))
    np.testing.assert_array_equal(paths, [[[1, 2, -1, -1, -1]]])
    np.testing.assert_allclose(scores, [[-10.0]])
    assert paths.dtype == np.int32


def test_ctc_beam_search_agrees_with_brute_force():
    """With a wide beam, the top path is the label sequence of largest total probability."""
    import itertools
    rng = np.random.default_rng(9)
    z = rng.normal(size=(1, 3, 3)) * 2
    y = np.exp(z[0]) / np.exp(z[0]).sum(-1, keepdims=True)
    totals = {}
    for alignment in itertools.product(range(3), repeat=3):
        labels = tuple(c for i, c in enumerate(alignment)
                       if c != 0 and (i == 0 or alignment[i - 1] != c))
        totals[labels] = totals.get(labels, 0) + np.prod(y[np.arange(3), alignment])
    best = max(totals, key=totals.get)
    paths, scores = ops.ctc_decode(z, np.array([3]), strategy="beam_search", beam_width=50)
    assert tuple(p for p in paths[0, 0] if p >= 0) == best
    np.testing.assert_allclose(scores[0, 0], np.log(totals[best]), rtol=1e-6)


def test_polar_value_and_gradient():
    rng = np.random.default_rng(10)
    r, theta = rng.uniform(0.5, 2, (2, 3)), rng.normal(size=(2, 3))
    w = ops.polar(r, theta)
    np.testing.assert_allclose(w, r * np.exp(1j * theta))
    assert ops.polar(r.astype("float32"), theta.astype("float32")).dtype == np.complex64
    gu, gv = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    with Tape() as tape:
        rt, tt = tape.watch(r), tape.watch(theta)
        out = ops.polar(rt, tt)
    grads = tape.backward(out, gu + 1j * gv)

    def loss(a, b):                 # L = sum(gu * Re w + gv * Im w)
        return np.sum(gu * a * np.cos(b) + gv * a * np.sin(b))
    for watched, (a, b), which in ((rt, (r, theta), 0), (tt, (r, theta), 1)):
        x = [a.copy(), b.copy()]
        numeric = gradcheck.numerical_gradient(
            lambda v: loss(*(x[:which] + [v] + x[which + 1:])), x[which])
        np.testing.assert_allclose(grads[id(watched)], numeric, rtol=1e-6, atol=1e-8)


def test_one_hot_and_multi_hot():
    np.testing.assert_array_equal(ops.one_hot(np.array([0, 2, -1]), 3),
                                  [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert ops.one_hot(np.array([1]), 2).dtype == np.float32
    np.testing.assert_array_equal(ops.multi_hot(np.array([[0, 2], [1, 1]]), 4),
                                  [[1, 0, 1, 0], [0, 1, 0, 0]])
    np.testing.assert_array_equal(ops.multi_hot(np.array([0, 3]), num_tokens=4), [1, 0, 0, 1])


def test_float32_in_float32_out():
    x = np.random.default_rng(11).normal(size=(1, 4, 4, 2)).astype("float32")
    k = np.ones((2, 2, 2, 3), "float32")
    for y in (ops.conv(x, k), ops.max_pool(x, 2), ops.average_pool(x, 2, padding="same"),
              ops.adaptive_average_pool(x, 3), ops.layer_normalization(x),
              ops.rms_normalization(x), ops.normalize(x), ops.moments(x, [1, 2])[1],
              ops.psnr(x, x + 1, 1.0), ops.binary_crossentropy(x * 0, x, from_logits=True),
              ops.conv_transpose(x, np.ones((2, 2, 3, 2), "float32"), 2)):
        assert y.dtype == np.float32


def test_ops_record_on_the_tape_with_every_operand_kind():
    """A custom layer may pass Weights, lists or numbers: values are read, operands recorded."""
    from kerastutor.weight import Weight
    w = Weight(np.ones((2, 1, 1)), name="kernel")
    x = np.arange(4.0).reshape(1, 4, 1)
    with Tape() as tape:
        xt = tape.watch(x)
        y = ops.conv(xt, w)
    assert isinstance(y, Traced)
    w.zero_grad()
    tape.backward(y, np.ones((1, 3, 1)))
    np.testing.assert_allclose(w.grad.ravel(), [0 + 1 + 2, 1 + 2 + 3])
    np.testing.assert_allclose(ops.softmax([1.0, 1.0]), [0.5, 0.5])          # a list
    np.testing.assert_allclose(ops.psnr([0.0, 0.0], [0.1, 0.1], 1.0), 20.0)  # lists, a number


# --------------------------------------------------------------------------- kind errors
@pytest.mark.parametrize("call, words", [
    (lambda: ops.conv(np.ones((1, 4, 1)), np.ones((2, 1, 1)), padding="causal"),
     ["ops.conv", "`padding`", "'valid' or 'same'", "causal"]),
    (lambda: ops.conv(np.ones((1, 4, 1)), np.ones((2, 1, 1)), data_format="NHWC"),
     ["ops.conv", "`data_format`", "NHWC"]),
    (lambda: ops.conv(np.ones((4, 1)), np.ones((2, 1, 1))), ["ops.conv", "`inputs`", "rank"]),
    (lambda: ops.conv(np.ones((1, 4, 3)), np.ones((2, 2, 1))), ["ops.conv", "`kernel`"]),
    (lambda: ops.max_pool(np.ones((1, 4, 1)), 0), ["ops.max_pool", "`pool_size`"]),
    (lambda: ops.max_pool(np.ones((1, 2, 1)), 3), ["ops.max_pool", "padding='same'"]),
    (lambda: ops.depth_to_space(np.ones((1, 2, 2, 3)), 2), ["ops.depth_to_space", "divisible"]),
    (lambda: ops.space_to_depth(np.ones((1, 3, 2, 1)), 2), ["ops.space_to_depth", "divisible"]),
    (lambda: ops.unfold(np.ones((2, 4, 4)), 2), ["ops.unfold", "4-D"]),
    (lambda: ops.fold(np.ones((1, 5, 4)), 3, 2), ["ops.fold", "`x`"]),
    (lambda: ops.normalize(np.ones(3), order=0), ["ops.normalize", "`order`", ">= 1"]),
    (lambda: ops.dot_product_attention(np.ones((1, 2, 1, 2)), np.ones((1, 2, 1, 2)),
                                       np.ones((1, 2, 1, 2)), bias=np.zeros(1),
                                       mask=np.ones(1)), ["`bias` or `mask`"]),
    (lambda: ops.dot_product_attention(np.ones((2, 1, 2)), np.ones((2, 1, 2)),
                                       np.ones((2, 1, 2))), ["4-D"]),
    (lambda: ops.binary_crossentropy(np.ones(3), np.ones(2) / 2), ["`target`", "same shape"]),
    (lambda: ops.sparse_categorical_crossentropy(np.ones(2), np.ones((3, 2))), ["`target`"]),
    (lambda: ops.psnr(np.ones(3), np.ones(2), 1.0), ["ops.psnr", "same shape"]),
    (lambda: ops.ctc_decode(np.ones((1, 2, 3)), np.array([2]), strategy="best"),
     ["ops.ctc_decode", "`strategy`"]),
    (lambda: ops.batch_normalization(np.ones((2, 3)), np.ones(2), np.ones(3), -1),
     ["ops.batch_normalization", "length"]),
])
def test_kind_errors_name_the_op_the_argument_and_the_fix(call, words):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    for word in words:
        assert word in message
    assert "Fix:" in message
