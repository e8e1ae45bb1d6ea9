"""Real Keras 3 (torch backend) as the oracle for every layer family, one layer at a time.

For each case the *same* constructor call is made in ``keras.layers`` and in
``kerastutor.layers``; Keras's weights (set to random values, so that
``gamma=1, beta=0`` cannot hide a mistake) are copied into ours with
``set_weights(keras_layer.get_weights())`` -- which also checks that the
weight names, shapes and order agree. Then, with one fixed random upstream
gradient ``g`` per output:

* Keras: torch tensors with ``requires_grad``, ``y = layer(x)``, autograd of
  ``sum(g * y)`` gives ``dL/dx`` and ``dL/dW`` (``variable.value.grad``);
* ours: ``y, cache = layer.forward(x)``, zeroed ``weight.grad``,
  ``dx = layer.backward(cache, g)``.

Forward outputs, input gradients and trainable-weight gradients must agree
to float32 round-off. A few whole models are also trained side by side.

Run by ``tox -e keras`` (KERAS_BACKEND=torch, KERASTUTOR_ORACLE=1); the default
test environment does not collect this folder.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import kerastutor  # noqa: E402

# Should a CUDA build of torch find a GPU, Keras computes there: keep its float32
# convolutions and matmuls in full float32 (no TF32), as on the CPU.
torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False

# float32 everywhere. Sums of a few hundred float32 products differ between
# BLAS/oneDNN and NumPy by a few ulps of the largest term, hence an absolute
# tolerance scaled by the largest reference value.
RTOL = 1e-5
ATOL = 1e-5


def _close(ours, theirs, what, rtol=RTOL, atol=ATOL):
    theirs = np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != Keras {theirs.shape}"
    scale = max(1.0, float(np.abs(theirs).max())) if theirs.size else 1.0
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol * scale, err_msg=what)


def _as_list(v):
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _shape_list(shape):
    """One output shape or a list of them, as a list of tuples."""
    if shape and isinstance(shape[0], (list, tuple)):
        return [tuple(s) for s in shape]
    return [tuple(shape)]


MERGING = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "Dot"}


def _takes_a_list(cls, shapes):
    return len(shapes) > 1 or cls in MERGING


def _random_weights(layer, rng):
    """Random stand-ins for Keras's initial values (moving variances kept positive)."""
    out = []
    for w in layer.weights:
        r = rng.normal(scale=0.5, size=tuple(w.shape))
        if "variance" in w.path:
            r = np.abs(r) + 0.5
        out.append(r.astype(keras.ops.convert_to_numpy(w.value).dtype))
    return out


def _keras_pass(layer, xs, gs, training, multi, reference=None):
    """Forward and autograd backward in Keras; xs and gs are lists of arrays.

    ``reference`` (torch tensors -> torch tensor) stands in for the Keras
    layer where Keras's torch backend departs from Keras's own semantics.
    """
    tx = [torch.tensor(x, requires_grad=True) for x in xs]
    if reference is not None:
        y = reference(*tx)
    else:
        y = layer(tx if multi else tx[0], training=training)
    ys = _as_list(y)
    loss = sum((torch.tensor(g, device=yy.device) * yy).sum() for g, yy in zip(gs, ys))
    loss.backward()
    y_np = [yy.detach().cpu().numpy() for yy in ys]
    for t in tx:
        assert t.grad is not None, "Keras's output does not depend on an input"
    dx = [t.grad.cpu().numpy() for t in tx]
    dw = []
    for w in layer.trainable_weights:
        grad = w.value.grad
        assert grad is not None, f"{w.path}: no gradient reached this Keras weight"
        dw.append(grad.detach().cpu().numpy())
    return y_np, dx, dw


def _our_pass(layer, xs, gs, training):
    multi = layer.takes_a_list
    y, cache = layer.forward(xs if multi else xs[0], training=training)
    for w in layer.weights:
        w.zero_grad()
    ys = _as_list(y)
    dx = layer.backward(cache, gs if len(ys) > 1 else gs[0])
    dw = [w.grad.copy() for w in layer.trainable_weights]
    return ys, _as_list(dx), dw


def make_pair(cls, kwargs, shapes, seed=0, copy_weights=True):
    """The Keras layer and ours, both built, with the same (random) weights."""
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=s).astype(kwargs.get("dtype", "float32")) for s in shapes]
    multi = _takes_a_list(cls, shapes)
    theirs = getattr(keras.layers, cls)(**kwargs)
    ours = getattr(kerastutor.layers, cls)(**kwargs)
    theirs(xs if multi else xs[0])
    ours(xs if multi else xs[0])
    if copy_weights:
        theirs.set_weights(_random_weights(theirs, rng))
        ours.set_weights(theirs.get_weights())
    return theirs, ours, xs, rng


def compare(cls, kwargs, shapes, training=False, seed=0, rtol=RTOL, atol=ATOL,
            reference=None):
    """Forward, dL/dx, dL/dW (and moving statistics) of ours against Keras's."""
    theirs, ours, xs, rng = make_pair(cls, kwargs, shapes, seed)
    multi = _takes_a_list(cls, shapes)
    # upstream gradients: one per output, shaped as Keras's outputs
    probe = _as_list(theirs(xs if multi else xs[0], training=False))
    gs = [rng.normal(size=tuple(p.shape)).astype(xs[0].dtype) for p in probe]
    y_k, dx_k, dw_k = _keras_pass(theirs, xs, gs, training, multi, reference)
    y_o, dx_o, dw_o = _our_pass(ours, xs, gs, training)
    assert len(y_o) == len(y_k), f"{cls}: {len(y_o)} outputs, Keras gives {len(y_k)}"
    for a, b in zip(y_o + dx_o + dw_o, y_k + dx_k + dw_k):
        assert a.dtype == b.dtype, f"{cls}{kwargs}: dtype {a.dtype}, Keras {b.dtype}"
    for i, (a, b) in enumerate(zip(y_o, y_k)):
        _close(a, b, f"{cls}{kwargs}: forward output {i}", rtol, atol)
    # the symbolic shape (batch unknown) agrees too
    in_shapes = [(None,) + tuple(s[1:]) for s in shapes]
    arg = in_shapes if multi else in_shapes[0]
    assert _shape_list(ours.compute_output_shape(arg)) == \
        _shape_list(theirs.compute_output_shape(arg)), f"{cls}{kwargs}: compute_output_shape"
    for i, (a, b) in enumerate(zip(dx_o, dx_k)):
        _close(a, b, f"{cls}{kwargs}: dL/dx input {i}", rtol, atol)
    names = [w.path.split("/")[-1] for w in theirs.trainable_weights]
    assert len(dw_o) == len(dw_k), f"{cls}: trainable weights {len(dw_o)} vs Keras {names}"
    for name, a, b in zip(names, dw_o, dw_k):
        _close(a, b, f"{cls}{kwargs}: dL/d{name}", rtol, atol)
    # a training call moves BatchNormalization's moving statistics the same way
    for a, b, w in zip(ours.get_weights(), theirs.get_weights(), theirs.weights):
        _close(a, b, f"{cls}{kwargs}: {w.path} after the call", rtol, atol)
    return theirs, ours


