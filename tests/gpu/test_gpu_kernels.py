"""The CUDA path without a GPU: every kernel compiles, errors read well, libraries are found.

* Every ``gpu/kernels/*.cu`` is compiled to PTX by NVRTC (the ``nvidia-cuda-nvrtc-cu12``
  wheel from the ``test`` extra), and each PTX is assembled by ``ptxas`` for sm_90
  (H100) where ``ptxas`` is on the PATH -- so a kernel that does not compile fails
  CI on a machine without a GPU.
* A broken kernel raises :class:`NvrtcError` carrying the compiler's log.
* The library search order and :func:`kerastutor.gpu.available` are checked with
  stand-ins for the libraries, so they run everywhere.
* Tests that need a GPU run a kernel and compare with NumPy; they skip, saying why,
  on a machine without one.
"""
import ctypes
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import kerastutor.gpu as gpu
from kerastutor.gpu import driver, libraries, nvrtc, philox
from kerastutor.gpu.errors import CudaError, LibraryNotFound, NvrtcError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _nvrtc_or_reason():
    try:
        return nvrtc.version(), ""
    except LibraryNotFound as error:
        return None, f"NVRTC cannot be loaded (pip install nvidia-cuda-nvrtc-cu12): {error}"


NVRTC_VERSION, NO_NVRTC_REASON = _nvrtc_or_reason()
needs_nvrtc = pytest.mark.skipif(NVRTC_VERSION is None, reason=NO_NVRTC_REASON)
needs_ptxas = pytest.mark.skipif(shutil.which("ptxas") is None,
                                 reason="ptxas (from the CUDA toolkit) is not on the PATH")
GPU_OK, GPU_REASON = gpu.available()
needs_gpu = pytest.mark.skipif(not GPU_OK, reason=f"needs a CUDA GPU: {GPU_REASON}")


def kernel_functions(source):
    """Names of the ``extern "C" __global__`` functions in a .cu text, macros expanded by hand."""
    direct = re.findall(r'extern "C" __global__ void (\w+)\(', source)
    for macro in ("UNARY", "REDUCE_EXTREME", "REDUCE_ARG"):
        direct += re.findall(rf"^{macro}\((\w+),", source, flags=re.MULTILINE)
    for name in re.findall(r"^BINARY\((\w+),", source, flags=re.MULTILINE):
        direct += [name, name + "_as", name + "_sa"]       # array-array, array-scalar, scalar-array
    return [name for name in direct if not name.startswith("name")]   # the macro parameter


@pytest.fixture(scope="module")
def compiled():
    """Each kernel file compiled once to PTX for compute_90: ``{name: (ptx, log)}``."""
    if NVRTC_VERSION is None:
        pytest.skip(NO_NVRTC_REASON)
    return {name: nvrtc.compile_source(gpu.kernel_source(name), f"{name}.cu", "compute_90")
            for name in gpu.kernel_names()}


@pytest.fixture(scope="module")
def ptx_by_kernel(compiled):
    return {name: ptx.decode() for name, (ptx, _) in compiled.items()}


# -- the kernels compile -------------------------------------------------------------------

def test_the_kernel_files_cover_the_issue():
    assert set(gpu.kernel_names()) >= {"elementwise", "reduce", "matmul", "transpose", "im2col",
                                       "softmax", "gather_scatter", "philox", "optimizers"}


@needs_nvrtc
@pytest.mark.parametrize("name", gpu.kernel_names())
def test_every_kernel_compiles_to_ptx_with_all_its_entry_points(name, ptx_by_kernel):
    ptx = ptx_by_kernel[name]
    assert ".target sm_90" in ptx
    expected = kernel_functions(gpu.kernel_source(name))
    assert expected, f"{name}.cu declares no extern \"C\" __global__ function"
    entries = re.findall(r"\.visible \.entry (\w+)\(", ptx)
    assert sorted(entries) == sorted(expected)


@needs_nvrtc
@pytest.mark.parametrize("name", gpu.kernel_names())
def test_every_kernel_compiles_without_a_warning(name, compiled):
    assert compiled[name][1] == ""


