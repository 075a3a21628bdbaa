"""install.sh from a checkout in a temporary HOME: private venv, launcher, update, uninstall.

The private-venv method is forced (``--method venv``) so the test does not depend on
whether pipx or uv happen to be installed; pip runs offline (``PIP_NO_INDEX``), and every
process sees this interpreter's packages (setuptools to build with, the dependencies)
through ``PYTHONPATH`` (see :func:`tests.update.conftest.make_parent_packages`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_program
from tests.update.conftest import NEW, OLD, Wheels, clean_env, copy_source
from tests.update.local_index import LocalIndex


def _install_sh(
    checkout: Path, home: Path, packages: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    env = clean_env(
        home.parent,
        PYTHONPATH=str(packages),
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        PIP_NO_INDEX="1",
        # pip's inverted spelling for --no-build-isolation.
        PIP_NO_BUILD_ISOLATION="0",
        PATH=os.environ.get("PATH", "/usr/bin:/bin"),
    )
    env.pop("XDG_BIN_HOME", None)
    return subprocess.run(
        ["bash", "./install.sh", *args],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    tree = copy_source(tmp_path / "checkout")
    init = tree / "gemini_live_tui" / "__init__.py"
    lines = [
        f'__version__ = "{OLD}"' if line.startswith("__version__ = ") else line
        for line in init.read_text().splitlines()
    ]
    init.write_text("\n".join(lines) + "\n")
    return tree


def test_install_from_checkout_then_update_then_uninstall(
    checkout: Path, tmp_path: Path, wheels: Wheels, parent_packages: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    common = ["--method", "venv", "--system-site-packages", "--no-system-deps"]
    common += ["--python", sys.executable]
    done = _install_sh(checkout, home, parent_packages, "--from", ".", *common)
    assert done.returncode == 0, done.stdout + done.stderr
    launcher = home / ".local" / "bin" / "gemini-live"
    venv = home / ".local" / "share" / "gemini-live" / "venv"
    assert launcher.is_symlink()
    assert (venv / ".gemini-live-installer").is_file()
    assert f"installed: gemini-live, version {OLD}" in done.stdout
    assert "PortAudio: " in done.stdout  # found, or the exact command to install it
    assert "is not on your PATH" in done.stdout

    env = clean_env(tmp_path, HOME=str(home), PYTHONPATH=str(parent_packages))
    started = subprocess.run(
        [str(launcher), "--version"], env=env, capture_output=True, text=True, check=False
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == f"gemini-live, version {OLD}"

    # Idempotent: a second run reuses the environment and leaves one working launcher.
    again = _install_sh(checkout, home, parent_packages, "--from", ".", *common)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "created" not in again.stdout
    assert f"installed: gemini-live, version {OLD}" in again.stdout

    # gemini-live update knows the private environment and upgrades it in place.
    with LocalIndex() as index:
        index.add(wheels.new)
        updated = subprocess.run(
            [str(launcher), "update", "--index-url", index.url],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert "(install.sh)" in updated.stdout
    assert f"updated gemini-live {OLD} -> {NEW}" in updated.stdout

    gone = _install_sh(checkout, home, parent_packages, "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert not launcher.exists() and not launcher.is_symlink()
    assert not venv.exists()


def test_install_sh_refuses_bad_input_with_one_line(
    checkout: Path, tmp_path: Path, parent_packages: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    cases = {
        ("--from", str(tmp_path / "missing")): "no such file or directory",
        ("--from", ".", "--version", "9.9"): "--version applies to an index source only",
        ("--method", "conda"): "--method conda: use auto, pipx, uv or venv",
        ("--bogus",): "unknown option --bogus",
    }
    for args, message in cases.items():
        done = _install_sh(
            checkout, home, parent_packages, *args, "--no-system-deps", "--python", sys.executable
        )
        assert done.returncode == 1, args
        assert message in done.stderr, (args, done.stderr)
        assert done.stderr.count("install.sh: error:") == 1
    assert not (home / ".local" / "bin" / "gemini-live").exists()


def test_install_sh_is_shellcheck_clean() -> None:
    require_program("shellcheck")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        ["shellcheck", str(root / "install.sh")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout


def test_dev_install_is_editable_and_update_leaves_it_to_git(
    checkout: Path, tmp_path: Path, parent_packages: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    done = _install_sh(
        checkout,
        home,
        parent_packages,
        "--dev",
        "--system-site-packages",
        "--no-system-deps",
        "--python",
        sys.executable,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    launcher = home / ".local" / "bin" / "gemini-live"
    venv_python = home / ".local" / "share" / "gemini-live" / "venv" / "bin" / "python"
    env = clean_env(tmp_path, HOME=str(home), PYTHONPATH=str(parent_packages))
    where = subprocess.run(
        [str(venv_python), "-c", "import gemini_live_tui; print(gemini_live_tui.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    # Editable: the environment runs the checkout's files, not a copy.
    assert where.stdout.strip() == str(checkout / "gemini_live_tui" / "__init__.py")
    with LocalIndex() as index:
        index.add(f"gemini_live-{NEW}-py3-none-any.whl")
        refused = subprocess.run(
            [str(launcher), "update", "--index-url", index.url],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert refused.returncode == 1
    assert f"editable install of {checkout}" in refused.stderr
