"""``keras.wrappers``: Keras models inside scikit-learn.

:class:`SKLearnClassifier`, :class:`SKLearnRegressor` and
:class:`SKLearnTransformer` make a compiled Keras model (or a function that
builds one) a scikit-learn *estimator*, so it can sit in a ``Pipeline``, be
tuned by ``GridSearchCV`` and scored by ``cross_val_score``. How the
estimator contract maps onto ``Model.fit`` and ``Model.predict`` is explained
in :mod:`kerastutor.wrappers.sklearn_wrapper`.
"""
from kerastutor.wrappers.sklearn_wrapper import (SKLearnClassifier, SKLearnRegressor,
                                                 SKLearnTransformer)
from kerastutor import keras2

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


# A Keras 2 name missing here fails naming its Keras 3 replacement (see kerastutor.keras2).
__getattr__ = keras2.module_getattr(__name__)
