r"""Convolution twice: as its definition (:func:`conv_naive`) and as one matrix product (im2col).

Every convolution layer of the library computes the *cross-correlation*
(the kernel is not flipped) of a zero-padded, channels_last input
:math:`\tilde x` with a kernel :math:`W` of shape
``kernel_size + (cin/groups, filters)``. For a sample :math:`n`, an output
position :math:`p` (``rank`` indices), a filter :math:`f`, strides :math:`s`
and dilation :math:`d`:

.. math::

    z_{n,p,f} = \sum_{k} \sum_{c=0}^{C_g-1}
        \tilde x_{n,\; s \odot p + d \odot k,\; g(f) C_g + c}\; W_{k,\,c,\,f},
    \qquad g(f) = \lfloor f / F_g \rfloor

where :math:`k` runs over the kernel offsets, :math:`C_g = cin/groups` and
:math:`F_g = filters/groups`: filter :math:`f` belongs to group
:math:`g(f)` and sees only that group's channels.

This module holds the two ways the library evaluates that sum:

* :func:`conv_naive` -- the formula itself, one vectorised term per kernel
  offset :math:`k`. It is slow and obviously right: the tests use it as the
  oracle for every layer, and the book shows it as the definition.
* :func:`im2col` and :func:`col2im` -- the same sum as one matrix product
  :math:`Z = P W`, where each row of the *patch matrix* :math:`P` is one
  window of :math:`\tilde x`, and its adjoint (for the backward pass and for
  the transposed convolution).

plus the geometry both share (:func:`conv_output_length`,
:func:`conv_padding`, :func:`conv_geometry`) and the speed-ups the layers use
beside them, each checked against the plain code in
``tests/layers/test_conv_speed_helpers.py``: one BLAS call per group
(:func:`grouped_matmul`), a patch matrix laid out for inputs with few
channels (:func:`im2col_few_channels`), and buffers kept from one call to
the next (:class:`Workspace`).
"""
import itertools
import sys
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from kerastutor import compiled


# ----------------------------------------------------------------- geometry
def conv_output_length(n, k, padding, stride, dilation):
    """Output length along one axis (Keras's ``compute_conv_output_shape``).

    ``valid``: :math:`\\lfloor (n - d(k-1) - 1)/s \\rfloor + 1`;
    ``same`` and ``causal``: :math:`\\lceil n / s \\rceil`.
    """
    if n is None:
        return None
    if padding == "valid":
        return (n - dilation * (k - 1) - 1) // stride + 1
    return (n - 1) // stride + 1


def conv_padding(n, k, padding, stride, dilation):
    """``(before, after)`` zero padding along one axis.

    ``same`` follows TF/XLA "SAME": the total padding is what makes
    ``ceil(n/s)`` outputs fit, and the odd extra pixel goes *after*
    (right/bottom). ``causal`` puts all of ``d(k-1)`` before.
    """
    extent = dilation * (k - 1) + 1
    if padding == "valid":
        return (0, 0)
    if padding == "causal":
        return (extent - 1, 0)
    out = (n - 1) // stride + 1
    total = max((out - 1) * stride + extent - n, 0)
    return (total // 2, total - total // 2)


def deconv_output_length(n, k, padding, output_padding, stride, dilation):
    r"""Output length of a transposed convolution along one axis (Keras's rule).

    With the dilated kernel extent :math:`k_d = d(k-1) + 1`:

    * no ``output_padding``: ``valid`` gives :math:`n s + \max(k_d - s, 0)`,
      ``same`` gives :math:`n s` (the inverse of a strided "same" conv);
    * with ``output_padding`` :math:`a`: ``valid`` gives
      :math:`(n-1)s + k_d + a`, ``same`` gives :math:`(n-1)s + (k_d \bmod 2) + a`.
    """
    if n is None:
        return None
    extent = dilation * (k - 1) + 1
    if output_padding is None:
        return n * stride + (max(extent - stride, 0) if padding == "valid" else 0)
    if padding == "valid":
        return (n - 1) * stride + extent + output_padding
    return (n - 1) * stride + extent % 2 + output_padding


def deconv_crop(k, padding, output_padding, stride, dilation):
    r"""How many leading positions of the full scatter the output skips, along one axis.

    The full scatter of ``n`` pixels covers :math:`(n-1)s + k_d` positions.
    ``valid`` keeps them from the start. ``same`` skips what the matching
    "same" convolution (output length :math:`m` back to :math:`n`) pads before
    its input, :math:`\lfloor \max((n-1)s + k_d - m,\, 0) / 2 \rfloor`. It is
    computed as Keras's backends do (JAX's padding rule: the dilated input gets
    :math:`\min(\lceil L/2 \rceil, k_d - 1)` zeros on the left of a total
    :math:`L`; the skip is :math:`k_d - 1` minus that), which needs no ``n``.
    """
    extent = dilation * (k - 1) + 1
    if padding == "valid":
        return 0
    if output_padding is None:
        total = stride + extent - 2
    else:
        total = extent + extent % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, extent - 1)
    return extent - 1 - left


