"""Real Keras 3.15.1 (torch backend) as the oracle for the geometric and mixing augmentations.

RandomShear, RandomPerspective, RandomElasticTransform, RandomErasing, MixUp
and CutMix draw from torch in Keras and from NumPy here, so the draws are made
deterministic: Keras's own ``get_random_transformation`` is called, its
parameters (shears, corners, masks, permutations, mixing weights; for the
elastic field the torch noise replayed from a fixed torch seed) are handed to
our layer through a stand-in generator, and then Keras's ``transform_images``
(and ``transform_labels``) with that transformation is compared with our
forward -- and torch autograd through it with our backward. Pipeline is
compared directly on deterministic layers.

Run with KERAS_BACKEND=torch, KERASTUTOR_ORACLE=1.
"""
import os

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(os.environ.get("KERASTUTOR_ORACLE") != "1",
                                reason="oracle tests run only with KERASTUTOR_ORACLE=1")
os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

import kerastutor  # noqa: E402

RTOL, ATOL = 1e-5, 1e-4


def _close(ours, theirs, what, atol=ATOL):
    theirs, ours = np.asarray(theirs), np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != Keras {theirs.shape}"
    scale = max(1.0, float(np.abs(theirs).max())) if theirs.size else 1.0
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=atol * scale, err_msg=what)


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def _images(shape=(3, 6, 7, 2), seed=0, high=1.0):
    return np.random.default_rng(seed).uniform(0, high, size=shape).astype("float32")


class Draws:
    """A stand-in generator returning the given values in turn (uniform, normal, beta...)."""

    def __init__(self, uniforms=(), normals=(), permutation=None, beta=None):
        self.uniforms, self.normals = list(uniforms), list(normals)
        self.perm, self.weights = permutation, beta

    def uniform(self, low=0.0, high=1.0, size=None):
        value = np.asarray(self.uniforms.pop(0), dtype=np.float64)
        return value if size is None else value.reshape(size)

    def standard_normal(self, size=None):
        return np.asarray(self.normals.pop(0), dtype=np.float64).reshape(size)

    def permutation(self, n):
        return np.asarray(self.perm)

    def beta(self, a, b, size=None):
        return np.asarray(self.weights, dtype=np.float64)


def _keras_images(layer, x, transformation, g):
    """Keras's transform_images(x) with a fixed transformation, and dL/dx of sum(g * y)."""
    leaf = torch.tensor(x, requires_grad=True)
    y = layer.transform_images(leaf * 1.0, transformation, training=True)
    (y * torch.tensor(g)).sum().backward()
    return _np(y), _np(leaf.grad)


def _ours(layer, x, g):
    y, cache = layer.forward(x, training=True)
    grad = layer.backward(cache, g)
    return y, grad


OPTIONS = [{"fill_mode": m, "interpolation": i} for m in ("reflect", "constant", "nearest")
           for i in ("bilinear", "nearest")]


@pytest.mark.parametrize("kwargs", OPTIONS)
def test_random_shear(kwargs):
    x = _images()
    theirs = keras.layers.RandomShear(0.4, 0.3, fill_value=0.5, **kwargs)
    ours = kerastutor.layers.RandomShear(0.4, 0.3, fill_value=0.5, **kwargs)
    transformation = theirs.get_random_transformation(x, training=True)
    shear = _np(transformation["shear_factor"]).astype(np.float64)
    n = len(x)
    ours._rng = Draws([np.zeros(n), shear[:, 1], shear[:, 0]])      # sign +1, the signed shears
    g = np.random.default_rng(1).normal(size=x.shape).astype("float32")
    y_k, dx_k = _keras_images(theirs, x, transformation, g)
    y_o, dx_o = _ours(ours, x, g)
    _close(y_o, y_k, f"RandomShear{kwargs} forward")
    if kwargs["interpolation"] == "bilinear":
        _close(dx_o, dx_k, f"RandomShear{kwargs} gradient")


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("scale", [0.3, 1.0])
def test_random_perspective(interpolation, scale):
    x = _images((4, 6, 7, 2))
    theirs = keras.layers.RandomPerspective(0.8, scale=scale, interpolation=interpolation,
                                            fill_value=0.25)
    ours = kerastutor.layers.RandomPerspective(0.8, scale=scale, interpolation=interpolation,
                                               fill_value=0.25)
    t = theirs.get_random_transformation(x, training=True)
    apply = _np(t["apply_perspective"])
    start, end = _np(t["start_points"]).astype(np.float64), _np(t["end_points"]).astype(
        np.float64)
    delta = np.divide(end - start, start, out=np.zeros_like(start), where=start != 0)
    ours._rng = Draws([np.ones(len(x)), np.where(apply, 0.0, 1.0), delta])
    g = np.random.default_rng(1).normal(size=x.shape).astype("float32")
    y_k, dx_k = _keras_images(theirs, x, t, g)
    y_o, dx_o = _ours(ours, x, g)
    _close(y_o, y_k, f"RandomPerspective({interpolation}, {scale}) forward")
    if interpolation == "bilinear":
        _close(dx_o, dx_k, f"RandomPerspective({interpolation}, {scale}) gradient")


