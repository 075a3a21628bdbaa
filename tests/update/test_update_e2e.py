"""`gemini-live update` end to end: real wheels, a real venv, a real index over loopback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.update.conftest import BROKEN, NEW, OLD, Venv, Wheels, clean_env
from tests.update.local_index import LocalIndex

MakeVenv = Callable[[Path], Venv]


def test_check_reports_newer_release_and_changes_nothing(
    wheels: Wheels, venv_with: MakeVenv, index: LocalIndex
) -> None:
    venv = venv_with(wheels.old)
    index.add(wheels.old)
    index.add(wheels.new)
    done = venv.run("update", "--check", "--index-url", index.url)
    assert done.returncode == 0, done.stderr
    assert f"gemini-live {NEW} is available (installed: {OLD})" in done.stdout
    assert venv.version() == OLD
    # --check reads the listing only: no file was downloaded.
    assert not [path for path, _ in index.requests if path.startswith("/files/")]


def test_update_installs_newer_release_verifies_it_and_keeps_a_rollback_wheel(
    wheels: Wheels, venv_with: MakeVenv, index: LocalIndex, tmp_path: Path
) -> None:
    venv = venv_with(wheels.old)
    index.add(wheels.old)
    index.add(wheels.new)
    done = venv.run("update", "--index-url", index.url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"updated gemini-live {OLD} -> {NEW}" in done.stdout
    assert "(venv)" in done.stdout
    assert venv.version() == NEW
    kept = list((tmp_path / "cache" / "gemini-live" / "rollback").glob("*.whl"))
    assert [path.name for path in kept] == [f"gemini_live-{OLD}-py3-none-any.whl"]
    # Running it again finds nothing newer.
    again = venv.run("update", "--index-url", index.url)
    assert again.returncode == 0
    assert f"gemini-live {NEW} is up to date" in again.stdout


def test_pip_index_url_is_the_default_index(
    wheels: Wheels, venv_with: MakeVenv, index: LocalIndex
) -> None:
    venv = venv_with(wheels.old)
    index.add(wheels.new)
    venv.env["PIP_INDEX_URL"] = index.url
    done = venv.run("update", "--check")
    assert done.returncode == 0, done.stderr
    assert f"{NEW} is available" in done.stdout


def test_no_newer_release_and_never_a_downgrade(
    wheels: Wheels, venv_with: MakeVenv, index: LocalIndex
) -> None:
    venv = venv_with(wheels.new)
    index.add(wheels.new)
    done = venv.run("update", "--index-url", index.url)
    assert done.returncode == 0
    assert f"gemini-live {NEW} is up to date" in done.stdout
    index.clear()
    index.add(wheels.old)
    done = venv.run("update", "--index-url", index.url)
    assert done.returncode == 0
    assert f"{NEW} is newer than the newest release" in done.stdout
    assert "not downgrading" in done.stdout
    assert venv.version() == NEW


def test_pre_releases_only_with_pre(wheels: Wheels, venv_with: MakeVenv, index: LocalIndex) -> None:
    venv = venv_with(wheels.old)
    index.add(wheels.old)
    index.add("gemini_live-2.0.0rc1-py3-none-any.whl")
    plain = venv.run("update", "--check", "--index-url", index.url)
    assert plain.returncode == 0
    assert f"gemini-live {OLD} is up to date" in plain.stdout
    pre = venv.run("update", "--check", "--pre", "--index-url", index.url)
    assert pre.returncode == 0
    assert "gemini-live 2.0.0rc1 is available" in pre.stdout
    assert "gemini-live update --pre" in pre.stdout


def test_unreachable_index_is_one_clear_line(wheels: Wheels, venv_with: MakeVenv) -> None:
    venv = venv_with(wheels.old)
    with LocalIndex() as gone:
        url = gone.url  # a port that was just closed again
    done = venv.run("update", "--index-url", url)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(
        "gemini-live update: cannot reach the package index http://127.0.0.1:"
    )
    assert venv.version() == OLD


def test_broken_release_is_rolled_back(
    wheels: Wheels, venv_with: MakeVenv, index: LocalIndex
) -> None:
    venv = venv_with(wheels.old)
    index.add(wheels.old)
    index.add(wheels.broken)
    done = venv.run("update", "--index-url", index.url)
    assert done.returncode == 1, done.stdout
    error = done.stderr.strip()
    assert f"gemini-live {BROKEN} does not start" in error
    assert f"rolled back to {OLD}" in error
    assert "deliberately broken release" in error
    assert venv.version() == OLD


def test_token_in_index_url_is_sent_but_never_printed(wheels: Wheels, venv_with: MakeVenv) -> None:
    venv = venv_with(wheels.old)
    with LocalIndex(json_api=True, auth=("user", "s3cret-token")) as private:
        private.add(wheels.old)
        private.add(wheels.new)
        done = venv.run("update", "--index-url", private.url_with("user", "s3cret-token"))
        assert done.returncode == 0, done.stderr
        assert "s3cret-token" not in done.stdout + done.stderr
        assert f"updated gemini-live {OLD} -> {NEW}" in done.stdout
        # The listing was asked for as PEP 691 JSON.
        assert any("vnd.pypi.simple.v1+json" in accept for _, accept in private.requests)
        wrong = venv.run("update", "--index-url", private.url_with("user", "wrong-token"))
        assert wrong.returncode == 1
        assert "wrong-token" not in wrong.stdout + wrong.stderr
        assert "answered HTTP 401" in wrong.stderr
        assert "http://********@127.0.0.1:" in wrong.stderr


def test_python_outside_a_virtual_environment_is_refused(index: LocalIndex, tmp_path: Path) -> None:
    # The test interpreter carries gemini-live as an editable install outside any venv
    # (or, run from a venv, as an editable install): update must refuse to touch it.
    index.add(f"gemini_live-{NEW}-py3-none-any.whl")
    index.add("gemini_live-99.0.0-py3-none-any.whl")
    done = subprocess.run(
        [sys.executable, "-m", "gemini_live_tui", "update", "--index-url", index.url],
        env=clean_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert ("not in a virtual environment" in done.stderr) or ("editable install" in done.stderr)
    assert not [path for path, _ in index.requests if path.startswith("/files/")]
