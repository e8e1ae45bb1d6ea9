r"""Adam without temporaries: a measured speed-up, kept beside the formula it computes.

:meth:`Adam.update_step <kerastutor.optimizers.Adam.update_step>` is the
definition -- one statement per line of the formula -- and the book shows it.
Each of its lines makes temporaries as large as the weight (``g - m``, then
``(g - m) * (1 - beta_1)``, ...): about ten passes that allocate fresh memory
per weight per step. For the MNIST MLP (670k parameters, batch 32) the Adam
update is half of a training step, and ``benchmarks/bench_training.py``
measured it 14% slower written that way (7% of the whole step).

:func:`adam_in_place` does the same arithmetic in the same order, writing every
intermediate into two scratch arrays that are reused for every weight of the
same shape, so its results are **bit-identical** to ``update_step``'s
(``tests/optimizers/test_update_rules.py`` checks that). :meth:`Optimizer.apply
<kerastutor.optimizers.Optimizer.apply>` picks it from
:data:`kerastutor.optimizers.optimizer.IN_PLACE_STEPS`, the NumPy twin of the
GPU's fused kernels (:data:`~kerastutor.optimizers.optimizer.FUSED_KERNELS`).

Each function has the signature of those kernels,
``step(optimizer, value, grad, slots, learning_rate) -> bool``, and returns
``False`` when it does not apply (then ``update_step`` runs).
"""
import numpy as np


def adam_in_place(optimizer, value, grad, slots, learning_rate):
    r"""Adam's step with ``out=`` arithmetic (not with ``amsgrad``).

    Each group computes one statement of ``Adam.update_step``, named in the
    comment above it, with the same operations in the same order.
    """
    if optimizer.amsgrad:
        return False
    beta_1, beta_2 = optimizer.beta_1, optimizer.beta_2
    t = optimizer.iterations + 1
    m, v = slots["momentum"], slots["velocity"]
    tmp, step = _scratch(optimizer, value)
    # m += (g - m) * (1 - beta_1)
    np.subtract(grad, m, out=tmp)
    tmp *= 1 - beta_1
    m += tmp
    # v += (g * g - v) * (1 - beta_2)
    np.multiply(grad, grad, out=tmp)
    tmp -= v
    tmp *= 1 - beta_2
    v += tmp
    # w -= alpha_t * m / (np.sqrt(v) + epsilon)
    alpha_t = optimizer.step_size(learning_rate, t)
    np.multiply(alpha_t, m, out=step)
    np.sqrt(v, out=tmp)
    tmp += optimizer.epsilon
    step /= tmp
    value -= step
    return True


def _scratch(optimizer, value):
    """Two arrays of ``value``'s shape and dtype, shared by all weights of that shape."""
    buffers = optimizer.__dict__.setdefault("_in_place_scratch", {})
    key = (value.shape, value.dtype)
    if key not in buffers:
        buffers[key] = (np.empty_like(value), np.empty_like(value))
    return buffers[key]
