"""Real Keras 3.15.1 (torch backend) as the oracle for the geometric and mixing augmentations.

RandomShear, RandomPerspective, RandomElasticTransform, RandomErasing, MixUp
and CutMix draw from torch in Keras and through ``kerastutor.random`` (NumPy)
here, so the draws are made deterministic: Keras's own
``get_random_transformation`` is called, its parameters are handed to our
layer, and then Keras's ``transform_images`` (and ``transform_labels``) with
that transformation is compared with our forward -- and torch autograd
through it with our backward. Pipeline is compared directly on deterministic
layers.

How the numbers reach our layers:

* RandomShear, RandomPerspective, RandomElasticTransform draw inside
  ``sample_matrices`` / ``sample_corners`` / ``sample_field`` and have no
  transformation argument: ``kerastutor.random.uniform`` and ``normal`` are
  monkeypatched with queues (:func:`_queue`) holding, in our draw order, the
  numbers that reproduce Keras's shears, corners and field (for the field,
  the torch noise Keras reads, replayed from a fixed torch seed); so our
  sampling code turns raw draws into matrices and coordinates as it does in
  use. Each queued value must fit the draw's shape and ``[minval, maxval]``,
  and every queue must be used up.
* RandomErasing, MixUp and CutMix: their ``get_random_transformation`` is
  monkeypatched to return Keras's transformation translated into our keys
  (:func:`_given`): Keras's per-channel masks become our ``(N, H, W, 1)`` mask
  (erasing: and-ed with ``apply_erasing``), the rest is taken as it is.

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


def _queue(monkeypatch, uniforms=(), normals=()):
    """``kerastutor.random.uniform``/``normal`` return the given values, in turn.

    Each value is reshaped to the draw's shape and cast to its dtype; a uniform
    value must lie in ``[minval, maxval]``. Returns the queues: check that they
    are empty after the forward pass (:func:`_used_up`).
    """
    queues = {"uniform": [np.asarray(v) for v in uniforms],
              "normal": [np.asarray(v) for v in normals]}

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        assert queues["uniform"], f"an unexpected uniform{tuple(shape)} draw"
        value = queues["uniform"].pop(0)
        assert value.size == int(np.prod(shape)), (value.shape, shape)
        assert np.all((value >= minval) & (value <= maxval)), (value, minval, maxval)
        return value.reshape(shape).astype(dtype or kerastutor.backend.floatx())

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        assert queues["normal"], f"an unexpected normal{tuple(shape)} draw"
        value = queues["normal"].pop(0)
        assert value.size == int(np.prod(shape)), (value.shape, shape)
        return (mean + stddev * value.reshape(shape)).astype(
            dtype or kerastutor.backend.floatx())

    monkeypatch.setattr(kerastutor.random, "uniform", uniform)
    monkeypatch.setattr(kerastutor.random, "normal", normal)
    return queues


def _used_up(queues):
    assert not any(queues.values()), f"draws left unused: {queues}"


def _given(monkeypatch, layer, transformation):
    """``layer.get_random_transformation`` returns ``transformation`` (what Keras drew)."""
    monkeypatch.setattr(layer, "get_random_transformation",
                        lambda data, training=True, seed=None: transformation)


def _one_channel(masks):
    """Keras's masks repeat over the channels; ours are ``(N, H, W, 1)``."""
    masks = _np(masks)
    assert (masks == masks[..., :1]).all()
    return masks[..., :1]


def _keras_images(layer, x, transformation, g):
    """Keras's transform_images(x) with a fixed transformation, and dL/dx of sum(g * y)."""
    leaf = torch.tensor(x, requires_grad=True)
    y = layer.transform_images(leaf * 1.0, transformation, training=True)
    (y * torch.tensor(g)).sum().backward()
    return _np(y), _np(leaf.grad)


def _ours(layer, x, g, queues=None):
    y, cache = layer.forward(x, training=True)
    if queues is not None:
        _used_up(queues)
    grad = layer.backward(cache, g)
    return y, grad


OPTIONS = [{"fill_mode": m, "interpolation": i} for m in ("reflect", "constant", "nearest")
           for i in ("bilinear", "nearest")]


