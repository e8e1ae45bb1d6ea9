r"""Merging layers: combine a *list* of tensors into one.

``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum`` and ``Minimum``
work elementwise; ``Concatenate`` joins along an axis; ``Dot`` takes a
per-sample dot product. Each takes a list of inputs in ``forward`` and
returns a list of gradients, one per input, from ``backward``.

**Broadcasting, as Keras allows it.** Elementwise merges accept inputs whose
shapes broadcast: trailing axes of size 1 stretch (NumPy's rule), and an
input of lower rank gets new axes of size 1 inserted *right after the batch
axis* (Keras's rule: ``(N, 4)`` with ``(N, 3, 4)`` is read as ``(N, 1, 4)``).
On the way back, the gradient of an input that was stretched is summed over
the stretched axes, so it has the input's shape again:

.. math::

    \frac{\partial L}{\partial x_i} = \operatorname{unbroadcast}_{x_i}
    \Big(\frac{\partial L}{\partial y} \odot \frac{\partial y}{\partial x_i}\Big).

**Masks, as Keras 3 combines them.** When the inputs carry masks (after
``Embedding(mask_zero=True)`` or ``Masking``), a step is real in the output
if it is real in *any* input; if one input has no mask, the output has none
(``Concatenate`` joins the masks along its axis instead, an unmasked input
counting as all real; ``Dot`` drops them). ``Add``, ``Subtract`` and
``Average`` leave the values alone; ``Maximum``, ``Minimum`` and
``Multiply`` keep a padded step of one input out of the result (see each).

Each layer also has a functional form (``add([a, b])`` is
``Add()([a, b])``).
"""
import numpy as np

from kerastutor import backend
from kerastutor.layers.base import Layer, format_shape


# ----------------------------------------------------------------- helpers
def _aligned(x, rank):
    """``x`` with axes of size 1 inserted after the batch axis up to ``rank`` (a view)."""
    missing = rank - x.ndim
    if missing <= 0:
        return x
    return x.reshape(x.shape[:1] + (1,) * missing + x.shape[1:])


