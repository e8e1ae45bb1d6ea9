r"""RandAugment: apply ``num_ops`` randomly chosen augmentations, one after the other.

RandAugment (Cubuk et al., 2019, https://arxiv.org/abs/1909.13719) replaces a
searched augmentation policy by two numbers: how many operations to apply
(``num_ops``) and how strong they are (``factor``). The operations are eleven
existing layers, built once with that strength (Keras's list, in Keras's order):

=====  =============================  =============================================
k      operation                      built as
=====  =============================  =============================================
0      ``random_shear``               ``RandomShear(x_factor=f, y_factor=f)``
1      ``random_translation``         ``RandomTranslation(f, f)``
2      ``random_rotation``            ``RandomRotation(f)``
3      ``random_brightness``          ``RandomBrightness(f)``
4      ``random_color_degeneration``  ``RandomColorDegeneration(f)``
5      ``random_contrast``            ``RandomContrast(f)``
6      ``random_sharpness``           ``RandomSharpness(f)``
7      ``random_posterization``       ``RandomPosterization(max(1, int(8 f_hi)))``
8      ``solarization``               ``Solarization(f, f)``
9      ``auto_contrast``              ``AutoContrast()``
10     ``equalization``               ``Equalization()``
=====  =============================  =============================================

Here :math:`f = (f_{lo}, f_{hi})` is ``factor`` -- a number :math:`f` in
:math:`[0, 1]` means :math:`(0, f)` -- and the colour layers get
``value_range``; the geometric ones get ``interpolation``.

**The draws** (once per call, for the whole batch, Keras's, number for
number, all from the layer's own ``SeedGenerator``): first the choices

.. math:: k_1, \dots, k_{n} \sim U\{0, \dots, 10\}
          \ \text{independently}, \qquad n = \texttt{num\_ops}

(``keras.random.randint((num_ops,), 0, 11)``), then **every** operation's
magnitudes, all eleven in the table's order, chosen or not -- each operation's
``get_random_transformation(images, seed=<this layer's generator>)``, so they
move this layer's generator on (Keras draws them so; the operations' own
generators are not used). Each operation's magnitudes are per image, as the
layer draws them alone, and drawn for the input images (only their shape
matters). An operation chosen twice is applied twice **with the same
draws**. Then

.. math:: y = f_{k_n} \circ \cdots \circ f_{k_1}(x).

The same operations hit every image of the batch; only their magnitudes
differ per image.

**Where Keras differs** (a Keras bug, not followed): Keras evaluates every
operation in every slot and keeps the chosen one with ``where``, and its
``RandomBrightness`` does ``images += delta`` in place; under the NumPy and
torch backends that shifts the images by the (unclipped) brightness delta in
every slot, chosen or not. Under TensorFlow and JAX (immutable arrays) it is
the plain composition above, which kerastutor implements -- with Keras's draws.

**Backward.** With the choices and magnitudes fixed, :math:`y` is a
composition, so the chain rule runs each chosen layer's own backward in
reverse order:

.. math:: \frac{\partial L}{\partial x} = J_{f_{k_1}}^\top \cdots
          J_{f_{k_n}}^\top \frac{\partial L}{\partial y}.

Two of the operations are **piecewise constant** in the pixels --
``random_posterization`` (bit truncation) and ``equalization`` (a histogram
lookup table) -- so a chain through either passes a zero gradient (their
a.e. derivative). ``solarization``, ``auto_contrast`` and the clipping colour
layers are piecewise linear (kinks); the geometric ones are linear maps.

Like the other random layers it augments only in training; at inference it
is the identity, and called directly with no ``training`` argument it
augments (Keras's quirk).
"""
import numpy as np

from kerastutor import backend
from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.auto_contrast import AutoContrast
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer, RandomAffineLayer, _is_number)
from kerastutor.layers.preprocessing.equalization import Equalization
from kerastutor.layers.preprocessing.random_brightness import RandomBrightness
from kerastutor.layers.preprocessing.random_color_degeneration import \
    RandomColorDegeneration
