"""The host-side speed-ups of the GPU path give what the plain code gives.

Each speed-up (issue 19) sits beside the code it replaces, which stays the definition:
``driver.packed_arguments`` beside ``pack_arguments``, ``_cached_layout`` beside
``_layout``, ``matmul_strided`` beside copying a view then ``matmul_tiled``, one fill
kernel beside a constant and an assign. These tests hold each one to its definition, and
count launches where saving a launch is the point. They run on the emulated device (and
on a GPU where there is one).
"""
import ctypes
import inspect
import os
import sys

import numpy as np
import pytest

import kerastutor as keras
from kerastutor import backend
from kerastutor.gpu import array, driver
from kerastutor.gpu.array import DeviceArray, Layout
from kerastutor.gpu.array import device_array, ufuncs

from test_gpu_array import DEVICES, check, grid_floats

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "benchmarks")


@pytest.fixture(params=DEVICES)
def launches(request, monkeypatch):
    """Select the device; yields the list of kernel names launched from then on."""
    previous = backend.get_device()
    keras.backend.set_device(request.param)
    runtime, names = array.current_runtime(), []
    launch = runtime.launch

    def recording(file, kernel, *args, **kwargs):
        names.append(kernel)
        return launch(file, kernel, *args, **kwargs)
    monkeypatch.setattr(runtime, "launch", recording)
    yield names
    keras.backend.set_device(previous)


# -- packed launch arguments ---------------------------------------------------------------

def _pointed_bytes(pointers, values):
    """The bytes each pointer points at, as many as its value's type has."""
    return [ctypes.string_at(pointers[i], ctypes.sizeof(value)) for i, value in enumerate(values)]


def test_packed_arguments_point_at_the_same_bytes_as_the_definition():
    layout = Layout()
    layout.rank, layout.shape[0], layout.strides[1][0] = 1, 7, 3
    for values in ([ctypes.c_uint64(2 ** 40 + 12), ctypes.c_float(0.25), ctypes.c_longlong(-5),
                    layout, ctypes.c_int(9)],
                   [ctypes.c_uint64(4096), ctypes.c_float(-1.5), ctypes.c_longlong(2 ** 33),
                    Layout(), ctypes.c_int(-2)]):
        packed = driver.packed_arguments(values)
        assert _pointed_bytes(packed, values) == \
            _pointed_bytes(driver.pack_arguments(values), values)
    # one block per signature: the second call wrote its values into the first call's fields
    assert driver.packed_arguments(values) is packed


def test_packed_arguments_take_plain_python_numbers_as_the_definition_does():
    values = [3, 0.5]
    expected = [ctypes.c_int(3), ctypes.c_float(0.5)]
    assert _pointed_bytes(driver.packed_arguments(values), expected) == \
        _pointed_bytes(driver.pack_arguments(values), expected)


# -- cached Layout structs -------------------------------------------------------------------

def _fields(layout):
    return (layout.rank, list(layout.shape), [list(row) for row in layout.strides])


def test_a_cached_layout_equals_the_layout_built_afresh(launches):
    x = array.to_device(grid_floats(1, (4, 6)))
    bias = array.to_device(grid_floats(2, (6,)))
    cases = [((4, 6), (x, bias)), ((6, 4), (x.T,)), ((4, 6), (None, x[:, ::-1])),
             ((2, 4, 6), (x, None, x[None]))]
    for shape, operands in cases:
        cached = device_array._cached_layout(shape, *operands)
        assert _fields(cached) == _fields(device_array._layout(shape, *operands))
        assert device_array._cached_layout(shape, *operands) is cached     # made once


def test_broadcast_shapes_are_numpys_and_bad_pairs_still_raise_its_error():
    assert ufuncs._broadcast((128, 512), (512,)) == np.broadcast_shapes((128, 512), (512,))
    with pytest.raises(ValueError, match="broadcast"):
        ufuncs._broadcast((3, 4), (5,))


def test_new_arrays_say_what_the_plain_constructor_says():
    made = DeviceArray.empty([2, 3, 4], np.int64)
    plain = DeviceArray(made.buffer, (2, 3, 4), dtype=np.int64)
    assert (made.shape, made.strides_elements, made.offset, made.dtype, made.is_contiguous) == \
        (plain.shape, plain.strides_elements, plain.offset, plain.dtype, plain.is_contiguous)
    assert not made.transpose(1, 0, 2).is_contiguous and made[:1].is_contiguous


