"""A yes/no question as a small modal: ``y`` or Enter answers yes, ``n`` or Esc no."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

__all__ = ["ConfirmScreen"]


class ConfirmScreen(ModalScreen[bool]):
    """Ask ``question``; dismissed with True (yes) or False (no)."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; background: $background 60%; }
    ConfirmScreen > Vertical {
        width: auto; max-width: 80%; height: auto;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ConfirmScreen #keys { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            yield Static("y or Enter: yes · n or Esc: no", id="keys", markup=False)

    def action_answer(self, yes: bool) -> None:
        """A key answered."""
        self.dismiss(yes)
