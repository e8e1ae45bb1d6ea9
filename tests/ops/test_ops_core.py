"""``keras.ops.core``: dtypes and conversion, slicing and scattering, control flow and
gradient control -- every op gradient-checked on the tape, plus goldens and kind errors.

The control-flow cases pass their functions as arguments (``scan(f, init, xs)``). The
oracle calls the same case with ``keras.ops``, so each function is written with Python
operators and indexing only, which both kerastutor's traced values and torch tensors have.
"""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import ops
from kerastutor.ops import core
from kerastutor.tape import Tape, Traced
from op_cases import OpCase, gradient_tests

#: The note of cases Keras's torch backend can only run on torch tensors (its ``unbind``,
#: ``detach``, ``vmap``): the oracle compares them after converting the arrays.
TENSOR_INPUT = "Keras's torch backend needs torch tensors here; compared with tensors"


def normal(rng, *shape):
    return rng.standard_normal(shape)


def side(rng, low=2, high=5):
    return int(rng.integers(low, high))


def away_from_zero(x, gap=0.3):
    """Entries at least ``gap`` from 0 (a factor of a product, a divisor)."""
    return np.where(np.abs(x) < gap, np.sign(x) * gap + (x == 0) * gap, x)


def spread(x):
    """Distinct entries (no ties for max/min): add a ramp that separates equal draws."""
    return x + np.arange(x.size).reshape(x.shape) * 1e-2


# ------------------------------------------------------------------ functions for the cases
# Python operators and indexing only: the oracle calls them on torch tensors too.
def rnn_step(carry, x):
    new = carry * 0.5 + x * x * 0.25 + x
    return new, new * 2.0 - carry


def carry_only_step(carry, x):
    return carry * x + 1.0, None


def counter_step(carry, x):
    return carry * 0.9 + 1.0, carry * carry


def square(x):
    return x * x


def square_and_double(x):
    return {"double": x * 2.0, "square": x * x}


def polynomial_body(i, value):
    return value * value * 0.3 + value * i + 0.5


def damped(x):
    return x * 0.5 + x * x * 0.1


def always(x):
    return True


def plus(a, b):
    return a + b


def times(a, b):
    return a * b


def matrix_product(a, b):
    return a @ b


def row_energy(x):
    return x * x * 0.5 + x[0]


BRANCHES = [lambda x: x * 2.0, lambda x: x * x, lambda x: x * x * x * 0.1 + 1.0]


def _slice_case(rng, rank):
    shape = [side(rng, 2, 6) for _ in range(rank)]
    starts = [int(rng.integers(0, n - 1)) for n in shape]
    sizes = [int(rng.integers(1, n - s + 1)) for n, s in zip(shape, starts)]
    return normal(rng, *shape), starts, sizes


def _slice_update_case(rng):
    x, starts, sizes = _slice_case(rng, 2)
    return x, starts, normal(rng, *sizes)


def _scatter_case(rng, depth, duplicates):
    shape = (side(rng, 3, 5), side(rng, 2, 4), 3)
    count = side(rng, 2, 4)                      # at most 3 <= the places
    places = rng.choice(int(np.prod(shape[:depth])), count, replace=False)   # distinct ...
    indices = np.stack(np.unravel_index(places, shape[:depth]), axis=1)
    if duplicates:
        indices[-1] = indices[0]                                              # ... or not
    return indices, normal(rng, count, *shape[depth:]), shape


def _scatter_update_case(rng, depth, duplicates, transform=lambda x: x):
    indices, updates, shape = _scatter_case(rng, depth, duplicates)
    return transform(normal(rng, *shape)), indices, transform(updates)


def _scatter_extreme_case(rng, depth):
    """Updates and inputs drawn together, without ties (max/min: the winner is unique)."""
    indices, updates, shape = _scatter_case(rng, depth, True)
    values = spread(rng.permutation(np.linspace(-2, 2, int(np.prod(shape)) + updates.size)))
    return (values[:int(np.prod(shape))].reshape(shape), indices,
            values[int(np.prod(shape)):].reshape(updates.shape))


def _switch_case(rng):
    return int(rng.integers(-2, 5)), BRANCHES, normal(rng, side(rng), 3)


