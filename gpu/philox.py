"""Philox4x32-10 in NumPy: the same bits as ``kernels/philox.cu``, computed on the CPU.

Philox (Salmon et al., SC'11) is a *counter-based* generator: the random words are
a pure function of a 128-bit counter and a 64-bit key. Ten rounds each multiply two
of the four 32-bit lanes by fixed constants, and mix the high halves of the 64-bit
products into the other lanes with the round key:

.. math::

    (c_0, c_1, c_2, c_3) \\leftarrow
    (\\mathrm{hi}(M_1 c_2) \\oplus c_1 \\oplus k_0,\\; \\mathrm{lo}(M_1 c_2),\\;
     \\mathrm{hi}(M_0 c_0) \\oplus c_3 \\oplus k_1,\\; \\mathrm{lo}(M_0 c_0))

after which the key is advanced by the Weyl constants :math:`(W_0, W_1)`.
This reference lets tests compare the GPU's random numbers bit for bit, and shows
the algorithm without CUDA around it.
"""
import numpy as np

M0, M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)


def philox4x32_10(counters, key):
    """Encrypt ``counters`` (``(n, 4)`` uint32) under ``key`` (two uint32); ``(n, 4)`` uint32."""
    c = np.array(counters, dtype=np.uint64).reshape(-1, 4).T.copy()   # 4 lanes of n words
    k0, k1 = (int(part) for part in key)
    for _ in range(10):
        product0, product1 = M0 * c[0], M1 * c[2]                   # exact in 64 bits
        c = np.stack([(product1 >> np.uint64(32)) ^ c[1] ^ np.uint64(k0),
                      product1 & MASK32,
                      (product0 >> np.uint64(32)) ^ c[3] ^ np.uint64(k1),
                      product0 & MASK32])
        k0, k1 = (k0 + W0) & 0xFFFFFFFF, (k1 + W1) & 0xFFFFFFFF
    return c.T.astype(np.uint32)


def counters(offset, count):
    """The counters ``philox.cu`` gives threads ``0 .. count-1``: ``offset + t`` in the
    low 64 bits, zeros above."""
    values = np.arange(count, dtype=np.uint64) + np.uint64(offset)
    return np.stack([values & MASK32, values >> np.uint64(32),
                     np.zeros_like(values), np.zeros_like(values)], axis=1)


def uniform(n, seed, offset=0, low=0.0, high=1.0):
    """What the ``philox_uniform`` kernel writes: ``n`` float32 in ``[low, high)``.

    ``seed`` is two uint32 words ``(seed0, seed1)``; each counter gives 4 values.
    """
    bits = philox4x32_10(counters(offset, -(-n // 4)), seed).reshape(-1)[:n]
    unit = (bits >> np.uint32(8)).astype(np.float32) * np.float32(1.0 / 16777216.0)
    low, high = np.float32(low), np.float32(high)
    return low + (high - low) * unit          # float32 throughout, as on the GPU
