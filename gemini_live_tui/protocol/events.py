"""The closed set of typed events the rest of the program sees.

:func:`gemini_live_tui.protocol.codec.to_events` turns each decoded server message into a
list of these, in a documented order; the session layer adds ``Reconnecting``,
``Reconnected`` and ``Closed``.  Events are frozen msgspec Structs: cheap to build, hashable
where their fields are, and safe to hand to several consumers at once.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import msgspec

from gemini_live_tui.protocol import types

__all__ = [
    "Closed",
    "Event",
    "GenerationComplete",
    "GoAway",
    "Grounding",
    "InputTranscription",
    "InteractionStatus",
    "InterimInputTranscription",
    "Interrupted",
    "ModelAudio",
    "ModelInlineData",
    "ModelText",
    "OutputTranscription",
    "Reconnected",
    "Reconnecting",
    "SessionResumptionUpdate",
    "SetupComplete",
    "ToolCall",
    "ToolCallCancellation",
    "TurnComplete",
    "UrlContext",
    "Usage",
    "VoiceActivity",
    "WaitingForInput",
]


class _Event(msgspec.Struct, frozen=True):
    """Common options of every event."""


class SetupComplete(_Event, frozen=True):
    """The server accepted the setup; ``session_id`` is set on Vertex.

    ``voice_consent_signature`` is set when a replicated voice's consent was verified; it can
    replace the consent audio in later setups.
    """

    session_id: str | None = None
    voice_consent_signature: str | None = None


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


class ModelInlineData(_Event, frozen=True):
    """Non-audio inline data in the model turn (an image, a document, ...)."""

    mime_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"ModelInlineData(mime_type={self.mime_type!r}, data=<{len(self.data)} bytes>)"


class InputTranscription(_Event, frozen=True):
    """A fragment of the transcript of the user's audio.

    ``language`` (BCP-47) and ``speaker`` are set when the server reports them; ``words`` keeps
    per-word offsets when word timestamps were asked for.
    """

    text: str
    finished: bool = False
    language: str | None = None
    speaker: str | None = None
    words: tuple[types.WordInfo, ...] = ()


class InterimInputTranscription(_Event, frozen=True):
    """A low-latency caption of what the user is saying now.

    Each one replaces the previous interim text (it is not a fragment to append); the final
    words arrive as :class:`InputTranscription`.
    """

    text: str
    language: str | None = None
    speaker: str | None = None


class OutputTranscription(_Event, frozen=True):
    """A fragment of the transcript of the model's audio (``language`` when reported)."""

    text: str
    finished: bool = False
    language: str | None = None
    speaker: str | None = None
    words: tuple[types.WordInfo, ...] = ()


class Grounding(_Event, frozen=True):
    """Google Search grounding of the reply (``webSearchQueries``, ``groundingChunks``, ...)."""

    metadata: dict[str, Any]


class UrlContext(_Event, frozen=True):
    """URL-context tool metadata for the reply (which URLs were fetched, with status)."""

    metadata: dict[str, Any]


class WaitingForInput(_Event, frozen=True):
    """The model is not generating: it expects the user to keep talking."""


class InteractionStatus(_Event, frozen=True):
    """``interactionStatus`` as sent (IN_PROGRESS, IDLE, ...).

    When a message carries one, the turn ends only on ``IDLE`` (the SDK's rule):
    ``turn_complete`` says whether the same message also had ``turnComplete:true``.
    """

    status: str
    turn_complete: bool = False


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
    last_consumed_client_message_index: int | None = None


class Usage(_Event, frozen=True):
    """Token usage as reported by the server (Vertex names already normalised)."""

    metadata: types.UsageMetadata


class VoiceActivity(_Event, frozen=True):
    """Server-side voice activity: ``kind`` is "start" or "end".

    ``audio_offset`` is seconds from the start of the audio stream, when the server says.
    """

    kind: str
    audio_offset: float | None = None


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
    | ModelInlineData
    | InputTranscription
    | InterimInputTranscription
    | OutputTranscription
    | Grounding
    | UrlContext
    | WaitingForInput
    | InteractionStatus
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