def xfail(*values, reason):
    """A case where ours is known to differ from Keras (the layer owners fix it)."""
    return pytest.param(*values, marks=pytest.mark.xfail(strict=True, reason=reason))


# ------------------------------------------------------------------ convolution
CONV_CASES = [
    # Conv1D, input (batch, steps, channels) = (2, 9, 4)
    ("Conv1D", dict(filters=3, kernel_size=3), (2, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=3, padding="same"), (2, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=4, padding="same"), (2, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=3, padding="causal"), (2, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=3, strides=2), (2, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=2, strides=2, padding="same"), (2, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=3, strides=3, padding="causal"), (2, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=3, dilation_rate=2), (2, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=2, dilation_rate=3, padding="same"), (2, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=3, dilation_rate=2, padding="causal"), (2, 9, 4)),
    ("Conv1D", dict(filters=6, kernel_size=3, groups=2, activation="tanh"), (2, 9, 4)),
    ("Conv1D", dict(filters=4, kernel_size=2, groups=4, padding="causal"), (2, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=3, data_format="channels_first",
                    padding="same"), (2, 4, 9)),
    ("Conv1D", dict(filters=3, kernel_size=3, use_bias=False, activation="relu"), (2, 9, 4)),
    ("Conv1D", dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2,
                    data_format="channels_first"), (2, 4, 9)),
    # Conv2D, input (2, 7, 8, 4)
    ("Conv2D", dict(filters=3, kernel_size=3), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=3, kernel_size=3, padding="same"), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=3, kernel_size=2, padding="same"), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=3, kernel_size=4, padding="same"), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=3, kernel_size=2, strides=2, padding="same"), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=3, kernel_size=4, strides=3, padding="same"), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=3, kernel_size=(2, 3), strides=(2, 1)), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=3, kernel_size=3, dilation_rate=2), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=3, kernel_size=2, dilation_rate=(2, 3), padding="same"),
     (2, 7, 8, 4)),
    ("Conv2D", dict(filters=6, kernel_size=3, groups=2, padding="same"), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=4, kernel_size=2, groups=4), (2, 7, 8, 4)),
    ("Conv2D", dict(filters=3, kernel_size=3, data_format="channels_first"), (2, 4, 7, 8)),
    ("Conv2D", dict(filters=3, kernel_size=2, strides=2, padding="same",
                    data_format="channels_first"), (2, 4, 7, 8)),
    ("Conv2D", dict(filters=4, kernel_size=3, groups=2, strides=2, padding="same",
                    data_format="channels_first"), (2, 4, 7, 8)),
    # Conv3D, input (2, 5, 6, 4, 2)
    ("Conv3D", dict(filters=3, kernel_size=2), (2, 5, 6, 4, 2)),
    ("Conv3D", dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 5, 6, 4, 2)),
    ("Conv3D", dict(filters=3, kernel_size=(2, 3, 2), padding="same",
                    dilation_rate=(1, 2, 1)), (2, 5, 6, 4, 2)),
    ("Conv3D", dict(filters=4, kernel_size=2, groups=2), (2, 5, 6, 4, 2)),
    ("Conv3D", dict(filters=3, kernel_size=2, data_format="channels_first"),
     (2, 2, 5, 6, 4)),
]


@pytest.mark.parametrize("cls, kwargs, shape", CONV_CASES)
def test_convolution_matches_keras(cls, kwargs, shape):
    compare(cls, kwargs, [shape])


# ---------------------------------------------------------------------- pooling
POOL_CASES = []
for _kind in ("Max", "Average"):
    POOL_CASES += [
        (f"{_kind}Pooling1D", dict(pool_size=2), (2, 9, 3)),
        (f"{_kind}Pooling1D", dict(pool_size=3, strides=2), (2, 9, 3)),
        (f"{_kind}Pooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 10, 3)),
        (f"{_kind}Pooling1D", dict(pool_size=2, strides=3, padding="same"), (2, 10, 3)),
        (f"{_kind}Pooling1D", dict(pool_size=2, padding="same",
                                   data_format="channels_first"), (2, 3, 9)),
        (f"{_kind}Pooling2D", dict(pool_size=2), (2, 7, 8, 3)),
        (f"{_kind}Pooling2D", dict(pool_size=3, strides=2), (2, 7, 8, 3)),
        (f"{_kind}Pooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 8, 3)),
        (f"{_kind}Pooling2D", dict(pool_size=(2, 3), strides=(1, 2), padding="same"),
         (2, 7, 8, 3)),
        (f"{_kind}Pooling2D", dict(pool_size=2, padding="same"), (2, 7, 8, 3)),
        (f"{_kind}Pooling2D", dict(pool_size=2, strides=1, data_format="channels_first"),
         (2, 3, 5, 6)),
        (f"{_kind}Pooling3D", dict(pool_size=2), (2, 4, 5, 6, 2)),
        (f"{_kind}Pooling3D", dict(pool_size=3, strides=2), (2, 5, 5, 6, 2)),
        (f"{_kind}Pooling3D", dict(pool_size=2, strides=1, padding="same"), (2, 3, 4, 5, 2)),
        (f"{_kind}Pooling3D", dict(pool_size=3, strides=2, padding="same"), (2, 4, 5, 6, 2)),
        (f"{_kind}Pooling3D", dict(pool_size=3, strides=2, padding="same",
                                   data_format="channels_first"), (2, 2, 4, 5, 6)),
    ]
for _kind in ("Max", "Average"):
    for _keep in (False, True):
        POOL_CASES += [
            (f"Global{_kind}Pooling1D", dict(keepdims=_keep), (2, 7, 3)),
            (f"Global{_kind}Pooling2D", dict(keepdims=_keep), (2, 5, 6, 3)),
            (f"Global{_kind}Pooling3D", dict(keepdims=_keep), (2, 3, 4, 5, 2)),
            (f"Global{_kind}Pooling2D", dict(keepdims=_keep, data_format="channels_first"),
             (2, 3, 5, 6)),
            (f"Global{_kind}Pooling1D", dict(keepdims=_keep, data_format="channels_first"),
             (2, 3, 7)),
            (f"Global{_kind}Pooling3D", dict(keepdims=_keep, data_format="channels_first"),
             (2, 3, 3, 4, 2)),
        ]


def _average_pool_reference(cls, kwargs):
    """Keras's "same" average pooling: window sum / number of *real* entries.

    That is what Keras's TensorFlow and JAX backends compute (the JAX one
    divides the zero-padded window sums by the window sums of a tensor of
    ones). Keras 3.15.1's torch backend instead pads an *uneven* "same"
    padding with ``mode="replicate"``, so a window holding two or more real
    values and one padded position averages a copy of the edge value too
    (``keras/src/backend/torch/nn.py``, ``_apply_same_padding``). Where the
    padding is even it calls torch with ``count_include_pad=False`` and is
    right; ``test_average_pool_reference_agrees_with_keras`` checks this
    stand-in against Keras there.
    """
    rank = int(cls[-2])
    pool = kwargs["pool_size"]
    pool = (pool,) * rank if isinstance(pool, int) else tuple(pool)
    strides = kwargs.get("strides") or pool
    strides = (strides,) * rank if isinstance(strides, int) else tuple(strides)
    first = kwargs.get("data_format") == "channels_first"
    pool_fn = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[rank]

    def reference(x):
        if not first:
            x = x.movedim(-1, 1)
        pads = []
        for n, k, s in zip(x.shape[2:], pool, strides):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))     # extra one at the end
        flat = [p for pair in reversed(pads) for p in pair]  # F.pad: last axis first
        sums = pool_fn(F.pad(x, flat), pool, strides)
        counts = pool_fn(F.pad(torch.ones_like(x), flat), pool, strides)
        y = sums / counts
        return y if first else y.movedim(1, -1)
    return reference