class ConvGeometry(NamedTuple):
    """Where a convolution reads: per spatial axis, the padding and the output length."""

    pads: tuple    # ((before, after), ...)
    out: tuple     # (output length, ...)


def conv_geometry(spatial, kernel_size, strides, dilation_rate, padding):
    """:func:`conv_padding` and :func:`conv_output_length` along every spatial axis.

    An unknown length (``None``, as in a symbolic shape) gives ``None`` for both.
    """
    axes = list(zip(spatial, kernel_size, strides, dilation_rate))
    return ConvGeometry(pads=tuple(None if n is None else conv_padding(n, k, padding, s, d)
                                   for n, k, s, d in axes),
                        out=tuple(conv_output_length(n, k, padding, s, d)
                                  for n, k, s, d in axes))


def pad(x, pads):
    """Zero-pad the spatial axes of a channels_last ``x``: :math:`x \\to \\tilde x`."""
    if not any(any(p) for p in pads):
        return x
    return np.pad(x, [(0, 0)] + list(pads) + [(0, 0)])


def crop(xp, pads):
    """Cut ``pads = [(before, after), ...]`` off the spatial axes (channels_last)."""
    return xp[(slice(None),) + tuple(slice(b, size - a) for (b, a), size
                                     in zip(pads, xp.shape[1:-1]))]


def _reads(offset, strides, dilation_rate, out):
    """The slices of :math:`\\tilde x` that kernel offset ``k`` reads: :math:`s p + d k`."""
    return tuple(slice(d * k, d * k + s * (o - 1) + 1, s)
                 for k, s, d, o in zip(offset, strides, dilation_rate, out))


# ------------------------------------------------------ the definition
def conv_naive(x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1):
    r"""Convolution as its definition: the sum over kernel offsets, written out.

    ``x`` is channels_last ``(batch, *spatial, cin)``, ``kernel`` is
    ``kernel_size + (cin/groups, filters)`` (Keras's layout); the result is
    ``(batch, *out, filters)``, no bias:

    .. math::

        z_{n,p,f} = \sum_{k} \sum_{c=0}^{C_g-1}
            \tilde x_{n,\; s \odot p + d \odot k,\; g(f) C_g + c}\; W_{k,\,c,\,f}

    One term per kernel offset :math:`k`: the pixels
    :math:`\tilde x_{n, s p + d k}` for *all* samples and output positions
    are one strided slice, and the sum over :math:`c` within each group is
    one ``einsum``. Nothing is reused from :func:`im2col`, so the two can
    check each other.

    >>> x = np.arange(5.0).reshape(1, 5, 1)
    >>> conv_naive(x, np.ones((3, 1, 1)), padding="causal")[0, :, 0]
    array([0., 1., 3., 6., 9.])
    """
    rank = x.ndim - 2
    kernel_size = kernel.shape[:rank]
    strides, dilation_rate = _per_axis(strides, rank), _per_axis(dilation_rate, rank)
    pads, out = conv_geometry(x.shape[1:-1], kernel_size, strides, dilation_rate, padding)
    xp = pad(x, pads)
    cin, filters = x.shape[-1], kernel.shape[-1]
    cg, fg = cin // groups, filters // groups
    z = np.zeros((x.shape[0],) + out + (groups, fg), dtype=np.result_type(x, kernel))
    for k in itertools.product(*(range(size) for size in kernel_size)):
        window = xp[(slice(None),) + _reads(k, strides, dilation_rate, out)]  # x~[n, sp+dk, :]
        window = window.reshape(window.shape[:-1] + (groups, cg))             # channels by group
        w_k = kernel[k].reshape(cg, groups, fg)                              # W[k, c, f] by group
        z += np.einsum("...gc,cgf->...gf", window, w_k)                      # sum over c
    return z.reshape(z.shape[:-2] + (filters,))


def _per_axis(value, rank):
    return (value,) * rank if np.ndim(value) == 0 else tuple(value)


