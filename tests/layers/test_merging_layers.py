"""Merging layers: values against NumPy written out here, gradients, configs, models."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerastutor as keras
from kerastutor import gradcheck
from kerastutor.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Merge,
                                       Minimum, Multiply, Subtract, add, average,
                                       concatenate, dot, maximum, minimum, multiply,
                                       subtract)
from helpers import random_array
from strategies import SEEDS

ELEMENTWISE = [Add, Subtract, Multiply, Average, Maximum, Minimum]



def naive_elementwise(cls, xs):
    """The merge written position by position (after Keras's rank alignment)."""
    rank = max(x.ndim for x in xs)
    xs = [x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:]) for x in xs]
    shape = np.broadcast_shapes(*[x.shape for x in xs])
    xs = [np.broadcast_to(x, shape) for x in xs]
    out = np.empty(shape)
    for index in np.ndindex(shape):
        values = [float(x[index]) for x in xs]
        if cls is Add:
            out[index] = sum(values)
        elif cls is Subtract:
            out[index] = values[0] - values[1]
        elif cls is Multiply:
            out[index] = np.prod(values)
        elif cls is Average:
            out[index] = sum(values) / len(values)
        elif cls is Maximum:
            out[index] = max(values)
        else:
            out[index] = min(values)
    return out


def naive_dot(x1, x2, a1, a2):
    """Per-sample tensordot, looping over the batch."""
    out = np.stack([np.tensordot(x1[b], x2[b], axes=(a1 - 1, a2 - 1))
                    for b in range(x1.shape[0])])
    return out.reshape(out.shape[0], 1) if out.ndim == 1 else out


# -------------------------------------------------------- hand-made values
def test_elementwise_values_by_hand():
    a = np.array([[1.0, -2.0, 3.0]], "float32")
    b = np.array([[4.0, 5.0, -6.0]], "float32")
    np.testing.assert_array_equal(Add()([a, b]), [[5, 3, -3]])
    np.testing.assert_array_equal(Subtract()([a, b]), [[-3, -7, 9]])
    np.testing.assert_array_equal(Multiply()([a, b]), [[4, -10, -18]])
    np.testing.assert_array_equal(Average()([a, b]), [[2.5, 1.5, -1.5]])
    np.testing.assert_array_equal(Maximum()([a, b]), [[4, 5, 3]])
    np.testing.assert_array_equal(Minimum()([a, b]), [[1, -2, -6]])


def test_functional_forms_build_the_layer():
    a = np.array([[1.0, 2.0]], "float32")
    b = np.array([[3.0, 5.0]], "float32")
    np.testing.assert_array_equal(add([a, b]), [[4, 7]])
    np.testing.assert_array_equal(subtract([a, b]), [[-2, -3]])
    np.testing.assert_array_equal(multiply([a, b]), [[3, 10]])
    np.testing.assert_array_equal(average([a, b]), [[2, 3.5]])
    np.testing.assert_array_equal(maximum([a, b]), [[3, 5]])
    np.testing.assert_array_equal(minimum([a, b]), [[1, 2]])
    np.testing.assert_array_equal(concatenate([a, b]), [[1, 2, 3, 5]])
    np.testing.assert_array_equal(concatenate([a, b], axis=0), [[1, 2], [3, 5]])
    np.testing.assert_allclose(dot([a, b], axes=1), [[13]])
    np.testing.assert_allclose(dot([a, b], axes=1, normalize=True),
                               [[13 / np.sqrt(5) / np.sqrt(34)]], rtol=1e-6)


def test_lower_rank_input_gets_axes_after_the_batch_axis():
    a = random_array(0, (2, 4))
    b = random_array(1, (2, 3, 4))
    y = Add()([a, b])
    np.testing.assert_allclose(y, a[:, None, :] + b, rtol=1e-6)
    assert Add().compute_output_shape([(None, 4), (None, 3, 4)]) == (None, 3, 4)
    assert Add().compute_output_shape([(None, 1, 4), (None, 3, 1)]) == (None, 3, 4)
    assert Add().compute_output_shape([(None, None, 4), (None, 3, 4)]) == (None, None, 4)


def test_maximum_sends_the_gradient_to_the_first_winner_on_ties():
    layer = Maximum()
    a = np.array([[1.0, 2.0, 3.0]])
    b = np.array([[1.0, 5.0, 0.0]])
    y, cache = layer.forward([a, b])
    ga, gb = layer.backward(cache, np.ones_like(y))
    np.testing.assert_array_equal(ga, [[1, 0, 1]])
    np.testing.assert_array_equal(gb, [[0, 1, 0]])


