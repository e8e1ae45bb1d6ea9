r"""ConvNeXt (Liu et al., "A ConvNet for the 2020s", CVPR 2022): a ResNet modernised
step by step with the design choices of vision transformers.

**The network.** An image goes through

1. *preprocessing inside the model* (``include_preprocessing=True``): a
   :class:`~kerastutor.layers.Normalization` with the ImageNet statistics in
   pixel units, :math:`(x - 255\mu_c) / (255\sigma_c)`, so the model takes raw
   ``[0, 255]`` pixels and :func:`preprocess_input` does nothing;
2. a *patchify stem*: a 4x4 convolution of stride 4 (non-overlapping patches,
   like a ViT's patch embedding) and a LayerNormalization;
3. four *stages* of :math:`d_i` blocks at widths :math:`C_i` (Tiny:
   :math:`d = (3, 3, 9, 3)`, :math:`C = (96, 192, 384, 768)`), each later
   stage starting with a *downsampling* LayerNormalization + 2x2 convolution
   of stride 2; so the feature map is 1/32 of the image;
4. the head: global average pooling, LayerNormalization, Dense classifier.

**The block** (channels last, :math:`x \in \mathbb{R}^{H \times W \times C}`):

.. math::

    y = x + \gamma \odot \Big( W_2\, \mathrm{GELU}\big( W_1\, \mathrm{LN}(
        \mathrm{DWConv}_{7\times7}(x)) + b_1 \big) + b_2 \Big)

-- a 7x7 *depthwise* convolution mixes space (each channel alone, a large
window as attention would see), LayerNormalization (:math:`\epsilon = 10^{-6}`)
replaces BatchNorm, two Dense layers on the channel axis (1x1 convolutions)
form an *inverted bottleneck* :math:`C \to 4C \to C` with one GELU, and
:class:`~kerastutor.applications.convnext_layers.LayerScale` (:math:`\gamma`,
starting at :math:`10^{-6}`) lets each block start as the identity. A block
has :math:`8C^2 + 58C` parameters (:math:`49C + C` depthwise, :math:`2C` LN,
:math:`4C^2 + 4C` and :math:`4C^2 + C` Dense, :math:`C` LayerScale).

As Keras builds it: the depthwise convolution is a ``Conv2D`` with
``groups=C`` (kernel ``(7, 7, 1, C)``), the stem and each downsampling are a
nested ``Sequential`` (one entry of ``model.layers``, four weights), and the
residual sum is an operation, not a layer (see
:mod:`~kerastutor.applications.convnext_layers`). Without the top, the
features always end in a LayerNormalization (after the pooling, if any).
Pretrained weights (``weights="imagenet"``) are Keras's files, checked by
their sha256; Base, Large and XLarge were pre-trained on ImageNet-21k.
"""
import os

import numpy as np

from kerastutor import backend
from kerastutor.applications import imagenet_utils
from kerastutor.applications.convnext_layers import (FunctionalWithOps, LayerScale,
                                                     StochasticDepth, residual_add)
from kerastutor.layers import (Activation, Conv2D, Dense, GlobalAveragePooling2D,
                               GlobalMaxPooling2D, LayerNormalization, Normalization)

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"

#: sha256 of Keras's weight files: (with the top, without it).
WEIGHTS_HASHES = {
    "convnext_tiny": (
        "8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
    ),
    "convnext_small": (
        "ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
        "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab",
    ),
    "convnext_base": (
        "52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
        "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45",
    ),
    "convnext_large": (
        "070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
        "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd",
    ),
    "convnext_xlarge": (
        "c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05",
    ),
}

#: Blocks per stage and the stage widths of each member; all default to 224x224.
MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768],
             "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768],
              "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024],
             "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536],
              "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048],
               "default_size": 224},
}

IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)

def _uid(prefix):
    """Keras's ``backend.get_uid(prefix)``: 1, 2, 3, ... per prefix, reset by
    ``clear_session`` (kept with the automatic names; a tuple key is no layer name)."""
    key = ("get_uid", prefix)
    backend._NAME_COUNTS[key] = backend._NAME_COUNTS.get(key, 0) + 1
    return backend._NAME_COUNTS[key]


def _sequential(layers, name):
    from kerastutor.models import Sequential
    return Sequential(layers, name=name)


