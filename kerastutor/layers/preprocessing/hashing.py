r"""Hashing: put any value (a string, an integer) into one of ``num_bins`` bins.

A *hash function* turns a value into a large number that looks random but is
always the same for the same value; its remainder modulo ``num_bins`` is the
bin. So a category never seen before still gets a bin -- no vocabulary to
learn -- at the price of *collisions*: two categories may share one bin.

Keras hashes the value's **text** (``12`` is hashed as ``"12"``) with the two
functions TensorFlow uses, and kerastutor computes both in plain Python, so the
same inputs land in the same bins as in Keras:

* :func:`fingerprint64` -- Google's FarmHash ``Fingerprint64`` (TensorFlow's
  ``to_hash_bucket_fast``), used when no ``salt`` is given;
* :func:`siphash24` -- SipHash-2-4 keyed by the salt (TensorFlow's
  ``to_hash_bucket_strong``): a different salt gives a different, unpredictable
  assignment.

Both work on 64-bit unsigned integers that wrap around; Python integers do not
wrap, so every step keeps the low 64 bits with ``& MASK``.
"""
import numpy as np

from kerastutor.layers.base import Layer
from kerastutor.layers.preprocessing.category_encoding import encode_categorical

MASK = (1 << 64) - 1          # keep the low 64 bits: unsigned 64-bit arithmetic

# FarmHash's three odd constants (primes between 2**63 and 2**64).
K0 = 0xC3A5C85C97CB3127
K1 = 0xB492B66FBE98F273
K2 = 0x9AE16A3B2F90404F


# ----------------------------------------------------------------- FarmHash
def _fetch64(s, i):
    """The 8 bytes ``s[i:i+8]`` read as a little-endian unsigned integer."""
    return int.from_bytes(s[i:i + 8], "little")


def _fetch32(s, i):
    return int.from_bytes(s[i:i + 4], "little")


def _rotate(value, shift):
    """Rotate the 64 bits of ``value`` right by ``shift``."""
    return value if shift == 0 else ((value >> shift) | (value << (64 - shift))) & MASK


def _shift_mix(value):
    return value ^ (value >> 47)


def _hash_len16(u, v, mul):
    """Mix two 64-bit words into one (a Murmur-inspired step)."""
    a = ((u ^ v) * mul) & MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & MASK
    b ^= b >> 47
    return (b * mul) & MASK


def _hash_len0to16(s):
    n = len(s)
    if n >= 8:
        mul = K2 + n * 2
        a = (_fetch64(s, 0) + K2) & MASK
        b = _fetch64(s, n - 8)
        c = (_rotate(b, 37) * mul + a) & MASK
        d = ((_rotate(a, 25) + b) * mul) & MASK
        return _hash_len16(c, d, mul)
    if n >= 4:
        mul = K2 + n * 2
        a = _fetch32(s, 0)
        return _hash_len16((n + (a << 3)) & MASK, _fetch32(s, n - 4), mul)
    if n > 0:
        a, b, c = s[0], s[n >> 1], s[n - 1]
        y = (a + (b << 8)) & 0xFFFFFFFF
        z = (n + (c << 2)) & 0xFFFFFFFF
        return (_shift_mix(((y * K2) ^ (z * K0)) & MASK) * K2) & MASK
    return K2


def _hash_len17to32(s):
    n = len(s)
    mul = K2 + n * 2
    a = (_fetch64(s, 0) * K1) & MASK
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & MASK
    d = (_fetch64(s, n - 16) * K2) & MASK
    return _hash_len16((_rotate((a + b) & MASK, 43) + _rotate(c, 30) + d) & MASK,
                       (a + _rotate((b + K2) & MASK, 18) + c) & MASK, mul)


def _hash_len33to64(s):
    n = len(s)
    mul = K2 + n * 2
    a = (_fetch64(s, 0) * K2) & MASK
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & MASK
    d = (_fetch64(s, n - 16) * K2) & MASK
    y = (_rotate((a + b) & MASK, 43) + _rotate(c, 30) + d) & MASK
    z = _hash_len16(y, (a + _rotate((b + K2) & MASK, 18) + c) & MASK, mul)
    e = (_fetch64(s, 16) * mul) & MASK
    f = _fetch64(s, 24)
    g = ((y + _fetch64(s, n - 32)) * mul) & MASK
    h = ((z + _fetch64(s, n - 24)) * mul) & MASK
    return _hash_len16((_rotate((e + f) & MASK, 43) + _rotate(g, 30) + h) & MASK,
                       (e + _rotate((f + a) & MASK, 18) + g) & MASK, mul)


def _weak_hash_len32_with_seeds(s, i, a, b):
    """Mix the 32 bytes ``s[i:i+32]`` into the pair of words ``(a, b)``."""
    w, x, y, z = (_fetch64(s, i + 8 * k) for k in range(4))
    a = (a + w) & MASK
    b = _rotate((b + a + z) & MASK, 21)
    c = a
    a = (a + x + y) & MASK
    b = (b + _rotate(a, 44)) & MASK
    return (a + z) & MASK, (b + c) & MASK


