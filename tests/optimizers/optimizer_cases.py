"""What the optimizer tests share: one weight, one gradient, and a few steps of a rule."""
import numpy as np

from kerastutor.weight import Weight

#: Keras's own test variable and gradient (keras-spec §8.1).
VAR, GRAD = [1.0, 2.0, 3.0, 4.0], [1.0, 6.0, 7.0, 2.0]


def weight(values, name="w", dtype="float32", **kwargs):
    return Weight(np.array(values, dtype), name=name, **kwargs)


def steps(optimizer, n=1, var=VAR, grad=GRAD):
    """The weight's value after ``n`` steps of ``optimizer`` with the same gradient."""
    w = weight(var)
    for _ in range(n):
        w.grad = np.array(grad, "float32")
        optimizer.apply([w])
    return w.value
