"""Keras layers, one module per family.

``keras.layers.Dense`` and friends; ``serialize``/``deserialize`` turn a
layer into its Keras config dict and back (:mod:`.serialization`).
Deserialization only ever looks names up: a file can name a layer class,
never run code.
"""

from kerastutor import keras2
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
from kerastutor.layers.rms_normalization import RMSNormalization
from kerastutor.layers.identity import Identity
from kerastutor.layers.einsum_dense import EinsumDense
from kerastutor.layers.adaptive_pooling import (AdaptiveAveragePooling1D,
                                                AdaptiveAveragePooling2D,
                                                AdaptiveAveragePooling3D, AdaptiveMaxPooling1D,
                                                AdaptiveMaxPooling2D, AdaptiveMaxPooling3D)
from kerastutor.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D,
                                       AvgPool1D, AvgPool2D, AvgPool3D,
                                       GlobalAveragePooling1D, GlobalAveragePooling2D,
                                       GlobalAveragePooling3D, GlobalAvgPool1D,
                                       GlobalAvgPool2D, GlobalAvgPool3D, GlobalMaxPool1D,
                                       GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D,
                                       GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool1D,
                                       MaxPool2D, MaxPool3D, MaxPooling1D, MaxPooling2D,
                                       MaxPooling3D)
from kerastutor.layers.gru import GRU, GRUCell
from kerastutor.layers.lstm import LSTM, LSTMCell
from kerastutor.layers.rnn import RNN, StackedRNNCells
from kerastutor.layers.simple_rnn import SimpleRNN, SimpleRNNCell
from kerastutor.layers.regularization import (ActivityRegularization, AlphaDropout,
                                              GaussianDropout, GaussianNoise,
                                              SpatialDropout1D, SpatialDropout2D,
                                              SpatialDropout3D)
from kerastutor.layers.wrappers import Bidirectional, TimeDistributed
from kerastutor.layers.serialization import deserialize, get_layer_class, serialize
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
    "RMSNormalization", "Identity", "EinsumDense",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
    "GaussianNoise", "AlphaDropout", "ActivityRegularization",
    "SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell",
    "StackedRNNCells", "Bidirectional", "TimeDistributed",
    # attention
    "Attention", "AdditiveAttention", "MultiHeadAttention",
    # (de)serialization
    "serialize", "deserialize", "get_layer_class"]

# Preprocessing layers for images (issue 15, P3).
from kerastutor.layers.preprocessing.center_crop import CenterCrop
from kerastutor.layers.preprocessing.normalization import Normalization
from kerastutor.layers.preprocessing.random_brightness import RandomBrightness
from kerastutor.layers.preprocessing.random_contrast import RandomContrast
from kerastutor.layers.preprocessing.random_crop import RandomCrop
from kerastutor.layers.preprocessing.random_flip import RandomFlip
from kerastutor.layers.preprocessing.random_rotation import RandomRotation
from kerastutor.layers.preprocessing.random_translation import RandomTranslation
from kerastutor.layers.preprocessing.random_zoom import RandomZoom
from kerastutor.layers.preprocessing.rescaling import Rescaling
from kerastutor.layers.preprocessing.resizing import Resizing

__all__ += [
    # image preprocessing
    "Normalization", "Rescaling", "Resizing", "CenterCrop", "RandomCrop", "RandomFlip",
    "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
    "RandomBrightness"]

# Colour augmentation layers (issue 15, Q1a).
from kerastutor.layers.preprocessing.auto_contrast import AutoContrast
from kerastutor.layers.preprocessing.equalization import Equalization
from kerastutor.layers.preprocessing.random_color_degeneration import \
    RandomColorDegeneration
from kerastutor.layers.preprocessing.random_color_jitter import RandomColorJitter
from kerastutor.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur
from kerastutor.layers.preprocessing.random_grayscale import RandomGrayscale
from kerastutor.layers.preprocessing.random_hue import RandomHue
from kerastutor.layers.preprocessing.random_invert import RandomInvert
from kerastutor.layers.preprocessing.random_posterization import RandomPosterization
from kerastutor.layers.preprocessing.random_saturation import RandomSaturation
from kerastutor.layers.preprocessing.random_sharpness import RandomSharpness
from kerastutor.layers.preprocessing.solarization import Solarization
__all__ += ["RandomGrayscale", "RandomHue", "RandomSaturation", "RandomSharpness",
            "RandomInvert", "RandomPosterization", "Solarization", "AutoContrast",
            "Equalization", "RandomColorJitter", "RandomColorDegeneration",
            "RandomGaussianBlur"]

# image augmentation, geometric and mixing (issue 15, Q1b)
from kerastutor.layers.preprocessing.cut_mix import CutMix
from kerastutor.layers.preprocessing.mix_up import MixUp
from kerastutor.layers.preprocessing.pipeline import Pipeline
from kerastutor.layers.preprocessing.random_elastic_transform import RandomElasticTransform
from kerastutor.layers.preprocessing.random_erasing import RandomErasing
from kerastutor.layers.preprocessing.random_perspective import RandomPerspective
from kerastutor.layers.preprocessing.random_shear import RandomShear
from kerastutor.layers.preprocessing.aug_mix import AugMix
from kerastutor.layers.preprocessing.rand_augment import RandAugment
__all__ += ["RandomShear", "RandomPerspective", "RandomElasticTransform", "RandomErasing",
            "MixUp", "CutMix", "Pipeline", "AugMix", "RandAugment"]

# preprocessing: categories and text (not differentiable: they map data to ids)
from kerastutor.layers.preprocessing.category_encoding import CategoryEncoding
from kerastutor.layers.preprocessing.discretization import Discretization
from kerastutor.layers.preprocessing.hashing import Hashing
from kerastutor.layers.preprocessing.integer_lookup import IntegerLookup
from kerastutor.layers.preprocessing.string_lookup import StringLookup
from kerastutor.layers.preprocessing.text_vectorization import TextVectorization
__all__ += ["CategoryEncoding", "Discretization", "Hashing", "IntegerLookup", "StringLookup",
            "TextVectorization"]


# A Keras 2 name missing here fails naming its Keras 3 replacement (see kerastutor.keras2).
__getattr__ = keras2.module_getattr(__name__)