def _unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape`` (the reverse of broadcasting, Keras's rank rule)."""
    rank = grad.ndim
    aligned = shape[:1] + (1,) * (rank - len(shape)) + tuple(shape[1:])
    axes = tuple(i for i, (g, s) in enumerate(zip(grad.shape, aligned)) if s == 1 and g != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def _input_masks(inputs, mask, rank):
    """Each input's mask stretched over the input's shape and aligned like it (a
    ``(N, T)`` mask covers every feature of step ``t``); ``None`` where an input has none,
    and ``None`` for the whole list when no input has a mask."""
    if mask is None:
        return None
    if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
        raise ValueError(f"A merging layer takes one mask per input (a list of {len(inputs)}, "
                         f"None for an unmasked input), got {mask!r}.")
    if all(m is None for m in mask):
        return None
    full = []
    for x, m in zip(inputs, mask):
        if m is not None:
            m = backend.asarray(m).astype(bool)
            m = np.broadcast_to(m.reshape(m.shape + (1,) * (x.ndim - m.ndim)), x.shape)
            m = _aligned(m, rank)
        full.append(m)
    return full


def _shapes_text(shapes):
    return "[" + ", ".join(format_shape(s) for s in shapes) + "]"


# --------------------------------------------------------------- the base
class Merge(Layer):
    r"""Base class of the elementwise merging layers.

    Subclasses write ``_merge(xs) -> (y, cache)`` and
    ``_merge_backward(xs, cache, grad_out) -> [dL/dx_i]`` on inputs already
    aligned to one rank; this class does the list checks, the rank alignment
    and the un-broadcasting of the gradients.
    """

    min_inputs = 1
    max_inputs = None
    takes_a_list = True

    def compute_mask(self, inputs, mask=None):
        r"""The output's mask: real where *any* input is real, :math:`m = \bigvee_i m_i`;
        none at all when some input has no mask (Keras 3's rule)."""
        if mask is None or any(m is None for m in mask):
            return None
        return np.logical_or.reduce([backend.asarray(m).astype(bool) for m in mask])

    def _check_list(self, inputs, what="inputs"):
        shapes = what == "input shapes"
        if not isinstance(inputs, (list, tuple)) or (
                shapes and not all(isinstance(s, (list, tuple)) for s in inputs)):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) should be called on a list of '
                f"{what}, but received a single {what[:-1]} "
                f"{inputs if shapes else getattr(inputs, 'shape', inputs)!r}. Hint: wrap "
                "them in a list, e.g. "
                f"{type(self).__name__}()([x1, x2]).")
        count = len(inputs)
        if count < self.min_inputs or (self.max_inputs is not None
                                       and count > self.max_inputs):
            expected = (f"exactly {self.min_inputs}" if self.min_inputs == self.max_inputs
                        else f"at least {self.min_inputs}")
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) should be called on '
                f"{expected} inputs, but received {count}.")

    def _output_shape(self, input_shapes):
        """Broadcast the per-sample shapes (Keras's rule); raise if they cannot."""
        rank = max(len(s) for s in input_shapes)
        aligned = [tuple(s[:1]) + (1,) * (rank - len(s)) + tuple(s[1:]) for s in input_shapes]
        out = list(aligned[0])
        for shape in aligned[1:]:
            for axis in range(1, rank):
                a, b = out[axis], shape[axis]
                if a is None or b is None:
                    out[axis] = None
                elif a == 1:
                    out[axis] = b
                elif b != 1 and a != b:
                    raise ValueError(
                        f'Layer "{self.name}" ({type(self).__name__}): inputs have '
                        f"incompatible shapes {_shapes_text(input_shapes)}: axis {axis} "
                        f"has sizes {a} and {b}. Hint: elementwise merges need equal "
                        "shapes (or sizes of 1 that broadcast); use Concatenate to "
                        "join tensors of different sizes.")
        batches = {s[0] for s in input_shapes if s[0] is not None}
        if len(batches) > 1:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}): cannot merge tensors with '
                f"different batch sizes {_shapes_text(input_shapes)}.")
        out[0] = batches.pop() if batches else None
        return tuple(out)

    def build(self, input_shape):
        self._check_list(input_shape, "input shapes")
        self._output_shape([tuple(s) for s in input_shape])
        self.built = True

    def forward(self, x, training=False, mask=None):
        self._check_list(x)
        rank = max(a.ndim for a in x)
        xs = [_aligned(a, rank) for a in x]
        masks = _input_masks(x, mask, rank)
        y, cache = self._merge(xs) if masks is None else self._merge_masked(xs, masks)
        return y, ([a.shape for a in x], xs, cache)

    def backward(self, cache, grad_out):
        shapes, xs, merge_cache = cache
        grads = self._merge_backward(xs, merge_cache, grad_out)
        return [_unbroadcast(g, s) for g, s in zip(grads, shapes)]

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape, "input shapes")
        return self._output_shape([tuple(s) for s in input_shape])

    def _merge(self, xs):
        raise NotImplementedError

    def _merge_masked(self, xs, masks):
        """The merge of masked inputs; by default the mask changes only the output's mask."""
        return self._merge(xs)

    def _merge_backward(self, xs, cache, grad_out):
        raise NotImplementedError


def _broadcast_all(xs, grad_out):
    """A full-size copy of ``grad_out`` per input (un-broadcast later)."""
    return [np.array(grad_out, copy=True) for _ in xs]


class Add(Merge):
    r"""Sum of the inputs.

    .. math::

        y = \sum_i x_i, \qquad
        \frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial y}

    (each input receives the whole upstream gradient, summed over any axes
    it was broadcast along).
    """

    def _merge(self, xs):
        y = xs[0] + xs[1] if len(xs) > 1 else np.array(xs[0], copy=True)
        for x in xs[2:]:
            y += x
        return y, None

    def _merge_backward(self, xs, cache, grad_out):
        return _broadcast_all(xs, grad_out)


class Subtract(Merge):
    r"""Difference of exactly two inputs.

    .. math::

        y = x_1 - x_2, \qquad
        \frac{\partial L}{\partial x_1} = \frac{\partial L}{\partial y}, \qquad
        \frac{\partial L}{\partial x_2} = -\frac{\partial L}{\partial y}
    """

    min_inputs = max_inputs = 2

    def _merge(self, xs):
        return xs[0] - xs[1], None

    def _merge_backward(self, xs, cache, grad_out):
        return [np.array(grad_out, copy=True), -grad_out]


