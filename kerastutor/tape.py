r"""The op tape: reverse-mode automatic differentiation in its simplest form.

Built-in layers, activations and losses write ``backward`` by hand. Code a
*learner* writes the Keras way -- a custom layer's ``call``, a
``keras.losses.Loss`` subclass's ``call``, a loss function, an activation
``lambda x: x ** 2`` -- has no ``backward``. kerastutor runs such code on a
**tape** and walks the tape backwards:

* the input the code differentiates with respect to is *watched*
  (:meth:`Tape.watch` wraps it in a :class:`Traced` value);
* every op (``+``, ``ops.exp``, ``ops.mean``, ``keras.activations.relu``,
  ...) computes its value with NumPy and, when a tape records and one of its
  operands is traced, appends ``(output, operands, vjp)`` to the tape;
* ``vjp(g)`` of an op is its vector-Jacobian product: given
  :math:`g = \partial L/\partial \text{out}` it returns
  :math:`\partial L/\partial \text{operand}` for each operand, written next
  to the forward formula exactly like a layer's backward;
* :meth:`Tape.backward` visits the records in reverse and **adds** the
  gradients of values used more than once (the chain rule's sum).

This module holds the tape itself, the traced values, and the arithmetic
that Python's operators on a traced value mean (``x + y``, ``x @ w``,
``x[i]``, ...). :mod:`kerastutor.ops` builds the rest of ``keras.ops`` on it,
and :mod:`kerastutor.activations` records its activations with
:func:`record_activation` -- each activation's own ``backward`` is the op's
vector-Jacobian product, so no derivative is written twice.

Broadcasting: ``x + b`` with ``x`` of shape ``(N, U)`` and ``b`` of shape
``(U,)`` uses ``b`` N times, so its gradient is the upstream gradient
*summed* over the broadcast axis (:func:`unbroadcast`).

Outside a tape every op simply returns a NumPy array.
"""
import functools

import numpy as np

from kerastutor import backend

_TAPES = []          # the tapes recording now (innermost last)


# ======================================================================== traced values
class TapeArithmetic:
    """The Python operators of a value the tape follows, each recorded as its op.

    :class:`Traced` values and weights (:class:`VariableBase`) both have them,
    so ``x @ w + b`` inside a custom layer's ``call`` lands on the tape.
    """

    __slots__ = ()

    def __add__(self, other): return add(self, other)
    def __radd__(self, other): return add(other, self)
    def __sub__(self, other): return subtract(self, other)
    def __rsub__(self, other): return subtract(other, self)
    def __mul__(self, other): return multiply(self, other)
    def __rmul__(self, other): return multiply(other, self)
    def __truediv__(self, other): return divide(self, other)
    def __rtruediv__(self, other): return divide(other, self)
    def __matmul__(self, other): return matmul(self, other)
    def __rmatmul__(self, other): return matmul(other, self)
    def __pow__(self, other): return power(self, other)
    def __rpow__(self, other): return power(other, self)
    def __neg__(self): return negative(self)


class Traced(TapeArithmetic):
    """A value computed while a tape records: the array, and that it has a history.

    It supports ``+ - * / @ **``, unary minus, indexing, ``.shape``,
    ``.ndim``, ``.dtype`` and ``.T``, all recorded. NumPy functions refuse it
    (their derivative is unknown) with a :class:`RawNumpyError` that names
    the ``keras.ops`` function to use instead.
    """

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # ``numpy_array + traced`` reaches here: arithmetic is recorded as the op.
        # Any other NumPy function (np.exp, np.maximum, ...) would lose the tape.
        operator = _ARITHMETIC_UFUNCS.get(ufunc.__name__)
        if not _TAPES and (method != "__call__" or operator is None or kwargs):
            return getattr(ufunc, method)(*_untraced(inputs), **_untraced(kwargs))
        if method != "__call__" or operator is None or kwargs:
            raise RawNumpyError(f"np.{ufunc.__name__}")
        return operator(*inputs)

    def __array__(self, dtype=None, copy=None):
        if not _TAPES:                       # the recording is over: just the numbers
            return self.value if dtype is None else self.value.astype(dtype)
        raise RawNumpyError("np.asarray")

    def __array_function__(self, func, types, args, kwargs):
        if not _TAPES:                       # after a GradientTape: metrics read the numbers
            return func(*_untraced(args), **_untraced(kwargs))
        raise RawNumpyError(f"np.{func.__name__}")

    def __float__(self):
        """``float(loss)`` reads the number (nothing recorded), as ``float(tensor)`` does."""
        return float(self.value)

    def __getattr__(self, name):
        # Only reached for attributes a Traced value lacks, such as x.sum() or x.mean().
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"A traced value has no method .{name}(): it is not a NumPy array, so that "
            f"the tape can record what is done to it. Hint: write keras.ops.{name}(x, ...) "
            f"instead of x.{name}(...).")

    shape = property(lambda self: self.value.shape)
    ndim = property(lambda self: self.value.ndim)
    dtype = property(lambda self: self.value.dtype)
    T = property(lambda self: transpose(self))

    def __getitem__(self, index): return take_index(self, index)
    def __gt__(self, other): return greater(self, other)
    def __lt__(self, other): return less(self, other)
    def __ge__(self, other): return greater_equal(self, other)
    def __le__(self, other): return less_equal(self, other)

    def __repr__(self):
        return f"<Traced shape={self.value.shape} dtype={self.value.dtype}>"


