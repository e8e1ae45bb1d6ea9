"""keras.ops shapes, indexing and layout (and ``rearrange``, built from them).

``CASES`` drives the gradient check, the repeatable backward and the no-gradient
rule here, and the Keras oracle in ``tests/oracle/test_ops_shapes_against_keras.py``.
The targeted tests pin the places where the gradient has to *add*: an entry
copied by a reflecting pad, picked twice by ``take``, repeated or tiled.
"""
import numpy as np
import pytest

from kerastutor import ops
from kerastutor.tape import Tape, Traced
from op_cases import OpCase, gradient_tests


# ------------------------------------------------------------------ inputs
def _n(rng, low=2, high=5):
    return int(rng.integers(low, high))


def spread(rng, *shape):
    """Distinct numbers (no ties), so max/min/median pads stay off their kinks."""
    n = int(np.prod(shape))
    values = np.arange(n) * 0.37 + rng.uniform(0, 0.1, size=n)
    return rng.permutation(values - values.mean()).reshape(shape)


def vector(rng):
    return (spread(rng, _n(rng, 3, 7)),)


def matrix(rng):
    return (spread(rng, _n(rng), _n(rng)),)


def cube(rng):
    return (spread(rng, _n(rng), _n(rng), _n(rng)),)


def fixed(*shape):
    return lambda rng: (spread(rng, *shape),)


def pieces(count, *shape):
    """A list of same-shaped arrays (joined ops are differentiated through all of them)."""
    return lambda rng: ([spread(rng, *shape) for _ in range(count)],)


def with_extra(shape, *extra):
    return lambda rng: (spread(rng, *shape), *extra)


def take_indices(rng):
    x = spread(rng, 3, _n(rng, 3, 6))
    return x, np.array([[0, -1], [1, 0]])        # a repeat and a negative index


def flat_take_indices(rng):
    x = spread(rng, 3, _n(rng, 3, 6))
    return x, np.array([[0, 4], [1, 0]])         # a repeat; flat positions


def along_indices(rng):
    x = spread(rng, 3, 4)
    return x, rng.integers(-4, 4, size=(3, 5))


