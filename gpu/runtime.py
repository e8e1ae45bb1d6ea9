"""Where kernels run: the CUDA runtime, and the interface a device array talks to.

A :class:`~kerastutor.gpu.array.DeviceArray` needs six things from a device,
and nothing else::

    address = runtime.alloc(nbytes)              # memory (from a pool, see below)
    runtime.release(address, nbytes)             # give it back
    runtime.upload(address, host_array)          # host -> device
    runtime.download(host_array, address)        # device -> host
    runtime.launch("elementwise", "unary_exp", grid, block, args)
    runtime.synchronize()                        # wait for every queued kernel

and both can record a sequence of launches and replay it with one call
(``with runtime.capturing() as graph: ...``, then ``graph.replay()``; see
:mod:`kerastutor.gpu.graphs`).

:class:`CudaRuntime` does them with the driver API and NVRTC. The emulated
runtime (:mod:`kerastutor.gpu.emulator`) does them in NumPy on this machine's
memory, running each kernel's NumPy twin, so the device-array code can be
tested -- and read in action -- without a GPU.

**Why a memory pool.** ``cuMemAlloc`` and ``cuMemFree`` are slow (tens of
microseconds, and ``cuMemFree`` waits for the GPU to go idle), while a
training step makes and drops hundreds of temporary arrays. So a released
block is kept in a free list keyed by its size and handed out again by the
next ``alloc`` of that size. Sizes are rounded up to a multiple of 512 bytes so
that nearby sizes share lists. Kernels run in order on one stream, so a block
released here may be reused at once: any kernel that still reads it was queued
before the kernel that will overwrite it. (A captured graph breaks that argument --
its kernels run again at every replay -- so the blocks a graph uses stay its own:
:class:`~kerastutor.gpu.graphs.GraphMemory`.)
"""
import collections

from . import driver, nvrtc
from . import kernel_source
from .graphs import Capturing

GRANULE = 512
BLOCK = 256           # threads per block for the 1-D kernels
MAX_BLOCKS = 65535 * 4