@pytest.mark.parametrize("cls, kwargs, shape", POOL_CASES)
def test_pooling_matches_keras(cls, kwargs, shape):
    reference = None
    if cls.startswith("AveragePooling") and kwargs.get("padding") == "same":
        reference = _average_pool_reference(cls, kwargs)
    compare(cls, kwargs, [shape], reference=reference)


@pytest.mark.parametrize("cls, kwargs, shape", [
    ("AveragePooling1D", dict(pool_size=3, strides=1, padding="same"), (2, 9, 3)),
    ("AveragePooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 9, 3)),
    ("AveragePooling3D", dict(pool_size=(3, 1, 3), strides=1, padding="same",
                              data_format="channels_first"), (2, 2, 3, 4, 5)),
])
def test_average_pool_reference_agrees_with_keras(cls, kwargs, shape):
    """Where the "same" padding is even, Keras-torch is right: the stand-in must agree."""
    x = np.random.default_rng(3).normal(size=shape).astype("float32")
    theirs = keras.ops.convert_to_numpy(getattr(keras.layers, cls)(**kwargs)(x))
    mine = _average_pool_reference(cls, kwargs)(torch.tensor(x)).numpy()  # on the CPU
    _close(mine, theirs, f"{cls}{kwargs}: reference")


# Ties: integer-valued inputs make many windows hold their maximum twice.
def _tied_inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 3, size=s).astype("float32") for s in shapes], rng


def _tie_pair(cls, kwargs, shapes):
    xs, rng = _tied_inputs(shapes)
    multi = _takes_a_list(cls, shapes)
    theirs = getattr(keras.layers, cls)(**kwargs)
    ours = getattr(kerastutor.layers, cls)(**kwargs)
    probe = _as_list(theirs(xs if multi else xs[0]))
    ours(xs if multi else xs[0])
    gs = [rng.normal(size=tuple(p.shape)).astype("float32") for p in probe]
    return theirs, ours, xs, gs


@pytest.mark.parametrize("cls, kwargs, shape", [
    ("MaxPooling1D", dict(pool_size=3, strides=2), (2, 9, 2)),
    ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 10, 2)),
    ("MaxPooling2D", dict(pool_size=2), (2, 6, 6, 2)),
    ("MaxPooling2D", dict(pool_size=3, strides=1, padding="same"), (2, 5, 6, 2)),
    ("MaxPooling3D", dict(pool_size=2, strides=1), (2, 3, 4, 4, 2)),
])
def test_max_pooling_ties_go_to_the_first_maximum_as_in_keras(cls, kwargs, shape):
    """In a window holding its maximum twice, the first one (row-major) gets dL/dy."""
    theirs, ours, xs, gs = _tie_pair(cls, kwargs, [shape])
    y_k, dx_k, _ = _keras_pass(theirs, xs, gs, False, len(xs) > 1)
    y_o, dx_o, _ = _our_pass(ours, xs, gs, False)
    _close(y_o[0], y_k[0], f"{cls}: forward with ties")
    _close(dx_o[0], dx_k[0], f"{cls}: dL/dx with ties")



@pytest.mark.parametrize("cls, kwargs, shape", [
    ("GlobalMaxPooling1D", dict(), (2, 9, 2)),
    ("GlobalMaxPooling2D", dict(keepdims=True), (2, 4, 4, 2)),
    ("GlobalMaxPooling3D", dict(data_format="channels_first"), (2, 2, 3, 2, 3)),
])
def test_global_max_pooling_ties_split_the_gradient_as_in_keras(cls, kwargs, shape):
    theirs, ours, xs, gs = _tie_pair(cls, kwargs, [shape])
    y_k, dx_k, _ = _keras_pass(theirs, xs, gs, False, len(xs) > 1)
    y_o, dx_o, _ = _our_pass(ours, xs, gs, False)
    _close(y_o[0], y_k[0], f"{cls}: forward with ties")
    _close(dx_o[0], dx_k[0], f"{cls}: dL/dx with ties")


