r"""EfficientNetV2 (Tan and Le, 2021): EfficientNet made faster to train.

Two block kinds, both with swish activations and BatchNormalization
(momentum 0.9, :math:`\epsilon = 10^{-3}`), every convolution bias-free except
the squeeze-and-excite pair:

* **MBConv** (the later stages), EfficientNet's block: a 1x1 *expand*
  convolution (:math:`C \to tC`), a :math:`3 \times 3` *depthwise* convolution
  (``same`` padding, the stage's stride), a squeeze-and-excite gate

  .. math:: y_{hwc} = x_{hwc}\,\sigma\big(W_2\,\mathrm{swish}(W_1 \bar{x} + b_1) + b_2\big)_c,

  (:math:`\bar{x}`: the channel means; :math:`W_1` to a quarter of the block's
  input width), and a linear 1x1 *project* convolution.
* **Fused-MBConv** (the early stages, where the feature maps are large and
  depthwise convolutions are slow on accelerators): the expand and the
  depthwise convolutions are *fused* into one ordinary :math:`3 \times 3`
  convolution :math:`C \to tC` with the stride, then the 1x1 project. With
  :math:`t = 1` there is only the :math:`3 \times 3` convolution, followed by an
  activation. No squeeze-and-excite in any of Keras's configurations.

Both end, when the shape is unchanged, in the residual
:math:`y = x + \mathrm{drop}(f(x))`: Dropout with ``noise_shape=(None, 1, 1, 1)``
removes a sample's whole branch with probability :math:`p_b = 0.2\, b / B`
during training (stochastic depth; Keras names it ``survival_probability`` but
uses it as the *drop* rate, and takes :math:`B` as the number of blocks before
depth scaling). Block 0 has :math:`p = 0` and so no Dropout layer.

The stem is a :math:`3 \times 3` stride-2 convolution (``same``), the head a 1x1
convolution to :math:`1280 w` channels. Members:

===========  =====  =====  =====  ======
member       w      d      r      stages
===========  =====  =====  =====  ======
B0           1.0    1.0    224    6
B1           1.0    1.1    240    6
B2           1.1    1.2    260    6
B3           1.2    1.4    300    6
S            1.0    1.0    384    6
M            1.0    1.0    480    7
L            1.0    1.0    480    7
===========  =====  =====  =====  ======

(S, M and L have stage tables of their own, not a scaling of B0.) Widths are
:math:`w \cdot n` rounded to the nearest multiple of 8 (at least 8); repeats
:math:`\lceil d \cdot n \rceil`.

**Preprocessing** is inside the model unless ``include_preprocessing=False``:
the B members (with 3 channels) use EfficientNet's
``Rescaling(1/255)`` then ``Normalization`` with the ImageNet mean
:math:`\mu = (0.485, 0.456, 0.406)` and variance :math:`\sigma^2` with
:math:`\sigma = (0.229, 0.224, 0.225)` given as constants (not weights);
S, M, L use ``Rescaling(1/128, offset=-1)``, into :math:`[-1, 1)`. Without
preprocessing the model expects inputs in :math:`[-1, 1]`.
:func:`preprocess_input` returns its input unchanged.
"""
import copy
import math

from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils
# EfficientNet's initialisers and squeeze-and-excitation, unchanged in V2
from kerastutor.applications.efficientnet import (CONV_KERNEL_INITIALIZER,
                                                  DENSE_KERNEL_INITIALIZER,
                                                  IMAGENET_STDDEV_RGB, _channel_axis)
from kerastutor.applications.efficientnet import squeeze_excite as _squeeze_excite
from kerastutor.models import Model

BASE_WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                     "efficientnet_v2/")