@pytest.mark.parametrize("kwargs", OPTIONS)
def test_random_shear(kwargs, monkeypatch):
    x = _images()
    theirs = keras.layers.RandomShear(0.4, 0.3, fill_value=0.5, **kwargs)
    ours = kerastutor.layers.RandomShear(0.4, 0.3, fill_value=0.5, **kwargs)
    transformation = theirs.get_random_transformation(x, training=True)
    shear = _np(transformation["shear_factor"]).astype(np.float64)
    n = len(x)
    # our draws, in Keras's order: the sign's u (0: +1), then y, then x -- the signed shears
    queues = _queue(monkeypatch, uniforms=[np.zeros(n), shear[:, 1], shear[:, 0]])
    g = np.random.default_rng(1).normal(size=x.shape).astype("float32")
    y_k, dx_k = _keras_images(theirs, x, transformation, g)
    y_o, dx_o = _ours(ours, x, g, queues)
    _close(y_o, y_k, f"RandomShear{kwargs} forward")
    if kwargs["interpolation"] == "bilinear":
        _close(dx_o, dx_k, f"RandomShear{kwargs} gradient")


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("scale", [0.3, 1.0])
def test_random_perspective(interpolation, scale, monkeypatch):
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
    # our draws: probabilities p = 0.5, u < p exactly where Keras warps, the corner moves
    n = len(x)
    queues = _queue(monkeypatch, uniforms=[np.full(n, 0.5), np.where(apply, 0.25, 0.75),
                                           delta])
    g = np.random.default_rng(1).normal(size=x.shape).astype("float32")
    y_k, dx_k = _keras_images(theirs, x, t, g)
    y_o, dx_o = _ours(ours, x, g, queues)
    _close(y_o, y_k, f"RandomPerspective({interpolation}, {scale}) forward")
    if interpolation == "bilinear":
        _close(dx_o, dx_k, f"RandomPerspective({interpolation}, {scale}) gradient")


@pytest.mark.parametrize("fill_mode", ["reflect", "constant", "nearest", "mirror"])
@pytest.mark.parametrize("shape", [(2, 20, 24, 3), (1, 12, 12, 1)])
def test_random_elastic_transform(fill_mode, shape, monkeypatch):
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
    # our draws: p = 0.5, u < p where Keras distorts, the strength; the noise (xi_x, xi_y)
    queues = _queue(monkeypatch, uniforms=[np.full(batch, 0.5), np.where(apply, 0.25, 0.75),
                                           strength], normals=[np.stack(noise)])
    g = np.random.default_rng(1).normal(size=x.shape).astype("float32")
    torch.manual_seed(123)
    y_k, dx_k = _keras_images(theirs, x, t, g)
    y_o, dx_o = _ours(ours, x, g, queues)
    _close(y_o, y_k, f"RandomElasticTransform({fill_mode}) forward", atol=1e-3)
    _close(dx_o, dx_k, f"RandomElasticTransform({fill_mode}) gradient", atol=1e-3)


@pytest.mark.parametrize("fill_value", [0.5, (0.1, 0.9, 0.3)])
def test_random_erasing(fill_value, monkeypatch):
    x = _images((5, 8, 9, 3))
    kwargs = {"factor": 0.8, "scale": (0.1, 0.5), "fill_value": fill_value,
              "value_range": (0, 1)}
    theirs = keras.layers.RandomErasing(**kwargs)
    ours = kerastutor.layers.RandomErasing(**kwargs)
    t = theirs.get_random_transformation(x, training=True)
    apply = _np(t["apply_erasing"])[:, None, None, None]
    _given(monkeypatch, ours, {"erase": _one_channel(t["batch_masks"]) & apply,
                               "fill_value": _np(t["fill_value"])})
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
def test_mix_up(alpha, monkeypatch):
    x = _images((6, 6, 7, 2))
    labels, g, g_labels = _labels_and_grads(6)
    theirs, ours = keras.layers.MixUp(alpha=alpha), kerastutor.layers.MixUp(alpha=alpha)
    t = theirs.get_random_transformation(x, training=True)
    _given(monkeypatch, ours, {"mix_weight": _np(t["mix_weight"]),
                               "permutation_order": _np(t["permutation_order"])})
    _compare_mixing("MixUp", ours, x, labels,
                    _keras_mixing(theirs, x, labels, t, g, g_labels), g, g_labels)


@pytest.mark.parametrize("factor", [1.0, (0.3, 0.6)])
def test_cut_mix(factor, monkeypatch):
    x = _images((6, 6, 7, 2))
    labels, g, g_labels = _labels_and_grads(6)
    theirs, ours = keras.layers.CutMix(factor), kerastutor.layers.CutMix(factor)
    t = theirs.get_random_transformation(x, training=True)
    _given(monkeypatch, ours, {"mask": _one_channel(t["batch_masks"]),
                               "mix_weight": _np(t["mix_weight"]).reshape(-1),  # labels'
                               "permutation_order": _np(t["permutation_order"])})
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