def test_views_say_what_the_plain_constructor_says():
    base = DeviceArray.empty((4, 6), np.float32)
    for view, plain_arguments in [
            (base.T, ((6, 4), (1, 6), 0, np.float32)),
            (base[1:, ::2], ((3, 3), (6, 2), 6, np.float32)),
            (base[..., None], ((4, 6, 1), (6, 1, 0), 0, np.float32)),
            (base.reshape(np.int64(3), 8), ((3, 8), (8, 1), 0, np.float32)),
            (base._view([2, 3], [3, 1], np.int64(5), "int64"), ((2, 3), (3, 1), 5, np.int64))]:
        plain = DeviceArray(base.buffer, *plain_arguments)
        assert view.buffer is base.buffer
        assert (view.shape, view.strides_elements, view.offset, view.dtype, view.is_contiguous) \
            == (plain.shape, plain.strides_elements, plain.offset, plain.dtype,
                plain.is_contiguous)
        assert all(type(n) is int for n in view.shape + (view.offset,))


def test_remembered_block_sizes_are_the_rounded_sizes():
    from kerastutor.gpu import runtime
    memory = runtime.PooledMemory(raw_alloc=lambda size: size, raw_free=lambda address: None)
    for _ in range(2):                                   # worked out, then remembered
        for nbytes in (0, 1, 511, 512, 513, 4 * 128 * 512, 10 ** 9 + 3):
            assert memory.alloc(nbytes) == runtime.rounded(nbytes)   # the raw block's size
            assert runtime._ROUNDED[nbytes] == runtime.rounded(nbytes)


def test_every_remembered_answer_is_bounded_and_starts_again_when_full(launches,
                                                                        monkeypatch):
    from kerastutor.gpu import runtime
    monkeypatch.setattr(runtime, "CACHE_LIMIT", 3)
    caches = {"block sizes": runtime._ROUNDED, "reshapes": device_array._RESHAPES,
              "layouts": device_array._LAYOUTS, "index views": device_array._INDEX_VIEWS,
              "reductions": ufuncs._REDUCE_PLANS,
              "exp plans": inspect.getclosurevars(ufuncs.LEAN_UFUNCS[np.exp]).nonlocals["plans"]}
    for cache in caches.values():
        cache.clear()
    for rows in range(1, 8):                  # seven batch sizes: seven new signatures each
        host = grid_floats(rows, (rows, 3))
        x = array.to_device(host)
        check(np.exp(x), np.exp(host), rtol=1e-6)
        check(x.reshape(-1), host.reshape(-1))
        check(x[..., None], host[..., None])
        check(x.sum(axis=0), host.sum(axis=0))
        for name, cache in caches.items():
            assert 1 <= len(cache) <= 3, f"{name}: {len(cache)} entries"
    x = array.to_device(grid_floats(7, (7, 3)))
    assert (x.shape, (-1,)) in device_array._RESHAPES        # the newest stays remembered
    assert ("sum", x.dtype, x.shape, 0, False) in ufuncs._REDUCE_PLANS


# -- the product of views without copies ---------------------------------------------------

def test_products_of_transposed_and_sliced_matrices_copy_nothing(launches):
    a, b = grid_floats(3, (37, 20)), grid_floats(4, (29, 37))
    moved_a, moved_b = array.to_device(a), array.to_device(b)
    launches.clear()
    check(moved_a.T @ moved_b.T, a.T @ b.T)                 # x.T @ delta, as in dL/dW
    check(moved_b @ moved_a[:, ::-1], b @ a[:, ::-1])       # a view with a negative step
    check(moved_b[::2, 3:] @ moved_a[3:, :], b[::2, 3:] @ a[3:, :])
    assert launches == ["matmul_strided"] * 3
    out = DeviceArray.empty((20, 29))
    assert np.matmul(moved_a.T, moved_b.T, out=out) is out       # straight into `out=`
    check(out, a.T @ b.T)


def test_the_strided_product_equals_the_copying_definition(launches):
    x, w = grid_floats(5, (16, 33)), grid_floats(6, (40, 33))
    moved_x, moved_w = array.to_device(x), array.to_device(w)
    strided = moved_x @ moved_w.T
    copied = moved_x @ moved_w.T.copy()                     # the definition: copy, then tile
    assert launches[-2:] == ["unary_copy", "matmul_tiled"]
    np.testing.assert_array_equal(array.to_host(strided), array.to_host(copied))


# -- one kernel where two or three ran ----------------------------------------------------

def test_filling_a_contiguous_array_is_one_fill_and_a_view_still_works(launches):
    x = array.to_device(grid_floats(7, (5, 4)))
    launches.clear()
    x.fill(0)
    assert launches == ["fill"]
    check(x, np.zeros((5, 4), np.float32))
    x[:, 1].fill(2.5)                                       # a strided view: constant + assign
    expected = np.zeros((5, 4), np.float32)
    expected[:, 1] = 2.5
    check(x, expected)


