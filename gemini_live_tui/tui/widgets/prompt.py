"""The prompt: a multi-line input where Enter sends, Up/Down walk the history, Tab completes.

Enter posts :class:`Prompt.Submitted` carrying the text and clears the prompt; Shift+Enter
and Ctrl+J insert a newline (terminals without the kitty keyboard protocol cannot tell
Shift+Enter from Enter, so Ctrl+J always works).  The text is sent as typed: newlines and
indentation reach the engine unchanged.  A paste longer than :data:`PASTE_CONFIRM_CHARS`
asks first (:class:`Prompt.LargePaste`), so a stray paste of a log file is not sent by the
next Enter.  Up on the first line and Down on the last walk the history; elsewhere they
move the cursor.  The prompt grows with its text up to a few rows.

Completion candidates come from a function the app passes in (commands, arguments and
``@`` paths, see :mod:`gemini_live_tui.tui.commands`).  One candidate is inserted at once;
several are first narrowed to their common prefix and announced with
:class:`Prompt.CompletionsShown` (the app shows a pop-up); further Tab or Up/Down presses
move the highlighted choice and Esc closes it (:class:`Prompt.CompletionsClosed`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

from gemini_live_tui.tui.commands import Completion
from gemini_live_tui.tui.history import InputHistory

__all__ = ["PASTE_CONFIRM_CHARS", "Prompt"]

Completer = Callable[[str, int], Completion | None]

PASTE_CONFIRM_CHARS = 20_000
"""Pastes longer than this are confirmed before they enter the prompt."""


@dataclass(slots=True)
class _Cycle:
    start: int
    candidates: tuple[str, ...]
    index: int
    value: str  # the value we produced; any other value means the user typed
    replacement: str = ""  # what we put at ``start``


class Prompt(TextArea):
    """The multi-line prompt with history and completion."""

    DEFAULT_CSS = """
    Prompt {
        height: auto;
        min-height: 3;
        max-height: 8;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "up", "Previous input", show=False),
        Binding("down", "down", "Next input", show=False),
        Binding("home", "home", show=False),
        Binding("end", "end", show=False),
        # The log scrolls while the prompt keeps focus (TextArea would page the prompt).
        Binding("pageup", "app.scroll_log(-1)", show=False),
        Binding("pagedown", "app.scroll_log(1)", show=False),
        Binding("shift+enter,ctrl+j", "newline", "New line", show=False),
    ]

    class Submitted(Message):
        """Enter: the text to send (the prompt is already cleared)."""

        def __init__(self, prompt: Prompt, value: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.value = value
            """The text as typed, newlines and indentation included."""

        @property
        def control(self) -> Prompt:
            return self.prompt

    class CompletionsShown(Message):
        """Several completions exist; the app shows them with one highlighted."""

        def __init__(self, candidates: tuple[str, ...], index: int) -> None:
            super().__init__()
            self.candidates = candidates
            """The candidates, in order."""
            self.index = index
            """The highlighted candidate (-1: none yet)."""

    class CompletionsClosed(Message):
        """The completion choice is over (inserted, typed past or Esc)."""

    class LargePaste(Message):
        """A paste over :data:`PASTE_CONFIRM_CHARS`; the app asks, then calls ``insert_paste``."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text
            """What was pasted."""

    class EmptyKey(Message):
        """Home, End or ``?`` on an empty prompt: the app uses them for the log and help."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key
            """``home``, ``end`` or ``question_mark``."""

    def __init__(
        self,
        *,
        history: InputHistory,
        completer: Completer,
        placeholder: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(
            placeholder=placeholder, id=id, soft_wrap=True, tab_behavior="focus", compact=True
        )
        self.input_history = history
        """Lines sent before (``history`` is the TextArea's undo history)."""
        self._completer = completer
        self._cycle: _Cycle | None = None
        self._navigating = False
        self.paste_limit = PASTE_CONFIRM_CHARS

    # ------------------------------------------------------------- value and cursor

    @property
    def value(self) -> str:
        """The text in the prompt."""
        return self.text

    @value.setter
    def value(self, value: str) -> None:
        self.load_text(value)
        self.cursor_position = len(value)

    @property
    def cursor_position(self) -> int:
        """The cursor as an offset into :attr:`value`."""
        row, column = self.cursor_location
        # Offsets count a newline per line break, as ``value`` does.
        return sum(len(self.document[r]) + 1 for r in range(row)) + column

    @cursor_position.setter
    def cursor_position(self, offset: int) -> None:
        offset = max(0, min(offset, len(self.text)))
        before = self.text[:offset]
        row = before.count("\n")
        self.move_cursor((row, offset - (before.rfind("\n") + 1)))

    def _set_value(self, value: str) -> None:
        self._navigating = True
        self.value = value
        self._navigating = False

    # ------------------------------------------------------------------------ keys

    async def _on_key(self, event: events.Key) -> None:
        # Enter and Tab are handled here, not as bindings: bindings are checked on the app's
        # queue and could overtake the keys typed just before them in a fast burst.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._submit()
            return
        if event.key == "tab":
            event.stop()
            event.prevent_default()
            self.action_complete()
            return
        if event.key == "question_mark" and not self.text:
            event.stop()
            event.prevent_default()
            self.post_message(self.EmptyKey("question_mark"))
            return
        if event.key == "escape" and self._cycle is not None:
            event.stop()
            event.prevent_default()
            self._end_cycle()
            return
        # Anything else goes on to TextArea's own handler (Textual calls it next).

    def action_newline(self) -> None:
        """Shift+Enter / Ctrl+J: a new line in the prompt."""
        self.insert("\n")

    def action_up(self) -> None:
        """Up: the highlighted completion, the history on the first line, else the cursor."""
        if self._cycle is not None:
            self._step_cycle(-1)
        elif self.cursor_location[0] == 0:
            self.action_history_previous()
        else:
            self.action_cursor_up()

    def action_down(self) -> None:
        """Down: the highlighted completion, the history on the last line, else the cursor."""
        if self._cycle is not None:
            self._step_cycle(1)
        elif self.cursor_location[0] >= self.document.line_count - 1:
            self.action_history_next()
        else:
            self.action_cursor_down()

    def action_home(self) -> None:
        """Home: the line start; on an empty prompt the oldest line of the log."""
        if not self.text:
            self.post_message(self.EmptyKey("home"))
        else:
            self.action_cursor_line_start()

    def action_end(self) -> None:
        """End: the line end; on an empty prompt the newest line of the log."""
        if not self.text:
            self.post_message(self.EmptyKey("end"))
        else:
            self.action_cursor_line_end()

    async def _on_paste(self, event: events.Paste) -> None:
        if len(event.text) > self.paste_limit:
            event.stop()
            event.prevent_default()
            self.post_message(self.LargePaste(event.text))
            return
        # TextArea's own handler inserts it next (Textual calls each class's handler);
        # stopped, so a paste that bubbled back to the app is not forwarded here again.
        event.stop()

    def insert_paste(self, text: str) -> None:
        """Insert a (confirmed) paste at the cursor."""
        self.insert(text)

    # ----------------------------------------------------------------------- history

    def action_history_previous(self) -> None:
        """The previous entry (the typed draft is kept for Down)."""
        entry = self.input_history.previous(self.value)
        if entry is not None:
            self._set_value(entry)

    def action_history_next(self) -> None:
        """The next entry, then back to the draft."""
        entry = self.input_history.next()
        if entry is not None:
            self._set_value(entry)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        # Typing (not our own value changes) ends a completion cycle.
        if not self._navigating and (self._cycle is None or self.text != self._cycle.value):
            self._end_cycle()

    # -------------------------------------------------------------------- completion

    @property
    def completing(self) -> bool:
        """Whether a choice between several completions is open."""
        return self._cycle is not None

    def _end_cycle(self) -> None:
        if self._cycle is not None:
            self._cycle = None
            self.post_message(self.CompletionsClosed())

    def _step_cycle(self, step: int) -> None:
        cycle = self._cycle
        assert cycle is not None
        cycle.index = (cycle.index + step) % len(cycle.candidates)
        self._apply(cycle, cycle.candidates[cycle.index])
        self.post_message(self.CompletionsShown(cycle.candidates, cycle.index))

    def action_complete(self) -> None:
        """Tab: complete the word before the cursor, or move to the next choice."""
        cycle = self._cycle
        if cycle is not None and self.value == cycle.value and len(cycle.candidates) > 1:
            self._step_cycle(1)
            return
        completion = self._completer(self.value, self.cursor_position)
        if completion is None or not completion.candidates:
            self.app.bell()
            return
        candidates = completion.candidates
        new_cycle = _Cycle(completion.start, candidates, -1, "")
        if len(candidates) == 1:
            self._apply(new_cycle, candidates[0])
            self._end_cycle()
            return
        typed = self.value[completion.start : self.cursor_position]
        common = _common_prefix(candidates)
        self._apply(new_cycle, common if len(common) > len(typed) else typed)
        self._cycle = new_cycle
        self.post_message(self.CompletionsShown(candidates, -1))

    def _apply(self, cycle: _Cycle, replacement: str) -> None:
        # Replace from the word start up to the end of the current replacement/cursor.
        end = cycle.start + len(cycle.replacement) if cycle.value else self.cursor_position
        value = self.value[: cycle.start] + replacement + self.value[end:]
        self._navigating = True
        self.load_text(value)
        self.cursor_position = cycle.start + len(replacement)
        self._navigating = False
        cycle.value = value
        cycle.replacement = replacement

    # ------------------------------------------------------------------------ submit

    def _submit(self) -> None:
        """Enter: remember the text, clear the prompt, then post ``Submitted`` carrying it.

        The app reads the text from ``Submitted.value`` and never reaches back into the
        widget; clearing first means the next keys already type a fresh message.
        """
        if self._cycle is not None and self._cycle.index >= 0:
            # Enter on a highlighted choice takes it, as in a pop-up menu.
            self._end_cycle()
            return
        line = self.value
        self.input_history.add(line)
        self._end_cycle()
        self._set_value("")
        self.post_message(self.Submitted(self, line))


def _common_prefix(words: tuple[str, ...]) -> str:
    """The longest string every word starts with (character-wise, not path-wise)."""
    first, last = min(words), max(words)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]
