r"""ResNet (He et al., 2015): very deep networks that learn *residuals*.

Stacking more layers onto a plain network eventually makes even its
*training* error worse: the optimiser cannot find the identity map through
many nonlinear layers. A residual block asks its layers for the difference
instead, and adds the input back along a shortcut:

.. math::

    y = \operatorname{relu}\big(F(x) + s(x)\big),

where :math:`s` is the identity, or a :math:`1 \times 1` convolution with
batch normalisation (``_0_conv``, ``_0_bn``) where the width or the stride
changes. If the identity were best, :math:`F` only has to learn zero; and in
the backward pass :math:`\partial y / \partial x` always holds the identity
term, so the gradient reaches the first layers of a 152-layer net.

Here :math:`F` is the *bottleneck* of ResNet50/101/152: a :math:`1 \times 1`
convolution narrows to :math:`f` channels, a :math:`3 \times 3` one works at
that width, a second :math:`1 \times 1` widens to :math:`4f`, each followed by
batch normalisation (:math:`\epsilon = 1.001 \cdot 10^{-5}`), ReLU after the first
two. After a :math:`7 \times 7`/2 stem and a :math:`3 \times 3`/2 max-pool come
four stacks (``conv2`` .. ``conv5``) of :math:`f = 64, 128, 256, 512`; the first
block of each stack takes the convolution shortcut, and of stacks 3-5 it
halves the image with stride 2 in its first :math:`1 \times 1` convolution.
Blocks per stack: ResNet50 (3, 4, 6, 3), ResNet101 (3, 4, 23, 3), ResNet152
(3, 8, 36, 3). Global average pooling and one dense layer classify.

:func:`ResNet` is the common builder; :mod:`~kerastutor.applications.resnet_v2`
uses it with the pre-activation blocks :func:`residual_block_v2`. Layer
names, order and weight shapes are Keras's, so Keras's ImageNet files load by
position. Preprocessing is ``"caffe"`` (BGR, mean-centred, unscaled).
"""
from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils
from kerastutor.models import Model

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
WEIGHTS_HASHES = {                     # md5 of (include_top, notop) files, as Keras
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
BN_EPSILON = 1.001e-5


def weights_file(weights_name, include_top):
    """``(file name, origin, md5)`` of Keras's ImageNet file for ``weights_name``."""
    suffix = "" if include_top else "_notop"
    file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
    return (file_name, BASE_WEIGHTS_PATH + file_name,
            WEIGHTS_HASHES[weights_name][0 if include_top else 1])


def _bn_axis():
    return 3 if backend.image_data_format() == "channels_last" else 1


def _batch_norm(name):
    return layers.BatchNormalization(axis=_bn_axis(), epsilon=BN_EPSILON, name=name)


def ResNet(stack_fn, preact, use_bias, include_top=True, weights="imagenet",
           input_tensor=None, input_shape=None, pooling=None, classes=1000,
           classifier_activation="softmax", name="resnet", weights_name=None):
    """The ResNet skeleton around ``stack_fn`` (the residual stacks).

    Stem: zero-pad 3, :math:`7 \\times 7`/2 convolution (``conv1_conv``), then --
    unless ``preact`` (ResNetV2, whose blocks normalise their own inputs) --
    batch norm and ReLU; zero-pad 1 and a :math:`3 \\times 3`/2 max-pool. After the
    stacks, ResNetV2 adds the final ``post_bn`` and ``post_relu``. The head is
    ``avg_pool`` + ``predictions``, or with ``include_top=False`` the pooling
    ``"avg"`` (``avg_pool``), ``"max"`` (``max_pool``) or none.
    """
    imagenet_utils.check_arguments(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    image, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(image)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = _batch_norm("conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)

    x = stack_fn(x)

    if preact:
        x = _batch_norm("post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)

    x = imagenet_utils.classifier_or_pooling(x, include_top, pooling, classes,
                                             classifier_activation, weights,
                                             pool_names=("avg_pool", "max_pool"))

    model = Model(inputs, x, name=name)
    if weights == "imagenet" and weights_name in WEIGHTS_HASHES:
        file_name, origin, file_hash = weights_file(weights_name, include_top)
        return imagenet_utils.load_weights(model, weights, file_name, origin, file_hash)
    if weights is not None and weights != "imagenet":
        model.load_weights(weights)
    return model


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """Bottleneck block (post-activation): ``relu(bn(1x1 -> 3x3 -> 1x1) + shortcut)``.

    The first :math:`1 \\times 1` convolution carries the ``stride``; the
    shortcut is the identity, or a strided :math:`1 \\times 1` convolution to
    :math:`4f` channels with batch norm when ``conv_shortcut``.
    """
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = _batch_norm(f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = _batch_norm(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = _batch_norm(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = _batch_norm(f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """``blocks`` v1 blocks; the first has the convolution shortcut and stride ``stride1``."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """Pre-activation bottleneck (He et al., 2016): ``y = x' + F(relu(bn(x)))``.

    Batch norm and ReLU come *before* the convolutions (``_preact_bn``,
    ``_preact_relu``) and nothing follows the addition, so the shortcut path
    is a clean identity from block to block. The stride sits in the
    :math:`3 \\times 3` convolution (explicitly zero-padded by 1); an identity
    shortcut that must follow a stride is a :math:`1 \\times 1` max-pool of that
    stride (automatic name ``max_pooling2d``, as Keras); a convolution
    shortcut reads the pre-activated input. Inner convolutions have no bias
    (a batch norm follows); the shortcut and the last :math:`1 \\times 1` do.
    """
    preact = _batch_norm(f"{name}_preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    else:
        shortcut = layers.MaxPooling2D(1, strides=stride)(x) if stride > 1 else x
    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = _batch_norm(f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False,
                      name=f"{name}_2_conv")(x)
    x = _batch_norm(f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """``blocks`` v2 blocks: the first widens (convolution shortcut, stride 1), the
    **last** one carries the stride ``stride1`` (Keras's ResNetV2 downsamples at the
    end of a stack, not at the start)."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _v1_stacks(blocks):
    def stack_fn(x):
        x = stack_residual_blocks_v1(x, 64, blocks[0], stride1=1, name="conv2")
        x = stack_residual_blocks_v1(x, 128, blocks[1], name="conv3")
        x = stack_residual_blocks_v1(x, 256, blocks[2], name="conv4")
        return stack_residual_blocks_v1(x, 512, blocks[3], name="conv5")
    return stack_fn


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="resnet50"):
    """ResNet50: bottleneck stacks of (3, 4, 6, 3) blocks (see the module)."""
    return ResNet(_v1_stacks((3, 4, 6, 3)), preact=False, use_bias=True,
                  weights_name="resnet50", name=name, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                  pooling=pooling, classes=classes,
                  classifier_activation=classifier_activation)


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name="resnet101"):
    """ResNet101: bottleneck stacks of (3, 4, 23, 3) blocks (see the module)."""
    return ResNet(_v1_stacks((3, 4, 23, 3)), preact=False, use_bias=True,
                  weights_name="resnet101", name=name, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                  pooling=pooling, classes=classes,
                  classifier_activation=classifier_activation)


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name="resnet152"):
    """ResNet152: bottleneck stacks of (3, 8, 36, 3) blocks (see the module)."""
    return ResNet(_v1_stacks((3, 8, 36, 3)), preact=False, use_bias=True,
                  weights_name="resnet152", name=name, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                  pooling=pooling, classes=classes,
                  classifier_activation=classifier_activation)


def preprocess_input(x, data_format=None):
    """``"caffe"`` preprocessing: RGB to BGR, minus the ImageNet means, no scaling."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (see :mod:`imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["ResNet50", "ResNet101", "ResNet152", "preprocess_input", "decode_predictions"]
