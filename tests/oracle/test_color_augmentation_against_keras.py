"""Real Keras 3.15.1 (torch backend) as the oracle for the colour augmentation layers.

Each comparison runs the same constructor in ``keras.layers`` and
``kerastutor.layers`` on the same images: forward outputs must agree to
float32 round-off, and for the differentiable layers the input gradient too
(Keras's by torch autograd of ``sum(g * layer(x))``, ours by ``backward``).

The draws cannot agree (torch's generator against NumPy's), so each random
layer is made deterministic: a factor range collapsed to one value, a
probability of 1 (or 0), or -- where a sign or an addition is drawn (hue,
solarization, colour jitter) -- Keras's ``get_random_transformation`` replaced
by fixed values, and the same values (Keras's keys, as NumPy arrays) handed to
ours through ``forward(x, training, transformation=...)``; RandomColorJitter's
forward takes none, so its parts' ``get_random_transformation`` are
monkeypatched on both sides.

Run by ``tox -e keras`` (KERAS_BACKEND=torch, KERASTUTOR_ORACLE=1).
"""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import kerastutor  # noqa: E402

RTOL, ATOL = 1e-5, 1e-4


def _close(ours, theirs, what, atol=ATOL):
    theirs, ours = np.asarray(theirs), np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != Keras {theirs.shape}"
    scale = max(1.0, float(np.abs(theirs).max())) if theirs.size else 1.0
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=atol * scale, err_msg=what)


def _images(shape=(2, 5, 6, 3), seed=0, low=0.0, high=255.0):
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype("float32")


def _compare(name, args, kwargs, x, training=True, differentiable=True, transformation=None,
             patch=None, atol=ATOL, skip_nan_gradient=False):
    """``transformation``: Keras's draws, fixed in Keras and handed to our ``forward``.

    ``patch(theirs, ours)``: fixes the draws of a layer without that argument.
    """
    theirs = getattr(keras.layers, name)(*args, **kwargs)
    ours = getattr(kerastutor.layers, name)(*args, **kwargs)
    given = {}
    if transformation is not None:
        _fixed(transformation)(theirs)
        given = {"transformation": {k: np.asarray(v) for k, v in transformation.items()}}
    if patch is not None:
        patch(theirs, ours)
    leaf = torch.tensor(x, requires_grad=True)
    y_k = theirs(leaf * 1.0, training=training)
    g = np.random.default_rng(1).normal(size=tuple(y_k.shape)).astype("float32")
    if not ours.built:
        ours._maybe_build(x.shape)
    y_o, cache = ours.forward(x, training=training, **given)
    _close(y_o, y_k.detach().cpu().numpy(), f"{name}{args}{kwargs} forward", atol)
    if differentiable:
        (y_k * torch.tensor(g)).sum().backward()
        dx_o, dx_k = ours.backward(cache, g), leaf.grad.cpu().numpy()
        if skip_nan_gradient:           # Keras's autograd: inf - inf on a constant channel
            dx_k = np.where(np.isnan(dx_k), dx_o, dx_k)
        _close(dx_o, dx_k,
               f"{name}{args}{kwargs} input gradient", atol)


def _fixed(transformation, library=torch.tensor):
    """Patch a layer so that it uses ``transformation`` instead of drawing one.

    ``library``: how the values are handed over -- ``torch.tensor`` for a Keras
    layer, ``np.asarray`` for ours.
    """
    def patch(layer):
        layer.get_random_transformation = \
            lambda *args, **kwargs: {k: library(v) for k, v in transformation.items()}
    return patch


# ------------------------------------------------------------------ grayscale and friends
@pytest.mark.parametrize("factor", [1.0, 0.0])
def test_random_grayscale(factor):
    _compare("RandomGrayscale", (), {"factor": factor}, _images())
    _compare("RandomGrayscale", (), {"factor": factor, "data_format": "channels_first"},
             _images((2, 3, 4, 5)))
    _compare("RandomGrayscale", (), {"factor": factor}, _images((4, 5, 3)))   # one image


@pytest.mark.parametrize("factor, kwargs", [((1.0, 1.0), {}), ((0.0, 0.0), {}),
                                            ((1.0, 1.0), {"value_range": (0, 1)})])
