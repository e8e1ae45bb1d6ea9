"""Keras 3.15.1's NumPy backend as the oracle for the colour layers' draws.

RandomContrast, RandomBrightness, RandomHue, RandomSaturation,
RandomColorDegeneration, RandomGrayscale, RandomPosterization,
RandomSharpness, RandomInvert and Solarization draw their parameters through
``keras.random`` from their own ``SeedGenerator``, in Keras's order, shapes and
dtypes. Keras's NumPy backend draws the same way, so for the same seed (or the
same ``set_random_seed`` for an unseeded layer) both libraries must give the
same images: bit for bit where the math is a selection or integer bit work
(invert, posterization), to float32 round-off elsewhere.

Every case is called more than once, so the later calls check that the
generator moved on as Keras's does; the ``inference-between`` cases put a
``training=False`` call in the middle, which checks *when* a layer draws: Keras's
hue, saturation, colour degeneration, grayscale, posterization and sharpness
layers draw at inference too (and leave the images alone), the others do not.
Keras's outputs for every case come from ONE child process
(``tests/oracle/numpy_backend.py``).

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


def _pixels(shape, seed=0):
    """Whole numbers in [0, 255]: exact in float32 and short in the JSON payload."""
    return np.random.default_rng(seed).integers(0, 256, size=shape).astype("float32")


def _unit(shape, seed=0):
    """Pixels in [0, 1] on a 1/32 grid (exact in float32)."""
    return (np.random.default_rng(seed).integers(0, 33, size=shape) / 32).astype("float32")


BATCH = _pixels((2, 6, 6, 3))                  # channels_last batch
SINGLE = _pixels((6, 6, 3), seed=1)            # one image (rank 3)
FIRST = _pixels((2, 3, 6, 6), seed=2)          # channels_first batch
UNIT = _unit((3, 6, 6, 3), seed=3)             # value_range (0, 1)
MANY = _pixels((8, 2, 2, 3), seed=4)           # enough images for both branches of a choice

TWICE = (True, True)
BETWEEN = (True, False, True)                  # an inference call in between

# (id, layer expression, input, exact?, trainings of the successive calls)
CASES = [
    # --- RandomContrast: uniform((B, 1, 1, 1), 1 - lo, 1 + hi, float32); none at inference
    ("contrast-number-inference-between", "lib.layers.RandomContrast(0.5, seed=3)", BATCH,
     False, BETWEEN),
    ("contrast-pair-unit-range",
     "lib.layers.RandomContrast((0.2, 0.8), value_range=(0, 1), seed=4)", UNIT, False, TWICE),
    ("contrast-rank3", "lib.layers.RandomContrast(0.3, seed=5)", SINGLE, False, TWICE),
    ("contrast-unseeded", "lib.layers.RandomContrast(0.9)", BATCH, False, TWICE),
    # --- RandomBrightness: uniform((B, 1, 1, 1), lo, hi) * range; none at inference
    ("brightness-number-inference-between", "lib.layers.RandomBrightness(0.2, seed=1)",
     BATCH, False, BETWEEN),
    ("brightness-pair-unit-range",
     "lib.layers.RandomBrightness((-0.3, 0.1), value_range=(0, 1), seed=2)", UNIT, False,
     TWICE),
    ("brightness-rank3", "lib.layers.RandomBrightness(0.4, seed=6)", SINGLE, False, TWICE),
    ("brightness-unseeded", "lib.layers.RandomBrightness(0.3)", BATCH, False, TWICE),
    # --- RandomHue: uniform((B,)) directions, uniform((B,), lo, hi) sizes; also at inference
    ("hue-number-inference-between", "lib.layers.RandomHue(0.5, seed=2)", BATCH, False,
     BETWEEN),
    ("hue-pair-unit-range", "lib.layers.RandomHue((0.2, 0.9), value_range=(0, 1), seed=3)",
     UNIT, False, TWICE),
    ("hue-rank3", "lib.layers.RandomHue(0.8, seed=4)", SINGLE, False, TWICE),
    ("hue-channels-first", "lib.layers.RandomHue(0.6, data_format='channels_first', seed=5)",
     FIRST, False, TWICE),
    ("hue-unseeded", "lib.layers.RandomHue(0.7)", MANY, False, TWICE),
    # --- RandomSaturation: uniform((B,), lo, hi); also at inference
    ("saturation-number-inference-between", "lib.layers.RandomSaturation(0.5, seed=1)",
     BATCH, False, BETWEEN),
    ("saturation-pair-unit-range",
     "lib.layers.RandomSaturation((0.3, 0.9), value_range=(0, 1), seed=2)", UNIT, False,
     TWICE),
    ("saturation-rank3", "lib.layers.RandomSaturation((0.1, 0.7), seed=3)", SINGLE, False,
     TWICE),
    ("saturation-channels-first",
     "lib.layers.RandomSaturation((0.2, 0.8), data_format='channels_first', seed=4)", FIRST,
     False, TWICE),
    ("saturation-unseeded", "lib.layers.RandomSaturation((0.4, 0.6))", BATCH, False, TWICE),
    # --- RandomColorDegeneration: uniform((B, 1, 1, 1), lo, hi); also at inference
    ("degeneration-number-inference-between",
     "lib.layers.RandomColorDegeneration(0.5, seed=1)", BATCH, False, BETWEEN),
    ("degeneration-pair-unit-range",
     "lib.layers.RandomColorDegeneration((0.2, 0.8), value_range=(0, 1), seed=2)", UNIT,
     False, TWICE),
    ("degeneration-rank3", "lib.layers.RandomColorDegeneration(0.9, seed=3)", SINGLE, False,
     TWICE),
    ("degeneration-channels-first",
     "lib.layers.RandomColorDegeneration(0.7, data_format='channels_first', seed=4)", FIRST,
     False, TWICE),
    ("degeneration-unseeded", "lib.layers.RandomColorDegeneration(0.6)", BATCH, False,
     TWICE),
    # --- RandomGrayscale: uniform((B,), 0, 1) < factor; also at inference
    ("grayscale-inference-between", "lib.layers.RandomGrayscale(0.5, seed=1)", MANY, False,
     BETWEEN),
    ("grayscale-rank3", "lib.layers.RandomGrayscale(0.5, seed=2)", SINGLE, False,
     (True, True, True)),
    ("grayscale-channels-first",
     "lib.layers.RandomGrayscale(0.4, data_format='channels_first', seed=3)", FIRST, False,
     TWICE),
    ("grayscale-unseeded", "lib.layers.RandomGrayscale(0.5)", MANY, False, TWICE),
    # --- RandomPosterization: randint((B,), lo, hi, uint8), none for equal ends; at inference too
    ("posterization-number-inference-between", "lib.layers.RandomPosterization(6, seed=1)",
     MANY, True, BETWEEN),
    ("posterization-pair-unit-range",
     "lib.layers.RandomPosterization((2, 7), value_range=(0, 1), seed=2)", UNIT, True,
     TWICE),
    ("posterization-equal-ends", "lib.layers.RandomPosterization((3, 3), seed=3)", BATCH,
     True, TWICE),
    ("posterization-rank3", "lib.layers.RandomPosterization(8, seed=4)", SINGLE, True,
     TWICE),
    ("posterization-unseeded", "lib.layers.RandomPosterization(5)", MANY, True, TWICE),
    # --- RandomSharpness: uniform((B,), lo, hi); also at inference
    ("sharpness-number-inference-between", "lib.layers.RandomSharpness(0.5, seed=1)", BATCH,
     False, BETWEEN),
    ("sharpness-pair-unit-range",
     "lib.layers.RandomSharpness((0.1, 0.9), value_range=(0, 1), seed=2)", UNIT, False,
     TWICE),
    ("sharpness-rank3", "lib.layers.RandomSharpness(1.0, seed=3)", SINGLE, False, TWICE),
    ("sharpness-channels-first",
     "lib.layers.RandomSharpness(0.8, data_format='channels_first', seed=4)", FIRST, False,
     TWICE),
    ("sharpness-unseeded", "lib.layers.RandomSharpness(0.7)", BATCH, False, TWICE),
    # --- RandomInvert: uniform((B,), lo, hi) probabilities, uniform((B,)) thresholds
    ("invert-default-inference-between", "lib.layers.RandomInvert(seed=1)", MANY, True,
     BETWEEN),
    ("invert-pair-unit-range",
     "lib.layers.RandomInvert((0.3, 0.7), value_range=(0, 1), seed=2)", UNIT, True, TWICE),
    ("invert-rank3", "lib.layers.RandomInvert(0.5, seed=3)", SINGLE, True,
     (True, True, True)),
    ("invert-unseeded", "lib.layers.RandomInvert(0.8)", MANY, True, TWICE),
    # --- Solarization: uniform((B, 1, 1, 1)) additions, then thresholds; none at inference
    ("solarization-numbers-inference-between",
     "lib.layers.Solarization(addition_factor=0.3, threshold_factor=0.6, seed=1)", MANY,
     False, BETWEEN),
    ("solarization-defaults", "lib.layers.Solarization(seed=2)", BATCH, False, TWICE),
    ("solarization-pairs-unit-range",
     "lib.layers.Solarization((0.1, 0.2), (0.3, 0.9), value_range=(0, 1), seed=3)", UNIT,
     False, TWICE),
    ("solarization-rank3", "lib.layers.Solarization(0.5, 0.5, seed=4)", SINGLE, False,
     TWICE),
    ("solarization-unseeded", "lib.layers.Solarization(0.2, 0.8)", MANY, False, TWICE),
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
        out.append([np.asarray(layer(x, training=training)).tolist()
                    for training in case["trainings"]])
    print(json.dumps(out))
""")


