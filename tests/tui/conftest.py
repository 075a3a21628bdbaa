"""Fixtures for the terminal-app tests: settings in tmp dirs, an engine on the local server."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from gemini_live_tui.config import Settings, load_settings
from gemini_live_tui.engine import Engine
from gemini_live_tui.live import ReconnectPolicy
from gemini_live_tui.local import LocalLiveServer
from gemini_live_tui.tui.app import GeminiLiveApp
from gemini_live_tui.tui.history import InputHistory


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real home: every platform dir points into tmp_path."""
    monkeypatch.setenv("GEMINI_LIVE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("GEMINI_LIVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GEMINI_LIVE_LOG_DIR", str(tmp_path / "log"))
    for name in (
        "GEMINI_API_KEY",
        "GEMINI_MODEL",
        "LIVE_BACKEND",
        "VERTEX_LOCATION",
        "VERTEX_MODEL",
        "VERTEX_AI_ACCESS_TOKEN",
        "VERTEX_AUTH",
        "GEMINI_LIVE_ENDPOINT",
        "GEMINI_LIVE_PROFILE",
        "GEMINI_SYSTEM_INSTRUCTION",
        "GEMINI_VOICE",
    ):
        monkeypatch.delenv(name, raising=False)


def local_settings(tmp_path: Path, **flags: Any) -> Settings:
    """Settings for the local backend with every file under ``tmp_path``."""
    env = {
        "GEMINI_LIVE_CONFIG_DIR": str(tmp_path / "config"),
        "GEMINI_LIVE_DATA_DIR": str(tmp_path / "data"),
        "GEMINI_LIVE_LOG_DIR": str(tmp_path / "log"),
    }
    return load_settings({"backend": "local", **flags}, env=env)


def make_app(
    tmp_path: Path,
    *,
    server: Callable[[], Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
    history: InputHistory | None = None,
    connector: Any = None,
    update_checker: Callable[[], Awaitable[str | None]] | None = None,
    **flags: Any,
) -> GeminiLiveApp:
    """The real app around a real engine that starts its own local Live server."""
    settings = local_settings(tmp_path, **flags)
    assert settings.paths is not None
    extra = {"connector": connector} if connector is not None else {}
    engine = Engine(
        settings,
        **extra,
        local_server=server or (lambda: LocalLiveServer(port=0, speed=math.inf)),
        reconnect=ReconnectPolicy(base_delay=0.01, max_delay=0.05, max_attempts=5),
        clock=clock,
        base_dir=tmp_path,
    )
    return GeminiLiveApp(
        engine,
        history=history or InputHistory(settings.paths.history_file),
        transcripts_dir=settings.paths.transcripts_dir,
        base_dir=tmp_path,
        clock=clock,
        update_checker=update_checker,
    )


async def wait_for(
    pilot: Pilot[Any], predicate: Callable[[], bool], *, limit: float = 15.0, what: str = ""
) -> None:
    """Let the app run until ``predicate()`` holds (fails after ``limit`` seconds)."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.02)


def log_text(app: GeminiLiveApp) -> str:
    """Every line in the chat log, as plain text."""
    from textual.widgets import Markdown, Static

    parts: list[str] = []
    for child in app.chat.children:
        if isinstance(child, Markdown):
            parts.append(child.source)
        elif isinstance(child, Static):
            parts.append(str(child.render()))
    return "\n".join(parts)


AsyncCheck = Callable[[], Awaitable[None]]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger and the library loggers back as they were (the CLI reconfigures
    logging for the whole process)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {n: logging.getLogger(n).level for n in ("websockets", "markdown_it", "asyncio")}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
