r"""Xception (Chollet, 2017): Inception taken to its extreme -- depthwise separable
convolutions with residual connections.

An Inception module splits a convolution into a few branches, each looking at
all the channels through a 1x1 convolution and then at space. Xception pushes
that to one branch per channel: a **depthwise separable convolution** first
filters every channel on its own in space (a 3x3 *depthwise* kernel
:math:`D`), then mixes the channels with a 1x1 *pointwise* kernel :math:`P`,

.. math::
    y_{i,j,o} = \sum_c P_{c,o} \sum_{u,v} D_{u,v,c}\, x_{i+u,\,j+v,\,c},

which costs :math:`k^2 C + C\,C'` weights instead of :math:`k^2 C\,C'`.

The network is 36 such convolutions (each followed by batch normalization)
in 14 blocks, most of them wrapped by a residual connection:

* **entry flow** -- two plain 3x3 convolutions (32, 64 filters, the first of
  stride 2), then three blocks (128, 256, 728) of ``relu -> sepconv -> BN ->
  relu -> sepconv -> BN -> maxpool 3x3/2``, each added to a strided 1x1
  convolution of its input (the shortcut must shrink as the block does);
* **middle flow** -- eight identical blocks (5 to 12) of three ``relu -> sepconv
  728 -> BN``, added to their input unchanged: :math:`x + F(x)`;
* **exit flow** -- block 13 (728 then 1024 filters, pooled, with a strided
  shortcut) and block 14 (separable convolutions of 1536 and 2048 filters),
  then global average pooling and the 1000-way classifier.

The input is 299x299 (at least 71x71); pixels are scaled to :math:`[-1, 1]`
(:func:`preprocess_input`, mode ``"tf"``). Layer names and order are Keras's,
so Keras's ImageNet weight files load into this model.
"""
from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils
from kerastutor.models import Model

WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                "xception/xception_weights_tf_dim_ordering_tf_kernels.h5")
WEIGHTS_PATH_NO_TOP = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                       "xception/xception_weights_tf_dim_ordering_tf_kernels_notop.h5")
WEIGHTS_HASH = "0a58e3b7378bc2990ea3b43d5981f1f6"
WEIGHTS_HASH_NO_TOP = "b0042744bf5b25fce3cb969f33bebb97"


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="xception"):
    """The Xception network (entry, middle and exit flows; see the module).

    ``include_top``: end with global average pooling and a ``classes``-way
    Dense (``predictions``); otherwise the 2048-channel feature map, reduced by
    ``pooling="avg"`` or ``"max"`` if given. ``weights``: ``"imagenet"``,
    ``None`` (random), or the path of a weights file. ``input_shape`` (without
    the batch axis) is needed only without the top; each side at least 71.
    """
    imagenet_utils.check_weights_and_classes(
        weights, include_top, classes,
        weights_message="The `weights` argument should be either `None` (random "
                        "initialization), 'imagenet' (pre-training on ImageNet), or the "
                        "path to the weights file to be loaded.",
        classes_message="If using `weights='imagenet'` with `include_top=True`, `classes` "
                        "should be 1000.  Received classes={classes}")
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=71,
        data_format=backend.image_data_format(), require_flatten=include_top,
        weights=weights)
    img_input, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)
    axis = 1 if backend.image_data_format() == "channels_first" else -1

    def bn(x, name=None):
        return layers.BatchNormalization(axis=axis, name=name)(x)

    def relu(x, name):
        return layers.Activation("relu", name=name)(x)

    def sepconv(x, filters, name):
        return layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False,
                                      name=name)(x)

    def shortcut(x, filters):
        """The strided 1x1 convolution that brings a block's input to its output's shape."""
        x = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same",
                          use_bias=False)(x)
        return bn(x)

    def pool(x, name):
        return layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=name)(x)

    # Entry flow: two plain convolutions (valid padding), then three shrinking blocks.
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False,
                      name="block1_conv1")(img_input)
    x = relu(bn(x, "block1_conv1_bn"), "block1_conv1_act")
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = relu(bn(x, "block1_conv2_bn"), "block1_conv2_act")

    for block, filters in ((2, 128), (3, 256), (4, 728)):
        residual = shortcut(x, filters)
        p = f"block{block}"
        if block > 2:                  # block 2 follows a ReLU already
            x = relu(x, f"{p}_sepconv1_act")
        x = bn(sepconv(x, filters, f"{p}_sepconv1"), f"{p}_sepconv1_bn")
        x = relu(x, f"{p}_sepconv2_act")
        x = bn(sepconv(x, filters, f"{p}_sepconv2"), f"{p}_sepconv2_bn")
        x = layers.add([pool(x, f"{p}_pool"), residual])

    # Middle flow: x + F(x), eight times, F = three relu-sepconv-BN.
    for block in range(5, 13):
        residual = x
        p = f"block{block}"
        for k in (1, 2, 3):
            x = relu(x, f"{p}_sepconv{k}_act")
            x = bn(sepconv(x, 728, f"{p}_sepconv{k}"), f"{p}_sepconv{k}_bn")
        x = layers.add([x, residual])

    # Exit flow.
    residual = shortcut(x, 1024)
    x = relu(x, "block13_sepconv1_act")
    x = bn(sepconv(x, 728, "block13_sepconv1"), "block13_sepconv1_bn")
    x = relu(x, "block13_sepconv2_act")
    x = bn(sepconv(x, 1024, "block13_sepconv2"), "block13_sepconv2_bn")
    x = layers.add([pool(x, "block13_pool"), residual])

    x = bn(sepconv(x, 1536, "block14_sepconv1"), "block14_sepconv1_bn")
    x = relu(x, "block14_sepconv1_act")
    x = bn(sepconv(x, 2048, "block14_sepconv2"), "block14_sepconv2_bn")
    x = relu(x, "block14_sepconv2_act")

    x = imagenet_utils.classifier_or_pooling(x, include_top, pooling, classes,
                                             classifier_activation, weights)

    model = Model(inputs, x, name=name)
    return imagenet_utils.load_top_or_notop(
        model, weights, include_top,
        ("xception_weights_tf_dim_ordering_tf_kernels.h5", WEIGHTS_PATH, WEIGHTS_HASH),
        ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", WEIGHTS_PATH_NO_TOP,
         WEIGHTS_HASH_NO_TOP))


def preprocess_input(x, data_format=None):
    """Pixels in ``[0, 255]`` to ``[-1, 1]``: :math:`x / 127.5 - 1` (mode ``"tf"``)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (:func:`imagenet_utils.decode_predictions`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["Xception", "preprocess_input", "decode_predictions"]
