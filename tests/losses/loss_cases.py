"""Shared by the loss tests: a few golden inputs, sample weights and points away from kinks.

The golden inputs are Keras's own (``losses_test.py``); every gradient test draws its case
with ``strategies.LOSS_CASES`` and keeps away from kinks and clip boundaries, where a
finite difference is not a derivative.
"""
import numpy as np

F = np.float32

MSE_TRUE = np.array([[1, 9, 2], [-5, -2, 6]], F)
MSE_PRED = np.array([[4, 8, 12], [8, 1, 3]], F)
CCE_PROBS = np.array([[0.9, 0.05, 0.05], [0.5, 0.89, 0.6], [0.05, 0.01, 0.94]], F)
CCE_LOGITS = np.array([[8, 1, 1], [0, 9, 1], [2, 3, 5]], F)


def weights_for(rng, batch, weighted):
    """One sample weight per sample in [0.5, 2], or None."""
    return rng.uniform(0.5, 2.0, batch) if weighted else None


def away_from(rng, shape, kink, gap, spread=2.0):
    """Offsets from ``kink`` at least ``gap`` away, on either side."""
    size = rng.uniform(gap, spread, shape)
    return kink + np.where(rng.random(shape) < 0.5, -size, size)
