"""Real Keras 3.15.1 (torch backend) as the oracle for AugMix and RandAugment.

Keras draws from torch and Python's ``random``, we from NumPy, so Keras's own
``get_random_transformation`` is called and every draw in it is handed to our
layer through stand-in generators: the op choices (RandAugment's
``layer_idxes``; AugMix's chains, padded with empty slots), AugMix's Dirichlet
chain weights and Beta blend, and each operation's magnitudes (shears,
translations, angles, deltas, factors, posterization bits, solarization
additions and thresholds). Then Keras's ``transform_images`` with that
transformation is compared with our forward, and torch autograd through it
with our backward.

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

RTOL, ATOL = 1e-5, 2e-4


def _close(ours, theirs, what, atol=ATOL):
    theirs, ours = np.asarray(theirs), np.asarray(ours)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != Keras {theirs.shape}"
    scale = max(1.0, float(np.abs(theirs).max())) if theirs.size else 1.0
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=atol * scale, err_msg=what)


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


class Draws:
    """A stand-in generator: each method returns its queued values in turn."""

    def __init__(self, uniform=(), integers=(), gamma=(), beta=()):
        self.queues = {"uniform": list(uniform), "integers": list(integers),
                       "gamma": list(gamma), "beta": list(beta)}

    def _pop(self, method, size):
        value = np.asarray(self.queues[method].pop(0))
        return value if size is None else value.reshape(size)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._pop("uniform", size).astype(np.float64)

    def integers(self, low, high=None, size=None):
        return self._pop("integers", size)

    def gamma(self, shape, scale=1.0, size=None):
        return self._pop("gamma", size).astype(np.float64)

    def beta(self, a, b, size=None):
        return self._pop("beta", size).astype(np.float64)


def _op_draws(name, t, shape, value_range):
    """Our operation's draws (method -> values, in order) that reproduce Keras's ``t``."""
    n, height, width = shape[0], shape[1], shape[2]
    if t is None:                                       # auto_contrast, equalization
        return {}
    if name == "random_shear":
        shear = _np(t["shear_factor"]).astype(np.float64)
        return {"uniform": [np.zeros(n), shear[:, 1], shear[:, 0]]}   # sign +1, signed
    if name == "random_translation":
        moves = _np(t["translations"]).astype(np.float64)             # (dx, dy) in pixels
        return {"uniform": [moves[:, 1] / height, moves[:, 0] / width]}
    if name == "random_rotation":
        return {"uniform": [_np(t["angle"])]}
    if name == "random_brightness":
        return {"uniform": [_np(t["rgb_delta"]) / (value_range[1] - value_range[0])]}
    if name == "random_contrast":
        return {"uniform": [_np(t["contrast_factor"])]}
    if name in ("random_color_degeneration", "random_sharpness"):
        return {"uniform": [_np(t["factor"])]}
    if name == "random_posterization":
        return {"integers": [8 - _np(t["shift_factor"]).astype(np.int64)]}
    if name == "solarization":
        return {"uniform": [_np(t["additions"]), _np(t["thresholds"])]}
    raise AssertionError(name)


def _hand(ours, per_op):
    """Give each of our operations a Draws with the queued values of ``per_op``."""
    for name, queues in per_op.items():
        getattr(ours, name)._rng = Draws(**queues)


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
def test_rand_augment(pair, value_range, factor):
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
    ours._rng = Draws(integers=[np.asarray(pair)])
    _hand(ours, {name: _op_draws(name, t["transforms"][name], shape, value_range)
                 for name in OPS})
    g = np.random.default_rng(1).normal(size=shape).astype("float32")
    y_k, dx_k = _keras_images(theirs, x, t, g)
    _compare(f"RandAugment{pair}{kwargs}", ours, x, y_k, dx_k, g)


# ------------------------------------------------------------------ AugMix
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kwargs", [{}, {"all_ops": False, "num_chains": 2, "chain_depth": 4},
                                    {"value_range": (0, 1), "factor": 0.6, "alpha": 0.5},
                                    {"interpolation": "nearest", "num_chains": 4}])
def test_aug_mix(seed, kwargs):
    value_range = kwargs.get("value_range", (0, 255))
    shape = (2, 7, 6, 3)
    x = _images(shape, value_range, seed)
    theirs = keras.layers.AugMix(**kwargs, seed=seed)
    ours = kerastutor.layers.AugMix(**kwargs)
    random.seed(seed)                                   # Keras picks ops with Python's random
    t = theirs.get_random_transformation(x, training=True)
    ops = ours._augment_layers
    slots = np.full((ours.num_chains, ours.chain_depth), len(ops))   # empty slots
    per_op = {name: {} for name in ops}
    for k, chain in enumerate(t["chain_transforms"]):
        for d, step in enumerate(chain):
            slots[k, d] = ops.index(step["layer_name"])
            draws = _op_draws(step["layer_name"], step["transformation"], shape, value_range)
            for method, values in draws.items():
                per_op[step["layer_name"]].setdefault(method, []).extend(values)
    ours._rng = Draws(gamma=[_np(t["chain_mixing_weights"])],
                      beta=[_np(t["weight_sample"])], integers=[slots])
    _hand(ours, per_op)
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
