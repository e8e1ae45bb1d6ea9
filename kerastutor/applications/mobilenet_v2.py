r"""MobileNetV2 (Sandler et al., 2018): **inverted residuals** with **linear bottlenecks**.

A ResNet bottleneck squeezes a wide tensor, works on it, and widens it again. A
MobileNetV2 block does the opposite, on a *narrow* tensor :math:`x` with
:math:`c` channels:

.. math::

    h = \mathrm{ReLU6}(\mathrm{BN}(W_{expand}\, x))          \qquad (1 \times 1,\ c \to t c)

    h = \mathrm{ReLU6}(\mathrm{BN}(\mathrm{depthwise}_{3 \times 3}(h)))

    y = \mathrm{BN}(W_{project}\, h)                         \qquad (1 \times 1,\ t c \to c')

    y \leftarrow x + y \quad \text{when the stride is 1 and } c = c'

with expansion :math:`t = 6` (1 in the first block, which has no expand layer). The
cheap depthwise filter works in the wide space; the residual joins the narrow
*bottlenecks*. The projection has **no activation** (it is *linear*): the paper
argues that a ReLU in a low-dimensional space destroys information that the wide
space could still keep.

The network: a 3x3 stride-2 convolution to 32 channels, 17 such blocks (output
channels 16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320;
blocks 1, 3, 6 and 13 halve the image), a 1x1 convolution to 1280 channels, global
average pooling and the classifier. The width multiplier ``alpha`` scales the
block channels, rounded to a multiple of 8 (:func:`_make_divisible`); the last
convolution grows with it only when ``alpha > 1``. No convolution has a bias: batch
normalisation (:math:`\epsilon = 10^{-3}`, momentum 0.999) supplies the shift.

Pixels go in as :math:`x / 127.5 - 1` (:func:`preprocess_input`, mode ``"tf"``).
"""
import warnings

from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils
from kerastutor.applications.mobilenet import channel_axis
from kerastutor.layers.base import KerasTensor

BASE_WEIGHT_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                    "mobilenet_v2/")

PRETRAINED_ALPHAS = (0.35, 0.50, 0.75, 1.0, 1.3, 1.4)
PRETRAINED_SIZES = (96, 128, 160, 192, 224)

# (output filters, stride, expansion) of blocks 0..16
BLOCKS = ((16, 1, 1),
          (24, 2, 6), (24, 1, 6),
          (32, 2, 6), (32, 1, 6), (32, 1, 6),
          (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
          (96, 1, 6), (96, 1, 6), (96, 1, 6),
          (160, 2, 6), (160, 1, 6), (160, 1, 6),
          (320, 1, 6))


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000,
                classifier_activation="softmax", name=None):
    """The MobileNetV2 model, a functional ``Model`` with Keras's layer names.

    The default name is ``f"mobilenetv2_{alpha:0.2f}_{rows}"``.
    """
    imagenet_utils.check_weights_and_classes(
        weights, include_top, classes,
        weights_message="The `weights` argument should be either `None` (random "
                        "initialization), `imagenet` (pre-training on ImageNet), or the path "
                        "to the weights file to be loaded.  Received `weights={weights}`",
        classes_message='If using `weights="imagenet"` with `include_top` as true, '
                        "`classes` should be 1000. Received `classes={classes}`")
    channels_last = backend.image_data_format() == "channels_last"
    if input_shape is not None and input_tensor is not None:
        _check_tensor_matches_shape(input_tensor, input_shape, channels_last)

    # The pretrained size the weights file is chosen by (an exact match, else 224).
    default_size = 224
    if input_shape is not None:
        rows, cols = (input_shape[0], input_shape[1]) if channels_last else \
            (input_shape[1], input_shape[2])
    elif isinstance(input_tensor, KerasTensor):
        rows, cols = input_tensor.shape[1:3] if channels_last else input_tensor.shape[2:4]
    else:
        rows = cols = None
    if rows == cols and rows in PRETRAINED_SIZES:
        default_size = rows
    # As in Keras, a shape read from input_tensor only picks default_size: the shape
    # below is the default one (it names the model and the weights file).
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top,
        weights=weights)
    rows, cols = input_shape[:2] if channels_last else input_shape[1:]

    if weights == "imagenet":
        if alpha not in PRETRAINED_ALPHAS:
            raise ValueError("If imagenet weights are being loaded, alpha must be one of "
                             "`0.35`, `0.50`, `0.75`, `1.0`, `1.3` or `1.4` only; "
                             f"Received `alpha={alpha}`")
        if rows != cols or rows not in PRETRAINED_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in "
                          "[96, 128, 160, 192, 224]. Weights for input shape (224, 224) "
                          "will be loaded as the default.", stacklevel=2)

    image, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)
    x = layers.Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                      padding="same", use_bias=False, name="Conv1")(image)
    x = layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999,
                                  name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(BLOCKS):
        x = _inverted_res_block(x, expansion=expansion, stride=stride, alpha=alpha,
                                filters=filters, block_id=block_id)

    # The last convolution is not thinned by alpha < 1 (the paper), only widened.
    last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999,
                                  name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooling_head(x, pooling)

    from kerastutor.models import Model
    model = Model(inputs, x,
                  name=name if name is not None else f"mobilenetv2_{alpha:0.2f}_{rows}")

    file_name = origin = None
    if weights == "imagenet":
        file_name = ("mobilenet_v2_weights_tf_dim_ordering_tf_kernels_"
                     f"{float(alpha)}_{rows}{'' if include_top else '_no_top'}.h5")
        origin = BASE_WEIGHT_PATH + file_name
    return imagenet_utils.load_weights(model, weights, file_name, origin)   # no md5 in Keras


def _check_tensor_matches_shape(input_tensor, input_shape, channels_last):
    """Keras's check when both are given (it compares one axis only, the width)."""
    if not isinstance(input_tensor, KerasTensor):
        raise ValueError("input_tensor is not a Keras tensor; "
                         f"Received `input_tensor={input_tensor}`")
    if channels_last and input_tensor.shape[2] != input_shape[1]:
        raise ValueError("input_tensor.shape[2] must equal input_shape[1]; Received "
                         f"`input_tensor.shape={input_tensor.shape}`, "
                         f"`input_shape={input_shape}`")
    if not channels_last and input_tensor.shape[1] != input_shape[1]:
        raise ValueError("input_shape[1] must equal shape(input_tensor)[1] when "
                         "`image_data_format` is `channels_first`; Received "
                         f"`input_tensor.shape={input_tensor.shape}`, "
                         f"`input_shape={input_shape}`")


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """Expand (1x1, ReLU6) -> depthwise 3x3 (ReLU6) -> project (1x1, linear) [+ input]."""
    in_channels = inputs.shape[channel_axis()]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    if block_id:                          # block 0 works on the stem's channels directly
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same",
                          use_bias=False, activation=None, name=f"{prefix}expand")(x)
        x = layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999,
                                      name=f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None,
                               use_bias=False, padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
                      activation=None, name=f"{prefix}project")(x)
    x = layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def _make_divisible(v, divisor=8, min_value=None):
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``),
    never more than 10% below ``v`` (then one ``divisor`` more). From TF's slim code."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def preprocess_input(x, data_format=None):
    """Pixels in ``[0, 255]`` to ``[-1, 1]``: :math:`x / 127.5 - 1` (mode ``"tf"``)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (see :mod:`imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["MobileNetV2", "preprocess_input", "decode_predictions"]