# md5 of Keras's files, (with the classifier, without it)
WEIGHTS_HASHES = {
    "b0": ("21ecbf6da12460d5c40bb2f29ceb2188", "893217f2bb855e2983157299931e43ff"),
    "b1": ("069f0534ff22adf035c89e2d9547a9dc", "0e80663031ca32d657f9caa404b6ec37"),
    "b2": ("424e49f28180edbde1e94797771950a7", "1dfe2e7a5d45b6632553a8961ea609eb"),
    "b3": ("1f1fc43bd98a6e4fd8fdfd551e02c7a0", "f6abf7b5849ac99a89b50dd3fd532856"),
    "-s": ("e1d88a8495beba45748fedd0cecbe016", "af0682fb74e8c54910f2d4393339c070"),
    "-m": ("a3bf6aa3276309f4fc6a34aa114c95cd", "1b8dc055df72dde80d614482840fe342"),
    "-l": ("27e6d408b53c7ebc868fefa357689935", "b0b66b5c863aef5b46e8608fe1711615"),
}

FUSED, MBCONV = 1, 0


def _stages(rows):
    """Stage dicts from rows ``(conv_type, repeats, in, out, expand, stride, se_ratio)``
    (every kernel is 3x3)."""
    return [{"kernel_size": 3, "num_repeat": n, "input_filters": c_in,
             "output_filters": c_out, "expand_ratio": t, "se_ratio": se, "strides": s,
             "conv_type": kind} for kind, n, c_in, c_out, t, s, se in rows]


_B_STAGES = [
    (FUSED, 1, 32, 16, 1, 1, 0), (FUSED, 2, 16, 32, 4, 2, 0), (FUSED, 2, 32, 48, 4, 2, 0),
    (MBCONV, 3, 48, 96, 4, 2, 0.25), (MBCONV, 5, 96, 112, 6, 1, 0.25),
    (MBCONV, 8, 112, 192, 6, 2, 0.25),
]

DEFAULT_BLOCKS_ARGS = {
    "efficientnetv2-s": _stages([
        (FUSED, 2, 24, 24, 1, 1, 0), (FUSED, 4, 24, 48, 4, 2, 0), (FUSED, 4, 48, 64, 4, 2, 0),
        (MBCONV, 6, 64, 128, 4, 2, 0.25), (MBCONV, 9, 128, 160, 6, 1, 0.25),
        (MBCONV, 15, 160, 256, 6, 2, 0.25)]),
    "efficientnetv2-m": _stages([
        (FUSED, 3, 24, 24, 1, 1, 0), (FUSED, 5, 24, 48, 4, 2, 0), (FUSED, 5, 48, 80, 4, 2, 0),
        (MBCONV, 7, 80, 160, 4, 2, 0.25), (MBCONV, 14, 160, 176, 6, 1, 0.25),
        (MBCONV, 18, 176, 304, 6, 2, 0.25), (MBCONV, 5, 304, 512, 6, 1, 0.25)]),
    "efficientnetv2-l": _stages([
        (FUSED, 4, 32, 32, 1, 1, 0), (FUSED, 7, 32, 64, 4, 2, 0), (FUSED, 7, 64, 96, 4, 2, 0),
        (MBCONV, 10, 96, 192, 4, 2, 0.25), (MBCONV, 19, 192, 224, 6, 1, 0.25),
        (MBCONV, 25, 224, 384, 6, 2, 0.25), (MBCONV, 7, 384, 640, 6, 1, 0.25)]),
    "efficientnetv2-b0": _stages(_B_STAGES),
    "efficientnetv2-b1": _stages(_B_STAGES),
    "efficientnetv2-b2": _stages(_B_STAGES),
    "efficientnetv2-b3": _stages(_B_STAGES),
}

IMAGENET_MEAN_RGB = [0.485, 0.456, 0.406]


