"""History, log and transcripts are the user's alone (0600 in 0700 directories); a loose
config.toml holding a key is warned about; keys never show in the history file or in URLs
that `gemini-live config` prints; `local-server` reads its key from the environment."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from gemini_live_tui.cli import _setup_logging, main
from gemini_live_tui.config import load_settings
from gemini_live_tui.tui.history import InputHistory
from gemini_live_tui.tui.transcript import Transcript

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

KEY = "AIzaSyPrivate-0123456789abcdef"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    # The usual desktop umask: a plain open() would make the files 0644.
    old = os.umask(0o022)
    yield
    os.umask(old)


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "GEMINI_LIVE_CONFIG_DIR": str(tmp_path / "cfg"),
        "GEMINI_LIVE_DATA_DIR": str(tmp_path / "data"),
        "GEMINI_LIVE_LOG_DIR": str(tmp_path / "log"),
        **extra,
    }


def write_config(tmp_path: Path, text: str, file_mode: int) -> Path:
    path = tmp_path / "cfg" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(file_mode)
    return path


def test_history_file_is_0600_in_a_0700_dir_with_pasted_keys_masked(tmp_path: Path) -> None:
    path = tmp_path / "data" / "history"
    history = InputHistory(path, limit=2, secrets=[KEY])
    history.append_to_file(f"my key is {KEY}")
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    assert KEY not in path.read_text() and "my key is ********" in path.read_text()
    history.append_to_file("two")
    history.append_to_file("three")
    trimmed = InputHistory(path, limit=2, secrets=[KEY])
    trimmed.load()  # over the limit: rewritten
    assert path.read_text().splitlines() == ["two", "three"] and mode(path) == 0o600


def test_an_old_loose_history_file_is_tightened_on_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "history"
    path.write_text(f"old {KEY}\n" * 3)
    path.chmod(0o644)
    history = InputHistory(path, limit=2, secrets=[KEY])
    history.load()  # trims, so rewrites: the key from an older version goes too
    assert mode(path) == 0o600 and KEY not in path.read_text()


def test_transcripts_are_0600_and_only_new_dirs_become_0700(tmp_path: Path) -> None:
    transcript = Transcript()
    transcript.add("user", "hello")
    saved = transcript.save(tmp_path / "data" / "transcripts" / "t.md", secrets=[KEY])
    assert mode(saved) == 0o600
    assert mode(saved.parent) == 0o700 and mode(tmp_path / "data") == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    (shared / "t.json").write_text("{}")
    (shared / "t.json").chmod(0o644)
    again = transcript.save(shared / "t.json")
    assert mode(again) == 0o600 and json.loads(again.read_text())["entries"]
    assert mode(shared) == 0o755  # a directory the user chose keeps its mode


def test_log_file_is_0600_in_a_0700_dir(tmp_path: Path, restore_logging: None) -> None:
    log_file = tmp_path / "state" / "log" / "gemini-live.log"
    _setup_logging(log_file, debug=False, secrets=[KEY])
    logging.getLogger("gemini_live_tui.test").info("a line")
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert "a line" in log_file.read_text()
    assert mode(log_file) == 0o600 and mode(log_file.parent) == 0o700
    assert mode(log_file.parent.parent) == 0o700


def test_log_file_from_an_older_version_is_tightened(tmp_path: Path, restore_logging: None) -> None:
    log_file = tmp_path / "gemini-live.log"
    log_file.write_text("old\n")
    log_file.chmod(0o644)
    _setup_logging(log_file, debug=False, secrets=[])
    assert mode(log_file) == 0o600 and log_file.read_text() == "old\n"


@pytest.mark.parametrize(
    ("text", "file_mode", "warned"),
    [
        (f'api_key = "{KEY}"\n', 0o644, True),
        (f'[profiles.work]\nvertex_access_token = "{KEY}"\n', 0o640, True),
        (f'api_key = "{KEY}"\n', 0o600, False),
        ('voice = "Puck"\n', 0o644, False),
    ],
)
def test_a_readable_config_file_holding_a_key_gets_one_warning(
    tmp_path: Path, text: str, file_mode: int, warned: bool
) -> None:
    path = write_config(tmp_path, text, file_mode)
    settings = load_settings({}, env=env_for(tmp_path))
    if not warned:
        assert settings.warnings == ()
        return
    (line,) = settings.warnings
    assert str(path) in line and f"chmod 600 {path}" in line and oct(file_mode)[2:] in line
    assert "\n" not in line and KEY not in line


def test_config_command_prints_the_warning_and_masks_keys_in_urls(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        f'endpoint = "wss://user:hunter2-secret@proxy.example/ws?key={KEY}&token=tok-abcdef123"\n',
        0o644,
    )
    result = CliRunner().invoke(main, ["config"], env=env_for(tmp_path))
    assert result.exit_code == 0, result.output
    assert KEY not in result.output and "hunter2" not in result.output
    assert "tok-abcdef123" not in result.output
    assert "wss://********@proxy.example/ws?key=********&token=********" in result.output
    assert "readable by other users" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
