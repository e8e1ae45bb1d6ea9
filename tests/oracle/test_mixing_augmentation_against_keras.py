"""Real Keras 3.15.1 (torch backend) as the oracle for AugMix and RandAugment.

Keras draws from torch and Python's ``random``, we through ``kerastutor.random``
(NumPy), so Keras's own ``get_random_transformation`` is called and its
transformation is handed to our layer: our ``get_random_transformation`` is
monkeypatched to return it translated into our form (:func:`_ours_transformation`)
-- the op choices (RandAugment's ``layer_idxes``; AugMix's chains of
``(name, magnitudes)``), AugMix's Dirichlet chain weights and Beta blend, and
each operation's magnitudes. The colour operations take Keras's keys as they
are (deltas, factors, posterization shifts, solarization additions and
thresholds); the geometric ones (drawn in ``sample_matrices`` here) take the
``(N, 8)`` matrices our own ``shear_matrices``, ``translation_matrices`` and
``rotation_matrices`` build from Keras's shears, translations and angles.
Then Keras's ``transform_images`` with that transformation is compared with
our forward, and torch autograd through it with our backward.

Two torch-only Keras quirks are worked around. RandAugment's
``transform_images`` evaluates *every* operation on the current images, once
per op slot, and keeps the chosen one with ``where``; under torch two of the
operations write into their arguments: ``RandomBrightness`` does
``images += delta`` in place (so every call also shifts the images by the
unclipped delta, chosen or not), and the torch ``affine_transform`` swaps the
columns of ``RandomRotation``'s stored ``rotation_matrix`` in place (so the
second evaluation rotates with a transposed-axes matrix). Under TensorFlow and
JAX neither happens and RandAugment is the plain composition, which is what
kerastutor implements; the oracle hands those two Keras operations copies
(:func:`_no_in_place`).

Run with KERAS_BACKEND=torch, KERASTUTOR_ORACLE=1.
"""
import os
import random

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(os.environ.get("KERASTUTOR_ORACLE") != "1",
                                reason="oracle tests run only with KERASTUTOR_ORACLE=1")
os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

import kerastutor  # noqa: E402
from kerastutor.layers.preprocessing.random_rotation import rotation_matrices  # noqa: E402
from kerastutor.layers.preprocessing.random_shear import shear_matrices  # noqa: E402
from kerastutor.layers.preprocessing.random_translation import \
    translation_matrices  # noqa: E402

RTOL, ATOL = 1e-5, 2e-4


def _close(ours, theirs, what, atol=ATOL):
    theirs, ours = np.asarray(theirs), np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != Keras {theirs.shape}"
    scale = max(1.0, float(np.abs(theirs).max())) if theirs.size else 1.0
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=atol * scale, err_msg=what)


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


COLOUR_KEYS = {"random_brightness": {"rgb_delta"}, "random_contrast": {"contrast_factor"},
               "random_color_degeneration": {"factor"}, "random_sharpness": {"factor"},
               "random_posterization": {"shift_factor"},
               "solarization": {"additions", "thresholds"}}


def _ours_transformation(name, t, shape):
    """Keras's magnitudes ``t`` of operation ``name``, in the form our operation takes."""
    height, width = shape[1], shape[2]
    if name in ("auto_contrast", "equalization"):       # nothing drawn
        assert t is None
        return None
    if name == "random_shear":                          # Keras's columns: (s_x, s_y)
        shear = _np(t["shear_factor"]).astype(np.float64)
        return {"matrices": shear_matrices(shear[:, 0], shear[:, 1])}
    if name == "random_translation":                    # (dx, dy) in pixels
        moves = _np(t["translations"]).astype(np.float64)
        return {"matrices": translation_matrices(moves[:, 0], moves[:, 1])}
    if name == "random_rotation":                       # degrees
        return {"matrices": rotation_matrices(_np(t["angle"]), height, width)}
    assert set(t) == COLOUR_KEYS[name], (name, sorted(t))     # the same keys as ours
    return {key: _np(value) for key, value in t.items()}


def _given(monkeypatch, ours, transformation):
    """``ours.get_random_transformation`` returns ``transformation`` (Keras's, translated)."""
    monkeypatch.setattr(ours, "get_random_transformation",
                        lambda x, training=True, seed=None: transformation)


def _no_in_place(layer):
    """Keras's brightness and rotation, handed copies (see the module docstring)."""
    brightness, rotation = layer.random_brightness, layer.random_rotation
    shift, rotate = brightness.transform_images, rotation.transform_images
    brightness.transform_images = lambda images, t, training=True: shift(
        images.clone(), t, training=training)
    rotation.transform_images = lambda images, t, training=True: rotate(
        images, {**t, "rotation_matrix": t["rotation_matrix"].clone()}, training=training)


