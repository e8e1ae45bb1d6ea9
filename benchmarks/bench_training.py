"""Training throughput (samples/s) of kerastutor, and the ratio to PyTorch on this machine.

    python benchmarks/bench_training.py            # all cases
    python benchmarks/bench_training.py --quick    # shorter runs

Cases (the networks of lessons 1 and 2, trained with Adam and crossentropy):

* ``iris``  -- 4-4-3, batch 32
* ``mlp32`` -- 784-512-512-10 (ReLU, dropout 0.2), batch 32
* ``mlp128``-- the same, batch 128
* ``cnn``   -- lesson 3's Conv2D(32, 3x3) -> MaxPool -> Dense 128 -> 10, batch 128
* ``cifar`` -- lesson 4's three-conv network on 32x32x3 images, batch 64
* ``lstm``  -- lesson 5's LSTM(50) -> Dense(1) on 20 steps, batch 32
* ``mlp-predict``, ``mlp-evaluate``, ``cnn-predict`` -- inference with the MLP
  (batch 128) and the CNN: ``model.predict``/``model.evaluate`` against PyTorch's
  loop under ``torch.no_grad()`` (``model.eval()``, softmax outputs gathered for
  predict; loss and accuracy for evaluate)

kerastutor is timed through ``model.fit`` (the real loop, progress bar off);
PyTorch through the usual hand-written loop (zero_grad, forward, loss,
backward, step) with the same shapes, optimizer and batch size. Both use
every core of the machine. Each figure is the best of ``--repeats`` epochs, the two
libraries taking turns so that a drifting machine load hits both alike.
When torch is not installed only kerastutor's numbers are printed.

With the ``fast`` extra installed (Numba), kerastutor runs its compiled kernels
(:mod:`kerastutor.compiled`: Adam's update, the CNNs' ReLU, pooling and col2im
passes); the first line says whether they are on, and ``--no-compiled``
measures the NumPy code instead.

On this project's machines OPENBLAS_CORETYPE may be set for old OpenBLAS
builds; it slows a current NumPy. Compare with it unset, e.g.
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_training.py``.
"""
import argparse
import time

import numpy as np

import kerastutor as keras
from kerastutor import compiled

CASES = {
    "iris": dict(sizes=[4, 4, 3], dropout=0.0, batch=32, samples=4096),
    "mlp32": dict(sizes=[784, 512, 512, 10], dropout=0.2, batch=32, samples=8192),
    "mlp128": dict(sizes=[784, 512, 512, 10], dropout=0.2, batch=128, samples=16384),
    # lesson 3's CNN and lesson 5's LSTM (need the conv/pool/recurrent layers)
    "cnn": dict(kind="cnn", batch=128, samples=2048),
    "cifar": dict(kind="cifar", batch=64, samples=1024),
    "lstm": dict(kind="lstm", batch=32, samples=2048),
    # inference: kerastutor's predict/evaluate against PyTorch under torch.no_grad()
    "mlp-predict": dict(sizes=[784, 512, 512, 10], dropout=0.2, batch=128, samples=16384,
                        mode="predict"),
    "mlp-evaluate": dict(sizes=[784, 512, 512, 10], dropout=0.2, batch=128, samples=16384,
                         mode="evaluate"),
    "cnn-predict": dict(kind="cnn", batch=128, samples=4096, mode="predict"),
}


def make_data(sizes, samples, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((samples, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], samples)
    return x, y


def kerastutor_model(sizes, dropout):
    model = keras.Sequential([keras.Input((sizes[0],))])
    for units in sizes[1:-1]:
        model.add(keras.layers.Dense(units, activation="relu"))
        if dropout:
            model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(sizes[-1], activation="softmax"))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def make_case_data(case):
    rng = np.random.default_rng(0)
    if case.get("kind") == "cnn":
        return (rng.random((case["samples"], 28, 28, 1), dtype=np.float32),
                rng.integers(0, 10, case["samples"]))
    if case.get("kind") == "cifar":
        return (rng.random((case["samples"], 32, 32, 3), dtype=np.float32),
                rng.integers(0, 10, case["samples"]))
    if case.get("kind") == "lstm":
        return (rng.random((case["samples"], 20, 1), dtype=np.float32),
                rng.random((case["samples"], 1), dtype=np.float32))
    return make_data(case["sizes"], case["samples"])


