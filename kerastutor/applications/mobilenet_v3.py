r"""MobileNetV3 (Howard et al., 2019): MobileNetV2's inverted residual blocks, searched by
NAS, with **squeeze-and-excitation** and the **hard-swish** activation.

Each block is MobileNetV2's (expand 1x1 -> depthwise :math:`k \times k` -> linear
project 1x1, plus the input when the shapes agree), with the expansion, kernel size
(3 or 5), activation and SE chosen block by block. Two additions:

* **hard-swish**, a cheap swish :math:`x\,\sigma(x)` built from ReLU6:

  .. math:: \mathrm{hswish}(x) = x \cdot \frac{\mathrm{ReLU6}(x + 3)}{6},
            \qquad \mathrm{hsigmoid}(x) = \frac{\mathrm{ReLU6}(x + 3)}{6};

* **squeeze-and-excitation** (SE): each channel of the depthwise output :math:`h`
  is reweighted by a gate computed from the whole image,

  .. math:: s = \mathrm{hsigmoid}(W_2\, \mathrm{ReLU}(W_1\, \overline{h} + b_1) + b_2),
            \qquad y = h \odot s,

  where :math:`\overline{h}` is the channel mean (global average pooling) and
  :math:`W_1` squeezes to a quarter of the channels.

``MobileNetV3Small`` has 11 blocks, ``MobileNetV3Large`` 15. ``minimalistic=True``
drops SE, hard-swish and the 5x5 kernels (ReLU and 3x3 everywhere): slower to
train, faster on GPUs and DSPs. ``alpha`` scales the block channels (multiples of 8,
:func:`_depth`). The head: a 1x1 convolution to :math:`6 c`, global average pooling,
a 1x1 convolution **with bias** to 1024 (Small) or 1280 (Large) channels, dropout
(``dropout_rate``), a 1x1 convolution to the classes, flatten and softmax.

The preprocessing is **inside** the model: a ``Rescaling`` layer maps pixels in
``[0, 255]`` to :math:`x / 127.5 - 1` (``include_preprocessing=False`` removes it,
and the model then expects ``[-1, 1]``), so :func:`preprocess_input` is the identity.

How the graph is held: Keras writes hsigmoid as ``ReLU(6.0)(x + 3.0) * (1.0 / 6.0)``,
arithmetic on symbolic tensors that its functional graph records as *operations*
named ``add``, ``multiply``, ... (not layers: ``model.layers`` lists only the
``ReLU``). kerastutor's symbolic tensors have no arithmetic, so the two operations
are ``Rescaling`` layers (:math:`x \cdot 1 + 3` and :math:`x \cdot \tfrac16`) marked as
operations, with the names Keras gives its operations, inside a
:class:`~kerastutor.applications.convnext_layers.FunctionalWithOps` model, which
runs them but leaves them out of ``model.layers``. So the layer names, classes and
order are Keras's, and so is the by-position reading of its ``.h5`` files.
"""
import warnings

from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils
from kerastutor.applications.mobilenet import channel_axis
# ``v`` rounded to a multiple of 8, not below it nor 10% below ``v`` (TF's slim code)
from kerastutor.applications.mobilenet_v2 import _make_divisible as _depth
from kerastutor.applications.convnext_layers import FunctionalWithOps
from kerastutor.layers.base import KerasTensor

BASE_WEIGHT_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                    "mobilenet_v3/")

# model name -> (md5 with the top, md5 without)
WEIGHTS_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb",
                             "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7",
                            "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c",
                                         "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7",
                             "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862",
                            "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37",
                                         "cde8136e733e811080d9fcd8a252f7e4"),
}

# Each block: (expansion, output channels before alpha, kernel, stride, SE?, activation),
# kernel "k" = 5 (3 when minimalistic), activation "act" = hard-swish (ReLU when
# minimalistic); "relu" is ReLU in both.
SMALL_BLOCKS = ((1, 16, 3, 2, True, "relu"),
                (72.0 / 16, 24, 3, 2, False, "relu"),
                (88.0 / 24, 24, 3, 1, False, "relu"),
                (4, 40, "k", 2, True, "act"),
                (6, 40, "k", 1, True, "act"),
                (6, 40, "k", 1, True, "act"),
                (3, 48, "k", 1, True, "act"),
                (3, 48, "k", 1, True, "act"),
                (6, 96, "k", 2, True, "act"),
                (6, 96, "k", 1, True, "act"),
                (6, 96, "k", 1, True, "act"))