# -------------------------------------------------------------------- reshaping
RESHAPE_CASES = [
    ("ZeroPadding1D", dict(padding=2), (2, 5, 3)),
    ("ZeroPadding1D", dict(padding=(1, 3)), (2, 5, 3)),
    ("ZeroPadding2D", dict(padding=1), (2, 4, 5, 3)),
    ("ZeroPadding2D", dict(padding=((1, 2), (3, 0))), (2, 4, 5, 3)),
    ("ZeroPadding2D", dict(padding=(2, 1), data_format="channels_first"), (2, 3, 4, 5)),
    ("ZeroPadding2D", dict(padding=((0, 2), (1, 0)), data_format="channels_first"),
     (2, 3, 5, 6)),
    ("ZeroPadding3D", dict(padding=((1, 0), (0, 2), (1, 1))), (2, 3, 4, 2, 3)),
    ("Cropping1D", dict(cropping=(1, 2)), (2, 6, 3)),
    ("Cropping1D", dict(cropping=2), (2, 6, 3)),
    ("Cropping2D", dict(cropping=((1, 0), (2, 1))), (2, 5, 6, 3)),
    ("Cropping2D", dict(cropping=1, data_format="channels_first"), (2, 3, 5, 6)),
    ("Cropping2D", dict(cropping=((0, 2), (1, 0))), (2, 5, 6, 3)),
    ("Cropping3D", dict(cropping=((1, 0), (0, 2), (1, 1))), (2, 4, 5, 4, 2)),
    ("UpSampling1D", dict(size=3), (2, 4, 3)),
    ("UpSampling2D", dict(size=(2, 3)), (2, 3, 4, 2)),
    ("UpSampling2D", dict(size=2, data_format="channels_first"), (2, 2, 3, 4)),
    ("UpSampling3D", dict(size=(2, 1, 3)), (2, 2, 3, 2, 2)),
    ("ZeroPadding3D", dict(padding=(1, 2, 0), data_format="channels_first"),
     (2, 2, 3, 2, 4)),
    ("Cropping3D", dict(cropping=(1, 0, 2), data_format="channels_first"), (2, 2, 3, 2, 5)),
    ("UpSampling3D", dict(size=2, data_format="channels_first"), (2, 2, 2, 3, 1)),
    ("RepeatVector", dict(n=3), (2, 4)),
    ("Permute", dict(dims=(2, 1)), (2, 3, 4)),
    ("Permute", dict(dims=(3, 1, 2)), (2, 3, 4, 5)),
    ("Permute", dict(dims=(1, 3, 2)), (2, 3, 4, 5)),
]


@pytest.mark.parametrize("cls, kwargs, shape", RESHAPE_CASES)
def test_reshaping_matches_keras(cls, kwargs, shape):
    compare(cls, kwargs, [shape])


@pytest.mark.parametrize("kwargs, shape", [
    (dict(size=(2, 3), interpolation="bilinear"), (2, 3, 4, 2)),
    (dict(size=(3, 2), interpolation="bilinear", data_format="channels_first"), (2, 2, 3, 4)),
])
def test_upsampling2d_bilinear_matches_keras(kwargs, shape):
    compare("UpSampling2D", kwargs, [shape])


# ---------------------------------------------------------------------- merging
MERGE_CASES = [
    ("Add", dict(), [(3, 4, 5)] * 3),
    ("Subtract", dict(), [(3, 4, 5)] * 2),
    ("Multiply", dict(), [(3, 4, 5)] * 3),
    ("Average", dict(), [(3, 4, 5)] * 3),
    ("Maximum", dict(), [(3, 4, 5)] * 3),
    ("Minimum", dict(), [(3, 4, 5)] * 2),
    ("Add", dict(), [(3, 4, 5), (3, 1, 5)]),
    ("Multiply", dict(), [(3, 4, 5), (3, 4, 1)]),
    ("Concatenate", dict(), [(3, 4, 5), (3, 4, 2)]),
    ("Concatenate", dict(axis=1), [(3, 4, 5), (3, 2, 5), (3, 1, 5)]),
    ("Concatenate", dict(axis=-2), [(3, 2, 5), (3, 3, 5)]),
    ("Dot", dict(axes=1), [(3, 5), (3, 5)]),
    ("Dot", dict(axes=1, normalize=True), [(3, 5), (3, 5)]),
    ("Dot", dict(axes=(2, 2)), [(3, 4, 5), (3, 6, 5)]),
    ("Dot", dict(axes=(1, 1), normalize=True), [(3, 4, 5), (3, 4, 6)]),
    ("Dot", dict(axes=(2, 1), normalize=True), [(3, 4, 5), (3, 5, 6)]),
    ("Dot", dict(axes=-1, normalize=True), [(3, 4, 5), (3, 2, 5)]),
    ("Dot", dict(axes=(1, 2)), [(3, 5, 4), (3, 6, 5)]),
    ("Add", dict(), [(3, 4, 5), (3, 5)]),
    ("Subtract", dict(), [(3, 1, 5), (3, 4, 5)]),
    ("Maximum", dict(), [(3, 4, 5), (3, 4, 1)]),
    ("Average", dict(), [(3, 4, 5), (3, 1, 5)]),
]


@pytest.mark.parametrize("cls, kwargs, shapes", MERGE_CASES)
def test_merging_matches_keras(cls, kwargs, shapes):
    compare(cls, kwargs, shapes)


@pytest.mark.parametrize("cls, pick", [("Maximum", np.greater_equal),
                                       ("Minimum", np.less_equal)])
def test_maximum_minimum_ties(cls, pick):
    """Where inputs tie, Keras's backends disagree: TF gives dL/dy to the first input
    (``x >= y``), torch and JAX give half to each. Ours follows TF; checked here are the
    forward values, the TF rule, and that the total gradient equals Keras-torch's."""
    theirs, ours, xs, gs = _tie_pair(cls, {}, [(4, 6), (4, 6)])
    assert (xs[0] == xs[1]).any()
    y_k, dx_k, _ = _keras_pass(theirs, xs, gs, False, len(xs) > 1)
    y_o, dx_o, _ = _our_pass(ours, xs, gs, False)
    _close(y_o[0], y_k[0], f"{cls}: forward with ties")
    first = pick(xs[0], xs[1])
    _close(dx_o[0], np.where(first, gs[0], 0), f"{cls}: dL/dx0, TF's rule")
    _close(dx_o[1], np.where(first, 0, gs[0]), f"{cls}: dL/dx1, TF's rule")
    _close(dx_o[0] + dx_o[1], dx_k[0] + dx_k[1], f"{cls}: total gradient")


# ---------------------------------------------------------------- normalization
NORM_CASES = [
    ("BatchNormalization", dict(), (6, 4), True),
    ("BatchNormalization", dict(), (6, 4), False),
    ("BatchNormalization", dict(momentum=0.8, epsilon=1e-2), (3, 4, 5, 3), True),
    ("BatchNormalization", dict(axis=1), (3, 4, 5, 3), True),
    ("BatchNormalization", dict(axis=1), (3, 4, 5, 3), False),
    ("BatchNormalization", dict(center=False), (6, 5, 3), True),
    ("BatchNormalization", dict(scale=False), (6, 5, 3), True),
    ("LayerNormalization", dict(), (3, 4, 6), False),
    ("LayerNormalization", dict(axis=[1, 2]), (3, 4, 6), False),
    ("LayerNormalization", dict(axis=[1, 3], epsilon=1e-2), (3, 4, 2, 5), False),
    ("LayerNormalization", dict(axis=[-2, -1]), (3, 4, 2, 5), False),
    ("LayerNormalization", dict(center=False), (3, 6), False),
    ("LayerNormalization", dict(scale=False), (3, 6), False),
    ("LayerNormalization", dict(rms_scaling=True), (3, 4, 6), False),
    ("GroupNormalization", dict(groups=2), (3, 5, 4), False),
    ("GroupNormalization", dict(groups=3, epsilon=1e-2), (3, 4, 5, 6), False),
    ("GroupNormalization", dict(groups=-1), (3, 5, 4), False),
    ("GroupNormalization", dict(groups=2, axis=1), (3, 4, 5), False),
    ("GroupNormalization", dict(groups=2, center=False, scale=False), (3, 5, 4), False),
    ("UnitNormalization", dict(), (3, 6), False),
    ("UnitNormalization", dict(axis=1), (3, 4, 5), False),
    ("UnitNormalization", dict(axis=[1, 2]), (3, 4, 5), False),
    ("UnitNormalization", dict(axis=-2), (3, 4, 5), False),
    ("LayerNormalization", dict(axis=[1, 3], rms_scaling=True), (3, 4, 2, 5), False),
]


