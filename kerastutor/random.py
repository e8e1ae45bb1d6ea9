r"""``keras.random``: random tensors, drawn exactly as Keras's NumPy backend draws them.

Every function here turns a **seed** into a NumPy generator and asks it for
numbers::

    rng = np.random.default_rng(draw_seed(seed))     # a two-number uint32 key [s, counter]
    rng.normal(loc=mean, scale=stddev, size=shape)   # ... or uniform, integers, gamma, ...

so ``import kerastutor as keras`` gives the very numbers ``keras.random``
gives with ``KERAS_BACKEND=numpy`` (Keras 3.15.1), bit for bit. What the seed
may be is the whole lesson:

* **an int** ``s`` -- the key ``[s, 0]``. Stateless: the same int seed always
  gives the same draw (``normal((3,), seed=42)`` twice is the same array twice);
* **a** :class:`SeedGenerator` -- the key is the generator's *state*
  ``[s, n]``, and each draw moves the state on to ``[s, n + 1]``, so a layer
  that owns a generator gets a fresh mask on every call, repeatably;
* **None** -- the *global* generator, created on first use from Python's
  ``random`` and reset by ``keras.utils.set_random_seed``, so unseeded draws
  repeat after re-seeding. It moves on by ``state = (state + 1) * 5387 % 933199``
  (uint32 arithmetic) rather than by a counter, as in Keras.

``SeedGenerator(1337)``'s first draw therefore equals ``seed=1337``'s: both
use the key ``[1337, 0]``.

``dropout`` is the one function with a derivative: inside a custom layer's
``call`` on a traced value it is recorded on the op tape
(:mod:`kerastutor.tape`) with :math:`\partial y/\partial x = m / (1 - \text{rate})`,
so a hand-written Dropout layer trains. The samplers draw constants: their
parameters get no gradient (the VAE's reparameterisation
``z = mean + exp(log_var / 2) * normal(...)`` puts the parameters *outside*
the draw, which is why it trains).

The built-in layers draw through these functions as Keras's do, each with its
own ``SeedGenerator(seed)`` made in ``__init__``: ``Dropout`` and the spatial
dropouts (:func:`keep_mask`), ``GaussianNoise`` and ``GaussianDropout``
(:func:`normal`), ``AlphaDropout`` (:func:`uniform`), the recurrent cells'
dropout, and every random image layer (flips, crops, affine warps, colour,
mixing), so their noise is Keras's NumPy backend's for the same seed. The
initializers and the shuffling in ``fit`` still draw from ``backend.rng()``.
"""
import math
import random as python_random

import numpy as np

from kerastutor import backend
from kerastutor.tape import _record, _value, is_traced
from kerastutor.weight import Weight

__all__ = ["SeedGenerator", "normal", "uniform", "randint", "truncated_normal",
           "categorical", "dropout", "shuffle", "gamma", "binomial", "beta"]

SEED_DTYPE = "uint32"        # Keras's random_seed_dtype() on the NumPy (and JAX) backend


# ======================================================================== seeds
class SeedGenerator:
    r"""A random state that moves on with every draw: ``[seed, 0]``, ``[seed, 1]``, ...

    Pass it as ``seed=`` to any ``keras.random`` function. Each draw uses the
    current state as the generator's key and then adds ``[0, 1]`` to it, so
    successive draws differ but the whole sequence repeats for the same
    starting seed:

    .. math:: \text{key}_n = [s, n], \qquad \text{state} \leftarrow \text{state} + [0, 1]

    A layer that wants a fresh but repeatable mask each call keeps one::

        self.seed_generator = keras.random.SeedGenerator(1337)
        ...
        keras.random.dropout(x, rate=0.5, seed=self.seed_generator)

    ``state`` is a non-trainable uint32 weight of shape ``(2,)``; it is not one
    of a layer's ``weights`` (Keras excludes random states from them too).

    Parameters
    ----------
    seed : int or None
        The starting seed; ``None`` picks one at random with Python's ``random``
        module, between 1 and a billion (so ``set_random_seed`` makes it repeatable).
    name : str or None
        Defaults to ``seed_generator``, then ``seed_generator_1`` and so on.
    """

    def __init__(self, seed=None, name=None, **kwargs):
        kwargs.pop("backend", None)           # Keras's hook for another backend; one here
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name if name is not None else backend.unique_name("seed_generator")
        self._initial_seed = seed
        if seed is None:
            seed = python_random.randint(1, int(1e9))
        if not isinstance(seed, int):
            raise ValueError(
                f"Argument `seed` must be an integer. Received: seed={seed}. Hint: pass a "
                f"Python int such as SeedGenerator(1337), or None for a random start.")
        self.state = Weight(_seed_key(seed), name="seed_generator_state", trainable=False,
                            path=f"{self.name}/seed_generator_state")

    def next(self, ordered=True):
        """The key for this draw; then move the state on.

        ``ordered=True`` (a generator you pass as ``seed=``) adds ``[0, 1]``;
        ``ordered=False`` (the global generator) maps each entry to
        ``(state + 1) * 5387 % 933199`` in uint32 arithmetic, as Keras does.
        """
        key = self.state.value.copy()
        if ordered:
            self.state.value = key + np.array([0, 1], dtype=SEED_DTYPE)
        else:
            self.state.value = (key + np.uint32(1)) * np.uint32(5387) % np.uint32(933199)
        return key

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name!r} state={self.state.value.tolist()}>"