def test_put_along_axis_copies_neither_labels_nor_values_when_contiguous(launches):
    grad = grid_floats(8, (6, 10))
    labels = np.array([[1], [0], [9], [3], [3], [7]])
    values = grid_floats(9, (6, 1))
    moved = array.to_device(grad)
    moved_labels, moved_values = array.to_device(labels), array.to_device(values)
    launches.clear()
    np.put_along_axis(moved, moved_labels, moved_values, axis=-1)
    assert launches == ["put_along_rows"]
    np.put_along_axis(grad, labels, values, axis=-1)
    check(moved, grad)
    np.put_along_axis(moved, moved_labels, moved[:, :1], axis=-1)   # values in the same buffer
    np.put_along_axis(grad, labels, grad[:, :1].copy(), axis=-1)
    check(moved, grad)


# -- the lean calls: elementwise, products, reductions, picks --------------------------------------------------------------

def _both_paths(monkeypatch, launches, expression, *host_operands):
    """``expression`` of the operands moved to the device, once by the lean call and once by
    the plain path (no lean calls registered): the two results and the two launch lists."""
    runs = []
    for lean in (True, False):
        with monkeypatch.context() as patch:
            if not lean:
                patch.setattr(device_array, "LEAN_UFUNCS", {})
                patch.setattr(device_array, "LEAN_FUNCTIONS", {})
                patch.setattr(ufuncs, "_lean_reduce", lambda *args: None)
                patch.setattr(device_array, "_where_into", lambda *args: False)
                patch.setattr(device_array, "_remembered_index", device_array._basic_index)
            operands = [array.to_device(v) if isinstance(v, np.ndarray) and v.dtype != np.float64
                        else v for v in host_operands]
            launches.clear()
            result = expression(*operands)
            runs.append((result, list(launches)))
    return runs


def _same(lean, plain):
    assert type(lean) is type(plain)
    assert (lean.shape, lean.dtype) == (plain.shape, plain.dtype)
    np.testing.assert_array_equal(array.to_host(lean), array.to_host(plain))