# ------------------------------------------------------- im2col and col2im
def im2col(xp, kernel_size, strides, dilation_rate, out, groups=1, into=None):
    """The patch matrix of a padded channels_last input ``xp``.

    Returns ``(groups, n * prod(out), prod(kernel_size) * cin/groups)``: one
    row per (sample, output position), holding the window
    :math:`\\tilde x_{n,\\, s p + d k,\\, c}` ordered by kernel offset ``k``,
    then channel ``c`` (the order of a Keras kernel reshaped to a matrix).
    ``into`` (optional, that shape, rows may be strided) receives it.
    """
    rank, n, cin = len(kernel_size), xp.shape[0], xp.shape[-1]
    # windows: (n, *positions, cin, *extent), a view; keep every s-th position
    # and every d-th pixel of each window (dilation)
    extents = [d * (k - 1) + 1 for k, d in zip(kernel_size, dilation_rate)]
    view = sliding_window_view(xp, extents, axis=tuple(range(1, rank + 1)))
    view = view[(slice(None),)
                + tuple(slice(0, s * (o - 1) + 1, s) for s, o in zip(strides, out))
                + (slice(None),)
                + tuple(slice(None, None, d) for d in dilation_rate)]
    # one copy into (groups, n, *positions, *offsets, cin/g)
    view = view.reshape(view.shape[:rank + 1] + (groups, cin // groups)
                        + view.shape[rank + 2:])
    order = ((rank + 1,) + tuple(range(rank + 1))
             + tuple(range(rank + 3, 2 * rank + 3)) + (rank + 2,))
    windows = view.transpose(order)
    if into is not None:
        np.copyto(np.reshape(into, windows.shape, copy=False), windows)
        return into
    rows = n * int(np.prod(out))
    return windows.copy().reshape(groups, rows, -1)                 # .copy(): C order


def im2col_few_channels(xp, kernel_size, strides, dilation_rate, out, groups=1, into=None):
    r""":func:`im2col`'s patch matrix laid out for an input with few channels (a speed-up).

    The values are :func:`im2col`'s, ``(groups, n * prod(out), prod(kernel_size) *
    cin/groups)``, but returned as the transposed view of a C-ordered array
    ``(groups, prod(kernel_size) * cin/groups, n * prod(out))``: one contiguous
    row per (kernel offset, channel), copied from one strided slice of
    :math:`\tilde x` (the same slices :func:`conv_naive` reads).

    What it saves: with one channel (MNIST) :func:`im2col`'s single copy moves
    nine floats at a time; this one moves whole image rows. 1.5 ms -> 0.3 ms a
    batch for the MNIST CNN's 128x28x28x1 input, 1.1 ms -> 0.8 ms for CIFAR-10's
    64x32x32x3 (one core; ``benchmarks/bench_training.py cnn cifar``). BLAS
    multiplies the transposed view as it is, and the kernel gradient's
    :math:`P^\top` becomes C-ordered. With many channels a row would gather
    every ``cin``-th float, so :func:`im2col` stays the better layout there.
    ``into`` (optional) is the C-ordered :math:`P^\top`, ``(groups, prod(kernel_size) *
    cin/groups, n * prod(out))``, that receives it (the groups may be strided).
    """
    n, cin = xp.shape[0], xp.shape[-1]
    window, rows = int(np.prod(kernel_size)), n * int(np.prod(out))
    if into is None:
        into = np.empty_like(xp, shape=(groups, window * (cin // groups), rows))
    columns = np.reshape(into, (groups, window, cin // groups, n) + tuple(out), copy=False)
    for i, offset in enumerate(itertools.product(*(range(k) for k in kernel_size))):
        pixels = xp[(slice(None),) + _reads(offset, strides, dilation_rate, out)]
        pixels = pixels.reshape(pixels.shape[:-1] + (groups, cin // groups))  # (n, *out, g, c)
        columns[:, i] = np.moveaxis(pixels, (-2, -1), (0, 1))                 # (g, c, n, *out)
    return into.transpose(0, 2, 1)


def col2im(dpatches, padded_shape, kernel_size, strides, dilation_rate, out, groups=1,
           into=None):
    """The adjoint of :func:`im2col`: add every patch row back where it was read.

    ``dpatches`` is ``(groups, n * prod(out), prod(kernel_size) * cin/groups)``;
    the result has ``padded_shape`` (channels_last). Overlapping windows add
    up: one vectorised ``+=`` per kernel offset, no loop over pixels.
    ``into`` (optional, C-ordered, ``padded_shape``) is zeroed and receives it.
    """
    rank, n, cin = len(kernel_size), padded_shape[0], padded_shape[-1]
    dpatches = dpatches.reshape((groups, n) + tuple(out) + tuple(kernel_size)
                                + (cin // groups,))
    grouped_shape = tuple(padded_shape[:-1]) + (groups, cin // groups)
    if into is None:
        dxp = np.zeros_like(dpatches, shape=grouped_shape)
    else:
        dxp = into.reshape(grouped_shape)
        if rank == 2 and groups == 1 and compiled.col2im_2d(
                dpatches[0], _per_axis(strides, rank), _per_axis(dilation_rate, rank), into):
            return into                                # the fast extra: a sample at a time
        dxp.fill(0)
    for offset in itertools.product(*(range(k) for k in kernel_size)):
        where = (slice(None),) + _reads(offset, strides, dilation_rate, out)
        piece = dpatches[(slice(None), slice(None)) + (slice(None),) * rank + offset]
        dxp[where] += np.moveaxis(piece, 0, -2)        # (n, *out, g, cin/g)
    return dxp.reshape(padded_shape)


# ------------------------------------------------- the groups adapter
# A grouped convolution is ``groups`` independent ones side by side. The
# layers keep every array with a leading group axis -- patches
# ``(g, rows, window*cin/g)``, kernel ``(g, window*cin/g, filters/g)`` -- and
# these helpers convert at the two ends.
def kernel_as_groups(w, groups):
    """A ``(*kernel_size, cin/g, filters)`` kernel as ``(g, window * cin/g, filters/g)``."""
    window = int(np.prod(w.shape[:-2]))
    cg, filters = w.shape[-2:]
    w = w.reshape(window, cg, groups, filters // groups)      # split filters by group
    return w.transpose(2, 0, 1, 3).reshape(groups, window * cg, filters // groups)


def groups_as_kernel(wg, shape):
    """The inverse of :func:`kernel_as_groups`: back to ``shape = (*k, cin/g, filters)``."""
    groups, cg = wg.shape[0], shape[-2]
    wg = wg.reshape(groups, -1, cg, wg.shape[-1]).transpose(1, 2, 0, 3)
    return wg.reshape(shape)


def split_groups(dz, groups):
    """``(rows, filters)`` as ``(groups, rows, filters/groups)`` (filters are group-major)."""
    return dz.reshape(dz.shape[0], groups, -1).transpose(1, 0, 2)


def merge_groups(zg):
    """The inverse of :func:`split_groups`: ``(g, rows, f/g)`` back to ``(rows, f)``."""
    return zg.transpose(1, 0, 2).reshape(zg.shape[1], -1)


def grouped_matmul(a, b, out=None):
    """``a[g] @ b[g]`` for every group ``g``, one 2-D BLAS call each (the fast path).

    ``np.matmul`` on stacks whose matrices are transposed views (``P^T``,
    ``W^T`` in the backward pass) can fall back to a slow loop that bypasses
    BLAS; 2-D products of (transposed) views always go to BLAS, which handles
    the transposition itself. With one group this is exactly one product.
    ``out`` (``(groups, M, N)``, optional) receives the products.
    """
    if out is not None:
        for a_g, b_g, out_g in zip(a, b, out):
            np.matmul(a_g, b_g, out=out_g)
        return out
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return np.stack([a_g @ b_g for a_g, b_g in zip(a, b)])


# ------------------------------------------------------ reused buffers
class Workspace:
    """Big arrays a layer makes on every call, kept for the next call (a speed-up).

    A convolution or pooling layer makes arrays of the same few shapes at
    every step: its output, the gradient it hands back, temporaries of its
    backward pass. Fresh arrays of that size come from the operating system
    page by page -- zero-filled, each page first touched in a *page fault*
    -- and on the 2-core build machine those faults cost about 20% of the
    MNIST CNN's training step (38 ms -> 30 ms a batch with no faults at all,
    measured with glibc told to keep its freed memory). A workspace hands
    out the array of the previous call again, *when nobody else holds it*:
    a tape that still caches it, a caller that kept the output, or any view
    of it keeps a reference, and then a fresh array is made instead. So the
    reuse never changes a number anyone can see.

    Only NumPy arrays are kept (a device array's views do not reference
    it, so "nobody holds it" cannot be checked); other arrays are made
    fresh every time. The price: each layer keeps its last arrays alive
    between calls.
    """

    def __init__(self):
        self._arrays = {}

    def empty(self, purpose, like, shape, dtype=None):
        """An uninitialised array of ``shape`` made where ``like`` lives, for ``purpose``."""
        dtype = np.dtype(like.dtype if dtype is None else dtype)
        if type(like) is not np.ndarray:
            return np.empty_like(like, shape=shape, dtype=dtype)
        key = (purpose, tuple(shape), dtype)
        if key in self._arrays and self._held_only_here(key):
            return self._arrays[key]
        self._arrays[key] = np.empty(shape, dtype)
        return self._arrays[key]

    def _held_only_here(self, key):
        return self._references(key) == _UNSHARED

    def _references(self, key):
        return sys.getrefcount(self._arrays[key])

    # a copied or pickled layer starts with no buffers
    def __deepcopy__(self, memo):
        return Workspace()

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self._arrays = {}


def _references_when_unshared():
    """What :meth:`Workspace._references` counts for an array nobody else holds.

    Measured once, through the same method: besides the workspace's own
    reference ``sys.getrefcount`` sees the interpreter's temporary ones, and
    how many of those there are depends on the Python version.
    """
    probe = Workspace()
    probe._arrays["probe"] = np.empty(1)
    return probe._references("probe")


_UNSHARED = _references_when_unshared()
