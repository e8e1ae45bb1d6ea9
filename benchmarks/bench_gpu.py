"""GPU throughput of kerastutor, and the ratio to PyTorch on the same GPU.

    python benchmarks/bench_gpu.py                       # all cases, on the GPU
    python benchmarks/bench_gpu.py --quick               # fewer samples and sizes
    python benchmarks/bench_gpu.py gemm --repeats 5      # one case, more tries
    python benchmarks/bench_gpu.py --device emulated --quick   # plumbing check, no GPU

Cases:

* ``mlp``  -- MNIST MLP 784-512-512-10 (ReLU, softmax), Adam, batch 128:
  training samples per second over one epoch of 60,000 synthetic images;
* ``cnn``  -- the MNIST CNN of ``bench_training.py`` (Conv2D 32 3x3 -> MaxPool ->
  Dense 128 -> 10), Adam, batch 128, one epoch of 60,000 images;
* ``gemm`` -- ``np.matmul`` on two square float32 device arrays of size 256 to 4096,
  in GFLOP/s (a product of n x n matrices is 2 n^3 floating-point operations),
  with the largest relative error of our result against the reference.

kerastutor runs with ``keras.backend.set_device("cuda")``: training goes through
``model.fit(..., verbose=0)`` with the data on the host, as a user would call it
(each batch is copied to the GPU once). PyTorch runs the usual hand-written loop
on ``cuda`` with the whole data set already on the GPU, which is the most
favorable setting for it. Both clocks stop only after the GPU has finished
(``garray.synchronize()`` / ``torch.cuda.synchronize()``).

Matrix products: PyTorch may use TF32 tensor cores for float32 products, which
keep only 10 bits of mantissa. This script turns that off
(``torch.backends.cuda.matmul.allow_tf32 = False``, and the same for cuDNN's
convolutions) so that both libraries do true float32 arithmetic.

Under each training result a second line says how often kerastutor copied data
from the GPU back to the host per batch, and which NumPy functions had no kernel
and ran on the host (``garray.transfers``, ``garray.fallbacks``): both cost time
that a GPU-resident training step should not spend.

Each figure is the best of ``--repeats`` tries, the two libraries taking turns
(as in ``bench_training.py``). Without a GPU the script says why and exits
with status 0; without torch, or with a torch built without CUDA, it times
kerastutor alone. ``--device emulated`` runs tiny sizes through the CPU stand-in
for the GPU (every kernel replaced by its NumPy twin): the numbers mean nothing,
it only checks that the script works, and PyTorch is not run.
"""
import argparse
import collections
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import kerastutor as keras                                              # noqa: E402
import kerastutor.gpu                                                   # noqa: E402
from bench_training import (_has_layers, kerastutor_case_model,         # noqa: E402
                            torch_case_model)

MLP = dict(sizes=[784, 512, 512, 10], dropout=0.0)
CNN = dict(kind="cnn")
CASES = ["mlp", "cnn", "gemm"]
BATCH = 128
TARGETS = {"mlp": 0.5}                           # the ratio we aim for, where there is one

# How much work each setting does: training samples per epoch and GEMM sizes.
SETTINGS = {
    "full": dict(samples=60_000, sizes=[256, 512, 1024, 2048, 4096]),
    "quick": dict(samples=15_000, sizes=[256, 1024, 4096]),
    "emulated": dict(samples=512, sizes=[32, 64]),
}

# A timed GEMM measurement repeats the product until it has run at least this long,
# so that launch overhead and timer resolution do not dominate small sizes.
GEMM_MIN_SECONDS = 0.2


# ----------------------------------------------------------------------------- data

def training_data(kind, samples, seed=0):
    """Random float32 images of MNIST's shape and integer labels 0-9 (seeded)."""
    rng = np.random.default_rng(seed)
    shape = (samples, 784) if kind == "mlp" else (samples, 28, 28, 1)
    return rng.random(shape, dtype=np.float32), rng.integers(0, 10, samples)


def network(kind):
    """The case description bench_training.py's model builders take."""
    return MLP if kind == "mlp" else CNN