def kerastutor_case_model(case):
    layers = keras.layers
    if case.get("kind") == "cnn":
        model = keras.Sequential([keras.Input((28, 28, 1)),
                                  layers.Conv2D(32, (3, 3), activation="relu"),
                                  layers.MaxPooling2D((2, 2)), layers.Flatten(),
                                  layers.Dense(128, activation="relu"),
                                  layers.Dense(10, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model
    if case.get("kind") == "cifar":
        model = keras.Sequential([keras.Input((32, 32, 3)),
                                  layers.Conv2D(32, (3, 3), activation="relu"),
                                  layers.MaxPooling2D((2, 2)),
                                  layers.Conv2D(64, (3, 3), activation="relu"),
                                  layers.MaxPooling2D((2, 2)),
                                  layers.Conv2D(64, (3, 3), activation="relu"),
                                  layers.Flatten(), layers.Dense(64, activation="relu"),
                                  layers.Dense(10)])
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        return model
    if case.get("kind") == "lstm":
        model = keras.Sequential([keras.Input((20, 1)), layers.LSTM(50), layers.Dense(1)])
        model.compile("adam", "mse")
        return model
    return kerastutor_model(case["sizes"], case["dropout"])


def kerastutor_runner(case):
    """A function that trains one epoch with kerastutor and returns samples/s."""
    x, y = make_case_data(case)
    model = kerastutor_case_model(case)
    model.fit(x[:case["batch"] * 4], y[:case["batch"] * 4], batch_size=case["batch"],
              verbose=0)                                              # warm up

    mode = case.get("mode", "fit")

    def run():
        start = time.perf_counter()
        if mode == "predict":
            model.predict(x, batch_size=case["batch"], verbose=0)
        elif mode == "evaluate":
            model.evaluate(x, y, batch_size=case["batch"], verbose=0)
        else:
            model.fit(x, y, batch_size=case["batch"], epochs=1, verbose=0)
        return len(x) / (time.perf_counter() - start)
    return run


class _TorchLSTM:
    """LSTM(50) on the last step, then a linear layer (built lazily to keep torch optional)."""

    @staticmethod
    def build(torch):
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = torch.nn.LSTM(1, 50, batch_first=True)
                self.out = torch.nn.Linear(50, 1)

            def forward(self, x):
                return self.out(self.lstm(x)[0][:, -1])
        return Net()


def torch_case_model(case, torch):
    if case.get("kind") == "cnn":
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(32 * 13 * 13, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 10)), torch.nn.CrossEntropyLoss()
    if case.get("kind") == "cifar":
        nn = torch.nn
        return nn.Sequential(
            nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(),
            nn.Linear(64 * 4 * 4, 64), nn.ReLU(), nn.Linear(64, 10)), nn.CrossEntropyLoss()
    if case.get("kind") == "lstm":
        return _TorchLSTM.build(torch), torch.nn.MSELoss()
    modules = []
    sizes = case["sizes"]
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        modules += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
        if case["dropout"]:
            modules.append(torch.nn.Dropout(case["dropout"]))
    modules.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    return torch.nn.Sequential(*modules), torch.nn.CrossEntropyLoss()


def torch_runner(case):
    """A function that trains one epoch with PyTorch and returns samples/s."""
    import torch
    x, y = make_case_data(case)
    if case.get("kind") in ("cnn", "cifar"):
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))      # torch is channels_first
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model, loss_fn = torch_case_model(case, torch)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    batch = case["batch"]

    def epoch(n):
        permutation = torch.randperm(n)
        correct = 0
        for start in range(0, n, batch):
            index = permutation[start:start + batch]
            optimizer.zero_grad()
            logits = model(x[index])
            loss = loss_fn(logits, y[index])
            loss.backward()
            optimizer.step()
            if case.get("kind") != "lstm":                              # like the accuracy metric
                correct += (logits.argmax(1) == y[index]).sum().item()
        return correct

    def inference(n):
        """predict (the outputs, gathered) or evaluate (the loss and accuracy)."""
        model.eval()                                # dropout off, as in Keras's predict
        outputs, loss_sum, correct = [], 0.0, 0
        with torch.no_grad():
            for start in range(0, n, batch):
                logits = model(x[start:start + batch])
                if case["mode"] == "predict":
                    outputs.append(torch.softmax(logits, 1).numpy())
                else:
                    loss_sum += loss_fn(logits, y[start:start + batch]).item()
                    correct += (logits.argmax(1) == y[start:start + batch]).sum().item()
        model.train()
        return np.concatenate(outputs) if outputs else (loss_sum, correct)

    step = inference if case.get("mode") in ("predict", "evaluate") else epoch
    step(batch * 4)                                                   # warm up

    def run():
        start = time.perf_counter()
        step(len(x))
        return len(x) / (time.perf_counter() - start)
    return run


def _has_layers(case):
    needed = {"cnn": ("Conv2D", "MaxPooling2D"), "cifar": ("Conv2D", "MaxPooling2D"),
              "lstm": ("LSTM",)}[case["kind"]]
    return all(hasattr(keras.layers, name) for name in needed)


def _compiled_state():
    if compiled.is_enabled():
        import numba
        return f"on (numba {numba.__version__})"
    return "off" if compiled.is_available() else "off (the fast extra is not installed)"


def main():
    parser = argparse.ArgumentParser(description="training throughput vs PyTorch")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-compiled", action="store_true",
                        help="run kerastutor's NumPy code even where the fast extra "
                             "(Numba) is installed")
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    if args.no_compiled:
        compiled.disable()
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch = None
        torch_version = None
    print(f"numpy {np.__version__}; torch {torch_version or 'not installed'}; "
          f"kerastutor's compiled kernels: {_compiled_state()}")
    print(f"{'case':12} {'kerastutor':>14} {'pytorch':>14} {'ratio':>7}")
    for name in args.cases:
        case = dict(CASES[name])
        if case.get("kind") and not _has_layers(case):
            print(f"{name:12} skipped: this kerastutor has no {case['kind']} layers yet")
            continue
        if args.quick:
            case["samples"] //= 4
        # The two take turns, and each keeps its best epoch: a machine whose load
        # drifts during the run then slows both alike, not whichever ran second.
        runners = [kerastutor_runner(case)] + ([torch_runner(case)] if torch else [])
        best = [0.0] * len(runners)
        for _ in range(args.repeats):
            for index, run in enumerate(runners):
                best[index] = max(best[index], run())
        ours, theirs = best[0], (best[1] if torch is not None else None)
        ratio = f"{ours / theirs:6.2f}x" if theirs else "    -"
        theirs_text = f"{theirs:10.0f} s/s" if theirs else f"{'-':>14}"
        print(f"{name:12} {ours:10.0f} s/s {theirs_text} {ratio}", flush=True)


if __name__ == "__main__":
    main()
