r"""AugMix: mix the image with a convex combination of randomly augmented copies.

AugMix (Hendrycks et al., 2019, https://arxiv.org/abs/1912.02781) keeps the
image's meaning by never straying far from it: it runs ``num_chains`` short
chains of random operations on copies of the batch, averages the chains with
random weights, and blends the average back with the original.

**The operations** are the existing layers that
:mod:`~kerastutor.layers.preprocessing.rand_augment` builds from ``factor``
(a number :math:`f \in [0, 1]` means :math:`(0, f)`): with ``all_ops=True``
(the default) all eleven -- ``random_shear``, ``random_translation``,
``random_rotation``, ``random_posterization``, ``solarization``,
``auto_contrast``, ``equalization``, ``random_brightness``,
``random_color_degeneration``, ``random_contrast``, ``random_sharpness`` --
with ``all_ops=False`` the first seven only (the paper leaves out the colour
ones that overlap common corruptions).

**The draws** (once per call, for the whole batch, Keras's, number for
number): from the layer's own ``SeedGenerator``

.. math::

    c = (c_1, \dots, c_K) \sim \operatorname{Dirichlet}(\alpha, \dots, \alpha),
    \quad \text{i.e. } c_k = \gamma_k / \textstyle\sum_j \gamma_j,\
    \gamma_k \sim \Gamma(\alpha); \qquad m \sim \operatorname{Beta}(\alpha, \alpha),

(``keras.random.gamma((K,), alpha)``, then ``keras.random.beta((), alpha,
alpha)``) with :math:`K` = ``num_chains``; then, chain by chain and slot by
slot, an operation picked uniformly from the list **plus "nothing"** --
with **Python's** ``random.choice``, as Keras does (so
``keras.utils.set_random_seed`` fixes it, and a seed does not) -- a slot is
empty with probability :math:`1/(n+1)`, and a chain has between 0 and
``chain_depth`` operations. Every operation in a slot draws fresh magnitudes
(per image, as the layer does alone) from this layer's generator, right
after its pick (Keras's ``get_random_transformation(images, seed=...)``).
Then, with :math:`A_k` chain :math:`k`'s composition,

.. math::

    z = m\, x + (1 - m) \sum_{k=1}^{K} c_k\, A_k(x), \qquad
    y = \operatorname{clip}(z, v_{lo}, v_{hi}).

**Backward.** With every draw fixed, :math:`z` is a convex combination of
compositions of layers that have backwards, so

.. math::

    \frac{\partial L}{\partial x} = m\, \bar g + (1 - m) \sum_k c_k\,
    J_{A_k}^\top \bar g, \qquad
    \bar g = [v_{lo} \le z \le v_{hi}]\, \frac{\partial L}{\partial y},

each :math:`J_{A_k}^\top` running the chain's layers' own backwards in
reverse order. ``random_posterization`` and ``equalization`` are
**piecewise constant** in the pixels, so a chain through either contributes
zero gradient (only the :math:`m\,\bar g` term and the other chains remain);
the rest are linear (geometric) or piecewise linear (kinks at clips and
thresholds). The weights :math:`c, m` are sampled, not learned: no gradient
flows to them.

Like the other random layers it augments only in training; at inference it
is the identity, and called directly with no ``training`` argument it
augments (Keras's quirk).
"""
import random as python_random

import numpy as np

from kerastutor import random as keras_random
from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer, _is_number
from kerastutor.layers.preprocessing.rand_augment import (
    apply_transformation, as_float_images, check_count, check_interpolation,
    check_value_range, draw_transformation, make_augmentation_ops)

AUGMENT_LAYERS = ["random_shear", "random_translation", "random_rotation",
                  "random_posterization", "solarization", "auto_contrast", "equalization"]
AUGMENT_LAYERS_ALL = AUGMENT_LAYERS + ["random_brightness", "random_color_degeneration",
                                       "random_contrast", "random_sharpness"]