CASES = [
    # ---------------------------------------------------------------- reshaping
    OpCase("reshape", fixed(2, 3, 4), {"newshape": (4, -1)}),
    OpCase("reshape", fixed(2, 6), {"newshape": (3, 2, 2)}, label="3d"),
    OpCase("ravel", cube),
    OpCase("expand_dims", matrix, {"axis": 1}),
    OpCase("expand_dims", matrix, {"axis": -1}, label="axis=-1"),
    OpCase("expand_dims", vector, {"axis": (0, 2)}, label="axis=(0,2)"),
    OpCase("squeeze", fixed(1, 3, 1), label="all"),
    OpCase("squeeze", fixed(2, 1, 3), {"axis": 1}),
    OpCase("squeeze", fixed(1, 3, 1), {"axis": (0, -1)}, label="axis=(0,-1)"),
    OpCase("broadcast_to", fixed(3, 1), {"shape": (2, 3, 4)}),
    OpCase("copy", cube),
    # ---------------------------------------------------------------- permuting
    OpCase("transpose", cube),
    OpCase("transpose", cube, {"axes": (1, 2, 0)}, label="axes"),
    OpCase("transpose", cube, {"axes": [-1, 0, 1]}, label="negative axes"),
    OpCase("moveaxis", cube, {"source": 0, "destination": -1}),
    OpCase("moveaxis", cube, {"source": [0, 1], "destination": [2, 0]}, label="lists"),
    OpCase("swapaxes", cube, {"axis1": 0, "axis2": 2}),
    OpCase("swapaxes", matrix, {"axis1": -1, "axis2": 0}, label="negative"),
    OpCase("flip", cube),
    OpCase("flip", cube, {"axis": 1}, label="axis=1"),
    OpCase("flip", cube, {"axis": (0, 2)}, label="axis=(0,2)"),
    OpCase("fliplr", matrix),
    OpCase("flipud", cube),
    OpCase("roll", matrix, {"shift": 2}),
    OpCase("roll", cube, {"shift": 1, "axis": -1}, label="axis=-1"),
    OpCase("roll", cube, {"shift": (1, -2), "axis": (0, 2)}, label="two axes"),
    OpCase("rot90", matrix),
    OpCase("rot90", cube, {"k": 2, "axes": (1, 2)}, label="k=2,axes=(1,2)"),
    OpCase("rot90", matrix, {"k": -1}, label="k=-1"),
    # ---------------------------------------------------------------- joining
    *[OpCase("concatenate", pieces(count, 2, 3), {"axis": axis}, label=f"axis={axis}",
             oracle=False, note="the oracle harness hands Keras the pieces as one stacked "
             "tensor, which keras.ops.concatenate refuses; test_concatenate_against_keras "
             "in the oracle file compares values and gradients with a list")
      for count, axis in ((3, 0), (2, -1))],
    OpCase("stack", pieces(3, 2, 3)),
    OpCase("stack", pieces(2, 2, 3), {"axis": -1}, label="axis=-1"),
    OpCase("append", lambda rng: (spread(rng, 2, 3), spread(rng, 4)), grad=(0, 1)),
    OpCase("append", lambda rng: (spread(rng, 2, 3), spread(rng, 2, 2)), {"axis": 1},
           grad=(0, 1), label="axis=1"),
    OpCase("hstack", pieces(2, 3)),
    OpCase("hstack", pieces(2, 2, 3), label="matrices"),
    OpCase("vstack", pieces(2, 3)),
    OpCase("vstack", pieces(3, 2, 3), label="matrices"),
    OpCase("dstack", pieces(2, 3)),
    OpCase("dstack", pieces(2, 2, 3), label="matrices"),
    # ---------------------------------------------------------------- splitting
    OpCase("split", fixed(4, 3), {"indices_or_sections": 2}),
    OpCase("split", fixed(3, 5), {"indices_or_sections": [1, 3], "axis": -1}, label="indices"),
    OpCase("array_split", fixed(5, 3), {"indices_or_sections": 3}),
    OpCase("array_split", fixed(2, 7), {"indices_or_sections": 3, "axis": 1}, label="axis=1"),
    OpCase("vsplit", fixed(4, 3), {"indices_or_sections": 2}),
    OpCase("hsplit", fixed(2, 6), {"indices_or_sections": [2, 5]}),
    OpCase("dsplit", fixed(2, 2, 4), {"indices_or_sections": 2}),
    # ---------------------------------------------------------------- gathering
    OpCase("get_item", fixed(3, 4), {"key": (slice(None), slice(1, None, 2))}),
    OpCase("get_item", fixed(3, 4), {"key": (1, slice(None, 3))}, label="int"),
    OpCase("take", flat_take_indices),
    OpCase("take", take_indices, label="negative", keras_bug=(
        "keras.ops.take(x, -1) with axis=None on torch counts a negative index from "
        "x.shape[0], not from x.size: take(arange(15).reshape(3, 5), [-1]) gives [2], "
        "NumPy gives [14]")),
    OpCase("take", take_indices, {"axis": 1}, label="axis=1"),
    OpCase("take", take_indices, {"axis": -2}, label="axis=-2"),
    OpCase("take", lambda rng: (spread(rng, 4, 3), np.array([3, 0, 0, -1])), {"axis": 0},
           label="embedding"),
    OpCase("take_along_axis", along_indices, {"axis": 1}),
    OpCase("take_along_axis", lambda rng: (spread(rng, 3, 4), np.array([[1, 1, 0, 2]])),
           {"axis": 0}, label="broadcast"),
    OpCase("take_along_axis", lambda rng: (spread(rng, 6), np.array([5, 0, 0, -2])),
           label="axis=None"),
    OpCase("repeat", matrix, {"repeats": 2}),
    OpCase("repeat", matrix, {"repeats": 3, "axis": 1}, label="axis=1"),
    OpCase("repeat", fixed(3, 2), {"repeats": [1, 0, 3], "axis": 0}, label="list",
           oracle=False, note="Keras 3.15.1 on torch raises for list repeats: its "
           "repeat() calls the backend's own all() on a Python list (Invalid dtype: object)"),
    OpCase("tile", matrix, {"repeats": (2, 3)}),
    OpCase("tile", vector, {"repeats": (2, 1, 2)}, label="more reps than axes"),
    OpCase("tile", cube, {"repeats": 2}, label="int"),
    # ---------------------------------------------------------------- diagonals, triangles
    OpCase("diag", vector),
    OpCase("diag", vector, {"k": -2}, label="vector,k=-2"),
    OpCase("diag", fixed(3, 4), {"k": 1}, label="matrix,k=1"),
    OpCase("diagflat", fixed(2, 2), {"k": 1}),
    OpCase("diagonal", fixed(3, 4)),
    OpCase("diagonal", fixed(2, 3, 4), {"offset": -1, "axis1": 1, "axis2": 2}, label="batched"),
    OpCase("diagonal", fixed(3, 2, 4), {"offset": 1, "axis1": -1, "axis2": 0}, label="axes"),
    OpCase("tril", matrix),
    OpCase("tril", fixed(2, 3, 4), {"k": 1}, label="batched,k=1"),
    OpCase("triu", matrix),
    OpCase("triu", fixed(3, 4), {"k": -1}, label="k=-1"),
    # ---------------------------------------------------------------- padding
    OpCase("pad", matrix, {"pad_width": ((1, 2), (0, 1))}),
    OpCase("pad", matrix, {"pad_width": ((2, 0), (1, 1)), "constant_values": 1.5},
           label="constant_values"),
    OpCase("pad", fixed(2, 3), {"pad_width": 1}, label="int width", oracle=False, note=(
        "Keras bug: keras.ops.pad(x, 1) on torch pads only the last axis (shape (2, 5), "
        "NumPy and the docs (4, 5)): pinned by test_keras_int_pad_width_pads_only_the_"
        "last_axis_on_torch")),
    OpCase("pad", fixed(3, 4), {"pad_width": ((1, 2), (2, 1)), "mode": "reflect"},
           label="reflect"),
    OpCase("pad", fixed(2, 5), {"pad_width": ((0, 0), (3, 2)), "mode": "reflect"},
           label="reflect,wide"),
    OpCase("pad", fixed(3, 4), {"pad_width": ((1, 1), (1, 0)), "mode": "symmetric"},
           label="symmetric,1"),
    OpCase("pad", fixed(3, 4), {"pad_width": ((0, 0), (2, 2)), "mode": "symmetric"},
           label="symmetric,2",
           keras_bug="keras.ops.pad(mode='symmetric') on torch is 'replicate': "
           "pad([0,1,2], 2, 'symmetric') gives [0,0,0,1,2,2,2], NumPy [1,0,0,1,2,2,1]"),
    OpCase("pad", fixed(3, 4), {"pad_width": ((1, 2), (3, 0)), "mode": "circular"},
           label="circular"),
    *[OpCase("pad", fixed(3, 4), {"pad_width": ((2, 1), (1, 3)), "mode": mode},
             label=mode, kinked=mode in ("maximum", "minimum", "median"), oracle=False,
             note=f"Keras on torch supports only constant/reflect/symmetric/circular, not "
                  f"{mode!r} (checked against np.pad in test_pad_modes_match_numpy)")
      for mode in ("edge", "wrap", "mean", "median", "maximum", "minimum", "linear_ramp")],
    OpCase("pad", fixed(4, 3), {"pad_width": ((1, 2), (2, 1)), "mode": "median"},
           label="median,even", kinked=True, oracle=False, note="torch has no median pad"),
    # ---------------------------------------------------------------- no gradient
    OpCase("ndim", cube, grad=()),
    OpCase("size", cube, grad=()),
    OpCase("view", fixed(2, 3), {"dtype": "int32"}, grad=()),
    # ---------------------------------------------------------------- einops
    OpCase("rearrange", cube, {"pattern": "a b c -> c a b"}),
    OpCase("rearrange", fixed(2, 6, 3), {"pattern": "b (h h1) w -> b h (w h1)", "h1": 2},
           label="split and merge"),
    OpCase("rearrange", fixed(6, 4), {"pattern": "(a b) c -> c (b a)", "a": 2},
           label="inferred length"),
]
test_gradient, test_repeatable, test_no_gradient = gradient_tests(CASES)


