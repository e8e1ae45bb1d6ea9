"""kerastutor: Keras, written out as a textbook.

``import kerastutor as keras`` gives the Keras 3 API surface; every layer,
loss, optimizer and metric behind it is a short NumPy class with its forward
and backward formulas written next to each other.

Submodules are imported on first use, so ``import kerastutor`` is quick and
``keras.layers``, ``keras.losses``, ... appear the first time you touch them.
"""
import importlib
import sys

from kerastutor import keras2

__version__ = "0.1.0"

#: The Keras release whose API, defaults and numbers kerastutor follows.
KERAS_VERSION = "3.15.1"


def version():
    """``"3.15.1"``: the Keras version kerastutor is compatible with.

    Keras code asks ``keras.version()`` to choose between API generations
    (``if keras.version().startswith("3.")``), so the answer is the Keras
    release whose names, defaults and numbers kerastutor reproduces -- not
    kerastutor's own release number, which is ``kerastutor.__version__``.

    >>> import kerastutor as keras
    >>> keras.version()
    '3.15.1'
    """
    return KERAS_VERSION


_SUBMODULES = (
    "activations", "backend", "callbacks", "constraints", "datasets",
    "gradcheck", "initializers", "layers", "losses", "metrics", "models",
    "optimizers", "regularizers", "saving", "trace", "utils", "ops", "config",
    "preprocessing", "random", "applications", "wrappers", "exercises", "tree",
    "compiled",
)

# Top-level names Keras exports, and the module each lives in.
_TOP_LEVEL = {
    "Sequential": "kerastutor.models",
    "Model": "kerastutor.models",
    "Input": "kerastutor.layers",
    "Layer": "kerastutor.layers",
    "Weight": "kerastutor.weight",
    "Variable": "kerastutor.weight",
    "GradientTape": "kerastutor.tape",
    # The base classes a custom object subclasses (``class MyLoss(keras.Loss)``).
    "Loss": "kerastutor.losses",
    "Metric": "kerastutor.metrics",
    "Optimizer": "kerastutor.optimizers",
    "Initializer": "kerastutor.initializers",
    "Regularizer": "kerastutor.regularizers",
    "InputSpec": "kerastutor.layers",
    "name_scope": "kerastutor.backend",
}


# `from kerastutor.utils.np_utils import ...` (a Keras 2 module path) fails naming the Keras 3 way.
keras2.install_import_hints()

# The model classes register themselves with the layer deserializer when
# kerastutor.models is imported (layers and saving sit below models and never import
# them), so reaching keras.layers or keras.saving imports models too: then
# keras.saving.load_model("m.keras") and keras.layers.deserialize(...) find Sequential.
_BRING_MODELS = ("layers", "saving")


def __getattr__(name):
    if name in _SUBMODULES:
        # Already in sys.modules but not yet an attribute: it is being imported right
        # now (``import kerastutor.layers.base`` from inside it); hand it over as it is.
        importing = f"kerastutor.{name}" in sys.modules
        module = importlib.import_module(f"kerastutor.{name}")
        if name in _BRING_MODELS and not importing:
            importlib.import_module("kerastutor.models")
        return module
    if name in _TOP_LEVEL:
        module = importlib.import_module(_TOP_LEVEL[name])
        attr = "Weight" if name == "Variable" else name
        return getattr(module, attr)
    raise keras2.attribute_error("kerastutor", name)      # a Keras 2 name says what replaced it


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES) + list(_TOP_LEVEL))
