"""No import circles anywhere in `chalicelib/`, and the layers point one way: services never import a store adapter,
the API, or the configuration; the domain imports nothing but the policy."""

from __future__ import annotations

import ast
from pathlib import Path

CHALICELIB = Path(__file__).resolve().parents[2] / "chalicelib"


def _module_name(path: Path) -> str:
    parts = path.relative_to(CHALICELIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(tree: ast.Module, known: set[str]) -> set[str]:
    """Every chalicelib module this module imports at run time (module level or inside functions)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            return  # annotations only: never executed
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(path): path for path in CHALICELIB.rglob("*.py")}
    known = set(files)
    return {name: _imports(ast.parse(path.read_text()), known) - {name} for name, path in files.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (found := walk(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := walk(node)):
            return found
    return None


def test_chalicelib_has_no_import_cycle() -> None:
    assert _cycle(import_graph()) is None


def test_a_cycle_would_be_found() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_services_depend_on_ports_not_on_adapters_the_api_or_the_configuration() -> None:
    graph = import_graph()
    for module, targets in graph.items():
        if module.startswith("chalicelib.services"):
            forbidden = {
                t for t in targets if t.startswith(("chalicelib.store", "chalicelib.api", "chalicelib.config"))
            }
            assert not forbidden, (module, forbidden)
        if module.startswith("chalicelib.domain"):
            assert all(t.startswith(("chalicelib.domain", "chalicelib.policy")) for t in targets), (module, targets)


def test_nothing_below_the_compositions_reads_the_environment() -> None:
    # The configuration is read in one place per entry point (its composition); everything else gets values passed in.
    readers = [
        _module_name(path)
        for path in CHALICELIB.rglob("*.py")
        if "os.environ" in path.read_text() or "getenv" in path.read_text()
    ]
    assert readers == []
