r"""Weight initializers: where training starts.

Gradient descent needs a starting point, and a poor one stalls it: all-equal
weights make every unit of a layer learn the same thing, and weights of the
wrong size make activations (and gradients) grow or vanish layer after
layer. Keras's defaults are ``glorot_uniform`` for kernels, ``zeros`` for
biases and ``orthogonal`` for recurrent kernels.

**Fans.** A kernel of shape ``(n_in, n_out)`` has ``fan_in = n_in`` inputs
and ``fan_out = n_out`` outputs per unit. A convolution kernel
``(*window, c_in, c_out)`` multiplies both by the receptive-field size
:math:`\prod \text{window}`: :func:`compute_fans`.

**Variance scaling.** Keeping :math:`\operatorname{Var}(w) = s` with

.. math:: s = \frac{\text{scale}}{\max(1, n)}, \qquad
          n \in \{\mathrm{fan\_in},\ \mathrm{fan\_out},\ (\mathrm{fan\_in} + \mathrm{fan\_out})/2\}

keeps the variance of activations (fan_in) or of gradients (fan_out) about
constant from layer to layer. It is drawn as

* uniform: :math:`U(-\sqrt{3s}, \sqrt{3s})` (a uniform on :math:`\pm a` has
  variance :math:`a^2/3`);
* truncated normal: :math:`\mathcal N(0, \sigma^2)` cut at :math:`\pm 2\sigma`, with
  :math:`\sigma = \sqrt{s}/0.87962566103423978`. Cutting the tails shrinks the
  standard deviation by that factor, so dividing by it restores variance :math:`s`.

Glorot (Xavier) uses scale 1 and the mean fan; He uses scale 2 and fan_in (ReLU
zeroes half its inputs); LeCun uses scale 1 and fan_in.

**Randomness.** An initializer built without a ``seed`` draws from the
library-wide generator ``backend.rng()``, which
``keras.utils.set_random_seed`` resets. One built with ``seed=s`` owns a
private generator made once from ``s``: two calls give different arrays, yet
the whole sequence is the same in every run.
"""
import difflib
import math
import numbers

import numpy as np

from kerastutor import backend, keras2, registry
from kerastutor.backend import snake_case

# Standard deviation of a standard normal truncated to [-2, 2].
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


# ----------------------------------------------------------------- helpers
def _invalid(owner, argument, expected, value, hint=""):
    """A ValueError that says who complains, about what, and what would work."""
    message = f"{owner}: `{argument}` must be {expected}, got {value!r}."
    return ValueError(message + (f" {hint}" if hint else ""))


def _real(owner, argument, value, minimum=None):
    """``value`` as a float, after checking it is a finite real number (``>= minimum``)."""
    if (not isinstance(value, numbers.Real) or isinstance(value, bool)
            or not math.isfinite(value)):
        raise _invalid(owner, argument, "a finite real number", value)
    if minimum is not None and value < minimum:
        raise _invalid(owner, argument, f"a number >= {minimum}", value)
    return float(value)


def _shape(owner, shape):
    """``shape`` as a tuple of non-negative ints (a bare int means a vector)."""
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    if dims is None or not all(isinstance(d, numbers.Integral) and d >= 0 for d in dims):
        raise _invalid(owner, "shape", "a tuple of non-negative integers such as (784, 128)",
                       shape)
    return tuple(int(d) for d in dims)


def _dtype(owner, dtype, floating=True):
    """The requested dtype; ``None`` means ``backend.floatx()`` (float32 by default)."""
    try:
        dtype = np.dtype(backend.floatx() if dtype is None else dtype)
    except TypeError:
        raise _invalid(owner, "dtype", "a NumPy dtype such as 'float32'", dtype) from None
    if floating and not np.issubdtype(dtype, np.floating):
        raise _invalid(owner, "dtype", "a float dtype (random values are not integers)",
                       str(dtype), "Use 'float32' (the default) or 'float64'.")
    return dtype


def _seed(owner, seed):
    if seed is not None and (not isinstance(seed, numbers.Integral) or isinstance(seed, bool)
                             or seed < 0):
        raise _invalid(owner, "seed", "None or a non-negative integer", seed,
                       "None draws from the global generator (see set_random_seed).")
    return None if seed is None else int(seed)


