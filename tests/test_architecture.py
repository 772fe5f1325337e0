"""House rules of the package that a reader can check by eye, checked here for
every module: no import cycle (imports inside functions included; imports
under ``if TYPE_CHECKING:`` are for annotations only and do not run), no
module over 400 lines, and no timing figures in library code (they belong in
docs/benchmarks.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "minitorch_np"
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def run_time_imports(path: Path) -> set[str]:
    """The minitorch_np modules ``path`` imports when it runs (at any depth)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for child in ast.walk(node))
    package = (
        module_name(path)
        if path.name == "__init__.py"
        else module_name(path).rpartition(".")[0]
    )
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    names = {module_name(p) for p in MODULES}
    return {name for name in found if name in names and name != module_name(path)}


def test_no_import_cycles():
    graph = {module_name(path): run_time_imports(path) for path in MODULES}
    # A package imports its submodules to re-export them; a cycle through a
    # package __init__ that only re-exports is not one a reader has to untangle,
    # so only edges between plain modules count.
    packages = {module_name(p) for p in MODULES if p.name == "__init__.py"}
    graph = {
        name: {target for target in targets if target not in packages}
        for name, targets in graph.items()
        if name not in packages
    }
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(graph.get(name, ())):
            if state.get(target) == 1:
                cycle = stack[stack.index(target) :] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_400_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{path.relative_to(PACKAGE)} has {lines} lines"


TIMING = re.compile(
    r"\d ?(us|ms|µs)\b|[MG]FLOP|\d\.\d+x\b|\d+(\.\d+)? ?(s|seconds) per\b"
)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_timing_figures_in_library_code(path):
    hits = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if TIMING.search(line)
    ]
    assert not hits, "timing figures belong in docs/benchmarks.md:\n" + "\n".join(hits)
