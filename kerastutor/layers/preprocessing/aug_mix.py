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

**The draws** (once per call, for the whole batch, as in Keras):

.. math::

    c = (c_1, \dots, c_K) \sim \operatorname{Dirichlet}(\alpha, \dots, \alpha),
    \quad \text{i.e. } c_k = \gamma_k / \textstyle\sum_j \gamma_j,\
    \gamma_k \sim \Gamma(\alpha); \qquad m \sim \operatorname{Beta}(\alpha, \alpha),

with :math:`K` = ``num_chains``; and for each chain :math:`k` and each of its
``chain_depth`` slots an operation drawn uniformly from the list **plus
"nothing"** (so a slot is empty with probability :math:`1/(n+1)`, and a
chain has between 0 and ``chain_depth`` operations). Every operation in a
slot draws fresh magnitudes (per image, as the layer does alone). Then, with
:math:`A_k` chain :math:`k`'s composition,

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
import numpy as np

from kerastutor.layers.preprocessing.base_image_preprocessing_layer import \
    BaseImagePreprocessingLayer, _is_number
from kerastutor.layers.preprocessing.rand_augment import (
    apply_op, as_float_images, check_count, check_interpolation, check_value_range,
    make_augmentation_ops)

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

    def sample_mixing(self):
        """The chain weights :math:`c` (Dirichlet), the blend :math:`m` (Beta) and the slots.

        ``slots[k, d]`` indexes ``self._augment_layers``; the extra index
        ``len(self._augment_layers)`` is the empty slot.
        """
        generator = self._generator()
        gammas = generator.gamma(self.alpha, size=self.num_chains)
        chain_weights = gammas / gammas.sum()
        blend = generator.beta(self.alpha, self.alpha)
        slots = generator.integers(0, len(self._augment_layers) + 1,
                                   size=(self.num_chains, self.chain_depth))
        return chain_weights, blend, slots

    def forward(self, x, training=False):
        if not training:
            return x, None
        images = as_float_images(x)
        self._to_nhwc(images)                                  # the rank check
        chain_weights, blend, slots = self.sample_mixing()
        chain_weights = chain_weights.astype(images.dtype)
        blend = images.dtype.type(blend)
        mixed, chains = np.zeros_like(images), []
        for weight, chain_slots in zip(chain_weights, slots):
            copy, steps = images, []
            for slot in chain_slots:
                if slot == len(self._augment_layers):          # the empty slot
                    continue
                layer = getattr(self, self._augment_layers[int(slot)])
                copy, cache = apply_op(layer, copy, layer._generator())
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
