"""How much of a GPU training step is Python? Measured without a GPU.

Every operation on a DeviceArray costs the host some work before the GPU sees anything:
NumPy's dispatch, choosing the kernel, a new array from the memory pool, the ``Layout``
structure, and packing the launch arguments with ctypes. When the kernels are small (an
MLP at batch 128), that host time *is* the step time, and it caps throughput whatever the
GPU. This script measures it with a runtime that does all of that and then launches
nothing:

    python benchmarks/gpu_host_overhead.py

It prints the host time per training step of the MNIST MLP (784-512-512-10, Adam, batch
128), the kernel launches per step and which kernels they are, the reads from the device
per step (each one, on a real GPU, makes the host wait until the GPU has caught up), and
the host time of a few single operations. Numbers from a shared 2-core machine are in benchmarks/README.md.

    python benchmarks/gpu_host_overhead.py --graph

compares a small MLP step run eagerly with the same step captured once as a graph
(:mod:`kerastutor.gpu.graphs`) and replayed: the host's share of a replayed step.

    python benchmarks/gpu_host_overhead.py --jit

times the MNIST MLP's ``fit`` step as above, eagerly and with ``compile(jit_compile=True)``,
which captures the step once and then, per batch, uploads it into the graph's input
buffers, replays, and updates the metrics (:mod:`kerastutor.models.graph_step`).
"""
import collections
import sys
import time

import numpy as np

import kerastutor as keras
from kerastutor import backend
from kerastutor.gpu import array as garray
from kerastutor.gpu import driver
from kerastutor.gpu.graphs import Capturing
from kerastutor.gpu.runtime import PooledMemory


class HostOnlyRuntime:
    """The runtime interface, with every cost a real launch has on the host -- but no GPU."""

    name = "host-only"

    def __init__(self):
        self._next = 1 << 32
        self.memory = PooledMemory(self._raw_alloc, lambda address: None)
        self.launches = collections.Counter()
        self.downloads = 0

    def _raw_alloc(self, nbytes):
        self._next += nbytes
        return self._next

    def alloc(self, nbytes):
        return self.memory.alloc(nbytes)

    def release(self, address, nbytes):
        self.memory.release(address, nbytes)

    def upload(self, address, host):
        pass

    def download(self, host, address):
        host[...] = 0                        # no GPU: the numbers read back are zeros
        self.downloads += 1
        return host

    def launch(self, file, kernel, grid, block, args, shared_bytes=0):
        # what driver.launch does before calling cuLaunchKernel
        driver._dim3(grid), driver._dim3(block)
        driver.packed_arguments(args)
        self.launches[kernel] += 1

    def synchronize(self):
        pass


def _mlp(jit_compile="auto"):
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(512, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit_compile)
    return model


def per_step(runtime, steps=40, batch=128, tries=3, jit_compile="auto"):
    """Host seconds, launches and downloads per training step, with what a ``fit`` costs once (the
    callbacks, the tutor's weight fingerprints, checking the data for NaN and size) taken
    out: the best of ``tries`` differences between an epoch of ``steps`` steps and one of
    ``steps // 4``. Both fits get the same arrays and the short one stops early
    (``steps_per_epoch``), so the checks that read all of ``x`` cost both the same and
    cancel; the batches each step gathers (shuffled rows of ``x``) stay in.

    The clock is this thread's CPU time (``time.thread_time``): the host work is one
    Python thread, and on a shared machine wall-clock time also counts the moments other
    jobs had the core."""
    x = np.random.default_rng(0).random((batch * steps, 784), dtype=np.float32)
    y = np.random.default_rng(1).integers(0, 10, len(x))
    model = _mlp(jit_compile)
    model.fit(x[:2 * batch], y[:2 * batch], batch_size=batch, epochs=1, verbose=0)  # warm up
    short = steps // 4
    best = float("inf")
    for _ in range(tries):
        runtime.launches.clear()
        start, first = time.thread_time(), runtime.downloads
        model.fit(x, y, batch_size=batch, epochs=1, steps_per_epoch=short, verbose=0)
        middle, second = time.thread_time(), runtime.downloads
        short_launches = runtime.launches.copy()
        model.fit(x, y, batch_size=batch, epochs=1, steps_per_epoch=steps, verbose=0)
        end, third = time.thread_time(), runtime.downloads
        best = min(best, ((end - middle) - (middle - start)) / (steps - short))
    downloads = ((third - second) - (second - first)) / (steps - short)   # a fit's own cancel
    # the counter holds both fits' launches: less the short fit's twice, it holds the long
    # fit's less the short fit's -- the steps between, with what a fit costs once cancelled
    runtime.launches.subtract(short_launches)
    runtime.launches.subtract(short_launches)
    runtime.launches = +runtime.launches                        # (drops the zeros)
    return best, sum(runtime.launches.values()) / (steps - short), downloads


def per_operation(repeats=3000):
    a = garray.to_device(np.ones((128, 512), np.float32))
    b = garray.to_device(np.ones(512, np.float32))
    w = garray.to_device(np.ones((512, 512), np.float32))
    cases = {"a + b (broadcast)": lambda: a + b, "a *= 0.5 (in place)": lambda: a.__imul__(0.5),
             "np.exp(a)": lambda: np.exp(a), "a @ w": lambda: a @ w,
             "a.sum(axis=0)": lambda: a.sum(axis=0)}
    for name, operation in cases.items():
        start = time.thread_time()               # CPU time: see per_step
        for _ in range(repeats):
            operation()
        yield name, (time.thread_time() - start) / repeats


