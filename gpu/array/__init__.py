r"""``DeviceArray``: a NumPy-looking array whose numbers live on the GPU.

The layers of kerastutor are written with NumPy functions -- ``np.exp(x)``,
``x @ w``, ``np.sum(g, axis=0)``, ``x[:, :n]``. They do not change for the GPU.
Instead this module gives NumPy a second kind of array, and NumPy itself sends
every function call on it here, through two protocols NumPy defines for exactly
this purpose:

* ``__array_ufunc__`` (NEP 13) receives every *ufunc* -- the elementwise
  functions such as ``np.add``, ``np.exp``, ``np.maximum``, the operators
  ``+ - * / ** > ==``, ``@`` (``np.matmul``), and their ``.reduce`` forms
  (``np.add.reduce`` is ``np.sum``);
* ``__array_function__`` (NEP 18) receives the other functions -- ``np.sum``,
  ``np.where``, ``np.reshape``, ``np.concatenate``, ``np.zeros_like`` ...

Each one becomes a kernel launch (the tables ``UFUNCS`` and ``FUNCTIONS``),
and the result is a new ``DeviceArray``: data stays on the device from one
operation to the next. So ``Dense.forward``'s ``inputs @ kernel + bias`` is two
launches, ``matmul_tiled`` then ``binary_add``, with no copy to the host.

**The array.** A ``DeviceArray`` is a :class:`~.device.Buffer` (one device allocation)
plus the same four facts NumPy keeps about any array: ``shape``, ``strides``
(here in elements, not bytes), an ``offset`` into the buffer, and ``dtype``.
Like NumPy, slicing, transposing, ``reshape`` of a contiguous array and
``broadcast_to`` only make a new *view* -- new strides over the same buffer. The
elementwise kernels read any strides (see the ``Layout`` in
``kernels/elementwise.cu``), so most views are never copied at all.

**One storage type.** Every element on the device is a float32. An array
still *says* it is ``bool`` or ``int64`` when NumPy would have made one (a
comparison, an ``argmax``), and stores those values as 0.0/1.0 or as whole
floats, exact up to :math:`2^{24}`. That keeps the kernel set small and lets
NumPy code that looks at ``dtype`` behave as usual. float64 arrays -- gradient
checks use them -- are never moved: :func:`to_device` leaves them in NumPy.

**What is not a kernel.** A function without a kernel here still works: its
``DeviceArray`` arguments are copied to the host, NumPy runs it, and the result
is a NumPy array (``_on_host``; an ``out=`` on the device is written back).
The next device operation that reads it uploads it. Each such fallback is counted in
:data:`fallbacks` by function name, and :func:`strict` turns them into errors,
which is how the tests show the training path of a model never leaves the GPU.
``np.asarray(device_array)`` also copies to the host (counted in
:data:`transfers`), and so do ``float(x)``, ``bool(x)`` and printing.

**The pages.** Each file is one step, and each imports only the ones before it:

* :mod:`.device` -- where kernels run: the runtime, a :class:`~.device.Buffer`,
  ``_launch``, the ``Layout`` struct, the counters and :func:`strict`;
* :mod:`.device_array` -- the ``DeviceArray`` class: its facts, views, the two
  protocol hooks, moving data on and off, and the kernels it needs itself;
* :mod:`.ufuncs` -- the NEP 13 table: elementwise kernels, ``matmul``, reductions;
* :mod:`.functions` -- the NEP 18 table: ``np.sum`` ... ``np.pad``, and indexing
  with arrays.

The hooks look the tables up; the tables register themselves when imported, and
this package imports them both, so ``from kerastutor.gpu import array`` is all a
caller needs.
"""
from .device import (EXACT_INTEGERS, MAX_RANK, Buffer, Layout, current_runtime, fallbacks,
                     is_strict, strict, synchronize, transfers, use_runtime)
from .device import _f32, _i32, _i64, _launch          # noqa: F401  (kerastutor.gpu.fused)
from .device_array import FUNCTIONS, UFUNCS, DeviceArray, full, storable, to_device, to_host
from .ufuncs import BINARY_KERNELS, REDUCE_UFUNCS, UNARY_KERNELS, matmul
from .functions import zeros

__all__ = ["DeviceArray", "Buffer", "Layout", "MAX_RANK", "EXACT_INTEGERS", "to_device",
           "to_host", "storable", "full", "zeros", "matmul", "synchronize", "strict",
           "is_strict", "use_runtime", "current_runtime", "fallbacks", "transfers",
           "UFUNCS", "FUNCTIONS", "UNARY_KERNELS", "BINARY_KERNELS", "REDUCE_UFUNCS"]
