"""The layering of `docs/architecture.md`, enforced: imports go down the layers only, never in a circle, and
nothing below the Dagster layer imports Dagster.

Every import counts, including those inside function bodies: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "g6_pipeline"
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"

LAYERS: tuple[str, ...] = (
    "util", "core", "settings", "instruments", "providers", "analytics", "storage",
    "metrics", "live", "process", "collection", "history", "defs", "cli", "definitions", "data",
)
"""The package's folders (and entry-point modules), lowest first: a module imports only from its own layer
or a lower one."""
ENTRY_POINTS = frozenset({"definitions", "data"})
"""Top-level faces: nothing else inside the package imports them."""
DAGSTER_LAYERS = frozenset({"defs", "cli", "definitions"})
"""The only layers that may import `dagster` (the CLI only to inspect the instance)."""


def module_name(path: Path, package: Path) -> str:
    """`<package>/a/b.py` → `g6_pipeline.a.b` (a package by its `__init__`)."""
    parts = ["g6_pipeline", *path.relative_to(package).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package: Path) -> Iterator[str]:
    """Every module `path` imports, at any depth of its body (relative imports resolved)."""
    own = module_name(path, package).split(".")
    parent = own if path.name == "__init__.py" else own[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(parent[: len(parent) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)  # `from pkg import module`


def layer_of(module: str) -> str | None:
    """The layer of a `g6_pipeline` module; None for the package itself and for other libraries."""
    parts = module.split(".")
    return parts[1] if parts[0] == "g6_pipeline" and len(parts) > 1 else None


def import_graph(package: Path) -> dict[str, set[str]]:
    """Each package module → the package modules it imports."""
    files = {module_name(p, package): p for p in package.rglob("*.py")}
    return {name: {m for m in imports_of(path, package) if m in files and m != name} for name, path in files.items()}


def upward_imports(package: Path) -> list[str]:
    """`a imports b` for every import of a higher layer (or of an entry point from elsewhere)."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    found = []
    for module, imported in import_graph(package).items():
        mine = layer_of(module)
        for target in imported:
            theirs = layer_of(target)
            if mine is None or theirs is None or theirs == mine:
                continue
            if theirs in ENTRY_POINTS or rank.get(theirs, -1) > rank.get(mine, len(LAYERS)):
                found.append(f"{module} imports {target}")
    return sorted(found)


def import_circle(package: Path) -> list[str]:
    """One circle of module imports, empty when there is none (a package importing its own modules is not one)."""
    graph = import_graph(package)
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return []


def dagster_below_its_layer(package: Path) -> list[str]:
    """`a imports b` for every import of dagster, the Dagster layer or the CLI from below them."""
    found = set()
    for path in package.rglob("*.py"):
        module = module_name(path, package)
        if layer_of(module) in DAGSTER_LAYERS:
            continue
        for target in imports_of(path, package):
            if target.split(".")[0] == "dagster":
                found.add(f"{module} imports dagster")
            elif layer_of(target) in DAGSTER_LAYERS:
                found.add(f"{module} imports {target}")
    return sorted(found)


def test_every_folder_is_a_layer_and_documented() -> None:
    found = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    found |= {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert found == set(LAYERS)
    text = ARCHITECTURE.read_text()
    assert [name for name in LAYERS if f"`{name}" not in text] == []


def test_imports_go_down_the_layers_only() -> None:
    assert upward_imports(PACKAGE) == []


def test_no_import_circle() -> None:
    assert import_circle(PACKAGE) == []


def test_the_core_never_imports_dagster() -> None:
    assert dagster_below_its_layer(PACKAGE) == []


def test_each_check_finds_a_violation_hidden_in_a_function(tmp_path: Path) -> None:
    package = tmp_path / "g6_pipeline"
    for folder in ("core", "live"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "core" / "clock.py").write_text("def f():\n    from dagster import asset\n"
                                               "    from g6_pipeline.live import status\n")
    (package / "live" / "status.py").write_text("from g6_pipeline.core.clock import f\n")
    assert upward_imports(package) == ["g6_pipeline.core.clock imports g6_pipeline.live",
                                      "g6_pipeline.core.clock imports g6_pipeline.live.status"]
    assert dagster_below_its_layer(package) == ["g6_pipeline.core.clock imports dagster"]
    assert import_circle(package) == ["g6_pipeline.core.clock", "g6_pipeline.live.status", "g6_pipeline.core.clock"]
