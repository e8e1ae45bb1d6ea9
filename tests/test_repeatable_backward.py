"""``backward`` is repeatable: every activation and every layer, called twice on one cache.

A backward that writes into its cache gives the right gradient once and a wrong one
the next time (a tracer replaying a step, a layer shared at two places of a graph).
:func:`kerastutor.gradcheck.assert_backward_repeatable` calls backward twice on one
forward result and compares inputs' and weights' gradients, the cache and the
upstream gradient bit for bit. The tables below are checked against what
``kerastutor.activations`` and ``kerastutor.layers`` export, so a new object that
is not added here fails the completeness tests instead of going unchecked.
(Losses have their own property test in tests/losses/.)
"""
import inspect

import numpy as np
import pytest
from hypothesis import given, settings

import kerastutor as keras
from kerastutor import activations, gradcheck
from kerastutor import layers as L
from strategies import SEEDS

FEW = settings(max_examples=4)        # ~100 objects: a handful of draws each is plenty


def random_input(seed, shape):
    """float64 normal numbers; a list of shapes gives a list of inputs."""
    rng = np.random.default_rng(seed)
    if isinstance(shape, list):
        return [rng.standard_normal(s) for s in shape]
    return rng.standard_normal(shape)


# ------------------------------------------------------------------------- activations
def activation_objects():
    """Every activation ``get`` knows, as the object layers use (one per class)."""
    found = {}
    for name in activations._known_names():
        try:
            obj = activations.get(name)
        except (TypeError, ValueError):            # needs arguments (threshold)
            continue
        if isinstance(obj, activations.ActivationFunction):
            found.setdefault(type(obj), obj)
    return found



def activation_cases():
    cases = {type(obj).__name__: obj for obj in activation_objects().values()}
    cases["Threshold"] = activations.Threshold(threshold=0.5, default_value=-1.0)
    return cases


ACTIVATION_CASES = activation_cases()


def test_every_activation_class_is_covered():
    classes = {cls.__name__ for cls in vars(activations).values()
               if inspect.isclass(cls) and issubclass(cls, activations.ActivationFunction)
               and cls is not activations.ActivationFunction}
    missing = classes - set(ACTIVATION_CASES) - {"CustomActivation"}
    assert not missing, f"add these activations to the repeatable-backward test: {missing}"


@pytest.mark.parametrize("name", sorted(ACTIVATION_CASES))
@FEW
@given(seed=SEEDS)
def test_activation_backward_is_repeatable(name, seed):
    x = random_input(seed, (3, 4))
    gradcheck.assert_backward_repeatable(ACTIVATION_CASES[name], x, seed=seed)


