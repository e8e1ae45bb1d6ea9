r"""Inception-ResNet v2 (Szegedy et al., 2017): Inception modules as residual branches.

Each **Inception-ResNet block** computes a small Inception module -- a few
parallel convolution branches, concatenated -- and projects the result back
to the input's channel count with a linear 1x1 convolution :math:`W`. That
*residual* is added to the block's input, **scaled down** first:

.. math::
    y = \operatorname{relu}\big(x + s \cdot W\,[\,b_1(x) \,\|\, b_2(x) \,\|\, \dots\,]\big),
    \qquad s \in \{0.17,\ 0.1,\ 0.2\}.

The paper found that with many filters the residual variant "died" early in
training unless the residuals were scaled by a small :math:`s` before the
addition; :class:`CustomScaleLayer` is that scaled addition, as a layer.

Every other convolution is ``conv2d_bn``: a bias-free Conv2D, a
BatchNormalization without scale and a ReLU. The network is

* a stem of five convolutions and two max-poolings (299 -> 35x35x192) and an
  Inception-A module ``mixed_5b`` (320 channels);
* 10 ``block35`` (three branches, :math:`s = 0.17`), the reduction
  ``mixed_6a`` (17x17x1088);
* 20 ``block17`` (1x1 and 1x7-7x1 branches, :math:`s = 0.1`), the reduction
  ``mixed_7a`` (8x8x2080);
* 10 ``block8`` (1x1 and 1x3-3x1 branches, :math:`s = 0.2`; the last one
  with :math:`s = 1` and no ReLU), the 1x1 convolution ``conv_7b`` to 1536
  channels, global average pooling and the classifier.

The input is 299x299 (at least 75x75); pixels are scaled to :math:`[-1, 1]`
(:func:`preprocess_input`, mode ``"tf"``). Layer names and order are Keras's,
so Keras's ImageNet weight files load into this model.
"""
from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils
from kerastutor.layers.base import Layer
from kerastutor.models import Model

BASE_WEIGHT_URL = ("https://storage.googleapis.com/tensorflow/"
                   "keras-applications/inception_resnet_v2/")
WEIGHTS_FILE = "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5"
WEIGHTS_FILE_NO_TOP = "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_HASH = "e693bd0210a403b3192acc6073ad2e96"
WEIGHTS_HASH_NO_TOP = "d19885ff4a710c122648d3b5c3b684e4"


class CustomScaleLayer(Layer):
    r"""The scaled residual addition of Inception-ResNet: ``[x, r] -> x + scale * r``.

    .. math::
        y = x + s\,r, \qquad
        \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y}, \qquad
        \frac{\partial L}{\partial r} = s\,\frac{\partial L}{\partial y}.

    Called on a list of two tensors of the same shape (the shortcut and the
    residual branch). ``scale`` is a fixed number, not a weight.
    """

    takes_a_list = True

    def __init__(self, scale, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def _check_inputs(self, inputs, what):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                f'Layer "{self.name}" (CustomScaleLayer) should be called on a list of two '
                f"{what} [shortcut, residual], received {inputs!r}.")

    def build(self, input_shape):
        self._check_inputs(input_shape, "input shapes")
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape, "input shapes")
        return tuple(input_shape[0])

    def forward(self, x, training=False, **kwargs):
        self._check_inputs(x, "tensors")
        shortcut, residual = x
        return shortcut + residual * self.scale, None

    def backward(self, cache, grad_out):
        return [grad_out, grad_out * self.scale]

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale})
        return config


def conv2d_bn(x, filters, kernel_size, strides=1, padding="same", activation="relu",
              use_bias=False, name=None):
    """Conv2D, then (without a bias) BatchNormalization without scale, then ``activation``.

    With ``name``, the layers are ``{name}``, ``{name}_bn`` and ``{name}_ac``;
    without, they take automatic names.
    """
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding,
                      use_bias=use_bias, name=name)(x)
    if not use_bias:
        bn_axis = 1 if backend.image_data_format() == "channels_first" else 3
        x = layers.BatchNormalization(axis=bn_axis, scale=False,
                                      name=None if name is None else f"{name}_bn")(x)
    if activation is not None:
        x = layers.Activation(activation, name=None if name is None else f"{name}_ac")(x)
    return x


def inception_resnet_block(x, scale, block_type, block_idx, activation="relu"):
    """One Inception-ResNet block: ``activation(x + scale * conv1x1(concat(branches(x))))``.

    ``block_type`` is ``"block35"`` (35x35 grid), ``"block17"`` or ``"block8"``;
    the layers are named ``{block_type}_{block_idx}_mixed``, ``_conv`` and ``_ac``.
    """
    if block_type == "block35":
        branch_0 = conv2d_bn(x, 32, 1)
        branch_1 = conv2d_bn(conv2d_bn(x, 32, 1), 32, 3)
        branch_2 = conv2d_bn(x, 32, 1)
        branch_2 = conv2d_bn(conv2d_bn(branch_2, 48, 3), 64, 3)
        branches = [branch_0, branch_1, branch_2]
    elif block_type == "block17":
        branch_0 = conv2d_bn(x, 192, 1)
        branch_1 = conv2d_bn(x, 128, 1)
        branch_1 = conv2d_bn(conv2d_bn(branch_1, 160, [1, 7]), 192, [7, 1])
        branches = [branch_0, branch_1]
    elif block_type == "block8":
        branch_0 = conv2d_bn(x, 192, 1)
        branch_1 = conv2d_bn(x, 192, 1)
        branch_1 = conv2d_bn(conv2d_bn(branch_1, 224, [1, 3]), 256, [3, 1])
        branches = [branch_0, branch_1]
    else:
        raise ValueError('Unknown Inception-ResNet block type. Expects "block35", "block17" '
                         f'or "block8", but got: {block_type}')
    block_name = f"{block_type}_{block_idx}"
    channel_axis = 1 if backend.image_data_format() == "channels_first" else 3
    mixed = layers.Concatenate(axis=channel_axis, name=f"{block_name}_mixed")(branches)
    up = conv2d_bn(mixed, x.shape[channel_axis], 1, activation=None, use_bias=True,
                   name=f"{block_name}_conv")
    x = CustomScaleLayer(scale)([x, up])
    if activation is not None:
        x = layers.Activation(activation, name=f"{block_name}_ac")(x)
    return x