class VariableBase(TapeArithmetic):
    """What the tape knows of a :class:`~kerastutor.weight.Weight`: a leaf with a ``.grad``.

    Two kinds of operand have a history on the tape: :class:`Traced` values
    (computed inside ``call``), and weights, whose gradients the tape **adds**
    into ``.grad``. ``Weight`` inherits from this class, so ``w * 2.0`` and
    ``x @ w`` inside a custom layer's ``call`` run through these ops and are
    recorded -- as arithmetic on a Keras variable is -- while this module never
    imports :mod:`kerastutor.weight` (the weight module imports this one).
    """

    __slots__ = ()


def _untraced(values):
    """``values`` (a tuple, list or dict, nested) with each Traced value replaced by its array.

    Used once no tape records any more -- after a ``with keras.GradientTape()``
    block, where a metric reads the traced loss or prediction -- when NumPy
    may see the numbers: nothing is being recorded that they could break.
    """
    if isinstance(values, Traced):
        return values.value
    if isinstance(values, (list, tuple)):
        return type(values)(_untraced(v) for v in values)
    if isinstance(values, dict):
        return {k: _untraced(v) for k, v in values.items()}
    return values


def is_traced(x):
    """True for the operands the tape follows: traced values and weights."""
    return isinstance(x, (Traced, VariableBase))


# ======================================================================== the kind error
RAW_NUMPY_HINT = (
    "A NumPy function was applied to a value kerastutor is tracing, so its derivative "
    "is unknown. Two ways out: compute with keras.ops (ops.exp, ops.matmul, ...) inside "
    "call(), or write the backward by hand.")


class RawNumpyError(TypeError):
    """A raw NumPy function met a traced value: the tape cannot know its derivative.

    Raised while code written the Keras way (a custom layer's ``call``, a
    loss's ``call``, a learner's activation) runs on the tape. The message
    names the NumPy function and the ``keras.ops`` function to use instead
    (``keras.ops`` has NumPy's functions under NumPy's names).

    Parameters
    ----------
    function : str
        The NumPy function that was called, such as ``"np.exp"``.
    owner : str or None
        Who ran it, put in front of the message (``"The loss 'my_loss'"``).
    """

    def __init__(self, function, owner=None):
        self.function, self.owner = function, owner
        name = function.removeprefix("np.")
        if name in ("asarray", "array"):
            advice = ("Keep the value as it is (keras.ops functions take it directly), or "
                      "use keras.ops.convert_to_tensor(x), which keeps it on the tape.")
        else:
            advice = (f"Use keras.ops.{name}(...) instead: keras.ops has NumPy's functions "
                      "under the same names, and each records its derivative.")
        where = f"{owner}: " if owner else ""
        super().__init__(
            f"{where}{function} was applied to a value kerastutor is tracing (y_pred in a "
            f"loss, the input of a custom layer's call() or of your activation), so its "
            f"derivative is unknown. {advice} Or write the backward by hand.")