class AugMix(BaseImagePreprocessingLayer):
    r""":math:`y = \operatorname{clip}(m x + (1-m) \sum_k c_k A_k(x))`, chains :math:`A_k`."""

    random = True               # applied only while training (direct call: training)
    has_kinks = True            # the clip, and the operations' own kinks
    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        name = type(self).__name__
        self.value_range = check_value_range(name, value_range)
        self.num_chains = check_count(name, "num_chains", num_chains, 1)
        self.chain_depth = check_count(name, "chain_depth", chain_depth, 0)
        self.factor = self._set_factor(factor)
        if not _is_number(alpha) or alpha <= 0:
            raise ValueError(
                f"AugMix: `alpha` (the Dirichlet and Beta concentration) should be a number "
                f"> 0. Received: alpha={alpha!r}. Fix: e.g. alpha=1.0.")
        self.alpha = alpha
        self.all_ops = bool(all_ops)
        self.interpolation = check_interpolation(name, interpolation)
        self._init_seed(seed)
        self._augment_layers = AUGMENT_LAYERS_ALL if self.all_ops else AUGMENT_LAYERS
        make_augmentation_ops(self, self._augment_layers, self.factor, self.value_range,
                              self.interpolation, self.data_format)

    def get_random_transformation(self, x, training=True, seed=None):
        """Keras's draws from ``seed`` (default: the layer's generator); ``None`` at inference.

        ``chain_mixing_weights`` :math:`c` (Dirichlet, through ``gamma``),
        ``weight_sample`` :math:`m` (Beta), and ``chain_transforms``: per chain
        a list of ``(name, magnitudes)``, the empty slots left out.
        """
        if not training:
            return None
        seed = seed or self.generator
        images = as_float_images(x)
        self._to_nhwc(images)                                  # the rank check
        gammas = keras_random.gamma((self.num_chains,), self.alpha, seed=seed)
        chain_weights = gammas / np.sum(gammas, axis=-1, keepdims=True)
        blend = keras_random.beta((), self.alpha, self.alpha, seed=seed)
        chains = []
        for _ in range(self.num_chains):
            steps = []
            for _ in range(self.chain_depth):
                name = python_random.choice(self._augment_layers + [None])
                if name is not None:                           # None: the empty slot
                    steps.append((name, draw_transformation(getattr(self, name), images,
                                                            seed)))
            chains.append(steps)
        return {"chain_mixing_weights": chain_weights, "weight_sample": blend,
                "chain_transforms": chains}

    def forward(self, x, training=False):
        transformation = self.get_random_transformation(x, training=training)
        if transformation is None:
            return x, None
        images = as_float_images(x)
        chain_weights = transformation["chain_mixing_weights"].astype(images.dtype)
        blend = images.dtype.type(transformation["weight_sample"])
        mixed, chains = np.zeros_like(images), []
        for weight, chain in zip(chain_weights, transformation["chain_transforms"]):
            copy, steps = images, []
            for name, magnitudes in chain:
                layer = getattr(self, name)
                copy, cache = apply_transformation(layer, copy, magnitudes)
                steps.append((layer, cache))
            mixed = mixed + copy * weight
            chains.append(steps)
        z = blend * images + (1 - blend) * mixed
        lo, hi = self.value_range
        inside = (z >= lo) & (z <= hi)
        y = np.clip(z, lo, hi).astype(images.dtype)
        return y, (chain_weights, blend, chains, inside)

    def backward(self, cache, grad_out):
        if cache is None:                                      # inference: the identity
            return grad_out
        chain_weights, blend, chains, inside = cache
        g = np.where(inside, grad_out, 0).astype(grad_out.dtype)
        grad = blend * g
        for weight, steps in zip(chain_weights, chains):
            chain_grad = (1 - blend) * weight * g
            for layer, layer_cache in reversed(steps):
                chain_grad = layer.backward(layer_cache, chain_grad)
            grad = grad + chain_grad
        return grad

    def get_config(self):
        config = super().get_config()
        config.update({"value_range": self.value_range, "num_chains": self.num_chains,
                       "chain_depth": self.chain_depth, "factor": self.factor,
                       "alpha": self.alpha, "all_ops": self.all_ops,
                       "interpolation": self.interpolation, "seed": self.seed})
        return config
