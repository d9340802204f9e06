"""The shape of checkin/: no import circle, and imports point one way between the layers.

views (guest, owner, api, CLI) -> services -> pins -> lock clients -> HTTP, with models, clock
and the other small modules at the bottom. Read from the source (every import statement, also
those inside functions), so a circle that Python happens to survive still fails here.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "checkin"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The checkin modules that `name` imports: `from .x import y` is x.y if that is a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_there_is_no_import_circle_in_checkin():
    assert circles(import_graph()) == []


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# Which modules each layer may not import (prefix match).
FORBIDDEN = {
    "checkin.locks": ["checkin.models", "checkin.extensions", "checkin.database", "checkin.pins", "checkin.services",
                      "checkin.guest", "checkin.owner", "checkin.api", "checkin.cli", "checkin.locks_cli"],
    "checkin.pins": ["checkin.services", "checkin.guest", "checkin.owner", "checkin.api", "checkin.cli",
                     "checkin.locks_cli"],
    "checkin.services": ["checkin.guest", "checkin.owner", "checkin.api", "checkin.cli", "checkin.locks_cli",
                         "checkin.platform_cli"],
    "checkin.models": ["checkin.services", "checkin.pins", "checkin.locks", "checkin.guest", "checkin.owner"],
    "checkin.stays": ["checkin.services", "checkin.pins", "checkin.locks", "checkin.guest", "checkin.owner"],
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_imports_point_one_way(layer):
    wrong = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        if module == layer or module.startswith(layer + ".")
        for target in targets
        if any(target == banned or target.startswith(banned + ".") for banned in FORBIDDEN[layer])
    ]
    assert wrong == []


def test_lock_clients_never_touch_the_database_or_flask():
    for path in (PACKAGE / "locks").glob("*.py"):
        source = path.read_text()
        for word in ("sqlalchemy", "flask", "db.session"):
            assert word not in source, f"{path.name} uses {word}"
