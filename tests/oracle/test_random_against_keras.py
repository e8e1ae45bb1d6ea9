"""Real Keras 3 as the oracle for ``keras.random``.

Two parts:

* the **numbers** come from Keras's NumPy backend, which cannot share a process
  with the torch backend the other oracle tests use: a subprocess with
  ``KERAS_BACKEND=numpy`` prints every draw as JSON. That backend imports ``jax``
  (``backend/numpy/math.py``); where jax is not installed the comparison is
  skipped (tests/test_random.py keeps the goldens it printed, keras-next.md §5.1);
* the **seeding rule** is backend-independent, so it is compared in this process
  (torch backend): ``SeedGenerator`` states, the global generator's first state
  after ``set_random_seed``, and the unordered step where torch's int32 state does
  not overflow (the NumPy backend's is uint32).

Run with KERASTUTOR_ORACLE=1 (``tox -e keras``).
"""
import os
import textwrap

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402
from numpy_backend import run_numpy_backend  # noqa: E402

# Each draw as a Python expression, evaluated with ``lib`` = keras or kerastutor.
DRAWS = [
    "lib.random.normal((2, 3), mean=1.0, stddev=2.0, seed=7)",
    "lib.random.normal((4,), dtype='float64', seed=2**32 - 1)",
    "lib.random.uniform((5,), minval=-2.0, maxval=3.0, seed=11)",
    "lib.random.randint((3, 3), -4, 9, seed=5)",
    "lib.random.randint((6,), 0, 100, dtype='int64', seed=5)",
    "lib.random.truncated_normal((50,), mean=0.5, stddev=0.2, seed=3)",
    "lib.random.categorical(np.array([[0., 1., 2.], [3., 0., -1.]], 'float32'), 7, seed=9)",
    "lib.random.dropout(np.arange(1., 13.).reshape(3, 4).astype('float32'), 0.3, seed=4)",
    "lib.random.dropout(np.ones((2, 3, 4), 'float32'), 0.5, noise_shape=(None, 1, 4), seed=4)",
    "lib.random.shuffle(np.arange(24).reshape(2, 3, 4), axis=2, seed=8)",
    "lib.random.shuffle(np.arange(24).reshape(2, 3, 4), axis=0, seed=8)",
    "lib.random.gamma((4,), alpha=0.7, seed=6)",
    "lib.random.binomial((4,), 20, 0.3, seed=6)",
    "lib.random.beta((4,), 0.5, 1.5, seed=6)",
]

SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras as lib
    draws = json.loads(sys.argv[1])
    out = []
    for expression in draws:
        value = np.asarray(eval(expression))
        out.append({"dtype": str(value.dtype), "value": value.tolist()})
    gen = lib.random.SeedGenerator(1337)
    seq = [np.asarray(lib.random.uniform((3,), seed=gen)).tolist() for _ in range(3)]
    lib.utils.set_random_seed(5)
    unseeded = [np.asarray(lib.random.normal((3,))).tolist() for _ in range(3)]
    print(json.dumps({"draws": out, "generator": seq, "unseeded": unseeded}))
