"""Fused optimizer updates: one kernel per weight instead of a dozen.

Adam written with NumPy operations (as ``kerastutor.optimizers.Adam.update_step``
is) reads and writes the weight, its gradient and its two slots a dozen
times, one elementwise kernel per operation. ``kernels/optimizers.cu`` does
the whole rule in one pass: each thread reads its element of ``w``, ``g``,
``m`` and ``v`` once and writes them back once. The formulas are the same,
in the same order, so the numbers match the NumPy path up to float32 rounding.

``Optimizer.apply`` chooses these kernels from one table,
``kerastutor.optimizers.optimizer.FUSED_KERNELS``, which names the *step*
functions at the end of this file: each takes ``(optimizer, value, grad,
slots, learning_rate)`` -- the optimizer for its hyperparameters, the weight's
value, its gradient and its slots by name -- and returns False when this
configuration has no kernel (then the rule's NumPy runs).
"""

from .array import _f32, _i32, _i64, _launch


def _check(*arrays):
    for array in arrays:
        if not array.is_contiguous:
            raise ValueError("fused optimizer update: every array must be contiguous "
                             f"(got strides {array.strides_elements} for shape {array.shape})")


def sgd_update(weight, grad, learning_rate):
    """``w <- w - lr g``"""
    _check(weight, grad)
    _launch("optimizers", "sgd_update", weight.size, weight.pointer(), grad.pointer(),
            _i64(weight.size), _f32(learning_rate))


def sgd_momentum_update(weight, momentum, grad, learning_rate, mu, nesterov):
    """``m <- mu m - lr g``, then ``w <- w + m`` (or ``w + mu m - lr g`` with Nesterov)."""
    _check(weight, momentum, grad)
    _launch("optimizers", "sgd_momentum_update", weight.size, weight.pointer(),
            momentum.pointer(), grad.pointer(), _i64(weight.size), _f32(learning_rate),
            _f32(mu), _i32(bool(nesterov)))


def adam_update(weight, m, v, grad, alpha_t, beta_1, beta_2, epsilon):
    """Keras's Adam step with the bias corrections folded into ``alpha_t`` (computed on
    the host once per step). ``1 - beta`` is computed here in double precision, as the
    NumPy path does, and rounded once to float32."""
    _check(weight, m, v, grad)
    _launch("optimizers", "adam_update", weight.size, weight.pointer(), m.pointer(),
            v.pointer(), grad.pointer(), _i64(weight.size), _f32(alpha_t), _f32(1 - beta_1),
            _f32(1 - beta_2), _f32(epsilon))


# ------------------------------------------------------- the steps Optimizer.apply calls
def sgd_step(optimizer, value, grad, slots, learning_rate):
    """:class:`~kerastutor.optimizers.SGD` -- plain, momentum or Nesterov -- in one kernel."""
    if optimizer.momentum == 0:
        sgd_update(value, grad, learning_rate)
    else:
        sgd_momentum_update(value, slots["momentum"], grad, learning_rate, optimizer.momentum,
                            optimizer.nesterov)
    return True


def adam_step(optimizer, value, grad, slots, learning_rate):
    """:class:`~kerastutor.optimizers.Adam` in one kernel (not with ``amsgrad``: no kernel
    keeps the running maximum of ``v``)."""
    if optimizer.amsgrad:
        return False
    beta_1, beta_2, t = optimizer.beta_1, optimizer.beta_2, optimizer.iterations + 1
    alpha_t = optimizer.step_size(learning_rate, t)
    adam_update(value, slots["momentum"], slots["velocity"], grad, alpha_t, beta_1, beta_2,
                optimizer.epsilon)
    return True
