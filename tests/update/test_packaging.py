"""`python -m build` makes an sdist and a wheel that carry the whole package.

Built offline from a copy of the tree with this interpreter's setuptools
(``--no-isolation``).  Every file of the package in the tree (code, styles, web assets,
``py.typed``) must reach the wheel, and the metadata must carry the base dependencies, the
three extras and the ``gemini-live`` command.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

from tests.update.conftest import REPO, clean_env, copy_source


def test_build_makes_sdist_and_wheel_with_every_package_file(tmp_path: Path) -> None:
    tree = copy_source(tmp_path / "src")
    out = tmp_path / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(tree)],
        env=clean_env(tmp_path, PIP_NO_INDEX="1"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = out.glob("gemini_live-*-py3-none-any.whl")
    (sdist,) = out.glob("gemini_live-*.tar.gz")

    package = REPO / "gemini_live_tui"
    expected = {
        path.relative_to(REPO).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
        entry_points = archive.read(metadata_name.replace("METADATA", "entry_points.txt"))
    missing = sorted(expected - names)
    assert not missing, f"files of the package missing from the wheel: {missing}"

    assert metadata["Name"] == "gemini-live"
    assert metadata["Requires-Python"] == ">=3.11"
    requires = metadata.get_all("Requires-Dist") or []
    base = {r.split(";")[0].split(">")[0].split("=")[0].strip() for r in requires if ";" not in r}
    for name in ("textual", "sounddevice", "numpy", "mss", "pillow", "websockets", "click"):
        assert name in base, f"{name} must be a base dependency"
    assert set(metadata.get_all("Provides-Extra") or []) >= {"vertex", "server", "dev"}
    assert b"gemini-live = gemini_live_tui.cli:main" in entry_points

    with tarfile.open(sdist) as archive:
        members = {Path(m).relative_to(Path(m).parts[0]).as_posix() for m in archive.getnames()}
    assert {"pyproject.toml", "README.md", "gemini_live_tui/__init__.py"} <= members
