"""
Lesson 6 -- Your first CUDA kernel
==================================

Every layer in kerastutor is a handful of NumPy calls. On a GPU each of those
calls becomes a *kernel*: a small C++ function that thousands of threads run
at the same time, each on its own piece of the data. This lesson follows one
kernel -- ReLU, :math:`y = \\max(x, 0)` -- from its source text to its
result, and then looks at the kernel that does most of a network's work, the
matrix product.

1. **the source** -- what one thread does, and how a thread finds its element;
2. **the compiler** -- NVRTC turns the text into PTX, the GPU's portable
   assembly language;
3. **the launch** -- a grid of blocks of threads, its arguments, and the result
   (on a machine without a GPU we run the same grid as a NumPy simulation);
4. **the tiled matrix product** -- shared memory and why tiles make it fast.

Nothing here needs a GPU: compiling works anywhere NVRTC is installed
(``pip install nvidia-cuda-nvrtc-cu12``), and every step that needs the
hardware says so and shows the same idea in NumPy instead.

Run it with ``python lessons/06_first_cuda_kernel.py`` (``--quick`` uses
smaller arrays).
"""
# %%
# The kernel's source
# -------------------
# The kernels live in ``.cu`` files next to :mod:`kerastutor.gpu`;
# ``kernel_source`` returns one as text. We print three pieces of
# ``elementwise.cu``, found by their text: the *grid-stride loop*, the macro
# that turns one expression into a whole kernel, and the line that makes
# ReLU. (Should the file compute ReLU some other way, we write that one line
# ourselves: it is the only line a new elementwise kernel needs.)
import argparse
import ctypes
import math
import os
import re
import shutil
import subprocess
import tempfile
import textwrap

import numpy as np

import kerastutor.gpu as gpu
from kerastutor.gpu import driver, nvrtc
from kerastutor.gpu.array import Layout

parser = argparse.ArgumentParser(description="Lesson 6: your first CUDA kernel")
parser.add_argument("--quick", action="store_true", help="smaller arrays (for CI)")
args, _ = parser.parse_known_args()
quick = args.quick or os.environ.get("KERASTUTOR_DOCS_QUICK") == "1"
if quick:   # say so: these are not the numbers of the full lesson
    print("QUICK MODE (--quick): smaller arrays and matrices;\n"
          "the numbers below are a smoke test, not the full lesson's results.")

source = gpu.kernel_source("elementwise")
lines = source.splitlines()


def macro(name):
    """The ``#define name(...)`` of ``source``, with its continuation lines."""
    first = next(i for i, line in enumerate(lines) if line.startswith(f"#define {name}("))
    last = next(i for i in range(first, len(lines)) if not lines[i].rstrip().endswith("\\"))
    return "\n".join(lines[first:last + 1])


def expand(name, arguments):
    """What the C preprocessor makes of ``name(arguments...)``: the macro's body with
    each parameter replaced by its argument (done by hand, for reading)."""
    header, body = macro(name).split(")", 1)
    parameters = [p.strip() for p in header.split("(", 1)[1].split(",")]
    replace = dict(zip(parameters, arguments))
    body = "\n".join(line.rstrip().rstrip("\\").rstrip() for line in body.splitlines())
    return re.sub(r"\b(" + "|".join(parameters) + r")\b",
                  lambda match: replace[match.group()], body).strip("\n")


relu_line = next(line for line in lines if line.startswith("UNARY(unary_relu,"))
print(macro("GRID_STRIDE_LOOP"))
print()
print(macro("UNARY"))
print()
print(relu_line)

# %%
# Read it from the inside out. The preprocessor pastes the two arguments of
# ``UNARY(unary_relu, ...)`` into the macro, and then the loop macro into
# that, so the compiler sees this kernel:
relu_name, relu_expression = relu_line[len("UNARY("):-1].split(", ", 1)
kernel_text = textwrap.dedent(expand("UNARY", [relu_name, relu_expression]))
loop_call = re.search(r"GRID_STRIDE_LOOP\((\w+), (\w+)\)", kernel_text)
loop_lines = textwrap.dedent(expand("GRID_STRIDE_LOOP", loop_call.groups())).strip().splitlines()
column = loop_call.start() - kernel_text.rfind("\n", 0, loop_call.start()) - 1
loop_text = ("\n" + " " * (column + 5)).join(line.strip() for line in loop_lines)
print(kernel_text.replace(loop_call.group(), loop_text))