LARGE_BLOCKS = ((1, 16, 3, 1, False, "relu"),
                (4, 24, 3, 2, False, "relu"),
                (3, 24, 3, 1, False, "relu"),
                (3, 40, "k", 2, True, "relu"),
                (3, 40, "k", 1, True, "relu"),
                (3, 40, "k", 1, True, "relu"),
                (6, 80, 3, 2, False, "act"),
                (2.5, 80, 3, 1, False, "act"),
                (2.3, 80, 3, 1, False, "act"),
                (2.3, 80, 3, 1, False, "act"),
                (6, 112, 3, 1, True, "act"),
                (6, 112, 3, 1, True, "act"),
                (6, 160, "k", 2, True, "act"),
                (6, 160, "k", 1, True, "act"),
                (6, 160, "k", 1, True, "act"))


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
                     weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                     dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Small"):
    """MobileNetV3-Small (11 blocks, 1024-channel head), with Keras's layer names."""
    return MobileNetV3(SMALL_BLOCKS, 1024, input_shape, alpha, "small", minimalistic,
                       include_top, weights, input_tensor, classes, pooling, dropout_rate,
                       classifier_activation, include_preprocessing, name=name)


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
                     weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                     dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Large"):
    """MobileNetV3-Large (15 blocks, 1280-channel head), with Keras's layer names."""
    return MobileNetV3(LARGE_BLOCKS, 1280, input_shape, alpha, "large", minimalistic,
                       include_top, weights, input_tensor, classes, pooling, dropout_rate,
                       classifier_activation, include_preprocessing, name=name)


def MobileNetV3(blocks, last_point_ch, input_shape=None, alpha=1.0, model_type="large",
                minimalistic=False, include_top=True, weights="imagenet", input_tensor=None,
                classes=1000, pooling=None, dropout_rate=0.2,
                classifier_activation="softmax", include_preprocessing=True, name=None):
    """What Small and Large share; ``blocks`` is :data:`SMALL_BLOCKS` or
    :data:`LARGE_BLOCKS` (Keras passes a ``stack_fn`` instead)."""
    imagenet_utils.check_weights_and_classes(
        weights, include_top, classes,
        weights_message="The `weights` argument should be either `None` (random "
                        "initialization), `imagenet` (pre-training on ImageNet), or the path "
                        "to the weights file to be loaded.  Received weights={weights}",
        classes_message='If using `weights="imagenet"` with `include_top` as true, '
                        "`classes` should be 1000.  Received classes={classes}")
    channels_last = backend.image_data_format() == "channels_last"
    input_shape = _input_shape(input_shape, input_tensor, channels_last)
    rows, cols = input_shape[:2] if channels_last else input_shape[1:]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError("Input size must be at least 32x32; Received "
                         f"`input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
            raise ValueError("If imagenet weights are being loaded, alpha can be one of "
                             "`0.75`, `1.0` for non minimalistic or `1.0` for minimalistic "
                             "only.")
        if rows != cols or rows != 224:
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not 224. "
                          "Weights for input shape (224, 224) will be loaded as the "
                          "default.", stacklevel=3)

    image, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)
    if minimalistic:
        kernel, activation, se_ratio = 3, relu, None
    else:
        kernel, activation, se_ratio = 5, hard_swish, 0.25

    x = image
    if include_preprocessing:                      # [0, 255] -> [-1, 1]
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="conv")(x)
    x = layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999,
                                  name="conv_bn")(x)
    x = activation(x)

    for block_id, (expansion, filters, size, stride, se, act) in enumerate(blocks):
        x = _inverted_res_block(x, expansion, _depth(filters * alpha),
                                kernel if size == "k" else size, stride,
                                se_ratio if se else None,
                                activation if act == "act" else relu, block_id)

    last_conv_ch = _depth(x.shape[channel_axis()] * 6)
    if alpha > 1.0:                                # the head widens, never thins
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999,
                                  name="conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True,
                          name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooling_head(x, pooling, names=("avg_pool", "max_pool"))

    model = FunctionalWithOps(inputs, x, name=name)      # hsigmoid's operations unlisted

    file_name = origin = file_hash = None
    if weights == "imagenet":
        # Keras writes str(alpha): alpha=1 (an int) would name no file and fail with a
        # KeyError; float() gives it the 1.0 file.
        key = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{float(alpha)}_float"
        if include_top:
            file_name, file_hash = f"weights_mobilenet_v3_{key}.h5", WEIGHTS_HASHES[key][0]
        else:
            file_name = f"weights_mobilenet_v3_{key}_no_top_v2.h5"
            file_hash = WEIGHTS_HASHES[key][1]
        origin = BASE_WEIGHT_PATH + file_name
    return imagenet_utils.load_weights(model, weights, file_name, origin, file_hash)


