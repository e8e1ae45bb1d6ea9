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
import functools
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
    """Forget automatic names (the next Dense is ``dense`` again, :func:`get_uid` counts from 1)
    and empty the custom-object scope.

    As in Keras, objects registered with ``register_keras_serializable`` stay;
    ``keras.random``'s global ``SeedGenerator`` is forgotten (Keras clears it with
    the rest of its global state).
    """
    global _GLOBAL_SEED_GENERATOR
    _GLOBAL_SEED_GENERATOR = None
    _NAME_COUNTS.clear()
    _UIDS.clear()
    registry.clear_scope()


_UIDS = {}


def get_uid(prefix=""):
    """Count calls per ``prefix``: 1 the first time, then 2, 3, ... (``keras.backend.get_uid``).

    Code written for Keras uses it to number objects it names itself.
    :func:`clear_session` starts every count again, as in Keras.

    >>> from kerastutor import backend
    >>> backend.clear_session()
    >>> backend.get_uid("block"), backend.get_uid("block"), backend.get_uid("head")
    (1, 2, 1)
    """
    _UIDS[prefix] = _UIDS.get(prefix, 0) + 1
    return _UIDS[prefix]


# ======================================================================= the backend
def backend():
    """``"numpy"``: the name of the backend kerastutor computes with.

    Keras 3 runs on TensorFlow, JAX, PyTorch or NumPy and answers with the one
    it loaded. kerastutor's every layer is written in NumPy, so ``"numpy"`` is
    the true answer -- and Keras code that branches on it
    (``if keras.backend.backend() == "tensorflow": ...``) takes the branch it
    would take on Keras's own NumPy backend. (A GPU run changes the *arrays*,
    not the backend: see :func:`set_device`.)

    >>> from kerastutor import backend
    >>> backend.backend()
    'numpy'
    """
    return "numpy"


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor: what ``keras.Input(...)`` and layer calls on it return.

    A Keras tensor has a shape and a dtype but no numbers; it records how a
    functional model is wired (:class:`kerastutor.layers.base.KerasTensor`).

    >>> import numpy as np
    >>> import kerastutor as keras
    >>> keras.backend.is_keras_tensor(keras.Input(shape=(3,)))
    True
    >>> keras.backend.is_keras_tensor(np.zeros(3))
    False
    """
    # The class lives in the layers chapter, which sits above this module and is not
    # imported from here; if it has never been imported, no Keras tensor can exist.
    layers_base = sys.modules.get("kerastutor.layers.base")
    return layers_base is not None and isinstance(x, layers_base.KerasTensor)


# ======================================================================= dtypes
#: Every dtype name Keras 3.15.1 accepts (``standardize_dtype`` returns one of these).
ALLOWED_DTYPES = (
    "float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8",
    "int16", "int32", "int64", "bfloat16", "bool", "string", "float8_e4m3fn",
    "float8_e5m2", "complex64", "complex128",
)

#: Python's own types, as Keras (on every backend but TensorFlow) names them.
PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string",
                 complex: "complex64", "int": "int32"}


def standardize_dtype(dtype):
    """The Keras name of a dtype given any way: ``None``, a string, a NumPy dtype, a type.

    * ``None`` -> :func:`floatx` (``"float32"``);
    * Python types -> ``bool``, ``int32``, ``float32``, ``string``, ``complex64``;
    * NumPy dtypes and scalar types -> their name (``np.float64`` -> ``"float64"``);
    * torch / JAX dtypes -> the name after the last dot (``torch.float16`` -> ``"float16"``).

    Anything not in :data:`ALLOWED_DTYPES` raises ``ValueError("Invalid dtype: ...")``,
    Keras's message.

    >>> import numpy as np
    >>> from kerastutor import backend
    >>> backend.standardize_dtype(None), backend.standardize_dtype(int)
    ('float32', 'int32')
    >>> backend.standardize_dtype(np.dtype("uint8")), backend.standardize_dtype(np.float64)
    ('uint8', 'float64')
    """
    if dtype is None:
        return floatx()
    name = PYTHON_DTYPES.get(dtype, dtype) if _hashable(dtype) else dtype
    if hasattr(name, "name"):                   # np.dtype("float32")
        name = name.name
    elif hasattr(name, "__name__"):             # np.float32
        name = name.__name__
    elif "torch" in str(name) or "jax.numpy" in str(name):
        name = str(name).split(".")[-1]         # torch.float16 -> "float16"
    if name not in ALLOWED_DTYPES:
        raise ValueError(f"Invalid dtype: {name}")
    return name


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def is_float_dtype(dtype):
    """Whether ``dtype`` is a floating-point type (``float16/32/64``, ``bfloat16``, float8).

    >>> from kerastutor import backend
    >>> backend.is_float_dtype("float16"), backend.is_float_dtype(int)
    (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith("float") or name.startswith("bfloat")


def is_int_dtype(dtype):
    """Whether ``dtype`` is a signed or unsigned integer type (``bool`` is not).

    >>> from kerastutor import backend
    >>> backend.is_int_dtype("uint8"), backend.is_int_dtype("bool")
    (True, False)
    """
    name = standardize_dtype(dtype)
    return name.startswith("int") or name.startswith("uint")


# Keras's type-promotion lattice (taken by Keras from JAX): each dtype points to the
# dtypes just above it. "int" and "float" are the *weak* types of Python scalars: they
# adapt to whatever they meet, so 2 * an int8 array stays int8.
_PROMOTES_TO = {
    "bool": ["int"],
    "uint8": ["int16", "uint16"], "uint16": ["int32", "uint32"],
    "uint32": ["int64", "uint64"], "uint64": ["float"],
    "int": ["uint8", "int8", "complex64"],
    "int8": ["int16"], "int16": ["int32"], "int32": ["int64"], "int64": ["float"],
    "float": ["bfloat16", "float16"],
    "bfloat16": ["float32"], "float16": ["float32"],
    "float32": ["float64", "complex64"], "float64": ["complex128"],
    "complex64": ["complex128"], "complex128": [],
}


def _everything_above(dtype):
    """``dtype`` and every dtype reachable upwards from it in the lattice."""
    above, frontier = {dtype}, [dtype]
    while frontier:
        for higher in _PROMOTES_TO[frontier.pop()]:
            if higher not in above:
                above.add(higher)
                frontier.append(higher)
    return above


_ABOVE = {dtype: _everything_above(dtype) for dtype in _PROMOTES_TO}

# Keras (off TensorFlow) follows JAX and computes in 32 bits: a 64-bit result is narrowed.
_NARROWED = {"int64": "int32", "uint64": "uint32", "float64": "float32",
             "complex128": "complex64"}


def _least_upper_bound(dtypes):
    """The lowest dtype that every one of ``dtypes`` promotes to."""
    common = set.intersection(*(_ABOVE[d] for d in dtypes))
    lowest = [c for c in common if common <= _ABOVE[c]]
    if not lowest:
        raise ValueError(
            f"Input dtypes {tuple(dtypes)} have no available implicit dtype promotion path. "
            "Try explicitly casting inputs to the desired output type.")
    return lowest[0]


def _weak(name):
    """The weak type of a Python scalar's dtype: ``float32`` -> ``float``, ``int32`` -> ``int``."""
    for kind in ("float", "int", "complex"):
        if kind in name:
            return kind
    return name


def _join(dtypes):
    """The lowest dtype on the lattice above all of ``dtypes``, and whether it is weak.

    ``int`` and ``float`` (the types themselves) stand for Python scalars and are
    weak; every other argument is read with :func:`standardize_dtype`. The answer
    is weak only when the scalars decide it (``int`` with a ``bool`` array, or
    scalars alone): it then still needs a bit width, which each caller picks.
    """
    if any(d in ("float8_e4m3fn", "float8_e5m2") for d in dtypes if isinstance(d, str)):
        raise ValueError("There is no implicit conversions from float8 dtypes to others. "
                         f"You must cast it internally. Received: {dtypes}")
    weak = [d is int or d is float for d in dtypes]
    names = [standardize_dtype(d) for d in dtypes]
    if len(names) == 1:
        return names[0], weak[0]
    if len(set(names)) == 1 and not all(weak):
        return names[0], False
    if all(weak):                               # only Python scalars: int + float -> float
        return _least_upper_bound(set(names)), True
    out = _least_upper_bound({_weak(n) if w else n for n, w in zip(names, weak)})
    return out, out in ("int", "float")


def result_type(*dtypes):
    """The dtype Keras gives the result of an operation on arrays of these dtypes.

    Each argument is read with :func:`standardize_dtype` (``None`` is
    :func:`floatx`); the Python types ``int`` and ``float`` are *weak* (a scalar
    adapts to the array it meets). The answer is the lowest dtype on the
    promotion lattice above all of them, then narrowed to 32 bits, as Keras does
    on every backend but TensorFlow. With no argument it is :func:`floatx`.
    kerastutor's own ops compute in :func:`promoted_dtype`, the same lattice
    without the narrowing.

    >>> from kerastutor import backend
    >>> backend.result_type("int32", "float32"), backend.result_type("int8", "uint8")
    ('float32', 'int16')
    >>> backend.result_type("float16", float), backend.result_type("uint8", int)
    ('float16', 'uint8')
    """
    if not dtypes:
        return floatx()
    out, weak = _join(dtypes)
    if weak:
        out = _at_floatx_precision(out)
    return _NARROWED.get(out, out)


def promoted_dtype(*dtypes):
    """The dtype kerastutor's ops compute in, for operands of these dtypes.

    It is :func:`result_type`'s lattice with its weak Python scalars (pass
    ``int``/``float`` for a Python number, a dtype for an array), read the way
    Keras's ops behave on the torch backend, kerastutor's training reference:

    * nothing is narrowed to 32 bits: ``ops.add`` of two float64 arrays is
      float64, as ``ops.sqrt`` of one is (:func:`result_type` says float32,
      which is what Keras's JAX and NumPy backends compute in);
    * a result decided by Python scalars alone is what ``convert_to_tensor``
      makes of a Python number: ``int32`` for an ``int``, :func:`floatx` for a
      ``float``, whatever ``floatx`` is (:func:`result_type` gives the integer
      ``floatx``'s bit width, so ``int16`` under ``float16``).

    With ``floatx() == "float32"`` and no 64-bit operand the two agree.

    >>> from kerastutor import backend
    >>> backend.promoted_dtype("float64", "float32"), backend.result_type("float64", "float32")
    ('float64', 'float32')
    >>> backend.promoted_dtype("bool", int), backend.promoted_dtype("int8", int, float)
    ('int32', 'float32')
    """
    if not dtypes:
        return floatx()
    return _promoted(dtypes, floatx())


@functools.lru_cache(maxsize=1024)
def _promoted(dtypes, float_type):
    """:func:`promoted_dtype` under ``floatx() == float_type``, remembered: every op
    asks, and a model meets only a few combinations of dtypes."""
    out, weak = _join(dtypes)
    if not weak:
        return out
    return float_type if out.startswith("float") else "int32"   # "float"/"float32", "int"/"int32"


def _at_floatx_precision(name):
    """A weak result takes the bit width of :func:`floatx`: ``int`` -> ``int32`` by default."""
    bits = floatx()[-2:]
    if name == "bool":
        return name
    if name.startswith("int") or name.startswith("uint"):
        return name[:name.index("int") + 3] + bits
    return "float" + bits


# ======================================================================= name scopes
_NAME_SCOPES = []


class name_scope:
    """``with keras.name_scope("encoder"): ...`` -- a named block, kept on a stack.

    In Keras the scope prefixes the *path* of every variable made inside it
    (``"encoder/dense/kernel"``). kerastutor names a weight after the layer that
    owns it (``weight.path`` is ``"<layer name>/<weight name>"``) and does not
    prefix it; the scope is recorded, and :meth:`current_path` reads it, so code
    written for Keras runs unchanged and can still ask where it is.

    ``caller``, ``deduplicate`` and ``override_parent`` are Keras's arguments:
    re-entering the same name for the same ``caller`` does not nest a second
    time, and ``override_parent`` replaces the path above this scope.

    >>> import kerastutor as keras
    >>> with keras.name_scope("encoder"):
    ...     with keras.name_scope("block_1"):
    ...         print(keras.name_scope.current_path())
    encoder/block_1
    >>> keras.name_scope.current_path()
    ''
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError("name_scope: `name` must be a string without '/', "
                             f"got name={name!r}. Nest two scopes to make a path.")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self):
        top = _NAME_SCOPES[-1] if _NAME_SCOPES else None
        same_again = (self.deduplicate and top is not None and self.caller is not None
                      and top.caller is self.caller and top.name == self.name)
        if not same_again:
            _NAME_SCOPES.append(self)
            self._pushed = True
        return self

    def __exit__(self, *exc_info):
        if self._pushed:
            _NAME_SCOPES.pop()
            self._pushed = False

    @staticmethod
    def current_path():
        """The open scopes joined by ``/`` (``""`` outside every scope)."""
        parts = []
        for scope in _NAME_SCOPES:
            if scope.override_parent is not None:
                parts = [p for p in scope.override_parent.split("/") if p]
            parts.append(scope.name)
        return "/".join(parts)


if os.environ.get("KERASTUTOR_DEVICE", "cpu") != "cpu":
    set_device(os.environ["KERASTUTOR_DEVICE"])


# A Keras 2 name missing here fails naming its Keras 3 replacement (see kerastutor.keras2).
__getattr__ = keras2.module_getattr(__name__)
