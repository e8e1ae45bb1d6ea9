"""Keras layers, one module per family.

``keras.layers.Dense`` and friends; ``serialize``/``deserialize`` turn a
layer into its Keras config dict and back. Deserialization only ever looks
names up in this package: a file can name a layer class, never run code.
"""

from kerastutor.backend import did_you_mean
from kerastutor.layers.base import InputSpec, KerasTensor, Layer, Node, snake_case
from kerastutor.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from kerastutor.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from kerastutor.layers.conv_transpose import (Conv1DTranspose, Conv2DTranspose,
                                              Conv3DTranspose, Convolution1DTranspose,
                                              Convolution2DTranspose, Convolution3DTranspose)
from kerastutor.layers.convolutional import (Conv1D, Conv2D, Conv3D, Convolution1D,
                                             Convolution2D, Convolution3D)
from kerastutor.layers.core import (Activation, Dense, Dropout, Flatten, Input,
                                    InputLayer, Lambda, Reshape)
from kerastutor.layers.depthwise import (DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D,
                                         SeparableConv2D, SeparableConvolution1D,
                                         SeparableConvolution2D)
from kerastutor.layers.embedding import Embedding, Masking
from kerastutor.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum,
                                       Multiply, Subtract, add, average, concatenate, dot,
                                       maximum, minimum, multiply, subtract)
from kerastutor.layers.normalization import (BatchNormalization, GroupNormalization,
                                             LayerNormalization, UnitNormalization)
from kerastutor.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D,
                                       AvgPool1D, AvgPool2D, AvgPool3D,
                                       GlobalAveragePooling1D, GlobalAveragePooling2D,
                                       GlobalAveragePooling3D, GlobalAvgPool1D,
                                       GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D,
                                       GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D,
                                       GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool1D,
                                       MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D,
                                       MaxPooling3D)
from kerastutor.layers.recurrent import (GRU, LSTM, RNN, GRUCell, LSTMCell, SimpleRNN,
                                         SimpleRNNCell, StackedRNNCells)
from kerastutor.layers.regularization import (ActivityRegularization, AlphaDropout,
                                              GaussianDropout, GaussianNoise,
                                              SpatialDropout1D, SpatialDropout2D,
                                              SpatialDropout3D)
from kerastutor.layers.wrappers import Bidirectional, TimeDistributed
from kerastutor.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, Permute,
                                         RepeatVector, UpSampling1D, UpSampling2D,
                                         UpSampling3D, ZeroPadding1D, ZeroPadding2D,
                                         ZeroPadding3D)

__all__ = [
    # engine and core
    "Layer", "InputSpec", "Input", "InputLayer", "Dense", "Activation", "Dropout",
    "Flatten", "Reshape", "Lambda", "Embedding", "Masking",
    # activation layers
    "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
    # convolution and pooling
    "Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution1DTranspose",
    "Convolution2DTranspose", "Convolution3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D",
    "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
    "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
    "GlobalMaxPooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAveragePooling3D", "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D",
    "AvgPool2D", "AvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
    # reshaping
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
    "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D", "RepeatVector", "Permute",
    # merging
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
    # normalization, regularization, recurrent
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
    "GaussianNoise", "AlphaDropout", "ActivityRegularization",
    "SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell",
    "StackedRNNCells", "Bidirectional", "TimeDistributed",
    # attention
    "Attention", "AdditiveAttention", "MultiHeadAttention",
    # (de)serialization
    "serialize", "deserialize", "get_layer_class"]


def _registry():
    """Every Layer subclass kerastutor defines, by Keras class name."""
    found = {}
    stack = [Layer]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("kerastutor."):
                found.setdefault(sub.__name__, sub)
            stack.append(sub)
    return found


def get_layer_class(class_name, custom_objects=None):
    """Look up a layer class by its Keras name (``"Dense"``), with a hint if unknown."""
    from kerastutor.saving.object_registration import get_registered_object
    if not isinstance(class_name, str):
        raise ValueError(f"A layer config names its class with a string, got {class_name!r}.")
    own = get_registered_object(class_name, custom_objects)
    if own is not None:
        return own
    import kerastutor.models  # noqa: F401  (registers Sequential / Functional)
    registry = _registry()
    registry.setdefault("Functional", registry.get("Model"))
    if class_name not in registry:
        hint = did_you_mean(class_name, sorted(registry))
        raise ValueError(
            f"Unknown layer class {class_name!r}.{hint} If it is your own layer, pass it in "
            f"custom_objects={{{class_name!r}: {class_name}}}.")
    return registry[class_name]


def serialize(layer):
    """``{"module": "keras.layers", "class_name": "Dense", "config": {...}, ...}``."""
    registered = getattr(type(layer), "_registered_name", None)
    return {"module": "keras.layers", "class_name": type(layer).__name__,
            "config": layer.get_config(), "registered_name": registered}


def deserialize(config, custom_objects=None):
    """Rebuild a layer from :func:`serialize`'s dict."""
    from kerastutor.saving.object_registration import get_registered_object
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name' and 'config', got "
                         f"{str(config)[:80]!r}.")
    registered = config.get("registered_name")
    name = registered if isinstance(registered, str) and \
        get_registered_object(registered, custom_objects) is not None else config["class_name"]
    cls = get_layer_class(name, custom_objects)
    inner = config.get("config", {})
    if not isinstance(inner, dict):
        raise ValueError(f"The config of layer class {name!r} must be a dict, got "
                         f"{type(inner).__name__}.")
    inner = dict(inner)
    if hasattr(cls, "from_config"):
        try:
            return cls.from_config(inner, custom_objects=custom_objects)
        except TypeError:
            return cls.from_config(inner)
    return cls(**inner)