@needs_nvrtc
@needs_ptxas
@pytest.mark.parametrize("name", gpu.kernel_names())
def test_every_kernel_assembles_for_sm_90_with_ptxas(name, ptx_by_kernel, tmp_path):
    path = tmp_path / f"{name}.ptx"
    path.write_text(ptx_by_kernel[name])
    run = subprocess.run(["ptxas", "-arch=sm_90", str(path), "-o", str(tmp_path / "out.cubin")],
                         capture_output=True, text=True)
    if "Unsupported .version" in run.stderr:
        pytest.skip(f"this ptxas is older than NVRTC {NVRTC_VERSION}: {run.stderr.strip()}")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out.cubin").read_bytes()[:4] == b"\x7fELF"


@needs_nvrtc
def test_compile_cubin_gives_machine_code_for_a_real_architecture():
    cubin = nvrtc.compile_cubin(gpu.kernel_source("optimizers"), "optimizers.cu", "sm_90")
    assert cubin[:4] == b"\x7fELF"


@needs_nvrtc
def test_a_syntax_error_raises_nvrtc_error_with_the_compiler_log():
    broken = 'extern "C" __global__ void broken(float* x) {\n    x[0] = undefined_name;\n}\n'
    with pytest.raises(NvrtcError) as caught:
        nvrtc.compile_ptx(broken, "broken.cu")
    error = caught.value
    assert error.name == "NVRTC_ERROR_COMPILATION"
    assert "broken.cu(2)" in error.log and "undefined_name" in error.log
    assert "compiler log" in str(error) and "broken.cu(2)" in str(error)


@needs_nvrtc
def test_a_bad_option_is_an_nvrtc_error_too():
    with pytest.raises(NvrtcError, match="NVRTC_ERROR_INVALID_OPTION"):
        nvrtc.compile_ptx("", "empty.cu", options=("--no-such-option",))


def test_the_architecture_kind_is_checked_before_compiling():
    with pytest.raises(ValueError, match="compile_cubin"):
        nvrtc.compile_ptx("", arch="sm_90")
    with pytest.raises(ValueError, match="compile_ptx"):
        nvrtc.compile_cubin("", arch="compute_90")
    assert nvrtc.arch_for((9, 0)) == "compute_90"
    assert nvrtc.arch_for((8, 6), real=True) == "sm_86"


def test_kernel_source_names_the_files_there_are():
    assert "__global__" in gpu.kernel_source("matmul")
    with pytest.raises(ValueError, match="'matmull'.*'matmul'"):
        gpu.kernel_source("matmull")


# -- finding the libraries -----------------------------------------------------------------

def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a library")
    return str(path)


def test_nvrtc_search_order_env_then_wheels_then_toolkit(tmp_path):
    explicit = _touch(tmp_path / "mine" / "libnvrtc.so.12")
    site = tmp_path / "site-packages"
    cu13 = _touch(site / "nvidia" / "cu13" / "lib" / "libnvrtc.so.13")
    cu12 = _touch(site / "nvidia" / "cuda_nvrtc" / "lib" / "libnvrtc.so.12")
    _touch(site / "nvidia" / "cuda_nvrtc" / "lib" / "libnvrtc-builtins.so.12.9")
    toolkit = _touch(tmp_path / "cuda" / "lib64" / "libnvrtc.so.12")
    environ = {"NVRTC_PATH": explicit, "CUDA_PATH": str(tmp_path / "cuda")}
    found = libraries.nvrtc_candidates(environ, [str(site)])
    assert found[:4] == [explicit, cu12, cu13, toolkit]
    assert not any("builtins" in path for path in found)


def test_nvrtc_path_may_name_a_folder(tmp_path):
    library = _touch(tmp_path / "libnvrtc.so.12")
    assert libraries.nvrtc_candidates({"NVRTC_PATH": str(tmp_path)}, [])[0] == library


def test_a_library_that_cannot_load_is_reported_with_every_place_tried(tmp_path):
    fake = _touch(tmp_path / "libnvrtc.so.12")
    with pytest.raises(LibraryNotFound) as caught:
        libraries.load_first("NVRTC", [fake, str(tmp_path / "missing.so")], hint="a hint")
    message = str(caught.value)
    assert fake in message and "missing.so" in message and message.endswith("a hint")
    assert len(caught.value.tried) == 2