# %%
# * ``__global__`` marks a function that the CPU starts and the GPU runs;
#   ``extern "C"`` keeps its name plain, so we can look it up as
#   ``"unary_relu"`` later.
# * The body is what **one thread** does. Threads come in *blocks*
#   (here of 256), and blocks form a *grid*. Each thread reads three numbers
#   that the hardware fills in: ``threadIdx.x``, its place in its block,
#   ``blockIdx.x``, its block's place in the grid, and ``blockDim.x``, the
#   size of a block. ``blockIdx.x * blockDim.x + threadIdx.x`` is then a
#   number that no other thread has: the thread's *global index*.
# * **One thread per element**: thread ``i`` computes ``y[i]`` and nothing
#   else. No thread waits for another, so they can all run at once.
# * The **grid-stride loop** lets any grid cover any ``n``: after its first
#   element a thread jumps ahead by the total number of threads in the grid,
#   ``blockDim.x * gridDim.x``, until it runs past the end. With as many
#   threads as elements the loop runs once; with fewer, each thread takes
#   several elements, evenly spaced.
# * If the kernel takes a ``Layout`` ``L``, ``offset_of(L, 0, i)`` finds
#   where output element ``i`` lives in the input, so the input may be a
#   strided view (a transpose, a slice). For an ordinary contiguous array the
#   offset is simply ``i``.
# * **Coalescing**: the GPU runs threads in groups of 32, called *warps*, that
#   execute each instruction together. The 32 threads of a warp have
#   consecutive indices, so their 32 loads ``x[i]`` read 32 consecutive
#   floats -- 128 bytes in a row, which the memory system serves as one wide
#   transaction. ReLU does one comparison per 8 bytes moved; it is limited by
#   memory bandwidth, and coalesced access is what lets it use all of it.
#
# The compiler: CUDA C++ to PTX
# -----------------------------
# A GPU does not execute C++. NVRTC, the CUDA *run-time* compiler, is a
# library that compiles source text inside our own process: we hand it the
# file and a target, ``compute_90`` (the instruction set of compute
# capability 9.0, the H100), and get back **PTX**. PTX is a *virtual*
# assembly language: readable text with unlimited registers, stable across
# GPU generations. It is not yet what the hardware runs. When PTX is loaded
# onto a GPU, the driver compiles it once more, *just in time*, into **SASS**,
# the machine code of that exact chip, choosing real registers and
# scheduling instructions. (``ptxas``, from the CUDA toolkit, does the same
# step ahead of time.)
#
# Here is the beginning of the ``unary_relu`` entry point, and the heart of
# its loop. Look for ``%tid.x``, ``%ntid.x`` and ``%ctaid.x`` -- PTX's names
# for ``threadIdx.x``, ``blockDim.x`` and ``blockIdx.x`` -- and for the load,
# the ReLU and the store of one element.
try:
    ptx, why_not = nvrtc.compile_ptx(source, "elementwise.cu", "compute_90"), ""
except gpu.LibraryNotFound as error:
    ptx, why_not = None, f"NVRTC cannot be loaded, so this part is skipped:\n{error}\n" \
                         f"(pip install nvidia-cuda-nvrtc-cu12, or set NVRTC_PATH)"
except gpu.NvrtcError as error:
    ptx, why_not = None, f"NVRTC refused elementwise.cu, so this part is skipped:\n{error}"

if ptx is None:
    print(why_not)
else:
    entry = ptx[ptx.index(".visible .entry unary_relu("):]
    entry = [line for line in entry[:entry.index("\n}\n") + 3].splitlines() if line.strip()]
    tid = next(i for i, line in enumerate(entry) if "%tid.x" in line)
    index_done = next(i for i in range(tid, len(entry)) if "add.s64" in entry[i])
    load = next(i for i, line in enumerate(entry) if "ld.global.f32" in line)
    store = next(i for i in range(load, len(entry)) if "st.global.f32" in entry[i])
    target = re.search(r"\.target (\w+)", ptx).group(1)
    print(f"PTX of elementwise.cu: {ptx.count('.visible .entry')} kernels, "
          f"{len(ptx.splitlines())} lines, target {target}\n")
    print("\n".join(entry[:index_done + 1]))
    print("\t...")
    print("\n".join(entry[load:store + 1]))
    print("\t...")