# ------------------------------------------------------------------ helpers
def vjp_of(function, x, upstream=None):
    """The gradient the tape sends to ``x`` through ``function`` for ``upstream`` (ones)."""
    with Tape() as tape:
        watched = tape.watch(np.asarray(x, dtype=np.float64))
        out = function(watched)
    upstream = np.ones(out.shape) if upstream is None else np.asarray(upstream, np.float64)
    return tape.gradient(out, upstream, watched)


# ------------------------------------------------------------------ every Keras name
def test_the_chapter_covers_its_keras_names():
    from kerastutor.ops import shapes
    covered = {case.op for case in CASES}
    assert set(shapes.__all__) <= covered | {"transpose"}
    assert "rearrange" in covered and ops.rearrange is not None


# ------------------------------------------------------------------ goldens
def test_reflect_pad_folds_the_gradient_back():
    # pad([a, b, c], 2, reflect) = [c, b, a, b, c, b, a]: a is used twice, b three times.
    x = np.array([1.0, 2.0, 3.0])
    assert ops.pad(x, 2, mode="reflect").tolist() == [3, 2, 1, 2, 3, 2, 1]
    assert vjp_of(lambda t: ops.pad(t, 2, mode="reflect"), x).tolist() == [2, 3, 2]
    upstream = np.arange(7.0)                           # g_i = i
    # a <- g2 + g6 = 8, b <- g1 + g3 + g5 = 9, c <- g0 + g4 = 4
    assert vjp_of(lambda t: ops.pad(t, 2, mode="reflect"), x, upstream).tolist() == [8, 9, 4]