@pytest.mark.parametrize("cls, kwargs, shape, training", NORM_CASES)
def test_normalization_matches_keras(cls, kwargs, shape, training):
    compare(cls, kwargs, [shape], training=training)


@pytest.mark.parametrize("kwargs, shape", [
    (dict(axis=1, epsilon=1e-2), (3, 4, 6)),
    (dict(axis=[1, 2]), (3, 4, 5, 2)),
    (dict(axis=-2, center=False), (3, 4, 5, 2)),
])
def test_layernorm_on_leading_axes_matches_keras(kwargs, shape, monkeypatch):
    """Normalising over axes that are contiguous but not the last ones.

    Keras 3.15.1's torch backend sends every contiguous ``axis`` to
    ``torch.nn.functional.layer_norm``, which only normalises *trailing* axes,
    so ``LayerNormalization(axis=1)`` on a rank-3 input raises inside Keras.
    Turning that fast path off runs Keras's own backend-independent formula
    (``keras/src/ops/nn.py``, ``_layer_normalization``: moments over ``axis``,
    ``x * inv + (beta - mean * inv)`` with ``inv = gamma / sqrt(var + eps)``).
    """
    from keras.src.ops import nn as keras_nn
    monkeypatch.setattr(keras_nn, "is_continuous_axis", lambda axis: False)
    compare("LayerNormalization", kwargs, [shape])


def test_batchnorm_moving_statistics_then_inference_match_keras():
    theirs, ours, xs, rng = make_pair("BatchNormalization", dict(momentum=0.7), [(8, 3)])
    for step in range(3):
        x = rng.normal(loc=step, scale=1 + step, size=(8, 3)).astype("float32")
        theirs(x, training=True)
        ours.forward(x, training=True)
    for a, b, w in zip(ours.get_weights(), theirs.get_weights(), theirs.weights):
        _close(a, b, f"BatchNormalization: {w.path} after 3 training calls")
    x = rng.normal(size=(5, 3)).astype("float32")
    y_theirs = keras.ops.convert_to_numpy(theirs(x, training=False))
    _close(ours.forward(x, training=False)[0], y_theirs, "inference after training")


# -------------------------------------------------------------------- recurrent
RNN_CASES = []
for _cls in ("SimpleRNN", "LSTM", "GRU"):
    RNN_CASES += [
        (_cls, dict(units=3)),
        (_cls, dict(units=3, return_sequences=True)),
        (_cls, dict(units=3, return_state=True)),
        (_cls, dict(units=3, return_sequences=True, return_state=True)),
        (_cls, dict(units=3, go_backwards=True)),
        (_cls, dict(units=3, go_backwards=True, return_sequences=True, return_state=True)),
        (_cls, dict(units=3, use_bias=False, activation="relu")),
    ]
RNN_CASES += [
    ("GRU", dict(units=3, reset_after=False)),
    ("GRU", dict(units=3, reset_after=False, return_sequences=True, return_state=True)),
    ("GRU", dict(units=3, reset_after=False, go_backwards=True, return_sequences=True)),
    ("LSTM", dict(units=3, unit_forget_bias=False, recurrent_activation="hard_sigmoid",
                  return_sequences=True)),
    ("GRU", dict(units=3, recurrent_activation="tanh", return_sequences=True)),
    ("GRU", dict(units=3, reset_after=False, use_bias=False, return_state=True)),
    # dropout only acts in training: at inference these are the plain layers
    ("SimpleRNN", dict(units=3, dropout=0.3, recurrent_dropout=0.2)),
    ("LSTM", dict(units=3, dropout=0.3, recurrent_dropout=0.2, return_sequences=True)),
    ("GRU", dict(units=3, dropout=0.3, recurrent_dropout=0.2, return_state=True)),
]


@pytest.mark.parametrize("cls, kwargs", RNN_CASES)
def test_recurrent_matches_keras(cls, kwargs):
    compare(cls, kwargs, [(2, 5, 4)])


@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
def test_stateful_recurrent_carries_state_like_keras(cls):
    """stateful=True: each batch starts from the last batch's final state until reset."""
    theirs, ours, _, rng = make_pair(cls, dict(units=3, stateful=True, return_sequences=True),
                                     [(2, 5, 4)])
    theirs.reset_states()
    ours.reset_states()
    for step in range(3):
        if step == 2:
            theirs.reset_states()
            ours.reset_states()
        x = rng.normal(size=(2, 5, 4)).astype("float32")
        _close(ours.forward(x)[0], keras.ops.convert_to_numpy(theirs(x)),
               f"{cls}(stateful=True): batch {step}")


def test_frozen_batchnorm_runs_in_inference_mode_like_keras():
    """trainable=False: BatchNormalization uses its moving statistics even in training."""
    theirs, ours, xs, _ = make_pair("BatchNormalization", dict(), [(6, 4)])
    theirs.trainable = False
    ours.trainable = False
    y_theirs = keras.ops.convert_to_numpy(theirs(xs[0], training=True))
    _close(ours.forward(xs[0], training=True)[0], y_theirs, "frozen BatchNormalization")
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        _close(a, b, "frozen BatchNormalization: weights unchanged")