# %%
# Reading the excerpt: each ``.param`` line is one of the kernel's arguments
# (``.u64`` for the two addresses and ``n``; a struct such as ``Layout``
# arrives as a block of raw bytes, ``.b8``); ``.reg`` declares the virtual
# registers the kernel uses. ``%r1``, ``%r2``, ``%r3`` receive the block index,
# block size and thread index, and a multiply and an add form the global
# index. In the loop, ``ld.global.f32`` loads one float from the GPU's main
# memory (*global* memory), the next instructions are the ReLU
# (``0f00000000`` is the bit pattern of ``0.0f``), and ``st.global.f32``
# stores the result.
#
# If ``ptxas`` is installed, we can do the driver's final step ourselves and
# ask it (``-v``) how many registers each thread of ``unary_relu`` needs on
# an H100 (``sm_90``). Registers are the fastest storage there is, but an SM
# has a fixed number of them to share among its resident threads: fewer per
# thread means more threads can be resident at once.
if ptx is None:
    print("no PTX, so no register count")
elif shutil.which("ptxas") is None:
    print("ptxas is not on the PATH (it comes with the CUDA toolkit); skipping the "
          "register count")
else:
    with tempfile.TemporaryDirectory() as folder:
        ptx_path = os.path.join(folder, "elementwise.ptx")
        with open(ptx_path, "w", encoding="utf-8") as file:
            file.write(ptx)
        run = subprocess.run(["ptxas", "-arch=sm_90", "-v", ptx_path,
                              "-o", os.path.join(folder, "elementwise.cubin")],
                             capture_output=True, text=True)
    report = re.search(r"entry function 'unary_relu' for 'sm_90'.*?Used (\d+) registers",
                       run.stderr, flags=re.DOTALL)
    if run.returncode == 0 and report:
        print(f"ptxas -v: unary_relu uses {report.group(1)} registers per thread on sm_90")
    else:
        print("ptxas could not assemble this PTX (it may be older than NVRTC):")
        print(run.stderr.strip() or f"exit code {run.returncode}")

# %%
# The launch: a grid of blocks
# ----------------------------
# Starting a kernel means choosing the shape of its grid. We take blocks of
# 256 threads (8 warps: a common choice, large enough to keep an SM busy and
# a multiple of 32) and ``ceil(n / 256)`` blocks, so that there is one
# thread per element. For large ``n`` we cap the number of blocks: a few
# hundred blocks already fill every SM of the GPU, and the grid-stride loop
# hands each thread the rest. Here the cap is small on purpose, so that the
# loop really loops.
n = 100_000 if quick else 4_000_000
block = 256
max_blocks = 64 if quick else 1024
grid = min(math.ceil(n / block), max_blocks)
threads = grid * block
print(f"n = {n:,} elements, block = {block} threads, grid = min(ceil({n:,} / {block}), "
      f"{max_blocks}) = {grid} blocks")
print(f"{threads:,} threads in all: each thread handles {n // threads} or "
      f"{math.ceil(n / threads)} elements")

rng = np.random.default_rng(0)
x = rng.standard_normal(n).astype(np.float32)
expected = np.maximum(x, 0)

# %%
# The arguments are passed in the order of the kernel's parameters, each as
# the C type it declares: ``x`` and ``y`` are *device addresses*, 64-bit
# numbers that point into the GPU's memory (``c_uint64``), and ``n`` is a
# ``long long`` (``c_longlong`` -- a plain Python ``int`` would be sent as a
# 32-bit ``int``, and the kernel would read garbage in the upper half).
#
# The kernel also takes a ``Layout``, passed by value: the library's
# ``ctypes.Structure`` with the same fields in the same order
# (:class:`kerastutor.gpu.array.Layout`; ctypes lays it out as the C compiler
# does). For a contiguous 1-D array it says: one axis of ``n`` elements, stride 1.
signature = re.search(r"void name\(([^)]*)\)", macro("UNARY")).group(1)
print("parameters:", signature)
struct_start = source.index("struct Layout {")
print(source[struct_start:source.index("};", struct_start) + 2])
layout = Layout(rank=1)
layout.shape[0] = n
layout.strides[0][0] = 1
print(f"Layout: rank {layout.rank}, shape[0] {layout.shape[0]}, "
      f"strides[0][0] {layout.strides[0][0]}, {ctypes.sizeof(layout)} bytes")