def test_float64_is_preserved():
    a = random_array(0, (2, 3))
    for cls in ELEMENTWISE:
        y, _ = cls().forward([a, a])
        assert y.dtype == np.float64
    y, _ = Dot(axes=1).forward([a, a])
    assert y.dtype == np.float64
    assert Add()([a.astype("float32"), a.astype("float32")]).dtype == np.float32


# ------------------------------------------------ properties over the options
@given(cls=st.sampled_from(ELEMENTWISE), n_inputs=st.integers(1, 4),
       shapes=st.sampled_from([[(2, 3)], [(2, 3), (2, 1)], [(3, 2, 4), (3, 4)],
                               [(2, 1, 3), (2, 2, 1)], [(1, 4), (3, 4)]]),
       seed=SEEDS)
def test_elementwise_forward_and_gradients(cls, n_inputs, shapes, seed):
    if cls is Subtract:
        n_inputs = 2
    xs = [random_array(seed + i, shapes[i % len(shapes)]) for i in range(n_inputs)]
    layer = cls()
    y, _ = layer.forward(xs)
    np.testing.assert_allclose(y, naive_elementwise(cls, xs), rtol=1e-12, atol=1e-12)
    gradcheck.assert_gradients_ok(layer, xs, seed=seed)
    grads = layer.backward(layer.forward(xs)[1], np.ones_like(y))
    assert isinstance(grads, list) and [g.shape for g in grads] == [x.shape for x in xs]


@given(axis=st.sampled_from([-1, 1, 2, -2]), sizes=st.lists(st.integers(1, 3), min_size=1,
                                                             max_size=3),
       seed=SEEDS)
def test_concatenate_forward_and_gradients(axis, sizes, seed):
    shapes = []
    for size in sizes:
        shape = [2, 3, 2]
        shape[axis] = size
        shapes.append(tuple(shape))
    xs = [random_array(seed + i, s) for i, s in enumerate(shapes)]
    layer = Concatenate(axis=axis)
    y, _ = layer.forward(xs)
    start = 0
    for x in xs:                                  # each input sits in its own slice
        index = [slice(None)] * 3
        index[axis] = slice(start, start + x.shape[axis])
        np.testing.assert_array_equal(y[tuple(index)], x)
        start += x.shape[axis]
    assert y.shape[axis] == start
    symbolic = [(None,) + s[1:] for s in shapes]
    assert layer.compute_output_shape(symbolic) == (None,) + y.shape[1:]
    gradcheck.assert_gradients_ok(layer, xs, seed=seed)


@given(case=st.sampled_from([((2, 3), (2, 3), 1), ((2, 3), (2, 3), -1),
                             ((2, 3, 4), (2, 5, 3), (1, 2)), ((2, 3, 4), (2, 4, 5), [2, 1]),
                             ((2, 4), (2, 3, 4), (1, 2)), ((2, 3, 2, 4), (2, 4, 5), (3, 1)),
                             ((2, 3, 4), (2, 3, 2, 2), (1, 1))]),
       normalize=st.booleans(), seed=SEEDS)
def test_dot_forward_and_gradients(case, normalize, seed):
    shape1, shape2, axes = case
    x1, x2 = random_array(seed, shape1), random_array(seed + 1, shape2)
    layer = Dot(axes=axes, normalize=normalize)
    y, _ = layer.forward([x1, x2])
    a1, a2 = (axes, axes) if isinstance(axes, int) else axes
    a1, a2 = a1 % len(shape1), a2 % len(shape2)
    n1, n2 = x1, x2
    if normalize:
        n1 = x1 / np.sqrt((x1 ** 2).sum(axis=a1, keepdims=True))
        n2 = x2 / np.sqrt((x2 ** 2).sum(axis=a2, keepdims=True))
    np.testing.assert_allclose(y, naive_dot(n1, n2, a1, a2), rtol=1e-10, atol=1e-12)
    expected = layer.compute_output_shape([(None,) + shape1[1:], (None,) + shape2[1:]])
    assert expected == (None,) + y.shape[1:]
    gradcheck.assert_gradients_ok(layer, [x1, x2], seed=seed)


def test_dot_normalize_of_a_zero_vector_stays_finite():
    layer = Dot(axes=1, normalize=True)
    x = np.zeros((1, 3))
    y, cache = layer.forward([x, np.ones((1, 3))])
    assert np.isfinite(y).all()
    assert all(np.isfinite(g).all() for g in layer.backward(cache, np.ones_like(y)))