class Multiply(Merge):
    r"""Elementwise product of the inputs.

    .. math::

        y = \prod_i x_i, \qquad
        \frac{\partial L}{\partial x_i} = \frac{\partial L}{\partial y}
        \odot \prod_{j \ne i} x_j

    The product of the *other* inputs is formed directly (not as
    :math:`y / x_i`), so zeros in an input are no problem.

    **Masks** (Keras 3): a padded step of an input counts as 1, so it leaves
    the product alone, :math:`\tilde x_i = m_i x_i + (1 - m_i)`; when every
    input has a mask, steps padded in all of them are 0:

    .. math::

        y = z \prod_i \tilde x_i, \quad z = \bigvee_i m_i, \qquad
        \frac{\partial L}{\partial x_i} = m_i\, z\, \frac{\partial L}{\partial y}
        \odot \prod_{j \ne i} \tilde x_j

    (:math:`z = 1` when some input has no mask, :math:`m_i = 1` for it).
    """

    def _merge(self, xs):
        y = xs[0] * xs[1] if len(xs) > 1 else np.array(xs[0], copy=True)
        for x in xs[2:]:
            y = y * x
        return y, None

    def _merge_masked(self, xs, masks):
        ones_where_padded = [x if m is None else np.where(m, x, np.ones_like(x))
                             for x, m in zip(xs, masks)]                  # x~_i
        y, _ = self._merge(ones_where_padded)
        z = None if any(m is None for m in masks) else np.logical_or.reduce(masks)
        if z is not None:
            y = np.where(z, y, np.zeros_like(y))                          # padded everywhere: 0
        return y, (ones_where_padded, masks, z)

    def _merge_backward(self, xs, cache, grad_out):
        if cache is not None:                              # masked: the rule with x~ and z
            ones_where_padded, masks, z = cache
            if z is not None:
                grad_out = np.where(z, grad_out, np.zeros_like(grad_out))
            grads = self._merge_backward(ones_where_padded, None, grad_out)
            return [g if m is None else np.where(m, g, np.zeros_like(g))    # dx~_i/dx_i = m_i
                    for g, m in zip(grads, masks)]
        grads = []
        for i in range(len(xs)):
            g = np.array(grad_out, copy=True)
            for j, x in enumerate(xs):
                if j != i:
                    g = g * x                         # dL/dy * prod_{j != i} x_j
            grads.append(g)
        return grads


class Average(Merge):
    r"""Mean of the inputs.

    .. math::

        y = \frac{1}{n} \sum_{i=1}^{n} x_i, \qquad
        \frac{\partial L}{\partial x_i} = \frac{1}{n}\frac{\partial L}{\partial y}
    """

    def _merge(self, xs):
        y = xs[0] + xs[1] if len(xs) > 1 else np.array(xs[0], copy=True)
        for x in xs[2:]:
            y += x
        y /= len(xs)
        return y, None

    def _merge_backward(self, xs, cache, grad_out):
        return [grad_out / len(xs) for _ in xs]


class _Extremum(Merge):
    """Shared code of Maximum and Minimum: the gradient goes to the winning input."""

    has_kinks = True
    _pick = None   # np.argmax or np.argmin
    _beats = None  # np.greater or np.less: does a new value win over the old one?

    def _merge(self, xs):
        shape = np.broadcast_shapes(*[x.shape for x in xs])
        stacked = np.stack([np.broadcast_to(x, shape) for x in xs])
        winner = type(self)._pick(stacked, axis=0)  # first winner on ties, as Keras
        y = np.take_along_axis(stacked, winner[None], axis=0)[0]
        return y, winner

    def _merge_masked(self, xs, masks):
        """Keras 3's pairwise rule: a padded step of the next input copies the result so
        far, and a result padded so far takes the next input's value; then the two meet.
        ``source`` records which input each output value comes from."""
        shape = np.broadcast_shapes(*[x.shape for x in xs])
        stacked = np.stack([np.broadcast_to(x, shape) for x in xs])
        source = np.zeros(shape, dtype=np.intp)          # the result so far is x_0
        real_so_far = masks[0]
        for i in range(1, len(xs)):
            incoming = np.full(shape, i, dtype=np.intp)
            if masks[i] is not None:                     # a padded x_i copies the result
                incoming = np.where(masks[i], incoming, source)
            if real_so_far is not None:                # a padded result takes x_i
                source = np.where(real_so_far, source, incoming)
            real_so_far = (None if real_so_far is None or masks[i] is None
                             else real_so_far | masks[i])
            wins = self._beats(_value_of(stacked, incoming), _value_of(stacked, source))
            source = np.where(wins, incoming, source)    # ties keep the earlier input
        return _value_of(stacked, source), source

    def _merge_backward(self, xs, cache, grad_out):
        winner = cache
        return [np.where(winner == i, grad_out, 0).astype(grad_out.dtype, copy=False)
                for i in range(len(xs))]


