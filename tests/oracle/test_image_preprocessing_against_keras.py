"""Real Keras 3.15.1 (torch backend) as the oracle for the image preprocessing layers.

Deterministic layers (Normalization, Rescaling, Resizing, CenterCrop) are
compared directly: the same constructor call in ``keras.layers`` and in
``kerastutor.layers``, the same input, forward outputs equal to float32
round-off, and input gradients -- Keras's by torch autograd of
``sum(g * layer(x))``, ours by ``layer.backward(cache, g)`` -- equal too.

The random layers draw from torch's generator in Keras and through
``kerastutor.random`` (NumPy) in kerastutor, so their draws cannot agree.
They are compared with the parameters made deterministic: factor ranges
collapsed to one value (rotation, zoom, translation), or the parameters Keras
drew *read back from its output* (flip, crop offset, contrast factor,
brightness shift) and handed to our layer -- contrast and brightness through
``forward(x, training, transformation=...)`` (Keras's keys,
``contrast_factor`` and ``rgb_delta``); flip and crop, which draw inside
``forward``, through ``kerastutor.random.uniform`` monkeypatched with a queue
of the raw draws that give Keras's flips and offset (:func:`_queue`; each
value must fit the draw's shape and range, and the queue must be used up).

Run by ``tox -e keras`` (KERAS_BACKEND=torch, KERASTUTOR_ORACLE=1).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import kerastutor  # noqa: E402

RTOL = 1e-5
ATOL = 1e-4


def _close(ours, theirs, what, atol=ATOL):
    theirs, ours = np.asarray(theirs), np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != Keras {theirs.shape}"
    scale = max(1.0, float(np.abs(theirs).max())) if theirs.size else 1.0
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=atol * scale, err_msg=what)


def _keras_forward_backward(layer, x, g, training=True):
    """Keras's output and dL/dx of sum(g * y) by torch autograd."""
    leaf = torch.tensor(x, requires_grad=True)
    y = layer(leaf * 1.0, training=training)        # *1: Keras may add in place
    (y * torch.tensor(g)).sum().backward()
    return y.detach().cpu().numpy(), leaf.grad.cpu().numpy()


def _ours_forward_backward(layer, x, g, training=True, **given):
    if not layer.built:
        layer._maybe_build(x.shape)
    y, cache = layer.forward(x, training=training, **given)
    return y, layer.backward(cache, g)


def _compare(name, args, kwargs, x, training=True, prepare=None, differentiable=True):
    """``prepare(ours, x, y_k)``: fixes our draws from Keras's output ``y_k``; it may
    return the keyword arguments (``transformation=...``) for our ``forward``."""
    theirs_layer = getattr(keras.layers, name)(*args, **kwargs)
    ours_layer = getattr(kerastutor.layers, name)(*args, **kwargs)
    g = np.random.default_rng(1).normal(size=np.shape(
        theirs_layer(x, training=training))).astype("float32")
    y_k, dx_k = _keras_forward_backward(theirs_layer, x, g, training)
    given = {}
    if prepare is not None:
        given = prepare(ours_layer, x, y_k) or {}
    y_o, dx_o = _ours_forward_backward(ours_layer, x, g, training, **given)
    _close(y_o, y_k, f"{name}{args}{kwargs} forward")
    if differentiable:
        _close(dx_o, dx_k, f"{name}{args}{kwargs} input gradient")


