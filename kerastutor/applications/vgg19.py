r"""VGG19: VGG16 with a fourth convolution in each of blocks 3, 4 and 5.

The same design as :mod:`~kerastutor.applications.vgg16` -- blocks of
:math:`3 \times 3` "same" ReLU convolutions, each block closed by a
:math:`2 \times 2` max-pool -- with depths :math:`n = (2, 2, 4, 4, 4)`: 16
convolutions and three dense layers, 19 weighted layers, 143.7 million
parameters. Layer names (``block3_conv4``, ...) and order are Keras's;
preprocessing is ``"caffe"`` (BGR, mean-centred, unscaled).
"""
from kerastutor.applications import imagenet_utils
from kerastutor.applications.vgg16 import build_vgg

WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels.h5")
WEIGHTS_PATH_NO_TOP = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                       "vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5")
WEIGHTS_HASH = "cbe5617147190e668d6c5d5026f83318"
WEIGHTS_HASH_NO_TOP = "253f8cb515780f3b799900260a226db6"


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """The VGG19 network (16 convolutions in five blocks, three dense layers).

    Arguments as :func:`~kerastutor.applications.vgg16.VGG16`.
    """
    return build_vgg((2, 2, 4, 4, 4), include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name,
                     files=(("vgg19_weights_tf_dim_ordering_tf_kernels.h5", WEIGHTS_PATH,
                             WEIGHTS_HASH),
                            ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
                             WEIGHTS_PATH_NO_TOP, WEIGHTS_HASH_NO_TOP)))


def preprocess_input(x, data_format=None):
    """``"caffe"`` preprocessing: RGB to BGR, minus the ImageNet means, no scaling."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (see :mod:`imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["VGG19", "preprocess_input", "decode_predictions"]
