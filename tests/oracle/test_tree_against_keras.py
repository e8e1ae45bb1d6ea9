"""kerastutor.tree gives Keras 3.15.1's keras.tree results (its optree implementation).

Keras picks ``optree`` on its JAX, TensorFlow and NumPy backends and torch's pytree
on PyTorch; kerastutor (backend "numpy") follows optree, so the comparison
switches keras.tree to it. Error *types* must agree; kerastutor's messages are its own.
Run with KERASTUTOR_ORACLE=1 (``tox -e keras``).
"""
import collections
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given  # noqa: E402
from keras.src.tree import optree_impl, torchtree_impl, tree_api  # noqa: E402

from kerastutor import tree  # noqa: E402
from test_tree import Point, nested  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _keras_uses_optree():
    before = tree_api.tree_impl
    tree_api.tree_impl = optree_impl
    yield
    tree_api.tree_impl = before


def _outcome(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except (ValueError, TypeError) as error:
        return type(error).__name__


def _same(name, *args, **kwargs):
    ours = _outcome(getattr(tree, name), *args, **kwargs)
    theirs = _outcome(getattr(keras.tree, name), *args, **kwargs)
    assert ours == theirs and type(ours) is type(theirs), \
        f"tree.{name}{args}: kerastutor {ours!r}, Keras {theirs!r}"
    if isinstance(ours, dict):                    # the same key order too
        assert list(ours) == list(theirs)
    return ours


@given(nested())
def test_flatten_paths_and_repacking_match_keras(structure):
    _same("is_nested", structure)
    flat = _same("flatten", structure)
    _same("flatten_with_path", structure)
    _same("pack_sequence_as", structure, flat)
    _same("pack_sequence_as", structure, flat + [0])
    _same("lists_to_tuples", structure)
    _same("map_structure", repr, structure)
    _same("map_structure", repr, structure, none_is_leaf=False)
    _same("map_shape_structure", repr, structure)


@given(nested(), nested())
def test_structure_checks_match_keras(a, b):
    _same("assert_same_structure", a, a)
    _same("assert_same_structure", a, b)
    _same("assert_same_paths", a, b)
    _same("map_structure", lambda x, y: (x, y), a, b)


@given(nested())
def test_traverse_matches_keras(structure):
    for top_down in (True, False):
        ours, theirs = [], []
        assert tree.traverse(ours.append, structure, top_down=top_down) == \
            keras.tree.traverse(theirs.append, structure, top_down=top_down)
        assert ours == theirs
        shorten = (lambda s: "seq" if isinstance(s, list) else
                   tree.MAP_TO_NONE if isinstance(s, tuple) else None)
        keras_shorten = (lambda s: "seq" if isinstance(s, list) else
                         keras.tree.MAP_TO_NONE if isinstance(s, tuple) else None)
        assert tree.traverse(shorten, structure, top_down=top_down) == \
            keras.tree.traverse(keras_shorten, structure, top_down=top_down)


@pytest.mark.parametrize("args", [
    ([[1, 2], [3]],), ({"b": 1, "a": {"z": 2, "y": 3}},),
    (collections.OrderedDict([("b", 1), ("a", 2)]),),
    (collections.defaultdict(list, {"b": 1, "a": 2}),), (collections.deque([1, (2, 3)]),),
    (Point(1, [2, None]),), (None,), ([],), ("text",)])
def test_containers_match_keras(args):
    for name in ("flatten", "flatten_with_path", "is_nested", "lists_to_tuples"):
        _same(name, *args)
    _same("pack_sequence_as", args[0], list(range(len(tree.flatten(args[0])))))
    _same("map_structure", lambda v: (v,), *args)


def test_dict_kinds_and_shapes_match_keras():
    _same("assert_same_structure", {"a": 1}, collections.OrderedDict(a=2))
    _same("assert_same_structure", Point(1, 2), (1, 2))
    _same("assert_same_paths", Point(1, 2), (1, 2))
    _same("map_shape_structure", len, {"x": (None, 3), "y": [(2,), (4, 5)], "z": ()})
    _same("map_structure", lambda a, b: a, [None, 1], [0, 1], none_is_leaf=False)


def test_map_structure_up_to_matches_keras_where_its_implementations_agree():
    _same("map_structure_up_to", [[None, None], None], str, [1, 2])
    # Keras's optree version rejects a None in the shallow structure, against its own
    # docstring; its torch version follows the docstring, and so does kerastutor.
    tree_api.tree_impl = torchtree_impl
    try:
        _same("map_structure_up_to", [None, [None, None]], str, [[1, 1], [2, 2]])
        _same("map_structure_up_to", [None, None], lambda a, b: (a, b), [[1], [2]], [3, 4])
        _same("map_structure_up_to", {"b": None, "a": None}, len, {"a": [1], "b": [2, 3]})
    finally:
        tree_api.tree_impl = optree_impl