def _images(shape=(2, 5, 6, 3), seed=0, low=0.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype("float32")


def _queue(monkeypatch):
    """``kerastutor.random.uniform`` returns the values put in the returned list, in turn.

    Each value is reshaped to the draw's shape and cast to its dtype, and must
    lie in ``[minval, maxval]``; a draw with the list empty fails. Check with
    :func:`_used_up` that every value was drawn.
    """
    values = []

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        assert values, f"an unexpected uniform{tuple(shape)} draw"
        value = np.asarray(values.pop(0))
        assert value.size == int(np.prod(shape)), (value.shape, shape)
        assert np.all((value >= minval) & (value <= maxval)), (value, minval, maxval)
        return value.reshape(shape).astype(dtype or kerastutor.backend.floatx())

    monkeypatch.setattr(kerastutor.random, "uniform", uniform)
    return values


def _used_up(values):
    assert not values, f"draws left unused: {values}"


# ------------------------------------------------------------------ deterministic layers
@pytest.mark.parametrize("kwargs", [{}, {"axis": None}, {"axis": (1, 2)}, {"invert": True}])
def test_normalization_adapted(kwargs):
    x = _images((4, 3, 5, 2), low=-3, high=7)
    theirs = keras.layers.Normalization(**kwargs)
    ours = kerastutor.layers.Normalization(**kwargs)
    theirs.adapt(x)
    ours.adapt(x)
    _close(ours.adapt_mean.value, np.asarray(theirs.adapt_mean.numpy()), "adapted mean")
    _close(ours.adapt_variance.value, np.asarray(theirs.adapt_variance.numpy()),
           "adapted variance")
    g = np.random.default_rng(2).normal(size=x.shape).astype("float32")
    y_k, dx_k = _keras_forward_backward(theirs, x, g)
    y_o, dx_o = _ours_forward_backward(ours, x, g)
    _close(y_o, y_k, "Normalization forward")
    _close(dx_o, dx_k, "Normalization input gradient")


def test_normalization_given_statistics():
    x = _images((3, 4, 2))
    for kwargs in ({"mean": 2.0, "variance": 4.0},
                   {"mean": [1.0, 2.0], "variance": [1.0, 4.0], "invert": True}):
        theirs, ours = keras.layers.Normalization(**kwargs), kerastutor.layers.Normalization(
            **kwargs)
        g = np.ones_like(x)
        y_k, dx_k = _keras_forward_backward(theirs, x, g)
        y_o, dx_o = _ours_forward_backward(ours, x, g)
        _close(y_o, y_k, f"Normalization{kwargs}")
        _close(dx_o, dx_k, f"Normalization{kwargs} gradient")


@pytest.mark.parametrize("args, kwargs", [((1 / 255.,), {}), ((2.0,), {"offset": -1.0}),
                                          (([0.5, 2.0, -1.0],), {"offset": 0.25})])
def test_rescaling(args, kwargs):
    _compare("Rescaling", args, kwargs, _images(high=255.0))


RESIZE_CASES = [
    ((2, 3), {}), ((2, 3), {"interpolation": "nearest"}),
    ((2, 3), {"interpolation": "bicubic"}), ((2, 3), {"antialias": True}),
    ((3, 2), {"interpolation": "bicubic", "antialias": True}),
    ((9, 11), {}), ((9, 11), {"interpolation": "nearest"}),
    ((9, 11), {"interpolation": "bicubic"}), ((7, 4), {"crop_to_aspect_ratio": True}),
    ((7, 4), {"pad_to_aspect_ratio": True, "fill_value": 0.5}),
    ((4, 4), {"pad_to_aspect_ratio": True}), ((3, 3), {"data_format": "channels_first"}),
]


@pytest.mark.parametrize("args, kwargs", RESIZE_CASES)
def test_resizing(args, kwargs):
    _compare("Resizing", args, kwargs, _images())


def test_resizing_uint8():
    x = np.random.default_rng(3).integers(0, 256, size=(1, 5, 4, 2)).astype("uint8")
    theirs = keras.layers.Resizing(3, 7)(x)
    ours = kerastutor.layers.Resizing(3, 7)(x)
    assert ours.dtype == np.uint8
    # both round a float resize; a value at .5 may round either way (float32 vs float64 sums)
    diff = np.abs(ours.astype(int) - np.asarray(theirs).astype(int))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.9


@pytest.mark.parametrize("args", [(3, 4), (5, 6), (2, 1), (7, 3), (4, 9)])
def test_center_crop(args):
    _compare("CenterCrop", args, {}, _images())


# ------------------------------------------------------------------ random layers, pinned
AFFINE_OPTIONS = [{"fill_mode": m, "interpolation": i, "fill_value": 0.25}
                  for m in ("reflect", "wrap", "constant", "nearest")
                  for i in ("bilinear", "nearest")]


# A quarter turn of a 5x6 image lands nearest-neighbour lookups exactly on .5, where
# float32 (Keras) and float64 (ours) round differently: that case is bilinear only.
@pytest.mark.parametrize("factor, kwargs", [
    (factor, kwargs) for factor in [(0.1, 0.1), (-0.3, -0.3), (0.25, 0.25)]
    for kwargs in AFFINE_OPTIONS
    if not (factor == (0.25, 0.25) and kwargs["interpolation"] == "nearest")])
def test_random_rotation_pinned(factor, kwargs):
    _compare("RandomRotation", (factor,), kwargs, _images(),
             differentiable=kwargs["interpolation"] == "bilinear")


# The width zoom 0.7, not 0.8: Keras draws the zoom in float32 (so do we), and with
# W = 6 a zoom of 0.8 reads columns 0 and 5 at 0.8 c + 2.5 (1 - 0.8) = 0.5 and 4.5 --
# half-pixel ties for nearest interpolation (float32 0.8 puts them within 3e-8 of
# the half), which Keras's torch and NumPy backends round differently. So the
# factors avoid the tie (rather than pinning one backend's rounding): the zooms
# 0.7 (W = 6) and 1.4 (H = 5) land every lookup at least 0.05 from a half pixel.
@pytest.mark.parametrize("kwargs", AFFINE_OPTIONS)
@pytest.mark.parametrize("factors", [((-0.3, -0.3), None), ((0.4, 0.4), (-0.3, -0.3))])
def test_random_zoom_pinned(factors, kwargs):
    _compare("RandomZoom", factors, kwargs, _images(),
             differentiable=kwargs["interpolation"] == "bilinear")


@pytest.mark.parametrize("kwargs", AFFINE_OPTIONS)
@pytest.mark.parametrize("factors", [((0.2, 0.2), (-0.3, -0.3)), ((-0.45, -0.45), (0.1, 0.1))])
def test_random_translation_pinned(factors, kwargs):
    _compare("RandomTranslation", factors, kwargs, _images(),
             differentiable=kwargs["interpolation"] == "bilinear")


def test_affine_layers_channels_first_and_single_image():
    _compare("RandomRotation", ((0.1, 0.1),), {"data_format": "channels_first"},
             np.moveaxis(_images(), -1, 1))
    _compare("RandomZoom", ((0.2, 0.2),), {}, _images()[0])


# ------------------------------------------------------------------ random layers, read back
@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip(mode, monkeypatch):
    x = _images((8, 3, 4, 2))
    queue = _queue(monkeypatch)

    def prepare(layer, x, y_k):
        flipped = ~np.all(np.isclose(y_k, x), axis=(1, 2, 3))
        queue.append(np.where(flipped, 0.25, 0.75))     # flipped where u <= 0.5
    _compare("RandomFlip", (mode,), {}, x, prepare=prepare)
    _used_up(queue)


@pytest.mark.parametrize("size", [(3, 4), (5, 5), (5, 8), (2, 6)])
def test_random_crop(size, monkeypatch):
    x = _images((2, 5, 6, 3))
    queue = _queue(monkeypatch)             # no offsets drawn: a draw fails the test

    def prepare(layer, x, y_k):
        h, w = size
        if x.shape[1] > h and x.shape[2] > w:                 # find Keras's offset
            found = [(top, left) for top in range(x.shape[1] - h + 1)
                     for left in range(x.shape[2] - w + 1)
                     if np.allclose(x[:, top:top + h, left:left + w], y_k)]
            assert found, "Keras's crop is no window of the input"
            queue.extend([found[0][0] + 0.5, found[0][1] + 0.5])   # top, then left
    _compare("RandomCrop", size, {}, x, prepare=prepare)
    _used_up(queue)
    _compare("RandomCrop", size, {}, x, training=False)


def test_random_contrast():
    x = _images((4, 3, 5, 2), high=255.0)

    def prepare(layer, x, y_k):
        mean = x.mean(axis=(1, 2), keepdims=True)
        a = ((y_k - mean) * (x - mean)).sum(axis=(1, 2, 3)) / \
            ((x - mean) ** 2).sum(axis=(1, 2, 3))
        return {"transformation": {"contrast_factor": a.reshape(-1, 1, 1, 1)}}
    _compare("RandomContrast", (0.5,), {"value_range": (-1e4, 1e4)}, x, prepare=prepare)
    _compare("RandomContrast", ((0.0, 0.0),), {"value_range": (60, 200)}, x)   # a = 1: the clip


def test_random_contrast_factor_range_statistics():
    x = _images((200, 3, 3, 1), high=255.0)
    y = np.asarray(keras.layers.RandomContrast(0.5, value_range=(-1e4, 1e4))(x))
    mean = x.mean(axis=(1, 2), keepdims=True)
    a = ((y - mean) * (x - mean)).sum(axis=(1, 2, 3)) / ((x - mean) ** 2).sum(axis=(1, 2, 3))
    ours = kerastutor.layers.RandomContrast(0.5)
    assert ours.factor == (0, 0.5)
    assert a.min() >= 1.0 - 1e-4 and a.max() < 1.5 + 1e-4      # both draw U[1, 1.5)


def test_random_brightness():
    x = _images((4, 3, 5, 2), low=50, high=200)

    def prepare(layer, x, y_k):
        delta = (y_k - x)[:, 0, 0, 0]
        return {"transformation": {"rgb_delta": delta.reshape(-1, 1, 1, 1)}}
    _compare("RandomBrightness", (0.2,), {}, x, prepare=prepare)


@pytest.mark.parametrize("name, args", [
    ("RandomFlip", ()), ("RandomRotation", (0.2,)), ("RandomZoom", (0.2,)),
    ("RandomTranslation", (0.2, 0.2)), ("RandomContrast", (0.5,)),
    ("RandomBrightness", (0.2,)), ("RandomCrop", (3, 3))])
def test_training_defaults_match(name, args):
    """Direct call augments, training=False and predict do not -- in both libraries."""
    x = _images((16, 5, 6, 3), high=255.0)             # 16 images: some get flipped
    for lib in (keras, kerastutor):
        layer = getattr(lib.layers, name)(*args)
        direct = np.asarray(layer(x))
        changed = direct.shape != x.shape or not np.allclose(direct, x)
        assert changed, f"{lib.__name__}.{name}: a direct call should augment"
        np.testing.assert_allclose(np.asarray(layer(x, training=False)), x)


@pytest.mark.parametrize("name, args, kwargs", [
    ("Resizing", (3, 4), {"interpolation": "bicubic", "pad_to_aspect_ratio": True}),
    ("CenterCrop", (3, 4), {}), ("RandomCrop", (3, 4), {"seed": 3}),
    ("RandomFlip", ("vertical",), {"seed": 1}),
    ("RandomRotation", (0.2,), {"fill_mode": "wrap", "seed": 2}),
    ("RandomZoom", (0.2, (0.1, 0.3)), {"seed": 2}),
    ("RandomTranslation", (0.2, [0.1, 0.3]), {"fill_value": 1.0}),
    ("RandomContrast", (0.3,), {"value_range": (0, 1)}),
    ("RandomBrightness", (0.3,), {"value_range": (1, 0)}),
    ("Normalization", (), {"axis": (1, 2), "mean": [1.0], "variance": [2.0]}),
    ("Rescaling", (0.5,), {"offset": 1.0})])
def test_config_keys_and_values(name, args, kwargs):
    theirs = getattr(keras.layers, name)(*args, **kwargs).get_config()
    ours = getattr(kerastutor.layers, name)(*args, **kwargs).get_config()
    assert set(ours) == set(theirs), f"{name}: keys {sorted(ours)} != {sorted(theirs)}"
    for key in set(theirs) - {"name", "dtype"}:
        t, o = theirs[key], ours[key]
        if isinstance(t, (list, tuple)) and isinstance(o, (list, tuple)):
            assert list(o) == list(t), f"{name}.{key}: {o} != {t}"
        else:
            assert o == t, f"{name}.{key}: {o!r} != Keras {t!r}"