def _payload(layer, x, trainings):
    return {"layer": layer, "x": x.tolist(), "global_seed": GLOBAL_SEED,
            "trainings": list(trainings)}


def _ours(payload):
    """kerastutor's outputs for the same calls, after the same ``set_random_seed``."""
    import kerastutor
    x = np.asarray(payload["x"], dtype="float32")
    kerastutor.utils.set_random_seed(payload["global_seed"])
    layer = eval(payload["layer"], {"lib": kerastutor, "np": np})
    return [np.asarray(layer(x, training=training)) for training in payload["trainings"]]


@pytest.fixture(scope="module")
def keras_outputs():
    """Keras's outputs for every case, from one NumPy-backend child process."""
    payloads = [_payload(layer, x, trainings) for _, layer, x, _, trainings in CASES]
    return dict(zip([case[0] for case in CASES], run_numpy_backend(SCRIPT, payloads)))


@pytest.mark.parametrize("name, layer, x, exact, trainings", CASES,
                         ids=[case[0] for case in CASES])
def test_layer_matches_keras_numpy_backend(keras_outputs, name, layer, x, exact, trainings):
    ours = _ours(_payload(layer, x, trainings))
    theirs = keras_outputs[name]
    assert len(ours) == len(theirs)
    for call, (mine, keras_call) in enumerate(zip(ours, theirs)):
        expected = np.asarray(keras_call, dtype="float32")
        what = f"{name} call {call} ({'training' if trainings[call] else 'inference'})"
        assert mine.shape == expected.shape, what
        if exact:
            np.testing.assert_array_equal(mine, expected, err_msg=what)
        else:
            np.testing.assert_allclose(mine, expected, rtol=RTOL, atol=ATOL, err_msg=what)
