"""Discretization: Keras 3.15.1's goldens (reference sheet §2.8): digitize and adapt."""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor.layers.preprocessing.discretization import (compress_summary,
                                                            get_bin_boundaries, summarize)

Discretization = keras.layers.Discretization


def test_int_output_golden_boundary_goes_up():
    layer = Discretization(bin_boundaries=[0., 1., 2.])
    y = layer(np.array([[-1.5, 0., 0.5, 1., 1.999, 2., 3.]], "float32"))
    np.testing.assert_array_equal(y, [[0, 1, 1, 2, 2, 3, 3]])
    assert y.dtype == np.int32
    np.testing.assert_array_equal(layer(np.array([[0, 1, 2, 3]])), [[1, 2, 3, 3]])


def test_encoded_outputs_golden():
    b = [0., 1., 2.]
    np.testing.assert_array_equal(
        Discretization(bin_boundaries=b, output_mode="one_hot")(
            np.array([-1., 0.5, 2.], "float32")),
        [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1]])
    x = np.array([[-1., 0.5, 0.7], [2., 2., 5.]])
    np.testing.assert_array_equal(Discretization(bin_boundaries=b, output_mode="multi_hot")(x),
                                  [[1, 1, 0, 0], [0, 0, 0, 1]])
    y = Discretization(bin_boundaries=b, output_mode="count")(x)
    np.testing.assert_array_equal(y, [[1, 2, 0, 0], [0, 0, 0, 3]])
    assert y.dtype == np.float32


def test_adapt_goldens():
    layer = Discretization(num_bins=4)
    layer.adapt(np.arange(1, 101, dtype="float32"))
    assert layer.bin_boundaries == [24.999982833862305, 49.99998092651367, 74.99998474121094]
    batches = Discretization(num_bins=4)             # two batches of 50: the same numbers
    batches.adapt([np.arange(1, 51, dtype="float32"), np.arange(51, 101, dtype="float32")])
    assert batches.bin_boundaries == layer.bin_boundaries
    layer = Discretization(num_bins=3)
    layer.adapt(np.array([[1.], [2.], [3.], [4.], [5.], [6.]]))
    assert layer.bin_boundaries == [2.0, 4.0]
    layer = Discretization(num_bins=4)
    layer.adapt(np.array([0.1, 0.2, 0.2, 0.3, 0.9, 5.0]))
    assert layer.bin_boundaries == [0.14999999105930328, 0.20000000298023224,
                                    0.6000000238418579]
    np.testing.assert_array_equal(layer(np.array([0.1, 0.2, 1.0])), [0, 2, 3])


def test_adapt_reads_generators_and_steps():
    def batches():
        for start in range(1, 101, 50):
            yield np.arange(start, start + 50, dtype="float32")
    layer = Discretization(num_bins=4)
    layer.adapt(batches())
    assert layer.bin_boundaries[1] == pytest.approx(50.0, abs=1e-4)
    first = Discretization(num_bins=2)
    first.adapt(batches(), steps=1)                  # only 1..50
    assert first.bin_boundaries[0] == pytest.approx(25.0, abs=1e-3)


def test_summary_by_hand():
    # 10 sorted values, epsilon 0.2: step 2, keep indices 1, 3, 5, 7, 9 with weight 2.
    s = summarize(np.arange(10, dtype="float32")[::-1], 0.2)
    np.testing.assert_array_equal(s, [[1, 3, 5, 7, 9], [2, 2, 2, 2, 2]])
    # compress to halves: the points at cumulative fractions 0.5 and 1.0
    np.testing.assert_allclose(compress_summary(s, 0.5), [[4, 9], [5, 5]])
    np.testing.assert_allclose(get_bin_boundaries(s, 2), [4])


def test_errors():
    with pytest.raises(ValueError, match="Both `num_bins` and `bin_boundaries`"):
        Discretization(bin_boundaries=[1.0], num_bins=2)
    with pytest.raises(ValueError, match="You need to set either"):
        Discretization()
    with pytest.raises(ValueError, match="Cannot adapt a Discretization layer"):
        Discretization(bin_boundaries=[1.0]).adapt(np.array([1.0]))
    with pytest.raises(ValueError, match="call `adapt"):
        Discretization(num_bins=3)(np.array([1.0]))
    with pytest.raises(ValueError, match="output_mode"):
        Discretization(num_bins=3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="sorted"):
        Discretization(bin_boundaries=[2.0, 1.0])


def test_config_is_keras_own_and_round_trips_adapted_layers():
    layer = Discretization(bin_boundaries=[0., 1., 2.], output_mode="multi_hot", name="d")
    assert layer.get_config() == {"bin_boundaries": [0.0, 1.0, 2.0], "num_bins": None,
                                  "epsilon": 0.01, "output_mode": "multi_hot",
                                  "sparse": False, "name": "d", "dtype": "float32"}
    adapted = Discretization(num_bins=3)
    adapted.adapt(np.arange(6, dtype="float32"))
    again = Discretization.from_config(adapted.get_config())
    assert again.bin_boundaries == adapted.bin_boundaries and again.num_bins == 3
    x = np.linspace(-1, 7, 9)
    np.testing.assert_array_equal(again(x), adapted(x))


def test_output_shapes():
    layer = Discretization(bin_boundaries=[0., 1., 2.], output_mode="multi_hot")
    assert layer(np.zeros((1, 2, 3))).shape == layer.compute_output_shape((1, 2, 3)) == (1, 3, 4)
    assert Discretization(bin_boundaries=[0.]).compute_output_shape((None, 5)) == (None, 5)