def compute_fans(shape, input_axes=None, output_axes=None):
    r"""``(fan_in, fan_out)`` of a weight shape, as Keras computes them.

    * ``()``: (1, 1);  ``(n,)``: (n, n);
    * ``(n_in, n_out)``: (n_in, n_out);
    * ``(*window, c_in, c_out)``: :math:`(c_{in} k, c_{out} k)` with
      :math:`k = \prod \text{window}` the receptive-field size.

    When both ``input_axes`` and ``output_axes`` are given, the fans are the
    products of the sizes along those axes instead.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(np.prod([shape[axis] for axis in input_axes])),
                int(np.prod([shape[axis] for axis in output_axes])))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive_field = int(np.prod(shape[:-2]))     # 1 for a plain (n_in, n_out) matrix
    return int(shape[-2]) * receptive_field, int(shape[-1]) * receptive_field


# ------------------------------------------------------------- base classes
class Initializer:
    """Base class: ``init(shape, dtype=None)`` returns a new array of that shape.

    Subclasses implement ``__call__`` and, if they take arguments,
    ``get_config`` returning them as a dict (``from_config`` then rebuilds
    the object with ``cls(**config)``).
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        """A new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class RandomInitializer(Initializer):
    """An initializer that draws random numbers.

    Parameters
    ----------
    seed : int or None
        ``None``: draw from ``backend.rng()`` (reset by ``set_random_seed``).
        An int: draw from a private generator created once, here, from it.
    """

    def __init__(self, seed=None):
        self.seed = _seed(type(self).__name__, seed)
        self._private_rng = None if self.seed is None else backend.make_rng(self.seed)

    @property
    def rng(self):
        """The generator to draw from, looked up at each call for unseeded initializers."""
        return self._private_rng if self._private_rng is not None else backend.rng()

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(rng, shape, mean, stddev):
    r"""Draws from :math:`\mathcal N(\text{mean}, \text{stddev}^2)` with values beyond
    :math:`\pm 2` stddev redrawn until none is left (about 4.6% per round)."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(np.count_nonzero(outside))
        outside = np.abs(values) > 2
    values *= stddev
    values += mean
    return values


# -------------------------------------------------------------- constants
class Zeros(Initializer):
    """All zeros: :math:`w = 0`. Keras's default for biases."""

    def __call__(self, shape, dtype=None):
        return np.zeros(_shape("Zeros", shape), dtype=_dtype("Zeros", dtype, floating=False))


class Ones(Initializer):
    """All ones: :math:`w = 1`. Keras's default for BatchNormalization's gamma."""

    def __call__(self, shape, dtype=None):
        return np.ones(_shape("Ones", shape), dtype=_dtype("Ones", dtype, floating=False))


class Constant(Initializer):
    """Every entry equal to ``value`` (:math:`w = c`).

    ``value`` may also be an array that broadcasts to the shape, e.g. a
    pretrained embedding matrix.
    """

    def __init__(self, value=0.0):
        if isinstance(value, (list, tuple, np.ndarray)):
            value = np.asarray(value)
            if not np.issubdtype(value.dtype, np.number):
                raise _invalid("Constant", "value", "a number or an array of numbers", value)
        else:
            value = _real("Constant", "value", value)
        self.value = value

    def __call__(self, shape, dtype=None):
        shape = _shape("Constant", shape)
        try:
            return np.full(shape, self.value, dtype=_dtype("Constant", dtype, floating=False))
        except ValueError:
            raise ValueError(
                f"Constant: a value of shape {np.shape(self.value)} cannot fill a weight of "
                f"shape {shape}. Hint: give a scalar, or an array of exactly that shape."
            ) from None

    def get_config(self):
        # Arrays become nested lists so that the config stays JSON.
        value = self.value.tolist() if isinstance(self.value, np.ndarray) else self.value
        return {"value": value}


class Identity(Initializer):
    r"""The identity matrix times ``gain``: :math:`W = g\,I` (2-D shapes only).

    For a non-square shape, the ones run down the main diagonal.
    """

    def __init__(self, gain=1.0):
        self.gain = _real("Identity", "gain", gain)

    def __call__(self, shape, dtype=None):
        shape = _shape("Identity", shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity: the identity initializer makes 2-D matrices only, got shape "
                f"{shape} of rank {len(shape)}. Hint: use it for Dense kernels or "
                "recurrent kernels.")
        matrix = np.eye(*shape, dtype=_dtype("Identity", dtype, floating=False))
        matrix *= self.gain
        return matrix

    def get_config(self):
        return {"gain": self.gain}


