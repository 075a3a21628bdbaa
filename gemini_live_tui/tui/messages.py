"""Textual messages that carry engine events to the app.

The engine calls its listeners on the event loop; the app's listener wraps each event in an
:class:`EngineEvent` and posts it, so events are handled in order by the app's own message
queue and widget updates happen only in message handlers.
"""

from __future__ import annotations

from textual.message import Message

from gemini_live_tui.engine import AppEvent

__all__ = ["EngineEvent"]


class EngineEvent(Message):
    """One app event from the engine; handled by ``on_engine_event``."""

    def __init__(self, event: AppEvent) -> None:
        super().__init__()
        self.event = event
        """The engine or session event."""
