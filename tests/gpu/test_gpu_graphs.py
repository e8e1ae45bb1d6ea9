"""Graphs (``gpu/graphs.py``): capture a sequence of launches, replay it with one call.

Each test runs on the emulated runtime (a fresh one, so its memory pool starts empty)
and, where :func:`kerastutor.gpu.available` finds a GPU, on the CUDA runtime: the same
capture/replay path, through ``cuStreamBeginCapture`` and ``cuGraphLaunch`` there and
through the emulator's recorded twins here.
"""
import os
import sys

import numpy as np
import pytest

import kerastutor as keras
import kerastutor.gpu as gpu
from kerastutor import backend
from kerastutor.gpu import array as garray
from kerastutor.gpu.emulator import EmulatedRuntime
from kerastutor.gpu.graphs import CaptureError

GPU_OK, GPU_REASON = gpu.available()
DEVICES = [pytest.param("emulated", id="emulated"),
           pytest.param("cuda", id="cuda", marks=pytest.mark.skipif(
               not GPU_OK, reason=f"needs a CUDA GPU: {GPU_REASON}"))]


@pytest.fixture(params=DEVICES)
def runtime(request):
    """A runtime in use for the test; the previous device and runtime after."""
    previous_device = backend.get_device()
    keras.backend.set_device(request.param)
    previous = garray.use_runtime(EmulatedRuntime()) if request.param == "emulated" else None
    try:
        yield garray.current_runtime()
    finally:
        if previous is not None:
            garray.use_runtime(previous)
        keras.backend.set_device(previous_device)


def eighths(rng, shape):
    """float32 numbers on a grid of eighths in [-2, 2]: sums and products stay exact."""
    return (rng.integers(-16, 17, shape) / 8).astype(np.float32)


def dense_step(x, w, b, out):
    """A Dense layer's forward pass, a gradient and an SGD update, all on fixed arrays."""
    y = np.maximum(x @ w + b, 0)              # matmul, broadcast add, elementwise
    out[...] = y                              # the result, into a buffer made outside
    grad = x.T @ y                            # a transposed operand, a temporary
    w -= 0.125 * grad                         # in place: the same address at every replay


def test_replay_with_new_inputs_matches_running_eagerly(runtime):
    rng = np.random.default_rng(0)
    w0, b0 = eighths(rng, (3, 2)), eighths(rng, 2)
    x, out = garray.to_device(eighths(rng, (4, 3))), garray.to_device(np.zeros((4, 2), np.float32))
    w, b = garray.to_device(w0), garray.to_device(b0)
    dense_step(x, w, b, out)                  # once eagerly: what a warm-up step does
    with runtime.capturing() as graph:
        dense_step(x, w, b, out)
    eager_w = garray.to_device(garray.to_host(w))
    eager_out = garray.to_device(np.zeros((4, 2), np.float32))
    for _ in range(3):
        batch = eighths(rng, (4, 3))
        x[...] = batch                        # new inputs go into the captured buffer
        graph.replay()
        dense_step(garray.to_device(batch), eager_w, b, eager_out)
        np.testing.assert_allclose(garray.to_host(out), garray.to_host(eager_out), rtol=1e-6)
        np.testing.assert_allclose(garray.to_host(w), garray.to_host(eager_w), rtol=1e-6)
    assert graph.replays == 3
    graph.close()


def test_a_capture_computes_nothing_until_replayed(runtime):
    x = garray.to_device(np.ones(5, np.float32))
    out = garray.to_device(np.zeros(5, np.float32))
    np.exp(x, out=out)                        # compiles the kernel before the capture
    out[...] = 0
    with runtime.capturing() as graph:
        np.multiply(x, 3.0, out=out)
        out += 1.0
    np.testing.assert_array_equal(garray.to_host(out), np.zeros(5))
    graph.replay()
    np.testing.assert_array_equal(garray.to_host(out), np.full(5, 4.0))
    if graph.kernels is not None:             # the emulated runtime lists what it recorded
        assert graph.kernels == ["binary_mul_as", "binary_add_as"]


def test_scalars_are_recorded_values_while_device_numbers_follow_updates(runtime):
    """Why Adam's step size must move to the device before a whole step is captured."""
    w = garray.to_device(np.ones(4, np.float32))
    g = garray.to_device(np.ones(4, np.float32))
    lr = garray.to_device(np.full(1, 0.5, np.float32))
    host_lr = 0.25
    with runtime.capturing() as graph:
        w -= host_lr * g                      # 0.25 is now a launch argument in the graph
        w -= lr * g                           # lr is an address: the graph reads it each time
    host_lr = 100.0                           # changes nothing the graph sees
    lr[...] = np.full(1, 0.125, np.float32)   # an in-place update: the graph sees it
    graph.replay()
    np.testing.assert_array_equal(garray.to_host(w), np.full(4, 1 - 0.25 - 0.125))


