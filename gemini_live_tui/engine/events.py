"""The engine's vocabulary: connection phase, status snapshot, meter levels and app events.

Listeners of :class:`~gemini_live_tui.engine.core.Engine` receive :data:`AppEvent` values:
the engine's own events defined here plus every session event from
:mod:`gemini_live_tui.protocol.events`.  This module holds data only, so the engine's parts
(voice, screen) and the UI can import it without importing the engine.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from gemini_live_tui.protocol import events

__all__ = [
    "AppEvent",
    "EngineStatistics",
    "EngineStatus",
    "FileSent",
    "FileSkipped",
    "Levels",
    "Notice",
    "Phase",
    "StatusChanged",
    "UserSent",
]


class Phase(enum.StrEnum):
    """Connection phase shown in the status bar."""

    IDLE = "idle"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Levels:
    """Mic and speaker levels in [0, 1]; ``None`` means that side is off."""

    mic: float | None = None
    speaker: float | None = None


@dataclass(frozen=True, slots=True)
class EngineStatus:
    """A snapshot of what the status bar shows.  Times are ``time.monotonic()`` values."""

    phase: Phase
    backend: str
    model: str
    reconnect_attempt: int = 0
    reconnect_max: int | None = None
    started_at: float | None = None
    goaway_deadline: float | None = None
    tokens: int = 0
    last_latency: float | None = None
    turn_running: bool = False
    resumable: bool = False
    features: tuple[tuple[str, str], ...] = ()
    voice: str | None = None


# ------------------------------------------------------------------------- app-level events


@dataclass(frozen=True, slots=True)
class Notice:
    """A quiet system line for the chat log (connected, errors, tool calls ...)."""

    text: str
    level: Literal["info", "warning", "error"] = "info"


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """The status snapshot changed; read :meth:`Engine.status`."""


@dataclass(frozen=True, slots=True)
class UserSent:
    """The user's line went out (text part only; files have their own events)."""

    text: str


@dataclass(frozen=True, slots=True)
class FileSent:
    """A file was sent; ``summary`` is the one-line echo (name, size, duration)."""

    name: str
    kind: str
    summary: str


@dataclass(frozen=True, slots=True)
class FileSkipped:
    """A file could not be sent; ``reason`` names the file and why."""

    name: str
    reason: str


AppEvent: TypeAlias = Notice | StatusChanged | UserSent | FileSent | FileSkipped | events.Event
"""Everything listeners receive: the engine's own events plus every session event."""


@dataclass(slots=True)
class EngineStatistics:
    """Counters of the engine's own work (the session's are in ``session_statistics``)."""

    lines_sent: int = 0
    files_sent: int = 0
    files_skipped: int = 0
    audio_chunks_sent: int = 0
    turns: int = 0
    mic_chunks_dropped: int = 0
    """Mic chunks the voice part dropped: no session yet, or its real-time queue was full."""
    screen_frames_dropped_busy: int = 0
    """Screen frames skipped because the previous one was still being sent."""
    session_statistics: Any = None
    """The session's counters, drops of live media while reconnecting among them."""
