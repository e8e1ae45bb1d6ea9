"""Keras 3.15.1's NumPy backend as the oracle for the mixing and compound layers' draws.

RandomErasing, RandomGaussianBlur, MixUp and CutMix draw their parameters
through ``keras.random`` from their own ``SeedGenerator``, in Keras's order,
shapes and dtypes; the compound layers -- RandomColorJitter, RandAugment and
AugMix -- hand *their* generator to the operations they call, as Keras's
``get_random_transformation(..., seed=...)`` does (AugMix also picks its
operations with Python's ``random``, as Keras does). Keras's NumPy backend draws
the same way, so for the same seed (or the same ``set_random_seed`` for an
unseeded layer) both libraries must give the same outputs: bit for bit where the
math is a copy or a mask (erasing with a constant, CutMix), to float32
round-off elsewhere.

Each case is called several times (so the later calls check that the generator
moved on as Keras's does); MixUp's and CutMix's cases also carry one-hot labels
(``{"images": x, "labels": y}``), and a ``training=False`` call in between
checks which layers draw at inference. Keras's outputs for every case come from
ONE child process (``tests/oracle/numpy_backend.py``).

Run with KERAS_BACKEND=torch, KERASTUTOR_ORACLE=1.
"""
import os
import textwrap

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(os.environ.get("KERASTUTOR_ORACLE") != "1",
                                reason="oracle tests run only with KERASTUTOR_ORACLE=1")
os.environ.setdefault("KERAS_BACKEND", "torch")

from numpy_backend import run_numpy_backend  # noqa: E402

RTOL, ATOL = 1e-5, 1e-4
GLOBAL_SEED = 11
# Where the default global seed makes RandAugment pick auto_contrast then equalization:
# equalization (piecewise constant) turns the float32 round-off between Keras's and our
# AutoContrast into a jump of a histogram bin -- not a matter of draws.
GLOBAL_SEEDS = {"randaugment-unseeded": 16}


def _pixels(shape, seed=0):
    """Whole numbers in [0, 255]: exact in float32 and short in the JSON payload."""
    return np.random.default_rng(seed).integers(0, 256, size=shape).astype("float32")


def _unit(shape, seed=0):
    """Pixels in [0, 1] on a 1/32 grid (exact in float32)."""
    return (np.random.default_rng(seed).integers(0, 33, size=shape) / 32).astype("float32")


BATCH = _pixels((2, 6, 6, 3))                  # channels_last batch
SINGLE = _pixels((6, 6, 3), seed=1)            # one image (rank 3)
FIRST = _pixels((2, 3, 6, 6), seed=2)          # channels_first batch
FIRST4 = _pixels((4, 3, 5, 6), seed=5)         # channels_first, four images
WIDE = _pixels((4, 5, 7, 3), seed=3)           # four images, height != width
UNIT = _unit((3, 6, 6, 3), seed=4)             # value_range (0, 1)
LABELS = np.eye(4, dtype="float32")            # one-hot labels for WIDE