# %%
# On a GPU we run it for real, with the driver calls of :mod:`kerastutor.gpu.driver`:
# make the device's context current, allocate device memory for ``x`` and
# ``y``, copy ``x`` over, load the compiled kernel as a *module*, look up the
# *function* by name, launch it, and copy ``y`` back. A launch returns at
# once -- the GPU works through its queue on its own -- so the two *events*
# recorded around it give the kernel's own running time.
#
# We load CUBIN (``compile_cubin``, machine code for the GPU found) rather
# than PTX: the driver refuses PTX from an NVRTC newer than itself, but
# accepts CUBIN within the same CUDA major version.
gpu_ok, gpu_reason = gpu.available()
if gpu_ok and ptx is not None:
    print("GPU:", gpu_reason)
    with driver.Context(driver.device(0)) as context:
        arch = nvrtc.arch_for(driver.compute_capability(context.device), real=True)
        module = driver.Module(nvrtc.compile_cubin(source, "elementwise.cu", arch))
        relu = module.function("unary_relu")
        x_address, y_address = driver.mem_alloc(x.nbytes), driver.mem_alloc(x.nbytes)
        driver.memcpy_htod(x_address, x)
        arguments = [ctypes.c_uint64(x_address), ctypes.c_uint64(y_address),
                     ctypes.c_longlong(n)] + [layout]
        print(f"arguments: x = {x_address:#x}, y = {y_address:#x}, n = {n}")
        start, end = driver.Event(), driver.Event()
        start.record()
        driver.launch(relu, grid=grid, block=block, args=arguments)
        end.record()
        milliseconds = driver.elapsed_ms(start, end)
        y = driver.memcpy_dtoh(np.empty_like(x), y_address)
        driver.mem_free(x_address)
        driver.mem_free(y_address)
        start.destroy()
        end.destroy()
        module.unload()
    print(f"kernel time {milliseconds:.3f} ms: "
          f"{2 * x.nbytes / milliseconds / 1e6:.0f} GB/s read and written")
    print("same as np.maximum(x, 0):", np.array_equal(y, expected))
else:
    print("No GPU here:", gpu_reason if not gpu_ok else "the kernel did not compile")
    print("So instead of launching, we simulate the grid in NumPy below.")
    print(f"arguments would be: x = <device address, c_uint64>, "
          f"y = <device address, c_uint64>, n = c_longlong({n})"
          + ", L = the Layout above")

# %%
# The grid, simulated
# -------------------
# What does the grid *do*? We can build it in NumPy. Every thread is a pair
# (``blockIdx.x``, ``threadIdx.x``); ``np.arange`` makes all the pairs at
# once, and the grid-stride loop's iterations become one more axis: in
# iteration ``step`` the thread with global index ``g`` handles element
# ``g + step * threads``. Elements past ``n`` are masked out, exactly as the
# loop condition ``i < n`` stops a thread.
block_idx = np.arange(grid)[:, None]                      # (grid, 1)
thread_idx = np.arange(block)[None, :]                    # (1, block)
global_idx = (block_idx * block + thread_idx).ravel()     # (threads,)
steps = math.ceil(n / threads)
element = global_idx[None, :] + np.arange(steps)[:, None] * threads   # (steps, threads)
active = element < n

y_simulated = np.empty_like(x)
v = x[element[active]]
y_simulated[element[active]] = np.where(v > 0.0, v, 0.0)
print("every element written exactly once:",
      np.array_equal(np.bincount(element[active], minlength=n), np.ones(n, int)))
print("same as np.maximum(x, 0):", np.array_equal(y_simulated, expected))

