r"""DenseNet121, DenseNet169, DenseNet201: every layer sees every earlier layer of its block.

Huang et al., *Densely Connected Convolutional Networks* (CVPR 2017).

A ResNet block *adds* its input to its output; a DenseNet block *concatenates*
it. Inside a dense block, layer :math:`\ell` receives the channel-wise
concatenation of the block's input and of every earlier layer's output,

.. math::

    x_\ell = H_\ell\big([x_0, x_1, \dots, x_{\ell-1}]\big),

where :math:`H_\ell` is the "bottleneck" BN-ReLU-Conv(1x1, :math:`4k`)-BN-ReLU-
Conv(3x3, :math:`k`) and :math:`k = 32` is the **growth rate**: each layer adds
only :math:`k` new channels, so a block that starts with :math:`c_0` channels
and has :math:`L` layers ends with :math:`c_0 + Lk`. Features are reused
instead of relearned, which keeps the networks narrow (8 million parameters
for DenseNet121 against ResNet50's 25 million).

Between blocks a **transition** halves both the channels and the resolution:
BN-ReLU-Conv(1x1, :math:`\lfloor c/2 \rfloor`)-AveragePool(2x2, stride 2).

The whole network: a 7x7/2 convolution stem and a 3x3/2 max-pool (224 -> 56),
four dense blocks separated by three transitions (56 -> 28 -> 14 -> 7), a final
BN-ReLU, and global average pooling into the classifier. The three members
differ only in the number of layers per block:

=============  ================  ==============
model          layers per block  parameters
=============  ================  ==============
DenseNet121    6, 12, 24, 16     8,062,504
DenseNet169    6, 12, 32, 32     14,307,880
DenseNet201    6, 12, 48, 32     20,242,984
=============  ================  ==============

Layer names are Keras's (``conv2_block1_0_bn`` ... ``pool2_conv`` ... ``bn``,
``relu``), so Keras's ``.h5`` weight files load by position. Inputs are
preprocessed in ``"torch"`` mode: :math:`(x/255 - \mu_c)/\sigma_c` with
ImageNet's RGB statistics. Only ``channels_last`` is supported, as in Keras.
"""
from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils
from kerastutor.models import Model

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"

# blocks per member -> (file name, md5) with and without the classifier
WEIGHT_FILES = {
    (6, 12, 24, 16): {
        True: ("densenet121_weights_tf_dim_ordering_tf_kernels.h5",
               "9d60b8095a5708f2dcce2bca79d332c7"),
        False: ("densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "30ee3e1110167f948a6b9946edeeb738"),
    },
    (6, 12, 32, 32): {
        True: ("densenet169_weights_tf_dim_ordering_tf_kernels.h5",
               "d699b8f76981ab1b30698df4c175e90b"),
        False: ("densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "b8c4d4c20dd625c148057b9ff1c1176b"),
    },
    (6, 12, 48, 32): {
        True: ("densenet201_weights_tf_dim_ordering_tf_kernels.h5",
               "1ceb130c1ea1b78c3bf6114dbdfd8807"),
        False: ("densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5",
                "c13680b51ded0fb44dff2d8f86ac8bb1"),
    },
}

BN_EPSILON = 1.001e-5
GROWTH_RATE = 32


def _batch_norm(name):
    return layers.BatchNormalization(axis=3, epsilon=BN_EPSILON, name=name)


def conv_block(x, growth_rate, name):
    """One dense layer: BN-ReLU-Conv1x1(4k)-BN-ReLU-Conv3x3(k), then ``[x, new]``."""
    y = _batch_norm(f"{name}_0_bn")(x)
    y = layers.Activation("relu", name=f"{name}_0_relu")(y)
    y = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(y)
    y = _batch_norm(f"{name}_1_bn")(y)
    y = layers.Activation("relu", name=f"{name}_1_relu")(y)
    y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False,
                      name=f"{name}_2_conv")(y)
    return layers.Concatenate(axis=3, name=f"{name}_concat")([x, y])   # c -> c + k


def dense_block(x, blocks, name):
    """``blocks`` dense layers in a row: the channels grow by 32 per layer."""
    for i in range(blocks):
        x = conv_block(x, GROWTH_RATE, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """BN-ReLU-Conv1x1(``reduction`` x channels)-AvgPool2x2/2: fewer channels, half the size."""
    x = _batch_norm(f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[3] * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def _check_arguments(weights, include_top, classes):
    """Keras's DenseNet/NASNet checks, with their own messages (not imagenet_utils' ones)."""
    if backend.image_data_format() == "channels_first":
        raise ValueError(
            "DenseNet does not support the `channels_first` image data format. Switch to "
            "`channels_last` by editing your local config file at ~/.keras/keras.json")
    _check_weights_and_classes(weights, include_top, classes)


def _check_weights_and_classes(weights, include_top, classes):
    imagenet_utils.check_weights_and_classes(
        weights, include_top, classes,
        weights_message="The `weights` argument should be either `None` (random "
                        "initialization), `imagenet` (pre-training on ImageNet), or the path "
                        "to the weights file to be loaded.",
        classes_message='If using `weights` as `"imagenet"` with `include_top` as true, '
                        "`classes` should be 1000")


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None,
             input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
             name="densenet"):
    """A DenseNet with ``blocks`` (four integers) dense layers per block (see the module)."""
    _check_arguments(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    img_input, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _batch_norm("conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)

    for stage, count in enumerate(blocks):
        x = dense_block(x, count, name=f"conv{stage + 2}")
        if stage < len(blocks) - 1:
            x = transition_block(x, 0.5, name=f"pool{stage + 2}")

    x = _batch_norm("bn")(x)
    x = layers.Activation("relu", name="relu")(x)

    x = imagenet_utils.classifier_or_pooling(x, include_top, pooling, classes,
                                             classifier_activation, weights,
                                             pool_names=("avg_pool", "max_pool"))

    model = Model(inputs, x, name=name)
    if weights == "imagenet":
        files = WEIGHT_FILES.get(tuple(blocks))
        if files is None:
            raise ValueError("weights_path undefined")
        file_name, file_hash = files[bool(include_top)]
        return imagenet_utils.load_weights(model, weights, file_name,
                                           BASE_WEIGHTS_PATH + file_name, file_hash)
    return imagenet_utils.load_weights(model, weights, None, None)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet121"):
    """DenseNet121: 6, 12, 24, 16 dense layers; 8,062,504 parameters at 224x224."""
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet169"):
    """DenseNet169: 6, 12, 32, 32 dense layers; 14,307,880 parameters at 224x224."""
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet201"):
    """DenseNet201: 6, 12, 48, 32 dense layers; 20,242,984 parameters at 224x224."""
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape,
                    pooling, classes, classifier_activation, name=name)


def preprocess_input(x, data_format=None):
    r"""DenseNet's ``"torch"`` preprocessing: :math:`(x/255 - \mu_c)/\sigma_c` per RGB channel."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes per row (see :func:`imagenet_utils.decode_predictions`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "preprocess_input",
           "decode_predictions"]
