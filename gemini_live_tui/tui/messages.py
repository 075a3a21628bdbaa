"""Textual messages that carry engine events to the app: one class per event kind the UI shows.

The engine calls its listeners on the event loop.  The app's listener turns each event into
one of these messages with :func:`to_message` and posts it, so events are handled in order by
the app's own message queue, each kind by its own handler (``on_engine_model_text`` ...), and
widget updates happen only in message handlers.  Like Textual's own ``Input.Submitted.value``,
each message carries its data as attributes; the handlers never see the engine's event objects.

Events the UI does not show map to no message and are never posted: above all
``events.ModelAudio``, which arrives dozens of times a second and goes to the speaker only.
:data:`IGNORED` names them, and a test holds every :data:`~gemini_live_tui.engine.AppEvent`
kind to be in exactly one of :data:`IGNORED` and the table behind :func:`to_message`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from textual.message import Message

from gemini_live_tui.engine import (
    AppEvent,
    FileSent,
    FileSkipped,
    Notice,
    StatusChanged,
    UserSent,
)
from gemini_live_tui.protocol import events, types

__all__ = [
    "IGNORED",
    "EngineMessage",
    "FileWasSent",
    "FileWasSkipped",
    "GenerationDone",
    "InputTranscript",
    "ModelTextChunk",
    "NoticeArrived",
    "OutputTranscript",
    "ReplyInterrupted",
    "StatusWasChanged",
    "ToolCallsArrived",
    "ToolCallsCancelled",
    "TurnDone",
    "shown_kinds",
    "to_message",
]


class EngineMessage(Message, bubble=False):
    """Common base of the messages below (they are posted to the app itself, never bubble)."""


class StatusWasChanged(EngineMessage, namespace="engine"):
    """The engine's status snapshot changed (``on_engine_status_was_changed``)."""


class NoticeArrived(EngineMessage, namespace="engine"):
    """A system line for the chat log (``on_engine_notice_arrived``)."""

    def __init__(self, text: str, level: Literal["info", "warning", "error"]) -> None:
        super().__init__()
        self.text = text
        """The line."""
        self.level = level
        """How it is shown."""


class FileWasSent(EngineMessage, namespace="engine"):
    """A file went out (``on_engine_file_was_sent``)."""

    def __init__(self, summary: str) -> None:
        super().__init__()
        self.summary = summary
        """The one-line echo: name, size, duration."""


class FileWasSkipped(EngineMessage, namespace="engine"):
    """A file could not be sent (``on_engine_file_was_skipped``)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
        """Names the file and why."""


class ModelTextChunk(EngineMessage, namespace="engine"):
    """A piece of the model's visible reply text (``on_engine_model_text_chunk``)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        """The new text, appended to the reply on screen."""


class _Transcript(EngineMessage):
    def __init__(self, text: str, finished: bool) -> None:
        super().__init__()
        self.text = text
        """The new piece of the transcription (may be empty)."""
        self.finished = finished
        """Whether the transcription of this utterance is complete."""


class InputTranscript(_Transcript, namespace="engine"):
    """What the user said, transcribed (``on_engine_input_transcript``)."""


class OutputTranscript(_Transcript, namespace="engine"):
    """What the model said, transcribed (``on_engine_output_transcript``)."""


class ReplyInterrupted(EngineMessage, namespace="engine"):
    """The model's reply was cut off by the user (``on_engine_reply_interrupted``)."""


class GenerationDone(EngineMessage, namespace="engine"):
    """The model finished generating its reply (``on_engine_generation_done``)."""


class TurnDone(EngineMessage, namespace="engine"):
    """The model's turn is over (``on_engine_turn_done``)."""


class ToolCallsArrived(EngineMessage, namespace="engine"):
    """The model asks for function calls (``on_engine_tool_calls_arrived``)."""

    def __init__(self, calls: tuple[types.FunctionCall, ...]) -> None:
        super().__init__()
        self.calls = calls
        """The calls, in order."""


class ToolCallsCancelled(EngineMessage, namespace="engine"):
    """The model withdrew function calls (``on_engine_tool_calls_cancelled``)."""

    def __init__(self, ids: tuple[str, ...]) -> None:
        super().__init__()
        self.ids = ids
        """The ids of the withdrawn calls."""


# One entry per event kind the UI shows.  A factory may still return None (thought text).
_MESSAGE_FOR: dict[type[Any], Callable[[Any], EngineMessage | None]] = {
    StatusChanged: lambda _: StatusWasChanged(),
    Notice: lambda e: NoticeArrived(e.text, e.level),
    FileSent: lambda e: FileWasSent(e.summary),
    FileSkipped: lambda e: FileWasSkipped(e.reason),
    events.ModelText: lambda e: None if e.thought else ModelTextChunk(e.text),
    events.InputTranscription: lambda e: InputTranscript(e.text, e.finished),
    events.OutputTranscription: lambda e: OutputTranscript(e.text, e.finished),
    events.Interrupted: lambda _: ReplyInterrupted(),
    events.GenerationComplete: lambda _: GenerationDone(),
    events.TurnComplete: lambda _: TurnDone(),
    events.ToolCall: lambda e: ToolCallsArrived(e.calls),
    events.ToolCallCancellation: lambda e: ToolCallsCancelled(e.ids),
}

IGNORED: frozenset[type[Any]] = frozenset(
    {
        UserSent,  # the app echoes a line when it is typed
        events.ModelAudio,  # the speaker's; never through the UI queue
        events.SetupComplete,  # the engine turns these into StatusChanged and Notice
        events.GoAway,
        events.SessionResumptionUpdate,
        events.Usage,
        events.VoiceActivity,
        events.Reconnecting,
        events.Reconnected,
        events.Closed,
        # Decoded since the model-contracts work, not shown yet (issue 12's UI part is open):
        # live captions, sources under a reply, turn state and non-audio model data.
        events.InterimInputTranscription,
        events.Grounding,
        events.UrlContext,
        events.WaitingForInput,
        events.InteractionStatus,
        events.ModelInlineData,
    }
)
"""Event kinds the UI does not show: :func:`to_message` returns None for them."""


def to_message(event: AppEvent) -> EngineMessage | None:
    """The message for ``event``, or None when the UI has nothing to show for it."""
    factory = _MESSAGE_FOR.get(type(event))
    return None if factory is None else factory(event)


def shown_kinds() -> frozenset[type[Any]]:
    """The event kinds :func:`to_message` has a message for (for the completeness test)."""
    return frozenset(_MESSAGE_FOR)
