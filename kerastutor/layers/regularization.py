"""Regularization layers: noise and dropout variants, and activity penalties.

Every layer here is the identity at inference (``training=False``). While
training, each multiplies or shifts its input by random noise drawn once per
forward pass; the backward pass reuses *that same* noise (kept in the cache),
since for a fixed draw the layer is a simple elementwise map.

Random numbers are drawn through :mod:`kerastutor.random` from the layer's own
``SeedGenerator(seed)``, as Keras's layers draw them: with a ``seed`` the noise
is Keras's (NumPy backend) for that seed; without one the generator starts
from Python's ``random``, which ``keras.utils.set_random_seed`` resets.
"""
import math

import numpy as np

from kerastutor import backend, regularizers
from kerastutor import random as keras_random
from kerastutor.layers.base import InputSpec, Layer
from kerastutor.layers.core import Dropout, RandomMaskLayer

# SELU's constants: alpha' = -alpha * scale is the value SELU saturates to.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
ALPHA_PRIME = -_SELU_ALPHA * _SELU_SCALE          # -1.7580993408473766


def _check_rate(layer_name, arg, rate, allow_one=True):
    """``rate`` must be a float in [0, 1] (or [0, 1) where 1 divides by zero)."""
    ok = isinstance(rate, (int, float, np.floating, np.integer)) and not isinstance(rate, bool)
    if not ok or not (0 <= rate <= 1) or (not allow_one and rate == 1):
        upper = "1" if allow_one else "1 (excluded)"
        raise ValueError(
            f"{layer_name}: `{arg}` must be a float between 0 and {upper}, got {rate!r}. "
            f"Hint: it is the fraction of the signal to disturb, e.g. {arg}=0.1.")
    return float(rate)


# ------------------------------------------------------------------ spatial dropout
class _SpatialDropout(Dropout):
    r"""Dropout of whole feature maps (shared by the 1D/2D/3D layers).

    One Bernoulli draw per (sample, channel), broadcast over every spatial
    position, with inverted scaling:

    .. math::

        m_{n,c} \sim \text{Bernoulli}(1-p), \qquad
        y_{n,\ldots,c} = \frac{m_{n,c}}{1-p}\, x_{n,\ldots,c}, \qquad
        \frac{\partial L}{\partial x_{n,\ldots,c}} = \frac{m_{n,c}}{1-p}
        \frac{\partial L}{\partial y_{n,\ldots,c}}
    """

    rank = None

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        rate = _check_rate(type(self).__name__, "rate", rate)
        super().__init__(rate, seed=seed, **kwargs)
        value = backend.image_data_format() if data_format is None else data_format
        if value not in ("channels_last", "channels_first"):
            raise ValueError(
                f"{type(self).__name__}: `data_format` must be 'channels_last' or "
                f"'channels_first', got {data_format!r}.")
        self.data_format = value
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _mask_shape(self, x):
        """``(N, 1, ..., 1, C)``: one draw per sample and channel."""
        ones = (1,) * self.rank
        if self.data_format == "channels_first":
            return (x.shape[0], x.shape[1]) + ones
        return (x.shape[0],) + ones + (x.shape[-1],)

    # forward and backward are Dropout's: y = x * m / (1-p), dL/dx = dL/dy * m / (1-p),
    # with the mask m of shape _mask_shape broadcast over the spatial axes.

    def get_config(self):
        config = Layer.get_config(self)
        config.update({"rate": self.rate, "seed": self.seed,
                       "data_format": self.data_format})
        return config


class SpatialDropout1D(_SpatialDropout):
    r"""Drops whole channels of ``(batch, steps, channels)`` sequences.

    .. math::

        y_{n,t,c} = \frac{m_{n,c}}{1-p} x_{n,t,c}, \qquad
        \frac{\partial L}{\partial x_{n,t,c}} = \frac{m_{n,c}}{1-p}
        \frac{\partial L}{\partial y_{n,t,c}}
    """

    rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