# ------------------------------------------------- initial values and configs
@pytest.mark.parametrize("cls, kwargs, shape", [
    ("Conv2D", dict(filters=3, kernel_size=2), (2, 4, 4, 2)),
    ("BatchNormalization", dict(), (3, 4)),
    ("BatchNormalization", dict(gamma_initializer="zeros", moving_variance_initializer="zeros",
                                beta_initializer="ones", moving_mean_initializer="ones"),
     (3, 4)),
    ("LayerNormalization", dict(axis=[1, 2]), (3, 4, 5)),
    ("GroupNormalization", dict(groups=2), (3, 5, 4)),
    ("LSTM", dict(units=3), (2, 5, 4)),
    ("LSTM", dict(units=3, unit_forget_bias=False), (2, 5, 4)),
    ("GRU", dict(units=3), (2, 5, 4)),
    ("GRU", dict(units=3, reset_after=False), (2, 5, 4)),
    ("SimpleRNN", dict(units=3, bias_initializer="ones"), (2, 5, 4)),
])
def test_deterministic_initial_weights_match_keras(cls, kwargs, shape):
    """Weights Keras initialises without randomness (biases, gamma/beta, moving stats)."""
    theirs, ours, _, _ = make_pair(cls, kwargs, [shape], copy_weights=False)
    assert [w.path.split("/")[-1] for w in theirs.weights] == [w.name for w in ours.weights]
    for w_theirs, w_ours in zip(theirs.weights, ours.weights):
        value = keras.ops.convert_to_numpy(w_theirs.value)
        assert w_ours.value.shape == value.shape, w_theirs.path
        assert w_ours.trainable == w_theirs.trainable, w_theirs.path
        if w_theirs.path.endswith(("bias", "beta", "gamma", "moving_mean", "moving_variance")):
            np.testing.assert_array_equal(w_ours.value, value, err_msg=w_theirs.path)


ALL_CASES = ([(c, k, [s]) for c, k, s in CONV_CASES + POOL_CASES + RESHAPE_CASES]
             + [(c, k, s) for c, k, s in MERGE_CASES]
             + [(c, k, [s]) for c, k, s, _ in NORM_CASES]
             + [(c, k, [(2, 5, 4)]) for c, k in RNN_CASES])

# Config keys in which ours is known to differ from Keras's (none at the moment).
KNOWN_CONFIG_DIFFS = {}