LEAN_CASES = {
    "exp": (np.exp, grid_floats(10, (6, 5))),
    "negative of a view": (lambda x: -x, grid_floats(11, (6, 5)).T),
    "isfinite says bool": (np.isfinite, grid_floats(12, (4,))),
    "logical_not of a mask": (np.logical_not, grid_floats(13, (3, 3)) > 0),
    "add, same shapes": (np.add, grid_floats(14, (6, 5)), grid_floats(15, (6, 5))),
    "add, broadcast bias": (lambda x, b: x + b, grid_floats(16, (6, 5)), grid_floats(17, (5,))),
    "outer broadcast": (np.multiply, grid_floats(18, (4, 1)), grid_floats(19, (1, 3))),
    "maximum with 0": (lambda x: np.maximum(x, 0), grid_floats(20, (6, 5))),
    "times a float32 scalar": (lambda x: x * np.float32(0.5), grid_floats(21, (7,))),
    "scalar minus array": (lambda x: 1.0 - x, grid_floats(22, (2, 3))),
    "comparison": (lambda x: x > 0.25, grid_floats(23, (5, 2))),
    "masks: + is or": (np.add, grid_floats(24, (5,)) > 0, grid_floats(25, (5,)) > 0),
    "mask times floats": (np.multiply, grid_floats(26, (5,)), grid_floats(27, (5,)) > 0),
    "integers stay integers": (lambda i: i + 1, np.arange(6)),
    "an empty array": (np.exp, np.zeros((0, 3), np.float32)),
    "product": (np.matmul, grid_floats(34, (6, 5)), grid_floats(35, (5, 3))),
    "product of transposes": (lambda a, b: a.T @ b.T, grid_floats(36, (5, 6)),
                              grid_floats(37, (3, 5))),
    "product, batch axes": (np.matmul, grid_floats(38, (2, 6, 5)), grid_floats(39, (5, 3))),
    "vector product": (np.matmul, grid_floats(40, (5,)), grid_floats(41, (5, 3))),
    "sum over rows": (lambda g: g.sum(axis=0), grid_floats(42, (6, 5))),
    "max, keepdims": (lambda x: x.max(axis=-1, keepdims=True), grid_floats(43, (6, 5))),
    "np.sum, positional axis": (lambda x: np.sum(x, 1), grid_floats(44, (2, 3, 4))),
    "min of a vector": (lambda x: x.min(), grid_floats(45, (7,))),
    "sum of all": (lambda x: x.sum(), grid_floats(46, (3, 4))),
    "sum of a view": (lambda x: x.T.sum(axis=0), grid_floats(47, (3, 4))),
    "sum of a mask counts": (lambda m: np.sum(m, axis=0), grid_floats(48, (3, 4)) > 0),
    "argmax": (lambda x: np.argmax(x, axis=-1), grid_floats(49, (6, 5))),
    "pick per row": (lambda q, ids: np.take_along_axis(q, ids[..., None], axis=-1),
                     grid_floats(50, (6, 5)), np.array([4, 0, 1, 1, 3, 2])),
    "pick per row, view": (lambda q, ids: np.take_along_axis(q.T, ids[:, None], axis=1),
                           grid_floats(51, (5, 6)), np.array([4, 0, 1, 1, 3, 2])),
    "zeros_like": (np.zeros_like, grid_floats(52, (4, 3))),
    "ones_like of a mask": (np.ones_like, grid_floats(53, (4, 3)) > 0),
    "empty_like, shape kept": (lambda x: np.empty_like(x).shape, grid_floats(54, (4, 3))),
    "stack of 0-d arrays": (lambda v: np.stack([v.min(), v.max()]), np.arange(7) - 2),
    "stack of rows": (lambda x, y: np.stack((x, y)), grid_floats(58, (2, 3)),
                      grid_floats(59, (2, 3))),
    "stack, axis 0 named": (lambda x: np.stack([x, x], axis=0), grid_floats(60, (4,))),
    "in place, times a host singleton": (lambda g: g.__imul__(np.reshape(1 / 3, (1, 1))),
                                         grid_floats(61, (4, 3))),
    "in place, a float32 singleton": (lambda g: g.__iadd__(np.ones(1, np.float32)),
                                      grid_floats(62, (5,))),
    "clip": (lambda q: np.clip(q, np.float32(-1), np.float32(2)), grid_floats(64, (4, 5))),
    "clip into itself": (lambda q: np.clip(q, -1.0, 2, out=q), grid_floats(65, (4, 5))),
    "put per row": (lambda g, ids, v: (np.put_along_axis(g, ids[:, None], v, axis=-1), g)[1],
                    grid_floats(66, (6, 5)), np.array([4, 0, 1, 1, 3, 2]),
                    grid_floats(67, (6, 1))),
    "divide where, into out": (
        lambda a, b: np.divide(a, b, out=np.zeros_like(b), where=a > 0),
        grid_floats(68, (6, 1)), grid_floats(69, (6, 1), 0.5, 3.0)),
    "index: new axis": (lambda ids: ids[..., None], np.arange(5)),
    "index: last axis 0": (lambda q: q[..., 0] + 0, grid_floats(70, (5, 1))),
    "index: a row of a view": (lambda q: q.T[1] * 1, grid_floats(71, (3, 4))),
    "assign through ...": (lambda g, v: (g.__setitem__(Ellipsis, v), g)[1],
                           grid_floats(72, (3, 4)), grid_floats(73, (3, 4))),
    # not lean: the plain path answers (a host operand, a float64 scalar)
    "clip by arrays": (lambda q, low: np.clip(q, low, 2.0), grid_floats(74, (4, 5)),
                       grid_floats(75, (5,))),
    "put from the same buffer": (
        lambda g, ids: (np.put_along_axis(g, ids[:, None], g[:, :1], axis=-1), g)[1],
        grid_floats(76, (6, 5)), np.array([4, 0, 1, 1, 3, 2])),
    "stack along axis 1": (lambda x: np.stack([x, x], axis=1), grid_floats(63, (4,))),
    "host operand": (lambda x: x + np.ones(5, np.float32), grid_floats(28, (3, 5))),
    "float64 scalar": (lambda x: x * np.float64(2.0), grid_floats(29, (3,))),
}

SAVES_THE_ASSIGN = {"divide where, into out"}


@pytest.mark.parametrize("case", LEAN_CASES)
def test_the_lean_elementwise_call_gives_what_the_plain_path_gives(case, launches, monkeypatch):
    (lean, lean_launches), (plain, plain_launches) = \
        _both_paths(monkeypatch, launches, *LEAN_CASES[case])
    if isinstance(plain, DeviceArray):
        _same(lean, plain)
    else:
        np.testing.assert_array_equal(lean, plain)
    if case in SAVES_THE_ASSIGN:          # the where kernel writes straight into `out`
        assert lean_launches + ["assign"] == plain_launches
    else:
        assert lean_launches == plain_launches


