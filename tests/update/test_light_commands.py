"""`--version`, `update` and `config` must never load the heavy or native-backed modules.

They must work on a machine without PortAudio or a display, and start fast; so each is
run in a fresh interpreter and its ``sys.modules`` is inspected at exit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.update.conftest import clean_env
from tests.update.local_index import LocalIndex

HEAVY = {"sounddevice", "_sounddevice", "mss", "textual", "numpy", "PIL", "soxr"}

_PROBE = """
import atexit, json, sys
out, args = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["gemini-live", *args]
from gemini_live_tui.cli import main
main()
"""


def _modules_after(tmp_path: Path, *args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    out = tmp_path / "modules.json"
    env = clean_env(tmp_path, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    for key in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        env.pop(key, None)
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(out), *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.is_file(), done.stderr
    loaded = set(json.loads(out.read_text()))
    return {name.split(".")[0] for name in loaded}, done


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("--help",),
        ("update", "--help"),
        ("config",),
    ],
    ids=["version", "help", "update-help", "config"],
)
def test_light_commands_load_no_heavy_module(tmp_path: Path, args: tuple[str, ...]) -> None:
    roots, done = _modules_after(tmp_path, *args)
    assert not roots & HEAVY, (sorted(roots & HEAVY), done.stderr)


@pytest.mark.parametrize("check", [True, False], ids=["check", "update"])
def test_update_loads_no_heavy_module(tmp_path: Path, check: bool) -> None:
    with LocalIndex() as index:
        index.add("gemini_live-0.0.1-py3-none-any.whl")
        args = ["update", "--index-url", index.url] + (["--check"] if check else [])
        roots, done = _modules_after(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert "not downgrading" in done.stdout
    assert not roots & HEAVY, sorted(roots & HEAVY)


def test_version_prints_the_package_version(tmp_path: Path) -> None:
    from gemini_live_tui import __version__

    _roots, done = _modules_after(tmp_path, "--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"gemini-live, version {__version__}"
