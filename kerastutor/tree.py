"""``keras.tree``: work with nested structures of lists, tuples and dicts as with one value.

Keras passes many things around as *nested structures*: a model with two
inputs takes ``{"image": x1, "text": x2}``, an RNN's state is ``[h, c]``, a
dataset yields ``(x, y)``. ``keras.tree`` treats such a structure as a tree:

* **nodes** (containers) are ``list``, ``tuple``, ``namedtuple``,
  ``collections.deque`` and the dicts: ``dict``, ``collections.OrderedDict``
  and ``collections.defaultdict``;
* **leaves** are everything else -- numbers, arrays, strings, and ``None``
  (a ``None`` is a value here, not an empty container);
* a node's **children** come in a fixed order: by position in a sequence, by
  *sorted key* in a ``dict`` or ``defaultdict`` (so ``{"b": 1, "a": 2}`` and
  ``{"a": 2, "b": 1}`` flatten alike), and in insertion order in an
  ``OrderedDict`` (whose order is meant);
* a leaf's **path** is the tuple of indices and keys that leads to it.

>>> from kerastutor import tree
>>> structure = {"b": [1, 2], "a": (3, None)}
>>> tree.flatten(structure)
[3, None, 1, 2]
>>> tree.flatten_with_path(structure)
[(('a', 0), 3), (('a', 1), None), (('b', 0), 1), (('b', 1), 2)]
>>> tree.map_structure(lambda v: v, structure) == structure
True

Rebuilt structures keep their types (a namedtuple stays that namedtuple, a
dict keeps its own key order). These are Keras 3.15.1's rules as its default
implementation (``optree``, used by the JAX, TensorFlow and NumPy backends)
applies them; written here in plain Python, one small function each.
"""
import collections
import warnings

_DICTS = (dict, collections.OrderedDict, collections.defaultdict)


class MAP_TO_NONE:
    """Return this from a :func:`traverse` function to put ``None`` in the sub-tree's place.

    (Returning ``None`` itself means "not handled, carry on".)
    """


# ======================================================================= nodes and leaves
def _is_namedtuple(value):
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def is_nested(structure):
    """``True`` for a container this module looks inside, ``False`` for a leaf.

    >>> from kerastutor import tree
    >>> tree.is_nested(42), tree.is_nested({"foo": 42}), tree.is_nested(None)
    (False, True, False)
    >>> tree.is_nested("a string"), tree.is_nested((1,))
    (False, True)
    """
    return type(structure) in (list, tuple, collections.deque, *_DICTS) \
        or _is_namedtuple(structure)


def _keys(node):
    """The keys of a node's children, in the order they are visited."""
    if isinstance(node, collections.OrderedDict):
        return list(node)
    if isinstance(node, dict):
        return _sorted_keys(node)
    return list(range(len(node)))


def _sorted_keys(mapping):
    try:
        return sorted(mapping)
    except TypeError:
        raise TypeError(
            "keras.tree: a dict's children are visited in sorted key order, but the keys "
            f"{list(mapping)} cannot be compared with each other. Use keys of one type "
            "(all strings, say), or a collections.OrderedDict to fix the order yourself."
        ) from None


def _children(node):
    """``[(key, child), ...]`` in visiting order (a namedtuple's key is its index)."""
    if isinstance(node, dict):
        return [(key, node[key]) for key in _keys(node)]
    return list(enumerate(node))


def _rebuild(node, new_children):
    """A container like ``node`` (same type, same key order) holding ``new_children``.

    ``new_children`` is given in visiting order, as :func:`_children` listed them.
    """
    if isinstance(node, dict):
        by_key = dict(zip(_keys(node), new_children))
        items = [(key, by_key[key]) for key in node]          # the dict's own order
        if isinstance(node, collections.defaultdict):
            return collections.defaultdict(node.default_factory, items)
        return type(node)(items)
    if _is_namedtuple(node):
        return type(node)(*new_children)
    if isinstance(node, collections.deque):
        return collections.deque(new_children, maxlen=node.maxlen)
    return type(node)(new_children)