class SpatialDropout2D(_SpatialDropout):
    r"""Drops whole feature maps of images.

    .. math::

        y_{n,i,j,c} = \frac{m_{n,c}}{1-p} x_{n,i,j,c}, \qquad
        \frac{\partial L}{\partial x_{n,i,j,c}} = \frac{m_{n,c}}{1-p}
        \frac{\partial L}{\partial y_{n,i,j,c}}
    """

    rank = 2


class SpatialDropout3D(_SpatialDropout):
    r"""Drops whole feature volumes of ``(batch, d1, d2, d3, channels)`` inputs.

    .. math::

        y_{n,i,j,k,c} = \frac{m_{n,c}}{1-p} x_{n,i,j,k,c}, \qquad
        \frac{\partial L}{\partial x_{n,i,j,k,c}} = \frac{m_{n,c}}{1-p}
        \frac{\partial L}{\partial y_{n,i,j,k,c}}
    """

    rank = 3


# ------------------------------------------------------------------ gaussian noise
class GaussianDropout(Layer):
    r"""Multiplies the input by noise of mean 1 while training.

    .. math::

        \varepsilon \sim \mathcal{N}\!\left(1, \sigma^2\right),\quad
        \sigma = \sqrt{\frac{p}{1-p}}, \qquad y = x \odot \varepsilon

    **Backward** (for the drawn :math:`\varepsilon`):
    :math:`\partial L/\partial x = \varepsilon \odot \partial L/\partial y`.

    The variance :math:`p/(1-p)` is that of inverted Bernoulli dropout with
    rate :math:`p`, so both disturb the signal by the same amount.
    """

    supports_masking = True   # works on each time step alone: a mask passes through

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _check_rate("GaussianDropout", "rate", rate, allow_one=False)
        self.seed = seed
        self.seed_generator = keras_random.SeedGenerator(seed) if self.rate > 0 else None

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            return x, None
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = keras_random.normal(x.shape, mean=1.0, stddev=stddev, dtype=x.dtype,
                                    seed=self.seed_generator)
        noise = backend.to_device(noise)        # drawn by NumPy, moved to x's device once
        return x * noise, noise                              # y = x * eps

    def backward(self, cache, grad_out):
        noise = cache
        if noise is None:
            return grad_out
        return grad_out * noise                              # dL/dx = eps * dL/dy

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


class GaussianNoise(Layer):
    r"""Adds zero-mean Gaussian noise while training.

    .. math::

        \varepsilon \sim \mathcal{N}(0, \sigma^2), \qquad y = x + \varepsilon

    **Backward:** the noise does not depend on :math:`x`, so
    :math:`\partial L/\partial x = \partial L/\partial y`.
    """

    supports_masking = True   # works on each time step alone: a mask passes through

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = _check_rate("GaussianNoise", "stddev", stddev)
        self.seed = seed
        self.seed_generator = keras_random.SeedGenerator(seed) if self.stddev > 0 else None

    def forward(self, x, training=False):
        if not training or self.stddev == 0:
            return x, None
        noise = keras_random.normal(x.shape, mean=0.0, stddev=self.stddev, dtype=x.dtype,
                                    seed=self.seed_generator)
        return x + backend.to_device(noise), None            # y = x + eps

    def backward(self, cache, grad_out):
        return grad_out                                      # dy/dx = 1

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


