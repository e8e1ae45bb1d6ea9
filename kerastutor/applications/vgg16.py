r"""VGG16 (Simonyan & Zisserman, 2014): depth from nothing but small convolutions.

VGG's one idea is that a stack of :math:`3 \times 3` convolutions can stand in
for a large kernel: two of them see a :math:`5 \times 5` window, three see
:math:`7 \times 7`, with fewer weights (:math:`3 \cdot 9C^2` against
:math:`49C^2`) and a ReLU between each. The network is five *blocks*; block
:math:`b` is :math:`n_b` convolutions of width :math:`w_b` ("same" padding,
ReLU, with bias) followed by a :math:`2 \times 2` max-pool of stride 2 that
halves the image:

.. math::

    w = (64, 128, 256, 512, 512), \qquad n = (2, 2, 3, 3, 3) \text{ (VGG16)}.

A 224-pixel image leaves block 5 as a :math:`7 \times 7 \times 512` map; the
classifier flattens it (25,088 numbers) into two ReLU layers of 4096 units
(``fc1``, ``fc2``) and the ``predictions`` softmax. Those three dense layers
hold 124 of the 138 million weights.

Layer names, order and weight shapes are Keras's (``block1_conv1`` ...
``predictions``), so Keras's ImageNet file loads by position. Inputs are
prepared with ``preprocess_input`` in the ``"caffe"`` way: RGB to BGR, minus
the ImageNet channel means, no scaling.
"""
from kerastutor import backend, layers
from kerastutor.applications import imagenet_utils
from kerastutor.models import Model

WEIGHTS_PATH = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels.h5")
WEIGHTS_PATH_NO_TOP = ("https://storage.googleapis.com/tensorflow/keras-applications/"
                       "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
WEIGHTS_HASH = "64373286793e3c8b2b4e3219cbf3544b"
WEIGHTS_HASH_NO_TOP = "6d6bbae143d832006294945121d1f1fc"

WIDTHS = (64, 128, 256, 512, 512)        # filters of blocks 1..5


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """The VGG16 network (13 convolutions in five blocks, three dense layers).

    ``include_top=False`` stops after ``block5_pool``; ``pooling="avg"`` or
    ``"max"`` then reduces the map to one vector (any other value: no pooling,
    as Keras). ``weights`` is ``"imagenet"`` (Keras's file), ``None`` or a path.
    The default input is ``(224, 224, 3)``, the smallest ``(32, 32, 3)``.
    """
    return build_vgg((2, 2, 3, 3, 3), include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name,
                     files=(("vgg16_weights_tf_dim_ordering_tf_kernels.h5", WEIGHTS_PATH,
                             WEIGHTS_HASH),
                            ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
                             WEIGHTS_PATH_NO_TOP, WEIGHTS_HASH_NO_TOP)))


def build_vgg(depths, include_top, weights, input_tensor, input_shape, pooling, classes,
              classifier_activation, name, files):
    """A VGG of ``depths[b]`` convolutions in block ``b + 1``; ``files`` = (top, notop)
    as ``(file name, origin, md5)``. Shared by VGG16 and VGG19."""
    imagenet_utils.check_arguments(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=backend.image_data_format(),
        require_flatten=include_top, weights=weights)
    image, inputs = imagenet_utils.model_inputs(input_tensor, input_shape)

    x = image
    for block, (width, depth) in enumerate(zip(WIDTHS, depths), start=1):
        for conv in range(1, depth + 1):
            x = layers.Conv2D(width, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)

    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = imagenet_utils.pooling_head(x, pooling)            # automatic names, as Keras

    model = Model(inputs, x, name=name)
    return imagenet_utils.load_top_or_notop(model, weights, include_top, *files)


def preprocess_input(x, data_format=None):
    """``"caffe"`` preprocessing: RGB to BGR, minus the ImageNet means, no scaling."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row (see :mod:`imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)


__all__ = ["VGG16", "preprocess_input", "decode_predictions"]
