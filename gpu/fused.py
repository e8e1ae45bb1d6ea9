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

import ctypes

import numpy as np

from .array import _f32, _i32, _i64, _launch, current_runtime, to_device


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


def adam_update_device(weight, m, v, grad, numbers, beta_1, beta_2, epsilon):
    """:func:`adam_update` with ``alpha_t`` read from ``numbers`` (:class:`AdamNumbers`) in
    device memory, so that a captured step uses each replay's own step size."""
    _check(weight, m, v, grad)
    _launch("optimizers", "adam_update_device", weight.size, weight.pointer(), m.pointer(),
            v.pointer(), grad.pointer(), _i64(weight.size), numbers.alpha_t_pointer,
            _f32(1 - beta_1), _f32(1 - beta_2), _f32(epsilon))


class AdamNumbers:
    r"""Adam's per-step numbers in device memory, for a fit step captured as a graph.

    A graph replays launch arguments as they were recorded, so the float ``alpha_t``
    that :func:`adam_update` takes would stay step 1's for ever. Here three floats live
    on the device, ``state = [t, lr, alpha_t]``; the captured step launches
    ``adam_step_size`` once (``t += 1`` and :math:`\alpha_t = \eta\sqrt{1-\beta_2^t}
    /(1-\beta_1^t)`, on the device) and every weight's ``adam_update_device`` reads
    ``alpha_t`` from there.

    The host still counts: :meth:`sync`, called between replays (never during a capture),
    writes ``t`` and ``lr`` whenever the optimizer's own ``iterations`` and learning rate
    differ from what the device holds -- after an eager step (a smaller last batch), or
    when a callback or a schedule changed the learning rate -- and is a comparison only
    otherwise. ``Optimizer.apply`` calls :meth:`advance` while ``optimizer.device_step``
    is this object (the trainer sets it for the capture only).
    """

    def __init__(self, optimizer):
        self.beta_1, self.beta_2 = float(optimizer.beta_1), float(optimizer.beta_2)
        self.state = to_device(np.zeros(3, np.float32))
        self.alpha_t_pointer = ctypes.c_uint64(self.state.buffer.address + 8)
        self._held = None                     # (t, lr) the device holds, as the host knows
        self.sync(optimizer)

    def sync(self, optimizer):
        """Make the device's ``t`` and ``lr`` the optimizer's (one small upload, if they differ)."""
        wanted = (optimizer.iterations, optimizer._current_learning_rate())
        if wanted != self._held:
            current_runtime().upload(self.state.buffer.address,
                                     np.array([wanted[0], wanted[1], 0], np.float32))
            self._held = wanted

    def stepped(self):
        """The host's note that one replay advanced the device's ``t``."""
        self._held = (self._held[0] + 1, self._held[1])

    def advance(self):
        """Launch ``adam_step_size``: the next step's ``t`` and ``alpha_t``, on the device."""
        _launch("optimizers", "adam_step_size", 1, self.state.pointer(),
                ctypes.c_double(self.beta_1), ctypes.c_double(self.beta_2))


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
    numbers = optimizer.device_step
    if numbers is not None:                   # a captured step: alpha_t lives on the device
        adam_update_device(value, slots["momentum"], slots["velocity"], grad, numbers,
                           beta_1, beta_2, optimizer.epsilon)
        return True
    alpha_t = optimizer.step_size(learning_rate, t)
    adam_update(value, slots["momentum"], slots["velocity"], grad, alpha_t, beta_1, beta_2,
                optimizer.epsilon)
    return True
