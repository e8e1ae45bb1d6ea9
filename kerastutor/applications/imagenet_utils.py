r"""What every ``keras.applications`` model shares: ImageNet preprocessing, class names,
the constructor's rules, and Keras's pretrained weight files.

Three ways of feeding an ImageNet network its pixels (``mode``), each undoing
what the network saw in training:

* ``"caffe"`` (VGG, ResNet): RGB to **BGR**, then subtract the ImageNet mean
  of each channel, :math:`x_c - \mu_c` with :math:`\mu = (103.939, 116.779, 123.68)`
  (B, G, R); no scaling;
* ``"tf"`` (Inception, Xception, MobileNet, NASNet, ResNetV2):
  :math:`x / 127.5 - 1`, into :math:`[-1, 1]`;
* ``"torch"`` (DenseNet): :math:`(x / 255 - \mu_c) / \sigma_c` with
  :math:`\mu = (0.485, 0.456, 0.406)`, :math:`\sigma = (0.229, 0.224, 0.225)` (RGB).

Unlike Keras, :func:`preprocess_input` never writes into the caller's array
(Keras's NumPy path does, in place; for ``"caffe"`` it even leaves BGR-centred
values in RGB positions of the caller's image).

Pretrained weights are Keras's own files -- the same names, the same md5
hashes, the same cache (``~/.keras/models``, ``$KERAS_HOME`` overrides) -- in
the legacy ``.h5`` layout, read **by position among the layers that have
weights**, as Keras reads them.
"""
import json
import os
import warnings

import numpy as np

from kerastutor import backend
from kerastutor.utils import file_utils

CLASS_INDEX_ORIGIN = ("https://storage.googleapis.com/download.tensorflow.org/data/"
                      "imagenet_class_index.json")
CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"
CLASS_INDEX = None           # {"0": ["n01440764", "tench"], ...}, read once

CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
TORCH_MEAN_RGB = (0.485, 0.456, 0.406)
TORCH_STD_RGB = (0.229, 0.224, 0.225)

PRETRAINED_ACTIVATIONS = (None, "softmax")


# ======================================================================== preprocessing
def preprocess_input(x, data_format=None, mode="caffe"):
    r"""Pixels in ``[0, 255]`` (RGB) to what an ImageNet network expects (see the module).

    ``x`` is one image or a batch, ``channels_last`` unless ``data_format``
    says otherwise. Returns a new float array (``floatx()`` for integer input);
    the caller's array is left as it was.
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError("Expected mode to be one of `caffe`, `tf` or `torch`. "
                         f"Received: mode={mode}")
    data_format = _data_format(data_format)
    x = np.asarray(x)
    x = x.astype(backend.floatx()) if x.dtype.kind != "f" else x.copy()
    channel_axis = -1 if data_format == "channels_last" else (0 if x.ndim == 3 else 1)
    if mode == "tf":
        return x / 127.5 - 1.0                                   # [0, 255] -> [-1, 1]
    if mode == "torch":
        return (x / 255.0 - _along(TORCH_MEAN_RGB, x, channel_axis)) \
            / _along(TORCH_STD_RGB, x, channel_axis)
    bgr = np.flip(x, axis=channel_axis)                          # caffe: RGB -> BGR
    return bgr - _along(CAFFE_MEAN_BGR, x, channel_axis)


def _along(values, x, axis):
    """``values`` (one per channel) shaped to broadcast along ``x``'s channel ``axis``."""
    shape = [1] * x.ndim
    shape[axis] = len(values)
    return np.asarray(values, dtype=x.dtype).reshape(shape)


def _data_format(data_format):
    value = backend.image_data_format() if data_format is None else data_format
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"preprocess_input: `data_format` must be 'channels_last' or "
                         f"'channels_first'; received data_format={data_format!r}.")
    return value