# %%
# Who does what: block 0's thread 0 takes elements ``0, threads, 2 threads,
# ...``; thread 1 the next ones over. And in each iteration the 32 threads of
# a warp read 32 neighboring floats -- 128 consecutive bytes, one coalesced
# transaction.
print(f"block 0, thread 0 handles elements {element[active[:, 0], 0].tolist()}")
print(f"block 0, thread 1 handles elements {element[active[:, 1], 1].tolist()}")
warp_bytes = element[0, :32] * x.itemsize
print(f"warp 0, first iteration, byte offsets {warp_bytes[0]}..{warp_bytes[-1]}: "
      f"consecutive = {bool(np.all(np.diff(warp_bytes) == x.itemsize))}, "
      f"span = {warp_bytes[-1] - warp_bytes[0] + x.itemsize} bytes")

# %%
# The tiled matrix product
# ------------------------
# ReLU moves 8 bytes per operation; a matrix product :math:`C = AB` with
# :math:`A` of shape :math:`(M, K)` and :math:`B` of shape :math:`(K, N)`
# does :math:`2MNK` flops on only :math:`4(MK + KN + MN)` bytes. It *could*
# be limited by arithmetic instead of memory -- but only if each number
# loaded is used many times. The naive kernel, one thread per ``C[row, col]``
# reading a row of :math:`A` and a column of :math:`B` from main memory,
# loads two floats for every multiply-add and wastes that chance.
#
# ``matmul.cu`` reuses data through **shared memory**, a small, fast memory
# on each SM that the threads of one block share. Here is the kernel:
matmul_source = gpu.kernel_source("matmul")
TILE = int(re.search(r"#define TILE (\d+)", matmul_source).group(1))
kernel_start = matmul_source.index('extern "C"')
print(matmul_source[kernel_start:])

# %%
# * A block of ``TILE x TILE`` threads computes one ``TILE x TILE`` tile of
#   :math:`C`; thread (``threadIdx.y``, ``threadIdx.x``) owns one element and
#   keeps its running sum ``acc`` in a register.
# * The block walks along :math:`K` in steps of ``TILE``. At each step every
#   thread loads *one* element of :math:`A` and one of :math:`B` into the
#   shared arrays ``As`` and ``Bs`` (coalesced: ``threadIdx.x`` runs along a
#   row). Parts of a tile that stick out past the matrix are filled with
#   zeros, which add nothing to a sum.
# * ``__syncthreads()`` is a barrier: no thread of the block continues until
#   all have arrived. The first makes sure the tiles are complete before
#   anyone reads them; the second that everyone has finished reading before
#   the next step overwrites them.
# * Between the barriers each thread does ``TILE`` multiply-adds from shared
#   memory. Each float a block loads from main memory is used ``TILE``
#   times -- once by each of the ``TILE`` threads in its row or column of the
#   tile -- so main-memory traffic falls by a factor of ``TILE``.
#
# That factor is the **arithmetic intensity**, flops per byte loaded. Per
# step a block loads :math:`2 T^2` floats (:math:`8T^2` bytes) and does
# :math:`T^3` multiply-adds (:math:`2T^3` flops): :math:`T/4` flops per byte,
# against :math:`1/4` for the naive kernel.
print(f"TILE = {TILE}: {2 * TILE ** 3 / (8 * TILE ** 2):g} flops per byte loaded, "
      f"naive: {2 / 8:g}")

# %%
# The same algorithm in NumPy, tile by tile. This is a diagram in code: the
# loops over output tiles (the blocks of the grid) and over ``k0`` (the
# kernel's loop) are written out, and inside them all the threads of a block
# run at once as NumPy operations on ``TILE x TILE`` arrays. The innermost
# loop over ``k`` is the kernel's ``acc += As[ty][k] * Bs[k][tx]``, for all
# threads of the block together. We count the floats loaded from "main
# memory" on the way.
M, K, N = (37, 50, 29) if quick else (75, 90, 61)
a = rng.standard_normal((M, K)).astype(np.float32)
b = rng.standard_normal((K, N)).astype(np.float32)


def tile_of(matrix, top, left):
    """The ``TILE x TILE`` tile at (top, left), zero where it sticks out of ``matrix``."""
    tile = np.zeros((TILE, TILE), np.float32)
    part = matrix[top:top + TILE, left:left + TILE]
    tile[:part.shape[0], :part.shape[1]] = part
    return tile