# (id, layer expression, input, exact?, with labels?, trainings of the successive calls)
TWICE = (True, True)
CASES = [
    # --- RandomErasing: scale (B, 2), x starts, y starts, probabilities, thresholds, noise
    ("erasing-default", "lib.layers.RandomErasing(seed=3)", BATCH, True, False, TWICE),
    ("erasing-pair-constant",
     "lib.layers.RandomErasing(factor=(0.6, 1.0), scale=(0.1, 0.5), fill_value=7.0, seed=5)",
     WIDE, True, False, TWICE),
    ("erasing-rank3-channel-fill",
     "lib.layers.RandomErasing(factor=(1.0, 1.0), fill_value=[10, 300, -4], seed=2)", SINGLE,
     True, False, TWICE),
    ("erasing-channels-first",
     "lib.layers.RandomErasing(0.9, scale=(0.2, 0.4), data_format='channels_first', seed=8)",
     FIRST, True, False, TWICE),
    ("erasing-unit-range",
     "lib.layers.RandomErasing(factor=(1.0, 1.0), value_range=(0, 1), seed=4)", UNIT, True,
     False, TWICE),
    ("erasing-unseeded", "lib.layers.RandomErasing(factor=(0.5, 1.0))", BATCH, True, False,
     TWICE),
    # --- RandomGaussianBlur: probabilities (B,), thresholds (B,), sigmas (2,)
    ("blur-default", "lib.layers.RandomGaussianBlur(seed=1)", BATCH, False, False, TWICE),
    ("blur-pairs-k5",
     "lib.layers.RandomGaussianBlur((0.3, 0.9), kernel_size=5, sigma=(0.2, 0.9), seed=4)",
     WIDE, False, False, TWICE),
    ("blur-rank3", "lib.layers.RandomGaussianBlur(0.9, sigma=0.5, seed=6)", SINGLE, False,
     False, TWICE),
    ("blur-channels-first",
     "lib.layers.RandomGaussianBlur((1.0, 1.0), data_format='channels_first', seed=2)", FIRST,
     False, False, TWICE),
    ("blur-unit-range",
     "lib.layers.RandomGaussianBlur((1.0, 1.0), value_range=(0, 1), seed=9)", UNIT, False,
     False, TWICE),
    ("blur-unseeded", "lib.layers.RandomGaussianBlur(0.8)", BATCH, False, False, TWICE),
    # --- MixUp: shuffle(arange(B)), beta((B,)) -- drawn at inference too (Keras's quirk)
    ("mixup-labels", "lib.layers.MixUp(seed=1)", WIDE, False, True, TWICE),
    ("mixup-alpha-inference-between", "lib.layers.MixUp(alpha=0.7, seed=2)", WIDE, False,
     True, (True, False, True)),
    ("mixup-rank3", "lib.layers.MixUp(alpha=0.5, seed=3)", SINGLE, False, False, TWICE),
    ("mixup-channels-first", "lib.layers.MixUp(data_format='channels_first', seed=4)", FIRST4,
     False, False, TWICE),
    ("mixup-unseeded", "lib.layers.MixUp(alpha=1.0)", WIDE, False, True, TWICE),
    # --- CutMix: alpha (), beta((B,)), x starts, y starts, shuffle(arange(B))
    ("cutmix-labels", "lib.layers.CutMix(seed=3)", WIDE, True, True, TWICE),
    ("cutmix-pair-inference-between", "lib.layers.CutMix(factor=(0.2, 0.6), seed=7)", WIDE,
     True, True, (True, False, True)),
    ("cutmix-number", "lib.layers.CutMix(0.4, seed=5)", BATCH, True, False, TWICE),
    ("cutmix-channels-first", "lib.layers.CutMix(data_format='channels_first', seed=6)",
     FIRST4, True, False, TWICE),
    ("cutmix-rank3-identity", "lib.layers.CutMix(seed=2)", SINGLE, True, False, TWICE),
    ("cutmix-unseeded", "lib.layers.CutMix()", WIDE, True, True, TWICE),
    # --- RandomColorJitter: each part draws from the jitter's generator, just before it acts
    ("jitter-all",
     "lib.layers.RandomColorJitter((0, 255), brightness_factor=0.2, contrast_factor=0.3,"
     " saturation_factor=0.4, hue_factor=0.3, seed=7)", BATCH, False, False, TWICE),
    ("jitter-pairs-unit-inference-between",
     "lib.layers.RandomColorJitter((0, 1), brightness_factor=(-0.2, 0.1),"
     " contrast_factor=(0.1, 0.5), hue_factor=(0.1, 0.3), seed=3)", UNIT, False, False,
     (True, False, True)),
    ("jitter-rank3",
     "lib.layers.RandomColorJitter(saturation_factor=(0.2, 0.8), hue_factor=0.2, seed=1)",
     SINGLE, False, False, TWICE),
    ("jitter-unseeded",
     "lib.layers.RandomColorJitter(brightness_factor=0.3, saturation_factor=0.5)", WIDE,
     False, False, TWICE),
    # --- RandAugment: randint((num_ops,), 0, 11), then all eleven operations' draws
    ("randaugment-default", "lib.layers.RandAugment(seed=3)", BATCH, False, False,
     (True, True, True)),
    ("randaugment-pair-unit",
     "lib.layers.RandAugment(value_range=(0, 1), num_ops=3, factor=(0.2, 0.7), seed=5)",
     UNIT, False, False, (True, False, True)),
    ("randaugment-rank3-nearest",
     "lib.layers.RandAugment(num_ops=4, interpolation='nearest', seed=1)", SINGLE, False,
     False, TWICE),
    # (seeds whose choices avoid auto_contrast: Keras's AutoContrast ignores data_format
    # and takes min/max over axes (1, 2), i.e. over channels and rows for channels_first)
    ("randaugment-channels-first",
     "lib.layers.RandAugment(factor=0.3, data_format='channels_first', seed=3)", FIRST,
     False, False, TWICE),
    ("randaugment-same-op-twice",
     "lib.layers.RandAugment(factor=0.3, data_format='channels_first', seed=11)", FIRST,
     False, False, TWICE),
    ("randaugment-unseeded", "lib.layers.RandAugment(num_ops=3)", WIDE, False, False, TWICE),
    # --- AugMix: gamma((K,)), beta(()), then per slot Python's random.choice and the draws
    ("augmix-default", "lib.layers.AugMix(seed=3)", BATCH, False, False, TWICE),
    ("augmix-few-ops-inference-between",
     "lib.layers.AugMix(num_chains=2, chain_depth=4, all_ops=False, seed=1)", WIDE, False,
     False, (True, False, True)),
    ("augmix-unit",
     "lib.layers.AugMix(value_range=(0, 1), factor=0.6, alpha=0.5, seed=4)", UNIT, False,
     False, TWICE),
    ("augmix-rank3-nearest", "lib.layers.AugMix(interpolation='nearest', seed=2)", SINGLE,
     False, False, TWICE),
    ("augmix-channels-first",
     "lib.layers.AugMix(num_chains=4, data_format='channels_first', seed=5)", FIRST, False,
     False, TWICE),
    ("augmix-unseeded", "lib.layers.AugMix(chain_depth=2)", BATCH, False, False, TWICE),
]

SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras as lib
    out = []
    for case in json.loads(sys.argv[1]):
        x = np.asarray(case["x"], dtype="float32")
        lib.utils.set_random_seed(case["global_seed"])
        layer = eval(case["layer"])
        if isinstance(layer, lib.layers.RandAugment):
            # Keras's bug, worked around: RandomBrightness.transform_images does
            # `images += delta` in place, and RandAugment evaluates every operation in
            # every slot, so each slot shifts the images by the (unclipped) delta
            # whether brightness was chosen or not. Hand it a copy: the plain composition.
            brightness = layer.random_brightness
            shift = brightness.transform_images
            brightness.transform_images = lambda images, t, training=True: shift(
                images.copy(), t, training=training)
        calls = []
        for training in case["trainings"]:
            if case["labels"] is None:
                y = np.asarray(layer(x, training=training))
                calls.append({"images": y.tolist()})
            else:
                data = {"images": x, "labels": np.asarray(case["labels"], dtype="float32")}
                y = layer(data, training=training)
                calls.append({k: np.asarray(v).tolist() for k, v in y.items()})
        out.append(calls)
    print(json.dumps(out))
""")


def _payload(name, layer, x, with_labels, trainings):
    return {"layer": layer, "x": x.tolist(), "global_seed": GLOBAL_SEEDS.get(name, GLOBAL_SEED),
            "labels": LABELS[:len(x)].tolist() if with_labels else None,
            "trainings": list(trainings)}


def _ours(payload):
    """kerastutor's outputs for the same calls, after the same ``set_random_seed``."""
    import kerastutor
    x = np.asarray(payload["x"], dtype="float32")
    kerastutor.utils.set_random_seed(payload["global_seed"])
    layer = eval(payload["layer"], {"lib": kerastutor, "np": np})
    calls = []
    for training in payload["trainings"]:
        if payload["labels"] is None:
            calls.append({"images": np.asarray(layer(x, training=training))})
        else:
            data = {"images": x, "labels": np.asarray(payload["labels"], dtype="float32")}
            calls.append({k: np.asarray(v) for k, v in layer(data, training=training).items()})
    return calls


@pytest.fixture(scope="module")
def keras_outputs():
    """Keras's outputs for every case, from one NumPy-backend child process."""
    payloads = [_payload(name, layer, x, labels, trainings)
                for name, layer, x, _, labels, trainings in CASES]
    return dict(zip([case[0] for case in CASES], run_numpy_backend(SCRIPT, payloads)))


@pytest.mark.parametrize("name, layer, x, exact, labels, trainings", CASES,
                         ids=[case[0] for case in CASES])
def test_layer_matches_keras_numpy_backend(keras_outputs, name, layer, x, exact, labels,
                                           trainings):
    ours = _ours(_payload(name, layer, x, labels, trainings))
    theirs = keras_outputs[name]
    assert len(ours) == len(theirs)
    for call, (mine, keras_call) in enumerate(zip(ours, theirs)):
        assert sorted(mine) == sorted(keras_call), f"{name} call {call}: keys"
        for key in mine:
            expected = np.asarray(keras_call[key], dtype="float32")
            what = f"{name} call {call} ({'training' if trainings[call] else 'inference'}) {key}"
            assert mine[key].shape == expected.shape, what
            if exact:
                np.testing.assert_array_equal(mine[key], expected, err_msg=what)
            else:
                np.testing.assert_allclose(mine[key], expected, rtol=RTOL, atol=ATOL,
                                           err_msg=what)
