"""``keras.datasets``: loaders that download once and cache in ``~/.keras/datasets``."""
from kerastutor.datasets import cifar10, mnist

__all__ = ["mnist", "cifar10"]
