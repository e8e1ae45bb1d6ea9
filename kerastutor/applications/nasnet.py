r"""NASNetMobile and NASNetLarge: a cell found by architecture search, stacked by hand.

Zoph, Vasudevan, Shlens and Le, *Learning Transferable Architectures for
Scalable Image Recognition* (CVPR 2018).

Instead of designing the network, a controller searched (on CIFAR-10) for two
small **cells**, and people stacked them into ImageNet networks:

* the **normal cell** keeps the size; it combines the current input :math:`h`
  (the previous cell's output, squeezed by ReLU-Conv1x1-BN) and the one
  before it, :math:`p` (the "previous path"), in five pairwise sums,

  .. math::

      \begin{aligned}
      x_1 &= \mathrm{sep}_{5}(h) + \mathrm{sep}_{3}(p), &
      x_2 &= \mathrm{sep}_{5}(p) + \mathrm{sep}_{3}(p), &
      x_3 &= \mathrm{avg}_{3}(h) + p, \\
      x_4 &= \mathrm{avg}_{3}(p) + \mathrm{avg}_{3}(p), &
      x_5 &= \mathrm{sep}_{3}(h) + h,
      \end{aligned}

  and outputs the concatenation :math:`[p, x_1, x_2, x_3, x_4, x_5]`
  (6 x ``filters`` channels, in exactly that order);
* the **reduction cell** halves the size with stride-2 branches,
  :math:`x_1 = \mathrm{sep}_5^{/2}(h) + \mathrm{sep}_7^{/2}(p)`,
  :math:`x_2 = \mathrm{max}_3^{/2}(h) + \mathrm{sep}_7^{/2}(p)`,
  :math:`x_3 = \mathrm{avg}_3^{/2}(h) + \mathrm{sep}_5^{/2}(p)`,
  :math:`x_4 = \mathrm{avg}_3(x_1) + x_2`,
  :math:`x_5 = \mathrm{sep}_3(x_1) + \mathrm{max}_3^{/2}(h)`, and outputs
  :math:`[x_2, x_3, x_4, x_5]` (4 x ``filters``).

Here :math:`\mathrm{sep}_k` is *twice* ReLU-SeparableConv(k x k)-BN (the first
one strided in a reduction cell, after an explicit ``ZeroPadding2D`` that pads
like TensorFlow's ``"same"``); pools are 3x3 ``"same"`` (stride 1) or
``"valid"`` on a padded input (stride 2). When :math:`p` is larger than
:math:`h` (after a reduction) it is **adjusted**: two half-width 1x1
convolutions see the even pixels and, shifted by one through
``ZeroPadding2D((0,1),(0,1))`` + ``Cropping2D((1,0),(1,0))``, the odd ones; their
concatenation is batch-normalised. When only the channel count differs, a
ReLU-Conv1x1-BN projects it.

A network ``NASNet (N @ P)`` is a stem (3x3/2 convolution, two reduction
cells), then three stacks of ``N`` normal cells with ``P/24``, ``P/12`` and
``P/6`` filters separated by two reduction cells, then ReLU and global average
pooling. NASNetMobile is (4 @ 1056) at 224x224 (5,326,716 parameters),
NASNetLarge (6 @ 4032) at 331x331 (88,949,818 parameters).

Layer names and order are Keras's (many layers keep their automatic names:
``activation_N``, ``add``, ``zero_padding2d``, ``cropping2d``, ``concatenate``);
Keras's own quirks are kept so that its ``.h5`` files load by position: the
fifth reduction branch's separable block is named ``reduction_left4_*``, and
two sums are ``reduction_add3_*`` and ``reduction_add4_*`` (no underscore).
Inputs are preprocessed in ``"tf"`` mode, :math:`x/127.5 - 1`.
Only ``channels_last`` is supported, as in Keras.
"""
from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils
from kerastutor.models import Model

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
NASNET_MOBILE_WEIGHT_PATH = f"{BASE_WEIGHTS_PATH}NASNet-mobile.h5"
NASNET_MOBILE_WEIGHT_PATH_NO_TOP = f"{BASE_WEIGHTS_PATH}NASNet-mobile-no-top.h5"
NASNET_LARGE_WEIGHT_PATH = f"{BASE_WEIGHTS_PATH}NASNet-large.h5"
NASNET_LARGE_WEIGHT_PATH_NO_TOP = f"{BASE_WEIGHTS_PATH}NASNet-large-no-top.h5"