# ------------------------------------------------------------------ alpha dropout
class AlphaDropout(RandomMaskLayer):
    r"""Dropout for self-normalizing (SELU) networks: keeps mean and variance.

    Dropped units are set to SELU's saturation value
    :math:`\alpha' = -\lambda\alpha \approx -1.7581` instead of 0, then an
    affine map restores zero mean and unit variance:

    .. math::

        m \sim \text{Bernoulli}(1-p), \qquad
        a = \left((1-p)(1 + p\,\alpha'^2)\right)^{-1/2}, \qquad
        b = -a\,\alpha'\,p,

        y = a\left(m \odot x + \alpha' (1 - m)\right) + b

    **Backward:** :math:`\partial L/\partial x = a\, m \odot \partial L/\partial y`
    (the dropped units are constants).

    ``noise_shape`` broadcasts one draw over axes of size 1, as in Dropout.
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        rate = _check_rate("AlphaDropout", "rate", rate, allow_one=False)
        super().__init__(rate, noise_shape, seed, **kwargs)

    def _mask_shape(self, x):
        if self.noise_shape is not None and len(self.noise_shape) != x.ndim:
            raise ValueError(
                f'Layer "{self.name}" (AlphaDropout): noise_shape {self.noise_shape} must '
                f"have one entry per axis of the input, shape {x.shape}. Hint: use None for "
                "axes that take the input's size, 1 to share a draw along an axis.")
        return super()._mask_shape(x)

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            return x, None
        p = self.rate
        keep = keras_random.uniform(self._mask_shape(x), seed=self.seed_generator) >= p
        m = backend.to_device(keep.astype(x.dtype))     # moved to x's device once
        a = ((1 - p) * (1 + p * ALPHA_PRIME ** 2)) ** -0.5
        b = -a * ALPHA_PRIME * p
        y = a * (x * m + ALPHA_PRIME * (1 - m)) + b          # y = a (m x + alpha'(1-m)) + b
        return y.astype(x.dtype, copy=False), a * m     # backward: dL/dx = a m dL/dy


# ------------------------------------------------------------------ activity penalty
class ActivityRegularization(Layer):
    r"""Identity layer that adds an L1/L2 penalty on its input to the loss.

    For a batch of :math:`N` samples (Keras divides activity penalties by the
    batch size):

    .. math::

        y = x, \qquad
        P = \frac{1}{N}\left(\ell_1 \sum |x| + \ell_2 \sum x^2\right)

    **Backward.** The loss is :math:`L_{\text{data}}(y) + P(x)`, so

    .. math::

        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}
        + \frac{1}{N}\left(\ell_1 \operatorname{sign}(x) + 2 \ell_2 x\right)

    How the penalty reaches the loss: the layer is built with
    ``activity_regularizer=L1L2(l1, l2)``, so the model's forward pass adds
    :math:`P` to the tape's penalty (reported in the loss) and its backward
    pass adds :math:`\partial P/\partial x` to this layer's upstream
    gradient, exactly as for any layer given an ``activity_regularizer``.
    :meth:`backward` itself is therefore the identity (adding the term here
    as well would count it twice). ``last_penalty`` keeps :math:`P` of the
    latest training forward, for inspection.
    """

    supports_masking = True   # works on each time step alone: a mask passes through

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        for arg, value in (("l1", l1), ("l2", l2)):
            if not isinstance(value, (int, float, np.floating, np.integer)) or value < 0:
                raise ValueError(f"ActivityRegularization: `{arg}` must be a non-negative "
                                 f"float, got {value!r}.")
        super().__init__(activity_regularizer=regularizers.L1L2(l1=float(l1), l2=float(l2)),
                         **kwargs)
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.last_penalty = 0.0

    def penalty(self, x):
        """:math:`P(x) = (\\ell_1 \\sum|x| + \\ell_2 \\sum x^2) / N`."""
        batch = x.shape[0] if np.ndim(x) else 1
        return (self.l1 * float(np.abs(x).sum()) + self.l2 * float(np.square(x).sum())) / batch

    def penalty_gradient(self, x):
        """:math:`\\partial P/\\partial x = (\\ell_1 \\operatorname{sign}(x) + 2\\ell_2 x)/N`."""
        batch = x.shape[0] if np.ndim(x) else 1
        return (self.l1 * np.sign(x) + 2.0 * self.l2 * x) / batch

    def forward(self, x, training=False):
        if training:
            self.last_penalty = self.penalty(x)
        return x, None

    def backward(self, cache, grad_out):
        return grad_out          # the model adds dP/dx through activity_regularizer

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update({"l1": self.l1, "l2": self.l2})
        return config
