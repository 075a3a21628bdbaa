"""The layering rules hold: import-linter's contracts, and no textual below the UI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept() -> None:
    # lint_imports reads [tool.importlinter] from the pyproject.toml in the cwd.
    import os

    from importlinter.cli import lint_imports

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        status = lint_imports(no_cache=True)
    finally:
        os.chdir(cwd)
    assert status == 0, "import-linter found a broken contract (run `lint-imports`)"


def _modules_loaded_by(module: str) -> set[str]:
    code = f"import json, sys\nimport {module}\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout))


def test_engine_and_config_load_no_textual() -> None:
    for module in ("gemini_live_tui.engine", "gemini_live_tui.config"):
        loaded = _modules_loaded_by(module)
        assert not any(m == "textual" or m.startswith("textual.") for m in loaded), module


def test_version_and_config_stay_light() -> None:
    loaded = _modules_loaded_by("gemini_live_tui.cli")
    for heavy in ("textual", "numpy", "sounddevice", "websockets", "PIL"):
        assert heavy not in loaded, f"gemini_live_tui.cli imports {heavy} at load time"


def _import_cycles(package: str) -> list[list[str]]:
    """Groups of modules that import each other, directly or not (Tarjan's SCC).

    grimp sees every import, including those under ``TYPE_CHECKING`` and inside
    functions, so a cycle cannot hide behind a deferred import.
    """
    import grimp

    graph = grimp.build_graph(package)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycles_anywhere_in_the_package() -> None:
    assert _import_cycles("gemini_live_tui") == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "cyclic_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclic_pkg import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cyclic_pkg import a\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        assert _import_cycles("cyclic_pkg") == [["cyclic_pkg.a", "cyclic_pkg.b"]]
    finally:
        sys.path.remove(str(tmp_path))