def test_the_graphs_blocks_are_not_handed_to_other_arrays(runtime):
    x = garray.to_device(np.ones((8, 8), np.float32))
    before = runtime.memory.in_use_bytes
    with runtime.capturing() as graph:
        kept = np.tanh(x) + 1.0               # a temporary, then a result kept after it
    owned = set(graph.memory.owned)
    assert kept.buffer.address in owned and len(owned) >= 1
    del kept                                  # dropped: its block stays the graph's
    outside = [garray.to_device(np.zeros((8, 8), np.float32)) for _ in range(6)]
    assert not owned & {array.buffer.address for array in outside}
    del outside
    graph.close()                             # now the blocks go back to the pool ...
    reused = garray.to_device(np.zeros((8, 8), np.float32))
    assert reused.buffer.address in owned     # ... and are handed out again
    del reused
    assert runtime.memory.in_use_bytes == before


def test_an_array_dropped_during_the_capture_stays_the_graphs(runtime):
    x = garray.to_device(np.full(16, 2.0, np.float32))
    out = garray.to_device(np.zeros(16, np.float32))
    temporary = x * 2.0                       # made before the capture ...
    address = temporary.buffer.address
    with runtime.capturing() as graph:
        np.add(temporary, 1.0, out=out)       # ... read by a recorded kernel ...
        del temporary                         # ... and dropped inside it
    assert address in graph.memory.owned
    newcomer = garray.to_device(np.full(16, -1.0, np.float32))
    assert newcomer.buffer.address != address
    graph.replay()
    np.testing.assert_array_equal(garray.to_host(out), np.full(16, 5.0))
    graph.close()


@pytest.mark.parametrize("transfer", ["upload", "download"])
def test_a_copy_during_a_capture_is_refused_and_the_runtime_recovers(runtime, transfer):
    x = garray.to_device(np.ones(3, np.float32))
    with pytest.raises(CaptureError, match=f"an? {transfer}.*during a graph capture"
                                           r"(.|\n)*before `graph.replay\(\)`") as error:
        with runtime.capturing() as graph:
            y = x + 1.0
            if transfer == "upload":
                garray.to_device(np.zeros(3, np.float32))
            else:
                garray.to_host(y)
    assert f"{runtime.name} runtime" in str(error.value)
    assert graph.closed and runtime._capture is None
    with pytest.raises(CaptureError, match="closed"):
        graph.replay()
    np.testing.assert_array_equal(garray.to_host(x + 1.0), np.full(3, 2.0))   # usable again


def test_replay_is_refused_before_the_capture_ends_and_after_close(runtime):
    x = garray.to_device(np.ones(3, np.float32))
    with runtime.capturing() as graph:
        x += 1.0
        with pytest.raises(CaptureError, match="has not finished yet"):
            graph.replay()
        with pytest.raises(CaptureError, match="already running"):
            runtime.capturing().__enter__()
    graph.close()
    with pytest.raises(CaptureError, match="this graph is closed"):
        graph.replay()
    graph.close()                             # closing twice is harmless


def test_capture_of_a_function_keeps_it_and_replays_it(runtime):
    counter = garray.to_device(np.zeros(2, np.float32))

    def count():
        counter[...] += 1.0

    graph = runtime.capture(count)
    assert graph.step is count
    for _ in range(4):
        graph.replay()
    np.testing.assert_array_equal(garray.to_host(counter), np.full(2, 4.0))
    assert "4 replays" in repr(graph)


def test_the_host_overhead_benchmark_replays_a_step_without_launching_from_the_host():
    benchmarks = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks")
    sys.path.insert(0, benchmarks)
    try:
        import gpu_host_overhead
    finally:
        sys.path.remove(benchmarks)
    previous = garray.use_runtime(None)
    try:
        rows = {name: (seconds, launches)
                for name, seconds, launches in gpu_host_overhead.graph_demo(repeats=2)}
    finally:
        garray.use_runtime(previous)
    eager, replay = rows["eager"], rows["graph replay"]
    assert eager[1] >= 10 and replay[1] == 0       # the host launches nothing at a replay
    assert rows["launches recorded in the graph"][1] == eager[1]
    assert replay[0] < eager[0]
