"""keras.tree: nested structures flatten, repack and map as Keras's do."""
import collections

import numpy as np
import pytest
from hypothesis import given, strategies as st

import kerastutor as keras
from kerastutor import tree

Point = collections.namedtuple("Point", ["y", "x"])


def nested(leaves=st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=2))):
    """Lists, tuples, namedtuples, dicts and OrderedDicts of leaves (None among them)."""
    keys = st.text("abcde", min_size=1, max_size=2)
    return st.recursive(leaves, lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.lists(inner, max_size=3).map(tuple),
        st.tuples(inner, inner).map(lambda pair: Point(*pair)),
        st.dictionaries(keys, inner, max_size=3),
        st.dictionaries(keys, inner, max_size=3).map(
            lambda d: collections.OrderedDict(reversed(list(d.items()))))), max_leaves=8)


def test_keras_tree_is_this_module():
    assert keras.tree is tree


@given(nested())
def test_pack_undoes_flatten_and_keeps_types(structure):
    rebuilt = tree.pack_sequence_as(structure, tree.flatten(structure))
    assert rebuilt == structure
    tree.assert_same_structure(structure, rebuilt)
    assert type(rebuilt) is type(structure)


@given(nested())
def test_each_path_leads_to_its_leaf(structure):
    for path, leaf in tree.flatten_with_path(structure):
        node = structure
        for key in path:
            node = node[key]
        assert node is leaf
    assert [leaf for _, leaf in tree.flatten_with_path(structure)] == tree.flatten(structure)


@given(nested(st.integers(-5, 5)))
def test_map_structure_maps_every_leaf_once(structure):
    doubled = tree.map_structure(lambda v: 2 * v, structure)
    assert tree.flatten(doubled) == [2 * v for v in tree.flatten(structure)]
    summed = tree.map_structure(lambda a, b: a + b, structure, doubled)
    assert tree.flatten(summed) == [3 * v for v in tree.flatten(structure)]


def test_dicts_are_visited_by_sorted_key_but_keep_their_order():
    structure = {"b": 1, "a": 2, "c": {"z": 3, "y": 4}}
    assert tree.flatten(structure) == [2, 1, 4, 3]
    packed = tree.pack_sequence_as(structure, [20, 10, 40, 30])
    assert list(packed) == ["b", "a", "c"] and list(packed["c"]) == ["z", "y"]
    assert packed == {"b": 10, "a": 20, "c": {"z": 30, "y": 40}}
    ordered = collections.OrderedDict([("b", 1), ("a", 2)])
    assert tree.flatten(ordered) == [1, 2]                    # its own order is meant
    counts = collections.defaultdict(int, {"b": 1, "a": 2})
    mapped = tree.map_structure(lambda v: v + 1, counts)
    assert tree.flatten(counts) == [2, 1] and mapped.default_factory is int


def test_leaves_include_none_strings_and_arrays():
    assert not tree.is_nested(None) and not tree.is_nested("ab")
    assert not tree.is_nested(np.zeros(3)) and not tree.is_nested({1, 2})
    assert tree.flatten([None, "ab", (), []]) == [None, "ab"]
    assert tree.flatten(5) == [5] and tree.flatten_with_path(5) == [((), 5)]
    assert tree.map_structure(lambda v: v is None, [None, 1]) == [True, False]


def test_map_structure_can_skip_none():
    assert tree.map_structure(lambda a, b: a + b, [None, 1], [None, 2],
                              none_is_leaf=False) == [None, 3]
    with pytest.raises(ValueError, match="some arguments are None"):
        tree.map_structure(lambda a, b: a, [None, 1], [0, 2], none_is_leaf=False)


@pytest.mark.parametrize("a, b, where", [
    ([1, 2], (1, 2), "at the top, one is a list of 2 and the other a tuple of 2"),
    ([1, [2]], [1, 2], r"at path \(1,\), one is a list of 1 and the other a leaf"),
    ({"a": 1}, {"b": 1}, r"keys \['a'\] against keys \['b'\]"),
    (Point(1, 2), (1, 2), "one is a Point of 2 and the other a tuple of 2"),
    ([1, 2], [1], "2 items against 1"),
])
def test_structure_mismatches_say_where(a, b, where):
    with pytest.raises(ValueError, match=where):
        tree.assert_same_structure(a, b)
    with pytest.raises(ValueError, match=where):
        tree.map_structure(lambda *v: v, a, b)


def test_dict_kinds_match_each_other_and_paths_ignore_types():
    tree.assert_same_structure({"a": 1}, collections.OrderedDict(a=2))
    tree.assert_same_paths(Point(1, 2), [3, 4])
    with pytest.raises(ValueError, match=r"Paths in `a` missing in `b`:\n\{\(1,\)\}"):
        tree.assert_same_paths([1, 2], [1])
    with pytest.warns(DeprecationWarning, match="check_types"):
        tree.assert_same_structure([1], [2], check_types=True)


def test_pack_sequence_as_counts_leaves():
    assert tree.pack_sequence_as(None, [7]) == 7
    with pytest.raises(ValueError, match="holds 2 leaves but flat_sequence has 3"):
        tree.pack_sequence_as([0, 0], [1, 2, 3])
    with pytest.raises(TypeError, match="must be a list of leaves"):
        tree.pack_sequence_as([0], 5)


def test_map_structure_up_to_stops_at_the_shallow_leaves():
    assert tree.map_structure_up_to([None, None], lambda a, b: (a, b),
                                    [[1, 1], [2]], [3, 4]) == [([1, 1], 3), ([2], 4)]
    with pytest.raises(ValueError, match="shallow structure has a list of 2"):
        tree.map_structure_up_to([[None, None], None], str, [1, 2])


def test_traverse_top_down_bottom_up_and_map_to_none():
    structure = [(1, 2), [3], {"a": 4}]
    seen = []
    assert tree.traverse(seen.append, structure, top_down=False) == structure
    assert seen == [1, 2, (1, 2), 3, [3], 4, {"a": 4}, structure]
    cut = tree.traverse(lambda s: tree.MAP_TO_NONE if s == (1, 2) else None, structure)
    assert cut == [None, [3], {"a": 4}]
    with pytest.raises(TypeError, match="callable"):
        tree.traverse(3, structure)


def test_lists_to_tuples_and_shape_structures():
    assert tree.lists_to_tuples([1, [2, {"a": [3]}]]) == (1, (2, {"a": (3,)}))
    shapes = {"x": (None, 3), "y": [(2,), (4, 5)], "z": ()}
    assert tree.map_shape_structure(len, shapes) == {"x": 2, "y": [1, 2], "z": 0}


def test_unsortable_dict_keys_are_explained():
    with pytest.raises(TypeError, match="cannot be compared"):
        tree.flatten({"b": 1, 2: 3})