# ======================================================================== class names
def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each row: ``[(wordnet_id, name, score), ...]``.

    ``preds`` is a batch of 1000 class scores. The names come from Keras's
    ``imagenet_class_index.json``, downloaded once into ``~/.keras/models``
    (a kind error says where to put it on a machine without network).
    """
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
            f"(samples, 1000)). Received array with shape: {preds.shape}")
    index = _class_index()
    results = []
    for row in preds:
        best = row.argsort()[-top:][::-1]                        # as Keras: ties -> higher index
        entries = [tuple(index[str(i)]) + (row[i],) for i in best]
        entries.sort(key=lambda entry: entry[2], reverse=True)   # stable, as Keras
        results.append(entries)
    return results


def _class_index():
    global CLASS_INDEX
    if CLASS_INDEX is None:
        path = file_utils.get_file("imagenet_class_index.json", CLASS_INDEX_ORIGIN,
                                   cache_subdir="models", file_hash=CLASS_INDEX_MD5)
        with open(path, encoding="utf-8") as handle:
            CLASS_INDEX = json.load(handle)
    return CLASS_INDEX


# ======================================================================== constructor rules
def check_arguments(weights, include_top, classes):
    """Keras's checks of ``weights`` and ``classes``, with its messages."""
    if not (weights in ("imagenet", None) or (isinstance(weights, (str, os.PathLike))
                                              and os.path.exists(weights))):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded.  Received: weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` "
                         f"should be 1000.  Received classes={classes}")


def check_weights_and_classes(weights, include_top, classes, weights_message,
                              classes_message):
    """Keras's two first checks, with the family's own wording (each family words them
    differently); ``{weights}``/``{classes}`` in the messages are filled in."""
    if not (weights in ("imagenet", None) or (isinstance(weights, (str, os.PathLike))
                                              and os.path.exists(weights))):
        raise ValueError(weights_message.format(weights=weights))
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(classes_message.format(classes=classes))


def validate_activation(classifier_activation, weights):
    """With pretrained weights the classifier must end in ``softmax`` (or give logits)."""
    if weights is None:
        return
    name = getattr(classifier_activation, "__name__", classifier_activation)
    if classifier_activation not in PRETRAINED_ACTIVATIONS and name != "softmax":
        raise ValueError(
            "Only `None` and `softmax` activations are allowed for the "
            "`classifier_activation` argument when using pretrained weights, with "
            f"`include_top=True`; Received: classifier_activation={classifier_activation}")


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """The model's input shape (no batch axis) from the user's ``input_shape``, Keras's rules.

    ``require_flatten`` is ``include_top``: a classifier head needs a fixed size.
    """
    channels_first = data_format == "channels_first"
    default = (3, default_size, default_size) if channels_first else \
        (default_size, default_size, 3)
    imagenet = weights == "imagenet"
    if imagenet and require_flatten and input_shape is not None:
        if tuple(input_shape) != default:
            raise ValueError(
                "When setting `include_top=True` and loading `imagenet` weights, "
                f"`input_shape` should be {default}.  Received: input_shape={input_shape}")
        return default
    if input_shape is None:
        shape = default if require_flatten else \
            ((3, None, None) if channels_first else (None, None, 3))
    else:
        shape = tuple(input_shape)
        if len(shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels = shape[0] if channels_first else shape[-1]
        spatial = shape[1:] if channels_first else shape[:2]
        if imagenet and channels != 3:
            raise ValueError(f"The input must have 3 channels; Received "
                             f"`input_shape={input_shape}`")
        if channels not in (1, 3, None):
            warnings.warn("This model usually expects 1 or 3 input channels. However, it "
                          f"was passed an input_shape with {channels} input channels.",
                          stacklevel=3)
        if any(d is not None and d < min_size for d in spatial):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; "
                             f"Received: input_shape={input_shape}")
    if require_flatten and None in shape:
        raise ValueError("If `include_top` is True, you should specify a static "
                         f"`input_shape`. Received: input_shape={shape}")
    return shape


def model_inputs(input_tensor, input_shape):
    """``(image_input, model_inputs)``: a new ``Input`` of ``input_shape``, or the user's tensor."""
    from kerastutor.layers import Input
    from kerastutor.layers.base import KerasTensor
    from kerastutor.utils.layer_utils import get_source_inputs
    if input_tensor is None:
        image = Input(shape=input_shape)
        return image, image
    if not isinstance(input_tensor, KerasTensor):
        raise ValueError(
            f"`input_tensor` must be a Keras tensor (the output of keras.Input or of a layer "
            f"called on one); received {type(input_tensor).__name__}. Fix: pass "
            f"input_tensor=keras.Input(shape=...) or leave it None and use input_shape.")
    return input_tensor, get_source_inputs(input_tensor)


def correct_pad(inputs, kernel_size):
    """``ZeroPadding2D`` widths ``((top, bottom), (left, right))`` that make a stride-2
    ``"valid"`` convolution act like TensorFlow's ``"same"`` one.

    TensorFlow's "same" puts the odd pixel of padding at the bottom/right; for a
    ``k``-wide kernel that is ``(k//2 - 1, k//2)`` on an even size and
    ``(k//2, k//2)`` on an odd one (an unknown size counts as even).
    """
    first = 2 if backend.image_data_format() == "channels_first" else 1
    size = inputs.shape[first:first + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


# ======================================================================== the model's end
def pooling_head(x, pooling, names=(None, None)):
    """``include_top=False``: global average or max pooling, or (any other value) none.

    ``names`` = (average, max) layer names; Keras names them in some families
    (``avg_pool``, ``max_pool``) and leaves them automatic in others.
    """
    from kerastutor import layers
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=names[0])(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=names[1])(x)
    return x


def classifier_or_pooling(x, include_top, pooling, classes, classifier_activation, weights,
                          pool_names=(None, None), top_pool_name="avg_pool", dropout_rate=0,
                          dense_initializer="glorot_uniform"):
    """The usual end of an ImageNet network, Keras's layer names.

    With ``include_top``: global average pooling (named ``top_pool_name``), a
    Dropout ``top_dropout`` when ``dropout_rate > 0`` (EfficientNets), and the
    ``classes``-way Dense ``predictions``. Without: :func:`pooling_head` with
    ``pool_names``.
    """
    from kerastutor import layers
    if not include_top:
        return pooling_head(x, pooling, pool_names)
    x = layers.GlobalAveragePooling2D(name=top_pool_name)(x)
    if dropout_rate > 0:
        x = layers.Dropout(dropout_rate, name="top_dropout")(x)
    validate_activation(classifier_activation, weights)
    return layers.Dense(classes, activation=classifier_activation,
                        kernel_initializer=dense_initializer, name="predictions")(x)


# ======================================================================== weights
def load_top_or_notop(model, weights, include_top, top, notop):
    """:func:`load_weights` with Keras's file with the classifier (``top``) or without
    it (``notop``), each given as ``(file name, origin, md5)``."""
    file_name, origin, file_hash = top if include_top else notop
    return load_weights(model, weights, file_name, origin, file_hash)


def load_weights_named_after(model, name, weights, include_top, base_path, hashes, key):
    """:func:`load_weights` where Keras names the file after the model's ``name``:
    ``{name}.h5`` or ``{name}_notop.h5`` under ``base_path``, with md5
    ``hashes[key]`` = (top, notop) (EfficientNet, EfficientNetV2, ConvNeXt)."""
    if weights != "imagenet":
        return load_weights(model, weights, None, None)        # a path, or None
    file_name = name + (".h5" if include_top else "_notop.h5")
    file_hash = hashes[key][0 if include_top else 1]
    return load_weights(model, weights, file_name, base_path + file_name, file_hash)


def load_weights(model, weights, file_name, origin, file_hash=None):
    """Give ``model`` its weights: Keras's ImageNet file, or the user's file, or none.

    ``weights="imagenet"``: ``file_name`` from the cache ``~/.keras/models``
    (downloaded from ``origin`` if absent and the network allows; its md5 checked
    when ``file_hash`` is given). The file is a legacy ``.h5`` read by position
    among the layers with weights, as Keras reads it.
    """
    if weights is None:
        return model
    if weights == "imagenet":
        try:
            weights = file_utils.get_file(file_name, origin, cache_subdir="models",
                                          file_hash=file_hash)
        except file_utils.DownloadError as error:
            raise file_utils.DownloadError(
                f"{model.name}: weights='imagenet' needs Keras's file {file_name!r}. "
                f"{error} Or build the model with weights=None, or pass "
                "weights='/path/to/the/file.h5'.") from None
    model.load_weights(weights)
    return model


__all__ = ["preprocess_input", "decode_predictions"]
