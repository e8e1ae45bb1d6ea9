"""``keras.ops.core`` against Keras 3.15.1 (torch backend): the shared cases, plus the calls
a case cannot describe -- tensors Keras's torch backend insists on, functions built per
library (cond, custom_gradient, jvp, vectorize), and Keras bugs pinned."""
import keras
import numpy as np
import pytest
import torch

from kerastutor import ops
from kerastutor.ops import core
from kerastutor.tape import Tape
from op_cases import call
from op_oracle import _flat, _numpy, _to_float32, compare_gradients, oracle_tests, our_gradient
from test_ops_core import CASES, TENSOR_INPUT

#: Cases whose values Keras computes right but whose derivative its torch backend cannot
#: give: scatter_update's max/min/mul write into a tensor autograd still needs (a
#: RuntimeError), and associative_scan computes in float32 whatever the input dtype.
#: Their values are compared by test_values; their gradients by the tests further down.
KERAS_GRADIENT_BUGS = {"scatter_update[mul]", "scatter_update[max]",
                       "scatter_update[min,blocks]", "associative_scan[sum]",
                       "associative_scan[product,axis=1,reverse]",
                       "associative_scan[matrix product]", "associative_scan[axis=-1]"}

test_values, _ = oracle_tests(CASES)
_, test_gradients = oracle_tests([c for c in CASES if c.id not in KERAS_GRADIENT_BUGS])

TENSOR_CASES = [case for case in CASES if case.note == TENSOR_INPUT]


def _tensors(args):
    """Float arrays as torch tensors (through keras.ops.convert_to_tensor); the rest as is."""
    return [keras.ops.convert_to_tensor(a) if isinstance(a, np.ndarray) else a for a in args]


def _assert_same(ours, theirs, rtol=1e-5, atol=1e-6):
    ours, theirs = _flat(ours), _flat(_numpy(theirs))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype, b.shape, b.dtype)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", TENSOR_CASES, ids=lambda c: c.id)
def test_values_with_tensor_inputs(case):
    args = _to_float32(case.make(np.random.default_rng(0)))
    _assert_same(call(case, args), call(case, _tensors(args), keras.ops), case.rtol, case.atol)


@pytest.mark.parametrize("case", [c for c in TENSOR_CASES if c.grad], ids=lambda c: c.id)
def test_gradients_with_tensor_inputs(case):
    compare_gradients(case)          # the differentiated arguments are torch leaves already


def test_cond_and_switch_take_the_same_branch():
    for namespace in (ops, keras.ops):
        x = namespace.convert_to_tensor(np.array([1.0, -2.0], np.float32))
        assert _numpy(namespace.cond(x[0] > 0, lambda: x * 2.0, lambda: x * 3.0)).tolist() == \
            [2.0, -4.0]
        branches = [lambda v: v + 1.0, lambda v: v * 10.0]
        assert _numpy(namespace.switch(7, branches, x)).tolist() == [10.0, -20.0]


def test_while_loop_fori_loop_and_scan_docstring_values_and_dtypes():
    for namespace in (ops, keras.ops):
        out = namespace.while_loop(lambda x, y: x < 10, lambda x, y: (x + 1, y + 1), (0, 1))
        assert [int(v) for v in out] == [10, 11]
        assert [str(_numpy(v).dtype) for v in out] == ["int32", "int32"]
        assert int(namespace.fori_loop(0, 10, lambda i, s: s + i, 0)) == 45
    carry_ours, ys_ours = ops.scan(lambda c, x: (c + 1.0, c * 2.0), 0.0, length=3)
    carry_theirs, ys_theirs = keras.ops.scan(lambda c, x: (c + 1.0, c * 2.0), 0.0, length=3)
    _assert_same([carry_ours, ys_ours], [carry_theirs, ys_theirs])


def test_saturate_cast_to_float16_clips_to_its_largest_value():
    x = np.array([-1e5, 3.7, 7e4, np.inf], dtype=np.float32)
    _assert_same(ops.saturate_cast(x, "float16"), keras.ops.saturate_cast(x, "float16"))


