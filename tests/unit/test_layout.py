"""The layout's rules, read from the code with ``ast``: imports go one way, and no module
grows past what a newcomer can read. Every import counts, those inside functions too."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tg_support", "workers")
FEATURES = ("questions", "helpers", "translation", "broadcast", "community", "moderation", "ops")
MAX_LINES = 700


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[module_name(path)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Project modules that ``name`` imports (``from pkg import mod`` counts as ``mod``)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:
                    yield sub
                elif target in known:
                    yield target


def graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {t for t in imported(name, path, known) if t != name}
        for name, path in known.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
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
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_reader_sees_the_real_graph() -> None:
    edges = graph()
    assert "tg_support.core.store" in edges["tg_support.questions.store"]
    assert "tg_support.handlers.common" in edges["tg_support.handlers.ask"]  # relative import
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_circles() -> None:
    assert cycles(graph()) == []


def test_imports_go_one_way() -> None:
    """core below features, features below handlers and workers; the emulator alone."""
    problems = []
    for src, targets in graph().items():
        for dst in targets:
            if src.startswith("tg_support.sandbox") and not dst.startswith("tg_support.sandbox"):
                problems.append(f"{src} -> {dst}: the emulator imports nothing of the bot")
            if src.startswith("tg_support.core") and not dst.startswith(
                ("tg_support.core", "tg_support.config")
            ):
                problems.append(f"{src} -> {dst}: core imports no feature")
            if dst.startswith("workers") and not src.startswith(("workers", "tg_support.cli")):
                problems.append(f"{src} -> {dst}: only workers/ (and `tg-support worker`) import it")
            if dst.startswith("tg_support.handlers") and not src.startswith(
                ("tg_support.handlers", "tg_support.app")
            ):
                problems.append(f"{src} -> {dst}: handlers are wired by app.py only")
            if src.startswith("tg_support.handlers.") and dst.startswith("tg_support.handlers."):
                shared = ("tg_support.handlers.common", "tg_support.handlers.steps")
                if dst not in shared and not src.startswith(dst + ".") and not dst.startswith(
                    src + "."
                ):
                    problems.append(f"{src} -> {dst}: a handler never imports another feature's")
            for feature in FEATURES:
                if src.startswith(f"tg_support.{feature}") and dst.startswith(
                    ("tg_support.app", "tg_support.cli", "tg_support.demo")
                ):
                    problems.append(f"{src} -> {dst}: features do not import the wiring")
    assert problems == []


def test_no_module_is_too_long() -> None:
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