# ======================================================================== the tape
class Tape:
    """Records the ops run inside ``with tape:`` and differentiates them afterwards."""

    def __init__(self, training=False):
        self.records = []                   # (output, operands, vjp), in run order
        self.training = training            # what layers called inside inherit

    def __enter__(self):
        _TAPES.append(self)
        return self

    def __exit__(self, *exc):
        _TAPES.remove(self)

    def watch(self, array):
        """Start tracing ``array`` (a layer's input, a loss's ``y_pred``): ops on it are recorded."""
        return Traced(np.asarray(array))

    def backward(self, output, grad_output):
        """Walk the records in reverse from ``output``.

        Gradients of watched values are returned in a dict keyed by
        ``id(value)``; gradients of weights (:class:`VariableBase`)
        are **added** into their ``.grad``.
        """
        grads = {id(output): grad_output}
        for out, operands, vjp in reversed(self.records):
            g = grads.pop(id(out), None)
            if g is None:
                continue                    # this op does not lead to the output
            for operand, operand_grad in zip(operands, vjp(g)):
                if operand_grad is None:
                    continue
                if isinstance(operand, VariableBase):
                    operand.grad += operand_grad
                elif isinstance(operand, Traced):
                    key = id(operand)
                    grads[key] = operand_grad if key not in grads else grads[key] + operand_grad
        return grads

    def gradient(self, output, grad_output, watched):
        """The gradient that reaches ``watched`` (zeros if ``output`` does not depend on it)."""
        if not isinstance(output, Traced):
            return np.zeros_like(watched.value)
        return self.backward(output, grad_output).get(id(watched), np.zeros_like(watched.value))


def current_training():
    """The ``training`` flag of the innermost recording tape (False if none)."""
    return _TAPES[-1].training if _TAPES else False


def _value(x):
    """The NumPy array behind an operand (a Traced value, a Weight, or array-like)."""
    if is_traced(x):
        return x.value
    return np.asarray(x)


def _record(result, operands, vjp):
    """Return ``result``, traced and recorded if a tape records and an operand is traced."""
    if not _TAPES or not any(is_traced(o) for o in operands):
        return result
    out = Traced(np.asarray(result))
    _TAPES[-1].records.append((out, operands, vjp))
    return out


class _Parts:
    """The gradients of a call's several outputs, one slot each (None: not used yet).

    Adding two (the tape sums what reaches one value) fills the slots of both.
    ``__array_ufunc__ = None`` makes ``array + parts`` come here too, for the
    zero a starting point of the walk may hold.
    """

    __array_ufunc__ = None

    def __init__(self, parts):
        self.parts = parts

    @classmethod
    def single(cls, index, count, g):
        """The vjp of output ``index``: its gradient in its slot, for the hub."""
        return (cls([g if i == index else None for i in range(count)]),)

    def __add__(self, other):
        if not isinstance(other, _Parts):
            return self                              # a zero seed
        return _Parts([a if b is None else b if a is None else a + b
                       for a, b in zip(self.parts, other.parts)])

    __radd__ = __add__


def _record_several(outputs, operands, vjp):
    """Record a call with several outputs as one op on the tape: its backward runs once.

    A *hub* value stands for the whole call (its vjp is the layer's backward);
    each output is an op reading the hub that hands its gradient back in its
    own slot of a :class:`_Parts`. The tape sums the parts of the outputs that
    were used, and the hub calls backward once with all of them (zeros for an
    output nobody used). Returns ``(hub, outputs)``.
    """
    count = len(outputs)

    def hub_vjp(g):
        parts = g.parts if isinstance(g, _Parts) else [None] * count
        return vjp([np.zeros_like(y) if part is None else part
                    for y, part in zip(outputs, parts)])
    hub = _record(np.zeros(()), operands, hub_vjp)
    return hub, [_record(y, (hub,), functools.partial(_Parts.single, index, count))
                 for index, y in enumerate(outputs)]


def _record_many(results, operands, vjp):
    """Record an op with several float outputs (``qr``, ``top_k``'s values, ``moments``).

    The op's ``vjp`` receives one gradient per output (zeros for an output the
    loss does not use) and returns one per operand. Returns the outputs,
    traced when recorded (see :func:`_record_several`).
    """
    results = [np.asarray(r) for r in results]
    if not _TAPES or not any(is_traced(o) for o in operands):
        return tuple(results)
    return tuple(_record_several(results, operands, lambda grads: vjp(tuple(grads)))[1])