# ---------------------------------------------------------------- configs
@pytest.mark.parametrize("layer", [Add(), Subtract(), Multiply(), Average(), Maximum(),
                                   Minimum(), Concatenate(axis=1),
                                   Dot(axes=(1, 2), normalize=True), Dot(axes=-1)])
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    x1, x2 = random_array(0, (2, 3, 3)), random_array(1, (2, 3, 3))
    np.testing.assert_allclose(clone.forward([x1, x2])[0], layer.forward([x1, x2])[0])


def test_config_keys_follow_keras():
    assert Concatenate(axis=2).get_config()["axis"] == 2
    config = Dot(axes=[1, 2]).get_config()
    assert config["axes"] == [1, 2] and config["normalize"] is False


def test_merge_layers_are_multi_input():
    for cls in ELEMENTWISE + [Concatenate, Dot]:
        assert issubclass(cls, Merge) and cls.takes_a_list


# ----------------------------------------------------------------- errors
def test_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"add_9.*list"):
        Add(name="add_9")(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        Subtract()([np.ones((2, 3))] * 3)
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(4,))
    with pytest.raises(ValueError, match=r"incompatible shapes.*\(None, 3\).*\(None, 4\)"):
        Add()([a, b])
    with pytest.raises(ValueError, match="matching shapes except for the concatenation"):
        Concatenate(axis=1)([keras.Input(shape=(2, 3)), keras.Input(shape=(2, 4))])
    with pytest.raises(ValueError, match="axis 1 of the first has size 3"):
        Dot(axes=1)([a, b])
    with pytest.raises(ValueError, match="batch axis"):
        Dot(axes=0)([a, a])
    with pytest.raises(ValueError, match="two integers"):
        Dot(axes=(1, 2, 3))


# ----------------------------------------------------------------- models
def test_two_input_functional_model_trains_with_fit():
    rng = np.random.default_rng(0)
    left, right = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    a = keras.layers.Dense(4)(left)
    b = keras.layers.Dense(4)(right)
    merged = concatenate([add([a, b]), multiply([a, b]), maximum([a, b]),
                          subtract([a, b]), average([a, b]), minimum([a, b]),
                          dot([a, b], axes=1)])
    out = keras.layers.Dense(1)(merged)
    model = keras.Model([left, right], out)
    assert merged.shape == (None, 6 * 4 + 1) and model.output_shape == (None, 1)
    x1, x2 = rng.normal(size=(64, 3)), rng.normal(size=(64, 3))
    y = x1.sum(axis=1, keepdims=True) - x2[:, :1]
    model.compile(keras.optimizers.Adam(learning_rate=0.03), "mse")
    history = model.fit([x1, x2], y, epochs=30, batch_size=16, verbose=0)
    loss = history.history["loss"]
    assert loss[-1] < 0.5 * loss[0]


