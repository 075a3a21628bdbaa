"""`--wire-log FILE` end to end through the CLI's composition root, and `--debug` levels."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from gemini_live_tui.cli import _setup_logging, main
from gemini_live_tui.protocol import events


def test_debug_keeps_library_noise_at_info(tmp_path: Path, restore_logging: None) -> None:
    log_file = tmp_path / "gemini-live.log"
    _setup_logging(log_file, debug=True, secrets=[])
    logging.getLogger("markdown_it.rules_block").debug("entering paragraph")
    logging.getLogger("asyncio").debug("Using selector: EpollSelector")
    logging.getLogger("gemini_live_tui.test").debug("our own decision")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text()
    assert "our own decision" in text
    assert "entering paragraph" not in text and "EpollSelector" not in text


def test_wire_log_flag_records_a_local_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    from gemini_live_tui.tui.app import GeminiLiveApp

    for name, sub in (("CONFIG", "config"), ("DATA", "data"), ("LOG", "log")):
        monkeypatch.setenv(f"GEMINI_LIVE_{name}_DIR", str(tmp_path / sub))
    monkeypatch.setenv("GEMINI_LIVE_NO_UPDATE_CHECK", "1")

    def run_headless(app: Any, *args: Any, **kwargs: Any) -> None:
        # The app's engine, driven without a terminal: connect, one turn, stop.
        engine = app._engine

        async def drive() -> None:
            runner = asyncio.create_task(engine.run())
            done, connected = asyncio.Event(), asyncio.Event()
            wakes = {events.TurnComplete: done, events.SetupComplete: connected}

            def wake(event: object) -> None:
                flag = wakes.get(type(event))  # type: ignore[call-overload]
                if flag is not None:
                    flag.set()

            engine.subscribe(wake)
            async with asyncio.timeout(20):
                await connected.wait()
                await engine.send_line("hello wire")
                await done.wait()
            await engine.stop()
            await runner

        asyncio.run(drive())

    monkeypatch.setattr(GeminiLiveApp, "run", run_headless)
    wire = tmp_path / "wire.jsonl"
    result = CliRunner().invoke(main, ["--backend", "local", "--text", "--wire-log", str(wire)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(wire).st_mode) == 0o600
    lines = [json.loads(line) for line in wire.read_text().splitlines()]
    sent = [line["message"] for line in lines if line.get("dir") == "send"]
    assert "setup" in sent[0]
    assert {"realtimeInput": {"text": "hello wire"}} in sent
    assert any(line.get("dir") == "recv" for line in lines)
    assert any(line.get("decision", "").startswith("connect 1") for line in lines)