# ======================================================================== building blocks
def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6,
                  name=None):
    r"""One block, :math:`x + \gamma \odot \mathrm{MLP}(\mathrm{LN}(\mathrm{DWConv}(x)))`
    (see the module); returns a function of the block's input tensor.

    ``layer_scale_init_value=None`` leaves out LayerScale; ``drop_path_rate > 0``
    puts a :class:`StochasticDepth` on the branch, else an identity ``Activation``.
    """
    if name is None:                  # Keras's default name (it counts "prestem" uids)
        name = f"prestem{_uid('prestem')}"

    def apply(inputs):
        x = Conv2D(filters=projection_dim, kernel_size=7, padding="same",
                   groups=projection_dim, name=f"{name}_depthwise_conv")(inputs)
        x = LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)   # C -> 4C
        x = Activation("gelu", name=f"{name}_gelu")(x)
        x = Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)       # 4C -> C
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim,
                           name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            branch = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            branch = Activation("linear", name=f"{name}_identity")
        return residual_add(inputs, branch(x))

    return apply


def PreStem(name=None):
    r"""Raw pixels to ImageNet-normalised ones: :math:`(x - 255\mu_c)/(255\sigma_c)`."""
    if name is None:
        name = f"prestem{_uid('prestem')}"

    def apply(x):
        return Normalization(
            mean=[m * 255 for m in IMAGENET_MEAN_RGB],
            variance=[(s * 255) ** 2 for s in IMAGENET_STD_RGB],
            name=f"{name}_prestem_normalization")(x)

    return apply


def Head(num_classes=1000, classifier_activation=None, name=None):
    """Global average pooling, LayerNormalization, the Dense classifier."""
    if name is None:
        name = str(_uid("head"))      # Keras's default: a bare number

    def apply(x):
        x = GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return Dense(num_classes, activation=classifier_activation,
                     name=f"{name}_head_dense")(x)

    return apply


# ======================================================================== the network
def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6,
             default_size=224, name="convnext", include_preprocessing=True,
             include_top=True, weights=None, input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax",
             weights_name=None):
    """A ConvNeXt of any depths and widths (the members below fix them), Keras's rules.

    ``drop_path_rate`` is the stochastic-depth rate of the last block, rising
    linearly from 0 at the first one.
    """
    if backend.image_data_format() == "channels_first":
        raise ValueError(
            "ConvNeXt does not support the `channels_first` image data format. Switch to "
            "`channels_last` by editing your local config file at ~/.keras/keras.json")
    # Keras's own check (a set: unhashable ``weights`` raise TypeError), not the shared one
    if not (weights in {"imagenet", None} or _exists(weights)):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "`imagenet` (pre-training on ImageNet), or the path to the weights file to be "
            "loaded.")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError('If using `weights="imagenet"` with `include_top=True`, '
                         f"`classes` should be 1000. Received classes={classes}")

    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top,
        weights=weights)
    x, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)
    if isinstance(inputs, (list, tuple)):
        inputs = inputs[0]

    # Keras looks at input_shape, not at the tensor: three channels get normalised.
    if include_preprocessing and input_shape[2] == 3:
        x = PreStem(name=name)(x)

    stem = _sequential([
        Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
        LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm"),
    ], name=f"{name}_stem")
    downsampling = [stem] + [
        _sequential([
            LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
            Conv2D(projection_dims[i + 1], kernel_size=2, strides=2,
                   name=f"{name}_downsampling_conv_{i}"),
        ], name=f"{name}_downsampling_block_{i}")
        for i in range(3)]

    # stochastic depth: 0 for the first block, drop_path_rate for the last
    rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    first = 0
    for stage in range(4):
        x = downsampling[stage](x)
        for j in range(depths[stage]):
            x = ConvNeXtBlock(projection_dim=projection_dims[stage],
                              drop_path_rate=rates[first + j],
                              layer_scale_init_value=layer_scale_init_value,
                              name=f"{name}_stage_{stage}_block_{j}")(x)
        first += depths[stage]

    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Head(num_classes=classes, classifier_activation=classifier_activation,
                 name=name)(x)
    else:
        if pooling == "avg":
            x = GlobalAveragePooling2D()(x)
        elif pooling == "max":
            x = GlobalMaxPooling2D()(x)
        x = LayerNormalization(epsilon=1e-6)(x)    # always, pooled or not

    model = FunctionalWithOps(inputs=inputs, outputs=x, name=name)

    if weights == "imagenet":
        variant = weights_name.split("convnext_")[-1]
        expected = MODEL_CONFIGS[variant]
        if depths != expected["depths"] or projection_dims != expected["projection_dims"]:
            raise ValueError(
                f"Architecture configuration does not match {weights_name} variant. When "
                "using pre-trained weights, the model architecture must match the "
                "pre-trained configuration exactly. Expected depths: "
                f"{expected['depths']}, got: {depths}. Expected projection_dims: "
                f"{expected['projection_dims']}, got: {projection_dims}.")
        if weights_name not in name:
            raise ValueError(
                f'Model name "{name}" does not match weights variant "{weights_name}". '
                "When using imagenet weights, model name must contain the weights variant "
                f'(e.g., "convnext_{variant}").')
    # Keras names the file after the model's name, not after the variant.
    return imagenet_utils.load_weights_named_after(model, name, weights, include_top,
                                                   BASE_WEIGHTS_PATH, WEIGHTS_HASHES,
                                                   weights_name)


