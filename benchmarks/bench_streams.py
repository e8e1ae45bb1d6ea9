"""Streaming fit vs array fit: samples/s of the MNIST-sized MLP on a PyDataset.

    python benchmarks/bench_streams.py            # 5 rounds
    python benchmarks/bench_streams.py --quick    # 2 rounds

The model is 784-64-64-10 (ReLU, softmax, Adam, sparse crossentropy), batch
32, on 8,192 random samples. The same epoch is timed three ways, taking
turns round by round (a shared machine's load then hits all alike), each
keeping its best:

* ``arrays``    -- ``fit(x, y, batch_size=32)``;
* ``pydataset`` -- ``fit(dataset)``, batches sliced in ``__getitem__``, inline;
* ``workers=2`` -- the same dataset read ahead by two threads.

The figure that matters is the ratio streaming / arrays (target >= 0.9x):
what a stream adds is the per-batch checks (``prepare_data``) and, with
workers, handing batches between threads.
"""
import argparse
import time

import numpy as np

import kerastutor as keras

SAMPLES, BATCH = 8192, 32


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index):
        part = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return self.x[part], self.y[part]


def model():
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((784,)), keras.layers.Dense(64, activation="relu"),
                            keras.layers.Dense(64, activation="relu"),
                            keras.layers.Dense(10, activation="softmax")])
    net.compile("adam", "sparse_categorical_crossentropy")
    return net


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((SAMPLES, 784), dtype=np.float32)
    y = rng.integers(0, 10, SAMPLES)
    cases = {
        "arrays": (model(), lambda m: m.fit(x, y, batch_size=BATCH, verbose=0)),
        "pydataset": (model(), lambda m: m.fit(Batches(x, y, BATCH), verbose=0)),
        "workers=2": (model(), lambda m: m.fit(Batches(x, y, BATCH, workers=2), verbose=0)),
    }
    best = dict.fromkeys(cases, 0.0)
    for case, (net, run) in cases.items():
        run(net)                                   # warm-up: builds, first allocations
    for _ in range(2 if args.quick else 5):
        for case, (net, run) in cases.items():
            start = time.perf_counter()
            run(net)
            best[case] = max(best[case], SAMPLES / (time.perf_counter() - start))
    for case, speed in best.items():
        print(f"{case:10s} {speed:9.0f} samples/s   {speed / best['arrays']:.2f}x arrays")


if __name__ == "__main__":
    main()