def round_filters(filters, width_coefficient, min_depth, depth_divisor):
    """``w * filters`` to the nearest multiple of ``depth_divisor``, at least ``min_depth``."""
    filters *= width_coefficient
    minimum = min_depth or depth_divisor
    return int(max(minimum, int(filters + depth_divisor / 2) // depth_divisor * depth_divisor))


def round_repeats(repeats, depth_coefficient):
    return int(math.ceil(depth_coefficient * repeats))


def _conv(filters, kernel_size, name, strides=1):
    """A bias-free "same" convolution (a batch norm follows it)."""
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="same",
                         use_bias=False, kernel_initializer=CONV_KERNEL_INITIALIZER,
                         name=name)


def _bn(momentum, name):
    return layers.BatchNormalization(axis=_channel_axis(), momentum=momentum, name=name)


def _residual(x, inputs, survival_probability, name):
    """``inputs + drop(x)``; the rate is the (misnamed) ``survival_probability``, as Keras."""
    if survival_probability:
        x = layers.Dropout(survival_probability, noise_shape=(None, 1, 1, 1),
                           name=f"{name}drop")(x)
    return layers.add([x, inputs], name=f"{name}add")


def MBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1,
                se_ratio=0.0, bn_momentum=0.9, activation="swish", survival_probability=0.8,
                name=None):
    """Expand (1x1), depthwise (k x k), squeeze-excite, project (1x1), residual.
    Returns a function of the block's input tensor."""
    if name is None:
        name = backend.unique_name("block0")

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, 1, f"{name}expand_conv")(x)
            x = _bn(bn_momentum, f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="same",
                                   use_bias=False,
                                   depthwise_initializer=CONV_KERNEL_INITIALIZER,
                                   name=f"{name}dwconv2")(x)
        x = _bn(bn_momentum, f"{name}bn")(x)
        x = layers.Activation(activation, name=f"{name}activation")(x)
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)),
                                activation, name)
        x = _conv(output_filters, 1, f"{name}project_conv")(x)
        x = _bn(bn_momentum, f"{name}project_bn")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x

    return apply


def FusedMBConvBlock(input_filters, output_filters, expand_ratio=1, kernel_size=3, strides=1,
                     se_ratio=0.0, bn_momentum=0.9, activation="swish",
                     survival_probability=0.8, name=None):
    """One k x k convolution in place of expand + depthwise, then project (1x1), residual.
    With ``expand_ratio == 1`` the k x k convolution *is* the projection (plus an activation).
    Returns a function of the block's input tensor."""
    if name is None:
        name = backend.unique_name("block0")

    def apply(inputs):
        filters = input_filters * expand_ratio
        x = inputs
        if expand_ratio != 1:
            x = _conv(filters, kernel_size, f"{name}expand_conv", strides=strides)(x)
            x = _bn(bn_momentum, f"{name}expand_bn")(x)
            x = layers.Activation(activation, name=f"{name}expand_activation")(x)
        if 0 < se_ratio <= 1:
            x = _squeeze_excite(x, filters, max(1, int(input_filters * se_ratio)),
                                activation, name)
        fused = expand_ratio == 1
        x = _conv(output_filters, kernel_size if fused else 1, f"{name}project_conv",
                  strides=strides if fused else 1)(x)
        x = _bn(bn_momentum, f"{name}project_bn")(x)
        if fused:
            x = layers.Activation(activation, name=f"{name}project_activation")(x)
        if strides == 1 and input_filters == output_filters:
            x = _residual(x, inputs, survival_probability, name)
        return x

    return apply


