"""``kerastutor.compiled``: the loop form of Adam, run by Numba when the ``fast`` extra is there.

The loop itself is plain Python, so its arithmetic is checked everywhere (slowly, on a few
entries); the compiled kernel is checked where Numba is installed (the ``py`` tox env
installs the extra) against the NumPy code it replaces, bit for bit.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import compiled, optimizers
from kerastutor.optimizers import in_place
from kerastutor.weight import Weight


def _adam_state(seed, dtype, shape=(4, 6)):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(shape).astype(dtype)
    m = (rng.standard_normal(shape) * 0.1).astype(dtype)
    v = np.abs(rng.standard_normal(shape) * 0.01).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    return w, g, m, v


def _numpy_step(w, g, m, v, iterations, learning_rate=0.01):
    """The NumPy path's step (in_place.adam_in_place with the kernels off), on copies."""
    rule = optimizers.Adam(learning_rate)
    rule.iterations = iterations
    w, m, v = w.copy(), m.copy(), v.copy()
    with compiled.switched(False):
        assert in_place.adam_in_place(rule, w, g, {"momentum": m, "velocity": v},
                                      learning_rate)
    return w, m, v, rule


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("iterations", [in_place.FLUSH_EVERY, 3])   # a flush step, and not
def test_the_plain_python_loop_computes_the_numpy_step(dtype, iterations):
    w, g, m, v = _adam_state(0, dtype, shape=(7,))
    m[0] = in_place.flush_threshold(np.dtype(dtype)) / 2     # flushed on a flush step only
    want_w, want_m, want_v, rule = _numpy_step(w, g, m, v, iterations)
    cast = np.dtype(dtype).type
    compiled.adam_loop(w, g, m, v, cast(1 - rule.beta_1), cast(1 - rule.beta_2),
                       cast(rule.step_size(0.01, iterations + 1)), cast(rule.epsilon),
                       cast(in_place.flush_threshold(np.dtype(dtype))),
                       iterations % in_place.FLUSH_EVERY == 0)
    np.testing.assert_array_equal(w, want_w)
    np.testing.assert_array_equal(m, want_m)
    np.testing.assert_array_equal(v, want_v)


def test_off_switch_and_what_the_kernel_declines():
    w, g, m, v = _adam_state(1, "float32")
    args = (0.9, 0.999, 1e-3, 1e-7, 1e-30, False)
    with compiled.switched(False):
        assert not compiled.is_enabled()
        assert not compiled.adam(w, g, m, v, *args)
    with compiled.switched(True):
        assert compiled.is_enabled() == compiled.is_available()
        assert not compiled.adam(np.asfortranarray(w), g, m, v, *args)   # not C-ordered
        assert not compiled.adam(w, g.astype("float64"), m, v, *args)    # mixed dtypes
        half = [a.astype("float16") for a in (w, g, m, v)]
        assert not compiled.adam(*half, *args)                           # no float16 loop
        assert not compiled.adam(w, g, m[:, :3], v, *args)               # a strided view


def test_the_environment_variable_switches_the_kernels_off():
    code = "from kerastutor import compiled; print(compiled.is_enabled())"
    env = dict(os.environ, KERASTUTOR_COMPILED="0")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------- with Numba installed
@pytest.fixture
def numba_kernels():
    pytest.importorskip("numba", reason="the fast extra (Numba) is not installed in this env")
    with compiled.switched(True):
        yield


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_compiled_kernel_is_bit_identical_to_the_numpy_path(numba_kernels, dtype):
    for seed in range(3):
        for iterations in (0, 1, in_place.FLUSH_EVERY):
            w, g, m, v = _adam_state(seed, dtype, shape=(40, 50))
            m[0, :5] = in_place.flush_threshold(np.dtype(dtype)) / 3
            g[0, :5] = 0
            want_w, want_m, want_v, rule = _numpy_step(w, g, m, v, iterations)
            assert in_place.adam_in_place(rule, w, g, {"momentum": m, "velocity": v}, 0.01)
            np.testing.assert_array_equal(w, want_w)
            np.testing.assert_array_equal(m, want_m)
            np.testing.assert_array_equal(v, want_v)


def test_fit_gives_the_same_weights_with_and_without_the_kernels(numba_kernels):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 8)).astype("float32")
    y = rng.integers(0, 3, 64)

    def trained(use_compiled):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(3, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        with compiled.switched(use_compiled):
            model.fit(x, y, batch_size=16, epochs=3, verbose=0)
        return model.get_weights()

    for fast, plain in zip(trained(True), trained(False)):
        np.testing.assert_array_equal(fast, plain)


def test_apply_runs_the_compiled_loop(numba_kernels, monkeypatch):
    calls = []
    original = compiled.adam
    monkeypatch.setattr(compiled, "adam", lambda *a: calls.append(a[0].shape) or original(*a))
    w = Weight(np.ones((3, 2), "float32"), name="w")
    w.grad = np.full((3, 2), 0.5, "float32")
    optimizers.Adam().apply([w])
    assert calls == [(3, 2)]
    assert np.all(w.value < 1)                       # it stepped downhill