def test_one_element_list_works_in_a_functional_model():
    inputs = keras.Input(shape=(3,))
    out = keras.layers.Dense(1)(Concatenate()([keras.layers.Dense(2)(inputs)]))
    model = keras.Model(inputs, out)
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(8, 3))
    history = model.fit(x, x[:, :1], epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


# ------------------------------------------------------------------ masks
class MaskedCall(keras.layers.Layer):
    """``layer`` called with fixed masks, so gradient checks see forward(x, training)."""

    def __init__(self, layer, masks):
        super().__init__(name=f"{layer.name}_masked")
        self.layer, self.masks = layer, masks
        self.built = True

    def forward(self, x, training=False):
        return self.layer.forward(x, training, mask=self.masks)

    def backward(self, cache, grad_out):
        return self.layer.backward(cache, grad_out)


def masked_reference(cls, xs, masks):
    """Keras 3's masked merges, said another way: a padded step of an input takes no
    part -- the maximum/minimum over the real inputs (the first input's value where
    none is real), the product of the real inputs (0 where every input has a mask and
    none is real); Add, Subtract and Average ignore masks."""
    real = np.stack([np.ones(x.shape, bool) if m is None else
                     np.broadcast_to(m[..., None], x.shape) for x, m in zip(xs, masks)])
    stacked = np.stack(xs)
    if cls in (Maximum, Minimum):
        fill = -np.inf if cls is Maximum else np.inf
        pick = np.max if cls is Maximum else np.min
        best = pick(np.where(real, stacked, fill), axis=0)
        return np.where(real.any(axis=0), best, xs[0])
    if cls is Multiply:
        product = np.prod(np.where(real, stacked, 1.0), axis=0)
        every_input_masked = all(m is not None for m in masks)
        return np.where(real.any(axis=0) | (not every_input_masked), product, 0.0)
    return naive_elementwise(cls, xs)


def test_output_mask_is_the_or_of_the_masks_or_none_as_keras():
    a, b = np.array([[1, 1, 0, 0]], bool), np.array([[1, 0, 1, 0]], bool)
    xs = [np.zeros((1, 4, 2))] * 2
    for cls in ELEMENTWISE:
        np.testing.assert_array_equal(cls().compute_mask(xs, [a, b]), [[1, 1, 1, 0]])
        assert cls().compute_mask(xs, [a, None]) is None       # one input unmasked
        assert cls().compute_mask(xs, None) is None
    concat = Concatenate(axis=1)
    np.testing.assert_array_equal(concat.compute_mask(xs, [a, None]),
                                  [[1, 1, 0, 0, 1, 1, 1, 1]])
    np.testing.assert_array_equal(Concatenate().compute_mask(xs, [a, b]), [[1, 1, 1, 0]])
    np.testing.assert_array_equal(Concatenate().compute_mask(xs, [a, None]), [[1, 1, 1, 1]])
    assert Dot(axes=2).compute_mask(xs, [a, b]) is None


def test_masked_maximum_minimum_multiply_by_hand():
    x1 = np.array([[[5.0], [1.0], [2.0]]])
    x2 = np.array([[[3.0], [4.0], [-1.0]]])
    m1, m2 = np.array([[True, False, False]]), np.array([[False, True, False]])
    np.testing.assert_allclose(Maximum()([x1, x2], mask=[m1, m2]).ravel(), [5, 4, 2])
    np.testing.assert_allclose(Minimum()([x1, x2], mask=[m1, m2]).ravel(), [5, 4, 2])
    np.testing.assert_allclose(Multiply()([x1, x2], mask=[m1, m2]).ravel(), [5, 4, 0])
    np.testing.assert_allclose(Multiply()([x1, x2], mask=[m1, None]).ravel(), [15, 4, -1])
    np.testing.assert_allclose(Maximum()([x1, x2], mask=[m1, None]).ravel(), [5, 4, -1])
    np.testing.assert_allclose(Add()([x1, x2], mask=[m1, m2]).ravel(), [8, 5, 1])


@settings(max_examples=25, deadline=None)
@given(cls=st.sampled_from(ELEMENTWISE), n_inputs=st.integers(2, 4), seed=SEEDS,
       masked=st.lists(st.booleans(), min_size=4, max_size=4))
def test_masked_elementwise_forward_and_gradients(cls, n_inputs, seed, masked):
    if cls is Subtract:
        n_inputs = 2
    rng = np.random.default_rng(seed)
    shape = (2, 3, 2)
    # distinct values: no ties, so Maximum/Minimum have no kink at the checked point
    values = rng.permutation(n_inputs * 12).reshape((n_inputs,) + shape) * 0.1 - 2.0
    xs = list(values)
    masks = [rng.random(shape[:2]) < 0.5 if masked[i] else None for i in range(n_inputs)]
    layer = cls()
    y, _ = layer.forward(xs, mask=masks)
    np.testing.assert_allclose(y, masked_reference(cls, xs, masks), rtol=1e-12)
    gradcheck.assert_gradients_ok(MaskedCall(layer, masks), xs, seed=seed)
    gradcheck.assert_backward_repeatable(MaskedCall(layer, masks), xs, seed=seed)


def test_masked_branches_merge_in_a_model_as_keras():
    """Two Embedding(mask_zero=True) branches merged, then a masked mean: the merge's
    values and its output mask (OR of the masks) both follow Keras 3."""
    t1 = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    t2 = np.array([[1, 0, 0, 0], [2, 3, 1, 0]])
    for cls in ELEMENTWISE:
        a, b = keras.Input((4,), dtype="int32"), keras.Input((4,), dtype="int32")
        e1, e2 = (keras.layers.Embedding(5, 3, mask_zero=True) for _ in range(2))
        merged = cls()([e1(a), e2(b)])
        model = keras.Model([a, b], keras.layers.GlobalAveragePooling1D()(merged))
        y = model.predict([t1, t2], verbose=0)
        x1, x2 = e1.embeddings.value[t1], e2.embeddings.value[t2]
        values = masked_reference(cls, [x1, x2], [t1 != 0, t2 != 0])
        real = (t1 != 0) | (t2 != 0)
        expected = np.stack([values[n][real[n]].mean(axis=0) for n in range(2)])
        np.testing.assert_allclose(y, expected, rtol=1e-5, err_msg=cls.__name__)
