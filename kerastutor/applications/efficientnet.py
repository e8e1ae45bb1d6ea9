r"""EfficientNet B0 to B7 (Tan and Le, 2019): one small network, scaled up evenly.

**The block** is MobileNetV2's inverted residual (MBConv) with a
squeeze-and-excitation gate, swish activations throughout
(:math:`\mathrm{swish}(x) = x\,\sigma(x)`):

1. *expand*: a 1x1 convolution widens :math:`C` channels to :math:`tC`
   (``expand_ratio`` :math:`t = 6`; skipped in the first stage, where :math:`t = 1`);
2. *depthwise*: one :math:`k \times k` filter per channel (:math:`k = 3` or 5),
   the block's only spatial mixing, with its stride;
3. *squeeze and excite*: each channel is re-weighted by a gate computed from
   the whole image,

   .. math::

       s = \sigma\big(W_2\, \mathrm{swish}(W_1\, \bar{x} + b_1) + b_2\big),
       \qquad y_{hwc} = x_{hwc}\, s_c,

   where :math:`\bar{x}` is the global average of each channel and
   :math:`W_1` squeezes to :math:`\max(1, \lfloor C/4 \rfloor)` channels
   (a quarter of the block's *input* width); both are 1x1 convolutions with bias;
4. *project*: a 1x1 convolution down to the output width, **no activation**
   (a linear bottleneck);
5. *residual*: when the shape is unchanged, :math:`y = x + \mathrm{drop}(f(x))`, where
   ``drop`` is Dropout with ``noise_shape=(None, 1, 1, 1)``: during training
   it removes a sample's whole branch with probability :math:`p` and scales the
   kept ones by :math:`1/(1-p)` ("drop connect", stochastic depth). :math:`p`
   grows linearly with depth, :math:`p_b = 0.2\, b / B` for block :math:`b` of :math:`B`.

Every convolution but the squeeze-and-excite pair is bias-free and followed by
BatchNormalization (:math:`\epsilon = 10^{-3}`); a stride-2 depthwise convolution
is preceded by Keras's asymmetric "correct" zero padding and uses ``valid``.

**Compound scaling.** B0 was found by architecture search; B1 to B7 multiply
its widths by :math:`w` and its depths (block repeats) by :math:`d`, and grow
the image size :math:`r`, together:

=======  =====  =====  =====  =======
member   w      d      r      dropout
=======  =====  =====  =====  =======
B0       1.0    1.0    224    0.2
B1       1.0    1.1    240    0.2
B2       1.1    1.2    260    0.3
B3       1.2    1.4    300    0.3
B4       1.4    1.8    380    0.4
B5       1.6    2.2    456    0.4
B6       1.8    2.6    528    0.5
B7       2.0    3.1    600    0.5
=======  =====  =====  =====  =======

Widths are rounded to a multiple of 8 (never below 90 % of the exact value),
repeats rounded up: :math:`\lceil d \cdot n \rceil`.

**Preprocessing is inside the model**: ``Rescaling(1/255)`` then a
``Normalization`` layer whose mean and variance are weights (read from the
weight file; with ``weights=None`` they are 0 and 1, so the input is only
divided by 255). With ``weights="imagenet"`` Keras adds a third layer,
``Rescaling(1/sqrt(std))`` per channel: the file stores
:math:`\sigma^2` as the variance but the original network divided by
:math:`\sigma^2`, not :math:`\sigma` (TensorFlow issue 49930) -- so the
imagenet model has one layer more than ``weights=None``. Feed pixels in
``[0, 255]``; :func:`preprocess_input` returns its input unchanged.

The weight file's name follows the model's ``name=``: ``{name}.h5`` or
``{name}_notop.h5``, as in Keras (a custom name asks for a file that does not exist).
"""
import copy
import math

from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils
from kerastutor.models import Model

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/keras-applications/"

# md5 of Keras's files, (with the classifier, without it)
WEIGHTS_HASHES = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}


def _stage(kernel_size, repeats, filters_in, filters_out, expand_ratio, strides):
    return {"kernel_size": kernel_size, "repeats": repeats, "filters_in": filters_in,
            "filters_out": filters_out, "expand_ratio": expand_ratio, "id_skip": True,
            "strides": strides, "se_ratio": 0.25}


# B0's seven stages; the others scale filters and repeats.
DEFAULT_BLOCKS_ARGS = [
    _stage(3, 1, 32, 16, 1, 1),
    _stage(3, 2, 16, 24, 6, 2),
    _stage(5, 2, 24, 40, 6, 2),
    _stage(3, 3, 40, 80, 6, 2),
    _stage(5, 3, 80, 112, 6, 1),
    _stage(5, 4, 112, 192, 6, 2),
    _stage(3, 1, 192, 320, 6, 1),
]

