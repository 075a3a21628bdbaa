"""The help screen (F1, ``?`` on an empty prompt, ``/help``): commands, keys and ``@file``.

A modal over the conversation, so help never lands in the chat log or the saved transcript.
The command list is built from the registry, so a subsystem's commands show up by themselves.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from gemini_live_tui.tui.commands import CommandRegistry

__all__ = ["KEYS", "HelpScreen", "help_markdown"]

KEYS: tuple[tuple[str, str], ...] = (
    ("Enter", "send"),
    ("Shift+Enter, Ctrl+J", "new line in the prompt"),
    ("Up / Down", "history (on the first / last line); choices in the completion pop-up"),
    ("Tab", "complete commands, arguments and @paths"),
    ("PageUp / PageDown", "scroll the conversation"),
    ("Ctrl+Home / Ctrl+End", "oldest / newest line (Home / End on an empty prompt)"),
    ("F1, ?", "this help"),
    ("F4", "talk (push-to-talk)"),
    ("F5", "send one screen frame"),
    ("Ctrl+D", "quit (on an empty prompt)"),
    ("Ctrl+C", "quit (twice while a reply runs)"),
)


def help_markdown(registry: CommandRegistry) -> str:
    """The help text as Markdown."""
    lines = ["# gemini-live help", "", "## Commands", ""]
    for command in registry:
        synopsis = f"/{command.name} {command.usage}".strip()
        lines.append(f"- `{synopsis}`: {command.summary}")
    lines += ["", "## Keys", ""]
    lines += [f"- **{key}**: {what}" for key, what in KEYS]
    lines += [
        "",
        "## Sending files",
        "",
        'Text is sent as typed. `@photo.png describe it` sends an image first; `@"a b.png"`'
        " quotes a name with spaces; `@talk.wav` sends audio.",
        "",
        "Esc, q or F1 closes this screen.",
    ]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    """Commands and keys; Esc, q or F1 closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; background: $background 60%; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1", "close", "Close"),
    ]

    def __init__(self, registry: CommandRegistry) -> None:
        super().__init__()
        self._registry = registry

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(help_markdown(self._registry), id="help")

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
