"""Mic and speaker level meters, pulled from a snapshot by a UI timer.

The audio pipeline never posts levels: the app's timer calls :meth:`Meters.show` with
``engine.levels()`` a few times a second, and a meter redraws only when its rounded value
changes, so an idle app costs next to nothing.  ``None`` draws the empty "off" state.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from gemini_live_tui.engine import Levels

__all__ = ["LevelMeter", "Meters"]

_BAR_CELLS = 12


class LevelMeter(Static):
    """One labelled bar: ``mic ▮▮▮▮▯▯▯▯▯▯▯▯`` or ``mic off``."""

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self.label = label
        self._shown: int | None = -1  # force the first draw

    def on_mount(self) -> None:
        self.show(None)

    def show(self, level: float | None) -> None:
        """Draw ``level`` in [0, 1], or the off state for ``None``."""
        cells = None if level is None else round(max(0.0, min(1.0, level)) * _BAR_CELLS)
        if cells == self._shown:
            return
        self._shown = cells
        text = Text(f"{self.label} ", style="bold")
        if cells is None:
            text.append("off", style="dim")
            self.set_class(True, "off")
        else:
            self.set_class(False, "off")
            style = "red" if cells >= _BAR_CELLS - 1 else "green"
            text.append("▮" * cells, style=style)
            text.append("▯" * (_BAR_CELLS - cells), style="dim")
        # The meter has a fixed width, so a redraw never needs a layout pass.
        self.update(text, layout=False)


class Meters(Horizontal):
    """The mic and speaker meters side by side."""

    DEFAULT_CSS = """
    Meters { height: 1; }
    Meters LevelMeter { width: 16; margin-right: 3; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Kept as attributes: the timer may fire while the app is tearing the DOM down.
        self.mic = LevelMeter("mic", id="mic-meter")
        self.speaker = LevelMeter("spk", id="speaker-meter")

    def compose(self) -> ComposeResult:
        yield self.mic
        yield self.speaker

    def show(self, levels: Levels) -> None:
        """Draw both meters from one snapshot."""
        self.mic.show(levels.mic)
        self.speaker.show(levels.speaker)
