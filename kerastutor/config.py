"""``keras.config``: the settings that hold for the whole program.

Keras 3 gathers its process-wide switches here; kerastutor has the same
names, with Keras 3.15.1's defaults:

=====================================  ===================  ======================================
setting                                default              what it changes
=====================================  ===================  ======================================
``floatx()`` / ``set_floatx``          ``"float32"``        the dtype of weights and cast inputs
``epsilon()`` / ``set_epsilon``        ``1e-7``             the fuzz factor in divisions and logs
``image_data_format()`` / ``set_...``  ``"channels_last"``  image layout
``dtype_policy()`` / ``set_...``       ``floatx()``         the dtype *new layers* use
``max_epochs()`` / ``set_...``         ``None``             caps ``epochs`` in every ``fit``
``max_steps_per_epoch()`` / ``set_``   ``None``             caps batches per epoch (fit, ...)
``is_interactive_logging_enabled()``   ``True``             progress bar (off: one line per epoch)
``is_tutor_hints_enabled()``           ``True``             kerastutor's hints during ``fit``
``backend()``                          ``"numpy"``          (kerastutor computes with NumPy only)
=====================================  ===================  ======================================

The first three live in :mod:`kerastutor.backend` and are re-exported. As in
Keras, the environment variables ``KERAS_MAX_EPOCHS`` and
``KERAS_MAX_STEPS_PER_EPOCH`` set the caps when kerastutor is imported (handy
to run a long script quickly), and ``KERASTUTOR_HINTS=0`` switches the
tutor's hints off.

**The tutor's hints.** During an ordinary ``model.fit`` kerastutor watches
three numbers it has anyway -- the first batch's inputs, each step's loss,
and whether the weights moved in the first epoch -- and prints one short
line (a :class:`~kerastutor.trace.watch.TutorHintWarning`) the first time
something looks wrong, naming the cause and the fix::

    kerastutor hint: x reaches 255 (RMS 146) -- far from the usual -1..1. Fix:
    divide by 255 ...

``keras.config.disable_tutor_hints()`` silences them. The full tracer
(:mod:`kerastutor.trace`) is separate and always opt-in.

**Settings kept for compatibility.** Flash attention, traceback filtering,
NNX and unsafe deserialization are recorded and reported back, but change
nothing here: kerastutor's attention has a single NumPy path, its tracebacks
are never filtered (every frame is a page of the book), it does not use
JAX, and it never runs a lambda's bytecode from a file, whatever the
setting.

Example
-------
>>> import kerastutor as keras
>>> keras.config.floatx(), keras.config.backend(), keras.config.dtype_policy()
('float32', 'numpy', <DTypePolicy "float32">)
>>> keras.config.disable_tutor_hints()
>>> keras.config.is_tutor_hints_enabled()
False
>>> keras.config.enable_tutor_hints()
"""
import os

import numpy as np

from kerastutor import backend as _backend
from kerastutor.backend import (epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                                set_image_data_format)

_BACKEND_NAME = "numpy"
_DTYPE_POLICY = None              # None: follow floatx()
_MAX_EPOCHS = None
_MAX_STEPS_PER_EPOCH = None
_INTERACTIVE_LOGGING = True
_TUTOR_HINTS = True
_TRACEBACK_FILTERING = True
_FLASH_ATTENTION = None           # Keras: None means "enabled where the hardware allows"
_SAFE_MODE = True


# ================================================================ the backend
def backend():
    """The name of the backend: ``"numpy"`` (Keras 3 has a NumPy backend too)."""
    return _BACKEND_NAME


def set_backend(backend):
    """Keras reloads itself with another backend; kerastutor has one, ``"numpy"``.

    ``set_backend("numpy")`` is accepted and changes nothing; any other name
    raises a ``ValueError`` that says where to go instead.
    """
    if backend == _BACKEND_NAME:
        return
    raise ValueError(
        f"set_backend: kerastutor computes with NumPy only (backend 'numpy'), so it cannot "
        f"switch to {backend!r}. To run on a GPU, call keras.backend.set_device('cuda') "
        "before building the model. To run your code on Keras itself with "
        f"{backend!r}, set the environment variable KERAS_BACKEND={backend} and "
        "`import keras` instead of kerastutor.")


