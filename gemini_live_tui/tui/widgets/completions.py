"""The completion pop-up's content: a window of candidates, each with a description.

The prompt owns the choice (Tab, Up/Down, Esc); this module only draws it: at most
:data:`ROWS` rows around the highlighted candidate, command names with their one-line
summary, and "+N more" when the list does not fit.
"""

from __future__ import annotations

from rich.text import Text

from gemini_live_tui.text_safety import clean
from gemini_live_tui.tui.commands import CommandRegistry

__all__ = ["ROWS", "render_completions"]

ROWS = 8


def _describe(registry: CommandRegistry, candidate: str) -> str:
    word = candidate.strip()
    if word.startswith("/"):
        command = registry.get(word[1:])
        if command is not None:
            return command.summary
    return ""


def render_completions(
    registry: CommandRegistry, candidates: tuple[str, ...], index: int, rows: int = ROWS
) -> Text:
    """The pop-up text: the highlighted row (``index``; -1 none) in reverse video."""
    shown_from = 0
    if index >= rows:
        shown_from = index - rows + 1
    window = candidates[shown_from : shown_from + rows]
    width = max(len(c.strip()) for c in window) if window else 0
    text = Text(no_wrap=True, overflow="ellipsis")
    for offset, candidate in enumerate(window):
        if offset:
            text.append("\n")
        # File names are shown here: a name may hold escape sequences like any remote text.
        word = clean(candidate.strip())
        line = Text(f" {word.ljust(width)} ")
        description = _describe(registry, candidate)
        if description:
            line.append(f" {description}", style="dim")
        if shown_from + offset == index:
            line.stylize("reverse")
        text.append_text(line)
    hidden = len(candidates) - len(window)
    if hidden > 0:
        text.append(f"\n +{hidden} more (Tab or Up/Down to move, Esc closes)", style="dim italic")
    return text