# ======================================================================= flattening
def flatten_with_path(structure):
    """Every leaf with its path: ``[(path, leaf), ...]`` in visiting order.

    >>> from kerastutor import tree
    >>> tree.flatten_with_path([{"foo": 42}, None])
    [((0, 'foo'), 42), ((1,), None)]
    """
    if not is_nested(structure):
        return [((), structure)]
    return [((key,) + path, leaf)
            for key, child in _children(structure)
            for path, leaf in flatten_with_path(child)]


def flatten(structure):
    """The leaves of ``structure`` as one list (a leaf alone gives ``[leaf]``).

    >>> from kerastutor import tree
    >>> tree.flatten([[1, 2, 3], [4, [5], [[6]]]])
    [1, 2, 3, 4, 5, 6]
    >>> tree.flatten({100: "world!", 6: "Hello"}), tree.flatten(None)
    (['Hello', 'world!'], [None])
    """
    return [leaf for _, leaf in flatten_with_path(structure)]


def pack_sequence_as(structure, flat_sequence):
    """Put the items of ``flat_sequence`` into the shape of ``structure``: undoes :func:`flatten`.

    >>> from kerastutor import tree
    >>> tree.pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["v1", "v2", "v3"])
    {'key3': 'v3', 'key1': 'v1', 'key2': 'v2'}
    >>> tree.pack_sequence_as((("a", "b"), ("c", "d", "e"), "f"), [1, 2, 3, 4, 5, 6])
    ((1, 2), (3, 4, 5), 6)
    """
    try:
        items = list(flat_sequence)
    except TypeError:
        raise TypeError("pack_sequence_as: `flat_sequence` must be a list of leaves, got "
                        f"{type(flat_sequence).__name__} {flat_sequence!r}.") from None
    needed = len(flatten(structure))
    if len(items) != needed:
        raise ValueError(
            f"pack_sequence_as: the structure holds {needed} leaves but flat_sequence has "
            f"{len(items)} items. Flatten the same structure that you pack "
            "(tree.flatten(structure) has the right length).")
    leaves = iter(items)
    return _fill(structure, leaves)


def _fill(structure, leaves):
    if not is_nested(structure):
        return next(leaves)
    return _rebuild(structure, [_fill(child, leaves) for _, child in _children(structure)])


# ======================================================================= comparing structures
def _same_kind(a, b):
    """Two nodes match if both are dicts (of any of the three kinds) or of the same type."""
    if isinstance(a, dict) and isinstance(b, dict):
        return True
    return type(a) is type(b)


def _mismatch(path, what):
    where = "at the top" if not path else f"at path {path}"
    return ValueError(f"The two structures don't have the same nested structure: {where}, "
                      f"{what}.")


def _check_same(a, b, path=()):
    """Raise a ``ValueError`` naming the first place where ``b`` is not shaped as ``a``."""
    a_nested, b_nested = is_nested(a), is_nested(b)
    if not a_nested and not b_nested:
        return
    if a_nested != b_nested or not _same_kind(a, b):
        raise _mismatch(path, f"one is {_describe(a)} and the other {_describe(b)}")
    a_keys, b_keys = _keys(a), _keys(b)
    if isinstance(a, dict) and set(a_keys) != set(b_keys):
        raise _mismatch(path, f"keys {a_keys} against keys {b_keys}")
    if len(a_keys) != len(b_keys):
        raise _mismatch(path, f"{len(a_keys)} items against {len(b_keys)}")
    for key in a_keys:
        _check_same(a[key], b[key], path + (key,))


def _describe(value):
    if not is_nested(value):
        return f"a leaf ({type(value).__name__})"
    return f"a {type(value).__name__} of {len(value)}"