CASES = [
    # ------------------------------------------------------------ dtypes and conversion
    OpCase("cast", lambda r: (normal(r, side(r), 3),), {"dtype": "float64"}, label="float64"),
    OpCase("cast", lambda r: (normal(r, side(r)),), {"dtype": "float32"}, label="float32"),
    OpCase("cast", lambda r: (normal(r, side(r), 2) * 3,), {"dtype": "int32"}, grad=(),
           label="int32"),
    OpCase("cast", lambda r: (normal(r, 5) > 0,), {"dtype": "float32"}, grad=(),
           label="bool->float32"),
    OpCase("cast", lambda r: (np.arange(side(r)),), {"dtype": float}, grad=(),
           label="python float"),
    OpCase("saturate_cast", lambda r: (normal(r, side(r), 3) * 200,), {"dtype": "uint8"},
           grad=(), label="uint8"),
    OpCase("saturate_cast", lambda r: (normal(r, 6) * 300,), {"dtype": "int8"}, grad=(),
           label="int8"),
    OpCase("saturate_cast", lambda r: (normal(r, side(r), 2),), {"dtype": "float32"},
           label="float32"),
    OpCase("convert_to_tensor", lambda r: (normal(r, side(r), 2),), label="array"),
    OpCase("convert_to_tensor", lambda r: (normal(r, 3),), {"dtype": "float64"},
           label="dtype=float64"),
    OpCase("convert_to_tensor", lambda r: ([1.5, -2.0, 3.25],), grad=(),
           label="python floats"),
    OpCase("convert_to_tensor", lambda r: ([[1, 2], [3, 4]],), grad=(), label="python ints"),
    OpCase("convert_to_numpy", lambda r: (normal(r, side(r), 3),), grad=()),
    OpCase("shape", lambda r: (normal(r, side(r), 3, 2),), grad=()),
    OpCase("dtype", lambda r: (normal(r, 3),), grad=(), oracle=False,
           note="a string: the harness compares numbers; see test_dtype_names_match_keras"),
    OpCase("is_tensor", lambda r: (normal(r, 3),), grad=(), oracle=False,
           note="Keras's torch backend says False for a NumPy array (its tensors are torch's)"),
    OpCase("stop_gradient", lambda r: (normal(r, side(r), 3),), grad=(), oracle=False,
           note=TENSOR_INPUT),
    # ------------------------------------------------------------ slicing and scattering
    OpCase("slice", lambda r: _slice_case(r, 2), label="2-d"),
    OpCase("slice", lambda r: _slice_case(r, 3), label="3-d"),
    OpCase("slice", lambda r: (normal(r, 4, 5), [1, 2], [2, -1]), label="size -1",
           oracle=False, note="Keras's torch slice gives an empty axis for a size of -1 "
                              "(keras.ops.slice(x, [1, 2], [2, -1]) has shape (2, 0)); its "
                              "symbolic shape rule and TensorFlow take the rest of the axis"),
    OpCase("slice_update", _slice_update_case, grad=(0, 2)),
    OpCase("slice_update", lambda r: (normal(r, 3, 4, 2), [1, 0, 1], normal(r, 2, 3, 1)),
           grad=(0, 2), label="3-d"),
    OpCase("scatter", lambda r: _scatter_case(r, 3, False), grad=(1,), label="entries"),
    OpCase("scatter", lambda r: _scatter_case(r, 1, True), grad=(1,),
           label="blocks,duplicates add"),
    OpCase("scatter", lambda r: _scatter_case(r, 2, True), grad=(1,),
           label="rows,duplicates add"),
    OpCase("scatter_update", lambda r: _scatter_update_case(r, 3, False), grad=(0, 2),
           label="entries"),
    OpCase("scatter_update", lambda r: _scatter_update_case(r, 1, False), grad=(0, 2),
           label="blocks"),
    OpCase("scatter_update", lambda r: _scatter_update_case(r, 2, True), grad=(0, 2),
           label="duplicates,last wins", oracle=False,
           note="torch's index_put gives an overwritten duplicate update the gradient too; "
                "see test_scatter_update_overwritten_duplicate_gradient_keras_bug"),
    OpCase("scatter_update", lambda r: _scatter_update_case(r, 2, True), {"reduction": "add"},
           grad=(0, 2), label="add"),
    OpCase("scatter_update", lambda r: _scatter_update_case(r, 3, True, away_from_zero),
           {"reduction": "mul"}, grad=(0, 2), label="mul"),
    OpCase("scatter_update", lambda r: _scatter_extreme_case(r, 3), {"reduction": "max"},
           grad=(0, 2), kinked=True, label="max"),
    OpCase("scatter_update", lambda r: _scatter_extreme_case(r, 1), {"reduction": "min"},
           grad=(0, 2), kinked=True, label="min,blocks"),
    OpCase("unstack", lambda r: (normal(r, side(r), 3),), oracle=False, note=TENSOR_INPUT),
    OpCase("unstack", lambda r: (normal(r, 2, 3, 4),), {"axis": -1}, label="axis=-1",
           oracle=False, note=TENSOR_INPUT),
    OpCase("unstack", lambda r: (normal(r, 2, 3),), {"num": 3, "axis": 1}, label="num=3",
           oracle=False, note=TENSOR_INPUT),
    # ------------------------------------------------------------ control flow
    OpCase("switch", _switch_case, grad=(2,), label="clamped index"),
    OpCase("while_loop", lambda r: (always, damped, normal(r, side(r), 2)),
           {"maximum_iterations": 3}, grad=(2,), label="maximum_iterations=3"),
    OpCase("fori_loop", lambda r: (0, 3, polynomial_body, normal(r, side(r)) * 0.5),
           grad=(3,)),
    OpCase("scan", lambda r: (rnn_step, normal(r, 3), normal(r, side(r), 3) * 0.5),
           grad=(1, 2)),
    OpCase("scan", lambda r: (rnn_step, normal(r, 2), normal(r, side(r), 2) * 0.5),
           {"reverse": True, "unroll": 2}, grad=(1, 2), label="reverse"),
    OpCase("scan", lambda r: (counter_step, normal(r, 2) * 0.5), {"length": 4}, grad=(1,),
           label="xs=None,length=4"),
    OpCase("scan", lambda r: (carry_only_step, normal(r, 2), away_from_zero(normal(r, 3, 2))),
           grad=(1, 2), label="y=None"),
    OpCase("map", lambda r: (square, normal(r, side(r), 3)), grad=(1,)),
    OpCase("map", lambda r: (square_and_double, normal(r, side(r))), grad=(1,),
           label="dict outputs"),
    OpCase("associative_scan", lambda r: (plus, normal(r, side(r, 2, 9), 2)), grad=(1,),
           label="sum", rtol=1e-5, atol=1e-5),
    OpCase("associative_scan", lambda r: (times, 1 + 0.3 * normal(r, 2, side(r, 2, 8))),
           {"axis": 1, "reverse": True}, grad=(1,), label="product,axis=1,reverse"),
    OpCase("associative_scan", lambda r: (matrix_product, normal(r, side(r, 2, 7), 2, 2)),
           grad=(1,), label="matrix product", rtol=1e-4, atol=1e-5),
    OpCase("associative_scan", lambda r: (plus, normal(r, 2, 3, 5)), {"axis": -1}, grad=(1,),
           label="axis=-1"),
    OpCase("vectorized_map", lambda r: (row_energy, normal(r, side(r), 3)), grad=(1,),
           oracle=False, note=TENSOR_INPUT),
]