def InceptionResNetV2(include_top=True, weights="imagenet", input_tensor=None,
                      input_shape=None, pooling=None, classes=1000,
                      classifier_activation="softmax", name="inception_resnet_v2"):
    """The Inception-ResNet v2 network (see the module).

    ``include_top``: end with global average pooling and a ``classes``-way
    Dense (``predictions``); otherwise the 1536-channel feature map, reduced by
    ``pooling="avg"`` or ``"max"`` if given. ``weights``: ``"imagenet"``,
    ``None`` (random), or the path of a weights file. ``input_shape`` (without
    the batch axis) is needed only without the top; each side at least 75.
    """
    imagenet_utils.check_weights_and_classes(
        weights, include_top, classes,
        weights_message="The `weights` argument should be either `None` (random "
                        "initialization), `imagenet` (pre-training on ImageNet), or the "
                        "path to the weights file to be loaded.",
        classes_message='If using `weights="imagenet"` with `include_top=True`, `classes` '
                        "should be 1000. Received classes={classes}")
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75,
        data_format=backend.image_data_format(), require_flatten=include_top,
        weights=weights)
    img_input, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)
    channel_axis = 1 if backend.image_data_format() == "channels_first" else 3

    # Stem: 299x299x3 -> 35x35x192.
    x = conv2d_bn(img_input, 32, 3, strides=2, padding="valid")
    x = conv2d_bn(x, 32, 3, padding="valid")
    x = conv2d_bn(x, 64, 3)
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = conv2d_bn(x, 80, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, padding="valid")
    x = layers.MaxPooling2D(3, strides=2)(x)

    # mixed_5b, an Inception-A module: 35x35x320.
    branch_0 = conv2d_bn(x, 96, 1)
    branch_1 = conv2d_bn(conv2d_bn(x, 48, 1), 64, 5)
    branch_2 = conv2d_bn(x, 64, 1)
    branch_2 = conv2d_bn(conv2d_bn(branch_2, 96, 3), 96, 3)
    branch_pool = layers.AveragePooling2D(3, strides=1, padding="same")(x)
    branch_pool = conv2d_bn(branch_pool, 64, 1)
    x = layers.Concatenate(axis=channel_axis, name="mixed_5b")(
        [branch_0, branch_1, branch_2, branch_pool])

    for block_idx in range(1, 11):
        x = inception_resnet_block(x, scale=0.17, block_type="block35", block_idx=block_idx)

    # mixed_6a, reduction A: 17x17x1088.
    branch_0 = conv2d_bn(x, 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(conv2d_bn(x, 256, 1), 256, 3)
    branch_1 = conv2d_bn(branch_1, 384, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=channel_axis, name="mixed_6a")(
        [branch_0, branch_1, branch_pool])

    for block_idx in range(1, 21):
        x = inception_resnet_block(x, scale=0.1, block_type="block17", block_idx=block_idx)

    # mixed_7a, reduction B: 8x8x2080.
    branch_0 = conv2d_bn(x, 256, 1)
    branch_0 = conv2d_bn(branch_0, 384, 3, strides=2, padding="valid")
    branch_1 = conv2d_bn(x, 256, 1)
    branch_1 = conv2d_bn(branch_1, 288, 3, strides=2, padding="valid")
    branch_2 = conv2d_bn(conv2d_bn(x, 256, 1), 288, 3)
    branch_2 = conv2d_bn(branch_2, 320, 3, strides=2, padding="valid")
    branch_pool = layers.MaxPooling2D(3, strides=2, padding="valid")(x)
    x = layers.Concatenate(axis=channel_axis, name="mixed_7a")(
        [branch_0, branch_1, branch_2, branch_pool])

    for block_idx in range(1, 10):
        x = inception_resnet_block(x, scale=0.2, block_type="block8", block_idx=block_idx)
    x = inception_resnet_block(x, scale=1.0, activation=None, block_type="block8",
                               block_idx=10)

    x = conv2d_bn(x, 1536, 1, name="conv_7b")            # 8x8x1536

    x = imagenet_utils.classifier_or_pooling(x, include_top, pooling, classes,
                                             classifier_activation, weights)

    model = Model(inputs, x, name=name)
    return imagenet_utils.load_top_or_notop(
        model, weights, include_top,
        (WEIGHTS_FILE, BASE_WEIGHT_URL + WEIGHTS_FILE, WEIGHTS_HASH),
        (WEIGHTS_FILE_NO_TOP, BASE_WEIGHT_URL + WEIGHTS_FILE_NO_TOP, WEIGHTS_HASH_NO_TOP))


def preprocess_input(x, data_format=None):
    """Pixels in ``[0, 255]`` to ``[-1, 1]``: :math:`x / 127.5 - 1` (mode ``"tf"``)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (:func:`imagenet_utils.decode_predictions`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["InceptionResNetV2", "CustomScaleLayer", "preprocess_input",
           "decode_predictions"]