# ------------------------------------------------------------------------------ layers
# name -> (make the layer, input shape(s), training). Shapes stay tiny: the property is
# about aliasing, not size.
SEQ, IMG, VOL = (2, 6, 3), (2, 5, 5, 3), (1, 4, 4, 4, 2)
LAYER_CASES = {
    "Dense": (lambda: L.Dense(3, activation="tanh"), (2, 4), False),
    "Activation": (lambda: L.Activation("sigmoid"), (2, 4), False),
    "ActivityRegularization": (lambda: L.ActivityRegularization(l1=0.1, l2=0.1), (2, 4),
                               False),
    "Add": (L.Add, [(2, 4), (2, 4)], False),
    "Subtract": (L.Subtract, [(2, 4), (2, 4)], False),
    "Multiply": (L.Multiply, [(2, 4), (2, 4)], False),
    "Average": (L.Average, [(2, 4), (2, 4)], False),
    "Maximum": (L.Maximum, [(2, 4), (2, 4)], False),
    "Minimum": (L.Minimum, [(2, 4), (2, 4)], False),
    "Concatenate": (L.Concatenate, [(2, 3), (2, 4)], False),
    "Dot": (lambda: L.Dot(axes=1), [(2, 4), (2, 4)], False),
    "Attention": (L.Attention, [(2, 3, 4), (2, 5, 4)], False),
    "AdditiveAttention": (L.AdditiveAttention, [(2, 3, 4), (2, 5, 4)], False),
    "MultiHeadAttention": (lambda: L.MultiHeadAttention(num_heads=2, key_dim=3),
                           [(2, 3, 4), (2, 5, 4)], False),
    "Dropout": (lambda: L.Dropout(0.3), (2, 4), True),
    "AlphaDropout": (lambda: L.AlphaDropout(0.3), (2, 4), True),
    "GaussianDropout": (lambda: L.GaussianDropout(0.3), (2, 4), True),
    "GaussianNoise": (lambda: L.GaussianNoise(0.3), (2, 4), True),
    "SpatialDropout1D": (lambda: L.SpatialDropout1D(0.3), SEQ, True),
    "SpatialDropout2D": (lambda: L.SpatialDropout2D(0.3), IMG, True),
    "SpatialDropout3D": (lambda: L.SpatialDropout3D(0.3), VOL, True),
    "AveragePooling1D": (L.AveragePooling1D, SEQ, False),
    "AveragePooling2D": (L.AveragePooling2D, IMG, False),
    "AveragePooling3D": (L.AveragePooling3D, VOL, False),
    "MaxPooling1D": (L.MaxPooling1D, SEQ, False),
    "MaxPooling2D": (L.MaxPooling2D, IMG, False),
    "MaxPooling3D": (L.MaxPooling3D, VOL, False),
    "GlobalAveragePooling1D": (L.GlobalAveragePooling1D, SEQ, False),
    "GlobalAveragePooling2D": (L.GlobalAveragePooling2D, IMG, False),
    "GlobalAveragePooling3D": (L.GlobalAveragePooling3D, VOL, False),
    "GlobalMaxPooling1D": (L.GlobalMaxPooling1D, SEQ, False),
    "GlobalMaxPooling2D": (L.GlobalMaxPooling2D, IMG, False),
    "GlobalMaxPooling3D": (L.GlobalMaxPooling3D, VOL, False),
    "BatchNormalization": (L.BatchNormalization, (4, 3), True),
    "GroupNormalization": (lambda: L.GroupNormalization(groups=2), (2, 3, 4), False),
    "LayerNormalization": (L.LayerNormalization, (2, 4), False),
    "UnitNormalization": (L.UnitNormalization, (2, 4), False),
    "RMSNormalization": (L.RMSNormalization, (2, 4), False),
    "Identity": (L.Identity, (2, 4), False),
    "EinsumDense": (lambda: L.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de",
                                          activation="tanh"), SEQ, False),
    "AdaptiveAveragePooling1D": (lambda: L.AdaptiveAveragePooling1D(3), SEQ, False),
    "AdaptiveAveragePooling2D": (lambda: L.AdaptiveAveragePooling2D((2, 3)), IMG, False),
    "AdaptiveAveragePooling3D": (lambda: L.AdaptiveAveragePooling3D(2), VOL, False),
    "AdaptiveMaxPooling1D": (lambda: L.AdaptiveMaxPooling1D(3), SEQ, False),
    "AdaptiveMaxPooling2D": (lambda: L.AdaptiveMaxPooling2D((3, 2)), IMG, False),
    "AdaptiveMaxPooling3D": (lambda: L.AdaptiveMaxPooling3D(2), VOL, False),
    "Conv1D": (lambda: L.Conv1D(2, 3), SEQ, False),
    "Conv2D": (lambda: L.Conv2D(2, 3), IMG, False),
    "Conv3D": (lambda: L.Conv3D(2, 2), VOL, False),
    "Conv1DTranspose": (lambda: L.Conv1DTranspose(2, 3, strides=2), SEQ, False),
    "Conv2DTranspose": (lambda: L.Conv2DTranspose(2, 3, strides=2), IMG, False),
    "Conv3DTranspose": (lambda: L.Conv3DTranspose(2, 2), VOL, False),
    "DepthwiseConv1D": (lambda: L.DepthwiseConv1D(3), SEQ, False),
    "DepthwiseConv2D": (lambda: L.DepthwiseConv2D(3), IMG, False),
    "SeparableConv1D": (lambda: L.SeparableConv1D(2, 3), SEQ, False),
    "SeparableConv2D": (lambda: L.SeparableConv2D(2, 3), IMG, False),
    "Cropping1D": (lambda: L.Cropping1D(1), SEQ, False),
    "Cropping2D": (lambda: L.Cropping2D(1), IMG, False),
    "Cropping3D": (lambda: L.Cropping3D(1), VOL, False),
    "ZeroPadding1D": (lambda: L.ZeroPadding1D(1), SEQ, False),
    "ZeroPadding2D": (lambda: L.ZeroPadding2D(1), IMG, False),
    "ZeroPadding3D": (lambda: L.ZeroPadding3D(1), VOL, False),
    "UpSampling1D": (lambda: L.UpSampling1D(2), SEQ, False),
    "UpSampling2D": (lambda: L.UpSampling2D(2), IMG, False),
    "UpSampling3D": (lambda: L.UpSampling3D(2), VOL, False),
    "ELU": (L.ELU, (2, 4), False),
    "LeakyReLU": (L.LeakyReLU, (2, 4), False),
    "PReLU": (L.PReLU, (2, 4), False),
    "ReLU": (lambda: L.ReLU(max_value=1.0), (2, 4), False),
    "Softmax": (L.Softmax, (2, 4), False),
    "Flatten": (L.Flatten, (2, 3, 4), False),
    "Permute": (lambda: L.Permute((2, 1)), (2, 3, 4), False),
    "RepeatVector": (lambda: L.RepeatVector(3), (2, 4), False),
    "Reshape": (lambda: L.Reshape((4, 3)), (2, 12), False),
    "Masking": (L.Masking, (2, 3, 4), False),
    "Lambda": (lambda: L.Lambda(lambda v: v * v), (2, 4), False),
    "SimpleRNN": (lambda: L.SimpleRNN(3, return_sequences=True), SEQ, False),
    "LSTM": (lambda: L.LSTM(3, return_sequences=True), SEQ, False),
    "GRU": (lambda: L.GRU(3), SEQ, False),
    "RNN": (lambda: L.RNN(L.SimpleRNNCell(3)), SEQ, False),
    "SimpleRNNCell": (lambda: L.RNN(L.SimpleRNNCell(3), return_sequences=True), SEQ, False),
    "LSTMCell": (lambda: L.RNN(L.LSTMCell(3)), SEQ, False),
    "GRUCell": (lambda: L.RNN(L.GRUCell(3), return_sequences=True), SEQ, False),
    "StackedRNNCells": (lambda: L.RNN(L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2)])),
                        SEQ, False),
    "Bidirectional": (lambda: L.Bidirectional(L.LSTM(3)), SEQ, False),
    "TimeDistributed": (lambda: L.TimeDistributed(L.Dense(3)), SEQ, False),
    # image preprocessing: differentiable in the image; the random ones draw in training
    "Normalization": (lambda: L.Normalization(mean=0.5, variance=2.0), IMG, False),
    "Rescaling": (lambda: L.Rescaling(1 / 255, offset=0.5), IMG, False),
    "Resizing": (lambda: L.Resizing(3, 4), IMG, False),
    "CenterCrop": (lambda: L.CenterCrop(3, 4), IMG, False),
    "RandomCrop": (lambda: L.RandomCrop(3, 4, seed=1), IMG, True),
    "RandomFlip": (lambda: L.RandomFlip(seed=1), IMG, True),
    "RandomRotation": (lambda: L.RandomRotation(0.2, seed=1), IMG, True),
    "RandomZoom": (lambda: L.RandomZoom(0.3, seed=1), IMG, True),
    "RandomTranslation": (lambda: L.RandomTranslation(0.2, 0.2, seed=1), IMG, True),
    "RandomContrast": (lambda: L.RandomContrast(0.5, seed=1), IMG, True),
    "RandomBrightness": (lambda: L.RandomBrightness(0.2, seed=1), IMG, True),
    # image augmentation, geometric and mixing (Q1b)
    "RandomShear": (lambda: L.RandomShear(0.3, 0.3, seed=1), IMG, True),
    "RandomPerspective": (lambda: L.RandomPerspective((1, 1), seed=1), IMG, True),
    "RandomElasticTransform": (lambda: L.RandomElasticTransform((1, 1), seed=1), IMG, True),
    "RandomErasing": (lambda: L.RandomErasing((1, 1), seed=1), IMG, True),
    "MixUp": (lambda: L.MixUp(seed=1), IMG, True),
    "CutMix": (lambda: L.CutMix(seed=1), IMG, True),
    "Pipeline": (lambda: L.Pipeline([L.RandomShear(0.2, seed=1), L.Rescaling(2.0)]), IMG,
                 True),
    "AugMix": (lambda: L.AugMix(value_range=(-3, 3), seed=1), IMG, True),
    "RandAugment": (lambda: L.RandAugment(value_range=(-3, 3), num_ops=3, seed=1), IMG, True),
    # colour augmentation (Q1a); the step-like ones return their a.e. zero derivative
    "RandomGrayscale": (lambda: L.RandomGrayscale(0.5, seed=1), IMG, True),
    "RandomHue": (lambda: L.RandomHue(0.5, value_range=(-3, 3), seed=1), IMG, True),
    "RandomSaturation": (lambda: L.RandomSaturation(0.5, value_range=(0, 1), seed=1), IMG,
                         True),
    "RandomSharpness": (lambda: L.RandomSharpness(0.5, value_range=(-3, 3), seed=1), IMG,
                        True),
    "RandomInvert": (lambda: L.RandomInvert(value_range=(-3, 3), seed=1), IMG, True),
    "RandomPosterization": (lambda: L.RandomPosterization(4, value_range=(-3, 3), seed=1),
                            IMG, True),
    "Solarization": (lambda: L.Solarization(0.2, 0.5, value_range=(-3, 3), seed=1), IMG,
                     True),
    "AutoContrast": (lambda: L.AutoContrast(value_range=(0, 1)), IMG, False),
    "Equalization": (lambda: L.Equalization(value_range=(-3, 3)), IMG, True),
    "RandomColorJitter": (lambda: L.RandomColorJitter((-3, 3), 0.1, 0.2, 0.5, 0.3, seed=1),
                          IMG, True),
    "RandomColorDegeneration": (
        lambda: L.RandomColorDegeneration(0.5, value_range=(-3, 3), seed=1), IMG, True),
    "RandomGaussianBlur": (lambda: L.RandomGaussianBlur(value_range=(-3, 3), seed=1), IMG,
                           True),
}
# Exported layers that have no backward of their own to check, and why.
NOT_CHECKED = {
    "Layer": "the abstract base class",
    "InputLayer": "a placeholder for the model's input; it computes nothing",
    "Embedding": "checked below: its input is integer ids",
    # categorical and text preprocessing: data in, ids out -- not differentiable, no backward
    "CategoryEncoding": "not differentiable: integer ids in, no backward",
    "Discretization": "not differentiable: a step function, no backward",
    "Hashing": "not differentiable: categories in, no backward",
    "StringLookup": "not differentiable: strings in, no backward",
    "IntegerLookup": "not differentiable: categories in, no backward",
    "TextVectorization": "not differentiable: text in, no backward",
}