def assert_same_structure(a, b, check_types=None):
    """Raise ``ValueError`` unless ``a`` and ``b`` nest the same way (leaves may differ).

    At every node both must be the same container type with as many children --
    a list does not match a tuple, nor a namedtuple another namedtuple class --
    except that ``dict``, ``OrderedDict`` and ``defaultdict`` match each other
    when their keys agree. ``check_types`` is deprecated in Keras and does nothing.

    >>> from kerastutor import tree
    >>> tree.assert_same_structure([(0, 1)], [(2, 3)])
    >>> tree.assert_same_structure([0, 1], (2, 3))
    Traceback (most recent call last):
      ...
    ValueError: The two structures don't have the same nested structure: at the top, one is a list of 2 and the other a tuple of 2.
    """
    if check_types is not None:
        warnings.warn("The `check_types` argument is deprecated and no longer has any "
                      "effect" + (", please remove." if check_types else
                                  ". For a looser check, use `keras.tree.assert_same_paths()`"
                                  ", which considers `list`, `tuple`, `namedtuple` and "
                                  "`deque` as matching"),
                      DeprecationWarning, stacklevel=2)
    _check_same(a, b)


def assert_same_paths(a, b):
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same leaf paths (types may differ).

    A looser check than :func:`assert_same_structure`: ``[0, 1]`` and ``(2, 3)``
    both have the paths ``(0,)`` and ``(1,)``.

    >>> from kerastutor import tree
    >>> tree.assert_same_paths([0, 1], (2, 3))
    >>> tree.assert_same_paths({"a": 1}, {"b": 1})
    Traceback (most recent call last):
      ...
    ValueError: `a` and `b` don't have the same paths.
    Paths in `a` missing in `b`:
    {('a',)}
    Paths in `b` missing in `a`:
    {('b',)}
    """
    a_paths = {path for path, _ in flatten_with_path(a)}
    b_paths = {path for path, _ in flatten_with_path(b)}
    if a_paths == b_paths:
        return
    message = "`a` and `b` don't have the same paths."
    if a_paths - b_paths:
        message += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
    if b_paths - a_paths:
        message += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
    raise ValueError(message)


# ======================================================================= mapping
def map_structure(func, *structures, none_is_leaf=True):
    """Apply ``func`` leaf by leaf: ``func(leaf_1, leaf_2, ...)`` across equally nested structures.

    With ``none_is_leaf=False`` a ``None`` is kept as it is and never given to
    ``func`` (the other structures must hold ``None`` at the same places).

    >>> import collections
    >>> from kerastutor import tree
    >>> tree.map_structure(lambda v: v ** 2, [[1], [2], [3]])
    [[1], [4], [9]]
    >>> tree.map_structure(lambda x, y: x * y, [[1], (2,)], [[3], (4,)])
    [[3], (8,)]
    >>> Foo = collections.namedtuple("Foo", ["a", "b"])
    >>> tree.map_structure(lambda v: v * 2, Foo(a=1, b=2))
    Foo(a=2, b=4)
    """
    if not structures:
        raise ValueError("map_structure: give at least one structure to map over.")
    if not callable(func):
        raise TypeError(f"map_structure: `func` must be callable, got {func!r}.")
    for other in structures[1:]:
        _check_same(structures[0], other)
    if not none_is_leaf:
        _check_nones_agree(structures)
    return _map(func, structures, none_is_leaf)


def _map(func, structures, none_is_leaf):
    first = structures[0]
    if first is None and not none_is_leaf:
        return None
    if not is_nested(first):
        return func(*structures)
    keys = _keys(first)
    return _rebuild(first, [_map(func, [s[key] for s in structures], none_is_leaf)
                            for key in keys])


def _check_nones_agree(structures):
    for leaves in zip(*(flatten(s) for s in structures)):
        nones = [leaf is None for leaf in leaves]
        if any(nones) and not all(nones):
            raise ValueError("Structure mismatch: some arguments are None, others are not. "
                             f"Received arguments: {leaves}.")


def map_structure_up_to(shallow_structure, func, *structures):
    """Like :func:`map_structure`, but only as deep as ``shallow_structure`` goes.

    Where ``shallow_structure`` has a leaf (``None`` counts), ``func`` gets the
    whole sub-tree the other structures hold there.

    >>> from kerastutor import tree
    >>> tree.map_structure_up_to([None, None], len, [[1, 1], [2, 2, 2]])
    [2, 3]
    >>> tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]])
    ['[1, 1]', ['2', '2']]
    """
    if not structures:
        raise ValueError("map_structure_up_to: give at least one structure to map over.")
    return _map_up_to(shallow_structure, func, structures, ())


def _map_up_to(shallow, func, structures, path):
    if not is_nested(shallow):
        return func(*structures)
    for other in structures:
        if not is_nested(other) or not _same_kind(shallow, other):
            raise _mismatch(path, f"the shallow structure has {_describe(shallow)} where a "
                                  f"structure has {_describe(other)}")
        if set(_keys(other)) != set(_keys(shallow)):
            raise _mismatch(path, f"keys {_keys(shallow)} against {_keys(other)}")
    return _rebuild(shallow, [_map_up_to(child, func, [s[key] for s in structures],
                                         path + (key,))
                              for key, child in _children(shallow)])


def map_shape_structure(func, structure):
    """:func:`map_structure` where a shape -- a list or tuple of ints and ``None`` -- is a leaf.

    >>> from kerastutor import tree
    >>> tree.map_shape_structure(len, {"x": (None, 3), "y": [(2,), (4, 5, 6)]})
    {'x': 2, 'y': [1, 3]}
    """
    def is_shape(value):
        return isinstance(value, (list, tuple)) and \
            all(isinstance(d, int) or d is None for d in value)

    def apply(node):
        if is_shape(node) or not is_nested(node):
            return func(node)
        return _rebuild(node, [apply(child) for _, child in _children(node)])
    return apply(structure)


def traverse(func, structure, top_down=True):
    """Call ``func`` on every sub-tree (containers too), depth first; rebuild from its answers.

    Top down (the default), parents are visited before their children: when
    ``func(subtree)`` returns something other than ``None``, that value replaces
    the sub-tree and its children are not visited. Bottom up, children come
    first and ``func`` sees the parent already rebuilt. ``None`` means "keep it";
    return :class:`MAP_TO_NONE` to put a ``None`` there.

    >>> from kerastutor import tree
    >>> seen = []
    >>> tree.traverse(seen.append, [(1, 2), [3], {"a": 4}])
    [(1, 2), [3], {'a': 4}]
    >>> seen
    [[(1, 2), [3], {'a': 4}], (1, 2), 1, 2, [3], 3, {'a': 4}, 4]
    >>> tree.traverse(lambda s: "pair" if s == (1, 2) else None, [(1, 2), [3]])
    ['pair', [3]]
    """
    if not callable(func):
        raise TypeError(f"traverse: `func` must be callable, got {func!r}.")

    def visit_children(node):
        if not is_nested(node):
            return node
        return _rebuild(node, [traverse(func, child, top_down) for _, child in _children(node)])

    if top_down:
        answer = func(structure)
        if answer is None:
            return visit_children(structure)
    else:
        rebuilt = visit_children(structure)
        answer = func(rebuilt)
        if answer is None:
            return rebuilt
    return None if answer is MAP_TO_NONE else answer


def lists_to_tuples(structure):
    """The same structure with every list made a tuple (tuples can be dict keys and hashed).

    >>> from kerastutor import tree
    >>> tree.lists_to_tuples([1, [2, {"a": [3]}]])
    (1, (2, {'a': (3,)}))
    """
    return traverse(lambda node: tuple(node) if isinstance(node, list) else None,
                    structure, top_down=False)


__all__ = ["MAP_TO_NONE", "is_nested", "flatten", "flatten_with_path", "pack_sequence_as",
           "assert_same_structure", "assert_same_paths", "map_structure",
           "map_structure_up_to", "map_shape_structure", "traverse", "lists_to_tuples"]
