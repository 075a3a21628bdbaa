"""The input line: Enter sends, Up/Down walk the history, Tab completes.

Enter posts ``Input.Submitted`` carrying the line and clears the input.

Completion candidates come from a function the app passes in (commands, arguments and
``@`` paths, see :mod:`gemini_live_tui.tui.commands`).  One candidate is inserted at once;
several are first narrowed to their common prefix and listed in the hint line, then further
Tab presses cycle through them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

from gemini_live_tui.tui.commands import Completion
from gemini_live_tui.tui.history import InputHistory

__all__ = ["Prompt"]

Completer = Callable[[str, int], Completion | None]


@dataclass(slots=True)
class _Cycle:
    start: int
    candidates: tuple[str, ...]
    index: int
    value: str  # the value we produced; any other value means the user typed
    replacement: str = ""  # what we put at ``start``


class Prompt(Input):
    """The single-line input with history and completion."""

    BINDINGS = [
        Binding("up", "history_previous", "Previous input", show=False),
        Binding("down", "history_next", "Next input", show=False),
        # Not a priority binding: those run on the app queue and could overtake the
        # keys typed just before Tab; a plain binding is handled in order by the input.
        Binding("tab", "complete", "Complete", show=False),
    ]

    class CompletionsShown(Message):
        """Several completions exist; the app shows them in the hint line."""

        def __init__(self, candidates: tuple[str, ...]) -> None:
            super().__init__()
            self.candidates = candidates
            """The candidates, in order."""

    def __init__(
        self,
        *,
        history: InputHistory,
        completer: Completer,
        placeholder: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(placeholder=placeholder, id=id, select_on_focus=False)
        self.history = history
        self._completer = completer
        self._cycle: _Cycle | None = None
        self._navigating = False

    # ----------------------------------------------------------------------- history

    def _set_value(self, value: str) -> None:
        self._navigating = True
        self.value = value
        self.cursor_position = len(value)
        self._navigating = False

    def action_history_previous(self) -> None:
        """Up: the previous entry (the typed draft is kept for Down)."""
        entry = self.history.previous(self.value)
        if entry is not None:
            self._set_value(entry)

    def action_history_next(self) -> None:
        """Down: the next entry, then back to the draft."""
        entry = self.history.next()
        if entry is not None:
            self._set_value(entry)

    def on_input_changed(self, event: Input.Changed) -> None:
        # Typing (not our own value changes) ends a completion cycle.
        if not self._navigating and (self._cycle is None or event.value != self._cycle.value):
            self._cycle = None

    # -------------------------------------------------------------------- completion

    @property
    def completing(self) -> bool:
        """Whether Tab is cycling through several completions right now."""
        return self._cycle is not None

    def action_complete(self) -> None:
        """Tab: complete the word before the cursor, or cycle through the choices."""
        cycle = self._cycle
        if cycle is not None and self.value == cycle.value and len(cycle.candidates) > 1:
            cycle.index = (cycle.index + 1) % len(cycle.candidates)
            self._apply(cycle, cycle.candidates[cycle.index])
            return
        completion = self._completer(self.value, self.cursor_position)
        if completion is None or not completion.candidates:
            self.app.bell()
            return
        candidates = completion.candidates
        new_cycle = _Cycle(completion.start, candidates, -1, "")
        if len(candidates) == 1:
            self._apply(new_cycle, candidates[0])
            self._cycle = None
            return
        typed = self.value[completion.start : self.cursor_position]
        common = _common_prefix(candidates)
        self._apply(new_cycle, common if len(common) > len(typed) else typed)
        self._cycle = new_cycle
        self.post_message(self.CompletionsShown(candidates))

    def _apply(self, cycle: _Cycle, replacement: str) -> None:
        # Replace from the word start up to the end of the current replacement/cursor.
        end = cycle.start + len(cycle.replacement) if cycle.value else self.cursor_position
        value = self.value[: cycle.start] + replacement + self.value[end:]
        self._navigating = True
        self.value = value
        self.cursor_position = cycle.start + len(replacement)
        self._navigating = False
        cycle.value = value
        cycle.replacement = replacement

    # ------------------------------------------------------------------------ submit

    async def action_submit(self) -> None:
        """Enter: remember the line, clear the input, then post ``Submitted`` carrying it.

        The app reads the line from ``Submitted.value`` and never reaches back into the
        widget; clearing first means the next keys already type a fresh line.
        """
        line = self.value
        self.history.add(line)
        self._cycle = None
        self._set_value("")
        self.post_message(self.Submitted(self, line))


def _common_prefix(words: tuple[str, ...]) -> str:
    """The longest string every word starts with (character-wise, not path-wise)."""
    first, last = min(words), max(words)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]