# ----------------------------------------------------------------------------- training

def kerastutor_training_runner(kind, samples, garray):
    """A function that trains one epoch with kerastutor and returns samples/s."""
    x, y = training_data(kind, samples)
    keras.utils.set_random_seed(0)
    model = kerastutor_case_model(network(kind))
    # Warm up: the first batches compile and load the kernels.
    model.fit(x[:BATCH * 4], y[:BATCH * 4], batch_size=BATCH, verbose=0)
    garray.synchronize()

    def run():
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        garray.synchronize()
        return len(x) / (time.perf_counter() - start)
    run.on_device = all(isinstance(getattr(weight, "value", weight), garray.DeviceArray)
                        for weight in model.weights)
    return run


def torch_training_runner(kind, samples, torch):
    """A function that trains one epoch with PyTorch on cuda and returns samples/s."""
    x, y = training_data(kind, samples)
    if kind == "cnn":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))      # torch is channels_first
    device = torch.device("cuda")
    x, y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    torch.manual_seed(0)
    model, loss_fn = torch_case_model(network(kind), torch)
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    def epoch(n):
        permutation = torch.randperm(n, device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        for start in range(0, n, BATCH):
            index = permutation[start:start + BATCH]
            optimizer.zero_grad()
            logits = model(x[index])
            loss = loss_fn(logits, y[index])
            loss.backward()
            optimizer.step()
            # Count correct answers like kerastutor's accuracy metric, but on the GPU:
            # reading it back every batch would make PyTorch wait for each step.
            correct += (logits.argmax(1) == y[index]).sum()
        return correct

    epoch(BATCH * 4)                                                  # warm up
    torch.cuda.synchronize()

    def run():
        start = time.perf_counter()
        epoch(len(x))
        torch.cuda.synchronize()
        return len(x) / (time.perf_counter() - start)
    return run


# ----------------------------------------------------------------------------- GEMM

def repeats_for(product, synchronize):
    """How many back-to-back products take at least GEMM_MIN_SECONDS (at least 3)."""
    start = time.perf_counter()
    product()
    synchronize()
    once = max(time.perf_counter() - start, 1e-6)
    return max(3, int(np.ceil(GEMM_MIN_SECONDS / once)))


def gemm_runner(product, synchronize, n):
    """A function that times repeated products and returns GFLOP/s."""
    product()                                                         # warm up
    synchronize()
    count = repeats_for(product, synchronize)

    def run():
        start = time.perf_counter()
        for _ in range(count):
            product()
        synchronize()
        seconds = (time.perf_counter() - start) / count
        return 2.0 * n ** 3 / seconds / 1e9
    return run


def gemm_case(n, garray, torch):
    """Runners for our GEMM (and torch's), and a function giving our max relative error.

    The inputs are uniform in [0, 1), so every entry of the product is positive (about
    n / 4) and the error relative to each entry is well defined.
    """
    rng = np.random.default_rng(n)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    a_device, b_device = garray.to_device(a), garray.to_device(b)
    runners = [gemm_runner(lambda: np.matmul(a_device, b_device), garray.synchronize, n)]
    if torch is not None:
        a_torch, b_torch = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
        runners.append(gemm_runner(lambda: torch.matmul(a_torch, b_torch),
                                   torch.cuda.synchronize, n))

    def max_relative_error():
        ours = garray.to_host(np.matmul(a_device, b_device)).astype(np.float64)
        if torch is not None:
            reference = torch.matmul(a_torch, b_torch).cpu().numpy().astype(np.float64)
        else:
            reference = np.matmul(a.astype(np.float64), b.astype(np.float64))
        return float(np.max(np.abs(ours - reference) / np.abs(reference)))
    return runners, max_relative_error


# ----------------------------------------------------------------------------- driver

def find_torch(device):
    """torch with working CUDA, or None and a sentence saying why not."""
    if device == "emulated":
        return None, "emulated device: the numbers only check the plumbing; PyTorch is not run"
    try:
        import torch
    except ImportError:
        return None, "torch is not installed: timing kerastutor only"
    if not torch.cuda.is_available():
        return None, (f"torch {torch.__version__} cannot use CUDA here: "
                      "timing kerastutor only")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return torch, (f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}; "
                   "TF32 off, both libraries do true float32 products")