class paused:
    """``with paused():`` runs code without recording it (``custom_gradient``,
    ``stop_gradient``): traced operands are read as plain arrays inside."""

    def __enter__(self):
        self._saved = _TAPES[:]
        _TAPES.clear()
        return self

    def __exit__(self, *exc):
        _TAPES[:] = self._saved


# ======================================================================== Keras's dtypes
# Keras promotes operands its own way, not NumPy's: a Python number is *weak*
# (``x * 2.0`` keeps float32, ``i + 3`` keeps int32), a float array wins over an
# integer one without widening (int32 with float32 is float32), and a bare
# Python number becomes int32 or ``floatx()``. The rule itself is the lattice in
# ``backend`` (``backend.promoted_dtype``); every op reads its operands here.
def _is_python_number(x):
    """A Python ``int``/``float`` (not ``bool``, not a NumPy scalar): Keras types it weakly."""
    return isinstance(x, (int, float)) and not isinstance(x, (bool, np.generic))


def _tensor(x):
    """The array behind an operand; Python numbers and lists get Keras's int32 / floatx.

    ``np.asarray(2)`` is int64 and ``np.asarray(2.5)`` float64; Keras's
    ``convert_to_tensor`` makes them int32 and ``floatx()``.
    """
    a = _value(x)
    if isinstance(x, (int, float, list, tuple)) and not isinstance(x, np.generic):
        if a.dtype == np.int64:
            return a.astype(np.int32)
        if a.dtype == np.float64:
            return a.astype(backend.floatx())
    return a


def _keras_type(operand, array):
    """What the promotion lattice reads for an operand: the weak type of a Python number
    (the type ``int`` or ``float`` itself), otherwise the array's dtype."""
    if _is_python_number(operand):
        return float if isinstance(operand, float) else int
    return array.dtype


def _common(*operands):
    """The operands as arrays of one dtype, promoted as Keras promotes them.

    The dtype is :func:`kerastutor.backend.promoted_dtype` of the operands --
    Keras's lattice (:func:`kerastutor.backend.result_type`), kept at 64 bits:

    * among arrays, a float wins over integers and booleans (int32 with
      float32 is float32; NumPy would say float64), and int8 with uint8 is int16;
    * a Python number is weak: it takes the arrays' dtype, except that a
      Python float with integer arrays gives ``floatx()``;
    * Python numbers alone give int32 or ``floatx()``.

    Strings and objects are not on the lattice: such operands are left as NumPy
    reads them (``ops.equal`` still compares strings).
    """
    arrays = [_tensor(o) for o in operands]
    if any(a.dtype.kind not in "biufc" for a in arrays):
        return arrays
    dtype = np.dtype(backend.promoted_dtype(
        *(_keras_type(o, a) for o, a in zip(operands, arrays))))
    return [a if a.dtype == dtype else a.astype(dtype) for a in arrays]


def _common_floating(*operands):
    """:func:`_common`, then integers and booleans as ``floatx()`` (for float functions)."""
    arrays = _common(*operands)
    if arrays[0].dtype.kind in "fc":
        return arrays
    return [a.astype(backend.floatx()) for a in arrays]


def _operands(x1, x2):
    """The arrays behind two operands, in the one dtype Keras gives them (:func:`_common`)."""
    a, b = _common(x1, x2)
    return a, b


