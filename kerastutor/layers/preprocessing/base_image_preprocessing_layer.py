r"""What every image preprocessing layer shares (Keras's ``BaseImagePreprocessingLayer``).

* **Shapes.** Images are rank 3 ``(H, W, C)`` (one image) or rank 4
  ``(N, H, W, C)`` (a batch) -- ``(C, H, W)``/``(N, C, H, W)`` with
  ``data_format="channels_first"``. Internally every layer works on a
  channels-last batch; :meth:`BaseImagePreprocessingLayer._to_nhwc` and
  :meth:`~BaseImagePreprocessingLayer._from_nhwc` convert.
* **Training.** A *random* layer (``RandomFlip``, ``RandomRotation``, ...)
  augments only while training and is the identity at inference (``predict``,
  ``evaluate``, ``training=False``). Keras's quirk, kept: called directly
  with no ``training`` argument, ``layer(x)``, it **augments** (its ``call``
  defaults to ``training=True``).
* **Randomness.** Each layer owns ``self.generator``, a
  :class:`keras.random.SeedGenerator <kerastutor.random.SeedGenerator>` made from
  its ``seed``, and draws its parameters through :mod:`kerastutor.random` in
  Keras's order, with Keras's shapes, bounds and dtypes. So a layer gives the
  numbers of Keras's NumPy backend for the same seed (the oracle tests compare
  them); an unseeded one starts from Python's ``random``, which
  ``keras.utils.set_random_seed`` resets. (Keras's torch backend draws from
  torch's generator, which no other library reproduces.)
* **factor.** A number :math:`f` means the range :math:`[\max(-|f|, lo), |f|]`
  (``lo`` the class's lower bound), a pair is sorted.
"""
import numpy as np

from kerastutor import backend, tape
from kerastutor import random as keras_random
from kerastutor.layers.base import Layer
from kerastutor.layers.preprocessing.resampling import AffineSampler, FILL_MODES


def standardize_data_format(layer_name, data_format):
    value = backend.image_data_format() if data_format is None else str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{layer_name}: `data_format` must be 'channels_last' or 'channels_first', "
            f"got {data_format!r}. Fix: leave it None for keras.config.image_data_format().")
    return value


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and \
        not isinstance(value, bool)