# default size -> include_top -> (cache file name, origin, md5); note that the cached
# name (``nasnet_mobile.h5``) is not the origin's (``NASNet-mobile.h5``), as in Keras
WEIGHT_FILES = {
    224: {True: ("nasnet_mobile.h5", NASNET_MOBILE_WEIGHT_PATH,
                 "020fb642bf7360b370c678b08e0adf61"),
          False: ("nasnet_mobile_no_top.h5", NASNET_MOBILE_WEIGHT_PATH_NO_TOP,
                  "1ed92395b5b598bdda52abe5c0dbfd63")},
    331: {True: ("nasnet_large.h5", NASNET_LARGE_WEIGHT_PATH,
                 "11577c9a518f0070763c2b964a382f17"),
          False: ("nasnet_large_no_top.h5", NASNET_LARGE_WEIGHT_PATH_NO_TOP,
                  "d81d89dc07e6e56530c4e77faddd61b5")},
}

CHANNEL_AXIS = -1
BN_MOMENTUM = 0.9997
BN_EPSILON = 1e-3


def _batch_norm(name):
    return layers.BatchNormalization(axis=CHANNEL_AXIS, momentum=BN_MOMENTUM,
                                     epsilon=BN_EPSILON, name=name)


def _conv1x1(filters, name):
    return layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same", use_bias=False,
                         name=name, kernel_initializer="he_normal")


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """Twice ReLU-SeparableConv-BN; the first convolution carries the stride."""
    x = layers.Activation("relu")(ip)
    if strides == (2, 2):
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"separable_conv_1_pad_{block_id}")(x)
        padding = "valid"
    else:
        padding = "same"
    x = layers.SeparableConv2D(filters, kernel_size, strides=strides, padding=padding,
                               use_bias=False, name=f"separable_conv_1_{block_id}")(x)
    x = _batch_norm(f"separable_conv_1_bn_{block_id}")(x)
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(filters, kernel_size, padding="same", use_bias=False,
                               name=f"separable_conv_2_{block_id}")(x)
    return _batch_norm(f"separable_conv_2_bn_{block_id}")(x)


