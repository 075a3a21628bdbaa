"""The engine on a real local Live server: one way to start it for every engine test.

:func:`started_engine` builds an :class:`~gemini_live_tui.engine.Engine` whose backend is
the embedded local Live server (full speed, no key), runs it, waits until it is connected
and hands back the engine with the list of app events it published.  On exit the engine
is stopped and its run task awaited, so a test never leaves a session behind.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gemini_live_tui.config import Settings, load_settings
from gemini_live_tui.engine import AppEvent, Engine, Phase
from gemini_live_tui.live import ReconnectPolicy
from gemini_live_tui.local import LocalLiveServer
from tests.waiting import eventually


def engine_settings(tmp_path: Path, **flags: Any) -> Settings:
    """Settings for the local backend with every file under ``tmp_path``."""
    env = {f"GEMINI_LIVE_{k}_DIR": str(tmp_path / k.lower()) for k in ("CONFIG", "DATA", "LOG")}
    return load_settings({"backend": "local", **flags}, env=env)


@dataclass
class RunningEngine:
    engine: Engine
    server: LocalLiveServer
    seen: list[AppEvent] = field(default_factory=list)

    async def first(self, predicate: Callable[[AppEvent], bool], what: str = "an event") -> Any:
        """The first published event matching ``predicate`` (waits for it)."""
        return await eventually(
            lambda: next((event for event in self.seen if predicate(event)), None), what=what
        )


@asynccontextmanager
async def started_engine(
    tmp_path: Path,
    *,
    server: LocalLiveServer | None = None,
    connector: Any = None,
    **engine_options: Any,
) -> AsyncIterator[RunningEngine]:
    """A connected engine on a local Live server (``server``, or a fresh full-speed one)."""
    local = server or LocalLiveServer(port=0, speed=math.inf)
    flags = engine_options.pop("flags", {})
    extra = {"connector": connector} if connector is not None else {}
    engine = Engine(
        engine_settings(tmp_path, **flags),
        local_server=lambda: local,
        reconnect=engine_options.pop(
            "reconnect", ReconnectPolicy(base_delay=0.01, max_delay=0.05, max_attempts=5)
        ),
        base_dir=tmp_path,
        **extra,
        **engine_options,
    )
    running = RunningEngine(engine, local)
    engine.subscribe(running.seen.append)
    run = asyncio.create_task(engine.run())
    try:
        await eventually(lambda: engine.phase is Phase.CONNECTED or run.done(), what="connected")
        assert engine.phase is Phase.CONNECTED, running.seen
        yield running
    finally:
        await engine.stop()
        await run
