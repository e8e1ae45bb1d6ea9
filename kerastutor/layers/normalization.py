r"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization.

Each of them subtracts a mean and divides by a standard deviation (or, for
UnitNormalization, by a norm) computed over some axes, then optionally
rescales with a learned ``gamma`` and shifts with a learned ``beta``. They
differ only in *which* axes the statistics run over:

============================  ==========================================
layer                         statistics over
============================  ==========================================
BatchNormalization            every axis but ``axis`` (batch included)
LayerNormalization            the ``axis`` axes of each sample
GroupNormalization            each group of channels of each sample
UnitNormalization             the ``axis`` axes (an L2 norm, no mean)
============================  ==========================================

All share one backward formula. With :math:`\hat x = (x-\mu)/\sqrt{\sigma^2+\epsilon}`
normalized over :math:`M` entries and :math:`\hat g = \gamma \odot g` the upstream
gradient through the scale,

.. math::

    \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
        \Big(\hat g - \operatorname{mean}(\hat g) - \hat x\,\operatorname{mean}(\hat g \odot \hat x)\Big)

where both means run over the same :math:`M` entries as :math:`\mu` and
:math:`\sigma^2`: the first correction is the path through :math:`\mu`, the
second the path through :math:`\sigma^2`.
"""
import numpy as np

from kerastutor import backend, constraints, initializers, regularizers
from kerastutor.layers.base import InputSpec, Layer, format_shape, weight_settings


def _normalized_input_grad(g_hat, x_hat, inv_std, axes):
    r"""The shared backward of "subtract the mean, divide by the std" over ``axes``.

    .. math::

        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
            \big(\hat g - \operatorname{mean}(\hat g) - \hat x\,\operatorname{mean}(\hat g\,\hat x)\big)
    """
    mean_g = g_hat.mean(axis=axes, keepdims=True)                  # path through mu
    mean_gx = (g_hat * x_hat).mean(axis=axes, keepdims=True)       # path through sigma^2
    return inv_std * (g_hat - mean_g - x_hat * mean_gx)


def _masked_input_grad(g_hat, x_hat, inv_std, axes, weights, total):
    r"""The same backward when the statistics were taken over the kept steps only.

    With mask weights :math:`w` (1 kept, 0 padded) and :math:`W = \sum w`,
    :math:`\mu = \sum w x / W` and :math:`\sigma^2 = \sum w (x-\mu)^2 / W`, so
    only kept steps move the statistics -- but every output used them:

    .. math::

        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
            \Big(\hat g - \frac{w}{W}\big(\textstyle\sum \hat g
            + \hat x \sum \hat g\,\hat x\big)\Big)
    """
    sum_g = g_hat.sum(axis=axes, keepdims=True)                    # path through mu
    sum_gx = (g_hat * x_hat).sum(axis=axes, keepdims=True)         # path through sigma^2
    return inv_std * (g_hat - weights / total * (sum_g + x_hat * sum_gx))


def _known_axis(layer, axis, input_shape):
    """``(axis as a non-negative int, its size)``; the size must be known to build."""
    axis = _check_axis(layer, axis, len(input_shape), input_shape)
    if input_shape[axis] is None:
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}): axis {layer.axis} of the input '
            f"must have a known size, got input shape {format_shape(input_shape)}.")
    return axis, input_shape[axis]


def _check_axis(layer, axis, ndim, input_shape):
    """``axis`` as a non-negative int, or a kind error naming the layer."""
    if not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(
            f'Layer "{layer.name}" ({type(layer).__name__}): axis {axis!r} is out of bounds '
            f"for an input of rank {ndim} (shape {format_shape(input_shape)}). Expected an "
            f"integer in [{-ndim}, {ndim - 1}]. Hint: axis=-1 is the features/channels axis "
            "for channels_last data; use axis=1 for channels_first.")
    return int(axis) % ndim


def axis_argument(kind, axis):
    """The ``axis`` argument of a layer that normalizes over one or several axes: an int,
    or a list of ints (a tuple becomes a list, as in its config); else a TypeError."""
    if isinstance(axis, (list, tuple)):
        return [int(a) for a in axis]
    if isinstance(axis, (int, np.integer)):
        return int(axis)
    raise TypeError(f"{kind}: expected an int or a list/tuple of ints for `axis`, but "
                    f"received {axis!r}.")


def _weight_config(layer):
    """The gamma/beta initializer, regularizer and constraint entries of a config."""
    return {
        "beta_initializer": initializers.serialize(layer.beta_initializer),
        "gamma_initializer": initializers.serialize(layer.gamma_initializer),
        "beta_regularizer": regularizers.serialize(layer.beta_regularizer),
        "gamma_regularizer": regularizers.serialize(layer.gamma_regularizer),
        "beta_constraint": constraints.serialize(layer.beta_constraint),
        "gamma_constraint": constraints.serialize(layer.gamma_constraint),
    }


class _AffineNormalization(Layer):
    """What the gamma/beta layers share: the arguments and the config entries."""

    supports_masking = True   # works on each time step alone: a mask passes through

    def __init__(self, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint,
                 **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer, self.beta_regularizer, self.beta_constraint = \
            weight_settings(beta_initializer, beta_regularizer, beta_constraint)
        self.gamma_initializer, self.gamma_regularizer, self.gamma_constraint = \
            weight_settings(gamma_initializer, gamma_regularizer, gamma_constraint)
        self.gamma = None
        self.beta = None

    def _add_gamma(self, shape):
        return self.add_weight(shape, self.gamma_initializer, name="gamma",
                               regularizer=self.gamma_regularizer,
                               constraint=self.gamma_constraint)

    def _add_beta(self, shape):
        return self.add_weight(shape, self.beta_initializer, name="beta",
                               regularizer=self.beta_regularizer,
                               constraint=self.beta_constraint)

    def _check_built_for(self, x):
        spec_shape = getattr(self, "_build_input_shape", None)
        if spec_shape is not None and x.ndim != len(spec_shape):
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) was built for inputs of rank '
                f"{len(spec_shape)} (shape {format_shape(spec_shape)}), but received an input "
                f"of shape {x.shape}. Hint: a normalization layer keeps its weights per "
                "feature; create a new layer for data of another rank.")


class BatchNormalization(_AffineNormalization):
    r"""Normalizes each feature with statistics of the batch (training) or running averages.

    For a feature ``c`` of ``axis``, with the mean and the *biased* variance taken over
    every other axis (the batch and, for images, height and width):

    .. math::

        \mu_c = \frac{1}{M}\sum x, \qquad
        \sigma_c^2 = \frac{1}{M}\sum (x-\mu_c)^2, \qquad
        \hat x = \frac{x-\mu_c}{\sqrt{\sigma_c^2+\epsilon}}, \qquad
        y = \gamma_c \hat x + \beta_c .

    **Training** (``training=True`` and ``layer.trainable``): the batch statistics are
    used, and the running averages move towards them, in place:

    .. math::

        \mathrm{moving\_mean} \leftarrow m\,\mathrm{moving\_mean} + (1-m)\,\mu, \qquad
        \mathrm{moving\_variance} \leftarrow m\,\mathrm{moving\_variance} + (1-m)\,\sigma^2 .

    **Inference** (or ``trainable=False``, as Keras does for fine-tuning): ``moving_mean``
    and ``moving_variance`` replace :math:`\mu` and :math:`\sigma^2`, which makes the
    layer an affine map of ``x``.

    **Backward.** With :math:`g = \partial L/\partial y`, sums over the reduced axes:

    .. math::

        \frac{\partial L}{\partial \gamma} = \sum g\,\hat x, \qquad
        \frac{\partial L}{\partial \beta} = \sum g,

    and, in training, the gradient through :math:`\mu` and :math:`\sigma^2` as well:

    .. math::

        \frac{\partial L}{\partial x} = \frac{\gamma}{\sqrt{\sigma^2+\epsilon}}
            \Big(g - \operatorname{mean}(g) - \hat x\,\operatorname{mean}(g\,\hat x)\Big);

    in inference only the affine map's: :math:`\partial L/\partial x = \gamma g / \sqrt{\sigma^2+\epsilon}`.

    Weights in Keras's order: ``gamma``, ``beta`` (trainable), ``moving_mean``,
    ``moving_variance`` (non-trainable). Defaults as Keras: ``momentum=0.99``,
    ``epsilon=1e-3``.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint,
                         gamma_constraint, **kwargs)
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(
                    f"BatchNormalization: `axis` must be a single integer, got {axis!r}. "
                    "Hint: to normalize over several axes of each sample, use "
                    "LayerNormalization(axis=[...]).")
            axis = axis[0]
        if not isinstance(axis, (int, np.integer)):
            raise TypeError(f"BatchNormalization: `axis` must be an integer, got {axis!r}.")
        if renorm:
            raise NotImplementedError(
                "BatchNormalization: renorm=True (batch renormalization) is not available in "
                "kerastutor. Hint: leave renorm=False.")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.synchronized = bool(synchronized)
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = float(renorm_momentum)

    def build(self, input_shape):
        ndim = len(input_shape)
        axis, dim = _known_axis(self, self.axis, input_shape)
        shape = (dim,)
        if self.scale:
            self.gamma = self._add_gamma(shape)
        if self.center:
            self.beta = self._add_beta(shape)
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer,
                                           name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer,
                                               name="moving_variance", trainable=False)
        self._axis = axis
        self._reduce = tuple(i for i in range(ndim) if i != axis)
        self.input_spec = InputSpec(ndim=ndim, axes={axis: dim})
        self._build_input_shape = tuple(input_shape)
        self.built = True

    def _per_feature(self, v, ndim):
        """Reshape a ``(C,)`` vector so it broadcasts along ``axis`` of a rank-``ndim`` array."""
        shape = [1] * ndim
        shape[self._axis] = -1
        return v.reshape(shape)

    def forward(self, x, training=False, mask=None):
        self._check_built_for(x)
        use_batch = bool(training) and self.trainable
        weights = total = None
        if use_batch and mask is not None:          # statistics of the kept steps only
            mean, var, weights, total = self._masked_moments(x, mask)
        elif use_batch:
            mean = x.mean(axis=self._reduce)                          # mu
            var = x.var(axis=self._reduce)                            # sigma^2 (biased)
        if use_batch:
            m = self.momentum
            self.moving_mean.value[...] = self.moving_mean.value * m + mean * (1 - m)
            self.moving_variance.value[...] = self.moving_variance.value * m + var * (1 - m)
        else:
            mean = self.moving_mean.value.astype(x.dtype, copy=False)
            var = self.moving_variance.value.astype(x.dtype, copy=False)
        inv_std = self._per_feature(1.0 / np.sqrt(var + self.epsilon), x.ndim)
        x_hat = (x - self._per_feature(mean, x.ndim)) * inv_std       # (x - mu) / sqrt(var + eps)
        y = x_hat
        if self.gamma is not None:
            y = y * self._per_feature(self.gamma.value, x.ndim)       # gamma * x_hat
        if self.beta is not None:
            y = y + self._per_feature(self.beta.value, x.ndim)        #   + beta
        return y.astype(x.dtype, copy=False), (x_hat, inv_std, use_batch, weights, total)

    def _masked_moments(self, x, mask):
        """Keras's masked moments: mean and variance over the steps the mask keeps."""
        weights = backend.asarray(mask, dtype=x.dtype)
        if weights.shape != x.shape[:weights.ndim] or self._axis != x.ndim - 1:
            raise ValueError(
                f'Layer "{self.name}" (BatchNormalization): a mask of shape {weights.shape} '
                f"does not fit inputs of shape {x.shape}. Hint: masks mark time steps, "
                "(batch, time), and need the features on the last axis (axis=-1).")
        weights = weights.reshape(weights.shape + (1,) * (x.ndim - weights.ndim))
        # Keras adds epsilon to the count, so an all-padded batch gives zeros, not NaN
        total = weights.sum(axis=self._reduce, keepdims=True) + backend.asarray(1e-7, x.dtype)
        mean = (weights * x).sum(axis=self._reduce, keepdims=True) / total
        var = (weights * np.square(x - mean)).sum(axis=self._reduce, keepdims=True) / total
        return mean.reshape(-1), var.reshape(-1), weights, total

    def backward(self, cache, grad_out):
        x_hat, inv_std, use_batch, weights, total = cache
        g = grad_out
        if self.gamma is not None:
            self.gamma.grad += (g * x_hat).sum(axis=self._reduce)   # dL/dgamma = sum g x_hat
        if self.beta is not None:
            self.beta.grad += g.sum(axis=self._reduce)              # dL/dbeta = sum g
        g_hat = g if self.gamma is None else g * self._per_feature(self.gamma.value, g.ndim)
        if use_batch and weights is not None:          # masked statistics
            return _masked_input_grad(g_hat, x_hat, inv_std, self._reduce, weights, total)
        if use_batch:                                                  # through mu and sigma^2
            return _normalized_input_grad(g_hat, x_hat, inv_std, self._reduce)
        return g_hat * inv_std                                         # affine map

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer":
                initializers.serialize(self.moving_variance_initializer),
            **_weight_config(self),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        })
        return config