def test_importing_the_package_loads_no_gpu_library():
    code = ("import sys, kerastutor.gpu; "
            "print(sorted(m for m in sys.modules if m.startswith('kerastutor.gpu')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "NVRTC_PATH": "/nonexistent"}, check=True)
    assert out.stdout.strip() == "['kerastutor.gpu', 'kerastutor.gpu.errors']"


# -- available() ---------------------------------------------------------------------------

@pytest.fixture
def fresh_driver(monkeypatch):
    """The driver module as if never loaded; restored afterwards."""
    monkeypatch.setattr(driver, "_state", {})
    return driver


def test_available_says_the_driver_is_missing(fresh_driver, monkeypatch):
    def no_driver():
        raise LibraryNotFound("the CUDA driver (libcuda.so.1)", [("libcuda.so.1", "not found")])
    monkeypatch.setattr(driver, "load_driver", no_driver)
    ok, reason = gpu.available()
    assert not ok
    assert reason.startswith("no usable CUDA GPU") and "libcuda.so.1" in reason


def test_available_says_nvrtc_is_missing_when_a_gpu_is_there(monkeypatch):
    monkeypatch.setattr(driver, "device_count", lambda: 1)
    monkeypatch.setattr(driver, "device", lambda ordinal=0: 0)
    monkeypatch.setattr(driver, "compute_capability", lambda dev: (9, 0))
    monkeypatch.setattr(driver, "device_name", lambda dev: "Stand-in H100")

    def no_nvrtc():
        raise LibraryNotFound("NVRTC", [("libnvrtc.so.12", "not found")])
    monkeypatch.setattr(nvrtc, "version", no_nvrtc)
    ok, reason = gpu.available()
    assert not ok and reason.startswith("Stand-in H100 (compute 9.0) found, but NVRTC")
    monkeypatch.setattr(nvrtc, "version", lambda: (12, 9))
    assert gpu.available() == (True, "Stand-in H100 (compute 9.0)")


def test_available_says_when_the_driver_sees_no_gpu(monkeypatch):
    monkeypatch.setattr(driver, "device_count", lambda: 0)
    assert gpu.available() == (False, "the CUDA driver is installed but reports no GPU")


def test_a_cuda_error_names_the_error_and_the_call():
    error = CudaError(2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory", "cuMemAlloc_v2")
    assert str(error) == "cuMemAlloc_v2 failed with CUDA_ERROR_OUT_OF_MEMORY (2): out of memory"
    assert (error.code, error.name, error.call) == (2, "CUDA_ERROR_OUT_OF_MEMORY", "cuMemAlloc_v2")


def test_kernel_arguments_become_c_values():
    assert isinstance(driver._as_ctype(3), ctypes.c_int)
    assert isinstance(driver._as_ctype(np.float32(0.5)), ctypes.c_float)
    with pytest.raises(TypeError, match="c_uint64 for device addresses"):
        driver._as_ctype("x")
    assert driver._dim3(4) == (4, 1, 1) and driver._dim3((2, 3)) == (2, 3, 1)


# -- Philox, the reference the GPU's random numbers are checked against -------------------

@pytest.mark.parametrize("counter, key, expected", [
    # known-answer vectors published with Random123 (kat_vectors, philox4x32 10 rounds)
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
])
def test_philox_reference_gives_the_published_answers(counter, key, expected):
    assert tuple(int(w) for w in philox.philox4x32_10([counter], key)[0]) == expected


def test_philox_uniform_is_a_stream_addressed_by_offset():
    whole = philox.uniform(40, seed=(7, 9))
    assert whole.dtype == np.float32 and whole.min() >= 0 and whole.max() < 1
    np.testing.assert_array_equal(philox.uniform(20, seed=(7, 9), offset=5), whole[20:40])
    assert not np.array_equal(philox.uniform(40, seed=(7, 10)), whole)
    sample = philox.uniform(40_000, seed=(1, 2), low=-2.0, high=2.0)
    assert sample.min() >= -2 and sample.max() < 2 and abs(sample.mean()) < 0.05


def test_philox_counters_carry_into_the_second_word():
    assert philox.counters(0xFFFFFFFF, 2).tolist() == [[0xFFFFFFFF, 0, 0, 0], [0, 1, 0, 0]]


# -- packaging -----------------------------------------------------------------------------

def test_every_package_folder_is_listed_in_pyproject():
    tomllib = pytest.importorskip("tomllib")        # Python 3.11+
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as file:
        config = tomllib.load(file)["tool"]["setuptools"]
    on_disk = {os.path.relpath(folder, ROOT).replace(os.sep, ".")
               for folder, _, files in os.walk(os.path.join(ROOT, "kerastutor"))
               if "__init__.py" in files}
    on_disk |= {"kerastutor." + os.path.relpath(folder, ROOT).replace(os.sep, ".")
                for folder, _, files in os.walk(os.path.join(ROOT, "gpu"))
                if "__init__.py" in files}          # gpu/ is installed as kerastutor.gpu
    missing = on_disk - set(config["packages"])
    assert not missing, f"add {sorted(missing)} to [tool.setuptools] packages in pyproject.toml"
    assert config["package-dir"]["kerastutor.gpu"] == "gpu"


# -- on a GPU ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def context():
    if not GPU_OK:
        pytest.skip(f"needs a CUDA GPU: {GPU_REASON}")
    with driver.Context(driver.device(0)) as ctx:
        yield ctx


def _module(name, ctx):
    """CUBIN for the GPU found: unlike PTX it loads even where the driver is older than NVRTC."""
    arch = nvrtc.arch_for(driver.compute_capability(ctx.device), real=True)
    return driver.Module(nvrtc.compile_cubin(gpu.kernel_source(name), f"{name}.cu", arch))


def _to_device(array):
    address = driver.mem_alloc(array.nbytes)
    driver.memcpy_htod(address, array)
    return address


@needs_gpu
def test_tiled_matmul_matches_numpy_on_the_gpu(context):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 37, 50)).astype(np.float32)
    b = rng.standard_normal((3, 50, 29)).astype(np.float32)
    addresses = [_to_device(a), _to_device(b), driver.mem_alloc(3 * 37 * 29 * 4)]
    kernel = _module("matmul", context).function("matmul_tiled")
    args = [ctypes.c_uint64(x) for x in addresses] + [37, 29, 50] + [
        ctypes.c_longlong(s) for s in (37 * 50, 50 * 29, 37 * 29)]
    start, end = driver.Event(), driver.Event()
    start.record()
    driver.launch(kernel, grid=((29 + 15) // 16, (37 + 15) // 16, 3), block=(16, 16), args=args)
    end.record()
    assert driver.elapsed_ms(start, end) >= 0
    c = driver.memcpy_dtoh(np.empty((3, 37, 29), np.float32), addresses[2])
    np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-4)
    for address in addresses:
        driver.mem_free(address)


@needs_gpu
def test_softmax_rows_match_numpy_on_the_gpu(context):
    x = np.random.default_rng(1).standard_normal((5, 300)).astype(np.float32) * 10
    x_address, y_address = _to_device(x), driver.mem_alloc(x.nbytes)
    kernel = _module("softmax", context).function("softmax_lastaxis")
    driver.launch(kernel, grid=5, block=256, shared_bytes=256 * 4,
                  args=[ctypes.c_uint64(x_address), ctypes.c_uint64(y_address), 300])
    y = driver.memcpy_dtoh(np.empty_like(x), y_address)
    expected = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(y, expected / expected.sum(axis=1, keepdims=True), rtol=1e-5)
    driver.mem_free(x_address)
    driver.mem_free(y_address)


@needs_gpu
def test_an_unknown_kernel_name_is_a_cuda_error_on_the_gpu(context):
    with pytest.raises(CudaError, match="CUDA_ERROR_NOT_FOUND"):
        _module("matmul", context).function("no_such_kernel")


@needs_gpu
def test_philox_kernel_matches_the_numpy_reference_bit_for_bit(context):
    n, seed, offset = 1001, (12345, 678), 3
    address = driver.mem_alloc(n * 4)
    kernel = _module("philox", context).function("philox_uniform")
    threads = -(-n // 4)                                      # one thread per 4 values
    driver.launch(kernel, grid=-(-threads // 128), block=128,
                  args=[ctypes.c_uint64(address), ctypes.c_longlong(n), ctypes.c_uint(seed[0]),
                        ctypes.c_uint(seed[1]), ctypes.c_ulonglong(offset), 0.0, 1.0])
    values = driver.memcpy_dtoh(np.empty(n, np.float32), address)
    np.testing.assert_array_equal(values, philox.uniform(n, seed, offset))
    driver.mem_free(address)