def rounded(nbytes):
    """Bytes actually reserved for a request of ``nbytes`` (a multiple of 512, at least 512)."""
    return max(GRANULE, -(-int(nbytes) // GRANULE) * GRANULE)


def grid_for(n, block=BLOCK):
    """Blocks for ``n`` threads' worth of work: enough to cover n, capped (grid-stride loops
    do the rest)."""
    return max(1, min(-(-int(n) // block), MAX_BLOCKS))


# -- remembered answers -----------------------------------------------------------------
CACHE_LIMIT = 4096


def remember(cache, key, value):
    """``cache[key] = value``, emptying ``cache`` first if it holds :data:`CACHE_LIMIT`
    entries; returns ``value``.

    The host-side speed-ups of the GPU path remember answers by *signature* -- block
    sizes here; reshapes, layouts, index views and elementwise and reduction plans in
    :mod:`.array` -- because a training step asks the same few dozen questions at every
    step. But signatures hold shapes, and shapes change with the batch size (a last,
    smaller batch; ``predict`` on any number of rows; sequences of any length), so a dict
    that only grew would leak memory over a long session. 4096 entries is far above what
    one model uses; when a cache is full it starts again, and the signatures in use are
    worked out afresh at the next step (simpler than least-recently-used, and as good
    here).

    Only a *miss* calls this. A hit stays a bare ``cache.get(key)`` at the call site:
    the look-ups run at every kernel launch, where one more Python call would cost as
    much as the look-up itself."""
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


# Speed-up, beside ``rounded`` (the definition): a training step allocates and releases the
# same few sizes ~50 times a step, and a dict look-up is a third of the arithmetic's cost.
_ROUNDED = {}


class PooledMemory:
    """Free lists of released blocks by rounded size; ``raw_alloc``/``raw_free`` do the real work."""

    def __init__(self, raw_alloc, raw_free):
        self._raw_alloc, self._raw_free = raw_alloc, raw_free
        self._free = collections.defaultdict(list)
        self.in_use_bytes = 0
        self.pooled_bytes = 0

    @staticmethod
    def rounded(nbytes):
        """The size of the block a request of ``nbytes`` is given (:func:`rounded`)."""
        return rounded(nbytes)

    def alloc(self, nbytes):
        size = _ROUNDED.get(nbytes) or remember(_ROUNDED, nbytes, rounded(nbytes))
        self.in_use_bytes += size
        blocks = self._free[size]
        if blocks:
            self.pooled_bytes -= size
            return blocks.pop()
        return self._raw_alloc(size)

    def release(self, address, nbytes):
        size = _ROUNDED.get(nbytes) or remember(_ROUNDED, nbytes, rounded(nbytes))
        self.in_use_bytes -= size
        self.pooled_bytes += size
        self._free[size].append(address)

    def empty(self):
        """Really free every pooled block (e.g. before a large allocation fails)."""
        for blocks in self._free.values():
            for address in blocks:
                self._raw_free(address)
        self._free.clear()
        self.pooled_bytes = 0


class CudaRuntime(Capturing):
    """The real thing: one GPU, its primary context, kernels compiled by NVRTC on first use.

    Every launch goes on one stream of the runtime's own (a graph can only be captured
    from such a stream, never from the legacy default stream). The stream is a blocking
    one, so the synchronous uploads (``cuMemcpyHtoD``, on the legacy default stream) stay
    in order with the launches, as before; a download is queued on the stream and waited
    for, so it returns the numbers every earlier launch has produced.

    Ran only on the emulator so far: the session that added streams and graphs had no GPU.
    """

    name = "cuda"

    def __init__(self, ordinal=0):
        self.device = driver.device(ordinal)
        self.context = driver.Context(self.device)
        self.capability = driver.compute_capability(self.device)
        self.description = f"{driver.device_name(self.device)} (compute " \
                           f"{self.capability[0]}.{self.capability[1]})"
        self.memory = PooledMemory(self._raw_alloc, driver.mem_free)
        self.stream = driver.Stream()
        self._modules = {}
        self._functions = {}

    def _raw_alloc(self, nbytes):
        try:
            return driver.mem_alloc(nbytes)
        except driver.CudaError as error:
            if error.name != "CUDA_ERROR_OUT_OF_MEMORY" or self._capture is not None:
                raise                         # (cuMemFree in a capture would break it)
            self.memory.empty()               # give the pool back, then try once more
            return driver.mem_alloc(nbytes)

    def upload(self, address, host):
        if self._capture is not None:
            self.refuse_transfer("an upload (host -> device copy)")
        # Synchronous: it returns once ``host`` has been read, so the caller may drop it;
        # the async copy on pageable memory promises no such thing (driver.memcpy_htod_async)
        driver.memcpy_htod(address, host)

    def download(self, host, address):
        if self._capture is not None:
            self.refuse_transfer("a download (device -> host copy)")
        driver.memcpy_dtoh_async(host, address, self.stream)
        self.stream.synchronize()
        return host

    def function(self, file, kernel):
        """The compiled kernel ``kernel`` of ``kernels/<file>.cu`` (compiled once, then cached)."""
        key = (file, kernel)
        if key not in self._functions:
            if file not in self._modules:
                arch = nvrtc.arch_for(self.capability)
                ptx = nvrtc.compile_ptx(kernel_source(file), f"{file}.cu", arch)
                self._modules[file] = driver.Module(ptx)
            self._functions[key] = self._modules[file].function(kernel)
        return self._functions[key]

    def launch(self, file, kernel, grid, block, args, shared_bytes=0):
        driver.launch(self.function(file, kernel), grid, block, args, shared_bytes,
                      self.stream)

    def synchronize(self):
        self.context.synchronize()

    # -- graphs (kerastutor.gpu.graphs): the stream records instead of running ------------

    def _begin_capture(self):
        self.stream.begin_capture(driver.CU_STREAM_CAPTURE_MODE_RELAXED)

    def _end_capture(self):
        return driver.GraphExec(self.stream.end_capture())

    def _abort_capture(self):
        try:
            driver.call("cuGraphDestroy", self.stream.end_capture())
        except driver.CudaError:              # an invalidated capture has no graph
            pass

    def _replay(self, recording):
        recording.launch(self.stream)

    def _destroy(self, recording):
        recording.destroy()
