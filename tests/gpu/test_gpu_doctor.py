"""``python -m kerastutor.gpu``, the doctor: each layer's answer, and a verdict that says
what to do. Without a GPU the driver's part is checked with stand-ins; the kernels
are compiled for real wherever NVRTC is installed."""
import subprocess
import sys

import pytest

import kerastutor.gpu as gpu
from kerastutor.gpu import __main__ as doctor
from kerastutor.gpu import array, driver, nvrtc
from kerastutor.gpu.errors import LibraryNotFound
from test_gpu_kernels import GPU_OK, NVRTC_VERSION, NO_NVRTC_REASON, kernel_functions

needs_nvrtc = pytest.mark.skipif(NVRTC_VERSION is None, reason=NO_NVRTC_REASON)


@pytest.fixture
def stand_in_h100(monkeypatch):
    """The driver calls answer as one H100 would."""
    answers = {"library_path": lambda: "/stand/in/libcuda.so.1",
               "driver_version": lambda: 12040, "device_count": lambda: 1,
               "device": lambda ordinal=0: ordinal, "device_name": lambda dev: "Stand-in H100",
               "compute_capability": lambda dev: (9, 0),
               "total_memory": lambda dev: 80 * 2 ** 30,
               "multiprocessor_count": lambda dev: 132}
    for name, answer in answers.items():
        monkeypatch.setattr(driver, name, answer)


def test_the_driver_version_reads_as_cuda_writes_it():
    assert doctor.cuda_version(12040) == "12.4"
    assert doctor.cuda_version(13000) == "13.0"


def test_each_gpu_is_listed_with_its_name_capability_memory_and_multiprocessors(stand_in_h100):
    lines, capability = doctor.driver_report()
    assert lines == ["CUDA driver  /stand/in/libcuda.so.1 (CUDA 12.4)",
                     "GPU 0        Stand-in H100, compute 9.0, 80.0 GiB, 132 multiprocessors"]
    assert capability == (9, 0)


def test_a_driver_without_a_gpu_is_reported(stand_in_h100, monkeypatch):
    monkeypatch.setattr(driver, "device_count", lambda: 0)
    lines, capability = doctor.driver_report()
    assert lines[-1].endswith("the driver is installed but reports no GPU")
    assert capability is None


def test_a_missing_driver_is_reported_with_every_place_tried(monkeypatch):
    def no_driver():
        raise LibraryNotFound("the CUDA driver (libcuda.so.1)", [("libcuda.so.1", "not found")])
    monkeypatch.setattr(driver, "library_path", no_driver)
    lines, capability = doctor.driver_report()
    assert lines[0] == "CUDA driver  missing:" and "libcuda.so.1: not found" in lines[1]
    assert capability is None


def test_a_missing_nvrtc_is_reported_and_no_kernel_is_compiled(monkeypatch):
    def no_nvrtc():
        raise LibraryNotFound("NVRTC", [("libnvrtc.so.12", "not found")],
                              hint="pip install nvidia-cuda-nvrtc-cu12")
    monkeypatch.setattr(nvrtc, "version", no_nvrtc)
    lines, all_compiled = doctor.nvrtc_report((9, 0))
    assert lines[0] == "NVRTC        missing:" and "pip install nvidia-cuda-nvrtc-cu12" in lines[1]
    assert lines[-1] == "kernels      not compiled (that needs NVRTC)" and not all_compiled


@needs_nvrtc
def test_every_kernel_file_is_compiled_and_its_kernels_counted():
    lines, all_compiled = doctor.nvrtc_report(None)
    assert all_compiled
    assert lines[1] == "kernels      compiled to PTX for compute_90 (no GPU found: checked for an H100)"
    for name, line in zip(gpu.kernel_names(), lines[2:]):
        count = len(kernel_functions(gpu.kernel_source(name)))
        assert line.split() == [f"{name}.cu", "ok,", str(count), "kernels" if count > 1 else "kernel"]


@needs_nvrtc
def test_a_kernel_that_does_not_compile_shows_the_compiler_log(monkeypatch):
    monkeypatch.setattr(doctor, "kernel_names", lambda: ["broken"])
    monkeypatch.setattr(doctor, "kernel_source", lambda name: 'extern "C" __global__ void k() { x; }')
    lines, all_compiled = doctor.kernel_report((9, 0))
    assert not all_compiled
    assert lines[1].split()[:2] == ["broken.cu", "FAILS:"] and "identifier" in lines[2]


def test_the_emulated_check_puts_the_previous_runtime_back():
    before = array.use_runtime("the runtime in use")
    try:
        assert doctor.emulated_works()
        assert array.current_runtime() == "the runtime in use"
    finally:
        array.use_runtime(before)


def test_the_verdict_says_what_to_call():
    works = doctor.verdict(True, "Stand-in H100 (compute 9.0)", True, True)
    assert "works here on Stand-in H100" in works and "set_device('cuda')" in works
    missing = doctor.verdict(False, "no usable CUDA GPU: no driver\n  tried: here", True, True)
    assert "no GPU path here -- no usable CUDA GPU: no driver." in missing
    assert "set_device('emulated')" in missing and "tried" not in missing
    assert "kernel does not compile" in doctor.verdict(True, "Stand-in H100", False, True)


@pytest.mark.skipif(GPU_OK, reason="this checks the report of a machine without a GPU")
def test_python_m_kerastutor_gpu_without_a_gpu_says_what_is_missing():
    run = subprocess.run([sys.executable, "-m", "kerastutor.gpu"], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    out = run.stdout
    assert out.startswith("kerastutor.gpu doctor\n")
    assert "no GPU path here" in out and "emulated     works" in out
    assert "set_device('emulated')" in out
    if NVRTC_VERSION is not None:
        assert all(f"{name}.cu" in out for name in gpu.kernel_names())


@pytest.mark.skipif(not GPU_OK, reason="needs a CUDA GPU")
def test_on_a_gpu_the_doctor_finds_it_and_every_kernel_compiles():
    lines, ok = doctor.report()
    assert ok, "\n".join(lines)
    assert any(line.startswith("GPU 0 ") for line in lines)
    assert "the GPU path works here" in lines[-1]