def test_symmetric_and_circular_pads_match_numpy_and_fold_back():
    x = np.array([1.0, 2.0, 3.0])
    assert ops.pad(x, 2, mode="symmetric").tolist() == [2, 1, 1, 2, 3, 3, 2]
    assert vjp_of(lambda t: ops.pad(t, 2, mode="symmetric"), x).tolist() == [2, 3, 2]
    assert ops.pad(x, (1, 2), mode="circular").tolist() == [3, 1, 2, 3, 1, 2]
    assert vjp_of(lambda t: ops.pad(t, (1, 2), mode="circular"), x).tolist() == [2, 2, 2]


def test_pad_width_shorthands_pad_every_axis_as_numpy_does():
    x = np.ones((2, 3))
    for width in (1, (1,), (1, 2), ((1, 2),), [[1, 2], [0, 1]]):
        assert ops.pad(x, width).shape == np.pad(x, width).shape


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap", "mean",
                                  "median", "maximum", "minimum", "linear_ramp"])
def test_pad_modes_match_numpy(mode):
    x = spread(np.random.default_rng(3), 3, 4, 2)
    width = ((1, 2), (3, 1), (0, 2))
    np.testing.assert_allclose(ops.pad(x, width, mode=mode), np.pad(x, width, mode=mode))


