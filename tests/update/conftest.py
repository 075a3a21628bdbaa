"""Fixtures for the install and update tests: real wheels, real venvs, a real index.

Wheels are built from a copy of this source tree with the version rewritten (and, for the
"broken" release, an entry point that fails), with the real build backend and no network
(``--no-build-isolation --no-index``), so with this interpreter's setuptools, which the
``dev`` extra keeps new enough for the PEP 639 ``license`` field.

Child environments see the test interpreter's installed packages through
:func:`parent_packages`, a directory of links to them minus gemini-live itself, put on
``PYTHONPATH``, so pip never downloads the heavy dependencies and nothing comes from the
base interpreter.  (``--system-site-packages`` would not do: run from a virtual environment,
as the README recommends, it reaches the base interpreter's packages, not this
environment's, and the base's setuptools may be too old to build this project.)  Every pip
run gets an environment of its own: no user or machine pip configuration, no find-links,
the cache under the test's temporary directory.
"""

from __future__ import annotations

import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.update.local_index import LocalIndex

REPO = Path(__file__).resolve().parents[2]
OLD, NEW, BROKEN = "1.0.0", "1.1.0", "1.2.0"
_COPY_IGNORE = shutil.ignore_patterns(
    "__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".mypy_cache", ".ruff_cache"
)


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The process environment minus every pip/uv setting, with a private cache."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "UV_", "PIPX_", "VIRTUAL_ENV")) and key != "PYTHONPATH"
    }
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        XDG_CACHE_HOME=str(tmp / "cache"),
        GEMINI_LIVE_NO_UPDATE_CHECK="1",
    )
    env.update(extra)
    return env


def _site_dirs() -> list[str]:
    """Where this interpreter's installed packages live, in import order."""
    dirs = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    dirs += site.getsitepackages()
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return list(dict.fromkeys(d for d in dirs if Path(d).is_dir()))


def _is_own_entry(name: str) -> bool:
    """Whether a site-packages entry belongs to gemini-live (its files or its editable hook)."""
    lowered = name.lower().replace("-", "_")
    return lowered.startswith(("gemini_live", "__editable__")) or lowered.endswith(".pth")


def make_parent_packages(dest: Path) -> Path:
    """A directory of symlinks to every package this interpreter has, except gemini-live.

    On a child's ``PYTHONPATH`` it supplies pip, setuptools and gemini-live's dependencies
    while the child's own gemini-live (from a wheel) is the only one it can find.  ``.pth``
    files are left out: on ``PYTHONPATH`` they would not run anyway, and the editable
    install's hook must not.
    """
    dest.mkdir(parents=True)
    for site_dir in _site_dirs():
        for entry in sorted(Path(site_dir).iterdir()):
            link = dest / entry.name
            if _is_own_entry(entry.name) or entry.name == "__pycache__" or link.exists():
                continue
            link.symlink_to(entry)
    return dest


@pytest.fixture(scope="session")
def parent_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test interpreter's packages without gemini-live, for child ``PYTHONPATH``s."""
    return make_parent_packages(tmp_path_factory.mktemp("parent") / "site-packages")


def copy_source(dest: Path) -> Path:
    """Copy what a build needs (package, pyproject, README, install.sh) to ``dest``."""
    dest.mkdir(parents=True)
    shutil.copytree(REPO / "gemini_live_tui", dest / "gemini_live_tui", ignore=_COPY_IGNORE)
    for name in ("pyproject.toml", "README.md", "install.sh"):
        shutil.copy2(REPO / name, dest / name)
    return dest


def _prepare(tree: Path, version: str, broken: bool) -> None:
    init = tree / "gemini_live_tui" / "__init__.py"
    text, count = re.subn(
        r'^__version__ = "[^"]*"$', f'__version__ = "{version}"', init.read_text(), flags=re.M
    )
    assert count == 1, "gemini_live_tui/__init__.py must set __version__ on one line"
    init.write_text(text)
    if broken:
        cli = tree / "gemini_live_tui" / "cli.py"
        cli.write_text(cli.read_text() + '\nraise RuntimeError("deliberately broken release")\n')


@dataclass(frozen=True)
class Wheels:
    old: Path
    new: Path
    broken: Path


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    """Three wheels of this package: OLD, NEW and a BROKEN NEW-er one (built in parallel)."""
    root = tmp_path_factory.mktemp("wheels")
    out = root / "dist"
    env = clean_env(root, PIP_NO_INDEX="1")
    procs = []
    for version, broken in ((OLD, False), (NEW, False), (BROKEN, True)):
        tree = copy_source(root / f"src-{version}")
        _prepare(tree, version, broken)
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        command += ["-q", "-w", str(out), str(tree)]
        procs.append(
            subprocess.Popen(
                command,
                env=env,
                cwd=root,
                stdout=subprocess.PIPE,
                text=True,
                stderr=subprocess.STDOUT,
            )
        )
    for proc in procs:
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, output
    found = {p.name.split("-")[1]: p for p in out.glob("gemini_live-*.whl")}
    return Wheels(old=found[OLD], new=found[NEW], broken=found[BROKEN])


@dataclass
class Venv:
    """A temporary virtual environment with gemini-live installed from a wheel."""

    dir: Path
    env: dict[str, str]

    @property
    def python(self) -> Path:
        return self.dir / "bin" / "python"

    @property
    def launcher(self) -> Path:
        return self.dir / "bin" / "gemini-live"

    def run(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.launcher), *args],
            env=self.env,
            cwd=self.dir.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def version(self) -> str:
        done = self.run("--version")
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().rsplit(" ", 1)[-1]


@pytest.fixture
def venv_with(tmp_path: Path, parent_packages: Path) -> Iterator[Callable[[Path], Venv]]:
    """Factory: ``venv_with(wheel)`` makes a venv holding that wheel (and the parent's deps)."""

    def make(wheel: Path) -> Venv:
        target = tmp_path / "venv"
        env = clean_env(tmp_path, PYTHONPATH=str(parent_packages))
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(target)], check=True, env=env
        )
        pip = [str(target / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps"]
        subprocess.run([*pip, "--no-index", str(wheel)], check=True, env=env, cwd=tmp_path)
        return Venv(dir=target, env=env)

    yield make


@pytest.fixture
def index() -> Iterator[LocalIndex]:
    with LocalIndex() as served:
        yield served