def _seed_key(seed):
    """The uint32 key ``[seed, 0]``; a seed outside uint32 is an error, as in Keras."""
    if not 0 <= seed < 2 ** 32:
        raise OverflowError(
            f"Argument `seed` must fit in uint32 (0 <= seed < 2**32), the dtype of Keras's "
            f"random keys. Received: seed={seed}. Hint: use a non-negative seed such as "
            f"{seed % 2 ** 32}.")
    return np.array([seed, 0], dtype=SEED_DTYPE)


def global_seed_generator():
    """The generator ``seed=None`` draws from; made on first use, reset by ``set_random_seed``.

    It lives in :mod:`kerastutor.backend` (``_GLOBAL_SEED_GENERATOR``) because
    ``set_random_seed`` and ``clear_session`` live there and must reset it.
    """
    if backend._GLOBAL_SEED_GENERATOR is None:
        backend._GLOBAL_SEED_GENERATOR = SeedGenerator()
    return backend._GLOBAL_SEED_GENERATOR


def draw_seed(seed):
    """The key for one draw: ``[seed, 0]`` for an int, the generator's next state otherwise."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, int):
        return _seed_key(seed)
    if seed is None:
        return global_seed_generator().next(ordered=False)
    raise ValueError(
        "Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
        f"Received: seed={seed} (of type {type(seed)}). Hint: seed=42 repeats the same "
        "draw; seed=keras.random.SeedGenerator(42) gives a new, repeatable draw each call.")


def _generator(seed):
    return np.random.default_rng(draw_seed(seed))


def _shape(shape):
    """A shape tuple (an int ``n`` means ``(n,)``); traced sizes are read off the tape."""
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    if any(n is None for n in shape):
        raise ValueError(
            f"keras.random: `shape` must be fully known to draw numbers. Received: "
            f"shape={shape} Hint: read the batch size off the input, e.g. "
            f"(keras.ops.shape(x)[0], 4).")
    return tuple(int(_value(n)) for n in shape)


def _dtype_name(dtype):
    return np.dtype(dtype).name


# ======================================================================== continuous
def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    r"""Samples of the normal distribution :math:`\mathcal N(\mu, \sigma^2)`.

    .. math:: p(x) = \frac{1}{\sigma\sqrt{2\pi}}\,
              \exp\!\Big(-\frac{(x-\mu)^2}{2\sigma^2}\Big)

    Drawn in float64 by ``rng.normal(loc=mean, scale=stddev)`` and cast to
    ``dtype`` (default ``floatx()``).
    """
    dtype = dtype or backend.floatx()
    rng = _generator(seed)
    return rng.normal(size=_shape(shape), loc=mean, scale=stddev).astype(dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    r"""Samples of the uniform distribution on :math:`[a, b)`, ``a = minval``, ``b = maxval``.

    .. math:: p(x) = \frac{1}{b - a}, \qquad a \le x < b

    ``dtype`` must be a float dtype (use :func:`randint` for integers).
    """
    if dtype and not _dtype_name(dtype).startswith(("float", "bfloat")):
        raise ValueError(
            f"`keras.random.uniform` requires a floating point `dtype`. Received: "
            f"dtype={dtype} Hint: use keras.random.randint for integers.")
    dtype = dtype or backend.floatx()
    rng = _generator(seed)
    return rng.uniform(size=_shape(shape), low=minval, high=maxval).astype(dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    r"""Normal samples kept only within two standard deviations of the mean.

    .. math:: p(x) \propto \exp\!\Big(-\frac{(x-\mu)^2}{2\sigma^2}\Big)
              \quad\text{for } |x - \mu| \le 2\sigma, \qquad 0 \text{ elsewhere}

    Rejection sampling, as Keras's NumPy backend does it: draw ``N`` normals
    (``N`` = the number of outputs), keep those inside ``[mu - 2 sigma, mu + 2 sigma]``,
    and draw another ``N`` until enough are kept; the first ``N`` kept are the answer.
    """
    dtype = dtype or backend.floatx()
    shape = _shape(shape)
    rng = _generator(seed)
    low, high = mean - 2 * stddev, mean + 2 * stddev
    size = math.prod(shape)
    kept = np.empty(0)
    while kept.shape[0] < size:
        batch = rng.normal(loc=mean, scale=stddev, size=size)
        kept = np.append(kept, batch[(batch >= low) & (batch <= high)])
    return kept[:size].astype(dtype).reshape(shape)


def gamma(shape, alpha, dtype=None, seed=None):
    r"""Samples of the gamma distribution with shape :math:`\alpha` and scale 1.

    .. math:: p(x) = \frac{x^{\alpha - 1} e^{-x}}{\Gamma(\alpha)}, \qquad x > 0

    Mean and variance are both :math:`\alpha`.
    """
    dtype = dtype or backend.floatx()
    rng = _generator(seed)
    return rng.gamma(_value(alpha), scale=1.0, size=_shape(shape)).astype(dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    r"""Samples of the beta distribution on :math:`[0, 1]`.

    .. math:: p(x) = \frac{x^{\alpha-1}(1-x)^{\beta-1}}{B(\alpha, \beta)},
              \qquad \text{mean } \frac{\alpha}{\alpha + \beta}
    """
    dtype = dtype or backend.floatx()
    rng = _generator(seed)
    return rng.beta(a=_value(alpha), b=_value(beta), size=_shape(shape)).astype(dtype)


# ======================================================================== discrete
def randint(shape, minval, maxval, dtype="int32", seed=None):
    r"""Integers drawn uniformly from :math:`\{a, a+1, \dots, b-1\}` (``maxval`` excluded).

    .. math:: P(k) = \frac{1}{b - a}, \qquad a \le k < b

    ``dtype`` must be an integer dtype (use :func:`uniform` for floats).
    """
    if dtype and not _dtype_name(dtype).startswith(("int", "uint")):
        raise ValueError(
            f"`keras.random.randint` requires an integer `dtype`. Received: "
            f"dtype={dtype} Hint: use keras.random.uniform for floats.")
    rng = _generator(seed)
    return rng.integers(low=minval, high=maxval, size=_shape(shape), dtype=dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    r"""Successes in ``counts`` independent trials, each succeeding with probability ``p``.

    .. math:: P(k) = \binom{n}{k} p^k (1 - p)^{n - k}, \qquad k = 0, \dots, n

    Returned as ``dtype`` (default ``floatx()``, as in Keras).
    """
    dtype = dtype or backend.floatx()
    rng = _generator(seed)
    return rng.binomial(n=_value(counts), p=_value(probabilities),
                        size=_shape(shape)).astype(dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    r"""``num_samples`` class indices per row of ``logits`` (shape ``[batch, classes]``).

    Row :math:`i` samples class :math:`j` with the softmax probability

    .. math:: P(j) = \frac{e^{z_{ij}}}{\sum_k e^{z_{ik}}}

    through ``rng.choice`` on each row in turn (one generator for the whole
    batch, as Keras's NumPy backend). Returns shape ``(batch, num_samples)``.
    """
    z = np.asarray(_value(logits))
    if z.ndim != 2:
        raise ValueError(
            f"`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
            f"Received: logits={logits} Hint: a single distribution is one row: [logits].")
    rng = _generator(seed)
    samples = []
    for row in z:
        exp = np.exp(row - np.max(row, axis=-1, keepdims=True))
        probabilities = exp / np.sum(exp, axis=-1, keepdims=True)
        samples.append(rng.choice(np.arange(row.shape[-1]), size=num_samples,
                                  p=probabilities))
    return np.array(samples).astype(dtype)


# ======================================================================== on a tensor
def keep_mask(shape, rate, seed=None):
    """The Bernoulli(1 - rate) mask of one dropout draw: ``uniform(size=shape) < 1 - rate``.

    Keras's dropout draws it so; :func:`dropout` and the built-in dropout layers
    (``Dropout``, the spatial dropouts, the recurrent cells) all take their mask
    from here, so a layer given ``seed=s`` drops what ``keras.random.dropout``
    with ``SeedGenerator(s)`` drops -- Keras's NumPy backend, bit for bit.
    """
    # rng.random(shape) is rng.uniform(size=shape) bit for bit (uniform computes
    # 0 + 1 * random()), without uniform's low/high broadcasting: 30% less time per mask.
    return _generator(seed).random(shape) < 1.0 - rate


def dropout(inputs, rate, noise_shape=None, seed=None):
    r"""Zero each entry with probability ``rate``; scale the survivors by :math:`1/(1-r)`.

    .. math:: m_i \sim \text{Bernoulli}(1 - r), \qquad
              y_i = \frac{m_i\, x_i}{1 - r}, \qquad
              \frac{\partial L}{\partial x_i} = \frac{m_i}{1 - r}\,\frac{\partial L}{\partial y_i}

    so :math:`E[y] = x`. The mask is ``rng.uniform(size=noise_shape) < 1 - rate``;
    ``noise_shape`` (``None`` entries filled from ``inputs``) shares one mask
    value along its size-1 axes (e.g. ``(batch, 1, features)`` drops whole
    features for every timestep). ``rate=0`` returns ``inputs`` and ``rate=1``
    zeros, drawing nothing.

    On a traced value (a custom layer's ``call`` in ``fit``) the op is recorded
    on the tape with the derivative above.
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(
            f"`keras.random.dropout`: `rate` must be a float in [0, 1], the probability "
            f"of dropping an entry. Received: rate={rate}")
    x = _value(inputs) if is_traced(inputs) else np.asarray(inputs)
    if rate == 1.0:
        return _record(np.zeros_like(x), (inputs,), lambda g: (np.zeros_like(g),))
    if rate == 0.0:
        return inputs
    keep_prob = 1.0 - rate
    if noise_shape is None:
        noise_shape = x.shape
    else:
        noise_shape = [x.shape[i] if n is None else n for i, n in enumerate(noise_shape)]
    mask = np.broadcast_to(keep_mask(noise_shape, rate, seed), x.shape)
    mask = backend.to_device(mask.copy())
    out = np.where(mask, (x / keep_prob).astype(x.dtype), np.zeros_like(x))
    return _record(out, (inputs,),
                   lambda g: (np.where(mask, (g / keep_prob).astype(g.dtype), 0),))


def shuffle(x, axis=0, seed=None):
    r"""Shuffle ``x`` along ``axis``: each 1-D slice along it gets its own permutation.

    ``rng.permuted`` (Keras's NumPy backend) permutes every slice
    independently; ``axis=None`` shuffles all entries. The permutation is
    drawn on an index grid and applied with ``take_along_axis`` (the draws
    depend only on the shape, so the result is Keras's, bit for bit), which
    also gives the derivative: :math:`\partial L/\partial x` is the upstream
    gradient put back through the same indices.
    """
    a = _value(x) if is_traced(x) else np.asarray(x)
    rng = _generator(seed)
    if axis is None:
        index = rng.permuted(np.arange(a.size))
        out = a.reshape(-1)[index].reshape(a.shape)

        def vjp(g):
            grad = np.zeros(a.size, dtype=g.dtype)
            grad[index] = g.reshape(-1)
            return (grad.reshape(a.shape),)
    else:
        axis = axis % a.ndim
        along = [-1 if i == axis else 1 for i in range(a.ndim)]
        grid = np.broadcast_to(np.arange(a.shape[axis]).reshape(along), a.shape).copy()
        index = rng.permuted(grid, axis=axis)
        out = np.take_along_axis(a, index, axis=axis)

        def vjp(g):
            grad = np.zeros_like(g)
            np.put_along_axis(grad, index, g, axis=axis)
            return (grad,)
    return _record(out, (x,), vjp)