# ------------------------------------------------------- plain random draws
class RandomUniform(RandomInitializer):
    r"""Uniform draws: :math:`w \sim U(\text{minval}, \text{maxval})`, default :math:`\pm 0.05`.

    Keras's default for ``Embedding``.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = _real("RandomUniform", "minval", minval)
        self.maxval = _real("RandomUniform", "maxval", maxval)
        if self.minval > self.maxval:
            raise ValueError(
                f"RandomUniform: `minval` must not exceed `maxval`, got minval={minval} > "
                f"maxval={maxval}. Hint: swap them.")

    def __call__(self, shape, dtype=None):
        dtype = _dtype("RandomUniform", dtype)
        return self.rng.uniform(self.minval, self.maxval, _shape("RandomUniform", shape)
                                ).astype(dtype, copy=False)

    def get_config(self):
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


class RandomNormal(RandomInitializer):
    r"""Normal draws: :math:`w \sim \mathcal N(\text{mean}, \text{stddev}^2)`, stddev 0.05."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = _real(type(self).__name__, "mean", mean)
        self.stddev = _real(type(self).__name__, "stddev", stddev, minimum=0)

    def __call__(self, shape, dtype=None):
        dtype = _dtype(type(self).__name__, dtype)
        return self.rng.normal(self.mean, self.stddev, _shape(type(self).__name__, shape)
                               ).astype(dtype, copy=False)

    def get_config(self):
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    r"""Normal draws with the tails cut off: values beyond :math:`\text{mean} \pm 2\,\text{stddev}`
    are redrawn. Default stddev 0.05.

    (The result's standard deviation is :math:`0.8796\,\text{stddev}`, not
    stddev; :class:`VarianceScaling` corrects for that, this class does not.)
    """

    def __call__(self, shape, dtype=None):
        dtype = _dtype("TruncatedNormal", dtype)
        values = _truncated_normal(self.rng, _shape("TruncatedNormal", shape), self.mean,
                                   self.stddev)
        return values.astype(dtype, copy=False)


