"""The stored ``keras.ops`` name lists (tests/keras_ops_names.py) are Keras 3.15.1's own."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import pytest  # noqa: E402

import keras_ops_names  # noqa: E402


def _callables(namespace):
    return sorted(n for n in dir(namespace) if not n.startswith("_")
                  and callable(getattr(namespace, n)))


@pytest.mark.parametrize("path, stored", [
    ("", keras_ops_names.TOP_LEVEL), ("numpy", keras_ops_names.NUMPY),
    ("nn", keras_ops_names.NN), ("linalg", keras_ops_names.LINALG),
    ("image", keras_ops_names.IMAGE)])
def test_stored_names_are_keras_names(path, stored):
    namespace = getattr(keras.ops, path) if path else keras.ops
    assert keras.__version__ == "3.15.1"
    assert _callables(namespace) == sorted(stored)
