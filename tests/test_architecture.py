"""The layout's rules, checked on the source: layers, cycles, the engine choice, sizes.

- Dependencies point one way: cli -> {jobs, demo, renderer} -> ingest -> core, and the
  renderer reads through core only. Imports inside functions count too.
- No import cycle between modules.
- An import inside a function only where it keeps the command line's start-up fast, and
  then with a comment saying so.
- Which engine (DuckDB or PostgreSQL) a warehouse runs on is asked in at most three modules.
- No function longer than 80 lines; the demo generator's SQL lives in .sql files.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from webstats.core.settings import PROJECT_DIR

PACKAGES = ("webstats", "renderer")
#: layer -> the layers it may import (besides itself)
ALLOWED = {
    "cli": {"jobs", "demo", "renderer", "ingest", "core"},
    "jobs": {"ingest", "core"},
    "demo": {"ingest", "core"},
    "renderer": {"core"},
    "ingest": {"core"},
    "core": set(),
}
ENGINE_CHOICE = re.compile(
    r"""\.target\s*(==|!=|in|not in)\s*\(?\s*["'](duckdb|postgres)|^\s*import psycopg|"""
    r"""^\s*from psycopg\b"""
)
MAX_ENGINE_MODULES = 3
MAX_FUNCTION_LINES = 80
FAST_START = re.compile(r"start-up|--help|fast", re.IGNORECASE)


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the two packages."""
    out = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_DIR / package).rglob("*.py")):
            parts = list(path.relative_to(PROJECT_DIR).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def layer(module: str) -> str:
    if module.startswith("renderer"):
        return "renderer"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else "core"


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module an ImportFrom names (relative imports resolved)."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(known: dict[str, Path]) -> list[tuple[str, str, bool, int, Path]]:
    """(importer, imported module, inside a function?, line, file) of the two packages."""
    found = []
    for module, path in known.items():
        tree = ast.parse(path.read_text())
        in_function = {
            id(n)
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
            for n in ast.walk(f)
        }
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, path, node)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                    for a in node.names
                ]
            for target in targets:
                if target.split(".")[0] in PACKAGES:
                    found.append((module, target, id(node) in in_function, node.lineno, path))
    return found


def test_dependencies_point_one_way():
    wrong = [
        f"{path.relative_to(PROJECT_DIR)}:{line}: {src} ({layer(src)}) imports {dst} "
        f"({layer(dst)})"
        for src, dst, _, line, path in imports(modules())
        if layer(dst) != layer(src) and layer(dst) not in ALLOWED[layer(src)]
    ]
    assert wrong == []


def test_no_import_cycles():
    known = modules()
    graph: dict[str, set[str]] = {m: set() for m in known}
    for src, dst, *_ in imports(known):
        if dst in known and dst != src:
            graph[src].add(dst)
    cycles = _cycles(graph)
    assert cycles == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_function_level_imports_say_they_keep_start_up_fast():
    """Of the project's own packages and of the heavy libraries alike."""
    unexplained = []
    for module, path in modules().items():
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines))
        for f in ast.walk(tree):
            if not isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(f):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                if not FAST_START.search(_import_group_text(lines, node.lineno)):
                    unexplained.append(f"{module}:{node.lineno}")
    assert unexplained == []


def test_the_engine_choice_lives_in_few_modules():
    choosing = sorted(
        str(path.relative_to(PROJECT_DIR))
        for path in modules().values()
        if any(ENGINE_CHOICE.search(line) for line in path.read_text().splitlines())
    )
    assert "webstats/core/warehouse.py" in choosing
    assert len(choosing) <= MAX_ENGINE_MODULES, choosing


def _import_group_text(lines: list[str], lineno: int) -> str:
    """The import's line and the import and comment lines right above it (its group)."""
    text = lines[lineno - 1]
    i = lineno - 2
    while i >= 0 and lines[i].strip().startswith(("import ", "from ", "#")):
        text += lines[i]
        i -= 1
    return text


@pytest.mark.parametrize("folder", ["webstats", "renderer", "bench"])
def test_no_function_longer_than_80_lines(folder):
    long = []
    for path in sorted((PROJECT_DIR / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PROJECT_DIR)}:{node.lineno} {node.name} {n}")
    assert long == []


def test_the_demo_generators_sql_lives_in_sql_files():
    """No multi-line SQL text in the generator's Python: its steps are files in sql/."""
    demo = PROJECT_DIR / "webstats" / "demo"
    assert sorted(p.name for p in (demo / "sql").glob("*.sql"))
    for path in demo.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value.count("\n") < 5 or not re.search(
                    r"\bselect\b", node.value, re.IGNORECASE
                ), f"{path.name}:{node.lineno}"