def EfficientNetV2(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,
                   drop_connect_rate=0.2, depth_divisor=8, min_depth=8, bn_momentum=0.9,
                   activation="swish", blocks_args="default", name="efficientnetv2",
                   include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   include_preprocessing=True, weights_name=None):
    """An EfficientNetV2 from its scaling coefficients and stage table (see the module).

    ``blocks_args="default"`` takes the table of the member ``name`` names, as Keras
    does: a custom ``name`` then needs ``blocks_args`` given explicitly.
    """
    if blocks_args == "default":
        if name not in DEFAULT_BLOCKS_ARGS:
            raise KeyError(
                f"EfficientNetV2: no default stage table for name={name!r} (Keras looks the "
                f"table up by the model's name, so a custom `name` fails there too, with "
                f"KeyError: {name!r}). Known names: {sorted(DEFAULT_BLOCKS_ARGS)}. Fix: keep "
                "the default name and rename the model afterwards (model.name = ...).")
        blocks_args = DEFAULT_BLOCKS_ARGS[name]
    imagenet_utils.check_weights_and_classes(
        weights, include_top, classes,
        weights_message="The `weights` argument should be either `None` (random "
                        "initialization), `imagenet` (pre-training on ImageNet), or the "
                        "path to the weights file to be loaded.Received: weights={weights}",
        classes_message='If using `weights="imagenet"` with `include_top` as true, '
                        "`classes` should be 1000")
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top,
        weights=weights)
    img_input, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)
    bn_axis = _channel_axis()

    def filters_of(n):
        return round_filters(n, width_coefficient, min_depth, depth_divisor)

    x = img_input
    if include_preprocessing:
        channels = input_shape[bn_axis - 1]
        if name.split("-")[-1].startswith("b") and channels == 3:
            # the B members: EfficientNet's (x / 255 - mean) / std, constants not weights
            x = layers.Rescaling(scale=1.0 / 255)(x)
            x = layers.Normalization(mean=IMAGENET_MEAN_RGB,
                                     variance=[s ** 2 for s in IMAGENET_STDDEV_RGB],
                                     axis=bn_axis)(x)
        else:
            x = layers.Rescaling(scale=1.0 / 128.0, offset=-1)(x)   # [0, 255] -> [-1, 1)

    # stem
    x = _conv(filters_of(blocks_args[0]["input_filters"]), 3, "stem_conv", strides=2)(x)
    x = _bn(bn_momentum, "stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    # stages: Fused-MBConv or MBConv; block b drops its branch at drop_connect_rate * b / B
    blocks_args = copy.deepcopy(blocks_args)
    total = float(sum(args["num_repeat"] for args in blocks_args))   # before depth scaling
    b = 0
    for i, args in enumerate(blocks_args):
        if args["num_repeat"] <= 0:
            raise ValueError("The number of repeats in `EfficientNetV2` must be > 0. "
                             f"Received: num_repeat={args['num_repeat']}")
        args["input_filters"] = filters_of(args["input_filters"])
        args["output_filters"] = filters_of(args["output_filters"])
        make_block = {MBCONV: MBConvBlock, FUSED: FusedMBConvBlock}[args.pop("conv_type")]
        for j in range(round_repeats(args.pop("num_repeat"), depth_coefficient)):
            if j > 0:                  # only a stage's first block changes stride and width
                args["strides"] = 1
                args["input_filters"] = args["output_filters"]
            x = make_block(activation=activation, bn_momentum=bn_momentum,
                           survival_probability=drop_connect_rate * b / total,
                           name=f"block{i + 1}{chr(j + 97)}_", **args)(x)
            b += 1

    # head
    x = _conv(filters_of(1280), 1, "top_conv")(x)
    x = _bn(bn_momentum, "top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    x = imagenet_utils.classifier_or_pooling(
        x, include_top, pooling, classes, classifier_activation, weights,
        pool_names=("avg_pool", "max_pool"), dropout_rate=dropout_rate,
        dense_initializer=DENSE_KERNEL_INITIALIZER)

    model = Model(inputs, x, name=name)
    return imagenet_utils.load_weights_named_after(model, name, weights, include_top,
                                                   BASE_WEIGHTS_PATH, WEIGHTS_HASHES,
                                                   weights_name)


# ======================================================================== the members
# (width, depth, default size, weight-file key), by constructor
MEMBERS = {
    "EfficientNetV2B0": (1.0, 1.0, 224, "b0"), "EfficientNetV2B1": (1.0, 1.1, 240, "b1"),
    "EfficientNetV2B2": (1.1, 1.2, 260, "b2"), "EfficientNetV2B3": (1.2, 1.4, 300, "b3"),
    "EfficientNetV2S": (1.0, 1.0, 384, "-s"), "EfficientNetV2M": (1.0, 1.0, 480, "-m"),
    "EfficientNetV2L": (1.0, 1.0, 480, "-l"),
}


def _member(constructor, name, include_top, weights, input_tensor, input_shape, pooling,
            classes, classifier_activation, include_preprocessing):
    width, depth, size, key = MEMBERS[constructor]
    return EfficientNetV2(width_coefficient=width, depth_coefficient=depth, default_size=size,
                          name=name, include_top=include_top, weights=weights,
                          input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                          classes=classes, classifier_activation=classifier_activation,
                          include_preprocessing=include_preprocessing, weights_name=key)


def EfficientNetV2B0(include_top=True, weights="imagenet", input_tensor=None,
                     input_shape=None, pooling=None, classes=1000,
                     classifier_activation="softmax", include_preprocessing=True,
                     name="efficientnetv2-b0"):
    return _member("EfficientNetV2B0", name, include_top, weights, input_tensor, input_shape,
                   pooling, classes, classifier_activation, include_preprocessing)


def EfficientNetV2B1(include_top=True, weights="imagenet", input_tensor=None,
                     input_shape=None, pooling=None, classes=1000,
                     classifier_activation="softmax", include_preprocessing=True,
                     name="efficientnetv2-b1"):
    return _member("EfficientNetV2B1", name, include_top, weights, input_tensor, input_shape,
                   pooling, classes, classifier_activation, include_preprocessing)


def EfficientNetV2B2(include_top=True, weights="imagenet", input_tensor=None,
                     input_shape=None, pooling=None, classes=1000,
                     classifier_activation="softmax", include_preprocessing=True,
                     name="efficientnetv2-b2"):
    return _member("EfficientNetV2B2", name, include_top, weights, input_tensor, input_shape,
                   pooling, classes, classifier_activation, include_preprocessing)


def EfficientNetV2B3(include_top=True, weights="imagenet", input_tensor=None,
                     input_shape=None, pooling=None, classes=1000,
                     classifier_activation="softmax", include_preprocessing=True,
                     name="efficientnetv2-b3"):
    return _member("EfficientNetV2B3", name, include_top, weights, input_tensor, input_shape,
                   pooling, classes, classifier_activation, include_preprocessing)


def EfficientNetV2S(include_top=True, weights="imagenet", input_tensor=None,
                    input_shape=None, pooling=None, classes=1000,
                    classifier_activation="softmax", include_preprocessing=True,
                    name="efficientnetv2-s"):
    return _member("EfficientNetV2S", name, include_top, weights, input_tensor, input_shape,
                   pooling, classes, classifier_activation, include_preprocessing)


def EfficientNetV2M(include_top=True, weights="imagenet", input_tensor=None,
                    input_shape=None, pooling=None, classes=1000,
                    classifier_activation="softmax", include_preprocessing=True,
                    name="efficientnetv2-m"):
    return _member("EfficientNetV2M", name, include_top, weights, input_tensor, input_shape,
                   pooling, classes, classifier_activation, include_preprocessing)


def EfficientNetV2L(include_top=True, weights="imagenet", input_tensor=None,
                    input_shape=None, pooling=None, classes=1000,
                    classifier_activation="softmax", include_preprocessing=True,
                    name="efficientnetv2-l"):
    return _member("EfficientNetV2L", name, include_top, weights, input_tensor, input_shape,
                   pooling, classes, classifier_activation, include_preprocessing)


_DOC = """{member}: width x{w}, depth x{d}, {size}x{size} images; see the module.

``weights``: ``"imagenet"`` (Keras's ``{name}.h5`` / ``{name}_notop.h5``), None, or a
path; ``input_shape`` only with ``include_top=False`` (at least 32x32); ``pooling``
``"avg"``/``"max"`` when ``include_top=False``; ``include_preprocessing=True``: the model
takes pixels in ``[0, 255]``, else in ``[-1, 1]``.
"""

for _constructor in (EfficientNetV2B0, EfficientNetV2B1, EfficientNetV2B2, EfficientNetV2B3,
                     EfficientNetV2S, EfficientNetV2M, EfficientNetV2L):
    _w, _d, _size, _key = MEMBERS[_constructor.__name__]
    _constructor.__doc__ = _DOC.format(member=_constructor.__name__, w=_w, d=_d, size=_size,
                                       name="efficientnetv2-" + _key.lstrip("-"))


def preprocess_input(x, data_format=None):
    """Returns ``x`` unchanged: the preprocessing is inside the model (see the module).
    Kept, as in Keras, so every family has the same interface."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (see :mod:`.imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
           "EfficientNetV2S", "EfficientNetV2M", "EfficientNetV2L", "preprocess_input",
           "decode_predictions"]
