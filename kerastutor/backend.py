"""Global settings every other module reads: dtype, epsilon, randomness.

Keras keeps a handful of process-wide settings (``keras.config``):

* ``floatx()`` -- the float dtype new weights and cast inputs get
  (``"float32"`` by default, as in Keras);
* ``epsilon()`` -- the small constant that keeps divisions and logs finite
  (``1e-7``);
* ``image_data_format()`` -- ``"channels_last"``.

kerastutor adds one more: the random generator. Every random draw in the
library (initializers, dropout masks, shuffling) comes from :func:`rng`, so
``keras.utils.set_random_seed(s)`` makes a whole run repeatable bit for bit.

``xp`` is the array namespace layer code computes with: NumPy, always. On a
GPU the *arrays* change, not the code: after ``set_device("cuda")`` weights
and batches are :class:`kerastutor.gpu.array.DeviceArray` objects, and NumPy
hands every function called on one to the GPU module (NumPy's
``__array_ufunc__``/``__array_function__`` protocols). ``set_device("emulated")``
runs the same path with each kernel's NumPy twin, for testing without a GPU.
"""
import contextlib
import difflib
import os
import random
import re
import sys

import numpy as np

from kerastutor import keras2, registry

xp = np

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_RNG = np.random.default_rng()
_SEED = None
_GLOBAL_SEED_GENERATOR = None    # keras.random's generator for seed=None (kerastutor.random)

_ALLOWED_FLOATX = ("float16", "float32", "float64")


def floatx():
    """The default float dtype as a string, e.g. ``"float32"``."""
    return _FLOATX


def set_floatx(value):
    """Set the default float dtype (``"float16"``, ``"float32"`` or ``"float64"``)."""
    global _FLOATX
    value = str(np.dtype(value)) if not isinstance(value, str) else value
    if value not in _ALLOWED_FLOATX:
        raise ValueError(
            f"set_floatx: unknown dtype {value!r}; expected one of {_ALLOWED_FLOATX}.")
    _FLOATX = value


def epsilon():
    """The fuzz factor used in numeric expressions (``1e-7``)."""
    return _EPSILON


def set_epsilon(value):
    """Set the fuzz factor returned by :func:`epsilon`."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """``"channels_last"``: images are ``(batch, height, width, channels)``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(value):
    """Set the image layout (``"channels_last"`` or ``"channels_first"``)."""
    global _IMAGE_DATA_FORMAT
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "set_image_data_format: expected 'channels_last' or 'channels_first', "
            f"got {value!r}.")
    _IMAGE_DATA_FORMAT = value


def cast_to_floatx(x):
    """Return ``x`` as a NumPy array of dtype :func:`floatx` (no copy if it already is)."""
    return np.asarray(x, dtype=_FLOATX)


def rng():
    """The library-wide random generator (a ``numpy.random.Generator``)."""
    return _RNG


def set_random_seed(seed):
    """Seed Python's ``random``, NumPy's global RNG and kerastutor's generator.

    After this call every random choice kerastutor makes (weight
    initialization, dropout masks, the shuffling in ``fit``) is repeatable.
    As in Keras it also forgets ``keras.random``'s global ``SeedGenerator``:
    the next unseeded ``keras.random`` draw makes a new one from Python's
    ``random``, so unseeded draws repeat after re-seeding.
    """
    global _RNG, _SEED, _GLOBAL_SEED_GENERATOR
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"set_random_seed: seed must be a non-negative integer, got {seed!r}.")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    _RNG = np.random.default_rng(seed)
    _SEED = seed
    _GLOBAL_SEED_GENERATOR = None      # keras.random remakes it from Python's random


def random_seed():
    """The seed given to the last :func:`set_random_seed` call (``None`` if never)."""
    return _SEED


def make_rng(seed=None):
    """A generator for an object that was given its own ``seed``.

    Keras objects such as ``Dropout(seed=3)`` or ``GlorotUniform(seed=3)``
    draw from a private generator when given a seed, and from the global one
    otherwise.
    """
    return _RNG if seed is None else np.random.default_rng(seed)


# ---------------------------------------------------------------- the device
_DEVICES = ("cpu", "cuda", "emulated")
_DEVICE = "cpu"


def set_device(name):
    """Where new weights and batches live: ``"cpu"`` (NumPy, the default), ``"cuda"``
    (the first GPU, through :mod:`kerastutor.gpu`) or ``"emulated"`` (the GPU code path
    with every kernel replaced by its NumPy twin -- slow; for tests and for reading).

    Call it before building a model: weights stay where they were created. The
    environment variable ``KERASTUTOR_DEVICE`` sets it at import time.
    """
    global _DEVICE
    if name not in _DEVICES:
        raise ValueError(f"set_device: unknown device {name!r}; expected one of "
                         f"{_DEVICES}.{did_you_mean(name, _DEVICES)}")
    if name != "cpu":
        if name not in _RUNTIMES:            # one per process: arrays keep their addresses
            _RUNTIMES[name] = _make_runtime(name)
        _gpu_arrays().use_runtime(_RUNTIMES[name])
    _DEVICE = name


_RUNTIMES = {}