class LayerNormalization(_AffineNormalization):
    r"""Normalizes each sample over its ``axis`` axes (the features), independently of the batch.

    .. math::

        \mu = \operatorname{mean}_{\text{axis}}(x), \qquad
        \sigma^2 = \operatorname{mean}_{\text{axis}}\big((x-\mu)^2\big), \qquad
        y = \gamma \odot \frac{x-\mu}{\sqrt{\sigma^2+\epsilon}} + \beta,

    with ``gamma`` and ``beta`` spanning the ``axis`` axes. Training and inference
    compute the same thing. Any axes may be normalised, leading ones too:
    ``LayerNormalization(axis=1)`` on ``(batch, steps, features)`` normalises
    over the steps. (Keras 3.15.1's torch backend raises there: it hands every
    contiguous ``axis`` to ``torch.nn.functional.layer_norm``, which only
    normalises trailing axes; this formula is what its other backends compute,
    and what the tests check ours against.)

    **Backward.** Sums over the other (batch-like) axes for the weights,

    .. math::

        \frac{\partial L}{\partial \gamma} = \sum g\,\hat x, \qquad
        \frac{\partial L}{\partial \beta} = \sum g, \qquad
        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
            \Big(\hat g - \operatorname{mean}(\hat g) - \hat x\,\operatorname{mean}(\hat g\,\hat x)\Big),
        \quad \hat g = \gamma g,

    means over the ``axis`` axes.

    ``rms_scaling=True`` (deprecated in Keras, kept for compatibility) computes, exactly
    as Keras does, :math:`y = \gamma\, x / \sqrt{\sigma^2+\epsilon}` -- divided by the
    *centred* variance, without subtracting the mean and without ``beta``. Its input
    gradient, with :math:`s = (\sigma^2+\epsilon)^{-1/2}`, is

    .. math::

        \frac{\partial L}{\partial x} = s\,\hat g - s^3\,(x-\mu)\,\operatorname{mean}(\hat g\,x),
        \qquad \frac{\partial L}{\partial \gamma} = \sum g\, s\, x .
    """

    def __init__(self, axis=-1, epsilon=0.001, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint,
                         gamma_constraint, **kwargs)
        self.axis = axis_argument("LayerNormalization", axis)
        self.rms_scaling = bool(rms_scaling)
        if self.rms_scaling:
            backend.warn_user(
                "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly "
                "scales the input by the variance, not the root mean square. To correctly use "
                "RMS Normalization, please use `keras.layers.RMSNormalization` instead.")

    def build(self, input_shape):
        ndim = len(input_shape)
        if not isinstance(self.axis, list):
            self.axis = [self.axis]          # Keras's build makes it a list (and so its config)
        axes = sorted(_check_axis(self, a, ndim, input_shape) for a in self.axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f'Layer "{self.name}" (LayerNormalization): repeated axis in '
                             f"axis={self.axis!r}.")
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(
                f'Layer "{self.name}" (LayerNormalization): the normalized axes {axes} must '
                f"have known sizes, got input shape {format_shape(input_shape)}.")
        if self.scale or self.rms_scaling:
            self.gamma = self._add_gamma(shape)
        if self.center and not self.rms_scaling:
            self.beta = self._add_beta(shape)
        self._axes = tuple(axes)
        self._other = tuple(i for i in range(ndim) if i not in axes)
        self._build_input_shape = tuple(input_shape)
        self.built = True

    def _spread(self, w, ndim):
        """A weight of shape ``(sizes of axis)`` reshaped to broadcast against the input."""
        shape = [1] * ndim
        for a, d in zip(self._axes, w.shape):
            shape[a] = d
        return w.reshape(shape)

    def forward(self, x, training=False):
        self._check_built_for(x)
        mean = x.mean(axis=self._axes, keepdims=True)                 # mu
        var = x.var(axis=self._axes, keepdims=True)                   # sigma^2
        inv_std = 1.0 / np.sqrt(var + self.epsilon)
        if self.rms_scaling:                                          # Keras: x / sqrt(var + eps)
            y = x * inv_std * self._spread(self.gamma.value, x.ndim)
            return y.astype(x.dtype, copy=False), (x, x - mean, inv_std)
        x_hat = (x - mean) * inv_std
        y = x_hat
        if self.gamma is not None:
            y = y * self._spread(self.gamma.value, x.ndim)
        if self.beta is not None:
            y = y + self._spread(self.beta.value, x.ndim)
        return y.astype(x.dtype, copy=False), (x_hat, inv_std)

    def backward(self, cache, grad_out):
        g = grad_out
        g_hat = g if self.gamma is None else g * self._spread(self.gamma.value, g.ndim)
        if self.rms_scaling:
            x, x_centred, inv_std = cache
            self.gamma.grad += (g * x * inv_std).sum(axis=self._other)  # sum g s x
            mean_gx = (g_hat * x).mean(axis=self._axes, keepdims=True)
            return inv_std * g_hat - inv_std ** 3 * x_centred * mean_gx
        x_hat, inv_std = cache
        if self.gamma is not None:
            self.gamma.grad += (g * x_hat).sum(axis=self._other)    # sum g x_hat
        if self.beta is not None:
            self.beta.grad += g.sum(axis=self._other)               # sum g
        return _normalized_input_grad(g_hat, x_hat, inv_std, self._axes)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                       "scale": self.scale, "rms_scaling": self.rms_scaling,
                       **_weight_config(self)})
        return config


