"""The limits the code keeps, checked on every run: small functions, small modules, imports that point one
way. A newcomer reads the tree in the order the imports go: knowledge, then the engine, then the programs
around it (CLI, Slack, store, digest)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from radon.complexity import cc_visit
from radon.visitors import Function

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "knowledge", "benchmarks")
CHECKED = (*PACKAGES, "scripts")
# Cyclomatic complexity (radon) above this is split; 15 is where reviewers stopped following a function.
MAX_COMPLEXITY = 15
# Lines per module; past this a module holds more than one job.
MAX_MODULE_LINES = 400
# Which first-party packages each may import: knowledge depends on nothing of ours, the engine on knowledge
# only, and nothing imports the Slack listeners but the app that registers them.
ALLOWED = {
    "knowledge": ("knowledge",),
    "bot.answering": ("bot.answering", "knowledge"),
    "bot.store": ("bot.store", "bot.settings", "bot.timeofday", "knowledge"),
    "bot.evaluation": ("bot.evaluation", "bot.answering", "bot.render", "knowledge"),
    "bot.render": ("bot.render", "bot.answering", "knowledge"),
}
SLACK = ("slack_bolt", "slack_sdk", "aiohttp")


def sources(*tops: str) -> Iterator[Path]:
    for top in tops:
        if (ROOT / top).is_dir():
            yield from sorted((ROOT / top).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (an import inside a function counts too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


def graph() -> dict[str, set[str]]:
    """First-party module -> the first-party modules it imports."""
    modules = {module_name(p): p for p in sources(*PACKAGES)}
    return {name: {m for m in imports(path) if m in modules and m != name} for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_function_is_too_complex() -> None:
    over = []
    for path in sources(*CHECKED):
        for block in cc_visit(path.read_text(encoding="utf-8")):
            if isinstance(block, Function) and block.complexity > MAX_COMPLEXITY:
                name = f"{block.classname}.{block.name}" if block.classname else block.name
                over.append(f"{path.relative_to(ROOT)}:{block.lineno} {name} ({block.complexity})")
    assert not over, f"complexity above {MAX_COMPLEXITY}:\n" + "\n".join(over)


def test_no_module_is_too_long() -> None:
    long = [f"{p.relative_to(ROOT)} ({n})" for p in sources(*CHECKED)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES]
    assert not long, f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(long)


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    wrong = []
    for path in sources(package.replace(".", "/")):
        for imported in imports(path):
            top = imported.split(".")[0]
            if top in SLACK or (top in PACKAGES and not imported.startswith(ALLOWED[package])):
                wrong.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("edges", "expected"), [
    ({"a": {"b"}, "b": set()}, []),
    ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"a"}}, []),
])
def test_cycles_finds_what_it_should(edges: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(edges) == expected