#: Cases whose output is float32 whatever the input: central differences cannot check a
#: float32 output to 1e-7, so they are left to the oracle (torch's exact derivative) and to
#: test_cast_passes_the_gradient_between_floats_in_the_input_dtype.
FLOAT32_OUTPUT = {"cast[float32]", "saturate_cast[float32]"}

test_gradient, test_repeatable, test_no_gradient = gradient_tests(
    [case for case in CASES if case.id not in FLOAT32_OUTPUT])


def watched(tape, *arrays):
    return [tape.watch(np.asarray(a, dtype=np.float64)) for a in arrays]


def gradients(function, *arrays):
    """The gradient of ``sum(function(*arrays))`` for each array, from the tape."""
    tape = Tape()
    with tape:
        inputs = watched(tape, *arrays)
        out = function(*inputs)
    found = tape.backward(out, np.ones_like(out.value))
    return [found.get(id(x), np.zeros_like(x.value)) for x in inputs]


def test_all_lists_keras_core_names_and_the_two_filed_elsewhere():
    assert len(core.__all__) == 22 and len(set(core.__all__)) == 22
    assert all(callable(getattr(ops, name)) for name in core.__all__)
    assert "vectorize" not in core.__all__ and "jvp" not in core.__all__
    assert ops.numpy.vectorize is core.vectorize


# ------------------------------------------------------------------ dtypes and conversion
def test_convert_to_tensor_gives_python_values_keras_dtypes():
    assert ops.convert_to_tensor(3.0).dtype == np.float32
    assert ops.convert_to_tensor(3).dtype == np.int32
    assert ops.convert_to_tensor(True).dtype == np.bool_
    assert ops.convert_to_tensor([1, 2.5]).dtype == np.float32
    assert ops.convert_to_tensor([]).dtype == np.float32
    assert ops.convert_to_tensor(2 ** 40).dtype == np.int64
    x = np.ones(2)
    assert ops.convert_to_tensor(x) is x                  # an array is already a tensor
    assert ops.convert_to_tensor(x, dtype=int).dtype == np.int32


def test_convert_to_tensor_keeps_traced_values_on_the_tape_and_stacks_lists_of_them():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    grad_a, grad_b = gradients(
        lambda x, y: ops.convert_to_tensor([x, y * 2.0]) * np.array([[1.0], [10.0]]), a, b)
    np.testing.assert_array_equal(grad_a, [1.0, 1.0])
    np.testing.assert_array_equal(grad_b, [20.0, 20.0])
    tape = Tape()
    with tape:
        (x,) = watched(tape, a)
        assert ops.convert_to_tensor(x) is x
        assert isinstance(ops.convert_to_tensor(x, "float32"), Traced)