def fingerprint64(data):
    """FarmHash ``Fingerprint64`` of ``data`` (bytes): an int in ``[0, 2**64)``.

    Short inputs (up to 64 bytes) are mixed in one of three closed forms; longer
    ones are eaten 64 bytes at a time into a 56-byte state (``x, y, z`` and the
    pairs ``v, w``), and the last 64 bytes are mixed once more. This is
    ``farmhashna::Hash64`` from FarmHash, the function TensorFlow's
    ``to_hash_bucket_fast`` applies to a string's bytes.
    """
    s = bytes(data)
    n = len(s)
    if n <= 16:
        return _hash_len0to16(s)
    if n <= 32:
        return _hash_len17to32(s)
    if n <= 64:
        return _hash_len33to64(s)
    seed = 81
    x = seed
    y = (seed * K1 + 113) & MASK
    z = (_shift_mix((y * K2 + 113) & MASK) * K2) & MASK
    v = (0, 0)
    w = (0, 0)
    x = (x * K2 + _fetch64(s, 0)) & MASK
    end = ((n - 1) // 64) * 64              # where the 64-byte blocks stop
    last64 = end + ((n - 1) & 63) - 63      # the final (overlapping) 64 bytes
    i = 0
    while True:
        x = (_rotate((x + y + v[0] + _fetch64(s, i + 8)) & MASK, 37) * K1) & MASK
        y = (_rotate((y + v[1] + _fetch64(s, i + 48)) & MASK, 42) * K1) & MASK
        x ^= w[1]
        y = (y + v[0] + _fetch64(s, i + 40)) & MASK
        z = (_rotate((z + w[0]) & MASK, 33) * K1) & MASK
        v = _weak_hash_len32_with_seeds(s, i, (v[1] * K1) & MASK, (x + w[0]) & MASK)
        w = _weak_hash_len32_with_seeds(s, i + 32, (z + w[1]) & MASK,
                                        (y + _fetch64(s, i + 16)) & MASK)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = K1 + ((z & 0xFF) << 1)
    i = last64
    w = ((w[0] + ((n - 1) & 63)) & MASK, w[1])
    v = ((v[0] + w[0]) & MASK, v[1])
    w = ((w[0] + v[0]) & MASK, w[1])
    x = (_rotate((x + y + v[0] + _fetch64(s, i + 8)) & MASK, 37) * mul) & MASK
    y = (_rotate((y + v[1] + _fetch64(s, i + 48)) & MASK, 42) * mul) & MASK
    x ^= (w[1] * 9) & MASK
    y = (y + v[0] * 9 + _fetch64(s, i + 40)) & MASK
    z = (_rotate((z + w[0]) & MASK, 33) * mul) & MASK
    v = _weak_hash_len32_with_seeds(s, i, (v[1] * mul) & MASK, (x + w[0]) & MASK)
    w = _weak_hash_len32_with_seeds(s, i + 32, (z + w[1]) & MASK,
                                    (y + _fetch64(s, i + 16)) & MASK)
    z, x = x, z
    return _hash_len16((_hash_len16(v[0], w[0], mul) + _shift_mix(y) * K0 + z) & MASK,
                       (_hash_len16(v[1], w[1], mul) + x) & MASK, mul)


# ----------------------------------------------------------------- SipHash
def _rotl(value, shift):
    return ((value << shift) | (value >> (64 - shift))) & MASK


def _sip_round(v0, v1, v2, v3):
    v0 = (v0 + v1) & MASK
    v1 = _rotl(v1, 13) ^ v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & MASK
    v3 = _rotl(v3, 16) ^ v2
    v0 = (v0 + v3) & MASK
    v3 = _rotl(v3, 21) ^ v0
    v2 = (v2 + v1) & MASK
    v1 = _rotl(v1, 17) ^ v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash24(key0, key1, data):
    """SipHash-2-4 of ``data`` (bytes) under the 128-bit key ``(key0, key1)``.

    The state is four words initialised from the key and the ASCII of
    ``"somepseudorandomlygeneratedbytes"``. Each 8-byte word ``m`` of the message
    (the last one padded with zeros and the length in its top byte) is mixed in
    with two *SipRounds* (``v3 ^= m``, rounds, ``v0 ^= m``); then ``v2 ^= 0xff``
    and four more rounds, and the hash is ``v0 ^ v1 ^ v2 ^ v3``.
    """
    k0, k1 = key0 & MASK, key1 & MASK
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    s = bytes(data)
    n = len(s)
    full = n - n % 8
    words = [_fetch64(s, i) for i in range(0, full, 8)]
    words.append(int.from_bytes(s[full:] + bytes(7 - n % 8) + bytes([n & 0xFF]), "little"))
    for m in words:
        v3 ^= m
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 ^= m
    v2 ^= 0xFF
    for _ in range(4):
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    return v0 ^ v1 ^ v2 ^ v3


# ----------------------------------------------------------- values to bins
def as_hash_text(values, encoding="utf-8"):
    """The text Keras hashes for each value, as a NumPy array of ``str``.

    Strings stay as they are (bytes are decoded); floats are first cast to
    int64 (``2.7`` -> ``"2"``), integers are written in decimal, booleans as
    ``"true"``/``"false"`` (TensorFlow's ``as_string``).
    """
    values = np.asarray(values)
    if values.dtype.kind == "S":
        return np.char.decode(values, encoding)
    if values.dtype.kind == "b":
        return np.where(values, "true", "false")
    if values.dtype.kind == "f":
        values = values.astype(np.int64)
    if values.dtype.kind in "iu":
        return values.astype(str)
    if values.dtype.kind == "O":
        return np.vectorize(lambda v: v.decode(encoding) if isinstance(v, bytes) else str(v),
                            otypes=[str])(values) if values.size else values.astype(str)
    return values.astype(str)


def hash_to_bins(texts, num_bins, salt=None, encoding="utf-8"):
    """``hash(text) mod num_bins`` for every entry of the str array ``texts``.

    ``salt=None`` uses :func:`fingerprint64`; a pair ``[s0, s1]`` uses
    :func:`siphash24` keyed by it. Each distinct text is hashed once
    (``np.unique``) and the bins are spread back with the inverse index.
    """
    texts = np.asarray(texts)
    unique, inverse = np.unique(texts.ravel(), return_inverse=True)
    if salt is None:
        hashes = [fingerprint64(t.encode(encoding)) for t in unique.tolist()]
    else:
        hashes = [siphash24(salt[0], salt[1], t.encode(encoding)) for t in unique.tolist()]
    bins = np.array([h % num_bins for h in hashes], dtype=np.int64)
    return bins[inverse].reshape(texts.shape)


class Hashing(Layer):
    r"""Hashes each value into one of ``num_bins`` bins (no vocabulary needed).

    For each value :math:`v`, written as text :math:`t(v)` (see
    :func:`as_hash_text`):

    .. math::

        \text{bin}(v) = H(t(v)) \bmod \mathrm{num\_bins}

    with :math:`H` = FarmHash Fingerprint64 (:func:`fingerprint64`), or, when a
    ``salt`` is given, SipHash-2-4 keyed by it (:func:`siphash24`). An integer
    salt ``s`` means the key ``[s, s]``. With ``mask_value``, bin 0 is kept for
    that value and the others are hashed into bins ``1 .. num_bins-1``:
    :math:`\text{bin}(v) = 1 + H(t(v)) \bmod (\mathrm{num\_bins}-1)`.

    ``output_mode="int"`` returns the bins (int64, the input's shape);
    ``"one_hot"``, ``"multi_hot"`` and ``"count"`` encode them as
    :class:`CategoryEncoding` does (float32).

    Not differentiable: the inputs are categories, not numbers, so the layer
    has no backward and belongs before the trainable part of a model.

    Parameters
    ----------
    num_bins : int
        Number of bins, mask bin included.
    mask_value : optional
        A value that always goes to bin 0.
    salt : int or [int, int], optional
        Key of the salted (SipHash) hash.
    output_mode : str
        ``"int"``, ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
    sparse : bool
        Only False (sparse tensors need TensorFlow).
    """

    accepts_integer_inputs = True

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int",
                 sparse=False, **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else "float32"
        super().__init__(**kwargs)
        if num_bins is None or isinstance(num_bins, bool) or num_bins <= 0:
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                f"Received: num_bins={num_bins}. Fix: pass the number of bins, e.g. "
                "Hashing(num_bins=64).")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                "When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or "
                f"'int64'. Received: dtype={self.dtype}")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of ('int', "
                f"'one_hot', 'multi_hot', 'count'). Received: output_mode={output_mode}")
        if sparse:
            raise ValueError("Hashing: `sparse=True` needs TensorFlow sparse tensors, which "
                             "kerastutor does not have. Fix: leave sparse=False.")
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.output_mode = output_mode
        self.sparse = False
        if salt is None:
            self.salt = None
        elif isinstance(salt, (tuple, list)) and len(salt) == 2:
            self.salt = [int(s) for s in salt]
        elif isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
            self.salt = [int(salt), int(salt)]
        else:
            raise ValueError(
                "The `salt` argument for `Hashing` can only be a tuple of size 2 integers, "
                f"or a single integer. Received: salt={salt}.")

    def hash_values(self, values):
        """The bin of every value (int64, same shape): the formula above."""
        values = np.asarray(values)
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == self.mask_value
        hashed = hash_to_bins(as_hash_text(values), bins, self.salt)
        if mask is not None:
            hashed = np.where(mask, 0, hashed + 1)
        return hashed

    def forward(self, x, training=False):
        x = np.asarray(x)
        if self.output_mode == "one_hot" and x.ndim > 0 and x.shape[-1] == 1:
            x = x[..., 0]
        indices = self.hash_values(x)
        return encode_categorical(indices, self.output_mode, self.num_bins,
                                  dtype=self.dtype), None

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if len(input_shape) == 0:
            return (self.num_bins,)
        return input_shape[:-1] + (self.num_bins,)

    def get_config(self):
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "salt": self.salt,
                       "mask_value": self.mask_value, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config


__all__ = ["Hashing", "fingerprint64", "siphash24", "hash_to_bins", "as_hash_text"]