def _value_of(stacked, index):
    """``stacked[index[...], ...]``: at each position, the value of input ``index``."""
    return np.take_along_axis(stacked, index[None], axis=0)[0]


class Maximum(_Extremum):
    r"""Elementwise maximum of the inputs.

    .. math::

        y = \max_i x_i, \qquad
        \frac{\partial L}{\partial x_i} = [\,i = \operatorname{argmax}_j x_j\,]
        \frac{\partial L}{\partial y}

    The gradient flows only into the input that won at each position (the
    first one on ties, as Keras's pairwise ``maximum`` does).

    **Masks** (Keras 3): inputs are met pairwise, left to right; a padded step
    of the next input is replaced by the result so far (so it cannot win),
    and a result padded in every input so far by the next input's value. The
    gradient still goes to the one input whose value is the output.
    """

    _pick = staticmethod(np.argmax)
    _beats = staticmethod(np.greater)


class Minimum(_Extremum):
    r"""Elementwise minimum of the inputs.

    .. math::

        y = \min_i x_i, \qquad
        \frac{\partial L}{\partial x_i} = [\,i = \operatorname{argmin}_j x_j\,]
        \frac{\partial L}{\partial y}

    With masks, as :class:`Maximum` (a padded step cannot win).
    """

    _pick = staticmethod(np.argmin)
    _beats = staticmethod(np.less)