def test_convert_to_tensor_refuses_sparse_and_ragged_and_unknown_dtypes():
    with pytest.raises(ValueError, match=r"ops.convert_to_tensor: `sparse=True`"):
        ops.convert_to_tensor([1.0], sparse=True)
    with pytest.raises(ValueError, match="ragged"):
        ops.convert_to_tensor([1.0], ragged=True)
    with pytest.raises(ValueError, match="bfloat16.*NumPy"):
        ops.convert_to_tensor([1.0], dtype="bfloat16")
    with pytest.raises(ValueError, match="`dtype` must be one of"):
        ops.cast(np.ones(2), "float")


def test_is_tensor_dtype_shape_and_convert_to_numpy():
    weight = keras.Variable(np.ones((2, 3), dtype=np.float32))
    assert ops.is_tensor(np.ones(2)) and ops.is_tensor(np.float32(1.0))
    assert not ops.is_tensor(weight) and not ops.is_tensor([1.0]) and not ops.is_tensor(1.0)
    assert ops.dtype(np.ones(2, np.int64)) == "int64" and ops.dtype(weight) == "float32"
    assert ops.shape(weight) == (2, 3) and ops.shape(np.ones((4, 1))) == (4, 1)
    with pytest.raises(TypeError, match=r"ops.dtype: .*got float"):
        ops.dtype(1.0)
    tape = Tape()
    with tape:
        (x,) = watched(tape, [1.0, 2.0])
        assert ops.is_tensor(x) and ops.shape(x) == (2,) and ops.dtype(x) == "float64"
        copy = ops.convert_to_numpy(x * 2.0)
    assert type(copy) is np.ndarray and copy.tolist() == [2.0, 4.0]
    assert ops.convert_to_numpy([np.ones(2), np.zeros(2)]).shape == (2, 2)


def test_cast_passes_the_gradient_between_floats_in_the_input_dtype():
    tape = Tape()
    with tape:
        x = tape.watch(np.array([1.5, -2.5], dtype=np.float32))
        y = ops.cast(x, "float64")
        assert isinstance(ops.cast(x, "float16"), Traced)
        assert not isinstance(ops.cast(x, "int32"), Traced)   # truncation: no gradient
    grad = tape.backward(y, np.array([2.0, 3.0]))[id(x)]
    assert grad.dtype == np.float32 and grad.tolist() == [2.0, 3.0]
    np.testing.assert_array_equal(ops.cast(np.array([1.7, -2.7]), "int32"), [1, -2])


def test_saturate_cast_clips_to_the_target_range():
    # The example of Keras's docstring: a wrapping cast against a saturating one.
    x = np.array([-1.0, 256.0], dtype=np.float32)
    assert ops.cast(x, "uint8").tolist() == [255, 0]
    assert ops.saturate_cast(x, "uint8").tolist() == [0, 255]
    assert ops.saturate_cast(np.array([np.inf, -np.inf]), "float16").tolist() == \
        [65504.0, -65504.0]
    assert ops.saturate_cast(np.array([3e9], np.float32), "uint32")[0] < 2 ** 32
    big = np.array([1e39, 2.0, -1e39])
    (grad,) = gradients(lambda v: ops.saturate_cast(v, "float32"), big)
    np.testing.assert_array_equal(grad, [0.0, 1.0, 0.0])    # clipped entries: no gradient


# ------------------------------------------------------------------ slicing and scattering
def test_slice_and_slice_update_goldens():
    x = np.arange(20.0).reshape(4, 5)
    np.testing.assert_array_equal(ops.slice(x, [1, 2], [2, 3]), [[7, 8, 9], [12, 13, 14]])
    np.testing.assert_array_equal(ops.slice(x, np.array([3, 3]), [1, -1]), [[18, 19]])
    out = ops.slice_update(np.zeros((5, 5)), [3, 3], np.ones((2, 2), np.float32))
    assert out.dtype == np.float64 and out.sum() == 4 and out[3:, 3:].sum() == 4
    grad_x, grad_u = gradients(
        lambda a, u: ops.slice_update(a, [0, 1], u) * np.arange(6.0).reshape(2, 3),
        np.ones((2, 3)), np.ones((1, 2)))
    np.testing.assert_array_equal(grad_x, [[0, 0, 0], [3, 4, 5]])
    np.testing.assert_array_equal(grad_u, [[1, 2]])


def test_slice_errors_name_the_op_and_the_fix():
    with pytest.raises(ValueError, match=r"ops.slice: the window 3:6 on axis 0 does not fit"):
        ops.slice(np.zeros((4, 4)), [3, 0], [3, 1])
    with pytest.raises(ValueError, match=r"ops.slice: `start_indices`.*one entry per axis"):
        ops.slice(np.zeros((4, 4)), [0], [1])
    with pytest.raises(ValueError, match=r"ops.slice_update: `updates` must have the rank"):
        ops.slice_update(np.zeros((4, 4)), [0, 0], np.ones(2))


