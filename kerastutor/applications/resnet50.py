"""``keras.applications.resnet50``: ResNet50 alone, with its preprocessing.

The very same objects as in :mod:`~kerastutor.applications.resnet` (as in
Keras, where ``resnet50.ResNet50 is resnet.ResNet50``); the architecture is
described there.
"""
from kerastutor.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "preprocess_input", "decode_predictions"]
