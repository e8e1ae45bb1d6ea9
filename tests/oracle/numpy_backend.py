"""Keras's NumPy backend in a child process: the oracle for random numbers.

Keras's torch backend draws from torch's generator, which kerastutor cannot
reproduce; its NumPy backend draws ``np.random.default_rng([seed, counter])``
exactly as :mod:`kerastutor.random` does. One process cannot hold two Keras
backends, so the NumPy one runs as a child (it imports jax, which the ``keras``
tox env installs). The random-layer oracles call :func:`layer_outputs`.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest


def run_numpy_backend(script, payload):
    """Run ``script`` with ``KERAS_BACKEND=numpy`` on ``payload`` (JSON in ``sys.argv[1]``);
    return the JSON of its last printed line."""
    env = dict(os.environ, KERAS_BACKEND="numpy")
    run = subprocess.run([sys.executable, "-c", script, json.dumps(payload)], env=env,
                         capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        if "No module named 'jax'" in run.stderr:
            pytest.skip("Keras's NumPy backend needs jax, which is not installed here")
        raise AssertionError(f"the Keras NumPy-backend run failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


LAYER_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras as lib
    out = []
    for case in json.loads(sys.argv[1]):
        x = np.asarray(case["x"], dtype=case["dtype"])
        lib.utils.set_random_seed(case["global_seed"])
        layer = eval(case["layer"])
        out.append([np.asarray(layer(x, training=True)).tolist()
                    for _ in range(case["calls"])])
    print(json.dumps(out))
""")


def layer_case(layer, x, calls=2, global_seed=11):
    """One layer to compare: ``layer`` is an expression in ``lib`` (keras or kerastutor)."""
    x = np.asarray(x)
    return {"layer": layer, "x": x.tolist(), "dtype": str(x.dtype), "calls": calls,
            "global_seed": global_seed}


def layer_outputs(cases):
    """Keras's outputs (NumPy backend) for each case: one array per call, stacked."""
    return [np.asarray(outputs) for outputs in run_numpy_backend(LAYER_SCRIPT, cases)]


def our_outputs(case):
    """The same calls with kerastutor, after the same ``set_random_seed``."""
    import kerastutor
    x = np.asarray(case["x"], dtype=case["dtype"])
    kerastutor.utils.set_random_seed(case["global_seed"])
    layer = eval(case["layer"], {"lib": kerastutor, "np": np})
    return np.stack([np.asarray(layer(x, training=True)) for _ in range(case["calls"])])
