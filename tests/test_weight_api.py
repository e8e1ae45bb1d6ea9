"""Weights have Keras's ``Variable`` API: assign, assign_add, assign_sub and the attributes.

Behaviour checked against Keras 3.15.1 (torch backend): ``assign`` casts the value
to the variable's dtype, refuses any other shape (a scalar too) with a
``ValueError``, refuses strings, and returns the assigned value (a new tensor,
not the variable); ``assign_add``/``assign_sub`` are ``assign(self +/- delta)``.
"""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import ops


def make_weight(shape=(2,), dtype="float32", trainable=True, name=None):
    layer = keras.layers.Layer(name="holder")
    return layer.add_weight(shape=shape, initializer="zeros", dtype=dtype,
                            trainable=trainable, name=name)


# ------------------------------------------------------------------ attributes
def test_attributes_are_keras_s():
    w = make_weight(shape=(2, 3), trainable=False, name="total")
    assert w.shape == (2, 3)
    assert w.dtype == np.float32
    assert w.trainable is False
    assert w.name == "total"
    assert w.path == "holder/total"
    assert w.value.shape == (2, 3)           # on the GPU path a DeviceArray, else NumPy
    assert isinstance(w.numpy(), np.ndarray)


def test_default_name_is_variable_as_in_keras():
    w = make_weight()
    assert w.name == "variable"
    assert w.path == "holder/variable"


def test_trainable_can_be_switched():
    w = make_weight()
    w.trainable = False
    assert w.trainable is False


# ------------------------------------------------------------------ assign
def test_assign_writes_in_place_and_returns_a_new_array():
    w = make_weight()
    buffer = w.value
    returned = w.assign([1.5, 2.5])
    assert w.value is buffer                          # the layer still sees its array
    np.testing.assert_array_equal(w.numpy(), [1.5, 2.5])
    np.testing.assert_array_equal(returned, [1.5, 2.5])
    assert returned is not w.value and returned is not w  # Keras returns the tensor
    returned[0] = 99.0
    assert w.numpy()[0] == 1.5


def test_assign_casts_to_the_weight_dtype():
    w = make_weight()
    w.assign(np.array([1.25, 2.5], dtype="float64"))
    assert w.dtype == np.float32 and w.numpy().dtype == np.float32
    w.assign([True, False])
    np.testing.assert_array_equal(w.numpy(), [1.0, 0.0])
    ints = make_weight(dtype="int32", trainable=False)
    ints.assign([1.7, -1.7])                          # truncated, as torch casts
    np.testing.assert_array_equal(ints.numpy(), [1, -1])


@pytest.mark.parametrize("value", [np.zeros(3), np.zeros((1, 2)), 5.0])
def test_assign_refuses_another_shape(value):
    w = make_weight()
    with pytest.raises(ValueError, match=r"holder/variable.*assign\(\).*shape.*\(2,\).*Fix"):
        w.assign(value)
    np.testing.assert_array_equal(w.numpy(), [0.0, 0.0])   # unchanged


@pytest.mark.parametrize("value", [np.array(["a", "b"]), None])
def test_assign_refuses_non_numbers(value):
    w = make_weight()
    with pytest.raises(ValueError, match="needs numbers"):
        w.assign(value)


# ------------------------------------------------------------------ assign_add / assign_sub
def test_assign_add_and_assign_sub():
    w = make_weight()
    returned = w.assign_add([1.0, 2.0])
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(returned, [1.0, 2.0])
    returned = w.assign_sub(np.array([0.5, 0.5], dtype="float64"))
    np.testing.assert_array_equal(w.numpy(), [0.5, 1.5])
    np.testing.assert_array_equal(returned, [0.5, 1.5])
    assert w.numpy().dtype == np.float32


def test_assign_add_takes_a_scalar_delta():
    w = make_weight()
    w.assign_add(1.0)                                 # self + 1.0 has the weight's shape
    np.testing.assert_array_equal(w.numpy(), [1.0, 1.0])


def test_assign_add_refuses_a_delta_that_changes_the_shape():
    w = make_weight()
    with pytest.raises(ValueError, match=r"assign_add\(\).*\(2, 2\).*\(2,\)"):
        w.assign_add(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"assign_sub\(\).*\(3,\)"):
        w.assign_sub(np.ones(3))


def test_assign_add_inside_call_uses_the_traced_value():
    """The guide's ComputeSum: a non-trainable total updated in call(); the eager
    call returns the weight itself, as Keras does, so ``y.numpy()`` works."""
    class ComputeSum(keras.layers.Layer):
        def __init__(self, input_dim):
            super().__init__()
            self.total = self.add_weight(initializer="zeros", shape=(input_dim,),
                                         trainable=False)

        def call(self, inputs):
            self.total.assign_add(ops.sum(inputs, axis=0))
            return self.total

    my_sum = ComputeSum(2)
    y = my_sum(np.ones((2, 2)))
    assert y is my_sum.total
    np.testing.assert_array_equal(y.numpy(), [2.0, 2.0])
    np.testing.assert_array_equal(my_sum(np.ones((2, 2))).numpy(), [4.0, 4.0])
    assert my_sum.trainable_weights == [] and len(my_sum.non_trainable_weights) == 1


# ------------------------------------------------------------------ metrics
def test_a_custom_metric_keeps_its_state_with_add_variable_and_assign_add():
    class CountPositives(keras.metrics.Metric):
        def __init__(self, name="count_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_variable(shape=(), initializer="zeros", dtype="float32",
                                           name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.count.assign_add(ops.sum(ops.cast(ops.greater(y_pred, 0.5), "float32")))

        def result(self):
            return self.count.value

    metric = CountPositives()
    metric.update_state(None, np.array([0.2, 0.7, 0.9]))
    metric.update_state(None, np.array([0.6]))
    assert float(metric.result()) == 3.0
    assert metric.count.path == "count_positives/count"
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_numpy_asarray_of_a_weight_is_a_host_array():
    """np.asarray(weight) must give NumPy numbers on every device (on the GPU path the
    value is a DeviceArray, which NumPy cannot take as it is)."""
    w = make_weight(shape=(2, 3))
    array = np.asarray(w)
    assert type(array) is np.ndarray and array.shape == (2, 3)
    assert np.asarray(w, dtype=np.float64).dtype == np.float64


def test_shapes_only_builds_a_huge_model_without_its_numbers():
    from kerastutor import backend
    with backend.shapes_only():
        model = keras.Sequential([keras.Input((4000,)), keras.layers.Dense(100_000),
                                  keras.layers.Dense(10)])
    assert model.count_params() == 4000 * 100_000 + 100_000 + 100_000 * 10 + 10
    kernel = model.layers[0].kernel.value
    assert kernel.shape == (4000, 100_000) and kernel.strides == (0, 0)   # no memory
    assert not backend.building_shapes_only()
    assert model.layers[0].kernel.value.flags.writeable is False
    assert keras.layers.Dense(3)(np.ones((1, 2))).shape == (1, 3)   # normal again after