def _exists(path):
    return isinstance(path, (str, os.PathLike)) and os.path.exists(path)


# ======================================================================== the members
def _member(variant, name, include_top, include_preprocessing, weights, input_tensor,
            input_shape, pooling, classes, classifier_activation):
    config = MODEL_CONFIGS[variant]
    return ConvNeXt(weights_name=f"convnext_{variant}", depths=config["depths"],
                    projection_dims=config["projection_dims"], drop_path_rate=0.0,
                    layer_scale_init_value=1e-6, default_size=config["default_size"],
                    name=name, include_top=include_top,
                    include_preprocessing=include_preprocessing, weights=weights,
                    input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                    classes=classes, classifier_activation=classifier_activation)


def ConvNeXtTiny(include_top=True, include_preprocessing=True, weights="imagenet",
                 input_tensor=None, input_shape=None, pooling=None, classes=1000,
                 classifier_activation="softmax", name="convnext_tiny"):
    """ConvNeXt-T: depths (3, 3, 9, 3), widths (96, 192, 384, 768); 28.6M parameters."""
    return _member("tiny", name, include_top, include_preprocessing, weights,
                   input_tensor, input_shape, pooling, classes, classifier_activation)


def ConvNeXtSmall(include_top=True, include_preprocessing=True, weights="imagenet",
                  input_tensor=None, input_shape=None, pooling=None, classes=1000,
                  classifier_activation="softmax", name="convnext_small"):
    """ConvNeXt-S: depths (3, 3, 27, 3), widths (96, 192, 384, 768); 50.2M parameters."""
    return _member("small", name, include_top, include_preprocessing, weights,
                   input_tensor, input_shape, pooling, classes, classifier_activation)


def ConvNeXtBase(include_top=True, include_preprocessing=True, weights="imagenet",
                 input_tensor=None, input_shape=None, pooling=None, classes=1000,
                 classifier_activation="softmax", name="convnext_base"):
    """ConvNeXt-B: depths (3, 3, 27, 3), widths (128, 256, 512, 1024); 88.6M parameters."""
    return _member("base", name, include_top, include_preprocessing, weights,
                   input_tensor, input_shape, pooling, classes, classifier_activation)


def ConvNeXtLarge(include_top=True, include_preprocessing=True, weights="imagenet",
                  input_tensor=None, input_shape=None, pooling=None, classes=1000,
                  classifier_activation="softmax", name="convnext_large"):
    """ConvNeXt-L: depths (3, 3, 27, 3), widths (192, 384, 768, 1536); 197.8M parameters."""
    return _member("large", name, include_top, include_preprocessing, weights,
                   input_tensor, input_shape, pooling, classes, classifier_activation)


def ConvNeXtXLarge(include_top=True, include_preprocessing=True, weights="imagenet",
                   input_tensor=None, input_shape=None, pooling=None, classes=1000,
                   classifier_activation="softmax", name="convnext_xlarge"):
    """ConvNeXt-XL: depths (3, 3, 27, 3), widths (256, 512, 1024, 2048); 350.2M parameters."""
    return _member("xlarge", name, include_top, include_preprocessing, weights,
                   input_tensor, input_shape, pooling, classes, classifier_activation)


# ======================================================================== data
def preprocess_input(x, data_format=None):
    """Returns ``x`` unchanged: ConvNeXt normalises its input itself (its first layer)."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row: ``[(wordnet_id, name, score), ...]``."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge",
           "ConvNeXtXLarge", "preprocess_input", "decode_predictions",
           "LayerScale", "StochasticDepth"]