# The GPU package is imported inside these functions, on first use of a device, not at
# the top: a CPU-only run never loads it (ctypes, CUDA lookups), and is_device_array
# relies on that to answer without importing it.
def _gpu_arrays():
    from kerastutor.gpu import array
    return array


def _make_runtime(name):
    if name == "emulated":
        from kerastutor.gpu.emulator import EmulatedRuntime     # see _gpu_arrays
        return EmulatedRuntime()
    from kerastutor.gpu import available                        # see _gpu_arrays
    from kerastutor.gpu.runtime import CudaRuntime
    ok, reason = available()
    if not ok:
        raise RuntimeError(f"set_device('cuda'): {reason}. Hint: set_device('emulated') runs "
                           f"the GPU code path on the CPU.")
    return CudaRuntime()


def get_device():
    """The device set by :func:`set_device`: ``"cpu"``, ``"cuda"`` or ``"emulated"``."""
    return _DEVICE


def is_device_array(value):
    """Whether ``value`` lives on a GPU (a :class:`kerastutor.gpu.array.DeviceArray`).

    Before any device is used the GPU module is not even imported, and nothing can be one.
    """
    array = sys.modules.get("kerastutor.gpu.array")
    return array is not None and isinstance(value, array.DeviceArray)


def to_device(value):
    """``value`` on the current device: unchanged on the CPU; uploaded once on a GPU
    (float64 and other values the GPU cannot hold exactly stay in NumPy)."""
    if _DEVICE == "cpu" or is_device_array(value):
        return value
    return _gpu_arrays().to_device(value)


def to_host(value):
    """A NumPy array for ``value``, wherever it lives."""
    if is_device_array(value):
        return _gpu_arrays().to_host(value)
    return value


def asarray(value, dtype=None):
    """``np.asarray`` that leaves device arrays on their device (cast on the device if
    ``dtype`` is given)."""
    if is_device_array(value):
        return value if dtype is None or value.dtype == np.dtype(dtype) \
            else value.astype(dtype)
    return np.asarray(value, dtype=dtype)


def zeros(shape, dtype=None):
    """``np.zeros`` made on the current device (a GPU fills it in place: nothing is copied)."""
    dtype = np.dtype(dtype or _FLOATX)
    if _DEVICE == "cpu" or (dtype.kind == "f" and dtype.itemsize != 4):
        return np.zeros(shape, dtype=dtype)
    return _gpu_arrays().zeros(shape, dtype)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_user(message, category=UserWarning):
    """``warnings.warn``, pointing at the first line outside kerastutor: the user's.

    A warning about the user's data or file is most useful at the line that
    called kerastutor, however deep inside the library it was noticed (a load
    runs through the isolated HDF5 reader, a stream through its adapter), so
    the stack is walked out of the package instead of counting a fixed depth.
    """
    import warnings
    frame, depth = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, depth = frame.f_back, depth + 1
    warnings.warn(message, category, stacklevel=depth + 1)


def snake_case(name):
    """``BatchNormalization`` -> ``batch_normalization`` (Keras's naming rule).

    A digit does not start a new word, so ``Conv2D`` -> ``conv2d`` and
    ``ReLU`` -> ``re_lu``, exactly as Keras names them.
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def did_you_mean(name, known):
    """`` Did you mean 'relu'?`` when ``known`` holds a close match of ``name``, else ``""``.

    Every lookup by name (activations, losses, optimizers, ...) ends its
    error message with this, so a typo gets its fix.
    """
    close = difflib.get_close_matches(str(name), list(known), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


_SHAPES_ONLY = []     # non-empty inside ``with shapes_only():``


@contextlib.contextmanager
def shapes_only():
    """Build models without their numbers: every new weight is a read-only array of zeros
    that takes no memory (``np.broadcast_to``), so its shape is known but nothing is stored.

    For counting parameters of models too large to materialise (ConvNeXtXLarge has
    350 million): ``with shapes_only(): model = ConvNeXtXLarge(weights=None)``, then
    ``model.count_params()``. Such a model cannot be trained or called on data.
    """
    _SHAPES_ONLY.append(True)
    try:
        yield
    finally:
        _SHAPES_ONLY.pop()


def building_shapes_only():
    """True inside :func:`shapes_only`."""
    return bool(_SHAPES_ONLY)


_NAME_COUNTS = {}


def unique_name(base):
    """Keras-style automatic names: ``dense``, ``dense_1``, ``dense_2``, ..."""
    count = _NAME_COUNTS.get(base, 0)
    _NAME_COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def clear_session():
    """Forget automatic names (the next Dense is ``dense`` again) and empty the custom-object scope.

    As in Keras, objects registered with ``register_keras_serializable`` stay;
    ``keras.random``'s global ``SeedGenerator`` is forgotten (Keras clears it with
    the rest of its global state).
    """
    global _GLOBAL_SEED_GENERATOR
    _GLOBAL_SEED_GENERATOR = None
    _NAME_COUNTS.clear()
    registry.clear_scope()


if os.environ.get("KERASTUTOR_DEVICE", "cpu") != "cpu":
    set_device(os.environ["KERASTUTOR_DEVICE"])


# A Keras 2 name missing here fails naming its Keras 3 replacement (see kerastutor.keras2).
__getattr__ = keras2.module_getattr(__name__)
