"""The compatibility names (tests/keras_compat_names.py) are Keras 3.15.1's, with its values.

Run with KERASTUTOR_ORACLE=1 (``tox -e keras``).
"""
import itertools
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kerastutor  # noqa: E402
from keras_compat_names import NAMES  # noqa: E402

DTYPES = [None, int, float, bool, "bool", "int8", "uint8", "int16", "uint16", "int32",
          "uint32", "int64", "uint64", "bfloat16", "float16", "float32", "float64",
          "complex64", "complex128"]


def _outcome(function, *args):
    """The value, or the name of the error type: both sides must fail alike."""
    try:
        return function(*args)
    except (ValueError, TypeError) as error:
        return type(error).__name__


@pytest.mark.parametrize("module", sorted(NAMES))
def test_every_listed_name_is_a_keras_name(module):
    assert keras.__version__ == "3.15.1"
    namespace = getattr(keras, module) if module else keras
    assert not [n for n in NAMES[module] if n not in dir(namespace)]


def test_version_matches_keras():
    assert kerastutor.version() == keras.version()


@pytest.mark.parametrize("function", ["standardize_dtype", "is_float_dtype", "is_int_dtype",
                                      "result_type"])
def test_one_dtype(function):
    extra = [np.float32, np.dtype("int16"), np.dtype("<U3"), "string", complex, str, "int",
             "float", "float8_e4m3fn"]
    for dtype in DTYPES + extra:
        ours = _outcome(getattr(kerastutor.backend, function), dtype)
        theirs = _outcome(getattr(keras.backend, function), dtype)
        assert ours == theirs, f"{function}({dtype!r}): kerastutor {ours}, Keras {theirs}"


@pytest.mark.parametrize("floatx", ["float32", "float16", "float64"])
def test_result_type_of_every_pair_and_some_triples(floatx):
    keras.config.set_floatx(floatx)
    kerastutor.backend.set_floatx(floatx)
    try:
        cases = list(itertools.product(DTYPES, DTYPES))
        cases += [(int, float, "int8"), ("uint8", "int8", float), (bool, int, "uint16")]
        for dtypes in cases:
            ours = _outcome(kerastutor.backend.result_type, *dtypes)
            theirs = _outcome(keras.backend.result_type, *dtypes)
            assert ours == theirs, f"result_type{dtypes}: kerastutor {ours}, Keras {theirs}"
    finally:
        keras.config.set_floatx("float32")


def test_get_uid_counts_as_keras():
    keras.backend.clear_session()
    theirs = [keras.backend.get_uid(p) for p in ("a", "a", "b", "", "a")]
    ours = [kerastutor.backend.get_uid(p) for p in ("a", "a", "b", "", "a")]
    assert ours == theirs


def test_name_scope_paths_match_keras():
    from keras.src.backend.common.name_scope import current_path
    owner = object()
    for library, path in ((keras, current_path), (kerastutor, kerastutor.name_scope.current_path)):
        seen = []
        with library.name_scope("a", caller=owner):
            with library.name_scope("a", caller=owner):
                seen.append(path())
            with library.name_scope("b", override_parent="x/y"):
                seen.append(path())
        seen.append(path())
        if library is keras:
            expected = seen
        else:
            assert seen == expected


@pytest.mark.parametrize("name", NAMES["metrics"])
def test_metric_functions_match_keras(name):
    rng = np.random.default_rng(3)
    y_true = (rng.random((4, 5)) > 0.5).astype("float32")
    y_pred = rng.uniform(0.05, 0.95, (4, 5)).astype("float32")
    ours = getattr(kerastutor.metrics, name)(y_true, y_pred)
    theirs = keras.ops.convert_to_numpy(getattr(keras.metrics, name)(y_true, y_pred))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_keras_tensor_check_matches_keras():
    assert keras.utils.is_keras_tensor(keras.Input((3,)))
    assert kerastutor.utils.is_keras_tensor(kerastutor.Input((3,)))
    assert not keras.utils.is_keras_tensor(np.zeros(3))
    assert not kerastutor.utils.is_keras_tensor(np.zeros(3))