""")


@pytest.fixture(scope="module")
def keras_numpy():
    return run_numpy_backend(SCRIPT, DRAWS)


@pytest.mark.parametrize("index", range(len(DRAWS)))
def test_draws_equal_keras_numpy_backend(keras_numpy, index):
    ours = np.asarray(eval(DRAWS[index], {"lib": kerastutor, "np": np}))
    theirs = keras_numpy["draws"][index]
    assert str(ours.dtype) == theirs["dtype"], DRAWS[index]
    np.testing.assert_array_equal(ours, np.asarray(theirs["value"], dtype=theirs["dtype"]),
                                  err_msg=DRAWS[index])


def test_seed_generator_and_unseeded_sequences_equal_keras(keras_numpy):
    gen = kerastutor.random.SeedGenerator(1337)
    seq = [kerastutor.random.uniform((3,), seed=gen) for _ in range(3)]
    np.testing.assert_array_equal(seq, np.float32(keras_numpy["generator"]))
    kerastutor.utils.set_random_seed(5)
    unseeded = [kerastutor.random.normal((3,)) for _ in range(3)]
    np.testing.assert_array_equal(unseeded, np.float32(keras_numpy["unseeded"]))


# ------------------------------------------------------------------ the seeding rule (torch)
def test_seed_generator_states_equal_keras():
    theirs, ours = keras.random.SeedGenerator(1337), kerastutor.random.SeedGenerator(1337)
    for _ in range(3):
        keras.random.normal((2,), seed=theirs)
        kerastutor.random.normal((2,), seed=ours)
        np.testing.assert_array_equal(ours.state.value,
                                      keras.ops.convert_to_numpy(theirs.state.value))
    assert ours.get_config()["seed"] == theirs.get_config()["seed"] == 1337


def test_the_global_generator_starts_as_keras_after_set_random_seed():
    from keras.src.random.seed_generator import global_seed_generator
    for seed in (0, 5, 123):
        keras.utils.set_random_seed(seed)        # each made from Python's random: seed
        theirs = keras.ops.convert_to_numpy(global_seed_generator().state.value)
        kerastutor.utils.set_random_seed(seed)   # it again before each
        ours = kerastutor.random.global_seed_generator().state.value
        np.testing.assert_array_equal(ours.astype(np.int64), theirs.astype(np.int64))


def test_the_unordered_step_equals_keras_where_int32_does_not_overflow():
    # torch keeps seeds as int32, so (state + 1) * 5387 wraps differently from the
    # NumPy backend's uint32 once it passes 2**31; one step from a small state does not.
    for seed in (1, 100, 300_000):
        theirs, ours = keras.random.SeedGenerator(seed), kerastutor.random.SeedGenerator(seed)
        theirs.next(ordered=False)
        ours.next(ordered=False)
        np.testing.assert_array_equal(
            ours.state.value.astype(np.int64),
            keras.ops.convert_to_numpy(theirs.state.value).astype(np.int64))


# ------------------------------------------------------------------ the noise layers (numpy)
#: Each layer called twice in training on the same input: the second call must draw anew.
LAYERS = [
    "lib.layers.Dropout(0.3, seed=7)",
    "lib.layers.Dropout(0.5, noise_shape=(None, 1, 4), seed=3)",
    "lib.layers.SpatialDropout1D(0.5, seed=2)",
    "lib.layers.GaussianNoise(0.5, seed=3)",
    "lib.layers.GaussianDropout(0.4, seed=5)",
    "lib.layers.AlphaDropout(0.2, seed=9)",
    "lib.layers.Dropout(0.5)",                    # unseeded: from Python's random
]

LAYER_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras as lib
    x = np.linspace(-2.0, 2.0, 24, dtype="float32").reshape(2, 3, 4)
    out = []
    for expression in json.loads(sys.argv[1]):
        lib.utils.set_random_seed(11)
        layer = eval(expression)
        out.append([np.asarray(layer(x, training=True)).tolist() for _ in range(2)])
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def keras_numpy_layers():
    return run_numpy_backend(LAYER_SCRIPT, LAYERS)


@pytest.mark.parametrize("index", range(len(LAYERS)))
def test_noise_layers_draw_what_keras_draws(keras_numpy_layers, index):
    x = np.linspace(-2.0, 2.0, 24, dtype="float32").reshape(2, 3, 4)
    kerastutor.utils.set_random_seed(11)
    layer = eval(LAYERS[index], {"lib": kerastutor})
    ours = [np.asarray(layer(x, training=True)) for _ in range(2)]
    theirs = np.asarray(keras_numpy_layers[index], dtype="float32")
    assert not np.array_equal(ours[0], ours[1]), "a second call must draw new noise"
    np.testing.assert_array_equal(np.stack(ours), theirs, err_msg=LAYERS[index])
