r"""Inception v3 (Szegedy et al., 2016): many filter sizes side by side, factorised.

An **Inception module** does not choose a filter size: it runs several
branches on the same input -- a 1x1 convolution, a 1x1 followed by a larger
one, a stack of 3x3s, a pooling followed by a 1x1 -- and concatenates their
outputs along the channels,

.. math::
    y = \big[\, b_1(x) \;\|\; b_2(x) \;\|\; b_3(x) \;\|\; b_4(x) \,\big].

The 1x1 convolutions first shrink the channels, so the expensive spatial
filters run on few of them. Version 3 also **factorises** large filters: a
5x5 becomes two 3x3s (:math:`2 \cdot 9 = 18` weights per channel pair
instead of 25), and an :math:`n \times n` becomes a :math:`1 \times n`
followed by an :math:`n \times 1` (:math:`2n` instead of :math:`n^2`).

Every convolution here is ``conv2d_bn``: a bias-free Conv2D, a
BatchNormalization without scale (the ReLU after it makes
:math:`\gamma` redundant), then ReLU. The network is a stem of five
convolutions and two max-poolings (299 -> 35x35x192), three 35x35 modules
(``mixed0``-``mixed2``), a grid reduction to 17x17 (``mixed3``), four 17x17
modules with factorised 7x7 filters (``mixed4``-``mixed7``), a reduction to
8x8 (``mixed8``) and two 8x8 modules whose 3x3 branches split into parallel
1x3 and 3x1 (``mixed9``, ``mixed10``; 2048 channels), then global average
pooling and the classifier.

The input is 299x299 (at least 75x75); pixels are scaled to :math:`[-1, 1]`
(:func:`preprocess_input`, mode ``"tf"``). Layer names and order are Keras's
(the conv/BN/ReLU layers are automatically named ``conv2d_k``,
``batch_normalization_k``, ``activation_k``), so Keras's ImageNet weight
files load into this model.
"""
from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils
from kerastutor.models import Model

WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels.h5")
WEIGHTS_PATH_NO_TOP = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                       "inception_v3/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5")
WEIGHTS_HASH = "9a0d58056eeedaa3f26cb7ebd46da564"
WEIGHTS_HASH_NO_TOP = "bcbd6486424b2319ff4ef7d526e38f63"


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Conv2D (no bias) -> BatchNormalization (no scale) -> ReLU.

    With ``name``, the layers are ``{name}_conv``, ``{name}_bn`` and ``{name}``;
    without, they take automatic names.
    """
    bn_axis = 1 if backend.image_data_format() == "channels_first" else 3
    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
                      use_bias=False, name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, scale=False,
                                  name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _avg_pool_same(x):
    return layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    """The Inception v3 network (see the module).

    ``include_top``: end with global average pooling and a ``classes``-way
    Dense (``predictions``); otherwise the 2048-channel feature map, reduced by
    ``pooling="avg"`` or ``"max"`` if given. ``weights``: ``"imagenet"``,
    ``None`` (random), or the path of a weights file. ``input_shape`` (without
    the batch axis) is needed only without the top; each side at least 75.
    """
    imagenet_utils.check_weights_and_classes(
        weights, include_top, classes,
        weights_message="The `weights` argument should be either `None` (random "
                        "initialization), `imagenet` (pre-training on ImageNet), or the "
                        "path to the weights file to be loaded; Received: weights={weights}",
        classes_message='If using `weights="imagenet"` with `include_top=True`, `classes` '
                        "should be 1000. Received classes={classes}")
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75,
        data_format=backend.image_data_format(), require_flatten=include_top,
        weights=weights)
    img_input, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)
    axis = 1 if backend.image_data_format() == "channels_first" else 3

    def concat(branches, name=None):
        return layers.concatenate(branches, axis=axis, name=name)

    # Stem: 299x299x3 -> 35x35x192.
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)

    # mixed0-2 (35x35): 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1.
    for i, pool_filters in enumerate((32, 64, 64)):
        branch1x1 = conv2d_bn(x, 64, 1, 1)
        branch5x5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
        branch3x3dbl = conv2d_bn(x, 64, 1, 1)
        branch3x3dbl = conv2d_bn(conv2d_bn(branch3x3dbl, 96, 3, 3), 96, 3, 3)
        branch_pool = conv2d_bn(_avg_pool_same(x), pool_filters, 1, 1)
        x = concat([branch1x1, branch5x5, branch3x3dbl, branch_pool], f"mixed{i}")

    # mixed3: reduction to 17x17 (strided 3x3 | 1x1-3x3-strided 3x3 | maxpool).
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = concat([branch3x3, branch3x3dbl, branch_pool], "mixed3")

    # mixed4-7 (17x17): 7x7 filters factorised into 1x7 and 7x1.
    for i, width in zip(range(4, 8), (128, 160, 160, 192)):
        branch1x1 = conv2d_bn(x, 192, 1, 1)
        branch7x7 = conv2d_bn(x, width, 1, 1)
        branch7x7 = conv2d_bn(branch7x7, width, 1, 7)
        branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)
        branch7x7dbl = conv2d_bn(x, width, 1, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 1, 7)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)
        branch_pool = conv2d_bn(_avg_pool_same(x), 192, 1, 1)
        x = concat([branch1x1, branch7x7, branch7x7dbl, branch_pool], f"mixed{i}")

    # mixed8: reduction to 8x8.
    branch3x3 = conv2d_bn(x, 192, 1, 1)
    branch3x3 = conv2d_bn(branch3x3, 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = concat([branch3x3, branch7x7x3, branch_pool], "mixed8")

    # mixed9, mixed10 (8x8): the 3x3 branches fan out into parallel 1x3 and 3x1.
    for i in range(2):
        branch1x1 = conv2d_bn(x, 320, 1, 1)
        branch3x3 = conv2d_bn(x, 384, 1, 1)
        branch3x3 = concat([conv2d_bn(branch3x3, 384, 1, 3),
                            conv2d_bn(branch3x3, 384, 3, 1)], f"mixed9_{i}")
        branch3x3dbl = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
        branch3x3dbl = concat([conv2d_bn(branch3x3dbl, 384, 1, 3),
                               conv2d_bn(branch3x3dbl, 384, 3, 1)])
        branch_pool = conv2d_bn(_avg_pool_same(x), 192, 1, 1)
        x = concat([branch1x1, branch3x3, branch3x3dbl, branch_pool], f"mixed{9 + i}")

    x = imagenet_utils.classifier_or_pooling(x, include_top, pooling, classes,
                                             classifier_activation, weights)

    model = Model(inputs, x, name=name)
    return imagenet_utils.load_top_or_notop(
        model, weights, include_top,
        ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", WEIGHTS_PATH, WEIGHTS_HASH),
        ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5", WEIGHTS_PATH_NO_TOP,
         WEIGHTS_HASH_NO_TOP))


def preprocess_input(x, data_format=None):
    """Pixels in ``[0, 255]`` to ``[-1, 1]``: :math:`x / 127.5 - 1` (mode ``"tf"``)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (:func:`imagenet_utils.decode_predictions`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["InceptionV3", "preprocess_input", "decode_predictions"]