def _plain(value):
    """Tuples as lists (JSON has only lists), recursively."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _config_diffs(theirs, ours, skip=()):
    a, b = _plain(theirs.get_config()), _plain(ours.get_config())
    keys = (set(a) | set(b)) - {"name"} - set(skip)
    return {k: (a.get(k, "<absent>"), b.get(k, "<absent>")) for k in sorted(keys)
            if k not in a or k not in b or a[k] != b[k]}


def _case_id(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


@pytest.mark.parametrize("case", ALL_CASES, ids=_case_id)
def test_config_matches_keras_and_loads_both_ways(case):
    """The built layer writes Keras's config; each library rebuilds from the other's."""
    cls, kwargs, shapes = case
    theirs, ours, _, _ = make_pair(cls, kwargs, shapes, copy_weights=False)
    known = KNOWN_CONFIG_DIFFS.get(cls, set())
    diffs = _config_diffs(theirs, ours, known)
    assert not diffs, f"{cls}{kwargs}: config (keras, ours) differ: {diffs}"
    again = type(ours).from_config(theirs.get_config())
    assert not _config_diffs(ours, again, known), f"{cls}: ours from Keras's config"
    back = type(theirs).from_config(ours.get_config())
    assert not _config_diffs(theirs, back, known), f"{cls}: Keras from our config"


@pytest.mark.parametrize("cls, shape", [
    ("LayerNormalization", (3, 4)),
    ("SimpleRNN", (2, 5, 4)),
    ("LSTM", (2, 5, 4)),
    ("GRU", (2, 5, 4)),
])
def test_configs_match_keras(cls, shape):
    kwargs = {} if cls == "LayerNormalization" else dict(units=3)
    theirs, ours, _, _ = make_pair(cls, kwargs, [shape], copy_weights=False)
    diffs = _config_diffs(theirs, ours)
    assert not diffs, f"{cls}: config (keras, ours) differ: {diffs}"


# ----------------------------------------------------------------------- errors
ERROR_CASES = [
    ("Conv2D", dict(filters=2, kernel_size=3, strides=2, dilation_rate=2), (2, 7, 7, 4)),
    ("Conv2D", dict(filters=3, kernel_size=3, groups=2), (2, 7, 7, 4)),
    ("Conv1D", dict(filters=4, kernel_size=3, groups=2), (2, 7, 3)),
    ("Conv2D", dict(filters=4, kernel_size=3, padding="causal"), (2, 7, 7, 4)),
    ("Conv2D", dict(filters=4, kernel_size=9), (2, 7, 7, 4)),
    ("MaxPooling2D", dict(pool_size=9), (2, 7, 7, 4)),
    ("AveragePooling1D", dict(pool_size=3, strides=0), (2, 7, 4)),
    ("GroupNormalization", dict(groups=3), (2, 7, 4)),
    ("BatchNormalization", dict(axis=3), (2, 3, 4)),
    ("Cropping1D", dict(cropping=(4, 4)), (2, 7, 4)),
    ("Permute", dict(dims=(0, 1)), (2, 7, 4)),
    ("UpSampling2D", dict(size=0), (2, 3, 3, 1)),
    ("LSTM", dict(units=0), (2, 3, 4)),
    ("SimpleRNN", dict(units=2), (2, 3)),
    ("Dot", dict(axes=1), [(2, 3), (2, 4)]),
    ("Concatenate", dict(axis=1), [(2, 3, 4), (2, 3, 5)]),
    ("Subtract", dict(), [(2, 3), (2, 3), (2, 3)]),
    ("Add", dict(), [(2, 3, 4), (2, 3, 5)]),
]


def _construct_and_call(lib, cls, kwargs, shape):
    layer = getattr(lib.layers, cls)(**kwargs)
    x = ([np.ones(s, "float32") for s in shape] if isinstance(shape, list)
         else np.ones(shape, "float32"))
    return layer(x)


@pytest.mark.parametrize("cls, kwargs, shape", ERROR_CASES)
def test_rejects_what_keras_rejects(cls, kwargs, shape):
    """An argument or input Keras refuses is refused here too, by a message naming the layer."""
    with pytest.raises(Exception):
        _construct_and_call(keras, cls, kwargs, shape)
    with pytest.raises((ValueError, TypeError)) as err:
        _construct_and_call(kerastutor, cls, kwargs, shape)
    message = str(err.value)
    assert cls in message or kerastutor.layers.snake_case(cls) in message, message


# ------------------------------------------------------------------- float64
# In float64 round-off is ~1e-15, so a formula that is only *nearly* Keras's
# (epsilon in a different place, a biased/unbiased variance, an off-by-one
# window) cannot hide under the float32 tolerance. Keras's type promotion
# maps float64 to float32 on every backend but TensorFlow (as JAX does
# without x64), so its torch backend computes means, variances and Dot in
# float32; the test switches that mapping off -- what the TensorFlow backend
# does -- so Keras computes in float64 throughout.
F64_CASES = [
    ("Conv1D", dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2), (2, 9, 4)),
    ("Conv2D", dict(filters=4, kernel_size=4, strides=3, padding="same", groups=2),
     (2, 7, 8, 4)),
    ("Conv3D", dict(filters=2, kernel_size=2, strides=(1, 2, 1)), (2, 3, 5, 4, 2)),
    ("MaxPooling2D", dict(pool_size=3, strides=2, padding="same"), (2, 7, 8, 3)),
    ("AveragePooling2D", dict(pool_size=(2, 3), strides=(2, 1)), (2, 7, 8, 3)),
    ("GlobalAveragePooling2D", dict(keepdims=True), (2, 5, 6, 3)),
    ("UpSampling2D", dict(size=(2, 3)), (2, 3, 4, 2)),
    ("Dot", dict(axes=(1, 1), normalize=True), [(3, 4, 5), (3, 4, 6)]),
    ("Multiply", dict(), [(3, 4, 5), (3, 4, 5)]),
    ("BatchNormalization", dict(epsilon=1e-2), (6, 5, 3)),
    ("BatchNormalization", dict(axis=1, momentum=0.5), (6, 5, 3), True),
    ("LayerNormalization", dict(axis=[1, 2]), (3, 4, 6)),
    ("GroupNormalization", dict(groups=2), (3, 5, 4)),
    ("UnitNormalization", dict(), (3, 6)),
    ("SimpleRNN", dict(units=3, return_sequences=True)),
    ("LSTM", dict(units=3, return_sequences=True, return_state=True)),
    ("GRU", dict(units=3, go_backwards=True, return_state=True)),
    ("GRU", dict(units=3, reset_after=False, return_sequences=True)),
]


@pytest.mark.parametrize("case", F64_CASES, ids=_case_id)
def test_float64_matches_keras_tightly(case, monkeypatch):
    from keras.src.backend.common import dtypes
    monkeypatch.setitem(dtypes.BIT64_TO_BIT32_DTYPE, "float64", "float64")
    cls, kwargs = case[0], dict(case[1], dtype="float64")
    shape = case[2] if len(case) > 2 else (2, 5, 4)
    training = case[3] if len(case) > 3 else False
    shapes = shape if isinstance(shape, list) else [shape]
    theirs, _ = compare(cls, kwargs, shapes, training=training, rtol=1e-10, atol=1e-10)
    assert all(keras.ops.convert_to_numpy(w.value).dtype == np.float64 for w in theirs.weights)


# ---------------------------------------------------------------- whole models
def _cnn(lib):
    return lib.Sequential([
        lib.Input((8, 8, 2)),
        lib.layers.Conv2D(4, 3, activation="relu"),
        lib.layers.MaxPooling2D(),
        lib.layers.Flatten(),
        lib.layers.Dense(3, activation="softmax")])


def _lstm(lib):
    return lib.Sequential([
        lib.Input((6, 3)),
        lib.layers.LSTM(5),
        lib.layers.Dense(1)])


def _stacked_rnn(lib):
    return lib.Sequential([
        lib.Input((6, 3)),
        lib.layers.SimpleRNN(4, return_sequences=True),
        lib.layers.GRU(4, reset_after=False, go_backwards=True),
        lib.layers.Dense(2)])


def _conv_blocks(lib):
    inputs = lib.Input((9, 9, 2))
    a = lib.layers.Conv2D(4, 2, strides=2, padding="same", activation="tanh")(inputs)
    b = lib.layers.AveragePooling2D(3, strides=2, padding="same")(inputs)
    b = lib.layers.Conv2D(4, 1)(b)
    x = lib.layers.Add()([a, b])
    x = lib.layers.LayerNormalization()(x)
    x = lib.layers.GlobalAveragePooling2D()(x)
    return lib.Model(inputs, lib.layers.Dense(3, activation="softmax")(x))


def _conv1d_bn(lib):
    return lib.Sequential([
        lib.Input((10, 3)),
        lib.layers.Conv1D(4, 3, padding="causal", dilation_rate=2),
        lib.layers.BatchNormalization(momentum=0.9),
        lib.layers.Activation("relu"),
        lib.layers.GlobalMaxPooling1D(),
        lib.layers.Dense(1, activation="sigmoid")])


def _train_both(build, x, y, loss, make_optimizer, metric):
    """Same weights, batches (shuffle=False) and optimizer: the same History."""
    theirs, ours = build(keras), build(kerastutor)
    ours.set_weights(theirs.get_weights())
    theirs.compile(make_optimizer(keras), loss, metrics=[metric])
    ours.compile(make_optimizer(kerastutor), loss, metrics=[metric])
    h_theirs = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    h_ours = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key in h_theirs.history:
        np.testing.assert_allclose(h_ours.history[key], h_theirs.history[key], rtol=1e-4,
                                   err_msg=key)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0),
                               rtol=1e-4, atol=2e-5)


def _classes(rng, x):
    return np.eye(3, dtype="float32")[rng.integers(0, 3, len(x))]


def test_small_cnn_trains_like_keras():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 8, 8, 2)).astype("float32")
    _train_both(_cnn, x, _classes(rng, x), "categorical_crossentropy",
                lambda lib: lib.optimizers.Adam(0.01), "accuracy")


def test_lstm_regressor_trains_like_keras():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 6, 3)).astype("float32")
    y = x.sum(axis=(1, 2))[:, None].astype("float32") / 4
    _train_both(_lstm, x, y, "mse", lambda lib: lib.optimizers.Adam(0.01), "mae")


def test_stacked_simplernn_gru_trains_like_keras():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 6, 3)).astype("float32")
    y = np.stack([x[:, :, 0].mean(1), x[:, -1, 1]], axis=1).astype("float32")
    _train_both(_stacked_rnn, x, y, "mse",
                lambda lib: lib.optimizers.SGD(0.05, momentum=0.9), "mae")


def test_functional_conv_blocks_train_like_keras():
    """Two branches (strided "same" Conv2D, "same" average pooling + 1x1 Conv2D), Add,
    LayerNormalization, global pooling. The 9x9 input gives even "same" padding in the
    pooling branch, where Keras's torch backend computes Keras's semantics."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(32, 9, 9, 2)).astype("float32")
    _train_both(_conv_blocks, x, _classes(rng, x), "categorical_crossentropy",
                lambda lib: lib.optimizers.Adam(0.01), "accuracy")