def test_random_invert(factor, kwargs):
    _compare("RandomInvert", (factor,), kwargs, _images())


@pytest.mark.parametrize("factor", [(0.3, 0.3), (-0.5, -0.5), (1.0, 1.0)])
def test_random_color_degeneration(factor):
    _compare("RandomColorDegeneration", (factor,), {}, _images())
    _compare("RandomColorDegeneration", (factor,), {"value_range": (20, 200)}, _images())


@pytest.mark.parametrize("factor", [(0.1, 0.1), (0.5, 0.5), (0.9, 0.9)])
def test_random_sharpness(factor):
    _compare("RandomSharpness", (factor,), {}, _images())
    _compare("RandomSharpness", (factor,), {"value_range": (30, 220),
                                            "data_format": "channels_first"},
             _images((2, 3, 5, 4)))


@pytest.mark.parametrize("kernel_size, sigma", [(3, (0.7, 0.7)), (5, (0.3, 0.3)),
                                                (3, (1.0, 1.0))])
def test_random_gaussian_blur(kernel_size, sigma):
    kwargs = {"factor": (1.0, 1.0), "kernel_size": kernel_size, "sigma": sigma}
    _compare("RandomGaussianBlur", (), kwargs, _images((2, 6, 7, 3)))
    _compare("RandomGaussianBlur", (), {**kwargs, "value_range": (40, 200)},
             _images((2, 6, 7, 3)))
    _compare("RandomGaussianBlur", (), {**kwargs, "factor": (0.0, 0.0)}, _images())


# ------------------------------------------------------------------ HSV layers
@pytest.mark.parametrize("value_range, high", [((0, 255), 255.0), ((0, 1), 1.0)])
def test_random_hue(value_range, high):
    x = _images((3, 4, 5, 3), high=high)
    signs_u, sizes = np.array([0.2, 0.7, 0.9]), np.array([0.3, 0.45, 0.1])
    shift = np.where(signs_u > 0.5, -1.0, 1.0) * sizes * 0.5
    _compare("RandomHue", (0.5,), {"value_range": value_range}, x,
             transformation={"factor": shift.astype("float32")})


@pytest.mark.parametrize("factor", [(0.5, 0.5), (0.2, 0.2), (0.8, 0.8), (-0.3, -0.3)])
def test_random_saturation(factor):
    x = _images((2, 4, 5, 3), low=0.05, high=1.0)
    _compare("RandomSaturation", (factor,), {"value_range": (0, 1)}, x)
    _compare("RandomSaturation", (factor,), {}, x)           # Keras's default range


# ------------------------------------------------------------------ the steps
@pytest.mark.parametrize("bits", [1, 4, 7])
def test_random_posterization(bits):
    _compare("RandomPosterization", ((bits, bits),), {}, _images(), differentiable=False)
    _compare("RandomPosterization", ((bits, bits),), {"value_range": (0, 1)},
             _images(high=1.0), differentiable=False)


@pytest.mark.parametrize("addition, threshold, value_range", [
    (0.0, 0.0, (0, 255)), (0.2, 0.5, (0, 255)), (0.1, 0.4, (0, 1))])
def test_solarization(addition, threshold, value_range):
    x = _images((2, 4, 5, 3), high=value_range[1])
    additions = np.array([3.0, 40.0], "float32").reshape(2, 1, 1, 1) * (addition > 0)
    thresholds = np.array([100.0, 160.0], "float32").reshape(2, 1, 1, 1) * (threshold > 0)
    _compare("Solarization", (addition, threshold), {"value_range": value_range}, x,
             transformation={"additions": additions, "thresholds": thresholds})


def test_solarization_inference_is_identity():
    x = _images()
    _compare("Solarization", (), {}, x, training=False)


@pytest.mark.parametrize("value_range, high", [((0, 255), 200.0), ((0, 1), 0.8),
                                               ((-1, 1), 0.5)])
def test_auto_contrast(value_range, high):
    x = _images((2, 4, 5, 3), low=0.1 * high, high=high)
    x[1, ..., 2] = 0.3 * high                                   # a constant channel
    for training in (True, False):                          # applied at inference too
        _compare("AutoContrast", (), {"value_range": value_range}, x, training=training,
                 skip_nan_gradient=True)


