"""No module of kerastutor imports a module that imports it back.

DESIGN.md's rule: dependencies point down (engine -> layers -> ops ->
backend), so every chapter can be read, and imported, on its own. This test
reads every ``.py`` file of ``kerastutor/`` and ``gpu/`` (installed as
``kerastutor.gpu``) with :mod:`ast` -- imports inside functions included --
and fails on any cycle, printing the loop edge by edge.

An import of ``a.b.c``, or ``from a.b import c``, is an edge to the deepest of
``a.b.c``, ``a.b``, ``a`` that is a module of the package (``c`` may be a
function, not a module).
"""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ((ROOT / "kerastutor", "kerastutor"), (ROOT / "gpu", "kerastutor.gpu"))


def package_modules():
    """``{dotted module name: (path, is_package)}`` for every source file."""
    modules = {}
    for folder, prefix in PACKAGES:
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            modules[".".join([prefix] + parts)] = (path, is_package)
    return modules


def imported_names(node, module, is_package):
    """The dotted names one ``import`` statement may refer to, most specific first."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = module if is_package else module.rpartition(".")[0]
    for _ in range(node.level - 1):               # from .. import x
        base = base.rpartition(".")[0]
    if node.level:
        target = ".".join(filter(None, [base, node.module]))
    else:
        target = node.module
    return [f"{target}.{alias.name}" for alias in node.names]


def deepest_module(name, modules):
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph():
    """``{module: {imported module: first line number}}``, within the package only."""
    modules = package_modules()
    graph = {}
    for module, (path, is_package) in modules.items():
        edges = graph.setdefault(module, {})
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for name in imported_names(node, module, is_package):
                target = deepest_module(name, modules)
                if target is not None and target != module:
                    edges[target] = min(edges.get(target, node.lineno), node.lineno)
    return graph


def find_cycle(graph):
    """One import loop as ``[m0, m1, ..., m0]``, or ``None`` (depth-first search)."""
    state = {}                                    # module -> "open" | "done"
    path = []

    def visit(module):
        state[module] = "open"
        path.append(module)
        for target in sorted(graph.get(module, {})):
            if state.get(target) == "open":
                return path[path.index(target):] + [target]
            if target not in state:
                loop = visit(target)
                if loop:
                    return loop
        path.pop()
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            loop = visit(module)
            if loop:
                return loop
    return None


def describe(loop, graph):
    """``a imports b (line 12), which imports c (line 3), ... which imports a back``."""
    steps = [f"{loop[0]} imports {loop[1]} (line {graph[loop[0]][loop[1]]})"]
    for here, there in zip(loop[1:-1], loop[2:]):
        back = " back" if there == loop[0] else ""
        steps.append(f"which imports {there}{back} (line {graph[here][there]})")
    return ",\n  ".join(steps)


def test_the_graph_is_read():
    graph = import_graph()
    assert "kerastutor.models.functional" in graph
    assert "kerastutor.gpu" in graph
    assert "kerastutor.layers.base" in graph["kerastutor.models.functional"]


def test_no_import_cycles():
    graph = import_graph()
    loop = find_cycle(graph)
    assert loop is None, (
        "Import cycle (a module must not import one that imports it back; move the shared "
        "piece down a layer, or register it from above):\n  " + describe(loop, graph))


def test_find_cycle_names_the_loop():
    graph = {"a": {"b": 3}, "b": {"c": 7}, "c": {"a": 1}, "d": {"a": 2}}
    loop = find_cycle(graph)
    assert loop == ["a", "b", "c", "a"]
    assert describe(loop, graph) == (
        "a imports b (line 3),\n  which imports c (line 7),\n  which imports a back (line 1)")
    assert find_cycle({"a": {"b": 1}, "b": {}}) is None