def _images(shape, value_range, seed=0):
    return np.random.default_rng(seed).uniform(*value_range, size=shape).astype("float32")


def _keras_images(layer, x, transformation, g):
    leaf = torch.tensor(x, requires_grad=True)
    y = layer.transform_images(leaf * 1.0, transformation, training=True)
    (y * torch.tensor(g)).sum().backward()
    grad = leaf.grad if leaf.grad is not None else torch.zeros_like(leaf)
    return _np(y), _np(grad)


def _compare(what, ours, x, y_k, dx_k, g):
    y_o, cache = ours.forward(x, training=True)
    dx_o = ours.backward(cache, g)
    _close(y_o, y_k, f"{what} forward")
    _close(dx_o, dx_k, f"{what} gradient")


# ------------------------------------------------------------------ RandAugment
OPS = kerastutor.layers.RandAugment._AUGMENT_LAYERS
PAIRS = [(i, (i + 4) % 11) for i in range(11)] + [(2, 2), (0, 0), (8, 8)]


@pytest.mark.parametrize("pair", PAIRS, ids=[f"{OPS[i]}-{OPS[j]}" for i, j in PAIRS])
@pytest.mark.parametrize("value_range, factor", [((0, 255), 0.5), ((0, 1), (0.2, 0.7))])
def test_rand_augment(pair, value_range, factor, monkeypatch):
    shape = (3, 7, 8, 3)
    x = _images(shape, value_range)
    kwargs = {"value_range": value_range, "factor": factor, "num_ops": 2}
    theirs = keras.layers.RandAugment(**kwargs, seed=sum(pair))
    _no_in_place(theirs)
    ours = kerastutor.layers.RandAugment(**kwargs)
    assert keras.layers.RandAugment(**kwargs).get_config()["factor"] == \
        pytest.approx(ours.get_config()["factor"])
    t = theirs.get_random_transformation(x, training=True)
    t["layer_idxes"] = torch.tensor(pair, dtype=torch.int32)        # cover every op
    assert set(t["transforms"]) == set(OPS)
    _given(monkeypatch, ours, {
        "layer_idxes": np.asarray(pair),
        "transforms": {name: _ours_transformation(name, t["transforms"][name], shape)
                       for name in OPS}})
    g = np.random.default_rng(1).normal(size=shape).astype("float32")
    y_k, dx_k = _keras_images(theirs, x, t, g)
    _compare(f"RandAugment{pair}{kwargs}", ours, x, y_k, dx_k, g)


# ------------------------------------------------------------------ AugMix
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kwargs", [{}, {"all_ops": False, "num_chains": 2, "chain_depth": 4},
                                    {"value_range": (0, 1), "factor": 0.6, "alpha": 0.5},
                                    {"interpolation": "nearest", "num_chains": 4}])
def test_aug_mix(seed, kwargs, monkeypatch):
    value_range = kwargs.get("value_range", (0, 255))
    shape = (2, 7, 6, 3)
    x = _images(shape, value_range, seed)
    theirs = keras.layers.AugMix(**kwargs, seed=seed)
    ours = kerastutor.layers.AugMix(**kwargs)
    random.seed(seed)                                   # Keras picks ops with Python's random
    t = theirs.get_random_transformation(x, training=True)
    assert len(t["chain_transforms"]) == ours.num_chains
    chains = [[(step["layer_name"], _ours_transformation(step["layer_name"],
                                                         step["transformation"], shape))
               for step in chain] for chain in t["chain_transforms"]]     # empty slots left out
    assert all(name in ours._augment_layers for chain in chains for name, _ in chain)
    _given(monkeypatch, ours, {"chain_mixing_weights": _np(t["chain_mixing_weights"]),
                               "weight_sample": _np(t["weight_sample"]),
                               "chain_transforms": chains})
    g = np.random.default_rng(1).normal(size=shape).astype("float32")
    y_k, dx_k = _keras_images(theirs, x, t, g)
    _compare(f"AugMix{kwargs} seed {seed}", ours, x, y_k, dx_k, g)


def test_configs_match_keras():
    for cls, kwargs in [("AugMix", {"num_chains": 2, "factor": (0.1, 0.4), "alpha": 0.7,
                                    "all_ops": False, "seed": 3}),
                        ("RandAugment", {"num_ops": 3, "factor": 0.2,
                                         "interpolation": "nearest", "seed": 5})]:
        theirs = getattr(keras.layers, cls)(**kwargs).get_config()
        ours = getattr(kerastutor.layers, cls)(**kwargs).get_config()
        for key in set(theirs) - {"dtype", "name"}:
            assert ours[key] == pytest.approx(theirs[key]) if key == "factor" else \
                ours[key] == theirs[key], (cls, key, ours[key], theirs[key])
