"""``python -m kerastutor.gpu``: what this machine offers the GPU path, and what is missing.

The doctor asks each layer of :mod:`kerastutor.gpu` in turn, from the bottom up,
and prints one answer per line:

1. **the CUDA driver** (:mod:`.driver`) -- the file it was loaded from, the CUDA
   version it supports (``cuDriverGetVersion``), then each GPU: name, compute
   capability, memory (``cuDeviceTotalMem``) and multiprocessors;
2. **NVRTC** (:mod:`.nvrtc`) -- its file and CUDA version;
3. **the kernels** -- every ``kernels/*.cu`` compiled to PTX for the GPU found (for
   an H100, ``compute_90``, when there is none), with the number of entry points
   NVRTC produced, or the compiler's log when one does not compile;
4. **the emulated device** -- a small computation on the kernels' NumPy twins
   (:mod:`.emulator`), compared with NumPy.

The last line is the verdict: ``set_device("cuda")`` works here, or what is missing
and that ``set_device("emulated")`` runs the same code path on the CPU. The exit
status is 0 when the GPU can be used and every kernel compiles, else 1.
"""
import re
import sys
import textwrap

import numpy as np

from . import array, available, driver, kernel_names, kernel_source, nvrtc
from .emulator import EmulatedRuntime
from .errors import GpuError, NvrtcError

CHECKED_WITHOUT_A_GPU = (9, 0)      # the kernels are checked for an H100 when no GPU is found


def cuda_version(number):
    """The driver's version number as CUDA writes it: ``12040`` -> ``"12.4"``."""
    return f"{number // 1000}.{number % 1000 // 10}"


def gpus():
    """``[(ordinal, name, (major, minor), memory_bytes, multiprocessors)]``, one per GPU."""
    found = []
    for ordinal in range(driver.device_count()):
        dev = driver.device(ordinal)
        found.append((ordinal, driver.device_name(dev), driver.compute_capability(dev),
                      driver.total_memory(dev), driver.multiprocessor_count(dev)))
    return found


def driver_report():
    """The driver's lines, and the capability of the first GPU (None without one)."""
    try:
        lines = [f"CUDA driver  {driver.library_path()} (CUDA "
                 f"{cuda_version(driver.driver_version())})"]
        devices = gpus()
    except GpuError as error:
        return ["CUDA driver  missing:", textwrap.indent(str(error), "    ")], None
    lines += [f"GPU {ordinal}        {name}, compute {major}.{minor}, {memory / 2 ** 30:.1f} GiB, "
              f"{multiprocessors} multiprocessors"
              for ordinal, name, (major, minor), memory, multiprocessors in devices]
    if not devices:
        lines.append("GPUs         none: the driver is installed but reports no GPU")
    return lines, devices[0][2] if devices else None


def kernel_report(capability):
    """One line per kernel file compiled for ``capability``, and whether all compiled."""
    arch = nvrtc.arch_for(capability or CHECKED_WITHOUT_A_GPU)
    lines = [f"kernels      compiled to PTX for {arch}"
             + ("" if capability else " (no GPU found: checked for an H100)")]
    all_compiled = True
    for name in kernel_names():
        try:
            ptx, log = nvrtc.compile_source(kernel_source(name), f"{name}.cu", arch)
        except NvrtcError as error:
            all_compiled = False
            lines.append(f"  {name + '.cu':<18} FAILS: {error.name}")
            lines.append(textwrap.indent(error.log.strip(), "      "))
            continue
        entries = len(re.findall(rb"\.visible \.entry ", ptx))
        lines.append(f"  {name + '.cu':<18} ok, {entries} kernel{'s' if entries != 1 else ''}"
                     + (f"; warnings:\n{textwrap.indent(log.strip(), '      ')}" if log else ""))
    return lines, all_compiled


def nvrtc_report(capability):
    """NVRTC's line and the kernels' lines, and whether every kernel compiled."""
    try:
        major, minor = nvrtc.version()
        line = f"NVRTC        {nvrtc.library_path()} (CUDA {major}.{minor})"
    except GpuError as error:
        return ["NVRTC        missing:", textwrap.indent(str(error), "    "),
                "kernels      not compiled (that needs NVRTC)"], False
    lines, all_compiled = kernel_report(capability)
    return [line] + lines, all_compiled


def emulated_works():
    """Whether ``sum(tanh(x @ x.T), axis=0)`` on the emulated device matches NumPy."""
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 6
    previous = array.use_runtime(EmulatedRuntime())
    try:
        on_device = array.to_device(x)
        result = array.to_host(np.sum(np.tanh(on_device @ on_device.T), axis=0))
    finally:
        array.use_runtime(previous)
    return np.allclose(result, np.sum(np.tanh(x @ x.T), axis=0), rtol=1e-6)


def verdict(gpu_ok, reason, kernels_ok, emulated_ok):
    """The last line: what works, and what to do."""
    emulated = ("the emulated device works: keras.backend.set_device('emulated') (or "
                "KERASTUTOR_DEVICE=emulated) runs the same code path with each kernel's "
                "NumPy twin" if emulated_ok else "the emulated device FAILS too (a bug: "
                "please report it)")
    if gpu_ok and kernels_ok:
        return (f"verdict      the GPU path works here on {reason}: "
                f"keras.backend.set_device('cuda') (or KERASTUTOR_DEVICE=cuda); {emulated}")
    # the reason's first line names what is missing; the lines above say where we looked
    missing = reason.splitlines()[0].removesuffix("; tried:") if not gpu_ok \
        else "a kernel does not compile (see above)"
    return f"verdict      no GPU path here -- {missing}.\n             {emulated}."


def report():
    """The doctor's lines, and whether the GPU can be used with every kernel."""
    driver_lines, capability = driver_report()
    nvrtc_lines, kernels_ok = nvrtc_report(capability)
    emulated_ok = emulated_works()
    gpu_ok, reason = available()
    lines = ["kerastutor.gpu doctor", *driver_lines, *nvrtc_lines,
             f"emulated     {'works' if emulated_ok else 'FAILS'} (NumPy twins of the kernels)",
             verdict(gpu_ok, reason, kernels_ok, emulated_ok)]
    return lines, gpu_ok and kernels_ok


def main():
    lines, ok = report()
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