def test_every_layer_class_is_covered():
    exported = {obj.__name__ for obj in vars(L).values()
                if inspect.isclass(obj) and issubclass(obj, L.Layer)}
    missing = exported - set(LAYER_CASES) - set(NOT_CHECKED)
    assert not missing, f"add these layers to the repeatable-backward test: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
@FEW
@given(seed=SEEDS)
def test_layer_backward_is_repeatable(name, seed):
    make, shape, training = LAYER_CASES[name]
    keras.backend.set_random_seed(seed)
    layer = make()
    x = random_input(seed, shape)
    layer(x)                                     # build it the Keras way
    gradcheck.assert_backward_repeatable(layer, x, training=training, seed=seed)


@FEW
@given(seed=SEEDS)
def test_embedding_backward_is_repeatable(seed):
    layer = L.Embedding(10, 3)
    ids = np.random.default_rng(seed).integers(0, 10, (2, 5))
    layer(ids)
    gradcheck.assert_backward_repeatable(layer, ids, seed=seed)


def test_a_backward_that_writes_into_its_cache_is_caught():
    """The check itself: a layer whose backward scales its cache in place fails it."""

    class Doubling(L.Layer):
        def forward(self, x, training=False):
            return 2 * x, np.ones_like(x)

        def backward(self, cache, grad_out):
            cache *= 2                           # the bug the check exists for
            return grad_out * cache

    layer = Doubling()
    x = random_input(0, (2, 3))
    layer(x)
    with pytest.raises(AssertionError, match="different input gradient"):
        gradcheck.assert_backward_repeatable(layer, x)


# The layers keras.applications defines for its families (not in keras.layers, as in Keras).
from kerastutor.applications import convnext_layers  # noqa: E402
APPLICATION_LAYER_CASES = {
    "LayerScale": (lambda: convnext_layers.LayerScale(0.5, 4), (2, 3, 4), True),
    "StochasticDepth": (lambda: convnext_layers.StochasticDepth(0.3), (2, 3, 4), True),
    "CustomScaleLayer": (lambda: keras.applications.inception_resnet_v2.CustomScaleLayer(0.2),
                         [(2, 3, 4), (2, 3, 4)], False),
}


@pytest.mark.parametrize("name", sorted(APPLICATION_LAYER_CASES))
@FEW
@given(seed=SEEDS)
def test_application_layer_backward_is_repeatable(name, seed):
    make, shape, training = APPLICATION_LAYER_CASES[name]
    keras.backend.set_random_seed(seed)
    layer = make()
    x = random_input(seed, shape)
    layer(x)
    gradcheck.assert_backward_repeatable(layer, x, training=training, seed=seed)