def is_nnx_enabled():
    """``False``: Flax NNX is a JAX feature; kerastutor does not use JAX."""
    return False


# ================================================================ dtype policy
_FLOAT_POLICIES = ("float16", "float32", "float64")


class DTypePolicy:
    """The dtype a layer computes in and keeps its weights in.

    Keras separates the two (``"mixed_float16"`` computes in float16 and keeps
    float32 weights); kerastutor computes in one dtype, so both are ``name``.
    """

    def __init__(self, name=None):
        self.name = _checked_policy_name(floatx() if name is None else name)

    @property
    def compute_dtype(self):
        return self.name

    @property
    def variable_dtype(self):
        return self.name

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(("DTypePolicy", self.name))

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


def _checked_policy_name(name):
    if not isinstance(name, str):
        raise ValueError(f"DTypePolicy: expected a dtype name such as 'float32', got "
                         f"{name!r} (of type {type(name).__name__}).")
    if name.startswith("mixed_"):
        raise ValueError(
            f"Cannot use the dtype policy {name!r}: kerastutor computes each layer in one "
            "dtype, so it has no mixed-precision policies. Use 'float16' to compute and "
            "store in half precision, or keep 'float32'.")
    if name not in _FLOAT_POLICIES:
        raise ValueError(
            f"Cannot convert {name!r} to a DTypePolicy. Valid policies are the names of the "
            f"float dtypes NumPy computes in: {', '.join(_FLOAT_POLICIES)}."
            + _backend.did_you_mean(name, _FLOAT_POLICIES))
    return name


def dtype_policy():
    """The policy new layers get when none is given: :func:`floatx` until you set one."""
    return _DTYPE_POLICY if _DTYPE_POLICY is not None else DTypePolicy(floatx())


def set_dtype_policy(policy):
    """Make layers created from now on compute and keep their weights in ``policy``.

    ``policy`` is a name (``"float64"``) or a :class:`DTypePolicy`. Unlike
    :func:`set_floatx`, this leaves ``floatx()`` (the dtype inputs are cast
    to) alone -- as in Keras.
    """
    global _DTYPE_POLICY
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError("Invalid `policy` argument. Expected the string name of a policy "
                         "(such as 'float64') or a `DTypePolicy` instance. Received: "
                         f"policy={policy!r} (of type {type(policy).__name__}). To go back to "
                         "the default, call set_dtype_policy(keras.config.floatx()).")
    _DTYPE_POLICY = policy


# ================================================================ caps for quick runs
def _checked_cap(what, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"set_{what}: expected a positive integer, or None for no limit; got "
                         f"{value!r}.")
    return int(value)


def max_epochs():
    """The cap on ``epochs`` in every ``fit`` (``None``: no cap)."""
    return _MAX_EPOCHS


def set_max_epochs(max_epochs):
    """Cap the epochs of every ``fit`` (``None`` removes the cap); for quick debug runs.

    ``fit(epochs=100)`` then runs ``max_epochs`` epochs and warns
    ``"Limiting epochs to N"``, as Keras does.
    """
    global _MAX_EPOCHS
    _MAX_EPOCHS = _checked_cap("max_epochs", max_epochs)


