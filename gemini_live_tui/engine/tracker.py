"""What the session's events mean for the app: status, turn state and plain-word notices.

:class:`Tracker` folds each :mod:`~gemini_live_tui.protocol.events` event into the state the
status bar reads (reconnect attempt, goAway deadline, tokens, reply latency, whether a turn
runs, whether the conversation can resume) and says which notices to show and which phase
the connection is in.  It does no I/O and reads no clock (the engine passes ``now``), so
every rule here is tested without a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from gemini_live_tui.engine.events import EngineStatistics, Notice, Phase
from gemini_live_tui.protocol import events

__all__ = ["Outcome", "Tracker"]


@dataclass
class Outcome:
    """What one event changed: the status snapshot, the phase, lines for the user."""

    changed: bool = False
    phase: Phase | None = None
    notices: list[Notice] = field(default_factory=list)

    def notice(self, text: str, level: Literal["info", "warning", "error"] = "info") -> None:
        self.notices.append(Notice(text, level))


@dataclass
class Tracker:
    """The conversation's state as the app shows it."""

    stats: EngineStatistics = field(default_factory=EngineStatistics)
    attempt: int = 0
    goaway_deadline: float | None = None
    tokens: int = 0
    latency: float | None = None
    input_end_at: float | None = None
    turn_running: bool = False
    resumable: bool = False
    reconfiguring: bool = False
    """A reconnect made on purpose (``/voice``, ``/system``): its own notice says it all."""
    stopping: bool = False
    """The user is quitting: the close that follows is not news."""

    def input_ended(self, now: float) -> None:
        """Start the latency clock: the user's input just ended."""
        self.input_end_at = now

    def apply(self, event: events.Event, now: float) -> Outcome:
        out = Outcome()
        match event:
            case events.ModelText() | events.ModelAudio() | events.OutputTranscription():
                if self.input_end_at is not None:
                    self.latency = now - self.input_end_at
                    self.input_end_at = None
                    out.changed = True
                if not self.turn_running:
                    self.turn_running = out.changed = True
            case events.VoiceActivity(kind="end"):
                self.input_end_at = now
            case events.TurnComplete():
                self.turn_running = False
                self.stats.turns += 1
                out.changed = True
            case events.GenerationComplete():
                # Some models send generationComplete and never turnComplete: the reply is
                # done generating either way (playback may still be running).
                self.turn_running = False
                out.changed = True
            case events.Usage(metadata=meta):
                if meta.total_token_count:
                    self.tokens += meta.total_token_count
                    out.changed = True
            case events.SessionResumptionUpdate(resumable=resumable, new_handle=handle):
                self.resumable = bool(resumable and handle) or self.resumable
                out.changed = True
            case events.GoAway(time_left=left):
                self.goaway_deadline = now + left
                out.notice(
                    f"server asked to move on in {left:.0f} s: reconnecting with the "
                    "resumption handle"
                )
                out.changed = True
            case events.Reconnecting(attempt=attempt, delay=delay, reason=reason):
                self.attempt = attempt
                out.phase = Phase.RECONNECTING
                if not self.reconfiguring:
                    out.notice(f"reconnecting ({attempt}) in {delay:.1f} s: {reason}", "warning")
            case events.Reconnected(resumed=resumed):
                self.attempt = 0
                self.goaway_deadline = None
                out.phase = Phase.CONNECTED
                if not self.reconfiguring or not resumed:
                    if resumed:
                        out.notice("reconnected: session resumed")
                    else:
                        out.notice(
                            "reconnected: a fresh session (the conversation did not carry over)",
                            "warning",
                        )
                self.reconfiguring = False
            case events.Closed(code=code, reason=reason):
                self.turn_running = False
                out.phase = Phase.CLOSED
                if not self.stopping:
                    text = f"session closed ({code}{': ' + reason if reason else ''})"
                    out.notice(text, "info" if code == 1000 else "error")
            case events.Interrupted():
                self.turn_running = False
                out.changed = True
            case _:
                pass
        return out