from kerastutor.layers.preprocessing.random_contrast import RandomContrast
from kerastutor.layers.preprocessing.random_posterization import RandomPosterization
from kerastutor.layers.preprocessing.random_rotation import RandomRotation
from kerastutor.layers.preprocessing.random_sharpness import RandomSharpness
from kerastutor.layers.preprocessing.random_shear import RandomShear
from kerastutor.layers.preprocessing.random_translation import RandomTranslation
from kerastutor.layers.preprocessing.resampling import AffineSampler
from kerastutor.layers.preprocessing.solarization import Solarization

INTERPOLATIONS = ("nearest", "bilinear")


def make_augmentation_ops(owner, names, factor, value_range, interpolation, data_format):
    """Builds the named operations as attributes of ``owner`` (Keras's recipe, above).

    Each gets ``owner``'s ``seed``, as in Keras (so an unseeded owner's operations
    each take a seed from Python's ``random``, as Keras's do); but they draw
    from ``owner``'s generator, which ``owner`` hands to
    :func:`draw_transformation`.
    """
    seed = owner.seed
    geometric = {"interpolation": interpolation, "data_format": data_format, "seed": seed}
    colour = {"value_range": value_range, "data_format": data_format}
    recipes = {
        "random_shear": lambda: RandomShear(x_factor=factor, y_factor=factor, **geometric),
        "random_translation": lambda: RandomTranslation(factor, factor, **geometric),
        "random_rotation": lambda: RandomRotation(factor, **geometric),
        "random_brightness": lambda: RandomBrightness(factor, seed=seed, **colour),
        "random_color_degeneration": lambda: RandomColorDegeneration(factor, seed=seed,
                                                                     **colour),
        "random_contrast": lambda: RandomContrast(factor, seed=seed, **colour),
        "random_sharpness": lambda: RandomSharpness(factor, seed=seed, **colour),
        "random_posterization": lambda: RandomPosterization(max(1, int(8 * factor[1])),
                                                            seed=seed, **colour),
        "solarization": lambda: Solarization(factor, factor, seed=seed, **colour),
        "auto_contrast": lambda: AutoContrast(**colour),
        "equalization": lambda: Equalization(**colour),
    }
    for name in names:
        setattr(owner, name, recipes[name]())


def draw_transformation(layer, images, seed):
    """An operation's random magnitudes for ``images``, drawn from ``seed``.

    Keras's ``layer.get_random_transformation(images, training=True, seed=seed)``:
    a compound layer passes its own ``SeedGenerator`` so that the operation
    draws from it. ``None`` for the operations that draw nothing
    (``auto_contrast``, ``equalization``).

    A geometric operation that has no such method yet (a
    :class:`RandomAffineLayer` draws in ``sample_matrices`` from its own
    ``generator``) is lent ``seed`` as its generator for the draw: the same
    numbers Keras's ``seed=`` argument gives.
    """
    if hasattr(layer, "get_random_transformation"):
        return layer.get_random_transformation(images, training=True, seed=seed)
    if isinstance(layer, RandomAffineLayer):
        batch, height, width, _ = layer._to_nhwc(images)[0].shape
        own, layer.generator = layer.generator, seed
        try:
            return {"matrices": layer.sample_matrices(batch, height, width)}
        finally:
            layer.generator = own
    return None


def apply_transformation(layer, images, transformation):
    """``layer``'s forward pass on ``images`` with the magnitudes drawn before: ``(y, cache)``.

    ``cache`` is what ``layer.backward`` takes.
    """
    layer._maybe_build(images.shape)
    if hasattr(layer, "apply_transformation"):
        return layer.apply_transformation(images, transformation)
    if isinstance(layer, RandomAffineLayer):        # the hook of draw_transformation
        batch, single = layer._to_nhwc(images)
        sampler = AffineSampler(transformation["matrices"], batch.shape[1:3],
                                interpolation=layer.interpolation,
                                fill_mode=layer.fill_mode, fill_value=layer.fill_value)
        return layer._from_nhwc(sampler.forward(batch), single), (sampler, single)
    return layer.forward(images, training=True)


