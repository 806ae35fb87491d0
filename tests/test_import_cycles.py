"""Issue 13: tempoctl's modules import one way, with no cycles — lazy (function-level) imports included, since a
cycle broken only by deferring an import still ties the two modules together. Run it directly to list the cycles
with their edges: `python tests/test_import_cycles.py`.

The graph is built from the source with `ast`, not by importing: `import a.b` is an edge to `a.b`, and
`from a import b` is an edge to `a.b` when that is a module, else to `a`. Imports under `if TYPE_CHECKING:` are
left out: they never run, and they are how a type annotation names a class without depending on its module.

Also here: the Stellar and EVM profile protocols stay separate, so no plug-in says `NotImplementedError` to a
method it cannot have and no call site silences the type checker to reach one it does.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tempoctl"

Edge = tuple[str, str, int]  # (importer, imported, line)


def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(package: Path) -> dict[str, Path]:
    return {_module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those guarded by `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def import_graph(package: Path = PACKAGE) -> dict[str, list[Edge]]:
    """Module name → its edges to other modules of `package`."""
    modules = _modules(package)
    graph: dict[str, list[Edge]] = {}
    for name, path in modules.items():
        is_pkg = path.name == "__init__.py"
        edges: list[Edge] = []
        for node in _imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    base_parts = name.split(".") if is_pkg else name.split(".")[:-1]
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                    base = ".".join(base_parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                if target in modules:
                    edges.append((name, target, node.lineno))
        graph[name] = edges
    return graph


def cycles(graph: dict[str, list[Edge]]) -> list[list[str]]:
    """Strongly connected components with more than one module, plus modules that import themselves (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for _, w, _ in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component: list[str] = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or any(t == v for _, t, _ in graph[v]):
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def describe(graph: dict[str, list[Edge]], found: list[list[str]]) -> str:
    lines: list[str] = []
    for n, component in enumerate(found, 1):
        members = set(component)
        lines.append(f"cycle {n}: {len(component)} modules")
        for src in component:
            first: dict[str, int] = {}
            for _, dst, line in graph[src]:
                if dst in members:
                    first.setdefault(dst, line)
            lines.extend(f"  {src}:{line} -> {dst}" for dst, line in sorted(first.items()))
    return "\n".join(lines)


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = cycles(graph)
    assert not found, f"{len(found)} import cycle(s) in tempoctl/:\n{describe(graph, found)}"


def test_the_checker_sees_lazy_relative_and_submodule_imports(tmp_path: Path) -> None:
    """Guards the checker itself: a lazy import inside a function, a relative `from . import mod`,
    `from pkg import submodule` and a package's `__init__` all count; `if TYPE_CHECKING:` does not."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    files = {
        "__init__.py": "from pkg.sub import c\n",  # the package itself: an edge to the submodule pkg.sub.c
        "a.py": "def f():\n    from . import b\n",  # lazy and relative: a -> b
        "b.py": "import pkg.a\n",  # b -> a: cycle {a, b}
        "sub/__init__.py": "",
        "sub/c.py": "from .. import d\n",  # c -> d
        "d.py": "from pkg.sub import e\n",  # `e` is not a module: d -> pkg.sub
        "e.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pkg.a\nimport pkg.e\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text)
    graph = import_graph(pkg)
    edges = {(s, t) for es in graph.values() for s, t, _ in es}
    assert edges == {("pkg", "pkg.sub.c"), ("pkg.a", "pkg.b"), ("pkg.b", "pkg.a"), ("pkg.sub.c", "pkg.d"),
                     ("pkg.d", "pkg.sub"), ("pkg.e", "pkg.e")}
    assert cycles(graph) == [["pkg.a", "pkg.b"], ["pkg.e"]]
    assert "pkg.b:1 -> pkg.a" in describe(graph, cycles(graph))


# At the plug-in boundary (the profiles, and the engine modules that call them), a profile never needs to refuse
# a method of the wrong chain's protocol, and no call reaches past the declared protocol.
BOUNDARY = [
    PACKAGE / "profiles",
    PACKAGE / "observed" / "engine.py",
    PACKAGE / "observed" / "sources.py",
    PACKAGE / "observed" / "stellar" / "source.py",
    PACKAGE / "diff" / "__init__.py",
]
FORBIDDEN = re.compile(r"NotImplementedError|type:\s*ignore")


def test_no_not_implemented_or_type_ignore_at_the_profile_boundary() -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for root in BOUNDARY
        for path in ([root] if root.is_file() else sorted(root.rglob("*.py")))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if FORBIDDEN.search(line)
    ]
    assert not hits, "\n".join(hits)


if __name__ == "__main__":
    g = import_graph()
    c = cycles(g)
    print(describe(g, c) if c else "no import cycles")
    print(f"{len(c)} cycle(s), {sum(len(x) for x in c)} modules in them, {len(g)} modules in all")
    sys.exit(1 if c else 0)
