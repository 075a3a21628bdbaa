"""The status bar: phase, backend and model, mic/speak/screen, elapsed, goAway, tokens, latency.

It renders an :class:`~gemini_live_tui.engine.EngineStatus` snapshot; the app pushes a new
one on every status change and once a second for the clocks.  The text is rebuilt only
when it differs from what is shown.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from gemini_live_tui.engine import EngineStatus, Phase
from gemini_live_tui.text_safety import clean

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


def format_status(status: EngineStatus, now: float, width: int | None = None) -> Text:
    """The status line for ``status`` at monotonic time ``now``.

    When ``width`` is given and the full line does not fit, it is made compact step by
    step (shorter device words, shorter labels, narrower separators) before anything is cut.
    """
    for compact in range(6):
        text = _render(status, now, compact)
        if width is None or text.cell_len <= width:
            return text
    text.truncate(width or 0, overflow="ellipsis")
    return text


def _render(status: EngineStatus, now: float, compact: int) -> Text:
    sep = (" │ " if compact < 3 else "│", "dim")
    style = _PHASE_STYLE[status.phase]
    phase = status.phase.value
    if status.phase is Phase.RECONNECTING and status.reconnect_attempt:
        limit = status.reconnect_max if status.reconnect_max is not None else "∞"
        phase = f"reconnecting {status.reconnect_attempt}/{limit}"
    segments: list[Text] = [
        Text.assemble(("● ", style), (phase, style)),
        # The model name may come from a server or a profile: never let it steer the terminal.
        Text(clean(_where(status.backend, status.model, compact))),
    ]
    features = _features(status.features, compact >= 1)
    if features:
        segments.append(Text(features))
    elapsed = _clock(now - status.started_at) if status.started_at is not None else "--:--"
    clock = Text(elapsed)
    if status.goaway_deadline is not None:
        left = max(0, int(status.goaway_deadline - now))
        clock.append(f" goAway {left}s", style="yellow")
    segments.append(clock)
    segments.append(Text(f"{_tokens(status.tokens)} tok"))
    latency = f"{status.last_latency:.2f}s" if status.last_latency is not None else "--"
    segments.append(Text(f"{'lat' if compact >= 2 else 'latency'} {latency}"))
    return Text(sep[0], style=sep[1]).join(segments)


def _where(backend: str, model: str, compact: int) -> str:
    if compact >= 5:
        return backend
    if compact >= 4:
        # "gemini-3.1-flash-live-preview" -> "3.1-flash-live": enough to tell models apart.
        model = model.removeprefix("gemini-").removesuffix("-preview")
    return f"{backend}:{model}" if compact >= 2 else f"{backend} · {model}"


def _features(features: tuple[tuple[str, str], ...], compact: bool) -> str:
    if not compact:
        return " ".join(f"{_SHORT.get(name, name)} {state}" for name, state in features)
    # Compact: names that share a state are grouped ("mic/spk/scr off").
    groups: dict[str, list[str]] = {}
    for name, state in features:
        groups.setdefault(state, []).append(_SHORT.get(name, name))
    return " ".join(f"{'/'.join(names)} {state}" for state, names in groups.items())


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
        width = self.content_size.width or None
        text = format_status(status, now, width)
        if text.plain != self._plain:
            self._plain = text.plain
            # One fixed-height line: no layout pass needed for a new text.
            self.update(text, layout=False)

    @property
    def plain(self) -> str:
        """The text shown, without styles (for tests)."""
        return self._plain