def test_scatter_adds_duplicates_as_in_keras():
    out = ops.scatter([[0, 1], [1, 1]], np.array([1.0, 1.0]), (2, 2))   # Keras's docstring
    np.testing.assert_array_equal(out, [[0, 1], [0, 1]])
    out = ops.scatter([[0, 1], [0, 1], [1, 1]], np.array([1.0, 2.0, 3.0], np.float32), (2, 2))
    assert out.dtype == np.float32 and out.tolist() == [[0, 3], [0, 3]]
    (grad,) = gradients(lambda v: ops.scatter([[2], [0], [2]], v, (3,)) * np.array([1, 2, 3.]),
                        np.ones(3))
    np.testing.assert_array_equal(grad, [3, 1, 3])           # a gather of the upstream


def test_scatter_update_reductions_and_duplicates():
    zeros = np.zeros(4)
    out = ops.scatter_update(zeros, [[0], [0], [1]], np.array([1.0, 1.0, 1.0]), reduction="add")
    np.testing.assert_array_equal(out, [2, 1, 0, 0])         # Keras's docstring example
    assert zeros.tolist() == [0, 0, 0, 0]                    # the input is not modified
    out = ops.scatter_update(zeros, [[0], [0], [1]], np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(out, [2, 3, 0, 0])         # the last write wins
    twos = np.full(4, 2.0, np.float32)
    mul = ops.scatter_update(twos, [[0], [0], [1]], np.array([1.0, 2.0, 3.0]), reduction="MUL")
    assert mul.dtype == np.float32 and mul.tolist() == [4, 6, 2, 2]
    top = ops.scatter_update(twos, [[0], [0], [1]], np.array([1.0, 5.0, 3.0]), reduction="max")
    assert top.tolist() == [5, 3, 2, 2]
    block = ops.scatter_update(np.zeros((3, 2)), [[2], [0]], np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(block, [[3, 4], [0, 0], [1, 2]])
    with pytest.raises(ValueError, match=r"ops.scatter_update: `reduction` must be one of"):
        ops.scatter_update(zeros, [[0]], np.ones(1), reduction="mean")
    with pytest.raises(ValueError, match=r"out of range"):
        ops.scatter_update(zeros, [[4]], np.ones(1))


def test_scatter_update_gradients_of_overwrite_and_of_a_zero_multiplier():
    upstream = np.array([1.0, 10.0, 100.0])
    grad_x, grad_u = gradients(
        lambda x, u: ops.scatter_update(x, [[1], [1], [2]], u) * upstream,
        np.ones(3), np.array([5.0, 6.0, 7.0]))
    np.testing.assert_array_equal(grad_x, [1, 0, 0])         # overwritten entries: none
    np.testing.assert_array_equal(grad_u, [0, 10, 100])      # the overwritten update: none
    grad_x, grad_u = gradients(
        lambda x, u: ops.scatter_update(x, [[0], [0], [0], [1]], u, reduction="mul"),
        np.array([2.0, 3.0]), np.array([0.0, 4.0, 5.0, 0.0]))
    np.testing.assert_array_equal(grad_x, [0, 0])
    # d/du_0 of 2*u_0*4*5 is 40 (the other updates); u_3 alone at place 1: 3.
    np.testing.assert_array_equal(grad_u, [40, 0, 0, 3])


def test_unstack_returns_a_list_and_stacks_the_gradient_back():
    pieces = ops.unstack(np.arange(6).reshape(2, 3), axis=1)
    assert isinstance(pieces, list) and [p.tolist() for p in pieces] == [[0, 3], [1, 4], [2, 5]]
    (grad,) = gradients(lambda x: ops.unstack(x, axis=-1)[2] * 3.0, np.ones((2, 3)))
    np.testing.assert_array_equal(grad, [[0, 0, 3], [0, 0, 3]])
    with pytest.raises(ValueError, match=r"ops.unstack: `num`=2 but axis 0"):
        ops.unstack(np.ones((3, 2)), num=2)


# ------------------------------------------------------------------ control flow
def test_cond_runs_and_differentiates_only_the_branch_taken():
    calls = []

    def branch(name, factor):
        def run():
            calls.append(name)
            return x * factor
        return run
    tape = Tape()
    with tape:
        (x,) = watched(tape, [1.0, 2.0])
        y = ops.cond(np.array(False), branch("true", 2.0), branch("false", 3.0))
    assert calls == ["false"]
    np.testing.assert_array_equal(tape.backward(y, np.ones(2))[id(x)], [3.0, 3.0])
    assert ops.cond(ops.convert_to_tensor(True), lambda: 1, lambda: 2) == 1
    with pytest.raises(ValueError, match=r"ops.cond: `pred` must be a scalar boolean"):
        ops.cond(np.array([True, False]), lambda: 1, lambda: 2)


def test_switch_clamps_the_index_into_range():
    branches = [lambda x: x + 1.0, lambda x: x * 10.0]
    assert ops.switch(5, branches, np.ones(2)).tolist() == [10.0, 10.0]
    assert ops.switch(-3, branches, np.ones(2)).tolist() == [2.0, 2.0]
    assert ops.switch(np.array(1), branches, np.ones(1)).tolist() == [10.0]


def test_while_and_fori_loops_keras_docstring_examples():
    assert ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0) == 10
    x, y = ops.while_loop(lambda x, y: x < 10, lambda x, y: (x + 1, y + 1), (0, 1))
    assert (int(x), int(y)) == (10, 11)
    assert ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0, maximum_iterations=4) == 4
    assert isinstance(ops.while_loop(lambda a, b: a < 2, lambda a, b: (a + 1, b), [0, 5]),
                      tuple)
    assert ops.fori_loop(0, 10, lambda i, s: s + i, 0) == 45


