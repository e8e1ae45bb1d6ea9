r"""Adam without temporaries: a measured speed-up, kept beside the formula it computes.

:meth:`Adam.update_step <kerastutor.optimizers.Adam.update_step>` is the
definition -- one statement per line of the formula -- and the book shows it.
Each of its lines makes temporaries as large as the weight (``g - m``, then
``(g - m) * (1 - beta_1)``, ...): about ten passes that allocate fresh memory
per weight per step. For the MNIST MLP (670k parameters, batch 32) the Adam
update is half of a training step, and ``benchmarks/bench_training.py``
measured it 14% slower written that way (7% of the whole step).

:func:`adam_in_place` does the same arithmetic in the same order, writing every
intermediate into scratch arrays, so its results are **bit-identical** to
``update_step``'s (``tests/optimizers/test_update_rules.py`` checks that). Two
more savings, each measured on the MLP's six weights (the update alone, the
whole-array and the piecewise helper taking turns in one process, best of 40,
on the shared 2-core machine):

* **Cache-sized pieces.** A 784x512 kernel is 1.6 MB per array, and the update
  touches six such arrays (weight, gradient, ``m``, ``v`` and two scratch
  arrays) a dozen times: each pass streams them from main memory. Walking the
  flattened arrays in pieces of :data:`PIECE` elements keeps one piece of all
  six in the core's cache while the twelve operations run on it: **2.3 ms ->
  1.5 ms** per update. The arithmetic per element is unchanged.
* **No denormal momenta.** A weight whose gradient has become exactly zero (a
  ReLU unit that never fires again) keeps a momentum that shrinks by
  :math:`\beta_1` every step until it is *denormal* (below the smallest normal
  float, ~1e-38 in float32), where it sticks, because :math:`0.1\,m` rounds
  back to nothing. Arithmetic on denormals is many times slower on x86: on
  ``bench_training.py``'s MLP 40% of the momenta were denormal after 1000
  steps and an epoch took 2.5x as long. TensorFlow, Keras's default backend,
  runs its CPU kernels with denormals flushed to zero; :func:`adam_in_place`
  does the same for ``m`` at the end of each step (0.25 ms per update for the
  MLP; with 30% denormal momenta the update takes 8.6 ms without it, 1.8 ms
  with it). The weight's own step is computed before the flush and is
  bit-identical; the next steps differ from ``update_step`` only by moves of
  ~1e-38 or less, which no float32 weight of normal size can register.
  (``v`` decays with :math:`\beta_2 = 0.999` and needs some 70,000 such steps
  to get there, so it is left alone.)

:meth:`Optimizer.apply <kerastutor.optimizers.Optimizer.apply>` picks it from
:data:`kerastutor.optimizers.optimizer.IN_PLACE_STEPS`, the NumPy twin of the
GPU's fused kernels (:data:`~kerastutor.optimizers.optimizer.FUSED_KERNELS`).

Each function has the signature of those kernels,
``step(optimizer, value, grad, slots, learning_rate) -> bool``, and returns
``False`` when it does not apply (then ``update_step`` runs).
"""
import numpy as np

#: Elements per piece: six float32 pieces of 32768 elements are 768 KiB, which stays
#: in one core's 2 MiB L2 cache while the dozen operations of the update run on it.
PIECE = 32768


def adam_in_place(optimizer, value, grad, slots, learning_rate):
    r"""Adam's step with ``out=`` arithmetic, piece by piece (not with ``amsgrad``)."""
    if optimizer.amsgrad:
        return False
    alpha_t = optimizer.step_size(learning_rate, optimizer.iterations + 1)
    arrays = (value, grad, slots["momentum"], slots["velocity"])
    if value.size <= PIECE:          # a bias, or a small kernel: one piece, no loop
        _adam_piece(optimizer, alpha_t, *arrays, *_scratch(optimizer, value.shape, value.dtype))
        return True
    for pieces in _pieces(optimizer, arrays):
        _adam_piece(optimizer, alpha_t, *pieces)
    return True


def _adam_piece(optimizer, alpha_t, w, g, m, v, tmp, step, keep):
    """One piece of the update. Each group computes one statement of
    ``Adam.update_step``, named in the comment above it, with the same operations
    in the same order; then denormal momenta become 0 (see the module docstring)."""
    beta_1, beta_2 = optimizer.beta_1, optimizer.beta_2
    # m += (g - m) * (1 - beta_1)
    np.subtract(g, m, out=tmp)
    tmp *= 1 - beta_1
    m += tmp
    # v += (g * g - v) * (1 - beta_2)
    np.multiply(g, g, out=tmp)
    tmp -= v
    tmp *= 1 - beta_2
    v += tmp
    # w -= alpha_t * m / (np.sqrt(v) + epsilon)
    np.multiply(alpha_t, m, out=step)
    np.sqrt(v, out=tmp)
    tmp += optimizer.epsilon
    step /= tmp
    w -= step
    # flush to zero: m *= (|m| >= smallest normal)   (a multiply, so no branch per entry)
    np.abs(m, out=tmp)
    np.greater_equal(tmp, _smallest_normal(m.dtype), out=keep)
    np.multiply(m, keep, out=m)


def _pieces(optimizer, arrays):
    """``(w, g, m, v, tmp, step, keep)`` for each piece of the flattened arrays.

    The pieces are views, so writing into them updates the weight and its slots.
    Arrays that are not all contiguous (flattening would copy them) come whole.
    """
    if not all(a.flags.c_contiguous for a in arrays):
        yield arrays + _scratch(optimizer, arrays[0].shape, arrays[0].dtype)
        return
    flat = [a.reshape(-1) for a in arrays]
    size = flat[0].size
    scratch = _scratch(optimizer, (min(size, PIECE),), flat[0].dtype)
    for start in range(0, size, PIECE):
        stop = min(start + PIECE, size)
        yield tuple(a[start:stop] for a in flat) + tuple(s[:stop - start] for s in scratch)


def _smallest_normal(dtype, _known={}):
    """``np.finfo(dtype).tiny`` (1.2e-38 for float32), looked up once per dtype."""
    if dtype not in _known:
        _known[dtype] = np.finfo(dtype).tiny
    return _known[dtype]


def _scratch(optimizer, shape, dtype):
    """Two float arrays and a boolean one of ``shape``, shared by the optimizer's weights."""
    buffers = optimizer.__dict__.setdefault("_in_place_scratch", {})
    key = (shape, dtype)
    if key not in buffers:
        buffers[key] = (np.empty(shape, dtype), np.empty(shape, dtype),
                        np.empty(shape, bool))
    return buffers[key]
