"""The status bar: phase, backend and model, mic/speak/screen, elapsed, goAway, tokens, latency.

It renders an :class:`~gemini_live_tui.engine.EngineStatus` snapshot; the app pushes a new
one on every status change and once a second for the clocks.  The text is rebuilt only
when it differs from what is shown.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from gemini_live_tui.engine import EngineStatus, Phase

__all__ = ["StatusBar", "format_status"]

_PHASE_STYLE = {
    Phase.IDLE: "dim",
    Phase.CONNECTING: "yellow",
    Phase.CONNECTED: "green",
    Phase.RECONNECTING: "yellow",
    Phase.CLOSED: "red",
}
_SHORT = {"speak": "spk", "screen": "scr"}


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _tokens(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M"
    if count >= 10_000:
        return f"{count / 1000:.0f}k"
    if count >= 1000:
        return f"{count / 1000:.1f}k"
    return str(count)


def format_status(status: EngineStatus, now: float) -> Text:
    """The status line for ``status`` at monotonic time ``now``."""
    sep = (" │ ", "dim")
    phase = status.phase.value
    if status.phase is Phase.RECONNECTING and status.reconnect_attempt:
        limit = status.reconnect_max if status.reconnect_max is not None else "∞"
        phase = f"reconnecting {status.reconnect_attempt}/{limit}"
    text = Text.assemble(("● ", _PHASE_STYLE[status.phase]), (phase, _PHASE_STYLE[status.phase]))
    text.append_text(Text.assemble(sep, f"{status.backend} · {status.model}"))
    features = " ".join(f"{_SHORT.get(name, name)} {state}" for name, state in status.features)
    if features:
        text.append_text(Text.assemble(sep, features))
    elapsed = _clock(now - status.started_at) if status.started_at is not None else "--:--"
    text.append_text(Text.assemble(sep, elapsed))
    if status.goaway_deadline is not None:
        left = status.goaway_deadline - now
        text.append_text(Text.assemble(sep, (f"goAway {max(0, int(left))}s", "yellow")))
    text.append_text(Text.assemble(sep, f"{_tokens(status.tokens)} tok"))
    latency = f"{status.last_latency:.2f}s" if status.last_latency is not None else "--"
    text.append_text(Text.assemble(sep, f"latency {latency}"))
    return text


class StatusBar(Static):
    """One line at the bottom of the screen."""

    DEFAULT_CSS = """
    StatusBar { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self._plain = ""

    def show(self, status: EngineStatus, now: float) -> None:
        """Redraw for ``status`` if anything visible changed."""
        text = format_status(status, now)
        if text.plain != self._plain:
            self._plain = text.plain
            self.update(text)

    @property
    def plain(self) -> str:
        """The text shown, without styles (for tests)."""
        return self._plain
