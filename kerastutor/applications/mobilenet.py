r"""MobileNet (Howard et al., 2017): a deep network made cheap by **depthwise separable
convolutions**.

A plain :math:`k \times k` convolution from :math:`C_{in}` to :math:`C_{out}` channels
mixes space and channels at once, at a cost per output pixel of
:math:`k^2 C_{in} C_{out}` multiplications. MobileNet splits it in two:

* a **depthwise** :math:`k \times k` convolution filters each channel on its own
  (:math:`k^2 C_{in}`), then
* a **pointwise** :math:`1 \times 1` convolution mixes the channels
  (:math:`C_{in} C_{out}`).

The cost falls by the factor :math:`\frac{1}{C_{out}} + \frac{1}{k^2}` -- about 8 to 9
times less for :math:`k = 3`. Each half is followed by batch normalisation and
:math:`\mathrm{ReLU6}(x) = \min(\max(x, 0), 6)`.

The network is one ordinary 3x3 convolution (stride 2) and 13 such blocks; five of
them halve the image (stride 2, after padding one row and column at the bottom and
right). Two knobs trade accuracy for speed: the **width multiplier** ``alpha``
scales every layer's channel count (:math:`\lfloor \alpha C \rfloor`), the
``depth_multiplier`` gives each depthwise filter that many output channels. The
classifier is global average pooling, dropout, a 1x1 convolution to the classes and
a softmax.

Pixels go in as :math:`x / 127.5 - 1` (:func:`preprocess_input`, mode ``"tf"``).
"""
import warnings

from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"

PRETRAINED_ALPHAS = (0.25, 0.50, 0.75, 1.0)
PRETRAINED_SIZES = (128, 160, 192, 224)
ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.50: "5_0"}      # anything else: "2_5"

# (pointwise filters, stride) of the 13 depthwise separable blocks
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
          (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3,
              include_top=True, weights="imagenet", input_tensor=None, pooling=None,
              classes=1000, classifier_activation="softmax", name=None):
    """The MobileNet model, a functional ``Model`` with Keras's layer names.

    ``alpha`` scales the channels; ``depth_multiplier`` is the depthwise
    convolutions' channel multiplier; ``dropout`` the rate before the classifier.
    The default name is ``f"mobilenet_{alpha:0.2f}_{rows}"``.
    """
    imagenet_utils.check_weights_and_classes(
        weights, include_top, classes,
        weights_message="The `weights` argument should be either `None` (random "
                        "initialization), 'imagenet' (pre-training on ImageNet), or the path "
                        "to the weights file to be loaded. Received weights={weights}",
        classes_message="If using `weights='imagenet'` with `include_top=True`, `classes` "
                        "should be 1000.  Received classes={classes}")
    channels_last = backend.image_data_format() == "channels_last"
    default_size = 224
    if input_shape is not None:
        rows, cols = (input_shape[0], input_shape[1]) if channels_last else \
            (input_shape[1], input_shape[2])
        if rows == cols and rows in PRETRAINED_SIZES:
            default_size = rows              # the pretrained size nearest the user's
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top,
        weights=weights)
    rows, cols = input_shape[:2] if channels_last else input_shape[1:]

    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("If imagenet weights are being loaded, depth multiplier must "
                             f"be 1.  Received depth_multiplier={depth_multiplier}")
        if alpha not in PRETRAINED_ALPHAS:
            raise ValueError("If imagenet weights are being loaded, alpha can be one "
                             "of`0.25`, `0.50`, `0.75` or `1.0` only.  "
                             f"Received alpha={alpha}")
        if rows != cols or rows not in PRETRAINED_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in "
                          "[128, 160, 192, 224]. Weights for input shape (224, 224) will be "
                          "loaded as the default.", stacklevel=2)

    image, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)
    x = _conv_block(image, 32, alpha, strides=(2, 2))
    for block_id, (filters, stride) in enumerate(BLOCKS, start=1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier,
                                  strides=(stride, stride), block_id=block_id)

    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooling_head(x, pooling)

    from kerastutor.models import Model
    model = Model(inputs, x, name=name if name is not None else f"mobilenet_{alpha:0.2f}_{rows}")

    file_name = origin = None
    if weights == "imagenet":
        suffix = "tf.h5" if include_top else "tf_no_top.h5"
        file_name = f"mobilenet_{ALPHA_TEXT.get(alpha, '2_5')}_{rows}_{suffix}"
        origin = BASE_WEIGHT_PATH + file_name
    return imagenet_utils.load_weights(model, weights, file_name, origin)


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    """The stem: an ordinary convolution, batch norm, ReLU6 (``conv1``, ``conv1_bn``, ...)."""
    x = layers.Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False,
                      strides=strides, name="conv1")(inputs)
    x = layers.BatchNormalization(axis=channel_axis(), name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_conv_filters, alpha, depth_multiplier=1,
                          strides=(1, 1), block_id=1):
    """Depthwise 3x3 (+BN, ReLU6), then pointwise 1x1 (+BN, ReLU6).

    A stride-2 block pads one row and one column (bottom, right) and convolves
    ``valid``, as TensorFlow's ``same`` does for even sizes.
    """
    x = inputs
    if strides != (1, 1):
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                               depth_multiplier=depth_multiplier, strides=strides,
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=channel_axis(), name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_conv_filters * alpha), (1, 1), padding="same",
                      use_bias=False, strides=(1, 1), name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=channel_axis(), name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


# ------------------------------------------------------ shared by the MobileNet families
def channel_axis():
    return -1 if backend.image_data_format() == "channels_last" else 1


def preprocess_input(x, data_format=None):
    """Pixels in ``[0, 255]`` to ``[-1, 1]``: :math:`x / 127.5 - 1` (mode ``"tf"``)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (see :mod:`imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["MobileNet", "preprocess_input", "decode_predictions"]
