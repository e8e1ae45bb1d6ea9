"""Running the library's own layers on a learner's arrays: the graders' oracle.

An exercise gives the learner plain arrays (``x``, ``W``, ``b``, ...). To compute
what the library computes for them, the solution builds the library's layer,
puts those arrays in as its weights (float64, so the grading is exact to about
1e-15), runs ``forward`` and ``backward``, and reads the weight gradients back.
"""
import numpy as np


def with_weights(layer, input_shape, **values):
    """Build ``layer`` for ``input_shape`` and set its weights by attribute name.

    ``with_weights(Dense(4), (None, 3), kernel=W, bias=b)``. Every weight of the
    layer gets a zeroed gradient buffer, so the gradients read after one
    ``backward`` are that backward's alone.
    """
    layer.build(input_shape)
    for name, value in values.items():
        getattr(layer, name).value = np.array(value, dtype=np.float64)
    for weight in layer.weights:
        weight.zero_grad()
    return layer


def gradients(layer, *names):
    """Copies of the gradients of the named weights (``gradients(dense, "kernel", "bias")``)."""
    return tuple(np.array(getattr(layer, name).grad) for name in names)


def as_float64(*arrays):
    """The arrays as float64 NumPy arrays (what every grader compares in)."""
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)