@pytest.mark.parametrize("value_range, bins, high", [((0, 255), 256, 255.0),
                                                     ((0, 1), 16, 1.0), ((0, 255), 8, 255.0)])
def test_equalization(value_range, bins, high):
    x = _images((3, 6, 5, 3), high=high)
    x[..., 1] = 0.25 * high                                   # one bin: left as it is
    _compare("Equalization", (), {"value_range": value_range, "bins": bins}, x)
    _compare("Equalization", (), {"value_range": value_range, "bins": bins}, x,
             training=False)


def test_random_color_jitter():
    x = _images((2, 4, 5, 3), low=0.1, high=0.9)
    delta, contrast, saturation = 0.05, np.array([1.2, 0.9]), 0.7
    signs_u, sizes = np.array([0.2, 0.8]), np.array([0.2, 0.35])
    shift = np.where(signs_u > 0.5, -1.0, 1.0) * sizes * 0.5

    fixed = {  # the part (Keras's attribute, our class) -> its draws; brightness and
        # saturation draw from collapsed ranges
        ("random_contrast", "RandomContrast"): {
            "contrast_factor": contrast.reshape(2, 1, 1, 1).astype("float32")},
        ("random_hue", "RandomHue"): {"factor": shift.astype("float32")}}

    def patch(theirs, ours):
        parts = {type(part).__name__: part for part in ours.parts}
        assert list(parts) == ["RandomBrightness", "RandomContrast", "RandomSaturation",
                               "RandomHue"]
        for (keras_name, our_name), transformation in fixed.items():
            _fixed(transformation)(getattr(theirs, keras_name))
            _fixed(transformation, np.asarray)(parts[our_name])
    _compare("RandomColorJitter", (), {
        "value_range": (0, 1), "brightness_factor": (delta, delta),
        "contrast_factor": 0.5, "saturation_factor": (saturation, saturation),
        "hue_factor": 0.5}, x, patch=patch)


# ------------------------------------------------------------------ defaults and configs
@pytest.mark.parametrize("name, args", [
    ("RandomGrayscale", (1.0,)), ("RandomInvert", ((1.0, 1.0),)),
    ("RandomColorDegeneration", ((0.5, 0.5),)), ("RandomSharpness", ((0.1, 0.1),)),
    ("RandomGaussianBlur", ((1.0, 1.0),)), ("RandomHue", ((0.4, 0.4),)),
    ("RandomSaturation", ((0.9, 0.9),)), ("RandomPosterization", ((2, 2),)),
    ("Solarization", ()), ("Equalization", ()),
    ("RandomColorJitter", ((0, 255), (0.2, 0.2)))])
def test_training_defaults_match(name, args):
    """Direct call changes the images, training=False does not -- in both libraries."""
    x = _images((4, 5, 6, 3))
    for lib in (keras, kerastutor):
        layer = getattr(lib.layers, name)(*args)
        assert not np.allclose(np.asarray(layer(x)), x), f"{lib.__name__}.{name}: direct call"
        np.testing.assert_allclose(np.asarray(layer(x, training=False)), x)


@pytest.mark.parametrize("name, args, kwargs", [
    ("RandomGrayscale", (0.3,), {"seed": 2}),
    ("RandomHue", (0.4,), {"value_range": (0, 1), "seed": 1}),
    ("RandomSaturation", ((0.2, 0.7),), {"value_range": (1, 0)}),
    ("RandomSharpness", (0.3,), {"seed": 3}),
    ("RandomInvert", (), {"value_range": (0, 1)}),
    ("RandomPosterization", (4,), {"value_range": (255, 0)}),
    ("Solarization", (0.2, (0.1, 0.6)), {"seed": 4}),
    ("AutoContrast", (), {"value_range": (1, 0)}),
    ("Equalization", (), {"bins": 64, "value_range": (0, 1)}),
    ("RandomColorJitter", (), {"brightness_factor": 0.2, "hue_factor": (0.1, 0.3),
                               "seed": 5}),
    ("RandomColorDegeneration", (0.4,), {}),
    ("RandomGaussianBlur", (0.5,), {"kernel_size": 5, "sigma": (0.2, 0.9)})])
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
