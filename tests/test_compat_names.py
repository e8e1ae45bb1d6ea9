"""Keras 3.15.1 names kerastutor added for compatibility exist and do what Keras's do.

The names are listed in tests/keras_compat_names.py; the oracle test
tests/oracle/test_compat_names_against_keras.py checks the list and the values against Keras.
"""
import importlib

import numpy as np
import pytest

import kerastutor as keras
from keras_compat_names import NAMES


@pytest.mark.parametrize("module", sorted(NAMES))
def test_each_added_name_is_public_in_its_namespace(module):
    namespace = importlib.import_module(f"kerastutor.{module}" if module else "kerastutor")
    missing = [n for n in NAMES[module] if n not in dir(namespace)
               or getattr(namespace, n, None) is None]
    assert not missing, f"keras.{module or '<top level>'} lacks {missing}"


def test_top_level_base_classes_are_the_family_base_classes():
    assert keras.Loss is keras.losses.Loss
    assert keras.Metric is keras.metrics.Metric
    assert keras.Optimizer is keras.optimizers.Optimizer
    assert keras.Initializer is keras.initializers.Initializer
    assert keras.Regularizer is keras.regularizers.Regularizer
    assert keras.InputSpec is keras.layers.InputSpec

    class Halved(keras.Loss):        # a custom loss written the Keras way
        def call(self, y_true, y_pred):
            return 0.5 * keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)
    assert float(Halved()(np.zeros((2, 2)), np.ones((2, 2)))) == 0.5


def test_version_is_the_keras_release_followed():
    assert keras.version() == "3.15.1" == keras.KERAS_VERSION
    assert keras.__version__ != keras.version()       # kerastutor's own release number


def test_name_scope_nests_deduplicates_and_restores():
    owner = object()
    assert keras.name_scope.current_path() == ""
    with keras.name_scope("encoder", caller=owner):
        with keras.name_scope("encoder", caller=owner):      # same caller: not nested again
            assert keras.name_scope.current_path() == "encoder"
        with keras.name_scope("block"):
            assert keras.name_scope.current_path() == "encoder/block"
            with keras.name_scope("head", override_parent="model"):
                assert keras.name_scope.current_path() == "model/head"
    assert keras.name_scope.current_path() == ""
    with pytest.raises(ValueError, match="without '/'"):
        keras.name_scope("a/b")


def test_get_uid_counts_per_prefix_and_restarts_after_clear_session():
    assert [keras.backend.get_uid("x"), keras.backend.get_uid("x"),
            keras.backend.get_uid("y")] == [1, 2, 1]
    keras.backend.clear_session()
    assert keras.backend.get_uid("x") == 1


def test_backend_name_and_keras_tensor_check():
    assert keras.backend.backend() == "numpy" == keras.config.backend()
    x = keras.Input(shape=(3,))
    y = keras.layers.Dense(2)(x)
    assert keras.backend.is_keras_tensor(x) and keras.utils.is_keras_tensor(y)
    assert not keras.backend.is_keras_tensor(np.zeros((1, 3)))
    assert not keras.utils.is_keras_tensor(keras.Variable(np.zeros(3)))


@pytest.mark.parametrize("dtype, name", [
    (None, "float32"), (int, "int32"), (float, "float32"), (bool, "bool"), (str, "string"),
    (complex, "complex64"), ("int", "int32"), (np.float64, "float64"),
    (np.dtype("uint16"), "uint16"), ("bfloat16", "bfloat16")])
def test_standardize_dtype(dtype, name):
    assert keras.backend.standardize_dtype(dtype) == name
    assert keras.utils.standardize_dtype is keras.backend.standardize_dtype


def test_standardize_dtype_rejects_unknown_names_as_keras_does():
    with pytest.raises(ValueError, match="Invalid dtype: float"):
        keras.backend.standardize_dtype("float")


def test_float_and_int_dtype_predicates():
    assert keras.backend.is_float_dtype("bfloat16") and keras.backend.is_float_dtype(None)
    assert not keras.backend.is_float_dtype("int8")
    assert keras.backend.is_int_dtype("uint64") and not keras.backend.is_int_dtype(bool)


@pytest.mark.parametrize("dtypes, expected", [
    ((), "float32"), (("int32", "float32"), "float32"), (("int8", "uint8"), "int16"),
    (("uint8", int), "uint8"), (("float16", float), "float16"), ((int, float), "float32"),
    (("int64", "int64"), "int32"), (("float64", "int8"), "float32"),
    (("bool", "bool"), "bool"), ((None, "int16"), "float32"), (("uint32", "int8"), "int32"),
])
def test_result_type_follows_the_promotion_lattice(dtypes, expected):
    assert keras.backend.result_type(*dtypes) == expected


def test_result_type_weak_types_take_floatx_precision():
    keras.backend.set_floatx("float16")
    assert keras.backend.result_type(float) == "float16"
    assert keras.backend.result_type(int, float) == "float16"
    assert keras.backend.result_type(int) == "int16"
    with pytest.raises(ValueError, match="no implicit conversions from float8"):
        keras.backend.result_type("float8_e5m2", "float32")


def test_interactive_logging_switches_are_configs():
    assert keras.utils.disable_interactive_logging is keras.config.disable_interactive_logging
    keras.utils.disable_interactive_logging()
    try:
        assert not keras.utils.is_interactive_logging_enabled()
        assert not keras.config.is_interactive_logging_enabled()
    finally:
        keras.utils.enable_interactive_logging()
    assert keras.utils.is_interactive_logging_enabled()


def test_initializer_aliases_and_metric_functions():
    assert keras.initializers.IdentityInitializer is keras.initializers.Identity
    assert keras.initializers.OrthogonalInitializer is keras.initializers.Orthogonal
    for name in ("huber", "binary_focal_crossentropy", "categorical_focal_crossentropy"):
        assert getattr(keras.metrics, name) is getattr(keras.losses, name)
    y, p = np.array([[0.0, 1.0]]), np.array([[0.5, 3.0]])
    # Huber with delta 1: 0.5 * 0.5**2 for the small error, 2 - 0.5 for the large one.
    np.testing.assert_allclose(keras.metrics.huber(y, p), [(0.125 + 1.5) / 2], rtol=1e-6)
    metric = keras.metrics.MeanMetricWrapper(keras.metrics.huber)
    metric.update_state(y, p)
    np.testing.assert_allclose(float(metric.result()), 0.8125, rtol=1e-6)
