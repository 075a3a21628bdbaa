"""Units of the updater: how an installation is recognised, the rollback wheel, messages."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gemini_live_tui.errors import UpdateError
from gemini_live_tui.update.install import (
    INSTALLER_MARKER,
    _compressed_tag,
    _last_error_line,
    detect_installation,
    save_rollback_wheel,
)


class FakeDist(importlib.metadata.Distribution):
    """A distribution living at ``root`` (its site-packages), optionally editable."""

    def __init__(self, root: Path, *, editable_from: str | None = None) -> None:
        self.root = root
        self.editable_from = editable_from

    def read_text(self, filename: str) -> str | None:
        if filename == "METADATA":
            return "Metadata-Version: 2.1\nName: gemini-live\nVersion: 1.0.0\n"
        if filename == "direct_url.json" and self.editable_from:
            return json.dumps(
                {"url": f"file://{self.editable_from}", "dir_info": {"editable": True}}
            )
        return None

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        return self.root / path


def _layout(tmp_path: Path) -> tuple[Path, Path, Path]:
    base = tmp_path / "base"
    env = tmp_path / "env"
    stdlib = base / "lib" / "python3.11"
    for folder in (stdlib / "site-packages", env / "lib" / "site-packages", env / "bin"):
        folder.mkdir(parents=True)
    return base, env, stdlib


def test_system_python_is_refused_and_externally_managed_is_named(tmp_path: Path) -> None:
    base, _env, stdlib = _layout(tmp_path)
    dist = FakeDist(stdlib / "site-packages")
    with pytest.raises(UpdateError, match="not in a virtual environment"):
        detect_installation(dist=dist, prefix=base, base_prefix=base, stdlib=stdlib)
    (stdlib / "EXTERNALLY-MANAGED").write_text("[externally-managed]\n")
    with pytest.raises(UpdateError, match="package manager owns") as info:
        detect_installation(dist=dist, prefix=base, base_prefix=base, stdlib=stdlib)
    assert "install.sh" in str(info.value)


def test_copy_in_the_base_python_seen_from_a_venv_is_refused(tmp_path: Path) -> None:
    base, env, stdlib = _layout(tmp_path)
    dist = FakeDist(stdlib / "site-packages")
    with pytest.raises(UpdateError, match=f"in the Python at {base}"):
        detect_installation(dist=dist, prefix=env, base_prefix=base, stdlib=stdlib)


def test_editable_install_is_refused(tmp_path: Path) -> None:
    base, env, stdlib = _layout(tmp_path)
    dist = FakeDist(env / "lib" / "site-packages", editable_from="/src/gemini-live")
    with pytest.raises(UpdateError, match="editable install of /src/gemini-live"):
        detect_installation(dist=dist, prefix=env, base_prefix=base, stdlib=stdlib)


@pytest.mark.parametrize(
    ("marker", "kind"),
    [
        ("pipx_metadata.json", "pipx"),
        ("uv-receipt.toml", "uv tool"),
        (INSTALLER_MARKER, "install.sh"),
        (None, "venv"),
    ],
)
def test_kind_of_virtual_environment(tmp_path: Path, marker: str | None, kind: str) -> None:
    base, env, stdlib = _layout(tmp_path)
    if marker:
        (env / marker).write_text("")
    inst = detect_installation(
        dist=FakeDist(env / "lib" / "site-packages"),
        prefix=env,
        base_prefix=base,
        stdlib=stdlib,
        scripts=env / "bin",
    )
    assert inst.kind == kind
    assert inst.launcher == env / "bin" / "gemini-live"
    assert str(inst.version) == "1.0.0"


def test_rollback_wheel_of_a_real_installed_distribution_reinstalls(tmp_path: Path) -> None:
    # platformdirs is a small, pure, regularly installed distribution of this interpreter.
    dist = importlib.metadata.distribution("platformdirs")
    wheel = save_rollback_wheel(dist, tmp_path / "keep")
    assert wheel.name.startswith(f"platformdirs-{dist.version}-py3-none-any")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        record = archive.read(next(n for n in names if n.endswith(".dist-info/RECORD"))).decode()
    assert "platformdirs/__init__.py" in names
    assert not any(
        "__pycache__" in n or n.endswith(("INSTALLER", "direct_url.json")) for n in names
    )
    assert "platformdirs/__init__.py,sha256=" in record
    target = tmp_path / "target"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    done = subprocess.run(
        [*pip, "--target", str(target), str(wheel)],
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (target / "platformdirs" / "__init__.py").read_bytes() == Path(
        str(dist.locate_file("platformdirs/__init__.py"))
    ).read_bytes()
    # A second snapshot replaces the first: one rollback wheel is kept.
    save_rollback_wheel(dist, tmp_path / "keep")
    assert len(list((tmp_path / "keep").glob("*.whl"))) == 1


def test_compressed_tags_and_error_lines() -> None:
    assert _compressed_tag(["py3-none-any"]) == "py3-none-any"
    assert _compressed_tag(["py2-none-any", "py3-none-any"]) == "py2.py3-none-any"
    out = "Looking in indexes: https://u:tok@h/simple\nERROR: No matching distribution\n"
    assert _last_error_line(out) == "ERROR: No matching distribution"
    assert _last_error_line("fetch https://user:tok@host/x failed") == (
        "fetch https://********@host/x failed"
    )