def test_conv1d_batchnorm_classifier_trains_like_keras():
    """BatchNormalization inside fit: batch statistics, moving averages, then predict."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(32, 10, 3)).astype("float32")
    y = (x[:, :, 0].mean(axis=1, keepdims=True) > 0).astype("float32")
    _train_both(_conv1d_bn, x, y, "binary_crossentropy",
                lambda lib: lib.optimizers.RMSprop(0.01), "accuracy")


# ------------------------------------------- transposed, depthwise, separable convolution
MORE_CONV_CASES = [
    ("Conv1DTranspose", dict(filters=3, kernel_size=3, strides=2), (2, 5, 4)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=4, strides=3, padding="same"), (2, 4, 3)),
    ("Conv2DTranspose", dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 4, 5, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=(2, 3), strides=(2, 1),
                             output_padding=(1, 0)), (2, 3, 4, 3)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, dilation_rate=2,
                             data_format="channels_first"), (2, 3, 4, 4)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=2, strides=2), (1, 2, 3, 2, 2)),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2), (2, 7, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, strides=2, padding="same"), (2, 6, 5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=(2, 3), depth_multiplier=2, dilation_rate=2),
     (2, 7, 7, 2)),
    ("SeparableConv1D", dict(filters=4, kernel_size=3, depth_multiplier=2, padding="same"),
     (2, 8, 3)),
    ("SeparableConv2D", dict(filters=3, kernel_size=3, strides=2), (2, 7, 6, 2)),
    ("SeparableConv2D", dict(filters=2, kernel_size=2, data_format="channels_first"),
     (2, 3, 5, 5)),
]


@pytest.mark.parametrize("cls, kwargs, shape", MORE_CONV_CASES)
def test_more_convolutions_match_keras(cls, kwargs, shape):
    compare(cls, kwargs, [shape])


# ------------------------------------------------------------ activation layers
@pytest.mark.parametrize("cls, kwargs, shape", [
    ("ReLU", dict(max_value=1.5, negative_slope=0.1, threshold=0.2), (3, 7)),
    ("LeakyReLU", dict(negative_slope=0.2), (3, 7)),
    ("PReLU", dict(), (3, 4, 5)),
    ("PReLU", dict(shared_axes=[1]), (3, 4, 5)),
    ("ELU", dict(alpha=0.7), (3, 7)),
    ("Softmax", dict(axis=1), (3, 4, 5)),
])
def test_activation_layers_match_keras(cls, kwargs, shape):
    compare(cls, kwargs, [shape])


# ------------------------------------------------------------------- attention
@pytest.mark.parametrize("cls, kwargs, shapes", [
    ("Attention", dict(), [(2, 3, 4), (2, 5, 4)]),
    ("Attention", dict(use_scale=True), [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
    ("Attention", dict(score_mode="concat", use_scale=True), [(2, 3, 4), (2, 5, 4)]),
    ("AdditiveAttention", dict(), [(2, 3, 4), (2, 5, 4)]),
    ("AdditiveAttention", dict(use_scale=False), [(2, 3, 4), (2, 5, 4), (2, 5, 4)]),
])
def test_attention_matches_keras(cls, kwargs, shapes):
    compare(cls, kwargs, shapes)


@pytest.mark.parametrize("kwargs, key", [
    (dict(num_heads=2, key_dim=3), False),
    (dict(num_heads=3, key_dim=2, value_dim=4, use_bias=False), True),
    (dict(num_heads=2, key_dim=2, output_shape=5), False),
])
def test_multi_head_attention_matches_keras(kwargs, key):
    rng = np.random.default_rng(1)
    q, v = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(2, 5, 6))
    v = v.astype("float32")
    k = rng.normal(size=(2, 5, 6)).astype("float32") if key else None
    theirs = keras.layers.MultiHeadAttention(**kwargs)
    ours = kerastutor.layers.MultiHeadAttention(**kwargs)
    theirs(q, v, k)
    ours(q, v, k)
    theirs.set_weights(_random_weights(theirs, rng))
    ours.set_weights(theirs.get_weights())
    tq, tv = torch.tensor(q, requires_grad=True), torch.tensor(v, requires_grad=True)
    tk = torch.tensor(k, requires_grad=True) if key else None
    y = theirs(tq, tv, tk)
    g = rng.normal(size=tuple(y.shape)).astype("float32")
    (torch.tensor(g) * y).sum().backward()
    inputs = [q, v] + ([k] if key else [])
    out, cache = ours.forward(inputs)
    for w in ours.weights:
        w.zero_grad()
    grads = ours.backward(cache, g)
    _close(out, y.detach().numpy(), "MHA forward")
    for ours_grad, tensor in zip(grads, [tq, tv] + ([tk] if key else [])):
        _close(ours_grad, tensor.grad.numpy(), "MHA input gradient")
    for w_ours, w_theirs in zip(ours.trainable_weights, theirs.trainable_weights):
        _close(w_ours.grad, w_theirs.value.grad.numpy(), f"MHA d{w_theirs.path}")


# ------------------------------------------------------------------- embedding
def test_embedding_matches_keras():
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 7, (3, 5))
    theirs, ours = keras.layers.Embedding(7, 4), kerastutor.layers.Embedding(7, 4)
    theirs(ids)
    ours(ids)
    ours.set_weights(theirs.get_weights())
    y = theirs(torch.tensor(ids))
    g = rng.normal(size=tuple(y.shape)).astype("float32")
    (torch.tensor(g) * y).sum().backward()
    out, cache = ours.forward(ids)
    ours.embeddings.zero_grad()
    ours.backward(cache, g)
    _close(out, y.detach().numpy(), "Embedding forward")
    _close(ours.embeddings.grad, theirs.embeddings.value.grad.numpy(), "Embedding dW")
    mask = kerastutor.layers.Embedding(7, 4, mask_zero=True).compute_mask(ids)
    keras_mask = keras.layers.Embedding(7, 4, mask_zero=True).compute_mask(torch.tensor(ids))
    np.testing.assert_array_equal(mask, keras_mask.numpy())


def test_masked_batchnorm_matches_keras():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    mask = rng.random((3, 5)) < 0.6
    mask[:, 0] = True
    theirs, ours = keras.layers.BatchNormalization(), kerastutor.layers.BatchNormalization()
    theirs(x)
    ours(x)
    theirs.set_weights(_random_weights(theirs, rng))
    ours.set_weights(theirs.get_weights())
    tx = torch.tensor(x, requires_grad=True)
    y = theirs(tx, training=True, mask=torch.tensor(mask))
    g = rng.normal(size=x.shape).astype("float32")
    (torch.tensor(g) * y).sum().backward()
    out, cache = ours.forward(x, training=True, mask=mask)
    for w in ours.weights:
        w.zero_grad()
    dx = ours.backward(cache, g)
    _close(out, y.detach().numpy(), "masked BN forward")
    _close(dx, tx.grad.numpy(), "masked BN dL/dx")
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        _close(a, b, "masked BN moving statistics")
    for w_ours, w_theirs in zip(ours.trainable_weights, theirs.trainable_weights):
        _close(w_ours.grad, w_theirs.value.grad.numpy(), f"masked BN d{w_theirs.path}")
