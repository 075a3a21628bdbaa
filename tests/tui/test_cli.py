"""The CLI's own jobs: logging to a file with secrets masked, and `config` with profiles."""

from __future__ import annotations

import logging
from pathlib import Path

from click.testing import CliRunner

from gemini_live_tui.cli import _setup_logging, main


def test_logs_go_to_the_file_with_secrets_masked(tmp_path: Path, restore_logging: None) -> None:
    log_file = tmp_path / "log" / "gemini-live.log"
    _setup_logging(log_file, debug=True, secrets=["AIza-secret-value"])
    logging.getLogger("gemini_live_tui.test").debug(
        "header x-goog-api-key: %s", "AIza-secret-value"
    )
    logging.getLogger("websockets.client").debug("> x-goog-api-key: AIza-secret-value")
    logging.getLogger("gemini_live_tui.test").info("plain line")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert "AIza-secret-value" not in text
    assert "x-goog-api-key: ********" in text and "plain line" in text
    assert "websockets.client" not in text  # its DEBUG lines (headers) never get through


def test_info_level_without_debug(tmp_path: Path, restore_logging: None) -> None:
    log_file = tmp_path / "gemini-live.log"
    _setup_logging(log_file, debug=False, secrets=[])
    logging.getLogger("gemini_live_tui.test").debug("hidden")
    logging.getLogger("gemini_live_tui.test").info("shown")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert "shown" in text and "hidden" not in text


def test_config_takes_the_profile_before_or_after_the_command(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "config.toml").write_text('[profiles.work]\nvoice = "Charon"\n')
    for args in (["--profile", "work", "config"], ["config", "--profile", "work"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "Charon" in result.output and "profile work" in result.output


def test_bad_config_file_exits_2_with_the_key(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "config.toml").write_text('voise = "Puck"\n')
    result = CliRunner().invoke(main, ["config"])
    assert result.exit_code == 2
    assert "unknown key 'voise'" in result.output


def test_log_lines_lose_terminal_escapes(tmp_path: Path, restore_logging: None) -> None:
    log_file = tmp_path / "gemini-live.log"
    _setup_logging(log_file, debug=False, secrets=["AIza-secret-value"])
    logging.getLogger("gemini_live_tui.test").info(
        "closed: %s", "\x1b]52;c;aGk=\x07bad AIza-secret-value\x1b[2J"
    )
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert "closed: bad ********" in text and "\x1b" not in text and "\x07" not in text