@pytest.mark.parametrize("fill_mode", ["reflect", "constant", "nearest", "mirror"])
@pytest.mark.parametrize("shape", [(2, 20, 24, 3), (1, 12, 12, 1)])
def test_random_elastic_transform(fill_mode, shape):
    x = _images(shape, high=255.0)
    kwargs = {"factor": 0.9, "scale": (0.5, 1.0), "fill_mode": fill_mode, "fill_value": 9.0}
    theirs = keras.layers.RandomElasticTransform(**kwargs)
    ours = kerastutor.layers.RandomElasticTransform(**kwargs)
    t = theirs.get_random_transformation(x, training=True)
    apply, strength = _np(t["apply_transform"]), float(_np(t["distortion_factor"]))
    batch, height, width = shape[:3]
    torch.manual_seed(123)                          # the field's noise: torch's global RNG
    noise = [torch.normal(0.0, 1.0, size=(batch, height, width), dtype=torch.float32).numpy()
             for _ in range(2)]
    ours._rng = Draws([np.ones(batch), np.where(apply, 0.0, 1.0), strength],
                      normals=[np.stack(noise)])
    g = np.random.default_rng(1).normal(size=x.shape).astype("float32")
    torch.manual_seed(123)
    y_k, dx_k = _keras_images(theirs, x, t, g)
    y_o, dx_o = _ours(ours, x, g)
    _close(y_o, y_k, f"RandomElasticTransform({fill_mode}) forward", atol=1e-3)
    _close(dx_o, dx_k, f"RandomElasticTransform({fill_mode}) gradient", atol=1e-3)


def _box_draws(mask_1d, length):
    """A start fraction u (the box starts at u (size - length)) reproducing a 1-D pixel mask."""
    size = len(mask_1d)
    on = np.flatnonzero(mask_1d)
    if len(on) == 0:
        start = 0.5 - length / 2                   # a box between two pixel centres
    else:
        c0, c1 = on[0], on[-1] + 1
        lo, hi = max(c0 - 1, c1 - 1 - length), min(c0, c1 - length)
        start = (lo + hi) / 2
    return 0.0 if size == length else start / (size - length)


@pytest.mark.parametrize("fill_value", [0.5, (0.1, 0.9, 0.3)])
def test_random_erasing(fill_value):
    x = _images((5, 8, 9, 3))
    kwargs = {"factor": 0.8, "scale": (0.1, 0.5), "fill_value": fill_value,
              "value_range": (0, 1)}
    theirs = keras.layers.RandomErasing(**kwargs)
    ours = kerastutor.layers.RandomErasing(**kwargs)
    t = theirs.get_random_transformation(x, training=True)
    masks, apply = _np(t["batch_masks"])[..., 0], _np(t["apply_erasing"])
    cols, rows = masks.any(axis=1), masks.any(axis=2)
    n_cols, n_rows = cols.sum(axis=1).astype(float), rows.sum(axis=1).astype(float)
    fractions = np.stack([(n_cols / 9) ** 2, (n_rows / 8) ** 2], axis=1)
    u = [_box_draws(c, w) for c, w in zip(cols, n_cols)]
    v = [_box_draws(r, h) for r, h in zip(rows, n_rows)]
    ours._rng = Draws([fractions, u, v, np.ones(len(x)), np.where(apply, 0.0, 1.0)])
    g = np.random.default_rng(1).normal(size=x.shape).astype("float32")
    y_k, dx_k = _keras_images(theirs, x, t, g)
    y_o, dx_o = _ours(ours, x, g)
    _close(y_o, y_k, "RandomErasing forward")
    _close(dx_o, dx_k, "RandomErasing gradient")


