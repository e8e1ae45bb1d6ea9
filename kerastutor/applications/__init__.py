r"""``keras.applications``: Keras's ImageNet models, built from kerastutor's layers.

Each family is a module (``keras.applications.vgg16``, ``.resnet``, ...) with its
constructors, its ``preprocess_input`` and ``decode_predictions``; the
constructors are also reachable here (``keras.applications.VGG16``). They are
plain functions returning functional models with Keras's layer names, order and
weight shapes, so Keras's own ImageNet weight files load into them
(:mod:`~kerastutor.applications.imagenet_utils`).

=========================  ===============================================================
family                     what it teaches
=========================  ===============================================================
``vgg16``, ``vgg19``       stacks of 3x3 convolutions, then dense layers
``resnet``, ``resnet_v2``  residual blocks: learn :math:`F(x)` and output :math:`x + F(x)`
``inception_v3``           parallel branches of different kernel sizes, concatenated
``inception_resnet_v2``    inception branches inside scaled residual blocks
``xception``               depthwise separable convolutions with residuals
``mobilenet``, ``_v2``     depthwise separable convs; inverted residual bottlenecks
``mobilenet_v3``           searched blocks, hard-swish, squeeze-and-excitation
``densenet``               every layer reads all earlier feature maps (concatenation)
``nasnet``                 cells found by architecture search
``efficientnet``, ``_v2``  compound scaling of depth, width and resolution
``convnext``               a ResNet modernised: 7x7 depthwise convs, LayerNorm, GELU
=========================  ===============================================================
"""
from kerastutor.applications import (convnext, densenet, efficientnet,  # noqa: F401
                                     efficientnet_v2, imagenet_utils, inception_resnet_v2,
                                     inception_v3, mobilenet, mobilenet_v2, mobilenet_v3,
                                     nasnet, resnet, resnet50, resnet_v2, vgg16, vgg19,
                                     xception)
from kerastutor.applications.convnext import (ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall,
                                              ConvNeXtTiny, ConvNeXtXLarge)
from kerastutor.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from kerastutor.applications.efficientnet import (EfficientNetB0, EfficientNetB1,
                                                  EfficientNetB2, EfficientNetB3,
                                                  EfficientNetB4, EfficientNetB5,
                                                  EfficientNetB6, EfficientNetB7)
from kerastutor.applications.efficientnet_v2 import (EfficientNetV2B0, EfficientNetV2B1,
                                                     EfficientNetV2B2, EfficientNetV2B3,
                                                     EfficientNetV2L, EfficientNetV2M,
                                                     EfficientNetV2S)
from kerastutor.applications.inception_resnet_v2 import InceptionResNetV2
from kerastutor.applications.inception_v3 import InceptionV3
from kerastutor.applications.mobilenet import MobileNet
from kerastutor.applications.mobilenet_v2 import MobileNetV2
from kerastutor.applications.mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from kerastutor.applications.nasnet import NASNetLarge, NASNetMobile
from kerastutor.applications.resnet import ResNet50, ResNet101, ResNet152
from kerastutor.applications.resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from kerastutor.applications.vgg16 import VGG16
from kerastutor.applications.vgg19 import VGG19
from kerastutor.applications.xception import Xception

__all__ = [
    "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtSmall", "ConvNeXtTiny", "ConvNeXtXLarge",
    "DenseNet121", "DenseNet169", "DenseNet201",
    "EfficientNetB0", "EfficientNetB1", "EfficientNetB2", "EfficientNetB3", "EfficientNetB4",
    "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3",
    "EfficientNetV2L", "EfficientNetV2M", "EfficientNetV2S",
    "InceptionResNetV2", "InceptionV3", "MobileNet", "MobileNetV2", "MobileNetV3Large",
    "MobileNetV3Small", "NASNetLarge", "NASNetMobile", "ResNet101", "ResNet101V2",
    "ResNet152", "ResNet152V2", "ResNet50", "ResNet50V2", "VGG16", "VGG19", "Xception",
]
