"""Keras 3.15.1's NumPy backend as the oracle for the geometric layers' random draws.

RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomShear,
RandomCrop, RandomPerspective and RandomElasticTransform draw their parameters
through ``keras.random`` from their own ``SeedGenerator``, in Keras's order,
shapes and dtypes. Keras's NumPy backend draws the same way, so for the same
seed (or the same ``set_random_seed`` for an unseeded layer) both libraries
must give the same images: bit for bit where the image math is a copy
(flips, crops), to float32 round-off where it resamples.

Each case is called twice, so the second call checks that the generator moved
on as Keras's does. Keras's outputs for every case come from ONE child process
(``tests/oracle/numpy_backend.py``); the layers' math against the torch
backend is compared in test_geometric_augmentation_against_keras.py.

Run with KERAS_BACKEND=torch, KERASTUTOR_ORACLE=1.
"""
import os

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(os.environ.get("KERASTUTOR_ORACLE") != "1",
                                reason="oracle tests run only with KERASTUTOR_ORACLE=1")
os.environ.setdefault("KERAS_BACKEND", "torch")

from numpy_backend import layer_case, layer_outputs, our_outputs  # noqa: E402

RTOL, ATOL = 1e-5, 1e-4


def _images(shape, seed=0):
    """Pixels in [0, 1] on a 1/32 grid: exact in float32 and short in the JSON payload
    (the harness hands the cases to the child on its command line)."""
    return (np.random.default_rng(seed).integers(0, 33, size=shape) / 32).astype("float32")


BATCH = _images((2, 6, 6, 3))                 # channels_last batch
SINGLE = _images((6, 6, 3), seed=1)           # one image (rank 3)
FIRST = _images((2, 3, 6, 6), seed=2)         # channels_first batch
WIDE = _images((2, 6, 8, 2), seed=3)          # height != width
BIG = _images((2, 16, 16, 1), seed=4)         # room for an elastic blur (k > 1)
BIG1 = _images((16, 12, 2), seed=5)