def _keras_mixing(layer, x, labels, t, g, g_labels):
    leaf, leaf_labels = torch.tensor(x, requires_grad=True), torch.tensor(
        labels, requires_grad=True)
    y = layer.transform_images(leaf * 1.0, t, training=True)
    y_labels = layer.transform_labels(leaf_labels * 1.0, t, training=True)
    ((y * torch.tensor(g)).sum() + (y_labels * torch.tensor(g_labels)).sum()).backward()
    return _np(y), _np(y_labels), _np(leaf.grad), _np(leaf_labels.grad)


def _compare_mixing(name, ours, x, labels, keras_out, g, g_labels):
    y_k, l_k, dx_k, dl_k = keras_out
    out, cache = ours.forward({"images": x, "labels": labels}, training=True)
    grads = ours.backward(cache, {"images": g, "labels": g_labels})
    _close(out["images"], y_k, f"{name} images")
    _close(out["labels"], l_k, f"{name} labels")
    _close(grads["images"], dx_k, f"{name} image gradient")
    _close(grads["labels"], dl_k, f"{name} label gradient")


def _labels_and_grads(n, k=4):
    rng = np.random.default_rng(2)
    labels = np.eye(k, dtype="float32")[rng.integers(0, k, n)]
    return labels, rng.normal(size=(n, 6, 7, 2)).astype("float32"), rng.normal(
        size=(n, k)).astype("float32")


@pytest.mark.parametrize("alpha", [0.2, 1.0])
def test_mix_up(alpha):
    x = _images((6, 6, 7, 2))
    labels, g, g_labels = _labels_and_grads(6)
    theirs, ours = keras.layers.MixUp(alpha=alpha), kerastutor.layers.MixUp(alpha=alpha)
    t = theirs.get_random_transformation(x, training=True)
    ours._rng = Draws(permutation=_np(t["permutation_order"]), beta=_np(t["mix_weight"]))
    _compare_mixing("MixUp", ours, x, labels,
                    _keras_mixing(theirs, x, labels, t, g, g_labels), g, g_labels)


@pytest.mark.parametrize("factor", [1.0, (0.3, 0.6)])
def test_cut_mix(factor):
    x = _images((6, 6, 7, 2))
    labels, g, g_labels = _labels_and_grads(6)
    theirs, ours = keras.layers.CutMix(factor), kerastutor.layers.CutMix(factor)
    t = theirs.get_random_transformation(x, training=True)
    masks = _np(t["batch_masks"])[..., 0]
    weight = _np(t["mix_weight"]).astype(np.float64).reshape(-1)
    ratio = np.sqrt(1.0 - weight)                 # weight = 1 - ratio^2: Keras's label weight
    cols, rows = masks.any(axis=1), masks.any(axis=2)
    u = [_box_draws(c, r * 7) for c, r in zip(cols, ratio)]
    v = [_box_draws(c, r * 6) for c, r in zip(rows, ratio)]
    ours._rng = Draws([0.5, u, v], permutation=_np(t["permutation_order"]), beta=weight)
    _compare_mixing("CutMix", ours, x, labels,
                    _keras_mixing(theirs, x, labels, t, g, g_labels), g, g_labels)


def test_pipeline_of_deterministic_layers():
    x = _images((2, 6, 7, 2))

    def make(lib):
        return lib.layers.Pipeline([lib.layers.Rescaling(2.0, offset=-1.0),
                                    lib.layers.CenterCrop(4, 5), lib.layers.Resizing(3, 3)])
    theirs, ours = make(keras), make(kerastutor)
    g = np.random.default_rng(1).normal(size=(2, 3, 3, 2)).astype("float32")
    leaf = torch.tensor(x, requires_grad=True)
    y_k = theirs(leaf * 1.0)
    (y_k * torch.tensor(g)).sum().backward()
    ours._maybe_build(x.shape)
    y_o, cache = ours.forward(x, training=True)
    _close(y_o, _np(y_k), "Pipeline forward")
    _close(ours.backward(cache, g), _np(leaf.grad), "Pipeline gradient")
    assert ours.get_config()["layers"][1]["config"]["height"] == \
        theirs.get_config()["layers"][1]["config"]["height"]