c = np.zeros((M, N), np.float32)
loaded = 0
grid_y, grid_x = math.ceil(M / TILE), math.ceil(N / TILE)
for block_y in range(grid_y):                   # one block per output tile
    for block_x in range(grid_x):
        acc = np.zeros((TILE, TILE), np.float32)            # one register per thread
        for k0 in range(0, K, TILE):
            As = tile_of(a, block_y * TILE, k0)             # each thread loads one element
            Bs = tile_of(b, k0, block_x * TILE)
            loaded += 2 * TILE * TILE
            # __syncthreads()
            for k in range(TILE):
                acc += As[:, k:k + 1] * Bs[k:k + 1, :]      # every thread's multiply-add
            # __syncthreads()
        top, left = block_y * TILE, block_x * TILE          # threads past the edge store nothing
        c[top:top + TILE, left:left + TILE] = acc[:min(TILE, M - top), :min(TILE, N - left)]

print(f"grid = ({grid_x}, {grid_y}) blocks of ({TILE}, {TILE}) threads for a "
      f"({M}, {N}) result")
print("tiled result matches a @ b:", np.allclose(c, a @ b, rtol=1e-4, atol=1e-4))
print(f"floats loaded from main memory: tiled {loaded:,}, naive {2 * M * N * K:,} "
      f"({2 * M * N * K / loaded:.1f} times more)")

# %%
# The saving is a little less than ``TILE`` here because the matrices are
# small and the tiles at the edges are partly zeros; for large matrices it
# approaches 16.
#
# On a GPU we launch ``matmul_tiled`` itself. Its convention, read from the
# ``.cu`` file: blocks of ``(TILE, TILE)`` threads, a grid of
# ``(ceil(N / TILE), ceil(M / TILE), batch)`` -- x runs along the columns of
# :math:`C`, y along the rows, z over a batch of matrices -- and arguments
# ``A, B, C`` (device addresses), ``M, N, K`` (``int``) and the three batch
# strides (``long long``; with a batch of one they are never used).
if gpu_ok:
    with driver.Context(driver.device(0)) as context:
        arch = nvrtc.arch_for(driver.compute_capability(context.device), real=True)
        module = driver.Module(nvrtc.compile_cubin(matmul_source, "matmul.cu", arch))
        matmul = module.function("matmul_tiled")
        a_address, b_address = driver.mem_alloc(a.nbytes), driver.mem_alloc(b.nbytes)
        c_address = driver.mem_alloc(M * N * 4)
        driver.memcpy_htod(a_address, a)
        driver.memcpy_htod(b_address, b)
        arguments = ([ctypes.c_uint64(a_address), ctypes.c_uint64(b_address),
                      ctypes.c_uint64(c_address)]
                     + [ctypes.c_int(M), ctypes.c_int(N), ctypes.c_int(K)]
                     + [ctypes.c_longlong(M * K), ctypes.c_longlong(K * N),
                        ctypes.c_longlong(M * N)])
        driver.launch(matmul, grid=(grid_x, grid_y, 1), block=(TILE, TILE), args=arguments)
        c_gpu = driver.memcpy_dtoh(np.empty((M, N), np.float32), c_address)
        driver.mem_free(a_address)
        driver.mem_free(b_address)
        driver.mem_free(c_address)
        module.unload()
    print("matmul_tiled on the GPU matches a @ b:",
          np.allclose(c_gpu, a @ b, rtol=1e-4, atol=1e-4))
else:
    print("No GPU here: matmul_tiled is not launched; the NumPy rendering above is "
          "the same algorithm.")

# %%
# Next: the same layers on the GPU
# --------------------------------
# You will rarely launch a kernel by hand. kerastutor does it for you:
# after ``keras.backend.set_device("cuda")``, the unchanged layer code of
# the earlier lessons runs on the GPU -- each NumPy call it makes on a device
# array (``np.maximum``, ``np.matmul``, ...) becomes a launch of kernels like
# the two above, and the data stays in GPU memory between them.
# The chapter :doc:`/concepts/gpu` explains how.