def max_steps_per_epoch():
    """The cap on the batches of each epoch of fit/evaluate/predict (``None``: no cap)."""
    return _MAX_STEPS_PER_EPOCH


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the batches of each epoch of fit, evaluate and predict (``None``: no cap).

    A smaller ``steps_per_epoch``/``steps`` given to the call itself wins;
    Keras warns ``"Limiting steps_per_epoch to N"`` when the cap applies.
    """
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = _checked_cap("max_steps_per_epoch", max_steps_per_epoch)


# ================================================================ what gets printed
def enable_interactive_logging():
    """Show fit/evaluate/predict progress as a bar redrawn in place (the default)."""
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


def disable_interactive_logging():
    """No redrawn bar: ``verbose=1`` (and ``"auto"``) print one plain line per epoch.

    Keras sends its output to ``absl`` logging instead; kerastutor has no
    logging backend, so it prints what ``verbose=2`` prints -- a line a log
    file can keep, with no ``\\r`` or colour codes.
    """
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


def is_interactive_logging_enabled():
    """Whether progress is shown as a redrawn bar (``True`` by default)."""
    return _INTERACTIVE_LOGGING


def enable_tutor_hints():
    """Let ``fit`` print a one-line hint when its cheap checks see a problem (the default)."""
    global _TUTOR_HINTS
    _TUTOR_HINTS = True


def disable_tutor_hints():
    """Silence the hints ``fit`` prints (the tracer's ``trace.hints()`` still answers)."""
    global _TUTOR_HINTS
    _TUTOR_HINTS = False


def is_tutor_hints_enabled():
    """Whether ``fit`` runs its cheap checks and prints hints (``True`` unless switched off
    or ``KERASTUTOR_HINTS=0`` was set when kerastutor was imported)."""
    return _TUTOR_HINTS


# ================================================================ kept for compatibility
def enable_traceback_filtering():
    """Recorded only: kerastutor never filters tracebacks (every frame is readable code)."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = True


def disable_traceback_filtering():
    """Recorded only: kerastutor's tracebacks always show every frame."""
    global _TRACEBACK_FILTERING
    _TRACEBACK_FILTERING = False


def is_traceback_filtering_enabled():
    """The recorded setting (``True`` by default, as in Keras); it filters nothing here."""
    return _TRACEBACK_FILTERING


def enable_flash_attention():
    """Recorded only: kerastutor's attention has one NumPy path, with the same numbers."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = None


def disable_flash_attention():
    """Recorded only (see :func:`enable_flash_attention`)."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = False


def is_flash_attention_enabled():
    """``None`` (Keras's "use it where possible") or ``False`` once disabled."""
    return _FLASH_ATTENTION


def enable_unsafe_deserialization():
    """Keras then loads lambdas stored in ``.keras`` files; kerastutor records the switch
    but still never executes code read from a file -- register the function instead
    (``@keras.saving.register_keras_serializable()``)."""
    global _SAFE_MODE
    _SAFE_MODE = False


# ================================================================ the environment
def _env_cap(name):
    value = os.environ.get(name)
    if value in (None, ""):
        return None
    try:
        return _checked_cap(name.lower(), int(value))
    except ValueError:
        raise ValueError(f"The environment variable {name}={value!r} must be a positive "
                         "integer (or unset).") from None


_MAX_EPOCHS = _env_cap("KERAS_MAX_EPOCHS")
_MAX_STEPS_PER_EPOCH = _env_cap("KERAS_MAX_STEPS_PER_EPOCH")
_TUTOR_HINTS = os.environ.get("KERASTUTOR_HINTS", "1").strip().lower() not in (
    "0", "false", "off", "no")

__all__ = ["backend", "disable_flash_attention", "disable_interactive_logging",
           "disable_traceback_filtering", "dtype_policy", "enable_flash_attention",
           "enable_interactive_logging", "enable_traceback_filtering",
           "enable_unsafe_deserialization", "epsilon", "floatx", "image_data_format",
           "is_flash_attention_enabled", "is_interactive_logging_enabled", "is_nnx_enabled",
           "is_traceback_filtering_enabled", "max_epochs", "max_steps_per_epoch",
           "set_backend", "set_dtype_policy", "set_epsilon", "set_floatx",
           "set_image_data_format", "set_max_epochs", "set_max_steps_per_epoch",
           "enable_tutor_hints", "disable_tutor_hints", "is_tutor_hints_enabled",
           "DTypePolicy"]
