"""Small helpers shared by the test modules."""
import numpy as np


def random_array(seed, shape, scale=1.0, shift=0.0):
    """Seeded float64 normal samples: float64 keeps the gradient checks sharp."""
    return np.random.default_rng(seed).normal(loc=shift, scale=scale, size=shape)