def unrolled_gradient(step, x, steps):
    def unrolled(v):
        for _ in range(steps):
            v = step(v)
        return v
    return gradients(unrolled, x)[0]


def test_while_loop_and_fori_loop_gradients_equal_the_unrolled_computation():
    x = np.array([0.3, -1.2, 0.8])
    step = lambda v: v * v * 0.5 + v * 0.7 + 0.1               # noqa: E731
    expected = unrolled_gradient(step, x, 4)
    (looped,) = gradients(lambda v: ops.while_loop(lambda i, v: i < 4,
                                                   lambda i, v: (i + 1, step(v)), (0, v))[1], x)
    np.testing.assert_allclose(looped, expected, rtol=1e-12)
    (counted,) = gradients(lambda v: ops.fori_loop(0, 4, lambda i, v: step(v), v), x)
    np.testing.assert_allclose(counted, expected, rtol=1e-12)


def test_scan_gradient_equals_backpropagation_through_the_unrolled_steps():
    rng = np.random.default_rng(3)
    h0, xs = rng.normal(size=3), rng.normal(size=(5, 3))

    def unrolled(h, x):
        outputs = []
        for t in range(5):
            h, y = rnn_step(h, x[t])
            outputs.append(y)
        return ops.stack(outputs) * 2.0 + ops.reshape(h, (1, 3))

    def scanned(h, x):
        carry, ys = ops.scan(rnn_step, h, x)
        return ys * 2.0 + ops.reshape(carry, (1, 3))
    for ours, theirs in zip(gradients(scanned, h0, xs), gradients(unrolled, h0, xs)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_scan_structures_reverse_and_errors():
    carry, ys = ops.scan(lambda c, x: (c + x, c), 0.0, np.arange(4.0), reverse=True)
    assert float(carry) == 6.0 and ys.tolist() == [6.0, 5.0, 3.0, 0.0]
    carry, ys = ops.scan(lambda c, x: ((c[0] + x["a"], c[1] * 2.0), {"s": c[0]}),
                         (0.0, 1.0), {"a": np.arange(3.0)})
    assert [float(c) for c in carry] == [3.0, 8.0] and ys["s"].tolist() == [0.0, 0.0, 1.0]
    carry, ys = ops.scan(lambda c, x: (c + 1.0, None), np.zeros(2), length=3)
    assert isinstance(ys, list) and ys[0].shape == (3, 2) and not ys[0].any()
    with pytest.raises(ValueError, match=r"ops.scan: got no `xs`"):
        ops.scan(lambda c, x: (c, c), 0.0)
    with pytest.raises(ValueError, match=r"ops.scan: `unroll` must be a positive integer"):
        ops.scan(lambda c, x: (c, c), 0.0, length=2, unroll=0)
    with pytest.raises(TypeError, match=r"ops.scan: `f` must return a pair"):
        ops.scan(lambda c, x: c, 0.0, length=2)
    with pytest.raises(ValueError, match=r"ops.scan: `length`=2 but xs has 3"):
        ops.scan(lambda c, x: (c, c), 0.0, np.ones(3), length=2)


def test_map_keras_docstring_examples():
    xs = ops.arange(10)
    assert ops.map(lambda x: x ** 2, xs).tolist() == [i * i for i in range(10)]
    ys = ops.map(lambda x: {"y1": x ** 2, "y2": x * 10}, xs)
    assert ys["y2"].tolist() == list(range(0, 100, 10))


def test_associative_scan_keras_examples_and_non_commutative_rules():
    assert ops.associative_scan(lambda x, y: x + y, ops.arange(5)).tolist() == [0, 1, 3, 6, 10]
    xs = [np.array([1, 2]) for _ in range(3)]
    ys = ops.associative_scan(lambda x, y: [x[0] + y[0], x[1] + y[1], x[2] + y[2]], xs)
    assert [y.tolist() for y in ys] == [[1, 3], [1, 3], [1, 3]]
    assert ops.associative_scan(lambda x, y: x + y, np.arange(5)).dtype == np.arange(5).dtype
    # The linear recurrence h_t = a_t h_{t-1} + b_t is the scan of (a, b) under the
    # associative rule (a1, b1) o (a2, b2) = (a1 a2, b1 a2 + b2).
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 1.5, 9), rng.normal(size=9)
    _, h = ops.associative_scan(lambda p, q: (p[0] * q[0], p[1] * q[0] + q[1]), (a, b))
    expected, state = [], 0.0
    for t in range(9):
        state = a[t] * state + b[t]
        expected.append(state)
    np.testing.assert_allclose(h, expected, rtol=1e-12)
    # Matrix products (not commutative): prefixes in order; reverse gives suffixes.
    m = rng.normal(size=(6, 2, 2))
    prefixes = ops.associative_scan(lambda p, q: p @ q, m)
    np.testing.assert_allclose(prefixes[-1], m[0] @ m[1] @ m[2] @ m[3] @ m[4] @ m[5])
    suffixes = ops.associative_scan(lambda p, q: q @ p, m, reverse=True)
    np.testing.assert_allclose(suffixes[1], m[1] @ m[2] @ m[3] @ m[4] @ m[5])
    with pytest.raises(ValueError, match=r"ops.associative_scan: every array"):
        ops.associative_scan(lambda p, q: p, (np.ones(3), np.ones(4)))


