"""End to end: the real `gemini-live --backend local` in a tmux terminal, start to quit."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import require_program

pytestmark = pytest.mark.system


class Tmux:
    """One tmux server on a private socket, so nothing else is touched."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check
        )

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "app", check=False).stdout

    def alive(self) -> bool:
        return self.run("has-session", "-t", "app", check=False).returncode == 0

    def wait(self, predicate: Callable[[], bool], what: str, limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{self.screen()}")
            time.sleep(0.05)


def test_gemini_live_in_tmux_from_start_to_quit(tmp_path: Path) -> None:
    require_program("tmux")
    program = shutil.which("gemini-live")
    command = [program] if program else [sys.executable, "-m", "gemini_live_tui"]
    status_file = tmp_path / "status"
    env = {
        "GEMINI_LIVE_CONFIG_DIR": str(tmp_path / "config"),
        "GEMINI_LIVE_DATA_DIR": str(tmp_path / "data"),
        "GEMINI_LIVE_LOG_DIR": str(tmp_path / "log"),
        "TERM": "xterm-256color",
    }
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    line = (
        f"cd {shlex.quote(str(tmp_path))} && env -u GEMINI_API_KEY {exports} "
        f"{shlex.join([*command, '--backend', 'local', '--text'])}; "
        f"echo $? > {shlex.quote(str(status_file))}"
    )
    tmux = Tmux(f"gemini-live-test-{os.getpid()}")
    tmux.run("new-session", "-d", "-s", "app", "-x", "120", "-y", "40", line)
    try:
        tmux.wait(lambda: "connected to local server" in tmux.screen(), "the app to connect")
        assert "offline" in tmux.screen()
        tmux.run("send-keys", "-t", "app", "hello from tmux", "Enter")
        tmux.wait(lambda: "You said: hello from tmux" in tmux.screen(), "the reply")
        tmux.run("send-keys", "-t", "app", "/he", "Tab", "Enter")
        tmux.wait(lambda: "/save [path]" in tmux.screen(), "the help text")
        tmux.run("send-keys", "-t", "app", "Escape")
        tmux.wait(lambda: "/save [path]" not in tmux.screen(), "the help to close")
        tmux.run("send-keys", "-t", "app", "/save talk.md", "Enter")
        tmux.wait(lambda: (tmp_path / "talk.md").exists(), "the saved transcript")
        tmux.run("send-keys", "-t", "app", "C-c")
        tmux.wait(lambda: not tmux.alive(), "the app to quit")
    finally:
        tmux.run("kill-server", check=False)
    assert status_file.read_text().strip() == "0"
    assert "hello from tmux" in (tmp_path / "talk.md").read_text()
    history = (tmp_path / "data" / "history").read_text().splitlines()
    assert history[:2] == ["hello from tmux", "/help"]
    assert (tmp_path / "log" / "gemini-live.log").exists()
