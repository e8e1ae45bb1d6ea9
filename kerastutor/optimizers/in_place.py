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
* **No denormal arithmetic.** A weight whose gradient has become exactly zero
  (a ReLU unit that never fires again) keeps a momentum that shrinks by
  :math:`\beta_1` every step. Long before ``m`` itself is *denormal* (below
  the smallest normal float, ~1.2e-38 in float32) the update's intermediates
  are: :math:`\alpha_t m` is a thousand times smaller than ``m`` and
  :math:`(g - m)(1 - \beta_1)` ten times, and arithmetic on denormals is many
  times slower on x86 (a microcode assist per entry). Units tend to die
  together, so tens of thousands of momenta cross that range at once: on
  ``bench_training.py``'s MLP (batch 32) the third and fourth epochs ran at
  4,800 instead of 8,200 samples/s while they did, and when the momenta were
  let go all the way down 40% of them stuck there (:math:`0.1\,m` rounds back
  to nothing) and every epoch took 2.5x as long. TensorFlow, Keras's default
  backend, runs its CPU kernels with denormals flushed to zero;
  :func:`adam_in_place` sets momenta below :func:`flush_threshold`
  (:math:`2^{32}` times the smallest normal float, 5e-29 in float32) to 0.
  Such a momentum moves its weight by at most
  :math:`\alpha_t m / \epsilon \approx 10^{-21}`, which no float32 weight
  larger than ~1e-14 can register. The weight's own step is computed before
  the flush, so the step that flushes is bit-identical to ``update_step``'s;
  later steps differ only by those unregistrable moves. (``v`` decays with
  :math:`\beta_2 = 0.999` and needs tens of thousands of steps to get there,
  so it is left alone.)
* **The flush on every** :data:`FLUSH_EVERY`\ **-th step, not every step.** The
  flush is three of the update's fifteen passes. Between two flushes a
  momentum shrinks by at most :math:`0.9^8 \approx 0.43`, so none gets near
  the denormal range, and the update is a fifth cheaper (the MLP at batch 32:
  8,200 -> 8,600 samples/s, ``benchmarks/bench_training.py mlp32``).

:meth:`Optimizer.apply <kerastutor.optimizers.Optimizer.apply>` picks it from
:data:`kerastutor.optimizers.optimizer.IN_PLACE_STEPS`, the NumPy twin of the
GPU's fused kernels (:data:`~kerastutor.optimizers.optimizer.FUSED_KERNELS`).

Each function has the signature of those kernels,
``step(optimizer, value, grad, slots, learning_rate) -> bool``, and returns
``False`` when it does not apply (then ``update_step`` runs).
"""
import numpy as np

from kerastutor import compiled

#: Momenta below :func:`flush_threshold` become 0 on every FLUSH_EVERY-th step (see above).
FLUSH_EVERY = 8

#: Elements per piece: six float32 pieces of 32768 elements are 768 KiB, which stays
#: in one core's 2 MiB L2 cache while the dozen operations of the update run on it.
PIECE = 32768


def adam_in_place(optimizer, value, grad, slots, learning_rate):
    r"""Adam's step with ``out=`` arithmetic, piece by piece (not with ``amsgrad``).

    With the ``fast`` extra installed, the same arithmetic runs as one compiled
    loop instead (:func:`kerastutor.compiled.adam`, bit-identical).
    """
    if optimizer.amsgrad:
        return False
    alpha_t = optimizer.step_size(learning_rate, optimizer.iterations + 1)
    flush = optimizer.iterations % FLUSH_EVERY == 0
    arrays = (value, grad, slots["momentum"], slots["velocity"])
    if compiled.adam(*arrays, optimizer.beta_1, optimizer.beta_2, alpha_t, optimizer.epsilon,
                     flush_threshold(value.dtype), flush):
        return True
    if value.size <= PIECE:          # a bias, or a small kernel: one piece, no loop
        _adam_piece(optimizer, alpha_t, flush, *arrays,
                    *_scratch(optimizer, value.shape, value.dtype))
        return True
    for pieces in _pieces(optimizer, arrays):
        _adam_piece(optimizer, alpha_t, flush, *pieces)
    return True


def _adam_piece(optimizer, alpha_t, flush, w, g, m, v, tmp, step, keep):
    """One piece of the update. Each group computes one statement of
    ``Adam.update_step``, named in the comment above it, with the same operations
    in the same order; then, if ``flush``, denormal momenta become 0 (see the
    module docstring)."""
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
    if not flush:
        return
    # flush to zero: m *= (|m| >= threshold)   (a multiply, so no branch per entry)
    np.abs(m, out=tmp)
    np.greater_equal(tmp, flush_threshold(m.dtype), out=keep)
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


def flush_threshold(dtype, _known={}):
    """Momenta smaller than this become 0: ``2**32 * np.finfo(dtype).tiny`` (5e-29 in
    float32), far enough above the denormal range that ``alpha_t * m`` stays normal.
    float16's range is too short for that margin: there it is ``tiny`` itself."""
    if dtype not in _known:
        info = np.finfo(dtype)
        _known[dtype] = info.tiny * (2.0 ** 32 if info.bits >= 32 else 1.0)
    return _known[dtype]


def _scratch(optimizer, shape, dtype):
    """Two float arrays and a boolean one of ``shape``, shared by the optimizer's weights."""
    buffers = optimizer.__dict__.setdefault("_in_place_scratch", {})
    key = (shape, dtype)
    if key not in buffers:
        buffers[key] = (np.empty(shape, dtype), np.empty(shape, dtype),
                        np.empty(shape, bool))
    return buffers[key]