def test_the_lean_call_writes_into_out_or_leaves_the_copy_to_the_plain_path(launches,
                                                                           monkeypatch):
    x, y = grid_floats(30, (4, 6)), grid_floats(31, (4, 6))
    # in place: the kernel writes straight into x (one launch, no assign)
    (lean, lean_launches), (plain, plain_launches) = _both_paths(
        monkeypatch, launches, lambda a, b: np.add(a, b, out=a), x, y)
    _same(lean, plain)
    assert lean_launches == plain_launches == ["binary_add"]
    # into a transposed view: the kernel cannot write there; compute, then assign
    (lean, lean_launches), (plain, plain_launches) = _both_paths(
        monkeypatch, launches, lambda a, b: np.multiply(a, 2.0, out=b.T), x, y.T.copy())
    _same(lean, plain)
    assert lean_launches == plain_launches == ["binary_mul_as", "assign"]
    check(lean, x * 2)


def test_a_training_steps_common_calls_take_the_lean_path(launches, monkeypatch):
    def plain(*args, **kwargs):
        raise AssertionError("the plain path ran")
    for ufunc in (np.add, np.maximum, np.matmul):
        monkeypatch.setitem(device_array.UFUNCS, (ufunc, "__call__"), plain)
    for function in (np.sum, np.max, np.take_along_axis, np.zeros_like):
        monkeypatch.setitem(device_array.FUNCTIONS, function, plain)
    x, w = array.to_device(grid_floats(55, (6, 5))), array.to_device(grid_floats(56, (5, 3)))
    bias, ids = array.to_device(grid_floats(57, (3,))), array.to_device(np.arange(6) % 3)
    z = x @ w
    z += bias
    y = np.maximum(z, 0)
    picked = np.take_along_axis(y, ids[:, None], axis=-1)
    y.sum(axis=0), np.max(y, axis=-1, keepdims=True), np.zeros_like(picked)
    assert len(launches) == 7


def test_remembered_indexes_still_raise_numpys_errors_and_follow_the_offset(launches):
    x = array.to_device(grid_floats(77, (4, 3)))
    with pytest.raises(IndexError, match="out of bounds"):
        x[..., 3]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    row = x[2]
    check(row[..., None], grid_floats(77, (4, 3))[2][..., None])   # offset 6, then remembered
    check(x[1][..., None], grid_floats(77, (4, 3))[1][..., None])  # same key, offset 3


def test_remembered_reshapes_resolve_like_numpy_and_bad_ones_raise_every_time(launches):
    host = grid_floats(78, (4, 6))
    x = array.to_device(host)
    for _ in range(2):                                   # made, then remembered
        for request in [(-1, 3), (3, -1), (24,), ((2, 12),), ([6, 4],), (np.int64(8), 3)]:
            check(x.reshape(*request), host.reshape(*request))
        with pytest.raises(ValueError, match="cannot reshape"):
            x.reshape(5, -1)
    check(x.T.reshape(-1), host.T.reshape(-1))            # a view is copied first
    assert x[1:].reshape(-1).offset == 6                  # a contiguous slice is not


def test_the_lean_call_raises_numpys_error_for_shapes_that_do_not_broadcast(launches):
    a, b = array.to_device(grid_floats(32, (3, 4))), array.to_device(grid_floats(33, (5,)))
    with pytest.raises(ValueError, match="broadcast"):
        a + b


# -- the benchmark itself runs ----------------------------------------------------------

def test_the_host_overhead_benchmark_measures_a_training_step():
    sys.path.insert(0, BENCHMARKS)
    try:
        import gpu_host_overhead
    finally:
        sys.path.remove(BENCHMARKS)
    previous, saved = backend.get_device(), backend._RUNTIMES.get("emulated")
    runtime = gpu_host_overhead.HostOnlyRuntime()
    backend._RUNTIMES["emulated"] = runtime
    try:
        backend.set_device("emulated")
        seconds, launches, downloads = gpu_host_overhead.per_step(runtime, steps=8, tries=1)
    finally:
        if saved is None:
            backend._RUNTIMES.pop("emulated")
        else:
            backend._RUNTIMES["emulated"] = saved
        backend.set_device(previous)
        array.use_runtime(saved)             # the runtime arrays used before (or none)
    assert np.isfinite(seconds)               # a time (its size is no test: load swings it)
    assert 40 <= launches <= 90                  # forward, loss, backward, Adam, accuracy
    assert downloads == 0                        # the loss and accuracy stay on the device
    # (the counts are of the 6 steps the long fit has more than the short one) transposed
    # operands are read in place: 8 copies a step before, at most the accuracy's cast now
    assert runtime.launches["matmul_strided"] == 5 * 6 and runtime.launches["unary_copy"] <= 6
