"""Helpers of the scikit-learn wrappers: data validation, the model checks, seeding.

Nothing here is public API; :mod:`kerastutor.wrappers.sklearn_wrapper` uses it.

* :func:`validate_data` -- scikit-learn's own input checks (2-D numeric ``X``,
  no NaN, ``n_features_in_`` remembered and compared at predict time).
* :func:`check_compiled` -- the wrapper trains a model the way it was
  compiled and never compiles one for you.
* :func:`seeded` -- runs a block with kerastutor's random generators seeded,
  then puts the caller's random state back: a ``random_state`` of the
  estimator gives reproducible fits without disturbing the rest of the program.
"""
import contextlib
import random

import numpy as np

from kerastutor import backend

try:
    import sklearn
except ImportError:          # a kerastutor dependency, but the wrappers say it clearly
    sklearn = None


def assert_sklearn_installed(symbol_name):
    """Raise Keras's ``ImportError`` when scikit-learn is missing."""
    if sklearn is None:
        raise ImportError(
            f"{symbol_name} requires `scikit-learn` to be installed. "
            "Run `pip install scikit-learn` to install it.")


def validate_data(estimator, *args, **kwargs):
    """``sklearn.utils.validation.validate_data`` (scikit-learn >= 1.6), or the older method."""
    try:
        from sklearn.utils.validation import validate_data as validate
    except ImportError:                                   # scikit-learn < 1.6
        return estimator._validate_data(*args, **kwargs)
    return validate(estimator, *args, **kwargs)


def check_compiled(model):
    """The model must be compiled, with a loss and an optimizer (Keras's message)."""
    if not getattr(model, "compiled", False) or not getattr(model, "optimizer", None) \
            or not _compiled_loss(model):
        raise RuntimeError(
            "Given model needs to be compiled, and have a loss and an optimizer.")


def _compiled_loss(model):
    """The loss ``compile`` was given (kerastutor keeps it in ``_compile_config``)."""
    loss = getattr(model, "loss", None)
    if loss is None:
        loss = getattr(model, "_compile_config", {}).get("loss")
    return loss


def seed_from(random_state, salt=0):
    """An int seed for kerastutor, or ``None`` (leave the global generators alone).

    ``random_state`` follows scikit-learn's convention: ``None`` (no seeding), an
    int (always the same seed), or a ``numpy.random.RandomState`` (a seed is drawn
    from it, so the instance advances). ``salt`` (a warm-started fit's epoch
    count) makes a continued fit draw a fresh but still reproducible stream.
    """
    if random_state is None:
        return None
    if isinstance(random_state, (bool, np.bool_)):
        raise ValueError(
            f"random_state must be None, an int or a numpy RandomState; got {random_state!r}.")
    if isinstance(random_state, (int, np.integer)):
        if random_state < 0:
            raise ValueError(
                f"random_state must be a non-negative int, got {random_state!r}.")
        seed = int(random_state)
    elif isinstance(random_state, np.random.RandomState):
        seed = int(random_state.randint(np.iinfo(np.int32).max))
    else:
        raise ValueError(
            f"random_state must be None, an int or a numpy RandomState; got {random_state!r}.")
    if salt:
        seed = int(np.random.SeedSequence([seed, int(salt)]).generate_state(1)[0])
    return seed


@contextlib.contextmanager
def seeded(seed):
    """Run the block after ``keras.utils.set_random_seed(seed)``; then restore the old state.

    Weight initialisation, dropout masks and ``fit``'s shuffling all draw from
    the generators ``set_random_seed`` resets, so the block is repeatable. The
    caller's generators (Python's ``random``, NumPy's global one, kerastutor's
    and ``keras.random``'s) are put back afterwards, as ``gradcheck`` does.
    ``seed=None`` does nothing: the block draws from the running generators.
    """
    if seed is None:
        yield
        return
    saved = (random.getstate(), np.random.get_state(), backend._RNG, backend._SEED,
             backend._GLOBAL_SEED_GENERATOR)
    backend.set_random_seed(seed)
    try:
        yield
    finally:
        (python_state, numpy_state, backend._RNG, backend._SEED,
         backend._GLOBAL_SEED_GENERATOR) = saved
        random.setstate(python_state)
        np.random.set_state(numpy_state)
