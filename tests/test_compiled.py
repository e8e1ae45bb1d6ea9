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


# ------------------------------------------------- the convolution and pooling kernels
def _layer_run(layer, x, grad_seed=5):
    """(y, dL/dx) of ``layer`` at ``x`` for a fixed upstream gradient."""
    y, cache = layer.forward(x, training=True)
    g = np.random.default_rng(grad_seed).standard_normal(y.shape).astype(x.dtype)
    return y.copy(), np.array(layer.backward(cache, g)), cache


def _images(shape, seed=0, dtype="float32"):
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    x[:, :2] = 0.0                       # windows of zeros: ties, as after a ReLU
    x[:, 2, :4] = 0.5                    # ties at a positive value
    return x


POOL_CASES = [((2, 2), (2, 8, 8, 3)), ((2, 2), (2, 9, 7, 4)), ((3, 2), (1, 9, 8, 2)),
              ((2, 2), (3, 6, 6, 5))]


@pytest.mark.parametrize("pool_size, shape", POOL_CASES)
def test_the_plain_python_pooling_loops_compute_the_numpy_pooling(pool_size, shape):
    x = _images(shape)
    layer = keras.layers.MaxPooling2D(pool_size)
    with compiled.switched(False):
        want_y, want_dx, _ = _layer_run(layer, x)
    k1, k2 = pool_size
    best = np.empty_like(want_y)
    winner = np.empty(want_y.shape, compiled.offset_dtype(pool_size))
    compiled.max_pool_2d_loop(x, k1, k2, best, winner, np.zeros(0, x.dtype))
    np.testing.assert_array_equal(best, want_y)
    g = np.random.default_rng(5).standard_normal(want_y.shape).astype("float32")
    dx = np.zeros_like(x)
    compiled.max_pool_2d_backward_loop(winner, k1, k2, g, dx, np.zeros((0,) * 4, "float32"))
    np.testing.assert_array_equal(dx, want_dx)


@pytest.mark.parametrize("pool_size, shape", POOL_CASES)
def test_the_plain_python_fused_relu_pool_loop_is_the_two_backward_passes(pool_size, shape):
    y = np.maximum(_images(shape), 0)                    # a ReLU's output, with tied zeros
    layer = keras.layers.MaxPooling2D(pool_size)
    with compiled.switched(False):
        want_y, want_dx, _ = _layer_run(layer, y)
    want = want_dx * (y > 0)                             # then the ReLU's backward
    k1, k2 = pool_size
    best = np.empty_like(want_y)
    winner = np.empty(want_y.shape, compiled.offset_dtype(pool_size))
    compiled.max_pool_2d_loop(y, k1, k2, best, winner, np.zeros(0, y.dtype))
    g = np.random.default_rng(5).standard_normal(want_y.shape).astype("float32")
    delta = np.zeros_like(y)                             # the remainder stays 0
    compiled.max_pool_2d_backward_loop(winner, k1, k2, g, delta, best)
    np.testing.assert_array_equal(delta, want)


