"""Mic and speaker level meters, pulled from a snapshot by a UI timer.

The audio pipeline never posts levels: the app's timer calls :meth:`Meters.show` with
``engine.levels()`` a few times a second.  Both bars live in one widget that redraws only
when a rounded value changes, without a layout pass, so an idle app costs next to nothing.
``None`` draws the empty "off" state.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from gemini_live_tui.engine import Levels

__all__ = ["Meters", "render_meter"]

BAR_CELLS = 12


def _cells(level: float | None) -> int | None:
    return None if level is None else round(max(0.0, min(1.0, level)) * BAR_CELLS)


def render_meter(label: str, cells: int | None) -> Text:
    """One labelled bar, ``mic ▮▮▮▮▯▯▯▯▯▯▯▯``, or ``mic off``, padded to a fixed width."""
    text = Text(f"{label} ", style="bold")
    if cells is None:
        text.append("off".ljust(BAR_CELLS), style="dim")
    else:
        style = "red" if cells >= BAR_CELLS - 1 else "green"
        text.append("▮" * cells, style=style)
        text.append("▯" * (BAR_CELLS - cells), style="dim")
    return text


class Meters(Static):
    """The mic and speaker meters on one line."""

    DEFAULT_CSS = """
    Meters { height: 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self._shown: tuple[int | None, int | None] | None = None

    def on_mount(self) -> None:
        self.show(Levels())

    def show(self, levels: Levels) -> None:
        """Draw both meters from one snapshot (no-op when nothing visible changed)."""
        shown = (_cells(levels.mic), _cells(levels.speaker))
        if shown == self._shown:
            return
        self._shown = shown
        line = Text.assemble(render_meter("mic", shown[0]), "   ", render_meter("spk", shown[1]))
        off = shown == (None, None)
        if off != self.has_class("off"):
            # A class change restyles the screen: only when the off state flips.
            self.set_class(off, "off")
        # One fixed-height line: a redraw never needs a layout pass.
        self.update(line, layout=False)

    @property
    def plain(self) -> str:
        """What the meters show, without styles (for tests)."""
        return str(self.render())
