"""The small public pieces of the op tape that ``keras.ops`` re-exports.

Each is used inside the library (layers, losses, activations); these tests pin
what a learner sees when calling them directly.
"""
import numpy as np
import pytest

import kerastutor as keras
from kerastutor import activations, ops


def test_is_traced_and_convert_to_tensor():
    tape = ops.Tape()
    with tape:
        x = ops.Traced(np.arange(3.0))
        assert ops.is_traced(x) and ops.convert_to_tensor(x) is x      # stays on the tape
    assert not ops.is_traced(np.ones(2))
    converted = ops.convert_to_tensor([1, 2], dtype="float32")
    assert isinstance(converted, np.ndarray) and converted.dtype == np.float32


def test_weights_are_tape_operands_with_python_arithmetic():
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    assert isinstance(layer.kernel, ops.VariableBase)
    assert isinstance(layer.kernel, ops.TapeArithmetic) and ops.is_traced(layer.kernel)
    np.testing.assert_allclose(np.asarray(layer.kernel + 1.0), layer.kernel.numpy() + 1.0)


def test_take_index_scatters_its_gradient_back_adding_repeats():
    tape, x = ops.Tape(), ops.Traced(np.array([1.0, 2.0, 3.0]))
    with tape:
        y = ops.take_index(x, np.array([0, 2, 2]))
    np.testing.assert_array_equal(y.value, [1.0, 3.0, 3.0])
    grads = tape.backward(y, np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(grads[id(x)], [1.0, 0.0, 110.0])


def test_not_equal_is_elementwise_and_passes_no_gradient():
    tape, x = ops.Tape(), ops.Traced(np.array([1.0, 2.0]))
    with tape:
        mask = ops.not_equal(x, 2.0)
    np.testing.assert_array_equal(mask, [True, False])
    assert not ops.is_traced(mask)


def test_current_training_is_the_innermost_tapes_flag():
    assert ops.current_training() is False
    with ops.Tape(training=True):
        assert ops.current_training() is True
        with ops.Tape(training=False):
            assert ops.current_training() is False


def test_record_activation_uses_the_activations_own_backward():
    tape, x = ops.Tape(), ops.Traced(np.array([-1.0, 0.5, 2.0]))
    with tape:
        y = ops.record_activation(activations.get("relu"), x)
    np.testing.assert_array_equal(y.value, [0.0, 0.5, 2.0])
    np.testing.assert_array_equal(tape.backward(y, np.ones(3))[id(x)], [0.0, 1.0, 1.0])


def test_gradient_tape_records_only_inside_the_with_block():
    assert ops.gradient_tape_records() is False
    with keras.GradientTape():
        assert ops.gradient_tape_records() is True
    assert ops.gradient_tape_records() is False


def test_raw_numpy_error_names_the_function_and_the_op_to_use():
    err = ops.RawNumpyError("np.exp", owner='Layer "square"')
    assert isinstance(err, TypeError)
    message = str(err)
    assert 'Layer "square"' in message and "np.exp" in message and "keras.ops.exp" in message
    with pytest.raises(ops.RawNumpyError, match="keras.ops.exp"):
        with ops.Tape():
            np.exp(ops.Traced(np.ones(2)))


# ---------------------------------------------- the dtype an op computes in (one lattice)
# No uint32: with a signed integer it meets at int64, which ops keep (see below).
_SMALL_DTYPES = ["bool", "uint8", "uint16", "int8", "int16", "int32",
                 "float16", "float32", "complex64"]
_OPERANDS = [np.ones(2, d) for d in _SMALL_DTYPES] + [3, 2.5]


def _keras_name(operand):
    """How keras.backend.result_type is told about an operand: int/float for a Python number."""
    return type(operand) if isinstance(operand, (int, float)) else operand.dtype.name


@pytest.mark.parametrize("x", _OPERANDS, ids=lambda o: _keras_name(o).__name__
                         if isinstance(o, (int, float)) else o.dtype.name)
def test_ops_promote_as_keras_result_type_says_for_32_bit_operands(x):
    for y in _OPERANDS:
        expected = keras.backend.result_type(_keras_name(x), _keras_name(y))
        assert ops.add(x, y).dtype == np.dtype(expected), (x, y)


def test_uint64_with_a_signed_integer_gives_floatx_as_on_kerass_lattice():
    # NumPy says float64; Keras's lattice meets uint64 and int64 only at the weak
    # float, which is floatx.
    u64, i64 = np.ones(2, np.uint64), np.ones(2, np.int64)
    assert keras.backend.result_type("uint64", "int64") == "float32"
    assert ops.add(u64, i64).dtype == np.float32
    assert ops.maximum(u64, np.ones(2, np.int8)).dtype == np.float32
    keras.config.set_floatx("float16")
    assert ops.multiply(u64, i64).dtype == np.float16


def test_ops_keep_64_bits_and_a_python_int_is_int32_whatever_floatx():
    # As Keras's torch backend computes ops.add; keras.backend.result_type narrows.
    f64, f32 = np.ones(2), np.ones(2, np.float32)
    assert ops.add(f64, f32).dtype == np.float64
    assert keras.backend.result_type("float64", "float32") == "float32"
    assert ops.add(np.ones(2, np.int64), 3).dtype == np.int64
    assert ops.add(np.ones(2, np.uint32), np.ones(2, np.int8)).dtype == np.int64
    keras.config.set_floatx("float16")
    assert ops.add(np.array([True]), 3).dtype == np.int32
    assert keras.backend.result_type("bool", int) == "int16"
    assert ops.add(np.array([True]), 2.5).dtype == np.float16


def test_strings_are_not_promoted_and_still_compare():
    assert ops.equal(np.array(["a", "b"]), "a").tolist() == [True, False]