def test_mean_pad_spreads_the_border_gradient_evenly():
    x = np.array([1.0, 5.0])                # pad 1 each side: [3, 1, 5, 3]
    assert ops.pad(x, 1, mode="mean").tolist() == [3, 1, 5, 3]
    # each border entry is (x0 + x1) / 2, so x0 and x1 get 1 + 2 * 1/2
    assert vjp_of(lambda t: ops.pad(t, 1, mode="mean"), x).tolist() == [2, 2]


def test_take_adds_the_gradient_of_repeated_indices():
    x = np.array([10.0, 20.0, 30.0])
    idx = np.array([0, 2, 0, -1])
    assert ops.take(x, idx).tolist() == [10, 30, 10, 30]
    assert vjp_of(lambda t: ops.take(t, idx), x, [1, 2, 3, 4]).tolist() == [4, 0, 6]


def test_take_along_axis_scatters_like_np_add_at():
    x = np.arange(6.0).reshape(2, 3)
    idx = np.array([[2, 2], [0, 1]])
    assert ops.take_along_axis(x, idx, axis=1).tolist() == [[2, 2], [3, 4]]
    grad = vjp_of(lambda t: ops.take_along_axis(t, idx, axis=1), x, [[1, 2], [3, 4]])
    assert grad.tolist() == [[0, 0, 3], [3, 4, 0]]


def test_repeat_tile_and_broadcast_sum_the_copies():
    x = np.array([[1.0, 2.0]])
    assert vjp_of(lambda t: ops.repeat(t, [2, 3], axis=1), x,
                  [[1, 2, 3, 4, 5]]).tolist() == [[3, 12]]
    assert vjp_of(lambda t: ops.repeat(t, 2), x).tolist() == [[2, 2]]
    assert vjp_of(lambda t: ops.tile(t, (3, 2)), x).tolist() == [[6, 6]]
    assert vjp_of(lambda t: ops.broadcast_to(t, (4, 2)), x).tolist() == [[4, 4]]


def test_diag_and_diagonal_are_each_others_transpose():
    v = np.array([1.0, 2.0])
    assert ops.diag(v, 1).tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    m = np.arange(9.0).reshape(3, 3)
    assert vjp_of(lambda t: ops.diag(t, 1), v, m).tolist() == [1, 5]
    assert vjp_of(lambda t: ops.diagonal(t, -1), m, [7, 8]).tolist() == \
        [[0, 0, 0], [7, 0, 0], [0, 8, 0]]


def test_split_pieces_each_send_their_gradient_back():
    x = np.arange(5.0)
    first, second = ops.array_split(x, 2)
    assert first.tolist() == [0, 1, 2] and second.tolist() == [3, 4]
    grad = vjp_of(lambda t: ops.concatenate([ops.split(t, [1, 3])[2] * 2.0,
                                             ops.split(t, [1, 3])[0]]), x)
    assert grad.tolist() == [1, 0, 0, 2, 2]
    # cut points out of order leave an empty piece, as np.split does
    assert [p.shape for p in ops.split(np.ones(4), [3, 1])] == \
        [p.shape for p in np.split(np.ones(4), [3, 1])]


def test_concatenate_of_unequal_pieces_splits_the_gradient():
    a, b = np.ones((2, 1)), np.ones((2, 3))
    with Tape() as tape:
        ta, tb = tape.watch(a), tape.watch(b)
        out = ops.concatenate([ta, tb * 2.0], axis=1)
    grads = tape.backward(out, np.arange(8.0).reshape(2, 4))
    assert grads[id(ta)].tolist() == [[0], [4]]
    assert grads[id(tb)].tolist() == [[2, 4, 6], [10, 12, 14]]


def test_joining_int_and_float_keeps_the_float_dtype_as_keras():
    out = ops.concatenate([np.zeros(2, "int32"), np.zeros(2, "float32")])
    assert out.dtype == np.float32
    assert ops.stack([np.zeros(2, "float32"), np.zeros(2, "float32")]).dtype == np.float32