def test_custom_gradient_docstring_example_against_torch():
    def build(namespace):
        @namespace.custom_gradient
        def log1pexp(x):
            e = namespace.exp(x)

            def grad(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                return namespace.multiply(upstream, 1.0 - 1.0 / namespace.add(1, e))
            return namespace.log(1 + e), grad
        return log1pexp
    x = np.array([-3.0, 0.5, 2.0])
    leaf = torch.tensor(x, requires_grad=True)
    build(keras.ops)(leaf).sum().backward()
    tape = Tape()
    with tape:
        v = tape.watch(x)
        y = build(ops)(v)
    np.testing.assert_allclose(tape.backward(y, np.ones(3))[id(v)], leaf.grad.numpy(),
                               rtol=1e-12)


def test_jvp_matches_torch_func_jvp():
    rng = np.random.default_rng(0)
    a, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    b, s = rng.normal(size=4), rng.normal(size=4)

    def fun(namespace):
        return lambda x, y: {"p": namespace.tanh(x) * y, "q": namespace.sum(x * x, axis=0)}
    ours_out, ours_tangent = core.jvp(fun(ops), (a, b), (t, s))
    theirs_out, theirs_tangent = keras.ops.jvp(
        fun(keras.ops), tuple(torch.tensor(v) for v in (a, b)),
        tuple(torch.tensor(v) for v in (t, s)))
    for key in ("p", "q"):
        np.testing.assert_allclose(ours_out[key], theirs_out[key].numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours_tangent[key], theirs_tangent[key].numpy(), rtol=1e-10)
    out, tangent = keras.ops.jvp(lambda v: v * v, (torch.tensor(3.0),), (torch.tensor(1.0),))
    assert (float(out), float(tangent)) == (9.0, 6.0) == tuple(
        float(v) for v in core.jvp(lambda v: v * v, (3.0,), (1.0,)))


def test_vectorize_matches_keras():
    x, y = np.arange(4, dtype=np.int32), np.int32(2)
    _assert_same(ops.vectorize(lambda a, b: a + b)(x, y),
                 keras.ops.vectorize(lambda a, b: a + b)(x, y))
    m = np.random.default_rng(1).normal(size=(5, 2, 3)).astype(np.float32)
    v = np.array([1.0, 0.0, 2.0], np.float32)
    _assert_same(ops.vectorize(lambda p, q: p @ q, signature="(m,n),(n)->(m)")(m, v),
                 keras.ops.vectorize(lambda p, q: p @ q, signature="(m,n),(n)->(m)")(m, v))


def test_scatter_update_overwritten_duplicate_gradient_keras_bug():
    """An update that a later one overwrites does not reach the output: its gradient is 0.

    torch's ``index_put`` (under Keras's ``scatter_update``) hands every duplicate the
    gradient of the place, the overwritten one too: Keras gives [1, 1] where [0, 1] is right.
    """
    x, updates = np.zeros(3), np.array([5.0, 6.0])
    leaf = torch.tensor(updates, requires_grad=True)
    out = keras.ops.scatter_update(torch.tensor(x), [[1], [1]], leaf)
    out.sum().backward()
    assert float(out[1]) == 6.0
    assert leaf.grad.numpy().tolist() == [1.0, 1.0]            # Keras: both get it
    tape = Tape()
    with tape:
        u = tape.watch(updates)
        ours = ops.scatter_update(x, [[1], [1]], u)
    assert tape.backward(ours, np.ones(3))[id(u)].tolist() == [0.0, 1.0]


def test_associative_scan_dtype_keras_bug():
    """Keras's torch associative_scan builds its result in float32 whatever the input.

    ``keras.ops.associative_scan(lambda a, b: a + b, np.arange(5))`` is float32 (and a
    float64 input comes back float32 too); the numpy and JAX backends keep the dtype, as
    kerastutor does.
    """
    ints = np.arange(5)
    theirs = keras.ops.associative_scan(lambda a, b: a + b, ints)
    assert str(_numpy(theirs).dtype) == "float32"
    ours = ops.associative_scan(lambda a, b: a + b, ints)
    assert ours.dtype == ints.dtype and ours.tolist() == _numpy(theirs).tolist()
    doubles = np.arange(5.0)
    assert str(_numpy(keras.ops.associative_scan(lambda a, b: a + b, doubles)).dtype) == \
        "float32"
    assert ops.associative_scan(lambda a, b: a + b, doubles).dtype == np.float64


def test_slice_size_minus_one_keras_bug():
    """A size of -1 takes the rest of the axis (Keras's own shape rule); torch gives 0."""
    x = np.arange(20.0, dtype=np.float32).reshape(4, 5)
    assert tuple(keras.ops.slice(x, [1, 2], [2, -1]).shape) == (2, 0)
    assert ops.slice(x, [1, 2], [2, -1]).shape == (2, 3)
    spec = keras.ops.slice(keras.KerasTensor((4, 5)), [1, 2], [2, -1])
    assert tuple(spec.shape) == (2, 3)


@pytest.mark.parametrize("case", [c for c in CASES if c.id.startswith("associative_scan")],
                         ids=lambda c: c.id)
def test_associative_scan_gradients_at_keras_float32_precision(case):
    """Keras's torch associative_scan computes in float32 (a float64 matrix product even
    fails: "expected scalar type Float but found Double"), so its derivative is compared at
    float32 inputs and float32 precision."""
    args = _to_float32(case.make(np.random.default_rng(0)))
    (position,) = case.grad
    leaf = torch.tensor(args[position], requires_grad=True)            # float32
    their_out = call(case, args[:position] + (leaf,) + args[position + 1:], keras.ops)
    upstream = np.random.default_rng(1).standard_normal(tuple(their_out.shape))
    (their_out * torch.tensor(upstream, dtype=torch.float32)).sum().backward()
    (ours,) = our_gradient(case, [np.asarray(a, np.float64) if isinstance(a, np.ndarray)
                                  else a for a in args])
    np.testing.assert_allclose(ours, leaf.grad.numpy(), rtol=2e-4, atol=1e-5)


def test_scatter_update_reductions_have_no_torch_gradient_keras_bug():
    """Keras's torch scatter_update with max/min/mul updates its output in place in a loop,
    which torch autograd refuses; kerastutor differentiates them (gradient-checked)."""
    for reduction in ("max", "min", "mul"):
        leaf = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
        out = keras.ops.scatter_update(torch.zeros(3, dtype=torch.float64) + 1.5,
                                       [[0], [0]], leaf, reduction=reduction)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()


def test_dtype_names_match_keras():
    for value in (np.ones(2, np.float32), np.ones(2, np.int64), np.ones(2, bool),
                  np.ones(2, np.float16), np.ones(2, np.uint8)):
        assert ops.dtype(value) == keras.ops.dtype(keras.ops.convert_to_tensor(value))
