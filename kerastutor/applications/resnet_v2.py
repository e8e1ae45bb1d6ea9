r"""ResNetV2 (He et al., 2016, "Identity Mappings in Deep Residual Networks").

ResNet's block ends ``relu(F(x) + x)``: the ReLU after the sum stands on the
shortcut, so a signal crossing :math:`L` blocks is bent :math:`L` times. V2
moves batch norm and ReLU *in front of* the convolutions (pre-activation) and
leaves the sum bare,

.. math::

    x_{l+1} = x_l + F\big(\operatorname{relu}(\operatorname{bn}(x_l))\big)
    \quad\Longrightarrow\quad
    x_L = x_l + \sum_{i=l}^{L-1} F(\hat x_i),

so any later block sees any earlier one directly, and
:math:`\partial x_L / \partial x_l = I + \dots` in the backward pass. One
batch norm and ReLU after the last block (``post_bn``, ``post_relu``) finish
the features; the stem has no batch norm of its own.

Keras's arrangement, kept here so its weight files fit: each stack's first
block widens (a :math:`1 \times 1` convolution shortcut on the pre-activated
input), and its **last** block downsamples (stride 2 in the
:math:`3 \times 3` convolution, with a :math:`1 \times 1` max-pool of stride 2 on
the shortcut), in stacks ``conv2`` .. ``conv4``. Blocks per stack: ResNet50V2
(3, 4, 6, 3), ResNet101V2 (3, 4, 23, 3), ResNet152V2 (3, 8, 36, 3).
Preprocessing is ``"tf"``: :math:`x / 127.5 - 1`.
"""
from kerastutor.applications import imagenet_utils
from kerastutor.applications.resnet import ResNet, stack_residual_blocks_v2


def _v2_stacks(blocks):
    def stack_fn(x):
        x = stack_residual_blocks_v2(x, 64, blocks[0], name="conv2")
        x = stack_residual_blocks_v2(x, 128, blocks[1], name="conv3")
        x = stack_residual_blocks_v2(x, 256, blocks[2], name="conv4")
        return stack_residual_blocks_v2(x, 512, blocks[3], stride1=1, name="conv5")
    return stack_fn


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
               pooling=None, classes=1000, classifier_activation="softmax",
               name="resnet50v2"):
    """ResNet50V2: pre-activation stacks of (3, 4, 6, 3) blocks (see the module)."""
    return ResNet(_v2_stacks((3, 4, 6, 3)), True, True, name=name,
                  weights_name="resnet50v2", include_top=include_top, weights=weights,
                  input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                  classes=classes, classifier_activation=classifier_activation)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet101v2"):
    """ResNet101V2: pre-activation stacks of (3, 4, 23, 3) blocks (see the module)."""
    return ResNet(_v2_stacks((3, 4, 23, 3)), True, True, name=name,
                  weights_name="resnet101v2", include_top=include_top, weights=weights,
                  input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                  classes=classes, classifier_activation=classifier_activation)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet152v2"):
    """ResNet152V2: pre-activation stacks of (3, 8, 36, 3) blocks (see the module)."""
    return ResNet(_v2_stacks((3, 8, 36, 3)), True, True, name=name,
                  weights_name="resnet152v2", include_top=include_top, weights=weights,
                  input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                  classes=classes, classifier_activation=classifier_activation)


def preprocess_input(x, data_format=None):
    """``"tf"`` preprocessing: pixels in [0, 255] to [-1, 1]."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (see :mod:`imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["ResNet50V2", "ResNet101V2", "ResNet152V2", "preprocess_input",
           "decode_predictions"]