def test_vectorized_map_structures_and_gradient_to_a_weight():
    elements = (np.arange(3.0), np.arange(3.0) + 1)
    np.testing.assert_array_equal(ops.vectorized_map(lambda e: e[0] * e[1], elements),
                                  [0, 2, 6])
    pair = ops.vectorized_map(lambda e: (e * 2.0, e), np.arange(3.0))
    assert isinstance(pair, tuple) and pair[0].tolist() == [0, 2, 4]
    weight = keras.Variable(np.array([1.0, 2.0]))
    weight.zero_grad()
    tape = Tape()
    with tape:
        (x,) = watched(tape, [[1.0, 1.0], [2.0, 3.0]])
        y = ops.vectorized_map(lambda row: ops.sum(row * weight), x)
    grads = tape.backward(y, np.array([1.0, 10.0]))
    np.testing.assert_array_equal(grads[id(x)], [[1, 2], [10, 20]])
    np.testing.assert_array_equal(weight.grad, [21, 31])


def test_vectorize_broadcasts_loops_and_differentiates():
    add = ops.vectorize(lambda a, b: a + b)
    assert add(np.array([1, 2, 3, 4]), 2).tolist() == [3, 4, 5, 6]   # Keras's docstring
    assert add(np.ones((2, 1)), np.arange(3.0)).shape == (2, 3)
    matvec = ops.vectorize(lambda m, v: m @ v, signature="(m,n),(n)->(m)")
    m, v = np.arange(30.0).reshape(5, 2, 3), np.array([1.0, 0.0, 2.0])
    np.testing.assert_array_equal(matvec(m, v), m @ v)
    scaled = ops.vectorize(lambda x, k: x * k, excluded={1})
    assert scaled(np.arange(3.0), np.array([1.0, 2.0, 3.0]))[2].tolist() == [2, 4, 6]
    grad_m, grad_v = gradients(lambda a, b: matvec(a, b), m, v)
    np.testing.assert_array_equal(grad_m, np.broadcast_to(v, m.shape))
    np.testing.assert_array_equal(grad_v, m.sum(axis=(0, 1)))
    with pytest.raises(ValueError, match=r"ops.vectorize: `signature`"):
        ops.vectorize(lambda a: a, signature="m->n")


# ------------------------------------------------------------------ gradient control
def test_stop_gradient_straight_through_estimator():
    x = np.array([0.2, 1.7, -0.6])
    (grad,) = gradients(lambda v: v + ops.stop_gradient(ops.round(v) - v), x)
    np.testing.assert_array_equal(grad, [1, 1, 1])
    tape = Tape()
    with tape:
        (v,) = watched(tape, x)
        assert not isinstance(ops.stop_gradient(v * 2.0), Traced)


@ops.custom_gradient
def log1pexp(x):
    # Keras's docstring example, verbatim: the portable form of the gradient function.
    e = ops.exp(x)

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

    return ops.log(1 + e), grad


@ops.custom_gradient
def clip_gradient(x):
    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return ops.clip(upstream, -1.0, 1.0)
    return x, grad


def test_custom_gradient_keras_docstring_example():
    x = np.array([-3.0, 0.0, 2.0, 100.0])
    tape = Tape()
    with tape:
        (v,) = watched(tape, x)
        y = log1pexp(v)
        assert len(tape.records) == 1                       # one op, not exp/add/log
    np.testing.assert_allclose(y.value[:3], np.log1p(np.exp(x[:3])))
    grad = tape.backward(y, np.ones(4))[id(v)]
    np.testing.assert_allclose(grad, 1 / (1 + np.exp(-x)))   # sigmoid, finite at x = 100


