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

**The draw** (once per call, for the whole batch, as in Keras):

.. math:: k_1, \dots, k_{n} \sim U\{0, \dots, 10\}
          \ \text{independently}, \qquad n = \texttt{num\_ops},

and each operation draws its own magnitudes (per image, as the layer does
alone). An operation chosen twice is applied twice **with the same draws**:
Keras draws one transformation per operation per call. Then

.. math:: y = f_{k_n} \circ \cdots \circ f_{k_1}(x).

The same operations hit every image of the batch; only their magnitudes
differ per image.

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
from kerastutor.layers.preprocessing.auto_contrast import AutoContrast
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer, _is_number
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
from kerastutor.layers.preprocessing.solarization import Solarization

INTERPOLATIONS = ("nearest", "bilinear")


def make_augmentation_ops(owner, names, factor, value_range, interpolation, data_format):
    """Builds the named operations as attributes of ``owner`` (Keras's recipe, above).

    The operations get no seed of their own: they draw from ``owner``'s
    generator (or the library's, when ``owner`` has no seed), so one seed
    fixes every draw of the composite layer.
    """
    geometric = {"interpolation": interpolation, "data_format": data_format}
    colour = {"value_range": value_range, "data_format": data_format}
    recipes = {
        "random_shear": lambda: RandomShear(x_factor=factor, y_factor=factor, **geometric),
        "random_translation": lambda: RandomTranslation(factor, factor, **geometric),
        "random_rotation": lambda: RandomRotation(factor, **geometric),
        "random_brightness": lambda: RandomBrightness(factor, **colour),
        "random_color_degeneration": lambda: RandomColorDegeneration(factor, **colour),
        "random_contrast": lambda: RandomContrast(factor, **colour),
        "random_sharpness": lambda: RandomSharpness(factor, **colour),
        "random_posterization": lambda: RandomPosterization(max(1, int(8 * factor[1])),
                                                            **colour),
        "solarization": lambda: Solarization(factor, factor, **colour),
        "auto_contrast": lambda: AutoContrast(**colour),
        "equalization": lambda: Equalization(**colour),
    }
    for name in names:
        layer = recipes[name]()
        layer._rng = owner._rng
        setattr(owner, name, layer)


class RecordedDraws:
    """A stand-in generator: the first pass records the draws, :meth:`rewind` replays them.

    Wrapped around an operation's generator so that an operation used twice
    in one call repeats its magnitudes (Keras draws each transformation once).
    """

    def __init__(self, generator):
        self.generator, self.draws, self.position = generator, [], None

    def rewind(self):
        self.position = 0

    def __getattr__(self, method):
        def draw(*args, **kwargs):
            if self.position is None:                  # recording
                self.draws.append(getattr(self.generator, method)(*args, **kwargs))
                return self.draws[-1]
            self.position += 1                         # replaying
            return self.draws[self.position - 1]
        return draw


def apply_op(layer, images, draws):
    """``layer.forward(images, training=True)`` drawing from ``draws``; returns (y, cache)."""
    layer._maybe_build(images.shape)
    own = layer._rng
    layer._rng = draws
    try:
        return layer.forward(images, training=True)
    finally:
        layer._rng = own


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

    def forward(self, x, training=False):
        if not training:
            return x, None
        images = as_float_images(x)
        self._to_nhwc(images)                                 # the rank check
        chosen = self._generator().integers(0, len(self._AUGMENT_LAYERS), size=self.num_ops)
        draws, steps = {}, []
        for index in chosen:
            name = self._AUGMENT_LAYERS[int(index)]
            layer = getattr(self, name)
            if name in draws:
                draws[name].rewind()                          # chosen again: same draws
            else:
                draws[name] = RecordedDraws(layer._generator())
            images, cache = apply_op(layer, images, draws[name])
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
