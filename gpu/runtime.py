"""Where kernels run: the CUDA runtime, and the interface a device array talks to.

A :class:`~kerastutor.gpu.array.DeviceArray` needs six things from a device,
and nothing else::

    address = runtime.alloc(nbytes)              # memory (from a pool, see below)
    runtime.release(address, nbytes)             # give it back
    runtime.upload(address, host_array)          # host -> device
    runtime.download(host_array, address)        # device -> host
    runtime.launch("elementwise", "unary_exp", grid, block, args)
    runtime.synchronize()                        # wait for every queued kernel

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
before the kernel that will overwrite it.
"""
import collections

from . import driver, nvrtc
from . import kernel_source

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


class CudaRuntime:
    """The real thing: one GPU, its primary context, kernels compiled by NVRTC on first use."""

    name = "cuda"

    def __init__(self, ordinal=0):
        self.device = driver.device(ordinal)
        self.context = driver.Context(self.device)
        self.capability = driver.compute_capability(self.device)
        self.description = f"{driver.device_name(self.device)} (compute " \
                           f"{self.capability[0]}.{self.capability[1]})"
        self.memory = PooledMemory(self._raw_alloc, driver.mem_free)
        self._modules = {}
        self._functions = {}

    def _raw_alloc(self, nbytes):
        try:
            return driver.mem_alloc(nbytes)
        except driver.CudaError as error:
            if error.name != "CUDA_ERROR_OUT_OF_MEMORY":
                raise
            self.memory.empty()               # give the pool back, then try once more
            return driver.mem_alloc(nbytes)

    def alloc(self, nbytes):
        return self.memory.alloc(nbytes)

    def release(self, address, nbytes):
        self.memory.release(address, nbytes)

    def upload(self, address, host):
        driver.memcpy_htod(address, host)

    def download(self, host, address):
        return driver.memcpy_dtoh(host, address)

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
        driver.launch(self.function(file, kernel), grid, block, args, shared_bytes)

    def synchronize(self):
        self.context.synchronize()
