"""The road to real Keras, end to end: a lesson model goes to Keras, trains there, comes back.

1. kerastutor trains lesson 3's CNN for an epoch and saves ``cnn.keras``;
2. Keras 3.15.1 (torch backend, this process) loads it, predicts the same, and its next
   epoch gives the loss ours gives;
3. Keras on **JAX** with ``keras.distribution.DataParallel`` over two (emulated CPU)
   devices -- the distribution API a learner meets when one machine is not enough --
   loads our file in a child process, trains two more epochs and saves it. (Not the
   file Keras saved on torch: Keras 3.15.1 writes its optimizer as
   ``keras.src.backend.torch.optimizers.torch_adam.Adam``, which cannot train on JAX --
   ``TypeError: expected Tensor as element 0 in argument 0, but got ArrayImpl`` --
   while kerastutor writes the portable ``keras.optimizers`` name);
4. kerastutor loads that file: the same predictions as Keras, and it trains on.

Run with KERASTUTOR_ORACLE=1 (``tox -e keras``; it installs jax for step 3).
"""
import json
import os
import subprocess
import sys
import textwrap

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402

RNG = np.random.default_rng(3)
X = RNG.random((64, 8, 8, 1)).astype("float32")
Y = (X[:, :4].mean(axis=(1, 2, 3)) > X[:, 4:].mean(axis=(1, 2, 3))).astype("int64")


def lesson_cnn(lib):
    """Lesson 3's model, at the stand-in's 8x8 size."""
    return lib.Sequential([
        lib.Input((8, 8, 1)),
        lib.layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
        lib.layers.MaxPooling2D(pool_size=(2, 2)),
        lib.layers.Flatten(),
        lib.layers.Dense(16, activation="relu"),
        lib.layers.Dense(2, activation="softmax"),
    ])


def fit_one_epoch(model):
    return model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0).history["loss"][0]


JAX_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras
    path_in, path_out, data = sys.argv[1], sys.argv[2], np.load(sys.argv[3])
    devices = keras.distribution.list_devices()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    model = keras.saving.load_model(path_in)
    history = model.fit(data["x"], data["y"], batch_size=16, epochs=2, shuffle=False, verbose=0)
    model.save(path_out)
    print(json.dumps({"devices": devices, "loss": history.history["loss"]}))
""")


def train_with_jax_data_parallel(path_in, path_out, tmp_path):
    np.savez(tmp_path / "data.npz", x=X, y=Y)
    env = dict(os.environ, KERAS_BACKEND="jax",
               XLA_FLAGS="--xla_force_host_platform_device_count=2")
    run = subprocess.run([sys.executable, "-c", JAX_SCRIPT, str(path_in), str(path_out),
                          str(tmp_path / "data.npz")], env=env, capture_output=True,
                         text=True, timeout=600)
    if run.returncode != 0:
        if "No module named 'jax'" in run.stderr:
            pytest.skip("Keras's JAX backend needs jax, which is not installed here")
        raise AssertionError(f"the Keras JAX run failed:\n{run.stderr[-3000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_a_lesson_model_trains_in_real_keras_and_comes_back(tmp_path):
    kerastutor.utils.set_random_seed(0)
    ours = lesson_cnn(kerastutor)
    ours.compile(kerastutor.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                 metrics=["accuracy"])
    fit_one_epoch(ours)
    ours.save(tmp_path / "cnn.keras")

    theirs = keras.saving.load_model(tmp_path / "cnn.keras")                 # step 2
    np.testing.assert_allclose(theirs.predict(X, verbose=0), ours.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert fit_one_epoch(theirs) == pytest.approx(fit_one_epoch(ours), rel=1e-4)
    ours.save(tmp_path / "cnn.keras")                 # after the same 2 epochs as Keras's

    report = train_with_jax_data_parallel(tmp_path / "cnn.keras",            # step 3
                                          tmp_path / "cnn_jax.keras", tmp_path)
    assert report["devices"] == ["cpu:0", "cpu:1"]
    assert len(report["loss"]) == 2 and all(np.isfinite(report["loss"]))

    back = kerastutor.models.load_model(tmp_path / "cnn_jax.keras")          # step 4
    from_jax = keras.saving.load_model(tmp_path / "cnn_jax.keras")
    np.testing.assert_allclose(back.predict(X, verbose=0), from_jax.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert fit_one_epoch(back) == pytest.approx(fit_one_epoch(from_jax), rel=1e-4)
    assert int(back.optimizer.iterations) == 4 * 4 + 4   # 4 epochs of 4 steps, then one more