@pytest.mark.parametrize("pool_size, shape", POOL_CASES)
def test_the_plain_python_pooling_loop_with_a_bias_is_bias_relu_then_pooling(pool_size, shape):
    z = _images(shape)
    z[0, -1, -1, 0] = np.nan                             # stays NaN through the ReLU
    bias = np.linspace(-1, 1, shape[-1]).astype("float32")
    y = z.copy()
    compiled.bias_relu_loop(y.reshape(-1, shape[-1]), bias)          # the conv's last step
    k1, k2 = pool_size
    out = (shape[0], shape[1] // k1, shape[2] // k2, shape[3])
    want_best, want_winner = np.empty(out, "float32"), np.empty(out, "int8")
    compiled.max_pool_2d_loop(y, k1, k2, want_best, want_winner, np.zeros(0, "float32"))
    best, winner = np.empty_like(want_best), np.empty_like(want_winner)
    compiled.max_pool_2d_loop(z, k1, k2, best, winner, bias)         # both in one pass
    np.testing.assert_array_equal(z, y)                               # z became y, in place
    np.testing.assert_array_equal(best, want_best)
    np.testing.assert_array_equal(winner, want_winner)


def test_the_plain_python_relu_and_col2im_loops_compute_the_numpy_code():
    from kerastutor.layers.conv_im2col import col2im, im2col
    rng = np.random.default_rng(2)
    z = rng.standard_normal((5, 3)).astype("float32")
    b = rng.standard_normal(3).astype("float32")
    want = np.maximum(z + b, 0)
    compiled.bias_relu_loop(z, b)
    np.testing.assert_array_equal(z, want)
    g = rng.standard_normal(15).astype("float32")
    out = np.empty(15, "float32")
    compiled.relu_backward_loop(out, z.reshape(-1), g)
    np.testing.assert_array_equal(out, g * (z.reshape(-1) > 0))
    patches = rng.standard_normal((2, 3, 2, 2, 3, 4)).astype("float32")   # n, oh, ow, kh, kw, c
    padded = (2, 5, 7, 4)                           # strides (1, 2), dilation (2, 1)
    with compiled.switched(False):
        want = col2im(patches.reshape(1, 12, 24), padded, (2, 3), (1, 2), (2, 1), (3, 2))
        want_patches = im2col(want, (2, 3), (1, 2), (2, 1), (3, 2))
    dx = np.full(padded, np.nan, "float32")         # every entry is written
    compiled.col2im_2d_loop(patches, (1, 2), (2, 1), dx)
    np.testing.assert_array_equal(dx, want)
    copied = np.full((12, 25), np.nan, "float32")   # one more column, left alone
    compiled.im2col_2d_loop(want, 2, 3, (1, 2), (2, 1), (3, 2), copied)
    np.testing.assert_array_equal(copied[:, :24], want_patches[0])
    assert np.isnan(copied[:, 24]).all()


@pytest.mark.parametrize("where", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_a_nan_input_gives_the_same_pooling_both_ways(where):
    x = _images((1, 4, 4, 2))
    x[0, where[0], where[1], 0] = np.nan                   # first, middle or last in its window
    x[0, 2, 2, 1], x[0, 2, 3, 1] = -0.0, 0.0               # a tie of the two zeros
    layer = keras.layers.MaxPooling2D()
    with compiled.switched(False):
        want_y, want_dx, _ = _layer_run(layer, x)
    best = np.empty_like(want_y)
    winner = np.empty(want_y.shape, compiled.offset_dtype((2, 2)))
    compiled.max_pool_2d_loop(x, 2, 2, best, winner, np.zeros(0, x.dtype))
    np.testing.assert_array_equal(best, want_y)            # NaN where NumPy has NaN
    assert np.isnan(best[0, 0, 0, 0]) and winner[0, 0, 0, 0] == -1
    g = np.random.default_rng(5).standard_normal(want_y.shape).astype("float32")
    dx = np.full_like(x, np.nan)
    compiled.max_pool_2d_backward_loop(winner, 2, 2, g, dx, np.zeros((0,) * 4, "float32"))
    np.testing.assert_array_equal(dx, want_dx)             # the NaN window passes nothing


@pytest.mark.parametrize("pool_size, shape", POOL_CASES)
def test_compiled_max_pooling_is_bit_identical(numba_kernels, pool_size, shape):
    x = _images(shape)
    layer = keras.layers.MaxPooling2D(pool_size)
    y, dx, cache = _layer_run(layer, x)
    assert cache[3][1] is None                             # the compiled forward ran
    with compiled.switched(False):
        want_y, want_dx, _ = _layer_run(layer, x)
    np.testing.assert_array_equal(y, want_y)
    np.testing.assert_array_equal(dx, want_dx)


@pytest.mark.parametrize("strides, dilation, padding, channels",
                         [(1, 1, "valid", 3), (2, 1, "same", 5), (1, 2, "valid", 6),
                          (1, 1, "same", 4)])
def test_a_compiled_relu_convolution_is_bit_identical(numba_kernels, strides, dilation,
                                                      padding, channels):
    """Bias + ReLU forward, im2col (from 4 channels on), the ReLU backward and col2im,
    compiled, against NumPy."""
    x = _images((2, 9, 8, channels), seed=4)

    def run():
        keras.utils.set_random_seed(1)
        layer = keras.layers.Conv2D(4, 3, strides=strides, dilation_rate=dilation,
                                    padding=padding, activation="relu",
                                    bias_initializer="random_normal")
        layer.build(x.shape)
        y, dx, _ = _layer_run(layer, x)
        return y, dx, layer.kernel.grad.copy(), layer.bias.grad.copy()

    fast = run()
    with compiled.switched(False):
        plain = run()
    for a, b in zip(fast, plain):
        np.testing.assert_array_equal(a, b)


def test_a_cnn_trains_to_the_same_weights_with_and_without_the_kernels(numba_kernels):
    rng = np.random.default_rng(6)
    x = rng.random((32, 10, 10, 2)).astype("float32")
    y = rng.integers(0, 3, 32)

    def trained(use_compiled):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((10, 10, 2)),
                                  keras.layers.Conv2D(4, 3, activation="relu"),
                                  keras.layers.MaxPooling2D(),
                                  keras.layers.Conv2D(5, 2, activation="relu"),
                                  keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                                  keras.layers.Dense(3)])
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        with compiled.switched(use_compiled):
            model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return model.get_weights()

    for fast, plain in zip(trained(True), trained(False)):
        np.testing.assert_array_equal(fast, plain)


