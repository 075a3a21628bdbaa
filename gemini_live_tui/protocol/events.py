"""The closed set of typed events the rest of the program sees.

:func:`gemini_live_tui.protocol.codec.to_events` turns each decoded server message into a
list of these, in a documented order; the session layer adds ``Reconnecting``,
``Reconnected`` and ``Closed``.  Events are frozen msgspec Structs: cheap to build, hashable
where their fields are, and safe to hand to several consumers at once.
"""

from __future__ import annotations

from typing import TypeAlias

import msgspec

from gemini_live_tui.protocol import types

__all__ = [
    "Closed",
    "Event",
    "GenerationComplete",
    "GoAway",
    "InputTranscription",
    "Interrupted",
    "ModelAudio",
    "ModelText",
    "OutputTranscription",
    "Reconnected",
    "Reconnecting",
    "SessionResumptionUpdate",
    "SetupComplete",
    "ToolCall",
    "ToolCallCancellation",
    "TurnComplete",
    "Usage",
    "VoiceActivity",
]


class _Event(msgspec.Struct, frozen=True):
    """Common options of every event."""


class SetupComplete(_Event, frozen=True):
    """The server accepted the setup; ``session_id`` is set on Vertex."""

    session_id: str | None = None


class ModelText(_Event, frozen=True):
    """Model text; ``thought`` marks thinking text rather than the answer."""

    text: str
    thought: bool = False


class ModelAudio(_Event, frozen=True):
    """16-bit little-endian mono PCM from the model at ``sample_rate`` Hz."""

    data: bytes
    sample_rate: int = 24000

    def __repr__(self) -> str:
        # Audio chunks are kilobytes of PCM: keep reprs (and logs) readable.
        return f"ModelAudio(data=<{len(self.data)} bytes>, sample_rate={self.sample_rate})"


class InputTranscription(_Event, frozen=True):
    """A fragment of the transcript of the user's audio."""

    text: str
    finished: bool = False


class OutputTranscription(_Event, frozen=True):
    """A fragment of the transcript of the model's audio."""

    text: str
    finished: bool = False


class GenerationComplete(_Event, frozen=True):
    """The model finished generating this turn (playback may still be running)."""


class TurnComplete(_Event, frozen=True):
    """The model's turn is over; ``reason`` is the server's turnCompleteReason, if any."""

    reason: str | None = None


class Interrupted(_Event, frozen=True):
    """User activity cut the model off: drop any queued playback now."""


class ToolCall(_Event, frozen=True):
    """Functions to run; answer each with a FunctionResponse echoing its ``id``."""

    calls: tuple[types.FunctionCall, ...]


class ToolCallCancellation(_Event, frozen=True):
    """Calls that should be treated as never run (abort, undo if possible)."""

    ids: tuple[str, ...]


class GoAway(_Event, frozen=True):
    """The server will close this connection in ``time_left`` seconds."""

    time_left: float


class SessionResumptionUpdate(_Event, frozen=True):
    """A resumption handle; ``new_handle`` is None while not resumable."""

    new_handle: str | None
    resumable: bool


class Usage(_Event, frozen=True):
    """Token usage as reported by the server (Vertex names already normalised)."""

    metadata: types.UsageMetadata


class VoiceActivity(_Event, frozen=True):
    """Server-side voice activity: ``kind`` is "start" or "end"."""

    kind: str


class Reconnecting(_Event, frozen=True):
    """The session lost its connection and retries after ``delay`` seconds."""

    attempt: int
    delay: float
    reason: str


class Reconnected(_Event, frozen=True):
    """A new connection is up; ``resumed`` says whether the old session continued."""

    resumed: bool


class Closed(_Event, frozen=True):
    """The session is finally over (no more events follow)."""

    code: int
    reason: str


Event: TypeAlias = (
    SetupComplete
    | ModelText
    | ModelAudio
    | InputTranscription
    | OutputTranscription
    | GenerationComplete
    | TurnComplete
    | Interrupted
    | ToolCall
    | ToolCallCancellation
    | GoAway
    | SessionResumptionUpdate
    | Usage
    | VoiceActivity
    | Reconnecting
    | Reconnected
    | Closed
)
"""Any event a session can deliver."""