def unbroadcast(grad, shape):
    """Sum ``grad`` over the axes broadcasting added, back to ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def record_activation(activation, x):
    r"""Apply a built-in activation to a traced ``x``, recorded as one op.

    The activation's own pair is reused: ``forward(x) -> (y, cache)`` gives
    the value, and ``backward(cache, g)`` -- :math:`\phi'(x) \odot g`, or the
    vector-Jacobian product of softmax -- is the op's VJP. This is how
    ``keras.activations.relu(x)`` and ``keras.ops.relu(x)`` inside a custom
    ``call`` land on the tape with the derivative written in
    :mod:`kerastutor.activations`.
    """
    a = _value(x)
    lifted = np.atleast_1d(a)                # forward works on arrays, not 0-d scalars
    y, cache = activation.forward(lifted)

    def vjp(g):
        grad = activation.backward(cache, np.reshape(g, np.shape(y)))
        return (np.reshape(grad, a.shape),)
    return _record(np.reshape(y, a.shape) if a.ndim == 0 else y, (x,), vjp)


# ================================================================== arithmetic
def add(x1, x2):
    r""":math:`x_1 + x_2`; both gradients are :math:`g` (summed over broadcast axes)."""
    a, b = _operands(x1, x2)
    return _record(a + b, (x1, x2),
                   lambda g: (unbroadcast(g, a.shape), unbroadcast(g, b.shape)))


def subtract(x1, x2):
    r""":math:`x_1 - x_2`; gradients :math:`g` and :math:`-g`."""
    a, b = _operands(x1, x2)
    return _record(a - b, (x1, x2),
                   lambda g: (unbroadcast(g, a.shape), unbroadcast(-g, b.shape)))


def multiply(x1, x2):
    r""":math:`x_1 x_2`; gradients :math:`g\,x_2` and :math:`g\,x_1`."""
    a, b = _operands(x1, x2)
    return _record(a * b, (x1, x2),
                   lambda g: (unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)))


def divide(x1, x2):
    r""":math:`x_1 / x_2`; gradients :math:`g / x_2` and :math:`-g\,x_1 / x_2^2`.

    True division: integers divide as ``floatx()`` numbers, as in Keras."""
    a, b = _common_floating(x1, x2)
    return _record(a / b, (x1, x2),
                   lambda g: (unbroadcast(g / b, a.shape),
                              unbroadcast(-g * a / (b * b), b.shape)))


def negative(x):
    r""":math:`-x`; gradient :math:`-g`."""
    return _record(-_value(x), (x,), lambda g: (-g,))


def power(x1, x2):
    r""":math:`x_1^{x_2}`; gradients :math:`g\,x_2 x_1^{x_2-1}` and :math:`g\,x_1^{x_2}\log x_1`."""
    a, b = _operands(x1, x2)
    out = np.power(a, b)

    def vjp(g):
        grad_b = None
        if is_traced(x2):
            grad_b = unbroadcast(g * out * np.log(np.where(a > 0, a, 1)), b.shape)
        return unbroadcast(g * b * np.power(a, b - 1), a.shape), grad_b
    return _record(out, (x1, x2), vjp)


def matmul(x1, x2):
    r""":math:`x_1 x_2` (last two axes); gradients :math:`g x_2^\top` and :math:`x_1^\top g`."""
    a, b = _value(x1), _value(x2)

    def vjp(g):
        a2, b2 = (a[None] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)
        g2 = g.reshape(a2.shape[:-1] + b2.shape[-1:])
        grad_a = g2 @ np.swapaxes(b2, -1, -2)
        grad_b = np.swapaxes(a2, -1, -2) @ g2
        return (unbroadcast(grad_a, a2.shape).reshape(a.shape),
                unbroadcast(grad_b, b2.shape).reshape(b.shape))
    return _record(a @ b, (x1, x2), vjp)


def transpose(x, axes=None):
    """Permute axes; the gradient is permuted back."""
    a = _value(x)
    # argsort inverts a permutation of 0..n-1: negative axes are made positive first
    inverse = None if axes is None else np.argsort([axis % a.ndim for axis in axes])
    return _record(np.transpose(a, axes), (x,), lambda g: (np.transpose(g, inverse),))


def take_index(x, index):
    """``x[index]``; the gradient is scattered back (added where indices repeat)."""
    a = _value(x)

    def vjp(g):
        grad = np.zeros_like(a)
        np.add.at(grad, index, g)
        return (grad,)
    return _record(a[index], (x,), vjp)


# ============================================================= non-differentiable
def _compare(fn):
    def op(x1, x2):
        a, b = _common(x1, x2)              # 0.1 against float32 is float32's 0.1
        return fn(a, b)
    op.__name__ = fn.__name__
    op.__doc__ = f"``{fn.__name__}`` elementwise (a boolean array: no gradient)."
    return op


greater, greater_equal = _compare(np.greater), _compare(np.greater_equal)
less, less_equal = _compare(np.less), _compare(np.less_equal)

#: NumPy ufuncs that ``numpy_array <op> traced`` calls, and the recorded op each means.
_ARITHMETIC_UFUNCS = {"add": add, "subtract": subtract, "multiply": multiply,
                      "divide": divide, "true_divide": divide, "matmul": matmul,
                      "negative": negative, "power": power}


# ======================================================================== GradientTape
_GRADIENT_TAPES = []     # the GradientTape recording now (at most one)


def gradient_tape_records():
    """True inside ``with keras.GradientTape():``: a layer called on data is recorded."""
    return bool(_GRADIENT_TAPES) and _GRADIENT_TAPES[-1]._tape in _TAPES


class GradientTape:
    r"""Record a forward pass, then ask for gradients: kerastutor's ``loss.backward()``.

    The one line of a custom ``train_step`` (or of a training loop written from
    scratch) that differs from the Keras guides::

        with keras.GradientTape() as tape:                 # TensorFlow's spelling
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)

    How it works, with nothing new underneath:

    * inside the block, a layer or model called on *data* (not on the output of
      another call) has its inputs watched, so the whole call becomes **one op**
      on the op tape; its vector-Jacobian product is the model's own backward
      (the hand-written backward of each built-in layer, the op tape for custom
      ``call`` code);
    * what the code computes from the prediction -- ``compute_loss``, a
      compiled loss, ``keras.ops`` arithmetic -- is recorded by the same tape,
      so the loss is a *traced* value;
    * :meth:`gradient` walks the records back from the loss: the loss's own
      gradient reaches ``y_pred``, the model's backward turns it into each
      weight's ``.grad``, and copies of those are returned.

    A traced value read after the block (``float(loss)``, a metric's
    ``update_state(y, y_pred)``) is just its numbers. ``gradient`` may be called
    more than once (each call starts the asked weights' gradients from zero).
    Tapes do not nest.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._tape = None

    def __enter__(self):
        if _GRADIENT_TAPES:
            raise RuntimeError(
                "GradientTape: a GradientTape is already recording; kerastutor's tapes "
                "do not nest. Fix: close the first `with keras.GradientTape()` block "
                "before opening the next (the GAN of the guide uses two blocks one after "
                "the other).")
        self._tape = Tape()
        self._tape.__enter__()
        _GRADIENT_TAPES.append(self)
        return self

    def __exit__(self, *exc):
        self._tape.__exit__(*exc)
        _GRADIENT_TAPES.remove(self)

    def watch(self, value):
        """Keras/TensorFlow's ``tape.watch``: weights and model calls are watched already."""
        return value

    def gradient(self, target, sources):
        r""":math:`\partial\,\text{target}/\partial w` for each weight in ``sources``.

        ``target`` is the loss: a value computed inside the block from a
        recorded call (a non-scalar target counts as its sum, as in
        TensorFlow). ``sources`` is a weight or a list of weights; the result
        has the same form. A weight the target does not depend on gets zeros.
        """
        self._check_target(target)
        weights = sources if isinstance(sources, (list, tuple)) else [sources]
        for index, weight in enumerate(weights):
            _check_source(weight, index)
            weight.zero_grad()
        self._tape.backward(target, np.ones_like(target.value))
        grads = [weight.grad.copy() for weight in weights]
        return grads if isinstance(sources, (list, tuple)) else grads[0]

    def _check_target(self, target):
        if self._tape is None:
            raise RuntimeError(
                "GradientTape.gradient: this tape never recorded. Fix: compute the loss "
                "inside `with keras.GradientTape() as tape:` first, then call "
                "tape.gradient(loss, model.trainable_weights).")
        if not isinstance(target, Traced):
            raise TypeError(
                f"GradientTape.gradient(target=...): expected the loss computed inside the "
                f"`with keras.GradientTape() as tape:` block from the model's output (a "
                f"traced value), got {type(target).__name__}. Fix: call the model "
                f"(y_pred = model(x, training=True)) and compute the loss (with "
                f"model.compute_loss, a keras.losses object or keras.ops) inside the block.")


def _check_source(weight, index):
    if not isinstance(weight, VariableBase):
        raise TypeError(
            f"GradientTape.gradient(sources=...): expected weights (keras Variables), "
            f"got {type(weight).__name__} at position {index}. Fix: pass "
            f"model.trainable_weights.")