# He-style initialisation by fan-out for the convolutions, a small uniform for the head.
CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                           "config": {"scale": 2.0, "mode": "fan_out",
                                      "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                            "config": {"scale": 1.0 / 3.0, "mode": "fan_out",
                                       "distribution": "uniform"}}

IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]


def _channel_axis():
    return 3 if backend.image_data_format() == "channels_last" else 1


def EfficientNet(width_coefficient, depth_coefficient, default_size, dropout_rate=0.2,
                 drop_connect_rate=0.2, depth_divisor=8, activation="swish",
                 blocks_args="default", name="efficientnet", include_top=True,
                 weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                 classes=1000, classifier_activation="softmax", weights_name=None):
    """An EfficientNet of the given width/depth multipliers (see the module)."""
    if blocks_args == "default":
        blocks_args = DEFAULT_BLOCKS_ARGS
    imagenet_utils.check_weights_and_classes(
        weights, include_top, classes,
        weights_message="The `weights` argument should be either `None` (random "
                        "initialization), `imagenet` (pre-training on ImageNet), or the "
                        "path to the weights file to be loaded.",
        classes_message='If using `weights="imagenet"` with `include_top` as true, '
                        "`classes` should be 1000")
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top,
        weights=weights)
    img_input, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)
    bn_axis = _channel_axis()

    def round_filters(filters):
        """``w * filters`` to the nearest multiple of ``depth_divisor``, at most 10 % down."""
        filters *= width_coefficient
        rounded = max(depth_divisor,
                      int(filters + depth_divisor / 2) // depth_divisor * depth_divisor)
        if rounded < 0.9 * filters:
            rounded += depth_divisor
        return int(rounded)

    def round_repeats(repeats):
        return int(math.ceil(depth_coefficient * repeats))

    # preprocessing, inside the model: [0, 255] -> [0, 1] -> (x - mean) / sqrt(var)
    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=bn_axis)(x)
    if weights == "imagenet":          # the stored variance is std^2; the original divided by it
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in IMAGENET_STDDEV_RGB])(x)

    # stem: 3x3 stride-2 convolution
    x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = layers.Conv2D(round_filters(32), 3, strides=2, padding="valid", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="stem_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)

    # the MBConv stages; block b of B drops its branch with rate drop_connect_rate * b / B
    blocks_args = copy.deepcopy(blocks_args)
    total = float(sum(round_repeats(args["repeats"]) for args in blocks_args))
    b = 0
    for i, args in enumerate(blocks_args):
        if args["repeats"] <= 0:
            raise ValueError("The number of repeats in `EfficientNet` must be > 0. "
                             f"Received: repeats={args['repeats']}")
        args["filters_in"] = round_filters(args["filters_in"])
        args["filters_out"] = round_filters(args["filters_out"])
        for j in range(round_repeats(args.pop("repeats"))):
            if j > 0:                  # only a stage's first block changes stride and width
                args["strides"] = 1
                args["filters_in"] = args["filters_out"]
            x = block(x, activation, drop_connect_rate * b / total,
                      name=f"block{i + 1}{chr(j + 97)}_", **args)
            b += 1

    # head: 1x1 convolution to 1280 * w channels, then the classifier or a pooling
    x = layers.Conv2D(round_filters(1280), 1, padding="same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER, name="top_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    x = imagenet_utils.classifier_or_pooling(
        x, include_top, pooling, classes, classifier_activation, weights,
        pool_names=("avg_pool", "max_pool"), dropout_rate=dropout_rate,
        dense_initializer=DENSE_KERNEL_INITIALIZER)

    model = Model(inputs, x, name=name)
    return imagenet_utils.load_weights_named_after(model, name, weights, include_top,
                                                   BASE_WEIGHTS_PATH, WEIGHTS_HASHES,
                                                   weights_name)


def block(inputs, activation="swish", drop_rate=0.0, name="", filters_in=32, filters_out=16,
          kernel_size=3, strides=1, expand_ratio=1, se_ratio=0.0, id_skip=True):
    """One MBConv block (expand, depthwise, squeeze-excite, project, residual); see the module."""
    bn_axis = _channel_axis()
    filters = filters_in * expand_ratio
    if expand_ratio != 1:
        x = layers.Conv2D(filters, 1, padding="same", use_bias=False,
                          kernel_initializer=CONV_KERNEL_INITIALIZER,
                          name=f"{name}expand_conv")(inputs)
        x = layers.BatchNormalization(axis=bn_axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    else:
        x = inputs

    if strides == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{name}dwconv_pad")(x)
        padding = "valid"
    else:
        padding = "same"
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding=padding, use_bias=False,
                               depthwise_initializer=CONV_KERNEL_INITIALIZER,
                               name=f"{name}dwconv")(x)
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)

    if 0 < se_ratio <= 1:
        x = squeeze_excite(x, filters, max(1, int(filters_in * se_ratio)), activation, name)

    x = layers.Conv2D(filters_out, 1, padding="same", use_bias=False,
                      kernel_initializer=CONV_KERNEL_INITIALIZER,
                      name=f"{name}project_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.add([x, inputs], name=f"{name}add")
    return x


def squeeze_excite(x, filters, filters_se, activation, name):
    r"""``x * sigmoid(W2 swish(W1 mean(x) + b1) + b2)``, one gate per channel."""
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
    shape = (filters, 1, 1) if _channel_axis() == 1 else (1, 1, filters)
    se = layers.Reshape(shape, name=f"{name}se_reshape")(se)
    se = layers.Conv2D(filters_se, 1, padding="same", activation=activation,
                       kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=f"{name}se_reduce")(se)
    se = layers.Conv2D(filters, 1, padding="same", activation="sigmoid",
                       kernel_initializer=CONV_KERNEL_INITIALIZER,
                       name=f"{name}se_expand")(se)
    return layers.multiply([x, se], name=f"{name}se_excite")


# ======================================================================== the members
# (width, depth, default size, classifier dropout), by member
MEMBERS = {
    "b0": (1.0, 1.0, 224, 0.2), "b1": (1.0, 1.1, 240, 0.2), "b2": (1.1, 1.2, 260, 0.3),
    "b3": (1.2, 1.4, 300, 0.3), "b4": (1.4, 1.8, 380, 0.4), "b5": (1.6, 2.2, 456, 0.4),
    "b6": (1.8, 2.6, 528, 0.5), "b7": (2.0, 3.1, 600, 0.5),
}


def _member(key, name, include_top, weights, input_tensor, input_shape, pooling, classes,
            classifier_activation):
    width, depth, size, dropout = MEMBERS[key]
    return EfficientNet(width, depth, size, dropout, name=name, include_top=include_top,
                        weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                        pooling=pooling, classes=classes,
                        classifier_activation=classifier_activation, weights_name=key)


_DOC = """{member}: EfficientNet{width} (width x{w}, depth x{d}, {size}x{size} images); see the module.

``weights``: ``"imagenet"`` (Keras's file ``{name}.h5`` / ``{name}_notop.h5``), None, or
a path; ``input_shape`` only with ``include_top=False`` (at least 32x32); ``pooling``
``"avg"``/``"max"`` when ``include_top=False``; the model takes pixels in ``[0, 255]``.
"""


def EfficientNetB0(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   name="efficientnetb0"):
    return _member("b0", name, include_top, weights, input_tensor, input_shape, pooling,
                   classes, classifier_activation)


def EfficientNetB1(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   name="efficientnetb1"):
    return _member("b1", name, include_top, weights, input_tensor, input_shape, pooling,
                   classes, classifier_activation)


def EfficientNetB2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   name="efficientnetb2"):
    return _member("b2", name, include_top, weights, input_tensor, input_shape, pooling,
                   classes, classifier_activation)


def EfficientNetB3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   name="efficientnetb3"):
    return _member("b3", name, include_top, weights, input_tensor, input_shape, pooling,
                   classes, classifier_activation)