class HostOnlyGraphRuntime(Capturing, HostOnlyRuntime):
    """:class:`HostOnlyRuntime` that can capture graphs (``--graph``): a captured launch is
    recorded, and a replay costs what it costs the host on a GPU -- one call (the
    ``cuGraphLaunch`` itself is not made: there is no GPU)."""

    def upload(self, address, host):
        if self._capture is not None:
            self.refuse_transfer("an upload (host -> device copy)")

    def launch(self, file, kernel, grid, block, args, shared_bytes=0):
        HostOnlyRuntime.launch(self, file, kernel, grid, block, args, shared_bytes)
        if self._capture is not None:
            self._recorded += 1

    def _begin_capture(self):
        self._recorded = 0

    def _end_capture(self):
        return self._recorded                # the recording: here only its length

    def _abort_capture(self):
        pass

    def _replay(self, recording):
        pass

    def _destroy(self, recording):
        pass


def graph_demo(repeats=300):
    """Host time of a two-layer MLP's forward, backward and SGD update, eager and replayed.

    The step works on arrays made once (weights, the input and target buffers); each
    repetition uploads a batch into the input buffer first, as a trainer replaying a
    captured step would. Yields ``(name, seconds per step, launches per step)``."""
    runtime = HostOnlyGraphRuntime()
    previous = garray.use_runtime(runtime)
    try:
        yield from _timed_graph_demo(runtime, repeats)
    finally:
        garray.use_runtime(previous)


def _timed_graph_demo(runtime, repeats):
    x, t = (garray.to_device(np.ones(shape, np.float32)) for shape in ((128, 784), (128, 10)))
    w1, w2 = (garray.to_device(np.ones(shape, np.float32)) for shape in ((784, 512),
                                                                          (512, 10)))
    b1 = garray.to_device(np.zeros(512, np.float32))
    batch = np.ones((128, 784), np.float32)

    def step():
        h = np.maximum(x @ w1 + b1, 0)
        delta = h @ w2 - t
        grad_w2 = h.T @ delta
        grad_h = (delta @ w2.T) * (h > 0)
        w1.__isub__(0.01 * (x.T @ grad_h))
        w2.__isub__(0.01 * grad_w2)

    step()                                   # warm up: plans and pool blocks
    graph = runtime.capture(step)
    for name, run in (("eager", step), ("graph replay", graph.replay)):
        before = sum(runtime.launches.values())
        start = time.thread_time()
        for _ in range(repeats):
            runtime.upload(x.buffer.address, batch)
            run()
        seconds = (time.thread_time() - start) / repeats
        yield name, seconds, (sum(runtime.launches.values()) - before) / repeats
    yield "launches recorded in the graph", None, graph._recording
    graph.close()


def jit_demo(steps=40, tries=3):
    """The MNIST MLP's host time per ``fit`` step, eager and with ``jit_compile=True``, on a
    host-only runtime that captures graphs. Yields ``(name, seconds, launches per step)``;
    the launches are the host's own (a replay's kernels are not launched by the host)."""
    runtime = HostOnlyGraphRuntime()
    previous = backend._RUNTIMES.get("emulated"), backend.get_device()
    backend._RUNTIMES["emulated"] = runtime
    arrays_runtime = garray.use_runtime(runtime)      # the one device arrays used until now
    backend.set_device("emulated")
    try:
        for name, jit_compile in (("eager", "auto"), ("jit_compile=True", True)):
            keras.utils.set_random_seed(0)
            seconds, launches, _ = per_step(runtime, steps, tries=tries,
                                            jit_compile=jit_compile)
            yield name, seconds, launches
    finally:
        if previous[0] is None:
            backend._RUNTIMES.pop("emulated", None)
        else:
            backend._RUNTIMES["emulated"] = previous[0]
        backend.set_device(previous[1])
        garray.use_runtime(arrays_runtime)


def main():
    if "--jit" in sys.argv[1:]:
        print("MNIST MLP fit step (784-512-512-10, Adam, accuracy, batch 128), host time:")
        for name, seconds, launches in jit_demo():
            print(f"  {name:17s} {seconds * 1e3:6.2f} ms per step, {launches:4.0f} launches "
                  f"made by the host")
        print("  (jit_compile=True: the batch upload, one graph replay, and the metrics' "
              "kernels)")
        return
    if "--graph" in sys.argv[1:]:
        print("Two-layer MLP step (784-512-10, batch 128, forward + backward + SGD), "
              "host time per step:")
        for name, seconds, launches in graph_demo():
            if seconds is None:
                print(f"  {name}: {launches}")
            else:
                print(f"  {name:14s} {seconds * 1e6:7.1f} us, {launches:.0f} launches made "
                      f"by the host")
        print("  (on a GPU a replay adds one cuGraphLaunch, a few microseconds, whatever "
              "the number of kernels)")
        return
    runtime = HostOnlyRuntime()
    backend._RUNTIMES["emulated"] = runtime        # stands in for the emulated device
    backend.set_device("emulated")
    keras.utils.set_random_seed(0)
    steps = 40
    seconds, launches, downloads = per_step(runtime, steps)
    print(f"MNIST MLP, batch 128: {seconds * 1e3:.2f} ms of host time per step, "
          f"{launches:.0f} kernel launches per step, {downloads:g} downloads per step "
          "(fit, verbose=0)")
    print(f"  -> at most {128 / seconds:,.0f} samples/s, however fast the GPU")
    print("  launches per step:", ", ".join(f"{name} {count / (steps - steps // 4):.0f}"
                                              for name, count
                                              in runtime.launches.most_common(8)))
    for name, seconds in per_operation():
        print(f"{name:22s} {seconds * 1e6:6.1f} us of host time")


if __name__ == "__main__":
    main()