class GroupNormalization(_AffineNormalization):
    r"""Splits the channels of ``axis`` into ``groups`` and normalizes each group per sample.

    The ``C`` channels become ``G`` groups of ``C/G``; for one sample and one group the
    statistics run over the group's channels and every spatial position:

    .. math::

        \mu_{n,k} = \operatorname{mean}_{(\text{spatial},\, c \in k)} x, \qquad
        \hat x = \frac{x-\mu_{n,k}}{\sqrt{\sigma^2_{n,k}+\epsilon}}, \qquad
        y = \gamma_c \hat x + \beta_c .

    ``groups=1`` is LayerNormalization over all non-batch axes (with per-channel
    ``gamma``); ``groups=-1`` (one channel per group) is instance normalization.

    **Backward.** The same formula as LayerNormalization, means over each group:

    .. math::

        \frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2+\epsilon}}
            \Big(\hat g - \operatorname{mean}(\hat g) - \hat x\,\operatorname{mean}(\hat g\,\hat x)\Big),
        \quad \hat g = \gamma g, \qquad
        \frac{\partial L}{\partial \gamma_c} = \sum g\,\hat x, \quad
        \frac{\partial L}{\partial \beta_c} = \sum g .
    """

    def __init__(self, groups=32, axis=-1, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        if not isinstance(groups, (int, np.integer)) or (groups <= 0 and groups != -1):
            raise ValueError(
                "GroupNormalization: `groups` must be a positive integer (or -1 for instance "
                f"normalization), got groups={groups!r}.")
        super().__init__(epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, beta_constraint,
                         gamma_constraint, **kwargs)
        self.groups = int(groups)
        if not isinstance(axis, (int, np.integer)):
            raise TypeError(f"GroupNormalization: `axis` must be an integer, got {axis!r}.")
        self.axis = int(axis)

    def build(self, input_shape):
        ndim = len(input_shape)
        axis, dim = _known_axis(self, self.axis, input_shape)
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups or dim % self.groups:
            raise ValueError(
                f'Layer "{self.name}" (GroupNormalization): the {dim} channels of axis '
                f"{self.axis} cannot be split into groups={self.groups} equal groups. "
                f"Hint: choose groups dividing {dim} (e.g. "
                f"{[d for d in range(1, dim + 1) if dim % d == 0]}), or -1 for one channel "
                "per group.")
        if self.scale:
            self.gamma = self._add_gamma((dim,))
        if self.center:
            self.beta = self._add_beta((dim,))
        self._axis = axis
        self.input_spec = InputSpec(ndim=ndim, axes={axis: dim})
        self._build_input_shape = tuple(input_shape)
        self.built = True

    def _grouped(self, x):
        """``(N, ..., C, ...) -> (N, ..., G, C/G)``: channels last, then split into groups."""
        x = np.moveaxis(x, self._axis, -1)
        return x.reshape(x.shape[:-1] + (self.groups, -1))

    def _ungrouped(self, xg):
        x = xg.reshape(xg.shape[:-2] + (-1,))
        return np.moveaxis(x, -1, self._axis)

    def _group_axes(self, ndim_grouped):
        """All axes of the grouped array but the batch and the group axis."""
        return tuple(range(1, ndim_grouped - 2)) + (ndim_grouped - 1,)

    def forward(self, x, training=False):
        self._check_built_for(x)
        xg = self._grouped(x)
        axes = self._group_axes(xg.ndim)
        mean = xg.mean(axis=axes, keepdims=True)
        var = xg.var(axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + self.epsilon)
        x_hat = (xg - mean) * inv_std
        y = x_hat
        if self.gamma is not None:
            y = y * self.gamma.value.reshape(self.groups, -1)
        if self.beta is not None:
            y = y + self.beta.value.reshape(self.groups, -1)
        return self._ungrouped(y).astype(x.dtype, copy=False), (x_hat, inv_std)

    def backward(self, cache, grad_out):
        x_hat, inv_std = cache
        g = self._grouped(grad_out)
        batch_axes = tuple(range(g.ndim - 2))
        C = g.shape[-2] * g.shape[-1]
        if self.gamma is not None:
            self.gamma.grad[...] += (g * x_hat).sum(axis=batch_axes).reshape(C)
        if self.beta is not None:
            self.beta.grad[...] += g.sum(axis=batch_axes).reshape(C)
        g_hat = g if self.gamma is None else g * self.gamma.value.reshape(self.groups, -1)
        dx = _normalized_input_grad(g_hat, x_hat, inv_std, self._group_axes(g.ndim))
        return self._ungrouped(dx)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                       "center": self.center, "scale": self.scale, **_weight_config(self)})
        return config