# --------------------------------------------------------- variance scaling
class VarianceScaling(RandomInitializer):
    r"""Random weights whose variance is ``scale`` divided by a fan.

    .. math::

        s = \frac{\text{scale}}{\max(1, n)}, \qquad
        w \sim \begin{cases}
            U(-\sqrt{3s},\ \sqrt{3s}) & \text{uniform} \\
            \mathcal N\big(0, (\sqrt{s}/0.8796)^2\big) \text{ cut at } \pm 2\sigma
                & \mathrm{truncated\_normal} \\
            \mathcal N(0, s) & \mathrm{untruncated\_normal}
        \end{cases}

    where :math:`n` is fan_in, fan_out or their mean (``mode``); see
    :func:`compute_fans`.

    Parameters
    ----------
    scale : float
        Positive scaling factor (2 for ReLU networks).
    mode : {"fan_in", "fan_out", "fan_avg"}
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}
        ``"normal"`` is accepted as ``"truncated_normal"``, as in Keras.
    seed : int or None
    input_axes, output_axes : list of int or None
        Axes whose sizes multiply into fan_in and fan_out (both, or neither).
    """

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        owner = type(self).__name__
        self.scale = _real(owner, "scale", scale)
        if self.scale <= 0:
            raise _invalid(owner, "scale", "a positive number", scale,
                           "1.0 is Glorot/LeCun, 2.0 is He.")
        if mode not in self.MODES:
            raise _invalid(owner, "mode", f"one of {self.MODES}", mode, _did_you_mean(
                mode, self.MODES))
        if isinstance(distribution, str) and distribution.lower() == "normal":
            distribution = "truncated_normal"
        if not isinstance(distribution, str) or distribution.lower() not in self.DISTRIBUTIONS:
            raise _invalid(owner, "distribution", f"one of {self.DISTRIBUTIONS}",
                           distribution, _did_you_mean(distribution, self.DISTRIBUTIONS))
        self.mode, self.distribution = mode, distribution.lower()
        self.input_axes, self.output_axes = input_axes, output_axes

    def variance(self, shape):
        """The target variance :math:`s` for a weight of this shape."""
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out,
               "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        return self.scale / max(1.0, fan)

    def __call__(self, shape, dtype=None):
        owner = type(self).__name__
        shape, dtype = _shape(owner, shape), _dtype(owner, dtype)
        variance = self.variance(shape)
        if self.distribution == "uniform":
            limit = math.sqrt(3 * variance)
            values = self.rng.uniform(-limit, limit, shape)
        elif self.distribution == "untruncated_normal":
            values = self.rng.normal(0.0, math.sqrt(variance), shape)
        else:
            stddev = math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV
            values = _truncated_normal(self.rng, shape, 0.0, stddev)
        return values.astype(dtype, copy=False)

    def get_config(self):
        return {"seed": self.seed, "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _NamedVarianceScaling(VarianceScaling):
    """Glorot, He and LeCun: a VarianceScaling with fixed scale, mode and distribution."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "truncated_normal"

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(self.SCALE, self.MODE, self.DISTRIBUTION, seed, input_axes,
                         output_axes)

    def get_config(self):
        return {"seed": self.seed, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class GlorotUniform(_NamedVarianceScaling):
    r"""Glorot (Xavier) uniform, Keras's default kernel initializer.

    .. math::

        w \sim U(-\ell, \ell), \qquad
        \ell = \sqrt{\frac{6}{\mathrm{fan\_in} + \mathrm{fan\_out}}}

    (Glorot & Bengio, 2010: equal variance for activations and gradients.)
    """

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_avg", "uniform"


class GlorotNormal(_NamedVarianceScaling):
    r"""Glorot (Xavier) normal: truncated normal with
    :math:`\operatorname{Var}(w) = \frac{2}{\mathrm{fan\_in} + \mathrm{fan\_out}}`."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_avg", "truncated_normal"


class HeUniform(_NamedVarianceScaling):
    r"""He uniform, for ReLU networks.

    .. math:: w \sim U(-\ell, \ell), \qquad \ell = \sqrt{\frac{6}{\mathrm{fan\_in}}}
    """

    SCALE, MODE, DISTRIBUTION = 2.0, "fan_in", "uniform"


class HeNormal(_NamedVarianceScaling):
    r"""He normal, for ReLU networks: truncated normal with
    :math:`\operatorname{Var}(w) = \frac{2}{\mathrm{fan\_in}}` (He et al., 2015)."""

    SCALE, MODE, DISTRIBUTION = 2.0, "fan_in", "truncated_normal"


class LecunUniform(_NamedVarianceScaling):
    r"""LeCun uniform.

    .. math:: w \sim U(-\ell, \ell), \qquad \ell = \sqrt{\frac{3}{\mathrm{fan\_in}}}
    """

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "uniform"


class LecunNormal(_NamedVarianceScaling):
    r"""LeCun normal, for SELU networks: truncated normal with
    :math:`\operatorname{Var}(w) = \frac{1}{\mathrm{fan\_in}}`."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "truncated_normal"


# ------------------------------------------------------------- orthogonal
class Orthogonal(RandomInitializer):
    r"""A random orthogonal matrix times ``gain``; Keras's default recurrent kernel.

    Recipe (Saxe et al., 2014), for a shape flattened to
    :math:`r \times c` with :math:`r = \prod \text{shape}[:-1]`, :math:`c = \text{shape}[-1]`:

    1. draw :math:`A \sim \mathcal N(0, 1)` of shape :math:`(\max(r,c), \min(r,c))`;
    2. factor :math:`A = QR`;
    3. :math:`Q \leftarrow Q\,\operatorname{diag}(\operatorname{sign} R_{ii})`, which
       makes :math:`Q` uniformly distributed over orthogonal matrices;
    4. transpose if :math:`r < c`, multiply by ``gain``, reshape.

    The columns (or rows, if there are fewer rows) are orthonormal:
    :math:`W^\top W = g^2 I`. Multiplying by an orthogonal matrix preserves
    norms, so repeated recurrent steps neither explode nor vanish at first.
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = _real("Orthogonal", "gain", gain)

    def __call__(self, shape, dtype=None):
        shape, dtype = _shape("Orthogonal", shape), _dtype("Orthogonal", dtype)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal: the weight must be at least 2-D to be orthogonal, got shape "
                f"{shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        normal = self.rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(normal)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        q *= self.gain
        return q.reshape(shape).astype(dtype, copy=False)

    def get_config(self):
        return {"seed": self.seed, "gain": self.gain}


# --------------------------------------------------- names, get, serialize
_CLASSES = (Zeros, Ones, Constant, Identity, RandomUniform, RandomNormal, TruncatedNormal,
            VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
            LecunNormal, Orthogonal)
CATALOG = registry.Catalog("initializer", "keras.initializers")
for _cls in _CLASSES:
    CATALOG.add(_cls, _cls.__name__, snake_case(_cls.__name__))
del _cls
for _alias, _cls in {"normal": RandomNormal, "uniform": RandomUniform, "zero": Zeros,
                     "one": Ones, "IdentityInitializer": Identity,
                     "OrthogonalInitializer": Orthogonal}.items():
    CATALOG.add(_cls, _alias)
    if _alias[0].isupper():                  # Keras's longer class names, in records too
        CATALOG.classes[_alias] = _cls
del _alias, _cls
# The snake_case names Keras also exports in Python (keras.initializers.glorot_uniform()).
zeros, ones, constant, identity = Zeros, Ones, Constant, Identity
random_uniform, random_normal, truncated_normal = RandomUniform, RandomNormal, TruncatedNormal
variance_scaling, orthogonal = VarianceScaling, Orthogonal
glorot_uniform, glorot_normal, he_uniform, he_normal = (GlorotUniform, GlorotNormal,
                                                        HeUniform, HeNormal)
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
# Keras's longer names for two of them: the same classes.
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal


def _did_you_mean(name, candidates):
    """``" Did you mean 'x'?"`` for the closest candidate (case-insensitive), or ``""``."""
    if not isinstance(name, str):
        return ""
    by_lowercase = {candidate.lower(): candidate for candidate in candidates}
    close = difflib.get_close_matches(name.lower(), list(by_lowercase), n=1)
    return f"Did you mean {by_lowercase[close[0]]!r}?" if close else ""


def _from_name(name, custom_objects=None):
    if name in ("constant", "Constant"):
        raise ValueError(
            f"The initializer {name!r} needs a value, so it cannot be named by a string "
            "alone. Hint: pass keras.initializers.Constant(value=...).")
    found = CATALOG.lookup(name, custom_objects)
    return found() if isinstance(found, type) else get(found)


class _ArrayInitializer(Initializer):
    """Returns a given array (Keras accepts ``kernel_initializer=some_array``)."""

    def __init__(self, array):
        self.array = np.asarray(array)

    def __call__(self, shape, dtype=None):
        shape = _shape("initializer", shape)
        if shape != self.array.shape:
            raise ValueError(
                f"An array used as initializer has shape {self.array.shape}, but the weight "
                f"has shape {shape}. Hint: reshape the array, or check the layer's units.")
        return self.array.astype(_dtype("initializer", dtype, floating=False))

    def get_config(self):
        return {"value": self.array.tolist()}


def get(identifier, custom_objects=None):
    """The initializer for ``identifier``, as a layer's ``kernel_initializer=`` accepts it.

    Parameters
    ----------
    identifier : None, str, dict, Initializer (instance or class), array or callable
        A name (``"glorot_uniform"``, ``"GlorotUniform"``, ``"normal"``, ...), a
        serialized config, an object, an array of the exact weight shape, or
        any ``f(shape, dtype=None)``. ``None`` gives ``None``, as in Keras.

    Returns
    -------
    Initializer or callable or None
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        return _from_name(identifier, custom_objects)
    if isinstance(identifier, dict):
        return deserialize(identifier, custom_objects)
    if isinstance(identifier, (np.ndarray, np.generic)):
        return _ArrayInitializer(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret the initializer {identifier!r} (a "
        f"{type(identifier).__name__}). Expected a name such as 'glorot_uniform', a config "
        "dict, an Initializer, or a function f(shape, dtype=None).")


def serialize(initializer):
    """Keras's record of an initializer.

    ``{"module": "keras.initializers", "class_name": "GlorotUniform",
    "config": {"seed": None, ...}, "registered_name": None}``.
    """
    initializer = get(initializer)
    if initializer is None:
        return None
    if isinstance(initializer, _ArrayInitializer):
        return serialize(Constant(initializer.array))
    if not isinstance(initializer, Initializer):            # a plain function
        return {"module": "builtins", "class_name": "function",
                "config": registry.get_registered_name(initializer),
                "registered_name": "function"}
    return CATALOG.record(initializer)


def deserialize(config, custom_objects=None):
    """Inverse of :func:`serialize`: a name or a config dict back to an initializer.

    Parameters
    ----------
    config : str or dict
    custom_objects : dict or None
        Maps names of your own initializer classes or functions to them.
    """
    if isinstance(config, str):
        return _from_name(config, custom_objects)
    if isinstance(config, dict) and config.get("class_name") == "function":
        name = config.get("config")
        function = registry.user_objects(custom_objects).get(name)
        if function is None:
            raise ValueError(
                f"The initializer function {name!r} is not built in. Hint: pass "
                "custom_objects={name: function} or register it with "
                "@keras.saving.register_keras_serializable().")
        return function
    return CATALOG.from_record(config, custom_objects)


__all__ = [
    "Initializer", "RandomInitializer", "Zeros", "Ones", "Constant", "Identity",
    "RandomUniform", "RandomNormal", "TruncatedNormal", "VarianceScaling", "GlorotUniform",
    "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal",
    "compute_fans", "get", "serialize", "deserialize",
    "zeros", "ones", "constant", "identity", "random_uniform", "random_normal",
    "truncated_normal", "variance_scaling", "orthogonal", "glorot_uniform", "glorot_normal",
    "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "IdentityInitializer", "OrthogonalInitializer",
]


# A Keras 2 name missing here fails naming its Keras 3 replacement (see kerastutor.keras2).
__getattr__ = keras2.module_getattr(__name__)