def test_rearrange_golden():
    x = np.arange(12.0).reshape(2, 6)
    out = ops.rearrange(x, "a (b c) -> (c a) b", c=2)
    assert out.tolist() == x.reshape(2, 3, 2).transpose(2, 0, 1).reshape(4, 3).tolist()
    grad = vjp_of(lambda t: ops.rearrange(t, "a (b c) -> (c a) b", c=2), x,
                  np.arange(12.0).reshape(4, 3))
    assert grad.tolist() == np.arange(12.0).reshape(2, 2, 3).transpose(1, 2, 0) \
        .reshape(2, 6).tolist()


def test_meta_ops_are_plain_values():
    x = np.zeros((2, 3), "float32")
    assert ops.ndim(x) == 2 and ops.size(x) == 6
    assert ops.view(np.ones(1, "float32"), "int32").tolist() == [1065353216]


# ------------------------------------------------------------------ kind errors
@pytest.mark.parametrize("call, message", [
    (lambda: ops.pad(np.ones(3), 1, mode="wrapp"), r"ops\.pad: `mode` must be one of"),
    (lambda: ops.pad(np.ones(3), 1, mode="reflect", constant_values=2.0),
     r"ops\.pad: `constant_values` is only used by mode='constant'"),
    (lambda: ops.pad(np.ones((2, 2)), ((1, 1), (1, 1), (1, 1))), r"ops\.pad: `pad_width`"),
    (lambda: ops.squeeze(np.ones((2, 3)), axis=0), r"ops\.squeeze: axis 0 has length 2"),
    (lambda: ops.split(np.ones(5), 2), r"ops\.split: .*array_split"),
    (lambda: ops.transpose(np.ones((2, 3)), (0, 0)), r"ops\.transpose: `axes` must be a perm"),
    (lambda: ops.rot90(np.ones(3)), r"ops\.rot90: `array` must have at least 2 axes"),
    (lambda: ops.rot90(np.ones((2, 2)), axes=(1, 1)), r"ops\.rot90: `axes`"),
    (lambda: ops.take(np.ones(3), np.array([0.5])), r"ops\.take: `indices` must be integers"),
    (lambda: ops.expand_dims(np.ones(3), 0) + ops.concatenate([np.ones(2)], axis=3),
     r"ops\.concatenate: `axis` must be in"),
    (lambda: ops.diag(np.ones((2, 2, 2))), r"ops\.diag: `x` must be a vector or a matrix"),
    (lambda: ops.vsplit(np.ones(4), 2), r"ops\.vsplit: `x` must have at least 2 axes"),
    (lambda: ops.repeat(np.ones(3), -1), r"ops\.repeat: `repeats` must be non-negative"),
    (lambda: ops.rearrange(np.ones((2, 3)), "a b c -> c b a"), r"names 3 axes.*has 2"),
    (lambda: ops.rearrange(np.ones((2, 3)), "a b -> a"), r"same axes"),
    (lambda: ops.rearrange(np.ones((2, 6)), "a (b c) -> a b c"), r"cannot infer both"),
    (lambda: ops.rearrange(np.ones((2, 6)), "a (b c) -> a b c", b=4), r"cannot be split"),
    (lambda: ops.rearrange(np.ones((2, 3)), "a b c"), r"one '->'"),
    (lambda: ops.rearrange(np.ones((2, 3)), "a ... -> a ..."), r"unsupported token"),
])
def test_kind_errors_name_the_op_and_the_fix(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_traced_operands_through_joins_record_one_op():
    with Tape() as tape:
        x = tape.watch(np.ones((2, 2)))
        out = ops.vstack([x, np.zeros((1, 2))])
    assert isinstance(out, Traced) and out.shape == (3, 2)
    assert tape.gradient(out, np.ones((3, 2)), x).tolist() == [[1, 1], [1, 1]]