class BaseImagePreprocessingLayer(Layer):
    """Base of the image layers: data format, rank check, factor parsing, seeds."""

    _FACTOR_BOUNDS = (-1, 1)
    #: Random layers augment only in training and default to training=True on a direct call.
    random = False

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(type(self).__name__, data_format)

    # ------------------------------------------------------------------ calling
    def __call__(self, inputs, *more, training=None, **kwargs):
        """Keras's random image layers default to ``training=True`` when called directly."""
        if self.random and training is None and not tape._TAPES:
            training = True
        return super().__call__(inputs, *more, training=training, **kwargs)

    def _to_nhwc(self, x):
        """``x`` as a channels-last batch, and whether it was a single image."""
        if x.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__}: expected image tensor to have rank 3 (single image) "
                f"or 4 (batch of images). Received: data.shape={tuple(x.shape)}. Fix: give "
                "images as (height, width, channels) or (batch, height, width, channels).")
        single = x.ndim == 3
        if single:
            x = x[None]
        if self.data_format == "channels_first":
            x = np.moveaxis(x, 1, -1)
        return x, single

    def _from_nhwc(self, y, single):
        if self.data_format == "channels_first":
            y = np.moveaxis(y, -1, 1)
        return y[0] if single else y

    def _hw(self, shape):
        """(height, width) of an input shape (rank 3 or 4, either data format)."""
        if self.data_format == "channels_first":
            return shape[-2], shape[-1]
        return shape[-3], shape[-2]

    # ------------------------------------------------------------------ randomness
    def _init_seed(self, seed):
        self.seed = seed
        # Keras's layers draw through keras.random from their own SeedGenerator (made
        # here, as in Keras, so an unseeded one starts from Python's random).
        self.generator = keras_random.SeedGenerator(seed)

    def _set_factor(self, factor, name="factor"):
        """Keras's factor rule: ``f -> (max(-|f|, lo), |f|)``; a pair is sorted."""
        lo, hi = self._FACTOR_BOUNDS
        message = (f"{type(self).__name__}: the `{name}` argument should be a number (or a "
                   f"list of two numbers) in the range [{lo}, {hi}]. Received: "
                   f"{name}={factor!r}.")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or not all(_is_number(f) for f in factor) or \
                    factor[0] > hi or factor[1] < lo:
                raise ValueError(message)
            return tuple(float(f) for f in sorted(factor))
        if not _is_number(factor) or factor < lo or factor > hi:
            raise ValueError(message)
        factor = abs(float(factor))
        return (max(-factor, float(lo)), factor)

    # ------------------------------------------------------------------ defaults
    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class AppliesTransformation:
    """For a layer whose ``forward(x, training, transformation=None)`` can take given draws.

    ``get_random_transformation`` only draws; ``forward`` draws (unless given
    ``transformation``) and applies. Keras splits a layer the same way
    (``get_random_transformation`` / ``transform_images``), which lets a layer
    that composes others draw for them.
    """

    def apply_transformation(self, x, transformation):
        """``forward`` with the given draws: ``(y, cache)``; ``None`` (no draws) is the identity.

        For a layer that draws on this one's behalf: ``RandomColorJitter``,
        ``RandAugment`` and ``AugMix`` call ``get_random_transformation(images,
        seed=<their generator>)``, then this, as Keras's ``transform_images``.
        """
        if transformation is None:
            return x, None
        return self.forward(x, training=True, transformation=transformation)


class RandomAffineLayer(BaseImagePreprocessingLayer):
    r"""A random geometric transform: sample one affine matrix per image, then resample.

    With the sampled matrices fixed, the layer is the linear map of an
    :class:`~kerastutor.layers.preprocessing.resampling.AffineSampler`:

    .. math:: y = A_\theta\, x + c_\theta, \qquad
              \frac{\partial L}{\partial x} = A_\theta^\top \frac{\partial L}{\partial y}

    Subclasses write :meth:`sample_matrices` (the random part).
    """

    random = True
    _INTERPOLATIONS = ("nearest", "bilinear")

    def _init_affine(self, fill_mode, interpolation, seed, fill_value):
        if fill_mode not in FILL_MODES:
            raise NotImplementedError(
                f"{type(self).__name__}: unknown `fill_mode` {fill_mode!r}. Expected one of "
                f"{FILL_MODES}.")
        if interpolation not in self._INTERPOLATIONS:
            raise NotImplementedError(
                f"{type(self).__name__}: unknown `interpolation` {interpolation!r}. Expected "
                f"one of {self._INTERPOLATIONS}.")
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value
        self._init_seed(seed)

    def sample_matrices(self, batch, height, width):
        """``(batch, 8)`` affine matrices mapping output to input coordinates."""
        raise NotImplementedError

    def forward(self, x, training=False):
        if not training:
            return x, None
        images, single = self._to_nhwc(x)
        _, height, width, _ = images.shape
        matrices = self.sample_matrices(images.shape[0], height, width)
        sampler = AffineSampler(matrices, (height, width), interpolation=self.interpolation,
                                fill_mode=self.fill_mode, fill_value=self.fill_value)
        return self._from_nhwc(sampler.forward(images), single), (sampler, single)

    def backward(self, cache, grad_out):
        if cache is None:                       # inference: the identity
            return grad_out
        sampler, single = cache
        grad, _ = self._to_nhwc(grad_out)
        return self._from_nhwc(sampler.backward(grad), single)

    def get_config(self):
        config = super().get_config()
        config.update({"fill_mode": self.fill_mode, "interpolation": self.interpolation,
                       "seed": self.seed, "fill_value": self.fill_value})
        return config
