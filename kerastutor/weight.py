"""``Weight``: a named array that learns.

A weight is the simplest object in the library and the one everything
else talks about:

* ``value`` -- the NumPy array the layer computes with;
* ``grad`` -- an array of the same shape that ``backward`` *adds* into
  (so a layer used twice in a graph receives the sum of both gradients);
* ``trainable`` -- whether the optimizer updates it;
* ``regularizer`` / ``constraint`` -- optional penalty added to the loss and
  projection applied after each optimizer step.

The model zeroes every ``grad`` before a backward pass; the optimizer reads
``grad`` and updates ``value`` in place.
"""
import numpy as np

from kerastutor import backend
from kerastutor.tape import Traced, VariableBase


class Weight(VariableBase):
    """A named, trainable (or not) array with a gradient buffer.

    Arithmetic works as on a Keras variable (``w * 2.0``, ``x @ w``): the
    operators come from :class:`kerastutor.tape.VariableBase` and go through
    ``keras.ops``, so inside a custom layer's ``call()`` they are recorded on
    the tape.

    Parameters
    ----------
    value : array
        Initial value.
    name : str
        Short name such as ``"kernel"``.
    trainable : bool
        Whether optimizers update this weight.
    regularizer, constraint : callable or None
        ``regularizer(value) -> float`` penalty; ``constraint(value) -> value``.
    path : str or None
        Full name such as ``"sequential/dense/kernel"`` (Keras's ``variable.path``).
    """

    def __init__(self, value, name="variable", trainable=True, regularizer=None,
                 constraint=None, path=None):
        self.value = backend.asarray(value)     # NumPy, or a DeviceArray on a GPU
        self.name = name
        self.path = path or name
        self.trainable = trainable
        self.regularizer = regularizer
        self.constraint = constraint
        self._grad = None
        self._grad_is_zero = True

    # ------------------------------------------------------------------ the gradient
    # Layers write ``w.grad += dL/dW``: one spelling for the first contribution of a step
    # and for a shared layer's second. Python runs it as ``buffer = w.grad`` (zeroed if a
    # new step began), ``buffer += dL/dW`` in place, then ``w.grad = buffer``, which the
    # setter recognises as its own buffer and keeps without copying.
    @property
    def grad(self):
        """The gradient buffer (zeros until a backward pass adds to it)."""
        buffer = self._buffer()
        if self._grad_is_zero:
            buffer.fill(0)
            self._grad_is_zero = False
        return buffer

    @grad.setter
    def grad(self, new):
        if new is self._grad:                   # the end of `w.grad += ...`: already there
            self._grad_is_zero = False
            return
        self._grad = backend.asarray(new, dtype=self.value.dtype).copy()
        self._grad_is_zero = False

    def zero_grad(self):
        """Mark the gradient as zero (the buffer is reused, and only filled if read)."""
        self._grad_is_zero = True

    def _buffer(self):
        if self._grad is None or self._grad.shape != self.value.shape \
                or self._grad.dtype != self.value.dtype:
            self._grad = np.zeros_like(self.value)
        return self._grad

    # Speed-up, beside the formula it replaces.
    def add_matmul_to_grad(self, a, b):
        """``grad += a @ b``, with the first contribution of a step written in place.

        Most weight gradients are a matrix product (``x.T @ delta`` for a
        Dense kernel, the input and recurrent kernels of an RNN). Writing the
        first one straight into the buffer with ``np.matmul(..., out=)`` skips
        the zero fill, the temporary product and the pass that adds it. For
        the three kernels of the 784-512-512-10 MLP at batch 32 it measured
        0.9-1.5 ms a step against 2.2 ms (a temporary, copied in) and 3.7-4.9 ms
        (``w.grad += a @ b``) on a step of about 3.5 ms
        (``benchmarks/bench_training.py``), so the layers whose gradient is one
        matrix product call this instead of ``w.grad += a @ b``.
        """
        if self._grad_is_zero:
            np.matmul(a, b, out=self._buffer())
            self._grad_is_zero = False
        else:
            self._grad += a @ b

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    @property
    def size(self):
        return self.value.size

    def numpy(self):
        """The value as a NumPy array (Keras ``Variable.numpy()``)."""
        return backend.to_host(self.value)

    # ------------------------------------------------------------------ changing the value
    # Keras's ``Variable.assign`` family. The new value is cast to the weight's dtype
    # (a float64 array into a float32 weight is fine), must have the weight's shape
    # exactly (no broadcasting: Keras refuses a scalar for a vector), and is written in
    # place, so the layer holding the weight sees it. Each returns the new value as a
    # fresh array, as Keras returns the assigned tensor. Assigning is not
    # differentiable: inside a custom layer's call() only the value of a traced
    # argument is used.
    def assign(self, value):
        r"""Overwrite the value: :math:`W \leftarrow v`. Returns the new value."""
        value = self._checked_value(value, "assign")
        self.value[...] = value
        return value.copy()

    def assign_add(self, delta):
        r"""Add to the value in place: :math:`W \leftarrow W + \Delta`. Returns the new value."""
        delta = self._checked_value(delta, "assign_add", same_shape=False)
        return self.assign(self.value + delta)

    def assign_sub(self, delta):
        r"""Subtract in place: :math:`W \leftarrow W - \Delta`. Returns the new value."""
        delta = self._checked_value(delta, "assign_sub", same_shape=False)
        return self.assign(self.value - delta)

    def _checked_value(self, value, method, same_shape=True):
        """``value`` as an array of this weight's dtype, or an error saying what to pass.

        ``assign_add``/``assign_sub`` check the shape of the *result*, so a scalar
        delta is fine there (``w.assign_add(1.0)``), as in Keras.
        """
        array = numbers_of(value)
        if array is None:
            raise ValueError(
                f"Weight '{self.path}': {method}() needs numbers, got {_shown(value)}. "
                f"Fix: pass an array of shape {self.shape} that holds numbers, e.g. "
                f"np.zeros({self.shape}).")
        if same_shape and array.shape != self.shape:
            raise ValueError(
                f"Weight '{self.path}': {method}() got a value of shape {array.shape}, but "
                f"the weight has shape {self.shape}; the shapes must match exactly (Keras "
                f"does not broadcast here). Fix: pass an array of shape {self.shape}"
                + (", e.g. np.full(shape, value) for one number everywhere."
                   if array.ndim == 0 else "."))
        if not same_shape and _broadcast(array.shape, self.shape) != self.shape:
            raise ValueError(
                f"Weight '{self.path}': {method}() got a value of shape {array.shape}, which "
                f"does not combine with the weight's shape {self.shape}. Fix: pass an array "
                f"of shape {self.shape} (or a single number).")
        return backend.asarray(array.astype(self.dtype, copy=False))

    def __array__(self, dtype=None, copy=None):
        # NumPy asks for a host array: a weight on the GPU is copied back first.
        array = backend.to_host(self.value)
        return array if dtype is None else array.astype(dtype)

    def __repr__(self):
        return (f"<Weight path={self.path!r} shape={self.value.shape} "
                f"dtype={self.value.dtype} trainable={self.trainable}>")


def _shown(value):
    """A short description of a refused value for an error message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _broadcast(shape, other):
    """The shape NumPy broadcasting gives, or None when the two do not combine."""
    try:
        return np.broadcast_shapes(shape, other)
    except ValueError:
        return None


def numbers_of(value):
    """The array of numbers behind ``value`` (a traced value, a weight, an array or a
    number), on the host; ``None`` when it holds anything else (text, ``None``...)."""
    if isinstance(value, (Traced, VariableBase)):
        value = value.value                     # a traced value or another weight
    try:
        array = np.asarray(backend.to_host(value))
    except (TypeError, ValueError):
        return None
    return array if array.dtype.kind in "biuf" else None