def _input_shape(input_shape, input_tensor, channels_last):
    """Keras's MobileNetV3 rules (its own, not ``obtain_input_shape``): any size from
    32 up, ``(None, None, 3)`` when nothing is given, even with the top."""
    if input_shape is not None and input_tensor is not None:
        if not isinstance(input_tensor, KerasTensor):
            raise ValueError(f"input_tensor specified: {input_tensor} is not a keras tensor")
        axis = 2 if channels_last else 1
        if input_tensor.shape[axis] != input_shape[1]:
            where = "input_tensor.shape[2]" if channels_last else "input_tensor.shape[1]"
            prefix = "" if channels_last else \
                "When backend.image_data_format()=channels_first, "
            raise ValueError(f"{prefix}input_shape[1] must equal {where}.  Received "
                             f"input_shape={input_shape}, "
                             f"input_tensor.shape={input_tensor.shape}")
    if input_shape is None and isinstance(input_tensor, KerasTensor):
        # Keras swaps rows and columns here (cols, rows); only the square case matters
        # for the checks below, and the model takes the tensor as it is.
        if channels_last:
            rows, cols = input_tensor.shape[1:3]
            input_shape = (cols, rows, 3)
        else:
            rows, cols = input_tensor.shape[2:4]
            input_shape = (3, cols, rows)
    if input_shape is None and input_tensor is None:
        input_shape = (None, None, 3) if channels_last else (3, None, None)
    return input_shape


# ------------------------------------------------------------------ the building blocks
def relu(x):
    return layers.ReLU()(x)


def hard_sigmoid(x):
    r""":math:`\mathrm{ReLU6}(x + 3) / 6`: Keras's ``ReLU(6.0)(x + 3.0) * (1.0 / 6.0)``, the
    sum and the product being unlisted operations (module docstring)."""
    x = _operation(layers.Rescaling(1.0, offset=3.0, name=backend.unique_name("add")))(x)
    x = layers.ReLU(6.0)(x)
    return _operation(layers.Rescaling(1.0 / 6.0, name=backend.unique_name("multiply")))(x)


def _operation(layer):
    """Mark ``layer`` as what Keras would record as an operation, not a layer."""
    layer._keras_operation = True
    return layer


def hard_swish(x):
    r""":math:`x \cdot \mathrm{ReLU6}(x + 3) / 6`."""
    return layers.Activation("hard_swish")(x)


def _se_block(inputs, filters, se_ratio, prefix):
    """Squeeze (average per channel), excite (1x1 down, ReLU, 1x1 up, hsigmoid), scale."""
    x = layers.GlobalAveragePooling2D(keepdims=True,
                                      name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv_1")(x)
    x = hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation,
                        block_id):
    """MobileNetV2's block with a chosen kernel, activation and optional SE."""
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[channel_axis()]
    if block_id:                                   # block 0 has no expansion
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(_depth(infilters * expansion), kernel_size=1, padding="same",
                          use_bias=False, name=f"{prefix}expand")(x)
        x = layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999,
                                      name=f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=f"{prefix}depthwise")(x)
    x = layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                      name=f"{prefix}project")(x)
    x = layers.BatchNormalization(axis=channel_axis(), epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def preprocess_input(x, data_format=None):
    """The identity: MobileNetV3 rescales its input itself (its ``Rescaling`` layer).
    Kept so that every family has one. Returns ``x`` itself."""
    return x


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (see :mod:`imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["MobileNetV3Small", "MobileNetV3Large", "preprocess_input", "decode_predictions"]