def check_value_range(layer_name, value_range):
    """Two numbers, low < high, kept as given (Keras stores the tuple as is)."""
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2 or \
            not all(_is_number(v) for v in value_range) or value_range[0] >= value_range[1]:
        raise ValueError(
            f"{layer_name}: `value_range` should be two numbers (low, high) with low < "
            f"high. Received: value_range={value_range!r}. Fix: e.g. value_range=(0, 255) "
            "or (0, 1).")
    return tuple(value_range)


def check_count(layer_name, name, value, smallest):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or \
            value < smallest:
        raise ValueError(
            f"{layer_name}: `{name}` should be an integer >= {smallest}. Received: "
            f"{name}={value!r}. Fix: e.g. {name}=2.")
    return int(value)


def check_interpolation(layer_name, interpolation):
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"{layer_name}: `interpolation` should be one of {INTERPOLATIONS}. Received: "
            f"interpolation={interpolation!r}. Fix: interpolation='bilinear'.")
    return interpolation


def as_float_images(x):
    """Keras casts the images to the compute dtype; float inputs keep theirs here."""
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(backend.floatx())


class RandAugment(BaseImagePreprocessingLayer):
    r""":math:`y = f_{k_n} \circ \cdots \circ f_{k_1}(x)`, :math:`k_i` uniform over 11 ops."""

    random = True               # applied only while training (direct call: training)
    has_kinks = True            # clips, thresholds, piecewise-constant ops
    _FACTOR_BOUNDS = (0, 1)

    _AUGMENT_LAYERS = [
        "random_shear", "random_translation", "random_rotation", "random_brightness",
        "random_color_degeneration", "random_contrast", "random_sharpness",
        "random_posterization", "solarization", "auto_contrast", "equalization"]

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        name = type(self).__name__
        self.value_range = check_value_range(name, value_range)
        self.num_ops = check_count(name, "num_ops", num_ops, 0)
        self.factor = self._set_factor(factor)
        self.interpolation = check_interpolation(name, interpolation)
        self._init_seed(seed)
        make_augmentation_ops(self, self._AUGMENT_LAYERS, self.factor, self.value_range,
                              self.interpolation, self.data_format)

    def get_random_transformation(self, x, training=True, seed=None):
        """The choices, then all eleven operations' magnitudes, from ``seed`` (default: the
        layer's generator), in Keras's order; ``None`` at inference (no draws)."""
        if not training:
            return None
        seed = seed or self.generator
        images = as_float_images(x)
        self._to_nhwc(images)                                 # the rank check
        chosen = keras_random.randint((self.num_ops,), 0, len(self._AUGMENT_LAYERS),
                                      seed=seed)
        transforms = {name: draw_transformation(getattr(self, name), images, seed)
                      for name in self._AUGMENT_LAYERS}
        return {"layer_idxes": chosen, "transforms": transforms}

    def forward(self, x, training=False):
        transformation = self.get_random_transformation(x, training=training)
        if transformation is None:
            return x, None
        images, steps = as_float_images(x), []
        for index in transformation["layer_idxes"]:
            name = self._AUGMENT_LAYERS[int(index)]
            layer = getattr(self, name)
            images, cache = apply_transformation(layer, images,
                                                 transformation["transforms"][name])
            steps.append((layer, cache))
        return images, steps

    def backward(self, cache, grad_out):
        if cache is None:                                     # inference: the identity
            return grad_out
        for layer, layer_cache in reversed(cache):
            grad_out = layer.backward(layer_cache, grad_out)
        return grad_out

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "num_ops": self.num_ops,
                       "factor": self.factor, "interpolation": self.interpolation,
                       "seed": self.seed})
        return config
