r"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax.

``Activation("relu")`` already turns any activation function into a layer.
These classes are the ones Keras exports under their own names, with the
options as constructor arguments (``ReLU(max_value=6.0)``,
``LeakyReLU(negative_slope=0.1)``, ``Softmax(axis=1)``).

Four of them hold no weights: their ``forward`` and ``backward`` are the
formulas of :mod:`kerastutor.activations`, reused, not written again. The
fifth, :class:`PReLU`, *learns* its negative slope, one number per input
position (or per channel, with ``shared_axes``), so it writes out its own
derivative with respect to that weight.
"""
import numpy as np

from kerastutor import activations, backend, constraints, initializers, regularizers
from kerastutor.layers.base import InputSpec, Layer, format_shape, weight_settings
from kerastutor.layers.core import Activation


# ------------------------------------------------------------------ helpers
def _checked_number(layer, argument, value, minimum=None, hint=""):
    """``value`` as a float, or a ValueError naming the layer, the argument and a hint."""
    owner = f'Layer "{layer.name}" ({type(layer).__name__})'
    try:
        return activations._real(owner, argument, value, minimum=minimum)
    except ValueError as err:
        raise ValueError(f"{err} Hint: {hint}" if hint else str(err)) from None


def _large_negative_number(dtype):
    """What Keras adds to masked logits: -1e9, or -3e4 where float16 cannot hold -1e9."""
    return -3e4 if np.dtype(dtype) == np.float16 else -1e9


class _FunctionLayer(Activation):
    """An :class:`~kerastutor.layers.core.Activation` whose function is fixed by its class.

    ``forward`` and ``backward`` are Activation's, which call the function's
    own, so each formula lives in one place: :mod:`kerastutor.activations`.
    The config holds the function's options (``_config_keys``) instead of an
    ``activation`` entry, as Keras writes it.
    """

    _config_keys = ()               # the constructor arguments get_config reports

    def __init__(self, **kwargs):
        super().__init__(None, **kwargs)          # the real function comes in _use

    def _use(self, function):
        self.activation = function
        self.has_kinks = function.has_kinks

    def get_config(self):
        config = super().get_config()
        del config["activation"]
        config.update({key: getattr(self, key) for key in self._config_keys})
        return config


# ---------------------------------------------------------------- the layers
class ReLU(_FunctionLayer):
    r"""Rectified linear unit, with an optional cap, slope and threshold.

    With ``max_value`` :math:`m`, ``negative_slope`` :math:`\alpha` and
    ``threshold`` :math:`\theta`:

    .. math::

        y = \begin{cases}
            m & x \ge m \\
            x & \theta \le x < m \\
            \alpha (x - \theta) & x < \theta
        \end{cases}

    **Backward.**

    .. math::

        \frac{\partial L}{\partial x} = \big([\theta < x < m] + \alpha\,[x < \theta]\big)\,
            \frac{\partial L}{\partial y}

    With the defaults (no cap, :math:`\alpha = 0`, :math:`\theta = 0`) this is
    :math:`y = \max(x, 0)` and :math:`\partial L/\partial x = [x > 0]\,\partial L/\partial y`.
    The formulas are those of :class:`kerastutor.activations.ReLU`.

    Parameters
    ----------
    max_value : float >= 0 or None
        Saturation value :math:`m`; ``None`` (the default) means no cap.
    negative_slope : float >= 0
        Slope :math:`\alpha` below the threshold (0.0).
    threshold : float >= 0
        Inputs below :math:`\theta` are damped (0.0).
    """

    _config_keys = ("max_value", "negative_slope", "threshold")

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None:
            max_value = _checked_number(
                self, "max_value", max_value, minimum=0,
                hint="it caps the output; None means no cap, and ReLU(max_value=6.0) is "
                     "ReLU6.")
        negative_slope = _checked_number(
            self, "negative_slope", negative_slope, minimum=0,
            hint="0.0 gives the plain ReLU; a small positive slope such as 0.3 gives a "
                 "leaky ReLU.")
        threshold = _checked_number(
            self, "threshold", threshold, minimum=0,
            hint="inputs below the threshold are zeroed (or scaled by negative_slope); "
                 "0.0 is the usual ReLU.")
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, \
            threshold
        self._use(activations.ReLU(negative_slope=negative_slope, max_value=max_value,
                                   threshold=threshold))


class LeakyReLU(_FunctionLayer):
    r"""ReLU that lets a fraction :math:`\alpha` of negative inputs through.

    .. math::

        y = \begin{cases} x & x \ge 0 \\ \alpha x & x < 0 \end{cases}
        \qquad
        \frac{\partial L}{\partial x} = \begin{cases} 1 & x > 0 \\ \alpha & x < 0
            \end{cases} \cdot \frac{\partial L}{\partial y}

    The layer's default is :math:`\alpha = 0.3`, while the function
    ``keras.activations.leaky_relu`` defaults to 0.2 (a Keras quirk kept
    here). Keras 2's spelling ``alpha=`` is still accepted, with a
    deprecation warning. Formulas: :class:`kerastutor.activations.LeakyReLU`.

    Parameters
    ----------
    negative_slope : float >= 0
        The slope :math:`\alpha` for negative inputs (0.3).
    """

    _config_keys = ("negative_slope",)

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            backend.warn_user("Argument `alpha` is deprecated. Use `negative_slope` instead: "
                              f"LeakyReLU(negative_slope={negative_slope!r}).")
        super().__init__(**kwargs)
        self.negative_slope = _checked_number(
            self, "negative_slope", negative_slope, minimum=0,
            hint="the default 0.3 lets 30% of a negative input through; 0.0 is the plain "
                 "ReLU.")
        self._use(activations.LeakyReLU(negative_slope=self.negative_slope))


class ELU(_FunctionLayer):
    r"""Exponential linear unit: smooth and saturating for negative inputs.

    .. math::

        y = \begin{cases} x & x > 0 \\ \alpha (e^x - 1) & x \le 0 \end{cases}
        \qquad
        \frac{\partial L}{\partial x} = \begin{cases} 1 & x > 0 \\ \alpha e^x & x \le 0
            \end{cases} \cdot \frac{\partial L}{\partial y}

    Formulas: :class:`kerastutor.activations.ELU`.

    Parameters
    ----------
    alpha : float
        Scale :math:`\alpha` of the negative side, which tends to :math:`-\alpha` (1.0).
    """

    _config_keys = ("alpha",)

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _checked_number(
            self, "alpha", alpha,
            hint="alpha scales the negative side, which tends to -alpha; 1.0 is usual.")
        self._use(activations.ELU(alpha=self.alpha))


class Softmax(Layer):
    r"""Softmax along ``axis``: scores in, probabilities that sum to 1 out.

    .. math::

        s_i = \frac{e^{x_i - \max_j x_j}}{\sum_k e^{x_k - \max_j x_j}}, \qquad
        \frac{\partial L}{\partial x_k} = s_k \Big(g_k - \sum_i g_i s_i\Big)

    with :math:`g = \partial L/\partial y` and the sums running along ``axis``
    (formulas of :class:`kerastutor.activations.Softmax`). A list of several
    axes normalises over all of them together: they are moved to the end and
    merged into one axis, the softmax runs there, and the result is put back.

    **Mask.** ``forward(x, mask=m)`` (``m`` True where an entry may be chosen,
    broadcastable to ``x``) adds a large negative number :math:`c` (-1e9; -3e4
    in float16) to the masked entries, then zeroes them in the output, as Keras
    does:

    .. math::

        y = m \odot \mathrm{softmax}\big(x + c\,(1 - m)\big), \qquad
        \frac{\partial L}{\partial x} = \mathrm{softmax}'^{\top}\,(m \odot g)

    so masked entries get probability 0 and gradient 0, and a row masked
    entirely gives zeros rather than a uniform distribution. A mask shaped
    like ``x`` without its last axis marks whole time steps (the mask a model
    propagates from ``Embedding(mask_zero=True)`` or ``Masking``); it is
    applied to every entry of each step.

    Parameters
    ----------
    axis : int or list of int
        The axis (or axes) to normalise over (-1).
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        several = isinstance(axis, (list, tuple))
        axes = list(axis) if several else [axis]
        if not axes or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                               for a in axes):
            raise ValueError(
                f'Layer "{self.name}" (Softmax): `axis` must be an integer or a non-empty '
                f"list of integers, got axis={axis!r}. Hint: axis=-1 (the default) normalises "
                "over the last axis, the classes of a Dense output.")
        self.axis = [int(a) for a in axes] if several else int(axis)
        # One axis: the activation itself. Several: merged into the last axis first.
        self.function = activations.Softmax(axes[0] if len(axes) == 1 else -1)

    def _axes(self, ndim):
        """The normalised axes as non-negative integers, after checking they exist."""
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -ndim <= a < ndim for a in axes):
            raise ValueError(
                f'Layer "{self.name}" (Softmax): axis={self.axis!r} does not exist in an '
                f"input of rank {ndim}. Hint: axes count from 0 (the batch axis) or from -1 "
                "(the last axis).")
        return sorted({a % ndim for a in axes})

    def _keep(self, mask, shape):
        """The mask as an array that broadcasts to the input's ``shape``.

        A mask of the input's shape without its last axis is a time-step mask
        (what Embedding(mask_zero=True) or Masking hand on): it gains that axis,
        so a padded step comes out as all zeros.
        """
        mask = backend.asarray(mask)
        if mask.ndim == len(shape) - 1 and mask.shape == tuple(shape[:-1]):
            return mask[..., None]
        try:
            np.broadcast_to(mask, shape)
        except ValueError:
            raise ValueError(
                f'Layer "{self.name}" (Softmax): the mask of shape {mask.shape} does not '
                f"broadcast to the input's shape {shape}. Hint: the mask is True where an "
                "entry may be chosen; give it the input's shape, or size-1 axes where it "
                "is the same for every entry.") from None
        return mask

    def forward(self, x, training=False, mask=None):
        axes = self._axes(x.ndim)
        keep = None
        if mask is not None:
            keep = self._keep(mask, x.shape).astype(x.dtype)
            x = x + (1 - keep) * x.dtype.type(_large_negative_number(x.dtype))
        moved = None
        if len(axes) > 1:                                   # merge the axes into the last
            x = np.moveaxis(x, axes, range(-len(axes), 0))
            moved = x.shape
            x = x.reshape(moved[:-len(axes)] + (-1,))
        y, s = self.function.forward(x)
        if moved is not None:
            y = np.moveaxis(y.reshape(moved), range(-len(axes), 0), axes)
        if keep is not None:
            y = y * keep                                    # masked entries: exactly 0
        return y, (s, keep, axes, moved)

    def backward(self, cache, grad_out):
        s, keep, axes, moved = cache
        if keep is not None:
            grad_out = grad_out * keep                      # m * g
        if moved is not None:
            grad_out = np.moveaxis(grad_out, axes, range(-len(axes), 0)).reshape(s.shape)
        grad_in = self.function.backward(s, grad_out)      # s * (g - sum(g * s))
        if moved is not None:
            grad_in = np.moveaxis(grad_in.reshape(moved), range(-len(axes), 0), axes)
        return grad_in

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class PReLU(Layer):
    r"""Parametric ReLU: a leaky ReLU whose negative slope is learned.

    .. math::

        y = \max(x, 0) + \alpha \odot \min(x, 0)
          = \begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}

    The weight ``alpha`` has the shape of one sample, ``input_shape[1:]``, so
    every position has its own slope; each axis listed in ``shared_axes`` gets
    size 1 in ``alpha`` and shares one slope along it (``shared_axes=[1, 2]``
    after a Conv2D: one slope per channel).

    **Backward.** With :math:`g = \partial L/\partial y`,

    .. math::

        \frac{\partial L}{\partial x} = \big([x > 0] + \alpha\,[x \le 0]\big) \odot g,
        \qquad
        \frac{\partial L}{\partial \alpha_p} = \sum_{n} \sum_{\text{shared}}
            g \odot \min(x, 0)

    the second sum running over the batch and over every shared axis, the
    axes along which one :math:`\alpha_p` was broadcast in the forward pass.

    Parameters
    ----------
    alpha_initializer : initializer
        ``"Zeros"`` by default, so PReLU starts as a plain ReLU.
    alpha_regularizer, alpha_constraint : optional
        Regularizer and constraint of ``alpha``.
    shared_axes : int, list of int or None
        Axes (1 = the first axis after the batch) along which the slope is shared.
    """

    supports_masking = True
    has_kinks = True

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer, self.alpha_regularizer, self.alpha_constraint = \
            weight_settings(alpha_initializer, alpha_regularizer, alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) \
                else [shared_axes]
            if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                       and a != 0 for a in axes):
                raise ValueError(
                    f'Layer "{self.name}" (PReLU): `shared_axes` must be an integer or a list '
                    f"of non-zero integers (axes of the input, 1 = the first axis after the "
                    f"batch), got shared_axes={shared_axes!r}. Hint: after a Conv2D, "
                    "shared_axes=[1, 2] learns one slope per channel.")
            self.shared_axes = [int(a) for a in axes]

    def _shared(self, ndim):
        """The shared axes as positive integers, after checking they exist."""
        shared = []
        for axis in self.shared_axes or []:
            if not -ndim < axis < ndim:
                raise ValueError(
                    f'Layer "{self.name}" (PReLU): shared axis {axis} does not exist in an '
                    f"input of rank {ndim}, or is the batch axis. Hint: shared_axes count "
                    f"from 1 (the first axis after the batch) to {ndim - 1}.")
            shared.append(axis % ndim)
        return sorted(set(shared))

    def build(self, input_shape):
        ndim = len(input_shape)
        shared = self._shared(ndim)
        alpha_shape = [1 if axis in shared else input_shape[axis] for axis in range(1, ndim)]
        unknown = [axis for axis, size in zip(range(1, ndim), alpha_shape) if size is None]
        if unknown:
            raise ValueError(
                f'Layer "{self.name}" (PReLU): axis {unknown[0]} of the input shape '
                f"{format_shape(input_shape)} is unknown, but alpha needs one slope per "
                f"position along it. Hint: give the input a fixed size there, or share the "
                f"slope along it with shared_axes={sorted(set(shared) | set(unknown))}.")
        self.alpha = self.add_weight(tuple(alpha_shape), self.alpha_initializer, name="alpha",
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        self.input_spec = InputSpec(ndim=ndim, axes={axis: input_shape[axis]
                                                     for axis in range(1, ndim)
                                                     if axis not in shared})
        self._build_input_shape = tuple(input_shape)
        self.built = True

    def forward(self, x, training=False):
        negative = np.minimum(x, 0)
        y = np.maximum(x, 0)
        y += self.alpha.value * negative                   # max(x, 0) + alpha * min(x, 0)
        return y, (x, negative)

    def backward(self, cache, grad_out):
        x, negative = cache
        # dL/dalpha: sum g * min(x, 0) over the axes alpha was broadcast along
        summed = (0,) + tuple(self._shared(x.ndim))
        self.alpha.grad += np.sum(grad_out * negative, axis=summed,
                                  keepdims=True).reshape(self.alpha.shape)
        return np.where(x > 0, grad_out, grad_out * self.alpha.value)

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config


__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"]