# (id, layer expression, input, exact?)
CASES = [
    # --- RandomFlip: one uniform per image, shape (N, 1, 1, 1) / (1, 1, 1)
    ("flip-hv", "lib.layers.RandomFlip(seed=3)", BATCH, True),
    ("flip-horizontal", "lib.layers.RandomFlip('horizontal', seed=5)", BATCH, True),
    ("flip-vertical-rank3", "lib.layers.RandomFlip('vertical', seed=1)", SINGLE, True),
    ("flip-unseeded", "lib.layers.RandomFlip()", BATCH, True),
    # --- RandomRotation: one angle per image
    ("rotation-number", "lib.layers.RandomRotation(0.2, seed=7)", BATCH, False),
    ("rotation-pair-nearest",
     "lib.layers.RandomRotation((-0.1, 0.3), fill_mode='constant', interpolation='nearest',"
     " fill_value=0.5, seed=2)", WIDE, False),
    ("rotation-rank3", "lib.layers.RandomRotation(0.25, fill_mode='wrap', seed=4)", SINGLE,
     False),
    ("rotation-channels-first",
     "lib.layers.RandomRotation(0.15, data_format='channels_first', seed=9)", FIRST, False),
    ("rotation-unseeded", "lib.layers.RandomRotation(0.1, fill_mode='nearest')", BATCH, False),
    # --- RandomZoom: height draw, then width draw (none when width_factor is None)
    ("zoom-height-only", "lib.layers.RandomZoom(0.3, seed=3)", BATCH, False),
    ("zoom-pairs",
     "lib.layers.RandomZoom((-0.4, 0.2), (0.1, 0.5), fill_mode='constant', seed=8)", WIDE,
     False),
    ("zoom-rank3-nearest", "lib.layers.RandomZoom(0.5, 0.2, interpolation='nearest', seed=6)",
     SINGLE, False),
    ("zoom-channels-first",
     "lib.layers.RandomZoom(0.3, data_format='channels_first', seed=2)", FIRST, False),
    ("zoom-unseeded", "lib.layers.RandomZoom(0.2, 0.2)", BATCH, False),
    # --- RandomTranslation: height draw, then width draw
    ("translation-numbers", "lib.layers.RandomTranslation(0.2, 0.3, seed=1)", BATCH, False),
    ("translation-pairs",
     "lib.layers.RandomTranslation((-0.3, 0.1), (0.2, 0.4), fill_mode='wrap', seed=4)", WIDE,
     False),
    ("translation-rank3",
     "lib.layers.RandomTranslation(0.5, 0.5, fill_mode='constant', interpolation='nearest',"
     " seed=5)", SINGLE, False),
    ("translation-unseeded", "lib.layers.RandomTranslation(0.2, 0.2)", BATCH, False),
    # --- RandomShear: sign, then y, then x
    ("shear-x", "lib.layers.RandomShear(x_factor=0.3, seed=2)", BATCH, False),
    ("shear-y-pair",
     "lib.layers.RandomShear(y_factor=(0.1, 0.4), fill_mode='constant', seed=6)", WIDE,
     False),
    ("shear-both-rank3", "lib.layers.RandomShear(0.2, 0.2, fill_mode='nearest', seed=3)",
     SINGLE, False),
    ("shear-unseeded", "lib.layers.RandomShear(0.3, 0.3)", BATCH, False),
    # --- RandomCrop: two scalar draws (top, then left) for the whole batch
    ("crop", "lib.layers.RandomCrop(3, 4, seed=5)", BATCH, True),
    ("crop-rank3", "lib.layers.RandomCrop(4, 2, seed=9)", SINGLE, True),
    ("crop-channels-first",
     "lib.layers.RandomCrop(2, 5, seed=1, data_format='channels_first')", FIRST, True),
    ("crop-unseeded", "lib.layers.RandomCrop(3, 3)", WIDE, True),
    ("crop-not-larger", "lib.layers.RandomCrop(6, 4, seed=2)", BATCH, False),
    # --- RandomPerspective: probability, threshold, corner offsets
    ("perspective-default", "lib.layers.RandomPerspective(seed=4)", BATCH, False),
    ("perspective-always",
     "lib.layers.RandomPerspective(factor=(1.0, 1.0), scale=0.5, fill_value=0.25, seed=7)",
     WIDE, False),
    ("perspective-rank3-nearest",
     "lib.layers.RandomPerspective(factor=(1.0, 1.0), scale=0.4, interpolation='nearest',"
     " seed=2)", SINGLE, False),
    ("perspective-unseeded", "lib.layers.RandomPerspective(factor=(0.5, 1.0), scale=0.3)",
     BATCH, False),
    # --- RandomElasticTransform: probability, threshold, strength, then the noise key
    ("elastic-always",
     "lib.layers.RandomElasticTransform(factor=(1.0, 1.0), scale=(0.5, 1.0),"
     " value_range=(0, 1), seed=3)", BIG, False),
    ("elastic-default", "lib.layers.RandomElasticTransform(value_range=(0, 1), seed=8)", BIG,
     False),
    ("elastic-rank3-nearest",
     "lib.layers.RandomElasticTransform(factor=(1.0, 1.0), scale=1.0, interpolation='nearest',"
     " fill_mode='constant', value_range=(0, 1), seed=4)", BIG1, False),
    ("elastic-unseeded",
     "lib.layers.RandomElasticTransform(factor=(1.0, 1.0), value_range=(0.1, 0.9))", BIG,
     False),
]

IDS = [case[0] for case in CASES]


@pytest.fixture(scope="module")
def keras_outputs():
    """Keras's two calls per case, all cases in one NumPy-backend child."""
    cases = [layer_case(layer, x, calls=2) for _, layer, x, _ in CASES]
    return dict(zip(IDS, zip(cases, layer_outputs(cases))))


@pytest.mark.parametrize("case_id", IDS)
def test_same_output_as_keras_numpy_backend(keras_outputs, case_id):
    exact = dict((case[0], case[3]) for case in CASES)[case_id]
    case, theirs = keras_outputs[case_id]
    ours = our_outputs(case)
    assert ours.shape == theirs.shape, f"{case_id}: {ours.shape} != Keras {theirs.shape}"
    if exact:
        np.testing.assert_array_equal(ours, theirs, err_msg=case_id)
    else:
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=case_id)


def test_unseeded_random_crop_seeds_as_keras():
    """Keras's RandomCrop(seed=None) stores one Python-random seed for its config and
    makes its SeedGenerator from None (a second draw); both are compared here, in this
    process, since Python's ``random`` is the same under every backend."""
    import keras

    import kerastutor
    keras.utils.set_random_seed(11)
    theirs = keras.layers.RandomCrop(3, 3)
    kerastutor.utils.set_random_seed(11)
    ours = kerastutor.layers.RandomCrop(3, 3)
    assert ours.get_config()["seed"] == theirs.get_config()["seed"]
    their_state = theirs.generator.state.value.detach().cpu().numpy()      # a torch tensor
    np.testing.assert_array_equal(ours.generator.state.value, their_state)
    assert ours.generator.state.value[0] != ours.get_config()["seed"]