class UnitNormalization(Layer):
    r"""Scales each sample to unit L2 norm along ``axis``.

    As Keras (``ops.normalize`` with :math:`\epsilon = 10^{-12}`):

    .. math::

        s = \min\Big(\frac{1}{\sqrt{\sum_{\text{axis}} x^2}},\ \frac{1}{\epsilon}\Big), \qquad
        y = s\,x ,

    so a vector of norm below :math:`\epsilon` (zero included) is multiplied by
    :math:`1/\epsilon` instead of divided by zero.

    **Backward.** Where the norm is at least :math:`\epsilon`,

    .. math::

        \frac{\partial L}{\partial x} = s\,\big(g - y\,\textstyle\sum_{\text{axis}} g\,y\big)

    (the component of :math:`g` along :math:`y` is removed: moving :math:`x` along
    itself does not change :math:`y`); where the clamp is active :math:`s` is a
    constant and :math:`\partial L/\partial x = g/\epsilon`.
    """

    supports_masking = True   # works on each time step alone: a mask passes through

    epsilon = 1e-12

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis_argument("UnitNormalization", axis)

    def build(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        self._axes = tuple(sorted(_check_axis(self, a, len(input_shape), input_shape)
                                  for a in axes))
        self._build_input_shape = tuple(input_shape)
        self.built = True

    def forward(self, x, training=False):
        axes = self._axes if self.built else (tuple(self.axis) if isinstance(self.axis, list) else self.axis)
        square_sum = np.sum(x * x, axis=axes, keepdims=True)
        with np.errstate(divide="ignore"):
            inv_norm = 1.0 / np.sqrt(square_sum)
        clamped = inv_norm > 1.0 / self.epsilon                       # tiny or zero norm
        scale = np.where(clamped, 1.0 / self.epsilon, inv_norm).astype(x.dtype, copy=False)
        y = x * scale                                                 # y = s x
        return y, (y, scale, clamped, axes)

    def backward(self, cache, grad_out):
        y, scale, clamped, axes = cache
        g = grad_out
        along = np.sum(g * y, axis=axes, keepdims=True)              # sum g y
        return scale * (g - np.where(clamped, 0.0, y * along))        # s (g - y sum g y)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