def test_custom_gradient_other_grad_forms_several_inputs_and_outputs():
    @ops.custom_gradient
    def scaled(x, y, name="unused"):
        def grad(dy):                                      # JAX/TensorFlow form
            return dy * 10.0, None
        return x * y, grad

    @ops.custom_gradient
    def both(x):
        def grad(upstream):                                # one gradient per output
            d_double, d_half = upstream
            return d_double * 2.0 + d_half * 0.5
        return (x * 2.0, x * 0.5), grad

    grad_x, grad_y = gradients(lambda a, b: scaled(a, b, name="k"), np.ones(2), np.ones(2))
    np.testing.assert_array_equal(grad_x, [10, 10])
    np.testing.assert_array_equal(grad_y, [0, 0])
    (grad,) = gradients(lambda a: both(a)[1] * 3.0, np.ones(2))
    np.testing.assert_array_equal(grad, [1.5, 1.5])         # the unused output adds zero


def test_custom_gradient_errors():
    @ops.custom_gradient
    def no_gradient(x):
        return x * 2.0

    @ops.custom_gradient
    def too_many(x):
        return x * 2.0, lambda g: (g, g)
    with pytest.raises(TypeError, match=r"must return a pair \(output, grad_fn\)"):
        no_gradient(np.ones(2))
    with pytest.raises(ValueError, match=r"returned 2 gradients for 1 inputs"):
        gradients(too_many, np.ones(2))


def test_custom_gradient_clipping_trains():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) * 100.0).astype(np.float32)  # huge errors
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1),
                              keras.layers.Lambda(clip_gradient)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    kernel_before = model.layers[0].kernel.numpy().copy()
    with keras.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = keras.losses.MeanSquaredError()(y, y_pred)
    grads = tape.gradient(loss, model.trainable_weights)
    # The loss's gradient 2 (y_pred - y) / N reaches the Dense layer clipped to [-1, 1].
    upstream = 2.0 * (np.asarray(y_pred, dtype=np.float64) - y) / len(x)
    assert np.abs(upstream).max() > 1.0                      # so the clipping matters
    np.testing.assert_allclose(grads[1], np.clip(upstream, -1.0, 1.0).sum(axis=0), rtol=1e-5)
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert not np.allclose(model.layers[0].kernel.numpy(), kernel_before)


def test_jvp_goldens():
    out, tangent = core.jvp(lambda a: a * a, (3.0,), (1.0,))
    assert (float(out), float(tangent)) == (9.0, 6.0) and tangent.dtype == np.float32
    out, tangent = core.jvp(ops.sin, (np.float32(0.1),), (np.float32(0.2),))  # Keras's example
    np.testing.assert_allclose([out, tangent], [0.09983342, 0.19900084], rtol=1e-6)
    a = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])
    t = np.array([0.5, 1.0, -2.0])
    out, tangent = core.jvp(lambda v: ops.matmul(a, v), (np.ones(3),), (t,))
    np.testing.assert_allclose(tangent, a @ t)               # a linear map is its own J
    # Two arguments, a structured output and aux: d(x*y) = y dx + x dy.
    out, tangent, aux = core.jvp(lambda x, y: ({"p": x * y, "s": x + y}, "aux"),
                                 (np.array([2.0, 3.0]), np.array([5.0, 7.0])),
                                 (np.array([1.0, 0.0]), np.array([0.0, 1.0])), has_aux=True)
    assert aux == "aux" and out["p"].tolist() == [10.0, 21.0]
    assert tangent["p"].tolist() == [5.0, 3.0] and tangent["s"].tolist() == [1.0, 1.0]
    out, tangent = core.jvp(lambda v: np.ones(2), (np.ones(2),), (np.ones(2),))
    assert tangent.tolist() == [0.0, 0.0]                    # independent of the primal


def test_jvp_leaves_weight_gradients_alone_and_checks_shapes():
    weight = keras.Variable(np.array([2.0, -1.0]))
    weight.zero_grad()
    weight.grad += 7.0
    _, tangent = core.jvp(lambda v: v * weight, (np.ones(2),), (np.array([1.0, 3.0]),))
    assert tangent.tolist() == [2.0, -3.0] and weight.grad.tolist() == [7.0, 7.0]
    with pytest.raises(ValueError, match=r"ops.jvp: `tangents` must match `primals`"):
        core.jvp(lambda v: v, (np.ones(2),), (np.ones(3),))
    with pytest.raises(TypeError, match=r"ops.jvp: `primals` and `tangents` must be tuples"):
        core.jvp(lambda v: v, np.ones(2), np.ones(2))