def _adjust_block(p, ip, filters, block_id=None):
    """Make the previous path ``p`` match ``ip``'s size (and ``filters`` channels).

    Larger ``p``: two 1x1 convolutions of ``filters // 2`` on its even pixels and
    on its odd pixels (shifted by padding one row/column at the end and cropping
    one at the start), concatenated and batch-normalised. Same size but other
    channels: ReLU-Conv1x1-BN. As Keras, an unknown width on both counts as equal.
    """
    if p is None:
        return ip
    if p.shape[-2] != ip.shape[-2]:
        p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
        p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_1_{block_id}")(p)
        p1 = _conv1x1(filters // 2, f"adjust_conv_1_{block_id}")(p1)
        p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
        p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)      # shift by one pixel
        p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                     name=f"adjust_avg_pool_2_{block_id}")(p2)
        p2 = _conv1x1(filters // 2, f"adjust_conv_2_{block_id}")(p2)
        p = layers.concatenate([p1, p2], axis=CHANNEL_AXIS)
        return _batch_norm(f"adjust_bn_{block_id}")(p)
    if p.shape[CHANNEL_AXIS] != filters:
        p = layers.Activation("relu")(p)
        p = _conv1x1(filters, f"adjust_conv_projection_{block_id}")(p)
        return _batch_norm(f"adjust_bn_{block_id}")(p)
    return p


def _squeeze(ip, filters, kind, block_id):
    """``h``: the cell input through ReLU-Conv1x1(``filters``)-BN."""
    h = layers.Activation("relu")(ip)
    h = _conv1x1(filters, f"{kind}_conv_1_{block_id}")(h)
    return _batch_norm(f"{kind}_bn_1_{block_id}")(h)


def _avg3(name):
    return layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same", name=name)


def _normal_a_cell(ip, p, filters, block_id=None):
    """NASNet-A normal cell: returns ``(concat[p, x1..x5], ip)`` (the new previous path is ``ip``)."""
    p = _adjust_block(p, ip, filters, block_id)
    h = _squeeze(ip, filters, "normal", block_id)
    b = block_id

    x1 = layers.add([_separable_conv_block(h, filters, (5, 5), block_id=f"normal_left1_{b}"),
                     _separable_conv_block(p, filters, block_id=f"normal_right1_{b}")],
                    name=f"normal_add_1_{b}")
    x2 = layers.add([_separable_conv_block(p, filters, (5, 5), block_id=f"normal_left2_{b}"),
                     _separable_conv_block(p, filters, (3, 3), block_id=f"normal_right2_{b}")],
                    name=f"normal_add_2_{b}")
    x3 = layers.add([_avg3(f"normal_left3_{b}")(h), p], name=f"normal_add_3_{b}")
    x4 = layers.add([_avg3(f"normal_left4_{b}")(p), _avg3(f"normal_right4_{b}")(p)],
                    name=f"normal_add_4_{b}")
    x5 = layers.add([_separable_conv_block(h, filters, block_id=f"normal_left5_{b}"), h],
                    name=f"normal_add_5_{b}")
    x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=CHANNEL_AXIS,
                           name=f"normal_concat_{b}")
    return x, ip


def _reduction_a_cell(ip, p, filters, block_id=None):
    """NASNet-A reduction cell (half the size): returns ``(concat[x2, x3, x4, x5], ip)``."""
    p = _adjust_block(p, ip, filters, block_id)
    h = _squeeze(ip, filters, "reduction", block_id)
    b = block_id
    h3 = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(h, 3), name=f"reduction_pad_1_{b}")(h)

    x1 = layers.add(
        [_separable_conv_block(h, filters, (5, 5), strides=(2, 2),
                               block_id=f"reduction_left1_{b}"),
         _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                               block_id=f"reduction_right1_{b}")],
        name=f"reduction_add_1_{b}")
    x2 = layers.add(
        [layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                             name=f"reduction_left2_{b}")(h3),
         _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                               block_id=f"reduction_right2_{b}")],
        name=f"reduction_add_2_{b}")
    x3 = layers.add(
        [layers.AveragePooling2D((3, 3), strides=(2, 2), padding="valid",
                                 name=f"reduction_left3_{b}")(h3),
         _separable_conv_block(p, filters, (5, 5), strides=(2, 2),
                               block_id=f"reduction_right3_{b}")],
        name=f"reduction_add3_{b}")                                   # Keras's name
    x4 = layers.add([x2, _avg3(f"reduction_left4_{b}")(x1)])          # automatic name
    x5 = layers.add(
        [_separable_conv_block(x1, filters, (3, 3), block_id=f"reduction_left4_{b}"),
         layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                             name=f"reduction_right5_{b}")(h3)],
        name=f"reduction_add4_{b}")
    x = layers.concatenate([x2, x3, x4, x5], axis=CHANNEL_AXIS, name=f"reduction_concat_{b}")
    return x, ip


def _check_arguments(weights, include_top, classes, input_shape):
    if backend.image_data_format() == "channels_first":
        raise ValueError(
            "NASNet does not support the `channels_first` image data format. Switch to "
            "`channels_last` by editing your local config file at ~/.keras/keras.json")
    from kerastutor.applications.densenet import _check_weights_and_classes
    _check_weights_and_classes(weights, include_top, classes)
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError(
            "When specifying the input shape of a NASNet and loading `ImageNet` weights, "
            "the input_shape argument must be static (no None entries). Got: "
            f"`input_shape={input_shape}`.")


