r"""``keras.applications``: Keras's ImageNet models, built from kerastutor's layers.

Each family is a module (``keras.applications.vgg16``, ``.resnet``, ...) with its
constructors, its ``preprocess_input`` and ``decode_predictions``; the
constructors are also reachable here (``keras.applications.VGG16``). They are
plain functions returning functional models with Keras's layer names and order,
so Keras's own weight files load into them (:mod:`imagenet_utils`).
"""
from kerastutor.applications import imagenet_utils  # noqa: F401

__all__ = []