def host_work(garray):
    """Counts of host fallbacks (functions without a kernel) and device->host copies so far."""
    counts = collections.Counter(garray.fallbacks)
    counts["download"] = garray.transfers["download"]
    return counts


def best_of(runners, repeats):
    """Each runner's best result over ``repeats`` rounds, the runners taking turns."""
    best = [0.0] * len(runners)
    for _ in range(repeats):
        for index, run in enumerate(runners):
            best[index] = max(best[index], run())
    return best


def row(name, ours, theirs, unit, note=""):
    """One line of the results table."""
    ours_text = f"{ours:12,.0f} {unit:7}"
    if theirs:
        theirs_text, ratio = f"{theirs:12,.0f} {unit:7}", f"{ours / theirs:6.2f}x"
    else:
        theirs_text, ratio = f"{'-':>12} {'':7}", f"{'-':>7}"
    return f"{name:10} {ours_text} {theirs_text} {ratio}  {note}".rstrip()


def main():
    parser = argparse.ArgumentParser(description="GPU throughput vs PyTorch on cuda")
    parser.add_argument("--quick", action="store_true", help="fewer samples and sizes")
    parser.add_argument("--device", choices=["cuda", "emulated"], default="cuda",
                        help="cuda (default), or emulated to check the script without a GPU")
    parser.add_argument("--repeats", type=int, default=3, help="tries per figure; best kept")
    parser.add_argument("cases", nargs="*", default=CASES, help=f"any of {CASES}")
    args = parser.parse_args()
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case(s) {unknown}; expected any of {CASES}")

    if args.device == "cuda":
        found, description = kerastutor.gpu.available()
        if not found:
            print(f"no GPU: {description}")
            return 0
    else:
        description = "the emulated device (NumPy stand-ins for the kernels)"
    from kerastutor.gpu import array as garray
    keras.backend.set_device(args.device)
    torch, torch_note = find_torch(args.device)
    setting = SETTINGS["emulated" if args.device == "emulated"
                       else "quick" if args.quick else "full"]

    print(f"kerastutor on {description}; numpy {np.__version__}")
    print(torch_note)
    print(f"{'case':10} {'kerastutor':>12} {'':7} {'pytorch':>12} {'':7} {'ratio':>7}")
    for name in args.cases:
        if name in ("mlp", "cnn"):
            if name == "cnn" and not _has_layers(CNN):
                print(f"{name:10} skipped: this kerastutor has no convolution layers yet")
                continue
            runners = [kerastutor_training_runner(name, setting["samples"], garray)]
            if torch is not None:
                runners.append(torch_training_runner(name, setting["samples"], torch))
            host_work_before = host_work(garray)
            best = best_of(runners, args.repeats)
            left_device = host_work(garray) - host_work_before
            target = f"target >= {TARGETS[name]}x" if name in TARGETS else ""
            print(row(name, best[0], best[1] if torch else None, "s/s", target), flush=True)
            if not runners[0].on_device:
                print(f"{'':10} (the model's weights are not on the device: "
                      "this kerastutor trained on the CPU)")
            batches = args.repeats * -(-setting["samples"] // BATCH)
            downloads = left_device.pop("download", 0)
            print(f"{'':10} (kerastutor: {downloads / batches:.1f} device-to-host copies "
                  f"per batch; functions run on the host: {dict(left_device) or 'none'})")
        else:
            for n in setting["sizes"]:
                runners, max_relative_error = gemm_case(n, garray, torch)
                best = best_of(runners, args.repeats)
                reference = "torch" if torch else "float64 NumPy"
                note = f"max rel. error vs {reference}: {max_relative_error():.1e}"
                print(row(f"gemm {n}", best[0], best[1] if torch else None, "GFLOP/s", note),
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