def NASNet(input_shape=None, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
           skip_reduction=True, filter_multiplier=2, include_top=True, weights="imagenet",
           input_tensor=None, pooling=None, classes=1000, default_size=None,
           classifier_activation="softmax", name="NASNet"):
    """A NASNet-A ``(num_blocks @ penultimate_filters)`` (see the module).

    ``skip_reduction=True`` (NASNetLarge) lets the cell after a reduction cell
    take the reduction's *input* as its previous path; ``False`` (NASNetMobile)
    takes the reduction's adjusted previous path.
    """
    _check_arguments(weights, include_top, classes, input_shape)
    if default_size is None:
        default_size = 331
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=backend.image_data_format(), require_flatten=include_top,
        weights=weights)
    img_input, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)

    if penultimate_filters % (24 * (filter_multiplier ** 2)) != 0:
        raise ValueError(
            "For NASNet-A models, the `penultimate_filters` must be a multiple of 24 * "
            f"(`filter_multiplier` ** 2). Current value: {penultimate_filters}")
    filters = penultimate_filters // 24

    x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid",
                      use_bias=False, name="stem_conv1", kernel_initializer="he_normal")(img_input)
    x = _batch_norm("stem_bn1")(x)

    p = None
    x, p = _reduction_a_cell(x, p, filters // (filter_multiplier ** 2), block_id="stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")

    for stack in range(3):
        width = filters * filter_multiplier ** stack
        if stack > 0:
            x, p0 = _reduction_a_cell(x, p, width, block_id=f"reduce_{stack * num_blocks}")
            p = p if skip_reduction else p0
        for i in range(num_blocks):
            x, p = _normal_a_cell(x, p, width,
                                  block_id=f"{stack * num_blocks + i + min(stack, 1)}")

    x = layers.Activation("relu")(x)
    x = imagenet_utils.classifier_or_pooling(x, include_top, pooling, classes,
                                             classifier_activation, weights,
                                             top_pool_name=None)   # automatic, as Keras

    model = Model(inputs, x, name=name)
    if weights == "imagenet":
        if default_size not in WEIGHT_FILES:
            raise ValueError("ImageNet weights can only be loaded with NASNetLarge or "
                             "NASNetMobile")
        file_name, origin, file_hash = WEIGHT_FILES[default_size][bool(include_top)]
        return imagenet_utils.load_weights(model, weights, file_name, origin, file_hash)
    return imagenet_utils.load_weights(model, weights, None, None)


def NASNetMobile(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                 pooling=None, classes=1000, classifier_activation="softmax",
                 name="nasnet_mobile"):
    """NASNet-A (4 @ 1056) at 224x224: 5,326,716 parameters.

    As in Keras, without the classifier and without ``input_shape`` the input is
    still ``(224, 224, 3)`` (NASNetLarge's is then ``(None, None, 3)``). Keras
    refuses this model under its torch backend ("outstanding bug"); kerastutor
    has no such restriction.
    """
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
                  skip_reduction=False, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling,
                  classes=classes, default_size=224,
                  classifier_activation=classifier_activation, name=name)


def NASNetLarge(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="nasnet_large"):
    """NASNet-A (6 @ 4032) at 331x331: 88,949,818 parameters.

    Keras's quirk, kept: without the classifier and without ``input_shape`` the
    input is ``(None, None, 3)``, and with unknown sizes :func:`_adjust_block`
    cannot see that the previous path is larger, so it projects instead of
    reducing (84,887,922 parameters against 84,916,818 at 331x331); such a model
    builds but fails on every image (an ``Add`` of mismatched sizes). Give
    ``input_shape``.
    """
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
                  skip_reduction=True, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling,
                  classes=classes, default_size=331,
                  classifier_activation=classifier_activation, name=name)


def preprocess_input(x, data_format=None):
    """NASNet's ``"tf"`` preprocessing: pixels in ``[0, 255]`` to ``x / 127.5 - 1``."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per row (see :func:`imagenet_utils.decode_predictions`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["NASNetMobile", "NASNetLarge", "preprocess_input", "decode_predictions"]
