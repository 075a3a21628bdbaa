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