# ------------------------------------------------------------------ the LSTM cell
def _lstm_gradients(x, use_compiled, **kwargs):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input(x.shape[1:]), keras.layers.LSTM(6, **kwargs),
                              keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    y = np.linspace(-1, 1, x.shape[0]).astype("float32")[:, None]
    with compiled.switched(use_compiled):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    return model.get_weights()


def test_the_plain_python_lstm_loop_computes_the_numpy_backward():
    x = np.random.default_rng(7).standard_normal((4, 3, 2)).astype("float32")
    layer = keras.layers.LSTM(5, return_sequences=True)
    layer.build(x.shape)
    cell = layer.cell
    with compiled.switched(False):
        _, cache = layer.forward(x, training=True)
    step_cache = None

    def spy(step, dstates):                   # the last step's cache and gradients
        nonlocal step_cache
        step_cache = (step, dstates)
        return original(step, dstates)

    original, cell._step_backward = cell._step_backward, spy
    try:
        with compiled.switched(False):
            layer.backward(cache, np.ones((4, 3, 5), "float32"))
    finally:
        del cell._step_backward
    (step, (dh, dc)) = step_cache
    with compiled.switched(False):
        want_delta, want_dc = cell._cell_backward(step, dh, dc)
    c_prev, g, tc, sig = step[2], step[5], step[7], step[9][0]
    delta, dc_prev = np.empty_like(want_delta), np.empty_like(want_dc)
    compiled.lstm_cell_backward_loop(dh, dc, sig, g, tc, c_prev, np.float32(1), delta, dc_prev)
    np.testing.assert_array_equal(delta, want_delta)
    np.testing.assert_array_equal(dc_prev, want_dc)


@pytest.mark.parametrize("kwargs", [{}, {"go_backwards": True},
                                    {"recurrent_dropout": 0.3, "dropout": 0.2}])
def test_a_compiled_lstm_trains_to_the_same_weights(numba_kernels, monkeypatch, kwargs):
    x = np.random.default_rng(8).standard_normal((8, 5, 3)).astype("float32")
    calls = []
    original = compiled.lstm_cell_backward
    monkeypatch.setattr(compiled, "lstm_cell_backward",
                        lambda *a: calls.append(1) or original(*a))
    fast = _lstm_gradients(x, True, **kwargs)
    assert len(calls) == 2 * 5                       # two batches of five steps
    for mine, plain in zip(fast, _lstm_gradients(x, False, **kwargs)):
        np.testing.assert_array_equal(mine, plain)


def test_a_kernel_numba_cannot_compile_falls_back_to_numpy_with_a_warning(numba_kernels,
                                                                          monkeypatch):
    """An optional speed-up must never stop a training run: a loop that fails to compile
    (here one Numba cannot type) is marked unavailable once, with a warning, and the
    NumPy code computes the step -- the same numbers."""
    def adam_loop(w, g, m, v, c1, c2, alpha, epsilon, threshold, flush):
        w[0] = "not a number"                       # Numba refuses to type this

    monkeypatch.setattr(compiled, "_KERNELS", {"numba": compiled._KERNELS["numba"]})
    monkeypatch.setattr(compiled, "adam_loop", adam_loop)
    w, g, m, v = _adam_state(4, "float32")
    want_w, want_m, want_v, rule = _numpy_step(w, g, m, v, 1)
    with pytest.warns(RuntimeWarning, match="could not compile adam_loop"):
        assert in_place.adam_in_place(rule, w, g, {"momentum": m, "velocity": v}, 0.01)
    np.testing.assert_array_equal(w, want_w)
    np.testing.assert_array_equal(m, want_m)
    assert compiled._KERNELS["adam_loop"] is None           # not tried again
    assert compiled.adam(w, g, m, v, 0.9, 0.999, 1e-3, 1e-7, 1e-30, False) is False