def EfficientNetB4(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   name="efficientnetb4"):
    return _member("b4", name, include_top, weights, input_tensor, input_shape, pooling,
                   classes, classifier_activation)


def EfficientNetB5(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   name="efficientnetb5"):
    return _member("b5", name, include_top, weights, input_tensor, input_shape, pooling,
                   classes, classifier_activation)


def EfficientNetB6(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   name="efficientnetb6"):
    return _member("b6", name, include_top, weights, input_tensor, input_shape, pooling,
                   classes, classifier_activation)


def EfficientNetB7(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   name="efficientnetb7"):
    return _member("b7", name, include_top, weights, input_tensor, input_shape, pooling,
                   classes, classifier_activation)


for _key, _function in zip(MEMBERS, (EfficientNetB0, EfficientNetB1, EfficientNetB2,
                                     EfficientNetB3, EfficientNetB4, EfficientNetB5,
                                     EfficientNetB6, EfficientNetB7)):
    _w, _d, _size, _ = MEMBERS[_key]
    _function.__doc__ = _DOC.format(member=_function.__name__, width=_key.upper(), w=_w,
                                    d=_d, size=_size, name=f"efficientnet{_key}")


def preprocess_input(x, data_format=None):
    """Returns ``x`` unchanged: EfficientNet's preprocessing is inside the model (its
    first layers rescale and normalise pixels in ``[0, 255]``). Kept, as in Keras, so
    every family has the same interface."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (see :mod:`.imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3",
           "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
           "preprocess_input", "decode_predictions"]