class Concatenate(Merge):
    r"""Joins the inputs along ``axis`` (every other axis must match).

    .. math::

        y = [x_1, x_2, \dots, x_n]_{\text{axis}}, \qquad
        \frac{\partial L}{\partial x_i} = \Big(\frac{\partial L}{\partial y}\Big)
        _{\,o_i \le k < o_i + d_i \text{ along axis}}

    where :math:`o_i` is where input :math:`i` starts along the axis and
    :math:`d_i` its size: backward cuts the gradient back into pieces.

    Parameters
    ----------
    axis : int
        Axis to concatenate along (default ``-1``, the features).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise ValueError(f"Concatenate: `axis` must be an integer such as -1, got {axis!r}.")
        self.axis = int(axis)

    def _output_shape(self, input_shapes):
        ranks = {len(s) for s in input_shapes}
        if len(ranks) != 1:
            raise ValueError(
                f'Layer "{self.name}" (Concatenate) requires inputs of the same rank, got '
                f"{_shapes_text(input_shapes)}. Hint: add a Reshape layer so the ranks match.")
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(
                f'Layer "{self.name}" (Concatenate): axis={self.axis} is out of range for '
                f"inputs of rank {rank} {_shapes_text(input_shapes)}.")
        axis = self.axis % rank
        out = list(input_shapes[0])
        for shape in input_shapes[1:]:
            for i in range(rank):
                if i == axis:
                    out[i] = None if out[i] is None or shape[i] is None else out[i] + shape[i]
                elif out[i] is None:
                    out[i] = shape[i]
                elif shape[i] is not None and shape[i] != out[i]:
                    raise ValueError(
                        f'Layer "{self.name}" (Concatenate) requires inputs with matching '
                        f"shapes except for the concatenation axis {self.axis}, got "
                        f"{_shapes_text(input_shapes)} (axis {i} differs). Hint: check "
                        "the `axis` argument; the default -1 joins the feature axes.")
        return tuple(out)

    def compute_mask(self, inputs, mask=None):
        """The masks joined like the inputs (Keras 3): each is stretched over its input's
        features (all real for an unmasked input), concatenated along ``axis``, and a step
        of the output is real where any of its features is."""
        if mask is None or all(m is None for m in mask):
            return None
        full = []
        for x, m in zip(inputs, mask):
            if m is None:
                m = np.ones_like(x, dtype=bool)
            else:
                m = backend.asarray(m).astype(bool)
                if m.ndim < x.ndim:
                    m = np.broadcast_to(m[..., None], x.shape)
            full.append(m)
        return np.concatenate(full, axis=self.axis).any(axis=-1)

    def forward(self, x, training=False):
        self._check_list(x)
        if len({a.ndim for a in x}) != 1:
            self._output_shape([a.shape for a in x])        # raises the readable error
        y = np.concatenate(x, axis=self.axis)
        sizes = [a.shape[self.axis] for a in x]
        return y, np.cumsum(sizes)[:-1]

    def backward(self, cache, grad_out):
        return np.split(grad_out, cache, axis=self.axis)    # the pieces, in order

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class Dot(Merge):
    r"""Per-sample dot product of two inputs along ``axes``.

    For each sample :math:`b`, with :math:`a_1, a_2` the contracted axes,

    .. math::

        y_{b, p, q} = \sum_k \hat x_{1,\,b, p, k}\, \hat x_{2,\,b, k, q}

    where :math:`p` runs over the other axes of :math:`x_1` and :math:`q`
    over the other axes of :math:`x_2` (in order), and
    :math:`\hat x = x` or, with ``normalize=True``, the L2-normalised
    :math:`\hat x = x / \max(\lVert x \rVert_{a}, \epsilon)` (so ``y`` is the
    cosine similarity). With both inputs of shape ``(N, d)`` the result has
    shape ``(N, 1)``.

    **Backward.** Writing :math:`X_1` as a ``(P, K)`` and :math:`X_2` as a
    ``(K, Q)`` matrix per sample and :math:`G = \partial L/\partial y`,

    .. math::

        \frac{\partial L}{\partial \hat X_1} = G X_2^\top, \qquad
        \frac{\partial L}{\partial \hat X_2} = X_1^\top G,

    and through the normalisation, with :math:`g = \partial L/\partial \hat x`,

    .. math::

        \frac{\partial L}{\partial x} = \frac{g - \hat x\,\langle g, \hat x\rangle_a}
        {\lVert x \rVert_a}
        \quad\Big(\text{or } \frac{g}{\epsilon}\text{ where the norm is below } \epsilon\Big).

    Parameters
    ----------
    axes : int or (int, int)
        Axis of each input to contract (the batch axis 0 is not allowed).
    normalize : bool
        L2-normalise each input along its axis first.
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(isinstance(a, (int, np.integer))
                                         and not isinstance(a, bool) for a in axes):
                raise ValueError(f"Dot: `axes` must be an integer or a list of two integers "
                                 f"(one axis per input), got {axes!r}.")
            axes = [int(a) for a in axes]
        elif not isinstance(axes, (int, np.integer)) or isinstance(axes, bool):
            raise TypeError(f"Dot: `axes` must be an integer or a list of two integers, "
                            f"got {axes!r}.")
        else:
            axes = int(axes)
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolve_axes(self, ranks):
        axes = [self.axes, self.axes] if isinstance(self.axes, int) else list(self.axes)
        resolved = []
        for axis, rank in zip(axes, ranks):
            if rank < 2:
                raise ValueError(
                    f'Layer "{self.name}" (Dot) needs inputs of rank >= 2 (batch, ...), got '
                    f"rank {rank}.")
            if not -rank <= axis < rank:
                raise ValueError(f'Layer "{self.name}" (Dot): axis {axis} is out of range '
                                 f"for an input of rank {rank}.")
            axis %= rank
            if axis == 0:
                raise ValueError(
                    f'Layer "{self.name}" (Dot): cannot take the dot product over the batch '
                    "axis 0. Hint: axes count the batch axis, so the first feature axis is 1.")
            resolved.append(axis)
        return resolved

    def _output_shape(self, input_shapes):
        s1, s2 = (list(s) for s in input_shapes)
        a1, a2 = self._resolve_axes([len(s1), len(s2)])
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError(
                f'Layer "{self.name}" (Dot): incompatible input shapes '
                f"{_shapes_text(input_shapes)}: axis {a1} of the first has size {s1[a1]} "
                f"but axis {a2} of the second has size {s2[a2]}. Hint: `axes` names the "
                "axis of each input that is summed over; their sizes must be equal.")
        batch = s1[0] if s1[0] is not None else s2[0]
        out = [batch] + [d for i, d in enumerate(s1) if i not in (0, a1)] + \
            [d for i, d in enumerate(s2) if i not in (0, a2)]
        return tuple(out) if len(out) > 1 else (batch, 1)

    @staticmethod
    def _l2_normalize(x, axis):
        eps = backend.epsilon()
        norm = np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
        denom = np.maximum(norm, eps)
        return x / denom, (norm, denom)

    @staticmethod
    def _l2_normalize_backward(x_hat, stats, axis, grad):
        norm, denom = stats
        eps = backend.epsilon()
        along = np.sum(grad * x_hat, axis=axis, keepdims=True)
        # where the norm is clipped at eps, x_hat = x / eps is linear in x
        return np.where(norm > eps, grad - x_hat * along, grad) / denom

    def compute_mask(self, inputs, mask=None):
        """No mask: the contracted axis may be the time axis (as Keras)."""
        return None

    def forward(self, x, training=False):
        self._check_list(x)
        self._output_shape([a.shape for a in x])
        a1, a2 = self._resolve_axes([x[0].ndim, x[1].ndim])
        x1, x2 = x
        stats = None
        if self.normalize:
            (x1, s1), (x2, s2) = self._l2_normalize(x1, a1), self._l2_normalize(x2, a2)
            stats = (s1, s2)
        m1 = np.moveaxis(x1, a1, -1)                       # (N, p..., K)
        m2 = np.moveaxis(x2, a2, 1)                        # (N, K, q...)
        n, k = m1.shape[0], m1.shape[-1]
        p_shape, q_shape = m1.shape[1:-1], m2.shape[2:]
        X1 = m1.reshape(n, -1, k)                          # (N, P, K)
        X2 = m2.reshape(n, k, -1)                          # (N, K, Q)
        y = X1 @ X2                                        # (N, P, Q)
        y = y.reshape((n,) + p_shape + q_shape)
        if y.ndim == 1:
            y = y.reshape(n, 1)
        return y, (x1, x2, X1, X2, m1.shape, m2.shape, a1, a2, stats)

    def backward(self, cache, grad_out):
        x1, x2, X1, X2, shape1, shape2, a1, a2, stats = cache
        G = grad_out.reshape(X1.shape[0], X1.shape[1], X2.shape[2])
        d1 = G @ np.swapaxes(X2, 1, 2)                     # dL/dX1 = G X2^T
        d2 = np.swapaxes(X1, 1, 2) @ G                     # dL/dX2 = X1^T G
        d1 = np.moveaxis(d1.reshape(shape1), -1, a1)
        d2 = np.moveaxis(d2.reshape(shape2), 1, a2)
        if self.normalize:
            d1 = self._l2_normalize_backward(x1, stats[0], a1, d1)
            d2 = self._l2_normalize_backward(x2, stats[1], a2, d2)
        return [d1, d2]

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


# ------------------------------------------------------- functional forms
def _functional_form(layer_class, result):
    """Keras's function beside a merging layer: ``name(inputs, **kwargs)`` builds
    ``LayerClass(**kwargs)`` and calls it on ``inputs`` at once."""
    def merge(inputs, **kwargs):
        return layer_class(**kwargs)(inputs)
    merge.__name__ = merge.__qualname__ = layer_class.__name__.lower()
    merge.__doc__ = f"``{layer_class.__name__}(**kwargs)(inputs)``: {result}"
    return merge


add = _functional_form(Add, "the sum of a list of tensors.")
subtract = _functional_form(Subtract, "``inputs[0] - inputs[1]``.")
multiply = _functional_form(Multiply, "the elementwise product of a list of tensors.")
average = _functional_form(Average, "the elementwise mean of a list of tensors.")
maximum = _functional_form(Maximum, "the elementwise maximum of a list of tensors.")
minimum = _functional_form(Minimum, "the elementwise minimum of a list of tensors.")


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``: join a list of tensors along ``axis``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``: per-sample dot product of two tensors."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
