"""``kerastutor.ops`` has every public name of ``keras.ops`` (Keras 3.15.1), where Keras has it."""
import types

import pytest

from kerastutor import ops
from keras_ops_names import IMAGE, LINALG, NN, NUMPY, TOP_LEVEL

#: Our own top-level names that Keras lacks: the tape (kept for code written against
#: ``kerastutor.ops`` before ``kerastutor.tape`` existed) and the chapters of the package.
CHAPTERS = {"core", "creation", "einops", "elementwise", "image", "linalg", "math", "nn",
            "numpy", "products", "reductions", "shapes"}


def _public(namespace):
    return {n for n in dir(namespace) if not n.startswith("_")
            and not isinstance(getattr(namespace, n), types.ModuleType)}


def test_every_top_level_keras_op_exists():
    missing = sorted(n for n in TOP_LEVEL if not callable(getattr(ops, n, None)))
    assert not missing, f"{len(missing)} keras.ops names missing: {missing}"


@pytest.mark.parametrize("namespace, names", [("numpy", NUMPY), ("nn", NN),
                                              ("linalg", LINALG), ("image", IMAGE)])
def test_every_namespace_has_its_keras_names(namespace, names):
    module = getattr(ops, namespace)
    missing = sorted(n for n in names if not callable(getattr(module, n, None)))
    assert not missing, f"keras.ops.{namespace}: {len(missing)} missing: {missing}"
    if namespace != "image":          # one function under both names, as in Keras
        assert all(getattr(module, n) is getattr(ops, n) for n in names)


def test_namespaces_hold_only_their_keras_names():
    for namespace, names in [("numpy", NUMPY), ("nn", NN), ("linalg", LINALG),
                             ("image", IMAGE)]:
        extra = sorted(set(getattr(ops, namespace).__all__) - set(names))
        assert not extra, f"ops.{namespace}.__all__ has names Keras files elsewhere: {extra}"


def test_image_ops_are_not_top_level_and_nothing_else_is_extra():
    assert not set(IMAGE) & set(ops.__all__), "Keras keeps image ops under keras.ops.image only"
    extra = set(ops.__all__) - set(TOP_LEVEL) - set(ops.TAPE_NAMES)
    assert not extra, f"top-level names Keras does not have: {sorted(extra)}"
    assert {n for n in dir(ops) if isinstance(getattr(ops, n), types.ModuleType)
            and not n.startswith("_")} == CHAPTERS
