"""Shared test settings: a hypothesis profile for CI, fresh names per test."""
import os
import sys

import pytest
from hypothesis import HealthCheck, settings

# The op cases of tests/ops/ are compared with Keras by tests/oracle/ too: importable by name.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "ops"))

# tests/oracle compares with real Keras; only the `keras` tox env installs it.
collect_ignore_glob = [] if os.environ.get("KERASTUTOR_ORACLE") else ["oracle/*"]

settings.register_profile("ci", deadline=None, max_examples=25, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=15)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _fresh_session(monkeypatch):
    """Names reset, float32, a fixed seed, and an 80-column 'terminal' (summary width)."""
    monkeypatch.setenv("COLUMNS", "80")
    from kerastutor import backend
    backend.clear_session()
    backend.set_floatx("float32")
    backend.set_random_seed(1234)
    yield


# -- the suite through the GPU path ---------------------------------------------------------
# `KERASTUTOR_DEVICE=cuda pytest` (or `=emulated` on a machine without a GPU) runs every test
# with weights and batches as DeviceArrays. The summary then lists which NumPy functions
# had no kernel and ran on the host, so the next kernel to write is the most used one.

def pytest_report_header(config):
    from kerastutor import backend
    return f"kerastutor device: {backend.get_device()}"


def pytest_terminal_summary(terminalreporter):
    from kerastutor import backend
    if os.environ.get("KERASTUTOR_DEVICE", "cpu") == "cpu":
        return
    from kerastutor.gpu import array
    write = terminalreporter.write_line
    write(f"device {backend.get_device()}: transfers {dict(array.transfers)}")
    write("functions that ran on the host (no kernel yet), most used first:")
    for name, count in array.fallbacks.most_common():
        write(f"  {count:8d}  np.{name}")
