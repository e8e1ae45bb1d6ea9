"""``in_place.adam_in_place``, Adam's speed-up: piece by piece, denormal momenta flushed.

The bit-for-bit comparison with the formula on whole small arrays is in
``test_update_rules.py``; here the pieces are made tiny so that a small weight is
cut in several (with a ragged last piece), and the flush is checked on momenta
that decay into the denormal range. The compiled loop of the ``fast`` extra is switched
off here, so that these are the NumPy pieces (``tests/test_compiled.py`` checks the loop).
"""
import numpy as np
import pytest

from kerastutor import compiled, optimizers
from kerastutor.optimizers import in_place
from optimizer_cases import weight


@pytest.fixture(autouse=True)
def numpy_pieces():
    with compiled.switched(False):
        yield


def _pair(start, dtype="float32"):
    """Two copies of a weight, each with its own built Adam: (fast, fast_rule, plain, rule)."""
    fast, plain = weight(start, dtype=dtype), weight(start, dtype=dtype)
    fast_rule, plain_rule = optimizers.Adam(0.01), optimizers.Adam(0.01)
    fast_rule.build([fast])
    plain_rule.build([plain])
    return fast, fast_rule, plain, plain_rule


def _step_both(fast, fast_rule, plain, plain_rule, grad):
    assert in_place.adam_in_place(fast_rule, fast.value, grad, fast_rule._slots[id(fast)], 0.01)
    plain_rule.update_step(grad, plain, 0.01)
    fast_rule._iterations += 1
    plain_rule._iterations += 1


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(7, 5), (4,), (3, 2, 6)])
def test_pieces_compute_the_formula_bit_for_bit(monkeypatch, shape, dtype):
    monkeypatch.setattr(in_place, "PIECE", 4)        # 35 entries: 8 pieces of 4 and one of 3
    rng = np.random.default_rng(1)
    fast, fast_rule, plain, plain_rule = _pair(rng.standard_normal(shape), dtype)
    for _ in range(3):
        _step_both(fast, fast_rule, plain, plain_rule, rng.standard_normal(shape).astype(dtype))
        np.testing.assert_array_equal(fast.value, plain.value)
        for slot in ("momentum", "velocity"):
            np.testing.assert_array_equal(fast_rule._slots[id(fast)][slot],
                                          plain_rule._slots[id(plain)][slot])


def test_a_non_contiguous_weight_is_updated_whole_and_in_place():
    rng = np.random.default_rng(2)
    fast, fast_rule, plain, plain_rule = _pair(rng.standard_normal((4, 6)))
    fast.value = np.asfortranarray(fast.value)      # flattening would copy: no pieces
    fast_rule._slots[id(fast)] = {k: np.asfortranarray(s)
                                  for k, s in fast_rule._slots[id(fast)].items()}
    before = fast.value
    grad = rng.standard_normal((4, 6)).astype("float32")
    _step_both(fast, fast_rule, plain, plain_rule, np.asfortranarray(grad))
    assert fast.value is before
    np.testing.assert_array_equal(fast.value, plain.value)


def test_momenta_that_decay_below_the_smallest_normal_float_become_zero():
    """A gradient that turns exactly 0 shrinks m by beta_1 a step: the formula's m goes
    denormal (and sticks there), the helper's becomes 0 well before; the weights stay
    equal."""
    tiny = np.finfo(np.float32).tiny
    grad = np.array([1e-3, -1e-3, 0.5, 0.0], "float32")
    fast, fast_rule, plain, plain_rule = _pair([0.3, -0.7, 1.0, 2.0])
    _step_both(fast, fast_rule, plain, plain_rule, grad)
    zero_in_first_two = np.array([0.0, 0.0, 0.5, 0.0], "float32")
    for _ in range(900):
        _step_both(fast, fast_rule, plain, plain_rule, zero_in_first_two)
    plain_m = plain_rule._slots[id(plain)]["momentum"]
    fast_m = fast_rule._slots[id(fast)]["momentum"]
    assert np.all((plain_m[:2] != 0) & (np.abs(plain_m[:2]) < tiny))   # denormal, stuck
    np.testing.assert_array_equal(fast_m[:2], [0.0, 0.0])
    np.testing.assert_array_equal(fast_m[2:], plain_m[2:])             # normal: untouched
    np.testing.assert_array_equal(fast.value, plain.value)


def test_the_flush_runs_on_every_FLUSH_EVERY_th_step_below_the_threshold():
    """A momentum just under the threshold survives the steps between flushes (it is
    still far from denormal) and is 0 after the next flush step; one above it stays."""
    threshold = in_place.flush_threshold(np.dtype("float32"))
    assert np.finfo(np.float32).tiny < threshold < 1e-25
    fast, fast_rule, plain, plain_rule = _pair([0.3, -0.7])
    fast_rule._iterations = 1                        # a step that does not flush
    m = fast_rule._slots[id(fast)]["momentum"]
    m[:] = [threshold / 2, threshold * 4]
    zero = np.zeros(2, "float32")
    assert in_place.adam_in_place(fast_rule, fast.value, zero, fast_rule._slots[id(fast)], 0.01)
    assert m[0] != 0 and abs(m[0]) > np.finfo(np.float32).tiny
    fast_rule._iterations = in_place.FLUSH_EVERY     # a flush step
    assert in_place.adam_in_place(fast_rule, fast.value, zero, fast_rule._slots[id(fast)], 0.01)
    assert m[0] == 0 and m[1] != 0
